/* cmd-version.c — `pcb version`: the client's version and the daemon's (GET /v1/version). The
 * client line comes first so it is printed even when the daemon is down. */
#include "pcb.h"

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb version [--json]\n"
    "\n"
    "Print the version of pcb and of the daemon it talks to. When the daemon cannot be\n"
    "reached, the client version is still printed and pcb exits 2.\n"
    "\n"
    "Options:\n"
    "      --json   print {\"client\": {...}, \"daemon\": {...}} as JSON\n"
    "  -h, --help   show this help\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_version = {
	.name = "version",
	.summary = "Show client and daemon versions",
	.usage = usage,
	.fn = run,
};

enum { OPT_JSON = 1000 };

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	json_object *v = NULL, *out = NULL, *client;
	struct pcb_err err;
	bool json = false;
	int c, rc = PCB_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_version);
			goto out;
		default:
			rc = pcb_cli_opt_error(&pcb_cmd_version, c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rc = pcb_cli_usage_error(&pcb_cmd_version, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!json) {
		printf("pcb %s\n", PCB_VERSION);
		fflush(stdout);
	}
	if (pcb_http_request(h, "GET", "/v1/version", NULL, &v, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		if (!json)
			goto out;
	}
	if (json) {
		out = json_object_new_object();
		client = json_object_new_object();
		json_object_object_add(client, "version", json_object_new_string(PCB_VERSION));
		json_object_object_add(out, "client", client);
		json_object_object_add(out, "daemon", json_object_get(v));
		pcb_cli_print_json(stdout, out);
		goto out;
	}
	printf("pycontainerd %s (api %s, %s) at %s\n", pcb_cli_jstr(v, "version") ?: "?",
	    pcb_cli_jstr(v, "api_version") ?: "?", pcb_cli_jstr(v, "platform") ?: "?", h->host);
out:
	json_object_put(v);
	json_object_put(out);
	return rc;
}
