/* wheelfix.c — the C side of the wheel fixtures (tests/lib/wheelfix.py): runs the script's
 * commands through the shell, and starts and stops its loopback wheel index as a child that
 * dies with the test. Test code only: every failure aborts the running Check test. */
#include "wheelfix.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

/* Debian's interpreter runs the script: it needs only the standard library, and a fresh
 * Debian machine has no other. */
#define PYTHON "/usr/bin/python3"
#define START_DEADLINE_MS 30000
#define STOP_DEADLINE_MS 10000

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static char *
script_path(void)
{
	return pcb_path_join(pcb_test_source_dir(), "tests/lib/wheelfix.py");
}

/* Arguments go into single quotes in a shell command; a quote inside would break out. */
static const char *
quoted_ok(const char *s)
{
	ck_assert_msg(s != NULL && strchr(s, '\'') == NULL, "wheelfix: unusable argument %s",
	    s ? s : "(null)");
	return s;
}

/* dists lists go in unquoted (they are several words): names, ==, dots, dashes only. */
static const char *
dists_ok(const char *s)
{
	const char *p;

	if (s == NULL)
		return "";
	for (p = s; *p != '\0'; p++)
		ck_assert_msg(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-= ", *p) != NULL, "wheelfix: bad distribution list '%s'", s);
	return s;
}

/* Runs wheelfix.py with args (already quoted); must succeed. Returns its stdout. */
static char *
run_script(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *
run_script(const char *fmt, ...)
{
	char *script = script_path(), *args, *out = NULL, *err_file, *errs, *tmp;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&args, fmt, ap);
	va_end(ap);
	ck_assert(r >= 0);
	/* stderr apart, so the printed paths can be read from stdout alone. */
	tmp = pcb_test_tmpdir();
	err_file = pcb_path_join(tmp, "stderr");
	r = pcb_test_runf(&out, "%s '%s' %s 2>'%s'", PYTHON, script, args, err_file);
	errs = pcb_test_read(err_file, NULL);
	ck_assert_msg(r == 0, "wheelfix.py %s failed (%d): %s%s", args, r, errs ? errs : "",
	    out ? out : "");
	free(errs);
	free(err_file);
	pcb_test_rmtree(tmp);
	free(tmp);
	free(args);
	free(script);
	return out != NULL ? out : pcb_xstrdup("");
}

/* The path on the first "PATH SHA256" line the script printed. */
static char *
first_path(char *out)
{
	size_t n = strcspn(out, " \n");
	char *path;

	ck_assert_msg(n > 0, "wheelfix.py printed no path");
	path = pcb_xstrndup(out, n);
	free(out);
	return path;
}

void
pcb_test_wheels_make(const char *outdir, const char *dists)
{
	free(run_script("make-wheels --out '%s' %s", quoted_ok(outdir), dists_ok(dists)));
}

void
pcb_test_wheels_make_from(const char *outdir, const char *dists, const char *site)
{
	free(run_script("make-wheels --out '%s' --site '%s' %s", quoted_ok(outdir), quoted_ok(site),
	    dists_ok(dists)));
}

const char *
pcb_test_wheels_python(void)
{
	static char *python;

	if (python == NULL) {
		char *out = run_script("which-python");
		out[strcspn(out, "\n")] = '\0';
		ck_assert_msg(access(out, X_OK) == 0, "wheelfix: no interpreter at %s", out);
		python = out;
	}
	return python;
}

/* A distribution name as wheel file names spell it: lower case, runs of -_. as one '_'. */
static char *
escape_name(const char *name)
{
	char *s = pcb_xmalloc(strlen(name) + 1), *o = s;

	for (; *name != '\0'; name++) {
		if (strchr("-_.", *name) != NULL) {
			if (o == s || o[-1] != '_')
				*o++ = '_';
		} else {
			*o++ = (char)(*name >= 'A' && *name <= 'Z' ? *name - 'A' + 'a' : *name);
		}
	}
	*o = '\0';
	return s;
}

char *
pcb_test_wheels_find(const char *dir, const char *dist)
{
	char *esc = escape_name(dist), *prefix = pcb_xasprintf("%s-", esc), *best = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!pcb_str_has_prefix(de->d_name, prefix) ||
		    !pcb_str_has_suffix(de->d_name, ".whl"))
			continue;
		if (best == NULL || strcmp(de->d_name, best) < 0) {
			free(best);
			best = pcb_xstrdup(de->d_name);
		}
	}
	closedir(d);
	free(prefix);
	free(esc);
	if (best != NULL) {
		char *path = pcb_path_join(dir, best);
		free(best);
		return path;
	}
	return NULL;
}

char *
pcb_test_wheels_variant(const char *wheel, const char *outdir, const char *version)
{
	return first_path(run_script("variant --in '%s' --out '%s' --version '%s'",
	    quoted_ok(wheel), quoted_ok(outdir), quoted_ok(version)));
}

char *
pcb_test_wheels_evil(const char *outdir, const char *kind)
{
	return first_path(run_script("evil --out '%s' --kind '%s'", quoted_ok(outdir),
	    quoted_ok(kind)));
}

char *
pcb_test_wheels_bomb(const char *outdir, uint64_t size)
{
	return first_path(run_script("evil --out '%s' --kind bomb --size %" PRIu64,
	    quoted_ok(outdir), size));
}

void
pcb_test_wheels_pylock(const char *dir, const char *base_url, const char *out,
    const char *dists)
{
	free(run_script("pylock --root '%s' --base-url '%s' --out '%s' %s", quoted_ok(dir),
	    quoted_ok(base_url), quoted_ok(out), dists_ok(dists)));
}

void
pcb_test_wheels_uvlock(const char *dir, const char *base_url, const char *out,
    const char *project, const char *dists)
{
	free(run_script("uvlock --root '%s' --base-url '%s' --out '%s' --project '%s' %s",
	    quoted_ok(dir), quoted_ok(base_url), quoted_ok(out),
	    quoted_ok(project != NULL ? project : "app"), dists_ok(dists)));
}

/* Starts argv[0] with stdin from /dev/null and stdout+stderr appended to log. The child asks
 * the kernel for SIGKILL when the test process dies, so a crashed test leaves no server. */
static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || out < 0)
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static char *
read_log(const char *log)
{
	char *s = pcb_test_read(log, NULL);
	return s != NULL ? s : pcb_xstrdup("(no log)");
}

/* SIGTERM, then SIGKILL after the deadline; always reaps. */
static void
stop_pid(pid_t *pidp)
{
	pid_t pid = *pidp;
	int64_t deadline;

	if (pid <= 0)
		return;
	*pidp = 0;
	kill(pid, SIGTERM);
	deadline = pcb_monotonic_ms() + STOP_DEADLINE_MS;
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		if (pcb_monotonic_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		sleep_ms(10);
	}
}

/* The server binds port 0 itself (no race for a probed port) and renames its port file into
 * place once it listens, so the file is never read half-written. */
static int
wait_port_file(pid_t *pidp, const char *port_file, const char *log)
{
	int64_t deadline = pcb_monotonic_ms() + START_DEADLINE_MS;
	int st;

	for (;;) {
		char *s = pcb_test_read(port_file, NULL);
		if (s != NULL) {
			int port = atoi(s);
			free(s);
			ck_assert_msg(port > 0 && port < 65536, "wheel index: bad port file");
			return port;
		}
		if (waitpid(*pidp, &st, WNOHANG) == *pidp) {
			char *text = read_log(log);
			*pidp = 0;
			ck_abort_msg("wheel index exited at start: %s", text);
		}
		if (pcb_monotonic_ms() > deadline) {
			char *text = read_log(log);
			stop_pid(pidp);
			ck_abort_msg("wheel index did not start within %d s: %s",
			    START_DEADLINE_MS / 1000, text);
		}
		sleep_ms(20);
	}
}

void
pcb_test_wheelidx_start(struct pcb_test_wheelidx *w, const char *dir)
{
	char *script = script_path(), *port_file;

	memset(w, 0, sizeof *w);
	w->dir = pcb_xstrdup(dir);
	w->state = pcb_test_tmpdir();
	w->log = pcb_path_join(w->state, "index.log");
	port_file = pcb_path_join(w->state, "port");
	{
		char *argv[] = { PYTHON, script, "serve", "--root", w->dir, "--port-file",
		    port_file, NULL };
		w->pid = spawn(argv, w->log);
	}
	w->port = wait_port_file(&w->pid, port_file, w->log);
	w->url = pcb_xasprintf("http://127.0.0.1:%d", w->port);
	w->simple = pcb_xasprintf("%s/simple", w->url);
	w->find_links = pcb_xasprintf("%s/find-links/", w->url);
	free(port_file);
	free(script);
}

void
pcb_test_wheelidx_stop(struct pcb_test_wheelidx *w)
{
	stop_pid(&w->pid);
	if (w->state != NULL)
		pcb_test_rmtree(w->state);
	free(w->state);
	free(w->dir);
	free(w->url);
	free(w->simple);
	free(w->find_links);
	free(w->log);
	memset(w, 0, sizeof *w);
}

/* Log lines look like: 127.0.0.1 - - [date] "GET /files/x.whl HTTP/1.1" 200 - */
int
pcb_test_wheelidx_count(const struct pcb_test_wheelidx *w, const char *method,
    const char *path_prefix)
{
	char *text = pcb_test_read(w->log, NULL), *line, *save = NULL;
	int n = 0;

	if (text == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *q = strchr(line, '"'), *sp;
		if (q == NULL)
			continue;
		q++;
		sp = strchr(q, ' ');
		if (sp == NULL)
			continue;
		if (method != NULL && ((size_t)(sp - q) != strlen(method) ||
		    strncmp(q, method, (size_t)(sp - q)) != 0))
			continue;
		if (pcb_str_has_prefix(sp + 1, path_prefix))
			n++;
	}
	free(text);
	return n;
}
