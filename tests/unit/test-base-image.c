/* test-base-image.c — builds on a base image without a registry: a fake base made directly in
 * a temp store (config with Env/Entrypoint/Cmd/User/Labels/ExposedPorts/StopSignal/history,
 * one layer packed from a temp dir) and tagged "base:1"; each docker inheritance rule checked
 * field by field; diff_ids and manifest layers are the base's followed by ours; the base
 * labels and the result's "base"; an OCI layout holding every blob, unpacked by umoci with the
 * files of both layers; a Docker v2s2 base gets OCI layer media types with the same digest;
 * unknown base and platform mismatch give clear errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "image/layer.h"
#include "image/oci.h"
#include "ocicheck.h"
#include "testutil.h"

static char *tmp;
static struct pcb_store *store;

static void
setup(void)
{
	store = pcb_test_store_new(&tmp);
}

static void
teardown(void)
{
	pcb_test_store_free(store, tmp);
	store = NULL;
	tmp = NULL;
}

struct fake_base {
	char manifest[PCB_DIGEST_BUFSZ];
	struct pcb_layer_result layer;
};

/* A one-layer base image for platform (os, arch) in the store, tagged tag. manifest_mt /
 * layer_mt choose OCI or Docker v2s2 media types. */
static void
make_base(const char *tag, const char *os, const char *arch, bool docker, struct fake_base *fb)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o;
	struct pcb_err e;
	char *root = pcb_path_join(tmp, "baseroot"), *cfg, *man, cd[PCB_DIGEST_BUFSZ];
	const char *cfg_mt = docker ? "application/vnd.docker.container.image.v1+json" :
	    PCB_MT_OCI_CONFIG;

	pcb_test_write(root, "bin/tool", "#!/bin/sh\necho tool\n", 0755);
	pcb_test_write(root, "etc/base-release", "fake base 1\n", 0644);
	pcb_layer_list_init(&l);
	ck_assert_msg(pcb_layer_list_add(&l, root, "bin", "", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_layer_list_add(&l, root, "etc", "", NULL, NULL, &e) == 0, "%s", e.msg);
	pcb_layer_list_finish(&l);
	memset(&o, 0, sizeof o);
	ck_assert_msg(pcb_layer_pack(store, &l, &o, &fb->layer, &e) == 0, "%s", e.msg);
	pcb_layer_list_free(&l);

	cfg = pcb_xasprintf("{\"created\":\"2020-01-01T00:00:00Z\",\"architecture\":\"%s\","
	    "\"os\":\"%s\",\"config\":{\"Env\":[\"PATH=/custom/bin:/usr/bin\",\"BASEVAR=b\","
	    "\"PYTHONUNBUFFERED=0\"],\"Entrypoint\":[\"/bin/tool\"],\"Cmd\":[\"--base-cmd\"],"
	    "\"User\":\"1000\",\"WorkingDir\":\"/base\",\"Labels\":{\"base.label\":\"yes\","
	    "\"org.opencontainers.image.title\":\"base\"},\"ExposedPorts\":{\"9999/tcp\":{}},"
	    "\"StopSignal\":\"SIGQUIT\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},"
	    "\"history\":[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"base layer\"}]}",
	    arch, os, fb->layer.diff_id);
	ck_assert_int_eq(pcb_store_put(store, cfg, strlen(cfg), cfg_mt, cd, &e), 0);
	man = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
	    "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
	    "\"%s\",\"size\":%llu}]}",
	    docker ? "application/vnd.docker.distribution.manifest.v2+json" : PCB_MT_OCI_MANIFEST,
	    cfg_mt, cd, strlen(cfg),
	    docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : PCB_MT_LAYER_GZIP,
	    fb->layer.digest, (unsigned long long)fb->layer.size);
	ck_assert_int_eq(pcb_store_put(store, man, strlen(man), PCB_MT_OCI_MANIFEST, fb->manifest,
	    &e), 0);
	ck_assert_int_eq(pcb_store_tag_set(store, tag, fb->manifest, &e), 0);
	free(cfg);
	free(man);
	free(root);
}

static char *
write_app(const char *pyproject_extra)
{
	char *ctx = pcb_path_join(tmp, "ctx");
	char *py = pcb_xasprintf("[project]\nname = \"app\"\nversion = \"1.0\"\n%s",
	    pyproject_extra);

	pcb_test_write(ctx, "pyproject.toml", py, 0644);
	pcb_test_write(ctx, "app/__init__.py", "", 0644);
	pcb_test_write(ctx, "app/__main__.py", "print('hi')\n", 0644);
	free(py);
	return ctx;
}

static json_object *
read_json_blob(const char *digest)
{
	struct pcb_err e;
	char *text = NULL;
	size_t len;
	json_object *j;

	ck_assert_msg(pcb_store_read(store, digest, 1 << 20, &text, &len, &e) == 0, "%s", e.msg);
	j = pcb_test_json(text, digest);
	free(text);
	return j;
}

static const char *
sget(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	ck_assert_msg(v != NULL, "no %s in %s", path, json_object_to_json_string(j));
	return json_object_get_string(v);
}

/* The Env entry for key, or NULL. */
static const char *
env_of(json_object *config, const char *key)
{
	json_object *env = pcb_test_jget(config, "config.Env");
	size_t kl = strlen(key);

	for (size_t i = 0; env != NULL && i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (strncmp(e, key, kl) == 0 && e[kl] == '=')
			return e + kl + 1;
	}
	return NULL;
}

static int
run_build(struct pcb_build_spec *s, json_object **res, struct pcb_err *e)
{
	atomic_int cancel = 0;
	struct pcb_build_ctx ctx = { store, &cancel, NULL, NULL };

	return pcb_build_run(s, &ctx, res, e);
}

START_TEST(inherits_config_and_layers)
{
	struct fake_base fb;
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *res = NULL, *man, *cfg;
	char *ctx = write_app("[tool.pycontainer]\nbase_image = \"base:1\"\nport = 8000\n"
	    "entrypoint = [\"python\", \"-m\", \"app\"]\n");
	struct pcb_platform host;
	char hp[100];

	pcb_platform_host(&host);
	make_base("base:1", host.os, host.arch, false, &fb);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	pcb_strv_push(&s.env, "MINE=1");
	pcb_strv_push(&s.labels, "mine=2");
	ck_assert_msg(run_build(&s, &res, &e) == 0, "%s", e.msg);

	/* The result pins the base. */
	ck_assert_str_eq(sget(res, "base.ref"), "base:1");
	ck_assert_str_eq(sget(res, "base.digest"), fb.manifest);
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(res, "base.layers")), 1);
	ck_assert_str_eq(sget(res, "layers.0.digest"), fb.layer.digest);
	ck_assert_str_eq(sget(res, "layers.0.name"), "base");
	ck_assert_str_eq(sget(res, "layers.1.name"), "app");

	man = read_json_blob(sget(res, "manifest.digest"));
	ck_assert_str_eq(sget(man, "mediaType"), PCB_MT_OCI_MANIFEST);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(man, "layers")), 2);
	ck_assert_str_eq(sget(man, "layers.0.digest"), fb.layer.digest);
	ck_assert_int_eq(json_object_get_int64(pcb_test_jget(man, "layers.0.size")),
	    (int64_t)fb.layer.size);
	ck_assert_str_eq(sget(man, "layers.1.digest"), sget(res, "layers.1.digest"));
	cfg = read_json_blob(sget(man, "config.digest"));

	/* rootfs and history: the base's, then ours. */
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(cfg, "rootfs.diff_ids")), 2);
	ck_assert_str_eq(sget(cfg, "rootfs.diff_ids.0"), fb.layer.diff_id);
	ck_assert_str_eq(sget(cfg, "rootfs.diff_ids.1"), sget(res, "layers.1.diff_id"));
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(cfg, "history")), 2);
	ck_assert_str_eq(sget(cfg, "history.0.created_by"), "base layer");
	ck_assert_str_eq(sget(cfg, "history.1.created_by"), "pycontainerd: app layer");
	ck_assert_str_eq(sget(cfg, "os"), host.os);
	ck_assert_str_eq(sget(cfg, "architecture"), host.arch);

	/* Env: the base's PATH kept (our default does not replace it); ours win per key; the
	 * base's other variables stay. */
	ck_assert_str_eq(env_of(cfg, "PATH"), "/custom/bin:/usr/bin");
	ck_assert_str_eq(env_of(cfg, "BASEVAR"), "b");
	ck_assert_str_eq(env_of(cfg, "PYTHONUNBUFFERED"), "1");
	ck_assert_str_eq(env_of(cfg, "MINE"), "1");
	/* An Entrypoint of ours and no Cmd: the base's Cmd is cleared. */
	ck_assert_str_eq(sget(cfg, "config.Entrypoint.0"), "python");
	ck_assert_ptr_null(pcb_test_jget(cfg, "config.Cmd"));
	ck_assert_str_eq(sget(cfg, "config.WorkingDir"), "/app");
	ck_assert_str_eq(sget(cfg, "config.User"), "1000");
	ck_assert_str_eq(sget(cfg, "config.StopSignal"), "SIGQUIT");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(pcb_test_jget(cfg,
	    "config.Labels"), "base.label")), "yes");
	ck_assert_str_eq(sget(cfg, "config.Labels.mine"), "2");
	ck_assert_ptr_nonnull(json_object_object_get(pcb_test_jget(cfg, "config.Labels"),
	    "org.opencontainers.image.title"));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(pcb_test_jget(cfg,
	    "config.Labels"), "org.opencontainers.image.title")), "app");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(pcb_test_jget(cfg,
	    "config.Labels"), "org.opencontainers.image.base.name")), "base:1");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(pcb_test_jget(cfg,
	    "config.Labels"), "org.opencontainers.image.base.digest")), fb.manifest);
	ck_assert_ptr_nonnull(json_object_object_get(pcb_test_jget(cfg, "config.ExposedPorts"),
	    "9999/tcp"));
	ck_assert_ptr_nonnull(json_object_object_get(pcb_test_jget(cfg, "config.ExposedPorts"),
	    "8000/tcp"));
	pcb_platform_format(&host, hp);
	ck_assert_str_eq(sget(res, "platform"), hp);

	json_object_put(cfg);
	json_object_put(man);
	json_object_put(res);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

START_TEST(cmd_user_path_rules)
{
	struct fake_base fb;
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *res = NULL, *man, *cfg;
	char *ctx = pcb_path_join(tmp, "bare");
	struct pcb_platform host;

	/* A project where nothing to run is discovered. */
	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"lib\"\n"
	    "[tool.pycontainer]\nuser = \"app\"\n", 0644);
	pcb_test_write(ctx, "data.txt", "data\n", 0644);
	pcb_platform_host(&host);
	make_base("base:1", host.os, host.arch, false, &fb);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	s.base_image = pcb_xstrdup("base:1");
	/* Only a Cmd of ours: the base's Entrypoint stays. A PATH of ours: what the base lacks
	 * goes in front of the base's. */
	s.has_cmd = true;
	pcb_strv_push(&s.cmd, "--mine");
	pcb_strv_push(&s.env, "PATH=/opt/venv/bin:/usr/bin");
	ck_assert_msg(run_build(&s, &res, &e) == 0, "%s", e.msg);
	man = read_json_blob(sget(res, "manifest.digest"));
	cfg = read_json_blob(sget(man, "config.digest"));
	ck_assert_str_eq(sget(cfg, "config.Entrypoint.0"), "/bin/tool");
	ck_assert_str_eq(sget(cfg, "config.Cmd.0"), "--mine");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(cfg, "config.Cmd")), 1);
	ck_assert_str_eq(sget(cfg, "config.User"), "app");
	ck_assert_str_eq(env_of(cfg, "PATH"), "/opt/venv/bin:/custom/bin:/usr/bin");
	json_object_put(cfg);
	json_object_put(man);
	json_object_put(res);
	pcb_build_spec_free(&s);

	/* Neither an Entrypoint nor a Cmd (nothing discovered): both inherited. */
	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"lib\"\n", 0644);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	s.base_image = pcb_xstrdup("base:1");
	ck_assert_msg(run_build(&s, &res, &e) == 0, "%s", e.msg);
	man = read_json_blob(sget(res, "manifest.digest"));
	cfg = read_json_blob(sget(man, "config.digest"));
	ck_assert_str_eq(sget(cfg, "config.Entrypoint.0"), "/bin/tool");
	ck_assert_str_eq(sget(cfg, "config.Cmd.0"), "--base-cmd");
	/* No user of ours: the base's. */
	ck_assert_str_eq(sget(cfg, "config.User"), "1000");
	json_object_put(cfg);
	json_object_put(man);
	json_object_put(res);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

START_TEST(layout_has_every_blob_and_unpacks)
{
	struct fake_base fb;
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *res = NULL;
	char *ctx = write_app("[tool.pycontainer]\nentrypoint = [\"python\", \"-m\", \"app\"]\n");
	char *out = pcb_path_join(tmp, "out"), *digest, *text = NULL, *p, *bundle;
	struct pcb_platform host;
	struct stat st;

	pcb_platform_host(&host);
	make_base("base:1", host.os, host.arch, false, &fb);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	s.base_image = pcb_xstrdup("base:1");
	pcb_strv_push(&s.tags, "app:2");
	s.outputs = pcb_xcalloc(1, sizeof *s.outputs);
	s.n_outputs = 1;
	s.outputs[0].path = pcb_xstrdup(out);
	ck_assert_msg(run_build(&s, &res, &e) == 0, "%s", e.msg);
	/* Every blob present with the right size and digest, diff_ids matching the layers. */
	digest = pcb_test_check_layout(out, "2", NULL);
	ck_assert_str_eq(digest, sget(res, "manifest.digest"));
	p = pcb_xasprintf("%s/blobs/sha256/%s", out, fb.layer.digest + 7);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq((int64_t)st.st_size, (int64_t)fb.layer.size);
	free(p);

	if (pcb_test_have("umoci")) {
		bundle = pcb_path_join(tmp, "bundle");
		ck_assert_msg(pcb_test_runf(&text, "umoci unpack %s --image %s:2 %s 2>&1",
		    getuid() == 0 ? "" : "--rootless", out, bundle) == 0, "umoci: %s", text);
		free(text);
		p = pcb_path_join(bundle, "rootfs/bin/tool");
		ck_assert_msg(stat(p, &st) == 0 && (st.st_mode & 0111) != 0, "%s missing", p);
		free(p);
		p = pcb_path_join(bundle, "rootfs/etc/base-release");
		ck_assert_int_eq(stat(p, &st), 0);
		free(p);
		p = pcb_path_join(bundle, "rootfs/app/app/__main__.py");
		ck_assert_msg(stat(p, &st) == 0, "%s missing", p);
		free(p);
		free(bundle);
	}
	free(digest);
	json_object_put(res);
	pcb_build_spec_free(&s);
	free(ctx);
	free(out);
}
END_TEST

START_TEST(docker_base_gets_oci_media_types)
{
	struct fake_base fb;
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *res = NULL, *man;
	char *ctx = write_app("[tool.pycontainer]\nentrypoint = [\"python\", \"-m\", \"app\"]\n");
	struct pcb_platform host;

	pcb_platform_host(&host);
	make_base("dbase:1", host.os, host.arch, true, &fb);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	s.base_image = pcb_xstrdup("dbase:1");
	ck_assert_msg(run_build(&s, &res, &e) == 0, "%s", e.msg);
	man = read_json_blob(sget(res, "manifest.digest"));
	ck_assert_str_eq(sget(man, "layers.0.mediaType"), PCB_MT_LAYER_GZIP);
	ck_assert_str_eq(sget(man, "layers.0.digest"), fb.layer.digest);
	ck_assert_str_eq(sget(man, "config.mediaType"), PCB_MT_OCI_CONFIG);
	json_object_put(man);
	json_object_put(res);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

START_TEST(errors_are_clear)
{
	struct fake_base fb;
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *res = NULL, *j;
	char *ctx = write_app("[tool.pycontainer]\nentrypoint = [\"python\", \"-m\", \"app\"]\n");
	struct pcb_platform host;
	const char *other;
	char *tagged = NULL;
	int rc;

	/* Unknown base, named in a registry nobody listens on: the error names the base and
	 * says it is not in the store; nothing is tagged. */
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	s.base_image = pcb_xstrdup("127.0.0.1:1/nope/base:9");
	pcb_strv_push(&s.tags, "app:err");
	rc = run_build(&s, &res, &e);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_null(res);
	ck_assert_msg(strstr(e.msg, "127.0.0.1:1/nope/base:9") != NULL &&
	    strstr(e.msg, "store") != NULL, "message: %s", e.msg);
	ck_assert_int_eq(pcb_store_tag_get(store, "app:err", &tagged, &e), PCB_ENOENT);
	pcb_build_spec_free(&s);

	/* A base for another platform: both named. */
	pcb_platform_host(&host);
	other = strcmp(host.arch, "arm64") == 0 ? "amd64" : "arm64";
	make_base("foreign:1", "linux", other, false, &fb);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	s.base_image = pcb_xstrdup("foreign:1");
	ck_assert_int_eq(run_build(&s, &res, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "foreign:1") != NULL && strstr(e.msg, other) != NULL &&
	    strstr(e.msg, host.arch) != NULL, "message: %s", e.msg);
	pcb_build_spec_free(&s);

	/* Bad spec values are refused when parsed, naming the field. */
	j = json_tokener_parse("{\"context\":\"/x\",\"base_image\":\"Not A Ref\"}");
	pcb_build_spec_init(&s);
	ck_assert_int_eq(pcb_build_spec_from_json(j, &s, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "base_image") != NULL, "message: %s", e.msg);
	pcb_build_spec_free(&s);
	json_object_put(j);
	j = json_tokener_parse("{\"context\":\"/x\",\"base_registry\":\"no host/\"}");
	pcb_build_spec_init(&s);
	ck_assert_int_eq(pcb_build_spec_from_json(j, &s, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "base_registry") != NULL, "message: %s", e.msg);
	pcb_build_spec_free(&s);
	json_object_put(j);
	free(ctx);
}
END_TEST

START_TEST(plan_shows_base_and_registry)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL, *j, *back;
	char *ctx = write_app("[tool.pycontainer]\nbase_image = \"base:1\"\n"
	    "entrypoint = [\"python\", \"-m\", \"app\"]\n");

	/* The config file's base, with its source; the spec's wins over it. */
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctx);
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(sget(plan, "base_image"), "base:1");
	ck_assert_ptr_nonnull(strstr(sget(plan, "sources.base_image"), "tool.pycontainer"));
	json_object_put(plan);
	pcb_build_spec_free(&s);

	j = json_tokener_parse("{\"context\":\"/x\",\"base_image\":\"python:3.12-slim\","
	    "\"base_registry\":\"mirror.example:5000/hub\"}");
	pcb_build_spec_init(&s);
	ck_assert_msg(pcb_build_spec_from_json(j, &s, &e) == 0, "%s", e.msg);
	free(s.context);
	s.context = pcb_xstrdup(ctx);
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(sget(plan, "base_image"), "python:3.12-slim");
	ck_assert_str_eq(sget(plan, "sources.base_image"), "CLI --base-image");
	ck_assert_str_eq(sget(plan, "base_registry"), "mirror.example:5000/hub");
	back = pcb_build_spec_to_json(&s);
	ck_assert_str_eq(sget(back, "base_image"), "python:3.12-slim");
	ck_assert_str_eq(sget(back, "base_registry"), "mirror.example:5000/hub");
	json_object_put(back);
	json_object_put(plan);
	pcb_build_spec_free(&s);
	json_object_put(j);
	free(ctx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("base-image");
	TCase *tc = tcase_create("base-image");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, inherits_config_and_layers);
	tcase_add_test(tc, cmd_user_path_rules);
	tcase_add_test(tc, layout_has_every_blob_and_unpacks);
	tcase_add_test(tc, docker_base_gets_oci_media_types);
	tcase_add_test(tc, errors_are_clear);
	tcase_add_test(tc, plan_shows_base_and_registry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* No Docker Hub here: projects that name no base are built on scratch. */
	pcb_build_set_default_base("scratch", NULL);
	return pcb_test_run_suite(suite());
}
