/* test-wheelfix.c — checks the wheel fixtures themselves (tests/lib/wheelfix.h) with tools that
 * are not ours: pip downloads from the loopback index and installs the wheels, CPython imports
 * them (MarkupSafe's C extension included) and runs the Flask fixture app, tomllib reads the
 * lock files, and a small zipfile-based checker audits every wheel against its RECORD. The
 * wheel installer's and the build's suites rely on these fixtures behaving as described here. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"
#include "wheelfix.h"

/* pip with nothing from this machine's configuration (the environment may point it at a
 * local wheel directory or a proxy): only what the command line says. */
#define PIP_ENV "env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL " \
	"-u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY -u ALL_PROXY -u all_proxy " \
	"PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 " \
	"PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore /usr/bin/python3 -m pip"
#define PIP_OPTS "--timeout 30 --retries 0"
#define NATIVE_OPTS "--only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 " \
	"--implementation cp --abi cp311"

/* Audits wheels against the wheel spec's rules for what it produces: one line per wheel,
 * "NAME ok" or "NAME problem,problem". */
static const char verify_py[] =
    "import base64, csv, hashlib, io, sys, zipfile\n"
    "for path in sys.argv[1:]:\n"
    "    p = set()\n"
    "    zf = zipfile.ZipFile(path)\n"
    "    names = zf.namelist()\n"
    "    if len(set(names)) != len(names): p.add('duplicate')\n"
    "    for n in names:\n"
    "        if n.startswith('/') or '..' in n.split('/'): p.add('unsafe-path')\n"
    "        if '__pycache__' in n or n.endswith('.pyc'): p.add('pycache')\n"
    "        if n.split('/')[-1] in ('INSTALLER', 'REQUESTED', 'direct_url.json'):\n"
    "            p.add('install-file')\n"
    "    for zi in zf.infolist():\n"
    "        if zi.date_time != (1980, 1, 1, 0, 0, 0): p.add('date')\n"
    "        if (zi.external_attr >> 16) & 0o777 not in (0o644, 0o755): p.add('mode')\n"
    "    rec = [n for n in names if n.endswith('.dist-info/RECORD') and n.count('/') == 1]\n"
    "    if len(rec) != 1:\n"
    "        p.add('record-missing')\n"
    "    else:\n"
    "        rows = {r[0]: r for r in csv.reader(io.StringIO(zf.read(rec[0]).decode())) if r}\n"
    "        for n in set(names) - {rec[0]}:\n"
    "            if n not in rows:\n"
    "                p.add('notinrecord'); continue\n"
    "            try: data = zf.read(n)\n"
    "            except zipfile.BadZipFile: p.add('crc'); continue\n"
    "            h = 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest())"
    ".rstrip(b'=').decode()\n"
    "            if rows[n][1] != h or rows[n][2] != str(len(data)): p.add('badhash')\n"
    "        if any(n not in names for n in rows): p.add('missing')\n"
    "    print(path.rsplit('/', 1)[-1], ','.join(sorted(p)) or 'ok')\n";

static char *tmp;

static void
setup(void)
{
	tmp = pcb_test_tmpdir();
	pcb_test_write(tmp, "verify.py", verify_py, 0644);
}

static void
teardown(void)
{
	pcb_test_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

/* The Flask set into tmp/rel; returns the directory. */
static char *
make_flask_wheels(const char *rel)
{
	char *dir = pcb_path_join(tmp, rel);
	pcb_test_wheels_make(dir, PCB_TEST_FLASK_DISTS);
	ck_assert_int_eq(pcb_test_count_dir(dir), 7);
	return dir;
}

/* The checker's verdict lines for the wheels matching glob in dir. */
static char *
verify(const char *dir, const char *glob)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "/usr/bin/python3 '%s/verify.py' '%s'/%s", tmp, dir, glob);
	ck_assert_msg(rc == 0, "verify.py: %s", out);
	return out;
}

/* Runs a command that must succeed and returns its merged output. */
static char *
must(const char *what, const char *cmd)
{
	char *out = NULL;
	int rc = pcb_test_run(cmd, true, &out);
	ck_assert_msg(rc == 0, "%s failed (%d): %s\n%s", what, rc, cmd, out ? out : "");
	return out;
}

/* pip fetched Flask and what it requires: blinker only with Flask >= 2.3 (Debian 12's python3-flask
 * is 2.2.2, which does not depend on it). */
static void
check_flask_set(const char *dl, const char *pip_out)
{
	const char *need[] = { "flask", "werkzeug", "jinja2", "markupsafe", "click",
	    "itsdangerous" };
	size_t i;
	int n = pcb_test_count_dir(dl);

	for (i = 0; i < sizeof need / sizeof need[0]; i++) {
		char *w = pcb_test_wheels_find(dl, need[i]);
		ck_assert_msg(w != NULL, "pip did not fetch %s:\n%s", need[i], pip_out);
		free(w);
	}
	ck_assert_msg(n == 6 || n == 7, "pip fetched %d files:\n%s", n, pip_out);
}

static char *
sha256_file(const char *path)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "sha256sum '%s'", path);
	ck_assert_msg(rc == 0, "sha256sum: %s", out);
	out[strcspn(out, " ")] = '\0';
	ck_assert_int_eq(strlen(out), 64);
	return out;
}

START_TEST(test_make_wheels)
{
	char *a = make_flask_wheels("a"), *b = make_flask_wheels("b"), *out, *ms, *fl;
	const char *dists[] = { "flask", "werkzeug", "jinja2", "markupsafe", "click",
	    "itsdangerous", "blinker" };
	size_t i;

	/* Every wheel passes the audit: RECORD right, no caches or installer files, fixed
	 * dates and modes. */
	out = verify(a, "*.whl");
	ck_assert_msg(strstr(out, "ok\n") != NULL, "%s", out);
	{
		int oks = 0;
		const char *p;
		for (p = out; (p = strstr(p, " ok\n")) != NULL; p++)
			oks++;
		ck_assert_msg(oks == 7, "not all wheels audit clean:\n%s", out);
	}
	free(out);
	/* Deterministic: a second run gives the same bytes. */
	for (i = 0; i < sizeof dists / sizeof dists[0]; i++) {
		char *wa = pcb_test_wheels_find(a, dists[i]), *wb = pcb_test_wheels_find(b, dists[i]);
		char *ha, *hb;
		ck_assert_msg(wa != NULL && wb != NULL, "no wheel for %s", dists[i]);
		ha = sha256_file(wa);
		hb = sha256_file(wb);
		ck_assert_str_eq(ha, hb);
		free(ha);
		free(hb);
		free(wa);
		free(wb);
	}
	/* MarkupSafe keeps its native tags and its extension; Flask is pure and keeps its console
	 * script as an entry point, not as a file. */
	ms = pcb_test_wheels_find(a, "MarkupSafe");
	ck_assert_msg(strstr(ms, "-cp311-cp311-manylinux") != NULL, "%s", ms);
	fl = pcb_test_wheels_find(a, "flask");
	ck_assert_msg(pcb_str_has_suffix(fl, "-py3-none-any.whl"), "%s", fl);
	out = NULL;
	ck_assert_int_eq(pcb_test_runf(&out, "unzip -Z1 '%s' && unzip -Z1 '%s' && "
	    "unzip -p '%s' '*.dist-info/entry_points.txt'", ms, fl, fl), 0);
	ck_assert_msg(strstr(out, "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so\n") != NULL,
	    "%s", out);
	ck_assert_msg(strstr(out, "flask.cli:main") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "bin/flask"));
	free(out);
	free(ms);
	free(fl);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_index_pip_download)
{
	char *dir = make_flask_wheels("wheels"), *cmd, *out, *dl, *fl, *h1, *h2, *got;
	struct pcb_test_wheelidx w;

	pcb_test_wheelidx_start(&w, dir);
	ck_assert(pcb_str_has_prefix(w.url, "http://127.0.0.1:"));
	/* One project, no dependencies: exactly the flask wheel, byte for byte. */
	dl = pcb_path_join(tmp, "dl1");
	cmd = pcb_xasprintf(PIP_ENV " download " PIP_OPTS " --no-deps --only-binary=:all: "
	    "--index-url '%s' -d '%s' flask", w.simple, dl);
	free(must("pip download --no-deps", cmd));
	free(cmd);
	ck_assert_int_eq(pcb_test_count_dir(dl), 1);
	fl = pcb_test_wheels_find(dir, "flask");
	got = pcb_test_wheels_find(dl, "flask");
	ck_assert_ptr_nonnull(got);
	h1 = sha256_file(fl);
	h2 = sha256_file(got);
	ck_assert_str_eq(h1, h2);
	ck_assert_int_eq(pcb_test_wheelidx_count(&w, "GET", "/files/flask-"), 1);
	ck_assert_int_ge(pcb_test_wheelidx_count(&w, "GET", "/simple/flask/"), 1);
	/* The whole set through the dependency metadata, native wheel chosen for cp311. */
	free(dl);
	dl = pcb_path_join(tmp, "dl2");
	cmd = pcb_xasprintf(PIP_ENV " download " PIP_OPTS " " NATIVE_OPTS " --index-url '%s' "
	    "-d '%s' flask", w.simple, dl);
	out = must("pip download (all)", cmd);
	free(cmd);
	check_flask_set(dl, out);
	free(out);
	free(got);
	got = pcb_test_wheels_find(dl, "markupsafe");
	ck_assert_msg(got != NULL && strstr(got, "manylinux") != NULL, "%s", got ? got : "none");
	pcb_test_wheelidx_stop(&w);
	ck_assert_int_eq(w.pid, 0);
	free(got);
	free(h1);
	free(h2);
	free(fl);
	free(dl);
	free(dir);
}
END_TEST

START_TEST(test_index_pages_and_rescan)
{
	char *dir = make_flask_wheels("wheels"), *cmd, *out = NULL, *dl, *fl, *var, *h;
	struct pcb_test_wheelidx w;

	pcb_test_wheelidx_start(&w, dir);
	/* PEP 503 pages: the root lists every project by normalized name; a project page's
	 * anchors carry the file's sha256; other spellings redirect to the normalized one. */
	ck_assert_int_eq(pcb_test_runf(&out, "curl -sf --noproxy '*' '%s/'", w.simple), 0);
	ck_assert_msg(strstr(out, "href=\"/simple/markupsafe/\"") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "href=\"/simple/itsdangerous/\"") != NULL, "%s", out);
	free(out);
	out = NULL;
	ck_assert_int_eq(pcb_test_runf(&out, "curl -s --noproxy '*' -o /dev/null "
	    "-w '%%{http_code} %%{redirect_url}' '%s/MarkupSafe/'", w.simple), 0);
	ck_assert_msg(strstr(out, "301 ") == out && pcb_str_has_suffix(out, "/simple/markupsafe/"),
	    "%s", out);
	free(out);
	out = NULL;
	ck_assert_int_eq(pcb_test_runf(&out, "curl -s --noproxy '*' -o /dev/null "
	    "-w '%%{http_code}' '%s/no-such-thing/'", w.simple), 0);
	ck_assert_str_eq(out, "404");
	free(out);
	out = NULL;
	fl = pcb_test_wheels_find(dir, "flask");
	h = sha256_file(fl);
	ck_assert_int_eq(pcb_test_runf(&out, "curl -sf --noproxy '*' '%s/flask/'", w.simple), 0);
	ck_assert_msg(strstr(out, h) != NULL && strstr(out, "#sha256=") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "data-requires-python"));
	free(out);
	out = NULL;
	/* The flat page works for pip --find-links. */
	dl = pcb_path_join(tmp, "dl");
	cmd = pcb_xasprintf(PIP_ENV " download " PIP_OPTS " " NATIVE_OPTS " --no-index "
	    "--find-links '%s' -d '%s' flask", w.find_links, dl);
	out = must("pip download --find-links", cmd);
	free(cmd);
	check_flask_set(dl, out);
	free(out);
	out = NULL;
	/* A wheel added while the index runs is served at once: pip now picks the new version. */
	var = pcb_test_wheels_variant(fl, dir, "99.0.1");
	ck_assert_msg(strstr(var, "/flask-99.0.1-py3-none-any.whl") != NULL, "%s", var);
	pcb_test_rmtree(dl);
	cmd = pcb_xasprintf(PIP_ENV " download " PIP_OPTS " --no-deps --only-binary=:all: "
	    "--index-url '%s' -d '%s' flask", w.simple, dl);
	free(must("pip download after adding a wheel", cmd));
	free(cmd);
	free(fl);
	fl = pcb_test_wheels_find(dl, "flask");
	ck_assert_msg(fl != NULL && strstr(fl, "flask-99.0.1-") != NULL, "%s", fl ? fl : "none");
	pcb_test_wheelidx_stop(&w);
	free(var);
	free(h);
	free(fl);
	free(dl);
	free(dir);
}
END_TEST

START_TEST(test_install_and_import)
{
	char *dir = make_flask_wheels("wheels"), *target = pcb_path_join(tmp, "target"), *cmd;
	char *out = NULL;
	const char *py = pcb_test_wheels_python();

	cmd = pcb_xasprintf(PIP_ENV " install " PIP_OPTS " --no-index --find-links '%s' "
	    "--target '%s' flask", dir, target);
	free(must("pip install --target", cmd));
	free(cmd);
	/* The packages come from the target (not from the interpreter's own site-packages, which
	 * may have Flask too), and MarkupSafe runs its C extension. */
	ck_assert_int_eq(pcb_test_runf(&out, "PYTHONPATH='%s' '%s' -c 'import flask, markupsafe, "
	    "markupsafe._speedups; print(flask.__file__); print(markupsafe._speedups.__file__); "
	    "print(markupsafe.escape(\"<b>\"))'", target, py), 0);
	{
		char *want_fl = pcb_xasprintf("%s/flask/__init__.py\n", target);
		char *want_so = pcb_xasprintf("%s/markupsafe/_speedups.", target);
		ck_assert_msg(strstr(out, want_fl) != NULL, "%s", out);
		ck_assert_msg(strstr(out, want_so) != NULL, "%s", out);
		ck_assert_msg(strstr(out, "&lt;b&gt;") != NULL, "%s", out);
		free(want_fl);
		free(want_so);
	}
	free(out);
	out = NULL;
	/* The fixture app answers through Flask's test client with the speedups in use. */
	ck_assert_int_eq(pcb_test_runf(&out, "PYTHONPATH='%s:%s/tests/fixtures/flaskapp' '%s' -c "
	    "'from flaskapp.app import app; c = app.test_client(); r = c.get(\"/\"); "
	    "print(r.status_code, r.get_json()[\"app\"], r.get_json()[\"markupsafe_speedups\"]); "
	    "print(c.get(\"/escape\").data.decode())'", target, pcb_test_source_dir(), py), 0);
	ck_assert_msg(strstr(out, "200 flaskapp True\n&lt;b&gt;") != NULL, "%s", out);
	free(out);
	free(target);
	free(dir);
}
END_TEST

/* Reads a lock file with tomllib and prints "name version filename sha256 size url" per
 * wheel; run by the lock tests. */
static char *
lock_lines(const char *path, bool uv)
{
	char *out = NULL;
	int rc;

	if (uv)
		rc = pcb_test_runf(&out, "/usr/bin/python3 -c 'import sys, tomllib\n"
		    "d = tomllib.load(open(sys.argv[1], \"rb\"))\n"
		    "assert d[\"version\"] == 1\n"
		    "root = d[\"package\"][0]\n"
		    "print(\"root\", root[\"name\"], root[\"source\"][\"virtual\"], "
		    "\" \".join(x[\"name\"] for x in root[\"dependencies\"]))\n"
		    "for p in d[\"package\"][1:]:\n"
		    "    for w in p[\"wheels\"]:\n"
		    "        print(p[\"name\"], p[\"version\"], w[\"url\"].rsplit(\"/\", 1)[1], "
		    "w[\"hash\"], w[\"size\"], p[\"source\"][\"registry\"])\n"
		    "' '%s'", path);
	else
		rc = pcb_test_runf(&out, "/usr/bin/python3 -c 'import sys, tomllib\n"
		    "d = tomllib.load(open(sys.argv[1], \"rb\"))\n"
		    "assert d[\"lock-version\"] == \"1.0\" and d[\"created-by\"] == \"wheelfix\"\n"
		    "for p in d[\"packages\"]:\n"
		    "    for w in p[\"wheels\"]:\n"
		    "        print(p[\"name\"], p[\"version\"], w[\"name\"], "
		    "\"sha256:\" + w[\"hashes\"][\"sha256\"], w[\"size\"], w[\"url\"])\n"
		    "' '%s'", path);
	ck_assert_msg(rc == 0, "lock file %s does not parse: %s", path, out);
	return out;
}

/* Every wheel in dir is in the lock lines with its real hash and size. */
static void
check_lock_hashes(const char *dir, const char *lines, const char **dists, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *whl = pcb_test_wheels_find(dir, dists[i]), *h = sha256_file(whl);
		char *size_out = NULL, *want;
		const char *base = strrchr(whl, '/') + 1;
		ck_assert_int_eq(pcb_test_runf(&size_out, "stat -c %%s '%s'", whl), 0);
		size_out[strcspn(size_out, "\n")] = '\0';
		want = pcb_xasprintf("%s sha256:%s %s ", base, h, size_out);
		ck_assert_msg(strstr(lines, want) != NULL, "missing \"%s\" in:\n%s", want, lines);
		free(want);
		free(size_out);
		free(h);
		free(whl);
	}
}

START_TEST(test_pylock)
{
	char *dir = make_flask_wheels("wheels"), *path = pcb_path_join(tmp, "pylock.toml"), *out;
	const char *all[] = { "flask", "werkzeug", "jinja2", "markupsafe", "click",
	    "itsdangerous", "blinker" };
	char *ms, *msv;
	const char *one[] = { "markupsafe" };

	pcb_test_wheels_pylock(dir, "http://127.0.0.1:1", path, NULL);
	out = lock_lines(path, false);
	check_lock_hashes(dir, out, all, 7);
	ck_assert_msg(strstr(out, " http://127.0.0.1:1/files/flask-") != NULL, "%s", out);
	free(out);
	/* NAME==VERSION picks one package out of a directory holding two versions of it. */
	ms = pcb_test_wheels_find(dir, "markupsafe");
	msv = pcb_test_wheels_variant(ms, dir, "3.9.9");
	pcb_test_wheels_pylock(dir, "http://127.0.0.1:1", path, "MarkupSafe==3.9.9");
	out = lock_lines(path, false);
	ck_assert_msg(strncmp(out, "markupsafe 3.9.9 markupsafe-3.9.9-cp311-cp311-", 46) == 0 &&
	    strchr(out, '\n') == out + strlen(out) - 1, "%s", out);
	{
		/* check_lock_hashes finds the first wheel by name; point it at a dir with only
		 * the variant. */
		char *vdir = pcb_path_join(tmp, "v");
		char *cmd = pcb_xasprintf("mkdir -p '%s' && cp '%s' '%s/'", vdir, msv, vdir);
		free(must("cp", cmd));
		check_lock_hashes(vdir, out, one, 1);
		free(cmd);
		free(vdir);
	}
	free(out);
	free(ms);
	free(msv);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_uvlock)
{
	char *dir = make_flask_wheels("wheels"), *path = pcb_path_join(tmp, "uv.lock"), *out;
	const char *all[] = { "flask", "werkzeug", "jinja2", "markupsafe", "click",
	    "itsdangerous", "blinker" };

	pcb_test_wheels_uvlock(dir, "http://127.0.0.1:2", path, NULL, NULL);
	out = lock_lines(path, true);
	ck_assert_msg(pcb_str_has_prefix(out, "root app . blinker click flask itsdangerous jinja2 "
	    "markupsafe werkzeug\n"), "%s", out);
	check_lock_hashes(dir, out, all, 7);
	ck_assert_msg(strstr(out, " http://127.0.0.1:2/simple\n") != NULL, "%s", out);
	free(out);
	/* The lock records Flask's dependencies on the others. */
	out = pcb_test_read(path, NULL);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, "name = \"flask\"\nversion = ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "dependencies = [\n    { name = \"blinker\" },\n") != NULL,
	    "%s", out);
	free(out);
	pcb_test_wheels_uvlock(dir, "http://127.0.0.1:2", path, "flaskapp", "flask markupsafe");
	out = lock_lines(path, true);
	ck_assert_msg(pcb_str_has_prefix(out, "root flaskapp . flask markupsafe\n"), "%s", out);
	free(out);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_variant)
{
	char *dir = make_flask_wheels("wheels"), *vdir = pcb_path_join(tmp, "var"), *ms, *v, *out;

	ms = pcb_test_wheels_find(dir, "markupsafe");
	v = pcb_test_wheels_variant(ms, vdir, "3.1.0");
	ck_assert_msg(strstr(v, "/markupsafe-3.1.0-cp311-cp311-manylinux") != NULL, "%s", v);
	out = verify(vdir, "*.whl");
	ck_assert_msg(pcb_str_has_suffix(out, " ok\n"), "%s", out);
	free(out);
	out = NULL;
	ck_assert_int_eq(pcb_test_runf(&out, "unzip -Z1 '%s' && unzip -p '%s' "
	    "markupsafe-3.1.0.dist-info/METADATA", v, v), 0);
	ck_assert_msg(strstr(out, "\nVersion: 3.1.0\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "markupsafe-3.1.0.dist-info/RECORD\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "dist-info/WHEEL\n") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "markupsafe-3.0"));
	free(out);
	free(v);
	free(ms);
	free(vdir);
	free(dir);
}
END_TEST

START_TEST(test_evil)
{
	static const struct {
		const char *kind, *problem;
	} cases[] = {
		{ "zipslip", "unsafe-path" }, { "absolute", "unsafe-path" },
		{ "badhash", "badhash" }, { "notinrecord", "notinrecord" },
		{ "corrupt", "crc" }, { "duplicate", "duplicate" },
	};
	size_t i;
	char *out = NULL, *bdir, *bomb;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *d = pcb_path_join(tmp, cases[i].kind), *p = pcb_test_wheels_evil(d,
		    cases[i].kind), *v;
		ck_assert_msg(pcb_str_has_suffix(p, "/evil-1.0-py3-none-any.whl"), "%s", p);
		ck_assert(access(p, R_OK) == 0);
		v = verify(d, "*.whl");
		ck_assert_msg(strstr(v, cases[i].problem) != NULL, "%s: %s", cases[i].kind, v);
		free(v);
		free(p);
		free(d);
	}
	/* A bomb: small on disk, large inflated, with honest sizes in the directory. */
	bdir = pcb_path_join(tmp, "bomb");
	bomb = pcb_test_wheels_bomb(bdir, 64u << 20);
	ck_assert_int_eq(pcb_test_runf(&out, "/usr/bin/python3 -c 'import os, sys, zipfile\n"
	    "z = zipfile.ZipFile(sys.argv[1])\n"
	    "print(sum(i.file_size for i in z.infolist()) >= 64 << 20, "
	    "os.path.getsize(sys.argv[1]) < 1 << 20)' '%s'", bomb), 0);
	ck_assert_str_eq(out, "True True\n");
	free(out);
	free(bomb);
	free(bdir);
}
END_TEST

static Suite *
wheelfix_suite(void)
{
	Suite *s = suite_create("wheelfix");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_make_wheels);
	tcase_add_test(tc, test_index_pip_download);
	tcase_add_test(tc, test_index_pages_and_rescan);
	tcase_add_test(tc, test_install_and_import);
	tcase_add_test(tc, test_pylock);
	tcase_add_test(tc, test_uvlock);
	tcase_add_test(tc, test_variant);
	tcase_add_test(tc, test_evil);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(wheelfix_suite());
}
