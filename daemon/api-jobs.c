/* api-jobs.c — the job resource: builds, pushes and pulls under one set of routes (list with
 * ?kind=, read, cancel, follow events). The handlers are the build ones, with no kind fixed. */
#include "api.h"

static void
list_jobs(struct pcb_request *r)
{
	pcb_api_list_jobs(r, NULL, "jobs");
}

static void
get_job(struct pcb_request *r)
{
	pcb_api_get_job(r, NULL);
}

static void
cancel_job(struct pcb_request *r)
{
	pcb_api_cancel_job(r, NULL);
}

static void
stream_events(struct pcb_request *r)
{
	pcb_api_stream_job_events(r, NULL);
}

const struct pcb_route pcb_api_jobs_routes[] = {
	{ "GET", "/v1/jobs", list_jobs, "listJobs", false },
	{ "GET", "/v1/jobs/{id}", get_job, "getJob", false },
	{ "DELETE", "/v1/jobs/{id}", cancel_job, "cancelJob", false },
	{ "GET", "/v1/jobs/{id}/events", stream_events, "streamJobEvents", false },
	{ NULL, NULL, NULL, NULL, false },
};
