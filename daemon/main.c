/* main.c — pycontainerd: settings (dconfig.c), start-up (state dir, store, jobs, listeners,
 * the TCP token), the libuv loop, a reload of the configuration file on SIGHUP, readiness
 * for systemd (sd_notify), and an orderly shutdown on SIGINT/SIGTERM that leaves nothing
 * open or allocated. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "api.h"
#include "base/util.h"
#include "build.h"
#include "daemon.h"
#include "dconfig.h"
#include "http.h"
#include "image/layer.h"
#include "image/lcache.h"
#include "image/store.h"
#include "jobs.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "python/deps.h"
#include "routes.h"

/* How long stopped event streams get to flush their last bytes at shutdown. */
#define STREAM_DRAIN_MS 2000

struct app {
	struct pcb_daemon d;
	struct pcb_httpd *http;
	uv_signal_t sigint, sigterm, sighup;
	uv_timer_t drain;
	int64_t drain_deadline;
	int64_t shutdown_timeout_ms;
	bool finalized;
	bool root;
	/* The settings as written (file + flags), and the flags, which a reload applies again
	 * over the re-read file. */
	struct pcb_dconfig cfg;
	struct pcb_dconfig_args args;
	char *status;              /* "listening on …; N workers", for sd_notify STATUS= */
};

/* --- sd_notify ---------------------------------------------------------------------------
 * Readiness, reload and stop for the service manager, through libsystemd's sd_notify (a no-op
 * without $NOTIFY_SOCKET). The variable stays in the environment for later messages; children
 * (pip) inherit it, but the unit's NotifyAccess=main makes the manager ignore anyone but us. */

static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
notify(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* A failure only loses a status line: logged at debug level, the daemon goes on. */
	if ((r = sd_notify(0, msg)) < 0)
		pcb_log_debug("sd_notify: %s", strerror(-r));
}

static unsigned long long
monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* --- defaults that depend on who runs the daemon ------------------------------------------ */

static char *
default_host(bool root)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (root)
		return pcb_xstrdup("unix:///run/pycontainerd/pycontainerd.sock");
	if (xdg != NULL && xdg[0] == '/')
		return pcb_xasprintf("unix://%s/pycontainerd/pycontainerd.sock", xdg);
	return pcb_xasprintf("unix:///tmp/pycontainerd-%u/pycontainerd.sock", (unsigned)getuid());
}

static char *
default_state_dir(bool root)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (root)
		return pcb_xstrdup("/var/lib/pycontainerd");
	if (xdg != NULL && xdg[0] == '/')
		return pcb_path_join(xdg, "pycontainerd");
	if (home != NULL && home[0] == '/')
		return pcb_xasprintf("%s/.local/state/pycontainerd", home);
	return pcb_xasprintf("/tmp/pycontainerd-%u/state", (unsigned)getuid());
}

/* --- shutdown ------------------------------------------------------------------------- */

static void
finalize(struct app *a)
{
	if (a->finalized)
		return;
	a->finalized = true;
	pcb_log_info("closing");
	uv_timer_stop(&a->drain);
	uv_close((uv_handle_t *)&a->drain, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sighup, NULL);
	/* Closing the handles gave the signals back their default action, which for all three
	 * is to terminate: a second SIGTERM (or a reload) in the last moments would kill the
	 * daemon before it has closed its store. The shutdown is under way; ignore them. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (a->http != NULL)
		pcb_http_close(a->http);
	pcb_jobs_close_handles(a->d.jobs);
}

/* Waits for event streams to flush and for plans still on the thread pool: a plan finishing
 * after its connection was torn down would write to freed memory, so those are waited for
 * without a deadline (they are short); streams get STREAM_DRAIN_MS. */
static void
on_drain(uv_timer_t *t)
{
	struct app *a = t->data;

	if (a->d.n_async > 0)
		return;
	if (pcb_jobs_n_subs(a->d.jobs) > 0 && pcb_monotonic_ms() < a->drain_deadline)
		return;
	finalize(a);
}

static void
on_jobs_done(void *ud)
{
	struct app *a = ud;

	a->drain_deadline = pcb_monotonic_ms() + STREAM_DRAIN_MS;
	uv_timer_start(&a->drain, on_drain, 0, 20);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct app *a = s->data;

	if (a->d.shutting_down) {
		pcb_log_info("signal %d again: still shutting down", signum);
		return;
	}
	pcb_log_info("signal %d: shutting down", signum);
	notify("STOPPING=1\nSTATUS=shutting down");
	a->d.shutting_down = true;
	pcb_http_quiesce(a->http);
	pcb_jobs_shutdown(a->d.jobs, a->shutdown_timeout_ms, on_jobs_done, a);
}

/* --- reload ----------------------------------------------------------------------------- */

/* Copies what may change at run time from a->cfg to where the daemon reads it. Loop thread:
 * handlers read d.policy on this thread too, so replacing admin_group needs no lock. */
static void
apply_runtime(struct app *a)
{
	free(a->d.policy.admin_group);
	a->d.policy = a->cfg.policy;
	a->d.policy.admin_group = pcb_xstrdup(a->cfg.policy.admin_group);
	a->shutdown_timeout_ms = (int64_t)a->cfg.shutdown_timeout_s * 1000;
	if (a->d.store != NULL)
		pcb_store_set_policy(a->d.store, &a->cfg.cache);
	pcb_deps_set_resolve_max_age(a->cfg.resolve_max_age_ms);
}

static void
on_sighup(uv_signal_t *s, int signum)
{
	struct app *a = s->data;
	struct pcb_dconfig next;
	struct pcb_err err;
	char *changed = NULL, *restart = NULL;
	struct pcb_store_policy old_cache = a->cfg.cache;

	(void)signum;
	if (a->d.shutting_down) {
		pcb_log_info("SIGHUP while shutting down: not reloading");
		return;
	}
	notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
	    monotonic_usec());
	pcb_err_clear(&err);
	/* A file that does not parse or check changes nothing: the new settings are built
	 * aside and only then moved in. */
	if (pcb_dconfig_load(&next, &a->args, a->root, &err) != 0) {
		pcb_log_error("reload: %s; nothing changed", err.msg);
		goto out;
	}
	pcb_dconfig_reload(&a->cfg, &next, &changed, &restart);
	apply_runtime(a);
	if (changed != NULL)
		pcb_log_info("reload: %s", changed);
	else
		pcb_log_info("reload: nothing changed");
	if (restart != NULL)
		pcb_log_warn("reload: %s: a restart is needed to apply this", restart);
	/* Last, so that the line saying the level changed is still written. */
	pcb_log_set_level((enum pcb_log_level)a->cfg.log_level);
	/* A lower limit is met now rather than after the next job. */
	if (memcmp(&old_cache, &a->cfg.cache, sizeof old_cache) != 0)
		pcb_api_cache_collect(&a->d, false);
out:
	pcb_dconfig_free(&next);
	free(changed);
	free(restart);
	notify("READY=1\nSTATUS=%s", a->status);
}

/* --- main ----------------------------------------------------------------------------- */

static void
close_listeners(struct pcb_listen *ls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		close(ls[i].fd);
		if (ls[i].unix_path != NULL)
			unlink(ls[i].unix_path);
	}
}

static int
open_listeners(const struct pcb_strv *hosts_in, bool root, struct pcb_listen **out, size_t *n,
    struct pcb_err *err)
{
	struct pcb_listen *ls = NULL;
	struct pcb_strv hosts;
	size_t count = 0;
	int rc;

	pcb_strv_init(&hosts);
	rc = pcb_listen_systemd(&ls, &count, err);
	if (rc != 0 || count > 0) {
		if (count > 0 && hosts_in->n > 0)
			pcb_log_warn("socket activation: ignoring --host / host");
		goto out;
	}
	free(ls);
	ls = NULL;
	for (size_t i = 0; i < hosts_in->n; i++)
		pcb_strv_push(&hosts, hosts_in->v[i]);
	if (hosts.n == 0)
		pcb_strv_push_owned(&hosts, default_host(root));
	ls = pcb_xcalloc(hosts.n, sizeof *ls);
	for (size_t i = 0; i < hosts.n; i++) {
		rc = pcb_listen_open(hosts.v[i], root, &ls[count], err);
		if (rc != 0)
			goto out;
		count++;
	}
out:
	if (rc != 0) {
		close_listeners(ls, count);
		for (size_t i = 0; i < count; i++)
			pcb_listen_free(&ls[i]);
		free(ls);
		ls = NULL;
		count = 0;
	}
	pcb_strv_free(&hosts);
	*out = ls;
	*n = count;
	return rc;
}

/* TCP has no peer credentials: its clients prove themselves with a bearer token, read (or
 * made at first start) here when any listener is TCP, socket-activated ones included. */
static int
load_tcp_token(struct app *a, const char *state_dir, const struct pcb_listen *ls, size_t n,
    struct pcb_err *err)
{
	char *path = NULL;
	bool tcp = false, created = false;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (strstr(ls[i].name, "tcp://") != NULL)
			tcp = true;
	if (!tcp)
		goto out;
	path = a->cfg.tcp_token_file != NULL ? pcb_xstrdup(a->cfg.tcp_token_file) :
	    pcb_path_join(state_dir, "tcp-token");
	rc = pcb_dconfig_tcp_token(path, &a->d.tcp_token, &created, err);
	if (rc != 0)
		goto out;
	pcb_log_info("TCP clients authenticate with the bearer token in %s%s", path,
	    created ? " (created)" : "");
out:
	free(path);
	return rc;
}

int
main(int argc, char **argv)
{
	struct app a;
	uv_loop_t loop;
	struct pcb_listen *ls = NULL;
	size_t nls = 0;
	struct pcb_err err;
	enum pcb_dconfig_action action;
	struct pcb_buf st;
	char *state_dir = NULL;
	int workers;
	bool loop_ok = false;
	int rc, status = 1;

	memset(&a, 0, sizeof a);
	pcb_err_clear(&err);
	a.root = geteuid() == 0;
	if (pcb_dconfig_args_parse(argc, argv, &a.args, &action, &err) != 0) {
		fprintf(stderr, "pycontainerd: %s\n(pycontainerd --help lists the options)\n",
		    err.msg);
		status = 2;
		goto out;
	}
	switch (action) {
	case PCB_DCONFIG_HELP:
		pcb_dconfig_usage(stdout);
		status = 0;
		goto out;
	case PCB_DCONFIG_VERSION:
		printf("pycontainerd %s\n", PCB_VERSION);
		status = 0;
		goto out;
	case PCB_DCONFIG_PRINT_ROUTES:
		pcb_routes_print(stdout);
		status = 0;
		goto out;
	default:
		break;
	}
	if (pcb_dconfig_load(&a.cfg, &a.args, a.root, &err) != 0) {
		fprintf(stderr, "pycontainerd: %s\n", err.msg);
		status = 2;
		goto out;
	}
	if (action == PCB_DCONFIG_CHECK) {
		pcb_dconfig_print(stdout, &a.cfg);
		status = 0;
		goto out;
	}
	if (pcb_dconfig_apply_startup(&a.cfg, &err) != 0) {
		fprintf(stderr, "pycontainerd: %s\n", err.msg);
		status = 2;
		goto out;
	}
	workers = a.cfg.workers;
	if (workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		workers = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
	}
	state_dir = a.cfg.state_dir != NULL ? pcb_xstrdup(a.cfg.state_dir) :
	    default_state_dir(a.root);
	signal(SIGPIPE, SIG_IGN);

	if (pcb_mkdir_p(state_dir, 0700, &err) != 0) {
		pcb_log_error("state directory: %s", err.msg);
		goto out;
	}
	/* A min-free the filesystem can never meet would refuse every build: say so now. */
	if (pcb_metrics_check_min_free(state_dir, a.cfg.cache.min_free_bytes, &err) != 0) {
		pcb_log_error("%s", err.msg);
		goto out;
	}
	if (uv_loop_init(&loop) != 0) {
		pcb_log_error("uv_loop_init failed");
		goto out;
	}
	loop_ok = true;
	a.d.loop = &loop;
	a.d.state_dir = state_dir;
	a.d.start_ms = pcb_monotonic_ms();
	apply_runtime(&a);

	if (pcb_store_create(state_dir, &a.d.store, &err) != 0) {
		pcb_log_error("opening the store: %s", err.msg);
		goto out;
	}
	pcb_store_set_policy(a.d.store, &a.cfg.cache);
	if (pcb_jobs_create(&loop, state_dir, a.d.store, workers, &a.d.jobs, &err) != 0) {
		pcb_log_error("opening the job database: %s", err.msg);
		goto out;
	}
	if (open_listeners(&a.cfg.hosts, a.root, &ls, &nls, &err) != 0) {
		pcb_log_error("%s", err.msg);
		goto out;
	}
	if (load_tcp_token(&a, state_dir, ls, nls, &err) != 0) {
		close_listeners(ls, nls);
		pcb_log_error("%s", err.msg);
		goto out;
	}
	pcb_buf_init(&st, 1 << 16);
	pcb_buf_appendf(&st, "listening on ");
	for (size_t i = 0; i < nls; i++)
		pcb_buf_appendf(&st, "%s%s", i > 0 ? ", " : "", ls[i].name);
	pcb_buf_appendf(&st, "; %d workers", workers);
	a.status = pcb_buf_steal(&st, NULL);
	pcb_buf_free(&st);
	{
		int *fds = pcb_xcalloc(nls, sizeof *fds);
		char **names = pcb_xcalloc(nls, sizeof *names);
		char **paths = pcb_xcalloc(nls, sizeof *paths);

		for (size_t i = 0; i < nls; i++) {
			fds[i] = ls[i].fd;
			names[i] = ls[i].name;
			paths[i] = ls[i].unix_path;
		}
		rc = pcb_http_create(&a.d, fds, names, paths, nls, &a.http, &err);
		free(fds);
		free(names);
		free(paths);
		if (rc != 0) {
			for (size_t i = 0; i < nls; i++)
				if (ls[i].unix_path != NULL)
					unlink(ls[i].unix_path);
			pcb_log_error("%s", err.msg);
			goto out;
		}
	}
	uv_signal_init(&loop, &a.sigint);
	uv_signal_init(&loop, &a.sigterm);
	uv_signal_init(&loop, &a.sighup);
	a.sigint.data = a.sigterm.data = a.sighup.data = &a;
	uv_signal_start(&a.sigint, on_signal, SIGINT);
	uv_signal_start(&a.sigterm, on_signal, SIGTERM);
	uv_signal_start(&a.sighup, on_sighup, SIGHUP);
	uv_timer_init(&loop, &a.drain);
	a.drain.data = &a;
	pcb_log_info("pycontainerd %s: state %s, %d workers, configuration %s", PCB_VERSION,
	    state_dir, workers, a.cfg.path != NULL ? a.cfg.path : "(none)");
	pcb_log_info("cache limits: max size %" PRIu64 " bytes, min free %" PRIu64 " bytes, "
	    "keep %" PRId64 " s", a.cfg.cache.max_bytes, a.cfg.cache.min_free_bytes,
	    a.cfg.cache.keep_ms / 1000);
	pcb_log_info("per user: %d running, %d queued, context %" PRIu64 " bytes; connections: "
	    "%d, %d per user, %d reserved; header timeout %d s; admin group %s",
	    a.d.policy.user_max_running, a.d.policy.user_max_queued, a.d.policy.user_max_context,
	    a.d.policy.max_connections, a.d.policy.max_connections_per_user,
	    a.d.policy.reserved_connections, a.d.policy.header_timeout_s,
	    a.d.policy.admin_group != NULL ? a.d.policy.admin_group : "(none)");
	/* The store may be over its limits already (new flags, a crash mid-removal). */
	pcb_jobs_set_finish_hook(a.d.jobs, pcb_api_cache_after_job, &a.d);
	pcb_api_cache_collect(&a.d, true);
	notify("READY=1\nMAINPID=%ld\nSTATUS=%s", (long)getpid(), a.status);

	uv_run(&loop, UV_RUN_DEFAULT);
	status = 0;
out:
	if (loop_ok) {
		if (!a.finalized) {
			/* An error before the loop ran: close what was opened. */
			if (a.http != NULL)
				pcb_http_close(a.http);
			if (a.d.jobs != NULL)
				pcb_jobs_close_handles(a.d.jobs);
		}
		uv_run(&loop, UV_RUN_DEFAULT);
		if (uv_loop_close(&loop) != 0) {
			pcb_log_error("the event loop still had open handles at exit");
			status = 1;
		}
	}
	pcb_http_destroy(a.http);
	pcb_jobs_destroy(a.d.jobs);
	if (a.d.store != NULL)
		pcb_store_destroy(a.d.store);
	pcb_lcache_shutdown();
	pcb_layer_pool_shutdown();
	for (size_t i = 0; i < nls; i++)
		pcb_listen_free(&ls[i]);
	free(ls);
	free(state_dir);
	free(a.d.policy.admin_group);
	if (a.d.tcp_token != NULL) {
		OPENSSL_cleanse(a.d.tcp_token, strlen(a.d.tcp_token));
		free(a.d.tcp_token);
	}
	free(a.status);
	pcb_dconfig_free(&a.cfg);
	pcb_dconfig_args_free(&a.args);
	if (status == 0 && loop_ok)
		pcb_log_info("stopped");
	return status;
}
