/* cmd-build.c — `pcb build`: turns flags into a BuildSpec, submits it (POST /v1/builds) and
 * tails it (job.c). With --push the spec asks the daemon to push the image to the registry each
 * tag names, and carries the credentials resolved here for those registries. With --dry-run it
 * asks for the plan instead (POST /v1/plan) and builds nothing. -o/--output name what the
 * daemon writes (OCI layouts, oci-archive and docker-archive files, the registry); what
 * happens here after the build — --load into docker or podman, --iidfile, --metadata-file —
 * is done by this client, with the user's own rights and tools. */
#include "creds.h"
#include "pcb.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/oci.h"
#include "image/rcache.h"

static const char usage[] =
    "Usage: pcb build [CONTEXT] [OPTIONS]\n"
    "\n"
    "Build an OCI image of the Python project in CONTEXT (default: the current directory).\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME[:TAG]      name the image (repeatable; the first names it)\n"
    "  -o, --output type=TYPE[,dest=PATH]  where the image goes (repeatable, several at once):\n"
    "                              type=oci,dest=DIR          an OCI image layout folder\n"
    "                              type=oci-archive,dest=FILE that layout as one tar\n"
    "                              type=docker,dest=FILE      a docker-archive tar (docker\n"
    "                                                         load, podman load); no dest:\n"
    "                                                         as --load\n"
    "                              type=registry              push each tag (as --push)\n"
    "                            the parent of PATH must exist; a symlink is never followed\n"
    "      --output DIR          the same as -o type=oci,dest=DIR\n"
    "      --load                load the image into the local docker, else podman (through a\n"
    "                            docker-archive in a private temp file, removed after)\n"
    "      --iidfile FILE        write the image ID (its config digest, sha256:...) to FILE\n"
    "      --metadata-file FILE  write the build's metadata as JSON to FILE (buildx's keys:\n"
    "                            containerimage.digest, containerimage.config.digest,\n"
    "                            containerimage.descriptor, image.name)\n"
    "      --no-cache            pack every layer again instead of reusing cached ones\n"
    "      --cache-to REF[,mode=min|max]  write the layer and resolution cache to REF in a\n"
    "                            registry (an OCI artifact; min: the image's layers, the\n"
    "                            default; max: every layer the build made)\n"
    "      --cache-from REF      reuse layers and pip resolutions from the registry cache\n"
    "                            REF without packing or downloading them (repeatable)\n"
    "      --pull                ask the base image's registry for its tag again, even when\n"
    "                            the daemon's store has it\n"
    "      --sbom=true|false     attach an SPDX 2.3 and a CycloneDX 1.5 SBOM to the image as\n"
    "                            OCI 1.1 referrers (default true; see pcb sbom)\n"
    "      --provenance[=true|false]  also attach SLSA v1 provenance (an in-toto statement)\n"
    "      --platform OS/ARCH[/VARIANT]  target platform (default: the daemon's): linux/amd64,\n"
    "                            linux/arm64, linux/arm/v7, linux/386, linux/ppc64le, ...;\n"
    "                            several, comma separated: one image index with a manifest\n"
    "                            per platform (linux/amd64,linux/arm64)\n"
    "      --platform-fail=error|skip  a platform that cannot be built (no wheel that fits\n"
    "                            it, no base for it) fails the build (error, the default) or\n"
    "                            is left out of the index and named (skip)\n"
    "      --base-image REF      build on REF: scratch, NAME:TAG from the daemon's store,\n"
    "                            HOST[:PORT]/REPO:TAG or ...@sha256:... (default: config,\n"
    "                            else the daemon's default: python:X.Y-slim for the\n"
    "                            project's requires-python)\n"
    "      --base-registry HOST[:PORT][/PATH]  where a base naming no registry is pulled\n"
    "                            from (a mirror; default: the daemon's, else Docker Hub)\n"
    "      --env KEY=VALUE       environment variable in the image (repeatable)\n"
    "      --label KEY=VALUE     image label (repeatable)\n"
    "      --workdir DIR         working directory in the image (default /app)\n"
    "      --entrypoint ARGS     a JSON array ('[\"python\",\"-m\",\"app\"]') or a string\n"
    "                            split on whitespace ('python -m app'); default: discovered\n"
    "      --cmd ARGS            the same forms, for the image's CMD\n"
    "      --user USER[:GROUP]   the user the image runs as (default: config, else the base's)\n"
    "      --compression gzip|zstd  our layers' compression (default gzip; zstd for runtimes\n"
    "                            that take it: containerd >= 1.5, podman, docker >= 23)\n"
    "      --compression-level N gzip 1..12 (default 5), zstd 1..19 (default 3)\n"
    "      --port PORT           the port the app listens on (EXPOSE + PORT; default: config,\n"
    "                            else the framework's)\n"
    "\n"
    "Dependencies (installed in /opt/venv in the image, one layer per large wheel):\n"
    "      --lock FILE           a pylock.toml, uv.lock, poetry.lock, pdm.lock or\n"
    "                            Pipfile.lock (default: found in CONTEXT)\n"
    "      --requirements FILE   requirements resolved with pip download for the image's\n"
    "                            platform (repeatable; default: CONTEXT/requirements.txt,\n"
    "                            else [project].dependencies)\n"
    "      --deps-from-venv DIR  copy an existing virtual environment as installed\n"
    "      --no-deps             install no dependencies\n"
    "      --index-url URL, --extra-index-url URL (repeatable), --find-links URL|DIR\n"
    "                            (repeatable): passed to pip download\n"
    "      --extra NAME, --group NAME   extras / dependency groups to include (repeatable)\n"
    "      --no-compile          no bytecode (.pyc) in the dependency layers (default: compiled\n"
    "                            by the host's pythonX.Y, as pip install does)\n"
    "      --refresh-deps        resolve requirements again with pip (a resolution is\n"
    "                            otherwise reused while the requirement files and options\n"
    "                            stay the same: always when every distribution is pinned\n"
    "                            with ==, else for the daemon's --resolve-max-age)\n"
    "      --python PATH         the base image's interpreter the venv uses (default:\n"
    "                            /usr/local/bin/pythonX.Y)\n"
    "\n"
    "      --push                push the image to the registry named in each tag\n"
    "                            (tags must then name one: 127.0.0.1:5000/team/app:1)\n"
    PCB_REGOPTS_USAGE
    "      --dry-run             show what would be built (the plan) and build nothing\n"
    "      --rebase-only         build nothing: put the image under the first tag on the\n"
    "                            base the build would use now (pcb rebase), when only the\n"
    "                            base moved; refused when its Python X.Y changed\n"
    "      --json                print the final build resource (or the plan) as JSON on stdout\n"
    PCB_PROGRESS_USAGE
    "  -q, --quiet               no progress lines: print only the image's manifest digest\n"
    "  -h, --help                show this help\n"
    "\n"
    "SOURCE_DATE_EPOCH from the environment, when set, fixes the image timestamps.\n"
    "Exit status: 0 succeeded, 1 failed, 2 usage error or daemon unreachable, 130 cancelled.\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_build = {
	.name = "build",
	.summary = "Build an image of a Python project",
	.usage = usage,
	.fn = run,
};

enum {
	OPT_OUTPUT = 1000, OPT_PLATFORM, OPT_ENV, OPT_LABEL, OPT_WORKDIR, OPT_ENTRYPOINT, OPT_CMD,
	OPT_DRY_RUN, OPT_REBASE_ONLY, OPT_JSON, OPT_PUSH, OPT_BASE_IMAGE, OPT_BASE_REGISTRY, OPT_USER, OPT_PORT,
	OPT_LOCK, OPT_REQUIREMENTS, OPT_VENV, OPT_NO_DEPS, OPT_INDEX_URL, OPT_EXTRA_INDEX_URL,
	OPT_FIND_LINKS, OPT_EXTRA, OPT_GROUP, OPT_PYTHON, OPT_COMPRESSION, OPT_COMPRESSION_LEVEL,
	OPT_REFRESH_DEPS, OPT_NO_COMPILE, OPT_LOAD, OPT_IIDFILE, OPT_METADATA_FILE, OPT_NO_CACHE,
	OPT_PULL, OPT_PROGRESS, OPT_PLATFORM_FAIL, OPT_SBOM, OPT_PROVENANCE, OPT_CACHE_TO,
	OPT_CACHE_FROM,
};

struct build_opts {
	const char *context;
	struct pcb_strv tags;
	struct pcb_strv out_types;   /* spec output types ("oci-layout", …), parallel to */
	struct pcb_strv out_dests;   /* the paths as given */
	struct pcb_strv env;
	struct pcb_strv labels;
	const char *platform;
	struct pcb_strv platforms;   /* --platform A,B: an index */
	const char *platform_fail;
	const char *base_image;
	const char *base_registry;
	const char *workdir;
	const char *entrypoint;
	const char *cmd;
	const char *user;
	const char *port;
	const char *lock;
	struct pcb_strv requirements;
	const char *venv;
	bool no_deps;
	bool refresh_deps;
	bool no_compile;
	const char *index_url;
	struct pcb_strv extra_index_urls;
	struct pcb_strv find_links;
	struct pcb_strv extras;
	struct pcb_strv groups;
	const char *python;
	const char *compression;
	const char *compression_level;
	bool dry_run;
	bool rebase_only;            /* --rebase-only: plan, then POST /v1/rebases */
	bool json;
	bool quiet;
	bool push;
	bool load;                   /* --load, or -o type=docker without dest */
	bool no_cache;
	bool pull;
	bool no_sbom;                /* --sbom=false */
	bool provenance;             /* --provenance */
	const char *cache_to;        /* --cache-to REF[,mode=min|max] */
	struct pcb_strv cache_from;  /* --cache-from REF (repeatable) */
	const char *iidfile;
	const char *metadata_file;
	char *load_file;             /* the private docker-archive --load reads (owned) */
	struct pcb_regopts reg;
};

/* -o / --output. "type=TYPE[,dest=PATH]" (buildx's form: every item KEY=VALUE); --output
 * also takes a bare folder, as it always did, but -o never guesses: a value that is not
 * KEY=VALUE items is an error naming it, so a typo is not written as a folder of that name. */
static int
parse_output(struct build_opts *o, bool short_flag, const char *val)
{
	const char *flag = short_flag ? "-o" : "--output", *type = NULL, *dest = NULL, *spec;
	size_t klen = strspn(val, "abcdefghijklmnopqrstuvwxyz-");
	char *copy, *save = NULL;
	int rc = PCB_EXIT_OK;

	if (klen == 0 || val[klen] != '=') {
		if (short_flag || val[0] == '\0')
			return pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': expected "
			    "type=TYPE[,dest=PATH] with TYPE oci, oci-archive, docker or registry "
			    "(an OCI layout folder: -o type=oci,dest=DIR or --output DIR)", flag, val);
		pcb_strv_push(&o->out_types, "oci-layout");
		pcb_strv_push(&o->out_dests, val);
		return PCB_EXIT_OK;
	}
	copy = pcb_xstrdup(val);
	for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",",
	    &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': '%s' is not KEY=VALUE",
			    flag, val, item);
			goto out;
		}
		*eq = '\0';
		if (strcmp(item, "type") == 0) {
			type = val + (eq + 1 - copy);
		} else if (strcmp(item, "dest") == 0) {
			dest = val + (eq + 1 - copy);
		} else {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': unknown key '%s' (type, "
			    "dest)", flag, val, item);
			goto out;
		}
	}
	if (type == NULL) {
		rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': needs type=TYPE (oci, "
		    "oci-archive, docker or registry)", flag, val);
		goto out;
	}
	/* type and dest point into val: cut them at the next ','. */
	{
		char *t = pcb_xstrndup(type, strcspn(type, ","));
		char *d = dest != NULL ? pcb_xstrndup(dest, strcspn(dest, ",")) : NULL;
		spec = strcmp(t, "oci") == 0 || strcmp(t, "oci-layout") == 0 ? "oci-layout" :
		    strcmp(t, "oci-archive") == 0 ? "oci-archive" :
		    strcmp(t, "docker") == 0 || strcmp(t, "docker-archive") == 0 ? "docker-archive" :
		    strcmp(t, "registry") == 0 ? "registry" : NULL;
		if (spec == NULL)
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': unknown output type '%s' "
			    "(known: oci, oci-archive, docker, registry)", flag, val, t);
		else if (strcmp(spec, "registry") == 0 && d != NULL)
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': type=registry pushes to "
			    "the registry each tag names and takes no dest", flag, val);
		else if (strcmp(spec, "registry") == 0)
			o->push = true;
		else if (strcmp(spec, "docker-archive") == 0 && d == NULL)
			o->load = true;
		else if (d == NULL || d[0] == '\0')
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': type=%s needs dest=PATH",
			    flag, val, t);
		else {
			pcb_strv_push(&o->out_types, spec);
			pcb_strv_push(&o->out_dests, d);
		}
		free(t);
		free(d);
	}
out:
	free(copy);
	return rc;
}

/* --entrypoint / --cmd: a JSON array of strings, or a plain string split on whitespace
 * (no shell quoting: use the JSON form for arguments that contain spaces). */
static int
parse_argv_flag(const char *flag, const char *value, json_object **out, char *msg, size_t msgsz)
{
	json_object *arr = NULL;
	const char *p = value;
	int r = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p == '[') {
		enum json_tokener_error jerr;
		size_t i;

		arr = json_tokener_parse_verbose(p, &jerr);
		if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
			snprintf(msg, msgsz, "%s '%s': not a JSON array of strings (%s)", flag, value,
			    arr == NULL ? json_tokener_error_desc(jerr) : "not an array");
			r = PCB_EINVAL;
			goto out;
		}
		for (i = 0; i < json_object_array_length(arr); i++) {
			if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_string)) {
				snprintf(msg, msgsz, "%s '%s': element %zu is not a string", flag, value, i);
				r = PCB_EINVAL;
				goto out;
			}
		}
	} else {
		arr = json_object_new_array();
		while (*p) {
			size_t n = strcspn(p, " \t\n");
			json_object_array_add(arr, json_object_new_string_len(p, (int)n));
			p += n;
			while (*p == ' ' || *p == '\t' || *p == '\n')
				p++;
		}
	}
out:
	if (r != 0) {
		json_object_put(arr);
		arr = NULL;
	}
	*out = arr;
	return r;
}

/* --output DIR as an absolute path. DIR itself need not exist (the daemon creates it), but its
 * parent must, so a typo fails here and not after the build. */
static int
absolute_output(const char *path, char **out, struct pcb_err *err)
{
	char *copy = pcb_xstrdup(path), *slash, *parent_real = NULL, *res = NULL;
	const char *parent, *base;
	size_t len = strlen(copy);
	struct stat sb;
	int r = 0;

	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	res = realpath(copy, NULL);
	if (res != NULL)
		goto out;
	if (errno != ENOENT) {
		r = pcb_err_errno(err, errno, "--output %s", path);
		goto out;
	}
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		parent = ".";
		base = copy;
	} else {
		*slash = '\0';
		parent = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	parent_real = realpath(parent, NULL);
	if (parent_real == NULL) {
		r = pcb_err_errno(err, errno, "--output %s: parent directory %s", path, parent);
		goto out;
	}
	if (stat(parent_real, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		r = pcb_err_set(err, PCB_EINVAL, "--output %s: %s is not a directory", path, parent);
		goto out;
	}
	res = pcb_path_join(parent_real, base);
out:
	free(copy);
	free(parent_real);
	*out = r == 0 ? res : NULL;
	if (r != 0)
		free(res);
	return r;
}

/* An archive's dest as an absolute path: the parent resolved (it must exist), the name kept
 * as given, so that a symlink there is refused by the daemon rather than followed here. */
static int
absolute_file(const char *path, char **out, struct pcb_err *err)
{
	char *copy = pcb_xstrdup(path), *slash, *parent_real = NULL;
	const char *parent, *base;
	int r = 0;

	*out = NULL;
	slash = strrchr(copy, '/');
	if (slash == NULL) {
		parent = ".";
		base = copy;
	} else {
		*slash = '\0';
		parent = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		r = pcb_err_set(err, PCB_EINVAL, "output %s: expected a file name (FILE.tar)", path);
		goto out;
	}
	if ((parent_real = realpath(parent, NULL)) == NULL) {
		r = pcb_err_errno(err, errno, "output %s: parent directory %s", path, parent);
		goto out;
	}
	*out = pcb_path_join(parent_real, base);
out:
	free(copy);
	free(parent_real);
	return r;
}

static int
add_kv(json_object *obj, const char *flag, const char *kv, const struct pcb_cmd *cmd)
{
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv)
		return pcb_cli_usage_error(cmd, "%s '%s': expected KEY=VALUE", flag, kv);
	{
		char *key = pcb_xstrndup(kv, (size_t)(eq - kv));
		json_object_object_add(obj, key, json_object_new_string(eq + 1));   /* copies key */
		free(key);
	}
	return 0;
}

/* --push: every tag must name a registry host (checked here too, so a typo fails before the
 * build rather than after it); the credentials, CAs and plain-HTTP hosts for those registries
 * go with the spec. A dry run needs no credentials and gets none. */
static int
add_push(const struct build_opts *o, json_object *spec)
{
	struct pcb_strv hosts;
	struct pcb_err err;
	size_t i;
	int rc = PCB_EXIT_OK;

	pcb_strv_init(&hosts);
	if (o->push && o->tags.n == 0) {
		rc = pcb_cli_usage_error(&pcb_cmd_build, "--push needs at least one -t naming a "
		    "registry (-t 127.0.0.1:5000/team/app:1)");
		goto out;
	}
	/* The registry caches' hosts get the same credentials as the push targets. */
	for (i = 0; i < o->cache_from.n + (o->cache_to != NULL); i++) {
		const char *ref = i < o->cache_from.n ? o->cache_from.v[i] : o->cache_to;
		char *r = NULL, *host;
		bool explicit_host;
		if (pcb_rcache_parse_ref(ref, i == o->cache_from.n, &r, NULL, &err) != 0 ||
		    pcb_regopts_ref_host(r, &host, &explicit_host, &err) != 0) {
			free(r);
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': %s", i < o->cache_from.n ?
			    "--cache-from" : "--cache-to", ref, err.msg);
			goto out;
		}
		free(r);
		if (!explicit_host) {
			free(host);
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s '%s': names no registry (e.g. "
			    "127.0.0.1:5000/team/app:buildcache)", i < o->cache_from.n ?
			    "--cache-from" : "--cache-to", ref);
			goto out;
		}
		if (!pcb_strv_contains(&hosts, host))
			pcb_strv_push(&hosts, host);
		free(host);
	}
	for (i = 0; o->push && i < o->tags.n; i++) {
		char *host;
		bool explicit_host;

		if (pcb_regopts_ref_host(o->tags.v[i], &host, &explicit_host, &err) != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "-t '%s': %s", o->tags.v[i], err.msg);
			goto out;
		}
		if (!explicit_host) {
			free(host);
			rc = pcb_cli_usage_error(&pcb_cmd_build, "--push: tags[%zu] '%s' names no "
			    "registry to push to", i, o->tags.v[i]);
			goto out;
		}
		pcb_strv_push_owned(&hosts, host);
	}
	if (o->push)
		json_object_object_add(spec, "push", json_object_new_boolean(true));
	if (!o->dry_run && pcb_regopts_apply(&o->reg, &hosts, spec, &err) != 0) {
		fprintf(stderr, "pcb build: %s\n", err.msg);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
out:
	pcb_strv_free(&hosts);
	return rc;
}

static int deps_spec(const struct build_opts *o, json_object *spec);

/* Builds the BuildSpec JSON from the options. Returns an exit code; *spec_out on success. */
static int
make_spec(const struct build_opts *o, json_object **spec_out)
{
	json_object *spec = json_object_new_object(), *arr, *obj;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *ctx = NULL, msg[512];
	struct pcb_err err;
	struct stat sb;
	size_t i;
	int rc = PCB_EXIT_OK;

	ctx = realpath(o->context, NULL);
	if (ctx == NULL) {
		fprintf(stderr, "pcb build: context %s: %s\n", o->context, strerror(errno));
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	if (stat(ctx, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "pcb build: context %s: not a directory\n", o->context);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	json_object_object_add(spec, "context", json_object_new_string(ctx));
	if (o->tags.n > 0) {
		arr = json_object_new_array();
		for (i = 0; i < o->tags.n; i++)
			json_object_array_add(arr, json_object_new_string(o->tags.v[i]));
		json_object_object_add(spec, "tags", arr);
	}
	if (o->out_types.n > 0 || o->load_file != NULL) {
		arr = json_object_new_array();
		json_object_object_add(spec, "outputs", arr);
		for (i = 0; i < o->out_types.n; i++) {
			char *abs;
			bool layout = strcmp(o->out_types.v[i], "oci-layout") == 0;
			if ((layout ? absolute_output(o->out_dests.v[i], &abs, &err) :
			    absolute_file(o->out_dests.v[i], &abs, &err)) != 0) {
				fprintf(stderr, "pcb build: %s\n", err.msg);
				rc = PCB_EXIT_FAIL;
				goto out;
			}
			obj = json_object_new_object();
			json_object_object_add(obj, "type", json_object_new_string(o->out_types.v[i]));
			json_object_object_add(obj, "path", json_object_new_string(abs));
			json_object_array_add(arr, obj);
			free(abs);
		}
		if (o->load_file != NULL) {
			obj = json_object_new_object();
			json_object_object_add(obj, "type", json_object_new_string("docker-archive"));
			json_object_object_add(obj, "path", json_object_new_string(o->load_file));
			json_object_array_add(arr, obj);
		}
	}
	if (o->no_cache)
		json_object_object_add(spec, "no_cache", json_object_new_boolean(true));
	if (o->pull)
		json_object_object_add(spec, "pull", json_object_new_boolean(true));
	if (o->no_sbom)
		json_object_object_add(spec, "sbom", json_object_new_boolean(false));
	if (o->provenance)
		json_object_object_add(spec, "provenance", json_object_new_boolean(true));
	if (o->platform != NULL)
		json_object_object_add(spec, "platform", json_object_new_string(o->platform));
	if (o->platforms.n > 0) {
		json_object *pa = json_object_new_array();
		for (size_t k = 0; k < o->platforms.n; k++)
			json_object_array_add(pa, json_object_new_string(o->platforms.v[k]));
		json_object_object_add(spec, "platforms", pa);
	}
	if (o->platform_fail != NULL)
		json_object_object_add(spec, "platform_fail",
		    json_object_new_string(o->platform_fail));
	if (o->base_image != NULL)
		json_object_object_add(spec, "base_image", json_object_new_string(o->base_image));
	if (o->base_registry != NULL)
		json_object_object_add(spec, "base_registry",
		    json_object_new_string(o->base_registry));
	if (o->env.n > 0) {
		obj = json_object_new_object();
		json_object_object_add(spec, "env", obj);
		for (i = 0; i < o->env.n; i++) {
			if ((rc = add_kv(obj, "--env", o->env.v[i], &pcb_cmd_build)) != 0)
				goto out;
		}
	}
	if (o->labels.n > 0) {
		obj = json_object_new_object();
		json_object_object_add(spec, "labels", obj);
		for (i = 0; i < o->labels.n; i++) {
			if ((rc = add_kv(obj, "--label", o->labels.v[i], &pcb_cmd_build)) != 0)
				goto out;
		}
	}
	if (o->workdir != NULL)
		json_object_object_add(spec, "workdir", json_object_new_string(o->workdir));
	if (o->user != NULL)
		json_object_object_add(spec, "user", json_object_new_string(o->user));
	if (o->port != NULL) {
		char *end;
		long port = strtol(o->port, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "--port '%s': expected 1..65535",
			    o->port);
			goto out;
		}
		json_object_object_add(spec, "port", json_object_new_int((int)port));
	}
	if (o->python != NULL)
		json_object_object_add(spec, "python", json_object_new_string(o->python));
	if (o->compression != NULL) {
		if (strcmp(o->compression, "gzip") != 0 && strcmp(o->compression, "zstd") != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "--compression '%s': expected gzip or "
			    "zstd", o->compression);
			goto out;
		}
		json_object_object_add(spec, "compression", json_object_new_string(o->compression));
	}
	if (o->compression_level != NULL) {
		char *end;
		long lvl = strtol(o->compression_level, &end, 10);
		if (*end != '\0' || lvl < 1 || lvl > 19) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "--compression-level '%s': expected "
			    "1..19", o->compression_level);
			goto out;
		}
		json_object_object_add(spec, "compression_level", json_object_new_int((int)lvl));
	}
	if ((rc = deps_spec(o, spec)) != 0)
		goto out;
	if (o->entrypoint != NULL) {
		if (parse_argv_flag("--entrypoint", o->entrypoint, &arr, msg, sizeof msg) != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s", msg);
			goto out;
		}
		json_object_object_add(spec, "entrypoint", arr);
	}
	if (o->cmd != NULL) {
		if (parse_argv_flag("--cmd", o->cmd, &arr, msg, sizeof msg) != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "%s", msg);
			goto out;
		}
		json_object_object_add(spec, "cmd", arr);
	}
	if (sde != NULL && sde[0] != '\0') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (sde[0] < '0' || sde[0] > '9' || *end != '\0' || errno != 0 || v < 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_build, "SOURCE_DATE_EPOCH='%s': expected an "
			    "integer >= 0 (seconds since 1970)", sde);
			goto out;
		}
		json_object_object_add(spec, "source_date_epoch", json_object_new_int64(v));
	}
	if (o->cache_to != NULL)
		json_object_object_add(spec, "cache_to", json_object_new_string(o->cache_to));
	if (o->cache_from.n > 0) {
		arr = json_object_new_array();
		for (size_t k = 0; k < o->cache_from.n; k++)
			json_object_array_add(arr, json_object_new_string(o->cache_from.v[k]));
		json_object_object_add(spec, "cache_from", arr);
	}
	if ((o->push || o->cache_to != NULL || o->cache_from.n > 0) &&
	    (rc = add_push(o, spec)) != 0)
		goto out;
out:
	free(ctx);
	if (rc != PCB_EXIT_OK) {
		json_object_put(spec);
		spec = NULL;
	}
	*spec_out = spec;
	return rc;
}

/* The request body: compact, with '/' unescaped (paths stay readable in daemon logs). */
static const char *
spec_text(json_object *spec)
{
	return json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- dry run ---- */

static const struct {
	const char *key;
	const char *label;
} plan_fields[] = {
	{ "context", "context" }, { "name", "name" }, { "version", "version" },
	{ "description", "description" }, { "license", "license" },
	{ "python_version", "python version" }, { "package", "package" },
	{ "base_image", "base image" }, { "entrypoint", "entrypoint" }, { "cmd", "cmd" },
	{ "workdir", "workdir" }, { "include", "include" }, { "excluded", "left out" },
	{ "env", "env" },
	{ "labels", "labels" }, { "platform", "platform" }, { "platforms", "platforms" },
	{ "tags", "tags" },
	{ "outputs", "outputs" }, { "created", "created" }, { "passed_over", "passed over" },
	{ "warnings", "warnings" },
};

/* Where a plan value came from: plan.sources[key] as a string, or {"value","source"} pairs. */
static const char *
plan_source(json_object *plan, const char *key, json_object *value)
{
	json_object *sources = pcb_cli_jobj(plan, "sources");
	json_object *s;

	if (pcb_cli_jstr(value, "source") != NULL)
		return pcb_cli_jstr(value, "source");
	if (sources != NULL && json_object_object_get_ex(sources, key, &s)) {
		if (json_object_is_type(s, json_type_string))
			return json_object_get_string(s);
		if (json_object_is_type(s, json_type_object))
			return pcb_cli_jstr(s, "source") ?: pcb_cli_jstr(s, "file");
	}
	return NULL;
}

static void
print_plan_value(const char *label, json_object *v, const char *source)
{
	const char *compact;
	size_t i;

	if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "value", NULL)) {
		json_object *inner;
		json_object_object_get_ex(v, "value", &inner);
		v = inner;
	}
	compact = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0 &&
	    strcmp(label, "env:") != 0 && strcmp(label, "labels:") != 0) {
		printf("%-15s %s", label, compact);
	} else if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
		/* env and labels: one KEY=VALUE per line */
		printf("%s", label);
		if (source != NULL)
			printf("  (%s)", source);
		printf("\n");
		json_object_object_foreach(v, k, val) {
			printf("  %s=%s\n", k, json_object_is_type(val, json_type_string) ?
			    json_object_get_string(val) : json_object_to_json_string(val));
		}
		return;
	} else if (json_object_is_type(v, json_type_array) && (strcmp(label, "include:") == 0 ||
	    strcmp(label, "outputs:") == 0 || strcmp(label, "left out:") == 0 ||
	    strcmp(label, "passed over:") == 0 || strcmp(label, "warnings:") == 0) &&
	    json_object_array_length(v) > 0) {
		printf("%s", label);
		if (source != NULL)
			printf("  (%s)", source);
		printf("\n");
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			if (json_object_is_type(e, json_type_string))
				printf("  %s\n", json_object_get_string(e));
			else if (pcb_cli_jstr(e, "rule") != NULL)
				printf("  %s  (%s)\n", pcb_cli_jstr(e, "path") ?: "",
				    pcb_cli_jstr(e, "rule"));
			else if (pcb_cli_jstr(e, "path") != NULL)
				printf("  %s %s\n", pcb_cli_jstr(e, "type") ?: "", pcb_cli_jstr(e, "path"));
			else
				printf("  %s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
				    JSON_C_TO_STRING_NOSLASHESCAPE));
		}
		return;
	} else if (json_object_is_type(v, json_type_string)) {
		printf("%-15s %s", label, json_object_get_string(v));
	} else if (v == NULL) {
		printf("%-15s -", label);
	} else {
		printf("%-15s %s", label, compact);   /* arrays (entrypoint, cmd, tags) as JSON */
	}
	if (source != NULL)
		printf("  (%s)", source);
	printf("\n");
}

static void
print_plan(json_object *plan)
{
	size_t i, j;
	char label[64];

	for (i = 0; i < PCB_ARRAY_LEN(plan_fields); i++) {
		json_object *v;
		if (!json_object_object_get_ex(plan, plan_fields[i].key, &v) || v == NULL)
			continue;
		/* Nothing left out and nothing to warn about: no line. */
		if ((strcmp(plan_fields[i].key, "warnings") == 0 ||
		    strcmp(plan_fields[i].key, "passed_over") == 0 ||
		    strcmp(plan_fields[i].key, "excluded") == 0) &&
		    json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0)
			continue;
		snprintf(label, sizeof label, "%s:", plan_fields[i].label);
		print_plan_value(label, v, plan_source(plan, plan_fields[i].key, v));
	}
	/* Anything newer than this client: shown as JSON rather than hidden. */
	json_object_object_foreach(plan, key, val) {
		bool known = strcmp(key, "sources") == 0;
		for (j = 0; !known && j < PCB_ARRAY_LEN(plan_fields); j++)
			known = strcmp(key, plan_fields[j].key) == 0;
		if (known || val == NULL)
			continue;
		snprintf(label, sizeof label, "%s:", key);
		print_plan_value(label, val, plan_source(plan, key, val));
	}
}

static int
dry_run(struct pcb_http *h, const struct build_opts *o, json_object *spec)
{
	json_object *plan = NULL;
	struct pcb_err err;
	int rc = PCB_EXIT_OK;

	if (pcb_http_request(h, "POST", "/v1/plan", spec_text(spec), &plan, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	if (o->json)
		pcb_cli_print_json(stdout, plan);
	else if (plan != NULL)
		print_plan(plan);
out:
	json_object_put(plan);
	return rc;
}

/* A path flag made absolute against the user's working directory (the daemon has its
 * own); URLs are left alone. */
static char *
abs_arg(const char *p)
{
	char cwd[PATH_MAX];

	if (p[0] == '/' || strstr(p, "://") != NULL || getcwd(cwd, sizeof cwd) == NULL)
		return pcb_xstrdup(p);
	return pcb_path_join(cwd, p);
}

static json_object *
abs_array(const struct pcb_strv *sv)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++) {
		char *p = abs_arg(sv->v[i]);
		json_object_array_add(a, json_object_new_string(p));
		free(p);
	}
	return a;
}

static json_object *
str_array(const struct pcb_strv *sv)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, json_object_new_string(sv->v[i]));
	return a;
}

/* spec.dependencies from the dependency flags (absent when none is given). */
static int
deps_spec(const struct build_opts *o, json_object *spec)
{
	json_object *d = json_object_new_object();
	int sources = (o->lock != NULL) + (o->requirements.n > 0) + (o->venv != NULL) + o->no_deps;
	char *p;

	if (sources > 1) {
		json_object_put(d);
		return pcb_cli_usage_error(&pcb_cmd_build, "--lock, --requirements, --deps-from-venv "
		    "and --no-deps each choose the dependency source: give one");
	}
	if (o->no_deps)
		json_object_object_add(d, "source", json_object_new_string("none"));
	if (o->lock != NULL) {
		json_object_object_add(d, "source", json_object_new_string("lock"));
		p = abs_arg(o->lock);
		json_object_object_add(d, "lock_file", json_object_new_string(p));
		free(p);
	}
	if (o->requirements.n > 0) {
		json_object_object_add(d, "source", json_object_new_string("requirements"));
		json_object_object_add(d, "requirements", abs_array(&o->requirements));
	}
	if (o->venv != NULL) {
		json_object_object_add(d, "source", json_object_new_string("venv"));
		p = abs_arg(o->venv);
		json_object_object_add(d, "venv", json_object_new_string(p));
		free(p);
	}
	if (o->index_url != NULL)
		json_object_object_add(d, "index_url", json_object_new_string(o->index_url));
	if (o->extra_index_urls.n > 0)
		json_object_object_add(d, "extra_index_urls", str_array(&o->extra_index_urls));
	if (o->find_links.n > 0)
		json_object_object_add(d, "find_links", abs_array(&o->find_links));
	if (o->extras.n > 0)
		json_object_object_add(d, "extras", str_array(&o->extras));
	if (o->groups.n > 0)
		json_object_object_add(d, "groups", str_array(&o->groups));
	if (o->refresh_deps)
		json_object_object_add(d, "refresh", json_object_new_boolean(true));
	if (o->no_compile)
		json_object_object_add(d, "compile", json_object_new_boolean(false));
	if (json_object_object_length(d) > 0)
		json_object_object_add(spec, "dependencies", d);
	else
		json_object_put(d);
	return 0;
}

/* ---- after the build: --iidfile, --metadata-file, --load ---- */

/* The program's path when PATH has it (caller frees), else NULL. */
static char *
find_program(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = pcb_xstrdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL, *found = NULL;

	for (char *d = strtok_r(copy, ":", &save); d != NULL && found == NULL;
	    d = strtok_r(NULL, ":", &save)) {
		char *p = pcb_path_join(d[0] != '\0' ? d : ".", name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

/* Runs `TOOL load -i FILE`, its output on stderr (stdout stays for -q's digest). Returns
 * its exit status, or -1 when it could not run. */
static int
run_load(const char *tool, const char *file)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		execl(tool, tool, "load", "-i", file, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* --load: the docker-archive the daemon wrote into the private temp folder, handed to
 * docker load, or podman load when there is no docker or it failed (a docker client
 * without a running daemon is common where podman is used). */
static int
load_image(const char *file, bool quiet)
{
	static const char *const tools[] = { "docker", "podman" };
	bool tried = false;

	for (size_t i = 0; i < PCB_ARRAY_LEN(tools); i++) {
		char *tool = find_program(tools[i]);
		int st;
		if (tool == NULL)
			continue;
		if (tried)
			fprintf(stderr, "pcb build: trying %s load\n", tools[i]);
		tried = true;
		st = run_load(tool, file);
		free(tool);
		if (st == 0) {
			if (!quiet)
				fprintf(stderr, "Loaded into %s\n", tools[i]);
			return PCB_EXIT_OK;
		}
		fprintf(stderr, "pcb build: --load: %s load failed (%s %d)\n", tools[i],
		    st < 0 ? "could not run it:" : "exit status", st);
	}
	if (!tried)
		fprintf(stderr, "pcb build: --load: neither docker nor podman is on PATH\n");
	return PCB_EXIT_FAIL;
}

/* The private folder --load's archive goes into: the daemon writes it with the user's
 * rights, and nobody else may look in. */
static int
load_prepare(struct build_opts *o)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = pcb_xasprintf("%s/pcb-load-XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp :
	    "/tmp");
	char *have_docker = find_program("docker"), *have_podman = find_program("podman");
	int rc = PCB_EXIT_OK;

	if (have_docker == NULL && have_podman == NULL) {
		fprintf(stderr, "pcb build: --load needs docker or podman, and neither is on PATH: "
		    "install one, or write the image with -o type=docker,dest=FILE.tar (or "
		    "type=oci-archive) and load it where it is needed\n");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "pcb build: --load: creating %s: %s\n", dir, strerror(errno));
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	o->load_file = pcb_path_join(dir, "image.tar");
out:
	free(dir);
	free(have_docker);
	free(have_podman);
	return rc;
}

static void
load_cleanup(struct build_opts *o)
{
	char *slash;

	if (o->load_file == NULL)
		return;
	(void)unlink(o->load_file);
	if ((slash = strrchr(o->load_file, '/')) != NULL) {
		*slash = '\0';
		(void)rmdir(o->load_file);
	}
	free(o->load_file);
	o->load_file = NULL;
}

static int
write_small_file(const char *flag, const char *path, const char *text)
{
	char *abs = abs_arg(path);
	struct pcb_err err;
	int rc = PCB_EXIT_OK;

	if (pcb_write_file_atomic(abs, text, strlen(text), 0644, &err) != 0) {
		fprintf(stderr, "pcb build: %s %s: %s\n", flag, path, err.msg);
		rc = PCB_EXIT_FAIL;
	}
	free(abs);
	return rc;
}

/* A multi-platform build, after the summary: each platform's manifest, and the platforms
 * --platform-fail=skip left out with why. */
static void
print_platforms(json_object *job)
{
	json_object *res = pcb_cli_jobj(job, "result");
	json_object *ps = pcb_cli_jarr(res, "platforms"), *sk = pcb_cli_jarr(res, "skipped");

	for (size_t i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
		json_object *p = json_object_array_get_idx(ps, i);
		fprintf(stderr, "  platform %s %s\n", pcb_cli_jstr(p, "platform") ?: "?",
		    pcb_cli_jstr(pcb_cli_jobj(p, "manifest"), "digest") ?: "?");
	}
	for (size_t i = 0; sk != NULL && i < json_object_array_length(sk); i++) {
		json_object *p = json_object_array_get_idx(sk, i);
		fprintf(stderr, "  skipped %s: %s\n", pcb_cli_jstr(p, "platform") ?: "?",
		    pcb_cli_jstr(p, "error") ?: "?");
	}
}

/* --iidfile and --metadata-file, from the finished build. The image ID is the config
 * digest, as buildx writes it for a single-platform image (the ID docker and podman show);
 * the metadata has buildx's keys, so scripts written for `docker buildx build
 * --metadata-file` read it. */
static int
write_build_files(const struct build_opts *o, json_object *job)
{
	json_object *res = pcb_cli_jobj(job, "result"), *md = NULL, *desc, *tags;
	json_object *man = pcb_cli_jobj(res, "manifest");
	const char *cfg = pcb_cli_jstr(pcb_cli_jobj(res, "config"), "digest");
	const char *mdg = pcb_cli_jstr(man, "digest");
	struct pcb_buf names;
	int rc = PCB_EXIT_OK;

	if ((cfg == NULL && pcb_cli_jarr(res, "platforms") == NULL) || mdg == NULL) {
		fprintf(stderr, "pcb build: the build's result has no manifest or config digest\n");
		return PCB_EXIT_FAIL;
	}
	/* A multi-platform image has no one config: its index digest stands for it (buildx). */
	if (pcb_cli_jarr(res, "platforms") != NULL)
		cfg = NULL;
	if (o->iidfile != NULL && (rc = write_small_file("--iidfile", o->iidfile,
	    cfg != NULL ? cfg : mdg)) != 0)
		return rc;
	if (o->metadata_file == NULL)
		return PCB_EXIT_OK;
	pcb_buf_init(&names, 1 << 20);
	tags = pcb_cli_jarr(pcb_cli_jobj(res, "image"), "tags");
	for (size_t i = 0; tags != NULL && i < json_object_array_length(tags); i++)
		(void)pcb_buf_appendf(&names, "%s%s", i > 0 ? "," : "",
		    json_object_get_string(json_object_array_get_idx(tags, i)));
	md = json_object_new_object();
	if (cfg != NULL)
		json_object_object_add(md, "containerimage.config.digest",
		    json_object_new_string(cfg));
	desc = json_object_new_object();
	json_object_object_add(desc, "mediaType", json_object_new_string(
	    pcb_cli_jstr(man, "mediaType") ?: "application/vnd.oci.image.manifest.v1+json"));
	json_object_object_add(desc, "digest", json_object_new_string(mdg));
	json_object_object_add(desc, "size", json_object_new_int64(pcb_cli_jint(man, "size", 0)));
	json_object_object_add(md, "containerimage.descriptor", desc);
	json_object_object_add(md, "containerimage.digest", json_object_new_string(mdg));
	json_object_object_add(md, "image.name", json_object_new_string(names.len > 0 ?
	    names.data : ""));
	if (pcb_cli_jstr(job, "id") != NULL)
		json_object_object_add(md, "pcb.build.id",
		    json_object_new_string(pcb_cli_jstr(job, "id")));
	{
		const char *text = json_object_to_json_string_ext(md, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
		char *nl = pcb_xasprintf("%s\n", text);
		rc = write_small_file("--metadata-file", o->metadata_file, nl);
		free(nl);
	}
	json_object_put(md);
	pcb_buf_free(&names);
	return rc;
}

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "platform-fail", required_argument, NULL, OPT_PLATFORM_FAIL },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
		{ "cmd", required_argument, NULL, OPT_CMD },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "rebase-only", no_argument, NULL, OPT_REBASE_ONLY },
		{ "push", no_argument, NULL, OPT_PUSH },
		{ "base-image", required_argument, NULL, OPT_BASE_IMAGE },
		{ "base-registry", required_argument, NULL, OPT_BASE_REGISTRY },
		{ "user", required_argument, NULL, OPT_USER },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "lock", required_argument, NULL, OPT_LOCK },
		{ "requirements", required_argument, NULL, OPT_REQUIREMENTS },
		{ "deps-from-venv", required_argument, NULL, OPT_VENV },
		{ "no-deps", no_argument, NULL, OPT_NO_DEPS },
		{ "refresh-deps", no_argument, NULL, OPT_REFRESH_DEPS },
		{ "no-compile", no_argument, NULL, OPT_NO_COMPILE },
		{ "index-url", required_argument, NULL, OPT_INDEX_URL },
		{ "extra-index-url", required_argument, NULL, OPT_EXTRA_INDEX_URL },
		{ "find-links", required_argument, NULL, OPT_FIND_LINKS },
		{ "extra", required_argument, NULL, OPT_EXTRA },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "python", required_argument, NULL, OPT_PYTHON },
		{ "compression", required_argument, NULL, OPT_COMPRESSION },
		{ "compression-level", required_argument, NULL, OPT_COMPRESSION_LEVEL },
		{ "load", no_argument, NULL, OPT_LOAD },
		{ "iidfile", required_argument, NULL, OPT_IIDFILE },
		{ "metadata-file", required_argument, NULL, OPT_METADATA_FILE },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "pull", no_argument, NULL, OPT_PULL },
		{ "cache-to", required_argument, NULL, OPT_CACHE_TO },
		{ "cache-from", required_argument, NULL, OPT_CACHE_FROM },
		{ "sbom", optional_argument, NULL, OPT_SBOM },
		{ "provenance", optional_argument, NULL, OPT_PROVENANCE },
		PCB_REGOPTS_LONGOPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_job_opts jo;
	struct build_opts o;
	json_object *spec = NULL, *job = NULL;
	int c, rc = PCB_EXIT_OK;

	memset(&o, 0, sizeof o);
	memset(&jo, 0, sizeof jo);
	pcb_strv_init(&o.tags);
	pcb_strv_init(&o.platforms);
	pcb_strv_init(&o.out_types);
	pcb_strv_init(&o.out_dests);
	pcb_strv_init(&o.env);
	pcb_strv_init(&o.labels);
	pcb_strv_init(&o.requirements);
	pcb_strv_init(&o.cache_from);
	pcb_strv_init(&o.extra_index_urls);
	pcb_strv_init(&o.find_links);
	pcb_strv_init(&o.extras);
	pcb_strv_init(&o.groups);
	pcb_regopts_init(&o.reg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (optarg[0] == '\0') {
				rc = pcb_cli_usage_error(&pcb_cmd_build, "--tag: empty name");
				goto out;
			}
			pcb_strv_push(&o.tags, optarg);
			break;
		case 'o':
		case OPT_OUTPUT:
			if ((rc = parse_output(&o, c == 'o', optarg)) != PCB_EXIT_OK)
				goto out;
			break;
		case OPT_PLATFORM: {
			/* The daemon checks it too; this catches a typo before anything is sent. */
			struct pcb_platform pl;
			struct pcb_err perr;
			char *list = pcb_xstrdup(optarg), *save = NULL;
			pcb_strv_free(&o.platforms);
			o.platform = NULL;
			for (char *p = strtok_r(list, ",", &save); p != NULL;
			    p = strtok_r(NULL, ",", &save)) {
				if (pcb_platform_parse(p, &pl, &perr) != 0) {
					rc = pcb_cli_usage_error(&pcb_cmd_build, "--platform '%s': %s", p,
					    perr.msg);
					free(list);
					goto out;
				}
				pcb_strv_push(&o.platforms, p);
			}
			free(list);
			if (o.platforms.n == 0) {
				rc = pcb_cli_usage_error(&pcb_cmd_build, "--platform: expected "
				    "OS/ARCH[/VARIANT][,OS/ARCH…]");
				goto out;
			}
			if (strchr(optarg, ',') == NULL) {   /* one: a single image, as before */
				pcb_strv_free(&o.platforms);
				o.platform = optarg;
			}
			break;
		}
		case OPT_PLATFORM_FAIL:
			if (strcmp(optarg, "skip") != 0 && strcmp(optarg, "error") != 0) {
				rc = pcb_cli_usage_error(&pcb_cmd_build, "--platform-fail '%s': expected "
				    "error or skip", optarg);
				goto out;
			}
			o.platform_fail = optarg;
			break;
		case OPT_LOAD:
			o.load = true;
			break;
		case OPT_IIDFILE:
			o.iidfile = optarg;
			break;
		case OPT_METADATA_FILE:
			o.metadata_file = optarg;
			break;
		case OPT_NO_CACHE:
			o.no_cache = true;
			break;
		case OPT_PULL:
			o.pull = true;
			break;
		case OPT_CACHE_TO:
			o.cache_to = optarg;
			break;
		case OPT_CACHE_FROM:
			pcb_strv_push(&o.cache_from, optarg);
			break;
		case OPT_SBOM:
		case OPT_PROVENANCE: {
			/* buildx's spelling: --sbom=false, --provenance (= true). */
			bool on = optarg == NULL || strcmp(optarg, "true") == 0 ||
			    strcmp(optarg, "1") == 0;
			if (!on && strcmp(optarg, "false") != 0 && strcmp(optarg, "0") != 0) {
				rc = pcb_cli_usage_error(&pcb_cmd_build, "--%s: \"%s\" is not true or "
				    "false", c == OPT_SBOM ? "sbom" : "provenance", optarg);
				goto out;
			}
			if (c == OPT_SBOM)
				o.no_sbom = !on;
			else
				o.provenance = on;
			break;
		}
		case OPT_ENV:
			pcb_strv_push(&o.env, optarg);
			break;
		case OPT_LABEL:
			pcb_strv_push(&o.labels, optarg);
			break;
		case OPT_WORKDIR:
			o.workdir = optarg;
			break;
		case OPT_ENTRYPOINT:
			o.entrypoint = optarg;
			break;
		case OPT_CMD:
			o.cmd = optarg;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_REBASE_ONLY:
			o.rebase_only = true;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_BASE_IMAGE:
			o.base_image = optarg;
			break;
		case OPT_BASE_REGISTRY:
			o.base_registry = optarg;
			break;
		case OPT_PUSH:
			o.push = true;
			break;
		case OPT_USER:
			o.user = optarg;
			break;
		case OPT_PORT:
			o.port = optarg;
			break;
		case OPT_LOCK:
			o.lock = optarg;
			break;
		case OPT_REQUIREMENTS:
			pcb_strv_push(&o.requirements, optarg);
			break;
		case OPT_VENV:
			o.venv = optarg;
			break;
		case OPT_NO_DEPS:
			o.no_deps = true;
			break;
		case OPT_REFRESH_DEPS:
			o.refresh_deps = true;
			break;
		case OPT_NO_COMPILE:
			o.no_compile = true;
			break;
		case OPT_INDEX_URL:
			o.index_url = optarg;
			break;
		case OPT_EXTRA_INDEX_URL:
			pcb_strv_push(&o.extra_index_urls, optarg);
			break;
		case OPT_FIND_LINKS:
			pcb_strv_push(&o.find_links, optarg);
			break;
		case OPT_EXTRA:
			pcb_strv_push(&o.extras, optarg);
			break;
		case OPT_GROUP:
			pcb_strv_push(&o.groups, optarg);
			break;
		case OPT_PYTHON:
			o.python = optarg;
			break;
		case OPT_COMPRESSION:
			o.compression = optarg;
			break;
		case OPT_COMPRESSION_LEVEL:
			o.compression_level = optarg;
			break;
		case OPT_PROGRESS:
			if ((rc = pcb_progress_opt(&pcb_cmd_build, optarg, &jo.progress)) !=
			    PCB_EXIT_OK)
				goto out;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_build);
			goto out;
		default:
			if ((rc = pcb_regopts_default(&o.reg, &pcb_cmd_build, c, argv)) != PCB_EXIT_OK)
				goto out;
			break;
		}
	}
	if (argc - optind > 1) {
		rc = pcb_cli_usage_error(&pcb_cmd_build, "unexpected argument '%s' (one CONTEXT "
		    "at most)", argv[optind + 1]);
		goto out;
	}
	o.context = optind < argc ? argv[optind] : ".";
	/* A rebase leaves the image in the store and writes nothing else. */
	if (o.rebase_only && (o.dry_run || o.push || o.load || o.out_types.n > 0 ||
	    o.iidfile != NULL || o.metadata_file != NULL || o.platforms.n > 0)) {
		rc = pcb_cli_usage_error(&pcb_cmd_build, "--rebase-only leaves the rebased image in "
		    "the daemon's store: it takes no --dry-run, --push, -o, --load, --iidfile, "
		    "--metadata-file or list of platforms (pcb push / pcb save it afterwards)");
		goto out;
	}
	if (o.load && !o.dry_run && (rc = load_prepare(&o)) != PCB_EXIT_OK)
		goto out;
	if ((rc = make_spec(&o, &spec)) != 0)
		goto out;
	jo.json = o.json;
	jo.quiet = o.quiet;
	if (o.dry_run) {
		rc = dry_run(h, &o, spec);
		goto out;
	}
	if (o.rebase_only) {
		rc = pcb_rebase_from_plan(h, spec, &o.reg, &jo);
		goto out;
	}
	rc = pcb_job_submit_ex(h, "/v1/builds", spec_text(spec), &jo, &job);
	if (rc == PCB_EXIT_OK && !o.json && !o.quiet)
		print_platforms(job);
	if (rc == PCB_EXIT_OK && (o.iidfile != NULL || o.metadata_file != NULL))
		rc = write_build_files(&o, job);
	if (rc == PCB_EXIT_OK && o.load_file != NULL)
		rc = load_image(o.load_file, o.quiet);
out:
	load_cleanup(&o);
	json_object_put(job);
	json_object_put(spec);
	pcb_strv_free(&o.tags);
	pcb_strv_free(&o.platforms);
	pcb_strv_free(&o.out_types);
	pcb_strv_free(&o.out_dests);
	pcb_strv_free(&o.env);
	pcb_strv_free(&o.labels);
	pcb_strv_free(&o.requirements);
	pcb_strv_free(&o.cache_from);
	pcb_strv_free(&o.extra_index_urls);
	pcb_strv_free(&o.find_links);
	pcb_strv_free(&o.extras);
	pcb_strv_free(&o.groups);
	pcb_regopts_free(&o.reg);
	return rc;
}
