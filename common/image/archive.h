/* archive.h — an image of the store as one tar: an "oci-archive" (an OCI image layout in a
 * tar, what `skopeo inspect oci-archive:FILE` and `podman load` read) or a "docker-archive"
 * (the same layout plus manifest.json and repositories, the shape `docker save` writes since
 * Docker 25: `docker load`, `podman load` and `skopeo … docker-archive:FILE` read it, old
 * docker versions through manifest.json, new ones and containerd through index.json).
 *
 * The bytes depend only on the image and its tags (entries in a fixed order, mtime 0, uid/gid
 * 0, mode 0644/0755), so the same image gives the same archive. Blobs are read from the store
 * with the caller's process rights (the daemon's), each checked against its digest while it
 * is copied: a damaged blob fails the archive instead of reaching it.
 *
 * Two ways out: pcb_archive_stream hands the tar to a callback (an HTTP response, a pipe),
 * pcb_archive_write_file writes it to a file of the user named in `as`, as every output for a
 * user is written (oci.h pcb_oci_layout_write): created with their rights, no symlink
 * followed on the way, under a temporary name renamed into place at the end.
 *
 * Thread-safety: reentrant; any thread (the file writer switches only the calling thread's
 * rights, base/cred.h). */
#ifndef PCB_ARCHIVE_H
#define PCB_ARCHIVE_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/cred.h"
#include "base/err.h"
#include "base/util.h"
#include "image/oci.h"
#include "image/store.h"

enum pcb_archive_format {
	PCB_ARCHIVE_OCI = 0,      /* oci-layout, index.json, blobs/sha256/… */
	PCB_ARCHIVE_DOCKER,       /* the same plus manifest.json and repositories */
};

/* The image to put in an archive. Every pointer is borrowed for the call. */
struct pcb_archive_image {
	/* An image manifest in the store (OCI or Docker v2 schema 2): its config and layers are
	 * read from it, and every blob it names must be in the store. Or an OCI image index (a
	 * multi-platform image): index.json names the index, the archive holds every manifest
	 * it names with their blobs, and manifest.json describes the one for `platform` (else
	 * the first), the one image a docker-archive loader takes. */
	const char *manifest_digest;
	/* "repo:tag" references the image goes by (may be NULL or empty): index.json gets one
	 * entry per distinct one, named by it whole (org.opencontainers.image.ref.name
	 * "hello:1.0", which `podman load` names the image by and `skopeo inspect
	 * oci-archive:FILE:hello:1.0` selects; an OCI layout folder records the tag part alone,
	 * as skopeo's oci: transport expects), manifest.json's RepoTags all of them. No tags:
	 * one unnamed entry. */
	const struct pcb_strv *tags;
	const struct pcb_platform *platform;   /* for index.json's descriptors (an image
	                                        * manifest), or the platform manifest.json
	                                        * describes (an index); may be NULL */
};

/* Receives the tar in order, in pieces of up to 1 MiB. Returns 0 or a negative PCB_E* (with
 * err set), which stops the archive. */
typedef int (*pcb_archive_sink_fn)(void *ud, const void *p, size_t n, struct pcb_err *err);

/* Writes the whole archive to sink. cancel (may be NULL) non-zero stops it with
 * PCB_ECANCELED between pieces. PCB_ENOENT names a blob the store lacks. */
int pcb_archive_stream(struct pcb_store *store, enum pcb_archive_format format,
    const struct pcb_archive_image *img, pcb_archive_sink_fn sink, void *ud,
    atomic_int *cancel, struct pcb_err *err);

/* Writes the archive to the file path (absolute) for `as` (NULL or unset: the daemon's own
 * rights). The file is created with their rights beside path under a temporary name and
 * renamed onto path when complete, so it is theirs and appears whole or not at all. Refused
 * (PCB_EINVAL, saying why): a symbolic link anywhere on the path (openat2
 * RESOLVE_NO_SYMLINKS, and the name itself), path naming a folder or anything but a regular
 * file. An existing regular file is replaced. What they may not write fails with the OS's
 * reason. */
int pcb_archive_write_file(struct pcb_store *store, enum pcb_archive_format format,
    const struct pcb_archive_image *img, const char *path, const struct pcb_cred *as,
    atomic_int *cancel, struct pcb_err *err);

#endif
