/* test-api.c — the REST API of a real pycontainerd: version/health, error answers, a build's
 * whole life (submit, poll, events replay, list, cancel conflicts), persistence across a
 * restart, a kill -9 in the middle of a build, cancelling a running build, TCP listeners and
 * socket takeover rules, and a clean exit on SIGTERM. */
#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

#define BIG_FILE_BYTES 150000000

/* --- HTTP with headers ------------------------------------------------------------------- */

struct reply {
	long status;
	char *body;
	char *headers;   /* raw header block */
};

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	pcb_buf_append(ud, p, size * n);
	return size * n;
}

/* content_type NULL = none sent; extra_header e.g. "Last-Event-ID: 3" (may be NULL). */
static struct reply
http_ex(const struct pcb_test_daemon *d, const char *method, const char *path,
    const char *body, size_t body_len, const char *content_type, const char *extra_header)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct pcb_buf b, h;
	char *url = pcb_xasprintf("http://localhost%s", path);
	struct reply r = { -1, NULL, NULL };
	CURLcode cc;

	pcb_buf_init(&b, (size_t)1 << 28);
	pcb_buf_init(&h, (size_t)1 << 20);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 90L);
	if (content_type != NULL) {
		char *ct = pcb_xasprintf("Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, ct);
		free(ct);
	}
	if (extra_header != NULL)
		hdrs = curl_slist_append(hdrs, extra_header);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	r.body = pcb_buf_steal(&b, NULL);
	r.headers = pcb_buf_steal(&h, NULL);
	pcb_buf_free(&b);
	pcb_buf_free(&h);
	return r;
}

static void
reply_free(struct reply *r)
{
	free(r->body);
	free(r->headers);
}

static json_object *
parse(const char *s)
{
	json_object *j = json_tokener_parse(s);
	ck_assert_msg(j != NULL, "not JSON: %s", s);
	return j;
}

static const char *
jstr(json_object *j, const char *key)
{
	json_object *v = NULL;
	ck_assert_msg(json_object_object_get_ex(j, key, &v), "no \"%s\" in %s", key,
	    json_object_to_json_string(j));
	return json_object_get_string(v);
}

/* Asserts an error answer: status, {"error":{"code":code,"message":… containing needle}}. */
static void
expect_error(struct reply *r, long status, const char *code, const char *needle)
{
	json_object *j, *e;

	ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body);
	j = parse(r->body);
	ck_assert_msg(json_object_object_get_ex(j, "error", &e), "no error member: %s", r->body);
	ck_assert_str_eq(jstr(e, "code"), code);
	if (needle != NULL)
		ck_assert_msg(strstr(jstr(e, "message"), needle) != NULL,
		    "message \"%s\" does not mention \"%s\"", jstr(e, "message"), needle);
	json_object_put(j);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* --- fixtures -------------------------------------------------------------------------- */

static char *
make_project(bool big)
{
	char *dir = pcb_test_tmpdir();

	pcb_test_write(dir, "pyproject.toml", "[project]\nname = \"t\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\nt = \"t.cli:main\"\n", 0644);
	pcb_test_write(dir, "t/__init__.py", "", 0644);
	pcb_test_write(dir, "t/cli.py", "def main():\n    print(\"hello\")\n", 0644);
	if (big) {
		/* Random bytes do not compress: packing them keeps a build busy for a while. */
		int rc = pcb_test_runf(NULL, "head -c %d /dev/urandom > '%s/t/big.bin'",
		    BIG_FILE_BYTES, dir);
		ck_assert_int_eq(rc, 0);
	}
	return dir;
}

static char *
submit(const struct pcb_test_daemon *d, const char *project)
{
	char *body = pcb_xasprintf("{\"context\": \"%s\"}", project);
	struct reply r = http_ex(d, "POST", "/v1/builds", body, strlen(body), "application/json",
	    NULL);
	json_object *j;
	char *id, *loc;

	ck_assert_msg(r.status == 202, "POST /v1/builds: %ld %s", r.status, r.body);
	j = parse(r.body);
	id = pcb_xstrdup(jstr(j, "id"));
	ck_assert_msg(strlen(id) == 18 && strncmp(id, "b-", 2) == 0, "bad id %s", id);
	ck_assert_str_eq(jstr(j, "state"), "queued");
	loc = pcb_xasprintf("Location: /v1/builds/%s\r\n", id);
	ck_assert_msg(strcasestr(r.headers, loc) != NULL, "no %s in %s", loc, r.headers);
	free(loc);
	json_object_put(j);
	reply_free(&r);
	free(body);
	return id;
}

static json_object *
get_build(const struct pcb_test_daemon *d, const char *id)
{
	char *path = pcb_xasprintf("/v1/builds/%s", id);
	struct reply r = http_ex(d, "GET", path, NULL, 0, NULL, NULL);
	json_object *j;

	ck_assert_msg(r.status == 200, "GET %s: %ld %s", path, r.status, r.body);
	j = parse(r.body);
	reply_free(&r);
	free(path);
	return j;
}

/* Polls until the build's state is one of `states` (space separated); returns the build. */
static json_object *
wait_state(const struct pcb_test_daemon *d, const char *id, const char *states, int seconds)
{
	int64_t deadline = pcb_monotonic_ms() + seconds * 1000;

	for (;;) {
		json_object *b = get_build(d, id);
		const char *s = jstr(b, "state");
		char *padded = pcb_xasprintf(" %s ", states), *want = pcb_xasprintf(" %s ", s);
		bool hit = strstr(padded, want) != NULL;

		free(padded);
		free(want);
		if (hit)
			return b;
		ck_assert_msg(pcb_monotonic_ms() < deadline, "build %s still %s after %d s "
		    "(waiting for %s)", id, s, seconds, states);
		json_object_put(b);
		sleep_ms(50);
	}
}

/* Reads a whole event stream (it has to end by itself) and checks its framing: ids count up
 * from first_seq without gaps and match the data JSON. Returns the data objects. */
static json_object *
read_events(const struct pcb_test_daemon *d, const char *id, const char *extra_header,
    const char *query, int64_t first_seq)
{
	char *path = pcb_xasprintf("/v1/builds/%s/events%s", id, query ? query : "");
	struct reply r = http_ex(d, "GET", path, NULL, 0, NULL, extra_header);
	json_object *arr = json_object_new_array();
	int64_t want = first_seq;
	char *save = NULL;

	ck_assert_msg(r.status == 200, "GET %s: %ld %s", path, r.status, r.body);
	ck_assert_msg(strcasestr(r.headers, "content-type: text/event-stream") != NULL,
	    "headers: %s", r.headers);
	for (char *block = strtok_r(r.body, "\n", &save); block != NULL;
	    block = strtok_r(NULL, "\n", &save)) {
		long long idv;
		char type[32], *ev, *data;
		json_object *j;

		if (block[0] == ':')
			continue;   /* keep-alive comment */
		ck_assert_msg(sscanf(block, "id: %lld", &idv) == 1, "expected id line: %s", block);
		ck_assert_int_eq(idv, want);
		ev = strtok_r(NULL, "\n", &save);
		ck_assert_msg(ev != NULL && sscanf(ev, "event: %31s", type) == 1, "no event line");
		data = strtok_r(NULL, "\n", &save);
		ck_assert_msg(data != NULL && strncmp(data, "data: ", 6) == 0, "no data line");
		j = parse(data + 6);
		ck_assert_int_eq(json_object_get_int64(json_object_object_get(j, "seq")), idv);
		ck_assert_str_eq(jstr(j, "type"), type);
		ck_assert(jstr(j, "time")[0] == '2');
		json_object_array_add(arr, j);
		want++;
	}
	reply_free(&r);
	free(path);
	return arr;
}

static json_object *
ev_at(json_object *arr, int64_t i)
{
	if (i < 0)
		i += (int64_t)json_object_array_length(arr);
	return json_object_array_get_idx(arr, (size_t)i);
}

/* --- tests ----------------------------------------------------------------------------- */

START_TEST(test_version_health)
{
	struct pcb_test_daemon d;
	struct reply r;
	json_object *j;

	pcb_test_daemon_start(&d, NULL, NULL);
	r = http_ex(&d, "GET", "/v1/version", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strcasestr(r.headers, "content-type: application/json") != NULL);
	j = parse(r.body);
	ck_assert_str_eq(jstr(j, "version"), "0.1.0");
	ck_assert_str_eq(jstr(j, "api_version"), "v1");
	ck_assert_str_eq(jstr(j, "os"), "linux");
	ck_assert(strlen(jstr(j, "arch")) > 0);
	ck_assert(pcb_str_has_prefix(jstr(j, "platform"), "linux/"));
	json_object_put(j);
	reply_free(&r);

	r = http_ex(&d, "GET", "/v1/health", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	j = parse(r.body);
	ck_assert_str_eq(jstr(j, "status"), "ok");
	ck_assert_int_ge(json_object_get_int(json_object_object_get(j, "workers")), 1);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(j, "builds_running")), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(j, "builds_queued")), 0);
	ck_assert(json_object_object_get(j, "uptime_seconds") != NULL);
	json_object_put(j);
	reply_free(&r);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	/* The socket file goes away with the daemon. */
	ck_assert(access(d.sock, F_OK) != 0);
	pcb_test_daemon_free(&d, true);
}
END_TEST

START_TEST(test_errors)
{
	struct pcb_test_daemon d;
	struct reply r;
	char *proj = make_project(false);
	char *file = pcb_path_join(proj, "pyproject.toml");
	char *body, *big;
	size_t big_len = ((size_t)1 << 20) + 1;

	pcb_test_daemon_start(&d, NULL, NULL);

	r = http_ex(&d, "GET", "/v1/nope", NULL, 0, NULL, NULL);
	expect_error(&r, 404, "not_found", "/v1/nope");
	reply_free(&r);

	r = http_ex(&d, "PUT", "/v1/builds", "{}", 2, "application/json", NULL);
	expect_error(&r, 405, "method_not_allowed", NULL);
	ck_assert_msg(strcasestr(r.headers, "\nAllow: ") != NULL, "no Allow: %s", r.headers);
	ck_assert(strstr(strcasestr(r.headers, "\nAllow: "), "POST") != NULL);
	reply_free(&r);

	r = http_ex(&d, "GET", "/v1/builds/b-0000000000000000", NULL, 0, NULL, NULL);
	expect_error(&r, 404, "not_found", "b-0000000000000000");
	reply_free(&r);

	r = http_ex(&d, "POST", "/v1/builds", "{\"context\": \"/tmp\",,}", 21, "application/json",
	    NULL);
	expect_error(&r, 400, "invalid_request", "malformed JSON at offset");
	reply_free(&r);

	body = pcb_xasprintf("{\"context\": \"%s\", \"bogus_field\": 1}", proj);
	r = http_ex(&d, "POST", "/v1/builds", body, strlen(body), "application/json", NULL);
	expect_error(&r, 400, "invalid_request", "bogus_field");
	reply_free(&r);
	free(body);

	r = http_ex(&d, "POST", "/v1/builds", "{\"context\": \"/nonexistent/x\"}", 29,
	    "application/json", NULL);
	expect_error(&r, 400, "invalid_request", "/nonexistent/x");
	reply_free(&r);

	body = pcb_xasprintf("{\"context\": \"%s\"}", file);
	r = http_ex(&d, "POST", "/v1/builds", body, strlen(body), "application/json", NULL);
	expect_error(&r, 400, "invalid_request", file);
	reply_free(&r);
	free(body);

	body = pcb_xasprintf("{\"context\": \"%s\"}", proj);
	r = http_ex(&d, "POST", "/v1/builds", body, strlen(body), "text/plain", NULL);
	expect_error(&r, 415, "unsupported_media_type", "application/json");
	reply_free(&r);
	r = http_ex(&d, "POST", "/v1/plan", body, strlen(body), NULL, NULL);
	ck_assert_int_eq(r.status, 415);
	reply_free(&r);
	/* The plan of a good spec answers 200 and records nothing. */
	r = http_ex(&d, "POST", "/v1/plan", body, strlen(body), "application/json", NULL);
	ck_assert_msg(r.status == 200, "plan: %ld %s", r.status, r.body);
	json_object_put(parse(r.body));
	reply_free(&r);
	free(body);

	r = http_ex(&d, "GET", "/v1/builds?state=bogus", NULL, 0, NULL, NULL);
	expect_error(&r, 400, "invalid_request", "state");
	reply_free(&r);
	r = http_ex(&d, "GET", "/v1/builds?limit=0", NULL, 0, NULL, NULL);
	expect_error(&r, 400, "invalid_request", "limit");
	reply_free(&r);
	r = http_ex(&d, "GET", "/v1/builds?limit=1001", NULL, 0, NULL, NULL);
	expect_error(&r, 400, "invalid_request", "limit");
	reply_free(&r);
	r = http_ex(&d, "GET", "/v1/builds?colour=red", NULL, 0, NULL, NULL);
	expect_error(&r, 400, "invalid_request", "colour");
	reply_free(&r);
	r = http_ex(&d, "GET", "/v1/builds", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, "\"builds\":[]") != NULL);   /* plan recorded nothing */
	reply_free(&r);

	/* 1 MiB + 1: refused with a message, and the daemon keeps serving. */
	big = pcb_xmalloc(big_len);
	memset(big, ' ', big_len);
	big[0] = '{';
	big[big_len - 1] = '}';
	r = http_ex(&d, "POST", "/v1/builds", big, big_len, "application/json", NULL);
	ck_assert_msg(r.status == 413 || r.status == 400, "oversized body: %ld", r.status);
	expect_error(&r, r.status, r.status == 413 ? "payload_too_large" : "invalid_request",
	    "larger than");
	reply_free(&r);
	free(big);
	r = http_ex(&d, "GET", "/v1/health", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	reply_free(&r);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	free(proj);
	free(file);
}
END_TEST

START_TEST(test_build_lifecycle)
{
	struct pcb_test_daemon d;
	char *proj = make_project(false);
	char *id, *id2, *dir, *hdr, *path, *digest;
	json_object *b, *evs, *tail, *res, *list, *arr;
	struct reply r;
	size_t n;

	pcb_test_daemon_start(&d, NULL, NULL);
	id = submit(&d, proj);
	b = wait_state(&d, id, "succeeded failed cancelled", 60);
	ck_assert_msg(strcmp(jstr(b, "state"), "succeeded") == 0, "build ended %s: %s",
	    jstr(b, "state"), json_object_to_json_string(b));
	res = json_object_object_get(b, "result");
	ck_assert(res != NULL);
	digest = pcb_xstrdup(jstr(json_object_object_get(res, "manifest"), "digest"));
	ck_assert_msg(pcb_digest_valid(digest), "manifest digest %s", digest);
	ck_assert(json_object_get_type(json_object_object_get(b, "error")) == json_type_null);
	ck_assert(json_object_get_type(json_object_object_get(b, "started_at")) == json_type_string);
	ck_assert(json_object_get_type(json_object_object_get(b, "finished_at")) ==
	    json_type_string);
	ck_assert_str_eq(jstr(json_object_object_get(b, "spec"), "context"), proj);
	json_object_put(b);

	/* The stream of a finished build replays everything and ends. */
	evs = read_events(&d, id, NULL, NULL, 1);
	n = json_object_array_length(evs);
	ck_assert_uint_ge(n, 4);
	ck_assert_str_eq(jstr(ev_at(evs, 0), "type"), "state");
	ck_assert_str_eq(jstr(ev_at(evs, 0), "state"), "queued");
	ck_assert_str_eq(jstr(ev_at(evs, 1), "state"), "running");
	ck_assert_str_eq(jstr(ev_at(evs, -1), "type"), "end");
	ck_assert_str_eq(jstr(ev_at(evs, -1), "state"), "succeeded");
	ck_assert_str_eq(jstr(ev_at(evs, -2), "type"), "result");

	/* Resuming: Last-Event-ID and ?after= give only what follows. */
	hdr = pcb_xasprintf("Last-Event-ID: %zu", n - 2);
	tail = read_events(&d, id, hdr, NULL, (int64_t)n - 1);
	ck_assert_uint_eq(json_object_array_length(tail), 2);
	ck_assert_str_eq(jstr(ev_at(tail, -1), "type"), "end");
	json_object_put(tail);
	free(hdr);
	tail = read_events(&d, id, NULL, "?after=1", 2);
	ck_assert_uint_eq(json_object_array_length(tail), n - 1);
	json_object_put(tail);

	/* Cancelling a finished build is a conflict. */
	path = pcb_xasprintf("/v1/builds/%s", id);
	r = http_ex(&d, "DELETE", path, NULL, 0, NULL, NULL);
	expect_error(&r, 409, "conflict", "already succeeded");
	reply_free(&r);

	/* A second build: the list is newest first, filters by state and honours limit. */
	id2 = submit(&d, proj);
	json_object_put(wait_state(&d, id2, "succeeded failed cancelled", 60));
	r = http_ex(&d, "GET", "/v1/builds", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	list = parse(r.body);
	arr = json_object_object_get(list, "builds");
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert_str_eq(jstr(json_object_array_get_idx(arr, 0), "id"), id2);
	ck_assert_str_eq(jstr(json_object_array_get_idx(arr, 1), "id"), id);
	json_object_put(list);
	reply_free(&r);
	r = http_ex(&d, "GET", "/v1/builds?state=succeeded&limit=1", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	list = parse(r.body);
	arr = json_object_object_get(list, "builds");
	ck_assert_uint_eq(json_object_array_length(arr), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(arr, 0), "id"), id2);
	json_object_put(list);
	reply_free(&r);
	r = http_ex(&d, "GET", "/v1/builds?state=running", NULL, 0, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, "\"builds\":[]") != NULL);
	reply_free(&r);

	/* Restart on the same state dir: the build and its events are still there. */
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	dir = pcb_xstrdup(d.dir);
	pcb_test_daemon_free(&d, false);
	pcb_test_daemon_start(&d, dir, NULL);
	b = get_build(&d, id);
	ck_assert_str_eq(jstr(b, "state"), "succeeded");
	ck_assert_str_eq(jstr(json_object_object_get(json_object_object_get(b, "result"),
	    "manifest"), "digest"), digest);
	json_object_put(b);
	tail = read_events(&d, id, NULL, NULL, 1);
	ck_assert_uint_eq(json_object_array_length(tail), n);
	ck_assert_str_eq(jstr(ev_at(tail, -1), "type"), "end");
	json_object_put(tail);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	json_object_put(evs);
	pcb_test_rmtree(proj);
	free(proj);
	free(dir);
	free(path);
	free(digest);
	free(id);
	free(id2);
}
END_TEST

START_TEST(test_kill9_interrupted)
{
	struct pcb_test_daemon d;
	char *proj = make_project(true);
	char *id, *dir;
	json_object *b, *evs, *err;

	pcb_test_daemon_start(&d, NULL, "--workers 1");
	id = submit(&d, proj);
	json_object_put(wait_state(&d, id, "running", 30));
	pcb_test_daemon_kill(&d);

	dir = pcb_xstrdup(d.dir);
	pcb_test_daemon_free(&d, false);
	pcb_test_daemon_start(&d, dir, NULL);
	b = get_build(&d, id);
	ck_assert_str_eq(jstr(b, "state"), "failed");
	err = json_object_object_get(b, "error");
	ck_assert_str_eq(jstr(err, "code"), "interrupted");
	ck_assert(strstr(jstr(err, "message"), "daemon stopped") != NULL);
	json_object_put(b);
	evs = read_events(&d, id, NULL, NULL, 1);
	ck_assert_str_eq(jstr(ev_at(evs, -1), "type"), "end");
	ck_assert_str_eq(jstr(ev_at(evs, -1), "state"), "failed");
	ck_assert_str_eq(jstr(json_object_object_get(ev_at(evs, -1), "error"), "code"),
	    "interrupted");
	json_object_put(evs);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	free(proj);
	free(dir);
	free(id);
}
END_TEST

START_TEST(test_cancel_running)
{
	struct pcb_test_daemon d;
	char *proj = make_project(true);
	char *id, *path, *live, *live_rc, *text;
	json_object *b, *evs;
	struct reply r;
	int64_t deadline;

	pcb_test_daemon_start(&d, NULL, "--workers 1");
	id = submit(&d, proj);
	json_object_put(wait_state(&d, id, "running", 30));
	/* Follow the stream live in the background: it must end by itself after `end`. */
	live = pcb_path_join(d.dir, "live.sse");
	live_rc = pcb_path_join(d.dir, "live.rc");
	ck_assert_int_eq(pcb_test_runf(NULL, "(curl -sN --max-time 90 --unix-socket %s "
	    "http://x/v1/builds/%s/events > %s; echo $? > %s) >/dev/null 2>&1 &", d.sock, id,
	    live, live_rc), 0);
	/* Wait until the stream is attached (the replay has arrived) before cancelling. */
	deadline = pcb_monotonic_ms() + 30000;
	while ((text = pcb_test_read(live, NULL)) == NULL || strstr(text, "\"running\"") == NULL) {
		free(text);
		ck_assert_msg(pcb_monotonic_ms() < deadline, "no live events");
		sleep_ms(20);
	}
	free(text);
	path = pcb_xasprintf("/v1/builds/%s", id);
	r = http_ex(&d, "DELETE", path, NULL, 0, NULL, NULL);
	ck_assert_msg(r.status == 202, "DELETE: %ld %s", r.status, r.body);
	b = parse(r.body);
	ck_assert(json_object_get_boolean(json_object_object_get(b, "cancel_requested")));
	json_object_put(b);
	reply_free(&r);

	b = wait_state(&d, id, "cancelled succeeded failed", 60);
	ck_assert_str_eq(jstr(b, "state"), "cancelled");
	json_object_put(b);
	evs = read_events(&d, id, NULL, NULL, 1);
	ck_assert_str_eq(jstr(ev_at(evs, -1), "state"), "cancelled");
	json_object_put(evs);
	/* The live reader saw the same end and its stream closed cleanly (curl exit 0). */
	deadline = pcb_monotonic_ms() + 30000;
	while ((text = pcb_test_read(live_rc, NULL)) == NULL || strchr(text, '\n') == NULL) {
		free(text);
		ck_assert_msg(pcb_monotonic_ms() < deadline, "live stream did not end");
		sleep_ms(20);
	}
	ck_assert_str_eq(text, "0\n");
	free(text);
	text = pcb_test_read(live, NULL);
	ck_assert(strstr(text, "id: 1\nevent: state\n") == text);
	ck_assert_msg(strstr(text, "event: end\ndata: ") != NULL, "%s", text);
	ck_assert(strstr(text, "\"state\":\"cancelled\"") != NULL);
	free(text);
	free(live);
	free(live_rc);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	free(proj);
	free(path);
	free(id);
}
END_TEST

/* A queued build (the only worker is busy) is cancelled at once; SIGTERM with a running build
 * still exits 0 (--shutdown-timeout 0 cancels it straight away). */
START_TEST(test_cancel_queued_and_sigterm)
{
	struct pcb_test_daemon d;
	char *proj = make_project(true);
	char *id1, *id2, *path;
	json_object *b;
	struct reply r;

	pcb_test_daemon_start(&d, NULL, "--workers 1 --shutdown-timeout 0");
	id1 = submit(&d, proj);
	json_object_put(wait_state(&d, id1, "running", 30));
	id2 = submit(&d, proj);
	path = pcb_xasprintf("/v1/builds/%s", id2);
	r = http_ex(&d, "DELETE", path, NULL, 0, NULL, NULL);
	ck_assert_msg(r.status == 202, "DELETE: %ld %s", r.status, r.body);
	b = parse(r.body);
	ck_assert_str_eq(jstr(b, "state"), "cancelled");
	json_object_put(b);
	reply_free(&r);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	free(proj);
	free(path);
	free(id1);
	free(id2);
}
END_TEST

/* A chunked body has no Content-Length to refuse up front: past the 1 MiB limit the daemon
 * answers 413 and closes at once, instead of reading a 1 GiB body to its end. */
START_TEST(test_big_chunked_body_cut_off)
{
	struct pcb_test_daemon d;
	char *dir = pcb_test_tmpdir(), *out = NULL;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	pcb_test_write(dir, "big.py",
	    "import socket, sys, threading\n"
	    "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
	    "s.sendall(b'POST /v1/builds HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json'\n"
	    "          b'\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n')\n"
	    "chunk = b'10000\\r\\n' + b' ' * 65536 + b'\\r\\n'\n"
	    "got = []\n"
	    "def reader():\n"
	    "    while True:\n"
	    "        d = s.recv(65536)\n"
	    "        if not d: break\n"
	    "        got.append(d)\n"
	    "t = threading.Thread(target=reader); t.start()\n"
	    "sent = 0\n"
	    "try:\n"
	    "    while sent < (1 << 30) and not got:\n"
	    "        s.sendall(chunk); sent += 65536\n"
	    "except OSError:\n"
	    "    pass\n"
	    "t.join(30)\n"
	    "print(sent >> 20, b''.join(got).decode(errors='replace'))\n", 0644);
	rc = pcb_test_runf(&out, "timeout 60 python3 '%s/big.py' '%s'", dir, d.sock);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "HTTP/1.1 413") != NULL && strstr(out, "payload_too_large") != NULL,
	    "%s", out);
	ck_assert_msg(atoi(out) < 64, "the daemon read %d MiB before refusing", atoi(out));
	free(out);
	/* Still serving. */
	{
		struct reply r = http_ex(&d, "GET", "/v1/health", NULL, 0, NULL, NULL);
		ck_assert_int_eq(r.status, 200);
		reply_free(&r);
	}
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_listeners)
{
	struct pcb_test_daemon d;
	char *log = NULL, *out = NULL, *p, *state;
	int64_t deadline;
	int port = 0, rc;

	pcb_test_daemon_start(&d, NULL, "--host tcp://127.0.0.1:0");
	/* The bound port is in the log. */
	deadline = pcb_monotonic_ms() + 10000;
	while ((log = pcb_test_read(d.log, NULL)) == NULL ||
	    (p = strstr(log, "listening on tcp://127.0.0.1:")) == NULL) {
		free(log);
		ck_assert(pcb_monotonic_ms() < deadline);
		sleep_ms(20);
	}
	port = atoi(p + strlen("listening on tcp://127.0.0.1:"));
	ck_assert_int_gt(port, 0);
	free(log);
	/* TCP has no peer credentials: without the daemon's bearer token, 401. */
	rc = pcb_test_runf(&out, "curl -s -w '\\n%%{http_code}' http://127.0.0.1:%d/v1/health",
	    port);
	ck_assert_msg(rc == 0 && strstr(out, "\n401") != NULL && strstr(out, "unauthorized") !=
	    NULL && strstr(out, "tcp-token-file") != NULL, "tcp health without a token: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "curl -s -w '\\n%%{http_code}' -H 'Authorization: Bearer 0000' "
	    "http://127.0.0.1:%d/v1/health", port);
	ck_assert_msg(rc == 0 && strstr(out, "\n401") != NULL, "a wrong token: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "curl -sf -H \"Authorization: Bearer $(cat '%s/tcp-token')\" "
	    "http://127.0.0.1:%d/v1/health", d.state, port);
	ck_assert_msg(rc == 0 && strstr(out, "\"ok\"") != NULL, "tcp health: %s", out);
	free(out);
	/* pcb sends the token it finds in $PCB_TOKEN_FILE (or $PCB_TOKEN). */
	rc = pcb_test_runf(&out, "PCB_TOKEN_FILE='%s/tcp-token' %s/pcb -H tcp://127.0.0.1:%d "
	    "builds 2>&1", d.state, pcb_test_build_dir(), port);
	ck_assert_msg(rc == 0, "pcb over tcp with the token: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "PCB_TOKEN=wrong %s/pcb -H tcp://127.0.0.1:%d builds 2>&1",
	    pcb_test_build_dir(), port);
	ck_assert_msg(rc != 0 && strstr(out, "token") != NULL, "pcb over tcp, wrong token: %s",
	    out);
	free(out);

	/* A live socket is not taken over. */
	state = pcb_path_join(d.dir, "state2");
	rc = pcb_test_runf(&out, "%s/pycontainerd --host %s --state-dir %s",
	    pcb_test_build_dir(), d.host, state);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, "another pycontainerd is listening") != NULL, "%s", out);
	free(out);
	/* TCP beyond loopback is refused. */
	rc = pcb_test_runf(&out, "%s/pycontainerd --host tcp://0.0.0.0:0 --state-dir %s",
	    pcb_test_build_dir(), state);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(out, "loopback") != NULL, "%s", out);
	free(out);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	/* A stale socket file (nobody listening) is replaced. */
	rc = pcb_test_runf(NULL, "python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); "
	    "s.bind(\"%s\")'", d.sock);
	if (rc == 0) {
		char *dir = pcb_xstrdup(d.dir);
		ck_assert(access(d.sock, F_OK) == 0);
		pcb_test_daemon_free(&d, false);
		/* pcb_test_daemon_start unlinks the socket itself: start this one by hand, polling
		 * /v1/health until it answers. */
		rc = pcb_test_runf(&out, "python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); "
		    "s.bind(\"%s/d2.sock\")' && test -S %s/d2.sock || exit 9; "
		    "%s/pycontainerd --host unix://%s/d2.sock --state-dir %s/state & pid=$!; "
		    "i=0; until curl -sf --unix-socket %s/d2.sock http://x/v1/health >/dev/null; do "
		    "i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done; "
		    "kill -TERM $pid; wait $pid; echo rc=$?", dir, dir, pcb_test_build_dir(), dir,
		    dir, dir);
		ck_assert_msg(strstr(out, "listening on unix://") != NULL, "%s", out);
		ck_assert_msg(strstr(out, "rc=0") != NULL, "%s", out);
		free(out);
		pcb_test_rmtree(dir);
		free(dir);
	} else {
		pcb_test_daemon_free(&d, true);
	}
	free(state);
}
END_TEST

/* systemd socket activation: the inherited fd 3 is served instead of --host. */
START_TEST(test_socket_activation)
{
	char *dir, *out = NULL;
	int rc;

	if (!pcb_test_have("systemd-socket-activate")) {
		ck_assert(true);   /* not installed here: nothing to check */
		return;
	}
	dir = pcb_test_tmpdir();
	/* systemd-socket-activate execs the daemon in place, so $! is the daemon's pid. */
	rc = pcb_test_runf(&out, "cd %s && systemd-socket-activate -l %s/sa.sock "
	    "%s/pycontainerd --state-dir %s/state >%s/log 2>&1 & pid=$!; "
	    "i=0; until curl -sf --unix-socket %s/sa.sock http://x/v1/health; do "
	    "i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done; echo; "
	    "kill -TERM $pid; wait $pid; echo rc=$?; cat %s/log", dir, dir, pcb_test_build_dir(),
	    dir, dir, dir, dir);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, "\"status\":\"ok\"") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "listening on systemd fd 3") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "rc=0") != NULL, "%s", out);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_version_health);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_build_lifecycle);
	tcase_add_test(tc, test_kill9_interrupted);
	tcase_add_test(tc, test_cancel_running);
	tcase_add_test(tc, test_cancel_queued_and_sigterm);
	tcase_add_test(tc, test_listeners);
	tcase_add_test(tc, test_big_chunked_body_cut_off);
	tcase_add_test(tc, test_socket_activation);
	suite_add_tcase(s, tc);
	rc = pcb_test_run_suite(s);
	curl_global_cleanup();
	return rc;
}
