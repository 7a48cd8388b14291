/* test-framework.c — web framework detection on fixture projects written into temp dirs
 * (FastAPI, Starlette, Flask with and without gunicorn and as an app factory, Django with and
 * without gunicorn, non-web apps, text in strings and comments that must not count, the
 * import-but-no-app error), and the Python scanner underneath on tricky lexing. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python/framework.h"
#include "python/pyscan.h"
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

/* Fills sv from a comma-separated list ("" = empty). */
static void
strv_csv(struct pcb_strv *sv, const char *csv)
{
	const char *s = csv;

	pcb_strv_init(sv);
	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		char *e = strndup(s, n);

		pcb_strv_push_owned(sv, e);
		s += n;
		if (*s == ',')
			s++;
	}
}

/* Runs detection on tmp. include NULL = let detection list the context. */
static int
detect(const char *package, bool in_src, const char *include, const char *deps,
    struct pcb_framework *fw, struct pcb_err *e)
{
	struct pcb_strv inc, dep;
	struct pcb_framework_input in = {
		.context = tmp, .package = package, .package_in_src = in_src,
		.include = include != NULL ? &inc : NULL, .dependencies = &dep,
	};
	int rc;

	strv_csv(&inc, include != NULL ? include : "");
	strv_csv(&dep, deps);
	pcb_err_clear(e);
	rc = pcb_framework_detect(&in, fw, e);
	pcb_strv_free(&inc);
	pcb_strv_free(&dep);
	return rc;
}

static void
detect_ok(const char *package, bool in_src, const char *include, const char *deps,
    struct pcb_framework *fw)
{
	struct pcb_err e;

	ck_assert_msg(detect(package, in_src, include, deps, fw, &e) == 0, "detect: %s", e.msg);
}

/* detect() with the import roots, console scripts ("name = mod:func", comma-separated) and
 * project name discovery passes. */
static void
detect_more(const char *package, const char *deps, const char *roots, const char *scripts,
    const char *name, struct pcb_framework *fw)
{
	struct pcb_strv dep, rts, scr;
	struct pcb_framework_input in = {
		.context = tmp, .package = package, .dependencies = &dep, .roots = &rts,
		.scripts = &scr, .project_name = name,
	};
	struct pcb_err e;

	strv_csv(&dep, deps);
	strv_csv(&rts, roots);
	strv_csv(&scr, scripts);
	pcb_err_clear(&e);
	ck_assert_msg(pcb_framework_detect(&in, fw, &e) == 0, "detect: %s", e.msg);
	pcb_strv_free(&dep);
	pcb_strv_free(&rts);
	pcb_strv_free(&scr);
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
assert_contains(const char *hay, const char *needle)
{
	ck_assert_msg(hay != NULL && strstr(hay, needle) != NULL, "\"%s\" does not contain \"%s\"",
	    hay ? hay : "(null)", needle);
}

static void
assert_not_web(const struct pcb_framework *fw)
{
	assert_str(fw->name, NULL, "name");
	assert_str(fw->app_module, NULL, "app_module");
	assert_str(fw->source, NULL, "source");
	/* Nothing allocated: callers need not free a non-result. */
	ck_assert_ptr_null(fw->cmd.v);
	ck_assert_ptr_null(fw->env.v);
	ck_assert_int_eq(fw->port, 0);
}

/* ---- FastAPI / Starlette ---- */

START_TEST(test_fastapi_src_layout)
{
	struct pcb_framework fw;

	put("pyproject.toml", "[project]\nname = \"shop\"\n");
	put("src/shop/__init__.py", "\"\"\"The shop.\"\"\"\n");
	put("src/shop/models.py", "from dataclasses import dataclass\n\nX = dict(a=1)\n");
	put("src/shop/main.py",
	    "\"\"\"Entry point.\"\"\"\n"
	    "from fastapi import FastAPI\n"
	    "\n"
	    "from .models import X\n"
	    "\n"
	    "# the app\n"
	    "app = FastAPI(title=\"Shop\")\n"
	    "\n"
	    "@app.get(\"/\")\n"
	    "def root():\n"
	    "    return {\"ok\": True}\n");
	detect_ok("shop", true, "pyproject.toml,src", "fastapi,uvicorn", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_str(fw.app_module, "shop.main", "app_module");
	assert_str(fw.app_object, "app", "app_object");
	assert_str(fw.settings_module, NULL, "settings_module");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "shop.main:app", "--host", "0.0.0.0", "--port",
	    "8000", NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "PORT=8000", NULL);
	assert_str(fw.source, "src/shop/main.py:7: app = FastAPI(title=\"Shop\")", "source");
	pcb_framework_free(&fw);
	ck_assert_ptr_null(fw.name);
	pcb_framework_free(&fw);   /* twice is harmless */
}
END_TEST

START_TEST(test_fastapi_flat_alias_without_uvicorn)
{
	struct pcb_framework fw;

	put("main.py",
	    "import os\n"
	    "from fastapi import FastAPI as F, Depends\n"
	    "\n"
	    "api = F()\n");
	put("util.py", "import fastapi\n");
	detect_ok(NULL, false, "main.py,util.py", "FastAPI", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_str(fw.app_module, "main", "app_module");
	assert_str(fw.app_object, "api", "app_object");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "main:api", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "PORT=8000", NULL);
	ck_assert_msg(pcb_str_has_prefix(fw.source, "main.py:4: api = F()"), "source %s",
	    fw.source);
	assert_contains(fw.source, "uvicorn is not a declared dependency");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_fastapi_module_alias_in_namespace_app_folder)
{
	struct pcb_framework fw;

	/* app/ without __init__.py is a namespace package: still "app.main". */
	put("app/main.py",
	    "import fastapi as fa\n"
	    "application = fa.FastAPI()\n");
	put("app/routers/items.py", "from fastapi import APIRouter\nrouter = APIRouter()\n");
	detect_ok(NULL, false, "app,requirements.txt", "fastapi,uvicorn", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_str(fw.app_module, "app.main", "app_module");
	assert_str(fw.app_object, "application", "app_object");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "app.main:application", "--host", "0.0.0.0",
	    "--port", "8000", NULL);
	assert_str(fw.source, "app/main.py:2: application = fa.FastAPI()", "source");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_fastapi_candidates_preference)
{
	struct pcb_framework fw;
	const char *mod = "from fastapi import FastAPI\n";
	char *s;

	put("src/pkg/__init__.py", "");
	s = pcb_xasprintf("%sapplication = FastAPI()\n", mod);
	put("src/pkg/admin.py", s);            /* not named app */
	free(s);
	s = pcb_xasprintf("%sapp = FastAPI()\n", mod);
	put("src/pkg/zzz.py", s);              /* not a preferred module name */
	put("src/pkg/web/main.py", s);         /* preferred, but deeper */
	put("src/pkg/api.py", s);              /* preferred and shallow: the winner */
	free(s);
	detect_ok("pkg", true, "src", "fastapi,uvicorn", &fw);
	assert_str(fw.app_module, "pkg.api", "app_module");
	assert_str(fw.app_object, "app", "app_object");
	assert_str(fw.source, "src/pkg/api.py:2: app = FastAPI()", "source");
	pcb_framework_free(&fw);

	/* The same again gives the same answer (directory order does not matter). */
	detect_ok("pkg", true, "src", "fastapi,uvicorn", &fw);
	assert_str(fw.app_module, "pkg.api", "app_module again");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_starlette)
{
	struct pcb_framework fw;

	put("app.py",
	    "from starlette.applications import Starlette\n"
	    "from starlette.routing import Route\n"
	    "\n"
	    "routes = [Route('/', lambda r: None)]\n"
	    "app = Starlette(debug=False,\n"
	    "                routes=routes)\n");
	detect_ok(NULL, false, "app.py", "starlette,uvicorn", &fw);
	assert_str(fw.name, "starlette", "name");
	assert_str(fw.app_module, "app", "app_module");
	assert_str(fw.app_object, "app", "app_object");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "PORT=8000", NULL);
	assert_str(fw.source, "app.py:5: app = Starlette(debug=False,", "source");
	pcb_framework_free(&fw);
}
END_TEST

/* ---- Flask ---- */

START_TEST(test_flask_with_gunicorn)
{
	struct pcb_framework fw;

	put("web/__init__.py", "");
	put("web/views.py", "from flask import Blueprint\nbp = Blueprint('v', __name__)\n");
	put("web/app.py",
	    "from flask import Flask\n"
	    "from .views import bp\n"
	    "\n"
	    "app = Flask(__name__)\n"
	    "app.register_blueprint(bp)\n");
	detect_ok("web", false, "web", "flask,gunicorn", &fw);
	assert_str(fw.name, "flask", "name");
	assert_str(fw.app_module, "web.app", "app_module");
	assert_str(fw.app_object, "app", "app_object");
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000", "web.app:app", NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "PORT=8000", NULL);
	assert_str(fw.source, "web/app.py:4: app = Flask(__name__)", "source");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_flask_without_gunicorn)
{
	struct pcb_framework fw;

	put("app.py",
	    "import flask\n"
	    "\n"
	    "application = flask.Flask(__name__)\n"
	    "\n"
	    "if __name__ == \"__main__\":\n"
	    "    application.run()\n");
	detect_ok(NULL, false, "app.py", "Flask", &fw);
	assert_str(fw.name, "flask", "name");
	assert_str(fw.app_module, "app", "app_module");
	assert_str(fw.app_object, "application", "app_object");
	assert_strv(&fw.cmd, "cmd", "flask", "--app", "app:application", "run", "--host", "0.0.0.0",
	    "--port", "5000", NULL);
	ck_assert_int_eq(fw.port, 5000);
	assert_strv(&fw.env, "env", "PORT=5000", NULL);
	assert_str(fw.source, "app.py:3: application = flask.Flask(__name__)", "source");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_flask_app_factory)
{
	struct pcb_framework fw;

	put("src/blog/__init__.py",
	    "import os\n"
	    "\n"
	    "from flask import Flask\n"
	    "\n"
	    "\n"
	    "def create_app(test_config=None):\n"
	    "    app = Flask(__name__, instance_relative_config=True)\n"
	    "    return app\n");
	put("src/blog/db.py", "import sqlite3\n");
	detect_ok("blog", true, "src", "flask,gunicorn", &fw);
	assert_str(fw.name, "flask", "name");
	assert_str(fw.app_module, "blog", "app_module");
	assert_str(fw.app_object, "create_app()", "app_object");
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000", "blog:create_app()",
	    NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "PORT=8000", NULL);
	assert_str(fw.source, "src/blog/__init__.py:6: def create_app(test_config=None):",
	    "source");
	pcb_framework_free(&fw);

	detect_ok("blog", true, "src", "flask", &fw);
	assert_strv(&fw.cmd, "cmd", "flask", "--app", "blog:create_app", "run", "--host",
	    "0.0.0.0", "--port", "5000", NULL);
	ck_assert_int_eq(fw.port, 5000);
	assert_strv(&fw.env, "env", "PORT=5000", NULL);
	pcb_framework_free(&fw);
}
END_TEST

/* ---- Django ---- */

static const char manage_py[] =
	"#!/usr/bin/env python\n"
	"\"\"\"Django's command-line utility for administrative tasks.\"\"\"\n"
	"import os\n"
	"import sys\n"
	"\n"
	"\n"
	"def main():\n"
	"    \"\"\"Run administrative tasks.\"\"\"\n"
	"    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
	"    try:\n"
	"        from django.core.management import execute_from_command_line\n"
	"    except ImportError as exc:\n"
	"        raise ImportError(\n"
	"            \"Couldn't import Django. Are you sure it's installed?\"\n"
	"        ) from exc\n"
	"    execute_from_command_line(sys.argv)\n"
	"\n"
	"\n"
	"if __name__ == '__main__':\n"
	"    main()\n";

static void
put_django(bool wsgi)
{
	put("manage.py", manage_py);
	put("mysite/__init__.py", "");
	put("mysite/settings.py", "DEBUG = False\nALLOWED_HOSTS = ['*']\n");
	if (wsgi)
		put("mysite/wsgi.py",
		    "import os\n"
		    "from django.core.wsgi import get_wsgi_application\n"
		    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
		    "application = get_wsgi_application()\n");
	put("polls/__init__.py", "");
	put("polls/views.py", "from django.http import HttpResponse\n");
}

START_TEST(test_django_with_gunicorn)
{
	struct pcb_framework fw;

	put_django(true);
	detect_ok(NULL, false, "manage.py,mysite,polls", "django,gunicorn", &fw);
	assert_str(fw.name, "django", "name");
	assert_str(fw.app_module, "mysite", "app_module");
	assert_str(fw.app_object, "application", "app_object");
	assert_str(fw.settings_module, "mysite.settings", "settings_module");
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000",
	    "mysite.wsgi:application", NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "DJANGO_SETTINGS_MODULE=mysite.settings", "PORT=8000", NULL);
	assert_str(fw.source,
	    "manage.py:9: os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')",
	    "source");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_django_without_gunicorn)
{
	struct pcb_framework fw;

	put_django(true);
	detect_ok(NULL, false, "manage.py,mysite,polls", "django", &fw);
	assert_str(fw.name, "django", "name");
	assert_str(fw.app_module, "mysite", "app_module");
	assert_str(fw.app_object, NULL, "app_object");
	assert_str(fw.settings_module, "mysite.settings", "settings_module");
	assert_strv(&fw.cmd, "cmd", "python", "manage.py", "runserver", "0.0.0.0:8000", NULL);
	ck_assert_int_eq(fw.port, 8000);
	assert_strv(&fw.env, "env", "DJANGO_SETTINGS_MODULE=mysite.settings", "PORT=8000", NULL);
	assert_contains(fw.source, "manage.py:9: ");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_django_gunicorn_but_no_wsgi)
{
	struct pcb_framework fw;

	put_django(false);
	detect_ok(NULL, false, "manage.py,mysite,polls", "django,gunicorn", &fw);
	assert_str(fw.name, "django", "name");
	assert_strv(&fw.cmd, "cmd", "python", "manage.py", "runserver", "0.0.0.0:8000", NULL);
	assert_contains(fw.source, "no wsgi.py");
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_django_manage_without_settings_is_an_error)
{
	struct pcb_framework fw;
	struct pcb_err e;

	put("manage.py", "from django.core.management import execute_from_command_line\n"
	    "execute_from_command_line()\n");
	ck_assert_int_eq(detect(NULL, false, "manage.py", "django", &fw, &e), PCB_EINVAL);
	assert_contains(e.msg, "DJANGO_SETTINGS_MODULE");
	assert_contains(e.msg, "--entrypoint");
	assert_not_web(&fw);
}
END_TEST

/* ---- not web apps, and text that must not count ---- */

START_TEST(test_cli_app_is_not_web)
{
	struct pcb_framework fw;

	put("src/tool/__init__.py", "");
	put("src/tool/__main__.py", "from .cli import main\nmain()\n");
	put("src/tool/cli.py",
	    "import argparse\n"
	    "\n"
	    "def main():\n"
	    "    p = argparse.ArgumentParser()\n"
	    "    p.parse_args()\n");
	detect_ok("tool", true, "src", "click,requests", &fw);
	assert_not_web(&fw);
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_declared_but_not_imported_is_not_web)
{
	struct pcb_framework fw;

	put("main.py", "print('hello')\n");
	detect_ok(NULL, false, "main.py", "fastapi,uvicorn,flask,gunicorn,django", &fw);
	assert_not_web(&fw);
}
END_TEST

START_TEST(test_strings_and_comments_do_not_count)
{
	struct pcb_framework fw;

	put("main.py",
	    "\"\"\"Docs: run with\n"
	    "import fastapi\n"
	    "from fastapi import FastAPI\n"
	    "app = FastAPI()\n"
	    "\"\"\"\n"
	    "# from fastapi import FastAPI\n"
	    "# app = FastAPI()\n"
	    "EXAMPLE = 'from flask import Flask; app = Flask(__name__)'\n"
	    "OTHER = r'''\n"
	    "import flask\n"
	    "app = flask.Flask(__name__)\n"
	    "'''\n"
	    "F = f\"{'import fastapi'}\\nFastAPI()\"\n"
	    "B = b'import django'\n"
	    "def f():\n"
	    "    '''from fastapi import FastAPI\n"
	    "app = FastAPI()'''\n");
	detect_ok(NULL, false, "main.py", "fastapi,flask,uvicorn", &fw);
	assert_not_web(&fw);
}
END_TEST

START_TEST(test_triple_quoted_app_is_not_an_app)
{
	struct pcb_framework fw;
	struct pcb_err e;

	/* The module does import flask, but its only `app = Flask(` is inside a string. */
	put("app.py",
	    "from flask import Flask\n"
	    "USAGE = \"\"\"\n"
	    "app = Flask(__name__)\n"
	    "\"\"\"\n"
	    "x = 1  # app = Flask(__name__)\n");
	ck_assert_int_eq(detect(NULL, false, "app.py", "flask", &fw, &e), PCB_EINVAL);
	assert_contains(e.msg, "imports flask in app.py but no `app = Flask(__name__)` or "
	    "`def create_app()` found");
	assert_not_web(&fw);

	/* Without flask declared, an import alone is no web app and no error either. */
	detect_ok(NULL, false, "app.py", "", &fw);
	assert_not_web(&fw);
}
END_TEST

START_TEST(test_line_continuations)
{
	struct pcb_framework fw;

	put("main.py",
	    "from fastapi \\\n"
	    "    import (\n"
	    "        Depends,\n"
	    "        FastAPI as App,  # the class\n"
	    "    )\n"
	    "x = [1,\n"
	    "     2]; app = \\\n"
	    "    App(\n"
	    "        title='x')\n");
	detect_ok(NULL, false, "main.py", "fastapi,uvicorn", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_str(fw.app_object, "app", "app_object");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	/* The statement starts on line 7, after the semicolon. */
	ck_assert_msg(pcb_str_has_prefix(fw.source, "main.py:7: "), "source %s", fw.source);
	pcb_framework_free(&fw);
}
END_TEST

/* Issue 12, item 3: an app bound at module scope from a function that builds it is the
 * served app (no --factory needed); a framework object bound inside a function or a class
 * body is not an app object on its own. */
START_TEST(test_app_made_by_a_function)
{
	struct pcb_framework fw;

	put("main.py",
	    "def make():\n"
	    "    from fastapi import FastAPI\n"
	    "    app = FastAPI()\n"
	    "    return app\n"
	    "\n"
	    "class Holder:\n"
	    "    import fastapi\n"
	    "    app = fastapi.FastAPI()\n"
	    "\n"
	    "app = make()\n");
	detect_ok(NULL, false, "main.py", "fastapi,uvicorn", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	pcb_framework_free(&fw);

	/* Without the module-scope call, nothing is served from main.py but the factory. */
	put("main.py",
	    "class Holder:\n"
	    "    import fastapi\n"
	    "    app = fastapi.FastAPI()\n");
	detect_ok(NULL, false, "main.py", "fastapi,uvicorn", &fw);
	assert_not_web(&fw);
}
END_TEST

/* A factory and nothing else: uvicorn calls it (--factory); the other candidates are listed. */
START_TEST(test_asgi_factory)
{
	struct pcb_framework fw;

	put("src/shop/__init__.py", "");
	put("src/shop/main.py",
	    "from fastapi import FastAPI\n"
	    "from .routes import router\n"
	    "\n"
	    "def create_app() -> FastAPI:\n"
	    "    application = FastAPI(title='shop')\n"
	    "    application.include_router(router)\n"
	    "    return application\n");
	put("src/shop/routes.py", "from fastapi import APIRouter\nrouter = APIRouter()\n");
	put("src/shop/tests/__init__.py", "");
	put("src/shop/tests/test_api.py", "from fastapi import FastAPI\napp = FastAPI()\n");
	detect_ok("shop", true, "src", "fastapi,uvicorn", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_str(fw.app_object, "create_app()", "app_object");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "--factory", "shop.main:create_app", "--host",
	    "0.0.0.0", "--port", "8000", NULL);
	ck_assert_uint_eq(fw.alternatives.n, 0);   /* the tests' app is never a candidate */
	pcb_framework_free(&fw);

	/* gunicorn with uvicorn's workers calls it too; hypercorn alone as well. */
	detect_ok("shop", true, "src", "fastapi,uvicorn,gunicorn", &fw);
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--worker-class", "uvicorn.workers.UvicornWorker",
	    "--bind", "0.0.0.0:8000", "shop.main:create_app()", NULL);
	pcb_framework_free(&fw);
	detect_ok("shop", true, "src", "fastapi,hypercorn", &fw);
	assert_strv(&fw.cmd, "cmd", "hypercorn", "--bind", "0.0.0.0:8000",
	    "shop.main:create_app()", NULL);
	pcb_framework_free(&fw);
}
END_TEST

/* `app = create_app()` with the factory in another module (absolute and relative imports):
 * the module-level object is served; the factory is the alternative. */
START_TEST(test_app_from_imported_factory)
{
	struct pcb_framework fw;

	put("app/__init__.py", "");
	put("app/factory.py",
	    "from fastapi import FastAPI\n"
	    "\n"
	    "def build():\n"
	    "    api = FastAPI()\n"
	    "    return api\n");
	put("main.py", "from app.factory import build\n\napp = build()\n");
	detect_ok("app", false, "app,main.py", "fastapi,uvicorn", &fw);
	assert_str(fw.name, "fastapi", "name");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	assert_strv(&fw.alternatives, "alternatives", "app.factory:build() (app/factory.py:3)",
	    NULL);
	pcb_framework_free(&fw);

	put("main.py", "");
	put("app/asgi.py", "from .factory import build\n\napplication = build()\n");
	detect_ok("app", false, "app,main.py", "fastapi,uvicorn", &fw);
	assert_strv(&fw.cmd, "cmd", "uvicorn", "app.asgi:application", "--host", "0.0.0.0",
	    "--port", "8000", NULL);
	pcb_framework_free(&fw);
}
END_TEST

/* A Flask factory behind waitress: waitress-serve --call. */
START_TEST(test_flask_factory_waitress)
{
	struct pcb_framework fw;

	put("web/__init__.py",
	    "from flask import Flask\n"
	    "\n"
	    "def create_app():\n"
	    "    app = Flask(__name__)\n"
	    "    return app\n");
	detect_ok("web", false, "web", "flask,waitress", &fw);
	assert_strv(&fw.cmd, "cmd", "waitress-serve", "--listen=0.0.0.0:8000", "--call",
	    "web:create_app", NULL);
	ck_assert_int_eq(fw.port, 8000);
	pcb_framework_free(&fw);
}
END_TEST

/* Django one folder down (manage.py in src/ or the project's folder), settings by convention
 * when manage.py leaves them to the environment, and the server the dependencies list for
 * asgi.py (daphne, gunicorn with uvicorn's workers) or wsgi.py. */
START_TEST(test_django_layouts_and_servers)
{
	struct pcb_framework fw;

	put("backend/manage.py",
	    "import os, sys\n"
	    "def main():\n"
	    "    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
	    "    from django.core.management import execute_from_command_line\n"
	    "    execute_from_command_line(sys.argv)\n");
	put("backend/config/__init__.py", "");
	put("backend/config/settings.py", "DEBUG = False\n");
	put("backend/config/wsgi.py", "");
	put("backend/config/asgi.py", "");
	detect_ok(NULL, false, "backend", "django,channels,daphne", &fw);
	assert_str(fw.name, "django", "name");
	assert_strv(&fw.cmd, "cmd", "daphne", "--bind", "0.0.0.0", "--port", "8000",
	    "config.asgi:application", NULL);
	assert_strv(&fw.env, "env", "DJANGO_SETTINGS_MODULE=config.settings",
	    "PYTHONPATH=backend:.", "PORT=8000", NULL);
	pcb_framework_free(&fw);
	detect_ok(NULL, false, "backend", "django,gunicorn,uvicorn", &fw);
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--worker-class", "uvicorn.workers.UvicornWorker",
	    "--bind", "0.0.0.0:8000", "config.asgi:application", NULL);
	pcb_framework_free(&fw);
	detect_ok(NULL, false, "backend", "django,gunicorn", &fw);
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000",
	    "config.wsgi:application", NULL);
	pcb_framework_free(&fw);
	detect_ok(NULL, false, "backend", "django", &fw);
	assert_strv(&fw.cmd, "cmd", "python", "backend/manage.py", "runserver", "0.0.0.0:8000",
	    NULL);
	pcb_framework_free(&fw);

	/* manage.py that leaves the settings to the environment: the package with settings and
	 * wsgi.py is the project. */
	put("backend/manage.py",
	    "import sys\n"
	    "from django.core.management import execute_from_command_line\n"
	    "execute_from_command_line(sys.argv)\n");
	detect_ok(NULL, false, "backend", "django,gunicorn", &fw);
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000",
	    "config.wsgi:application", NULL);
	assert_contains(fw.source, "config/settings.py with its wsgi/asgi module");
	pcb_framework_free(&fw);
}
END_TEST

/* Issue 12, item 5: more kinds of app, each served the way its framework is. */
START_TEST(test_more_app_kinds)
{
	struct pcb_framework fw;

	put("app.py", "from quart import Quart\napp = Quart(__name__)\n");
	detect_ok(NULL, false, "app.py", "quart", &fw);
	assert_str(fw.name, "quart", "name");
	assert_strv(&fw.cmd, "cmd", "hypercorn", "--bind", "0.0.0.0:8000", "app:app", NULL);
	pcb_framework_free(&fw);

	put("app.py", "from litestar import Litestar\napp = Litestar(route_handlers=[])\n");
	detect_ok(NULL, false, "app.py", "litestar", &fw);
	assert_strv(&fw.cmd, "cmd", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	assert_contains(fw.source, "it comes with litestar[standard]");
	pcb_framework_free(&fw);

	put("app.py", "from sanic import Sanic\napp = Sanic('notifier')\n");
	detect_ok(NULL, false, "app.py", "sanic", &fw);
	assert_strv(&fw.cmd, "cmd", "sanic", "app:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	pcb_framework_free(&fw);

	put("app.py", "import falcon\nwsgi = falcon.App()\n");
	detect_ok(NULL, false, "app.py", "falcon,gunicorn", &fw);
	assert_str(fw.name, "falcon", "name");
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000", "app:wsgi", NULL);
	pcb_framework_free(&fw);

	put("app.py", "");
	put("streamlit_app.py", "import streamlit as st\nst.title('hi')\n");
	put("helpers.py", "import streamlit as st\n");
	detect_ok(NULL, false, "app.py,helpers.py,streamlit_app.py", "streamlit", &fw);
	assert_str(fw.name, "streamlit", "name");
	assert_strv(&fw.cmd, "cmd", "streamlit", "run", "streamlit_app.py", "--server.port=8501",
	    "--server.address=0.0.0.0", NULL);
	ck_assert_int_eq(fw.port, 8501);
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_import_without_app_is_an_error)
{
	struct pcb_framework fw;
	struct pcb_err e;

	put("src/x/__init__.py", "");
	put("src/x/api.py", "from fastapi import APIRouter\n\nrouter = APIRouter()\n");
	ck_assert_int_eq(detect("x", true, "src", "fastapi,uvicorn", &fw, &e), PCB_EINVAL);
	assert_contains(e.msg, "imports fastapi in src/x/api.py but no `app = FastAPI()` found");
	assert_contains(e.msg, "src/x/__init__.py");
	assert_contains(e.msg, "pass --entrypoint");
	assert_not_web(&fw);
}
END_TEST

START_TEST(test_unlexable_and_oversized_files_are_skipped)
{
	static const char head[] = "from flask import Flask\napp = Flask(__name__)\n#";
	struct pcb_framework fw;
	char *big;

	put("broken.py", "from fastapi import FastAPI\napp = FastAPI()\nx = 'unterminated\n");
	big = malloc(PCB_PYSCAN_FILE_MAX + 2);
	memset(big, '#', PCB_PYSCAN_FILE_MAX + 1);
	memcpy(big, head, sizeof head - 1);
	big[PCB_PYSCAN_FILE_MAX + 1] = '\0';
	put("huge.py", big);
	free(big);
	detect_ok(NULL, false, NULL, "", &fw);
	assert_not_web(&fw);
}
END_TEST

/* ---- the scanner ---- */

static void
scan(const char *src, struct pcb_pyscan *s)
{
	struct pcb_err e;

	pcb_err_clear(&e);
	ck_assert_msg(pcb_pyscan_text(src, strlen(src), s, &e) == 0, "scan: %s", e.msg);
}

/* Asserts statement i: kind, line, module scope and its strings (NULL = must be NULL). */
static void
assert_stmt(const struct pcb_pyscan *s, size_t i, enum pcb_pystmt_kind kind, int line, bool ms,
    const char *module, const char *name, const char *alias, const char *callee,
    const char *value)
{
	char what[64];

	ck_assert_msg(i < s->n, "statement %zu missing (have %zu)", i, s->n);
	snprintf(what, sizeof what, "stmt %zu", i);
	ck_assert_msg(s->v[i].kind == kind, "%s: kind %d != %d", what, s->v[i].kind, kind);
	ck_assert_msg(s->v[i].line == line, "%s: line %d != %d", what, s->v[i].line, line);
	ck_assert_msg(s->v[i].module_scope == ms, "%s: module_scope", what);
	assert_str(s->v[i].module, module, "module");
	assert_str(s->v[i].name, name, "name");
	assert_str(s->v[i].alias, alias, "alias");
	assert_str(s->v[i].callee, callee, "callee");
	assert_str(s->v[i].value, value, "value");
}

/* The project's run script: a top-level module whose __main__ block serves, directly or
 * through a function of the project; not tests, not a guard that only parses arguments. */
START_TEST(test_run_script)
{
	struct pcb_framework fw;

	/* A flat src/ of modules (no package) with a Litestar app served by its own script. */
	put("src/app.py", "import uvicorn\nfrom litestar import Litestar\napp = Litestar([])\n"
	    "if __name__ == \"__main__\":\n    uvicorn.run(app, host=\"0.0.0.0\", port=8001)\n");
	put("src/config.py", "X = 1\n");
	put("tests/test_app.py", "import uvicorn\nif __name__ == '__main__':\n"
	    "    uvicorn.run('x:y')\n");
	put("tool.py", "import argparse\nif __name__ == '__main__':\n"
	    "    argparse.ArgumentParser().parse_args()\n");
	detect_more(NULL, "litestar", "src", "", "tracker", &fw);
	assert_str(fw.name, "litestar", "framework");
	assert_strv(&fw.cmd, "cmd", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000",
	    NULL);
	ck_assert(!fw.server_declared);
	assert_strv(&fw.script_cmd, "script", "python", "src/app.py", NULL);
	ck_assert_int_eq(fw.script_port, 8001);
	ck_assert(!fw.script_dev);
	ck_assert_msg(strstr(fw.script_source, "src/app.py:4: if __name__") != NULL &&
	    strstr(fw.script_source, "uvicorn.run(app") != NULL, "%s", fw.script_source);
	pcb_framework_free(&fw);

	/* A thin script calling the package's main(), which runs the app's own server. */
	pcb_test_rmtree(tmp);
	put("watch.py", "import watcher\nif __name__ == '__main__':\n    watcher.main()\n");
	put("watcher/__init__.py", "def main():\n    from watcher.web import make\n"
	    "    app = make()\n    app.run(host='0.0.0.0', port=5000, debug=False)\n");
	put("watcher/web.py", "from flask import Flask\ndef make():\n    app = Flask('w')\n"
	    "    return app\n");
	put("server_debug.py", "from watcher.web import make\napp = make()\n"
	    "if __name__ == '__main__':\n    app.run(debug=True)\n");
	detect_more("watcher", "flask", "", "", "watch", &fw);
	assert_strv(&fw.script_cmd, "script", "python", "watch.py", NULL);
	ck_assert(!fw.script_dev);
	ck_assert_int_eq(fw.script_port, 5000);
	assert_strv(&fw.script_alternatives, "others", "python server_debug.py", NULL);
	pcb_framework_free(&fw);

	/* Only the debug one: found, marked. A tornado server is a run script without any
	 * framework. */
	pcb_test_rmtree(tmp);
	put("server_debug.py", "from flask import Flask\napp = Flask('w')\n"
	    "if __name__ == '__main__':\n    app.run(debug=True)\n");
	put("server.py", "import tornado.ioloop\nimport tornado.httpserver\n"
	    "if __name__ == \"__main__\":\n    server = tornado.httpserver.HTTPServer(None)\n"
	    "    server.start(0)\n    tornado.ioloop.IOLoop.instance().start()\n");
	detect_more(NULL, "", "", "", "bench", &fw);
	assert_strv(&fw.script_cmd, "script", "python", "server.py", NULL);
	ck_assert(!fw.script_dev);
	assert_str(fw.name, "flask", "framework");
	pcb_framework_free(&fw);
	pcb_test_rmtree(tmp);
	put("server_debug.py", "from flask import Flask\napp = Flask('w')\n"
	    "if __name__ == '__main__':\n    app.run(debug=True)\n");
	detect_more(NULL, "", "", "", "bench", &fw);
	assert_strv(&fw.script_cmd, "script", "python", "server_debug.py", NULL);
	ck_assert(fw.script_dev);
	pcb_framework_free(&fw);

	/* Nothing serves: no run script, and nothing is handed out. */
	pcb_test_rmtree(tmp);
	put("tool.py", "import argparse, asyncio\nif __name__ == '__main__':\n"
	    "    asyncio.run(main())\n    subprocess.run(['ls'])\n");
	detect_more(NULL, "", "", "", "x", &fw);
	ck_assert_uint_eq(fw.script_cmd.n, 0);
	ck_assert_ptr_null(fw.script_source);
	ck_assert_ptr_null(fw.name);
	pcb_framework_free(&fw);
}
END_TEST

/* Console scripts that start a production server themselves are reported; a script needing
 * an extra, one running the framework's development server and a plain CLI are not. */
START_TEST(test_serving_console_scripts)
{
	struct pcb_framework fw;

	put("harv/__init__.py", "");
	put("harv/view.py", "import argparse\nimport uvicorn\ndef main():\n"
	    "    args = argparse.ArgumentParser().parse_args()\n"
	    "    uvicorn.run('harv.api:app', host=args.host)\n");
	put("harv/cli.py", "def main():\n    print('hi')\n");
	put("harv/dev.py", "from flask import Flask\napp = Flask('x')\ndef main():\n"
	    "    app.run()\n");
	put("harv/indirect.py", "from harv import view\ndef main():\n    view.main()\n");
	put("harv/d.py", "from aiohttp import web\ndef main():\n    web.run_app(None)\n");
	detect_more("harv", "uvicorn", "", "harv = harv.cli:main,view = harv.view:main,"
	    "dev = harv.dev:main,ind = harv.indirect:main,d = harv.d:main [d]", "harv", &fw);
	assert_strv(&fw.serving, "serving", "view", "ind", NULL);
	ck_assert_msg(strstr(fw.serving_why.v[0], "harv/view.py:5: uvicorn.run(") != NULL, "%s",
	    fw.serving_why.v[0]);
	ck_assert_msg(strstr(fw.serving_why.v[1], "harv/view.py:5") != NULL, "%s",
	    fw.serving_why.v[1]);
	pcb_framework_free(&fw);
}
END_TEST

/* Dash is served through its Flask app (`server = app.server`); without it, it is not a WSGI
 * app at all. */
START_TEST(test_dash)
{
	struct pcb_framework fw;

	put("app/__init__.py", "");
	put("app/app.py", "from dash import Dash\napp = Dash(__name__)\nserver = app.server\n"
	    "if __name__ == '__main__':\n    app.run_server(debug=True)\n");
	detect_more(NULL, "dash,gunicorn", "", "", "grid", &fw);
	assert_str(fw.name, "dash", "framework");
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--bind", "0.0.0.0:8000", "app.app:server", NULL);
	ck_assert(fw.server_declared);
	pcb_framework_free(&fw);

	put("app/app.py", "from dash import Dash\napp = Dash(__name__)\n"
	    "if __name__ == '__main__':\n    app.run_server(debug=True)\n");
	detect_more(NULL, "dash,gunicorn", "", "", "grid", &fw);
	assert_str(fw.name, NULL, "framework");
	pcb_framework_free(&fw);
}
END_TEST

/* Where the app is taken from: the module that adds the routes when the module making the
 * app never imports it; the package that re-exports it; the package's factory rather than
 * a run script's own `app = create_app()`. */
START_TEST(test_served_module)
{
	struct pcb_framework fw;

	put("tool/__init__.py", "from flask import Flask\ndef make():\n    app = Flask('t')\n"
	    "    return app\nflask_app = make()\n");
	put("tool/routes.py", "from tool import flask_app as app\n@app.get('/')\n"
	    "def index():\n    return 'hi'\n");
	detect_more("tool", "flask,waitress", "", "", "tool", &fw);
	assert_strv(&fw.cmd, "cmd", "waitress-serve", "--listen=0.0.0.0:8000", "tool.routes:app",
	    NULL);
	ck_assert_msg(strstr(fw.source, "tool/routes.py:1:") != NULL && strstr(fw.source,
	    "adds its routes") != NULL, "%s", fw.source);
	pcb_framework_free(&fw);

	/* The package imports its routes itself (the Flask tutorial's circular import). */
	put("tool/__init__.py", "from flask import Flask\napp = Flask('t')\n"
	    "from tool import routes\n");
	put("tool/routes.py", "from tool import app\n@app.route('/')\ndef index():\n"
	    "    return 'hi'\n");
	detect_more("tool", "flask,waitress", "", "", "tool", &fw);
	assert_strv(&fw.cmd, "cmd", "waitress-serve", "--listen=0.0.0.0:8000", "tool:app", NULL);
	pcb_framework_free(&fw);

	pcb_test_rmtree(tmp);
	put("df/__init__.py", "");
	put("df/api/__init__.py", "from .api import api\n");
	put("df/api/api.py", "from fastapi import FastAPI\napi = FastAPI()\n@api.get('/')\n"
	    "def root():\n    return {}\n");
	detect_more("df", "fastapi,uvicorn", "", "", "df", &fw);
	assert_strv(&fw.cmd, "cmd", "uvicorn", "df.api:api", "--host", "0.0.0.0", "--port",
	    "8000", NULL);
	pcb_framework_free(&fw);

	pcb_test_rmtree(tmp);
	put("app/__init__.py", "from fastapi import FastAPI\ndef create_app():\n"
	    "    return FastAPI()\n");
	put("run.py", "import uvicorn\nfrom app import create_app\napp = create_app()\n"
	    "if __name__ == '__main__':\n    uvicorn.run(app, host='0.0.0.0', port=8000)\n");
	detect_more(NULL, "fastapi,uvicorn", "", "", "wolt", &fw);
	assert_strv(&fw.cmd, "cmd", "uvicorn", "--factory", "app:create_app", "--host", "0.0.0.0",
	    "--port", "8000", NULL);
	assert_strv(&fw.alternatives, "alternatives", "run:app (run.py:3)", NULL);
	assert_strv(&fw.script_cmd, "script", "python", "run.py", NULL);
	pcb_framework_free(&fw);
}
END_TEST

/* Litestar runs under its own CLI whenever uvicorn is there and no other server is listed. */
START_TEST(test_litestar_cli)
{
	struct pcb_framework fw;
	struct pcb_strv dep, ext;
	struct pcb_framework_input in = { .context = tmp, .dependencies = &dep, .extras = &ext };
	struct pcb_err e;

	put("app.py", "from litestar import Litestar\napp = Litestar([])\n");
	detect_more(NULL, "litestar,uvicorn", "", "", "m", &fw);
	assert_strv(&fw.cmd, "cmd", "litestar", "--app", "app:app", "run", "--host", "0.0.0.0",
	    "--port", "8000", NULL);
	ck_assert(fw.server_declared);
	pcb_framework_free(&fw);

	strv_csv(&dep, "litestar");
	strv_csv(&ext, "litestar[standard]");
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_framework_detect(&in, &fw, &e), 0);
	assert_strv(&fw.cmd, "cmd", "litestar", "--app", "app:app", "run", "--host", "0.0.0.0",
	    "--port", "8000", NULL);
	ck_assert(!fw.server_declared);
	pcb_framework_free(&fw);
	pcb_strv_free(&dep);
	pcb_strv_free(&ext);

	detect_more(NULL, "litestar,uvicorn,gunicorn", "", "", "m", &fw);
	assert_strv(&fw.cmd, "cmd", "gunicorn", "--worker-class", "uvicorn.workers.UvicornWorker",
	    "--bind", "0.0.0.0:8000", "app:app", NULL);
	pcb_framework_free(&fw);
}
END_TEST

START_TEST(test_scan_imports)
{
	struct pcb_pyscan s;

	scan("import a.b as c, d\n"
	    "from . import x\n"
	    "from ..pkg.mod import (a as b,\n"
	    "    c,)\n"
	    "from .m import *\n"
	    "from...up import z\n"
	    "import os; v = mod.sub.Call(1)\n", &s);
	ck_assert_uint_eq(s.n, 9);
	assert_stmt(&s, 0, PCB_PYSTMT_IMPORT, 1, true, "a.b", NULL, "c", NULL, NULL);
	assert_stmt(&s, 1, PCB_PYSTMT_IMPORT, 1, true, "d", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 2, PCB_PYSTMT_FROM, 2, true, ".", "x", NULL, NULL, NULL);
	assert_stmt(&s, 3, PCB_PYSTMT_FROM, 3, true, "..pkg.mod", "a", "b", NULL, NULL);
	assert_stmt(&s, 4, PCB_PYSTMT_FROM, 3, true, "..pkg.mod", "c", NULL, NULL, NULL);
	assert_stmt(&s, 5, PCB_PYSTMT_FROM, 5, true, ".m", "*", NULL, NULL, NULL);
	assert_stmt(&s, 6, PCB_PYSTMT_FROM, 6, true, "...up", "z", NULL, NULL, NULL);
	assert_stmt(&s, 7, PCB_PYSTMT_IMPORT, 7, true, "os", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 8, PCB_PYSTMT_CALL_ASSIGN, 7, true, NULL, "v", NULL, "mod.sub.Call", NULL);
	assert_str(s.v[8].text, "import os; v = mod.sub.Call(1)", "text");
	pcb_pyscan_free(&s);
}
END_TEST

START_TEST(test_scan_scopes_and_defs)
{
	struct pcb_pyscan s;

	scan("try:\n"
	    "    import ujson as json\n"
	    "except ImportError:\n"
	    "    import json\n"
	    "class C(Base):\n"
	    "    x = Thing()\n"
	    "    def method(self):\n"
	    "        import inner\n"
	    "async def create_app(\n"
	    "        cfg=None):\n"
	    "    return cfg\n"
	    "if True:\n"
	    "\tapp: Flask = flask.Flask(__name__)\n"
	    "def f(): return 1\n"
	    "y = lambda: x\n"
	    "import last\n", &s);
	ck_assert_uint_eq(s.n, 9);
	assert_stmt(&s, 0, PCB_PYSTMT_IMPORT, 2, true, "ujson", NULL, "json", NULL, NULL);
	assert_stmt(&s, 1, PCB_PYSTMT_IMPORT, 4, true, "json", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 2, PCB_PYSTMT_CALL_ASSIGN, 6, false, NULL, "x", NULL, "Thing", NULL);
	assert_stmt(&s, 3, PCB_PYSTMT_DEF, 7, false, NULL, "method", NULL, NULL, NULL);
	assert_stmt(&s, 4, PCB_PYSTMT_IMPORT, 8, false, "inner", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 5, PCB_PYSTMT_DEF, 9, true, NULL, "create_app", NULL, NULL, NULL);
	assert_stmt(&s, 6, PCB_PYSTMT_CALL_ASSIGN, 13, true, NULL, "app", NULL, "flask.Flask", NULL);
	assert_stmt(&s, 7, PCB_PYSTMT_DEF, 14, true, NULL, "f", NULL, NULL, NULL);
	assert_stmt(&s, 8, PCB_PYSTMT_IMPORT, 16, true, "last", NULL, NULL, NULL, NULL);
	pcb_pyscan_free(&s);
}
END_TEST

START_TEST(test_scan_string_forms)
{
	struct pcb_pyscan s;

	/* Each line hides code in a string; only the real imports count, on the right lines. */
	scan("a = 'import x1' \"import x2\"\n"
	    "b = rb'\\' import x3' + Rb\"\\\\\" + BR'x'\n"
	    "c = r\"\\\"import x4\"\n"
	    "d = \"\"\"import x5\n"
	    "'''import x6''' \\\"\"\" import x7\n"
	    "\"\"\"\n"
	    "import real1\n"
	    "e = u'import x8' + U\"x\" + b'\\x00'\n"
	    "f1 = f\"{a['import x9']}\" + F'{b}' + rf\"\\d{c}\" + fR'{{import x10}}'\n"
	    "f2 = f\"{d[\"import x11\"]}\"  # PEP 701 nesting\n"
	    "f3 = f\"{x:{w}.{p}}{y!r:>10}{z=}{q:'>10}\" + f'{(lambda v: v)(1)}'\n"
	    "f4 = f\"\\N{EM DASH}{x}\" + f'''{\n"
	    "  x  # comment in a field\n"
	    "}'''\n"
	    "t = t'{x}' + tr'{y}'\n"
	    "f5 = f\"{'\"'}\"; import real2\n"
	    "# comment 'with quote\n"
	    "g = 'a\\\n"
	    "import x12'\n"
	    "import real3\n", &s);
	ck_assert_msg(s.n == 3, "have %zu statements, first %s", s.n, s.n ? s.v[0].module : "");
	assert_stmt(&s, 0, PCB_PYSTMT_IMPORT, 7, true, "real1", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 1, PCB_PYSTMT_IMPORT, 16, true, "real2", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 2, PCB_PYSTMT_IMPORT, 20, true, "real3", NULL, NULL, NULL, NULL);
	pcb_pyscan_free(&s);
}
END_TEST

START_TEST(test_scan_call_shapes_and_inline_bodies)
{
	struct pcb_pyscan s;

	scan("m = re.compile('x').match\n"          /* value is an attribute, not the call */
	    "h = Factory(1)(2)\n"
	    "a, b = F(), G()\n"
	    "c = d = F()\n"
	    "e == F()\n"
	    "ok = F(\n  *args, key=[1, (2)], **kw)\n"
	    "if x: import inline; y = pkg.F()\n"
	    "else: import other\n"
	    "def f(): import local\n"
	    "try: from fastapi import FastAPI\n"
	    "except ImportError: FastAPI = None\n", &s);
	ck_assert_uint_eq(s.n, 8);
	/* A chained assignment binds its first name (`wsgi = app = falcon.App()`). */
	assert_stmt(&s, 0, PCB_PYSTMT_CALL_ASSIGN, 4, true, NULL, "c", NULL, "F", NULL);
	assert_stmt(&s, 1, PCB_PYSTMT_CALL_ASSIGN, 6, true, NULL, "ok", NULL, "F", NULL);
	assert_stmt(&s, 2, PCB_PYSTMT_IMPORT, 8, true, "inline", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 3, PCB_PYSTMT_CALL_ASSIGN, 8, true, NULL, "y", NULL, "pkg.F", NULL);
	assert_stmt(&s, 4, PCB_PYSTMT_IMPORT, 9, true, "other", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 5, PCB_PYSTMT_DEF, 10, true, NULL, "f", NULL, NULL, NULL);
	assert_stmt(&s, 6, PCB_PYSTMT_IMPORT, 10, false, "local", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 7, PCB_PYSTMT_FROM, 11, true, "fastapi", "FastAPI", NULL, NULL, NULL);
	pcb_pyscan_free(&s);
}
END_TEST

START_TEST(test_scan_environ_setdefault)
{
	struct pcb_pyscan s;

	scan("import os\n"
	    "def main():\n"
	    "    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", 'my' 'site.settings',)\n"
	    "os.environ.setdefault(r'A\\B', 'x\\ty')\n"
	    "os.environ.setdefault(f'K', 'v')\n"       /* f-string: not a plain value */
	    "os.environ.setdefault(K, 'v')\n"          /* not a literal */
	    "environ.setdefault('E', 'w')\n"
	    "os.environ.get('X', 'y')\n", &s);
	/* The ones that are not plain setdefault calls are reported as calls. */
	ck_assert_uint_eq(s.n, 8);
	assert_stmt(&s, 2, PCB_PYSTMT_ENV_DEFAULT, 3, false, NULL, "DJANGO_SETTINGS_MODULE", NULL,
	    NULL, "mysite.settings");
	assert_stmt(&s, 3, PCB_PYSTMT_ENV_DEFAULT, 4, true, NULL, "A\\B", NULL, NULL, "x\ty");
	assert_stmt(&s, 4, PCB_PYSTMT_CALL, 5, true, NULL, NULL, NULL, "os.environ.setdefault",
	    NULL);
	assert_stmt(&s, 5, PCB_PYSTMT_CALL, 6, true, NULL, NULL, NULL, "os.environ.setdefault",
	    NULL);
	ck_assert_str_eq(s.v[5].arg, "K");
	assert_stmt(&s, 6, PCB_PYSTMT_ENV_DEFAULT, 7, true, NULL, "E", NULL, NULL, "w");
	assert_stmt(&s, 7, PCB_PYSTMT_CALL, 8, true, NULL, NULL, NULL, "os.environ.get", NULL);
	ck_assert_str_eq(s.v[7].arg, "X");
	pcb_pyscan_free(&s);
}
END_TEST

/* Calls as statements, aliases, decorators and the main guard: what tells a run script and
 * where routes are registered. */
START_TEST(test_scan_calls_guard_decorators)
{
	struct pcb_pyscan s;

	scan("import uvicorn\n"
	    "server = app.server\n"                       /* 2: alias */
	    "x = app\n"                                   /* no dot: not an alias */
	    "y = app.server.x + 1\n"                      /* not the whole value */
	    "@app.get('/items')\n"                        /* 5: decorator */
	    "def items(): pass\n"
	    "@functools.cache\n"                          /* 7 */
	    "def f(): run(app)\n"                         /* 8: call in a def body */
	    "print('hi'); f(x).attr = 3\n"                /* 9: a call, then an assignment */
	    "if __name__ == \"__main__\":\n"              /* 10 */
	    "    uvicorn.run(app, host='0.0.0.0', reload=True, debug=True, workers=2,"
	    " port=8000)\n"
	    "    ioloop.IOLoop.instance().start()\n"      /* 12 */
	    "    return_value(\"mod:app\",)\n"            /* 13 */
	    "if '__main__' == __name__: main()\n"         /* 14 */
	    "if __name__ == '__main__' and x:\n"          /* not a guard */
	    "    go()\n"
	    "del(x)\n", &s);
	ck_assert_uint_eq(s.n, 15);
	assert_stmt(&s, 0, PCB_PYSTMT_IMPORT, 1, true, "uvicorn", NULL, NULL, NULL, NULL);
	assert_stmt(&s, 1, PCB_PYSTMT_ALIAS, 2, true, NULL, "server", NULL, "app.server", NULL);
	assert_stmt(&s, 2, PCB_PYSTMT_DECORATOR, 5, true, NULL, NULL, NULL, "app.get", NULL);
	assert_stmt(&s, 3, PCB_PYSTMT_DEF, 6, true, NULL, "items", NULL, NULL, NULL);
	assert_stmt(&s, 4, PCB_PYSTMT_DECORATOR, 7, true, NULL, NULL, NULL, "functools.cache",
	    NULL);
	assert_stmt(&s, 5, PCB_PYSTMT_DEF, 8, true, NULL, "f", NULL, NULL, NULL);
	assert_stmt(&s, 6, PCB_PYSTMT_CALL, 8, false, NULL, NULL, NULL, "run", NULL);
	ck_assert_str_eq(s.v[6].arg, "app");
	assert_stmt(&s, 7, PCB_PYSTMT_CALL, 9, true, NULL, NULL, NULL, "print", NULL);
	ck_assert_str_eq(s.v[7].arg, "hi");
	ck_assert(!s.v[7].main_guard);
	assert_stmt(&s, 8, PCB_PYSTMT_MAIN_GUARD, 10, true, NULL, NULL, NULL, NULL, NULL);
	assert_stmt(&s, 9, PCB_PYSTMT_CALL, 11, true, NULL, NULL, NULL, "uvicorn.run",
	    "reload debug port=8000");
	ck_assert_str_eq(s.v[9].arg, "app");
	ck_assert(s.v[9].main_guard);
	assert_stmt(&s, 10, PCB_PYSTMT_CALL, 12, true, NULL, NULL, NULL, "ioloop.IOLoop.instance",
	    NULL);
	ck_assert(s.v[10].main_guard);
	ck_assert_ptr_null(s.v[10].arg);
	assert_stmt(&s, 11, PCB_PYSTMT_CALL, 13, true, NULL, NULL, NULL, "return_value", NULL);
	ck_assert_str_eq(s.v[11].arg, "mod:app");
	assert_stmt(&s, 12, PCB_PYSTMT_MAIN_GUARD, 14, true, NULL, NULL, NULL, NULL, NULL);
	assert_stmt(&s, 13, PCB_PYSTMT_CALL, 14, true, NULL, NULL, NULL, "main", NULL);
	ck_assert(s.v[13].main_guard);
	assert_stmt(&s, 14, PCB_PYSTMT_CALL, 16, true, NULL, NULL, NULL, "go", NULL);
	ck_assert(!s.v[14].main_guard);
	pcb_pyscan_free(&s);
}
END_TEST

START_TEST(test_scan_crlf_bom_and_text_bound)
{
	struct pcb_pyscan s;
	char *long_line;

	scan("\xEF\xBB\xBFimport a\r\nx = '''\r\nimport no\r\n'''\r\rimport b\r\n", &s);
	ck_assert_uint_eq(s.n, 2);
	assert_stmt(&s, 0, PCB_PYSTMT_IMPORT, 1, true, "a", NULL, NULL, NULL, NULL);
	assert_str(s.v[0].text, "import a", "text");
	assert_stmt(&s, 1, PCB_PYSTMT_IMPORT, 6, true, "b", NULL, NULL, NULL, NULL);
	pcb_pyscan_free(&s);

	long_line = pcb_xasprintf("app = Flask(%0300d)\n", 0);
	scan(long_line, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(strlen(s.v[0].text), 120);
	ck_assert(pcb_str_has_prefix(s.v[0].text, "app = Flask(000"));
	pcb_pyscan_free(&s);
	free(long_line);
}
END_TEST

START_TEST(test_scan_errors_and_bounds)
{
	struct pcb_pyscan s;
	struct pcb_err e;
	struct pcb_buf b;
	static const char *const bad[] = {
		"x = 'abc\nimport y\n",
		"x = \"\"\"never closed\n",
		"x = f'{a'\n",
		"x = f\"{a:{b\"\n",
	};

	for (size_t i = 0; i < PCB_ARRAY_LEN(bad); i++) {
		pcb_err_clear(&e);
		ck_assert_msg(pcb_pyscan_text(bad[i], strlen(bad[i]), &s, &e) == PCB_EINVAL,
		    "bad[%zu] accepted", i);
		ck_assert_msg(strstr(e.msg, "line 1") != NULL, "bad[%zu]: %s", i, e.msg);
		ck_assert_uint_eq(s.n, 0);
		ck_assert_ptr_null(s.v);
	}

	/* f-strings nested beyond the bound are refused, not a stack overflow. */
	pcb_buf_init(&b, 1 << 20);
	pcb_buf_appendf(&b, "x = ");
	for (int i = 0; i < 2000; i++)
		pcb_buf_appendf(&b, "f'{");
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_pyscan_text(b.data, b.len, &s, &e), PCB_EINVAL);
	assert_contains(e.msg, "nesting too deep");
	pcb_buf_free(&b);

	/* Statements beyond the maximum are dropped and flagged. */
	pcb_buf_init(&b, 1 << 20);
	for (int i = 0; i < PCB_PYSCAN_STMTS_MAX + 10; i++)
		pcb_buf_appendf(&b, "import m%d\n", i);
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_pyscan_text(b.data, b.len, &s, &e), 0);
	ck_assert_uint_eq(s.n, PCB_PYSCAN_STMTS_MAX);
	ck_assert(s.truncated);
	pcb_pyscan_free(&s);
	pcb_buf_free(&b);

	/* Deep indentation and very long logical lines stay within bounds. */
	pcb_buf_init(&b, 1 << 20);
	for (int i = 0; i < 300; i++)
		pcb_buf_appendf(&b, "%*sif x:\n", i, "");
	pcb_buf_appendf(&b, "%*simport deep\nx = [", 300, "");
	for (int i = 0; i < 5000; i++)
		pcb_buf_appendf(&b, "%d, ", i);
	pcb_buf_appendf(&b, "]\nimport after\n");
	scan(b.data, &s);
	ck_assert_uint_eq(s.n, 2);
	assert_stmt(&s, 1, PCB_PYSTMT_IMPORT, 303, true, "after", NULL, NULL, NULL, NULL);
	pcb_pyscan_free(&s);
	pcb_buf_free(&b);
}
END_TEST

START_TEST(test_scan_file_limits)
{
	struct pcb_pyscan s;
	struct pcb_err e;
	char *path, *big;

	put("ok.py", "import ok\n");
	path = pcb_path_join(tmp, "ok.py");
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_pyscan_file(path, &s, &e), 0);
	ck_assert_uint_eq(s.n, 1);
	pcb_pyscan_free(&s);
	free(path);

	big = calloc(1, PCB_PYSCAN_FILE_MAX + 2);
	memset(big, '\n', PCB_PYSCAN_FILE_MAX + 1);
	put("big.py", big);
	free(big);
	path = pcb_path_join(tmp, "big.py");
	ck_assert_int_eq(pcb_pyscan_file(path, &s, &e), PCB_ETOOBIG);
	ck_assert_uint_eq(s.n, 0);
	free(path);
}
END_TEST

static Suite *
framework_suite(void)
{
	Suite *s = suite_create("framework");
	TCase *tc = tcase_create("framework");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fastapi_src_layout);
	tcase_add_test(tc, test_fastapi_flat_alias_without_uvicorn);
	tcase_add_test(tc, test_fastapi_module_alias_in_namespace_app_folder);
	tcase_add_test(tc, test_fastapi_candidates_preference);
	tcase_add_test(tc, test_starlette);
	tcase_add_test(tc, test_flask_with_gunicorn);
	tcase_add_test(tc, test_flask_without_gunicorn);
	tcase_add_test(tc, test_flask_app_factory);
	tcase_add_test(tc, test_django_with_gunicorn);
	tcase_add_test(tc, test_django_without_gunicorn);
	tcase_add_test(tc, test_django_gunicorn_but_no_wsgi);
	tcase_add_test(tc, test_django_manage_without_settings_is_an_error);
	tcase_add_test(tc, test_cli_app_is_not_web);
	tcase_add_test(tc, test_declared_but_not_imported_is_not_web);
	tcase_add_test(tc, test_strings_and_comments_do_not_count);
	tcase_add_test(tc, test_triple_quoted_app_is_not_an_app);
	tcase_add_test(tc, test_line_continuations);
	tcase_add_test(tc, test_app_made_by_a_function);
	tcase_add_test(tc, test_asgi_factory);
	tcase_add_test(tc, test_app_from_imported_factory);
	tcase_add_test(tc, test_flask_factory_waitress);
	tcase_add_test(tc, test_django_layouts_and_servers);
	tcase_add_test(tc, test_more_app_kinds);
	tcase_add_test(tc, test_import_without_app_is_an_error);
	tcase_add_test(tc, test_unlexable_and_oversized_files_are_skipped);
	tcase_add_test(tc, test_scan_imports);
	tcase_add_test(tc, test_scan_scopes_and_defs);
	tcase_add_test(tc, test_scan_string_forms);
	tcase_add_test(tc, test_scan_call_shapes_and_inline_bodies);
	tcase_add_test(tc, test_run_script);
	tcase_add_test(tc, test_serving_console_scripts);
	tcase_add_test(tc, test_dash);
	tcase_add_test(tc, test_served_module);
	tcase_add_test(tc, test_litestar_cli);
	tcase_add_test(tc, test_scan_environ_setdefault);
	tcase_add_test(tc, test_scan_calls_guard_decorators);
	tcase_add_test(tc, test_scan_crlf_bom_and_text_bound);
	tcase_add_test(tc, test_scan_errors_and_bounds);
	tcase_add_test(tc, test_scan_file_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(framework_suite());
}
