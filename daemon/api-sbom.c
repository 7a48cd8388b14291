/* api-sbom.c — GET /v1/images/sbom?digest=sha256:…&format=spdx|cyclonedx|provenance: the SBOM
 * (or provenance) attached to an image manifest as an OCI 1.1 referrer (image/sbom.h), as
 * the bytes stored, with the artifact's media type.
 *
 * The image is named by its manifest digest only: anyone may name an image by its digest
 * (api-images.c), and `pcb sbom` turns a name, an id prefix or a build id into that digest
 * with GET /v1/images/inspect first, so the resolution rules live in one place. Reading the
 * store runs on libuv's thread pool with the connection suspended. Loop thread only, except
 * sbom_run. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "api.h"
#include "image/sbom.h"
#include "image/store.h"

struct sbom_work {
	uv_work_t w;
	struct pcb_request *r;
	struct pcb_daemon *d;
	char digest[PCB_DIGEST_BUFSZ];
	const char *type;          /* static: the artifact type asked for */
	char *data;
	size_t len;
	struct pcb_err err;
	int rc;
};

/* Thread pool. */
static void
sbom_run(uv_work_t *w)
{
	struct sbom_work *c = w->data;

	c->rc = pcb_sbom_document(c->d->store, c->digest, c->type, &c->data, &c->len, &c->err);
	if (c->rc == PCB_ENOENT) {
		pcb_err_clear(&c->err);
		c->rc = pcb_err_set(&c->err, PCB_ENOENT, "no %s document is attached to %s (built "
		    "with --sbom=false, or for provenance without --provenance?)", c->type,
		    c->digest);
	}
}

static void
sbom_done(uv_work_t *w, int status)
{
	struct sbom_work *c = w->data;

	c->d->n_async--;
	if (status != 0 && c->rc == 0)
		c->rc = pcb_err_set(&c->err, PCB_EINTERNAL, "the SBOM request could not run");
	if (c->rc != 0) {
		pcb_http_resume_err(c->r, &c->err);
	} else {
		struct MHD_Response *resp = MHD_create_response_from_buffer(c->len, c->data,
		    MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			abort();
		c->data = NULL;   /* the response frees it */
		MHD_add_response_header(resp, "Content-Type", c->type);
		pcb_http_resume_response(c->r, 200, resp);
	}
	free(c->data);
	free(c);
}

static void
get_sbom(struct pcb_request *r)
{
	static const char *const allowed[] = { "digest", "format", NULL };
	const char *digest = pcb_http_query(r, "digest"), *format = pcb_http_query(r, "format");
	const char *type;
	struct sbom_work *c;
	struct pcb_err err;

	pcb_err_clear(&err);
	if (pcb_http_check_query(r, allowed, &err) != 0) {
		pcb_http_reply_err(r, &err);
		return;
	}
	if (digest == NULL || !pcb_digest_valid(digest)) {
		pcb_http_reply_error(r, 400, "invalid_request", "digest: the image manifest's digest "
		    "(sha256:<64 hex>) is required; GET /v1/images/inspect?ref= gives it");
		return;
	}
	if (format == NULL || strcmp(format, "spdx") == 0) {
		type = PCB_AT_SPDX;
	} else if (strcmp(format, "cyclonedx") == 0) {
		type = PCB_AT_CYCLONEDX;
	} else if (strcmp(format, "provenance") == 0) {
		type = PCB_AT_INTOTO;
	} else {
		pcb_http_reply_error(r, 400, "invalid_request", "format: \"%.40s\" is not spdx, "
		    "cyclonedx or provenance", format);
		return;
	}
	if (r->d->shutting_down) {
		pcb_http_reply_error(r, 503, "unavailable", "the daemon is shutting down");
		return;
	}
	c = pcb_xcalloc(1, sizeof *c);
	c->r = r;
	c->d = r->d;
	c->w.data = c;
	c->type = type;
	snprintf(c->digest, sizeof c->digest, "%s", digest);
	pcb_err_clear(&c->err);
	pcb_http_suspend(r);
	r->d->n_async++;
	uv_queue_work(r->d->loop, &c->w, sbom_run, sbom_done);
}

const struct pcb_route pcb_api_sbom_routes[] = {
	{ "GET", "/v1/images/sbom", get_sbom, "getImageSbom", false },
	{ NULL, NULL, NULL, NULL, false },
};
