/* poetry.h — Poetry's dependency tables as PEP 508 requirement lines, so that a Poetry project
 * gets its dependencies installed like any other project: [tool.poetry.dependencies] (without
 * "python"), the groups asked for ([tool.poetry.group.<name>.dependencies], and the old
 * [tool.poetry.dev-dependencies] as group "dev"), optional ones only through an extra asked
 * ([tool.poetry.extras]). Poetry's constraints (^, ~, *, bare versions, "||" of python ranges)
 * become PEP 440 specifiers and its python/platform/markers keys environment markers.
 *
 * Thread-safety: reentrant. */
#ifndef PCB_POETRY_H
#define PCB_POETRY_H

#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"

/* The requirement lines of a parsed pyproject.toml's Poetry tables, appended to *lines in the
 * tables' order; `path` dependencies become "name @ file://<context>/<path>". Returns PCB_ENOENT when there is no [tool.poetry.dependencies] (or only
 * "python"); PCB_EINVAL naming the table and key for what cannot be expressed ("name: version
 * '^1 || ^2' has no PEP 440 form") or an extra/group that does not exist. */
int pcb_poetry_requirements(json_object *pyproject, const char *context,
    const struct pcb_strv *extras, const struct pcb_strv *groups, struct pcb_strv *lines,
    struct pcb_err *err);

/* One version constraint ("^1.2.3", "~1.2", "1.2.*", ">=1,<2", "*") as a PEP 440 specifier set
 * (caller frees; "" for any version). PCB_EINVAL when it has no PEP 440 form. */
int pcb_poetry_constraint(const char *c, char **out, struct pcb_err *err);

/* A python constraint ("^3.8", ">=3.8,<3.11", "~3.9 || ^3.11") as an environment marker
 * expression on python_version / python_full_version (caller frees). */
int pcb_poetry_python_marker(const char *c, char **out, struct pcb_err *err);

#endif
