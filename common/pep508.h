/* pep508.h — PEP 440 versions and specifiers, PEP 508 requirement strings and environment
 * markers, evaluated for the image's target (not for the host the daemon runs on).
 *
 * Thread-safety: reentrant; nothing global. */
#ifndef PCB_PEP508_H
#define PCB_PEP508_H

#include <stdbool.h>

#include "err.h"
#include "util.h"
#include "wheel.h"

/* PEP 440 ordering of two versions (epochs, release segments with trailing zeros ignored,
 * a/b/rc pre-releases, post, dev, local labels; normalised spellings such as "1.0-RC1",
 * "v1.0", "1.0.post"). Returns <0, 0, >0. A string that is not a PEP 440 version sorts
 * before every valid one and equal to an identical string. */
int pcb_version_cmp(const char *a, const char *b);
bool pcb_version_valid(const char *v);

/* Whether version satisfies a specifier set ("", ">=3.8,<4", "~=1.4.2", "==1.*", "!=2.0",
 * "===x"). PCB_EINVAL naming the bad clause when spec is malformed. Pre-releases match only
 * when the specifier names one or allow_pre is true. */
int pcb_specifier_match(const char *spec, const char *version, bool allow_pre, bool *out,
    struct pcb_err *err);

/* The marker variables for an image: python_version "3.11", python_full_version "3.11.0"
 * (overridable), os_name "posix", sys_platform "linux", platform_system "Linux",
 * platform_machine (the target arch: "x86_64", "aarch64"), platform_python_implementation
 * "CPython", implementation_name "cpython", implementation_version = python_full_version,
 * platform_release "" and platform_version "" (unknown: comparisons against them are false
 * except "!="). extras and dependency_groups are the sets `extra` / `dependency_groups`
 * markers test (PEP 751 "'dev' in dependency_groups"). */
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
 * 'linux' or extra == 'socks'"): and/or/parentheses, the comparison operators, in / not in,
 * versions compared as PEP 440 when both sides are versions and as strings otherwise;
 * `extra` and the name on either side of `in` against the sets. PCB_EINVAL with the column
 * of the fault for a malformed marker or an unknown variable. */
int pcb_marker_eval(const char *marker, const struct pcb_marker_env *env, bool *out,
    struct pcb_err *err);

/* A PEP 508 requirement line: "name[extra1,extra2] (>=1.0,<2) ; marker" or
 * "name @ https://…/x.whl ; marker". */
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
