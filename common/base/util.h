/* util.h — small helpers every module uses: allocation that aborts on failure, bounded
 * buffers, string vectors, file and path helpers, time and digest formatting.
 *
 * Thread-safety: all functions are safe from any thread; objects belong to their caller. */
#ifndef PCB_UTIL_H
#define PCB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

#define PCB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure aborts the process (DESIGN.md): these never return NULL. */
void *pcb_xmalloc(size_t n);
void *pcb_xcalloc(size_t n, size_t size);
void *pcb_xrealloc(void *p, size_t n);
char *pcb_xstrdup(const char *s);              /* s may be NULL → NULL */
char *pcb_xstrndup(const char *s, size_t n);
char *pcb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer with a hard maximum fixed at init: no unbounded input anywhere.
 * data is always NUL-terminated (the NUL is not counted in len). Embedded: _init/_free. */
struct pcb_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};
void pcb_buf_init(struct pcb_buf *b, size_t max);
/* Returns PCB_ETOOBIG (and appends nothing) when len + n would exceed max. */
int pcb_buf_append(struct pcb_buf *b, const void *p, size_t n);
int pcb_buf_appendf(struct pcb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (caller frees) and resets the buffer. */
char *pcb_buf_steal(struct pcb_buf *b, size_t *len_out);
void pcb_buf_free(struct pcb_buf *b);

/* A NULL-terminated vector of owned strings. Embedded: _init/_free. */
struct pcb_strv {
	char **v;     /* v[n] == NULL */
	size_t n;
	size_t cap;
};
void pcb_strv_init(struct pcb_strv *sv);
void pcb_strv_push(struct pcb_strv *sv, const char *s);     /* copies s */
void pcb_strv_push_owned(struct pcb_strv *sv, char *s);     /* takes ownership of s */
void pcb_strv_sort(struct pcb_strv *sv);                    /* byte order (strcmp) */
bool pcb_strv_contains(const struct pcb_strv *sv, const char *s);
void pcb_strv_free(struct pcb_strv *sv);

bool pcb_str_has_prefix(const char *s, const char *prefix);
bool pcb_str_has_suffix(const char *s, const char *suffix);

/* Joins a and b with exactly one '/'. Caller frees. */
char *pcb_path_join(const char *a, const char *b);
/* mkdir -p. Existing directories are fine. */
int pcb_mkdir_p(const char *path, mode_t mode, struct pcb_err *err);
/* rm -rf; missing path is fine. Does not follow symlinks. */
int pcb_rm_rf(const char *path, struct pcb_err *err);
/* Reads a whole regular file of at most max bytes (PCB_ETOOBIG beyond). *out is NUL-terminated;
 * caller frees. */
int pcb_read_file(const char *path, size_t max, char **out, size_t *len_out, struct pcb_err *err);
/* Writes a file atomically: temp file in the same directory, fsync, rename, fsync directory. */
int pcb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct pcb_err *err);
/* fsync the directory that holds path (after a rename into it). */
int pcb_fsync_parent(const char *path, struct pcb_err *err);
/* write(2) all of it, retrying on EINTR and short writes. Returns 0 or -errno. */
int pcb_write_all(int fd, const void *p, size_t n);

/* Time. */
int64_t pcb_now_ms(void);                       /* wall clock, ms since the epoch */
int64_t pcb_monotonic_ms(void);
/* RFC 3339 UTC with seconds: "2026-11-26T15:57:31Z". out needs 32 bytes. */
void pcb_time_rfc3339(int64_t unix_seconds, char out[32]);
/* Same with milliseconds: "2026-11-26T15:57:31.123Z". */
void pcb_time_rfc3339_ms(int64_t unix_ms, char out[32]);

/* Digests: "sha256:" + 64 lowercase hex = 71 chars + NUL. */
#define PCB_DIGEST_LEN 71
#define PCB_DIGEST_BUFSZ 72
void pcb_hex(const unsigned char *bin, size_t n, char *out /* 2n+1 */);
void pcb_sha256_digest_str(const unsigned char sha[32], char out[PCB_DIGEST_BUFSZ]);
/* Checks "sha256:<64 lowercase hex>". */
bool pcb_digest_valid(const char *digest);
/* One-shot SHA-256 of a buffer as "sha256:…". */
void pcb_sha256_buf(const void *p, size_t n, char out[PCB_DIGEST_BUFSZ]);

/* Random hex id of 2*nbytes chars (getrandom). out needs 2*nbytes+1. */
void pcb_random_hex(char *out, size_t nbytes);

#endif
