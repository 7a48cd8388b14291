/* test-deps.c — images of a real Flask app with its dependencies, end to end: wheels re-made
 * from this machine's installed Flask family (MarkupSafe with its C extension) served by a
 * loopback PEP 503 index, a base image made by `pcb base create --from-host` and pushed to a
 * loopback docker-registry, a real pycontainerd building from requirements.txt (pip download
 * for the target), from a pylock.toml (wheels fetched and verified by the daemon) and from a
 * venv; the images unpacked by umoci and run by runc, their HTTP endpoint answering on
 * loopback. Then the layer properties: one changed dependency changes one layer, changed app
 * code changes only the app layer, the platform guard refuses wheels for another CPU, and
 * hostile wheels fail cleanly. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "build.h"
#include "ocicheck.h"
#include "python/wheel.h"
#include "regfix.h"
#include "testutil.h"
#include "wheelfix.h"

/* Suite-wide, made once by the unchecked fixture (forked tests inherit them). */
static char *top;                 /* temp dir of the suite */
static char *wheels;              /* the Flask family's wheels, served by idx */
static struct pcb_test_wheelidx idx;
static struct pcb_test_daemon dmn;
static struct pcb_test_registry reg;
static char *base_ref;            /* the base image in the registry */
static bool ready;                /* the fixture got everything it needs */
static char *setup_error;         /* why it did not, when it should have */
static bool can_run;              /* root, umoci and runc: images can be run */

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

	if (access("/usr/bin/python3", X_OK) != 0 || !pcb_test_have("docker-registry"))
		return;
	top = pcb_test_tmpdir();
	wheels = pcb_path_join(top, "wheels");
	pcb_test_wheels_make(wheels, PCB_TEST_FLASK_DISTS);
	pcb_test_wheelidx_start(&idx, wheels);
	pcb_test_daemon_start(&dmn, NULL, NULL);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb = pcb_bin();
	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s base create --from-host "
	    "--python /usr/bin/python3 -t testpy:3.11 -q 2>&1", pcb, dmn.host);
	if (rc != 0) {
		setup_error = pcb_xasprintf("pcb base create failed: %s", out);
		goto out;
	}
	free(out);
	out = NULL;
	base_ref = pcb_xasprintf("%s/lib/python:3.11", reg.host);
	rc = pcb_test_runf(&out, "%s -H %s push testpy:3.11 %s -q 2>&1", pcb, dmn.host, base_ref);
	if (rc != 0) {
		setup_error = pcb_xasprintf("pcb push of the base failed: %s", out);
		goto out;
	}
	ready = true;
	can_run = getuid() == 0 && pcb_test_have("umoci") && pcb_test_have("runc") &&
	    pcb_test_have("curl");
out:
	free(out);
	free(pcb);
}

static void
suite_teardown(void)
{
	if (top == NULL)
		return;
	pcb_test_daemon_stop(&dmn);
	pcb_test_daemon_free(&dmn, true);
	pcb_test_wheelidx_stop(&idx);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(top);
	free(top);
	free(wheels);
	free(base_ref);
}

/* A copy of the Flask fixture in a fresh folder; returns the folder. */
static char *
fixture_copy(const char *dir)
{
	char *dst = pcb_path_join(dir, "flaskapp"), *out = NULL;
	int rc = pcb_test_runf(&out, "cp -r '%s/tests/fixtures/flaskapp' '%s' 2>&1",
	    pcb_test_source_dir(), dst);
	ck_assert_msg(rc == 0, "cp: %s", out);
	free(out);
	return dst;
}

/* `pcb build CONTEXT --json ARGS`: the final build resource. *ok_out: exit status 0.
 * stderr (progress and errors) goes to *err_out when given. */
static json_object *
build(const char *dir, const char *context, const char *args, bool *ok_out, char **err_out)
{
	char *pcb = pcb_bin(), *out = NULL, *errf = pcb_path_join(dir, "pcb.err");
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s build '%s' --json %s "
	    "2>'%s'", pcb, dmn.host, context, args, errf);
	j = json_tokener_parse(out);
	ck_assert_msg(j != NULL, "pcb build printed no JSON (exit %d): %s / %s", rc, out,
	    pcb_test_read(errf, NULL));
	*ok_out = rc == 0;
	if (err_out != NULL)
		*err_out = pcb_test_read(errf, NULL);
	free(out);
	free(errf);
	free(pcb);
	return j;
}

static json_object *
build_ok(const char *dir, const char *context, const char *args)
{
	bool ok;
	char *err = NULL;
	json_object *j = build(dir, context, args, &ok, &err);

	ck_assert_msg(ok, "pcb build %s failed: %s\n%s", args, err, pcb_json_str(j));
	free(err);
	return j;
}

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL ? json_object_get_string(v) : NULL;
}

/* The result's layers whose name starts with prefix, as "name digest" lines. */
static void
layers_named(json_object *job, const char *prefix, struct pcb_strv *out)
{
	json_object *ls = pcb_test_jget(job, "result.layers");

	ck_assert_ptr_nonnull(ls);
	for (size_t i = 0; i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		const char *name = json_object_get_string(json_object_object_get(l, "name"));
		if (pcb_str_has_prefix(name, prefix))
			pcb_strv_push_owned(out, pcb_xasprintf("%s %s", name,
			    json_object_get_string(json_object_object_get(l, "digest"))));
	}
}

/* Unpacks layout:tag with umoci, then runs it with runc on the host network (no network
 * namespace) with every "5000" argument turned into port, or with args (a JSON array)
 * instead of the image's. With port: polls http://127.0.0.1:port/path until it answers
 * (60 s deadline) and returns the body; else runs to completion and returns the output. */
static char *
run_image(const char *dir, const char *layout, const char *tag, const char *args, int port,
    const char *path)
{
	static int n;
	char *bundle = pcb_xasprintf("%s/bundle%d", dir, ++n), *out = NULL, *id, *log;
	char *result = NULL;
	int rc;
	pid_t pid;

	rc = pcb_test_runf(&out, "umoci unpack --image '%s:%s' '%s' 2>&1", layout, tag, bundle);
	ck_assert_msg(rc == 0, "umoci unpack: %s", out);
	free(out);
	out = NULL;
	pcb_test_write(dir, "edit-config.py",
	    "import json, sys\n"
	    "p, port, args = sys.argv[1], sys.argv[2], sys.argv[3]\n"
	    "c = json.load(open(p))\n"
	    "c['process']['terminal'] = False\n"
	    "if args:\n"
	    "    c['process']['args'] = json.loads(args)\n"
	    "else:\n"
	    "    c['process']['args'] = [port if a == '5000' else a for a in c['process']['args']]\n"
	    "c['linux']['namespaces'] = [x for x in c['linux']['namespaces'] if x['type'] != 'network']\n"
	    "json.dump(c, open(p, 'w'))\n", 0644);
	rc = pcb_test_runf(&out, "/usr/bin/python3 '%s/edit-config.py' '%s/config.json' '%d' '%s' "
	    "2>&1", dir, bundle, port, args != NULL ? args : "");
	ck_assert_msg(rc == 0, "editing config.json: %s", out);
	free(out);
	out = NULL;
	id = pcb_xasprintf("pcbtest-%d-%d", (int)getpid(), n);
	log = pcb_xasprintf("%s.log", bundle);
	if (port == 0) {
		rc = pcb_test_runf(&out, "runc run --bundle '%s' '%s' 2>&1 </dev/null", bundle, id);
		ck_assert_msg(rc == 0, "runc run (exit %d): %s", rc, out);
		result = out;
		goto done;
	}
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char *cmd = pcb_xasprintf("exec runc run --bundle '%s' '%s' >'%s' 2>&1 </dev/null",
		    bundle, id, log);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	{
		int64_t deadline = pcb_monotonic_ms() + 60000;
		for (;;) {
			int st;
			char *body = NULL;
			rc = pcb_test_runf(&body, "curl -sf --max-time 5 http://127.0.0.1:%d%s", port,
			    path);
			if (rc == 0) {
				result = body;
				break;
			}
			free(body);
			if (waitpid(pid, &st, WNOHANG) == pid) {
				pid = -1;
				break;
			}
			if (pcb_monotonic_ms() > deadline)
				break;
			nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
		}
	}
	(void)pcb_test_runf(NULL, "runc kill '%s' KILL >/dev/null 2>&1", id);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	(void)pcb_test_runf(NULL, "runc delete -f '%s' >/dev/null 2>&1", id);
	if (result == NULL) {
		/* The end of the app's log says why; Check messages are bounded. */
		char *text = pcb_test_read(log, NULL);
		size_t len = text != NULL ? strlen(text) : 0;
		ck_abort_msg("the app in the image never answered on port %d: %s", port,
		    text != NULL ? text + (len > 2000 ? len - 2000 : 0) : "(no log)");
	}
done:
	free(bundle);
	free(id);
	free(log);
	return result;
}

/* The Flask fixture from requirements.txt (pip download for the target from the loopback
 * index), on a base from the registry: runs, answers HTTP with MarkupSafe's C speedups
 * loaded, and a dependency's console script runs in the image. */
/* pip's answer is remembered: the same requirements again run no pip (the index sees no
 * request) and give the same image; --refresh-deps asks pip again; pinned requirements are
 * reused even where unpinned ones are not (--resolve-max-age 0); requirements naming a local
 * file are never remembered. */
static json_object *
resolve_build(const char *dir, const char *ctx, const char *host, const char *reqs,
    const char *extra, int *index_requests)
{
	char *pcb = pcb_bin(), *out = NULL, *errf = pcb_path_join(dir, "resolve.err");
	int before = pcb_test_wheelidx_count(&idx, "GET", "/simple"), rc;
	json_object *j;

	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s build '%s' --json "
	    "--base-image scratch --requirements '%s' --index-url %s %s 2>'%s'", pcb, host, ctx,
	    reqs, idx.simple, extra, errf);
	j = json_tokener_parse(out);
	ck_assert_msg(rc == 0 && j != NULL, "pcb build %s failed (%d): %s / %s", extra, rc, out,
	    pcb_test_read(errf, NULL));
	*index_requests = pcb_test_wheelidx_count(&idx, "GET", "/simple") - before;
	free(errf);
	free(out);
	free(pcb);
	return j;
}

static bool
jbool(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	ck_assert_msg(v != NULL, "%s missing in %s", path, pcb_json_str(j));
	return json_object_get_boolean(v);
}

START_TEST(resolution_remembered)
{
	char *dir, *app, *reqs, *pinned, *local, *blinker, *text;
	json_object *a, *b, *c, *pkgs;
	struct pcb_test_daemon d0;
	struct pcb_buf pb;
	int n;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	reqs = pcb_path_join(dir, "req-unpinned.txt");
	/* The comment makes these bytes this test's own (the suite's daemon is shared). */
	pcb_test_write(dir, "req-unpinned.txt", "# resolution_remembered\nflask\n", 0644);

	a = resolve_build(dir, app, dmn.host, reqs, "", &n);
	ck_assert_int_gt(n, 0);
	ck_assert(!jbool(a, "result.dependencies.resolution.reused"));
	ck_assert(jbool(a, "result.dependencies.resolution.cached"));
	ck_assert(!jbool(a, "result.dependencies.resolution.pinned"));
	b = resolve_build(dir, app, dmn.host, reqs, "", &n);
	ck_assert_int_eq(n, 0);
	ck_assert(jbool(b, "result.dependencies.resolution.reused"));
	ck_assert_str_eq(jstr(a, "result.manifest.digest"), jstr(b, "result.manifest.digest"));
	ck_assert_str_eq(pcb_json_str(pcb_test_jget(a, "result.dependencies.packages")),
	    pcb_json_str(pcb_test_jget(b, "result.dependencies.packages")));
	json_object_put(b);
	b = resolve_build(dir, app, dmn.host, reqs, "--refresh-deps", &n);
	ck_assert_int_gt(n, 0);
	ck_assert(!jbool(b, "result.dependencies.resolution.reused"));
	ck_assert_str_eq(jstr(a, "result.manifest.digest"), jstr(b, "result.manifest.digest"));
	json_object_put(b);
	/* A changed requirement file is a new question. */
	pcb_test_write(dir, "req-unpinned.txt", "# resolution_remembered\nflask\nblinker\n", 0644);
	b = resolve_build(dir, app, dmn.host, reqs, "", &n);
	ck_assert_int_gt(n, 0);
	ck_assert(!jbool(b, "result.dependencies.resolution.reused"));
	json_object_put(b);

	/* Every distribution pinned (from what pip picked), through an included file. */
	pcb_buf_init(&pb, 1 << 16);
	pkgs = pcb_test_jget(a, "result.dependencies.packages");
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		(void)pcb_buf_appendf(&pb, "%s==%s \\\n    --hash=sha256:%s\n",
		    json_object_get_string(json_object_object_get(p, "name")),
		    json_object_get_string(json_object_object_get(p, "version")),
		    json_object_get_string(json_object_object_get(p, "sha256")));
	}
	(void)pcb_buf_append(&pb, "", 1);
	pcb_test_write(dir, "pins.txt", pb.data, 0644);
	pcb_buf_free(&pb);
	pcb_test_write(dir, "req-pinned.txt", "-r pins.txt  # every one pinned\n", 0644);
	pinned = pcb_path_join(dir, "req-pinned.txt");

	/* A daemon that never reuses unpinned answers still reuses pinned ones. */
	pcb_test_daemon_start(&d0, NULL, "--resolve-max-age 0");
	c = resolve_build(dir, app, d0.host, pinned, "", &n);
	ck_assert_int_gt(n, 0);
	ck_assert(jbool(c, "result.dependencies.resolution.pinned"));
	ck_assert_str_eq(jstr(a, "result.manifest.digest"), jstr(c, "result.manifest.digest"));
	json_object_put(c);
	c = resolve_build(dir, app, d0.host, pinned, "", &n);
	ck_assert_int_eq(n, 0);
	ck_assert(jbool(c, "result.dependencies.resolution.reused"));
	json_object_put(c);
	c = resolve_build(dir, app, d0.host, reqs, "", &n);
	json_object_put(c);
	c = resolve_build(dir, app, d0.host, reqs, "", &n);
	ck_assert_int_gt(n, 0);
	ck_assert(!jbool(c, "result.dependencies.resolution.reused"));
	json_object_put(c);

	/* A requirement naming a local file: its bytes are not in the key, so never reused. */
	blinker = pcb_test_wheels_find(wheels, "blinker");
	text = pcb_xasprintf("%s\n", blinker);
	pcb_test_write(dir, "req-local.txt", text, 0644);
	local = pcb_path_join(dir, "req-local.txt");
	for (int i = 0; i < 2; i++) {
		c = resolve_build(dir, app, d0.host, local, "", &n);
		ck_assert(!jbool(c, "result.dependencies.resolution.cached"));
		ck_assert(!jbool(c, "result.dependencies.resolution.reused"));
		ck_assert_ptr_nonnull(strstr(jstr(c, "result.dependencies.resolution.not_cached_because"),
		    "path"));
		json_object_put(c);
	}
	ck_assert_int_eq(pcb_test_daemon_stop(&d0), 0);
	pcb_test_daemon_free(&d0, true);

	json_object_put(a);
	free(text);
	free(blinker);
	free(local);
	free(pinned);
	free(reqs);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Dependency layers carry bytecode as pip install leaves it: a .pyc beside every module,
 * hash-checked (valid for its source as shipped, whatever the tar's mtimes), naming the
 * source by its path in the image; the same wheels give the same bytes on another daemon;
 * --no-compile leaves it out. */
static void
extract_deps_layers(const char *layout, json_object *job, const char *root)
{
	json_object *ls = pcb_test_jget(job, "result.layers");
	char *out = NULL;

	ck_assert_int_eq(mkdir(root, 0755), 0);
	for (size_t i = 0; i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		const char *name = json_object_get_string(json_object_object_get(l, "name"));
		const char *digest = json_object_get_string(json_object_object_get(l, "digest"));
		if (!pcb_str_has_prefix(name, "deps:"))
			continue;
		ck_assert_msg(pcb_test_runf(&out, "tar -xzf '%s/blobs/sha256/%s' -C '%s' 2>&1", layout,
		    digest + 7, root) == 0, "tar: %s", out);
		free(out);
		out = NULL;
	}
}

static const char pyc_check[] =
    "import importlib.util, marshal, os, sys\n"
    "root, site = sys.argv[1], sys.argv[2]\n"
    "n = 0\n"
    "for d, _, fs in os.walk(root + site):\n"
    "    for f in fs:\n"
    "        if not f.endswith('.pyc'):\n"
    "            continue\n"
    "        pyc = os.path.join(d, f)\n"
    "        src = os.path.join(os.path.dirname(d), f.split('.')[0] + '.py')\n"
    "        data = open(pyc, 'rb').read()\n"
    "        assert data[:4] == importlib.util.MAGIC_NUMBER, pyc\n"
    "        assert int.from_bytes(data[4:8], 'little') == 3, pyc + ': not checked-hash'\n"
    "        assert data[8:16] == importlib.util.source_hash(open(src, 'rb').read()), pyc\n"
    "        code = marshal.loads(data[16:])\n"
    "        assert code.co_filename == src[len(root):], (code.co_filename, src)\n"
    "        n += 1\n"
    "print('valid', n)\n";

START_TEST(bytecode_in_layers)
{
	char *dir, *app, *args, *layout, *layout2, *layout3, *root, *root3, *script, *out = NULL;
	const char *site = "/opt/venv/lib/python3.11/site-packages";
	json_object *a, *b, *c;
	struct pcb_strv la, lb, lc;
	struct pcb_test_daemon d2;
	int valid = 0;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	if (access("/usr/bin/python3.11", X_OK) != 0)
		return;   /* the wheels are cp311: a host without python3.11 has no compiler */
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	layout = pcb_path_join(dir, "pyc");
	layout2 = pcb_path_join(dir, "pyc2");
	layout3 = pcb_path_join(dir, "nopyc");
	args = pcb_xasprintf("--base-image scratch --index-url %s --output '%s'", idx.simple, layout);
	a = build_ok(dir, app, args);
	free(args);
	root = pcb_path_join(dir, "root");
	extract_deps_layers(layout, a, root);
	script = pcb_path_join(dir, "pyc_check.py");
	pcb_test_write(dir, "pyc_check.py", pyc_check, 0644);
	ck_assert_msg(pcb_test_runf(&out, "/usr/bin/python3.11 '%s' '%s' '%s' 2>&1", script, root,
	    site) == 0, "%s", out);
	ck_assert_msg(sscanf(out, "valid %d", &valid) == 1 && valid > 50, "%s", out);
	free(out);
	out = NULL;
	/* Python takes them: importing flask from the layers writes nothing and reads them. */
	ck_assert_msg(pcb_test_runf(&out, "cd / && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH='%s%s' "
	    "/usr/bin/python3.11 -S -v -c 'import flask' 2>&1 | grep -c 'matches %s%s/flask/'",
	    root, site, root, site) == 0 && atoi(out) > 0, "no pyc of flask used: %s", out);
	free(out);
	out = NULL;

	/* Another daemon, another state dir: the same layers, byte for byte. */
	pcb_test_daemon_start(&d2, NULL, NULL);
	args = pcb_xasprintf("SOURCE_DATE_EPOCH=1700000000 %s/pcb -H %s build '%s' --json "
	    "--base-image scratch --index-url %s --output '%s' 2>/dev/null", pcb_test_build_dir(),
	    d2.host, app, idx.simple, layout2);
	ck_assert_int_eq(pcb_test_runf(&out, "%s", args), 0);
	b = json_tokener_parse(out);
	ck_assert_ptr_nonnull(b);
	free(out);
	out = NULL;
	free(args);
	ck_assert_int_eq(pcb_test_daemon_stop(&d2), 0);
	pcb_test_daemon_free(&d2, true);
	pcb_strv_init(&la);
	pcb_strv_init(&lb);
	pcb_strv_init(&lc);
	layers_named(a, "deps:", &la);
	layers_named(b, "deps:", &lb);
	ck_assert_int_gt(la.n, 0);
	ck_assert_int_eq(la.n, lb.n);
	for (size_t i = 0; i < la.n; i++)
		ck_assert_str_eq(la.v[i], lb.v[i]);

	/* --no-compile: no bytecode, other layers. */
	args = pcb_xasprintf("--base-image scratch --index-url %s --no-compile --output '%s'",
	    idx.simple, layout3);
	c = build_ok(dir, app, args);
	free(args);
	root3 = pcb_path_join(dir, "root3");
	extract_deps_layers(layout3, c, root3);
	ck_assert_int_eq(pcb_test_runf(&out, "find '%s' -name '*.pyc' | wc -l", root3), 0);
	ck_assert_int_eq(atoi(out), 0);
	free(out);
	layers_named(c, "deps:", &lc);
	ck_assert_int_eq(la.n, lc.n);
	for (size_t i = 0; i < la.n; i++)
		ck_assert_str_ne(la.v[i], lc.v[i]);

	pcb_strv_free(&la);
	pcb_strv_free(&lb);
	pcb_strv_free(&lc);
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	free(script);
	free(root);
	free(root3);
	free(layout);
	free(layout2);
	free(layout3);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Issue 12, item 6: dependencies declared only in Poetry's table or in setup.cfg are
 * installed, and a project whose declared dependencies no default source holds fails with the
 * reason instead of building an image without them. */
START_TEST(poetry_and_setup_cfg_dependencies_installed)
{
	static const struct {
		const char *file, *text, *declared_in;
	} forms[] = {
		{ "pyproject.toml", "[tool.poetry]\nname = \"flaskapp\"\nversion = \"1.0.0\"\n"
		  "[tool.poetry.dependencies]\npython = \"^3.11\"\nflask = \">=2.2\"\n",
		  "pyproject.toml [tool.poetry.dependencies]" },
		{ "setup.cfg", "[metadata]\nname = flaskapp\n[options]\ninstall_requires =\n"
		  "    flask>=2.2  # the web app\n", "setup.cfg [options].install_requires" },
		{ "setup.py", "from setuptools import setup\n\nrequires = [\n    'flask>=2.2',  # web\n"
		  "]\n\nsetup(name='flaskapp', version='1.0.0', install_requires=requires)\n",
		  "setup.py install_requires" },
	};
	char *dir, *app, *args, *err = NULL, *p;
	json_object *job;
	bool ok;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	args = pcb_xasprintf("--base-image %s --index-url %s", base_ref, idx.simple);
	for (size_t i = 0; i < PCB_ARRAY_LEN(forms); i++) {
		json_object *pkgs;
		bool flask = false;

		p = pcb_path_join(app, "requirements.txt");
		unlink(p);
		free(p);
		p = pcb_path_join(app, "pyproject.toml");
		unlink(p);
		free(p);
		pcb_test_write(app, forms[i].file, forms[i].text, 0644);
		job = build_ok(dir, app, args);
		ck_assert_str_eq(jstr(job, "result.dependencies.source"), "project");
		ck_assert_str_eq(jstr(job, "result.dependencies.declared_in"), forms[i].declared_in);
		pkgs = pcb_test_jget(job, "result.dependencies.packages");
		for (size_t k = 0; k < json_object_array_length(pkgs); k++)
			flask = flask || strcmp(json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(pkgs, k), "name")), "flask") == 0;
		ck_assert_msg(flask, "%s: no flask in %s", forms[i].file, pcb_json_str(pkgs));
		json_object_put(job);
		p = pcb_path_join(app, forms[i].file);
		unlink(p);
		free(p);
	}

	/* setup.py computes install_requires when run: not run here, so the build stops. */
	pcb_test_write(app, "setup.py", "from setuptools import setup\nsetup(name='flaskapp',\n"
	    "      install_requires=open('deps.in').read().split())\n", 0644);
	job = build(dir, app, args, &ok, &err);
	ck_assert(!ok);
	ck_assert_msg(strstr(err, "setup.py line 3 passes install_requires a value computed") !=
	    NULL && strstr(err, "--requirements FILE") != NULL, "%s", err);
	json_object_put(job);
	free(err);
	err = NULL;
	p = pcb_path_join(app, "setup.py");
	unlink(p);
	free(p);

	/* Declared where no default source looks: the build stops and says what to pass. */
	pcb_test_write(app, "requirements-prod.txt", "flask>=2.2\n", 0644);
	job = build(dir, app, args, &ok, &err);
	ck_assert(!ok);
	ck_assert_msg(strstr(err, "the project declares dependencies (flask, in "
	    "requirements-prod.txt)") != NULL && strstr(err, "pass --requirements FILE") != NULL,
	    "%s", err);
	json_object_put(job);
	free(err);
	free(args);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Issue 12: a Flask app made by a factory, its templates in a top-level templates/ folder that
 * the old default would have left out: detected as a factory, packed whole, run under runc
 * and rendering its template. */
START_TEST(flask_factory_with_templates_runs)
{
	char *dir, *app, *layout, *args, *body;
	json_object *job;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = pcb_path_join(dir, "site");
	pcb_test_write(app, "requirements.txt", "flask>=2.2\n", 0644);
	pcb_test_write(app, "app/__init__.py",
	    "import os\n"
	    "\n"
	    "from flask import Flask, render_template\n"
	    "\n"
	    "\n"
	    "def create_app():\n"
	    "    root = os.path.join(os.path.dirname(__file__), '..', 'templates')\n"
	    "    app = Flask(__name__, template_folder=root)\n"
	    "\n"
	    "    @app.route('/')\n"
	    "    def index():\n"
	    "        return render_template('index.html', name='factory')\n"
	    "\n"
	    "    return app\n", 0644);
	pcb_test_write(app, "templates/index.html", "<p>hello {{ name }} from a template</p>\n",
	    0644);
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--base-image %s --index-url %s --output '%s' -t site:1", base_ref,
	    idx.simple, layout);
	job = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(job, "result.image.name"), "site");
	{
		json_object *cfg = NULL;
		char *md = pcb_test_check_layout(layout, "1", &cfg);
		const char *ep = pcb_json_str(pcb_test_jget(cfg, "config.Entrypoint"));
		ck_assert_msg(strcmp(ep, "[\"flask\",\"--app\",\"app:create_app\",\"run\","
		    "\"--host\",\"0.0.0.0\",\"--port\",\"5000\"]") == 0, "%s", ep);
		free(md);
		json_object_put(cfg);
	}
	if (can_run) {
		body = run_image(dir, layout, "1", NULL, pcb_test_free_port(), "/");
		ck_assert_msg(strstr(body, "<p>hello factory from a template</p>") != NULL, "%s", body);
		free(body);
	}
	json_object_put(job);
	free(args);
	free(layout);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Issue 12, item 7: the project itself is installed (its metadata and console scripts in the
 * venv, no build backend run): a Poetry CLI whose --version reads importlib.metadata runs as
 * its own console script. */
START_TEST(poetry_cli_reads_its_own_version)
{
	char *dir, *app, *layout, *args, *body;
	json_object *job;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = pcb_path_join(dir, "greet");
	pcb_test_write(app, "pyproject.toml",
	    "[tool.poetry]\n"
	    "name = \"greet\"\n"
	    "version = \"2.5.0\"\n"
	    "description = \"Says hello\"\n"
	    "[tool.poetry.dependencies]\n"
	    "python = \"^3.11\"\n"
	    "click = \">=8\"\n"
	    "[tool.poetry.scripts]\n"
	    "greet = \"greet.cli:main\"\n", 0644);
	pcb_test_write(app, "greet/__init__.py", "", 0644);
	pcb_test_write(app, "greet/cli.py",
	    "import importlib.metadata\n"
	    "\n"
	    "import click\n"
	    "\n"
	    "\n"
	    "@click.command()\n"
	    "@click.option('--version', is_flag=True)\n"
	    "def main(version):\n"
	    "    if version:\n"
	    "        click.echo('greet ' + importlib.metadata.version('greet'))\n", 0644);
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--base-image %s --index-url %s --output '%s' -t greet:1", base_ref,
	    idx.simple, layout);
	job = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(job, "result.dependencies.declared_in"),
	    "pyproject.toml [tool.poetry.dependencies]");
	{
		struct pcb_strv names;
		json_object *cfg = NULL;
		char *md;

		pcb_strv_init(&names);
		layers_named(job, "project", &names);
		ck_assert_uint_eq(names.n, 1);
		pcb_strv_free(&names);
		md = pcb_test_check_layout(layout, "1", &cfg);
		ck_assert_str_eq(pcb_json_str(pcb_test_jget(cfg, "config.Entrypoint")),
		    "[\"greet\"]");
		free(md);
		json_object_put(cfg);
	}
	if (can_run) {
		body = run_image(dir, layout, "1", "[\"greet\", \"--version\"]", 0, NULL);
		ck_assert_msg(strstr(body, "greet 2.5.0") != NULL, "%s", body);
		free(body);
	}
	json_object_put(job);
	free(args);
	free(layout);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Issue 12, "runs for real": a FastAPI app that is only a factory, behind uvicorn --factory,
 * and a Django project with a settings package and top-level templates/ behind gunicorn, both
 * built from their requirements (wheels re-made from Debian's packages), started under runc
 * with the image's own command (only the port changed) and answering HTTP. */
static char *
web_wheels(const char *dir)
{
	char *w = pcb_path_join(dir, "webwheels");

	pcb_test_wheels_make_from(w, "django asgiref sqlparse fastapi starlette pydantic anyio "
	    "sniffio idna typing_extensions uvicorn h11 click gunicorn setuptools pytz",
	    "/usr/lib/python3/dist-packages");
	return w;
}

/* The image's entrypoint with its port argument (or --bind 0.0.0.0:PORT) moved to port. */
static char *
entrypoint_on_port(json_object *cfg, int port)
{
	json_object *ep = pcb_test_jget(cfg, "config.Entrypoint"), *a = json_object_new_array();
	char *out;

	for (size_t i = 0; i < json_object_array_length(ep); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(ep, i));
		char *v = strcmp(s, "8000") == 0 ? pcb_xasprintf("%d", port) :
		    strcmp(s, "0.0.0.0:8000") == 0 ? pcb_xasprintf("127.0.0.1:%d", port) :
		    pcb_xstrdup(s);
		json_object_array_add(a, json_object_new_string(v));
		free(v);
	}
	out = pcb_xstrdup(pcb_json_str(a));
	json_object_put(a);
	return out;
}

START_TEST(fastapi_factory_and_django_run)
{
	char *dir, *wheels_dir, *app, *layout, *args, *body, *ep;
	struct pcb_test_wheelidx web;
	json_object *job, *cfg = NULL;
	char *md;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	if (access("/usr/lib/python3/dist-packages/django", F_OK) != 0 ||
	    access("/usr/lib/python3/dist-packages/fastapi", F_OK) != 0)
		ck_abort_msg("Debian's python3-django and python3-fastapi are needed (make deps)");
	dir = pcb_test_tmpdir();
	wheels_dir = web_wheels(dir);
	pcb_test_wheelidx_start(&web, wheels_dir);

	/* FastAPI: only a factory. */
	app = pcb_path_join(dir, "api");
	pcb_test_write(app, "requirements.txt", "fastapi\nuvicorn\n", 0644);
	pcb_test_write(app, "app/__init__.py", "", 0644);
	pcb_test_write(app, "app/main.py",
	    "from fastapi import FastAPI\n"
	    "\n"
	    "\n"
	    "def create_app() -> FastAPI:\n"
	    "    api = FastAPI()\n"
	    "\n"
	    "    @api.get('/')\n"
	    "    def root():\n"
	    "        return {'hello': 'factory'}\n"
	    "\n"
	    "    return api\n", 0644);
	/* Debian patches fastapi 0.92 to run on its starlette 0.26 while the metadata still
	 * says <0.26: a lock of the exact wheels, as the project would commit, skips pip's
	 * resolver. */
	{
		char *lock = pcb_path_join(app, "pylock.toml");
		pcb_test_wheels_pylock(wheels_dir, web.url, lock, "fastapi starlette pydantic anyio "
		    "sniffio idna typing_extensions uvicorn h11 click asgiref");
		free(lock);
	}
	layout = pcb_path_join(dir, "api-layout");
	args = pcb_xasprintf("--base-image %s --index-url %s --output '%s' -t api:1", base_ref,
	    web.simple, layout);
	job = build_ok(dir, app, args);
	md = pcb_test_check_layout(layout, "1", &cfg);
	ck_assert_str_eq(pcb_json_str(pcb_test_jget(cfg, "config.Entrypoint")),
	    "[\"uvicorn\",\"--factory\",\"app.main:create_app\",\"--host\",\"0.0.0.0\","
	    "\"--port\",\"8000\"]");
	if (can_run) {
		int port = pcb_test_free_port();
		ep = entrypoint_on_port(cfg, port);
		body = run_image(dir, layout, "1", ep, port, "/");
		ck_assert_msg(strstr(body, "\"hello\":\"factory\"") != NULL, "%s", body);
		free(body);
		free(ep);
	}
	free(md);
	json_object_put(cfg);
	cfg = NULL;
	json_object_put(job);
	free(args);
	free(layout);
	free(app);

	/* Django: settings package, templates at the top, gunicorn listed. */
	app = pcb_path_join(dir, "site");
	/* Debian's Django keeps its requirements in egg-info the wheel does not carry, and
	 * gunicorn 20 imports pkg_resources without declaring it: the project lists them. */
	pcb_test_write(app, "requirements.txt", "django\nasgiref\nsqlparse\npytz\ngunicorn\n"
	    "setuptools\n", 0644);
	pcb_test_write(app, "manage.py",
	    "import os\n"
	    "import sys\n"
	    "\n"
	    "if __name__ == '__main__':\n"
	    "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
	    "    from django.core.management import execute_from_command_line\n"
	    "    execute_from_command_line(sys.argv)\n", 0644);
	pcb_test_write(app, "mysite/__init__.py", "", 0644);
	pcb_test_write(app, "mysite/settings/__init__.py",
	    "from pathlib import Path\n"
	    "BASE_DIR = Path(__file__).resolve().parent.parent.parent\n"
	    "SECRET_KEY = 'test-only'\n"
	    "DEBUG = False\n"
	    "ALLOWED_HOSTS = ['*']\n"
	    "ROOT_URLCONF = 'mysite.urls'\n"
	    "INSTALLED_APPS = ['django.contrib.contenttypes']\n"
	    "DATABASES = {}\n"
	    "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates',\n"
	    "              'DIRS': [BASE_DIR / 'templates']}]\n", 0644);
	pcb_test_write(app, "mysite/urls.py",
	    "from django.shortcuts import render\n"
	    "from django.urls import path\n"
	    "\n"
	    "\n"
	    "def index(request):\n"
	    "    return render(request, 'index.html', {'who': 'a settings package'})\n"
	    "\n"
	    "\n"
	    "urlpatterns = [path('', index)]\n", 0644);
	pcb_test_write(app, "mysite/wsgi.py",
	    "import os\n"
	    "\n"
	    "from django.core.wsgi import get_wsgi_application\n"
	    "\n"
	    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
	    "application = get_wsgi_application()\n", 0644);
	pcb_test_write(app, "templates/index.html", "<p>hello from {{ who }}</p>\n", 0644);
	layout = pcb_path_join(dir, "site-layout");
	args = pcb_xasprintf("--base-image %s --index-url %s --output '%s' -t site:1", base_ref,
	    web.simple, layout);
	job = build_ok(dir, app, args);
	md = pcb_test_check_layout(layout, "1", &cfg);
	ck_assert_str_eq(pcb_json_str(pcb_test_jget(cfg, "config.Entrypoint")),
	    "[\"gunicorn\",\"--bind\",\"0.0.0.0:8000\",\"mysite.wsgi:application\"]");
	ck_assert_msg(strstr(pcb_json_str(pcb_test_jget(cfg, "config.Env")),
	    "\"DJANGO_SETTINGS_MODULE=mysite.settings\"") != NULL, "%s",
	    pcb_json_str(pcb_test_jget(cfg, "config.Env")));
	if (can_run) {
		int port = pcb_test_free_port();
		ep = entrypoint_on_port(cfg, port);
		body = run_image(dir, layout, "1", ep, port, "/");
		ck_assert_msg(strstr(body, "<p>hello from a settings package</p>") != NULL, "%.600s",
		    body);
		free(body);
		free(ep);
	}
	free(md);
	json_object_put(cfg);
	json_object_put(job);
	free(args);
	free(layout);
	free(app);
	pcb_test_wheelidx_stop(&web);
	free(wheels_dir);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(flask_from_requirements_runs)
{
	char *dir, *app, *layout, *args, *body;
	json_object *job, *pkgs;
	struct pcb_strv deps;
	bool have_markupsafe = false;
	int port;

	if (!ready) {
		/* No docker-registry or python3 on this machine: nothing to run against. */
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--base-image %s --requirements '%s/requirements.txt' --index-url %s "
	    "--output '%s' -t flaskapp:1", base_ref, app, idx.simple, layout);
	job = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(job, "result.dependencies.source"), "requirements");
	pkgs = pcb_test_jget(job, "result.dependencies.packages");
	ck_assert_int_ge(json_object_array_length(pkgs), 6);
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		const char *name = json_object_get_string(json_object_object_get(p, "name"));
		if (strcmp(name, "markupsafe") == 0) {
			have_markupsafe = true;
			ck_assert_msg(strstr(json_object_get_string(json_object_object_get(p, "wheel")),
			    "cp311") != NULL, "%s", pcb_json_str(p));
		}
		ck_assert_ptr_nonnull(json_object_get_string(json_object_object_get(p, "layer")));
	}
	ck_assert(have_markupsafe);
	pcb_strv_init(&deps);
	layers_named(job, "deps:", &deps);
	ck_assert_int_ge(deps.n, 1);
	pcb_strv_free(&deps);
	ck_assert_str_eq(jstr(job, "result.layers.0.name"), "base");
	{
		json_object *cfg = NULL;
		char *md = pcb_test_check_layout(layout, "1", &cfg);
		const char *env = pcb_json_str(pcb_test_jget(cfg, "config.Env"));
		ck_assert_str_eq(md, jstr(job, "result.manifest.digest"));
		/* The venv comes first on PATH, the base's PATH stays behind it. */
		ck_assert_msg(strstr(env, "\"PATH=/opt/venv/bin:/usr/local/sbin:") != NULL &&
		    strstr(env, "\"VIRTUAL_ENV=/opt/venv\"") != NULL, "%s", env);
		free(md);
		json_object_put(cfg);
	}

	if (can_run) {
		port = pcb_test_free_port();
		body = run_image(dir, layout, "1", NULL, port, "/");
		ck_assert_msg(strstr(body, "\"app\":\"flaskapp\"") != NULL ||
		    strstr(body, "\"app\": \"flaskapp\"") != NULL, "%s", body);
		ck_assert_msg(strstr(body, "\"markupsafe_speedups\":true") != NULL ||
		    strstr(body, "\"markupsafe_speedups\": true") != NULL, "%s", body);
		free(body);
		body = run_image(dir, layout, "1", "[\"flask\", \"--version\"]", 0, NULL);
		ck_assert_msg(strstr(body, "Flask") != NULL && strstr(body, "Python 3.11") != NULL,
		    "%s", body);
		free(body);
	}
	json_object_put(job);
	free(args);
	free(layout);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* From a pylock.toml: the daemon fetches each wheel from its URL and checks its hash; a
 * second build reuses every dependency layer and fetches nothing; a new version of one
 * dependency changes exactly one dependency layer; a change to the app's code changes only
 * the app layer. */
START_TEST(pylock_layers_reuse)
{
	char *dir, *app, *lock, *args, *v2, *v2dir, *body, *layout;
	struct pcb_test_wheelidx idx2;
	json_object *j1, *j2, *j3, *j4;
	struct pcb_strv l1, l2, l3, l4;
	int gets, diff;

	if (!ready) {
		/* No docker-registry or python3 on this machine: nothing to run against. */
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	lock = pcb_path_join(app, "pylock.toml");
	pcb_test_wheels_pylock(wheels, idx.url, lock, NULL);
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--base-image testpy:3.11 --output '%s' -t flaskapp:lock", layout);
	j1 = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(j1, "result.dependencies.source"), "lock");
	gets = pcb_test_wheelidx_count(&idx, "GET", "/files/");
	ck_assert_int_ge(gets, 1);

	j2 = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(j1, "result.manifest.digest"), jstr(j2, "result.manifest.digest"));
	ck_assert_int_eq(pcb_test_wheelidx_count(&idx, "GET", "/files/"), gets);
	{
		json_object *ls = pcb_test_jget(j2, "result.layers");
		for (size_t i = 0; i < json_object_array_length(ls); i++) {
			json_object *l = json_object_array_get_idx(ls, i);
			const char *name = json_object_get_string(json_object_object_get(l, "name"));
			if (pcb_str_has_prefix(name, "deps:"))
				ck_assert_msg(json_object_get_boolean(json_object_object_get(l, "reused")),
				    "%s not reused", name);
		}
	}

	/* itsdangerous → 9.9.9 (same code, another version) in a second index holding the
	 * same wheels otherwise: one layer changes. */
	{
		char *old = pcb_test_wheels_find(wheels, "itsdangerous"), *out = NULL;
		ck_assert_ptr_nonnull(old);
		v2dir = pcb_path_join(dir, "wheels2");
		ck_assert_int_eq(pcb_test_runf(&out, "cp -r '%s' '%s' && rm '%s/%s'", wheels, v2dir,
		    v2dir, strrchr(old, '/') + 1), 0);
		free(out);
		v2 = pcb_test_wheels_variant(old, v2dir, "9.9.9");
		free(old);
		pcb_test_wheelidx_start(&idx2, v2dir);
	}
	pcb_test_wheels_pylock(v2dir, idx2.url, lock, NULL);
	j3 = build_ok(dir, app, args);
	pcb_test_wheelidx_stop(&idx2);
	pcb_strv_init(&l1);
	pcb_strv_init(&l3);
	layers_named(j1, "deps:", &l1);
	layers_named(j3, "deps:", &l3);
	ck_assert_int_eq(l1.n, l3.n);
	diff = 0;
	for (size_t i = 0; i < l1.n; i++)
		diff += strcmp(l1.v[i], l3.v[i]) != 0;
	ck_assert_msg(diff == 1, "%d dependency layers changed", diff);
	ck_assert_msg(strstr(pcb_json_str(pcb_test_jget(j3, "result.dependencies.packages")),
	    "9.9.9") != NULL, "%s", pcb_json_str(pcb_test_jget(j3, "result")));

	/* App code only: every non-app layer stays. */
	pcb_test_write(app, "flaskapp/extra.py", "X = 1\n", 0644);
	j4 = build_ok(dir, app, args);
	pcb_strv_init(&l2);
	pcb_strv_init(&l4);
	layers_named(j3, "", &l2);
	layers_named(j4, "", &l4);
	ck_assert_int_eq(l2.n, l4.n);
	for (size_t i = 0; i < l2.n; i++) {
		if (pcb_str_has_prefix(l2.v[i], "app "))
			ck_assert_str_ne(l2.v[i], l4.v[i]);
		else
			ck_assert_str_eq(l2.v[i], l4.v[i]);
	}
	if (can_run) {
		int port = pcb_test_free_port();
		body = run_image(dir, layout, "lock", NULL, port, "/escape");
		ck_assert_msg(strstr(body, "&lt;b&gt;") != NULL, "%s", body);
		free(body);
	}
	pcb_strv_free(&l1);
	pcb_strv_free(&l2);
	pcb_strv_free(&l3);
	pcb_strv_free(&l4);
	json_object_put(j1);
	json_object_put(j2);
	json_object_put(j3);
	json_object_put(j4);
	free(v2);
	free(v2dir);
	free(args);
	free(layout);
	free(lock);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A poetry.lock (lock-version 2.1) for the Flask fixture, made from the wheels in dir: every
 * wheel in the main group with its sha256 (and a made-up sdist hash beside it, as real locks
 * list every file); plus colorama, main only on win32, and devtool in the dev group, neither of
 * which the index has — selecting either makes pip fail. flask_sha256_out (may be NULL) gets
 * the flask wheel's hash. */
static char *
poetry_lock_for(const char *dir, const char *content_hash, char **flask_sha256_out)
{
	struct pcb_buf b;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	ck_assert_int_gt(n, 0);
	pcb_buf_init(&b, 1 << 20);
	pcb_buf_appendf(&b, "# This file is automatically @generated by Poetry 2.1.4 and should "
	    "not be changed by hand.\n\n");
	for (int i = 0; i < n; i++) {
		struct pcb_wheel_name wn;
		struct pcb_err err;
		char *path, *data, d[PCB_DIGEST_BUFSZ];
		size_t len = 0;

		pcb_err_clear(&err);
		if (pcb_str_has_suffix(names[i]->d_name, ".whl") &&
		    pcb_wheel_name_parse(names[i]->d_name, &wn, &err) == 0) {
			path = pcb_path_join(dir, names[i]->d_name);
			data = pcb_test_read(path, &len);
			pcb_sha256_buf(data, len, d);
			pcb_buf_appendf(&b, "[[package]]\nname = \"%s\"\nversion = \"%s\"\n"
			    "description = \"\"\noptional = false\npython-versions = \">=3.8\"\n"
			    "groups = [\"main\"]\nfiles = [\n    {file = \"%s\", hash = \"%s\"},\n"
			    "    {file = \"%s-%s.tar.gz\", hash = \"sha256:%064d\"},\n]\n\n",
			    wn.distribution, wn.version, names[i]->d_name, d, wn.name, wn.version, i);
			if (flask_sha256_out != NULL && strcmp(wn.name, "flask") == 0)
				*flask_sha256_out = pcb_xstrdup(d + 7);
			free(data);
			free(path);
			pcb_wheel_name_free(&wn);
		}
		free(names[i]);
	}
	free(names);
	pcb_buf_appendf(&b, "[[package]]\nname = \"colorama\"\nversion = \"0.4.6\"\n"
	    "description = \"\"\noptional = false\npython-versions = \">=3.7\"\ngroups = [\"main\"]\n"
	    "markers = \"sys_platform == \\\"win32\\\"\"\nfiles = [\n"
	    "    {file = \"colorama-0.4.6-py2.py3-none-any.whl\", hash = \"sha256:%064d\"},\n]\n\n"
	    "[[package]]\nname = \"devtool\"\nversion = \"1.0\"\ndescription = \"\"\n"
	    "optional = false\npython-versions = \"*\"\ngroups = [\"dev\"]\nfiles = [\n"
	    "    {file = \"devtool-1.0-py3-none-any.whl\", hash = \"sha256:%064d\"},\n]\n\n"
	    "[metadata]\nlock-version = \"2.1\"\npython-versions = \">=3.11\"\n"
	    "content-hash = \"%s\"\n", 7, 8, content_hash);
	return pcb_buf_steal(&b, NULL);
}

/* Issue 12, item 6: a project with a poetry.lock gets exactly what the lock selects for the
 * image — the lock wins over requirements.txt; pip downloads every file from the index with
 * --require-hashes --no-deps, so a package left out by its group or its marker is never
 * fetched; the image holds those distributions and no others; a lock whose hash does not match
 * the wheel fails the build; a dependency declared in pyproject.toml but missing from the lock
 * stops the build; a changed pyproject.toml is warned about. */
START_TEST(poetry_lock_installed_hash_checked)
{
	static const char expect[] = "blinker,click,flask,itsdangerous,jinja2,markupsafe,werkzeug";
	char *dir, *app, *layout, *args, *lock, *out = NULL, *hash, *flask_sha = NULL, *bad, *err;
	char *pyproject, *text;
	json_object *job, *pkgs;
	struct pcb_buf got;
	bool ok;
	int rc;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	layout = pcb_path_join(dir, "layout");
	/* Poetry's content-hash of the fixture's pyproject.toml, by Python itself. */
	rc = pcb_test_runf(&out, "cd '%s' && /usr/bin/python3 -c 'import hashlib, json, tomllib; "
	    "p = tomllib.load(open(\"pyproject.toml\", \"rb\"))[\"project\"]; "
	    "r = {k: p[k] for k in (\"requires-python\", \"dependencies\", \"optional-dependencies\") "
	    "if k in p}; print(hashlib.sha256(json.dumps({\"project\": r, \"tool\": {\"poetry\": {}}},"
	    " sort_keys=True).encode()).hexdigest())' 2>&1", app);
	ck_assert_msg(rc == 0 && strlen(out) == 65, "python3: %s", out);
	out[64] = '\0';
	hash = out;
	lock = poetry_lock_for(wheels, hash, &flask_sha);
	ck_assert_ptr_nonnull(flask_sha);
	pcb_test_write(app, "poetry.lock", lock, 0644);
	args = pcb_xasprintf("--base-image %s --index-url %s --output '%s' -t locked:1", base_ref,
	    idx.simple, layout);
	job = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(job, "result.dependencies.source"), "lock");
	ck_assert_str_eq(jstr(job, "result.dependencies.format"), "poetry.lock");
	ck_assert_msg(pcb_str_has_suffix(jstr(job, "result.dependencies.file"), "/poetry.lock"),
	    "%s", jstr(job, "result.dependencies.file"));
	ck_assert_ptr_null(pcb_test_jget(job, "result.dependencies.warnings"));
	ck_assert_ptr_nonnull(pcb_test_jget(job, "result.dependencies.resolution"));
	pkgs = pcb_test_jget(job, "result.dependencies.packages");
	pcb_buf_init(&got, 4096);
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i);
		const char *name = json_object_get_string(json_object_object_get(p, "name"));
		pcb_buf_appendf(&got, "%s%s", i ? "," : "", name);
		if (strcmp(name, "flask") == 0)
			ck_assert_str_eq(json_object_get_string(json_object_object_get(p, "sha256")),
			    flask_sha);
	}
	ck_assert_str_eq(got.data, expect);
	pcb_buf_free(&got);
	json_object_put(job);

	/* The plan says where the dependencies come from. */
	rc = pcb_test_runf(&out, "%s/pcb -H %s build '%s' --dry-run --json 2>&1",
	    pcb_test_build_dir(), dmn.host, app);
	ck_assert_msg(rc == 0 && strstr(out, "poetry.lock") != NULL, "%s", out);
	free(out);
	out = NULL;

	if (can_run) {
		char *body = run_image(dir, layout, "1", "[\"python\", \"-c\", \"import importlib."
		    "metadata as m; print(*sorted(d.name.lower() for d in m.distributions()))\"]", 0,
		    NULL);
		/* The lock's distributions and the project itself, nothing else. */
		ck_assert_msg(strstr(body, "blinker click flask flaskapp itsdangerous jinja2 "
		    "markupsafe werkzeug\n") != NULL, "%s", body);
		free(body);
	}

	/* One hex digit of flask's hash changed: pip refuses the file. */
	bad = pcb_xstrdup(lock);
	{
		char *at = strstr(bad, flask_sha);
		ck_assert_ptr_nonnull(at);
		at[10] = at[10] == '0' ? '1' : '0';
	}
	pcb_test_write(app, "poetry.lock", bad, 0644);
	job = build(dir, app, args, &ok, &err);
	ck_assert(!ok);
	ck_assert_msg(strstr(jstr(job, "error.message"), "poetry.lock") != NULL &&
	    strstr(jstr(job, "error.message"), "HASHES") != NULL, "%s", jstr(job, "error.message"));
	json_object_put(job);
	free(err);
	free(bad);

	/* Declared in pyproject.toml, missing from the lock: no image without it. */
	pyproject = pcb_path_join(app, "pyproject.toml");
	text = pcb_test_read(pyproject, NULL);
	pcb_test_write(app, "poetry.lock", lock, 0644);
	{
		char *n = pcb_xstrdup(text), *at = strstr(n, "\"flask>=2.2\"");
		ck_assert_ptr_nonnull(at);
		bad = pcb_xasprintf("%.*s\"requests\", %s", (int)(at - n), n, at);
		free(n);
	}
	pcb_test_write(app, "pyproject.toml", bad, 0644);
	free(bad);
	job = build(dir, app, args, &ok, &err);
	ck_assert(!ok);
	ck_assert_msg(strstr(jstr(job, "error.message"), "the project declares requests, which the "
	    "lock does not have") != NULL, "%s", jstr(job, "error.message"));
	json_object_put(job);
	free(err);

	/* A constraint changed but nothing missing: the image is built, with a warning. */
	{
		char *n = pcb_xstrdup(text), *at = strstr(n, "\"flask>=2.2\"");
		at[10] = '1';   /* flask>=2.1 */
		pcb_test_write(app, "pyproject.toml", n, 0644);
		free(n);
	}
	job = build_ok(dir, app, args);
	ck_assert_msg(strstr(pcb_json_str(pcb_test_jget(job, "result.dependencies.warnings")),
	    "poetry.lock is out of date with pyproject.toml") != NULL, "%s",
	    pcb_json_str(pcb_test_jget(job, "result.dependencies")));
	json_object_put(job);

	free(text);
	free(pyproject);
	free(flask_sha);
	free(hash);
	free(lock);
	free(args);
	free(layout);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A uv.lock naming the same wheels as a pylock.toml gives the same dependency layers, all
 * taken from the layer cache. */
START_TEST(uvlock_same_layers_as_pylock)
{
	char *dir, *app, *pylock, *uvlock;
	json_object *j1, *j2;
	struct pcb_strv l1, l2;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	pylock = pcb_path_join(app, "pylock.toml");
	uvlock = pcb_path_join(app, "uv.lock");
	pcb_test_wheels_pylock(wheels, idx.url, pylock, PCB_TEST_FLASK_DISTS);
	j1 = build_ok(dir, app, "--base-image testpy:3.11 -t flaskapp:py");
	ck_assert_msg(strstr(jstr(j1, "result.dependencies.file"), "pylock.toml") != NULL, "%s",
	    jstr(j1, "result.dependencies.file"));
	unlink(pylock);
	pcb_test_wheels_uvlock(wheels, idx.url, uvlock, "flaskapp", PCB_TEST_FLASK_DISTS);
	j2 = build_ok(dir, app, "--base-image testpy:3.11 -t flaskapp:uv");
	ck_assert_msg(strstr(jstr(j2, "result.dependencies.file"), "uv.lock") != NULL, "%s",
	    jstr(j2, "result.dependencies.file"));
	pcb_strv_init(&l1);
	pcb_strv_init(&l2);
	layers_named(j1, "deps:", &l1);
	layers_named(j2, "deps:", &l2);
	ck_assert_int_ge(l1.n, 1);
	ck_assert_int_eq(l1.n, l2.n);
	for (size_t i = 0; i < l1.n; i++)
		ck_assert_str_eq(l1.v[i], l2.v[i]);
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(j1, "result.dependencies.packages")),
	    json_object_array_length(pcb_test_jget(j2, "result.dependencies.packages")));
	pcb_strv_free(&l1);
	pcb_strv_free(&l2);
	json_object_put(j1);
	json_object_put(j2);
	free(pylock);
	free(uvlock);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* --deps-from-venv: a venv made with the host's Python and the same wheels, copied as
 * installed; the image runs the app. */
START_TEST(flask_from_venv_runs)
{
	char *dir, *app, *venv, *out = NULL, *args, *layout, *body;
	json_object *job;
	int rc;

	if (!ready) {
		/* No docker-registry or python3 on this machine: nothing to run against. */
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	venv = pcb_path_join(dir, "venv");
	rc = pcb_test_runf(&out, "/usr/bin/python3 -m venv '%s' 2>&1 && '%s/bin/pip' install -q "
	    "--no-index --find-links '%s' flask 2>&1", venv, venv, wheels);
	if (rc != 0) {
		/* python3-venv missing: nothing to copy from. */
		fprintf(stderr, "test-deps: no venv (%s), skipped\n", out);
		free(out);
		goto out;
	}
	free(out);
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--base-image testpy:3.11 --deps-from-venv '%s' --output '%s' "
	    "-t flaskapp:venv", venv, layout);
	job = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(job, "result.dependencies.source"), "venv");
	/* The same venv for linux/arm64: its x86_64 native module is refused, by name. */
	{
		char *a2 = pcb_xasprintf("--platform linux/arm64 --base-image scratch --python "
		    "/usr/local/bin/python3.11 --deps-from-venv '%s'", venv), *err = NULL;
		bool ok;
		json_object *bad = build(dir, app, a2, &ok, &err);
		ck_assert(!ok);
		ck_assert_msg(strstr(jstr(bad, "error.message"), "markupsafe/_speedups") != NULL &&
		    strstr(jstr(bad, "error.message"), "another CPU") != NULL, "%s",
		    jstr(bad, "error.message"));
		json_object_put(bad);
		free(err);
		free(a2);
	}
	if (can_run) {
		int port = pcb_test_free_port();
		body = run_image(dir, layout, "venv", NULL, port, "/");
		ck_assert_msg(strstr(body, "flaskapp") != NULL, "%s", body);
		free(body);
		body = run_image(dir, layout, "venv", "[\"flask\", \"--version\"]", 0, NULL);
		ck_assert_msg(strstr(body, "Flask") != NULL, "%s", body);
		free(body);
	}
	json_object_put(job);
	free(args);
	free(layout);
out:
	free(venv);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* linux/arm64 with a lock holding MarkupSafe's x86_64-only wheel: refused, naming it. */
START_TEST(arm64_native_wheel_refused)
{
	char *dir, *app, *lock, *err = NULL;
	json_object *job;
	bool ok;

	if (!ready) {
		/* No docker-registry or python3 on this machine: nothing to run against. */
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	lock = pcb_path_join(app, "pylock.toml");
	pcb_test_wheels_pylock(wheels, idx.url, lock, NULL);
	job = build(dir, app, "--platform linux/arm64 --base-image scratch "
	    "--entrypoint 'python -m flaskapp' --python /usr/local/bin/python3.11", &ok, &err);
	ck_assert(!ok);
	ck_assert_str_eq(jstr(job, "state"), "failed");
	ck_assert_msg(strstr(jstr(job, "error.message"), "markupsafe") != NULL &&
	    strstr(jstr(job, "error.message"), "aarch64") != NULL, "%s",
	    jstr(job, "error.message"));
	/* Only the native one: the pure wheels fit any CPU. */
	ck_assert_msg(strstr(jstr(job, "error.message"), "flask ") == NULL, "%s",
	    jstr(job, "error.message"));
	json_object_put(job);
	free(err);
	free(lock);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Every blob file in the daemon's store still hashes to its name. */
static void
store_intact(void)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "cd '%s/blobs/sha256' && for f in *; do "
	    "[ \"$(sha256sum \"$f\" | cut -d' ' -f1)\" = \"$f\" ] || echo \"BAD $f\"; done",
	    dmn.state);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(out, "BAD") == NULL, "%s", out);
	free(out);
}

/* A lock whose wheel is hostile or does not match its hash: the build fails, saying why,
 * and the store keeps only verified blobs. */
START_TEST(hostile_wheels_fail_cleanly)
{
	static const struct { const char *kind, *expect; } cases[] = {
		{ "zipslip", ".." }, { "absolute", "absolute" }, { "badhash", "hash" },
		{ "corrupt", "evil" }, { "duplicate", "twice" },
	};
	char *dir, *app, *evil_dir, *lock;

	if (!ready) {
		/* No docker-registry or python3 on this machine: nothing to run against. */
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_copy(dir);
	evil_dir = pcb_path_join(dir, "evil");
	lock = pcb_path_join(app, "pylock.toml");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pcb_test_wheelidx eidx;
		char *w, *err = NULL;
		json_object *job;
		bool ok;

		pcb_test_rmtree(evil_dir);
		pcb_test_mkdir(dir, "evil");
		w = pcb_test_wheels_evil(evil_dir, cases[i].kind);
		pcb_test_wheelidx_start(&eidx, evil_dir);
		pcb_test_wheels_pylock(evil_dir, eidx.url, lock, NULL);
		job = build(dir, app, "--base-image testpy:3.11", &ok, &err);
		ck_assert_msg(!ok, "%s: the build succeeded", cases[i].kind);
		ck_assert_msg(strstr(jstr(job, "error.message"), cases[i].expect) != NULL,
		    "%s: %s", cases[i].kind, jstr(job, "error.message"));
		json_object_put(job);
		free(err);
		free(w);
		pcb_test_wheelidx_stop(&eidx);
	}

	/* A wheel whose bytes are not what the lock says. */
	{
		char *text, *bad, *p, *err = NULL;
		json_object *job;
		bool ok;
		pcb_test_wheels_pylock(wheels, idx.url, lock, NULL);
		text = pcb_test_read(lock, NULL);
		p = strstr(text, "sha256 = \"");
		ck_assert_ptr_nonnull(p);
		p += 10;
		*p = *p == '0' ? '1' : '0';
		bad = text;
		pcb_test_write(app, "pylock.toml", bad, 0644);
		free(text);
		job = build(dir, app, "--base-image testpy:3.11", &ok, &err);
		ck_assert(!ok);
		ck_assert_msg(strstr(jstr(job, "error.message"), "sha256") != NULL ||
		    strstr(jstr(job, "error.message"), "digest") != NULL, "%s",
		    jstr(job, "error.message"));
		json_object_put(job);
		free(err);
	}
	store_intact();
	free(lock);
	free(evil_dir);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("deps");
	TCase *tc = tcase_create("deps");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, flask_from_requirements_runs);
	tcase_add_test(tc, poetry_and_setup_cfg_dependencies_installed);
	tcase_add_test(tc, flask_factory_with_templates_runs);
	tcase_add_test(tc, poetry_cli_reads_its_own_version);
	tcase_add_test(tc, fastapi_factory_and_django_run);
	tcase_add_test(tc, pylock_layers_reuse);
	tcase_add_test(tc, resolution_remembered);
	tcase_add_test(tc, bytecode_in_layers);
	tcase_add_test(tc, uvlock_same_layers_as_pylock);
	tcase_add_test(tc, poetry_lock_installed_hash_checked);
	tcase_add_test(tc, flask_from_venv_runs);
	tcase_add_test(tc, arm64_native_wheel_refused);
	tcase_add_test(tc, hostile_wheels_fail_cleanly);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
