/* framework.c — web framework detection (see framework.h). The project's modules (the import
 * package, top-level modules, an app/ folder) are scanned with pyscan; a framework counts only
 * when a module really imports it and binds an app object from its class (aliases resolved), or
 * for Django when manage.py sets DJANGO_SETTINGS_MODULE. Declared dependencies decide the server
 * (gunicorn or not) and turn "imports the framework but has no app" into an error a user can
 * act on instead of an image that cannot start. */
#include "python/framework.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "python/pyscan.h"

/* Bounds on what is scanned: a project this big keeps the first modules in sorted order. */
#define FW_FILES_MAX 2000
#define FW_BYTES_MAX (64 * 1024 * 1024)
#define FW_DEPTH_MAX 8
#define FW_DIR_ENTRIES_MAX 10000
#define FW_SEARCHED_LIST_MAX 480

struct pymod {
	char *rel;                 /* context-relative path: "src/pkg/main.py" */
	char *name;                /* import name relative to its root: "pkg.main" */
	struct pcb_pyscan scan;
};

struct modset {
	const struct pcb_framework_input *in;
	struct pymod *v;
	size_t n;
	size_t cap;
	size_t bytes;              /* file bytes scanned so far */
};

/* A web framework found by an app object bound from one of its classes. */
enum fw_kind {
	FW_ASGI,     /* served by an ASGI server */
	FW_WSGI,     /* served by a WSGI server (Flask has its own development one) */
	FW_SANIC,    /* served by its own `sanic` command */
};

struct fwdef {
	const char *name;          /* "fastapi": the framework's name */
	const char *pkg;           /* its top import package */
	const char *classes[4];    /* fully qualified class names, NULL-terminated */
	enum fw_kind kind;
	const char *server;        /* the server it brings along (quart: hypercorn), or NULL */
};

static const struct fwdef fw_fastapi = {
	"fastapi", "fastapi", { "fastapi.FastAPI", "fastapi.applications.FastAPI", NULL },
	FW_ASGI, NULL,
};
static const struct fwdef fw_starlette = {
	"starlette", "starlette", { "starlette.applications.Starlette", "starlette.Starlette",
	NULL }, FW_ASGI, NULL,
};
static const struct fwdef fw_litestar = {
	"litestar", "litestar", { "litestar.Litestar", "litestar.app.Litestar", NULL }, FW_ASGI,
	NULL,
};
static const struct fwdef fw_quart = {
	"quart", "quart", { "quart.Quart", "quart.app.Quart", NULL }, FW_ASGI, "hypercorn",
};
static const struct fwdef fw_falcon_asgi = {
	"falcon", "falcon", { "falcon.asgi.App", NULL }, FW_ASGI, NULL,
};
static const struct fwdef fw_sanic = {
	"sanic", "sanic", { "sanic.Sanic", "sanic.app.Sanic", NULL }, FW_SANIC, NULL,
};
static const struct fwdef fw_flask = {
	"flask", "flask", { "flask.Flask", "flask.app.Flask", NULL }, FW_WSGI, NULL,
};
static const struct fwdef fw_falcon = {
	"falcon", "falcon", { "falcon.App", "falcon.API", "falcon.app.App", NULL }, FW_WSGI, NULL,
};
/* Dash: the WSGI callable is the Flask app inside, `server = app.server`. */
static const struct fwdef fw_dash = {
	"dash", "dash", { "dash.Dash", "dash.dash.Dash", NULL }, FW_WSGI, NULL,
};

/* In this order: the first framework with an app object wins, then the first with a factory.
 * Falcon's WSGI App before its asgi.App: a project offering both serves the WSGI one by
 * default, as Falcon's own examples do. */
static const struct fwdef *const frameworks[] = { &fw_fastapi, &fw_starlette, &fw_litestar,
    &fw_quart, &fw_sanic, &fw_flask, &fw_dash, &fw_falcon, &fw_falcon_asgi };

/* Where an app usually lives: preferred among several candidates. */
static const char *const preferred_modules[] = { "main", "app", "api", "asgi", "wsgi",
    "server" };

/* ---- names ---- */

static bool
is_identifier(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c >= 0x80))
			return false;
	}
	return true;
}

static bool
is_dotted_identifier(const char *s)
{
	const char *dot;

	for (;;) {
		dot = strchr(s, '.');
		if (!is_identifier(s, dot ? (size_t)(dot - s) : strlen(s)))
			return false;
		if (dot == NULL)
			return true;
		s = dot + 1;
	}
}

/* The import name of a context-relative .py path, relative to its import root (src/ for a
 * src-layout package, else the context): "src/pkg/__init__.py" → "pkg", "app/main.py" →
 * "app.main" (a namespace package needs no __init__.py). NULL when not importable. */
static char *
module_name(const struct pcb_framework_input *in, const char *rel)
{
	const char *r = rel;
	char *name;
	size_t n, best = 0;

	for (size_t i = 0; in->roots != NULL && i < in->roots->n; i++) {
		size_t l = strlen(in->roots->v[i]);
		if (l > best && strncmp(rel, in->roots->v[i], l) == 0 && rel[l] == '/')
			best = l;
	}
	if (best > 0)
		r += best + 1;
	else if (in->package_in_src && pcb_str_has_prefix(rel, "src/"))
		r += 4;
	if (!pcb_str_has_suffix(r, ".py"))
		return NULL;
	name = pcb_xstrndup(r, strlen(r) - 3);
	for (char *c = name; *c != '\0'; c++)
		if (*c == '/')
			*c = '.';
	n = strlen(name);
	if (strcmp(name, "__init__") == 0) {
		name[0] = '\0';
	} else if (pcb_str_has_suffix(name, ".__init__")) {
		name[n - strlen(".__init__")] = '\0';
	}
	if (!is_dotted_identifier(name)) {
		free(name);
		return NULL;
	}
	return name;
}

/* PEP 503 form of a requirement's name, whatever else was written after it. */
static char *
normalise_dep(const char *s)
{
	struct pcb_buf b;
	bool sep = false;

	pcb_buf_init(&b, 256);
	for (; *s != '\0'; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '-' || c == '_' || c == '.') {
			sep = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			break;
		if ((sep && b.len > 0 && pcb_buf_append(&b, "-", 1) != 0) ||
		    pcb_buf_append(&b, &c, 1) != 0)
			break;
		sep = false;
	}
	return pcb_buf_steal(&b, NULL);
}

static bool
dep_has(const struct pcb_framework_input *in, const char *name)
{
	bool found = false;

	if (in->dependencies == NULL)
		return false;
	for (size_t i = 0; i < in->dependencies->n && !found; i++) {
		char *d = normalise_dep(in->dependencies->v[i]);

		found = strcmp(d, name) == 0;
		free(d);
	}
	return found;
}

/* ---- collecting modules ---- */

static bool
lstat_type(const char *context, const char *rel, mode_t type, off_t *size)
{
	char *path = pcb_path_join(context, rel);
	struct stat st;
	bool ok = lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;

	if (ok && size != NULL)
		*size = st.st_size;
	free(path);
	return ok;
}

static struct pymod *
find_module(const struct modset *ms, const char *rel)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].rel, rel) == 0)
			return &ms->v[i];
	return NULL;
}

/* Scans one file into the set. Files that cannot be imported, read or lexed are left out: they
 * cannot hold an app a server could load either. */
static void
add_file(struct modset *ms, const char *rel)
{
	struct pymod m = { 0 };
	char *path = NULL;
	off_t size = 0;

	if (ms->n >= FW_FILES_MAX || find_module(ms, rel) != NULL)
		return;
	if (!lstat_type(ms->in->context, rel, S_IFREG, &size) || size > PCB_PYSCAN_FILE_MAX ||
	    ms->bytes + (size_t)size > FW_BYTES_MAX)
		return;
	if ((m.name = module_name(ms->in, rel)) == NULL)
		return;
	path = pcb_path_join(ms->in->context, rel);
	if (pcb_pyscan_file(path, &m.scan, NULL) != 0) {
		free(m.name);
		goto out;
	}
	ms->bytes += (size_t)size;
	m.rel = pcb_xstrdup(rel);
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 16;
		ms->v = pcb_xrealloc(ms->v, ms->cap * sizeof *ms->v);
	}
	ms->v[ms->n++] = m;
out:
	free(path);
}

/* Sorted names in context/rel (no dot entries); empty when unreadable. */
static void
list_sorted(const char *context, const char *rel, struct pcb_strv *out)
{
	char *path = rel[0] != '\0' ? pcb_path_join(context, rel) : pcb_xstrdup(context);
	DIR *d = opendir(path);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL && out->n < FW_DIR_ENTRIES_MAX)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				pcb_strv_push(out, de->d_name);
		closedir(d);
	}
	pcb_strv_sort(out);
	free(path);
}

/* Every importable .py under rel (a package or namespace folder), depth-first in name order.
 * Symlinks are not followed; hidden folders and caches are skipped. */
static void
walk(struct modset *ms, const char *rel, int depth)
{
	struct pcb_strv ents;

	pcb_strv_init(&ents);
	list_sorted(ms->in->context, rel, &ents);
	for (size_t i = 0; i < ents.n && ms->n < FW_FILES_MAX; i++) {
		const char *e = ents.v[i];
		char *child = pcb_path_join(rel, e);

		if (pcb_str_has_suffix(e, ".py"))
			add_file(ms, child);
		else if (depth < FW_DEPTH_MAX && is_identifier(e, strlen(e)) &&
		    strcmp(e, "__pycache__") != 0 &&
		    lstat_type(ms->in->context, child, S_IFDIR, NULL))
			walk(ms, child, depth + 1);
		free(child);
	}
	pcb_strv_free(&ents);
}

static void
collect(struct modset *ms)
{
	const struct pcb_framework_input *in = ms->in;
	struct pcb_strv top;

	pcb_strv_init(&top);
	if (in->package != NULL) {
		char *dir = in->package_in_src ? pcb_path_join("src", in->package) :
		    pcb_xstrdup(in->package);

		if (lstat_type(in->context, dir, S_IFDIR, NULL))
			walk(ms, dir, 0);
		free(dir);
	}
	/* Top-level modules: those packed, or all of them when the caller has no include list. */
	if (in->include != NULL) {
		for (size_t i = 0; i < in->include->n; i++)
			pcb_strv_push(&top, in->include->v[i]);
		pcb_strv_sort(&top);
	} else {
		list_sorted(in->context, "", &top);
	}
	for (size_t i = 0; i < top.n; i++)
		if (strchr(top.v[i], '/') == NULL && pcb_str_has_suffix(top.v[i], ".py"))
			add_file(ms, top.v[i]);
	if ((in->include == NULL || pcb_strv_contains(in->include, "app")) &&
	    lstat_type(in->context, "app", S_IFDIR, NULL))
		walk(ms, "app", 0);
	/* The import roots whole: a flat src/ of modules and namespace folders has no package. */
	for (size_t i = 0; in->roots != NULL && i < in->roots->n; i++)
		if (lstat_type(in->context, in->roots->v[i], S_IFDIR, NULL))
			walk(ms, in->roots->v[i], 0);
	pcb_strv_free(&top);
}

static void
modset_free(struct modset *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->v[i].rel);
		free(ms->v[i].name);
		pcb_pyscan_free(&ms->v[i].scan);
	}
	free(ms->v);
	memset(ms, 0, sizeof *ms);
}

/* ---- what a module says ---- */

/* Does the module import pkg (or a submodule of it) at module scope? */
static bool
imports(const struct pymod *m, const char *pkg, bool any_scope)
{
	size_t n = strlen(pkg);

	for (size_t i = 0; i < m->scan.n; i++) {
		const struct pcb_pystmt *st = &m->scan.v[i];

		if ((st->kind != PCB_PYSTMT_IMPORT && st->kind != PCB_PYSTMT_FROM) ||
		    (!st->module_scope && !any_scope))
			continue;
		if (strncmp(st->module, pkg, n) == 0 && (st->module[n] == '\0' || st->module[n] == '.'))
			return true;
	}
	return false;
}

/* What the dotted name means at statement `upto` after the module-scope imports before it:
 * "F" → "fastapi.FastAPI" after `from fastapi import FastAPI as F`, "fa.FastAPI" →
 * "fastapi.FastAPI" after `import fastapi as fa`. NULL when its first name was not imported
 * (relative imports are not followed). Caller frees. */
static char *
resolve(const struct pymod *m, size_t upto, const char *dotted)
{
	size_t head = strcspn(dotted, ".");
	char *target = NULL;

	for (size_t i = 0; i < upto && i < m->scan.n; i++) {
		const struct pcb_pystmt *st = &m->scan.v[i];
		const char *local;
		size_t local_len;
		char *t;

		if (!st->module_scope || (st->kind != PCB_PYSTMT_IMPORT &&
		    st->kind != PCB_PYSTMT_FROM) || st->module[0] == '.')
			continue;
		if (st->kind == PCB_PYSTMT_IMPORT) {
			local = st->alias != NULL ? st->alias : st->module;
			local_len = st->alias != NULL ? strlen(local) : strcspn(local, ".");
			t = st->alias != NULL ? pcb_xstrdup(st->module) :
			    pcb_xstrndup(st->module, local_len);
		} else if (st->kind == PCB_PYSTMT_FROM && strcmp(st->name, "*") != 0) {
			local = st->alias != NULL ? st->alias : st->name;
			local_len = strlen(local);
			t = pcb_xasprintf("%s.%s", st->module, st->name);
		} else {
			continue;
		}
		if (local_len == head && strncmp(local, dotted, head) == 0) {
			free(target);
			target = t;
		} else {
			free(t);
		}
	}
	if (target != NULL && dotted[head] != '\0') {
		char *full = pcb_xasprintf("%s%s", target, dotted + head);

		free(target);
		target = full;
	}
	return target;
}

/* resolve() inside a function: the imports of the function body (statements def_k+1 .. upto)
 * first, then the module's. */
static char *
resolve_local(const struct pymod *m, size_t def_k, size_t upto, const char *dotted)
{
	size_t head = strcspn(dotted, ".");
	char *target = NULL;

	for (size_t i = def_k + 1; i < upto && i < m->scan.n; i++) {
		const struct pcb_pystmt *st = &m->scan.v[i];
		const char *local;
		char *t;

		if (st->kind == PCB_PYSTMT_IMPORT) {
			local = st->alias != NULL ? st->alias : st->module;
			if ((st->alias != NULL ? strlen(local) : strcspn(local, ".")) != head ||
			    strncmp(local, dotted, head) != 0)
				continue;
			t = st->alias != NULL ? pcb_xstrdup(st->module) : pcb_xstrndup(st->module, head);
		} else if (st->kind == PCB_PYSTMT_FROM && st->module[0] != '.' &&
		    strcmp(st->name, "*") != 0) {
			local = st->alias != NULL ? st->alias : st->name;
			if (strlen(local) != head || strncmp(local, dotted, head) != 0)
				continue;
			t = pcb_xasprintf("%s.%s", st->module, st->name);
		} else {
			continue;
		}
		free(target);
		target = t;
	}
	if (target == NULL)
		return resolve(m, upto, dotted);
	if (dotted[head] != '\0') {
		char *full = pcb_xasprintf("%s%s", target, dotted + head);
		free(target);
		target = full;
	}
	return target;
}

static bool
is_app_class(const struct fwdef *fd, const char *qualified)
{
	for (size_t i = 0; fd->classes[i] != NULL; i++)
		if (strcmp(fd->classes[i], qualified) == 0)
			return true;
	return false;
}

/* ---- choosing among candidates ---- */

struct cand {
	const struct pymod *m;
	const struct pcb_pystmt *st;   /* the app's assignment, or the factory's def */
	bool factory;                  /* st is a def to call (uvicorn --factory, 'mod:f()') */
	bool indirect;                 /* st is `app = factory()` */
	const char *name;              /* the name served in m: st->name, or the name another
	                                * module imports it under (serve_from) */
	const char *why;               /* a note for the plan when the served module is not
	                                * where the app is made, or NULL */
};

struct cands {
	struct cand *v;
	size_t n;
	size_t cap;
};

static void
cands_add(struct cands *cs, const struct cand *c)
{
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 8;
		cs->v = pcb_xrealloc(cs->v, cs->cap * sizeof *cs->v);
	}
	cs->v[cs->n++] = *c;
}

static bool
preferred_module(const char *name)
{
	const char *last = strrchr(name, '.');

	last = last != NULL ? last + 1 : name;
	for (size_t i = 0; i < PCB_ARRAY_LEN(preferred_modules); i++)
		if (strcmp(last, preferred_modules[i]) == 0)
			return true;
	return false;
}

/* Tests, examples and docs hold apps too, but never the one the project serves. */
static bool
not_served(const char *module)
{
	static const char *const parts[] = { "tests", "test", "testing", "conftest", "examples",
	    "example", "docs", "doc", "benchmarks", "scripts" };
	const char *s = module;

	for (;;) {
		size_t n = strcspn(s, ".");
		for (size_t i = 0; i < PCB_ARRAY_LEN(parts); i++)
			if (strlen(parts[i]) == n && strncmp(parts[i], s, n) == 0)
				return true;
		if (n > 5 && strncmp(s, "test_", 5) == 0)
			return true;
		if (s[n] == '\0')
			return false;
		s += n + 1;
	}
}

static size_t
dots(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '.';
	return n;
}

/* Negative when a is the better app: the variable (or factory) with the preferred name, then
 * a module named main/app/api/asgi/wsgi/server, then the shallowest, then by name and line. */
static int
cand_cmp(const struct cand *a, const struct cand *b, const char *best_name)
{
	int pa = strcmp(a->st->name, best_name) != 0, pb = strcmp(b->st->name, best_name) != 0;
	size_t da, db;
	int c;

	if (pa != pb)
		return pa - pb;
	pa = !preferred_module(a->m->name);
	pb = !preferred_module(b->m->name);
	if (pa != pb)
		return pa - pb;
	da = dots(a->m->name);
	db = dots(b->m->name);
	if (da != db)
		return da < db ? -1 : 1;
	if ((c = strcmp(a->m->name, b->m->name)) != 0)
		return c;
	return a->st->line - b->st->line;
}

static int
cand_qsort_cmp(const void *a, const void *b)
{
	/* Apps prefer the name "app", factories "create_app". */
	return cand_cmp(a, b, ((const struct cand *)a)->factory ? "create_app" : "app");
}

/* Sorts best first. */
static void
cands_sort(struct cands *cs)
{
	if (cs->n > 1)
		qsort(cs->v, cs->n, sizeof *cs->v, cand_qsort_cmp);
}

/* The absolute module a `from … import` of m names: "from .a import b" in pkg/main.py is
 * "pkg.a", "from . import x" in pkg/__init__.py is "pkg" (caller frees). */
static char *
from_module(const struct pymod *m, const struct pcb_pystmt *st)
{
	const char *mod = st->module;
	size_t up = 0;
	char *base, *out;

	if (mod[0] != '.')
		return pcb_xstrdup(mod);
	for (; *mod == '.'; mod++)
		up++;
	/* The package m lives in ("pkg.main" → "pkg"; a package's __init__ is itself). */
	base = pcb_xstrdup(m->name);
	if (!pcb_str_has_suffix(m->rel, "__init__.py"))
		up++;
	for (size_t k = 0; k < up - 1 && base[0] != '\0'; k++) {
		char *dot = strrchr(base, '.');
		if (dot != NULL)
			*dot = '\0';
		else
			base[0] = '\0';
	}
	out = pcb_xasprintf("%s%s%s", base, base[0] && *mod ? "." : "", mod);
	free(base);
	return out;
}

/* Whether m imports the module `name` (import name / from name import … / from its
 * package import it), at any scope. */
static bool
imports_module(const struct pymod *m, const char *name)
{
	bool hit = false;

	for (size_t i = 0; i < m->scan.n && !hit; i++) {
		const struct pcb_pystmt *st = &m->scan.v[i];
		char *fm, *full;

		if (st->kind == PCB_PYSTMT_IMPORT) {
			hit = strcmp(st->module, name) == 0;
		} else if (st->kind == PCB_PYSTMT_FROM) {
			fm = from_module(m, st);
			full = pcb_xasprintf("%s%s%s", fm, fm[0] ? "." : "", st->name);
			hit = strcmp(fm, name) == 0 || strcmp(full, name) == 0;
			free(fm);
			free(full);
		}
	}
	return hit;
}

/* The module a module-scope `from X import f` / relative import in m names, resolved to an
 * absolute dotted name ("pkg.factory.create_app"); NULL when callee was not imported. */
static char *
resolve_any(const struct pymod *m, size_t upto, const char *callee)
{
	size_t head = strcspn(callee, ".");
	char *abs = resolve(m, upto, callee);

	if (abs != NULL)
		return abs;
	/* Relative imports: "from .factory import create_app" in pkg/main.py → pkg.factory. */
	for (size_t i = 0; i < upto && i < m->scan.n; i++) {
		const struct pcb_pystmt *st = &m->scan.v[i];
		const char *local;
		char *fm;

		if (!st->module_scope || st->kind != PCB_PYSTMT_FROM || st->module[0] != '.')
			continue;
		local = st->alias != NULL ? st->alias : st->name;
		if (strlen(local) != head || strncmp(local, callee, head) != 0)
			continue;
		fm = from_module(m, st);
		free(abs);
		abs = pcb_xasprintf("%s%s%s%s", fm, fm[0] ? "." : "", st->name, callee + head);
		free(fm);
	}
	return abs;
}

static const struct pymod *
module_named(const struct modset *ms, const char *name, size_t len)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strlen(ms->v[i].name) == len && strncmp(ms->v[i].name, name, len) == 0)
			return &ms->v[i];
	return NULL;
}

/* Whether the module-scope def at index k of m builds an app of fd: its body (the statements
 * up to the next module-scope one) binds a name to the framework's class (imports inside the
 * function count), or it is named like a factory in a module that imports the framework. */
static bool
is_factory(const struct pymod *m, size_t k, const struct fwdef *fd)
{
	static const char *const names[] = { "create_app", "make_app", "get_app", "build_app",
	    "app_factory", "create_application", "get_application" };
	const struct pcb_pystmt *def = &m->scan.v[k];

	if (def->kind != PCB_PYSTMT_DEF || !def->module_scope || !imports(m, fd->pkg, true))
		return false;
	for (size_t j = k + 1; j < m->scan.n && !m->scan.v[j].module_scope; j++) {
		const struct pcb_pystmt *st = &m->scan.v[j];
		char *q;
		bool hit;

		if (st->kind != PCB_PYSTMT_CALL_ASSIGN)
			continue;
		q = resolve_local(m, k, j, st->callee);
		hit = q != NULL && is_app_class(fd, q);
		free(q);
		if (hit)
			return true;
	}
	for (size_t i = 0; i < PCB_ARRAY_LEN(names); i++)
		if (strcmp(def->name, names[i]) == 0)
			return true;
	return false;
}

/* The factory `callee` names when called at statement k of m: a def of m itself, or one it
 * imports from another module of the set. */
static bool
calls_factory(const struct modset *ms, const struct pymod *m, size_t k, const char *callee,
    const struct fwdef *fd)
{
	const struct pymod *target = m;
	const char *fname = callee, *dot;
	char *abs = resolve_any(m, k, callee);
	bool hit = false;

	if (abs != NULL) {
		if ((dot = strrchr(abs, '.')) == NULL)
			goto out;
		target = module_named(ms, abs, (size_t)(dot - abs));
		fname = dot + 1;
		if (target == NULL)
			goto out;
	} else if (strchr(callee, '.') != NULL) {
		goto out;
	}
	for (size_t i = 0; i < target->scan.n && !hit; i++)
		hit = target->scan.v[i].kind == PCB_PYSTMT_DEF && target->scan.v[i].module_scope &&
		    strcmp(target->scan.v[i].name, fname) == 0 && is_factory(target, i, fd);
out:
	free(abs);
	return hit;
}

/* Dash's WSGI callable: the module-scope `server = app.server` of the Dash app `app`. */
static const struct pcb_pystmt *
dash_server(const struct pymod *m, const char *app)
{
	size_t n = strlen(app);

	for (size_t k = 0; k < m->scan.n; k++) {
		const struct pcb_pystmt *st = &m->scan.v[k];
		if (st->kind == PCB_PYSTMT_ALIAS && st->module_scope &&
		    strncmp(st->callee, app, n) == 0 && strcmp(st->callee + n, ".server") == 0)
			return st;
	}
	return NULL;
}

/* Every app of fd in the set, best first: module-scope `X = <framework class>(…)` and
 * `X = <factory>(…)`. A Dash app counts with its `server = app.server` only: that is what a
 * WSGI server loads (without it the app runs as its own script). */
static void
find_apps(const struct modset *ms, const struct fwdef *fd, struct cands *out)
{
	for (size_t i = 0; i < ms->n; i++) {
		const struct pymod *m = &ms->v[i];

		if (not_served(m->name))
			continue;
		for (size_t k = 0; k < m->scan.n; k++) {
			const struct pcb_pystmt *st = &m->scan.v[k];
			struct cand c = { m, st, false, false, st->name, NULL };
			char *q;
			bool hit;

			if (st->kind != PCB_PYSTMT_CALL_ASSIGN || !st->module_scope)
				continue;
			q = resolve(m, k, st->callee);
			hit = q != NULL && is_app_class(fd, q) && imports(m, fd->pkg, false);
			free(q);
			if (!hit && calls_factory(ms, m, k, st->callee, fd))
				hit = c.indirect = true;
			if (hit && fd == &fw_dash && dash_server(m, st->name) == NULL)
				hit = false;
			if (hit)
				cands_add(out, &c);
		}
	}
	cands_sort(out);
}

/* Every factory of fd in the set (defs to call), best first. */
static void
find_factories(const struct modset *ms, const struct fwdef *fd, struct cands *out)
{
	for (size_t i = 0; i < ms->n; i++) {
		const struct pymod *m = &ms->v[i];

		if (not_served(m->name))
			continue;
		for (size_t k = 0; k < m->scan.n; k++) {
			struct cand c = { m, &m->scan.v[k], true, false, m->scan.v[k].name, NULL };
			if (is_factory(m, k, fd))
				cands_add(out, &c);
		}
	}
	cands_sort(out);
}

/* ---- what starts a server ---- */

/* Calls that start a production server, by what they resolve to through the imports; a name
 * ending in '.' covers everything under it. */
static const char *const server_calls[] = {
	"uvicorn.run", "uvicorn.Server", "hypercorn.asyncio.serve", "hypercorn.trio.serve",
	"hypercorn.run", "waitress.serve", "aiohttp.web.run_app", "bjoern.run", "tornado.ioloop.",
	"tornado.httpserver.", "gevent.pywsgi.WSGIServer", "eventlet.wsgi.server",
	"cheroot.wsgi.Server", "granian.", "daphne.server.", "cherrypy.quickstart",
	"gunicorn.app.", "meinheld.server.run",
};
/* Servers for development: they serve, but are what a production server replaces. */
static const char *const dev_calls[] = {
	"werkzeug.serving.run_simple", "wsgiref.simple_server.make_server", "http.server.",
	"socketserver.", "bottle.run",
};
/* Methods that serve an object the module made: app.run(), app.run_server(), server.serve(). */
static const char *const run_methods[] = { "run", "run_server", "run_app", "serve",
    "serve_forever" };

#define NO_DEF ((size_t)-1)

enum serves { SERVES_NO, SERVES_DEV, SERVES_PROD };

static bool
call_listed(const char *q, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);

		if (list[i][l - 1] == '.' ? strncmp(q, list[i], l) == 0 :
		    strncmp(q, list[i], l) == 0 && (q[l] == '\0' || q[l] == '.'))
			return true;
	}
	return false;
}

static enum serves
qualified_serves(const char *q)
{
	if (q == NULL)
		return SERVES_NO;
	if (call_listed(q, server_calls, PCB_ARRAY_LEN(server_calls)))
		return SERVES_PROD;
	return call_listed(q, dev_calls, PCB_ARRAY_LEN(dev_calls)) ? SERVES_DEV : SERVES_NO;
}

/* What a dotted name means at statement k (inside the def at def_k, or at module scope). */
static char *
resolve_at(const struct pymod *m, size_t def_k, size_t k, const char *dotted)
{
	return def_k != NO_DEF ? resolve_local(m, def_k, k, dotted) : resolve(m, k, dotted);
}

/* Whether the call at k starts a server: a server's own call (uvicorn.run(…)), a method of a
 * server object the module made (HTTPServer(app) … .start()), or a run method of an object the
 * module made or imported from the project (app.run(), the framework's own server: Sanic's
 * is a production one, the others are for development). */
static enum serves
call_serves(const struct modset *ms, const struct pymod *m, size_t k, size_t def_k)
{
	const struct pcb_pystmt *st = &m->scan.v[k];
	const char *dot = strrchr(st->callee, '.');
	char *q = resolve_at(m, def_k, k, st->callee);
	enum serves r = qualified_serves(q);
	bool run = false;
	size_t xlen;

	free(q);
	if (r != SERVES_NO || dot == NULL || strchr(st->callee, '.') != dot)
		return r;
	xlen = (size_t)(dot - st->callee);
	for (size_t i = 0; i < PCB_ARRAY_LEN(run_methods); i++)
		run = run || strcmp(dot + 1, run_methods[i]) == 0;
	for (size_t j = 0; j < m->scan.n && r == SERVES_NO; j++) {
		const struct pcb_pystmt *b = &m->scan.v[j];
		char *bq;

		if (b->kind == PCB_PYSTMT_CALL_ASSIGN && strlen(b->name) == xlen &&
		    strncmp(b->name, st->callee, xlen) == 0) {
			bq = resolve(m, j, b->callee);
			r = qualified_serves(bq);
			if (r == SERVES_NO && run)
				r = bq != NULL && (strcmp(bq, "sanic.Sanic") == 0 ||
				    strcmp(bq, "sanic.app.Sanic") == 0) ? SERVES_PROD : SERVES_DEV;
			free(bq);
		} else if (run && b->kind == PCB_PYSTMT_FROM && b->module_scope &&
		    strcmp(b->name, "*") != 0 && strlen(b->alias != NULL ? b->alias : b->name) ==
		    xlen && strncmp(b->alias != NULL ? b->alias : b->name, st->callee, xlen) == 0 &&
		    (b->module[0] == '.' || module_named(ms, b->module, strcspn(b->module, "."))
		    != NULL)) {
			r = SERVES_DEV;   /* an app of the project's, run by its framework */
		}
	}
	return r;
}

/* The def a call at k of m names: a def of m, or of another module of the set it imports
 * (absolute or relative). NULL when it is not the project's. */
static const struct pymod *
called_def(const struct modset *ms, const struct pymod *m, size_t k, size_t def_k,
    size_t *def_out)
{
	const char *callee = m->scan.v[k].callee, *fname = callee, *dot;
	const struct pymod *target = m, *found = NULL;
	char *abs = resolve_at(m, def_k, k, callee);

	if (abs == NULL)
		abs = resolve_any(m, k, callee);
	if (abs != NULL) {
		dot = strrchr(abs, '.');
		target = dot != NULL ? module_named(ms, abs, (size_t)(dot - abs)) : NULL;
		fname = dot != NULL ? dot + 1 : NULL;
	} else if (strchr(callee, '.') != NULL) {
		target = NULL;
	}
	for (size_t i = 0; target != NULL && i < target->scan.n && found == NULL; i++) {
		const struct pcb_pystmt *d = &target->scan.v[i];
		if (d->kind == PCB_PYSTMT_DEF && d->module_scope && strcmp(d->name, fname) == 0) {
			*def_out = i;
			found = target;
		}
	}
	free(abs);
	return found;
}

/* Where serving was found: the module, the statement. */
struct serving {
	enum serves how;
	const struct pymod *m;
	const struct pcb_pystmt *st;
};

/* The best serving call among the statements of a def body (def_k) or of the main guard
 * (def_k NO_DEF), following calls into the project's own functions `depth` levels down. */
static void
body_serves(const struct modset *ms, const struct pymod *m, size_t def_k, int depth,
    struct serving *out)
{
	size_t start = def_k != NO_DEF ? def_k + 1 : 0;

	for (size_t k = start; k < m->scan.n && out->how != SERVES_PROD; k++) {
		const struct pcb_pystmt *st = &m->scan.v[k];
		enum serves h;
		size_t dk;
		const struct pymod *dm;

		if (def_k != NO_DEF && st->module_scope)
			break;   /* the end of the body */
		if (st->kind != PCB_PYSTMT_CALL || (def_k == NO_DEF && !st->main_guard))
			continue;
		if ((h = call_serves(ms, m, k, def_k)) > out->how) {
			out->how = h;
			out->m = m;
			out->st = st;
		} else if (h == SERVES_NO && depth > 0 &&
		    (dm = called_def(ms, m, k, def_k, &dk)) != NULL && !(dm == m && dk == def_k)) {
			body_serves(ms, dm, dk, depth - 1, out);
		}
	}
}

static bool
serving_dev_mode(const struct pcb_pystmt *st)
{
	const char *v = st->value;

	for (; v != NULL && *v != '\0'; v += strspn(v, " ")) {
		size_t n = strcspn(v, " ");
		if ((n == 5 && strncmp(v, "debug", 5) == 0) || (n == 6 && strncmp(v, "reload", 6) == 0))
			return true;
		v += n;
	}
	return false;
}

/* The port= literal of a serving call, else the server's default (uvicorn and hypercorn
 * 8000, aiohttp and waitress 8080, Flask 5000, Dash 8050), else 0. */
static int
serving_port(const struct serving *sv)
{
	const char *v = sv->st->value != NULL ? strstr(sv->st->value, "port=") : NULL;
	char *q;
	int port = 0;

	if (v != NULL && (v == sv->st->value || v[-1] == ' '))
		return atoi(v + 5);
	q = resolve(sv->m, (size_t)(sv->st - sv->m->scan.v), sv->st->callee);
	if (q != NULL && (pcb_str_has_prefix(q, "uvicorn.") || pcb_str_has_prefix(q, "hypercorn.")))
		port = 8000;
	else if (q != NULL && (pcb_str_has_prefix(q, "aiohttp.") || pcb_str_has_prefix(q,
	    "waitress.")))
		port = 8080;
	else if (pcb_str_has_suffix(sv->st->callee, ".run_server"))
		port = 8050;
	else if (pcb_str_has_suffix(sv->st->callee, ".run") && sv->how == SERVES_DEV)
		port = 5000;
	free(q);
	return port;
}

/* A run script's file name: named after the project, or one of the usual names. */
static bool
script_named(const struct pcb_framework_input *in, const char *base)
{
	static const char *const names[] = { "main", "app", "server", "serve", "run", "start",
	    "wsgi", "asgi", "application", "web", "api", "bot" };
	size_t n = strlen(base) - 3;   /* without ".py" */
	bool hit = false;

	for (size_t i = 0; i < PCB_ARRAY_LEN(names) && !hit; i++)
		hit = strlen(names[i]) == n && strncmp(base, names[i], n) == 0;
	if (!hit && in->project_name != NULL) {
		char *a = normalise_dep(in->project_name), *b = pcb_xstrndup(base, n), *nb;
		nb = normalise_dep(b);
		hit = strcmp(a, nb) == 0 || (pcb_str_has_prefix(a, nb) && a[strlen(nb)] == '-');
		free(a);
		free(b);
		free(nb);
	}
	return hit;
}

/* Whether rel is at the top of the context or of an import root. */
static bool
at_top(const struct pcb_framework_input *in, const char *rel)
{
	const char *slash = strrchr(rel, '/');

	if (slash == NULL)
		return true;
	for (size_t i = 0; in->roots != NULL && i < in->roots->n; i++)
		if (strlen(in->roots->v[i]) == (size_t)(slash - rel) &&
		    strncmp(rel, in->roots->v[i], (size_t)(slash - rel)) == 0)
			return true;
	return in->package_in_src && slash - rel == 3 && strncmp(rel, "src", 3) == 0;
}

/* The project's run script (framework.h): the best of the modules at the top whose main guard
 * serves; named ones first, then those not in debug/reload mode, then the shallowest. */
static void
find_run_script(const struct modset *ms, struct pcb_framework *r)
{
	const struct pymod *best = NULL;
	struct serving bsv = { 0 };
	int best_rank = 0;

	for (size_t i = 0; i < ms->n; i++) {
		const struct pymod *m = &ms->v[i];
		const char *base = strrchr(m->rel, '/') != NULL ? strrchr(m->rel, '/') + 1 : m->rel;
		struct serving sv = { SERVES_NO, NULL, NULL };
		int rank;

		if (!at_top(ms->in, m->rel) || not_served(m->name) || strcmp(base, "__main__.py") == 0 ||
		    strcmp(base, "__init__.py") == 0 || strcmp(base, "setup.py") == 0)
			continue;
		body_serves(ms, m, NO_DEF, 2, &sv);
		if (sv.how == SERVES_NO)
			continue;
		rank = (script_named(ms->in, base) ? 0 : 4) + (serving_dev_mode(sv.st) ? 2 : 0) +
		    (strchr(m->rel, '/') != NULL ? 1 : 0);
		if (best != NULL) {
			pcb_strv_push_owned(&r->script_alternatives, pcb_xasprintf("python %s",
			    rank < best_rank ? best->rel : m->rel));
			if (rank >= best_rank)
				continue;
		}
		best = m;
		bsv = sv;
		best_rank = rank;
	}
	if (best == NULL)
		return;
	pcb_strv_push(&r->script_cmd, "python");
	pcb_strv_push(&r->script_cmd, best->rel);
	r->script_dev = serving_dev_mode(bsv.st);
	r->script_port = serving_port(&bsv);
	for (size_t k = 0; k < best->scan.n; k++) {
		if (best->scan.v[k].kind == PCB_PYSTMT_MAIN_GUARD) {
			r->script_source = pcb_xasprintf("%s:%d: %s, which serves at %s:%d: %s",
			    best->rel, best->scan.v[k].line, best->scan.v[k].text, bsv.m->rel,
			    bsv.st->line, bsv.st->text);
			break;
		}
	}
	if (r->script_source == NULL)
		r->script_source = pcb_xasprintf("%s:%d: %s", bsv.m->rel, bsv.st->line, bsv.st->text);
}

/* The console scripts whose function starts a production server (framework.h). Those with
 * extras ("blackd:main [d]") are passed over: the image does not install extras unasked. */
static void
find_serving_scripts(const struct modset *ms, struct pcb_framework *r)
{
	for (size_t i = 0; ms->in->scripts != NULL && i < ms->in->scripts->n; i++) {
		const char *e = ms->in->scripts->v[i], *eq = strstr(e, " = "), *t, *colon;
		const struct pymod *m;
		struct serving sv = { SERVES_NO, NULL, NULL };
		size_t fl;

		if (eq == NULL || strchr(eq, '[') != NULL || (colon = strchr(eq + 3, ':')) == NULL)
			continue;
		t = eq + 3;
		if ((m = module_named(ms, t, (size_t)(colon - t))) == NULL)
			continue;
		fl = strcspn(colon + 1, ". ");
		for (size_t k = 0; k < m->scan.n; k++) {
			const struct pcb_pystmt *d = &m->scan.v[k];
			if (d->kind == PCB_PYSTMT_DEF && d->module_scope && strlen(d->name) == fl &&
			    strncmp(d->name, colon + 1, fl) == 0) {
				body_serves(ms, m, k, 1, &sv);
				break;
			}
		}
		if (sv.how != SERVES_PROD)
			continue;
		pcb_strv_push_owned(&r->serving, pcb_xstrndup(e, (size_t)(eq - e)));
		pcb_strv_push_owned(&r->serving_why, pcb_xasprintf("%s:%d: %s", sv.m->rel,
		    sv.st->line, sv.st->text));
	}
}

/* ---- results ---- */

static void
push_env_port(struct pcb_framework *r)
{
	pcb_strv_push_owned(&r->env, pcb_xasprintf("PORT=%d", r->port));
}

static char *
cand_source(const struct cand *c, const char *note)
{
	return pcb_xasprintf("%s:%d: %s%s%s", c->m->rel, c->st->line, c->st->text,
	    note != NULL ? note : "", c->why != NULL ? c->why : "");
}

static void
push_all(struct pcb_strv *v, const char *const *args)
{
	for (size_t i = 0; args[i] != NULL; i++)
		pcb_strv_push(v, args[i]);
}

/* Whether the project asks for name[extra] ("fastapi[standard]"). */
static bool
dep_extra(const struct pcb_framework_input *in, const char *name, const char *extra)
{
	char *pair = pcb_xasprintf("%s[%s]", name, extra);
	bool yes = in->extras != NULL && pcb_strv_contains(in->extras, pair);

	free(pair);
	return yes;
}

/* An ASGI app (FastAPI, Starlette, Litestar, Quart, Falcon's) behind the server the project
 * lists: gunicorn with uvicorn's workers when both are there, else uvicorn, hypercorn,
 * granian or daphne; when none is, the one the framework brings (Quart: hypercorn), else
 * uvicorn (fastapi[standard] and litestar[standard] bring it). FastAPI declared with its CLI
 * and no server of its own runs under `fastapi run`; Litestar, whose CLI is part of it, runs
 * under `litestar run` whenever uvicorn is there and no other server is listed. A factory is
 * called the way each server supports it. */
static void
result_asgi(const struct pcb_framework_input *in, const struct fwdef *fd, const struct cand *c,
    struct pcb_framework *r)
{
	const char *note = NULL, *server;
	char *target, *call;

	r->name = pcb_xstrdup(fd->name);
	r->app_module = pcb_xstrdup(c->m->name);
	r->app_object = c->factory ? pcb_xasprintf("%s()", c->name) : pcb_xstrdup(c->name);
	r->port = 8000;
	target = pcb_xasprintf("%s:%s", r->app_module, c->name);
	call = pcb_xasprintf("%s:%s", r->app_module, r->app_object);
	if (fd == &fw_fastapi && !c->factory && (dep_extra(in, "fastapi", "standard") ||
	    dep_has(in, "fastapi-cli")) && !dep_has(in, "gunicorn") && !dep_has(in, "uvicorn") &&
	    !dep_has(in, "hypercorn") && !dep_has(in, "granian") && !dep_has(in, "daphne"))
		server = "fastapi";   /* FastAPI's own CLI, as its Docker guide runs it */
	else if (fd == &fw_litestar && (dep_has(in, "uvicorn") || dep_extra(in, "litestar",
	    "standard")) && !dep_has(in, "gunicorn") && !dep_has(in, "hypercorn") &&
	    !dep_has(in, "granian") && !dep_has(in, "daphne"))
		server = "litestar";
	else if (dep_has(in, "gunicorn") && dep_has(in, "uvicorn"))
		server = "gunicorn";
	else if (dep_has(in, "uvicorn"))
		server = "uvicorn";
	else if (dep_has(in, "hypercorn"))
		server = "hypercorn";
	else if (dep_has(in, "granian"))
		server = "granian";
	else if (dep_has(in, "daphne") && !c->factory)
		server = "daphne";
	else
		server = fd->server != NULL ? fd->server : "uvicorn";
	if (strcmp(server, "fastapi") == 0) {
		push_all(&r->cmd, (const char *const[]){ "fastapi", "run", c->m->rel, "--host",
		    "0.0.0.0", "--port", "8000", NULL });
		if (strcmp(c->name, "app") != 0)
			push_all(&r->cmd, (const char *const[]){ "--app", c->name, NULL });
	} else if (strcmp(server, "litestar") == 0) {
		/* litestar --app takes a factory as it is and calls it. */
		push_all(&r->cmd, (const char *const[]){ "litestar", "--app", target, "run", "--host",
		    "0.0.0.0", "--port", "8000", NULL });
		r->server_declared = dep_has(in, "uvicorn");
	} else if (strcmp(server, "gunicorn") == 0) {
		push_all(&r->cmd, (const char *const[]){ "gunicorn", "--worker-class",
		    "uvicorn.workers.UvicornWorker", "--bind", "0.0.0.0:8000", call, NULL });
	} else if (strcmp(server, "hypercorn") == 0) {
		push_all(&r->cmd, (const char *const[]){ "hypercorn", "--bind", "0.0.0.0:8000", call,
		    NULL });
	} else if (strcmp(server, "granian") == 0) {
		push_all(&r->cmd, (const char *const[]){ "granian", "--interface", "asgi", "--host",
		    "0.0.0.0", "--port", "8000", NULL });
		if (c->factory)
			pcb_strv_push(&r->cmd, "--factory");
		pcb_strv_push(&r->cmd, target);
	} else if (strcmp(server, "daphne") == 0) {
		push_all(&r->cmd, (const char *const[]){ "daphne", "--bind", "0.0.0.0", "--port",
		    "8000", target, NULL });
	} else {
		pcb_strv_push(&r->cmd, "uvicorn");
		if (c->factory)
			pcb_strv_push(&r->cmd, "--factory");
		push_all(&r->cmd, (const char *const[]){ target, "--host", "0.0.0.0", "--port", "8000",
		    NULL });
		if (!dep_has(in, "uvicorn"))
			note = fd == &fw_fastapi ?
			    " (uvicorn is not a declared dependency; it comes with fastapi[standard])" :
			    fd == &fw_litestar ?
			    " (uvicorn is not a declared dependency; it comes with litestar[standard])" :
			    " (uvicorn is not a declared dependency; add it)";
	}
	if (strcmp(server, "fastapi") != 0 && strcmp(server, "litestar") != 0)
		r->server_declared = dep_has(in, server);
	free(target);
	free(call);
	push_env_port(r);
	r->source = cand_source(c, note);
}

/* A WSGI app (Flask, Falcon) behind the server the project lists (gunicorn, waitress, uWSGI),
 * else Flask's `flask run`, else gunicorn. */
static void
result_wsgi(const struct pcb_framework_input *in, const struct fwdef *fd, const struct cand *c,
    struct pcb_framework *r)
{
	const char *note = NULL, *obj = c->name;
	const struct pcb_pystmt *alias;

	if (fd == &fw_dash && (alias = dash_server(c->m, c->name)) != NULL)
		obj = alias->name;   /* server = app.server */
	r->name = pcb_xstrdup(fd->name);
	r->app_module = pcb_xstrdup(c->m->name);
	r->app_object = c->factory ? pcb_xasprintf("%s()", obj) : pcb_xstrdup(obj);
	r->port = 8000;
	r->server_declared = dep_has(in, "waitress") || dep_has(in, "gunicorn") ||
	    (dep_has(in, "uwsgi") && !c->factory);
	if (dep_has(in, "waitress") && !dep_has(in, "gunicorn")) {
		push_all(&r->cmd, (const char *const[]){ "waitress-serve", "--listen=0.0.0.0:8000",
		    NULL });
		if (c->factory)
			pcb_strv_push(&r->cmd, "--call");
		pcb_strv_push_owned(&r->cmd, pcb_xasprintf("%s:%s", r->app_module, obj));
	} else if (dep_has(in, "uwsgi") && !dep_has(in, "gunicorn") && !c->factory) {
		push_all(&r->cmd, (const char *const[]){ "uwsgi", "--http", "0.0.0.0:8000",
		    "--master", "--module", NULL });
		pcb_strv_push_owned(&r->cmd, pcb_xasprintf("%s:%s", r->app_module, r->app_object));
	} else if (fd == &fw_flask && !dep_has(in, "gunicorn")) {
		/* flask --app calls a factory it is pointed at. */
		r->port = 5000;
		pcb_strv_push(&r->cmd, "flask");
		pcb_strv_push(&r->cmd, "--app");
		pcb_strv_push_owned(&r->cmd, pcb_xasprintf("%s:%s", r->app_module, obj));
		push_all(&r->cmd, (const char *const[]){ "run", "--host", "0.0.0.0", "--port", "5000",
		    NULL });
	} else {
		if (!dep_has(in, "gunicorn"))
			note = " (gunicorn is not a declared dependency; add it)";
		push_all(&r->cmd, (const char *const[]){ "gunicorn", "--bind", "0.0.0.0:8000", NULL });
		pcb_strv_push_owned(&r->cmd, pcb_xasprintf("%s:%s", r->app_module, r->app_object));
	}
	push_env_port(r);
	r->source = cand_source(c, note != NULL ? note : c->indirect ?
	    " (an app made by a factory)" : NULL);
}

/* Sanic serves itself: `sanic mod:app` (--factory for a factory). */
static void
result_sanic(const struct fwdef *fd, const struct cand *c, struct pcb_framework *r)
{
	r->name = pcb_xstrdup(fd->name);
	r->app_module = pcb_xstrdup(c->m->name);
	r->app_object = c->factory ? pcb_xasprintf("%s()", c->name) : pcb_xstrdup(c->name);
	r->port = 8000;
	r->server_declared = true;   /* Sanic's own server is its production one */
	pcb_strv_push(&r->cmd, "sanic");
	pcb_strv_push_owned(&r->cmd, pcb_xasprintf("%s:%s", r->app_module, c->name));
	if (c->factory)
		pcb_strv_push(&r->cmd, "--factory");
	push_all(&r->cmd, (const char *const[]){ "--host", "0.0.0.0", "--port", "8000", NULL });
	push_env_port(r);
	r->source = cand_source(c, NULL);
}

/* A Streamlit app is a script: a top-level module that imports streamlit, run with
 * `streamlit run`. streamlit_app.py (Streamlit's own default name), then app.py, main.py,
 * Home.py, then the first in name order. */
static bool
find_streamlit(const struct modset *ms, struct pcb_framework *r)
{
	static const char *const names[] = { "streamlit_app.py", "app.py", "main.py", "Home.py" };
	const struct pymod *best = NULL;
	int best_rank = 99;

	for (size_t i = 0; i < ms->n; i++) {
		const struct pymod *m = &ms->v[i];
		int rank = (int)PCB_ARRAY_LEN(names);

		if (strchr(m->rel, '/') != NULL || !imports(m, "streamlit", false))
			continue;
		for (size_t k = 0; k < PCB_ARRAY_LEN(names); k++)
			if (strcmp(m->rel, names[k]) == 0)
				rank = (int)k;
		if (best == NULL || rank < best_rank) {
			best = m;
			best_rank = rank;
		}
	}
	if (best == NULL)
		return false;
	r->name = pcb_xstrdup("streamlit");
	r->app_module = pcb_xstrdup(best->name);
	r->port = 8501;
	r->server_declared = true;   /* the only way a Streamlit app runs */
	push_all(&r->cmd, (const char *const[]){ "streamlit", "run", best->rel,
	    "--server.port=8501", "--server.address=0.0.0.0", NULL });
	push_env_port(r);
	r->source = pcb_xasprintf("%s imports streamlit", best->rel);
	return true;
}

/* "pkg.main:app (src/pkg/main.py:7)" for the plan's list of alternatives. */
static char *
cand_describe(const struct cand *c)
{
	return pcb_xasprintf("%s:%s%s (%s:%d)", c->m->name, c->st->name, c->factory ? "()" : "",
	    c->m->rel, c->st->line);
}

/* Where the served app must be taken from. Routes added to an app made elsewhere: a module
 * that imports the app from the module that makes it and decorates routes on it (@app.get),
 * which that module never imports back, is the one to serve, or the app would answer none of
 * them (sketch_map_tool/routes.py over sketch_map_tool's flask_app). Else the package that
 * re-exports the app (`from .api import api` in dflow/api/__init__.py): the shorter name. */
static void
serve_from(const struct modset *ms, struct cand *c)
{
	const char *dot = strrchr(c->m->name, '.');
	const struct pymod *pkg;

	if (c->factory)
		return;
	for (size_t i = 0; i < ms->n; i++) {
		const struct pymod *r = &ms->v[i];

		if (r == c->m || not_served(r->name))
			continue;
		for (size_t k = 0; k < r->scan.n; k++) {
			const struct pcb_pystmt *st = &r->scan.v[k];
			const char *local;
			char *fm;
			bool same, routes = false;

			if (st->kind != PCB_PYSTMT_FROM || !st->module_scope ||
			    strcmp(st->name, c->st->name) != 0)
				continue;
			fm = from_module(r, st);
			same = strcmp(fm, c->m->name) == 0;
			free(fm);
			if (!same)
				continue;
			local = st->alias != NULL ? st->alias : st->name;
			for (size_t d = 0; d < r->scan.n && !routes; d++)
				routes = r->scan.v[d].kind == PCB_PYSTMT_DECORATOR &&
				    strncmp(r->scan.v[d].callee, local, strlen(local)) == 0 &&
				    r->scan.v[d].callee[strlen(local)] == '.';
			if (routes && !imports_module(c->m, r->name)) {
				c->m = r;
				c->st = st;
				c->name = local;
				c->why = " (served from here: this module adds its routes to the app, "
				    "and the module that makes it does not import this one)";
				return;
			}
		}
	}
	if (dot == NULL || (pkg = module_named(ms, c->m->name, (size_t)(dot - c->m->name))) ==
	    NULL || !pcb_str_has_suffix(pkg->rel, "__init__.py"))
		return;
	for (size_t k = 0; k < pkg->scan.n; k++) {
		const struct pcb_pystmt *st = &pkg->scan.v[k];
		char *fm;
		bool same;

		if (st->kind != PCB_PYSTMT_FROM || !st->module_scope ||
		    strcmp(st->name, c->st->name) != 0)
			continue;
		fm = from_module(pkg, st);
		same = strcmp(fm, c->m->name) == 0;
		free(fm);
		if (same) {
			c->m = pkg;
			c->st = st;
			c->name = st->alias != NULL ? st->alias : st->name;
			c->why = " (the package re-exports the app)";
			return;
		}
	}
}

/* The served app: for FastAPI, Starlette and Flask in that order an app object (bound from the
 * framework's class or made by a factory), else a factory to call. Every other candidate is
 * listed as an alternative. */
static bool
pick_web_app(const struct pcb_framework_input *in, const struct modset *ms,
    struct pcb_framework *r)
{
	const struct fwdef *const *fws = frameworks;
	struct cands apps[PCB_ARRAY_LEN(frameworks)], facs[PCB_ARRAY_LEN(frameworks)];
	const struct cand *chosen = NULL;
	const struct fwdef *cfd = NULL;

	memset(apps, 0, sizeof apps);
	memset(facs, 0, sizeof facs);
	for (size_t i = 0; i < PCB_ARRAY_LEN(frameworks); i++) {
		find_apps(ms, fws[i], &apps[i]);
		if (chosen == NULL && apps[i].n > 0) {
			chosen = &apps[i].v[0];
			cfd = fws[i];
		}
	}
	for (size_t i = 0; i < PCB_ARRAY_LEN(frameworks); i++) {
		struct serving sv = { SERVES_NO, NULL, NULL };

		find_factories(ms, fws[i], &facs[i]);
		if (chosen == NULL && facs[i].n > 0) {
			chosen = &facs[i].v[0];
			cfd = fws[i];
		}
		/* `app = create_app()` in a script whose __main__ block serves it (run.py) is that
		 * script's own: a server loads the package's factory instead. */
		if (chosen != NULL && cfd == fws[i] && chosen->indirect && facs[i].n > 0 &&
		    (body_serves(ms, chosen->m, NO_DEF, 0, &sv), sv.how != SERVES_NO))
			chosen = &facs[i].v[0];
	}
	if (chosen != NULL) {
		struct cand served = *chosen;

		if (cfd != &fw_dash)   /* Dash serves its `server`, which stays where it is */
			serve_from(ms, &served);
		if (cfd->kind == FW_WSGI)
			result_wsgi(in, cfd, &served, r);
		else if (cfd->kind == FW_SANIC)
			result_sanic(cfd, &served, r);
		else
			result_asgi(in, cfd, &served, r);
		char *mine = cand_describe(chosen);

		/* One line per other app or factory (a factory seen by two frameworks once). */
		for (size_t i = 0; i < PCB_ARRAY_LEN(frameworks); i++) {
			for (size_t k = 0; k < apps[i].n + facs[i].n; k++) {
				char *d = cand_describe(k < apps[i].n ? &apps[i].v[k] :
				    &facs[i].v[k - apps[i].n]);
				if (strcmp(d, mine) != 0 && !pcb_strv_contains(&r->alternatives, d))
					pcb_strv_push_owned(&r->alternatives, d);
				else
					free(d);
			}
		}
		free(mine);
	}
	for (size_t i = 0; i < PCB_ARRAY_LEN(frameworks); i++) {
		free(apps[i].v);
		free(facs[i].v);
	}
	return chosen != NULL;
}

/* The DJANGO_SETTINGS_MODULE default a module sets (any scope: manage.py sets it in main()). */
static const struct pcb_pystmt *
settings_stmt(const struct pymod *m)
{
	for (size_t i = 0; i < m->scan.n; i++) {
		const struct pcb_pystmt *st = &m->scan.v[i];

		if (st->kind == PCB_PYSTMT_ENV_DEFAULT &&
		    strcmp(st->name, "DJANGO_SETTINGS_MODULE") == 0 && is_dotted_identifier(st->value))
			return st;
	}
	return NULL;
}

/* A Django project: its root (the folder holding manage.py: "" for the context, else "src"
 * or the project's own folder), its settings module and the package holding wsgi.py/asgi.py. */
struct django {
	char *root;          /* "" or "src" … */
	char *settings;      /* "config.settings" */
	char *pkg;           /* "config" */
	char *source;        /* "manage.py:9: os.environ.setdefault(…)" */
	bool manage;         /* root has manage.py */
	bool wsgi, asgi;     /* pkg/wsgi.py, pkg/asgi.py exist */
};

static void
django_free(struct django *d)
{
	free(d->root);
	free(d->settings);
	free(d->pkg);
	free(d->source);
}

static char *
root_rel(const char *root, const char *rel)
{
	return root[0] != '\0' ? pcb_path_join(root, rel) : pcb_xstrdup(rel);
}

static bool
root_file(const struct pcb_framework_input *in, const char *root, const char *rel)
{
	char *p = root_rel(root, rel);
	bool ok = lstat_type(in->context, p, S_IFREG, NULL);

	free(p);
	return ok;
}

/* The DJANGO_SETTINGS_MODULE a scanned file (rel) sets by default, with where. */
static char *
scan_settings(const struct pcb_pyscan *scan, const char *rel, char **source)
{
	struct pymod m = { .scan = *scan };
	const struct pcb_pystmt *st = settings_stmt(&m);

	if (st == NULL)
		return NULL;
	*source = pcb_xasprintf("%s:%d: %s", rel, st->line, st->text);
	return pcb_xstrdup(st->value);
}

/* The same for a file under the context. */
static char *
file_settings(const struct pcb_framework_input *in, const char *rel, char **source)
{
	char *path = pcb_path_join(in->context, rel), *out = NULL;
	struct pcb_pyscan scan = { 0 };

	if (pcb_pyscan_file(path, &scan, NULL) == 0) {
		out = scan_settings(&scan, rel, source);
		pcb_pyscan_free(&scan);
	}
	free(path);
	return out;
}

/* The project package (the settings module's first part) and whether it has wsgi.py and
 * asgi.py under the root (under src/ too for a src-layout project at the top). */
static void
django_modules(const struct pcb_framework_input *in, struct django *d)
{
	char *w, *a;
	bool also_src = d->root[0] == '\0' && in->package_in_src;

	d->pkg = pcb_xstrndup(d->settings, strcspn(d->settings, "."));
	w = pcb_xasprintf("%s/wsgi.py", d->pkg);
	a = pcb_xasprintf("%s/asgi.py", d->pkg);
	d->wsgi = root_file(in, d->root, w) || (also_src && root_file(in, "src", w));
	d->asgi = root_file(in, d->root, a) || (also_src && root_file(in, "src", a));
	free(w);
	free(a);
}

/* Finds the project: manage.py at the top or one folder down; the settings module from its
 * default, else from a wsgi.py/asgi.py default, else the package that has both settings and
 * wsgi.py or asgi.py (settings given by the environment, as twelve-factor projects do). */
static bool
find_django(const struct pcb_framework_input *in, struct django *d)
{
	struct pcb_strv roots, top;
	bool found = false;

	memset(d, 0, sizeof *d);
	pcb_strv_init(&roots);
	pcb_strv_init(&top);
	pcb_strv_push(&roots, "");
	pcb_strv_push(&roots, "src");
	list_sorted(in->context, "", &top);
	for (size_t i = 0; i < top.n; i++)
		if (strcmp(top.v[i], "src") != 0 && is_identifier(top.v[i], strlen(top.v[i])) &&
		    !not_served(top.v[i]) && lstat_type(in->context, top.v[i], S_IFDIR, NULL))
			pcb_strv_push(&roots, top.v[i]);
	for (size_t i = 0; i < roots.n && !found; i++) {
		char *m = root_rel(roots.v[i], "manage.py");
		char *path = pcb_path_join(in->context, m);
		struct pcb_pyscan scan = { 0 };

		if (lstat_type(in->context, m, S_IFREG, NULL) &&
		    pcb_pyscan_file(path, &scan, NULL) == 0) {
			struct pymod mm = { .scan = scan };
			if (imports(&mm, "django", true)) {
				d->root = pcb_xstrdup(roots.v[i]);
				d->manage = true;
				d->settings = scan_settings(&scan, m, &d->source);
				found = true;
			}
			pcb_pyscan_free(&scan);
		}
		free(m);
		free(path);
	}
	if (found && d->settings == NULL) {
		struct pcb_strv ents;

		pcb_strv_init(&ents);
		list_sorted(in->context, d->root, &ents);
		for (size_t i = 0; i < ents.n && d->settings == NULL; i++) {
			char *w = pcb_xasprintf("%s/wsgi.py", ents.v[i]), *a;
			char *wr = root_rel(d->root, w), *ar;

			a = pcb_xasprintf("%s/asgi.py", ents.v[i]);
			ar = root_rel(d->root, a);
			if (!is_identifier(ents.v[i], strlen(ents.v[i]))) {
				/* not a package */
			} else if ((d->settings = file_settings(in, wr, &d->source)) == NULL &&
			    (d->settings = file_settings(in, ar, &d->source)) == NULL &&
			    (root_file(in, d->root, w) || root_file(in, d->root, a))) {
				char *s1 = pcb_xasprintf("%s/settings.py", ents.v[i]);
				char *s2 = pcb_xasprintf("%s/settings/__init__.py", ents.v[i]);
				if (root_file(in, d->root, s1) || root_file(in, d->root, s2)) {
					d->settings = pcb_xasprintf("%s.settings", ents.v[i]);
					d->source = pcb_xasprintf("%s/%s with its wsgi/asgi module "
					    "(DJANGO_SETTINGS_MODULE is given by the environment)",
					    d->root[0] ? d->root : ".", s1);
				}
				free(s1);
				free(s2);
			}
			free(w);
			free(wr);
			free(a);
			free(ar);
		}
		pcb_strv_free(&ents);
	}
	if (found && d->settings != NULL)
		django_modules(in, d);
	pcb_strv_free(&roots);
	pcb_strv_free(&top);
	return found;
}

/* Django behind the server the project lists: an ASGI server (daphne, uvicorn, granian,
 * hypercorn; gunicorn with uvicorn's workers when both) for asgi.py, else a WSGI one
 * (gunicorn, uWSGI, waitress) for wsgi.py, else manage.py runserver. A project one folder down
 * gets that folder on PYTHONPATH (relative entries are taken from the working directory). */
static void
result_django(const struct pcb_framework_input *in, const struct django *d,
    struct pcb_framework *r)
{
	bool asgi_server = dep_has(in, "daphne") || dep_has(in, "uvicorn") ||
	    dep_has(in, "granian") || dep_has(in, "hypercorn");
	char *asgi = pcb_xasprintf("%s.asgi:application", d->pkg);
	char *wsgi = pcb_xasprintf("%s.wsgi:application", d->pkg);
	const char *note = NULL;

	r->name = pcb_xstrdup("django");
	r->settings_module = pcb_xstrdup(d->settings);
	r->app_module = pcb_xstrdup(d->pkg);
	r->port = 8000;
	r->server_declared = (d->asgi && asgi_server) || (d->wsgi && (dep_has(in, "gunicorn") ||
	    dep_has(in, "uwsgi") || dep_has(in, "waitress")));
	if (d->asgi && asgi_server) {
		r->app_object = pcb_xstrdup("application");
		if (dep_has(in, "daphne"))
			push_all(&r->cmd, (const char *const[]){ "daphne", "--bind", "0.0.0.0", "--port",
			    "8000", asgi, NULL });
		else if (dep_has(in, "gunicorn") && dep_has(in, "uvicorn"))
			push_all(&r->cmd, (const char *const[]){ "gunicorn", "--worker-class",
			    "uvicorn.workers.UvicornWorker", "--bind", "0.0.0.0:8000", asgi, NULL });
		else if (dep_has(in, "uvicorn"))
			push_all(&r->cmd, (const char *const[]){ "uvicorn", asgi, "--host", "0.0.0.0",
			    "--port", "8000", NULL });
		else if (dep_has(in, "granian"))
			push_all(&r->cmd, (const char *const[]){ "granian", "--interface", "asgi",
			    "--host", "0.0.0.0", "--port", "8000", asgi, NULL });
		else
			push_all(&r->cmd, (const char *const[]){ "hypercorn", "--bind", "0.0.0.0:8000",
			    asgi, NULL });
	} else if (d->wsgi && (dep_has(in, "gunicorn") || dep_has(in, "uwsgi") ||
	    dep_has(in, "waitress"))) {
		r->app_object = pcb_xstrdup("application");
		if (dep_has(in, "gunicorn"))
			push_all(&r->cmd, (const char *const[]){ "gunicorn", "--bind", "0.0.0.0:8000",
			    wsgi, NULL });
		else if (dep_has(in, "uwsgi"))
			push_all(&r->cmd, (const char *const[]){ "uwsgi", "--http", "0.0.0.0:8000",
			    "--master", "--module", wsgi, NULL });
		else
			push_all(&r->cmd, (const char *const[]){ "waitress-serve",
			    "--listen=0.0.0.0:8000", wsgi, NULL });
	} else {
		if (dep_has(in, "gunicorn"))
			note = " (gunicorn is a dependency but there is no wsgi.py in the project "
			    "module)";
		pcb_strv_push(&r->cmd, "python");
		if (d->manage) {
			pcb_strv_push_owned(&r->cmd, root_rel(d->root, "manage.py"));
		} else {
			pcb_strv_push(&r->cmd, "-m");
			pcb_strv_push(&r->cmd, "django");
		}
		pcb_strv_push(&r->cmd, "runserver");
		pcb_strv_push(&r->cmd, "0.0.0.0:8000");
	}
	pcb_strv_push_owned(&r->env, pcb_xasprintf("DJANGO_SETTINGS_MODULE=%s", d->settings));
	if (d->root[0] != '\0')
		pcb_strv_push_owned(&r->env, pcb_xasprintf("PYTHONPATH=%s:.", d->root));
	push_env_port(r);
	r->source = pcb_xasprintf("%s%s", d->source, note ? note : "");
	free(asgi);
	free(wsgi);
}

/* "a.py, b.py, …" of what was searched, bounded. */
static char *
searched_list(const struct modset *ms)
{
	struct pcb_buf b;

	pcb_buf_init(&b, FW_SEARCHED_LIST_MAX + 64);
	for (size_t i = 0; i < ms->n; i++) {
		if (b.len + strlen(ms->v[i].rel) + 2 > FW_SEARCHED_LIST_MAX) {
			pcb_buf_appendf(&b, "%s… (%zu more)", i > 0 ? ", " : "", ms->n - i);
			break;
		}
		pcb_buf_appendf(&b, "%s%s", i > 0 ? ", " : "", ms->v[i].rel);
	}
	return pcb_buf_steal(&b, NULL);
}

/* A declared and imported framework without an app object: the user must say what to run. */
static int
no_app_error(const struct modset *ms, const char *pkg, const char *wanted, struct pcb_err *err)
{
	const struct pymod *first = NULL;
	char *list;
	int rc;

	if (!dep_has(ms->in, pkg))
		return 0;
	for (size_t i = 0; i < ms->n && first == NULL; i++)
		if (imports(&ms->v[i], pkg, false))
			first = &ms->v[i];
	if (first == NULL)
		return 0;
	list = searched_list(ms);
	rc = pcb_err_set(err, PCB_EINVAL, "imports %s in %s but no %s found (searched %s); "
	    "pass --entrypoint", pkg, first->rel, wanted, list);
	free(list);
	return rc;
}

/* ---- API ---- */

void
pcb_framework_free(struct pcb_framework *fw)
{
	if (fw == NULL)
		return;
	free(fw->name);
	free(fw->app_module);
	free(fw->app_object);
	free(fw->settings_module);
	pcb_strv_free(&fw->cmd);
	pcb_strv_free(&fw->env);
	pcb_strv_free(&fw->alternatives);
	free(fw->source);
	pcb_strv_free(&fw->script_cmd);
	free(fw->script_source);
	pcb_strv_free(&fw->script_alternatives);
	pcb_strv_free(&fw->serving);
	pcb_strv_free(&fw->serving_why);
	memset(fw, 0, sizeof *fw);
}

int
pcb_framework_detect(const struct pcb_framework_input *in, struct pcb_framework *fw,
    struct pcb_err *err)
{
	struct modset ms = { .in = in };
	struct pcb_framework r;
	const struct pcb_pystmt *st = NULL;
	struct django dj;
	int rc = 0;

	memset(&r, 0, sizeof r);
	pcb_strv_init(&r.cmd);
	pcb_strv_init(&r.env);
	pcb_strv_init(&r.alternatives);
	collect(&ms);

	/* Django first: a manage.py says what the project is. */
	if (find_django(in, &dj) && dj.settings != NULL) {
		result_django(in, &dj, &r);
		goto out;
	}
	if (pick_web_app(in, &ms, &r) || find_streamlit(&ms, &r))
		goto out;
	/* Django without manage.py: a module importing django that sets the settings default
	 * (the project's wsgi.py or asgi.py). */
	for (size_t i = 0; i < ms.n; i++) {
		if (imports(&ms.v[i], "django", false) && (st = settings_stmt(&ms.v[i])) != NULL) {
			django_free(&dj);
			memset(&dj, 0, sizeof dj);
			dj.root = pcb_xstrdup("");
			dj.settings = pcb_xstrdup(st->value);
			dj.source = pcb_xasprintf("%s:%d: %s", ms.v[i].rel, st->line, st->text);
			django_modules(in, &dj);
			result_django(in, &dj, &r);
			goto out;
		}
	}
	if (dj.manage && dep_has(in, "django")) {
		char *m = root_rel(dj.root, "manage.py");
		rc = pcb_err_set(err, PCB_EINVAL, "%s imports django but sets no "
		    "DJANGO_SETTINGS_MODULE (os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", "
		    "\"<project>.settings\")) and no package has settings with a wsgi.py or asgi.py; "
		    "pass --entrypoint", m);
		free(m);
		goto out;
	}
	if ((rc = no_app_error(&ms, "fastapi", "`app = FastAPI()`", err)) != 0 ||
	    (rc = no_app_error(&ms, "starlette", "`app = Starlette()`", err)) != 0 ||
	    (rc = no_app_error(&ms, "flask", "`app = Flask(__name__)` or `def create_app()`",
	    err)) != 0 ||
	    (rc = no_app_error(&ms, "django", "manage.py setting DJANGO_SETTINGS_MODULE", err)) != 0)
		goto out;
out:
	if (rc == 0) {
		find_run_script(&ms, &r);
		find_serving_scripts(&ms, &r);
	}
	django_free(&dj);
	modset_free(&ms);
	/* Not a web app (or an error): no framework result is handed out; the run script and
	 * serving console scripts are, when found (the caller frees with pcb_framework_free). */
	if (rc != 0 || r.name == NULL) {
		struct pcb_framework keep = { 0 };
		if (rc == 0) {
			keep.script_cmd = r.script_cmd;
			keep.script_source = r.script_source;
			keep.script_port = r.script_port;
			keep.script_dev = r.script_dev;
			keep.script_alternatives = r.script_alternatives;
			keep.serving = r.serving;
			keep.serving_why = r.serving_why;
			memset(&r.script_cmd, 0, sizeof r.script_cmd);
			r.script_source = NULL;
			memset(&r.script_alternatives, 0, sizeof r.script_alternatives);
			memset(&r.serving, 0, sizeof r.serving);
			memset(&r.serving_why, 0, sizeof r.serving_why);
		}
		pcb_framework_free(&r);
		r = keep;
	}
	*fw = r;
	return rc;
}
