/* api-plan.c — POST /v1/plan: what a build of this spec would do, without building.
 *
 * Discovery reads project files, so it runs on libuv's thread pool while the connection is
 * suspended; the loop thread never waits on the disk for it. */
#include <stdlib.h>

#include <json-c/json.h>

#include "api.h"

struct plan_work {
	uv_work_t w;
	struct pcb_request *r;
	struct pcb_build_spec spec;
	json_object *plan;
	struct pcb_err err;
	int rc;
};

static void
plan_run(uv_work_t *w)
{
	struct plan_work *p = w->data;

	p->rc = pcb_build_plan(&p->spec, &p->plan, &p->err);
}

static void
plan_done(uv_work_t *w, int status)
{
	struct plan_work *p = w->data;

	p->r->d->n_async--;
	if (status != 0 && p->rc == 0)
		p->rc = pcb_err_set(&p->err, PCB_EINTERNAL, "the plan could not run");
	if (p->rc != 0) {
		json_object_put(p->plan);
		pcb_http_resume_err(p->r, &p->err);
	} else
		pcb_http_resume_json(p->r, 200, p->plan);
	pcb_build_spec_free(&p->spec);
	free(p);
}

static void
plan_build(struct pcb_request *r)
{
	struct plan_work *p;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	p = pcb_xcalloc(1, sizeof *p);
	if (pcb_api_read_spec(r, &p->spec, &err) != 0) {
		free(p);
		pcb_http_reply_err(r, &err);
		return;
	}
	pcb_err_clear(&p->err);
	p->r = r;
	p->w.data = p;
	pcb_http_suspend(r);
	r->d->n_async++;
	uv_queue_work(r->d->loop, &p->w, plan_run, plan_done);
}

const struct pcb_route pcb_api_plan_routes[] = {
	{ "POST", "/v1/plan", plan_build, "planBuild", true },
	{ NULL, NULL, NULL, NULL, false },
};
