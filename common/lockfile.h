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

#include "err.h"
#include "util.h"
#include "wheel.h"

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

/* What to select: extras and dependency groups asked for (normalised names; for uv.lock the
 * root project's optional-dependencies / dependency-groups; for pylock.toml the values
 * `extras` / `dependency_groups` markers see), and whether uv.lock's default "dev" group is
 * included (false: images get runtime dependencies only). */
struct pcb_lock_select {
	const struct pcb_strv *extras;   /* may be NULL */
	const struct pcb_strv *groups;   /* may be NULL */
};

/* Reads the lock file at path (its kind from its name: "pylock.toml" / "pylock.*.toml" or
 * "uv.lock") and selects for target t:
 * - pylock.toml: lock-version 1.x checked ("requires-python" too, against the target);
 *   every [[packages]] whose marker holds; wheels chosen by pcb_wheel_fit (best score);
 *   hashes.sha256 required; url or path (relative to the file's folder).
 * - uv.lock: version 1; walk from the root package(s) (source virtual or editable ".", or
 *   the one named in [manifest] members) through `dependencies` (and optional-dependencies
 *   for the extras asked, dev-dependencies for the groups asked) whose markers hold; the
 *   root itself is not installed (it is the app); a package with source "editable"/
 *   "directory"/"path" other than a wheel file is an error naming it.
 * Every package that has no fitting wheel is collected, and the call fails with PCB_EINVAL
 * listing each ("markupsafe 3.0.3: wheels for manylinux_2_17_x86_64 only; the image is
 * CPython 3.11, linux aarch64, glibc 2.36") — not just the first. Errors in the file name it
 * with line numbers where the TOML parser gives them. */
int pcb_lock_load(const char *path, const struct pcb_pytarget *t,
    const struct pcb_lock_select *sel, struct pcb_lock *out, struct pcb_err *err);

#endif
