/* test-lcache.c — layer reuse: a no-op repack reads nothing; changes of content (size and mtime
 * restored), mode, presence and name are seen; a touch costs one file read; concurrent packs
 * of one layer pack once; the salt is part of the key; a corrupt fingerprints.db is recreated. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/util.h"
#include "image/layer.h"
#include "image/lcache.h"
#include "image/store.h"
#include "testutil.h"

#define MTIME 1700000000
#define NTHREADS 4

static char *tdir;
static char *ctx;
static struct pcb_store *store;

static void
setup(void)
{
	store = pcb_test_store_new(&tdir);
	ctx = pcb_path_join(tdir, "ctx");
	pcb_test_write(ctx, "main.py", "print('hello')\n", 0644);
	pcb_test_write(ctx, "run.sh", "#!/bin/sh\nexec python3 main.py\n", 0755);
	pcb_test_write(ctx, "pkg/__init__.py", "", 0644);
	pcb_test_write(ctx, "pkg/mod.py", "VALUE = 'AAAA'\n", 0644);
	pcb_test_write(ctx, "pkg/data/big.txt", "0123456789abcdef\n", 0644);
}

static void
teardown(void)
{
	pcb_lcache_shutdown();
	pcb_test_store_free(store, tdir);
	free(ctx);
	store = NULL;
	tdir = NULL;
	ctx = NULL;
}

/* Waits (polling, 5 s deadline) until the coarse clock is past every ctime written so far,
 * so that the files count as settled rather than racy. */
static void
settle(void)
{
	struct timespec fine, coarse, nap = { 0, 1000000 };
	int64_t deadline = pcb_monotonic_ms() + 5000;

	clock_gettime(CLOCK_REALTIME, &fine);
	for (;;) {
		clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
		if (coarse.tv_sec > fine.tv_sec ||
		    (coarse.tv_sec == fine.tv_sec && coarse.tv_nsec > fine.tv_nsec))
			return;
		ck_assert_msg(pcb_monotonic_ms() < deadline, "coarse clock does not advance");
		nanosleep(&nap, NULL);
	}
}

static void
make_list(const char *dir, struct pcb_layer_list *l)
{
	struct pcb_err e;

	pcb_layer_list_init(l);
	ck_assert_msg(pcb_layer_list_add(l, dir, ".", "app", NULL, NULL, &e) == 0, "%s", e.msg);
	pcb_layer_list_finish(l);
}

static void
pack_salt(const char *dir, const char *salt, struct pcb_layer_result *res, bool *reused)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 6 };
	struct pcb_err e;
	int rc;

	make_list(dir, &l);
	*reused = !*reused;   /* must be written */
	rc = pcb_lcache_pack(store, &l, &o, salt, res, reused, &e);
	ck_assert_msg(rc == 0, "pcb_lcache_pack: %s", e.msg);
	pcb_layer_list_free(&l);
}

static void
pack(struct pcb_layer_result *res, bool *reused)
{
	pack_salt(ctx, NULL, res, reused);
}

/* What the plain packer gives for the tree as it is now. */
static void
pack_plain(const char *dir, struct pcb_layer_result *res)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 6 };
	struct pcb_err e;

	make_list(dir, &l);
	ck_assert_msg(pcb_layer_pack(store, &l, &o, res, &e) == 0, "%s", e.msg);
	pcb_layer_list_free(&l);
}

static void
same_result(const struct pcb_layer_result *a, const struct pcb_layer_result *b)
{
	ck_assert_str_eq(a->digest, b->digest);
	ck_assert_str_eq(a->diff_id, b->diff_id);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert_uint_eq(a->tar_size, b->tar_size);
	ck_assert_uint_eq(a->n_entries, b->n_entries);
	ck_assert_str_eq(a->media_type, b->media_type);
}

static struct pcb_lcache_stats
stats(void)
{
	struct pcb_lcache_stats s;
	pcb_lcache_stats(&s);
	return s;
}

static char *
file(const char *rel)
{
	return pcb_path_join(ctx, rel);
}

/* Rewrites rel with content of the same size and puts its mtime back. */
static void
rewrite_keep_stat(const char *rel, const char *content)
{
	char *p = file(rel);
	struct stat before, after;
	struct timespec ts[2];

	ck_assert_int_eq(stat(p, &before), 0);
	pcb_test_write(ctx, rel, content, before.st_mode & 07777);
	ts[0] = before.st_atim;
	ts[1] = before.st_mtim;
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	ck_assert_int_eq(stat(p, &after), 0);
	ck_assert_int_eq(after.st_size, before.st_size);
	ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	free(p);
}

START_TEST(test_noop_reads_nothing)
{
	struct pcb_layer_result a, b, plain;
	struct pcb_lcache_stats s0, s1, s2;
	bool reused = false;

	settle();
	s0 = stats();
	pack(&a, &reused);
	ck_assert(!reused);
	s1 = stats();
	ck_assert_uint_eq(s1.misses - s0.misses, 1);
	pack(&b, &reused);
	s2 = stats();
	ck_assert(reused);
	ck_assert_uint_eq(s2.stat_hits - s1.stat_hits, 1);
	ck_assert_uint_eq(s2.misses, s1.misses);
	ck_assert_uint_eq(s2.bytes_read, s1.bytes_read);
	ck_assert_uint_eq(s2.files_hashed, s1.files_hashed);
	same_result(&a, &b);
	/* And the cached result is what the plain packer makes. */
	pack_plain(ctx, &plain);
	same_result(&a, &plain);
}
END_TEST

START_TEST(test_content_change_with_stat_restored)
{
	struct pcb_layer_result a, b, plain;
	bool reused = false;

	settle();
	pack(&a, &reused);
	rewrite_keep_stat("pkg/mod.py", "VALUE = 'BBBB'\n");
	pack(&b, &reused);
	ck_assert(!reused);
	ck_assert_str_ne(a.digest, b.digest);
	pack_plain(ctx, &plain);
	same_result(&b, &plain);
	/* Right back: the content key knows the first version again. */
	rewrite_keep_stat("pkg/mod.py", "VALUE = 'AAAA'\n");
	pack(&b, &reused);
	ck_assert(reused);
	same_result(&a, &b);
}
END_TEST

START_TEST(test_mode_change)
{
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1;
	bool reused = false;
	char *p = file("main.py");

	settle();
	pack(&a, &reused);
	ck_assert_int_eq(chmod(p, 0755), 0);
	pack(&b, &reused);
	ck_assert(!reused);
	ck_assert_str_ne(a.digest, b.digest);
	/* A mode change the image does not see (0644 → 0640 normalises to 0644 again) misses
	 * the stat key but hits the content key. */
	ck_assert_int_eq(chmod(p, 0644), 0);
	pack(&b, &reused);
	ck_assert(reused);
	same_result(&a, &b);
	ck_assert_int_eq(chmod(p, 0640), 0);
	s0 = stats();
	pack(&b, &reused);
	s1 = stats();
	ck_assert(reused);
	ck_assert_uint_eq(s1.content_hits - s0.content_hits, 1);
	same_result(&a, &b);
	free(p);
}
END_TEST

START_TEST(test_presence_and_rename)
{
	struct pcb_layer_result a, b, c;
	bool reused = false;
	char *p = file("pkg/mod.py"), *q = file("pkg/mod2.py"), *n = file("pkg/new.py");

	settle();
	pack(&a, &reused);
	/* A new file. */
	pcb_test_write(ctx, "pkg/new.py", "", 0644);
	pack(&b, &reused);
	ck_assert(!reused);
	ck_assert_str_ne(a.digest, b.digest);
	ck_assert_uint_eq(b.n_entries, a.n_entries + 1);
	/* Removed again: the first layer, from the content key. */
	ck_assert_int_eq(unlink(n), 0);
	pack(&c, &reused);
	ck_assert(reused);
	same_result(&a, &c);
	/* A file renamed. */
	ck_assert_int_eq(rename(p, q), 0);
	pack(&b, &reused);
	ck_assert(!reused);
	ck_assert_str_ne(a.digest, b.digest);
	ck_assert_uint_eq(b.n_entries, a.n_entries);
	/* Renamed back. */
	ck_assert_int_eq(rename(q, p), 0);
	pack(&c, &reused);
	ck_assert(reused);
	same_result(&a, &c);
	free(p);
	free(q);
	free(n);
}
END_TEST

START_TEST(test_removed_file)
{
	struct pcb_layer_result a, b;
	bool reused = false;
	char *p = file("run.sh");

	settle();
	pack(&a, &reused);
	ck_assert_int_eq(unlink(p), 0);
	pack(&b, &reused);
	ck_assert(!reused);
	ck_assert_str_ne(a.digest, b.digest);
	ck_assert_uint_eq(b.n_entries, a.n_entries - 1);
	free(p);
}
END_TEST

START_TEST(test_touch_reads_one_file)
{
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1, s2;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1600000000, 5 } };
	bool reused = false;
	char *p = file("pkg/data/big.txt");

	settle();
	pack(&a, &reused);
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	settle();
	s0 = stats();
	pack(&b, &reused);
	s1 = stats();
	ck_assert(reused);
	same_result(&a, &b);
	ck_assert_uint_eq(s1.stat_hits, s0.stat_hits);
	ck_assert_uint_eq(s1.content_hits - s0.content_hits, 1);
	ck_assert_uint_eq(s1.files_hashed - s0.files_hashed, 1);
	ck_assert_uint_eq(s1.bytes_read - s0.bytes_read, strlen("0123456789abcdef\n"));
	/* That content hit recorded the new stat key: next time nothing is read. */
	pack(&b, &reused);
	s2 = stats();
	ck_assert(reused);
	ck_assert_uint_eq(s2.stat_hits - s1.stat_hits, 1);
	ck_assert_uint_eq(s2.bytes_read, s1.bytes_read);
	free(p);
}
END_TEST

START_TEST(test_copied_tree)
{
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1;
	bool reused = false;
	char *copy = pcb_path_join(tdir, "copy");

	settle();
	pack(&a, &reused);
	ck_assert_int_eq(pcb_test_runf(NULL, "cp -a '%s' '%s'", ctx, copy), 0);
	s0 = stats();
	pack_salt(copy, NULL, &b, &reused);
	s1 = stats();
	/* Another place, same bytes: every file read once, nothing packed. */
	ck_assert(reused);
	same_result(&a, &b);
	ck_assert_uint_eq(s1.files_hashed - s0.files_hashed, 5);
	ck_assert_uint_eq(s1.misses, s0.misses);
	free(copy);
}
END_TEST

START_TEST(test_salt)
{
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1;
	bool reused = false;

	settle();
	s0 = stats();
	pack_salt(ctx, "layout 1", &a, &reused);
	ck_assert(!reused);
	pack_salt(ctx, "layout 2", &b, &reused);
	ck_assert(!reused);
	pack_salt(ctx, "", &b, &reused);
	ck_assert(!reused);
	pack_salt(ctx, NULL, &b, &reused);
	ck_assert(!reused);
	s1 = stats();
	ck_assert_uint_eq(s1.misses - s0.misses, 4);
	/* The salt names inputs; these bytes did not change. */
	same_result(&a, &b);
	pack_salt(ctx, "layout 1", &b, &reused);
	ck_assert(reused);
}
END_TEST

START_TEST(test_other_options)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = PCB_LAYER_GZIP_DEFAULT };
	struct pcb_layer_result a, b;
	struct pcb_err e;
	bool reused = false;

	settle();
	make_list(ctx, &l);
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &a, &reused, &e), 0);
	o.mtime = MTIME + 1;
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &b, &reused, &e), 0);
	ck_assert(!reused);
	ck_assert_str_ne(a.diff_id, b.diff_id);
	o.mtime = MTIME;
	o.gzip_level = 1;
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &b, &reused, &e), 0);
	ck_assert(!reused);
	ck_assert_str_eq(a.diff_id, b.diff_id);
	ck_assert_str_ne(a.digest, b.digest);
	/* 0 means the default level. */
	o.gzip_level = 0;
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &b, &reused, &e), 0);
	ck_assert(reused);
	same_result(&a, &b);
	pcb_layer_list_free(&l);
}
END_TEST

START_TEST(test_evicted_blob_is_repacked)
{
	struct pcb_layer_result a, b;
	bool reused = false;
	char *bp;

	settle();
	pack(&a, &reused);
	bp = pcb_store_blob_path(store, a.digest);
	ck_assert_int_eq(unlink(bp), 0);
	/* The store's index may still list it; a read must then fail and the entry not be
	 * trusted. Either way the call has to give a blob that exists. */
	pack(&b, &reused);
	same_result(&a, &b);
	ck_assert_int_eq(access(bp, R_OK), 0);
	free(bp);
}
END_TEST

/* The app tree plus a staging tree under the store's tmp/ (as a build writes launchers). */
static void
pack_with_staging(const char *stage, struct pcb_layer_result *res, bool *reused)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 6 };
	struct pcb_err e;

	make_list(ctx, &l);
	ck_assert_msg(pcb_layer_list_add(&l, stage, ".", "opt/bin", NULL, NULL, &e) == 0, "%s",
	    e.msg);
	pcb_layer_list_finish(&l);
	ck_assert_msg(pcb_lcache_pack(store, &l, &o, NULL, res, reused, &e) == 0, "%s", e.msg);
	pcb_layer_list_free(&l);
}

START_TEST(test_fresh_staging_tree_hits_stat_key)
{
	char *s1 = pcb_path_join(tdir, "store/tmp/stage-1");
	char *s2 = pcb_path_join(tdir, "store/tmp/stage-2");
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, sx;
	bool reused = false;

	pcb_test_write(s1, "app", "#!/bin/sh\nexec python3 /app/main.py\n", 0755);
	pcb_test_write(s1, "helper", "#!/bin/sh\n", 0755);
	settle();
	pack_with_staging(s1, &a, &reused);
	ck_assert(!reused);
	/* The next build writes the same launchers afresh elsewhere: new paths, inodes, ctimes. */
	pcb_test_rmtree(s1);
	pcb_test_write(s2, "app", "#!/bin/sh\nexec python3 /app/main.py\n", 0755);
	pcb_test_write(s2, "helper", "#!/bin/sh\n", 0755);
	s0 = stats();
	pack_with_staging(s2, &b, &reused);
	sx = stats();
	ck_assert(reused);
	same_result(&a, &b);
	ck_assert_uint_eq(sx.stat_hits - s0.stat_hits, 1);
	ck_assert_uint_eq(sx.files_hashed - s0.files_hashed, 2);
	/* A launcher with other content is another layer. */
	pcb_test_write(s2, "helper", "#!/bin/bash\n", 0755);
	pack_with_staging(s2, &b, &reused);
	ck_assert(!reused);
	ck_assert_str_ne(a.digest, b.digest);
	free(s1);
	free(s2);
}
END_TEST

/* ---- concurrency ---- */

static atomic_int gate_passed;
static uint64_t waits_before;

/* The first packing thread holds its pack open until every other thread is waiting for it,
 * so the packs are known to overlap. */
static void
hold_until_others_wait(void *ud, uint64_t done, uint64_t total)
{
	int64_t deadline = pcb_monotonic_ms() + 20000;
	struct timespec nap = { 0, 1000000 };

	(void)ud;
	(void)done;
	(void)total;
	if (atomic_exchange(&gate_passed, 1) != 0)
		return;
	while (stats().waits - waits_before < NTHREADS - 1 && pcb_monotonic_ms() < deadline)
		nanosleep(&nap, NULL);
}

struct worker {
	pthread_t t;
	struct pcb_layer_result res;
	bool reused;
	int rc;
	char msg[PCB_ERR_MSG_MAX];
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 6,
	    .progress = hold_until_others_wait };
	struct pcb_err e;

	memset(&e, 0, sizeof e);
	make_list(ctx, &l);
	w->rc = pcb_lcache_pack(store, &l, &o, NULL, &w->res, &w->reused, &e);
	snprintf(w->msg, sizeof w->msg, "%s", e.msg);
	pcb_layer_list_free(&l);
	return NULL;
}

START_TEST(test_concurrent_packs_once)
{
	struct worker w[NTHREADS];
	struct pcb_lcache_stats s0, s1;
	char *blobs = pcb_path_join(tdir, "store/blobs/sha256");
	int n_reused = 0;

	settle();
	atomic_store(&gate_passed, 0);
	s0 = stats();
	waits_before = s0.waits;
	memset(w, 0, sizeof w);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&w[i].t, NULL, worker_main, &w[i]), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(w[i].t, NULL);
	s1 = stats();
	for (int i = 0; i < NTHREADS; i++) {
		ck_assert_msg(w[i].rc == 0, "worker %d: %s", i, w[i].msg);
		same_result(&w[0].res, &w[i].res);
		n_reused += w[i].reused;
	}
	ck_assert_uint_eq(s1.misses - s0.misses, 1);
	ck_assert_uint_eq(s1.waits - s0.waits, NTHREADS - 1);
	ck_assert_int_eq(n_reused, NTHREADS - 1);
	/* One set of blobs: the layer, nothing else. */
	ck_assert_int_eq(pcb_test_count_dir(blobs), 1);
	free(blobs);
}
END_TEST

/* ---- fingerprints.db ---- */

static long
fp_rows(void)
{
	char *path = pcb_path_join(tdir, "store/fingerprints.db");
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM fp", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return n;
}

static void
garbage_over(const char *path)
{
	char *tmp = pcb_xasprintf("%s.new", path);
	static const char junk[] = "this is not an SQLite database, not even close ............";
	char *big = pcb_xmalloc(8192);

	for (size_t i = 0; i < 8192; i++)
		big[i] = junk[i % (sizeof junk - 1)];
	ck_assert_int_eq(pcb_write_file_atomic(tmp, big, 8192, 0644, NULL), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
	free(big);
	free(tmp);
}

START_TEST(test_corrupt_db_before_use)
{
	char *path = pcb_path_join(tdir, "store/fingerprints.db");
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1;
	bool reused = false;

	garbage_over(path);
	settle();
	s0 = stats();
	pack(&a, &reused);
	s1 = stats();
	ck_assert(!reused);
	ck_assert_uint_ge(s1.fp_resets - s0.fp_resets, 1);
	ck_assert_int_eq(fp_rows(), 5);
	pack(&b, &reused);
	ck_assert(reused);
	same_result(&a, &b);
	free(path);
}
END_TEST

/* Scribbles over every byte of the database file in place (same inode) while this process
 * keeps it open, after moving everything out of the WAL into it: the next read sees garbage. */
static void
scribble_in_place(const char *path)
{
	sqlite3 *db = NULL;
	struct stat sb;
	char *junk;
	int fd;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	junk = pcb_xmalloc((size_t)sb.st_size);
	memset(junk, 0xa5, (size_t)sb.st_size);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pcb_write_all(fd, junk, (size_t)sb.st_size), 0);
	close(fd);
	free(junk);
}

START_TEST(test_corrupt_db_in_use)
{
	char *path = pcb_path_join(tdir, "store/fingerprints.db");
	char *p = file("main.py");
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 1600000000, 0 } };
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1;
	bool reused = false;

	settle();
	pack(&a, &reused);
	ck_assert_int_eq(fp_rows(), 5);
	scribble_in_place(path);
	/* Touch so that the stat key misses and the fingerprints are needed. */
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	settle();
	s0 = stats();
	pack(&b, &reused);
	s1 = stats();
	ck_assert(reused);
	same_result(&a, &b);
	ck_assert_uint_ge(s1.fp_resets - s0.fp_resets, 1);
	/* The fingerprints were lost: every file read again, and recorded again. */
	ck_assert_uint_eq(s1.files_hashed - s0.files_hashed, 5);
	ck_assert_int_eq(fp_rows(), 5);
	free(p);
	free(path);
}
END_TEST

START_TEST(test_racy_files_not_trusted)
{
	struct pcb_layer_result a, b;
	struct pcb_lcache_stats s0, s1;
	bool reused = false;

	/* Written just now and packed at once: usable for this build, but no stat key and no
	 * fingerprint may come of a file that could still change within the same clock tick.
	 * (If the clock ticked between, the files are simply settled: nothing to check.) */
	pcb_test_write(ctx, "fresh.py", "x = 1\n", 0644);
	pack(&a, &reused);
	ck_assert(!reused);
	s0 = stats();
	pack(&b, &reused);
	s1 = stats();
	ck_assert(reused);
	same_result(&a, &b);
	ck_assert_uint_eq(s1.stat_hits - s0.stat_hits + s1.content_hits - s0.content_hits, 1);
	settle();
	pack(&b, &reused);
	ck_assert(reused);
}
END_TEST

START_TEST(test_unlistable_list_reports_error)
{
	struct pcb_layer_list l;
	struct pcb_layer_result a;
	struct pcb_err e;
	bool reused = false;
	char *p = file("main.py");

	make_list(ctx, &l);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_ne(pcb_lcache_pack(store, &l, NULL, NULL, &a, &reused, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "main.py"));
	pcb_layer_list_free(&l);
	free(p);
}
END_TEST

/* The walk's lstat keys the layer: a no-op pack lstats nothing; a list whose entries do not
 * carry one (pcb_layer_list_add_entry without have_stat) is lstat'ed file by file and gets the
 * same stat key (a stat hit). */
START_TEST(test_walk_stat_used_no_lstat)
{
	struct pcb_layer_list l, m;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 6 };
	struct pcb_layer_result a, b, c;
	struct pcb_lcache_stats s0, s1, s2, s3;
	struct pcb_err e;
	bool reused = false;
	size_t files = 0;

	settle();
	make_list(ctx, &l);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].type == PCB_ENTRY_FILE) {
			ck_assert(l.v[i].have_stat);
			files++;
		}
	ck_assert_uint_eq(files, 5);
	s0 = stats();
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &a, &reused, &e), 0);
	ck_assert(!reused);
	s1 = stats();
	ck_assert_uint_eq(s1.files_lstat, s0.files_lstat);
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &b, &reused, &e), 0);
	ck_assert(reused);
	s2 = stats();
	ck_assert_uint_eq(s2.files_lstat, s1.files_lstat);
	ck_assert_uint_eq(s2.stat_hits - s1.stat_hits, 1);
	same_result(&a, &b);

	/* The same entries without the walk's stat. */
	pcb_layer_list_init(&m);
	for (size_t i = 0; i < l.n; i++) {
		struct pcb_layer_entry x = l.v[i];
		x.have_stat = false;
		x.mtime_ns = x.ctime_ns = 0;
		x.host_mode = 0;
		pcb_layer_list_add_entry(&m, &x);
	}
	pcb_layer_list_finish(&m);
	ck_assert_int_eq(pcb_lcache_pack(store, &m, &o, NULL, &c, &reused, &e), 0);
	s3 = stats();
	ck_assert(reused);
	ck_assert_uint_eq(s3.files_lstat - s2.files_lstat, files);
	ck_assert_uint_eq(s3.stat_hits - s2.stat_hits, 1);
	same_result(&a, &c);
	pcb_layer_list_free(&l);
	pcb_layer_list_free(&m);
}
END_TEST

/* An entry whose carried stat says "not a regular file" (a symlink's, say, left on an entry
 * turned into a file) is not trusted: the cache lstats it. */
START_TEST(test_foreign_stat_not_trusted)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o = { .mtime = MTIME, .gzip_level = 6 };
	struct pcb_layer_result a;
	struct pcb_lcache_stats s0, s1;
	struct pcb_err e;
	bool reused = false;

	settle();
	make_list(ctx, &l);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].type == PCB_ENTRY_FILE && strcmp(l.v[i].path, "app/main.py") == 0)
			l.v[i].host_mode = S_IFLNK | 0777;
	s0 = stats();
	ck_assert_int_eq(pcb_lcache_pack(store, &l, &o, NULL, &a, &reused, &e), 0);
	s1 = stats();
	ck_assert_uint_eq(s1.files_lstat - s0.files_lstat, 1);
	pcb_layer_list_free(&l);
}
END_TEST

static Suite *
lcache_suite(void)
{
	Suite *s = suite_create("lcache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_noop_reads_nothing);
	tcase_add_test(tc, test_content_change_with_stat_restored);
	tcase_add_test(tc, test_mode_change);
	tcase_add_test(tc, test_presence_and_rename);
	tcase_add_test(tc, test_removed_file);
	tcase_add_test(tc, test_touch_reads_one_file);
	tcase_add_test(tc, test_copied_tree);
	tcase_add_test(tc, test_salt);
	tcase_add_test(tc, test_other_options);
	tcase_add_test(tc, test_evicted_blob_is_repacked);
	tcase_add_test(tc, test_fresh_staging_tree_hits_stat_key);
	tcase_add_test(tc, test_concurrent_packs_once);
	tcase_add_test(tc, test_corrupt_db_before_use);
	tcase_add_test(tc, test_corrupt_db_in_use);
	tcase_add_test(tc, test_racy_files_not_trusted);
	tcase_add_test(tc, test_unlistable_list_reports_error);
	tcase_add_test(tc, test_walk_stat_used_no_lstat);
	tcase_add_test(tc, test_foreign_stat_not_trusted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(lcache_suite());
}
