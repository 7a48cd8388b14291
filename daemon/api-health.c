/* api-health.c — GET /v1/health: liveness and load, cheap enough to poll. */
#include <json-c/json.h>

#include "http.h"
#include "jobs.h"

static void
get_health(struct pcb_request *r)
{
	json_object *j = json_object_new_object();
	int running, queued;

	pcb_jobs_counts(r->d->jobs, &running, &queued);
	json_object_object_add(j, "status",
	    json_object_new_string(r->d->shutting_down ? "shutting_down" : "ok"));
	json_object_object_add(j, "uptime_seconds",
	    json_object_new_int64((pcb_monotonic_ms() - r->d->start_ms) / 1000));
	json_object_object_add(j, "workers", json_object_new_int(pcb_jobs_workers(r->d->jobs)));
	json_object_object_add(j, "builds_running", json_object_new_int(running));
	json_object_object_add(j, "builds_queued", json_object_new_int(queued));
	pcb_http_reply_json(r, 200, j, NULL);
}

const struct pcb_route pcb_api_health_routes[] = {
	{ "GET", "/v1/health", get_health, "getHealth", false },
	{ NULL, NULL, NULL, NULL, false },
};
