/* test-poetry.c — Poetry's dependency tables as PEP 508 lines (common/python/poetry.c): the
 * constraint language (^, ~, wildcards, bare versions, clauses), python constraints as markers,
 * the table forms (extras, optional + [tool.poetry.extras], git, url, path, markers, several
 * constraints for one name), groups, what has no PEP 440 form, and a real project's
 * pyproject.toml (tests/fixtures/poetry/README names it). Every line produced must parse as a
 * PEP 508 requirement. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "python/pep508.h"
#include "python/poetry.h"
#include "python/toml.h"
#include "testutil.h"

static const struct {
	const char *poetry, *pep440;
} constraints[] = {
	{ "^1.2.3", ">=1.2.3,<2.0.0" },
	{ "^1.2", ">=1.2,<2.0" },
	{ "^1", ">=1,<2" },
	{ "^0.2.3", ">=0.2.3,<0.3.0" },
	{ "^0.0.3", ">=0.0.3,<0.0.4" },
	{ "^0.0", ">=0.0,<0.1" },
	{ "^0", ">=0,<1" },
	{ "^0.109.1", ">=0.109.1,<0.110.0" },
	{ "^2023.6.3", ">=2023.6.3,<2024.0.0" },
	{ "~1.2.3", ">=1.2.3,<1.3.0" },
	{ "~1.2", ">=1.2,<1.3" },
	{ "~1", ">=1,<2" },
	{ "~=1.2", "~=1.2" },
	{ "1.2.3", "==1.2.3" },
	{ "1.2.*", "==1.2.*" },
	{ "*", "" },
	{ "", "" },
	{ ">=1.2,<2", ">=1.2,<2" },
	{ ">= 1.2, < 1.5", ">=1.2,<1.5" },
	{ ">=1.2 <1.5", ">=1.2,<1.5" },
	{ "!=1.3", "!=1.3" },
	{ "=1.0", "==1.0" },
	{ "==4.0.1", "==4.0.1" },
	{ "^0.50b0", ">=0.50b0,<0.51" },
};

START_TEST(test_constraints)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(constraints); i++) {
		char *out = NULL;
		struct pcb_err e;

		pcb_err_clear(&e);
		ck_assert_msg(pcb_poetry_constraint(constraints[i].poetry, &out, &e) == 0, "%s: %s",
		    constraints[i].poetry, e.msg);
		ck_assert_msg(strcmp(out, constraints[i].pep440) == 0, "%s: got \"%s\", want \"%s\"",
		    constraints[i].poetry, out, constraints[i].pep440);
		free(out);
	}
}
END_TEST

START_TEST(test_constraint_without_pep440_form)
{
	char *out = NULL;
	struct pcb_err e;

	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_poetry_constraint("^1.0 || ^2.0", &out, &e), PCB_EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(e.msg, "'^1.0 || ^2.0' has no PEP 440 form") != NULL, "%s", e.msg);
	ck_assert_int_eq(pcb_poetry_constraint(">=", &out, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_poetry_constraint("^abc", &out, &e), PCB_EINVAL);
}
END_TEST

static const struct {
	const char *poetry, *marker;
} pythons[] = {
	{ "^3.8", "python_version >= \"3.8\" and python_version < \"4.0\"" },
	{ "<3.11", "python_version < \"3.11\"" },
	{ ">=3.10,<3.12", "python_version >= \"3.10\" and python_version < \"3.12\"" },
	{ "^3.8.10", "python_full_version >= \"3.8.10\" and python_full_version < \"4.0.0\"" },
	{ "3.8", "python_version == \"3.8\"" },
	{ "3.8.*", "python_version == \"3.8\"" },
	{ "~2.7 || ^3.6", "(python_version >= \"2.7\" and python_version < \"2.8\") or "
	  "(python_version >= \"3.6\" and python_version < \"4.0\")" },
	{ "*", "" },
};

START_TEST(test_python_markers)
{
	struct pcb_marker_env env;
	struct pcb_pytarget t;

	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "amd64", NULL, "3.11", NULL), 0);
	pcb_marker_env_init(&env, &t);
	for (size_t i = 0; i < PCB_ARRAY_LEN(pythons); i++) {
		char *out = NULL;
		struct pcb_err e;
		bool v;

		pcb_err_clear(&e);
		ck_assert_msg(pcb_poetry_python_marker(pythons[i].poetry, &out, &e) == 0, "%s: %s",
		    pythons[i].poetry, e.msg);
		ck_assert_msg(strcmp(out, pythons[i].marker) == 0, "%s: got '%s'", pythons[i].poetry,
		    out);
		/* And the marker is one the evaluator reads. */
		if (out[0] != '\0')
			ck_assert_msg(pcb_marker_eval(out, &env, &v, &e) == 0, "%s: %s", out, e.msg);
		free(out);
	}
	pcb_marker_env_free(&env);
}
END_TEST

static json_object *
parse(const char *toml)
{
	json_object *doc = NULL;
	struct pcb_err e;

	pcb_err_clear(&e);
	ck_assert_msg(pcb_toml_parse(toml, strlen(toml), "pyproject.toml", &doc, &e) == 0, "%s",
	    e.msg);
	return doc;
}

/* Every line is a PEP 508 requirement. */
static void
assert_parse(const struct pcb_strv *lines)
{
	for (size_t i = 0; i < lines->n; i++) {
		struct pcb_requirement r;
		struct pcb_err e;

		pcb_err_clear(&e);
		ck_assert_msg(pcb_requirement_parse(lines->v[i], &r, &e) == 0, "'%s': %s",
		    lines->v[i], e.msg);
		pcb_requirement_free(&r);
	}
}

static const char table_forms[] =
    "[tool.poetry]\n"
    "name = \"demo\"\n"
    "[tool.poetry.dependencies]\n"
    "python = \"^3.9\"\n"
    "requests = \"^2.31\"\n"
    "uvicorn = { version = \"^0.27.1\", extras = [\"standard\"] }\n"
    "tomli = { version = \"^2.0.1\", python = \"<3.11\" }\n"
    "pywin32 = { version = \">=306\", platform = \"win32\" }\n"
    "numpy = [\n"
    "    { version = \">=1.25\", python = \"<3.12\" },\n"
    "    { version = \">=1.26\", python = \">=3.12\" },\n"
    "]\n"
    "pydub = { version = \"^0.25.1\", optional = true }\n"
    "lxml = { version = \"^4.9\", optional = true }\n"
    "mylib = { git = \"https://github.com/example/mylib.git\", tag = \"v1.2\" }\n"
    "common-lib = { path = \"../common-lib\", develop = true }\n"
    "wheelpkg = { url = \"https://example.com/wheelpkg-1.0-py3-none-any.whl\" }\n"
    "backports = { version = \"*\", markers = \"platform_machine == 'x86_64'\" }\n"
    "[tool.poetry.extras]\n"
    "audio = [\"pydub\"]\n"
    "[tool.poetry.group.test.dependencies]\n"
    "pytest = \"^8\"\n"
    "[tool.poetry.dev-dependencies]\n"
    "black = \"23.3.0\"\n";

START_TEST(test_table_forms)
{
	json_object *doc = parse(table_forms);
	struct pcb_strv extras, groups, lines;
	struct pcb_err e;

	pcb_strv_init(&extras);
	pcb_strv_init(&groups);
	pcb_strv_init(&lines);
	pcb_err_clear(&e);
	ck_assert_msg(pcb_poetry_requirements(doc, "/ctx", &extras, &groups, &lines, &e) == 0,
	    "%s", e.msg);
	ck_assert_uint_eq(lines.n, 10);
	ck_assert_str_eq(lines.v[0], "requests>=2.31,<3.0");
	ck_assert_str_eq(lines.v[1], "uvicorn[standard]>=0.27.1,<0.28.0");
	ck_assert_str_eq(lines.v[2], "tomli>=2.0.1,<3.0.0; (python_version < \"3.11\")");
	ck_assert_str_eq(lines.v[3], "pywin32>=306; sys_platform == \"win32\"");
	ck_assert_str_eq(lines.v[4], "numpy>=1.25; (python_version < \"3.12\")");
	ck_assert_str_eq(lines.v[5], "numpy>=1.26; (python_version >= \"3.12\")");
	/* pydub and lxml are optional and no extra asks for them. */
	ck_assert_str_eq(lines.v[6], "mylib @ git+https://github.com/example/mylib.git@v1.2");
	ck_assert_str_eq(lines.v[7], "common-lib @ file:///ctx/../common-lib");
	ck_assert_str_eq(lines.v[8], "wheelpkg @ https://example.com/wheelpkg-1.0-py3-none-any.whl");
	ck_assert_str_eq(lines.v[9], "backports; (platform_machine == 'x86_64')");
	assert_parse(&lines);
	pcb_strv_free(&lines);

	/* An extra brings its optional dependency; groups add their tables (dev: the old one). */
	pcb_strv_init(&lines);
	pcb_strv_push(&extras, "audio");
	pcb_strv_push(&groups, "test");
	pcb_strv_push(&groups, "dev");
	ck_assert_msg(pcb_poetry_requirements(doc, "/ctx", &extras, &groups, &lines, &e) == 0,
	    "%s", e.msg);
	ck_assert(pcb_strv_contains(&lines, "pydub>=0.25.1,<0.26.0"));
	ck_assert(!pcb_strv_contains(&lines, "lxml>=4.9,<5.0"));
	ck_assert_str_eq(lines.v[lines.n - 2], "pytest>=8,<9");
	ck_assert_str_eq(lines.v[lines.n - 1], "black==23.3.0");
	assert_parse(&lines);
	pcb_strv_free(&lines);

	/* What is not there is an error naming it. */
	pcb_strv_init(&lines);
	pcb_strv_free(&groups);
	pcb_strv_init(&groups);
	pcb_strv_push(&groups, "docs");
	ck_assert_int_eq(pcb_poetry_requirements(doc, "/ctx", &extras, &groups, &lines, &e),
	    PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "group 'docs' is not in pyproject.toml [tool.poetry.group]") !=
	    NULL, "%s", e.msg);
	pcb_strv_free(&extras);
	pcb_strv_init(&extras);
	pcb_strv_push(&extras, "video");
	ck_assert_int_eq(pcb_poetry_requirements(doc, "/ctx", &extras, &groups, &lines, &e),
	    PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "extra 'video' is not in pyproject.toml [tool.poetry.extras]") !=
	    NULL, "%s", e.msg);
	pcb_strv_free(&lines);
	pcb_strv_free(&extras);
	pcb_strv_free(&groups);
	json_object_put(doc);
}
END_TEST

START_TEST(test_no_dependencies_and_bad_ones)
{
	struct pcb_strv none, lines;
	json_object *doc;
	struct pcb_err e;

	pcb_strv_init(&none);
	pcb_strv_init(&lines);
	pcb_err_clear(&e);
	doc = parse("[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\npython = \"^3.11\"\n");
	ck_assert_int_eq(pcb_poetry_requirements(doc, "/ctx", &none, &none, &lines, &e),
	    PCB_ENOENT);
	json_object_put(doc);
	doc = parse("[project]\nname = \"x\"\n");
	ck_assert_int_eq(pcb_poetry_requirements(doc, "/ctx", &none, &none, &lines, &e),
	    PCB_ENOENT);
	json_object_put(doc);
	doc = parse("[tool.poetry.dependencies]\nflask = \"^2 || ^3\"\n");
	ck_assert_int_eq(pcb_poetry_requirements(doc, "/ctx", &none, &none, &lines, &e),
	    PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "pyproject.toml: [tool.poetry.dependencies] flask: version "
	    "'^2 || ^3' has no PEP 440 form") != NULL, "%s", e.msg);
	json_object_put(doc);
	doc = parse("[tool.poetry.dependencies]\nflask = 3\n");
	ck_assert_int_eq(pcb_poetry_requirements(doc, "/ctx", &none, &none, &lines, &e),
	    PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "flask: must be a version string or a table") != NULL, "%s",
	    e.msg);
	json_object_put(doc);
	ck_assert_uint_eq(lines.n, 0);
	pcb_strv_free(&lines);
	pcb_strv_free(&none);
}
END_TEST

/* A real project (BCG-X-Official/agentkit): 37 dependencies besides python, all ^ ranges, two
 * with extras; its optional dev group only when asked. */
START_TEST(test_real_project)
{
	char *path = pcb_path_join(pcb_test_source_dir(),
	    "tests/fixtures/poetry/agentkit/pyproject.toml");
	struct pcb_strv none, groups, lines;
	json_object *doc = NULL;
	struct pcb_err e;

	pcb_strv_init(&none);
	pcb_strv_init(&groups);
	pcb_strv_init(&lines);
	pcb_err_clear(&e);
	ck_assert_msg(pcb_toml_parse_file(path, &doc, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_poetry_requirements(doc, "/ctx", &none, &none, &lines, &e) == 0, "%s",
	    e.msg);
	ck_assert_uint_eq(lines.n, 37);
	ck_assert_str_eq(lines.v[0], "SQLAlchemy>=2.0.23,<3.0.0");
	ck_assert(pcb_strv_contains(&lines, "fastapi>=0.109.1,<0.110.0"));
	ck_assert(pcb_strv_contains(&lines, "fastapi-cache2[redis]>=0.2.1,<0.3.0"));
	ck_assert(pcb_strv_contains(&lines, "langsmith>=0.0.78,<0.0.79"));
	ck_assert(!pcb_strv_contains(&lines, "pytest==7.4.0"));
	assert_parse(&lines);
	pcb_strv_free(&lines);
	pcb_strv_init(&lines);
	pcb_strv_push(&groups, "dev");
	ck_assert_msg(pcb_poetry_requirements(doc, "/ctx", &none, &groups, &lines, &e) == 0, "%s",
	    e.msg);
	ck_assert_uint_eq(lines.n, 37 + 11);
	ck_assert(pcb_strv_contains(&lines, "pytest==7.4.0"));
	assert_parse(&lines);
	pcb_strv_free(&lines);
	pcb_strv_free(&groups);
	pcb_strv_free(&none);
	json_object_put(doc);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("poetry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_constraints);
	tcase_add_test(tc, test_constraint_without_pep440_form);
	tcase_add_test(tc, test_python_markers);
	tcase_add_test(tc, test_table_forms);
	tcase_add_test(tc, test_no_dependencies_and_bad_ones);
	tcase_add_test(tc, test_real_project);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
