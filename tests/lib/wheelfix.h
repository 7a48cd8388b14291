/* wheelfix.h — wheel fixtures for tests (PyPI is unreachable here): real wheels re-made from the
 * distributions installed in this machine's Python (Flask and its dependencies, MarkupSafe with
 * its C extension), re-versioned and hostile wheels, pylock.toml / uv.lock files, and a PEP 503
 * simple index serving a directory of wheels on loopback. A C front for tests/lib/wheelfix.py.
 * Test code only, from the test's own thread: every failure aborts the running Check test.
 * Returned strings are the caller's to free. */
#ifndef PCB_WHEELFIX_H
#define PCB_WHEELFIX_H

#include <stdint.h>
#include <sys/types.h>

/* The Flask set, in the form pcb_test_wheels_make takes. */
#define PCB_TEST_FLASK_DISTS "flask werkzeug jinja2 markupsafe click itsdangerous blinker"

struct pcb_test_wheelidx {
	char *dir;          /* the directory served (a copy of the name; the directory is the
	                     * caller's and is left alone by _stop); rescanned on every request */
	char *url;          /* "http://127.0.0.1:PORT" */
	char *simple;       /* url + "/simple" — pip --index-url, uv's registry */
	char *find_links;   /* url + "/find-links/" — a flat page listing every wheel */
	int port;
	pid_t pid;
	char *state;        /* temp dir with the port file and the log (removed by _stop) */
	char *log;          /* the server's request log (one line per request on stderr) */
};

/* Wheels for the distributions named in dists (space separated, e.g. PCB_TEST_FLASK_DISTS)
 * from the default site-packages (pyenv's 3.11 when it has Flask, else Debian's
 * dist-packages) into outdir (created). Deterministic: the same machine gives the same bytes. */
void pcb_test_wheels_make(const char *outdir, const char *dists);
/* The same from the given site-packages (Debian's /usr/lib/python3/dist-packages, say). */
void pcb_test_wheels_make_from(const char *outdir, const char *dists, const char *site);
/* The path of dist's wheel in dir (its first by name when several), or NULL when none. */
char *pcb_test_wheels_find(const char *dir, const char *dist);
/* The interpreter whose site-packages pcb_test_wheels_make reads (so its ABI matches the
 * native wheels); borrowed, valid for the process. */
const char *pcb_test_wheels_python(void);
/* wheel re-made as version into outdir; returns the new wheel's path. */
char *pcb_test_wheels_variant(const char *wheel, const char *outdir, const char *version);
/* A hostile evil-1.0-py3-none-any.whl in outdir; kind is one of "zipslip", "absolute",
 * "badhash", "notinrecord", "corrupt", "duplicate", "bomb" (1 GiB of zeros). Returns its path. */
char *pcb_test_wheels_evil(const char *outdir, const char *kind);
/* The "bomb" kind with a member that inflates to size bytes. */
char *pcb_test_wheels_bomb(const char *outdir, uint64_t size);
/* A PEP 751 pylock.toml at out for the wheels in dir, with URLs under base_url (an index's
 * url). dists: space separated "name" or "name==version" to pick, NULL or "" = all wheels. */
void pcb_test_wheels_pylock(const char *dir, const char *base_url, const char *out,
    const char *dists);
/* A uv.lock at out: a virtual root package named project (NULL = "app") depending on every
 * picked package, each with source = { registry = base_url/simple } and its wheels. */
void pcb_test_wheels_uvlock(const char *dir, const char *base_url, const char *out,
    const char *project, const char *dists);

/* Serves dir (which must exist) on 127.0.0.1, on a port the server picks itself; returns once
 * it is listening (polls its port file, 30 s deadline). */
void pcb_test_wheelidx_start(struct pcb_test_wheelidx *w, const char *dir);
/* Stops (SIGTERM, then SIGKILL) and reaps the server, removes w->state, frees the strings. */
void pcb_test_wheelidx_stop(struct pcb_test_wheelidx *w);
/* Requests logged so far with method ("GET", "HEAD" or NULL for any) whose path starts with
 * path_prefix ("/files/", "/simple/flask/", …) — e.g. to see that a cache saved a download. */
int pcb_test_wheelidx_count(const struct pcb_test_wheelidx *w, const char *method,
    const char *path_prefix);

#endif
