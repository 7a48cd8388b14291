/* main.c — pcb, the pycontainerd client: global options (-H HOST, --version), the command
 * table and dispatch, and `pcb help`. The commands live one per file in cmd-*.c. */
#include "pcb.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const struct pcb_cmd *const commands[] = {
	&pcb_cmd_build,
	&pcb_cmd_push,
	&pcb_cmd_pull,
	&pcb_cmd_rebase,
	&pcb_cmd_base,
	&pcb_cmd_builds,
	&pcb_cmd_logs,
	&pcb_cmd_cancel,
	&pcb_cmd_images,
	&pcb_cmd_ls,
	&pcb_cmd_inspect,
	&pcb_cmd_history,
	&pcb_cmd_tag,
	&pcb_cmd_rm,
	&pcb_cmd_save,
	&pcb_cmd_sbom,
	&pcb_cmd_cache,
	&pcb_cmd_login,
	&pcb_cmd_logout,
	&pcb_cmd_version,
	&pcb_cmd_completion,
};

const struct pcb_cmd *const *
pcb_cli_commands(size_t *n)
{
	*n = PCB_ARRAY_LEN(commands);
	return commands;
}

static const struct pcb_cmd *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < PCB_ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

static void
print_main_usage(FILE *out)
{
	size_t i;

	fprintf(out,
	    "Usage: pcb [-H HOST] [--version] COMMAND [ARG]...\n"
	    "\n"
	    "Build OCI images of Python projects with pycontainerd.\n"
	    "\n"
	    "Commands:\n");
	for (i = 0; i < PCB_ARRAY_LEN(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "  %-9s %s\n", "help", "Show help for pcb or for one command");
	fprintf(out,
	    "\n"
	    "Options:\n"
	    "  -H, --host HOST  daemon address: unix:///PATH, tcp://127.0.0.1:PORT or /PATH\n"
	    "                   (default: $PCB_HOST, else the daemon's default socket)\n"
	    "      --version    print the client version\n"
	    "  -h, --help       show this help\n"
	    "\n"
	    "Run 'pcb help COMMAND' for the options of a command. See pcb(1).\n");
}

static int
cmd_help(int argc, char **argv)
{
	const struct pcb_cmd *cmd;

	if (argc < 2) {
		print_main_usage(stdout);
		return PCB_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		print_main_usage(stdout);
		return PCB_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "pcb help: unknown command '%s'\nRun 'pcb help' for the list.\n",
		    argv[1]);
		return PCB_EXIT_USAGE;
	}
	return pcb_cli_help(cmd);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL;
	char *default_host = NULL;
	const struct pcb_cmd *cmd;
	struct pcb_http h;
	struct pcb_err err;
	int c, rc;
	bool http_ready = false;

	opterr = 0;
	/* '+': stop at the command name, so its own flags are left for it. */
	while ((c = getopt_long(argc, argv, "+:H:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
		case 'V':
			printf("pcb %s\n", PCB_VERSION);
			rc = PCB_EXIT_OK;
			goto out;
		case 'h':
			print_main_usage(stdout);
			rc = PCB_EXIT_OK;
			goto out;
		case ':':
			fprintf(stderr, "pcb: option '%s' needs a value\n", argv[optind - 1]);
			rc = PCB_EXIT_USAGE;
			goto out;
		default:
			if (pcb_str_has_prefix(argv[optind - 1], "--"))
				fprintf(stderr, "pcb: unknown option '%s'\n", argv[optind - 1]);
			else
				fprintf(stderr, "pcb: unknown option '-%c'\n", optopt);
			fprintf(stderr, "Run 'pcb --help' for usage.\n");
			rc = PCB_EXIT_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		print_main_usage(stderr);
		rc = PCB_EXIT_USAGE;
		goto out;
	}
	if (strcmp(argv[optind], "help") == 0) {
		rc = cmd_help(argc - optind, argv + optind);
		goto out;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "pcb: unknown command '%s'\nRun 'pcb help' for the list.\n",
		    argv[optind]);
		rc = PCB_EXIT_USAGE;
		goto out;
	}
	if (host == NULL) {
		host = getenv("PCB_HOST");
		if (host == NULL || host[0] == '\0')
			host = default_host = pcb_http_default_host();
	}
	if (pcb_http_init(&h, host, &err) != 0) {
		fprintf(stderr, "pcb: %s\n", err.msg);
		rc = PCB_EXIT_USAGE;
		goto out;
	}
	http_ready = true;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "pcb: cannot initialise libcurl\n");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	argc -= optind;
	argv += optind;
	optind = 0;         /* glibc: 0 re-initialises getopt for the command's own parse */
	rc = cmd->fn(&h, argc, argv);
	curl_global_cleanup();
out:
	if (http_ready)
		pcb_http_free(&h);
	free(default_host);
	return rc;
}
