/* test-layer.c — the layer packer: listing, determinism, tar format as GNU tar reads it,
 * long and UTF-8 names, links, filters, cancellation and progress. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/util.h"
#include "image/layer.h"
#include "image/store.h"
#include "testutil.h"

#define MTIME 1700000000   /* 2023-11-14 22:13:20 UTC */

static char *tdir;
static struct pcb_store *store;

static void
setup(void)
{
	store = pcb_test_store_new(&tdir);
}

static void
teardown(void)
{
	pcb_test_store_free(store, tdir);
	store = NULL;
	tdir = NULL;
	pcb_layer_pool_shutdown();   /* joins the compression threads: nothing left at exit */
}

/* Lists ctx under prefix, finishes and packs. Returns the pack result code. */
static int
pack_dir(const char *ctx, const char *prefix, pcb_layer_filter_fn filter, void *ud,
    const struct pcb_layer_opts *opts, struct pcb_layer_result *res, struct pcb_err *e)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts def = { .mtime = MTIME };
	int rc;

	pcb_layer_list_init(&l);
	rc = pcb_layer_list_add(&l, ctx, ".", prefix, filter, ud, e);
	ck_assert_msg(rc == 0, "list: %s", e->msg);
	pcb_layer_list_finish(&l);
	rc = pcb_layer_pack(store, &l, opts != NULL ? opts : &def, res, e);
	pcb_layer_list_free(&l);
	return rc;
}

static char *
blob_path(const char *digest)
{
	return pcb_store_blob_path(store, digest);
}

/* `gzip -dc blob | <pipeline>` with TZ=UTC and a UTF-8 locale; returns stdout. */
static char *
tar_cmd(const struct pcb_layer_result *res, const char *pipeline)
{
	char *path = blob_path(res->digest), *out = NULL;
	int rc = pcb_test_runf(&out, "gzip -dc '%s' | TZ=UTC LC_ALL=C.UTF-8 %s", path, pipeline);
	ck_assert_msg(rc == 0, "%s failed (%d): %s", pipeline, rc, out);
	free(path);
	return out;
}

static void
make_tree(const char *dir, int variant)
{
	/* Permission bits other than x differ between variants; x bits are what matter. */
	pcb_test_write(dir, "main.py", "print('hi')\n", variant ? 0600 : 0664);
	pcb_test_write(dir, "run.sh", "#!/bin/sh\necho run\n", variant ? 0700 : 0755);
	pcb_test_write(dir, "pkg/__init__.py", "", variant ? 0640 : 0644);
	pcb_test_write(dir, "pkg/mod.py", "X = 1\n", variant ? 0400 : 0666);
	pcb_test_write(dir, "pkg/sub/data.txt", "data\n", 0644);
	pcb_test_mkdir(dir, "empty");
	if (variant) {
		char *p = pcb_path_join(dir, "pkg");
		ck_assert_int_eq(chmod(p, 0700), 0);
		free(p);
	}
	ck_assert_int_eq(pcb_test_runf(NULL, "cd '%s' && ln -s pkg/mod.py link.py", dir), 0);
	/* Different mtimes on everything. */
	ck_assert_int_eq(pcb_test_runf(NULL, "find '%s' -exec touch -h -d '%s' {} +", dir,
	    variant ? "2001-02-03 04:05:06" : "2020-01-01 00:00:00"), 0);
}

START_TEST(test_determinism)
{
	char *a = pcb_path_join(tdir, "ctx-a"), *b = pcb_path_join(tdir, "one/two/ctx-b");
	struct pcb_layer_result ra, rb;
	struct pcb_err e;

	pcb_test_mkdir(tdir, "ctx-a");
	pcb_test_mkdir(tdir, "one/two/ctx-b");
	make_tree(a, 0);
	make_tree(b, 1);
	ck_assert_msg(pack_dir(a, "app", NULL, NULL, NULL, &ra, &e) == 0, "%s", e.msg);
	ck_assert_msg(pack_dir(b, "app", NULL, NULL, NULL, &rb, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(ra.digest, rb.digest);
	ck_assert_str_eq(ra.diff_id, rb.diff_id);
	ck_assert_str_eq(ra.media_type, PCB_MT_LAYER_GZIP);
	ck_assert_uint_eq(ra.n_entries, 10);   /* app, app/empty, 2 files, link, pkg + 3, sub */
	/* Another mtime gives another layer. */
	{
		struct pcb_layer_opts o = { .mtime = MTIME + 1 };
		ck_assert_int_eq(pack_dir(a, "app", NULL, NULL, &o, &rb, &e), 0);
		ck_assert_str_ne(ra.diff_id, rb.diff_id);
	}
	free(a);
	free(b);
}
END_TEST

START_TEST(test_hashes_match_tools)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *path, *out;
	struct pcb_layer_result r;
	struct pcb_err e;
	struct stat st;
	uint64_t size;

	pcb_test_mkdir(tdir, "ctx");
	make_tree(ctx, 0);
	ck_assert_int_eq(pack_dir(ctx, "app", NULL, NULL, NULL, &r, &e), 0);
	path = blob_path(r.digest);
	ck_assert_int_eq(pcb_test_runf(&out, "sha256sum '%s'", path), 0);
	ck_assert_msg(strncmp(out, r.digest + 7, 64) == 0, "%s vs %s", out, r.digest);
	free(out);
	out = tar_cmd(&r, "sha256sum");
	ck_assert_msg(strncmp(out, r.diff_id + 7, 64) == 0, "%s vs %s", out, r.diff_id);
	free(out);
	out = tar_cmd(&r, "wc -c");
	ck_assert_uint_eq(strtoull(out, NULL, 10), r.tar_size);
	ck_assert_uint_eq(r.tar_size % 512, 0);
	free(out);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, r.size);
	ck_assert_int_eq(pcb_store_stat(store, r.digest, &size, &out, &e), 0);
	ck_assert_str_eq(out, PCB_MT_LAYER_GZIP);
	ck_assert_uint_eq(size, r.size);
	free(out);
	/* Fixed gzip header: magic, deflate, no flags, mtime 0, xfl, OS 255. */
	out = pcb_test_read(path, NULL);
	ck_assert_mem_eq(out, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
	ck_assert_int_eq((unsigned char)out[9], 255);
	free(out);
	free(path);
	free(ctx);
}
END_TEST

START_TEST(test_listing)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *out, *raw, *tarp;
	struct pcb_layer_result r;
	struct pcb_err e;
	size_t len;
	const char *want =
	    "drwxr-xr-x 0/0 0 2023-11-14 22:13 app/\n"
	    "drwxr-xr-x 0/0 0 2023-11-14 22:13 app/empty/\n"
	    "lrwxrwxrwx 0/0 0 2023-11-14 22:13 app/link.py -> pkg/mod.py\n"
	    "-rw-r--r-- 0/0 12 2023-11-14 22:13 app/main.py\n"
	    "drwxr-xr-x 0/0 0 2023-11-14 22:13 app/pkg/\n"
	    "-rw-r--r-- 0/0 0 2023-11-14 22:13 app/pkg/__init__.py\n"
	    "-rw-r--r-- 0/0 6 2023-11-14 22:13 app/pkg/mod.py\n"
	    "drwxr-xr-x 0/0 0 2023-11-14 22:13 app/pkg/sub/\n"
	    "-rw-r--r-- 0/0 5 2023-11-14 22:13 app/pkg/sub/data.txt\n"
	    "-rwxr-xr-x 0/0 19 2023-11-14 22:13 app/run.sh\n";

	pcb_test_mkdir(tdir, "ctx");
	make_tree(ctx, 1);
	ck_assert_int_eq(pack_dir(ctx, "app", NULL, NULL, NULL, &r, &e), 0);
	out = tar_cmd(&r, "tar --numeric-owner -tvf - | awk '{$1=$1; print}'");
	ck_assert_str_eq(out, want);
	free(out);
	/* Names, when tar prints them without numeric-owner, are still 0/0: uname/gname empty. */
	out = tar_cmd(&r, "tar -tvf - | awk '{print $2}' | sort -u");
	ck_assert_str_eq(out, "0/0\n");
	free(out);
	/* The raw bytes: ustar magic, empty uname/gname, and two zero blocks at the end. */
	tarp = pcb_path_join(tdir, "l.tar");
	{
		char *bp = blob_path(r.digest);
		ck_assert_int_eq(pcb_test_runf(NULL, "gzip -dc '%s' > '%s'", bp, tarp), 0);
		free(bp);
	}
	raw = pcb_test_read(tarp, &len);
	ck_assert_uint_eq(len, r.tar_size);
	ck_assert_mem_eq(raw + 257, "ustar\0" "00", 8);
	for (int i = 265; i < 329; i++)
		ck_assert_int_eq(raw[i], 0);
	for (size_t i = len - 1024; i < len; i++)
		ck_assert_int_eq(raw[i], 0);
	ck_assert_ptr_null(memmem(raw, len, "PaxHeaders", 10));
	free(raw);
	free(tarp);
	free(ctx);
}
END_TEST

/* A path of exactly n bytes made of directory components of 50 chars. */
static char *
long_path(size_t n, const char *leaf)
{
	struct pcb_buf b;
	size_t ll = strlen(leaf);

	pcb_buf_init(&b, 8192);
	while (b.len + 50 + 2 + ll < n) {
		char comp[52];
		memset(comp, 'd', 49);
		comp[0] = (char)('a' + (b.len / 50) % 26);
		comp[49] = '/';
		comp[50] = '\0';
		pcb_buf_append(&b, comp, 50);
	}
	while (b.len + 1 + ll < n)
		pcb_buf_append(&b, "x", 1);
	pcb_buf_append(&b, "/", 1);
	pcb_buf_append(&b, leaf, ll);
	return pcb_buf_steal(&b, NULL);
}

START_TEST(test_long_and_utf8_paths)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *out, *x, *p150, *p300, *target, *bp;
	struct pcb_layer_result r;
	struct pcb_err e;

	pcb_test_mkdir(tdir, "ctx");
	p150 = long_path(150, "f150.txt");
	p300 = long_path(300, "f300.txt");
	ck_assert_uint_eq(strlen(p150), 150);
	ck_assert_uint_eq(strlen(p300), 300);
	pcb_test_write(ctx, p150, "one hundred fifty\n", 0644);
	pcb_test_write(ctx, p300, "three hundred\n", 0644);
	pcb_test_write(ctx, "données/naïve-é.py", "# é\n", 0644);
	pcb_test_write(ctx, "日本語/ファイル.txt", "こんにちは\n", 0755);
	/* A symlink whose target does not fit the 100-byte linkname field. */
	target = long_path(180, "f.txt");
	ck_assert_int_eq(pcb_test_runf(NULL, "cd '%s' && ln -s '%s' longlink", ctx, target), 0);
	ck_assert_int_eq(pack_dir(ctx, "", NULL, NULL, NULL, &r, &e), 0);

	out = tar_cmd(&r, "tar -tf -");
	ck_assert_msg(strstr(out, p150) != NULL, "%s", out);
	ck_assert_msg(strstr(out, p300) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "données/naïve-é.py\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "日本語/ファイル.txt\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "PaxHeaders") == NULL, "pax headers listed as files: %s", out);
	free(out);

	/* Extract and compare with the source tree (symlinks compared as links). */
	x = pcb_path_join(tdir, "x");
	pcb_test_mkdir(tdir, "x");
	bp = blob_path(r.digest);
	ck_assert_int_eq(pcb_test_runf(&out, "gzip -dc '%s' | LC_ALL=C.UTF-8 tar -xf - -C '%s' && "
	    "diff -r --no-dereference '%s' '%s'", bp, x, ctx, x), 0);
	free(out);
	/* The 150-byte path fitted name+prefix; the others needed PAX records. */
	out = tar_cmd(&r, "grep -a -c 'path=' || true");
	ck_assert_msg(atoi(out) >= 1, "%s", out);
	free(out);
	{
		char *tarp = pcb_path_join(tdir, "l.tar"), *raw;
		size_t len;
		char *rec300 = pcb_xasprintf("path=%s\n", p300);
		char *rec150 = pcb_xasprintf("path=%s\n", p150);
		char *link = pcb_xasprintf("linkpath=%s\n", target);

		ck_assert_int_eq(pcb_test_runf(NULL, "gzip -dc '%s' > '%s'", bp, tarp), 0);
		raw = pcb_test_read(tarp, &len);
		ck_assert_ptr_nonnull(memmem(raw, len, rec300, strlen(rec300)));
		ck_assert_ptr_null(memmem(raw, len, rec150, strlen(rec150)));
		ck_assert_ptr_nonnull(memmem(raw, len, link, strlen(link)));
		ck_assert_ptr_nonnull(memmem(raw, len, "path=données/naïve-é.py\n", 27));
		ck_assert_ptr_nonnull(memmem(raw, len, "PaxHeaders/f300.txt", 19));
		free(raw);
		free(rec300);
		free(rec150);
		free(link);
		free(tarp);
	}
	free(bp);
	free(x);
	free(target);
	free(p150);
	free(p300);
	free(ctx);
}
END_TEST

START_TEST(test_symlinks_not_followed)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *out, *raw, *tarp, *bp;
	struct pcb_layer_result r;
	struct pcb_layer_list l;
	struct pcb_err e;
	size_t len;

	pcb_test_write(tdir, "outside/secret.txt", "TOP-SECRET-CONTENT\n", 0644);
	pcb_test_write(tdir, "outside/dir/inner.txt", "INNER-SECRET\n", 0644);
	pcb_test_write(ctx, "app.py", "pass\n", 0644);
	ck_assert_int_eq(pcb_test_runf(NULL, "cd '%s' && ln -s ../outside/secret.txt escape && "
	    "ln -s '%s/outside/dir' escdir && ln -s app.py alias && ln -s nowhere dangling", ctx,
	    tdir), 0);
	ck_assert_int_eq(pack_dir(ctx, "app", NULL, NULL, NULL, &r, &e), 0);
	out = tar_cmd(&r, "tar --numeric-owner -tvf - | awk '{$1=$1; print}'");
	ck_assert_msg(strstr(out, "lrwxrwxrwx 0/0 0 2023-11-14 22:13 app/escape -> "
	    "../outside/secret.txt\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "app/alias -> app.py\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "app/dangling -> nowhere\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "app/escdir -> ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "inner.txt") == NULL, "%s", out);
	free(out);
	tarp = pcb_path_join(tdir, "l.tar");
	bp = blob_path(r.digest);
	ck_assert_int_eq(pcb_test_runf(NULL, "gzip -dc '%s' > '%s'", bp, tarp), 0);
	raw = pcb_test_read(tarp, &len);
	ck_assert_ptr_null(memmem(raw, len, "TOP-SECRET", 10));
	ck_assert_ptr_null(memmem(raw, len, "INNER-SECRET", 12));
	free(raw);
	free(tarp);
	free(bp);

	/* Adding a path through a symlinked directory is refused. */
	pcb_layer_list_init(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, "escdir/inner.txt", "app", NULL, NULL, &e),
	    PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "not a directory") != NULL, "%s", e.msg);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, "../outside", "app", NULL, NULL, &e),
	    PCB_EINVAL);
	/* Adding the symlink itself keeps it a symlink. */
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, "escdir", "app", NULL, NULL, &e), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].type, PCB_ENTRY_SYMLINK);
	ck_assert_str_eq(l.v[0].path, "app/escdir");
	pcb_layer_list_free(&l);
	free(ctx);
}
END_TEST

START_TEST(test_hardlinks_and_modes)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *out, *x, *bp, *a, *b;
	struct pcb_layer_result r;
	struct pcb_err e;
	struct stat sa, sb;

	pcb_test_write(ctx, "a/first.bin", "shared inode\n", 0644);
	pcb_test_write(ctx, "zero", "", 0600);
	pcb_test_write(ctx, "exec-owner", "x", 0700);
	pcb_test_write(ctx, "exec-other", "x", 0601);
	pcb_test_write(ctx, "plain", "x", 0666);
	ck_assert_int_eq(pcb_test_runf(NULL, "cd '%s' && mkdir -p b && ln a/first.bin b/second.bin "
	    "&& ln a/first.bin c.bin", ctx), 0);
	ck_assert_int_eq(pack_dir(ctx, "", NULL, NULL, NULL, &r, &e), 0);
	out = tar_cmd(&r, "tar --numeric-owner -tvf - | awk '{$1=$1; print}'");
	ck_assert_str_eq(out,
	    "drwxr-xr-x 0/0 0 2023-11-14 22:13 a/\n"
	    "-rw-r--r-- 0/0 13 2023-11-14 22:13 a/first.bin\n"
	    "drwxr-xr-x 0/0 0 2023-11-14 22:13 b/\n"
	    "hrw-r--r-- 0/0 0 2023-11-14 22:13 b/second.bin link to a/first.bin\n"
	    "hrw-r--r-- 0/0 0 2023-11-14 22:13 c.bin link to a/first.bin\n"
	    "-rwxr-xr-x 0/0 1 2023-11-14 22:13 exec-other\n"
	    "-rwxr-xr-x 0/0 1 2023-11-14 22:13 exec-owner\n"
	    "-rw-r--r-- 0/0 1 2023-11-14 22:13 plain\n"
	    "-rw-r--r-- 0/0 0 2023-11-14 22:13 zero\n");
	free(out);
	x = pcb_path_join(tdir, "x");
	pcb_test_mkdir(tdir, "x");
	bp = blob_path(r.digest);
	ck_assert_int_eq(pcb_test_runf(&out, "gzip -dc '%s' | tar -xf - -C '%s'", bp, x), 0);
	free(out);
	a = pcb_path_join(x, "a/first.bin");
	b = pcb_path_join(x, "b/second.bin");
	ck_assert_int_eq(stat(a, &sa), 0);
	ck_assert_int_eq(stat(b, &sb), 0);
	ck_assert_uint_eq(sa.st_ino, sb.st_ino);
	free(a);
	free(b);
	a = pcb_path_join(x, "zero");
	ck_assert_int_eq(stat(a, &sa), 0);
	ck_assert_int_eq(sa.st_size, 0);
	free(a);
	free(bp);
	free(x);
	free(ctx);
}
END_TEST

struct filter_log {
	int calls_under_cache;
	int dir_calls;
};

static bool
skip_cache(void *ud, const char *rel, bool is_dir)
{
	struct filter_log *fl = ud;

	if (strstr(rel, "__pycache__/") != NULL)
		fl->calls_under_cache++;
	if (is_dir)
		fl->dir_calls++;
	if (pcb_str_has_suffix(rel, ".pyc") || strcmp(rel, "secret.env") == 0)
		return false;
	return !(is_dir && pcb_str_has_suffix(rel, "__pycache__"));
}

START_TEST(test_filter)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *out;
	struct pcb_layer_result r;
	struct filter_log fl = { 0, 0 };
	struct pcb_err e;

	pcb_test_write(ctx, "pkg/m.py", "m\n", 0644);
	pcb_test_write(ctx, "pkg/m.pyc", "junk", 0644);
	pcb_test_write(ctx, "pkg/__pycache__/m.cpython-311.pyc", "junk", 0644);
	pcb_test_write(ctx, "secret.env", "KEY=1", 0600);
	ck_assert_int_eq(pack_dir(ctx, "app", skip_cache, &fl, NULL, &r, &e), 0);
	out = tar_cmd(&r, "tar -tf -");
	ck_assert_str_eq(out, "app/\napp/pkg/\napp/pkg/m.py\n");
	free(out);
	ck_assert_int_eq(fl.calls_under_cache, 0);
	ck_assert_int_eq(fl.dir_calls, 2);   /* pkg, pkg/__pycache__ */
	ck_assert_uint_eq(r.n_entries, 3);
	free(ctx);
}
END_TEST

static void
cancel_on_progress(void *ud, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	atomic_store((atomic_int *)ud, 1);
}

START_TEST(test_cancel)
{
	char *ctx = pcb_path_join(tdir, "ctx"), *blobs, *tmp;
	char *big = pcb_xmalloc(2u << 20);
	struct pcb_layer_result r;
	struct pcb_err e;
	atomic_int flag = 1;
	struct pcb_layer_opts o = { .mtime = MTIME, .cancel = &flag };

	memset(big, 'b', 2u << 20);
	big[(2u << 20) - 1] = '\0';
	pcb_test_write(ctx, "big.bin", big, 0644);
	pcb_test_write(ctx, "small", "s", 0644);
	blobs = pcb_path_join(pcb_store_root(store), "blobs/sha256");
	tmp = pcb_path_join(pcb_store_root(store), "tmp");
	/* Set before the start. */
	ck_assert_int_eq(pack_dir(ctx, "", NULL, NULL, &o, &r, &e), PCB_ECANCELED);
	ck_assert_int_eq(pcb_test_count_dir(blobs), 0);
	ck_assert_int_eq(pcb_test_count_dir(tmp), 0);
	/* Set during the big file, from the progress callback: noticed at the next chunk. */
	atomic_store(&flag, 0);
	o.progress = cancel_on_progress;
	o.progress_ud = &flag;
	ck_assert_int_eq(pack_dir(ctx, "", NULL, NULL, &o, &r, &e), PCB_ECANCELED);
	ck_assert_msg(strstr(e.msg, "cancelled") != NULL, "%s", e.msg);
	ck_assert_int_eq(pcb_test_count_dir(blobs), 0);
	ck_assert_int_eq(pcb_test_count_dir(tmp), 0);
	free(blobs);
	free(tmp);
	free(big);
	free(ctx);
}
END_TEST

struct progress_log {
	int calls;
	uint64_t last_done, last_total;
	bool monotonic;
};

static void
log_progress(void *ud, uint64_t done, uint64_t total)
{
	struct progress_log *pl = ud;

	if (done < pl->last_done)
		pl->monotonic = false;
	pl->calls++;
	pl->last_done = done;
	pl->last_total = total;
}

START_TEST(test_progress)
{
	char *ctx = pcb_path_join(tdir, "ctx");
	size_t n = (1u << 20) + 1000;
	char *big = pcb_xmalloc(n + 1);
	struct progress_log pl = { 0, 0, 0, true };
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 1, .progress = log_progress,
	    .progress_ud = &pl };
	struct pcb_layer_result r;
	struct pcb_err e;

	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + (i * 31 + i / 7) % 26);
	big[n] = '\0';
	pcb_test_write(ctx, "big.txt", big, 0644);
	for (int i = 0; i < 50; i++) {
		char name[32];
		snprintf(name, sizeof name, "small/%02d.txt", i);
		pcb_test_write(ctx, name, "tiny\n", 0644);
	}
	ck_assert_int_eq(pack_dir(ctx, "", NULL, NULL, &o, &r, &e), 0);
	ck_assert(pl.monotonic);
	ck_assert_uint_eq(pl.last_done, n + 250);
	ck_assert_uint_eq(pl.last_total, n + 250);
	ck_assert_int_ge(pl.calls, 2);
	ck_assert_int_le(pl.calls, (int)((n + 250) / 65536) + 1);
	free(big);
	free(ctx);
}
END_TEST

START_TEST(test_size_changed)
{
	char *ctx = pcb_path_join(tdir, "ctx");
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME };
	struct pcb_layer_result r;
	struct pcb_err e;

	pcb_test_write(ctx, "changing.py", "short\n", 0644);
	pcb_layer_list_init(&l);
	ck_assert_int_eq(pcb_layer_list_add(&l, ctx, "changing.py", "app", NULL, NULL, &e), 0);
	pcb_layer_list_finish(&l);
	pcb_test_write(ctx, "changing.py", "much longer now\n", 0644);
	ck_assert_int_eq(pcb_layer_pack(store, &l, &o, &r, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "changing.py") != NULL && strstr(e.msg, "size") != NULL,
	    "%s", e.msg);
	pcb_layer_list_free(&l);
	free(ctx);
}
END_TEST

START_TEST(test_list_finish)
{
	struct pcb_layer_list l;
	struct pcb_layer_entry e;
	const char *want[] = { "a", "a-b", "a/b", "a/b/c", "a/b/c/f", "a/b/d", "a/b/d/g", "z" };

	pcb_layer_list_init(&l);
	memset(&e, 0, sizeof e);
	e.type = PCB_ENTRY_FILE;
	e.mode = 0644;
	e.src = (char *)"/first";
	e.path = (char *)"a/b/d/g";
	pcb_layer_list_add_entry(&l, &e);
	e.path = (char *)"a/b/c/f";
	pcb_layer_list_add_entry(&l, &e);
	e.path = (char *)"/z/";
	pcb_layer_list_add_entry(&l, &e);
	e.path = (char *)"a-b";
	pcb_layer_list_add_entry(&l, &e);
	e.src = (char *)"/second";
	e.path = (char *)"a/b/c/f";   /* duplicate: the first one wins */
	pcb_layer_list_add_entry(&l, &e);
	pcb_layer_list_finish(&l);
	pcb_layer_list_finish(&l);   /* idempotent */
	ck_assert_uint_eq(l.n, PCB_ARRAY_LEN(want));
	for (size_t i = 0; i < l.n; i++)
		ck_assert_str_eq(l.v[i].path, want[i]);
	ck_assert_int_eq(l.v[0].type, PCB_ENTRY_DIR);
	ck_assert_int_eq(l.v[0].mode, 0755);
	ck_assert_str_eq(l.v[4].src, "/first");
	pcb_layer_list_free(&l);
}
END_TEST

static Suite *
layer_suite(void)
{
	Suite *s = suite_create("layer");
	TCase *tc = tcase_create("layer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_determinism);
	tcase_add_test(tc, test_hashes_match_tools);
	tcase_add_test(tc, test_listing);
	tcase_add_test(tc, test_long_and_utf8_paths);
	tcase_add_test(tc, test_symlinks_not_followed);
	tcase_add_test(tc, test_hardlinks_and_modes);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_progress);
	tcase_add_test(tc, test_size_changed);
	tcase_add_test(tc, test_list_finish);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(layer_suite());
}
