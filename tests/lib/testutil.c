/* testutil.c — helpers for the Check suites (temp dirs, fixtures, commands, a real daemon). */
#include "testutil.h"

#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "image/store.h"

int
pcb_test_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

char *
pcb_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t = pcb_xasprintf("%s/pcbtest-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_msg(mkdtemp(t) != NULL, "mkdtemp %s: %s", t, strerror(errno));
	return t;
}

void
pcb_test_rmtree(const char *path)
{
	if (path != NULL)
		pcb_rm_rf(path, NULL);
}

struct pcb_store *
pcb_test_store_new(char **dir_out)
{
	struct pcb_store *store = NULL;
	struct pcb_err e;
	char *root;

	*dir_out = pcb_test_tmpdir();
	root = pcb_path_join(*dir_out, "store");
	ck_assert_msg(pcb_store_create(root, &store, &e) == 0, "%s", e.msg);
	free(root);
	return store;
}

void
pcb_test_store_free(struct pcb_store *store, char *dir)
{
	pcb_store_destroy(store);
	pcb_test_rmtree(dir);
	free(dir);
}

int
pcb_test_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	ck_assert_msg(d != NULL, "opendir %s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

void
pcb_test_mkdir(const char *dir, const char *rel)
{
	char *p = pcb_path_join(dir, rel);
	struct pcb_err e;
	ck_assert_msg(pcb_mkdir_p(p, 0755, &e) == 0, "mkdir %s: %s", p, e.msg);
	free(p);
}

void
pcb_test_write(const char *dir, const char *rel, const char *content, mode_t mode)
{
	char *p = pcb_path_join(dir, rel);
	char *slash = strrchr(p, '/');
	FILE *f;

	if (slash != NULL && slash != p) {
		struct pcb_err e;
		*slash = '\0';
		ck_assert_msg(pcb_mkdir_p(p, 0755, &e) == 0, "mkdir %s: %s", p, e.msg);
		*slash = '/';
	}
	f = fopen(p, "wb");
	ck_assert_msg(f != NULL, "open %s: %s", p, strerror(errno));
	ck_assert(fwrite(content, 1, strlen(content), f) == strlen(content));
	ck_assert(fclose(f) == 0);
	ck_assert(chmod(p, mode) == 0);
	free(p);
}

char *
pcb_test_read(const char *path, size_t *len_out)
{
	char *out = NULL;
	size_t len = 0;
	if (pcb_read_file(path, (size_t)1 << 30, &out, &len, NULL) != 0)
		return NULL;
	if (len_out)
		*len_out = len;
	return out;
}

int
pcb_test_run(const char *cmd, bool merge_stderr, char **out)
{
	char *full = merge_stderr ? pcb_xasprintf("(%s) 2>&1", cmd) : pcb_xstrdup(cmd);
	FILE *p = popen(full, "r");
	struct pcb_buf b;
	char chunk[4096];
	size_t n;
	int st;

	ck_assert_msg(p != NULL, "popen %s", cmd);
	pcb_buf_init(&b, (size_t)1 << 28);
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		pcb_buf_append(&b, chunk, n);
	st = pclose(p);
	free(full);
	if (out != NULL)
		*out = pcb_buf_steal(&b, NULL);
	pcb_buf_free(&b);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return -1;
}

int
pcb_test_runf(char **out, const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	ck_assert(r >= 0);
	r = pcb_test_run(cmd, true, out);
	free(cmd);
	return r;
}

const char *
pcb_test_build_dir(void)
{
	const char *d = getenv("PCB_BUILD_DIR");
	return d && *d ? d : "build";
}

const char *
pcb_test_source_dir(void)
{
	const char *d = getenv("PCB_SOURCE_DIR");
	return d && *d ? d : ".";
}

bool
pcb_test_have(const char *prog)
{
	char *cmd = pcb_xasprintf("command -v %s >/dev/null 2>&1", prog);
	int r = system(cmd);
	free(cmd);
	return r == 0;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

void
pcb_test_daemon_start(struct pcb_test_daemon *d, const char *dir, const char *extra_args)
{
	char *cmd;
	int64_t deadline;
	const char *wrap = getenv("PCB_VALGRIND") ? "valgrind -q --leak-check=full "
	    "--errors-for-leak-kinds=definite,indirect --error-exitcode=99 " : "";

	memset(d, 0, sizeof *d);
	d->dir = dir ? pcb_xstrdup(dir) : pcb_test_tmpdir();
	d->sock = pcb_path_join(d->dir, "d.sock");
	d->state = pcb_path_join(d->dir, "state");
	d->host = pcb_xasprintf("unix://%s", d->sock);
	d->log = pcb_path_join(d->dir, "daemon.log");
	unlink(d->sock);
	d->pid = fork();
	ck_assert(d->pid >= 0);
	if (d->pid == 0) {
		/* No Docker Hub here: projects that name no base get scratch unless the test
		 * says otherwise. */
		const char *defbase = extra_args != NULL && strstr(extra_args, "--default-base") ?
		    "" : "--default-base scratch ";
		cmd = pcb_xasprintf("exec %s%s/pycontainerd --host %s --state-dir %s "
		    "--log-level debug %s%s >>%s 2>&1", wrap, pcb_test_build_dir(), d->host,
		    d->state, defbase, extra_args ? extra_args : "", d->log);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	deadline = pcb_monotonic_ms() + 30000;
	for (;;) {
		int st;
		char *body = NULL;
		long code = pcb_test_http(d, "GET", "/v1/health", NULL, 0, &body);
		free(body);
		if (code == 200)
			break;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			char *log = pcb_test_read(d->log, NULL);
			ck_abort_msg("daemon exited early: %s", log ? log : "(no log)");
		}
		ck_assert_msg(pcb_monotonic_ms() < deadline, "daemon did not answer /v1/health");
		sleep_ms(20);
	}
}

int
pcb_test_daemon_stop(struct pcb_test_daemon *d)
{
	int st = 0;
	int64_t deadline = pcb_monotonic_ms() + 30000;

	if (d->pid <= 0)
		return 0;
	kill(d->pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(d->pid, &st, WNOHANG);
		if (r == d->pid)
			break;
		if (pcb_monotonic_ms() > deadline) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
			d->pid = 0;
			ck_abort_msg("daemon did not stop within 30 s of SIGTERM");
		}
		sleep_ms(10);
	}
	d->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void
pcb_test_daemon_kill(struct pcb_test_daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
}

void
pcb_test_daemon_free(struct pcb_test_daemon *d, bool remove)
{
	if (d->pid > 0)
		pcb_test_daemon_kill(d);
	if (remove)
		pcb_test_rmtree(d->dir);
	free(d->dir);
	free(d->sock);
	free(d->state);
	free(d->host);
	free(d->log);
	memset(d, 0, sizeof *d);
}

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	pcb_buf_append(ud, p, size * n);
	return size * n;
}

long
pcb_test_http(const struct pcb_test_daemon *d, const char *method, const char *path,
    const char *body, size_t body_len, char **body_out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct pcb_buf b;
	char *url = pcb_xasprintf("http://localhost%s", path);
	long code = -1;

	pcb_buf_init(&b, (size_t)1 << 28);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	if (body_out != NULL)
		*body_out = pcb_buf_steal(&b, NULL);
	pcb_buf_free(&b);
	return code;
}
