/* pep508.h — PEP 440 versions and specifiers, PEP 508 requirement strings and environment
 * markers, evaluated for the image's target (not for the host the daemon runs on).
 *
 * Thread-safety: reentrant; nothing global. */
#ifndef PCB_PEP508_H
#define PCB_PEP508_H

#include <stdbool.h>

#include "base/err.h"
#include "base/util.h"
#include "python/wheel.h"

/* PEP 440 ordering of two versions (epochs, release segments with trailing zeros ignored,
 * a/b/rc pre-releases, post, dev, local labels; normalised spellings such as "1.0-RC1",
 * "v1.0", "1.0.post"). Returns <0, 0, >0. A string that is not a PEP 440 version sorts
 * before every valid one and equal to an identical string. */
int pcb_version_cmp(const char *a, const char *b);
bool pcb_version_valid(const char *v);

/* Whether version satisfies a specifier set ("", ">=3.8,<4", "~=1.4.2", "==1.*", "!=2.0",
 * "===x"). PCB_EINVAL naming the bad clause when spec is malformed (*out untouched). Pre-releases
 * match only when a clause other than "!=" names one ("<2.0a2", ">=1.0rc1") or allow_pre is
 * true; "<V" never admits pre-releases of V itself, ">V" never post-releases or local versions
 * of V (unless V is one). "==V" without a local label ignores the candidate's. A version that
 * is not PEP 440 matches only "===" (case-insensitive string equality). */
int pcb_specifier_match(const char *spec, const char *version, bool allow_pre, bool *out,
    struct pcb_err *err);

/* The marker variables for an image: python_version "3.11", python_full_version "3.11.0"
 * (overridable: write the field after _init), os_name "posix", sys_platform "linux",
 * platform_system "Linux", platform_machine (the target arch: "x86_64", "aarch64"),
 * platform_python_implementation "CPython", implementation_name "cpython",
 * implementation_version = python_full_version, platform_release and platform_version unknown
 * (comparisons against them are false except "!=" and "not in"). extras and dependency_groups
 * are the sets `extra` / `extras` / `dependency_groups` markers test ("extra == 'socks'" holds
 * when socks is in extras; PEP 751 "'dev' in dependency_groups"); _init leaves them empty, the
 * caller pushes normalised names; _free frees them. */
struct pcb_marker_env {
	char python_version[16];
	char python_full_version[32];
	char platform_machine[32];
	struct pcb_strv extras;             /* normalised names */
	struct pcb_strv dependency_groups;  /* normalised names */
};
void pcb_marker_env_init(struct pcb_marker_env *e, const struct pcb_pytarget *t);
void pcb_marker_env_free(struct pcb_marker_env *e);

/* Evaluates a PEP 508 marker expression ("python_version >= '3.8' and sys_platform ==
 * 'linux' or extra == 'socks'"): and binds tighter than or, parentheses (nested at most 64
 * deep), the comparison operators, in / not in (substring on strings, membership on the
 * sets), versions compared as PEP 440 when the operator and right side form a valid specifier
 * and the left side is a version (pre-releases allowed), as strings otherwise; `extra` and
 * names tested against the sets are normalised. The pre-PEP 508 spellings os.name,
 * sys.platform, platform.machine … are accepted. PCB_EINVAL "marker '…': column N: …" for a
 * malformed marker, an unknown variable, a comparison between two literals, or ~= between
 * strings that are not versions; *out untouched then. */
int pcb_marker_eval(const char *marker, const struct pcb_marker_env *env, bool *out,
    struct pcb_err *err);

/* A PEP 508 requirement line: "name[extra1,extra2] (>=1.0,<2) ; marker" or
 * "name @ https://…/x.whl ; marker" (one requirement, no "#" comments or pip options: the
 * caller strips those). The specifier and marker are checked for syntax; PCB_EINVAL with the
 * column otherwise. On success *out is filled (free with pcb_requirement_free); on failure it
 * is untouched. */
struct pcb_requirement {
	char *name;                 /* normalised */
	struct pcb_strv extras;     /* normalised */
	char *specifier;            /* "" when none */
	char *url;                  /* NULL unless "@ url" */
	char *marker;               /* NULL when none */
};
int pcb_requirement_parse(const char *line, struct pcb_requirement *out, struct pcb_err *err);
void pcb_requirement_free(struct pcb_requirement *r);

#endif
