/* cmd-pull.c — `pcb pull REF`: has the daemon pull an image from its registry into its store
 * (POST /v1/pulls), e.g. to fill the cache for offline work, with credentials resolved here for
 * that registry, and tails the pull job like a build. */
#include "creds.h"
#include "pcb.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb pull [OPTIONS] REF\n"
    "\n"
    "Pull the image REF (python:3.12-slim, ghcr.io/team/app:1, HOST/REPO@sha256:...) into\n"
    "the daemon's store, where builds find it. Docker Hub names may be short (python).\n"
    "\n"
    "Options:\n"
    "      --platform OS/ARCH[/VARIANT]  which image of a multi-platform index\n"
    "                            (default: the daemon's platform)\n"
    PCB_REGOPTS_USAGE
    "      --json                print the final pull job as JSON on stdout\n"
    PCB_PROGRESS_USAGE
    "  -q, --quiet               no progress lines; without --json print the manifest digest\n"
    "  -h, --help                show this help\n"
    "\n"
    "Credentials as for 'pcb push'. See pcb(1).\n"
    "Exit status: 0 pulled, 1 failed, 2 usage error or daemon unreachable, 130 cancelled.\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_pull = {
	.name = "pull",
	.summary = "Pull an image from a registry into the daemon's store",
	.usage = usage,
	.fn = run,
};

enum { OPT_JSON = 1000, OPT_PLATFORM, OPT_PROGRESS };

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		PCB_REGOPTS_LONGOPTS,
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_job_opts jo = { false, false, PCB_PROGRESS_AUTO };
	struct pcb_regopts reg;
	struct pcb_strv hosts;
	struct pcb_err err;
	json_object *body = NULL;
	const char *platform = NULL;
	char *host = NULL;
	int c, rc = PCB_EXIT_OK;

	pcb_regopts_init(&reg);
	pcb_strv_init(&hosts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PLATFORM:
			if (optarg[0] == '\0' || strchr(optarg, '/') == NULL) {
				rc = pcb_cli_usage_error(&pcb_cmd_pull, "--platform '%s': expected "
				    "OS/ARCH[/VARIANT] such as linux/amd64", optarg);
				goto out;
			}
			platform = optarg;
			break;
		case OPT_JSON:
			jo.json = true;
			break;
		case OPT_PROGRESS:
			if ((rc = pcb_progress_opt(&pcb_cmd_pull, optarg, &jo.progress)) != PCB_EXIT_OK)
				goto out;
			break;
		case 'q':
			jo.quiet = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_pull);
			goto out;
		default:
			if ((rc = pcb_regopts_default(&reg, &pcb_cmd_pull, c, argv)) != PCB_EXIT_OK)
				goto out;
			break;
		}
	}
	if (argc - optind != 1) {
		rc = argc - optind == 0 ? pcb_cli_usage_error(&pcb_cmd_pull, "missing REF") :
		    pcb_cli_usage_error(&pcb_cmd_pull, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (pcb_regopts_ref_host(argv[optind], &host, NULL, &err) != 0) {
		rc = pcb_cli_usage_error(&pcb_cmd_pull, "'%s': %s", argv[optind], err.msg);
		goto out;
	}
	pcb_strv_push(&hosts, host);
	body = json_object_new_object();
	json_object_object_add(body, "ref", json_object_new_string(argv[optind]));
	if (platform != NULL)
		json_object_object_add(body, "platform", json_object_new_string(platform));
	if (pcb_regopts_apply(&reg, &hosts, body, &err) != 0) {
		fprintf(stderr, "pcb pull: %s\n", err.msg);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	rc = pcb_job_submit(h, "/v1/pulls", json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), &jo);
out:
	json_object_put(body);
	free(host);
	pcb_strv_free(&hosts);
	pcb_regopts_free(&reg);
	return rc;
}
