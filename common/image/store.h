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

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/cred.h"
#include "base/err.h"
#include "base/util.h"

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
/* The same for a destination that belongs to `as` (NULL or the daemon itself: as above):
 * a copy created, renamed and owned with their rights, never a link to the store's file. */
int pcb_store_export_as(struct pcb_store *s, const char *digest, const char *dst,
    const struct pcb_cred *as, struct pcb_err *err);

/* Tags: "name:tag" → manifest digest. Setting replaces. get returns PCB_ENOENT when unknown;
 * *digest_out is caller-freed. */
int pcb_store_tag_set(struct pcb_store *s, const char *name, const char *digest,
    struct pcb_err *err);
int pcb_store_tag_get(struct pcb_store *s, const char *name, char **digest_out,
    struct pcb_err *err);

/* Reserved store keys: PCB_STORE_REF_PREFIX + a subject's digest names the index of that
 * manifest's OCI 1.1 referrers (image/sbom.h). Such a key is no image name: it counts for
 * reachability only while its subject is reachable, and tag expiry and pcb_store_tag_usage
 * leave it out (the referrers go with their image). */
#define PCB_STORE_REF_PREFIX "~ref/"

/* Tags are per owner. A user's own are kept as "~<uid>/<name>", so alice's app:1 and bob's
 * app:1 are different images; the daemon's own user (root, TCP clients) writes the shared
 * names every user may read (as a base, as a push source). The key `as` writes `name` under
 * (caller frees); as NULL or the daemon's own: name itself. */
char *pcb_store_tag_key(const struct pcb_cred *as, const char *name);
int pcb_store_tag_set_as(struct pcb_store *s, const struct pcb_cred *as, const char *name,
    const char *digest, struct pcb_err *err);
/* What each tag holds, for `pcb cache du`: the blobs its image reaches that are in the store
 * (bytes, blobs) and of those the ones no other tag reaches (unique_bytes: what untagging it
 * would free), and when a build or push last used it. Sorted by name (the store keys,
 * "~<uid>/…" for users' tags). Free with pcb_store_tag_usage_free. */
struct pcb_store_tag_use {
	char *name;
	char digest[PCB_DIGEST_BUFSZ];
	int64_t used_ms;
	uint64_t bytes, unique_bytes, blobs;
};
int pcb_store_tag_usage(struct pcb_store *s, struct pcb_store_tag_use **out, size_t *n_out,
    struct pcb_err *err);
void pcb_store_tag_usage_free(struct pcb_store_tag_use *v, size_t n);

/* `as`'s own tag first, then the shared one of that name. */
int pcb_store_tag_get_as(struct pcb_store *s, const struct pcb_cred *as, const char *name,
    char **digest_out, struct pcb_err *err);

/* One tag, for listings: its store key ("app:1", or "~<uid>/app:1" for a user's own), the
 * manifest digest it names and when it was last set. */
struct pcb_store_tag {
	char *name;                 /* owned */
	char digest[PCB_DIGEST_BUFSZ];
	int64_t updated_ms;
};
/* Every tag, sorted by store key. Caller frees with pcb_store_tags_free(). */
int pcb_store_tag_list(struct pcb_store *s, struct pcb_store_tag **out, size_t *n_out,
    struct pcb_err *err);
void pcb_store_tags_free(struct pcb_store_tag *t, size_t n);
/* Removes the tag with this store key (PCB_ENOENT when there is none). Only the name goes:
 * blobs no other tag reaches become unreferenced and leave with the cache collection. When
 * expect_digest is not NULL the tag is removed only while it still names that digest
 * (PCB_ECONFLICT otherwise), so an untag racing a rebuild never drops the new image. */
int pcb_store_tag_delete(struct pcb_store *s, const char *name, const char *expect_digest,
    struct pcb_err *err);
/* The derived-layer cache's description (the JSON text pcb_store_cache_set stored: diff_id,
 * tar_size, …) of some entry whose layer blob is `digest`, without marking it used.
 * PCB_ENOENT when no entry names that blob. *value_out is caller-freed. */
int pcb_store_cache_find_digest(struct pcb_store *s, const char *digest, char **value_out,
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

/* --- cache health: pins, usage, eviction, verification ------------------------------------
 *
 * Words used below. A blob is *referenced* when it is reachable from a tag: tag → manifest
 * (OCI or Docker v2) or index / manifest list → child manifests → config + layers. A
 * referenced digest need not be in the store (base images are pulled lazily: manifest and
 * config stored, layers fetched later from their recorded locations), and that is not damage.
 * A blob is *pinned* while its in-memory pin count is above zero. Its *age* is now minus its
 * last_used_ms, which commit, pcb_store_read, pcb_store_touch and a layer-cache hit refresh.
 *
 * Eviction never removes a referenced or pinned blob, nor one younger than the keep
 * duration (unless the caller asks for `all`), nor one used at or after protect_since_ms.
 * Tagged images are never evicted: when the limits cannot be met without them, the report
 * says so and the caller decides (untag, or raise the limit).
 *
 * Crash safety of a removal: the index rows (blobs and the layer_cache rows naming the blob)
 * go first in one transaction, then the file. A crash in between leaves an unindexed file,
 * which pcb_store_verify() re-indexes (its bytes match its name) and the start-up sweep
 * (policy.sweep_unindexed) removes once it is older than the keep duration. An index row
 * never names a file that was deliberately deleted. Removals and commits of the same digest
 * are serialised inside the store, so a blob committed while a collection runs survives it. */

/* Pins: the build engine pins every blob a running job creates or uses (base layers it will
 * export, cached layers it reuses, wheels it installs, blobs it just committed) and unpins
 * each when the job ends; a digest may be pinned before its blob exists (a blob about to be
 * fetched). Pins nest (a count per digest), live in memory only, and belong to this store
 * object. pin returns PCB_EINVAL for a malformed digest; unpin of a digest not pinned is a
 * no-op. Any thread. Tip: pin right after pcb_blob_writer_commit(); the commit refreshed
 * last_used_ms, and a collection never removes blobs used after the oldest running job
 * started (protect_since_ms), so nothing is lost in between. */
int pcb_store_pin(struct pcb_store *s, const char *digest);
void pcb_store_unpin(struct pcb_store *s, const char *digest);
unsigned pcb_store_pin_count(struct pcb_store *s, const char *digest);

/* What a blob is, from its media type. */
enum pcb_store_kind {
	PCB_STORE_KIND_MANIFEST = 0,   /* OCI / Docker manifests, indexes, manifest lists */
	PCB_STORE_KIND_CONFIG,
	PCB_STORE_KIND_LAYER,
	PCB_STORE_KIND_WHEEL,          /* application/vnd.pypa.wheel+zip */
	PCB_STORE_KIND_OTHER,
	PCB_STORE_KIND_COUNT,
};
enum pcb_store_kind pcb_store_media_kind(const char *media_type);   /* NULL → other */
const char *pcb_store_kind_name(enum pcb_store_kind k);   /* "manifests", "configs", … */

/* Limits the daemon keeps with its store (set once at start-up, read by any thread). */
struct pcb_store_policy {
	uint64_t max_bytes;        /* 0 = no size limit */
	uint64_t min_free_bytes;   /* 0 = no free-space guard */
	int64_t keep_ms;           /* never evict blobs used within this long */
	int64_t tag_keep_ms;       /* untag images no build or push used this long (0: never) */
};
#define PCB_STORE_DEFAULT_MAX_BYTES ((uint64_t)20 << 30)    /* 20 GiB */
#define PCB_STORE_DEFAULT_MIN_FREE ((uint64_t)2 << 30)      /* 2 GiB */
#define PCB_STORE_DEFAULT_KEEP_MS ((int64_t)3600 * 1000)    /* 1 hour */
/* A new store starts with the defaults above. */
void pcb_store_set_policy(struct pcb_store *s, const struct pcb_store_policy *p);
void pcb_store_get_policy(struct pcb_store *s, struct pcb_store_policy *out);

struct pcb_store_count {
	uint64_t blobs;
	uint64_t bytes;
};

struct pcb_store_usage {
	struct pcb_store_count total;                        /* every indexed blob */
	struct pcb_store_count by_kind[PCB_STORE_KIND_COUNT];
	struct pcb_store_count referenced;                   /* stored and reachable from tags */
	struct pcb_store_count pinned;                       /* stored and pinned */
	uint64_t tags;
	uint64_t layer_cache_entries;
	uint64_t free_bytes;        /* statvfs of the store's filesystem, for unprivileged users */
	uint64_t fs_bytes;          /* size of that filesystem */
};
int pcb_store_usage(struct pcb_store *s, struct pcb_store_usage *out, struct pcb_err *err);

/* One indexed blob, for listings. */
struct pcb_store_entry {
	char digest[PCB_DIGEST_BUFSZ];
	uint64_t size;
	char *media_type;           /* owned; NULL when unknown */
	int64_t created_ms;
	int64_t last_used_ms;
	bool referenced;
	unsigned pins;
};
enum pcb_store_sort { PCB_STORE_SORT_LRU = 0, PCB_STORE_SORT_SIZE };
/* Up to `limit` entries (least recently used first, or largest first); *total_out (may be
 * NULL) the number of indexed blobs. Caller frees with pcb_store_entries_free(). */
int pcb_store_entries(struct pcb_store *s, enum pcb_store_sort sort, size_t limit,
    struct pcb_store_entry **out, size_t *n_out, uint64_t *total_out, struct pcb_err *err);
void pcb_store_entries_free(struct pcb_store_entry *e, size_t n);

/* One collection. Two modes:
 *   until_limit = true: evict least recently used eligible blobs until the store is within
 *     max_bytes and the filesystem has min_free_bytes free (either 0 = not checked); nothing
 *     is removed when the store is already within both (the daemon's automatic runs).
 *   until_limit = false: evict every eligible blob (`pcb cache prune`).
 * Eligible: indexed, unreferenced, unpinned, unused for keep_ms (all = true: any age) and
 * unused since protect_since_ms (0 = no such bound). */
struct pcb_store_gc_opts {
	bool until_limit;
	uint64_t max_bytes;
	uint64_t min_free_bytes;
	int64_t keep_ms;
	bool all;
	int64_t protect_since_ms;
	bool dry_run;               /* report what would go, remove nothing */
	bool sweep_unindexed;       /* also remove blob files without an index row that are
	                             * older than keep_ms (left by a crash mid-removal) */
	int64_t tag_keep_ms;        /* first untag images unused this long (0: keep every tag);
	                             * tags used since protect_since_ms stay */
};
struct pcb_store_gc_report {
	struct pcb_store_count before;          /* indexed blobs at the start */
	struct pcb_store_count removed;
	struct pcb_store_count kept;            /* what stays (before - removed) */
	struct pcb_store_count kept_referenced;
	struct pcb_store_count kept_pinned;     /* pinned and not referenced */
	struct pcb_store_count kept_recent;     /* unreferenced, unpinned, too recently used */
	struct pcb_store_count kept_spare;      /* eligible, but the limits were already met */
	uint64_t layer_cache_removed;           /* layer_cache rows that went with their blob */
	uint64_t tags_removed;                  /* tags expired by tag_keep_ms */
	uint64_t unindexed_removed;             /* files removed by the sweep */
	uint64_t need_bytes;                    /* how much the limits asked to free (until_limit) */
	uint64_t free_bytes;                    /* filesystem free space at the end */
	bool limit_met;                         /* true also when no limit applied */
	char reason[256];                       /* why the limit was not met, else "" */
};
int pcb_store_gc(struct pcb_store *s, const struct pcb_store_gc_opts *o,
    struct pcb_store_gc_report *r, struct pcb_err *err);

/* Verification: re-hashes every indexed blob and looks for blob files the index lacks.
 * Problems: "missing" (indexed, no file), "truncated" (file shorter than indexed, or content
 * that does not match its name while being shorter), "corrupt" (content does not match its
 * name), "unindexed" (a file whose bytes match its name but has no row). With repair: a bad
 * blob loses its file and its rows (layer_cache rows too), a missing one its rows, an
 * unindexed one is indexed (media type unknown); a file with a malformed name is left alone.
 * Progress (may be NULL) is called now and then with bytes hashed so far and the total;
 * cancel (may be NULL) non-zero stops with PCB_ECANCELED. Runs on a worker; any thread. */
struct pcb_store_problem {
	char digest[PCB_DIGEST_BUFSZ];
	const char *problem;        /* static: "missing" | "truncated" | "corrupt" | "unindexed" */
	uint64_t indexed_size;      /* 0 for unindexed */
	uint64_t file_size;         /* 0 for missing */
	bool repaired;
};
struct pcb_store_verify_report {
	uint64_t checked;           /* blobs looked at (indexed rows + unindexed files) */
	uint64_t bytes;             /* bytes hashed */
	uint64_t repaired;
	uint64_t layer_cache_removed;
	struct pcb_store_problem *bad;   /* owned; free with pcb_store_verify_report_free */
	size_t n_bad;
};
int pcb_store_verify(struct pcb_store *s, bool repair, const atomic_int *cancel,
    void (*progress)(void *ud, uint64_t done, uint64_t total), void *ud,
    struct pcb_store_verify_report *r, struct pcb_err *err);
void pcb_store_verify_report_free(struct pcb_store_verify_report *r);

/* Parsers shared by the daemon's flags, the API and the client. Sizes: a whole number with an
 * optional K, M, G or T suffix (powers of 1024; a trailing "B" or "iB" is allowed: "20G",
 * "512MiB", "0"). Durations: a whole number with s, m, h or d ("90s", "1h", "7d"; no suffix
 * = seconds). PCB_EINVAL naming the text on anything else or on overflow. */
int pcb_store_parse_size(const char *s, uint64_t *out, struct pcb_err *err);
int pcb_store_parse_duration(const char *s, int64_t *ms_out, struct pcb_err *err);

#endif
