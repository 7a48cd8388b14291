/* ocicheck.c — OCI image layout validation for tests (see ocicheck.h). */
#include "ocicheck.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "testutil.h"

json_object *
pcb_test_json(const char *text, const char *what)
{
	json_object *j;
	ck_assert_msg(text != NULL, "%s: no text", what);
	j = json_tokener_parse(text);
	ck_assert_msg(j != NULL, "%s is not JSON: %.2000s", what, text);
	return j;
}

json_object *
pcb_test_jget(json_object *j, const char *path)
{
	json_object *cur = j;
	const char *rest = path;

	/* Components are separated by '.', but object keys may contain dots themselves
	 * ("org.opencontainers.image.title"): at each object, the whole rest of the path is tried
	 * as one key first. */
	while (cur != NULL && *rest != '\0') {
		const char *dot = strchr(rest, '.');
		size_t n = dot ? (size_t)(dot - rest) : strlen(rest);
		char *k = pcb_xstrndup(rest, n);
		json_object *next = NULL;

		if (json_object_is_type(cur, json_type_array)) {
			char *end;
			long i = strtol(k, &end, 10);
			next = *end == '\0' && i >= 0 ? json_object_array_get_idx(cur, (size_t)i) : NULL;
		} else if (json_object_is_type(cur, json_type_object)) {
			if (json_object_object_get_ex(cur, rest, &next)) {
				free(k);
				return next;
			}
			json_object_object_get_ex(cur, k, &next);
		}
		free(k);
		cur = next;
		rest += n + (dot ? 1 : 0);
	}
	return cur;
}

static const char *
jstr(json_object *j, const char *path, const char *what)
{
	json_object *v = pcb_test_jget(j, path);
	ck_assert_msg(v != NULL && json_object_is_type(v, json_type_string),
	    "%s: %s missing or not a string", what, path);
	return json_object_get_string(v);
}

/* Checks a descriptor's blob: file exists, size and sha256 as claimed; returns its text
 * (caller frees) when want_text. */
static char *
check_blob(const char *dir, json_object *desc, const char *what, bool want_text)
{
	const char *digest = jstr(desc, "digest", what);
	json_object *size = pcb_test_jget(desc, "size");
	char *path, *data;
	char sha[PCB_DIGEST_BUFSZ];
	size_t len = 0;

	ck_assert_msg(pcb_digest_valid(digest), "%s: bad digest %s", what, digest);
	ck_assert_msg(size != NULL && json_object_is_type(size, json_type_int),
	    "%s: size missing", what);
	path = pcb_xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	data = pcb_test_read(path, &len);
	ck_assert_msg(data != NULL, "%s: blob %s missing", what, path);
	ck_assert_msg((int64_t)len == json_object_get_int64(size), "%s: size %zu, descriptor says "
	    "%lld", what, len, (long long)json_object_get_int64(size));
	pcb_sha256_buf(data, len, sha);
	ck_assert_msg(strcmp(sha, digest) == 0, "%s: content hashes to %s, not %s", what, sha,
	    digest);
	free(path);
	if (!want_text) {
		free(data);
		return NULL;
	}
	return data;
}

char *
pcb_test_check_layout(const char *dir, const char *ref_name, json_object **config_out)
{
	char *path = pcb_path_join(dir, "oci-layout"), *text, *out = NULL, *mtext, *ctext;
	json_object *layout, *index, *manifests, *desc = NULL, *manifest, *config, *layers, *diff_ids;

	text = pcb_test_read(path, NULL);
	ck_assert_msg(text != NULL, "%s missing", path);
	layout = pcb_test_json(text, "oci-layout");
	ck_assert_str_eq(jstr(layout, "imageLayoutVersion", "oci-layout"), "1.0.0");
	json_object_put(layout);
	free(text);
	free(path);

	path = pcb_path_join(dir, "index.json");
	text = pcb_test_read(path, NULL);
	ck_assert_msg(text != NULL, "%s missing", path);
	index = pcb_test_json(text, "index.json");
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(index, "schemaVersion")), 2);
	/* mediaType is optional in an index (image-spec); when present it must be the index type. */
	if (pcb_test_jget(index, "mediaType") != NULL)
		ck_assert_str_eq(jstr(index, "mediaType", "index.json"),
		    "application/vnd.oci.image.index.v1+json");
	manifests = pcb_test_jget(index, "manifests");
	ck_assert(manifests && json_object_is_type(manifests, json_type_array));
	for (size_t i = 0; i < json_object_array_length(manifests); i++) {
		json_object *d = json_object_array_get_idx(manifests, i);
		json_object *rn = pcb_test_jget(d, "annotations");
		json_object *name = NULL;
		if (rn != NULL)
			json_object_object_get_ex(rn, "org.opencontainers.image.ref.name", &name);
		if (name != NULL && strcmp(json_object_get_string(name), ref_name) == 0) {
			ck_assert_msg(desc == NULL, "two index entries named %s", ref_name);
			desc = d;
		}
	}
	ck_assert_msg(desc != NULL, "index.json has no manifest named %s: %s", ref_name, text);
	ck_assert_str_eq(jstr(desc, "mediaType", "index entry"),
	    "application/vnd.oci.image.manifest.v1+json");
	mtext = check_blob(dir, desc, "manifest", true);
	out = pcb_xstrdup(jstr(desc, "digest", "index entry"));

	manifest = pcb_test_json(mtext, "manifest");
	ck_assert_int_eq(json_object_get_int(pcb_test_jget(manifest, "schemaVersion")), 2);
	ck_assert_str_eq(jstr(manifest, "mediaType", "manifest"),
	    "application/vnd.oci.image.manifest.v1+json");
	ck_assert_str_eq(jstr(manifest, "config.mediaType", "manifest"),
	    "application/vnd.oci.image.config.v1+json");
	ctext = check_blob(dir, pcb_test_jget(manifest, "config"), "config", true);
	config = pcb_test_json(ctext, "config");
	ck_assert(strlen(jstr(config, "architecture", "config")) > 0);
	ck_assert(strlen(jstr(config, "os", "config")) > 0);
	ck_assert_str_eq(jstr(config, "rootfs.type", "config"), "layers");
	layers = pcb_test_jget(manifest, "layers");
	diff_ids = pcb_test_jget(config, "rootfs.diff_ids");
	ck_assert(layers && diff_ids);
	ck_assert_int_eq(json_object_array_length(layers), json_object_array_length(diff_ids));
	ck_assert_int_ge(json_object_array_length(layers), 1);
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		const char *mt = jstr(l, "mediaType", "layer");
		const char *digest = jstr(l, "digest", "layer");
		char *cmd, *sum = NULL;
		bool zstd = strcmp(mt, "application/vnd.oci.image.layer.v1.tar+zstd") == 0;
		ck_assert_msg(zstd || strcmp(mt, "application/vnd.oci.image.layer.v1.tar+gzip") == 0,
		    "layer %zu: media type %s", i, mt);
		check_blob(dir, l, "layer", false);
		cmd = pcb_xasprintf("%s -dc '%s/blobs/sha256/%s' | sha256sum", zstd ? "zstd -q" :
		    "gzip", dir, digest + 7);
		ck_assert_int_eq(pcb_test_run(cmd, false, &sum), 0);
		ck_assert_msg(strncmp(sum, json_object_get_string(
		    json_object_array_get_idx(diff_ids, i)) + 7, 64) == 0,
		    "diff_id %zu does not match the decompressed layer", i);
		free(sum);
		free(cmd);
	}
	{
		json_object *env = pcb_test_jget(config, "config.Env");
		ck_assert(env && json_object_is_type(env, json_type_array));
		for (size_t i = 0; i < json_object_array_length(env); i++)
			ck_assert(strchr(json_object_get_string(json_object_array_get_idx(env, i)),
			    '=') != NULL);
	}
	if (config_out != NULL)
		*config_out = config;
	else
		json_object_put(config);
	json_object_put(manifest);
	json_object_put(index);
	free(mtext);
	free(ctext);
	free(text);
	free(path);
	return out;
}
