/* project.c — Python project discovery: reads pyproject.toml (PEP 621 [project], with
 * [tool.poetry] as fallback), finds the import package, picks the top-level paths that go into
 * the image and works out the command that starts the app. Also the include/exclude filter
 * used while packing (built-in excludes + ignore-file patterns, see ignore.c). */
#include "project.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "toml.h"

#define PYPROJECT "pyproject.toml"
#define PYPROJECT_MAX (16 * 1024 * 1024)
/* A context folder with more top-level entries than this is almost surely the wrong folder. */
#define TOPLEVEL_MAX 100000
#define SCRIPT_TARGET_MAX 1024
#define REQUIRES_PYTHON_MAX 1024
#define SPEC_CLAUSES_MAX 32

/* The Python minors an image can be built for, oldest first: requires-python picks the lowest
 * one it allows. */
#define PY_MINOR_LOW 8
#define PY_MINOR_HIGH 14

/* Scripts chosen from pyproject, borrowed from p->pyproject. */
struct scripts {
	json_object *project;   /* [project.scripts] or NULL */
	json_object *poetry;    /* [tool.poetry.scripts] or NULL */
};

/* ---- pyproject.toml access with typed errors ---- */

/* Looks up key in tbl (tbl may be NULL). *out NULL when absent. A value of the wrong json type
 * is an error naming the table and key, e.g. "pyproject.toml: [project].name must be a string". */
static int
get_typed(json_object *tbl, const char *where, const char *key, json_type type,
    json_object **out, struct pcb_err *err)
{
	static const char *const type_names[] = {
		[json_type_null] = "null", [json_type_boolean] = "a boolean",
		[json_type_double] = "a number", [json_type_int] = "an integer",
		[json_type_object] = "a table", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};
	json_object *v = NULL;
	bool ok;

	*out = NULL;
	if (tbl == NULL || !json_object_object_get_ex(tbl, key, &v) || v == NULL)
		return 0;
	ok = json_object_get_type(v) == type;
	/* TOML dates arrive as tagged strings: they are not the text the key wants. */
	if (ok && type == json_type_string && pcb_toml_type_of(v) != PCB_TOML_NONE)
		ok = false;
	if (!ok) {
		if (where == NULL)
			return pcb_err_set(err, PCB_EINVAL, PYPROJECT ": [%s] must be %s", key,
			    type_names[type]);
		return pcb_err_set(err, PCB_EINVAL, PYPROJECT ": [%s].%s must be %s", where, key,
		    type_names[type]);
	}
	*out = v;
	return 0;
}

/* A string value, borrowed, or NULL when absent. */
static int
get_str(json_object *tbl, const char *where, const char *key, const char **out,
    struct pcb_err *err)
{
	json_object *v;
	int rc = get_typed(tbl, where, key, json_type_string, &v, err);

	*out = rc == 0 && v != NULL ? json_object_get_string(v) : NULL;
	return rc;
}

/* Sets *dst to a copy of the first non-NULL of a and b (leaves it alone when both are NULL). */
static void
set_first(char **dst, const char *a, const char *b)
{
	const char *s = a != NULL ? a : b;

	if (*dst == NULL && s != NULL)
		*dst = pcb_xstrdup(s);
}

/* license = "MIT" | { text = "…" } | { file = "LICENSE" } (PEP 621). */
static int
get_license(json_object *tbl, const char *where, const char **out, struct pcb_err *err)
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
		if ((rc = get_str(v, "license", "text", &s, err)) != 0)
			goto bad;
		if (s == NULL && (rc = get_str(v, "license", "file", &s, err)) != 0)
			goto bad;
		if (s != NULL)
			goto out;
	}
bad:
	rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": [%s].license must be a string or a table "
	    "with text or file", where);
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
	/* Pre/post/dev/local tags ("rc1", ".post2", "+local") do not change the minor. */
	if (c->wildcard && len > 0)
		return -1;
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

static int
python_version_from_spec(const char *spec, char **out, struct pcb_err *err)
{
	struct spec_clause clauses[SPEC_CLAUSES_MAX];
	const char *s = spec, *e;
	char *ver = NULL;
	size_t n = 0, len;
	long minor;
	int rc = 0;

	if (strlen(spec) > REQUIRES_PYTHON_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": requires-python is too long");
		goto out;
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
			if (n == SPEC_CLAUSES_MAX || parse_clause(s, len, &clauses[n]) != 0) {
				rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": requires-python '%s': "
				    "cannot read '%.*s'", spec, (int)len, s);
				goto out;
			}
			n++;
		} else if (e != NULL || n > 0) {
			rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": requires-python '%s': empty "
			    "clause", spec);
			goto out;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
	if (n == 0)
		goto out;   /* "" says nothing */
	for (minor = PY_MINOR_LOW; minor <= PY_MINOR_HIGH && ver == NULL; minor++) {
		size_t i;

		for (i = 0; i < n && clause_allows(&clauses[i], minor); i++)
			;
		if (i == n)
			ver = pcb_xasprintf("3.%ld", minor);
	}
	if (ver == NULL)
		rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": requires-python '%s' excludes every "
		    "known Python version (3.%d to 3.%d)", spec, PY_MINOR_LOW, PY_MINOR_HIGH);
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

/* ---- the filter ---- */

static const char *const builtin_any_depth[] = {
	".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache",
	".ruff_cache", ".tox", ".nox", ".DS_Store", ".idea", ".vscode",
};
/* Only at the top: a package may well have a "build" or "dist" submodule. The ignore files
 * themselves are build input, not app content. */
static const char *const builtin_top_level[] = {
	"dist", "build", ".pcbignore", ".dockerignore",
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
	size_t sl = strlen(suffix);

	return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

static bool
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
		if (name_in(s, len, builtin_any_depth, PCB_ARRAY_LEN(builtin_any_depth)))
			return true;
		if (depth == 0 && name_in(s, len, builtin_top_level, PCB_ARRAY_LEN(builtin_top_level)))
			return true;
		if (comp_dir && has_suffix_n(s, len, ".egg-info"))
			return true;
		if (!comp_dir && (has_suffix_n(s, len, ".pyc") || has_suffix_n(s, len, ".pyo")))
			return true;
		/* "env" is a common virtualenv name but also a fine package name: only a real
		 * virtualenv (it has pyvenv.cfg) is left out. */
		if (comp_dir && len == 3 && memcmp(s, "env", 3) == 0 && p != NULL && p->context) {
			char *cfg = pcb_xasprintf("%s/%.*s/pyvenv.cfg", p->context,
			    (int)(s + len - relpath), relpath);
			struct stat st;
			bool venv = stat(cfg, &st) == 0;

			free(cfg);
			if (venv)
				return true;
		}
		depth++;
next:
		if (e == NULL)
			break;
		s = e + 1;
	}
	return false;
}

bool
pcb_project_filter(void *project, const char *relpath, bool is_dir_)
{
	const struct pcb_project *p = project;

	if (builtin_excluded(p, relpath, is_dir_))
		return false;
	if (p != NULL && pcb_ignore_match(p->ignore, relpath, is_dir_))
		return false;
	return true;
}

/* ---- discovery steps ---- */

static int
read_pyproject(struct pcb_project *p, struct scripts *sc, struct pcb_err *err)
{
	json_object *proj = NULL, *tool = NULL, *poetry = NULL, *dyn = NULL;
	const char *name = NULL, *version = NULL, *desc = NULL, *license = NULL, *rp = NULL;
	const char *pname = NULL, *pversion = NULL, *pdesc = NULL, *plicense = NULL;
	char *path = NULL, *text = NULL;
	bool dynamic_version = false;
	size_t len;
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
	if ((rc = pcb_toml_parse(text, len, PYPROJECT, &p->pyproject, err)) != 0)
		goto out;

	if ((rc = get_typed(p->pyproject, NULL, "project", json_type_object, &proj, err)) != 0 ||
	    (rc = get_typed(p->pyproject, NULL, "tool", json_type_object, &tool, err)) != 0 ||
	    (rc = get_typed(tool, "tool", "poetry", json_type_object, &poetry, err)) != 0)
		goto out;

	if ((rc = get_str(proj, "project", "name", &name, err)) != 0 ||
	    (rc = get_str(proj, "project", "version", &version, err)) != 0 ||
	    (rc = get_str(proj, "project", "description", &desc, err)) != 0 ||
	    (rc = get_license(proj, "project", &license, err)) != 0 ||
	    (rc = get_str(proj, "project", "requires-python", &rp, err)) != 0 ||
	    (rc = get_typed(proj, "project", "dynamic", json_type_array, &dyn, err)) != 0 ||
	    (rc = get_typed(proj, "project", "scripts", json_type_object, &sc->project, err)) != 0)
		goto out;
	if ((rc = get_str(poetry, "tool.poetry", "name", &pname, err)) != 0 ||
	    (rc = get_str(poetry, "tool.poetry", "version", &pversion, err)) != 0 ||
	    (rc = get_str(poetry, "tool.poetry", "description", &pdesc, err)) != 0 ||
	    (rc = get_license(poetry, "tool.poetry", &plicense, err)) != 0 ||
	    (rc = get_typed(poetry, "tool.poetry", "scripts", json_type_object, &sc->poetry,
	    err)) != 0)
		goto out;

	if (dyn != NULL) {
		for (size_t i = 0; i < json_object_array_length(dyn); i++) {
			json_object *d = json_object_array_get_idx(dyn, i);
			if (json_object_get_type(d) != json_type_string) {
				rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": [project].dynamic must be "
				    "an array of strings");
				goto out;
			}
			if (strcmp(json_object_get_string(d), "version") == 0)
				dynamic_version = true;
		}
	}

	set_first(&p->name, name, pname);
	/* A dynamic version is computed by the build backend (setuptools-scm …): unknown here. */
	if (!dynamic_version)
		set_first(&p->version, version, pversion);
	set_first(&p->description, desc, pdesc);
	set_first(&p->license, license, plicense);
	if (rp != NULL)
		rc = python_version_from_spec(rp, &p->python_version, err);
out:
	free(path);
	free(text);
	return rc;
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

static bool
wanted_file(const char *name)
{
	return pcb_str_has_suffix(name, ".py") || strcmp(name, "pyproject.toml") == 0 ||
	    strcmp(name, "setup.cfg") == 0 ||
	    (pcb_str_has_prefix(name, "requirements") && pcb_str_has_suffix(name, ".txt")) ||
	    pcb_str_has_prefix(name, "README") || pcb_str_has_prefix(name, "LICENSE");
}

static void
collect_include(struct pcb_project *p, const struct pcb_strv *top, bool pkg_in_src)
{
	for (size_t i = 0; i < top->n; i++) {
		const char *n = top->v[i];
		bool want;

		if (is_dir(p->context, n))
			want = strcmp(n, "src") == 0 || strcmp(n, "app") == 0 ||
			    (p->package != NULL && !pkg_in_src && strcmp(n, p->package) == 0);
		else
			want = (is_file(p->context, n) || is_type(p->context, n, S_IFLNK)) &&
			    wanted_file(n);
		if (want && pcb_project_filter(p, n, is_dir(p->context, n)))
			pcb_strv_push(&p->include, n);
	}
	pcb_strv_sort(&p->include);
}

/* Turns a console-script target "pkg.mod:obj.attr" into the argv that runs it. */
static int
script_cmd(struct pcb_project *p, const char *table, const char *key, const char *target,
    struct pcb_err *err)
{
	const char *s = target, *colon;
	size_t len;
	char *mod = NULL, *attr = NULL, *first = NULL;
	int rc = 0;

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
		rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": [%s] %s = \"%.200s\": not a module "
		    "path with an optional :attribute (like \"pkg.cli:main\")", table, key, target);
		goto out;
	}
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
	p->cmd_source = pcb_xasprintf("[%s] %s = \"%s\"", table, key, target);
out:
	free(mod);
	free(attr);
	free(first);
	return rc;
}

/* Picks the script named after the project, else the first; *found false when there is none. */
static int
pick_script(struct pcb_project *p, json_object *tbl, const char *table, bool *found,
    struct pcb_err *err)
{
	const char *pick_key = NULL, *pick_val = NULL, *first_key = NULL, *first_val = NULL;
	char *norm = normalise_name(p->name);
	int rc = 0;

	*found = false;
	if (tbl == NULL)
		goto out;
	json_object_object_foreach(tbl, key, val) {
		const char *target = NULL;
		char *nk;

		if (val != NULL && json_object_get_type(val) == json_type_string &&
		    pcb_toml_type_of(val) == PCB_TOML_NONE) {
			target = json_object_get_string(val);
		} else if (val != NULL && json_object_get_type(val) == json_type_object &&
		    strcmp(table, "tool.poetry.scripts") == 0) {
			/* Poetry also writes scripts as { callable = "pkg:func" }. */
			json_object *c = NULL;
			if (json_object_object_get_ex(val, "callable", &c) &&
			    json_object_get_type(c) == json_type_string)
				target = json_object_get_string(c);
		}
		if (target == NULL) {
			rc = pcb_err_set(err, PCB_EINVAL, PYPROJECT ": [%s].%s must be a string", table,
			    key);
			goto out;
		}
		nk = normalise_name(key);
		if (first_key == NULL) {
			first_key = key;
			first_val = target;
		}
		if (pick_key == NULL && strcmp(nk, norm) == 0) {
			pick_key = key;
			pick_val = target;
		}
		free(nk);
	}
	if (pick_key == NULL) {
		pick_key = first_key;
		pick_val = first_val;
	}
	if (pick_key != NULL) {
		*found = true;
		rc = script_cmd(p, table, pick_key, pick_val, err);
	}
out:
	free(norm);
	return rc;
}

static int
choose_cmd(struct pcb_project *p, const struct scripts *sc, bool pkg_in_src,
    struct pcb_err *err)
{
	static const char *const files[] = { "main.py", "app.py", "manage.py" };
	char *rel = NULL;
	bool found;
	int rc;

	if ((rc = pick_script(p, sc->project, "project.scripts", &found, err)) != 0 || found)
		goto out;
	if ((rc = pick_script(p, sc->poetry, "tool.poetry.scripts", &found, err)) != 0 || found)
		goto out;
	if (p->package != NULL) {
		rel = pcb_xasprintf("%s%s/__main__.py", pkg_in_src ? "src/" : "", p->package);
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

int
pcb_project_discover(const char *context, struct pcb_project *p, struct pcb_err *err)
{
	struct scripts sc = { NULL, NULL };
	struct pcb_strv top;
	char *real = NULL;
	struct stat st;
	bool pkg_in_src = false;
	int rc = 0;

	memset(p, 0, sizeof *p);
	pcb_strv_init(&p->include);
	pcb_strv_init(&p->cmd);
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
	if (p->name == NULL || p->name[0] == '\0') {
		const char *slash = strrchr(p->context, '/');
		const char *base = slash != NULL ? slash + 1 : p->context;

		free(p->name);
		p->name = pcb_xstrdup(base[0] != '\0' ? base : "app");
	}
	if ((rc = list_dir(p->context, &top, err)) != 0)
		goto out;
	find_package(p, &top, &pkg_in_src);
	collect_include(p, &top, pkg_in_src);
	rc = choose_cmd(p, &sc, pkg_in_src, err);
out:
	free(real);
	pcb_strv_free(&top);
	if (rc != 0)
		pcb_project_free(p);
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
	pcb_strv_free(&p->include);
	pcb_strv_free(&p->cmd);
	free(p->cmd_source);
	pcb_ignore_destroy(p->ignore);
	if (p->pyproject != NULL)
		json_object_put(p->pyproject);
	memset(p, 0, sizeof *p);
}
