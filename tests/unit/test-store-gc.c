/* test-store-gc.c — keeping the store healthy: the collection never removes a pinned blob, a
 * blob reachable from a tag (through an index too) or a recently used one, removes the others
 * least recently used first until under the limit, takes layer_cache rows with their blob;
 * verify finds and repairs truncated, flipped-bit, missing and unindexed blobs; the size and
 * duration parsers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/util.h"
#include "image/store.h"
#include "testutil.h"

#define HOUR_MS ((int64_t)3600 * 1000)

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
}

/* A blob of n bytes whose content depends on seed. */
static void
put_blob(int seed, size_t n, const char *mt, char digest[PCB_DIGEST_BUFSZ])
{
	char *data = pcb_xmalloc(n);
	struct pcb_err e;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + (seed * 7 + (int)i) % 26);
	if (n >= 8) {
		char tag[16];
		snprintf(tag, sizeof tag, "%07d", seed % 10000000);
		memcpy(data, tag, 7);
	}
	ck_assert_msg(pcb_store_put(store, data, n, mt, digest, &e) == 0, "%s", e.msg);
	free(data);
}

static void
put_text(const char *text, const char *mt, char digest[PCB_DIGEST_BUFSZ])
{
	struct pcb_err e;

	ck_assert_msg(pcb_store_put(store, text, strlen(text), mt, digest, &e) == 0, "%s", e.msg);
}

/* Sets a blob's last use to `ago_ms` before now, through a second connection. */
static void
set_used(const char *digest, int64_t ago_ms)
{
	char *path = pcb_path_join(pcb_store_root(store), "store.db");
	char *sql = pcb_xasprintf("UPDATE blobs SET last_used_ms = %lld, created_ms = %lld "
	    "WHERE digest = '%s'", (long long)(pcb_now_ms() - ago_ms),
	    (long long)(pcb_now_ms() - ago_ms), digest);
	sqlite3 *db = NULL;

	ck_assert(sqlite3_open(path, &db) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s",
	    sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_changes(db), 1);
	sqlite3_close(db);
	free(sql);
	free(path);
}

static bool
has_file(const char *digest)
{
	char *p = pcb_store_blob_path(store, digest);
	bool r = access(p, F_OK) == 0;

	free(p);
	return r;
}

static bool
has_row(const char *digest)
{
	struct pcb_err e;

	/* stat also wants the file; a row without one answers ENOENT with another message. */
	return pcb_store_stat(store, digest, NULL, NULL, &e) == 0;
}

static bool
present(const char *digest)
{
	return has_file(digest) && has_row(digest);
}

static int
count_blob_files(void)
{
	char *p = pcb_path_join(pcb_store_root(store), "blobs/sha256");
	int n = pcb_test_count_dir(p);

	free(p);
	return n;
}

static void
run_gc(const struct pcb_store_gc_opts *o, struct pcb_store_gc_report *r)
{
	struct pcb_err e;

	ck_assert_msg(pcb_store_gc(store, o, r, &e) == 0, "%s", e.msg);
}

/* Old unreferenced blobs go least recently used first, and only until under the limit. */
START_TEST(test_lru_until_limit)
{
	char d[5][PCB_DIGEST_BUFSZ];
	struct pcb_store_gc_opts o = { .until_limit = true, .max_bytes = 2500,
	    .keep_ms = HOUR_MS };
	struct pcb_store_gc_report r;

	for (int i = 0; i < 5; i++)
		put_blob(i, 1000, "application/vnd.pypa.wheel+zip", d[i]);
	/* Use order, oldest first: 3, 0, 4, 1; 2 is recent. */
	set_used(d[3], 5 * HOUR_MS);
	set_used(d[0], 4 * HOUR_MS);
	set_used(d[4], 3 * HOUR_MS);
	set_used(d[1], 2 * HOUR_MS);
	run_gc(&o, &r);
	ck_assert_uint_eq(r.before.bytes, 5000);
	ck_assert_uint_eq(r.need_bytes, 2500);
	ck_assert_uint_eq(r.removed.blobs, 3);
	ck_assert_uint_eq(r.removed.bytes, 3000);
	ck_assert(r.limit_met);
	ck_assert(!has_file(d[3]) && !has_row(d[3]));
	ck_assert(!has_file(d[0]) && !has_row(d[0]));
	ck_assert(!has_file(d[4]) && !has_row(d[4]));
	ck_assert(present(d[1]));
	ck_assert(present(d[2]));
	ck_assert_uint_eq(r.kept_spare.blobs, 1);      /* d[1]: eligible, not needed */
	ck_assert_uint_eq(r.kept_recent.blobs, 1);     /* d[2] */
	ck_assert_int_eq(count_blob_files(), 2);

	/* Within the limit now: an automatic run removes nothing. */
	run_gc(&o, &r);
	ck_assert_uint_eq(r.need_bytes, 0);
	ck_assert_uint_eq(r.removed.blobs, 0);
	ck_assert(r.limit_met);
}
END_TEST

/* Referenced (tag → index → manifest → config + layers), pinned and recent blobs stay, even
 * with `all`; the index's absent layer is no problem. */
START_TEST(test_never_referenced_pinned_recent)
{
	char cfg[PCB_DIGEST_BUFSZ], layer[PCB_DIGEST_BUFSZ], man[PCB_DIGEST_BUFSZ];
	char idx[PCB_DIGEST_BUFSZ], man2[PCB_DIGEST_BUFSZ], cfg2[PCB_DIGEST_BUFSZ];
	char pinned[PCB_DIGEST_BUFSZ], old[PCB_DIGEST_BUFSZ], young[PCB_DIGEST_BUFSZ];
	char absent[PCB_DIGEST_BUFSZ];
	char *text;
	struct pcb_store_gc_opts o = { .keep_ms = HOUR_MS };
	struct pcb_store_gc_report r;
	struct pcb_err e;

	put_blob(1, 500, "application/vnd.oci.image.config.v1+json", cfg);
	put_blob(2, 5000, "application/vnd.oci.image.layer.v1.tar+gzip", layer);
	pcb_sha256_buf("not stored", 10, absent);
	text = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image."
	    "manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"%s\",\"size\":500},\"layers\":[{\"mediaType\":\"application/vnd.oci.image."
	    "layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":5000},{\"mediaType\":\"application/vnd."
	    "oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":10}]}", cfg, layer, absent);
	put_text(text, "application/vnd.oci.image.manifest.v1+json", man);
	free(text);
	/* A Docker v2 manifest in the same index. */
	put_blob(3, 400, "application/vnd.docker.container.image.v1+json", cfg2);
	text = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker."
	    "distribution.manifest.v2+json\",\"config\":{\"digest\":\"%s\",\"size\":400},"
	    "\"layers\":[]}", cfg2);
	put_text(text, "application/vnd.docker.distribution.manifest.v2+json", man2);
	free(text);
	text = pcb_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index."
	    "v1+json\",\"manifests\":[{\"digest\":\"%s\",\"size\":1},{\"digest\":\"%s\",\"size\":1}]}",
	    man, man2);
	put_text(text, "application/vnd.oci.image.index.v1+json", idx);
	free(text);
	ck_assert_msg(pcb_store_tag_set(store, "app:1", idx, &e) == 0, "%s", e.msg);
	put_blob(4, 300, "application/vnd.pypa.wheel+zip", pinned);
	put_blob(5, 300, "application/vnd.pypa.wheel+zip", old);
	put_blob(6, 300, "application/vnd.pypa.wheel+zip", young);
	for (const char *const *d = (const char *const[]){ cfg, layer, man, idx, man2, cfg2,
	    pinned, old, NULL }; *d != NULL; d++)
		set_used(*d, 10 * HOUR_MS);
	ck_assert_int_eq(pcb_store_pin(store, pinned), 0);
	ck_assert_int_eq(pcb_store_pin(store, pinned), 0);   /* pins nest */
	ck_assert_uint_eq(pcb_store_pin_count(store, pinned), 2);
	ck_assert_int_eq(pcb_store_pin(store, "sha256:nope"), PCB_EINVAL);

	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 1);
	ck_assert(!has_file(old) && !has_row(old));
	ck_assert_uint_eq(r.kept_referenced.blobs, 6);
	ck_assert_uint_eq(r.kept_pinned.blobs, 1);
	ck_assert_uint_eq(r.kept_recent.blobs, 1);
	for (const char *const *d = (const char *const[]){ cfg, layer, man, idx, man2, cfg2,
	    pinned, young, NULL }; *d != NULL; d++)
		ck_assert_msg(present(*d), "%s was removed", *d);

	/* all: age no longer protects, pins and tags still do. */
	o.all = true;
	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 1);
	ck_assert(!present(young));
	ck_assert(present(pinned));
	pcb_store_unpin(store, pinned);
	run_gc(&o, &r);
	ck_assert(present(pinned));                  /* one pin left */
	pcb_store_unpin(store, pinned);
	ck_assert_uint_eq(pcb_store_pin_count(store, pinned), 0);
	run_gc(&o, &r);
	ck_assert(!present(pinned));
	for (const char *const *d = (const char *const[]){ cfg, layer, man, idx, man2, cfg2,
	    NULL }; *d != NULL; d++)
		ck_assert_msg(present(*d), "%s was removed", *d);

	/* Over a limit only tagged blobs could meet: they stay, and the report says why. */
	o.all = false;
	o.until_limit = true;
	o.max_bytes = 100;
	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 0);
	ck_assert(!r.limit_met);
	ck_assert_msg(strstr(r.reason, "tagged images are never evicted") != NULL, "%s", r.reason);

	/* Untagged (the tag moves away), the whole image may go. */
	ck_assert(pcb_store_tag_set(store, "app:1", absent, &e) == 0);
	o.until_limit = false;
	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 6);
	ck_assert_int_eq(count_blob_files(), 0);
}
END_TEST

/* A blob used after protect_since (a running job started then) stays; dry_run removes
 * nothing. */
START_TEST(test_protect_since_and_dry_run)
{
	char a[PCB_DIGEST_BUFSZ], b[PCB_DIGEST_BUFSZ];
	struct pcb_store_gc_opts o = { .all = true };
	struct pcb_store_gc_report r;

	put_blob(1, 100, NULL, a);
	put_blob(2, 100, NULL, b);
	set_used(a, 3 * HOUR_MS);
	set_used(b, 1 * HOUR_MS);
	o.protect_since_ms = pcb_now_ms() - 2 * HOUR_MS;
	o.dry_run = true;
	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 1);
	ck_assert(present(a) && present(b));
	o.dry_run = false;
	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 1);
	ck_assert(!present(a));
	ck_assert(present(b));
}
END_TEST

/* layer_cache rows leave with their blob; rows of kept blobs stay. */
START_TEST(test_layer_cache_rows_follow)
{
	char gone[PCB_DIGEST_BUFSZ], kept[PCB_DIGEST_BUFSZ];
	struct pcb_store_gc_opts o = { .keep_ms = HOUR_MS };
	struct pcb_store_gc_report r;
	struct pcb_err e;
	char *v = NULL;

	put_blob(1, 100, "application/vnd.oci.image.layer.v1.tar+gzip", gone);
	put_blob(2, 100, "application/vnd.oci.image.layer.v1.tar+gzip", kept);
	ck_assert(pcb_store_cache_set(store, "key-gone", gone, "{}", &e) == 0);
	ck_assert(pcb_store_cache_set(store, "key-gone-2", gone, "{}", &e) == 0);
	ck_assert(pcb_store_cache_set(store, "key-kept", kept, "{\"k\":1}", &e) == 0);
	set_used(gone, 2 * HOUR_MS);
	set_used(kept, 2 * HOUR_MS);
	/* A cache hit is a use of the blob: it is no longer old. */
	ck_assert(pcb_store_cache_get(store, "key-kept", &v, &e) == 0);
	ck_assert_str_eq(v, "{\"k\":1}");
	free(v);
	run_gc(&o, &r);
	ck_assert_uint_eq(r.removed.blobs, 1);
	ck_assert_uint_eq(r.layer_cache_removed, 2);
	ck_assert_int_eq(pcb_store_cache_get(store, "key-gone", &v, &e), PCB_ENOENT);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(pcb_store_cache_get(store, "key-gone-2", &v, &e), PCB_ENOENT);
	ck_assert(pcb_store_cache_get(store, "key-kept", &v, &e) == 0);
	free(v);
	ck_assert(present(kept));
}
END_TEST

/* A crash between the row removal and the unlink leaves an unindexed file: the sweep removes
 * it once older than keep; a fresh one (a commit in flight) stays. */
START_TEST(test_sweep_unindexed)
{
	char oldd[PCB_DIGEST_BUFSZ], fresh[PCB_DIGEST_BUFSZ];
	char *p;
	struct timespec ts[2];
	struct pcb_store_gc_opts o = { .keep_ms = HOUR_MS, .sweep_unindexed = true };
	struct pcb_store_gc_report r;

	pcb_sha256_buf("old orphan", 10, oldd);
	pcb_sha256_buf("new orphan", 10, fresh);
	p = pcb_store_blob_path(store, oldd);
	pcb_test_write(tdir, p + strlen(tdir) + 1, "old orphan", 0444);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 7200;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	ck_assert(utimensat(AT_FDCWD, p, ts, 0) == 0);
	free(p);
	p = pcb_store_blob_path(store, fresh);
	pcb_test_write(tdir, p + strlen(tdir) + 1, "new orphan", 0444);
	free(p);
	run_gc(&o, &r);
	ck_assert_uint_eq(r.unindexed_removed, 1);
	ck_assert(!has_file(oldd));
	ck_assert(has_file(fresh));
}
END_TEST

static const struct pcb_store_problem *
find_problem(const struct pcb_store_verify_report *r, const char *digest)
{
	for (size_t i = 0; i < r->n_bad; i++)
		if (strcmp(r->bad[i].digest, digest) == 0)
			return &r->bad[i];
	return NULL;
}

static void
progress_cb(void *ud, uint64_t done, uint64_t total)
{
	int *calls = ud;

	ck_assert(done <= total);
	(*calls)++;
}

/* Truncated, flipped-bit, missing and unindexed (good and bad) blobs: found, then repaired. */
START_TEST(test_verify_repairs)
{
	char trunc[PCB_DIGEST_BUFSZ], flip[PCB_DIGEST_BUFSZ], miss[PCB_DIGEST_BUFSZ];
	char good[PCB_DIGEST_BUFSZ], orphan[PCB_DIGEST_BUFSZ], bad_orphan[PCB_DIGEST_BUFSZ];
	const struct pcb_store_problem *p;
	struct pcb_store_verify_report r;
	struct pcb_err e;
	char *path, *v = NULL;
	uint64_t size = 0;
	char *mt = NULL;
	int fd, calls = 0;
	unsigned char c;

	put_blob(1, 4000, "application/vnd.oci.image.layer.v1.tar+gzip", trunc);
	put_blob(2, 4000, "application/vnd.oci.image.layer.v1.tar+gzip", flip);
	put_blob(3, 4000, "application/vnd.pypa.wheel+zip", miss);
	put_blob(4, 4000, "application/vnd.pypa.wheel+zip", good);
	ck_assert(pcb_store_cache_set(store, "flip-key", flip, "{}", &e) == 0);

	path = pcb_store_blob_path(store, trunc);
	ck_assert(chmod(path, 0644) == 0 && truncate(path, 1000) == 0);
	free(path);
	path = pcb_store_blob_path(store, flip);
	ck_assert(chmod(path, 0644) == 0);
	fd = open(path, O_RDWR);
	ck_assert(fd >= 0);
	ck_assert(pread(fd, &c, 1, 2000) == 1);
	c ^= 0x10;
	ck_assert(pwrite(fd, &c, 1, 2000) == 1);
	close(fd);
	free(path);
	path = pcb_store_blob_path(store, miss);
	ck_assert(unlink(path) == 0);
	free(path);
	pcb_sha256_buf("an orphan blob", 14, orphan);
	path = pcb_store_blob_path(store, orphan);
	pcb_test_write(tdir, path + strlen(tdir) + 1, "an orphan blob", 0444);
	free(path);
	pcb_sha256_buf("what the name says", 18, bad_orphan);
	path = pcb_store_blob_path(store, bad_orphan);
	pcb_test_write(tdir, path + strlen(tdir) + 1, "something else", 0444);
	free(path);

	/* Looking only. */
	ck_assert_msg(pcb_store_verify(store, false, NULL, progress_cb, &calls, &r, &e) == 0,
	    "%s", e.msg);
	ck_assert_int_gt(calls, 0);
	ck_assert_uint_eq(r.checked, 6);
	ck_assert_uint_eq(r.n_bad, 5);
	ck_assert_uint_eq(r.repaired, 0);
	ck_assert((p = find_problem(&r, trunc)) != NULL);
	ck_assert_str_eq(p->problem, "truncated");
	ck_assert_uint_eq(p->file_size, 1000);
	ck_assert_uint_eq(p->indexed_size, 4000);
	ck_assert((p = find_problem(&r, flip)) != NULL);
	ck_assert_str_eq(p->problem, "corrupt");
	ck_assert((p = find_problem(&r, miss)) != NULL);
	ck_assert_str_eq(p->problem, "missing");
	ck_assert((p = find_problem(&r, orphan)) != NULL);
	ck_assert_str_eq(p->problem, "unindexed");
	ck_assert((p = find_problem(&r, bad_orphan)) != NULL);
	ck_assert_str_eq(p->problem, "corrupt");
	ck_assert(find_problem(&r, good) == NULL);
	ck_assert(has_file(trunc) && has_file(flip));
	pcb_store_verify_report_free(&r);

	/* Repairing. */
	ck_assert_msg(pcb_store_verify(store, true, NULL, NULL, NULL, &r, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(r.n_bad, 5);
	ck_assert_uint_eq(r.repaired, 5);
	ck_assert_uint_eq(r.layer_cache_removed, 1);
	for (size_t i = 0; i < r.n_bad; i++)
		ck_assert_msg(r.bad[i].repaired, "%s not repaired", r.bad[i].digest);
	pcb_store_verify_report_free(&r);
	ck_assert(!has_file(trunc) && !has_row(trunc));
	ck_assert(!has_file(flip) && !has_row(flip));
	ck_assert(!has_row(miss));
	ck_assert(!has_file(bad_orphan));
	ck_assert(present(orphan));
	ck_assert(pcb_store_stat(store, orphan, &size, &mt, &e) == 0);
	ck_assert_uint_eq(size, 14);
	ck_assert_ptr_null(mt);
	ck_assert(present(good));
	ck_assert_int_eq(pcb_store_cache_get(store, "flip-key", &v, &e), PCB_ENOENT);

	/* A damaged blob written again is whole again. */
	put_blob(1, 4000, "application/vnd.oci.image.layer.v1.tar+gzip", trunc);
	ck_assert(present(trunc));

	/* Clean now. */
	ck_assert(pcb_store_verify(store, true, NULL, NULL, NULL, &r, &e) == 0);
	ck_assert_uint_eq(r.n_bad, 0);
	ck_assert_uint_eq(r.checked, 3);
	pcb_store_verify_report_free(&r);
}
END_TEST

START_TEST(test_verify_cancel)
{
	char d[PCB_DIGEST_BUFSZ];
	struct pcb_store_verify_report r;
	struct pcb_err e;
	atomic_int cancel;

	put_blob(1, 100, NULL, d);
	atomic_init(&cancel, 1);
	ck_assert_int_eq(pcb_store_verify(store, true, &cancel, NULL, NULL, &r, &e), PCB_ECANCELED);
	pcb_store_verify_report_free(&r);
	ck_assert(present(d));
}
END_TEST

START_TEST(test_usage_and_entries)
{
	char w[PCB_DIGEST_BUFSZ], l[PCB_DIGEST_BUFSZ], m[PCB_DIGEST_BUFSZ];
	struct pcb_store_usage u;
	struct pcb_store_entry *ent = NULL;
	size_t n = 0;
	uint64_t total = 0;
	struct pcb_err e;
	char *text;

	put_blob(1, 3000, "application/vnd.pypa.wheel+zip", w);
	put_blob(2, 1000, "application/vnd.oci.image.layer.v1.tar+gzip", l);
	text = pcb_xasprintf("{\"layers\":[{\"digest\":\"%s\"}]}", l);
	put_text(text, "application/vnd.oci.image.manifest.v1+json", m);
	ck_assert(pcb_store_tag_set(store, "x:1", m, &e) == 0);
	set_used(l, HOUR_MS);
	ck_assert(pcb_store_pin(store, w) == 0);
	ck_assert_msg(pcb_store_usage(store, &u, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(u.total.blobs, 3);
	ck_assert_uint_eq(u.total.bytes, 4000 + strlen(text));
	ck_assert_uint_eq(u.by_kind[PCB_STORE_KIND_WHEEL].bytes, 3000);
	ck_assert_uint_eq(u.by_kind[PCB_STORE_KIND_LAYER].blobs, 1);
	ck_assert_uint_eq(u.by_kind[PCB_STORE_KIND_MANIFEST].blobs, 1);
	ck_assert_uint_eq(u.referenced.blobs, 2);
	ck_assert_uint_eq(u.pinned.bytes, 3000);
	ck_assert_uint_eq(u.tags, 1);
	ck_assert_uint_gt(u.free_bytes, 0);

	ck_assert(pcb_store_entries(store, PCB_STORE_SORT_SIZE, 2, &ent, &n, &total, &e) == 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(total, 3);
	ck_assert_str_eq(ent[0].digest, w);
	ck_assert(!ent[0].referenced);
	ck_assert_uint_eq(ent[0].pins, 1);
	ck_assert_str_eq(ent[0].media_type, "application/vnd.pypa.wheel+zip");
	pcb_store_entries_free(ent, n);
	ck_assert(pcb_store_entries(store, PCB_STORE_SORT_LRU, 10, &ent, &n, NULL, &e) == 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ent[0].digest, l);     /* least recently used first */
	ck_assert(ent[0].referenced);
	pcb_store_entries_free(ent, n);
	pcb_store_unpin(store, w);
	free(text);
}
END_TEST

START_TEST(test_parsers)
{
	uint64_t v = 0;
	int64_t ms = 0;
	struct pcb_err e;

	ck_assert(pcb_store_parse_size("0", &v, &e) == 0 && v == 0);
	ck_assert(pcb_store_parse_size("512", &v, &e) == 0 && v == 512);
	ck_assert(pcb_store_parse_size("20G", &v, &e) == 0 && v == (uint64_t)20 << 30);
	ck_assert(pcb_store_parse_size("512MiB", &v, &e) == 0 && v == (uint64_t)512 << 20);
	ck_assert(pcb_store_parse_size("3k", &v, &e) == 0 && v == 3072);
	ck_assert(pcb_store_parse_size("1TB", &v, &e) == 0 && v == (uint64_t)1 << 40);
	ck_assert_int_eq(pcb_store_parse_size("", &v, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_size("-1G", &v, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_size("1.5G", &v, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_size("5X", &v, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_size("99999999999T", &v, &e), PCB_EINVAL);
	ck_assert(strstr(e.msg, "99999999999T") != NULL);
	ck_assert(pcb_store_parse_duration("90", &ms, &e) == 0 && ms == 90000);
	ck_assert(pcb_store_parse_duration("90s", &ms, &e) == 0 && ms == 90000);
	ck_assert(pcb_store_parse_duration("2m", &ms, &e) == 0 && ms == 120000);
	ck_assert(pcb_store_parse_duration("1h", &ms, &e) == 0 && ms == HOUR_MS);
	ck_assert(pcb_store_parse_duration("7d", &ms, &e) == 0 && ms == 7 * 24 * HOUR_MS);
	ck_assert(pcb_store_parse_duration("0", &ms, &e) == 0 && ms == 0);
	ck_assert_int_eq(pcb_store_parse_duration("1w", &ms, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_duration("h", &ms, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_duration("1hh", &ms, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_parse_duration("99999999999999d", &ms, &e), PCB_EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store-gc");
	TCase *tc = tcase_create("store-gc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lru_until_limit);
	tcase_add_test(tc, test_never_referenced_pinned_recent);
	tcase_add_test(tc, test_protect_since_and_dry_run);
	tcase_add_test(tc, test_layer_cache_rows_follow);
	tcase_add_test(tc, test_sweep_unindexed);
	tcase_add_test(tc, test_verify_repairs);
	tcase_add_test(tc, test_verify_cancel);
	tcase_add_test(tc, test_usage_and_entries);
	tcase_add_test(tc, test_parsers);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
