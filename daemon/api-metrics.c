/* api-metrics.c — GET /metrics: the daemon's metrics in the Prometheus text format 0.0.4
 * (metrics.c renders them).
 *
 * The loop-thread figures (jobs, workers, event streams) are read in the handler; the store's
 * usage walks its index and tags, so it and the rendering run on libuv's thread pool with the
 * connection suspended, like GET /v1/cache. d->n_async counts that work; shutdown waits. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "jobs.h"
#include "metrics.h"

struct scrape {
	uv_work_t w;
	struct pcb_request *r;
	struct pcb_daemon *d;
	struct pcb_metrics_snapshot snap;
	char *text;
};

/* Thread pool: the store is thread-safe and the snapshot is this work's own copy. */
static void
scrape_run(uv_work_t *w)
{
	struct scrape *sc = w->data;
	struct pcb_disk_state ds;

	sc->snap.have_usage = pcb_store_usage(sc->d->store, &sc->snap.usage, NULL) == 0;
	if (pcb_metrics_disk_state(sc->d->state_dir, sc->snap.policy.min_free_bytes, &ds,
	    NULL) == 0) {
		sc->snap.have_fs = true;
		sc->snap.fs_free_bytes = ds.free_bytes;
		sc->snap.fs_size_bytes = ds.size_bytes;
	}
	sc->text = pcb_metrics_render(&sc->snap);
}

/* Loop thread. A failed queueing (status != 0) still answers: only the store figures are
 * then missing, and the counters are worth having. */
static void
scrape_done(uv_work_t *w, int status)
{
	struct scrape *sc = w->data;
	struct MHD_Response *resp;
	size_t len;

	sc->d->n_async--;
	if (status != 0 || sc->text == NULL) {
		free(sc->text);
		sc->snap.have_usage = sc->snap.have_fs = false;
		sc->text = pcb_metrics_render(&sc->snap);
	}
	len = strlen(sc->text);
	resp = MHD_create_response_from_buffer(len, sc->text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, PCB_METRICS_CONTENT_TYPE);
	pcb_http_resume_response(sc->r, 200, resp);
	free(sc);
}

static void
get_metrics(struct pcb_request *r)
{
	static const char *const allowed[] = { NULL };
	/* The wall-clock start, fixed at the first scrape: recomputing it from the monotonic
	 * start each time would make the gauge jitter by a millisecond. */
	static int64_t start_wall_ms;
	struct scrape *sc;
	struct pcb_err err;

	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (start_wall_ms == 0)
		start_wall_ms = pcb_now_ms() - (pcb_monotonic_ms() - r->d->start_ms);
	sc = pcb_xcalloc(1, sizeof *sc);
	sc->w.data = sc;
	sc->r = r;
	sc->d = r->d;
	sc->snap.workers = pcb_jobs_workers(r->d->jobs);
	pcb_jobs_counts(r->d->jobs, &sc->snap.jobs_running, &sc->snap.jobs_queued);
	sc->snap.sse_clients = pcb_jobs_n_subs(r->d->jobs);
	sc->snap.start_time_ms = start_wall_ms;
	sc->snap.state_dir = r->d->state_dir;
	pcb_store_get_policy(r->d->store, &sc->snap.policy);
	pcb_http_suspend(r);
	r->d->n_async++;
	if (uv_queue_work(r->d->loop, &sc->w, scrape_run, scrape_done) != 0)
		scrape_done(&sc->w, -1);
}

const struct pcb_route pcb_api_metrics_routes[] = {
	{ "GET", "/metrics", get_metrics, "getMetrics", false },
	{ NULL, NULL, NULL, NULL, false },
};
