/* api-pushes.c — POST /v1/pushes: push an image from the store (a tag, a succeeded build or a
 * manifest digest) to registries, as a job. A build id is resolved here, on the loop thread
 * that owns the job records, so the worker only ever sees a manifest digest. */
#include <stdlib.h>

#include <json-c/json.h>

#include "api.h"
#include "jobs.h"

static void
create_push(struct pcb_request *r)
{
	struct pcb_push_spec spec;
	json_object *j = NULL, *job = NULL;
	struct pcb_err err;
	int rc;

	pcb_err_clear(&err);
	pcb_push_spec_init(&spec);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	rc = pcb_http_body_json(r, &j, &err);
	if (rc == 0)
		rc = pcb_push_spec_from_json(j, &spec, &err);
	pcb_transfer_scrub_json(j);
	json_object_put(j);
	if (rc == 0 && pcb_push_source_is_build(spec.source)) {
		rc = pcb_jobs_build_manifest(r->d->jobs, spec.source, &r->who,
		    &spec.manifest_digest, &err);
		if (rc != 0)
			pcb_err_prefix(&err, "source");
	}
	if (rc == 0) {
		spec.as = r->caller;   /* whose tags it reads and writes */
		rc = pcb_jobs_submit(r->d->jobs, PCB_JOB_PUSH, &spec, &r->who, &job, &err);
	}
	pcb_push_spec_free(&spec);
	if (rc != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_api_reply_job(r, job);
}

const struct pcb_route pcb_api_pushes_routes[] = {
	{ "POST", "/v1/pushes", create_push, "createPush", true },
	{ NULL, NULL, NULL, NULL, false },
};
