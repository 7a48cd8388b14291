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
};

/* Detects the framework. Returns 0 with fw->name == NULL when the project is not a web app.
 * Errors (PCB_EINVAL) only for contradictions a user must resolve, e.g. a FastAPI dependency and
 * import but no app object anywhere: the message says what was looked for and where. */
int pcb_framework_detect(const struct pcb_framework_input *in, struct pcb_framework *fw,
    struct pcb_err *err);
void pcb_framework_free(struct pcb_framework *fw);

#endif
