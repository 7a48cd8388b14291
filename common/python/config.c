/* config.c — pycontainer.toml and [tool.pycontainer]: strict reading (unknown keys and wrong
 * types are errors naming file, line and key), validation of each value, and the merge of the
 * two levels with the origin of every value kept for the plan. */
#include "python/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/oci.h"
#include "python/toml.h"

#define CONFIG_MAX (1024 * 1024)
#define LIST_MAX 256
#define STR_MAX 4096

/* Where the table being read lives: the file, its positions and the key path of the table
 * ({"build"} or {"tool", "pycontainer"}), shown to users as "[build]". */
struct where {
	const char *file;
	const struct pcb_toml_locs *locs;
	const char *path[4];
	size_t n;
	const char *shown;    /* "build" | "tool.pycontainer" */
};

void
pcb_config_init(struct pcb_project_config *c)
{
	memset(c, 0, sizeof *c);
	pcb_strv_init(&c->tags.value);
	pcb_strv_init(&c->entrypoint.value);
	pcb_strv_init(&c->cmd.value);
	pcb_strv_init(&c->include.value);
	pcb_strv_init(&c->exclude.value);
	pcb_strv_init(&c->platforms.value);
	pcb_strv_init(&c->cache_from.value);
	pcb_strv_init(&c->env.kv);
	pcb_strv_init(&c->env.sources);
	pcb_strv_init(&c->labels.kv);
	pcb_strv_init(&c->labels.sources);
}

static void
str_free(struct pcb_config_str *s)
{
	free(s->value);
	free(s->source);
	s->value = s->source = NULL;
}

static void
list_free(struct pcb_config_list *l)
{
	pcb_strv_free(&l->value);
	free(l->source);
	l->source = NULL;
	l->set = false;
}

void
pcb_config_free(struct pcb_project_config *c)
{
	if (c == NULL)
		return;
	list_free(&c->tags);
	str_free(&c->workdir);
	list_free(&c->entrypoint);
	list_free(&c->cmd);
	pcb_strv_free(&c->env.kv);
	pcb_strv_free(&c->env.sources);
	pcb_strv_free(&c->labels.kv);
	pcb_strv_free(&c->labels.sources);
	str_free(&c->platform);
	list_free(&c->platforms);
	str_free(&c->base_image);
	str_free(&c->cache_to);
	list_free(&c->cache_from);
	str_free(&c->python_version);
	free(c->port_source);
	str_free(&c->user);
	list_free(&c->include);
	list_free(&c->exclude);
	str_free(&c->registry_url);
	free(c->registry_insecure_source);
	memset(c, 0, sizeof *c);
}

/* The line where key (and, when not NULL, sub, a key inside it) was defined; 0 when unknown. */
static int
key_line(const struct where *w, const char *key, const char *sub)
{
	const char *path[6];
	size_t n = 0;
	int line;

	if (w->locs == NULL)
		return 0;
	for (size_t i = 0; i < w->n; i++)
		path[n++] = w->path[i];
	if (key != NULL)
		path[n++] = key;
	if (sub != NULL)
		path[n++] = sub;
	line = pcb_toml_locs_line(w->locs, path, n, NULL);
	/* A key of an inline table may be unknown to the index: its table's line is next best. */
	if (line == 0 && sub != NULL)
		line = pcb_toml_locs_line(w->locs, path, n - 1, NULL);
	return line;
}

/* "<file>: line L: [table].key <what>" (no line part when the line is unknown). */
static int
failf(struct pcb_err *err, const struct where *w, const char *key, const char *sub,
    const char *what)
{
	int line = key_line(w, key, sub);
	char name[300];

	if (sub != NULL)
		snprintf(name, sizeof name, "[%s.%s].%.100s", w->shown, key, sub);
	else
		snprintf(name, sizeof name, "[%s].%.100s", w->shown, key);
	if (line > 0)
		return pcb_err_set(err, PCB_EINVAL, "%s: line %d: %s %s", w->file, line, name, what);
	return pcb_err_set(err, PCB_EINVAL, "%s: %s %s", w->file, name, what);
}

static const char *
type_name(json_object *v)
{
	if (v == NULL)
		return "null";
	if (pcb_toml_type_of(v) != PCB_TOML_NONE)
		return "a date/time";
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a float";
	case json_type_int: return "an integer";
	case json_type_object: return "a table";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "something else";
}

static bool
is_text(json_object *v)
{
	return v != NULL && json_object_get_type(v) == json_type_string &&
	    pcb_toml_type_of(v) == PCB_TOML_NONE;
}

static int
wrong_type(struct pcb_err *err, const struct where *w, const char *key, const char *sub,
    const char *want, json_object *v)
{
	char what[128];

	snprintf(what, sizeof what, "must be %s, not %s", want, type_name(v));
	return failf(err, w, key, sub, what);
}

static char *
source_of(const struct where *w, const char *key, const char *sub)
{
	if (sub != NULL)
		return pcb_xasprintf("%s [%s.%s].%s", w->file, w->shown, key, sub);
	return pcb_xasprintf("%s [%s].%s", w->file, w->shown, key);
}

/* A string value (no NUL bytes, bounded). */
static int
get_text(struct pcb_err *err, const struct where *w, const char *key, const char *sub,
    json_object *v, const char **out)
{
	if (!is_text(v))
		return wrong_type(err, w, key, sub, "a string", v);
	if ((size_t)json_object_get_string_len(v) > STR_MAX ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return failf(err, w, key, sub, "is too long or holds a NUL byte");
	*out = json_object_get_string(v);
	return 0;
}

static void
set_str(struct pcb_config_str *s, const char *value, char *source)
{
	str_free(s);
	s->value = pcb_xstrdup(value);
	s->source = source;
}

static int
get_list(struct pcb_err *err, const struct where *w, const char *key, json_object *v,
    struct pcb_config_list *out)
{
	struct pcb_strv tmp;
	size_t n;
	int rc = 0;

	pcb_strv_init(&tmp);
	if (v == NULL || json_object_get_type(v) != json_type_array) {
		rc = wrong_type(err, w, key, NULL, "an array of strings", v);
		goto out;
	}
	n = json_object_array_length(v);
	if (n > LIST_MAX) {
		rc = failf(err, w, key, NULL, "has more than 256 entries");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *s;

		if (!is_text(e)) {
			char what[128];
			snprintf(what, sizeof what, "must be an array of strings (item %zu is %s)", i,
			    type_name(e));
			rc = failf(err, w, key, NULL, what);
			goto out;
		}
		if ((rc = get_text(err, w, key, NULL, e, &s)) != 0)
			goto out;
		pcb_strv_push(&tmp, s);
	}
	list_free(out);
	out->value = tmp;
	pcb_strv_init(&tmp);
	out->set = true;
	out->source = source_of(w, key, NULL);
out:
	pcb_strv_free(&tmp);
	return rc;
}

static bool
env_key_ok(const char *k)
{
	if (!(isalpha((unsigned char)*k) || *k == '_'))
		return false;
	for (; *k; k++)
		if (!(isalnum((unsigned char)*k) || *k == '_'))
			return false;
	return true;
}

/* [build.env] / [build.labels]: a table of strings, merged key by key into out. */
static int
get_kv(struct pcb_err *err, const struct where *w, const char *key, json_object *v, bool env,
    struct pcb_config_kv *out)
{
	if (v == NULL || json_object_get_type(v) != json_type_object)
		return wrong_type(err, w, key, NULL, "a table of strings", v);
	if (json_object_object_length(v) > LIST_MAX)
		return failf(err, w, key, NULL, "has more than 256 entries");
	json_object_object_foreach(v, k, val) {
		const char *s;
		char *kv;
		size_t klen = strlen(k), i;
		int rc;

		/* A label name may be any text but empty, '=' or U+0000 (PCB_TOML_KEY_NUL: kept
		 * out of the image config, whose JSON it would make invalid UTF-8). */
		if (env ? !env_key_ok(k) : (k[0] == '\0' || strchr(k, '=') != NULL ||
		    strstr(k, PCB_TOML_KEY_NUL) != NULL))
			return failf(err, w, key, k, env ? "is not a valid variable name (letters, "
			    "digits and '_', not starting with a digit)" : "is not a valid label name");
		if ((rc = get_text(err, w, key, k, val, &s)) != 0)
			return rc;
		kv = pcb_xasprintf("%s=%s", k, s);
		for (i = 0; i < out->kv.n; i++)
			if (strncmp(out->kv.v[i], kv, klen + 1) == 0)
				break;
		if (i < out->kv.n) {
			free(out->kv.v[i]);
			free(out->sources.v[i]);
			out->kv.v[i] = kv;
			out->sources.v[i] = source_of(w, key, k);
		} else {
			pcb_strv_push_owned(&out->kv, kv);
			pcb_strv_push_owned(&out->sources, source_of(w, key, k));
		}
	}
	return 0;
}

/* An absolute path without "." or ".." components. */
static bool
abs_path_ok(const char *p)
{
	const char *c = p;

	if (p[0] != '/')
		return false;
	while (*c != '\0') {
		const char *e = strchr(c + 1, '/');
		size_t len = e != NULL ? (size_t)(e - c - 1) : strlen(c + 1);
		if ((len == 1 && c[1] == '.') || (len == 2 && c[1] == '.' && c[2] == '.'))
			return false;
		if (e == NULL)
			break;
		c = e;
	}
	return true;
}

/* A context-relative path that stays inside the context. */
static bool
rel_path_ok(const char *p)
{
	const char *c = p;

	if (p[0] == '\0' || p[0] == '/')
		return false;
	for (;;) {
		const char *e = strchr(c, '/');
		size_t len = e != NULL ? (size_t)(e - c) : strlen(c);
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return false;
		if (e == NULL)
			return true;
		c = e + 1;
	}
}

/* platforms = [...]: 1 to 16 platforms images are made for, none twice. */
static int
get_platforms(struct pcb_err *err, const struct where *w, const char *key, json_object *v,
    struct pcb_config_list *out)
{
	struct pcb_strv seen;
	char what[PCB_ERR_MSG_MAX / 2];
	int rc;

	if ((rc = get_list(err, w, key, v, out)) != 0)
		return rc;
	if (out->value.n == 0 || out->value.n > 16)
		return failf(err, w, key, NULL, "must list 1 to 16 platforms");
	pcb_strv_init(&seen);
	for (size_t i = 0; i < out->value.n && rc == 0; i++) {
		struct pcb_platform p;
		struct pcb_err e2;
		char text[100];

		if (pcb_platform_parse(out->value.v[i], &p, &e2) != 0) {
			snprintf(what, sizeof what, "'%.100s': %.300s", out->value.v[i], e2.msg);
			rc = failf(err, w, key, NULL, what);
			break;
		}
		pcb_platform_format(&p, text);
		if (pcb_strv_contains(&seen, text)) {
			snprintf(what, sizeof what, "lists %s twice", text);
			rc = failf(err, w, key, NULL, what);
		}
		pcb_strv_push(&seen, text);
	}
	pcb_strv_free(&seen);
	return rc;
}

static int
check_tags(struct pcb_err *err, const struct where *w, const char *key,
    const struct pcb_strv *tags)
{
	for (size_t i = 0; i < tags->n; i++) {
		char *repo = NULL, *tag = NULL;
		struct pcb_err e2;
		int rc = pcb_ref_parse(tags->v[i], &repo, &tag, &e2);

		free(repo);
		free(tag);
		if (rc != 0) {
			char what[PCB_ERR_MSG_MAX / 2];
			snprintf(what, sizeof what, "'%.100s' is not an image reference: %.300s",
			    tags->v[i], e2.msg);
			return failf(err, w, key, NULL, what);
		}
	}
	return 0;
}

/* Reads one [build] or [tool.pycontainer] table into c (values already in c are replaced). */
static int
read_build(struct pcb_err *err, const struct where *w, json_object *tbl, const char *context,
    struct pcb_project_config *c)
{
	/* tag and tags are read together after the loop so that both may be given. */
	json_object *tag = NULL, *tags = NULL;
	int rc = 0;

	json_object_object_foreach(tbl, key, v) {
		const char *s = NULL;

		if (strcmp(key, "tag") == 0) {
			tag = v;
		} else if (strcmp(key, "tags") == 0) {
			tags = v;
		} else if (strcmp(key, "workdir") == 0) {
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			if (!abs_path_ok(s) || strcmp(s, "/") == 0)
				return failf(err, w, key, NULL, "must be an absolute path other than '/' "
				    "without '.' or '..' components");
			set_str(&c->workdir, s, source_of(w, key, NULL));
		} else if (strcmp(key, "entrypoint") == 0) {
			if ((rc = get_list(err, w, key, v, &c->entrypoint)) != 0)
				return rc;
		} else if (strcmp(key, "cmd") == 0) {
			if ((rc = get_list(err, w, key, v, &c->cmd)) != 0)
				return rc;
		} else if (strcmp(key, "env") == 0) {
			if ((rc = get_kv(err, w, key, v, true, &c->env)) != 0)
				return rc;
		} else if (strcmp(key, "labels") == 0) {
			if ((rc = get_kv(err, w, key, v, false, &c->labels)) != 0)
				return rc;
		} else if (strcmp(key, "platform") == 0) {
			struct pcb_platform p;
			struct pcb_err e2;
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			if (pcb_platform_parse(s, &p, &e2) != 0) {
				char what[PCB_ERR_MSG_MAX / 2];
				snprintf(what, sizeof what, "'%.100s': %.300s", s, e2.msg);
				return failf(err, w, key, NULL, what);
			}
			set_str(&c->platform, s, source_of(w, key, NULL));
			list_free(&c->platforms);
		} else if (strcmp(key, "platforms") == 0) {
			if ((rc = get_platforms(err, w, key, v, &c->platforms)) != 0)
				return rc;
			str_free(&c->platform);
		} else if (strcmp(key, "base_image") == 0) {
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			if (s[0] == '\0')
				return failf(err, w, key, NULL, "must not be empty");
			set_str(&c->base_image, s, source_of(w, key, NULL));
		} else if (strcmp(key, "cache_to") == 0) {
			/* "REF[,mode=min|max]": the reference itself is checked by the build, which
			 * names this key. */
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			if (s[0] == '\0')
				return failf(err, w, key, NULL, "must not be empty");
			set_str(&c->cache_to, s, source_of(w, key, NULL));
		} else if (strcmp(key, "cache_from") == 0) {
			if ((rc = get_list(err, w, key, v, &c->cache_from)) != 0)
				return rc;
		} else if (strcmp(key, "python_version") == 0) {
			char *end;
			long minor;
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			errno = 0;
			minor = strncmp(s, "3.", 2) == 0 && isdigit((unsigned char)s[2]) ?
			    strtol(s + 2, &end, 10) : -1;
			if (minor < PCB_PY_MINOR_LOW || minor > PCB_PY_MINOR_HIGH || *end != '\0') {
				char what[160];
				snprintf(what, sizeof what, "'%.40s' is not a known Python version "
				    "(3.%d to 3.%d)", s, PCB_PY_MINOR_LOW, PCB_PY_MINOR_HIGH);
				return failf(err, w, key, NULL, what);
			}
			set_str(&c->python_version, s, source_of(w, key, NULL));
		} else if (strcmp(key, "port") == 0) {
			int64_t port;
			if (v == NULL || json_object_get_type(v) != json_type_int)
				return wrong_type(err, w, key, NULL, "an integer", v);
			port = json_object_get_int64(v);
			if (port < 1 || port > 65535)
				return failf(err, w, key, NULL, "must be between 1 and 65535");
			c->port = (int)port;
			free(c->port_source);
			c->port_source = source_of(w, key, NULL);
		} else if (strcmp(key, "user") == 0) {
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			if (s[0] == '\0' || strchr(s, ' ') != NULL)
				return failf(err, w, key, NULL, "must be a user name or uid[:gid]");
			set_str(&c->user, s, source_of(w, key, NULL));
		} else if (strcmp(key, "include") == 0) {
			if ((rc = get_list(err, w, key, v, &c->include)) != 0)
				return rc;
			for (size_t i = 0; i < c->include.value.n; i++) {
				const char *rel = c->include.value.v[i];
				char *path = pcb_path_join(context, rel);
				struct stat st;
				bool ok = rel_path_ok(rel) && lstat(path, &st) == 0;

				free(path);
				if (!ok) {
					char what[200];
					snprintf(what, sizeof what, "'%.100s' is not a path inside the context "
					    "that exists", rel);
					return failf(err, w, key, NULL, what);
				}
			}
		} else if (strcmp(key, "exclude") == 0) {
			if ((rc = get_list(err, w, key, v, &c->exclude)) != 0)
				return rc;
			for (size_t i = 0; i < c->exclude.value.n; i++)
				if (c->exclude.value.v[i][0] == '\0' ||
				    strpbrk(c->exclude.value.v[i], "\r\n") != NULL)
					return failf(err, w, key, NULL, "holds an empty pattern or a line "
					    "break");
		} else {
			int line = key_line(w, key, NULL);
			if (line > 0)
				return pcb_err_set(err, PCB_EINVAL, "%s: line %d: unknown key [%s].%.100s",
				    w->file, line, w->shown, key);
			return pcb_err_set(err, PCB_EINVAL, "%s: unknown key [%s].%.100s", w->file,
			    w->shown, key);
		}
	}
	if (tag != NULL || tags != NULL) {
		struct pcb_config_list l = { .set = false };
		pcb_strv_init(&l.value);
		if (tag != NULL) {
			const char *s;
			if ((rc = get_text(err, w, "tag", NULL, tag, &s)) != 0)
				return rc;
			pcb_strv_push(&l.value, s);
		}
		if (tags != NULL) {
			struct pcb_config_list t = { .set = false };
			pcb_strv_init(&t.value);
			rc = get_list(err, w, "tags", tags, &t);
			for (size_t i = 0; rc == 0 && i < t.value.n; i++)
				pcb_strv_push(&l.value, t.value.v[i]);
			list_free(&t);
			if (rc != 0) {
				list_free(&l);
				return rc;
			}
		}
		if ((rc = check_tags(err, w, tags != NULL ? "tags" : "tag", &l.value)) != 0) {
			list_free(&l);
			return rc;
		}
		list_free(&c->tags);
		c->tags.value = l.value;
		c->tags.set = true;
		c->tags.source = source_of(w, tags != NULL ? "tags" : "tag", NULL);
	}
	return 0;
}

static int
read_registry(struct pcb_err *err, const struct where *w, json_object *tbl,
    struct pcb_project_config *c)
{
	json_object_object_foreach(tbl, key, v) {
		const char *s;
		int rc;

		if (strcmp(key, "url") == 0) {
			if ((rc = get_text(err, w, key, NULL, v, &s)) != 0)
				return rc;
			if (s[0] == '\0' || strpbrk(s, " \t\r\n") != NULL)
				return failf(err, w, key, NULL, "must be a registry host[:port] or URL");
			set_str(&c->registry_url, s, source_of(w, key, NULL));
		} else if (strcmp(key, "insecure") == 0) {
			if (v == NULL || json_object_get_type(v) != json_type_boolean)
				return wrong_type(err, w, key, NULL, "a boolean", v);
			c->registry_insecure = json_object_get_boolean(v);
			free(c->registry_insecure_source);
			c->registry_insecure_source = source_of(w, key, NULL);
		} else {
			int line = key_line(w, key, NULL);
			if (line > 0)
				return pcb_err_set(err, PCB_EINVAL, "%s: line %d: unknown key [%s].%.100s",
				    w->file, line, w->shown, key);
			return pcb_err_set(err, PCB_EINVAL, "%s: unknown key [%s].%.100s", w->file,
			    w->shown, key);
		}
	}
	return 0;
}

/* pycontainer.toml: only [build] (with env, labels) and [registry]. */
static int
read_file(const char *context, struct pcb_project_config *c, struct pcb_err *err)
{
	struct pcb_toml_locs *locs = NULL;
	json_object *doc = NULL;
	char *path = pcb_path_join(context, PCB_CONFIG_FILE), *text = NULL;
	size_t len;
	int rc;

	rc = pcb_read_file(path, CONFIG_MAX, &text, &len, err);
	if (rc == PCB_ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc != 0) {
		pcb_err_prefix(err, "reading " PCB_CONFIG_FILE);
		goto out;
	}
	c->have_file = true;
	if ((rc = pcb_toml_parse_locs(text, len, PCB_CONFIG_FILE, &doc, &locs, err)) != 0)
		goto out;
	json_object_object_foreach(doc, key, v) {
		struct where w = { PCB_CONFIG_FILE, locs, { key }, 1, key };
		int line = pcb_toml_locs_line(locs, (const char *const[]){ key }, 1, NULL);

		if (strcmp(key, "build") != 0 && strcmp(key, "registry") != 0) {
			if (line > 0)
				rc = pcb_err_set(err, PCB_EINVAL, PCB_CONFIG_FILE ": line %d: unknown "
				    "table [%.100s] (expected [build] or [registry])", line, key);
			else
				rc = pcb_err_set(err, PCB_EINVAL, PCB_CONFIG_FILE ": unknown table "
				    "[%.100s] (expected [build] or [registry])", key);
			goto out;
		}
		if (v == NULL || json_object_get_type(v) != json_type_object) {
			if (line > 0)
				rc = pcb_err_set(err, PCB_EINVAL, PCB_CONFIG_FILE ": line %d: [%s] must "
				    "be a table", line, key);
			else
				rc = pcb_err_set(err, PCB_EINVAL, PCB_CONFIG_FILE ": [%s] must be a table",
				    key);
			goto out;
		}
		if (strcmp(key, "build") == 0)
			rc = read_build(err, &w, v, context, c);
		else
			rc = read_registry(err, &w, v, c);
		if (rc != 0)
			goto out;
	}
out:
	if (doc != NULL)
		json_object_put(doc);
	if (locs != NULL)
		pcb_toml_locs_destroy(locs);
	free(text);
	free(path);
	return rc;
}

int
pcb_config_load(const char *context, json_object *pyproject,
    const struct pcb_toml_locs *pylocs, struct pcb_project_config *c, struct pcb_err *err)
{
	json_object *tool = NULL, *pc = NULL;
	int rc = 0;

	pcb_config_init(c);
	/* pyproject's own reader has already checked that [tool] is a table. */
	if (pyproject != NULL && json_object_object_get_ex(pyproject, "tool", &tool) &&
	    json_object_is_type(tool, json_type_object) &&
	    json_object_object_get_ex(tool, "pycontainer", &pc)) {
		struct where w = { "pyproject.toml", pylocs, { "tool", "pycontainer" }, 2,
		    "tool.pycontainer" };

		if (pc == NULL || json_object_get_type(pc) != json_type_object) {
			int line = pylocs != NULL ? pcb_toml_locs_line(pylocs, w.path, 2, NULL) : 0;
			if (line > 0)
				rc = pcb_err_set(err, PCB_EINVAL, "pyproject.toml: line %d: "
				    "[tool.pycontainer] must be a table", line);
			else
				rc = pcb_err_set(err, PCB_EINVAL, "pyproject.toml: [tool.pycontainer] "
				    "must be a table");
			goto out;
		}
		c->have_tool = true;
		if ((rc = read_build(err, &w, pc, context, c)) != 0)
			goto out;
	}
	rc = read_file(context, c, err);
out:
	if (rc != 0) {
		pcb_config_free(c);
		pcb_config_init(c);
	}
	return rc;
}
