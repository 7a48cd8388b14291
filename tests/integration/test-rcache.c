/* test-rcache.c — the registry cache (image/rcache.h) between daemons that share nothing but
 * a loopback docker-registry: daemon A builds the Flask fixture, pushes it and writes the
 * cache; an empty daemon B reads it and builds the same image without packing a layer,
 * running pip or uploading a blob; a one-file change repacks the app layer alone; two
 * daemons writing one cache tag at once keep both entries; an entry with a wrong digest is
 * ignored with a warning and its layer built. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "ocicheck.h"
#include "regfix.h"
#include "testutil.h"
#include "wheelfix.h"

/* Suite-wide, made once by the unchecked fixture (forked tests inherit them). */
static char *top;
static char *wheels;
static struct pcb_test_wheelidx idx;
static struct pcb_test_daemon dmn_a;      /* the daemon that writes the cache first */
static struct pcb_test_registry reg;
static char *base_ref;
static bool ready;
static char *setup_error;

static char *
pcb_bin(void)
{
	return pcb_path_join(pcb_test_build_dir(), "pcb");
}

static void
suite_setup(void)
{
	char *pcb, *out = NULL;
	int rc;

	if (access("/usr/bin/python3", X_OK) != 0 || !pcb_test_have("docker-registry") ||
	    !pcb_test_have("curl"))
		return;
	top = pcb_test_tmpdir();
	wheels = pcb_path_join(top, "wheels");
	pcb_test_wheels_make(wheels, PCB_TEST_FLASK_DISTS);
	pcb_test_wheelidx_start(&idx, wheels);
	pcb_test_daemon_start(&dmn_a, NULL, NULL);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb = pcb_bin();
	/* The base lives in the registry only: a new daemon reads its manifest and config and
	 * never needs its layers unless an output does. */
	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s base create --from-host "
	    "--python /usr/bin/python3 -t testpy:3.11 -q 2>&1", pcb, dmn_a.host);
	if (rc != 0) {
		setup_error = pcb_xasprintf("pcb base create failed: %s", out);
		goto out;
	}
	free(out);
	out = NULL;
	base_ref = pcb_xasprintf("%s/lib/python:3.11", reg.host);
	rc = pcb_test_runf(&out, "%s -H %s push testpy:3.11 %s -q 2>&1", pcb, dmn_a.host,
	    base_ref);
	if (rc != 0) {
		setup_error = pcb_xasprintf("pcb push of the base failed: %s", out);
		goto out;
	}
	ready = true;
out:
	free(out);
	free(pcb);
}

static void
suite_teardown(void)
{
	if (top == NULL)
		return;
	pcb_test_daemon_stop(&dmn_a);
	pcb_test_daemon_free(&dmn_a, true);
	pcb_test_wheelidx_stop(&idx);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(top);
	free(top);
	free(wheels);
	free(base_ref);
}

#define NEED_READY()                                                                  \
	do {                                                                          \
		ck_assert_msg(setup_error == NULL, "%s", setup_error);                \
		if (!ready)                                                           \
			return;                                                       \
	} while (0)

static char *
fixture_copy(const char *dir, const char *name)
{
	char *dst = pcb_path_join(dir, name), *out = NULL;
	int rc = pcb_test_runf(&out, "cp -r '%s/tests/fixtures/flaskapp' '%s' 2>&1",
	    pcb_test_source_dir(), dst);
	ck_assert_msg(rc == 0, "cp: %s", out);
	free(out);
	return dst;
}

/* `pcb build CONTEXT --json ARGS` against daemon d: the final build resource (asserts it
 * succeeded). *err_out (may be NULL) gets pcb's stderr: progress, warnings. */
static json_object *
build_ok(const struct pcb_test_daemon *d, const char *dir, const char *context,
    const char *args, char **err_out)
{
	static int n;
	char *pcb = pcb_bin(), *out = NULL, *errf = pcb_xasprintf("%s/pcb%d.err", dir, ++n);
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s build '%s' --json "
	    "--base-image %s --index-url %s %s 2>'%s'", pcb, d->host, context, base_ref,
	    idx.simple, args, errf);
	j = json_tokener_parse(out);
	ck_assert_msg(j != NULL && rc == 0, "pcb build %s failed (exit %d): %s\n%s", args, rc,
	    out, pcb_test_read(errf, NULL));
	if (err_out != NULL)
		*err_out = pcb_test_read(errf, NULL);
	free(out);
	free(errf);
	free(pcb);
	return j;
}

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL ? json_object_get_string(v) : NULL;
}

/* Our layers (not the base's) of a build: each must be reused, from the registry cache
 * when want_registry, except the one named except (which must have been packed). */
static void
check_layers(json_object *job, const char *except)
{
	json_object *ls = pcb_test_jget(job, "result.layers");
	size_t ours = 0;

	ck_assert_ptr_nonnull(ls);
	for (size_t i = 0; i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i), *v;
		const char *name = json_object_get_string(json_object_object_get(l, "name"));
		bool reused, remote;
		if (strcmp(name, "base") == 0)
			continue;
		ours++;
		reused = json_object_object_get_ex(l, "reused", &v) && json_object_get_boolean(v);
		remote = json_object_object_get_ex(l, "registry_cache", &v) &&
		    json_object_get_boolean(v);
		if (except != NULL && strcmp(name, except) == 0)
			ck_assert_msg(!reused && !remote, "layer %s should be packed: %s", name,
			    pcb_json_str(l));
		else
			ck_assert_msg(reused && remote, "layer %s should come from the registry "
			    "cache: %s", name, pcb_json_str(l));
	}
	/* venv, the Flask family's group layers, project, app. */
	ck_assert_msg(ours >= 4, "only %zu layers of ours", ours);
}

/* The layer digest named name in a build's result. */
static const char *
layer_digest(json_object *job, const char *name)
{
	json_object *ls = pcb_test_jget(job, "result.layers");

	for (size_t i = 0; ls != NULL && i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		if (strcmp(json_object_get_string(json_object_object_get(l, "name")), name) == 0)
			return json_object_get_string(json_object_object_get(l, "digest"));
	}
	return NULL;
}

/* Blob upload requests (PUT / PATCH of upload data) in the registry's log after offset. */
static int
uploads_since(size_t offset, char **lines_out)
{
	char *log = pcb_test_read(reg.log, NULL), *save = NULL;
	struct pcb_buf b;
	int n = 0;

	pcb_buf_init(&b, 1 << 20);
	if (log != NULL && strlen(log) > offset)
		for (char *l = strtok_r(log + offset, "\n", &save); l != NULL;
		    l = strtok_r(NULL, "\n", &save))
			if (strstr(l, "/blobs/uploads/") != NULL && (strstr(l, "\"PUT ") != NULL ||
			    strstr(l, "\"PATCH ") != NULL || strstr(l, "method=PUT") != NULL ||
			    strstr(l, "method=PATCH") != NULL)) {
				n++;
				(void)pcb_buf_appendf(&b, "%s\n", l);
			}
	*lines_out = b.data != NULL ? pcb_xstrdup(b.data) : pcb_xstrdup("");
	pcb_buf_free(&b);
	free(log);
	return n;
}

static size_t
log_size(void)
{
	struct stat st;
	return stat(reg.log, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The cache artifact's mapping, read with curl from the registry. Caller puts. */
static json_object *
read_mapping(const char *repo, const char *tag)
{
	char *out = NULL;
	json_object *man, *mapping;
	const char *cd;
	int rc;

	rc = pcb_test_runf(&out, "curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "
	    "http://%s/v2/%s/manifests/%s", reg.host, repo, tag);
	ck_assert_msg(rc == 0, "GET manifest %s:%s: %s", repo, tag, out);
	man = json_tokener_parse(out);
	free(out);
	ck_assert_ptr_nonnull(man);
	ck_assert_str_eq(jstr(man, "artifactType"), "application/vnd.pycontainer.cache.v1+json");
	cd = jstr(man, "config.digest");
	ck_assert_ptr_nonnull(cd);
	rc = pcb_test_runf(&out, "curl -sf http://%s/v2/%s/blobs/%s", reg.host, repo, cd);
	ck_assert_msg(rc == 0, "GET mapping: %s", out);
	mapping = json_tokener_parse(out);
	free(out);
	json_object_put(man);
	ck_assert_ptr_nonnull(mapping);
	return mapping;
}

/* Whether some layer entry of the mapping names digest. */
static bool
mapping_has_digest(json_object *mapping, const char *digest)
{
	json_object *ls;

	if (!json_object_object_get_ex(mapping, "layers", &ls))
		return false;
	json_object_object_foreach(ls, k, e) {
		(void)k;
		if (strcmp(json_object_get_string(json_object_object_get(e, "digest")), digest) == 0)
			return true;
	}
	return false;
}

/* A writes the cache with its push; an empty B reads it: nothing packed, no pip, no upload,
 * the same manifest, and an OCI layout output that gets the cached layers' bytes. */
START_TEST(test_cold_runner)
{
	char *dir = pcb_test_tmpdir(), *app_a, *app_b, *args, *err = NULL, *ups = NULL;
	char *layout;
	struct pcb_test_daemon b;
	json_object *ja, *jb, *mapping;
	int simple_before, uploads;
	size_t off;

	NEED_READY();
	app_a = fixture_copy(dir, "a");
	app_b = fixture_copy(dir, "b");
	args = pcb_xasprintf("-t %s/team/flask:1 --push --cache-to %s/cache/flask:c1", reg.host,
	    reg.host);
	ja = build_ok(&dmn_a, dir, app_a, args, NULL);
	free(args);
	ck_assert_msg(jstr(ja, "result.cache.to.digest") != NULL, "no cache written: %s",
	    pcb_json_str(pcb_test_jget(ja, "result.cache")));
	mapping = read_mapping("cache/flask", "c1");
	ck_assert(mapping_has_digest(mapping, layer_digest(ja, "app")));
	ck_assert(mapping_has_digest(mapping, layer_digest(ja, "venv")));
	ck_assert(mapping_has_digest(mapping, layer_digest(ja, "project")));
	ck_assert_int_ge(json_object_object_length(json_object_object_get(mapping,
	    "resolutions")), 1);
	json_object_put(mapping);

	/* The log shows uploads at all (A's), so that none below means none. */
	ck_assert_int_gt(uploads_since(0, &ups), 0);
	free(ups);
	ups = NULL;
	pcb_test_daemon_start(&b, NULL, NULL);
	simple_before = pcb_test_wheelidx_count(&idx, NULL, "/simple");
	off = log_size();
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("-t %s/team/flask:1 --push --cache-from %s/cache/flask:c1 "
	    "--output '%s'", reg.host, reg.host, layout);
	jb = build_ok(&b, dir, app_b, args, &err);
	free(args);
	check_layers(jb, NULL);
	/* pip did not run: the index saw nothing, the resolution came from the cache. */
	ck_assert_int_eq(pcb_test_wheelidx_count(&idx, NULL, "/simple"), simple_before);
	ck_assert_msg(json_object_get_boolean(pcb_test_jget(jb,
	    "result.dependencies.resolution.registry_cache")), "%s",
	    pcb_json_str(pcb_test_jget(jb, "result.dependencies")));
	ck_assert_str_eq(jstr(jb, "result.manifest.digest"), jstr(ja, "result.manifest.digest"));
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(jb, "result.pushed.0.blobs.uploaded")),
	    0);
	uploads = uploads_since(off, &ups);
	ck_assert_msg(uploads == 0, "B uploaded blobs:\n%s", ups);
	/* The layout holds every byte: the cached layers were fetched (and verified). */
	{
		char *p = pcb_xasprintf("%s/blobs/sha256/%s", layout, layer_digest(jb, "app") + 7);
		ck_assert_msg(access(p, F_OK) == 0, "%s missing", p);
		free(p);
	}
	ck_assert(strstr(err, "registry cache") != NULL);
	json_object_put(ja);
	json_object_put(jb);
	free(ups);
	free(err);
	free(layout);
	pcb_test_daemon_stop(&b);
	pcb_test_daemon_free(&b, true);
	pcb_test_rmtree(dir);
	free(app_a);
	free(app_b);
	free(dir);
}
END_TEST

/* A ref that A wrote (made here if test_cold_runner did not run in this process). */
static void
ensure_cache(const char *dir, const char *tag)
{
	char *app = fixture_copy(dir, "seed"), *args;
	json_object *j;

	args = pcb_xasprintf("-t %s/team/flask:1 --push --cache-to %s/cache/flask:%s", reg.host,
	    reg.host, tag);
	j = build_ok(&dmn_a, dir, app, args, NULL);
	ck_assert_ptr_nonnull(pcb_test_jget(j, "result.cache.to.digest"));
	json_object_put(j);
	free(args);
	free(app);
}

/* One changed file on an empty daemon: the app layer alone is packed. */
START_TEST(test_one_file_change)
{
	char *dir = pcb_test_tmpdir(), *app, *args;
	struct pcb_test_daemon b;
	json_object *j;

	NEED_READY();
	ensure_cache(dir, "c1");
	app = fixture_copy(dir, "changed");
	pcb_test_write(app, "flaskapp/extra.py", "GREETING = 'changed'\n", 0644);
	pcb_test_daemon_start(&b, NULL, NULL);
	args = pcb_xasprintf("-t %s/team/flask:2 --cache-from %s/cache/flask:c1", reg.host,
	    reg.host);
	j = build_ok(&b, dir, app, args, NULL);
	check_layers(j, "app");
	json_object_put(j);
	free(args);
	pcb_test_daemon_stop(&b);
	pcb_test_daemon_free(&b, true);
	pcb_test_rmtree(dir);
	free(app);
	free(dir);
}
END_TEST

/* Two daemons writing one cache tag at the same time, each with an app layer the other does
 * not have: both entries are there afterwards. */
START_TEST(test_concurrent_writers)
{
	char *dir = pcb_test_tmpdir(), *app1, *app2, *pcb = pcb_bin(), *out = NULL;
	char *e1, *e2;
	struct pcb_test_daemon d1, d2;
	json_object *j1, *j2, *mapping;
	int rc;

	NEED_READY();
	app1 = fixture_copy(dir, "one");
	app2 = fixture_copy(dir, "two");
	pcb_test_write(app1, "flaskapp/extra.py", "WHO = 'one'\n", 0644);
	pcb_test_write(app2, "flaskapp/extra.py", "WHO = 'two'\n", 0644);
	pcb_test_daemon_start(&d1, NULL, NULL);
	pcb_test_daemon_start(&d2, NULL, NULL);
	/* Both at once: the shell starts them together and waits for both. */
	e1 = pcb_path_join(dir, "one.err");
	e2 = pcb_path_join(dir, "two.err");
	rc = pcb_test_runf(&out, "export SOURCE_DATE_EPOCH=1700000000; "
	    "%s -H %s build '%s' --json --base-image %s --index-url %s -t %s/team/one:1 --push "
	    "--cache-to %s/cache/shared:c >'%s/one.json' 2>'%s' & "
	    "%s -H %s build '%s' --json --base-image %s --index-url %s -t %s/team/two:1 --push "
	    "--cache-to %s/cache/shared:c >'%s/two.json' 2>'%s' & "
	    "wait %%1; a=$?; wait %%2; b=$?; test $a = 0 && test $b = 0",
	    pcb, d1.host, app1, base_ref, idx.simple, reg.host, reg.host, dir, e1,
	    pcb, d2.host, app2, base_ref, idx.simple, reg.host, reg.host, dir, e2);
	if (rc != 0) {
		/* The ends of both logs (Check cuts long messages off entirely). */
		char *t1 = pcb_test_read(e1, NULL), *t2 = pcb_test_read(e2, NULL);
		size_t l1 = t1 != NULL ? strlen(t1) : 0, l2 = t2 != NULL ? strlen(t2) : 0;
		ck_assert_msg(rc == 0, "builds failed: …%s / …%s", t1 != NULL ? t1 + (l1 > 1500 ?
		    l1 - 1500 : 0) : "", t2 != NULL ? t2 + (l2 > 1500 ? l2 - 1500 : 0) : "");
		free(t1);
		free(t2);
	}
	free(out);
	{
		char *p1 = pcb_path_join(dir, "one.json"), *p2 = pcb_path_join(dir, "two.json");
		char *t1 = pcb_test_read(p1, NULL), *t2 = pcb_test_read(p2, NULL);
		j1 = t1 != NULL ? json_tokener_parse(t1) : NULL;
		j2 = t2 != NULL ? json_tokener_parse(t2) : NULL;
		free(t1);
		free(t2);
		free(p1);
		free(p2);
	}
	ck_assert(j1 != NULL && j2 != NULL);
	ck_assert_ptr_nonnull(pcb_test_jget(j1, "result.cache.to.digest"));
	ck_assert_ptr_nonnull(pcb_test_jget(j2, "result.cache.to.digest"));
	ck_assert_str_ne(layer_digest(j1, "app"), layer_digest(j2, "app"));
	mapping = read_mapping("cache/shared", "c");
	ck_assert_msg(mapping_has_digest(mapping, layer_digest(j1, "app")) &&
	    mapping_has_digest(mapping, layer_digest(j2, "app")), "an entry was lost: app %s "
	    "%s, app %s %s", layer_digest(j1, "app"), mapping_has_digest(mapping,
	    layer_digest(j1, "app")) ? "kept" : "LOST", layer_digest(j2, "app"),
	    mapping_has_digest(mapping, layer_digest(j2, "app")) ? "kept" : "LOST");
	json_object_put(mapping);
	json_object_put(j1);
	json_object_put(j2);
	pcb_test_daemon_stop(&d1);
	pcb_test_daemon_free(&d1, true);
	pcb_test_daemon_stop(&d2);
	pcb_test_daemon_free(&d2, true);
	pcb_test_rmtree(dir);
	free(e1);
	free(e2);
	free(app1);
	free(app2);
	free(pcb);
	free(dir);
}
END_TEST

/* The cache written by A with its app entry's digest replaced by one the artifact does not
 * list: an empty daemon warns, packs the app layer and takes the rest from the cache. */
START_TEST(test_corrupt_entry)
{
	char *dir = pcb_test_tmpdir(), *app, *args, *out = NULL, *err = NULL;
	struct pcb_test_daemon b;
	json_object *j;
	int rc;

	NEED_READY();
	ensure_cache(dir, "c1");
	/* Rewrite the artifact as another tag: the mapping's "app" entry gets a wrong digest;
	 * the manifest (config = the new mapping) is PUT as is. */
	pcb_test_write(dir, "corrupt.py",
	    "import hashlib, json, sys, urllib.request\n"
	    "reg, repo, src, dst = sys.argv[1:5]\n"
	    "base = 'http://' + reg + '/v2/' + repo\n"
	    "mt = 'application/vnd.oci.image.manifest.v1+json'\n"
	    "req = urllib.request.Request(base + '/manifests/' + src, headers={'Accept': mt})\n"
	    "man = json.load(urllib.request.urlopen(req))\n"
	    "mapping = json.load(urllib.request.urlopen(base + '/blobs/' + man['config']['digest']))\n"
	    "n = 0\n"
	    "for k, e in mapping['layers'].items():\n"
	    "    if e.get('name') == 'app':\n"
	    "        e['digest'] = 'sha256:' + hashlib.sha256(b'not the layer').hexdigest()\n"
	    "        n += 1\n"
	    "assert n >= 1, 'no app entry'\n"
	    "body = json.dumps(mapping).encode()\n"
	    "d = 'sha256:' + hashlib.sha256(body).hexdigest()\n"
	    "r = urllib.request.urlopen(urllib.request.Request(base + '/blobs/uploads/', method='POST'))\n"
	    "loc = r.headers['Location']\n"
	    "loc = loc if loc.startswith('http') else 'http://' + reg + loc\n"
	    "sep = '&' if '?' in loc else '?'\n"
	    "urllib.request.urlopen(urllib.request.Request(loc + sep + 'digest=' + d, data=body, method='PUT',\n"
	    "    headers={'Content-Type': 'application/octet-stream'}))\n"
	    "man['config']['digest'] = d\n"
	    "man['config']['size'] = len(body)\n"
	    "urllib.request.urlopen(urllib.request.Request(base + '/manifests/' + dst,\n"
	    "    data=json.dumps(man).encode(), method='PUT', headers={'Content-Type': mt}))\n",
	    0644);
	rc = pcb_test_runf(&out, "/usr/bin/python3 '%s/corrupt.py' %s cache/flask c1 bad 2>&1",
	    dir, reg.host);
	ck_assert_msg(rc == 0, "corrupt.py: %s", out);
	free(out);
	app = fixture_copy(dir, "app");
	pcb_test_daemon_start(&b, NULL, NULL);
	args = pcb_xasprintf("-t %s/team/flask:3 --cache-from %s/cache/flask:bad", reg.host,
	    reg.host);
	j = build_ok(&b, dir, app, args, &err);
	check_layers(j, "app");
	ck_assert_msg(strstr(err, "ignored") != NULL, "no warning: %s", err);
	ck_assert_int_ge(json_object_get_int(pcb_test_jget(j, "result.cache.entries_ignored")),
	    1);
	json_object_put(j);
	free(args);
	free(err);
	pcb_test_daemon_stop(&b);
	pcb_test_daemon_free(&b, true);
	pcb_test_rmtree(dir);
	free(app);
	free(dir);
}
END_TEST

static Suite *
rcache_suite(void)
{
	Suite *s = suite_create("rcache");
	TCase *tc = tcase_create("rcache");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_cold_runner);
	tcase_add_test(tc, test_one_file_change);
	tcase_add_test(tc, test_concurrent_writers);
	tcase_add_test(tc, test_corrupt_entry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(rcache_suite());
}
