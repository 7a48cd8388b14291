/* store.c — the content-addressed blob store: files under root/blobs/sha256/<hex>, written
 * through temp files in root/tmp, indexed (and tagged) in root/store.db.
 *
 * The files are the truth; the SQLite index only adds metadata (media type, sizes, times) and
 * tags. A blob file is only ever created by rename(2) of a complete, fsync'd, verified temp
 * file, so a reader never sees a partial blob. */
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 4
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

#define PIN_BUCKETS 256

struct pin {
	struct pin *next;
	unsigned count;
	char digest[PCB_DIGEST_BUFSZ];
};

struct pcb_store {
	char *root;
	char *blob_dir;   /* root/blobs/sha256 */
	char *tmp_dir;    /* root/tmp */
	sqlite3 *db;
	pthread_mutex_t mu;   /* guards db */
	/* Serialises "is the blob there? rename it in, index it" in commit against "unindex it,
	 * unlink it" in removals, so a commit never lands on a file about to vanish. Taken
	 * before mu when both are needed. */
	pthread_mutex_t gc_mu;
	pthread_mutex_t pin_mu;   /* guards pins and policy */
	struct pin *pins[PIN_BUCKETS];
	struct pcb_store_policy policy;
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
	/* 4: when a tag was last used (a build on it, a push of it), so that images nobody uses
	 * can be evicted after the policy's tag_keep_ms; NULL until then: updated_ms counts. */
	if (version < 4) {
		rc = db_exec(s,
		    "BEGIN IMMEDIATE;"
		    "ALTER TABLE tags ADD COLUMN used_ms INTEGER;"
		    "PRAGMA user_version = 4;"
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
	pthread_mutex_init(&s->gc_mu, NULL);
	pthread_mutex_init(&s->pin_mu, NULL);
	s->policy.max_bytes = PCB_STORE_DEFAULT_MAX_BYTES;
	s->policy.min_free_bytes = PCB_STORE_DEFAULT_MIN_FREE;
	s->policy.keep_ms = PCB_STORE_DEFAULT_KEEP_MS;
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
	for (size_t i = 0; i < PIN_BUCKETS; i++) {
		while (s->pins[i] != NULL) {
			struct pin *p = s->pins[i];
			s->pins[i] = p->next;
			free(p);
		}
	}
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->gc_mu);
	pthread_mutex_destroy(&s->pin_mu);
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
	pthread_mutex_lock(&w->s->gc_mu);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == w->size) {
		/* Already stored: content addressing says the bytes are the same. */
		unlink(w->tmp_path);
	} else {
		if (rename(w->tmp_path, path) != 0) {
			rc = pcb_err_errno(err, errno, "renaming %s to %s", w->tmp_path, path);
			pthread_mutex_unlock(&w->s->gc_mu);
			goto fail;
		}
		if ((rc = pcb_fsync_parent(path, err)) != 0) {
			pthread_mutex_unlock(&w->s->gc_mu);
			goto out;
		}
	}
	rc = index_blob(w->s, digest, w->size, media_type, err);
	pthread_mutex_unlock(&w->s->gc_mu);
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
copy_atomic(const char *src, const char *dst, const struct pcb_cred *as, struct pcb_err *err)
{
	char *tmp = pcb_xasprintf("%s.tmp-XXXXXX", dst);
	char *buf = pcb_xmalloc(COPY_CHUNK);
	struct pcb_cred_saved saved;
	int in = -1, outfd = -1, rc = 0, r, e;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		rc = pcb_err_errno(err, errno, "opening %s", src);
		goto out;
	}
	/* The copy is made, renamed and synced with the destination owner's rights: it belongs
	 * to them, and lands only where they may write. */
	if ((rc = pcb_cred_enter(as, &saved, err)) != 0)
		goto out;
	outfd = mkostemp(tmp, O_CLOEXEC);
	e = errno;
	pcb_cred_leave(&saved);
	if (outfd < 0) {
		rc = pcb_err_errno(err, e, "creating %s", tmp);
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
	if ((rc = pcb_cred_enter(as, &saved, err)) != 0)
		goto fail;
	if (rename(tmp, dst) != 0) {
		rc = pcb_err_errno(err, errno, "renaming %s to %s", tmp, dst);
		pcb_cred_leave(&saved);
		goto fail;
	}
	rc = pcb_fsync_parent(dst, err);
	pcb_cred_leave(&saved);
	goto out;
fail:
	if (outfd >= 0)
		close(outfd);
	outfd = -1;
	if (pcb_cred_enter(as, &saved, NULL) == 0) {
		unlink(tmp);
		pcb_cred_leave(&saved);
	}
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
	return pcb_store_export_as(s, digest, dst, NULL, err);
}

int
pcb_store_export_as(struct pcb_store *s, const char *digest, const char *dst,
    const struct pcb_cred *as, struct pcb_err *err)
{
	char *path = NULL, *tmp = NULL;
	char rnd[17];
	struct stat bst, dst_st;
	struct pcb_cred_saved saved;
	bool have_dst;
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
	if ((rc = pcb_cred_enter(as, &saved, err)) != 0)
		goto out;
	have_dst = lstat(dst, &dst_st) == 0;
	pcb_cred_leave(&saved);
	if (have_dst && S_ISREG(dst_st.st_mode) && dst_st.st_size == bst.st_size)
		goto out;
	/* For another user, a copy of their own: a hard link would share the store's inode. */
	if (!pcb_cred_is_self(as)) {
		rc = copy_atomic(path, dst, as, err);
		goto out;
	}
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
	rc = copy_atomic(path, dst, NULL, err);
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
	    "INSERT INTO tags(name, digest, updated_ms, used_ms) VALUES(?1, ?2, ?3, ?3)"
	    " ON CONFLICT(name) DO UPDATE SET digest = excluded.digest,"
	    " updated_ms = excluded.updated_ms, used_ms = excluded.used_ms", -1, &st, NULL);
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
		/* A hit is a use of the layer blob too: it keeps the blob off the LRU end. */
		rc = sqlite3_prepare_v2(s->db,
		    "UPDATE layer_cache SET used_ms = ?2 WHERE key = ?1", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, pcb_now_ms());
			(void)sqlite3_step(st);   /* only LRU bookkeeping */
		}
		sqlite3_finalize(st);
		st = NULL;
		rc = sqlite3_prepare_v2(s->db, "UPDATE blobs SET last_used_ms = ?2 WHERE digest ="
		    " (SELECT digest FROM layer_cache WHERE key = ?1)", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, pcb_now_ms());
			(void)sqlite3_step(st);
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

/* --- pins ------------------------------------------------------------------------------- */

static unsigned
pin_bucket(const char *digest)
{
	/* The hex is uniformly random: two of its characters spread the buckets well. */
	unsigned h = 0;

	for (size_t i = 7; i < 11 && digest[i] != '\0'; i++)
		h = h * 31u + (unsigned char)digest[i];
	return h % PIN_BUCKETS;
}

int
pcb_store_pin(struct pcb_store *s, const char *digest)
{
	struct pin *p;
	unsigned b;

	if (!pcb_digest_valid(digest))
		return PCB_EINVAL;
	b = pin_bucket(digest);
	pthread_mutex_lock(&s->pin_mu);
	for (p = s->pins[b]; p != NULL; p = p->next)
		if (strcmp(p->digest, digest) == 0)
			break;
	if (p == NULL) {
		p = pcb_xcalloc(1, sizeof *p);
		memcpy(p->digest, digest, PCB_DIGEST_BUFSZ);
		p->next = s->pins[b];
		s->pins[b] = p;
	}
	p->count++;
	pthread_mutex_unlock(&s->pin_mu);
	return 0;
}

void
pcb_store_unpin(struct pcb_store *s, const char *digest)
{
	struct pin **pp;
	unsigned b;

	if (!pcb_digest_valid(digest))
		return;
	b = pin_bucket(digest);
	pthread_mutex_lock(&s->pin_mu);
	for (pp = &s->pins[b]; *pp != NULL; pp = &(*pp)->next) {
		struct pin *p = *pp;
		if (strcmp(p->digest, digest) != 0)
			continue;
		if (--p->count == 0) {
			*pp = p->next;
			free(p);
		}
		break;
	}
	pthread_mutex_unlock(&s->pin_mu);
}

unsigned
pcb_store_pin_count(struct pcb_store *s, const char *digest)
{
	unsigned n = 0;

	if (!pcb_digest_valid(digest))
		return 0;
	pthread_mutex_lock(&s->pin_mu);
	for (struct pin *p = s->pins[pin_bucket(digest)]; p != NULL; p = p->next)
		if (strcmp(p->digest, digest) == 0) {
			n = p->count;
			break;
		}
	pthread_mutex_unlock(&s->pin_mu);
	return n;
}

void
pcb_store_set_policy(struct pcb_store *s, const struct pcb_store_policy *p)
{
	pthread_mutex_lock(&s->pin_mu);
	s->policy = *p;
	pthread_mutex_unlock(&s->pin_mu);
}

void
pcb_store_get_policy(struct pcb_store *s, struct pcb_store_policy *out)
{
	pthread_mutex_lock(&s->pin_mu);
	*out = s->policy;
	pthread_mutex_unlock(&s->pin_mu);
}

/* --- kinds ------------------------------------------------------------------------------ */

enum pcb_store_kind
pcb_store_media_kind(const char *mt)
{
	if (mt == NULL)
		return PCB_STORE_KIND_OTHER;
	if (strcmp(mt, "application/vnd.oci.image.manifest.v1+json") == 0 ||
	    strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
	    strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") == 0 ||
	    strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0)
		return PCB_STORE_KIND_MANIFEST;
	if (strcmp(mt, "application/vnd.oci.image.config.v1+json") == 0 ||
	    strcmp(mt, "application/vnd.docker.container.image.v1+json") == 0)
		return PCB_STORE_KIND_CONFIG;
	if (pcb_str_has_prefix(mt, "application/vnd.oci.image.layer.") ||
	    pcb_str_has_prefix(mt, "application/vnd.docker.image.rootfs."))
		return PCB_STORE_KIND_LAYER;
	if (strcmp(mt, "application/vnd.pypa.wheel+zip") == 0)
		return PCB_STORE_KIND_WHEEL;
	return PCB_STORE_KIND_OTHER;
}

const char *
pcb_store_kind_name(enum pcb_store_kind k)
{
	static const char *const names[] = { "manifests", "configs", "layers", "wheels", "other" };

	return (unsigned)k < PCB_ARRAY_LEN(names) ? names[k] : "other";
}

/* --- a set of digests (open addressing; the hex is already a good hash) ------------------ */

struct dset {
	char (*v)[PCB_DIGEST_BUFSZ];   /* "" = empty slot */
	size_t cap, n;
};

static size_t
dset_hash(const char *d, size_t cap)
{
	size_t h = 0;

	for (size_t i = 7; i < 7 + 12; i++)
		h = h * 16 + (size_t)(d[i] <= '9' ? d[i] - '0' : d[i] - 'a' + 10);
	return h & (cap - 1);
}

static bool dset_add(struct dset *ds, const char *d);

static void
dset_grow(struct dset *ds)
{
	struct dset nd = { NULL, ds->cap ? ds->cap * 2 : 256, 0 };

	nd.v = pcb_xcalloc(nd.cap, sizeof *nd.v);
	for (size_t i = 0; i < ds->cap; i++)
		if (ds->v[i][0] != '\0')
			dset_add(&nd, ds->v[i]);
	free(ds->v);
	*ds = nd;
}

static size_t
dset_slot(const struct dset *ds, const char *d)
{
	size_t i = dset_hash(d, ds->cap);

	while (ds->v[i][0] != '\0' && strcmp(ds->v[i], d) != 0)
		i = (i + 1) & (ds->cap - 1);
	return i;
}

/* Returns true when d was new. d must be a valid digest. */
static bool
dset_add(struct dset *ds, const char *d)
{
	size_t i;

	if ((ds->n + 1) * 2 > ds->cap)
		dset_grow(ds);
	i = dset_slot(ds, d);
	if (ds->v[i][0] != '\0')
		return false;
	memcpy(ds->v[i], d, PCB_DIGEST_BUFSZ);
	ds->n++;
	return true;
}

static bool
dset_has(const struct dset *ds, const char *d)
{
	return ds->cap > 0 && pcb_digest_valid(d) && ds->v[dset_slot(ds, d)][0] != '\0';
}

static void
dset_free(struct dset *ds)
{
	free(ds->v);
	ds->v = NULL;
	ds->cap = ds->n = 0;
}

/* --- reachability ------------------------------------------------------------------------ */

/* Manifests and indexes are small; a bigger "manifest" is not one we wrote or pulled. */
#define MANIFEST_MAX ((size_t)4 << 20)

static const char *
jdigest(json_object *o)
{
	json_object *d;

	if (o == NULL || !json_object_object_get_ex(o, "digest", &d) ||
	    !json_object_is_type(d, json_type_string))
		return NULL;
	return pcb_digest_valid(json_object_get_string(d)) ? json_object_get_string(d) : NULL;
}

/* Adds what a manifest or index names: children to `todo` (they are read in turn), and
 * everything to `set`. A file that is absent, too big or not JSON names nothing: the digest
 * itself is already in the set. */
static void
walk_manifest(struct pcb_store *s, const char *digest, struct dset *set, struct pcb_strv *todo)
{
	char *path = pcb_store_blob_path(s, digest), *text = NULL;
	size_t len = 0;
	json_object *doc = NULL, *a;
	json_tokener *tok;
	const char *d;

	if (pcb_read_file(path, MANIFEST_MAX, &text, &len, NULL) != 0)
		goto out;
	tok = json_tokener_new();
	doc = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (doc == NULL || !json_object_is_type(doc, json_type_object))
		goto out;
	if (json_object_object_get_ex(doc, "manifests", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if ((d = jdigest(json_object_array_get_idx(a, i))) != NULL && dset_add(set, d))
				pcb_strv_push(todo, d);
	if (json_object_object_get_ex(doc, "config", &a) && (d = jdigest(a)) != NULL)
		dset_add(set, d);
	if (json_object_object_get_ex(doc, "layers", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if ((d = jdigest(json_object_array_get_idx(a, i))) != NULL)
				dset_add(set, d);
out:
	json_object_put(doc);
	free(text);
	free(path);
}

/* Every digest reachable from a tag (stored or not); tags last used before used_since_ms
 * (0: none) do not count (a dry run of their expiry). *n_tags_out (may be NULL) gets the
 * number of tags that count. */
static int
reachable(struct pcb_store *s, struct dset *set, uint64_t *n_tags_out, int64_t used_since_ms,
    struct pcb_err *err)
{
	struct pcb_strv todo, refs;   /* refs: subject, index digest, … */
	sqlite3_stmt *st = NULL;
	uint64_t n_tags = 0;
	int rc;

	pcb_strv_init(&todo);
	pcb_strv_init(&refs);
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT digest, name FROM tags WHERE ?1 = 0 OR "
	    "COALESCE(used_ms, updated_ms) >= ?1 OR name LIKE '" PCB_STORE_REF_PREFIX "%'",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading tags");
		goto unlock;
	}
	sqlite3_bind_int64(st, 1, used_since_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *d = (const char *)sqlite3_column_text(st, 0);
		if (name != NULL && pcb_str_has_prefix(name, PCB_STORE_REF_PREFIX)) {
			/* A referrer index: held back until its subject is known to be reachable. */
			if (d != NULL && pcb_digest_valid(d)) {
				pcb_strv_push(&refs, name + strlen(PCB_STORE_REF_PREFIX));
				pcb_strv_push(&refs, d);
			}
			continue;
		}
		n_tags++;
		if (d != NULL && pcb_digest_valid(d) && dset_add(set, d))
			pcb_strv_push(&todo, d);
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "reading tags");
unlock:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	/* Depth-first over manifests; `todo` only ever holds digests new to the set, so cycles
	 * (which content addressing makes impossible anyway) would end too. Then the referrer
	 * indexes of what was reached, until none is added (a referrer may have referrers). */
	for (bool more = true; rc == 0 && more;) {
		while (todo.n > 0) {
			char *d = todo.v[--todo.n];
			todo.v[todo.n] = NULL;
			walk_manifest(s, d, set, &todo);
			free(d);
		}
		more = false;
		for (size_t i = 0; i + 1 < refs.n; i += 2)
			if (dset_has(set, refs.v[i]) && dset_add(set, refs.v[i + 1])) {
				pcb_strv_push(&todo, refs.v[i + 1]);
				more = true;
			}
	}
	pcb_strv_free(&todo);
	pcb_strv_free(&refs);
	if (rc == 0 && n_tags_out != NULL)
		*n_tags_out = n_tags;
	return rc;
}

/* --- rows --------------------------------------------------------------------------------- */

struct row {
	char digest[PCB_DIGEST_BUFSZ];
	uint64_t size;
	int64_t created_ms, last_used_ms;
	char *media_type;
};

static void
rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].media_type);
	free(rows);
}

/* Every indexed blob, least recently used first (ties by digest, for stable results). */
static int
load_rows(struct pcb_store *s, const char *order, struct row **out, size_t *n_out,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	struct row *rows = NULL;
	size_t n = 0, cap = 0;
	char *sql = pcb_xasprintf("SELECT digest, size, created_ms, last_used_ms, media_type"
	    " FROM blobs ORDER BY %s", order);
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "listing blobs");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		struct row *r;

		if (d == NULL || !pcb_digest_valid(d))
			continue;   /* not ours; verify leaves it alone too */
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			rows = pcb_xrealloc(rows, cap * sizeof *rows);
		}
		r = &rows[n++];
		memcpy(r->digest, d, PCB_DIGEST_BUFSZ);
		r->size = (uint64_t)sqlite3_column_int64(st, 1);
		r->created_ms = sqlite3_column_int64(st, 2);
		r->last_used_ms = sqlite3_column_int64(st, 3);
		r->media_type = sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL :
		    pcb_xstrdup((const char *)sqlite3_column_text(st, 4));
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "listing blobs");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	free(sql);
	if (rc != 0) {
		rows_free(rows, n);
		rows = NULL;
		n = 0;
	}
	*out = rows;
	*n_out = n;
	return rc;
}

static int
count_query(struct pcb_store *s, const char *sql, uint64_t *out, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_err(s, err, rc, sql);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void
fs_space(const struct pcb_store *s, uint64_t *free_out, uint64_t *size_out)
{
	struct statvfs v;

	*free_out = 0;
	if (size_out != NULL)
		*size_out = 0;
	if (statvfs(s->root, &v) != 0)
		return;
	*free_out = (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
	if (size_out != NULL)
		*size_out = (uint64_t)v.f_blocks * (uint64_t)v.f_frsize;
}

static void
count_add(struct pcb_store_count *c, uint64_t bytes)
{
	c->blobs++;
	c->bytes += bytes;
}

int
pcb_store_usage(struct pcb_store *s, struct pcb_store_usage *u, struct pcb_err *err)
{
	struct dset refs = { NULL, 0, 0 };
	struct row *rows = NULL;
	size_t n = 0;
	int rc;

	memset(u, 0, sizeof *u);
	if ((rc = reachable(s, &refs, &u->tags, 0, err)) != 0 ||
	    (rc = load_rows(s, "last_used_ms, digest", &rows, &n, err)) != 0 ||
	    (rc = count_query(s, "SELECT COUNT(*) FROM layer_cache", &u->layer_cache_entries,
	    err)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		count_add(&u->total, rows[i].size);
		count_add(&u->by_kind[pcb_store_media_kind(rows[i].media_type)], rows[i].size);
		if (dset_has(&refs, rows[i].digest))
			count_add(&u->referenced, rows[i].size);
		if (pcb_store_pin_count(s, rows[i].digest) > 0)
			count_add(&u->pinned, rows[i].size);
	}
	fs_space(s, &u->free_bytes, &u->fs_bytes);
out:
	rows_free(rows, n);
	dset_free(&refs);
	return rc;
}

int
pcb_store_entries(struct pcb_store *s, enum pcb_store_sort sort, size_t limit,
    struct pcb_store_entry **out, size_t *n_out, uint64_t *total_out, struct pcb_err *err)
{
	struct dset refs = { NULL, 0, 0 };
	struct row *rows = NULL;
	struct pcb_store_entry *e = NULL;
	size_t n = 0, m = 0;
	int rc;

	if ((rc = reachable(s, &refs, NULL, 0, err)) != 0 ||
	    (rc = load_rows(s, sort == PCB_STORE_SORT_SIZE ? "size DESC, digest" :
	    "last_used_ms, digest", &rows, &n, err)) != 0)
		goto out;
	m = n < limit ? n : limit;
	e = pcb_xcalloc(m > 0 ? m : 1, sizeof *e);
	for (size_t i = 0; i < m; i++) {
		memcpy(e[i].digest, rows[i].digest, PCB_DIGEST_BUFSZ);
		e[i].size = rows[i].size;
		e[i].media_type = rows[i].media_type;
		rows[i].media_type = NULL;
		e[i].created_ms = rows[i].created_ms;
		e[i].last_used_ms = rows[i].last_used_ms;
		e[i].referenced = dset_has(&refs, rows[i].digest);
		e[i].pins = pcb_store_pin_count(s, rows[i].digest);
	}
	if (total_out != NULL)
		*total_out = n;
out:
	rows_free(rows, n);
	dset_free(&refs);
	*out = e;
	*n_out = rc == 0 ? m : 0;
	return rc;
}

void
pcb_store_entries_free(struct pcb_store_entry *e, size_t n)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(e[i].media_type);
	free(e);
}

/* --- removal ----------------------------------------------------------------------------- */

/* Drops the index rows of a blob (blobs and layer_cache) in one transaction. Caller holds
 * gc_mu, not mu. *lc_out gets the layer_cache rows removed. */
static int
unindex_blob(struct pcb_store *s, const char *digest, uint64_t *lc_out, struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*lc_out = 0;
	pthread_mutex_lock(&s->mu);
	if ((rc = db_exec(s, "BEGIN IMMEDIATE", err)) != 0)
		goto out;
	rc = sqlite3_prepare_v2(s->db, "DELETE FROM layer_cache WHERE digest = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(s, err, rc, "removing layer cache entries");
		goto rollback;
	}
	*lc_out = (uint64_t)sqlite3_changes(s->db);
	sqlite3_finalize(st);
	st = NULL;
	rc = sqlite3_prepare_v2(s->db, "DELETE FROM blobs WHERE digest = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		rc = db_err(s, err, rc, "removing a blob from the index");
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = db_exec(s, "COMMIT", err);
	if (rc == 0)
		goto out;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	*lc_out = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* The row's last_used_ms, or -1 when there is no row. Caller holds no lock but mu is free. */
static int64_t
row_last_used(struct pcb_store *s, const char *digest)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	pthread_mutex_lock(&s->mu);
	if (sqlite3_prepare_v2(s->db, "SELECT last_used_ms FROM blobs WHERE digest = ?1", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return v;
}

enum evict_result { EVICTED, EVICT_PINNED, EVICT_RECENT, EVICT_GONE };

/* Removes one blob if it is still unpinned and unused since before `cutoff`: rows first,
 * then the file (see store.h on crash safety). */
static int
evict(struct pcb_store *s, const char *digest, int64_t cutoff, enum evict_result *res,
    uint64_t *lc_out, struct pcb_err *err)
{
	int64_t used;
	char *path;
	int rc = 0;

	*lc_out = 0;
	pthread_mutex_lock(&s->gc_mu);
	used = row_last_used(s, digest);
	if (used < 0) {
		*res = EVICT_GONE;
		goto out;
	}
	if (pcb_store_pin_count(s, digest) > 0) {
		*res = EVICT_PINNED;
		goto out;
	}
	if (used >= cutoff) {
		*res = EVICT_RECENT;
		goto out;
	}
	if ((rc = unindex_blob(s, digest, lc_out, err)) != 0)
		goto out;
	path = pcb_store_blob_path(s, digest);
	if (unlink(path) != 0 && errno != ENOENT) {
		/* The row is gone already; the file is now an unindexed one that verify or the
		 * start-up sweep removes. Say so, but the eviction itself happened. */
		rc = pcb_err_errno(err, errno, "removing %s", path);
	}
	free(path);
	*res = EVICTED;
out:
	pthread_mutex_unlock(&s->gc_mu);
	return rc;
}

static bool
hex64(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return i == 64;
}

/* Removes blob files without a row whose mtime is before cutoff. */
static int
sweep_unindexed(struct pcb_store *s, int64_t cutoff, bool dry_run, uint64_t *removed,
    struct pcb_err *err)
{
	DIR *d = opendir(s->blob_dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL)
		return pcb_err_errno(err, errno, "opening %s", s->blob_dir);
	while ((de = readdir(d)) != NULL) {
		char digest[PCB_DIGEST_BUFSZ], *path;
		struct stat st;

		if (!hex64(de->d_name))
			continue;
		snprintf(digest, sizeof digest, "sha256:%.64s", de->d_name);
		path = pcb_path_join(s->blob_dir, de->d_name);
		pthread_mutex_lock(&s->gc_mu);
		if (row_last_used(s, digest) < 0 && pcb_store_pin_count(s, digest) == 0 &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000 < cutoff) {
			if (dry_run || unlink(path) == 0)
				(*removed)++;
			else if (errno != ENOENT)
				rc = pcb_err_errno(err, errno, "removing %s", path);
		}
		pthread_mutex_unlock(&s->gc_mu);
		free(path);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

/* Removes (dry_run: counts) the tags last used before cut_ms; *n_out how many. */
static int
expire_tags(struct pcb_store *s, int64_t cut_ms, bool dry_run, uint64_t *n_out,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, dry_run ?
	    "SELECT COUNT(*) FROM tags WHERE COALESCE(used_ms, updated_ms) < ?1"
	    " AND name NOT LIKE '" PCB_STORE_REF_PREFIX "%'" :
	    "DELETE FROM tags WHERE COALESCE(used_ms, updated_ms) < ?1"
	    " AND name NOT LIKE '" PCB_STORE_REF_PREFIX "%'", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "expiring tags");
		goto out;
	}
	sqlite3_bind_int64(st, 1, cut_ms);
	rc = sqlite3_step(st);
	if (dry_run && rc == SQLITE_ROW) {
		*n_out = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (!dry_run && rc == SQLITE_DONE) {
		*n_out = (uint64_t)sqlite3_changes(s->db);
		rc = 0;
	} else {
		rc = db_err(s, err, rc, "expiring tags");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_gc(struct pcb_store *s, const struct pcb_store_gc_opts *o,
    struct pcb_store_gc_report *r, struct pcb_err *err)
{
	struct dset refs = { NULL, 0, 0 };
	struct row *rows = NULL;
	size_t n = 0;
	uint64_t free_before = 0, need = 0;
	int64_t start = pcb_now_ms(), cutoff, tag_cut = 0;
	int rc;

	memset(r, 0, sizeof *r);
	/* Tags first, rows second: a blob committed and tagged in between is in neither or
	 * is recent; one tagged before is found referenced. */
	/* Images nobody has used for tag_keep_ms lose their tags first (oldest first; one a
	 * running job looked up since protect_since_ms is used, so kept): their blobs are then
	 * unreferenced like any other. A dry run only counts them and leaves them out. */
	if (o->tag_keep_ms > 0) {
		tag_cut = start - o->tag_keep_ms;
		if (o->protect_since_ms > 0 && o->protect_since_ms < tag_cut)
			tag_cut = o->protect_since_ms;
		if ((rc = expire_tags(s, tag_cut, o->dry_run, &r->tags_removed, err)) != 0)
			goto out;
	}
	if ((rc = reachable(s, &refs, NULL, o->dry_run ? tag_cut : 0, err)) != 0 ||
	    (rc = load_rows(s, "last_used_ms, digest", &rows, &n, err)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		count_add(&r->before, rows[i].size);
	fs_space(s, &free_before, NULL);
	if (o->until_limit) {
		if (o->max_bytes > 0 && r->before.bytes > o->max_bytes)
			need = r->before.bytes - o->max_bytes;
		if (o->min_free_bytes > 0 && free_before < o->min_free_bytes &&
		    o->min_free_bytes - free_before > need)
			need = o->min_free_bytes - free_before;
	}
	r->need_bytes = need;
	/* Nothing used at or after the start of this run is removed, whatever `all` says: a
	 * blob committed meanwhile belongs to a job. */
	cutoff = start;
	if (!o->all && o->keep_ms > 0 && start - o->keep_ms < cutoff)
		cutoff = start - o->keep_ms;
	if (o->protect_since_ms > 0 && o->protect_since_ms < cutoff)
		cutoff = o->protect_since_ms;
	for (size_t i = 0; i < n; i++) {
		struct row *w = &rows[i];
		enum evict_result res;
		uint64_t lc = 0;

		if (dset_has(&refs, w->digest)) {
			count_add(&r->kept_referenced, w->size);
			continue;
		}
		if (pcb_store_pin_count(s, w->digest) > 0) {
			count_add(&r->kept_pinned, w->size);
			continue;
		}
		if (w->last_used_ms >= cutoff) {
			count_add(&r->kept_recent, w->size);
			continue;
		}
		if (o->until_limit && r->removed.bytes >= need) {
			count_add(&r->kept_spare, w->size);
			continue;
		}
		if (o->dry_run) {
			count_add(&r->removed, w->size);
			continue;
		}
		if ((rc = evict(s, w->digest, cutoff, &res, &lc, err)) != 0)
			goto out;
		r->layer_cache_removed += lc;
		switch (res) {
		case EVICTED: count_add(&r->removed, w->size); break;
		case EVICT_PINNED: count_add(&r->kept_pinned, w->size); break;
		case EVICT_RECENT: count_add(&r->kept_recent, w->size); break;
		case EVICT_GONE: break;   /* someone else removed it (verify) */
		}
	}
	if (o->sweep_unindexed && (rc = sweep_unindexed(s, cutoff, o->dry_run,
	    &r->unindexed_removed, err)) != 0)
		goto out;
	r->kept.blobs = r->before.blobs - r->removed.blobs;
	r->kept.bytes = r->before.bytes - r->removed.bytes;
	fs_space(s, &r->free_bytes, NULL);
	if (o->dry_run)
		r->free_bytes += r->removed.bytes;
	r->limit_met = r->removed.bytes >= need;
	if (!r->limit_met)
		snprintf(r->reason, sizeof r->reason, "%llu bytes more needed: the rest is referenced "
		    "by tags (%llu bytes), pinned by running jobs (%llu bytes) or used too recently "
		    "(%llu bytes); tagged images are never evicted automatically",
		    (unsigned long long)(need - r->removed.bytes),
		    (unsigned long long)r->kept_referenced.bytes,
		    (unsigned long long)r->kept_pinned.bytes,
		    (unsigned long long)r->kept_recent.bytes);
out:
	rows_free(rows, n);
	dset_free(&refs);
	if (rc != 0)
		pcb_err_prefix(err, "cleaning the store %s", s->root);
	return rc;
}

/* --- verification ------------------------------------------------------------------------ */

#define VERIFY_CHUNK ((size_t)1 << 20)
#define VERIFY_PROGRESS_BYTES ((uint64_t)16 << 20)

struct vstate {
	struct pcb_store *s;
	bool repair;
	const atomic_int *cancel;
	void (*progress)(void *ud, uint64_t done, uint64_t total);
	void *ud;
	uint64_t total, last_progress;
	unsigned char *buf;
	struct pcb_store_verify_report *r;
	size_t cap_bad;
};

/* Hashes an open file. Returns 0, PCB_ECANCELED or an I/O error. */
static int
hash_fd(struct vstate *v, int fd, const char *path, char out[PCB_DIGEST_BUFSZ],
    uint64_t *len_out, struct pcb_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	uint64_t len = 0;
	ssize_t k;
	int rc = 0;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "cannot initialise SHA-256");
		goto out;
	}
	for (;;) {
		if (v->cancel != NULL && atomic_load(v->cancel) != 0) {
			rc = pcb_err_set(err, PCB_ECANCELED, "verification cancelled");
			goto out;
		}
		k = read(fd, v->buf, VERIFY_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = pcb_err_errno(err, errno, "reading %s", path);
			goto out;
		}
		if (k == 0)
			break;
		EVP_DigestUpdate(md, v->buf, (size_t)k);
		len += (uint64_t)k;
		v->r->bytes += (uint64_t)k;
		if (v->progress != NULL && v->r->bytes - v->last_progress >= VERIFY_PROGRESS_BYTES) {
			v->last_progress = v->r->bytes;
			v->progress(v->ud, v->r->bytes, v->total);
		}
	}
	if (EVP_DigestFinal_ex(md, h, &hl) != 1 || hl != 32) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "SHA-256 final failed");
		goto out;
	}
	pcb_sha256_digest_str(h, out);
	*len_out = len;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static struct pcb_store_problem *
add_problem(struct vstate *v, const char *digest, const char *problem, uint64_t indexed,
    uint64_t file)
{
	struct pcb_store_verify_report *r = v->r;
	struct pcb_store_problem *p;

	if (r->n_bad == v->cap_bad) {
		v->cap_bad = v->cap_bad ? v->cap_bad * 2 : 16;
		r->bad = pcb_xrealloc(r->bad, v->cap_bad * sizeof *r->bad);
	}
	p = &r->bad[r->n_bad++];
	memset(p, 0, sizeof *p);
	memcpy(p->digest, digest, PCB_DIGEST_BUFSZ);
	p->problem = problem;
	p->indexed_size = indexed;
	p->file_size = file;
	return p;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Removes a damaged blob: rows, then the file, if the file is still the one that was hashed
 * (a commit may have put a good copy in its place meanwhile). */
static int
repair_bad(struct vstate *v, struct pcb_store_problem *p, const struct stat *hashed,
    bool indexed, struct pcb_err *err)
{
	char *path = pcb_store_blob_path(v->s, p->digest);
	struct stat now;
	uint64_t lc = 0;
	int rc = 0;

	pthread_mutex_lock(&v->s->gc_mu);
	if (lstat(path, &now) != 0 || !same_file(hashed, &now))
		goto out;
	if (!indexed && row_last_used(v->s, p->digest) >= 0)
		goto out;   /* indexed meanwhile: its commit brought a checked copy */
	if ((rc = unindex_blob(v->s, p->digest, &lc, err)) != 0)
		goto out;
	v->r->layer_cache_removed += lc;
	if (unlink(path) != 0 && errno != ENOENT) {
		rc = pcb_err_errno(err, errno, "removing %s", path);
		goto out;
	}
	p->repaired = true;
	v->r->repaired++;
out:
	pthread_mutex_unlock(&v->s->gc_mu);
	free(path);
	return rc;
}

/* Sets the indexed size of a good blob whose row disagrees with its file. */
static void
fix_size(struct pcb_store *s, const char *digest, uint64_t size)
{
	sqlite3_stmt *st = NULL;

	pthread_mutex_lock(&s->mu);
	if (sqlite3_prepare_v2(s->db, "UPDATE blobs SET size = ?2 WHERE digest = ?1", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
		(void)sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
}

static int
verify_row(struct vstate *v, const struct row *w, struct pcb_err *err)
{
	char *path = pcb_store_blob_path(v->s, w->digest);
	char got[PCB_DIGEST_BUFSZ];
	struct pcb_store_problem *p;
	struct stat st;
	uint64_t len = 0, lc = 0;
	int fd = -1, rc = 0;

	v->r->checked++;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		rc = pcb_err_errno(err, errno, "opening %s", path);
		goto out;
	}
	if (fd < 0) {
		pthread_mutex_lock(&v->s->gc_mu);
		/* Still indexed and still without a file under the lock: really missing. */
		if (row_last_used(v->s, w->digest) >= 0 && lstat(path, &st) != 0) {
			p = add_problem(v, w->digest, "missing", w->size, 0);
			if (v->repair && (rc = unindex_blob(v->s, w->digest, &lc, err)) == 0) {
				p->repaired = true;
				v->r->repaired++;
				v->r->layer_cache_removed += lc;
			}
		}
		pthread_mutex_unlock(&v->s->gc_mu);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = pcb_err_errno(err, errno, "reading %s", path);
		goto out;
	}
	if ((rc = hash_fd(v, fd, path, got, &len, err)) != 0)
		goto out;
	if (strcmp(got, w->digest) == 0) {
		if (len != w->size && v->repair)
			fix_size(v->s, w->digest, len);
		goto out;
	}
	p = add_problem(v, w->digest, len < w->size ? "truncated" : "corrupt", w->size, len);
	if (v->repair)
		rc = repair_bad(v, p, &st, true, err);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int
verify_unindexed(struct vstate *v, const char *name, struct pcb_err *err)
{
	char digest[PCB_DIGEST_BUFSZ], got[PCB_DIGEST_BUFSZ];
	char *path = pcb_path_join(v->s->blob_dir, name);
	struct pcb_store_problem *p;
	struct stat st;
	uint64_t len = 0;
	int fd, rc = 0;

	snprintf(digest, sizeof digest, "sha256:%.64s", name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		goto out;   /* gone meanwhile, or not a plain file: not ours to judge */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	v->r->checked++;
	if ((rc = hash_fd(v, fd, path, got, &len, err)) != 0)
		goto out;
	if (strcmp(got, digest) != 0) {
		p = add_problem(v, digest, "corrupt", 0, len);
		if (v->repair)
			rc = repair_bad(v, p, &st, false, err);
		goto out;
	}
	pthread_mutex_lock(&v->s->gc_mu);
	/* A commit renames then indexes under gc_mu: a row now means it was one in flight. */
	if (row_last_used(v->s, digest) < 0) {
		p = add_problem(v, digest, "unindexed", 0, len);
		if (v->repair && (rc = index_blob(v->s, digest, len, NULL, err)) == 0) {
			p->repaired = true;
			v->r->repaired++;
		}
	}
	pthread_mutex_unlock(&v->s->gc_mu);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int
pcb_store_verify(struct pcb_store *s, bool repair, const atomic_int *cancel,
    void (*progress)(void *ud, uint64_t done, uint64_t total), void *ud,
    struct pcb_store_verify_report *r, struct pcb_err *err)
{
	struct vstate v;
	struct dset indexed = { NULL, 0, 0 };
	struct row *rows = NULL;
	struct pcb_strv files;
	size_t n = 0;
	DIR *d = NULL;
	struct dirent *de;
	int rc;

	memset(r, 0, sizeof *r);
	memset(&v, 0, sizeof v);
	pcb_strv_init(&files);
	v.s = s;
	v.repair = repair;
	v.cancel = cancel;
	v.progress = progress;
	v.ud = ud;
	v.r = r;
	v.buf = pcb_xmalloc(VERIFY_CHUNK);
	if ((rc = load_rows(s, "digest", &rows, &n, err)) != 0)
		goto out;
	/* The directory is listed before the rows are checked, so that a blob a repair
	 * removes is not then met again as a file. */
	d = opendir(s->blob_dir);
	if (d == NULL) {
		rc = pcb_err_errno(err, errno, "opening %s", s->blob_dir);
		goto out;
	}
	while ((de = readdir(d)) != NULL)
		if (hex64(de->d_name))
			pcb_strv_push(&files, de->d_name);
	closedir(d);
	pcb_strv_sort(&files);
	for (size_t i = 0; i < n; i++) {
		v.total += rows[i].size;
		dset_add(&indexed, rows[i].digest);
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = verify_row(&v, &rows[i], err)) != 0)
			goto out;
	for (size_t i = 0; i < files.n; i++) {
		char digest[PCB_DIGEST_BUFSZ];

		snprintf(digest, sizeof digest, "sha256:%.64s", files.v[i]);
		if (dset_has(&indexed, digest))
			continue;
		if ((rc = verify_unindexed(&v, files.v[i], err)) != 0)
			goto out;
	}
	if (progress != NULL)
		progress(ud, r->bytes, v.total > r->bytes ? v.total : r->bytes);
out:
	if (rc != 0 && rc != PCB_ECANCELED)
		pcb_err_prefix(err, "verifying the store %s", s->root);
	free(v.buf);
	rows_free(rows, n);
	dset_free(&indexed);
	pcb_strv_free(&files);
	return rc;
}

void
pcb_store_verify_report_free(struct pcb_store_verify_report *r)
{
	if (r == NULL)
		return;
	free(r->bad);
	r->bad = NULL;
	r->n_bad = 0;
}

/* --- parsers ----------------------------------------------------------------------------- */

/* A whole number at the start of s; *end after it. false on no digits or overflow. */
static bool
leading_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	*end = p;
	return true;
}

int
pcb_store_parse_size(const char *s, uint64_t *out, struct pcb_err *err)
{
	static const char units[] = "KMGT";
	const char *end = NULL, *u;
	uint64_t v = 0, mult = 1;

	if (s == NULL || strlen(s) > 32 || !leading_u64(s, &v, &end))
		goto bad;
	if (*end != '\0') {
		u = strchr(units, *end >= 'a' ? *end - 32 : *end);
		if (u == NULL || *end == '\0')
			goto bad;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0 &&
		    strcmp(end, "b") != 0 && strcmp(end, "ib") != 0)
			goto bad;
	}
	if (v > UINT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return pcb_err_set(err, PCB_EINVAL, "size \"%.40s\": expected a whole number with an "
	    "optional K, M, G or T suffix (20G, 512M)", s != NULL ? s : "");
}

int
pcb_store_parse_duration(const char *s, int64_t *ms_out, struct pcb_err *err)
{
	const char *end = NULL;
	uint64_t v = 0, mult = 1000;

	if (s == NULL || strlen(s) > 32 || !leading_u64(s, &v, &end))
		goto bad;
	if (*end != '\0') {
		switch (*end) {
		case 's': mult = 1000; break;
		case 'm': mult = 60 * 1000; break;
		case 'h': mult = 3600 * 1000; break;
		case 'd': mult = 86400 * 1000; break;
		default: goto bad;
		}
		if (end[1] != '\0')
			goto bad;
	}
	/* 100 years is plenty, and keeps every sum with a time in range. */
	if (v > (uint64_t)100 * 365 * 86400 * 1000 / mult)
		goto bad;
	*ms_out = (int64_t)(v * mult);
	return 0;
bad:
	return pcb_err_set(err, PCB_EINVAL, "duration \"%.40s\": expected a whole number with an "
	    "optional s, m, h or d suffix (90s, 1h, 7d)", s != NULL ? s : "");
}

/* Records that a build or a push used the tag now (store policy tag_keep_ms). Best effort:
 * a failure only makes the tag look older. */
static void
tag_used(struct pcb_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;

	pthread_mutex_lock(&s->mu);
	if (sqlite3_prepare_v2(s->db, "UPDATE tags SET used_ms = ?2 WHERE name = ?1", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, pcb_now_ms());
		(void)sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
}

char *
pcb_store_tag_key(const struct pcb_cred *as, const char *name)
{
	if (pcb_cred_is_self(as))
		return pcb_xstrdup(name);
	return pcb_xasprintf("~%u/%s", (unsigned)as->uid, name);
}

int
pcb_store_tag_set_as(struct pcb_store *s, const struct pcb_cred *as, const char *name,
    const char *digest, struct pcb_err *err)
{
	char *key = pcb_store_tag_key(as, name);
	int rc = pcb_store_tag_set(s, key, digest, err);

	free(key);
	return rc;
}

int
pcb_store_tag_get_as(struct pcb_store *s, const struct pcb_cred *as, const char *name,
    char **digest_out, struct pcb_err *err)
{
	char *key;
	int rc;

	if (pcb_cred_is_self(as)) {
		if ((rc = pcb_store_tag_get(s, name, digest_out, err)) == 0)
			tag_used(s, name);
		return rc;
	}
	if (name[0] == '~')   /* another user's by its key: theirs, not to be named */
		return pcb_err_set(err, PCB_ENOENT, "no tag %s", name);
	key = pcb_store_tag_key(as, name);
	rc = pcb_store_tag_get(s, key, digest_out, err);
	if (rc == PCB_ENOENT) {
		pcb_err_clear(err);
		free(key);
		key = pcb_xstrdup(name);
		rc = pcb_store_tag_get(s, name, digest_out, err);
	}
	if (rc == 0)
		tag_used(s, key);
	free(key);
	return rc;
}

/* --- tag listings and removal (images in the store) ------------------------------------- */

int
pcb_store_tag_list(struct pcb_store *s, struct pcb_store_tag **out, size_t *n_out,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	struct pcb_store_tag *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT name, digest, updated_ms FROM tags ORDER BY name",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "listing tags");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *d = (const char *)sqlite3_column_text(st, 1);

		if (name == NULL || d == NULL || !pcb_digest_valid(d))
			continue;   /* not a row this program wrote */
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = pcb_xrealloc(v, cap * sizeof *v);
		}
		v[n].name = pcb_xstrdup(name);
		memcpy(v[n].digest, d, PCB_DIGEST_BUFSZ);
		v[n].updated_ms = sqlite3_column_int64(st, 2);
		n++;
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "listing tags");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	if (rc != 0) {
		pcb_store_tags_free(v, n);
		v = NULL;
		n = 0;
	}
	*out = v;
	*n_out = n;
	return rc;
}

void
pcb_store_tags_free(struct pcb_store_tag *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

int
pcb_store_tag_delete(struct pcb_store *s, const char *name, const char *expect_digest,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (name == NULL || name[0] == '\0' || strlen(name) > TAG_NAME_MAX)
		return pcb_err_set(err, PCB_EINVAL, "tag name must be 1 to %d bytes", TAG_NAME_MAX);
	if (expect_digest != NULL && (rc = check_digest(expect_digest, err)) != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, expect_digest != NULL ?
	    "DELETE FROM tags WHERE name = ?1 AND digest = ?2" : "DELETE FROM tags WHERE name = ?1",
	    -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "removing tag");
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (expect_digest != NULL)
		sqlite3_bind_text(st, 2, expect_digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = db_err(s, err, rc, "removing tag");
		goto out;
	}
	rc = 0;
	if (sqlite3_changes(s->db) == 0) {
		sqlite3_finalize(st);
		st = NULL;
		/* Tell "never there" from "moved on to another image meanwhile". */
		rc = sqlite3_prepare_v2(s->db, "SELECT 1 FROM tags WHERE name = ?1", -1, &st, NULL);
		if (rc != SQLITE_OK) {
			rc = db_err(s, err, rc, "removing tag");
			goto out;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_ROW ?
		    pcb_err_set(err, PCB_ECONFLICT, "tag %s now names another image", name) :
		    pcb_err_set(err, PCB_ENOENT, "no tag %s", name);
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
pcb_store_cache_find_digest(struct pcb_store *s, const char *digest, char **value_out,
    struct pcb_err *err)
{
	sqlite3_stmt *st = NULL;
	char *value = NULL;
	int rc;

	if ((rc = check_digest(digest, err)) != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	/* layer_cache_digest (schema 3) makes this an index lookup. */
	rc = sqlite3_prepare_v2(s->db, "SELECT value FROM layer_cache WHERE digest = ?1"
	    " ORDER BY used_ms DESC LIMIT 1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading the layer cache");
		goto out;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		value = pcb_xstrdup((const char *)sqlite3_column_text(st, 0));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = pcb_err_set(err, PCB_ENOENT, "no layer-cache entry for %s", digest);
	} else {
		rc = db_err(s, err, rc, "reading the layer cache");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		*value_out = value;
	else
		free(value);
	return rc;
}

/* --- what tags hold ---------------------------------------------------------------------- */

/* The blobs one manifest (or index) reaches, itself included. */
static void
reach_one(struct pcb_store *s, const char *digest, struct dset *set)
{
	struct pcb_strv todo;

	pcb_strv_init(&todo);
	if (pcb_digest_valid(digest) && dset_add(set, digest))
		pcb_strv_push(&todo, digest);
	while (todo.n > 0) {
		char *d = todo.v[--todo.n];
		todo.v[todo.n] = NULL;
		walk_manifest(s, d, set, &todo);
		free(d);
	}
	pcb_strv_free(&todo);
}

int
pcb_store_tag_usage(struct pcb_store *s, struct pcb_store_tag_use **out, size_t *n_out,
    struct pcb_err *err)
{
	struct pcb_store_tag_use *v = NULL;
	struct dset *sets = NULL, all = { NULL, 0, 0 }, twice = { NULL, 0, 0 };
	sqlite3_stmt *st = NULL;
	size_t n = 0, cap = 0;
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = sqlite3_prepare_v2(s->db, "SELECT name, digest, COALESCE(used_ms, updated_ms) "
	    "FROM tags WHERE name NOT LIKE '" PCB_STORE_REF_PREFIX "%' ORDER BY name", -1, &st,
	    NULL);
	if (rc != SQLITE_OK) {
		rc = db_err(s, err, rc, "reading tags");
		pthread_mutex_unlock(&s->mu);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = pcb_xrealloc(v, cap * sizeof *v);
		}
		memset(&v[n], 0, sizeof v[n]);
		v[n].name = pcb_xstrdup((const char *)sqlite3_column_text(st, 0));
		snprintf(v[n].digest, sizeof v[n].digest, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		v[n].used_ms = sqlite3_column_int64(st, 2);
		n++;
	}
	rc = rc == SQLITE_DONE ? 0 : db_err(s, err, rc, "reading tags");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	if (rc != 0)
		goto out;
	/* Each tag's blobs; a blob two tags reach is shared, the rest unique to its tag. */
	sets = pcb_xcalloc(n ? n : 1, sizeof *sets);
	for (size_t i = 0; i < n; i++) {
		reach_one(s, v[i].digest, &sets[i]);
		for (size_t k = 0; k < sets[i].cap; k++)
			if (sets[i].v[k][0] != '\0' && !dset_add(&all, sets[i].v[k]))
				dset_add(&twice, sets[i].v[k]);
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sets[i].cap; k++) {
			uint64_t size = 0;
			const char *d = sets[i].v[k];
			if (d[0] == '\0' || pcb_store_stat(s, d, &size, NULL, NULL) != 0)
				continue;
			v[i].bytes += size;
			v[i].blobs++;
			if (!dset_has(&twice, d))
				v[i].unique_bytes += size;
		}
	}
out:
	for (size_t i = 0; sets != NULL && i < n; i++)
		dset_free(&sets[i]);
	free(sets);
	dset_free(&all);
	dset_free(&twice);
	if (rc != 0) {
		pcb_store_tag_usage_free(v, n);
		v = NULL;
		n = 0;
	}
	*out = v;
	*n_out = n;
	return rc;
}

void
pcb_store_tag_usage_free(struct pcb_store_tag_use *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
