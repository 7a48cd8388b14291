/* metrics.c — the daemon's Prometheus counters and gauges, their text exposition, and the
 * free-space guard behind /v1/health's "degraded", the 507 disk_full refusals and the
 * start-up check of --cache-min-free.
 *
 * Counters live in static storage for the whole process, like common/'s own (lcache, layer,
 * transfer stats): the updaters are called from the loop (job state changes, HTTP replies)
 * and must stay cheap and safe from any thread, so they are plain C11 atomics. Only the
 * duration histogram takes a mutex, because a scrape must never see a bucket ahead of
 * _count. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "image/lcache.h"
#include "image/layer.h"
#include "registry/transfer.h"

#define RENDER_MAX ((size_t)1 << 20)

/* The job kinds by enum pcb_job_kind value (jobs.c names them the same way). A kind added
 * there needs its row here, or its jobs are left out of the per-kind families. */
static const char *const kind_names[] = { "build", "push", "pull", "base", "verify",
	"rebase" };
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

enum { END_SUCCEEDED, END_FAILED, END_CANCELLED, N_ENDS };
static const char *const end_names[N_ENDS] = { "succeeded", "failed", "cancelled" };

/* Build durations, in seconds: a cached rebuild on scratch takes well under a second, a
 * cold build with dependencies minutes, a big one an hour. */
static const double duration_bounds[] = { 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
	3600 };
#define N_BOUNDS (sizeof duration_bounds / sizeof duration_bounds[0])

static atomic_int_fast64_t g_queued[N_KINDS], g_running[N_KINDS];
static atomic_uint_fast64_t c_submitted[N_KINDS], c_finished[N_KINDS][N_ENDS];
static atomic_uint_fast64_t c_http[6];          /* by status class: [1] = 1xx … [5] = 5xx */
static atomic_uint_fast64_t c_disk_refusals;

static struct {
	pthread_mutex_t mu;
	uint64_t bucket[N_BOUNDS + 1];   /* per bucket, not cumulative; the last is > 3600 */
	uint64_t count;
	uint64_t sum_ms;
} hist = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0 };

/* --- updaters --------------------------------------------------------------------------- */

void
pcb_metrics_job_queued(enum pcb_job_kind k)
{
	if ((size_t)k >= N_KINDS)
		return;
	atomic_fetch_add(&c_submitted[k], 1);
	atomic_fetch_add(&g_queued[k], 1);
}

void
pcb_metrics_job_started(enum pcb_job_kind k)
{
	if ((size_t)k >= N_KINDS)
		return;
	atomic_fetch_sub(&g_queued[k], 1);
	atomic_fetch_add(&g_running[k], 1);
}

void
pcb_metrics_job_finished(enum pcb_job_kind k, bool started, const char *state, int64_t run_ms)
{
	size_t e;

	if ((size_t)k >= N_KINDS)
		return;
	atomic_fetch_sub(started ? &g_running[k] : &g_queued[k], 1);
	for (e = 0; e < N_ENDS && strcmp(end_names[e], state) != 0; e++)
		;
	if (e < N_ENDS)
		atomic_fetch_add(&c_finished[k][e], 1);
	if (k != PCB_JOB_BUILD || !started)
		return;
	if (run_ms < 0)
		run_ms = 0;   /* the wall clock stepped back */
	pthread_mutex_lock(&hist.mu);
	{
		size_t b;
		for (b = 0; b < N_BOUNDS && (double)run_ms / 1000.0 > duration_bounds[b]; b++)
			;
		hist.bucket[b]++;
		hist.count++;
		hist.sum_ms += (uint64_t)run_ms;
	}
	pthread_mutex_unlock(&hist.mu);
}

void
pcb_metrics_http_reply(unsigned int status)
{
	unsigned int c = status / 100;

	if (c >= 1 && c <= 5)
		atomic_fetch_add(&c_http[c], 1);
}

void
pcb_metrics_disk_refusal(void)
{
	atomic_fetch_add(&c_disk_refusals, 1);
}

/* --- exposition ------------------------------------------------------------------------- */

/* A label value as the format wants it: backslash, double quote and newline escaped. */
static void
append_label_value(struct pcb_buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\': pcb_buf_append(b, "\\\\", 2); break;
		case '"': pcb_buf_append(b, "\\\"", 2); break;
		case '\n': pcb_buf_append(b, "\\n", 2); break;
		default: pcb_buf_append(b, v, 1); break;
		}
	}
}

static void
family(struct pcb_buf *b, const char *name, const char *type, const char *help)
{
	pcb_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample_u64(struct pcb_buf *b, const char *name, uint64_t v)
{
	pcb_buf_appendf(b, "%s %" PRIu64 "\n", name, v);
}

/* name{key="value"} v — one label. */
static void
sample_l1(struct pcb_buf *b, const char *name, const char *key, const char *value, int64_t v)
{
	pcb_buf_appendf(b, "%s{%s=\"", name, key);
	append_label_value(b, value);
	pcb_buf_appendf(b, "\"} %" PRId64 "\n", v);
}

static void
sample_l2(struct pcb_buf *b, const char *name, const char *k1, const char *v1,
    const char *k2, const char *v2, int64_t v)
{
	pcb_buf_appendf(b, "%s{%s=\"", name, k1);
	append_label_value(b, v1);
	pcb_buf_appendf(b, "\",%s=\"", k2);
	append_label_value(b, v2);
	pcb_buf_appendf(b, "\"} %" PRId64 "\n", v);
}

static void
render_jobs(struct pcb_buf *b, const struct pcb_metrics_snapshot *s)
{
	uint64_t bucket[N_BOUNDS + 1], count, sum_ms, cum = 0;

	family(b, "pycontainerd_jobs", "gauge",
	    "Jobs not yet finished, by kind and state (queued or running).");
	for (size_t k = 0; k < N_KINDS; k++) {
		int64_t q = atomic_load(&g_queued[k]), r = atomic_load(&g_running[k]);
		sample_l2(b, "pycontainerd_jobs", "kind", kind_names[k], "state", "queued",
		    q < 0 ? 0 : q);
		sample_l2(b, "pycontainerd_jobs", "kind", kind_names[k], "state", "running",
		    r < 0 ? 0 : r);
	}
	family(b, "pycontainerd_jobs_submitted_total", "counter",
	    "Jobs accepted and queued since the daemon started, by kind.");
	for (size_t k = 0; k < N_KINDS; k++)
		sample_l1(b, "pycontainerd_jobs_submitted_total", "kind", kind_names[k],
		    (int64_t)atomic_load(&c_submitted[k]));
	family(b, "pycontainerd_jobs_finished_total", "counter",
	    "Jobs that ended since the daemon started, by kind and final state.");
	for (size_t k = 0; k < N_KINDS; k++)
		for (size_t e = 0; e < N_ENDS; e++)
			sample_l2(b, "pycontainerd_jobs_finished_total", "kind", kind_names[k],
			    "state", end_names[e], (int64_t)atomic_load(&c_finished[k][e]));
	family(b, "pycontainerd_queue_depth", "gauge",
	    "Jobs of every kind waiting for a free worker.");
	sample_u64(b, "pycontainerd_queue_depth", (uint64_t)(s->jobs_queued < 0 ? 0 :
	    s->jobs_queued));
	family(b, "pycontainerd_workers", "gauge", "Worker threads that run jobs.");
	sample_u64(b, "pycontainerd_workers", (uint64_t)(s->workers < 0 ? 0 : s->workers));

	pthread_mutex_lock(&hist.mu);
	memcpy(bucket, hist.bucket, sizeof bucket);
	count = hist.count;
	sum_ms = hist.sum_ms;
	pthread_mutex_unlock(&hist.mu);
	family(b, "pycontainerd_build_duration_seconds", "histogram",
	    "How long builds ran, from a worker taking them to their end, whatever the outcome.");
	for (size_t i = 0; i < N_BOUNDS; i++) {
		cum += bucket[i];
		pcb_buf_appendf(b, "pycontainerd_build_duration_seconds_bucket{le=\"%g\"} %" PRIu64
		    "\n", duration_bounds[i], cum);
	}
	cum += bucket[N_BOUNDS];
	pcb_buf_appendf(b, "pycontainerd_build_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
	    cum);
	pcb_buf_appendf(b, "pycontainerd_build_duration_seconds_sum %" PRIu64 ".%03u\n",
	    sum_ms / 1000, (unsigned)(sum_ms % 1000));
	sample_u64(b, "pycontainerd_build_duration_seconds_count", count);
}

static void
render_engine(struct pcb_buf *b)
{
	struct pcb_lcache_stats lc;
	struct pcb_layer_stats ls;
	struct pcb_transfer_stats ts;

	memset(&lc, 0, sizeof lc);
	pcb_lcache_stats(&lc);
	pcb_layer_stats(&ls);
	pcb_transfer_stats(&ts);
	family(b, "pycontainerd_layer_cache_hits_total", "counter",
	    "Layers reused from the derived-layer cache, by the key that found them (stat: "
	    "nothing read; content: files hashed).");
	sample_l1(b, "pycontainerd_layer_cache_hits_total", "key", "stat", (int64_t)lc.stat_hits);
	sample_l1(b, "pycontainerd_layer_cache_hits_total", "key", "content",
	    (int64_t)lc.content_hits);
	family(b, "pycontainerd_layer_cache_misses_total", "counter",
	    "Layer cache lookups that found nothing, so the layer was packed.");
	sample_u64(b, "pycontainerd_layer_cache_misses_total", lc.misses);
	family(b, "pycontainerd_layer_cache_hashed_bytes_total", "counter",
	    "Bytes of files the layer cache read to learn their digests.");
	sample_u64(b, "pycontainerd_layer_cache_hashed_bytes_total", lc.bytes_read);
	family(b, "pycontainerd_layers_packed_total", "counter", "Layer blobs packed.");
	sample_u64(b, "pycontainerd_layers_packed_total", ls.layers);
	family(b, "pycontainerd_packed_bytes_total", "counter",
	    "Compressed layer bytes written to the store by packing.");
	sample_u64(b, "pycontainerd_packed_bytes_total", ls.bytes);
	family(b, "pycontainerd_packed_tar_bytes_total", "counter",
	    "Uncompressed tar bytes of the layers packed.");
	sample_u64(b, "pycontainerd_packed_tar_bytes_total", ls.tar_bytes);
	family(b, "pycontainerd_registry_pushed_bytes_total", "counter",
	    "Blob bytes uploaded to registries.");
	sample_u64(b, "pycontainerd_registry_pushed_bytes_total", ts.bytes_pushed);
	family(b, "pycontainerd_registry_pulled_bytes_total", "counter",
	    "Blob bytes downloaded from registries.");
	sample_u64(b, "pycontainerd_registry_pulled_bytes_total", ts.bytes_pulled);
	family(b, "pycontainerd_registry_blobs_total", "counter",
	    "Blobs handled in registry transfers, by what was done (upload, download, skip: the "
	    "registry had it, mount: from another repository).");
	sample_l1(b, "pycontainerd_registry_blobs_total", "action", "upload",
	    (int64_t)ts.blobs_pushed);
	sample_l1(b, "pycontainerd_registry_blobs_total", "action", "download",
	    (int64_t)ts.blobs_pulled);
	sample_l1(b, "pycontainerd_registry_blobs_total", "action", "skip",
	    (int64_t)ts.blobs_skipped);
	sample_l1(b, "pycontainerd_registry_blobs_total", "action", "mount",
	    (int64_t)ts.blobs_mounted);
}

static void
render_store(struct pcb_buf *b, const struct pcb_metrics_snapshot *s)
{
	const char *dir = s->state_dir != NULL ? s->state_dir : "";
	uint64_t need = s->policy.min_free_bytes > PCB_METRICS_DISK_FLOOR ?
	    s->policy.min_free_bytes : PCB_METRICS_DISK_FLOOR;

	if (s->have_usage) {
		family(b, "pycontainerd_store_size_bytes", "gauge",
		    "Bytes of every blob indexed in the content store.");
		sample_u64(b, "pycontainerd_store_size_bytes", s->usage.total.bytes);
		family(b, "pycontainerd_store_blobs", "gauge", "Blobs indexed in the content store.");
		sample_u64(b, "pycontainerd_store_blobs", s->usage.total.blobs);
		family(b, "pycontainerd_store_referenced_bytes", "gauge",
		    "Bytes of stored blobs reachable from a tag (never evicted).");
		sample_u64(b, "pycontainerd_store_referenced_bytes", s->usage.referenced.bytes);
		family(b, "pycontainerd_store_pinned_bytes", "gauge",
		    "Bytes of stored blobs held by running jobs.");
		sample_u64(b, "pycontainerd_store_pinned_bytes", s->usage.pinned.bytes);
	}
	family(b, "pycontainerd_store_limit_bytes", "gauge",
	    "The store size the cache collection keeps to (--cache-max-size; 0: none).");
	sample_u64(b, "pycontainerd_store_limit_bytes", s->policy.max_bytes);
	family(b, "pycontainerd_store_min_free_bytes", "gauge",
	    "Free space the cache collection keeps on the store's filesystem (--cache-min-free).");
	sample_u64(b, "pycontainerd_store_min_free_bytes", s->policy.min_free_bytes);
	if (s->have_fs) {
		family(b, "pycontainerd_filesystem_free_bytes", "gauge",
		    "Bytes available on the filesystem holding the state directory.");
		sample_l1(b, "pycontainerd_filesystem_free_bytes", "dir", dir,
		    (int64_t)s->fs_free_bytes);
		family(b, "pycontainerd_filesystem_size_bytes", "gauge",
		    "Size of the filesystem holding the state directory.");
		sample_l1(b, "pycontainerd_filesystem_size_bytes", "dir", dir,
		    (int64_t)s->fs_size_bytes);
		family(b, "pycontainerd_disk_low", "gauge",
		    "1 when free space is under the min-free (or the daemon's floor): builds, pulls "
		    "and bases are refused with 507 and /v1/health says degraded.");
		sample_l1(b, "pycontainerd_disk_low", "dir", dir, s->fs_free_bytes < need ? 1 : 0);
	}
	family(b, "pycontainerd_disk_full_refusals_total", "counter",
	    "Jobs refused with 507 disk_full because free space was low.");
	sample_u64(b, "pycontainerd_disk_full_refusals_total", atomic_load(&c_disk_refusals));
}

char *
pcb_metrics_render(const struct pcb_metrics_snapshot *s)
{
	static const char *const classes[6] = { NULL, "1xx", "2xx", "3xx", "4xx", "5xx" };
	struct pcb_buf b;

	pcb_buf_init(&b, RENDER_MAX);
	family(&b, "pycontainerd_build_info", "gauge", "The daemon's version, as a label; always 1.");
	sample_l1(&b, "pycontainerd_build_info", "version", PCB_VERSION, 1);
	family(&b, "pycontainerd_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the epoch.");
	pcb_buf_appendf(&b, "pycontainerd_start_time_seconds %" PRId64 ".%03d\n",
	    s->start_time_ms / 1000, (int)(s->start_time_ms % 1000));
	render_jobs(&b, s);
	render_engine(&b);
	render_store(&b, s);
	family(&b, "pycontainerd_sse_clients", "gauge", "Clients following job events (SSE).");
	sample_u64(&b, "pycontainerd_sse_clients", (uint64_t)(s->sse_clients < 0 ? 0 :
	    s->sse_clients));
	family(&b, "pycontainerd_http_requests_total", "counter",
	    "HTTP responses sent, by status class.");
	for (int c = 1; c <= 5; c++)
		sample_l1(&b, "pycontainerd_http_requests_total", "code", classes[c],
		    (int64_t)atomic_load(&c_http[c]));
	return pcb_buf_steal(&b, NULL);
}

/* --- free space ------------------------------------------------------------------------- */

/* "1.5 GiB": for messages, next to the exact byte count. */
static void
human(uint64_t n, char *out, size_t sz)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, sz, "%" PRIu64 " bytes", n);
	else
		snprintf(out, sz, "%.1f %s", v, units[u]);
}

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void
unescape_octal(char *s)
{
	char *w = s;

	for (char *p = s; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

static bool
path_under(const char *path, const char *mnt)
{
	size_t n = strlen(mnt);

	if (strcmp(mnt, "/") == 0)
		return path[0] == '/';
	return strncmp(path, mnt, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The mount point of the filesystem holding dir: the longest mount point above dir's real
 * path among the mounts of its device, else among all mounts (overlay and btrfs report
 * device numbers that mountinfo does not list). "" when /proc is not there. */
static void
mount_point_of(const char *dir, char *out, size_t sz)
{
	char real[PATH_MAX], line[4096], best_dev[512] = "", best_any[512] = "";
	struct stat st;
	FILE *f;
	bool have_st;

	out[0] = '\0';
	if (realpath(dir, real) == NULL)
		return;
	have_st = stat(real, &st) == 0;
	f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned maj, min;
		char mnt[512];

		/* "36 35 98:0 /root /mnt/point options … - fstype source options" */
		if (sscanf(line, "%*s %*s %u:%u %*s %511s", &maj, &min, mnt) != 3)
			continue;
		unescape_octal(mnt);
		if (!path_under(real, mnt))
			continue;
		if (strlen(mnt) >= strlen(best_any))
			snprintf(best_any, sizeof best_any, "%s", mnt);
		if (have_st && major(st.st_dev) == maj && minor(st.st_dev) == min &&
		    strlen(mnt) >= strlen(best_dev))
			snprintf(best_dev, sizeof best_dev, "%s", mnt);
	}
	fclose(f);
	snprintf(out, sz, "%s", best_dev[0] != '\0' ? best_dev : best_any);
}

int
pcb_metrics_disk_state(const char *dir, uint64_t min_free, struct pcb_disk_state *out,
    struct pcb_err *err)
{
	struct statvfs v;

	memset(out, 0, sizeof *out);
	out->min_free_bytes = min_free;
	out->need_bytes = min_free > PCB_METRICS_DISK_FLOOR ? min_free : PCB_METRICS_DISK_FLOOR;
	if (statvfs(dir, &v) != 0)
		return pcb_err_errno(err, errno, "statvfs %s", dir);
	out->free_bytes = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	out->size_bytes = (uint64_t)v.f_blocks * (uint64_t)v.f_frsize;
	out->low = out->free_bytes < out->need_bytes;
	mount_point_of(dir, out->mount_point, sizeof out->mount_point);
	return 0;
}

int
pcb_metrics_check_disk(struct pcb_store *s, struct pcb_err *err)
{
	struct pcb_store_policy pol;
	struct pcb_disk_state ds;
	char free_h[32], need_h[32];
	const char *dir = pcb_store_root(s);

	pcb_store_get_policy(s, &pol);
	if (pcb_metrics_disk_state(dir, pol.min_free_bytes, &ds, NULL) != 0 || !ds.low)
		return 0;
	pcb_metrics_disk_refusal();
	human(ds.free_bytes, free_h, sizeof free_h);
	human(ds.need_bytes, need_h, sizeof need_h);
	return pcb_err_set(err, PCB_ENOSPC, "disk full: the filesystem mounted on %s (state "
	    "directory %s) has %s (%" PRIu64 " bytes) free, under the %s kept free (%s); free "
	    "space there, prune the cache, or lower --cache-min-free",
	    ds.mount_point[0] != '\0' ? ds.mount_point : dir, dir, free_h, ds.free_bytes, need_h,
	    ds.need_bytes == pol.min_free_bytes ? "--cache-min-free" : "the daemon's minimum");
}

int
pcb_metrics_check_min_free(const char *state_dir, uint64_t min_free, struct pcb_err *err)
{
	struct pcb_disk_state ds;
	char min_h[32], size_h[32];
	int rc;

	if ((rc = pcb_metrics_disk_state(state_dir, min_free, &ds, err)) != 0) {
		pcb_err_prefix(err, "checking --cache-min-free");
		return rc;
	}
	if (min_free <= ds.size_bytes)
		return 0;
	human(min_free, min_h, sizeof min_h);
	human(ds.size_bytes, size_h, sizeof size_h);
	return pcb_err_set(err, PCB_EINVAL, "--cache-min-free %s (%" PRIu64 " bytes) is larger "
	    "than the whole filesystem mounted on %s (%s, %" PRIu64 " bytes) that holds the state "
	    "directory %s: the cache could never keep that much free", min_h, min_free,
	    ds.mount_point[0] != '\0' ? ds.mount_point : state_dir, size_h, ds.size_bytes,
	    state_dir);
}
