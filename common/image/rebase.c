/* rebase.c — an image's layers of ours put on another base, the config re-derived (see
 * rebase.h for what counts as ours and how the config is laid over the new base). Only JSON
 * is read and written: two small blobs stored, no layer touched. */
#include "image/rebase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "image/layer.h"
#include "image/oci.h"

/* Manifests and configs are small; anything bigger is not one a build could use. */
#define DOC_MAX ((size_t)4 << 20)
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
/* The history entries our builds write: "pycontainerd: NAME layer". */
#define OURS_PREFIX "pycontainerd: "
#define OURS_SUFFIX " layer"

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static json_object *
jarr(json_object *o, const char *key)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_array))
		return v;
	return NULL;
}

/* o[key] when it is there and not null. */
static json_object *
member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static json_object *
copy(json_object *v)
{
	json_object *c = NULL;

	json_object_deep_copy(v, &c, NULL);
	return c;
}

/* Equal JSON, a missing value equal only to a missing one. */
static bool
same(json_object *a, json_object *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return json_object_equal(a, b) != 0;
}

static int
read_obj(struct pcb_store *st, const char *digest, const char *what, json_object **out,
    struct pcb_err *err)
{
	json_tokener *tok = NULL;
	json_object *j = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = pcb_store_read(st, digest, DOC_MAX, &text, &len, err)) != 0) {
		if (rc == PCB_ENOENT) {
			pcb_err_clear(err);
			rc = pcb_err_set(err, PCB_ENOENT, "the %s %s is not in the store", what, digest);
		}
		goto out;
	}
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, text, (int)len);
	if (j == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		j = NULL;
		rc = pcb_err_set(err, PCB_EINVAL, "the %s %s is not a JSON object", what, digest);
	}
out:
	if (tok != NULL)
		json_tokener_free(tok);
	free(text);
	*out = j;
	return rc;
}

int
pcb_rebase_doc_load(struct pcb_store *st, const char *digest, const char *what,
    struct pcb_rebase_doc *out, struct pcb_err *err)
{
	json_object *m = NULL, *c = NULL, *layers, *diff_ids;
	const char *mt, *cd;
	uint64_t size = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (!pcb_digest_valid(digest)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: \"%.100s\" is not a digest", what, digest);
		goto out;
	}
	if ((rc = read_obj(st, digest, "manifest", &m, err)) != 0)
		goto out;
	(void)pcb_store_stat(st, digest, &size, NULL, NULL);
	mt = jstr(m, "mediaType");
	if ((mt != NULL && (strcmp(mt, PCB_MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)) ||
	    member(m, "manifests") != NULL) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "%s names an image index (several "
		    "platforms): rebase one platform's image, named by its manifest digest", digest);
		goto out;
	}
	if (mt != NULL && strcmp(mt, PCB_MT_OCI_MANIFEST) != 0 &&
	    strcmp(mt, MT_DOCKER_MANIFEST) != 0) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "the manifest %s has media type '%.100s' "
		    "(OCI or Docker v2 schema 2 image manifests only)", digest, mt);
		goto out;
	}
	cd = jstr(member(m, "config"), "digest");
	if (cd == NULL || !pcb_digest_valid(cd) || (layers = jarr(m, "layers")) == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "the manifest %s has no config or layers", digest);
		goto out;
	}
	if ((rc = read_obj(st, cd, "config", &c, err)) != 0)
		goto out;
	diff_ids = jarr(member(c, "rootfs"), "diff_ids");
	if (diff_ids == NULL || json_object_array_length(diff_ids) != json_object_array_length(layers)) {
		rc = pcb_err_set(err, PCB_EINVAL, "the config %s: rootfs.diff_ids do not pair with "
		    "the manifest's %zu layers", cd, json_object_array_length(layers));
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		const char *ld = jstr(json_object_array_get_idx(layers, i), "digest");
		const char *did = json_object_get_string(json_object_array_get_idx(diff_ids, i));
		if (ld == NULL || !pcb_digest_valid(ld) || did == NULL || !pcb_digest_valid(did)) {
			rc = pcb_err_set(err, PCB_EINVAL, "the manifest %s: layer %zu has no valid "
			    "digest or diff_id", digest, i);
			goto out;
		}
	}
out:
	if (rc != 0) {
		pcb_err_prefix(err, "%s", what);
		json_object_put(m);
		json_object_put(c);
		m = c = NULL;
	} else {
		snprintf(out->digest, sizeof out->digest, "%s", digest);
		out->size = size;
	}
	out->manifest = m;
	out->config = c;
	return rc;
}

void
pcb_rebase_doc_free(struct pcb_rebase_doc *d)
{
	json_object_put(d->manifest);
	json_object_put(d->config);
	memset(d, 0, sizeof *d);
}

static const char *
label(const struct pcb_rebase_doc *img, const char *key)
{
	return jstr(member(member(img->config, "config"), "Labels"), key);
}

const char *
pcb_rebase_base_name(const struct pcb_rebase_doc *img)
{
	return label(img, PCB_LABEL_BASE_NAME);
}

const char *
pcb_rebase_base_digest(const struct pcb_rebase_doc *img)
{
	const char *d = label(img, PCB_LABEL_BASE_DIGEST);

	return d != NULL && pcb_digest_valid(d) ? d : NULL;
}

void
pcb_rebase_python(json_object *config, char out[32], char full[32])
{
	json_object *env = jarr(member(config, "config"), "Env");

	out[0] = '\0';
	if (full != NULL)
		full[0] = '\0';
	for (size_t i = 0; env != NULL && i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		int maj, min;

		/* The same reading as build.c's deps_step, which chose the venv's interpreter. */
		if (e != NULL && sscanf(e, "PYTHON_VERSION=%d.%d", &maj, &min) == 2 && maj >= 0 &&
		    maj < 100 && min >= 0 && min < 1000) {
			snprintf(out, 32, "%d.%d", maj, min);
			if (full != NULL)
				snprintf(full, 32, "%.31s", e + strlen("PYTHON_VERSION="));
		}
	}
}

void
pcb_rebase_result_free(struct pcb_rebase_result *r)
{
	json_object_put(r->layers);
	memset(r, 0, sizeof *r);
}

/* ---- the config ---------------------------------------------------------------------------
 *
 * The helpers below mirror build.c's make_config (Env as "K=V" replaced in place, PATH merged,
 * maps in sorted key order, members in the image spec's order), so that a rebased config and
 * a rebuilt one are the same bytes. */

/* "K=V" entries of a config's Env, as make_config takes them. */
static void
env_of(json_object *cfg, struct pcb_strv *out)
{
	json_object *env = jarr(cfg, "Env");

	for (size_t i = 0; env != NULL && i < json_object_array_length(env); i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(env, i));
		if (e != NULL && strchr(e, '=') != NULL && e[0] != '=')
			pcb_strv_push(out, e);
	}
}

/* The value of key in "K=V" entries, or NULL. */
static const char *
kv_get(const struct pcb_strv *sv, const char *key, size_t kl)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], key, kl) == 0 && sv->v[i][kl] == '=')
			return sv->v[i] + kl + 1;
	return NULL;
}

/* Sets "K=V": in place when K is there, else at the end. */
static void
kv_set(struct pcb_strv *sv, const char *kv)
{
	size_t kl = (size_t)(strchr(kv, '=') - kv);

	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], kv, kl) == 0 && sv->v[i][kl] == '=') {
			free(sv->v[i]);
			sv->v[i] = pcb_xstrdup(kv);
			return;
		}
	pcb_strv_push(sv, kv);
}

/* Is component c (length n) one of PATH's? */
static bool
path_has(const char *path, const char *c, size_t n)
{
	for (const char *p = path; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, c, n) == 0)
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* The components of path that base lacks, in order, joined by ':' ("" when none): what the
 * build put in front of its base's PATH (the venv's bin, a user's directories). */
static char *
path_ours(const char *path, const char *base)
{
	struct pcb_buf b;

	pcb_buf_init(&b, 64 * 1024);
	for (const char *p = path; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > 0 && !path_has(base, p, len))
			(void)pcb_buf_appendf(&b, "%s%.*s", b.len ? ":" : "", (int)len, p);
		p = end != NULL ? end + 1 : NULL;
	}
	return pcb_buf_steal(&b, NULL);
}

/* build.c's merge_path: ours' components the base's PATH lacks, in front of it. */
static char *
path_merge(const char *base, const char *ours)
{
	struct pcb_buf b;

	pcb_buf_init(&b, 64 * 1024);
	for (const char *p = ours; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > 0 && !path_has(base, p, len))
			(void)pcb_buf_appendf(&b, "%.*s:", (int)len, p);
		p = end != NULL ? end + 1 : NULL;
	}
	(void)pcb_buf_appendf(&b, "%s", base);
	return pcb_buf_steal(&b, NULL);
}

/* Env: the new base's entries, then each of the image's that is not the old base's own
 * (a value the build set or changed) set over them in the image's order; PATH is the new
 * base's with the image's own components in front. An entry the image inherited unchanged
 * (PYTHON_VERSION, LANG, …) takes the new base's value. */
static json_object *
derive_env(json_object *ic, json_object *oc, json_object *nc)
{
	struct pcb_strv ie, oe, out;
	json_object *a = json_object_new_array();

	pcb_strv_init(&ie);
	pcb_strv_init(&oe);
	pcb_strv_init(&out);
	env_of(ic, &ie);
	env_of(oc, &oe);
	env_of(nc, &out);
	for (size_t i = 0; i < ie.n; i++) {
		const char *eq = strchr(ie.v[i], '=');
		size_t kl = (size_t)(eq - ie.v[i]);
		const char *ov = kv_get(&oe, ie.v[i], kl);

		if (kl == 4 && strncmp(ie.v[i], "PATH", 4) == 0) {
			const char *np = kv_get(&out, "PATH", 4);
			char *ours, *merged, *kv;

			if (np == NULL) {
				kv_set(&out, ie.v[i]);   /* no PATH of the new base's to put ours on */
				continue;
			}
			ours = path_ours(eq + 1, ov != NULL ? ov : "");
			merged = path_merge(np, ours);
			kv = pcb_xasprintf("PATH=%s", merged);
			kv_set(&out, kv);
			free(kv);
			free(merged);
			free(ours);
			continue;
		}
		if (ov != NULL && strcmp(ov, eq + 1) == 0)
			continue;   /* inherited: the new base says */
		kv_set(&out, ie.v[i]);
	}
	for (size_t i = 0; i < out.n; i++)
		json_object_array_add(a, json_object_new_string(out.v[i]));
	pcb_strv_free(&ie);
	pcb_strv_free(&oe);
	pcb_strv_free(&out);
	return a;
}

/* Labels every build writes (build.c plan_labels), whatever its base had: a value of ours
 * that happens to equal the old base's is still ours. */
static const char *const labels_always_ours[] = { "org.opencontainers.image.created",
	"org.opencontainers.image.title" };

static bool
always_ours(const char *key, const char *k)
{
	if (strcmp(key, "Labels") != 0)
		return false;
	for (size_t i = 0; i < PCB_ARRAY_LEN(labels_always_ours); i++)
		if (strcmp(labels_always_ours[i], k) == 0)
			return true;
	return false;
}

/* A map member (Labels, ExposedPorts, Volumes): the new base's, plus each of the image's
 * entries that its old base did not have with the same value. always: make the member even
 * when empty (make_config always writes Labels). */
static void
derive_map(json_object *out, const char *key, json_object *ic, json_object *oc, bool always)
{
	json_object *im = member(ic, key), *om = member(oc, key), *m = member(out, key);

	if (m != NULL && !json_object_is_type(m, json_type_object)) {
		json_object_object_del(out, key);
		m = NULL;
	}
	if (m == NULL && always) {
		m = json_object_new_object();
		json_object_object_add(out, key, m);
	}
	if (im == NULL || !json_object_is_type(im, json_type_object))
		return;
	json_object_object_foreach(im, k, v) {
		if (same(v, member(om, k)) && !always_ours(key, k))
			continue;
		if (m == NULL) {
			m = json_object_new_object();
			json_object_object_add(out, key, m);
		}
		json_object_object_add(m, k, copy(v));
	}
}

/* Sets out[key] to the image's value, or removes it when the image has none. */
static void
take_image(json_object *out, const char *key, json_object *v)
{
	if (v != NULL)
		json_object_object_add(out, key, copy(v));
	else
		json_object_object_del(out, key);
}

/* The runtime config ("config" of the image config): see rebase.h. */
static json_object *
derive_runtime(json_object *ic, json_object *oc, json_object *nc, const char *new_name,
    const char *new_digest)
{
	static const char *const special[] = { "Env", "Labels", "ExposedPorts", "Volumes",
		"Entrypoint", "Cmd", "WorkingDir" };
	json_object *out = nc != NULL && json_object_is_type(nc, json_type_object) ? copy(nc) :
	    json_object_new_object();
	json_object *labels;
	bool entry_ours;

	json_object_object_add(out, "Env", derive_env(ic, oc, nc));
	/* Setting an Entrypoint clears the inherited Cmd (docker's rule, make_config's too):
	 * an Entrypoint of ours keeps our Cmd, or none. */
	entry_ours = !same(member(ic, "Entrypoint"), member(oc, "Entrypoint"));
	if (entry_ours)
		take_image(out, "Entrypoint", member(ic, "Entrypoint"));
	if (entry_ours || !same(member(ic, "Cmd"), member(oc, "Cmd")))
		take_image(out, "Cmd", member(ic, "Cmd"));
	/* Every build writes its WorkingDir. */
	if (member(ic, "WorkingDir") != NULL)
		json_object_object_add(out, "WorkingDir", copy(member(ic, "WorkingDir")));
	derive_map(out, "Labels", ic, oc, true);
	derive_map(out, "ExposedPorts", ic, oc, false);
	derive_map(out, "Volumes", ic, oc, false);
	/* Anything else (User, StopSignal, Healthcheck, …): the image's where it differs from
	 * the old base's, else the new base's. */
	if (ic != NULL && json_object_is_type(ic, json_type_object)) {
		json_object_object_foreach(ic, k, v) {
			size_t i;
			for (i = 0; i < PCB_ARRAY_LEN(special) && strcmp(special[i], k) != 0; i++)
				;
			if (i == PCB_ARRAY_LEN(special) && v != NULL && !same(v, member(oc, k)))
				json_object_object_add(out, k, copy(v));
		}
	}
	if (oc != NULL && json_object_is_type(oc, json_type_object)) {
		json_object_object_foreach(oc, k, v) {
			size_t i;
			for (i = 0; i < PCB_ARRAY_LEN(special) && strcmp(special[i], k) != 0; i++)
				;
			if (i == PCB_ARRAY_LEN(special) && v != NULL && member(ic, k) == NULL)
				json_object_object_del(out, k);   /* the image dropped it */
		}
	}
	labels = member(out, "Labels");
	json_object_object_add(labels, PCB_LABEL_BASE_NAME, json_object_new_string(new_name));
	json_object_object_add(labels, PCB_LABEL_BASE_DIGEST, json_object_new_string(new_digest));
	return pcb_oci_config_canonical(out);
}

/* ---- layers and history -------------------------------------------------------------- */

/* "venv", "deps:flask", "app" from "pycontainerd: NAME layer"; else "ours". Caller frees. */
static char *
layer_name(json_object *h)
{
	const char *by = jstr(h, "created_by");
	size_t n;

	if (by != NULL && pcb_str_has_prefix(by, OURS_PREFIX) && pcb_str_has_suffix(by, OURS_SUFFIX) &&
	    (n = strlen(by)) > strlen(OURS_PREFIX) + strlen(OURS_SUFFIX))
		return pcb_xstrndup(by + strlen(OURS_PREFIX),
		    n - strlen(OURS_PREFIX) - strlen(OURS_SUFFIX));
	return pcb_xstrdup("ours");
}

static bool
history_empty(json_object *h)
{
	json_object *v;

	return json_object_object_get_ex(h, "empty_layer", &v) && json_object_get_boolean(v);
}

/* The index in the image's history where ours begin: after the old base's entries when that
 * leaves exactly one non-empty entry per layer of ours; else before the last n_ours
 * non-empty entries. Returns the history length when there is no entry for ours. */
static size_t
history_ours_start(json_object *ih, json_object *oh, size_t n_ours)
{
	size_t nh = ih != NULL ? json_object_array_length(ih) : 0;
	size_t start = oh != NULL ? json_object_array_length(oh) : 0, count = 0;

	if (start <= nh) {
		for (size_t i = start; i < nh; i++)
			count += !history_empty(json_object_array_get_idx(ih, i));
		if (count == n_ours)
			return start;
	}
	count = 0;
	for (size_t i = nh; i > 0; i--) {
		if (!history_empty(json_object_array_get_idx(ih, i - 1)) && ++count == n_ours)
			return i - 1;
	}
	return nh;
}

/* A new-base layer's descriptor as a build puts it in its manifest (build.c base_load):
 * Docker's gzip'd tar type becomes the OCI one, the bytes being the same. */
static int
base_layer(json_object *l, size_t i, const char *name, json_object **out, struct pcb_err *err)
{
	const char *mt = jstr(l, "mediaType");

	*out = NULL;
	if (mt == NULL || strcmp(mt, MT_DOCKER_LAYER_GZIP) == 0) {
		mt = PCB_MT_LAYER_GZIP;
	} else if (strcmp(mt, MT_DOCKER_LAYER_FOREIGN) == 0 ||
	    !pcb_str_has_prefix(mt, "application/vnd.oci.image.layer.")) {
		return pcb_err_set(err, PCB_EUNSUPPORTED, "base image %s: layer %zu has media type "
		    "'%.100s' (gzip'd or plain tar layers only)", name, i, mt);
	}
	*out = copy(l);
	json_object_object_add(*out, "mediaType", json_object_new_string(mt));
	return 0;
}

static const char *
str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

/* os/architecture/variant of the image and of the new base agree. */
static int
check_platform(json_object *ic, json_object *nc, const char *new_name, struct pcb_err *err)
{
	const char *ia = str_or(jstr(ic, "architecture"), "?"), *na = str_or(jstr(nc,
	    "architecture"), "?");
	const char *io = str_or(jstr(ic, "os"), "?"), *no = str_or(jstr(nc, "os"), "?");
	const char *iv = pcb_platform_variant(ia, jstr(ic, "variant"));
	const char *nv = pcb_platform_variant(na, jstr(nc, "variant"));

	if (strcmp(io, no) == 0 && strcmp(ia, na) == 0 && strcmp(iv, nv) == 0)
		return 0;
	return pcb_err_set(err, PCB_ECONFLICT, "the new base %s is for %s/%s%s%s but the image is "
	    "for %s/%s%s%s", new_name, no, na, nv[0] ? "/" : "", nv, io, ia, iv[0] ? "/" : "", iv);
}

int
pcb_rebase_apply(struct pcb_store *st, const struct pcb_rebase_doc *img,
    const struct pcb_rebase_doc *old_base, const struct pcb_rebase_doc *new_base,
    const char *new_name, struct pcb_rebase_result *out, struct pcb_err *err)
{
	json_object *il = jarr(img->manifest, "layers"), *ol = jarr(old_base->manifest, "layers");
	json_object *nl = jarr(new_base->manifest, "layers");
	json_object *idiff = jarr(member(img->config, "rootfs"), "diff_ids");
	json_object *odiff = jarr(member(old_base->config, "rootfs"), "diff_ids");
	json_object *ndiff = jarr(member(new_base->config, "rootfs"), "diff_ids");
	json_object *ih = jarr(img->config, "history"), *nh = jarr(new_base->config, "history");
	json_object *cfg = NULL, *manifest = NULL, *mlayers = NULL, *rlayers = NULL;
	json_object *rootfs, *diff_ids, *history;
	char old_full[32], new_full[32], cd[PCB_DIGEST_BUFSZ], md[PCB_DIGEST_BUFSZ];
	size_t n_img, n_old, n_new, hstart, hi, cs = 0, ms = 0;
	const char *img_base = str_or(pcb_rebase_base_name(img), old_base->digest);
	struct pcb_rebase_result res;
	int rc = 0;

	memset(&res, 0, sizeof res);
	n_img = json_object_array_length(il);
	n_old = json_object_array_length(ol);
	n_new = json_object_array_length(nl);

	/* Ours are the layers after the old base's, which must be the image's first ones. */
	if (n_old > n_img) {
		rc = pcb_err_set(err, PCB_EINVAL, "the image has %zu layers, fewer than its base %s "
		    "(%zu): it was not built on it", n_img, img_base, n_old);
		goto out;
	}
	for (size_t i = 0; i < n_old; i++) {
		const char *a = jstr(json_object_array_get_idx(il, i), "digest");
		const char *b = jstr(json_object_array_get_idx(ol, i), "digest");
		const char *da = json_object_get_string(json_object_array_get_idx(idiff, i));
		const char *db = json_object_get_string(json_object_array_get_idx(odiff, i));
		if (strcmp(a, b) != 0 || strcmp(da, db) != 0) {
			rc = pcb_err_set(err, PCB_EINVAL, "the image's layer %zu (%s) is not layer %zu of "
			    "the base it names, %s@%s (%s): it was not built on that base", i + 1, a,
			    i + 1, img_base, old_base->digest, b);
			goto out;
		}
	}
	res.n_old_base = n_old;
	res.n_new_base = n_new;
	res.n_ours = n_img - n_old;

	/* The venv's interpreter is the base's /usr/local/bin/pythonX.Y. */
	pcb_rebase_python(old_base->config, res.old_python, old_full);
	if (res.old_python[0] == '\0')
		pcb_rebase_python(img->config, res.old_python, old_full);
	pcb_rebase_python(new_base->config, res.new_python, new_full);
	if (res.old_python[0] != '\0' && strcmp(res.old_python, res.new_python) != 0) {
		if (res.new_python[0] == '\0')
			rc = pcb_err_set(err, PCB_ECONFLICT, "the new base %s states no Python version "
			    "(no PYTHON_VERSION in its config) and the image was built for Python %s "
			    "(%s, PYTHON_VERSION=%s): its virtual environment could not be checked to "
			    "run there; rebuild the image on the new base instead", new_name,
			    res.old_python, img_base, old_full);
		else
			rc = pcb_err_set(err, PCB_ECONFLICT, "the new base %s has Python %s "
			    "(PYTHON_VERSION=%s) but the image was built for Python %s (%s, "
			    "PYTHON_VERSION=%s): its virtual environment points at "
			    "/usr/local/bin/python%s and holds modules compiled for %s, which would "
			    "break; rebuild the image on the new base instead", new_name,
			    res.new_python, new_full, res.old_python, img_base, old_full,
			    res.old_python, res.old_python);
		goto out;
	}
	if ((rc = check_platform(img->config, new_base->config, new_name, err)) != 0)
		goto out;

	/* The manifest's layers: the new base's (as a build takes them), then ours unchanged. */
	mlayers = json_object_new_array();
	rlayers = json_object_new_array();
	diff_ids = json_object_new_array();
	for (size_t i = 0; i < n_new; i++) {
		json_object *l, *r;
		const char *did = json_object_get_string(json_object_array_get_idx(ndiff, i));
		if ((rc = base_layer(json_object_array_get_idx(nl, i), i, new_name, &l, err)) != 0) {
			json_object_put(diff_ids);
			goto out;
		}
		json_object_array_add(mlayers, l);
		json_object_array_add(diff_ids, json_object_new_string(did));
		r = copy(l);
		json_object_object_add(r, "diff_id", json_object_new_string(did));
		json_object_object_add(r, "name", json_object_new_string("base"));
		json_object_array_add(rlayers, r);
	}
	hstart = history_ours_start(ih, jarr(old_base->config, "history"), res.n_ours);
	hi = hstart;
	for (size_t i = n_old; i < n_img; i++) {
		json_object *l = json_object_array_get_idx(il, i), *r, *h = NULL;
		const char *did = json_object_get_string(json_object_array_get_idx(idiff, i));
		char *name;

		while (ih != NULL && hi < json_object_array_length(ih) &&
		    history_empty(json_object_array_get_idx(ih, hi)))
			hi++;
		if (ih != NULL && hi < json_object_array_length(ih))
			h = json_object_array_get_idx(ih, hi++);
		json_object_array_add(mlayers, json_object_get(l));
		json_object_array_add(diff_ids, json_object_new_string(did));
		r = copy(l);
		json_object_object_add(r, "diff_id", json_object_new_string(did));
		name = layer_name(h);
		json_object_object_add(r, "name", json_object_new_string(name));
		free(name);
		json_object_array_add(rlayers, r);
	}

	/* The config: the image's, with the runtime config re-derived, and rootfs and history
	 * the new base's then ours; members keep their places (created, architecture, os,
	 * config, rootfs, history — make_config's order). */
	cfg = copy(img->config);
	json_object_object_add(cfg, "config", derive_runtime(member(img->config, "config"),
	    member(old_base->config, "config"), member(new_base->config, "config"), new_name,
	    new_base->digest));
	rootfs = json_object_new_object();
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	json_object_object_add(rootfs, "diff_ids", diff_ids);
	json_object_object_add(cfg, "rootfs", rootfs);
	history = json_object_new_array();
	for (size_t i = 0; nh != NULL && i < json_object_array_length(nh); i++)
		json_object_array_add(history, json_object_get(json_object_array_get_idx(nh, i)));
	for (size_t i = hstart; ih != NULL && i < json_object_array_length(ih); i++)
		json_object_array_add(history, json_object_get(json_object_array_get_idx(ih, i)));
	json_object_object_add(cfg, "history", history);
	if ((rc = pcb_oci_put_json(st, cfg, PCB_MT_OCI_CONFIG, cd, &cs, err)) != 0)
		goto out;
	manifest = pcb_oci_manifest_new(cd, cs, mlayers);
	mlayers = NULL;
	if ((rc = pcb_oci_put_json(st, manifest, PCB_MT_OCI_MANIFEST, md, &ms, err)) != 0)
		goto out;
	snprintf(res.config_digest, sizeof res.config_digest, "%s", cd);
	res.config_size = cs;
	snprintf(res.manifest_digest, sizeof res.manifest_digest, "%s", md);
	res.manifest_size = ms;
	res.layers = rlayers;
	rlayers = NULL;
out:
	json_object_put(cfg);
	json_object_put(manifest);
	json_object_put(mlayers);
	json_object_put(rlayers);
	if (rc != 0)
		pcb_rebase_result_free(&res);
	*out = res;
	return rc;
}
