/* api-rebases.c — POST /v1/rebases: put an image of the store on another base (or on what its
 * base tag names now) without rebuilding it, as a job of kind "rebase" (ids "r-…"), followed
 * like any job under /v1/jobs/{id}. A build id is resolved here, on the loop thread that owns
 * the job records, so the worker only ever sees a manifest digest (as api-pushes.c does).
 *
 * Why a job and not an answer in the request: the rebase itself is two small blobs and a tag
 * (a few milliseconds), but the new base may first have to be pulled from its registry
 * (network, credentials, cancellation), and a job also keeps what it wrote safe from the
 * cache's collection while it runs and triggers one when it ends. */
#include <stdlib.h>

#include <json-c/json.h>

#include "api.h"
#include "jobs.h"

static void
create_rebase(struct pcb_request *r)
{
	struct pcb_rebase_spec spec;
	json_object *j = NULL, *job = NULL;
	struct pcb_err err;
	int rc;

	pcb_err_clear(&err);
	pcb_rebase_spec_init(&spec);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	rc = pcb_http_body_json(r, &j, &err);
	if (rc == 0)
		rc = pcb_rebase_spec_from_json(j, &spec, &err);
	pcb_transfer_scrub_json(j);
	json_object_put(j);
	if (rc == 0 && pcb_push_source_is_build(spec.image)) {
		rc = pcb_jobs_build_manifest(r->d->jobs, spec.image, &r->who,
		    &spec.manifest_digest, &err);
		if (rc != 0)
			pcb_err_prefix(&err, "image");
	}
	if (rc == 0) {
		spec.as = r->caller;   /* whose tags it reads and writes */
		rc = pcb_jobs_submit(r->d->jobs, PCB_JOB_REBASE, &spec, &r->who, &job, &err);
	}
	pcb_rebase_spec_free(&spec);
	if (rc != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_api_reply_job(r, job);
}

const struct pcb_route pcb_api_rebases_routes[] = {
	{ "POST", "/v1/rebases", create_rebase, "createRebase", true },
	{ NULL, NULL, NULL, NULL, false },
};
