/* toollock.c — poetry.lock, pdm.lock and Pipfile.lock (see toollock.h): which packages an image
 * needs, with the hashes pip checks them against, and whether the lock still fits the project
 * file it was made from.
 *
 * Each tool keeps its choice differently. Poetry 2 (lock-version 2.1) and PDM with
 * inherit_metadata write, per package, the groups that need it and the marker under which they
 * do, and Pipfile.lock keeps one flat list per category with markers: the selection is a
 * filter. Older Poetry locks and PDM's default strategy keep only the dependency graph, so the
 * selection walks it from the project's declared dependencies, as the tools themselves do when
 * they install. Markers are always evaluated for the image, never for the host. */
#include "python/toollock.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "python/pep508.h"
#include "python/poetry.h"
#include "python/toml.h"

/* Room kept for the failure list inside PCB_ERR_MSG_MAX (see lockfile.c). */
#define FAILS_MAX 640
#define MAX_PACKAGES 100000
#define JSON_LOCK_MAX (16 << 20)
#define INCLUDE_DEPTH 8

static const char *const kind_files[] = { "poetry.lock", "pdm.lock", "Pipfile.lock" };
static const char *const kind_tools[] = { "poetry lock", "pdm lock", "pipenv lock" };

bool
pcb_toollock_kind_of(const char *path, enum pcb_toollock_kind *out)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	for (size_t i = 0; i < PCB_ARRAY_LEN(kind_files); i++)
		if (strcmp(base, kind_files[i]) == 0) {
			*out = (enum pcb_toollock_kind)i;
			return true;
		}
	return false;
}

void
pcb_toollock_free(struct pcb_toollock *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
		free(l->v[i].url);
		free(l->v[i].marker);
		pcb_strv_free(&l->v[i].hashes);
	}
	free(l->v);
	pcb_strv_free(&l->index_urls);
	pcb_strv_free(&l->warnings);
	memset(l, 0, sizeof *l);
}

/* ---- reading context and errors ------------------------------------------------------------- */

struct tctx {
	const char *path;            /* the lock, as given */
	char *dir;                   /* its folder */
	enum pcb_toollock_kind kind;
	json_object *doc;            /* the lock */
	struct pcb_toml_locs *locs;  /* its positions (TOML), or NULL */
	json_object *pyproject;      /* pyproject.toml beside the lock, or NULL */
	json_object *pipfile;        /* Pipfile beside the lock, or NULL */
	const struct pcb_pytarget *t;
	char tdesc[96];
	struct pcb_marker_env env;   /* env.extras: the extras asked (normalised) */
	struct pcb_strv groups;      /* the groups asked (normalised) */
	char *self;                  /* the project's normalised name, or NULL */
	struct pcb_err *err;
	struct pcb_buf fails;        /* packages that cannot be installed */
	size_t nfail, nfail_dropped;
	bool hint_sdist, hint_source;   /* what to tell after the list */
	struct pcb_toollock *out;
	size_t cap;
};

static int
lfail(struct tctx *c, const struct pcb_toml_kpath *kp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the error "<file>: line N: <message>", the line of the deepest key of kp known. */
static int
lfail(struct tctx *c, const struct pcb_toml_kpath *kp, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pcb_toml_kpath_fail(c->err, c->locs, c->path, kp, fmt, ap);
	va_end(ap);
	return rc;
}

static void
fail_add(struct tctx *c, const char *name, const char *version, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records a package that cannot be installed ("name version: why"), reported at the end. */
static void
fail_add(struct tctx *c, const char *name, const char *version, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	if (version != NULL && version[0] == '\0')
		version = NULL;
	n = snprintf(msg, sizeof msg, "%s%s%s: ", name, version != NULL ? " " : "",
	    version != NULL ? version : "");
	if (n < 0 || (size_t)n >= sizeof msg)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	if ((c->fails.len > 0 && pcb_buf_append(&c->fails, "; ", 2) != 0) ||
	    pcb_buf_append(&c->fails, msg, strlen(msg)) != 0) {
		if (c->fails.len >= 2 && strcmp(c->fails.data + c->fails.len - 2, "; ") == 0) {
			c->fails.len -= 2;
			c->fails.data[c->fails.len] = '\0';
		}
		c->nfail_dropped++;
	}
	c->nfail++;
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	    NULL;
}

/* An optional string member; another type is an error. */
static int
opt_str(struct tctx *c, json_object *o, const char *key, const struct pcb_toml_kpath *at,
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

static bool
truthy(json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* Evaluates a marker for the image with the given extras active (NULL: those asked). */
static int
marker_holds(struct tctx *c, const struct pcb_toml_kpath *at, const char *what, const char *marker,
    const struct pcb_strv *extras, bool *out)
{
	struct pcb_err e;
	struct pcb_strv saved = c->env.extras;
	int rc;

	*out = true;
	if (marker == NULL || marker[0] == '\0')
		return 0;
	if (extras != NULL)
		c->env.extras = *extras;
	pcb_err_clear(&e);
	rc = pcb_marker_eval(marker, &c->env, out, &e);
	c->env.extras = saved;
	if (rc != 0)
		return lfail(c, at, "%s: %s", what, e.msg);
	return 0;
}

/* The last segment of a URL or path, without query or fragment. Caller frees. */
static char *
last_segment(const char *s)
{
	size_t end = strcspn(s, "?#"), start;

	start = end;
	while (start > 0 && s[start - 1] != '/')
		start--;
	return pcb_xstrndup(s + start, end - start);
}

static bool
is_http(const char *u)
{
	return pcb_str_has_prefix(u, "https://") || pcb_str_has_prefix(u, "http://");
}

/* ---- Python's json.dumps, for the content hashes ------------------------------------------- */

/* repr() of a float: the shortest digits that read back the same, laid out as Python does
 * (exponent below 1e-4 and from 1e16, ".0" on integral values). */
static void
py_float(double d, struct pcb_buf *b)
{
	char digits[40], *e;
	int prec, exp10, nd;
	char mant[24];

	if (isnan(d)) {
		pcb_buf_appendf(b, "NaN");
		return;
	}
	if (isinf(d)) {
		pcb_buf_appendf(b, "%sInfinity", d < 0 ? "-" : "");
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(digits, sizeof digits, "%.*e", prec, d);
		if (strtod(digits, NULL) == d)
			break;
	}
	/* digits: [-]D[.DDD]e±XX */
	e = strchr(digits, 'e');
	exp10 = atoi(e + 1);
	*e = '\0';
	nd = 0;
	for (const char *p = digits; *p != '\0'; p++)
		if (isdigit((unsigned char)*p) && nd < (int)sizeof mant - 1)
			mant[nd++] = *p;
	mant[nd] = '\0';
	if (d < 0 || (d == 0 && signbit(d)))
		pcb_buf_append(b, "-", 1);
	if (exp10 < -4 || exp10 >= 16) {
		pcb_buf_appendf(b, "%c", mant[0]);
		if (nd > 1)
			pcb_buf_appendf(b, ".%s", mant + 1);
		pcb_buf_appendf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	} else if (exp10 < 0) {
		pcb_buf_appendf(b, "0.");
		for (int i = -1; i > exp10; i--)
			pcb_buf_append(b, "0", 1);
		pcb_buf_appendf(b, "%s", mant);
	} else if (nd <= exp10 + 1) {
		pcb_buf_appendf(b, "%s", mant);
		for (int i = nd; i <= exp10; i++)
			pcb_buf_append(b, "0", 1);
		pcb_buf_appendf(b, ".0");
	} else {
		pcb_buf_append(b, mant, (size_t)exp10 + 1);
		pcb_buf_appendf(b, ".%s", mant + exp10 + 1);
	}
}

/* A string as json.dumps writes it with ensure_ascii: printable ASCII as is, the usual
 * backslash escapes, everything else \uXXXX (UTF-16 surrogate pairs above U+FFFF). */
static bool
py_string(const char *s, size_t len, struct pcb_buf *b)
{
	pcb_buf_append(b, "\"", 1);
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		uint32_t cp;
		size_t n;

		if (ch == '"' || ch == '\\') {
			pcb_buf_appendf(b, "\\%c", ch);
			i++;
			continue;
		}
		if (ch >= 0x20 && ch < 0x7f) {
			pcb_buf_append(b, &s[i], 1);
			i++;
			continue;
		}
		switch (ch) {
		case '\n': pcb_buf_appendf(b, "\\n"); i++; continue;
		case '\r': pcb_buf_appendf(b, "\\r"); i++; continue;
		case '\t': pcb_buf_appendf(b, "\\t"); i++; continue;
		case '\b': pcb_buf_appendf(b, "\\b"); i++; continue;
		case '\f': pcb_buf_appendf(b, "\\f"); i++; continue;
		default: break;
		}
		if (ch < 0x80) {
			cp = ch;
			n = 1;
		} else if ((ch & 0xe0) == 0xc0) {
			cp = ch & 0x1f;
			n = 2;
		} else if ((ch & 0xf0) == 0xe0) {
			cp = ch & 0x0f;
			n = 3;
		} else if ((ch & 0xf8) == 0xf0) {
			cp = ch & 0x07;
			n = 4;
		} else {
			return false;
		}
		if (i + n > len)
			return false;
		for (size_t k = 1; k < n; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			pcb_buf_appendf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			pcb_buf_appendf(b, "\\u%04x", cp);
		}
		i += n;
	}
	pcb_buf_append(b, "\"", 1);
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* json.dumps(v, sort_keys=True) with the default separators (", " / ": ") or compact ones
 * ("," / ":"). False for what json.dumps would refuse (a TOML date). */
static bool
py_json(json_object *v, bool compact, struct pcb_buf *b)
{
	const char *isep = compact ? "," : ", ", *ksep = compact ? ":" : ": ";

	switch (json_object_get_type(v)) {
	case json_type_null:
		pcb_buf_appendf(b, "null");
		return true;
	case json_type_boolean:
		pcb_buf_appendf(b, "%s", json_object_get_boolean(v) ? "true" : "false");
		return true;
	case json_type_double:
		py_float(json_object_get_double(v), b);
		return true;
	case json_type_int:
		pcb_buf_appendf(b, "%lld", (long long)json_object_get_int64(v));
		return true;
	case json_type_string:
		if (pcb_toml_type_of(v) != PCB_TOML_NONE)
			return false;
		return py_string(json_object_get_string(v), (size_t)json_object_get_string_len(v), b);
	case json_type_array:
		pcb_buf_append(b, "[", 1);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i > 0)
				pcb_buf_appendf(b, "%s", isep);
			if (!py_json(json_object_array_get_idx(v, i), compact, b))
				return false;
		}
		pcb_buf_append(b, "]", 1);
		return true;
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(v), i = 0;
		const char **keys = pcb_xcalloc(n > 0 ? n : 1, sizeof *keys);
		bool ok = true;
		json_object_object_foreach(v, k, val) {
			(void)val;
			if (i < n)
				keys[i++] = k;
		}
		qsort(keys, i, sizeof *keys, cmp_str);
		pcb_buf_append(b, "{", 1);
		for (size_t j = 0; j < i && ok; j++) {
			if (j > 0)
				pcb_buf_appendf(b, "%s", isep);
			ok = py_string(keys[j], strlen(keys[j]), b);
			pcb_buf_appendf(b, "%s", ksep);
			ok = ok && py_json(jget(v, keys[j]), compact, b);
		}
		pcb_buf_append(b, "}", 1);
		free(keys);
		return ok;
	}
	}
	return false;
}

/* sha256 hex of json.dumps(v, …), or false when json.dumps would refuse v. */
static bool
py_json_sha256(json_object *v, bool compact, char hex[65])
{
	struct pcb_buf b;
	char d[PCB_DIGEST_BUFSZ];
	bool ok;

	pcb_buf_init(&b, 64 << 20);
	ok = py_json(v, compact, &b) && b.data != NULL;
	if (ok) {
		pcb_sha256_buf(b.data, b.len, d);
		snprintf(hex, 65, "%s", d + 7);
	}
	pcb_buf_free(&b);
	return ok;
}

/* o[key] = v (a new reference; NULL → null). */
static void
put(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v != NULL ? json_object_get(v) : NULL);
}

static bool
nonempty(json_object *o)
{
	return o != NULL && ((json_object_is_type(o, json_type_object) &&
	    json_object_object_length(o) > 0) || (json_object_is_type(o, json_type_array) &&
	    json_object_array_length(o) > 0));
}

/* Poetry's content-hash of pyproject.toml (poetry/packages/locker.py _get_content_hash): with
 * [dependency-groups] (Poetry 2.3 and later) or without (before; also every 1.x, where only
 * [tool.poetry] counted). */
static bool
poetry_content_hash(json_object *py, bool with_groups, char hex[65])
{
	static const char *const project_keys[] = { "requires-python", "dependencies",
	    "optional-dependencies" };
	static const char *const keys[] = { "dependencies", "source", "extras", "dev-dependencies",
	    "group" };
	json_object *project = jget(py, "project"), *tp = jget(jget(py, "tool"), "poetry");
	json_object *groups = with_groups ? jget(py, "dependency-groups") : NULL;
	json_object *rp = json_object_new_object(), *rpc = json_object_new_object(), *rc;
	bool ok;

	for (size_t i = 0; i < PCB_ARRAY_LEN(project_keys); i++) {
		json_object *v = jget(project, project_keys[i]);
		if (v != NULL)
			put(rp, project_keys[i], v);
	}
	if (!nonempty(groups))
		groups = NULL;
	for (size_t i = 0; i < PCB_ARRAY_LEN(keys); i++) {
		json_object *v = jget(tp, keys[i]);
		bool legacy = strcmp(keys[i], "group") != 0;
		if (v == NULL && (!legacy || json_object_object_length(rp) > 0 || groups != NULL))
			continue;
		put(rpc, keys[i], v);
	}
	if (json_object_object_length(rp) > 0 || groups != NULL) {
		json_object *tool = json_object_new_object();
		rc = json_object_new_object();
		if (json_object_object_length(rp) > 0)
			put(rc, "project", rp);
		if (groups != NULL)
			put(rc, "dependency-groups", groups);
		put(tool, "poetry", rpc);
		json_object_object_add(rc, "tool", tool);
	} else {
		rc = json_object_get(rpc);
	}
	ok = py_json_sha256(rc, false, hex);
	json_object_put(rc);
	json_object_put(rp);
	json_object_put(rpc);
	return ok;
}

/* PDM's content_hash (pdm/project/project_file.py content_hash) in its forms: since 2.16 with
 * the [tool.pdm.resolution] table and (2.20) the dependency groups merged into
 * dev-dependencies, before with only its overrides (2.5 …) or [tool.pdm.overrides]. */
static bool
pdm_content_hash(json_object *py, int variant, char hex[65])
{
	json_object *project = jget(py, "project"), *pdm = jget(jget(py, "tool"), "pdm");
	json_object *d = json_object_new_object(), *v;
	json_object *dev_raw = jget(pdm, "dev-dependencies");
	bool ok;

	v = jget(pdm, "source");
	json_object_object_add(d, "sources", v != NULL ? json_object_get(v) :
	    json_object_new_array());
	v = jget(project, "dependencies");
	json_object_object_add(d, "dependencies", v != NULL ? json_object_get(v) :
	    json_object_new_array());
	if (variant == 0) {
		/* {normalise(group): [...]} from [dependency-groups], then the dev-dependencies
		 * extended onto them. */
		json_object *merged = json_object_new_object();
		json_object *dg = jget(py, "dependency-groups");
		for (int pass = 0; pass < 2; pass++) {
			json_object *src = pass == 0 ? dg : dev_raw;
			if (src == NULL || !json_object_is_type(src, json_type_object))
				continue;
			json_object_object_foreach(src, g, list) {
				char *gn = pcb_pyname_normalize(g);
				json_object *dst = jget(merged, gn);
				if (dst == NULL) {
					dst = json_object_new_array();
					json_object_object_add(merged, gn, dst);
				}
				for (size_t i = 0; json_object_is_type(list, json_type_array) &&
				    i < json_object_array_length(list); i++)
					json_object_array_add(dst,
					    json_object_get(json_object_array_get_idx(list, i)));
				free(gn);
			}
		}
		json_object_object_add(d, "dev-dependencies", merged);
	} else {
		json_object_object_add(d, "dev-dependencies", dev_raw != NULL ?
		    json_object_get(dev_raw) : json_object_new_object());
	}
	v = jget(project, "optional-dependencies");
	json_object_object_add(d, "optional-dependencies", v != NULL ? json_object_get(v) :
	    json_object_new_object());
	v = jget(project, "requires-python");
	json_object_object_add(d, "requires-python", v != NULL ? json_object_get(v) :
	    json_object_new_string(""));
	if (variant <= 1) {
		v = jget(pdm, "resolution");
		json_object_object_add(d, "resolution", v != NULL ? json_object_get(v) :
		    json_object_new_object());
	} else {
		v = variant == 2 ? jget(jget(pdm, "resolution"), "overrides") : jget(pdm, "overrides");
		json_object_object_add(d, "overrides", v != NULL ? json_object_get(v) :
		    json_object_new_object());
	}
	ok = py_json_sha256(d, false, hex);
	json_object_put(d);
	return ok;
}

/* Pipenv's Pipfile hash (plette Pipfile.get_hash): the sources (PyPI when none), requires,
 * packages as "default", dev-packages as "develop" and any other category, compact JSON. */
static bool
pipfile_hash(json_object *pf, char hex[65])
{
	static const char *const sections[] = { "source", "sources", "packages", "dev-packages",
	    "requires", "scripts", "pipfile", "pipenv", "default", "develop" };
	json_object *d = json_object_new_object(), *meta = json_object_new_object(), *v;
	bool ok;

	v = jget(pf, "source");
	if (v != NULL) {
		put(meta, "sources", v);
	} else {
		json_object *a = json_object_new_array(), *s = json_object_new_object();
		json_object_object_add(s, "name", json_object_new_string("pypi"));
		json_object_object_add(s, "url", json_object_new_string("https://pypi.org/simple"));
		json_object_object_add(s, "verify_ssl", json_object_new_boolean(1));
		json_object_array_add(a, s);
		json_object_object_add(meta, "sources", a);
	}
	v = jget(pf, "requires");
	json_object_object_add(meta, "requires", v != NULL ? json_object_get(v) :
	    json_object_new_object());
	json_object_object_add(d, "_meta", meta);
	v = jget(pf, "packages");
	json_object_object_add(d, "default", v != NULL ? json_object_get(v) :
	    json_object_new_object());
	v = jget(pf, "dev-packages");
	json_object_object_add(d, "develop", v != NULL ? json_object_get(v) :
	    json_object_new_object());
	json_object_object_foreach(pf, k, val) {
		bool known = false;
		for (size_t i = 0; i < PCB_ARRAY_LEN(sections) && !known; i++)
			known = strcmp(k, sections[i]) == 0;
		if (!known)
			put(d, k, val);
	}
	ok = py_json_sha256(d, true, hex);
	json_object_put(d);
	return ok;
}

/* ---- reading the files ---------------------------------------------------------------------- */

/* The folder of path (absolute when it can be made so). Caller frees. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d = slash == NULL ? pcb_xstrdup(".") : slash == path ? pcb_xstrdup("/") :
	    pcb_xstrndup(path, (size_t)(slash - path));
	char *abs = realpath(d, NULL);

	if (abs != NULL) {
		free(d);
		return abs;
	}
	return d;
}

/* A JSON document (Pipfile.lock): parse errors give the line and column. */
static int
json_parse_file(const char *path, json_object **out, struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	struct json_tokener *tok;
	json_object *j;
	int rc;

	if ((rc = pcb_read_file(path, JSON_LOCK_MAX, &text, &len, err)) != 0)
		return rc;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, text, (int)len);
	if (j == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) < len) {
		size_t off = json_tokener_get_parse_end(tok), line = 1, col = 1;
		enum json_tokener_error e = json_tokener_get_error(tok);
		bool trailing = j != NULL && e == json_tokener_success;
		for (size_t i = 0; i < off && i < len; i++, col++)
			if (text[i] == '\n') {
				line++;
				col = 0;
			}
		/* Whitespace after the document is fine. */
		if (trailing && strspn(text + off, " \t\r\n") == len - off) {
			json_tokener_free(tok);
			free(text);
			*out = j;
			return 0;
		}
		rc = pcb_err_set(err, PCB_EINVAL, "%s: line %zu, column %zu: not valid JSON (%s)", path,
		    line, col, trailing ? "text after the document" :
		    e == json_tokener_continue ? "unexpected end of file" :
		    json_tokener_error_desc(e));
		json_object_put(j);
		json_tokener_free(tok);
		free(text);
		return rc;
	}
	json_tokener_free(tok);
	free(text);
	*out = j;
	return 0;
}

/* The lock and the project files beside it. The project file is optional; one that is there
 * but broken is an error (it is what the lock is checked against). */
static int
ctx_open(struct tctx *c, const char *path, struct pcb_err *err)
{
	char *p;
	int rc;

	c->path = path;
	c->err = err;
	if (!pcb_toollock_kind_of(path, &c->kind))
		return pcb_err_set(err, PCB_EINVAL, "%s: not a lock file name (poetry.lock, pdm.lock "
		    "or Pipfile.lock)", path);
	c->dir = dir_of(path);
	if (c->kind == PCB_TOOLLOCK_PIPENV)
		rc = json_parse_file(path, &c->doc, err);
	else
		rc = pcb_toml_parse_file_locs(path, &c->doc, &c->locs, err);
	if (rc != 0)
		return rc;
	if (!json_object_is_type(c->doc, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "%s: not a %s document", path,
		    c->kind == PCB_TOOLLOCK_PIPENV ? "JSON object" : "TOML table");
	p = pcb_path_join(c->dir, "pyproject.toml");
	if (access(p, F_OK) == 0 && (rc = pcb_toml_parse_file(p, &c->pyproject, err)) != 0) {
		free(p);
		return rc;
	}
	free(p);
	if (c->kind == PCB_TOOLLOCK_PIPENV) {
		p = pcb_path_join(c->dir, "Pipfile");
		if (access(p, F_OK) == 0 && (rc = pcb_toml_parse_file(p, &c->pipfile, err)) != 0) {
			free(p);
			return rc;
		}
		free(p);
	}
	{
		const char *name = jstr(jget(c->pyproject, "project"), "name");
		if (name == NULL)
			name = jstr(jget(jget(c->pyproject, "tool"), "poetry"), "name");
		if (name != NULL)
			c->self = pcb_pyname_normalize(name);
	}
	return 0;
}

static void
ctx_close(struct tctx *c)
{
	if (c->doc != NULL)
		json_object_put(c->doc);
	if (c->pyproject != NULL)
		json_object_put(c->pyproject);
	if (c->pipfile != NULL)
		json_object_put(c->pipfile);
	if (c->locs != NULL)
		pcb_toml_locs_destroy(c->locs);
	free(c->dir);
	free(c->self);
}

/* Top-level shape: the versions this reads. */
static int
check_shape(struct tctx *c)
{
	struct pcb_toml_kpath top = { .n = 0 }, kp = { .n = 0 };
	json_object *meta;
	const char *lv;
	int rc;

	if (c->kind == PCB_TOOLLOCK_PIPENV) {
		json_object *m = jget(c->doc, "_meta"), *d = jget(c->doc, "default");
		if (m == NULL || !json_object_is_type(m, json_type_object))
			return lfail(c, NULL, "no \"_meta\" object (is this a Pipfile.lock?)");
		if (d != NULL && !json_object_is_type(d, json_type_object))
			return lfail(c, NULL, "\"default\" must be an object");
		return 0;
	}
	meta = jget(c->doc, "metadata");
	pcb_toml_kpath_key(&kp, "metadata");
	if (meta == NULL || !json_object_is_type(meta, json_type_object))
		return lfail(c, NULL, "no [metadata] table (is this a %s?)", kind_files[c->kind]);
	if (c->kind == PCB_TOOLLOCK_POETRY) {
		if ((rc = opt_str(c, meta, "lock-version", &kp, &lv)) != 0)
			return rc;
		if (lv == NULL)
			lv = "1.0";
		if (!(lv[0] == '1' || lv[0] == '2') || (lv[1] != '\0' && lv[1] != '.')) {
			pcb_toml_kpath_key(&kp, "lock-version");
			return lfail(c, &kp, "lock-version '%s' is not supported (this reads 1.x and "
			    "2.x)", lv);
		}
	} else {
		if ((rc = opt_str(c, meta, "lock_version", &kp, &lv)) != 0)
			return rc;
		if (lv == NULL)
			return lfail(c, &kp, "no lock_version in [metadata]");
		if (!(lv[0] == '3' || lv[0] == '4') || (lv[1] != '\0' && lv[1] != '.')) {
			pcb_toml_kpath_key(&kp, "lock_version");
			return lfail(c, &kp, "lock_version '%s' is not supported (this reads 3.x and "
			    "4.x)", lv);
		}
	}
	{
		json_object *pk = jget(c->doc, "package");
		if (pk != NULL && !json_object_is_type(pk, json_type_array))
			return lfail(c, &top, "'package' must be an array of tables ([[package]])");
		if (pk != NULL && json_object_array_length(pk) > MAX_PACKAGES)
			return lfail(c, NULL, "more than %d packages", MAX_PACKAGES);
	}
	return 0;
}

/* Whether the lock fits the project file beside it, by the tool's own content hash. */
static void
check_fit(struct tctx *c, struct pcb_strv *warnings)
{
	const char *want = NULL;
	char hex[65];
	bool any = false, match = false;

	if (c->kind == PCB_TOOLLOCK_POETRY) {
		want = jstr(jget(c->doc, "metadata"), "content-hash");
		if (want == NULL || c->pyproject == NULL)
			return;
		for (int g = 1; g >= 0 && !match; g--)
			if (poetry_content_hash(c->pyproject, g, hex)) {
				any = true;
				match = strcmp(hex, want) == 0;
			}
	} else if (c->kind == PCB_TOOLLOCK_PDM) {
		want = jstr(jget(c->doc, "metadata"), "content_hash");
		if (want == NULL || c->pyproject == NULL || !pcb_str_has_prefix(want, "sha256:"))
			return;
		want += 7;
		for (int v = 0; v < 4 && !match; v++)
			if (pdm_content_hash(c->pyproject, v, hex)) {
				any = true;
				match = strcmp(hex, want) == 0;
			}
	} else {
		want = jstr(jget(jget(c->doc, "_meta"), "hash"), "sha256");
		if (want == NULL || c->pipfile == NULL)
			return;
		any = pipfile_hash(c->pipfile, hex);
		match = any && strcmp(hex, want) == 0;
	}
	if (any && !match)
		pcb_strv_push_owned(warnings, pcb_xasprintf("%s is out of date with %s: the "
		    "dependencies it declares changed after the lock was made (its hash of them "
		    "differs); the image gets what the lock says — run `%s` to bring them together",
		    kind_files[c->kind], c->kind == PCB_TOOLLOCK_PIPENV ? "Pipfile" : "pyproject.toml",
		    kind_tools[c->kind]));
}

int
pcb_toollock_check(const char *path, struct pcb_strv *warnings, struct pcb_err *err)
{
	struct tctx c;
	int rc;

	memset(&c, 0, sizeof c);
	if ((rc = ctx_open(&c, path, err)) == 0 && (rc = check_shape(&c)) == 0 && warnings != NULL)
		check_fit(&c, warnings);
	ctx_close(&c);
	return rc;
}

/* ---- the packages of a lock ------------------------------------------------------------------ */

struct tpkg {
	json_object *o;
	struct pcb_toml_kpath at;
	char *name;                  /* normalised */
	const char *version;
	struct pcb_strv extras;      /* pdm: the extras a "name[extra]" entry stands for */
	const char *marker;          /* the marker that selected it (filter modes) */
	bool selected;
	bool base_done;              /* walk: its own dependencies followed */
	struct pcb_strv extras_done; /* walk: its extras followed */
};

struct tpkgs {
	struct tpkg *v;
	size_t n;
};

static void
tpkgs_free(struct tpkgs *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		pcb_strv_free(&ps->v[i].extras);
		pcb_strv_free(&ps->v[i].extras_done);
	}
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* [[package]] entries (TOML locks): name and version required. */
static int
tpkgs_read(struct tctx *c, struct tpkgs *ps)
{
	json_object *a = jget(c->doc, "package");

	ps->n = a != NULL ? json_object_array_length(a) : 0;
	ps->v = pcb_xcalloc(ps->n > 0 ? ps->n : 1, sizeof *ps->v);
	for (size_t i = 0; i < ps->n; i++) {
		struct tpkg *p = &ps->v[i];
		const char *raw;
		int rc;

		pcb_strv_init(&p->extras);
		pcb_strv_init(&p->extras_done);
		p->o = json_object_array_get_idx(a, i);
		pcb_toml_kpath_key(&p->at, "package");
		pcb_toml_kpath_idx(&p->at, i);
		if (!json_object_is_type(p->o, json_type_object))
			return lfail(c, &p->at, "each [[package]] entry must be a table");
		if ((rc = opt_str(c, p->o, "name", &p->at, &raw)) != 0 ||
		    (rc = opt_str(c, p->o, "version", &p->at, &p->version)) != 0)
			return rc;
		if (raw == NULL)
			return lfail(c, &p->at, "a package without 'name'");
		if (p->version == NULL)
			return lfail(c, &p->at, "package %s has no 'version'", raw);
		p->name = pcb_pyname_normalize(raw);
		if (c->kind == PCB_TOOLLOCK_PDM && jget(p->o, "extras") != NULL) {
			json_object *ex = jget(p->o, "extras");
			if (!json_object_is_type(ex, json_type_array))
				return lfail(c, &p->at, "'extras' must be an array of strings");
			for (size_t k = 0; k < json_object_array_length(ex); k++) {
				json_object *e = json_object_array_get_idx(ex, k);
				if (!json_object_is_type(e, json_type_string))
					return lfail(c, &p->at, "'extras' must be an array of strings");
				pcb_strv_push_owned(&p->extras,
				    pcb_pyname_normalize(json_object_get_string(e)));
			}
			pcb_strv_sort(&p->extras);
		}
	}
	return 0;
}

/* ---- turning a selected package into a requirement ------------------------------------------ */

/* Where a package comes from, when not from an index. */
struct origin {
	const char *kind;        /* NULL: an index; "git", "directory", "path", "url", "file", … */
	const char *where;       /* its URL or path */
	const char *index_url;   /* an index other than the default, or NULL */
};

static bool
hash_ok(const char *h)
{
	static const struct { const char *algo; size_t hex; } algos[] = {
		{ "sha256:", 64 }, { "sha384:", 96 }, { "sha512:", 128 },
	};
	for (size_t i = 0; i < PCB_ARRAY_LEN(algos); i++) {
		size_t n = strlen(algos[i].algo);
		if (strncmp(h, algos[i].algo, n) == 0)
			return strlen(h + n) == algos[i].hex &&
			    strspn(h + n, "0123456789abcdefABCDEF") == algos[i].hex;
	}
	return false;
}

static struct pcb_toollock_pkg *
out_find(struct tctx *c, const char *name)
{
	for (size_t i = 0; i < c->out->n; i++)
		if (strcmp(c->out->v[i].name, name) == 0)
			return &c->out->v[i];
	return NULL;
}

/* Whether one of the files is a wheel the image can use; records the package as failing
 * (and returns false) when the lock names files and none is. */
static bool
wheel_check(struct tctx *c, const char *name, const char *version,
    const struct pcb_strv *files)
{
	struct pcb_strv plats, whys, others;
	bool any_file = false, fits = false;

	pcb_strv_init(&plats);
	pcb_strv_init(&whys);
	pcb_strv_init(&others);
	for (size_t i = 0; i < files->n && !fits; i++) {
		struct pcb_wheel_name wn;
		struct pcb_err we;
		char why[256] = "";

		any_file = true;
		pcb_err_clear(&we);
		if (!pcb_str_has_suffix(files->v[i], ".whl")) {
			if (others.n < 2)
				pcb_strv_push(&others, files->v[i]);
			continue;
		}
		if (pcb_wheel_name_parse(files->v[i], &wn, &we) != 0)
			continue;
		/* 1.x locks keep one file list per name, every version's files in it. */
		if (pcb_version_cmp(wn.version, version) != 0) {
			pcb_wheel_name_free(&wn);
			continue;
		}
		if (pcb_wheel_fit(&wn, c->t, why, sizeof why) >= 0) {
			fits = true;
		} else {
			for (size_t j = 0; j < wn.platform.n; j++)
				if (!pcb_strv_contains(&plats, wn.platform.v[j]))
					pcb_strv_push(&plats, wn.platform.v[j]);
			if (why[0] != '\0' && !pcb_strv_contains(&whys, why))
				pcb_strv_push(&whys, why);
		}
		pcb_wheel_name_free(&wn);
	}
	if (any_file && !fits) {
		struct pcb_buf b;
		pcb_buf_init(&b, 400);
		if (plats.n == 0) {
			for (size_t j = 0; j < others.n; j++)
				pcb_buf_appendf(&b, "%s%s", j ? ", " : "", others.v[j]);
			fail_add(c, name, version, "sdist only in the lock (%s)", b.data != NULL ?
			    b.data : "no wheel");
			c->hint_sdist = true;
		} else {
			for (size_t j = 0; j < plats.n && j < 6; j++)
				pcb_buf_appendf(&b, "%s%s", j ? ", " : "", plats.v[j]);
			if (plats.n > 6)
				pcb_buf_appendf(&b, " and %zu more", plats.n - 6);
			if (whys.n == 1)
				fail_add(c, name, version, "wheels for %s only (%s)", b.data, whys.v[0]);
			else
				fail_add(c, name, version, "wheels for %s only", b.data);
		}
		pcb_buf_free(&b);
	}
	pcb_strv_free(&plats);
	pcb_strv_free(&whys);
	pcb_strv_free(&others);
	return fits || !any_file;
}

/* Adds a selected package: its hashes from files (an array of {file|url, hash} tables) or
 * hash_list (an array of "algo:hex" strings), its origin checked. A second entry of the same
 * name and version (PDM's "name[extra]" entries) adds nothing; another version is an error. */
static int
emit(struct tctx *c, const char *name, const char *version, const struct pcb_toml_kpath *at,
    const struct origin *og, json_object *files, json_object *hash_list, const char *marker)
{
	struct pcb_toollock_pkg *p;
	struct pcb_strv hashes, fnames;
	char *url = NULL;
	int rc = 0;

	if (c->self != NULL && strcmp(name, c->self) == 0)
		return 0;
	if ((p = out_find(c, name)) != NULL) {
		if (pcb_version_cmp(p->version, version) == 0)
			return 0;
		return lfail(c, at, "%s is selected in two versions, %s and %s (their markers "
		    "overlap for the image)", name, p->version, version);
	}
	pcb_strv_init(&hashes);
	pcb_strv_init(&fnames);
	if (og->kind != NULL) {
		/* A wheel given by URL or file can still be fetched and hash-checked. */
		const char *w = og->where != NULL ? og->where : "";
		char *last = last_segment(w);
		bool wheel = pcb_str_has_suffix(last, ".whl");
		free(last);
		if (wheel && strcmp(og->kind, "url") == 0 && is_http(w)) {
			url = pcb_xstrdup(w);
		} else if (wheel && (strcmp(og->kind, "file") == 0 || strcmp(og->kind, "url") == 0) &&
		    (pcb_str_has_prefix(w, "file://") || strstr(w, "://") == NULL)) {
			const char *p0 = pcb_str_has_prefix(w, "file://") ? w + 7 : w;
			url = p0[0] == '/' ? pcb_xasprintf("file://%s", p0) :
			    pcb_xasprintf("file://%s/%s", c->dir, pcb_str_has_prefix(p0, "./") ?
			    p0 + 2 : p0);
		} else {
			fail_add(c, name, version, "a %s source (%s), not a package index", og->kind, w);
			c->hint_source = true;
			goto out;
		}
	}
	for (size_t i = 0; files != NULL && i < json_object_array_length(files); i++) {
		json_object *f = json_object_array_get_idx(files, i);
		const char *fn = jstr(f, "file"), *u = jstr(f, "url"), *h = jstr(f, "hash");
		if (!json_object_is_type(f, json_type_object) || h == NULL) {
			rc = lfail(c, at, "%s %s: each file must be a table with a 'hash'", name,
			    version);
			goto out;
		}
		if (fn == NULL && u != NULL)
			pcb_strv_push_owned(&fnames, last_segment(u));
		else if (fn != NULL)
			pcb_strv_push(&fnames, fn);
		if (hash_ok(h) && !pcb_strv_contains(&hashes, h))
			pcb_strv_push(&hashes, h);
	}
	for (size_t i = 0; hash_list != NULL && i < json_object_array_length(hash_list); i++) {
		json_object *h = json_object_array_get_idx(hash_list, i);
		if (!json_object_is_type(h, json_type_string)) {
			rc = lfail(c, at, "%s %s: hashes must be strings", name, version);
			goto out;
		}
		if (hash_ok(json_object_get_string(h)) &&
		    !pcb_strv_contains(&hashes, json_object_get_string(h)))
			pcb_strv_push(&hashes, json_object_get_string(h));
	}
	if (hashes.n == 0) {
		fail_add(c, name, version, "no sha256 file hashes in the lock (pip checks every file "
		    "against them); lock it again with hashes");
		goto out;
	}
	/* A wheel by URL is what it is: pip checks it; the index's files are checked here. */
	if (url == NULL && !wheel_check(c, name, version, &fnames))
		goto out;
	for (size_t i = 0; i < hashes.n; i++)
		for (char *q = hashes.v[i]; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
	pcb_strv_sort(&hashes);
	if (c->out->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->out->v = pcb_xrealloc(c->out->v, c->cap * sizeof *c->out->v);
	}
	p = &c->out->v[c->out->n++];
	memset(p, 0, sizeof *p);
	p->name = pcb_xstrdup(name);
	p->version = pcb_xstrdup(version);
	p->hashes = hashes;
	pcb_strv_init(&hashes);
	p->url = url;
	url = NULL;
	p->marker = marker != NULL && marker[0] != '\0' ? pcb_xstrdup(marker) : NULL;
	if (og->index_url != NULL && !pcb_strv_contains(&c->out->index_urls, og->index_url))
		pcb_strv_push(&c->out->index_urls, og->index_url);
out:
	free(url);
	pcb_strv_free(&hashes);
	pcb_strv_free(&fnames);
	return rc;
}

/* ---- the project's declared dependencies (the walk's roots, and what a lock must have) ------ */

/* A requirement line as read from a project file: PEP 508, or pip's "-e …#egg=name". */
static int
parse_root(const char *line, struct pcb_requirement *r, struct pcb_err *err)
{
	const char *egg;

	while (*line == ' ' || *line == '\t')
		line++;
	if (pcb_str_has_prefix(line, "-e ") || pcb_str_has_prefix(line, "--editable ")) {
		memset(r, 0, sizeof *r);
		pcb_strv_init(&r->extras);
		if ((egg = strstr(line, "#egg=")) == NULL)
			return pcb_err_set(err, PCB_EINVAL, "'%s' names no project (#egg=)", line);
		egg += 5;
		r->name = pcb_xstrndup(egg, strcspn(egg, "[&; "));
		{
			char *n = pcb_pyname_normalize(r->name);
			free(r->name);
			r->name = n;
		}
		r->specifier = pcb_xstrdup("");
		r->url = pcb_xstrdup(line);
		return 0;
	}
	return pcb_requirement_parse(line, r, err);
}

/* The strings of a requirement list ([project].dependencies, a group), [dependency-groups]
 * include-group tables followed. */
static int
list_lines(struct tctx *c, json_object *list, const char *where, struct pcb_strv *lines,
    int depth)
{
	if (list == NULL)
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return pcb_err_set(c->err, PCB_EINVAL, "pyproject.toml: %s must be an array", where);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *inc;
		if (json_object_is_type(e, json_type_string)) {
			pcb_strv_push(lines, json_object_get_string(e));
			continue;
		}
		if ((inc = jstr(e, "include-group")) != NULL && depth < INCLUDE_DEPTH) {
			char *n = pcb_pyname_normalize(inc);
			json_object *g = pcb_pyname_member(jget(c->pyproject, "dependency-groups"), n, NULL);
			int rc;
			free(n);
			if (g == NULL)
				return pcb_err_set(c->err, PCB_EINVAL, "pyproject.toml: %s includes group "
				    "'%s', which [dependency-groups] does not have", where, inc);
			if ((rc = list_lines(c, g, where, lines, depth + 1)) != 0)
				return rc;
			continue;
		}
		return pcb_err_set(c->err, PCB_EINVAL, "pyproject.toml: %s[%zu] is not a requirement "
		    "string", where, i);
	}
	return 0;
}

/* The requirement lines the project declares for the selection: [project].dependencies and
 * optional-dependencies of the extras asked, Poetry's tables (with its groups and extras),
 * and for each group asked [dependency-groups] / [tool.pdm.dev-dependencies]. *groups_found
 * says which asked groups some table had. PCB_EINVAL for tables that cannot be read. */
static int
project_roots(struct tctx *c, struct pcb_strv *lines, struct pcb_strv *groups_found)
{
	json_object *py = c->pyproject, *project = jget(py, "project");
	json_object *tp = jget(jget(py, "tool"), "poetry"), *pdm = jget(jget(py, "tool"), "pdm");
	int rc;

	if ((rc = list_lines(c, jget(project, "dependencies"), "[project].dependencies", lines,
	    0)) != 0)
		return rc;
	for (size_t e = 0; e < c->env.extras.n; e++) {
		json_object *opt = pcb_pyname_member(jget(project, "optional-dependencies"),
		    c->env.extras.v[e], NULL);
		if ((rc = list_lines(c, opt, "[project.optional-dependencies]", lines, 0)) != 0)
			return rc;
	}
	for (size_t g = 0; g < c->groups.n; g++) {
		json_object *dg = pcb_pyname_member(jget(py, "dependency-groups"), c->groups.v[g], NULL);
		json_object *dev = pcb_pyname_member(jget(pdm, "dev-dependencies"), c->groups.v[g], NULL);
		if (dg != NULL || dev != NULL)
			pcb_strv_push(groups_found, c->groups.v[g]);
		if ((rc = list_lines(c, dg, "[dependency-groups]", lines, 0)) != 0 ||
		    (rc = list_lines(c, dev, "[tool.pdm.dev-dependencies]", lines, 0)) != 0)
			return rc;
	}
	if (jget(tp, "dependencies") != NULL) {
		/* Poetry's tables, with only the groups and extras they have (the others may be
		 * [dependency-groups] or [project] ones). */
		struct pcb_strv ex, gr;
		pcb_strv_init(&ex);
		pcb_strv_init(&gr);
		for (size_t e = 0; e < c->env.extras.n; e++)
			if (pcb_pyname_member(jget(tp, "extras"), c->env.extras.v[e], NULL) != NULL)
				pcb_strv_push(&ex, c->env.extras.v[e]);
		for (size_t g = 0; g < c->groups.n; g++) {
			const char *key = NULL;
			if (pcb_pyname_member(jget(tp, "group"), c->groups.v[g], &key) != NULL)
				pcb_strv_push(&gr, key);
			else if (strcmp(c->groups.v[g], "dev") == 0 &&
			    jget(tp, "dev-dependencies") != NULL)
				pcb_strv_push(&gr, "dev");
			else
				continue;
			pcb_strv_push(groups_found, c->groups.v[g]);
		}
		rc = pcb_poetry_requirements(py, c->dir, &ex, &gr, lines, c->err);
		pcb_strv_free(&ex);
		pcb_strv_free(&gr);
		if (rc != 0 && rc != PCB_ENOENT)
			return rc;
	}
	return 0;
}

/* Pipfile [packages] (and the categories asked): the names declared. */
static void
pipfile_roots(struct tctx *c, const struct pcb_strv *cats, struct pcb_strv *names)
{
	for (size_t i = 0; i < cats->n; i++) {
		const char *sect = strcmp(cats->v[i], "default") == 0 ? "packages" :
		    strcmp(cats->v[i], "develop") == 0 ? "dev-packages" : cats->v[i];
		json_object *t = jget(c->pipfile, sect);
		if (t == NULL || !json_object_is_type(t, json_type_object))
			continue;
		json_object_object_foreach(t, k, v) {
			(void)v;
			pcb_strv_push_owned(names, pcb_pyname_normalize(k));
		}
	}
}

/* Every declared dependency whose marker holds must be in the lock (by name): a lock without
 * it is out of date, and the image would lack it. */
static int
roots_in_lock(struct tctx *c, const struct pcb_strv *lines, const struct tpkgs *ps,
    json_object *flat)
{
	struct pcb_buf miss;
	size_t nmiss = 0;
	int rc = 0;

	pcb_buf_init(&miss, 512);
	for (size_t i = 0; i < lines->n; i++) {
		struct pcb_requirement r;
		struct pcb_err e;
		bool holds = true, found = false;

		pcb_err_clear(&e);
		if (parse_root(lines->v[i], &r, &e) != 0)
			continue;   /* Poetry's own lines always parse; others are found by the walk */
		if (r.marker != NULL && pcb_marker_eval(r.marker, &c->env, &holds, &e) != 0)
			holds = true;
		for (size_t k = 0; ps != NULL && k < ps->n && !found; k++)
			found = strcmp(ps->v[k].name, r.name) == 0;
		if (flat != NULL)
			found = found || pcb_pyname_member(flat, r.name, NULL) != NULL;
		if (holds && !found && (c->self == NULL || strcmp(r.name, c->self) != 0)) {
			if (nmiss < 8)
				pcb_buf_appendf(&miss, "%s%s", nmiss ? ", " : "", r.name);
			nmiss++;
		}
		pcb_requirement_free(&r);
	}
	if (nmiss > 0)
		rc = lfail(c, NULL, "the project declares %s%s, which the lock does not have: it is "
		    "out of date with %s (run `%s`), and the image would lack %s", miss.data,
		    nmiss > 8 ? ", …" : "", c->kind == PCB_TOOLLOCK_PIPENV ? "Pipfile" :
		    "pyproject.toml", kind_tools[c->kind], nmiss == 1 ? "it" : "them");
	pcb_buf_free(&miss);
	return rc;
}

/* ---- the walk (Poetry before 2.1, PDM without groups) -------------------------------------- */

struct work {
	size_t pkg;
	char *extra;    /* NULL: the package's own dependencies */
};

struct walk {
	struct tpkgs *ps;
	struct work *q;
	size_t n, cap, head;
};

static void
walk_push(struct walk *w, size_t pkg, const char *extra)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->q = pcb_xrealloc(w->q, w->cap * sizeof *w->q);
	}
	w->q[w->n].pkg = pkg;
	w->q[w->n].extra = pcb_xstrdup(extra);
	w->n++;
}

static void
walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->q[i].extra);
	free(w->q);
}

static bool
strv_eq(const struct pcb_strv *a, const struct pcb_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* The entry a requirement on name (with extras, PEP 440 specifier or NULL) points at, queued
 * with those extras. One missing is an error naming who needs it. */
static int
walk_require(struct tctx *c, struct walk *w, const char *name, const struct pcb_strv *extras,
    const char *spec, const char *who, const struct pcb_toml_kpath *at)
{
	size_t best = SIZE_MAX;

	if (c->self != NULL && strcmp(name, c->self) == 0)
		return 0;
	for (size_t i = 0; i < w->ps->n; i++) {
		struct tpkg *p = &w->ps->v[i];
		bool ok = true;
		struct pcb_err e;

		if (strcmp(p->name, name) != 0 || p->extras.n > 0)
			continue;
		pcb_err_clear(&e);
		if (spec != NULL && spec[0] != '\0' &&
		    pcb_specifier_match(spec, p->version, true, &ok, &e) != 0)
			ok = true;   /* a constraint this cannot read does not decide */
		if (ok && (best == SIZE_MAX ||
		    pcb_version_cmp(p->version, w->ps->v[best].version) > 0))
			best = i;
	}
	if (best == SIZE_MAX) {
		/* An entry that does not match the constraint is still the one the lock has. */
		for (size_t i = 0; i < w->ps->n && best == SIZE_MAX; i++)
			if (strcmp(w->ps->v[i].name, name) == 0 && w->ps->v[i].extras.n == 0)
				best = i;
	}
	if (best == SIZE_MAX)
		return lfail(c, at, "%s needs %s, which the lock does not have: it is out of date "
		    "(run `%s`)", who, name, kind_tools[c->kind]);
	walk_push(w, best, NULL);
	if (extras == NULL || extras->n == 0)
		return 0;
	if (c->kind == PCB_TOOLLOCK_PDM) {
		/* PDM keeps "name[a,b]" as entries of their own. */
		struct pcb_strv sorted;
		bool whole = false;
		pcb_strv_init(&sorted);
		for (size_t i = 0; i < extras->n; i++)
			pcb_strv_push(&sorted, extras->v[i]);
		pcb_strv_sort(&sorted);
		for (size_t i = 0; i < w->ps->n; i++)
			if (strcmp(w->ps->v[i].name, name) == 0 && strv_eq(&w->ps->v[i].extras, &sorted)) {
				walk_push(w, i, NULL);
				whole = true;
			}
		for (size_t x = 0; x < sorted.n && !whole; x++)
			for (size_t i = 0; i < w->ps->n; i++)
				if (strcmp(w->ps->v[i].name, name) == 0 && w->ps->v[i].extras.n == 1 &&
				    strcmp(w->ps->v[i].extras.v[0], sorted.v[x]) == 0)
					walk_push(w, i, NULL);
		pcb_strv_free(&sorted);
		return 0;
	}
	for (size_t i = 0; i < extras->n; i++)
		walk_push(w, best, extras->v[i]);
	return 0;
}

/* A requirement line from the project: queued when its marker holds. */
static int
walk_root(struct tctx *c, struct walk *w, const char *line)
{
	struct pcb_requirement r;
	struct pcb_err e;
	bool holds = true;
	int rc;

	pcb_err_clear(&e);
	if (parse_root(line, &r, &e) != 0)
		return pcb_err_set(c->err, PCB_EINVAL, "pyproject.toml: dependency '%s': %s", line,
		    e.msg);
	if (r.marker != NULL && pcb_marker_eval(r.marker, &c->env, &holds, &e) != 0)
		rc = pcb_err_set(c->err, PCB_EINVAL, "pyproject.toml: dependency '%s': %s", line,
		    e.msg);
	else
		rc = holds ? walk_require(c, w, r.name, &r.extras, r.url == NULL ? r.specifier : NULL,
		    "the project", NULL) : 0;
	pcb_requirement_free(&r);
	return rc;
}

/* The marker of one Poetry dependency constraint: markers, python and platform keys. */
static int
poetry_edge_marker(struct tctx *c, json_object *t, const struct pcb_toml_kpath *at, char **out)
{
	struct pcb_buf mk;
	const char *markers = jstr(t, "markers"), *python = jstr(t, "python");
	const char *platform = jstr(t, "platform");
	struct pcb_err e;
	char *pm = NULL;

	*out = NULL;
	pcb_buf_init(&mk, 8192);
	if (markers != NULL && markers[0] != '\0')
		pcb_buf_appendf(&mk, "(%s)", markers);
	if (python != NULL) {
		pcb_err_clear(&e);
		if (pcb_poetry_python_marker(python, &pm, &e) != 0) {
			pcb_buf_free(&mk);
			return lfail(c, at, "python '%s': %s", python, e.msg);
		}
		if (pm[0] != '\0')
			pcb_buf_appendf(&mk, "%s(%s)", mk.len > 0 ? " and " : "", pm);
		free(pm);
	}
	if (platform != NULL && platform[0] != '\0')
		pcb_buf_appendf(&mk, "%ssys_platform == \"%s\"", mk.len > 0 ? " and " : "", platform);
	*out = mk.len > 0 ? pcb_buf_steal(&mk, NULL) : NULL;
	pcb_buf_free(&mk);
	return 0;
}

/* Follows the Poetry constraints of dependency `name` of package p (a string, a table or an
 * array of them) whose markers hold with `extras` active; optional ones only when
 * with_optional. extra_add: extras the dependency is asked with besides the constraint's. */
static int
poetry_edge(struct tctx *c, struct walk *w, size_t from, const char *name, json_object *spec,
    const struct pcb_toml_kpath *at, bool with_optional, const struct pcb_strv *extras,
    const struct pcb_strv *extra_add)
{
	size_t n = json_object_is_type(spec, json_type_array) ? json_object_array_length(spec) : 1;
	char *norm = pcb_pyname_normalize(name);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		json_object *one = json_object_is_type(spec, json_type_array) ?
		    json_object_array_get_idx(spec, i) : spec;
		const char *version = NULL;
		char *marker = NULL, *pep440 = NULL;
		struct pcb_strv ex;
		struct pcb_err e;
		bool holds = true;

		if (json_object_is_type(one, json_type_object) && truthy(jget(one, "optional")) &&
		    !with_optional)
			continue;
		pcb_strv_init(&ex);
		if (json_object_is_type(one, json_type_string)) {
			version = json_object_get_string(one);
		} else if (json_object_is_type(one, json_type_object)) {
			json_object *xa = jget(one, "extras");
			version = jstr(one, "version");
			if ((rc = poetry_edge_marker(c, one, at, &marker)) != 0) {
				pcb_strv_free(&ex);
				break;
			}
			for (size_t k = 0; xa != NULL && json_object_is_type(xa, json_type_array) &&
			    k < json_object_array_length(xa); k++)
				if (json_object_is_type(json_object_array_get_idx(xa, k), json_type_string))
					pcb_strv_push_owned(&ex, pcb_pyname_normalize(json_object_get_string(
					    json_object_array_get_idx(xa, k))));
		} else {
			rc = lfail(c, at, "dependency %s must be a version string or a table", name);
			pcb_strv_free(&ex);
			break;
		}
		rc = marker_holds(c, at, name, marker, extras, &holds);
		free(marker);
		if (rc == 0 && holds) {
			pcb_err_clear(&e);
			if (version != NULL && pcb_poetry_constraint(version, &pep440, &e) != 0)
				pep440 = NULL;
			for (size_t k = 0; extra_add != NULL && k < extra_add->n; k++)
				if (!pcb_strv_contains(&ex, extra_add->v[k]))
					pcb_strv_push(&ex, extra_add->v[k]);
			rc = walk_require(c, w, norm, &ex, pep440, w->ps->v[from].name, at);
		}
		free(pep440);
		pcb_strv_free(&ex);
	}
	free(norm);
	return rc;
}

/* No extras active: a package's own dependencies. */
static const struct pcb_strv no_extras;

/* One work item of a Poetry walk: a package's dependencies, or one of its extras. */
static int
poetry_step(struct tctx *c, struct walk *w, const struct work *wk)
{
	struct tpkg *p = &w->ps->v[wk->pkg];
	json_object *deps = jget(p->o, "dependencies");
	struct pcb_toml_kpath at = p->at;
	int rc = 0;

	p->selected = true;
	if (deps != NULL && !json_object_is_type(deps, json_type_object)) {
		pcb_toml_kpath_key(&at, "dependencies");
		return lfail(c, &at, "[package.dependencies] must be a table");
	}
	if (wk->extra == NULL) {
		if (p->base_done || deps == NULL)
			return 0;
		p->base_done = true;
		pcb_toml_kpath_key(&at, "dependencies");
		json_object_object_foreach(deps, name, spec) {
			struct pcb_toml_kpath ka = at;
			pcb_toml_kpath_key(&ka, name);
			if ((rc = poetry_edge(c, w, wk->pkg, name, spec, &ka, false, &no_extras,
			    NULL)) != 0)
				return rc;
		}
		return 0;
	}
	if (pcb_strv_contains(&p->extras_done, wk->extra))
		return 0;
	pcb_strv_push(&p->extras_done, wk->extra);
	{
		const char *key = NULL;
		json_object *list = pcb_pyname_member(jget(p->o, "extras"), wk->extra, &key);
		struct pcb_strv active;

		/* An extra the package does not have is ignored, as installers do. */
		if (list == NULL || !json_object_is_type(list, json_type_array))
			return 0;
		pcb_strv_init(&active);
		pcb_strv_push(&active, wk->extra);
		pcb_toml_kpath_key(&at, "extras");
		pcb_toml_kpath_key(&at, key);
		for (size_t i = 0; i < json_object_array_length(list) && rc == 0; i++) {
			json_object *e = json_object_array_get_idx(list, i), *spec;
			struct pcb_requirement r;
			struct pcb_err pe;
			const char *dkey = NULL;
			bool holds = true;

			if (!json_object_is_type(e, json_type_string))
				continue;
			pcb_err_clear(&pe);
			if (pcb_requirement_parse(json_object_get_string(e), &r, &pe) != 0) {
				rc = lfail(c, &at, "extra %s of %s: %s", wk->extra, p->name, pe.msg);
				break;
			}
			rc = marker_holds(c, &at, p->name, r.marker, &active, &holds);
			if (rc == 0 && holds) {
				spec = pcb_pyname_member(deps, r.name, &dkey);
				if (spec != NULL) {
					struct pcb_toml_kpath kd = p->at;
					pcb_toml_kpath_key(&kd, "dependencies");
					pcb_toml_kpath_key(&kd, dkey);
					rc = poetry_edge(c, w, wk->pkg, dkey, spec, &kd, true, &active,
					    &r.extras);
				} else {
					rc = walk_require(c, w, r.name, &r.extras, r.specifier, p->name, &at);
				}
			}
			pcb_requirement_free(&r);
		}
		pcb_strv_free(&active);
	}
	return rc;
}

/* One work item of a PDM walk: an entry's dependencies (PEP 508 strings). */
static int
pdm_step(struct tctx *c, struct walk *w, const struct work *wk)
{
	struct tpkg *p = &w->ps->v[wk->pkg];
	json_object *deps = jget(p->o, "dependencies");
	struct pcb_toml_kpath at = p->at;
	char who[256];

	p->selected = true;
	if (p->base_done)
		return 0;
	p->base_done = true;
	pcb_toml_kpath_key(&at, "dependencies");
	if (deps == NULL)
		return 0;
	if (!json_object_is_type(deps, json_type_array))
		return lfail(c, &at, "'dependencies' must be an array of strings");
	snprintf(who, sizeof who, "%s %s", p->name, p->version);
	for (size_t i = 0; i < json_object_array_length(deps); i++) {
		json_object *d = json_object_array_get_idx(deps, i);
		struct pcb_requirement r;
		struct pcb_err e;
		struct pcb_toml_kpath kd = at;
		bool holds = true;
		int rc;

		pcb_toml_kpath_idx(&kd, i);
		if (!json_object_is_type(d, json_type_string))
			return lfail(c, &kd, "'dependencies' must be an array of strings");
		pcb_err_clear(&e);
		if (pcb_requirement_parse(json_object_get_string(d), &r, &e) != 0)
			return lfail(c, &kd, "%s: %s", who, e.msg);
		rc = marker_holds(c, &kd, who, r.marker, &no_extras, &holds);
		if (rc == 0 && holds)
			rc = walk_require(c, w, r.name, &r.extras, r.url == NULL ? r.specifier : NULL,
			    who, &kd);
		pcb_requirement_free(&r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Walks from the project's declared dependencies; marks what it reaches. */
static int
walk_all(struct tctx *c, struct tpkgs *ps)
{
	struct walk w = { .ps = ps };
	struct pcb_strv lines, found;
	int rc;

	pcb_strv_init(&lines);
	pcb_strv_init(&found);
	if (c->pyproject == NULL) {
		rc = lfail(c, NULL, "this %s keeps no groups, so the packages the project needs are "
		    "found from its dependencies, and there is no pyproject.toml beside it",
		    c->kind == PCB_TOOLLOCK_POETRY ? "lock-version" : "lock");
		goto out;
	}
	if ((rc = project_roots(c, &lines, &found)) != 0)
		goto out;
	for (size_t g = 0; g < c->groups.n; g++)
		if (!pcb_strv_contains(&found, c->groups.v[g])) {
			rc = lfail(c, NULL, "dependency group '%s' is in neither the lock (which keeps no "
			    "groups) nor pyproject.toml", c->groups.v[g]);
			goto out;
		}
	for (size_t i = 0; i < lines.n; i++)
		if ((rc = walk_root(c, &w, lines.v[i])) != 0)
			goto out;
	for (w.head = 0; w.head < w.n; w.head++) {
		struct work wk = w.q[w.head];
		rc = c->kind == PCB_TOOLLOCK_POETRY ? poetry_step(c, &w, &wk) : pdm_step(c, &w, &wk);
		if (rc != 0)
			goto out;
	}
out:
	walk_free(&w);
	pcb_strv_free(&lines);
	pcb_strv_free(&found);
	return rc;
}

/* ---- Poetry ------------------------------------------------------------------------------- */

/* Whether a lock-version is at least 2.1 (per-package groups and markers). */
static bool
poetry_has_groups(const char *lv)
{
	return pcb_version_cmp(lv, "2.1") >= 0;
}

/* Poetry 2.1+: groups and markers per package, as Poetry's own installer reads them. */
static int
poetry_filter(struct tctx *c, struct tpkgs *ps)
{
	struct pcb_strv wanted, known;
	int rc = 0;

	pcb_strv_init(&wanted);
	pcb_strv_init(&known);
	pcb_strv_push(&wanted, "main");
	for (size_t g = 0; g < c->groups.n; g++)
		pcb_strv_push(&wanted, c->groups.v[g]);
	for (size_t i = 0; i < ps->n && rc == 0; i++) {
		struct tpkg *p = &ps->v[i];
		json_object *groups = jget(p->o, "groups"), *markers = jget(p->o, "markers");
		struct pcb_toml_kpath km = p->at;
		bool in = false, holds = false;

		pcb_toml_kpath_key(&km, "markers");
		if (groups == NULL || !json_object_is_type(groups, json_type_array)) {
			struct pcb_toml_kpath kg = p->at;
			pcb_toml_kpath_key(&kg, "groups");
			rc = lfail(c, &kg, "package %s has no 'groups' array (lock-version 2.1 has "
			    "them)", p->name);
			break;
		}
		if (markers != NULL && !json_object_is_type(markers, json_type_string) &&
		    !json_object_is_type(markers, json_type_object)) {
			rc = lfail(c, &km, "'markers' must be a string or a table of strings");
			break;
		}
		for (size_t k = 0; k < json_object_array_length(groups) && rc == 0 && !holds; k++) {
			json_object *g = json_object_array_get_idx(groups, k);
			const char *m;
			char *gn;
			if (!json_object_is_type(g, json_type_string))
				continue;
			gn = pcb_pyname_normalize(json_object_get_string(g));
			if (!pcb_strv_contains(&known, gn))
				pcb_strv_push(&known, gn);
			if (!pcb_strv_contains(&wanted, gn)) {
				free(gn);
				continue;
			}
			in = true;
			m = markers == NULL ? NULL : json_object_is_type(markers, json_type_string) ?
			    json_object_get_string(markers) : jstr(markers, json_object_get_string(g));
			rc = marker_holds(c, &km, p->name, m, NULL, &holds);
			if (holds && m != NULL)
				p->marker = m;
			free(gn);
		}
		p->selected = in && holds;
	}
	for (size_t g = 0; g < c->groups.n && rc == 0; g++)
		if (!pcb_strv_contains(&known, c->groups.v[g]))
			rc = lfail(c, NULL, "dependency group '%s' is not in the lock", c->groups.v[g]);
	pcb_strv_free(&wanted);
	pcb_strv_free(&known);
	return rc;
}

/* A Poetry package's files: `files`, else [metadata.files] (1.1), else [metadata.hashes]
 * (1.0, hashes only). */
static void
poetry_files(struct tctx *c, const struct tpkg *p, json_object **files, json_object **hashes)
{
	json_object *meta = jget(c->doc, "metadata");

	*files = jget(p->o, "files");
	*hashes = NULL;
	if (*files == NULL)
		*files = pcb_pyname_member(jget(meta, "files"), p->name, NULL);
	if (*files == NULL)
		*hashes = pcb_pyname_member(jget(meta, "hashes"), p->name, NULL);
	if (*files != NULL && !json_object_is_type(*files, json_type_array))
		*files = NULL;
	if (*hashes != NULL && !json_object_is_type(*hashes, json_type_array))
		*hashes = NULL;
}

static int
poetry_load(struct tctx *c, struct tpkgs *ps)
{
	json_object *meta = jget(c->doc, "metadata"), *lock_extras = jget(c->doc, "extras");
	const char *lv = jstr(meta, "lock-version"), *pyv = jstr(meta, "python-versions");
	struct pcb_strv lines, found;
	int rc;

	pcb_strv_init(&lines);
	pcb_strv_init(&found);
	if (lv == NULL)
		lv = "1.0";
	for (size_t e = 0; e < c->env.extras.n; e++)
		if (pcb_pyname_member(lock_extras, c->env.extras.v[e], NULL) == NULL) {
			rc = lfail(c, NULL, "extra '%s' is not in the lock's [extras]",
			    c->env.extras.v[e]);
			goto out;
		}
	if (pyv != NULL) {
		char *pm = NULL;
		struct pcb_err e;
		bool ok = true;
		pcb_err_clear(&e);
		if (pcb_poetry_python_marker(pyv, &pm, &e) == 0 &&
		    pcb_marker_eval(pm, &c->env, &ok, &e) == 0 && !ok)
			pcb_strv_push_owned(&c->out->warnings, pcb_xasprintf("poetry.lock was made for "
			    "Python %s; the image has %s", pyv, c->tdesc));
		free(pm);
	}
	if (poetry_has_groups(lv)) {
		if ((rc = poetry_filter(c, ps)) != 0)
			goto out;
		if (c->pyproject != NULL) {
			if ((rc = project_roots(c, &lines, &found)) != 0 ||
			    (rc = roots_in_lock(c, &lines, ps, NULL)) != 0)
				goto out;
		}
	} else if ((rc = walk_all(c, ps)) != 0) {
		goto out;
	}
	for (size_t i = 0; i < ps->n; i++) {
		struct tpkg *p = &ps->v[i];
		json_object *src = jget(p->o, "source"), *files, *hashes;
		struct origin og = { NULL, NULL, NULL };
		const char *type = jstr(src, "type");

		if (!p->selected) {
			c->out->skipped++;
			continue;
		}
		if (type != NULL && strcmp(type, "legacy") != 0 && strcmp(type, "pypi") != 0) {
			og.kind = type;
			og.where = jstr(src, "url");
		} else if (type != NULL && strcmp(type, "legacy") == 0) {
			og.index_url = jstr(src, "url");
		}
		poetry_files(c, p, &files, &hashes);
		if ((rc = emit(c, p->name, p->version, &p->at, &og, files, hashes, p->marker)) != 0)
			goto out;
	}
	rc = 0;
out:
	pcb_strv_free(&lines);
	pcb_strv_free(&found);
	return rc;
}

/* ---- PDM ------------------------------------------------------------------------------------ */

static int
pdm_filter(struct tctx *c, struct tpkgs *ps)
{
	struct pcb_strv wanted;
	int rc = 0;

	pcb_strv_init(&wanted);
	pcb_strv_push(&wanted, "default");
	for (size_t e = 0; e < c->env.extras.n; e++)
		pcb_strv_push(&wanted, c->env.extras.v[e]);
	for (size_t g = 0; g < c->groups.n; g++)
		pcb_strv_push(&wanted, c->groups.v[g]);
	for (size_t i = 0; i < ps->n && rc == 0; i++) {
		struct tpkg *p = &ps->v[i];
		json_object *groups = jget(p->o, "groups");
		const char *marker = NULL;
		bool in = false, holds = true;

		for (size_t k = 0; k < json_object_array_length(groups) && !in; k++) {
			json_object *g = json_object_array_get_idx(groups, k);
			char *gn;
			if (!json_object_is_type(g, json_type_string))
				continue;
			gn = pcb_pyname_normalize(json_object_get_string(g));
			in = pcb_strv_contains(&wanted, gn);
			free(gn);
		}
		if (in && (rc = opt_str(c, p->o, "marker", &p->at, &marker)) == 0) {
			struct pcb_toml_kpath km = p->at;
			pcb_toml_kpath_key(&km, "marker");
			rc = marker_holds(c, &km, p->name, marker, NULL, &holds);
		}
		p->selected = in && holds;
		p->marker = marker;
	}
	pcb_strv_free(&wanted);
	return rc;
}

static int
pdm_load(struct tctx *c, struct tpkgs *ps)
{
	json_object *meta = jget(c->doc, "metadata"), *mgroups = jget(meta, "groups");
	bool all_grouped = ps->n > 0;
	struct pcb_strv lines, found;
	int rc = 0;

	pcb_strv_init(&lines);
	pcb_strv_init(&found);
	/* A group or extra asked must be one the lock was made with. */
	for (int pass = 0; pass < 2 && mgroups != NULL; pass++) {
		const struct pcb_strv *asked = pass == 0 ? &c->env.extras : &c->groups;
		for (size_t i = 0; i < asked->n; i++) {
			bool known = false;
			for (size_t k = 0; json_object_is_type(mgroups, json_type_array) &&
			    k < json_object_array_length(mgroups) && !known; k++) {
				json_object *g = json_object_array_get_idx(mgroups, k);
				char *gn = json_object_is_type(g, json_type_string) ?
				    pcb_pyname_normalize(json_object_get_string(g)) : NULL;
				known = gn != NULL && strcmp(gn, asked->v[i]) == 0;
				free(gn);
			}
			if (!known) {
				struct pcb_toml_kpath kp = { .n = 0 };
				pcb_toml_kpath_key(&kp, "metadata");
				pcb_toml_kpath_key(&kp, "groups");
				rc = lfail(c, &kp, "%s '%s' is not one of the lock's groups",
				    pass == 0 ? "extra" : "dependency group", asked->v[i]);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < ps->n; i++)
		all_grouped = all_grouped && json_object_is_type(jget(ps->v[i].o, "groups"),
		    json_type_array);
	if (all_grouped) {
		if ((rc = pdm_filter(c, ps)) != 0)
			goto out;
		if (c->pyproject != NULL) {
			if ((rc = project_roots(c, &lines, &found)) != 0 ||
			    (rc = roots_in_lock(c, &lines, ps, NULL)) != 0)
				goto out;
		}
	} else if ((rc = walk_all(c, ps)) != 0) {
		goto out;
	}
	for (size_t i = 0; i < ps->n; i++) {
		static const char *const kinds[] = { "git", "hg", "svn", "bzr", "path", "url" };
		struct tpkg *p = &ps->v[i];
		struct origin og = { NULL, NULL, NULL };
		json_object *files = jget(p->o, "files");
		const char *rp = jstr(p->o, "requires_python");

		if (!p->selected) {
			c->out->skipped++;
			continue;
		}
		for (size_t k = 0; k < PCB_ARRAY_LEN(kinds) && og.kind == NULL; k++)
			if (jstr(p->o, kinds[k]) != NULL) {
				og.kind = kinds[k];
				og.where = jstr(p->o, kinds[k]);
			}
		if (og.kind != NULL && strcmp(og.kind, "path") == 0 && truthy(jget(p->o, "editable")))
			og.kind = "editable path";
		if (files == NULL) {
			char *key = pcb_xasprintf("%s %s", p->name, p->version);
			files = pcb_pyname_member(jget(meta, "files"), key, NULL);
			free(key);
		}
		if (files != NULL && !json_object_is_type(files, json_type_array))
			files = NULL;
		if (rp != NULL && rp[0] != '\0' && (c->self == NULL || strcmp(p->name, c->self) != 0)) {
			bool ok = true;
			struct pcb_err e;
			pcb_err_clear(&e);
			if (pcb_specifier_match(rp, c->env.python_full_version, true, &ok, &e) == 0 &&
			    !ok) {
				fail_add(c, p->name, p->version, "requires Python %s", rp);
				continue;
			}
		}
		if ((rc = emit(c, p->name, p->version, &p->at, &og, files, NULL, p->marker)) != 0)
			goto out;
	}
out:
	pcb_strv_free(&lines);
	pcb_strv_free(&found);
	return rc;
}

/* ---- Pipfile.lock --------------------------------------------------------------------------- */

/* The URL of a named source in _meta.sources, when it is not PyPI. */
static const char *
pipenv_index(struct tctx *c, const char *name)
{
	json_object *srcs = jget(jget(c->doc, "_meta"), "sources");

	for (size_t i = 0; name != NULL && json_object_is_type(srcs, json_type_array) &&
	    i < json_object_array_length(srcs); i++) {
		json_object *s = json_object_array_get_idx(srcs, i);
		const char *n = jstr(s, "name"), *u = jstr(s, "url");
		if (n != NULL && u != NULL && strcmp(n, name) == 0)
			return strstr(u, "://pypi.org/") != NULL || strstr(u, "://pypi.python.org/") ?
			    NULL : u;
	}
	return NULL;
}

/* A path entry that is the project itself ("." or the lock's folder). */
static bool
pipenv_is_self(struct tctx *c, const char *path)
{
	char *abs;
	bool self;

	if (strcmp(path, ".") == 0 || strcmp(path, "./") == 0)
		return true;
	abs = path[0] == '/' ? realpath(path, NULL) : NULL;
	self = abs != NULL && strcmp(abs, c->dir) == 0;
	free(abs);
	return self;
}

static int
pipenv_load(struct tctx *c)
{
	struct pcb_strv cats, declared;
	int rc = 0;

	pcb_strv_init(&cats);
	pcb_strv_init(&declared);
	if (c->env.extras.n > 0) {
		rc = lfail(c, NULL, "Pipfile.lock has no extras (asked: %s); ask for a category "
		    "with a group", c->env.extras.v[0]);
		goto out;
	}
	pcb_strv_push(&cats, "default");
	for (size_t g = 0; g < c->groups.n; g++) {
		const char *cat = strcmp(c->groups.v[g], "dev") == 0 ? "develop" : c->groups.v[g];
		if (jget(c->doc, cat) == NULL || strcmp(cat, "_meta") == 0 ||
		    !json_object_is_type(jget(c->doc, cat), json_type_object)) {
			rc = lfail(c, NULL, "dependency group '%s' is not a category of the lock",
			    c->groups.v[g]);
			goto out;
		}
		if (!pcb_strv_contains(&cats, cat))
			pcb_strv_push(&cats, cat);
	}
	{
		const char *pv = jstr(jget(jget(c->doc, "_meta"), "requires"), "python_version");
		char tv[16];
		snprintf(tv, sizeof tv, "%d.%d", c->t->py_major, c->t->py_minor);
		if (pv != NULL && strcmp(pv, tv) != 0)
			pcb_strv_push_owned(&c->out->warnings, pcb_xasprintf("Pipfile.lock was made "
			    "for Python %s; the image has %s", pv, c->tdesc));
	}
	if (c->pipfile != NULL) {
		struct pcb_strv lines;
		pipfile_roots(c, &cats, &declared);
		pcb_strv_init(&lines);
		for (size_t i = 0; i < declared.n; i++)
			pcb_strv_push(&lines, declared.v[i]);
		{
			/* Declared in any category asked, locked in any of them. */
			json_object *all = json_object_new_object();
			for (size_t i = 0; i < cats.n; i++) {
				json_object *cat = jget(c->doc, cats.v[i]);
				if (cat == NULL || !json_object_is_type(cat, json_type_object))
					continue;
				json_object_object_foreach(cat, k, v)
					put(all, k, v);
			}
			rc = roots_in_lock(c, &lines, NULL, all);
			json_object_put(all);
		}
		pcb_strv_free(&lines);
		if (rc != 0)
			goto out;
	}
	{
		json_object_object_foreach(c->doc, catname, cat) {
			if (strcmp(catname, "_meta") == 0)
				continue;
			if (!json_object_is_type(cat, json_type_object)) {
				rc = lfail(c, NULL, "\"%s\" must be an object", catname);
				goto out;
			}
			if (!pcb_strv_contains(&cats, catname)) {
				c->out->skipped += (size_t)json_object_object_length(cat);
				continue;
			}
			json_object_object_foreach(cat, rawname, e) {
				struct origin og = { NULL, NULL, NULL };
				const char *version, *marker, *path;
				json_object *hashes = jget(e, "hashes");
				char *name = pcb_pyname_normalize(rawname);
				bool holds = true;

				if (!json_object_is_type(e, json_type_object)) {
					rc = lfail(c, NULL, "\"%s\".\"%s\" must be an object", catname, rawname);
					free(name);
					goto out;
				}
				version = jstr(e, "version");
				marker = jstr(e, "markers");
				path = jstr(e, "path");
				if (path != NULL && pipenv_is_self(c, path)) {
					free(name);
					continue;
				}
				if ((rc = marker_holds(c, NULL, name, marker, NULL, &holds)) != 0) {
					free(name);
					goto out;
				}
				if (!holds) {
					c->out->skipped++;
					free(name);
					continue;
				}
				if (jstr(e, "git") != NULL || jstr(e, "hg") != NULL ||
				    jstr(e, "svn") != NULL || jstr(e, "bzr") != NULL) {
					og.kind = jstr(e, "git") != NULL ? "git" : jstr(e, "hg") != NULL ?
					    "hg" : jstr(e, "svn") != NULL ? "svn" : "bzr";
					og.where = jstr(e, og.kind);
				} else if (path != NULL) {
					og.kind = truthy(jget(e, "editable")) ? "editable path" : "path";
					og.where = path;
					if (pcb_str_has_suffix(path, ".whl")) {
						og.kind = "file";
					}
				} else if (jstr(e, "file") != NULL) {
					og.kind = "url";
					og.where = jstr(e, "file");
				} else {
					og.index_url = pipenv_index(c, jstr(e, "index"));
				}
				if (version == NULL && og.kind == NULL) {
					rc = lfail(c, NULL, "\"%s\".\"%s\" has no \"version\"", catname, rawname);
					free(name);
					goto out;
				}
				if (version != NULL) {
					while (*version == '=')
						version++;
				}
				if (hashes != NULL && !json_object_is_type(hashes, json_type_array)) {
					rc = lfail(c, NULL, "\"%s\".\"%s\": \"hashes\" must be an array",
					    catname, rawname);
					free(name);
					goto out;
				}
				rc = emit(c, name, version != NULL ? version : "", NULL, &og, NULL, hashes,
				    marker);
				free(name);
				if (rc != 0)
					goto out;
			}
		}
	}
out:
	pcb_strv_free(&cats);
	pcb_strv_free(&declared);
	return rc;
}

/* ---- entry points --------------------------------------------------------------------------- */

static int
cmp_pkg(const void *a, const void *b)
{
	const struct pcb_toollock_pkg *x = a, *y = b;
	return strcmp(x->name, y->name);
}

int
pcb_toollock_load(const char *path, const struct pcb_pytarget *t,
    const struct pcb_lock_select *sel, struct pcb_toollock *out, struct pcb_err *err)
{
	struct tctx c;
	struct tpkgs ps = { NULL, 0 };
	struct pcb_toollock res;
	int rc;

	memset(&c, 0, sizeof c);
	memset(&res, 0, sizeof res);
	pcb_strv_init(&res.index_urls);
	pcb_strv_init(&res.warnings);
	pcb_strv_init(&c.groups);
	c.t = t;
	c.out = &res;
	pcb_buf_init(&c.fails, FAILS_MAX);
	pcb_marker_env_init(&c.env, t);
	pcb_pytarget_describe(t, c.tdesc);
	for (size_t i = 0; sel != NULL && sel->extras != NULL && i < sel->extras->n; i++) {
		char *x = pcb_pyname_normalize(sel->extras->v[i]);
		if (!pcb_strv_contains(&c.env.extras, x))
			pcb_strv_push(&c.env.extras, x);
		free(x);
	}
	for (size_t i = 0; sel != NULL && sel->groups != NULL && i < sel->groups->n; i++) {
		char *g = pcb_pyname_normalize(sel->groups->v[i]);
		if (!pcb_strv_contains(&c.groups, g))
			pcb_strv_push(&c.groups, g);
		if (!pcb_strv_contains(&c.env.dependency_groups, g))
			pcb_strv_push(&c.env.dependency_groups, g);
		free(g);
	}
	if ((rc = ctx_open(&c, path, err)) != 0 || (rc = check_shape(&c)) != 0)
		goto out;
	res.kind = c.kind;
	if (c.kind == PCB_TOOLLOCK_PIPENV) {
		rc = pipenv_load(&c);
	} else {
		if ((rc = tpkgs_read(&c, &ps)) != 0)
			goto out;
		rc = c.kind == PCB_TOOLLOCK_POETRY ? poetry_load(&c, &ps) : pdm_load(&c, &ps);
	}
	if (rc != 0)
		goto out;
	if (c.nfail > 0) {
		char more[48] = "";
		if (c.nfail_dropped > 0)
			snprintf(more, sizeof more, "; and %zu more", c.nfail_dropped);
		rc = pcb_err_set(err, PCB_EINVAL, "%s: %s%s; the image is %s%s%s", path, c.fails.data,
		    more, c.tdesc, c.hint_sdist ? ". Images get wheels, never builds: pin releases "
		    "that have wheels, or build the wheel and give it in the lock by url" : "",
		    c.hint_source ? ". pip fetches a lock's packages from an index, hash-checked: "
		    "publish the package as a wheel (or give its .whl by url), or install with "
		    "--requirements FILE" : "");
		goto out;
	}
	if (res.n > 0)
		qsort(res.v, res.n, sizeof *res.v, cmp_pkg);
out:
	if (rc == 0)
		*out = res;
	else
		pcb_toollock_free(&res);
	tpkgs_free(&ps);
	ctx_close(&c);
	pcb_strv_free(&c.groups);
	pcb_marker_env_free(&c.env);
	pcb_buf_free(&c.fails);
	return rc;
}

char *
pcb_toollock_requirements(const struct pcb_toollock *l, const char *header,
    const struct pcb_strv *skip_indexes)
{
	struct pcb_buf b;

	pcb_buf_init(&b, 64 << 20);
	if (header != NULL)
		pcb_buf_appendf(&b, "# %s\n", header);
	for (size_t i = 0; i < l->index_urls.n; i++)
		if (skip_indexes == NULL || !pcb_strv_contains(skip_indexes, l->index_urls.v[i]))
			pcb_buf_appendf(&b, "--extra-index-url %s\n", l->index_urls.v[i]);
	for (size_t i = 0; i < l->n; i++) {
		const struct pcb_toollock_pkg *p = &l->v[i];
		if (p->url != NULL)
			pcb_buf_appendf(&b, "%s @ %s", p->name, p->url);
		else
			pcb_buf_appendf(&b, "%s==%s", p->name, p->version);
		for (size_t k = 0; k < p->hashes.n; k++)
			pcb_buf_appendf(&b, " --hash=%s", p->hashes.v[k]);
		pcb_buf_append(&b, "\n", 1);
	}
	if (b.data == NULL)
		return pcb_xstrdup("");
	return pcb_buf_steal(&b, NULL);
}
