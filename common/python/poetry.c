/* poetry.c — Poetry's dependency tables as PEP 508 requirement lines (see poetry.h).
 *
 * Poetry's constraint language (python-poetry.org/docs/dependency-specification): "^V" allows
 * changes that do not modify the left-most non-zero part, "~V" patch changes (minor ones when
 * only the major is given), "V.*" and "*" wildcards, a bare version is "==", clauses joined by
 * "," or spaces are all required, "||" joins alternatives. PEP 440 has no "or", so "||" is only
 * accepted where it can become a marker (python constraints). */
#include "python/poetry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python/wheel.h"

#define MAX_PARTS 8
#define MAX_CLAUSES 32
#define MAX_CONSTRAINT 512

/* The numeric release parts of v[0..n) ("1.2.3" → 1, 2, 3). Stops at the first part that is
 * not all digits (a pre-release "1.2.0b1" keeps 1, 2). Returns the count (0: none). */
static int
release_parts(const char *v, size_t n, long parts[MAX_PARTS])
{
	int count = 0;
	size_t i = 0;

	while (i < n && count < MAX_PARTS) {
		size_t start = i;
		long x = 0;

		while (i < n && isdigit((unsigned char)v[i])) {
			if (x < 100000000)
				x = x * 10 + (v[i] - '0');
			i++;
		}
		if (i == start)
			break;
		parts[count++] = x;
		if (i < n && v[i] != '.')
			break;
		i++;
	}
	return count;
}

static void
append_parts(struct pcb_buf *b, const long *parts, int n)
{
	for (int i = 0; i < n; i++)
		pcb_buf_appendf(b, "%s%ld", i > 0 ? "." : "", parts[i]);
}

/* "^V" or "~V" as ">=V,<U" into b. */
static int
bump_range(struct pcb_buf *b, char op, const char *v, size_t n, struct pcb_err *err)
{
	long parts[MAX_PARTS];
	int count = release_parts(v, n, parts), keep;

	if (count == 0)
		return pcb_err_set(err, PCB_EINVAL, "'%c%.*s' is not a version range", op, (int)n, v);
	if (op == '^') {
		/* The left-most non-zero part is the one that may not change; all zeros: the last. */
		keep = 0;
		while (keep < count - 1 && parts[keep] == 0)
			keep++;
	} else {
		keep = count == 1 ? 0 : 1;
	}
	pcb_buf_appendf(b, ">=%.*s,<", (int)n, v);
	parts[keep]++;
	append_parts(b, parts, keep + 1);
	/* The same number of parts as given ("<2.0.0" for "^1.2.3"), as Poetry writes it. */
	for (int i = keep + 1; i < count; i++)
		pcb_buf_append(b, ".0", 2);
	return 0;
}

static bool
is_sep(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

/* One alternative (no "||") as PEP 440 clauses joined with ",". */
static int
constraint_and(const char *c, size_t len, struct pcb_buf *b, struct pcb_err *err)
{
	static const char *const ops[] = { "===", "~=", "==", "!=", ">=", "<=", ">", "<", "^", "~",
	    "=" };
	size_t i = 0;
	int clauses = 0, rc;

	while (i < len) {
		const char *op = NULL;
		size_t vstart, vlen;

		while (i < len && is_sep(c[i]))
			i++;
		if (i >= len)
			break;
		for (size_t k = 0; k < PCB_ARRAY_LEN(ops) && op == NULL; k++)
			if (len - i >= strlen(ops[k]) && strncmp(c + i, ops[k], strlen(ops[k])) == 0)
				op = ops[k];
		if (op != NULL)
			i += strlen(op);
		while (i < len && isspace((unsigned char)c[i]))
			i++;
		vstart = i;
		while (i < len && !is_sep(c[i]))
			i++;
		vlen = i - vstart;
		if (vlen == 0)
			return pcb_err_set(err, PCB_EINVAL, "'%.*s': an operator without a version",
			    (int)len, c);
		if (++clauses > MAX_CLAUSES)
			return pcb_err_set(err, PCB_EINVAL, "'%.*s': too many clauses", (int)len, c);
		if (op == NULL && vlen == 1 && c[vstart] == '*')
			continue;   /* any version */
		if (b->len > 0)
			pcb_buf_append(b, ",", 1);
		if (op != NULL && (op[0] == '^' || (op[0] == '~' && op[1] == '\0'))) {
			if ((rc = bump_range(b, op[0], c + vstart, vlen, err)) != 0)
				return rc;
		} else {
			const char *o = op == NULL || strcmp(op, "=") == 0 ? "==" : op;
			pcb_buf_appendf(b, "%s%.*s", o, (int)vlen, c + vstart);
		}
	}
	return 0;
}

int
pcb_poetry_constraint(const char *c, char **out, struct pcb_err *err)
{
	struct pcb_buf b;
	int rc;

	*out = NULL;
	if (strlen(c) > MAX_CONSTRAINT)
		return pcb_err_set(err, PCB_EINVAL, "a version constraint longer than %d bytes",
		    MAX_CONSTRAINT);
	if (strstr(c, "||") != NULL)
		return pcb_err_set(err, PCB_EINVAL, "version '%s' has no PEP 440 form (\"||\")", c);
	pcb_buf_init(&b, 4 * MAX_CONSTRAINT);
	rc = constraint_and(c, strlen(c), &b, err);
	if (rc == 0)
		*out = pcb_xstrdup(b.data != NULL ? b.data : "");
	pcb_buf_free(&b);
	return rc;
}

/* "OPV" (one PEP 440 clause) as a marker term on the interpreter's version. */
static void
python_term(struct pcb_buf *m, const char *clause)
{
	size_t oplen = strspn(clause, "=!<>~");
	const char *v = clause + oplen;
	size_t vlen = strlen(v), dots = 0;
	const char *var;

	for (size_t i = 0; i < vlen; i++)
		dots += v[i] == '.';
	if (vlen > 2 && strcmp(v + vlen - 2, ".*") == 0) {
		/* "==3.8.*" is python_version == "3.8" (python_version is X.Y). */
		pcb_buf_appendf(m, "python_version %s \"%.*s\"", oplen == 2 && clause[0] == '!' ?
		    "!=" : "==", (int)(vlen - 2), v);
		return;
	}
	var = dots >= 2 ? "python_full_version" : "python_version";
	pcb_buf_appendf(m, "%s %.*s \"%s\"", var, (int)oplen, clause, v);
}

int
pcb_poetry_python_marker(const char *c, char **out, struct pcb_err *err)
{
	struct pcb_buf m, alt;
	const char *s = c;
	int n_alts = 0, rc = 0;

	*out = NULL;
	if (strlen(c) > MAX_CONSTRAINT)
		return pcb_err_set(err, PCB_EINVAL, "a python constraint longer than %d bytes",
		    MAX_CONSTRAINT);
	pcb_buf_init(&m, 16 * MAX_CONSTRAINT);
	pcb_buf_init(&alt, 4 * MAX_CONSTRAINT);
	for (;;) {
		const char *bar = strstr(s, "||");
		size_t len = bar != NULL ? (size_t)(bar - s) : strlen(s);
		char *save = NULL, *clause;

		alt.len = 0;
		if (alt.data != NULL)
			alt.data[0] = '\0';
		if ((rc = constraint_and(s, len, &alt, err)) != 0)
			goto out;
		if (alt.len == 0) {
			/* One alternative allows every version: no marker at all. */
			m.len = 0;
			n_alts = 0;
			break;
		}
		pcb_buf_appendf(&m, "%s(", n_alts > 0 ? " or " : "");
		for (clause = strtok_r(alt.data, ",", &save); clause != NULL;
		    clause = strtok_r(NULL, ",", &save)) {
			if (m.data[m.len - 1] != '(')
				pcb_buf_append(&m, " and ", 5);
			python_term(&m, clause);
		}
		pcb_buf_append(&m, ")", 1);
		n_alts++;
		if (bar == NULL)
			break;
		s = bar + 2;
	}
	if (n_alts == 1 && m.len > 2) {
		/* One alternative: no parentheses around it. */
		memmove(m.data, m.data + 1, m.len - 2);
		m.len -= 2;
		m.data[m.len] = '\0';
	}
	*out = pcb_xstrdup(m.len > 0 ? m.data : "");
out:
	pcb_buf_free(&m);
	pcb_buf_free(&alt);
	return rc;
}

/* ---- tables --------------------------------------------------------------------------- */

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	    NULL;
}

/* Whether one of the extras asked lists the dependency ([tool.poetry.extras]). */
static bool
wanted_by_extra(json_object *extras_table, const struct pcb_strv *extras, const char *name)
{
	char *norm = pcb_pyname_normalize(name);
	bool found = false;

	for (size_t e = 0; e < extras->n && !found; e++) {
		json_object *list = NULL;
		json_object_object_foreach(extras_table, k, v) {
			char *kn = pcb_pyname_normalize(k);
			char *en = pcb_pyname_normalize(extras->v[e]);
			if (strcmp(kn, en) == 0)
				list = v;
			free(kn);
			free(en);
		}
		for (size_t i = 0; list != NULL && json_object_is_type(list, json_type_array) &&
		    i < json_object_array_length(list) && !found; i++) {
			json_object *d = json_object_array_get_idx(list, i);
			char *dn;
			if (!json_object_is_type(d, json_type_string))
				continue;
			dn = pcb_pyname_normalize(json_object_get_string(d));
			found = strcmp(dn, norm) == 0;
			free(dn);
		}
	}
	free(norm);
	return found;
}

/* The markers of one table form: its markers, python and platform keys, and-ed. */
static int
table_markers(json_object *t, struct pcb_buf *mk, struct pcb_err *err)
{
	const char *markers = jstr(t, "markers"), *python = jstr(t, "python");
	const char *platform = jstr(t, "platform");
	char *pm = NULL;
	int rc;

	if (markers != NULL && markers[0] != '\0')
		pcb_buf_appendf(mk, "(%s)", markers);
	if (python != NULL) {
		if ((rc = pcb_poetry_python_marker(python, &pm, err)) != 0)
			return rc;
		if (pm[0] != '\0')
			pcb_buf_appendf(mk, "%s(%s)", mk->len > 0 ? " and " : "", pm);
		free(pm);
	}
	if (platform != NULL && platform[0] != '\0')
		pcb_buf_appendf(mk, "%ssys_platform == \"%s\"", mk->len > 0 ? " and " : "", platform);
	return 0;
}

/* One requirement line for a dependency given as a string or a table; skipped (*line NULL)
 * when optional and no extra asked for it. */
static int
dependency_line(const char *name, json_object *v, const char *context, json_object *extras_table,
    const struct pcb_strv *extras, char **line, struct pcb_err *err)
{
	struct pcb_buf b, mk;
	char *spec = NULL;
	const char *version = NULL, *git, *url, *path;
	json_object *ex, *opt;
	int rc = 0;

	*line = NULL;
	pcb_buf_init(&b, 8192);
	pcb_buf_init(&mk, 8192);
	if (json_object_is_type(v, json_type_string)) {
		version = json_object_get_string(v);
	} else if (json_object_is_type(v, json_type_object)) {
		opt = jget(v, "optional");
		if (opt != NULL && json_object_get_boolean(opt) &&
		    !wanted_by_extra(extras_table, extras, name))
			goto out;
		version = jstr(v, "version");
		if ((rc = table_markers(v, &mk, err)) != 0)
			goto out;
	} else {
		rc = pcb_err_set(err, PCB_EINVAL, "must be a version string or a table");
		goto out;
	}
	pcb_buf_appendf(&b, "%s", name);
	ex = jget(v, "extras");
	if (ex != NULL && json_object_is_type(ex, json_type_array) &&
	    json_object_array_length(ex) > 0) {
		pcb_buf_append(&b, "[", 1);
		for (size_t i = 0; i < json_object_array_length(ex); i++)
			pcb_buf_appendf(&b, "%s%s", i > 0 ? "," : "",
			    json_object_get_string(json_object_array_get_idx(ex, i)));
		pcb_buf_append(&b, "]", 1);
	}
	git = jstr(v, "git");
	url = jstr(v, "url");
	path = jstr(v, "path");
	if (git != NULL) {
		const char *ref = jstr(v, "rev") ? jstr(v, "rev") : jstr(v, "tag") ? jstr(v, "tag") :
		    jstr(v, "branch");
		const char *sub = jstr(v, "subdirectory");
		pcb_buf_appendf(&b, " @ %s%s%s%s%s%s", strncmp(git, "git+", 4) == 0 ? "" : "git+",
		    git, ref ? "@" : "", ref ? ref : "", sub ? "#subdirectory=" : "", sub ? sub : "");
	} else if (url != NULL) {
		pcb_buf_appendf(&b, " @ %s", url);
	} else if (path != NULL) {
		if (path[0] == '/')
			pcb_buf_appendf(&b, " @ file://%s", path);
		else
			pcb_buf_appendf(&b, " @ file://%s/%s", context, path);
	} else if (version != NULL) {
		if ((rc = pcb_poetry_constraint(version, &spec, err)) != 0)
			goto out;
		pcb_buf_appendf(&b, "%s", spec);
	}
	if (mk.len > 0)
		pcb_buf_appendf(&b, "%s; %s", git || url || path ? " " : "", mk.data);
	*line = pcb_buf_steal(&b, NULL);
out:
	free(spec);
	pcb_buf_free(&b);
	pcb_buf_free(&mk);
	return rc;
}

/* Every dependency of one table (name → string | table | array of tables). */
static int
table_lines(json_object *deps, const char *table, const char *context,
    json_object *extras_table, const struct pcb_strv *extras, struct pcb_strv *lines,
    struct pcb_err *err)
{
	json_object_object_foreach(deps, name, v) {
		size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
		int rc;

		if (strcmp(name, "python") == 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			json_object *one = json_object_is_type(v, json_type_array) ?
			    json_object_array_get_idx(v, i) : v;
			char *line = NULL;
			if ((rc = dependency_line(name, one, context, extras_table, extras, &line,
			    err)) != 0) {
				pcb_err_prefix(err, "pyproject.toml: [%s] %s", table, name);
				return rc;
			}
			if (line != NULL)
				pcb_strv_push_owned(lines, line);
		}
	}
	return 0;
}

int
pcb_poetry_requirements(json_object *pyproject, const char *context,
    const struct pcb_strv *extras, const struct pcb_strv *groups, struct pcb_strv *lines,
    struct pcb_err *err)
{
	json_object *poetry = jget(jget(pyproject, "tool"), "poetry");
	json_object *deps = jget(poetry, "dependencies"), *extras_table = jget(poetry, "extras");
	size_t before = lines->n;
	int rc;

	if (deps == NULL || !json_object_is_type(deps, json_type_object))
		return PCB_ENOENT;
	for (size_t e = 0; e < extras->n; e++) {
		bool known = false;
		if (extras_table != NULL && json_object_is_type(extras_table, json_type_object)) {
			char *en = pcb_pyname_normalize(extras->v[e]);
			json_object_object_foreach(extras_table, k, v) {
				char *kn = pcb_pyname_normalize(k);
				(void)v;
				known = known || strcmp(kn, en) == 0;
				free(kn);
			}
			free(en);
		}
		if (!known)
			return pcb_err_set(err, PCB_EINVAL, "extra '%s' is not in pyproject.toml "
			    "[tool.poetry.extras]", extras->v[e]);
	}
	if ((rc = table_lines(deps, "tool.poetry.dependencies", context, extras_table, extras,
	    lines, err)) != 0)
		return rc;
	for (size_t g = 0; g < groups->n; g++) {
		json_object *gd = jget(jget(jget(poetry, "group"), groups->v[g]), "dependencies");
		char *table;

		if (gd == NULL && strcmp(groups->v[g], "dev") == 0)
			gd = jget(poetry, "dev-dependencies");
		if (gd == NULL || !json_object_is_type(gd, json_type_object))
			return pcb_err_set(err, PCB_EINVAL, "group '%s' is not in pyproject.toml "
			    "[tool.poetry.group]", groups->v[g]);
		table = pcb_xasprintf("tool.poetry.group.%s.dependencies", groups->v[g]);
		rc = table_lines(gd, table, context, extras_table, extras, lines, err);
		free(table);
		if (rc != 0)
			return rc;
	}
	return lines->n > before ? 0 : PCB_ENOENT;
}
