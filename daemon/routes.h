/* routes.h — the API route table. Each daemon/api-*.c file defines one NULL-terminated array
 * of entries; routes.c gathers them. tests/unit/test-openapi.c compares the table (printed by
 * `pycontainerd --print-routes`) with api/openapi.yaml in both directions.
 *
 * Patterns are literal path segments and "{name}" placeholders matching one non-empty
 * segment. Thread-safety: read-only data. */
#ifndef PCB_ROUTES_H
#define PCB_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct pcb_request;

#define PCB_ROUTE_MAX_PARAMS 4

struct pcb_route {
	const char *method;          /* "GET", "POST", "DELETE" */
	const char *pattern;         /* "/v1/builds/{id}" */
	void (*handler)(struct pcb_request *r);
	const char *operation_id;    /* as in api/openapi.yaml */
	bool has_body;               /* expects a JSON request body */
};

extern const struct pcb_route pcb_api_version_routes[];
extern const struct pcb_route pcb_api_health_routes[];
extern const struct pcb_route pcb_api_builds_routes[];
extern const struct pcb_route pcb_api_plan_routes[];
extern const struct pcb_route pcb_api_jobs_routes[];
extern const struct pcb_route pcb_api_pushes_routes[];
extern const struct pcb_route pcb_api_pulls_routes[];
extern const struct pcb_route pcb_api_rebases_routes[];
extern const struct pcb_route pcb_api_bases_routes[];
extern const struct pcb_route pcb_api_cache_routes[];
extern const struct pcb_route pcb_api_images_routes[];
extern const struct pcb_route pcb_api_sbom_routes[];
extern const struct pcb_route pcb_api_metrics_routes[];

/* Finds the route for method + path. On a match fills params (borrowed pointers into the
 * caller's scratch copy `buf` of the path, which this function splits) and returns it.
 * Returns NULL otherwise; *path_known is set when some route matches the path with another
 * method, and allow (may be NULL) gets the comma-separated methods that would match. */
const struct pcb_route *pcb_routes_match(const char *method, char *buf,
    char *params[PCB_ROUTE_MAX_PARAMS], size_t *n_params, bool *path_known,
    char *allow, size_t allow_sz);
/* "METHOD PATTERN operationId" lines, sorted as the tables list them. */
void pcb_routes_print(FILE *f);

#endif
