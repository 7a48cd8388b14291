/* cmd-build.c — `pcb build`: turns flags into a BuildSpec, submits it (POST /v1/builds) and
 * tails it (job.c). With --push the spec asks the daemon to push the image to the registry each
 * tag names, and carries the credentials resolved here for those registries. With --dry-run it
 * asks for the plan instead (POST /v1/plan) and builds nothing. */
#include "creds.h"
#include "pcb.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: pcb build [CONTEXT] [OPTIONS]\n"
    "\n"
    "Build an OCI image of the Python project in CONTEXT (default: the current directory).\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME[:TAG]      name the image (repeatable; the first names it)\n"
    "      --output DIR          write an OCI image layout to DIR (repeatable; the parent\n"
    "                            must exist, the daemon creates DIR)\n"
    "      --platform OS/ARCH[/VARIANT]  target platform (default: the daemon's)\n"
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
    "      --json                print the final build resource (or the plan) as JSON on stdout\n"
    "  -q, --quiet               no progress lines; without --json print the manifest digest\n"
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
	OPT_DRY_RUN, OPT_JSON, OPT_PUSH, OPT_BASE_IMAGE, OPT_BASE_REGISTRY, OPT_USER, OPT_PORT,
	OPT_LOCK, OPT_REQUIREMENTS, OPT_VENV, OPT_NO_DEPS, OPT_INDEX_URL, OPT_EXTRA_INDEX_URL,
	OPT_FIND_LINKS, OPT_EXTRA, OPT_GROUP, OPT_PYTHON, OPT_COMPRESSION, OPT_COMPRESSION_LEVEL,
	OPT_REFRESH_DEPS, OPT_NO_COMPILE,
};

struct build_opts {
	const char *context;
	struct pcb_strv tags;
	struct pcb_strv outputs;
	struct pcb_strv env;
	struct pcb_strv labels;
	const char *platform;
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
	bool json;
	bool quiet;
	bool push;
	struct pcb_regopts reg;
};

/* "OS/ARCH[/VARIANT]", each part lowercase letters, digits or '_'. The daemon decides which
 * platforms it can build; this only catches typos early with a clear message. */
static bool
platform_valid(const char *s)
{
	int parts = 1;
	size_t run_len = 0;

	for (; *s; s++) {
		if (*s == '/') {
			if (run_len == 0)
				return false;
			parts++;
			run_len = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_') {
			run_len++;
		} else {
			return false;
		}
	}
	return run_len > 0 && (parts == 2 || parts == 3);
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
	if (o->tags.n == 0) {
		rc = pcb_cli_usage_error(&pcb_cmd_build, "--push needs at least one -t naming a "
		    "registry (-t 127.0.0.1:5000/team/app:1)");
		goto out;
	}
	for (i = 0; i < o->tags.n; i++) {
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
	if (o->outputs.n > 0) {
		arr = json_object_new_array();
		json_object_object_add(spec, "outputs", arr);
		for (i = 0; i < o->outputs.n; i++) {
			char *abs;
			if (absolute_output(o->outputs.v[i], &abs, &err) != 0) {
				fprintf(stderr, "pcb build: %s\n", err.msg);
				rc = PCB_EXIT_FAIL;
				goto out;
			}
			obj = json_object_new_object();
			json_object_object_add(obj, "type", json_object_new_string("oci-layout"));
			json_object_object_add(obj, "path", json_object_new_string(abs));
			json_object_array_add(arr, obj);
			free(abs);
		}
	}
	if (o->platform != NULL)
		json_object_object_add(spec, "platform", json_object_new_string(o->platform));
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
	if (o->push && (rc = add_push(o, spec)) != 0)
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
	{ "labels", "labels" }, { "platform", "platform" }, { "tags", "tags" },
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

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "workdir", required_argument, NULL, OPT_WORKDIR },
		{ "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },
		{ "cmd", required_argument, NULL, OPT_CMD },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
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
		PCB_REGOPTS_LONGOPTS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_job_opts jo;
	struct build_opts o;
	json_object *spec = NULL;
	int c, rc = PCB_EXIT_OK;

	memset(&o, 0, sizeof o);
	pcb_strv_init(&o.tags);
	pcb_strv_init(&o.outputs);
	pcb_strv_init(&o.env);
	pcb_strv_init(&o.labels);
	pcb_strv_init(&o.requirements);
	pcb_strv_init(&o.extra_index_urls);
	pcb_strv_init(&o.find_links);
	pcb_strv_init(&o.extras);
	pcb_strv_init(&o.groups);
	pcb_regopts_init(&o.reg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (optarg[0] == '\0') {
				rc = pcb_cli_usage_error(&pcb_cmd_build, "--tag: empty name");
				goto out;
			}
			pcb_strv_push(&o.tags, optarg);
			break;
		case OPT_OUTPUT:
			pcb_strv_push(&o.outputs, optarg);
			break;
		case OPT_PLATFORM:
			if (!platform_valid(optarg)) {
				rc = pcb_cli_usage_error(&pcb_cmd_build, "--platform '%s': expected "
				    "OS/ARCH[/VARIANT] such as linux/amd64", optarg);
				goto out;
			}
			o.platform = optarg;
			break;
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
	if ((rc = make_spec(&o, &spec)) != 0)
		goto out;
	jo.json = o.json;
	jo.quiet = o.quiet;
	rc = o.dry_run ? dry_run(h, &o, spec) : pcb_job_submit(h, "/v1/builds", spec_text(spec),
	    &jo);
out:
	json_object_put(spec);
	pcb_strv_free(&o.tags);
	pcb_strv_free(&o.outputs);
	pcb_strv_free(&o.env);
	pcb_strv_free(&o.labels);
	pcb_strv_free(&o.requirements);
	pcb_strv_free(&o.extra_index_urls);
	pcb_strv_free(&o.find_links);
	pcb_strv_free(&o.extras);
	pcb_strv_free(&o.groups);
	pcb_regopts_free(&o.reg);
	return rc;
}
