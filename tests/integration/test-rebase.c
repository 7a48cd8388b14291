/* test-rebase.c — `pcb rebase` and `pcb build --rebase-only` against a real pycontainerd
 * (issue 15). Two bases made by `pcb base create --from-host` from the same interpreter but
 * with different SOURCE_DATE_EPOCH (so different digests, the same Python 3.X); an app with
 * two dependencies (a pylock.toml served by a loopback index) built on the first:
 *
 * - rebased onto the second: a new manifest whose base layers are the second base's and whose
 *   own layers have the digests the build gave them, config diff_ids the second base's then
 *   ours, the base labels updated, the venv's bin in front of PATH; byte for byte the image a
 *   fresh build on the second base makes; it runs under runc and prints its line; a second
 *   rebase onto the same base changes nothing.
 * - `pcb images --outdated` lists an app once the base tag it was built on is moved to the
 *   second base, and no longer after `pcb build --rebase-only` put it on the moved tag.
 * - a base whose PYTHON_VERSION says another minor (3.99, a fake base pushed to a loopback
 *   docker-registry, so the new base is also pulled from a registry) is refused naming both,
 *   a base stating no Python too, and the image's tag is left alone; bad requests are 400.
 *
 * The rebase's time is printed (not asserted). */
#include <check.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "image/layer.h"
#include "image/oci.h"
#include "image/store.h"
#include "ocicheck.h"
#include "regfix.h"
#include "registry/registry.h"
#include "testutil.h"
#include "wheelfix.h"

/* Suite-wide, made once by the unchecked fixture (forked tests inherit them). */
static char *top;                  /* temp dir of the suite */
static char *proj;                 /* the app's folder */
static char *wheels;
static struct pcb_test_wheelidx idx;
static struct pcb_test_daemon dmn;
static bool ready;
static char *setup_error;

static char *
pcb_bin(void)
{
	return pcb_path_join(pcb_test_build_dir(), "pcb");
}

/* Runs pcb against the daemon with SOURCE_DATE_EPOCH=epoch, stderr merged into *out when
 * merge (else dropped). Returns the exit status. */
__attribute__((format(printf, 4, 5)))
static int
run_pcb(char **out, bool merge, long epoch, const char *fmt, ...)
{
	char *args, *pcb = pcb_bin();
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ck_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	rc = pcb_test_runf(out, "SOURCE_DATE_EPOCH=%ld %s -H %s %s %s", epoch, pcb, dmn.host, args,
	    merge ? "2>&1" : "2>/dev/null");
	free(args);
	free(pcb);
	return rc;
}

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* `pcb ARGS --json` that must succeed: the final job (or the daemon's answer). */
__attribute__((format(printf, 2, 3)))
static json_object *
pcb_json(long epoch, const char *fmt, ...)
{
	char *args, *out = NULL;
	json_object *j;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ck_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	rc = run_pcb(&out, false, epoch, "%s --json", args);
	ck_assert_msg(rc == 0, "pcb %s --json: exit %d: %s", args, rc, out);
	j = pcb_test_json(out, args);
	free(out);
	free(args);
	return j;
}

static void
suite_setup(void)
{
	char *out = NULL, *lock;
	int rc;

	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	top = pcb_test_tmpdir();
	wheels = pcb_path_join(top, "wheels");
	pcb_test_wheels_make(wheels, "itsdangerous blinker");
	pcb_test_wheelidx_start(&idx, wheels);
	pcb_test_daemon_start(&dmn, NULL, NULL);
	proj = pcb_path_join(top, "app");
	pcb_test_write(proj, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"1.0\"\n"
	    "dependencies = [\"itsdangerous\", \"blinker\"]\n[tool.pycontainer]\n"
	    "entrypoint = [\"python\", \"-m\", \"app\"]\n", 0644);
	pcb_test_write(proj, "app/__init__.py", "", 0644);
	pcb_test_write(proj, "app/__main__.py", "import sys, itsdangerous, blinker\n"
	    "print('hello from the app on Python', sys.version.split()[0])\n", 0644);
	lock = pcb_path_join(proj, "pylock.toml");
	pcb_test_wheels_pylock(wheels, idx.url, lock, NULL);
	free(lock);
	/* Two bases from the same interpreter: the epoch is every file's mtime, so the layers
	 * (and the digests) differ while the Python is the same. */
	if ((rc = run_pcb(&out, true, 1700000000, "base create --from-host --python "
	    "/usr/bin/python3 -t rb1:1 -q")) != 0 ||
	    (free(out), out = NULL, rc = run_pcb(&out, true, 1700000001, "base create "
	    "--from-host --python /usr/bin/python3 -t rb2:1 -q")) != 0) {
		setup_error = pcb_xasprintf("pcb base create failed: %s", out);
		goto out;
	}
	ready = true;
out:
	free(out);
}

static void
suite_teardown(void)
{
	if (top == NULL)
		return;
	pcb_test_daemon_stop(&dmn);
	pcb_test_daemon_free(&dmn, true);
	pcb_test_wheelidx_stop(&idx);
	pcb_test_rmtree(top);
	free(top);
	free(proj);
	free(wheels);
}

/* False (test skipped) when the machine lacks what the suite needs. */
static bool
need_ready(void)
{
	ck_assert_msg(setup_error == NULL, "%s", setup_error);
	if (!ready)
		fprintf(stderr, "test-rebase: no /usr/bin/python3, skipped\n");
	return ready;
}

/* Builds the app on base as tag; the final build job. */
static json_object *
build_app(const char *base, const char *tag, long epoch)
{
	return pcb_json(epoch, "build '%s' --base-image %s -t %s", proj, base, tag);
}

/* `pcb inspect REF --json`. */
static json_object *
inspect(const char *ref)
{
	return pcb_json(0, "inspect %s", ref);
}

/* The build result's layers that are not the base's, as "digest diff_id" lines. */
static void
our_layers(json_object *job, struct pcb_strv *out)
{
	json_object *ls = pcb_test_jget(job, "result.layers");

	for (size_t i = 0; ls != NULL && i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		if (strcmp(jstr(l, "name"), "base") != 0)
			pcb_strv_push_owned(out, pcb_xasprintf("%s %s", jstr(l, "digest"),
			    jstr(l, "diff_id")));
	}
}

static bool
env_has_prefix(json_object *config, const char *prefix)
{
	json_object *env = pcb_test_jget(config, "config.Env");

	for (size_t i = 0; env != NULL && i < json_object_array_length(env); i++)
		if (pcb_str_has_prefix(json_object_get_string(json_object_array_get_idx(env, i)),
		    prefix))
			return true;
	return false;
}

/* Saves ref as an oci-archive, unpacks it with umoci and runs it with runc; the output. */
static char *
run_image(const char *ref)
{
	static int n;
	char *dir = pcb_test_tmpdir(), *tar = pcb_path_join(dir, "img.tar"), *out = NULL;
	char *id = pcb_xasprintf("pcbrebase-%d-%d", (int)getpid(), ++n);
	int rc;

	rc = run_pcb(&out, true, 0, "save %s -o '%s'", ref, tar);
	ck_assert_msg(rc == 0, "pcb save: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "mkdir '%s/layout' && tar -xf '%s' -C '%s/layout' && "
	    "umoci unpack --image '%s/layout:%s' '%s/bundle' 2>&1", dir, tar, dir, dir, ref, dir);
	ck_assert_msg(rc == 0, "unpacking %s: %s", ref, out);
	free(out);
	rc = pcb_test_runf(&out, "/usr/bin/python3 -c \"import json, sys; p = sys.argv[1]; "
	    "c = json.load(open(p)); c['process']['terminal'] = False; json.dump(c, open(p, 'w'))\" "
	    "'%s/bundle/config.json' 2>&1", dir);
	ck_assert_msg(rc == 0, "editing config.json: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "runc run --bundle '%s/bundle' '%s' 2>&1 </dev/null", dir, id);
	(void)pcb_test_runf(NULL, "runc delete -f '%s' >/dev/null 2>&1", id);
	ck_assert_msg(rc == 0, "runc run (exit %d): %s", rc, out);
	pcb_test_rmtree(dir);
	free(dir);
	free(tar);
	free(id);
	return out;
}

START_TEST(rebase_keeps_our_layers_and_runs)
{
	json_object *built, *b2, *job, *img, *fresh, *again, *ls, *diff_ids, *b2diff;
	struct pcb_strv ours;
	const char *b2digest, *rebased;
	size_t nb2;
	int64_t t0, t1;

	if (!need_ready())
		return;
	pcb_strv_init(&ours);
	built = build_app("rb1:1", "ra:1", 1700000100);
	our_layers(built, &ours);
	ck_assert_msg(ours.n >= 3, "venv, dependencies and app layers: %s", pcb_json_str(built));
	b2 = inspect("rb2:1");
	b2digest = jstr(b2, "digest");
	nb2 = json_object_array_length(pcb_test_jget(b2, "manifest.layers"));

	t0 = pcb_monotonic_ms();
	job = pcb_json(0, "rebase ra:1 --base rb2:1");
	t1 = pcb_monotonic_ms();
	fprintf(stderr, "test-rebase: pcb rebase (client start to result, %zu base + %zu own "
	    "layers): %lld ms\n", nb2, ours.n, (long long)(t1 - t0));
	ck_assert_str_eq(jstr(job, "state"), "succeeded");
	ck_assert_str_eq(jstr(job, "kind"), "rebase");
	ck_assert(pcb_str_has_prefix(jstr(job, "id"), "r-"));
	ck_assert(json_object_get_boolean(pcb_test_jget(job, "result.rebased")));
	rebased = jstr(job, "result.manifest.digest");
	ck_assert_str_ne(rebased, jstr(built, "result.manifest.digest"));
	ck_assert_str_eq(jstr(job, "result.base.digest"), b2digest);
	ck_assert_str_eq(jstr(job, "result.old_base.digest"), jstr(built, "result.base.digest"));
	ck_assert_str_eq(jstr(job, "result.base.python"), jstr(job, "result.old_base.python"));

	/* The manifest: the new base's layers, then ours with the digests the build gave. */
	ls = pcb_test_jget(job, "result.layers");
	ck_assert_uint_eq(json_object_array_length(ls), nb2 + ours.n);
	for (size_t i = 0; i < nb2; i++)
		ck_assert_str_eq(jstr(json_object_array_get_idx(ls, i), "digest"),
		    jstr(json_object_array_get_idx(pcb_test_jget(b2, "manifest.layers"), i),
		    "digest"));
	img = inspect("ra:1");
	ck_assert_str_eq(jstr(img, "digest"), rebased);
	for (size_t i = 0; i < ours.n; i++) {
		json_object *l = json_object_array_get_idx(pcb_test_jget(img, "manifest.layers"),
		    nb2 + i);
		char *line = pcb_xasprintf("%s %s", jstr(l, "digest"), json_object_get_string(
		    json_object_array_get_idx(pcb_test_jget(img, "config.rootfs.diff_ids"),
		    nb2 + i)));
		ck_assert_str_eq(line, ours.v[i]);
		free(line);
	}
	/* The config: diff_ids the new base's then ours, the base labels, the venv on PATH. */
	diff_ids = pcb_test_jget(img, "config.rootfs.diff_ids");
	b2diff = pcb_test_jget(b2, "config.rootfs.diff_ids");
	ck_assert_uint_eq(json_object_array_length(diff_ids), nb2 + ours.n);
	for (size_t i = 0; i < nb2; i++)
		ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(diff_ids, i)),
		    json_object_get_string(json_object_array_get_idx(b2diff, i)));
	{
		json_object *labels = pcb_test_jget(img, "config.config.Labels");
		ck_assert_str_eq(json_object_get_string(json_object_object_get(labels,
		    "org.opencontainers.image.base.name")), "rb2:1");
		ck_assert_str_eq(json_object_get_string(json_object_object_get(labels,
		    "org.opencontainers.image.base.digest")), b2digest);
	}
	ck_assert(env_has_prefix(pcb_test_jget(img, "config"), "PATH=/opt/venv/bin:"));
	ck_assert(env_has_prefix(pcb_test_jget(img, "config"), "VIRTUAL_ENV=/opt/venv"));
	ck_assert_uint_eq(json_object_array_length(pcb_test_jget(img, "config.history")),
	    json_object_array_length(pcb_test_jget(b2, "config.history")) + ours.n);

	/* Byte for byte what a build on the new base makes. */
	fresh = build_app("rb2:1", "ra-fresh:1", 1700000100);
	ck_assert_str_eq(jstr(fresh, "result.manifest.digest"), rebased);

	/* It runs. */
	if (getuid() == 0 && pcb_test_have("umoci") && pcb_test_have("runc")) {
		char *out = run_image("ra:1");
		ck_assert_msg(strstr(out, "hello from the app on Python 3.") != NULL, "%s", out);
		free(out);
	} else {
		fprintf(stderr, "test-rebase: not root or no umoci/runc: the image is not run\n");
	}

	/* Onto the base it is on: nothing to do. */
	again = pcb_json(0, "rebase ra:1 --base rb2:1");
	ck_assert(!json_object_get_boolean(pcb_test_jget(again, "result.rebased")));
	ck_assert_str_eq(jstr(again, "result.manifest.digest"), rebased);

	json_object_put(again);
	json_object_put(fresh);
	json_object_put(img);
	json_object_put(job);
	json_object_put(b2);
	json_object_put(built);
	pcb_strv_free(&ours);
}
END_TEST

/* The entry of `pcb images --outdated --json` for repo:tag, or NULL. */
static json_object *
outdated_entry(json_object *list, const char *repo, const char *tag)
{
	json_object *a = pcb_test_jget(list, "images");

	for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (strcmp(jstr(e, "repository"), repo) == 0 && strcmp(jstr(e, "tag"), tag) == 0)
			return e;
	}
	return NULL;
}

START_TEST(outdated_listed_until_rebased)
{
	json_object *b1, *b2, *built, *list, *e, *job, *img, *again;
	char *out = NULL;
	int rc;

	if (!need_ready())
		return;
	b1 = inspect("rb1:1");
	b2 = inspect("rb2:1");
	rc = run_pcb(&out, true, 0, "tag rb1:1 moving:1");
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	built = build_app("moving:1", "ro:1", 1700000200);
	ck_assert_str_eq(jstr(built, "result.base.ref"), "moving:1");

	list = pcb_json(0, "images --outdated");
	ck_assert_ptr_null(outdated_entry(list, "ro", "1"));
	json_object_put(list);

	/* The base tag moves (a security update of the base): the app is outdated. */
	rc = run_pcb(&out, true, 0, "tag rb2:1 moving:1");
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	list = pcb_json(0, "images --outdated");
	e = outdated_entry(list, "ro", "1");
	ck_assert_msg(e != NULL, "ro:1 not listed: %s", pcb_json_str(list));
	ck_assert_str_eq(jstr(e, "base.name"), "moving:1");
	ck_assert_str_eq(jstr(e, "base.digest"), jstr(b1, "digest"));
	ck_assert_str_eq(jstr(e, "base.current"), jstr(b2, "digest"));
	ck_assert_ptr_null(outdated_entry(list, "rb1", "1"));   /* bases are built on nothing */
	json_object_put(list);
	rc = run_pcb(&out, true, 0, "images --outdated");
	ck_assert_msg(rc == 0 && strstr(out, "moving:1") != NULL, "%s", out);
	free(out);

	/* pcb build --rebase-only: the base the build would use now, nothing rebuilt. */
	job = pcb_json(1700000200, "build '%s' --base-image moving:1 -t ro:1 --rebase-only",
	    proj);
	ck_assert_str_eq(jstr(job, "kind"), "rebase");
	ck_assert_str_eq(jstr(job, "state"), "succeeded");
	ck_assert_str_eq(jstr(job, "result.base.digest"), jstr(b2, "digest"));
	img = inspect("ro:1");
	ck_assert_str_eq(jstr(img, "digest"), jstr(job, "result.manifest.digest"));
	list = pcb_json(0, "images --outdated");
	ck_assert_ptr_null(outdated_entry(list, "ro", "1"));
	json_object_put(list);

	/* Without --base: onto what its base tag names now, which it is on already. */
	again = pcb_json(0, "rebase ro:1");
	ck_assert(!json_object_get_boolean(pcb_test_jget(again, "result.rebased")));
	ck_assert_str_eq(jstr(again, "result.base.ref"), "moving:1");

	json_object_put(again);
	json_object_put(img);
	json_object_put(job);
	json_object_put(built);
	json_object_put(b2);
	json_object_put(b1);
}
END_TEST

/* A one-layer base for the host platform in a test store with the given Env entry (NULL:
 * none), pushed to reg as lib/NAME:1. */
static void
push_fake_base(const struct pcb_test_registry *reg, const char *name, const char *env)
{
	struct pcb_store *store;
	struct pcb_layer_list l;
	struct pcb_layer_opts o;
	struct pcb_layer_result lr;
	struct pcb_platform host;
	struct pcb_registry_opts ro;
	struct pcb_registry *r = NULL;
	struct pcb_image_ref ref;
	struct pcb_err e;
	char *sdir = NULL, *root, *cfg, *man, *target, cd[PCB_DIGEST_BUFSZ], md[PCB_DIGEST_BUFSZ];
	char pushed[PCB_DIGEST_BUFSZ];

	store = pcb_test_store_new(&sdir);
	pcb_platform_host(&host);
	root = pcb_path_join(sdir, "baseroot");
	pcb_test_write(root, "usr/local/bin/python3.99", "#!/bin/sh\n", 0755);
	pcb_layer_list_init(&l);
	ck_assert_msg(pcb_layer_list_add(&l, root, "usr", "", NULL, NULL, &e) == 0, "%s", e.msg);
	pcb_layer_list_finish(&l);
	memset(&o, 0, sizeof o);
	ck_assert_msg(pcb_layer_pack(store, &l, &o, &lr, &e) == 0, "%s", e.msg);
	pcb_layer_list_free(&l);
	cfg = pcb_xasprintf("{\"architecture\":\"%s\",\"os\":\"%s\",\"config\":{\"Env\":"
	    "[\"PATH=/usr/local/bin:/usr/bin:/bin\"%s%s%s]},\"rootfs\":{\"type\":\"layers\","
	    "\"diff_ids\":[\"%s\"]},\"history\":[{\"created_by\":\"fake base\"}]}", host.arch,
	    host.os, env ? ",\"" : "", env ? env : "", env ? "\"" : "", lr.diff_id);
	ck_assert_int_eq(pcb_store_put(store, cfg, strlen(cfg), PCB_MT_OCI_CONFIG, cd, &e), 0);
	man = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
	    "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
	    "\"%s\",\"size\":%llu}]}", PCB_MT_OCI_MANIFEST, PCB_MT_OCI_CONFIG, cd, strlen(cfg),
	    PCB_MT_LAYER_GZIP, lr.digest, (unsigned long long)lr.size);
	ck_assert_int_eq(pcb_store_put(store, man, strlen(man), PCB_MT_OCI_MANIFEST, md, &e), 0);
	memset(&ro, 0, sizeof ro);
	target = pcb_xasprintf("%s/lib/%s:1", reg->host, name);
	ck_assert_msg(pcb_registry_create(reg->host, &ro, &r, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_image_ref_parse(target, &ref, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_registry_push(r, store, md, &ref, pushed, &e) == 0, "%s", e.msg);
	pcb_image_ref_free(&ref);
	pcb_registry_destroy(r);
	free(target);
	free(cfg);
	free(man);
	free(root);
	pcb_test_store_free(store, sdir);
}

START_TEST(other_python_minor_refused)
{
	struct pcb_test_registry reg;
	json_object *built, *before, *after;
	char *out = NULL, *body, *resp = NULL;
	long st;
	int rc;

	if (!need_ready())
		return;
	if (!pcb_test_have("docker-registry")) {
		fprintf(stderr, "test-rebase: no docker-registry, skipped\n");
		return;
	}
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	push_fake_base(&reg, "py", "PYTHON_VERSION=3.99.0");
	push_fake_base(&reg, "nopy", NULL);
	built = build_app("rb1:1", "rp:1", 1700000300);
	before = inspect("rp:1");

	/* Pulled from the registry (not in the store), then refused naming both minors. */
	rc = run_pcb(&out, true, 0, "rebase rp:1 --base %s/lib/py:1", reg.host);
	ck_assert_msg(rc == 1, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "Python 3.99") != NULL && strstr(out, "PYTHON_VERSION=3.99.0") !=
	    NULL && strstr(out, "built for Python 3.11") != NULL, "%s", out);
	free(out);
	rc = run_pcb(&out, true, 0, "rebase rp:1 --base %s/lib/nopy:1", reg.host);
	ck_assert_msg(rc == 1 && strstr(out, "states no Python version") != NULL, "exit %d: %s",
	    rc, out);
	free(out);
	after = inspect("rp:1");
	ck_assert_str_eq(jstr(after, "digest"), jstr(before, "digest"));

	/* Requests that cannot be run: said at once. */
	body = pcb_xasprintf("{\"image\": \"%s\"}", jstr(before, "digest"));
	st = pcb_test_http(&dmn, "POST", "/v1/rebases", body, strlen(body), &resp);
	ck_assert_msg(st == 400 && strstr(resp, "give the rebased image a tag") != NULL,
	    "%ld %s", st, resp);
	free(resp);
	free(body);
	body = pcb_xstrdup("{\"image\": \"rp:1\", \"base\": \"scratch\"}");
	st = pcb_test_http(&dmn, "POST", "/v1/rebases", body, strlen(body), &resp);
	ck_assert_msg(st == 400, "%ld %s", st, resp);
	free(resp);
	free(body);
	rc = run_pcb(&out, true, 0, "rebase nosuch:1 --base rb2:1");
	ck_assert_msg(rc == 1 && strstr(out, "no image nosuch:1") != NULL, "exit %d: %s", rc, out);
	free(out);
	rc = run_pcb(&out, true, 0, "rebase rb1:1 --base rb2:1");
	ck_assert_msg(rc == 1 && strstr(out, "records no base image") != NULL, "exit %d: %s", rc,
	    out);
	free(out);

	json_object_put(after);
	json_object_put(before);
	json_object_put(built);
	pcb_test_registry_stop(&reg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rebase");
	TCase *tc = tcase_create("rebase");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, rebase_keeps_our_layers_and_runs);
	tcase_add_test(tc, outdated_listed_until_rebased);
	tcase_add_test(tc, other_python_minor_refused);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
