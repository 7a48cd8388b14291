/* test-corpus.c — discovery judged against real projects (tests/corpus/, see its README): for
 * each project the plan's command is compared with what the project's own Dockerfile (or
 * documented command) runs, reduced to a program and a target ("uvicorn" + "app.main:app").
 *
 *   match    same program, same target
 *   partial  the same target under another program (a console script run as `python -c`), or
 *            the same program given another target
 *   wrong    a command that starts something else
 *   error    no plan, or a plan with no command
 *
 * It prints "corpus: M match, P partial, W wrong, E error of N" and one line per project that
 * is not a match, and fails when the figures fall below the floor recorded here: the floor is
 * raised as discovery improves, never lowered. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "build.h"
#include "ocicheck.h"
#include "testutil.h"

/* Measured 2026-12-06 over 48 projects (45 match, 1 partial, 1 wrong, 1 error): the
 * floor for matches rises and the ceiling for wrong commands falls as discovery improves. */
#define FLOOR_MATCH 45
#define CEIL_WRONG 1

enum verdict { V_MATCH, V_PARTIAL, V_WRONG, V_ERROR };

static const char *const servers[] = { "uvicorn", "gunicorn", "hypercorn", "granian", "daphne",
    "uwsgi", "waitress-serve", "sanic" };

static bool
is_server(const char *p)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(servers); i++)
		if (strcmp(p, servers[i]) == 0)
			return true;
	return false;
}

/* "python3.12" and "/opt/venv/bin/python3" are "python"; other paths lose their folder. */
static char *
program_of(const char *argv0)
{
	const char *b = strrchr(argv0, '/');

	b = b != NULL ? b + 1 : argv0;
	if (strncmp(b, "python", 6) == 0 && strspn(b + 6, "0123456789.") == strlen(b + 6))
		return pcb_xstrdup("python");
	return pcb_xstrdup(b);
}

/* "mod.sub:obj" (an import string, obj may end in "()"): not "0.0.0.0:8000" or ":5000". */
static bool
is_import_string(const char *a)
{
	const char *colon = strchr(a, ':');

	if (a[0] == '-' || colon == NULL || colon == a)
		return false;
	for (const char *c = a; c < colon; c++)
		if (!(*c == '_' || *c == '.' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9')))
			return false;
	return !(a[0] >= '0' && a[0] <= '9');
}

/* The target a command is given, normalised: "()" dropped, gunicorn's default ":application"
 * added to a bare module. Caller frees; NULL when none is found. */
static char *
target_of(const char *program, const struct pcb_strv *argv)
{
	const char *t = NULL;
	char *out;

	if (is_server(program)) {
		for (size_t i = 1; i < argv->n && t == NULL; i++)
			if (is_import_string(argv->v[i]))
				t = argv->v[i];
		if (t == NULL && strcmp(program, "gunicorn") == 0 && argv->n > 1 &&
		    argv->v[argv->n - 1][0] != '-')
			t = argv->v[argv->n - 1];
	} else if (strcmp(program, "flask") == 0) {
		for (size_t i = 1; i + 1 < argv->n && t == NULL; i++)
			if (strcmp(argv->v[i], "--app") == 0)
				t = argv->v[i + 1];
	} else if (strcmp(program, "streamlit") == 0) {
		for (size_t i = 1; i + 1 < argv->n && t == NULL; i++)
			if (strcmp(argv->v[i], "run") == 0)
				t = argv->v[i + 1];
	} else if (strcmp(program, "python") == 0 && argv->n > 2 && strcmp(argv->v[1], "-c") == 0) {
		/* Our console-script form: "import sys; from M import F; sys.exit(F())". */
		const char *from = strstr(argv->v[2], "from "), *imp = strstr(argv->v[2], " import ");
		const char *end = imp != NULL ? strchr(imp + 8, ';') : NULL;
		if (from != NULL && imp != NULL && end != NULL)
			return pcb_xasprintf("%.*s:%.*s", (int)(imp - from - 5), from + 5,
			    (int)(end - imp - 8), imp + 8);
	} else if (strcmp(program, "python") == 0 && argv->n > 2 && strcmp(argv->v[1], "-m") == 0) {
		t = argv->v[2];
	} else if (strcmp(program, "python") == 0 && argv->n > 1) {
		t = argv->v[1];
	}
	if (t == NULL)
		return NULL;
	while (strncmp(t, "./", 2) == 0)
		t += 2;
	out = pcb_xstrdup(t);
	if (pcb_str_has_suffix(out, "()"))
		out[strlen(out) - 2] = '\0';
	if (strcmp(program, "gunicorn") == 0 && strchr(out, ':') == NULL) {
		char *full = pcb_xasprintf("%s:application", out);
		free(out);
		out = full;
	}
	return out;
}

/* The reference's target: its first word, normalised like ours. */
static char *
expected_target(const char *program, const char *target)
{
	struct pcb_strv v;
	char *word = pcb_xstrndup(target, strcspn(target, " ")), *out;

	/* A server given a file or a config ("bakerydemo/wsgi.py (bakerydemo.wsgi:application)"):
	 * the import string the reference names in its note. */
	if (is_server(program) && !is_import_string(word)) {
		for (const char *t = target; *t != '\0'; t += strcspn(t, " ()")) {
			size_t n;
			t += strspn(t, " ()");
			n = strcspn(t, " ()");
			free(word);
			word = pcb_xstrndup(t, n);
			if (is_import_string(word))
				break;
		}
		if (!is_import_string(word)) {
			free(word);
			word = pcb_xstrndup(target, strcspn(target, " "));
		}
	}

	pcb_strv_init(&v);
	pcb_strv_push(&v, program);
	pcb_strv_push(&v, strcmp(program, "flask") == 0 ? "--app" : strcmp(program, "streamlit") ==
	    0 ? "run" : word);
	pcb_strv_push(&v, word);
	out = is_server(program) || strcmp(program, "flask") == 0 ||
	    strcmp(program, "streamlit") == 0 ? target_of(program, &v) : NULL;
	if (out == NULL) {
		out = pcb_xstrdup(word);
		if (pcb_str_has_suffix(out, "()"))
			out[strlen(out) - 2] = '\0';
	}
	pcb_strv_free(&v);
	free(word);
	return out;
}

/* PCB_CORPUS_SHOW=1: every project's command, where it came from and what was passed over
 * (for working on discovery; the verdicts are the same). */
static void
show(const char *dir, json_object *plan)
{
	json_object *fw = pcb_test_jget(plan, "framework");

	printf("== %s\n   entrypoint %s cmd %s\n   from %s\n", strrchr(dir, '/') + 1,
	    pcb_json_str(pcb_test_jget(plan, "entrypoint")), pcb_json_str(pcb_test_jget(plan,
	    "cmd")), pcb_json_str(pcb_test_jget(plan, "sources.entrypoint")));
	if (fw != NULL)
		printf("   framework %s\n", pcb_json_str(fw));
	if (strcmp(getenv("PCB_CORPUS_SHOW"), "plan") == 0)
		printf("%s\n", json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PRETTY));
	if (pcb_test_jget(plan, "passed_over") != NULL)
		printf("   passed over %s\n", pcb_json_str(pcb_test_jget(plan, "passed_over")));
}

/* How often the plan's Python minor is the reference's (where the reference names one). */
static size_t py_named, py_agree;

static void
judge_python(json_object *ref, json_object *plan)
{
	const char *want = json_object_get_string(pcb_test_jget(ref, "expect.python"));
	const char *ours = json_object_get_string(pcb_test_jget(plan, "python_version"));

	if (want == NULL)
		return;
	py_named++;
	if (ours != NULL && strcmp(ours, want) == 0)
		py_agree++;
	else if (getenv("PCB_CORPUS_SHOW") != NULL)
		printf("   python: ours %s, reference %s\n", ours ? ours : "-", want);
}

static enum verdict
judge(const char *dir, char **line)
{
	char *ref_path = pcb_path_join(dir, "reference.json"), *text, *tree;
	json_object *ref, *plan = NULL, *v;
	struct pcb_build_spec s;
	struct pcb_strv argv;
	const char *want_prog, *want_target;
	char *prog = NULL, *target = NULL, *wtarget = NULL;
	enum verdict verdict;
	struct pcb_err e;

	text = pcb_test_read(ref_path, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", ref_path);
	ref = json_tokener_parse(text);
	ck_assert_msg(ref != NULL, "%s: not JSON", ref_path);
	want_prog = json_object_get_string(pcb_test_jget(ref, "expect.program"));
	want_target = json_object_get_string(pcb_test_jget(ref, "expect.target"));
	ck_assert_msg(want_prog != NULL && want_target != NULL, "%s: no expect.program/target",
	    ref_path);
	tree = pcb_path_join(dir, "tree");
	pcb_build_spec_init(&s);
	s.context = pcb_xstrdup(tree);
	pcb_strv_init(&argv);
	pcb_err_clear(&e);
	/* The command is judged here, not the wheels: a project whose dependencies the plan
	 * cannot place is planned again without them. */
	if (pcb_build_plan(&s, &plan, &e) != 0) {
		s.deps.source = pcb_xstrdup("none");
		pcb_err_clear(&e);
	}
	if (plan == NULL && pcb_build_plan(&s, &plan, &e) != 0) {
		*line = pcb_xasprintf("error    %s: %s", strrchr(dir, '/') + 1, e.msg);
		verdict = V_ERROR;
		goto out;
	}
	for (const char *const *k = (const char *const[]){ "entrypoint", "cmd", NULL }; *k; k++) {
		json_object *a = pcb_test_jget(plan, *k);
		for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++)
			pcb_strv_push(&argv, json_object_get_string(json_object_array_get_idx(a, i)));
	}
	if (getenv("PCB_CORPUS_SHOW") != NULL)
		show(dir, plan);
	judge_python(ref, plan);
	if (argv.n == 0) {
		*line = pcb_xasprintf("error    %s: no command", strrchr(dir, '/') + 1);
		verdict = V_ERROR;
		goto out;
	}
	prog = program_of(argv.v[0]);
	target = target_of(prog, &argv);
	wtarget = expected_target(want_prog, want_target);
	/* A console script is judged by its name: the same script starts the same program. */
	if (strcmp(prog, want_prog) == 0 && ((target != NULL && strcmp(target, wtarget) == 0) ||
	    (target == NULL && !is_server(prog) && strcmp(prog, "python") != 0)))
		verdict = V_MATCH;
	else if ((target != NULL && strcmp(target, wtarget) == 0) || strcmp(prog, want_prog) == 0)
		verdict = V_PARTIAL;
	else
		verdict = V_WRONG;
	v = pcb_test_jget(plan, "entrypoint");
	*line = verdict == V_MATCH ? NULL : pcb_xasprintf("%-8s %s: ours %s %s, reference %s %s "
	    "(%s)", verdict == V_PARTIAL ? "partial" : "wrong", strrchr(dir, '/') + 1, prog,
	    target ? target : "-", want_prog, wtarget, v != NULL ? pcb_json_str(v) : "");
out:
	free(prog);
	free(target);
	free(wtarget);
	pcb_strv_free(&argv);
	json_object_put(plan);
	pcb_build_spec_free(&s);
	json_object_put(ref);
	free(tree);
	free(text);
	free(ref_path);
	return verdict;
}

START_TEST(test_corpus)
{
	char *root = pcb_path_join(pcb_test_source_dir(), "tests/corpus");
	struct pcb_strv dirs;
	size_t count[4] = { 0 };
	DIR *d = opendir(root);
	struct dirent *de;
	bool only;

	ck_assert_msg(d != NULL, "cannot open %s", root);
	pcb_strv_init(&dirs);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strcmp(de->d_name, "README.md") != 0 &&
		    (getenv("PCB_CORPUS_ONLY") == NULL || strstr(de->d_name,
		    getenv("PCB_CORPUS_ONLY")) != NULL))
			pcb_strv_push_owned(&dirs, pcb_path_join(root, de->d_name));
	closedir(d);
	pcb_strv_sort(&dirs);
	/* PCB_CORPUS_ONLY=part-of-a-name: a look at some projects, without the floor. */
	only = getenv("PCB_CORPUS_ONLY") != NULL;
	ck_assert_uint_ge(dirs.n, only ? 1 : 40);
	for (size_t i = 0; i < dirs.n; i++) {
		char *line = NULL;
		enum verdict v = judge(dirs.v[i], &line);
		count[v]++;
		if (line != NULL)
			printf("  %s\n", line);
		free(line);
	}
	printf("corpus: %zu match, %zu partial, %zu wrong, %zu error of %zu\n", count[V_MATCH],
	    count[V_PARTIAL], count[V_WRONG], count[V_ERROR], dirs.n);
	printf("corpus python: the plan's minor is the reference image's in %zu of %zu that "
	    "name one\n", py_agree, py_named);
	fflush(stdout);
	ck_assert_msg(only || (long)count[V_MATCH] >= FLOOR_MATCH, "%zu matches, fewer than the floor %d",
	    count[V_MATCH], FLOOR_MATCH);
	ck_assert_msg(only || count[V_WRONG] <= CEIL_WRONG, "%zu wrong, more than the ceiling %d",
	    count[V_WRONG], CEIL_WRONG);
	pcb_strv_free(&dirs);
	free(root);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("corpus");

	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
