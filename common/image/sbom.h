/* sbom.h — what went into an image, written down and attached to it: an SPDX 2.3 and a
 * CycloneDX 1.5 SBOM (JSON) listing the base image, the project and every installed
 * distribution with its wheel's sha256, and on request an in-toto Statement v1 with a SLSA v1
 * provenance predicate. Each document goes into the store as an OCI 1.1 referrer of the image:
 * an artifact manifest (artifactType, the empty config, the document as its one layer) whose
 * subject is the image manifest.
 *
 * The store's index of referrers: per subject, an OCI image index listing its referrer
 * manifests (the very shape the referrers API answers with and the tag fallback pushes),
 * named by the reserved store key PCB_STORE_REF_PREFIX + subject digest. The store keeps the
 * index, and what it reaches, for as long as the subject is reachable (store.c
 * "reachability"); listings never show these keys.
 *
 * Determinism: the documents are functions of their input only (no clock, no random): the
 * timestamps are the build's created time (SOURCE_DATE_EPOCH), lists are sorted, the SPDX
 * namespace and the CycloneDX serial number are name-based UUIDs of the image manifest
 * digest. Same image and facts → same bytes → same referrer digests.
 *
 * Thread-safety: everything is reentrant; the index updates of one process are serialised
 * inside (a mutex around read-modify-write of the key). Any thread. */
#ifndef PCB_SBOM_H
#define PCB_SBOM_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/cred.h"
#include "base/err.h"
#include "base/util.h"
#include "image/oci.h"
#include "image/store.h"

#define PCB_MT_OCI_EMPTY     "application/vnd.oci.empty.v1+json"
#define PCB_OCI_EMPTY_DIGEST \
	"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define PCB_AT_SPDX          "application/spdx+json"
#define PCB_AT_CYCLONEDX     "application/vnd.cyclonedx+json"
#define PCB_AT_INTOTO        "application/vnd.in-toto+json"
#define PCB_SLSA_PROVENANCE  "https://slsa.dev/provenance/v1"
#define PCB_INTOTO_STATEMENT "https://in-toto.io/Statement/v1"
/* Ours: what a pycontainerd build is (SLSA buildType) and who ran it (builder id). */
#define PCB_SBOM_HOME        "https://github.com/pycontainerd/pycontainerd"
#define PCB_SLSA_BUILD_TYPE  PCB_SBOM_HOME "/buildtypes/python-image/v1"

/* What one build put into its image. Everything borrowed. */
struct pcb_sbom_input {
	const char *image_name;          /* repository of the first tag ("127.0.0.1:5000/team/app") */
	const struct pcb_strv *tags;     /* full references; may be NULL */
	const char *manifest_digest;     /* the image manifest (the subject) */
	uint64_t manifest_size;
	const char *config_digest;
	const struct pcb_platform *platform;
	const char *created;             /* RFC 3339, the build's created time */
	const char *project_name;
	const char *project_version;     /* NULL when unknown */
	const char *project_license;     /* [project].license text or NULL */
	const char *base_ref;            /* NULL: scratch */
	const char *base_digest;         /* the base's manifest digest */
	/* The dependency step's info (deps.h pcb_deps_result.info): "source", "file",
	 * "index_urls", "packages": [{name, version, wheel, sha256, url, license_expression,
	 * license, classifiers}]. NULL: none. */
	json_object *deps;
	const char *context;             /* the project folder; paths under it are written
	                                  * relative to it */
	/* Provenance only. */
	json_object *spec;               /* the build spec as JSON, without credentials */
	const char *vcs_uri;             /* "git+https://…" or NULL */
	const char *vcs_revision;        /* the commit (hex) or NULL */
};

/* Package URLs. pypi: "pkg:pypi/<name>@<version>", the name PEP 503-normalised (lower case,
 * runs of "-_." as "-"), the version percent-encoded where purl asks ("+" → "%2B", "!" →
 * "%21"). oci: "pkg:oci/<last path component>@sha256:<hex>" with the qualifiers, sorted,
 * arch (when given) and repository_url (the repository with its registry host, when the
 * reference names one) and tag (when it has one): ref is "host[:port]/path/name[:tag]" or a
 * store name ("testpy:3.11"); a "@digest" part of ref is ignored. Caller frees. */
char *pcb_sbom_purl_pypi(const char *name, const char *version);
char *pcb_sbom_purl_oci(const char *ref, const char *digest, const char *arch);

/* A distribution's licence as an SPDX licence expression, or NULL when its metadata does not
 * say one for sure: License-Expression (PEP 639) when it is well formed; else a License text
 * that is a known SPDX id (or a common spelling of one: "MIT License", "Apache 2.0"); else a
 * single licence classifier with an exact SPDX equivalent. Caller frees. */
char *pcb_sbom_license_expression(const char *expression, const char *license,
    json_object *classifiers);

/* The documents (caller puts). Members in a fixed order, lists sorted. */
json_object *pcb_sbom_spdx(const struct pcb_sbom_input *in);
json_object *pcb_sbom_cyclonedx(const struct pcb_sbom_input *in);
/* The in-toto Statement: subject the image manifest, predicate SLSA v1 provenance with
 * buildType PCB_SLSA_BUILD_TYPE, externalParameters the spec, resolvedDependencies the base
 * (its purl and manifest digest), each wheel (purl, file name, sha256) and the source
 * (vcs_uri, gitCommit) when known; builder id PCB_SBOM_HOME with the version. */
json_object *pcb_sbom_provenance(const struct pcb_sbom_input *in);

/* The git checkout holding dir (dir or a parent of it; .git a folder or a "gitdir:" file),
 * read with as's rights without running git: *rev_out the commit HEAD names (detached, or
 * through its ref file or packed-refs), *uri_out "git+<origin's url>" or NULL when there is
 * no origin. PCB_ENOENT when dir is in no checkout or HEAD names no commit yet. Caller
 * frees both. */
int pcb_sbom_vcs_read(const char *dir, const struct pcb_cred *as, char **uri_out,
    char **rev_out, struct pcb_err *err);

/* Attaches data as a referrer of the subject: stores the document (media type
 * artifact_type), the empty config and the artifact manifest, and puts the manifest in the
 * subject's index, replacing any earlier referrer with the same artifact type (one SBOM of
 * each kind per image: a rebuild that knows more replaces the old one). digest_out (may be
 * NULL) gets the artifact manifest's digest, *size_out (may be NULL) its size. */
int pcb_sbom_attach_one(struct pcb_store *s, const char *subject_digest,
    uint64_t subject_size, const char *artifact_type, const char *title, const char *data,
    size_t len, const char *created, char digest_out[PCB_DIGEST_BUFSZ], uint64_t *size_out,
    struct pcb_err *err);
/* Everything at once, for a build: the SPDX and CycloneDX SBOMs (when sbom) and the
 * provenance (when provenance), attached. *referrers_out (caller puts; may be NULL) gets
 * [{artifactType, digest, size}], one per document. Each blob written is pinned in the
 * store and pushed onto pins (the caller unpins when its job ends). */
int pcb_sbom_attach(struct pcb_store *s, const struct pcb_sbom_input *in, bool sbom,
    bool provenance, struct pcb_strv *pins, json_object **referrers_out,
    struct pcb_err *err);

/* The subject's referrer index (an OCI image index; caller puts) from the store, or
 * PCB_ENOENT when it has none. When artifact_type is not NULL only those entries are kept. */
int pcb_sbom_referrers(struct pcb_store *s, const char *subject_digest,
    const char *artifact_type, json_object **index_out, struct pcb_err *err);
/* The blobs one referrer manifest needs (its config and layers), appended to out. */
int pcb_sbom_referrer_blobs(struct pcb_store *s, const char *manifest_digest,
    struct pcb_strv *out, struct pcb_err *err);
/* The document of the subject's referrer of that artifact type: *data_out (caller frees;
 * NUL-terminated) and *len_out. PCB_ENOENT when there is none. */
int pcb_sbom_document(struct pcb_store *s, const char *subject_digest,
    const char *artifact_type, char **data_out, size_t *len_out, struct pcb_err *err);

#endif
