/* cmd-cache.c — `pcb cache du|ls|prune|verify`: the daemon's blob store as a cache. du shows
 * usage against the limits (GET /v1/cache), ls the blobs (GET /v1/cache/entries), prune
 * removes unreferenced blobs now (POST /v1/cache/prune), verify queues a job that re-hashes
 * every blob and repairs the index (POST /v1/cache/verify) and tails it. */
#include "pcb.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "image/store.h"

static const char usage[] =
    "Usage: pcb cache du [--json]\n"
    "       pcb cache ls [--sort lru|size] [--limit N] [--json]\n"
    "       pcb cache prune [--all] [--max-size SIZE] [--keep DURATION] [--tag-keep DURATION]\n"
    "                       [--dry-run] [--json]\n"
    "       pcb cache verify [--no-repair] [--json]\n"
    "\n"
    "The daemon's store of blobs (layers, configs, manifests, wheels) is a cache: blobs no\n"
    "tag reaches are evicted least recently used first when it grows over the daemon's\n"
    "--cache-max-size or the disk gets under --cache-min-free. Tagged images, blobs a\n"
    "running job uses and blobs used within --cache-keep are never evicted; tagged images\n"
    "no build or push used for --cache-tag-keep (when set) lose their tags, oldest first.\n"
    "\n"
    "  du       usage by kind, what tags reference, limits, free space, layer hit rates,\n"
    "           and per tag: its size, what untagging it would free, when it was last used\n"
    "  ls       blobs, least recently used first (--sort size: largest first);\n"
    "           --limit N of them, 1-10000 (default 100)\n"
    "  prune    remove unreferenced blobs unused for the keep duration now\n"
    "             --all             every unreferenced blob, however recent\n"
    "             --max-size SIZE   only the least recently used, until the store fits in\n"
    "                               SIZE (K, M, G, T suffixes: 20G)\n"
    "             --keep DURATION   the keep duration for this run (90s, 30m, 1h, 7d)\n"
    "             --tag-keep DURATION  untag images no build or push used this long\n"
    "             --dry-run         say what would go, remove nothing\n"
    "  verify   re-hash every blob; remove truncated and corrupt ones, drop index rows\n"
    "           without files, index good files the index lacks (--no-repair: report only)\n"
    "\n"
    "Options:\n"
    "      --json     print the daemon's answer (verify: the final job) as JSON on stdout\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 done (verify: the store is sound or was repaired), 1 failed (verify:\n"
    "problems left), 2 usage error or daemon unreachable. See pcb(1).\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_cache = {
	.name = "cache",
	.summary = "Show, list, prune or verify the daemon's cache",
	.usage = usage,
	.fn = run,
};

enum { OPT_JSON = 1000, OPT_SORT, OPT_LIMIT, OPT_ALL, OPT_MAX_SIZE, OPT_KEEP, OPT_TAG_KEEP,
	OPT_DRY_RUN,
	OPT_NO_REPAIR };

struct copts {
	const char *sub;
	bool json;
	const char *sort;
	long limit;
	bool all, dry_run, no_repair;
	bool has_max, has_keep, has_tag_keep;
	uint64_t max_size;
	int64_t keep_ms, tag_keep_ms;
};

static const char *
size_str(json_object *o, const char *key, char buf[32])
{
	int64_t v = pcb_cli_jint(o, key, 0);

	pcb_render_size(v > 0 ? (uint64_t)v : 0, buf);
	return buf;
}

static void
duration_str(int64_t s, char out[32])
{
	if (s > 0 && s % 86400 == 0)
		snprintf(out, 32, "%" PRId64 "d", s / 86400);
	else if (s > 0 && s % 3600 == 0)
		snprintf(out, 32, "%" PRId64 "h", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(out, 32, "%" PRId64 "m", s / 60);
	else
		snprintf(out, 32, "%" PRId64 "s", s);
}

static void
print_du(json_object *j)
{
	static const char *const kinds[] = { "manifests", "configs", "layers", "wheels", "other" };
	json_object *u = pcb_cli_jobj(j, "usage"), *bk = pcb_cli_jobj(j, "by_kind");
	json_object *hr = pcb_cli_jobj(pcb_cli_jobj(j, "hit_rates"), "layers");
	json_object *rate = NULL;
	char a[32], b[32], c[32], f[32];

	printf("%-11s %8s  %s\n", "KIND", "BLOBS", "SIZE");
	for (size_t i = 0; i < PCB_ARRAY_LEN(kinds); i++) {
		json_object *k = pcb_cli_jobj(bk, kinds[i]);
		printf("%-11s %8" PRId64 "  %s\n", kinds[i], pcb_cli_jint(k, "blobs", 0),
		    size_str(k, "bytes", a));
	}
	printf("%-11s %8" PRId64 "  %s\n", "total", pcb_cli_jint(u, "blobs", 0),
	    size_str(u, "bytes", a));
	printf("%-11s %8" PRId64 "  %s  (reachable from %" PRId64 " tags)\n", "referenced",
	    pcb_cli_jint(pcb_cli_jobj(j, "referenced"), "blobs", 0),
	    size_str(pcb_cli_jobj(j, "referenced"), "bytes", a), pcb_cli_jint(j, "tags", 0));
	printf("%-11s %8" PRId64 "  %s  (in use by running jobs)\n", "pinned",
	    pcb_cli_jint(pcb_cli_jobj(j, "pinned"), "blobs", 0),
	    size_str(pcb_cli_jobj(j, "pinned"), "bytes", a));
	printf("\n");
	duration_str(pcb_cli_jint(u, "keep_seconds", 0), c);
	printf("limit %s, keep %s, min free %s; %s free on the store's disk\n",
	    pcb_cli_jint(u, "limit_bytes", 0) > 0 ? size_str(u, "limit_bytes", a) : "none", c,
	    pcb_cli_jint(u, "min_free_bytes", 0) > 0 ? size_str(u, "min_free_bytes", b) : "none",
	    size_str(u, "free_bytes", f));
	if (hr != NULL) {
		json_object_object_get_ex(hr, "hit_rate", &rate);
		if (rate != NULL)
			printf("layer cache: %.0f%% hits (%" PRId64 " by stat, %" PRId64 " by content, %"
			    PRId64 " packed), %" PRId64 " entries\n",
			    json_object_get_double(rate) * 100.0, pcb_cli_jint(hr, "stat_hits", 0),
			    pcb_cli_jint(hr, "content_hits", 0), pcb_cli_jint(hr, "misses", 0),
			    pcb_cli_jint(j, "layer_cache_entries", 0));
		else
			printf("layer cache: no lookups since the daemon started, %" PRId64 " entries\n",
			    pcb_cli_jint(j, "layer_cache_entries", 0));
	}
}

static void
print_ls(json_object *j)
{
	json_object *list = pcb_cli_jarr(j, "entries");
	size_t n = list != NULL ? json_object_array_length(list) : 0;
	char sz[32], used[32];

	printf("%-19s  %10s  %-9s  %-19s  %s\n", "DIGEST", "SIZE", "KIND", "LAST USED", "STATE");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *d = pcb_cli_jstr(e, "digest"), *lu = pcb_cli_jstr(e, "last_used");
		json_object *ref = NULL, *pin = NULL;
		bool r, p;

		json_object_object_get_ex(e, "referenced", &ref);
		json_object_object_get_ex(e, "pinned", &pin);
		r = ref != NULL && json_object_get_boolean(ref);
		p = pin != NULL && json_object_get_boolean(pin);
		snprintf(used, sizeof used, "%.19s", lu ? lu : "-");
		if (strlen(used) > 10 && used[10] == 'T')
			used[10] = ' ';
		printf("sha256:%-12.12s  %10s  %-9s  %-19s  %s\n",
		    d != NULL && strlen(d) > 7 ? d + 7 : "?", size_str(e, "size", sz),
		    pcb_cli_jstr(e, "kind") ?: "?", used,
		    r && p ? "tagged,pinned" : r ? "tagged" : p ? "pinned" : "-");
	}
	printf("(%zu of %" PRId64 " blobs)\n", n, pcb_cli_jint(j, "total", 0));
}

static void
print_prune(json_object *j)
{
	json_object *rm = pcb_cli_jobj(j, "removed"), *kept = pcb_cli_jobj(j, "kept");
	json_object *reasons = pcb_cli_jarr(j, "reasons"), *dry = NULL;
	char a[32], b[32];

	json_object_object_get_ex(j, "dry_run", &dry);
	printf("%s %" PRId64 " blobs (%s); %" PRId64 " blobs (%s) kept\n",
	    dry != NULL && json_object_get_boolean(dry) ? "Would remove" : "Removed",
	    pcb_cli_jint(rm, "blobs", 0), size_str(rm, "bytes", a), pcb_cli_jint(kept, "blobs", 0),
	    size_str(kept, "bytes", b));
	for (size_t i = 0; reasons != NULL && i < json_object_array_length(reasons); i++)
		printf("  %s\n", json_object_get_string(json_object_array_get_idx(reasons, i)));
}

static int
simple_request(struct pcb_http *h, const struct copts *o, const char *method, const char *path,
    const char *body)
{
	json_object *res = NULL;
	struct pcb_err err;
	int rc = PCB_EXIT_OK;

	if (pcb_http_request(h, method, path, body, &res, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	if (o->json)
		pcb_cli_print_json(stdout, res);
	else if (strcmp(o->sub, "du") == 0)
		print_du(res);
	else if (strcmp(o->sub, "ls") == 0)
		print_ls(res);
	else
		print_prune(res);
out:
	json_object_put(res);
	return rc;
}

/* du: the usage, then what each tag holds (--json: {"usage": …, "tags": …}). */
static int
du(struct pcb_http *h, const struct copts *o)
{
	json_object *use = NULL, *tags = NULL, *arr;
	struct pcb_err err;
	int rc = PCB_EXIT_OK;

	if (pcb_http_request(h, "GET", "/v1/cache", NULL, &use, &err) != 0 ||
	    pcb_http_request(h, "GET", "/v1/cache/tags", NULL, &tags, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	if (o->json) {
		json_object *both = json_object_new_object();
		json_object_object_add(both, "usage", json_object_get(use));
		json_object_object_add(both, "tags", json_object_get(tags));
		pcb_cli_print_json(stdout, both);
		json_object_put(both);
		goto out;
	}
	print_du(use);
	arr = json_object_object_get(tags, "tags");
	if (!json_object_is_type(arr, json_type_array))
		arr = NULL;
	if (arr == NULL || json_object_array_length(arr) == 0)
		goto out;
	printf("\n%-40s %10s %10s  %s\n", "TAG", "SIZE", "UNIQUE", "LAST USED");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *t = json_object_array_get_idx(arr, i);
		const char *owner = pcb_cli_jstr(t, "owner");
		bool shared = json_object_get_boolean(json_object_object_get(t, "shared"));
		char a[32], b[32], name[256];

		/* Another user's (admins see them) carries its owner; the shared ones say so. */
		snprintf(name, sizeof name, "%s%s%s%s", pcb_cli_jstr(t, "name"),
		    shared ? " (shared)" : "", owner != NULL ? " @" : "",
		    owner != NULL ? owner : "");
		printf("%-40s %10s %10s  %s\n", name, size_str(t, "bytes", a),
		    size_str(t, "unique_bytes", b), pcb_cli_jstr(t, "last_used"));
	}
out:
	json_object_put(use);
	json_object_put(tags);
	return rc;
}

/* --- verify: a job, tailed like a pull ------------------------------------------------- */

static int
tail_event(void *ud, const struct pcb_sse_event *ev)
{
	pcb_render_event(ud, ev);
	return 0;
}

static int
verify(struct pcb_http *h, const struct copts *o)
{
	struct pcb_http_events_cb cb = { tail_event, NULL, NULL };
	struct pcb_render rd;
	json_object *job = NULL, *fin = NULL, *res, *bad;
	struct pcb_err err;
	char *body, *path = NULL, *events = NULL;
	const char *id, *state;
	int64_t repaired;
	size_t n_bad = 0;
	int rc = PCB_EXIT_OK;

	body = pcb_xasprintf("{\"repair\":%s}", o->no_repair ? "false" : "true");
	if (pcb_http_request(h, "POST", "/v1/cache/verify", body, &job, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	id = pcb_cli_jstr(job, "id");
	if (id == NULL) {
		fprintf(stderr, "pcb: the daemon accepted the job but sent no id\n");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	if (!o->json)
		fprintf(stderr, "verify %s\n", id);
	pcb_render_init(&rd, o->json ? NULL : stderr);
	cb.ud = &rd;
	/* The stream ends after the job's `end` event; pick up after the last one seen if it
	 * breaks before (a restart of the daemon fails the job, which ends it too). */
	events = pcb_xasprintf("/v1/jobs/%s/events", id);
	for (int attempt = 0; attempt < 3 && !rd.saw_end; attempt++) {
		free(path);
		path = rd.last_seq > 0 ? pcb_xasprintf("%s?after=%" PRId64, events, rd.last_seq) :
		    pcb_xstrdup(events);
		if (pcb_http_events(h, path, &cb, &err) != 0) {
			pcb_render_flush(&rd);
			rc = pcb_cli_fail(h, &err);
			goto out;
		}
	}
	pcb_render_flush(&rd);
	free(path);
	path = pcb_xasprintf("/v1/jobs/%s", id);
	if (pcb_http_request(h, "GET", path, NULL, &fin, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	if (o->json)
		pcb_cli_print_json(stdout, fin);
	state = pcb_cli_jstr(fin, "state");
	if (state == NULL || strcmp(state, "succeeded") != 0) {
		fprintf(stderr, "pcb: verify %s %s: %s\n", id, state ? state : "?",
		    pcb_cli_jstr(pcb_cli_jobj(fin, "error"), "message") ?: "(no message)");
		rc = state != NULL && strcmp(state, "cancelled") == 0 ? PCB_EXIT_CANCELLED :
		    PCB_EXIT_FAIL;
		goto out;
	}
	res = pcb_cli_jobj(fin, "result");
	bad = pcb_cli_jarr(res, "bad");
	n_bad = bad != NULL ? json_object_array_length(bad) : 0;
	repaired = pcb_cli_jint(res, "repaired", 0);
	if (!o->json) {
		char sz[32];
		printf("Checked %" PRId64 " blobs (%s): %zu bad, %" PRId64 " repaired\n",
		    pcb_cli_jint(res, "checked", 0), size_str(res, "bytes", sz), n_bad, repaired);
		for (size_t i = 0; i < n_bad; i++) {
			json_object *b = json_object_array_get_idx(bad, i), *rp = NULL;
			json_object_object_get_ex(b, "repaired", &rp);
			printf("  %s %s%s\n", pcb_cli_jstr(b, "digest") ?: "?",
			    pcb_cli_jstr(b, "problem") ?: "?",
			    rp != NULL && json_object_get_boolean(rp) ? " (repaired)" : "");
		}
	}
	if ((int64_t)n_bad > repaired)
		rc = PCB_EXIT_FAIL;
out:
	json_object_put(job);
	json_object_put(fin);
	free(body);
	free(path);
	free(events);
	return rc;
}

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "tag-keep", required_argument, NULL, OPT_TAG_KEEP },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "no-repair", no_argument, NULL, OPT_NO_REPAIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const subs[] = { "du", "ls", "prune", "verify" };
	struct copts o;
	struct pcb_err err;
	json_object *body = NULL;
	char *path = NULL, *end;
	size_t i;
	int c, rc = PCB_EXIT_OK;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_SORT:
			if (strcmp(optarg, "lru") != 0 && strcmp(optarg, "size") != 0)
				return pcb_cli_usage_error(&pcb_cmd_cache, "--sort '%s': expected lru or "
				    "size", optarg);
			o.sort = optarg;
			break;
		case OPT_LIMIT:
			o.limit = strtol(optarg, &end, 10);
			if (optarg[0] == '\0' || *end != '\0' || o.limit < 1 || o.limit > 10000)
				return pcb_cli_usage_error(&pcb_cmd_cache, "--limit '%s': expected a "
				    "number from 1 to 10000", optarg);
			break;
		case OPT_ALL:
			o.all = true;
			break;
		case OPT_MAX_SIZE:
			if (pcb_store_parse_size(optarg, &o.max_size, &err) != 0 ||
			    o.max_size > INT64_MAX)
				return pcb_cli_usage_error(&pcb_cmd_cache, "--max-size: %s", err.msg);
			o.has_max = true;
			break;
		case OPT_KEEP:
			if (pcb_store_parse_duration(optarg, &o.keep_ms, &err) != 0)
				return pcb_cli_usage_error(&pcb_cmd_cache, "--keep: %s", err.msg);
			o.has_keep = true;
			break;
		case OPT_TAG_KEEP:
			if (pcb_store_parse_duration(optarg, &o.tag_keep_ms, &err) != 0)
				return pcb_cli_usage_error(&pcb_cmd_cache, "--tag-keep: %s", err.msg);
			if (o.tag_keep_ms < 1000)
				return pcb_cli_usage_error(&pcb_cmd_cache, "--tag-keep %s: at least 1s",
				    optarg);
			o.has_tag_keep = true;
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_NO_REPAIR:
			o.no_repair = true;
			break;
		case 'h':
			return pcb_cli_help(&pcb_cmd_cache);
		default:
			return pcb_cli_opt_error(&pcb_cmd_cache, c, argv);
		}
	}
	if (optind >= argc)
		return pcb_cli_usage_error(&pcb_cmd_cache, "missing subcommand: du, ls, prune or "
		    "verify");
	for (i = 0; i < PCB_ARRAY_LEN(subs) && strcmp(subs[i], argv[optind]) != 0; i++)
		;
	if (i == PCB_ARRAY_LEN(subs))
		return pcb_cli_usage_error(&pcb_cmd_cache, "unknown subcommand '%s': expected du, "
		    "ls, prune or verify", argv[optind]);
	o.sub = subs[i];
	if (optind + 1 < argc)
		return pcb_cli_usage_error(&pcb_cmd_cache, "unexpected argument '%s'",
		    argv[optind + 1]);
	/* Flags belong to one subcommand each: a misplaced one is a mistake worth naming. */
	if ((o.sort != NULL || o.limit != 0) && strcmp(o.sub, "ls") != 0)
		return pcb_cli_usage_error(&pcb_cmd_cache, "--sort and --limit go with 'ls'");
	if ((o.all || o.has_max || o.has_keep || o.has_tag_keep || o.dry_run) &&
	    strcmp(o.sub, "prune") != 0)
		return pcb_cli_usage_error(&pcb_cmd_cache, "--all, --max-size, --keep, --tag-keep and "
		    "--dry-run go with 'prune'");
	if (o.no_repair && strcmp(o.sub, "verify") != 0)
		return pcb_cli_usage_error(&pcb_cmd_cache, "--no-repair goes with 'verify'");
	if (o.all && o.has_max)
		return pcb_cli_usage_error(&pcb_cmd_cache, "--all and --max-size exclude each other");

	if (strcmp(o.sub, "du") == 0) {
		rc = du(h, &o);
	} else if (strcmp(o.sub, "ls") == 0) {
		path = pcb_xasprintf("/v1/cache/entries?sort=%s&limit=%ld", o.sort ? o.sort : "lru",
		    o.limit > 0 ? o.limit : 100);
		rc = simple_request(h, &o, "GET", path, NULL);
	} else if (strcmp(o.sub, "prune") == 0) {
		body = json_object_new_object();
		json_object_object_add(body, "all", json_object_new_boolean(o.all));
		json_object_object_add(body, "dry_run", json_object_new_boolean(o.dry_run));
		if (o.has_max)
			json_object_object_add(body, "max_size", json_object_new_int64(
			    (int64_t)o.max_size));
		if (o.has_keep)
			json_object_object_add(body, "keep_seconds", json_object_new_int64(
			    o.keep_ms / 1000));
		if (o.has_tag_keep)
			json_object_object_add(body, "tag_keep_seconds", json_object_new_int64(
			    o.tag_keep_ms / 1000));
		rc = simple_request(h, &o, "POST", "/v1/cache/prune",
		    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	} else {
		rc = verify(h, &o);
	}
	json_object_put(body);
	free(path);
	return rc;
}
