/* cmd-sbom.c — `pcb sbom IMAGE [--format spdx|cyclonedx|provenance]`: prints the SBOM (or the
 * SLSA provenance) a build attached to an image of the daemon's store. The image is resolved
 * to its manifest digest by GET /v1/images/inspect (names, id prefixes and build ids work as
 * for `pcb inspect`), then the document is GET /v1/images/sbom?digest=…&format=…. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pcb.h"

static const char sbom_usage[] =
    "Usage: pcb sbom IMAGE [--format spdx|cyclonedx|provenance] [--compact]\n"
    "\n"
    "Prints the SBOM attached to IMAGE (NAME[:TAG], NAME@sha256:…, sha256:…, an id prefix or\n"
    "a build id) by the build that made it: an SPDX 2.3 (default) or CycloneDX 1.5 document\n"
    "listing the base image, the project and every installed distribution with its wheel's\n"
    "sha256, licence and package URL; or, for an image built with --provenance, the in-toto\n"
    "statement with its SLSA v1 provenance. Each is attached to the image manifest as an OCI\n"
    "1.1 referrer: `pcb build -o type=oci` writes them into the layout and a push sends them\n"
    "with the image. For a multi-platform image, the documents of this host's platform.\n"
    "\n"
    "  -f, --format F  spdx (default), cyclonedx or provenance\n"
    "      --compact   the document as attached (one line), not indented\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 printed, 1 no such image or no such document (built with --sbom=false),\n"
    "2 usage error or daemon unreachable.\n";

static int sbom_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_sbom = {
	.name = "sbom",
	.summary = "Print the SBOM or provenance attached to an image",
	.usage = sbom_usage,
	.fn = sbom_run,
};

static int
sbom_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "compact", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "spdx", *md;
	json_object *img = NULL, *doc = NULL;
	struct pcb_err err;
	char *esc, *path;
	bool compact = false;
	int c, rc, exit_code = PCB_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'c': compact = true; break;
		case 'h': return pcb_cli_help(&pcb_cmd_sbom);
		default: return pcb_cli_opt_error(&pcb_cmd_sbom, c, argv);
		}
	}
	if (argc - optind != 1)
		return pcb_cli_usage_error(&pcb_cmd_sbom, "name one IMAGE");
	if (strcmp(format, "spdx") != 0 && strcmp(format, "cyclonedx") != 0 &&
	    strcmp(format, "provenance") != 0)
		return pcb_cli_usage_error(&pcb_cmd_sbom, "--format: \"%s\" is not spdx, cyclonedx "
		    "or provenance", format);
	if ((esc = curl_easy_escape(NULL, argv[optind], 0)) == NULL)
		abort();
	path = pcb_xasprintf("/v1/images/inspect?ref=%s", esc);
	curl_free(esc);
	rc = pcb_http_request(h, "GET", path, NULL, &img, &err);
	free(path);
	if (rc != 0)
		return pcb_cli_fail(h, &err);
	md = pcb_cli_jstr(img, "manifest_digest");
	if (md == NULL) {
		fprintf(stderr, "pcb: the daemon named no manifest for %s\n", argv[optind]);
		json_object_put(img);
		return PCB_EXIT_FAIL;
	}
	path = pcb_xasprintf("/v1/images/sbom?digest=%s&format=%s", md, format);
	rc = pcb_http_request(h, "GET", path, NULL, &doc, &err);
	free(path);
	if (rc != 0) {
		exit_code = pcb_cli_fail(h, &err);
		goto out;
	}
	if (compact)
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		pcb_cli_print_json(stdout, doc);
out:
	json_object_put(img);
	json_object_put(doc);
	return exit_code;
}
