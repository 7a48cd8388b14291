/* registry.h — the OCI distribution (Docker registry v2) client: image references as docker
 * spells them, credentials handed in with a job, the challenge/token dance, and pull/push of
 * images between a registry and the content store, with retries and cancellation.
 *
 * Thread-safety: a struct pcb_registry belongs to one build at a time, but its blob transfers
 * may run on several worker threads at once (its token cache is guarded inside). References
 * and credentials are plain data. */
#ifndef PCB_REGISTRY_H
#define PCB_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "image/oci.h"
#include "image/store.h"

/* "python:3.12-slim" → registry "registry-1.docker.io" (Docker Hub's API host), repository
 * "library/python", tag "3.12-slim". "localhost:5000/app@sha256:…" → digest set, tag NULL.
 * "host/app:tag@sha256:…" keeps both (the digest wins when pulling). */
struct pcb_image_ref {
	char *registry;     /* API host[:port]; Docker Hub is "registry-1.docker.io" */
	char *repository;   /* "library/python", "team/app" */
	char *tag;          /* NULL when only a digest was given; "latest" when neither */
	char *digest;       /* "sha256:…" or NULL */
};
int pcb_image_ref_parse(const char *s, struct pcb_image_ref *out, struct pcb_err *err);
/* Canonical text "registry/repository[:tag][@digest]". Caller frees. */
char *pcb_image_ref_format(const struct pcb_image_ref *r);
void pcb_image_ref_free(struct pcb_image_ref *r);

/* One set of credentials for one registry, as the client resolved them (docker config,
 * credential helper, --creds). Never written to disk, the database, a log or an API answer. */
struct pcb_credential {
	char *registry;        /* host[:port] as the user wrote it; "docker.io" matches Docker Hub */
	char *username;        /* may be NULL */
	char *password;        /* may be NULL */
	char *identity_token;  /* OAuth2 refresh token (docker "identitytoken"), may be NULL */
	char *registry_token;  /* a bearer token to send as is, may be NULL */
};
struct pcb_credentials {
	struct pcb_credential *v;
	size_t n;
};
void pcb_credentials_free(struct pcb_credentials *c);
/* The entry for a registry host (docker.io / index.docker.io / registry-1.docker.io are one),
 * or NULL. Borrowed. */
const struct pcb_credential *pcb_credentials_find(const struct pcb_credentials *c,
    const char *registry);

/* Byte counts per blob, from the thread doing the transfer. */
enum pcb_xfer_kind { PCB_XFER_PULL, PCB_XFER_PUSH, PCB_XFER_SKIP, PCB_XFER_MOUNT };
typedef void (*pcb_xfer_progress_fn)(void *ud, enum pcb_xfer_kind kind, const char *digest,
    uint64_t done, uint64_t total);

struct pcb_registry_opts {
	const struct pcb_credentials *creds;  /* borrowed; may be NULL (anonymous) */
	const char *ca_file;                  /* extra CA bundle for every registry (--ca-cert) */
	const char *certs_d;                  /* NULL = /etc/containers/certs.d then /etc/docker/certs.d */
	const struct pcb_strv *insecure;      /* host:port allowed over plain HTTP (loopback always) */
	uint64_t chunk_size;                  /* 0 = one PUT per blob; else PATCH chunks of this size */
	int max_attempts;                     /* 0 = 5 */
	int64_t max_retry_ms;                 /* total backoff budget per request; 0 = 60000 */
	atomic_int *cancel;                   /* may be NULL */
	pcb_xfer_progress_fn progress;        /* may be NULL */
	void *progress_ud;
	const char *user_agent;               /* NULL = "pycontainerd/<version>" */
	/* A push needs a blob the store lacks (a layer of a base pulled with
	 * pcb_registry_pull_meta) and the target neither has it nor could mount it: bring it
	 * into the store, verified, or fail with an error naming what was tried. Called from the
	 * registry's transfer threads, several at once for different digests. NULL = such a
	 * push fails with PCB_ENOENT naming the blob. */
	int (*fetch_missing)(void *ud, const char *digest, struct pcb_err *err);
	void *fetch_missing_ud;
	/* A failed request is about to be tried again: message says what failed and when the
	 * next attempt goes, for the job's log (a user watching a slow registry sees why it is
	 * slow). Called from whichever thread made the request. May be NULL. */
	void (*on_retry)(void *ud, const char *message);
	void *on_retry_ud;
	/* A transfer that moves no byte for this many seconds is cut and retried (curl's
	 * low-speed limit); 0 = $PCB_REGISTRY_STALL_SECONDS, else 60. */
	int stall_seconds;
};

struct pcb_registry;

/* A client for one registry host. Nothing is sent until the first request. */
int pcb_registry_create(const char *host, const struct pcb_registry_opts *opts,
    struct pcb_registry **out, struct pcb_err *err);
void pcb_registry_destroy(struct pcb_registry *r);

/* Pulls ref for platform into the store: the manifest (picked from an index / manifest list
 * when needed), the config and every layer, each verified against its digest. Blobs already
 * in the store are not fetched again. *result_out (caller puts):
 * {"manifest": descriptor, "config": descriptor, "layers": [descriptors], "index": descriptor
 * or absent, "ref": canonical ref with digest}. Errors name registry, repository, step and
 * HTTP status. */
int pcb_registry_pull(struct pcb_registry *r, struct pcb_store *store,
    const struct pcb_image_ref *ref, const struct pcb_platform *platform,
    json_object **result_out, struct pcb_err *err);
/* Like pcb_registry_pull but brings in only the index (if any), the manifest and the config,
 * verified; for every blob of the manifest it records this registry and repository as a
 * location in the store (pcb_store_location_add), so the layers can be fetched
 * (pcb_registry_fetch_blobs) or mounted when pushing, later, when something needs them.
 * Layers already in the store stay. Same *result_out. Note: the store then holds a manifest
 * whose layers it does not have. */
int pcb_registry_pull_meta(struct pcb_registry *r, struct pcb_store *store,
    const struct pcb_image_ref *ref, const struct pcb_platform *platform,
    json_object **result_out, struct pcb_err *err);
/* Fetches the blobs named by digests (at most 1024; duplicates and blobs already in the store
 * are skipped) from repository on this registry into the store, each verified against its
 * digest, in parallel, resuming cut downloads with Range requests and reporting PULL/SKIP
 * progress. Each blob's size is asked with a HEAD first (a blob the repository lacks is
 * PCB_ENOENT; over 64 GiB is PCB_ETOOBIG). Stored as application/octet-stream. On success
 * the locations are refreshed. On failure the blobs fetched so far stay and nothing partial
 * is left in the store. */
int pcb_registry_fetch_blobs(struct pcb_registry *r, struct pcb_store *store,
    const char *repository, const struct pcb_strv *digests, struct pcb_err *err);

/* Pushes the image whose manifest (OCI or Docker v2 schema 2; or an OCI index / Docker
 * manifest list, whose image manifests are pushed first, by digest) is in the store to
 * target (its tag, or by digest when tag is NULL): every blob HEADed first (skipped when
 * present, or known to be there from the store's blob-location records), mounted from a
 * repository of the same registry known to hold it, else uploaded from the store; then the
 * manifest. A blob the store lacks (a lazily pulled base's layer) that can be neither
 * skipped nor mounted is fetched through opts.fetch_missing, or the push fails with
 * PCB_ENOENT naming it. *digest_out gets the pushed manifest digest. */
int pcb_registry_push(struct pcb_registry *r, struct pcb_store *store,
    const char *manifest_digest, const struct pcb_image_ref *target,
    char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err);

/* OCI 1.1 referrers. pcb_registry_referrers asks GET /v2/<repo>/referrers/<digest>:
 * *supported_out true and *index_out (caller puts) the image index it answered when the
 * registry has the API; false (and NULL) when it answers 404 / 405 / 400 or no index, as
 * registries without it do (then the tag fallback "sha256-<hex>" is for the client). */
int pcb_registry_referrers(struct pcb_registry *r, const char *repo, const char *digest,
    bool *supported_out, json_object **index_out, struct pcb_err *err);
/* A manifest or index by tag or digest, as bytes (*body_out, caller frees) and parsed
 * (*doc_out, caller puts), checked against the digest the registry announced. A missing
 * one is PCB_ENOENT. */
int pcb_registry_get_manifest(struct pcb_registry *r, const char *repo, const char *reference,
    char **body_out, size_t *len_out, json_object **doc_out, struct pcb_err *err);
/* The size of blob digest in repo, from a HEAD: PCB_ENOENT when the repository does not
 * have it (the error names registry, repository and status otherwise). */
int pcb_registry_blob_stat(struct pcb_registry *r, const char *repo, const char *digest,
    uint64_t *size_out, struct pcb_err *err);
/* PUTs body as the manifest reference (a tag or its digest) with media_type; the blobs and
 * manifests it names must be in the repository already. */
int pcb_registry_put_manifest(struct pcb_registry *r, const char *repo, const char *reference,
    const char *media_type, const char *body, size_t len, struct pcb_err *err);

/* Retry timing, exposed for unit tests. The wait before retry number `attempt` (1-based):
 * retry_after_ms when the registry said so (>= 0), else full jitter — a uniform pick from
 * [0, min(10 s, 200 ms * 2^(attempt-1))] driven by rnd. */
int64_t pcb_registry_backoff_ms(int attempt, int64_t retry_after_ms, uint64_t rnd);
/* A Retry-After value (delay-seconds or an HTTP date) as milliseconds from now_unix_s, at
 * least 0; -1 when absent or unreadable. */
int64_t pcb_registry_retry_after_ms(const char *value, int64_t now_unix_s);

#endif
