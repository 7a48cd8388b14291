/* project.h — Python project discovery: from a context folder (pyproject.toml,
 * requirements.txt, the files) work out who the project is, what goes into the image and how
 * it starts. Also the ignore rules (.dockerignore / .pcbignore) and the default excludes.
 *
 * Thread-safety: reentrant; a struct pcb_project belongs to its caller. */
#ifndef PCB_PROJECT_H
#define PCB_PROJECT_H

#include <stdbool.h>
#include <json-c/json.h>

#include "err.h"
#include "util.h"

struct pcb_ignore;   /* compiled .dockerignore/.pcbignore patterns + built-in excludes */

struct pcb_project {
	char *context;        /* absolute path of the context folder (owned) */
	char *name;           /* [project].name or the folder name; never NULL after discover */
	char *version;        /* NULL when absent or dynamic */
	char *description;    /* NULL when absent */
	char *license;        /* SPDX-ish text or NULL */
	char *python_version; /* "3.12" from requires-python, or NULL */
	char *package;        /* import package found ("hello"), or NULL */
	struct pcb_strv include;   /* top-level context-relative paths to pack, sorted */
	struct pcb_strv cmd;       /* argv that starts the app (e.g. "python" "-c" "…"); empty
	                            * when discovery found no way to start it */
	char *cmd_source;     /* where cmd came from: "[project.scripts] hello = hello.cli:main" */
	struct pcb_ignore *ignore;  /* owned */
	json_object *pyproject;     /* parsed pyproject.toml or NULL (owned) */
};

/* What to tell a user whose project has no discoverable command (format: context path). */
#define PCB_PROJECT_NO_CMD_HINT "cannot tell how to start %s: no [project.scripts] entry, " \
	"no package with __main__.py and no main.py/app.py/manage.py; pass --entrypoint"

/* Discovers the project in `context` (must be a directory). Errors name the file, line and key
 * at fault (invalid TOML, `name` not a string, …). On failure *p is left freed. */
int pcb_project_discover(const char *context, struct pcb_project *p, struct pcb_err *err);
void pcb_project_free(struct pcb_project *p);

/* The include/exclude decision for one context-relative path: false for built-in excludes
 * (.git, .venv, venv, __pycache__, dist, build, *.pyc, *.pyo, .pytest_cache, .mypy_cache, …) and
 * for paths matched by the ignore files (last matching pattern wins; "!pat" re-includes).
 * Signature matches pcb_layer_filter_fn with ud = struct pcb_project *. */
bool pcb_project_filter(void *project, const char *relpath, bool is_dir);

/* Ignore-file matching on its own (docker semantics: Go filepath.Match plus "**", leading "/"
 * stripped, "!" exceptions, last match wins, a pattern matching a directory excludes it all). */
int pcb_ignore_load(const char *context, struct pcb_ignore **out, struct pcb_err *err);
/* Compiles patterns from text (one per line, '#' comments). */
struct pcb_ignore *pcb_ignore_from_text(const char *text);
/* True when relpath is excluded. A directory that is excluded but inside which a "!" exception
 * could re-include something answers false, so that walkers still descend into it (as Docker
 * does); the files inside are then judged one by one. ig may be NULL (nothing excluded). */
bool pcb_ignore_match(const struct pcb_ignore *ig, const char *relpath, bool is_dir);
void pcb_ignore_destroy(struct pcb_ignore *ig);

#endif
