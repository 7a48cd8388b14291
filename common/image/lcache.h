/* lcache.h — "nothing done twice" for layers: pcb_lcache_pack gives the same result as
 * pcb_layer_pack, but reuses a layer already in the store when its inputs are unchanged, and
 * packs a layer that many threads ask for at once only once.
 *
 * Two keys name a layer's inputs; both go to the store's layer cache (pcb_store_cache_*):
 *   stat key    "s:sha256:…"  every entry of the list (type, image path, mode, size, link) and,
 *               for each regular file, its host path and lstat identity (dev, inode, size,
 *               mtime_ns, ctime_ns, mode), plus every packing option that changes the bytes and
 *               the caller's salt. A hit reads no file content at all. The identity is the
 *               one pcb_layer_list_add saw (pcb_layer_entry.have_stat): no second lstat;
 *               entries without it are lstat'ed here.
 *   content key "c:sha256:…"  the same entries with each file's content SHA-256 instead of its
 *               lstat identity. Content digests come from the fingerprint index
 *               (<store root>/fingerprints.db: host path + lstat identity → SHA-256), so only
 *               files whose identity changed are read. A hit covers "touched but unchanged",
 *               a tree copied elsewhere, a file renamed back, …
 * ctime is in the identity because it cannot be set from user space: a write that restores
 * size and mtime (utimensat) still changes it.
 *
 * A file whose ctime is not older than the coarse clock when its content was read is "racy"
 * (a later write within the same clock tick could leave every stat field equal): it is used
 * for this build but neither fingerprinted nor allowed into a stat key.
 *
 * fingerprints.db is only a cache: missing, unreadable or corrupt, it is recreated, and any
 * failure of it or of the layer cache costs time, never a build.
 *
 * Thread-safety: every function may be called from any thread at once. State shared across
 * calls (open fingerprint databases, the single-flight table, counters) is process-wide and
 * guarded inside. */
#ifndef PCB_LCACHE_H
#define PCB_LCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "image/layer.h"
#include "image/store.h"

/* Packs the finished list l like pcb_layer_pack, or reuses an earlier result.
 *   salt   text naming every input outside l and opts that changes the bytes (e.g. a layout
 *          version of the caller); NULL and "" differ. Borrowed.
 *   reused (may be NULL) true when nothing was packed.
 * opts may be NULL (pcb_layer_pack's defaults). opts->cancel is also honoured while waiting
 * for another thread packing the same layer. On a reuse the progress callback (if any) is
 * called once with done == total. res is written on success only. */
int pcb_lcache_pack(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *opts, const char *salt, struct pcb_layer_result *res,
    bool *reused, struct pcb_err *err);

/* The same with a registry cache (image/rcache.h; may be NULL): when neither local key hits,
 * the content key is looked up in the entries imported from --cache-from, and a usable entry
 * gives the layer's descriptor without its bytes (*remote set, *reused too; the store does
 * not have the blob, whose location the cache recorded). Whatever layer results is noted in
 * rcache under its content key, named name, for --cache-to: a stat hit finds that key in its
 * entry (entries written before it was recorded there are not noted). With a registry cache
 * the content key is computed even for trees over the hash-before-pack limit. remote may be
 * NULL. */
struct pcb_rcache;
int pcb_lcache_pack_rc(struct pcb_store *store, struct pcb_rcache *rcache, const char *name,
    const struct pcb_layer_list *l, const struct pcb_layer_opts *opts, const char *salt,
    struct pcb_layer_result *res, bool *reused, bool *remote, struct pcb_err *err);

/* Process-wide counters since start (monotonic; tests compare before/after). */
struct pcb_lcache_stats {
	uint64_t stat_hits;       /* reused through the stat key: nothing read */
	uint64_t content_hits;    /* reused through the content key */
	uint64_t misses;          /* packed */
	uint64_t waits;           /* calls that waited for another thread packing the same key */
	uint64_t files_hashed;    /* files read by the cache itself to learn their digest */
	uint64_t bytes_read;      /* bytes of those files */
	uint64_t fp_resets;       /* fingerprints.db found unusable and recreated */
	uint64_t files_lstat;     /* file entries the cache lstat'ed to key them: those without
	                           * the walk's stat (pcb_layer_entry.have_stat) */
};
void pcb_lcache_stats(struct pcb_lcache_stats *out);

/* Closes every fingerprint database this process opened (they reopen on next use). For exit
 * paths and leak checkers; must not race with pcb_lcache_pack. */
void pcb_lcache_shutdown(void);

#endif
