/* lockfile.h — lock files that pin exact wheels: pylock.toml (PEP 751) and uv.lock. They
 * give, per package, wheels with URLs (or paths) and hashes; this module picks the packages
 * that apply to the image's target and, for each, the wheel that fits it best. Fetching and
 * verifying the bytes is the caller's job (deps.c).
 *
 * Thread-safety: reentrant. */
#ifndef PCB_LOCKFILE_H
#define PCB_LOCKFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "python/wheel.h"

enum pcb_lock_kind { PCB_LOCK_PYLOCK = 0, PCB_LOCK_UV };

struct pcb_locked_wheel {
	char *name;          /* normalised distribution name */
	char *version;
	char *filename;      /* the wheel's file name (from the URL, path or "name" key) */
	char *url;           /* absolute http(s) URL, or NULL */
	char *path;          /* absolute local path (relative ones resolved against the lock
	                      * file's folder), or NULL; exactly one of url/path is set */
	char sha256[65];     /* lower-case hex; always present (a lock entry without a sha256 is
	                      * an error) */
	uint64_t size;       /* 0 = not stated */
};

struct pcb_lock {
	enum pcb_lock_kind kind;
	struct pcb_locked_wheel *v;   /* sorted by name */
	size_t n;
	size_t skipped;               /* packages left out by their markers */
};
void pcb_lock_free(struct pcb_lock *l);

/* What to select: extras and dependency groups asked for (names, normalised here; for uv.lock
 * the root project's optional-dependencies / dev-dependencies tables, which is where uv keeps
 * dependency groups; for pylock.toml the values `extras` / `dependency_groups` markers see,
 * dependency_groups being the lock's default-groups plus these). Nothing is included unless
 * asked: uv.lock's "dev" group only when groups names it, so images get runtime dependencies
 * only by default. Asking for an extra or group that the lock does not offer (not on any uv
 * root; not in pylock's `extras` / `dependency-groups` lists when it has them) is an error. */
struct pcb_lock_select {
	const struct pcb_strv *extras;   /* may be NULL */
	const struct pcb_strv *groups;   /* may be NULL */
};

/* Reads the lock file at path (its kind from its name: "pylock.toml" / "pylock.*.toml" or
 * "uv.lock"; any other name is PCB_EINVAL) and selects for target t (marker variables from
 * pcb_marker_env_init, so python_full_version is "X.Y.0"):
 * - pylock.toml: lock-version 1.x checked ("requires-python" too, against the target);
 *   `environments`, when present, must have one marker that holds; every [[packages]] whose
 *   marker holds (two entries of one name that both hold are an error; a package
 *   requires-python the image fails is listed like a missing wheel); wheels chosen by
 *   pcb_wheel_fit (best score); hashes.sha256 required; url (http, https, file) or path
 *   (relative to the file's folder; path wins when both are given); an `archive` that is a
 *   .whl counts as the wheel; sdist / vcs / directory only → listed as having no wheel.
 * - uv.lock: version 1; walk from the root package(s) (source virtual or editable ".", or
 *   the one named in [manifest] members) through `dependencies` (and optional-dependencies
 *   for the extras asked, dev-dependencies for the groups asked) whose markers hold; the
 *   root itself is not installed (it is the app); a package with source "editable"/
 *   "directory"/"git"/"path" other than a wheel file is listed like a missing wheel (a
 *   "virtual" non-root member has nothing to install and is passed over). When several
 *   [[package]] entries share a name (uv forks), the edge's `version` and `source` pick
 *   one, else the entry whose resolution-markers hold. Wheel paths in a registry that is a
 *   local folder are relative to that folder; a wheel entry with only `filename` is the file
 *   a url/path source points at. Every wheel hash must be "sha256:<hex>".
 * Every package that has no fitting wheel is collected, and the call fails with PCB_EINVAL
 * listing each ("<path>: markupsafe 3.0.3: wheels for manylinux_2_17_x86_64 only; numpy 2.1:
 * wheels for … only (built for cp312 (the image has CPython 3.11)); the image is CPython 3.11,
 * linux aarch64, glibc 2.36") — not just the first (past ~640 bytes: "and N more"). Errors in
 * the file stop at the first, name it and give the line where the TOML parser kept one.
 * On success out->v is sorted by name (caller frees with pcb_lock_free); on failure *out is
 * untouched. skipped counts pylock packages whose marker fails / uv packages not reached. */
int pcb_lock_load(const char *path, const struct pcb_pytarget *t,
    const struct pcb_lock_select *sel, struct pcb_lock *out, struct pcb_err *err);

#endif
