/* cmd-cancel.c — `pcb cancel ID`: asks the daemon to cancel a build, push or pull
 * (DELETE /v1/builds/{id} or /v1/jobs/{id}) and prints the state it answered with. */
#include "pcb.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb cancel ID\n"
    "\n"
    "Cancel build, push or pull ID. A queued job is cancelled at once; a running one stops at\n"
    "the next chunk boundary (follow it with 'pcb logs -f ID'). A finished one cannot be\n"
    "cancelled: the daemon answers 409 and pcb exits 1.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_cancel = {
	.name = "cancel",
	.summary = "Cancel a build, push or pull",
	.usage = usage,
	.fn = run,
};

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	json_object *b = NULL;
	struct pcb_err err;
	const char *state;
	char *path = NULL;
	int c, rc = PCB_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			rc = pcb_cli_help(&pcb_cmd_cancel);
			goto out;
		}
		rc = pcb_cli_opt_error(&pcb_cmd_cancel, c, argv);
		goto out;
	}
	if (argc - optind != 1) {
		rc = argc - optind == 0 ? pcb_cli_usage_error(&pcb_cmd_cancel, "missing build ID") :
		    pcb_cli_usage_error(&pcb_cmd_cancel, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (argv[optind][0] == '\0' || strpbrk(argv[optind], "/?#% ") != NULL) {
		rc = pcb_cli_usage_error(&pcb_cmd_cancel, "'%s' is not a build ID", argv[optind]);
		goto out;
	}
	path = pcb_job_path(argv[optind], NULL);
	if (pcb_http_request(h, "DELETE", path, NULL, &b, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	state = pcb_cli_jstr(b, "state");
	if (state != NULL && strcmp(state, "cancelled") != 0 &&
	    json_object_get_boolean(json_object_object_get(b, "cancel_requested")))
		printf("%s %s (cancel requested)\n", argv[optind], state);
	else
		printf("%s %s\n", argv[optind], state ? state : "?");
out:
	json_object_put(b);
	free(path);
	return rc;
}
