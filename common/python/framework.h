/* framework.h — web framework detection for Python projects: FastAPI/Starlette, Flask and
 * Django, found by real imports in the project's modules and by declared dependencies (PEP 508
 * names, normalised), never by substring. The result is the command that serves the app, the
 * port it listens on and the environment it needs.
 *
 * Thread-safety: reentrant; the result belongs to the caller. */
#ifndef PCB_FRAMEWORK_H
#define PCB_FRAMEWORK_H

#include <stdbool.h>

#include "base/err.h"
#include "base/util.h"

struct pcb_framework_input {
	const char *context;              /* absolute project folder (borrowed) */
	const char *package;              /* import package or NULL (borrowed) */
	bool package_in_src;              /* package lives under src/ */
	const struct pcb_strv *include;   /* top-level context-relative paths packed (borrowed) */
	const struct pcb_strv *dependencies;  /* declared requirement names, normalised per PEP 503
	                                       * ("fastapi", "uvicorn", "gunicorn", "django"…) */
	const struct pcb_strv *extras;   /* "fastapi[standard]": declared name[extra], or NULL */
	/* Context-relative folders modules are imported from ("src", "src/py"), longest first
	 * wins; NULL or empty: src/ for a src-layout package, else the context. Each is scanned
	 * whole, so a flat src/ of modules is seen too. */
	const struct pcb_strv *roots;
	/* The project's console scripts, "name = pkg.mod:func" (borrowed, may be NULL): each is
	 * checked for whether it starts a production server itself (pcb_framework.serving). */
	const struct pcb_strv *scripts;
	const char *project_name;         /* for ranking run scripts named after it, or NULL */
};

struct pcb_framework {
	char *name;            /* "fastapi" | "starlette" | "flask" | "django"; NULL when none */
	char *app_module;      /* "pkg.main" (FastAPI/Flask) or the Django project module */
	char *app_object;      /* "app" / "create_app()" / NULL */
	char *settings_module; /* Django: "mysite.settings" */
	struct pcb_strv cmd;   /* argv serving the app ("uvicorn" "pkg.main:app" "--host" …) */
	int port;              /* exposed port (8000 uvicorn/gunicorn/django, 5000 flask run) */
	struct pcb_strv env;   /* "K=V" the command needs: "PORT=8000", DJANGO_SETTINGS_MODULE … */
	char *source;          /* why: "src/pkg/main.py:12 app = FastAPI()" */
	/* The other apps and factories found, best first: "pkg.other:app (src/pkg/other.py:3)",
	 * "pkg.factory:create_app() (…)". */
	struct pcb_strv alternatives;
	bool server_declared;  /* cmd's server is a declared dependency, not one the framework
	                        * brings (fastapi run, flask run) or a default the project lacks */
	/* The project's own run script, found with or without a framework: a module at the top
	 * of the context or of an import root whose `if __name__ == "__main__":` block starts a
	 * server (uvicorn.run(app…), app.run(…), web.run_app(…), a tornado IOLoop) directly or
	 * through a function of the project it calls. script_cmd is "python" "<rel>", empty when
	 * there is none; script_dev when it asks for debug=True / reload=True. */
	struct pcb_strv script_cmd;
	char *script_source;   /* "src/app.py:49: if __name__ == \"__main__\": … uvicorn.run(" */
	int script_port;       /* its port= literal, else the server's default, 0 unknown */
	bool script_dev;
	struct pcb_strv script_alternatives;   /* other run scripts, "server_uvloop.py:40" */
	/* The console scripts (of in->scripts) whose function starts a production server
	 * itself or through a function of the project (harvestview → uvicorn.run): their names,
	 * with serving_why in parallel ("theHarvester/harvestview.py:36: uvicorn.run("). */
	struct pcb_strv serving, serving_why;
};

/* Detects the framework. Returns 0 with fw->name == NULL when the project is not a web app
 * (script_cmd and serving may still be set).
 * Errors (PCB_EINVAL) only for contradictions a user must resolve, e.g. a FastAPI dependency and
 * import but no app object anywhere: the message says what was looked for and where. */
int pcb_framework_detect(const struct pcb_framework_input *in, struct pcb_framework *fw,
    struct pcb_err *err);
void pcb_framework_free(struct pcb_framework *fw);

#endif
