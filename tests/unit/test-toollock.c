/* test-toollock.c — poetry.lock, pdm.lock and Pipfile.lock (common/python/toollock.c): which
 * packages an image gets (groups, extras, markers for the image's Python and CPU, the walk
 * from the project's dependencies for locks that keep no groups), the hashes pip is given,
 * packages that cannot come from an index listed in one error, the content hashes that tell a
 * lock out of date, and bad files named with their line.
 *
 * Fixtures (tests/fixtures/toollock/) are small locks whose [[package]] entries are copied
 * verbatim from real ones (a few file lists trimmed, a few markers added; the Python script
 * that cut them is described in each fixture's first comment where TOML allows one):
 * poetry21 from IPK-BIT/mira's poetry.lock (Poetry 2.1.4), poetry20 from milesmcc/shynet's
 * (lock-version 2.0), poetry11 from nsidnev/fastapi-realworld-example-app's (1.1), pdmwalk and
 * pdmgroups from krddevdays/bot's pdm.lock, pipenv from snowflake-app/snowflake's Pipfile.lock
 * (all also in tests/corpus, where the whole files are loaded too). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python/toollock.h"
#include "python/wheel.h"
#include "testutil.h"

static char *
fixture(const char *rel)
{
	return pcb_xasprintf("%s/tests/fixtures/toollock/%s", pcb_test_source_dir(), rel);
}

static char *
corpus(const char *rel)
{
	return pcb_xasprintf("%s/tests/corpus/%s", pcb_test_source_dir(), rel);
}

/* Loads path for linux/arch CPython py with extras / groups given as space-separated names
 * (NULL: none). */
static int
load(const char *path, const char *arch, const char *py, const char *extras,
    const char *groups, struct pcb_toollock *l, struct pcb_err *err)
{
	struct pcb_pytarget t;
	struct pcb_strv ex, gr;
	struct pcb_lock_select sel = { &ex, &gr };
	int rc;

	pcb_strv_init(&ex);
	pcb_strv_init(&gr);
	for (int k = 0; k < 2; k++) {
		const char *list = k == 0 ? extras : groups;
		char *copy = pcb_xstrdup(list), *save = NULL;
		for (char *tok = copy != NULL ? strtok_r(copy, " ", &save) : NULL; tok != NULL;
		    tok = strtok_r(NULL, " ", &save))
			pcb_strv_push(k == 0 ? &ex : &gr, tok);
		free(copy);
	}
	pcb_err_clear(err);
	ck_assert_msg(pcb_pytarget_init(&t, "linux", arch, NULL, py, err) == 0, "%s", err->msg);
	memset(l, 0, sizeof *l);
	rc = pcb_toollock_load(path, &t, &sel, l, err);
	pcb_strv_free(&ex);
	pcb_strv_free(&gr);
	return rc;
}

static void
load_ok(const char *path, const char *arch, const char *py, const char *extras,
    const char *groups, struct pcb_toollock *l)
{
	struct pcb_err err;
	ck_assert_msg(load(path, arch, py, extras, groups, l, &err) == 0, "%s", err.msg);
}

/* The load fails with PCB_EINVAL, the message naming the file and holding every want. */
static void
load_fails(const char *path, const char *arch, const char *py, const char *extras,
    const char *groups, const char *want1, const char *want2)
{
	struct pcb_toollock l;
	struct pcb_err err;

	ck_assert_int_eq(load(path, arch, py, extras, groups, &l, &err), PCB_EINVAL);
	ck_assert_msg(pcb_str_has_prefix(err.msg, path), "file not named: %s", err.msg);
	ck_assert_msg(strstr(err.msg, want1) != NULL, "want '%s' in: %s", want1, err.msg);
	ck_assert_msg(want2 == NULL || strstr(err.msg, want2) != NULL, "want '%s' in: %s", want2,
	    err.msg);
	ck_assert_uint_eq(l.n, 0);
}

/* "name==version" of the selection, comma-separated. */
static char *
picked(const struct pcb_toollock *l)
{
	struct pcb_buf b;

	pcb_buf_init(&b, 1 << 16);
	for (size_t i = 0; i < l->n; i++)
		pcb_buf_appendf(&b, "%s%s==%s", i ? "," : "", l->v[i].name, l->v[i].version);
	return b.data != NULL ? pcb_buf_steal(&b, NULL) : pcb_xstrdup("");
}

static void
assert_picked(const struct pcb_toollock *l, const char *want)
{
	char *got = picked(l);
	ck_assert_str_eq(got, want);
	free(got);
}

static const struct pcb_toollock_pkg *
find(const struct pcb_toollock *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/* Every package has hashes, each "sha256:" and 64 lower-case hex digits, sorted. */
static void
assert_hashes_well_formed(const struct pcb_toollock *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pcb_toollock_pkg *p = &l->v[i];
		ck_assert_msg(p->hashes.n > 0, "%s has no hashes", p->name);
		for (size_t k = 0; k < p->hashes.n; k++) {
			ck_assert_msg(pcb_str_has_prefix(p->hashes.v[k], "sha256:"), "%s",
			    p->hashes.v[k]);
			ck_assert_uint_eq(strlen(p->hashes.v[k]), 71);
			ck_assert_uint_eq(strspn(p->hashes.v[k] + 7, "0123456789abcdef"), 64);
			if (k > 0)
				ck_assert_int_lt(strcmp(p->hashes.v[k - 1], p->hashes.v[k]), 0);
		}
	}
}

/* A copy of a fixture folder in a temp dir (to change a file); returns the copy's folder. */
static char *
fixture_copy(const char *name, char **top_out)
{
	char *src = fixture(name), *top = pcb_test_tmpdir(), *out = NULL;
	int rc = pcb_test_runf(&out, "cp -r '%s' '%s/' 2>&1", src, top);

	ck_assert_msg(rc == 0, "cp: %s", out);
	free(out);
	free(src);
	*top_out = top;
	return pcb_path_join(top, name);
}

/* ---- Poetry --------------------------------------------------------------------------------- */

START_TEST(test_kind_of)
{
	enum pcb_toollock_kind k = PCB_TOOLLOCK_PIPENV;

	ck_assert(pcb_toollock_kind_of("/x/poetry.lock", &k) && k == PCB_TOOLLOCK_POETRY);
	ck_assert(pcb_toollock_kind_of("pdm.lock", &k) && k == PCB_TOOLLOCK_PDM);
	ck_assert(pcb_toollock_kind_of("a/Pipfile.lock", &k) && k == PCB_TOOLLOCK_PIPENV);
	ck_assert(!pcb_toollock_kind_of("a/uv.lock", &k));
	ck_assert(!pcb_toollock_kind_of("a/pipfile.lock", &k));
	ck_assert(!pcb_toollock_kind_of("a/poetry.lock.bak", &k));
}
END_TEST

/* lock-version 2.1: groups and markers per package, as Poetry's installer reads them. */
START_TEST(test_poetry21_groups_and_markers)
{
	char *path = fixture("poetry21/poetry.lock");
	const struct pcb_toollock_pkg *p;
	struct pcb_toollock l;

	/* main only: colorama is main only on Windows, mkdocs-material is dev, python-dotenv
	 * needs the dotenv extra, typing-extensions only below 3.12. */
	load_ok(path, "amd64", "3.12", NULL, NULL, &l);
	assert_picked(&l, "anyio==4.9.0,click==8.1.8,greenlet==3.2.1,idna==3.10,pyyaml==6.0.2,"
	    "sniffio==1.3.1");
	ck_assert_uint_eq(l.skipped, 4);
	ck_assert_int_eq(l.kind, PCB_TOOLLOCK_POETRY);
	assert_hashes_well_formed(&l);
	p = find(&l, "anyio");
	ck_assert_uint_eq(p->hashes.n, 2);
	ck_assert_str_eq(p->hashes.v[0], "sha256:673c0c244e15788651a4ff38710fea9675823028a6f08a5eda"
	    "409e0c9840a028");
	ck_assert_str_eq(p->hashes.v[1], "sha256:9f76d541cad6e36af7beb62e978876f3b41e3e04f2c1fbf088"
	    "4604c0a9c4d93c");
	ck_assert_ptr_null(p->url);
	/* Every file of the release is there for pip, wheels for other CPUs too. */
	ck_assert_uint_eq(find(&l, "greenlet")->hashes.n, 5);
	ck_assert_uint_eq(l.warnings.n, 0);
	pcb_toollock_free(&l);

	/* The marker holds on 3.11 and is kept for the record. */
	load_ok(path, "amd64", "3.11", NULL, NULL, &l);
	p = find(&l, "typing-extensions");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->marker, "python_version < \"3.12\"");
	ck_assert_ptr_null(find(&l, "colorama"));
	pcb_toollock_free(&l);

	/* The dev group adds colorama (unconditional there) and mkdocs-material; the extra adds
	 * python-dotenv (its marker is extra == "dotenv"). */
	load_ok(path, "amd64", "3.12", "dotenv", "dev", &l);
	assert_picked(&l, "anyio==4.9.0,click==8.1.8,colorama==0.4.6,greenlet==3.2.1,idna==3.10,"
	    "mkdocs-material==9.6.13,python-dotenv==1.1.0,pyyaml==6.0.2,sniffio==1.3.1");
	ck_assert_ptr_null(find(&l, "colorama")->marker);
	pcb_toollock_free(&l);

	load_fails(path, "amd64", "3.12", "socks", NULL, "extra 'socks' is not in the lock's "
	    "[extras]", NULL);
	load_fails(path, "amd64", "3.12", NULL, "docs", "dependency group 'docs' is not in the lock",
	    NULL);
	free(path);
}
END_TEST

/* A package without a wheel for the image is listed, with what its wheels are built for. */
START_TEST(test_poetry21_no_wheel_for_arm64)
{
	char *path = fixture("poetry21/poetry.lock");

	load_fails(path, "arm64", "3.11", NULL, NULL, "pyyaml 6.0.2: wheels for macosx_11_0_arm64, "
	    "manylinux_2_17_x86_64, manylinux2014_x86_64 only", "the image is CPython 3.11, linux "
	    "aarch64");
	free(path);
}
END_TEST

/* lock-version 2.0 keeps no groups: the walk from [tool.poetry.dependencies] through
 * [package.dependencies], markers and python constraints evaluated for the image. */
START_TEST(test_poetry20_walk)
{
	char *path = fixture("poetry20/poetry.lock");
	struct pcb_toollock l;

	load_ok(path, "amd64", "3.12", NULL, NULL, &l);
	/* colorama only on Windows (click's edge), toml only below 3.11, six is dev, sqlparse is
	 * reached by nothing. */
	assert_picked(&l, "certifi==2023.7.22,charset-normalizer==2.1.1,click==8.1.3,"
	    "gunicorn==20.1.0,idna==3.3,requests==2.31.0,setuptools==65.6.3,urllib3==1.26.18");
	ck_assert_uint_eq(l.skipped, 4);
	assert_hashes_well_formed(&l);
	pcb_toollock_free(&l);

	load_ok(path, "amd64", "3.10", NULL, "dev", &l);
	ck_assert_ptr_nonnull(find(&l, "toml"));
	ck_assert_ptr_nonnull(find(&l, "six"));
	ck_assert_ptr_null(find(&l, "colorama"));
	ck_assert_ptr_null(find(&l, "sqlparse"));
	ck_assert_uint_eq(l.n, 10);
	pcb_toollock_free(&l);

	load_fails(path, "amd64", "3.12", NULL, "docs", "dependency group 'docs' is in neither the "
	    "lock (which keeps no groups) nor pyproject.toml", NULL);
	free(path);
}
END_TEST

/* lock-version 1.1: files in [metadata.files]; extras asked on the project's dependencies
 * (pydantic[email], passlib[bcrypt]) followed through [package.extras]. */
START_TEST(test_poetry11_metadata_files_and_extras)
{
	char *path = fixture("poetry11/poetry.lock");
	struct pcb_toollock l;

	load_ok(path, "amd64", "3.9", NULL, NULL, &l);
	assert_picked(&l, "bcrypt==3.2.0,cffi==1.15.0,dnspython==2.2.0,email-validator==1.1.3,"
	    "idna==3.3,loguru==0.6.0,passlib==1.7.4,pycparser==2.21,pydantic==1.9.2,six==1.16.0,"
	    "typing-extensions==3.10.0.2");
	/* python-dotenv is pydantic's other extra; colorama and win32-setctime are loguru's on
	 * win32. */
	ck_assert_uint_eq(l.skipped, 3);
	assert_hashes_well_formed(&l);
	ck_assert_uint_eq(find(&l, "cffi")->hashes.n, 3);
	ck_assert_uint_eq(find(&l, "pydantic")->hashes.n, 3);
	pcb_toollock_free(&l);

	/* cffi 1.15.0 has no cp312 wheel (the file list is per name in 1.1 locks). */
	load_fails(path, "amd64", "3.12", NULL, NULL, "cffi 1.15.0: wheels for ", "built for "
	    "cp39-cp39 (the image has CPython 3.12)");
	free(path);
}
END_TEST

/* ---- PDM ------------------------------------------------------------------------------------ */

/* PDM's default strategy keeps no groups: the walk from [project].dependencies, the
 * "name[extra]" entry standing for python-telegram-bot[job-queue]. */
START_TEST(test_pdm_walk)
{
	char *path = fixture("pdmwalk/pdm.lock");
	struct pcb_toollock l;

	load_ok(path, "amd64", "3.12", NULL, NULL, &l);
	assert_picked(&l, "anyio==4.8.0,apscheduler==3.11.0,certifi==2024.12.14,h11==0.14.0,"
	    "httpcore==1.0.7,httpx==0.28.1,idna==3.10,python-telegram-bot==21.10,pytz==2024.2,"
	    "sniffio==1.3.1,typing-extensions==4.12.2,tzlocal==5.2");
	ck_assert_int_eq(l.kind, PCB_TOOLLOCK_PDM);
	assert_hashes_well_formed(&l);
	pcb_toollock_free(&l);

	/* 3.10 reaches exceptiongroup (anyio's python_version < "3.11"); dev adds pytest and its
	 * dependencies, but not colorama (Windows) nor tzdata (Windows). */
	load_ok(path, "amd64", "3.10", NULL, "dev", &l);
	ck_assert_ptr_nonnull(find(&l, "exceptiongroup"));
	ck_assert_ptr_nonnull(find(&l, "pytest"));
	ck_assert_ptr_nonnull(find(&l, "tomli"));
	ck_assert_ptr_null(find(&l, "colorama"));
	ck_assert_ptr_null(find(&l, "tzdata"));
	ck_assert_ptr_null(find(&l, "redis"));
	ck_assert_uint_eq(l.n, 18);
	pcb_toollock_free(&l);

	load_fails(path, "amd64", "3.12", NULL, "docs", "dependency group 'docs' is not one of the "
	    "lock's groups", "line 5");
	free(path);
}
END_TEST

/* inherit_metadata: groups and marker per package; extras are PDM groups too. */
START_TEST(test_pdm_groups)
{
	char *path = fixture("pdmgroups/pdm.lock");
	struct pcb_toollock l;

	load_ok(path, "amd64", "3.12", NULL, NULL, &l);
	assert_picked(&l, "certifi==2024.12.14,idna==3.10,typing-extensions==4.12.2");
	ck_assert_str_eq(find(&l, "typing-extensions")->marker, "python_version < \"3.13\"");
	pcb_toollock_free(&l);

	load_ok(path, "amd64", "3.13", NULL, "dev", &l);
	assert_picked(&l, "certifi==2024.12.14,idna==3.10,iniconfig==2.0.0,pytest==8.3.4");
	pcb_toollock_free(&l);

	/* The tz extra's pytz wants Python 3.14 (in this fixture). */
	load_fails(path, "amd64", "3.12", "tz", NULL, "pytz 2024.2: requires Python >=3.14", NULL);
	load_fails(path, "amd64", "3.12", "socks", NULL, "extra 'socks' is not one of the lock's "
	    "groups", NULL);
	free(path);
}
END_TEST

/* ---- Pipenv --------------------------------------------------------------------------------- */

START_TEST(test_pipenv)
{
	char *path = fixture("pipenv/Pipfile.lock");
	struct pcb_toollock l;

	/* "default": the project itself (path ".") is not installed, pywin32-ctypes is win32. */
	load_ok(path, "amd64", "3.11", NULL, NULL, &l);
	assert_picked(&l, "click==7.1.2,flask==1.1.2,itsdangerous==1.1.0,jinja2==2.11.3,"
	    "markupsafe==1.1.1,werkzeug==1.0.1");
	ck_assert_int_eq(l.kind, PCB_TOOLLOCK_PIPENV);
	assert_hashes_well_formed(&l);
	ck_assert_uint_eq(find(&l, "markupsafe")->hashes.n, 6);
	ck_assert_str_eq(find(&l, "jinja2")->marker, "python_version >= '2.7' and python_version "
	    "not in '3.0, 3.1, 3.2, 3.3, 3.4'");
	ck_assert_uint_eq(l.warnings.n, 0);
	pcb_toollock_free(&l);

	/* "develop" for the dev group; the lock says Python 3.11, which is worth a warning. */
	load_ok(path, "amd64", "3.12", NULL, "dev", &l);
	ck_assert_ptr_nonnull(find(&l, "pytest"));
	ck_assert_ptr_nonnull(find(&l, "iniconfig"));
	ck_assert_uint_eq(l.n, 8);
	ck_assert_uint_eq(l.warnings.n, 1);
	ck_assert_msg(strstr(l.warnings.v[0], "Pipfile.lock was made for Python 3.11") != NULL,
	    "%s", l.warnings.v[0]);
	pcb_toollock_free(&l);

	load_fails(path, "amd64", "3.11", "socks", NULL, "Pipfile.lock has no extras", NULL);
	load_fails(path, "amd64", "3.11", NULL, "docs", "dependency group 'docs' is not a category",
	    NULL);
	free(path);
}
END_TEST

/* ---- fitting the project file ---------------------------------------------------------------- */

/* The content hash each tool keeps is recomputed as the tool does: every fixture and every
 * real lock in the corpus fits; a changed project file does not. */
START_TEST(test_check_content_hashes)
{
	static const char *const fits[] = {
		"F:poetry21/poetry.lock", "F:poetry20/poetry.lock", "F:poetry11/poetry.lock",
		"F:pdmwalk/pdm.lock", "F:pdmgroups/pdm.lock", "F:pipenv/Pipfile.lock",
		"C:litestar-mira-cli-autodiscovery/tree/poetry.lock",
		"C:django-shynet-poetry-nested/tree/poetry.lock",
		"C:fastapi-realworld-poetry/tree/poetry.lock",
		"C:cli-telegram-bot-pdm/tree/pdm.lock",
		"C:flask-snowflake-pipenv-factory/tree/Pipfile.lock",
	};
	static const struct {
		const char *dir, *file, *lock, *tool;
	} changed[] = {
		{ "poetry21", "pyproject.toml", "poetry.lock", "poetry lock" },
		{ "poetry11", "pyproject.toml", "poetry.lock", "poetry lock" },
		{ "pdmwalk", "pyproject.toml", "pdm.lock", "pdm lock" },
		{ "pipenv", "Pipfile", "Pipfile.lock", "pipenv lock" },
	};
	struct pcb_err err;

	for (size_t i = 0; i < PCB_ARRAY_LEN(fits); i++) {
		char *path = fits[i][0] == 'F' ? fixture(fits[i] + 2) : corpus(fits[i] + 2);
		struct pcb_strv w;
		pcb_strv_init(&w);
		pcb_err_clear(&err);
		ck_assert_msg(pcb_toollock_check(path, &w, &err) == 0, "%s", err.msg);
		ck_assert_msg(w.n == 0, "%s: %s", path, w.n ? w.v[0] : "");
		pcb_strv_free(&w);
		free(path);
	}
	for (size_t i = 0; i < PCB_ARRAY_LEN(changed); i++) {
		char *top, *dir = fixture_copy(changed[i].dir, &top), *p = pcb_path_join(dir,
		    changed[i].file), *text = pcb_test_read(p, NULL), *lock;
		struct pcb_strv w;

		/* One more dependency in the main table. */
		if (strcmp(changed[i].file, "Pipfile") == 0) {
			char *at = strstr(text, "[packages]\n") + strlen("[packages]\n");
			char *n = pcb_xasprintf("%.*sredis = \"*\"\n%s", (int)(at - text), text, at);
			pcb_test_write(dir, changed[i].file, n, 0644);
			free(n);
		} else if (strstr(text, "[project]") != NULL) {
			char *at = strstr(text, "dependencies = [\n") + strlen("dependencies = [\n");
			char *n = pcb_xasprintf("%.*s    \"redis\",\n%s", (int)(at - text), text, at);
			pcb_test_write(dir, changed[i].file, n, 0644);
			free(n);
		} else {
			char *at = strstr(text, "python = ");
			char *n = pcb_xasprintf("%.*sredis = \"*\"\n%s", (int)(at - text), text, at);
			pcb_test_write(dir, changed[i].file, n, 0644);
			free(n);
		}
		lock = pcb_path_join(dir, changed[i].lock);
		pcb_strv_init(&w);
		pcb_err_clear(&err);
		ck_assert_msg(pcb_toollock_check(lock, &w, &err) == 0, "%s", err.msg);
		ck_assert_msg(w.n == 1, "%s: %zu warnings", lock, w.n);
		ck_assert_msg(strstr(w.v[0], " is out of date with ") != NULL &&
		    strstr(w.v[0], changed[i].tool) != NULL, "%s", w.v[0]);
		pcb_strv_free(&w);
		free(lock);
		free(text);
		free(p);
		free(dir);
		pcb_test_rmtree(top);
		free(top);
	}
}
END_TEST

/* Python's json.dumps, as the content hash needs it: non-ASCII as \u escapes (a surrogate pair
 * above U+FFFF), control characters escaped, floats in repr() form (1e-07, 100000.0, 1e+16),
 * keys sorted. The expected hash is what CPython 3.11 computes for this pyproject.toml. */
START_TEST(test_check_hash_python_json)
{
	static const char pyproject[] =
	    "[tool.poetry]\nname = \"unicode-app\"\nversion = \"1.0\"\n\n"
	    "[tool.poetry.dependencies]\npython = \"^3.11\"\n"
	    "flask = { version = \"^3.0\", markers = \"sys_platform != \\\"win32\\\"\", "
	    "extras = [\"async\"] }\n"
	    "odd = { version = \"1\", priority = 1.5, weight = 1e-7, big = 100000.0, huge = 1e16, "
	    "n = -3, on = true }\n\n"
	    "[[tool.poetry.source]]\nname = \"Z\xc3\xbcrich mirror \\u2603 \\U0001F600\"\n"
	    "url = \"https://example.org/simple\"\npriority = \"supplemental\"\n\n"
	    "[tool.poetry.extras]\n\"tab\\tand\\\\slash\" = [\"odd\"]\n";
	static const char lock_fmt[] = "package = []\n\n[metadata]\nlock-version = \"2.0\"\n"
	    "python-versions = \"^3.11\"\ncontent-hash = \"%s\"\n";
	char *dir = pcb_test_tmpdir(), *lock = pcb_path_join(dir, "poetry.lock"), *text;
	struct pcb_strv w;
	struct pcb_err err;

	pcb_test_write(dir, "pyproject.toml", pyproject, 0644);
	text = pcb_xasprintf(lock_fmt, "42ba6302f8ab397be59cbdf44aabfd11128b88c210b98b1115fee5b6d2"
	    "d27469");
	pcb_test_write(dir, "poetry.lock", text, 0644);
	free(text);
	pcb_strv_init(&w);
	pcb_err_clear(&err);
	ck_assert_msg(pcb_toollock_check(lock, &w, &err) == 0, "%s", err.msg);
	ck_assert_msg(w.n == 0, "%s", w.n ? w.v[0] : "");
	text = pcb_xasprintf(lock_fmt, "52ba6302f8ab397be59cbdf44aabfd11128b88c210b98b1115fee5b6d2"
	    "d27469");
	pcb_test_write(dir, "poetry.lock", text, 0644);
	free(text);
	ck_assert_int_eq(pcb_toollock_check(lock, &w, &err), 0);
	ck_assert_uint_eq(w.n, 1);
	pcb_strv_free(&w);
	free(lock);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A declared dependency missing from a lock that keeps groups fails: the image would lack it. */
START_TEST(test_declared_but_not_locked)
{
	char *top, *dir = fixture_copy("poetry21", &top), *lock = pcb_path_join(dir, "poetry.lock");
	char *p = pcb_path_join(dir, "pyproject.toml"), *text = pcb_test_read(p, NULL), *n, *at;

	at = strstr(text, "anyio = ");
	n = pcb_xasprintf("%.*srequests = \"^2.32\"\n%s", (int)(at - text), text, at);
	pcb_test_write(dir, "pyproject.toml", n, 0644);
	load_fails(lock, "amd64", "3.12", NULL, NULL, "the project declares requests, which the lock "
	    "does not have", "run `poetry lock`");
	free(n);
	free(text);
	free(p);
	free(lock);
	free(dir);
	pcb_test_rmtree(top);
	free(top);

	/* The same for a walk: the root is not in the lock. */
	dir = fixture_copy("poetry20", &top);
	lock = pcb_path_join(dir, "poetry.lock");
	p = pcb_path_join(dir, "pyproject.toml");
	text = pcb_test_read(p, NULL);
	at = strstr(text, "click = ");
	n = pcb_xasprintf("%.*sflask = \"^3\"\n%s", (int)(at - text), text, at);
	pcb_test_write(dir, "pyproject.toml", n, 0644);
	load_fails(lock, "amd64", "3.12", NULL, NULL, "the project needs flask, which the lock does "
	    "not have", NULL);
	free(n);
	free(text);
	free(p);
	free(lock);
	free(dir);
	pcb_test_rmtree(top);
	free(top);

	/* And a Pipfile's [packages] missing from Pipfile.lock. */
	dir = fixture_copy("pipenv", &top);
	lock = pcb_path_join(dir, "Pipfile.lock");
	p = pcb_path_join(dir, "Pipfile");
	text = pcb_test_read(p, NULL);
	at = strstr(text, "flask = ");
	n = pcb_xasprintf("%.*sredis = \"*\"\n%s", (int)(at - text), text, at);
	pcb_test_write(dir, "Pipfile", n, 0644);
	load_fails(lock, "amd64", "3.11", NULL, NULL, "the project declares redis", "run `pipenv "
	    "lock`");
	free(n);
	free(text);
	free(p);
	free(lock);
	free(dir);
	pcb_test_rmtree(top);
	free(top);
}
END_TEST

/* ---- sources other than an index ------------------------------------------------------------ */

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static const char poetry_sources_head[] =
    "[tool.poetry]\nname = \"src-app\"\nversion = \"1\"\n\n[tool.poetry.dependencies]\n"
    "python = \"^3.11\"\n";

/* Packages from git, a directory or an sdist URL cannot be fetched as hash-checked wheels from
 * an index: each is listed, with the lock named; a private index is passed on to pip; a
 * wheel by URL or by local path becomes a direct reference. */
START_TEST(test_poetry_sources)
{
	static const char lock_bad[] =
	    "[[package]]\nname = \"fromgit\"\nversion = \"2.0\"\noptional = false\n"
	    "python-versions = \"*\"\ngroups = [\"main\"]\nfiles = []\n\n"
	    "[package.source]\ntype = \"git\"\nurl = \"https://github.com/x/fromgit.git\"\n"
	    "reference = \"HEAD\"\nresolved_reference = \"0123abc\"\n\n"
	    "[[package]]\nname = \"vendored\"\nversion = \"0.1\"\noptional = false\n"
	    "python-versions = \"*\"\ngroups = [\"main\"]\nfiles = []\ndevelop = true\n\n"
	    "[package.source]\ntype = \"directory\"\nurl = \"libs/vendored\"\n\n"
	    "[[package]]\nname = \"oldsdist\"\nversion = \"1.0\"\noptional = false\n"
	    "python-versions = \"*\"\ngroups = [\"main\"]\n"
	    "files = [{file = \"oldsdist-1.0.tar.gz\", hash = \"sha256:" H64("a") "\"}]\n\n"
	    "[metadata]\nlock-version = \"2.1\"\npython-versions = \"^3.11\"\n"
	    "content-hash = \"0\"\n";
	static const char lock_ok[] =
	    "[[package]]\nname = \"torch\"\nversion = \"2.3.0+cpu\"\noptional = false\n"
	    "python-versions = \"*\"\ngroups = [\"main\"]\n"
	    "files = [{file = \"torch-2.3.0+cpu-cp311-cp311-linux_x86_64.whl\", hash = \"sha256:"
	    H64("b") "\"}]\n\n"
	    "[package.source]\ntype = \"legacy\"\nurl = \"https://download.pytorch.org/whl/cpu\"\n"
	    "reference = \"pytorch\"\n\n"
	    "[[package]]\nname = \"byurl\"\nversion = \"1.0\"\noptional = false\n"
	    "python-versions = \"*\"\ngroups = [\"main\"]\n"
	    "files = [{file = \"byurl-1.0-py3-none-any.whl\", hash = \"sha256:" H64("C") "\"}]\n\n"
	    "[package.source]\ntype = \"url\"\n"
	    "url = \"https://files.example.org/byurl-1.0-py3-none-any.whl\"\n\n"
	    "[[package]]\nname = \"local-wheel\"\nversion = \"3.0\"\noptional = false\n"
	    "python-versions = \"*\"\ngroups = [\"main\"]\n"
	    "files = [{file = \"local_wheel-3.0-py3-none-any.whl\", hash = \"sha256:" H64("d")
	    "\"}]\n\n"
	    "[package.source]\ntype = \"file\"\nurl = \"wheels/local_wheel-3.0-py3-none-any.whl\"\n\n"
	    "[metadata]\nlock-version = \"2.1\"\npython-versions = \"^3.11\"\n"
	    "content-hash = \"0\"\n";
	char *dir = pcb_test_tmpdir(), *lock = pcb_path_join(dir, "poetry.lock"), *req, *want;
	struct pcb_toollock l;
	struct pcb_strv skip;

	pcb_test_write(dir, "pyproject.toml", poetry_sources_head, 0644);
	pcb_test_write(dir, "poetry.lock", lock_bad, 0644);
	load_fails(lock, "amd64", "3.11", NULL, NULL, "fromgit 2.0: a git source "
	    "(https://github.com/x/fromgit.git), not a package index", "vendored 0.1: a directory "
	    "source (libs/vendored), not a package index");
	load_fails(lock, "amd64", "3.11", NULL, NULL, "oldsdist 1.0: sdist only in the lock "
	    "(oldsdist-1.0.tar.gz)", "Images get wheels, never builds");

	pcb_test_write(dir, "poetry.lock", lock_ok, 0644);
	load_ok(lock, "amd64", "3.11", NULL, NULL, &l);
	assert_picked(&l, "byurl==1.0,local-wheel==3.0,torch==2.3.0+cpu");
	ck_assert_uint_eq(l.index_urls.n, 1);
	ck_assert_str_eq(l.index_urls.v[0], "https://download.pytorch.org/whl/cpu");
	ck_assert_str_eq(find(&l, "byurl")->url,
	    "https://files.example.org/byurl-1.0-py3-none-any.whl");
	/* Hashes are compared in lower case. */
	ck_assert_str_eq(find(&l, "byurl")->hashes.v[0], "sha256:" H64("c"));
	want = pcb_xasprintf("file://%s/wheels/local_wheel-3.0-py3-none-any.whl", dir);
	{
		/* The temp dir may be reached through a symlink: compare the tail. */
		const char *got = find(&l, "local-wheel")->url;
		ck_assert_msg(pcb_str_has_prefix(got, "file:///") &&
		    pcb_str_has_suffix(got, "/wheels/local_wheel-3.0-py3-none-any.whl"), "%s", got);
	}
	free(want);
	req = pcb_toollock_requirements(&l, "from poetry.lock", NULL);
	ck_assert_msg(pcb_str_has_prefix(req, "# from poetry.lock\n"
	    "--extra-index-url https://download.pytorch.org/whl/cpu\n"
	    "byurl @ https://files.example.org/byurl-1.0-py3-none-any.whl --hash=sha256:" H64("c")
	    "\nlocal-wheel @ file:///"), "%s", req);
	ck_assert_msg(strstr(req, "\ntorch==2.3.0+cpu --hash=sha256:" H64("b") "\n") != NULL, "%s",
	    req);
	ck_assert_ptr_null(strchr(req, ';'));
	free(req);
	/* An index the build already uses is not named twice. */
	pcb_strv_init(&skip);
	pcb_strv_push(&skip, "https://download.pytorch.org/whl/cpu");
	req = pcb_toollock_requirements(&l, NULL, &skip);
	ck_assert_ptr_null(strstr(req, "--extra-index-url"));
	ck_assert_msg(pcb_str_has_prefix(req, "byurl @ "), "%s", req);
	free(req);
	pcb_strv_free(&skip);
	pcb_toollock_free(&l);
	free(lock);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* pdm's path / git entries and Pipfile.lock's git and editable ones are listed the same way. */
START_TEST(test_pdm_and_pipenv_sources)
{
	static const char pdm_lock[] =
	    "[metadata]\ngroups = [\"default\"]\nstrategy = [\"inherit_metadata\"]\n"
	    "lock_version = \"4.5.0\"\ncontent_hash = \"sha256:0\"\n\n"
	    "[[package]]\nname = \"mylib\"\nversion = \"0.1.0\"\npath = \"./libs/mylib\"\n"
	    "editable = true\ngroups = [\"default\"]\nsummary = \"x\"\n\n"
	    "[[package]]\nname = \"gitdep\"\nversion = \"1.2\"\n"
	    "git = \"https://github.com/x/gitdep.git\"\nrevision = \"abc\"\n"
	    "groups = [\"default\"]\nsummary = \"x\"\n";
	static const char pipenv_lock[] =
	    "{\n  \"_meta\": {\"hash\": {\"sha256\": \"0\"}, \"pipfile-spec\": 6, \"requires\": {},"
	    " \"sources\": [{\"name\": \"pypi\", \"url\": \"https://pypi.org/simple\", "
	    "\"verify_ssl\": true}, {\"name\": \"corp\", \"url\": \"https://pypi.corp.example/simple\","
	    " \"verify_ssl\": true}]},\n"
	    "  \"default\": {\n"
	    "    \"fromgit\": {\"git\": \"https://github.com/x/fromgit.git\", \"ref\": \"abc\"},\n"
	    "    \"local\": {\"editable\": true, \"path\": \"./libs/local\"},\n"
	    "    \"internal\": {\"hashes\": [\"sha256:" H64("e") "\"], \"index\": \"corp\", "
	    "\"version\": \"==1.0\"}\n  },\n  \"develop\": {}\n}\n";
	char *dir = pcb_test_tmpdir(), *lock = pcb_path_join(dir, "pdm.lock");
	char *plock = pcb_path_join(dir, "Pipfile.lock");
	struct pcb_toollock l;

	pcb_test_write(dir, "pdm.lock", pdm_lock, 0644);
	load_fails(lock, "amd64", "3.11", NULL, NULL, "mylib 0.1.0: a editable path source "
	    "(./libs/mylib)", "gitdep 1.2: a git source (https://github.com/x/gitdep.git)");

	pcb_test_write(dir, "Pipfile.lock", pipenv_lock, 0644);
	load_fails(plock, "amd64", "3.11", NULL, NULL, "fromgit: a git source", "local: a editable "
	    "path source (./libs/local)");
	/* Without them: the package from the second source brings its index along. */
	pcb_test_write(dir, "Pipfile.lock",
	    "{\"_meta\": {\"sources\": [{\"name\": \"corp\", \"url\": "
	    "\"https://pypi.corp.example/simple\"}]}, \"default\": {\"internal\": {\"hashes\": "
	    "[\"sha256:" H64("e") "\"], \"index\": \"corp\", \"version\": \"==1.0\"}}}", 0644);
	load_ok(plock, "amd64", "3.11", NULL, NULL, &l);
	assert_picked(&l, "internal==1.0");
	ck_assert_uint_eq(l.index_urls.n, 1);
	ck_assert_str_eq(l.index_urls.v[0], "https://pypi.corp.example/simple");
	pcb_toollock_free(&l);
	free(lock);
	free(plock);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* ---- bad files ------------------------------------------------------------------------------ */

static const struct bad {
	const char *name, *content;
	int line;                      /* 0: no line expected */
	const char *what;
} bad_files[] = {
	{ "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\n", 3, "" },
	{ "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n", 0,
	  "no [metadata] table (is this a poetry.lock?)" },
	{ "poetry.lock", "[metadata]\nlock-version = \"3.0\"\n", 2,
	  "lock-version '3.0' is not supported (this reads 1.x and 2.x)" },
	{ "poetry.lock", "[[package]]\nname = \"a\"\ngroups = [\"main\"]\n\n[metadata]\n"
	  "lock-version = \"2.1\"\n", 1, "package a has no 'version'" },
	{ "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[metadata]\n"
	  "lock-version = \"2.1\"\n", 1, "package a has no 'groups' array" },
	{ "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"main\"]\n"
	  "markers = \"python_version >< '3'\"\nfiles = []\n\n[metadata]\nlock-version = \"2.1\"\n",
	  5, "a: marker" },
	{ "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"main\"]\n"
	  "files = [{file = \"a-1-py3-none-any.whl\", hash = \"md5:00\"}]\n\n[metadata]\n"
	  "lock-version = \"2.1\"\n", 0, "a 1: no sha256 file hashes in the lock" },
	{ "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"main\"]\n"
	  "files = [{file = \"a-1-py3-none-any.whl\"}]\n\n[metadata]\nlock-version = \"2.1\"\n",
	  1, "a 1: each file must be a table with a 'hash'" },
	{ "poetry.lock", "[metadata]\nlock-version = \"2.0\"\n", 0,
	  "there is no pyproject.toml beside it" },
	{ "pdm.lock", "[metadata]\ngroups = [\"default\"]\n", 1, "no lock_version in [metadata]" },
	{ "pdm.lock", "[metadata]\nlock_version = \"5.0\"\n", 2, "lock_version '5.0' is not "
	  "supported" },
	{ "Pipfile.lock", "{\n  \"_meta\": {},\n  \"default\": {\"a\": {\"version\": \"==1\",}}\n}\n",
	  3, "not valid JSON" },
	{ "Pipfile.lock", "{\"_meta\": {}, \"default\": {\"a\": {\"hashes\": []}}}", 0,
	  "\"default\".\"a\" has no \"version\"" },
	{ "Pipfile.lock", "{\"_meta\": {}, \"default\": {\"a\": {\"version\": \"==1\"}}}", 0,
	  "a 1: no sha256 file hashes in the lock" },
	{ "Pipfile.lock", "{\"default\": {}}", 0, "no \"_meta\" object (is this a Pipfile.lock?)" },
	{ "Pipfile.lock", "[]", 0, "not a JSON object document" },
	{ "requirements.lock", "x", 0, "not a lock file name (poetry.lock, pdm.lock or "
	  "Pipfile.lock)" },
};

START_TEST(test_bad_files)
{
	const struct bad *c = &bad_files[_i];
	char *dir = pcb_test_tmpdir(), *path = pcb_path_join(dir, c->name), line[32];
	struct pcb_toollock l;
	struct pcb_err err;
	struct pcb_strv w;

	pcb_test_write(dir, c->name, c->content, 0644);
	ck_assert_int_eq(load(path, "amd64", "3.11", NULL, NULL, &l, &err), PCB_EINVAL);
	ck_assert_msg(pcb_str_has_prefix(err.msg, path), "file not named: %s", err.msg);
	ck_assert_msg(strstr(err.msg, c->what) != NULL, "want '%s' in: %s", c->what, err.msg);
	if (c->line > 0) {
		snprintf(line, sizeof line, "line %d", c->line);
		ck_assert_msg(strstr(err.msg, line) != NULL, "want '%s' in: %s", line, err.msg);
	}
	ck_assert_uint_eq(l.n, 0);
	/* What the plan reads (no target) finds the file-level ones too. */
	pcb_strv_init(&w);
	if (c->line > 0 && strstr(c->what, "package") == NULL && strstr(c->what, "marker") == NULL &&
	    strstr(c->what, "file") == NULL) {
		pcb_err_clear(&err);
		ck_assert_int_eq(pcb_toollock_check(path, &w, &err), PCB_EINVAL);
		ck_assert_msg(strstr(err.msg, line) != NULL, "check: want '%s' in: %s", line, err.msg);
	}
	pcb_strv_free(&w);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* ---- the real locks of the corpus ----------------------------------------------------------- */

/* Whole lock files of real projects (tests/corpus): Poetry 2.1, Poetry 1.1 with an sdist-only
 * main dependency, PDM, Pipenv. */
START_TEST(test_corpus_locks)
{
	char *mira = corpus("litestar-mira-cli-autodiscovery/tree/poetry.lock");
	char *rw = corpus("fastapi-realworld-poetry/tree/poetry.lock");
	char *bot = corpus("cli-telegram-bot-pdm/tree/pdm.lock");
	char *snow = corpus("flask-snowflake-pipenv-factory/tree/Pipfile.lock");
	struct pcb_toollock l;

	load_ok(mira, "amd64", "3.12", NULL, NULL, &l);
	ck_assert_uint_eq(l.n, 42);
	ck_assert_ptr_nonnull(find(&l, "litestar"));
	ck_assert_ptr_null(find(&l, "colorama"));          /* main: Windows only */
	ck_assert_ptr_null(find(&l, "mkdocs-material"));   /* dev */
	assert_hashes_well_formed(&l);
	pcb_toollock_free(&l);
	load_ok(mira, "amd64", "3.12", NULL, "dev", &l);
	ck_assert_uint_eq(l.n, 61);
	pcb_toollock_free(&l);

	load_fails(rw, "amd64", "3.9", NULL, NULL, "pypika 0.48.9: sdist only in the lock "
	    "(PyPika-0.48.9.tar.gz)", NULL);

	load_ok(bot, "amd64", "3.12", NULL, NULL, &l);
	ck_assert_uint_eq(l.n, 15);
	ck_assert_ptr_nonnull(find(&l, "python-telegram-bot"));
	ck_assert_ptr_nonnull(find(&l, "sentry-sdk"));
	ck_assert_ptr_null(find(&l, "pytest"));
	pcb_toollock_free(&l);

	load_ok(snow, "amd64", "3.9", NULL, NULL, &l);
	ck_assert_uint_eq(l.n, 44);
	ck_assert_uint_eq(l.warnings.n, 0);
	ck_assert_ptr_nonnull(find(&l, "gunicorn"));
	pcb_toollock_free(&l);
	free(mira);
	free(rw);
	free(bot);
	free(snow);
}
END_TEST

static Suite *
toollock_suite(void)
{
	Suite *s = suite_create("toollock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_kind_of);
	tcase_add_test(tc, test_poetry21_groups_and_markers);
	tcase_add_test(tc, test_poetry21_no_wheel_for_arm64);
	tcase_add_test(tc, test_poetry20_walk);
	tcase_add_test(tc, test_poetry11_metadata_files_and_extras);
	tcase_add_test(tc, test_pdm_walk);
	tcase_add_test(tc, test_pdm_groups);
	tcase_add_test(tc, test_pipenv);
	tcase_add_test(tc, test_check_content_hashes);
	tcase_add_test(tc, test_check_hash_python_json);
	tcase_add_test(tc, test_declared_but_not_locked);
	tcase_add_test(tc, test_poetry_sources);
	tcase_add_test(tc, test_pdm_and_pipenv_sources);
	tcase_add_loop_test(tc, test_bad_files, 0, (int)PCB_ARRAY_LEN(bad_files));
	tcase_add_test(tc, test_corpus_locks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(toollock_suite());
}
