/* api-images.c — the images in the daemon's store: GET /v1/images (the tags the caller may
 * see, with digest, size, platform and creation time), GET /v1/images/inspect (manifest,
 * config and a table of layers saying what made each), GET /v1/images/history, GET
 * /v1/images/archive (the image as an oci-archive or docker-archive tar, streamed), POST
 * /v1/images/tag and DELETE /v1/images (untag).
 *
 * The image is named in the query, ?ref=NAME[:TAG] | NAME@sha256:… | sha256:… | a hex
 * prefix of a manifest digest | a build id, not in the path: a reference may hold '/'
 * ("registry:5000/team/app:1"), and libmicrohttpd decodes %2F before the route table splits
 * the path, so a path segment cannot carry it.
 *
 * Tags are per owner (store.h): a user sees their own names (kept as "~<uid>/NAME") and the
 * shared ones root and the daemon's own user write; admins see every user's, with the owner.
 * A user tags and untags only their own names; writing or removing a shared name is for
 * admins (403). Another user's tag answers 404, as if it were not there.
 *
 * GET /v1/images?outdated=true lists only the images whose base moved: every build records
 * the base tag it resolved and that base's manifest digest (the labels
 * org.opencontainers.image.base.name / .base.digest), and an image is outdated when that tag,
 * looked up as its build looked it up (the image owner's own tag, else the shared one), names
 * another image now. Only the store's tags are asked, never a registry: a base that was
 * pulled by a build without being tagged here, or whose tag is gone, is not known to have
 * moved (`pcb pull` the base's tag, then list again).
 *
 * Everything that reads the store runs on libuv's thread pool with the connection suspended
 * (as api-cache.c does); the archive is produced by pcb_archive_stream on a thread of its own
 * into a bounded buffer that the response's content reader drains, so a multi-GB image never
 * sits in memory and a slow client only ever holds up its own producer. Loop thread only,
 * except the functions marked as running on the pool or the producer thread. */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "api.h"
#include "image/archive.h"
#include "image/oci.h"
#include "image/store.h"
#include "log.h"
#include "registry/transfer.h"

/* Manifests and configs are small; anything bigger is not one we wrote or pulled. */
#define IMG_JSON_MAX ((size_t)4 << 20)
/* How many recent builds to look through for the one that made an image (inspect). */
#define RECENT_BUILDS 200
/* The archive's buffer between its producer and the response. */
#define TAR_RING ((size_t)2 << 20)
#define TAR_BLOCK ((size_t)256 << 10)
/* The shortest hex prefix accepted as an image id (as `docker` allows). */
#define ID_PREFIX_MIN 4

enum img_op { OP_LIST, OP_INSPECT, OP_HISTORY, OP_TAG, OP_REMOVE, OP_ARCHIVE };

/* An image read from the store: the manifest a reference names (an index resolved to this
 * host's platform) and its config. */
struct image {
	char digest[PCB_DIGEST_BUFSZ];          /* what the reference names */
	char manifest_digest[PCB_DIGEST_BUFSZ]; /* the image manifest (= digest unless an index) */
	json_object *manifest;
	json_object *config;
	char config_digest[PCB_DIGEST_BUFSZ];
	uint64_t config_size;
	uint64_t size;                          /* config + layers, as stored (compressed) */
	char platform[100];
	struct pcb_platform plat;
};

/* What a reference resolved to. */
struct resolved {
	char digest[PCB_DIGEST_BUFSZ];
	char *key;      /* the tag's store key when named by a tag, else NULL */
	char *name;     /* "repo:tag" as the caller writes it, else NULL */
};

struct img_work {
	uv_work_t w;
	struct pcb_request *r;
	struct pcb_daemon *d;
	enum img_op op;
	struct pcb_cred caller;      /* copies: the request may go while the work runs */
	bool admin;
	char *ref;
	char *build_digest;          /* ref was a build id: its manifest, resolved on the loop */
	char *pattern;               /* list: ?reference= */
	bool outdated;               /* list: ?outdated=true */
	char *target;                /* tag */
	bool shared;
	enum pcb_archive_format format;
	/* answer */
	json_object *out;
	unsigned status;
	struct resolved res;
	struct image img;            /* archive: the image to stream */
	struct pcb_err err;
	int rc;
};

/* --- reading images (thread pool) -------------------------------------------------------- */

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
jarr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* A small JSON blob of the store, checked against its digest. Read from the file rather than
 * with pcb_store_read, which marks the blob used: listing images is not using them. */
static int
read_json_blob(struct pcb_store *s, const char *digest, const char *what, json_object **out,
    struct pcb_err *err)
{
	char *path = pcb_store_blob_path(s, digest), *text = NULL;
	char got[PCB_DIGEST_BUFSZ];
	json_object *j = NULL;
	json_tokener *tok;
	size_t len = 0;
	int rc;

	if ((rc = pcb_read_file(path, IMG_JSON_MAX, &text, &len, err)) != 0) {
		if (rc == PCB_ENOENT || errno == ENOENT) {
			pcb_err_clear(err);
			rc = pcb_err_set(err, PCB_ENOENT, "the %s %s is not in the store", what, digest);
		}
		goto out;
	}
	pcb_sha256_buf(text, len, got);
	if (strcmp(got, digest) != 0) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "the %s %s in the store is damaged (its bytes "
		    "hash to %s); run pcb cache verify", what, digest, got);
		goto out;
	}
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "the %s %s is not a JSON object", what, digest);
		goto out;
	}
out:
	if (rc != 0) {
		json_object_put(j);
		j = NULL;
	}
	*out = j;
	free(text);
	free(path);
	return rc;
}

static void
image_free(struct image *im)
{
	json_object_put(im->manifest);
	json_object_put(im->config);
	memset(im, 0, sizeof *im);
}

/* The child of an index for this host's platform, else its only child, else its first. */
static const char *
index_pick(json_object *index)
{
	json_object *a = jarr(index, "manifests");
	struct pcb_platform host;
	size_t n = a != NULL ? json_object_array_length(a) : 0;

	pcb_platform_host(&host);
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(a, i), *p = NULL;
		const char *os, *arch;

		json_object_object_get_ex(m, "platform", &p);
		os = jstr(p, "os");
		arch = jstr(p, "architecture");
		if (os != NULL && arch != NULL && strcmp(os, host.os) == 0 &&
		    strcmp(arch, host.arch) == 0 && pcb_digest_valid(jstr(m, "digest")))
			return jstr(m, "digest");
	}
	return n > 0 && pcb_digest_valid(jstr(json_object_array_get_idx(a, 0), "digest")) ?
	    jstr(json_object_array_get_idx(a, 0), "digest") : NULL;
}

static int
image_load(struct pcb_store *s, const char *digest, struct image *im, struct pcb_err *err)
{
	json_object *layers, *cfg = NULL;
	const char *d;
	int rc;

	memset(im, 0, sizeof *im);
	snprintf(im->digest, sizeof im->digest, "%s", digest);
	snprintf(im->manifest_digest, sizeof im->manifest_digest, "%s", digest);
	if ((rc = read_json_blob(s, digest, "manifest", &im->manifest, err)) != 0)
		goto out;
	if (jarr(im->manifest, "manifests") != NULL) {
		json_object *index = im->manifest;
		im->manifest = NULL;
		d = index_pick(index);
		if (d == NULL) {
			json_object_put(index);
			rc = pcb_err_set(err, PCB_EUNSUPPORTED, "the index %s names no image", digest);
			goto out;
		}
		snprintf(im->manifest_digest, sizeof im->manifest_digest, "%s", d);
		json_object_put(index);
		if ((rc = read_json_blob(s, im->manifest_digest, "manifest", &im->manifest,
		    err)) != 0)
			goto out;
	}
	json_object_object_get_ex(im->manifest, "config", &cfg);
	d = jstr(cfg, "digest");
	if (d == NULL || !pcb_digest_valid(d) || (layers = jarr(im->manifest, "layers")) == NULL) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "%s is not an image manifest (no config or "
		    "layers)", im->manifest_digest);
		goto out;
	}
	snprintf(im->config_digest, sizeof im->config_digest, "%s", d);
	im->config_size = (uint64_t)json_object_get_int64(json_object_object_get(cfg, "size"));
	im->size = im->config_size;
	for (size_t i = 0; i < json_object_array_length(layers); i++)
		im->size += (uint64_t)json_object_get_int64(json_object_object_get(
		    json_object_array_get_idx(layers, i), "size"));
	if ((rc = read_json_blob(s, im->config_digest, "config", &im->config, err)) != 0)
		goto out;
	snprintf(im->plat.os, sizeof im->plat.os, "%s", jstr(im->config, "os") ?
	    jstr(im->config, "os") : "");
	snprintf(im->plat.arch, sizeof im->plat.arch, "%s", jstr(im->config, "architecture") ?
	    jstr(im->config, "architecture") : "");
	snprintf(im->plat.variant, sizeof im->plat.variant, "%s", jstr(im->config, "variant") ?
	    jstr(im->config, "variant") : "");
	pcb_platform_format(&im->plat, im->platform);
out:
	if (rc != 0) {
		pcb_err_prefix(err, "image %s", digest);
		json_object_put(im->manifest);
		json_object_put(im->config);
		im->manifest = im->config = NULL;
	}
	return rc;
}

/* --- names and who may see them ---------------------------------------------------------- */

/* How a tag's store key looks to the caller. */
struct tag_view {
	bool visible;
	bool own;           /* the caller's own name (root's and the daemon's are the shared ones) */
	bool shared;        /* an unprefixed name every user may read */
	uid_t owner_uid;    /* of a "~<uid>/" key */
	const char *name;   /* the name without the owner prefix (points into the key) */
};

static struct tag_view
tag_view(const char *key, const struct pcb_cred *caller, bool admin)
{
	struct tag_view v;

	memset(&v, 0, sizeof v);
	if (key[0] == '~') {
		char *end;
		unsigned long uid;

		errno = 0;
		uid = strtoul(key + 1, &end, 10);
		if (end == key + 1 || *end != '/' || errno != 0 || end[1] == '\0')
			return v;   /* not a key this program writes: nobody's to see */
		v.owner_uid = (uid_t)uid;
		v.name = end + 1;
		v.own = !pcb_cred_is_self(caller) && caller->uid == (uid_t)uid;
		v.visible = v.own || admin;
	} else {
		v.name = key;
		v.shared = true;
		v.own = pcb_cred_is_self(caller);
		v.visible = true;
	}
	return v;
}

/* The user name of uid, or its digits. */
static void
owner_name(uid_t uid, char out[64])
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
		snprintf(out, 64, "%s", res->pw_name);
	else
		snprintf(out, 64, "%u", (unsigned)uid);
}

/* "repo:tag" → repo and tag (the tag is after the last ':' that follows the last '/'). */
static void
split_name(const char *name, char **repo, char **tag)
{
	const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');

	if (colon != NULL && (slash == NULL || colon > slash)) {
		*repo = pcb_xstrndup(name, (size_t)(colon - name));
		*tag = pcb_xstrdup(colon + 1);
	} else {
		*repo = pcb_xstrdup(name);
		*tag = pcb_xstrdup("latest");
	}
}

/* A name as the store keeps it: "repo:tag" (":latest" added), validated by the reference
 * grammar. Caller frees. */
static int
normal_name(const char *ref, char **out, struct pcb_err *err)
{
	char *repo = NULL, *tag = NULL;
	int rc = pcb_ref_parse(ref, &repo, &tag, err);

	*out = rc == 0 ? pcb_xasprintf("%s:%s", repo, tag) : NULL;
	free(repo);
	free(tag);
	return rc;
}

static bool
all_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void
resolved_free(struct resolved *r)
{
	free(r->key);
	free(r->name);
	memset(r, 0, sizeof *r);
}

/* A hex prefix of the manifest digest of some image the caller may see by a tag. */
static int
resolve_prefix(struct pcb_store *s, const struct pcb_cred *caller, bool admin,
    const char *prefix, struct resolved *out, struct pcb_err *err)
{
	struct pcb_store_tag *t = NULL;
	size_t n = 0, found = 0;
	int rc;

	if ((rc = pcb_store_tag_list(s, &t, &n, err)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct tag_view v = tag_view(t[i].name, caller, admin);

		if (!v.visible || strncmp(t[i].digest + 7, prefix, strlen(prefix)) != 0)
			continue;
		if (found > 0 && strcmp(out->digest, t[i].digest) == 0)
			continue;
		if (found++ > 0)
			break;
		snprintf(out->digest, sizeof out->digest, "%s", t[i].digest);
	}
	pcb_store_tags_free(t, n);
	if (found == 0)
		return pcb_err_set(err, PCB_ENOENT, "no image %s", prefix);
	if (found > 1)
		return pcb_err_set(err, PCB_EINVAL, "%s is the start of several images' digests; "
		    "give more of it", prefix);
	return 0;
}

/* Whatever ?ref= names, among what the caller may see. Thread pool. */
static int
resolve(struct pcb_store *s, const struct pcb_cred *caller, bool admin, const char *ref,
    const char *build_digest, struct resolved *out, struct pcb_err *err)
{
	char *name = NULL, *key = NULL, *d = NULL;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (build_digest != NULL) {
		snprintf(out->digest, sizeof out->digest, "%s", build_digest);
		goto out;
	}
	if (pcb_str_has_prefix(ref, "sha256:") || strchr(ref, '@') != NULL) {
		const char *dg = pcb_str_has_prefix(ref, "sha256:") ? ref : strchr(ref, '@') + 1;
		if (!pcb_digest_valid(dg)) {
			rc = pcb_err_set(err, PCB_EINVAL, "\"%.100s\" is not a digest (sha256:<64 hex>)",
			    dg);
			goto out;
		}
		/* Anyone may name an image by its digest (store.h: another user's image is
		 * reachable by digest); it must be there. */
		if ((rc = pcb_store_stat(s, dg, NULL, NULL, err)) != 0) {
			pcb_err_clear(err);
			rc = pcb_err_set(err, PCB_ENOENT, "no image %s", dg);
			goto out;
		}
		snprintf(out->digest, sizeof out->digest, "%s", dg);
		goto out;
	}
	if (ref[0] == '~') {
		/* Another user's image by its store key: for admins only; to anyone else it is
		 * not there. */
		if (!admin) {
			rc = pcb_err_set(err, PCB_ENOENT, "no image %.200s", ref);
			goto out;
		}
		key = strrchr(ref, ':') > strrchr(ref, '/') ? pcb_xstrdup(ref) :
		    pcb_xasprintf("%s:latest", ref);
		if ((rc = pcb_store_tag_get(s, key, &d, err)) != 0)
			goto out;
		out->key = key;
		out->name = pcb_xstrdup(tag_view(key, caller, admin).name);
		key = NULL;
		goto found;
	}
	if ((rc = normal_name(ref, &name, err)) != 0) {
		if (!all_hex(ref, ID_PREFIX_MIN, 64))
			goto out;
		pcb_err_clear(err);
		rc = resolve_prefix(s, caller, admin, ref, out, err);
		goto out;
	}
	/* The caller's own name first, then the shared one (pcb_store_tag_get_as), keeping
	 * track of which it was. */
	key = pcb_store_tag_key(caller, name);
	rc = pcb_store_tag_get(s, key, &d, err);
	if (rc == PCB_ENOENT && strcmp(key, name) != 0) {
		pcb_err_clear(err);
		free(key);
		key = pcb_xstrdup(name);
		rc = pcb_store_tag_get(s, key, &d, err);
	}
	if (rc == PCB_ENOENT && all_hex(ref, ID_PREFIX_MIN, 64)) {
		pcb_err_clear(err);
		rc = resolve_prefix(s, caller, admin, ref, out, err);
		goto out;
	}
	if (rc == PCB_ENOENT) {
		pcb_err_clear(err);
		rc = pcb_err_set(err, PCB_ENOENT, "no image %s", name);
	}
	if (rc != 0)
		goto out;
	out->key = key;
	out->name = name;
	key = name = NULL;
found:
	snprintf(out->digest, sizeof out->digest, "%s", d);
out:
	free(d);
	free(key);
	free(name);
	if (rc != 0)
		resolved_free(out);
	return rc;
}

/* --- answers (thread pool) ---------------------------------------------------------------- */

static json_object *
jstr_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
time_json(int64_t ms)
{
	char ts[32];

	pcb_time_rfc3339_ms(ms, ts);
	return json_object_new_string(ts);
}

/* Images already read during one listing, by digest (tags often share one). */
struct image_cache {
	struct image *v;
	int *rc;
	char (*msg)[PCB_ERR_MSG_MAX];
	size_t n, cap;
};

static const struct image *
cache_get(struct pcb_store *s, struct image_cache *c, const char *digest, const char **errmsg)
{
	struct pcb_err e;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].digest, digest) == 0) {
			*errmsg = c->rc[i] != 0 ? c->msg[i] : NULL;
			return c->rc[i] == 0 ? &c->v[i] : NULL;
		}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = pcb_xrealloc(c->v, c->cap * sizeof *c->v);
		c->rc = pcb_xrealloc(c->rc, c->cap * sizeof *c->rc);
		c->msg = pcb_xrealloc(c->msg, c->cap * sizeof *c->msg);
	}
	pcb_err_clear(&e);
	c->rc[c->n] = image_load(s, digest, &c->v[c->n], &e);
	snprintf(c->v[c->n].digest, sizeof c->v[c->n].digest, "%s", digest);
	snprintf(c->msg[c->n], sizeof c->msg[c->n], "%s", e.msg);
	c->n++;
	*errmsg = c->rc[c->n - 1] != 0 ? c->msg[c->n - 1] : NULL;
	return c->rc[c->n - 1] == 0 ? &c->v[c->n - 1] : NULL;
}

static void
cache_free(struct image_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		image_free(&c->v[i]);
	free(c->v);
	free(c->rc);
	free(c->msg);
}

/* ?reference=: with a ':' the pattern is matched against "repo:tag", else against the
 * repository; '*', '?' and [...] as in the shell. */
static bool
name_matches(const char *pattern, const char *repo, const char *name)
{
	return fnmatch(pattern, strchr(pattern, ':') != NULL ? name : repo, 0) == 0;
}

static int
cmp_tag_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pcb_store_tag *)elem)->name);
}

/* The digest the store key names in the sorted tag list, or NULL. */
static const char *
tag_lookup(const struct pcb_store_tag *t, size_t n, const char *key)
{
	const struct pcb_store_tag *hit = bsearch(key, t, n, sizeof *t, cmp_tag_key);

	return hit != NULL ? hit->digest : NULL;
}

/* Does the index `digest` (in the store) hold the manifest `child`? A base tag naming a
 * multi-platform index has not moved while the index still holds the platform's image the
 * build took from it. */
static bool
index_holds(struct pcb_store *s, const char *digest, const char *child)
{
	json_object *idx = NULL, *ms;
	struct pcb_err e;
	bool found = false;

	pcb_err_clear(&e);
	if (read_json_blob(s, digest, "index", &idx, &e) != 0)
		return false;
	ms = jarr(idx, "manifests");
	for (size_t i = 0; ms != NULL && i < json_object_array_length(ms) && !found; i++) {
		const char *d = jstr(json_object_array_get_idx(ms, i), "digest");
		found = d != NULL && strcmp(d, child) == 0;
	}
	json_object_put(idx);
	return found;
}

/* For ?outdated=: {"name", "digest", "current"} when the base tag the image records names
 * another image now, looked up in the namespace of the tag's owner as its build did (their
 * own tag, else the shared one); else NULL (not outdated, or not known to be). */
static json_object *
base_moved(struct pcb_store *s, const struct pcb_store_tag *t, size_t n, const char *key,
    const struct image *im)
{
	json_object *cfg = NULL, *labels = NULL, *o;
	const char *name, *recorded, *current = NULL;

	json_object_object_get_ex(im->config, "config", &cfg);
	json_object_object_get_ex(cfg, "Labels", &labels);
	name = jstr(labels, "org.opencontainers.image.base.name");
	recorded = jstr(labels, "org.opencontainers.image.base.digest");
	if (name == NULL || recorded == NULL || name[0] == '~')
		return NULL;
	if (key[0] == '~') {
		const char *slash = strchr(key, '/');
		char *own = pcb_xasprintf("%.*s%s", (int)(slash - key + 1), key, name);
		current = tag_lookup(t, n, own);
		free(own);
	}
	if (current == NULL)
		current = tag_lookup(t, n, name);
	if (current == NULL || strcmp(current, recorded) == 0 ||
	    index_holds(s, current, recorded))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "digest", json_object_new_string(recorded));
	json_object_object_add(o, "current", json_object_new_string(current));
	return o;
}

static int
op_list(struct img_work *c, struct pcb_err *err)
{
	struct pcb_store *s = c->d->store;
	struct pcb_store_tag *t = NULL;
	struct image_cache ic;
	struct pcb_strv own;
	json_object *a = json_object_new_array();
	size_t n = 0;
	int rc;

	memset(&ic, 0, sizeof ic);
	pcb_strv_init(&own);
	if ((rc = pcb_store_tag_list(s, &t, &n, err)) != 0)
		goto out;
	/* The caller's own names, to tell which shared ones they hide. */
	for (size_t i = 0; i < n; i++) {
		struct tag_view v = tag_view(t[i].name, &c->caller, c->admin);
		if (v.own && !v.shared)
			pcb_strv_push(&own, v.name);
	}
	for (size_t i = 0; i < n; i++) {
		struct tag_view v = tag_view(t[i].name, &c->caller, c->admin);
		const struct image *im;
		const char *emsg = NULL;
		json_object *e, *base = NULL;
		char *repo, *tag, owner[64];

		if (!v.visible)
			continue;
		split_name(v.name, &repo, &tag);
		if (c->pattern != NULL && !name_matches(c->pattern, repo, v.name)) {
			free(repo);
			free(tag);
			continue;
		}
		im = cache_get(s, &ic, t[i].digest, &emsg);
		if (c->outdated) {
			base = im != NULL ? base_moved(s, t, n, t[i].name, im) : NULL;
			if (base == NULL) {
				free(repo);
				free(tag);
				continue;
			}
		}
		e = json_object_new_object();
		json_object_object_add(e, "repository", json_object_new_string(repo));
		json_object_object_add(e, "tag", json_object_new_string(tag));
		/* What names this image in ?ref=: the name, unless another name of the caller's
		 * hides it (their own app:1 before the shared app:1), or it is another user's
		 * (the store key, for admins). */
		if (!v.shared && !v.own)
			json_object_object_add(e, "ref", json_object_new_string(t[i].name));
		else if (v.shared && !pcb_cred_is_self(&c->caller) && pcb_strv_contains(&own, v.name))
			json_object_object_add(e, "ref", json_object_new_string(t[i].digest));
		else
			json_object_object_add(e, "ref", json_object_new_string(v.name));
		json_object_object_add(e, "digest", json_object_new_string(t[i].digest));
		json_object_object_add(e, "shared", json_object_new_boolean(v.shared));
		if (v.shared) {
			json_object_object_add(e, "owner", NULL);
		} else {
			owner_name(v.owner_uid, owner);
			json_object_object_add(e, "owner", json_object_new_string(owner));
		}
		json_object_object_add(e, "tagged", time_json(t[i].updated_ms));
		json_object_object_add(e, "created", im != NULL ?
		    jstr_or_null(jstr(im->config, "created")) : NULL);
		json_object_object_add(e, "size", im != NULL ?
		    json_object_new_int64((int64_t)im->size) : NULL);
		json_object_object_add(e, "platform", im != NULL ?
		    json_object_new_string(im->platform) : NULL);
		json_object_object_add(e, "layers", im != NULL ? json_object_new_int64((int64_t)
		    json_object_array_length(jarr(im->manifest, "layers"))) : NULL);
		json_object_object_add(e, "error", jstr_or_null(emsg));
		if (c->outdated)
			json_object_object_add(e, "base", base);
		json_object_array_add(a, e);
		free(repo);
		free(tag);
	}
	c->out = json_object_new_object();
	json_object_object_add(c->out, "images", a);
	a = NULL;
out:
	json_object_put(a);
	pcb_store_tags_free(t, n);
	pcb_strv_free(&own);
	cache_free(&ic);
	return rc;
}

/* Every name of the caller's that names digest (or every name, for admins), as they would
 * write it. */
static json_object *
names_of(struct pcb_store *s, const struct pcb_cred *caller, bool admin, const char *digest)
{
	struct pcb_store_tag *t = NULL;
	json_object *a = json_object_new_array();
	size_t n = 0;
	struct pcb_err e;

	pcb_err_clear(&e);
	if (pcb_store_tag_list(s, &t, &n, &e) != 0)
		return a;
	for (size_t i = 0; i < n; i++) {
		struct tag_view v = tag_view(t[i].name, caller, admin);
		if (v.visible && strcmp(t[i].digest, digest) == 0)
			json_object_array_add(a, json_object_new_string(v.own || v.shared ? v.name :
			    t[i].name));
	}
	pcb_store_tags_free(t, n);
	return a;
}

/* What made a layer, from the history entry it pairs with: our builds write "pycontainerd:
 * NAME layer" (NAME: venv, deps:flask, deps:group-1, project, app), everything before
 * ours is the base's. */
static json_object *
layer_name(const char *created_by, bool ours)
{
	static const char pre[] = "pycontainerd: ", post[] = " layer";

	if (created_by != NULL && pcb_str_has_prefix(created_by, pre) &&
	    pcb_str_has_suffix(created_by, post) &&
	    strlen(created_by) > sizeof pre - 1 + sizeof post - 1)
		return json_object_new_string_len(created_by + sizeof pre - 1,
		    (int)(strlen(created_by) - (sizeof pre - 1) - (sizeof post - 1)));
	return ours ? json_object_new_string("base") : NULL;
}

static bool
history_empty(json_object *h)
{
	json_object *v;

	return json_object_object_get_ex(h, "empty_layer", &v) && json_object_get_boolean(v);
}

/* How many of the image's first layers are its base's, when the config names the base
 * (org.opencontainers.image.base.digest, which our builds set) and the store has its
 * manifest; else -1. */
static long
base_layers(struct pcb_store *s, const struct image *im)
{
	json_object *cfg = NULL, *labels = NULL;
	const char *bd;
	struct image base;
	struct pcb_err e;
	long n;

	json_object_object_get_ex(im->config, "config", &cfg);
	json_object_object_get_ex(cfg, "Labels", &labels);
	bd = jstr(labels, "org.opencontainers.image.base.digest");
	pcb_err_clear(&e);
	if (bd == NULL || !pcb_digest_valid(bd) || image_load(s, bd, &base, &e) != 0)
		return -1;
	n = (long)json_object_array_length(jarr(base.manifest, "layers"));
	image_free(&base);
	return n;
}

/* The layer table: digest, media type, sizes (uncompressed when the layer cache knows it),
 * diff_id, and what made it (name, created_by, comment) from the config's history: the
 * base's layers are "base", ours are named by their history entry ("pycontainerd: NAME
 * layer"); a layer of an image that is not ours has no name. */
static json_object *
layers_json(struct pcb_store *s, const struct image *im)
{
	json_object *layers = jarr(im->manifest, "layers"), *rootfs = NULL, *diff_ids;
	json_object *hist = jarr(im->config, "history"), *out = json_object_new_array();
	size_t nl = layers != NULL ? json_object_array_length(layers) : 0, nh = 0, hi = 0;
	bool ours = false, paired;
	long nbase;

	json_object_object_get_ex(im->config, "rootfs", &rootfs);
	diff_ids = jarr(rootfs, "diff_ids");
	/* History pairs with layers only when its non-empty entries are exactly one per
	 * layer (the image spec's rule); otherwise names stay unknown. */
	for (size_t i = 0; hist != NULL && i < json_object_array_length(hist); i++) {
		json_object *h = json_object_array_get_idx(hist, i);
		if (!history_empty(h))
			nh++;
		if (pcb_str_has_prefix(jstr(h, "created_by") ? jstr(h, "created_by") : "",
		    "pycontainerd: "))
			ours = true;
	}
	paired = nh == nl;
	nbase = ours ? base_layers(s, im) : -1;
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *e = json_object_new_object();
		json_object *h = NULL, *tar_size = NULL;
		const char *d = jstr(l, "digest");
		char *value = NULL;
		struct pcb_err ce;

		if (paired) {
			while (hi < json_object_array_length(hist) &&
			    history_empty(json_object_array_get_idx(hist, hi)))
				hi++;
			h = json_object_array_get_idx(hist, hi++);
		}
		json_object_object_add(e, "digest", jstr_or_null(d));
		json_object_object_add(e, "media_type", jstr_or_null(jstr(l, "mediaType")));
		json_object_object_add(e, "size", json_object_new_int64(
		    json_object_get_int64(json_object_object_get(l, "size"))));
		pcb_err_clear(&ce);
		if (d != NULL && pcb_digest_valid(d) &&
		    pcb_store_cache_find_digest(s, d, &value, &ce) == 0) {
			json_object *v = json_tokener_parse(value);
			json_object *ts = v != NULL ? json_object_object_get(v, "tar_size") : NULL;
			if (ts != NULL && json_object_is_type(ts, json_type_int))
				tar_size = json_object_new_int64(json_object_get_int64(ts));
			json_object_put(v);
			free(value);
		}
		json_object_object_add(e, "uncompressed_size", tar_size);
		json_object_object_add(e, "diff_id", diff_ids != NULL &&
		    i < json_object_array_length(diff_ids) ? jstr_or_null(json_object_get_string(
		    json_object_array_get_idx(diff_ids, i))) : NULL);
		if (nbase >= 0 && (long)i < nbase)
			json_object_object_add(e, "name", json_object_new_string("base"));
		else
			json_object_object_add(e, "name", h != NULL ? layer_name(jstr(h, "created_by"),
			    ours) : NULL);
		json_object_object_add(e, "created_by", jstr_or_null(jstr(h, "created_by")));
		json_object_object_add(e, "comment", jstr_or_null(jstr(h, "comment")));
		json_object_object_add(e, "in_store", json_object_new_boolean(d != NULL &&
		    pcb_digest_valid(d) && pcb_store_stat(s, d, NULL, NULL, &ce) == 0));
		json_object_array_add(out, e);
	}
	return out;
}

/* The fields list and inspect share. */
static void
summary_json(json_object *o, const struct image *im, const struct resolved *res)
{
	json_object_object_add(o, "ref", jstr_or_null(res->name));
	json_object_object_add(o, "digest", json_object_new_string(im->digest));
	json_object_object_add(o, "manifest_digest", json_object_new_string(im->manifest_digest));
	json_object_object_add(o, "config_digest", json_object_new_string(im->config_digest));
	json_object_object_add(o, "created", jstr_or_null(jstr(im->config, "created")));
	json_object_object_add(o, "platform", json_object_new_string(im->platform));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)im->size));
}

static int
op_inspect(struct img_work *c, struct pcb_err *err)
{
	struct pcb_store *s = c->d->store;
	struct image im;
	int rc;

	if ((rc = resolve(s, &c->caller, c->admin, c->ref, c->build_digest, &c->res, err)) != 0 ||
	    (rc = image_load(s, c->res.digest, &im, err)) != 0)
		return rc;
	c->out = json_object_new_object();
	summary_json(c->out, &im, &c->res);
	json_object_object_add(c->out, "tags", names_of(s, &c->caller, c->admin, im.digest));
	json_object_object_add(c->out, "media_type",
	    jstr_or_null(jstr(im.manifest, "mediaType")));
	json_object_object_add(c->out, "layers", layers_json(s, &im));
	json_object_object_add(c->out, "manifest", json_object_get(im.manifest));
	json_object_object_add(c->out, "config", json_object_get(im.config));
	json_object_object_add(c->out, "build", NULL);   /* filled in on the loop */
	/* An index (multi-platform image): the above is this host's platform; list them all. */
	if (strcmp(im.digest, im.manifest_digest) != 0) {
		json_object *idx = NULL, *pl = json_object_new_array();
		struct pcb_err e;
		if (read_json_blob(s, im.digest, "index", &idx, &e) == 0)
			for (size_t i = 0; jarr(idx, "manifests") != NULL &&
			    i < json_object_array_length(jarr(idx, "manifests")); i++) {
				json_object *m = json_object_array_get_idx(jarr(idx, "manifests"), i);
				json_object *p = json_object_object_get(m, "platform"), *o;
				struct pcb_platform pp;
				char text[100];
				memset(&pp, 0, sizeof pp);
				snprintf(pp.os, sizeof pp.os, "%s", jstr(p, "os") ?: "?");
				snprintf(pp.arch, sizeof pp.arch, "%s", jstr(p, "architecture") ?: "?");
				snprintf(pp.variant, sizeof pp.variant, "%s", jstr(p, "variant") ?: "");
				pcb_platform_format(&pp, text);
				o = json_object_new_object();
				json_object_object_add(o, "platform", json_object_new_string(text));
				json_object_object_add(o, "digest", jstr_or_null(jstr(m, "digest")));
				json_object_object_add(o, "size", json_object_get(
				    json_object_object_get(m, "size")));
				json_object_array_add(pl, o);
			}
		json_object_put(idx);
		json_object_object_add(c->out, "platforms", pl);
	}
	image_free(&im);
	return 0;
}

static int
op_history(struct img_work *c, struct pcb_err *err)
{
	struct pcb_store *s = c->d->store;
	json_object *hist, *layers, *a = json_object_new_array();
	struct image im;
	size_t li = 0;
	int rc;

	if ((rc = resolve(s, &c->caller, c->admin, c->ref, c->build_digest, &c->res, err)) != 0 ||
	    (rc = image_load(s, c->res.digest, &im, err)) != 0) {
		json_object_put(a);
		return rc;
	}
	hist = jarr(im.config, "history");
	layers = jarr(im.manifest, "layers");
	for (size_t i = 0; hist != NULL && i < json_object_array_length(hist); i++) {
		json_object *h = json_object_array_get_idx(hist, i), *e = json_object_new_object();
		json_object *l = NULL;
		bool empty = history_empty(h);

		if (!empty && layers != NULL && li < json_object_array_length(layers))
			l = json_object_array_get_idx(layers, li++);
		json_object_object_add(e, "created", jstr_or_null(jstr(h, "created")));
		json_object_object_add(e, "created_by", jstr_or_null(jstr(h, "created_by")));
		json_object_object_add(e, "comment", jstr_or_null(jstr(h, "comment")));
		json_object_object_add(e, "empty_layer", json_object_new_boolean(empty));
		json_object_object_add(e, "layer", l != NULL ? jstr_or_null(jstr(l, "digest")) : NULL);
		json_object_object_add(e, "size", l != NULL ? json_object_new_int64(
		    json_object_get_int64(json_object_object_get(l, "size"))) : NULL);
		json_object_array_add(a, e);
	}
	c->out = json_object_new_object();
	json_object_object_add(c->out, "ref", jstr_or_null(c->res.name));
	json_object_object_add(c->out, "digest", json_object_new_string(im.digest));
	json_object_object_add(c->out, "history", a);
	image_free(&im);
	return 0;
}

static int
op_tag(struct img_work *c, struct pcb_err *err)
{
	struct pcb_store *s = c->d->store;
	char *name = NULL, *key = NULL;
	struct image im;
	int rc;

	memset(&im, 0, sizeof im);
	if ((rc = normal_name(c->target, &name, err)) != 0) {
		pcb_err_prefix(err, "target");
		goto out;
	}
	if ((rc = resolve(s, &c->caller, c->admin, c->ref, c->build_digest, &c->res, err)) != 0 ||
	    (rc = image_load(s, c->res.digest, &im, err)) != 0)
		goto out;
	/* Root's and the daemon's own names are the shared ones anyway (store.h). */
	key = c->shared ? pcb_xstrdup(name) : pcb_store_tag_key(&c->caller, name);
	if ((rc = pcb_store_tag_set(s, key, c->res.digest, err)) != 0)
		goto out;
	c->status = 201;
	c->out = json_object_new_object();
	json_object_object_add(c->out, "ref", json_object_new_string(name));
	json_object_object_add(c->out, "digest", json_object_new_string(c->res.digest));
	json_object_object_add(c->out, "shared", json_object_new_boolean(strcmp(key, name) == 0));
out:
	image_free(&im);
	free(name);
	free(key);
	return rc;
}

/* Untagging: a name removes the caller's own tag of that name; a shared name is for admins
 * (403 for others); a digest, id prefix or build id removes every name of the caller's that
 * names the image. Another user's names are never touched, except by admins naming the
 * store key. */
static int
op_remove(struct img_work *c, struct pcb_err *err)
{
	struct pcb_store *s = c->d->store;
	struct pcb_store_tag *t = NULL;
	json_object *untagged = json_object_new_array();
	char *name = NULL, *key = NULL, *d = NULL;
	size_t n = 0;
	int rc = 0;

	if (c->build_digest != NULL || pcb_str_has_prefix(c->ref, "sha256:") ||
	    strchr(c->ref, '@') != NULL)
		goto by_digest;
	if (c->ref[0] == '~') {
		/* Another user's name by its store key: admins only (resolve says 404 to
		 * anyone else). */
		if ((rc = resolve(s, &c->caller, c->admin, c->ref, NULL, &c->res, err)) != 0 ||
		    (rc = pcb_store_tag_delete(s, c->res.key, c->res.digest, err)) != 0)
			goto out;
		json_object_array_add(untagged, json_object_new_string(c->res.key));
		goto done;
	}
	if ((rc = normal_name(c->ref, &name, err)) != 0) {
		if (!all_hex(c->ref, ID_PREFIX_MIN, 64))
			goto out;
		pcb_err_clear(err);
		goto by_digest;
	}
	key = pcb_store_tag_key(&c->caller, name);
	rc = pcb_store_tag_get(s, key, &d, err);
	if (rc == PCB_ENOENT && strcmp(key, name) != 0) {
		/* Not one of theirs: a shared one of that name is for admins to remove. */
		pcb_err_clear(err);
		rc = pcb_store_tag_get(s, name, &d, err);
		if (rc == 0 && !c->admin) {
			rc = pcb_err_set(err, PCB_EPERM, "%s is a shared tag; removing it is for root "
			    "and the admin group", name);
			goto out;
		}
		free(key);
		key = pcb_xstrdup(name);
	}
	if (rc == PCB_ENOENT) {
		pcb_err_clear(err);
		if (all_hex(c->ref, ID_PREFIX_MIN, 64))
			goto by_digest;
		rc = pcb_err_set(err, PCB_ENOENT, "no image %s", name);
	}
	if (rc != 0 || (rc = pcb_store_tag_delete(s, key, d, err)) != 0)
		goto out;
	snprintf(c->res.digest, sizeof c->res.digest, "%s", d);
	json_object_array_add(untagged, json_object_new_string(name));
	goto done;
by_digest:
	if ((rc = resolve(s, &c->caller, c->admin, c->ref, c->build_digest, &c->res, err)) != 0 ||
	    (rc = pcb_store_tag_list(s, &t, &n, err)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct tag_view v = tag_view(t[i].name, &c->caller, c->admin);
		if (!v.own || strcmp(t[i].digest, c->res.digest) != 0)
			continue;
		if ((rc = pcb_store_tag_delete(s, t[i].name, c->res.digest, err)) != 0) {
			if (rc != PCB_ENOENT && rc != PCB_ECONFLICT)
				goto out;
			pcb_err_clear(err);   /* gone or moved meanwhile: not ours to remove now */
			rc = 0;
			continue;
		}
		json_object_array_add(untagged, json_object_new_string(v.name));
	}
	if (json_object_array_length(untagged) == 0) {
		rc = pcb_err_set(err, PCB_ENOENT, "no tag of yours names %s", c->res.digest);
		goto out;
	}
done:
	c->out = json_object_new_object();
	json_object_object_add(c->out, "digest", json_object_new_string(c->res.digest));
	json_object_object_add(c->out, "untagged", untagged);
	untagged = NULL;
out:
	json_object_put(untagged);
	pcb_store_tags_free(t, n);
	free(name);
	free(key);
	free(d);
	return rc;
}

/* The archive's checks before any byte goes out: the image resolves and every blob is in
 * the store (a base pulled lazily may lack its layers), so that the answer can still be an
 * error rather than a cut-off tar. */
static int
op_archive(struct img_work *c, struct pcb_err *err)
{
	struct pcb_store *s = c->d->store;
	json_object *layers;
	int rc;

	if ((rc = resolve(s, &c->caller, c->admin, c->ref, c->build_digest, &c->res, err)) != 0 ||
	    (rc = image_load(s, c->res.digest, &c->img, err)) != 0)
		return rc;
	layers = jarr(c->img.manifest, "layers");
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		const char *d = jstr(json_object_array_get_idx(layers, i), "digest");
		if (d == NULL || !pcb_digest_valid(d) || pcb_store_stat(s, d, NULL, NULL, err) != 0) {
			pcb_err_clear(err);
			return pcb_err_set(err, PCB_ECONFLICT, "layer %zu (%s) of %s is not in the store "
			    "(a base image's layers are fetched only when a build needs them); build "
			    "or pull the image again, then save it", i + 1, d != NULL ? d : "?",
			    c->res.name != NULL ? c->res.name : c->res.digest);
		}
	}
	return 0;
}

static void
work_run(uv_work_t *w)
{
	struct img_work *c = w->data;

	switch (c->op) {
	case OP_LIST: c->rc = op_list(c, &c->err); break;
	case OP_INSPECT: c->rc = op_inspect(c, &c->err); break;
	case OP_HISTORY: c->rc = op_history(c, &c->err); break;
	case OP_TAG: c->rc = op_tag(c, &c->err); break;
	case OP_REMOVE: c->rc = op_remove(c, &c->err); break;
	case OP_ARCHIVE: c->rc = op_archive(c, &c->err); break;
	}
}

/* --- the archive stream ------------------------------------------------------------------ */

/* One archive on its way out. The producer thread runs pcb_archive_stream into ring; the
 * response's content reader (loop thread) drains it, suspending the connection when it is
 * empty; the producer wakes the loop through async after every piece. The response is
 * queued only once the first bytes (or the end) are there, so an archive that fails at once
 * still answers with an error status. */
struct tarstream {
	struct pcb_daemon *d;
	struct pcb_request *r;        /* until the response is queued */
	struct MHD_Connection *conn;
	struct pcb_httpd *srv;
	uv_async_t async;
	pthread_t th;
	bool th_started;
	bool queued;                  /* the response is queued: r is no longer ours */
	bool suspended;               /* the content reader suspended the connection */
	enum pcb_archive_format format;
	struct image img;
	struct pcb_strv tags;
	char digest[PCB_DIGEST_BUFSZ];
	atomic_int cancel;
	/* shared with the producer, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *ring;
	size_t head, len;
	bool done;
	int rc;
	struct pcb_err err;
};

/* Producer thread: waits for room, copies a piece in, wakes the loop. */
static int
tar_sink(void *ud, const void *p, size_t n, struct pcb_err *err)
{
	struct tarstream *t = ud;
	const char *b = p;

	while (n > 0) {
		size_t room, tail, k;

		pthread_mutex_lock(&t->mu);
		while (t->len == TAR_RING && !atomic_load(&t->cancel))
			pthread_cond_wait(&t->cv, &t->mu);
		if (atomic_load(&t->cancel)) {
			pthread_mutex_unlock(&t->mu);
			return pcb_err_set(err, PCB_ECANCELED, "the client went away");
		}
		room = TAR_RING - t->len;
		tail = (t->head + t->len) % TAR_RING;
		k = n < room ? n : room;
		if (k > TAR_RING - tail)
			k = TAR_RING - tail;
		memcpy(t->ring + tail, b, k);
		t->len += k;
		pthread_mutex_unlock(&t->mu);
		uv_async_send(&t->async);
		b += k;
		n -= k;
	}
	return 0;
}

static void *
tar_produce(void *ud)
{
	struct tarstream *t = ud;
	struct pcb_archive_image img;
	struct pcb_err err;
	int rc;

	pcb_err_clear(&err);
	memset(&img, 0, sizeof img);
	img.manifest_digest = t->img.manifest_digest;
	img.tags = &t->tags;
	img.platform = &t->img.plat;
	rc = pcb_archive_stream(t->d->store, t->format, &img, tar_sink, t, &t->cancel, &err);
	pthread_mutex_lock(&t->mu);
	t->done = true;
	t->rc = rc;
	t->err = err;
	pthread_mutex_unlock(&t->mu);
	uv_async_send(&t->async);
	return NULL;
}

static void
tar_closed(uv_handle_t *h)
{
	struct tarstream *t = h->data;

	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	image_free(&t->img);
	pcb_strv_free(&t->tags);
	free(t->ring);
	free(t);
}

/* Stops the producer (it notices cancel at its next piece) and frees everything. */
static void
tar_finish(struct tarstream *t)
{
	atomic_store(&t->cancel, 1);
	pthread_mutex_lock(&t->mu);
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (t->th_started)
		pthread_join(t->th, NULL);
	uv_close((uv_handle_t *)&t->async, tar_closed);
}

static ssize_t
tar_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct tarstream *t = cls;
	size_t k = 0;
	bool done;
	int rc;

	(void)pos;
	pthread_mutex_lock(&t->mu);
	if (t->len > 0) {
		k = t->len < max ? t->len : max;
		if (k > TAR_RING - t->head)
			k = TAR_RING - t->head;
		memcpy(buf, t->ring + t->head, k);
		t->head = (t->head + k) % TAR_RING;
		t->len -= k;
		pthread_cond_signal(&t->cv);
	}
	done = t->done;
	rc = t->rc;
	if (k == 0 && !done)
		t->suspended = true;
	pthread_mutex_unlock(&t->mu);
	if (k > 0)
		return (ssize_t)k;
	if (done) {
		if (rc == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Headers are gone: all that is left is to cut the stream short, which the client
		 * sees as a transfer that did not end properly. */
		pcb_log_warn("archive of %s: %s", t->digest, t->err.msg);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	pcb_http_conn_suspend(t->conn);
	return 0;
}

static void
tar_free_cb(void *cls)
{
	tar_finish(cls);
}

static void
tar_wake(uv_async_t *a)
{
	struct tarstream *t = a->data;
	struct MHD_Response *resp;
	bool ready, failed, wake;
	char *fname;

	pthread_mutex_lock(&t->mu);
	ready = t->len > 0 || (t->done && t->rc == 0);
	failed = t->done && t->rc != 0 && t->len == 0;
	wake = t->suspended;
	t->suspended = false;
	pthread_mutex_unlock(&t->mu);
	if (t->queued) {
		if (wake)
			pcb_http_conn_resume(t->srv, t->conn);
		return;
	}
	if (failed) {
		/* Nothing was sent yet: the error is the answer. */
		pcb_http_resume_err(t->r, &t->err);
		t->r = NULL;
		t->queued = true;   /* no response of ours will call tar_free_cb */
		tar_finish(t);
		return;
	}
	if (!ready)
		return;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, TAR_BLOCK, tar_read, t,
	    tar_free_cb);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-tar");
	MHD_add_response_header(resp, "Pcb-Manifest-Digest", t->img.manifest_digest);
	fname = pcb_xasprintf("attachment; filename=\"%.12s.%s.tar\"", t->img.manifest_digest + 7,
	    t->format == PCB_ARCHIVE_DOCKER ? "docker" : "oci");
	MHD_add_response_header(resp, "Content-Disposition", fname);
	free(fname);
	t->queued = true;
	pcb_http_resume_response(t->r, 200, resp);
	t->r = NULL;
}

/* Loop thread, after op_archive: starts the producer; the request stays suspended until the
 * first bytes are there. Takes c->img. */
static void
tar_start(struct img_work *c)
{
	struct tarstream *t = pcb_xcalloc(1, sizeof *t);

	t->d = c->d;
	t->r = c->r;
	t->conn = c->r->conn;
	t->srv = c->r->srv;
	t->format = c->format;
	t->img = c->img;
	memset(&c->img, 0, sizeof c->img);
	snprintf(t->digest, sizeof t->digest, "%s", t->img.digest);
	pcb_strv_init(&t->tags);
	if (c->res.name != NULL)
		pcb_strv_push(&t->tags, c->res.name);
	t->ring = pcb_xmalloc(TAR_RING);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	atomic_init(&t->cancel, 0);
	uv_async_init(c->d->loop, &t->async, tar_wake);
	t->async.data = t;
	if (pthread_create(&t->th, NULL, tar_produce, t) != 0) {
		pcb_err_set(&t->err, PCB_EINTERNAL, "cannot start a thread for the archive");
		t->done = true;
		t->rc = PCB_EINTERNAL;
		uv_async_send(&t->async);
		return;
	}
	t->th_started = true;
}

/* --- the build that made an image (loop thread) -------------------------------------------- */

/* The newest succeeded build the caller may see whose result is this manifest: its layers
 * say what each holds and whether that build reused it. */
static void
add_build_info(struct img_work *c)
{
	json_object *list = NULL, *builds, *layers = json_object_object_get(c->out, "layers");
	struct pcb_err err;
	struct pcb_jobs_who who;

	if (c->r == NULL)
		return;
	who = c->r->who;
	pcb_err_clear(&err);
	if (pcb_jobs_list(c->d->jobs, "build", "succeeded", RECENT_BUILDS, &who, "builds", &list,
	    &err) != 0)
		return;
	builds = json_object_object_get(list, "builds");
	for (size_t i = 0; builds != NULL && i < json_object_array_length(builds); i++) {
		json_object *b = json_object_array_get_idx(builds, i), *res = NULL, *m = NULL, *bl;
		json_object *bj;

		json_object_object_get_ex(b, "result", &res);
		json_object_object_get_ex(res, "manifest", &m);
		if (jstr(m, "digest") == NULL || strcmp(jstr(m, "digest"), c->res.digest) != 0)
			continue;
		bl = jarr(res, "layers");
		for (size_t k = 0; layers != NULL && k < json_object_array_length(layers); k++) {
			json_object *l = json_object_array_get_idx(layers, k), *x = NULL, *v;

			/* The result lists the layers in the manifest's order; the same blob may be
			 * there twice (a base and an app layer with the same files), so position
			 * decides, the digest only confirms. */
			if (bl != NULL && k < json_object_array_length(bl))
				x = json_object_array_get_idx(bl, k);
			if (x == NULL || jstr(x, "digest") == NULL || jstr(l, "digest") == NULL ||
			    strcmp(jstr(x, "digest"), jstr(l, "digest")) != 0)
				continue;
			if (jstr(x, "name") != NULL)
				json_object_object_add(l, "name", json_object_new_string(jstr(x, "name")));
			if (json_object_object_get_ex(x, "reused", &v))
				json_object_object_add(l, "reused", json_object_get(v));
			if (json_object_object_get_ex(x, "contents", &v))
				json_object_object_add(l, "contents", json_object_get(v));
			if (json_object_object_get(l, "uncompressed_size") == NULL &&
			    json_object_object_get_ex(x, "uncompressed_size", &v))
				json_object_object_add(l, "uncompressed_size", json_object_get(v));
		}
		bj = json_object_new_object();
		json_object_object_add(bj, "id", jstr_or_null(jstr(b, "id")));
		json_object_object_add(bj, "finished_at", jstr_or_null(jstr(b, "finished_at")));
		json_object_object_add(c->out, "build", bj);
		break;
	}
	json_object_put(list);
}

/* --- plumbing ---------------------------------------------------------------------------- */

static void
work_free(struct img_work *c)
{
	json_object_put(c->out);
	free(c->ref);
	free(c->build_digest);
	free(c->pattern);
	free(c->target);
	resolved_free(&c->res);
	image_free(&c->img);
	free(c);
}

static void
work_done(uv_work_t *w, int status)
{
	struct img_work *c = w->data;

	c->d->n_async--;
	if (status != 0 && c->rc == 0)
		c->rc = pcb_err_set(&c->err, PCB_EINTERNAL, "the images request could not run");
	if (c->rc != 0) {
		pcb_http_resume_err(c->r, &c->err);
	} else if (c->op == OP_ARCHIVE) {
		if (c->d->shutting_down) {
			pcb_err_set(&c->err, PCB_EINTERNAL, "the daemon is shutting down");
			pcb_http_resume_err(c->r, &c->err);
		} else {
			tar_start(c);
		}
	} else {
		if (c->op == OP_INSPECT)
			add_build_info(c);
		pcb_http_resume_json(c->r, c->status ? c->status : 200, c->out);
		c->out = NULL;
	}
	work_free(c);
}

static struct img_work *
work_new(struct pcb_request *r, enum img_op op)
{
	struct img_work *c = pcb_xcalloc(1, sizeof *c);

	c->d = r->d;
	c->r = r;
	c->op = op;
	c->w.data = c;
	c->admin = r->admin;
	if (r->caller.set)
		c->caller = r->caller;
	else
		pcb_cred_self(&c->caller);
	pcb_err_clear(&c->err);
	return c;
}

static void
work_queue(struct img_work *c)
{
	pcb_http_suspend(c->r);
	c->d->n_async++;
	uv_queue_work(c->d->loop, &c->w, work_run, work_done);
}

static bool
refuse_if_stopping(struct pcb_request *r)
{
	if (!r->d->shutting_down)
		return false;
	pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
	return true;
}

/* The query's ref= (required, at most 512 bytes), a build id resolved here on the loop,
 * which owns the job records. NULL after replying with the error. */
static struct img_work *
start_with_ref(struct pcb_request *r, enum img_op op, const char *const *allowed)
{
	const char *ref = pcb_http_query(r, "ref");
	struct img_work *c;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return NULL;
	}
	if (ref == NULL || ref[0] == '\0' || strlen(ref) > 512) {
		pcb_http_reply_error(r, 400, "invalid_request", "ref: name the image in the query, "
		    "?ref=NAME[:TAG], a digest, an id prefix or a build id (1 to 512 bytes)");
		return NULL;
	}
	if (refuse_if_stopping(r))
		return NULL;
	c = work_new(r, op);
	c->ref = pcb_xstrdup(ref);
	if (pcb_push_source_is_build(ref) &&
	    pcb_jobs_build_manifest(r->d->jobs, ref, &r->who, &c->build_digest, &err) != 0) {
		pcb_http_reply_err(r, &err);
		work_free(c);
		return NULL;
	}
	return c;
}

/* --- handlers ---------------------------------------------------------------------------- */

static void
list_images(struct pcb_request *r)
{
	static const char *const allowed[] = { "reference", "outdated", NULL };
	const char *pattern = pcb_http_query(r, "reference");
	const char *outdated = pcb_http_query(r, "outdated");
	struct img_work *c;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (pattern != NULL && (pattern[0] == '\0' || strlen(pattern) > 512)) {
		pcb_http_reply_error(r, 400, "invalid_request", "reference: a pattern of 1 to 512 "
		    "bytes (app, app:*, team/*)");
		return;
	}
	if (outdated != NULL && strcmp(outdated, "true") != 0 && strcmp(outdated, "false") != 0) {
		pcb_http_reply_error(r, 400, "invalid_request", "outdated: \"%.40s\" is not true or "
		    "false", outdated);
		return;
	}
	if (refuse_if_stopping(r))
		return;
	c = work_new(r, OP_LIST);
	c->pattern = pcb_xstrdup(pattern);
	c->outdated = outdated != NULL && strcmp(outdated, "true") == 0;
	work_queue(c);
}

static void
inspect_image(struct pcb_request *r)
{
	static const char *const allowed[] = { "ref", NULL };
	struct img_work *c = start_with_ref(r, OP_INSPECT, allowed);

	if (c != NULL)
		work_queue(c);
}

static void
image_history(struct pcb_request *r)
{
	static const char *const allowed[] = { "ref", NULL };
	struct img_work *c = start_with_ref(r, OP_HISTORY, allowed);

	if (c != NULL)
		work_queue(c);
}

static void
export_image(struct pcb_request *r)
{
	static const char *const allowed[] = { "ref", "format", NULL };
	const char *format = pcb_http_query(r, "format");
	enum pcb_archive_format f = PCB_ARCHIVE_OCI;
	struct img_work *c;

	if (format != NULL && strcmp(format, "docker") == 0) {
		f = PCB_ARCHIVE_DOCKER;
	} else if (format != NULL && strcmp(format, "oci") != 0) {
		pcb_http_reply_error(r, 400, "invalid_request", "format: \"%.40s\" is not oci or "
		    "docker", format);
		return;
	}
	if ((c = start_with_ref(r, OP_ARCHIVE, allowed)) == NULL)
		return;
	c->format = f;
	work_queue(c);
}

static void
tag_image(struct pcb_request *r)
{
	static const char *const allowed[] = { "ref", NULL };
	json_object *j = NULL, *v;
	struct img_work *c;
	struct pcb_err err;
	const char *target = NULL;
	bool shared = false;
	int rc;

	pcb_err_clear(&err);
	if ((rc = pcb_http_body_json(r, &j, &err)) == 0) {
		json_object_object_foreach(j, k, val) {
			(void)val;
			if (strcmp(k, "target") != 0 && strcmp(k, "shared") != 0) {
				rc = pcb_err_set(&err, PCB_EINVAL, "unknown member \"%.60s\"", k);
				break;
			}
		}
	}
	if (rc == 0 && (!json_object_object_get_ex(j, "target", &v) ||
	    !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0 ||
	    json_object_get_string_len(v) > 512))
		rc = pcb_err_set(&err, PCB_EINVAL, "target: the new name, \"name[:tag]\", is "
		    "required");
	else if (rc == 0)
		target = json_object_get_string(v);
	if (rc == 0 && json_object_object_get_ex(j, "shared", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			rc = pcb_err_set(&err, PCB_EINVAL, "shared: expected true or false");
		else
			shared = json_object_get_boolean(v);
	}
	/* A shared name is read by every user of the daemon: only admins write one. */
	if (rc == 0 && shared)
		rc = pcb_http_require_admin(r, "tagging a shared name", &err);
	if (rc != 0) {
		json_object_put(j);
		pcb_http_reply_err(r, &err);
		return;
	}
	if ((c = start_with_ref(r, OP_TAG, allowed)) != NULL) {
		c->target = pcb_xstrdup(target);
		c->shared = shared;
		work_queue(c);
	}
	json_object_put(j);
}

static void
remove_image(struct pcb_request *r)
{
	static const char *const allowed[] = { "ref", NULL };
	struct img_work *c = start_with_ref(r, OP_REMOVE, allowed);

	if (c != NULL)
		work_queue(c);
}

const struct pcb_route pcb_api_images_routes[] = {
	{ "GET", "/v1/images", list_images, "listImages", false },
	{ "DELETE", "/v1/images", remove_image, "removeImage", false },
	{ "GET", "/v1/images/inspect", inspect_image, "inspectImage", false },
	{ "GET", "/v1/images/history", image_history, "getImageHistory", false },
	{ "GET", "/v1/images/archive", export_image, "exportImage", false },
	{ "POST", "/v1/images/tag", tag_image, "tagImage", true },
	{ NULL, NULL, NULL, NULL, false },
};
