/* pcb-mkimage — an OCI image made of folders of the host, on a base made from the host's
 * Python, with the engine's own store, layer packer and OCI layout writer: what `make image`
 * (tools/make-image.sh) uses to put pycontainerd itself in an image without Docker.
 *
 *   pcb-mkimage base  --store DIR --python PATH --tag NAME:TAG
 *       `pcb base create --from-host` in-process (common/python/hostbase.c): the base is
 *       tagged in the store and its result (manifest, layers, the host libraries it holds)
 *       is printed as JSON on stdout.
 *   pcb-mkimage image --store DIR --base NAME:TAG --config FILE.json
 *                     --layer NAME=DIR... --output LAYOUT [--ref-name REF] [--tag NAME:TAG]
 *                     [--docker-archive FILE]
 *       One layer per --layer, in order, each the whole folder DIR laid at the image's root
 *       (DIR/usr/local/bin/x → /usr/local/bin/x; the packer's rules: sorted, uid/gid 0,
 *       normalised modes, symlinks kept, mtime SOURCE_DATE_EPOCH), over the base's layers.
 *       FILE.json is an object of image config members (User, ExposedPorts, Env, Entrypoint,
 *       Cmd, Volumes, WorkingDir, Labels, StopSignal) laid over the base's: each replaces
 *       the base's, except Labels, merged key by key. The image goes to LAYOUT as an OCI
 *       image layout (a new folder: an old one is replaced whole by the caller), named REF
 *       (default "latest"); the manifest digest is printed on stdout.
 *
 * SOURCE_DATE_EPOCH (default 0) fixes every timestamp: the same inputs give the same digests.
 * Exit status 0, or 1 with the error on stderr, 2 for a usage error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "image/archive.h"
#include "image/events.h"
#include "image/layer.h"
#include "image/oci.h"
#include "image/store.h"
#include "python/hostbase.h"

#define BLOB_MAX ((size_t)4 << 20)
#define MAX_LAYERS 16

static int64_t
source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (s == NULL || s[0] == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0) {
		fprintf(stderr, "pcb-mkimage: SOURCE_DATE_EPOCH=%s is not a number of seconds\n", s);
		exit(2);
	}
	return (int64_t)v;
}

static void
on_event(void *ud, const struct pcb_event *ev)
{
	(void)ud;
	if (ev->type == PCB_EVENT_LOG)
		fprintf(stderr, "pcb-mkimage: %s%s\n", ev->level != NULL &&
		    strcmp(ev->level, "warn") == 0 ? "warning: " : "", ev->message ? ev->message : "");
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: pcb-mkimage base --store DIR --python PATH --tag NAME:TAG\n"
	    "       pcb-mkimage image --store DIR --base NAME:TAG --config FILE.json\n"
	    "                   --layer NAME=DIR [--layer NAME=DIR]... --output LAYOUT\n"
	    "                   [--ref-name REF] [--tag NAME:TAG] [--docker-archive FILE]\n");
	return 2;
}

/* ---- base ------------------------------------------------------------------------------ */

static int
cmd_base(struct pcb_store *store, const char *python, const char *tag, struct pcb_err *err)
{
	struct pcb_hostbase_spec spec;
	struct pcb_build_ctx ctx = { .store = store, .emit = on_event };
	json_object *result = NULL;
	int rc;

	pcb_hostbase_spec_init(&spec);
	spec.python = pcb_xstrdup(python);
	spec.tag = pcb_xstrdup(tag);
	spec.source_date_epoch = source_date_epoch();
	rc = pcb_hostbase_run(&spec, &ctx, &result, err);
	if (rc == 0)
		printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(result);
	pcb_hostbase_spec_free(&spec);
	return rc;
}

/* ---- image ----------------------------------------------------------------------------- */

static int
read_json_blob(struct pcb_store *store, const char *digest, json_object **out,
    struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = pcb_store_read(store, digest, BLOB_MAX, &text, &len, err)) != 0)
		return rc;
	*out = json_tokener_parse(text);
	free(text);
	if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return pcb_err_set(err, PCB_EINVAL, "blob %s is not a JSON object", digest);
	}
	return 0;
}

/* The base's config with ours laid over it (see the top of the file), its members in the
 * image spec's ImageConfig order, as the build engine writes them. Returns a new object. */
static json_object *
merge_config(json_object *base, json_object *ours)
{
	json_object *cfg = json_object_new_object();

	if (base != NULL) {
		json_object_object_foreach(base, bk, bv)
			json_object_object_add(cfg, bk, json_object_get(bv));
	}
	json_object_object_foreach(ours, k, ov) {
		json_object *labels;
		if (strcmp(k, "Labels") == 0 && json_object_object_get_ex(cfg, "Labels", &labels) &&
		    json_object_is_type(labels, json_type_object)) {
			json_object_object_foreach(ov, lk, lv)
				json_object_object_add(labels, lk, json_object_get(lv));
		} else {
			json_object_object_add(cfg, k, json_object_get(ov));
		}
	}
	/* An Entrypoint of ours without a Cmd of ours: the base's Cmd (python3) would become
	 * its arguments, as docker clears it for an ENTRYPOINT. */
	if (json_object_object_get_ex(ours, "Entrypoint", NULL) &&
	    !json_object_object_get_ex(ours, "Cmd", NULL))
		json_object_object_del(cfg, "Cmd");
	return pcb_oci_config_canonical(cfg);
}

struct layer_arg {
	char *name;
	char *dir;
	struct pcb_layer_result res;
};

static int
pack_layer(struct pcb_store *store, struct layer_arg *la, int64_t mtime, struct pcb_err *err)
{
	struct pcb_layer_list l;
	struct pcb_layer_opts o;
	int rc;

	pcb_layer_list_init(&l);
	memset(&o, 0, sizeof o);
	o.mtime = mtime;
	rc = pcb_layer_list_add(&l, la->dir, "", "", NULL, NULL, err);
	if (rc == 0) {
		pcb_layer_list_finish(&l);
		rc = pcb_layer_pack(store, &l, &o, &la->res, err);
	}
	if (rc != 0)
		pcb_err_prefix(err, "layer %s (%s)", la->name, la->dir);
	else
		fprintf(stderr, "pcb-mkimage: layer %s: %zu entries, %llu bytes (%llu compressed), "
		    "%s\n", la->name, la->res.n_entries, (unsigned long long)la->res.tar_size,
		    (unsigned long long)la->res.size, la->res.digest);
	pcb_layer_list_free(&l);
	return rc;
}

struct image_args {
	const char *base, *config, *output, *ref_name, *tag, *docker_archive;
	struct layer_arg layers[MAX_LAYERS];
	size_t n_layers;
};

static int
cmd_image(struct pcb_store *store, struct image_args *a, struct pcb_err *err)
{
	int64_t mtime = source_date_epoch();
	char created[32], config_digest[PCB_DIGEST_BUFSZ], manifest_digest[PCB_DIGEST_BUFSZ];
	char *base_digest = NULL, *ours_text = NULL, *abs_out = NULL;
	json_object *base_manifest = NULL, *base_config = NULL, *ours = NULL, *config = NULL;
	json_object *layers, *base_layers, *cfg, *rootfs, *diff_ids, *history, *manifest = NULL;
	struct pcb_strv blobs, refs;
	struct pcb_platform plat;
	size_t config_size = 0, manifest_size = 0, len;
	int rc;

	pcb_strv_init(&blobs);
	pcb_strv_init(&refs);
	pcb_time_rfc3339(mtime, created);
	if ((rc = pcb_read_file(a->config, BLOB_MAX, &ours_text, &len, err)) != 0)
		goto out;
	ours = json_tokener_parse(ours_text);
	if (ours == NULL || !json_object_is_type(ours, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: expected a JSON object of image config "
		    "members", a->config);
		goto out;
	}
	if ((rc = pcb_store_tag_get(store, a->base, &base_digest, err)) != 0) {
		pcb_err_prefix(err, "base %s (make it with pcb-mkimage base)", a->base);
		goto out;
	}
	if ((rc = read_json_blob(store, base_digest, &base_manifest, err)) != 0)
		goto out;
	base_layers = json_object_object_get(base_manifest, "layers");
	if ((rc = read_json_blob(store, json_object_get_string(json_object_object_get(
	    json_object_object_get(base_manifest, "config"), "digest")), &base_config, err)) != 0)
		goto out;

	for (size_t i = 0; i < a->n_layers; i++)
		if ((rc = pack_layer(store, &a->layers[i], mtime, err)) != 0)
			goto out;

	/* The config: the base's, with ours over it, its history and diff_ids extended. */
	config = json_object_new_object();
	json_object_object_add(config, "created", json_object_new_string(created));
	json_object_object_foreach(base_config, k, v) {
		if (strcmp(k, "created") != 0 && strcmp(k, "config") != 0 &&
		    strcmp(k, "rootfs") != 0 && strcmp(k, "history") != 0)
			json_object_object_add(config, k, json_object_get(v));
	}
	cfg = merge_config(json_object_object_get(base_config, "config"), ours);
	json_object_object_add(config, "config", cfg);
	rootfs = json_object_new_object();
	diff_ids = json_object_new_array();
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	history = json_object_new_array();
	{
		json_object *bh = json_object_object_get(base_config, "history");
		json_object *bd = json_object_object_get(json_object_object_get(base_config,
		    "rootfs"), "diff_ids");
		for (size_t i = 0; i < json_object_array_length(bd); i++)
			json_object_array_add(diff_ids, json_object_get(json_object_array_get_idx(bd,
			    i)));
		for (size_t i = 0; i < json_object_array_length(bh); i++)
			json_object_array_add(history, json_object_get(json_object_array_get_idx(bh,
			    i)));
	}
	for (size_t i = 0; i < a->n_layers; i++) {
		json_object *h = json_object_new_object();
		char *by = pcb_xasprintf("pcb-mkimage: %s layer", a->layers[i].name);
		json_object_array_add(diff_ids, json_object_new_string(a->layers[i].res.diff_id));
		json_object_object_add(h, "created", json_object_new_string(created));
		json_object_object_add(h, "created_by", json_object_new_string(by));
		json_object_array_add(history, h);
		free(by);
	}
	json_object_object_add(rootfs, "diff_ids", diff_ids);
	json_object_object_add(config, "rootfs", rootfs);
	json_object_object_add(config, "history", history);
	if ((rc = pcb_oci_put_json(store, config, PCB_MT_OCI_CONFIG, config_digest, &config_size,
	    err)) != 0)
		goto out;
	pcb_strv_push(&blobs, config_digest);

	/* The manifest: the base's layers, then ours. */
	layers = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(base_layers); i++) {
		json_object *d = json_object_array_get_idx(base_layers, i);
		json_object_array_add(layers, json_object_get(d));
		pcb_strv_push(&blobs, json_object_get_string(json_object_object_get(d, "digest")));
	}
	for (size_t i = 0; i < a->n_layers; i++) {
		json_object_array_add(layers, pcb_oci_descriptor(a->layers[i].res.media_type,
		    a->layers[i].res.digest, a->layers[i].res.size));
		pcb_strv_push(&blobs, a->layers[i].res.digest);
	}
	manifest = pcb_oci_manifest_new(config_digest, config_size, layers);
	if ((rc = pcb_oci_put_json(store, manifest, PCB_MT_OCI_MANIFEST, manifest_digest,
	    &manifest_size, err)) != 0)
		goto out;
	if (a->tag != NULL && (rc = pcb_store_tag_set(store, a->tag, manifest_digest, err)) != 0)
		goto out;

	pcb_platform_host(&plat);
	pcb_strv_push(&refs, a->ref_name != NULL ? a->ref_name : "latest");
	abs_out = realpath(".", NULL);
	if (abs_out != NULL && a->output[0] != '/') {
		char *p = pcb_path_join(abs_out, a->output);
		free(abs_out);
		abs_out = p;
	} else {
		free(abs_out);
		abs_out = pcb_xstrdup(a->output);
	}
	if ((rc = pcb_oci_layout_write(store, abs_out, manifest_digest, manifest_size, &blobs,
	    &refs, &plat, NULL, err)) != 0) {
		pcb_err_prefix(err, "writing the OCI layout %s", a->output);
		goto out;
	}
	if (a->docker_archive != NULL) {
		struct pcb_strv tags;
		struct pcb_archive_image img = { .manifest_digest = manifest_digest,
		    .tags = &tags, .platform = &plat };
		pcb_strv_init(&tags);
		if (a->tag != NULL)
			pcb_strv_push(&tags, a->tag);
		rc = pcb_archive_write_file(store, PCB_ARCHIVE_DOCKER, &img, a->docker_archive,
		    NULL, NULL, err);
		pcb_strv_free(&tags);
		if (rc != 0)
			goto out;
	}
	printf("%s\n", manifest_digest);
out:
	json_object_put(manifest);
	json_object_put(config);
	json_object_put(ours);
	json_object_put(base_config);
	json_object_put(base_manifest);
	pcb_strv_free(&blobs);
	pcb_strv_free(&refs);
	free(base_digest);
	free(ours_text);
	free(abs_out);
	return rc;
}

int
main(int argc, char **argv)
{
	struct image_args ia;
	struct pcb_store *store = NULL;
	struct pcb_err err;
	const char *cmd, *store_dir = NULL, *python = NULL;
	int rc;

	memset(&ia, 0, sizeof ia);
	pcb_err_clear(&err);
	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (strcmp(cmd, "base") != 0 && strcmp(cmd, "image") != 0)
		return usage();
	for (int i = 2; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return usage();
		i++;
		if (strcmp(opt, "--store") == 0) {
			store_dir = val;
		} else if (strcmp(opt, "--python") == 0) {
			python = val;
		} else if (strcmp(opt, "--tag") == 0) {
			ia.tag = val;
		} else if (strcmp(opt, "--base") == 0) {
			ia.base = val;
		} else if (strcmp(opt, "--config") == 0) {
			ia.config = val;
		} else if (strcmp(opt, "--output") == 0) {
			ia.output = val;
		} else if (strcmp(opt, "--ref-name") == 0) {
			ia.ref_name = val;
		} else if (strcmp(opt, "--docker-archive") == 0) {
			ia.docker_archive = val;
		} else if (strcmp(opt, "--layer") == 0) {
			const char *eq = strchr(val, '=');
			if (eq == NULL || eq == val || eq[1] == '\0' || ia.n_layers == MAX_LAYERS) {
				fprintf(stderr, "pcb-mkimage: --layer %s: expected NAME=DIR (at most %d)\n",
				    val, MAX_LAYERS);
				return 2;
			}
			ia.layers[ia.n_layers].name = pcb_xstrndup(val, (size_t)(eq - val));
			ia.layers[ia.n_layers].dir = pcb_xstrdup(eq + 1);
			ia.n_layers++;
		} else {
			fprintf(stderr, "pcb-mkimage: unknown option %s\n", opt);
			return usage();
		}
	}
	if (store_dir == NULL || (strcmp(cmd, "base") == 0 && (python == NULL || ia.tag == NULL)) ||
	    (strcmp(cmd, "image") == 0 && (ia.base == NULL || ia.config == NULL ||
	    ia.output == NULL || ia.n_layers == 0)))
		return usage();

	if ((rc = pcb_mkdir_p(store_dir, 0700, &err)) == 0 &&
	    (rc = pcb_store_create(store_dir, &store, &err)) == 0)
		rc = strcmp(cmd, "base") == 0 ? cmd_base(store, python, ia.tag, &err) :
		    cmd_image(store, &ia, &err);
	if (rc != 0)
		fprintf(stderr, "pcb-mkimage: %s\n", err.msg);
	if (store != NULL)
		pcb_store_destroy(store);
	pcb_layer_pool_shutdown();
	for (size_t i = 0; i < ia.n_layers; i++) {
		free(ia.layers[i].name);
		free(ia.layers[i].dir);
	}
	return rc == 0 ? 0 : 1;
}
