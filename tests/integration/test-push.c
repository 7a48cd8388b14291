/* test-push.c — registry jobs through a real pycontainerd and a real docker-registry on
 * loopback: a build with push:true (checked with skopeo), POST /v1/pushes (mounts, re-push
 * with no upload), POST /v1/pulls into a fresh daemon, basic auth over TLS with credentials
 * and a CA in the request (and the password nowhere on disk or in the log afterwards), a wrong
 * password, request errors, and the /v1/jobs listing by kind. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "regfix.h"
#include "testutil.h"

static json_object *
parse(const char *s)
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

static const char *
jstr(json_object *j, const char *key)
{
	return json_object_get_string(jget(j, key));
}

static char *
make_project(void)
{
	char *dir = pcb_test_tmpdir();

	pcb_test_write(dir, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\napp = \"app.cli:main\"\n", 0644);
	pcb_test_write(dir, "app/__init__.py", "", 0644);
	pcb_test_write(dir, "app/cli.py", "def main():\n    print(\"hello\")\n", 0644);
	return dir;
}

/* POSTs body to path, expects 202 with a job of kind whose Location is /v1/jobs/<id> (or
 * /v1/builds/<id> for builds). Returns the id. */
static char *
post_job(const struct pcb_test_daemon *d, const char *path, const char *body,
    const char *kind)
{
	char *out = NULL, *id;
	long st = pcb_test_http(d, "POST", path, body, strlen(body), &out);
	json_object *j;

	ck_assert_msg(st == 202, "POST %s: %ld %s", path, st, out);
	j = parse(out);
	ck_assert_str_eq(jstr(j, "kind"), kind);
	ck_assert_str_eq(jstr(j, "state"), "queued");
	id = pcb_xstrdup(jstr(j, "id"));
	ck_assert_int_eq((int)strlen(id), 18);
	ck_assert_int_eq(id[0], strcmp(kind, "build") == 0 ? 'b' : strcmp(kind, "push") == 0 ?
	    'p' : 'l');
	json_object_put(j);
	free(out);
	return id;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Polls GET /v1/jobs/{id} until it has finished; returns the job. */
static json_object *
wait_done(const struct pcb_test_daemon *d, const char *id)
{
	int64_t deadline = pcb_monotonic_ms() + 90000;
	char *path = pcb_xasprintf("/v1/jobs/%s", id);

	for (;;) {
		char *out = NULL;
		long st = pcb_test_http(d, "GET", path, NULL, 0, &out);
		json_object *j;
		const char *s;

		ck_assert_msg(st == 200, "GET %s: %ld %s", path, st, out);
		j = parse(out);
		free(out);
		s = jstr(j, "state");
		if (strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
		    strcmp(s, "cancelled") == 0) {
			free(path);
			return j;
		}
		ck_assert_msg(pcb_monotonic_ms() < deadline, "job %s still %s", id, s);
		json_object_put(j);
		sleep_ms(50);
	}
}

static json_object *
wait_succeeded(const struct pcb_test_daemon *d, const char *id)
{
	json_object *j = wait_done(d, id);

	ck_assert_msg(strcmp(jstr(j, "state"), "succeeded") == 0, "job %s: %s", id,
	    json_object_to_json_string(j));
	return j;
}

static char *
skopeo_digest(const struct pcb_test_registry *reg, const char *repo_tag)
{
	char *out = NULL, *d;
	json_object *j;
	int rc = pcb_test_runf(&out, "skopeo inspect --tls-verify=false docker://%s/%s 2>&1",
	    reg->host, repo_tag);

	ck_assert_msg(rc == 0, "skopeo inspect %s: %s", repo_tag, out);
	j = parse(out);
	d = pcb_xstrdup(jstr(j, "Digest"));
	json_object_put(j);
	free(out);
	return d;
}

static json_object *
blobs_of(json_object *result, size_t i)
{
	return jget(json_object_array_get_idx(jget(result, "pushed"), i), "blobs");
}

START_TEST(build_push_repush_mount_pull)
{
	struct pcb_test_registry reg;
	struct pcb_test_daemon d, d2;
	char *proj = make_project(), *body, *id, *pid, *pid2, *lid, *out = NULL, *sd, *path;
	json_object *b, *res, *pushed, *bl, *list;
	char *digest;
	long st;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_daemon_start(&d, NULL, NULL);

	/* A build that pushes its tag. */
	body = pcb_xasprintf("{\"context\": \"%s\", \"push\": true, \"tags\": [\"%s/team/app:1\"]}",
	    proj, reg.host);
	id = post_job(&d, "/v1/builds", body, "build");
	free(body);
	b = wait_succeeded(&d, id);
	ck_assert(json_object_get_boolean(jget(jget(b, "spec"), "push")));
	res = jget(b, "result");
	pushed = jget(res, "pushed");
	ck_assert_int_eq((int)json_object_array_length(pushed), 1);
	digest = pcb_xstrdup(jstr(json_object_array_get_idx(pushed, 0), "digest"));
	ck_assert_str_eq(digest, jstr(jget(res, "manifest"), "digest"));
	bl = blobs_of(res, 0);
	ck_assert_int_eq(json_object_get_int(jget(bl, "uploaded")), 2);   /* config + app layer */
	ck_assert_int_gt(json_object_get_int64(jget(bl, "bytes_sent")), 0);
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(&reg, "team/app:1");
		ck_assert_str_eq(sd, digest);
		free(sd);
	}

	/* The same image to another repository of the registry: nothing is uploaded. */
	body = pcb_xasprintf("{\"source\": \"%s/team/app:1\", \"targets\": [\"%s/team/other:2\"]}",
	    reg.host, reg.host);
	pid = post_job(&d, "/v1/pushes", body, "push");
	free(body);
	json_object_put(b);
	b = wait_succeeded(&d, pid);
	res = jget(b, "result");
	bl = blobs_of(res, 0);
	ck_assert_int_eq(json_object_get_int(jget(bl, "uploaded")), 0);
	ck_assert_int_eq(json_object_get_int(jget(bl, "mounted")) +
	    json_object_get_int(jget(bl, "skipped")), 2);
	ck_assert_str_eq(jstr(json_object_array_get_idx(jget(res, "pushed"), 0), "digest"),
	    jstr(jget(res, "manifest"), "digest"));
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(&reg, "team/other:2");
		ck_assert_str_eq(sd, jstr(jget(res, "manifest"), "digest"));
		free(sd);
	}
	/* Its events carry blob transfers. */
	path = pcb_xasprintf("/v1/jobs/%s/events", pid);
	st = pcb_test_http(&d, "GET", path, NULL, 0, &out);
	ck_assert_int_eq(st, 200);
	ck_assert_msg(strstr(out, "event: blob\n") != NULL, "no blob event: %s", out);
	ck_assert(strstr(out, "event: end\n") != NULL);
	free(out);
	free(path);
	/* /v1/builds knows nothing of pushes. */
	path = pcb_xasprintf("/v1/builds/%s", pid);
	st = pcb_test_http(&d, "GET", path, NULL, 0, &out);
	ck_assert_msg(st == 404, "GET %s: %ld %s", path, st, out);
	free(out);
	free(path);

	/* Re-push of the build by its id: no blob is sent again. */
	body = pcb_xasprintf("{\"source\": \"%s\", \"targets\": [\"%s/team/app:1\"]}", id,
	    reg.host);
	pid2 = post_job(&d, "/v1/pushes", body, "push");
	free(body);
	json_object_put(b);
	b = wait_succeeded(&d, pid2);
	bl = blobs_of(jget(b, "result"), 0);
	ck_assert_int_eq(json_object_get_int(jget(bl, "uploaded")), 0);
	ck_assert_int_eq(json_object_get_int64(jget(bl, "bytes_sent")), 0);
	json_object_put(b);

	/* Listing by kind. */
	st = pcb_test_http(&d, "GET", "/v1/jobs?kind=push", NULL, 0, &out);
	ck_assert_msg(st == 200, "%ld %s", st, out);
	b = parse(out);
	list = jget(b, "jobs");
	ck_assert_int_eq((int)json_object_array_length(list), 2);
	for (size_t i = 0; i < 2; i++)
		ck_assert_str_eq(jstr(json_object_array_get_idx(list, i), "kind"), "push");
	ck_assert_str_eq(jstr(json_object_array_get_idx(list, 0), "id"), pid2);
	json_object_put(b);
	free(out);
	st = pcb_test_http(&d, "GET", "/v1/builds", NULL, 0, &out);
	ck_assert_int_eq(st, 200);
	b = parse(out);
	ck_assert_int_eq((int)json_object_array_length(jget(b, "builds")), 1);
	json_object_put(b);
	free(out);

	/* Pull it into a fresh daemon. */
	pcb_test_daemon_start(&d2, NULL, NULL);
	body = pcb_xasprintf("{\"ref\": \"%s/team/app:1\"}", reg.host);
	lid = post_job(&d2, "/v1/pulls", body, "pull");
	free(body);
	b = wait_succeeded(&d2, lid);
	res = jget(b, "result");
	ck_assert_str_eq(jstr(jget(res, "manifest"), "digest"), digest);
	{
		char *want = pcb_xasprintf("%s/team/app:1", reg.host);
		ck_assert_str_eq(jstr(res, "tagged"), want);
		free(want);
	}
	{
		const char *ds[3];
		ds[0] = digest;
		ds[1] = jstr(jget(res, "config"), "digest");
		ds[2] = jstr(json_object_array_get_idx(jget(res, "layers"), 0), "digest");
		for (size_t i = 0; i < 3; i++) {
			char *f = pcb_xasprintf("%s/blobs/sha256/%s", d2.state, ds[i] + 7);
			ck_assert_msg(access(f, R_OK) == 0, "%s is not in the fresh store", f);
			free(f);
		}
	}
	/* The pulled image can be pushed on from d2 by its tag (the store tag works). */
	json_object_put(b);
	body = pcb_xasprintf("{\"source\": \"%s/team/app:1\", \"targets\": [\"%s/team/third:1\"]}",
	    reg.host, reg.host);
	pid = (free(pid), post_job(&d2, "/v1/pushes", body, "push"));
	free(body);
	b = wait_succeeded(&d2, pid);
	ck_assert_int_eq(json_object_get_int(jget(blobs_of(jget(b, "result"), 0), "uploaded")), 0);
	json_object_put(b);

	ck_assert_int_eq(pcb_test_daemon_stop(&d2), 0);
	pcb_test_daemon_free(&d2, true);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(proj);
	free(proj);
	free(id);
	free(pid);
	free(pid2);
	free(lid);
	free(digest);
}
END_TEST

/* JSON string literal of a PEM file (newlines escaped). */
static char *
json_quoted_file(const char *path)
{
	char *text = pcb_test_read(path, NULL);
	json_object *s;
	char *q;

	ck_assert(text != NULL);
	s = json_object_new_string(text);
	q = pcb_xstrdup(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(s);
	free(text);
	return q;
}

static void
assert_nowhere(const struct pcb_test_daemon *d, const char *secret)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "grep -rlaF -- '%s' '%s' '%s'", secret, d->state, d->log);

	ck_assert_msg(rc == 1, "the password was found (grep %d): %s", rc, out);
	free(out);
}

START_TEST(basic_auth_tls_credentials)
{
	struct pcb_test_registry reg;
	struct pcb_test_daemon d;
	char *proj = make_project(), *body, *id, *pem, *out = NULL, *path;
	json_object *b, *e;
	long st;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_BASIC_TLS);
	pcb_test_daemon_start(&d, NULL, NULL);
	pem = json_quoted_file(reg.ca_file);

	body = pcb_xasprintf("{\"context\": \"%s\", \"push\": true, \"tags\": [\"%s/team/app:1\"], "
	    "\"credentials\": [{\"registry\": \"%s\", \"username\": \"%s\", \"password\": \"%s\"}], "
	    "\"ca_certs\": {\"%s\": %s}}", proj, reg.host, reg.host, reg.username, reg.password,
	    reg.host, pem);
	st = pcb_test_http(&d, "POST", "/v1/builds", body, strlen(body), &out);
	ck_assert_msg(st == 202, "%ld %s", st, out);
	ck_assert_msg(strstr(out, reg.password) == NULL, "password echoed: %s", out);
	ck_assert(strstr(out, "credentials") == NULL);
	b = parse(out);
	id = pcb_xstrdup(jstr(b, "id"));
	json_object_put(b);
	free(out);
	free(body);
	b = wait_succeeded(&d, id);
	ck_assert_int_eq((int)json_object_array_length(jget(jget(b, "result"), "pushed")), 1);
	json_object_put(b);
	/* Every way of reading the build back leaves the credentials out. */
	path = pcb_xasprintf("/v1/builds/%s/events", id);
	st = pcb_test_http(&d, "GET", path, NULL, 0, &out);
	ck_assert_int_eq(st, 200);
	ck_assert(strstr(out, reg.password) == NULL);
	free(out);
	free(path);
	free(id);

	/* A push job with the same credentials. */
	body = pcb_xasprintf("{\"source\": \"%s/team/app:1\", \"targets\": [\"%s/team/copy:1\"], "
	    "\"credentials\": [{\"registry\": \"%s\", \"username\": \"%s\", \"password\": \"%s\"}], "
	    "\"ca_certs\": {\"%s\": %s}}", reg.host, reg.host, reg.host, reg.username,
	    reg.password, reg.host, pem);
	id = post_job(&d, "/v1/pushes", body, "push");
	free(body);
	json_object_put(wait_succeeded(&d, id));
	free(id);

	/* A wrong password: the job fails naming the registry and the 401. */
	body = pcb_xasprintf("{\"source\": \"%s/team/app:1\", \"targets\": [\"%s/team/bad:1\"], "
	    "\"credentials\": [{\"registry\": \"%s\", \"username\": \"%s\", \"password\": "
	    "\"wrong-%s\"}], \"ca_certs\": {\"%s\": %s}}", reg.host, reg.host, reg.host,
	    reg.username, reg.password, reg.host, pem);
	id = post_job(&d, "/v1/pushes", body, "push");
	free(body);
	b = wait_done(&d, id);
	ck_assert_str_eq(jstr(b, "state"), "failed");
	e = jget(b, "error");
	ck_assert_msg(strstr(jstr(e, "message"), reg.host) != NULL &&
	    strstr(jstr(e, "message"), "401") != NULL, "error: %s", jstr(e, "message"));
	json_object_put(b);
	free(id);

	/* The daemon wrote the password nowhere: state dir (jobs.db, store.db, WAL files,
	 * blobs, tmp) and log. */
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	assert_nowhere(&d, reg.password);

	pcb_test_daemon_free(&d, true);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(proj);
	free(proj);
	free(pem);
}
END_TEST

static void
expect_400(const struct pcb_test_daemon *d, const char *path, const char *body,
    long status, const char *needle)
{
	char *out = NULL;
	long st = pcb_test_http(d, "POST", path, body, strlen(body), &out);

	ck_assert_msg(st == status, "POST %s %s: %ld %s", path, body, st, out);
	ck_assert_msg(strstr(out, needle) != NULL, "\"%s\" not in %s", needle, out);
	ck_assert_msg(strstr(out, "s3cret") == NULL, "secret echoed: %s", out);
	free(out);
}

START_TEST(request_errors)
{
	struct pcb_test_daemon d;
	char *proj = make_project(), *body, *out = NULL;
	long st;

	pcb_test_daemon_start(&d, NULL, NULL);
	body = pcb_xasprintf("{\"context\": \"%s\", \"push\": true, \"tags\": [\"app:1\"]}", proj);
	expect_400(&d, "/v1/builds", body, 400, "tags[0] 'app:1' names no registry to push to");
	free(body);
	body = pcb_xasprintf("{\"context\": \"%s\", \"push\": \"yes\"}", proj);
	expect_400(&d, "/v1/builds", body, 400, "push: expected a boolean");
	free(body);
	body = pcb_xasprintf("{\"context\": \"%s\", \"credentials\": [{\"registry\": \"x.io\", "
	    "\"password\": \"s3cret\"}]}", proj);
	expect_400(&d, "/v1/builds", body, 400, "a password needs a");
	free(body);
	expect_400(&d, "/v1/pushes", "{\"source\": \"a:1\"}", 400, "targets");
	expect_400(&d, "/v1/pushes", "{\"source\": \"a:1\", \"targets\": [\"h.io/a:1\"], "
	    "\"extra\": 1}", 400, "unknown field 'extra'");
	expect_400(&d, "/v1/pushes", "{\"source\": \"a:1\", \"targets\": [\"h.io/a:1\"], "
	    "\"credentials\": [{\"registry\": \"h.io\", \"username\": \"u\", \"password\": 5}]}",
	    400, "credentials[0].password: expected a string");
	expect_400(&d, "/v1/pushes", "{\"source\": \"b-0123456789abcdef\", \"targets\": "
	    "[\"h.io/a:1\"]}", 404, "no build with id b-0123456789abcdef");
	expect_400(&d, "/v1/pushes", "{\"source\": \"a:1\", \"targets\": [\"h.io/a:1\"], "
	    "\"upload_chunk_size\": 100}", 400, "upload_chunk_size");
	expect_400(&d, "/v1/pulls", "{\"ref\": \"Bad Ref\"}", 400, "ref");
	expect_400(&d, "/v1/pulls", "{\"ref\": \"h.io/a:1\", \"platform\": \"x\"}", 400,
	    "platform");
	st = pcb_test_http(&d, "GET", "/v1/jobs?kind=boat", NULL, 0, &out);
	ck_assert_msg(st == 400 && strstr(out, "kind") != NULL, "%ld %s", st, out);
	free(out);
	st = pcb_test_http(&d, "GET", "/v1/jobs/p-0123456789abcdef", NULL, 0, &out);
	ck_assert_msg(st == 404, "%ld %s", st, out);
	free(out);

	/* A push of a tag the store does not have fails as a job, naming it. */
	{
		char *id = post_job(&d, "/v1/pushes", "{\"source\": \"nothere:1\", \"targets\": "
		    "[\"127.0.0.1:1/a:1\"]}", "push");
		json_object *b = wait_done(&d, id);
		ck_assert_str_eq(jstr(b, "state"), "failed");
		ck_assert_msg(strstr(jstr(jget(b, "error"), "message"), "nothere:1") != NULL, "%s",
		    json_object_to_json_string(b));
		/* Finished: cancelling is a conflict. */
		{
			char *path = pcb_xasprintf("/v1/jobs/%s", id);
			st = pcb_test_http(&d, "DELETE", path, NULL, 0, &out);
			ck_assert_msg(st == 409, "%ld %s", st, out);
			free(out);
			free(path);
		}
		json_object_put(b);
		free(id);
	}
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(proj);
	free(proj);
}
END_TEST

/* upload_chunk_size reaches the registry client: a push through a counting proxy uploads the
 * app layer (about 300 KiB of random bytes) in 64 KiB PATCH requests. */
START_TEST(chunked_push)
{
	struct pcb_test_daemon d;
	struct pcb_test_registry reg;
	struct pcb_test_proxy px;
	char *proj = make_project(), *body, *id;
	json_object *b;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_proxy_start(&px, reg.host, "");
	pcb_test_daemon_start(&d, NULL, NULL);
	ck_assert_int_eq(pcb_test_runf(NULL, "head -c 307200 /dev/urandom > %s/app/blob.bin",
	    proj), 0);
	body = pcb_xasprintf("{\"context\": \"%s\", \"tags\": [\"chunky:1\"]}", proj);
	id = post_job(&d, "/v1/builds", body, "build");
	json_object_put(wait_succeeded(&d, id));
	free(id);
	free(body);
	body = pcb_xasprintf("{\"source\": \"chunky:1\", \"targets\": [\"%s/c/app:1\"], "
	    "\"upload_chunk_size\": 65536}", px.host);
	id = post_job(&d, "/v1/pushes", body, "push");
	b = wait_succeeded(&d, id);
	ck_assert_msg(pcb_test_proxy_count(&px, "PATCH", "upload") >= 5, "%d PATCH requests",
	    pcb_test_proxy_count(&px, "PATCH", "upload"));
	json_object_put(b);
	free(id);
	free(body);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_proxy_stop(&px);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(proj);
	free(proj);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("push");
	TCase *tc = tcase_create("push");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, request_errors);
	tcase_add_test(tc, chunked_push);
	tcase_add_test(tc, build_push_repush_mount_pull);
	tcase_add_test(tc, basic_auth_tls_credentials);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
