/* api-pulls.c — POST /v1/pulls: pull an image from a registry into the daemon's store (and tag
 * it there), as a job. */
#include <json-c/json.h>

#include "api.h"
#include "jobs.h"

static void
create_pull(struct pcb_request *r)
{
	struct pcb_pull_spec spec;
	json_object *j = NULL, *job = NULL;
	struct pcb_err err;
	int rc;

	pcb_err_clear(&err);
	pcb_pull_spec_init(&spec);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	rc = pcb_http_body_json(r, &j, &err);
	if (rc == 0)
		rc = pcb_pull_spec_from_json(j, &spec, &err);
	pcb_transfer_scrub_json(j);
	json_object_put(j);
	if (rc == 0) {
		spec.as = r->caller;   /* whose tags it reads and writes */
		rc = pcb_jobs_submit(r->d->jobs, PCB_JOB_PULL, &spec, &r->who, &job, &err);
	}
	pcb_pull_spec_free(&spec);
	if (rc != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_api_reply_job(r, job);
}

const struct pcb_route pcb_api_pulls_routes[] = {
	{ "POST", "/v1/pulls", create_pull, "createPull", true },
	{ NULL, NULL, NULL, NULL, false },
};
