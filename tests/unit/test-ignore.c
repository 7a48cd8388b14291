/* test-ignore.c — the .dockerignore / .pcbignore matcher: pattern syntax, "**", leading '/',
 * exceptions, last match wins, directory exclusion and the walk-into-excluded-dir rule. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "python/project.h"
#include "testutil.h"

struct match_case {
	const char *patterns;
	const char *path;
	bool is_dir;
	bool ignored;
};

static const struct match_case cases[] = {
	/* '*' matches within one element only. */
	{ "*.log", "a.log", false, true },
	{ "*.log", "dir/a.log", false, false },
	{ "*.log", "a.logx", false, false },
	{ "*", "anything", false, true },
	{ "*", "dir/below", false, true },        /* via the parent "dir" */
	{ "dir/*.py", "dir/x.py", false, true },
	{ "dir/*.py", "dir/sub/x.py", false, false },
	/* '?' is one character, never '/', and counts UTF-8 characters. */
	{ "a?c", "abc", false, true },
	{ "a?c", "ac", false, false },
	{ "a?c", "a/c", false, false },
	{ "?.txt", "\xc3\xa9.txt", false, true },
	/* Classes: sets, ranges, negation with '^' or '!', escapes. */
	{ "[abc].txt", "b.txt", false, true },
	{ "[abc].txt", "d.txt", false, false },
	{ "[a-c]x", "bx", false, true },
	{ "[a-c]x", "dx", false, false },
	{ "[^a-c]x", "dx", false, true },
	{ "[^a-c]x", "ax", false, false },
	{ "[!a-c]x", "ax", false, false },
	{ "[!a-c]x", "zx", false, true },
	{ "[\\]]x", "]x", false, true },
	{ "a[/]b", "a/b", false, false },
	/* Escapes make metacharacters literal. */
	{ "\\*.txt", "*.txt", false, true },
	{ "\\*.txt", "a.txt", false, false },
	{ "a\\?", "a?", false, true },
	{ "a\\?", "ab", false, false },
	/* "**" spans any number of directories, including none. */
	{ "**/*.log", "a.log", false, true },
	{ "**/*.log", "x/y/z.log", false, true },
	{ "**/*.log", "x/y/z.txt", false, false },
	{ "a/**/b", "a/b", false, true },
	{ "a/**/b", "a/x/y/b", false, true },
	{ "a/**/b", "a/xb", false, false },
	{ "**/node_modules", "web/node_modules/x/y.js", false, true },
	{ "**", "deep/er/file", false, true },
	{ "docs/**", "docs/a/b", false, true },
	{ "docs/**", "docs", true, false },
	/* Leading '/' is dropped; patterns are anchored at the context root anyway. */
	{ "/secret", "secret", false, true },
	{ "/secret", "dir/secret", false, false },
	{ "secret", "dir/secret", false, false },
	/* Patterns are cleaned like filepath.Clean. */
	{ "docs/", "docs/a", false, true },
	{ "./docs//x/../y", "docs/y", false, true },
	{ "./docs//x/../y", "docs/x", false, false },
	/* A pattern that matches a directory excludes everything below it. */
	{ "docs", "docs", true, true },
	{ "docs", "docs/index.md", false, true },
	{ "docs", "docs/a/b/c.md", false, true },
	{ "docs", "docsx", false, false },
	{ "a/b", "a", true, false },
	/* Exceptions and last match wins. */
	{ "*.md\n!README.md", "README.md", false, false },
	{ "*.md\n!README.md", "CHANGES.md", false, true },
	{ "!README.md\n*.md", "README.md", false, true },
	{ "*.md\n!README.md\nREADME.md", "README.md", false, true },
	{ "!keep.txt", "keep.txt", false, false },
	{ "!keep.txt", "other.txt", false, false },
	{ "*\n! keep.txt", "keep.txt", false, false },
	/* An exception can re-include a file inside an excluded directory, so the directory is
	 * walked; other directories under it stay pruned. */
	{ "build\n!build/keep.py", "build/keep.py", false, false },
	{ "build\n!build/keep.py", "build/other.py", false, true },
	{ "build\n!build/keep.py", "build", true, false },
	{ "build\n!build/keep.py", "build/sub", true, true },
	{ "build\n!build/sub/keep.py", "build/sub", true, false },
	{ "build\n!build/s*/keep.py", "build/sub", true, false },
	{ "build\n!build/s*/keep.py", "build/other", true, true },
	{ "build\n!**/keep.py", "build", true, false },
	{ "build\n!other/keep.py", "build", true, true },
	{ "build\n!build", "build", true, false },
	{ "build\n!build/keep.py", "build", false, true },   /* a file named build */
	/* Comments, blank lines, whitespace, CRLF. */
	{ "# comment\n\n  *.tmp  \n", "a.tmp", false, true },
	{ "# comment\n", "# comment", false, false },
	{ " #x\n", "#x", false, true },     /* Docker: '#' only in column 0 starts a comment */
	{ "*.log\r\nx\r\n", "a.log", false, true },
	{ "\xef\xbb\xbf" "bom.txt\n", "bom.txt", false, true },
	{ "", "a", false, false },
	{ "!\n", "a", false, false },
	/* A malformed pattern is dropped by pcb_ignore_from_text (load reports it). */
	{ "[\n", "[", false, false },
	{ "[]a]\n", "]", false, false },
	{ "x\\\n", "x", false, false },
	/* Input paths are cleaned too. */
	{ "docs", "./docs/a", false, true },
	{ "docs", "/docs/", true, true },
};

START_TEST(test_match_table)
{
	const struct match_case *c = &cases[_i];
	struct pcb_ignore *ig = pcb_ignore_from_text(c->patterns);

	ck_assert_ptr_nonnull(ig);
	ck_assert_msg(pcb_ignore_match(ig, c->path, c->is_dir) == c->ignored,
	    "case %d: patterns \"%s\" path \"%s\" is_dir %d: expected ignored=%d",
	    _i, c->patterns, c->path, c->is_dir, c->ignored);
	pcb_ignore_destroy(ig);
}
END_TEST

START_TEST(test_null_and_empty)
{
	struct pcb_ignore *ig = pcb_ignore_from_text(NULL);

	ck_assert_ptr_nonnull(ig);
	ck_assert(!pcb_ignore_match(ig, "a/b", false));
	ck_assert(!pcb_ignore_match(NULL, "a/b", false));
	pcb_ignore_destroy(ig);
	pcb_ignore_destroy(NULL);
}
END_TEST

START_TEST(test_pathological_pattern_is_bounded)
{
	/* Exponential backtracking would take ages; the budget makes it give up quickly. */
	char pat[200], path[300];
	struct pcb_ignore *ig;
	size_t i;

	for (i = 0; i + 2 < 120; i += 2) {
		pat[i] = '*';
		pat[i + 1] = 'a';
	}
	pat[i] = 'b';
	pat[i + 1] = '\0';
	memset(path, 'a', 250);
	path[250] = '\0';
	ig = pcb_ignore_from_text(pat);
	ck_assert(!pcb_ignore_match(ig, path, false));
	pcb_ignore_destroy(ig);
}
END_TEST

START_TEST(test_load_prefers_pcbignore)
{
	char *dir = pcb_test_tmpdir();
	struct pcb_ignore *ig = NULL;
	struct pcb_err e;

	pcb_test_write(dir, ".dockerignore", "*.docker\n", 0644);
	pcb_test_write(dir, ".pcbignore", "*.pcb\n", 0644);
	ck_assert_int_eq(pcb_ignore_load(dir, &ig, &e), 0);
	ck_assert(pcb_ignore_match(ig, "x.pcb", false));
	ck_assert(!pcb_ignore_match(ig, "x.docker", false));
	pcb_ignore_destroy(ig);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_load_dockerignore)
{
	char *dir = pcb_test_tmpdir();
	struct pcb_ignore *ig = NULL;
	struct pcb_err e;

	pcb_test_write(dir, ".dockerignore", "# c\n*.docker\n!keep.docker\n", 0644);
	ck_assert_int_eq(pcb_ignore_load(dir, &ig, &e), 0);
	ck_assert(pcb_ignore_match(ig, "x.docker", false));
	ck_assert(!pcb_ignore_match(ig, "keep.docker", false));
	pcb_ignore_destroy(ig);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_load_none)
{
	char *dir = pcb_test_tmpdir();
	struct pcb_ignore *ig = NULL;
	struct pcb_err e;

	ck_assert_int_eq(pcb_ignore_load(dir, &ig, &e), 0);
	ck_assert_ptr_nonnull(ig);
	ck_assert(!pcb_ignore_match(ig, "anything", false));
	pcb_ignore_destroy(ig);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_load_bad_pattern)
{
	char *dir = pcb_test_tmpdir();
	struct pcb_ignore *ig = (struct pcb_ignore *)&ig;   /* must stay untouched */
	struct pcb_err e;

	pcb_err_clear(&e);
	pcb_test_write(dir, ".dockerignore", "ok\n[a-\n", 0644);
	ck_assert_int_eq(pcb_ignore_load(dir, &ig, &e), PCB_EINVAL);
	ck_assert_ptr_eq(ig, (struct pcb_ignore *)&ig);
	ck_assert_msg(strstr(e.msg, ".dockerignore: line 2") != NULL, "msg: %s", e.msg);
	ck_assert_msg(strstr(e.msg, "[a-") != NULL, "msg: %s", e.msg);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_load_not_a_file)
{
	char *dir = pcb_test_tmpdir();
	struct pcb_ignore *ig = NULL;
	struct pcb_err e;

	pcb_err_clear(&e);
	pcb_test_mkdir(dir, ".pcbignore");
	ck_assert_int_lt(pcb_ignore_load(dir, &ig, &e), 0);
	ck_assert_msg(strstr(e.msg, ".pcbignore") != NULL, "msg: %s", e.msg);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
ignore_suite(void)
{
	Suite *s = suite_create("ignore");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_match_table, 0, (int)PCB_ARRAY_LEN(cases));
	tcase_add_test(tc, test_null_and_empty);
	tcase_add_test(tc, test_pathological_pattern_is_bounded);
	tcase_add_test(tc, test_load_prefers_pcbignore);
	tcase_add_test(tc, test_load_dockerignore);
	tcase_add_test(tc, test_load_none);
	tcase_add_test(tc, test_load_bad_pattern);
	tcase_add_test(tc, test_load_not_a_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(ignore_suite());
}
