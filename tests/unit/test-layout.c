/* test-layout.c — common/ keeps its rooms: every quoted #include in common/ names its folder
 * ("base/err.h", "image/store.h", …) and the arrows between the folders run one way:
 *
 *     base/      ← image/ ← registry/
 *                         ← python/
 *     build.c/.h and multi.c/.h (common/ itself: the pipeline and its multi-platform
 *     driver) may use them all; nothing in a folder uses them.
 *
 * The checker is run on the real tree and, to show that it can fail, on small trees with a
 * wrong arrow, an unqualified include and a folder it does not know. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

/* The folders of common/ and what each may include, besides itself. "" is common/ itself. */
static const struct room {
	const char *name;
	const char *may_use[4];
} rooms[] = {
	{ "base", { NULL } },
	{ "image", { "base", NULL } },
	{ "registry", { "base", "image", NULL } },
	{ "python", { "base", "image", NULL } },
	{ "", { "base", "image", "registry", "python" } },
};

static const struct room *
room_find(const char *name)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(rooms); i++)
		if (strcmp(rooms[i].name, name) == 0)
			return &rooms[i];
	return NULL;
}

static bool
room_allows(const struct room *r, const char *target)
{
	if (strcmp(r->name, target) == 0)
		return true;
	for (size_t i = 0; i < PCB_ARRAY_LEN(r->may_use) && r->may_use[i] != NULL; i++)
		if (strcmp(r->may_use[i], target) == 0)
			return true;
	return false;
}

static bool
is_source(const char *name)
{
	size_t n = strlen(name);

	return n > 2 && name[n - 2] == '.' && (name[n - 1] == 'c' || name[n - 1] == 'h');
}

/* Checks the quoted includes of one file (rel: its path under root, in room r). */
static void
check_file(const char *root, const char *rel, const struct room *r, struct pcb_strv *problems)
{
	char *path = pcb_path_join(root, rel);
	char *text = pcb_test_read(path, NULL);
	int lineno = 0;

	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (char *line = text, *nl; line != NULL && *line != '\0'; line = nl) {
		char inc[256], *slash, *target_path;
		const char *target;

		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		lineno++;
		if (sscanf(line, "#include \"%255[^\"]\"", inc) != 1)
			continue;
		slash = strchr(inc, '/');
		if (slash == NULL && strcmp(inc, "build.h") != 0 && strcmp(inc, "multi.h") != 0) {
			pcb_strv_push_owned(problems, pcb_xasprintf("%s:%d: \"%s\" does not name its "
			    "folder", rel, lineno, inc));
			continue;
		}
		target_path = pcb_path_join(root, inc);
		if (access(target_path, F_OK) != 0)
			pcb_strv_push_owned(problems, pcb_xasprintf("%s:%d: \"%s\" is not under "
			    "common/", rel, lineno, inc));
		free(target_path);
		if (slash == NULL) {
			target = "";
		} else {
			*slash = '\0';
			target = inc;
		}
		if (strcmp(target, "") == 0 && r->name[0] != '\0')
			pcb_strv_push_owned(problems, pcb_xasprintf("%s:%d: %s/ uses build.h (the "
			    "pipeline is above every folder)", rel, lineno, r->name));
		else if (room_find(target) == NULL)
			pcb_strv_push_owned(problems, pcb_xasprintf("%s:%d: \"%s/\" is no folder of "
			    "common/", rel, lineno, target));
		else if (!room_allows(r, target))
			pcb_strv_push_owned(problems, pcb_xasprintf("%s:%d: %s/ may not use %s/",
			    rel, lineno, r->name[0] ? r->name : "common", target));
	}
	free(text);
	free(path);
}

/* Every source file of the tree at root (common/ or a copy), problems appended. */
static void
check_tree(const char *root, struct pcb_strv *problems)
{
	DIR *top = opendir(root);
	struct dirent *de;

	ck_assert_msg(top != NULL, "cannot open %s", root);
	while ((de = readdir(top)) != NULL) {
		char *sub;
		DIR *d;
		struct dirent *e;
		const struct room *r;

		if (de->d_name[0] == '.')
			continue;
		if (is_source(de->d_name)) {
			check_file(root, de->d_name, room_find(""), problems);
			continue;
		}
		sub = pcb_path_join(root, de->d_name);
		d = opendir(sub);
		if (d == NULL) {
			free(sub);
			continue;
		}
		r = room_find(de->d_name);
		if (r == NULL || r->name[0] == '\0') {
			pcb_strv_push_owned(problems, pcb_xasprintf("%s/: a folder the layout does "
			    "not know (add it to test-layout.c's table and the README)", de->d_name));
		} else {
			while ((e = readdir(d)) != NULL) {
				if (is_source(e->d_name)) {
					char *rel = pcb_path_join(de->d_name, e->d_name);
					check_file(root, rel, r, problems);
					free(rel);
				}
			}
		}
		closedir(d);
		free(sub);
	}
	closedir(top);
}

static char *
joined(const struct pcb_strv *v)
{
	struct pcb_buf b;

	pcb_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < v->n; i++)
		pcb_buf_appendf(&b, "\n  %s", v->v[i]);
	return pcb_buf_steal(&b, NULL);
}

START_TEST(test_common_arrows)
{
	char *root = pcb_path_join(pcb_test_source_dir(), "common");
	struct pcb_strv problems;
	char *msg;

	pcb_strv_init(&problems);
	check_tree(root, &problems);
	msg = joined(&problems);
	ck_assert_msg(problems.n == 0, "common/ layout:%s", msg);
	free(msg);
	pcb_strv_free(&problems);
	free(root);
}
END_TEST

/* A tree with one of each mistake: every one is reported, and nothing else. */
START_TEST(test_checker_catches)
{
	char *dir = pcb_test_tmpdir();
	struct pcb_strv problems;
	char *msg;

	pcb_test_write(dir, "base/err.h", "#include <stdio.h>\n", 0644);
	pcb_test_write(dir, "image/store.h", "#include \"base/err.h\"\n", 0644);
	pcb_test_write(dir, "image/layer.c", "#include \"image/store.h\"\n"
	    "#include \"registry/registry.h\"\n", 0644);
	pcb_test_write(dir, "registry/registry.h", "#include \"store.h\"\n", 0644);
	pcb_test_write(dir, "python/deps.c", "#include \"build.h\"\n#include \"base/nosuch.h\"\n",
	    0644);
	pcb_test_write(dir, "build.h", "#include \"python/deps.h\"\n", 0644);
	pcb_test_write(dir, "extra/x.c", "\n", 0644);
	pcb_test_write(dir, "python/deps.h", "\n", 0644);
	pcb_strv_init(&problems);
	check_tree(dir, &problems);
	pcb_strv_sort(&problems);
	msg = joined(&problems);
	ck_assert_msg(problems.n == 5, "expected 5 problems, got:%s", msg);
	ck_assert_str_eq(problems.v[0], "extra/: a folder the layout does not know (add it to "
	    "test-layout.c's table and the README)");
	ck_assert_str_eq(problems.v[1], "image/layer.c:2: image/ may not use registry/");
	ck_assert_str_eq(problems.v[2], "python/deps.c:1: python/ uses build.h (the pipeline is "
	    "above every folder)");
	ck_assert_str_eq(problems.v[3], "python/deps.c:2: \"base/nosuch.h\" is not under common/");
	ck_assert_str_eq(problems.v[4], "registry/registry.h:1: \"store.h\" does not name its "
	    "folder");
	free(msg);
	pcb_strv_free(&problems);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, test_common_arrows);
	tcase_add_test(tc, test_checker_catches);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
