/* project.h — Python project discovery: from a context folder (pyproject.toml,
 * requirements.txt, the files) work out who the project is, what goes into the image and how
 * it starts. Also the ignore rules (.dockerignore / .pcbignore) and the default excludes.
 *
 * Thread-safety: reentrant; a struct pcb_project belongs to its caller. */
#ifndef PCB_PROJECT_H
#define PCB_PROJECT_H

#include <stdbool.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "python/config.h"

struct pcb_ignore;   /* compiled .dockerignore/.pcbignore patterns + built-in excludes */
struct pcb_toml_locs;

struct pcb_project {
	char *context;        /* absolute path of the context folder (owned) */
	char *name;           /* [project].name or the folder name; never NULL after discover */
	char *version;        /* NULL when absent, or dynamic and not readable statically */
	char *description;    /* NULL when absent */
	char *license;        /* SPDX-ish text or NULL */
	char *python_version; /* "3.12": a .python-version / runtime.txt pin requires-python
	                       * allows, else the newest minor requires-python allows, or NULL */
	unsigned python_minors;  /* the minors requires-python allows: bit i is 3.(8+i)
	                          * (PCB_PY_MINOR_LOW); 0 when it says nothing */
	bool python_pinned;      /* python_version is a pin from .python-version/runtime.txt */
	char *package;        /* import package found ("hello"), or NULL */
	bool package_in_src;  /* the package lives under src/ */
	/* Folders the build backend imports packages from, context-relative ("lib",
	 * "src/py"): setuptools package-dir / packages.find where, Poetry packages' from, Hatch
	 * wheel packages' parents, PDM package-dir. Empty: the usual src/ or top. */
	struct pcb_strv import_roots;
	char *layout;         /* "src" | "flat" | "app" | "namespace" | "module" | "none" */
	struct pcb_strv authors;       /* "Name <email>" / "Name" / "<email>", in file order */
	/* setup.cfg [options].install_requires lines, else setup.py's install_requires when it
	 * is a literal list (read, not run); setup_requires_from names which, or NULL. */
	struct pcb_strv setup_requires;
	const char *setup_requires_from;
	/* setup.py passes install_requires something computed at run time: its line, else 0. */
	int setup_py_dynamic_requires;
	struct pcb_strv dependency_extras;    /* "fastapi[standard]": declared name[extra] pairs */
	struct pcb_strv optional_dependencies;   /* names in [project.optional-dependencies]
	                                          * (any extra), normalised, sorted */
	struct pcb_strv dependencies;  /* declared requirement names, PEP 503-normalised, sorted,
	                                * unique: [project].dependencies, [tool.poetry.dependencies],
	                                * setup.cfg install_requires, requirements*.txt */
	struct pcb_strv include;   /* context-relative paths to pack, sorted: every top-level
	                            * entry not left out, or the config's include paths */
	struct pcb_strv excluded;      /* top-level entries left out, sorted */
	struct pcb_strv excluded_why;  /* parallel: the rule (pcb_project_explain) */
	struct pcb_strv cmd;       /* argv that starts the app (e.g. "python" "-c" "…"); empty
	                            * when discovery found no way to start it */
	char *cmd_source;     /* where cmd came from: "[project.scripts] hello = hello.cli:main" */
	char *cmd_script;     /* the console script cmd runs ("hello"), or NULL */
	/* The project's console scripts, "name = module:attr": [project.scripts], Poetry's,
	 * setup.cfg's, setup.py's (the first definition of a name wins); and its GUI scripts. */
	struct pcb_strv scripts, gui_scripts;
	/* The other ways to start the app that discovery considered, best first, each saying
	 * why it was not taken ("console script pdm = pdm.core:main: not the project's: no
	 * module pdm.core in it, and pdm is not a dependency"). For the plan. */
	struct pcb_strv passed_over;
	/* Why the project is not the context folder itself (a uv workspace member), or NULL. */
	char *context_note;
	/* Why finding the command failed (framework detection, [project.scripts]), when it did:
	 * a PCB_E* code and its message, and cmd empty. Discovery still succeeds, so that an
	 * explicit command (CLI flags, config file) is never blocked by detection; the build
	 * reports this only when nothing explicit says what to run. 0 / NULL otherwise. */
	int cmd_error_code;
	char *cmd_error;
	/* Where each metadata value came from ("pyproject.toml [project].version",
	 * "src/pkg/__about__.py:3 __version__ (via [tool.hatch.version].path)", "setup.cfg
	 * [metadata].name", "folder name"); NULL when the value is NULL. */
	char *name_source, *version_source, *description_source, *license_source;
	char *authors_source, *python_version_source, *package_source, *dependencies_source;
	/* The web framework (framework.h), when one was found: name NULL otherwise. */
	char *framework;           /* "fastapi" | "starlette" | "flask" | "django" */
	int port;                  /* port the app serves on, 0 when unknown */
	struct pcb_strv framework_env;   /* "K=V" the server needs (PORT=8000, …) */
	struct pcb_strv framework_cmd;   /* the server command, even when cmd is another one */
	struct pcb_strv framework_alternatives;   /* other apps found (framework.h) */
	char *framework_source;    /* "src/pkg/main.py:7 app = FastAPI()" */
	struct pcb_project_config config;   /* pycontainer.toml + [tool.pycontainer] */
	struct pcb_ignore *ignore;  /* owned */
	struct pcb_ignore *extra_ignore;  /* the config's exclude patterns, or NULL (owned) */
	json_object *pyproject;     /* parsed pyproject.toml or NULL (owned) */
	struct pcb_toml_locs *pylocs;   /* its source positions or NULL (owned) */
};

/* What to tell a user whose project has no discoverable command (format: context path). */
#define PCB_PROJECT_NO_CMD_HINT "cannot tell how to start %s: no [project.scripts] entry, " \
	"no web framework, no package with __main__.py and no main.py/app.py/manage.py; " \
	"pass --entrypoint"

/* Discovers the project in `context` (must be a directory). Errors name the file, line and key
 * at fault (invalid TOML, `name` not a string, …). On failure *p is left freed.
 *
 * Metadata precedence: PEP 621 [project] > [tool.poetry] > setup.cfg; a dynamic version is read
 * statically from [tool.hatch.version].path, [tool.pdm.version] (source = "file"),
 * [tool.setuptools.dynamic].version (attr / file) or setup.cfg when it can be. Only files inside
 * the context are read (a monorepo sub-project stands alone).
 *
 * The command: the scripts entry named after the project; else the web framework's server
 * command; else the first scripts entry; else `python -m <package>` for a package with
 * __main__.py; else main.py / app.py / manage.py. The config (p->config) is loaded too but not
 * applied: the build plan merges spec > config > discovery. */
int pcb_project_discover(const char *context, struct pcb_project *p, struct pcb_err *err);
void pcb_project_free(struct pcb_project *p);

/* The include/exclude decision for one context-relative path: false for built-in excludes
 * (.git, .venv, venv, __pycache__, dist, build, *.pyc, *.pyo, .pytest_cache, .mypy_cache, …),
 * for paths matched by the ignore files (last matching pattern wins; "!pat" re-includes) and for
 * paths matched by the config's exclude patterns (judged on their own, after the ignore file).
 * Signature matches pcb_layer_filter_fn with ud = struct pcb_project *. */
bool pcb_project_filter(void *project, const char *relpath, bool is_dir);
/* The same question, and when relpath is left out, the rule that did it into why (truncated
 * to why_len): "built-in: version control", ".dockerignore line 3: docs",
 * "pycontainer.toml [build].exclude: *.log". */
bool pcb_project_explain(const struct pcb_project *p, const char *relpath, bool is_dir,
    char *why, size_t why_len);

/* Ignore-file matching on its own (docker semantics: Go filepath.Match plus "**", leading "/"
 * stripped, "!" exceptions, last match wins, a pattern matching a directory excludes it all). */
int pcb_ignore_load(const char *context, struct pcb_ignore **out, struct pcb_err *err);
/* Compiles patterns from text (one per line, '#' comments). */
struct pcb_ignore *pcb_ignore_from_text(const char *text);
/* True when relpath is excluded. A directory that is excluded but inside which a "!" exception
 * could re-include something answers false, so that walkers still descend into it (as Docker
 * does); the files inside are then judged one by one. ig may be NULL (nothing excluded). */
bool pcb_ignore_match(const struct pcb_ignore *ig, const char *relpath, bool is_dir);
/* The same, and when relpath is excluded, which rule did it into why: ".dockerignore line 3:
 * docs" (truncated to why_len). */
bool pcb_ignore_explain(const struct pcb_ignore *ig, const char *relpath, bool is_dir, char *why,
    size_t why_len);
/* Names where the patterns came from, for pcb_ignore_explain ("pycontainer.toml [build].exclude"). */
void pcb_ignore_set_source(struct pcb_ignore *ig, const char *source);
void pcb_ignore_destroy(struct pcb_ignore *ig);

#endif
