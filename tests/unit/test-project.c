/* test-project.c — project discovery on fixture projects written into temp dirs: metadata from
 * pyproject.toml ([project] and [tool.poetry]), requires-python, the import package, the include
 * list, the start command, errors for bad files, and the include/exclude filter. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python/project.h"
#include "testutil.h"

static char *tmp;

static void
setup(void)
{
	tmp = pcb_test_tmpdir();
}

static void
teardown(void)
{
	pcb_test_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

static void
put(const char *rel, const char *content)
{
	pcb_test_write(tmp, rel, content, 0644);
}

/* Asserts the vector holds exactly the given strings (NULL-terminated list), in order. */
static void
assert_strv(const struct pcb_strv *sv, const char *what, ...)
{
	va_list ap;
	const char *s;
	size_t i = 0;

	va_start(ap, what);
	while ((s = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(i < sv->n, "%s: missing [%zu] \"%s\" (have %zu)", what, i, s, sv->n);
		ck_assert_msg(strcmp(sv->v[i], s) == 0, "%s[%zu]: \"%s\" != \"%s\"", what, i,
		    sv->v[i], s);
		i++;
	}
	va_end(ap);
	ck_assert_msg(i == sv->n, "%s: %zu extra entries, first \"%s\"", what, sv->n - i,
	    i < sv->n ? sv->v[i] : "");
}

static void
assert_str(const char *got, const char *want, const char *what)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: expected NULL, got \"%s\"", what, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0, "%s: expected \"%s\", got \"%s\"",
		    what, want, got ? got : "(null)");
}

static void
discover_ok(struct pcb_project *p)
{
	struct pcb_err e;

	pcb_err_clear(&e);
	ck_assert_msg(pcb_project_discover(tmp, p, &e) == 0, "discover: %s", e.msg);
}

/* Discovery must fail with code; returns with e->msg filled and checks *p was freed. */
static void
discover_fails(int code, struct pcb_err *e)
{
	struct pcb_project p;

	pcb_err_clear(e);
	ck_assert_int_eq(pcb_project_discover(tmp, &p, e), code);
	ck_assert_ptr_null(p.name);
	ck_assert_ptr_null(p.context);
	ck_assert_ptr_null(p.pyproject);
	ck_assert_ptr_null(p.cmd.v);
	ck_assert_ptr_null(p.include.v);
}

static const char *
tmp_base(void)
{
	return strrchr(tmp, '/') + 1;
}

START_TEST(test_src_layout_with_scripts)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[build-system]\nrequires = [\"setuptools\"]\n\n"
	    "[project]\nname = \"hello\"\nversion = \"1.2.3\"\n"
	    "description = \"Says hello\"\nlicense = \"MIT\"\n"
	    "requires-python = \">=3.10,<3.13\"\n"
	    "dependencies = [\"requests>=2\"]\n\n"
	    "[project.scripts]\nhello = \"hello.cli:main\"\n");
	put("src/hello/__init__.py", "");
	put("src/hello/cli.py", "def main():\n    print('hi')\n");
	put("tests/__init__.py", "");
	put("tests/test_cli.py", "");
	put("docs/index.md", "# docs\n");
	put(".git/HEAD", "ref: refs/heads/main\n");
	put(".venv/pyvenv.cfg", "home = /usr\n");
	put("README.md", "# hello\n");
	put("LICENSE", "MIT\n");
	put("requirements.txt", "requests\n");
	put("requirements-dev.txt", "pytest\n");
	put("setup.cfg", "[metadata]\n");
	put("notes.txt", "not packed\n");
	put(".env", "SECRET=1\n");
	discover_ok(&p);
	ck_assert_msg(pcb_str_has_suffix(p.context, tmp_base()), "context %s", p.context);
	ck_assert(p.context[0] == '/');
	assert_str(p.name, "hello", "name");
	assert_str(p.version, "1.2.3", "version");
	assert_str(p.description, "Says hello", "description");
	assert_str(p.license, "MIT", "license");
	assert_str(p.python_version, "3.12", "python_version");   /* the newest allowed */
	assert_str(p.package, "hello", "package");
	/* The whole context, as `COPY . .` takes it, minus the built-in junk. */
	assert_strv(&p.include, "include", ".env", "LICENSE", "README.md", "docs", "notes.txt",
	    "pyproject.toml", "requirements-dev.txt", "requirements.txt", "setup.cfg", "src",
	    "tests", NULL);
	assert_strv(&p.excluded, "excluded", ".git", ".venv", NULL);
	assert_strv(&p.excluded_why, "excluded_why", "built-in: version control",
	    "built-in: virtual environment", NULL);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from hello.cli import main; sys.exit(main())", NULL);
	assert_str(p.cmd_source, "[project.scripts] hello = \"hello.cli:main\"", "cmd_source");
	ck_assert_ptr_nonnull(p.pyproject);
	ck_assert_ptr_nonnull(p.ignore);
	pcb_project_free(&p);
	ck_assert_ptr_null(p.name);
	pcb_project_free(&p);   /* twice is harmless */
}
END_TEST

START_TEST(test_flat_package_with_main)
{
	struct pcb_project p;

	put("mypkg/__init__.py", "");
	put("mypkg/__main__.py", "print('main')\n");
	put("mypkg/__pycache__/x.cpython-311.pyc", "junk");
	put("tests/__init__.py", "");
	put("setup.py", "from setuptools import setup\nsetup()\n");
	discover_ok(&p);
	assert_str(p.name, tmp_base(), "name");
	assert_str(p.version, NULL, "version");
	assert_str(p.description, NULL, "description");
	assert_str(p.license, NULL, "license");
	assert_str(p.python_version, NULL, "python_version");
	assert_str(p.package, "mypkg", "package");
	assert_strv(&p.include, "include", "mypkg", "setup.py", "tests", NULL);
	assert_strv(&p.cmd, "cmd", "python", "-m", "mypkg", NULL);
	assert_str(p.cmd_source, "package mypkg has mypkg/__main__.py", "cmd_source");
	ck_assert_ptr_null(p.pyproject);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_src_package_main_named_after_project)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"My.Tool\"\n");
	put("src/my_tool/__init__.py", "");
	put("src/my_tool/__main__.py", "");
	put("src/other/__init__.py", "");
	discover_ok(&p);
	assert_str(p.name, "My.Tool", "name");
	assert_str(p.package, "my_tool", "package");
	assert_strv(&p.include, "include", "pyproject.toml", "src", NULL);
	assert_strv(&p.cmd, "cmd", "python", "-m", "my_tool", NULL);
	assert_str(p.cmd_source, "package my_tool has src/my_tool/__main__.py", "cmd_source");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_single_module_main_py)
{
	struct pcb_project p;

	put("main.py", "print('hi')\n");
	put("util.py", "X = 1\n");
	put("data/file.csv", "a,b\n");
	put("notes.txt", "x\n");
	put("README.rst", "x\n");
	discover_ok(&p);
	assert_str(p.name, tmp_base(), "name");
	assert_str(p.package, NULL, "package");
	assert_strv(&p.include, "include", "README.rst", "data", "main.py", "notes.txt", "util.py",
	    NULL);
	assert_strv(&p.cmd, "cmd", "python", "main.py", NULL);
	assert_str(p.cmd_source, "main.py at the top of the context", "cmd_source");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_app_py)
{
	struct pcb_project p;

	put("app.py", "print('hi')\n");
	put("manage.py", "");
	put("requirements.txt", "flask\n");
	discover_ok(&p);
	assert_str(p.package, NULL, "package");
	assert_strv(&p.include, "include", "app.py", "manage.py", "requirements.txt", NULL);
	assert_strv(&p.cmd, "cmd", "python", "app.py", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_app_folder)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"service\"\nversion = \"2.0\"\n");
	put("app/__init__.py", "");
	put("app/__main__.py", "");
	put("app/routes.py", "");
	put("tests/__init__.py", "");
	discover_ok(&p);
	assert_str(p.name, "service", "name");
	assert_str(p.version, "2.0", "version");
	assert_str(p.package, "app", "package");
	assert_strv(&p.include, "include", "app", "pyproject.toml", "tests", NULL);
	assert_strv(&p.cmd, "cmd", "python", "-m", "app", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_app_folder_without_package_uses_main_py)
{
	struct pcb_project p;

	put("app/routes.py", "");
	put("main.py", "");
	discover_ok(&p);
	assert_str(p.package, NULL, "package");
	assert_strv(&p.include, "include", "app", "main.py", NULL);
	assert_strv(&p.cmd, "cmd", "python", "main.py", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_poetry_project)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[tool.poetry]\nname = \"poet-app\"\nversion = \"0.3.0\"\n"
	    "description = \"A poem\"\nlicense = \"Apache-2.0\"\n\n"
	    "[tool.poetry.dependencies]\npython = \"^3.11\"\n"
	    "litestar = {extras = [\"standard\", \"jwt\"], version = \"^2.12\"}\n"
	    "click = \"^8\"\n\n"
	    "[tool.poetry.scripts]\nother = \"poet_app.other:go\"\npoet-app = \"poet_app.main:run\"\n");
	put("poet_app/__init__.py", "");
	put("poet_app/main.py", "");
	put("poetry.lock", "");
	discover_ok(&p);
	assert_str(p.name, "poet-app", "name");
	assert_str(p.version, "0.3.0", "version");
	assert_str(p.description, "A poem", "description");
	assert_str(p.license, "Apache-2.0", "license");
	assert_str(p.python_version, "3.14", "python_version");   /* ^3.11: the newest */
	assert_str(p.package, "poet_app", "package");
	assert_strv(&p.include, "include", "poet_app", "poetry.lock", "pyproject.toml", NULL);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from poet_app.main import run; sys.exit(run())", NULL);
	assert_str(p.cmd_source, "[tool.poetry.scripts] poet-app = \"poet_app.main:run\"",
	    "cmd_source");
	assert_strv(&p.dependencies, "dependencies", "click", "litestar", NULL);
	/* Poetry's table form asks for extras too: they can bring the server along. */
	assert_strv(&p.dependency_extras, "extras", "litestar[standard]", "litestar[jwt]", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_project_wins_over_poetry)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"real\"\n[project.scripts]\nx = \"real.cli:main\"\n"
	    "[tool.poetry]\nname = \"poetname\"\nversion = \"9\"\n"
	    "[tool.poetry.scripts]\nreal = \"poet.cli:main\"\n");
	put("real/__init__.py", "");
	put("real/cli.py", "def main(): pass\n");
	discover_ok(&p);
	assert_str(p.name, "real", "name");
	assert_str(p.version, "9", "version");   /* poetry fills what [project] lacks */
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from real.cli import main; sys.exit(main())", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_multiple_scripts_named_wins)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"Multi.Tool\"\n"
	    "[project.scripts]\nfirst = \"multi_tool.a:x\"\n"
	    "multi-tool = \"multi_tool.cli:app.run\"\nlast = \"multi_tool.z:y\"\n");
	put("src/multi_tool/__init__.py", "");
	discover_ok(&p);
	assert_str(p.package, "multi_tool", "package");
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from multi_tool.cli import app; sys.exit(app.run())", NULL);
	assert_str(p.cmd_source, "[project.scripts] multi-tool = \"multi_tool.cli:app.run\"",
	    "cmd_source");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_multiple_scripts_first_wins)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"tool\"\n"
	    "[project.scripts]\nzeta = \"tool.z:main\"\nalpha = \"tool.a:main\"\n");
	put("tool/__init__.py", "");
	put("tool/z.py", "def main(): pass\n");
	put("tool/a.py", "def main(): pass\n");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from tool.z import main; sys.exit(main())", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_script_module_only_and_extras)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"t\"\n[project.scripts]\nt = \" t.cli:main [extra] \"\n");
	put("t/__init__.py", "");
	put("t/cli.py", "def main(): pass\n");
	put("t/server.py", "");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from t.cli import main; sys.exit(main())", NULL);
	pcb_project_free(&p);

	put("pyproject.toml", "[project]\nname = \"t\"\n[project.scripts]\nt = \"t.server\"\n");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "python", "-m", "t.server", NULL);
	pcb_project_free(&p);
}
END_TEST

struct rp_case {
	const char *spec;
	const char *want;   /* NULL = error */
};

static const struct rp_case rp_cases[] = {
	{ ">=3.10,<3.13", "3.12" },
	{ "~=3.11", "3.14" },
	{ "==3.12.*", "3.12" },
	{ ">3.9", "3.14" },
	{ "!=3.8.*,>=3.8", "3.14" },
	{ ">=4", NULL },
	{ ">=3.8", "3.14" },
	{ ">=3", "3.14" },
	{ ">= 3.9 , < 4", "3.14" },
	{ "<3.10,>=3.9", "3.9" },
	{ "<=3.8", "3.8" },
	{ "<3.8", NULL },
	{ "==3.11", "3.11" },
	{ "==3.11.4", "3.11" },
	{ "~=3.9.2", "3.9" },
	{ ">3.10.1", "3.14" },
	{ ">=3.11.0rc1", "3.14" },
	{ "==3.*", "3.14" },
	{ "!=3.8.*,!=3.9.*,!=3.10.*", "3.14" },
	{ "!=3.8.1", "3.14" },
	{ "==3.15.*", NULL },
	{ ">=3.14", "3.14" },
	{ "<3.9.5,>=3.9", "3.9" },
	{ "3.10", NULL },       /* no operator */
	{ "~=3", NULL },        /* ~= needs two components */
	{ ">=3.*", NULL },      /* wildcard only with == and != */
	{ ">=3.10,", NULL },
};

/* .python-version and runtime.txt pin the minor when requires-python allows it. */
START_TEST(test_python_pin)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n");
	put("main.py", "");
	put(".python-version", "# uv\n3.12.4\n");
	discover_ok(&p);
	assert_str(p.python_version, "3.12", "python_version");
	assert_str(p.python_version_source, ".python-version '3.12.4', within pyproject.toml "
	    "[project].requires-python '>=3.10' (the newest CPython it allows)", "source");
	ck_assert(p.python_pinned);
	pcb_project_free(&p);

	/* A pin requires-python excludes is not taken. */
	put(".python-version", "3.9\n");
	discover_ok(&p);
	assert_str(p.python_version, "3.14", "python_version");
	ck_assert(!p.python_pinned);
	pcb_project_free(&p);

	pcb_test_rmtree(tmp);
	pcb_test_mkdir(tmp, ".");
	put("main.py", "");
	put("runtime.txt", "python-3.11.4\n");
	discover_ok(&p);
	assert_str(p.python_version, "3.11", "python_version");
	assert_str(p.python_version_source, "runtime.txt '3.11.4'", "source");
	pcb_project_free(&p);

	put("runtime.txt", "pypy3.10\n");   /* not CPython 3.X: nothing */
	discover_ok(&p);
	assert_str(p.python_version, NULL, "python_version");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_requires_python)
{
	const struct rp_case *c = &rp_cases[_i];
	struct pcb_project p;
	struct pcb_err e;
	char *toml = pcb_xasprintf("[project]\nname = \"x\"\nrequires-python = \"%s\"\n", c->spec);

	put("pyproject.toml", toml);
	put("main.py", "");
	free(toml);
	if (c->want != NULL) {
		discover_ok(&p);
		assert_str(p.python_version, c->want, c->spec);
		pcb_project_free(&p);
	} else {
		discover_fails(PCB_EINVAL, &e);
		ck_assert_msg(strstr(e.msg, c->spec) != NULL, "%s: msg %s", c->spec, e.msg);
		ck_assert_msg(strstr(e.msg, "requires-python") != NULL, "%s: msg %s", c->spec, e.msg);
	}
}
END_TEST

START_TEST(test_requires_python_excludes_all_message)
{
	struct pcb_err e;

	put("pyproject.toml", "[project]\nname = \"x\"\nrequires-python = \">=4\"\n");
	put("main.py", "");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "requires-python '>=4' excludes every known Python version")
	    != NULL, "msg %s", e.msg);
}
END_TEST

START_TEST(test_dynamic_version)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"dyn\"\ndynamic = [\"version\", \"readme\"]\n"
	    "[tool.poetry]\nversion = \"0.0.0\"\n");
	put("main.py", "");
	discover_ok(&p);
	assert_str(p.name, "dyn", "name");
	assert_str(p.version, NULL, "version");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_license_table)
{
	struct pcb_project p;

	put("main.py", "");
	put("pyproject.toml", "[project]\nname = \"l\"\nlicense = { text = \"BSD-3-Clause\" }\n");
	discover_ok(&p);
	assert_str(p.license, "BSD-3-Clause", "license text");
	pcb_project_free(&p);

	put("pyproject.toml", "[project]\nname = \"l\"\nlicense = { file = \"COPYING\" }\n");
	discover_ok(&p);
	assert_str(p.license, "COPYING", "license file");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_bad_license)
{
	struct pcb_err e;

	put("main.py", "");
	put("pyproject.toml", "[project]\nname = \"l\"\nlicense = { url = \"x\" }\n");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "pyproject.toml: line 3: [project].license") != NULL, "msg %s", e.msg);
}
END_TEST

START_TEST(test_invalid_toml)
{
	struct pcb_err e;

	put("main.py", "");
	put("pyproject.toml", "[project]\nname = \"x\"\nversion = = 1\n");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "pyproject.toml") != NULL, "msg %s", e.msg);
	ck_assert_msg(strstr(e.msg, "line 3") != NULL, "msg %s", e.msg);
}
END_TEST

struct bad_case {
	const char *toml;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "[project]\nname = 1\n", "pyproject.toml: line 2: [project].name must be a string" },
	{ "[project]\nname = \"x\"\nversion = 1.5\n",
	  "pyproject.toml: line 3: [project].version must be a string" },
	{ "[project]\nname = \"x\"\ndescription = [\"a\"]\n",
	  "pyproject.toml: line 3: [project].description must be a string" },
	{ "[project]\nname = \"x\"\nscripts = \"x\"\n",
	  "pyproject.toml: line 3: [project].scripts must be a table" },
	{ "[project]\nname = \"x\"\n[project.scripts]\nx = 3\n",
	  "pyproject.toml: line 4: [project.scripts].x must be a string" },
	{ "[project]\nname = \"x\"\n[project.scripts]\nx = \"not a path\"\n",
	  "pyproject.toml: line 4: [project.scripts] x = \"not a path\"" },
	{ "[project]\nname = \"x\"\n[project.scripts]\nx = \"pkg.:main\"\n",
	  "[project.scripts] x = \"pkg.:main\"" },
	{ "[project]\nname = \"x\"\n[project.scripts]\nx = \"pkg:main()\"\n",
	  "[project.scripts] x = \"pkg:main()\"" },
	{ "[project]\nname = \"x\"\nrequires-python = 3\n",
	  "pyproject.toml: line 3: [project].requires-python must be a string" },
	{ "[project]\nname = \"x\"\ndynamic = \"version\"\n",
	  "pyproject.toml: line 3: [project].dynamic must be an array" },
	{ "project = 1\n", "pyproject.toml: line 1: [project] must be a table" },
	{ "[tool.poetry]\nname = true\n", "pyproject.toml: line 2: [tool.poetry].name must be a string" },
	{ "[tool.poetry]\nname = \"x\"\nscripts = 1\n",
	  "pyproject.toml: line 3: [tool.poetry].scripts must be a table" },
	{ "[project]\nname = 1979-05-27\n", "pyproject.toml: line 2: [project].name must be a string" },
};

START_TEST(test_bad_files)
{
	const struct bad_case *c = &bad_cases[_i];
	struct pcb_err e;

	put("main.py", "");
	put("pyproject.toml", c->toml);
	if (strstr(c->toml, "[project.scripts]\nx = ") != NULL) {
		/* A bad script entry is a problem of finding the command: discovery succeeds and
		 * keeps it for the build, which reports it unless a command is given (project.h). */
		struct pcb_project p;

		discover_ok(&p);
		ck_assert_int_eq(p.cmd_error_code, PCB_EINVAL);
		ck_assert_msg(p.cmd_error != NULL && strstr(p.cmd_error, c->msg) != NULL,
		    "case %d: want \"%s\" in \"%s\"", _i, c->msg, p.cmd_error);
		ck_assert_uint_eq(p.cmd.n, 0);
		ck_assert_ptr_null(p.cmd_source);
		pcb_project_free(&p);
		return;
	}
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, c->msg) != NULL, "case %d: want \"%s\" in \"%s\"", _i, c->msg,
	    e.msg);
}
END_TEST

START_TEST(test_no_entrypoint)
{
	struct pcb_err e;

	put("pyproject.toml", "[project]\nname = \"lib\"\n");
	put("lib/__init__.py", "");
	put("helper.py", "");
	/* Not an error here: the builder reports it unless the user gave --entrypoint
	 * (test-build.c checks that message). */
	(void)e;
	{
		struct pcb_project p;
		discover_ok(&p);
		ck_assert_int_eq(p.cmd.n, 0);
		ck_assert_ptr_null(p.cmd_source);
		pcb_project_free(&p);
	}
}
END_TEST

START_TEST(test_bad_context)
{
	struct pcb_project p;
	struct pcb_err e;
	char *missing = pcb_path_join(tmp, "nope");

	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_project_discover(missing, &p, &e), PCB_ENOENT);
	ck_assert_msg(strstr(e.msg, "nope") != NULL, "msg %s", e.msg);
	free(missing);
	put("file", "");
	missing = pcb_path_join(tmp, "file");
	ck_assert_int_eq(pcb_project_discover(missing, &p, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "not a directory") != NULL, "msg %s", e.msg);
	free(missing);
}
END_TEST

START_TEST(test_bad_ignore_file)
{
	struct pcb_err e;

	put("main.py", "");
	put(".pcbignore", "ok\n[\n");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, ".pcbignore: line 2") != NULL, "msg %s", e.msg);
}
END_TEST

START_TEST(test_ignore_file_shapes_include)
{
	struct pcb_project p;

	put("main.py", "");
	put("secret.py", "");
	put("setup.cfg", "");
	put("README.md", "");
	put("src/x.py", "");
	put(".dockerignore", "secret.py\nREADME*\n!README.md\n");
	put(".pcbignore", "# pcbignore wins over .dockerignore\nsecret.py\nsetup.cfg\n");
	discover_ok(&p);
	assert_strv(&p.include, "include", "README.md", "main.py", "src", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_ignored_main_py_is_not_the_entrypoint)
{
	struct pcb_project p;

	put("main.py", "");
	put("app.py", "");
	put(".pcbignore", "main.py\n");
	discover_ok(&p);
	assert_strv(&p.include, "include", "app.py", NULL);
	assert_strv(&p.cmd, "cmd", "python", "app.py", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_filter)
{
	struct pcb_project p;

	put("main.py", "");
	put("env/pyvenv.cfg", "home = /usr\n");
	put("pkg/env/__init__.py", "");
	put(".pcbignore", "*.log\ndocs\n!docs/keep.md\n");
	discover_ok(&p);
	/* Built-in names at any depth. */
	ck_assert(!pcb_project_filter(&p, ".git", true));
	ck_assert(!pcb_project_filter(&p, "src/.git/config", false));
	ck_assert(!pcb_project_filter(&p, ".hg", true));
	ck_assert(!pcb_project_filter(&p, ".svn", true));
	ck_assert(!pcb_project_filter(&p, ".venv", true));
	ck_assert(!pcb_project_filter(&p, "venv", true));
	ck_assert(!pcb_project_filter(&p, "src/pkg/__pycache__", true));
	ck_assert(!pcb_project_filter(&p, "src/pkg/__pycache__/m.cpython-312.pyc", false));
	ck_assert(!pcb_project_filter(&p, "src/pkg/m.pyc", false));
	ck_assert(!pcb_project_filter(&p, "m.pyo", false));
	ck_assert(!pcb_project_filter(&p, ".pytest_cache", true));
	ck_assert(!pcb_project_filter(&p, ".mypy_cache", true));
	ck_assert(!pcb_project_filter(&p, ".ruff_cache", true));
	ck_assert(!pcb_project_filter(&p, ".tox", true));
	ck_assert(!pcb_project_filter(&p, ".nox", true));
	ck_assert(!pcb_project_filter(&p, "src/hello.egg-info", true));
	ck_assert(!pcb_project_filter(&p, "src/.DS_Store", false));
	ck_assert(!pcb_project_filter(&p, ".idea", true));
	ck_assert(!pcb_project_filter(&p, ".vscode", true));
	/* dist, build and the ignore files only at the top. */
	ck_assert(!pcb_project_filter(&p, "dist", true));
	ck_assert(!pcb_project_filter(&p, "build", true));
	ck_assert(!pcb_project_filter(&p, "build/lib/x.py", false));
	ck_assert(pcb_project_filter(&p, "src/pkg/build", true));
	ck_assert(pcb_project_filter(&p, "src/pkg/dist/x.py", false));
	ck_assert(!pcb_project_filter(&p, ".pcbignore", false));
	ck_assert(!pcb_project_filter(&p, ".dockerignore", false));
	/* env only when it is a virtualenv. */
	ck_assert(!pcb_project_filter(&p, "env", true));
	ck_assert(!pcb_project_filter(&p, "env/lib/site.py", false));
	ck_assert(pcb_project_filter(&p, "pkg/env", true));
	ck_assert(pcb_project_filter(&p, "pkg/env/__init__.py", false));
	/* Ordinary paths. */
	ck_assert(pcb_project_filter(&p, "main.py", false));
	ck_assert(pcb_project_filter(&p, "src/pkg/mod.py", false));
	ck_assert(pcb_project_filter(&p, "src/pkg/mod.pyi", false));
	ck_assert(pcb_project_filter(&p, "src", true));
	/* And the ignore file. */
	ck_assert(!pcb_project_filter(&p, "x.log", false));
	ck_assert(pcb_project_filter(&p, "src/x.log", false));
	ck_assert(pcb_project_filter(&p, "docs", true));        /* walked: an exception is inside */
	ck_assert(pcb_project_filter(&p, "docs/keep.md", false));
	ck_assert(!pcb_project_filter(&p, "docs/other.md", false));
	ck_assert(!pcb_project_filter(&p, "docs/sub", true));
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_filter_without_ignore)
{
	struct pcb_project p;

	memset(&p, 0, sizeof p);
	ck_assert(pcb_project_filter(&p, "a/b.py", false));
	ck_assert(!pcb_project_filter(&p, "a/__pycache__", true));
	ck_assert(pcb_project_filter(NULL, "a/b.py", false));
}
END_TEST

/* ---- metadata from every source (issue 3) ---- */

START_TEST(test_pep621_authors_dependencies_sources)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"svc\"\nversion = \"1.0\"\n"
	    "authors = [{ name = \"Ada\", email = \"ada@example.org\" }, { name = \"Bob\" },\n"
	    "  { email = \"team@example.org\" }]\n"
	    "dependencies = [\"Requests[socks]>=2 ; python_version >= '3.8'\", \"zope.interface\",\n"
	    "  \"Flask_SQLAlchemy==3.*\", \"pkg @ https://example.org/pkg.whl\"]\n");
	put("requirements.txt",
	    "# comment\n-r base.txt\n-c constraints.txt\n-e .\n--index-url https://x/simple\n"
	    "numpy==1.26  # pinned\n  PyYAML>=6\ngit+https://github.com/a/b.git\n./local/pkg\n"
	    "requests\n\n");
	put("requirements-dev.txt", "pytest>=8\n");
	put("main.py", "");
	discover_ok(&p);
	assert_strv(&p.authors, "authors", "Ada <ada@example.org>", "Bob", "team@example.org", NULL);
	assert_str(p.authors_source, "pyproject.toml [project].authors", "authors_source");
	assert_strv(&p.dependencies, "dependencies", "flask-sqlalchemy", "numpy", "pkg", "pytest",
	    "pyyaml", "requests", "zope-interface", NULL);
	assert_str(p.dependencies_source, "pyproject.toml [project].dependencies, "
	    "requirements-dev.txt, requirements.txt", "dependencies_source");
	assert_str(p.name_source, "pyproject.toml [project].name", "name_source");
	assert_str(p.version_source, "pyproject.toml [project].version", "version_source");
	assert_str(p.layout, "module", "layout");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_poetry_full)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[tool.poetry]\nname = \"poet\"\nversion = \"2.1.0\"\ndescription = \"d\"\n"
	    "license = \"MIT\"\nauthors = [\"Ann <ann@example.org>\", \"Ben\"]\n\n"
	    "[tool.poetry.dependencies]\npython = \"~3.10\"\nDjango = \"^5.0\"\n"
	    "gunicorn = { version = \"^22\", optional = true }\n\n"
	    "[tool.poetry.scripts]\npoet = { callable = \"poet.cli:main\" }\n");
	put("poet/__init__.py", "");
	put("poet/cli.py", "");
	discover_ok(&p);
	assert_str(p.name, "poet", "name");
	assert_str(p.name_source, "pyproject.toml [tool.poetry].name", "name_source");
	assert_str(p.version, "2.1.0", "version");
	assert_str(p.version_source, "pyproject.toml [tool.poetry].version", "version_source");
	assert_str(p.license_source, "pyproject.toml [tool.poetry].license", "license_source");
	assert_str(p.python_version, "3.10", "python_version");
	assert_str(p.python_version_source, "pyproject.toml [tool.poetry.dependencies].python "
	    "'~3.10' (the newest CPython it allows)",
	    "python_version_source");
	assert_strv(&p.authors, "authors", "Ann <ann@example.org>", "Ben", NULL);
	assert_str(p.authors_source, "pyproject.toml [tool.poetry].authors", "authors_source");
	assert_strv(&p.dependencies, "dependencies", "django", "gunicorn", NULL);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from poet.cli import main; sys.exit(main())", NULL);
	assert_str(p.layout, "flat", "layout");
	pcb_project_free(&p);
}
END_TEST

static const struct rp_case poetry_cases[] = {
	{ "^3.11", "3.14" },
	{ "^3", "3.14" },
	{ "~3.9", "3.9" },
	{ "~3.9.2", "3.9" },
	{ "~3", "3.14" },
	{ ">=3.9,<3.13", "3.12" },
	{ ">=3.9 <3.13", "3.12" },
	{ ">= 3.12", "3.14" },
	{ "3.10", "3.10" },
	{ "3.13.*", "3.13" },
	{ "*", "3.14" },
	{ "^2.7 || ^3.12", "3.14" },
	{ "~=3.10", "3.14" },
	{ "^4.0", NULL },
	{ "~3.7", NULL },
	{ "^3.x", NULL },
	{ "^3.11 ||", NULL },
};

START_TEST(test_poetry_python)
{
	const struct rp_case *c = &poetry_cases[_i];
	struct pcb_project p;
	struct pcb_err e;
	char *toml = pcb_xasprintf("[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\n"
	    "python = \"%s\"\n", c->spec);

	put("pyproject.toml", toml);
	put("main.py", "");
	free(toml);
	if (c->want != NULL) {
		discover_ok(&p);
		assert_str(p.python_version, c->want, c->spec);
		pcb_project_free(&p);
	} else {
		discover_fails(PCB_EINVAL, &e);
		ck_assert_msg(strstr(e.msg, "pyproject.toml: line 4: [tool.poetry.dependencies].python")
		    != NULL, "%s: msg %s", c->spec, e.msg);
		ck_assert_msg(strstr(e.msg, c->spec) != NULL, "%s: msg %s", c->spec, e.msg);
	}
}
END_TEST

START_TEST(test_poetry_python_excludes_all)
{
	struct pcb_err e;

	put("pyproject.toml", "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\n"
	    "python = \"^4.0\"\n");
	put("main.py", "");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "'^4.0' excludes every known Python version (3.8 to 3.14)") !=
	    NULL, "msg %s", e.msg);
}
END_TEST

START_TEST(test_hatch_dynamic_version)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"hpkg\"\ndynamic = [\"version\"]\n"
	    "[tool.hatch.version]\npath = \"src/hpkg/__about__.py\"\n");
	put("src/hpkg/__init__.py", "");
	put("src/hpkg/__about__.py", "# SPDX\n\n__version__ = \"1.2.3\"\n");
	discover_ok(&p);
	assert_str(p.version, "1.2.3", "version");
	assert_str(p.version_source,
	    "src/hpkg/__about__.py:3 __version__ (via [tool.hatch.version].path)", "version_source");
	assert_str(p.layout, "src", "layout");
	ck_assert(p.package_in_src);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_pdm_file_version)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"ppkg\"\ndynamic = [\"version\"]\n"
	    "[tool.pdm.version]\nsource = \"file\"\npath = \"ppkg/__init__.py\"\n");
	put("ppkg/__init__.py", "__version__: str = '0.9.1'\n");
	discover_ok(&p);
	assert_str(p.version, "0.9.1", "version");
	assert_str(p.version_source, "ppkg/__init__.py:1 __version__ (via [tool.pdm.version].path)",
	    "version_source");
	pcb_project_free(&p);

	/* source = "scm": the version lives in git, unknown here, and the plan says so. */
	put("pyproject.toml",
	    "[project]\nname = \"ppkg\"\ndynamic = [\"version\"]\n[tool.pdm.version]\nsource = \"scm\"\n");
	discover_ok(&p);
	assert_str(p.version, NULL, "version");
	ck_assert_msg(p.version_source != NULL && strstr(p.version_source, "dynamic") != NULL,
	    "version_source %s", p.version_source);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_setuptools_dynamic_attr_and_file)
{
	struct pcb_project p;

	put("pyproject.toml",
	    "[project]\nname = \"spkg\"\ndynamic = [\"version\"]\n"
	    "[tool.setuptools.dynamic]\nversion = { attr = \"spkg.version.VERSION\" }\n");
	put("src/spkg/__init__.py", "");
	put("src/spkg/version.py", "import os\nVERSION = \"4.5.6\"  # release\n");
	discover_ok(&p);
	assert_str(p.version, "4.5.6", "version attr");
	assert_str(p.version_source,
	    "src/spkg/version.py:2 VERSION (via [tool.setuptools.dynamic].version)", "source");
	pcb_project_free(&p);

	put("pyproject.toml",
	    "[project]\nname = \"spkg\"\ndynamic = [\"version\"]\n"
	    "[tool.setuptools.dynamic]\nversion = { file = \"VERSION\" }\n");
	put("VERSION", "7.8.9\n");
	discover_ok(&p);
	assert_str(p.version, "7.8.9", "version file");
	assert_str(p.version_source, "VERSION (via [tool.setuptools.dynamic].version)", "source");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_setup_cfg_project)
{
	struct pcb_project p;

	put("setup.cfg",
	    "[metadata]\nname = cfgapp\nversion = attr: cfgapp.__version__\n"
	    "description = From setup.cfg\nlicense = BSD-2-Clause\nauthor = Cy\n"
	    "author_email = cy@example.org\n\n"
	    "; a comment\n[options]\npackages = find:\npython_requires = >=3.9\n"
	    "install_requires =\n    click>=8\n    Jinja2  # templates\n\n"
	    "[options.entry_points]\nconsole_scripts =\n    other = cfgapp.other:run\n"
	    "    cfgapp = cfgapp.cli:main\n");
	put("setup.py", "from setuptools import setup\nsetup()\n");
	put("cfgapp/__init__.py", "__version__ = '3.2.1'\n");
	put("cfgapp/cli.py", "");
	discover_ok(&p);
	assert_str(p.name, "cfgapp", "name");
	assert_str(p.name_source, "setup.cfg [metadata].name", "name_source");
	assert_str(p.version, "3.2.1", "version");
	assert_str(p.version_source,
	    "cfgapp/__init__.py:1 __version__ (via setup.cfg: line 3: [metadata].version)",
	    "version_source");
	assert_str(p.description, "From setup.cfg", "description");
	assert_str(p.license, "BSD-2-Clause", "license");
	assert_strv(&p.authors, "authors", "Cy <cy@example.org>", NULL);
	assert_str(p.python_version, "3.14", "python_version");   /* >=3.9: the newest */
	assert_strv(&p.dependencies, "dependencies", "click", "jinja2", NULL);
	assert_str(p.dependencies_source, "setup.cfg [options].install_requires",
	    "dependencies_source");
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from cfgapp.cli import main; sys.exit(main())", NULL);
	assert_str(p.cmd_source,
	    "setup.cfg [options.entry_points] cfgapp = \"cfgapp.cli:main\"", "cmd_source");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_setup_cfg_version_file_and_pyproject_wins)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"real\"\n");
	put("setup.cfg", "[metadata]\nname = other\nversion = file: VERSION.txt\n");
	put("VERSION.txt", " 0.1.2 \n");
	put("main.py", "");
	discover_ok(&p);
	assert_str(p.name, "real", "name");
	assert_str(p.version, "0.1.2", "version");
	assert_str(p.version_source, "VERSION.txt (via setup.cfg: line 3: [metadata].version)",
	    "version_source");
	pcb_project_free(&p);
}
END_TEST

static const struct bad_case bad_meta_cases[] = {
	{ "[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"version\"]\n",
	  "pyproject.toml: line 3: [project].version is set and also listed in [project].dynamic" },
	{ "[project]\nname = \"x\"\nauthors = \"me\"\n",
	  "pyproject.toml: line 3: [project].authors must be an array" },
	{ "[project]\nname = \"x\"\nauthors = [\"me\"]\n",
	  "[project].authors must be an array of tables" },
	{ "[project]\nname = \"x\"\ndependencies = [1]\n",
	  "pyproject.toml: line 3: [project].dependencies must be an array of strings" },
	{ "[project]\nname = \"x\"\ndynamic = [\"version\"]\n[tool.hatch.version]\n"
	  "path = \"../outside/__about__.py\"\n",
	  "[tool.hatch.version].path: '../outside/__about__.py' is outside the context" },
	{ "[project]\nname = \"x\"\ndynamic = [\"version\"]\n[tool.hatch.version]\n"
	  "path = \"missing.py\"\n",
	  "[tool.hatch.version].path: 'missing.py'" },
	{ "[project]\nname = \"x\"\ndynamic = [\"version\"]\n[tool.hatch.version]\npath = 3\n",
	  "pyproject.toml: line 5: [tool.hatch.version].path must be a string" },
	{ "[project]\nname = \"x\"\ndynamic = [\"version\"]\n[tool.setuptools.dynamic]\n"
	  "version = { attr = \"nomod.__version__\" }\n",
	  "[tool.setuptools.dynamic].version: no module file for 'nomod'" },
	{ "[project]\nname = \"x\"\ndynamic = [\"version\"]\n[tool.setuptools.dynamic]\n"
	  "version = \"1.0\"\n",
	  "pyproject.toml: line 5: [tool.setuptools.dynamic].version must be a table" },
	{ "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\npython = 3.11\n",
	  "pyproject.toml: line 4: [tool.poetry.dependencies].python must be a string" },
	{ "[tool.poetry]\nname = \"x\"\nauthors = [{ name = \"a\" }]\n",
	  "pyproject.toml: line 3: [tool.poetry].authors must be an array of strings" },
};

START_TEST(test_bad_metadata)
{
	const struct bad_case *c = &bad_meta_cases[_i];
	struct pcb_err e;

	put("main.py", "");
	put("pyproject.toml", c->toml);
	if (strstr(c->toml, "[project.scripts]\nx = ") != NULL) {
		/* A bad script entry is a problem of finding the command: discovery succeeds and
		 * keeps it for the build, which reports it unless a command is given (project.h). */
		struct pcb_project p;

		discover_ok(&p);
		ck_assert_int_eq(p.cmd_error_code, PCB_EINVAL);
		ck_assert_msg(p.cmd_error != NULL && strstr(p.cmd_error, c->msg) != NULL,
		    "case %d: want \"%s\" in \"%s\"", _i, c->msg, p.cmd_error);
		ck_assert_uint_eq(p.cmd.n, 0);
		ck_assert_ptr_null(p.cmd_source);
		pcb_project_free(&p);
		return;
	}
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, c->msg) != NULL, "case %d: want \"%s\" in \"%s\"", _i, c->msg,
	    e.msg);
}
END_TEST

START_TEST(test_bad_setup_cfg)
{
	struct pcb_err e;

	put("main.py", "");
	put("setup.cfg", "[metadata]\nname = x\njunk line\n");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "setup.cfg: line 3: expected key = value") != NULL, "%s", e.msg);

	put("setup.cfg", "[options]\npython_requires = >=5\n");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "setup.cfg: line 2: [options].python_requires '>=5' excludes "
	    "every known Python version") != NULL, "%s", e.msg);

	put("setup.cfg", "[metadata]\nversion = attr: pkg\n");
	discover_fails(PCB_EINVAL, &e);
	ck_assert_msg(strstr(e.msg, "setup.cfg: line 2: [metadata].version: 'pkg' is not "
	    "module.attribute") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(test_version_symlink_outside_context)
{
	struct pcb_err e;
	char *outside = pcb_path_join(tmp, "outside");
	char *ctx = pcb_path_join(tmp, "ctx"), *link;

	pcb_test_write(tmp, "outside/__about__.py", "__version__ = \"6.6.6\"\n", 0644);
	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"x\"\ndynamic = [\"version\"]\n"
	    "[tool.hatch.version]\npath = \"about.py\"\n", 0644);
	pcb_test_write(ctx, "main.py", "", 0644);
	link = pcb_path_join(ctx, "about.py");
	ck_assert_int_eq(symlink("../outside/__about__.py", link), 0);
	{
		struct pcb_project p;
		pcb_err_clear(&e);
		ck_assert_int_eq(pcb_project_discover(ctx, &p, &e), PCB_EINVAL);
		ck_assert_msg(strstr(e.msg, "outside the context") != NULL, "%s", e.msg);
	}
	free(link);
	free(ctx);
	free(outside);
}
END_TEST

/* ---- layouts ---- */

/* Issue 12, item 1: the whole context is the default; each top-level entry left out is listed
 * with the rule that did it (built-in, the ignore file's line, the config's exclude). */
/* Names in files included with -r count (the server may be listed there); includes are
 * followed relative to the including file, inside the context, a few levels deep. */
START_TEST(test_requirements_includes)
{
	struct pcb_project p;

	put("main.py", "");
	put("requirements.txt", "-r requirements/prod.txt\n--requirement=extra.txt\n"
	    "-c constraints.txt\n");
	put("requirements/prod.txt", "-r base.txt\ngunicorn==21.2.0\n");
	put("requirements/base.txt", "flask>=2.2  # web\n-r ../common.txt\n-r ../../outside.txt\n"
	    "-r missing.txt\n-r base.txt\n");
	put("common.txt", "requests\n");
	put("extra.txt", "Redis[hiredis]\n");
	put("constraints.txt", "urllib3<3\n");
	discover_ok(&p);
	assert_strv(&p.dependencies, "dependencies", "flask", "gunicorn", "redis", "requests",
	    NULL);
	pcb_project_free(&p);
}
END_TEST

/* A requirements file saved as UTF-16 (with its byte order mark) is read as pip reads it;
 * servers offered as extras count for choosing the command. */
START_TEST(test_utf16_requirements_and_optional_server)
{
	struct pcb_project p;
	static const char utf16[] = "\xff\xfe" "d\0j\0a\0n\0g\0o\0\r\0\n\0"
	    "d\0a\0p\0h\0n\0e\0\r\0\n\0";

	put("main.py", "");
	pcb_test_write(tmp, "requirements.txt", "", 0644);
	{
		char *path = pcb_path_join(tmp, "requirements.txt");
		FILE *f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(utf16, 1, sizeof utf16 - 1, f), sizeof utf16 - 1);
		fclose(f);
		free(path);
	}
	put("pyproject.toml", "[project]\nname = \"x\"\n[project.optional-dependencies]\n"
	    "webserver = [\"granian[uvloop]~=2.7.0\"]\n");
	discover_ok(&p);
	assert_strv(&p.dependencies, "dependencies", "daphne", "django", NULL);
	assert_strv(&p.optional_dependencies, "optional_dependencies", "granian", NULL);
	pcb_project_free(&p);
}
END_TEST

/* setup.py's console scripts are read without running it (both spellings), and among
 * several scripts the one that runs the package's __main__ is the command. */
START_TEST(test_setup_py_console_scripts)
{
	struct pcb_project p;

	put("gallery_dl/__init__.py", "def main():\n    pass\n");
	put("gallery_dl/__main__.py", "from gallery_dl import main\nmain()\n");
	put("setup.py",
	    "from setuptools import setup\n"
	    "setup(\n"
	    "    name='gallery_dl',\n"
	    "    entry_points={\n"
	    "        'console_scripts': [\n"
	    "            'gdl-helper = gallery_dl.helper:run',\n"
	    "            \"gallery-dl = gallery_dl.__main__:main\",\n"
	    "        ],\n"
	    "    },\n"
	    ")\n");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from gallery_dl.__main__ import main; sys.exit(main())", NULL);
	assert_str(p.cmd_source, "setup.py [entry_points] gallery-dl = \"gallery_dl.__main__:main\"",
	    "cmd_source");
	pcb_project_free(&p);

	put("setup.py",
	    "from setuptools import setup\n"
	    "setup(name='tool', entry_points='''\n"
	    "    [console_scripts]\n"
	    "    tool=gallery_dl:main\n"
	    "''')\n");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from gallery_dl import main; sys.exit(main())", NULL);
	pcb_project_free(&p);
}
END_TEST

/* setup.py's install_requires, read without running it, from real projects' files: a list
 * assigned to a name first (requests 2.18, aiohttp-demos polls), a literal list in the call
 * (gallery-dl, beside a setup.cfg without one), and one read from a file at run time
 * (changedetection.io: noted by line, nothing taken). */
START_TEST(test_setup_py_install_requires)
{
	struct pcb_project p;
	struct pcb_err e;
	char *src = getenv("PCB_SOURCE_DIR"), *d;

	ck_assert_msg(src != NULL, "PCB_SOURCE_DIR not set");
	ck_assert_int_eq(pcb_test_runf(NULL, "cp '%s/tests/fixtures/setup-py/requests-2.18/setup.py' "
	    "'%s/setup.py'", src, tmp), 0);
	put("requests/__init__.py", "");
	discover_ok(&p);
	assert_strv(&p.setup_requires, "setup_requires", "chardet>=3.0.2,<3.1.0", "idna>=2.5,<2.7",
	    "urllib3>=1.21.1,<1.23", "certifi>=2017.4.17", NULL);
	assert_str(p.setup_requires_from, "setup.py install_requires", "from");
	assert_strv(&p.dependencies, "dependencies", "certifi", "chardet", "idna", "urllib3", NULL);
	ck_assert_int_eq(p.setup_py_dynamic_requires, 0);
	pcb_project_free(&p);

	static const struct {
		const char *corpus;
		size_t n;
		const char *first;
		int dynamic_line;
	} real[] = {
		{ "aiohttp-demos-polls-readme", 4, "aiohttp", 0 },
		{ "cli-gallery-dl-setuppy", 1, "requests>=2.11.0", 0 },
		{ "flask-changedetection-script", 0, NULL, 40 },
	};
	for (size_t i = 0; i < PCB_ARRAY_LEN(real); i++) {
		d = pcb_xasprintf("%s/tests/corpus/%s/tree", src, real[i].corpus);
		ck_assert_msg(pcb_project_discover(d, &p, &e) == 0, "%s: %s", real[i].corpus, e.msg);
		ck_assert_msg(p.setup_requires.n == real[i].n, "%s: %zu lines", real[i].corpus,
		    p.setup_requires.n);
		if (real[i].first != NULL)
			ck_assert_str_eq(p.setup_requires.v[0], real[i].first);
		ck_assert_int_eq(p.setup_py_dynamic_requires, real[i].dynamic_line);
		pcb_project_free(&p);
		free(d);
	}

	/* Computed in the call: nothing taken, the line noted. */
	put("setup.py", "from setuptools import setup\nsetup(name='x',\n"
	    "      install_requires=[l for l in open('deps.in')])\n");
	discover_ok(&p);
	ck_assert_int_eq((int)p.setup_requires.n, 0);
	ck_assert_int_eq(p.setup_py_dynamic_requires, 3);
	pcb_project_free(&p);
}
END_TEST

/* A CLI with a web extra: it imports fastapi without a module-level app, and its console
 * script is the command rather than an error. */
START_TEST(test_script_wins_over_app_less_framework)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"tune\"\ndependencies = [\"fastapi\"]\n"
	    "[project.scripts]\ntune = \"tune.cli:main\"\n");
	put("tune/__init__.py", "");
	put("tune/cli.py", "def main():\n    pass\n");
	put("tune/web.py", "from fastapi import APIRouter\nrouter = APIRouter()\n");
	discover_ok(&p);
	assert_str(p.cmd_script, "tune", "cmd_script");
	ck_assert_ptr_null(p.cmd_error);
	pcb_project_free(&p);
}
END_TEST

/* Pipfile's [packages] (not its dev-packages) are the project's declared dependencies. */
START_TEST(test_pipfile_names)
{
	struct pcb_project p;

	put("app.py", "");
	put("Pipfile", "[[source]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\n"
	    "[dev-packages]\npytest = \"*\"\n[packages]\nFlask = \"*\"\n"
	    "gunicorn = { version = \">=21\" }\n");
	discover_ok(&p);
	assert_strv(&p.dependencies, "dependencies", "flask", "gunicorn", NULL);
	assert_str(p.dependencies_source, "Pipfile [packages]", "dependencies_source");
	pcb_project_free(&p);
}
END_TEST

/* fastapi[standard] brings FastAPI's own CLI: `fastapi run`, as FastAPI's Docker guide runs
 * it, unless the project lists a server of its own. */
START_TEST(test_fastapi_standard_runs_fastapi_cli)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"svc\"\ndependencies = "
	    "[\"fastapi[standard]>=0.112\"]\n");
	put("svc/__init__.py", "");
	put("svc/main.py", "from fastapi import FastAPI\napi = FastAPI()\n");
	discover_ok(&p);
	assert_strv(&p.dependency_extras, "dependency_extras", "fastapi[standard]", NULL);
	assert_strv(&p.cmd, "cmd", "fastapi", "run", "svc/main.py", "--host", "0.0.0.0", "--port",
	    "8000", "--app", "api", NULL);
	pcb_project_free(&p);

	put("pyproject.toml", "[project]\nname = \"svc\"\ndependencies = "
	    "[\"fastapi[standard]>=0.112\", \"uvicorn[standard]\"]\n");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "uvicorn", "svc.main:api", "--host", "0.0.0.0", "--port",
	    "8000", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_whole_context_and_what_is_left_out)
{
	struct pcb_project p;

	put("main.py", "print('hi')\n");
	put("templates/index.html", "<p>hi</p>\n");
	put("config/settings.py", "DEBUG = False\n");
	put("migrations/0001_initial.py", "");
	put("static/site.css", "");
	put("docs/index.md", "");
	put("app.log", "");
	put("node_modules/x/index.js", "");
	put("build/lib/x.py", "");
	put("myenv/pyvenv.cfg", "home = /usr\n");
	put("myenv/lib/x.py", "");
	put("pkg/__init__.py", "");
	put("pkg/build/steps.py", "");
	put(".dockerignore", "# docs are not served\ndocs\n");
	put("pycontainer.toml", "[build]\nexclude = [\"*.log\"]\n");
	discover_ok(&p);
	assert_strv(&p.include, "include", "config", "main.py", "migrations", "pkg",
	    "pycontainer.toml", "static", "templates", NULL);
	assert_strv(&p.excluded, "excluded", ".dockerignore", "app.log", "build", "docs", "myenv",
	    "node_modules", NULL);
	assert_strv(&p.excluded_why, "excluded_why", "built-in: ignore file",
	    "pycontainer.toml [build].exclude: *.log", "built-in: build output",
	    ".dockerignore line 2: docs", "built-in: virtual environment", "built-in: node_modules",
	    NULL);
	/* Below the top: "build" is a fine module name, node_modules and caches are not. */
	ck_assert(pcb_project_filter(&p, "pkg/build", true));
	ck_assert(!pcb_project_filter(&p, "pkg/node_modules", true));
	ck_assert(!pcb_project_filter(&p, "pkg/__pycache__", true));
	ck_assert(!pcb_project_filter(&p, "pkg/mod.pyc", false));
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_namespace_package)
{
	struct pcb_project p;

	put("main.py", "from acme.tools import run\nimport json\n");
	put("acme/tools.py", "def run(): pass\n");
	put("acme/sub/more.py", "");
	put("unused/helper.py", "");          /* not imported: no namespace package */
	put("notpy/readme.txt", "");
	put("tests/test_x.py", "import acme\n");
	discover_ok(&p);
	assert_strv(&p.include, "include", "acme", "main.py", "notpy", "tests", "unused", NULL);
	assert_str(p.package, NULL, "package");
	assert_str(p.layout, "namespace", "layout");
	assert_strv(&p.cmd, "cmd", "python", "main.py", NULL);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_namespace_package_named_after_project)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"nsapp\"\n[project.scripts]\n"
	    "nsapp = \"nsapp.cli:main\"\n");
	put("nsapp/cli.py", "def main(): pass\n");
	discover_ok(&p);
	assert_strv(&p.include, "include", "nsapp", "pyproject.toml", NULL);
	assert_str(p.package, "nsapp", "package");
	assert_str(p.layout, "namespace", "layout");
	assert_str(p.package_source, "namespace package nsapp/ (no __init__.py)", "package_source");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_layout_names)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"lay\"\n");
	put("src/lay/__init__.py", "");
	discover_ok(&p);
	assert_str(p.layout, "src", "src layout");
	assert_str(p.package_source, "src/lay/__init__.py", "package_source");
	pcb_project_free(&p);
	pcb_test_rmtree(tmp);
	pcb_test_mkdir(tmp, ".");

	put("lay/__init__.py", "");
	discover_ok(&p);
	assert_str(p.layout, "flat", "flat layout");
	pcb_project_free(&p);
	pcb_test_rmtree(tmp);
	pcb_test_mkdir(tmp, ".");

	put("app/__init__.py", "");
	put("app/__main__.py", "");
	discover_ok(&p);
	assert_str(p.layout, "app", "app layout");
	pcb_project_free(&p);
	pcb_test_rmtree(tmp);
	pcb_test_mkdir(tmp, ".");

	put("README.md", "");
	discover_ok(&p);
	assert_str(p.layout, "none", "nothing");
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_monorepo_subproject)
{
	struct pcb_project p;
	struct pcb_err e;
	char *sub = pcb_path_join(tmp, "services/api");

	put(".git/HEAD", "ref: refs/heads/main\n");
	put("pyproject.toml", "[project]\nname = \"monorepo-root\"\nversion = \"9.9\"\n"
	    "dependencies = [\"django\"]\n");
	put("pycontainer.toml", "[build]\nworkdir = \"/root-level\"\n");
	put("requirements.txt", "rootdep\n");
	put("shared/lib.py", "");
	put("services/api/pyproject.toml", "[project]\nname = \"api\"\nversion = \"0.2\"\n"
	    "dependencies = [\"httpx\"]\n[project.scripts]\napi = \"api.main:run\"\n");
	put("services/api/api/__init__.py", "");
	put("services/api/api/main.py", "");
	pcb_err_clear(&e);
	ck_assert_msg(pcb_project_discover(sub, &p, &e) == 0, "%s", e.msg);
	assert_str(p.name, "api", "name");
	assert_str(p.version, "0.2", "version");
	assert_strv(&p.dependencies, "dependencies", "httpx", NULL);
	assert_strv(&p.include, "include", "api", "pyproject.toml", NULL);
	assert_str(p.config.workdir.value, NULL, "no config from the repo root");
	ck_assert(!p.config.have_file);
	assert_str(p.layout, "flat", "layout");
	pcb_project_free(&p);
	free(sub);
}
END_TEST

/* ---- web frameworks and the command ---- */

START_TEST(test_framework_wins_over_unnamed_script)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"web\"\n"
	    "dependencies = [\"fastapi\", \"uvicorn\"]\n"
	    "[project.scripts]\nweb-admin = \"web.admin:main\"\n");
	put("web/__init__.py", "");
	put("web/admin.py", "def main(): pass\n");
	put("web/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n");
	discover_ok(&p);
	assert_str(p.framework, "fastapi", "framework");
	ck_assert_int_eq(p.port, 8000);
	ck_assert_msg(p.cmd.n > 0 && strcmp(p.cmd.v[0], "uvicorn") == 0, "cmd[0] %s",
	    p.cmd.n > 0 ? p.cmd.v[0] : "-");
	ck_assert_msg(pcb_strv_contains(&p.cmd, "web.main:app"), "cmd lacks web.main:app");
	ck_assert_msg(p.cmd_source != NULL && strstr(p.cmd_source, "fastapi app: ") == p.cmd_source &&
	    strstr(p.cmd_source, "web/main.py:3") != NULL, "cmd_source %s", p.cmd_source);
	ck_assert(pcb_strv_contains(&p.framework_env, "PORT=8000"));
	assert_strv(&p.dependencies, "dependencies", "fastapi", "uvicorn", NULL);
	pcb_project_free(&p);
}
END_TEST

/* A console script named after the project that is only a command-line tool ranks below the
 * web app under the production server the project declares; one that starts that server
 * itself ranks above it. Both ways are in passed_over. */
START_TEST(test_script_or_declared_server)
{
	struct pcb_project p;

	put("pyproject.toml", "[project]\nname = \"web\"\n"
	    "dependencies = [\"fastapi\", \"uvicorn\"]\n"
	    "[project.scripts]\nweb = \"web.serve:main\"\n");
	put("web/__init__.py", "");
	put("web/serve.py", "import argparse\ndef main(): argparse.ArgumentParser().parse_args()\n");
	put("web/main.py", "from fastapi import FastAPI\napp = FastAPI()\n");
	discover_ok(&p);
	assert_str(p.framework, "fastapi", "framework");
	ck_assert_int_eq(p.port, 8000);
	assert_strv(&p.cmd, "cmd", "uvicorn", "web.main:app", "--host", "0.0.0.0", "--port",
	    "8000", NULL);
	ck_assert_uint_eq(p.passed_over.n, 1);
	ck_assert_msg(strstr(p.passed_over.v[0], "console script web = web.serve:main") != NULL &&
	    strstr(p.passed_over.v[0], "ranks below the app under a production server") != NULL,
	    "%s", p.passed_over.v[0]);
	pcb_project_free(&p);

	/* The script is the project's own launcher of that server. */
	put("web/serve.py", "import uvicorn\nfrom web.main import app\n"
	    "def main():\n    uvicorn.run(app, host='0.0.0.0', port=9000)\n");
	discover_ok(&p);
	assert_strv(&p.cmd, "cmd", "python", "-c",
	    "import sys; from web.serve import main; sys.exit(main())", NULL);
	assert_str(p.cmd_script, "web", "cmd_script");
	ck_assert_uint_eq(p.passed_over.n, 1);
	ck_assert_msg(strstr(p.passed_over.v[0], "uvicorn web.main:app") != NULL, "%s",
	    p.passed_over.v[0]);
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_no_framework_fields_empty)
{
	struct pcb_project p;

	put("main.py", "print('hi')\n");
	discover_ok(&p);
	assert_str(p.framework, NULL, "framework");
	ck_assert_int_eq(p.port, 0);
	ck_assert_int_eq(p.framework_env.n, 0);
	pcb_project_free(&p);
}
END_TEST

static Suite *
project_suite(void)
{
	Suite *s = suite_create("project");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_src_layout_with_scripts);
	tcase_add_test(tc, test_flat_package_with_main);
	tcase_add_test(tc, test_src_package_main_named_after_project);
	tcase_add_test(tc, test_single_module_main_py);
	tcase_add_test(tc, test_app_py);
	tcase_add_test(tc, test_app_folder);
	tcase_add_test(tc, test_app_folder_without_package_uses_main_py);
	tcase_add_test(tc, test_poetry_project);
	tcase_add_test(tc, test_project_wins_over_poetry);
	tcase_add_test(tc, test_multiple_scripts_named_wins);
	tcase_add_test(tc, test_multiple_scripts_first_wins);
	tcase_add_test(tc, test_script_module_only_and_extras);
	tcase_add_loop_test(tc, test_requires_python, 0, (int)PCB_ARRAY_LEN(rp_cases));
	tcase_add_test(tc, test_requires_python_excludes_all_message);
	tcase_add_test(tc, test_dynamic_version);
	tcase_add_test(tc, test_license_table);
	tcase_add_test(tc, test_bad_license);
	tcase_add_test(tc, test_invalid_toml);
	tcase_add_loop_test(tc, test_bad_files, 0, (int)PCB_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_no_entrypoint);
	tcase_add_test(tc, test_bad_context);
	tcase_add_test(tc, test_bad_ignore_file);
	tcase_add_test(tc, test_ignore_file_shapes_include);
	tcase_add_test(tc, test_ignored_main_py_is_not_the_entrypoint);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_filter_without_ignore);
	tcase_add_test(tc, test_pep621_authors_dependencies_sources);
	tcase_add_test(tc, test_poetry_full);
	tcase_add_loop_test(tc, test_poetry_python, 0, (int)PCB_ARRAY_LEN(poetry_cases));
	tcase_add_test(tc, test_poetry_python_excludes_all);
	tcase_add_test(tc, test_hatch_dynamic_version);
	tcase_add_test(tc, test_pdm_file_version);
	tcase_add_test(tc, test_setuptools_dynamic_attr_and_file);
	tcase_add_test(tc, test_setup_cfg_project);
	tcase_add_test(tc, test_setup_cfg_version_file_and_pyproject_wins);
	tcase_add_loop_test(tc, test_bad_metadata, 0, (int)PCB_ARRAY_LEN(bad_meta_cases));
	tcase_add_test(tc, test_bad_setup_cfg);
	tcase_add_test(tc, test_version_symlink_outside_context);
	tcase_add_test(tc, test_namespace_package);
	tcase_add_test(tc, test_whole_context_and_what_is_left_out);
	tcase_add_test(tc, test_requirements_includes);
	tcase_add_test(tc, test_utf16_requirements_and_optional_server);
	tcase_add_test(tc, test_setup_py_console_scripts);
	tcase_add_test(tc, test_setup_py_install_requires);
	tcase_add_test(tc, test_script_wins_over_app_less_framework);
	tcase_add_test(tc, test_pipfile_names);
	tcase_add_test(tc, test_fastapi_standard_runs_fastapi_cli);
	tcase_add_test(tc, test_namespace_package_named_after_project);
	tcase_add_test(tc, test_layout_names);
	tcase_add_test(tc, test_monorepo_subproject);
	tcase_add_test(tc, test_framework_wins_over_unnamed_script);
	tcase_add_test(tc, test_script_or_declared_server);
	tcase_add_test(tc, test_python_pin);
	tcase_add_test(tc, test_no_framework_fields_empty);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(project_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
