/* test-build-base.c — a build on a base image that lives in a real docker-registry on loopback:
 * a fake base is pushed there (pcb_registry_push from a test store), a real pycontainerd builds
 * on "127.0.0.1:PORT/lib/base:1" and pushes the result to the same registry — the base layer
 * is mounted or skipped, never uploaded — and the build's OCI-layout output holds the base
 * layer blob, fetched by the daemon. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/util.h"
#include "image/layer.h"
#include "image/oci.h"
#include "image/store.h"
#include "ocicheck.h"
#include "regfix.h"
#include "registry/registry.h"
#include "testutil.h"

struct fake_base {
	char manifest[PCB_DIGEST_BUFSZ];
	struct pcb_layer_result layer;
};

/* One-layer base (bin/tool) for the host platform in store, with an Env PATH of its own. */
static void
make_base(struct pcb_store *store, const char *dir, struct fake_base *fb)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o;
	struct pcb_platform host;
	struct pcb_err e;
	char *root = pcb_path_join(dir, "baseroot"), *cfg, *man, cd[PCB_DIGEST_BUFSZ];

	pcb_platform_host(&host);
	pcb_test_write(root, "bin/tool", "#!/bin/sh\necho tool\n", 0755);
	pcb_layer_list_init(&l);
	ck_assert_msg(pcb_layer_list_add(&l, root, "bin", "", NULL, NULL, &e) == 0, "%s", e.msg);
	pcb_layer_list_finish(&l);
	memset(&o, 0, sizeof o);
	ck_assert_msg(pcb_layer_pack(store, &l, &o, &fb->layer, &e) == 0, "%s", e.msg);
	pcb_layer_list_free(&l);
	cfg = pcb_xasprintf("{\"architecture\":\"%s\",\"os\":\"%s\",\"config\":{\"Env\":"
	    "[\"PATH=/custom/bin:/usr/bin\"],\"User\":\"1000\"},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[\"%s\"]},\"history\":[{\"created_by\":\"base layer\"}]}", host.arch,
	    host.os, fb->layer.diff_id);
	ck_assert_int_eq(pcb_store_put(store, cfg, strlen(cfg), PCB_MT_OCI_CONFIG, cd, &e), 0);
	man = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
	    "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
	    "\"%s\",\"size\":%llu}]}", PCB_MT_OCI_MANIFEST, PCB_MT_OCI_CONFIG, cd, strlen(cfg),
	    PCB_MT_LAYER_GZIP, fb->layer.digest, (unsigned long long)fb->layer.size);
	ck_assert_int_eq(pcb_store_put(store, man, strlen(man), PCB_MT_OCI_MANIFEST, fb->manifest,
	    &e), 0);
	free(cfg);
	free(man);
	free(root);
}

static void
push_base(const struct pcb_test_registry *reg, struct pcb_store *store, const char *digest)
{
	struct pcb_registry_opts o;
	struct pcb_registry *r = NULL;
	struct pcb_image_ref ref;
	struct pcb_err e;
	char *target = pcb_xasprintf("%s/lib/base:1", reg->host), pushed[PCB_DIGEST_BUFSZ];

	memset(&o, 0, sizeof o);
	ck_assert_msg(pcb_registry_create(reg->host, &o, &r, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_image_ref_parse(target, &ref, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_registry_push(r, store, digest, &ref, pushed, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(pushed, digest);
	pcb_image_ref_free(&ref);
	pcb_registry_destroy(r);
	free(target);
}

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
		j = pcb_test_json(out, path);
		free(out);
		s = json_object_get_string(pcb_test_jget(j, "state"));
		if (strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 ||
		    strcmp(s, "cancelled") == 0) {
			free(path);
			return j;
		}
		ck_assert_msg(pcb_monotonic_ms() < deadline, "job %s still %s", id, s);
		json_object_put(j);
		{
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
}

static char *
post_build(const struct pcb_test_daemon *d, const char *body)
{
	char *out = NULL, *id;
	long st = pcb_test_http(d, "POST", "/v1/builds", body, strlen(body), &out);
	json_object *j;

	ck_assert_msg(st == 202, "POST /v1/builds: %ld %s", st, out);
	j = pcb_test_json(out, "POST /v1/builds");
	id = pcb_xstrdup(json_object_get_string(pcb_test_jget(j, "id")));
	json_object_put(j);
	free(out);
	return id;
}

START_TEST(build_on_registry_base_mounts_and_exports)
{
	struct pcb_test_registry reg;
	struct pcb_test_daemon d;
	struct pcb_store *store;
	struct fake_base fb;
	struct stat st;
	char *sdir = NULL, *proj = pcb_test_tmpdir(), *out, *body, *id, *p, *digest, *text = NULL;
	json_object *job, *res, *blobs, *insp;
	const char *state;

	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	store = pcb_test_store_new(&sdir);
	make_base(store, sdir, &fb);
	push_base(&reg, store, fb.manifest);
	pcb_test_store_free(store, sdir);

	pcb_test_write(proj, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"1.0\"\n"
	    "[tool.pycontainer]\nentrypoint = [\"python\", \"-m\", \"app\"]\n", 0644);
	pcb_test_write(proj, "app/__init__.py", "", 0644);
	pcb_test_write(proj, "app/__main__.py", "print('hi')\n", 0644);
	out = pcb_path_join(proj, "out");
	pcb_test_daemon_start(&d, NULL, NULL);

	body = pcb_xasprintf("{\"context\": \"%s\", \"base_image\": \"%s/lib/base:1\", "
	    "\"push\": true, \"tags\": [\"%s/lib/app:1\"], \"outputs\": [{\"type\": "
	    "\"oci-layout\", \"path\": \"%s\"}]}", proj, reg.host, reg.host, out);
	id = post_build(&d, body);
	free(body);
	job = wait_done(&d, id);
	state = json_object_get_string(pcb_test_jget(job, "state"));
	ck_assert_msg(strcmp(state, "succeeded") == 0, "build: %s",
	    json_object_to_json_string(job));
	res = pcb_test_jget(job, "result");

	/* The base is pinned in the result and the labels. */
	p = pcb_xasprintf("%s/lib/base:1", reg.host);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(res, "base.ref")), p);
	free(p);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(res, "base.digest")), fb.manifest);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(res, "layers.0.digest")),
	    fb.layer.digest);

	/* Pushed to the base's registry: config and app layer uploaded, the base layer mounted
	 * from lib/base (or found there), never uploaded. */
	blobs = pcb_test_jget(res, "pushed.0.blobs");
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(blobs, "uploaded")), 2);
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(blobs, "mounted")) +
	    json_object_get_int(pcb_test_jget(blobs, "skipped")), 1);

	/* The layout holds the base layer blob, and checks out blob by blob. */
	digest = pcb_test_check_layout(out, "1", NULL);
	ck_assert_str_eq(digest, json_object_get_string(pcb_test_jget(res, "manifest.digest")));
	p = pcb_xasprintf("%s/blobs/sha256/%s", out, fb.layer.digest + 7);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq((int64_t)st.st_size, (int64_t)fb.layer.size);
	free(p);

	/* The registry serves the pushed image with both layers. */
	if (pcb_test_have("skopeo")) {
		ck_assert_msg(pcb_test_runf(&text, "skopeo inspect --tls-verify=false "
		    "docker://%s/lib/app:1 2>&1", reg.host) == 0, "skopeo: %s", text);
		insp = pcb_test_json(text, "skopeo inspect");
		ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(insp, "Layers")), 2);
		ck_assert_str_eq(json_object_get_string(pcb_test_jget(insp, "Layers.0")),
		    fb.layer.digest);
		ck_assert_str_eq(json_object_get_string(pcb_test_jget(insp, "Digest")), digest);
		json_object_put(insp);
		free(text);
	}

	free(digest);
	json_object_put(job);
	free(id);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(proj);
	free(proj);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("build-base");
	TCase *tc = tcase_create("build-base");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, build_on_registry_base_mounts_and_exports);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
