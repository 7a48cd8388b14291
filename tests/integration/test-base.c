/* test-base.c — `pcb base create --from-host` against a real pycontainerd: the job succeeds,
 * its result names a manifest whose blobs (config, layers) are in the daemon's store, the job
 * is listed with kind "base", a second run gives the same digest; bad requests and usage
 * errors are refused clearly. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

static char *
pcb_bin(void)
{
	return pcb_xasprintf("%s/pcb", pcb_test_build_dir());
}

static const char *
jpath(json_object *o, const char *a, const char *b, const char *c)
{
	json_object *v = json_object_object_get(o, a);

	if (b != NULL)
		v = json_object_object_get(v, b);
	if (c != NULL)
		v = json_object_object_get(v, c);
	return json_object_get_string(v);
}

static bool
blob_present(const struct pcb_test_daemon *d, const char *digest)
{
	struct stat st;
	char *p;
	bool ok;

	ck_assert_msg(digest != NULL && strncmp(digest, "sha256:", 7) == 0, "digest %s",
	    digest ? digest : "(null)");
	p = pcb_xasprintf("%s/blobs/sha256/%s", d->state, digest + 7);
	ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
	free(p);
	return ok;
}

/* Runs `pcb base create` for /usr/bin/python3, returns the final job (parsed --json). */
static json_object *
create(const struct pcb_test_daemon *d, const char *tag)
{
	char *pcb = pcb_bin(), *out = NULL;
	json_object *job;
	int rc;

	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s base create --from-host "
	    "--python /usr/bin/python3 -t %s --json 2>/dev/null", pcb, d->host, tag);
	ck_assert_msg(rc == 0, "pcb base create: exit %d: %s", rc, out);
	job = json_tokener_parse(out);
	ck_assert_msg(job != NULL, "not JSON: %s", out);
	free(out);
	free(pcb);
	return job;
}

START_TEST(create_via_daemon)
{
	struct pcb_test_daemon d;
	json_object *job, *job2, *got = NULL, *layers, *list = NULL;
	const char *id, *digest;
	char *body = NULL, *path;
	long status;

	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "test-base: no /usr/bin/python3, skipped\n");
		return;
	}
	pcb_test_daemon_start(&d, NULL, NULL);
	job = create(&d, "pybase:3.11");
	ck_assert_str_eq(jpath(job, "state", NULL, NULL), "succeeded");
	ck_assert_str_eq(jpath(job, "kind", NULL, NULL), "base");
	id = jpath(job, "id", NULL, NULL);
	ck_assert_msg(strncmp(id, "h-", 2) == 0, "id %s", id);
	ck_assert_str_eq(jpath(job, "result", "tag", NULL), "pybase:3.11");
	ck_assert(strncmp(jpath(job, "result", "python", "version"), "3.", 2) == 0);

	/* GET /v1/jobs/{id}: the manifest and every blob it needs are in the store. */
	path = pcb_xasprintf("/v1/jobs/%s", id);
	status = pcb_test_http(&d, "GET", path, NULL, 0, &body);
	free(path);
	ck_assert_int_eq(status, 200);
	got = json_tokener_parse(body);
	free(body);
	body = NULL;
	ck_assert_ptr_nonnull(got);
	digest = jpath(got, "result", "manifest", "digest");
	ck_assert_str_eq(digest, jpath(job, "result", "manifest", "digest"));
	ck_assert(blob_present(&d, digest));
	ck_assert(blob_present(&d, jpath(got, "result", "config", "digest")));
	layers = json_object_object_get(json_object_object_get(got, "result"), "layers");
	ck_assert_int_eq(json_object_array_length(layers), 2);
	for (size_t i = 0; i < json_object_array_length(layers); i++)
		ck_assert(blob_present(&d, json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(layers, i), "digest"))));
	ck_assert_str_eq(jpath(got, "spec", "python", NULL), "/usr/bin/python3");
	ck_assert_str_eq(jpath(got, "spec", "tag", NULL), "pybase:3.11");

	/* Listed under its kind. */
	status = pcb_test_http(&d, "GET", "/v1/jobs?kind=base", NULL, 0, &body);
	ck_assert_int_eq(status, 200);
	list = json_tokener_parse(body);
	free(body);
	body = NULL;
	ck_assert_int_eq(json_object_array_length(json_object_object_get(list, "jobs")), 1);

	/* Again, under another tag: the same image. */
	job2 = create(&d, "pybase:again");
	ck_assert_str_eq(jpath(job2, "result", "manifest", "digest"), digest);

	json_object_put(list);
	json_object_put(job2);
	json_object_put(got);
	json_object_put(job);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
}
END_TEST

START_TEST(refusals)
{
	struct pcb_test_daemon d;
	const char *b1 = "{\"tag\":\"a:1\",\"nope\":1}", *b2 = "{\"python\":\"/usr/bin/python3\"}";
	char *pcb = pcb_bin(), *out = NULL, *body = NULL;
	long status;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	/* Strict request bodies. */
	status = pcb_test_http(&d, "POST", "/v1/bases", b1, strlen(b1), &body);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(body, "nope"));
	free(body);
	body = NULL;
	status = pcb_test_http(&d, "POST", "/v1/bases", b2, strlen(b2), &body);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(body, "tag"));
	free(body);
	body = NULL;

	/* Usage errors never reach the daemon. */
	rc = pcb_test_runf(&out, "%s -H %s base create -t a:1 2>&1", pcb, d.host);
	ck_assert_int_eq(rc, 2);
	ck_assert_ptr_nonnull(strstr(out, "--from-host"));
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s base create --from-host 2>&1", pcb, d.host);
	ck_assert_int_eq(rc, 2);
	ck_assert_ptr_nonnull(strstr(out, "-t NAME:TAG"));
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s base create --from-host --python python3 -t a:1 2>&1",
	    pcb, d.host);
	ck_assert_int_eq(rc, 2);
	ck_assert_ptr_nonnull(strstr(out, "absolute"));
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s base destroy 2>&1", pcb, d.host);
	ck_assert_int_eq(rc, 2);
	free(out);

	/* A job that fails: no such interpreter. */
	rc = pcb_test_runf(&out, "%s -H %s base create --from-host --python /nonexistent/py -t "
	    "a:1 2>&1", pcb, d.host);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "/nonexistent/py") != NULL, "%s", out);
	free(out);

	free(pcb);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("base");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, create_via_daemon);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
