/* creds.h — registry credentials on the user's side, as docker and podman keep them: `--creds`
 * and the PCB_REGISTRY_USERNAME/PASSWORD environment for one command, docker's config.json
 * ("auths", "credHelpers", "credsStore" with docker-credential-<name> helpers) and podman's
 * auth.json; `pcb login`/`pcb logout` writing docker's format; and the registry fields a job
 * request carries ("credentials", "insecure_registries", "ca_certs"). Nothing here prints or
 * logs a secret: error messages name files, keys and hosts, never values.
 *
 * The credential structs are common/registry/registry.h's (struct pcb_credential), so the
 * daemon and the client mean the same thing by them.
 *
 * Thread-safety: client code, single-threaded. Reads the environment (HOME, DOCKER_CONFIG,
 * REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, PATH) at each call. */
#ifndef PCB_CLIENT_CREDS_H
#define PCB_CLIENT_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "registry/registry.h"

/* Largest config.json / auth.json read, and largest answer read from a credential helper. */
#define PCB_CREDS_FILE_MAX ((size_t)1 << 20)
#define PCB_CREDS_HELPER_MAX ((size_t)64 << 10)
/* Largest PEM file read for --ca-cert and certs.d. */
#define PCB_CREDS_PEM_MAX ((size_t)1 << 20)
/* A credential helper that has not answered after this long is killed. */
#define PCB_CREDS_HELPER_TIMEOUT_MS 60000

/* Docker's name for Docker Hub in config.json and towards credential helpers. */
#define PCB_CREDS_DOCKER_HUB_URL "https://index.docker.io/v1/"

/* Base64 (RFC 4648 standard alphabet, padded), for docker's "auth" field. Encode: caller frees.
 * Decode: *out NUL-terminated, caller frees; PCB_EINVAL on anything that is not base64
 * (unpadded input is accepted, as docker's files sometimes have it). */
char *pcb_creds_base64_encode(const void *p, size_t n);
int pcb_creds_base64_decode(const char *s, char **out, size_t *len_out);

/* True for the names of Docker Hub: docker.io, index.docker.io, registry-1.docker.io, with or
 * without scheme and path ("https://index.docker.io/v1/"). */
bool pcb_creds_is_docker_hub(const char *registry);
/* The host[:port] of a registry written as a host or a URL, lowercased; Docker Hub's names all
 * become "docker.io". Writes at most outsz-1 bytes. */
void pcb_creds_host_key(const char *registry, char *out, size_t outsz);
/* The server URL docker uses as the config.json key and towards helpers: Docker Hub →
 * "https://index.docker.io/v1/", anything else → its host[:port]. Caller frees. */
char *pcb_creds_server_url(const char *registry);

/* $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json; NULL when neither variable is
 * set. Caller frees. */
char *pcb_creds_docker_config_path(void);
/* $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json; NULL when neither. */
char *pcb_creds_podman_auth_path(void);

/* Parses --creds "USER[:PASS]" (the password may contain ':'). *pass is NULL when no ':' was
 * given. PCB_EINVAL for an empty user name. Caller frees both. */
int pcb_creds_parse_user_pass(const char *s, char **user, char **pass, struct pcb_err *err);

/* Looks registry up in the user's files, in docker's order: docker's config.json (its
 * credHelpers entry for the host, else its credsStore, else its "auths" entry), then podman's
 * auth.json. *found is false (and 0 returned) when no source knows the registry. On success
 * out->registry is a copy of registry and out holds username+password, or identity_token.
 * A damaged file, bad base64 or a failing helper is an error naming the file or helper. */
int pcb_creds_lookup(const char *registry, struct pcb_credential *out, bool *found,
    struct pcb_err *err);
/* Frees the strings of one credential (secrets are wiped first) and zeroes it. */
void pcb_creds_clear(struct pcb_credential *c);

/* Runs `docker-credential-<helper> <verb>` with input on stdin, bounded output and a deadline.
 * *out (caller frees, may be NULL) is its stdout. Returns 0 when it exited 0; otherwise
 * PCB_EIO with the helper's stderr (or stdout) in the message, and *out still set.
 * PCB_ENOENT when the helper is not on PATH. helper must match [A-Za-z0-9._-]+. */
int pcb_creds_helper_run(const char *helper, const char *verb, const char *input, char **out,
    struct pcb_err *err);

/* pcb login: stores user/pass for registry — through the credential helper that config.json
 * names for it (credHelpers, then credsStore), else as an "auth" entry of config.json (created
 * 0600, written atomically, every other key and entry kept). *where_out (caller frees) says
 * where it went ("/home/u/.docker/config.json" or "docker-credential-pass"). */
int pcb_creds_store(const char *registry, const char *user, const char *pass, char **where_out,
    struct pcb_err *err);
/* pcb logout: erases registry's credentials from the helper (if one is configured) and every
 * config.json "auths" entry naming the same host. *removed says whether anything was there. */
int pcb_creds_erase(const char *registry, bool *removed, struct pcb_err *err);

/* Reads a line from the terminal (/dev/tty), without echo when secret. PCB_EINVAL when there
 * is no terminal. Caller frees (and wipes) *out. */
int pcb_creds_prompt(const char *prompt, bool secret, char **out, struct pcb_err *err);

/* ---- the registry fields of a job request (regopts.c) ---- */

/* The options `pcb build --push`, `pcb push` and `pcb pull` share. Embedded: _init/_free. */
struct pcb_regopts {
	const char *creds;            /* --creds USER[:PASS]; borrowed from argv */
	struct pcb_strv insecure;     /* --insecure-registry HOST[:PORT] */
	struct pcb_strv ca_files;     /* --ca-cert FILE */
	long long chunk_size;         /* --upload-chunk-size BYTES; -1 = not given */
};
void pcb_regopts_init(struct pcb_regopts *o);
void pcb_regopts_free(struct pcb_regopts *o);

/* The getopt_long entries of the shared options and their values; a command lists them in its
 * own table and hands matching codes to pcb_regopts_option. */
enum { PCB_REGOPT_CREDS = 2000, PCB_REGOPT_INSECURE, PCB_REGOPT_CA_CERT, PCB_REGOPT_CHUNK };
#define PCB_REGOPTS_LONGOPTS \
	{ "creds", required_argument, NULL, PCB_REGOPT_CREDS }, \
	{ "insecure-registry", required_argument, NULL, PCB_REGOPT_INSECURE }, \
	{ "ca-cert", required_argument, NULL, PCB_REGOPT_CA_CERT }, \
	{ "upload-chunk-size", required_argument, NULL, PCB_REGOPT_CHUNK }
#define PCB_REGOPTS_USAGE \
    "      --creds USER[:PASS]   credentials for the registries this command talks to\n" \
    "                            (prompted for on a terminal when PASS is left out)\n" \
    "      --insecure-registry HOST[:PORT]  allow plain HTTP to HOST (repeatable;\n" \
    "                            loopback is always allowed)\n" \
    "      --ca-cert FILE        trust the CA certificates (PEM) in FILE for these registries\n" \
    "                            (repeatable; also read: ~/.config/containers/certs.d/HOST/*.crt)\n" \
    "      --upload-chunk-size SIZE  upload blobs in PATCH chunks of SIZE (bytes, or with K/M\n" \
    "                            suffix; 0 = one streamed PUT per blob; default: per registry)\n"
/* Handles one of the codes above. Returns true when c was one of them; *bad is set (with msg)
 * when its value is unusable. */
bool pcb_regopts_option(struct pcb_regopts *o, int c, const char *arg, bool *bad, char *msg,
    size_t msgsz);
/* The default: branch of a command's getopt loop: a shared option (with optarg) is taken and
 * PCB_EXIT_OK returned; a bad value or an unknown option is reported for cmd and its exit code
 * returned. */
struct pcb_cmd;
int pcb_regopts_default(struct pcb_regopts *o, const struct pcb_cmd *cmd, int c, char **argv);

/* The host of a reference as the registry client will see it ("python" → registry-1.docker.io).
 * explicit_out (may be NULL) says whether the reference named a host itself. Caller frees. */
int pcb_regopts_ref_host(const char *ref, char **host_out, bool *explicit_out,
    struct pcb_err *err);

/* Adds "credentials", "insecure_registries" and "ca_certs" to a request body for the registry
 * hosts the job will talk to (each once). Credentials come, in this order, from --creds, from
 * PCB_REGISTRY_USERNAME + PCB_REGISTRY_PASSWORD, then from the user's files
 * (pcb_creds_lookup). CA PEM text is every --ca-cert file then the .crt files of
 * certs.d/HOST. Fields are only added when non-empty. */
int pcb_regopts_apply(const struct pcb_regopts *o, const struct pcb_strv *hosts,
    json_object *body, struct pcb_err *err);

/* Removes what must never be shown from a job resource before it is printed (--json): a
 * "credentials" member of its spec, should a daemon ever echo one. */
void pcb_regopts_scrub(json_object *job);

#endif
