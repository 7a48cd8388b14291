/* hostbase.c — `pcb base create --from-host`: an offline, python:X.Y-slim-like base image made
 * from the host's own interpreter. The interpreter is asked once for its facts (version,
 * stdlib, lib-dynload), ldd names every shared library the binary and the extension modules
 * load (plus the manylinux policy's system libraries native wheels may link), and the result
 * is two deterministic layers:
 *
 *   "system": those shared libraries at the same absolute paths as on the host (the symlinks
 *             met on the way — /lib → usr/lib, soname links — are recreated as symlinks, the
 *             files are copied), a minimal /etc (passwd, group, nsswitch.conf, the CA bundle
 *             when the host has one), /tmp (mode 1777) and /root;
 *   "python": /usr/local/bin/python3.X (+ python3, python symlinks), the stdlib at
 *             /usr/local/lib/python3.X and libpython (when the binary links it dynamically).
 *
 * Python finds its prefix from lib/python3.X/os.py relative to its binary, so the copied
 * interpreter runs from /usr/local whatever prefix it was built for. Dropped from the stdlib:
 * site-packages / dist-packages contents (an empty site-packages is kept), __pycache__ and
 * *.pyc, test/, idlelib/, tkinter/, turtledemo/, ensurepip/, config-3.X-* (static libpython
 * and Makefile, only needed to build extensions) and lib-dynload/_tkinter* (which would pull
 * in X11). Symlinks in the stdlib that point outside it (Debian's sitecustomize.py → /etc/…)
 * are replaced by the file they point at, or dropped when it does not exist. */
#include "python/hostbase.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/layer.h"
#include "image/oci.h"

extern char **environ;

#define FACTS_MAX ((size_t)64 << 10)
#define LDD_MAX ((size_t)4 << 20)
#define MAX_SYMLINKS 40
#define MAX_DYNLOAD 4096

/* ---- spec ----------------------------------------------------------------------------- */

void
pcb_hostbase_spec_init(struct pcb_hostbase_spec *s)
{
	memset(s, 0, sizeof *s);
	s->source_date_epoch = -1;
}

void
pcb_hostbase_spec_free(struct pcb_hostbase_spec *s)
{
	free(s->python);
	free(s->tag);
	free(s->platform);
	pcb_hostbase_spec_init(s);
}

static int
get_str(json_object *v, const char *field, size_t max, char **out, struct pcb_err *err)
{
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return pcb_err_set(err, PCB_EINVAL, "base spec: %s: expected a string", field);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > max || strlen(json_object_get_string(v)) != n)
		return pcb_err_set(err, PCB_EINVAL, "base spec: %s: expected 1 to %zu bytes and no "
		    "NUL", field, max);
	free(*out);
	*out = pcb_xstrdup(json_object_get_string(v));
	return 0;
}

int
pcb_hostbase_spec_from_json(json_object *j, struct pcb_hostbase_spec *s, struct pcb_err *err)
{
	int rc = 0;

	if (!json_object_is_type(j, json_type_object))
		return pcb_err_set(err, PCB_EINVAL, "base spec: expected a JSON object");
	json_object_object_foreach(j, key, v) {
		if (strcmp(key, "python") == 0) {
			if ((rc = get_str(v, "python", PATH_MAX - 1, &s->python, err)) == 0 &&
			    s->python[0] != '/')
				rc = pcb_err_set(err, PCB_EINVAL, "base spec: python: expected an "
				    "absolute path, got \"%.200s\"", s->python);
		} else if (strcmp(key, "tag") == 0) {
			char *repo = NULL, *tag = NULL;
			if ((rc = get_str(v, "tag", 512, &s->tag, err)) == 0 &&
			    (rc = pcb_ref_parse(s->tag, &repo, &tag, err)) != 0)
				pcb_err_prefix(err, "base spec: tag");
			free(repo);
			free(tag);
		} else if (strcmp(key, "platform") == 0) {
			struct pcb_platform p;
			if ((rc = get_str(v, "platform", 99, &s->platform, err)) == 0 &&
			    (rc = pcb_platform_parse(s->platform, &p, err)) != 0)
				pcb_err_prefix(err, "base spec: platform");
		} else if (strcmp(key, "source_date_epoch") == 0) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
				rc = pcb_err_set(err, PCB_EINVAL, "base spec: source_date_epoch: "
				    "expected a non-negative integer");
			else
				s->source_date_epoch = json_object_get_int64(v);
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "base spec: unknown field '%.100s'", key);
		}
		if (rc != 0)
			return rc;
	}
	if (s->tag == NULL)
		return pcb_err_set(err, PCB_EINVAL, "base spec: missing required field 'tag'");
	return 0;
}

json_object *
pcb_hostbase_spec_to_json(const struct pcb_hostbase_spec *s)
{
	json_object *j = json_object_new_object();

	if (s->python != NULL)
		json_object_object_add(j, "python", json_object_new_string(s->python));
	json_object_object_add(j, "tag", json_object_new_string(s->tag ? s->tag : ""));
	if (s->platform != NULL)
		json_object_object_add(j, "platform", json_object_new_string(s->platform));
	if (s->source_date_epoch >= 0)
		json_object_object_add(j, "source_date_epoch",
		    json_object_new_int64(s->source_date_epoch));
	return j;
}

/* ---- small helpers -------------------------------------------------------------------- */

static void
emit(const struct pcb_build_ctx *ctx, enum pcb_event_type type, const char *a,
    const char *message)
{
	struct pcb_event ev = { .type = type, .message = message };

	if (ctx->emit == NULL)
		return;
	if (type == PCB_EVENT_PHASE)
		ev.phase = a;
	else
		ev.level = a;
	ctx->emit(ctx->emit_ud, &ev);
}

static bool
cancelled(const struct pcb_build_ctx *ctx)
{
	return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
}

/* Runs argv (argv[0] an absolute path) and collects its stdout, at most max bytes; stderr
 * is left to the daemon's. posix_spawn, not fork: the daemon is multi-threaded. */
static int
run_capture(char *const argv[], size_t max, bool any_status, char **out, struct pcb_err *err)
{
	posix_spawn_file_actions_t fa;
	struct pcb_buf b;
	int pfd[2] = { -1, -1 }, status = 0, rc = 0, e;
	bool too_big = false;
	pid_t pid;

	pcb_buf_init(&b, max);
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return pcb_err_errno(err, errno, "running %s: pipe", argv[0]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e != 0) {
		close(pfd[0]);
		pcb_buf_free(&b);
		return pcb_err_errno(err, e, "running %s", argv[0]);
	}
	for (;;) {
		char tmp[8192];
		ssize_t n = read(pfd[0], tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Past the limit keep draining, so the child is never blocked on a full pipe. */
		if (!too_big && pcb_buf_append(&b, tmp, (size_t)n) != 0)
			too_big = true;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (too_big)
		rc = pcb_err_set(err, PCB_ETOOBIG, "%s wrote more than %zu bytes", argv[0], max);
	else if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && !any_status))
		rc = pcb_err_set(err, PCB_EIO, "%s %s failed (%s %d)", argv[0],
		    argv[1] ? argv[1] : "", WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (rc == 0)
		*out = pcb_buf_steal(&b, NULL);
	pcb_buf_free(&b);
	return rc;
}

/* First executable `name` on PATH (as the daemon sees it). Caller frees. */
static int
find_on_path(const char *name, char **out, struct pcb_err *err)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;
	int rc = PCB_ENOENT;

	copy = pcb_xstrdup(path != NULL && path[0] != '\0' ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
		char *cand;
		struct stat st;
		if (d[0] != '/')
			continue;
		cand = pcb_path_join(d, name);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			*out = cand;
			rc = 0;
			break;
		}
		free(cand);
	}
	free(copy);
	if (rc != 0)
		pcb_err_set(err, PCB_ENOENT, "no %s on the daemon's PATH (give --python)", name);
	return rc;
}

/* ---- the interpreter's facts ----------------------------------------------------------- */

struct facts {
	char *exe;          /* realpath of sys.executable */
	char *version;      /* "3.11.7" */
	int major, minor;
	char *stdlib;       /* realpath */
	char *dynload;      /* realpath, may be NULL */
	char *ldlibrary;    /* "libpython3.11.so" or NULL */
	char *libdir;
};

static void
facts_free(struct facts *f)
{
	free(f->exe);
	free(f->version);
	free(f->stdlib);
	free(f->dynload);
	free(f->ldlibrary);
	free(f->libdir);
	memset(f, 0, sizeof *f);
}

static const char facts_script[] =
    "import sys, sysconfig, json\n"
    "v = sys.version_info\n"
    "g = sysconfig.get_config_var\n"
    "print(json.dumps({'version': '%d.%d.%d' % tuple(v[:3]), 'major': v[0], 'minor': v[1],\n"
    " 'executable': sys.executable, 'base_prefix': sys.base_prefix,\n"
    " 'stdlib': sysconfig.get_paths()['stdlib'],\n"
    " 'dynload': [p for p in sys.path if p.endswith('lib-dynload')],\n"
    " 'ldlibrary': g('LDLIBRARY'), 'libdir': g('LIBDIR'), 'ext_suffix': g('EXT_SUFFIX')}))\n";

static char *
jdup(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return pcb_xstrdup(json_object_get_string(v));
}

static int
ask_python(const char *python, struct facts *f, struct pcb_err *err)
{
	char *argv[] = { (char *)python, "-I", "-S", "-c", (char *)facts_script, NULL };
	char *text = NULL, *exe = NULL, *stdlib = NULL, *p;
	json_object *j = NULL, *dl;
	char real[PATH_MAX];
	int rc;

	memset(f, 0, sizeof *f);
	if ((rc = run_capture(argv, FACTS_MAX, false, &text, err)) != 0)
		goto out;
	j = json_tokener_parse(text);
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s did not answer with JSON", python);
		goto out;
	}
	f->version = jdup(j, "version");
	f->major = json_object_get_int(json_object_object_get(j, "major"));
	f->minor = json_object_get_int(json_object_object_get(j, "minor"));
	exe = jdup(j, "executable");
	stdlib = jdup(j, "stdlib");
	f->ldlibrary = jdup(j, "ldlibrary");
	f->libdir = jdup(j, "libdir");
	if (f->version == NULL || f->major != 3 || f->minor < 0 || f->minor > 99 ||
	    exe == NULL || exe[0] != '/' || stdlib == NULL || stdlib[0] != '/') {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "%s: not a CPython 3 interpreter with a "
		    "known executable and standard library", python);
		goto out;
	}
	if (realpath(exe, real) == NULL) {
		rc = pcb_err_errno(err, errno, "resolving the interpreter %s", exe);
		goto out;
	}
	f->exe = pcb_xstrdup(real);
	if (realpath(stdlib, real) == NULL) {
		rc = pcb_err_errno(err, errno, "resolving the standard library %s", stdlib);
		goto out;
	}
	f->stdlib = pcb_xstrdup(real);
	if (json_object_object_get_ex(j, "dynload", &dl) &&
	    json_object_is_type(dl, json_type_array) && json_object_array_length(dl) > 0 &&
	    (p = (char *)json_object_get_string(json_object_array_get_idx(dl, 0))) != NULL &&
	    realpath(p, real) != NULL)
		f->dynload = pcb_xstrdup(real);
out:
	json_object_put(j);
	free(text);
	free(exe);
	free(stdlib);
	if (rc != 0)
		facts_free(f);
	return rc;
}

/* ---- list building --------------------------------------------------------------------- */

static void
add_dir(struct pcb_layer_list *l, const char *path, mode_t mode)
{
	struct pcb_layer_entry e;

	memset(&e, 0, sizeof e);
	e.type = PCB_ENTRY_DIR;
	e.mode = mode;
	e.path = (char *)path;
	pcb_layer_list_add_entry(l, &e);
}

static void
add_symlink(struct pcb_layer_list *l, const char *path, const char *target)
{
	struct pcb_layer_entry e;

	memset(&e, 0, sizeof e);
	e.type = PCB_ENTRY_SYMLINK;
	e.mode = 0777;
	e.path = (char *)path;
	e.link = (char *)target;
	pcb_layer_list_add_entry(l, &e);
}

/* A regular host file at path in the image. link_group: the file is meant to be stored twice
 * (libpython at its host path and in /usr/local/lib): giving both entries the inode and a
 * link count above one makes the packer write the second as a hard link. */
static int
add_file(struct pcb_layer_list *l, const char *path, const char *src, mode_t mode,
    bool link_group, struct pcb_err *err)
{
	struct pcb_layer_entry e;
	struct stat st;

	if (stat(src, &st) != 0)
		return pcb_err_errno(err, errno, "reading %s", src);
	if (!S_ISREG(st.st_mode))
		return pcb_err_set(err, PCB_EINVAL, "%s is not a regular file", src);
	memset(&e, 0, sizeof e);
	e.type = PCB_ENTRY_FILE;
	e.mode = mode != 0 ? mode : (st.st_mode & 0111) ? 0755 : 0644;
	e.size = (uint64_t)st.st_size;
	e.path = (char *)path;
	e.src = (char *)src;
	if (link_group) {
		e.dev = st.st_dev;
		e.ino = st.st_ino;
		e.nlink = 2;
	}
	pcb_layer_list_add_entry(l, &e);
	return 0;
}

/* Puts the host file `path` into the image at the same absolute path, recreating every
 * symlink met while resolving it (a directory link such as /lib → usr/lib as well as a
 * soname link) and copying the file it finally names. *real_out (may be NULL, caller frees)
 * gets the resolved path. */
static int
add_host_path(struct pcb_layer_list *l, const char *path, bool link_group, char **real_out,
    uint64_t *bytes, struct pcb_err *err)
{
	struct pcb_buf resolved;
	char *rest = pcb_xstrdup(path), *p;
	int links = 0, rc = 0;

	pcb_buf_init(&resolved, PATH_MAX);
	if (path[0] != '/') {
		rc = pcb_err_set(err, PCB_EINVAL, "library path %s is not absolute", path);
		goto out;
	}
	p = rest;
	while (rc == 0) {
		char *comp, *slash, *cand;
		struct stat st;

		while (*p == '/')
			p++;
		if (*p == '\0') {
			rc = pcb_err_set(err, PCB_EINVAL, "%s names a directory, not a file", path);
			break;
		}
		comp = p;
		slash = strchr(p, '/');
		if (slash != NULL) {
			*slash = '\0';
			p = slash + 1;
		} else {
			p += strlen(p);
		}
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *last = strrchr(resolved.data ? resolved.data : "", '/');
			if (last != NULL) {
				resolved.len = (size_t)(last - resolved.data);
				resolved.data[resolved.len] = '\0';
			}
			continue;
		}
		cand = pcb_xasprintf("%s/%s", resolved.data ? resolved.data : "", comp);
		if (lstat(cand, &st) != 0) {
			rc = pcb_err_errno(err, errno, "resolving %s", path);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX], *nrest;
			ssize_t n = readlink(cand, target, sizeof target - 1);
			if (n <= 0) {
				rc = pcb_err_errno(err, n < 0 ? errno : EINVAL, "reading link %s", cand);
			} else if (++links > MAX_SYMLINKS) {
				rc = pcb_err_set(err, PCB_EINVAL, "resolving %s: too many symlinks", path);
			} else {
				target[n] = '\0';
				add_symlink(l, cand + 1, target);
				/* Continue with the target, then whatever followed the link. */
				nrest = *p != '\0' ? pcb_xasprintf("%s/%s", target, p) :
				    pcb_xstrdup(target);
				free(rest);
				rest = p = nrest;
				if (target[0] == '/' && resolved.data != NULL) {
					resolved.len = 0;
					resolved.data[0] = '\0';
				}
			}
		} else if (S_ISDIR(st.st_mode)) {
			resolved.len = 0;
			if (pcb_buf_append(&resolved, cand, strlen(cand)) != 0)
				rc = pcb_err_set(err, PCB_ETOOBIG, "resolving %s: path too long", path);
		} else if (S_ISREG(st.st_mode) && *p == '\0') {
			if ((rc = add_file(l, cand + 1, cand, 0, link_group, err)) == 0) {
				*bytes += (uint64_t)st.st_size;
				if (real_out != NULL)
					*real_out = pcb_xstrdup(cand);
			}
			free(cand);
			break;
		} else {
			rc = pcb_err_set(err, PCB_EINVAL, "resolving %s: %s is not a directory or a "
			    "regular file", path, cand);
		}
		free(cand);
	}
out:
	free(rest);
	pcb_buf_free(&resolved);
	return rc;
}

static bool
dropped_module(const char *name)
{
	return pcb_str_has_prefix(name, "_tkinter");
}

/* What of the standard library goes into the image (rel is relative to the stdlib). */
static bool
stdlib_filter(void *ud, const char *rel, bool is_dir)
{
	static const char *const drop_top[] = { "test", "idlelib", "tkinter", "turtledemo",
	    "ensurepip", "site-packages", "dist-packages" };
	const char *base = strrchr(rel, '/');
	bool top = base == NULL;

	(void)ud;
	base = base != NULL ? base + 1 : rel;
	if (is_dir && strcmp(base, "__pycache__") == 0)
		return false;
	if (!is_dir && (pcb_str_has_suffix(base, ".pyc") || pcb_str_has_suffix(base, ".pyo")))
		return false;
	if (top && is_dir) {
		for (size_t i = 0; i < PCB_ARRAY_LEN(drop_top); i++)
			if (strcmp(rel, drop_top[i]) == 0)
				return false;
		if (pcb_str_has_prefix(rel, "config-"))
			return false;
	}
	if (!is_dir && pcb_str_has_prefix(rel, "lib-dynload/") && dropped_module(base))
		return false;
	return true;
}

static bool
dynload_filter(void *ud, const char *rel, bool is_dir)
{
	const char *base = strrchr(rel, '/');

	(void)ud;
	base = base != NULL ? base + 1 : rel;
	return is_dir ? strcmp(base, "__pycache__") != 0 : !dropped_module(base);
}

/* Symlinks the stdlib walk kept that point out of it (absolute targets): the file they name
 * when it exists, else nothing — a dangling link would break `import` of that name. */
static int
fix_stdlib_symlinks(struct pcb_layer_list *l, size_t from, struct pcb_err *err)
{
	size_t w = from;
	int rc = 0;

	for (size_t i = from; i < l->n; i++) {
		struct pcb_layer_entry *e = &l->v[i];
		char real[PATH_MAX];
		struct stat st;

		if (rc == 0 && e->type == PCB_ENTRY_SYMLINK && e->link != NULL && e->link[0] == '/') {
			if (realpath(e->src, real) != NULL && stat(real, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				e->type = PCB_ENTRY_FILE;
				e->mode = (st.st_mode & 0111) ? 0755 : 0644;
				e->size = (uint64_t)st.st_size;
				free(e->src);
				e->src = pcb_xstrdup(real);
				free(e->link);
				e->link = NULL;
				e->ino = 0;
				e->nlink = 1;
			} else {
				free(e->path);
				free(e->src);
				free(e->link);
				continue;
			}
		}
		l->v[w++] = *e;
	}
	l->n = w;
	(void)err;
	return rc;
}

static bool
under_root(const struct pcb_layer_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (pcb_str_has_prefix(l->v[i].path, "root/"))
			return true;
	return false;
}

static uint64_t
list_bytes(const struct pcb_layer_list *l, size_t from)
{
	uint64_t n = 0;

	for (size_t i = from; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE)
			n += l->v[i].size;
	return n;
}

/* The extension modules of lib-dynload, sorted, absolute. */
static int
list_modules(const char *dynload, struct pcb_strv *out, struct pcb_err *err)
{
	struct dirent *de;
	DIR *d = opendir(dynload);

	if (d == NULL)
		return pcb_err_errno(err, errno, "opening %s", dynload);
	while ((de = readdir(d)) != NULL && out->n < MAX_DYNLOAD)
		if (pcb_str_has_suffix(de->d_name, ".so") && !dropped_module(de->d_name))
			pcb_strv_push_owned(out, pcb_path_join(dynload, de->d_name));
	closedir(d);
	pcb_strv_sort(out);
	return 0;
}

/* Runs ldd on the files and collects the absolute paths of every library they load (the
 * dynamic loader included), sorted and unique. A library ldd cannot find is reported in
 * *missing (a module that would fail to import) rather than failing the whole image. */
static int
ldd_libraries(const struct pcb_strv *files, struct pcb_strv *libs, struct pcb_strv *missing,
    struct pcb_err *err)
{
	char **argv = pcb_xcalloc(files->n + 2, sizeof *argv);
	char *ldd = NULL, *text = NULL, *save = NULL;
	int rc;

	if ((rc = find_on_path("ldd", &ldd, err)) != 0) {
		if (access("/usr/bin/ldd", X_OK) != 0)
			goto out;
		free(ldd);
		ldd = pcb_xstrdup("/usr/bin/ldd");
		pcb_err_clear(err);
		rc = 0;
	}
	argv[0] = ldd;
	for (size_t i = 0; i < files->n; i++)
		argv[i + 1] = files->v[i];
	if ((rc = run_capture(argv, LDD_MAX, true, &text, err)) != 0) {
		pcb_err_prefix(err, "listing shared libraries");
		goto out;
	}
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *arrow, *path, *sp;

		if (line[0] != '\t')
			continue;   /* "file:" headers when ldd is given several files */
		line++;
		arrow = strstr(line, " => ");
		path = arrow != NULL ? arrow + 4 : line;
		if (pcb_str_has_prefix(path, "not found")) {
			sp = strchr(line, ' ');
			if (sp != NULL)
				*sp = '\0';
			if (!pcb_strv_contains(missing, line))
				pcb_strv_push(missing, line);
			continue;
		}
		if (path[0] != '/')
			continue;   /* linux-vdso.so.1 and friends: the kernel's */
		sp = strstr(path, " (0x");
		if (sp != NULL)
			*sp = '\0';
		if (!pcb_strv_contains(libs, path))
			pcb_strv_push(libs, path);
	}
	pcb_strv_sort(libs);
	pcb_strv_sort(missing);
out:
	free(argv);
	free(ldd);
	free(text);
	return rc;
}

/* The system libraries a manylinux wheel may link without bundling them (the policy of
 * PEP 513/599/600: libc and its companions, libgcc_s, libstdc++), added from the folder
 * that holds the host's libc when it has them: python:X.Y-slim ships them all, and a native
 * wheel (MarkupSafe's speedups link libpthread.so.0) must load here as it would there. */
static void
add_policy_libraries(struct pcb_strv *libs)
{
	static const char *const policy[] = {
		"libc.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libpthread.so.0",
		"libutil.so.1", "libresolv.so.2", "libnsl.so.1", "libgcc_s.so.1", "libstdc++.so.6",
		NULL,
	};
	char *dir = NULL;

	for (size_t i = 0; i < libs->n && dir == NULL; i++) {
		const char *slash = strrchr(libs->v[i], '/');
		if (slash != NULL && strcmp(slash + 1, "libc.so.6") == 0)
			dir = pcb_xstrndup(libs->v[i], (size_t)(slash - libs->v[i]));
	}
	if (dir == NULL)
		return;
	for (size_t i = 0; policy[i] != NULL; i++) {
		char *p = pcb_xasprintf("%s/%s", dir, policy[i]);
		if (access(p, R_OK) == 0 && !pcb_strv_contains(libs, p))
			pcb_strv_push_owned(libs, p);
		else
			free(p);
	}
	pcb_strv_sort(libs);
	free(dir);
}

static int
write_small(const char *dir, const char *name, const char *text, struct pcb_err *err)
{
	char *p = pcb_path_join(dir, name);
	int rc = pcb_write_file_atomic(p, text, strlen(text), 0644, err);

	free(p);
	return rc;
}

/* /etc written to a scratch directory (the packer reads entries from files), then listed. */
static int
add_etc(struct pcb_layer_list *l, const char *scratch, uint64_t *bytes, struct pcb_err *err)
{
	static const struct { const char *name, *text; } files[] = {
		{ "passwd", "root:x:0:0:root:/root:/bin/sh\n"
		    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" },
		{ "group", "root:x:0:\nnogroup:x:65534:\n" },
		{ "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
		    "networks: files\nprotocols: files\nservices: files\n" },
	};
	const char *ca = "/etc/ssl/certs/ca-certificates.crt";
	char real[PATH_MAX];
	struct stat st;
	int rc = 0;

	for (size_t i = 0; i < PCB_ARRAY_LEN(files) && rc == 0; i++) {
		char *src, *dst;
		if ((rc = write_small(scratch, files[i].name, files[i].text, err)) != 0)
			break;
		src = pcb_path_join(scratch, files[i].name);
		dst = pcb_path_join("etc", files[i].name);
		rc = add_file(l, dst, src, 0644, false, err);
		*bytes += strlen(files[i].text);
		free(src);
		free(dst);
	}
	if (rc == 0 && realpath(ca, real) != NULL && stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
		rc = add_file(l, ca + 1, real, 0644, false, err);
		*bytes += (uint64_t)st.st_size;
	}
	add_dir(l, "tmp", 01777);
	return rc;
}

/* ---- packing and the image -------------------------------------------------------------- */

struct pack_progress {
	const struct pcb_build_ctx *ctx;
	const char *layer;
};

static void
on_progress(void *ud, uint64_t done, uint64_t total)
{
	struct pack_progress *pp = ud;
	struct pcb_event ev = { .type = PCB_EVENT_PROGRESS, .phase = "base", .layer = pp->layer,
	    .done = done, .total = total };

	if (pp->ctx->emit != NULL)
		pp->ctx->emit(pp->ctx->emit_ud, &ev);
}

static int
pack(const struct pcb_build_ctx *ctx, struct pcb_layer_list *l, const char *name,
    int64_t mtime, struct pcb_layer_result *res, json_object *layers, struct pcb_err *err)
{
	struct pack_progress pp = { ctx, name };
	struct pcb_layer_opts o;
	struct pcb_event ev = { .type = PCB_EVENT_LAYER };
	json_object *lj;
	char *msg;
	int rc;

	memset(&o, 0, sizeof o);
	o.mtime = mtime;
	o.cancel = ctx->cancel;
	o.progress = on_progress;
	o.progress_ud = &pp;
	pcb_layer_list_finish(l);
	if ((rc = pcb_layer_pack(ctx->store, l, &o, res, err)) != 0) {
		pcb_err_prefix(err, "packing the %s layer", name);
		return rc;
	}
	lj = pcb_oci_descriptor(res->media_type, res->digest, res->size);
	json_object_object_add(lj, "diff_id", json_object_new_string(res->diff_id));
	json_object_object_add(lj, "name", json_object_new_string(name));
	json_object_object_add(lj, "entries", json_object_new_int64((int64_t)res->n_entries));
	json_object_object_add(lj, "uncompressed_size",
	    json_object_new_int64((int64_t)res->tar_size));
	ev.layer = name;
	ev.data = lj;
	if (ctx->emit != NULL)
		ctx->emit(ctx->emit_ud, &ev);
	json_object_array_add(layers, lj);
	msg = pcb_xasprintf("layer %s: %zu entries, %llu bytes (%llu compressed), %s", name,
	    res->n_entries, (unsigned long long)res->tar_size, (unsigned long long)res->size,
	    res->digest);
	emit(ctx, PCB_EVENT_LOG, "info", msg);
	free(msg);
	return 0;
}

static json_object *
str_array(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *
make_config(const struct facts *f, const struct pcb_platform *plat, const char *repo,
    const char *created, const struct pcb_layer_result res[2])
{
	static const char *const names[2] = { "system", "python" };
	json_object *c = json_object_new_object(), *cfg = json_object_new_object();
	json_object *labels = json_object_new_object(), *rootfs = json_object_new_object();
	json_object *diff_ids = json_object_new_array(), *history = json_object_new_array();
	const char *cmd[] = { "python3" };
	char *env[4], *desc;

	json_object_object_add(c, "created", json_object_new_string(created));
	json_object_object_add(c, "architecture", json_object_new_string(plat->arch));
	json_object_object_add(c, "os", json_object_new_string(plat->os));
	if (plat->variant[0] != '\0')
		json_object_object_add(c, "variant", json_object_new_string(plat->variant));
	env[0] = pcb_xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[1] = pcb_xstrdup("LANG=C.UTF-8");
	env[2] = pcb_xasprintf("PYTHON_VERSION=%s", f->version);
	env[3] = NULL;
	json_object_object_add(cfg, "Env", str_array((const char *const *)env, 3));
	json_object_object_add(cfg, "Cmd", str_array(cmd, 1));
	desc = pcb_xasprintf("Python %s from the host interpreter %s, its standard library and "
	    "shared libraries (pcb base create --from-host)", f->version, f->exe);
	json_object_object_add(labels, "org.opencontainers.image.created",
	    json_object_new_string(created));
	json_object_object_add(labels, "org.opencontainers.image.description",
	    json_object_new_string(desc));
	json_object_object_add(labels, "org.opencontainers.image.title",
	    json_object_new_string(repo));
	json_object_object_add(labels, "org.opencontainers.image.version",
	    json_object_new_string(f->version));
	json_object_object_add(cfg, "Labels", labels);
	json_object_object_add(c, "config", cfg);
	json_object_object_add(rootfs, "type", json_object_new_string("layers"));
	for (int i = 0; i < 2; i++) {
		json_object *h = json_object_new_object();
		char *by = pcb_xasprintf("pycontainerd: base from host: %s layer", names[i]);
		json_object_array_add(diff_ids, json_object_new_string(res[i].diff_id));
		json_object_object_add(h, "created", json_object_new_string(created));
		json_object_object_add(h, "created_by", json_object_new_string(by));
		json_object_array_add(history, h);
		free(by);
	}
	json_object_object_add(rootfs, "diff_ids", diff_ids);
	json_object_object_add(c, "rootfs", rootfs);
	json_object_object_add(c, "history", history);
	for (int i = 0; i < 3; i++)
		free(env[i]);
	free(desc);
	return c;
}

/* ---- the steps of a run ----------------------------------------------------------------- */

/* What the steps of one run share: the interpreter's facts, the two layers as they are
 * listed and then packed, and the names and digests of the image. */
struct hostbase {
	const struct pcb_build_ctx *ctx;
	const struct pcb_hostbase_spec *spec;
	struct pcb_platform plat;          /* the host's */
	int64_t mtime;                     /* of every entry, and the config's "created" */
	char *repo, *tag, *name;           /* name is "repo:tag" */
	struct facts f;
	struct pcb_strv libs;              /* absolute host paths, sorted */
	char *libpython;                   /* basename of the libpython copied, or NULL */
	char *scratch;                     /* holds /etc until the layers are packed */
	struct pcb_layer_list sys, py;
	uint64_t sys_bytes, py_bytes;
	size_t py_from;                    /* the first stdlib entry of py */
	struct pcb_layer_result res[2];    /* system, python */
	json_object *layers;               /* the layers' descriptors, as pack() adds them */
	char config_digest[PCB_DIGEST_BUFSZ], manifest_digest[PCB_DIGEST_BUFSZ];
	size_t config_size, manifest_size;
};

static void
hostbase_init(struct hostbase *hb, const struct pcb_hostbase_spec *s,
    const struct pcb_build_ctx *ctx)
{
	memset(hb, 0, sizeof *hb);
	hb->ctx = ctx;
	hb->spec = s;
	hb->mtime = s->source_date_epoch >= 0 ? s->source_date_epoch : 0;
	pcb_layer_list_init(&hb->sys);
	pcb_layer_list_init(&hb->py);
	pcb_strv_init(&hb->libs);
	pcb_platform_host(&hb->plat);
	hb->layers = json_object_new_array();
}

static void
hostbase_free(struct hostbase *hb)
{
	if (hb->scratch != NULL) {
		pcb_rm_rf(hb->scratch, NULL);
		free(hb->scratch);
	}
	pcb_layer_list_free(&hb->sys);
	pcb_layer_list_free(&hb->py);
	pcb_strv_free(&hb->libs);
	facts_free(&hb->f);
	json_object_put(hb->layers);
	free(hb->repo);
	free(hb->tag);
	free(hb->name);
	free(hb->libpython);
	memset(hb, 0, sizeof *hb);
}

/* The spec's tag (required) and platform (the host's, if given at all). */
static int
check_spec(struct hostbase *hb, const struct pcb_hostbase_spec *s, struct pcb_err *err)
{
	int rc;

	if (s->tag == NULL)
		return pcb_err_set(err, PCB_EINVAL, "base: a tag is required");
	if ((rc = pcb_ref_parse(s->tag, &hb->repo, &hb->tag, err)) != 0)
		return rc;
	hb->name = pcb_xasprintf("%s:%s", hb->repo, hb->tag);
	if (s->platform != NULL) {
		struct pcb_platform want;
		char a[100], b[100];
		if ((rc = pcb_platform_parse(s->platform, &want, err)) != 0)
			return rc;
		pcb_platform_format(&want, a);
		pcb_platform_format(&hb->plat, b);
		if (strcmp(a, b) != 0)
			return pcb_err_set(err, PCB_EUNSUPPORTED, "a base from the host's Python is "
			    "for the host's platform %s, not %s", b, a);
	}
	return 0;
}

/* Finds the interpreter (the spec's, else python3 on PATH) and asks it for its facts. */
static int
inspect_python(struct hostbase *hb, const char *given, struct pcb_err *err)
{
	char *python = NULL, *msg;
	int rc;

	if (given != NULL)
		python = pcb_xstrdup(given);
	else if ((rc = find_on_path("python3", &python, err)) != 0)
		goto out;
	if ((rc = ask_python(python, &hb->f, err)) != 0) {
		pcb_err_prefix(err, "asking %s about itself", python);
		goto out;
	}
	msg = pcb_xasprintf("Python %s: %s, standard library %s, extension modules %s",
	    hb->f.version, hb->f.exe, hb->f.stdlib, hb->f.dynload ? hb->f.dynload : "(none)");
	emit(hb->ctx, PCB_EVENT_LOG, "info", msg);
	free(msg);
out:
	free(python);
	return rc;
}

static void
warn_missing_libraries(const struct pcb_build_ctx *ctx, const struct pcb_strv *missing)
{
	struct pcb_buf b;
	char *msg;

	pcb_buf_init(&b, 4096);
	for (size_t i = 0; i < missing->n; i++)
		pcb_buf_appendf(&b, "%s%s", i ? ", " : "", missing->v[i]);
	msg = pcb_xasprintf("ldd could not find %zu libraries (the modules needing them will "
	    "not import): %s", missing->n, b.data ? b.data : "");
	emit(ctx, PCB_EVENT_LOG, "warn", msg);
	free(msg);
	pcb_buf_free(&b);
}

/* The shared libraries of the interpreter and of each extension module, into hb->libs. */
static int
collect_libraries(struct hostbase *hb, struct pcb_err *err)
{
	struct pcb_strv files, missing;
	int rc;

	pcb_strv_init(&files);
	pcb_strv_init(&missing);
	pcb_strv_push(&files, hb->f.exe);
	if (hb->f.dynload != NULL && (rc = list_modules(hb->f.dynload, &files, err)) != 0)
		goto out;
	if ((rc = ldd_libraries(&files, &hb->libs, &missing, err)) != 0)
		goto out;
	add_policy_libraries(&hb->libs);
	if (missing.n > 0)
		warn_missing_libraries(hb->ctx, &missing);
out:
	pcb_strv_free(&files);
	pcb_strv_free(&missing);
	return rc;
}

/* The host's time zone database (/usr/share/zoneinfo), as the python:X.Y-slim images carry
 * it: Python's zoneinfo module and Debian's pytz read it there. None on the host: none. */
static int
add_zoneinfo(struct hostbase *hb, struct pcb_err *err)
{
	struct stat st;
	size_t from = hb->sys.n;
	int rc;

	if (stat("/usr/share/zoneinfo", &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((rc = pcb_layer_list_add(&hb->sys, "/usr/share", "zoneinfo", "usr/share", NULL, NULL,
	    err)) != 0) {
		pcb_err_prefix(err, "copying the time zone database");
		return rc;
	}
	hb->sys_bytes += list_bytes(&hb->sys, from);
	return 0;
}

/* Layer "system": libraries at their host paths, /etc, /tmp. libpython goes with the
 * interpreter instead, hard-linked into /usr/local/lib. */
static int
add_system_layer(struct hostbase *hb, struct pcb_err *err)
{
	int rc;

	for (size_t i = 0; i < hb->libs.n; i++) {
		const char *base = strrchr(hb->libs.v[i], '/') + 1;
		bool is_libpython = pcb_str_has_prefix(base, "libpython");
		char *real = NULL;

		rc = add_host_path(is_libpython ? &hb->py : &hb->sys, hb->libs.v[i], is_libpython,
		    &real, is_libpython ? &hb->py_bytes : &hb->sys_bytes, err);
		if (rc == 0 && is_libpython && hb->libpython == NULL) {
			char *dst = pcb_xasprintf("usr/local/lib/%s", base);
			rc = add_file(&hb->py, dst, real, 0, true, err);
			hb->libpython = pcb_xstrdup(base);
			free(dst);
		}
		free(real);
		if (rc != 0) {
			pcb_err_prefix(err, "copying shared library %s", hb->libs.v[i]);
			return rc;
		}
	}
	hb->scratch = pcb_xasprintf("%s/tmp/hostbase-XXXXXX", pcb_store_root(hb->ctx->store));
	if (mkdtemp(hb->scratch) == NULL) {
		rc = pcb_err_errno(err, errno, "creating a scratch directory %s", hb->scratch);
		free(hb->scratch);
		hb->scratch = NULL;
		return rc;
	}
	if ((rc = add_etc(&hb->sys, hb->scratch, &hb->sys_bytes, err)) != 0)
		return rc;
	return add_zoneinfo(hb, err);
}

/* Layer "python", first part: /usr/local/bin/python3.X with its python3 and python links,
 * and libpython's development name. */
static int
add_interpreter(struct hostbase *hb, struct pcb_err *err)
{
	const struct facts *f = &hb->f;
	char *bin = pcb_xasprintf("usr/local/bin/python%d.%d", f->major, f->minor);
	char *target = pcb_xasprintf("python%d.%d", f->major, f->minor);
	struct stat st;
	int rc;

	rc = add_file(&hb->py, bin, f->exe, 0755, false, err);
	if (rc == 0 && stat(f->exe, &st) == 0)
		hb->py_bytes += (uint64_t)st.st_size;
	add_symlink(&hb->py, "usr/local/bin/python3", target);
	add_symlink(&hb->py, "usr/local/bin/python", "python3");
	free(bin);
	free(target);
	if (rc != 0)
		return rc;
	if (hb->libpython != NULL && f->ldlibrary != NULL && strchr(f->ldlibrary, '/') == NULL &&
	    strcmp(f->ldlibrary, hb->libpython) != 0 &&
	    pcb_str_has_prefix(hb->libpython, f->ldlibrary)) {
		/* The development name (libpython3.11.so → libpython3.11.so.1.0), as the
		 * official images have it. */
		char *p = pcb_xasprintf("usr/local/lib/%s", f->ldlibrary);
		add_symlink(&hb->py, p, hb->libpython);
		free(p);
	}
	return 0;
}

/* Layer "python", second part: the stdlib at /usr/local/lib/python3.X, with lib-dynload
 * and an empty site-packages. */
static int
add_stdlib(struct hostbase *hb, struct pcb_err *err)
{
	const struct facts *f = &hb->f;
	char *stdlib_dst = pcb_xasprintf("usr/local/lib/python%d.%d", f->major, f->minor);
	char *dynload_std = NULL, *sp;
	int rc;

	hb->py_from = hb->py.n;
	if ((rc = pcb_layer_list_add(&hb->py, f->stdlib, "", stdlib_dst, stdlib_filter, NULL,
	    err)) != 0) {
		pcb_err_prefix(err, "copying the standard library");
		goto out;
	}
	dynload_std = pcb_path_join(f->stdlib, "lib-dynload");
	if (f->dynload != NULL && strcmp(f->dynload, dynload_std) != 0) {
		/* Some distributions keep it elsewhere (lib64/…): Python looks for it next to
		 * the stdlib, so it goes there. */
		char *dst = pcb_path_join(stdlib_dst, "lib-dynload");
		rc = pcb_layer_list_add(&hb->py, f->dynload, "", dst, dynload_filter, NULL, err);
		free(dst);
		if (rc != 0) {
			pcb_err_prefix(err, "copying lib-dynload");
			goto out;
		}
	}
	if ((rc = fix_stdlib_symlinks(&hb->py, hb->py_from, err)) != 0)
		goto out;
	hb->py_bytes += list_bytes(&hb->py, hb->py_from);
	sp = pcb_path_join(stdlib_dst, "site-packages");
	add_dir(&hb->py, sp, 0755);
	free(sp);
out:
	free(dynload_std);
	free(stdlib_dst);
	return rc;
}

/* /root is private in the python images, unless libraries live under it (pyenv's
 * libpython, found through the interpreter's RUNPATH): then any user must get through.
 * Both layers say the same, so the upper one does not change it. */
static void
add_root_dirs(struct hostbase *hb)
{
	mode_t root_mode = under_root(&hb->sys) || under_root(&hb->py) ? 0755 : 0700;

	add_dir(&hb->sys, "root", root_mode);
	add_dir(&hb->py, "root", root_mode);
}

static void
log_contents(const struct hostbase *hb)
{
	char *msg;

	msg = pcb_xasprintf("%zu shared libraries (%llu bytes), %zu standard library entries, "
	    "%llu bytes of Python in all", hb->libs.n, (unsigned long long)hb->sys_bytes,
	    hb->py.n - hb->py_from, (unsigned long long)hb->py_bytes);
	emit(hb->ctx, PCB_EVENT_LOG, "info", msg);
	free(msg);
}

static int
write_config(struct hostbase *hb, struct pcb_err *err)
{
	char created[32];
	json_object *config;
	int rc;

	pcb_time_rfc3339(hb->mtime, created);
	config = make_config(&hb->f, &hb->plat, hb->repo, created, hb->res);
	rc = pcb_oci_put_json(hb->ctx->store, config, PCB_MT_OCI_CONFIG, hb->config_digest,
	    &hb->config_size, err);
	json_object_put(config);
	return rc;
}

static int
write_manifest(struct hostbase *hb, struct pcb_err *err)
{
	json_object *manifest, *ml = json_object_new_array();
	int rc;

	for (int i = 0; i < 2; i++)
		json_object_array_add(ml, pcb_oci_descriptor(hb->res[i].media_type,
		    hb->res[i].digest, hb->res[i].size));
	manifest = pcb_oci_manifest_new(hb->config_digest, hb->config_size, ml);
	rc = pcb_oci_put_json(hb->ctx->store, manifest, PCB_MT_OCI_MANIFEST, hb->manifest_digest,
	    &hb->manifest_size, err);
	json_object_put(manifest);
	return rc;
}

static int
tag_image(struct hostbase *hb, struct pcb_err *err)
{
	char *msg;
	int rc;

	if ((rc = pcb_store_tag_set_as(hb->ctx->store, &hb->spec->as, hb->name, hb->manifest_digest,
	    err)) != 0)
		return rc;
	msg = pcb_xasprintf("tagged %s as %s", hb->manifest_digest, hb->name);
	emit(hb->ctx, PCB_EVENT_LOG, "info", msg);
	free(msg);
	return 0;
}

/* The JSON result pcb_hostbase_run promises (see hostbase.h). */
static json_object *
make_result(const struct hostbase *hb)
{
	json_object *result = json_object_new_object(), *pyj, *libj;
	char p[100];

	json_object_object_add(result, "manifest",
	    pcb_oci_descriptor(PCB_MT_OCI_MANIFEST, hb->manifest_digest, hb->manifest_size));
	json_object_object_add(result, "config",
	    pcb_oci_descriptor(PCB_MT_OCI_CONFIG, hb->config_digest, hb->config_size));
	json_object_object_add(result, "layers", json_object_get(hb->layers));
	json_object_object_add(result, "tag", json_object_new_string(hb->name));
	pyj = json_object_new_object();
	json_object_object_add(pyj, "path", json_object_new_string(hb->f.exe));
	json_object_object_add(pyj, "version", json_object_new_string(hb->f.version));
	json_object_object_add(result, "python", pyj);
	json_object_object_add(result, "files",
	    json_object_new_int64((int64_t)(hb->res[0].n_entries + hb->res[1].n_entries)));
	libj = json_object_new_array();
	for (size_t i = 0; i < hb->libs.n; i++)
		json_object_array_add(libj, json_object_new_string(hb->libs.v[i]));
	json_object_object_add(result, "libraries", libj);
	pcb_platform_format(&hb->plat, p);
	json_object_object_add(result, "platform", json_object_new_string(p));
	return result;
}

int
pcb_hostbase_run(const struct pcb_hostbase_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err)
{
	struct hostbase hb;
	json_object *result = NULL;
	int rc = 0;

	hostbase_init(&hb, s, ctx);
	emit(ctx, PCB_EVENT_PHASE, "base", "inspecting the host's Python");
	if ((rc = check_spec(&hb, s, err)) != 0 ||
	    (rc = inspect_python(&hb, s->python, err)) != 0 ||
	    (rc = collect_libraries(&hb, err)) != 0)
		goto out;
	if (cancelled(ctx)) {
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
		goto out;
	}
	if ((rc = add_system_layer(&hb, err)) != 0 ||
	    (rc = add_interpreter(&hb, err)) != 0 ||
	    (rc = add_stdlib(&hb, err)) != 0)
		goto out;
	add_root_dirs(&hb);
	log_contents(&hb);

	emit(ctx, PCB_EVENT_PHASE, "pack", "packing the base layers");
	if ((rc = pack(ctx, &hb.sys, "system", hb.mtime, &hb.res[0], hb.layers, err)) != 0 ||
	    (rc = pack(ctx, &hb.py, "python", hb.mtime, &hb.res[1], hb.layers, err)) != 0)
		goto out;

	emit(ctx, PCB_EVENT_PHASE, "config", "writing the image config");
	if ((rc = write_config(&hb, err)) != 0)
		goto out;
	emit(ctx, PCB_EVENT_PHASE, "manifest", "writing the image manifest");
	if ((rc = write_manifest(&hb, err)) != 0)
		goto out;
	emit(ctx, PCB_EVENT_PHASE, "tag", hb.name);
	if ((rc = tag_image(&hb, err)) != 0)
		goto out;
	result = make_result(&hb);
out:
	if (rc != 0 && cancelled(ctx) && rc != PCB_ECANCELED)
		rc = pcb_err_set(err, PCB_ECANCELED, "cancelled");
	hostbase_free(&hb);
	*result_out = rc == 0 ? result : NULL;
	return rc;
}
