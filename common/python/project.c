/* project.c — Python project discovery: metadata from pyproject.toml (PEP 621 [project],
 * [tool.poetry], the dynamic version as Hatch, PDM or setuptools write it), setup.cfg (a small
 * INI reader) and requirements*.txt, each value with where it came from; requires-python (PEP
 * 440, Poetry's ^ and ~) to a Python minor; the import package and layout (src, flat, app,
 * namespace packages, single modules); the top-level paths that go into the image; the web
 * framework (framework.c) and the command that starts the app; the project's build config
 * (config.c). Also the include/exclude filter used while packing (built-in excludes +
 * ignore-file patterns, see ignore.c, + the config's exclude patterns). */
#include "python/project.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "python/framework.h"
#include "python/pyscan.h"
#include "python/toml.h"

#define PYPROJECT "pyproject.toml"
#define PYPROJECT_MAX (16 * 1024 * 1024)
/* A context folder with more top-level entries than this is almost surely the wrong folder. */
#define TOPLEVEL_MAX 100000
#define SCRIPT_TARGET_MAX 1024
#define REQUIRES_PYTHON_MAX 1024
#define SPEC_CLAUSES_MAX 32

/* The Python minors an image can be built for, oldest first: requires-python picks the lowest
 * one it allows. */
#define PY_MINOR_LOW PCB_PY_MINOR_LOW
#define PY_MINOR_HIGH PCB_PY_MINOR_HIGH

/* Scripts tables: the pyproject ones borrowed from p->pyproject, setup_cfg owned. */
struct scripts {
	json_object *project;   /* [project.scripts] or NULL */
	json_object *poetry;    /* [tool.poetry.scripts] or NULL */
	json_object *setup_cfg; /* setup.cfg [options.entry_points] console_scripts or NULL */
	json_object *setup_py;  /* setup.py entry_points console_scripts, read statically */
};

/* ---- pyproject.toml access with typed errors ---- */

/* The line where [where].key was defined in pyproject.toml (where is a dotted table path such
 * as "tool.poetry.scripts"; NULL for a top-level key); 0 when unknown. */
static int
py_line(const struct pcb_toml_locs *locs, const char *where, const char *key)
{
	const char *path[16];
	char buf[256];
	size_t n = 0;

	if (locs == NULL)
		return 0;
	snprintf(buf, sizeof buf, "%s", where != NULL ? where : "");
	for (char *s = buf; where != NULL && n < PCB_ARRAY_LEN(path) - 1;) {
		char *dot = strchr(s, '.');
		path[n++] = s;
		if (dot == NULL)
			break;
		*dot = '\0';
		s = dot + 1;
	}
	if (key != NULL)
		path[n++] = key;
	return pcb_toml_locs_line(locs, path, n, NULL);
}

/* "pyproject.toml: line L: [where].key <what>" — the form of every pyproject error. */
static int
py_fail(const struct pcb_toml_locs *locs, struct pcb_err *err, const char *where,
    const char *key, const char *what)
{
	char line[32] = "";
	int l = py_line(locs, where, key);

	if (l > 0)
		snprintf(line, sizeof line, "line %d: ", l);
	if (where == NULL)
		return pcb_err_set(err, PCB_EINVAL, PYPROJECT ": %s[%s] %s", line, key, what);
	if (key == NULL)
		return pcb_err_set(err, PCB_EINVAL, PYPROJECT ": %s[%s] %s", line, where, what);
	return pcb_err_set(err, PCB_EINVAL, PYPROJECT ": %s[%s].%s %s", line, where, key, what);
}

/* Looks up key in tbl (tbl may be NULL). *out NULL when absent. A value of the wrong json type
 * is an error naming the line, table and key, e.g.
 * "pyproject.toml: line 2: [project].name must be a string". */
static int
get_typed(const struct pcb_toml_locs *locs, json_object *tbl, const char *where,
    const char *key, json_type type, json_object **out, struct pcb_err *err)
{
	static const char *const type_names[] = {
		[json_type_null] = "null", [json_type_boolean] = "a boolean",
		[json_type_double] = "a number", [json_type_int] = "an integer",
		[json_type_object] = "a table", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};
	json_object *v = NULL;
	char what[64];
	bool ok;

	*out = NULL;
	if (tbl == NULL || !json_object_object_get_ex(tbl, key, &v) || v == NULL)
		return 0;
	ok = json_object_get_type(v) == type;
	/* TOML dates arrive as tagged strings: they are not the text the key wants. */
	if (ok && type == json_type_string && pcb_toml_type_of(v) != PCB_TOML_NONE)
		ok = false;
	if (!ok) {
		snprintf(what, sizeof what, "must be %s", type_names[type]);
		return py_fail(locs, err, where, key, what);
	}
	*out = v;
	return 0;
}

/* A string value, borrowed, or NULL when absent. */
static int
get_str(const struct pcb_toml_locs *locs, json_object *tbl, const char *where, const char *key,
    const char **out, struct pcb_err *err)
{
	json_object *v;
	int rc = get_typed(locs, tbl, where, key, json_type_string, &v, err);

	*out = rc == 0 && v != NULL ? json_object_get_string(v) : NULL;
	return rc;
}

/* Sets *dst (and its source) to the first non-NULL of the candidates a, b, c; leaves them alone
 * when all are NULL. */
static void
set_first(char **dst, char **src, const char *a, const char *sa, const char *b, const char *sb,
    const char *c, const char *sc)
{
	const char *s = a != NULL ? a : b != NULL ? b : c;
	const char *from = a != NULL ? sa : b != NULL ? sb : sc;

	if (*dst == NULL && s != NULL) {
		*dst = pcb_xstrdup(s);
		free(*src);
		*src = pcb_xstrdup(from);
	}
}

/* license = "MIT" | { text = "…" } | { file = "LICENSE" } (PEP 621). */
static int
get_license(const struct pcb_toml_locs *locs, json_object *tbl, const char *where,
    const char **out, struct pcb_err *err)
{
	json_object *v = NULL;
	const char *s = NULL;
	int rc = 0;

	*out = NULL;
	if (tbl == NULL || !json_object_object_get_ex(tbl, "license", &v) || v == NULL)
		goto out;
	if (json_object_get_type(v) == json_type_string && pcb_toml_type_of(v) == PCB_TOML_NONE) {
		s = json_object_get_string(v);
		goto out;
	}
	if (json_object_get_type(v) == json_type_object) {
		char *sub = pcb_xasprintf("%s.license", where);
		rc = get_str(locs, v, sub, "text", &s, err);
		if (rc == 0 && s == NULL)
			rc = get_str(locs, v, sub, "file", &s, err);
		free(sub);
		if (rc != 0)
			goto bad;
		if (s != NULL)
			goto out;
	}
bad:
	rc = py_fail(locs, err, where, "license", "must be a string or a table with text or file");
out:
	if (rc == 0)
		*out = s;
	return rc;
}

/* ---- requires-python ---- */

struct spec_clause {
	char op[4];        /* "===", "~=", "==", "!=", "<=", ">=", "<", ">" */
	long v[3];         /* release numbers, missing ones 0 */
	int n;             /* how many were written (1..3; more are read and dropped) */
	bool wildcard;     /* ".*" suffix */
};

static int
parse_clause(const char *s, size_t len, struct spec_clause *c)
{
	static const char *const ops[] = { "===", "~=", "==", "!=", "<=", ">=", "<", ">" };
	size_t i, k, oplen = 0;

	memset(c, 0, sizeof *c);
	for (i = 0; i < PCB_ARRAY_LEN(ops); i++) {
		oplen = strlen(ops[i]);
		if (len >= oplen && memcmp(s, ops[i], oplen) == 0) {
			memcpy(c->op, ops[i], oplen + 1);
			break;
		}
	}
	if (i == PCB_ARRAY_LEN(ops))
		return -1;
	s += oplen;
	len -= oplen;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	for (k = 0;; k++) {
		long x = 0;
		size_t digits = 0;

		while (len > 0 && isdigit((unsigned char)*s)) {
			if (++digits > 6)
				return -1;
			x = x * 10 + (*s - '0');
			s++;
			len--;
		}
		if (digits == 0)
			return -1;
		if (k < 3) {
			c->v[k] = x;
			c->n = (int)k + 1;
		}
		if (len >= 2 && s[0] == '.' && s[1] == '*') {
			s += 2;
			len -= 2;
			c->wildcard = true;
			break;
		}
		if (len >= 2 && s[0] == '.' && isdigit((unsigned char)s[1])) {
			s++;
			len--;
			continue;
		}
		break;
	}
	/* Pre/post/dev/local tags ("rc1", ".post2", "+local") do not change the minor; anything
	 * else after the numbers ("3.x") is not a version. */
	if (c->wildcard && len > 0)
		return -1;
	if (len > 0) {
		const char *t = s;
		if ((*t == '.' || *t == '-' || *t == '_') && len > 1)
			t++;
		if (strchr("abcrpd+", *t) == NULL && !(t > s && isdigit((unsigned char)*t)))
			return -1;
	}
	for (; len > 0; s++, len--) {
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '+' && *s != '-' && *s != '_')
			return -1;
	}
	if (c->wildcard && strcmp(c->op, "==") != 0 && strcmp(c->op, "!=") != 0)
		return -1;
	if (strcmp(c->op, "~=") == 0 && c->n < 2)
		return -1;
	return 0;
}

/* Does 3.<minor> (any patch release of it) satisfy the clause? Versions are compared at minor
 * granularity because an image gets one minor's latest patch release. */
static bool
clause_allows(const struct spec_clause *c, long minor)
{
	long cmp = c->v[0] != 3 ? 3 - c->v[0] : minor - c->v[1];
	const char *op = c->op;

	if (strcmp(op, ">=") == 0)
		return cmp >= 0;
	if (strcmp(op, ">") == 0)
		return c->n >= 3 ? cmp >= 0 : cmp > 0;
	if (strcmp(op, "<=") == 0)
		return cmp <= 0;
	if (strcmp(op, "<") == 0)
		return c->n >= 3 && c->v[2] > 0 ? cmp <= 0 : cmp < 0;
	if (strcmp(op, "==") == 0 || strcmp(op, "===") == 0) {
		if (c->wildcard && c->n == 1)
			return c->v[0] == 3;
		return cmp == 0;
	}
	if (strcmp(op, "!=") == 0) {
		if (!c->wildcard)
			return true;   /* excludes one release, not a whole minor */
		return c->n == 1 ? c->v[0] != 3 : cmp != 0;
	}
	/* "~=": compatible release. */
	if (c->n == 2)
		return cmp >= 0 && c->v[0] == 3;
	return cmp == 0;
}

/* The minors (bit m - PY_MINOR_LOW) that one PEP 440 clause allows. */
static unsigned
clause_mask(const struct spec_clause *c)
{
	unsigned mask = 0;

	for (long m = PY_MINOR_LOW; m <= PY_MINOR_HIGH; m++)
		if (clause_allows(c, m))
			mask |= 1u << (m - PY_MINOR_LOW);
	return mask;
}

#define ALL_MINORS ((1u << (PY_MINOR_HIGH - PY_MINOR_LOW + 1)) - 1)

/* One Poetry constraint term: "^3.11" (>=3.11,<4), "~3.11" (>=3.11,<3.12), "~3" (>=3,<4),
 * "3.11" (==3.11), "3.11.*", "*", or any PEP 440 clause. */
static int
poetry_term_mask(const char *s, size_t len, unsigned *mask)
{
	struct spec_clause lo, hi;
	char buf[64];

	if (len == 1 && s[0] == '*') {
		*mask = ALL_MINORS;
		return 0;
	}
	if (len + 3 > sizeof buf)
		return -1;
	if (s[0] == '^' || (s[0] == '~' && (len < 2 || s[1] != '='))) {
		snprintf(buf, sizeof buf, ">=%.*s", (int)(len - 1), s + 1);
		if (parse_clause(buf, strlen(buf), &lo) != 0 || lo.wildcard)
			return -1;
		memset(&hi, 0, sizeof hi);
		strcpy(hi.op, "<");
		hi.n = 2;
		if (s[0] == '^') {
			/* Caret: the first non-zero component may not change. */
			if (lo.v[0] != 0) {
				hi.v[0] = lo.v[0] + 1;
				hi.n = 1;
			} else {
				hi.v[0] = 0;
				hi.v[1] = lo.v[1] + 1;
			}
		} else if (lo.n == 1) {
			hi.v[0] = lo.v[0] + 1;
			hi.n = 1;
		} else {
			hi.v[0] = lo.v[0];
			hi.v[1] = lo.v[1] + 1;
		}
		*mask = clause_mask(&lo) & clause_mask(&hi);
		return 0;
	}
	if (isdigit((unsigned char)s[0])) {
		snprintf(buf, sizeof buf, "==%.*s", (int)len, s);
		s = buf;
		len = strlen(buf);
	}
	if (parse_clause(s, len, &lo) != 0)
		return -1;
	*mask = clause_mask(&lo);
	return 0;
}

/* Poetry's python constraint: "||"-separated alternatives of ','- or space-separated terms
 * (an operator written apart from its version, ">= 3.8", is one term). */
static int
poetry_mask(const char *spec, unsigned *mask_out, const char **bad, size_t *badlen)
{
	const char *s = spec;
	unsigned any = 0;

	for (;;) {
		const char *alt_end = strstr(s, "||");
		const char *end = alt_end != NULL ? alt_end : s + strlen(s);
		unsigned all = ALL_MINORS;
		size_t terms = 0;

		while (s < end) {
			const char *t;
			char term[64];
			size_t tl = 0;
			unsigned m;

			while (s < end && (isspace((unsigned char)*s) || *s == ','))
				s++;
			if (s == end)
				break;
			t = s;
			/* operator characters, optional spaces, then the version */
			while (s < end && strchr("<>=!~^", *s) != NULL)
				s++;
			while (s > t && s < end && isspace((unsigned char)*s))
				s++;
			while (s < end && !isspace((unsigned char)*s) && *s != ',')
				s++;
			for (const char *c = t; c < s && tl < sizeof term - 1; c++)
				if (!isspace((unsigned char)*c))
					term[tl++] = *c;
			term[tl] = '\0';
			if (terms++ >= SPEC_CLAUSES_MAX || poetry_term_mask(term, tl, &m) != 0) {
				*bad = t;
				*badlen = (size_t)(s - t);
				return -1;
			}
			all &= m;
		}
		if (terms == 0) {
			*bad = s;
			*badlen = 0;
			return -1;
		}
		any |= all;
		if (alt_end == NULL)
			break;
		s = alt_end + 2;
	}
	*mask_out = any;
	return 0;
}

/* requires-python (PEP 440) or, when poetry, Poetry's python constraint → the newest known
 * minor it allows (real Dockerfiles use the newest; the build may step down to one every
 * locked wheel supports), and in *mask_out every minor it allows (bit i: 3.(LOW+i)).
 * `label` names the value in errors: "pyproject.toml: line 3: [project].requires-python
 * '>=4' excludes every known Python version (3.8 to 3.14)". */
static int
python_version_from_spec(const char *spec, bool poetry, const char *file, const char *label,
    int line, char **out, unsigned *mask_out, struct pcb_err *err)
{
	struct spec_clause c;
	const char *s = spec, *e, *bad = NULL;
	char *ver = NULL, at[32] = "";
	size_t n = 0, len, badlen = 0;
	unsigned mask = ALL_MINORS;
	int rc = 0;

	if (line > 0)
		snprintf(at, sizeof at, " line %d:", line);
	if (strlen(spec) > REQUIRES_PYTHON_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s:%s %s is too long", file, at, label);
		goto out;
	}
	if (poetry) {
		if (poetry_mask(spec, &mask, &bad, &badlen) != 0) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s:%s %s '%s': cannot read '%.*s'", file, at, label,
			    spec, (int)badlen, bad);
			goto out;
		}
		n = 1;
		goto pick;
	}
	for (;;) {
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		while (len > 0 && isspace((unsigned char)*s)) {
			s++;
			len--;
		}
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		if (len > 0) {
			if (n == SPEC_CLAUSES_MAX || parse_clause(s, len, &c) != 0) {
				rc = pcb_err_set(err, PCB_EINVAL, "%s:%s %s '%s': cannot read '%.*s'",
				    file, at, label, spec, (int)len, s);
				goto out;
			}
			mask &= clause_mask(&c);
			n++;
		} else if (e != NULL || n > 0) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s:%s %s '%s': empty clause", file, at,
			    label, spec);
			goto out;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
pick:
	if (n == 0)
		goto out;   /* "" says nothing */
	for (long minor = PY_MINOR_HIGH; minor >= PY_MINOR_LOW && ver == NULL; minor--)
		if (mask & (1u << (minor - PY_MINOR_LOW)))
			ver = pcb_xasprintf("3.%ld", minor);
	if (ver == NULL)
		rc = pcb_err_set(err, PCB_EINVAL, "%s:%s %s '%s' excludes every known Python "
		    "version (3.%d to 3.%d)", file, at, label, spec, PY_MINOR_LOW, PY_MINOR_HIGH);
	else
		*mask_out = mask & ALL_MINORS;
out:
	*out = ver;
	return rc;
}

/* ---- names ---- */

/* The import name for a distribution name: lowercase, '-' and '.' become '_'. */
static char *
normalise_name(const char *name)
{
	char *s = pcb_xstrdup(name);

	for (char *q = s; *q != '\0'; q++) {
		if (*q == '-' || *q == '.')
			*q = '_';
		else
			*q = (char)tolower((unsigned char)*q);
	}
	return s;
}

static bool
is_identifier(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* "a.b.c" with every element an identifier. */
static bool
is_dotted(const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!is_identifier(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* ---- the file system ---- */

static bool
is_type(const char *dir, const char *rel, mode_t type)
{
	char *path = pcb_path_join(dir, rel);
	struct stat st;
	bool ok = lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;

	free(path);
	return ok;
}

static bool
is_file(const char *dir, const char *rel)
{
	return is_type(dir, rel, S_IFREG);
}

static bool
is_dir(const char *dir, const char *rel)
{
	return is_type(dir, rel, S_IFDIR);
}

/* Is <dir>/<name> a package (a directory with __init__.py)? */
static bool
is_package(const char *dir, const char *name)
{
	char *rel = pcb_xasprintf("%s/__init__.py", name);
	bool ok = is_identifier(name, strlen(name)) && is_dir(dir, name) && is_file(dir, rel);

	free(rel);
	return ok;
}

/* Lists the names in a directory (no "." and ".."), unsorted. */
static int
list_dir(const char *path, struct pcb_strv *out, struct pcb_err *err)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (d == NULL)
		return pcb_err_errno(err, errno, "reading %s", path);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (out->n >= TOPLEVEL_MAX) {
			rc = pcb_err_set(err, PCB_ETOOBIG, "%s has more than %d entries", path,
			    TOPLEVEL_MAX);
			goto out;
		}
		pcb_strv_push(out, de->d_name);
		errno = 0;
	}
	if (errno != 0)
		rc = pcb_err_errno(err, errno, "reading %s", path);
out:
	closedir(d);
	return rc;
}

/* ---- files inside the context ---- */

/* Reads <context>/<rel>, refusing paths that leave the context (absolute, "..", or a symlink
 * resolving outside): a monorepo sub-project must not pick up its neighbours' files. `who`
 * names the setting that asked for the file in errors. */
static int
read_context_file(const struct pcb_project *p, const char *rel, size_t max, const char *who,
    char **out, size_t *len_out, struct pcb_err *err)
{
	char *path = NULL, *real = NULL;
	size_t clen = strlen(p->context);
	int rc = 0;

	*out = NULL;
	if (rel[0] == '\0' || rel[0] == '/' || strcmp(rel, "..") == 0 ||
	    pcb_str_has_prefix(rel, "../") || strstr(rel, "/../") != NULL ||
	    pcb_str_has_suffix(rel, "/..")) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%s' is outside the context", who, rel);
		goto out;
	}
	path = pcb_path_join(p->context, rel);
	real = realpath(path, NULL);
	if (real == NULL) {
		rc = pcb_err_errno(err, errno, "%s: '%s'", who, rel);
		goto out;
	}
	if (strncmp(real, p->context, clen) != 0 || real[clen] != '/') {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%s' is outside the context", who, rel);
		goto out;
	}
	if ((rc = pcb_read_file(real, max, out, len_out, err)) != 0)
		pcb_err_prefix(err, "%s: '%s'", who, rel);
out:
	free(path);
	free(real);
	return rc;
}

/* A file the project's settings name but that is not there is the user's mistake, not a
 * missing resource of ours: PCB_EINVAL (the message already says which file). */
static int
named_file_missing(int rc, struct pcb_err *err)
{
	if (rc == PCB_ENOENT) {
		rc = PCB_EINVAL;
		if (err != NULL)
			err->code = PCB_EINVAL;
	}
	return rc;
}

/* Finds `NAME = "text"` (also `NAME: str = 'text'`) at the start of a line of Python source:
 * how __version__ is written in practice. Returns the copied text and its line, or NULL. */
static char *
py_assignment(const char *text, const char *name, int *line_out)
{
	size_t nl = strlen(name);
	int line = 0;

	for (const char *s = text; s != NULL && *s != '\0';) {
		const char *eol = strchr(s, '\n'), *q;
		char quote;

		line++;
		if (strncmp(s, name, nl) == 0) {
			q = s + nl;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == ':') {   /* an annotation: skip to '=' on this line */
				while (*q != '\0' && *q != '\n' && *q != '=')
					q++;
			}
			if (*q == '=' && q[1] != '=') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				if (*q == '"' || *q == '\'') {
					const char *v = ++q;
					quote = q[-1];
					while (*q != '\0' && *q != '\n' && *q != quote && *q != '\\')
						q++;
					if (*q == quote && q > v && q - v < 256) {
						*line_out = line;
						return pcb_xstrndup(v, (size_t)(q - v));
					}
				}
			}
		}
		s = eol != NULL ? eol + 1 : NULL;
	}
	return NULL;
}

/* Reads `var` from a Python file inside the context. *ver NULL when the file does not assign
 * it statically; missing files are errors (the project names them). */
static int
version_from_py(struct pcb_project *p, const char *rel, const char *var, const char *who,
    char **ver, char **src, struct pcb_err *err)
{
	char *text = NULL;
	size_t len;
	int line = 0, rc;

	*ver = NULL;
	if ((rc = read_context_file(p, rel, 1024 * 1024, who, &text, &len, err)) != 0) {
		rc = named_file_missing(rc, err);
		goto out;
	}
	*ver = py_assignment(text, var, &line);
	if (*ver != NULL)
		*src = pcb_xasprintf("%s:%d %s (via %s)", rel, line, var, who);
out:
	free(text);
	return rc;
}

/* The file that defines module "a.b" (the build backend's import roots, then src/, then the
 * top): "src/a/b.py", "a/b/__init__.py"… */
static char *
module_file(const struct pcb_project *p, const char *module, size_t len)
{
	struct pcb_strv roots;
	char *path = pcb_xstrndup(module, len), *rel = NULL;

	pcb_strv_init(&roots);
	for (size_t i = 0; i < p->import_roots.n; i++)
		pcb_strv_push_owned(&roots, pcb_xasprintf("%s/", p->import_roots.v[i]));
	pcb_strv_push(&roots, "src/");
	pcb_strv_push(&roots, "");
	for (char *c = path; *c != '\0'; c++)
		if (*c == '.')
			*c = '/';
	for (size_t i = 0; i < roots.n; i++) {
		rel = pcb_xasprintf("%s%s.py", roots.v[i], path);
		if (is_type(p->context, rel, S_IFREG))
			goto out;
		free(rel);
		rel = pcb_xasprintf("%s%s/__init__.py", roots.v[i], path);
		if (is_type(p->context, rel, S_IFREG))
			goto out;
		free(rel);
		rel = NULL;
	}
out:
	pcb_strv_free(&roots);
	free(path);
	return rel;
}

/* setuptools' `attr: pkg.mod.__version__` read statically. */
static int
version_from_attr(struct pcb_project *p, const char *attr, const char *who, char **ver,
    char **src, struct pcb_err *err)
{
	const char *dot = strrchr(attr, '.');
	char *rel = NULL;
	int rc = 0;

	*ver = NULL;
	if (dot == NULL || !is_dotted(attr, strlen(attr))) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: '%s' is not module.attribute", who, attr);
		goto out;
	}
	rel = module_file(p, attr, (size_t)(dot - attr));
	if (rel == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: no module file for '%.*s' in the context (looked "
		    "in src/ and at the top)", who, (int)(dot - attr), attr);
		goto out;
	}
	rc = version_from_py(p, rel, dot + 1, who, ver, src, err);
out:
	free(rel);
	return rc;
}

/* A VERSION-style file: its text, trimmed. */
static int
version_from_file(struct pcb_project *p, const char *rel, const char *who, char **ver,
    char **src, struct pcb_err *err)
{
	char *text = NULL;
	size_t len, a = 0;
	int rc;

	*ver = NULL;
	if ((rc = read_context_file(p, rel, 4096, who, &text, &len, err)) != 0) {
		rc = named_file_missing(rc, err);
		goto out;
	}
	while (a < len && isspace((unsigned char)text[a]))
		a++;
	while (len > a && isspace((unsigned char)text[len - 1]))
		len--;
	if (len > a && memchr(text + a, '\n', len - a) == NULL) {
		*ver = pcb_xstrndup(text + a, len - a);
		*src = pcb_xasprintf("%s (via %s)", rel, who);
	}
out:
	free(text);
	return rc;
}

/* ---- setup.cfg: a small INI reader ---- */

#define SETUP_CFG "setup.cfg"
#define INI_MAX (1024 * 1024)
#define INI_ENTRIES_MAX 4096

struct ini_entry {
	char *section;   /* lowercased as written */
	char *key;       /* lowercased, as configparser does */
	char *value;     /* continuation lines joined with '\n', trimmed */
	size_t len, cap; /* value's length and allocation (it grows as a struct pcb_buf) */
	int line;
};

struct ini {
	struct ini_entry *v;
	size_t n;
};

static void
ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->v[i].section);
		free(ini->v[i].key);
		free(ini->v[i].value);
	}
	free(ini->v);
	memset(ini, 0, sizeof *ini);
}

static char *
trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return pcb_xstrndup(s, len);
}

/* configparser's dialect as setuptools uses it: [section], key = value or key: value,
 * indented continuation lines, whole-line comments with '#' or ';'. */
static int
ini_parse(const char *text, struct ini *ini, struct pcb_err *err)
{
	char *section = NULL;
	int lineno = 0, rc = 0;

	memset(ini, 0, sizeof *ini);
	for (const char *s = text; *s != '\0';) {
		const char *eol = strchr(s, '\n');
		size_t len = eol != NULL ? (size_t)(eol - s) : strlen(s);
		char *line = trimmed(s, len);

		lineno++;
		if (line[0] == '\0' || line[0] == '#' || line[0] == ';') {
			/* blank lines end nothing here: setuptools values never hold them */
		} else if (isspace((unsigned char)s[0]) && ini->n > 0 && section != NULL &&
		    strcmp(ini->v[ini->n - 1].section, section) == 0) {
			/* Appended through a buffer: joining strings again and again would be
			 * quadratic in a file of many continuation lines. */
			struct ini_entry *e = &ini->v[ini->n - 1];
			struct pcb_buf b = { e->value, e->len, e->cap, INI_MAX };
			if ((b.len > 0 && pcb_buf_append(&b, "\n", 1) != 0) ||
			    pcb_buf_append(&b, line, strlen(line)) != 0) {
				e->value = b.data;
				e->len = b.len;
				e->cap = b.cap;
				free(line);
				rc = pcb_err_set(err, PCB_ETOOBIG, SETUP_CFG ": line %d: value too long",
				    lineno);
				goto out;
			}
			e->value = b.data;
			e->len = b.len;
			e->cap = b.cap;
		} else if (line[0] == '[') {
			size_t l = strlen(line);
			if (l < 3 || line[l - 1] != ']') {
				free(line);
				rc = pcb_err_set(err, PCB_EINVAL, SETUP_CFG ": line %d: bad section header",
				    lineno);
				goto out;
			}
			free(section);
			section = trimmed(line + 1, l - 2);
		} else {
			size_t k = strcspn(line, "=:");
			struct ini_entry *e;
			if (line[k] == '\0' || k == 0 || section == NULL ||
			    ini->n >= INI_ENTRIES_MAX) {
				free(line);
				rc = pcb_err_set(err, PCB_EINVAL, SETUP_CFG ": line %d: %s", lineno,
				    section == NULL ? "a key before any [section]" :
				    ini->n >= INI_ENTRIES_MAX ? "too many keys" : "expected key = value");
				goto out;
			}
			ini->v = pcb_xrealloc(ini->v, (ini->n + 1) * sizeof *ini->v);
			e = &ini->v[ini->n++];
			e->section = pcb_xstrdup(section);
			e->key = trimmed(line, k);
			for (char *c = e->key; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
			e->value = trimmed(line + k + 1, strlen(line + k + 1));
			e->len = strlen(e->value);
			e->cap = e->len + 1;
			e->line = lineno;
		}
		free(line);
		s = eol != NULL ? eol + 1 : s + len;
	}
out:
	free(section);
	if (rc != 0)
		ini_free(ini);
	return rc;
}

/* The last value of section.key (later ones win, as in configparser), or NULL. */
static const struct ini_entry *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	for (size_t i = ini->n; i > 0; i--)
		if (strcmp(ini->v[i - 1].section, section) == 0 && strcmp(ini->v[i - 1].key, key) == 0)
			return &ini->v[i - 1];
	return NULL;
}

/* ---- dependencies ---- */

/* PEP 503: lowercase, runs of '-', '_' and '.' become one '-'. */
static char *
pep503(const char *name, size_t len)
{
	char *s = pcb_xmalloc(len + 1), *o = s;

	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c == '-' || c == '_' || c == '.') {
			if (o == s || o[-1] != '-')
				*o++ = '-';
		} else {
			*o++ = (char)tolower((unsigned char)c);
		}
	}
	*o = '\0';
	return s;
}

/* The distribution name at the start of a PEP 508 requirement, normalised; NULL when the text
 * is not a named requirement (a URL, a path, an option line). */
static char *
requirement_name(const char *s, size_t len)
{
	size_t n = 0;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (n < len && (isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '_' ||
	    s[n] == '.'))
		n++;
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return NULL;
	if (n < len && strchr(" \t[(;<>=!~@", s[n]) == NULL)
		return NULL;
	return pep503(s, n);
}

/* Notes `from` in p->dependencies_source when the list grew since `before`. */
static void
note_dep_source(struct pcb_project *p, size_t before, const char *from)
{
	char *s;

	if (p->dependencies.n == before)
		return;
	s = p->dependencies_source == NULL ? pcb_xstrdup(from) :
	    pcb_xasprintf("%s, %s", p->dependencies_source, from);
	free(p->dependencies_source);
	p->dependencies_source = s;
}

static void
add_dependency(struct pcb_project *p, const char *req, size_t len)
{
	char *name = requirement_name(req, len);
	const char *open_b = memchr(req, '[', len), *close_b;

	if (name == NULL)
		return;
	/* The extras asked for ("fastapi[standard]"): they can bring the server along. */
	close_b = open_b != NULL ? memchr(open_b, ']', len - (size_t)(open_b - req)) : NULL;
	if (close_b != NULL && memchr(req, ';', (size_t)(open_b - req)) == NULL) {
		for (const char *e = open_b + 1; e < close_b && p->dependency_extras.n < 4096;) {
			size_t n = strcspn(e, ",]");
			char *ex = requirement_name(e, n);
			if (ex != NULL) {
				char *pair = pcb_xasprintf("%s[%s]", name, ex);
				if (!pcb_strv_contains(&p->dependency_extras, pair))
					pcb_strv_push(&p->dependency_extras, pair);
				free(pair);
				free(ex);
			}
			e += n + (e[n] == ',');
		}
	}
	/* Bounded: a list this long is not a real project's, and the lookup stays cheap. */
	if (p->dependencies.n >= 4096 || pcb_strv_contains(&p->dependencies, name))
		free(name);
	else
		pcb_strv_push_owned(&p->dependencies, name);
}

/* Requirement files saved as UTF-16 (Windows editors do; pip reads them by their byte order
 * mark) become UTF-8 in place; a UTF-8 byte order mark is dropped. Characters beyond the
 * Basic Multilingual Plane are replaced by '?': names and versions are ASCII anyway. */
static void
utf16_to_utf8(char **text, size_t *len)
{
	const unsigned char *s = (const unsigned char *)*text;
	bool le, be;
	struct pcb_buf b;

	if (*len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		memmove(*text, *text + 3, *len - 3 + 1);
		*len -= 3;
		return;
	}
	le = *len >= 2 && s[0] == 0xff && s[1] == 0xfe;
	be = *len >= 2 && s[0] == 0xfe && s[1] == 0xff;
	if (!le && !be)
		return;
	pcb_buf_init(&b, *len * 2 + 16);
	for (size_t i = 2; i + 1 < *len; i += 2) {
		unsigned c = le ? (unsigned)(s[i] | s[i + 1] << 8) : (unsigned)(s[i] << 8 | s[i + 1]);
		char u[3];

		if (c == 0)
			continue;
		if (c < 0x80) {
			u[0] = (char)c;
			pcb_buf_append(&b, u, 1);
		} else if (c < 0x800) {
			u[0] = (char)(0xc0 | c >> 6);
			u[1] = (char)(0x80 | (c & 0x3f));
			pcb_buf_append(&b, u, 2);
		} else if (c >= 0xd800 && c < 0xe000) {
			pcb_buf_append(&b, "?", 1);
			if (c < 0xdc00)
				i += 2;   /* the low half of the pair */
		} else {
			u[0] = (char)(0xe0 | c >> 12);
			u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			u[2] = (char)(0x80 | (c & 0x3f));
			pcb_buf_append(&b, u, 3);
		}
	}
	free(*text);
	*text = pcb_buf_steal(&b, len);
	if (*text == NULL) {
		*text = pcb_xstrdup("");
		*len = 0;
	}
}

/* dir(of)/inc with "." and "x/.." collapsed; NULL when it climbs above the context. */
static char *
include_path(const char *of, const char *inc, size_t inc_len)
{
	const char *slash = strrchr(of, '/');
	char *joined = pcb_xasprintf("%.*s%s%.*s", slash != NULL ? (int)(slash - of) : 0, of,
	    slash != NULL ? "/" : "", (int)inc_len, inc);
	struct pcb_strv parts;
	struct pcb_buf b;
	char *save = NULL, *out = NULL;

	pcb_strv_init(&parts);
	for (char *c = strtok_r(joined, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (parts.n == 0)
				goto done;
			free(parts.v[--parts.n]);
			parts.v[parts.n] = NULL;
			continue;
		}
		pcb_strv_push(&parts, c);
	}
	pcb_buf_init(&b, PATH_MAX);
	for (size_t i = 0; i < parts.n; i++)
		pcb_buf_appendf(&b, "%s%s", i > 0 ? "/" : "", parts.v[i]);
	out = parts.n > 0 ? pcb_buf_steal(&b, NULL) : NULL;
	pcb_buf_free(&b);
done:
	pcb_strv_free(&parts);
	free(joined);
	return out;
}

/* The names a requirements file declares, and those of the files it includes with -r
 * (relative to it, inside the context, a few levels deep): the server a project lists in
 * requirements/base.txt counts as much as one in requirements.txt. -c constraint files only
 * pin versions and declare nothing. An include that cannot be read is pip's to report. */
static int
read_requirements_at(struct pcb_project *p, const char *rel, int depth, struct pcb_err *err)
{
	char *text = NULL;
	size_t len;
	int rc;

	if ((rc = read_context_file(p, rel, 1024 * 1024, rel, &text, &len, err)) != 0)
		goto out;
	utf16_to_utf8(&text, &len);
	for (const char *s = text; *s != '\0';) {
		const char *eol = strchr(s, '\n');
		size_t l = eol != NULL ? (size_t)(eol - s) : strlen(s);
		const char *hash = memchr(s, '#', l);

		if (hash != NULL)
			l = (size_t)(hash - s);
		while (l > 0 && isspace((unsigned char)*s)) {
			s++;
			l--;
		}
		while (l > 0 && isspace((unsigned char)s[l - 1]))
			l--;
		if (l > 0 && *s != '-') {
			add_dependency(p, s, l);
		} else if (depth < 4 && (pcb_str_has_prefix(s, "-r") ||
		    pcb_str_has_prefix(s, "--requirement"))) {
			size_t skip = s[1] == 'r' ? 2 : strlen("--requirement");
			char *inc;

			while (skip < l && (isspace((unsigned char)s[skip]) || s[skip] == '='))
				skip++;
			/* An include that cannot be read or leaves the context is pip's to report
			 * when it installs; discovery goes on without it. */
			inc = skip < l ? include_path(rel, s + skip, l - skip) : NULL;
			if (inc != NULL)
				(void)read_requirements_at(p, inc, depth + 1, NULL);
			free(inc);
		}
		if (eol == NULL)
			break;
		s = eol + 1;
	}
out:
	free(text);
	return rc;
}

static int
read_requirements(struct pcb_project *p, const char *rel, struct pcb_err *err)
{
	return read_requirements_at(p, rel, 0, err);
}

/* ---- the filter ---- */

/* What is never app content, with the reason the plan gives. `top` entries count only at the
 * top of the context: a package may well have a "build" or "dist" submodule. */
static const struct builtin_rule {
	const char *name;
	bool top;
	const char *why;
} builtin_rules[] = {
	{ ".git", false, "built-in: version control" },
	{ ".hg", false, "built-in: version control" },
	{ ".svn", false, "built-in: version control" },
	{ ".bzr", false, "built-in: version control" },
	{ ".venv", false, "built-in: virtual environment" },
	{ "venv", false, "built-in: virtual environment" },
	{ "__pycache__", false, "built-in: Python bytecode cache" },
	{ ".pytest_cache", false, "built-in: tool cache" },
	{ ".mypy_cache", false, "built-in: tool cache" },
	{ ".ruff_cache", false, "built-in: tool cache" },
	{ ".pytype", false, "built-in: tool cache" },
	{ ".pyre", false, "built-in: tool cache" },
	{ ".hypothesis", false, "built-in: tool cache" },
	{ ".ipynb_checkpoints", false, "built-in: tool cache" },
	{ ".tox", false, "built-in: test environments" },
	{ ".nox", false, "built-in: test environments" },
	{ "node_modules", false, "built-in: node_modules" },
	{ ".DS_Store", false, "built-in: editor and OS files" },
	{ ".idea", false, "built-in: editor and OS files" },
	{ ".vscode", false, "built-in: editor and OS files" },
	{ "dist", true, "built-in: build output" },
	{ "build", true, "built-in: build output" },
	{ ".eggs", true, "built-in: build output" },
	{ "htmlcov", true, "built-in: coverage report" },
	{ ".coverage", true, "built-in: coverage report" },
	/* The ignore files themselves are build input, not app content. */
	{ ".pcbignore", true, "built-in: ignore file" },
	{ ".dockerignore", true, "built-in: ignore file" },
};

static bool
name_in(const char *name, size_t len, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], name, len) == 0)
			return true;
	return false;
}

static bool
has_suffix_n(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* A virtual environment: the directory context/rel[0..len) holds a pyvenv.cfg. */
static bool
is_venv_dir(const struct pcb_project *p, const char *rel, size_t len)
{
	char *cfg;
	struct stat st;
	bool venv;

	if (p == NULL || p->context == NULL)
		return false;
	cfg = pcb_xasprintf("%s/%.*s/pyvenv.cfg", p->context, (int)len, rel);
	venv = stat(cfg, &st) == 0;
	free(cfg);
	return venv;
}

/* The built-in rule that leaves relpath out, or NULL. */
static const char *
builtin_excluded(const struct pcb_project *p, const char *relpath, bool dir)
{
	const char *s = relpath, *e;
	size_t len, depth = 0;
	bool last, comp_dir;

	while (*s == '/')
		s++;
	while (*s != '\0') {
		e = strchr(s, '/');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		last = e == NULL || e[1] == '\0';
		comp_dir = !last || dir;
		if (len == 0 || (len == 1 && s[0] == '.'))
			goto next;
		for (size_t i = 0; i < PCB_ARRAY_LEN(builtin_rules); i++) {
			const struct builtin_rule *r = &builtin_rules[i];
			if ((depth == 0 || !r->top) && strlen(r->name) == len &&
			    memcmp(r->name, s, len) == 0)
				return r->why;
		}
		if (comp_dir && has_suffix_n(s, len, ".egg-info"))
			return "built-in: build output";
		if (!comp_dir && (has_suffix_n(s, len, ".pyc") || has_suffix_n(s, len, ".pyo")))
			return "built-in: Python bytecode cache";
		/* Any top-level folder can be a virtualenv ("env", ".env3.11"); below the top only
		 * "env" is looked at (it is also a fine package name: only a real virtualenv, with
		 * its pyvenv.cfg, is left out). A top-level folder is judged when it is the path
		 * itself: the walk does not descend into a folder left out, so its files are never
		 * asked about, and one stat per folder is all this costs. */
		if (comp_dir && ((depth == 0 && last) || (len == 3 && memcmp(s, "env", 3) == 0)) &&
		    is_venv_dir(p, relpath, (size_t)(s + len - relpath)))
			return "built-in: virtual environment";
		depth++;
next:
		if (e == NULL)
			break;
		s = e + 1;
	}
	return NULL;
}

bool
pcb_project_filter(void *project, const char *relpath, bool is_dir_)
{
	const struct pcb_project *p = project;

	if (builtin_excluded(p, relpath, is_dir_) != NULL)
		return false;
	if (p != NULL && pcb_ignore_match(p->ignore, relpath, is_dir_))
		return false;
	if (p != NULL && pcb_ignore_match(p->extra_ignore, relpath, is_dir_))
		return false;
	return true;
}

bool
pcb_project_explain(const struct pcb_project *p, const char *relpath, bool is_dir, char *why,
    size_t why_len)
{
	const char *b = builtin_excluded(p, relpath, is_dir);

	if (b != NULL) {
		snprintf(why, why_len, "%s", b);
		return true;
	}
	return p != NULL && (pcb_ignore_explain(p->ignore, relpath, is_dir, why, why_len) ||
	    pcb_ignore_explain(p->extra_ignore, relpath, is_dir, why, why_len));
}

/* ---- discovery steps ---- */

/* [project].authors: [{ name = "…", email = "…" }, …] → "Name <email>". */
static int
read_authors_621(struct pcb_project *p, json_object *proj, struct pcb_err *err)
{
	json_object *a = NULL;
	int rc;

	if ((rc = get_typed(p->pylocs, proj, "project", "authors", json_type_array, &a, err)) != 0 ||
	    a == NULL)
		return rc;
	for (size_t i = 0; i < json_object_array_length(a) && i < 256; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		const char *name = NULL, *email = NULL;

		if (e == NULL || json_object_get_type(e) != json_type_object)
			return py_fail(p->pylocs, err, "project", "authors", "must be an array of "
			    "tables with name and/or email");
		if ((rc = get_str(p->pylocs, e, "project.authors", "name", &name, err)) != 0 ||
		    (rc = get_str(p->pylocs, e, "project.authors", "email", &email, err)) != 0)
			return rc;
		if (name != NULL && email != NULL)
			pcb_strv_push_owned(&p->authors, pcb_xasprintf("%s <%s>", name, email));
		else if (name != NULL || email != NULL)
			pcb_strv_push(&p->authors, name != NULL ? name : email);
	}
	if (p->authors.n > 0)
		p->authors_source = pcb_xstrdup(PYPROJECT " [project].authors");
	return 0;
}

/* An array of strings at [where].key, each handed to fn. */
static int
each_string(struct pcb_project *p, json_object *tbl, const char *where, const char *key,
    void (*fn)(struct pcb_project *, const char *), struct pcb_err *err)
{
	json_object *a = NULL;
	int rc;

	if ((rc = get_typed(p->pylocs, tbl, where, key, json_type_array, &a, err)) != 0 ||
	    a == NULL)
		return rc;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (e == NULL || json_object_get_type(e) != json_type_string ||
		    pcb_toml_type_of(e) != PCB_TOML_NONE)
			return py_fail(p->pylocs, err, where, key, "must be an array of strings");
		fn(p, json_object_get_string(e));
	}
	return 0;
}

static void
push_author(struct pcb_project *p, const char *s)
{
	if (p->authors.n < 256)
		pcb_strv_push(&p->authors, s);
}

/* The names [project.optional-dependencies] lists, in any extra: a server offered as an extra
 * ("webserver = [\"granian\"]") is the one the project's own image installs. */
static void
read_optional_names(struct pcb_project *p, json_object *proj)
{
	json_object *opt = NULL;

	if (proj == NULL || !json_object_object_get_ex(proj, "optional-dependencies", &opt) ||
	    !json_object_is_type(opt, json_type_object))
		return;
	json_object_object_foreach(opt, extra, list) {
		(void)extra;
		for (size_t i = 0; json_object_is_type(list, json_type_array) &&
		    i < json_object_array_length(list) && p->optional_dependencies.n < 4096; i++) {
			json_object *e = json_object_array_get_idx(list, i);
			char *name;
			if (!json_object_is_type(e, json_type_string))
				continue;
			name = requirement_name(json_object_get_string(e),
			    (size_t)json_object_get_string_len(e));
			if (name != NULL && !pcb_strv_contains(&p->optional_dependencies, name))
				pcb_strv_push_owned(&p->optional_dependencies, name);
			else
				free(name);
		}
	}
	pcb_strv_sort(&p->optional_dependencies);
}

static void
push_requirement(struct pcb_project *p, const char *s)
{
	add_dependency(p, s, strlen(s));
}

/* A dynamic version read statically from the build backend's settings: Hatch
 * ([tool.hatch.version] path), PDM ([tool.pdm.version] source = "file", path), setuptools
 * ([tool.setuptools.dynamic] version = { attr | file }). Leaves p->version NULL when none
 * applies (setuptools-scm, hatch-vcs: the version lives in git, not in the files). */
static int
read_dynamic_version(struct pcb_project *p, json_object *tool, struct pcb_err *err)
{
	json_object *hatch = NULL, *hv = NULL, *pdm = NULL, *pv = NULL, *st = NULL, *sd = NULL;
	json_object *ver = NULL;
	const char *path = NULL, *source = NULL, *attr = NULL;
	int rc;

	if ((rc = get_typed(p->pylocs, tool, "tool", "hatch", json_type_object, &hatch, err)) != 0 ||
	    (rc = get_typed(p->pylocs, hatch, "tool.hatch", "version", json_type_object, &hv,
	    err)) != 0 ||
	    (rc = get_str(p->pylocs, hv, "tool.hatch.version", "path", &path, err)) != 0)
		return rc;
	if (path != NULL)
		return version_from_py(p, path, "__version__", "[tool.hatch.version].path",
		    &p->version, &p->version_source, err);

	if ((rc = get_typed(p->pylocs, tool, "tool", "pdm", json_type_object, &pdm, err)) != 0 ||
	    (rc = get_typed(p->pylocs, pdm, "tool.pdm", "version", json_type_object, &pv,
	    err)) != 0 ||
	    (rc = get_str(p->pylocs, pv, "tool.pdm.version", "source", &source, err)) != 0 ||
	    (rc = get_str(p->pylocs, pv, "tool.pdm.version", "path", &path, err)) != 0)
		return rc;
	if (source != NULL && strcmp(source, "file") == 0) {
		if (path == NULL)
			return py_fail(p->pylocs, err, "tool.pdm.version", "path", "is needed when "
			    "source = \"file\"");
		return version_from_py(p, path, "__version__", "[tool.pdm.version].path",
		    &p->version, &p->version_source, err);
	}

	if ((rc = get_typed(p->pylocs, tool, "tool", "setuptools", json_type_object, &st,
	    err)) != 0 ||
	    (rc = get_typed(p->pylocs, st, "tool.setuptools", "dynamic", json_type_object, &sd,
	    err)) != 0 ||
	    (rc = get_typed(p->pylocs, sd, "tool.setuptools.dynamic", "version", json_type_object,
	    &ver, err)) != 0 || ver == NULL)
		return rc;
	if ((rc = get_str(p->pylocs, ver, "tool.setuptools.dynamic.version", "attr", &attr,
	    err)) != 0)
		return rc;
	if (attr != NULL)
		return version_from_attr(p, attr, "[tool.setuptools.dynamic].version",
		    &p->version, &p->version_source, err);
	{
		json_object *f = NULL;
		if (json_object_object_get_ex(ver, "file", &f) && f != NULL &&
		    json_object_get_type(f) == json_type_array && json_object_array_length(f) > 0)
			f = json_object_array_get_idx(f, 0);   /* several files: the first holds it */
		if (f == NULL || json_object_get_type(f) != json_type_string ||
		    pcb_toml_type_of(f) != PCB_TOML_NONE)
			return py_fail(p->pylocs, err, "tool.setuptools.dynamic", "version",
			    "must be a table with attr (a string) or file (a string or array)");
		return version_from_file(p, json_object_get_string(f),
		    "[tool.setuptools.dynamic].version", &p->version, &p->version_source, err);
	}
}

/* Poetry's [tool.poetry.dependencies]: keys are names, "python" is the interpreter. */
static int
read_poetry_deps(struct pcb_project *p, json_object *poetry, const char **python,
    struct pcb_err *err)
{
	json_object *deps = NULL;
	int rc;

	*python = NULL;
	if ((rc = get_typed(p->pylocs, poetry, "tool.poetry", "dependencies", json_type_object,
	    &deps, err)) != 0 || deps == NULL)
		return rc;
	if ((rc = get_str(p->pylocs, deps, "tool.poetry.dependencies", "python", python,
	    err)) != 0)
		return rc;
	json_object_object_foreach(deps, key, val) {
		json_object *ex = NULL;
		struct pcb_buf b;

		if (strcmp(key, "python") == 0)
			continue;
		/* { extras = ["standard"], version = "…" }: as "litestar[standard]". */
		pcb_buf_init(&b, 64 * 1024);
		pcb_buf_appendf(&b, "%s", key);
		if (json_object_is_type(val, json_type_object) &&
		    json_object_object_get_ex(val, "extras", &ex) &&
		    json_object_is_type(ex, json_type_array) && json_object_array_length(ex) > 0) {
			for (size_t i = 0; i < json_object_array_length(ex); i++) {
				json_object *e = json_object_array_get_idx(ex, i);
				if (json_object_is_type(e, json_type_string))
					pcb_buf_appendf(&b, "%s%s", i == 0 ? "[" : ",",
					    json_object_get_string(e));
			}
			pcb_buf_appendf(&b, "]");
		}
		if (b.data != NULL)
			add_dependency(p, b.data, b.len);
		pcb_buf_free(&b);
	}
	return 0;
}

static int
read_pyproject(struct pcb_project *p, struct scripts *sc, struct pcb_err *err)
{
	json_object *proj = NULL, *tool = NULL, *poetry = NULL, *dyn = NULL;
	const char *name = NULL, *version = NULL, *desc = NULL, *license = NULL, *rp = NULL;
	const char *pname = NULL, *pversion = NULL, *pdesc = NULL, *plicense = NULL;
	const char *ppython = NULL;
	char *path = NULL, *text = NULL;
	bool dynamic_version = false;
	size_t len, deps_before;
	int rc;

	path = pcb_path_join(p->context, PYPROJECT);
	rc = pcb_read_file(path, PYPROJECT_MAX, &text, &len, err);
	if (rc == PCB_ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc != 0) {
		pcb_err_prefix(err, "reading " PYPROJECT);
		goto out;
	}
	if ((rc = pcb_toml_parse_locs(text, len, PYPROJECT, &p->pyproject, &p->pylocs, err)) != 0)
		goto out;

	if ((rc = get_typed(p->pylocs, p->pyproject, NULL, "project", json_type_object, &proj,
	    err)) != 0 ||
	    (rc = get_typed(p->pylocs, p->pyproject, NULL, "tool", json_type_object, &tool,
	    err)) != 0 ||
	    (rc = get_typed(p->pylocs, tool, "tool", "poetry", json_type_object, &poetry,
	    err)) != 0)
		goto out;

	if ((rc = get_str(p->pylocs, proj, "project", "name", &name, err)) != 0 ||
	    (rc = get_str(p->pylocs, proj, "project", "version", &version, err)) != 0 ||
	    (rc = get_str(p->pylocs, proj, "project", "description", &desc, err)) != 0 ||
	    (rc = get_license(p->pylocs, proj, "project", &license, err)) != 0 ||
	    (rc = get_str(p->pylocs, proj, "project", "requires-python", &rp, err)) != 0 ||
	    (rc = get_typed(p->pylocs, proj, "project", "dynamic", json_type_array, &dyn,
	    err)) != 0 ||
	    (rc = get_typed(p->pylocs, proj, "project", "scripts", json_type_object, &sc->project,
	    err)) != 0 ||
	    (rc = read_authors_621(p, proj, err)) != 0 ||
	    (rc = each_string(p, proj, "project", "dependencies", push_requirement, err)) != 0)
		goto out;
	note_dep_source(p, 0, PYPROJECT " [project].dependencies");
	read_optional_names(p, proj);
	deps_before = p->dependencies.n;
	if ((rc = get_str(p->pylocs, poetry, "tool.poetry", "name", &pname, err)) != 0 ||
	    (rc = get_str(p->pylocs, poetry, "tool.poetry", "version", &pversion, err)) != 0 ||
	    (rc = get_str(p->pylocs, poetry, "tool.poetry", "description", &pdesc, err)) != 0 ||
	    (rc = get_license(p->pylocs, poetry, "tool.poetry", &plicense, err)) != 0 ||
	    (rc = get_typed(p->pylocs, poetry, "tool.poetry", "scripts", json_type_object,
	    &sc->poetry, err)) != 0 ||
	    (rc = read_poetry_deps(p, poetry, &ppython, err)) != 0)
		goto out;
	note_dep_source(p, deps_before, PYPROJECT " [tool.poetry.dependencies]");
	if (p->authors.n == 0) {
		if ((rc = each_string(p, poetry, "tool.poetry", "authors", push_author, err)) != 0)
			goto out;
		if (p->authors.n > 0)
			p->authors_source = pcb_xstrdup(PYPROJECT " [tool.poetry].authors");
	}

	if (dyn != NULL) {
		for (size_t i = 0; i < json_object_array_length(dyn); i++) {
			json_object *d = json_object_array_get_idx(dyn, i);
			if (json_object_get_type(d) != json_type_string) {
				rc = py_fail(p->pylocs, err, "project", "dynamic", "must be an array of "
				    "strings");
				goto out;
			}
			if (strcmp(json_object_get_string(d), "version") == 0)
				dynamic_version = true;
		}
	}
	if (dynamic_version && version != NULL) {
		rc = py_fail(p->pylocs, err, "project", "version", "is set and also listed in "
		    "[project].dynamic");
		goto out;
	}

	set_first(&p->name, &p->name_source, name, PYPROJECT " [project].name", pname,
	    PYPROJECT " [tool.poetry].name", NULL, NULL);
	/* A dynamic version is computed by the build backend: read it where the backend's
	 * settings say it is written, or leave it unknown (setuptools-scm …). Poetry's own version
	 * is then a placeholder (poetry-dynamic-versioning writes 0.0.0). */
	if (dynamic_version) {
		if ((rc = read_dynamic_version(p, tool, err)) != 0)
			goto out;
	} else {
		set_first(&p->version, &p->version_source, version, PYPROJECT " [project].version",
		    pversion, PYPROJECT " [tool.poetry].version", NULL, NULL);
	}
	set_first(&p->description, &p->description_source, desc,
	    PYPROJECT " [project].description", pdesc, PYPROJECT " [tool.poetry].description",
	    NULL, NULL);
	set_first(&p->license, &p->license_source, license, PYPROJECT " [project].license",
	    plicense, PYPROJECT " [tool.poetry].license", NULL, NULL);
	if (rp != NULL) {
		rc = python_version_from_spec(rp, false, PYPROJECT, "[project].requires-python",
		    py_line(p->pylocs, "project", "requires-python"), &p->python_version,
		    &p->python_minors, err);
		if (rc == 0 && p->python_version != NULL)
			p->python_version_source = pcb_xasprintf(PYPROJECT " [project].requires-python "
			    "'%s' (the newest CPython it allows)", rp);
	} else if (ppython != NULL) {
		rc = python_version_from_spec(ppython, true, PYPROJECT,
		    "[tool.poetry.dependencies].python",
		    py_line(p->pylocs, "tool.poetry.dependencies", "python"), &p->python_version,
		    &p->python_minors, err);
		if (rc == 0 && p->python_version != NULL)
			p->python_version_source = pcb_xasprintf(PYPROJECT " [tool.poetry.dependencies]"
			    ".python '%s' (the newest CPython it allows)", ppython);
	}
out:
	free(path);
	free(text);
	return rc;
}

/* setup.cfg: what pyproject.toml did not say. [metadata] name, version (also "attr: m.v" and
 * "file: VERSION"), description, license, author/author_email; [options] python_requires and
 * install_requires; [options.entry_points] console_scripts (a scripts table). */
static json_object *
jpath(json_object *o, const char *const *keys)
{
	for (; *keys != NULL && o != NULL; keys++)
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, *keys, &o))
			return NULL;
	return o;
}

/* One import root, kept when it is a folder inside the context other than the top. */
static void
add_import_root(struct pcb_project *p, const char *root, size_t n)
{
	char *r;

	while (n > 0 && root[n - 1] == '/')
		n--;
	while (n >= 2 && strncmp(root, "./", 2) == 0) {
		root += 2;
		n -= 2;
	}
	if (n == 0 || (n == 1 && root[0] == '.') || root[0] == '/' || memmem(root, n, "..", 2) ||
	    p->import_roots.n >= 16)
		return;
	r = pcb_xstrndup(root, n);
	if (is_dir(p->context, r) && !pcb_strv_contains(&p->import_roots, r))
		pcb_strv_push_owned(&p->import_roots, r);
	else
		free(r);
}

/* Where the build backend takes packages from, read statically from pyproject.toml. */
static void
read_import_roots(struct pcb_project *p)
{
	json_object *v, *pp = p->pyproject;

	if (pp == NULL)
		return;
	/* setuptools: package-dir {"" = "lib"}, packages.find where = ["lib"]. */
	if ((v = jpath(pp, (const char *const[]){ "tool", "setuptools", "package-dir", "",
	    NULL })) != NULL && json_object_is_type(v, json_type_string))
		add_import_root(p, json_object_get_string(v), strlen(json_object_get_string(v)));
	if ((v = jpath(pp, (const char *const[]){ "tool", "setuptools", "packages", "find",
	    "where", NULL })) != NULL && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *w = json_object_get_string(json_object_array_get_idx(v, i));
			if (w != NULL)
				add_import_root(p, w, strlen(w));
		}
	/* Poetry: packages = [{ include = "app", from = "lib" }]. */
	if ((v = jpath(pp, (const char *const[]){ "tool", "poetry", "packages", NULL })) != NULL &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *from = jpath(json_object_array_get_idx(v, i),
			    (const char *const[]){ "from", NULL });
			if (from != NULL && json_object_is_type(from, json_type_string))
				add_import_root(p, json_object_get_string(from),
				    strlen(json_object_get_string(from)));
		}
	/* Hatch: [tool.hatch.build.targets.wheel] packages = ["src/py/app"]: the parent. */
	if ((v = jpath(pp, (const char *const[]){ "tool", "hatch", "build", "targets", "wheel",
	    "packages", NULL })) != NULL && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *pk = json_object_get_string(json_object_array_get_idx(v, i));
			const char *slash = pk != NULL ? strrchr(pk, '/') : NULL;
			if (slash != NULL)
				add_import_root(p, pk, (size_t)(slash - pk));
		}
	/* PDM: [tool.pdm.build] package-dir = "lib". */
	if ((v = jpath(pp, (const char *const[]){ "tool", "pdm", "build", "package-dir",
	    NULL })) != NULL && json_object_is_type(v, json_type_string))
		add_import_root(p, json_object_get_string(v), strlen(json_object_get_string(v)));
}

/* Pipfile's [packages] names count as declared dependencies (the server a Pipenv project
 * lists picks the command). A Pipfile that does not parse is pipenv's to report. */
static void
read_pipfile(struct pcb_project *p)
{
	char *path = pcb_path_join(p->context, "Pipfile");
	json_object *doc = NULL, *pkgs = NULL;
	size_t before = p->dependencies.n;

	if (is_file(p->context, "Pipfile") && pcb_toml_parse_file(path, &doc, NULL) == 0 &&
	    json_object_object_get_ex(doc, "packages", &pkgs) &&
	    json_object_is_type(pkgs, json_type_object)) {
		json_object_object_foreach(pkgs, name, v) {
			(void)v;
			add_dependency(p, name, strlen(name));
		}
		note_dep_source(p, before, "Pipfile [packages]");
	}
	json_object_put(doc);
	free(path);
}

static int
read_setup_cfg(struct pcb_project *p, struct scripts *sc, struct pcb_err *err)
{
	const struct ini_entry *e;
	struct ini ini = { NULL, 0 };
	char *text = NULL, *src = NULL, *ver = NULL;
	size_t len;
	int rc;

	rc = read_context_file(p, SETUP_CFG, INI_MAX, SETUP_CFG, &text, &len, err);
	if (rc == PCB_ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc != 0 || (rc = ini_parse(text, &ini, err)) != 0)
		goto out;
	if ((e = ini_get(&ini, "metadata", "name")) != NULL && e->value[0] != '\0' &&
	    p->name == NULL) {
		p->name = pcb_xstrdup(e->value);
		p->name_source = pcb_xstrdup(SETUP_CFG " [metadata].name");
	}
	if ((e = ini_get(&ini, "metadata", "version")) != NULL && e->value[0] != '\0' &&
	    p->version == NULL && p->version_source == NULL) {
		char *who = pcb_xasprintf(SETUP_CFG ": line %d: [metadata].version", e->line);
		if (pcb_str_has_prefix(e->value, "attr:")) {
			char *attr = trimmed(e->value + 5, strlen(e->value + 5));
			rc = version_from_attr(p, attr, who, &ver, &src, err);
			free(attr);
		} else if (pcb_str_has_prefix(e->value, "file:")) {
			char *f = trimmed(e->value + 5, strcspn(e->value + 5, ",\n"));
			rc = version_from_file(p, f, who, &ver, &src, err);
			free(f);
		} else {
			ver = pcb_xstrdup(e->value);
			src = pcb_xstrdup(SETUP_CFG " [metadata].version");
		}
		free(who);
		if (rc != 0)
			goto out;
		p->version = ver;
		p->version_source = src;
		ver = src = NULL;
	}
	if ((e = ini_get(&ini, "metadata", "description")) != NULL && p->description == NULL &&
	    e->value[0] != '\0') {
		p->description = pcb_xstrdup(e->value);
		p->description_source = pcb_xstrdup(SETUP_CFG " [metadata].description");
	}
	if ((e = ini_get(&ini, "metadata", "license")) != NULL && p->license == NULL &&
	    e->value[0] != '\0') {
		p->license = pcb_xstrdup(e->value);
		p->license_source = pcb_xstrdup(SETUP_CFG " [metadata].license");
	}
	if (p->authors.n == 0 && (e = ini_get(&ini, "metadata", "author")) != NULL &&
	    e->value[0] != '\0') {
		const struct ini_entry *m = ini_get(&ini, "metadata", "author_email");
		if (m != NULL && m->value[0] != '\0')
			pcb_strv_push_owned(&p->authors, pcb_xasprintf("%s <%s>", e->value, m->value));
		else
			pcb_strv_push(&p->authors, e->value);
		p->authors_source = pcb_xstrdup(SETUP_CFG " [metadata].author");
	}
	if ((e = ini_get(&ini, "options", "python_requires")) != NULL && p->python_version == NULL &&
	    e->value[0] != '\0') {
		if ((rc = python_version_from_spec(e->value, false, SETUP_CFG,
		    "[options].python_requires", e->line, &p->python_version, &p->python_minors,
		    err)) != 0)
			goto out;
		if (p->python_version != NULL)
			p->python_version_source = pcb_xasprintf(SETUP_CFG " [options].python_requires "
			    "'%s' (the newest CPython it allows)", e->value);
	}
	if ((e = ini_get(&ini, "options", "install_requires")) != NULL) {
		size_t before = p->dependencies.n;
		for (const char *s = e->value; *s != '\0';) {
			size_t l = strcspn(s, "\n");
			const char *hash = memchr(s, '#', l);
			size_t n = hash != NULL ? (size_t)(hash - s) : l;
			add_dependency(p, s, n);
			while (n > 0 && isspace((unsigned char)s[n - 1]))
				n--;
			if (n > 0 && strspn(s, " \t") < n)
				pcb_strv_push_owned(&p->setup_requires, pcb_xstrndup(s +
				    strspn(s, " \t"), n - strspn(s, " \t")));
			s += l;
			if (*s == '\n')
				s++;
		}
		note_dep_source(p, before, SETUP_CFG " [options].install_requires");
		if (p->setup_requires.n > 0)
			p->setup_requires_from = SETUP_CFG " [options].install_requires";
	}
	if ((e = ini_get(&ini, "options.entry_points", "console_scripts")) != NULL) {
		sc->setup_cfg = json_object_new_object();
		for (const char *s = e->value; *s != '\0';) {
			size_t l = strcspn(s, "\n");
			const char *eq = memchr(s, '=', l);
			if (eq == NULL) {
				rc = pcb_err_set(err, PCB_EINVAL, SETUP_CFG ": line %d: [options.entry_points]"
				    " console_scripts: expected 'name = module:function', got '%.*s'",
				    e->line, (int)(l > 200 ? 200 : l), s);
				goto out;
			}
			{
				char *k = trimmed(s, (size_t)(eq - s));
				char *v = trimmed(eq + 1, l - (size_t)(eq + 1 - s));
				json_object_object_add(sc->setup_cfg, k, json_object_new_string(v));
				free(k);
				free(v);
			}
			s += l;
			if (*s == '\n')
				s++;
		}
	}
out:
	free(ver);
	free(src);
	free(text);
	ini_free(&ini);
	return rc;
}

/* All top-level requirements*.txt, in name order. */
static int
read_all_requirements(struct pcb_project *p, const struct pcb_strv *top, struct pcb_err *err)
{
	struct pcb_strv files;
	int rc = 0;

	pcb_strv_init(&files);
	for (size_t i = 0; i < top->n; i++)
		if (pcb_str_has_prefix(top->v[i], "requirements") &&
		    pcb_str_has_suffix(top->v[i], ".txt") && is_file(p->context, top->v[i]) &&
		    pcb_project_filter(p, top->v[i], false))
			pcb_strv_push(&files, top->v[i]);
	pcb_strv_sort(&files);
	for (size_t i = 0; i < files.n && rc == 0; i++) {
		size_t before = p->dependencies.n;
		rc = read_requirements(p, files.v[i], err);
		note_dep_source(p, before, files.v[i]);
	}
	pcb_strv_free(&files);
	return rc;
}

/* One "name = module:function" entry into tbl; false when the text is not one. */
static bool
add_script_entry(json_object *tbl, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	char *k, *v;
	bool ok;

	if (eq == NULL)
		return false;
	k = trimmed(s, (size_t)(eq - s));
	v = trimmed(eq + 1, n - (size_t)(eq + 1 - s));
	ok = k[0] != '\0' && v[0] != '\0' && strchr(k, ' ') == NULL;
	if (ok && !json_object_object_get_ex(tbl, k, NULL))
		json_object_object_add(tbl, k, json_object_new_string(v));
	free(k);
	free(v);
	return ok;
}

/* The string literals of a Python list or tuple at `at` ("[" or "("), in order, into out:
 * 0 when the list holds nothing but literals (comments and trailing commas allowed), -1 when
 * something in it is computed (a name, a call, a + or an f-string). */
static int
py_literal_list(const char *at, struct pcb_strv *out)
{
	char close = *at == '[' ? ']' : *at == '(' ? ')' : '\0';
	bool want_item = true;

	if (close == '\0')
		return -1;
	for (at++; *at != '\0'; at++) {
		if (isspace((unsigned char)*at))
			continue;
		if (*at == '#') {
			at += strcspn(at, "\n");
			if (*at == '\0')
				break;
			continue;
		}
		if (*at == close)
			return 0;
		if (*at == ',' && !want_item) {
			want_item = true;
			continue;
		}
		if ((*at == 'r' || *at == 'u' || *at == 'R' || *at == 'U') &&
		    (at[1] == '"' || at[1] == '\''))
			at++;
		if (!want_item || (*at != '"' && *at != '\'') || (at[1] == *at && at[2] == *at))
			return -1;
		{
			const char *end = at + 1;
			while (*end != '\0' && *end != *at && *end != '\n' && *end != '\\')
				end++;
			if (*end != *at)
				return -1;
			pcb_strv_push_owned(out, pcb_xstrndup(at + 1, (size_t)(end - at - 1)));
			at = end;
			want_item = false;
		}
	}
	return -1;
}

/* 1-based line of `at` in text. */
static int
line_of(const char *text, const char *at)
{
	int line = 1;

	for (const char *c = text; c < at; c++)
		line += *c == '\n';
	return line;
}

/* setup.py's install_requires, read without running it: a literal list after
 * install_requires= (or "install_requires": in a dict), or one assigned at the start of a
 * line to the name passed there (REQUIRES = [...]; install_requires=REQUIRES). Anything
 * else (read from a file, built in a loop) is computed at run time: its line is noted so a
 * build that would need it says so instead of leaving the dependencies out. setup.cfg's
 * list, read earlier, wins. */
static void
read_setup_py_requires(struct pcb_project *p, const char *text)
{
	const char *at = text;

	if (p->setup_requires_from != NULL)
		return;
	while ((at = strstr(at, "install_requires")) != NULL) {
		const char *ls = at, *v;
		struct pcb_strv lines;
		size_t before = p->dependencies.n;

		while (ls > text && ls[-1] != '\n')
			ls--;
		at += strlen("install_requires");
		if (memchr(ls, '#', (size_t)(at - ls)) != NULL ||
		    isalnum((unsigned char)*at) || *at == '_')
			continue;   /* in a comment, or a longer name */
		v = at + (*at == '"' || *at == '\'');
		v += strspn(v, " \t");
		if (*v != '=' && *v != ':')
			continue;
		if (v[0] == '=' && v[1] == '=')
			continue;
		v++;
		v += strspn(v, " \t\r\n");
		if (isalpha((unsigned char)*v) || *v == '_') {
			/* A name: its assignment at the start of a line. */
			size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_");
			const char *def = NULL;
			for (const char *d = strstr(text, "\n"); d != NULL; d = strstr(d + 1, "\n")) {
				const char *e = d + 1;
				if (strncmp(e, v, n) != 0)
					continue;
				e += n;
				e += strspn(e, " \t");
				if (*e == '=' && e[1] != '=') {
					e++;
					def = e + strspn(e, " \t");
				}
			}
			if (def == NULL && strncmp(text, v, n) == 0) {
				const char *e = text + n + strspn(text + n, " \t");
				if (*e == '=' && e[1] != '=')
					def = e + 1 + strspn(e + 1, " \t");
			}
			v = def;
		}
		pcb_strv_init(&lines);
		if (v == NULL || py_literal_list(v, &lines) != 0) {
			if (p->setup_py_dynamic_requires == 0)
				p->setup_py_dynamic_requires = line_of(text, at);
			pcb_strv_free(&lines);
			continue;
		}
		for (size_t i = 0; i < lines.n; i++) {
			add_dependency(p, lines.v[i], strlen(lines.v[i]));
			pcb_strv_push(&p->setup_requires, lines.v[i]);
		}
		pcb_strv_free(&lines);
		p->setup_py_dynamic_requires = 0;
		p->setup_requires_from = "setup.py install_requires";
		note_dep_source(p, before, "setup.py install_requires");
		pcb_strv_sort(&p->dependencies);
		return;
	}
}

/* setup.py's console scripts, read without running it: the string literals after a
 * "console_scripts" key (entry_points={"console_scripts": ["tool = pkg.cli:main"]}) or the
 * lines after "[console_scripts]" in an ini-style string. A setup.py that builds them at run
 * time gives nothing, and the other ways of finding the command apply. */
static void
read_setup_py(struct pcb_project *p, struct scripts *sc)
{
	char *text = NULL;
	const char *at;
	size_t len;

	if (!is_file(p->context, "setup.py") ||
	    read_context_file(p, "setup.py", 1024 * 1024, "setup.py", &text, &len, NULL) != 0)
		return;
	read_setup_py_requires(p, text);
	if ((at = strstr(text, "[console_scripts]")) != NULL) {
		sc->setup_py = json_object_new_object();
		for (at = strchr(at, '\n'); at != NULL && *at != '\0';) {
			size_t n;
			at++;
			n = strcspn(at, "\n");
			if (memchr(at, '[', n) != NULL || memchr(at, '"', n) != NULL ||
			    memchr(at, '\'', n) != NULL)
				break;
			if (n > 0 && strspn(at, " \t") < n)
				(void)add_script_entry(sc->setup_py, at, n);
			at += n;
		}
	} else if ((at = strstr(text, "console_scripts")) != NULL) {
		int depth = 0;

		sc->setup_py = json_object_new_object();
		at += strlen("console_scripts");
		at += strspn(at, "\"' \t\r\n:=");
		for (; *at != '\0'; at++) {
			if (*at == '[' || *at == '(')
				depth++;
			else if (*at == ']' || *at == ')' || *at == '}' || (*at == ',' && depth == 0))
				break;
			else if (*at == '"' || *at == '\'') {
				const char *end = strchr(at + 1, *at);
				if (end == NULL)
					break;
				(void)add_script_entry(sc->setup_py, at + 1, (size_t)(end - at - 1));
				at = end;
			}
			if (depth <= 0 && (*at == ']' || *at == ')'))
				break;
		}
	}
	if (sc->setup_py != NULL && json_object_object_length(sc->setup_py) == 0) {
		json_object_put(sc->setup_py);
		sc->setup_py = NULL;
	}
	free(text);
}

/* Finds the import package: the one named after the project (src/ first), else the only one. */
static void
find_package(struct pcb_project *p, const struct pcb_strv *top, bool *in_src)
{
	char *norm = normalise_name(p->name);
	char *src = pcb_path_join(p->context, "src");
	struct pcb_strv srcents;
	const char *only = NULL;
	bool only_in_src = false;
	size_t count = 0;

	pcb_strv_init(&srcents);
	*in_src = false;
	if (is_package(src, norm)) {
		p->package = pcb_xstrdup(norm);
		*in_src = true;
		goto out;
	}
	if (is_package(p->context, norm) && pcb_project_filter(p, norm, true)) {
		p->package = pcb_xstrdup(norm);
		goto out;
	}
	/* Tests are packages too, but never the app. */
	if (is_dir(p->context, "src") && pcb_project_filter(p, "src", true) &&
	    list_dir(src, &srcents, NULL) == 0) {
		for (size_t i = 0; i < srcents.n; i++) {
			char *rel = pcb_path_join("src", srcents.v[i]);
			if (is_package(src, srcents.v[i]) && pcb_project_filter(p, rel, true) &&
			    strcmp(srcents.v[i], "tests") != 0 && strcmp(srcents.v[i], "test") != 0) {
				only = srcents.v[i];
				only_in_src = true;
				count++;
			}
			free(rel);
		}
	}
	for (size_t i = 0; i < top->n; i++) {
		if (is_package(p->context, top->v[i]) && pcb_project_filter(p, top->v[i], true) &&
		    strcmp(top->v[i], "tests") != 0 && strcmp(top->v[i], "test") != 0) {
			only = top->v[i];
			only_in_src = false;
			count++;
		}
	}
	if (count == 1) {
		p->package = pcb_xstrdup(only);
		*in_src = only_in_src;
	}
out:
	pcb_strv_free(&srcents);
	free(src);
	free(norm);
}

struct str_pair {
	char *a, *b;
};

static int
str_pair_cmp(const void *x, const void *y)
{
	return strcmp(((const struct str_pair *)x)->a, ((const struct str_pair *)y)->a);
}

/* Sorts a by byte order, keeping b (same length) in step. */
static void
sort_pairs(struct pcb_strv *a, struct pcb_strv *b)
{
	struct str_pair *v;

	if (a->n < 2)
		return;
	v = pcb_xcalloc(a->n, sizeof *v);
	for (size_t i = 0; i < a->n; i++)
		v[i] = (struct str_pair){ a->v[i], b->v[i] };
	qsort(v, a->n, sizeof *v, str_pair_cmp);
	for (size_t i = 0; i < a->n; i++) {
		a->v[i] = v[i].a;
		b->v[i] = v[i].b;
	}
	free(v);
}

/* What goes into the app layer: the whole context as `COPY . .` with a .dockerignore takes it
 * (every top-level entry that no built-in rule, ignore file or config exclude leaves out; the
 * walk judges what is below the same way), or, when the config names `include` paths, only
 * those. The top-level entries left out are listed with the rule that did it. */
static void
collect_include(struct pcb_project *p, const struct pcb_strv *top)
{
	char why[256];

	if (p->config.include.value.n > 0) {
		for (size_t i = 0; i < p->config.include.value.n; i++)
			if (!pcb_strv_contains(&p->include, p->config.include.value.v[i]))
				pcb_strv_push(&p->include, p->config.include.value.v[i]);
		pcb_strv_sort(&p->include);
		return;
	}
	/* top is in directory order; the lists are sorted so that plans compare. */
	for (size_t i = 0; i < top->n; i++) {
		const char *n = top->v[i];
		bool dir = is_dir(p->context, n);

		/* Sockets and fifos are never content. */
		if (!dir && !is_file(p->context, n) && !is_type(p->context, n, S_IFLNK))
			continue;
		if (pcb_project_explain(p, n, dir, why, sizeof why)) {
			pcb_strv_push(&p->excluded, n);
			pcb_strv_push(&p->excluded_why, why);
		} else {
			pcb_strv_push(&p->include, n);
		}
	}
	pcb_strv_sort(&p->include);
	sort_pairs(&p->excluded, &p->excluded_why);
}

/* Every console script of every table, "name = target", the first definition of a name
 * winning; and [project.gui-scripts]. Poetry's { callable = … } form counts. */
static void
collect_scripts(struct pcb_project *p, json_object *const *tables, size_t n)
{
	json_object *proj = NULL, *gui = NULL;
	struct pcb_strv names;

	pcb_strv_init(&names);
	for (size_t i = 0; i < n; i++) {
		if (tables[i] == NULL || !json_object_is_type(tables[i], json_type_object))
			continue;
		json_object_object_foreach(tables[i], key, val) {
			const char *target = NULL;
			json_object *c = NULL;

			if (json_object_is_type(val, json_type_string))
				target = json_object_get_string(val);
			else if (json_object_is_type(val, json_type_object) &&
			    json_object_object_get_ex(val, "callable", &c) &&
			    json_object_is_type(c, json_type_string))
				target = json_object_get_string(c);
			if (target == NULL || pcb_strv_contains(&names, key) || names.n >= 256)
				continue;
			pcb_strv_push(&names, key);
			pcb_strv_push_owned(&p->scripts, pcb_xasprintf("%s = %s", key, target));
		}
	}
	if (p->pyproject != NULL && json_object_object_get_ex(p->pyproject, "project", &proj) &&
	    json_object_object_get_ex(proj, "gui-scripts", &gui) &&
	    json_object_is_type(gui, json_type_object)) {
		json_object_object_foreach(gui, key, val)
			if (json_object_is_type(val, json_type_string) && p->gui_scripts.n < 256)
				pcb_strv_push_owned(&p->gui_scripts, pcb_xasprintf("%s = %s", key,
				    json_object_get_string(val)));
	}
	pcb_strv_free(&names);
}

/* Checks a console-script target "pkg.mod:obj.attr [extra]": *s_out and *len_out the part
 * without blanks and extras, *colon_out its ':' or NULL. */
static int
parse_target(const struct pcb_project *p, const char *file, const char *table, const char *key,
    const char *target, const char **s_out, size_t *len_out, const char **colon_out,
    struct pcb_err *err)
{
	const char *s = target, *colon;
	size_t len;

	while (isspace((unsigned char)*s))
		s++;
	len = strnlen(s, SCRIPT_TARGET_MAX + 1);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	/* Extras ("pkg.cli:main [cli]") only matter to installers. */
	if (len > 0 && s[len - 1] == ']') {
		const char *b = memchr(s, '[', len);
		if (b != NULL)
			len = (size_t)(b - s);
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	colon = memchr(s, ':', len);
	if (len > SCRIPT_TARGET_MAX ||
	    !is_dotted(s, colon != NULL ? (size_t)(colon - s) : len) ||
	    (colon != NULL && !is_dotted(colon + 1, len - (size_t)(colon + 1 - s)))) {
		int line = file == NULL ? py_line(p->pylocs, table, key) : 0;
		char at[32] = "";
		if (line > 0)
			snprintf(at, sizeof at, " line %d:", line);
		return pcb_err_set(err, PCB_EINVAL, "%s:%s [%s] %s = \"%.200s\": not a module "
		    "path with an optional :attribute (like \"pkg.cli:main\")",
		    file != NULL ? file : PYPROJECT, at, table, key, target);
	}
	*s_out = s;
	*len_out = len;
	*colon_out = colon;
	return 0;
}

/* Turns a console-script target "pkg.mod:obj.attr" into the argv that runs it. */
static int
script_cmd(struct pcb_project *p, const char *file, const char *table, const char *key,
    const char *target, struct pcb_err *err)
{
	const char *s, *colon;
	size_t len;
	char *mod = NULL, *attr = NULL, *first = NULL;
	int rc;

	if ((rc = parse_target(p, file, table, key, target, &s, &len, &colon, err)) != 0)
		return rc;
	pcb_strv_push(&p->cmd, "python");
	if (colon == NULL) {
		pcb_strv_push(&p->cmd, "-m");
		pcb_strv_push_owned(&p->cmd, pcb_xstrndup(s, len));
	} else {
		mod = pcb_xstrndup(s, (size_t)(colon - s));
		attr = pcb_xstrndup(colon + 1, len - (size_t)(colon + 1 - s));
		first = pcb_xstrndup(attr, strcspn(attr, "."));
		pcb_strv_push(&p->cmd, "-c");
		pcb_strv_push_owned(&p->cmd, pcb_xasprintf("import sys; from %s import %s; "
		    "sys.exit(%s())", mod, first, attr));
	}
	p->cmd_source = pcb_xasprintf("%s%s[%s] %s = \"%s\"", file != NULL ? file : "",
	    file != NULL ? " " : "", table, key, target);
	free(mod);
	free(attr);
	free(first);
	return rc;
}

/* Namespace packages (PEP 420): a top-level folder of modules without __init__.py that the
 * code imports ("import ns.mod", "from ns import x"). Such a folder is packed too. */
static bool
has_py_files(const char *context, const char *rel, int depth)
{
	char *path = pcb_path_join(context, rel);
	struct pcb_strv ents;
	bool found = false;

	pcb_strv_init(&ents);
	if (list_dir(path, &ents, NULL) == 0) {
		for (size_t i = 0; i < ents.n && i < 1000 && !found; i++) {
			char *sub = pcb_path_join(rel, ents.v[i]);
			if (is_file(context, sub) && pcb_str_has_suffix(ents.v[i], ".py"))
				found = true;
			else if (depth > 0 && is_identifier(ents.v[i], strlen(ents.v[i])) &&
			    is_dir(context, sub))
				found = has_py_files(context, sub, depth - 1);
			free(sub);
		}
	}
	pcb_strv_free(&ents);
	free(path);
	return found;
}

/* Does a statement import `name` or a submodule of it? */
static bool
imports_name(const struct pcb_pyscan *sc, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < sc->n; i++) {
		const struct pcb_pystmt *st = &sc->v[i];
		if ((st->kind == PCB_PYSTMT_IMPORT || st->kind == PCB_PYSTMT_FROM) &&
		    st->module != NULL && strncmp(st->module, name, nl) == 0 &&
		    (st->module[nl] == '\0' || st->module[nl] == '.'))
			return true;
	}
	return false;
}

/* The modules whose imports count: the top-level .py files and the modules of the package
 * (one level), at most 200 files. */
static void
importer_files(const struct pcb_project *p, struct pcb_strv *out)
{
	char *pkgrel = NULL, *pkgdir = NULL;
	struct pcb_strv ents;

	pcb_strv_init(&ents);
	for (size_t i = 0; i < p->include.n && out->n < 200; i++)
		if (pcb_str_has_suffix(p->include.v[i], ".py") && is_file(p->context, p->include.v[i]))
			pcb_strv_push(out, p->include.v[i]);
	if (p->package != NULL) {
		pkgrel = pcb_xasprintf("%s%s", p->package_in_src ? "src/" : "", p->package);
		pkgdir = pcb_path_join(p->context, pkgrel);
		if (list_dir(pkgdir, &ents, NULL) == 0) {
			pcb_strv_sort(&ents);
			for (size_t i = 0; i < ents.n && out->n < 200; i++) {
				char *rel = pcb_path_join(pkgrel, ents.v[i]);
				if (pcb_str_has_suffix(ents.v[i], ".py") && is_file(p->context, rel))
					pcb_strv_push_owned(out, rel);
				else
					free(rel);
			}
		}
	}
	pcb_strv_free(&ents);
	free(pkgrel);
	free(pkgdir);
}

static void
add_namespace_packages(struct pcb_project *p, const struct pcb_strv *top, bool *found_ns)
{
	static const char *const never[] = { "tests", "test", "docs", "doc", "examples", "scripts",
	    "src", "app" };
	struct pcb_strv files;
	struct pcb_pyscan *scans = NULL;
	char *norm = normalise_name(p->name);
	bool scanned = false;

	*found_ns = false;
	pcb_strv_init(&files);
	for (size_t i = 0; i < top->n; i++) {
		const char *n = top->v[i];
		char *init = pcb_xasprintf("%s/__init__.py", n);
		bool cand = is_identifier(n, strlen(n)) && is_dir(p->context, n) &&
		    !is_file(p->context, init) &&
		    !name_in(n, strlen(n), never, PCB_ARRAY_LEN(never)) &&
		    pcb_project_filter(p, n, true) && has_py_files(p->context, n, 2);
		bool used = false;

		free(init);
		if (!cand)
			continue;
		if (strcmp(n, norm) == 0) {
			used = true;
		} else {
			if (!scanned) {
				importer_files(p, &files);
				scans = pcb_xcalloc(files.n + 1, sizeof *scans);
				for (size_t k = 0; k < files.n; k++) {
					char *path = pcb_path_join(p->context, files.v[k]);
					/* A module that does not lex cannot tell us anything. */
					if (pcb_pyscan_file(path, &scans[k], NULL) != 0)
						memset(&scans[k], 0, sizeof scans[k]);
					free(path);
				}
				scanned = true;
			}
			for (size_t k = 0; k < files.n && !used; k++)
				used = imports_name(&scans[k], n);
		}
		if (used) {
			/* Packed already with the whole context; a config `include` that leaves it
			 * out is the user's word. */
			*found_ns = true;
			if (p->package == NULL && strcmp(n, norm) == 0) {
				p->package = pcb_xstrdup(n);
				p->package_source = pcb_xasprintf("namespace package %s/ (no __init__.py)", n);
			}
		}
	}
	pcb_strv_sort(&p->include);
	for (size_t k = 0; scans != NULL && k < files.n; k++)
		pcb_pyscan_free(&scans[k]);
	free(scans);
	pcb_strv_free(&files);
	free(norm);
}

static void
pick_layout(struct pcb_project *p, bool ns)
{
	const char *l = "none";

	if (p->package_in_src || (p->package == NULL && pcb_strv_contains(&p->include, "src")))
		l = "src";
	else if (p->package != NULL && strcmp(p->package, "app") == 0)
		l = "app";
	else if (p->package != NULL && p->package_source != NULL &&
	    pcb_str_has_prefix(p->package_source, "namespace"))
		l = "namespace";
	else if (p->package != NULL)
		l = "flat";
	else if (pcb_strv_contains(&p->include, "app"))
		l = "app";
	else if (ns)
		l = "namespace";
	else
		for (size_t i = 0; i < p->include.n; i++)
			if (pcb_str_has_suffix(p->include.v[i], ".py"))
				l = "module";
	p->layout = pcb_xstrdup(l);
}

/* The scripts entries of one table that matter for choosing: the one named after the project
 * (or its import package, or running the package's __main__), the first, and the first that
 * starts a production server itself (framework.h serving). Entries that are not the
 * project's are passed over. */
struct script_pick {
	const char *file;    /* NULL = pyproject.toml */
	const char *table;
	const char *named_key, *named_val, *first_key, *first_val, *serving_key, *serving_val;
};

/* Whether a console script's target is the project's own code: its top package or module is
 * in the project (an import root, src/ or the top; a namespace folder counts), or it is a
 * declared dependency (a script of something the image installs). Otherwise *why says so. */
static bool
script_is_ours(const struct pcb_project *p, const char *target, char **why)
{
	size_t len = strcspn(target, ":[ \t"), top = strcspn(target, ".:[ \t");
	char *rel = top > 0 ? module_file(p, target, top) : NULL;
	char *dir = pcb_xstrndup(target, top), *dep = normalise_name(dir);
	char *in_src = pcb_path_join("src", dir);
	bool ours = rel != NULL || is_dir(p->context, dir) || is_dir(p->context, in_src) ||
	    pcb_strv_contains(&p->dependencies, dep);

	for (size_t i = 0; !ours && i < p->import_roots.n; i++) {
		char *r = pcb_path_join(p->import_roots.v[i], dir);
		ours = is_dir(p->context, r);
		free(r);
	}
	free(in_src);

	if (!ours)
		*why = pcb_xasprintf("not the project's: no module %.*s in it, and %s is not a "
		    "dependency", (int)len, target, dep);
	free(rel);
	free(dir);
	free(dep);
	return ours;
}

static int
find_scripts(struct pcb_project *p, json_object *tbl, const struct pcb_framework *fw,
    struct script_pick *sp, struct pcb_err *err)
{
	char *norm = normalise_name(p->name);
	char *pkg = p->package != NULL ? normalise_name(p->package) : NULL;
	char *main_mod = p->package != NULL ? pcb_xasprintf("%s.__main__", p->package) : NULL;
	int rc = 0;

	if (tbl == NULL)
		goto out;
	json_object_object_foreach(tbl, key, val) {
		const char *target = NULL;
		char *nk, *why = NULL;

		if (val != NULL && json_object_get_type(val) == json_type_string &&
		    pcb_toml_type_of(val) == PCB_TOML_NONE) {
			target = json_object_get_string(val);
		} else if (val != NULL && json_object_get_type(val) == json_type_object &&
		    strcmp(sp->table, "tool.poetry.scripts") == 0) {
			/* Poetry also writes scripts as { callable = "pkg:func" }. */
			json_object *c = NULL;
			if (json_object_object_get_ex(val, "callable", &c) &&
			    json_object_get_type(c) == json_type_string)
				target = json_object_get_string(c);
		}
		if (target == NULL) {
			rc = py_fail(p->pylocs, err, sp->table, key, "must be a string");
			goto out;
		}
		{
			const char *ts, *tc;
			size_t tl;
			if ((rc = parse_target(p, sp->file, sp->table, key, target, &ts, &tl, &tc,
			    err)) != 0)
				goto out;
		}
		if (!script_is_ours(p, target, &why)) {
			pcb_strv_push_owned(&p->passed_over, pcb_xasprintf("console script %s = %s "
			    "([%s]): %s", key, target, sp->table, why));
			free(why);
			continue;
		}
		nk = normalise_name(key);
		if (sp->first_key == NULL) {
			sp->first_key = key;
			sp->first_val = target;
		}
		if (sp->serving_key == NULL && pcb_strv_contains(&fw->serving, key)) {
			sp->serving_key = key;
			sp->serving_val = target;
		}
		/* The script named after the project, else after its import package, else the one
		 * that runs the package's __main__ (gallery-dl = gallery_dl:main). */
		if (sp->named_key == NULL && (strcmp(nk, norm) == 0 || (pkg != NULL &&
		    strcmp(nk, pkg) == 0) || (main_mod != NULL &&
		    pcb_str_has_prefix(target, main_mod) && target[strlen(main_mod)] == ':'))) {
			sp->named_key = key;
			sp->named_val = target;
		}
		free(nk);
	}
out:
	free(norm);
	free(pkg);
	free(main_mod);
	return rc;
}

/* One way to start the app, for choose_cmd's ranking. */
struct way {
	int kind;                      /* WAY_* */
	const struct script_pick *sp;  /* a console script */
	const char *key, *val;
	const struct pcb_strv *argv;   /* or a command */
	const char *source;
};

enum { WAY_SCRIPT, WAY_FRAMEWORK, WAY_RUN_SCRIPT };

static char *
way_describe(const struct pcb_project *p, const struct way *w)
{
	struct pcb_buf b;

	if (w->kind == WAY_SCRIPT)
		return pcb_xasprintf("console script %s = %s (%s[%s])", w->key, w->val,
		    w->sp->file != NULL ? w->sp->file : "", w->sp->table);
	pcb_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < w->argv->n; i++)
		pcb_buf_appendf(&b, "%s%s", i > 0 ? " " : "", w->argv->v[i]);
	pcb_buf_appendf(&b, " (%s%s%s)", w->kind == WAY_FRAMEWORK ? p->framework : "run script",
	    w->kind == WAY_FRAMEWORK ? " app: " : ": ", w->source);
	return pcb_buf_steal(&b, NULL);
}

/* The command. Ways to start the app, best first (the first found wins; the others go to
 * passed_over with their rank):
 *   1. a console script that starts a production server itself (harvestview → uvicorn.run)
 *   2. the web app under a production server the project declares
 *   3. the project's run script (a top-level module whose __main__ block serves)
 *   4. the console script named after the project (or its package, or its __main__)
 *   5. the web app under its framework's own command (fastapi run, flask run) or an
 *      undeclared default server
 *   6. a run script in debug/reload mode
 *   7. the first console script
 *   8. python -m <package> with __main__.py; 9. main.py / app.py / manage.py
 * Scripts come from [project.scripts], [tool.poetry.scripts], setup.cfg and setup.py. */
static int
choose_cmd(struct pcb_project *p, const struct scripts *sc, const struct pcb_framework *fw,
    struct pcb_err *err)
{
	static const char *const files[] = { "main.py", "app.py", "manage.py" };
	static const char *const ranks[] = {
		"a console script that starts a production server itself",
		"the app under a production server the project declares",
		"the project's run script", "the console script named after the project",
		"the app under its framework's own server or an undeclared one",
		"a run script in debug mode", "another console script",
	};
	struct script_pick picks[4] = {
		{ NULL, "project.scripts", NULL, NULL, NULL, NULL, NULL, NULL },
		{ NULL, "tool.poetry.scripts", NULL, NULL, NULL, NULL, NULL, NULL },
		{ SETUP_CFG, "options.entry_points", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "setup.py", "entry_points", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	json_object *tables[4] = { sc->project, sc->poetry, sc->setup_cfg, sc->setup_py };
	struct way ways[PCB_ARRAY_LEN(ranks)];
	const struct way *chosen = NULL;
	struct pcb_strv fwcmd = { 0 };
	char *rel = NULL;
	int rc = 0;

	memset(ways, 0, sizeof ways);
	for (size_t i = 0; i < PCB_ARRAY_LEN(picks); i++) {
		struct script_pick *sp = &picks[i];
		if ((rc = find_scripts(p, tables[i], fw, sp, err)) != 0)
			goto out;
		if (sp->serving_key != NULL && ways[0].key == NULL)
			ways[0] = (struct way){ WAY_SCRIPT, sp, sp->serving_key, sp->serving_val, NULL,
			    NULL };
		if (sp->named_key != NULL && ways[3].key == NULL)
			ways[3] = (struct way){ WAY_SCRIPT, sp, sp->named_key, sp->named_val, NULL,
			    NULL };
		if (sp->first_key != NULL && ways[6].key == NULL)
			ways[6] = (struct way){ WAY_SCRIPT, sp, sp->first_key, sp->first_val, NULL,
			    NULL };
	}
	if (p->framework != NULL && p->framework_cmd.n > 0) {
		fwcmd = p->framework_cmd;
		ways[fw->server_declared ? 1 : 4] = (struct way){ WAY_FRAMEWORK, NULL, NULL, NULL,
		    &fwcmd, p->framework_source };
	}
	if (fw->script_cmd.n > 0)
		ways[fw->script_dev ? 5 : 2] = (struct way){ WAY_RUN_SCRIPT, NULL, NULL, NULL,
		    &fw->script_cmd, fw->script_source };
	/* The same script found by two ranks is one way. */
	if (ways[3].key != NULL && ways[0].key != NULL && strcmp(ways[3].key, ways[0].key) == 0)
		ways[3].kind = -1;
	if (ways[6].key != NULL && ((ways[0].key != NULL && strcmp(ways[6].key, ways[0].key) ==
	    0) || (ways[3].key != NULL && strcmp(ways[6].key, ways[3].key) == 0)))
		ways[6].kind = -1;
	for (size_t i = 0; i < PCB_ARRAY_LEN(ways); i++) {
		const struct way *w = &ways[i];
		if (w->kind < 0 || (w->key == NULL && w->argv == NULL))
			continue;
		if (chosen == NULL) {
			chosen = w;
			continue;
		}
		{
			char *d = way_describe(p, w);
			pcb_strv_push_owned(&p->passed_over, pcb_xasprintf("%s: %s, which ranks below "
			    "%s", d, ranks[i], ranks[chosen - ways]));
			free(d);
		}
	}
	if (chosen != NULL && chosen->kind == WAY_SCRIPT) {
		rc = script_cmd(p, chosen->sp->file, chosen->sp->table, chosen->key, chosen->val,
		    err);
		if (rc == 0)
			p->cmd_script = pcb_xstrdup(chosen->key);
		goto out;
	}
	if (chosen != NULL && chosen->kind == WAY_FRAMEWORK) {
		for (size_t i = 0; i < p->framework_cmd.n; i++)
			pcb_strv_push(&p->cmd, p->framework_cmd.v[i]);
		p->cmd_source = pcb_xasprintf("%s app: %s", p->framework,
		    p->framework_source != NULL ? p->framework_source : "detected");
		goto out;
	}
	if (chosen != NULL) {
		for (size_t i = 0; i < fw->script_cmd.n; i++)
			pcb_strv_push(&p->cmd, fw->script_cmd.v[i]);
		p->cmd_source = pcb_xasprintf("run script: %s", fw->script_source);
		if (fw->script_port > 0)
			p->port = fw->script_port;
		goto out;
	}
	if (p->package != NULL) {
		rel = pcb_xasprintf("%s%s/__main__.py", p->package_in_src ? "src/" : "", p->package);
		if (is_file(p->context, rel)) {
			pcb_strv_push(&p->cmd, "python");
			pcb_strv_push(&p->cmd, "-m");
			pcb_strv_push(&p->cmd, p->package);
			p->cmd_source = pcb_xasprintf("package %s has %s", p->package, rel);
			goto out;
		}
	}
	/* Only files that will be in the image count (the ignore file may have dropped them). */
	for (size_t i = 0; i < PCB_ARRAY_LEN(files); i++) {
		if (pcb_strv_contains(&p->include, files[i])) {
			pcb_strv_push(&p->cmd, "python");
			pcb_strv_push(&p->cmd, files[i]);
			p->cmd_source = pcb_xasprintf("%s at the top of the context", files[i]);
			goto out;
		}
	}
	/* Nothing found: cmd stays empty and the builder decides (the user may have given
	 * --entrypoint; if not, it reports PCB_PROJECT_NO_CMD_HINT). */
out:
	free(rel);
	return rc;
}

static int detect_framework(struct pcb_project *p, struct pcb_framework *fw,
    struct pcb_err *err);

/* The web framework and the command. A failure here is kept in cmd_error instead of failing
 * discovery (project.h): the user may have said what to run. */
static void
find_cmd(struct pcb_project *p, const struct scripts *sc)
{
	json_object *tables[4] = { sc->project, sc->poetry, sc->setup_cfg, sc->setup_py };
	struct pcb_framework fw;
	struct pcb_err e;
	int rc;

	pcb_err_clear(&e);
	collect_scripts(p, tables, PCB_ARRAY_LEN(tables));
	if ((rc = detect_framework(p, &fw, &e)) == 0) {
		rc = choose_cmd(p, sc, &fw, &e);
	} else {
		/* A web framework imported without a servable app does not stop a project whose
		 * own console script says what to run (a CLI with a web extra). */
		struct pcb_framework none;
		struct pcb_err e2;

		memset(&none, 0, sizeof none);
		pcb_err_clear(&e2);
		if (choose_cmd(p, sc, &none, &e2) == 0 && p->cmd_script != NULL) {
			pcb_framework_free(&fw);
			return;
		}
		pcb_strv_free(&p->cmd);
		pcb_strv_init(&p->cmd);
		free(p->cmd_source);
		p->cmd_source = NULL;
		free(p->cmd_script);
		p->cmd_script = NULL;
	}
	pcb_framework_free(&fw);
	if (rc == 0)
		return;
	p->cmd_error_code = rc;
	p->cmd_error = pcb_xstrdup(e.msg[0] != '\0' ? e.msg : pcb_err_code_name(rc));
	pcb_strv_free(&p->cmd);
	pcb_strv_init(&p->cmd);
	free(p->cmd_source);
	p->cmd_source = NULL;
	free(p->cmd_script);
	p->cmd_script = NULL;
}

/* The folders modules are imported from, for framework detection: the build backend's, else
 * src/ when the project keeps its code there (as the image's PYTHONPATH does). */
static void
detection_roots(const struct pcb_project *p, struct pcb_strv *roots)
{
	for (size_t i = 0; i < p->import_roots.n; i++)
		pcb_strv_push(roots, p->import_roots.v[i]);
	if (p->import_roots.n == 0 && (p->package_in_src || (p->package == NULL &&
	    pcb_strv_contains(&p->include, "src"))))
		pcb_strv_push(roots, "src");
}

static int
detect_framework(struct pcb_project *p, struct pcb_framework *fw, struct pcb_err *err)
{
	struct pcb_strv deps, roots;
	struct pcb_framework_input in = {
		.context = p->context, .package = p->package, .package_in_src = p->package_in_src,
		.include = &p->include, .dependencies = &deps, .extras = &p->dependency_extras,
		.roots = &roots, .scripts = &p->scripts, .project_name = p->name,
	};
	int rc;

	/* The server may be offered as an extra: optional names count for choosing it. */
	pcb_strv_init(&deps);
	pcb_strv_init(&roots);
	detection_roots(p, &roots);
	for (size_t i = 0; i < p->dependencies.n; i++)
		pcb_strv_push(&deps, p->dependencies.v[i]);
	for (size_t i = 0; i < p->optional_dependencies.n; i++)
		if (!pcb_strv_contains(&deps, p->optional_dependencies.v[i]))
			pcb_strv_push(&deps, p->optional_dependencies.v[i]);
	pcb_strv_sort(&deps);

	memset(fw, 0, sizeof *fw);   /* pcb_framework_detect initialises it */
	if ((rc = pcb_framework_detect(&in, fw, err)) != 0 || fw->name == NULL)
		goto out;
	p->framework = pcb_xstrdup(fw->name);
	p->port = fw->port;
	for (size_t i = 0; i < fw->cmd.n; i++)
		pcb_strv_push(&p->framework_cmd, fw->cmd.v[i]);
	for (size_t i = 0; i < fw->env.n; i++)
		if (strchr(fw->env.v[i], '=') != NULL)
			pcb_strv_push(&p->framework_env, fw->env.v[i]);
	for (size_t i = 0; i < fw->alternatives.n; i++)
		pcb_strv_push(&p->framework_alternatives, fw->alternatives.v[i]);
	p->framework_source = pcb_xstrdup(fw->source != NULL ? fw->source : fw->name);
out:
	pcb_strv_free(&deps);
	pcb_strv_free(&roots);
	return rc;
}

/* The config's exclude patterns, compiled like an ignore file of their own. */
static void
compile_extra_excludes(struct pcb_project *p)
{
	struct pcb_buf b;

	if (p->config.exclude.value.n == 0)
		return;
	/* 256 patterns of at most 4 KiB each (config.c) always fit. */
	pcb_buf_init(&b, 2 * 1024 * 1024);
	for (size_t i = 0; i < p->config.exclude.value.n; i++)
		pcb_buf_appendf(&b, "%s\n", p->config.exclude.value.v[i]);
	p->extra_ignore = pcb_ignore_from_text(b.data != NULL ? b.data : "");
	pcb_ignore_set_source(p->extra_ignore, p->config.exclude.source != NULL ?
	    p->config.exclude.source : "config exclude");
	pcb_buf_free(&b);
}

/* A pin of the interpreter's version in .python-version ("3.12", "3.12.4", "cpython-3.12")
 * or runtime.txt ("python-3.11.4"): taken when requires-python allows it (else a warning
 * in the source, and requires-python's choice stays). */
static void
read_python_pin(struct pcb_project *p)
{
	static const char *const files[] = { ".python-version", "runtime.txt" };

	for (size_t i = 0; i < PCB_ARRAY_LEN(files) && !p->python_pinned; i++) {
		char *text = NULL, *end;
		size_t len = 0;
		const char *t;
		long minor;
		struct pcb_err e;

		if (!is_file(p->context, files[i]) || read_context_file(p, files[i], 4096, files[i],
		    &text, &len, &e) != 0)
			continue;
		for (t = text; *t == '#' || isspace((unsigned char)*t);)
			t = *t == '#' ? t + strcspn(t, "\n") : t + 1;   /* comments, blank lines */
		if (strncmp(t, "cpython-", 8) == 0)
			t += 8;
		else if (strncmp(t, "python-", 7) == 0)
			t += 7;
		if (strncmp(t, "3.", 2) != 0 || !isdigit((unsigned char)t[2])) {
			free(text);
			continue;
		}
		minor = strtol(t + 2, &end, 10);
		if (minor >= PY_MINOR_LOW && minor <= PY_MINOR_HIGH && (p->python_minors == 0 ||
		    (p->python_minors & (1u << (minor - PY_MINOR_LOW))))) {
			char *v = pcb_xasprintf("3.%ld", minor), *src;
			src = pcb_xasprintf("%s '%.*s'%s%s", files[i], (int)strcspn(t, " \t\r\n"), t,
			    p->python_version_source != NULL ? ", within " : "",
			    p->python_version_source != NULL ? p->python_version_source : "");
			free(p->python_version);
			free(p->python_version_source);
			p->python_version = v;
			p->python_version_source = src;
			p->python_pinned = true;
		}
		free(text);
	}
}

static int
discover_at(const char *context, struct pcb_project *p, struct pcb_err *err)
{
	struct scripts sc = { NULL, NULL, NULL, NULL };
	struct pcb_strv top;
	char *real = NULL;
	struct stat st;
	bool ns = false;
	int rc = 0;

	memset(p, 0, sizeof *p);
	pcb_strv_init(&p->include);
	pcb_strv_init(&p->excluded);
	pcb_strv_init(&p->excluded_why);
	pcb_strv_init(&p->setup_requires);
	pcb_strv_init(&p->dependency_extras);
	pcb_strv_init(&p->import_roots);
	pcb_strv_init(&p->passed_over);
	pcb_strv_init(&p->optional_dependencies);
	pcb_strv_init(&p->cmd);
	pcb_strv_init(&p->authors);
	pcb_strv_init(&p->dependencies);
	pcb_strv_init(&p->framework_env);
	pcb_strv_init(&p->framework_cmd);
	pcb_strv_init(&p->framework_alternatives);
	pcb_strv_init(&p->scripts);
	pcb_strv_init(&p->gui_scripts);
	/* p->config stays zeroed (safe to free) until pcb_config_load initialises it. */
	pcb_strv_init(&top);

	real = realpath(context, NULL);
	if (real == NULL) {
		rc = pcb_err_errno(err, errno, "context %s", context);
		goto out;
	}
	p->context = pcb_xstrdup(real);
	if (stat(p->context, &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc = pcb_err_set(err, PCB_EINVAL, "context %s is not a directory", context);
		goto out;
	}
	if ((rc = pcb_ignore_load(p->context, &p->ignore, err)) != 0)
		goto out;
	if ((rc = read_pyproject(p, &sc, err)) != 0)
		goto out;
	if ((rc = pcb_config_load(p->context, p->pyproject, p->pylocs, &p->config, err)) != 0)
		goto out;
	compile_extra_excludes(p);
	read_pipfile(p);
	read_import_roots(p);
	if ((rc = read_setup_cfg(p, &sc, err)) != 0)
		goto out;
	read_python_pin(p);
	if (p->name == NULL || p->name[0] == '\0') {
		const char *slash = strrchr(p->context, '/');
		const char *base = slash != NULL ? slash + 1 : p->context;

		free(p->name);
		free(p->name_source);
		p->name = pcb_xstrdup(base[0] != '\0' ? base : "app");
		p->name_source = pcb_xstrdup("folder name");
	}
	if (p->version == NULL && p->version_source == NULL && p->pyproject != NULL) {
		json_object *proj = NULL, *dyn = NULL;
		if (json_object_object_get_ex(p->pyproject, "project", &proj) &&
		    json_object_object_get_ex(proj, "dynamic", &dyn))
			p->version_source = pcb_xstrdup(PYPROJECT " [project].dynamic (computed by the "
			    "build backend, not readable from the files)");
	}
	if ((rc = list_dir(p->context, &top, err)) != 0)
		goto out;
	if ((rc = read_all_requirements(p, &top, err)) != 0)
		goto out;
	pcb_strv_sort(&p->dependencies);
	find_package(p, &top, &p->package_in_src);
	read_setup_py(p, &sc);
	if (p->package != NULL)
		p->package_source = pcb_xasprintf("%s%s/__init__.py", p->package_in_src ? "src/" : "",
		    p->package);
	collect_include(p, &top);
	add_namespace_packages(p, &top, &ns);
	pick_layout(p, ns);
	find_cmd(p, &sc);
out:
	free(real);
	pcb_strv_free(&top);
	if (sc.setup_cfg != NULL)
		json_object_put(sc.setup_cfg);
	if (sc.setup_py != NULL)
		json_object_put(sc.setup_py);
	if (rc != 0)
		pcb_project_free(p);
	return rc;
}

/* The members of a uv workspace whose root is no project of its own: [tool.uv.workspace]
 * members (globs of folders under the root, without "..") less its exclude globs, each
 * holding a pyproject.toml; sorted. Empty for anything else. */
static void
workspace_members(const struct pcb_project *p, struct pcb_strv *out)
{
	json_object *tool = NULL, *uv = NULL, *ws = NULL, *mem = NULL, *exc = NULL, *proj = NULL;

	if (p->pyproject == NULL || json_object_object_get_ex(p->pyproject, "project", &proj) ||
	    !json_object_object_get_ex(p->pyproject, "tool", &tool) ||
	    !json_object_object_get_ex(tool, "uv", &uv) ||
	    !json_object_object_get_ex(uv, "workspace", &ws) ||
	    !json_object_object_get_ex(ws, "members", &mem) ||
	    !json_object_is_type(mem, json_type_array))
		return;
	(void)json_object_object_get_ex(ws, "exclude", &exc);
	for (size_t i = 0; i < json_object_array_length(mem) && i < 64; i++) {
		const char *pat = json_object_get_string(json_object_array_get_idx(mem, i));
		char *full;
		glob_t g;

		if (pat == NULL || pat[0] == '/' || strstr(pat, "..") != NULL)
			continue;
		full = pcb_path_join(p->context, pat);
		if (glob(full, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc && out->n < 256; k++) {
				const char *rel = g.gl_pathv[k] + strlen(p->context) + 1;
				bool excluded = false;
				char *pp;

				for (size_t e = 0; exc != NULL && json_object_is_type(exc, json_type_array) &&
				    e < json_object_array_length(exc) && !excluded; e++) {
					const char *x = json_object_get_string(json_object_array_get_idx(exc, e));
					excluded = x != NULL && fnmatch(x, rel, FNM_PATHNAME) == 0;
				}
				pp = pcb_path_join(rel, PYPROJECT);
				if (!excluded && is_file(p->context, pp) && !pcb_strv_contains(out, rel))
					pcb_strv_push(out, rel);
				free(pp);
			}
			globfree(&g);
		}
		free(full);
	}
	pcb_strv_sort(out);
}

/* Discovery of the context; a uv workspace root with no project and no command of its own
 * (the template repositories' layout: the root holds [tool.uv.workspace] members =
 * ["backend"]) is built as its first member that has a command, and the plan says so. */
int
pcb_project_discover(const char *context, struct pcb_project *p, struct pcb_err *err)
{
	struct pcb_strv members;
	int rc = discover_at(context, p, err);

	if (rc != 0 || p->cmd.n > 0 || p->config.entrypoint.set || p->config.cmd.set)
		return rc;
	pcb_strv_init(&members);
	workspace_members(p, &members);
	for (size_t i = 0; i < members.n; i++) {
		struct pcb_project m;
		struct pcb_err e;
		char *dir = pcb_path_join(p->context, members.v[i]);

		int mrc;

		pcb_err_clear(&e);
		if ((mrc = discover_at(dir, &m, &e)) == 0 && m.cmd.n > 0) {
			m.context_note = pcb_xasprintf("%s is a uv workspace with no app of its own "
			    "(pyproject.toml [tool.uv.workspace]): building its member %s/; give that "
			    "folder (or another member) as the context to choose", p->context,
			    members.v[i]);
			pcb_project_free(p);
			*p = m;
			free(dir);
			break;
		}
		if (mrc == 0)
			pcb_project_free(&m);
		free(dir);
	}
	pcb_strv_free(&members);
	return rc;
}

void
pcb_project_free(struct pcb_project *p)
{
	if (p == NULL)
		return;
	free(p->context);
	free(p->name);
	free(p->version);
	free(p->description);
	free(p->license);
	free(p->python_version);
	free(p->package);
	free(p->layout);
	pcb_strv_free(&p->authors);
	pcb_strv_free(&p->dependencies);
	pcb_strv_free(&p->include);
	pcb_strv_free(&p->excluded);
	pcb_strv_free(&p->excluded_why);
	pcb_strv_free(&p->setup_requires);
	pcb_strv_free(&p->dependency_extras);
	pcb_strv_free(&p->import_roots);
	pcb_strv_free(&p->passed_over);
	free(p->context_note);
	pcb_strv_free(&p->optional_dependencies);
	pcb_strv_free(&p->cmd);
	free(p->cmd_source);
	free(p->cmd_error);
	free(p->name_source);
	free(p->version_source);
	free(p->description_source);
	free(p->license_source);
	free(p->authors_source);
	free(p->python_version_source);
	free(p->package_source);
	free(p->dependencies_source);
	free(p->framework);
	pcb_strv_free(&p->framework_env);
	pcb_strv_free(&p->framework_cmd);
	pcb_strv_free(&p->framework_alternatives);
	pcb_strv_free(&p->scripts);
	pcb_strv_free(&p->gui_scripts);
	free(p->cmd_script);
	free(p->framework_source);
	pcb_config_free(&p->config);
	pcb_ignore_destroy(p->ignore);
	pcb_ignore_destroy(p->extra_ignore);
	if (p->pyproject != NULL)
		json_object_put(p->pyproject);
	if (p->pylocs != NULL)
		pcb_toml_locs_destroy(p->pylocs);
	memset(p, 0, sizeof *p);
}
