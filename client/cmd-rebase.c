/* cmd-rebase.c — `pcb rebase IMAGE [--base REF]`: puts an image of the daemon's store on a new
 * base without rebuilding it (POST /v1/rebases, a job of kind "rebase", tailed like a build),
 * with credentials resolved here for the new base's registry. Also `pcb build --rebase-only`
 * (pcb_rebase_from_plan): the project's plan names the base and tags a build would use, and
 * the image under the first tag is rebased onto that base instead of being rebuilt. */
#include "creds.h"
#include "pcb.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb rebase [OPTIONS] IMAGE\n"
    "\n"
    "Put IMAGE on a new base without rebuilding it, when only the base moved (a security\n"
    "update of python:3.12-slim): the new image is the new base's layers followed by the\n"
    "image's own (venv, dependencies, project, app) as they are, nothing repacked, with the\n"
    "config re-derived as a build on the new base would write it. Refused when the new base's\n"
    "Python X.Y differs from the one the image was built for (its virtual environment would\n"
    "break): rebuild then.\n"
    "\n"
    "IMAGE: NAME[:TAG] of the daemon's store, NAME@sha256:..., sha256:... or a build id.\n"
    "\n"
    "Options:\n"
    "  -b, --base REF            the new base, as pcb build's --base-image: NAME:TAG of the\n"
    "                            store, HOST[:PORT]/REPO:TAG, ...@sha256:... (default: what the\n"
    "                            base tag IMAGE was built on names now)\n"
    "  -t, --tag NAME[:TAG]      tag the result (repeatable; default: IMAGE's tag)\n"
    "      --pull                ask the base's registry for its tag again, even when the\n"
    "                            daemon's store has it\n"
    "      --base-registry HOST[:PORT][/PATH]  where a base naming no registry is pulled from\n"
    PCB_REGOPTS_USAGE
    "      --json                print the final rebase job as JSON on stdout\n"
    PCB_PROGRESS_USAGE
    "  -q, --quiet               no progress lines; without --json print the manifest digest\n"
    "  -h, --help                show this help\n"
    "\n"
    "'pcb images --outdated' lists the images whose base tag names another image now.\n"
    "See pcb(1).\n"
    "Exit status: 0 rebased (or already on that base), 1 failed or refused, 2 usage error or\n"
    "daemon unreachable, 130 cancelled.\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_rebase = {
	.name = "rebase",
	.summary = "Put an image on a new base without rebuilding it",
	.usage = usage,
	.fn = run,
};

enum { OPT_JSON = 1000, OPT_PULL, OPT_BASE_REGISTRY, OPT_PROGRESS };

/* Adds the credential fields for the registry base names (none when base is NULL: the
 * image's own base tag, known only to the daemon, is then pulled without any). */
static int
add_access(const struct pcb_regopts *reg, const char *base, json_object *body,
    const char *cmdname)
{
	struct pcb_strv hosts;
	struct pcb_err err;
	char *host = NULL;
	int rc = PCB_EXIT_OK;

	pcb_strv_init(&hosts);
	if (base != NULL && pcb_regopts_ref_host(base, &host, NULL, &err) == 0)
		pcb_strv_push_owned(&hosts, host);
	if (pcb_regopts_apply(reg, &hosts, body, &err) != 0) {
		fprintf(stderr, "pcb %s: %s\n", cmdname, err.msg);
		rc = PCB_EXIT_FAIL;
	}
	pcb_strv_free(&hosts);
	return rc;
}

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		PCB_REGOPTS_LONGOPTS,
		{ "base", required_argument, NULL, 'b' },
		{ "tag", required_argument, NULL, 't' },
		{ "pull", no_argument, NULL, OPT_PULL },
		{ "base-registry", required_argument, NULL, OPT_BASE_REGISTRY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_job_opts jo = { false, false, PCB_PROGRESS_AUTO };
	struct pcb_regopts reg;
	struct pcb_strv tags;
	json_object *body = NULL, *ta;
	const char *base = NULL, *base_registry = NULL;
	bool pull = false;
	int c, rc = PCB_EXIT_OK;

	pcb_regopts_init(&reg);
	pcb_strv_init(&tags);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":b:t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (optarg[0] == '\0') {
				rc = pcb_cli_usage_error(&pcb_cmd_rebase, "--base: name the new base");
				goto out;
			}
			base = optarg;
			break;
		case 't':
			pcb_strv_push(&tags, optarg);
			break;
		case OPT_PULL:
			pull = true;
			break;
		case OPT_BASE_REGISTRY:
			base_registry = optarg;
			break;
		case OPT_JSON:
			jo.json = true;
			break;
		case OPT_PROGRESS:
			if ((rc = pcb_progress_opt(&pcb_cmd_rebase, optarg, &jo.progress)) !=
			    PCB_EXIT_OK)
				goto out;
			break;
		case 'q':
			jo.quiet = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_rebase);
			goto out;
		default:
			if ((rc = pcb_regopts_default(&reg, &pcb_cmd_rebase, c, argv)) != PCB_EXIT_OK)
				goto out;
			break;
		}
	}
	if (argc - optind != 1) {
		rc = argc - optind == 0 ? pcb_cli_usage_error(&pcb_cmd_rebase, "missing IMAGE") :
		    pcb_cli_usage_error(&pcb_cmd_rebase, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	body = json_object_new_object();
	json_object_object_add(body, "image", json_object_new_string(argv[optind]));
	if (base != NULL)
		json_object_object_add(body, "base", json_object_new_string(base));
	ta = json_object_new_array();
	for (size_t i = 0; i < tags.n; i++)
		json_object_array_add(ta, json_object_new_string(tags.v[i]));
	json_object_object_add(body, "tags", ta);
	if (pull)
		json_object_object_add(body, "pull", json_object_new_boolean(true));
	if (base_registry != NULL)
		json_object_object_add(body, "base_registry", json_object_new_string(base_registry));
	if ((rc = add_access(&reg, base, body, "rebase")) != PCB_EXIT_OK)
		goto out;
	rc = pcb_job_submit(h, "/v1/rebases", json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), &jo);
out:
	json_object_put(body);
	pcb_strv_free(&tags);
	pcb_regopts_free(&reg);
	return rc;
}

int
pcb_rebase_from_plan(struct pcb_http *h, json_object *spec, const struct pcb_regopts *reg,
    const struct pcb_job_opts *jo)
{
	json_object *plan = NULL, *body = NULL, *tags, *pull = NULL;
	const char *base, *image, *base_registry;
	struct pcb_err err;
	int rc = PCB_EXIT_OK;

	if (pcb_http_request(h, "POST", "/v1/plan", json_object_to_json_string_ext(spec,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), &plan, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	base = pcb_cli_jstr(plan, "base_image");
	base_registry = pcb_cli_jstr(plan, "base_registry");
	tags = pcb_cli_jarr(plan, "tags");
	image = tags != NULL && json_object_array_length(tags) > 0 ?
	    json_object_get_string(json_object_array_get_idx(tags, 0)) : NULL;
	if (base == NULL || image == NULL) {
		fprintf(stderr, "pcb build: --rebase-only: the plan names no %s\n", base == NULL ?
		    "base image" : "tag");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	if (strcmp(base, "scratch") == 0) {
		fprintf(stderr, "pcb build: --rebase-only: the project is built on scratch, which has "
		    "no base to swap\n");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	body = json_object_new_object();
	json_object_object_add(body, "image", json_object_new_string(image));
	json_object_object_add(body, "base", json_object_new_string(base));
	json_object_object_add(body, "tags", json_object_get(tags));
	if (json_object_object_get_ex(spec, "pull", &pull) && json_object_get_boolean(pull))
		json_object_object_add(body, "pull", json_object_new_boolean(true));
	if (base_registry != NULL)
		json_object_object_add(body, "base_registry", json_object_new_string(base_registry));
	if ((rc = add_access(reg, base, body, "build")) != PCB_EXIT_OK)
		goto out;
	rc = pcb_job_submit(h, "/v1/rebases", json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), jo);
out:
	json_object_put(body);
	json_object_put(plan);
	return rc;
}
