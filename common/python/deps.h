/* deps.h — the dependency layers of an image: which distributions the app needs (a lock
 * file, requirements resolved by `pip download` for the target, or an existing venv), the
 * wheels fetched and verified into the store, the platform guard, and the layers of the
 * image's virtual environment (/opt/venv), each cached by what went into it.
 *
 * Thread-safety: pcb_deps_build runs on one worker thread; it shares the store. */
#ifndef PCB_DEPS_H
#define PCB_DEPS_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/cred.h"
#include "base/util.h"
#include "image/layer.h"
#include "image/store.h"
#include "python/project.h"
#include "python/wheel.h"

struct pcb_build_ctx;   /* image/events.h */
struct pcb_rcache;      /* image/rcache.h */

/* spec.dependencies (api/openapi.yaml DependencySpec). Paths may be relative to the context. */
struct pcb_deps_spec {
	char *source;                  /* "auto" (NULL) | "lock" | "requirements" | "project" |
	                                * "venv" | "none" */
	char *lock_file;
	struct pcb_strv requirements;
	char *venv;                    /* --deps-from-venv */
	char *index_url;
	struct pcb_strv extra_index_urls;
	struct pcb_strv find_links;
	struct pcb_strv extras;
	struct pcb_strv groups;
	bool refresh;                  /* resolve requirements again (no remembered answer) */
	bool no_compile;               /* "compile": false — no bytecode in dependency layers */
	/* Whose rights the lock, requirement and venv files are read with and pip runs with
	 * (borrowed; NULL = the daemon's own). Set by the build, never from JSON. */
	const struct pcb_cred *as;
};
void pcb_deps_spec_init(struct pcb_deps_spec *s);
void pcb_deps_spec_free(struct pcb_deps_spec *s);
/* Strict parse of the "dependencies" object; errors name the field ("dependencies.source: …"). */
int pcb_deps_spec_from_json(json_object *j, struct pcb_deps_spec *s, struct pcb_err *err);
/* NULL when the spec is all defaults. Caller puts. */
json_object *pcb_deps_spec_to_json(const struct pcb_deps_spec *s);

/* How long a pip resolution with unpinned distributions is reused (ms; 0 = never). One
 * with every distribution pinned with == is reused while its inputs stay the same. Process
 * wide (pycontainerd --resolve-max-age); default one hour. */
void pcb_deps_set_resolve_max_age(int64_t ms);

/* Where the dependencies go and for what. */
struct pcb_deps_target {
	struct pcb_pytarget py;
	const char *python;      /* the base image's interpreter, image path: "/usr/local/bin/python3.11" */
	const char *venv;        /* "/opt/venv" */
	int64_t mtime;           /* SOURCE_DATE_EPOCH of the build */
	enum pcb_compression compression;
	int gzip_level;          /* 0 = layer.h's default */
	int zstd_level;
	const char *pip_python;  /* host interpreter that runs `-m pip download`; NULL = "python3" */
	bool compile;            /* put .pyc files in dependency layers (deps.c "bytecode") */
	const char *app_path;    /* the app's import roots in the image, ':'-separated
	                          * ("/app/src:/app"), for the project's .pth; NULL: none */
	/* Pack every layer again instead of taking it from the layer cache (--no-cache); what
	 * is packed is still cached, and fetched wheels stay in the store. */
	bool no_cache;
	/* The job's registry cache (image/rcache.h), or NULL: layers and pip resolutions are
	 * looked up there when the store has none, and every one used is noted in it. */
	struct pcb_rcache *rcache;
};

struct pcb_deps_layer {
	char *name;                    /* "venv", "deps:<dist>", "deps:group-<k>" */
	struct pcb_layer_result res;
	struct pcb_strv contents;      /* "flask 3.1.3" */
	bool reused;                   /* taken from the layer cache, nothing packed */
	bool remote;                   /* taken from the registry cache: the store lacks the blob
	                                * (fetched from the recorded location when needed) */
};

struct pcb_deps_result {
	struct pcb_deps_layer *v;      /* in image order; n == 0 when the app has no dependencies */
	size_t n;
	json_object *info;             /* {"source", "file", "packages": [{name, version, wheel,
	                                * sha256, layer}]} (owned) */
};
void pcb_deps_result_free(struct pcb_deps_result *r);

/* What pcb_deps_build would use, without fetching or resolving anything (for the plan):
 * {"source": "lock"|"requirements"|"project"|"venv"|"none", "file": path or null,
 * "requirements": [lines] for source "project"}. Caller puts *out. */
int pcb_deps_describe(const struct pcb_deps_spec *ds, const struct pcb_project *proj,
    json_object **out, struct pcb_err *err);

/* Finds the dependency source (spec > auto: pylock.toml, uv.lock, requirements.txt,
 * [project].dependencies), gets the wheels, checks every one fits the target (else
 * PCB_EINVAL listing every offending distribution and what to do), and packs or reuses the
 * layers: one for the venv itself (pyvenv.cfg, python links), one per wheel over the size
 * threshold, the small ones in a few groups by a stable hash of their names. */
int pcb_deps_build(const struct pcb_deps_spec *ds, const struct pcb_project *proj,
    const struct pcb_deps_target *t, const struct pcb_build_ctx *ctx,
    struct pcb_deps_result *out, struct pcb_err *err);

#endif
