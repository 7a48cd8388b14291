/* test-samelayer.c — "nothing done twice" through a real daemon: two builds of one project
 * submitted at once pack its layer once and leave one set of blobs; a rebuild with nothing
 * changed reuses the app layer without reading a file (the layer cache's counters in
 * GET /v1/cache say so); a rebuild after one file changed packs the app layer again. */
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "ocicheck.h"
#include "testutil.h"

static void
write_app(const char *dir)
{
	char *big = pcb_xmalloc(8 << 20);

	pcb_test_write(dir, "pyproject.toml", "[project]\nname = \"twice\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\ntwice = \"twice.cli:main\"\n", 0644);
	pcb_test_write(dir, "twice/__init__.py", "", 0644);
	pcb_test_write(dir, "twice/cli.py", "def main():\n    print('once')\n", 0644);
	/* 8 MiB of data that does not compress to nothing: packing takes a moment, so two
	 * builds submitted together overlap. */
	for (size_t i = 0; i < (8u << 20) - 1; i++)
		big[i] = (char)('a' + (i * 2654435761u >> 13) % 26);
	big[(8 << 20) - 1] = '\0';
	pcb_test_write(dir, "twice/data.txt", big, 0644);
	free(big);
}

static json_object *
get_json(const struct pcb_test_daemon *d, const char *path)
{
	char *out = NULL;
	long st = pcb_test_http(d, "GET", path, NULL, 0, &out);
	json_object *j;

	ck_assert_msg(st == 200, "GET %s: %ld %s", path, st, out);
	j = pcb_test_json(out, path);
	free(out);
	return j;
}

static int64_t
jint(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);

	ck_assert_msg(v != NULL, "no %s in %s", path, json_object_to_json_string(j));
	return json_object_get_int64(v);
}

static char *
post_build(const struct pcb_test_daemon *d, const char *ctx, const char *tag)
{
	/* No SBOM: this test counts the image's own blobs (test-sbom covers the referrers). */
	char *body = pcb_xasprintf("{\"context\":\"%s\",\"tags\":[\"%s\"],"
	    "\"base_image\":\"scratch\",\"source_date_epoch\":1700000000,\"sbom\":false}", ctx,
	    tag);
	char *out = NULL, *id;
	long st = pcb_test_http(d, "POST", "/v1/builds", body, strlen(body), &out);
	json_object *j;

	ck_assert_msg(st == 202, "POST /v1/builds: %ld %s", st, out);
	j = pcb_test_json(out, "POST /v1/builds");
	id = pcb_xstrdup(json_object_get_string(pcb_test_jget(j, "id")));
	json_object_put(j);
	free(out);
	free(body);
	return id;
}

static json_object *
wait_done(const struct pcb_test_daemon *d, const char *id)
{
	int64_t deadline = pcb_monotonic_ms() + 120000;
	char *path = pcb_xasprintf("/v1/builds/%s", id);

	for (;;) {
		json_object *j = get_json(d, path);
		const char *s = json_object_get_string(pcb_test_jget(j, "state"));
		if (strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
		    strcmp(s, "cancelled") == 0) {
			free(path);
			return j;
		}
		ck_assert_msg(pcb_monotonic_ms() < deadline, "build %s still %s", id, s);
		json_object_put(j);
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
}

/* The layers of a finished build: "digest" of the app layer and whether it was reused. */
static const char *
app_layer(json_object *job, bool *reused)
{
	json_object *ls = pcb_test_jget(job, "result.layers");

	for (size_t i = 0; ls != NULL && i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		if (strcmp(json_object_get_string(json_object_object_get(l, "name")), "app") == 0) {
			*reused = json_object_get_boolean(json_object_object_get(l, "reused"));
			return json_object_get_string(json_object_object_get(l, "digest"));
		}
	}
	ck_abort_msg("no app layer in %s", json_object_to_json_string(job));
	return NULL;
}

START_TEST(two_builds_one_pack)
{
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *ctx = pcb_path_join(tmp, "app"), *a, *b, *blobs;
	json_object *c0, *c1, *ja, *jb;
	bool ra, rb;
	int n_one, n_two;

	write_app(ctx);
	pcb_test_daemon_start(&d, NULL, "--workers 2");
	c0 = get_json(&d, "/v1/cache");
	a = post_build(&d, ctx, "twice:a");
	b = post_build(&d, ctx, "twice:b");
	ja = wait_done(&d, a);
	jb = wait_done(&d, b);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(ja, "state")), "succeeded");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(jb, "state")), "succeeded");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(ja, "result.manifest.digest")),
	    json_object_get_string(pcb_test_jget(jb, "result.manifest.digest")));
	ck_assert_str_eq(app_layer(ja, &ra), app_layer(jb, &rb));
	/* One of them packed, the other reused (after waiting for it, or after it finished). */
	ck_assert_msg(ra != rb, "reused: %d %d", ra, rb);
	c1 = get_json(&d, "/v1/cache");
	ck_assert_int_eq(jint(c1, "hit_rates.layers.misses") - jint(c0, "hit_rates.layers.misses"),
	    1);
	/* One set of blobs: app layer, config, manifest; nothing left in tmp/. */
	blobs = pcb_path_join(d.state, "blobs/sha256");
	n_two = pcb_test_count_dir(blobs);
	ck_assert_int_eq(n_two, 3);
	{
		char *t = pcb_path_join(d.state, "tmp");
		ck_assert_int_eq(pcb_test_count_dir(t), 0);
		free(t);
	}

	/* No-op rebuild: reused by the stat key, nothing read, no new blob. */
	{
		json_object *jc, *c2;
		char *id = post_build(&d, ctx, "twice:c");
		bool rc_;
		jc = wait_done(&d, id);
		ck_assert_str_eq(app_layer(jc, &rc_), app_layer(ja, &ra));
		ck_assert(rc_);
		c2 = get_json(&d, "/v1/cache");
		ck_assert_int_eq(jint(c2, "hit_rates.layers.misses"), jint(c1, "hit_rates.layers.misses"));
		ck_assert_int_gt(jint(c2, "hit_rates.layers.stat_hits"),
		    jint(c1, "hit_rates.layers.stat_hits"));
		n_one = pcb_test_count_dir(blobs);
		ck_assert_int_eq(n_one, n_two);
		json_object_put(jc);
		json_object_put(c2);
		free(id);
	}

	/* One file changed: the app layer is packed again, with another digest. */
	{
		json_object *jd, *c3;
		char *id;
		bool rd;
		pcb_test_write(ctx, "twice/cli.py", "def main():\n    print('twice')\n", 0644);
		id = post_build(&d, ctx, "twice:d");
		jd = wait_done(&d, id);
		ck_assert_str_ne(app_layer(jd, &rd), app_layer(ja, &ra));
		ck_assert(!rd);
		c3 = get_json(&d, "/v1/cache");
		ck_assert_int_eq(jint(c3, "hit_rates.layers.misses") -
		    jint(c1, "hit_rates.layers.misses"), 1);
		json_object_put(jd);
		json_object_put(c3);
		free(id);
	}
	json_object_put(c0);
	json_object_put(c1);
	json_object_put(ja);
	json_object_put(jb);
	free(a);
	free(b);
	free(blobs);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	free(ctx);
	pcb_test_rmtree(tmp);
	free(tmp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("samelayer");
	TCase *tc = tcase_create("samelayer");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, two_builds_one_pack);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
