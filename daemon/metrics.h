/* metrics.h — the daemon's Prometheus metrics and its free-space guard.
 *
 * Metrics: process-wide counters and gauges that the job engine (jobs.c) and the HTTP layer
 * (http.c) update as things happen, plus figures read at scrape time (store usage, statvfs,
 * layer-cache and packing counters that common/ keeps itself), rendered in the Prometheus
 * text exposition format 0.0.4 for GET /metrics (api-metrics.c).
 *
 * Free space: the store's filesystem is "low" when its free bytes are under the cache's
 * min-free (pcb_store_policy.min_free_bytes, --cache-min-free) or under an absolute floor.
 * /v1/health then says "degraded", and jobs that add blobs (build, pull, base) are refused
 * with PCB_ENOSPC (HTTP 507, code disk_full) before anything is written: a full disk would
 * otherwise surface as a failed SQLite write in the middle of the job.
 *
 * Thread-safety: every pcb_metrics_* updater may be called from any thread (C11 atomics; the
 * duration histogram is under a mutex so a scrape sees its buckets, sum and count agree).
 * The disk functions keep no state and may be called from any thread. Nothing here needs
 * the loop, so tests may link this file on its own. */
#ifndef PCB_METRICS_H
#define PCB_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "image/store.h"
#include "jobs.h"

/* Below this many free bytes the filesystem is low whatever --cache-min-free says (0
 * included): SQLite needs room for its journal, and a build needs room for its layers. */
#define PCB_METRICS_DISK_FLOOR ((uint64_t)64 << 20)

/* --- updaters (any thread) -------------------------------------------------------------- */

/* A job was recorded and queued (pcb_jobs_submit). */
void pcb_metrics_job_queued(enum pcb_job_kind k);
/* A worker started it (the loop handled its start). */
void pcb_metrics_job_started(enum pcb_job_kind k);
/* It ended in state "succeeded", "failed" or "cancelled". started: whether it ran (false for
 * one cancelled or interrupted while queued); run_ms: how long it ran (builds feed the
 * duration histogram). */
void pcb_metrics_job_finished(enum pcb_job_kind k, bool started, const char *state,
    int64_t run_ms);
/* An HTTP response was queued with this status. */
void pcb_metrics_http_reply(unsigned int status);
/* A job was refused because the disk is low (the 507 answers). */
void pcb_metrics_disk_refusal(void);

/* --- exposition ------------------------------------------------------------------------- */

/* What a scrape reads besides the counters above: loop-thread state and the store's usage,
 * gathered by api-metrics.c. */
struct pcb_metrics_snapshot {
	int workers;
	int jobs_running;            /* pcb_jobs_counts: every kind */
	int jobs_queued;
	int sse_clients;             /* event-stream subscribers alive */
	int64_t start_time_ms;       /* wall clock when the daemon started */
	const char *state_dir;       /* borrowed; the label of the filesystem gauges */
	struct pcb_store_policy policy;
	bool have_usage;             /* false when reading the store failed */
	struct pcb_store_usage usage;
	bool have_fs;                /* false when statvfs failed */
	uint64_t fs_free_bytes;      /* available to the daemon (f_bavail) */
	uint64_t fs_size_bytes;
};

/* The exposition text (caller frees). Every family has # HELP and # TYPE lines; counters end
 * in _total; label values are escaped as the format requires. */
char *pcb_metrics_render(const struct pcb_metrics_snapshot *s);

/* The Content-Type of the exposition. */
#define PCB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* --- free space ------------------------------------------------------------------------- */

struct pcb_disk_state {
	uint64_t free_bytes;         /* f_bavail × f_frsize: what an unprivileged writer gets */
	uint64_t size_bytes;         /* f_blocks × f_frsize */
	uint64_t min_free_bytes;     /* the policy's min-free (0 = none) */
	uint64_t need_bytes;         /* max(min-free, floor): below this the disk is low */
	bool low;
	char mount_point[512];       /* from /proc/self/mountinfo; "" when not found */
};

/* statvfs of dir and the verdict against min_free and the floor. PCB_EIO (errno-derived)
 * naming dir when statvfs fails. */
int pcb_metrics_disk_state(const char *dir, uint64_t min_free, struct pcb_disk_state *out,
    struct pcb_err *err);

/* Before a job that adds blobs: 0 when the store's filesystem has room, else PCB_ENOSPC with
 * a message naming the filesystem (mount point and the state directory) and the free bytes.
 * A failing statvfs is not a refusal (the job's own writes will tell). */
int pcb_metrics_check_disk(struct pcb_store *s, struct pcb_err *err);

/* Start-up: PCB_EINVAL when min_free is larger than the whole filesystem holding state_dir
 * (the daemon could never be anything but low), with both figures and the mount point.
 * PCB_EIO when statvfs fails. */
int pcb_metrics_check_min_free(const char *state_dir, uint64_t min_free, struct pcb_err *err);

#endif
