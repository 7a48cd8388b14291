/* api.h — helpers shared by the daemon/api-*.c resource files. Loop thread only. */
#ifndef PCB_API_H
#define PCB_API_H

#include "build.h"
#include "http.h"

/* Reads the request body as a BuildSpec: JSON parse, strict spec parse, then the checks
 * that need no build (context exists and is a directory …). On error *spec is freed and
 * the error names the problem. */
int pcb_api_read_spec(struct pcb_request *r, struct pcb_build_spec *spec, struct pcb_err *err);

#endif
