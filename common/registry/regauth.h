/* regauth.h — the registry client's authentication internals: WWW-Authenticate challenge
 * parsing, bearer token fetches (GET with Basic/anonymous, or the OAuth2 refresh-token POST)
 * and the per-registry token cache. Internal to common/registry/ and its tests.
 *
 * Thread-safety: challenge and token parsing are reentrant; a struct pcb_regauth (token cache)
 * may be used from several threads at once (it holds its own mutex); pcb_regauth_fetch uses
 * only the CURL handle it is given, which belongs to the calling thread. */
#ifndef PCB_REGAUTH_H
#define PCB_REGAUTH_H

#include <stdint.h>
#include <curl/curl.h>

#include "base/err.h"
#include "base/util.h"
#include "registry/registry.h"

#define PCB_REGAUTH_HEADER_MAX 8192

/* One parsed challenge. scheme is lowercased ("basic", "bearer"); the strings are owned and
 * NULL when the parameter was absent. */
struct pcb_regauth_challenge {
	char scheme[16];
	char *realm;
	char *service;
	char *scope;
	char *error;   /* e.g. "insufficient_scope", "invalid_token" */
};

/* Parses the first challenge of a WWW-Authenticate value: a scheme token, then
 * name=value parameters (tokens or quoted strings with backslash escapes), comma-separated.
 * Scheme and parameter names are case-insensitive. PCB_EINVAL on malformed input. */
int pcb_regauth_challenge_parse(const char *header, struct pcb_regauth_challenge *out,
    struct pcb_err *err);
void pcb_regauth_challenge_free(struct pcb_regauth_challenge *c);

/* Parses a token server answer: {"token"|"access_token": "...", "expires_in": N}. A missing
 * expires_in means 60 s (distribution token spec). *token_out is caller-freed. */
int pcb_regauth_token_parse(const char *body, size_t len, char **token_out,
    int64_t *expires_in_s_out, struct pcb_err *err);

/* How long a token that lives expires_in_s seconds may be used: its life less a margin, so a
 * request never starts with a token about to expire. In milliseconds, at least 0. */
int64_t pcb_regauth_token_lifetime_ms(int64_t expires_in_s);

/* Token cache, keyed by scope string ("repository:a:pull repository:b:pull,push"). */
struct pcb_regauth;
struct pcb_regauth *pcb_regauth_create(void);
void pcb_regauth_destroy(struct pcb_regauth *a);
/* A copy of a cached, unexpired token for scope (caller frees), or NULL. */
char *pcb_regauth_token_get(struct pcb_regauth *a, const char *scope, int64_t now_ms);
/* Stores token (copied) for scope until expires_at_ms (monotonic clock). */
void pcb_regauth_token_put(struct pcb_regauth *a, const char *scope, const char *token,
    int64_t expires_at_ms);
void pcb_regauth_token_drop(struct pcb_regauth *a, const char *scope);

/* Called on the handle before a token request, to set TLS options for the realm URL and refuse
 * plain HTTP where it is not allowed. Returns 0 or PCB_E*. */
typedef int (*pcb_regauth_prep_fn)(void *ud, CURL *c, const char *url, struct pcb_err *err);

/* Fetches a bearer token from ch->realm for the space-separated scopes (NULL or "" for none).
 * With cred->identity_token: the OAuth2 POST (grant_type=refresh_token); else a GET, with
 * Basic auth when cred has a username and password, anonymous otherwise. The handle is reset
 * first. Errors never contain the credentials or the token. */
int pcb_regauth_fetch(CURL *c, const struct pcb_regauth_challenge *ch, const char *scopes,
    const struct pcb_credential *cred, const char *user_agent, pcb_regauth_prep_fn prep,
    void *prep_ud, char **token_out, int64_t *expires_in_s_out, struct pcb_err *err);

/* host[:port] of an absolute URL (for scheme checks and error messages, never the path or
 * query). out needs 256 bytes; longer hosts are cut. Any thread. */
void pcb_regauth_url_host(const char *url, char out[256]);

/* The error code of a libcurl transport failure: PCB_EUNREACHABLE when no connection could
 * be made (refused, unresolved name, no route), PCB_ETIMEDOUT when the peer stalled or never
 * answered, else PCB_EIO. Any thread. */
int pcb_regauth_curl_code(CURLcode cc);

#endif
