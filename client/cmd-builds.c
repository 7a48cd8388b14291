/* cmd-builds.c — `pcb builds`: lists builds (GET /v1/builds), or with --kind pushes, pulls or
 * every job (GET /v1/jobs), newest first, as a table or as the daemon's JSON. */
#include "pcb.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb builds [--kind KIND] [--state STATE] [--limit N] [--json]\n"
    "\n"
    "List builds (or pushes, pulls), newest first.\n"
    "\n"
    "Options:\n"
    "      --kind KIND    build (default), push, pull, base, verify, rebase, or all for every\n"
    "                     job\n"
    "      --state STATE  only builds in STATE: queued, running, succeeded, failed, cancelled\n"
    "      --limit N      at most N builds, 1-1000 (default 50)\n"
    "      --json         print the daemon's answer ({\"builds\": [...]}) as JSON\n"
    "  -h, --help         show this help\n"
    "\n"
    "Columns: ID, STATE, CREATED (UTC), DURATION (running time so far for a running build),\n"
    "IMAGE (first tag; a push's first target, a pull's reference), DIGEST (first 12 hex\n"
    "digits of the manifest digest).\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_builds = {
	.name = "builds",
	.summary = "List builds",
	.usage = usage,
	.fn = run,
};

enum { OPT_STATE = 1000, OPT_LIMIT, OPT_JSON, OPT_KIND };

static void
format_duration(json_object *b, char out[32])
{
	int64_t start = pcb_cli_parse_time(pcb_cli_jstr(b, "started_at"));
	int64_t end = pcb_cli_parse_time(pcb_cli_jstr(b, "finished_at"));
	int64_t ms;

	if (start < 0) {
		snprintf(out, 32, "-");
		return;
	}
	if (end < 0)
		end = pcb_now_ms();
	ms = end > start ? end - start : 0;
	if (ms < 60000)
		snprintf(out, 32, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(out, 32, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000 % 60));
	else
		snprintf(out, 32, "%dh%02dm", (int)(ms / 3600000), (int)(ms / 60000 % 60));
}

static const char *
first_tag(json_object *b)
{
	json_object *result = pcb_cli_jobj(b, "result");
	json_object *tags = pcb_cli_jarr(pcb_cli_jobj(result, "image"), "tags");
	const char *name;

	if (pcb_cli_jstr(pcb_cli_jobj(b, "spec"), "ref") != NULL)      /* a pull */
		return pcb_cli_jstr(pcb_cli_jobj(b, "spec"), "ref");
	if (tags == NULL || json_object_array_length(tags) == 0)
		tags = pcb_cli_jarr(pcb_cli_jobj(b, "spec"), "targets");    /* a push */
	if (tags == NULL || json_object_array_length(tags) == 0)
		tags = pcb_cli_jarr(pcb_cli_jobj(b, "spec"), "tags");
	if (tags != NULL && json_object_array_length(tags) > 0 &&
	    json_object_is_type(json_object_array_get_idx(tags, 0), json_type_string))
		return json_object_get_string(json_object_array_get_idx(tags, 0));
	name = pcb_cli_jstr(pcb_cli_jobj(result, "image"), "name");
	return name ? name : "-";
}

static void
print_table(json_object *list)
{
	size_t i, n = json_object_array_length(list), image_w = 5;
	char created[32], dur[32], digest[16];

	for (i = 0; i < n; i++) {
		size_t l = strlen(first_tag(json_object_array_get_idx(list, i)));
		if (l > image_w)
			image_w = l;
	}
	printf("%-18s  %-9s  %-19s  %-8s  %-*s  %s\n", "ID", "STATE", "CREATED", "DURATION",
	    (int)image_w, "IMAGE", "DIGEST");
	for (i = 0; i < n; i++) {
		json_object *b = json_object_array_get_idx(list, i);
		const char *c = pcb_cli_jstr(b, "created_at");
		json_object *pushed = pcb_cli_jarr(pcb_cli_jobj(b, "result"), "pushed");
		const char *d = pcb_cli_jstr(pcb_cli_jobj(pcb_cli_jobj(b, "result"), "manifest"),
		    "digest");

		if (d == NULL && pushed != NULL && json_object_array_length(pushed) > 0)
			d = pcb_cli_jstr(json_object_array_get_idx(pushed, 0), "digest");

		/* "2026-11-26T15:57:31.123Z" → "2026-11-26 15:57:31" */
		snprintf(created, sizeof created, "%.19s", c ? c : "-");
		if (strlen(created) > 10 && created[10] == 'T')
			created[10] = ' ';
		format_duration(b, dur);
		if (d != NULL && pcb_str_has_prefix(d, "sha256:"))
			snprintf(digest, sizeof digest, "%.12s", d + 7);
		else
			snprintf(digest, sizeof digest, "-");
		printf("%-18s  %-9s  %-19s  %-8s  %-*s  %s\n", pcb_cli_jstr(b, "id") ?: "?",
		    pcb_cli_jstr(b, "state") ?: "?", created, dur, (int)image_w, first_tag(b), digest);
	}
}

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, OPT_STATE },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const states[] = { "queued", "running", "succeeded", "failed",
		"cancelled" };
	static const char *const kinds[] = { "build", "push", "pull", "base", "verify", "rebase",
		"all" };
	const char *state = NULL, *kind = "build";
	long limit = 0;
	bool json = false;
	json_object *res = NULL, *list;
	struct pcb_err err;
	struct pcb_buf path;
	char *end;
	size_t i;
	int c, rc = PCB_EXIT_OK;

	pcb_buf_init(&path, 256);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE:
			for (i = 0; i < PCB_ARRAY_LEN(states) && strcmp(states[i], optarg) != 0; i++)
				;
			if (i == PCB_ARRAY_LEN(states)) {
				rc = pcb_cli_usage_error(&pcb_cmd_builds, "--state '%s': expected queued, "
				    "running, succeeded, failed or cancelled", optarg);
				goto out;
			}
			state = states[i];
			break;
		case OPT_KIND:
			for (i = 0; i < PCB_ARRAY_LEN(kinds) && strcmp(kinds[i], optarg) != 0; i++)
				;
			if (i == PCB_ARRAY_LEN(kinds)) {
				rc = pcb_cli_usage_error(&pcb_cmd_builds, "--kind '%s': expected build, "
				    "push, pull, base, verify, rebase or all", optarg);
				goto out;
			}
			kind = kinds[i];
			break;
		case OPT_LIMIT:
			limit = strtol(optarg, &end, 10);
			if (optarg[0] == '\0' || *end != '\0' || limit < 1 || limit > 1000) {
				rc = pcb_cli_usage_error(&pcb_cmd_builds, "--limit '%s': expected a "
				    "number from 1 to 1000", optarg);
				goto out;
			}
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_builds);
			goto out;
		default:
			rc = pcb_cli_opt_error(&pcb_cmd_builds, c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = pcb_cli_usage_error(&pcb_cmd_builds, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	/* Builds alone stay on /v1/builds, which every daemon version has. */
	if (strcmp(kind, "build") == 0)
		pcb_buf_appendf(&path, "/v1/builds");
	else if (strcmp(kind, "all") == 0)
		pcb_buf_appendf(&path, "/v1/jobs");
	else
		pcb_buf_appendf(&path, "/v1/jobs?kind=%s", kind);
	if (state != NULL)
		pcb_buf_appendf(&path, "%sstate=%s", strchr(path.data, '?') ? "&" : "?", state);
	if (limit > 0)
		pcb_buf_appendf(&path, "%slimit=%ld", strchr(path.data, '?') ? "&" : "?", limit);
	if (pcb_http_request(h, "GET", path.data, NULL, &res, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	if (json) {
		pcb_cli_print_json(stdout, res);
		goto out;
	}
	list = pcb_cli_jarr(res, "builds");
	if (list == NULL)
		list = pcb_cli_jarr(res, "jobs");
	if (list == NULL) {
		fprintf(stderr, "pcb: the daemon's list has no \"builds\" or \"jobs\" array\n");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	print_table(list);
out:
	json_object_put(res);
	pcb_buf_free(&path);
	return rc;
}
