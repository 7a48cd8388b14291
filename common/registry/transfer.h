/* transfer.h — registry jobs on top of registry.h: the credential fields every job that talks
 * to registries may carry (parsed strictly, held in memory only, wiped when freed), the push
 * and pull job specs (POST /v1/pushes, POST /v1/pulls), and the runs that push a manifest from
 * the store or pull an image into it, reporting through the same struct pcb_build_ctx /
 * struct pcb_event mechanism as builds.
 *
 * Thread-safety: the spec functions are reentrant; pcb_push_run / pcb_pull_run /
 * pcb_transfer_push run on one worker thread and call ctx->emit from that thread only (blob
 * callbacks arriving from the registry's transfer threads are serialised here first). */
#ifndef PCB_TRANSFER_H
#define PCB_TRANSFER_H

#include <stdbool.h>
#include <json-c/json.h>

#include "base/cred.h"
#include "base/err.h"
#include "base/util.h"
#include "image/store.h"
#include "registry/registry.h"

struct pcb_build_ctx;   /* image/events.h */

/* The credential fields of a job: "credentials", "insecure_registries", "ca_certs". Never
 * echoed, stored, written or logged: the *_to_json functions leave them out. Embedded:
 * _init/_free; _free wipes the secrets. */
struct pcb_transfer_access {
	struct pcb_credentials creds;
	struct pcb_strv insecure;     /* "host:port" allowed over plain HTTP */
	struct pcb_strv ca_hosts;     /* ca_certs keys … */
	struct pcb_strv ca_pems;      /* … and their PEM text, parallel */
	int64_t chunk_size;           /* upload_chunk_size: -1 = the registry's default */
};
void pcb_transfer_access_init(struct pcb_transfer_access *a);
void pcb_transfer_access_free(struct pcb_transfer_access *a);
/* If key is one of the credential fields, parses v into a (strictly: wrong types, unknown
 * members → PCB_EINVAL naming the field but never its value) and sets *handled. Otherwise
 * leaves a alone and clears *handled. */
int pcb_transfer_access_field(const char *key, json_object *v, struct pcb_transfer_access *a,
    bool *handled, struct pcb_err *err);
/* Overwrites the secret strings inside a parsed request body's "credentials" array (json-c
 * frees without wiping). Call before putting the request JSON. j may be NULL. */
void pcb_transfer_scrub_json(json_object *j);
/* The upload chunk size for a registry host: the request's upload_chunk_size when given, else
 * a built-in default for registries known to need chunks (ghcr.io: 4 MiB), else 0 (one
 * streamed PUT per blob, which every registry takes, ECR included). */
uint64_t pcb_transfer_chunk_size(const struct pcb_transfer_access *a, const char *host);
/* A registry client for host with the access settings of a job (credentials, insecure hosts,
 * the chunk size, a ca_certs PEM handed over as a temp file in the store's tmp/ and removed
 * once read). progress may be NULL. Caller destroys *out. */
int pcb_transfer_open_registry(const struct pcb_transfer_access *a,
    const struct pcb_build_ctx *ctx, const char *host, pcb_xfer_progress_fn progress,
    void *progress_ud, struct pcb_registry **out, struct pcb_err *err);
/* True when the reference text names a registry host (its first component has a '.' or ':'
 * or is "localhost"), as docker decides. */
bool pcb_transfer_ref_has_registry(const char *ref);

/* Makes sure every blob in digests is in ctx->store: each one missing is fetched (verified)
 * from a registry and repository the store's location records say hold it (recorded by
 * pcb_registry_pull_meta, pulls and pushes), the most recently seen first, the next one
 * tried when one fails; blobs that share a repository come in one parallel fetch. Emits
 * `blob` download events and a log line per source. Errors: PCB_ENOENT "blob … is not in the
 * store and no registry is known to hold it", or the last source's error prefixed with the
 * blob and every registry/repository tried; PCB_ECANCELED on cancel. Call from the job's
 * worker thread. */
int pcb_transfer_fetch_blobs(const struct pcb_transfer_access *a,
    const struct pcb_build_ctx *ctx, const struct pcb_strv *digests, struct pcb_err *err);

/* Pushes the manifest manifest_digest (in ctx->store) to target ("host/repo:tag"), emitting
 * blob events. *pushed_out (caller puts) is {"target", "digest", "blobs": {"uploaded",
 * "skipped", "mounted", "bytes_sent"}}. Errors name registry, repository, step and status.
 * A blob the store lacks (a layer of a base pulled with pcb_registry_pull_meta) is skipped
 * when the target has it, mounted when a repository of the target registry is known to hold
 * it, else fetched first as pcb_transfer_fetch_blobs does (from another registry known to
 * hold it), then uploaded. */
int pcb_transfer_push(const struct pcb_transfer_access *a, const struct pcb_build_ctx *ctx,
    const char *manifest_digest, const char *target, json_object **pushed_out,
    struct pcb_err *err);

/* Totals of the registry transfers of this process (pushes, pulls, blobs fetched for
 * builds), each blob counted once when it completes, for the daemon's metrics. Any thread. */
struct pcb_transfer_stats {
	uint64_t blobs_pushed, bytes_pushed;     /* uploaded */
	uint64_t blobs_pulled, bytes_pulled;     /* downloaded */
	uint64_t blobs_skipped, blobs_mounted;   /* the registry had them / mounted across repos */
};
void pcb_transfer_stats(struct pcb_transfer_stats *out);

/* POST /v1/pushes. All strings owned. */
struct pcb_push_spec {
	char *source;               /* store tag, "b-<16 hex>" build id, or "sha256:…" */
	struct pcb_strv targets;    /* "host/repo:tag" */
	struct pcb_transfer_access access;
	/* Set by the daemon, not by the request: the manifest a build id source resolved to. */
	char *manifest_digest;
	struct pcb_cred as;         /* whose tags a tag source is looked up in (daemon-set) */
};
void pcb_push_spec_init(struct pcb_push_spec *s);
void pcb_push_spec_free(struct pcb_push_spec *s);
/* Strict parse like pcb_build_spec_from_json. */
int pcb_push_spec_from_json(json_object *j, struct pcb_push_spec *s, struct pcb_err *err);
/* {"source", "targets"} — never the credential fields. Caller puts. */
json_object *pcb_push_spec_to_json(const struct pcb_push_spec *s);
/* True when source names a build ("b-" + 16 lowercase hex). */
bool pcb_push_source_is_build(const char *source);
/* Result: {"source", "manifest": descriptor, "pushed": [...]}. PCB_ECANCELED on cancel. */
int pcb_push_run(const struct pcb_push_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err);

/* POST /v1/pulls. */
struct pcb_pull_spec {
	char *ref;                  /* as the user wrote it */
	char *platform;             /* NULL = the daemon's */
	struct pcb_transfer_access access;
	struct pcb_cred as;         /* whose tags the pulled image gets (daemon-set) */
};
void pcb_pull_spec_init(struct pcb_pull_spec *s);
void pcb_pull_spec_free(struct pcb_pull_spec *s);
int pcb_pull_spec_from_json(json_object *j, struct pcb_pull_spec *s, struct pcb_err *err);
json_object *pcb_pull_spec_to_json(const struct pcb_pull_spec *s);
/* Pulls into ctx->store and tags the image under "host/repo:tag" and under the short form
 * the user wrote. Result: {"ref", "manifest", "config", "layers", "tagged", "tags"}. */
int pcb_pull_run(const struct pcb_pull_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err);

#endif
