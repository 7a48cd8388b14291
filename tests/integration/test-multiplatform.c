/* test-multiplatform.c — multi-platform images end to end: a project with one pure-Python
 * dependency (itsdangerous) and one native one (MarkupSafe with its C extension) built for
 * linux/amd64 and linux/arm64 from a pylock.toml that holds a MarkupSafe wheel for each CPU
 * (the host's x86_64 one re-made from this machine's Python, and an aarch64 one re-tagged from
 * it: its WHEEL tags and the ELF machine of its .so say aarch64, and it is never run), on a
 * base image index in a loopback docker-registry (the host's Python from `pcb base create
 * --from-host` as linux/amd64, plus linux/arm64 and linux/s390x entries that are that base's
 * config with another architecture over the same layers: what a real multi-arch base looks
 * like to the build, which only reads configs and never runs the base on another CPU).
 *
 * Checked: the pushed tag is an index with both platforms (skopeo inspect --raw); the app
 * layer is the same blob in both manifests and was packed once; the MarkupSafe layer differs,
 * the itsdangerous and venv layers are shared; the amd64 image runs under runc and loads
 * MarkupSafe's speedups; the OCI layout output holds the index; pcb inspect lists every
 * platform; a platform with no fitting wheel fails the build with the platform guard's
 * message naming it, and with --platform-fail=skip is left out and named; pycontainer.toml's
 * platforms = [...] asks for the same (strictly read). */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "ocicheck.h"
#include "regfix.h"
#include "testutil.h"
#include "wheelfix.h"

/* Suite-wide, made once by the unchecked fixture (forked tests inherit them). */
static char *top;
static char *wheels;              /* markupsafe (x86_64 + aarch64) and itsdangerous */
static struct pcb_test_wheelidx idx;
static struct pcb_test_daemon dmn;
static struct pcb_test_registry reg;
static char *base_ref;            /* the base index in the registry */
static bool ready;
static char *setup_error;
static bool can_run;              /* root, umoci and runc */

/* Re-tags a wheel built for x86_64 as one for arch: its file name, its WHEEL tags, the ELF
 * machine of its shared objects (EM_AARCH64 = 183) and its RECORD. */
static const char retag_py[] =
    "import base64, hashlib, os, sys, zipfile\n"
    "src, outdir, arch, machine = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
    "zin = zipfile.ZipFile(src)\n"
    "order = zin.namelist()\n"
    "files = {n: zin.read(n) for n in order}\n"
    "def h(b):\n"
    "    return 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode()\n"
    "for n in order:\n"
    "    if n.endswith('.dist-info/WHEEL'):\n"
    "        files[n] = files[n].replace(b'x86_64', arch.encode())\n"
    "    elif '.so' in n and files[n][:4] == b'\\x7fELF':\n"
    "        b = bytearray(files[n]); b[18:20] = machine.to_bytes(2, 'little'); files[n] = bytes(b)\n"
    "rec = [n for n in order if n.endswith('.dist-info/RECORD')][0]\n"
    "files[rec] = ''.join(n + ',,\\n' if n == rec else '%s,%s,%d\\n' % (n, h(files[n]), len(files[n]))\n"
    "                     for n in order).encode()\n"
    "out = os.path.join(outdir, os.path.basename(src).replace('x86_64', arch))\n"
    "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "    for n in order:\n"
    "        zi = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))\n"
    "        zi.external_attr = zin.getinfo(n).external_attr\n"
    "        zi.compress_type = zipfile.ZIP_DEFLATED\n"
    "        z.writestr(zi, files[n])\n"
    "print(out)\n";

/* Makes HOST/REPO:DST an index of HOST/REPO:SRC (for its own architecture) and, for each
 * further architecture, a manifest over the same layers whose config says that one. */
static const char baseidx_py[] =
    "import hashlib, json, sys, urllib.request\n"
    "host, repo, src, dst = sys.argv[1:5]\n"
    "base = 'http://%s/v2/%s' % (host, repo)\n"
    "MT = 'application/vnd.oci.image.manifest.v1+json'\n"
    "def req(url, method='GET', data=None, headers={}):\n"
    "    r = urllib.request.Request(url, method=method, data=data, headers=headers)\n"
    "    with urllib.request.urlopen(r, timeout=30) as f:\n"
    "        return f.read(), f.headers\n"
    "def sha(b):\n"
    "    return 'sha256:' + hashlib.sha256(b).hexdigest()\n"
    "def put_blob(b):\n"
    "    _, hd = req(base + '/blobs/uploads/', 'POST', b'')\n"
    "    loc = hd['Location']\n"
    "    if loc.startswith('/'):\n"
    "        loc = 'http://' + host + loc\n"
    "    req(loc + ('&' if '?' in loc else '?') + 'digest=' + sha(b), 'PUT', b,\n"
    "        {'Content-Type': 'application/octet-stream'})\n"
    "    return sha(b)\n"
    "def put_manifest(ref, b, mt):\n"
    "    req(base + '/manifests/' + ref, 'PUT', b, {'Content-Type': mt})\n"
    "    return sha(b)\n"
    "raw, hd = req(base + '/manifests/' + src, headers={'Accept': MT})\n"
    "man = json.loads(raw)\n"
    "mt = man.get('mediaType', MT)\n"
    "cfg = json.loads(req(base + '/blobs/' + man['config']['digest'])[0])\n"
    "entries = [{'mediaType': mt, 'digest': sha(raw), 'size': len(raw),\n"
    "            'platform': {'architecture': cfg['architecture'], 'os': cfg['os']}}]\n"
    "for arch in sys.argv[5:]:\n"
    "    c = dict(cfg, architecture=arch)\n"
    "    cb = json.dumps(c, sort_keys=True).encode()\n"
    "    m = dict(man, config=dict(man['config'], digest=put_blob(cb), size=len(cb)))\n"
    "    mb = json.dumps(m).encode()\n"
    "    entries.append({'mediaType': mt, 'digest': put_manifest(sha(mb), mb, mt),\n"
    "                    'size': len(mb), 'platform': {'architecture': arch, 'os': 'linux'}})\n"
    "idx = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',\n"
    "       'manifests': entries}\n"
    "put_manifest(dst, json.dumps(idx).encode(), idx['mediaType'])\n";

static char *
pcb_bin(void)
{
	return pcb_path_join(pcb_test_build_dir(), "pcb");
}

static void
suite_setup(void)
{
	char *pcb, *out = NULL, *x86 = NULL;
	int rc;

	if (access("/usr/bin/python3", X_OK) != 0 || !pcb_test_have("docker-registry") ||
	    !pcb_test_have("skopeo"))
		return;
	top = pcb_test_tmpdir();
	wheels = pcb_path_join(top, "wheels");
	pcb_test_wheels_make(wheels, "markupsafe itsdangerous");
	x86 = pcb_test_wheels_find(wheels, "markupsafe");
	if (x86 == NULL || strstr(x86, "x86_64") == NULL) {
		setup_error = pcb_xasprintf("no x86_64 MarkupSafe wheel was made (%s)",
		    x86 != NULL ? x86 : "none");
		goto out;
	}
	pcb_test_write(top, "retag.py", retag_py, 0644);
	rc = pcb_test_runf(&out, "/usr/bin/python3 '%s/retag.py' '%s' '%s' aarch64 183 2>&1", top,
	    x86, wheels);
	if (rc != 0) {
		setup_error = pcb_xasprintf("re-tagging the MarkupSafe wheel: %s", out);
		goto out;
	}
	free(out);
	out = NULL;
	pcb_test_wheelidx_start(&idx, wheels);
	pcb_test_daemon_start(&dmn, NULL, NULL);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb = pcb_bin();
	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s base create --from-host "
	    "--python /usr/bin/python3 -t testpy:3.11 -q 2>&1 && %s -H %s push testpy:3.11 "
	    "%s/lib/python:3.11-amd64 -q 2>&1", pcb, dmn.host, pcb, dmn.host, reg.host);
	free(pcb);
	if (rc != 0) {
		setup_error = pcb_xasprintf("making and pushing the host base: %s", out);
		goto out;
	}
	free(out);
	out = NULL;
	pcb_test_write(top, "baseidx.py", baseidx_py, 0644);
	rc = pcb_test_runf(&out, "/usr/bin/python3 '%s/baseidx.py' '%s' lib/python 3.11-amd64 "
	    "3.11 arm64 s390x 2>&1", top, reg.host);
	if (rc != 0) {
		setup_error = pcb_xasprintf("making the base index: %s", out);
		goto out;
	}
	base_ref = pcb_xasprintf("%s/lib/python:3.11", reg.host);
	ready = true;
	can_run = getuid() == 0 && pcb_test_have("umoci") && pcb_test_have("runc");
out:
	free(out);
	free(x86);
}

static void
suite_teardown(void)
{
	if (top == NULL)
		return;
	if (dmn.pid > 0) {
		pcb_test_daemon_stop(&dmn);
		pcb_test_daemon_free(&dmn, true);
	}
	if (idx.pid > 0)
		pcb_test_wheelidx_stop(&idx);
	if (reg.pid > 0)
		pcb_test_registry_stop(&reg);
	pcb_test_rmtree(top);
	free(top);
	free(wheels);
	free(base_ref);
}

/* A project needing both dependencies, whose command says what it could import. */
static char *
project(const char *dir)
{
	char *app = pcb_path_join(dir, "mpapp"), *lock;

	pcb_test_write(app, "pyproject.toml",
	    "[project]\nname = \"mpapp\"\nversion = \"1.0.0\"\nrequires-python = \">=3.11\"\n"
	    "dependencies = [\"markupsafe\", \"itsdangerous\"]\n", 0644);
	pcb_test_write(app, ".python-version", "3.11\n", 0644);
	pcb_test_write(app, "mpapp/__init__.py", "", 0644);
	pcb_test_write(app, "mpapp/__main__.py",
	    "import platform\nimport itsdangerous, markupsafe\n"
	    "from markupsafe import _speedups\n"
	    "print('mpapp on', platform.machine(), 'speedups', _speedups.__name__,\n"
	    "      'escape', markupsafe.escape('<x>'))\n", 0644);
	lock = pcb_path_join(app, "pylock.toml");
	pcb_test_wheels_pylock(wheels, idx.url, lock, NULL);
	free(lock);
	return app;
}

/* `pcb build CONTEXT --json ARGS`: the final build resource; *ok_out: exit status 0;
 * *err_out (may be NULL): stderr. */
static json_object *
build(const char *dir, const char *context, const char *args, bool *ok_out, char **err_out)
{
	char *pcb = pcb_bin(), *out = NULL, *errf = pcb_path_join(dir, "pcb.err");
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s build '%s' --json "
	    "--base-image %s --entrypoint 'python -m mpapp' %s 2>'%s'", pcb, dmn.host, context,
	    base_ref, args, errf);
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

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL ? json_object_get_string(v) : NULL;
}

/* The entry of result.platforms for plat. */
static json_object *
platform_result(json_object *job, const char *plat)
{
	json_object *ps = pcb_test_jget(job, "result.platforms");

	ck_assert_ptr_nonnull(ps);
	for (size_t i = 0; i < json_object_array_length(ps); i++) {
		json_object *p = json_object_array_get_idx(ps, i);
		if (strcmp(jstr(p, "platform"), plat) == 0)
			return p;
	}
	ck_abort_msg("no platform %s in the result", plat);
	return NULL;
}

/* The digest of the layer of a platform's result that is named name, or holds a
 * distribution whose "name version" starts with name. */
static const char *
layer_of(json_object *pres, const char *name)
{
	json_object *ls = pcb_test_jget(pres, "layers");

	for (size_t i = 0; ls != NULL && i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i), *c = NULL;
		if (strcmp(jstr(l, "name"), name) == 0)
			return jstr(l, "digest");
		json_object_object_get_ex(l, "contents", &c);
		for (size_t k = 0; c != NULL && k < json_object_array_length(c); k++)
			if (pcb_str_has_prefix(json_object_get_string(json_object_array_get_idx(c, k)),
			    name))
				return jstr(l, "digest");
	}
	ck_abort_msg("no layer %s in %s", name, pcb_json_str(pres));
	return NULL;
}

/* skopeo inspect --raw of a reference, parsed. */
static json_object *
raw(const char *ref)
{
	char *out = NULL;
	json_object *j;
	int rc = pcb_test_runf(&out, "skopeo inspect --raw --tls-verify=false '%s' 2>&1", ref);

	ck_assert_msg(rc == 0, "skopeo inspect --raw %s: %s", ref, out);
	j = json_tokener_parse(out);
	ck_assert_msg(j != NULL, "%s", out);
	free(out);
	return j;
}

/* The index's manifest digest for architecture arch (NULL when none). */
static const char *
index_entry(json_object *index, const char *arch)
{
	json_object *ms = pcb_test_jget(index, "manifests");

	for (size_t i = 0; ms != NULL && i < json_object_array_length(ms); i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		if (strcmp(jstr(m, "platform.architecture"), arch) == 0 &&
		    strcmp(jstr(m, "platform.os"), "linux") == 0)
			return jstr(m, "digest");
	}
	return NULL;
}

/* The layer digests of a manifest, in order, as one space-separated string. */
static char *
layer_list(json_object *manifest)
{
	json_object *ls = pcb_test_jget(manifest, "layers");
	struct pcb_buf b;

	pcb_buf_init(&b, 1 << 20);
	for (size_t i = 0; ls != NULL && i < json_object_array_length(ls); i++)
		(void)pcb_buf_appendf(&b, "%s ", jstr(json_object_array_get_idx(ls, i), "digest"));
	return pcb_buf_steal(&b, NULL);
}

/* Runs the image layout:ref under runc (host network, no terminal) and returns its output. */
static char *
run_image(const char *dir, const char *layout, const char *ref)
{
	char *bundle = pcb_path_join(dir, "bundle"), *out = NULL, *id;
	int rc;

	rc = pcb_test_runf(&out, "umoci unpack --image '%s:%s' '%s' 2>&1", layout, ref, bundle);
	ck_assert_msg(rc == 0, "umoci unpack: %s", out);
	free(out);
	out = NULL;
	rc = pcb_test_runf(&out, "/usr/bin/python3 -c \"import json, sys; p = sys.argv[1]; "
	    "c = json.load(open(p)); c['process']['terminal'] = False; "
	    "c['linux']['namespaces'] = [x for x in c['linux']['namespaces'] "
	    "if x['type'] != 'network']; json.dump(c, open(p, 'w'))\" '%s/config.json' 2>&1",
	    bundle);
	ck_assert_msg(rc == 0, "editing config.json: %s", out);
	free(out);
	out = NULL;
	id = pcb_xasprintf("pcbtest-mp-%d", (int)getpid());
	rc = pcb_test_runf(&out, "runc run --bundle '%s' '%s' 2>&1 </dev/null", bundle, id);
	(void)pcb_test_runf(NULL, "runc delete -f '%s' >/dev/null 2>&1", id);
	ck_assert_msg(rc == 0, "runc run (exit %d): %s", rc, out);
	free(id);
	free(bundle);
	return out;
}

#define SKIP_UNLESS_READY() do { \
	if (!ready) { \
		/* No docker-registry, skopeo or python3 here: nothing to run against. */ \
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error); \
		return; \
	} \
} while (0)

/* linux/amd64 + linux/arm64, pushed and written as an OCI layout. */
START_TEST(two_platforms_pushed_and_run)
{
	char *dir = pcb_test_tmpdir(), *app, *layout, *args, *err = NULL, *ref, *out = NULL;
	char *amd_layers, *arm_layers, *logs = NULL, *pcb = pcb_bin();
	json_object *job, *index, *amd, *arm, *lidx, *pa, *pr;
	const char *app_amd, *app_arm, *amd_digest, *arm_digest;
	bool ok;
	int rc;

	SKIP_UNLESS_READY();
	app = project(dir);
	layout = pcb_path_join(dir, "layout");
	ref = pcb_xasprintf("%s/team/mpapp:1", reg.host);
	args = pcb_xasprintf("--platform linux/amd64,linux/arm64 -t %s --push -o type=oci,dest=%s",
	    ref, layout);
	job = build(dir, app, args, &ok, &err);
	ck_assert_msg(ok, "build failed: %s\n%s", err, pcb_json_str(job));
	/* The result: the index, then each platform's manifest and layers. */
	ck_assert_str_eq(jstr(job, "result.manifest.mediaType"),
	    "application/vnd.oci.image.index.v1+json");
	ck_assert_str_eq(jstr(job, "result.index.digest"), jstr(job, "result.manifest.digest"));
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(job, "result.platforms")), 2);
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(job, "result.skipped")), 0);
	pa = platform_result(job, "linux/amd64");
	pr = platform_result(job, "linux/arm64");
	ck_assert_str_eq(jstr(pa, "dependencies.source"), "lock");

	/* The registry has an index with both platforms under the tag. */
	out = pcb_xasprintf("docker://%s", ref);
	index = raw(out);
	free(out);
	out = NULL;
	ck_assert_str_eq(jstr(index, "mediaType"), "application/vnd.oci.image.index.v1+json");
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(index, "manifests")), 2);
	amd_digest = index_entry(index, "amd64");
	arm_digest = index_entry(index, "arm64");
	ck_assert_ptr_nonnull(amd_digest);
	ck_assert_ptr_nonnull(arm_digest);
	ck_assert_str_eq(amd_digest, jstr(pa, "manifest.digest"));
	ck_assert_str_eq(arm_digest, jstr(pr, "manifest.digest"));
	out = pcb_xasprintf("docker://%s/team/mpapp@%s", reg.host, amd_digest);
	amd = raw(out);
	free(out);
	out = pcb_xasprintf("docker://%s/team/mpapp@%s", reg.host, arm_digest);
	arm = raw(out);
	free(out);
	out = NULL;
	amd_layers = layer_list(amd);
	arm_layers = layer_list(arm);

	/* One app layer for both (the last one), packed once; MarkupSafe's layer per CPU;
	 * itsdangerous's and the venv's the same blob in both. */
	app_amd = layer_of(pa, "app");
	app_arm = layer_of(pr, "app");
	ck_assert_str_eq(app_amd, app_arm);
	ck_assert_msg(strstr(amd_layers, app_amd) != NULL && strstr(arm_layers, app_arm) != NULL,
	    "%s / %s", amd_layers, arm_layers);
	ck_assert_str_ne(layer_of(pa, "markupsafe"), layer_of(pr, "markupsafe"));
	ck_assert_msg(strstr(amd_layers, layer_of(pa, "markupsafe")) != NULL &&
	    strstr(arm_layers, layer_of(pr, "markupsafe")) != NULL, "%s / %s", amd_layers,
	    arm_layers);
	ck_assert_str_eq(layer_of(pa, "itsdangerous"), layer_of(pr, "itsdangerous"));
	ck_assert_msg(strstr(arm_layers, layer_of(pa, "itsdangerous")) != NULL, "%s", arm_layers);
	ck_assert_str_eq(layer_of(pa, "venv"), layer_of(pr, "venv"));
	rc = pcb_test_runf(&logs, "%s -H %s logs %s 2>&1", pcb, dmn.host, jstr(job, "id"));
	ck_assert_msg(rc == 0, "%s", logs);
	{
		int packs = 0;
		for (const char *p = logs; (p = strstr(p, "app layer:")) != NULL; p++)
			packs++;
		ck_assert_msg(packs == 1, "the app layer was made %d times:\n%s", packs, logs);
	}
	ck_assert_msg(strstr(logs, "linux/arm64: ") != NULL, "%s", logs);

	/* The OCI layout holds the index (skopeo reads it), and each platform's image. */
	out = pcb_xasprintf("oci:%s:1", layout);
	lidx = raw(out);
	free(out);
	out = NULL;
	ck_assert_str_eq(jstr(lidx, "mediaType"), "application/vnd.oci.image.index.v1+json");
	ck_assert_str_eq(index_entry(lidx, "amd64"), amd_digest);
	ck_assert_str_eq(index_entry(lidx, "arm64"), arm_digest);
	rc = pcb_test_runf(&out, "skopeo inspect --override-arch arm64 oci:%s:1 2>&1 | "
	    "grep '\"Architecture\"'", layout);
	ck_assert_msg(rc == 0 && strstr(out, "arm64") != NULL, "%s", out);
	free(out);
	out = NULL;

	/* pcb inspect names every platform of the index. */
	rc = pcb_test_runf(&out, "%s -H %s inspect %s 2>&1", pcb, dmn.host, ref);
	ck_assert_msg(rc == 0 && strstr(out, "Platforms:") != NULL &&
	    strstr(out, amd_digest) != NULL && strstr(out, arm_digest) != NULL, "%s", out);
	free(out);
	out = NULL;

	/* The amd64 image runs: umoci takes one image per ref, so the layout gets a ref for the
	 * amd64 manifest beside the index's. */
	if (can_run) {
		rc = pcb_test_runf(&out, "/usr/bin/python3 -c \"import json, sys; p = sys.argv[1]; "
		    "i = json.load(open(p)); i['manifests'].append({'mediaType': "
		    "'application/vnd.oci.image.manifest.v1+json', 'digest': sys.argv[2], 'size': "
		    "int(sys.argv[3]), 'annotations': {'org.opencontainers.image.ref.name': "
		    "'amd64'}}); json.dump(i, open(p, 'w'))\" '%s/index.json' '%s' '%s' 2>&1",
		    layout, amd_digest, jstr(pa, "manifest.size"));
		ck_assert_msg(rc == 0, "%s", out);
		free(out);
		out = run_image(dir, layout, "amd64");
		ck_assert_msg(strstr(out, "mpapp on x86_64 speedups markupsafe._speedups") != NULL &&
		    strstr(out, "&lt;x&gt;") != NULL, "%s", out);
	}
	free(out);
	free(logs);
	free(amd_layers);
	free(arm_layers);
	json_object_put(index);
	json_object_put(amd);
	json_object_put(arm);
	json_object_put(lidx);
	json_object_put(job);
	free(err);
	free(args);
	free(ref);
	free(layout);
	free(app);
	free(pcb);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* linux/s390x has no MarkupSafe wheel: without skip the build fails with the platform guard's
 * message naming the platform; with --platform-fail=skip the rest is built and it is named. */
START_TEST(platform_without_wheel_fails_or_is_skipped)
{
	char *dir = pcb_test_tmpdir(), *app, *err = NULL, *layout, *args;
	json_object *job, *lidx, *sk;
	bool ok;

	SKIP_UNLESS_READY();
	app = project(dir);
	job = build(dir, app, "--platform linux/amd64,linux/s390x -t mpapp:fail", &ok, &err);
	ck_assert(!ok);
	ck_assert_str_eq(jstr(job, "state"), "failed");
	ck_assert_msg(strstr(jstr(job, "error.message"), "platform linux/s390x") != NULL &&
	    strstr(jstr(job, "error.message"), "markupsafe") != NULL &&
	    strstr(jstr(job, "error.message"), "s390x") != NULL, "%s",
	    jstr(job, "error.message"));
	ck_assert_msg(strstr(jstr(job, "error.message"), "linux/amd64") == NULL, "%s",
	    jstr(job, "error.message"));
	json_object_put(job);
	free(err);
	err = NULL;

	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--platform linux/amd64,linux/arm64,linux/s390x --platform-fail=skip "
	    "-t mpapp:skip -o type=oci,dest=%s", layout);
	job = build(dir, app, args, &ok, &err);
	ck_assert_msg(ok, "build failed: %s\n%s", err, pcb_json_str(job));
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(job, "result.platforms")), 2);
	sk = pcb_test_jget(job, "result.skipped");
	ck_assert_int_eq(json_object_array_length(sk), 1);
	ck_assert_str_eq(jstr(json_object_array_get_idx(sk, 0), "platform"), "linux/s390x");
	ck_assert_msg(strstr(jstr(json_object_array_get_idx(sk, 0), "error"), "markupsafe") !=
	    NULL, "%s", pcb_json_str(sk));
	/* Said on the way (a warning event, pcb's summary) too. */
	ck_assert_msg(strstr(err, "platform linux/s390x skipped") != NULL, "%s", err);
	json_object_put(job);
	free(args);
	args = pcb_xasprintf("oci:%s:skip", layout);
	lidx = raw(args);
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(lidx, "manifests")), 2);
	ck_assert_ptr_nonnull(index_entry(lidx, "amd64"));
	ck_assert_ptr_nonnull(index_entry(lidx, "arm64"));
	ck_assert_ptr_null(index_entry(lidx, "s390x"));
	json_object_put(lidx);
	free(args);
	free(err);
	free(layout);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* platforms = [...] in pycontainer.toml asks for the index (and --dry-run shows the list
 * and where it came from); a single --platform still wins; a list naming one platform twice
 * is refused, naming the file and key. */
START_TEST(config_platforms)
{
	char *dir = pcb_test_tmpdir(), *app, *err = NULL, *pcb = pcb_bin(), *out = NULL;
	json_object *job, *plan;
	bool ok;
	int rc;

	SKIP_UNLESS_READY();
	app = project(dir);
	pcb_test_write(app, "pycontainer.toml", "[build]\nplatforms = [\"linux/arm64\", "
	    "\"linux/amd64\"]\n", 0644);
	rc = pcb_test_runf(&out, "%s -H %s build '%s' --dry-run --json --base-image %s 2>&1", pcb,
	    dmn.host, app, base_ref);
	ck_assert_msg(rc == 0, "%s", out);
	plan = json_tokener_parse(out);
	ck_assert_msg(plan != NULL, "%s", out);
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(plan, "platforms")), 2);
	ck_assert_msg(strstr(jstr(plan, "sources.platforms"), "pycontainer.toml") != NULL, "%s",
	    out);
	json_object_put(plan);
	free(out);
	out = NULL;
	job = build(dir, app, "-t mpapp:cfg", &ok, &err);
	ck_assert_msg(ok, "build failed: %s\n%s", err, pcb_json_str(job));
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(job, "result.platforms")), 2);
	ck_assert_str_eq(jstr(job, "result.platforms.0.platform"), "linux/arm64");
	ck_assert_str_eq(jstr(job, "result.platform"), "linux/arm64,linux/amd64");
	/* The host's platform stands for the index at the top of the result. */
	ck_assert_str_eq(jstr(job, "result.config.digest"),
	    jstr(job, "result.platforms.1.config.digest"));
	json_object_put(job);
	free(err);
	err = NULL;
	job = build(dir, app, "-t mpapp:one --platform linux/amd64", &ok, &err);
	ck_assert_msg(ok, "build failed: %s\n%s", err, pcb_json_str(job));
	ck_assert_ptr_null(pcb_test_jget(job, "result.platforms"));
	ck_assert_str_eq(jstr(job, "result.manifest.mediaType"),
	    "application/vnd.oci.image.manifest.v1+json");
	json_object_put(job);
	free(err);
	err = NULL;
	pcb_test_write(app, "pycontainer.toml", "[build]\nplatforms = [\"linux/arm64\", "
	    "\"linux/aarch64\"]\n", 0644);
	job = build(dir, app, "-t mpapp:dup", &ok, &err);
	ck_assert(!ok);
	ck_assert_msg(strstr(jstr(job, "error.message"), "pycontainer.toml") != NULL &&
	    strstr(jstr(job, "error.message"), "platforms") != NULL &&
	    strstr(jstr(job, "error.message"), "twice") != NULL, "%s",
	    jstr(job, "error.message"));
	json_object_put(job);
	free(err);
	free(app);
	free(pcb);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("multiplatform");
	TCase *tc = tcase_create("multiplatform");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, two_platforms_pushed_and_run);
	tcase_add_test(tc, platform_without_wheel_fails_or_is_skipped);
	tcase_add_test(tc, config_platforms);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
