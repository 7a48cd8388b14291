/* build.c — the build pipeline: a strict build spec, the plan (discovery + what the user asked
 * for, with where each value came from), and the run: app layer → config → manifest → tags →
 * outputs, reporting progress through the caller's emit callback and stopping when the
 * cancel flag is raised. */
#include "build.h"
#include "image/lcache.h"
#include "image/rcache.h"
#include "image/rebase.h"
#include "multi.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "image/archive.h"
#include "image/layer.h"
#include "image/oci.h"
#include "image/sbom.h"
#include "python/lockfile.h"
#include "python/project.h"
#include "python/toollock.h"
#include "registry/registry.h"

#define SPEC_MAX_LIST 256
#define SPEC_MAX_STR 4096
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void
pcb_build_spec_init(struct pcb_build_spec *s)
{
	memset(s, 0, sizeof *s);
	pcb_strv_init(&s->tags);
	pcb_strv_init(&s->platforms);
	pcb_strv_init(&s->env);
	pcb_strv_init(&s->labels);
	pcb_strv_init(&s->entrypoint);
	pcb_strv_init(&s->cmd);
	s->source_date_epoch = -1;
	s->sbom = true;
	pcb_deps_spec_init(&s->deps);
	pcb_transfer_access_init(&s->access);
	pcb_strv_init(&s->cache_from);
}

void
pcb_build_spec_free(struct pcb_build_spec *s)
{
	free(s->context);
	pcb_strv_free(&s->tags);
	for (size_t i = 0; i < s->n_outputs; i++)
		free(s->outputs[i].path);
	free(s->outputs);
	free(s->platform);
	pcb_strv_free(&s->platforms);
	pcb_strv_free(&s->env);
	pcb_strv_free(&s->labels);
	free(s->workdir);
	pcb_strv_free(&s->entrypoint);
	pcb_strv_free(&s->cmd);
	free(s->base_image);
	free(s->base_registry);
	pcb_deps_spec_free(&s->deps);
	free(s->python);
	free(s->user);
	pcb_transfer_access_free(&s->access);
	free(s->cache_to);
	pcb_strv_free(&s->cache_from);
	memset(s, 0, sizeof *s);
}

/* Spec strings: bounded, no NUL bytes; empty is allowed (the field's own check decides). */
static int
get_string(json_object *v, const char *field, char **out, struct pcb_err *err)
{
	return pcb_json_get_string(v, field, SPEC_MAX_STR, true, out, err);
}

/* Absolute, no "." or ".." components; trailing '/' removed (except for "/"). */
static int
get_abs_path(json_object *v, const char *field, char **out, struct pcb_err *err)
{
	char *p = NULL;
	int rc = get_string(v, field, &p, err);
	size_t n;

	if (rc != 0)
		return rc;
	if (p[0] != '/') {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%s' is not an absolute path", field, p);
		goto out;
	}
	for (const char *c = p; *c; ) {
		const char *end = strchr(c + 1, '/');
		size_t len = end ? (size_t)(end - c - 1) : strlen(c + 1);
		if ((len == 1 && c[1] == '.') || (len == 2 && c[1] == '.' && c[2] == '.')) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: '%s' must not contain '.' or '..' "
			    "components", field, p);
			goto out;
		}
		if (end == NULL)
			break;
		c = end;
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
out:
	if (rc != 0) {
		free(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

static int
get_string_array(json_object *v, const char *field, struct pcb_strv *out, struct pcb_err *err)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return pcb_err_set(err, PCB_EINVAL, "%s: expected an array of strings, got %s", field,
		    pcb_json_type_name(v));
	n = json_object_array_length(v);
	if (n > SPEC_MAX_LIST)
		return pcb_err_set(err, PCB_EINVAL, "%s: more than %d items", field, SPEC_MAX_LIST);
	for (size_t i = 0; i < n; i++) {
		char name[128], *s = NULL;
		int rc;
		snprintf(name, sizeof name, "%s[%zu]", field, i);
		if ((rc = get_string(json_object_array_get_idx(v, i), name, &s, err)) != 0)
			return rc;
		pcb_strv_push_owned(out, s);
	}
	return 0;
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

/* {"K": "V", …} → "K=V" entries. env keys must be identifiers; label keys non-empty. */
static int
get_kv_object(json_object *v, const char *field, bool env, struct pcb_strv *out,
    struct pcb_err *err)
{
	if (!json_object_is_type(v, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "%s: expected an object of strings, got %s",
		    field, pcb_json_type_name(v));
	if ((size_t)json_object_object_length(v) > SPEC_MAX_LIST)
		return pcb_err_set(err, PCB_EINVAL, "%s: more than %d entries", field, SPEC_MAX_LIST);
	json_object_object_foreach(v, key, val) {
		char name[300], *s = NULL;
		int rc;
		snprintf(name, sizeof name, "%s.%.200s", field, key);
		if (env ? !env_key_ok(key) : (key[0] == '\0' || strchr(key, '=') != NULL))
			return pcb_err_set(err, PCB_EINVAL, "%s: invalid %s name '%.200s'%s", field,
			    env ? "variable" : "label", key, env ? " (letters, digits and '_', not "
			    "starting with a digit)" : "");
		if ((rc = get_string(val, name, &s, err)) != 0)
			return rc;
		pcb_strv_push_owned(out, pcb_xasprintf("%s=%s", key, s));
		free(s);
	}
	return 0;
}

/* A docker User value: name or uid, optionally ":group" or ":gid"; printable, no spaces. */
static bool
user_ok(const char *u)
{
	size_t colons = 0;

	if (u[0] == '\0' || u[0] == ':' || strlen(u) > 256)
		return false;
	for (const char *c = u; *c; c++) {
		if (*c == ':')
			colons++;
		else if (!isgraph((unsigned char)*c))
			return false;
	}
	return colons <= 1 && u[strlen(u) - 1] != ':';
}

static const char *const output_type_names[] = {
	[PCB_OUTPUT_OCI_LAYOUT] = "oci-layout",
	[PCB_OUTPUT_OCI_ARCHIVE] = "oci-archive",
	[PCB_OUTPUT_DOCKER_ARCHIVE] = "docker-archive",
};

const char *
pcb_output_type_name(enum pcb_output_type t)
{
	return (size_t)t < PCB_ARRAY_LEN(output_type_names) ? output_type_names[t] : "?";
}

static int
parse_outputs(json_object *v, struct pcb_build_spec *s, struct pcb_err *err)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return pcb_err_set(err, PCB_EINVAL, "outputs: expected an array, got %s",
		    pcb_json_type_name(v));
	n = json_object_array_length(v);
	if (n > 16)
		return pcb_err_set(err, PCB_EINVAL, "outputs: more than 16 outputs");
	s->outputs = pcb_xcalloc(n, sizeof *s->outputs);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(v, i);
		char field[64];
		bool have_type = false;
		int rc;

		s->n_outputs = i + 1;
		if (!json_object_is_type(o, json_type_object))
			return pcb_err_set(err, PCB_EINVAL, "outputs[%zu]: expected an object, got %s",
			    i, pcb_json_type_name(o));
		json_object_object_foreach(o, key, val) {
			if (strcmp(key, "type") == 0) {
				const char *t = json_object_is_type(val, json_type_string) ?
				    json_object_get_string(val) : "";
				size_t k;
				for (k = 0; k < PCB_ARRAY_LEN(output_type_names); k++)
					if (strcmp(t, output_type_names[k]) == 0)
						break;
				if (k == PCB_ARRAY_LEN(output_type_names))
					return pcb_err_set(err, PCB_EINVAL, "outputs[%zu].type: '%.100s' is not "
					    "an output type (oci-layout, oci-archive or docker-archive)", i, t);
				s->outputs[i].type = (enum pcb_output_type)k;
				have_type = true;
			} else if (strcmp(key, "path") == 0) {
				snprintf(field, sizeof field, "outputs[%zu].path", i);
				free(s->outputs[i].path);
				s->outputs[i].path = NULL;
				if ((rc = get_abs_path(val, field, &s->outputs[i].path, err)) != 0)
					return rc;
			} else {
				return pcb_err_set(err, PCB_EINVAL, "outputs[%zu]: unknown field '%.100s'",
				    i, key);
			}
		}
		if (!have_type || s->outputs[i].path == NULL)
			return pcb_err_set(err, PCB_EINVAL, "outputs[%zu]: needs \"type\" and \"path\"",
			    i);
	}
	return 0;
}

/* spec.platforms: 1 to 16 platforms images are made for, each once (normalised:
 * "linux/aarch64" and "linux/arm64" are the same one), kept as written. */
static int
get_platforms(json_object *v, struct pcb_strv *out, struct pcb_err *err)
{
	struct pcb_strv seen;
	int rc;

	pcb_strv_init(&seen);
	if ((rc = get_string_array(v, "platforms", out, err)) != 0)
		goto out;
	if (out->n == 0 || out->n > 16) {
		rc = pcb_err_set(err, PCB_EINVAL, "platforms: expected 1 to 16 platforms, got %zu",
		    out->n);
		goto out;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct pcb_platform p;
		char text[100];
		if ((rc = pcb_platform_parse(out->v[i], &p, err)) != 0) {
			pcb_err_prefix(err, "platforms[%zu]", i);
			goto out;
		}
		pcb_platform_format(&p, text);
		if (pcb_strv_contains(&seen, text)) {
			rc = pcb_err_set(err, PCB_EINVAL, "platforms[%zu]: %s is in the list twice", i,
			    text);
			goto out;
		}
		pcb_strv_push(&seen, text);
	}
out:
	pcb_strv_free(&seen);
	return rc;
}

/* "scratch", or a reference the registry client can pull ("name:tag", "host/repo:tag",
 * "…@sha256:…"). */
static int
base_image_check(const char *ref, const char *field, struct pcb_err *err)
{
	struct pcb_image_ref r;
	int rc;

	if (strcmp(ref, "scratch") == 0)
		return 0;
	if ((rc = pcb_image_ref_parse(ref, &r, err)) != 0)
		pcb_err_prefix(err, "%s", field);
	pcb_image_ref_free(&r);
	return rc;
}

/* "host[:port]" optionally followed by "/path" of repository components: checked by parsing
 * it as the registry part of a reference. */
static int
base_registry_check(const char *prefix, const char *field, struct pcb_err *err)
{
	struct pcb_image_ref r;
	char *probe;
	int rc;

	if (prefix[0] == '\0' || prefix[strlen(prefix) - 1] == '/' || strchr(prefix, '@') != NULL)
		return pcb_err_set(err, PCB_EINVAL, "%s: '%.200s' is not a registry host[:port][/path]",
		    field, prefix);
	probe = pcb_xasprintf("%s/x:1", prefix);
	memset(&r, 0, sizeof r);
	rc = pcb_image_ref_parse(probe, &r, NULL);
	if (rc == 0 && !pcb_transfer_ref_has_registry(probe))
		rc = PCB_EINVAL;
	if (rc != 0)
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%.200s' is not a registry host[:port][/path] "
		    "(e.g. \"mirror.example:5000\" or \"mirror.example/dockerhub\")", field, prefix);
	pcb_image_ref_free(&r);
	free(probe);
	return rc;
}

static char *default_base_registry;

/* ---- Registry cache settings (image/rcache.h) ---- */

int
pcb_build_cache_ref_check(const char *ref, bool to, const char *field, struct pcb_err *err)
{
	struct pcb_image_ref r;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = pcb_image_ref_parse(ref, &r, NULL)) != 0 || !pcb_transfer_ref_has_registry(ref))
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%.200s' is not a reference on a registry "
		    "(e.g. \"registry.example:5000/team/app:buildcache\")", field, ref);
	else if (to && (r.digest != NULL || r.tag == NULL))
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%.200s': a cache is written under a tag, "
		    "not a digest", field, ref);
	pcb_image_ref_free(&r);
	return rc;
}

/* "cache_to": {"ref": REF, "mode": "min"|"max"} or the text "REF[,mode=min|max]". */
static int
parse_cache_to(json_object *v, struct pcb_build_spec *s, struct pcb_err *err)
{
	char *ref = NULL;
	bool max = false;
	int rc = 0;

	if (json_object_is_type(v, json_type_string)) {
		rc = pcb_rcache_parse_ref(json_object_get_string(v), true, &ref, &max, err);
		if (rc != 0)
			pcb_err_prefix(err, "cache_to");
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, x) {
			if (strcmp(k, "ref") == 0) {
				free(ref);
				ref = NULL;
				rc = get_string(x, "cache_to.ref", &ref, err);
			} else if (strcmp(k, "mode") == 0) {
				const char *m = json_object_is_type(x, json_type_string) ?
				    json_object_get_string(x) : "";
				if (strcmp(m, "min") != 0 && strcmp(m, "max") != 0)
					rc = pcb_err_set(err, PCB_EINVAL, "cache_to.mode: expected \"min\" "
					    "or \"max\"");
				max = strcmp(m, "max") == 0;
			} else {
				rc = pcb_err_set(err, PCB_EINVAL, "cache_to: unknown field '%.100s'", k);
			}
			if (rc != 0)
				break;
		}
		if (rc == 0 && ref == NULL)
			rc = pcb_err_set(err, PCB_EINVAL, "cache_to: missing field 'ref'");
	} else {
		rc = pcb_err_set(err, PCB_EINVAL, "cache_to: expected an object {\"ref\", \"mode\"} "
		    "or a string, got %s", pcb_json_type_name(v));
	}
	if (rc == 0)
		rc = pcb_build_cache_ref_check(ref, true, "cache_to", err);
	if (rc == 0) {
		free(s->cache_to);
		s->cache_to = ref;
		s->cache_to_max = max;
		ref = NULL;
	}
	free(ref);
	return rc;
}

static char *default_cache_to;
static bool default_cache_to_max;
static struct pcb_strv default_cache_from;

int
pcb_build_set_cache_defaults(const char *to, const struct pcb_strv *from, struct pcb_err *err)
{
	char *ref = NULL;
	bool max = false;
	int rc;

	if (to != NULL) {
		if ((rc = pcb_rcache_parse_ref(to, true, &ref, &max, err)) != 0 ||
		    (rc = pcb_build_cache_ref_check(ref, true, "default cache_to", err)) != 0) {
			free(ref);
			return rc;
		}
	}
	for (size_t i = 0; from != NULL && i < from->n; i++)
		if ((rc = pcb_build_cache_ref_check(from->v[i], false, "default cache_from",
		    err)) != 0) {
			free(ref);
			return rc;
		}
	free(default_cache_to);
	default_cache_to = ref;
	default_cache_to_max = max;
	pcb_strv_free(&default_cache_from);
	pcb_strv_init(&default_cache_from);
	for (size_t i = 0; from != NULL && i < from->n; i++)
		pcb_strv_push(&default_cache_from, from->v[i]);
	return 0;
}

int
pcb_build_set_base_registry(const char *prefix, struct pcb_err *err)
{
	int rc = 0;

	if (prefix != NULL && (rc = base_registry_check(prefix, "base registry", err)) != 0)
		return rc;
	free(default_base_registry);
	default_base_registry = pcb_xstrdup(prefix);
	return 0;
}

#define DEFAULT_BASE_TMPL "python:{python}-slim"
#define DEFAULT_PYTHON "3.12"
static char *default_base_tmpl;

int
pcb_build_set_default_base(const char *tmpl, struct pcb_err *err)
{
	if (tmpl != NULL) {
		char *probe = pcb_xstrdup(tmpl), *at;
		int rc;
		/* Checked with a stand-in version, as it will be used. */
		while ((at = strstr(probe, "{python}")) != NULL) {
			char *n = pcb_xasprintf("%.*s3.12%s", (int)(at - probe), probe, at + 8);
			free(probe);
			probe = n;
		}
		rc = base_image_check(probe, "default base image", err);
		free(probe);
		if (rc != 0)
			return rc;
	}
	free(default_base_tmpl);
	default_base_tmpl = pcb_xstrdup(tmpl);
	return 0;
}

/* The default base for a project whose Python is pyver (NULL: DEFAULT_PYTHON). */
static char *
default_base_for(const char *pyver)
{
	const char *tmpl = default_base_tmpl != NULL ? default_base_tmpl : DEFAULT_BASE_TMPL;
	char *out = pcb_xstrdup(tmpl), *at;

	while ((at = strstr(out, "{python}")) != NULL) {
		char *n = pcb_xasprintf("%.*s%s%s", (int)(at - out), out,
		    pyver != NULL ? pyver : DEFAULT_PYTHON, at + 8);
		free(out);
		out = n;
	}
	return out;
}

int
pcb_build_spec_from_json(json_object *j, struct pcb_build_spec *s, struct pcb_err *err)
{
	int rc = 0;

	if (!json_object_is_type(j, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "build spec: expected a JSON object, got %s",
		    pcb_json_type_name(j));
	json_object_object_foreach(j, key, v) {
		bool handled;
		if (strcmp(key, "context") == 0) {
			free(s->context);
			s->context = NULL;
			rc = get_abs_path(v, "context", &s->context, err);
		} else if (strcmp(key, "tags") == 0) {
			rc = get_string_array(v, "tags", &s->tags, err);
			for (size_t i = 0; rc == 0 && i < s->tags.n; i++) {
				char *repo = NULL, *tag = NULL;
				rc = pcb_ref_parse(s->tags.v[i], &repo, &tag, err);
				if (rc != 0)
					pcb_err_prefix(err, "tags[%zu]", i);
				free(repo);
				free(tag);
			}
		} else if (strcmp(key, "outputs") == 0) {
			rc = parse_outputs(v, s, err);
		} else if (strcmp(key, "platform") == 0) {
			struct pcb_platform p;
			free(s->platform);
			s->platform = NULL;
			rc = get_string(v, "platform", &s->platform, err);
			if (rc == 0 && (rc = pcb_platform_parse(s->platform, &p, err)) != 0)
				pcb_err_prefix(err, "platform");
		} else if (strcmp(key, "platforms") == 0) {
			rc = get_platforms(v, &s->platforms, err);
		} else if (strcmp(key, "platform_fail") == 0) {
			char *pf = NULL;
			if ((rc = get_string(v, "platform_fail", &pf, err)) == 0 &&
			    strcmp(pf, "skip") != 0 && strcmp(pf, "error") != 0)
				rc = pcb_err_set(err, PCB_EINVAL, "platform_fail: '%.20s' is not \"error\" "
				    "or \"skip\"", pf);
			s->platform_fail_skip = rc == 0 && strcmp(pf, "skip") == 0;
			free(pf);
		} else if (strcmp(key, "env") == 0) {
			rc = get_kv_object(v, "env", true, &s->env, err);
		} else if (strcmp(key, "labels") == 0) {
			rc = get_kv_object(v, "labels", false, &s->labels, err);
		} else if (strcmp(key, "workdir") == 0) {
			free(s->workdir);
			s->workdir = NULL;
			rc = get_abs_path(v, "workdir", &s->workdir, err);
			if (rc == 0 && strcmp(s->workdir, "/") == 0)
				rc = pcb_err_set(err, PCB_EINVAL, "workdir: '/' cannot hold the app; "
				    "use a directory such as /app");
		} else if (strcmp(key, "entrypoint") == 0) {
			rc = get_string_array(v, "entrypoint", &s->entrypoint, err);
			s->has_entrypoint = true;
		} else if (strcmp(key, "cmd") == 0) {
			rc = get_string_array(v, "cmd", &s->cmd, err);
			s->has_cmd = true;
		} else if (strcmp(key, "source_date_epoch") == 0) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
			    json_object_get_int64(v) > 253402300799LL)
				rc = pcb_err_set(err, PCB_EINVAL, "source_date_epoch: expected an integer "
				    "number of seconds between 0 and 253402300799");
			else
				s->source_date_epoch = json_object_get_int64(v);
		} else if (strcmp(key, "base_image") == 0) {
			free(s->base_image);
			s->base_image = NULL;
			if ((rc = get_string(v, "base_image", &s->base_image, err)) == 0)
				rc = base_image_check(s->base_image, "base_image", err);
		} else if (strcmp(key, "base_registry") == 0) {
			free(s->base_registry);
			s->base_registry = NULL;
			if ((rc = get_string(v, "base_registry", &s->base_registry, err)) == 0)
				rc = base_registry_check(s->base_registry, "base_registry", err);
		} else if (strcmp(key, "dependencies") == 0) {
			rc = pcb_deps_spec_from_json(v, &s->deps, err);
		} else if (strcmp(key, "python") == 0) {
			free(s->python);
			s->python = NULL;
			rc = get_abs_path(v, "python", &s->python, err);
		} else if (strcmp(key, "user") == 0) {
			free(s->user);
			s->user = NULL;
			if ((rc = get_string(v, "user", &s->user, err)) == 0 && !user_ok(s->user))
				rc = pcb_err_set(err, PCB_EINVAL, "user: expected \"name\", \"uid\", "
				    "\"name:group\" or \"uid:gid\" (no spaces or control characters)");
		} else if (strcmp(key, "compression") == 0) {
			char *c = NULL;
			if ((rc = get_string(v, "compression", &c, err)) == 0) {
				if (strcmp(c, "gzip") == 0)
					s->compression = PCB_COMPRESS_GZIP;
				else if (strcmp(c, "zstd") == 0)
					s->compression = PCB_COMPRESS_ZSTD;
				else
					rc = pcb_err_set(err, PCB_EINVAL, "compression: '%.20s' is not gzip or "
					    "zstd", c);
			}
			free(c);
		} else if (strcmp(key, "compression_level") == 0) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
			    json_object_get_int64(v) > 19)
				rc = pcb_err_set(err, PCB_EINVAL, "compression_level: expected an integer "
				    "from 1 to 19 (gzip 1..12, zstd 1..19)");
			else
				s->compression_level = (int)json_object_get_int64(v);
		} else if (strcmp(key, "port") == 0) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
			    json_object_get_int64(v) > 65535)
				rc = pcb_err_set(err, PCB_EINVAL, "port: expected an integer from 1 to 65535");
			else
				s->port = (int)json_object_get_int64(v);
		} else if (strcmp(key, "sbom") == 0 || strcmp(key, "provenance") == 0) {
			if (!json_object_is_type(v, json_type_boolean))
				rc = pcb_err_set(err, PCB_EINVAL, "%s: expected a boolean, got %s", key,
				    pcb_json_type_name(v));
			else
				*(strcmp(key, "sbom") == 0 ? &s->sbom : &s->provenance) =
				    json_object_get_boolean(v);
		} else if (strcmp(key, "push") == 0 || strcmp(key, "no_cache") == 0 ||
		    strcmp(key, "pull") == 0) {
			if (!json_object_is_type(v, json_type_boolean))
				rc = pcb_err_set(err, PCB_EINVAL, "%s: expected a boolean, got %s", key,
				    pcb_json_type_name(v));
			else
				*(strcmp(key, "push") == 0 ? &s->push : strcmp(key, "pull") == 0 ?
				    &s->pull : &s->no_cache) = json_object_get_boolean(v);
		} else if (strcmp(key, "cache_to") == 0) {
			rc = parse_cache_to(v, s, err);
		} else if (strcmp(key, "cache_from") == 0) {
			pcb_strv_free(&s->cache_from);
			pcb_strv_init(&s->cache_from);
			rc = get_string_array(v, "cache_from", &s->cache_from, err);
			for (size_t i = 0; rc == 0 && i < s->cache_from.n; i++) {
				char field[48];
				snprintf(field, sizeof field, "cache_from[%zu]", i);
				rc = pcb_build_cache_ref_check(s->cache_from.v[i], false, field, err);
			}
			if (rc == 0 && s->cache_from.n > 16)
				rc = pcb_err_set(err, PCB_EINVAL, "cache_from: at most 16 references");
			s->no_cache_from = rc == 0 && s->cache_from.n == 0;
		} else if ((rc = pcb_transfer_access_field(key, v, &s->access, &handled, err)) != 0 ||
		    handled) {
			/* parsed (or failed) as a credential field */
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "build spec: unknown field '%.100s'", key);
		}
		if (rc != 0)
			return rc;
	}
	if (s->context == NULL)
		return pcb_err_set(err, PCB_EINVAL, "build spec: missing required field 'context'");
	if (s->compression == PCB_COMPRESS_GZIP && s->compression_level > 12)
		return pcb_err_set(err, PCB_EINVAL, "compression_level: gzip levels go from 1 to 12");
	if (s->platform != NULL && s->platforms.n > 0)
		return pcb_err_set(err, PCB_EINVAL, "platform and platforms: give one platform or "
		    "a list of them, not both");
	/* Checked after every field is read: "push" may come before "tags". */
	if (s->push && s->tags.n == 0)
		return pcb_err_set(err, PCB_EINVAL, "push: needs at least one tag naming a registry "
		    "(e.g. \"127.0.0.1:5000/team/app:1\")");
	for (size_t i = 0; s->push && i < s->tags.n; i++)
		if (!pcb_transfer_ref_has_registry(s->tags.v[i]))
			return pcb_err_set(err, PCB_EINVAL, "tags[%zu] '%.200s' names no registry to "
			    "push to", i, s->tags.v[i]);
	return 0;
}

static json_object *
strv_to_array(const struct pcb_strv *sv)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

static json_object *
kv_to_object(const struct pcb_strv *sv)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < sv->n; i++) {
		const char *eq = strchr(sv->v[i], '=');
		char *k = pcb_xstrndup(sv->v[i], (size_t)(eq - sv->v[i]));
		json_object_object_add(o, k, json_object_new_string(eq + 1));
		free(k);
	}
	return o;
}

json_object *
pcb_build_spec_to_json(const struct pcb_build_spec *s)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "context", json_object_new_string(s->context ? s->context : ""));
	json_object_object_add(j, "tags", strv_to_array(&s->tags));
	{
		json_object *outs = json_object_new_array();
		for (size_t i = 0; i < s->n_outputs; i++) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "type",
			    json_object_new_string(pcb_output_type_name(s->outputs[i].type)));
			json_object_object_add(o, "path", json_object_new_string(s->outputs[i].path));
			json_object_array_add(outs, o);
		}
		json_object_object_add(j, "outputs", outs);
	}
	if (s->platform)
		json_object_object_add(j, "platform", json_object_new_string(s->platform));
	if (s->platforms.n > 0)
		json_object_object_add(j, "platforms", strv_to_array(&s->platforms));
	if (s->platform_fail_skip)
		json_object_object_add(j, "platform_fail", json_object_new_string("skip"));
	json_object_object_add(j, "env", kv_to_object(&s->env));
	json_object_object_add(j, "labels", kv_to_object(&s->labels));
	if (s->workdir)
		json_object_object_add(j, "workdir", json_object_new_string(s->workdir));
	if (s->has_entrypoint)
		json_object_object_add(j, "entrypoint", strv_to_array(&s->entrypoint));
	if (s->has_cmd)
		json_object_object_add(j, "cmd", strv_to_array(&s->cmd));
	if (s->source_date_epoch >= 0)
		json_object_object_add(j, "source_date_epoch",
		    json_object_new_int64(s->source_date_epoch));
	if (s->base_image)
		json_object_object_add(j, "base_image", json_object_new_string(s->base_image));
	if (s->base_registry)
		json_object_object_add(j, "base_registry", json_object_new_string(s->base_registry));
	{
		json_object *d = pcb_deps_spec_to_json(&s->deps);
		if (d != NULL)
			json_object_object_add(j, "dependencies", d);
	}
	if (s->python)
		json_object_object_add(j, "python", json_object_new_string(s->python));
	if (s->user)
		json_object_object_add(j, "user", json_object_new_string(s->user));
	if (s->port > 0)
		json_object_object_add(j, "port", json_object_new_int(s->port));
	if (s->compression != PCB_COMPRESS_GZIP)
		json_object_object_add(j, "compression", json_object_new_string("zstd"));
	if (s->compression_level > 0)
		json_object_object_add(j, "compression_level",
		    json_object_new_int(s->compression_level));
	/* The credential fields are never echoed or stored. */
	if (s->push)
		json_object_object_add(j, "push", json_object_new_boolean(true));
	if (s->no_cache)
		json_object_object_add(j, "no_cache", json_object_new_boolean(true));
	if (s->pull)
		json_object_object_add(j, "pull", json_object_new_boolean(true));
	if (!s->sbom)
		json_object_object_add(j, "sbom", json_object_new_boolean(false));
	if (s->provenance)
		json_object_object_add(j, "provenance", json_object_new_boolean(true));
	if (s->cache_to != NULL) {
		json_object *ct = json_object_new_object();
		json_object_object_add(ct, "ref", json_object_new_string(s->cache_to));
		json_object_object_add(ct, "mode", json_object_new_string(s->cache_to_max ? "max" :
		    "min"));
		json_object_object_add(j, "cache_to", ct);
	}
	if (s->cache_from.n > 0 || s->no_cache_from)
		json_object_object_add(j, "cache_from", strv_to_array(&s->cache_from));
	return j;
}

int
pcb_build_spec_check(const struct pcb_build_spec *s, struct pcb_err *err)
{
	struct stat st;

	if (s->context == NULL)
		return pcb_err_set(err, PCB_EINVAL, "build spec: missing required field 'context'");
	if (s->compression == PCB_COMPRESS_GZIP && s->compression_level > 12)
		return pcb_err_set(err, PCB_EINVAL, "compression_level: gzip levels go from 1 to 12");
	if (stat(s->context, &st) != 0)
		return pcb_err_errno(err, errno, "context %s", s->context) == PCB_ENOENT ?
		    pcb_err_set(err, PCB_EINVAL, "context %s: no such directory", s->context) :
		    PCB_EINVAL;
	if (!S_ISDIR(st.st_mode))
		return pcb_err_set(err, PCB_EINVAL, "context %s: is a file, not a directory "
		    "(give the project folder)", s->context);
	{
		/* Readable by whoever asks (the check runs with their rights): a folder they may
		 * not list is refused now, with the OS's reason. */
		int fd = open(s->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return pcb_err_errno(err, errno, "context %s", s->context);
		close(fd);
	}
	for (size_t i = 0; i < s->n_outputs; i++) {
		char *parent = pcb_xstrdup(s->outputs[i].path);
		char *slash = strrchr(parent, '/');
		int bad = 0;
		if (slash != NULL && slash != parent)
			*slash = '\0';
		else
			strcpy(parent, "/");
		if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
			bad = 1;
		else if (s->outputs[i].type == PCB_OUTPUT_OCI_LAYOUT &&
		    stat(s->outputs[i].path, &st) == 0 && !S_ISDIR(st.st_mode))
			bad = 2;
		else if (s->outputs[i].type != PCB_OUTPUT_OCI_LAYOUT &&
		    lstat(s->outputs[i].path, &st) == 0 && S_ISDIR(st.st_mode))
			bad = 3;   /* an archive names a file (a symlink is refused when written) */
		if (bad == 1)
			pcb_err_set(err, PCB_EINVAL, "outputs[%zu].path %s: parent directory %s does "
			    "not exist", i, s->outputs[i].path, parent);
		else if (bad == 2)
			pcb_err_set(err, PCB_EINVAL, "outputs[%zu].path %s: exists and is not a "
			    "directory", i, s->outputs[i].path);
		else if (bad == 3)
			pcb_err_set(err, PCB_EINVAL, "outputs[%zu].path %s: is a folder; a %s output "
			    "names a file (FILE.tar)", i, s->outputs[i].path,
			    pcb_output_type_name(s->outputs[i].type));
		free(parent);
		if (bad)
			return PCB_EINVAL;
	}
	return 0;
}

/* Everything the build needs to know, worked out before any byte is packed. Each value is
 * merged from three levels, highest first: the build spec (CLI flags / API request), the
 * project's config (pycontainer.toml > [tool.pycontainer], see config.h), then discovery;
 * the *_source strings say which level (and which file and key) gave it. */
struct plan {
	struct pcb_project proj;
	/* Where the dependencies would come from (pcb_deps_describe, nothing fetched), or NULL
	 * when that cannot be told yet (the dependency step then says why). Owned. */
	json_object *deps_source;
	struct pcb_platform platform;
	/* Several platforms (spec > config): the build goes to the multi-platform driver; empty
	 * for one image. platforms_source says where the list came from. */
	struct pcb_strv platforms;
	const char *platforms_source;
	char *workdir;
	struct pcb_strv entrypoint, cmd, env, labels;
	struct pcb_strv env_sources, label_sources;   /* parallel to env / labels (owned) */
	const char *entrypoint_source, *cmd_source, *workdir_source, *platform_source;
	const char *tags_source, *python_version_source, *base_image_source, *port_source;
	const char *user_source;
	const char *python_version;  /* borrowed from proj or proj.config */
	const char *base_image;      /* borrowed, a literal or base_image_owned */
	char *base_image_owned;
	char *python_version_owned, *python_version_source_owned;
	const char *base_registry;   /* borrowed; NULL = Docker Hub */
	const char *base_registry_source;
	const char *user;            /* NULL = image default (root) */
	int port;                    /* 0 = none */
	char exposed_port[16];       /* "8000/tcp" or "" */
	struct pcb_strv tags;        /* full references "repo:tag" */
	struct pcb_strv ref_names;   /* tag parts, deduplicated, for OCI layouts */
	char *image_name;            /* repository of the first tag */
	int64_t created;
	char created_str[32];
};

static void
plan_free(struct plan *p)
{
	pcb_project_free(&p->proj);
	json_object_put(p->deps_source);
	pcb_strv_free(&p->platforms);
	free(p->workdir);
	free(p->python_version_owned);
	free(p->python_version_source_owned);
	pcb_strv_free(&p->entrypoint);
	pcb_strv_free(&p->cmd);
	pcb_strv_free(&p->env);
	pcb_strv_free(&p->labels);
	pcb_strv_free(&p->env_sources);
	pcb_strv_free(&p->label_sources);
	pcb_strv_free(&p->tags);
	pcb_strv_free(&p->ref_names);
	free(p->image_name);
	free(p->base_image_owned);
}

/* Sets KEY=VALUE in a "K=V" vector, replacing an existing KEY in place, and records where
 * the value came from in the parallel vector src (may be NULL). */
static void
kv_set_src(struct pcb_strv *sv, struct pcb_strv *src, const char *kv, const char *from)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv);

	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], kv, klen + 1) == 0) {
			free(sv->v[i]);
			sv->v[i] = pcb_xstrdup(kv);
			if (src != NULL) {
				free(src->v[i]);
				src->v[i] = pcb_xstrdup(from);
			}
			return;
		}
	pcb_strv_push(sv, kv);
	if (src != NULL)
		pcb_strv_push(src, from);
}

static void
kv_set2(struct pcb_strv *sv, struct pcb_strv *src, const char *k, const char *v,
    const char *from)
{
	char *kv = pcb_xasprintf("%s=%s", k, v);
	kv_set_src(sv, src, kv, from);
	free(kv);
}

/* Repository names are lowercase; project names may not be. The project name normalised as
 * PEP 503 does (lowercase, runs of '-', '_', '.' become one '-'), other characters dropped. */
static char *
image_name_from_project(const char *name)
{
	char *s = pcb_xmalloc(strlen(name) + 4), *o = s;

	for (const char *c = name; *c; c++) {
		if (isalnum((unsigned char)*c))
			*o++ = (char)tolower((unsigned char)*c);
		else if ((*c == '-' || *c == '_' || *c == '.') && o > s && o[-1] != '-')
			*o++ = '-';
	}
	while (o > s && o[-1] == '-')
		o--;
	if (o == s)
		o += sprintf(s, "app");
	*o = '\0';
	return s;
}

static void
push_all(struct pcb_strv *dst, const struct pcb_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		pcb_strv_push(dst, src->v[i]);
}

/* The framework's server command names its port ("--port 8000", "-b 0.0.0.0:8000",
 * "runserver 0.0.0.0:8000"); when the config picks another port, the command must listen
 * there too, or the exposed port would lead nowhere. */
static void
retarget_port(struct pcb_strv *argv, int from, int to)
{
	char f[16], t[16], fc[17];

	snprintf(f, sizeof f, "%d", from);
	snprintf(t, sizeof t, "%d", to);
	snprintf(fc, sizeof fc, ":%d", from);
	for (size_t i = 0; i < argv->n; i++) {
		char *a = argv->v[i];
		size_t n = strlen(a);
		bool after_flag = i > 0 && (strcmp(argv->v[i - 1], "--port") == 0 ||
		    strcmp(argv->v[i - 1], "-p") == 0);

		if (after_flag && strcmp(a, f) == 0) {
			argv->v[i] = pcb_xstrdup(t);
			free(a);
		} else if (pcb_str_has_suffix(a, fc) && n > strlen(fc)) {
			argv->v[i] = pcb_xasprintf("%.*s:%s", (int)(n - strlen(fc)), a, t);
			free(a);
		} else if (pcb_str_has_prefix(a, "--port=") && strcmp(a + 7, f) == 0) {
			argv->v[i] = pcb_xasprintf("--port=%s", t);
			free(a);
		}
	}
}

static void
plan_init(struct plan *p)
{
	memset(p, 0, sizeof *p);
	pcb_strv_init(&p->entrypoint);
	pcb_strv_init(&p->platforms);
	pcb_strv_init(&p->cmd);
	pcb_strv_init(&p->env);
	pcb_strv_init(&p->labels);
	pcb_strv_init(&p->env_sources);
	pcb_strv_init(&p->label_sources);
	pcb_strv_init(&p->tags);
	pcb_strv_init(&p->ref_names);
}

/* Where and when the image runs: platform, working directory, timestamps, Python version. */
/* With a lock file that pins wheels (pylock.toml, uv.lock; poetry.lock and pdm.lock by the
 * file names they list), the newest minor requires-python allows for which every locked
 * package has a wheel that fits the target: numpy locked with cp312 wheels only makes a
 * ">=3.10" project a 3.12 image, not a 3.14 one that cannot install it. The plan's source says
 * which minors were stepped over and why. */
static void
plan_python_for_lock(const struct pcb_build_spec *s, struct plan *p)
{
	const char *src = json_object_get_string(json_object_object_get(p->deps_source, "source"));
	const char *file = json_object_get_string(json_object_object_get(p->deps_source, "file"));
	const char *base = file != NULL ? strrchr(file, '/') : NULL;
	unsigned mask = p->proj.python_minors;
	struct pcb_lock_select sel = { &s->deps.extras, &s->deps.groups };
	enum pcb_toollock_kind tk;
	bool tool = file != NULL && pcb_toollock_kind_of(file, &tk);
	char first_fail[200] = "";
	long top = -1, minor;

	base = base != NULL ? base + 1 : file;
	if (src == NULL || strcmp(src, "lock") != 0 || base == NULL || mask == 0 ||
	    p->python_version == NULL || (strcmp(base, "uv.lock") != 0 &&
	    !pcb_str_has_prefix(base, "pylock.") && !tool))
		return;
	for (minor = PCB_PY_MINOR_HIGH; minor >= PCB_PY_MINOR_LOW; minor--) {
		struct pcb_pytarget t;
		struct pcb_lock l;
		struct pcb_err e;
		char ver[16];

		if (!(mask & (1u << (minor - PCB_PY_MINOR_LOW))))
			continue;
		if (top < 0)
			top = minor;
		snprintf(ver, sizeof ver, "3.%ld", minor);
		if (pcb_pytarget_init(&t, p->platform.os, p->platform.arch, p->platform.variant, ver,
		    &e) != 0)
			return;
		if (tool) {
			struct pcb_toollock tl;
			if (pcb_toollock_load(file, &t, &sel, &tl, &e) == 0) {
				pcb_toollock_free(&tl);
				break;
			}
		} else if (pcb_lock_load(file, &t, &sel, &l, &e) == 0) {
			pcb_lock_free(&l);
			break;
		}
		if (first_fail[0] == '\0') {
			const char *m = strstr(e.msg, ": ");
			size_t n;

			m = m != NULL ? m + 2 : e.msg;
			n = strlen(m);
			if (n >= sizeof first_fail) {   /* cut, never inside a UTF-8 sequence */
				n = sizeof first_fail - 1;
				while (n > 0 && ((unsigned char)m[n] & 0xC0) == 0x80)
					n--;
			}
			memcpy(first_fail, m, n);
			first_fail[n] = '\0';
		}
	}
	if (minor < PCB_PY_MINOR_LOW || minor == top)
		return;   /* no minor fits (the dependency step says why), or the newest does */
	p->python_version_owned = pcb_xasprintf("3.%ld", minor);
	p->python_version_source_owned = pcb_xasprintf("%s, stepped down from 3.%ld to the "
	    "newest the wheels in %s support (3.%ld: %s)", p->python_version_source, top, base, top,
	    first_fail);
	p->python_version = p->python_version_owned;
	p->python_version_source = p->python_version_source_owned;
}

/* With --deps-from-venv and nothing pinning the version, the venv's own minor (its
 * pyvenv.cfg "version" or "version_info"), when requires-python allows it: the venv's
 * packages were built for that interpreter, so a newer one would not load them. */
static void
plan_python_for_venv(const struct pcb_build_spec *s, struct plan *p)
{
	const char *src = json_object_get_string(json_object_object_get(p->deps_source, "source"));
	char *cfg, *text = NULL;
	size_t len;
	int major = 0, minor = 0;

	if (s->deps.venv == NULL || src == NULL || strcmp(src, "venv") != 0)
		return;
	cfg = pcb_path_join(s->deps.venv, "pyvenv.cfg");
	if (pcb_read_file(cfg, 65536, &text, &len, NULL) != 0) {
		free(cfg);
		return;   /* the dependency step says what is wrong with the venv */
	}
	char *sv = NULL;
	for (char *line = strtok_r(text, "\n", &sv); line != NULL;
	    line = strtok_r(NULL, "\n", &sv)) {
		char key[32];
		if ((sscanf(line, " %31[a-z_] = %d.%d", key, &major, &minor) == 3) &&
		    (strcmp(key, "version") == 0 || strcmp(key, "version_info") == 0))
			break;
		major = minor = 0;
	}
	free(text);
	if (major == 3 && minor >= PCB_PY_MINOR_LOW && minor <= PCB_PY_MINOR_HIGH &&
	    (p->proj.python_minors == 0 ||
	    (p->proj.python_minors & (1u << (minor - PCB_PY_MINOR_LOW))))) {
		p->python_version_owned = pcb_xasprintf("3.%d", minor);
		p->python_version_source_owned = pcb_xasprintf("the Python of --deps-from-venv (%s)",
		    cfg);
		p->python_version = p->python_version_owned;
		p->python_version_source = p->python_version_source_owned;
	}
	free(cfg);
}

static int
plan_runtime(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err)
{
	const struct pcb_project_config *cf = &p->proj.config;
	const char *platform;
	int rc;

	/* A list asks for an index; a single --platform still wins over the config's list. */
	if (s->platforms.n > 0) {
		push_all(&p->platforms, &s->platforms);
		p->platforms_source = "CLI --platform";
	} else if (s->platform == NULL && cf->platforms.set) {
		push_all(&p->platforms, &cf->platforms.value);
		p->platforms_source = cf->platforms.source;
	}
	platform = s->platform != NULL ? s->platform : cf->platform.value;
	if (platform != NULL) {
		if ((rc = pcb_platform_parse(platform, &p->platform, err)) != 0)
			return rc;
		p->platform_source = s->platform != NULL ? "CLI --platform" : cf->platform.source;
	} else {
		pcb_platform_host(&p->platform);
		p->platform_source = "daemon host";
	}
	if (s->workdir != NULL) {
		p->workdir = pcb_xstrdup(s->workdir);
		p->workdir_source = "CLI --workdir";
	} else if (cf->workdir.value != NULL) {
		p->workdir = pcb_xstrdup(cf->workdir.value);
		p->workdir_source = cf->workdir.source;
	} else {
		p->workdir = pcb_xstrdup("/app");
		p->workdir_source = "default";
	}

	p->created = s->source_date_epoch >= 0 ? s->source_date_epoch : 0;
	pcb_time_rfc3339(p->created, p->created_str);

	p->python_version = cf->python_version.value != NULL ? cf->python_version.value :
	    p->proj.python_version;
	p->python_version_source = cf->python_version.value != NULL ? cf->python_version.source :
	    p->proj.python_version_source;
	if (cf->python_version.value == NULL && !p->proj.python_pinned) {
		plan_python_for_lock(s, p);
		plan_python_for_venv(s, p);
	}
	return 0;
}

/* The image to build on and the registry a short base name is pulled from. */
static int
plan_base(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err)
{
	const struct pcb_project_config *cf = &p->proj.config;
	int rc;

	if (s->base_image != NULL) {
		p->base_image = s->base_image;
		p->base_image_source = "CLI --base-image";
	} else if (cf->base_image.value != NULL) {
		p->base_image = cf->base_image.value;
		p->base_image_source = cf->base_image.source;
		if ((rc = base_image_check(p->base_image, p->base_image_source, err)) != 0)
			return rc;
	} else {
		/* python:X.Y-slim for the project's requires-python (from base_registry, see
		 * below), or the daemon's --default-base. */
		p->base_image_owned = default_base_for(p->python_version);
		p->base_image = p->base_image_owned;
		p->base_image_source = default_base_tmpl != NULL ? "daemon --default-base" :
		    p->python_version != NULL ? "default (python:X.Y-slim for requires-python)" :
		    "default (python:" DEFAULT_PYTHON "-slim: no requires-python)";
	}
	if (s->base_registry != NULL) {
		p->base_registry = s->base_registry;
		p->base_registry_source = "CLI --base-registry";
	} else if (default_base_registry != NULL) {
		p->base_registry = default_base_registry;
		p->base_registry_source = "daemon default";
	}
	return 0;
}

/* The user the image runs as and the port it listens on. */
static void
plan_user_port(const struct pcb_build_spec *s, struct plan *p)
{
	const struct pcb_project_config *cf = &p->proj.config;

	if (s->user != NULL) {
		p->user = s->user;
		p->user_source = "CLI --user";
	} else {
		p->user = cf->user.value;
		p->user_source = cf->user.source;
	}
	if (s->port > 0) {
		p->port = s->port;
		p->port_source = "CLI --port";
	} else if (cf->port > 0) {
		p->port = cf->port;
		p->port_source = cf->port_source;
	} else if (p->proj.port > 0) {
		p->port = p->proj.port;
		p->port_source = p->proj.framework_source;
	}
	if (p->port > 0)
		snprintf(p->exposed_port, sizeof p->exposed_port, "%d/tcp", p->port);
}

/* What explicitly says what to run ("CLI --entrypoint", a config file's entrypoint …), or
 * NULL when the command is left to discovery. */
static const char *
plan_cmd_explicit(const struct pcb_build_spec *s, const struct plan *p)
{
	const struct pcb_project_config *cf = &p->proj.config;

	if (s->has_entrypoint)
		return "CLI --entrypoint";
	if (cf->entrypoint.set)
		return cf->entrypoint.source;
	if (s->has_cmd)
		return "CLI --cmd";
	if (cf->cmd.set)
		return cf->cmd.source;
	return NULL;
}

static bool plan_scripts_in_venv(const struct plan *p);

/* The program the image starts, when it needs a Python interpreter: python itself, anything
 * in the venv's bin (console scripts start with `#!/opt/venv/bin/python`), one of the
 * project's console scripts, a bare name when there is a venv (PATH finds it there first),
 * and whatever discovery chose (every way it knows runs Python). NULL when it does not. */
static const char *
plan_cmd_python(const struct pcb_build_spec *s, const struct plan *p)
{
	const char *argv0 = p->entrypoint.n > 0 ? p->entrypoint.v[0] :
	    p->cmd.n > 0 ? p->cmd.v[0] : NULL;
	const char *b;

	if (argv0 == NULL)
		return NULL;
	b = strrchr(argv0, '/') != NULL ? strrchr(argv0, '/') + 1 : argv0;
	if ((strncmp(b, "python", 6) == 0 && (b[6] == '\0' || isdigit((unsigned char)b[6]))) ||
	    pcb_str_has_prefix(argv0, "/opt/venv/bin/") || plan_cmd_explicit(s, p) == NULL ||
	    (strchr(argv0, '/') == NULL && plan_scripts_in_venv(p)))
		return argv0;
	for (size_t i = 0; i < p->proj.scripts.n; i++) {
		size_t n = strcspn(p->proj.scripts.v[i], " =");
		if (strlen(argv0) == n && strncmp(p->proj.scripts.v[i], argv0, n) == 0)
			return argv0;
	}
	return NULL;
}

/* What the user should know about the plan, for the plan's "warnings" and the build's log:
 * discovery could not find the command but an explicit one was given; a .env file (often
 * secrets) goes into the image, as `COPY . .` would put it there; the dependency source's
 * warnings (a lock file out of date with its project file); a command that needs Python on
 * the scratch base, which has none (the image would build and then not start). */
static void
plan_warnings(const struct pcb_build_spec *s, const struct plan *p, struct pcb_strv *out)
{
	const char *explicit = plan_cmd_explicit(s, p);

	if (p->proj.cmd_error != NULL && explicit != NULL)
		pcb_strv_push_owned(out, pcb_xasprintf("discovery could not tell how to start the "
		    "app (%s); using what %s says", p->proj.cmd_error, explicit));
	if (p->proj.context_note != NULL)
		pcb_strv_push(out, p->proj.context_note);
	if (pcb_strv_contains(&p->proj.include, ".env"))
		pcb_strv_push(out, ".env is packed into the image (it often holds secrets): list it "
		    "in .dockerignore or .pcbignore to leave it out");
	{
		json_object *w = json_object_object_get(p->deps_source, "warnings");
		for (size_t i = 0; w != NULL && i < json_object_array_length(w); i++)
			pcb_strv_push(out, json_object_get_string(json_object_array_get_idx(w, i)));
	}
	if (p->base_image != NULL && strcmp(p->base_image, "scratch") == 0 &&
	    plan_cmd_python(s, p) != NULL)
		pcb_strv_push_owned(out, pcb_xasprintf("the base image is scratch, which has no "
		    "Python, but the command runs %s, which needs it: the image will not start; "
		    "build on a Python base (--base-image python:X.Y-slim, or one made by `pcb base "
		    "create --from-host`)", plan_cmd_python(s, p)));
}

/* Whether the image gets the project's console scripts on PATH: its dependencies go into a
 * venv (from a lock, requirement files or the project's own list), which then also holds the
 * project's metadata and launchers (deps.c project_layer). */
static bool
plan_scripts_in_venv(const struct plan *p)
{
	const char *src = json_object_get_string(json_object_object_get(p->deps_source,
	    "source"));

	return src != NULL && (strcmp(src, "lock") == 0 || strcmp(src, "requirements") == 0 ||
	    strcmp(src, "project") == 0);
}

/* The app's import roots in the image (caller frees): the folders the build backend takes
 * packages from (project.h import_roots), else src/ when there is one, then the workdir. The
 * default PYTHONPATH and the project's .pth in the venv. */
static char *
plan_app_path(const struct plan *p)
{
	struct pcb_buf b;

	pcb_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < p->proj.import_roots.n; i++)
		pcb_buf_appendf(&b, "%s/%s:", p->workdir, p->proj.import_roots.v[i]);
	if (p->proj.import_roots.n == 0 && pcb_strv_contains(&p->proj.include, "src"))
		pcb_buf_appendf(&b, "%s/src:", p->workdir);
	pcb_buf_appendf(&b, "%s", p->workdir);
	return pcb_buf_steal(&b, NULL);
}

/* Entrypoint and cmd. Runs after plan_user_port: a discovered server command is moved to the
 * chosen port. */
static int
plan_command(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err)
{
	const struct pcb_project_config *cf = &p->proj.config;

	if (s->has_entrypoint) {
		push_all(&p->entrypoint, &s->entrypoint);
		p->entrypoint_source = "CLI --entrypoint";
	} else if (cf->entrypoint.set) {
		push_all(&p->entrypoint, &cf->entrypoint.value);
		p->entrypoint_source = cf->entrypoint.source;
	} else if (p->proj.cmd_script != NULL && plan_scripts_in_venv(p)) {
		/* The project's console script, on PATH from the venv (deps.c project_layer). */
		pcb_strv_push(&p->entrypoint, p->proj.cmd_script);
		p->entrypoint_source = p->proj.cmd_source;
	} else {
		push_all(&p->entrypoint, &p->proj.cmd);
		p->entrypoint_source = p->proj.cmd_source ? p->proj.cmd_source : "discovered";
		if (p->proj.framework != NULL && p->proj.port > 0 && p->port != p->proj.port &&
		    p->proj.cmd.n == p->proj.framework_cmd.n && p->proj.cmd.n > 0 &&
		    strcmp(p->proj.cmd.v[0], p->proj.framework_cmd.v[0]) == 0)
			retarget_port(&p->entrypoint, p->proj.port, p->port);
	}
	if (s->has_cmd) {
		push_all(&p->cmd, &s->cmd);
		p->cmd_source = "CLI --cmd";
	} else if (cf->cmd.set) {
		push_all(&p->cmd, &cf->cmd.value);
		p->cmd_source = cf->cmd.source;
	}
	/* Detection problems only matter when nothing explicit says what to run. */
	if (plan_cmd_explicit(s, p) == NULL && p->proj.cmd_error_code != 0)
		return pcb_err_set(err, p->proj.cmd_error_code, "%s", p->proj.cmd_error);
	/* On a base image, having neither means inheriting the base's (docker's rule). */
	if (p->entrypoint.n == 0 && p->cmd.n == 0 && strcmp(p->base_image, "scratch") == 0)
		return pcb_err_set(err, PCB_EINVAL, PCB_PROJECT_NO_CMD_HINT, p->proj.context);
	return 0;
}

/* Env: defaults, then what the framework needs, then the config files, then the user's
 * flags (same key replaced in place, keeping its position). */
static void
plan_env(const struct pcb_build_spec *s, struct plan *p)
{
	const struct pcb_project_config *cf = &p->proj.config;

	kv_set2(&p->env, &p->env_sources, "PATH", DEFAULT_PATH, "default");
	kv_set2(&p->env, &p->env_sources, "PYTHONUNBUFFERED", "1", "default");
	kv_set2(&p->env, &p->env_sources, "PYTHONDONTWRITEBYTECODE", "1", "default");
	{
		char *pp = plan_app_path(p);
		kv_set2(&p->env, &p->env_sources, "PYTHONPATH", pp, "default");
		free(pp);
	}
	for (size_t i = 0; i < p->proj.framework_env.n; i++)
		kv_set_src(&p->env, &p->env_sources, p->proj.framework_env.v[i],
		    p->proj.framework_source);
	if (p->port > 0) {
		char port[16];
		snprintf(port, sizeof port, "%d", p->port);
		kv_set2(&p->env, &p->env_sources, "PORT", port, p->port_source);
	}
	for (size_t i = 0; i < cf->env.kv.n; i++)
		kv_set_src(&p->env, &p->env_sources, cf->env.kv.v[i], cf->env.sources.v[i]);
	for (size_t i = 0; i < s->env.n; i++)
		kv_set_src(&p->env, &p->env_sources, s->env.v[i], "CLI --env");
}

/* Labels: the OCI annotations the project's metadata gives, then the config files, then the
 * user's flags. */
static void
plan_labels(const struct pcb_build_spec *s, struct plan *p)
{
	const struct pcb_project_config *cf = &p->proj.config;

	kv_set2(&p->labels, &p->label_sources, "org.opencontainers.image.title", p->proj.name,
	    p->proj.name_source ? p->proj.name_source : "discovered");
	if (p->proj.version)
		kv_set2(&p->labels, &p->label_sources, "org.opencontainers.image.version",
		    p->proj.version, p->proj.version_source ? p->proj.version_source : "discovered");
	if (p->proj.description)
		kv_set2(&p->labels, &p->label_sources, "org.opencontainers.image.description",
		    p->proj.description, p->proj.description_source ? p->proj.description_source :
		    "discovered");
	if (p->proj.license)
		kv_set2(&p->labels, &p->label_sources, "org.opencontainers.image.licenses",
		    p->proj.license, p->proj.license_source ? p->proj.license_source : "discovered");
	if (p->proj.authors.n > 0) {
		struct pcb_buf b;
		pcb_buf_init(&b, 64 * 1024);
		for (size_t i = 0; i < p->proj.authors.n; i++)
			if (pcb_buf_appendf(&b, "%s%s", i > 0 ? ", " : "", p->proj.authors.v[i]) != 0)
				break;   /* very long author lists are cut, not fatal */
		kv_set2(&p->labels, &p->label_sources, "org.opencontainers.image.authors", b.data,
		    p->proj.authors_source ? p->proj.authors_source : "discovered");
		pcb_buf_free(&b);
	}
	kv_set2(&p->labels, &p->label_sources, "org.opencontainers.image.created", p->created_str,
	    s->source_date_epoch >= 0 ? "SOURCE_DATE_EPOCH" : "default");
	for (size_t i = 0; i < cf->labels.kv.n; i++)
		kv_set_src(&p->labels, &p->label_sources, cf->labels.kv.v[i],
		    cf->labels.sources.v[i]);
	for (size_t i = 0; i < s->labels.n; i++)
		kv_set_src(&p->labels, &p->label_sources, s->labels.v[i], "CLI --label");
}

/* The image's references ("repo:tag", the first names it) and the tag parts an OCI layout
 * records. */
static int
plan_tags(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err)
{
	const struct pcb_project_config *cf = &p->proj.config;
	int rc;

	if (s->tags.n > 0) {
		push_all(&p->tags, &s->tags);
		p->tags_source = "CLI --tag";
	} else if (cf->tags.set && cf->tags.value.n > 0) {
		push_all(&p->tags, &cf->tags.value);
		p->tags_source = cf->tags.source;
	} else {
		char *n = image_name_from_project(p->proj.name);
		pcb_strv_push_owned(&p->tags, pcb_xasprintf("%s:latest", n));
		free(n);
		p->tags_source = "default (project name)";
	}
	for (size_t i = 0; i < p->tags.n; i++) {
		char *repo = NULL, *tag = NULL;
		if ((rc = pcb_ref_parse(p->tags.v[i], &repo, &tag, err)) != 0) {
			pcb_err_prefix(err, "tag");
			return rc;
		}
		/* Normalise "name" to "name:latest" so store tags are always repo:tag. */
		free(p->tags.v[i]);
		p->tags.v[i] = pcb_xasprintf("%s:%s", repo, tag);
		if (i == 0)
			p->image_name = pcb_xstrdup(repo);
		if (!pcb_strv_contains(&p->ref_names, tag))
			pcb_strv_push(&p->ref_names, tag);
		free(repo);
		free(tag);
	}
	return 0;
}

/* The plan of a build: the project discovered, then each value taken from the spec (CLI
 * flags) > the config file > the discovered default, recording where it came from. The steps
 * run in this order because later ones read what earlier ones chose. */
static int plan_make_as(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err);

/* The plan reads only the caller's files (the context, the config, locks, a venv's
 * pyvenv.cfg): all of it with the caller's rights, so what they may not read fails with the
 * OS's reason, as it would for them. */
static int
plan_make(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err)
{
	struct pcb_cred_saved saved;
	int rc;

	if ((rc = pcb_cred_enter(&s->as, &saved, err)) != 0) {
		plan_init(p);
		return rc;
	}
	rc = plan_make_as(s, p, err);
	pcb_cred_leave(&saved);
	return rc;
}

static int
plan_make_as(const struct pcb_build_spec *s, struct plan *p, struct pcb_err *err)
{
	int rc;

	plan_init(p);
	if ((rc = pcb_build_spec_check(s, err)) != 0)
		return rc;
	if ((rc = pcb_project_discover(s->context, &p->proj, err)) != 0) {
		memset(&p->proj, 0, sizeof p->proj);   /* discover left it freed */
		return rc;
	}
	/* Left NULL when it cannot be told: the dependency step reports why. */
	(void)pcb_deps_describe(&s->deps, &p->proj, &p->deps_source, NULL);
	if ((rc = plan_runtime(s, p, err)) != 0 || (rc = plan_base(s, p, err)) != 0)
		return rc;
	plan_user_port(s, p);
	if ((rc = plan_command(s, p, err)) != 0)
		return rc;
	plan_env(s, p);
	plan_labels(s, p);
	return plan_tags(s, p, err);
}

static json_object *
kv_sources(const struct pcb_strv *kv, const struct pcb_strv *src)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < kv->n && i < src->n; i++) {
		const char *eq = strchr(kv->v[i], '=');
		char *k = pcb_xstrndup(kv->v[i], (size_t)(eq - kv->v[i]));
		json_object_object_add(o, k, json_object_new_string(src->v[i]));
		free(k);
	}
	return o;
}

static json_object *
plan_to_json(const struct pcb_build_spec *s, const struct plan *p)
{
	json_object *j = json_object_new_object(), *src = json_object_new_object();
	char plat[100];
	const struct pcb_project *pr = &p->proj;
	const struct pcb_project_config *cf = &pr->config;

#define ADD_STR(obj, k, v) json_object_object_add(obj, k, (v) ? json_object_new_string(v) : NULL)
	ADD_STR(j, "context", pr->context);
	ADD_STR(j, "name", pr->name);
	ADD_STR(j, "version", pr->version);
	ADD_STR(j, "description", pr->description);
	ADD_STR(j, "license", pr->license);
	ADD_STR(j, "python_version", p->python_version);
	ADD_STR(j, "package", pr->package);
	ADD_STR(j, "base_image", p->base_image);
	ADD_STR(j, "base_registry", p->base_registry);
	pcb_platform_format(&p->platform, plat);
	json_object_object_add(j, "platform", json_object_new_string(plat));
	if (p->platforms.n > 0)
		json_object_object_add(j, "platforms", strv_to_array(&p->platforms));
	ADD_STR(j, "workdir", p->workdir);
	json_object_object_add(j, "entrypoint", strv_to_array(&p->entrypoint));
	json_object_object_add(j, "cmd", strv_to_array(&p->cmd));
	json_object_object_add(j, "include", strv_to_array(&pr->include));
	{
		json_object *ex = json_object_new_array();
		for (size_t i = 0; i < pr->excluded.n; i++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "path", json_object_new_string(pr->excluded.v[i]));
			json_object_object_add(e, "rule", json_object_new_string(pr->excluded_why.v[i]));
			json_object_array_add(ex, e);
		}
		json_object_object_add(j, "excluded", ex);
	}
	json_object_object_add(j, "env", kv_to_object(&p->env));
	json_object_object_add(j, "labels", kv_to_object(&p->labels));
	json_object_object_add(j, "tags", strv_to_array(&p->tags));
	{
		json_object *outs = json_object_new_array();
		for (size_t i = 0; i < s->n_outputs; i++) {
			json_object *o = json_object_new_object();
			ADD_STR(o, "type", pcb_output_type_name(s->outputs[i].type));
			ADD_STR(o, "path", s->outputs[i].path);
			json_object_array_add(outs, o);
		}
		json_object_object_add(j, "outputs", outs);
	}
	ADD_STR(j, "created", p->created_str);
	/* Added for issue 3. */
	json_object_object_add(j, "authors", strv_to_array(&pr->authors));
	json_object_object_add(j, "dependencies", strv_to_array(&pr->dependencies));
	/* Where the image's dependencies would come from (nothing fetched here). */
	if (p->deps_source != NULL)
		json_object_object_add(j, "dependency_source", json_object_get(p->deps_source));
	ADD_STR(j, "layout", pr->layout);
	if (pr->framework != NULL) {
		json_object *fw = json_object_new_object();
		ADD_STR(fw, "name", pr->framework);
		json_object_object_add(fw, "cmd", strv_to_array(&pr->framework_cmd));
		json_object_object_add(fw, "port", pr->port > 0 ? json_object_new_int(pr->port) : NULL);
		ADD_STR(fw, "source", pr->framework_source);
		json_object_object_add(fw, "alternatives", strv_to_array(&pr->framework_alternatives));
		json_object_object_add(j, "framework", fw);
	} else {
		json_object_object_add(j, "framework", NULL);
	}
	/* The other ways to start the app discovery considered, and why each lost. */
	json_object_object_add(j, "passed_over", strv_to_array(&pr->passed_over));
	json_object_object_add(j, "port", p->port > 0 ? json_object_new_int(p->port) : NULL);
	{
		json_object *ports = json_object_new_array();
		if (p->exposed_port[0] != '\0')
			json_object_array_add(ports, json_object_new_string(p->exposed_port));
		json_object_object_add(j, "exposed_ports", ports);
	}
	ADD_STR(j, "user", p->user);
	json_object_object_add(j, "exclude", strv_to_array(&cf->exclude.value));
	if (cf->registry_url.value != NULL || cf->registry_insecure_source != NULL) {
		json_object *r = json_object_new_object();
		ADD_STR(r, "url", cf->registry_url.value);
		json_object_object_add(r, "insecure", json_object_new_boolean(cf->registry_insecure));
		json_object_object_add(j, "registry", r);
	} else {
		json_object_object_add(j, "registry", NULL);
	}

	ADD_STR(src, "name", pr->name_source);
	ADD_STR(src, "version", pr->version_source);
	ADD_STR(src, "description", pr->description_source);
	ADD_STR(src, "license", pr->license_source);
	ADD_STR(src, "authors", pr->authors_source);
	ADD_STR(src, "python_version", p->python_version_source);
	ADD_STR(src, "package", pr->package_source);
	ADD_STR(src, "layout", "discovered");
	ADD_STR(src, "dependencies", pr->dependencies_source);
	ADD_STR(src, "framework", pr->framework_source);
	ADD_STR(src, "port", p->port_source);
	ADD_STR(src, "user", p->user_source);
	ADD_STR(src, "entrypoint", p->entrypoint_source);
	ADD_STR(src, "cmd", p->cmd_source);
	ADD_STR(src, "workdir", p->workdir_source);
	ADD_STR(src, "platform", p->platform_source);
	if (p->platforms.n > 0)
		ADD_STR(src, "platforms", p->platforms_source);
	ADD_STR(src, "base_image", p->base_image_source);
	ADD_STR(src, "base_registry", p->base_registry_source);
	ADD_STR(src, "tags", p->tags_source);
	ADD_STR(src, "include", cf->include.set ? cf->include.source : "discovered");
	ADD_STR(src, "exclude", cf->exclude.set ? cf->exclude.source : NULL);
	ADD_STR(src, "created", s->source_date_epoch >= 0 ? "SOURCE_DATE_EPOCH" : "default");
	ADD_STR(src, "registry.url", cf->registry_url.source);
	ADD_STR(src, "registry.insecure", cf->registry_insecure_source);
	json_object_object_add(src, "env", kv_sources(&p->env, &p->env_sources));
	json_object_object_add(src, "labels", kv_sources(&p->labels, &p->label_sources));
	json_object_object_add(j, "sources", src);
	{
		struct pcb_strv w;
		pcb_strv_init(&w);
		plan_warnings(s, p, &w);
		json_object_object_add(j, "warnings", strv_to_array(&w));
		pcb_strv_free(&w);
	}
#undef ADD_STR
	return j;
}

int
pcb_build_plan(const struct pcb_build_spec *s, json_object **plan_out, struct pcb_err *err)
{
	struct plan p;
	int rc = plan_make(s, &p, err);

	if (rc == 0)
		*plan_out = plan_to_json(s, &p);
	plan_free(&p);
	return rc;
}

static void
emit(const struct pcb_build_ctx *ctx, const struct pcb_event *ev)
{
	if (ctx->emit != NULL)
		ctx->emit(ctx->emit_ud, ev);
}

static void
emit_phase(const struct pcb_build_ctx *ctx, const char *phase, const char *message)
{
	struct pcb_event ev = { .type = PCB_EVENT_PHASE, .phase = phase, .message = message };
	emit(ctx, &ev);
}

/* The build's steps, counted on every event it sends (events.h step/steps): plan, base,
 * deps, pack, config, manifest, tag, one per output, one per tag pushed. Every event of the
 * build, from whichever helper or library, goes out through steps_emit, which stamps it, so
 * that a client can say "step 4 of 9" whatever event comes. index moves only between steps,
 * when no helper thread runs. */
struct steps {
	const struct pcb_build_ctx *outer;
	int index, count;
};

static void
steps_emit(void *ud, const struct pcb_event *ev)
{
	const struct steps *st = ud;
	struct pcb_event e = *ev;

	e.step = st->index;
	e.steps = st->count;
	emit(st->outer, &e);
}

static bool
cancelled(const struct pcb_build_ctx *ctx)
{
	return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
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
	emit(pu->ctx, &ev);
}

/* ---- Base images ---------------------------------------------------------------------
 *
 * A base is looked up in the store's tags first (images made by `pcb base create`, pulled by
 * `pcb pull`, or built here), under the reference as written and under its canonical form;
 * else it is pulled from its registry (a reference naming no registry host goes to
 * base_registry when one is set). Its layers are used as they are: their descriptors go into
 * our manifest, their diff_ids in front of ours, and nothing is recompressed or re-read.
 * Docker v2 schema 2 layers (application/vnd.docker.image.rootfs.diff.tar.gzip) are the same
 * gzip'd tar bytes as an OCI tar+gzip layer, so they get the OCI media type with the same
 * digest and our manifest stays a pure OCI one. */

#define BASE_DOC_MAX ((size_t)4 << 20)
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

struct base {
	bool scratch;
	char *ref;                       /* as resolved: store tag or canonical registry ref */
	char digest[PCB_DIGEST_BUFSZ];   /* the (platform) manifest's digest */
	char config_digest[PCB_DIGEST_BUFSZ];
	json_object *config;             /* the base's image config document */
	json_object *layers;             /* descriptors for our manifest, OCI media types */
	struct pcb_strv diff_ids;        /* parallel to layers */
};

static void
base_init(struct base *b)
{
	memset(b, 0, sizeof *b);
	b->scratch = true;
	pcb_strv_init(&b->diff_ids);
}

static void
base_free(struct base *b)
{
	free(b->ref);
	json_object_put(b->config);
	json_object_put(b->layers);
	pcb_strv_free(&b->diff_ids);
	memset(b, 0, sizeof *b);
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* A JSON object stored as a blob (manifest, index, config), verified by the store. */
static int
read_doc(struct pcb_store *st, const char *digest, const char *what, json_object **out,
    struct pcb_err *err)
{
	struct json_tokener *tok = NULL;
	json_object *j = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = pcb_store_read(st, digest, BASE_DOC_MAX, &text, &len, err)) != 0) {
		pcb_err_prefix(err, "reading the %s %s", what, digest);
		goto out;
	}
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, text, (int)len);
	if (j == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(j, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "the %s %s is not a JSON object", what, digest);
		json_object_put(j);
		j = NULL;
	}
out:
	if (tok != NULL)
		json_tokener_free(tok);
	free(text);
	*out = j;
	return rc;
}

static bool
platform_matches(const struct pcb_platform *want, const char *os, const char *arch,
    const char *variant)
{
	struct pcb_platform got;
	char text[100];

	if (os == NULL || arch == NULL)
		return false;
	snprintf(text, sizeof text, "%.31s/%.31s%s%.31s", os, arch,
	    variant != NULL && variant[0] != '\0' ? "/" : "", variant != NULL ? variant : "");
	/* Parsing normalises "x86_64"/"aarch64" and "arm64/v8" the way the build's was. */
	if (pcb_platform_parse(text, &got, NULL) != 0)
		return false;
	if (strcmp(got.os, want->os) != 0 || strcmp(got.arch, want->arch) != 0)
		return false;
	/* A build that names no variant takes any; otherwise they must agree. */
	return want->variant[0] == '\0' ||
	    strcmp(pcb_platform_variant(got.arch, got.variant), pcb_platform_variant(want->arch, want->variant)) == 0;
}

/* The store's manifest for ref: a digest reference whose manifest the store holds, or a tag
 * as written (":latest" added when it has none), or its canonical form
 * ("registry-1.docker.io/library/python:3.12-slim", as `pcb pull` tags). PCB_ENOENT when
 * none. *name_out: the tag that matched (or the reference). */
static int
base_lookup_store(struct pcb_store *st, const struct pcb_cred *as, const char *ref,
    char **name_out, char **digest_out, struct pcb_err *err)
{
	struct pcb_image_ref r;
	const char *at = strchr(ref, '@'), *slash = strrchr(ref, '/');
	char *written = NULL, *canon = NULL, *d = NULL, *name = NULL;
	int rc;

	memset(&r, 0, sizeof r);
	if (at != NULL) {
		if ((rc = pcb_store_stat(st, at + 1, NULL, NULL, NULL)) == 0) {
			d = pcb_xstrdup(at + 1);
			name = pcb_xstrdup(ref);
		}
		goto out;
	}
	written = strchr(slash != NULL ? slash : ref, ':') != NULL ? pcb_xstrdup(ref) :
	    pcb_xasprintf("%s:latest", ref);
	if ((rc = pcb_store_tag_get_as(st, as, written, &d, err)) == 0) {
		name = written;
		written = NULL;
		goto out;
	}
	if (rc != PCB_ENOENT)
		goto out;
	if ((rc = pcb_image_ref_parse(ref, &r, err)) != 0)
		goto out;
	canon = pcb_image_ref_format(&r);
	if ((rc = pcb_store_tag_get_as(st, as, canon, &d, err)) == 0) {
		name = canon;
		canon = NULL;
	}
out:
	if (rc == PCB_ENOENT)
		pcb_err_clear(err);
	pcb_image_ref_free(&r);
	free(written);
	free(canon);
	if (rc != 0) {
		free(d);
		free(name);
		d = name = NULL;
	}
	*name_out = name;
	*digest_out = d;
	return rc;
}

/* The reference to pull: as written when it names a registry host, else under
 * base_registry when one is set ("python:3.12" → "<prefix>/library/python:3.12"). */
static char *
base_registry_ref(const char *ref, const char *base_registry, struct pcb_err *err)
{
	struct pcb_image_ref r;
	char *out = NULL;

	if (base_registry == NULL || pcb_transfer_ref_has_registry(ref))
		return pcb_xstrdup(ref);
	if (pcb_image_ref_parse(ref, &r, err) != 0)
		return NULL;
	out = pcb_xasprintf("%s/%s%s%s%s%s", base_registry, r.repository, r.tag ? ":" : "",
	    r.tag ? r.tag : "", r.digest ? "@" : "", r.digest ? r.digest : "");
	pcb_image_ref_free(&r);
	return out;
}

/* Pulls ref's manifest (picked for the build's platform) and config into the store, not its
 * layers: the registry client records where each layer is, and an output that needs the bytes
 * fetches them then (base_ensure_layers); a push to the same registry mounts them.
 * *digest_out: the platform manifest's digest. */
static int
base_pull(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx, const char *ref,
    const struct pcb_platform *plat, char **canon_out, char **digest_out, struct pcb_err *err)
{
	struct pcb_image_ref r;
	struct pcb_registry *reg = NULL;
	json_object *res = NULL, *md;
	const char *d;
	char *canon = NULL, *digest = NULL;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = pcb_image_ref_parse(ref, &r, err)) != 0)
		goto out;
	if ((rc = pcb_transfer_open_registry(&s->access, ctx, r.registry, NULL, NULL, &reg,
	    err)) != 0)
		goto out;
	if ((rc = pcb_registry_pull_meta(reg, ctx->store, &r, plat, &res, err)) != 0)
		goto out;
	if (!json_object_object_get_ex(res, "manifest", &md) || (d = jstr(md, "digest")) == NULL ||
	    !pcb_digest_valid(d)) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "the registry client returned no manifest");
		goto out;
	}
	digest = pcb_xstrdup(d);
	canon = pcb_image_ref_format(&r);
out:
	json_object_put(res);
	pcb_registry_destroy(reg);
	pcb_image_ref_free(&r);
	if (rc != 0) {
		free(canon);
		canon = NULL;
	}
	*canon_out = canon;
	*digest_out = digest;
	return rc;
}

/* Reads the base's manifest (an index: the build platform's entry), checks its platform
 * and fills b: config, layer descriptors with OCI media types, diff_ids. */
static int
base_load(struct pcb_store *st, const char *name, const char *digest,
    const struct pcb_platform *plat, struct base *b, struct pcb_err *err)
{
	json_object *doc = NULL, *cfgdesc, *layers, *rootfs, *diff_ids;
	const char *mt, *cd;
	char pf[100], bf[100];
	size_t nl;
	int rc;

	pcb_platform_format(plat, pf);
	snprintf(b->digest, sizeof b->digest, "%s", digest);
	if ((rc = read_doc(st, digest, "manifest", &doc, err)) != 0)
		goto out;
	mt = jstr(doc, "mediaType");
	if ((mt != NULL && (strcmp(mt, PCB_MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)) ||
	    (mt == NULL && json_object_object_get_ex(doc, "manifests", NULL))) {
		json_object *ms = NULL, *pick = NULL;
		struct pcb_buf offered;
		pcb_buf_init(&offered, 1024);
		json_object_object_get_ex(doc, "manifests", &ms);
		for (size_t i = 0; json_object_is_type(ms, json_type_array) &&
		    i < json_object_array_length(ms) && pick == NULL; i++) {
			json_object *m = json_object_array_get_idx(ms, i), *pl = NULL;
			json_object_object_get_ex(m, "platform", &pl);
			if (platform_matches(plat, jstr(pl, "os"), jstr(pl, "architecture"),
			    jstr(pl, "variant")))
				pick = m;
			else if (jstr(pl, "os") != NULL && jstr(pl, "architecture") != NULL)
				(void)pcb_buf_appendf(&offered, "%s%s/%s", offered.len ? ", " : "",
				    jstr(pl, "os"), jstr(pl, "architecture"));
		}
		if (pick == NULL || (cd = jstr(pick, "digest")) == NULL || !pcb_digest_valid(cd)) {
			rc = pcb_err_set(err, PCB_EINVAL, "base image %s has no image for the build's "
			    "platform %s (it has: %s)", name, pf, offered.len ? offered.data : "none");
			pcb_buf_free(&offered);
			goto out;
		}
		pcb_buf_free(&offered);
		snprintf(b->digest, sizeof b->digest, "%s", cd);
		json_object_put(doc);
		doc = NULL;
		if ((rc = read_doc(st, b->digest, "manifest", &doc, err)) != 0)
			goto out;
		mt = jstr(doc, "mediaType");
	}
	if (mt != NULL && strcmp(mt, PCB_MT_OCI_MANIFEST) != 0 && strcmp(mt, MT_DOCKER_MANIFEST) != 0) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "base image %s: manifest media type '%.100s' "
		    "is not supported (OCI or Docker v2 schema 2)", name, mt);
		goto out;
	}
	if (!json_object_object_get_ex(doc, "config", &cfgdesc) || (cd = jstr(cfgdesc, "digest")) ==
	    NULL || !json_object_object_get_ex(doc, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array)) {
		rc = pcb_err_set(err, PCB_EINVAL, "base image %s: the manifest %s has no config or "
		    "layers", name, b->digest);
		goto out;
	}
	snprintf(b->config_digest, sizeof b->config_digest, "%s", cd);
	if ((rc = read_doc(st, cd, "config", &b->config, err)) != 0) {
		pcb_err_prefix(err, "base image %s", name);
		goto out;
	}
	if (!platform_matches(plat, jstr(b->config, "os"), jstr(b->config, "architecture"),
	    jstr(b->config, "variant"))) {
		snprintf(bf, sizeof bf, "%.31s/%.31s%s%.31s", jstr(b->config, "os") ?
		    jstr(b->config, "os") : "?", jstr(b->config, "architecture") ?
		    jstr(b->config, "architecture") : "?", jstr(b->config, "variant") ? "/" : "",
		    jstr(b->config, "variant") ? jstr(b->config, "variant") : "");
		rc = pcb_err_set(err, PCB_EINVAL, "base image %s is for platform %s but the build is "
		    "for %s: pick a base for %s, or build with --platform %s", name, bf, pf, pf, bf);
		goto out;
	}
	nl = json_object_array_length(layers);
	if (!json_object_object_get_ex(b->config, "rootfs", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &diff_ids) ||
	    !json_object_is_type(diff_ids, json_type_array) ||
	    json_object_array_length(diff_ids) != nl) {
		rc = pcb_err_set(err, PCB_EINVAL, "base image %s: its config's rootfs.diff_ids do not "
		    "match its %zu layers", name, nl);
		goto out;
	}
	b->layers = json_object_new_array();
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *sz, *copy;
		const char *lmt = jstr(l, "mediaType"), *ld = jstr(l, "digest");
		const char *did = json_object_get_string(json_object_array_get_idx(diff_ids, i));

		if (ld == NULL || !pcb_digest_valid(ld) || !json_object_object_get_ex(l, "size", &sz) ||
		    !json_object_is_type(sz, json_type_int) || json_object_get_int64(sz) < 0 ||
		    did == NULL || !pcb_digest_valid(did)) {
			rc = pcb_err_set(err, PCB_EINVAL, "base image %s: layer %zu has no valid digest, "
			    "size or diff_id", name, i);
			goto out;
		}
		if (lmt == NULL || strcmp(lmt, MT_DOCKER_LAYER_GZIP) == 0) {
			lmt = PCB_MT_LAYER_GZIP;
		} else if (strcmp(lmt, MT_DOCKER_LAYER_FOREIGN) == 0 ||
		    !pcb_str_has_prefix(lmt, "application/vnd.oci.image.layer.")) {
			rc = pcb_err_set(err, PCB_EUNSUPPORTED, "base image %s: layer %zu has media type "
			    "'%.100s' (gzip'd or plain tar layers only)", name, i, lmt);
			goto out;
		}
		/* Annotations and urls stay: the descriptor is the base's, only the type changes. */
		copy = NULL;
		json_object_deep_copy(l, &copy, NULL);
		json_object_object_add(copy, "mediaType", json_object_new_string(lmt));
		json_object_array_add(b->layers, copy);
		pcb_strv_push(&b->diff_ids, did);
	}
	b->scratch = false;
	b->ref = pcb_xstrdup(name);
out:
	json_object_put(doc);
	return rc;
}

/* A base that could not be pulled: what the user can do next, after the cause. Offline or
 * firewalled machines are common (a build box, a laptop on a train), and the way out is not
 * obvious: a base made from the host's Python, a mirror, or another base. */
static void
base_pull_hint(int rc, struct pcb_err *err)
{
	size_t n;

	if (err == NULL)
		return;
	n = strlen(err->msg);
	if (rc == PCB_EUNREACHABLE || rc == PCB_ETIMEDOUT)
		snprintf(err->msg + n, sizeof err->msg - n, ". The registry cannot be reached "
		    "(offline or firewalled?): make a base from the daemon host's Python with "
		    "'pcb base create --from-host -t pybase:1' and build with '--base-image "
		    "pybase:1', or pull through a reachable mirror with '--base-registry HOST'");
	else if (rc == PCB_ENOENT)
		snprintf(err->msg + n, sizeof err->msg - n, ". No such image: name another with "
		    "'--base-image', another registry with '--base-registry', or make one with "
		    "'pcb base create --from-host'");
}

/* Resolves p->base_image into b (left as scratch for "scratch"). */
static int
base_resolve(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const struct plan *p, struct base *b, struct pcb_err *err)
{
	char *name = NULL, *digest = NULL, *pull = NULL, *msg;
	struct pcb_image_ref r;
	int rc;

	memset(&r, 0, sizeof r);
	if (strcmp(p->base_image, "scratch") == 0)
		return 0;
	rc = base_lookup_store(ctx->store, &s->as, p->base_image, &name, &digest, err);
	/* --pull: a tag is asked of its registry again even when the store has it (what it
	 * names may have moved); a digest names the same bytes wherever they are. */
	if (rc == 0 && s->pull && strchr(p->base_image, '@') == NULL) {
		free(name);
		free(digest);
		name = digest = NULL;
		if ((pull = base_registry_ref(p->base_image, p->base_registry, err)) == NULL) {
			rc = PCB_EINVAL;
			goto out;
		}
		msg = pcb_xasprintf("base image %s: --pull, pulling %s", p->base_image, pull);
		emit_phase(ctx, "base", msg);
		free(msg);
		if ((rc = base_pull(s, ctx, pull, &p->platform, &name, &digest, err)) != 0) {
			pcb_err_prefix(err, "base image %s (--pull: %s from its registry; the "
			    "daemon's store has a copy, which a build without --pull uses)",
			    p->base_image, pull);
			goto out;
		}
	} else if (rc == 0) {
		msg = pcb_xasprintf("base image %s: %s from the store", name, digest);
		emit_phase(ctx, "base", msg);
		free(msg);
	} else if (rc == PCB_ENOENT) {
		if ((pull = base_registry_ref(p->base_image, p->base_registry, err)) == NULL) {
			rc = PCB_EINVAL;
			goto out;
		}
		msg = pcb_xasprintf("base image %s: not in the store, pulling %s", p->base_image, pull);
		emit_phase(ctx, "base", msg);
		free(msg);
		if ((rc = base_pull(s, ctx, pull, &p->platform, &name, &digest, err)) != 0) {
			pcb_err_prefix(err, "base image %s (%s from %s; not in the daemon's store, "
			    "neither as a tag nor pulled)", p->base_image, pull, p->base_image_source);
			base_pull_hint(rc, err);
			if (rc == PCB_ENOENT && err != NULL)
				rc = err->code = PCB_EBASEMISSING;
			goto out;
		}
	} else {
		goto out;
	}
	/* Missing layers are found later through the store's blob locations. */
	if ((rc = base_load(ctx->store, name, digest, &p->platform, b, err)) != 0)
		goto out;
out:
	pcb_image_ref_free(&r);
	free(name);
	free(digest);
	free(pull);
	return rc;
}

/* An output that needs the bytes of every layer: fetch the base layers the store lacks from
 * the base's registry (the blobs already here are not fetched again). */
static int
base_ensure_layers(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const struct base *b, struct pcb_err *err)
{
	struct pcb_strv missing;
	char *msg;
	int rc = 0;

	pcb_strv_init(&missing);
	for (size_t i = 0; i < json_object_array_length(b->layers); i++) {
		const char *d = jstr(json_object_array_get_idx(b->layers, i), "digest");
		if (pcb_store_stat(ctx->store, d, NULL, NULL, NULL) != 0)
			pcb_strv_push(&missing, d);
	}
	if (missing.n == 0)
		goto out;
	msg = pcb_xasprintf("fetching %zu base layer%s", missing.n, missing.n == 1 ? "" : "s");
	emit_phase(ctx, "base", msg);
	free(msg);
	if ((rc = pcb_transfer_fetch_blobs(&s->access, ctx, &missing, err)) != 0)
		pcb_err_prefix(err, "fetching the layers of base image %s", b->ref);
out:
	pcb_strv_free(&missing);
	return rc;
}


/* ---- Registry cache (image/rcache.h) -------------------------------------------------
 *
 * One per build job that reads or writes one. Reading: each cache_from artifact is fetched
 * (its manifest, then its mapping blob, verified into the store) and imported; a missing or
 * unreadable one costs a warning, never the build. Entries are checked with a HEAD on first
 * use (rcache_verify). Writing, after the pushes (so that the layers are usually in the
 * registry already and the artifact's push skips or mounts them):
 *   read the cache tag → merge our entries over it → push the artifact → read it back,
 * and when an entry of ours is missing from what is there now (another daemon wrote in
 * between: the registry's manifest PUT has no compare-and-swap), merge again over what is
 * there and write again, a bounded number of times with a growing random pause. Each writer
 * keeps every entry it read, so concurrent writers converge on the union; for one key the
 * last writer wins, which is harmless since a key names the bytes. */

#define RCACHE_WRITE_ATTEMPTS 6
#define RCACHE_SETTLE_CHECKS 2

struct rcache_job {
	struct pcb_rcache *rc;
	const struct pcb_build_spec *s;
	const struct pcb_build_ctx *ctx;
	pthread_mutex_t mu;            /* the clients: checks may come from several parts */
	struct pcb_strv hosts;
	struct pcb_registry **regs;
	char *to;                      /* effective cache_to, or NULL */
	bool to_max;
	struct pcb_strv from;          /* effective cache_from */
	json_object *info;             /* the result's "cache" */
};

static int
rcache_client(struct rcache_job *job, const char *host, struct pcb_registry **out,
    struct pcb_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&job->mu);
	for (size_t i = 0; i < job->hosts.n; i++)
		if (strcmp(job->hosts.v[i], host) == 0) {
			*out = job->regs[i];
			goto out;
		}
	if ((rc = pcb_transfer_open_registry(&job->s->access, job->ctx, host, NULL, NULL, out,
	    err)) != 0)
		goto out;
	job->regs = pcb_xrealloc(job->regs, (job->hosts.n + 1) * sizeof *job->regs);
	job->regs[job->hosts.n] = *out;
	pcb_strv_push(&job->hosts, host);
out:
	pthread_mutex_unlock(&job->mu);
	return rc;
}

/* pcb_rcache_verify_fn: the registry still has the layer, with that size. */
static int
rcache_verify(void *ud, const char *registry, const char *repository, const char *digest,
    uint64_t *size_out, struct pcb_err *err)
{
	struct rcache_job *job = ud;
	struct pcb_registry *reg;
	int rc;

	if ((rc = rcache_client(job, registry, &reg, err)) != 0)
		return rc;
	return pcb_registry_blob_stat(reg, repository, digest, size_out, err);
}

/* The artifact ref names: its manifest and mapping (caller puts both), and where it is. */
static int
rcache_read(struct rcache_job *job, const char *ref_text, json_object **manifest_out,
    json_object **mapping_out, struct pcb_image_ref *ref, struct pcb_err *err)
{
	struct pcb_registry *reg;
	struct pcb_strv want;
	json_object *doc = NULL, *mapping = NULL;
	char *body = NULL, *text = NULL;
	const char *md;
	uint64_t msize;
	size_t len = 0;
	int rc;

	pcb_strv_init(&want);
	if ((rc = pcb_image_ref_parse(ref_text, ref, err)) != 0 ||
	    (rc = rcache_client(job, ref->registry, &reg, err)) != 0 ||
	    (rc = pcb_registry_get_manifest(reg, ref->repository, ref->digest != NULL ?
	    ref->digest : ref->tag, &body, &len, &doc, err)) != 0 ||
	    (rc = pcb_rcache_artifact_mapping(doc, &md, &msize, err)) != 0)
		goto out;
	pcb_strv_push(&want, md);
	/* Verified against its digest on the way in, as every blob. */
	if ((rc = pcb_registry_fetch_blobs(reg, job->ctx->store, ref->repository, &want,
	    err)) != 0 ||
	    (rc = pcb_store_read(job->ctx->store, md, PCB_RCACHE_MAPPING_MAX, &text, &len,
	    err)) != 0)
		goto out;
	if ((mapping = json_tokener_parse(text)) == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "the cache's mapping %s is not JSON", md);
		goto out;
	}
out:
	free(body);
	free(text);
	pcb_strv_free(&want);
	if (rc != 0) {
		json_object_put(doc);
		json_object_put(mapping);
		doc = mapping = NULL;
	}
	*manifest_out = doc;
	*mapping_out = mapping;
	return rc;
}

/* The effective settings: spec > pycontainer.toml > the daemon's defaults. */
static int
rcache_settings(const struct pcb_build_spec *s, const struct plan *p, struct rcache_job *job,
    struct pcb_err *err)
{
	const struct pcb_project_config *cf = &p->proj.config;
	int rc;

	if (s->cache_to != NULL) {
		job->to = pcb_xstrdup(s->cache_to);
		job->to_max = s->cache_to_max;
	} else if (cf->cache_to.value != NULL) {
		if ((rc = pcb_rcache_parse_ref(cf->cache_to.value, true, &job->to, &job->to_max,
		    err)) != 0 ||
		    (rc = pcb_build_cache_ref_check(job->to, true, "cache_to", err)) != 0) {
			pcb_err_prefix(err, "%s", cf->cache_to.source);
			return rc;
		}
	} else if (default_cache_to != NULL) {
		job->to = pcb_xstrdup(default_cache_to);
		job->to_max = default_cache_to_max;
	}
	if (s->cache_from.n > 0 || s->no_cache_from) {
		for (size_t i = 0; i < s->cache_from.n; i++)
			pcb_strv_push(&job->from, s->cache_from.v[i]);
	} else if (cf->cache_from.set) {
		for (size_t i = 0; i < cf->cache_from.value.n; i++) {
			if ((rc = pcb_build_cache_ref_check(cf->cache_from.value.v[i], false,
			    "cache_from", err)) != 0) {
				pcb_err_prefix(err, "%s", cf->cache_from.source);
				return rc;
			}
			pcb_strv_push(&job->from, cf->cache_from.value.v[i]);
		}
	} else {
		for (size_t i = 0; i < default_cache_from.n; i++)
			pcb_strv_push(&job->from, default_cache_from.v[i]);
	}
	return 0;
}

static void
rcache_job_free(struct rcache_job *job)
{
	if (job == NULL)
		return;
	for (size_t i = 0; i < job->hosts.n; i++)
		pcb_registry_destroy(job->regs[i]);
	free(job->regs);
	pcb_strv_free(&job->hosts);
	pcb_rcache_destroy(job->rc);
	free(job->to);
	pcb_strv_free(&job->from);
	json_object_put(job->info);
	pthread_mutex_destroy(&job->mu);
	free(job);
}

static void
emit_log(const struct pcb_build_ctx *ctx, const char *level, const char *msg)
{
	if (ctx->emit != NULL)
		ctx->emit(ctx->emit_ud, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = level,
		    .message = msg });
}

/* NULL (and nothing to do) when the build neither reads nor writes a registry cache. */
static int
rcache_job_create(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const struct plan *p, struct rcache_job **out, struct pcb_err *err)
{
	struct rcache_job *job = pcb_xcalloc(1, sizeof *job);
	json_object *froms;
	int rc;

	pthread_mutex_init(&job->mu, NULL);
	pcb_strv_init(&job->hosts);
	pcb_strv_init(&job->from);
	job->s = s;
	job->ctx = ctx;
	*out = NULL;
	if ((rc = rcache_settings(s, p, job, err)) != 0 || (job->to == NULL && job->from.n == 0)) {
		rcache_job_free(job);
		return rc;
	}
	job->rc = pcb_rcache_create(ctx->store, rcache_verify, job);
	job->info = json_object_new_object();
	froms = json_object_new_array();
	if (job->from.n > 0)
		emit(ctx, &(struct pcb_event){ .type = PCB_EVENT_PHASE, .phase = "cache",
		    .message = "reading the registry cache" });
	for (size_t i = 0; i < job->from.n; i++) {
		struct pcb_image_ref ref;
		json_object *man = NULL, *mapping = NULL, *fj = json_object_new_object();
		struct pcb_err e;
		size_t n = 0;
		char *msg;

		memset(&ref, 0, sizeof ref);
		pcb_err_clear(&e);
		json_object_object_add(fj, "ref", json_object_new_string(job->from.v[i]));
		rc = rcache_read(job, job->from.v[i], &man, &mapping, &ref, &e);
		if (rc == 0)
			rc = pcb_rcache_import(job->rc, man, mapping, ref.registry, ref.repository, &n,
			    &e);
		if (rc == 0) {
			msg = pcb_xasprintf("registry cache %s: %zu entr%s", job->from.v[i], n,
			    n == 1 ? "y" : "ies");
			emit_log(ctx, "info", msg);
			json_object_object_add(fj, "entries", json_object_new_int64((int64_t)n));
		} else {
			/* A cache is a shortcut: without it the build takes the long way. */
			msg = pcb_xasprintf("registry cache %s not used: %s", job->from.v[i], e.msg);
			emit_log(ctx, rc == PCB_ENOENT ? "info" : "warn", msg);
			json_object_object_add(fj, "error", json_object_new_string(e.msg));
		}
		free(msg);
		json_object_array_add(froms, fj);
		json_object_put(man);
		json_object_put(mapping);
		pcb_image_ref_free(&ref);
		if (cancelled(ctx)) {
			json_object_put(froms);
			rcache_job_free(job);
			return pcb_err_set(err, PCB_ECANCELED, "build cancelled");
		}
	}
	json_object_object_add(job->info, "from", froms);
	*out = job;
	return 0;
}

/* The layers of the image manifest (or of each manifest of the index) digest names. */
static void
image_layer_digests(struct pcb_store *st, const char *digest, int depth, struct pcb_strv *out)
{
	json_object *doc = NULL, *a;

	if (depth > 1 || read_doc(st, digest, "image", &doc, NULL) != 0)
		return;
	if (json_object_object_get_ex(doc, "manifests", &a) &&
	    json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *d = jstr(json_object_array_get_idx(a, i), "digest");
			if (d != NULL && pcb_digest_valid(d))
				image_layer_digests(st, d, depth + 1, out);
		}
	if (json_object_object_get_ex(doc, "layers", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *d = jstr(json_object_array_get_idx(a, i), "digest");
			if (d != NULL && !pcb_strv_contains(out, d))
				pcb_strv_push(out, d);
		}
	json_object_put(doc);
}

static void
rcache_pause(int attempt)
{
	char hex[5];
	unsigned v;
	struct timespec ts;

	/* Two writers that raced once should not race again in step. */
	pcb_random_hex(hex, 2);
	v = (unsigned)strtoul(hex, NULL, 16) % 250;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(50 + v) * attempt * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec = ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
	}
	nanosleep(&ts, NULL);
}

/* Writes the job's entries to its cache_to (see above). image_digest: the final image's
 * manifest or index (mode=min keeps its layers). Adds "to" to the job's info; an error is
 * the caller's to report (as a warning). */
static int
rcache_job_write(struct rcache_job *job, const char *image_digest, struct pcb_err *err)
{
	struct pcb_strv keep;
	struct pcb_image_ref ref;
	json_object *base = NULL, *man = NULL, *back = NULL, *tj, *pushed = NULL;
	char mapd[PCB_DIGEST_BUFSZ], mand[PCB_DIGEST_BUFSZ], *msg;
	size_t nl = 0, nr = 0;
	int attempt = 0, rc;

	pcb_strv_init(&keep);
	memset(&ref, 0, sizeof ref);
	tj = json_object_new_object();
	json_object_object_add(tj, "ref", json_object_new_string(job->to));
	json_object_object_add(tj, "mode", json_object_new_string(job->to_max ? "max" : "min"));
	if (!job->to_max)
		image_layer_digests(job->ctx->store, image_digest, 0, &keep);
	emit(job->ctx, &(struct pcb_event){ .type = PCB_EVENT_PHASE, .phase = "cache",
	    .message = job->to });
	/* What is there now: merged under ours. A cache that is not there yet is fine. */
	rc = rcache_read(job, job->to, &man, &base, &ref, err);
	json_object_put(man);
	man = NULL;
	if (rc == PCB_ENOENT) {
		pcb_err_clear(err);
		rc = 0;
	} else if (rc != 0) {
		pcb_err_prefix(err, "reading the registry cache %s before writing it", job->to);
		goto out;
	}
	for (attempt = 1; attempt <= RCACHE_WRITE_ATTEMPTS; attempt++) {
		json_object *mapping = pcb_rcache_mapping(job->rc, job->to_max ? NULL : &keep, base);
		pcb_rcache_mapping_count(mapping, &nl, &nr);
		rc = pcb_rcache_artifact_put(job->ctx->store, mapping, mapd, mand, err);
		json_object_put(mapping);
		if (rc != 0)
			goto out;
		json_object_put(pushed);
		pushed = NULL;
		rc = pcb_transfer_push(&job->s->access, job->ctx, mand, job->to, &pushed, err);
		pcb_store_unpin(job->ctx->store, mapd);
		pcb_store_unpin(job->ctx->store, mand);
		if (rc != 0) {
			pcb_err_prefix(err, "writing the registry cache %s", job->to);
			goto out;
		}
		pcb_image_ref_free(&ref);
		memset(&ref, 0, sizeof ref);
		json_object_put(back);
		back = NULL;
		if ((rc = rcache_read(job, job->to, &man, &back, &ref, err)) != 0) {
			pcb_err_prefix(err, "reading the registry cache %s back", job->to);
			goto out;
		}
		json_object_put(man);
		man = NULL;
		if (pcb_rcache_mapping_covers(job->rc, job->to_max ? NULL : &keep, back)) {
			/* Ours is there now; but a writer that read the cache before our write can
			 * still replace it with a merge that lacks ours. Its write follows ours by
			 * at most the time one write takes: look twice more, a little later, and
			 * only then trust it (measured: without this, one of two concurrent writers
			 * lost its entries about one run in three). */
			bool lost = false;
			for (int settle = 1; settle <= RCACHE_SETTLE_CHECKS && !lost; settle++) {
				rcache_pause(4 * settle);
				pcb_image_ref_free(&ref);
				memset(&ref, 0, sizeof ref);
				json_object_put(back);
				back = NULL;
				if ((rc = rcache_read(job, job->to, &man, &back, &ref, err)) != 0) {
					pcb_err_prefix(err, "reading the registry cache %s back", job->to);
					goto out;
				}
				json_object_put(man);
				man = NULL;
				lost = !pcb_rcache_mapping_covers(job->rc, job->to_max ? NULL : &keep,
				    back);
			}
			if (!lost)
				break;
		}
		msg = pcb_xasprintf("registry cache %s: another writer replaced it in between "
		    "(attempt %d): merging again", job->to, attempt);
		emit_log(job->ctx, "info", msg);
		free(msg);
		json_object_put(base);
		base = back;
		back = NULL;
		rcache_pause(attempt);
		if (cancelled(job->ctx)) {
			rc = pcb_err_set(err, PCB_ECANCELED, "build cancelled");
			goto out;
		}
	}
	if (attempt > RCACHE_WRITE_ATTEMPTS) {
		rc = pcb_err_set(err, PCB_ECONFLICT, "the registry cache %s kept being replaced by "
		    "other writers: %d attempts", job->to, RCACHE_WRITE_ATTEMPTS);
		goto out;
	}
	json_object_object_add(tj, "digest", json_object_new_string(jstr(pushed, "digest")));
	json_object_object_add(tj, "layers", json_object_new_int64((int64_t)nl));
	json_object_object_add(tj, "resolutions", json_object_new_int64((int64_t)nr));
	json_object_object_add(tj, "attempts", json_object_new_int(attempt));
	json_object_object_add(tj, "blobs", json_object_get(json_object_object_get(pushed,
	    "blobs")));
	msg = pcb_xasprintf("registry cache %s written: %zu layer entr%s, %zu resolution%s "
	    "(mode=%s)", job->to, nl, nl == 1 ? "y" : "ies", nr, nr == 1 ? "" : "s",
	    job->to_max ? "max" : "min");
	emit_log(job->ctx, "info", msg);
	free(msg);
out:
	if (rc != 0)
		json_object_object_add(tj, "error", json_object_new_string(err->msg));
	json_object_object_add(job->info, "to", tj);
	json_object_put(base);
	json_object_put(back);
	json_object_put(man);
	json_object_put(pushed);
	pcb_image_ref_free(&ref);
	pcb_strv_free(&keep);
	return rc;
}

/* The result's "cache": what was read, used and written. Caller puts. */
static json_object *
rcache_job_result(struct rcache_job *job)
{
	struct pcb_rcache_stats st;
	json_object *j = NULL;

	pcb_rcache_stats(job->rc, &st);
	json_object_deep_copy(job->info, &j, NULL);
	json_object_object_add(j, "layers_reused", json_object_new_int64((int64_t)st.layer_hits));
	json_object_object_add(j, "resolutions_reused",
	    json_object_new_int64((int64_t)st.resolution_hits));
	json_object_object_add(j, "entries_ignored", json_object_new_int64((int64_t)st.ignored));
	return j;
}

/* The multi-platform driver makes its parts from the spec alone: the job's cache is found
 * through it while the driver runs. */
struct rcache_reg {
	const struct pcb_build_spec *s;
	struct pcb_rcache *rc;
	struct rcache_reg *next;
};
static pthread_mutex_t rcache_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rcache_reg *rcache_reg_head;

static void
rcache_register(const struct pcb_build_spec *s, struct pcb_rcache *rc)
{
	struct rcache_reg *e = pcb_xcalloc(1, sizeof *e);

	e->s = s;
	e->rc = rc;
	pthread_mutex_lock(&rcache_reg_mu);
	e->next = rcache_reg_head;
	rcache_reg_head = e;
	pthread_mutex_unlock(&rcache_reg_mu);
}

static void
rcache_unregister(const struct pcb_build_spec *s)
{
	pthread_mutex_lock(&rcache_reg_mu);
	for (struct rcache_reg **pp = &rcache_reg_head; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->s == s) {
			struct rcache_reg *e = *pp;
			*pp = e->next;
			free(e);
			break;
		}
	pthread_mutex_unlock(&rcache_reg_mu);
}

static struct pcb_rcache *
rcache_lookup(const struct pcb_build_spec *s)
{
	struct pcb_rcache *rc = NULL;

	pthread_mutex_lock(&rcache_reg_mu);
	for (struct rcache_reg *e = rcache_reg_head; e != NULL && rc == NULL; e = e->next)
		if (e->s == s)
			rc = e->rc;
	pthread_mutex_unlock(&rcache_reg_mu);
	return rc;
}

/* ---- Rebase (build.h pcb_rebase_run; the derivation itself is image/rebase.c) -------------
 *
 * Here because both bases are resolved exactly as a build resolves its base (base_resolve:
 * the caller's store tags, else the registry, --pull, the daemon's base registry, the build's
 * platform checks), so "the base tag moved" means the same to a rebase as to a rebuild. */

void
pcb_rebase_spec_init(struct pcb_rebase_spec *s)
{
	memset(s, 0, sizeof *s);
	pcb_strv_init(&s->tags);
	pcb_transfer_access_init(&s->access);
}

void
pcb_rebase_spec_free(struct pcb_rebase_spec *s)
{
	free(s->image);
	free(s->base);
	pcb_strv_free(&s->tags);
	free(s->base_registry);
	pcb_transfer_access_free(&s->access);
	free(s->manifest_digest);
	memset(s, 0, sizeof *s);
}

/* An image named by digest or build id, not by a tag: the result needs a tag of its own. */
static bool
rebase_image_untagged(const char *image)
{
	return pcb_str_has_prefix(image, "sha256:") || strchr(image, '@') != NULL ||
	    pcb_push_source_is_build(image);
}

int
pcb_rebase_spec_from_json(json_object *j, struct pcb_rebase_spec *s, struct pcb_err *err)
{
	int rc = 0;

	if (j == NULL || !json_object_is_type(j, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "rebase spec: expected a JSON object");
	json_object_object_foreach(j, key, v) {
		bool handled = false;

		if (strcmp(key, "image") == 0) {
			free(s->image);
			s->image = NULL;
			if ((rc = get_string(v, "image", &s->image, err)) == 0 &&
			    (s->image[0] == '\0' || strlen(s->image) > 512))
				rc = pcb_err_set(err, PCB_EINVAL, "image: name the image to rebase (a tag, "
				    "NAME@sha256:…, a digest or a build id; 1 to 512 bytes)");
		} else if (strcmp(key, "base") == 0) {
			free(s->base);
			s->base = NULL;
			if ((rc = get_string(v, "base", &s->base, err)) != 0)
				break;
			if (strcmp(s->base, "scratch") == 0)
				rc = pcb_err_set(err, PCB_EINVAL, "base: scratch has no Python for the "
				    "image's virtual environment; name a base image");
			else
				rc = base_image_check(s->base, "base", err);
		} else if (strcmp(key, "tags") == 0) {
			rc = get_string_array(v, "tags", &s->tags, err);
			for (size_t i = 0; rc == 0 && i < s->tags.n; i++) {
				char *repo = NULL, *tag = NULL;
				if ((rc = pcb_ref_parse(s->tags.v[i], &repo, &tag, err)) != 0)
					pcb_err_prefix(err, "tags[%zu]", i);
				free(repo);
				free(tag);
			}
		} else if (strcmp(key, "pull") == 0) {
			if (!json_object_is_type(v, json_type_boolean))
				rc = pcb_err_set(err, PCB_EINVAL, "pull: expected a boolean, got %s",
				    pcb_json_type_name(v));
			else
				s->pull = json_object_get_boolean(v);
		} else if (strcmp(key, "base_registry") == 0) {
			free(s->base_registry);
			s->base_registry = NULL;
			if ((rc = get_string(v, "base_registry", &s->base_registry, err)) == 0)
				rc = base_registry_check(s->base_registry, "base_registry", err);
		} else if ((rc = pcb_transfer_access_field(key, v, &s->access, &handled, err)) != 0 ||
		    handled) {
			/* parsed (or failed) as a credential field */
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "rebase spec: unknown field '%.100s'", key);
		}
		if (rc != 0)
			break;
	}
	if (rc != 0)
		return rc;
	if (s->image == NULL)
		return pcb_err_set(err, PCB_EINVAL, "rebase spec: missing required field 'image'");
	if (s->tags.n == 0 && rebase_image_untagged(s->image))
		return pcb_err_set(err, PCB_EINVAL, "tags: %.200s names the image by digest or build "
		    "id, not by a tag: give the rebased image a tag", s->image);
	return 0;
}

json_object *
pcb_rebase_spec_to_json(const struct pcb_rebase_spec *s)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "image", s->image ? json_object_new_string(s->image) : NULL);
	if (s->base != NULL)
		json_object_object_add(j, "base", json_object_new_string(s->base));
	json_object_object_add(j, "tags", strv_to_array(&s->tags));
	if (s->pull)
		json_object_object_add(j, "pull", json_object_new_boolean(true));
	if (s->base_registry != NULL)
		json_object_object_add(j, "base_registry", json_object_new_string(s->base_registry));
	/* The credential fields are never echoed or stored. */
	return j;
}

/* The manifest digest the spec's image names for the caller (into digest, a PCB_DIGEST_BUFSZ
 * buffer); *tag_out: the tag as "repo:tag" when it was named by one (caller frees). */
static int
rebase_find_image(struct pcb_store *st, const struct pcb_rebase_spec *s, char *digest,
    char **tag_out, struct pcb_err *err)
{
	const char *d = s->manifest_digest;
	char *repo = NULL, *tag = NULL, *name = NULL, *found = NULL;
	int rc = 0;

	if (d == NULL && pcb_str_has_prefix(s->image, "sha256:"))
		d = s->image;
	else if (d == NULL && strchr(s->image, '@') != NULL)
		d = strchr(s->image, '@') + 1;
	if (d != NULL) {
		/* Anyone may name an image by its digest (store.h); it must be here. */
		if (!pcb_digest_valid(d))
			rc = pcb_err_set(err, PCB_EINVAL, "image: \"%.100s\" is not a digest", d);
		else if (pcb_store_stat(st, d, NULL, NULL, NULL) != 0)
			rc = pcb_err_set(err, PCB_ENOENT, "no image %s in the daemon's store", d);
		else
			snprintf(digest, PCB_DIGEST_BUFSZ, "%s", d);
		goto out;
	}
	if ((rc = pcb_ref_parse(s->image, &repo, &tag, err)) != 0) {
		pcb_err_prefix(err, "image");
		goto out;
	}
	name = pcb_xasprintf("%s:%s", repo, tag);
	if ((rc = pcb_store_tag_get_as(st, &s->as, name, &found, err)) != 0) {
		if (rc == PCB_ENOENT) {
			pcb_err_clear(err);
			rc = pcb_err_set(err, PCB_ENOENT, "no image %s in the daemon's store (neither a "
			    "tag of yours nor a shared one)", name);
		}
		goto out;
	}
	snprintf(digest, PCB_DIGEST_BUFSZ, "%s", found);
out:
	free(repo);
	free(tag);
	free(found);
	if (rc != 0) {
		free(name);
		name = NULL;
	}
	*tag_out = name;
	return rc;
}

/* ref resolved as a build resolves its --base-image (base_resolve) for plat, into b. */
static int
rebase_resolve_base(const struct pcb_rebase_spec *s, const struct pcb_build_ctx *ctx,
    const char *ref, const char *source, const struct pcb_platform *plat, struct base *b,
    struct pcb_err *err)
{
	struct pcb_build_spec bs;
	struct plan p;

	/* base_resolve reads no more of a spec than its access, caller and --pull, nor of a plan
	 * than its base fields and platform: both filled here shallowly (borrowed, not freed). */
	memset(&bs, 0, sizeof bs);
	bs.access = s->access;
	bs.as = s->as;
	bs.pull = s->pull;
	memset(&p, 0, sizeof p);
	p.base_image = ref;
	p.base_image_source = source;
	p.base_registry = s->base_registry != NULL ? s->base_registry : default_base_registry;
	p.platform = *plat;
	return base_resolve(&bs, ctx, &p, b, err);
}

/* The base the image records, read from the store; when the cache collected it (its tag
 * moved on), pulled again by its digest from where its name says. */
static int
rebase_old_base(const struct pcb_rebase_spec *s, const struct pcb_build_ctx *ctx,
    const struct pcb_rebase_doc *img, const char *what, const struct pcb_platform *plat,
    struct pcb_rebase_doc *out, struct pcb_err *err)
{
	const char *name = pcb_rebase_base_name(img), *d = pcb_rebase_base_digest(img);
	struct pcb_rebase_spec ps;
	struct base b;
	char *ref;
	int rc;

	memset(out, 0, sizeof *out);
	if (d == NULL)
		return pcb_err_set(err, PCB_EINVAL, "%s records no base image (no label "
		    PCB_LABEL_BASE_DIGEST "): it was built on scratch, or not by pycontainerd; "
		    "there is no base to swap", what);
	if (pcb_store_stat(ctx->store, d, NULL, NULL, NULL) == 0)
		return pcb_rebase_doc_load(ctx->store, d, "the image's base", out, err);
	if (name == NULL)
		return pcb_err_set(err, PCB_ENOENT, "%s: its base %s is no longer in the store and "
		    "has no name to pull it by; rebuild the image instead", what, d);
	ref = pcb_xasprintf("%.*s@%s", (int)strcspn(name, "@"), name, d);
	ps = *s;
	ps.pull = false;   /* a digest names the same bytes wherever they are */
	base_init(&b);
	rc = rebase_resolve_base(&ps, ctx, ref, "the image's base label", plat, &b, err);
	if (rc == 0)
		rc = pcb_rebase_doc_load(ctx->store, b.digest, "the image's base", out, err);
	if (rc != 0)
		pcb_err_prefix(err, "%s: its base %s is no longer in the store and could not be "
		    "pulled again (it tells the image's own settings from its base's; rebuild the "
		    "image instead)", what, ref);
	base_free(&b);
	free(ref);
	return rc;
}

/* Pins a blob the rebase uses until it ends (the tags then hold them). */
static void
rebase_pin(const struct pcb_build_ctx *ctx, struct pcb_strv *pins, const char *digest)
{
	if (pcb_store_pin(ctx->store, digest) == 0)
		pcb_strv_push(pins, digest);
}

/* {ref, digest, layers, python} of a base. */
static json_object *
rebase_base_json(const char *ref, const struct pcb_rebase_doc *d, const char *python)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ref", ref != NULL ? json_object_new_string(ref) : NULL);
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	json_object_object_add(o, "layers", json_object_new_int64((int64_t)
	    json_object_array_length(json_object_object_get(d->manifest, "layers"))));
	json_object_object_add(o, "python", python[0] ? json_object_new_string(python) : NULL);
	return o;
}

int
pcb_rebase_run(const struct pcb_rebase_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err)
{
	struct pcb_rebase_doc img, oldb, newb;
	struct pcb_rebase_result rr;
	struct pcb_platform plat;
	struct pcb_strv tags, pins;
	struct base nb;
	json_object *result = NULL, *ij;
	char digest[PCB_DIGEST_BUFSZ], ptext[100], *tag = NULL, *msg;
	const char *new_ref, *what;
	bool rebased;
	int rc;

	memset(&img, 0, sizeof img);
	memset(&oldb, 0, sizeof oldb);
	memset(&newb, 0, sizeof newb);
	memset(&rr, 0, sizeof rr);
	pcb_strv_init(&tags);
	pcb_strv_init(&pins);
	base_init(&nb);
	emit_phase(ctx, "rebase", s->image);
	if ((rc = rebase_find_image(ctx->store, s, digest, &tag, err)) != 0)
		goto out;
	what = tag != NULL ? tag : digest;
	if ((rc = pcb_rebase_doc_load(ctx->store, digest, "image", &img, err)) != 0)
		goto out;
	rebase_pin(ctx, &pins, digest);
	snprintf(ptext, sizeof ptext, "%.31s/%.31s%s%.31s", jstr(img.config, "os") ?
	    jstr(img.config, "os") : "?", jstr(img.config, "architecture") ?
	    jstr(img.config, "architecture") : "?", jstr(img.config, "variant") ? "/" : "",
	    jstr(img.config, "variant") ? jstr(img.config, "variant") : "");
	if ((rc = pcb_platform_parse(ptext, &plat, err)) != 0) {
		pcb_err_prefix(err, "%s: its config's platform", what);
		goto out;
	}
	if ((rc = rebase_old_base(s, ctx, &img, what, &plat, &oldb, err)) != 0)
		goto out;
	msg = pcb_xasprintf("%s: %s on base %s (%s, %zu layers), %zu layers of its own", what,
	    digest, pcb_rebase_base_name(&img) ? pcb_rebase_base_name(&img) : "?", oldb.digest,
	    json_object_array_length(json_object_object_get(oldb.manifest, "layers")),
	    json_object_array_length(json_object_object_get(img.manifest, "layers")) -
	    json_object_array_length(json_object_object_get(oldb.manifest, "layers")));
	emit(ctx, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "info", .message = msg });
	free(msg);

	new_ref = s->base != NULL ? s->base : pcb_rebase_base_name(&img);
	if (new_ref == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s records its base by digest only (no label "
		    PCB_LABEL_BASE_NAME "): name the new base", what);
		goto out;
	}
	if ((rc = rebase_resolve_base(s, ctx, new_ref, s->base != NULL ? "pcb rebase --base" :
	    "the image's base tag (" PCB_LABEL_BASE_NAME ")", &plat, &nb, err)) != 0)
		goto out;
	rebase_pin(ctx, &pins, nb.digest);
	rebase_pin(ctx, &pins, nb.config_digest);
	if ((rc = pcb_rebase_doc_load(ctx->store, nb.digest, "the new base", &newb, err)) != 0)
		goto out;

	for (size_t i = 0; i < s->tags.n; i++) {
		char *repo = NULL, *t = NULL;
		if ((rc = pcb_ref_parse(s->tags.v[i], &repo, &t, err)) != 0)
			goto out;
		pcb_strv_push_owned(&tags, pcb_xasprintf("%s:%s", repo, t));
		free(repo);
		free(t);
	}
	if (tags.n == 0 && tag == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s is named by digest: give the rebased image a "
		    "tag", s->image);
		goto out;
	}
	if (tags.n == 0)
		pcb_strv_push(&tags, tag);

	emit_phase(ctx, "config", "deriving the config on the new base");
	rebased = strcmp(nb.digest, oldb.digest) != 0;
	if (rebased) {
		if ((rc = pcb_rebase_apply(ctx->store, &img, &oldb, &newb, nb.ref, &rr, err)) != 0) {
			pcb_err_prefix(err, "rebasing %s onto %s", what, new_ref);
			goto out;
		}
	} else {
		/* Already on it: the image stays what it is. */
		snprintf(rr.manifest_digest, sizeof rr.manifest_digest, "%s", img.digest);
		rr.manifest_size = img.size;
		snprintf(rr.config_digest, sizeof rr.config_digest, "%s",
		    jstr(json_object_object_get(img.manifest, "config"), "digest"));
		rr.config_size = (uint64_t)json_object_get_int64(json_object_object_get(
		    json_object_object_get(img.manifest, "config"), "size"));
		pcb_rebase_python(oldb.config, rr.old_python, NULL);
		pcb_rebase_python(newb.config, rr.new_python, NULL);
	}
	rebase_pin(ctx, &pins, rr.manifest_digest);
	rebase_pin(ctx, &pins, rr.config_digest);
	msg = rebased ? pcb_xasprintf("%s: %zu base layers replaced by the %zu of %s, %zu of its "
	    "own kept as they are (Python %s): manifest %s", what, rr.n_old_base, rr.n_new_base,
	    nb.ref, rr.n_ours, rr.new_python[0] ? rr.new_python : "not stated",
	    rr.manifest_digest) : pcb_xasprintf("%s is already on %s (%s): nothing to do", what,
	    nb.ref, nb.digest);
	emit(ctx, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "info", .message = msg });
	free(msg);

	emit_phase(ctx, "tag", tags.v[0]);
	for (size_t i = 0; i < tags.n; i++)
		if ((rc = pcb_store_tag_set_as(ctx->store, &s->as, tags.v[i], rr.manifest_digest,
		    err)) != 0)
			goto out;

	result = json_object_new_object();
	ij = json_object_new_object();
	json_object_object_add(ij, "ref", json_object_new_string(s->image));
	json_object_object_add(ij, "digest", json_object_new_string(digest));
	json_object_object_add(result, "image", ij);
	json_object_object_add(result, "rebased", json_object_new_boolean(rebased));
	json_object_object_add(result, "manifest", pcb_oci_descriptor(PCB_MT_OCI_MANIFEST,
	    rr.manifest_digest, rr.manifest_size));
	json_object_object_add(result, "config", pcb_oci_descriptor(PCB_MT_OCI_CONFIG,
	    rr.config_digest, rr.config_size));
	json_object_object_add(result, "layers", rr.layers != NULL ? json_object_get(rr.layers) :
	    NULL);
	json_object_object_add(result, "old_base", rebase_base_json(pcb_rebase_base_name(&img),
	    &oldb, rr.old_python));
	json_object_object_add(result, "base", rebase_base_json(nb.ref, &newb, rr.new_python));
	json_object_object_add(result, "tags", strv_to_array(&tags));
	pcb_platform_format(&plat, ptext);
	json_object_object_add(result, "platform", json_object_new_string(ptext));
out:
	for (size_t i = 0; i < pins.n; i++)
		pcb_store_unpin(ctx->store, pins.v[i]);
	pcb_strv_free(&tags);
	pcb_strv_free(&pins);
	pcb_rebase_result_free(&rr);
	pcb_rebase_doc_free(&img);
	pcb_rebase_doc_free(&oldb);
	pcb_rebase_doc_free(&newb);
	base_free(&nb);
	free(tag);
	*result_out = result;
	return rc;
}

/* PATH on a base that has one: the base's stays; the components of ours it lacks (a user's
 * or config PATH) go in front. Our default PATH alone adds nothing. */
static char *
merge_path(const char *base_path, const char *ours)
{
	struct pcb_buf b;
	char *copy = pcb_xstrdup(ours), *save = NULL, *tmpl = pcb_xasprintf(":%s:", base_path);

	pcb_buf_init(&b, 64 * 1024);
	for (char *c = strtok_r(copy, ":", &save); c != NULL; c = strtok_r(NULL, ":", &save)) {
		char *needle = pcb_xasprintf(":%s:", c);
		if (strstr(tmpl, needle) == NULL)
			(void)pcb_buf_appendf(&b, "%s:", c);
		free(needle);
	}
	(void)pcb_buf_appendf(&b, "%s", base_path);
	free(copy);
	free(tmpl);
	return pcb_buf_steal(&b, NULL);
}

static const char *
kv_get(const struct pcb_strv *sv, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], key, kl) == 0 && sv->v[i][kl] == '=')
			return sv->v[i] + kl + 1;
	return NULL;
}

/* The image config. On a base, docker's inheritance: the base's config is the start and
 * ours is laid over it — Env merged per key (ours win; PATH see merge_path), Entrypoint ours
 * (then a Cmd of ours or none: setting an Entrypoint clears the inherited Cmd) or else
 * inherited, Cmd ours or inherited, WorkingDir ours, User ours or the base's, Labels the
 * base's then ours, ExposedPorts both, StopSignal and everything else the base's; history
 * and rootfs.diff_ids the base's followed by ours; os/architecture/variant the base's. */
static json_object *
make_config(const struct plan *p, const struct base *b, const struct pcb_deps_result *deps,
    const char *venv, const struct pcb_layer_result *app, size_t n_files)
{
	json_object *c = json_object_new_object(), *cfg = NULL, *bcfg = NULL, *v;
	json_object *rootfs = json_object_new_object(), *diff_ids = json_object_new_array();
	json_object *history = json_object_new_array(), *h = json_object_new_object();
	json_object *labels, *ports = NULL;
	struct pcb_strv env;

	pcb_strv_init(&env);
	if (!b->scratch && json_object_object_get_ex(b->config, "config", &bcfg) &&
	    json_object_is_type(bcfg, json_type_object))
		json_object_deep_copy(bcfg, &cfg, NULL);
	if (cfg == NULL)
		cfg = json_object_new_object();
	json_object_object_add(c, "created", json_object_new_string(p->created_str));
	if (!b->scratch) {
		json_object_object_add(c, "architecture",
		    json_object_new_string(jstr(b->config, "architecture")));
		json_object_object_add(c, "os", json_object_new_string(jstr(b->config, "os")));
		if (jstr(b->config, "variant") != NULL)
			json_object_object_add(c, "variant",
			    json_object_new_string(jstr(b->config, "variant")));
	} else {
		json_object_object_add(c, "architecture", json_object_new_string(p->platform.arch));
		json_object_object_add(c, "os", json_object_new_string(p->platform.os));
		if (p->platform.variant[0] != '\0')
			json_object_object_add(c, "variant",
			    json_object_new_string(p->platform.variant));
	}

	if (json_object_object_get_ex(cfg, "Env", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *e = json_object_get_string(json_object_array_get_idx(v, i));
			if (e != NULL && strchr(e, '=') != NULL && e[0] != '=')
				kv_set_src(&env, NULL, e, NULL);
		}
	for (size_t i = 0; i < p->env.n; i++) {
		const char *base_path = kv_get(&env, "PATH");
		if (pcb_str_has_prefix(p->env.v[i], "PATH=") && base_path != NULL) {
			char *merged, *kv;
			if (i < p->env_sources.n && strcmp(p->env_sources.v[i], "default") == 0)
				continue;
			merged = merge_path(base_path, p->env.v[i] + 5);
			kv = pcb_xasprintf("PATH=%s", merged);
			kv_set_src(&env, NULL, kv, NULL);
			free(kv);
			free(merged);
		} else {
			kv_set_src(&env, NULL, p->env.v[i], NULL);
		}
	}
	/* Dependencies: the venv's bin in front of PATH (unless it is on it already), and
	 * VIRTUAL_ENV unless the user set one. */
	if (deps->n > 0) {
		const char *path = kv_get(&env, "PATH");
		char *bin = pcb_xasprintf("%s/bin", venv);
		char *merged = merge_path(path != NULL ? path : DEFAULT_PATH, bin);
		char *kv = pcb_xasprintf("PATH=%s", merged);
		kv_set_src(&env, NULL, kv, NULL);
		free(kv);
		free(merged);
		free(bin);
		if (kv_get(&p->env, "VIRTUAL_ENV") == NULL) {
			kv = pcb_xasprintf("VIRTUAL_ENV=%s", venv);
			kv_set_src(&env, NULL, kv, NULL);
			free(kv);
		}
	}
	json_object_object_add(cfg, "Env", strv_to_array(&env));
	if (p->entrypoint.n > 0) {
		json_object_object_add(cfg, "Entrypoint", strv_to_array(&p->entrypoint));
		if (p->cmd.n > 0)
			json_object_object_add(cfg, "Cmd", strv_to_array(&p->cmd));
		else
			json_object_object_del(cfg, "Cmd");
	} else if (p->cmd.n > 0) {
		json_object_object_add(cfg, "Cmd", strv_to_array(&p->cmd));
	}
	json_object_object_add(cfg, "WorkingDir", json_object_new_string(p->workdir));
	if (!json_object_object_get_ex(cfg, "Labels", &labels) ||
	    !json_object_is_type(labels, json_type_object)) {
		labels = json_object_new_object();
		json_object_object_add(cfg, "Labels", labels);
	}
	for (size_t i = 0; i < p->labels.n; i++) {
		const char *eq = strchr(p->labels.v[i], '=');
		char *k = pcb_xstrndup(p->labels.v[i], (size_t)(eq - p->labels.v[i]));
		json_object_object_add(labels, k, json_object_new_string(eq + 1));
		free(k);
	}
	if (!b->scratch) {
		json_object_object_add(labels, "org.opencontainers.image.base.name",
		    json_object_new_string(b->ref));
		json_object_object_add(labels, "org.opencontainers.image.base.digest",
		    json_object_new_string(b->digest));
	}
	if (p->exposed_port[0] != '\0') {
		if (!json_object_object_get_ex(cfg, "ExposedPorts", &ports) ||
		    !json_object_is_type(ports, json_type_object)) {
			ports = json_object_new_object();
			json_object_object_add(cfg, "ExposedPorts", ports);
		}
		json_object_object_add(ports, p->exposed_port, json_object_new_object());
	}
	if (p->user != NULL)
		json_object_object_add(cfg, "User", json_object_new_string(p->user));
	/* Maps in the key order Go's encoding/json writes them (sorted), so a tool that reads
	 * and writes the config again (skopeo copying a docker-archive into an OCI layout)
	 * gets the same bytes, and so the same config digest. */
	cfg = pcb_oci_config_canonical(cfg);
	json_object_object_add(c, "config", cfg);

	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	for (size_t i = 0; i < b->diff_ids.n; i++)
		json_object_array_add(diff_ids, json_object_new_string(b->diff_ids.v[i]));
	for (size_t i = 0; i < deps->n; i++)
		json_object_array_add(diff_ids, json_object_new_string(deps->v[i].res.diff_id));
	json_object_array_add(diff_ids, json_object_new_string(app->diff_id));
	json_object_object_add(rootfs, "diff_ids", diff_ids);
	json_object_object_add(c, "rootfs", rootfs);
	if (!b->scratch && json_object_object_get_ex(b->config, "history", &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(history, json_object_get(json_object_array_get_idx(v, i)));
	for (size_t i = 0; i < deps->n; i++) {
		json_object *dh = json_object_new_object();
		char *by = pcb_xasprintf("pycontainerd: %s layer", deps->v[i].name);
		json_object_object_add(dh, "created", json_object_new_string(p->created_str));
		json_object_object_add(dh, "created_by", json_object_new_string(by));
		if (deps->v[i].contents.n > 0) {
			struct pcb_buf cb;
			pcb_buf_init(&cb, 64 * 1024);
			for (size_t k = 0; k < deps->v[i].contents.n; k++)
				(void)pcb_buf_appendf(&cb, "%s%s", k ? ", " : "", deps->v[i].contents.v[k]);
			json_object_object_add(dh, "comment", json_object_new_string(cb.data));
			pcb_buf_free(&cb);
		}
		json_object_array_add(history, dh);
		free(by);
	}
	json_object_object_add(h, "created", json_object_new_string(p->created_str));
	json_object_object_add(h, "created_by", json_object_new_string("pycontainerd: app layer"));
	{
		char *comment = pcb_xasprintf("%zu tar entries", n_files);
		json_object_object_add(h, "comment", json_object_new_string(comment));
		free(comment);
	}
	json_object_array_add(history, h);
	json_object_object_add(c, "history", history);
	pcb_strv_free(&env);
	return c;
}

static json_object *
layer_json(const char *name, const struct pcb_layer_result *r)
{
	json_object *l = pcb_oci_descriptor(r->media_type, r->digest, r->size);
	json_object_object_add(l, "diff_id", json_object_new_string(r->diff_id));
	json_object_object_add(l, "name", json_object_new_string(name));
	json_object_object_add(l, "entries", json_object_new_int64((int64_t)r->n_entries));
	json_object_object_add(l, "uncompressed_size", json_object_new_int64((int64_t)r->tar_size));
	return l;
}

/* ---- Dependencies --------------------------------------------------------------------
 *
 * The target Python is the base image's: X.Y from its PYTHON_VERSION (official python
 * images and `pcb base create` set it), else the project's requires-python. The venv points
 * at the base's interpreter, /usr/local/bin/pythonX.Y unless the spec names another. */

#define VENV_PATH "/opt/venv"

/* Our layers' compression from the spec (levels left 0 take layer.h's defaults). */
static void
layer_opts_compression(const struct pcb_build_spec *s, struct pcb_layer_opts *o)
{
	o->compression = s->compression;
	if (s->compression == PCB_COMPRESS_ZSTD)
		o->zstd_level = s->compression_level;
	else
		o->gzip_level = s->compression_level;
}

static int
deps_step(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const struct plan *p, const struct base *b, struct pcb_rcache *rcache,
    struct pcb_deps_result *deps, struct pcb_err *err)
{
	struct pcb_deps_target t;
	json_object *bcfg = NULL, *env = NULL;
	char pyver[16] = "", *python = NULL, *msg, *app_path = NULL;
	int micro = -1;
	const char *pyver_source = NULL;
	int rc;

	if (!b->scratch && json_object_object_get_ex(b->config, "config", &bcfg) &&
	    json_object_object_get_ex(bcfg, "Env", &env) && json_object_is_type(env, json_type_array))
		for (size_t i = 0; i < json_object_array_length(env); i++) {
			const char *e = json_object_get_string(json_object_array_get_idx(env, i));
			int maj, min, mic = -1;
			if (e != NULL && sscanf(e, "PYTHON_VERSION=%d.%d.%d", &maj, &min, &mic) >= 2 &&
			    maj == 3 && min >= 0 && min < 100) {
				snprintf(pyver, sizeof pyver, "%d.%d", maj, min);
				pyver_source = "the base image's PYTHON_VERSION";
				micro = mic >= 0 && mic < 1000 ? mic : -1;
			}
		}
	if (pyver[0] == '\0' && p->python_version != NULL) {
		snprintf(pyver, sizeof pyver, "%s", p->python_version);
		pyver_source = p->python_version_source;
	}
	memset(&t, 0, sizeof t);
	if (pyver[0] == '\0') {
		/* Nothing says which Python: only a problem when there are dependencies. */
		snprintf(pyver, sizeof pyver, "%s", DEFAULT_PYTHON);
		pyver_source = "default";
	}
	if ((rc = pcb_pytarget_init(&t.py, p->platform.os, p->platform.arch, p->platform.variant,
	    pyver, err)) != 0) {
		if (s->deps.source != NULL && strcmp(s->deps.source, "none") == 0)
			return 0;
		pcb_err_clear(err);
		/* A platform wheels do not exist for is fine for an app without dependencies. */
		memset(&t.py, 0, sizeof t.py);
		t.py.py_major = 3;
		t.py.py_minor = 12;
		snprintf(t.py.arch, sizeof t.py.arch, "%s", p->platform.arch);
	}
	/* Markers and requires-python see the base's exact version when it states one. */
	t.py.py_micro = micro;
	python = s->python != NULL ? pcb_xstrdup(s->python) :
	    pcb_xasprintf("/usr/local/bin/python%d.%d", t.py.py_major, t.py.py_minor);
	t.python = python;
	t.venv = VENV_PATH;
	t.mtime = p->created;
	{
		struct pcb_layer_opts lo;
		memset(&lo, 0, sizeof lo);
		layer_opts_compression(s, &lo);
		t.compression = lo.compression;
		t.gzip_level = lo.gzip_level;
		t.zstd_level = lo.zstd_level;
	}
	t.pip_python = getenv("PCB_PIP_PYTHON");
	app_path = plan_app_path(p);
	t.app_path = app_path;
	t.compile = !s->deps.no_compile;
	t.no_cache = s->no_cache;
	t.rcache = rcache;
	emit_phase(ctx, "deps", "resolving dependencies");
	{
		/* The dependency files are the caller's: read (and pip run) with their rights. */
		struct pcb_deps_spec ds = s->deps;
		ds.as = &s->as;
		rc = pcb_deps_build(&ds, &p->proj, &t, ctx, deps, err);
	}
	if (rc == 0 && deps->n > 0) {
		size_t reused = 0;
		for (size_t i = 0; i < deps->n; i++)
			reused += deps->v[i].reused;
		msg = pcb_xasprintf("%zu dependency layer%s (%zu reused) for Python %s (%s) in %s, "
		    "interpreter %s", deps->n, deps->n == 1 ? "" : "s", reused, pyver, pyver_source,
		    VENV_PATH, python);
		emit_phase(ctx, "deps", msg);
		free(msg);
	} else if (rc != 0) {
		pcb_err_prefix(err, "dependencies");
	}
	free(python);
	free(app_path);
	return rc;
}

/* What one build holds between its steps. The steps run in pcb_build_run's order; each may
 * read what the earlier ones made. */
struct run {
	const struct pcb_build_spec *s;
	const struct pcb_build_ctx *ctx;
	struct plan p;
	struct base base;
	struct pcb_deps_result deps;
	struct pcb_layer_result app;
	bool app_reused;
	bool app_remote;            /* from the registry cache: the store lacks its blob */
	struct pcb_rcache *rc;      /* the job's registry cache, or NULL (borrowed) */
	/* Blobs a running build uses or made: pinned so the cache's collector leaves them alone
	 * until the build is over (store.h pcb_store_pin). */
	struct pcb_strv pins;
	char config_digest[PCB_DIGEST_BUFSZ], manifest_digest[PCB_DIGEST_BUFSZ];
	size_t config_size, manifest_size;
	struct steps *steps;        /* r->ctx sends through it */
	bool untagged;              /* one platform of an index (multi.c): the index is tagged */
	json_object *referrers;     /* the SBOM / provenance referrers attached (run_sbom) */
};

/* The next step begins. */
static void
run_step(struct run *r)
{
	if (r->steps != NULL && r->steps->index < r->steps->count)
		r->steps->index++;
}

/* A layer event: the layer's JSON (borrowed) and how many of its bytes are there. */
static void
run_layer_event(const struct run *r, const char *name, json_object *lj, uint64_t done,
    uint64_t total)
{
	emit(r->ctx, &(struct pcb_event){ .type = PCB_EVENT_LAYER, .layer = name, .data = lj,
	    .done = done, .total = total });
}

static void
run_init(struct run *r, const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx)
{
	memset(r, 0, sizeof *r);
	r->s = s;
	r->ctx = ctx;
	pcb_strv_init(&r->pins);
	base_init(&r->base);
	/* r->p stays zeroed until plan_make, the first step, initialises it. */
}

static void
run_free(struct run *r)
{
	for (size_t i = 0; i < r->pins.n; i++)
		pcb_store_unpin(r->ctx->store, r->pins.v[i]);
	pcb_strv_free(&r->pins);
	pcb_deps_result_free(&r->deps);
	base_free(&r->base);
	plan_free(&r->p);
	json_object_put(r->referrers);
}

static void
run_pin(struct run *r, const char *digest)
{
	if (digest != NULL && pcb_store_pin(r->ctx->store, digest) == 0)
		pcb_strv_push(&r->pins, digest);
}

static int
run_check_cancel(const struct run *r, struct pcb_err *err)
{
	return cancelled(r->ctx) ? pcb_err_set(err, PCB_ECANCELED, "build cancelled") : 0;
}

/* The base's layers as they go in the manifest (borrowed). */
static size_t
run_n_base_layers(const struct run *r)
{
	return r->base.scratch ? 0 : json_object_array_length(r->base.layers);
}

static json_object *
run_base_layer(const struct run *r, size_t i)
{
	return json_object_array_get_idx(r->base.layers, i);
}

static int
run_plan(struct run *r, struct pcb_err *err)
{
	char *msg;
	int rc;

	run_step(r);
	emit_phase(r->ctx, "plan", "reading the project");
	if ((rc = plan_make(r->s, &r->p, err)) != 0)
		return rc;
	/* Now the tags are known: one push step each. */
	if (r->steps != NULL)
		r->steps->count = 7 + (int)r->s->n_outputs + (r->s->push ? (int)r->p.tags.n : 0);
	msg = pcb_xasprintf("%s %s: %zu top-level paths, entrypoint from %s", r->p.proj.name,
	    r->p.proj.version ? r->p.proj.version : "(no version)", r->p.proj.include.n,
	    r->p.entrypoint_source);
	emit_phase(r->ctx, "plan", msg);
	free(msg);
	{
		struct pcb_strv w;
		pcb_strv_init(&w);
		plan_warnings(r->s, &r->p, &w);
		for (size_t i = 0; i < w.n; i++)
			emit(r->ctx, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "warn",
			    .message = w.v[i] });
		pcb_strv_free(&w);
	}
	return 0;
}

/* The base image resolved (store tags, else its registry) and its blobs pinned. */
static int
run_base(struct run *r, struct pcb_err *err)
{
	int rc;

	run_step(r);
	if (strcmp(r->p.base_image, "scratch") == 0)
		emit_phase(r->ctx, "base", "scratch: no base image");
	if ((rc = base_resolve(r->s, r->ctx, &r->p, &r->base, err)) != 0 ||
	    (rc = run_check_cancel(r, err)) != 0)
		return rc;
	if (!r->base.scratch) {
		run_pin(r, r->base.digest);
		run_pin(r, r->base.config_digest);
		for (size_t i = 0; i < run_n_base_layers(r); i++)
			run_pin(r, jstr(run_base_layer(r, i), "digest"));
	}
	/* Each base layer, and whether its bytes are here: those that are not are fetched
	 * only by an output that needs them (blob events then). */
	for (size_t i = 0; i < run_n_base_layers(r); i++) {
		json_object *l = NULL;
		const char *d = jstr(run_base_layer(r, i), "digest");
		uint64_t size = 0;
		bool have;

		json_object_deep_copy(run_base_layer(r, i), &l, NULL);
		json_object_object_add(l, "name", json_object_new_string("base"));
		json_object_object_add(l, "diff_id", json_object_new_string(r->base.diff_ids.v[i]));
		have = d != NULL && pcb_store_stat(r->ctx->store, d, NULL, NULL, NULL) == 0;
		json_object_object_add(l, "reused", json_object_new_boolean(have));
		if (json_object_object_get(l, "size") != NULL)
			size = (uint64_t)json_object_get_int64(json_object_object_get(l, "size"));
		run_layer_event(r, "base", l, have ? size : 0, size);
		json_object_put(l);
	}
	return 0;
}

/* The registry cache's warnings (entries it ignored) into the build's log. */
static void
run_cache_warnings(struct run *r)
{
	struct pcb_strv w;

	if (r->rc == NULL)
		return;
	pcb_strv_init(&w);
	pcb_rcache_warnings(r->rc, &w);
	for (size_t i = 0; i < w.n; i++)
		emit(r->ctx, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "warn",
		    .message = w.v[i] });
	pcb_strv_free(&w);
}

static int
run_deps(struct run *r, struct pcb_err *err)
{
	int rc;

	run_step(r);
	rc = deps_step(r->s, r->ctx, &r->p, &r->base, r->rc, &r->deps, err);
	run_cache_warnings(r);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < r->deps.n; i++) {
		json_object *l = layer_json(r->deps.v[i].name, &r->deps.v[i].res);

		run_pin(r, r->deps.v[i].res.digest);
		json_object_object_add(l, "contents", strv_to_array(&r->deps.v[i].contents));
		json_object_object_add(l, "reused", json_object_new_boolean(r->deps.v[i].reused));
		if (r->deps.v[i].remote)
			json_object_object_add(l, "registry_cache", json_object_new_boolean(true));
		run_layer_event(r, r->deps.v[i].name, l, r->deps.v[i].res.size,
		    r->deps.v[i].res.size);
		json_object_put(l);
	}
	return run_check_cancel(r, err);
}

/* The app layer: every included path under the workdir (relative: "app/…"). */
static int
run_app_layer(struct run *r, struct pcb_err *err)
{
	struct pcb_layer_list list;
	struct pcb_layer_opts opts;
	struct progress_ud pu = { r->ctx, "app" };
	struct plan *p = &r->p;
	json_object *lj;
	char *msg;
	int rc = 0;

	pcb_layer_list_init(&list);
	/* pcb_project_filter only reads the project: safe from the walk's threads. */
	list.parallel_walk = true;
	list.as = &r->s->as;   /* the caller's files, read with the caller's rights */
	run_step(r);
	emit_phase(r->ctx, "pack", "packing the app layer");
	for (size_t i = 0; i < p->proj.include.n; i++) {
		rc = pcb_layer_list_add(&list, p->proj.context, p->proj.include.v[i],
		    p->workdir + 1, pcb_project_filter, &p->proj, err);
		if (rc != 0) {
			pcb_err_prefix(err, "collecting %s", p->proj.include.v[i]);
			goto out;
		}
	}
	pcb_layer_list_finish(&list);
	if (r->s->max_context > 0) {
		uint64_t total = 0;
		for (size_t i = 0; i < list.n; i++)
			total += list.v[i].type == PCB_ENTRY_FILE ? list.v[i].size : 0;
		if (total > r->s->max_context) {
			rc = pcb_err_set(err, PCB_ELIMIT, "the build context %s holds %" PRIu64 " bytes "
			    "to pack, more than one user's builds may (user_max_context = %" PRIu64
			    "): leave the rest out with .dockerignore / .pcbignore or the config's "
			    "exclude", p->proj.context, total, r->s->max_context);
			goto out;
		}
	}
	memset(&opts, 0, sizeof opts);
	opts.mtime = p->created;
	layer_opts_compression(r->s, &opts);
	opts.cancel = r->ctx->cancel;
	opts.progress = on_progress;
	opts.progress_ud = &pu;
	opts.no_reuse = r->s->no_cache;
	/* Reused without reading a byte when nothing under the context changed (lcache.h). */
	rc = pcb_lcache_pack_rc(r->ctx->store, r->rc, "app", &list, &opts, "pcb-app-layer 1",
	    &r->app, &r->app_reused, &r->app_remote, err);
	run_cache_warnings(r);
	if (rc != 0) {
		pcb_err_prefix(err, "packing the app layer");
		goto out;
	}
	run_pin(r, r->app.digest);
	msg = pcb_xasprintf("app layer: %zu entries, %llu bytes of tar, %llu bytes compressed%s",
	    r->app.n_entries, (unsigned long long)r->app.tar_size,
	    (unsigned long long)r->app.size, r->app_remote ? " (from the registry cache)" :
	    r->app_reused ? " (unchanged: reused)" : "");
	emit(r->ctx, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "info",
	    .message = msg });
	free(msg);
	lj = layer_json("app", &r->app);
	json_object_object_add(lj, "reused", json_object_new_boolean(r->app_reused));
	if (r->app_remote)
		json_object_object_add(lj, "registry_cache", json_object_new_boolean(true));
	run_layer_event(r, "app", lj, r->app.size, r->app.size);
	json_object_put(lj);
	rc = run_check_cancel(r, err);
out:
	pcb_layer_list_free(&list);
	return rc;
}

/* Stores a JSON blob (pcb_oci_put_json) and pins it. */
static int
run_put_json(struct run *r, json_object *j, const char *media_type, char *digest,
    size_t *size_out, struct pcb_err *err)
{
	int rc;

	if ((rc = pcb_oci_put_json(r->ctx->store, j, media_type, digest, size_out, err)) != 0)
		return rc;
	run_pin(r, digest);
	return 0;
}

/* ---- SBOM and provenance (image/sbom.h) ------------------------------------------------
 *
 * What went into the image — base, project, every distribution with its wheel's sha256 and
 * licence — written as SPDX and CycloneDX (and with spec.provenance an in-toto SLSA
 * statement) and attached to the image manifest as OCI 1.1 referrers in the store, before
 * the image is tagged: outputs and pushes then find them through the store's referrer index.
 * The source's git revision is read from the context with the caller's rights. */
static int
run_sbom(struct run *r, struct pcb_err *err)
{
	struct pcb_sbom_input in;
	json_object *spec = NULL;
	char *vcs_uri = NULL, *vcs_rev = NULL, *msg;
	int rc;

	if (!r->s->sbom && !r->s->provenance)
		return 0;
	memset(&in, 0, sizeof in);
	in.image_name = r->p.image_name;
	in.tags = &r->p.tags;
	in.manifest_digest = r->manifest_digest;
	in.manifest_size = r->manifest_size;
	in.config_digest = r->config_digest;
	in.platform = &r->p.platform;
	in.created = r->p.created_str;
	in.project_name = r->p.proj.name;
	in.project_version = r->p.proj.version;
	in.project_license = r->p.proj.license;
	in.base_ref = r->base.scratch ? NULL : r->base.ref;
	in.base_digest = r->base.scratch ? NULL : r->base.digest;
	in.deps = r->deps.info;
	in.context = r->p.proj.context;
	if (r->s->provenance) {
		spec = pcb_build_spec_to_json(r->s);
		in.spec = spec;
		/* No checkout is no error: the provenance then names no source revision. */
		if (pcb_sbom_vcs_read(r->s->context, &r->s->as, &vcs_uri, &vcs_rev, NULL) == 0) {
			in.vcs_uri = vcs_uri;
			in.vcs_revision = vcs_rev;
		}
	}
	json_object_put(r->referrers);
	r->referrers = NULL;
	rc = pcb_sbom_attach(r->ctx->store, &in, r->s->sbom, r->s->provenance, &r->pins,
	    &r->referrers, err);
	if (rc == 0) {
		msg = pcb_xasprintf("attached %s%s%s to %s", r->s->sbom ? "SBOMs (SPDX 2.3, "
		    "CycloneDX 1.5)" : "", r->s->sbom && r->s->provenance ? " and " : "",
		    r->s->provenance ? "SLSA provenance" : "", r->manifest_digest);
		emit(r->ctx, &(struct pcb_event){ .type = PCB_EVENT_LOG, .level = "info",
		    .message = msg });
		free(msg);
	}
	json_object_put(spec);
	free(vcs_uri);
	free(vcs_rev);
	return rc;
}

/* The image config, the manifest (base layers as they are, then ours) and the tags. */
static int
run_image(struct run *r, struct pcb_err *err)
{
	json_object *config, *manifest, *layers;
	int rc;

	run_step(r);
	emit_phase(r->ctx, "config", "writing the image config");
	config = make_config(&r->p, &r->base, &r->deps, VENV_PATH, &r->app, r->app.n_entries);
	rc = run_put_json(r, config, PCB_MT_OCI_CONFIG, r->config_digest, &r->config_size, err);
	json_object_put(config);
	if (rc != 0)
		return rc;

	run_step(r);
	emit_phase(r->ctx, "manifest", "writing the image manifest");
	layers = json_object_new_array();
	for (size_t i = 0; i < run_n_base_layers(r); i++)
		json_object_array_add(layers, json_object_get(run_base_layer(r, i)));
	for (size_t i = 0; i < r->deps.n; i++)
		json_object_array_add(layers, pcb_oci_descriptor(r->deps.v[i].res.media_type,
		    r->deps.v[i].res.digest, r->deps.v[i].res.size));
	json_object_array_add(layers, pcb_oci_descriptor(r->app.media_type, r->app.digest,
	    r->app.size));
	manifest = pcb_oci_manifest_new(r->config_digest, r->config_size, layers);
	rc = run_put_json(r, manifest, PCB_MT_OCI_MANIFEST, r->manifest_digest,
	    &r->manifest_size, err);
	json_object_put(manifest);
	if (rc == 0)
		rc = run_sbom(r, err);
	if (rc != 0 || r->untagged)
		return rc;

	run_step(r);
	emit_phase(r->ctx, "tag", r->p.tags.v[0]);
	for (size_t i = 0; i < r->p.tags.n; i++)
		if ((rc = pcb_store_tag_set_as(r->ctx->store, &r->s->as, r->p.tags.v[i],
		    r->manifest_digest, err)) != 0)
			return rc;
	return 0;
}

/* An archive output (image/archive.h): one tar written as the caller, the blobs read from
 * the store as the daemon. */
static int
run_export_archive(struct run *r, const struct pcb_output *o, json_object *outs,
    struct pcb_err *err)
{
	struct pcb_archive_image img = { r->manifest_digest, &r->p.tags, &r->p.platform };
	json_object *oj;
	int rc;

	rc = pcb_archive_write_file(r->ctx->store, o->type == PCB_OUTPUT_DOCKER_ARCHIVE ?
	    PCB_ARCHIVE_DOCKER : PCB_ARCHIVE_OCI, &img, o->path, &r->s->as, r->ctx->cancel, err);
	if (rc != 0)
		return rc;
	oj = json_object_new_object();
	json_object_object_add(oj, "type", json_object_new_string(pcb_output_type_name(o->type)));
	json_object_object_add(oj, "path", json_object_new_string(o->path));
	json_object_object_add(oj, "tags", strv_to_array(&r->p.tags));
	json_object_array_add(outs, oj);
	return 0;
}

/* Our layers taken from the registry cache by descriptor: fetched (verified) from where the
 * cache said they are, for an output that holds every byte. */
static int
run_ensure_ours(struct run *r, struct pcb_err *err)
{
	struct pcb_strv missing;
	char *msg;
	int rc = 0;

	pcb_strv_init(&missing);
	for (size_t i = 0; i < r->deps.n; i++)
		if (r->deps.v[i].remote && !pcb_strv_contains(&missing, r->deps.v[i].res.digest) &&
		    pcb_store_stat(r->ctx->store, r->deps.v[i].res.digest, NULL, NULL, NULL) != 0)
			pcb_strv_push(&missing, r->deps.v[i].res.digest);
	if (r->app_remote && !pcb_strv_contains(&missing, r->app.digest) &&
	    pcb_store_stat(r->ctx->store, r->app.digest, NULL, NULL, NULL) != 0)
		pcb_strv_push(&missing, r->app.digest);
	if (missing.n == 0)
		goto out;
	msg = pcb_xasprintf("fetching %zu layer%s of the registry cache", missing.n,
	    missing.n == 1 ? "" : "s");
	emit_phase(r->ctx, "cache", msg);
	free(msg);
	if ((rc = pcb_transfer_fetch_blobs(&r->s->access, r->ctx, &missing, err)) != 0)
		pcb_err_prefix(err, "fetching the layers taken from the registry cache");
out:
	pcb_strv_free(&missing);
	return rc;
}

/* One output. An OCI layout or an archive holds every byte: base layers not yet in the store
 * are fetched first. */
static int
run_export_one(struct run *r, const struct pcb_output *o, json_object *outs,
    struct pcb_err *err)
{
	struct pcb_strv blobs;
	json_object *oj;
	int rc;

	if ((rc = run_check_cancel(r, err)) != 0)
		return rc;
	if ((!r->base.scratch && (rc = base_ensure_layers(r->s, r->ctx, &r->base, err)) != 0) ||
	    (rc = run_ensure_ours(r, err)) != 0)
		return rc;
	emit_phase(r->ctx, "export", o->path);
	if (o->type != PCB_OUTPUT_OCI_LAYOUT)
		return run_export_archive(r, o, outs, err);
	pcb_strv_init(&blobs);
	pcb_strv_push(&blobs, r->config_digest);
	for (size_t k = 0; k < run_n_base_layers(r); k++)
		pcb_strv_push(&blobs, jstr(run_base_layer(r, k), "digest"));
	for (size_t k = 0; k < r->deps.n; k++)
		pcb_strv_push(&blobs, r->deps.v[k].res.digest);
	pcb_strv_push(&blobs, r->app.digest);
	rc = pcb_oci_layout_write(r->ctx->store, o->path, r->manifest_digest, r->manifest_size,
	    &blobs, &r->p.ref_names, &r->p.platform, &r->s->as, err);
	pcb_strv_free(&blobs);
	if (rc != 0)
		return rc;
	oj = json_object_new_object();
	json_object_object_add(oj, "type", json_object_new_string("oci-layout"));
	json_object_object_add(oj, "path", json_object_new_string(o->path));
	json_object_object_add(oj, "ref_names", strv_to_array(&r->p.ref_names));
	json_object_array_add(outs, oj);
	return 0;
}

/* Every tag pushed to its registry, after everything local is done: a failed push still
 * leaves the image tagged in the store and exported, ready for `pcb push` once the registry
 * problem is fixed. */
static int
run_push(struct run *r, json_object *pushed, struct pcb_err *err)
{
	int rc;

	for (size_t i = 0; r->s->push && i < r->p.tags.n; i++) {
		json_object *pj = NULL;
		run_step(r);
		if ((rc = pcb_transfer_push(&r->s->access, r->ctx, r->manifest_digest,
		    r->p.tags.v[i], &pj, err)) != 0)
			return rc;
		json_object_array_add(pushed, pj);
	}
	return 0;
}

/* ---- One platform's image (build.h "for the multi-platform driver") ---------------- */

struct pcb_build_part {
	/* The build's spec with this part's platform and without outputs, pushes or a list of
	 * platforms: a shallow copy, its strings borrowed from the build's spec. */
	struct pcb_build_spec spec;
	char *platform;
	struct run r;
};

int
pcb_build_part_create(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const char *platform, struct pcb_build_part **out, struct pcb_err *err)
{
	struct pcb_build_part *bp = pcb_xcalloc(1, sizeof *bp);
	int rc;

	bp->spec = *s;
	bp->platform = pcb_xstrdup(platform);
	bp->spec.platform = bp->platform;
	pcb_strv_init(&bp->spec.platforms);
	bp->spec.outputs = NULL;
	bp->spec.n_outputs = 0;
	bp->spec.push = false;
	run_init(&bp->r, &bp->spec, ctx);
	bp->r.untagged = true;
	bp->r.rc = rcache_lookup(s);
	if ((rc = plan_make(&bp->spec, &bp->r.p, err)) != 0) {
		pcb_build_part_destroy(bp);
		bp = NULL;
	}
	*out = bp;
	return rc;
}

int
pcb_build_part_prepare(struct pcb_build_part *bp, struct pcb_err *err)
{
	int rc;

	if ((rc = run_base(&bp->r, err)) != 0)
		return rc;
	return run_deps(&bp->r, err);
}

int
pcb_build_part_app(struct pcb_build_part *bp, struct pcb_err *err)
{
	return run_app_layer(&bp->r, err);
}

void
pcb_build_part_share_app(struct pcb_build_part *bp, const struct pcb_build_part *from)
{
	bp->r.app = from->r.app;
	bp->r.app_reused = from->r.app_reused;
	bp->r.app_remote = from->r.app_remote;
	run_pin(&bp->r, bp->r.app.digest);
}

int
pcb_build_part_image(struct pcb_build_part *bp, struct pcb_err *err)
{
	return run_image(&bp->r, err);
}

int
pcb_build_part_fetch_base(struct pcb_build_part *bp, struct pcb_err *err)
{
	int rc;

	if (!bp->r.base.scratch &&
	    (rc = base_ensure_layers(bp->r.s, bp->r.ctx, &bp->r.base, err)) != 0)
		return rc;
	return run_ensure_ours(&bp->r, err);
}

void
pcb_build_part_blobs(const struct pcb_build_part *bp, struct pcb_strv *out)
{
	const struct run *r = &bp->r;

	pcb_strv_push(out, r->config_digest);
	for (size_t k = 0; k < run_n_base_layers(r); k++)
		pcb_strv_push(out, jstr(run_base_layer(r, k), "digest"));
	for (size_t k = 0; k < r->deps.n; k++)
		pcb_strv_push(out, r->deps.v[k].res.digest);
	pcb_strv_push(out, r->app.digest);
}

void
pcb_build_part_info(const struct pcb_build_part *bp, struct pcb_build_part_info *out)
{
	out->manifest_digest = bp->r.manifest_digest;
	out->manifest_size = bp->r.manifest_size;
	out->platform = &bp->r.p.platform;
	out->tags = &bp->r.p.tags;
	out->ref_names = &bp->r.p.ref_names;
	out->image_name = bp->r.p.image_name;
	out->scratch = bp->r.base.scratch;
}

static json_object *run_result(const struct run *r, json_object *outs, json_object *pushed);

json_object *
pcb_build_part_result(const struct pcb_build_part *bp)
{
	json_object *j = run_result(&bp->r, NULL, NULL);

	/* Those are the index's: the driver gives them once. */
	json_object_object_del(j, "image");
	json_object_object_del(j, "outputs");
	json_object_object_del(j, "pushed");
	return j;
}

void
pcb_build_part_destroy(struct pcb_build_part *bp)
{
	if (bp == NULL)
		return;
	run_free(&bp->r);
	free(bp->platform);
	free(bp);
}

/* The result's "layers": base layers with their diff_ids, then ours with what they hold and
 * whether this build reused them. */
static json_object *
run_layers_json(const struct run *r)
{
	json_object *layers = json_object_new_array(), *al;

	for (size_t i = 0; i < run_n_base_layers(r); i++) {
		json_object *l = NULL;
		json_object_deep_copy(run_base_layer(r, i), &l, NULL);
		json_object_object_add(l, "diff_id", json_object_new_string(r->base.diff_ids.v[i]));
		json_object_object_add(l, "name", json_object_new_string("base"));
		json_object_array_add(layers, l);
	}
	for (size_t i = 0; i < r->deps.n; i++) {
		json_object *l = layer_json(r->deps.v[i].name, &r->deps.v[i].res);
		json_object_object_add(l, "contents", strv_to_array(&r->deps.v[i].contents));
		json_object_object_add(l, "reused", json_object_new_boolean(r->deps.v[i].reused));
		if (r->deps.v[i].remote)
			json_object_object_add(l, "registry_cache", json_object_new_boolean(true));
		json_object_array_add(layers, l);
	}
	al = layer_json("app", &r->app);
	json_object_object_add(al, "reused", json_object_new_boolean(r->app_reused));
	if (r->app_remote)
		json_object_object_add(al, "registry_cache", json_object_new_boolean(true));
	json_object_array_add(layers, al);
	return layers;
}

/* The BuildResult (build.h). Takes outs and pushed. */
static json_object *
run_result(const struct run *r, json_object *outs, json_object *pushed)
{
	json_object *result = json_object_new_object(), *img, *bj;
	char plat[100];

	json_object_object_add(result, "manifest",
	    pcb_oci_descriptor(PCB_MT_OCI_MANIFEST, r->manifest_digest, r->manifest_size));
	json_object_object_add(result, "config",
	    pcb_oci_descriptor(PCB_MT_OCI_CONFIG, r->config_digest, r->config_size));
	json_object_object_add(result, "layers", run_layers_json(r));
	json_object_object_add(result, "dependencies", r->deps.info != NULL ?
	    json_object_get(r->deps.info) : NULL);
	img = json_object_new_object();
	json_object_object_add(img, "name", json_object_new_string(r->p.image_name));
	json_object_object_add(img, "tags", strv_to_array(&r->p.tags));
	json_object_object_add(result, "image", img);
	json_object_object_add(result, "outputs", outs);
	pcb_platform_format(&r->p.platform, plat);
	json_object_object_add(result, "platform", json_object_new_string(plat));
	json_object_object_add(result, "pushed", pushed);
	bj = json_object_new_object();
	json_object_object_add(bj, "ref", json_object_new_string(r->base.scratch ? "scratch" :
	    r->base.ref));
	json_object_object_add(bj, "digest", r->base.scratch ? NULL :
	    json_object_new_string(r->base.digest));
	json_object_object_add(bj, "layers", json_object_new_int64((int64_t)run_n_base_layers(r)));
	json_object_object_add(result, "base", bj);
	json_object_object_add(result, "referrers", r->referrers != NULL ?
	    json_object_get(r->referrers) : json_object_new_array());
	return result;
}

/* The registry cache written (when the build has a cache_to) and the result's "cache". A
 * failed write is a warning: the image is built and pushed. */
static void
run_cache_write(struct rcache_job *job, const struct pcb_build_ctx *ctx,
    const char *image_digest, json_object *result)
{
	struct pcb_err e;

	pcb_err_clear(&e);
	if (job->to != NULL && image_digest != NULL &&
	    rcache_job_write(job, image_digest, &e) != 0) {
		char *msg = pcb_xasprintf("the registry cache was not written: %s", e.msg);
		emit_log(ctx, "warn", msg);
		free(msg);
	}
	json_object_object_add(result, "cache", rcache_job_result(job));
}

int
pcb_build_run(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err)
{
	struct run r;
	json_object *outs = json_object_new_array(), *pushed = json_object_new_array();
	/* Until the plan has the tags: one push step per tag asked for (or the default one). */
	struct steps st = { ctx, 0, 7 + (int)s->n_outputs +
	    (s->push ? (s->tags.n > 0 ? (int)s->tags.n : 1) : 0) };
	struct pcb_build_ctx sctx = *ctx;
	struct rcache_job *job = NULL;
	int rc;

	sctx.emit = steps_emit;
	sctx.emit_ud = &st;
	run_init(&r, s, &sctx);
	r.steps = &st;
	if ((rc = run_plan(&r, err)) != 0)
		goto out;
	/* Several platforms: one image index, made by the multi-platform driver. */
	if (r.p.platforms.n > 0) {
		if ((rc = rcache_job_create(s, ctx, &r.p, &job, err)) != 0)
			goto out;
		if (job != NULL)
			rcache_register(s, job->rc);
		rc = pcb_multi_run(s, ctx, &r.p.platforms, result_out, err);
		if (job != NULL)
			rcache_unregister(s);
		if (rc == 0 && job != NULL)
			run_cache_write(job, ctx, jstr(json_object_object_get(*result_out, "manifest"),
			    "digest"), *result_out);
		goto out;
	}
	if ((rc = rcache_job_create(s, &sctx, &r.p, &job, err)) != 0)
		goto out;
	r.rc = job != NULL ? job->rc : NULL;
	if ((rc = run_base(&r, err)) != 0 ||
	    (rc = run_deps(&r, err)) != 0 || (rc = run_app_layer(&r, err)) != 0 ||
	    (rc = run_image(&r, err)) != 0)
		goto out;
	for (size_t i = 0; i < s->n_outputs; i++) {
		run_step(&r);
		if ((rc = run_export_one(&r, &s->outputs[i], outs, err)) != 0)
			goto out;
	}
	if ((rc = run_push(&r, pushed, err)) != 0)
		goto out;
	*result_out = run_result(&r, outs, pushed);
	outs = pushed = NULL;
	if (job != NULL)
		run_cache_write(job, &sctx, r.manifest_digest, *result_out);
out:
	json_object_put(outs);
	json_object_put(pushed);
	run_free(&r);
	rcache_job_free(job);
	return rc;
}
