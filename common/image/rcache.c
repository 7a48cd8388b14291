/* rcache.c — the registry cache's entries in memory: what was imported from --cache-from
 * artifacts (checked before use), what this build used (for --cache-to), and the artifact's
 * mapping and manifest. No network here: the build (build.c) reads and writes artifacts and
 * hands in the HEAD check as a callback. See rcache.h for the format and the trust rules. */
#include "image/rcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "image/oci.h"

#define RCACHE_VERSION 1
#define KEY_MAX 200
/* An entry's "dists" (licence facts per wheel, for the SBOM) is small; a huge one is not an
 * entry of ours. */
#define EXTRA_MAX ((size_t)1 << 20)

enum estate { E_UNCHECKED = 0, E_OK, E_BAD };

/* One imported layer entry. */
struct ientry {
	char *key;
	json_object *v;          /* the entry as the mapping had it (owned reference) */
	char *registry, *repository;
	enum estate state;
};

/* One imported resolution. */
struct iresol {
	char *key;
	json_object *v;
};

/* One noted entry: layers and resolutions alike, v being the mapping's value. */
struct note {
	char *key;
	char *digest;            /* layers: the layer (mode=min filters by it); NULL otherwise */
	json_object *v;
};

struct pcb_rcache {
	pthread_mutex_t mu;
	struct pcb_store *store;
	pcb_rcache_verify_fn verify;
	void *verify_ud;
	struct ientry *il;
	size_t n_il, cap_il;
	struct iresol *ir;
	size_t n_ir, cap_ir;
	struct note *nl;         /* noted layers */
	size_t n_nl, cap_nl;
	struct note *nr;         /* noted resolutions */
	size_t n_nr, cap_nr;
	struct pcb_strv warnings;
	size_t layer_hits, resolution_hits, ignored;
};

struct pcb_rcache *
pcb_rcache_create(struct pcb_store *store, pcb_rcache_verify_fn verify, void *verify_ud)
{
	struct pcb_rcache *rc = pcb_xcalloc(1, sizeof *rc);

	pthread_mutex_init(&rc->mu, NULL);
	rc->store = store;
	rc->verify = verify;
	rc->verify_ud = verify_ud;
	pcb_strv_init(&rc->warnings);
	return rc;
}

static void
notes_free(struct note *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].digest);
		json_object_put(v[i].v);
	}
	free(v);
}

void
pcb_rcache_destroy(struct pcb_rcache *rc)
{
	if (rc == NULL)
		return;
	for (size_t i = 0; i < rc->n_il; i++) {
		free(rc->il[i].key);
		free(rc->il[i].registry);
		free(rc->il[i].repository);
		json_object_put(rc->il[i].v);
	}
	free(rc->il);
	for (size_t i = 0; i < rc->n_ir; i++) {
		free(rc->ir[i].key);
		json_object_put(rc->ir[i].v);
	}
	free(rc->ir);
	notes_free(rc->nl, rc->n_nl);
	notes_free(rc->nr, rc->n_nr);
	pcb_strv_free(&rc->warnings);
	pthread_mutex_destroy(&rc->mu);
	free(rc);
}

/* Grows an array of elements of size sz to hold one more. */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 16;
	return pcb_xrealloc(v, *cap * sz);
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
jint(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool
key_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > KEY_MAX)
		return false;
	for (const char *p = k; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return pcb_str_has_prefix(k, "c:sha256:") || pcb_str_has_prefix(k, "d:sha256:") ||
	    pcb_str_has_prefix(k, "r:");
}

/* A layer entry's shape: why it is not usable, or NULL. */
static const char *
layer_entry_problem(json_object *e)
{
	const char *mt, *d, *did;
	int64_t size, n;
	json_object *x;

	if (!json_object_is_type(e, json_type_object))
		return "not an object";
	mt = jstr(e, "mediaType");
	d = jstr(e, "digest");
	did = jstr(e, "diff_id");
	if (mt == NULL || (strcmp(mt, PCB_MT_LAYER_GZIP) != 0 && strcmp(mt, PCB_MT_LAYER_ZSTD) != 0))
		return "no layer media type of ours";
	if (d == NULL || !pcb_digest_valid(d))
		return "no valid digest";
	if (did == NULL || !pcb_digest_valid(did))
		return "no valid diff_id";
	if (!jint(e, "size", &size) || size <= 0)
		return "no size";
	if ((jint(e, "uncompressed_size", &n) && n < 0) || (jint(e, "entries", &n) && n < 0))
		return "a negative count";
	if (json_object_object_get_ex(e, "dists", &x) &&
	    (!json_object_is_type(x, json_type_object) ||
	    strlen(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN)) > EXTRA_MAX))
		return "unreadable \"dists\"";
	return NULL;
}

static bool
resolution_ok(json_object *e)
{
	json_object *w;

	return json_object_is_type(e, json_type_object) &&
	    json_object_object_get_ex(e, "wheels", &w) && json_object_is_type(w, json_type_array);
}

static void
warn_locked(struct pcb_rcache *rc, char *msg)
{
	rc->ignored++;
	/* Bounded: a cache full of broken entries should not flood the build's log. */
	if (rc->warnings.n < 50)
		pcb_strv_push_owned(&rc->warnings, msg);
	else
		free(msg);
}

/* The digest → size of every layer the artifact's manifest lists. */
static bool
manifest_lists(json_object *manifest, const char *digest, int64_t size)
{
	json_object *ls;

	if (!json_object_object_get_ex(manifest, "layers", &ls) ||
	    !json_object_is_type(ls, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(ls); i++) {
		json_object *l = json_object_array_get_idx(ls, i);
		const char *d = jstr(l, "digest");
		int64_t n;
		if (d != NULL && strcmp(d, digest) == 0)
			return jint(l, "size", &n) && n == size;
	}
	return false;
}

int
pcb_rcache_artifact_mapping(json_object *manifest, const char **digest_out,
    uint64_t *size_out, struct pcb_err *err)
{
	json_object *cfg;
	const char *at, *mt, *d;
	int64_t size;

	if (!json_object_is_type(manifest, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "not a JSON object");
	at = jstr(manifest, "artifactType");
	if (!json_object_object_get_ex(manifest, "config", &cfg) ||
	    (mt = jstr(cfg, "mediaType")) == NULL)
		return pcb_err_set(err, PCB_EINVAL, "a manifest without a config");
	if (strcmp(mt, PCB_MT_RCACHE) != 0 || (at != NULL && strcmp(at, PCB_MT_RCACHE) != 0))
		return pcb_err_set(err, PCB_EINVAL, "not a pycontainerd cache (artifactType %.100s, "
		    "config %.100s; expected %s)", at != NULL ? at : "none", mt, PCB_MT_RCACHE);
	d = jstr(cfg, "digest");
	if (d == NULL || !pcb_digest_valid(d) || !jint(cfg, "size", &size) || size <= 0 ||
	    (uint64_t)size > PCB_RCACHE_MAPPING_MAX)
		return pcb_err_set(err, PCB_EINVAL, "the cache's mapping descriptor is not usable "
		    "(a digest, and a size up to %zu bytes)", PCB_RCACHE_MAPPING_MAX);
	*digest_out = d;
	*size_out = (uint64_t)size;
	return 0;
}

int
pcb_rcache_import(struct pcb_rcache *rc, json_object *manifest, json_object *mapping,
    const char *registry, const char *repository, size_t *n_out, struct pcb_err *err)
{
	json_object *layers = NULL, *resols = NULL, *v;
	const char *md;
	uint64_t msize;
	size_t taken = 0;
	int64_t ver;
	int ret;

	if ((ret = pcb_rcache_artifact_mapping(manifest, &md, &msize, err)) != 0)
		return ret;
	if (!json_object_is_type(mapping, json_type_object) || !jint(mapping, "version", &ver))
		return pcb_err_set(err, PCB_EINVAL, "the cache's mapping is not an object with a "
		    "version");
	if (ver != RCACHE_VERSION)
		return pcb_err_set(err, PCB_EINVAL, "the cache's mapping has version %lld; this "
		    "daemon reads version %d", (long long)ver, RCACHE_VERSION);
	if (json_object_object_get_ex(mapping, "layers", &v) &&
	    json_object_is_type(v, json_type_object))
		layers = v;
	if (json_object_object_get_ex(mapping, "resolutions", &v) &&
	    json_object_is_type(v, json_type_object))
		resols = v;
	pthread_mutex_lock(&rc->mu);
	if (layers != NULL) {
		size_t seen = 0;
		json_object_object_foreach(layers, key, e) {
			const char *why = NULL;
			bool dup = false;
			if (++seen > PCB_RCACHE_ENTRIES_MAX)
				break;
			if (!key_ok(key) || pcb_str_has_prefix(key, "r:"))
				why = "a key of no known kind";
			else if ((why = layer_entry_problem(e)) == NULL) {
				int64_t size = 0;
				(void)jint(e, "size", &size);
				if (!manifest_lists(manifest, jstr(e, "digest"), size))
					why = "its layer is not one the cache's manifest lists (with that "
					    "size)";
			}
			if (why != NULL) {
				warn_locked(rc, pcb_xasprintf("registry cache %s/%s: entry %.80s ignored: "
				    "%s; that layer is built", registry, repository, key, why));
				continue;
			}
			for (size_t i = 0; i < rc->n_il && !dup; i++)
				dup = strcmp(rc->il[i].key, key) == 0;
			if (dup)
				continue;
			rc->il = grow(rc->il, rc->n_il, &rc->cap_il, sizeof *rc->il);
			rc->il[rc->n_il++] = (struct ientry){ pcb_xstrdup(key), json_object_get(e),
			    pcb_xstrdup(registry), pcb_xstrdup(repository), E_UNCHECKED };
			taken++;
		}
	}
	if (resols != NULL) {
		size_t seen = 0;
		json_object_object_foreach(resols, key, e) {
			bool dup = false;
			if (++seen > PCB_RCACHE_ENTRIES_MAX)
				break;
			if (!key_ok(key) || !pcb_str_has_prefix(key, "r:") || !resolution_ok(e)) {
				warn_locked(rc, pcb_xasprintf("registry cache %s/%s: resolution %.80s "
				    "ignored: not usable", registry, repository, key));
				continue;
			}
			for (size_t i = 0; i < rc->n_ir && !dup; i++)
				dup = strcmp(rc->ir[i].key, key) == 0;
			if (dup)
				continue;
			rc->ir = grow(rc->ir, rc->n_ir, &rc->cap_ir, sizeof *rc->ir);
			rc->ir[rc->n_ir++] = (struct iresol){ pcb_xstrdup(key), json_object_get(e) };
			taken++;
		}
	}
	pthread_mutex_unlock(&rc->mu);
	if (n_out != NULL)
		*n_out = taken;
	return 0;
}

bool
pcb_rcache_has_layers(struct pcb_rcache *rc)
{
	bool any;

	if (rc == NULL)
		return false;
	pthread_mutex_lock(&rc->mu);
	any = rc->n_il > 0 || rc->n_ir > 0;
	pthread_mutex_unlock(&rc->mu);
	return any;
}

bool
pcb_rcache_layer_find(struct pcb_rcache *rc, const char *key, struct pcb_layer_result *res,
    json_object **extra_out)
{
	struct ientry *e = NULL;
	json_object *x;
	const char *mt;
	int64_t n;
	bool ok = false;

	if (extra_out != NULL)
		*extra_out = NULL;
	if (rc == NULL || key == NULL)
		return false;
	pthread_mutex_lock(&rc->mu);
	for (size_t i = 0; i < rc->n_il && e == NULL; i++)
		if (strcmp(rc->il[i].key, key) == 0)
			e = &rc->il[i];
	if (e == NULL || e->state == E_BAD)
		goto out;
	if (e->state == E_UNCHECKED) {
		struct pcb_err verr;
		uint64_t have = 0;
		int64_t size = 0;
		int vrc = 0;
		(void)jint(e->v, "size", &size);
		pcb_err_clear(&verr);
		if (rc->verify != NULL)
			vrc = rc->verify(rc->verify_ud, e->registry, e->repository,
			    jstr(e->v, "digest"), &have, &verr);
		else
			have = (uint64_t)size;
		if (vrc != 0 || have != (uint64_t)size) {
			e->state = E_BAD;
			warn_locked(rc, pcb_xasprintf("registry cache %s/%s: entry %.80s (layer %s) "
			    "ignored: %s; that layer is built", e->registry, e->repository, key,
			    jstr(e->v, "digest"), vrc != 0 ? verr.msg : "the registry has the blob "
			    "with another size"));
			goto out;
		}
		e->state = E_OK;
		/* Where the bytes are: a push to this registry mounts or skips the layer, and an
		 * output that needs the bytes fetches them from there (transfer.h). */
		(void)pcb_store_location_add(rc->store, jstr(e->v, "digest"), e->registry,
		    e->repository, NULL);
	}
	memset(res, 0, sizeof *res);
	snprintf(res->digest, sizeof res->digest, "%s", jstr(e->v, "digest"));
	snprintf(res->diff_id, sizeof res->diff_id, "%s", jstr(e->v, "diff_id"));
	(void)jint(e->v, "size", &n);
	res->size = (uint64_t)n;
	res->tar_size = jint(e->v, "uncompressed_size", &n) ? (uint64_t)n : 0;
	res->n_entries = jint(e->v, "entries", &n) ? (size_t)n : 0;
	mt = jstr(e->v, "mediaType");
	res->media_type = strcmp(mt, PCB_MT_LAYER_ZSTD) == 0 ? PCB_MT_LAYER_ZSTD :
	    PCB_MT_LAYER_GZIP;
	if (extra_out != NULL && json_object_object_get_ex(e->v, "dists", &x))
		*extra_out = json_object_get(x);
	rc->layer_hits++;
	ok = true;
out:
	pthread_mutex_unlock(&rc->mu);
	return ok;
}

/* Adds or replaces a note. */
static void
note_set(struct note **v, size_t *n, size_t *cap, const char *key, const char *digest,
    json_object *val)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0) {
			json_object_put((*v)[i].v);
			free((*v)[i].digest);
			(*v)[i].v = val;
			(*v)[i].digest = digest != NULL ? pcb_xstrdup(digest) : NULL;
			return;
		}
	*v = grow(*v, *n, cap, sizeof **v);
	(*v)[(*n)++] = (struct note){ pcb_xstrdup(key), digest != NULL ? pcb_xstrdup(digest) :
	    NULL, val };
}

void
pcb_rcache_layer_note(struct pcb_rcache *rc, const char *key, const char *name,
    const struct pcb_layer_result *res, json_object *extra)
{
	json_object *e;

	if (rc == NULL || key == NULL || !key_ok(key) || !pcb_digest_valid(res->digest) ||
	    !pcb_digest_valid(res->diff_id))
		return;
	e = pcb_oci_descriptor(res->media_type != NULL ? res->media_type : PCB_MT_LAYER_GZIP,
	    res->digest, res->size);
	json_object_object_add(e, "diff_id", json_object_new_string(res->diff_id));
	json_object_object_add(e, "uncompressed_size",
	    json_object_new_int64((int64_t)res->tar_size));
	json_object_object_add(e, "entries", json_object_new_int64((int64_t)res->n_entries));
	json_object_object_add(e, "name", json_object_new_string(name != NULL ? name : ""));
	if (extra != NULL)
		json_object_object_add(e, "dists", json_object_get(extra));
	pthread_mutex_lock(&rc->mu);
	note_set(&rc->nl, &rc->n_nl, &rc->cap_nl, key, res->digest, e);
	pthread_mutex_unlock(&rc->mu);
}

bool
pcb_rcache_resolution_find(struct pcb_rcache *rc, const char *key, json_object **value_out)
{
	bool ok = false;

	*value_out = NULL;
	if (rc == NULL || key == NULL)
		return false;
	pthread_mutex_lock(&rc->mu);
	for (size_t i = 0; i < rc->n_ir && !ok; i++)
		if (strcmp(rc->ir[i].key, key) == 0) {
			*value_out = json_object_get(rc->ir[i].v);
			rc->resolution_hits++;
			ok = true;
		}
	pthread_mutex_unlock(&rc->mu);
	return ok;
}

void
pcb_rcache_resolution_note(struct pcb_rcache *rc, const char *key, json_object *value)
{
	if (rc == NULL || key == NULL || !key_ok(key) || !pcb_str_has_prefix(key, "r:") ||
	    !resolution_ok(value))
		return;
	pthread_mutex_lock(&rc->mu);
	note_set(&rc->nr, &rc->n_nr, &rc->cap_nr, key, NULL, json_object_get(value));
	pthread_mutex_unlock(&rc->mu);
}

void
pcb_rcache_warnings(struct pcb_rcache *rc, struct pcb_strv *out)
{
	if (rc == NULL)
		return;
	pthread_mutex_lock(&rc->mu);
	for (size_t i = 0; i < rc->warnings.n; i++)
		pcb_strv_push(out, rc->warnings.v[i]);
	pcb_strv_free(&rc->warnings);
	pcb_strv_init(&rc->warnings);
	pthread_mutex_unlock(&rc->mu);
}

void
pcb_rcache_stats(struct pcb_rcache *rc, struct pcb_rcache_stats *out)
{
	memset(out, 0, sizeof *out);
	if (rc == NULL)
		return;
	pthread_mutex_lock(&rc->mu);
	out->imported_layers = rc->n_il;
	out->imported_resolutions = rc->n_ir;
	out->layer_hits = rc->layer_hits;
	out->resolution_hits = rc->resolution_hits;
	out->ignored = rc->ignored;
	out->noted_layers = rc->n_nl;
	out->noted_resolutions = rc->n_nr;
	pthread_mutex_unlock(&rc->mu);
}

/* ---- writing --------------------------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of o with its members in key order: the same entries make the same blob, whoever
 * wrote them first. */
static json_object *
sorted_object(json_object *o)
{
	json_object *out = json_object_new_object();
	struct pcb_strv keys;

	pcb_strv_init(&keys);
	{
		json_object_object_foreach(o, k, v) {
			(void)v;
			pcb_strv_push(&keys, k);
		}
	}
	if (keys.n > 1)
		qsort(keys.v, keys.n, sizeof *keys.v, cmp_str);
	for (size_t i = 0; i < keys.n; i++)
		json_object_object_add(out, keys.v[i],
		    json_object_get(json_object_object_get(o, keys.v[i])));
	pcb_strv_free(&keys);
	return out;
}

static bool
kept(const struct note *n, const struct pcb_strv *keep)
{
	return keep == NULL || (n->digest != NULL && pcb_strv_contains(keep, n->digest));
}

json_object *
pcb_rcache_mapping(struct pcb_rcache *rc, const struct pcb_strv *keep, json_object *base)
{
	json_object *layers = json_object_new_object(), *resols = json_object_new_object();
	json_object *m = json_object_new_object(), *v;

	if (base != NULL && json_object_object_get_ex(base, "layers", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, e) {
			if (key_ok(key) && !pcb_str_has_prefix(key, "r:") &&
			    layer_entry_problem(e) == NULL &&
			    json_object_object_length(layers) < PCB_RCACHE_ENTRIES_MAX)
				json_object_object_add(layers, key, json_object_get(e));
		}
	}
	if (base != NULL && json_object_object_get_ex(base, "resolutions", &v) &&
	    json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, e) {
			if (key_ok(key) && pcb_str_has_prefix(key, "r:") && resolution_ok(e) &&
			    json_object_object_length(resols) < PCB_RCACHE_ENTRIES_MAX)
				json_object_object_add(resols, key, json_object_get(e));
		}
	}
	pthread_mutex_lock(&rc->mu);
	for (size_t i = 0; i < rc->n_nl; i++)
		if (kept(&rc->nl[i], keep))
			json_object_object_add(layers, rc->nl[i].key, json_object_get(rc->nl[i].v));
	for (size_t i = 0; i < rc->n_nr; i++)
		json_object_object_add(resols, rc->nr[i].key, json_object_get(rc->nr[i].v));
	pthread_mutex_unlock(&rc->mu);
	json_object_object_add(m, "version", json_object_new_int(RCACHE_VERSION));
	json_object_object_add(m, "layers", sorted_object(layers));
	json_object_object_add(m, "resolutions", sorted_object(resols));
	json_object_put(layers);
	json_object_put(resols);
	return m;
}

bool
pcb_rcache_mapping_covers(struct pcb_rcache *rc, const struct pcb_strv *keep,
    json_object *mapping)
{
	json_object *layers = NULL, *resols = NULL;
	bool ok = true;

	if (mapping == NULL)
		return false;
	(void)json_object_object_get_ex(mapping, "layers", &layers);
	(void)json_object_object_get_ex(mapping, "resolutions", &resols);
	pthread_mutex_lock(&rc->mu);
	for (size_t i = 0; i < rc->n_nl && ok; i++)
		if (kept(&rc->nl[i], keep))
			ok = layers != NULL && json_object_object_get(layers, rc->nl[i].key) != NULL;
	for (size_t i = 0; i < rc->n_nr && ok; i++)
		ok = resols != NULL && json_object_object_get(resols, rc->nr[i].key) != NULL;
	pthread_mutex_unlock(&rc->mu);
	return ok;
}

void
pcb_rcache_mapping_count(json_object *mapping, size_t *layers, size_t *resolutions)
{
	json_object *v;

	*layers = json_object_object_get_ex(mapping, "layers", &v) &&
	    json_object_is_type(v, json_type_object) ? (size_t)json_object_object_length(v) : 0;
	*resolutions = json_object_object_get_ex(mapping, "resolutions", &v) &&
	    json_object_is_type(v, json_type_object) ? (size_t)json_object_object_length(v) : 0;
}

int
pcb_rcache_artifact_put(struct pcb_store *store, json_object *mapping,
    char mapping_digest[PCB_DIGEST_BUFSZ], char manifest_digest[PCB_DIGEST_BUFSZ],
    struct pcb_err *err)
{
	json_object *man = NULL, *layers = json_object_new_array(), *ls, *cfg;
	struct pcb_strv seen;
	size_t msize = 0, size = 0;
	int ret;

	pcb_strv_init(&seen);
	if ((ret = pcb_oci_put_json(store, mapping, PCB_MT_RCACHE, mapping_digest, &msize,
	    err)) != 0)
		goto out;
	(void)pcb_store_pin(store, mapping_digest);
	if (msize > PCB_RCACHE_MAPPING_MAX) {
		pcb_store_unpin(store, mapping_digest);
		ret = pcb_err_set(err, PCB_ETOOBIG, "the cache's mapping has %zu bytes, more than "
		    "the %zu a reader takes", msize, PCB_RCACHE_MAPPING_MAX);
		goto out;
	}
	/* Each layer once, in the mapping's (sorted) order: the registry keeps what a manifest
	 * names. */
	if (json_object_object_get_ex(mapping, "layers", &ls)) {
		json_object_object_foreach(ls, key, e) {
			const char *d = jstr(e, "digest");
			int64_t n = 0;
			(void)key;
			if (d == NULL || pcb_strv_contains(&seen, d))
				continue;
			pcb_strv_push(&seen, d);
			(void)jint(e, "size", &n);
			json_object_array_add(layers, pcb_oci_descriptor(jstr(e, "mediaType"), d,
			    (uint64_t)n));
		}
	}
	man = json_object_new_object();
	json_object_object_add(man, "schemaVersion", json_object_new_int(2));
	json_object_object_add(man, "mediaType", json_object_new_string(PCB_MT_OCI_MANIFEST));
	json_object_object_add(man, "artifactType", json_object_new_string(PCB_MT_RCACHE));
	cfg = pcb_oci_descriptor(PCB_MT_RCACHE, mapping_digest, msize);
	json_object_object_add(man, "config", cfg);
	json_object_object_add(man, "layers", layers);
	layers = NULL;
	if ((ret = pcb_oci_put_json(store, man, PCB_MT_OCI_MANIFEST, manifest_digest, &size,
	    err)) != 0) {
		pcb_store_unpin(store, mapping_digest);
		goto out;
	}
	(void)pcb_store_pin(store, manifest_digest);
out:
	json_object_put(man);
	json_object_put(layers);
	pcb_strv_free(&seen);
	return ret;
}

int
pcb_rcache_parse_ref(const char *text, bool allow_mode, char **ref_out, bool *max_out,
    struct pcb_err *err)
{
	char *copy = pcb_xstrdup(text), *save = NULL, *ref = NULL;
	bool max = false;
	int ret = 0;

	for (char *it = strtok_r(copy, ",", &save); it != NULL; it = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(it, '=');
		if (eq == NULL && ref == NULL && it == copy) {
			ref = pcb_xstrdup(it);
		} else if (eq != NULL && strncmp(it, "ref=", 4) == 0 && ref == NULL) {
			ref = pcb_xstrdup(eq + 1);
		} else if (strcmp(it, "type=registry") == 0) {
			continue;
		} else if (allow_mode && strcmp(it, "mode=min") == 0) {
			max = false;
		} else if (allow_mode && strcmp(it, "mode=max") == 0) {
			max = true;
		} else {
			ret = pcb_err_set(err, PCB_EINVAL, "'%.200s': unknown item '%.100s' (expected "
			    "REF%s)", text, it, allow_mode ? "[,mode=min|max]" : "");
			goto out;
		}
	}
	if (ref == NULL || ref[0] == '\0') {
		ret = pcb_err_set(err, PCB_EINVAL, "'%.200s': no registry reference", text);
		goto out;
	}
out:
	free(copy);
	if (ret == 0) {
		*ref_out = ref;
		if (max_out != NULL)
			*max_out = max;
	} else {
		free(ref);
	}
	return ret;
}
