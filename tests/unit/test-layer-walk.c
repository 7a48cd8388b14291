/* test-layer-walk.c — the directory walk and pcb_layer_list_finish against plain reference
 * implementations: a walk adds its entries already in byte order (names that sort between a
 * directory and its contents included), entries carry the walk's lstat, deep trees (past the
 * point where the walk stops holding a descriptor per level) list completely and leak no
 * descriptor, and finish sorts, dedupes (first wins) and adds parents like a naive sort. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/util.h"
#include "image/layer.h"
#include "testutil.h"

static char *tdir;

/* The walk tests run twice (loop index _i): on one thread, then with parallel_walk (the
 * subdirectories of the top directory walked on several threads): same results. */
#define LIST_INIT(l) do {                                                                     \
	pcb_layer_list_init(l);                                                                 \
	(l)->parallel_walk = _i == 1;                                                           \
} while (0)

static void
setup(void)
{
	tdir = pcb_test_tmpdir();
}

static void
teardown(void)
{
	pcb_test_rmtree(tdir);
	free(tdir);
	tdir = NULL;
}

/* ---- a naive reference walk: opendir + lstat on full paths, then one qsort ---- */

struct ref {
	char *path;
	char *src;
	enum pcb_entry_type type;
	mode_t mode;
	uint64_t size;
	char *link;
};

struct refv {
	struct ref *v;
	size_t n, cap;
};

static void
ref_push(struct refv *r, const struct ref *e)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = pcb_xrealloc(r->v, r->cap * sizeof *r->v);
	}
	r->v[r->n++] = *e;
}

static void
ref_walk(struct refv *r, const char *host, const char *img)
{
	DIR *d = opendir(host);
	struct dirent *de;

	ck_assert_msg(d != NULL, "opendir %s: %s", host, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		struct ref e;
		struct stat st;
		char *h, *i;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		h = pcb_path_join(host, de->d_name);
		i = pcb_xasprintf("%s/%s", img, de->d_name);
		ck_assert_int_eq(lstat(h, &st), 0);
		memset(&e, 0, sizeof e);
		e.path = i;
		e.src = h;
		if (S_ISREG(st.st_mode)) {
			e.type = PCB_ENTRY_FILE;
			e.mode = (st.st_mode & 0111) ? 0755 : 0644;
			e.size = (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode)) {
			e.type = PCB_ENTRY_DIR;
			e.mode = 0755;
			ref_walk(r, h, i);
		} else if (S_ISLNK(st.st_mode)) {
			char buf[4096];
			ssize_t n = readlink(h, buf, sizeof buf - 1);
			ck_assert(n >= 0);
			buf[n] = '\0';
			e.type = PCB_ENTRY_SYMLINK;
			e.mode = 0777;
			e.link = pcb_xstrdup(buf);
		} else {
			free(h);
			free(i);
			continue;
		}
		ref_push(r, &e);
	}
	closedir(d);
}

static int
cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct ref *)a)->path, ((const struct ref *)b)->path);
}

static void
ref_free(struct refv *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].src);
		free(r->v[i].link);
	}
	free(r->v);
}

/* Open descriptors of this process. */
static int
count_fds(void)
{
	return pcb_test_count_dir("/proc/self/fd");
}

/* A tree whose names sort around each other: "b", "b-x", "b.txt", "b/…", "b0"; spaces,
 * upper case, UTF-8, an empty directory, symlinks, a fifo (skipped), an executable. */
static char *
make_tree(void)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *p;

	pcb_test_write(ctx, "b/c.py", "c\n", 0644);
	pcb_test_write(ctx, "b/a/z.py", "z\n", 0644);
	pcb_test_write(ctx, "b.txt", "b.txt\n", 0644);
	pcb_test_write(ctx, "b-x/y", "y\n", 0755);
	pcb_test_write(ctx, "b0", "b0\n", 0644);
	pcb_test_write(ctx, "a b", "space\n", 0644);
	pcb_test_write(ctx, "B", "upper\n", 0644);
	pcb_test_write(ctx, "\xc3\xa9/x", "utf8\n", 0644);
	pcb_test_write(ctx, "sub/deep/er/f", "f\n", 0600);
	pcb_test_write(ctx, "sub/deep.d/g", "g\n", 0644);
	pcb_test_mkdir(ctx, "empty");
	p = pcb_path_join(ctx, "ln");
	ck_assert_int_eq(symlink("b.txt", p), 0);
	free(p);
	p = pcb_path_join(ctx, "sub/dirlink");
	ck_assert_int_eq(symlink("../b", p), 0);
	free(p);
	p = pcb_path_join(ctx, "pipe");
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	free(p);
	return ctx;
}

static void
assert_sorted(const struct pcb_layer_list *l)
{
	for (size_t i = 1; i < l->n; i++)
		ck_assert_msg(strcmp(l->v[i - 1].path, l->v[i].path) < 0, "not sorted at %zu: %s, %s",
		    i, l->v[i - 1].path, l->v[i].path);
}

START_TEST(test_walk_matches_reference_sorted)
{
	struct pcb_layer_list l;
	struct refv r = { 0 };
	struct pcb_err e;
	char *ctx = make_tree();
	struct ref root = { 0 };
	int fds = count_fds();

	LIST_INIT(&l);
	ck_assert_msg(pcb_layer_list_add(&l, ctx, ".", "app", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(count_fds(), fds);
	/* Already in byte order before finish. */
	assert_sorted(&l);
	root.path = pcb_xstrdup("app");
	root.src = pcb_xstrdup(ctx);
	root.type = PCB_ENTRY_DIR;
	root.mode = 0755;
	ref_push(&r, &root);
	ref_walk(&r, ctx, "app");
	qsort(r.v, r.n, sizeof *r.v, cmp_ref);
	ck_assert_uint_eq(l.n, r.n);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_str_eq(l.v[i].path, r.v[i].path);
		ck_assert_str_eq(l.v[i].src, r.v[i].src);
		ck_assert_int_eq(l.v[i].type, r.v[i].type);
		ck_assert_int_eq(l.v[i].mode, r.v[i].mode);
		ck_assert_uint_eq(l.v[i].size, r.v[i].size);
		if (r.v[i].link != NULL)
			ck_assert_str_eq(l.v[i].link, r.v[i].link);
		else
			ck_assert_ptr_null(l.v[i].link);
	}
	/* The order the walk gives is the one finish keeps. */
	{
		char **before = pcb_xcalloc(l.n, sizeof *before);
		size_t n = l.n;
		for (size_t i = 0; i < n; i++)
			before[i] = pcb_xstrdup(l.v[i].path);
		pcb_layer_list_finish(&l);
		ck_assert_uint_eq(l.n, n);
		for (size_t i = 0; i < n; i++) {
			ck_assert_str_eq(l.v[i].path, before[i]);
			free(before[i]);
		}
		free(before);
	}
	/* Spot checks on the tricky order. */
	{
		const char *want[] = { "app/b", "app/b-x", "app/b-x/y", "app/b.txt", "app/b/a",
		    "app/b/a/z.py", "app/b/c.py", "app/b0" };
		size_t k = 0;
		for (size_t i = 0; i < l.n && k < PCB_ARRAY_LEN(want); i++)
			if (strcmp(l.v[i].path, want[k]) == 0)
				k++;
		ck_assert_uint_eq(k, PCB_ARRAY_LEN(want));
	}
	ref_free(&r);
	pcb_layer_list_free(&l);
	free(ctx);
}
END_TEST

static bool
skip_b(void *ud, const char *rel, bool is_dir)
{
	atomic_int *calls = ud;
	atomic_fetch_add(calls, 1);
	/* The directory b (not descended) and every *.py. */
	if (is_dir && strcmp(rel, "b") == 0)
		return false;
	return !pcb_str_has_suffix(rel, ".py");
}

START_TEST(test_filter_and_parts)
{
	struct pcb_layer_list l;
	struct pcb_err e;
	char *ctx = make_tree();
	atomic_int calls = 0;
	const char *want[] = { "opt", "opt/B", "opt/a b", "opt/b-x", "opt/b-x/y", "opt/b.txt", "opt/b0",
	    "opt/empty", "opt/ln", "opt/sub", "opt/sub/deep", "opt/sub/deep.d", "opt/sub/deep.d/g",
	    "opt/sub/deep/er", "opt/sub/deep/er/f", "opt/sub/dirlink", "opt/\xc3\xa9",
	    "opt/\xc3\xa9/x" };

	LIST_INIT(&l);
	ck_assert_msg(pcb_layer_list_add(&l, ctx, "", "/opt/", skip_b, &calls, &e) == 0, "%s",
	    e.msg);
	ck_assert_int_gt(calls, 0);
	assert_sorted(&l);
	ck_assert_uint_eq(l.n, PCB_ARRAY_LEN(want));
	for (size_t i = 0; i < l.n; i++)
		ck_assert_str_eq(l.v[i].path, want[i]);
	pcb_layer_list_free(&l);

	/* One file, one subtree, a context root given with trailing slashes. */
	{
		char *slashed = pcb_xasprintf("%s//", ctx), *want_src;
		LIST_INIT(&l);
		ck_assert_int_eq(pcb_layer_list_add(&l, slashed, "sub/deep", "x", NULL, NULL, &e), 0);
		ck_assert_int_eq(pcb_layer_list_add(&l, slashed, "b.txt", "y", NULL, NULL, &e), 0);
		pcb_layer_list_finish(&l);
		ck_assert_uint_eq(l.n, 7);   /* x x/sub x/sub/deep …/er …/er/f y y/b.txt */
		ck_assert_str_eq(l.v[4].path, "x/sub/deep/er/f");
		want_src = pcb_path_join(ctx, "sub/deep/er/f");
		ck_assert_str_eq(l.v[4].src, want_src);
		ck_assert_str_eq(l.v[6].path, "y/b.txt");
		free(want_src);
		free(slashed);
		pcb_layer_list_free(&l);
	}
	free(ctx);
}
END_TEST

START_TEST(test_entries_carry_lstat)
{
	struct pcb_layer_list l;
	struct pcb_err e;
	char *ctx = make_tree(), *lnk, *real;
	size_t files = 0;

	LIST_INIT(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, ".", "app", NULL, NULL, &e), 0);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, "b0", "single", NULL, NULL, &e), 0);
	pcb_layer_list_finish(&l);
	for (size_t i = 0; i < l.n; i++) {
		const struct pcb_layer_entry *x = &l.v[i];
		struct stat st;

		if (x->type != PCB_ENTRY_FILE) {
			ck_assert_msg(!x->have_stat, "%s has a stat", x->path);
			continue;
		}
		files++;
		ck_assert_msg(x->have_stat, "%s has no stat", x->path);
		ck_assert_int_eq(lstat(x->src, &st), 0);
		ck_assert_uint_eq(x->host_mode, st.st_mode);
		ck_assert_uint_eq(x->dev, st.st_dev);
		ck_assert_uint_eq(x->ino, st.st_ino);
		ck_assert_uint_eq(x->nlink, st.st_nlink);
		ck_assert_uint_eq(x->size, (uint64_t)st.st_size);
		ck_assert_int_eq(x->mtime_ns, (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec);
		ck_assert_int_eq(x->ctime_ns, (int64_t)st.st_ctim.tv_sec * 1000000000 +
		    st.st_ctim.tv_nsec);
	}
	ck_assert_uint_eq(files, 11);
	pcb_layer_list_free(&l);

	/* A context root that is itself a symlink to a file is followed: its stat is the
	 * target's, not what the packer opens, so the entry does not carry one. */
	real = pcb_path_join(ctx, "b0");
	lnk = pcb_path_join(tdir, "root-link");
	ck_assert_int_eq(symlink(real, lnk), 0);
	pcb_layer_list_init(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, lnk, "", "z", NULL, NULL, &e), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].type, PCB_ENTRY_FILE);
	ck_assert(!l.v[0].have_stat);
	pcb_layer_list_free(&l);
	free(real);
	free(lnk);
	free(ctx);
}
END_TEST

/* depth nested directories "d/d/…" with a file at the bottom. */
static char *
make_deep(int depth)
{
	struct pcb_buf b;
	char *ctx = pcb_path_join(tdir, "deep"), *rel;

	pcb_buf_init(&b, 1 << 16);
	for (int i = 0; i < depth; i++)
		ck_assert_int_eq(pcb_buf_append(&b, "d/", 2), 0);
	ck_assert_int_eq(pcb_buf_append(&b, "f", 1), 0);
	rel = pcb_buf_steal(&b, NULL);
	pcb_test_write(ctx, rel, "bottom\n", 0644);
	/* A sibling at every level, so each directory has more than one child. */
	for (int i = 0; i < depth; i++) {
		rel[2 * i] = '\0';
		{
			char *sib = pcb_xasprintf("%se", rel);
			pcb_test_write(ctx, sib, "e\n", 0644);
			free(sib);
		}
		rel[2 * i] = 'd';
	}
	free(rel);
	pcb_buf_free(&b);
	return ctx;
}

START_TEST(test_deep_tree)
{
	struct pcb_layer_list l;
	struct pcb_err e;
	char *ctx = make_deep(80);
	int fds = count_fds();
	size_t dirs = 0, files = 0;

	LIST_INIT(&l);
	ck_assert_msg(pcb_layer_list_add(&l, ctx, ".", "", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(count_fds(), fds);
	assert_sorted(&l);
	for (size_t i = 0; i < l.n; i++) {
		dirs += l.v[i].type == PCB_ENTRY_DIR;
		files += l.v[i].type == PCB_ENTRY_FILE;
		if (l.v[i].type == PCB_ENTRY_FILE)
			ck_assert(l.v[i].have_stat);
	}
	ck_assert_uint_eq(dirs, 80);
	ck_assert_uint_eq(files, 81);
	/* "e" at the top sorts after everything under "d"; the bottom file is there. */
	ck_assert_str_eq(l.v[l.n - 1].path, "e");
	{
		bool found = false;
		for (size_t i = 0; i < l.n; i++)
			found |= strlen(l.v[i].path) == 161 && pcb_str_has_suffix(l.v[i].path, "d/f");
		ck_assert(found);
	}
	pcb_layer_list_free(&l);
	free(ctx);
}
END_TEST

START_TEST(test_too_deep_is_refused_without_leaks)
{
	struct pcb_layer_list l;
	struct pcb_err e;
	char *ctx = make_deep(300);
	int fds = count_fds();

	LIST_INIT(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, ".", "", NULL, NULL, &e), PCB_ETOOBIG);
	ck_assert_msg(strstr(e.msg, "deeper than") != NULL, "%s", e.msg);
	ck_assert_int_eq(count_fds(), fds);
	pcb_layer_list_free(&l);
	free(ctx);
}
END_TEST

/* Errors deep in the walk name the file and leave no descriptor open. */
START_TEST(test_errors_inside_the_walk)
{
	struct pcb_layer_list l;
	struct pcb_err e;
	char *ctx = make_tree(), *prefix;
	int fds = count_fds();

	/* An image path over the limit, met only below the root. */
	prefix = pcb_xmalloc(4090);
	memset(prefix, 'p', 4089);
	prefix[4089] = '\0';
	LIST_INIT(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, ".", prefix, NULL, NULL, &e), PCB_ETOOBIG);
	ck_assert_msg(strstr(e.msg, "longer than") != NULL && strstr(e.msg, ctx) != NULL, "%s",
	    e.msg);
	ck_assert_int_eq(count_fds(), fds);
	pcb_layer_list_free(&l);
	free(prefix);

	/* A directory that cannot be read (only without root's privileges). */
	if (geteuid() != 0) {
		char *locked = pcb_path_join(ctx, "sub/deep");
		ck_assert_int_eq(chmod(locked, 0), 0);
		LIST_INIT(&l);
		ck_assert_int_ne(pcb_layer_list_add(&l, ctx, ".", "app", NULL, NULL, &e), 0);
		ck_assert_msg(strstr(e.msg, "sub/deep") != NULL, "%s", e.msg);
		ck_assert_int_eq(count_fds(), fds);
		ck_assert_int_eq(chmod(locked, 0755), 0);
		pcb_layer_list_free(&l);
		free(locked);
	}
	free(ctx);
}
END_TEST

/* A wider tree on several threads: every entry (stat fields too) as one thread lists it; a
 * subdirectory nested too deep fails the whole walk with its message and no descriptor left
 * open, whichever thread met it. */
START_TEST(test_parallel_same_as_serial)
{
	struct pcb_layer_list a, b;
	struct pcb_err e;
	char *ctx = pcb_path_join(tdir, "wide"), *deep;
	int fds;

	for (int d = 0; d < 40; d++)
		for (int f = 0; f < 12; f++) {
			char rel[64], body[32];
			snprintf(rel, sizeof rel, "d%02d%s/s%d/f%02d%s", d, d % 3 ? "" : "-x", f % 3, f,
			    f % 4 ? ".py" : "");
			snprintf(body, sizeof body, "%d.%d\n", d, f);
			pcb_test_write(ctx, rel, body, f % 5 ? 0644 : 0755);
		}
	pcb_test_write(ctx, "top.txt", "top\n", 0644);
	pcb_test_write(ctx, "d05.txt", "sorts between d05 and d05/\n", 0644);
	fds = count_fds();
	pcb_layer_list_init(&a);
	pcb_layer_list_init(&b);
	b.parallel_walk = true;
	ck_assert_msg(pcb_layer_list_add(&a, ctx, "", "app", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_msg(pcb_layer_list_add(&b, ctx, "", "app", NULL, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert_uint_gt(a.n, 40 * 12);
	for (size_t i = 0; i < a.n; i++) {
		ck_assert_str_eq(a.v[i].path, b.v[i].path);
		ck_assert_str_eq(a.v[i].src, b.v[i].src);
		ck_assert_int_eq(a.v[i].type, b.v[i].type);
		ck_assert_int_eq(a.v[i].mode, b.v[i].mode);
		ck_assert_uint_eq(a.v[i].size, b.v[i].size);
		ck_assert_uint_eq(a.v[i].ino, b.v[i].ino);
		ck_assert_int_eq(a.v[i].have_stat, b.v[i].have_stat);
		ck_assert(a.v[i].mtime_ns == b.v[i].mtime_ns && a.v[i].ctime_ns == b.v[i].ctime_ns);
	}
	assert_sorted(&b);
	pcb_layer_list_free(&a);
	pcb_layer_list_free(&b);

	/* One subdirectory too deep, among others. */
	deep = pcb_path_join(ctx, "d20");
	{
		char *p = pcb_xstrdup(deep);
		for (int i = 0; i < 300; i++) {
			char *q = pcb_path_join(p, "n");
			ck_assert_int_eq(mkdir(q, 0755), 0);
			free(p);
			p = q;
		}
		free(p);
	}
	pcb_layer_list_init(&b);
	b.parallel_walk = true;
	ck_assert_int_eq(pcb_layer_list_add(&b, ctx, "", "app", NULL, NULL, &e), PCB_ETOOBIG);
	ck_assert_msg(strstr(e.msg, "deeper than") != NULL && strstr(e.msg, "d20/n") != NULL,
	    "%s", e.msg);
	ck_assert_int_eq(count_fds(), fds);
	pcb_layer_list_free(&b);
	free(deep);
	free(ctx);
}
END_TEST

/* ---- finish against a naive sort ---- */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct ref_i {
	const char *path;
	const char *src;
	size_t idx;
};

static int
cmp_ref_i(const void *a, const void *b)
{
	const struct ref_i *x = a, *y = b;
	int r = strcmp(x->path, y->path);
	return r != 0 ? r : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_finish_matches_naive)
{
	static const char *parts[] = { "a", "b", "b.c", "b-d", "c", "é", "Z", "a b", "0" };
	enum { N = 3000, RUNS = 7 };
	struct pcb_layer_list l;
	struct ref_i *in = pcb_xcalloc(N, sizeof *in);
	char **paths = pcb_xcalloc(N, sizeof *paths), **srcs = pcb_xcalloc(N, sizeof *srcs);
	struct pcb_strv want, all;

	/* N random paths of 1-4 components, some repeated, added in RUNS runs: sorted ones
	 * (like walks) and shuffled ones. */
	for (size_t i = 0; i < N; i++) {
		struct pcb_buf b;
		int depth = 1 + (int)(rnd() % 4);
		pcb_buf_init(&b, 256);
		for (int k = 0; k < depth; k++)
			(void)pcb_buf_appendf(&b, "%s%s", k ? "/" : "",
			    parts[rnd() % PCB_ARRAY_LEN(parts)]);
		paths[i] = pcb_buf_steal(&b, NULL);
		srcs[i] = pcb_xasprintf("/src/%zu", i);
	}
	for (size_t r = 0; r < RUNS; r++) {
		size_t lo = r * N / RUNS, hi = (r + 1) * N / RUNS;
		if (r % 2 == 0) {
			/* A sorted run: sort the slice (paths and srcs together). */
			for (size_t i = lo + 1; i < hi; i++)
				for (size_t j = i; j > lo && strcmp(paths[j - 1], paths[j]) > 0; j--) {
					char *t = paths[j];
					paths[j] = paths[j - 1];
					paths[j - 1] = t;
					t = srcs[j];
					srcs[j] = srcs[j - 1];
					srcs[j - 1] = t;
				}
		}
	}
	pcb_layer_list_init(&l);
	for (size_t i = 0; i < N; i++) {
		struct pcb_layer_entry e;
		memset(&e, 0, sizeof e);
		e.type = PCB_ENTRY_FILE;
		e.mode = 0644;
		e.path = paths[i];
		e.src = srcs[i];
		pcb_layer_list_add_entry(&l, &e);
		in[i].path = paths[i];
		in[i].src = srcs[i];
		in[i].idx = i;
	}
	pcb_layer_list_finish(&l);

	/* The naive answer: stable sort, first of equal paths, plus every missing prefix. */
	qsort(in, N, sizeof *in, cmp_ref_i);
	pcb_strv_init(&want);
	pcb_strv_init(&all);
	for (size_t i = 0; i < N; i++)
		if (i == 0 || strcmp(in[i - 1].path, in[i].path) != 0)
			pcb_strv_push(&all, in[i].path);
	{
		size_t n0 = all.n;
		for (size_t i = 0; i < n0; i++) {
			char *p = pcb_xstrdup(all.v[i]);
			for (char *s = strchr(p, '/'); s != NULL; s = strchr(s + 1, '/')) {
				*s = '\0';
				if (bsearch(&p, all.v, n0, sizeof *all.v, cmp_str) == NULL &&
				    !pcb_strv_contains(&want, p))
					pcb_strv_push(&want, p);
				*s = '/';
			}
			free(p);
		}
		for (size_t i = 0; i < n0; i++)
			pcb_strv_push(&want, all.v[i]);
		pcb_strv_sort(&want);
	}
	ck_assert_uint_eq(l.n, want.n);
	for (size_t i = 0, k = 0; i < l.n; i++) {
		ck_assert_str_eq(l.v[i].path, want.v[i]);
		if (l.v[i].src == NULL) {
			ck_assert_int_eq(l.v[i].type, PCB_ENTRY_DIR);
			continue;
		}
		/* First wins: the src of the first occurrence in list order. */
		while (strcmp(in[k].path, l.v[i].path) != 0)
			k++;
		ck_assert_str_eq(l.v[i].src, in[k].src);
	}
	pcb_strv_free(&want);
	pcb_strv_free(&all);
	for (size_t i = 0; i < N; i++) {
		free(paths[i]);
		free(srcs[i]);
	}
	free(paths);
	free(srcs);
	free(in);
	pcb_layer_list_free(&l);
}
END_TEST

static Suite *
walk_suite(void)
{
	Suite *s = suite_create("layer-walk");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_walk_matches_reference_sorted, 0, 2);
	tcase_add_loop_test(tc, test_filter_and_parts, 0, 2);
	tcase_add_loop_test(tc, test_entries_carry_lstat, 0, 2);
	tcase_add_loop_test(tc, test_deep_tree, 0, 2);
	tcase_add_loop_test(tc, test_too_deep_is_refused_without_leaks, 0, 2);
	tcase_add_loop_test(tc, test_errors_inside_the_walk, 0, 2);
	tcase_add_test(tc, test_parallel_same_as_serial);
	tcase_add_test(tc, test_finish_matches_naive);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(walk_suite());
}
