/* rcache.h — the registry cache: our layer-cache keys and pip's remembered answers, shared
 * between daemons through any OCI registry as one artifact, so that a runner with an empty
 * store reuses layers another daemon packed without packing or downloading them.
 *
 * The artifact (what `--cache-to REF` writes and `--cache-from REF` reads) is an OCI image
 * manifest:
 *   artifactType  application/vnd.pycontainer.cache.v1+json
 *   config        the mapping, a JSON blob of that media type (below)
 *   layers        every layer an entry names (their own media types), so that the registry
 *                 keeps them as long as the cache tag lives, and a push elsewhere on the
 *                 registry can mount them
 * The mapping:
 *   {"version": 1,
 *    "layers": {KEY: {"mediaType", "digest", "size", "diff_id", "uncompressed_size",
 *                     "entries", "name", "dists"?}},
 *    "resolutions": {KEY: {"wheels": [{name, version, filename, sha256, size}], "pinned",
 *                          "resolved_ms"}}}
 * Keys are the portable ones of the local caches: "c:sha256:…" content keys of lcache.h (the
 * app, venv and project layers: image paths, modes, file contents, packing options, salt),
 * "d:sha256:…" dependency layers (deps.c: wheel sha256s and names, target, interpreter, venv,
 * bytecode compiler, packing options) and "r:…" resolutions (deps.c: requirement files,
 * indexes, target, pip). A key says everything that makes the bytes, so a hit is exact.
 *
 * Trust: an entry is used only when its descriptor is well formed, its layer is one the
 * artifact's manifest lists with the same size, and the registry answers a HEAD for it with
 * that size (checked the first time the entry is used). Anything else is ignored with a
 * warning, and the layer is built. Blobs fetched later (an OCI layout output) are verified
 * against their digest as every download is.
 *
 * Thread-safety: a struct pcb_rcache may be used from several threads at once (the parts of
 * a multi-platform build): it is guarded inside. The verify callback is called with that
 * lock held, so checks of one cache are serialised. The mapping helpers are reentrant. */
#ifndef PCB_RCACHE_H
#define PCB_RCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "image/layer.h"
#include "image/store.h"

#define PCB_MT_RCACHE "application/vnd.pycontainer.cache.v1+json"
/* The most a mapping blob may hold, and entries of each kind in it. */
#define PCB_RCACHE_MAPPING_MAX ((size_t)32 << 20)
#define PCB_RCACHE_ENTRIES_MAX 50000

struct pcb_rcache;

/* Asks the registry whether repository there holds digest: 0 and *size_out, or an error
 * (PCB_ENOENT when it does not). Called with the cache's lock held. */
typedef int (*pcb_rcache_verify_fn)(void *ud, const char *registry, const char *repository,
    const char *digest, uint64_t *size_out, struct pcb_err *err);

/* An empty cache over store (borrowed; locations of the remote layers used are recorded in
 * it, so pushes mount or skip them and outputs fetch them, see registry/transfer.h). verify
 * may be NULL (entries are then trusted on the manifest's word alone: tests only). Caller
 * destroys. */
struct pcb_rcache *pcb_rcache_create(struct pcb_store *store, pcb_rcache_verify_fn verify,
    void *verify_ud);
void pcb_rcache_destroy(struct pcb_rcache *rc);

/* Adds the entries of one artifact read from registry/repository: manifest is its manifest,
 * mapping its config blob (both borrowed). An artifact of another type or version is
 * PCB_EINVAL; entries that are not usable are skipped with a warning (pcb_rcache_warnings).
 * A key already imported from an earlier artifact keeps that entry (--cache-from order).
 * *n_out (may be NULL) gets the number of entries taken. */
int pcb_rcache_import(struct pcb_rcache *rc, json_object *manifest, json_object *mapping,
    const char *registry, const char *repository, size_t *n_out, struct pcb_err *err);
/* Whether anything was imported (a layer entry, a resolution). */
bool pcb_rcache_has_layers(struct pcb_rcache *rc);

/* The imported layer entry for key, checked (see Trust) and its location recorded: true and
 * *res filled (media_type a static string), *extra_out (may be NULL; caller puts; NULL when
 * the entry has none) its "dists". False when there is none or it is not usable. */
bool pcb_rcache_layer_find(struct pcb_rcache *rc, const char *key,
    struct pcb_layer_result *res, json_object **extra_out);
/* A layer this build used under key (packed, reused locally or from the registry), for
 * writing. name is what the build calls it ("app", "deps:flask"); extra (may be NULL) is
 * kept with a reference. A later note of the same key replaces. */
void pcb_rcache_layer_note(struct pcb_rcache *rc, const char *key, const char *name,
    const struct pcb_layer_result *res, json_object *extra);

/* The imported resolution for key (caller puts *value_out) / a resolution this build used
 * (value kept with a reference). */
bool pcb_rcache_resolution_find(struct pcb_rcache *rc, const char *key,
    json_object **value_out);
void pcb_rcache_resolution_note(struct pcb_rcache *rc, const char *key, json_object *value);

/* Moves the warnings gathered so far (unusable entries) to out. */
void pcb_rcache_warnings(struct pcb_rcache *rc, struct pcb_strv *out);
/* Counters for the build result. */
struct pcb_rcache_stats {
	size_t imported_layers, imported_resolutions;
	size_t layer_hits, resolution_hits, ignored;
	size_t noted_layers, noted_resolutions;
};
void pcb_rcache_stats(struct pcb_rcache *rc, struct pcb_rcache_stats *out);

/* ---- writing --------------------------------------------------------------------------- */

/* The mapping to write: the noted layers (only those whose digest is in keep, when keep is
 * not NULL: mode=min keeps the final image's layers) and resolutions, over base (the
 * mapping the registry has now, or NULL): base's entries stay unless noted again, so that
 * writers merge rather than replace. Base entries that are not well formed are dropped.
 * Caller puts. */
json_object *pcb_rcache_mapping(struct pcb_rcache *rc, const struct pcb_strv *keep,
    json_object *base);
/* True when mapping has every key pcb_rcache_mapping(rc, keep, NULL) would write. */
bool pcb_rcache_mapping_covers(struct pcb_rcache *rc, const struct pcb_strv *keep,
    json_object *mapping);
/* Number of layer and resolution entries of a mapping. */
void pcb_rcache_mapping_count(json_object *mapping, size_t *layers, size_t *resolutions);
/* Stores mapping and its artifact manifest in store (pinned: the caller unpins both
 * digests, mapping_digest then manifest_digest, once pushed). */
int pcb_rcache_artifact_put(struct pcb_store *store, json_object *mapping,
    char mapping_digest[PCB_DIGEST_BUFSZ], char manifest_digest[PCB_DIGEST_BUFSZ],
    struct pcb_err *err);
/* The mapping blob's digest and size named by an artifact manifest, after checking it is
 * one of ours: PCB_EINVAL naming what is wrong. */
int pcb_rcache_artifact_mapping(json_object *manifest, const char **digest_out,
    uint64_t *size_out, struct pcb_err *err);

/* "REF[,mode=min|max]" (also buildx's "type=registry,ref=REF,mode=…"): *ref_out (caller
 * frees) and *max_out. With allow_mode false a mode is an error (--cache-from). PCB_EINVAL
 * naming the text otherwise. The reference itself is checked by the caller. */
int pcb_rcache_parse_ref(const char *text, bool allow_mode, char **ref_out, bool *max_out,
    struct pcb_err *err);

#endif
