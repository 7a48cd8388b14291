/* promparse.h — a strict reader of the Prometheus text exposition format 0.0.4, for tests of
 * GET /metrics: HELP and TYPE lines (with their escapes), samples with labels (with theirs),
 * values (floats, +Inf, -Inf, NaN) and optional timestamps, and the rules a scraper relies
 * on: every sample belongs to a family that has a TYPE, declared before its samples and at
 * most once; a family's lines form one group; no series appears twice; histogram buckets
 * carry an le label, rise in le, are cumulative, end with le="+Inf" equal to _count, and come
 * with a _sum. Test code only; the document and its strings are owned by the caller. */
#ifndef PCB_PROMPARSE_H
#define PCB_PROMPARSE_H

#include <stdbool.h>
#include <stddef.h>

struct prom_label {
	char *name;
	char *value;     /* unescaped */
};

struct prom_sample {
	char *name;                /* as written: "x_bucket" */
	char *family;              /* the family it belongs to: "x" */
	struct prom_label *labels;
	size_t n_labels;
	double value;
	bool has_timestamp;
	long long timestamp;
};

struct prom_family {
	char *name;
	char *type;                /* "counter" | "gauge" | "histogram" | "summary" | "untyped" */
	char *help;                /* unescaped; NULL when there was no HELP line */
};

struct prom_doc {
	struct prom_family *families;
	size_t n_families;
	struct prom_sample *samples;
	size_t n_samples;
};

/* Parses and checks text. 0 on success; -1 with a message naming the line in err. */
int prom_parse(const char *text, struct prom_doc *out, char *err, size_t err_sz);
void prom_doc_free(struct prom_doc *d);

const struct prom_family *prom_family_find(const struct prom_doc *d, const char *name);
/* The sample named `name` whose labels are exactly those in `labels`, written
 * "k1=v1,k2=v2" (values without quotes or escapes; "" for none). NULL when absent. */
const struct prom_sample *prom_find(const struct prom_doc *d, const char *name,
    const char *labels);
/* Its value, or NaN when absent. */
double prom_value(const struct prom_doc *d, const char *name, const char *labels);

#endif
