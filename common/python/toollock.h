/* toollock.h — the lock files of Poetry (poetry.lock), PDM (pdm.lock) and Pipenv
 * (Pipfile.lock). Unlike pylock.toml and uv.lock (lockfile.h) they pin versions and the hashes
 * of each release's files but not where the files are, so the packages they select for an
 * image become hash-pinned requirement lines ("name==1.0 --hash=sha256:…") that pip downloads
 * from the configured index with --require-hashes --no-deps (deps.c): every file is checked
 * against the lock, and nothing the lock does not name is installed.
 *
 * Thread-safety: reentrant. */
#ifndef PCB_TOOLLOCK_H
#define PCB_TOOLLOCK_H

#include <stdbool.h>

#include "base/err.h"
#include "base/util.h"
#include "python/lockfile.h"
#include "python/wheel.h"

enum pcb_toollock_kind { PCB_TOOLLOCK_POETRY = 0, PCB_TOOLLOCK_PDM, PCB_TOOLLOCK_PIPENV };

/* By the file's name: "poetry.lock", "pdm.lock", "Pipfile.lock"; false for any other. */
bool pcb_toollock_kind_of(const char *path, enum pcb_toollock_kind *out);

struct pcb_toollock_pkg {
	char *name;               /* normalised distribution name */
	char *version;
	struct pcb_strv hashes;   /* "sha256:<hex>" (sha384 / sha512 too), sorted, unique, never
	                           * empty */
	char *url;                /* a wheel the lock gives by URL (http, https, or file:// for a
	                           * local path) instead of by index, or NULL */
	char *marker;             /* the lock's marker for the package (it holds for the image),
	                           * or NULL; informational: the requirement lines carry none */
};

struct pcb_toollock {
	enum pcb_toollock_kind kind;
	struct pcb_toollock_pkg *v;   /* sorted by name */
	size_t n;
	size_t skipped;               /* lock entries left out: other groups, markers that fail for
	                               * the image, not reached from the project's dependencies */
	struct pcb_strv index_urls;   /* package indexes other than PyPI that selected packages
	                               * come from (Poetry's legacy sources, Pipfile.lock sources),
	                               * in first-use order */
	struct pcb_strv warnings;     /* what the image should know but does not stop it: the
	                               * lock is for another Python than the image's */
};
void pcb_toollock_free(struct pcb_toollock *l);

/* Reads the lock at path without choosing anything (no target needed): it must parse (TOML
 * for poetry.lock and pdm.lock, JSON for Pipfile.lock: errors give the file, the line and
 * what was wrong) and have the top-level shape of its kind (lock-version 1.x/2.x, lock_version
 * 3.x/4.x, a "_meta" and "default"). Pushes onto *warnings (when not NULL) what says the lock
 * does not fit the project file beside it — pyproject.toml for Poetry and PDM, Pipfile for
 * Pipenv: the content hash the tool keeps in the lock (Poetry's metadata.content-hash, PDM's
 * metadata.content_hash, Pipfile.lock's _meta.hash) is recomputed from that file the way the
 * tool computes it, every version's way, and a mismatch means the project's dependencies
 * changed after the lock was made ("poetry.lock is out of date with pyproject.toml: …"). */
int pcb_toollock_check(const char *path, struct pcb_strv *warnings, struct pcb_err *err);

/* Reads the lock at path and selects the packages the image needs, for target t (markers
 * evaluated as pcb_marker_env_init sets them up, `extra` against the extras asked):
 * - poetry.lock, lock-version 2.1 and later: the packages whose `groups` meet {main} plus the
 *   groups asked, and whose `markers` (one string, or one per group) hold — what `poetry
 *   install --only main` installs; earlier versions (2.0, 1.x) keep no groups, so, as Poetry
 *   does, the dependencies are walked from the project's own (pyproject.toml beside the lock:
 *   [tool.poetry.dependencies], [project].dependencies, the groups and extras asked) through
 *   each package's [package.dependencies] (optional ones through [package.extras]), with
 *   their markers, python and platform keys evaluated. Files from `files`, or from
 *   [metadata.files] / [metadata.hashes] in 1.x locks. An extra must be in the lock's
 *   [extras]; a group must be in the lock (2.1) or in pyproject.toml (walk).
 * - pdm.lock: when every package has `groups` (PDM's inherit_metadata), those meeting
 *   {default} plus the extras and groups asked (PDM's groups cover both), with `marker`
 *   holding; otherwise a walk from [project].dependencies (+ optional-dependencies of the extras,
 *   [dependency-groups] / [tool.pdm.dev-dependencies] of the groups) through `dependencies`,
 *   "name[extra]" entries standing for the extras. A group asked must be in [metadata] groups.
 *   A package's requires_python the image fails is listed like a missing wheel.
 * - Pipfile.lock: "default", plus "develop" for group "dev" or "develop", or the category a
 *   group names; every entry's `markers` evaluated. Extras are refused (Pipenv has none).
 * The project itself (its name from pyproject.toml, or a Pipfile entry with path ".") is never
 * selected. A dependency the project declares (pyproject.toml, or Pipfile [packages]) that
 * the lock does not have fails: the lock is out of date, and the image would lack it. Each
 * selected package needs at least one sha256/sha384/sha512 hash, and, when the lock names its
 * files, a wheel among them that fits the image (pcb_wheel_fit); one that comes from git, a
 * local directory or an sdist URL cannot be fetched from an index as a hash-checked wheel.
 * Every package that fails these is collected, and the call fails with PCB_EINVAL listing each
 * ("<path>: pypika 0.48.9: sdist only in the lock (pypika-0.48.9.tar.gz); mylib 0.1.0: a git
 * source (https://…), not a package index; …; the image is CPython 3.11, linux x86_64,
 * glibc 2.36"). Errors in the file itself stop at the first and name the file and, for TOML,
 * the line. On success out is filled (caller frees with pcb_toollock_free); on failure it is
 * untouched. */
int pcb_toollock_load(const char *path, const struct pcb_pytarget *t,
    const struct pcb_lock_select *sel, struct pcb_toollock *out, struct pcb_err *err);

/* The selection as a pip requirements file: a comment naming header (may be NULL), one
 * "--extra-index-url URL" per index_urls entry not in skip_indexes (may be NULL), then one
 * line per package, "name==version --hash=sha256:… …" or "name @ URL --hash=…". No markers:
 * they were evaluated for the image, while pip would evaluate them for the host it runs on.
 * Caller frees. */
char *pcb_toollock_requirements(const struct pcb_toollock *l, const char *header,
    const struct pcb_strv *skip_indexes);

#endif
