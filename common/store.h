/* store.h — the content-addressed blob store: blobs/sha256/<hex> under a root directory,
 * indexed in SQLite (digest, size, media type, created, last used), plus tags (name → manifest
 * digest) so images built without an output stay addressable.
 *
 * Writes are atomic: bytes go to tmp/ while being hashed, are fsync'd, checked against the
 * expected digest when one is given, renamed into place, then indexed. A crash leaves at worst
 * a stray temp file (removed at open) or an unindexed blob (re-indexed when written again).
 *
 * Thread-safety: a struct pcb_store may be shared by all threads (the SQLite handle is guarded
 * by a mutex inside); each struct pcb_blob_writer belongs to one thread. */
#ifndef PCB_STORE_H
#define PCB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

struct pcb_store;
struct pcb_blob_writer;

/* Opens (creating if needed) a store rooted at `root`: root/blobs/sha256, root/tmp,
 * root/store.db. Caller destroys with pcb_store_destroy(). */
int pcb_store_create(const char *root, struct pcb_store **out, struct pcb_err *err);
void pcb_store_destroy(struct pcb_store *s);

const char *pcb_store_root(const struct pcb_store *s);   /* borrowed */

/* Streaming writer. Bytes are hashed as they are written. */
int pcb_store_writer_create(struct pcb_store *s, struct pcb_blob_writer **out,
    struct pcb_err *err);
int pcb_blob_writer_write(struct pcb_blob_writer *w, const void *p, size_t n,
    struct pcb_err *err);
/* Finishes the blob: fsync, verify against `expected_digest` (NULL = accept the computed one),
 * rename into blobs/, index with `media_type`. Destroys w in every case. digest_out (may be
 * NULL) gets "sha256:…", size_out (may be NULL) the byte count. If the blob already exists the
 * new copy is dropped and the index entry touched. */
int pcb_blob_writer_commit(struct pcb_blob_writer *w, const char *media_type,
    const char *expected_digest, char digest_out[PCB_DIGEST_BUFSZ], uint64_t *size_out,
    struct pcb_err *err);
/* Throws the temp file away. Destroys w. */
void pcb_blob_writer_abort(struct pcb_blob_writer *w);

/* Convenience: a whole buffer as one blob. */
int pcb_store_put(struct pcb_store *s, const void *data, size_t len, const char *media_type,
    char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err);

/* Blob metadata. Returns PCB_ENOENT when unknown. media_type_out (may be NULL) is caller-freed. */
int pcb_store_stat(struct pcb_store *s, const char *digest, uint64_t *size_out,
    char **media_type_out, struct pcb_err *err);
/* Path of a blob file (whether or not it exists). Caller frees. */
char *pcb_store_blob_path(const struct pcb_store *s, const char *digest);
/* Reads a small blob fully (at most max bytes) and verifies its digest. Caller frees *out. */
int pcb_store_read(struct pcb_store *s, const char *digest, size_t max, char **out,
    size_t *len_out, struct pcb_err *err);
/* Marks a blob as used now (for LRU eviction later). */
int pcb_store_touch(struct pcb_store *s, const char *digest, struct pcb_err *err);
/* Puts a copy of a blob at dst: hard link when on the same filesystem, else a copy written
 * atomically. An existing dst with the right content is left alone. */
int pcb_store_export(struct pcb_store *s, const char *digest, const char *dst,
    struct pcb_err *err);

/* Tags: "name:tag" → manifest digest. Setting replaces. get returns PCB_ENOENT when unknown;
 * *digest_out is caller-freed. */
int pcb_store_tag_set(struct pcb_store *s, const char *name, const char *digest,
    struct pcb_err *err);
int pcb_store_tag_get(struct pcb_store *s, const char *name, char **digest_out,
    struct pcb_err *err);

/* Blob locations: which registry ("host:port" as the registry client names it) and repository
 * are known to hold a blob, recorded after a push or pull. They are hints, not truth: a
 * registry may have garbage-collected the blob since. add refreshes seen_ms. */
int pcb_store_location_add(struct pcb_store *s, const char *digest, const char *registry,
    const char *repository, struct pcb_err *err);
int pcb_store_location_has(struct pcb_store *s, const char *digest, const char *registry,
    const char *repository, bool *has_out, struct pcb_err *err);
/* Appends to repos_out (initialised by the caller) the repositories on registry known to hold
 * digest, most recently seen first, at most 16. */
int pcb_store_location_repos(struct pcb_store *s, const char *digest, const char *registry,
    struct pcb_strv *repos_out, struct pcb_err *err);
/* Appends the registries known to hold digest (any repository), most recently seen first,
 * at most 16. */
int pcb_store_location_registries(struct pcb_store *s, const char *digest,
    struct pcb_strv *registries_out, struct pcb_err *err);

/* The derived-layer cache: key (a caller-made digest of every input of a layer) → the layer
 * blob digest plus a small JSON text describing it (diff_id, sizes, entries). get returns
 * PCB_ENOENT when unknown and marks the entry used; the caller checks the blob is still in
 * the store. set replaces. */
int pcb_store_cache_get(struct pcb_store *s, const char *key, char **value_out,
    struct pcb_err *err);
int pcb_store_cache_set(struct pcb_store *s, const char *key, const char *digest,
    const char *value, struct pcb_err *err);

#endif
