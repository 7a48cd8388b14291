/* test-metrics.c — GET /metrics and the free-space guard of a real pycontainerd: the
 * exposition parses (tests/lib/promparse.c, which is itself checked here against good and bad
 * texts) and passes `promtool check metrics`; counters and gauges move with builds (finished
 * by state, the duration histogram, packing and layer-cache hits, store size, running and
 * queued jobs, event-stream clients, HTTP status classes); /v1/health says "degraded" and
 * builds, pulls and bases get 507 disk_full when free space is under --cache-min-free or on a
 * tiny tmpfs; and the start-up check of --cache-min-free against the filesystem's size.
 *
 * The daemon's metrics.c is compiled in (it needs nothing of the daemon but its headers) to
 * test its renderer's escaping and the start-up check function directly. */
#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "promparse.h"
#include "testutil.h"

#include "../../daemon/metrics.c"

#define BIG_FILE_BYTES 120000000

/* --- HTTP ------------------------------------------------------------------------------ */

struct reply {
	long status;
	char *body;
	char *headers;
};

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
	pcb_buf_append(ud, p, size * n);
	return size * n;
}

static struct reply
http(const struct pcb_test_daemon *d, const char *method, const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	struct pcb_buf b, h;
	char *url = pcb_xasprintf("http://localhost%s", path);
	struct reply r = { -1, NULL, NULL };

	pcb_buf_init(&b, (size_t)1 << 24);
	pcb_buf_init(&h, (size_t)1 << 20);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	r.body = pcb_buf_steal(&b, NULL);
	r.headers = pcb_buf_steal(&h, NULL);
	return r;
}

static void
reply_free(struct reply *r)
{
	free(r->body);
	free(r->headers);
}

static json_object *
parse_json(const char *s)
{
	json_object *j = json_tokener_parse(s);

	ck_assert_msg(j != NULL, "not JSON: %s", s);
	return j;
}

static json_object *
jget(json_object *j, const char *key)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(j, key, &v), "no \"%s\" in %s", key,
	    json_object_to_json_string(j));
	return v;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* --- the exposition ---------------------------------------------------------------------- */

/* promtool check metrics on text: exit 0 required (its lint findings print on stdout and
 * make it exit non-zero). */
static void
promtool_check(const char *text)
{
	char *dir = pcb_test_tmpdir(), *out = NULL;
	int rc;

	ck_assert_msg(pcb_test_have("promtool"), "promtool is not installed (Debian package "
	    "prometheus: make deps)");
	pcb_test_write(dir, "metrics.txt", text, 0644);
	rc = pcb_test_runf(&out, "promtool check metrics < '%s/metrics.txt' 2>&1", dir);
	ck_assert_msg(rc == 0, "promtool check metrics: exit %d: %s\n--- text ---\n%s", rc, out,
	    text);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}

/* Checks a parsed exposition beyond the format: the names follow Prometheus' conventions. */
static void
check_conventions(const struct prom_doc *doc)
{
	for (size_t i = 0; i < doc->n_families; i++) {
		const struct prom_family *f = &doc->families[i];
		size_t n = strlen(f->name);
		bool total = n > 6 && strcmp(f->name + n - 6, "_total") == 0;

		ck_assert_msg(f->type != NULL, "%s has no TYPE", f->name);
		ck_assert_msg(f->help != NULL && f->help[0] != '\0', "%s has no HELP", f->name);
		ck_assert_msg(pcb_str_has_prefix(f->name, "pycontainerd_"), "%s: no prefix", f->name);
		if (strcmp(f->type, "counter") == 0)
			ck_assert_msg(total, "counter %s does not end in _total", f->name);
		else
			ck_assert_msg(!total, "%s %s ends in _total", f->type, f->name);
		for (const char *p = f->name; *p != '\0'; p++)
			ck_assert_msg(!(*p >= 'A' && *p <= 'Z') && *p != ':', "%s: not snake_case",
			    f->name);
	}
	for (size_t i = 0; i < doc->n_samples; i++) {
		const struct prom_family *f = prom_family_find(doc, doc->samples[i].family);
		if (strcmp(f->type, "counter") == 0)
			ck_assert_msg(doc->samples[i].value >= 0, "counter %s is negative",
			    doc->samples[i].name);
	}
}

/* GET /metrics: 200, the exposition's Content-Type, a text that parses and passes promtool. */
static void
scrape(const struct pcb_test_daemon *d, struct prom_doc *doc)
{
	struct reply r = http(d, "GET", "/metrics", NULL);
	char err[512];

	ck_assert_msg(r.status == 200, "GET /metrics: %ld %s", r.status, r.body);
	ck_assert_msg(strcasestr(r.headers, "\r\ncontent-type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\n") != NULL, "headers: %s", r.headers);
	ck_assert_msg(prom_parse(r.body, doc, err, sizeof err) == 0, "/metrics: %s\n%s", err,
	    r.body);
	check_conventions(doc);
	promtool_check(r.body);
	reply_free(&r);
}

/* One value of a scrape, which must be there. */
static double
val(const struct prom_doc *doc, const char *name, const char *labels)
{
	double v = prom_value(doc, name, labels);

	ck_assert_msg(!isnan(v), "no sample %s{%s}", name, labels);
	return v;
}

/* Polls /metrics until name{labels} == want (20 s deadline). */
static void
wait_metric(const struct pcb_test_daemon *d, const char *name, const char *labels, double want)
{
	int64_t deadline = pcb_monotonic_ms() + 20000;

	for (;;) {
		struct prom_doc doc;
		double v;

		scrape(d, &doc);
		v = val(&doc, name, labels);
		prom_doc_free(&doc);
		if (v == want)
			return;
		ck_assert_msg(pcb_monotonic_ms() < deadline, "%s{%s} is %g, waited for %g", name,
		    labels, v, want);
		sleep_ms(50);
	}
}

/* --- builds ------------------------------------------------------------------------------ */

static char *
make_project(bool big, bool broken)
{
	char *dir = pcb_test_tmpdir();

	pcb_test_write(dir, "pyproject.toml", broken ? "[project\nname = \"t\"\n" :
	    "[project]\nname = \"t\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\nt = \"t.cli:main\"\n", 0644);
	pcb_test_write(dir, "t/__init__.py", "", 0644);
	pcb_test_write(dir, "t/cli.py", "def main():\n    print(\"hello\")\n", 0644);
	if (big) {
		/* Random bytes do not compress: packing them keeps a build busy for a while. */
		ck_assert_int_eq(pcb_test_runf(NULL, "head -c %d /dev/urandom > '%s/t/big.bin'",
		    BIG_FILE_BYTES, dir), 0);
	}
	return dir;
}

static char *
submit(const struct pcb_test_daemon *d, const char *project)
{
	char *body = pcb_xasprintf("{\"context\": \"%s\"}", project);
	struct reply r = http(d, "POST", "/v1/builds", body);
	json_object *j;
	char *id;

	ck_assert_msg(r.status == 202, "POST /v1/builds: %ld %s", r.status, r.body);
	j = parse_json(r.body);
	id = pcb_xstrdup(json_object_get_string(jget(j, "id")));
	json_object_put(j);
	reply_free(&r);
	free(body);
	return id;
}

/* Polls the build until its state is one of `states` (space separated); returns it. */
static char *
wait_build(const struct pcb_test_daemon *d, const char *id, const char *states)
{
	int64_t deadline = pcb_monotonic_ms() + 90000;
	char *path = pcb_xasprintf("/v1/builds/%s", id);

	for (;;) {
		struct reply r = http(d, "GET", path, NULL);
		json_object *j;
		char *padded = pcb_xasprintf(" %s ", states), *want, *state;
		bool hit;

		ck_assert_msg(r.status == 200, "GET %s: %ld %s", path, r.status, r.body);
		j = parse_json(r.body);
		state = pcb_xstrdup(json_object_get_string(jget(j, "state")));
		want = pcb_xasprintf(" %s ", state);
		hit = strstr(padded, want) != NULL;
		free(padded);
		free(want);
		json_object_put(j);
		reply_free(&r);
		if (hit) {
			free(path);
			return state;
		}
		ck_assert_msg(pcb_monotonic_ms() < deadline, "build %s still %s (waiting for %s)",
		    id, state, states);
		free(state);
		sleep_ms(50);
	}
}

static void
expect_disk_full(struct reply *r, const char *needle)
{
	json_object *j, *e;
	const char *msg;

	ck_assert_msg(r->status == 507, "want 507, got %ld: %s", r->status, r->body);
	j = parse_json(r->body);
	e = jget(j, "error");
	ck_assert_str_eq(json_object_get_string(jget(e, "code")), "disk_full");
	msg = json_object_get_string(jget(e, "message"));
	ck_assert_msg(strstr(msg, needle) != NULL, "message \"%s\" does not name \"%s\"", msg,
	    needle);
	ck_assert_msg(strstr(msg, " bytes) free") != NULL, "message \"%s\" has no free bytes", msg);
	json_object_put(j);
}

/* --- tests ------------------------------------------------------------------------------- */

static int
parse_err(const char *text, char *err, size_t sz)
{
	struct prom_doc doc;
	int rc = prom_parse(text, &doc, err, sz);

	if (rc == 0)
		prom_doc_free(&doc);
	return rc;
}

/* The checker itself: it reads what the format allows and rejects what it does not. */
START_TEST(test_parser)
{
	static const char good[] =
	    "# A comment that means nothing\n"
	    "# HELP a_total A \\\\ help\\nover two lines.\n"
	    "# TYPE a_total counter\n"
	    "a_total{x=\"q\\\"uo\\\\te\\nnl\",y=\"2\",} 3 1700000000000\n"
	    "a_total 4\n"
	    "\n"
	    "# TYPE h histogram\n"
	    "h_bucket{k=\"a\",le=\"1\"} 1\n"
	    "h_bucket{k=\"a\",le=\"2.5\"} 1\n"
	    "h_bucket{k=\"a\",le=\"+Inf\"} 2\n"
	    "h_sum{k=\"a\"} 3.5\n"
	    "h_count{k=\"a\"} 2\n"
	    "h_bucket{k=\"b\",le=\"+Inf\"} 0\n"
	    "h_sum{k=\"b\"} 0\n"
	    "h_count{k=\"b\"} 0\n"
	    "# TYPE g gauge\n"
	    "g -Inf\n"
	    "g{z=\"1\"} NaN\n"
	    "g{z=\"2\"} 1.5e3\n";
	static const struct { const char *text, *why; } bad[] = {
		{ "x 1\n", "has no # TYPE" },
		{ "# TYPE x gauge\n# TYPE x gauge\nx 1\n", "second TYPE" },
		{ "# TYPE x gauge\nx 1\n# HELP x late\n", "after its samples" },
		{ "# TYPE x foo\nx 1\n", "unknown type" },
		{ "# TYPE x gauge\nx one\n", "bad value" },
		{ "# TYPE x gauge\nx{a=\"1} 1\n", "unterminated" },
		{ "# TYPE x gauge\nx{a=\"\\t\"} 1\n", "bad escape" },
		{ "# TYPE x gauge\nx{a=1} 1\n", "=\"value\"" },
		{ "# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n", "twice" },
		{ "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n", "repeated" },
		{ "# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"1\"} 2\n", "one group" },
		{ "# TYPE x gauge\nx 1", "newline" },
		{ "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
		  "h_count 1\n", "not cumulative" },
		{ "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
		  "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "rise in le" },
		{ "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf" },
		{ "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "!= _count" },
		{ "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n", "no _sum" },
		{ "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n", "no _count" },
		{ "# TYPE h histogram\nh_bucket 2\nh_sum 1\nh_count 2\n", "valid le" },
		{ "# TYPE 1x gauge\n", "without a metric name" },
	};
	struct prom_doc doc;
	const struct prom_sample *s;
	char err[512];

	ck_assert_msg(prom_parse(good, &doc, err, sizeof err) == 0, "%s", err);
	s = prom_find(&doc, "a_total", "x=q\"uo\\te\nnl,y=2");
	ck_assert(s != NULL);
	ck_assert(s->value == 3 && s->has_timestamp && s->timestamp == 1700000000000LL);
	ck_assert_str_eq(s->family, "a_total");
	ck_assert_str_eq(prom_family_find(&doc, "a_total")->help, "A \\ help\nover two lines.");
	ck_assert(prom_value(&doc, "a_total", "") == 4);
	ck_assert(prom_value(&doc, "h_bucket", "k=a,le=+Inf") == 2);
	ck_assert_str_eq(prom_find(&doc, "h_count", "k=a")->family, "h");
	ck_assert(isinf(prom_value(&doc, "g", "")) && prom_value(&doc, "g", "") < 0);
	ck_assert(isnan(prom_find(&doc, "g", "z=1")->value));
	ck_assert(prom_value(&doc, "g", "z=2") == 1500);
	ck_assert(prom_find(&doc, "g", "z=3") == NULL);
	prom_doc_free(&doc);
	for (size_t i = 0; i < PCB_ARRAY_LEN(bad); i++) {
		ck_assert_msg(parse_err(bad[i].text, err, sizeof err) != 0, "accepted: %s",
		    bad[i].text);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "for %s: \"%s\" does not say \"%s\"",
		    bad[i].text, err, bad[i].why);
	}
}
END_TEST

/* The renderer's own text: label values with quotes, backslashes and newlines come back
 * unchanged through the parser, and promtool takes it. */
START_TEST(test_render_escapes)
{
	static const char dir[] = "/srv/a \"b\"\\c\nd";
	struct pcb_metrics_snapshot snap;
	struct prom_doc doc;
	char err[512], *text;
	const struct prom_sample *s;

	memset(&snap, 0, sizeof snap);
	snap.state_dir = dir;
	snap.workers = 3;
	snap.have_fs = true;
	snap.fs_free_bytes = 1000;
	snap.fs_size_bytes = 5000;
	snap.policy.min_free_bytes = 2000;
	pcb_metrics_job_queued(PCB_JOB_BUILD);
	pcb_metrics_job_started(PCB_JOB_BUILD);
	pcb_metrics_job_finished(PCB_JOB_BUILD, true, "succeeded", 1500);
	pcb_metrics_job_queued(PCB_JOB_BUILD);
	pcb_metrics_job_started(PCB_JOB_BUILD);
	pcb_metrics_job_finished(PCB_JOB_BUILD, true, "failed", 7200000);
	pcb_metrics_job_queued(PCB_JOB_PULL);
	pcb_metrics_job_finished(PCB_JOB_PULL, false, "cancelled", 0);
	pcb_metrics_http_reply(204);
	pcb_metrics_http_reply(507);
	text = pcb_metrics_render(&snap);
	ck_assert_msg(prom_parse(text, &doc, err, sizeof err) == 0, "%s\n%s", err, text);
	check_conventions(&doc);
	s = prom_find(&doc, "pycontainerd_filesystem_free_bytes", "");
	ck_assert(s == NULL);   /* it has a dir label */
	ck_assert_msg(doc.samples != NULL, "no samples");
	for (size_t i = 0; i < doc.n_samples; i++)
		if (strcmp(doc.samples[i].name, "pycontainerd_filesystem_free_bytes") == 0) {
			ck_assert_uint_eq(doc.samples[i].n_labels, 1);
			ck_assert_str_eq(doc.samples[i].labels[0].value, dir);
			ck_assert(doc.samples[i].value == 1000);
		}
	ck_assert(val(&doc, "pycontainerd_disk_low", "dir=/srv/a \"b\"\\c\nd") == 1);
	ck_assert(val(&doc, "pycontainerd_workers", "") == 3);
	ck_assert(val(&doc, "pycontainerd_jobs_finished_total", "kind=build,state=succeeded") == 1);
	ck_assert(val(&doc, "pycontainerd_jobs_finished_total", "kind=build,state=failed") == 1);
	ck_assert(val(&doc, "pycontainerd_jobs_finished_total", "kind=pull,state=cancelled") == 1);
	ck_assert(val(&doc, "pycontainerd_jobs", "kind=build,state=running") == 0);
	ck_assert(val(&doc, "pycontainerd_jobs", "kind=pull,state=queued") == 0);
	/* 1.5 s lands in le=2.5, two hours only in +Inf; the cancelled pull never ran. */
	ck_assert(val(&doc, "pycontainerd_build_duration_seconds_bucket", "le=1") == 0);
	ck_assert(val(&doc, "pycontainerd_build_duration_seconds_bucket", "le=2.5") == 1);
	ck_assert(val(&doc, "pycontainerd_build_duration_seconds_bucket", "le=3600") == 1);
	ck_assert(val(&doc, "pycontainerd_build_duration_seconds_bucket", "le=+Inf") == 2);
	ck_assert(val(&doc, "pycontainerd_build_duration_seconds_count", "") == 2);
	ck_assert(fabs(val(&doc, "pycontainerd_build_duration_seconds_sum", "") - 7201.5) < 1e-6);
	ck_assert(val(&doc, "pycontainerd_http_requests_total", "code=2xx") == 1);
	ck_assert(val(&doc, "pycontainerd_http_requests_total", "code=5xx") == 1);
	/* The store could not be read: its gauges are left out, not reported as 0. */
	ck_assert(prom_family_find(&doc, "pycontainerd_store_size_bytes") == NULL);
	promtool_check(text);
	prom_doc_free(&doc);
	free(text);
}
END_TEST

/* A daemon's counters and gauges move with builds that succeed, are rebuilt from the layer
 * cache, and fail; health reports the disk. */
START_TEST(test_metrics_builds)
{
	struct pcb_test_daemon d;
	struct prom_doc m0, m1, m2, m3;
	char *proj = make_project(false, false), *broken = make_project(false, true);
	char *id, *state;
	struct reply r;
	json_object *j, *disk;

	pcb_test_daemon_start(&d, NULL, NULL);
	r = http(&d, "GET", "/v1/health", NULL);
	ck_assert_int_eq(r.status, 200);
	j = parse_json(r.body);
	ck_assert_str_eq(json_object_get_string(jget(j, "status")), "ok");
	disk = jget(j, "disk");
	ck_assert_str_eq(json_object_get_string(jget(disk, "path")), d.state);
	ck_assert(json_object_get_int64(jget(disk, "free_bytes")) > 0);
	ck_assert(json_object_get_int64(jget(disk, "total_bytes")) >=
	    json_object_get_int64(jget(disk, "free_bytes")));
	ck_assert(!json_object_get_boolean(jget(disk, "low")));
	ck_assert(json_object_get_string(jget(disk, "mount_point"))[0] == '/');
	json_object_put(j);
	reply_free(&r);

	scrape(&d, &m0);
	ck_assert(val(&m0, "pycontainerd_jobs_finished_total", "kind=build,state=succeeded") == 0);
	ck_assert(val(&m0, "pycontainerd_build_duration_seconds_count", "") == 0);
	ck_assert(val(&m0, "pycontainerd_sse_clients", "") == 0);
	{
		char *labels = pcb_xasprintf("dir=%s", d.state);
		ck_assert(val(&m0, "pycontainerd_disk_low", labels) == 0);
		ck_assert(val(&m0, "pycontainerd_filesystem_free_bytes", labels) > 0);
		free(labels);
	}
	ck_assert(val(&m0, "pycontainerd_http_requests_total", "code=2xx") >= 2);

	/* A first build packs its app layer: a layer-cache miss. */
	id = submit(&d, proj);
	state = wait_build(&d, id, "succeeded failed cancelled");
	ck_assert_str_eq(state, "succeeded");
	free(state);
	free(id);
	scrape(&d, &m1);
	ck_assert(val(&m1, "pycontainerd_jobs_submitted_total", "kind=build") == 1);
	ck_assert(val(&m1, "pycontainerd_jobs_finished_total", "kind=build,state=succeeded") == 1);
	ck_assert(val(&m1, "pycontainerd_jobs_finished_total", "kind=build,state=failed") == 0);
	ck_assert(val(&m1, "pycontainerd_jobs", "kind=build,state=queued") == 0);
	ck_assert(val(&m1, "pycontainerd_jobs", "kind=build,state=running") == 0);
	ck_assert(val(&m1, "pycontainerd_queue_depth", "") == 0);
	ck_assert(val(&m1, "pycontainerd_build_duration_seconds_count", "") == 1);
	ck_assert(val(&m1, "pycontainerd_build_duration_seconds_bucket", "le=+Inf") == 1);
	ck_assert(val(&m1, "pycontainerd_build_duration_seconds_sum", "") >= 0);
	ck_assert(val(&m1, "pycontainerd_layer_cache_misses_total", "") >=
	    val(&m0, "pycontainerd_layer_cache_misses_total", "") + 1);
	ck_assert(val(&m1, "pycontainerd_layers_packed_total", "") >=
	    val(&m0, "pycontainerd_layers_packed_total", "") + 1);
	ck_assert(val(&m1, "pycontainerd_packed_bytes_total", "") >
	    val(&m0, "pycontainerd_packed_bytes_total", ""));
	ck_assert(val(&m1, "pycontainerd_packed_tar_bytes_total", "") >
	    val(&m1, "pycontainerd_packed_bytes_total", "") - 1e9);
	ck_assert(val(&m1, "pycontainerd_store_size_bytes", "") >
	    val(&m0, "pycontainerd_store_size_bytes", ""));
	ck_assert(val(&m1, "pycontainerd_store_blobs", "") >= 3);   /* layer, config, manifest */
	ck_assert(val(&m1, "pycontainerd_http_requests_total", "code=2xx") >
	    val(&m0, "pycontainerd_http_requests_total", "code=2xx"));

	/* The same project again: the layer comes from the cache, nothing is packed. */
	id = submit(&d, proj);
	state = wait_build(&d, id, "succeeded failed cancelled");
	ck_assert_str_eq(state, "succeeded");
	free(state);
	free(id);
	scrape(&d, &m2);
	ck_assert(val(&m2, "pycontainerd_layer_cache_hits_total", "key=stat") +
	    val(&m2, "pycontainerd_layer_cache_hits_total", "key=content") >=
	    val(&m1, "pycontainerd_layer_cache_hits_total", "key=stat") +
	    val(&m1, "pycontainerd_layer_cache_hits_total", "key=content") + 1);
	ck_assert(val(&m2, "pycontainerd_layer_cache_misses_total", "") ==
	    val(&m1, "pycontainerd_layer_cache_misses_total", ""));
	ck_assert(val(&m2, "pycontainerd_layers_packed_total", "") ==
	    val(&m1, "pycontainerd_layers_packed_total", ""));
	ck_assert(val(&m2, "pycontainerd_jobs_finished_total", "kind=build,state=succeeded") == 2);
	ck_assert(val(&m2, "pycontainerd_build_duration_seconds_count", "") == 2);

	/* A build that fails (its pyproject.toml does not parse) counts as failed and is timed;
	 * a bad query is a 4xx. */
	id = submit(&d, broken);
	state = wait_build(&d, id, "succeeded failed cancelled");
	ck_assert_str_eq(state, "failed");
	free(state);
	free(id);
	r = http(&d, "GET", "/metrics?format=json", NULL);
	ck_assert_int_eq(r.status, 400);
	reply_free(&r);
	scrape(&d, &m3);
	ck_assert(val(&m3, "pycontainerd_jobs_finished_total", "kind=build,state=failed") == 1);
	ck_assert(val(&m3, "pycontainerd_jobs_submitted_total", "kind=build") == 3);
	ck_assert(val(&m3, "pycontainerd_build_duration_seconds_count", "") == 3);
	ck_assert(val(&m3, "pycontainerd_http_requests_total", "code=4xx") >=
	    val(&m2, "pycontainerd_http_requests_total", "code=4xx") + 1);
	ck_assert(val(&m3, "pycontainerd_jobs_finished_total", "kind=pull,state=succeeded") == 0);
	ck_assert(val(&m3, "pycontainerd_disk_full_refusals_total", "") == 0);

	prom_doc_free(&m0);
	prom_doc_free(&m1);
	prom_doc_free(&m2);
	prom_doc_free(&m3);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	pcb_test_rmtree(broken);
	free(proj);
	free(broken);
}
END_TEST

/* Gauges of live work: a running build, one queued behind it (one worker), an event-stream
 * client following the running one; all back to 0 once both are cancelled. */
START_TEST(test_metrics_live)
{
	struct pcb_test_daemon d;
	char *proj = make_project(true, false), *small = make_project(false, false);
	char *id1, *id2, *state, *path, *out, *rcfile;
	struct reply r;

	pcb_test_daemon_start(&d, NULL, "--workers 1");
	id1 = submit(&d, proj);
	wait_metric(&d, "pycontainerd_jobs", "kind=build,state=running", 1);
	id2 = submit(&d, small);
	wait_metric(&d, "pycontainerd_jobs", "kind=build,state=queued", 1);
	wait_metric(&d, "pycontainerd_queue_depth", "", 1);

	/* A client follows the running build's events until the stream ends. */
	out = pcb_path_join(d.dir, "events.out");
	rcfile = pcb_path_join(d.dir, "events.rc");
	ck_assert_int_eq(pcb_test_runf(NULL, "(curl -sN --unix-socket %s "
	    "http://x/v1/builds/%s/events > %s; echo $? > %s) >/dev/null 2>&1 &", d.sock, id1, out,
	    rcfile), 0);
	wait_metric(&d, "pycontainerd_sse_clients", "", 1);

	path = pcb_xasprintf("/v1/builds/%s", id2);
	r = http(&d, "DELETE", path, NULL);
	ck_assert_msg(r.status == 200 || r.status == 202, "DELETE %s: %ld %s", path, r.status,
	    r.body);
	reply_free(&r);
	free(path);
	wait_metric(&d, "pycontainerd_jobs", "kind=build,state=queued", 0);
	path = pcb_xasprintf("/v1/builds/%s", id1);
	r = http(&d, "DELETE", path, NULL);
	ck_assert_msg(r.status == 200 || r.status == 202, "DELETE %s: %ld %s", path, r.status,
	    r.body);
	reply_free(&r);
	free(path);
	state = wait_build(&d, id1, "succeeded failed cancelled");
	ck_assert_str_eq(state, "cancelled");
	free(state);
	wait_metric(&d, "pycontainerd_jobs", "kind=build,state=running", 0);
	wait_metric(&d, "pycontainerd_sse_clients", "", 0);
	wait_metric(&d, "pycontainerd_jobs_finished_total", "kind=build,state=cancelled", 2);
	/* The queued one never ran: only the running one is timed. */
	wait_metric(&d, "pycontainerd_build_duration_seconds_count", "", 1);
	wait_metric(&d, "pycontainerd_queue_depth", "", 0);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	pcb_test_rmtree(small);
	free(proj);
	free(small);
	free(id1);
	free(id2);
	free(out);
	free(rcfile);
}
END_TEST

/* Free space under --cache-min-free (larger than what is free, smaller than the disk):
 * health says degraded, and builds, pulls and bases are refused with 507 disk_full naming
 * the filesystem and its free bytes, before any job is recorded. */
START_TEST(test_disk_low_min_free)
{
	struct pcb_test_daemon d;
	char *dir = pcb_test_tmpdir(), *args, *body;
	char *proj = make_project(false, false);
	struct statvfs v;
	uint64_t free_b, total_b, min_free;
	struct prom_doc m;
	struct reply r;
	json_object *j, *disk;

	ck_assert_int_eq(statvfs(dir, &v), 0);
	free_b = (uint64_t)v.f_bavail * v.f_frsize;
	total_b = (uint64_t)v.f_blocks * v.f_frsize;
	/* A margin of 1 GiB over what is free now, so other writers cannot flip the verdict. */
	min_free = free_b + ((uint64_t)1 << 30);
	if (min_free > total_b)
		min_free = total_b;
	ck_assert_msg(min_free > free_b + ((uint64_t)64 << 20), "the test filesystem is too "
	    "full to tell");
	args = pcb_xasprintf("--cache-min-free %" PRIu64, min_free);
	pcb_test_daemon_start(&d, dir, args);

	r = http(&d, "GET", "/v1/health", NULL);
	ck_assert_int_eq(r.status, 200);
	j = parse_json(r.body);
	ck_assert_str_eq(json_object_get_string(jget(j, "status")), "degraded");
	disk = jget(j, "disk");
	ck_assert(json_object_get_boolean(jget(disk, "low")));
	ck_assert_uint_eq((uint64_t)json_object_get_int64(jget(disk, "min_free_bytes")), min_free);
	ck_assert_uint_eq((uint64_t)json_object_get_int64(jget(disk, "required_free_bytes")),
	    min_free);
	ck_assert((uint64_t)json_object_get_int64(jget(disk, "free_bytes")) < min_free);
	json_object_put(j);
	reply_free(&r);

	body = pcb_xasprintf("{\"context\": \"%s\"}", proj);
	r = http(&d, "POST", "/v1/builds", body);
	expect_disk_full(&r, d.state);
	reply_free(&r);
	free(body);
	r = http(&d, "POST", "/v1/pulls", "{\"ref\": \"localhost:1/nothing/here:1\"}");
	expect_disk_full(&r, "--cache-min-free");
	reply_free(&r);
	r = http(&d, "POST", "/v1/bases", "{\"tag\": \"hostpy:1\"}");
	expect_disk_full(&r, d.state);
	reply_free(&r);
	/* Nothing was recorded. */
	r = http(&d, "GET", "/v1/jobs", NULL);
	ck_assert_int_eq(r.status, 200);
	j = parse_json(r.body);
	ck_assert_uint_eq(json_object_array_length(jget(j, "jobs")), 0);
	json_object_put(j);
	reply_free(&r);

	scrape(&d, &m);
	ck_assert(val(&m, "pycontainerd_disk_full_refusals_total", "") == 3);
	ck_assert(val(&m, "pycontainerd_http_requests_total", "code=5xx") == 3);
	ck_assert(val(&m, "pycontainerd_store_min_free_bytes", "") == (double)min_free);
	{
		char *labels = pcb_xasprintf("dir=%s", d.state);
		ck_assert(val(&m, "pycontainerd_disk_low", labels) == 1);
		ck_assert(val(&m, "pycontainerd_filesystem_free_bytes", labels) < (double)min_free);
		ck_assert(val(&m, "pycontainerd_filesystem_size_bytes", labels) == (double)total_b);
		free(labels);
	}
	ck_assert(val(&m, "pycontainerd_jobs_submitted_total", "kind=build") == 0);
	prom_doc_free(&m);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	free(proj);
	free(args);
	free(dir);
}
END_TEST

/* The start-up check: a min-free larger than the whole filesystem is refused with both
 * figures; one that fits passes. */
START_TEST(test_check_min_free)
{
	char *dir = pcb_test_tmpdir(), *missing;
	struct statvfs v;
	uint64_t total_b;
	struct pcb_err err;
	char figure[32];

	ck_assert_int_eq(statvfs(dir, &v), 0);
	total_b = (uint64_t)v.f_blocks * v.f_frsize;
	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_metrics_check_min_free(dir, 0, &err), 0);
	ck_assert_int_eq(pcb_metrics_check_min_free(dir, total_b, &err), 0);
	ck_assert_int_eq(pcb_metrics_check_min_free(dir, total_b + 1, &err), PCB_EINVAL);
	snprintf(figure, sizeof figure, "%" PRIu64 " bytes", total_b);
	ck_assert_msg(strstr(err.msg, figure) != NULL, "%s", err.msg);
	snprintf(figure, sizeof figure, "(%" PRIu64 " bytes)", total_b + 1);
	ck_assert_msg(strstr(err.msg, figure) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, dir) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "mounted on /") != NULL, "%s", err.msg);
	missing = pcb_path_join(dir, "missing");
	ck_assert_int_eq(pcb_metrics_check_min_free(missing, 1, &err), PCB_ENOENT);
	ck_assert_msg(strstr(err.msg, "cache-min-free") != NULL, "%s", err.msg);
	free(missing);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A real small filesystem: a 2 MiB tmpfs under the daemon (root only; skipped, saying so,
 * where mount is not permitted). It is mounted in a mount namespace of this test's own
 * process (Check forks one per test), which the daemon it starts inherits: a failing check
 * cannot leave it mounted on the machine. It is under the 64 MiB floor whatever min-free says: health
 * is degraded and names the mount point, a build is refused naming it; a push (which is not
 * refused up front) finds SQLite's disk full and gets 507, not 500; the start-up check
 * refuses a min-free over 2 MiB. */
START_TEST(test_disk_tmpfs)
{
	struct pcb_test_daemon d;
	char *dir = pcb_test_tmpdir(), *proj = make_project(false, false), *body;
	char real[PATH_MAX], *msg;
	struct reply r;
	json_object *j, *disk;
	struct pcb_err err;

	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("pcbtest-tmpfs", dir, "tmpfs", 0, "size=2m") != 0) {
		fprintf(stderr, "test_disk_tmpfs: skipped, a tmpfs cannot be mounted here: %s\n",
		    strerror(errno));
		pcb_test_rmtree(dir);
		free(dir);
		pcb_test_rmtree(proj);
		free(proj);
		return;
	}
	ck_assert(realpath(dir, real) != NULL);
	pcb_test_daemon_start(&d, dir, "--cache-min-free 1M");

	r = http(&d, "GET", "/v1/health", NULL);
	j = parse_json(r.body);
	ck_assert_str_eq(json_object_get_string(jget(j, "status")), "degraded");
	disk = jget(j, "disk");
	ck_assert_str_eq(json_object_get_string(jget(disk, "mount_point")), real);
	ck_assert_int_eq(json_object_get_int64(jget(disk, "total_bytes")), 2 << 20);
	ck_assert_int_eq(json_object_get_int64(jget(disk, "required_free_bytes")), 64 << 20);
	json_object_put(j);
	reply_free(&r);

	body = pcb_xasprintf("{\"context\": \"%s\"}", proj);
	r = http(&d, "POST", "/v1/builds", body);
	msg = pcb_xasprintf("mounted on %s (state directory %s)", real, d.state);
	expect_disk_full(&r, msg);
	free(msg);
	reply_free(&r);
	free(body);

	/* Fill the filesystem, then queue a push: recording it fails on a full disk. */
	(void)pcb_test_runf(NULL, "dd if=/dev/zero of='%s/fill' bs=64k 2>/dev/null", dir);
	r = http(&d, "POST", "/v1/pushes", "{\"source\": \"sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000000\", "
	    "\"targets\": [\"localhost:1/x/y:1\"]}");
	ck_assert_msg(r.status == 507 || r.status == 202, "push on a full disk: %ld %s", r.status,
	    r.body);
	if (r.status == 507)
		ck_assert_msg(strstr(r.body, "\"disk_full\"") != NULL, "%s", r.body);
	else
		fprintf(stderr, "test_disk_tmpfs: SQLite found room for the push's row\n");
	reply_free(&r);

	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_metrics_check_min_free(dir, (uint64_t)3 << 20, &err), PCB_EINVAL);
	msg = pcb_xasprintf("mounted on %s (2.0 MiB, 2097152 bytes)", real);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "%s", err.msg);
	free(msg);
	ck_assert_int_eq(pcb_metrics_check_min_free(dir, (uint64_t)1 << 20, &err), 0);

	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, false);
	ck_assert_int_eq(umount2(dir, MNT_DETACH), 0);
	pcb_test_rmtree(dir);
	free(dir);
	pcb_test_rmtree(proj);
	free(proj);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_parser);
	tcase_add_test(tc, test_render_escapes);
	tcase_add_test(tc, test_metrics_builds);
	tcase_add_test(tc, test_metrics_live);
	tcase_add_test(tc, test_disk_low_min_free);
	tcase_add_test(tc, test_check_min_free);
	tcase_add_test(tc, test_disk_tmpfs);
	suite_add_tcase(s, tc);
	rc = pcb_test_run_suite(s);
	curl_global_cleanup();
	return rc;
}
