/* lockfile.c — reads pylock.toml (PEP 751) and uv.lock and picks, for an image's target, the
 * packages that apply and the one wheel of each that fits best.
 *
 * Images are built without running a resolver or a build backend, so a lock file is only
 * usable when every package it selects comes with a wheel that fits; everything that does not
 * is collected and reported in one error, so that the user can fix the lock in one go. Errors
 * in the file itself stop at the first one and name the file and, where the TOML reader kept
 * it, the line. */
#include "python/lockfile.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "python/pep508.h"
#include "python/toml.h"

/* Room kept for the failure list inside PCB_ERR_MSG_MAX, the rest being the file name, the
 * image description and the context callers add. */
#define FAILS_MAX 640
#define MAX_PACKAGES 100000

struct lctx {
	const char *path;                 /* as given, for messages */
	char *dir;                        /* absolute folder of the lock file */
	json_object *doc;
	struct pcb_toml_locs *locs;
	const struct pcb_pytarget *t;
	char tdesc[96];
	struct pcb_marker_env env;
	struct pcb_err *err;
	/* packages without a fitting wheel */
	struct pcb_buf fails;
	size_t nfail, nfail_dropped;
	/* the result */
	struct pcb_locked_wheel *v;
	size_t n, cap;
	size_t skipped;
};

/* ---- helpers -------------------------------------------------------------------------------- */

static int
lfail(struct lctx *c, const struct pcb_toml_kpath *kp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the error "<file>: line N: <message>", the line of the deepest key of kp known. */
static int
lfail(struct lctx *c, const struct pcb_toml_kpath *kp, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pcb_toml_kpath_fail(c->err, c->locs, c->path, kp, fmt, ap);
	va_end(ap);
	return rc;
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* An optional string member; wrong type is an error. *out NULL when absent. */
static int
opt_str(struct lctx *c, json_object *o, const char *key, const struct pcb_toml_kpath *at,
    const char **out)
{
	json_object *v = jget(o, key);
	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		struct pcb_toml_kpath kp = *at;
		pcb_toml_kpath_key(&kp, key);
		return lfail(c, &kp, "'%s' must be a string", key);
	}
	*out = json_object_get_string(v);
	return 0;
}

static int
opt_size(struct lctx *c, json_object *o, const struct pcb_toml_kpath *at, uint64_t *out)
{
	json_object *v = jget(o, "size");
	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
		struct pcb_toml_kpath kp = *at;
		pcb_toml_kpath_key(&kp, "size");
		return lfail(c, &kp, "'size' must be a non-negative integer");
	}
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

/* An optional array of strings, names normalised into sv (when sv != NULL). */
static int
opt_names(struct lctx *c, json_object *o, const char *key, const struct pcb_toml_kpath *at,
    struct pcb_strv *sv, bool *present)
{
	json_object *a = jget(o, key);
	struct pcb_toml_kpath kp = *at;

	pcb_toml_kpath_key(&kp, key);
	if (present != NULL)
		*present = a != NULL;
	if (a == NULL)
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return lfail(c, &kp, "'%s' must be an array of strings", key);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string)) {
			pcb_toml_kpath_idx(&kp, i);
			return lfail(c, &kp, "'%s' must be an array of strings", key);
		}
		if (sv != NULL)
			pcb_strv_push_owned(sv, pcb_pyname_normalize(json_object_get_string(e)));
	}
	return 0;
}

static bool
is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void
lower_copy(char out[65], const char *hex)
{
	for (size_t i = 0; i < 64; i++)
		out[i] = (char)tolower((unsigned char)hex[i]);
	out[64] = '\0';
}

/* The last segment of a URL or path, without query or fragment. Caller frees. */
static char *
last_segment(const char *s)
{
	size_t end = strcspn(s, "?#");
	size_t start = end;
	while (start > 0 && s[start - 1] != '/')
		start--;
	return pcb_xstrndup(s + start, end - start);
}

static bool
is_http(const char *u)
{
	return pcb_str_has_prefix(u, "https://") || pcb_str_has_prefix(u, "http://");
}

/* A path from the lock: absolute as is, relative against base (the lock's folder unless a
 * uv registry folder says otherwise). Caller frees. */
static char *
resolve_path(const char *base, const char *p)
{
	if (p[0] == '/')
		return pcb_xstrdup(p);
	if (pcb_str_has_prefix(p, "./"))
		p += 2;
	return pcb_path_join(base, p);
}

/* Where to fetch a file from: url (http/https) or path (file:// URLs and paths). */
static int
file_location(struct lctx *c, const struct pcb_toml_kpath *at, const char *base, const char *url,
    const char *path, char **url_out, char **path_out)
{
	*url_out = NULL;
	*path_out = NULL;
	if (path != NULL) {
		*path_out = resolve_path(base, path);
		return 0;
	}
	if (url == NULL)
		return lfail(c, at, "a file needs 'url' or 'path'");
	if (is_http(url)) {
		*url_out = pcb_xstrdup(url);
		return 0;
	}
	if (pcb_str_has_prefix(url, "file://")) {
		const char *p = url + strlen("file://");
		if (p[0] != '/')
			return lfail(c, at, "file URL '%s' is not an absolute path on this host", url);
		*path_out = pcb_xstrndup(p, strcspn(p, "?#"));
		return 0;
	}
	return lfail(c, at, "URL '%s': only http, https and file URLs are supported", url);
}

static void
fail_add(struct lctx *c, const char *name, const char *version, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records a package that cannot be installed ("name version: why"); the list is reported at
 * the end. */
static void
fail_add(struct lctx *c, const char *name, const char *version, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof msg, "%s%s%s: ", name, version != NULL && version[0] != '\0' ?
	    " " : "", version != NULL ? version : "");
	if (n < 0 || (size_t)n >= sizeof msg)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	if ((c->fails.len > 0 && pcb_buf_append(&c->fails, "; ", 2) != 0) ||
	    pcb_buf_append(&c->fails, msg, strlen(msg)) != 0) {
		/* Keep the list whole up to the limit; count the rest. */
		if (c->fails.len >= 2 && strcmp(c->fails.data + c->fails.len - 2, "; ") == 0) {
			c->fails.len -= 2;
			c->fails.data[c->fails.len] = '\0';
		}
		c->nfail_dropped++;
	}
	c->nfail++;
}

static void
wheel_free_fields(struct pcb_locked_wheel *w)
{
	free(w->name);
	free(w->version);
	free(w->filename);
	free(w->url);
	free(w->path);
}

void
pcb_lock_free(struct pcb_lock *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		wheel_free_fields(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- choosing a wheel ----------------------------------------------------------------------- */

/* A wheel the lock offers for one package. */
struct wcand {
	char *filename;
	char *url;
	char *path;
	char sha256[65];
	uint64_t size;
	struct pcb_toml_kpath at;       /* where the entry is, for errors */
};

static void
wcands_free(struct wcand *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].filename);
		free(w[i].url);
		free(w[i].path);
	}
	free(w);
}

/* Picks the best-fitting wheel among cands (all well-formed names, checked here) and appends
 * it to the result; when none fits, records the package as a failure. name is normalised. */
static int
pick_wheel(struct lctx *c, const char *name, const char *version,
    struct wcand *cands, size_t n)
{
	int best = -1, best_score = -1, rc = 0;
	struct pcb_strv plats, whys;
	struct pcb_wheel_name best_wn;
	bool have_best = false;

	pcb_strv_init(&plats);
	pcb_strv_init(&whys);
	memset(&best_wn, 0, sizeof best_wn);
	for (size_t i = 0; i < n; i++) {
		struct pcb_wheel_name wn;
		char why[256] = "";
		int score;
		struct pcb_err werr;

		pcb_err_clear(&werr);
		if (pcb_wheel_name_parse(cands[i].filename, &wn, &werr) != 0) {
			rc = lfail(c, &cands[i].at, "%s", werr.msg);
			goto out;
		}
		if (strcmp(wn.name, name) != 0) {
			rc = lfail(c, &cands[i].at, "%s: wheel '%s' is for another distribution", name,
			    cands[i].filename);
			pcb_wheel_name_free(&wn);
			goto out;
		}
		if (version != NULL && pcb_version_cmp(wn.version, version) != 0) {
			rc = lfail(c, &cands[i].at, "%s %s: wheel '%s' is of version %s", name, version,
			    cands[i].filename, wn.version);
			pcb_wheel_name_free(&wn);
			goto out;
		}
		score = pcb_wheel_fit(&wn, c->t, why, sizeof why);
		if (score > best_score) {
			if (have_best)
				pcb_wheel_name_free(&best_wn);
			best_wn = wn;
			have_best = true;
			best_score = score;
			best = (int)i;
			continue;
		}
		if (score < 0) {
			for (size_t j = 0; j < wn.platform.n; j++)
				if (!pcb_strv_contains(&plats, wn.platform.v[j]))
					pcb_strv_push(&plats, wn.platform.v[j]);
			if (why[0] != '\0' && !pcb_strv_contains(&whys, why))
				pcb_strv_push(&whys, why);
		}
		pcb_wheel_name_free(&wn);
	}
	if (best < 0) {
		struct pcb_buf b;
		pcb_buf_init(&b, 400);
		for (size_t j = 0; j < plats.n && j < 6; j++)
			(void)pcb_buf_appendf(&b, "%s%s", j ? ", " : "", plats.v[j]);
		if (plats.n > 6)
			(void)pcb_buf_appendf(&b, " and %zu more", plats.n - 6);
		/* One reason shared by every wheel (say, all built for cp312) is worth telling. */
		if (whys.n == 1)
			fail_add(c, name, version, "wheels for %s only (%s)", b.data != NULL ?
			    b.data : "", whys.v[0]);
		else
			fail_add(c, name, version, "wheels for %s only", b.data != NULL ?
			    b.data : "");
		pcb_buf_free(&b);
		goto out;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = pcb_xrealloc(c->v, c->cap * sizeof *c->v);
	}
	{
		struct pcb_locked_wheel *w = &c->v[c->n++];
		memset(w, 0, sizeof *w);
		w->name = pcb_xstrdup(name);
		w->version = pcb_xstrdup(version != NULL ? version : best_wn.version);
		w->filename = cands[best].filename;
		w->url = cands[best].url;
		w->path = cands[best].path;
		cands[best].filename = cands[best].url = cands[best].path = NULL;
		memcpy(w->sha256, cands[best].sha256, sizeof w->sha256);
		w->size = cands[best].size;
	}
out:
	if (have_best)
		pcb_wheel_name_free(&best_wn);
	pcb_strv_free(&plats);
	pcb_strv_free(&whys);
	return rc;
}

static int
cmp_wheel(const void *a, const void *b)
{
	const struct pcb_locked_wheel *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r != 0 ? r : pcb_version_cmp(x->version, y->version);
}

/* ---- pylock.toml ---------------------------------------------------------------------------- */

/* A pylock file entry (wheels[i] or archive): url/path, hashes.sha256, size, name. */
static int
pylock_file(struct lctx *c, json_object *e, const struct pcb_toml_kpath *at, struct wcand *w)
{
	const char *name, *url, *path, *sha;
	json_object *hashes;
	int rc;

	memset(w, 0, sizeof *w);
	w->at = *at;
	if (!json_object_is_type(e, json_type_object))
		return lfail(c, at, "a file entry must be a table");
	if ((rc = opt_str(c, e, "name", at, &name)) != 0 ||
	    (rc = opt_str(c, e, "url", at, &url)) != 0 ||
	    (rc = opt_str(c, e, "path", at, &path)) != 0 ||
	    (rc = opt_size(c, e, at, &w->size)) != 0)
		return rc;
	hashes = jget(e, "hashes");
	if (hashes == NULL || !json_object_is_type(hashes, json_type_object))
		return lfail(c, at, "%s: no 'hashes' table (a sha256 is required)",
		    name != NULL ? name : url != NULL ? url : path != NULL ? path : "file");
	{
		struct pcb_toml_kpath kp = *at;
		pcb_toml_kpath_key(&kp, "hashes");
		if ((rc = opt_str(c, hashes, "sha256", &kp, &sha)) != 0)
			return rc;
		if (sha == NULL)
			return lfail(c, &kp, "%s: no sha256 in 'hashes' (only sha256 is checked)",
			    name != NULL ? name : url != NULL ? url : path != NULL ? path : "file");
		if (!is_hex64(sha))
			return lfail(c, &kp, "sha256 '%s' is not 64 hex digits", sha);
	}
	lower_copy(w->sha256, sha);
	if ((rc = file_location(c, at, c->dir, url, path, &w->url, &w->path)) != 0)
		return rc;
	w->filename = name != NULL ? pcb_xstrdup(name) : last_segment(path != NULL ? path : url);
	return 0;
}

/* Marker variables for pylock.toml: the extras asked for and the default groups plus those
 * asked for; each must be one the lock says it supports, when it lists them. */
static int
pylock_env(struct lctx *c, const struct pcb_lock_select *sel)
{
	struct pcb_strv known_extras, known_groups;
	bool have_extras, have_groups;
	struct pcb_toml_kpath top = { .n = 0 };
	int rc;

	pcb_strv_init(&known_extras);
	pcb_strv_init(&known_groups);
	if ((rc = opt_names(c, c->doc, "extras", &top, &known_extras, &have_extras)) != 0 ||
	    (rc = opt_names(c, c->doc, "dependency-groups", &top, &known_groups, &have_groups)) != 0 ||
	    (rc = opt_names(c, c->doc, "default-groups", &top, &c->env.dependency_groups, NULL)) != 0)
		goto out;
	for (size_t i = 0; sel != NULL && sel->extras != NULL && i < sel->extras->n; i++) {
		char *x = pcb_pyname_normalize(sel->extras->v[i]);
		if (have_extras && !pcb_strv_contains(&known_extras, x)) {
			rc = lfail(c, NULL, "extra '%s' is not one the lock provides", x);
			free(x);
			goto out;
		}
		pcb_strv_push_owned(&c->env.extras, x);
	}
	for (size_t i = 0; sel != NULL && sel->groups != NULL && i < sel->groups->n; i++) {
		char *g = pcb_pyname_normalize(sel->groups->v[i]);
		if (pcb_strv_contains(&c->env.dependency_groups, g)) {
			free(g);
			continue;
		}
		if (have_groups && !pcb_strv_contains(&known_groups, g)) {
			rc = lfail(c, NULL, "dependency group '%s' is not one the lock provides", g);
			free(g);
			goto out;
		}
		pcb_strv_push_owned(&c->env.dependency_groups, g);
	}
out:
	pcb_strv_free(&known_extras);
	pcb_strv_free(&known_groups);
	return rc;
}

static int
check_requires_python(struct lctx *c, const struct pcb_toml_kpath *at, const char *spec,
    const char *who)
{
	bool ok = false;
	struct pcb_err e;

	pcb_err_clear(&e);
	if (pcb_specifier_match(spec, c->env.python_full_version, true, &ok, &e) != 0) {
		struct pcb_toml_kpath kp = *at;
		pcb_toml_kpath_key(&kp, "requires-python");
		return lfail(c, &kp, "%s", e.msg);
	}
	if (!ok) {
		struct pcb_toml_kpath kp = *at;
		pcb_toml_kpath_key(&kp, "requires-python");
		return lfail(c, &kp, "%s requires Python %s; the image has %s", who, spec, c->tdesc);
	}
	return 0;
}

static int
eval_marker(struct lctx *c, const struct pcb_toml_kpath *at, const char *marker, bool *out)
{
	struct pcb_err e;

	pcb_err_clear(&e);
	*out = true;
	if (marker == NULL)
		return 0;
	if (pcb_marker_eval(marker, &c->env, out, &e) != 0) {
		struct pcb_toml_kpath kp = *at;
		pcb_toml_kpath_key(&kp, "marker");
		return lfail(c, &kp, "%s", e.msg);
	}
	return 0;
}

/* A [[packages]] entry being read: where it is, for errors, and the fields the later steps
 * use. */
struct pypkg {
	json_object *o;
	struct pcb_toml_kpath at;
	const char *rawname;
	const char *version;            /* may be NULL */
	const char *marker;
	const char *requires_python;
	char *name;                     /* normalised, set once the package applies */
};

/* Checks 'lock-version': it must be there, and 1 or 1.<digits>, the versions this reads. */
static int
pylock_check_version(struct lctx *c)
{
	struct pcb_toml_kpath top = { .n = 0 };
	const char *lv;
	int rc;

	if ((rc = opt_str(c, c->doc, "lock-version", &top, &lv)) != 0)
		return rc;
	if (lv == NULL)
		return lfail(c, NULL, "no 'lock-version' (is this a pylock.toml file?)");
	if (!(strcmp(lv, "1") == 0 || (pcb_str_has_prefix(lv, "1.") && lv[2] != '\0' &&
	    strspn(lv + 2, "0123456789") == strlen(lv + 2)))) {
		struct pcb_toml_kpath kp = { .n = 0 };
		pcb_toml_kpath_key(&kp, "lock-version");
		return lfail(c, &kp, "lock-version '%s' is not supported (this reads 1.x)", lv);
	}
	return 0;
}

/* When the lock lists the environments it was made for, the image must match one of them. */
static int
pylock_check_environments(struct lctx *c)
{
	json_object *envs = jget(c->doc, "environments");
	struct pcb_toml_kpath kp = { .n = 0 };
	bool any = false;

	if (envs == NULL)
		return 0;
	pcb_toml_kpath_key(&kp, "environments");
	if (!json_object_is_type(envs, json_type_array))
		return lfail(c, &kp, "'environments' must be an array of markers");
	for (size_t i = 0; i < json_object_array_length(envs); i++) {
		json_object *e = json_object_array_get_idx(envs, i);
		struct pcb_err me;
		bool ok = false;
		pcb_err_clear(&me);
		if (!json_object_is_type(e, json_type_string))
			return lfail(c, &kp, "'environments' must be an array of markers");
		if (pcb_marker_eval(json_object_get_string(e), &c->env, &ok, &me) != 0)
			return lfail(c, &kp, "%s", me.msg);
		any = any || ok;
	}
	if (!any && json_object_array_length(envs) > 0)
		return lfail(c, &kp, "none of the lock's environments is the image (%s)", c->tdesc);
	return 0;
}

/* Reads the plain fields of the entry pk->o: name (required), version, marker and
 * requires-python. */
static int
pylock_package_fields(struct lctx *c, struct pypkg *pk)
{
	int rc;

	if (!json_object_is_type(pk->o, json_type_object))
		return lfail(c, &pk->at, "each [[packages]] entry must be a table");
	if ((rc = opt_str(c, pk->o, "name", &pk->at, &pk->rawname)) != 0 ||
	    (rc = opt_str(c, pk->o, "version", &pk->at, &pk->version)) != 0 ||
	    (rc = opt_str(c, pk->o, "marker", &pk->at, &pk->marker)) != 0 ||
	    (rc = opt_str(c, pk->o, "requires-python", &pk->at, &pk->requires_python)) != 0)
		return rc;
	if (pk->rawname == NULL)
		return lfail(c, &pk->at, "a package without 'name'");
	return 0;
}

/* The package's own requires-python. One that cannot be read is an error in the lock; one the
 * image does not meet records the package as failing and sets *fits false, so that the other
 * packages are still checked. */
static int
pylock_package_python(struct lctx *c, const struct pypkg *pk, bool *fits)
{
	const char *spec = pk->requires_python;
	bool ok = false;
	struct pcb_err e;

	*fits = true;
	if (spec == NULL)
		return 0;
	pcb_err_clear(&e);
	if (pcb_specifier_match(spec, c->env.python_full_version, true, &ok, &e) != 0) {
		struct pcb_toml_kpath kp = pk->at;
		pcb_toml_kpath_key(&kp, "requires-python");
		return lfail(c, &kp, "%s", e.msg);
	}
	if (!ok) {
		fail_add(c, pk->name, pk->version, "requires Python %s", spec);
		*fits = false;
	}
	return 0;
}

/* The wheels the lock offers for the package: its 'wheels', else an 'archive' that is a
 * wheel. When there is none, the package is recorded as failing and *nout is 0. */
static int
pylock_candidates(struct lctx *c, const struct pypkg *pk, struct wcand **out, size_t *nout)
{
	json_object *wheels = jget(pk->o, "wheels"), *archive = jget(pk->o, "archive");
	struct wcand *cands = NULL;
	size_t ncand = 0;
	int rc = 0;

	if (wheels != NULL) {
		struct pcb_toml_kpath kw = pk->at;
		pcb_toml_kpath_key(&kw, "wheels");
		if (!json_object_is_type(wheels, json_type_array)) {
			rc = lfail(c, &kw, "'wheels' must be an array of tables");
			goto out;
		}
		ncand = json_object_array_length(wheels);
		cands = pcb_xcalloc(ncand, sizeof *cands);
		for (size_t j = 0; j < ncand; j++) {
			struct pcb_toml_kpath kj = kw;
			pcb_toml_kpath_idx(&kj, j);
			if ((rc = pylock_file(c, json_object_array_get_idx(wheels, j), &kj,
			    &cands[j])) != 0)
				goto out;
		}
	} else if (archive != NULL) {
		struct pcb_toml_kpath ka = pk->at;
		struct wcand w;
		pcb_toml_kpath_key(&ka, "archive");
		if ((rc = pylock_file(c, archive, &ka, &w)) != 0)
			goto out;
		if (!pcb_str_has_suffix(w.filename, ".whl")) {
			fail_add(c, pk->name, pk->version, "no wheel in the lock (archive %s only); "
			    "build a wheel or lock with wheels", w.filename);
			free(w.filename);
			free(w.url);
			free(w.path);
			goto out;
		}
		ncand = 1;
		cands = pcb_xmalloc(sizeof *cands);
		cands[0] = w;
	}
	if (ncand == 0) {
		const char *what = jget(pk->o, "sdist") != NULL ? "sdist only" :
		    jget(pk->o, "vcs") != NULL ? "a VCS checkout only" :
		    jget(pk->o, "directory") != NULL ? "a local directory only" : "no files at all";
		fail_add(c, pk->name, pk->version, "no wheel in the lock (%s); build a wheel or lock "
		    "with wheels", what);
	}
out:
	if (rc != 0 || ncand == 0) {
		wcands_free(cands, ncand);
		cands = NULL;
		ncand = 0;
	}
	*out = cands;
	*nout = ncand;
	return rc;
}

/* Reads packages[i] and, when its marker holds for the image, appends its best wheel to the
 * result or records why it cannot be installed. chosen holds the names selected so far. */
static int
pylock_package(struct lctx *c, json_object *o, size_t i, struct pcb_strv *chosen)
{
	struct pypkg pk = { .o = o };
	struct wcand *cands = NULL;
	size_t ncand = 0;
	bool applies, fits;
	int rc;

	pcb_toml_kpath_key(&pk.at, "packages");
	pcb_toml_kpath_idx(&pk.at, i);
	if ((rc = pylock_package_fields(c, &pk)) != 0)
		goto out;
	if ((rc = eval_marker(c, &pk.at, pk.marker, &applies)) != 0)
		goto out;
	if (!applies) {
		c->skipped++;
		goto out;
	}
	pk.name = pcb_pyname_normalize(pk.rawname);
	if (pcb_strv_contains(chosen, pk.name)) {
		rc = lfail(c, &pk.at, "package %s is listed more than once for the image (their "
		    "markers overlap)", pk.name);
		goto out;
	}
	pcb_strv_push(chosen, pk.name);
	if ((rc = pylock_package_python(c, &pk, &fits)) != 0 || !fits)
		goto out;
	if ((rc = pylock_candidates(c, &pk, &cands, &ncand)) != 0 || ncand == 0)
		goto out;
	rc = pick_wheel(c, pk.name, pk.version, cands, ncand);
out:
	wcands_free(cands, ncand);
	free(pk.name);
	return rc;
}

/* Reads a pylock.toml: checks its top-level fields against the image, then selects the
 * packages that apply and a wheel for each. */
static int
pylock_load(struct lctx *c, const struct pcb_lock_select *sel)
{
	struct pcb_toml_kpath top = { .n = 0 };
	const char *rp;
	json_object *pkgs;
	struct pcb_strv chosen;
	int rc;

	pcb_strv_init(&chosen);
	if ((rc = pylock_check_version(c)) != 0)
		goto out;
	if ((rc = pylock_env(c, sel)) != 0)
		goto out;
	if ((rc = opt_str(c, c->doc, "requires-python", &top, &rp)) != 0)
		goto out;
	if (rp != NULL && (rc = check_requires_python(c, &top, rp, "the lock")) != 0)
		goto out;
	if ((rc = pylock_check_environments(c)) != 0)
		goto out;
	pkgs = jget(c->doc, "packages");
	if (pkgs == NULL || !json_object_is_type(pkgs, json_type_array)) {
		rc = lfail(c, NULL, "no [[packages]] array");
		goto out;
	}
	if (json_object_array_length(pkgs) > MAX_PACKAGES) {
		rc = lfail(c, NULL, "more than %d packages", MAX_PACKAGES);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(pkgs); i++)
		if ((rc = pylock_package(c, json_object_array_get_idx(pkgs, i), i, &chosen)) != 0)
			goto out;
out:
	pcb_strv_free(&chosen);
	return rc;
}

/* ---- uv.lock -------------------------------------------------------------------------------- */

struct uvpkg {
	json_object *o;
	char *name;               /* normalised */
	const char *version;      /* may be NULL (dynamic versions of workspace members) */
	json_object *source;
	bool root;
	bool base_done;           /* its `dependencies` were walked */
	bool reached;
	struct pcb_strv extras_done;
	struct pcb_strv groups_done;
};

struct uv {
	struct uvpkg *p;
	size_t n;
};

static void
uv_free(struct uv *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->p[i].name);
		pcb_strv_free(&u->p[i].extras_done);
		pcb_strv_free(&u->p[i].groups_done);
	}
	free(u->p);
}

static bool
source_is_local_root(json_object *src)
{
	const char *keys[] = { "virtual", "editable" };
	for (size_t i = 0; i < PCB_ARRAY_LEN(keys); i++) {
		json_object *v = jget(src, keys[i]);
		if (v != NULL && json_object_is_type(v, json_type_string) &&
		    (strcmp(json_object_get_string(v), ".") == 0 ||
		    strcmp(json_object_get_string(v), "") == 0))
			return true;
	}
	return false;
}

static struct pcb_toml_kpath
uv_at(size_t i)
{
	struct pcb_toml_kpath at = { .n = 0 };
	pcb_toml_kpath_key(&at, "package");
	pcb_toml_kpath_idx(&at, i);
	return at;
}

/* Finds the entry a dependency edge points at: by name, then, when uv forked the package
 * into several versions, by the edge's version and source, then by resolution-markers. */
static int
uv_resolve(struct lctx *c, struct uv *u, size_t from, const struct pcb_toml_kpath *at,
    json_object *edge, const char *name, size_t *out)
{
	size_t cand[64], nc = 0, keep;
	const char *ver = NULL;
	json_object *src = jget(edge, "source");
	int rc;

	if ((rc = opt_str(c, edge, "version", at, &ver)) != 0)
		return rc;
	for (size_t i = 0; i < u->n; i++) {
		if (strcmp(u->p[i].name, name) != 0)
			continue;
		if (nc == PCB_ARRAY_LEN(cand))
			return lfail(c, at, "package %s has too many entries", name);
		cand[nc++] = i;
	}
	if (nc == 0)
		return lfail(c, at, "%s depends on %s, which is not in the lock", u->p[from].name, name);
	if (nc > 1 && ver != NULL) {
		keep = 0;
		for (size_t i = 0; i < nc; i++)
			if (u->p[cand[i]].version != NULL &&
			    pcb_version_cmp(u->p[cand[i]].version, ver) == 0)
				cand[keep++] = cand[i];
		nc = keep;
	}
	if (nc > 1 && src != NULL) {
		keep = 0;
		for (size_t i = 0; i < nc; i++)
			if (u->p[cand[i]].source != NULL && json_object_equal(u->p[cand[i]].source, src))
				cand[keep++] = cand[i];
		nc = keep;
	}
	if (nc > 1) {
		/* Still several: the fork whose resolution-markers hold for the image. */
		keep = 0;
		for (size_t i = 0; i < nc; i++) {
			json_object *rm = jget(u->p[cand[i]].o, "resolution-markers");
			bool any = false;
			if (rm == NULL || !json_object_is_type(rm, json_type_array))
				continue;
			for (size_t j = 0; j < json_object_array_length(rm) && !any; j++) {
				json_object *m = json_object_array_get_idx(rm, j);
				bool ok = false;
				if (json_object_is_type(m, json_type_string) &&
				    pcb_marker_eval(json_object_get_string(m), &c->env, &ok, NULL) == 0)
					any = ok;
			}
			if (any)
				cand[keep++] = cand[i];
		}
		if (keep == 1)
			nc = 1;
		else
			return lfail(c, at, "%s depends on %s, which has several entries in the lock "
			    "and the dependency does not say which", u->p[from].name, name);
	}
	if (nc == 0)
		return lfail(c, at, "%s depends on %s%s%s, which is not in the lock", u->p[from].name,
		    name, ver != NULL ? " " : "", ver != NULL ? ver : "");
	*out = cand[0];
	return 0;
}

/* A work item of the walk: a package with its plain dependencies (kind 0), one of its extras
 * (kind 1) or one of its dependency groups (kind 2). */
struct uvwork {
	size_t pkg;
	int kind;
	char *what;
};

struct uvqueue {
	struct uvwork *v;
	size_t n, cap;
};

static void
uvq_push(struct uvqueue *q, size_t pkg, int kind, const char *what)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		q->v = pcb_xrealloc(q->v, q->cap * sizeof *q->v);
	}
	q->v[q->n].pkg = pkg;
	q->v[q->n].kind = kind;
	q->v[q->n].what = pcb_xstrdup(what);
	q->n++;
}

/* Walks the edges in list (an array of {name, marker, extra, version, source}). */
static int
uv_edges(struct lctx *c, struct uv *u, size_t from, json_object *list,
    const struct pcb_toml_kpath *at, struct uvqueue *q)
{
	if (list == NULL)
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return lfail(c, at, "dependencies must be an array of tables");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *ex;
		struct pcb_toml_kpath ke = *at;
		const char *rawname, *marker;
		char *name;
		bool ok;
		size_t to = 0;
		int rc;

		pcb_toml_kpath_idx(&ke, i);
		if (!json_object_is_type(e, json_type_object))
			return lfail(c, &ke, "a dependency must be a table");
		if ((rc = opt_str(c, e, "name", &ke, &rawname)) != 0 ||
		    (rc = opt_str(c, e, "marker", &ke, &marker)) != 0)
			return rc;
		if (rawname == NULL)
			return lfail(c, &ke, "a dependency without 'name'");
		if ((rc = eval_marker(c, &ke, marker, &ok)) != 0)
			return rc;
		if (!ok)
			continue;
		name = pcb_pyname_normalize(rawname);
		rc = uv_resolve(c, u, from, &ke, e, name, &to);
		free(name);
		if (rc != 0)
			return rc;
		uvq_push(q, to, 0, "");
		ex = jget(e, "extra");
		if (ex != NULL) {
			struct pcb_strv xs;
			pcb_strv_init(&xs);
			if ((rc = opt_names(c, e, "extra", &ke, &xs, NULL)) != 0) {
				pcb_strv_free(&xs);
				return rc;
			}
			for (size_t j = 0; j < xs.n; j++)
				uvq_push(q, to, 1, xs.v[j]);
			pcb_strv_free(&xs);
		}
	}
	return 0;
}

static int
uv_walk(struct lctx *c, struct uv *u, const struct pcb_lock_select *sel)
{
	struct uvqueue q = { NULL, 0, 0 };
	int rc = 0;

	/* The roots, with the extras and groups asked for; each must exist on some root. */
	for (size_t i = 0; i < u->n; i++)
		if (u->p[i].root)
			uvq_push(&q, i, 0, "");
	for (int kind = 1; kind <= 2; kind++) {
		const struct pcb_strv *asked = sel == NULL ? NULL : kind == 1 ? sel->extras :
		    sel->groups;
		const char *table = kind == 1 ? "optional-dependencies" : "dev-dependencies";
		for (size_t j = 0; asked != NULL && j < asked->n; j++) {
			char *x = pcb_pyname_normalize(asked->v[j]);
			bool found = false;
			for (size_t i = 0; i < u->n; i++) {
				if (u->p[i].root && pcb_pyname_member(jget(u->p[i].o, table), x, NULL)) {
					uvq_push(&q, i, kind, x);
					found = true;
				}
			}
			if (!found) {
				rc = lfail(c, NULL, "the project has no %s '%s'",
				    kind == 1 ? "extra" : "dependency group", x);
				free(x);
				goto out;
			}
			free(x);
		}
	}
	for (size_t qi = 0; qi < q.n; qi++) {
		struct uvwork *w = &q.v[qi];
		struct uvpkg *p = &u->p[w->pkg];
		struct pcb_toml_kpath at = uv_at(w->pkg);
		json_object *list;

		p->reached = true;
		if (w->kind == 0) {
			if (p->base_done)
				continue;
			p->base_done = true;
			pcb_toml_kpath_key(&at, "dependencies");
			list = jget(p->o, "dependencies");
		} else {
			struct pcb_strv *done = w->kind == 1 ? &p->extras_done : &p->groups_done;
			const char *table = w->kind == 1 ? "optional-dependencies" : "dev-dependencies";
			const char *key = NULL;
			if (pcb_strv_contains(done, w->what))
				continue;
			pcb_strv_push(done, w->what);
			/* An extra the package does not have is ignored, as installers do. */
			list = pcb_pyname_member(jget(p->o, table), w->what, &key);
			if (list == NULL)
				continue;
			pcb_toml_kpath_key(&at, table);
			pcb_toml_kpath_key(&at, key);
		}
		if ((rc = uv_edges(c, u, w->pkg, list, &at, &q)) != 0)
			goto out;
	}
out:
	for (size_t i = 0; i < q.n; i++)
		free(q.v[i].what);
	free(q.v);
	return rc;
}

/* The wheels of a reached package, or a failure entry saying why there are none. */
static int
uv_package_wheels(struct lctx *c, struct uvpkg *p, size_t idx)
{
	struct pcb_toml_kpath at = uv_at(idx);
	const char *ver = p->version != NULL ? p->version : "";
	json_object *wheels = jget(p->o, "wheels");
	const char *registry = NULL, *srcurl = NULL, *srcpath = NULL, *other = NULL;
	char *base = NULL;
	struct wcand *cands = NULL;
	size_t ncand = 0;
	int rc = 0;

	if (p->source != NULL) {
		static const char *const others[] = { "virtual", "editable", "directory", "git" };
		json_object *r = jget(p->source, "registry");
		if (r != NULL && json_object_is_type(r, json_type_string))
			registry = json_object_get_string(r);
		if ((r = jget(p->source, "url")) != NULL && json_object_is_type(r, json_type_string))
			srcurl = json_object_get_string(r);
		if ((r = jget(p->source, "path")) != NULL && json_object_is_type(r, json_type_string))
			srcpath = json_object_get_string(r);
		for (size_t i = 0; i < PCB_ARRAY_LEN(others); i++)
			if (jget(p->source, others[i]) != NULL)
				other = others[i];
	}
	if (other != NULL && strcmp(other, "virtual") == 0)
		goto out;   /* nothing to install: a workspace member without a build */
	if (other != NULL) {
		json_object *o = jget(p->source, other);
		fail_add(c, p->name, ver, "a %s source (%s) in the lock, not a wheel; build a wheel "
		    "or lock with wheels", other, json_object_is_type(o, json_type_string) ?
		    json_object_get_string(o) : "?");
		goto out;
	}
	if (srcpath != NULL && !pcb_str_has_suffix(srcpath, ".whl") && wheels == NULL) {
		fail_add(c, p->name, ver, "a path source (%s) in the lock, not a wheel; build a "
		    "wheel or lock with wheels", srcpath);
		goto out;
	}
	/* Registry wheels given by path are relative to a registry that is a local folder. */
	base = registry != NULL && !is_http(registry) && strstr(registry, "://") == NULL ?
	    resolve_path(c->dir, registry) : pcb_xstrdup(c->dir);
	if (wheels != NULL) {
		struct pcb_toml_kpath kw = at;
		pcb_toml_kpath_key(&kw, "wheels");
		if (!json_object_is_type(wheels, json_type_array)) {
			rc = lfail(c, &kw, "'wheels' must be an array of tables");
			goto out;
		}
		ncand = json_object_array_length(wheels);
		cands = pcb_xcalloc(ncand, sizeof *cands);
		for (size_t j = 0; j < ncand; j++) {
			json_object *e = json_object_array_get_idx(wheels, j);
			struct pcb_toml_kpath kj = kw;
			const char *url, *path, *fname, *hash;
			struct wcand *w = &cands[j];

			pcb_toml_kpath_idx(&kj, j);
			w->at = kj;
			if (!json_object_is_type(e, json_type_object)) {
				rc = lfail(c, &kj, "a wheel entry must be a table");
				goto out;
			}
			if ((rc = opt_str(c, e, "url", &kj, &url)) != 0 ||
			    (rc = opt_str(c, e, "path", &kj, &path)) != 0 ||
			    (rc = opt_str(c, e, "filename", &kj, &fname)) != 0 ||
			    (rc = opt_str(c, e, "hash", &kj, &hash)) != 0 ||
			    (rc = opt_size(c, e, &kj, &w->size)) != 0)
				goto out;
			if (hash == NULL) {
				rc = lfail(c, &kj, "%s %s: a wheel without 'hash' (a sha256 is required)",
				    p->name, ver);
				goto out;
			}
			if (!pcb_str_has_prefix(hash, "sha256:") || !is_hex64(hash + 7)) {
				rc = lfail(c, &kj, "%s %s: hash '%s' is not sha256:<64 hex digits>",
				    p->name, ver, hash);
				goto out;
			}
			lower_copy(w->sha256, hash + 7);
			/* A wheel with only a file name is the file the source points at. */
			if (url == NULL && path == NULL) {
				if (srcurl != NULL)
					url = srcurl;
				else if (srcpath != NULL) {
					w->path = resolve_path(c->dir, srcpath);
				} else {
					rc = lfail(c, &kj, "%s %s: a wheel with neither 'url' nor 'path'",
					    p->name, ver);
					goto out;
				}
			}
			if (w->path == NULL &&
			    (rc = file_location(c, &kj, base, url, path, &w->url, &w->path)) != 0)
				goto out;
			w->filename = fname != NULL ? pcb_xstrdup(fname) :
			    last_segment(w->url != NULL ? w->url : w->path);
		}
	}
	if (ncand == 0) {
		const char *what = jget(p->o, "sdist") != NULL ? "sdist only" : "no files at all";
		fail_add(c, p->name, ver, "no wheel in the lock (%s); build a wheel or lock with "
		    "wheels", what);
		goto out;
	}
	rc = pick_wheel(c, p->name, p->version, cands, ncand);
out:
	wcands_free(cands, ncand);
	free(base);
	return rc;
}

static int
uv_load(struct lctx *c, const struct pcb_lock_select *sel)
{
	struct uv u = { NULL, 0 };
	struct pcb_toml_kpath top = { .n = 0 };
	json_object *ver = jget(c->doc, "version"), *pkgs, *manifest, *members;
	const char *rp;
	struct pcb_strv memb;
	bool have_members = false;
	int rc;

	pcb_strv_init(&memb);
	if (ver == NULL || !json_object_is_type(ver, json_type_int)) {
		rc = lfail(c, NULL, "no integer 'version' (is this a uv.lock file?)");
		goto out;
	}
	if (json_object_get_int64(ver) != 1) {
		struct pcb_toml_kpath kp = { .n = 0 };
		pcb_toml_kpath_key(&kp, "version");
		rc = lfail(c, &kp, "uv.lock version %lld is not supported (this reads version 1)",
		    (long long)json_object_get_int64(ver));
		goto out;
	}
	if ((rc = opt_str(c, c->doc, "requires-python", &top, &rp)) != 0)
		goto out;
	if (rp != NULL && (rc = check_requires_python(c, &top, rp, "the lock")) != 0)
		goto out;
	/* Extras and groups are chosen through the tables here, not through markers. */
	manifest = jget(c->doc, "manifest");
	members = jget(manifest, "members");
	if (members != NULL) {
		struct pcb_toml_kpath km = { .n = 0 };
		pcb_toml_kpath_key(&km, "manifest");
		if ((rc = opt_names(c, manifest, "members", &km, &memb, &have_members)) != 0)
			goto out;
		have_members = memb.n > 0;
	}
	pkgs = jget(c->doc, "package");
	if (pkgs == NULL || !json_object_is_type(pkgs, json_type_array)) {
		rc = lfail(c, NULL, "no [[package]] array");
		goto out;
	}
	u.n = json_object_array_length(pkgs);
	if (u.n > MAX_PACKAGES) {
		u.n = 0;
		rc = lfail(c, NULL, "more than %d packages", MAX_PACKAGES);
		goto out;
	}
	u.p = pcb_xcalloc(u.n, sizeof *u.p);
	for (size_t i = 0; i < u.n; i++) {
		struct uvpkg *p = &u.p[i];
		struct pcb_toml_kpath at = uv_at(i);
		const char *rawname;

		pcb_strv_init(&p->extras_done);
		pcb_strv_init(&p->groups_done);
		p->o = json_object_array_get_idx(pkgs, i);
		if (!json_object_is_type(p->o, json_type_object)) {
			rc = lfail(c, &at, "each [[package]] entry must be a table");
			goto out;
		}
		if ((rc = opt_str(c, p->o, "name", &at, &rawname)) != 0 ||
		    (rc = opt_str(c, p->o, "version", &at, &p->version)) != 0)
			goto out;
		if (rawname == NULL) {
			rc = lfail(c, &at, "a package without 'name'");
			goto out;
		}
		p->name = pcb_pyname_normalize(rawname);
		p->source = jget(p->o, "source");
		if (p->source != NULL && !json_object_is_type(p->source, json_type_object)) {
			struct pcb_toml_kpath ks = at;
			pcb_toml_kpath_key(&ks, "source");
			rc = lfail(c, &ks, "'source' must be a table");
			goto out;
		}
		p->root = have_members ? pcb_strv_contains(&memb, p->name) :
		    source_is_local_root(p->source);
	}
	{
		bool any = false;
		for (size_t i = 0; i < u.n; i++)
			any = any || u.p[i].root;
		if (!any) {
			rc = lfail(c, NULL, "no root project (a package with source virtual or editable "
			    "\".\", or [manifest] members)");
			goto out;
		}
	}
	if ((rc = uv_walk(c, &u, sel)) != 0)
		goto out;
	for (size_t i = 0; i < u.n; i++) {
		if (u.p[i].root)
			continue;
		if (!u.p[i].reached) {
			c->skipped++;
			continue;
		}
		if ((rc = uv_package_wheels(c, &u.p[i], i)) != 0)
			goto out;
	}
out:
	uv_free(&u);
	pcb_strv_free(&memb);
	return rc;
}

/* ---- entry point ---------------------------------------------------------------------------- */

static int
lock_kind(const char *path, enum pcb_lock_kind *kind)
{
	const char *base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (strcmp(base, "uv.lock") == 0) {
		*kind = PCB_LOCK_UV;
		return 0;
	}
	if (strcmp(base, "pylock.toml") == 0 ||
	    (strlen(base) > 12 && pcb_str_has_prefix(base, "pylock.") &&
	    pcb_str_has_suffix(base, ".toml") && memchr(base + 7, '.', strlen(base) - 12) == NULL)) {
		*kind = PCB_LOCK_PYLOCK;
		return 0;
	}
	return -1;
}

/* The absolute folder holding the lock file. Caller frees. */
static char *
lock_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d = slash == NULL ? pcb_xstrdup(".") : slash == path ? pcb_xstrdup("/") :
	    pcb_xstrndup(path, (size_t)(slash - path));
	char *abs = realpath(d, NULL);
	if (abs != NULL) {
		free(d);
		return abs;
	}
	if (d[0] != '/') {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd) != NULL) {
			char *j = pcb_path_join(cwd, d);
			free(d);
			return j;
		}
	}
	return d;
}

int
pcb_lock_load(const char *path, const struct pcb_pytarget *t,
    const struct pcb_lock_select *sel, struct pcb_lock *out, struct pcb_err *err)
{
	struct lctx c;
	enum pcb_lock_kind kind = PCB_LOCK_PYLOCK;
	int rc;

	memset(&c, 0, sizeof c);
	c.path = path;
	c.t = t;
	c.err = err;
	pcb_buf_init(&c.fails, FAILS_MAX);
	pcb_marker_env_init(&c.env, t);
	pcb_pytarget_describe(t, c.tdesc);
	if (lock_kind(path, &kind) != 0) {
		/* The names deps.c accepts: the last three go to toollock.h. */
		rc = pcb_err_set(err, PCB_EINVAL, "%s: not a lock file name (pylock.toml, "
		    "pylock.<name>.toml, uv.lock, poetry.lock, pdm.lock or Pipfile.lock)", path);
		goto out;
	}
	if ((rc = pcb_toml_parse_file_locs(path, &c.doc, &c.locs, err)) != 0)
		goto out;
	if (!json_object_is_type(c.doc, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: not a TOML table", path);
		goto out;
	}
	c.dir = lock_dir(path);
	rc = kind == PCB_LOCK_UV ? uv_load(&c, sel) : pylock_load(&c, sel);
	if (rc != 0)
		goto out;
	if (c.nfail > 0) {
		if (c.nfail_dropped > 0)
			rc = pcb_err_set(err, PCB_EINVAL, "%s: %s; and %zu more; the image is %s", path,
			    c.fails.data, c.nfail_dropped, c.tdesc);
		else
			rc = pcb_err_set(err, PCB_EINVAL, "%s: %s; the image is %s", path, c.fails.data,
			    c.tdesc);
		goto out;
	}
	qsort(c.v, c.n, sizeof *c.v, cmp_wheel);
out:
	if (rc == 0) {
		memset(out, 0, sizeof *out);
		out->kind = kind;
		out->v = c.v;
		out->n = c.n;
		out->skipped = c.skipped;
	} else {
		struct pcb_lock tmp = { kind, c.v, c.n, 0 };
		pcb_lock_free(&tmp);
	}
	if (c.doc != NULL)
		json_object_put(c.doc);
	if (c.locs != NULL)
		pcb_toml_locs_destroy(c.locs);
	pcb_marker_env_free(&c.env);
	pcb_buf_free(&c.fails);
	free(c.dir);
	return rc;
}
