/* config.h — the user's build configuration written next to the code: pycontainer.toml in the
 * context ([build], [build.env], [build.labels], [registry]) and [tool.pycontainer] in
 * pyproject.toml (the same keys as [build], plus [tool.pycontainer.env] and
 * [tool.pycontainer.labels]). pycontainer.toml wins over [tool.pycontainer]; both lose to the
 * CLI flags (the build spec, merged in build.c) and win over discovered defaults.
 *
 * Every value keeps where it came from ("pycontainer.toml [build].workdir") so that the plan can
 * show it. Unknown keys and wrong types are errors naming the file, the line and the key:
 * "pycontainer.toml: line 4: unknown key [build].wrkdir".
 *
 * Thread-safety: reentrant; a struct pcb_project_config belongs to its caller. */
#ifndef PCB_CONFIG_H
#define PCB_CONFIG_H

#include <stdbool.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"

struct pcb_toml_locs;

#define PCB_CONFIG_FILE "pycontainer.toml"

/* A string setting: value NULL when no file sets it. Both owned. */
struct pcb_config_str {
	char *value;
	char *source;
};

/* A list setting (tags, entrypoint, cmd, include, exclude): set false when no file sets it
 * (an explicit empty list is set). */
struct pcb_config_list {
	struct pcb_strv value;
	bool set;
	char *source;
};

/* KEY=VALUE settings (env, labels), merged key by key: kv[i] is "K=V", sources[i] where it
 * came from. */
struct pcb_config_kv {
	struct pcb_strv kv;
	struct pcb_strv sources;
};

struct pcb_project_config {
	struct pcb_config_list tags;        /* tag = "a:1" and/or tags = [...]; references checked */
	struct pcb_config_str workdir;      /* absolute, not "/", no "." or ".." */
	struct pcb_config_list entrypoint;
	struct pcb_config_list cmd;
	struct pcb_config_kv env;           /* keys are identifiers */
	struct pcb_config_kv labels;
	struct pcb_config_str platform;     /* "os/arch[/variant]", checked */
	struct pcb_config_list platforms;   /* several: one image index (each checked, once);
	                                     * platform and platforms replace each other */
	struct pcb_config_str base_image;
	struct pcb_config_str cache_to;     /* "REF[,mode=min|max]" (build.c checks it) */
	struct pcb_config_list cache_from;  /* references read before building */
	struct pcb_config_str python_version;   /* "3.<minor>", a known minor */
	int port;                           /* 1..65535; 0 = not set */
	char *port_source;
	struct pcb_config_str user;
	struct pcb_config_list include;     /* the only context-relative paths to pack, instead
	                                     * of the whole context (they must exist) */
	struct pcb_config_list exclude;     /* extra ignore patterns (.dockerignore syntax) */
	struct pcb_config_str registry_url;     /* [registry] url (pycontainer.toml only) */
	bool registry_insecure;
	char *registry_insecure_source;     /* NULL when not set */
	bool have_file;                     /* pycontainer.toml exists */
	bool have_tool;                     /* [tool.pycontainer] exists */
};

/* The Python minors an image can be built for (requires-python and python_version pick one). */
#define PCB_PY_MINOR_LOW 8
#define PCB_PY_MINOR_HIGH 14

void pcb_config_init(struct pcb_project_config *c);
void pcb_config_free(struct pcb_project_config *c);

/* Loads the configuration of the project in `context` (absolute, borrowed): [tool.pycontainer]
 * from `pyproject` (the parsed pyproject.toml or NULL; `pylocs` its source positions or NULL),
 * then <context>/pycontainer.toml (absent is fine), whose values replace the first ones.
 * Nothing outside the context is read. On failure c is left initialised and empty. */
int pcb_config_load(const char *context, json_object *pyproject,
    const struct pcb_toml_locs *pylocs, struct pcb_project_config *c, struct pcb_err *err);

#endif
