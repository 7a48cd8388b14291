/* api-bases.c — POST /v1/bases: make a base image from the daemon host's Python (its
 * interpreter, standard library and shared libraries) and tag it in the store, as a job of
 * kind "base" (ids "h-…"), followed like any job under /v1/jobs/{id}. */
#include <json-c/json.h>

#include "api.h"
#include "jobs.h"

static void
create_base(struct pcb_request *r)
{
	struct pcb_hostbase_spec spec;
	json_object *j = NULL, *job = NULL;
	struct pcb_err err;
	int rc;

	pcb_err_clear(&err);
	pcb_hostbase_spec_init(&spec);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	rc = pcb_http_body_json(r, &j, &err);
	if (rc == 0)
		rc = pcb_hostbase_spec_from_json(j, &spec, &err);
	json_object_put(j);
	if (rc == 0) {
		spec.as = r->caller;   /* whose tags it reads and writes */
		rc = pcb_jobs_submit(r->d->jobs, PCB_JOB_BASE, &spec, &r->who, &job, &err);
	}
	pcb_hostbase_spec_free(&spec);
	if (rc != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_api_reply_job(r, job);
}

const struct pcb_route pcb_api_bases_routes[] = {
	{ "POST", "/v1/bases", create_base, "createBase", true },
	{ NULL, NULL, NULL, NULL, false },
};
