/* test-lockfile.c — pylock.toml and uv.lock selection (common/python/lockfile.c) for
 * linux/x86_64 and linux/arm64 images: markers on packages and on edges, extras and dependency groups, the
 * best-fitting wheel among several, relative paths, uv's forked packages and workspaces, every
 * package without a fitting wheel listed in one error, and bad files named with their line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python/lockfile.h"
#include "python/wheel.h"
#include "testutil.h"

#define HEX(c2) c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 \
	c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2 c2

static char *
fixture(const char *name)
{
	return pcb_xasprintf("%s/tests/fixtures/lock/%s", pcb_test_source_dir(), name);
}

static void
target(struct pcb_pytarget *t, const char *arch, const char *py)
{
	struct pcb_err err;
	pcb_err_clear(&err);
	ck_assert_msg(pcb_pytarget_init(t, "linux", arch, NULL, py, &err) == 0, "%s", err.msg);
}

static int
load(const char *path, const char *arch, const char *py, const struct pcb_lock_select *sel,
    struct pcb_lock *l, struct pcb_err *err)
{
	struct pcb_pytarget t;
	target(&t, arch, py);
	pcb_err_clear(err);
	memset(l, 0, sizeof *l);
	return pcb_lock_load(path, &t, sel, l, err);
}

static const struct pcb_locked_wheel *
find(const struct pcb_lock *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* The selected names, comma-separated, in the lock's order. */
static char *
names(const struct pcb_lock *l)
{
	struct pcb_buf b;
	pcb_buf_init(&b, 4096);
	for (size_t i = 0; i < l->n; i++)
		ck_assert_int_eq(pcb_buf_appendf(&b, "%s%s", i ? "," : "", l->v[i].name), 0);
	if (b.data == NULL)
		return pcb_xstrdup("");
	return pcb_buf_steal(&b, NULL);
}

static void
assert_names(const struct pcb_lock *l, const char *want)
{
	char *got = names(l);
	ck_assert_str_eq(got, want);
	free(got);
}

/* Every entry has exactly one of url/path, a 64-digit lower-case sha256 and a .whl name. */
static void
assert_well_formed(const struct pcb_lock *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pcb_locked_wheel *w = &l->v[i];
		ck_assert_msg((w->url == NULL) != (w->path == NULL), "%s: url xor path", w->name);
		ck_assert_uint_eq(strlen(w->sha256), 64);
		ck_assert_uint_eq(strspn(w->sha256, "0123456789abcdef"), 64);
		ck_assert_msg(pcb_str_has_suffix(w->filename, ".whl"), "%s", w->filename);
		ck_assert_ptr_nonnull(w->version);
		if (i > 0)
			ck_assert_int_lt(strcmp(l->v[i - 1].name, w->name), 0);
	}
}

/* Writes a lock file named name into a fresh temp dir; *dir_out to remove afterwards. */
static char *
temp_lock(const char *name, const char *content, char **dir_out)
{
	char *dir = pcb_test_tmpdir();
	pcb_test_write(dir, name, content, 0644);
	*dir_out = dir;
	return pcb_path_join(dir, name);
}

/* ---- pylock.toml ---------------------------------------------------------------------------- */

START_TEST(test_pylock_x86_64)
{
	char *path = fixture("pylock.toml"), *want_path;
	struct pcb_lock l;
	struct pcb_err err;
	const struct pcb_locked_wheel *w;

	ck_assert_msg(load(path, "amd64", "3.11", NULL, &l, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(l.kind, PCB_LOCK_PYLOCK);
	assert_names(&l, "attrs,fastlib,localpkg,markupsafe,onlyx86");
	assert_well_formed(&l);
	/* pywin32 (win32), tomli (python < 3.11), pytest (dev group not asked). */
	ck_assert_uint_eq(l.skipped, 3);

	w = find(&l, "markupsafe");
	/* The cp311 manylinux wheel beats py3-none-any and the cp312 one cannot be used. */
	ck_assert_str_eq(w->filename,
	    "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	ck_assert_str_eq(w->url, "https://files.example.org/packages/MarkupSafe-2.1.5-cp311-cp311-"
	    "manylinux_2_17_x86_64.manylinux2014_x86_64.whl?x=1");
	ck_assert_str_eq(w->sha256, HEX("b1"));
	ck_assert_str_eq(w->version, "2.1.5");
	ck_assert_uint_eq(w->size, 28000);

	w = find(&l, "attrs");
	ck_assert_str_eq(w->filename, "attrs-25.1.0-py3-none-any.whl");
	ck_assert_uint_eq(w->size, 63152);
	ck_assert_str_eq(w->sha256, HEX("aa"));

	/* The "name" key wins over a URL whose last segment is no file name. */
	w = find(&l, "onlyx86");
	ck_assert_str_eq(w->filename, "onlyx86-1.0-cp311-cp311-manylinux_2_17_x86_64.whl");
	ck_assert_str_eq(w->url, "https://files.example.org/onlyx86/download?id=7");

	w = find(&l, "fastlib");
	ck_assert_str_eq(w->filename, "fastlib-0.3-cp311-cp311-manylinux_2_28_x86_64.whl");

	/* Relative paths are resolved against the lock file's folder. */
	w = find(&l, "localpkg");
	ck_assert_ptr_null(w->url);
	want_path = pcb_xasprintf("%s/tests/fixtures/lock/wheels/localpkg-0.1-py3-none-any.whl",
	    pcb_test_source_dir());
	ck_assert_msg(w->path[0] == '/', "%s", w->path);
	ck_assert_msg(pcb_str_has_suffix(w->path, "/tests/fixtures/lock/wheels/localpkg-0.1-py3-"
	    "none-any.whl"), "%s", w->path);
	free(want_path);
	pcb_lock_free(&l);
	free(path);
}
END_TEST

START_TEST(test_pylock_arm64_lists_every_missing_wheel)
{
	char *path = fixture("pylock.toml");
	struct pcb_lock l;
	struct pcb_err err;

	ck_assert_int_eq(load(path, "arm64", "3.11", NULL, &l, &err), PCB_EINVAL);
	ck_assert_msg(pcb_str_has_prefix(err.msg, path), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "onlyx86 1.0: wheels for manylinux_2_17_x86_64 only") != NULL,
	    "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "fastlib 0.3: wheels for manylinux_2_28_x86_64, "
	    "musllinux_1_2_x86_64 only") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "linux aarch64") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "markupsafe") == NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "pywin32") == NULL, "%s", err.msg);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
	free(path);
}
END_TEST

START_TEST(test_pylock_groups_and_extras)
{
	char *path = fixture("pylock.toml");
	struct pcb_strv groups, extras;
	struct pcb_lock_select sel = { NULL, &groups };
	struct pcb_lock l;
	struct pcb_err err;

	pcb_strv_init(&groups);
	pcb_strv_init(&extras);
	pcb_strv_push(&groups, "Dev");
	ck_assert_msg(load(path, "amd64", "3.11", &sel, &l, &err) == 0, "%s", err.msg);
	assert_names(&l, "attrs,fastlib,localpkg,markupsafe,onlyx86,pytest");
	ck_assert_uint_eq(l.skipped, 2);
	pcb_lock_free(&l);

	/* A group or extra the lock does not offer is an error, not an empty selection. */
	pcb_strv_push(&groups, "docs");
	ck_assert_int_eq(load(path, "amd64", "3.11", &sel, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "dependency group 'docs'") != NULL, "%s", err.msg);
	sel.groups = NULL;
	sel.extras = &extras;
	pcb_strv_push(&extras, "fast");
	ck_assert_int_eq(load(path, "amd64", "3.11", &sel, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "extra 'fast'") != NULL, "%s", err.msg);
	pcb_strv_free(&groups);
	pcb_strv_free(&extras);
	free(path);
}
END_TEST

START_TEST(test_pylock_sources_without_wheels)
{
	char *dir, *path;
	struct pcb_lock l;
	struct pcb_err err;

	path = temp_lock("pylock.toml",
	    "lock-version = '1.0'\n"
	    "created-by = 'hand'\n"
	    "[[packages]]\n"
	    "name = 'legacy'\n"
	    "version = '0.9'\n"
	    "sdist = { url = 'https://x.example/legacy-0.9.tar.gz', hashes = { sha256 = '" HEX("01")
	    "' } }\n"
	    "[[packages]]\n"
	    "name = 'fromgit'\n"
	    "vcs = { type = 'git', url = 'https://x.example/r.git', commit-id = 'abc' }\n"
	    "[[packages]]\n"
	    "name = 'zipped'\n"
	    "version = '1.0'\n"
	    "archive = { url = 'https://x.example/zipped-1.0-py3-none-any.whl', hashes = { sha256 = '"
	    HEX("02") "' } }\n"
	    "[[packages]]\n"
	    "name = 'newpy'\n"
	    "version = '1.0'\n"
	    "requires-python = '>=3.12'\n"
	    "wheels = [{ url = 'https://x.example/newpy-1.0-py3-none-any.whl', hashes = { sha256 = '"
	    HEX("03") "' } }]\n", &dir);
	ck_assert_int_eq(load(path, "amd64", "3.11", NULL, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "legacy 0.9: no wheel in the lock (sdist only); build a wheel "
	    "or lock with wheels") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "fromgit: no wheel in the lock (a VCS checkout only)") != NULL,
	    "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "newpy 1.0: requires Python >=3.12") != NULL, "%s", err.msg);
	/* An archive that is a wheel is fine. */
	ck_assert_msg(strstr(err.msg, "zipped") == NULL, "%s", err.msg);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

struct bad_file {
	const char *name;
	const char *content;
	int line;              /* 0: no line expected */
	const char *what;
};

static const struct bad_file bad_files[] = {
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [\n  { url = 'https://x.example/a-1-py3-none-any.whl' },\n]\n", 6,
	    "no 'hashes' table" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [{ url = 'https://x.example/a-1-py3-none-any.whl', hashes = { md5 = 'x' } }]\n",
	    5, "no sha256" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [{ url = 'https://x.example/a-1-py3-none-any.whl', hashes = { sha256 = 'abc' } "
	    "}]\n", 5, "not 64 hex digits" },
	{ "pylock.toml", "created-by = 'x'\nlock-version = '2.0'\n[[packages]]\nname = 'a'\n", 2,
	    "lock-version '2.0' is not supported" },
	{ "pylock.toml", "[[packages]]\nname = 'a'\n", 0, "no 'lock-version'" },
	{ "pylock.toml", "lock-version = '1.0'\n", 0, "no [[packages]]" },
	{ "pylock.toml", "lock-version = '1.0'\nrequires-python = '>=3.12'\npackages = []\n", 2,
	    "requires Python >=3.12" },
	{ "pylock.toml", "lock-version = '1.0'\nenvironments = [\"sys_platform == 'darwin'\"]\n"
	    "packages = []\n", 2, "none of the lock's environments" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nmarker = 'os_name =='\n", 4,
	    "marker" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\n[[packages]]\nname = 'A'\n",
	    4, "more than once" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [{ url = 'ftp://x.example/a-1-py3-none-any.whl', hashes = { sha256 = '"
	    HEX("aa") "' } }]\n", 5, "only http, https and file URLs" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [{ url = 'https://x.example/not-a-wheel.zip', hashes = { sha256 = '"
	    HEX("aa") "' } }]\n", 5, "not-a-wheel.zip" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [{ url = 'https://x.example/b-1-py3-none-any.whl', hashes = { sha256 = '"
	    HEX("aa") "' } }]\n", 5, "another distribution" },
	{ "pylock.toml", "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n"
	    "wheels = [{ url = 'https://x.example/a-2-py3-none-any.whl', hashes = { sha256 = '"
	    HEX("aa") "' } }]\n", 5, "is of version 2" },
	{ "pylock.toml", "this is [ not toml\n", 1, "line 1" },
	{ "uv.lock", "version = 2\n[[package]]\nname = 'a'\n", 1, "uv.lock version 2" },
	{ "uv.lock", "[[package]]\nname = 'a'\n", 0, "no integer 'version'" },
	{ "uv.lock", "version = 1\n[[package]]\nname = 'app'\nversion = '1'\n"
	    "source = { virtual = '.' }\ndependencies = [{ name = 'b' }]\n[[package]]\nname = 'b'\n"
	    "version = '1'\nsource = { registry = 'https://pypi.org/simple' }\n"
	    "wheels = [\n { url = 'https://x.example/b-1-py3-none-any.whl' },\n]\n", 12,
	    "b 1: a wheel without 'hash'" },
	{ "uv.lock", "version = 1\n[[package]]\nname = 'app'\nversion = '1'\n"
	    "source = { virtual = '.' }\ndependencies = [\n  { name = 'ghost' },\n]\n", 7,
	    "app depends on ghost, which is not in the lock" },
	{ "uv.lock", "version = 1\n[[package]]\nname = 'b'\nversion = '1'\n"
	    "source = { registry = 'https://pypi.org/simple' }\n", 0, "no root project" },
	{ "uv.lock", "version = 1\n[[package]]\nname = 'app'\nsource = { editable = '.' }\n"
	    "dependencies = [{ name = 'b' }]\n[[package]]\nname = 'b'\nversion = '1'\n"
	    "source = { registry = 'https://pypi.org/simple' }\n"
	    "wheels = [{ url = 'https://x.example/b-1-py3-none-any.whl', hash = 'md5:abc' }]\n", 10,
	    "not sha256:<64 hex digits>" },
	{ "requirements.lock", "version = 1\n", 0, "not a lock file name" },
};

START_TEST(test_bad_files)
{
	const struct bad_file *c = &bad_files[_i];
	char *dir, *path = temp_lock(c->name, c->content, &dir);
	struct pcb_lock l;
	struct pcb_err err;
	char line[32];

	ck_assert_int_eq(load(path, "amd64", "3.11", NULL, &l, &err), PCB_EINVAL);
	ck_assert_msg(pcb_str_has_prefix(err.msg, path), "file not named: %s", err.msg);
	ck_assert_msg(strstr(err.msg, c->what) != NULL, "want '%s' in: %s", c->what, err.msg);
	if (c->line > 0) {
		snprintf(line, sizeof line, "line %d", c->line);
		ck_assert_msg(strstr(err.msg, line) != NULL, "want '%s' in: %s", line, err.msg);
	}
	ck_assert_uint_eq(l.n, 0);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_missing_file)
{
	char *dir = pcb_test_tmpdir(), *path = pcb_path_join(dir, "uv.lock");
	struct pcb_lock l;
	struct pcb_err err;

	ck_assert_int_eq(load(path, "amd64", "3.11", NULL, &l, &err), PCB_ENOENT);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* ---- uv.lock -------------------------------------------------------------------------------- */

START_TEST(test_uv_x86_64_default)
{
	char *path = fixture("uv.lock");
	struct pcb_lock l;
	struct pcb_err err;
	const struct pcb_locked_wheel *w;

	ck_assert_msg(load(path, "amd64", "3.11", NULL, &l, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(l.kind, PCB_LOCK_UV);
	/* Not the root (myapp), not colorama/tomli (markers), not the other numpy, not orjson
	 * (extra not asked), not pytest & co. (dev group), not cryptography (extra of requests not
	 * asked; it is not even in the lock). */
	assert_names(&l, "click,flask,idna,localwheel,markupsafe,numpy,pysocks,requests,uvloop,"
	    "werkzeug");
	assert_well_formed(&l);
	ck_assert_uint_eq(l.skipped, 7);
	w = find(&l, "numpy");
	ck_assert_str_eq(w->version, "1.26.4");
	ck_assert_str_eq(w->filename,
	    "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	ck_assert_str_eq(w->sha256, HEX("0c"));
	w = find(&l, "uvloop");
	ck_assert_str_eq(w->filename,
	    "uvloop-0.19.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	w = find(&l, "click");
	ck_assert_str_eq(w->url, "https://files.example.org/click-8.1.7-py3-none-any.whl");
	ck_assert_uint_eq(w->size, 97941);
	w = find(&l, "pysocks");
	ck_assert_str_eq(w->filename, "PySocks-1.7.1-py3-none-any.whl");
	/* A path source holding a wheel: the file is the source path, from the lock's folder. */
	w = find(&l, "localwheel");
	ck_assert_ptr_null(w->url);
	ck_assert_msg(w->path[0] == '/' && pcb_str_has_suffix(w->path,
	    "/tests/fixtures/lock/wheels/localwheel-1.0-py3-none-any.whl"), "%s", w->path);
	ck_assert_str_eq(w->filename, "localwheel-1.0-py3-none-any.whl");
	pcb_lock_free(&l);
	free(path);
}
END_TEST

START_TEST(test_uv_arm64)
{
	char *path = fixture("uv.lock");
	struct pcb_lock l;
	struct pcb_err err;

	ck_assert_msg(load(path, "arm64", "3.11", NULL, &l, &err) == 0, "%s", err.msg);
	/* uvloop's edge says platform_machine == 'x86_64'. */
	assert_names(&l, "click,flask,idna,localwheel,markupsafe,numpy,pysocks,requests,werkzeug");
	ck_assert_str_eq(find(&l, "markupsafe")->filename,
	    "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl");
	ck_assert_str_eq(find(&l, "numpy")->sha256, HEX("0b"));
	ck_assert_uint_eq(l.skipped, 8);
	pcb_lock_free(&l);
	free(path);
}
END_TEST

START_TEST(test_uv_extras_and_dev_group)
{
	char *path = fixture("uv.lock");
	struct pcb_strv extras, groups;
	struct pcb_lock_select sel = { &extras, &groups };
	struct pcb_lock l;
	struct pcb_err err;

	pcb_strv_init(&extras);
	pcb_strv_init(&groups);
	pcb_strv_push(&extras, "fast");
	pcb_strv_push(&groups, "dev");
	ck_assert_msg(load(path, "amd64", "3.11", &sel, &l, &err) == 0, "%s", err.msg);
	assert_names(&l, "click,flask,idna,iniconfig,localwheel,markupsafe,numpy,orjson,pluggy,"
	    "pysocks,pytest,requests,uvloop,werkzeug");
	ck_assert_str_eq(find(&l, "orjson")->filename,
	    "orjson-3.10.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	pcb_lock_free(&l);

	/* Only the extra: the dev group stays out. */
	sel.groups = NULL;
	ck_assert_msg(load(path, "amd64", "3.11", &sel, &l, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(find(&l, "orjson"));
	ck_assert_ptr_null(find(&l, "pytest"));
	pcb_lock_free(&l);

	/* Names the root does not have. */
	pcb_strv_push(&extras, "gpu");
	ck_assert_int_eq(load(path, "amd64", "3.11", &sel, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "no extra 'gpu'") != NULL, "%s", err.msg);
	sel.extras = NULL;
	sel.groups = &groups;
	pcb_strv_push(&groups, "lint");
	ck_assert_int_eq(load(path, "amd64", "3.11", &sel, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "no dependency group 'lint'") != NULL, "%s", err.msg);
	pcb_strv_free(&extras);
	pcb_strv_free(&groups);
	free(path);
}
END_TEST

START_TEST(test_uv_fork_by_edge_version)
{
	char *path = fixture("uv.lock");
	struct pcb_lock l;
	struct pcb_err err;

	ck_assert_msg(load(path, "amd64", "3.12", NULL, &l, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(find(&l, "numpy")->version, "2.1.0");
	ck_assert_str_eq(find(&l, "markupsafe")->filename,
	    "MarkupSafe-2.1.5-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	pcb_lock_free(&l);
	/* Python 3.12 on arm64: numpy 2.1.0 has no aarch64 wheel, markupsafe no cp312 one. */
	ck_assert_int_eq(load(path, "arm64", "3.12", NULL, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "numpy 2.1.0: wheels for manylinux_2_17_x86_64, "
	    "manylinux2014_x86_64 only") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "markupsafe 2.1.5:") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "CPython 3.12, linux aarch64") != NULL, "%s", err.msg);
	free(path);
}
END_TEST

static const char uv_fork_markers[] =
	"version = 1\n"
	"requires-python = '>=3.10'\n"
	"[[package]]\nname = 'app'\nversion = '0.1'\nsource = { virtual = '.' }\n"
	"dependencies = [{ name = 'lib' }]\n"
	"[[package]]\nname = 'lib'\nversion = '1.0'\n"
	"source = { registry = 'https://pypi.org/simple' }\n"
	"resolution-markers = [\"platform_machine == 'x86_64'\"]\n"
	"wheels = [{ url = 'https://x.example/lib-1.0-py3-none-any.whl', hash = 'sha256:" HEX("01")
	"' }]\n"
	"[[package]]\nname = 'lib'\nversion = '2.0'\n"
	"source = { registry = 'https://pypi.org/simple' }\n"
	"resolution-markers = [\"platform_machine != 'x86_64'\"]\n"
	"wheels = [{ url = 'https://x.example/lib-2.0-py3-none-any.whl', hash = 'sha256:" HEX("02")
	"' }]\n";

START_TEST(test_uv_fork_by_resolution_markers)
{
	char *dir, *path = temp_lock("uv.lock", uv_fork_markers, &dir);
	struct pcb_lock l;
	struct pcb_err err;

	ck_assert_msg(load(path, "amd64", "3.11", NULL, &l, &err) == 0, "%s", err.msg);
	assert_names(&l, "lib");
	ck_assert_str_eq(l.v[0].version, "1.0");
	pcb_lock_free(&l);
	ck_assert_msg(load(path, "arm64", "3.11", NULL, &l, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(l.v[0].version, "2.0");
	ck_assert_str_eq(l.v[0].sha256, HEX("02"));
	pcb_lock_free(&l);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

static const char uv_workspace[] =
	"version = 1\n"
	"revision = 2\n"
	"requires-python = '>=3.11'\n"
	"[manifest]\nmembers = ['app', 'Lib_Core']\n"
	"[[package]]\nname = 'app'\nversion = '0.1'\nsource = { editable = 'packages/app' }\n"
	"dependencies = [{ name = 'lib-core' }, { name = 'six' }]\n"
	"[[package]]\nname = 'lib-core'\nversion = '0.2'\nsource = { editable = 'packages/lib' }\n"
	"dependencies = [{ name = 'idna' }]\n"
	"[[package]]\nname = 'idna'\nversion = '3.7'\nsource = { registry = '../index' }\n"
	"wheels = [{ path = 'idna-3.7-py3-none-any.whl', hash = 'sha256:" HEX("0A") "', size = 5 }]\n"
	"[[package]]\nname = 'six'\nversion = '1.16.0'\nsource = { url = "
	"'https://x.example/six-1.16.0-py2.py3-none-any.whl' }\n"
	"wheels = [{ filename = 'six-1.16.0-py2.py3-none-any.whl', hash = 'sha256:" HEX("0b") "' }]\n";

START_TEST(test_uv_workspace_members_are_roots)
{
	char *dir, *path = temp_lock("uv.lock", uv_workspace, &dir), *want;
	struct pcb_lock l;
	struct pcb_err err;
	const struct pcb_locked_wheel *w;

	ck_assert_msg(load(path, "arm64", "3.11", NULL, &l, &err) == 0, "%s", err.msg);
	assert_names(&l, "idna,six");
	assert_well_formed(&l);
	/* A local registry folder: wheel paths are relative to it. */
	w = find(&l, "idna");
	want = pcb_xasprintf("/index/idna-3.7-py3-none-any.whl");
	ck_assert_msg(pcb_str_has_suffix(w->path, want) && strstr(w->path, "/../index/") != NULL,
	    "%s", w->path);
	ck_assert_str_eq(w->sha256, HEX("0a"));
	ck_assert_uint_eq(w->size, 5);
	free(want);
	/* A URL source holding a wheel: the wheel entry names only the file. */
	w = find(&l, "six");
	ck_assert_str_eq(w->url, "https://x.example/six-1.16.0-py2.py3-none-any.whl");
	ck_assert_str_eq(w->filename, "six-1.16.0-py2.py3-none-any.whl");
	pcb_lock_free(&l);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

static const char uv_unbuildable[] =
	"version = 1\n"
	"[[package]]\nname = 'app'\nversion = '0.1'\nsource = { editable = '.' }\n"
	"dependencies = [{ name = 'mylocal' }, { name = 'oldpkg' }, { name = 'fromgit' },"
	" { name = 'tree' }]\n"
	"[[package]]\nname = 'mylocal'\nversion = '0.3'\nsource = { directory = '../mylocal' }\n"
	"[[package]]\nname = 'oldpkg'\nversion = '1.0'\n"
	"source = { registry = 'https://pypi.org/simple' }\n"
	"sdist = { url = 'https://x.example/oldpkg-1.0.tar.gz', hash = 'sha256:" HEX("01") "' }\n"
	"[[package]]\nname = 'fromgit'\nversion = '2.0'\n"
	"source = { git = 'https://x.example/r.git?rev=main#abc' }\n"
	"[[package]]\nname = 'tree'\nversion = '0.1'\nsource = { path = 'vendor/tree' }\n";

START_TEST(test_uv_unbuildable_sources_all_listed)
{
	char *dir, *path = temp_lock("uv.lock", uv_unbuildable, &dir);
	struct pcb_lock l;
	struct pcb_err err;

	ck_assert_int_eq(load(path, "amd64", "3.11", NULL, &l, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "mylocal 0.3: a directory source (../mylocal)") != NULL, "%s",
	    err.msg);
	ck_assert_msg(strstr(err.msg, "oldpkg 1.0: no wheel in the lock (sdist only)") != NULL, "%s",
	    err.msg);
	ck_assert_msg(strstr(err.msg, "fromgit 2.0: a git source") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "tree 0.1: a path source (vendor/tree)") != NULL, "%s",
	    err.msg);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
lockfile_suite(void)
{
	Suite *s = suite_create("lockfile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pylock_x86_64);
	tcase_add_test(tc, test_pylock_arm64_lists_every_missing_wheel);
	tcase_add_test(tc, test_pylock_groups_and_extras);
	tcase_add_test(tc, test_pylock_sources_without_wheels);
	tcase_add_loop_test(tc, test_bad_files, 0, (int)PCB_ARRAY_LEN(bad_files));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_uv_x86_64_default);
	tcase_add_test(tc, test_uv_arm64);
	tcase_add_test(tc, test_uv_extras_and_dev_group);
	tcase_add_test(tc, test_uv_fork_by_edge_version);
	tcase_add_test(tc, test_uv_fork_by_resolution_markers);
	tcase_add_test(tc, test_uv_workspace_members_are_roots);
	tcase_add_test(tc, test_uv_unbuildable_sources_all_listed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(lockfile_suite());
}
