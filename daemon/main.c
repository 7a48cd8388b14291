/* main.c — pycontainerd: options, start-up (state dir, store, jobs, listeners), the libuv
 * loop, and an orderly shutdown on SIGINT/SIGTERM that leaves nothing open or allocated. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "api.h"
#include "base/util.h"
#include "build.h"
#include "daemon.h"
#include "http.h"
#include "image/layer.h"
#include "image/lcache.h"
#include "image/store.h"
#include "jobs.h"
#include "listen.h"
#include "log.h"
#include "python/deps.h"
#include "routes.h"

/* How long stopped event streams get to flush their last bytes at shutdown. */
#define STREAM_DRAIN_MS 2000

struct opts {
	struct pcb_strv hosts;
	char *state_dir;
	int workers;
	int64_t shutdown_timeout_ms;
	struct pcb_store_policy cache;
};

struct app {
	struct pcb_daemon d;
	struct pcb_httpd *http;
	uv_signal_t sigint, sigterm;
	uv_timer_t drain;
	int64_t drain_deadline;
	int64_t shutdown_timeout_ms;
	bool finalized;
};

static void
usage(FILE *f)
{
	fputs("usage: pycontainerd [--host unix:///PATH | --host tcp://127.0.0.1:PORT]...\n"
	    "                    [--state-dir DIR] [--workers N]\n"
	    "                    [--log-level error|warn|info|debug] [--shutdown-timeout SECONDS]\n"
	    "                    [--base-registry HOST[:PORT][/PATH]] [--default-base REF|scratch]\n"
	    "                    [--cache-max-size SIZE] [--cache-min-free SIZE]\n"
	    "                    [--cache-keep DURATION] [--resolve-max-age DURATION]\n"
	    "                    [--version] [--help] [--print-routes]\n"
	    "\n"
	    "Builds OCI images of Python projects; serves the REST API described in\n"
	    "api/openapi.yaml on the given sockets (several --host are allowed; TCP only on\n"
	    "loopback). With systemd socket activation the inherited sockets are used.\n"
	    "\n"
	    "Cache limits (checked at start-up and after every build, pull and base job; the\n"
	    "least recently used blobs no tag reaches go first, tagged images never):\n"
	    "  --cache-max-size SIZE     store size limit, K/M/G/T suffixes, 0 = none (20G)\n"
	    "  --cache-min-free SIZE     free space to keep on the store's filesystem, 0 = none (2G)\n"
	    "  --cache-keep DURATION     never evict blobs used this recently, s/m/h/d (1h)\n"
	    "\n"
	    "Dependencies:\n"
	    "  --resolve-max-age DURATION  reuse a pip resolution that has unpinned distributions\n"
	    "                            this long, 0 = resolve every build (1h); one with every\n"
	    "                            distribution pinned with == is reused while the\n"
	    "                            requirement files and options stay the same\n", f);
}

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

static bool
parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Returns 0 to run, 1 for a usage error, 2 when a terminal option (--help …) was handled. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "shutdown-timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "print-routes", no_argument, NULL, 'R' },
		{ "base-registry", required_argument, NULL, 'B' },
		{ "default-base", required_argument, NULL, 'D' },
		{ "cache-max-size", required_argument, NULL, 'M' },
		{ "cache-min-free", required_argument, NULL, 'F' },
		{ "cache-keep", required_argument, NULL, 'K' },
		{ "resolve-max-age", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c, lvl;

	while ((c = getopt_long(argc, argv, "H:s:w:l:t:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			pcb_strv_push(&o->hosts, optarg);
			break;
		case 's':
			free(o->state_dir);
			o->state_dir = pcb_xstrdup(optarg);
			break;
		case 'w':
			if (!parse_num(optarg, 1, 256, &v)) {
				fprintf(stderr, "pycontainerd: --workers %s: expected 1..256\n", optarg);
				return 1;
			}
			o->workers = (int)v;
			break;
		case 'l':
			lvl = pcb_log_parse_level(optarg);
			if (lvl < 0) {
				fprintf(stderr, "pycontainerd: --log-level %s: expected error, warn, "
				    "info or debug\n", optarg);
				return 1;
			}
			pcb_log_set_level((enum pcb_log_level)lvl);
			break;
		case 't':
			if (!parse_num(optarg, 0, 86400, &v)) {
				fprintf(stderr, "pycontainerd: --shutdown-timeout %s: expected seconds "
				    "(0..86400)\n", optarg);
				return 1;
			}
			o->shutdown_timeout_ms = (int64_t)v * 1000;
			break;
		case 'B': {
			/* Where short base-image names ("python:3.12-slim") are pulled from, for
			 * machines behind a mirror or air-gapped; a build's base_registry wins. */
			struct pcb_err e;
			if (pcb_build_set_base_registry(optarg, &e) != 0) {
				fprintf(stderr, "pycontainerd: --base-registry %s: %s\n", optarg, e.msg);
				return 1;
			}
			break;
		}
		case 'D': {
			/* The base for projects that name none ("{python}" = their X.Y). */
			struct pcb_err e;
			if (pcb_build_set_default_base(optarg, &e) != 0) {
				fprintf(stderr, "pycontainerd: --default-base %s: %s\n", optarg, e.msg);
				return 1;
			}
			break;
		}
		case 'M':
		case 'F': {
			struct pcb_err e;
			uint64_t sz;
			if (pcb_store_parse_size(optarg, &sz, &e) != 0) {
				fprintf(stderr, "pycontainerd: --cache-%s: %s\n", c == 'M' ? "max-size" :
				    "min-free", e.msg);
				return 1;
			}
			if (c == 'M')
				o->cache.max_bytes = sz;
			else
				o->cache.min_free_bytes = sz;
			break;
		}
		case 'K': {
			struct pcb_err e;
			if (pcb_store_parse_duration(optarg, &o->cache.keep_ms, &e) != 0) {
				fprintf(stderr, "pycontainerd: --cache-keep: %s\n", e.msg);
				return 1;
			}
			break;
		}
		case 'A': {
			/* Process-wide, like --default-base: how long an answer of pip download with
			 * unpinned distributions is reused (deps.c, the resolution cache). */
			struct pcb_err e;
			int64_t ms;
			if (pcb_store_parse_duration(optarg, &ms, &e) != 0) {
				fprintf(stderr, "pycontainerd: --resolve-max-age: %s\n", e.msg);
				return 1;
			}
			pcb_deps_set_resolve_max_age(ms);
			break;
		}
		case 'V':
			printf("pycontainerd %s\n", PCB_VERSION);
			return 2;
		case 'h':
			usage(stdout);
			return 2;
		case 'R':
			pcb_routes_print(stdout);
			return 2;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pycontainerd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	return 0;
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
	a->d.shutting_down = true;
	pcb_http_quiesce(a->http);
	pcb_jobs_shutdown(a->d.jobs, a->shutdown_timeout_ms, on_jobs_done, a);
}

/* --- main ----------------------------------------------------------------------------- */

static int
open_listeners(struct opts *o, bool root, struct pcb_listen **out, size_t *n,
    struct pcb_err *err)
{
	struct pcb_listen *ls = NULL;
	size_t count = 0;
	int rc;

	rc = pcb_listen_systemd(&ls, &count, err);
	if (rc != 0 || count > 0) {
		if (count > 0 && o->hosts.n > 0)
			pcb_log_warn("socket activation: ignoring --host");
		goto out;
	}
	free(ls);
	ls = NULL;
	if (o->hosts.n == 0)
		pcb_strv_push_owned(&o->hosts, default_host(root));
	ls = pcb_xcalloc(o->hosts.n, sizeof *ls);
	for (size_t i = 0; i < o->hosts.n; i++) {
		rc = pcb_listen_open(o->hosts.v[i], root, &ls[count], err);
		if (rc != 0)
			goto out;
		count++;
	}
out:
	if (rc != 0) {
		for (size_t i = 0; i < count; i++) {
			close(ls[i].fd);
			if (ls[i].unix_path != NULL)
				unlink(ls[i].unix_path);
			pcb_listen_free(&ls[i]);
		}
		free(ls);
		ls = NULL;
		count = 0;
	}
	*out = ls;
	*n = count;
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { .workers = 0, .shutdown_timeout_ms = 10000,
		.cache = { PCB_STORE_DEFAULT_MAX_BYTES, PCB_STORE_DEFAULT_MIN_FREE,
		    PCB_STORE_DEFAULT_KEEP_MS } };
	struct app a;
	uv_loop_t loop;
	struct pcb_listen *ls = NULL;
	size_t nls = 0;
	struct pcb_err err;
	bool root = geteuid() == 0;
	bool loop_ok = false;
	int rc, status = 1;

	memset(&a, 0, sizeof a);
	pcb_err_clear(&err);
	pcb_strv_init(&o.hosts);
	rc = parse_opts(argc, argv, &o);
	if (rc != 0) {
		status = rc == 2 ? 0 : 2;
		goto out;
	}
	if (o.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		o.workers = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
	}
	if (o.state_dir == NULL)
		o.state_dir = default_state_dir(root);
	signal(SIGPIPE, SIG_IGN);

	if (pcb_mkdir_p(o.state_dir, 0700, &err) != 0) {
		pcb_log_error("state directory: %s", err.msg);
		goto out;
	}
	if (uv_loop_init(&loop) != 0) {
		pcb_log_error("uv_loop_init failed");
		goto out;
	}
	loop_ok = true;
	a.d.loop = &loop;
	a.d.state_dir = o.state_dir;
	a.d.start_ms = pcb_monotonic_ms();
	a.shutdown_timeout_ms = o.shutdown_timeout_ms;

	if (pcb_store_create(o.state_dir, &a.d.store, &err) != 0) {
		pcb_log_error("opening the store: %s", err.msg);
		goto out;
	}
	pcb_store_set_policy(a.d.store, &o.cache);
	if (pcb_jobs_create(&loop, o.state_dir, a.d.store, o.workers, &a.d.jobs, &err) != 0) {
		pcb_log_error("opening the job database: %s", err.msg);
		goto out;
	}
	if (open_listeners(&o, root, &ls, &nls, &err) != 0) {
		pcb_log_error("%s", err.msg);
		goto out;
	}
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
	a.sigint.data = a.sigterm.data = &a;
	uv_signal_start(&a.sigint, on_signal, SIGINT);
	uv_signal_start(&a.sigterm, on_signal, SIGTERM);
	uv_timer_init(&loop, &a.drain);
	a.drain.data = &a;
	pcb_log_info("pycontainerd %s: state %s, %d workers", PCB_VERSION, o.state_dir,
	    o.workers);
	pcb_log_info("cache limits: max size %" PRIu64 " bytes, min free %" PRIu64 " bytes, "
	    "keep %" PRId64 " s", o.cache.max_bytes, o.cache.min_free_bytes,
	    o.cache.keep_ms / 1000);
	/* The store may be over its limits already (new flags, a crash mid-removal). */
	pcb_jobs_set_finish_hook(a.d.jobs, pcb_api_cache_after_job, &a.d);
	pcb_api_cache_collect(&a.d, true);

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
	free(o.state_dir);
	pcb_strv_free(&o.hosts);
	if (status == 0 && loop_ok)
		pcb_log_info("stopped");
	return status;
}
