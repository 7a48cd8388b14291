/* test-config.c — the project's build configuration: pycontainer.toml ([build], [build.env],
 * [build.labels], [registry]) and [tool.pycontainer] in pyproject.toml, read strictly (errors
 * name file, line and key), and the precedence CLI flags > pycontainer.toml >
 * [tool.pycontainer] > discovered defaults as the plan JSON shows it, with its sources. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "build.h"
#include "ocicheck.h"
#include "python/config.h"
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

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);

	ck_assert_msg(v != NULL && json_object_is_type(v, json_type_string), "%s: missing or not "
	    "a string", path);
	return json_object_get_string(v);
}

static json_object *
plan_of(struct pcb_build_spec *s)
{
	struct pcb_err e;
	json_object *plan = NULL;

	pcb_err_clear(&e);
	ck_assert_msg(pcb_build_plan(s, &plan, &e) == 0, "plan: %s", e.msg);
	return plan;
}

static void
plan_fails(const char *want)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL;

	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_build_plan(&s, &plan, &e), PCB_EINVAL);
	ck_assert_ptr_null(plan);
	ck_assert_msg(strstr(e.msg, want) != NULL, "want \"%s\" in \"%s\"", want, e.msg);
	pcb_build_spec_free(&s);
}

static void
assert_only_include(const struct pcb_project *p, const char *want)
{
	ck_assert_msg(p->include.n == 1 && strcmp(p->include.v[0], want) == 0, "include: %zu "
	    "entries, first %s", p->include.n, p->include.n > 0 ? p->include.v[0] : "-");
}

START_TEST(test_full_pycontainer_toml)
{
	struct pcb_project p;
	struct pcb_err e;

	put("main.py", "");
	put("data/x.csv", "");
	put("pycontainer.toml",
	    "[build]\n"
	    "tag = \"reg.example:5000/team/app:1.0\"\n"
	    "tags = [\"app:latest\"]\n"
	    "workdir = \"/srv/app\"\n"
	    "entrypoint = [\"python\", \"main.py\"]\n"
	    "cmd = [\"--serve\"]\n"
	    "platform = \"linux/arm64/v8\"\n"
	    "base_image = \"python:3.12-slim\"\n"
	    "python_version = \"3.12\"\n"
	    "port = 8080\n"
	    "user = \"1000:1000\"\n"
	    "include = [\"data/x.csv\"]\n"
	    "exclude = [\"*.log\"]\n"
	    "[build.env]\nMODE = \"prod\"\n"
	    "[build.labels]\n\"org.example.team\" = \"core\"\n"
	    "[registry]\nurl = \"reg.example:5000\"\ninsecure = true\n");
	pcb_err_clear(&e);
	ck_assert_msg(pcb_project_discover(tmp, &p, &e) == 0, "%s", e.msg);
	ck_assert(p.config.have_file);
	ck_assert(!p.config.have_tool);
	ck_assert(p.config.tags.set);
	ck_assert_int_eq(p.config.tags.value.n, 2);
	ck_assert_str_eq(p.config.tags.value.v[0], "reg.example:5000/team/app:1.0");
	ck_assert_str_eq(p.config.tags.value.v[1], "app:latest");
	ck_assert_str_eq(p.config.tags.source, "pycontainer.toml [build].tags");
	ck_assert_str_eq(p.config.workdir.value, "/srv/app");
	ck_assert_str_eq(p.config.workdir.source, "pycontainer.toml [build].workdir");
	ck_assert_int_eq(p.config.entrypoint.value.n, 2);
	ck_assert_str_eq(p.config.cmd.value.v[0], "--serve");
	ck_assert_str_eq(p.config.platform.value, "linux/arm64/v8");
	ck_assert_str_eq(p.config.base_image.value, "python:3.12-slim");
	ck_assert_str_eq(p.config.python_version.value, "3.12");
	ck_assert_int_eq(p.config.port, 8080);
	ck_assert_str_eq(p.config.port_source, "pycontainer.toml [build].port");
	ck_assert_str_eq(p.config.user.value, "1000:1000");
	ck_assert_str_eq(p.config.env.kv.v[0], "MODE=prod");
	ck_assert_str_eq(p.config.env.sources.v[0], "pycontainer.toml [build.env].MODE");
	ck_assert_str_eq(p.config.labels.kv.v[0], "org.example.team=core");
	ck_assert_str_eq(p.config.registry_url.value, "reg.example:5000");
	ck_assert(p.config.registry_insecure);
	ck_assert_str_eq(p.config.registry_insecure_source, "pycontainer.toml [registry].insecure");
	/* include narrows what is packed to its paths; exclude leaves paths out. */
	assert_only_include(&p, "data/x.csv");
	ck_assert(!pcb_project_filter(&p, "debug.log", false));
	ck_assert(pcb_project_filter(&p, "main.py", false));
	pcb_project_free(&p);
}
END_TEST

START_TEST(test_tool_pycontainer)
{
	struct pcb_project p;
	struct pcb_err e;

	put("main.py", "");
	put("pyproject.toml",
	    "[project]\nname = \"t\"\n"
	    "[tool.pycontainer]\nworkdir = \"/opt/t\"\nport = 9000\n"
	    "[tool.pycontainer.env]\nA = \"1\"\nB = \"2\"\n"
	    "[tool.pycontainer.labels]\nteam = \"x\"\n");
	put("pycontainer.toml", "[build.env]\nB = \"file\"\n");
	pcb_err_clear(&e);
	ck_assert_msg(pcb_project_discover(tmp, &p, &e) == 0, "%s", e.msg);
	ck_assert(p.config.have_tool);
	ck_assert(p.config.have_file);
	ck_assert_str_eq(p.config.workdir.value, "/opt/t");
	ck_assert_str_eq(p.config.workdir.source, "pyproject.toml [tool.pycontainer].workdir");
	ck_assert_int_eq(p.config.port, 9000);
	ck_assert_int_eq(p.config.env.kv.n, 2);
	ck_assert_str_eq(p.config.env.kv.v[0], "A=1");
	ck_assert_str_eq(p.config.env.sources.v[0], "pyproject.toml [tool.pycontainer.env].A");
	/* pycontainer.toml wins key by key. */
	ck_assert_str_eq(p.config.env.kv.v[1], "B=file");
	ck_assert_str_eq(p.config.env.sources.v[1], "pycontainer.toml [build.env].B");
	ck_assert_str_eq(p.config.labels.kv.v[0], "team=x");
	pcb_project_free(&p);
}
END_TEST

/* The same keys set at the three levels: each level wins in turn, and the plan says which. */
START_TEST(test_precedence_in_plan)
{
	struct pcb_build_spec s;
	json_object *plan;

	put("pyproject.toml",
	    "[project]\nname = \"prec\"\nversion = \"1.0\"\n[project.scripts]\n"
	    "prec = \"prec.cli:main\"\n"
	    "[tool.pycontainer]\nworkdir = \"/tool\"\ntag = \"tool:1\"\n"
	    "platform = \"linux/arm64\"\nentrypoint = [\"tool\"]\n"
	    "[tool.pycontainer.env]\nX = \"tool\"\n"
	    "[tool.pycontainer.labels]\nl = \"tool\"\n");
	put("prec/__init__.py", "");
	put("prec/cli.py", "");

	/* Level 3: [tool.pycontainer] over the defaults. */
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "workdir"), "/tool");
	ck_assert_str_eq(jstr(plan, "sources.workdir"), "pyproject.toml [tool.pycontainer].workdir");
	ck_assert_str_eq(jstr(plan, "tags.0"), "tool:1");
	ck_assert_str_eq(jstr(plan, "sources.tags"), "pyproject.toml [tool.pycontainer].tag");
	ck_assert_str_eq(jstr(plan, "platform"), "linux/arm64");
	ck_assert_str_eq(jstr(plan, "entrypoint.0"), "tool");
	ck_assert_str_eq(jstr(plan, "sources.entrypoint"),
	    "pyproject.toml [tool.pycontainer].entrypoint");
	ck_assert_str_eq(jstr(plan, "env.X"), "tool");
	ck_assert_str_eq(jstr(plan, "sources.env.X"), "pyproject.toml [tool.pycontainer.env].X");
	ck_assert_str_eq(jstr(plan, "labels.l"), "tool");
	ck_assert_str_eq(jstr(plan, "sources.labels.l"),
	    "pyproject.toml [tool.pycontainer.labels].l");
	ck_assert_str_eq(jstr(plan, "sources.version"), "pyproject.toml [project].version");
	ck_assert_str_eq(jstr(plan, "sources.env.PATH"), "default");
	json_object_put(plan);

	/* Level 2: pycontainer.toml over [tool.pycontainer]. */
	put("pycontainer.toml",
	    "[build]\nworkdir = \"/file\"\ntags = [\"file:2\"]\nplatform = \"linux/amd64\"\n"
	    "entrypoint = [\"file\"]\n[build.env]\nX = \"file\"\n[build.labels]\nl = \"file\"\n");
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "workdir"), "/file");
	ck_assert_str_eq(jstr(plan, "sources.workdir"), "pycontainer.toml [build].workdir");
	ck_assert_str_eq(jstr(plan, "tags.0"), "file:2");
	ck_assert_str_eq(jstr(plan, "sources.tags"), "pycontainer.toml [build].tags");
	ck_assert_str_eq(jstr(plan, "platform"), "linux/amd64");
	ck_assert_str_eq(jstr(plan, "sources.platform"), "pycontainer.toml [build].platform");
	ck_assert_str_eq(jstr(plan, "entrypoint.0"), "file");
	ck_assert_str_eq(jstr(plan, "env.X"), "file");
	ck_assert_str_eq(jstr(plan, "sources.env.X"), "pycontainer.toml [build.env].X");
	ck_assert_str_eq(jstr(plan, "labels.l"), "file");
	json_object_put(plan);

	/* Level 1: the CLI flags over both. */
	s.workdir = pcb_xstrdup("/cli");
	pcb_strv_push(&s.tags, "cli:3");
	s.platform = pcb_xstrdup("linux/riscv64");
	s.has_entrypoint = true;
	pcb_strv_push(&s.entrypoint, "cli");
	pcb_strv_push(&s.env, "X=cli");
	pcb_strv_push(&s.labels, "l=cli");
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "workdir"), "/cli");
	ck_assert_str_eq(jstr(plan, "sources.workdir"), "CLI --workdir");
	ck_assert_str_eq(jstr(plan, "tags.0"), "cli:3");
	ck_assert_str_eq(jstr(plan, "sources.tags"), "CLI --tag");
	ck_assert_str_eq(jstr(plan, "platform"), "linux/riscv64");
	ck_assert_str_eq(jstr(plan, "sources.platform"), "CLI --platform");
	ck_assert_str_eq(jstr(plan, "entrypoint.0"), "cli");
	ck_assert_str_eq(jstr(plan, "sources.entrypoint"), "CLI --entrypoint");
	ck_assert_str_eq(jstr(plan, "env.X"), "cli");
	ck_assert_str_eq(jstr(plan, "sources.env.X"), "CLI --env");
	ck_assert_str_eq(jstr(plan, "labels.l"), "cli");
	ck_assert_str_eq(jstr(plan, "sources.labels.l"), "CLI --label");
	json_object_put(plan);
	pcb_build_spec_free(&s);

	/* Level 4: nothing configured → the discovered defaults. */
	pcb_test_rmtree(tmp);
	pcb_test_mkdir(tmp, ".");
	put("pyproject.toml", "[project]\nname = \"prec\"\n[project.scripts]\n"
	    "prec = \"prec.cli:main\"\n");
	put("prec/__init__.py", "");
	put("prec/cli.py", "def main(): pass\n");
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "workdir"), "/app");
	ck_assert_str_eq(jstr(plan, "sources.workdir"), "default");
	ck_assert_str_eq(jstr(plan, "tags.0"), "prec:latest");
	ck_assert_str_eq(jstr(plan, "sources.entrypoint"),
	    "[project.scripts] prec = \"prec.cli:main\"");
	ck_assert_ptr_null(pcb_test_jget(plan, "port"));
	ck_assert_int_eq(json_object_array_length(pcb_test_jget(plan, "exposed_ports")), 0);
	json_object_put(plan);
	pcb_build_spec_free(&s);
}
END_TEST

/* A FastAPI project: the server command, the port in the plan and in the image config; the
 * config's port wins over the framework's. */
START_TEST(test_framework_port_in_plan_and_config)
{
	struct pcb_build_spec s;
	struct pcb_store *store = NULL;
	struct pcb_err e;
	atomic_int cancel = 0;
	struct pcb_build_ctx ctx;
	json_object *plan, *res = NULL;
	char *root = pcb_path_join(tmp, "state"), *ctxdir = pcb_path_join(tmp, "ctx");
	char *out = pcb_path_join(tmp, "out"), *digest, *cfgtext;

	pcb_test_write(ctxdir, "requirements.txt", "fastapi\nuvicorn[standard]\n", 0644);
	pcb_test_write(ctxdir, "main.py", "from fastapi import FastAPI\n\n\napp = FastAPI()\n", 0644);
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(ctxdir);
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "framework.name"), "fastapi");
	ck_assert_str_eq(jstr(plan, "entrypoint.0"), "uvicorn");
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(plan, "port")), 8000);
	ck_assert_str_eq(jstr(plan, "exposed_ports.0"), "8000/tcp");
	ck_assert_str_eq(jstr(plan, "env.PORT"), "8000");
	ck_assert_msg(strstr(jstr(plan, "sources.port"), "main.py:4") != NULL, "%s",
	    jstr(plan, "sources.port"));
	ck_assert_msg(strstr(jstr(plan, "sources.entrypoint"), "fastapi app: main.py:4") != NULL,
	    "%s", jstr(plan, "sources.entrypoint"));
	ck_assert_str_eq(jstr(plan, "dependencies.0"), "fastapi");
	ck_assert_str_eq(jstr(plan, "dependencies.1"), "uvicorn");
	json_object_put(plan);

	pcb_test_write(ctxdir, "pycontainer.toml", "[build]\nport = 9090\nuser = \"app\"\n", 0644);
	plan = plan_of(&s);
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(plan, "port")), 9090);
	ck_assert_str_eq(jstr(plan, "env.PORT"), "9090");
	ck_assert_str_eq(jstr(plan, "sources.env.PORT"), "pycontainer.toml [build].port");
	ck_assert_str_eq(jstr(plan, "user"), "app");
	/* The server listens where the port is exposed. */
	ck_assert_msg(strstr(pcb_json_str(pcb_test_jget(plan, "entrypoint")), "9090") != NULL &&
	    strstr(pcb_json_str(pcb_test_jget(plan, "entrypoint")), "8000") == NULL, "%s",
	    pcb_json_str(pcb_test_jget(plan, "entrypoint")));
	json_object_put(plan);

	/* The image config carries ExposedPorts and User. */
	ck_assert_msg(pcb_store_create(root, &store, &e) == 0, "%s", e.msg);
	ctx.store = store;
	ctx.cancel = &cancel;
	ctx.emit = NULL;
	ctx.emit_ud = NULL;
	s.outputs = pcb_xcalloc(1, sizeof *s.outputs);
	s.n_outputs = 1;
	s.outputs[0].path = pcb_xstrdup(out);
	/* No index to fetch fastapi from here: this test is about the config. */
	s.deps.source = pcb_xstrdup("none");
	ck_assert_msg(pcb_build_run(&s, &ctx, &res, &e) == 0, "%s", e.msg);
	digest = pcb_xstrdup(jstr(res, "config.digest"));
	{
		size_t len;
		ck_assert_int_eq(pcb_store_read(store, digest, 1 << 20, &cfgtext, &len, &e), 0);
	}
	ck_assert_msg(strstr(cfgtext, "\"ExposedPorts\":{\"9090/tcp\":{}}") != NULL, "%s", cfgtext);
	ck_assert_msg(strstr(cfgtext, "\"User\":\"app\"") != NULL, "%s", cfgtext);
	free(cfgtext);
	free(digest);
	json_object_put(res);
	pcb_store_destroy(store);
	pcb_build_spec_free(&s);
	free(root);
	free(ctxdir);
	free(out);
}
END_TEST

/* Issue 12, item 2: an explicit command (CLI --entrypoint or --cmd, the config file's
 * entrypoint) wins before detection, and a detection problem never blocks it; without one the
 * detection problem is the error, as before. The build says what detection could not do. */
static void
collect_warn(void *ud, const struct pcb_event *ev)
{
	if (ev->type == PCB_EVENT_LOG && strcmp(ev->level, "warn") == 0)
		pcb_strv_push(ud, ev->message);
}

START_TEST(test_explicit_command_wins_over_detection)
{
	struct pcb_build_spec s;
	struct pcb_store *store = NULL;
	struct pcb_strv warns;
	struct pcb_build_ctx ctx;
	atomic_int cancel = 0;
	json_object *plan, *res = NULL;
	char *root = pcb_path_join(tmp, "state");
	struct pcb_err e;

	/* fastapi is imported and listed, but the app is made elsewhere: detection fails. */
	put("requirements.txt", "fastapi\nuvicorn\n");
	put("main.py", "from fastapi import APIRouter\n\nrouter = APIRouter()\n");
	plan_fails("imports fastapi in main.py but no `app = FastAPI()` found");

	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	s.has_entrypoint = true;
	pcb_strv_push(&s.entrypoint, "python");
	pcb_strv_push(&s.entrypoint, "main.py");
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "entrypoint.0"), "python");
	ck_assert_str_eq(jstr(plan, "entrypoint.1"), "main.py");
	ck_assert_str_eq(jstr(plan, "sources.entrypoint"), "CLI --entrypoint");
	ck_assert_msg(strstr(jstr(plan, "warnings.0"), "no `app = FastAPI()` found") != NULL,
	    "%s", jstr(plan, "warnings.0"));
	json_object_put(plan);

	/* A build with it runs to the end and warns once, naming the detection problem. */
	ck_assert_msg(pcb_store_create(root, &store, &e) == 0, "%s", e.msg);
	pcb_strv_init(&warns);
	ctx.store = store;
	ctx.cancel = &cancel;
	ctx.emit = collect_warn;
	ctx.emit_ud = &warns;
	s.deps.source = pcb_xstrdup("none");
	s.base_image = pcb_xstrdup("scratch");
	pcb_err_clear(&e);
	ck_assert_msg(pcb_build_run(&s, &ctx, &res, &e) == 0, "%s", e.msg);
	/* The second warning: python on the scratch base, which has none (issue 14). */
	ck_assert_uint_eq(warns.n, 2);
	ck_assert_msg(strstr(warns.v[0], "no `app = FastAPI()` found") != NULL &&
	    strstr(warns.v[0], "CLI --entrypoint") != NULL, "%s", warns.v[0]);
	ck_assert_msg(strstr(warns.v[1], "scratch, which has no Python") != NULL, "%s",
	    warns.v[1]);
	json_object_put(res);
	pcb_strv_free(&warns);
	pcb_store_destroy(store);
	pcb_build_spec_free(&s);

	/* --cmd alone is explicit too. */
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	s.has_cmd = true;
	pcb_strv_push(&s.cmd, "main.py");
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "cmd.0"), "main.py");
	json_object_put(plan);
	pcb_build_spec_free(&s);

	/* So is the config file's entrypoint. */
	put("pycontainer.toml", "[build]\nentrypoint = [\"python\", \"main.py\"]\n");
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "entrypoint.1"), "main.py");
	ck_assert_str_eq(jstr(plan, "sources.entrypoint"), "pycontainer.toml [build].entrypoint");
	json_object_put(plan);
	pcb_build_spec_free(&s);
	free(root);
}
END_TEST

/* Issue 12, item 8: the folders the build backend takes packages from decide PYTHONPATH. */
START_TEST(test_build_backend_layouts_set_pythonpath)
{
	static const struct {
		const char *pyproject, *dir, *want;
	} cases[] = {
		{ "[tool.setuptools.package-dir]\n\"\" = \"lib\"\n", "lib/app", "/app/lib:/app" },
		{ "[tool.setuptools.packages.find]\nwhere = [\"python\"]\n", "python/app",
		  "/app/python:/app" },
		{ "[tool.poetry]\nname = \"x\"\npackages = [{ include = \"app\", from = \"code\" }]\n",
		  "code/app", "/app/code:/app" },
		{ "[tool.hatch.build.targets.wheel]\npackages = [\"src/py/app\"]\n", "src/py/app",
		  "/app/src/py:/app" },
		{ "[tool.pdm.build]\npackage-dir = \"pkgs\"\n", "pkgs/app", "/app/pkgs:/app" },
		{ "[project]\nname = \"x\"\n", "src/app", "/app/src:/app" },
		{ "[tool.setuptools.package-dir]\n\"\" = \"../outside\"\n", "lib/app", "/app" },
	};

	for (size_t i = 0; i < PCB_ARRAY_LEN(cases); i++) {
		struct pcb_build_spec s;
		json_object *plan;
		char *init = pcb_xasprintf("%s/__init__.py", cases[i].dir);
		char *sub = pcb_path_join(tmp, "ctx");

		pcb_test_rmtree(sub);
		pcb_test_write(sub, "main.py", "print('hi')\n", 0644);
		pcb_test_write(sub, "pyproject.toml", cases[i].pyproject, 0644);
		pcb_test_write(sub, init, "", 0644);
		pcb_build_spec_init(&s);
		s.context = pcb_xstrdup(sub);
		plan = plan_of(&s);
		ck_assert_msg(strcmp(jstr(plan, "env.PYTHONPATH"), cases[i].want) == 0,
		    "case %zu: PYTHONPATH %s, want %s", i, jstr(plan, "env.PYTHONPATH"),
		    cases[i].want);
		json_object_put(plan);
		pcb_build_spec_free(&s);
		free(init);
		free(sub);
	}
}
END_TEST

START_TEST(test_metadata_labels_and_sources)
{
	struct pcb_build_spec s;
	json_object *plan;

	put("pyproject.toml",
	    "[project]\nname = \"lab\"\nversion = \"2.0\"\nlicense = \"MIT\"\n"
	    "authors = [{ name = \"A\", email = \"a@x.org\" }, { name = \"B\" }]\n"
	    "requires-python = \">=3.11\"\n");
	put("main.py", "");
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tmp);
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "labels.org.opencontainers.image.authors"), "A <a@x.org>, B");
	ck_assert_str_eq(jstr(plan, "sources.labels.org.opencontainers.image.authors"),
	    "pyproject.toml [project].authors");
	ck_assert_str_eq(jstr(plan, "python_version"), "3.14");
	ck_assert_str_eq(jstr(plan, "sources.python_version"),
	    "pyproject.toml [project].requires-python '>=3.11' (the newest CPython it allows)");
	ck_assert_str_eq(jstr(plan, "sources.license"), "pyproject.toml [project].license");
	ck_assert_str_eq(jstr(plan, "authors.1"), "B");
	ck_assert_str_eq(jstr(plan, "layout"), "module");
	json_object_put(plan);

	/* python_version in the config wins over requires-python. */
	put("pycontainer.toml", "[build]\npython_version = \"3.13\"\n");
	plan = plan_of(&s);
	ck_assert_str_eq(jstr(plan, "python_version"), "3.13");
	ck_assert_str_eq(jstr(plan, "sources.python_version"),
	    "pycontainer.toml [build].python_version");
	json_object_put(plan);
	pcb_build_spec_free(&s);
}
END_TEST

struct bad_case {
	const char *file;     /* "pycontainer.toml" or "pyproject.toml" */
	const char *text;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "pycontainer.toml", "[build]\ntag = \"a:1\"\n\nwrkdir = \"/x\"\n",
	  "pycontainer.toml: line 4: unknown key [build].wrkdir" },
	{ "pycontainer.toml", "[build]\nworkdir = 5\n",
	  "pycontainer.toml: line 2: [build].workdir must be a string, not an integer" },
	{ "pycontainer.toml", "[build]\nworkdir = \"app\"\n",
	  "pycontainer.toml: line 2: [build].workdir must be an absolute path" },
	{ "pycontainer.toml", "[build]\nport = \"80\"\n",
	  "pycontainer.toml: line 2: [build].port must be an integer, not a string" },
	{ "pycontainer.toml", "[build]\nport = 70000\n",
	  "pycontainer.toml: line 2: [build].port must be between 1 and 65535" },
	{ "pycontainer.toml", "[build]\nentrypoint = \"python main.py\"\n",
	  "pycontainer.toml: line 2: [build].entrypoint must be an array of strings, not a string" },
	{ "pycontainer.toml", "[build]\ncmd = [\"a\", 1]\n",
	  "pycontainer.toml: line 2: [build].cmd must be an array of strings (item 1 is an integer)" },
	{ "pycontainer.toml", "[build.env]\n1BAD = \"x\"\n",
	  "pycontainer.toml: line 2: [build.env].1BAD is not a valid variable name" },
	{ "pycontainer.toml", "[build.env]\nA = 1\n",
	  "pycontainer.toml: line 2: [build.env].A must be a string, not an integer" },
	{ "pycontainer.toml", "[build]\nenv = \"A=1\"\n",
	  "pycontainer.toml: line 2: [build].env must be a table of strings, not a string" },
	{ "pycontainer.toml", "[build.labels]\n\"\" = \"x\"\n",
	  "[build.labels]. is not a valid label name" },
	/* U+0000 in a key (stored as C0 80, python/toml.h) has no place in an image's labels. */
	{ "pycontainer.toml", "[build.labels]\n\"a\\u0000b\" = \"x\"\n",
	  "pycontainer.toml: line 2: [build.labels].a\xC0\x80" "b is not a valid label name" },
	{ "pycontainer.toml", "[build]\nplatform = \"windows\"\n",
	  "pycontainer.toml: line 2: [build].platform 'windows'" },
	{ "pycontainer.toml", "[build]\npython_version = \"3.7\"\n",
	  "pycontainer.toml: line 2: [build].python_version '3.7' is not a known Python version" },
	{ "pycontainer.toml", "[build]\npython_version = \"3.12.1\"\n",
	  "[build].python_version '3.12.1' is not a known Python version" },
	{ "pycontainer.toml", "[build]\ntag = \"UPPER:x\"\n",
	  "pycontainer.toml: line 2: [build].tag 'UPPER:x' is not an image reference" },
	{ "pycontainer.toml", "[build]\ninclude = [\"../etc\"]\n",
	  "pycontainer.toml: line 2: [build].include '../etc' is not a path inside the context" },
	{ "pycontainer.toml", "[build]\ninclude = [\"missing\"]\n",
	  "[build].include 'missing' is not a path inside the context that exists" },
	{ "pycontainer.toml", "[build]\nuser = \"\"\n",
	  "pycontainer.toml: line 2: [build].user must be a user name" },
	{ "pycontainer.toml", "[registry]\nurl = \"r\"\ninsecure = \"yes\"\n",
	  "pycontainer.toml: line 3: [registry].insecure must be a boolean, not a string" },
	{ "pycontainer.toml", "[registry]\nuser = \"me\"\n",
	  "pycontainer.toml: line 2: unknown key [registry].user" },
	{ "pycontainer.toml", "[bulid]\ntag = \"a\"\n",
	  "pycontainer.toml: line 1: unknown table [bulid]" },
	{ "pycontainer.toml", "build = 1\n", "pycontainer.toml: line 1: [build] must be a table" },
	{ "pycontainer.toml", "[build]\nworkdir = \"/a\"\nworkdir = \"/b\"\n",
	  "pycontainer.toml: line 3" },
	{ "pyproject.toml", "[project]\nname = \"x\"\n[tool.pycontainer]\nport = \"8000\"\n",
	  "pyproject.toml: line 4: [tool.pycontainer].port must be an integer, not a string" },
	{ "pyproject.toml", "[project]\nname = \"x\"\n[tool.pycontainer]\nwrkdir = \"/x\"\n",
	  "pyproject.toml: line 4: unknown key [tool.pycontainer].wrkdir" },
	{ "pyproject.toml", "[tool]\npycontainer = \"x\"\n",
	  "pyproject.toml: line 2: [tool.pycontainer] must be a table" },
	{ "pyproject.toml", "[tool.pycontainer.env]\nA = true\n",
	  "pyproject.toml: line 2: [tool.pycontainer.env].A must be a string, not a boolean" },
	{ "pyproject.toml", "[tool.pycontainer]\nregistry = { url = \"x\" }\n",
	  "pyproject.toml: line 2: unknown key [tool.pycontainer].registry" },
	{ "pyproject.toml", "[tool.pycontainer]\nlabels = { a = 1 }\n",
	  "[tool.pycontainer.labels].a must be a string, not an integer" },
};

START_TEST(test_bad_config)
{
	const struct bad_case *c = &bad_cases[_i];

	put("main.py", "");
	put(c->file, c->text);
	plan_fails(c->msg);
}
END_TEST

START_TEST(test_config_load_direct)
{
	struct pcb_project_config c;
	struct pcb_err e;

	/* No files: nothing set, and no error. */
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_config_load(tmp, NULL, NULL, &c, &e), 0);
	ck_assert(!c.have_file);
	ck_assert(!c.tags.set);
	ck_assert_ptr_null(c.workdir.value);
	ck_assert_int_eq(c.port, 0);
	pcb_config_free(&c);

	/* On failure the struct is left empty and safe to free. */
	put("pycontainer.toml", "[build]\nworkdir = \"/ok\"\nport = 0\n");
	ck_assert_int_eq(pcb_config_load(tmp, NULL, NULL, &c, &e), PCB_EINVAL);
	ck_assert_ptr_null(c.workdir.value);
	ck_assert_msg(strstr(e.msg, "pycontainer.toml: line 3: [build].port") != NULL, "%s", e.msg);
	pcb_config_free(&c);

	/* Invalid TOML names the file and the line. */
	put("pycontainer.toml", "[build]\nworkdir = \n");
	ck_assert_int_eq(pcb_config_load(tmp, NULL, NULL, &c, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "pycontainer.toml") != NULL && strstr(e.msg, "line 2") != NULL,
	    "%s", e.msg);
	pcb_config_free(&c);

	/* An explicitly empty list is set (it clears a lower level). */
	put("pycontainer.toml", "[build]\ncmd = []\n");
	ck_assert_int_eq(pcb_config_load(tmp, NULL, NULL, &c, &e), 0);
	ck_assert(c.cmd.set);
	ck_assert_int_eq(c.cmd.value.n, 0);
	pcb_config_free(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");

	/* No Docker Hub here: projects that name no base are built on scratch. */
	pcb_build_set_default_base("scratch", NULL);
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_pycontainer_toml);
	tcase_add_test(tc, test_tool_pycontainer);
	tcase_add_test(tc, test_precedence_in_plan);
	tcase_add_test(tc, test_framework_port_in_plan_and_config);
	tcase_add_test(tc, test_explicit_command_wins_over_detection);
	tcase_add_test(tc, test_build_backend_layouts_set_pythonpath);
	tcase_add_test(tc, test_metadata_labels_and_sources);
	tcase_add_loop_test(tc, test_bad_config, 0, (int)PCB_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_config_load_direct);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
