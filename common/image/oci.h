/* oci.h — OCI image-spec pieces: media types, platforms, descriptors, image references, and
 * the OCI image layout writer (oci-layout, index.json, blobs/ exported from the store).
 *
 * Thread-safety: reentrant; nothing shared. */
#ifndef PCB_OCI_H
#define PCB_OCI_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "image/store.h"

#define PCB_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define PCB_MT_OCI_INDEX    "application/vnd.oci.image.index.v1+json"
#define PCB_MT_OCI_CONFIG   "application/vnd.oci.image.config.v1+json"
#define PCB_ANN_REF_NAME    "org.opencontainers.image.ref.name"

struct pcb_platform {
	char os[32];
	char arch[32];
	char variant[32];   /* "" when none */
};

/* Parses "os/arch[/variant]" (lowercase letters, digits, '_' and '-' only). Normalises
 * "linux/arm64/v8" to "linux/arm64" and "x86_64"/"aarch64" to "amd64"/"arm64". Only the
 * platforms images are made for are taken (linux on amd64, arm64, arm/v5..v8, 386, ppc64le,
 * s390x, riscv64, mips64le, loong64): another is PCB_EINVAL with a message listing them. */
int pcb_platform_parse(const char *s, struct pcb_platform *p, struct pcb_err *err);
/* The platform this process runs on, in OCI naming. */
void pcb_platform_host(struct pcb_platform *p);
/* The variant an unset one stands for (image-spec platform notes): arm64 is v8, arm is v7;
 * else the variant given, or "". Borrowed/static string. */
const char *pcb_platform_variant(const char *arch, const char *variant);
/* "os/arch[/variant]". out needs 100 bytes. */
void pcb_platform_format(const struct pcb_platform *p, char out[100]);

/* {"mediaType": mt, "digest": digest, "size": size}. Caller puts. */
json_object *pcb_oci_descriptor(const char *media_type, const char *digest, uint64_t size);
/* An image manifest (schemaVersion 2, the OCI media type) with the config's descriptor and
 * layers, an array of layer descriptors (taken). Caller puts. */
json_object *pcb_oci_manifest_new(const char *config_digest, uint64_t config_size,
    json_object *layers);
/* Stores j as every blob and API body is written (pcb_json_str): digest_out (a
 * PCB_DIGEST_BUFSZ buffer) and *size_out get the blob's. Errors as pcb_store_put. */
int pcb_oci_put_json(struct pcb_store *store, json_object *j, const char *media_type,
    char *digest_out, size_t *size_out, struct pcb_err *err);

/* Image references: "name[:tag]" with a lowercase repository path (components of [a-z0-9] and
 * separators . _ __ -, joined by '/', optional registry host[:port] first) and a tag of
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Fills *repo_out (caller frees) and *tag_out ("latest"
 * when none; caller frees). Digest references are not accepted here yet. */
int pcb_ref_parse(const char *ref, char **repo_out, char **tag_out, struct pcb_err *err);
/* The reference grammar's pieces, shared with the registry client's parser: one repository
 * path component ([a-z0-9]+ joined by '.', '_', '__' or runs of '-') and a registry
 * host[:port] (letters, digits, '-', '.', or a bracketed IPv6 literal; port 1..65535). */
bool pcb_ref_path_component_ok(const char *s, size_t n);
bool pcb_ref_host_ok(const char *s, size_t n);

/* Writes or updates an OCI image layout in dir: oci-layout, the blobs (exported from the store:
 * hard links where possible), and index.json with one manifest descriptor per ref name (the
 * tag, as `skopeo inspect oci:DIR:TAG` expects). Existing entries with other ref names are kept;
 * entries with the same ref name are replaced. index.json is replaced atomically, after every
 * blob is in place, so a reader never sees a manifest whose blobs are missing.
 * blobs: digests of every blob the manifest needs (config, layers) — the manifest itself is
 * exported too. platform NULL: manifest_digest is an image index (index.json names it with the
 * index media type and no platform), and blobs hold its manifests and theirs. */
/* An image config's "config" object in the canonical form Go tools write (the image spec's
 * ImageConfig member order, others after; Labels, ExposedPorts and Volumes with sorted keys),
 * so that a tool re-marshalling it (skopeo converting a docker-archive) keeps its bytes.
 * Takes cfg, returns the new object. */
json_object *pcb_oci_config_canonical(json_object *cfg);

/* as: whose rights the layout is written with (NULL: the daemon's own); theirs are the
 * files. The folder must be new, empty or an OCI layout, reached without symlinks; a new one
 * is written under a temporary name and renamed into place. */
int pcb_oci_layout_write(struct pcb_store *store, const char *dir, const char *manifest_digest,
    uint64_t manifest_size, const struct pcb_strv *blobs, const struct pcb_strv *ref_names,
    const struct pcb_platform *platform, const struct pcb_cred *as, struct pcb_err *err);

#endif
