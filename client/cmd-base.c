/* cmd-base.c — `pcb base create --from-host [--python PATH] -t NAME:TAG`: asks the daemon to
 * make a base image from its host's Python (POST /v1/bases) — the interpreter, its standard
 * library and the shared libraries they load — and tails the job like a push. The image lands
 * in the daemon's store under NAME:TAG, usable as `pcb build --base-image NAME:TAG`. */
#include "pcb.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb base create --from-host [--python PATH] -t NAME:TAG [OPTIONS]\n"
    "\n"
    "Make a python:X.Y-slim-like base image from the daemon host's Python: the\n"
    "interpreter (/usr/local/bin/python3.X), its standard library (without\n"
    "site-packages contents, tests, idlelib, tkinter, turtledemo, ensurepip), every\n"
    "shared library they load (at the same paths as on the host), a minimal /etc and\n"
    "/tmp. It is tagged NAME:TAG in the daemon's store, for air-gapped machines:\n"
    "pcb build --base-image NAME:TAG.\n"
    "\n"
    "Options:\n"
    "      --from-host           take the interpreter from the daemon's host (required)\n"
    "      --python PATH         the interpreter, an absolute path on the daemon's host\n"
    "                            (default: python3 on the daemon's PATH)\n"
    "  -t, --tag NAME:TAG        the image's name in the daemon's store (required)\n"
    "      --json                print the final job as JSON on stdout\n"
    PCB_PROGRESS_USAGE
    "  -q, --quiet               no progress lines; without --json print the digest\n"
    "  -h, --help                show this help\n"
    "\n"
    "SOURCE_DATE_EPOCH from the environment, when set, fixes the image timestamps.\n"
    "Exit status: 0 created, 1 failed, 2 usage error or daemon unreachable, 130 cancelled.\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_base = {
	.name = "base",
	.summary = "Make a base image from the daemon host's Python",
	.usage = usage,
	.fn = run,
};

enum { OPT_JSON = 1000, OPT_FROM_HOST, OPT_PYTHON, OPT_PROGRESS };

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-host", no_argument, NULL, OPT_FROM_HOST },
		{ "python", required_argument, NULL, OPT_PYTHON },
		{ "tag", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_job_opts jo = { false, false, PCB_PROGRESS_AUTO };
	const char *python = NULL, *tag = NULL, *sde = getenv("SOURCE_DATE_EPOCH");
	json_object *body = NULL;
	bool from_host = false;
	int c, rc = PCB_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FROM_HOST:
			from_host = true;
			break;
		case OPT_PYTHON:
			if (optarg[0] != '/')
				return pcb_cli_usage_error(&pcb_cmd_base, "--python '%s': expected an "
				    "absolute path on the daemon's host", optarg);
			python = optarg;
			break;
		case 't':
			if (optarg[0] == '\0')
				return pcb_cli_usage_error(&pcb_cmd_base, "--tag: expected NAME:TAG");
			tag = optarg;
			break;
		case OPT_JSON:
			jo.json = true;
			break;
		case OPT_PROGRESS:
			if ((rc = pcb_progress_opt(&pcb_cmd_base, optarg, &jo.progress)) != PCB_EXIT_OK)
				goto out;
			break;
		case 'q':
			jo.quiet = true;
			break;
		case 'h':
			return pcb_cli_help(&pcb_cmd_base);
		default:
			return pcb_cli_opt_error(&pcb_cmd_base, c, argv);
		}
	}
	if (optind >= argc)
		return pcb_cli_usage_error(&pcb_cmd_base, "missing the subcommand (create)");
	if (strcmp(argv[optind], "create") != 0)
		return pcb_cli_usage_error(&pcb_cmd_base, "unknown subcommand '%s' (expected "
		    "create)", argv[optind]);
	if (argc - optind > 1)
		return pcb_cli_usage_error(&pcb_cmd_base, "unexpected argument '%s'",
		    argv[optind + 1]);
	if (!from_host)
		return pcb_cli_usage_error(&pcb_cmd_base, "create needs --from-host (the only "
		    "source of base images so far)");
	if (tag == NULL)
		return pcb_cli_usage_error(&pcb_cmd_base, "create needs -t NAME:TAG");
	body = json_object_new_object();
	json_object_object_add(body, "tag", json_object_new_string(tag));
	if (python != NULL)
		json_object_object_add(body, "python", json_object_new_string(python));
	if (sde != NULL && sde[0] != '\0') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (sde[0] < '0' || sde[0] > '9' || *end != '\0' || errno != 0 || v < 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_base, "SOURCE_DATE_EPOCH='%s': expected an "
			    "integer >= 0 (seconds since 1970)", sde);
			goto out;
		}
		json_object_object_add(body, "source_date_epoch", json_object_new_int64(v));
	}
	rc = pcb_job_submit(h, "/v1/bases", json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), &jo);
out:
	json_object_put(body);
	return rc;
}
