/* store.c — the content-addressed blob store: files under root/blobs/sha256/<hex>, written
 * through temp files in root/tmp, indexed (and tagged) in root/store.db.
 *
 * The files are the truth; the SQLite index only adds metadata (media type, sizes, times) and
 * tags. A blob file is only ever created by rename(2) of a complete, fsync'd, verified temp
 * file, so a reader never sees a partial blob. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 3
#define LOCATION_NAME_MAX 512
#define LOCATION_REPOS_MAX 16
#define WRITER_BUF_SIZE ((size_t)1 << 20)
#define COPY_CHUNK ((size_t)1 << 18)
#define TAG_NAME_MAX 512
#define MEDIA_TYPE_MAX 255
#define BUSY_TIMEOUT_MS 10000
/* Blob files are read-only: an exported hard link shares the inode, and a mode without write
 * bits keeps a careless edit of the export from silently changing the store's copy. */
#define BLOB_MODE 0444

struct pcb_store {
	char *root;
	char *blob_dir;   /* root/blobs/sha256 */
	char *tmp_dir;    /* root/tmp */
	sqlite3 *db;
	pthread_mutex_t mu;   /* guards db */
};

struct pcb_blob_writer {
	struct pcb_store *s;
	char *tmp_path;
	int fd;           /* -1 once closed */
	EVP_MD_CTX *md;
	unsigned char *buf;
	size_t buf_len;
	uint64_t size;
	bool failed;      /* a write failed: the temp file is already gone */
};

static int
db_err(struct pcb_store *s, struct pcb_err *err, int rc, const char *what)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_FULL: code = PCB_ENOSPC; break;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: code = PCB_ECORRUPT; break;
	case SQLITE_IOERR: case SQLITE_CANTOPEN: case SQLITE_BUSY: case SQLITE_LOCKED:
		code = PCB_EIO; break;
	case SQLITE_READONLY: case SQLITE_PERM: case SQLITE_AUTH: code = PCB_EPERM; break;
	default: code = PCB_EINTERNAL; break;
	}
	return pcb_err_set(err, code, "store index %s/store.db: %s: %s", s->root, what,
	    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

/* Runs SQL without results. Caller holds the mutex (or is the only user, at create). */
static int
db_exec(struct pcb_store *s, const char *sql, struct pcb_err *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_err(s, err, rc, sql);
	return 0;
}

static int
db_migrate(struct pcb_store *s, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int version = 0, rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading schema version");
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	rc = 0;
	if (version > STORE_SCHEMA_VERSION) {
		rc = pcb_err_set(err, PCB_ECORRUPT,
		    "store index %s/store.db has schema version %d, newer than this program's %d",
		    s->root, version, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (version == STORE_SCHEMA_VERSION)
		goto out;
	/* Each step moves the schema one version up inside one transaction, so an interrupted
	 * migration is simply redone at the next open. */
	if (version < 1) {
		rc = db_exec(s,
		    "BEGIN IMMEDIATE;"
		    "CREATE TABLE IF NOT EXISTS blobs("
		    " digest TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT,"
		    " created_ms INTEGER NOT NULL, last_used_ms INTEGER NOT NULL);"
		    "CREATE TABLE IF NOT EXISTS tags("
		    " name TEXT PRIMARY KEY, digest TEXT NOT NULL, updated_ms INTEGER NOT NULL);"
		    "PRAGMA user_version = 1;"
		    "COMMIT;", err);
		if (rc != 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	/* 2: which registry/repository is known to hold which blob, so a re-push skips blobs
	 * without asking and a push can mount from a sibling repository. */
	if (version < 2) {
		rc = db_exec(s,
		    "BEGIN IMMEDIATE;"
		    "CREATE TABLE IF NOT EXISTS blob_locations("
		    " digest TEXT NOT NULL, registry TEXT NOT NULL, repository TEXT NOT NULL,"
		    " seen_ms INTEGER NOT NULL, PRIMARY KEY(digest, registry, repository));"
		    "PRAGMA user_version = 2;"
		    "COMMIT;", err);
		if (rc != 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	/* 3: derived-layer cache: a key naming every input of a layer (wheel hashes, target,
	 * options) → the layer blob it gave, so an unchanged dependency is never packed twice. */
	if (version < 3) {
		rc = db_exec(s,
		    "BEGIN IMMEDIATE;"
		    "CREATE TABLE IF NOT EXISTS layer_cache("
		    " key TEXT PRIMARY KEY, digest TEXT NOT NULL, value TEXT NOT NULL,"
		    " created_ms INTEGER NOT NULL, used_ms INTEGER NOT NULL);"
		    "CREATE INDEX IF NOT EXISTS layer_cache_digest ON layer_cache(digest);"
		    "PRAGMA user_version = 3;"
		    "COMMIT;", err);
		if (rc != 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
out:
	return rc;
}

/* Removes temp files left by writers that died. A live writer holds an flock on its temp file,
 * so a second process sharing this root (or a second store object in this one) keeps its
 * files: only unlocked ones are stale. */
static int
clean_tmp(struct pcb_store *s, struct pcb_err *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	d = opendir(s->tmp_dir);
	if (d == NULL)
		return pcb_err_errno(err, errno, "opening %s", s->tmp_dir);
	while ((de = readdir(d)) != NULL) {
		char *p;
		struct stat st;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = pcb_path_join(s->tmp_dir, de->d_name);
		if (lstat(p, &st) == 0 && !S_ISREG(st.st_mode)) {
			rc = pcb_rm_rf(p, err);
		} else {
			fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (fd >= 0) {
				if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(p) != 0 &&
				    errno != ENOENT)
					rc = pcb_err_errno(err, errno, "removing stale %s", p);
				close(fd);
			}
		}
		free(p);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

int
pcb_store_create(const char *root, struct pcb_store **out, struct pcb_err *err)
{
	struct pcb_store *s = pcb_xcalloc(1, sizeof *s);
	char *dbpath = NULL;
	int rc;

	s->root = pcb_xstrdup(root);
	s->blob_dir = pcb_path_join(root, "blobs/sha256");
	s->tmp_dir = pcb_path_join(root, "tmp");
	pthread_mutex_init(&s->mu, NULL);
	if ((rc = pcb_mkdir_p(s->blob_dir, 0755, err)) != 0 ||
	    (rc = pcb_mkdir_p(s->tmp_dir, 0700, err)) != 0)
		goto out;
	if ((rc = clean_tmp(s, err)) != 0)
		goto out;
	dbpath = pcb_path_join(root, "store.db");
	/* One connection, serialised by s->mu: SQLite's own mutex would be redundant. */
	rc = sqlite3_open_v2(dbpath, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "opening");
		goto out;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if ((rc = db_exec(s, "PRAGMA journal_mode=WAL", err)) != 0 ||
	    (rc = db_exec(s, "PRAGMA synchronous=NORMAL", err)) != 0 ||
	    (rc = db_migrate(s, err)) != 0)
		goto out;
out:
	free(dbpath);
	if (rc != 0) {
		pcb_err_prefix(err, "opening store %s", root);
		pcb_store_destroy(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

void
pcb_store_destroy(struct pcb_store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL)
		sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s->root);
	free(s->blob_dir);
	free(s->tmp_dir);
	free(s);
}

const char *
pcb_store_root(const struct pcb_store *s)
{
	return s->root;
}

char *
pcb_store_blob_path(const struct pcb_store *s, const char *digest)
{
	const char *hex = pcb_str_has_prefix(digest, "sha256:") ? digest + 7 : digest;
	return pcb_xasprintf("%s/%s", s->blob_dir, hex);
}

static int
check_digest(const char *digest, struct pcb_err *err)
{
	if (!pcb_digest_valid(digest))
		return pcb_err_set(err, PCB_EINVAL, "invalid digest \"%.80s\" (want sha256:<64 hex>)",
		    digest != NULL ? digest : "(null)");
	return 0;
}

/* Records a blob in the index, or refreshes last_used when it is already there. */
static int
index_blob(struct pcb_store *s, const char *digest, uint64_t size, const char *media_type,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t now = pcb_now_ms();
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "INSERT INTO blobs(digest, size, media_type, created_ms, last_used_ms)"
	    " VALUES(?1, ?2, ?3, ?4, ?4)"
	    " ON CONFLICT(digest) DO UPDATE SET size = excluded.size,"
	    " media_type = COALESCE(excluded.media_type, blobs.media_type),"
	    " last_used_ms = excluded.last_used_ms", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "indexing blob");
		goto out;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	if (media_type != NULL)
		sqlite3_bind_text(st, 3, media_type, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = db_err(s, err, rc, "indexing blob");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_writer_create(struct pcb_store *s, struct pcb_blob_writer **out, struct pcb_err *err)
{
	struct pcb_blob_writer *w = pcb_xcalloc(1, sizeof *w);
	int rc = 0;

	w->s = s;
	w->fd = -1;
	/* The flock marks the file as live for clean_tmp(). If a concurrent cleaner grabbed it
	 * between mkostemp and flock, it is about to unlink it: take a fresh name. */
	for (int tries = 0; ; tries++) {
		free(w->tmp_path);
		w->tmp_path = pcb_xasprintf("%s/blob-XXXXXX", s->tmp_dir);
		w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
		if (w->fd < 0) {
			rc = pcb_err_errno(err, errno, "creating temp file in %s", s->tmp_dir);
			goto out;
		}
		if (flock(w->fd, LOCK_EX | LOCK_NB) == 0)
			break;
		close(w->fd);
		w->fd = -1;
		if (tries >= 10) {
			rc = pcb_err_set(err, PCB_EIO, "cannot lock a temp file in %s", s->tmp_dir);
			goto out;
		}
	}
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "cannot initialise SHA-256");
		goto out;
	}
	w->buf = pcb_xmalloc(WRITER_BUF_SIZE);
out:
	if (rc != 0) {
		pcb_blob_writer_abort(w);
		w = NULL;
	}
	*out = w;
	return rc;
}

/* Drops the temp file at once, so that a full disk gets its space back even if the caller
 * delays the abort. */
static int
writer_fail(struct pcb_blob_writer *w, int errnum, const char *what, struct pcb_err *err)
{
	int rc;

	if (errnum == ENOSPC
#ifdef EDQUOT
	    || errnum == EDQUOT
#endif
	    )
		rc = pcb_err_errno(err, errnum, "%s blob in %s (disk full: free space there and "
		    "retry)", what, w->s->root);
	else
		rc = pcb_err_errno(err, errnum, "%s %s", what, w->tmp_path);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	unlink(w->tmp_path);
	w->failed = true;
	return rc;
}

static int
writer_flush(struct pcb_blob_writer *w, struct pcb_err *err)
{
	int r;

	if (w->buf_len == 0)
		return 0;
	r = pcb_write_all(w->fd, w->buf, w->buf_len);
	if (r != 0)
		return writer_fail(w, -r, "writing", err);
	w->buf_len = 0;
	return 0;
}

int
pcb_blob_writer_write(struct pcb_blob_writer *w, const void *p, size_t n, struct pcb_err *err)
{
	const unsigned char *c = p;
	int rc, r;

	if (w->failed)
		return pcb_err_set(err, PCB_EINTERNAL, "write to a failed blob writer");
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(w->md, p, n) != 1)
		return pcb_err_set(err, PCB_EINTERNAL, "SHA-256 update failed");
	w->size += n;
	if (w->buf_len + n <= WRITER_BUF_SIZE) {
		memcpy(w->buf + w->buf_len, c, n);
		w->buf_len += n;
		return 0;
	}
	if ((rc = writer_flush(w, err)) != 0)
		return rc;
	if (n >= WRITER_BUF_SIZE) {
		/* Big writes skip the copy. */
		r = pcb_write_all(w->fd, c, n);
		if (r != 0)
			return writer_fail(w, -r, "writing", err);
		return 0;
	}
	memcpy(w->buf, c, n);
	w->buf_len = n;
	return 0;
}

static void
writer_free(struct pcb_blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	EVP_MD_CTX_free(w->md);
	free(w->buf);
	free(w->tmp_path);
	free(w);
}

void
pcb_blob_writer_abort(struct pcb_blob_writer *w)
{
	if (w == NULL)
		return;
	if (!w->failed && w->tmp_path != NULL && w->fd >= 0)
		unlink(w->tmp_path);
	writer_free(w);
}

int
pcb_blob_writer_commit(struct pcb_blob_writer *w, const char *media_type,
    const char *expected_digest, char digest_out[PCB_DIGEST_BUFSZ], uint64_t *size_out,
    struct pcb_err *err)
{
	char digest[PCB_DIGEST_BUFSZ];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *path = NULL;
	struct stat st;
	int rc;

	digest[0] = '\0';
	if (w->failed) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "commit of a failed blob writer");
		goto out;
	}
	if (expected_digest != NULL && (rc = check_digest(expected_digest, err)) != 0)
		goto fail;
	if (media_type != NULL && strlen(media_type) > MEDIA_TYPE_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, "media type longer than %d bytes", MEDIA_TYPE_MAX);
		goto fail;
	}
	if ((rc = writer_flush(w, err)) != 0)
		goto out;
	if (fchmod(w->fd, BLOB_MODE) != 0 || fsync(w->fd) != 0) {
		rc = writer_fail(w, errno, "syncing", err);
		goto out;
	}
	/* The descriptor (and so the flock that tells clean_tmp the file is live) stays open
	 * until the rename is done; writer_free closes it. */
	if (EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 || mdlen != 32) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "SHA-256 final failed");
		goto fail;
	}
	pcb_sha256_digest_str(md, digest);
	if (expected_digest != NULL && strcmp(expected_digest, digest) != 0) {
		rc = pcb_err_set(err, PCB_ECORRUPT,
		    "blob content does not match its digest: expected %s, got %s (%llu bytes)",
		    expected_digest, digest, (unsigned long long)w->size);
		goto fail;
	}
	path = pcb_store_blob_path(w->s, digest);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == w->size) {
		/* Already stored: content addressing says the bytes are the same. */
		unlink(w->tmp_path);
	} else {
		if (rename(w->tmp_path, path) != 0) {
			rc = pcb_err_errno(err, errno, "renaming %s to %s", w->tmp_path, path);
			goto fail;
		}
		if ((rc = pcb_fsync_parent(path, err)) != 0)
			goto out;
	}
	rc = index_blob(w->s, digest, w->size, media_type, err);
	goto out;
fail:
	unlink(w->tmp_path);
out:
	if (rc == 0) {
		if (digest_out != NULL)
			memcpy(digest_out, digest, PCB_DIGEST_BUFSZ);
		if (size_out != NULL)
			*size_out = w->size;
	}
	free(path);
	writer_free(w);
	return rc;
}

int
pcb_store_put(struct pcb_store *s, const void *data, size_t len, const char *media_type,
    char digest_out[PCB_DIGEST_BUFSZ], struct pcb_err *err)
{
	struct pcb_blob_writer *w;
	int rc;

	if ((rc = pcb_store_writer_create(s, &w, err)) != 0)
		return rc;
	if ((rc = pcb_blob_writer_write(w, data, len, err)) != 0) {
		pcb_blob_writer_abort(w);
		return rc;
	}
	return pcb_blob_writer_commit(w, media_type, NULL, digest_out, NULL, err);
}

int
pcb_store_stat(struct pcb_store *s, const char *digest, uint64_t *size_out,
    char **media_type_out, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	uint64_t size = 0;
	char *mt = NULL, *path = NULL;
	struct stat sb;
	int rc;

	if ((rc = check_digest(digest, err)) != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT size, media_type FROM blobs WHERE digest = ?1",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "looking up blob");
		goto unlock;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			mt = pcb_xstrdup((const char *)sqlite3_column_text(st, 1));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = pcb_err_set(err, PCB_ENOENT, "blob %s not in the store", digest);
	} else {
		rc = db_err(s, err, rc, "looking up blob");
	}
unlock:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	if (rc != 0)
		goto out;
	/* The index can outlive a file removed behind our back; the file is the truth. */
	path = pcb_store_blob_path(s, digest);
	if (lstat(path, &sb) != 0) {
		rc = pcb_err_errno(err, errno, "blob %s is indexed but its file", digest);
		goto out;
	}
out:
	free(path);
	if (rc == 0) {
		if (size_out != NULL)
			*size_out = size;
		if (media_type_out != NULL) {
			*media_type_out = mt;
			mt = NULL;
		}
	}
	free(mt);
	return rc;
}

int
pcb_store_read(struct pcb_store *s, const char *digest, size_t max, char **out,
    size_t *len_out, struct pcb_err *err)
{
	char *path = NULL, *data = NULL;
	char got[PCB_DIGEST_BUFSZ];
	size_t len = 0;
	int rc;

	if ((rc = check_digest(digest, err)) != 0)
		goto out;
	path = pcb_store_blob_path(s, digest);
	if ((rc = pcb_read_file(path, max, &data, &len, err)) != 0) {
		if (rc == PCB_ENOENT)
			rc = pcb_err_set(err, PCB_ENOENT, "blob %s not in the store", digest);
		goto out;
	}
	pcb_sha256_buf(data, len, got);
	if (strcmp(got, digest) != 0) {
		rc = pcb_err_set(err, PCB_ECORRUPT,
		    "blob file %s is damaged: expected %s, content hashes to %s", path, digest, got);
		goto out;
	}
	/* Reads count as use for LRU eviction; a failure to note that is not the reader's
	 * problem. */
	pcb_store_touch(s, digest, NULL);
out:
	free(path);
	if (rc == 0) {
		*out = data;
		data = NULL;
		if (len_out != NULL)
			*len_out = len;
	}
	free(data);
	return rc;
}

int
pcb_store_touch(struct pcb_store *s, const char *digest, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = check_digest(digest, err)) != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "UPDATE blobs SET last_used_ms = ?1 WHERE digest = ?2",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "touching blob");
		goto out;
	}
	sqlite3_bind_int64(st, 1, pcb_now_ms());
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = db_err(s, err, rc, "touching blob");
		goto out;
	}
	rc = sqlite3_changes(s->db) == 0 ?
	    pcb_err_set(err, PCB_ENOENT, "blob %s not in the store", digest) : 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Copies src to dst atomically: a temp file beside dst, fsync, rename, fsync the directory. */
static int
copy_atomic(const char *src, const char *dst, struct pcb_err *err)
{
	char *tmp = pcb_xasprintf("%s.tmp-XXXXXX", dst);
	char *buf = pcb_xmalloc(COPY_CHUNK);
	int in = -1, outfd = -1, rc = 0, r;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		rc = pcb_err_errno(err, errno, "opening %s", src);
		goto out;
	}
	outfd = mkostemp(tmp, O_CLOEXEC);
	if (outfd < 0) {
		rc = pcb_err_errno(err, errno, "creating %s", tmp);
		goto out;
	}
	for (;;) {
		n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pcb_err_errno(err, errno, "reading %s", src);
			goto fail;
		}
		if (n == 0)
			break;
		if ((r = pcb_write_all(outfd, buf, (size_t)n)) != 0) {
			rc = pcb_err_errno(err, -r, "writing %s", tmp);
			goto fail;
		}
	}
	if (fchmod(outfd, 0644) != 0 || fsync(outfd) != 0) {
		rc = pcb_err_errno(err, errno, "writing %s", tmp);
		goto fail;
	}
	r = close(outfd);
	outfd = -1;
	if (r != 0) {
		rc = pcb_err_errno(err, errno, "writing %s", tmp);
		goto fail;
	}
	if (rename(tmp, dst) != 0) {
		rc = pcb_err_errno(err, errno, "renaming %s to %s", tmp, dst);
		goto fail;
	}
	rc = pcb_fsync_parent(dst, err);
	goto out;
fail:
	if (outfd >= 0)
		close(outfd);
	outfd = -1;
	unlink(tmp);
out:
	if (in >= 0)
		close(in);
	if (outfd >= 0)
		close(outfd);
	free(buf);
	free(tmp);
	return rc;
}

int
pcb_store_export(struct pcb_store *s, const char *digest, const char *dst, struct pcb_err *err)
{
	char *path = NULL, *tmp = NULL;
	char rnd[17];
	struct stat bst, dst_st;
	int rc;

	if ((rc = check_digest(digest, err)) != 0)
		goto out;
	path = pcb_store_blob_path(s, digest);
	if (stat(path, &bst) != 0) {
		rc = errno == ENOENT ?
		    pcb_err_set(err, PCB_ENOENT, "blob %s not in the store", digest) :
		    pcb_err_errno(err, errno, "exporting %s", path);
		goto out;
	}
	/* A blob of the right size already at dst (an earlier export, or the same blob pushed
	 * by another tool) is content-addressed: keep it. */
	if (lstat(dst, &dst_st) == 0 && S_ISREG(dst_st.st_mode) && dst_st.st_size == bst.st_size)
		goto out;
	/* Link under a temp name and rename, so a wrong-sized dst is replaced atomically. */
	pcb_random_hex(rnd, 8);
	tmp = pcb_xasprintf("%s.tmp-%s", dst, rnd);
	if (link(path, tmp) == 0) {
		if (rename(tmp, dst) != 0) {
			rc = pcb_err_errno(err, errno, "renaming %s to %s", tmp, dst);
			unlink(tmp);
			goto out;
		}
		rc = pcb_fsync_parent(dst, err);
		goto out;
	}
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP) {
		rc = pcb_err_errno(err, errno, "linking %s to %s", path, dst);
		goto out;
	}
	rc = copy_atomic(path, dst, err);
out:
	if (rc != 0)
		pcb_err_prefix(err, "exporting blob %s", digest != NULL ? digest : "(null)");
	free(path);
	free(tmp);
	return rc;
}

int
pcb_store_tag_set(struct pcb_store *s, const char *name, const char *digest,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (name == NULL || name[0] == '\0' || strlen(name) > TAG_NAME_MAX)
		return pcb_err_set(err, PCB_EINVAL, "tag name must be 1 to %d bytes", TAG_NAME_MAX);
	if ((rc = check_digest(digest, err)) != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "INSERT INTO tags(name, digest, updated_ms) VALUES(?1, ?2, ?3)"
	    " ON CONFLICT(name) DO UPDATE SET digest = excluded.digest,"
	    " updated_ms = excluded.updated_ms", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "setting tag");
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, pcb_now_ms());
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "setting tag");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_tag_get(struct pcb_store *s, const char *name, char **digest_out,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	char *d = NULL;
	int rc;

	if (name == NULL || strlen(name) > TAG_NAME_MAX)
		return pcb_err_set(err, PCB_EINVAL, "tag name must be 1 to %d bytes", TAG_NAME_MAX);
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT digest FROM tags WHERE name = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading tag");
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		d = pcb_xstrdup((const char *)sqlite3_column_text(st, 0));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = pcb_err_set(err, PCB_ENOENT, "no tag %s", name);
	} else {
		rc = db_err(s, err, rc, "reading tag");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		*digest_out = d;
	else
		free(d);
	return rc;
}

static int
check_location(const char *digest, const char *registry, const char *repository,
    struct pcb_err *err)
{
	int rc;

	if ((rc = check_digest(digest, err)) != 0)
		return rc;
	if (registry == NULL || registry[0] == '\0' || strlen(registry) > LOCATION_NAME_MAX ||
	    (repository != NULL && (repository[0] == '\0' ||
	    strlen(repository) > LOCATION_NAME_MAX)))
		return pcb_err_set(err, PCB_EINVAL,
		    "blob location: registry and repository must be 1 to %d bytes", LOCATION_NAME_MAX);
	return 0;
}

int
pcb_store_location_add(struct pcb_store *s, const char *digest, const char *registry,
    const char *repository, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = check_location(digest, registry, repository, err)) != 0)
		return rc;
	if (repository == NULL)
		return pcb_err_set(err, PCB_EINVAL, "blob location: no repository");
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "INSERT INTO blob_locations(digest, registry, repository, seen_ms)"
	    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(digest, registry, repository)"
	    " DO UPDATE SET seen_ms = excluded.seen_ms", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "recording blob location");
		goto out;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, registry, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, repository, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, pcb_now_ms());
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "recording blob location");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_location_has(struct pcb_store *s, const char *digest, const char *registry,
    const char *repository, bool *has_out, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	bool has = false;
	int rc;

	if ((rc = check_location(digest, registry, repository, err)) != 0)
		goto out_nolock;
	if (repository == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "blob location: no repository");
		goto out_nolock;
	}
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "SELECT 1 FROM blob_locations WHERE digest = ?1 AND registry = ?2 AND repository = ?3",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading blob locations");
		goto out;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, registry, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, repository, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		has = rc == SQLITE_ROW;
		rc = 0;
	} else {
		rc = db_err(s, err, rc, "reading blob locations");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
out_nolock:
	if (rc == 0)
		*has_out = has;
	return rc;
}

int
pcb_store_location_repos(struct pcb_store *s, const char *digest, const char *registry,
    struct pcb_strv *repos_out, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = check_location(digest, registry, NULL, err)) != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "SELECT repository FROM blob_locations WHERE digest = ?1 AND registry = ?2"
	    " ORDER BY seen_ms DESC, repository LIMIT ?3", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading blob locations");
		goto out;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, registry, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, LOCATION_REPOS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		pcb_strv_push(repos_out, (const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "reading blob locations");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_location_registries(struct pcb_store *s, const char *digest,
    struct pcb_strv *registries_out, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!pcb_digest_valid(digest))
		return pcb_err_set(err, PCB_EINVAL, "blob location: bad digest");
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "SELECT registry FROM blob_locations WHERE digest = ?1 GROUP BY registry"
	    " ORDER BY MAX(seen_ms) DESC, registry LIMIT ?2", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading blob locations");
		goto out;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, LOCATION_REPOS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		pcb_strv_push(registries_out, (const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "reading blob locations");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_cache_get(struct pcb_store *s, const char *key, char **value_out,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	char *value = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT value, digest FROM layer_cache WHERE key = ?1", -1,
	    &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading the layer cache");
		goto out;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		value = pcb_xstrdup((const char *)sqlite3_column_text(st, 0));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = PCB_ENOENT;
	} else {
		rc = db_err(s, err, rc, "reading the layer cache");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == 0) {
		rc = sqlite3_prepare_v2(s->db,
		    "UPDATE layer_cache SET used_ms = ?2 WHERE key = ?1", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, pcb_now_ms());
			(void)sqlite3_step(st);   /* only LRU bookkeeping */
		}
		rc = 0;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	*value_out = value;
	return rc;
}

int
pcb_store_cache_set(struct pcb_store *s, const char *key, const char *digest,
    const char *value, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!pcb_digest_valid(digest))
		return pcb_err_set(err, PCB_EINVAL, "layer cache: bad digest");
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db,
	    "INSERT INTO layer_cache(key, digest, value, created_ms, used_ms)"
	    " VALUES(?1, ?2, ?3, ?4, ?4) ON CONFLICT(key) DO UPDATE SET digest = excluded.digest,"
	    " value = excluded.value, used_ms = excluded.used_ms", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "writing the layer cache");
		goto out;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, pcb_now_ms());
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "writing the layer cache");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}
