/* regfix.h — registry fixtures for tests: a real CNCF distribution registry (Debian's
 * docker-registry) on loopback in one of three set-ups, a token server for the token set-up,
 * and a fault-injecting proxy for what a real registry cannot be made to do. Everything binds to
 * 127.0.0.1 on probed free ports, lives in a per-test temp dir, and is stopped (and reaped) by
 * the _stop functions. Test code only: failures abort the running Check test. */
#ifndef PCB_REGFIX_H
#define PCB_REGFIX_H

#include <stdbool.h>
#include <sys/types.h>

enum pcb_test_registry_mode {
	PCB_TEST_REGISTRY_PLAIN = 0,   /* plain HTTP, anonymous push and pull */
	PCB_TEST_REGISTRY_BASIC_TLS,   /* HTTPS with a test CA, htpasswd basic auth */
	PCB_TEST_REGISTRY_TOKEN,       /* HTTPS, bearer tokens from a test token server (JWT, x5c) */
};

struct pcb_test_registry {
	enum pcb_test_registry_mode mode;
	pid_t pid;
	char *dir;          /* temp dir: config, storage, certs, logs (owned) */
	int port;
	char *host;         /* "127.0.0.1:PORT" */
	char *url;          /* "http://127.0.0.1:PORT" or "https://…" */
	char *ca_file;      /* PEM of the test CA (TLS modes), else NULL */
	char *username;     /* accepted user (auth modes), else NULL */
	char *password;
	/* token mode: the token server */
	pid_t token_pid;
	int token_port;
	char *token_realm;  /* "https://127.0.0.1:PORT/token" */
	char *service;      /* the service name both sides agree on */
	char *log;          /* registry log file */
};

/* Starts a registry and waits (polling GET /v2/, 30 s deadline) until it answers. */
void pcb_test_registry_start(struct pcb_test_registry *r, enum pcb_test_registry_mode mode);
void pcb_test_registry_stop(struct pcb_test_registry *r);   /* also frees and removes dir */
/* Token mode: changes the token server's settings while it runs (it rereads them on each
 * request). expires_in > 0: tokens live that many seconds; <= 0: it hands out tokens that have
 * already expired (exp beyond the registry's 60 s leeway in the past, expires_in 1).
 * anonymous_pull: requests without credentials get pull access (default false: 401). */
void pcb_test_registry_token_set(struct pcb_test_registry *r, int expires_in, bool anonymous_pull);
/* Token mode: number of requests the token server answered with method ("GET", "POST" or
 * "any") and HTTP status (0 = any), e.g. to see that a client caches its tokens. */
int pcb_test_registry_token_count(const struct pcb_test_registry *r, const char *method,
    int status);

/* A proxy on loopback in front of upstream ("127.0.0.1:PORT", plain HTTP to it) that injects
 * faults by rule. rules: a ';'-separated list, each "WHEN:WHAT[:COUNT]" —
 *   WHEN: "blob-get", "blob-put" (PUT/PATCH of upload data), "manifest-get", "manifest-put", "any"
 *   WHAT: "drop@N" (close the connection after N bytes of the response body / request body),
 *         "status=500", "status=429,retry-after=1", "corrupt" (flip a byte of the response body)
 *   COUNT: how many times the rule fires (default 1).
 * Rewrites Location headers so uploads stay on the proxy. Counts requests per method+kind. */
struct pcb_test_proxy {
	pid_t pid;
	int port;
	char *host;       /* "127.0.0.1:PORT" */
	char *dir;
	char *stats;      /* file the proxy rewrites with JSON counters after every request */
};
void pcb_test_proxy_start(struct pcb_test_proxy *p, const char *upstream, const char *rules);
void pcb_test_proxy_stop(struct pcb_test_proxy *p);
/* Number of requests seen so far matching method ("GET", "HEAD", "PUT", "PATCH", "POST") and
 * kind ("blob", "manifest", "upload", "any"). */
int pcb_test_proxy_count(const struct pcb_test_proxy *p, const char *method, const char *kind);

/* A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
int pcb_test_free_port(void);

#endif
