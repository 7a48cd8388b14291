/* ignore.c — .pcbignore / .dockerignore patterns with Docker's semantics.
 *
 * A pattern is Go filepath.Match syntax (*, ?, [classes], '\' escapes; '*' and '?' never cross
 * '/') plus "**", which matches any number of directories. Patterns are cleaned like Docker does
 * (filepath.Clean, leading '/' dropped), "!pat" re-includes, the last matching pattern wins, and
 * a pattern matching a directory excludes everything below it. Because of that last rule a walker
 * has to enter an excluded directory when an exception may re-include something inside it, so
 * pcb_ignore_match() answers "not excluded" for such a directory. */
#include "python/project.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds: an ignore file is user input. */
#define IGNORE_FILE_MAX (1024 * 1024)
#define IGNORE_PATTERNS_MAX 10000
#define IGNORE_PATTERN_LEN_MAX 4096
/* Backtracking budget per match: a pathological pattern ("*a*a*a*…") gives up (no match)
 * instead of burning CPU for minutes. Real patterns use a few dozen steps. */
#define MATCH_BUDGET 200000

struct ignore_pat {
	char *pat;      /* cleaned, without the '!' */
	bool exception; /* "!pat" */
	size_t line;    /* in its file, for explanations (0: not from a file) */
};

struct pcb_ignore {
	struct ignore_pat *v;
	size_t n;
	bool has_exceptions;
	char source[64];   /* ".dockerignore", "pycontainer.toml [build].exclude", … or "" */
};

/* Decodes one UTF-8 sequence so that '?' and classes consume characters, not bytes, as Go does.
 * Invalid bytes count as one character each. */
static size_t
utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i;
	uint32_t c;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		len = 2;
		c = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		len = 3;
		c = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		len = 4;
		c = u[0] & 0x07;
	} else {
		*cp = u[0];
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = u[0];
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	*cp = c;
	return len;
}

/* Reads one class character (with '\' escape) at *p. Returns false on a malformed class. */
static bool
class_char(const char **p, uint32_t *c)
{
	const char *q = *p;

	if (*q == '\0' || *q == '-' || *q == ']')
		return false;
	if (*q == '\\') {
		q++;
		if (*q == '\0')
			return false;
	}
	q += utf8_next(q, c);
	*p = q;
	return true;
}

/* Matches the class starting just after '[' against character c. *p is left after the ']'.
 * Returns -1 for a malformed class, else 1 (matches) or 0. */
static int
class_match(const char **p, uint32_t c)
{
	const char *q = *p;
	bool neg = false, hit = false;
	int nrange = 0;
	uint32_t lo, hi;

	if (*q == '^' || *q == '!') {
		neg = true;
		q++;
	}
	for (;;) {
		if (*q == ']' && nrange > 0) {
			q++;
			break;
		}
		if (!class_char(&q, &lo))
			return -1;
		hi = lo;
		if (*q == '-') {
			q++;
			if (!class_char(&q, &hi))
				return -1;
		}
		if (lo <= c && c <= hi)
			hit = true;
		nrange++;
	}
	*p = q;
	return hit != neg;
}

/* Checks the syntax Go's filepath.Match would reject: unterminated or empty classes, a bad
 * range, a trailing '\'. */
static bool
pattern_valid(const char *p)
{
	while (*p != '\0') {
		if (*p == '\\') {
			if (p[1] == '\0')
				return false;
			p += 2;
		} else if (*p == '[') {
			p++;
			if (class_match(&p, 0) < 0)
				return false;
		} else {
			p++;
		}
	}
	return true;
}

/* Recursive matcher over the whole (slash-separated) path. */
static bool
match_at(const char *p, const char *s, long *budget)
{
	uint32_t c;
	size_t n;
	int r;

	for (;;) {
		if (--*budget < 0)
			return false;
		if (*p == '\0')
			return *s == '\0';
		if (p[0] == '*' && p[1] == '*') {
			/* "**", with an optional '/' after it, matches the empty string or any string
			 * ending in '/' (any number of whole directories); at the end it matches all. */
			p += 2;
			if (*p == '/')
				p++;
			if (*p == '\0')
				return true;
			if (match_at(p, s, budget))
				return true;
			for (; *s != '\0'; s++) {
				if (*s == '/' && match_at(p, s + 1, budget))
					return true;
			}
			return false;
		}
		if (*p == '*') {
			p++;
			for (;;) {
				if (match_at(p, s, budget))
					return true;
				if (*s == '\0' || *s == '/')
					return false;
				s++;
			}
		}
		if (*s == '\0')
			return false;
		if (*p == '?') {
			if (*s == '/')
				return false;
			p++;
			s += utf8_next(s, &c);
			continue;
		}
		if (*p == '[') {
			if (*s == '/')
				return false;
			n = utf8_next(s, &c);
			p++;
			r = class_match(&p, c);
			if (r <= 0)
				return false;
			s += n;
			continue;
		}
		if (*p == '\\')
			p++;
		if (*p != *s)
			return false;
		p++;
		s++;
	}
}

static bool
pattern_match(const char *pat, const char *path)
{
	long budget = MATCH_BUDGET;

	return match_at(pat, path, &budget);
}

/* Go's filepath.Clean for slash paths, in place: collapses "//", drops "." elements, resolves
 * ".." where it can, removes a trailing '/'. An empty result becomes ".". */
static void
clean_path(char *path)
{
	bool rooted = path[0] == '/';
	char *out = path, *r = path;
	size_t dotdot = 0;   /* out position below which ".." cannot back up */

	if (rooted) {
		r++;
		out++;
		dotdot = 1;
	}
	while (*r != '\0') {
		if (*r == '/') {
			r++;
		} else if (r[0] == '.' && (r[1] == '/' || r[1] == '\0')) {
			r++;
		} else if (r[0] == '.' && r[1] == '.' && (r[2] == '/' || r[2] == '\0')) {
			r += 2;
			if ((size_t)(out - path) > dotdot) {
				out--;
				while ((size_t)(out - path) > dotdot && *out != '/')
					out--;
			} else if (!rooted) {
				if (out != path)
					*out++ = '/';
				*out++ = '.';
				*out++ = '.';
				dotdot = (size_t)(out - path);
			}
		} else {
			if ((rooted && (size_t)(out - path) != 1) || (!rooted && out != path))
				*out++ = '/';
			while (*r != '\0' && *r != '/')
				*out++ = *r++;
		}
	}
	if (out == path)
		*out++ = '.';
	*out = '\0';
}

static void
ignore_add(struct pcb_ignore *ig, const char *line, size_t len, size_t lineno, bool *bad)
{
	char *pat;
	bool exception = false;

	*bad = false;
	if (ig->n >= IGNORE_PATTERNS_MAX || len > IGNORE_PATTERN_LEN_MAX) {
		*bad = true;
		return;
	}
	if (len > 0 && line[0] == '!') {
		exception = true;
		line++;
		len--;
		while (len > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			len--;
		}
	}
	if (len == 0)
		return;
	pat = pcb_xstrndup(line, len);
	clean_path(pat);
	if (pat[0] == '/' && pat[1] != '\0')
		memmove(pat, pat + 1, strlen(pat));
	if (!pattern_valid(pat)) {
		free(pat);
		*bad = true;
		return;
	}
	ig->v = pcb_xrealloc(ig->v, (ig->n + 1) * sizeof *ig->v);
	ig->v[ig->n].pat = pat;
	ig->v[ig->n].exception = exception;
	ig->v[ig->n].line = lineno;
	ig->n++;
	if (exception)
		ig->has_exceptions = true;
}

/* Parses the file text; `name` (may be NULL) enables error reporting for bad lines, otherwise
 * bad lines are dropped. */
static int
ignore_parse(const char *text, const char *name, struct pcb_ignore **out, struct pcb_err *err)
{
	struct pcb_ignore *ig = pcb_xcalloc(1, sizeof *ig);
	const char *line = text, *end;
	size_t len, lineno = 0;
	bool bad;
	int rc = 0;

	if (name != NULL)
		snprintf(ig->source, sizeof ig->source, "%s", name);

	/* A UTF-8 byte order mark is dropped, as Docker does. */
	if (strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (*line != '\0') {
		lineno++;
		end = strchr(line, '\n');
		len = end != NULL ? (size_t)(end - line) : strlen(line);
		/* Docker: a comment is a line whose very first character is '#'; trimming comes after. */
		if (line[0] != '#') {
			const char *a = line;
			size_t l = len;
			while (l > 0 && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\v' || *a == '\f')) {
				a++;
				l--;
			}
			while (l > 0 && (a[l - 1] == ' ' || a[l - 1] == '\t' || a[l - 1] == '\r' ||
			    a[l - 1] == '\v' || a[l - 1] == '\f'))
				l--;
			if (l > 0) {
				ignore_add(ig, a, l, name != NULL ? lineno : 0, &bad);
				if (bad && name != NULL) {
					rc = pcb_err_set(err, PCB_EINVAL, "%s: line %zu: bad pattern '%.*s'",
					    name, lineno, (int)(l > 200 ? 200 : l), a);
					goto out;
				}
			}
		}
		if (end == NULL)
			break;
		line = end + 1;
	}
out:
	if (rc != 0) {
		pcb_ignore_destroy(ig);
		ig = NULL;
	}
	*out = ig;
	return rc;
}

struct pcb_ignore *
pcb_ignore_from_text(const char *text)
{
	struct pcb_ignore *ig = NULL;

	ignore_parse(text != NULL ? text : "", NULL, &ig, NULL);
	return ig;
}

int
pcb_ignore_load(const char *context, struct pcb_ignore **out, struct pcb_err *err)
{
	static const char *const names[] = { ".pcbignore", ".dockerignore" };
	struct pcb_ignore *ig = NULL;
	char *path = NULL, *text = NULL;
	size_t i, len;
	int rc = 0;

	for (i = 0; i < PCB_ARRAY_LEN(names); i++) {
		free(path);
		path = pcb_path_join(context, names[i]);
		rc = pcb_read_file(path, IGNORE_FILE_MAX, &text, &len, err);
		if (rc == PCB_ENOENT) {
			rc = 0;
			continue;
		}
		if (rc != 0) {
			pcb_err_prefix(err, "reading %s", names[i]);
			goto out;
		}
		if (memchr(text, '\0', len) != NULL) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: contains a NUL byte", names[i]);
			goto out;
		}
		rc = ignore_parse(text, names[i], &ig, err);
		goto out;
	}
	ig = pcb_xcalloc(1, sizeof *ig);
out:
	free(path);
	free(text);
	if (rc == 0)
		*out = ig;
	return rc;
}

/* Could exception pattern `pat` match something strictly below directory `dir`? Compares the
 * pattern one element at a time with the directory's elements; "**" anywhere means "maybe". */
static bool
exception_may_match_below(const char *pat, const char *dir)
{
	const char *p = pat, *d = dir, *pe, *de;
	char *pc, *dc;
	bool ok;

	for (;;) {
		/* Find the end of this pattern element (an escaped '/' does not end it). */
		for (pe = p; *pe != '\0' && *pe != '/'; pe++) {
			if (*pe == '\\' && pe[1] != '\0')
				pe++;
		}
		if (pe - p >= 2 && memmem(p, (size_t)(pe - p), "**", 2) != NULL)
			return true;
		if (*d == '\0')
			return true;   /* the directory is a proper prefix of the pattern */
		if (*pe == '\0')
			return false;  /* the pattern ends at or above the directory's depth */
		de = strchr(d, '/');
		if (de == NULL)
			de = d + strlen(d);
		pc = pcb_xstrndup(p, (size_t)(pe - p));
		dc = pcb_xstrndup(d, (size_t)(de - d));
		ok = pattern_match(pc, dc);
		free(pc);
		free(dc);
		if (!ok)
			return false;
		p = pe + 1;
		d = *de == '/' ? de + 1 : de;
	}
}

/* The rule that excludes relpath: its index + 1, or 0 when relpath is not excluded. */
static size_t
match_rule(const struct pcb_ignore *ig, const char *relpath, bool is_dir)
{
	char *path;
	char *slash;
	size_t i, rule = 0;
	bool m;

	if (ig == NULL || ig->n == 0)
		return 0;
	path = pcb_xstrdup(relpath);
	clean_path(path);
	if (path[0] == '/')
		memmove(path, path + 1, strlen(path));
	for (i = 0; i < ig->n; i++) {
		/* Last match wins, so a pattern that cannot change the verdict is skipped. */
		if (ig->v[i].exception != (rule != 0))
			continue;
		m = pattern_match(ig->v[i].pat, path);
		/* Then the parents: a pattern that matches a directory covers all below it. */
		for (slash = strchr(path, '/'); !m && slash != NULL; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			m = pattern_match(ig->v[i].pat, path);
			*slash = '/';
		}
		if (m)
			rule = ig->v[i].exception ? 0 : i + 1;
	}
	if (rule != 0 && is_dir && ig->has_exceptions) {
		for (i = 0; i < ig->n; i++) {
			if (ig->v[i].exception && exception_may_match_below(ig->v[i].pat, path)) {
				rule = 0;
				break;
			}
		}
	}
	free(path);
	return rule;
}

bool
pcb_ignore_match(const struct pcb_ignore *ig, const char *relpath, bool is_dir)
{
	return match_rule(ig, relpath, is_dir) != 0;
}

bool
pcb_ignore_explain(const struct pcb_ignore *ig, const char *relpath, bool is_dir, char *why,
    size_t why_len)
{
	size_t rule = match_rule(ig, relpath, is_dir);
	const struct ignore_pat *r;

	if (rule == 0)
		return false;
	r = &ig->v[rule - 1];
	if (r->line > 0)
		snprintf(why, why_len, "%s line %zu: %s", ig->source[0] ? ig->source : "patterns",
		    r->line, r->pat);
	else
		snprintf(why, why_len, "%s: %s", ig->source[0] ? ig->source : "patterns", r->pat);
	return true;
}

void
pcb_ignore_set_source(struct pcb_ignore *ig, const char *source)
{
	if (ig != NULL)
		snprintf(ig->source, sizeof ig->source, "%s", source);
}

void
pcb_ignore_destroy(struct pcb_ignore *ig)
{
	size_t i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->n; i++)
		free(ig->v[i].pat);
	free(ig->v);
	free(ig);
}
