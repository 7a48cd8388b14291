/* testutil.h — helpers shared by the Check suites: per-test temp dirs, writing fixture files,
 * running commands, finding the built binaries, and starting a real daemon for integration
 * tests. Test code only. */
#ifndef PCB_TESTUTIL_H
#define PCB_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct Suite;

/* Runs a Check suite (CK_NORMAL output, whose closing line run-tests.sh reads) and returns the
 * process exit status: 0 when every test passed. */
int pcb_test_run_suite(struct Suite *s);

/* A fresh directory under $TMPDIR (or /tmp) named pcbtest-XXXXXX. Caller frees the string and
 * removes the tree with pcb_test_rmtree(). */
char *pcb_test_tmpdir(void);
void pcb_test_rmtree(const char *path);

/* A content store in a fresh temp dir, for a suite's setup: *dir_out gets the dir (free it
 * with pcb_test_store_free, which also destroys the store and removes the tree). */
struct pcb_store;
struct pcb_store *pcb_test_store_new(char **dir_out);
void pcb_test_store_free(struct pcb_store *store, char *dir);
/* Entries in a directory, not counting . and .. (fails the test if it cannot be read). */
int pcb_test_count_dir(const char *path);

/* Writes dir/rel (parents created) with content and mode. Aborts the test on failure. */
void pcb_test_write(const char *dir, const char *rel, const char *content, mode_t mode);
/* mkdir -p dir/rel. */
void pcb_test_mkdir(const char *dir, const char *rel);
/* Reads a file fully (caller frees), NULL if missing. */
char *pcb_test_read(const char *path, size_t *len_out);

/* Runs `sh -c cmd`, captures stdout (and stderr when merge_stderr) into *out (caller frees;
 * out may be NULL). Returns the exit status (0..255), or -1 if killed by a signal. */
int pcb_test_run(const char *cmd, bool merge_stderr, char **out);
/* printf-style command. */
int pcb_test_runf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* $PCB_BUILD_DIR (absolute path of build/ or build-san/) and $PCB_SOURCE_DIR (the repo). */
const char *pcb_test_build_dir(void);
const char *pcb_test_source_dir(void);
/* True when the named program is on PATH. */
bool pcb_test_have(const char *prog);

/* A real pycontainerd on a private unix socket and state dir. */
struct pcb_test_daemon {
	pid_t pid;
	char *dir;        /* temp dir holding sock + state; owned */
	char *sock;       /* socket path */
	char *state;      /* state dir */
	char *host;       /* "unix://<sock>" for pcb -H */
	char *log;        /* daemon stderr log file */
};
/* Starts the daemon with extra args (may be NULL; "--default-base scratch" is added unless
 * they name a --default-base) and waits (polling, 20 s deadline) until
 * GET /v1/health answers. dir NULL = make a new temp dir; otherwise reuse (restart tests). */
void pcb_test_daemon_start(struct pcb_test_daemon *d, const char *dir, const char *extra_args);
/* SIGTERM, wait for exit (20 s deadline, then SIGKILL and fail). Returns the exit status. */
int pcb_test_daemon_stop(struct pcb_test_daemon *d);
/* SIGKILL and reap. */
void pcb_test_daemon_kill(struct pcb_test_daemon *d);
/* Frees the strings; removes the dir when remove is true. */
void pcb_test_daemon_free(struct pcb_test_daemon *d, bool remove);

/* HTTP to the daemon over its socket with libcurl. Returns the HTTP status (or -1 on a
 * transport error); *body_out (may be NULL) is the response body, caller frees.
 * body may be NULL (no body). content_type applies to the request body. */
long pcb_test_http(const struct pcb_test_daemon *d, const char *method, const char *path,
    const char *body, size_t body_len, char **body_out);

#endif
