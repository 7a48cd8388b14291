/* routes.c — gathers the per-resource route tables and matches request paths against them. */
#include "routes.h"

#include <string.h>

#include "base/util.h"

static const struct pcb_route *const tables[] = {
	pcb_api_version_routes,
	pcb_api_health_routes,
	pcb_api_builds_routes,
	pcb_api_plan_routes,
	pcb_api_jobs_routes,
	pcb_api_pushes_routes,
	pcb_api_pulls_routes,
	pcb_api_rebases_routes,
	pcb_api_bases_routes,
	pcb_api_cache_routes,
	pcb_api_images_routes,
	pcb_api_sbom_routes,
	pcb_api_metrics_routes,
};

#define MAX_SEGMENTS 16

/* Splits a path into segments in place ("/a/b" → "a","b"). Returns -1 when too deep. */
static int
split(char *path, char *seg[MAX_SEGMENTS])
{
	int n = 0;
	char *p = path;

	if (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	/* "a//b" and "a/" yield empty segments, which no pattern matches. */
	for (;;) {
		char *slash;

		if (n == MAX_SEGMENTS)
			return -1;
		seg[n++] = p;
		slash = strchr(p, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

static bool
match_pattern(const char *pattern, char *const seg[], int nseg, char *params[], size_t *np)
{
	const char *p = pattern + 1;
	int i = 0;

	*np = 0;
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (i >= nseg)
			return false;
		if (p[0] == '{') {
			if (seg[i][0] == '\0' || *np == PCB_ROUTE_MAX_PARAMS)
				return false;
			params[(*np)++] = seg[i];
		} else if (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0) {
			return false;
		}
		i++;
		p += len;
		if (*p == '/')
			p++;
	}
	return i == nseg;
}

const struct pcb_route *
pcb_routes_match(const char *method, char *buf, char *params[PCB_ROUTE_MAX_PARAMS],
    size_t *n_params, bool *path_known, char *allow, size_t allow_sz)
{
	char *seg[MAX_SEGMENTS];
	int nseg = split(buf, seg);
	const struct pcb_route *found = NULL;
	size_t alen = 0;

	*path_known = false;
	*n_params = 0;
	if (allow != NULL && allow_sz > 0)
		allow[0] = '\0';
	if (nseg < 0)
		return NULL;
	for (size_t t = 0; t < PCB_ARRAY_LEN(tables); t++) {
		for (const struct pcb_route *r = tables[t]; r->method != NULL; r++) {
			char *pp[PCB_ROUTE_MAX_PARAMS];
			size_t np;

			if (!match_pattern(r->pattern, seg, nseg, pp, &np))
				continue;
			*path_known = true;
			if (allow != NULL) {
				int w = snprintf(allow + alen, allow_sz - alen, "%s%s",
				    alen ? ", " : "", r->method);
				if (w > 0 && (size_t)w < allow_sz - alen)
					alen += (size_t)w;
			}
			if (found == NULL && strcmp(r->method, method) == 0) {
				found = r;
				memcpy(params, pp, np * sizeof *pp);
				*n_params = np;
			}
		}
	}
	return found;
}

void
pcb_routes_print(FILE *f)
{
	for (size_t t = 0; t < PCB_ARRAY_LEN(tables); t++)
		for (const struct pcb_route *r = tables[t]; r->method != NULL; r++)
			fprintf(f, "%s %s %s\n", r->method, r->pattern, r->operation_id);
}
