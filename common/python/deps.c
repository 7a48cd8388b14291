/* deps.c — the dependency layers (see deps.h): source choice, wheels into the store, the
 * platform guard, and the /opt/venv layers with their cache.
 *
 * Wheels are blobs in the store like any layer (digest = the wheel's sha256), so a wheel
 * fetched once is never fetched again, and a lock file's hash is checked by the store's own
 * verification. A dependency layer is cached under a key that digests every input that
 * changes its bytes (the wheel hashes, the target, the interpreter and venv paths, mtime,
 * gzip level, this code's layout version): a hit packs nothing and, for a lock file, does not
 * even need the wheel. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/jsonx.h"
#include "image/events.h"
#include "image/lcache.h"
#include "image/rcache.h"
#include "python/deps.h"
#include "python/lockfile.h"
#include "python/pep508.h"
#include "python/poetry.h"
#include "python/toml.h"
#include "python/toollock.h"

extern char **environ;

/* Runs `call` with the rights of `as` (the caller whose files these are), then back. */
#define AS(as, call) __extension__({ struct pcb_cred_saved sv_; int r_ = \
	pcb_cred_enter((as), &sv_, err); if (r_ == 0) { r_ = (call); pcb_cred_leave(&sv_); } r_; })

#define DEPS_LAYOUT_VERSION "pcb-deps-layer 1"
#define DEPS_MAX_STR 4096
#define DEPS_MAX_LIST 256
#define WHEEL_MAX_BYTES ((uint64_t)2 << 30)   /* one wheel file: 2 GiB */
#define LARGE_WHEEL ((uint64_t)1 << 20)       /* own layer from 1 MiB of wheel */
#define MAX_SINGLE_LAYERS 16
#define SMALL_GROUPS 4
#define MT_WHEEL "application/vnd.pypa.wheel+zip"

/* ---- spec ---------------------------------------------------------------------------- */

void
pcb_deps_spec_init(struct pcb_deps_spec *s)
{
	memset(s, 0, sizeof *s);
	pcb_strv_init(&s->requirements);
	pcb_strv_init(&s->extra_index_urls);
	pcb_strv_init(&s->find_links);
	pcb_strv_init(&s->extras);
	pcb_strv_init(&s->groups);
}

void
pcb_deps_spec_free(struct pcb_deps_spec *s)
{
	free(s->source);
	free(s->lock_file);
	free(s->venv);
	free(s->index_url);
	pcb_strv_free(&s->requirements);
	pcb_strv_free(&s->extra_index_urls);
	pcb_strv_free(&s->find_links);
	pcb_strv_free(&s->extras);
	pcb_strv_free(&s->groups);
	memset(s, 0, sizeof *s);
}

static int
spec_str(json_object *v, const char *field, char **out, struct pcb_err *err)
{
	char name[96];

	snprintf(name, sizeof name, "dependencies.%s", field);
	free(*out);
	*out = NULL;
	return pcb_json_get_string(v, name, DEPS_MAX_STR, false, out, err);
}

static int
spec_bool(json_object *v, const char *field, bool *out, struct pcb_err *err)
{
	if (!json_object_is_type(v, json_type_boolean))
		return pcb_err_set(err, PCB_EINVAL, "dependencies.%s: expected a boolean, got %s",
		    field, pcb_json_type_name(v));
	*out = json_object_get_boolean(v);
	return 0;
}

static int
spec_list(json_object *v, const char *field, struct pcb_strv *out, struct pcb_err *err)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return pcb_err_set(err, PCB_EINVAL, "dependencies.%s: expected an array of strings, "
		    "got %s", field, pcb_json_type_name(v));
	n = json_object_array_length(v);
	if (n > DEPS_MAX_LIST)
		return pcb_err_set(err, PCB_EINVAL, "dependencies.%s: more than %d items", field,
		    DEPS_MAX_LIST);
	for (size_t i = 0; i < n; i++) {
		char name[96], *s = NULL;
		int rc;
		snprintf(name, sizeof name, "dependencies.%s[%zu]", field, i);
		if ((rc = pcb_json_get_string(json_object_array_get_idx(v, i), name, DEPS_MAX_STR,
		    false, &s, err)) != 0)
			return rc;
		pcb_strv_push_owned(out, s);
	}
	return 0;
}

static bool
url_ok(const char *u)
{
	return pcb_str_has_prefix(u, "http://") || pcb_str_has_prefix(u, "https://") ||
	    pcb_str_has_prefix(u, "file://");
}

int
pcb_deps_spec_from_json(json_object *j, struct pcb_deps_spec *s, struct pcb_err *err)
{
	static const char *const sources[] = { "auto", "lock", "requirements", "project", "venv",
	    "none", NULL };
	int rc = 0;

	if (!json_object_is_type(j, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "dependencies: expected an object, got %s",
		    pcb_json_type_name(j));
	json_object_object_foreach(j, key, v) {
		if (strcmp(key, "source") == 0) {
			bool ok = false;
			if ((rc = spec_str(v, key, &s->source, err)) != 0)
				return rc;
			for (size_t i = 0; sources[i] != NULL; i++)
				ok = ok || strcmp(sources[i], s->source) == 0;
			if (!ok)
				return pcb_err_set(err, PCB_EINVAL, "dependencies.source: '%.40s' is not "
				    "one of auto, lock, requirements, project, venv, none", s->source);
		} else if (strcmp(key, "lock_file") == 0) {
			rc = spec_str(v, key, &s->lock_file, err);
		} else if (strcmp(key, "venv") == 0) {
			rc = spec_str(v, key, &s->venv, err);
		} else if (strcmp(key, "index_url") == 0) {
			if ((rc = spec_str(v, key, &s->index_url, err)) == 0 && !url_ok(s->index_url))
				rc = pcb_err_set(err, PCB_EINVAL, "dependencies.index_url: not an http(s) "
				    "URL");
		} else if (strcmp(key, "requirements") == 0) {
			rc = spec_list(v, key, &s->requirements, err);
		} else if (strcmp(key, "extra_index_urls") == 0) {
			rc = spec_list(v, key, &s->extra_index_urls, err);
			for (size_t i = 0; rc == 0 && i < s->extra_index_urls.n; i++)
				if (!url_ok(s->extra_index_urls.v[i]))
					rc = pcb_err_set(err, PCB_EINVAL, "dependencies.extra_index_urls[%zu]: "
					    "not an http(s) URL", i);
		} else if (strcmp(key, "find_links") == 0) {
			rc = spec_list(v, key, &s->find_links, err);
		} else if (strcmp(key, "extras") == 0) {
			rc = spec_list(v, key, &s->extras, err);
		} else if (strcmp(key, "groups") == 0) {
			rc = spec_list(v, key, &s->groups, err);
		} else if (strcmp(key, "compile") == 0) {
			bool compile = true;
			rc = spec_bool(v, key, &compile, err);
			s->no_compile = !compile;
		} else if (strcmp(key, "refresh") == 0) {
			rc = spec_bool(v, key, &s->refresh, err);
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "dependencies: unknown field '%.100s'", key);
		}
		if (rc != 0)
			return rc;
	}
	if (s->venv != NULL && s->source != NULL && strcmp(s->source, "venv") != 0)
		return pcb_err_set(err, PCB_EINVAL, "dependencies.venv is set but dependencies.source "
		    "is '%s'", s->source);
	if (s->venv != NULL && s->venv[0] != '/')
		return pcb_err_set(err, PCB_EINVAL, "dependencies.venv: '%s' is not an absolute path",
		    s->venv);
	if (s->source != NULL && strcmp(s->source, "venv") == 0 && s->venv == NULL)
		return pcb_err_set(err, PCB_EINVAL, "dependencies.source is 'venv' but no "
		    "dependencies.venv path is given");
	return 0;
}

static json_object *
strv_json(const struct pcb_strv *sv)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

json_object *
pcb_deps_spec_to_json(const struct pcb_deps_spec *s)
{
	json_object *j = json_object_new_object();

	if (s->source != NULL)
		json_object_object_add(j, "source", json_object_new_string(s->source));
	if (s->lock_file != NULL)
		json_object_object_add(j, "lock_file", json_object_new_string(s->lock_file));
	if (s->requirements.n > 0)
		json_object_object_add(j, "requirements", strv_json(&s->requirements));
	if (s->venv != NULL)
		json_object_object_add(j, "venv", json_object_new_string(s->venv));
	if (s->index_url != NULL)
		json_object_object_add(j, "index_url", json_object_new_string(s->index_url));
	if (s->extra_index_urls.n > 0)
		json_object_object_add(j, "extra_index_urls", strv_json(&s->extra_index_urls));
	if (s->find_links.n > 0)
		json_object_object_add(j, "find_links", strv_json(&s->find_links));
	if (s->extras.n > 0)
		json_object_object_add(j, "extras", strv_json(&s->extras));
	if (s->groups.n > 0)
		json_object_object_add(j, "groups", strv_json(&s->groups));
	if (s->refresh)
		json_object_object_add(j, "refresh", json_object_new_boolean(true));
	if (s->no_compile)
		json_object_object_add(j, "compile", json_object_new_boolean(false));
	if (json_object_object_length(j) == 0) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* ---- helpers ------------------------------------------------------------------------- */

void
pcb_deps_result_free(struct pcb_deps_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		pcb_strv_free(&r->v[i].contents);
	}
	free(r->v);
	json_object_put(r->info);
	memset(r, 0, sizeof *r);
}

static bool
cancelled(const struct pcb_build_ctx *ctx)
{
	return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
}

static void
log_at(const struct pcb_build_ctx *ctx, const char *level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void
log_at(const struct pcb_build_ctx *ctx, const char *level, const char *fmt, va_list ap)
{
	struct pcb_event ev = { .type = PCB_EVENT_LOG, .level = level };
	char *msg;

	if (ctx->emit == NULL)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	ev.message = msg;
	ctx->emit(ctx->emit_ud, &ev);
	free(msg);
}

static void
log_info(const struct pcb_build_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
log_info(const struct pcb_build_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(ctx, "info", fmt, ap);
	va_end(ap);
}

static void
log_warn(const struct pcb_build_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
log_warn(const struct pcb_build_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(ctx, "warn", fmt, ap);
	va_end(ap);
}

static bool
file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path from the spec: absolute as is, else under the context. */
static char *
ctx_path(const struct pcb_project *proj, const char *p)
{
	return p[0] == '/' ? pcb_xstrdup(p) : pcb_path_join(proj->context, p);
}

/* One wheel to install. */
struct wheel {
	char *name;          /* normalised */
	char *version;
	char *filename;
	char sha256[65];
	uint64_t size;       /* wheel file bytes (0 = not known yet) */
	char *url;           /* where to get it when the store lacks it (lock), or NULL */
	char *path;          /* local file (lock path), or NULL */
	char *layer;         /* the layer it went into (borrowed name) */
	/* What its METADATA says of its licence (dist_meta_read), for the SBOM: read when it is
	 * installed, else from its layer's cache entry. Owned; NULL when unknown. */
	json_object *meta;
};

struct wheels {
	struct wheel *v;
	size_t n, cap;
	/* The list is a registry cache's resolution: its wheels need not be in the store. */
	bool remote;
	/* Such a list would need wheels this store lacks: resolve asks pip instead. */
	bool need_pip;
};

static void
wheels_free(struct wheels *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].name);
		free(w->v[i].version);
		free(w->v[i].filename);
		free(w->v[i].url);
		free(w->v[i].path);
		json_object_put(w->v[i].meta);
	}
	free(w->v);
	memset(w, 0, sizeof *w);
}

static struct wheel *
wheels_add(struct wheels *w)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->v = pcb_xrealloc(w->v, w->cap * sizeof *w->v);
	}
	memset(&w->v[w->n], 0, sizeof w->v[0]);
	return &w->v[w->n++];
}

static int
wheel_cmp(const void *a, const void *b)
{
	const struct wheel *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* Streams a local file into the store, verified against expect ("sha256:…", or NULL). */
static int
store_file(struct pcb_store *st, const char *path, const char *expect, char digest[PCB_DIGEST_BUFSZ],
    uint64_t *size_out, struct pcb_err *err)
{
	struct pcb_blob_writer *w = NULL;
	char buf[1 << 16];
	uint64_t total = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pcb_err_errno(err, errno, "opening %s", path);
	if ((rc = pcb_store_writer_create(st, &w, err)) != 0)
		goto out;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		total += (uint64_t)n;
		if (total > WHEEL_MAX_BYTES) {
			rc = pcb_err_set(err, PCB_ETOOBIG, "%s: over %llu bytes", path,
			    (unsigned long long)WHEEL_MAX_BYTES);
			goto out;
		}
		if ((rc = pcb_blob_writer_write(w, buf, (size_t)n, err)) != 0)
			goto out;
	}
	if (n < 0) {
		rc = pcb_err_errno(err, errno, "reading %s", path);
		goto out;
	}
	rc = pcb_blob_writer_commit(w, MT_WHEEL, expect, digest, NULL, err);
	w = NULL;
	if (rc != 0 && expect != NULL)
		pcb_err_prefix(err, "%s (the lock file states %s)", path, expect);
	if (size_out != NULL)
		*size_out = total;
out:
	if (w != NULL)
		pcb_blob_writer_abort(w);
	close(fd);
	return rc;
}

struct dl {
	struct pcb_blob_writer *w;
	uint64_t total;
	int rc;
	struct pcb_err *err;
	const struct pcb_build_ctx *ctx;
};

static size_t
dl_write(char *p, size_t size, size_t n, void *ud)
{
	struct dl *d = ud;

	d->total += size * n;
	if (d->total > WHEEL_MAX_BYTES) {
		d->rc = pcb_err_set(d->err, PCB_ETOOBIG, "over %llu bytes",
		    (unsigned long long)WHEEL_MAX_BYTES);
		return 0;
	}
	if ((d->rc = pcb_blob_writer_write(d->w, p, size * n, d->err)) != 0)
		return 0;
	return size * n;
}

static int
dl_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct dl *d = ud;
	(void)dt; (void)dn; (void)ut; (void)un;
	return cancelled(d->ctx) ? 1 : 0;
}

/* GETs url into the store, verified against expect. Three attempts on connection errors
 * and 5xx; the hash is the integrity check, so plain HTTP is accepted. */
static int
store_url(const struct pcb_build_ctx *ctx, const char *url, const char *expect,
    char digest[PCB_DIGEST_BUFSZ], uint64_t *size_out, struct pcb_err *err)
{
	int rc = 0;

	for (int attempt = 1; attempt <= 3; attempt++) {
		struct dl d = { .ctx = ctx, .err = err };
		CURL *c = curl_easy_init();
		char ebuf[CURL_ERROR_SIZE] = "";
		long status = 0;
		CURLcode cc;

		if (c == NULL)
			return pcb_err_set(err, PCB_EINTERNAL, "curl_easy_init failed");
		if ((rc = pcb_store_writer_create(ctx->store, &d.w, err)) != 0) {
			curl_easy_cleanup(c);
			return rc;
		}
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, dl_write);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, dl_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
		curl_easy_setopt(c, CURLOPT_USERAGENT, "pycontainerd/" PCB_VERSION);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		if (cc == CURLE_OK && status == 200) {
			rc = pcb_blob_writer_commit(d.w, MT_WHEEL, expect, digest, NULL, err);
			if (rc != 0)
				pcb_err_prefix(err, "%s", url);
			if (size_out != NULL)
				*size_out = d.total;
			return rc;
		}
		pcb_blob_writer_abort(d.w);
		if (cancelled(ctx))
			return pcb_err_set(err, PCB_ECANCELED, "build cancelled");
		if (d.rc != 0) {
			pcb_err_prefix(err, "downloading %s", url);
			return d.rc;
		}
		if (cc == CURLE_OK && status < 500 && status != 429)
			return pcb_err_set(err, status == 404 ? PCB_ENOENT : PCB_EIO,
			    "downloading %s: HTTP %ld", url, status);
		if (attempt == 3)
			return pcb_err_set(err, PCB_EIO, "downloading %s: %s", url, cc != CURLE_OK ?
			    (ebuf[0] ? ebuf : curl_easy_strerror(cc)) : "server error");
	}
	return rc;
}

/* The wheel's bytes in the store (fetched from its url or path when missing); *path_out is
 * the blob's path. */
static int
wheel_ensure(const struct pcb_build_ctx *ctx, struct wheel *w, char **path_out,
    struct pcb_err *err)
{
	char expect[PCB_DIGEST_BUFSZ], got[PCB_DIGEST_BUFSZ];
	uint64_t size = 0;
	int rc;

	snprintf(expect, sizeof expect, "sha256:%s", w->sha256);
	rc = pcb_store_stat(ctx->store, expect, &size, NULL, NULL);
	if (rc != 0) {
		if (w->path != NULL)
			rc = store_file(ctx->store, w->path, expect, got, &size, err);
		else if (w->url != NULL) {
			log_info(ctx, "fetching %s", w->url);
			rc = store_url(ctx, w->url, expect, got, &size, err);
		} else
			rc = pcb_err_set(err, PCB_ENOENT, "wheel %s is not in the store", w->filename);
		if (rc != 0) {
			pcb_err_prefix(err, "%s %s", w->name, w->version);
			return rc;
		}
	}
	w->size = size;
	*path_out = pcb_store_blob_path(ctx->store, expect);
	return 0;
}

/* ---- sources ------------------------------------------------------------------------- */

enum src { SRC_NONE, SRC_LOCK, SRC_REQ, SRC_PROJECT, SRC_VENV };

static const char *
src_name(enum src s)
{
	static const char *const names[] = { "none", "lock", "requirements", "project", "venv" };
	return names[s];
}

/* The lock files of other tools, in the order they are taken when several are there. */
static const char *const tool_locks[] = { "poetry.lock", "pdm.lock", "Pipfile.lock" };

/* pylock.toml, else one pylock.<name>.toml, else uv.lock, else poetry.lock, pdm.lock,
 * Pipfile.lock, in the context. */
static char *
find_lock(const char *context)
{
	char *p = pcb_path_join(context, "pylock.toml");
	DIR *d;
	struct dirent *de;
	char *found = NULL;

	if (file_exists(p))
		return p;
	free(p);
	if ((d = opendir(context)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (pcb_str_has_prefix(de->d_name, "pylock.") &&
			    pcb_str_has_suffix(de->d_name, ".toml") && strlen(de->d_name) > 12 &&
			    (found == NULL || strcmp(de->d_name, strrchr(found, '/') + 1) < 0)) {
				free(found);
				found = pcb_path_join(context, de->d_name);
			}
		}
		closedir(d);
	}
	if (found != NULL)
		return found;
	p = pcb_path_join(context, "uv.lock");
	if (file_exists(p))
		return p;
	free(p);
	for (size_t i = 0; i < PCB_ARRAY_LEN(tool_locks); i++) {
		p = pcb_path_join(context, tool_locks[i]);
		if (file_exists(p))
			return p;
		free(p);
	}
	return NULL;
}

/* [project].dependencies (+ optional-dependencies of the extras asked) as requirement
 * lines, or PCB_ENOENT when the project declares none. */
static int
pep621_requirements(const struct pcb_project *proj, const struct pcb_deps_spec *ds,
    struct pcb_strv *lines, struct pcb_err *err)
{
	json_object *project, *deps, *opt;

	if (proj->pyproject == NULL ||
	    !json_object_object_get_ex(proj->pyproject, "project", &project) ||
	    !json_object_object_get_ex(project, "dependencies", &deps) ||
	    !json_object_is_type(deps, json_type_array))
		return PCB_ENOENT;
	for (size_t i = 0; i < json_object_array_length(deps); i++) {
		json_object *d = json_object_array_get_idx(deps, i);
		if (!json_object_is_type(d, json_type_string))
			return pcb_err_set(err, PCB_EINVAL, "pyproject.toml: [project].dependencies[%zu] "
			    "is not a string", i);
		pcb_strv_push(lines, json_object_get_string(d));
	}
	for (size_t e = 0; e < ds->extras.n; e++) {
		json_object *list = NULL;
		if (!json_object_object_get_ex(project, "optional-dependencies", &opt) ||
		    !json_object_object_get_ex(opt, ds->extras.v[e], &list) ||
		    !json_object_is_type(list, json_type_array))
			return pcb_err_set(err, PCB_EINVAL, "extra '%s' is not in pyproject.toml "
			    "[project.optional-dependencies]", ds->extras.v[e]);
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if (json_object_is_type(json_object_array_get_idx(list, i), json_type_string))
				pcb_strv_push(lines,
				    json_object_get_string(json_object_array_get_idx(list, i)));
	}
	return lines->n > 0 ? 0 : PCB_ENOENT;
}

/* The requirement lines the project's own metadata declares, the first of: [project]
 * (PEP 621), [tool.poetry.dependencies] (+ the groups and extras asked), setup.cfg
 * [options].install_requires. *from_out names it. PCB_ENOENT when none declares any. */
static int
project_requirements(const struct pcb_project *proj, const struct pcb_deps_spec *ds,
    struct pcb_strv *lines, const char **from_out, struct pcb_err *err)
{
	int rc;

	*from_out = "pyproject.toml [project].dependencies";
	if ((rc = pep621_requirements(proj, ds, lines, err)) != PCB_ENOENT)
		return rc;
	*from_out = "pyproject.toml [tool.poetry.dependencies]";
	if (proj->pyproject != NULL && (rc = pcb_poetry_requirements(proj->pyproject,
	    proj->context, &ds->extras, &ds->groups, lines, err)) != PCB_ENOENT)
		return rc;
	*from_out = proj->setup_requires_from != NULL ? proj->setup_requires_from :
	    "setup.cfg [options].install_requires";
	for (size_t i = 0; i < proj->setup_requires.n; i++)
		pcb_strv_push(lines, proj->setup_requires.v[i]);
	return lines->n > 0 ? 0 : PCB_ENOENT;
}

/* A project that declares dependencies never gets an image without them: when the automatic
 * choice found nothing to install but discovery saw declared dependencies (a requirements file
 * other than requirements.txt, say), the build stops and says what to pass. An explicit
 * "none" (--no-deps) is the user's word. */
static int
check_none_declared(const struct pcb_deps_spec *ds, const struct pcb_project *proj,
    struct pcb_err *err)
{
	struct pcb_buf names;
	int rc;

	if (ds->source != NULL && strcmp(ds->source, "auto") != 0)
		return 0;
	if (proj->dependencies.n == 0 && proj->setup_py_dynamic_requires > 0)
		return pcb_err_set(err, PCB_EINVAL, "setup.py line %d passes install_requires a value "
		    "computed when setup.py runs, which is not run here, and the context has no lock "
		    "file or requirements.txt: pass --requirements FILE (or --lock FILE), or --no-deps "
		    "to build without dependencies", proj->setup_py_dynamic_requires);
	if (proj->dependencies.n == 0)
		return 0;
	pcb_buf_init(&names, 4096);
	for (size_t i = 0; i < proj->dependencies.n && i < 8; i++)
		pcb_buf_appendf(&names, "%s%s", i > 0 ? ", " : "", proj->dependencies.v[i]);
	if (proj->dependencies.n > 8)
		pcb_buf_appendf(&names, ", … (%zu in all)", proj->dependencies.n);
	rc = pcb_err_set(err, PCB_EINVAL, "the project declares dependencies (%s, in %s) but none "
	    "of the sources installed by default has them (a lock file, requirements.txt, "
	    "[project].dependencies, [tool.poetry.dependencies], setup.cfg install_requires): "
	    "pass --requirements FILE, or --no-deps to build without them", names.data,
	    proj->dependencies_source != NULL ? proj->dependencies_source : "the project");
	pcb_buf_free(&names);
	return rc;
}

/* Runs argv, stdout+stderr into log_path; polls for cancellation. Returns the exit status,
 * or a negative PCB_E*. */
static int
run_logged(const struct pcb_build_ctx *ctx, char *const argv[], const char *log_path,
    const struct pcb_cred *as, struct pcb_err *err)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;
	long wait_ns = 1000 * 1000;

	if (!pcb_cred_is_self(as)) {
		/* For another user the child becomes that user before exec: pip then reads only
		 * what they may (a requirement file, what it includes with -r, a --find-links
		 * folder), and its errors can quote nothing they could not read themselves. */
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (in < 0 || logfd < 0) {
			rc = pcb_err_errno(err, errno, "opening %s", logfd < 0 ? log_path : "/dev/null");
			if (in >= 0)
				close(in);
			if (logfd >= 0)
				close(logfd);
			return rc;
		}
		pid = fork();
		if (pid == 0) {
			if (dup2(in, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 ||
			    pcb_cred_become(as) != 0)
				_exit(126);
			execvp(argv[0], argv);
			_exit(127);
		}
		rc = errno;
		close(in);
		close(logfd);
		if (pid < 0)
			return pcb_err_errno(err, rc, "starting %s", argv[0]);
		goto wait;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return pcb_err_errno(err, rc, "starting %s", argv[0]);
wait:
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return pcb_err_errno(err, errno, "waiting for %s", argv[0]);
		if (cancelled(ctx)) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return pcb_err_set(err, PCB_ECANCELED, "build cancelled");
		}
		/* Children run from tens of milliseconds (compileall of a small layer) to seconds
		 * (pip): look again after 1 ms, doubling up to ten times a second. */
		nanosleep(&(struct timespec){ 0, wait_ns }, NULL);
		if (wait_ns < 100 * 1000 * 1000)
			wait_ns = wait_ns * 2 > 100 * 1000 * 1000 ? 100 * 1000 * 1000 : wait_ns * 2;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 255;
}

/* The last lines of pip's output that say what went wrong. */
static char *
log_tail(const char *path)
{
	char *text = NULL, *start;
	size_t len = 0;
	int lines = 0;

	if (pcb_read_file(path, 1 << 20, &text, &len, NULL) != 0)
		return pcb_xstrdup("(no output)");
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';
	start = text + len;
	while (start > text && lines < 6)
		if (*--start == '\n')
			lines++;
	if (*start == '\n')
		start++;
	start = pcb_xstrdup(start);
	free(text);
	return start;
}

/* `pip download` of the requirement files for the target, into dir; then every wheel into
 * the store. */
static int
pip_download(const struct pcb_deps_spec *ds, const struct pcb_deps_target *t,
    const struct pcb_build_ctx *ctx, const struct pcb_strv *req_files, bool hashed,
    const char *dir, struct wheels *out, struct pcb_err *err)
{
	struct pcb_strv argv;
	char pyver[16], abi[16], *log_path = pcb_path_join(dir, "pip.log");
	char *dl = pcb_path_join(dir, "wheels"), *cache;
	DIR *d = NULL;
	struct dirent *de;
	int rc;

	pcb_strv_init(&argv);
	cache = pcb_path_join(pcb_store_root(ctx->store), "pip-cache");
	snprintf(pyver, sizeof pyver, "%d.%d", t->py.py_major, t->py.py_minor);
	snprintf(abi, sizeof abi, "cp%d%d", t->py.py_major, t->py.py_minor);
	pcb_strv_push(&argv, t->pip_python != NULL ? t->pip_python : "python3");
	pcb_strv_push(&argv, "-m");
	pcb_strv_push(&argv, "pip");
	pcb_strv_push(&argv, "download");
	pcb_strv_push(&argv, "--disable-pip-version-check");
	pcb_strv_push(&argv, "--no-input");
	pcb_strv_push(&argv, "--progress-bar");
	pcb_strv_push(&argv, "off");
	if (pcb_cred_is_self(ds->as)) {
		pcb_strv_push(&argv, "--cache-dir");
		pcb_strv_push(&argv, cache);
	} else {
		pcb_strv_push(&argv, "--no-cache-dir");   /* the daemon's cache is not theirs */
	}
	pcb_strv_push(&argv, "--only-binary=:all:");
	pcb_strv_push(&argv, "--implementation");
	pcb_strv_push(&argv, "cp");
	pcb_strv_push(&argv, "--python-version");
	pcb_strv_push(&argv, pyver);
	pcb_strv_push(&argv, "--abi");
	pcb_strv_push(&argv, abi);
	pcb_strv_push(&argv, "--abi");
	pcb_strv_push(&argv, "abi3");
	pcb_strv_push(&argv, "--abi");
	pcb_strv_push(&argv, "none");
	/* Every platform tag the target accepts, newest first: pip takes them as a set. */
	if (t->py.libc == PCB_LIBC_GLIBC) {
		for (int minor = t->py.libc_minor; minor >= 5; minor--) {
			pcb_strv_push(&argv, "--platform");
			pcb_strv_push_owned(&argv, pcb_xasprintf("manylinux_%d_%d_%s", t->py.libc_major,
			    minor, t->py.arch));
		}
		if (t->py.libc_minor >= 17) {
			pcb_strv_push(&argv, "--platform");
			pcb_strv_push_owned(&argv, pcb_xasprintf("manylinux2014_%s", t->py.arch));
		}
		if (t->py.libc_minor >= 12) {
			pcb_strv_push(&argv, "--platform");
			pcb_strv_push_owned(&argv, pcb_xasprintf("manylinux2010_%s", t->py.arch));
		}
		pcb_strv_push(&argv, "--platform");
		pcb_strv_push_owned(&argv, pcb_xasprintf("manylinux1_%s", t->py.arch));
		pcb_strv_push(&argv, "--platform");
		pcb_strv_push_owned(&argv, pcb_xasprintf("linux_%s", t->py.arch));
	} else {
		for (int minor = t->py.libc_minor; minor >= 1; minor--) {
			pcb_strv_push(&argv, "--platform");
			pcb_strv_push_owned(&argv, pcb_xasprintf("musllinux_%d_%d_%s", t->py.libc_major,
			    minor, t->py.arch));
		}
	}
	if (ds->index_url != NULL) {
		pcb_strv_push(&argv, "--index-url");
		pcb_strv_push(&argv, ds->index_url);
	}
	for (size_t i = 0; i < ds->extra_index_urls.n; i++) {
		pcb_strv_push(&argv, "--extra-index-url");
		pcb_strv_push(&argv, ds->extra_index_urls.v[i]);
	}
	for (size_t i = 0; i < ds->find_links.n; i++) {
		pcb_strv_push(&argv, "--find-links");
		pcb_strv_push(&argv, ds->find_links.v[i]);
	}
	if (hashed) {
		/* A lock's exact set: every file checked against its hashes, nothing else
		 * resolved (the lock is whole, and pip would read markers for the host). */
		pcb_strv_push(&argv, "--no-deps");
		pcb_strv_push(&argv, "--require-hashes");
	}
	pcb_strv_push(&argv, "--dest");
	pcb_strv_push(&argv, dl);
	for (size_t i = 0; i < req_files->n; i++) {
		pcb_strv_push(&argv, "-r");
		pcb_strv_push(&argv, req_files->v[i]);
	}
	pcb_strv_push_owned(&argv, NULL);
	argv.n--;

	log_info(ctx, "resolving dependencies for CPython %s linux/%s with pip download", pyver,
	    t->py.arch);
	rc = run_logged(ctx, argv.v, log_path, ds->as, err);
	if (rc > 0) {
		char *tail = log_tail(log_path);
		/* dependency_resolution, with pip's last lines: what a user fixes in their
		 * requirements (or index options), not a daemon fault. */
		rc = pcb_err_set(err, PCB_EDEPS, "pip download (for CPython %s, linux %s, wheels "
		    "only) failed with status %d:\n%s", pyver, t->py.arch, rc, tail);
		free(tail);
	}
	if (rc != 0)
		goto out;
	if ((d = opendir(dl)) == NULL) {
		rc = pcb_err_errno(err, errno, "reading %s", dl);
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		struct pcb_wheel_name wn;
		struct wheel *w;
		char digest[PCB_DIGEST_BUFSZ], *path;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "pip.log") == 0)
			continue;
		if (!pcb_str_has_suffix(de->d_name, ".whl")) {
			rc = pcb_err_set(err, PCB_EINVAL, "pip download gave %s, which is not a wheel",
			    de->d_name);
			goto out;
		}
		if ((rc = pcb_wheel_name_parse(de->d_name, &wn, err)) != 0)
			goto out;
		path = pcb_path_join(dl, de->d_name);
		w = wheels_add(out);
		w->name = pcb_xstrdup(wn.name);
		w->version = pcb_xstrdup(wn.version);
		w->filename = pcb_xstrdup(de->d_name);
		pcb_wheel_name_free(&wn);
		rc = store_file(ctx->store, path, NULL, digest, &w->size, err);
		free(path);
		if (rc != 0)
			goto out;
		snprintf(w->sha256, sizeof w->sha256, "%s", digest + 7);
	}
out:
	if (d != NULL)
		closedir(d);
	free(log_path);
	free(dl);
	free(cache);
	pcb_strv_free(&argv);
	return rc;
}

/* ---- the resolution cache ------------------------------------------------------------
 *
 * `pip download` takes a second or more even when nothing changed, so its answer (which wheel
 * of which distribution) is remembered under a key made of everything that can change it: the
 * requirement files' bytes (and those they include with -r / -c), the indexes and find-links
 * (a local find-links folder by its listing), extras and groups, the target and the pip
 * interpreter. Reuse is safe when every distribution pip picked is pinned with == in those
 * files (pip-compile's output, or a hand-pinned list): then the same files give the same
 * versions. An answer with unpinned distributions is reused for the daemon's
 * --resolve-max-age (default 1 h) only, since an index may publish newer versions.
 * spec.dependencies.refresh resolves again. Requirement files naming local paths, editable
 * installs, direct URLs or environment variables are never cached: their inputs are not all
 * in the key. The answer lives in the store's layer_cache (key "r:…") anchored on a small
 * JSON blob; a missing wheel blob makes the entry useless, and pip runs. */

#define MT_RESOLUTION "application/vnd.pycontainerd.resolution.v1+json"
#define RESOLVE_INCLUDE_DEPTH 8

static _Atomic int64_t resolve_max_age_ms = 3600 * 1000;

void
pcb_deps_set_resolve_max_age(int64_t ms)
{
	resolve_max_age_ms = ms < 0 ? 0 : ms;
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static const char *
jfield(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

struct rkey {
	struct pcb_buf in;          /* what the key hashes */
	struct pcb_strv pinned;     /* normalised names pinned with == / === */
	bool cacheable;
	const char *why;            /* when not cacheable */
};

static void
rkey_uncacheable(struct rkey *k, const char *why)
{
	if (k->cacheable)
		k->why = why;
	k->cacheable = false;
}

/* One field of the key, length-prefixed so no two different inputs read the same; a key the
 * buffer cannot hold whole is no key. */
static void
rkey_put(struct rkey *k, const char *tag, const char *s, size_t len)
{
	if (k->cacheable && (pcb_buf_appendf(&k->in, "%s %zu:", tag, len) != 0 ||
	    pcb_buf_append(&k->in, s, len) != 0 || pcb_buf_append(&k->in, "\n", 1) != 0))
		rkey_uncacheable(k, "the requirement files are too large to remember");
}

static void
rkey_str(struct rkey *k, const char *tag, const char *s)
{
	rkey_put(k, tag, s, strlen(s));
}

/* A requirement line (pip's per-requirement options and comments already cut off). */
static void
rkey_requirement(struct rkey *k, const char *line)
{
	struct pcb_requirement r;
	const char *s;

	if (strchr(line, '/') != NULL || strchr(line, '@') != NULL || line[0] == '.') {
		rkey_uncacheable(k, "a requirement names a path or URL");
		return;
	}
	if (pcb_requirement_parse(line, &r, NULL) != 0) {
		rkey_uncacheable(k, "a requirement line pip may read differently");
		return;
	}
	s = r.specifier;
	while (*s == ' ')
		s++;
	if (strncmp(s, "==", 2) == 0 && strchr(s, '*') == NULL && strchr(s, ',') == NULL)
		pcb_strv_push(&k->pinned, r.name);
	pcb_requirement_free(&r);
}

static void rkey_file(struct rkey *k, const char *path, int depth);

/* The argument of an option line ("-r x", "-rx", "--requirement=x", "--requirement x"). */
static const char *
opt_arg(const char *line, const char *sopt, const char *lopt)
{
	size_t n = strlen(lopt);

	if (strncmp(line, lopt, n) == 0 && (line[n] == '=' || line[n] == ' ' || line[n] == '\t'))
		line += n + 1;
	else if (strncmp(line, sopt, 2) == 0)
		line += 2;
	else
		return NULL;
	while (*line == ' ' || *line == '\t' || *line == '=')
		line++;
	return *line != '\0' ? line : NULL;
}

static void
rkey_line(struct rkey *k, const char *dir, char *line, int depth)
{
	const char *arg;
	char *p;

	if (strstr(line, "${") != NULL) {
		rkey_uncacheable(k, "a requirement file uses environment variables");
		return;
	}
	if (line[0] != '-') {
		/* Options after the requirement (--hash=…, --config-settings …) change nothing pip
		 * picks, and their bytes are in the key anyway. */
		if ((p = strstr(line, " --")) != NULL || (p = strstr(line, "\t--")) != NULL)
			*p = '\0';
		rtrim(line);
		rkey_requirement(k, line);
		return;
	}
	if ((arg = opt_arg(line, "-r", "--requirement")) != NULL ||
	    (arg = opt_arg(line, "-c", "--constraint")) != NULL) {
		char *inc;
		if (strstr(arg, "://") != NULL) {
			rkey_uncacheable(k, "a requirement file includes a URL");
			return;
		}
		inc = arg[0] == '/' ? pcb_xstrdup(arg) : pcb_path_join(dir, arg);
		rkey_file(k, inc, depth + 1);
		free(inc);
		return;
	}
	if (opt_arg(line, "-e", "--editable") != NULL) {
		rkey_uncacheable(k, "an editable requirement");
		return;
	}
	if ((arg = opt_arg(line, "-f", "--find-links")) != NULL && strstr(arg, "://") == NULL)
		rkey_uncacheable(k, "a requirement file names a local --find-links folder");
	/* Any other option (an index URL, --pre, --only-binary …) is in the key as bytes. */
}

static void
rkey_file(struct rkey *k, const char *path, int depth)
{
	char *text = NULL, *dir, *slash, *p, *line;
	size_t len = 0;

	if (!k->cacheable)
		return;
	if (depth > RESOLVE_INCLUDE_DEPTH) {
		rkey_uncacheable(k, "requirement files include each other too deeply");
		return;
	}
	if (pcb_read_file(path, 4 << 20, &text, &len, NULL) != 0 || memchr(text, '\0', len)) {
		rkey_uncacheable(k, "a requirement file cannot be read");
		free(text);
		return;
	}
	rkey_put(k, "file", text, len);
	dir = pcb_xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	/* Logical lines: "\" at the end continues a line; "#" at the start or after a blank
	 * starts a comment. */
	for (p = text; p != NULL && *p != '\0' && k->cacheable;) {
		char *nl;
		struct pcb_buf lb;
		pcb_buf_init(&lb, len + 1);
		for (;;) {
			size_t n;
			nl = strchr(p, '\n');
			n = nl != NULL ? (size_t)(nl - p) : strlen(p);
			if (n > 0 && p[n - 1] == '\r')
				n--;
			if (n > 0 && p[n - 1] == '\\') {
				(void)pcb_buf_append(&lb, p, n - 1);
				p = nl != NULL ? nl + 1 : p + strlen(p);
				if (nl == NULL)
					break;
				continue;
			}
			(void)pcb_buf_append(&lb, p, n);
			p = nl != NULL ? nl + 1 : NULL;
			break;
		}
		(void)pcb_buf_append(&lb, "", 1);
		line = lb.data;
		for (char *c = line; *c != '\0'; c++)
			if (*c == '#' && (c == line || c[-1] == ' ' || c[-1] == '\t')) {
				*c = '\0';
				break;
			}
		while (*line == ' ' || *line == '\t')
			line++;
		rtrim(line);
		if (*line != '\0')
			rkey_line(k, dir, line, depth);
		pcb_buf_free(&lb);
	}
	free(dir);
	free(text);
}

/* A local find-links folder: its listing (names, sizes, mtimes) stands for its content. */
static void
rkey_folder(struct rkey *k, const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		rkey_uncacheable(k, "a --find-links folder cannot be read");
		return;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		char *p = pcb_path_join(dir, names[i]->d_name), *id;
		if (names[i]->d_name[0] != '.' && stat(p, &st) == 0) {
			id = pcb_xasprintf("%s %lld %lld.%09ld", names[i]->d_name,
			    (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			rkey_str(k, "fl", id);
			free(id);
		}
		free(p);
		free(names[i]);
	}
	free(names);
}

/* The key of a pip resolution, or false (with k->why) when it must not be cached. */
static bool
resolution_key(const struct pcb_deps_spec *ds, const struct pcb_deps_target *t,
    const struct pcb_strv *req_files, bool hashed, struct rkey *k,
    char key[PCB_DIGEST_BUFSZ + 2])
{
	char d[PCB_DIGEST_BUFSZ], *target;

	target = pcb_xasprintf("cp %d.%d libc %d %d.%d %s", t->py.py_major, t->py.py_minor,
	    (int)t->py.libc, t->py.libc_major, t->py.libc_minor, t->py.arch);
	rkey_str(k, "pcb-resolve", "2");
	if (hashed)
		rkey_str(k, "mode", "require-hashes no-deps");
	rkey_str(k, "pip", t->pip_python != NULL ? t->pip_python : "python3");
	rkey_str(k, "target", target);
	free(target);
	rkey_str(k, "index", ds->index_url != NULL ? ds->index_url : "");
	for (size_t i = 0; i < ds->extra_index_urls.n; i++)
		rkey_str(k, "extra-index", ds->extra_index_urls.v[i]);
	for (size_t i = 0; i < ds->extras.n; i++)
		rkey_str(k, "extra", ds->extras.v[i]);
	for (size_t i = 0; i < ds->groups.n; i++)
		rkey_str(k, "group", ds->groups.v[i]);
	for (size_t i = 0; i < ds->find_links.n; i++) {
		const char *fl = ds->find_links.v[i];
		rkey_str(k, "find-links", fl);
		if (strstr(fl, "://") == NULL)
			rkey_folder(k, strncmp(fl, "file:", 5) == 0 ? fl + 5 : fl);
	}
	for (size_t i = 0; i < req_files->n && k->cacheable; i++)
		rkey_file(k, req_files->v[i], 0);
	if (!k->cacheable)
		return false;
	pcb_sha256_buf(k->in.data, k->in.len, d);
	snprintf(key, PCB_DIGEST_BUFSZ + 2, "r:%s", d + 7);
	return true;
}

/* A remembered resolution (j, borrowed), if it may be used now. in_store: every wheel must
 * be in the store (a local answer: an evicted wheel means pip runs again); a registry
 * cache's answer names wheels another daemon fetched, needed only for layers not cached. */
static bool
resolution_parse(const struct pcb_build_ctx *ctx, json_object *j, bool in_store,
    struct wheels *out, bool *pinned, int64_t *resolved_ms)
{
	json_object *a, *v;
	bool ok = false;
	size_t n;

	if (j == NULL || !json_object_object_get_ex(j, "wheels", &a) ||
	    !json_object_is_type(a, json_type_array))
		goto out;
	*pinned = json_object_object_get_ex(j, "pinned", &v) && json_object_get_boolean(v);
	*resolved_ms = json_object_object_get_ex(j, "resolved_ms", &v) ? json_object_get_int64(v) :
	    0;
	if (!*pinned && pcb_now_ms() - *resolved_ms > resolve_max_age_ms)
		goto out;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *name = jfield(e, "name"), *ver = jfield(e, "version"),
		    *fn = jfield(e, "filename"), *sha = jfield(e, "sha256");
		char digest[PCB_DIGEST_BUFSZ];
		struct wheel *w;
		if (name == NULL || ver == NULL || fn == NULL || sha == NULL || strlen(sha) != 64)
			goto out;
		snprintf(digest, sizeof digest, "sha256:%s", sha);
		/* A wheel evicted since is not fetched back from here: pip runs instead. The touch
		 * also keeps it from a collection while this build runs. */
		if (!pcb_digest_valid(digest) ||
		    (in_store && pcb_store_touch(ctx->store, digest, NULL) != 0))
			goto out;
		w = wheels_add(out);
		w->name = pcb_xstrdup(name);
		w->version = pcb_xstrdup(ver);
		w->filename = pcb_xstrdup(fn);
		snprintf(w->sha256, sizeof w->sha256, "%s", sha);
		w->size = json_object_object_get_ex(e, "size", &v) ?
		    (uint64_t)json_object_get_int64(v) : 0;
	}
	ok = true;
out:
	if (!ok)
		wheels_free(out);
	return ok;
}

static bool
resolution_lookup(const struct pcb_build_ctx *ctx, const char *key, struct wheels *out,
    bool *pinned, int64_t *resolved_ms, json_object **value_out)
{
	json_object *j;
	char *text = NULL;
	bool ok;

	if (pcb_store_cache_get(ctx->store, key, &text, NULL) != 0)
		return false;
	j = json_tokener_parse(text);
	free(text);
	ok = resolution_parse(ctx, j, true, out, pinned, resolved_ms);
	if (ok)
		*value_out = j;
	else
		json_object_put(j);
	return ok;
}

static bool
all_pinned(const struct wheels *ws, const struct pcb_strv *pinned)
{
	for (size_t i = 0; i < ws->n; i++) {
		bool found = false;
		for (size_t k = 0; k < pinned->n && !found; k++)
			found = strcmp(pinned->v[k], ws->v[i].name) == 0;
		if (!found)
			return false;
	}
	return true;
}

static json_object *
resolution_store(const struct pcb_build_ctx *ctx, const char *key, const struct wheels *ws,
    bool pinned)
{
	json_object *j = json_object_new_object(), *a = json_object_new_array();
	char digest[PCB_DIGEST_BUFSZ];
	const char *text;

	for (size_t i = 0; i < ws->n; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(ws->v[i].name));
		json_object_object_add(e, "version", json_object_new_string(ws->v[i].version));
		json_object_object_add(e, "filename", json_object_new_string(ws->v[i].filename));
		json_object_object_add(e, "sha256", json_object_new_string(ws->v[i].sha256));
		json_object_object_add(e, "size", json_object_new_int64((int64_t)ws->v[i].size));
		json_object_array_add(a, e);
	}
	json_object_object_add(j, "wheels", a);
	json_object_object_add(j, "pinned", json_object_new_boolean(pinned));
	json_object_object_add(j, "resolved_ms", json_object_new_int64(pcb_now_ms()));
	text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	/* A failure to remember costs a pip run next time, not this build. */
	if (pcb_store_put(ctx->store, text, strlen(text), MT_RESOLUTION, digest, NULL) == 0)
		(void)pcb_store_cache_set(ctx->store, key, digest, text, NULL);
	return j;
}

/* pip download, or a remembered answer of it (see above). *info (caller puts) says which.
 * hashed: the files are a lock's hash-pinned set (pip --require-hashes --no-deps). */
static int
resolve(const struct pcb_deps_spec *ds, const struct pcb_deps_target *t,
    const struct pcb_build_ctx *ctx, const struct pcb_strv *reqs, bool hashed,
    const char *tmpdir, struct wheels *ws, json_object **info, struct pcb_err *err)
{
	struct rkey k;
	char key[PCB_DIGEST_BUFSZ + 2], ts[32];
	bool keyed, pinned = false, reused = false, remote = false;
	int64_t when = 0;
	json_object *value = NULL, *rv = NULL;
	int rc = 0;

	memset(&k, 0, sizeof k);
	pcb_buf_init(&k.in, 64 << 20);
	pcb_strv_init(&k.pinned);
	k.cacheable = true;
	{
		/* The requirement files (and what they include) are read with the caller's
		 * rights: one they may not read makes no key, and pip then says why. */
		struct pcb_cred_saved sv;
		keyed = false;
		if (pcb_cred_enter(ds->as, &sv, NULL) == 0) {
			keyed = resolution_key(ds, t, reqs, hashed, &k, key);
			pcb_cred_leave(&sv);
		}
	}
	if (keyed && !ds->refresh && !ws->need_pip &&
	    resolution_lookup(ctx, key, ws, &pinned, &when, &value)) {
		reused = true;
		pcb_time_rfc3339_ms(when, ts);
		log_info(ctx, "reusing the resolution of %s: %zu wheel%s, %s", ts, ws->n,
		    ws->n == 1 ? "" : "s", pinned ? "every distribution pinned with ==" :
		    "not all pinned with == (resolved again after --resolve-max-age, or with "
		    "--refresh-deps)");
	} else if (keyed && !ds->refresh && !ws->need_pip &&
	    pcb_rcache_resolution_find(t->rcache, key, &rv) &&
	    resolution_parse(ctx, rv, false, ws, &pinned, &when)) {
		/* Another daemon's answer for the same key: the same rules of age apply. */
		reused = remote = true;
		ws->remote = true;
		value = json_object_get(rv);
		pcb_time_rfc3339_ms(when, ts);
		log_info(ctx, "reusing the resolution of %s from the registry cache: %zu wheel%s, %s",
		    ts, ws->n, ws->n == 1 ? "" : "s", pinned ? "every distribution pinned with ==" :
		    "not all pinned with ==");
	} else {
		if ((rc = pip_download(ds, t, ctx, reqs, hashed, tmpdir, ws, err)) != 0)
			goto out;
		when = pcb_now_ms();
		if (keyed) {
			pinned = all_pinned(ws, &k.pinned);
			value = resolution_store(ctx, key, ws, pinned);
		} else {
			log_info(ctx, "this resolution is not remembered: %s", k.why);
		}
	}
	if (keyed && value != NULL)
		pcb_rcache_resolution_note(t->rcache, key, value);
	*info = json_object_new_object();
	json_object_object_add(*info, "reused", json_object_new_boolean(reused));
	json_object_object_add(*info, "registry_cache", json_object_new_boolean(remote));
	json_object_object_add(*info, "cached", json_object_new_boolean(keyed));
	json_object_object_add(*info, "pinned", json_object_new_boolean(pinned));
	pcb_time_rfc3339_ms(when, ts);
	json_object_object_add(*info, "resolved_at", json_object_new_string(ts));
	if (!keyed)
		json_object_object_add(*info, "not_cached_because", json_object_new_string(k.why));
out:
	json_object_put(value);
	json_object_put(rv);
	pcb_buf_free(&k.in);
	pcb_strv_free(&k.pinned);
	return rc;
}

/* ---- the platform guard -------------------------------------------------------------- */

static int
guard(const struct wheels *ws, const struct pcb_deps_target *t, struct pcb_err *err)
{
	struct pcb_buf bad;
	char descr[96];
	size_t n_bad = 0;
	int rc = 0;

	pcb_buf_init(&bad, 64 * 1024);
	for (size_t i = 0; i < ws->n; i++) {
		struct pcb_wheel_name wn;
		char why[256] = "";
		if (pcb_wheel_name_parse(ws->v[i].filename, &wn, err) != 0) {
			pcb_buf_free(&bad);
			return PCB_EINVAL;
		}
		if (pcb_wheel_fit(&wn, &t->py, why, sizeof why) < 0) {
			(void)pcb_buf_appendf(&bad, "\n  - %s %s (%s): %s", ws->v[i].name,
			    ws->v[i].version, ws->v[i].filename, why);
			n_bad++;
		}
		pcb_wheel_name_free(&wn);
	}
	if (n_bad > 0) {
		pcb_pytarget_describe(&t->py, descr);
		rc = pcb_err_set(err, PCB_EINVAL, "%zu distribution%s cannot run in the image (%s):%s"
		    "\nUse wheels built for the image's platform (e.g. lock or download for it: "
		    "`--platform` of the build decides), pick a base image that matches the wheels, "
		    "or build the missing wheels for the target", n_bad, n_bad == 1 ? "" : "s", descr,
		    bad.data);
	}
	pcb_buf_free(&bad);
	return rc;
}

/* ---- layers -------------------------------------------------------------------------- */

struct layer_plan {
	char *name;
	size_t *idx;       /* wheels in it, sorted by name */
	size_t n;
};

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int
size_desc(const void *a, const void *b, void *ud)
{
	const struct wheels *ws = ud;
	const struct wheel *x = &ws->v[*(const size_t *)a], *y = &ws->v[*(const size_t *)b];
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Large wheels (by file size) get a layer each, the largest first up to MAX_SINGLE_LAYERS;
 * the rest go to SMALL_GROUPS groups by a hash of their name, so that a new version of one
 * small wheel changes one group and nothing else. Layer order: singles by name, then groups
 * by number: stable across builds. */
static void
plan_layers(struct wheels *ws, struct layer_plan **out, size_t *n_out)
{
	size_t *order = pcb_xcalloc(ws->n + 1, sizeof *order), n = 0, singles = 0;
	bool *single = pcb_xcalloc(ws->n + 1, sizeof *single);
	struct layer_plan *lp = pcb_xcalloc(ws->n + SMALL_GROUPS + 1, sizeof *lp);

	for (size_t i = 0; i < ws->n; i++)
		order[i] = i;
	qsort_r(order, ws->n, sizeof *order, size_desc, ws);
	for (size_t i = 0; i < ws->n && singles < MAX_SINGLE_LAYERS; i++)
		if (ws->v[order[i]].size >= LARGE_WHEEL) {
			single[order[i]] = true;
			singles++;
		}
	/* ws is sorted by name: singles come out in name order. */
	for (size_t i = 0; i < ws->n; i++) {
		if (!single[i])
			continue;
		lp[n].name = pcb_xasprintf("deps:%s", ws->v[i].name);
		lp[n].idx = pcb_xmalloc(sizeof *lp[n].idx);
		lp[n].idx[0] = i;
		lp[n].n = 1;
		n++;
	}
	for (int g = 0; g < SMALL_GROUPS; g++) {
		size_t cnt = 0;
		for (size_t i = 0; i < ws->n; i++)
			if (!single[i] && fnv1a(ws->v[i].name) % SMALL_GROUPS == (uint32_t)g)
				cnt++;
		if (cnt == 0)
			continue;
		lp[n].name = pcb_xasprintf("deps:group-%d", g + 1);
		lp[n].idx = pcb_xcalloc(cnt, sizeof *lp[n].idx);
		for (size_t i = 0; i < ws->n; i++)
			if (!single[i] && fnv1a(ws->v[i].name) % SMALL_GROUPS == (uint32_t)g)
				lp[n].idx[lp[n].n++] = i;
		n++;
	}
	free(order);
	free(single);
	*out = lp;
	*n_out = n;
}

static void
layer_plans_free(struct layer_plan *lp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(lp[i].name);
		free(lp[i].idx);
	}
	free(lp);
}

static void
describe_target(const struct pcb_deps_target *t, struct pcb_buf *b)
{
	char descr[96];

	pcb_pytarget_describe(&t->py, descr);
	(void)pcb_buf_appendf(b, "%s\ntarget %s\npython %s\nvenv %s\nmtime %lld\n"
	    "compression %d gzip %d zstd %d chunk %zu\n", DEPS_LAYOUT_VERSION, descr, t->python,
	    t->venv, (long long)t->mtime, (int)t->compression, t->gzip_level, t->zstd_level,
	    (size_t)PCB_LAYER_CHUNK);
}

static int
cache_lookup(struct pcb_store *st, const char *key, struct pcb_layer_result *res,
    json_object **dists_out)
{
	json_object *j = NULL, *v;
	char *text = NULL;
	const char *d, *did;
	int rc = PCB_ENOENT;

	if (pcb_store_cache_get(st, key, &text, NULL) != 0)
		return PCB_ENOENT;
	j = json_tokener_parse(text);
	free(text);
	if (j == NULL || (d = json_object_get_string(json_object_object_get(j, "digest"))) == NULL ||
	    (did = json_object_get_string(json_object_object_get(j, "diff_id"))) == NULL ||
	    !pcb_digest_valid(d) || !pcb_digest_valid(did))
		goto out;
	/* The blob may have been evicted or lost since: then the entry is no use. */
	if (pcb_store_stat(st, d, &res->size, NULL, NULL) != 0)
		goto out;
	snprintf(res->digest, sizeof res->digest, "%s", d);
	snprintf(res->diff_id, sizeof res->diff_id, "%s", did);
	res->tar_size = json_object_object_get_ex(j, "tar_size", &v) ?
	    (uint64_t)json_object_get_int64(v) : 0;
	res->n_entries = json_object_object_get_ex(j, "entries", &v) ?
	    (size_t)json_object_get_int64(v) : 0;
	res->media_type = json_object_object_get_ex(j, "media_type", &v) &&
	    strcmp(json_object_get_string(v), PCB_MT_LAYER_ZSTD) == 0 ? PCB_MT_LAYER_ZSTD :
	    PCB_MT_LAYER_GZIP;
	/* SBOM: what each wheel's metadata said of its licence, remembered with the layer
	 * (its wheels may be gone from the store by now). An entry written before that was
	 * remembered is no use: the layer is made again, once. */
	if (dists_out != NULL) {
		if (!json_object_object_get_ex(j, "dists", &v) ||
		    !json_object_is_type(v, json_type_object))
			goto out;
		*dists_out = json_object_get(v);
	}
	rc = 0;
out:
	json_object_put(j);
	return rc;
}

static void
cache_store(struct pcb_store *st, const char *key, const struct pcb_layer_result *res,
    json_object *dists)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "digest", json_object_new_string(res->digest));
	json_object_object_add(j, "diff_id", json_object_new_string(res->diff_id));
	json_object_object_add(j, "tar_size", json_object_new_int64((int64_t)res->tar_size));
	json_object_object_add(j, "entries", json_object_new_int64((int64_t)res->n_entries));
	json_object_object_add(j, "media_type", json_object_new_string(res->media_type));
	if (dists != NULL)
		json_object_object_add(j, "dists", json_object_get(dists));
	/* A failure to remember costs a repack next time, not this build. */
	(void)pcb_store_cache_set(st, key, res->digest, json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN), NULL);
	json_object_put(j);
}

/* ---- licence facts for the SBOM ------------------------------------------------------
 *
 * From the installed .dist-info/METADATA (core metadata: RFC 822 style headers, then the
 * description after the first blank line): License-Expression (PEP 639), the first line of
 * License (older metadata; some put the whole licence text there), and the License ::
 * classifiers. Sorted classifiers, so the facts do not follow the file's order. */

#define META_FILE_MAX ((size_t)8 << 20)

static json_object *
dist_meta_parse(const char *text)
{
	json_object *m = json_object_new_object(), *cl = json_object_new_array();
	struct pcb_strv classifiers;

	pcb_strv_init(&classifiers);
	for (const char *line = text; line != NULL && *line;) {
		const char *nl = strchr(line, '\n'), *v;
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (n == 0 || (n == 1 && line[0] == '\r'))
			break;   /* the body: the description */
		if ((v = memchr(line, ':', n)) != NULL && line[0] != ' ' && line[0] != '\t') {
			size_t kl = (size_t)(v - line), vl;
			v++;
			while (v < line + n && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(line + n - v);
			while (vl > 0 && isspace((unsigned char)v[vl - 1]))
				vl--;
			if (vl > 0 && vl < 4096) {
				char *val = pcb_xstrndup(v, vl);
				if (kl == 18 && strncasecmp(line, "License-Expression", kl) == 0)
					json_object_object_add(m, "license_expression",
					    json_object_new_string(val));
				else if (kl == 7 && strncasecmp(line, "License", kl) == 0 &&
				    strcmp(val, "UNKNOWN") != 0)
					json_object_object_add(m, "license", json_object_new_string(val));
				else if (kl == 10 && strncasecmp(line, "Classifier", kl) == 0 &&
				    pcb_str_has_prefix(val, "License ::"))
					pcb_strv_push(&classifiers, val);
				free(val);
			}
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	pcb_strv_sort(&classifiers);
	for (size_t i = 0; i < classifiers.n; i++)
		json_object_array_add(cl, json_object_new_string(classifiers.v[i]));
	if (classifiers.n > 0)
		json_object_object_add(m, "classifiers", cl);
	else
		json_object_put(cl);
	pcb_strv_free(&classifiers);
	return m;
}

/* The facts of the distribution name (normalised) version installed under site: its
 * .dist-info is found by name, as the wheel spelled it ("MarkupSafe-2.1.5.dist-info").
 * An empty object when there is no METADATA to read. */
static json_object *
dist_meta_read(const char *site, const char *name, const char *version)
{
	DIR *d = opendir(site);
	struct dirent *de;
	json_object *m = NULL;

	while (d != NULL && m == NULL && (de = readdir(d)) != NULL) {
		char *stem, *dash, *dn, *norm, *path, *text = NULL;
		size_t len = 0;
		if (!pcb_str_has_suffix(de->d_name, ".dist-info"))
			continue;
		/* "NAME-VERSION.dist-info": the name ends at the last '-' before the suffix. */
		stem = pcb_xstrndup(de->d_name, strlen(de->d_name) - strlen(".dist-info"));
		dash = strrchr(stem, '-');
		if (dash == NULL || strcmp(dash + 1, version) != 0) {
			free(stem);
			continue;
		}
		dn = pcb_xstrndup(stem, (size_t)(dash - stem));
		free(stem);
		norm = pcb_pyname_normalize(dn);
		if (strcmp(norm, name) == 0) {
			path = pcb_xasprintf("%s/%s/METADATA", site, de->d_name);
			if (pcb_read_file(path, META_FILE_MAX, &text, &len, NULL) == 0)
				m = dist_meta_parse(text);
			free(text);
			free(path);
		}
		free(norm);
		free(dn);
	}
	if (d != NULL)
		closedir(d);
	return m != NULL ? m : json_object_new_object();
}

/* A fresh staging folder under the store's tmp (same filesystem as the blobs). */
static char *
staging_new(struct pcb_store *st, const char *what, struct pcb_err *err)
{
	char rnd[17], *dir;

	pcb_random_hex(rnd, 8);
	dir = pcb_xasprintf("%s/tmp/%s-%s", pcb_store_root(st), what, rnd);
	if (mkdir(dir, 0700) != 0) {
		pcb_err_errno(err, errno, "creating %s", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* pip's working folder: a staging folder for the daemon itself; for another user (pip runs
 * as them) a private folder of theirs under /tmp, which the daemon, being root, still
 * reads and removes. */
static char *
pip_tmpdir(struct pcb_store *st, const struct pcb_cred *as, struct pcb_err *err)
{
	struct pcb_cred_saved sv;
	const char *base = getenv("TMPDIR");
	char *dir;
	int e;

	if (pcb_cred_is_self(as))
		return staging_new(st, "pip", err);
	dir = pcb_xasprintf("%s/pcb-pip-XXXXXX", base != NULL && base[0] == '/' ? base : "/tmp");
	if (pcb_cred_enter(as, &sv, err) != 0) {
		free(dir);
		return NULL;
	}
	e = mkdtemp(dir) != NULL ? 0 : errno;
	pcb_cred_leave(&sv);
	if (e != 0) {
		pcb_err_errno(err, e, "creating %s", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

struct progress_ud {
	const struct pcb_build_ctx *ctx;
	const char *layer;
};

static void
on_progress(void *ud, uint64_t done, uint64_t total)
{
	struct progress_ud *pu = ud;
	struct pcb_event ev = { .type = PCB_EVENT_PROGRESS, .layer = pu->layer, .done = done,
	    .total = total };
	if (pu->ctx->emit != NULL)
		pu->ctx->emit(pu->ctx->emit_ud, &ev);
}

/* Packs staging/<venv without its leading '/'> as one layer. */
static int
pack_staging(const struct pcb_build_ctx *ctx, const struct pcb_deps_target *t,
    const char *staging, const char *name, struct pcb_rcache *rcache,
    struct pcb_layer_result *res, bool *reused, bool *remote, struct pcb_err *err)
{
	struct pcb_layer_list list;
	struct pcb_layer_opts opts;
	struct progress_ud pu = { ctx, name };
	int rc;

	pcb_layer_list_init(&list);
	if ((rc = pcb_layer_list_add(&list, staging, t->venv + 1, "", NULL, NULL,
	    err)) != 0)
		goto out;
	pcb_layer_list_finish(&list);
	memset(&opts, 0, sizeof opts);
	opts.mtime = t->mtime;
	opts.compression = t->compression;
	opts.gzip_level = t->gzip_level;
	opts.zstd_level = t->zstd_level;
	opts.cancel = ctx->cancel;
	opts.progress = on_progress;
	opts.progress_ud = &pu;
	opts.no_reuse = t->no_cache;
	rc = pcb_lcache_pack_rc(ctx->store, rcache, name, &list, &opts, DEPS_LAYOUT_VERSION, res,
	    reused, remote, err);
out:
	pcb_layer_list_free(&list);
	if (rc != 0)
		pcb_err_prefix(err, "packing the %s layer", name);
	return rc;
}

static void
layer_add(struct pcb_deps_result *out, const char *name, const struct pcb_layer_result *res,
    bool reused, bool remote)
{
	struct pcb_deps_layer *l;

	out->v = pcb_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
	l = &out->v[out->n++];
	memset(l, 0, sizeof *l);
	l->name = pcb_xstrdup(name);
	l->res = *res;
	l->reused = reused;
	l->remote = remote;
	pcb_strv_init(&l->contents);
}

/* The venv's site-packages relative to the image root: "opt/venv/lib/python3.11/site-packages". */
static char *
venv_site_rel(const struct pcb_deps_target *t)
{
	return pcb_xasprintf("%s/lib/python%d.%d/site-packages", t->venv + 1, t->py.py_major,
	    t->py.py_minor);
}

/* A distribution name or version as a wheel's file names carry it: runs of characters other
 * than letters, digits and '.' become '_' (names: '.' too). */
static char *
dist_escape(const char *s, bool keep_dot)
{
	char *out = pcb_xcalloc(1, strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		bool ok = isalnum((unsigned char)*s) || (keep_dot && *s == '.');
		if (ok)
			*o++ = *s;
		else if (o == out || o[-1] != '_')
			*o++ = '_';
	}
	return out;
}

/* Writes staging/rel with data, and its RECORD line (paths relative to site-packages, as pip
 * writes them: "../../../bin/tool" for a script). Takes rel. */
static int
project_file(const char *staging, const char *site, char *rel, const char *data,
    mode_t mode, struct pcb_buf *record, struct pcb_err *err)
{
	char *path = pcb_path_join(staging, rel), *dir = pcb_xstrdup(path), *slash;
	char hash[100];
	int rc;

	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((rc = pcb_mkdir_p(dir, 0755, err)) == 0 &&
	    (rc = pcb_write_file_atomic(path, data, strlen(data), mode, err)) == 0) {
		size_t sl = strlen(site);
		/* site is "<venv>/lib/pythonX.Y/site-packages": three levels below the venv. */
		const char *venv_end = strstr(site, "/lib/python");
		char *r = strncmp(rel, site, sl) == 0 && rel[sl] == '/' ? pcb_xstrdup(rel + sl + 1) :
		    pcb_xasprintf("../../../%s", rel + (venv_end != NULL ?
		    (size_t)(venv_end - site) + 1 : 0));
		pcb_wheel_record_hash(data, strlen(data), hash);
		pcb_buf_appendf(record, "%s,%s,%zu\n", r, hash, strlen(data));
		free(r);
	}
	free(path);
	free(dir);
	free(rel);
	return rc;
}

/* The project's own distribution in the venv, as `pip install .` leaves its metadata, without
 * running a build backend: NAME-VERSION.dist-info (METADATA, INSTALLER, entry_points.txt,
 * RECORD), a .pth putting the app's import roots on sys.path, and pip's launcher in bin/ for
 * each of its console scripts. importlib.metadata then finds the project (version, entry
 * points) and its scripts are on PATH. A version the files do not give is "0+unknown". */
static int
project_layer(const struct pcb_project *proj, const struct pcb_deps_target *t,
    const struct pcb_build_ctx *ctx, struct pcb_deps_result *out, struct pcb_err *err)
{
	char *staging = NULL, *site = venv_site_rel(t), *name = NULL, *ver = NULL, *di = NULL;
	char *interp = pcb_xasprintf("%s/bin/python", t->venv);
	const char *version = proj->version != NULL && pcb_version_valid(proj->version) ?
	    proj->version : "0+unknown";
	struct pcb_buf meta, eps, pth, record;
	struct pcb_layer_result res;
	bool reused = false, remote = false;
	int rc = 0;

	pcb_buf_init(&meta, 64 * 1024);
	pcb_buf_init(&eps, 256 * 1024);
	pcb_buf_init(&pth, 16 * 1024);
	pcb_buf_init(&record, 1 << 20);
	if ((staging = staging_new(ctx->store, "project", err)) == NULL) {
		rc = PCB_EIO;
		goto out;
	}
	name = dist_escape(proj->name, false);
	ver = dist_escape(version, true);
	di = pcb_xasprintf("%s/%s-%s.dist-info", site, name, ver);
	pcb_buf_appendf(&meta, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", proj->name,
	    version);
	if (proj->description != NULL && strchr(proj->description, '\n') == NULL)
		pcb_buf_appendf(&meta, "Summary: %s\n", proj->description);
	for (size_t i = 0; i < proj->scripts.n; i++)
		pcb_buf_appendf(&eps, "%s%s\n", i == 0 ? "[console_scripts]\n" : "",
		    proj->scripts.v[i]);
	for (size_t i = 0; i < proj->gui_scripts.n; i++)
		pcb_buf_appendf(&eps, "%s%s\n", i == 0 ? "[gui_scripts]\n" : "",
		    proj->gui_scripts.v[i]);
	for (const char *s = t->app_path != NULL ? t->app_path : ""; *s != '\0';) {
		size_t n = strcspn(s, ":");
		if (n > 0)
			pcb_buf_appendf(&pth, "%.*s\n", (int)n, s);
		s += n + (s[n] == ':');
	}
	if ((rc = project_file(staging, site, pcb_xasprintf("%s/METADATA", di), meta.data, 0644,
	    &record, err)) != 0 ||
	    (rc = project_file(staging, site, pcb_xasprintf("%s/INSTALLER", di), "pycontainerd\n",
	    0644, &record, err)) != 0 ||
	    (eps.len > 0 && (rc = project_file(staging, site, pcb_xasprintf("%s/entry_points.txt",
	    di), eps.data, 0644, &record, err)) != 0) ||
	    (pth.len > 0 && (rc = project_file(staging, site, pcb_xasprintf("%s/%s.pth", site,
	    name), pth.data, 0644, &record, err)) != 0))
		goto out;
	for (size_t i = 0; i < proj->scripts.n + proj->gui_scripts.n && rc == 0; i++) {
		const char *sc = i < proj->scripts.n ? proj->scripts.v[i] :
		    proj->gui_scripts.v[i - proj->scripts.n];
		char *sname = pcb_xstrndup(sc, strcspn(sc, " ="));
		char *launcher = pcb_wheel_launcher(interp, strstr(sc, "= ") + 2);
		if (launcher != NULL && strchr(sname, '/') == NULL && sname[0] != '.')
			rc = project_file(staging, site, pcb_xasprintf("%s/bin/%s", t->venv + 1,
			    sname), launcher, 0755, &record, err);
		free(launcher);
		free(sname);
	}
	if (rc != 0)
		goto out;
	pcb_buf_appendf(&record, "%s/RECORD,,\n", di + strlen(site) + 1);
	{
		char *f = pcb_xasprintf("%s/%s/RECORD", staging, di);
		rc = pcb_write_file_atomic(f, record.data, record.len, 0644, err);
		free(f);
	}
	if (rc != 0)
		goto out;
	if ((rc = pack_staging(ctx, t, staging, "project", t->rcache, &res, &reused, &remote,
	    err)) != 0)
		goto out;
	layer_add(out, "project", &res, reused, remote);
	pcb_strv_push_owned(&out->v[out->n - 1].contents, pcb_xasprintf("%s %s", proj->name,
	    version));
out:
	if (staging != NULL)
		(void)pcb_rm_rf(staging, NULL);
	free(staging);
	free(site);
	free(name);
	free(ver);
	free(di);
	free(interp);
	pcb_buf_free(&meta);
	pcb_buf_free(&eps);
	pcb_buf_free(&pth);
	pcb_buf_free(&record);
	return rc;
}

/* The venv skeleton: pyvenv.cfg pointing at the base's interpreter, bin/python links. */
static int
venv_layer(const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct pcb_deps_result *out, struct pcb_err *err)
{
	char *staging = NULL, *bin = NULL, *cfg = NULL, *home = NULL, *text = NULL, *p;
	char *lib = NULL;
	struct pcb_layer_result res;
	bool reused = false, remote = false;
	const char *links[3];
	char pyxy[16];
	int rc;

	memset(&res, 0, sizeof res);
	snprintf(pyxy, sizeof pyxy, "python%d.%d", t->py.py_major, t->py.py_minor);
	links[0] = "python";
	links[1] = "python3";
	links[2] = pyxy;
	if ((staging = staging_new(ctx->store, "venv", err)) == NULL)
		return PCB_EIO;
	home = pcb_xstrdup(t->python);
	if ((p = strrchr(home, '/')) != NULL)
		*(p == home ? p + 1 : p) = '\0';
	bin = pcb_xasprintf("%s%s/bin", staging, t->venv);
	lib = pcb_xasprintf("%s%s/lib/%s/site-packages", staging, t->venv, pyxy);
	if ((rc = pcb_mkdir_p(bin, 0755, err)) != 0 || (rc = pcb_mkdir_p(lib, 0755, err)) != 0)
		goto out;
	cfg = pcb_xasprintf("%s%s/pyvenv.cfg", staging, t->venv);
	text = pcb_xasprintf("home = %s\ninclude-system-site-packages = false\nversion = %d.%d\n"
	    "executable = %s\ncommand = pycontainerd (%s)\n", home, t->py.py_major,
	    t->py.py_minor, t->python, t->venv);
	if ((rc = pcb_write_file_atomic(cfg, text, strlen(text), 0644, err)) != 0)
		goto out;
	for (int i = 0; i < 3; i++) {
		char *lp = pcb_xasprintf("%s/%s", bin, links[i]);
		if (symlink(i == 0 ? t->python : "python", lp) != 0 && errno != EEXIST) {
			rc = pcb_err_errno(err, errno, "creating %s", lp);
			free(lp);
			goto out;
		}
		free(lp);
	}
	if ((rc = pack_staging(ctx, t, staging, "venv", t->rcache, &res, &reused, &remote,
	    err)) != 0)
		goto out;
	layer_add(out, "venv", &res, reused, remote);
out:
	if (staging != NULL)
		(void)pcb_rm_rf(staging, NULL);
	free(staging);
	free(bin);
	free(lib);
	free(cfg);
	free(home);
	free(text);
	return rc;
}

static void
install_opts(const struct pcb_deps_target *t, const char *staging,
    struct pcb_wheel_install_opts *o, char **purelib, char **scripts, char **headers,
    char **interp)
{
	memset(o, 0, sizeof *o);
	*purelib = venv_site_rel(t);
	*scripts = pcb_xasprintf("%s/bin", t->venv + 1);
	*headers = pcb_xasprintf("%s/include/site/python%d.%d", t->venv + 1, t->py.py_major,
	    t->py.py_minor);
	*interp = pcb_xasprintf("%s/bin/python", t->venv);
	o->staging = staging;
	o->purelib = *purelib;
	o->platlib = *purelib;
	o->scripts = *scripts;
	o->headers = *headers;
	o->data = t->venv + 1;
	o->interpreter = *interp;
	o->installer = "pycontainerd";
}

/* ---- bytecode ------------------------------------------------------------------------
 *
 * pip compiles what it installs, so an image made with `pip install` starts without compiling
 * its dependencies; ours would compile them at every container start (PYTHONDONTWRITEBYTECODE
 * keeps the result from being written). So each dependency layer carries __pycache__ .pyc files,
 * made by a host interpreter of the target's X.Y (bytecode is specific to X.Y) with
 * compileall: --invalidation-mode checked-hash (the pyc holds a hash of its source, not an
 * mtime our normalised tar mtimes would contradict; Python checks it with a cheap hash at
 * import, so an edited source is still noticed), source paths as they are in the image, and
 * PYTHONHASHSEED=0 so constant sets are written in one order: the same wheels give the same
 * bytes. Files that do not compile (Python 2 leftovers some wheels ship) are skipped, as pip
 * does. With no host pythonX.Y the layer has no bytecode and the build log says so; the
 * layer key names the compiler (its path, size and mtime), so an upgraded interpreter makes
 * new layers. spec.dependencies.compile = false (pcb build --no-compile) turns it off. */

/* The host interpreter that compiles for the target, or NULL: pythonX.Y in /usr/local/bin,
 * /usr/bin, /bin, then on PATH (the system's first: a PATH may hold version-manager shims).
 * Caller frees. *ident gets what names it in a layer key. */
static char *
bytecode_compiler(const struct pcb_deps_target *t, char **ident)
{
	const char *env_path = getenv("PATH");
	char name[32], *path = pcb_xasprintf("/usr/local/bin:/usr/bin:/bin:%s",
	    env_path != NULL ? env_path : "");
	char *save = NULL, *found = NULL;

	*ident = NULL;
	snprintf(name, sizeof name, "python%d.%d", t->py.py_major, t->py.py_minor);
	for (char *dir = strtok_r(path, ":", &save); dir != NULL && found == NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		char *cand, *real;
		struct stat st;
		if (dir[0] != '/')
			continue;   /* a relative PATH entry depends on the daemon's cwd */
		cand = pcb_path_join(dir, name);
		if (access(cand, X_OK) == 0 && (real = realpath(cand, NULL)) != NULL) {
			if (stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
				found = cand;
				cand = NULL;
				*ident = pcb_xasprintf("%s %lld %lld.%09ld", real, (long long)st.st_size,
				    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			}
			free(real);
		}
		free(cand);
	}
	free(path);
	return found;
}

/* One layer being made: its key, and either the cached result (reused) or the staging tree
 * its wheels were installed into. */
struct dlayer {
	char kd[PCB_DIGEST_BUFSZ];
	struct pcb_layer_result res;
	bool reused;
	bool remote;          /* from the registry cache (rcache.h): the store lacks the blob */
	char *staging, *links;
};

static void
dlayer_free(struct dlayer *d)
{
	if (d->staging != NULL)
		(void)pcb_rm_rf(d->staging, NULL);
	if (d->links != NULL)
		(void)pcb_rm_rf(d->links, NULL);
	free(d->staging);
	free(d->links);
	memset(d, 0, sizeof *d);
}

/* The bytecode of every staging tree in one compileall run (a process pool starts once):
 * -d names each file by its path in the image, every tree's site-packages being the image's
 * one. */
static void
compile_bytecode(const struct pcb_build_ctx *ctx, const struct pcb_deps_target *t,
    const char *compiler, const struct dlayer *dl, size_t n, const char *purelib)
{
	static const char *const opts[] = { "-m", "compileall", "-q", "-q", "-j", "0",
	    "--invalidation-mode", "checked-hash", "-d" };
	struct pcb_strv argv;
	char *log = NULL;
	struct pcb_err e;
	size_t dirs = 0;
	int rc;

	pcb_strv_init(&argv);
	pcb_strv_push(&argv, "env");
	pcb_strv_push(&argv, "PYTHONHASHSEED=0");
	pcb_strv_push(&argv, "PYTHONDONTWRITEBYTECODE=");
	pcb_strv_push(&argv, compiler);
	for (size_t i = 0; i < PCB_ARRAY_LEN(opts); i++)
		pcb_strv_push(&argv, opts[i]);
	pcb_strv_push_owned(&argv, pcb_xasprintf("/%s", purelib));
	for (size_t i = 0; i < n; i++)
		if (!dl[i].reused && dl[i].staging != NULL) {
			pcb_strv_push_owned(&argv, pcb_path_join(dl[i].staging, purelib));
			if (log == NULL)
				log = pcb_xasprintf("%s.compile.log", dl[i].staging);
			dirs++;
		}
	pcb_strv_push_owned(&argv, NULL);
	argv.n--;
	if (dirs > 0) {
		pcb_err_clear(&e);
		rc = run_logged(ctx, argv.v, log, NULL, &e);
		/* Status 1: some file did not compile (as pip, go on); the others did. */
		if (rc < 0 || rc > 1)
			log_info(ctx, "bytecode not compiled for Python %d.%d (%s exited with %d%s%s)",
			    t->py.py_major, t->py.py_minor, compiler, rc, e.msg[0] ? ": " : "", e.msg);
		(void)unlink(log);
	}
	free(log);
	pcb_strv_free(&argv);
}

/* A dependency layer's key: everything that makes its bytes (rcache.h "d:" keys). */
static void
dlayer_key(const struct pcb_deps_target *t, const struct wheels *ws, const struct layer_plan *lp,
    const char *compiler_id, char kd[PCB_DIGEST_BUFSZ])
{
	struct pcb_buf key;

	pcb_buf_init(&key, 1 << 20);
	describe_target(t, &key);
	(void)pcb_buf_appendf(&key, "bytecode %s\n", compiler_id != NULL ? compiler_id : "none");
	for (size_t i = 0; i < lp->n; i++)
		(void)pcb_buf_appendf(&key, "wheel %s %s\n", ws->v[lp->idx[i]].sha256,
		    ws->v[lp->idx[i]].filename);
	pcb_sha256_buf(key.data, key.len, kd);
	pcb_buf_free(&key);
}

/* The registry cache's entry for a dependency layer key (its "dists" are required, as the
 * local entry's are). */
static bool
rcache_lookup(const struct pcb_deps_target *t, const char *kd, struct pcb_layer_result *res,
    json_object **dists_out)
{
	char *key;
	bool ok;

	if (t->rcache == NULL)
		return false;
	key = pcb_xasprintf("d:%s", kd);
	ok = pcb_rcache_layer_find(t->rcache, key, res, dists_out);
	free(key);
	if (ok && *dists_out == NULL)
		*dists_out = json_object_new_object();
	return ok;
}

/* A dependency layer's key, then the layer from the cache, or its wheels installed into a
 * staging tree (packed by dlayer_finish, after the bytecode of every such tree is made). */
static int
dlayer_prepare(const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct wheels *ws, const struct layer_plan *lp, const char *compiler_id, struct dlayer *d,
    struct pcb_err *err)
{
	struct pcb_wheel_install_opts o;
	char *purelib = NULL, *scripts = NULL, *headers = NULL, *interp = NULL;
	json_object *dists = NULL;
	int rc = 0;

	dlayer_key(t, ws, lp, compiler_id, d->kd);
	if (!t->no_cache && (cache_lookup(ctx->store, d->kd, &d->res, &dists) == 0 ||
	    rcache_lookup(t, d->kd, &d->res, &dists))) {
		d->reused = true;
		d->remote = pcb_store_stat(ctx->store, d->res.digest, NULL, NULL, NULL) != 0;
		for (size_t i = 0; i < lp->n; i++) {
			struct wheel *w = &ws->v[lp->idx[i]];
			json_object *m = json_object_object_get(dists, w->sha256);
			json_object_put(w->meta);
			w->meta = m != NULL ? json_object_get(m) : NULL;
		}
		json_object_put(dists);
		return 0;
	}
	if ((d->staging = staging_new(ctx->store, "deps", err)) == NULL ||
	    (d->links = staging_new(ctx->store, "wheels", err)) == NULL)
		return PCB_EIO;
	install_opts(t, d->staging, &o, &purelib, &scripts, &headers, &interp);
	for (size_t i = 0; i < lp->n; i++) {
		struct wheel *w = &ws->v[lp->idx[i]];
		struct pcb_wheel_install_result ir;
		char *path = NULL;
		if (cancelled(ctx)) {
			rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
			goto out;
		}
		if ((rc = wheel_ensure(ctx, w, &path, err)) != 0)
			goto out;
		/* The installer judges a wheel by its file name too: give it one. */
		{
			char *named = pcb_path_join(d->links, w->filename);
			if (strchr(w->filename, '/') != NULL || symlink(path, named) != 0) {
				rc = pcb_err_errno(err, errno, "linking %s", named);
				free(named);
				free(path);
				goto out;
			}
			free(path);
			path = named;
		}
		memset(&ir, 0, sizeof ir);
		rc = pcb_wheel_install(path, &o, &ir, err);
		free(path);
		if (rc == 0) {
			char *site = pcb_path_join(d->staging, purelib);
			json_object_put(w->meta);
			w->meta = dist_meta_read(site, ir.name != NULL ? ir.name : w->name,
			    ir.version != NULL ? ir.version : w->version);
			free(site);
		}
		pcb_wheel_install_result_free(&ir);
		if (rc != 0) {
			pcb_err_prefix(err, "installing %s", w->filename);
			goto out;
		}
	}
out:
	free(purelib);
	free(scripts);
	free(headers);
	free(interp);
	return rc;
}

/* Packs a prepared layer (unless reused) and adds it to out. */
static int
dlayer_finish(const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct wheels *ws, const struct layer_plan *lp, struct dlayer *d,
    struct pcb_deps_result *out, struct pcb_err *err)
{
	json_object *dists = json_object_new_object();
	int rc;

	if (!d->reused &&
	    (rc = pack_staging(ctx, t, d->staging, lp->name, NULL, &d->res, NULL, NULL, err)) != 0) {
		json_object_put(dists);
		return rc;
	}
	for (size_t i = 0; i < lp->n; i++) {
		const struct wheel *w = &ws->v[lp->idx[i]];
		json_object_object_add(dists, w->sha256, w->meta != NULL ?
		    json_object_get(w->meta) : json_object_new_object());
	}
	if (!d->reused)
		cache_store(ctx->store, d->kd, &d->res, dists);
	if (t->rcache != NULL) {
		char *key = pcb_xasprintf("d:%s", d->kd);
		pcb_rcache_layer_note(t->rcache, key, lp->name, &d->res, dists);
		free(key);
	}
	json_object_put(dists);
	layer_add(out, lp->name, &d->res, d->reused, d->remote);
	for (size_t i = 0; i < lp->n; i++) {
		struct wheel *w = &ws->v[lp->idx[i]];
		pcb_strv_push_owned(&out->v[out->n - 1].contents, pcb_xasprintf("%s %s", w->name,
		    w->version));
		w->layer = out->v[out->n - 1].name;
	}
	log_info(ctx, "%s: %zu distribution%s, %s", lp->name, lp->n, lp->n == 1 ? "" : "s",
	    d->remote ? "reused from the registry cache" : d->reused ?
	    "reused from the layer cache" : "packed");
	return 0;
}

/* Every dependency layer: keys and cache lookups, the missing ones installed, their bytecode
 * made in one go, then packed in order. */
static int
deps_layers(const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct wheels *ws, const struct layer_plan *lp, size_t nlp, struct pcb_deps_result *out,
    struct pcb_err *err)
{
	struct dlayer *dl = pcb_xcalloc(nlp ? nlp : 1, sizeof *dl);
	char *compiler = NULL, *compiler_id = NULL, *purelib;
	size_t missing = 0;
	int rc = 0;

	purelib = venv_site_rel(t);
	if (t->compile && (compiler = bytecode_compiler(t, &compiler_id)) == NULL)
		log_info(ctx, "no python%d.%d on the daemon's host to compile bytecode with: the "
		    "image compiles its dependencies at each start", t->py.py_major, t->py.py_minor);
	for (size_t i = 0; i < nlp; i++) {
		if (cancelled(ctx)) {
			rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
			goto out;
		}
		if ((rc = dlayer_prepare(t, ctx, ws, &lp[i], compiler_id, &dl[i], err)) != 0)
			goto out;
		missing += !dl[i].reused;
	}
	if (compiler != NULL && missing > 0)
		compile_bytecode(ctx, t, compiler, dl, nlp, purelib);
	for (size_t i = 0; i < nlp; i++) {
		if (cancelled(ctx)) {
			rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
			goto out;
		}
		if ((rc = dlayer_finish(t, ctx, ws, &lp[i], &dl[i], out, err)) != 0)
			goto out;
		dlayer_free(&dl[i]);
	}
out:
	for (size_t i = 0; i < nlp; i++)
		dlayer_free(&dl[i]);
	free(dl);
	free(purelib);
	free(compiler);
	free(compiler_id);
	return rc;
}

/* Whether every dependency layer of a registry cache's resolution can be had without its
 * wheels: from a cache (local or the registry's), else its wheels are in the store. */
static bool
remote_wheels_cover(const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct wheels *ws)
{
	struct layer_plan *lp = NULL;
	char *compiler = NULL, *compiler_id = NULL;
	size_t nlp = 0;
	bool ok = true;

	if (ws->n == 0)
		return true;
	plan_layers(ws, &lp, &nlp);
	if (t->compile)
		compiler = bytecode_compiler(t, &compiler_id);
	for (size_t i = 0; i < nlp && ok; i++) {
		char kd[PCB_DIGEST_BUFSZ];
		struct pcb_layer_result res;
		json_object *dists = NULL;
		bool hit = false;
		dlayer_key(t, ws, &lp[i], compiler_id, kd);
		if (!t->no_cache)
			hit = cache_lookup(ctx->store, kd, &res, &dists) == 0 ||
			    rcache_lookup(t, kd, &res, &dists);
		json_object_put(dists);
		for (size_t k = 0; k < lp[i].n && !hit; k++) {
			char d[PCB_DIGEST_BUFSZ];
			snprintf(d, sizeof d, "sha256:%s", ws->v[lp[i].idx[k]].sha256);
			if (pcb_store_stat(ctx->store, d, NULL, NULL, NULL) != 0)
				ok = false;
		}
	}
	layer_plans_free(lp, nlp);
	free(compiler);
	free(compiler_id);
	return ok;
}

/* ---- venv source --------------------------------------------------------------------- */

static uint16_t
elf_machine_for(const char *arch)
{
	static const struct { const char *arch; uint16_t m; } tab[] = {
		{ "x86_64", 62 }, { "aarch64", 183 }, { "armv7l", 40 }, { "i686", 3 },
		{ "ppc64le", 21 }, { "s390x", 22 }, { "riscv64", 243 },
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (strcmp(tab[i].arch, arch) == 0)
			return tab[i].m;
	return 0;
}

/* Native modules that cannot load in the image: another CPU (ELF e_machine) or another
 * CPython (the cpython-3XY tag in the file name). Judged on the layer list already walked
 * (no second walk of a tree of tens of thousands of files): only *.so files are opened, for
 * their 20-byte ELF header. */
static size_t
venv_check_natives(const struct pcb_layer_list *l, const struct pcb_deps_target *t,
    size_t prefix_len, struct pcb_buf *bad)
{
	char want[16];
	size_t n_bad = 0;

	snprintf(want, sizeof want, ".cpython-%d%d", t->py.py_major, t->py.py_minor);
	for (size_t i = 0; i < l->n; i++) {
		const struct pcb_layer_entry *e = &l->v[i];
		const char *base = strrchr(e->path, '/'), *cp, *rel;
		unsigned char h[20];
		int fd;

		if (e->type != PCB_ENTRY_FILE || e->src == NULL)
			continue;
		base = base != NULL ? base + 1 : e->path;
		if (!pcb_str_has_suffix(base, ".so") && strstr(base, ".so.") == NULL)
			continue;
		rel = strlen(e->path) > prefix_len ? e->path + prefix_len : e->path;
		if ((fd = open(e->src, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (read(fd, h, sizeof h) == (ssize_t)sizeof h && memcmp(h, "\177ELF", 4) == 0) {
				uint16_t m = h[5] == 1 ? (uint16_t)(h[18] | h[19] << 8) :
				    (uint16_t)(h[18] << 8 | h[19]);
				if (m != elf_machine_for(t->py.arch)) {
					(void)pcb_buf_appendf(bad, "\n  - %s: machine code for another CPU "
					    "(ELF machine %u; the image is %s)", rel, m, t->py.arch);
					n_bad++;
				}
			}
			close(fd);
		}
		cp = strstr(base, ".cpython-");
		if (cp != NULL && !pcb_str_has_prefix(cp, want)) {
			(void)pcb_buf_appendf(bad, "\n  - %s: built for another CPython (the image has "
			    "%d.%d)", rel, t->py.py_major, t->py.py_minor);
			n_bad++;
		}
	}
	return n_bad;
}

/* The site-packages folder of a venv: lib/python3.*\/site-packages, exactly one. */
static int
venv_site(const char *venv, const struct pcb_deps_target *t, char **site_out,
    struct pcb_err *err)
{
	char *cfg = pcb_path_join(venv, "pyvenv.cfg"), *text = NULL, *site;
	char want[32];
	size_t len;
	int rc;

	*site_out = NULL;
	if ((rc = pcb_read_file(cfg, 65536, &text, &len, err)) != 0) {
		pcb_err_prefix(err, "--deps-from-venv %s is not a virtual environment", venv);
		free(cfg);
		return rc;
	}
	free(cfg);
	/* "version = 3.11.7" (venv) or "version_info = 3.11.7.final.0" (virtualenv, uv). */
	snprintf(want, sizeof want, "%d.%d", t->py.py_major, t->py.py_minor);
	char *sv = NULL;
	for (char *line = strtok_r(text, "\n", &sv); line != NULL;
	    line = strtok_r(NULL, "\n", &sv)) {
		char *eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		char *k = line, *v = eq + 1;
		while (*k == ' ')
			k++;
		for (char *e = k + strlen(k); e > k && e[-1] == ' '; )
			*--e = '\0';
		while (*v == ' ')
			v++;
		if ((strcmp(k, "version") == 0 || strcmp(k, "version_info") == 0) &&
		    !(pcb_str_has_prefix(v, want) && (v[strlen(want)] == '.' ||
		    v[strlen(want)] == '\0' || isspace((unsigned char)v[strlen(want)])))) {
			rc = pcb_err_set(err, PCB_EINVAL, "--deps-from-venv %s is a Python %.20s "
			    "environment but the image has Python %s: make the venv with Python %s or "
			    "pick a base image with Python %.5s", venv, v, want, want, v);
			free(text);
			return rc;
		}
	}
	free(text);
	site = pcb_xasprintf("%s/lib/python%s/site-packages", venv, want);
	if (access(site, F_OK) != 0) {
		rc = pcb_err_set(err, PCB_EINVAL, "--deps-from-venv %s has no lib/python%s/"
		    "site-packages", venv, want);
		free(site);
		return rc;
	}
	*site_out = site;
	return 0;
}

static bool
venv_filter(void *ud, const char *relpath, bool is_dir)
{
	const char *base = strrchr(relpath, '/');
	(void)ud;
	base = base ? base + 1 : relpath;
	if (is_dir && strcmp(base, "__pycache__") == 0)
		return false;
	return !pcb_str_has_suffix(base, ".pyc");
}

/* The venv's console scripts with the shebang pointing at the image's venv python. */
static int
venv_scripts(const char *venv, const char *staging, const struct pcb_deps_target *t,
    const struct pcb_cred *as, struct pcb_err *err)
{
	char *bin = pcb_path_join(venv, "bin"), *dst = pcb_xasprintf("%s%s/bin", staging, t->venv);
	struct pcb_cred_saved sv;
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	if ((rc = pcb_mkdir_p(dst, 0755, err)) != 0)
		goto out;
	/* The venv's scripts are read with the caller's rights, written as the daemon's. */
	if (pcb_cred_enter(as, &sv, NULL) == 0) {
		d = opendir(bin);
		pcb_cred_leave(&sv);
	}
	if (d == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		char *src = pcb_path_join(bin, de->d_name), *text = NULL, *nl, *out_text, *op;
		struct stat st;
		size_t len;
		bool ok;
		if (de->d_name[0] == '.' || pcb_str_has_prefix(de->d_name, "python") ||
		    pcb_str_has_prefix(de->d_name, "activate") ||
		    pcb_cred_enter(as, &sv, NULL) != 0) {
			free(src);
			continue;
		}
		ok = lstat(src, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (1 << 20) &&
		    pcb_read_file(src, 1 << 20, &text, &len, NULL) == 0;
		pcb_cred_leave(&sv);
		if (ok && len > 2 &&
		    text[0] == '#' && text[1] == '!' && (nl = memchr(text, '\n', len)) != NULL &&
		    memmem(text, (size_t)(nl - text), "python", 6) != NULL) {
			out_text = pcb_xasprintf("#!%s/bin/python%.*s", t->venv,
			    (int)(len - (size_t)(nl - text)), nl);
			/* The staging directory is new: a plain exclusive create, no rename. */
			op = pcb_path_join(dst, de->d_name);
			int fd = open(op, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755), w = 0;
			if (fd < 0 || fchmod(fd, 0755) != 0)
				w = -errno;
			else
				w = pcb_write_all(fd, out_text, strlen(out_text));
			if (fd >= 0 && close(fd) != 0 && w == 0)
				w = -errno;
			if (w != 0)
				rc = pcb_err_errno(err, -w, "writing %s", op);
			free(op);
			free(out_text);
		}
		free(text);
		free(src);
		if (rc != 0)
			break;
	}
	closedir(d);
out:
	free(bin);
	free(dst);
	return rc;
}

static int
venv_layers(const struct pcb_deps_spec *ds, const struct pcb_deps_target *t,
    const struct pcb_build_ctx *ctx, struct pcb_deps_result *out, struct pcb_err *err)
{
	struct pcb_buf bad;
	size_t n_bad;
	struct pcb_layer_list list;
	struct pcb_layer_opts opts;
	struct pcb_layer_result res;
	struct progress_ud pu = { ctx, "deps:venv" };
	char *site = NULL, *staging = NULL, *dst = NULL, descr[96];
	bool reused = false;
	int rc;

	pcb_layer_list_init(&list);
	list.parallel_walk = true;   /* venv_filter keeps no state */
	pcb_buf_init(&bad, 64 * 1024);
	if ((rc = AS(ds->as, venv_site(ds->venv, t, &site, err))) != 0)
		goto out;
	if ((staging = staging_new(ctx->store, "venv-copy", err)) == NULL) {
		rc = PCB_EIO;
		goto out;
	}
	if ((rc = venv_scripts(ds->venv, staging, t, ds->as, err)) != 0)
		goto out;
	dst = venv_site_rel(t);
	list.as = ds->as;   /* the venv is the caller's; the staging folder the daemon's */
	if ((rc = pcb_layer_list_add(&list, site, "", dst, venv_filter, NULL, err)) != 0)
		goto out;
	list.as = NULL;
	if ((rc = pcb_layer_list_add(&list, staging, t->venv + 1, "", NULL, NULL, err)) != 0)
		goto out;
	pcb_layer_list_finish(&list);
	if ((n_bad = venv_check_natives(&list, t, strlen(dst) + 1, &bad)) > 0) {
		pcb_pytarget_describe(&t->py, descr);
		rc = pcb_err_set(err, PCB_EINVAL, "--deps-from-venv %s holds %zu native module%s "
		    "that cannot run in the image (%s):%s\nInstall the dependencies for the image's "
		    "platform instead (a lock file or requirements.txt: the daemon fetches wheels for "
		    "the target), or build for the venv's platform", ds->venv, n_bad,
		    n_bad == 1 ? "" : "s", descr, bad.data);
		goto out;
	}
	memset(&opts, 0, sizeof opts);
	memset(&res, 0, sizeof res);
	opts.mtime = t->mtime;
	opts.compression = t->compression;
	opts.gzip_level = t->gzip_level;
	opts.zstd_level = t->zstd_level;
	opts.cancel = ctx->cancel;
	opts.progress = on_progress;
	opts.progress_ud = &pu;
	opts.no_reuse = t->no_cache;
	/* A venv that did not change since the last build is not read again (lcache.h). */
	if ((rc = pcb_lcache_pack(ctx->store, &list, &opts, DEPS_LAYOUT_VERSION, &res, &reused,
	    err)) != 0) {
		pcb_err_prefix(err, "packing the venv %s", ds->venv);
		goto out;
	}
	layer_add(out, "deps:venv", &res, reused, false);
	pcb_strv_push(&out->v[out->n - 1].contents, ds->venv);
out:
	if (staging != NULL)
		(void)pcb_rm_rf(staging, NULL);
	free(staging);
	free(site);
	free(dst);
	pcb_buf_free(&bad);
	pcb_layer_list_free(&list);
	return rc;
}

/* ---- the whole step ------------------------------------------------------------------ */

static int
choose_source(const struct pcb_deps_spec *ds, const struct pcb_project *proj,
    enum src *src, char **file, struct pcb_strv *reqs, struct pcb_err *err)
{
	const char *want = ds->source != NULL ? ds->source : (ds->venv ? "venv" : "auto");
	bool any = strcmp(want, "auto") == 0;
	int rc;

	*src = SRC_NONE;
	*file = NULL;
	if (strcmp(want, "none") == 0)
		return 0;
	if (strcmp(want, "venv") == 0) {
		*src = SRC_VENV;
		*file = pcb_xstrdup(ds->venv);
		return 0;
	}
	if (ds->lock_file != NULL && (any || strcmp(want, "lock") == 0)) {
		*file = ctx_path(proj, ds->lock_file);
		if (!file_exists(*file))
			return pcb_err_set(err, PCB_EINVAL, "dependencies.lock_file %s: no such file",
			    *file);
		*src = SRC_LOCK;
		return 0;
	}
	if (ds->requirements.n > 0 && (any || strcmp(want, "requirements") == 0)) {
		for (size_t i = 0; i < ds->requirements.n; i++) {
			char *p = ctx_path(proj, ds->requirements.v[i]);
			if (!file_exists(p)) {
				rc = pcb_err_set(err, PCB_EINVAL, "dependencies.requirements[%zu] %s: no such "
				    "file", i, p);
				free(p);
				return rc;
			}
			pcb_strv_push_owned(reqs, p);
		}
		*src = SRC_REQ;
		return 0;
	}
	if (any || strcmp(want, "lock") == 0) {
		if ((*file = find_lock(proj->context)) != NULL) {
			*src = SRC_LOCK;
			return 0;
		}
		if (!any)
			return pcb_err_set(err, PCB_EINVAL, "dependencies.source is 'lock' but %s has no "
			    "pylock.toml, pylock.*.toml, uv.lock, poetry.lock, pdm.lock or Pipfile.lock",
			    proj->context);
	}
	if (any || strcmp(want, "requirements") == 0) {
		char *p = pcb_path_join(proj->context, "requirements.txt");
		if (file_exists(p)) {
			pcb_strv_push_owned(reqs, p);
			*src = SRC_REQ;
			return 0;
		}
		free(p);
		if (!any)
			return pcb_err_set(err, PCB_EINVAL, "dependencies.source is 'requirements' but "
			    "%s has no requirements.txt", proj->context);
	}
	/* [project].dependencies: checked by the caller (it needs the lines). */
	*src = SRC_PROJECT;
	return 0;
}

/* The lock file's format, by its name: "pylock.toml", "uv.lock", "poetry.lock", … */
static const char *
lock_format(const char *file)
{
	const char *base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;

	if (strcmp(base, "uv.lock") == 0)
		return "uv.lock";
	for (size_t i = 0; i < PCB_ARRAY_LEN(tool_locks); i++)
		if (strcmp(base, tool_locks[i]) == 0)
			return tool_locks[i];
	return "pylock.toml";
}

/* A poetry.lock / pdm.lock / Pipfile.lock: the packages it selects for the image, written to
 * dir as a hash-pinned requirements file (its path pushed onto reqs) for pip to download
 * with --require-hashes --no-deps. The lock's warnings go into info and the log. */
static int
toollock_requirements(const struct pcb_deps_spec *ds, const struct pcb_deps_target *t,
    const struct pcb_build_ctx *ctx, const char *file, const char *dir,
    struct pcb_toollock *tl, struct pcb_strv *reqs, json_object *info, struct pcb_err *err)
{
	struct pcb_lock_select sel = { &ds->extras, &ds->groups };
	struct pcb_strv skip, warnings;
	char descr[96], *header, *text, *rf;
	int rc;

	pcb_strv_init(&skip);
	pcb_strv_init(&warnings);
	/* What the plan warned of (logged then) and what the image's target adds. */
	(void)AS(ds->as, pcb_toollock_check(file, &warnings, NULL));
	if ((rc = AS(ds->as, pcb_toollock_load(file, &t->py, &sel, tl, err))) != 0)
		goto out;
	for (size_t i = 0; i < tl->warnings.n; i++) {
		log_warn(ctx, "%s", tl->warnings.v[i]);
		pcb_strv_push(&warnings, tl->warnings.v[i]);
	}
	if (warnings.n > 0)
		json_object_object_add(info, "warnings", strv_json(&warnings));
	pcb_pytarget_describe(&t->py, descr);
	header = pcb_xasprintf("%s for %s: %zu packages, markers evaluated for the image",
	    lock_format(file), descr, tl->n);
	if (ds->index_url != NULL)
		pcb_strv_push(&skip, ds->index_url);
	for (size_t i = 0; i < ds->extra_index_urls.n; i++)
		pcb_strv_push(&skip, ds->extra_index_urls.v[i]);
	text = pcb_toollock_requirements(tl, header, &skip);
	free(header);
	rf = pcb_path_join(dir, "requirements.txt");
	rc = AS(ds->as, pcb_write_file_atomic(rf, text, strlen(text), 0600, err));
	free(text);
	pcb_strv_push_owned(reqs, rf);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < tl->index_urls.n; i++)
		if (!pcb_strv_contains(&skip, tl->index_urls.v[i]))
			log_info(ctx, "%s names the index %s: pip looks there too",
			    lock_format(file), tl->index_urls.v[i]);
	log_info(ctx, "dependencies from %s: %zu packages for the image (%zu left out), every file "
	    "checked by pip against the lock's hashes", file, tl->n, tl->skipped);
out:
	pcb_strv_free(&skip);
	pcb_strv_free(&warnings);
	return rc;
}

/* What pip fetched for a tool's lock is what the lock says: one wheel per package, its
 * sha256 among the package's hashes (pip checked them; this also covers a remembered
 * answer). */
static int
toollock_verify(const struct pcb_toollock *tl, const char *file, const struct wheels *ws,
    struct pcb_err *err)
{
	for (size_t i = 0; i < tl->n; i++) {
		const struct pcb_toollock_pkg *p = &tl->v[i];
		const struct wheel *w = NULL;
		char *h;
		bool any_sha256 = false, ok;

		for (size_t k = 0; k < ws->n && w == NULL; k++)
			if (strcmp(ws->v[k].name, p->name) == 0)
				w = &ws->v[k];
		if (w == NULL)
			return pcb_err_set(err, PCB_EINVAL, "%s: pip fetched no wheel of %s %s",
			    file, p->name, p->version);
		for (size_t k = 0; k < p->hashes.n; k++)
			any_sha256 = any_sha256 || pcb_str_has_prefix(p->hashes.v[k], "sha256:");
		h = pcb_xasprintf("sha256:%s", w->sha256);
		ok = !any_sha256 || pcb_strv_contains(&p->hashes, h);
		free(h);
		if (!ok)
			return pcb_err_set(err, PCB_ECORRUPT, "%s: %s (sha256 %s) is not a file the lock "
			    "lists for %s %s", file, w->filename, w->sha256, p->name, p->version);
	}
	if (ws->n != tl->n)
		return pcb_err_set(err, PCB_EINVAL, "%s: pip fetched %zu wheels for the lock's %zu "
		    "packages", file, ws->n, tl->n);
	return 0;
}

int
pcb_deps_describe(const struct pcb_deps_spec *ds, const struct pcb_project *proj,
    json_object **out, struct pcb_err *err)
{
	struct pcb_strv reqs, lines, warnings;
	enum src src;
	enum pcb_toollock_kind tk;
	char *file = NULL;
	const char *from = NULL;
	json_object *j;
	int rc;

	*out = NULL;
	pcb_strv_init(&reqs);
	pcb_strv_init(&lines);
	pcb_strv_init(&warnings);
	if ((rc = choose_source(ds, proj, &src, &file, &reqs, err)) != 0)
		goto out;
	if (src == SRC_PROJECT) {
		rc = project_requirements(proj, ds, &lines, &from, err);
		if (rc == PCB_ENOENT) {
			src = SRC_NONE;
			rc = 0;
		} else if (rc != 0) {
			goto out;
		}
	}
	if (src == SRC_NONE && (rc = check_none_declared(ds, proj, err)) != 0)
		goto out;
	if (src == SRC_LOCK && pcb_toollock_kind_of(file, &tk) &&
	    (rc = pcb_toollock_check(file, &warnings, err)) != 0)
		goto out;
	j = json_object_new_object();
	json_object_object_add(j, "source", json_object_new_string(src_name(src)));
	json_object_object_add(j, "file", file != NULL ? json_object_new_string(file) :
	    reqs.n > 0 ? json_object_new_string(reqs.v[0]) : NULL);
	if (src == SRC_LOCK)
		json_object_object_add(j, "format", json_object_new_string(lock_format(file)));
	if (src == SRC_PROJECT) {
		json_object_object_add(j, "declared_in", json_object_new_string(from));
		json_object_object_add(j, "requirements", strv_json(&lines));
	}
	if (warnings.n > 0)
		json_object_object_add(j, "warnings", strv_json(&warnings));
	*out = j;
out:
	free(file);
	pcb_strv_free(&reqs);
	pcb_strv_free(&lines);
	pcb_strv_free(&warnings);
	return rc;
}

/* Sorted by name; one version of each. */
static int
wheels_sort_check(struct wheels *ws, struct pcb_err *err)
{
	if (ws->n > 0)
		qsort(ws->v, ws->n, sizeof *ws->v, wheel_cmp);
	for (size_t i = 1; i < ws->n; i++)
		if (strcmp(ws->v[i].name, ws->v[i - 1].name) == 0)
			return pcb_err_set(err, PCB_EINVAL, "two wheels of %s (%s and %s): one version "
			    "of each distribution can be installed", ws->v[i].name,
			    ws->v[i - 1].filename, ws->v[i].filename);
	return 0;
}

static json_object *
packages_json(const struct wheels *ws)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ws->n; i++) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "name", json_object_new_string(ws->v[i].name));
		json_object_object_add(p, "version", json_object_new_string(ws->v[i].version));
		json_object_object_add(p, "wheel", json_object_new_string(ws->v[i].filename));
		json_object_object_add(p, "sha256", json_object_new_string(ws->v[i].sha256));
		json_object_object_add(p, "layer", ws->v[i].layer ?
		    json_object_new_string(ws->v[i].layer) : NULL);
		if (ws->v[i].url != NULL)
			json_object_object_add(p, "url", json_object_new_string(ws->v[i].url));
		if (ws->v[i].meta != NULL) {
			json_object_object_foreach(ws->v[i].meta, mk, mv)
				json_object_object_add(p, mk, json_object_get(mv));
		}
		json_object_array_add(a, p);
	}
	return a;
}

int
pcb_deps_build(const struct pcb_deps_spec *ds, const struct pcb_project *proj,
    const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct pcb_deps_result *out, struct pcb_err *err)
{
	struct pcb_strv reqs, lines;
	struct wheels ws;
	struct pcb_lock lock;
	struct pcb_toollock tl;
	enum pcb_toollock_kind tk;
	struct layer_plan *lp = NULL;
	size_t nlp = 0;
	enum src src;
	bool tool_lock = false;
	char *file = NULL, *tmpdir = NULL;
	const char *from = NULL;
	json_object *resolution = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&ws, 0, sizeof ws);
	memset(&lock, 0, sizeof lock);
	memset(&tl, 0, sizeof tl);
	pcb_strv_init(&reqs);
	pcb_strv_init(&lines);
	if ((rc = choose_source(ds, proj, &src, &file, &reqs, err)) != 0)
		goto out;
	if (src == SRC_PROJECT) {
		rc = project_requirements(proj, ds, &lines, &from, err);
		if (rc == PCB_ENOENT) {
			if (ds->source != NULL && strcmp(ds->source, "project") == 0) {
				rc = pcb_err_set(err, PCB_EINVAL, "dependencies.source is 'project' but the "
				    "project declares no dependencies ([project].dependencies, "
				    "[tool.poetry.dependencies] or setup.cfg install_requires)");
				goto out;
			}
			src = SRC_NONE;
			rc = 0;
		} else if (rc != 0) {
			goto out;
		}
	}
	if (src == SRC_NONE && (rc = check_none_declared(ds, proj, err)) != 0)
		goto out;
	out->info = json_object_new_object();
	json_object_object_add(out->info, "source", json_object_new_string(src_name(src)));
	json_object_object_add(out->info, "file", file ? json_object_new_string(file) : NULL);
	if (src == SRC_LOCK) {
		json_object_object_add(out->info, "format", json_object_new_string(lock_format(file)));
		tool_lock = pcb_toollock_kind_of(file, &tk);
	}
	if (src == SRC_PROJECT)
		json_object_object_add(out->info, "declared_in", json_object_new_string(from));
	if (src == SRC_NONE) {
		json_object_object_add(out->info, "packages", json_object_new_array());
		goto out;
	}

	if (src == SRC_VENV) {
		if ((rc = venv_layer(t, ctx, out, err)) != 0 ||
		    (rc = venv_layers(ds, t, ctx, out, err)) != 0)
			goto out;
		json_object_object_add(out->info, "packages", json_object_new_array());
		goto out;
	}

	if (src == SRC_LOCK && !tool_lock) {
		struct pcb_lock_select sel = { &ds->extras, &ds->groups };
		log_info(ctx, "dependencies from %s", file);
		if ((rc = AS(ds->as, pcb_lock_load(file, &t->py, &sel, &lock, err))) != 0)
			goto out;
		for (size_t i = 0; i < lock.n; i++) {
			struct wheel *w = wheels_add(&ws);
			w->name = pcb_xstrdup(lock.v[i].name);
			w->version = pcb_xstrdup(lock.v[i].version);
			w->filename = pcb_xstrdup(lock.v[i].filename);
			snprintf(w->sha256, sizeof w->sha256, "%s", lock.v[i].sha256);
			w->url = pcb_xstrdup(lock.v[i].url);
			w->path = pcb_xstrdup(lock.v[i].path);
			w->size = lock.v[i].size;
		}
		/* The size decides the layer grouping: a wheel the lock gives no size for is
		 * fetched now (it will be needed anyway unless its layer is cached). */
		for (size_t i = 0; i < ws.n; i++) {
			char *path = NULL;
			if (ws.v[i].size > 0)
				continue;
			if ((rc = wheel_ensure(ctx, &ws.v[i], &path, err)) != 0)
				goto out;
			free(path);
		}
	} else {
		if ((tmpdir = pip_tmpdir(ctx->store, ds->as, err)) == NULL) {
			rc = PCB_EIO;
			goto out;
		}
		if (src == SRC_PROJECT) {
			struct pcb_buf b;
			char *rf = pcb_path_join(tmpdir, "requirements.txt");
			pcb_buf_init(&b, 1 << 20);
			for (size_t i = 0; i < lines.n; i++)
				(void)pcb_buf_appendf(&b, "%s\n", lines.v[i]);
			rc = AS(ds->as, pcb_write_file_atomic(rf, b.data ? b.data : "", b.len, 0600,
			    err));
			pcb_buf_free(&b);
			pcb_strv_push_owned(&reqs, rf);
			if (rc != 0)
				goto out;
			log_info(ctx, "dependencies from %s (%zu)", from, lines.n);
		} else if (tool_lock) {
			if ((rc = toollock_requirements(ds, t, ctx, file, tmpdir, &tl, &reqs, out->info,
			    err)) != 0)
				goto out;
		} else {
			log_info(ctx, "dependencies from %s", reqs.v[0]);
		}
		if ((!tool_lock || tl.n > 0) &&
		    (rc = resolve(ds, t, ctx, &reqs, tool_lock, tmpdir, &ws, &resolution, err)) != 0) {
			if (tool_lock)
				pcb_err_prefix(err, "%s", file);
			goto out;
		}
		if (tool_lock && (rc = toollock_verify(&tl, file, &ws, err)) != 0)
			goto out;
		/* Where pip looked (the SBOM's source of each distribution): the spec's
		 * indexes, else pip's default one. */
		{
			json_object *ix = json_object_new_array();
			json_object_array_add(ix, json_object_new_string(ds->index_url != NULL ?
			    ds->index_url : "https://pypi.org/simple"));
			for (size_t i = 0; i < ds->extra_index_urls.n; i++)
				json_object_array_add(ix,
				    json_object_new_string(ds->extra_index_urls.v[i]));
			for (size_t i = 0; i < ds->find_links.n; i++)
				json_object_array_add(ix, json_object_new_string(ds->find_links.v[i]));
			json_object_object_add(out->info, "index_urls", ix);
		}
	}
	if ((rc = wheels_sort_check(&ws, err)) != 0)
		goto out;
	if (ws.remote && !remote_wheels_cover(t, ctx, &ws)) {
		/* The registry cache's answer is of no use without the wheels of a layer it does
		 * not cache either: pip fetches them (and answers again). */
		log_info(ctx, "the registry cache's resolution names wheels this store does not have, "
		    "for layers no cache holds: running pip");
		wheels_free(&ws);
		ws.need_pip = true;
		json_object_put(resolution);
		resolution = NULL;
		if ((rc = resolve(ds, t, ctx, &reqs, tool_lock, tmpdir, &ws, &resolution, err)) != 0 ||
		    (rc = wheels_sort_check(&ws, err)) != 0)
			goto out;
	}
	if (resolution != NULL) {
		json_object_object_add(out->info, "resolution", resolution);
		resolution = NULL;
	}
	if ((rc = guard(&ws, t, err)) != 0)
		goto out;
	/* A venv is made when there is something to install, or when the command is one of the
	 * project's console scripts (pcb_deps_runs_scripts): they live in the venv. */
	if (ws.n == 0 && proj->cmd_script == NULL) {
		json_object_object_add(out->info, "packages", json_object_new_array());
		goto out;
	}
	if ((rc = venv_layer(t, ctx, out, err)) != 0)
		goto out;
	if (ws.n > 0) {
		plan_layers(&ws, &lp, &nlp);
		if ((rc = deps_layers(t, ctx, &ws, lp, nlp, out, err)) != 0)
			goto out;
	}
	if ((rc = project_layer(proj, t, ctx, out, err)) != 0)
		goto out;
	json_object_object_add(out->info, "packages", packages_json(&ws));
out:
	if (tmpdir != NULL)
		(void)pcb_rm_rf(tmpdir, NULL);
	json_object_put(resolution);
	free(tmpdir);
	free(file);
	layer_plans_free(lp, nlp);
	wheels_free(&ws);
	pcb_lock_free(&lock);
	pcb_toollock_free(&tl);
	pcb_strv_free(&reqs);
	pcb_strv_free(&lines);
	if (rc != 0)
		pcb_deps_result_free(out);
	return rc;
}
