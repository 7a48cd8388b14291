/* api-bases.c — POST /v1/bases: make a base image from the daemon host's Python (its
 * interpreter, standard library and shared libraries) and tag it in the store, as a job of
 * kind "base" (ids "h-…"), followed like any job under /v1/jobs/{id}. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "api.h"
#include "jobs.h"

/* The job runs the interpreter it is given, as the daemon (root on a shared box), and reads
 * its files: for a caller who is not an admin it must be a system one — the file and every
 * folder above it owned by root and writable by nobody else — never a script of theirs. */
static int
check_interpreter(const struct pcb_request *r, const char *python, struct pcb_err *err)
{
	char real[PATH_MAX], *slash;
	struct stat st;

	if (r->admin || python == NULL)
		return 0;
	if (realpath(python, real) == NULL)
		return pcb_err_errno(err, errno, "python %s", python);
	for (;;) {
		if (stat(real, &st) != 0)
			return pcb_err_errno(err, errno, "python %s: %s", python, real);
		if (st.st_uid != 0 || (st.st_mode & 022) != 0)
			return pcb_err_set(err, PCB_EPERM, "python %s: %s is not a system file (owned by "
			    "root, writable by nobody else): on a shared daemon only root and the admin "
			    "group may make a base from another interpreter", python, real);
		if (strcmp(real, "/") == 0)
			return 0;
		slash = strrchr(real, '/');
		if (slash == real)
			real[1] = '\0';
		else
			*slash = '\0';
	}
}

static void
create_base(struct pcb_request *r)
{
	struct pcb_hostbase_spec spec;
	json_object *j = NULL, *job = NULL;
	struct pcb_err err;
	int rc;

	pcb_err_clear(&err);
	pcb_hostbase_spec_init(&spec);
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	rc = pcb_http_body_json(r, &j, &err);
	if (rc == 0)
		rc = pcb_hostbase_spec_from_json(j, &spec, &err);
	json_object_put(j);
	if (rc == 0)
		rc = check_interpreter(r, spec.python, &err);
	if (rc == 0) {
		spec.as = r->caller;   /* whose tags it reads and writes */
		rc = pcb_jobs_submit(r->d->jobs, PCB_JOB_BASE, &spec, &r->who, &job, &err);
	}
	pcb_hostbase_spec_free(&spec);
	if (rc != 0)
		pcb_http_reply_err(r, &err);
	else
		pcb_api_reply_job(r, job);
}

const struct pcb_route pcb_api_bases_routes[] = {
	{ "POST", "/v1/bases", create_base, "createBase", true },
	{ NULL, NULL, NULL, NULL, false },
};
