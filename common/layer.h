/* layer.h — the layer packer: a list of entries (host file → path in the image) becomes a
 * deterministic tar stream, hashed (diff_id), gzip-compressed and hashed again (digest) in one
 * pass, and written straight into the blob store. Nothing is held whole in memory.
 *
 * Determinism rules (DESIGN.md "Reproducible"): entries sorted by path in byte order, every
 * parent directory present as an entry, uid/gid 0, no user/group names, mtime fixed by the
 * caller (SOURCE_DATE_EPOCH or 0), modes normalised (dirs 0755; files 0755 if any executable
 * bit is set on the host, else 0644; symlinks 0777), PAX headers for what ustar cannot hold
 * (long paths, non-ASCII names, big sizes) with fixed header names, fixed gzip header
 * (no name, mtime 0, OS 255).
 *
 * Thread-safety: a list belongs to one thread; pcb_layer_pack may run on any worker. */
#ifndef PCB_LAYER_H
#define PCB_LAYER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "store.h"
#include "util.h"

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
};

struct pcb_layer_list {
	struct pcb_layer_entry *v;
	size_t n;
	size_t cap;
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

/* Adds one entry explicitly (path in image, host source). Used by tests and by later issues. */
void pcb_layer_list_add_entry(struct pcb_layer_list *l, const struct pcb_layer_entry *e);

/* Sorts, adds missing parent directories, drops exact duplicates (same path: first wins), and
 * turns second and later paths of one inode into hard links to the first. Idempotent. */
void pcb_layer_list_finish(struct pcb_layer_list *l);

struct pcb_layer_opts {
	int64_t mtime;               /* seconds since the epoch for every entry */
	int gzip_level;              /* 1..9; 0 = default (6) */
	atomic_int *cancel;          /* may be NULL; non-zero → stop with PCB_ECANCELED */
	/* Progress callback, called from the packing thread at most every 64 KiB of input;
	 * done/total are uncompressed file bytes. May be NULL. */
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	void *progress_ud;
};

struct pcb_layer_result {
	char digest[PCB_DIGEST_BUFSZ];    /* sha256 of the compressed blob */
	char diff_id[PCB_DIGEST_BUFSZ];   /* sha256 of the uncompressed tar */
	uint64_t size;                    /* compressed bytes */
	uint64_t tar_size;                /* uncompressed bytes */
	const char *media_type;           /* static string */
	size_t n_entries;
};

#define PCB_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"

/* Packs the finished list into a gzip'd tar blob in the store. */
int pcb_layer_pack(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *opts, struct pcb_layer_result *res, struct pcb_err *err);

#endif
