/* layer.h — the layer packer: a list of entries (host file → path in the image) becomes a
 * deterministic tar stream, hashed (diff_id), compressed (gzip or zstd, in parallel) and hashed
 * again (digest) in one pass, and written straight into the blob store. Nothing is held whole
 * in memory.
 *
 * Determinism rules (DESIGN.md "Reproducible"): entries sorted by path in byte order, every
 * parent directory present as an entry, uid/gid 0, no user/group names, mtime fixed by the
 * caller (SOURCE_DATE_EPOCH or 0), modes normalised (dirs 0755; files 0755 if any executable
 * bit is set on the host, else 0644; symlinks 0777), PAX headers for what ustar cannot hold
 * (long paths, non-ASCII names, big sizes) with fixed header names, fixed gzip header
 * (no name, mtime 0, OS 255) in every member, fixed chunk size and levels: the bytes do not
 * depend on the number of workers or on timing. (They do depend on the libdeflate / libzstd
 * version, as they did on zlib's.)
 *
 * Thread-safety: a list belongs to one thread; pcb_layer_pack may run on any thread, several
 * at once (they share one pool of compression threads). */
#ifndef PCB_LAYER_H
#define PCB_LAYER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/cred.h"
#include "base/err.h"
#include "base/util.h"
#include "image/store.h"

enum pcb_entry_type {
	PCB_ENTRY_FILE = 0,
	PCB_ENTRY_DIR,
	PCB_ENTRY_SYMLINK,
	PCB_ENTRY_HARDLINK,   /* set by pcb_layer_list_finish for the 2nd+ path of one inode */
};

struct pcb_layer_entry {
	char *path;     /* in the image, relative, no leading or trailing '/': "app/src/m.py" */
	char *src;      /* host path to read (files) or NULL (dirs made up for parents) */
	enum pcb_entry_type type;
	mode_t mode;    /* normalised permission bits */
	uint64_t size;  /* files: bytes at list time (a change while packing is an error) */
	char *link;     /* symlink target as stored on disk; hardlink: path of the first entry */
	dev_t dev;      /* for hard-link detection */
	ino_t ino;
	uint32_t nlink;
	/* The host file's lstat as the walk saw it (regular files added by pcb_layer_list_add:
	 * have_stat is true). lcache builds its stat key from these instead of a second lstat.
	 * Whoever points an entry at another src must clear have_stat (or fill these in). */
	bool have_stat;
	/* Whose rights src is read with (borrowed from the list's `as` when added; NULL: the
	 * daemon's own): a caller's context is read as the caller, never as root. */
	const struct pcb_cred *as;
	mode_t host_mode;   /* st_mode, file type bits included */
	int64_t mtime_ns;
	int64_t ctime_ns;
};

struct pcb_layer_list {
	struct pcb_layer_entry *v;
	size_t n;
	size_t cap;
	/* pcb_layer_list_add walks the subdirectories of what it adds on several threads (up to
	 * the CPUs online, at most 4); the entries and their order are the same as on one. The
	 * filter is then called from those threads at once, so it must be thread-safe. Off by
	 * default (pcb_layer_list_init). */
	bool parallel_walk;
	/* The rights pcb_layer_list_add walks with and records on the entries it adds (borrowed:
	 * must outlive the list's packing; NULL = the daemon's own). Set it before adding a
	 * caller's files, clear it before adding the daemon's (a staging folder). */
	const struct pcb_cred *as;
};

void pcb_layer_list_init(struct pcb_layer_list *l);
void pcb_layer_list_free(struct pcb_layer_list *l);

/* Decides whether a path under the context is included. relpath is relative to the context
 * root ("src/pkg/x.py"); return false to skip it (a skipped directory is not descended). */
typedef bool (*pcb_layer_filter_fn)(void *ud, const char *relpath, bool is_dir);

/* Adds context_root/rel (a file, a symlink or a whole directory tree, walked without following
 * symlinks) under dst_prefix in the image: context_root/src/a.py with dst_prefix "app" becomes
 * "app/src/a.py". Symlinks are kept as symlinks (target stored verbatim) and never followed,
 * so nothing outside the context is read. Sockets, fifos and devices are skipped with no error.
 * filter may be NULL. */
int pcb_layer_list_add(struct pcb_layer_list *l, const char *context_root, const char *rel,
    const char *dst_prefix, pcb_layer_filter_fn filter, void *ud, struct pcb_err *err);

/* Adds one entry explicitly (path in image, host source), copying it (have_stat and the stat
 * fields too: leave have_stat false unless they describe src; `as` is the list's, whatever e
 * holds). Used by tests and by later issues. */
void pcb_layer_list_add_entry(struct pcb_layer_list *l, const struct pcb_layer_entry *e);

/* Sorts, adds missing parent directories, drops exact duplicates (same path: first wins), and
 * turns second and later paths of one inode into hard links to the first. Idempotent. Each
 * pcb_layer_list_add leaves its entries sorted, so this is about linear in the list. */
void pcb_layer_list_finish(struct pcb_layer_list *l);

/* Compression of the layer blob. The numbers are part of the API (zero = gzip). */
enum pcb_compression {
	PCB_COMPRESS_GZIP = 0,
	PCB_COMPRESS_ZSTD,
};

/* The tar stream is cut into chunks of this many bytes, each compressed on its own (gzip: one
 * complete gzip member per chunk). It is part of the output format: changing it changes every
 * gzip layer digest. */
#define PCB_LAYER_CHUNK ((size_t)1 << 20)
/* Default gzip level (libdeflate), chosen by measurement: see the table in layer.c. */
#define PCB_LAYER_GZIP_DEFAULT 5
#define PCB_LAYER_ZSTD_DEFAULT 3

struct pcb_layer_opts {
	int64_t mtime;               /* seconds since the epoch for every entry */
	int gzip_level;              /* 1..12 (libdeflate); 0 = PCB_LAYER_GZIP_DEFAULT */
	atomic_int *cancel;          /* may be NULL; non-zero → stop with PCB_ECANCELED */
	/* Progress callback, called from the packing thread at most every 64 KiB of input;
	 * done/total are uncompressed file bytes. May be NULL. */
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	void *progress_ud;
	enum pcb_compression compression;   /* gzip (the zero value) or zstd */
	int zstd_level;              /* 1..19; 0 = PCB_LAYER_ZSTD_DEFAULT */
	/* How many compression threads of the process-wide pool this pack may use at once;
	 * 0 = all of them. The output bytes never depend on it. */
	int workers;
	/* Called from the packing thread for every regular file entry l->v[index] (not hard
	 * links, not directories) with the SHA-256 of its content as packed, in list order,
	 * and the file's fstat taken after its last byte was read (what the content belongs
	 * to: a caller compares it with the listing's lstat to know the file did not change
	 * before or while it was read). Costs one more SHA-256 pass over file data, so it is
	 * only computed when set. May be NULL. */
	void (*file_digest)(void *ud, size_t index, const unsigned char sha256[32],
	    const struct stat *st);
	void *file_digest_ud;
	/* pcb_lcache_pack only: pack even when the layer cache holds the layer (a build's
	 * --no-cache); the packed layer is still recorded under its keys. */
	bool no_reuse;
};

struct pcb_layer_result {
	char digest[PCB_DIGEST_BUFSZ];    /* sha256 of the compressed blob */
	char diff_id[PCB_DIGEST_BUFSZ];   /* sha256 of the uncompressed tar */
	uint64_t size;                    /* compressed bytes */
	uint64_t tar_size;                /* uncompressed bytes */
	const char *media_type;           /* static string: PCB_MT_LAYER_GZIP or _ZSTD */
	size_t n_entries;
};

#define PCB_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define PCB_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"

/* The media type of a layer compressed with c (static string). */
const char *pcb_layer_media_type(enum pcb_compression c);

/* Packs the finished list into a compressed tar blob in the store, in one pass: the calling
 * thread walks the list, writes the tar into fixed-size chunks and hashes it (diff_id);
 * threads of a process-wide pool compress the chunks in parallel; the calling thread hands
 * the compressed chunks to the store writer in order (which hashes them: digest). At most
 * 2 × workers chunks are in memory. On any error or cancellation nothing lands in the
 * store. Any thread may call it, any number at once. */
int pcb_layer_pack(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *opts, struct pcb_layer_result *res, struct pcb_err *err);

/* Totals of the packs that succeeded in this process (every caller: builds, host bases),
 * for the daemon's metrics. Any thread. */
struct pcb_layer_stats {
	uint64_t layers;        /* blobs packed */
	uint64_t bytes;         /* compressed bytes written to the store */
	uint64_t tar_bytes;     /* uncompressed tar bytes */
};
void pcb_layer_stats(struct pcb_layer_stats *out);

/* Stops and joins the compression pool's threads (they start again on the next pack). For
 * a clean exit; must not be called while a pack runs. Any thread. */
void pcb_layer_pool_shutdown(void);

#endif
