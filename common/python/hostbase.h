/* hostbase.h — an offline base image made from the host's Python: the interpreter, its
 * standard library (with lib-dynload extension modules) and every shared library they load, laid
 * out like the python:X.Y images (/usr/local/bin/python3.X, python3, python → /usr/local/lib/
 * python3.X), plus a minimal /etc (passwd, group, nsswitch) and /tmp. Stored in the content store
 * and tagged, so a build can use it as --base-image on an air-gapped machine.
 *
 * Thread-safety: runs on one worker thread; the store may be shared. */
#ifndef PCB_HOSTBASE_H
#define PCB_HOSTBASE_H

#include <stdatomic.h>
#include <json-c/json.h>

#include "base/cred.h"
#include "base/err.h"
#include "image/events.h"
#include "image/store.h"

struct pcb_hostbase_spec {
	char *python;        /* absolute path of the interpreter; NULL = python3 found on PATH */
	char *tag;           /* "name:tag" to give the image in the store (required) */
	char *platform;      /* NULL = host; anything else is refused (it is the host's Python) */
	int64_t source_date_epoch;   /* -1 = 0 */
	struct pcb_cred as;  /* whose tag the image gets (daemon-set, never from JSON) */
};

void pcb_hostbase_spec_init(struct pcb_hostbase_spec *s);
void pcb_hostbase_spec_free(struct pcb_hostbase_spec *s);
/* Strict parse of {"python", "tag", "platform", "source_date_epoch"}; unknown fields → PCB_EINVAL. */
int pcb_hostbase_spec_from_json(json_object *j, struct pcb_hostbase_spec *s, struct pcb_err *err);
json_object *pcb_hostbase_spec_to_json(const struct pcb_hostbase_spec *s);

/* Builds the base image into ctx->store and tags it. *result_out (caller puts):
 * {"manifest": descriptor, "config": descriptor, "layers": [descriptors with "name"], "tag",
 *  "python": {"path", "version": "3.11.7"}, "files": N, "libraries": [paths]}. */
int pcb_hostbase_run(const struct pcb_hostbase_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err);

#endif
