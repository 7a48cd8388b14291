/* test-store.c — the content-addressed blob store: writes, verification, export, tags,
 * persistence, temp-file hygiene, full disks and concurrent writers. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "image/store.h"
#include "testutil.h"

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

static int
count_tmp(void)
{
	char *p = pcb_path_join(pcb_store_root(store), "tmp");
	int n = pcb_test_count_dir(p);
	free(p);
	return n;
}

START_TEST(test_put_read_roundtrip)
{
	static const char data[] = "hello, blob store\n";
	char digest[PCB_DIGEST_BUFSZ], want[PCB_DIGEST_BUFSZ];
	char *out = NULL, *cmd_out = NULL, *path;
	size_t len = 0;
	struct pcb_err e;
	struct stat st;

	ck_assert_msg(pcb_store_put(store, data, strlen(data), "text/plain", digest, &e) == 0,
	    "%s", e.msg);
	pcb_sha256_buf(data, strlen(data), want);
	ck_assert_str_eq(digest, want);
	ck_assert_msg(pcb_store_read(store, digest, 1024, &out, &len, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(len, strlen(data));
	ck_assert_mem_eq(out, data, len);
	free(out);

	/* The file on disk hashes to its name, as sha256sum sees it. */
	path = pcb_store_blob_path(store, digest);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0444);
	ck_assert_int_eq(pcb_test_runf(&cmd_out, "sha256sum '%s'", path), 0);
	ck_assert_msg(strncmp(cmd_out, digest + 7, 64) == 0, "sha256sum says %s, digest %s",
	    cmd_out, digest);
	free(cmd_out);
	free(path);
	ck_assert_int_eq(count_tmp(), 0);

	/* Reads are bounded. */
	ck_assert_int_eq(pcb_store_read(store, digest, 4, &out, &len, &e), PCB_ETOOBIG);
	/* Unknown and malformed digests. */
	ck_assert_int_eq(pcb_store_read(store, "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	    1024, &out, &len, &e), PCB_ENOENT);
	ck_assert_int_eq(pcb_store_read(store, "sha256:../../etc/passwd", 1024, &out, &len, &e),
	    PCB_EINVAL);
}
END_TEST

START_TEST(test_read_detects_damage)
{
	char digest[PCB_DIGEST_BUFSZ];
	char *out = NULL, *path;
	size_t len;
	struct pcb_err e;

	ck_assert_int_eq(pcb_store_put(store, "abc", 3, NULL, digest, &e), 0);
	path = pcb_store_blob_path(store, digest);
	ck_assert_int_eq(chmod(path, 0644), 0);
	pcb_test_write("/", path, "abd", 0444);
	ck_assert_int_eq(pcb_store_read(store, digest, 1024, &out, &len, &e), PCB_ECORRUPT);
	ck_assert_msg(strstr(e.msg, digest) != NULL, "%s", e.msg);
	free(path);
}
END_TEST

START_TEST(test_writer_streaming_and_mismatch)
{
	struct pcb_blob_writer *w;
	char digest[PCB_DIGEST_BUFSZ], want[PCB_DIGEST_BUFSZ];
	const char *bad = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
	size_t n = (3u << 20) + 12345;   /* crosses the 1 MiB buffer several times */
	char *big = pcb_xmalloc(n), *path;
	uint64_t size = 0;
	struct pcb_err e;
	struct stat st;

	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i * 7 + i / 4096);
	pcb_sha256_buf(big, n, want);

	/* Expected digest given and matching: mixed small and big writes. */
	ck_assert_int_eq(pcb_store_writer_create(store, &w, &e), 0);
	ck_assert_int_eq(pcb_blob_writer_write(w, big, 10, &e), 0);
	ck_assert_int_eq(pcb_blob_writer_write(w, big + 10, (2u << 20), &e), 0);
	ck_assert_int_eq(pcb_blob_writer_write(w, big + 10 + (2u << 20), n - 10 - (2u << 20), &e), 0);
	ck_assert_msg(pcb_blob_writer_commit(w, "application/octet-stream", want, digest, &size,
	    &e) == 0, "%s", e.msg);
	ck_assert_str_eq(digest, want);
	ck_assert_uint_eq(size, n);

	/* Mismatch: PCB_ECORRUPT naming both digests, nothing stored or indexed. */
	big[0] ^= 1;
	pcb_sha256_buf(big, n, want);
	ck_assert_int_eq(pcb_store_writer_create(store, &w, &e), 0);
	ck_assert_int_eq(pcb_blob_writer_write(w, big, n, &e), 0);
	ck_assert_int_eq(pcb_blob_writer_commit(w, NULL, bad, digest, &size, &e), PCB_ECORRUPT);
	ck_assert_msg(strstr(e.msg, bad) != NULL && strstr(e.msg, want) != NULL, "%s", e.msg);
	ck_assert_int_eq(pcb_store_stat(store, want, NULL, NULL, &e), PCB_ENOENT);
	ck_assert_int_eq(pcb_store_stat(store, bad, NULL, NULL, &e), PCB_ENOENT);
	path = pcb_store_blob_path(store, want);
	ck_assert_int_eq(lstat(path, &st), -1);
	free(path);
	ck_assert_int_eq(count_tmp(), 0);

	/* Abort leaves nothing either. */
	ck_assert_int_eq(pcb_store_writer_create(store, &w, &e), 0);
	ck_assert_int_eq(pcb_blob_writer_write(w, big, 100, &e), 0);
	ck_assert_int_eq(count_tmp(), 1);
	pcb_blob_writer_abort(w);
	ck_assert_int_eq(count_tmp(), 0);
	free(big);
}
END_TEST

START_TEST(test_idempotent_put_and_stat)
{
	char d1[PCB_DIGEST_BUFSZ], d2[PCB_DIGEST_BUFSZ];
	char *mt = NULL, *blobs;
	uint64_t size = 0;
	struct pcb_err e;

	ck_assert_int_eq(pcb_store_put(store, "{}", 2, "application/vnd.oci.image.config.v1+json",
	    d1, &e), 0);
	ck_assert_int_eq(pcb_store_put(store, "{}", 2, "application/vnd.oci.image.config.v1+json",
	    d2, &e), 0);
	ck_assert_str_eq(d1, d2);
	blobs = pcb_path_join(pcb_store_root(store), "blobs/sha256");
	ck_assert_int_eq(pcb_test_count_dir(blobs), 1);
	free(blobs);
	ck_assert_int_eq(count_tmp(), 0);
	ck_assert_msg(pcb_store_stat(store, d1, &size, &mt, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(size, 2);
	ck_assert_str_eq(mt, "application/vnd.oci.image.config.v1+json");
	free(mt);
	ck_assert_int_eq(pcb_store_touch(store, d1, &e), 0);
	ck_assert_int_eq(pcb_store_touch(store,
	    "sha256:2222222222222222222222222222222222222222222222222222222222222222", &e),
	    PCB_ENOENT);
	/* A NULL media type on re-put does not erase the recorded one. */
	ck_assert_int_eq(pcb_store_put(store, "{}", 2, NULL, d2, &e), 0);
	ck_assert_int_eq(pcb_store_stat(store, d1, NULL, &mt, &e), 0);
	ck_assert_str_eq(mt, "application/vnd.oci.image.config.v1+json");
	free(mt);
}
END_TEST

START_TEST(test_export_hardlink)
{
	char digest[PCB_DIGEST_BUFSZ];
	char *dst = pcb_path_join(tdir, "out-blob"), *path, *content;
	struct stat a, b;
	struct pcb_err e;

	ck_assert_int_eq(pcb_store_put(store, "layer bytes", 11, NULL, digest, &e), 0);
	ck_assert_msg(pcb_store_export(store, digest, dst, &e) == 0, "%s", e.msg);
	path = pcb_store_blob_path(store, digest);
	ck_assert_int_eq(stat(path, &a), 0);
	ck_assert_int_eq(stat(dst, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	/* Again: kept as is. */
	ck_assert_int_eq(pcb_store_export(store, digest, dst, &e), 0);
	ck_assert_int_eq(stat(dst, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	/* A wrong-sized file at dst is replaced. */
	ck_assert_int_eq(unlink(dst), 0);
	pcb_test_write(tdir, "out-blob", "short", 0644);
	ck_assert_int_eq(pcb_store_export(store, digest, dst, &e), 0);
	content = pcb_test_read(dst, NULL);
	ck_assert_str_eq(content, "layer bytes");
	free(content);
	ck_assert_int_eq(pcb_store_export(store,
	    "sha256:3333333333333333333333333333333333333333333333333333333333333333", dst, &e),
	    PCB_ENOENT);
	free(path);
	free(dst);
}
END_TEST

START_TEST(test_export_copy)
{
	char digest[PCB_DIGEST_BUFSZ], want[PCB_DIGEST_BUFSZ];
	char *other, *dst, *path, *content;
	struct stat a, b, sd, st;
	struct pcb_err e;
	size_t len;

	if (stat("/dev/shm", &sd) != 0 || stat(tdir, &st) != 0 || sd.st_dev == st.st_dev) {
		fprintf(stderr, "test_export_copy: skipped, no /dev/shm on another filesystem\n");
		return;
	}
	other = pcb_xstrdup("/dev/shm/pcbtest-XXXXXX");
	ck_assert(mkdtemp(other) != NULL);
	dst = pcb_path_join(other, "blob");
	ck_assert_int_eq(pcb_store_put(store, "copied bytes", 12, NULL, digest, &e), 0);
	ck_assert_msg(pcb_store_export(store, digest, dst, &e) == 0, "%s", e.msg);
	path = pcb_store_blob_path(store, digest);
	ck_assert_int_eq(stat(path, &a), 0);
	ck_assert_int_eq(stat(dst, &b), 0);
	ck_assert(a.st_dev != b.st_dev);
	content = pcb_test_read(dst, &len);
	ck_assert_uint_eq(len, 12);
	pcb_sha256_buf(content, len, want);
	ck_assert_str_eq(want, digest);
	free(content);
	/* No temp file left beside it. */
	ck_assert_int_eq(pcb_test_count_dir(other), 1);
	pcb_test_rmtree(other);
	free(other);
	free(dst);
	free(path);
}
END_TEST

START_TEST(test_tags)
{
	char d1[PCB_DIGEST_BUFSZ], d2[PCB_DIGEST_BUFSZ];
	char *got = NULL;
	struct pcb_err e;

	ck_assert_int_eq(pcb_store_put(store, "m1", 2, NULL, d1, &e), 0);
	ck_assert_int_eq(pcb_store_put(store, "m2", 2, NULL, d2, &e), 0);
	ck_assert_int_eq(pcb_store_tag_get(store, "hello:latest", &got, &e), PCB_ENOENT);
	ck_assert_int_eq(pcb_store_tag_set(store, "hello:latest", d1, &e), 0);
	ck_assert_int_eq(pcb_store_tag_get(store, "hello:latest", &got, &e), 0);
	ck_assert_str_eq(got, d1);
	free(got);
	ck_assert_int_eq(pcb_store_tag_set(store, "hello:latest", d2, &e), 0);
	ck_assert_int_eq(pcb_store_tag_get(store, "hello:latest", &got, &e), 0);
	ck_assert_str_eq(got, d2);
	free(got);
	ck_assert_int_eq(pcb_store_tag_set(store, "x:y", "sha256:nothex", &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_tag_set(store, "", d1, &e), PCB_EINVAL);
}
END_TEST

START_TEST(test_reopen_persistence)
{
	char digest[PCB_DIGEST_BUFSZ];
	char *root = pcb_xstrdup(pcb_store_root(store)), *mt = NULL, *got = NULL, *out = NULL;
	char *uv = NULL, *cmd;
	uint64_t size;
	size_t len;
	struct pcb_err e;

	ck_assert_int_eq(pcb_store_put(store, "persist", 7, "text/plain", digest, &e), 0);
	ck_assert_int_eq(pcb_store_tag_set(store, "p:1", digest, &e), 0);
	pcb_store_destroy(store);
	store = NULL;
	ck_assert_msg(pcb_store_create(root, &store, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pcb_store_stat(store, digest, &size, &mt, &e), 0);
	ck_assert_uint_eq(size, 7);
	ck_assert_str_eq(mt, "text/plain");
	ck_assert_int_eq(pcb_store_tag_get(store, "p:1", &got, &e), 0);
	ck_assert_str_eq(got, digest);
	ck_assert_int_eq(pcb_store_read(store, digest, 100, &out, &len, &e), 0);
	ck_assert_mem_eq(out, "persist", 7);
	/* The schema is versioned and the journal is WAL. */
	if (pcb_test_have("sqlite3")) {
		cmd = pcb_xasprintf("sqlite3 '%s/store.db' 'PRAGMA user_version; PRAGMA journal_mode;'",
		    root);
		ck_assert_int_eq(pcb_test_run(cmd, true, &uv), 0);
		ck_assert_msg(strcmp(uv, "4\nwal\n") == 0, "got %s", uv);   /* schema 4: tags.used_ms */
		free(uv);
		free(cmd);
	}
	free(out);
	free(got);
	free(mt);
	free(root);
}
END_TEST

START_TEST(test_stale_tmp_cleaned)
{
	char *root = pcb_xstrdup(pcb_store_root(store));
	char *tmp = pcb_path_join(root, "tmp"), *live;
	struct pcb_blob_writer *w;
	struct pcb_err e;
	int fd;

	pcb_test_write(tmp, "blob-stale1", "partial", 0600);
	pcb_test_write(tmp, "blob-stale2", "", 0600);
	pcb_test_mkdir(tmp, "junkdir/sub");
	/* A file that a live writer (here: us) holds locked must survive. */
	pcb_test_write(tmp, "blob-live", "in progress", 0600);
	live = pcb_path_join(tmp, "blob-live");
	fd = open(live, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	pcb_store_destroy(store);
	store = NULL;
	ck_assert_msg(pcb_store_create(root, &store, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pcb_test_count_dir(tmp), 1);
	ck_assert_int_eq(access(live, F_OK), 0);
	close(fd);
	/* A writer's own temp file survives a second store opening the same root. */
	ck_assert_int_eq(pcb_store_writer_create(store, &w, &e), 0);
	ck_assert_int_eq(pcb_blob_writer_write(w, "x", 1, &e), 0);
	{
		struct pcb_store *s2;
		ck_assert_int_eq(pcb_store_create(root, &s2, &e), 0);
		pcb_store_destroy(s2);
	}
	ck_assert_int_eq(pcb_test_count_dir(tmp), 1);   /* blob-live was unlocked: gone; ours kept */
	ck_assert_int_eq(access(live, F_OK), -1);
	ck_assert_int_eq(pcb_blob_writer_commit(w, NULL, NULL, NULL, NULL, &e), 0);
	ck_assert_int_eq(pcb_test_count_dir(tmp), 0);
	free(live);
	free(tmp);
	free(root);
}
END_TEST

/* A full disk: a tiny tmpfs in a private mount namespace (needs root; skipped otherwise). */
START_TEST(test_enospc)
{
	char *mnt = pcb_path_join(tdir, "small"), *root, *tmp;
	struct pcb_store *s;
	struct pcb_blob_writer *w;
	size_t n = 1u << 20;
	char *buf;
	struct pcb_err e;
	int rc = 0;

	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "test_enospc: skipped, cannot make a mount namespace: %s\n",
		    strerror(errno));
		free(mnt);
		return;
	}
	pcb_test_mkdir(tdir, "small");
	ck_assert_msg(mount("tmpfs", mnt, "tmpfs", 0, "size=512k") == 0, "mount: %s",
	    strerror(errno));
	root = pcb_path_join(mnt, "store");
	ck_assert_msg(pcb_store_create(root, &s, &e) == 0, "%s", e.msg);
	buf = pcb_xcalloc(1, n);
	ck_assert_int_eq(pcb_store_writer_create(s, &w, &e), 0);
	for (int i = 0; i < 4 && rc == 0; i++)
		rc = pcb_blob_writer_write(w, buf, n, &e);
	if (rc == 0)
		rc = pcb_blob_writer_commit(w, NULL, NULL, NULL, NULL, &e);
	else
		pcb_blob_writer_abort(w);
	ck_assert_int_eq(rc, PCB_ENOSPC);
	ck_assert_msg(strstr(e.msg, "disk full") != NULL &&
	    strstr(e.msg, "No space left on device") != NULL, "%s", e.msg);
	tmp = pcb_path_join(root, "tmp");
	ck_assert_int_eq(pcb_test_count_dir(tmp), 0);
	/* The same through pcb_store_put. */
	buf = pcb_xrealloc(buf, 4 * n);
	memset(buf, 0, 4 * n);
	ck_assert_int_eq(pcb_store_put(s, buf, 4 * n, NULL, NULL, &e), PCB_ENOSPC);
	ck_assert_int_eq(pcb_test_count_dir(tmp), 0);
	/* And the store still works for what fits. */
	ck_assert_int_eq(pcb_store_put(s, "small", 5, NULL, NULL, &e), 0);
	pcb_store_destroy(s);
	ck_assert_int_eq(umount(mnt), 0);
	free(buf);
	free(tmp);
	free(root);
	free(mnt);
}
END_TEST

#define N_THREADS 4
#define N_ROUNDS 20

struct thread_arg {
	int id;
	int failures;
	char msg[PCB_ERR_MSG_MAX];
	char shared_digest[PCB_DIGEST_BUFSZ];
	char own_digest[PCB_DIGEST_BUFSZ];
};

static void *
writer_thread(void *p)
{
	struct thread_arg *a = p;
	char shared[70000], own[5000];
	struct pcb_err e;

	memset(shared, 'S', sizeof shared);
	for (int r = 0; r < N_ROUNDS; r++) {
		struct pcb_blob_writer *w;
		int n = snprintf(own, sizeof own, "thread %d round %d\n", a->id, r);

		/* The same blob from every thread, in pieces. */
		if (pcb_store_writer_create(store, &w, &e) != 0 ||
		    pcb_blob_writer_write(w, shared, 30000, &e) != 0 ||
		    pcb_blob_writer_write(w, shared + 30000, sizeof shared - 30000, &e) != 0 ||
		    pcb_blob_writer_commit(w, "shared/type", NULL, a->shared_digest, NULL, &e) != 0) {
			a->failures++;
			memcpy(a->msg, e.msg, sizeof a->msg);
		}
		if (pcb_store_put(store, own, (size_t)n, "own/type", a->own_digest, &e) != 0) {
			a->failures++;
			memcpy(a->msg, e.msg, sizeof a->msg);
		}
	}
	return NULL;
}

START_TEST(test_concurrent_writers)
{
	pthread_t th[N_THREADS];
	struct thread_arg args[N_THREADS];
	char want[PCB_DIGEST_BUFSZ], *blobs;
	char shared[70000];
	struct pcb_err e;
	uint64_t size;

	memset(shared, 'S', sizeof shared);
	pcb_sha256_buf(shared, sizeof shared, want);
	memset(args, 0, sizeof args);
	for (int i = 0; i < N_THREADS; i++) {
		args[i].id = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer_thread, &args[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < N_THREADS; i++) {
		char own[64], od[PCB_DIGEST_BUFSZ];
		int n = snprintf(own, sizeof own, "thread %d round %d\n", i, N_ROUNDS - 1);

		ck_assert_msg(args[i].failures == 0, "thread %d: %s", i, args[i].msg);
		ck_assert_str_eq(args[i].shared_digest, want);
		pcb_sha256_buf(own, (size_t)n, od);
		ck_assert_str_eq(args[i].own_digest, od);
		ck_assert_int_eq(pcb_store_stat(store, od, &size, NULL, &e), 0);
		ck_assert_uint_eq(size, (uint64_t)n);
	}
	ck_assert_int_eq(pcb_store_stat(store, want, &size, NULL, &e), 0);
	ck_assert_uint_eq(size, sizeof shared);
	blobs = pcb_path_join(pcb_store_root(store), "blobs/sha256");
	ck_assert_int_eq(pcb_test_count_dir(blobs), 1 + N_THREADS * N_ROUNDS);
	free(blobs);
	ck_assert_int_eq(count_tmp(), 0);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_put_read_roundtrip);
	tcase_add_test(tc, test_read_detects_damage);
	tcase_add_test(tc, test_writer_streaming_and_mismatch);
	tcase_add_test(tc, test_idempotent_put_and_stat);
	tcase_add_test(tc, test_export_hardlink);
	tcase_add_test(tc, test_export_copy);
	tcase_add_test(tc, test_tags);
	tcase_add_test(tc, test_reopen_persistence);
	tcase_add_test(tc, test_stale_tmp_cleaned);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_concurrent_writers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(store_suite());
}
