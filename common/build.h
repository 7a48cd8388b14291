/* build.h — the build pipeline: spec → plan → layers → config → manifest → outputs, with
 * progress events and cancellation. Knows nothing of HTTP: the daemon feeds it a spec, gives
 * it an emit callback and a cancel flag, and runs it on a worker thread.
 *
 * Thread-safety: pcb_build_run runs on one worker thread; emit is called from that thread.
 * The spec functions are reentrant. */
#ifndef PCB_BUILD_H
#define PCB_BUILD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/cred.h"
#include "base/err.h"
#include "image/events.h"
#include "base/util.h"
#include "image/store.h"
#include "python/deps.h"
#include "registry/transfer.h"

/* One requested output. */
enum pcb_output_type {
	PCB_OUTPUT_OCI_LAYOUT = 0,   /* "oci-layout": an OCI image layout directory */
	PCB_OUTPUT_OCI_ARCHIVE,      /* "oci-archive": that layout in one tar file */
	PCB_OUTPUT_DOCKER_ARCHIVE,   /* "docker-archive": a tar `docker load` / `podman load`
	                              * take (image/archive.h) */
};

struct pcb_output {
	enum pcb_output_type type;
	char *path;                  /* absolute: a folder (layout) or a file (archives) */
};

/* The spec's name of an output type ("oci-layout", …). Static string. */
const char *pcb_output_type_name(enum pcb_output_type t);

/* What a client asks for: parsed from the JSON body of POST /v1/builds (see api/openapi.yaml,
 * schema BuildSpec). Unknown fields are rejected. All strings owned. */
struct pcb_build_spec {
	char *context;               /* absolute path of the project folder (required) */
	struct pcb_strv tags;        /* "name:tag" references; the first names the image */
	struct pcb_output *outputs;  /* n_outputs entries */
	size_t n_outputs;
	char *platform;              /* "linux/amd64" (default: the daemon's own) */
	/* Several platforms: one image index with a manifest per platform (multi.h). Empty = one
	 * image for `platform` (or pycontainer.toml's platforms / platform). */
	struct pcb_strv platforms;
	bool platform_fail_skip;     /* "platform_fail": "skip" — a platform that fails is left
	                              * out of the index (named in the result) instead of failing
	                              * the build */
	struct pcb_strv env;         /* "K=V", in the order given */
	struct pcb_strv labels;      /* "K=V" */
	char *workdir;               /* NULL = "/app" */
	struct pcb_strv entrypoint;  /* empty = discovered */
	bool has_entrypoint;
	struct pcb_strv cmd;         /* empty = discovered */
	bool has_cmd;
	int64_t source_date_epoch;   /* -1 = not given (then 0 is used) */
	bool push;                   /* push to the registry each tag names, after building */
	bool no_cache;               /* pack every layer of ours again (no layer-cache reuse) */
	bool pull;                   /* resolve a base tag from its registry even when the
	                              * store has it */
	/* SBOM and provenance (image/sbom.h), attached to the image as OCI 1.1 referrers:
	 * "sbom" (default true) the SPDX 2.3 and CycloneDX 1.5 documents, "provenance"
	 * (default false) an in-toto statement with SLSA v1 provenance. */
	bool sbom;
	bool provenance;
	/* The image to build on: "scratch", "name:tag", "host[:port]/repo:tag" or "…@sha256:…".
	 * NULL = pycontainer.toml > [tool.pycontainer] > "scratch". */
	char *base_image;
	/* Where a base reference that names no registry host is pulled from: "host[:port]" or
	 * "host[:port]/prefix" ("mirror.corp:5000/dockerhub" turns "python:3.12-slim" into
	 * "mirror.corp:5000/dockerhub/library/python:3.12-slim"). NULL = the daemon's default
	 * (pcb_build_set_base_registry), else Docker Hub. */
	char *base_registry;
	struct pcb_deps_spec deps;   /* spec.dependencies (deps.h) */
	/* The base image's interpreter (image path) the venv points at. NULL = the base's
	 * /usr/local/bin/pythonX.Y (X.Y from its PYTHON_VERSION, else requires-python). */
	char *python;
	char *user;                  /* NULL = config > the base's */
	enum pcb_compression compression;   /* our layers: gzip (default) or zstd */
	int compression_level;       /* 0 = the default of the compression (layer.h) */
	int port;                    /* 0 = config > discovered */
	struct pcb_transfer_access access;   /* credentials: never echoed or stored */
	/* Whose rights the context, the project's files, the dependency files and the outputs
	 * are read and written with (base/cred.h): the caller's, set by the daemon from the
	 * socket's peer, never from JSON. Unset: the daemon's own. */
	struct pcb_cred as;
	uint64_t max_context;        /* bytes the app layer may hold (0 = no limit); daemon-set */
	/* The registry cache (image/rcache.h). cache_to: "host/repo:tag" the build writes its
	 * layer and resolution entries to (NULL = pycontainer.toml's, else the daemon's default,
	 * else none); cache_to_max: mode=max (every layer the job made) rather than min (the
	 * final image's). cache_from: references read before building, in order (empty = the
	 * config's, else the daemon's). Credentials come from access, like a push's. */
	char *cache_to;
	bool cache_to_max;
	struct pcb_strv cache_from;
	bool no_cache_from;          /* "cache_from": [] given: no defaults either */
};

void pcb_build_spec_init(struct pcb_build_spec *s);
void pcb_build_spec_free(struct pcb_build_spec *s);
/* Strict parse: wrong types, unknown fields, relative paths, bad K=V, bad platform → PCB_EINVAL
 * with a message naming the field ("spec.env[2]: expected \"KEY=VALUE\""). */
int pcb_build_spec_from_json(json_object *j, struct pcb_build_spec *s, struct pcb_err *err);
/* The spec back as JSON (as stored with the job and shown in the build resource). Caller puts. */
json_object *pcb_build_spec_to_json(const struct pcb_build_spec *s);
/* Checks what can be checked without building: the context exists and is a directory,
 * output parents exist. PCB_EINVAL / PCB_ENOENT with a clear message. */
int pcb_build_spec_check(const struct pcb_build_spec *s, struct pcb_err *err);

/* The daemon-wide default for spec.base_registry (NULL = Docker Hub). Call once at start-up,
 * before any build runs (the value is read by workers without a lock); the string is copied.
 * Returns PCB_EINVAL when it is not "host[:port][/path]". */
int pcb_build_set_base_registry(const char *prefix, struct pcb_err *err);
/* The daemon-wide registry cache defaults (spec.cache_to / cache_from when neither the spec
 * nor pycontainer.toml gives one): to is "REF[,mode=min|max]" or NULL, from a list (may be
 * NULL). Same start-up rule as above. PCB_EINVAL naming a bad reference. */
int pcb_build_set_cache_defaults(const char *to, const struct pcb_strv *from,
    struct pcb_err *err);
/* Checks a registry cache reference as cache_to (a tag on a registry host) or cache_from (a
 * tag or digest on a registry host): PCB_EINVAL naming field. */
int pcb_build_cache_ref_check(const char *ref, bool to, const char *field, struct pcb_err *err);
/* The daemon-wide default base image when neither the spec nor the project's config names
 * one: a reference where "{python}" stands for the project's Python X.Y, or "scratch".
 * NULL restores the built-in "python:{python}-slim". Same start-up rule as above. */
int pcb_build_set_default_base(const char *tmpl, struct pcb_err *err);

/* The plan: what discovery found and what would be built, as JSON (name, version,
 * python_version, base_image, entrypoint, cmd, workdir, include, env, labels, platform,
 * outputs, tags, sources of each value). Does not write anything. Caller puts *plan_out. */
int pcb_build_plan(const struct pcb_build_spec *s, json_object **plan_out, struct pcb_err *err);

/* Runs the build. On success *result_out (caller puts) is the BuildResult JSON:
 * { "manifest": {mediaType,digest,size}, "config": {…}, "layers": [{mediaType,digest,size,
 *   diff_id, name, entries}], "image": {name, tags}, "outputs": [{type,path}], "platform",
 *   "pushed": [{target, digest, blobs: {uploaded, skipped, mounted, bytes_sent}}],
 *   "base": {ref, digest, layers} — ref "scratch" with digest null and 0 layers, else the
 *   reference as resolved and the base's manifest digest }.
 * Base images (see build.c "Base images"): found in the store's tags first, else the manifest
 * and config are pulled from the registry; base layers keep their descriptors (Docker layer
 * media types become the OCI ones with the same digest, the bytes being the same gzip'd tar)
 * and come first in the manifest and in rootfs.diff_ids; the config is inherited as docker
 * does. An OCI-layout or archive output needs every base layer in the store and fetches
 * missing ones. 
 * With spec.push, each tag is pushed (pcb_transfer_push) after the local outputs are done. 
 * Registry cache (image/rcache.h): with cache_from, the artifacts are read first (one that
 * cannot be read costs a warning) and layers and resolutions missing locally are looked up
 * in them; a layer found there is used by descriptor ("registry_cache": true in the
 * result's layers), its bytes fetched only by an output that needs them. With cache_to, the
 * entries are written after the pushes (read, merge, write, read back; see build.c "Registry
 * cache"); the result's "cache" says what was read and written, and a failed write is a
 * warning, the image being done. 
 * With several platforms (spec.platforms, else the config's platforms list) the build is
 * handed, after its plan, to the multi-platform driver (multi.h pcb_multi_run): one index. 
 * On cancel returns PCB_ECANCELED. */
int pcb_build_run(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err);

/* ---- One platform's image, for the multi-platform driver (multi.c) ----------------------
 *
 * The single-platform pipeline split at its steps: a part is planned for one platform (the
 * spec's platform replaced by it), then its base is resolved and its dependencies resolved,
 * fetched and packed (prepare), the app layer packed (app) or taken from another part
 * (share_app: the same files with the same options make the same layer, so it is packed
 * once), then its config and manifest are stored (image) — never tagged, exported or pushed.
 * Each part holds pins on every blob it uses until it is destroyed.
 *
 * Thread-safety: different parts may run on different threads at once (each with a ctx of
 * its own whose emit the caller serialises); one part is used by one thread at a time. The
 * spec and ctx are borrowed and must outlive the part. */
struct pcb_build_part;

struct pcb_build_part_info {
	const char *manifest_digest;          /* after pcb_build_part_image */
	uint64_t manifest_size;
	const struct pcb_platform *platform;
	const struct pcb_strv *tags;          /* "repo:tag", the first names the image */
	const struct pcb_strv *ref_names;     /* tag parts, for OCI layouts */
	const char *image_name;
	bool scratch;                         /* no base image */
};

/* Plans the build for platform ("os/arch[/variant]"). Emits nothing. */
int pcb_build_part_create(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const char *platform, struct pcb_build_part **out, struct pcb_err *err);
/* The base image resolved for the part's platform, then its dependency layers. */
int pcb_build_part_prepare(struct pcb_build_part *bp, struct pcb_err *err);
/* Packs the app layer (or takes it from the layer cache). */
int pcb_build_part_app(struct pcb_build_part *bp, struct pcb_err *err);
/* Uses from's app layer (packed by pcb_build_part_app) and pins it for bp too. */
void pcb_build_part_share_app(struct pcb_build_part *bp, const struct pcb_build_part *from);
/* Stores the part's config and manifest (no tags). */
int pcb_build_part_image(struct pcb_build_part *bp, struct pcb_err *err);
/* Fetches the base layers the store lacks (an output holding every byte needs them). */
int pcb_build_part_fetch_base(struct pcb_build_part *bp, struct pcb_err *err);
/* Appends the digests of the part's config and layers to out (not its manifest). */
void pcb_build_part_blobs(const struct pcb_build_part *bp, struct pcb_strv *out);
void pcb_build_part_info(const struct pcb_build_part *bp, struct pcb_build_part_info *out);
/* The part's BuildResult fields (manifest, config, layers, dependencies, base, platform).
 * Caller puts. */
json_object *pcb_build_part_result(const struct pcb_build_part *bp);
void pcb_build_part_destroy(struct pcb_build_part *bp);

/* ---- Rebase: a new base under a built image, nothing of ours repacked (image/rebase.h) ----
 *
 * POST /v1/rebases, a job of kind "rebase". All strings owned. */
struct pcb_rebase_spec {
	char *image;                 /* the image: a tag of the caller's (or a shared one),
	                              * NAME@sha256:…, sha256:… or a build id "b-…" */
	char *base;                  /* the new base, resolved as a build's --base-image is;
	                              * NULL = what the base tag the image records
	                              * (org.opencontainers.image.base.name) names now */
	struct pcb_strv tags;        /* tags for the result; empty = the image's tag */
	bool pull;                   /* ask the base's registry even when the store has it */
	char *base_registry;         /* as spec.base_registry of a build; NULL = the daemon's */
	struct pcb_transfer_access access;
	/* Set by the daemon, never from JSON: the manifest a build id names, and whose tags
	 * are read and written. */
	char *manifest_digest;
	struct pcb_cred as;
};
void pcb_rebase_spec_init(struct pcb_rebase_spec *s);
void pcb_rebase_spec_free(struct pcb_rebase_spec *s);
/* Strict parse of {"image", "base", "tags", "pull", "base_registry"} plus the credential
 * fields (transfer.h): PCB_EINVAL naming the field. An image named by digest or build id
 * needs a tag. */
int pcb_rebase_spec_from_json(json_object *j, struct pcb_rebase_spec *s, struct pcb_err *err);
/* The spec without credentials. Caller puts. */
json_object *pcb_rebase_spec_to_json(const struct pcb_rebase_spec *s);
/* Runs on a worker thread: resolves the image (the caller's tags), its old base (the store,
 * else pulled by digest) and the new base (store tags, else its registry, for the image's
 * platform), derives the new manifest and config (pcb_rebase_apply) and tags the result.
 * Emits phases rebase, base, config, tag. *result_out (caller puts):
 * {"image": {ref, digest}, "manifest", "config": descriptors, "layers": [{…, diff_id, name}],
 *  "base" / "old_base": {ref, digest, layers, python}, "tags", "platform", "rebased": false
 *  when the image already has that base (nothing written; the tags still set)}. */
int pcb_rebase_run(const struct pcb_rebase_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err);

#endif
