/* rebase.h — a new base under an image without rebuilding it. When only the base moved (a
 * security update of python:3.12-slim), the layers of ours — venv, dependencies, project,
 * app — are still right: the new image is the new base's layers followed by ours, unchanged
 * (same digests, nothing repacked or read), and a config re-derived as a build on the new
 * base would have written it.
 *
 * Which layers are ours: the image's config names its base (the labels
 * org.opencontainers.image.base.name / .base.digest every build sets); the base's manifest
 * says how many layers it has, and the image's first that many must be exactly those (digest
 * and diff_id). The rest are ours, and so are the history entries after the base's.
 *
 * The config: the image's own settings are what differs from its old base's config (Env
 * entries, Labels, ExposedPorts, Volumes, Entrypoint/Cmd, User, …, compared key by key); those
 * are laid over the new base's config the way build.c's make_config lays a build's over its
 * base (PATH: our components — the venv's bin — in front of the new base's PATH; an
 * Entrypoint of ours keeps our Cmd or none). So a rebase gives, byte for byte, the config a
 * fresh build on the new base gives (test-rebase checks it). rootfs.diff_ids and history are
 * the new base's then ours; os/architecture must agree.
 *
 * The venv points at the base's /usr/local/bin/pythonX.Y: a new base with another Python
 * minor (its PYTHON_VERSION) would break every compiled module, so it is refused, naming both.
 *
 * Nothing here talks to a registry: the caller (build.c, pcb_rebase_run) resolves the bases
 * into the store first.
 *
 * Thread-safety: reentrant; call from the job's worker thread. */
#ifndef PCB_REBASE_H
#define PCB_REBASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "image/store.h"

#define PCB_LABEL_BASE_NAME "org.opencontainers.image.base.name"
#define PCB_LABEL_BASE_DIGEST "org.opencontainers.image.base.digest"

/* An image manifest and its config as the store holds them (all owned). */
struct pcb_rebase_doc {
	char digest[PCB_DIGEST_BUFSZ];     /* the manifest's */
	uint64_t size;                     /* the manifest's, in bytes */
	json_object *manifest;
	json_object *config;
};

/* Reads the image manifest `digest` and its config from the store (what: "image", "base
 * image", for messages). An index is PCB_EUNSUPPORTED (rebase one platform's image, by its
 * digest); a manifest without config or layers, or whose config's diff_ids do not pair with
 * its layers, PCB_EINVAL. Not in the store: PCB_ENOENT. */
int pcb_rebase_doc_load(struct pcb_store *st, const char *digest, const char *what,
    struct pcb_rebase_doc *out, struct pcb_err *err);
void pcb_rebase_doc_free(struct pcb_rebase_doc *d);

/* The base an image records (its labels; borrowed from img, NULL when missing). */
const char *pcb_rebase_base_name(const struct pcb_rebase_doc *img);
const char *pcb_rebase_base_digest(const struct pcb_rebase_doc *img);

/* The Python X.Y a config states (PYTHON_VERSION in its Env, as official python images and
 * `pcb base create` set it) into out ("" when none); full (may be NULL) gets the whole value.
 * Both need 32 bytes. */
void pcb_rebase_python(json_object *config, char out[32], char full[32]);

/* What a rebase made (pcb_rebase_apply). */
struct pcb_rebase_result {
	char manifest_digest[PCB_DIGEST_BUFSZ];
	uint64_t manifest_size;
	char config_digest[PCB_DIGEST_BUFSZ];
	uint64_t config_size;
	size_t n_old_base, n_new_base, n_ours;   /* layers */
	char old_python[32], new_python[32];     /* X.Y, "" when the config says none */
	json_object *layers;   /* the new manifest's layers, each with "diff_id" and "name"
	                        * ("base", or ours from the history: "venv", "deps:…", "app");
	                        * owned: pcb_rebase_result_free */
};
void pcb_rebase_result_free(struct pcb_rebase_result *r);

/* Derives img on new_base (named new_name, as the base.name label records it) from its old
 * base old_base, stores the new config and manifest (not tagged, not pinned: the caller
 * tags), and fills *out. All borrowed. Refusals, each naming what it compared:
 * PCB_EINVAL the image's first layers are not its old base's; PCB_ECONFLICT the bases'
 * Python minors differ (both named), or the old one states a Python and the new one none, or
 * the platforms differ; PCB_EUNSUPPORTED a new-base layer of a media type images cannot
 * carry (foreign layers). Store errors as pcb_store_put. */
int pcb_rebase_apply(struct pcb_store *st, const struct pcb_rebase_doc *img,
    const struct pcb_rebase_doc *old_base, const struct pcb_rebase_doc *new_base,
    const char *new_name, struct pcb_rebase_result *out, struct pcb_err *err);

#endif
