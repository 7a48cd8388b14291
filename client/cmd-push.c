/* cmd-push.c — `pcb push SOURCE TARGET...`: pushes an image already in the daemon's store (a
 * tag, a succeeded build's id, or a manifest digest) to one or more registry references
 * (POST /v1/pushes), with credentials resolved here for the targets' registries, and tails the
 * push job like a build. */
#include "creds.h"
#include "pcb.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb push [OPTIONS] SOURCE TARGET...\n"
    "\n"
    "Push an image the daemon has to each TARGET registry reference\n"
    "(HOST[:PORT]/REPOSITORY[:TAG], e.g. 127.0.0.1:5000/team/app:1).\n"
    "SOURCE is a tag in the daemon's store (hello:1.0), a succeeded build's id (b-...)\n"
    "or a manifest digest (sha256:...).\n"
    "\n"
    "Options:\n"
    PCB_REGOPTS_USAGE
    "      --json                print the final push job as JSON on stdout\n"
    PCB_PROGRESS_USAGE
    "  -q, --quiet               no progress lines; without --json print the pushed digest\n"
    "  -h, --help                show this help\n"
    "\n"
    "Credentials, in this order: --creds, PCB_REGISTRY_USERNAME and PCB_REGISTRY_PASSWORD,\n"
    "docker's config.json (see 'pcb login'), podman's auth.json. See pcb(1).\n"
    "Exit status: 0 pushed, 1 failed, 2 usage error or daemon unreachable, 130 cancelled.\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_push = {
	.name = "push",
	.summary = "Push an image to a registry",
	.usage = usage,
	.fn = run,
};

enum { OPT_JSON = 1000, OPT_PROGRESS };

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		PCB_REGOPTS_LONGOPTS,
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
	json_object *body = NULL, *targets;
	int c, i, rc = PCB_EXIT_OK;

	pcb_regopts_init(&reg);
	pcb_strv_init(&hosts);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			jo.json = true;
			break;
		case OPT_PROGRESS:
			if ((rc = pcb_progress_opt(&pcb_cmd_push, optarg, &jo.progress)) != PCB_EXIT_OK)
				goto out;
			break;
		case 'q':
			jo.quiet = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_push);
			goto out;
		default:
			if ((rc = pcb_regopts_default(&reg, &pcb_cmd_push, c, argv)) != PCB_EXIT_OK)
				goto out;
			break;
		}
	}
	if (argc - optind < 2) {
		rc = pcb_cli_usage_error(&pcb_cmd_push, argc - optind == 0 ? "missing SOURCE and "
		    "TARGET" : "missing TARGET (a registry reference such as "
		    "127.0.0.1:5000/team/app:1)");
		goto out;
	}
	body = json_object_new_object();
	json_object_object_add(body, "source", json_object_new_string(argv[optind]));
	targets = json_object_new_array();
	json_object_object_add(body, "targets", targets);
	for (i = optind + 1; i < argc; i++) {
		char *host;
		bool explicit_host;

		if (pcb_regopts_ref_host(argv[i], &host, &explicit_host, &err) != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_push, "target '%s': %s", argv[i], err.msg);
			goto out;
		}
		if (!explicit_host) {
			free(host);
			rc = pcb_cli_usage_error(&pcb_cmd_push, "target '%s' names no registry (write "
			    "HOST[:PORT]/REPOSITORY[:TAG], or docker.io/... for Docker Hub)", argv[i]);
			goto out;
		}
		pcb_strv_push_owned(&hosts, host);
		json_object_array_add(targets, json_object_new_string(argv[i]));
	}
	if (pcb_regopts_apply(&reg, &hosts, body, &err) != 0) {
		fprintf(stderr, "pcb push: %s\n", err.msg);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	rc = pcb_job_submit(h, "/v1/pushes", json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), &jo);
out:
	json_object_put(body);
	pcb_strv_free(&hosts);
	pcb_regopts_free(&reg);
	return rc;
}
