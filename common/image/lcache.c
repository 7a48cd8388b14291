/* lcache.c — layer reuse: a stat key (lstat identities), a content key (file digests from the
 * fingerprint index), single flight per stat key, and the fingerprint index itself
 * (<store root>/fingerprints.db). See lcache.h for the rules. */
#include "image/lcache.h"
#include "image/rcache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <sqlite3.h>

/* Bump when the meaning of a key changes (what is hashed, or how layer.c lays out bytes for
 * the same inputs: a new compressor, a new chunking), so that old entries stop matching. */
#define LCACHE_FORMAT "pcb-lcache-2 layer-chunked-1"
#define LCACHE_MAX_ENTRIES 1000000
/* Below this many bytes of files with unknown digests, they are read and hashed to try the
 * content key before packing; above it, packing (which reads them anyway) is cheaper. */
#define HASH_BEFORE_PACK_MAX ((uint64_t)64 << 20)
#define READ_CHUNK ((size_t)256 << 10)
/* Staging files (under the store's tmp/: launchers, generated scripts) are made afresh by
 * every build, so their identity never repeats. Up to this many bytes of them, their content
 * goes into the stat key instead, so that a layer mixing a stable tree with a small fresh
 * staging tree still reuses on the stat key. */
#define STAGING_HASH_MAX ((uint64_t)8 << 20)
#define CACHE_VALUE_MAX ((size_t)4096)
#define FP_DB_NAME "fingerprints.db"
#define FP_SCHEMA_VERSION 1
#define FP_BUSY_MS 5000
/* Rows not used for this many days go; beyond FP_MAX_ROWS the least recently used go. */
#define FP_KEEP_DAYS 30
#define FP_MAX_ROWS 4000000
/* Open fingerprint databases kept per process (one per store root in use). */
#define FP_REGISTRY_MAX 16
#define WAIT_SLICE_MS 100

static atomic_uint_fast64_t n_stat_hits, n_content_hits, n_misses, n_waits, n_hashed,
    n_bytes_read, n_fp_resets, n_lstats;

void
pcb_lcache_stats(struct pcb_lcache_stats *out)
{
	out->stat_hits = atomic_load(&n_stat_hits);
	out->content_hits = atomic_load(&n_content_hits);
	out->misses = atomic_load(&n_misses);
	out->waits = atomic_load(&n_waits);
	out->files_hashed = atomic_load(&n_hashed);
	out->bytes_read = atomic_load(&n_bytes_read);
	out->fp_resets = atomic_load(&n_fp_resets);
	out->files_lstat = atomic_load(&n_lstats);
}

/* ---- per-file records ---- */

struct frec {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	uint32_t mode;
	unsigned char sha[32];
	bool have_sha;     /* sha is the content of the file with this identity */
	bool known;        /* identity and sha came from the fingerprint index */
	bool stale_day;    /* known, but its used_day needs refreshing */
	bool racy;         /* ctime not older than the clock when read: trust for this build only */
	bool no_fp;        /* never fingerprinted (a staging tree under the store's tmp/) */
	bool read_same;    /* the packer read it with this identity (its fstat after reading) */
};

static int64_t
ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t
coarse_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	return ts_ns(&t);
}

static void
frec_from_stat(struct frec *r, const struct stat *st)
{
	r->dev = (uint64_t)st->st_dev;
	r->ino = (uint64_t)st->st_ino;
	r->size = (uint64_t)st->st_size;
	r->mtime_ns = ts_ns(&st->st_mtim);
	r->ctime_ns = ts_ns(&st->st_ctim);
	r->mode = (uint32_t)st->st_mode;
}

/* The walk's lstat, carried by the entry (have_stat). */
static void
frec_from_entry(struct frec *r, const struct pcb_layer_entry *e)
{
	r->dev = (uint64_t)e->dev;
	r->ino = (uint64_t)e->ino;
	r->size = e->size;
	r->mtime_ns = e->mtime_ns;
	r->ctime_ns = e->ctime_ns;
	r->mode = (uint32_t)e->host_mode;
}

static bool
frec_same(const struct frec *r, const struct stat *st)
{
	struct frec t;

	frec_from_stat(&t, st);
	return t.dev == r->dev && t.ino == r->ino && t.size == r->size &&
	    t.mtime_ns == r->mtime_ns && t.ctime_ns == r->ctime_ns && t.mode == r->mode;
}

/* ---- key hashing: length-prefixed fields through a small buffer into SHA-256 ---- */

struct hasher {
	EVP_MD_CTX *md;
	size_t n;
	unsigned char buf[16384];
};

static int
h_init(struct hasher *h)
{
	h->n = 0;
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1)
		return PCB_EINTERNAL;
	return 0;
}

static void
h_bytes(struct hasher *h, const void *p, size_t n)
{
	if (h->n + n > sizeof h->buf) {
		(void)EVP_DigestUpdate(h->md, h->buf, h->n);
		h->n = 0;
	}
	if (n > sizeof h->buf) {
		(void)EVP_DigestUpdate(h->md, p, n);
		return;
	}
	memcpy(h->buf + h->n, p, n);
	h->n += n;
}

/* Little-endian whatever the host. Called a dozen times per file on every no-op build: the
 * common case writes straight into the buffer. */
static inline void
h_u64(struct hasher *h, uint64_t v)
{
	unsigned char *b;

	if (h->n + 8 > sizeof h->buf) {
		(void)EVP_DigestUpdate(h->md, h->buf, h->n);
		h->n = 0;
	}
	b = h->buf + h->n;
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	h->n += 8;
}

/* NULL and "" hash differently. */
static void
h_str(struct hasher *h, const char *s)
{
	if (s == NULL) {
		h_u64(h, UINT64_MAX);
		return;
	}
	h_u64(h, strlen(s));
	h_bytes(h, s, strlen(s));
}

/* Finishes into "<prefix>sha256:<hex>" and frees the context. */
static int
h_final(struct hasher *h, const char *prefix, char *out, size_t outsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char d[PCB_DIGEST_BUFSZ];
	int rc = 0;

	if (EVP_DigestUpdate(h->md, h->buf, h->n) != 1 ||
	    EVP_DigestFinal_ex(h->md, md, &len) != 1 || len != 32)
		rc = PCB_EINTERNAL;
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
	if (rc == 0) {
		pcb_sha256_digest_str(md, d);
		snprintf(out, outsz, "%s%s", prefix, d);
	}
	return rc;
}

/* Everything in opts that changes the blob's bytes. A new such field in struct
 * pcb_layer_opts must be added here (and LCACHE_FORMAT bumped). */
static void
h_opts(struct hasher *h, const struct pcb_layer_opts *o, const char *salt)
{
	h_str(h, LCACHE_FORMAT);
	h_u64(h, (uint64_t)o->mtime);
	/* Only the level of the compression in use counts; 0 is the packer's default. */
	h_u64(h, (uint64_t)o->compression);
	if (o->compression == PCB_COMPRESS_ZSTD)
		h_u64(h, (uint64_t)(o->zstd_level == 0 ? PCB_LAYER_ZSTD_DEFAULT : o->zstd_level));
	else
		h_u64(h, (uint64_t)(o->gzip_level == 0 ? PCB_LAYER_GZIP_DEFAULT : o->gzip_level));
	h_u64(h, (uint64_t)PCB_LAYER_CHUNK);
	h_str(h, salt);
}

static void
h_entry_common(struct hasher *h, const struct pcb_layer_entry *e)
{
	h_u64(h, (uint64_t)e->type);
	h_str(h, e->path);
	h_u64(h, (uint64_t)e->mode);
	h_u64(h, e->type == PCB_ENTRY_FILE ? e->size : 0);
	h_str(h, e->type == PCB_ENTRY_SYMLINK || e->type == PCB_ENTRY_HARDLINK ? e->link : NULL);
}

#define KEY_BUFSZ (PCB_DIGEST_BUFSZ + 2)

static int
stat_key(const struct pcb_layer_list *l, const struct frec *r,
    const struct pcb_layer_opts *o, const char *salt, char out[KEY_BUFSZ])
{
	struct hasher *h = pcb_xmalloc(sizeof *h);
	int rc;

	if ((rc = h_init(h)) != 0)
		goto out;
	h_opts(h, o, salt);
	h_u64(h, l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct pcb_layer_entry *e = &l->v[i];
		h_entry_common(h, e);
		if (e->type != PCB_ENTRY_FILE)
			continue;
		if (r[i].no_fp && r[i].have_sha) {
			/* A staging file: its content, whatever temp path and inode it had. */
			h_u64(h, 1);
			h_bytes(h, r[i].sha, 32);
			continue;
		}
		h_u64(h, 0);
		h_str(h, e->src);
		h_u64(h, r[i].dev);
		h_u64(h, r[i].ino);
		h_u64(h, r[i].size);
		h_u64(h, (uint64_t)r[i].mtime_ns);
		h_u64(h, (uint64_t)r[i].ctime_ns);
		h_u64(h, r[i].mode);
	}
	rc = h_final(h, "s:", out, KEY_BUFSZ);
out:
	EVP_MD_CTX_free(h->md);
	free(h);
	return rc;
}

/* Needs have_sha for every file. */
static int
content_key(const struct pcb_layer_list *l, const struct frec *r,
    const struct pcb_layer_opts *o, const char *salt, char out[KEY_BUFSZ])
{
	struct hasher *h = pcb_xmalloc(sizeof *h);
	int rc;

	if ((rc = h_init(h)) != 0)
		goto out;
	h_opts(h, o, salt);
	h_u64(h, l->n);
	for (size_t i = 0; i < l->n; i++) {
		h_entry_common(h, &l->v[i]);
		if (l->v[i].type == PCB_ENTRY_FILE)
			h_bytes(h, r[i].sha, 32);
	}
	rc = h_final(h, "c:", out, KEY_BUFSZ);
out:
	EVP_MD_CTX_free(h->md);
	free(h);
	return rc;
}

/* ---- the layer cache entries ---- */

static bool
cache_lookup(struct pcb_store *st, const char *key, struct pcb_layer_result *res,
    char *ckey_out)
{
	json_object *j = NULL, *v;
	char *text = NULL;
	const char *d, *did, *mt;
	bool ok = false;

	if (pcb_store_cache_get(st, key, &text, NULL) != 0)
		return false;
	if (strlen(text) <= CACHE_VALUE_MAX)
		j = json_tokener_parse(text);
	free(text);
	if (j == NULL || (d = json_object_get_string(json_object_object_get(j, "digest"))) == NULL ||
	    (did = json_object_get_string(json_object_object_get(j, "diff_id"))) == NULL ||
	    !pcb_digest_valid(d) || !pcb_digest_valid(did))
		goto out;
	/* The blob may have been collected since: then the entry is no use. */
	memset(res, 0, sizeof *res);
	if (pcb_store_stat(st, d, &res->size, NULL, NULL) != 0)
		goto out;
	memcpy(res->digest, d, PCB_DIGEST_BUFSZ);
	memcpy(res->diff_id, did, PCB_DIGEST_BUFSZ);
	res->tar_size = json_object_object_get_ex(j, "tar_size", &v) ?
	    (uint64_t)json_object_get_int64(v) : 0;
	res->n_entries = json_object_object_get_ex(j, "entries", &v) ?
	    (size_t)json_object_get_int64(v) : 0;
	/* A static string, as pcb_layer_pack gives. */
	mt = json_object_get_string(json_object_object_get(j, "media_type"));
	res->media_type = PCB_MT_LAYER_GZIP;
	if (mt != NULL && strcmp(mt, PCB_MT_LAYER_ZSTD) == 0)
		res->media_type = PCB_MT_LAYER_ZSTD;
	if (mt != NULL && strcmp(mt, res->media_type) != 0)
		goto out;
	/* A stat entry names the content key it stands for: the portable key the registry
	 * cache is written under (a stat hit reads no file, so it could not compute it). */
	if (ckey_out != NULL) {
		const char *ck = json_object_get_string(json_object_object_get(j, "ckey"));
		ckey_out[0] = '\0';
		if (ck != NULL && strlen(ck) < KEY_BUFSZ && pcb_str_has_prefix(ck, "c:sha256:"))
			snprintf(ckey_out, KEY_BUFSZ, "%s", ck);
	}
	ok = true;
out:
	json_object_put(j);
	return ok;
}

static void
cache_store(struct pcb_store *st, const char *key, const struct pcb_layer_result *res,
    const char *ckey)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "digest", json_object_new_string(res->digest));
	json_object_object_add(j, "diff_id", json_object_new_string(res->diff_id));
	json_object_object_add(j, "tar_size", json_object_new_int64((int64_t)res->tar_size));
	json_object_object_add(j, "entries", json_object_new_int64((int64_t)res->n_entries));
	json_object_object_add(j, "media_type", json_object_new_string(res->media_type != NULL ?
	    res->media_type : PCB_MT_LAYER_GZIP));
	json_object_object_add(j, "size", json_object_new_int64((int64_t)res->size));
	if (ckey != NULL && ckey[0] != '\0')
		json_object_object_add(j, "ckey", json_object_new_string(ckey));
	/* A failure to remember costs a repack next time, not this build. */
	(void)pcb_store_cache_set(st, key, res->digest, json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN), NULL);
	json_object_put(j);
}

/* ---- single flight: one thread per stat key packs, the others wait ---- */

struct flight {
	char key[KEY_BUFSZ];
	struct flight *next;
};

static pthread_mutex_t sf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sf_cv = PTHREAD_COND_INITIALIZER;
static struct flight *sf_head;

static bool
sf_busy(const char *key)
{
	for (struct flight *f = sf_head; f != NULL; f = f->next)
		if (strcmp(f->key, key) == 0)
			return true;
	return false;
}

/* Waits until no other thread holds key, then holds it. */
static int
sf_acquire(const char *key, atomic_int *cancel, struct pcb_err *err)
{
	struct flight *f;
	bool waited = false;
	int rc = 0;

	pthread_mutex_lock(&sf_mu);
	while (sf_busy(key)) {
		struct timespec dl;
		if (cancel != NULL && atomic_load(cancel) != 0) {
			rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
			goto out;
		}
		if (!waited)
			atomic_fetch_add(&n_waits, 1);
		waited = true;
		/* Timed only to look at the cancel flag now and then. */
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += (long)WAIT_SLICE_MS * 1000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
		(void)pthread_cond_timedwait(&sf_cv, &sf_mu, &dl);
	}
	f = pcb_xcalloc(1, sizeof *f);
	snprintf(f->key, sizeof f->key, "%s", key);
	f->next = sf_head;
	sf_head = f;
out:
	pthread_mutex_unlock(&sf_mu);
	return rc;
}

static void
sf_release(const char *key)
{
	pthread_mutex_lock(&sf_mu);
	for (struct flight **pp = &sf_head; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			struct flight *f = *pp;
			*pp = f->next;
			free(f);
			break;
		}
	}
	pthread_cond_broadcast(&sf_cv);
	pthread_mutex_unlock(&sf_mu);
}

/* ---- the fingerprint index ---- */

struct fpdb {
	char *path;            /* <root>/fingerprints.db */
	sqlite3 *db;           /* NULL when it could not be opened: no fingerprints */
	uint64_t dev, ino;     /* of the file opened, to notice it being replaced or removed */
	int64_t pruned_day;
	unsigned refs;         /* guarded by reg_mu */
	pthread_mutex_t mu;    /* guards db */
	struct fpdb *next;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fpdb *reg_head;

static void
fp_close(struct fpdb *f)
{
	if (f->db != NULL)
		sqlite3_close(f->db);
	f->db = NULL;
}

static bool
fp_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

static void
fp_unlink(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < PCB_ARRAY_LEN(sfx); i++) {
		char *p = pcb_xasprintf("%s%s", path, sfx[i]);
		(void)unlink(p);
		free(p);
	}
}

static int
fp_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Opens (creating) the database file; returns an SQLite code. */
static int
fp_open_once(struct fpdb *f)
{
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int version = -1, rc;

	rc = sqlite3_open_v2(f->path, &f->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(f->db, FP_BUSY_MS);
	/* synchronous=OFF: a row lost in a crash only costs a re-hash, and a row is never
	 * wrong (it states what a file with this identity contained). */
	if ((rc = fp_exec(f->db, "PRAGMA journal_mode=WAL")) != SQLITE_OK ||
	    (rc = fp_exec(f->db, "PRAGMA synchronous=OFF")) != SQLITE_OK)
		goto out;
	if ((rc = sqlite3_prepare_v2(f->db, "PRAGMA user_version", -1, &st, NULL)) != SQLITE_OK)
		goto out;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		goto out;
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version != 0 && version != FP_SCHEMA_VERSION) {
		/* Another version's cache: start over rather than guess. */
		rc = SQLITE_NOTADB;
		goto out;
	}
	rc = fp_exec(f->db,
	    "BEGIN IMMEDIATE;"
	    "CREATE TABLE IF NOT EXISTS fp("
	    " path TEXT PRIMARY KEY, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
	    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
	    " mode INTEGER NOT NULL, sha256 BLOB NOT NULL, used_day INTEGER NOT NULL)"
	    " WITHOUT ROWID;"
	    "CREATE INDEX IF NOT EXISTS fp_used ON fp(used_day);"
	    "PRAGMA user_version = 1;"
	    "COMMIT;");
	if (rc != SQLITE_OK) {
		(void)fp_exec(f->db, "ROLLBACK");
		goto out;
	}
	if (stat(f->path, &sb) == 0) {
		f->dev = (uint64_t)sb.st_dev;
		f->ino = (uint64_t)sb.st_ino;
	}
out:
	sqlite3_finalize(st);
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		fp_close(f);
	else
		rc = SQLITE_OK;
	return rc;
}

/* Opens, recreating the file once when what is there is not a usable database. */
static void
fp_open(struct fpdb *f)
{
	int rc = fp_open_once(f);

	if (rc != SQLITE_OK && (fp_corrupt(rc) || (rc & 0xff) == SQLITE_IOERR ||
	    (rc & 0xff) == SQLITE_CANTOPEN)) {
		atomic_fetch_add(&n_fp_resets, 1);
		fp_unlink(f->path);
		(void)fp_open_once(f);
	}
}

/* After an SQLite error: a corrupt file is thrown away and recreated. */
static void
fp_after_error(struct fpdb *f, int rc)
{
	if (!fp_corrupt(rc))
		return;
	fp_close(f);
	atomic_fetch_add(&n_fp_resets, 1);
	fp_unlink(f->path);
	(void)fp_open_once(f);
}

/* The index for this store, locked (f->mu held), opened and checked. Never NULL. */
static struct fpdb *
fp_get(struct pcb_store *store)
{
	char *path = pcb_path_join(pcb_store_root(store), FP_DB_NAME);
	struct fpdb *f, **pp;
	size_t count = 0;
	struct stat sb;

	pthread_mutex_lock(&reg_mu);
	for (f = reg_head; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0)
			break;
	if (f == NULL) {
		/* Make room: close an idle one. Stores come and go (tests, several roots). */
		for (struct fpdb *g = reg_head; g != NULL; g = g->next)
			count++;
		for (pp = &reg_head; count >= FP_REGISTRY_MAX && *pp != NULL; ) {
			if ((*pp)->refs == 0) {
				struct fpdb *g = *pp;
				*pp = g->next;
				fp_close(g);
				pthread_mutex_destroy(&g->mu);
				free(g->path);
				free(g);
				count--;
			} else {
				pp = &(*pp)->next;
			}
		}
		f = pcb_xcalloc(1, sizeof *f);
		f->path = path;
		path = NULL;
		pthread_mutex_init(&f->mu, NULL);
		f->next = reg_head;
		reg_head = f;
	}
	f->refs++;
	pthread_mutex_unlock(&reg_mu);
	free(path);

	pthread_mutex_lock(&f->mu);
	/* Removed or replaced under us (a wiped store root, a manual cleanup): reopen. */
	if (f->db != NULL && (stat(f->path, &sb) != 0 || (uint64_t)sb.st_dev != f->dev ||
	    (uint64_t)sb.st_ino != f->ino))
		fp_close(f);
	if (f->db == NULL)
		fp_open(f);
	return f;
}

static void
fp_put(struct fpdb *f)
{
	pthread_mutex_unlock(&f->mu);
	pthread_mutex_lock(&reg_mu);
	f->refs--;
	pthread_mutex_unlock(&reg_mu);
}

void
pcb_lcache_shutdown(void)
{
	pthread_mutex_lock(&reg_mu);
	while (reg_head != NULL) {
		struct fpdb *f = reg_head;
		reg_head = f->next;
		fp_close(f);
		pthread_mutex_destroy(&f->mu);
		free(f->path);
		free(f);
	}
	pthread_mutex_unlock(&reg_mu);
}

static int64_t
today(void)
{
	return (int64_t)(time(NULL) / 86400);
}

/* Fills sha/known for files whose identity matches their row. Caller holds f->mu. */
static void
fp_lookup(struct fpdb *f, const struct pcb_layer_list *l, struct frec *r, const bool *want)
{
	sqlite3_stmt *st = NULL;
	int64_t day = today();
	int rc;

	if (f->db == NULL)
		return;
	/* One read transaction: one snapshot, one lock, for every lookup. */
	if ((rc = fp_exec(f->db, "BEGIN")) != SQLITE_OK)
		goto out;
	rc = sqlite3_prepare_v2(f->db, "SELECT dev, ino, size, mtime_ns, ctime_ns, mode, sha256,"
	    " used_day FROM fp WHERE path = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const void *blob;
		if (!want[i])
			continue;
		sqlite3_bind_text(st, 1, l->v[i].src, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			blob = sqlite3_column_blob(st, 6);
			if (blob != NULL && sqlite3_column_bytes(st, 6) == 32 &&
			    (uint64_t)sqlite3_column_int64(st, 0) == r[i].dev &&
			    (uint64_t)sqlite3_column_int64(st, 1) == r[i].ino &&
			    (uint64_t)sqlite3_column_int64(st, 2) == r[i].size &&
			    sqlite3_column_int64(st, 3) == r[i].mtime_ns &&
			    sqlite3_column_int64(st, 4) == r[i].ctime_ns &&
			    (uint32_t)sqlite3_column_int64(st, 5) == r[i].mode) {
				memcpy(r[i].sha, blob, 32);
				r[i].have_sha = true;
				r[i].known = true;
				r[i].stale_day = sqlite3_column_int64(st, 7) < day;
			}
		} else if (rc != SQLITE_DONE) {
			goto out;
		}
		sqlite3_reset(st);
	}
	rc = SQLITE_OK;
out:
	sqlite3_finalize(st);
	if (f->db != NULL && !sqlite3_get_autocommit(f->db))
		(void)fp_exec(f->db, "COMMIT");
	if (rc != SQLITE_OK)
		fp_after_error(f, rc);
}

/* Drops rows unused for FP_KEEP_DAYS, then the least recently used beyond FP_MAX_ROWS; at
 * most once a day per open database. Caller holds f->mu, inside a write transaction. */
static void
fp_prune(struct fpdb *f, int64_t day)
{
	char *sql;

	if (f->pruned_day == day)
		return;
	f->pruned_day = day;
	sql = pcb_xasprintf("DELETE FROM fp WHERE used_day < %lld;"
	    "DELETE FROM fp WHERE path IN (SELECT path FROM fp ORDER BY used_day"
	    " LIMIT max(0, (SELECT count(*) FROM fp) - %d));",
	    (long long)(day - FP_KEEP_DAYS), FP_MAX_ROWS);
	(void)fp_exec(f->db, sql);
	free(sql);
}

/* Writes rows for files with a trusted digest that the index lacks or has as stale. */
static void
fp_record(struct fpdb *f, const struct pcb_layer_list *l, const struct frec *r)
{
	sqlite3_stmt *ins = NULL, *touch = NULL;
	int64_t day = today();
	size_t todo = 0;
	int rc;

	if (f->db == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE && r[i].have_sha && !r[i].racy && !r[i].no_fp &&
		    (!r[i].known || r[i].stale_day))
			todo++;
	if (todo == 0 && f->pruned_day == day)
		return;
	if ((rc = fp_exec(f->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		goto out;
	fp_prune(f, day);
	if ((rc = sqlite3_prepare_v2(f->db, "INSERT OR REPLACE INTO fp(path, dev, ino, size,"
	    " mtime_ns, ctime_ns, mode, sha256, used_day) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    -1, &ins, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(f->db, "UPDATE fp SET used_day = ?2 WHERE path = ?1", -1,
	    &touch, NULL)) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct frec *x = &r[i];
		if (l->v[i].type != PCB_ENTRY_FILE || !x->have_sha || x->racy || x->no_fp)
			continue;
		if (!x->known) {
			sqlite3_bind_text(ins, 1, l->v[i].src, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)x->dev);
			sqlite3_bind_int64(ins, 3, (sqlite3_int64)x->ino);
			sqlite3_bind_int64(ins, 4, (sqlite3_int64)x->size);
			sqlite3_bind_int64(ins, 5, x->mtime_ns);
			sqlite3_bind_int64(ins, 6, x->ctime_ns);
			sqlite3_bind_int64(ins, 7, x->mode);
			sqlite3_bind_blob(ins, 8, x->sha, 32, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 9, day);
			rc = sqlite3_step(ins);
			sqlite3_reset(ins);
		} else if (x->stale_day) {
			sqlite3_bind_text(touch, 1, l->v[i].src, -1, SQLITE_STATIC);
			sqlite3_bind_int64(touch, 2, day);
			rc = sqlite3_step(touch);
			sqlite3_reset(touch);
		} else {
			continue;
		}
		if (rc != SQLITE_DONE)
			goto out;
	}
	rc = fp_exec(f->db, "COMMIT");
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(touch);
	if (f->db != NULL && !sqlite3_get_autocommit(f->db))
		(void)fp_exec(f->db, "ROLLBACK");
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		fp_after_error(f, rc);
}

/* ---- reading files ---- */

static bool
cancelled(const struct pcb_layer_opts *o)
{
	return o->cancel != NULL && atomic_load(o->cancel) != 0;
}

/* Hashes the file of entry e if it still has the identity in r (checked before and after the
 * read). Returns false when it could not (changed, vanished): that file is then unknown. */
static bool
hash_file(const struct pcb_layer_entry *e, struct frec *r, unsigned char *buf)
{
	EVP_MD_CTX *md = NULL;
	struct stat st;
	uint64_t left = r->size;
	unsigned int len = 0;
	bool ok = false;
	int fd;

	fd = pcb_cred_open(e->as, e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !frec_same(r, &st))
		goto out;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < READ_CHUNK ? (size_t)left : READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			goto out;
		left -= (uint64_t)n;
		atomic_fetch_add(&n_bytes_read, (uint64_t)n);
	}
	if (fstat(fd, &st) != 0 || !frec_same(r, &st) ||
	    EVP_DigestFinal_ex(md, r->sha, &len) != 1 || len != 32)
		goto out;
	atomic_fetch_add(&n_hashed, 1);
	r->have_sha = true;
	ok = true;
out:
	EVP_MD_CTX_free(md);
	close(fd);
	return ok;
}

/* Hashes every file without a digest. Returns false if one could not be hashed. */
static bool
hash_missing(const struct pcb_layer_list *l, struct frec *r, const struct pcb_layer_opts *o)
{
	unsigned char *buf = pcb_xmalloc(READ_CHUNK);
	bool ok = true;

	for (size_t i = 0; ok && i < l->n; i++) {
		if (l->v[i].type != PCB_ENTRY_FILE || r[i].have_sha)
			continue;
		ok = !cancelled(o) && hash_file(&l->v[i], &r[i], buf);
	}
	free(buf);
	return ok;
}

/* Every file still has the identity it had when listed: what was packed is what the keys
 * and digests describe (a file changed in between gets a new ctime). */
static bool
unchanged(const struct pcb_layer_list *l, const struct frec *r)
{
	for (size_t i = 0; i < l->n; i++) {
		struct stat st;
		if (l->v[i].type == PCB_ENTRY_FILE && !r[i].read_same &&
		    (lstat(l->v[i].src, &st) != 0 || !frec_same(&r[i], &st)))
			return false;
	}
	return true;
}

struct digest_sink {
	const struct pcb_layer_opts *caller;
	struct frec *r;
	size_t n;
	bool differs;     /* a digest known before the pack is not what was packed */
};

/* The packer's digest of what it packed wins over a fingerprint: if they differ, the file
 * changed unseen (within a clock tick) and the row is rewritten. */
static void
on_file_digest(void *ud, size_t index, const unsigned char sha256[32], const struct stat *st)
{
	struct digest_sink *d = ud;

	if (index < d->n) {
		/* The identity the content was read with, taken on the open file after reading,
		 * vouches for it as a fresh lstat after the pack would (unchanged() skips it). */
		d->r[index].read_same = frec_same(&d->r[index], st);
		if (d->r[index].have_sha && memcmp(d->r[index].sha, sha256, 32) != 0) {
			d->r[index].known = false;
			d->differs = true;
		}
		memcpy(d->r[index].sha, sha256, 32);
		d->r[index].have_sha = true;
	}
	if (d->caller->file_digest != NULL)
		d->caller->file_digest(d->caller->file_digest_ud, index, sha256, st);
}

/* Packs and learns every file's digest: from the packer's file_digest callback, and for any
 * file it did not report (a packer without the callback) by reading the file again after the
 * pack (hash_file's identity check keeps a file changed in between from being recorded). Returns the pack's code;
 * *digests_ok tells whether every file now has a digest of what was packed; *keys_ok is false
 * when a digest known before the pack (a fingerprint, a staging file's) was not what got
 * packed: the rows are then corrected but the keys computed from them not recorded. */
static int
pack_and_digest(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *o, struct frec *r, struct pcb_layer_result *res,
    bool *digests_ok, bool *keys_ok, struct pcb_err *err)
{
	struct pcb_layer_opts oo = *o;
	struct digest_sink d = { .caller = o, .r = r, .n = l->n };
	int rc;

	*digests_ok = false;
	*keys_ok = false;
	oo.file_digest = on_file_digest;
	oo.file_digest_ud = &d;
	if ((rc = pcb_layer_pack(store, l, &oo, res, err)) != 0)
		return rc;
	*digests_ok = hash_missing(l, r, o) && unchanged(l, r);
	*keys_ok = !d.differs;
	return 0;
}

/* ---- the entry point ---- */

/* The identity of every file entry: the walk's lstat when the entry carries it (have_stat),
 * else an lstat now. The walk's is as good as a fresh one: the stat key then names the files
 * as they were listed, and a file changed since cannot be packed unseen (the packer checks
 * sizes, the fingerprints and the post-pack check compare identities, and mark_racy's clock
 * is read after every one of these lstats). False when the list is not cacheable as it
 * stands (a file gone, no longer regular, resized, a path too long): packing then reports
 * what is wrong. */
static bool
scan(const struct pcb_layer_list *l, struct frec *r, bool *want, const char *tmp_prefix,
    const struct pcb_layer_opts *o)
{
	size_t tmp_len = strlen(tmp_prefix);

	for (size_t i = 0; i < l->n; i++) {
		const struct pcb_layer_entry *e = &l->v[i];
		struct stat st;

		if (e->path == NULL || strnlen(e->path, PATH_MAX) >= PATH_MAX)
			return false;
		if (e->type != PCB_ENTRY_FILE)
			continue;
		if ((i & 1023) == 0 && cancelled(o))
			return false;
		if (e->src == NULL || strnlen(e->src, PATH_MAX) >= PATH_MAX)
			return false;
		if (e->have_stat && S_ISREG(e->host_mode)) {
			frec_from_entry(&r[i], e);
		} else {
			atomic_fetch_add(&n_lstats, 1);
			if (lstat(e->src, &st) != 0 || !S_ISREG(st.st_mode) ||
			    (uint64_t)st.st_size != e->size)
				return false;
			frec_from_stat(&r[i], &st);
		}
		r[i].no_fp = strncmp(e->src, tmp_prefix, tmp_len) == 0;
		want[i] = !r[i].no_fp;
	}
	return true;
}

/* Reads the staging files when they are small (STAGING_HASH_MAX). A file that cannot be
 * read keeps its identity in the stat key. */
static void
hash_staging(const struct pcb_layer_list *l, struct frec *r)
{
	unsigned char *buf;
	uint64_t bytes = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE && r[i].no_fp)
			bytes += r[i].size;
	if (bytes == 0 || bytes > STAGING_HASH_MAX)
		return;
	buf = pcb_xmalloc(READ_CHUNK);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE && r[i].no_fp)
			(void)hash_file(&l->v[i], &r[i], buf);
	free(buf);
}

/* Marks files changed too recently to be trusted beyond this build. now_ns is the coarse
 * clock read after the lstats and before any content is read: a later write gets a ctime at
 * or after it, so a file with an older ctime cannot change unseen. */
static bool
mark_racy(const struct pcb_layer_list *l, struct frec *r, int64_t now_ns)
{
	bool any = false;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].type != PCB_ENTRY_FILE)
			continue;
		r[i].racy = r[i].ctime_ns >= now_ns;
		/* A staging file in the key by content cannot make the key wrong (the packed
		 * digest is checked against it); it is still never fingerprinted. */
		any |= r[i].racy && !(r[i].no_fp && r[i].have_sha);
	}
	return any;
}

static void
report_done(const struct pcb_layer_list *l, const struct pcb_layer_opts *o)
{
	uint64_t total = 0;

	if (o->progress == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE)
			total += l->v[i].size;
	o->progress(o->progress_ud, total, total);
}

int
pcb_lcache_pack(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *opts, const char *salt, struct pcb_layer_result *res,
    bool *reused, struct pcb_err *err)
{
	return pcb_lcache_pack_rc(store, NULL, NULL, l, opts, salt, res, reused, NULL, err);
}

int
pcb_lcache_pack_rc(struct pcb_store *store, struct pcb_rcache *rcache, const char *name,
    const struct pcb_layer_list *l, const struct pcb_layer_opts *opts, const char *salt,
    struct pcb_layer_result *res, bool *reused, bool *remote, struct pcb_err *err)
{
	static const struct pcb_layer_opts defaults;
	const struct pcb_layer_opts *o = opts != NULL ? opts : &defaults;
	struct pcb_layer_result got;
	struct frec *r = NULL;
	struct fpdb *f = NULL;
	char skey[KEY_BUFSZ], ckey[KEY_BUFSZ], *tmp_prefix = NULL;
	bool *want = NULL, held = false, any_racy, hit = false, digests_ok = false,
	    keys_ok = false, from_remote = false;
	uint64_t unknown_bytes = 0;
	int rc = 0;

	memset(&got, 0, sizeof got);
	ckey[0] = '\0';
	if (l->n > LCACHE_MAX_ENTRIES) {
		rc = pcb_err_set(err, PCB_ETOOBIG, "a layer of %zu entries is over the limit of %d",
		    l->n, LCACHE_MAX_ENTRIES);
		goto out;
	}
	r = pcb_xcalloc(l->n ? l->n : 1, sizeof *r);
	want = pcb_xcalloc(l->n ? l->n : 1, sizeof *want);
	tmp_prefix = pcb_xasprintf("%s/tmp/", pcb_store_root(store));
	if (!scan(l, r, want, tmp_prefix, o)) {
		/* Not cacheable: the plain packer says what is wrong (or packs what it can). */
		atomic_fetch_add(&n_misses, 1);
		rc = pcb_layer_pack(store, l, o, &got, err);
		goto out;
	}
	hash_staging(l, r);
	any_racy = mark_racy(l, r, coarse_now_ns());
	if ((rc = stat_key(l, r, o, salt, skey)) != 0) {
		rc = pcb_err_set(err, rc, "cannot compute a layer key (SHA-256)");
		goto out;
	}
	if ((rc = sf_acquire(skey, o->cancel, err)) != 0)
		goto out;
	held = true;

	/* 1. Stat key: nothing read. A racy list never got one recorded, but an older identical
	 * entry is just as good. */
	if (!o->no_reuse && cache_lookup(store, skey, &got, ckey)) {
		atomic_fetch_add(&n_stat_hits, 1);
		hit = true;
		goto out;
	}

	/* 2. Content key from fingerprints, hashing the few files they do not cover. */
	f = fp_get(store);
	fp_lookup(f, l, r, want);
	/* Other threads may use the index while this one reads files or packs. */
	fp_put(f);
	f = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE && !r[i].have_sha)
			unknown_bytes += r[i].size;
	/* With a registry cache to look in, hashing first pays even for big trees: a hit there
	 * saves the packing and the upload. */
	if (!o->no_reuse && (unknown_bytes <= HASH_BEFORE_PACK_MAX ||
	    pcb_rcache_has_layers(rcache)) && hash_missing(l, r, o)) {
		if ((rc = content_key(l, r, o, salt, ckey)) != 0) {
			rc = pcb_err_set(err, rc, "cannot compute a layer key (SHA-256)");
			goto out;
		}
		if (cache_lookup(store, ckey, &got, NULL)) {
			atomic_fetch_add(&n_content_hits, 1);
			f = fp_get(store);
			fp_record(f, l, r);
			if (!any_racy)
				cache_store(store, skey, &got, ckey);
			hit = true;
			goto out;
		}
		/* The registry cache: the layer's descriptor without its bytes (rcache.h). Not
		 * remembered locally, the store not having the blob. */
		if (pcb_rcache_layer_find(rcache, ckey, &got, NULL)) {
			f = fp_get(store);
			fp_record(f, l, r);
			hit = true;
			from_remote = true;
			goto out;
		}
		ckey[0] = '\0';
	}
	if (cancelled(o)) {
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
		goto out;
	}

	/* 3. Pack, then remember. */
	atomic_fetch_add(&n_misses, 1);
	if ((rc = pack_and_digest(store, l, o, r, &got, &digests_ok, &keys_ok, err)) != 0)
		goto out;
	if (!digests_ok)
		goto out;
	f = fp_get(store);
	fp_record(f, l, r);
	if (!keys_ok)
		goto out;
	if (content_key(l, r, o, salt, ckey) == 0)
		cache_store(store, ckey, &got, NULL);
	else
		ckey[0] = '\0';
	if (!any_racy)
		cache_store(store, skey, &got, ckey);
out:
	if (f != NULL)
		fp_put(f);
	if (held)
		sf_release(skey);
	if (rc == 0 && hit)
		report_done(l, o);
	if (rc == 0) {
		*res = got;
		if (reused != NULL)
			*reused = hit;
		if (remote != NULL)
			*remote = from_remote;
		/* What --cache-to writes: the layer under its portable key. */
		if (rcache != NULL && ckey[0] != '\0')
			pcb_rcache_layer_note(rcache, ckey, name, &got, NULL);
	}
	free(r);
	free(want);
	free(tmp_prefix);
	return rc;
}
