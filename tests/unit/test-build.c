/* test-build.c — the build pipeline without the daemon: plan contents and sources, a run into
 * a temp store with the events it emits, cancellation, and errors that name what is wrong. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "build.h"
#include "ocicheck.h"
#include "testutil.h"

static char *tmp;
static struct pcb_store *store;

static void
setup(void)
{
	store = pcb_test_store_new(&tmp);
}

static void
teardown(void)
{
	pcb_test_store_free(store, tmp);
	store = NULL;
	tmp = NULL;
}

static void
write_hello(const char *ctx)
{
	pcb_test_write(ctx, "pyproject.toml",
	    "[project]\nname = \"Hello_World\"\nversion = \"0.3\"\n"
	    "[project.scripts]\nhello-world = \"hello_world.cli:main\"\n", 0644);
	pcb_test_write(ctx, "hello_world/__init__.py", "", 0644);
	pcb_test_write(ctx, "hello_world/cli.py", "def main():\n    return 0\n", 0644);
}

static void
spec_for(struct pcb_build_spec *s, const char *ctx)
{
	pcb_build_spec_init(s);
	s->context = pcb_xstrdup(ctx);
}

START_TEST(plan_shows_discovery_and_sources)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL;
	char *ctx = pcb_path_join(tmp, "ctx");

	write_hello(ctx);
	spec_for(&s, ctx);
	pcb_strv_push(&s.env, "A=1");
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "name")), "Hello_World");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "version")), "0.3");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "workdir")), "/app");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "base_image")), "scratch");
	/* Repository names are lowercase; the default tag follows the project name. */
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "tags.0")),
	    "hello-world:latest");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "env.A")), "1");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "env.PYTHONUNBUFFERED")), "1");
	ck_assert_ptr_nonnull(strstr(json_object_get_string(pcb_test_jget(plan, "entrypoint")),
	    "hello_world.cli"));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(pcb_test_jget(plan,
	    "sources.entrypoint")), "project.scripts"));
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "sources.workdir")), "default");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan,
	    "labels.org.opencontainers.image.created")), "1970-01-01T00:00:00Z");
	json_object_put(plan);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

struct seen {
	int phases, progress, layers;
	char last_phase[32];
};

static void
record(void *ud, const struct pcb_event *ev)
{
	struct seen *s = ud;
	switch (ev->type) {
	case PCB_EVENT_PHASE:
		s->phases++;
		snprintf(s->last_phase, sizeof s->last_phase, "%s", ev->phase);
		break;
	case PCB_EVENT_PROGRESS:
		ck_assert(ev->done <= ev->total);
		s->progress++;
		break;
	case PCB_EVENT_LAYER:
		ck_assert_ptr_nonnull(ev->data);
		s->layers++;
		break;
	default:
		break;
	}
}

/* The image's Python: the newest minor requires-python allows, stepped down to the newest
 * every wheel the uv.lock pins fits; an explicit python_version wins. */
START_TEST(plan_python_follows_locked_wheels)
{
	static const char lock[] =
	    "version = 1\nrequires-python = \">=3.10\"\n\n"
	    "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n"
	    "dependencies = [{ name = \"fastnum\" }, { name = \"pure\" }]\n\n"
	    "[[package]]\nname = \"fastnum\"\nversion = \"1.0\"\n"
	    "source = { registry = \"https://pypi.org/simple\" }\nwheels = [\n"
	    "    { url = \"https://files.example.org/fastnum-1.0-cp312-cp312-manylinux_2_17_x86_64"
	    ".whl\", hash = \"sha256:0101010101010101010101010101010101010101010101010101010101010101\" },\n"
	    "    { url = \"https://files.example.org/fastnum-1.0-cp311-cp311-manylinux_2_17_x86_64"
	    ".whl\", hash = \"sha256:0202020202020202020202020202020202020202020202020202020202020202\" },\n"
	    "]\n\n"
	    "[[package]]\nname = \"pure\"\nversion = \"2.0\"\n"
	    "source = { registry = \"https://pypi.org/simple\" }\nwheels = [\n"
	    "    { url = \"https://files.example.org/pure-2.0-py3-none-any.whl\", hash = "
	    "\"sha256:0303030303030303030303030303030303030303030303030303030303030303\" },\n]\n";
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL;
	char *ctx = pcb_path_join(tmp, "ctx");
	const char *src;

	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\n"
	    "requires-python = \">=3.10\"\ndependencies = [\"fastnum\", \"pure\"]\n", 0644);
	pcb_test_write(ctx, "main.py", "print('hi')\n", 0644);
	pcb_test_write(ctx, "uv.lock", lock, 0644);
	spec_for(&s, ctx);
	s.platform = pcb_xstrdup("linux/amd64");
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "python_version")), "3.12");
	src = json_object_get_string(pcb_test_jget(plan, "sources.python_version"));
	ck_assert_msg(src != NULL && strstr(src, "stepped down from 3.14 to the newest the wheels "
	    "in uv.lock support (3.14: ") != NULL && strstr(src, "fastnum") != NULL, "%s", src);
	json_object_put(plan);

	/* Without the cp312 wheel: 3.11. */
	{
		char *l2 = pcb_xstrdup(lock), *cut = strstr(l2, "    { url = \"https://files.example."
		    "org/fastnum-1.0-cp312");
		char *eol = strchr(cut, '\n');
		memmove(cut, eol + 1, strlen(eol + 1) + 1);
		pcb_test_write(ctx, "uv.lock", l2, 0644);
		free(l2);
	}
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "python_version")), "3.11");
	json_object_put(plan);

	/* The config's python_version is taken as it is. */
	pcb_test_write(ctx, "pycontainer.toml", "[build]\npython_version = \"3.13\"\n", 0644);
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "python_version")), "3.13");
	json_object_put(plan);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

/* --deps-from-venv with nothing pinning the version: the venv's own minor (pyvenv.cfg), not
 * the newest requires-python allows; one requires-python excludes is not taken. */
START_TEST(plan_python_follows_venv)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL;
	char *ctx = pcb_path_join(tmp, "ctx"), *venv = pcb_path_join(tmp, "venv");
	const char *src;

	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\n"
	    "requires-python = \">=3.11\"\n", 0644);
	pcb_test_write(ctx, "main.py", "print('hi')\n", 0644);
	pcb_test_write(venv, "pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\n"
	    "version = 3.12.7\n", 0644);
	spec_for(&s, ctx);
	s.deps.venv = pcb_xstrdup(venv);
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "python_version")), "3.12");
	src = json_object_get_string(pcb_test_jget(plan, "sources.python_version"));
	ck_assert_msg(src != NULL && strstr(src, "--deps-from-venv") != NULL &&
	    strstr(src, "pyvenv.cfg") != NULL, "%s", src);
	json_object_put(plan);

	/* virtualenv/uv spell it version_info; 3.10 is outside requires-python: not taken. */
	pcb_test_write(venv, "pyvenv.cfg", "home = /usr/bin\nversion_info = 3.10.4.final.0\n", 0644);
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "python_version")), "3.14");
	json_object_put(plan);
	pcb_build_spec_free(&s);
	free(venv);
	free(ctx);
}
END_TEST

/* A poetry.lock is the dependency source even beside a requirements.txt: the plan names it
 * (format, file), warns when pyproject.toml changed after the lock (content-hash), and steps
 * the Python down to the newest minor its wheels fit, like a uv.lock. */
START_TEST(plan_poetry_lock_source)
{
	static const char lock[] =
	    "[[package]]\nname = \"fastnum\"\nversion = \"1.0\"\ndescription = \"\"\n"
	    "optional = false\npython-versions = \">=3.10\"\ngroups = [\"main\"]\nfiles = [\n"
	    "    {file = \"fastnum-1.0-cp312-cp312-manylinux_2_17_x86_64.whl\", hash = \"sha256:"
	    "0101010101010101010101010101010101010101010101010101010101010101\"},\n"
	    "    {file = \"fastnum-1.0-cp311-cp311-manylinux_2_17_x86_64.whl\", hash = \"sha256:"
	    "0202020202020202020202020202020202020202020202020202020202020202\"},\n"
	    "    {file = \"fastnum-1.0.tar.gz\", hash = \"sha256:"
	    "0303030303030303030303030303030303030303030303030303030303030303\"},\n]\n\n"
	    "[[package]]\nname = \"pure\"\nversion = \"2.0\"\ndescription = \"\"\n"
	    "optional = false\npython-versions = \"*\"\ngroups = [\"main\"]\nfiles = [\n"
	    "    {file = \"pure-2.0-py3-none-any.whl\", hash = \"sha256:"
	    "0404040404040404040404040404040404040404040404040404040404040404\"},\n]\n\n"
	    "[metadata]\nlock-version = \"2.1\"\npython-versions = \"^3.10\"\n"
	    "content-hash = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL;
	char *ctx = pcb_path_join(tmp, "poetryctx");
	const char *src, *warnings;

	pcb_test_write(ctx, "pyproject.toml", "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\n"
	    "description = \"\"\nauthors = []\n\n[tool.poetry.dependencies]\npython = \"^3.10\"\n"
	    "fastnum = \"^1.0\"\npure = \"^2.0\"\n", 0644);
	pcb_test_write(ctx, "main.py", "print('hi')\n", 0644);
	pcb_test_write(ctx, "requirements.txt", "fastnum\npure\n", 0644);
	pcb_test_write(ctx, "poetry.lock", lock, 0644);
	spec_for(&s, ctx);
	s.platform = pcb_xstrdup("linux/amd64");
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "dependency_source.source")),
	    "lock");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "dependency_source.format")),
	    "poetry.lock");
	ck_assert(pcb_str_has_suffix(json_object_get_string(pcb_test_jget(plan,
	    "dependency_source.file")), "/poetry.lock"));
	warnings = pcb_json_str(pcb_test_jget(plan, "warnings"));
	ck_assert_msg(strstr(warnings, "poetry.lock is out of date with pyproject.toml") != NULL,
	    "%s", warnings);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "python_version")), "3.12");
	src = json_object_get_string(pcb_test_jget(plan, "sources.python_version"));
	ck_assert_msg(src != NULL && strstr(src, "the wheels in poetry.lock support (3.14: ") != NULL &&
	    strstr(src, "fastnum") != NULL, "%s", src);
	json_object_put(plan);

	/* A lock that does not parse leaves the source undecided for the plan (the dependency
	 * step reports the error with its line). */
	pcb_test_write(ctx, "poetry.lock", "[[package]\n", 0644);
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_ptr_null(pcb_test_jget(plan, "dependency_source"));
	json_object_put(plan);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

START_TEST(run_writes_store_tag_and_layout)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	struct seen seen = { 0 };
	atomic_int cancel = 0;
	struct pcb_build_ctx ctx = { store, &cancel, record, &seen };
	json_object *res = NULL;
	char *ctxdir = pcb_path_join(tmp, "ctx"), *out = pcb_path_join(tmp, "out");
	char *tagged = NULL, *digest;

	write_hello(ctxdir);
	spec_for(&s, ctxdir);
	s.outputs = pcb_xcalloc(1, sizeof *s.outputs);
	s.n_outputs = 1;
	s.outputs[0].path = pcb_xstrdup(out);
	pcb_strv_push(&s.tags, "hello:7");
	ck_assert_msg(pcb_build_run(&s, &ctx, &res, &e) == 0, "%s", e.msg);
	ck_assert_int_ge(seen.phases, 5);
	ck_assert_int_ge(seen.progress, 1);
	ck_assert_int_eq(seen.layers, 1);
	ck_assert_str_eq(seen.last_phase, "export");
	digest = pcb_test_check_layout(out, "7", NULL);
	ck_assert_str_eq(digest, json_object_get_string(pcb_test_jget(res, "manifest.digest")));
	ck_assert_int_eq(pcb_store_tag_get(store, "hello:7", &tagged, &e), 0);
	ck_assert_str_eq(tagged, digest);
	/* The manifest is in the store and reads back verified. */
	{
		char *m = NULL;
		size_t len;
		ck_assert_int_eq(pcb_store_read(store, digest, 1 << 20, &m, &len, &e), 0);
		ck_assert_ptr_nonnull(strstr(m, "application/vnd.oci.image.layer.v1.tar+gzip"));
		free(m);
	}
	free(tagged);
	free(digest);
	json_object_put(res);
	pcb_build_spec_free(&s);
	free(ctxdir);
	free(out);
}
END_TEST

START_TEST(run_cancelled)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	atomic_int cancel = 1;
	struct pcb_build_ctx ctx = { store, &cancel, NULL, NULL };
	json_object *res = NULL;
	char *ctxdir = pcb_path_join(tmp, "ctx");
	char *tagged = NULL;

	write_hello(ctxdir);
	spec_for(&s, ctxdir);
	ck_assert_int_eq(pcb_build_run(&s, &ctx, &res, &e), PCB_ECANCELED);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(pcb_store_tag_get(store, "hello-world:latest", &tagged, &e), PCB_ENOENT);
	pcb_build_spec_free(&s);
	free(ctxdir);
}
END_TEST

START_TEST(errors_name_the_problem)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *plan = NULL;
	char *ctx = pcb_path_join(tmp, "bad");

	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"x\"\nversion = 1.0\n", 0644);
	spec_for(&s, ctx);
	ck_assert_int_eq(pcb_build_plan(&s, &plan, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "version") != NULL, "message: %s", e.msg);
	pcb_build_spec_free(&s);

	pcb_test_write(ctx, "pyproject.toml", "[project\nname = \"x\"\n", 0644);
	spec_for(&s, ctx);
	ck_assert_int_eq(pcb_build_plan(&s, &plan, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "line 1") != NULL, "message: %s", e.msg);
	pcb_build_spec_free(&s);

	/* No way to start the app, and none given: the message says what to pass. */
	pcb_test_write(ctx, "pyproject.toml", "[project]\nname = \"x\"\n", 0644);
	spec_for(&s, ctx);
	ck_assert_int_eq(pcb_build_plan(&s, &plan, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "entrypoint") != NULL, "message: %s", e.msg);
	/* …and passing one makes the same project buildable. */
	s.has_entrypoint = true;
	pcb_strv_push(&s.entrypoint, "python");
	pcb_strv_push(&s.entrypoint, "-V");
	ck_assert_msg(pcb_build_plan(&s, &plan, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(plan, "entrypoint.1")), "-V");
	json_object_put(plan);
	pcb_build_spec_free(&s);
	free(ctx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("build");

	/* No Docker Hub here: projects that name no base are built on scratch. */
	pcb_build_set_default_base("scratch", NULL);
	TCase *tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, plan_shows_discovery_and_sources);
	tcase_add_test(tc, plan_python_follows_locked_wheels);
	tcase_add_test(tc, plan_poetry_lock_source);
	tcase_add_test(tc, plan_python_follows_venv);
	tcase_add_test(tc, run_writes_store_tag_and_layout);
	tcase_add_test(tc, run_cancelled);
	tcase_add_test(tc, errors_name_the_problem);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
