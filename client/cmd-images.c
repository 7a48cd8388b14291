/* cmd-images.c — the images in the daemon's store: `pcb images` (alias `pcb ls`), `pcb
 * inspect`, `pcb history`, `pcb tag`, `pcb rm` and `pcb save`, over /v1/images. The image is
 * always sent as ?ref= (URL-encoded): a name may hold '/', which a path segment cannot carry
 * through the daemon's HTTP layer.
 *
 * `pcb save` streams the archive from the daemon and writes the file itself, as the user who
 * runs pcb: under a temporary name beside the target, renamed onto it once the whole tar has
 * arrived, so a failed or interrupted save never leaves a partial FILE behind and the daemon
 * never writes a user's path for it. */
#include "pcb.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- shared ---- */

/* "/v1/images/<sub>?ref=<escaped>[&extra]". Caller frees. */
static char *
ref_path(const char *sub, const char *ref, const char *extra)
{
	char *esc = curl_easy_escape(NULL, ref, 0), *p;

	if (esc == NULL)
		abort();
	p = pcb_xasprintf("/v1/images%s%s?ref=%s%s%s", sub[0] ? "/" : "", sub, esc,
	    extra ? "&" : "", extra ? extra : "");
	curl_free(esc);
	return p;
}

static void
short_id(const char *digest, char out[16])
{
	snprintf(out, 16, "%.12s", digest != NULL && pcb_str_has_prefix(digest, "sha256:") ?
	    digest + 7 : (digest ? digest : "-"));
}

/* "3 days ago" style age of an RFC 3339 time; "-" when unknown, the date when the image was
 * made at the epoch (reproducible builds set created to SOURCE_DATE_EPOCH, 0 by default). */
static void
age_str(const char *ts, char out[32])
{
	int64_t t = pcb_cli_parse_time(ts), now = pcb_now_ms(), d;

	if (t < 0) {
		snprintf(out, 32, "-");
		return;
	}
	if (t == 0) {
		snprintf(out, 32, "1970-01-01");
		return;
	}
	d = (now - t) / 1000;
	if (d < 60)
		snprintf(out, 32, "%" PRId64 " seconds ago", d < 0 ? 0 : d);
	else if (d < 3600)
		snprintf(out, 32, "%" PRId64 " minutes ago", d / 60);
	else if (d < 86400 * 2)
		snprintf(out, 32, "%" PRId64 " hours ago", d / 3600);
	else
		snprintf(out, 32, "%" PRId64 " days ago", d / 86400);
}

/* ---- pcb images / pcb ls ---- */

static const char images_usage[] =
    "Usage: pcb images [PATTERN] [--digests] [--outdated] [--json] [-q]\n"
    "       pcb ls [PATTERN] …\n"
    "\n"
    "The images in the daemon's store you can use: your own tags and the shared ones (root's\n"
    "and the daemon's, marked shared); root and the admin group see every user's, with the\n"
    "owner. SIZE is the config plus every layer as stored (compressed).\n"
    "\n"
    "  PATTERN       only names matching it: a shell pattern matched against the repository,\n"
    "                or against repo:tag when it has a ':' (app, team/*, 'app:1.*')\n"
    "      --digests show the full manifest digest\n"
    "      --outdated  only images whose base tag names another image now than the one\n"
    "                they were built on (tags of the daemon's store; no registry is asked):\n"
    "                candidates for 'pcb rebase IMAGE'\n"
    "  -q, --quiet   print only the references (what pcb inspect/rm/save take)\n"
    "      --json    print the daemon's answer as JSON\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 listed, 1 the request failed, 2 usage error or daemon unreachable.\n";

static int images_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_images = {
	.name = "images",
	.summary = "List the images in the daemon's store",
	.usage = images_usage,
	.fn = images_run,
};

const struct pcb_cmd pcb_cmd_ls = {
	.name = "ls",
	.summary = "Same as images",
	.usage = images_usage,
	.fn = images_run,
};

static int
images_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "digests", no_argument, NULL, 'D' },
		{ "outdated", no_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct pcb_cmd *cmd = strcmp(argv[0], "ls") == 0 ? &pcb_cmd_ls : &pcb_cmd_images;
	bool digests = false, json = false, quiet = false, outdated = false;
	json_object *j = NULL, *a;
	struct pcb_err err;
	char *path;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case 'D': digests = true; break;
		case 'O': outdated = true; break;
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'h': return pcb_cli_help(cmd);
		default: return pcb_cli_opt_error(cmd, c, argv);
		}
	}
	if (argc - optind > 1)
		return pcb_cli_usage_error(cmd, "at most one PATTERN");
	if (optind < argc) {
		char *esc = curl_easy_escape(NULL, argv[optind], 0);
		path = pcb_xasprintf("/v1/images?reference=%s%s", esc, outdated ? "&outdated=true" :
		    "");
		curl_free(esc);
	} else {
		path = pcb_xstrdup(outdated ? "/v1/images?outdated=true" : "/v1/images");
	}
	rc = pcb_http_request(h, "GET", path, NULL, &j, &err);
	free(path);
	if (rc != 0)
		return pcb_cli_fail(h, &err);
	a = pcb_cli_jarr(j, "images");
	if (json) {
		pcb_cli_print_json(stdout, j);
	} else if (quiet) {
		for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++)
			printf("%s\n", pcb_cli_jstr(json_object_array_get_idx(a, i), "ref"));
	} else if (outdated) {
		/* What was built on, and what the base tag names now. */
		printf("%-30s %-12s %-12s %-30s %-12s %s\n", "REPOSITORY", "TAG", "ID", "BASE",
		    "BUILT ON", "NOW");
		for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
			json_object *e = json_object_array_get_idx(a, i), *b = pcb_cli_jobj(e, "base");
			char id[16], was[16], now[16];

			short_id(pcb_cli_jstr(e, "digest"), id);
			short_id(pcb_cli_jstr(b, "digest"), was);
			short_id(pcb_cli_jstr(b, "current"), now);
			printf("%-30s %-12s %-12s %-30s %-12s %s\n", pcb_cli_jstr(e, "repository"),
			    pcb_cli_jstr(e, "tag"), id, pcb_cli_jstr(b, "name") ?: "-", was, now);
		}
	} else {
		printf("%-30s %-12s %-*s %-16s %9s  %-12s %s\n", "REPOSITORY", "TAG",
		    digests ? 71 : 12, digests ? "DIGEST" : "ID", "CREATED", "SIZE", "PLATFORM",
		    "OWNER");
		for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
			json_object *e = json_object_array_get_idx(a, i), *sh = NULL;
			const char *d = pcb_cli_jstr(e, "digest"), *owner = pcb_cli_jstr(e, "owner");
			char id[16], age[32], size[32];
			int64_t sz = pcb_cli_jint(e, "size", -1);

			short_id(d, id);
			age_str(pcb_cli_jstr(e, "created"), age);
			if (sz >= 0)
				pcb_render_size((uint64_t)sz, size);
			else
				snprintf(size, sizeof size, "-");
			json_object_object_get_ex(e, "shared", &sh);
			printf("%-30s %-12s %-*s %-16s %9s  %-12s %s\n", pcb_cli_jstr(e, "repository"),
			    pcb_cli_jstr(e, "tag"), digests ? 71 : 12, digests ? (d ? d : "-") : id,
			    age, size, pcb_cli_jstr(e, "platform") ? pcb_cli_jstr(e, "platform") : "-",
			    json_object_get_boolean(sh) ? "(shared)" : owner ? owner : "-");
		}
	}
	json_object_put(j);
	return PCB_EXIT_OK;
}

/* ---- pcb inspect ---- */

static const char inspect_usage[] =
    "Usage: pcb inspect IMAGE [--json | --format FORMAT]\n"
    "\n"
    "An image of the daemon's store: digest, platform, size, its tags, the build that made\n"
    "it, and a table of its layers saying what made each (base, venv, deps:NAME, project,\n"
    "app), its size as stored and unpacked, and whether that build reused it.\n"
    "\n"
    "IMAGE: NAME[:TAG], NAME@sha256:…, sha256:…, a digest prefix (4+ hex digits) or a build\n"
    "id.\n"
    "\n"
    "      --json           print the daemon's answer (manifest, config, layers) as JSON\n"
    "  -f, --format FORMAT  print parts of that answer: a dotted path (config.config.Env) or\n"
    "                       a template with {{.Path}} fields ('{{.Config.Env}}', as docker:\n"
    "                       names match without regard to case, and a name the image\n"
    "                       config lacks is looked up in its runtime config);\n"
    "                       {{json .Path}} prints JSON. Strings print as they are, other\n"
    "                       values as JSON.\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 shown, 1 no such image or the request failed, 2 usage error.\n";

static int inspect_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_inspect = {
	.name = "inspect",
	.summary = "Show an image of the store: layers, config, manifest",
	.usage = inspect_usage,
	.fn = inspect_run,
};

/* A member by name, case-insensitively; failing that, inside the object's "config" (the
 * image config's runtime part), so that docker's .Config.Env finds config.config.Env. */
static json_object *
member(json_object *o, const char *name, size_t len)
{
	json_object *inner;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	json_object_object_foreach(o, k, v) {
		if (strlen(k) == len && strncasecmp(k, name, len) == 0)
			return v;
	}
	if (json_object_object_get_ex(o, "config", &inner) &&
	    json_object_is_type(inner, json_type_object) && inner != o) {
		json_object_object_foreach(inner, k2, v2) {
			if (strlen(k2) == len && strncasecmp(k2, name, len) == 0)
				return v2;
		}
	}
	return NULL;
}

/* Follows "a.b.2.c" (a leading '.' allowed; numbers index arrays). *found false when some
 * step is missing. */
static json_object *
walk_path(json_object *root, const char *path, size_t len, bool *found)
{
	json_object *cur = root;
	size_t i = 0;

	*found = true;
	if (len > 0 && path[0] == '.')
		i = 1;
	while (i < len) {
		size_t e = i;
		while (e < len && path[e] != '.')
			e++;
		if (e > i) {
			if (json_object_is_type(cur, json_type_array)) {
				char *end, num[24];
				long idx;
				snprintf(num, sizeof num, "%.*s", (int)(e - i), path + i);
				idx = strtol(num, &end, 10);
				if (*end != '\0' || idx < 0 ||
				    (size_t)idx >= json_object_array_length(cur)) {
					*found = false;
					return NULL;
				}
				cur = json_object_array_get_idx(cur, (size_t)idx);
			} else {
				json_object *next = member(cur, path + i, e - i);
				if (next == NULL) {
					*found = false;
					return NULL;
				}
				cur = next;
			}
		}
		i = e + 1;
	}
	return cur;
}

static void
print_value(FILE *out, json_object *v, bool as_json)
{
	if (!as_json && json_object_is_type(v, json_type_string))
		fputs(json_object_get_string(v), out);
	else
		fputs(v == NULL ? "null" : json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), out);
}

/* Prints FORMAT for j: a template with {{…}} fields, or a bare path. Returns 0, or -1 after
 * saying which field is not there. */
static int
print_format(json_object *j, const char *fmt)
{
	const char *p = fmt;

	if (strstr(fmt, "{{") == NULL) {
		bool found;
		json_object *v = walk_path(j, fmt, strlen(fmt), &found);
		if (!found) {
			fprintf(stderr, "pcb inspect: no field %s\n", fmt);
			return -1;
		}
		print_value(stdout, v, false);
		fputc('\n', stdout);
		return 0;
	}
	while (*p != '\0') {
		const char *open = strstr(p, "{{"), *close, *f;
		bool as_json = false, found;
		json_object *v;
		size_t len;

		if (open == NULL) {
			fputs(p, stdout);
			break;
		}
		fwrite(p, 1, (size_t)(open - p), stdout);
		close = strstr(open + 2, "}}");
		if (close == NULL) {
			fprintf(stderr, "pcb inspect: unclosed {{ in the format\n");
			return -1;
		}
		f = open + 2;
		while (f < close && *f == ' ')
			f++;
		if ((size_t)(close - f) > 5 && strncmp(f, "json ", 5) == 0) {
			as_json = true;
			f += 5;
			while (f < close && *f == ' ')
				f++;
		}
		len = (size_t)(close - f);
		while (len > 0 && f[len - 1] == ' ')
			len--;
		v = walk_path(j, f, len, &found);
		if (!found) {
			fprintf(stderr, "pcb inspect: no field %.*s\n", (int)len, f);
			return -1;
		}
		print_value(stdout, v, as_json);
		p = close + 2;
	}
	fputc('\n', stdout);
	return 0;
}

static void
print_inspect(json_object *j)
{
	json_object *tags = pcb_cli_jarr(j, "tags"), *layers = pcb_cli_jarr(j, "layers");
	json_object *b = pcb_cli_jobj(j, "build");
	char size[32];

	pcb_render_size((uint64_t)pcb_cli_jint(j, "size", 0), size);
	printf("Image:     %s\n", pcb_cli_jstr(j, "ref") ? pcb_cli_jstr(j, "ref") :
	    pcb_cli_jstr(j, "digest"));
	printf("Digest:    %s\n", pcb_cli_jstr(j, "digest"));
	if (pcb_cli_jstr(j, "manifest_digest") != NULL &&
	    strcmp(pcb_cli_jstr(j, "manifest_digest"), pcb_cli_jstr(j, "digest")) != 0)
		printf("Manifest:  %s\n", pcb_cli_jstr(j, "manifest_digest"));
	printf("Config:    %s\n", pcb_cli_jstr(j, "config_digest"));
	printf("Platform:  %s\n", pcb_cli_jstr(j, "platform"));
	/* An index: the platform above is the one shown; these are all it holds. */
	for (size_t i = 0; pcb_cli_jarr(j, "platforms") != NULL &&
	    i < json_object_array_length(pcb_cli_jarr(j, "platforms")); i++) {
		json_object *p = json_object_array_get_idx(pcb_cli_jarr(j, "platforms"), i);
		printf("%s %s %s\n", i == 0 ? "Platforms:" : "          ",
		    pcb_cli_jstr(p, "platform") ?: "?", pcb_cli_jstr(p, "digest") ?: "?");
	}
	printf("Created:   %s\n", pcb_cli_jstr(j, "created") ? pcb_cli_jstr(j, "created") : "-");
	printf("Size:      %s\n", size);
	printf("Tags:     ");
	for (size_t i = 0; tags != NULL && i < json_object_array_length(tags); i++)
		printf(" %s", json_object_get_string(json_object_array_get_idx(tags, i)));
	printf("%s\n", tags == NULL || json_object_array_length(tags) == 0 ? " (none)" : "");
	if (b != NULL)
		printf("Build:     %s (%s)\n", pcb_cli_jstr(b, "id"),
		    pcb_cli_jstr(b, "finished_at") ? pcb_cli_jstr(b, "finished_at") : "-");
	printf("\n%-3s %-16s %-14s %10s %12s  %-7s %s\n", "#", "NAME", "DIGEST", "SIZE",
	    "UNPACKED", "REUSED", "CREATED BY");
	for (size_t i = 0; layers != NULL && i < json_object_array_length(layers); i++) {
		json_object *l = json_object_array_get_idx(layers, i), *reused = NULL;
		char id[16], sz[32], un[32];
		int64_t u = pcb_cli_jint(l, "uncompressed_size", -1);
		const char *by = pcb_cli_jstr(l, "created_by");

		short_id(pcb_cli_jstr(l, "digest"), id);
		pcb_render_size((uint64_t)pcb_cli_jint(l, "size", 0), sz);
		if (u >= 0)
			pcb_render_size((uint64_t)u, un);
		else
			snprintf(un, sizeof un, "-");
		json_object_object_get_ex(l, "reused", &reused);
		printf("%-3zu %-16s %-14s %10s %12s  %-7s %.60s%s\n", i + 1,
		    pcb_cli_jstr(l, "name") ? pcb_cli_jstr(l, "name") : "-", id, sz, un,
		    reused == NULL ? "-" : json_object_get_boolean(reused) ? "yes" : "no",
		    by ? by : "-", by && strlen(by) > 60 ? "…" : "");
	}
}

static int
inspect_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	bool json = false;
	json_object *j = NULL;
	struct pcb_err err;
	char *path;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'f': format = optarg; break;
		case 'h': return pcb_cli_help(&pcb_cmd_inspect);
		default: return pcb_cli_opt_error(&pcb_cmd_inspect, c, argv);
		}
	}
	if (argc - optind != 1)
		return pcb_cli_usage_error(&pcb_cmd_inspect, "name one IMAGE");
	if (json && format != NULL)
		return pcb_cli_usage_error(&pcb_cmd_inspect, "--json and --format exclude each "
		    "other");
	path = ref_path("inspect", argv[optind], NULL);
	rc = pcb_http_request(h, "GET", path, NULL, &j, &err);
	free(path);
	if (rc != 0)
		return pcb_cli_fail(h, &err);
	rc = PCB_EXIT_OK;
	if (json)
		pcb_cli_print_json(stdout, j);
	else if (format != NULL)
		rc = print_format(j, format) == 0 ? PCB_EXIT_OK : PCB_EXIT_FAIL;
	else
		print_inspect(j);
	json_object_put(j);
	return rc;
}

/* ---- pcb history ---- */

static const char history_usage[] =
    "Usage: pcb history IMAGE [--json] [--no-trunc]\n"
    "\n"
    "The image config's history, newest first, as docker history shows it: when, what made\n"
    "each step and the size of its layer (steps that made no layer show 0 B).\n"
    "\n"
    "      --json      print the daemon's answer (oldest first) as JSON\n"
    "      --no-trunc  do not shorten CREATED BY\n"
    "  -h, --help      show this help\n";

static int history_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_history = {
	.name = "history",
	.summary = "Show the history of an image of the store",
	.usage = history_usage,
	.fn = history_run,
};

static int
history_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-trunc", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, notrunc = false;
	json_object *j = NULL, *a;
	struct pcb_err err;
	char *path;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'T': notrunc = true; break;
		case 'h': return pcb_cli_help(&pcb_cmd_history);
		default: return pcb_cli_opt_error(&pcb_cmd_history, c, argv);
		}
	}
	if (argc - optind != 1)
		return pcb_cli_usage_error(&pcb_cmd_history, "name one IMAGE");
	path = ref_path("history", argv[optind], NULL);
	rc = pcb_http_request(h, "GET", path, NULL, &j, &err);
	free(path);
	if (rc != 0)
		return pcb_cli_fail(h, &err);
	if (json) {
		pcb_cli_print_json(stdout, j);
		json_object_put(j);
		return PCB_EXIT_OK;
	}
	a = pcb_cli_jarr(j, "history");
	printf("%-14s %-16s %-*s %9s  %s\n", "LAYER", "CREATED", notrunc ? 1 : 45, "CREATED BY",
	    "SIZE", "COMMENT");
	for (size_t n = a != NULL ? json_object_array_length(a) : 0; n > 0; n--) {
		json_object *e = json_object_array_get_idx(a, n - 1);
		const char *by = pcb_cli_jstr(e, "created_by"), *cm = pcb_cli_jstr(e, "comment");
		char id[16], age[32], sz[32];

		if (pcb_cli_jstr(e, "layer") != NULL)
			short_id(pcb_cli_jstr(e, "layer"), id);
		else
			snprintf(id, sizeof id, "<missing>");
		age_str(pcb_cli_jstr(e, "created"), age);
		pcb_render_size((uint64_t)pcb_cli_jint(e, "size", 0), sz);
		if (notrunc)
			printf("%-14s %-16s %s %9s  %s\n", id, age, by ? by : "", sz, cm ? cm : "");
		else
			printf("%-14s %-16s %-45.45s %9s  %.40s\n", id, age, by ? by : "", sz,
			    cm ? cm : "");
	}
	json_object_put(j);
	return PCB_EXIT_OK;
}

/* ---- pcb tag ---- */

static const char tag_usage[] =
    "Usage: pcb tag SOURCE TARGET [--shared]\n"
    "\n"
    "Gives the image SOURCE (a name, digest, digest prefix or build id) the name TARGET\n"
    "(NAME[:TAG], \":latest\" when no tag). The name is yours: other users do not see it.\n"
    "\n"
    "      --shared  write a shared name every user of the daemon sees (root and the\n"
    "                daemon's admin group only)\n"
    "  -h, --help    show this help\n";

static int tag_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_tag = {
	.name = "tag",
	.summary = "Give an image of the store another name",
	.usage = tag_usage,
	.fn = tag_run,
};

static int
tag_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shared", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool shared = false;
	json_object *j = NULL, *body;
	struct pcb_err err;
	char *path;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'S': shared = true; break;
		case 'h': return pcb_cli_help(&pcb_cmd_tag);
		default: return pcb_cli_opt_error(&pcb_cmd_tag, c, argv);
		}
	}
	if (argc - optind != 2)
		return pcb_cli_usage_error(&pcb_cmd_tag, "name SOURCE and TARGET");
	body = json_object_new_object();
	json_object_object_add(body, "target", json_object_new_string(argv[optind + 1]));
	json_object_object_add(body, "shared", json_object_new_boolean(shared));
	path = ref_path("tag", argv[optind], NULL);
	rc = pcb_http_request(h, "POST", path, json_object_to_json_string(body), &j, &err);
	free(path);
	json_object_put(body);
	if (rc != 0)
		return pcb_cli_fail(h, &err);
	printf("Tagged %s%s %s\n", pcb_cli_jstr(j, "ref"),
	    json_object_get_boolean(json_object_object_get(j, "shared")) ? " (shared)" : "",
	    pcb_cli_jstr(j, "digest"));
	json_object_put(j);
	return PCB_EXIT_OK;
}

/* ---- pcb rm ---- */

static const char rm_usage[] =
    "Usage: pcb rm IMAGE...\n"
    "\n"
    "Removes names of images from the store. A name removes your tag of that name (a shared\n"
    "name: root and the admin group only); a digest, digest prefix or build id removes every\n"
    "name of yours for that image. The layers stay until the cache collection removes what\n"
    "no tag reaches (pcb cache prune, or the daemon's limits).\n"
    "\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 every IMAGE untagged, 1 some could not be, 2 usage error.\n";

static int rm_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_rm = {
	.name = "rm",
	.summary = "Untag images of the store",
	.usage = rm_usage,
	.fn = rm_run,
};

static int
rm_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = PCB_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return pcb_cli_help(&pcb_cmd_rm);
		default: return pcb_cli_opt_error(&pcb_cmd_rm, c, argv);
		}
	}
	if (optind >= argc)
		return pcb_cli_usage_error(&pcb_cmd_rm, "name at least one IMAGE");
	for (int i = optind; i < argc; i++) {
		json_object *j = NULL, *a;
		struct pcb_err err;
		char *path = ref_path("", argv[i], NULL);

		if (pcb_http_request(h, "DELETE", path, NULL, &j, &err) != 0) {
			int x = pcb_cli_fail(h, &err);
			free(path);
			if (h->unreachable)
				return x;
			rc = PCB_EXIT_FAIL;
			continue;
		}
		free(path);
		a = pcb_cli_jarr(j, "untagged");
		for (size_t k = 0; a != NULL && k < json_object_array_length(a); k++)
			printf("Untagged %s\n", json_object_get_string(json_object_array_get_idx(a, k)));
		json_object_put(j);
	}
	return rc;
}

/* ---- pcb save ---- */

static const char save_usage[] =
    "Usage: pcb save IMAGE -o FILE [--format oci|docker]\n"
    "\n"
    "Writes an image of the store to a tar file: an oci-archive (default: skopeo\n"
    "oci-archive:FILE, podman load) or a docker-archive (--format docker: docker load,\n"
    "podman load, skopeo docker-archive:FILE). pcb writes FILE itself, as you, under a\n"
    "temporary name beside it that is renamed onto FILE once the whole archive arrived: an\n"
    "interrupted save leaves FILE as it was. Without -o the tar goes to stdout, unless that\n"
    "is a terminal.\n"
    "\n"
    "  -o, --output FILE    where to write the archive\n"
    "      --format FORMAT  oci (default) or docker\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 written, 1 failed (nothing written), 2 usage error.\n";

static int save_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_save = {
	.name = "save",
	.summary = "Write an image of the store to a tar (oci or docker archive)",
	.usage = save_usage,
	.fn = save_run,
};

struct download {
	CURL *c;
	int fd;
	long status;
	struct pcb_buf errbody;     /* a non-200 answer's body */
	int write_errno;
	uint64_t bytes;
};

static size_t
download_cb(char *p, size_t size, size_t n, void *ud)
{
	struct download *d = ud;
	size_t len = size * n;

	if (d->status == 0)
		curl_easy_getinfo(d->c, CURLINFO_RESPONSE_CODE, &d->status);
	if (d->status != 200) {
		(void)pcb_buf_append(&d->errbody, p, len);   /* the start of it is enough */
		return len;
	}
	if (pcb_write_all(d->fd, p, len) != 0) {
		d->write_errno = errno;
		return 0;   /* aborts the transfer */
	}
	d->bytes += len;
	return len;
}

/* The daemon's {"error": {"code", "message"}}, or the status. */
static void
download_error(const struct download *d, struct pcb_err *err)
{
	json_object *j = d->errbody.len > 0 ? json_tokener_parse(d->errbody.data) : NULL;
	json_object *e = pcb_cli_jobj(j, "error");

	if (pcb_cli_jstr(e, "message") != NULL)
		pcb_err_set(err, d->status == 404 ? PCB_ENOENT : PCB_EIO, "%s (HTTP %ld %s)",
		    pcb_cli_jstr(e, "message"), d->status, pcb_cli_jstr(e, "code") ?
		    pcb_cli_jstr(e, "code") : "error");
	else
		pcb_err_set(err, PCB_EIO, "the daemon answered HTTP %ld", d->status);
	json_object_put(j);
}

/* GETs path into fd. *digest_out gets the Pcb-Manifest-Digest header (may stay ""). */
static int
download(struct pcb_http *h, const char *path, int fd, char digest_out[80], uint64_t *bytes,
    struct pcb_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct download d;
	struct curl_header *hd = NULL;
	char *url = pcb_xasprintf("%s%s", h->base_url, path);
	CURLcode rc;
	int r = 0;

	memset(&d, 0, sizeof d);
	digest_out[0] = '\0';
	d.fd = fd;
	pcb_buf_init(&d.errbody, (size_t)64 << 10);
	d.c = curl_easy_init();
	if (d.c == NULL)
		abort();
	curl_easy_setopt(d.c, CURLOPT_URL, url);
	if (h->unix_path != NULL)
		curl_easy_setopt(d.c, CURLOPT_UNIX_SOCKET_PATH, h->unix_path);
	curl_easy_setopt(d.c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d.c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(d.c, CURLOPT_USERAGENT, "pcb/" PCB_VERSION);
	curl_easy_setopt(d.c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(d.c, CURLOPT_PROXY, "");
	/* A stalled daemon is given up on after a minute without a byte; a big image that keeps
	 * coming may take as long as it takes. */
	curl_easy_setopt(d.c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(d.c, CURLOPT_LOW_SPEED_TIME, 60L);
	if (h->auth_header != NULL)
		hdrs = curl_slist_append(hdrs, h->auth_header);
	curl_easy_setopt(d.c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(d.c, CURLOPT_WRITEFUNCTION, download_cb);
	curl_easy_setopt(d.c, CURLOPT_WRITEDATA, &d);
	rc = curl_easy_perform(d.c);
	if (d.status == 0)
		curl_easy_getinfo(d.c, CURLINFO_RESPONSE_CODE, &d.status);
	h->unreachable = false;
	if (d.write_errno != 0) {
		r = pcb_err_set(err, PCB_EIO, "writing the archive: %s", strerror(d.write_errno));
	} else if (d.status != 0 && d.status != 200) {
		download_error(&d, err);
		r = err->code != 0 ? err->code : PCB_EIO;
	} else if (rc != CURLE_OK) {
		if (d.status == 0) {
			h->unreachable = true;
			r = pcb_err_set(err, PCB_EIO, "cannot reach pycontainerd at %s: %s", h->host,
			    curl_easy_strerror(rc));
		} else {
			/* Cut short (the daemon found a damaged blob, or went away): nothing is
			 * kept. */
			r = pcb_err_set(err, PCB_EIO, "the archive did not arrive whole: %s",
			    curl_easy_strerror(rc));
		}
	} else if (curl_easy_header(d.c, "Pcb-Manifest-Digest", 0, CURLH_HEADER, -1, &hd) ==
	    CURLHE_OK && hd != NULL) {
		snprintf(digest_out, 80, "%s", hd->value);
	}
	*bytes = d.bytes;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(d.c);
	pcb_buf_free(&d.errbody);
	free(url);
	return r;
}

static int
save_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *format = "oci";
	char *path = NULL, *extra = NULL, *tmp = NULL, *dircopy = NULL, digest[80];
	struct pcb_err err;
	uint64_t bytes = 0;
	int c, fd = -1, rc = PCB_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'F': format = optarg; break;
		case 'h': return pcb_cli_help(&pcb_cmd_save);
		default: return pcb_cli_opt_error(&pcb_cmd_save, c, argv);
		}
	}
	if (argc - optind != 1)
		return pcb_cli_usage_error(&pcb_cmd_save, "name one IMAGE");
	if (strcmp(format, "oci") != 0 && strcmp(format, "docker") != 0)
		return pcb_cli_usage_error(&pcb_cmd_save, "--format: \"%s\" is not oci or docker",
		    format);
	if ((out == NULL || strcmp(out, "-") == 0) && isatty(STDOUT_FILENO))
		return pcb_cli_usage_error(&pcb_cmd_save, "stdout is a terminal; name a file with "
		    "-o FILE");
	extra = pcb_xasprintf("format=%s", format);
	path = ref_path("archive", argv[optind], extra);
	pcb_err_clear(&err);
	if (out == NULL || strcmp(out, "-") == 0) {
		if (download(h, path, STDOUT_FILENO, digest, &bytes, &err) != 0)
			rc = pcb_cli_fail(h, &err);
		goto out;
	}
	/* The temporary file is created beside FILE (same filesystem, so rename is atomic),
	 * hidden, and only ever renamed onto FILE when complete and synced. */
	dircopy = pcb_xstrdup(out);
	{
		char *base = pcb_xstrdup(out);
		tmp = pcb_xasprintf("%s/.%s.pcb-save-XXXXXX", dirname(dircopy), basename(base));
		free(base);
	}
	if ((fd = mkstemp(tmp)) < 0) {
		fprintf(stderr, "pcb save: cannot create a file beside %s: %s\n", out,
		    strerror(errno));
		free(tmp);
		tmp = NULL;
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	{
		/* mkstemp makes it 0600; give it the mode a new file of this user gets. */
		mode_t um = umask(0);
		umask(um);
		(void)fchmod(fd, 0666 & ~um);
	}
	if (download(h, path, fd, digest, &bytes, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		fprintf(stderr, "pcb save: writing %s: %s\n", out, strerror(errno));
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	fd = -1;
	if (rename(tmp, out) != 0) {
		fprintf(stderr, "pcb save: renaming onto %s: %s\n", out, strerror(errno));
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	{
		char sz[32];
		pcb_render_size(bytes, sz);
		fprintf(stderr, "Saved %s (%s%s%s) to %s as a %s archive\n", argv[optind], sz,
		    digest[0] ? ", " : "", digest, out, format);
	}
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dircopy);
	free(path);
	free(extra);
	return rc;
}
