/* api-builds.c — the build resource: submit, list, read, cancel, and follow its events (SSE).
 * The spec reader here is shared with api-plan.c, and the list/get/cancel/events handlers
 * (parameterised by job kind) with api-jobs.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api.h"
#include "jobs.h"
#include "log.h"

#define SSE_BLOCK 16384

int
pcb_api_read_spec(struct pcb_request *r, struct pcb_build_spec *spec, struct pcb_err *err)
{
	json_object *j = NULL;
	int rc;

	pcb_build_spec_init(spec);
	rc = pcb_http_body_json(r, &j, err);
	if (rc != 0)
		goto out;
	rc = pcb_build_spec_from_json(j, spec, err);
	if (rc == 0) {
		/* Whose files these are: the build reads and writes them with the caller's rights,
		 * and the first look at them here is taken with those rights too. */
		struct pcb_cred_saved saved;
		spec->as = r->caller;
		spec->max_context = r->caller.set && r->caller.uid != geteuid() ?
		    r->d->policy.user_max_context : 0;
		if ((rc = pcb_cred_enter(&spec->as, &saved, err)) == 0) {
			rc = pcb_build_spec_check(spec, err);
			pcb_cred_leave(&saved);
		}
	}
out:
	pcb_transfer_scrub_json(j);
	json_object_put(j);
	if (rc != 0)
		pcb_build_spec_free(spec);
	return rc;
}

static void
create_build(struct pcb_request *r)
{
	struct pcb_build_spec spec;
	json_object *b = NULL;
	struct pcb_err err;
	char *loc;

	pcb_err_clear(&err);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	if (pcb_api_read_spec(r, &spec, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (pcb_jobs_submit(r->d->jobs, PCB_JOB_BUILD, &spec, &r->who, &b, &err) != 0) {
		pcb_build_spec_free(&spec);
		pcb_http_reply_err(r, &err);
		return;
	}
	pcb_build_spec_free(&spec);
	loc = pcb_xasprintf("/v1/builds/%s", json_object_get_string(json_object_object_get(b, "id")));
	pcb_http_reply_json(r, 202, b, loc);
	free(loc);
}

void
pcb_api_reply_job(struct pcb_request *r, json_object *job)
{
	char *loc = pcb_xasprintf("/v1/jobs/%s",
	    json_object_get_string(json_object_object_get(job, "id")));

	pcb_http_reply_json(r, 202, job, loc);
	free(loc);
}

static bool
valid_state(const char *s)
{
	static const char *const states[] = { "queued", "running", "succeeded", "failed",
	    "cancelled" };

	for (size_t i = 0; i < PCB_ARRAY_LEN(states); i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

/* A decimal integer in [lo, hi], nothing else. */
static bool
parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

void
pcb_api_list_jobs(struct pcb_request *r, const char *kind, const char *key)
{
	static const char *const allowed_builds[] = { "state", "limit", NULL };
	static const char *const allowed_jobs[] = { "kind", "state", "limit", NULL };
	const char *state = pcb_http_query(r, "state");
	const char *limit_s = pcb_http_query(r, "limit");
	const char *kind_q;
	int64_t limit = 50;
	json_object *out = NULL;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (pcb_http_check_query(r, kind != NULL ? allowed_builds : allowed_jobs, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (kind == NULL && (kind_q = pcb_http_query(r, "kind")) != NULL) {
		enum pcb_job_kind k;
		/* ?kind=all is the same as no kind: a client can always send one. */
		kind = strcmp(kind_q, "all") == 0 ? NULL : kind_q;
		if (kind != NULL && pcb_jobs_kind_parse(kind, &k) != 0) {
			pcb_http_reply_error(r, 400, "invalid_request", "kind: \"%.100s\" is not one "
			    "of all, build, push, pull, base, verify, rebase", kind);
			return;
		}
	}
	if (state != NULL && !valid_state(state)) {
		pcb_http_reply_error(r, 400, "invalid_request", "state: \"%.100s\" is not one of "
		    "queued, running, succeeded, failed, cancelled", state);
		return;
	}
	if (limit_s != NULL && !parse_int(limit_s, 1, 1000, &limit)) {
		pcb_http_reply_error(r, 400, "invalid_request",
		    "limit: \"%.100s\" is not an integer from 1 to 1000", limit_s);
		return;
	}
	if (pcb_jobs_list(r->d->jobs, kind, state, (int)limit, &r->who, key, &out, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	pcb_http_reply_json(r, 200, out, NULL);
}

static void
list_builds(struct pcb_request *r)
{
	pcb_api_list_jobs(r, "build", "builds");
}

void
pcb_api_get_job(struct pcb_request *r, const char *kind)
{
	json_object *b = NULL;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (pcb_jobs_get(r->d->jobs, r->params[0], kind, &r->who, &b, &err) != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_http_reply_json(r, 200, b, NULL);
}

static void
get_build(struct pcb_request *r)
{
	pcb_api_get_job(r, "build");
}

void
pcb_api_cancel_job(struct pcb_request *r, const char *kind)
{
	json_object *b = NULL;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (pcb_jobs_cancel(r->d->jobs, r->params[0], kind, &r->who, &b, &err) != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_http_reply_json(r, 202, b, NULL);
}

static void
cancel_build(struct pcb_request *r)
{
	pcb_api_cancel_job(r, "build");
}

/* One event stream. The content reader never blocks: with nothing to send it suspends the
 * connection and returns 0; the subscriber's wake callback resumes it. */
struct sse {
	struct pcb_sub *sub;
	struct MHD_Connection *conn;
	struct pcb_httpd *srv;
	bool suspended;
};

static void
sse_wake(void *ud)
{
	struct sse *s = ud;

	if (s->suspended) {
		s->suspended = false;
		pcb_http_conn_resume(s->srv, s->conn);
	}
}

static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	ssize_t n = pcb_sub_read(s->sub, buf, max);

	(void)pos;
	if (n > 0)
		return n;
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	s->suspended = true;
	pcb_http_conn_suspend(s->conn);
	return 0;
}

static void
sse_free(void *cls)
{
	struct sse *s = cls;

	pcb_sub_destroy(s->sub);
	free(s);
}

void
pcb_api_stream_job_events(struct pcb_request *r, const char *kind)
{
	static const char *const allowed[] = { "after", NULL };
	const char *after_s = pcb_http_query(r, "after");
	const char *last = pcb_http_header(r, "Last-Event-ID");
	struct sse *s;
	struct MHD_Response *resp;
	struct pcb_err err;
	int64_t after = 0;

	pcb_err_clear(&err);
	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (after_s != NULL && !parse_int(after_s, 0, INT64_MAX, &after)) {
		pcb_http_reply_error(r, 400, "invalid_request",
		    "after: \"%.100s\" is not a non-negative integer", after_s);
		return;
	}
	if (last != NULL && !parse_int(last, 0, INT64_MAX, &after)) {
		pcb_http_reply_error(r, 400, "invalid_request",
		    "Last-Event-ID: \"%.100s\" is not a non-negative integer", last);
		return;
	}
	s = pcb_xcalloc(1, sizeof *s);
	s->conn = r->conn;
	s->srv = r->srv;
	if (pcb_jobs_subscribe(r->d->jobs, r->params[0], kind, &r->who, after, sse_wake, s, &s->sub,
	    &err) != 0) {
		free(s);
		pcb_http_reply_err(r, &err);
		return;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, s,
	    sse_free);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	pcb_http_reply_response(r, 200, resp);
	MHD_destroy_response(resp);
}

static void
stream_events(struct pcb_request *r)
{
	pcb_api_stream_job_events(r, "build");
}

const struct pcb_route pcb_api_builds_routes[] = {
	{ "POST", "/v1/builds", create_build, "createBuild", true },
	{ "GET", "/v1/builds", list_builds, "listBuilds", false },
	{ "GET", "/v1/builds/{id}", get_build, "getBuild", false },
	{ "DELETE", "/v1/builds/{id}", cancel_build, "cancelBuild", false },
	{ "GET", "/v1/builds/{id}/events", stream_events, "streamBuildEvents", false },
	{ NULL, NULL, NULL, NULL, false },
};
