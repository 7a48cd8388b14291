/* promparse.c — the Prometheus text format reader and checker of promparse.h. */
#include "promparse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct parser {
	struct prom_doc *d;
	int line;
	char *err;
	size_t err_sz;
	const char *last_family;   /* the family of the previous sample, for grouping */
	struct pcb_strv done;      /* families whose group of lines has ended */
};

__attribute__((format(printf, 2, 3)))
static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->err_sz, "line %d: ", p->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->err_sz)
		vsnprintf(p->err + n, p->err_sz - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool
name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* A metric name (or, colons excluded, a label name) at *s; advances past it. */
static char *
read_name(const char **s, bool label)
{
	const char *b = *s;

	if (!name_start(**s) || (label && **s == ':'))
		return NULL;
	while (name_char(**s) && !(label && **s == ':'))
		(*s)++;
	return pcb_xstrndup(b, (size_t)(*s - b));
}

static struct prom_family *
family_get(struct prom_doc *d, const char *name)
{
	for (size_t i = 0; i < d->n_families; i++)
		if (strcmp(d->families[i].name, name) == 0)
			return &d->families[i];
	return NULL;
}

static struct prom_family *
family_add(struct prom_doc *d, const char *name)
{
	struct prom_family *f;

	d->families = pcb_xrealloc(d->families, (d->n_families + 1) * sizeof *d->families);
	f = &d->families[d->n_families++];
	memset(f, 0, sizeof *f);
	f->name = pcb_xstrdup(name);
	return f;
}

/* HELP text: "\\" and "\n" are the only escapes. */
static char *
unescape_help(const char *s)
{
	char *out = pcb_xmalloc(strlen(s) + 1), *w = out;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '\\') {
			*w++ = '\\';
			s++;
		} else if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
	return out;
}

static bool
sample_seen(const struct prom_doc *d, const struct prom_sample *s)
{
	for (size_t i = 0; i < d->n_samples; i++) {
		const struct prom_sample *o = &d->samples[i];
		size_t k;

		if (strcmp(o->name, s->name) != 0 || o->n_labels != s->n_labels)
			continue;
		for (k = 0; k < s->n_labels; k++) {
			size_t m;
			for (m = 0; m < o->n_labels; m++)
				if (strcmp(o->labels[m].name, s->labels[k].name) == 0 &&
				    strcmp(o->labels[m].value, s->labels[k].value) == 0)
					break;
			if (m == o->n_labels)
				break;
		}
		if (k == s->n_labels)
			return true;
	}
	return false;
}

static int
parse_comment(struct parser *p, const char *l)
{
	const char *s = l + 1;
	bool help;
	struct prom_family *f;
	char *name;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "HELP ", 5) == 0)
		help = true;
	else if (strncmp(s, "TYPE ", 5) == 0)
		help = false;
	else
		return 0;   /* any other comment is allowed and means nothing */
	s += 5;
	while (*s == ' ' || *s == '\t')
		s++;
	if ((name = read_name(&s, false)) == NULL)
		return fail(p, "%s without a metric name", help ? "HELP" : "TYPE");
	if (*s != '\0' && *s != ' ' && *s != '\t') {
		free(name);
		return fail(p, "bad metric name in %s", help ? "HELP" : "TYPE");
	}
	while (*s == ' ' || *s == '\t')
		s++;
	/* Metadata of another family ends the group of the one before. */
	if (p->last_family != NULL && strcmp(p->last_family, name) != 0) {
		pcb_strv_push(&p->done, p->last_family);
		p->last_family = NULL;
	}
	f = family_get(p->d, name);
	if (f == NULL)
		f = family_add(p->d, name);
	else if (pcb_strv_contains(&p->done, name) ||
	    (p->last_family != NULL && strcmp(p->last_family, name) == 0)) {
		free(name);
		return fail(p, "%s for %s after its samples", help ? "HELP" : "TYPE", f->name);
	}
	free(name);
	if (help) {
		if (f->help != NULL)
			return fail(p, "second HELP for %s", f->name);
		f->help = unescape_help(s);
		return 0;
	}
	if (f->type != NULL)
		return fail(p, "second TYPE for %s", f->name);
	if (strcmp(s, "counter") != 0 && strcmp(s, "gauge") != 0 && strcmp(s, "histogram") != 0 &&
	    strcmp(s, "summary") != 0 && strcmp(s, "untyped") != 0)
		return fail(p, "unknown type \"%s\" for %s", s, f->name);
	f->type = pcb_xstrdup(s);
	return 0;
}

/* {name="value",…} at *s; label values may hold \\, \" and \n. */
static int
parse_labels(struct parser *p, const char **sp, struct prom_sample *smp)
{
	const char *s = *sp + 1;

	for (;;) {
		struct prom_label lab;
		struct pcb_buf v;

		while (*s == ' ')
			s++;
		if (*s == '}') {
			s++;
			break;
		}
		if ((lab.name = read_name(&s, true)) == NULL)
			return fail(p, "bad label name");
		for (size_t i = 0; i < smp->n_labels; i++)
			if (strcmp(smp->labels[i].name, lab.name) == 0) {
				free(lab.name);
				return fail(p, "label %s twice", smp->labels[i].name);
			}
		if (s[0] != '=' || s[1] != '"') {
			free(lab.name);
			return fail(p, "label without =\"value\"");
		}
		s += 2;
		pcb_buf_init(&v, 1 << 16);
		for (; *s != '"'; s++) {
			if (*s == '\0' || *s == '\n') {
				free(lab.name);
				pcb_buf_free(&v);
				return fail(p, "unterminated label value");
			}
			if (*s == '\\') {
				char c = s[1] == 'n' ? '\n' : s[1] == '\\' ? '\\' : s[1] == '"' ? '"' : 0;
				if (c == 0) {
					free(lab.name);
					pcb_buf_free(&v);
					return fail(p, "bad escape \\%c in a label value", s[1]);
				}
				pcb_buf_append(&v, &c, 1);
				s++;
			} else {
				pcb_buf_append(&v, s, 1);
			}
		}
		s++;
		lab.value = pcb_buf_steal(&v, NULL);
		smp->labels = pcb_xrealloc(smp->labels, (smp->n_labels + 1) * sizeof *smp->labels);
		smp->labels[smp->n_labels++] = lab;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s != '}')
			return fail(p, "expected , or } after a label");
	}
	*sp = s;
	return 0;
}

static int
parse_value(const char *tok, double *out)
{
	char *end;

	if (strcmp(tok, "+Inf") == 0 || strcmp(tok, "Inf") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (strcmp(tok, "-Inf") == 0) {
		*out = -INFINITY;
		return 0;
	}
	if (strcmp(tok, "NaN") == 0) {
		*out = NAN;
		return 0;
	}
	if (tok[0] == '\0')
		return -1;
	*out = strtod(tok, &end);
	return *end == '\0' ? 0 : -1;
}

static void
sample_free(struct prom_sample *s)
{
	for (size_t i = 0; i < s->n_labels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	free(s->labels);
	free(s->name);
	free(s->family);
}

/* The family a sample name belongs to: itself, or for _bucket/_sum/_count (and summaries'
 * bare name) the histogram or summary it is a part of. */
static const struct prom_family *
family_of(const struct prom_doc *d, const char *name)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	const struct prom_family *f = NULL;
	size_t n = strlen(name);

	for (size_t i = 0; i < PCB_ARRAY_LEN(suffixes); i++) {
		size_t m = strlen(suffixes[i]);
		if (n > m && strcmp(name + n - m, suffixes[i]) == 0) {
			char *base = pcb_xstrndup(name, n - m);
			f = family_get((struct prom_doc *)d, base);
			free(base);
			if (f != NULL && f->type != NULL && (strcmp(f->type, "histogram") == 0 ||
			    (strcmp(f->type, "summary") == 0 && i > 0)))
				return f;
			f = NULL;
		}
	}
	return family_get((struct prom_doc *)d, name);
}

static int
parse_sample(struct parser *p, const char *l)
{
	struct prom_sample smp;
	const struct prom_family *f;
	const char *s = l;
	char tok[128];
	size_t n;
	int rc = -1;

	memset(&smp, 0, sizeof smp);
	if ((smp.name = read_name(&s, false)) == NULL) {
		fail(p, "bad metric name");
		goto out;
	}
	if (*s == '{' && parse_labels(p, &s, &smp) != 0)
		goto out;
	if (*s != ' ' && *s != '\t') {
		fail(p, "expected a space before the value");
		goto out;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t");
	if (n == 0 || n >= sizeof tok) {
		fail(p, "missing or overlong value");
		goto out;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	if (parse_value(tok, &smp.value) != 0) {
		fail(p, "bad value \"%s\"", tok);
		goto out;
	}
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0') {
		char *end;
		smp.timestamp = strtoll(s, &end, 10);
		if (*end != '\0' || end == s) {
			fail(p, "bad timestamp \"%s\"", s);
			goto out;
		}
		smp.has_timestamp = true;
	}
	f = family_of(p->d, smp.name);
	if (f == NULL || f->type == NULL) {
		fail(p, "sample %s has no # TYPE for its family", smp.name);
		goto out;
	}
	smp.family = pcb_xstrdup(f->name);
	if (p->last_family == NULL || strcmp(p->last_family, f->name) != 0) {
		if (pcb_strv_contains(&p->done, f->name)) {
			fail(p, "the lines of %s are not one group", f->name);
			goto out;
		}
		if (p->last_family != NULL)
			pcb_strv_push(&p->done, p->last_family);
	}
	if (sample_seen(p->d, &smp)) {
		fail(p, "series %s repeated with the same labels", smp.name);
		goto out;
	}
	p->d->samples = pcb_xrealloc(p->d->samples, (p->d->n_samples + 1) * sizeof *p->d->samples);
	p->d->samples[p->d->n_samples++] = smp;
	p->last_family = p->d->samples[p->d->n_samples - 1].family;
	memset(&smp, 0, sizeof smp);
	rc = 0;
out:
	sample_free(&smp);
	return rc;
}

static const char *
label_get(const struct prom_sample *s, const char *name)
{
	for (size_t i = 0; i < s->n_labels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

/* Whether a and b have the same labels, le aside. */
static bool
same_series(const struct prom_sample *a, const struct prom_sample *b)
{
	size_t na = 0, nb = 0;

	for (size_t i = 0; i < a->n_labels; i++) {
		const char *v;
		if (strcmp(a->labels[i].name, "le") == 0)
			continue;
		na++;
		v = label_get(b, a->labels[i].name);
		if (v == NULL || strcmp(v, a->labels[i].value) != 0)
			return false;
	}
	for (size_t i = 0; i < b->n_labels; i++)
		nb += strcmp(b->labels[i].name, "le") != 0;
	return na == nb;
}

static bool
suffix_is(const char *name, const char *family, const char *suffix)
{
	size_t n = strlen(family);

	return strncmp(name, family, n) == 0 && strcmp(name + n, suffix) == 0;
}

/* Every histogram series: buckets rising in le and cumulative, ending at +Inf = _count. */
static int
check_histograms(struct parser *p)
{
	struct prom_doc *d = p->d;

	p->line = 0;
	for (size_t i = 0; i < d->n_samples; i++) {
		const struct prom_sample *first = &d->samples[i];
		const struct prom_family *f = family_get(d, first->family);
		double last_le = -INFINITY, last_count = 0, inf_count = NAN, count = NAN;
		bool seen_earlier = false, has_sum = false;
		int buckets = 0;

		if (strcmp(f->type, "histogram") != 0 || !suffix_is(first->name, f->name, "_bucket"))
			continue;
		for (size_t k = 0; k < i && !seen_earlier; k++)
			seen_earlier = strcmp(d->samples[k].family, f->name) == 0 &&
			    suffix_is(d->samples[k].name, f->name, "_bucket") &&
			    same_series(&d->samples[k], first);
		if (seen_earlier)
			continue;
		for (size_t k = i; k < d->n_samples; k++) {
			const struct prom_sample *s = &d->samples[k];
			const char *le;
			double v;

			if (strcmp(s->family, f->name) != 0 || !same_series(s, first))
				continue;
			if (suffix_is(s->name, f->name, "_sum")) {
				has_sum = true;
				continue;
			}
			if (suffix_is(s->name, f->name, "_count")) {
				count = s->value;
				continue;
			}
			if (!suffix_is(s->name, f->name, "_bucket"))
				return fail(p, "histogram %s has a sample %s", f->name, s->name);
			le = label_get(s, "le");
			if (le == NULL || parse_value(le, &v) != 0 || isnan(v))
				return fail(p, "bucket of %s without a valid le", f->name);
			if (!(v > last_le))
				return fail(p, "buckets of %s do not rise in le (%s)", f->name, le);
			if (s->value < last_count)
				return fail(p, "buckets of %s are not cumulative (le=\"%s\": %g < %g)",
				    f->name, le, s->value, last_count);
			last_le = v;
			last_count = s->value;
			buckets++;
			if (isinf(v))
				inf_count = s->value;
		}
		if (buckets == 0 || !isinf(last_le) || isnan(inf_count))
			return fail(p, "histogram %s does not end with le=\"+Inf\"", f->name);
		if (isnan(count))
			return fail(p, "histogram %s has no _count", f->name);
		if (inf_count != count)
			return fail(p, "histogram %s: le=\"+Inf\" bucket %g != _count %g", f->name,
			    inf_count, count);
		if (!has_sum)
			return fail(p, "histogram %s has no _sum", f->name);
	}
	return 0;
}

int
prom_parse(const char *text, struct prom_doc *out, char *err, size_t err_sz)
{
	struct parser p = { out, 0, err, err_sz, NULL, { NULL, 0, 0 } };
	char *copy = pcb_xstrdup(text), *l, *next;
	int rc = 0;
	size_t len = strlen(text);

	memset(out, 0, sizeof *out);
	pcb_strv_init(&p.done);
	if (err_sz > 0)
		err[0] = '\0';
	if (len > 0 && text[len - 1] != '\n') {
		rc = fail(&p, "the text does not end with a newline");
		goto out;
	}
	for (l = copy; *l != '\0'; l = next) {
		char *nl = strchr(l, '\n');

		*nl = '\0';   /* there is one: the text ends with a newline */
		next = nl + 1;
		p.line++;
		if (l[0] == '#')
			rc = parse_comment(&p, l);
		else if (strspn(l, " \t") == strlen(l))
			rc = 0;
		else
			rc = parse_sample(&p, l);
		if (rc != 0)
			goto out;
	}
	rc = check_histograms(&p);
out:
	free(copy);
	pcb_strv_free(&p.done);
	if (rc != 0)
		prom_doc_free(out);
	return rc;
}

void
prom_doc_free(struct prom_doc *d)
{
	for (size_t i = 0; i < d->n_families; i++) {
		free(d->families[i].name);
		free(d->families[i].type);
		free(d->families[i].help);
	}
	free(d->families);
	for (size_t i = 0; i < d->n_samples; i++)
		sample_free(&d->samples[i]);
	free(d->samples);
	memset(d, 0, sizeof *d);
}

const struct prom_family *
prom_family_find(const struct prom_doc *d, const char *name)
{
	return family_get((struct prom_doc *)d, name);
}

const struct prom_sample *
prom_find(const struct prom_doc *d, const char *name, const char *labels)
{
	for (size_t i = 0; i < d->n_samples; i++) {
		const struct prom_sample *s = &d->samples[i];
		char *copy, *save = NULL;
		size_t want = 0;
		bool ok = true;

		if (strcmp(s->name, name) != 0)
			continue;
		copy = pcb_xstrdup(labels);
		for (char *kv = strtok_r(copy, ",", &save); kv != NULL && ok;
		    kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			const char *v;
			if (eq == NULL) {
				ok = false;
				break;
			}
			*eq = '\0';
			v = label_get(s, kv);
			ok = v != NULL && strcmp(v, eq + 1) == 0;
			want++;
		}
		free(copy);
		if (ok && want == s->n_labels)
			return s;
	}
	return NULL;
}

double
prom_value(const struct prom_doc *d, const char *name, const char *labels)
{
	const struct prom_sample *s = prom_find(d, name, labels);

	return s != NULL ? s->value : NAN;
}
