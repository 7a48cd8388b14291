/* api-health.c — GET /v1/health: liveness, load and the store's free space, cheap enough to
 * poll. The status is "degraded" while the store's filesystem is under the cache's min-free
 * (or the daemon's floor, metrics.h): the daemon serves, but refuses builds, pulls and bases
 * with 507 until space is freed. */
#include <json-c/json.h>

#include "http.h"
#include "jobs.h"
#include "metrics.h"

/* One statvfs and a read of /proc/self/mountinfo: fast enough for the loop thread. */
static json_object *
disk_json(struct pcb_request *r, bool *low)
{
	json_object *o = json_object_new_object();
	struct pcb_store_policy pol;
	struct pcb_disk_state ds;
	bool ok;

	pcb_store_get_policy(r->d->store, &pol);
	ok = pcb_metrics_disk_state(r->d->state_dir, pol.min_free_bytes, &ds, NULL) == 0;
	*low = ok && ds.low;
	json_object_object_add(o, "path", json_object_new_string(r->d->state_dir));
	json_object_object_add(o, "mount_point", ok && ds.mount_point[0] != '\0' ?
	    json_object_new_string(ds.mount_point) : NULL);
	json_object_object_add(o, "free_bytes", ok ?
	    json_object_new_int64((int64_t)ds.free_bytes) : NULL);
	json_object_object_add(o, "total_bytes", ok ?
	    json_object_new_int64((int64_t)ds.size_bytes) : NULL);
	json_object_object_add(o, "min_free_bytes", json_object_new_int64((int64_t)
	    pol.min_free_bytes));
	json_object_object_add(o, "required_free_bytes", json_object_new_int64((int64_t)
	    (pol.min_free_bytes > PCB_METRICS_DISK_FLOOR ? pol.min_free_bytes :
	    PCB_METRICS_DISK_FLOOR)));
	json_object_object_add(o, "low", json_object_new_boolean(*low));
	return o;
}

static void
get_health(struct pcb_request *r)
{
	json_object *j = json_object_new_object(), *disk;
	int running, queued;
	bool low;

	pcb_jobs_counts(r->d->jobs, &running, &queued);
	disk = disk_json(r, &low);
	json_object_object_add(j, "status", json_object_new_string(r->d->shutting_down ?
	    "shutting_down" : low ? "degraded" : "ok"));
	json_object_object_add(j, "uptime_seconds",
	    json_object_new_int64((pcb_monotonic_ms() - r->d->start_ms) / 1000));
	json_object_object_add(j, "workers", json_object_new_int(pcb_jobs_workers(r->d->jobs)));
	json_object_object_add(j, "builds_running", json_object_new_int(running));
	json_object_object_add(j, "builds_queued", json_object_new_int(queued));
	json_object_object_add(j, "disk", disk);
	pcb_http_reply_json(r, 200, j, NULL);
}

const struct pcb_route pcb_api_health_routes[] = {
	{ "GET", "/v1/health", get_health, "getHealth", false },
	{ NULL, NULL, NULL, NULL, false },
};
