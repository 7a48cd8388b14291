/* archive.c — oci-archive and docker-archive tars of an image in the store, streamed to a
 * callback or written to a user's file (see archive.h for the formats and the rules). */
#include "image/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "base/jsonx.h"

#define ARCHIVE_CHUNK ((size_t)1 << 20)
#define ARCHIVE_DOC_MAX ((size_t)4 << 20)
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* ---- the tar writer: ustar headers, buffered into 1 MiB pieces for the sink ---------- */

struct tarw {
	pcb_archive_sink_fn sink;
	void *ud;
	atomic_int *cancel;
	unsigned char *buf;
	size_t len;
};

static int
tw_flush(struct tarw *t, struct pcb_err *err)
{
	int rc;

	if (t->len == 0)
		return 0;
	if (t->cancel != NULL && atomic_load(t->cancel) != 0)
		return pcb_err_set(err, PCB_ECANCELED, "cancelled");
	rc = t->sink(t->ud, t->buf, t->len, err);
	t->len = 0;
	return rc;
}

static int
tw_write(struct tarw *t, const void *p, size_t n, struct pcb_err *err)
{
	const unsigned char *c = p;
	int rc;

	while (n > 0) {
		size_t k = ARCHIVE_CHUNK - t->len < n ? ARCHIVE_CHUNK - t->len : n;
		memcpy(t->buf + t->len, c, k);
		t->len += k;
		c += k;
		n -= k;
		if (t->len == ARCHIVE_CHUNK && (rc = tw_flush(t, err)) != 0)
			return rc;
	}
	return 0;
}

/* Zero bytes up to the next 512-byte block. */
static int
tw_pad(struct tarw *t, uint64_t size, struct pcb_err *err)
{
	static const unsigned char zeros[512];
	size_t rem = (size_t)(size % 512);

	return rem == 0 ? 0 : tw_write(t, zeros, 512 - rem, err);
}

/* A numeric field: octal digits and a NUL, or (too big for them: sizes of 8 GiB and more)
 * the base-256 form GNU tar, Go and libarchive read. */
static void
tar_num(char *field, size_t len, uint64_t v)
{
	if (v < ((uint64_t)1 << (3 * (len - 1)))) {
		snprintf(field, len, "%0*llo", (int)(len - 1), (unsigned long long)v);
		return;
	}
	memset(field, 0, len);
	field[0] = (char)0x80;
	for (size_t i = len - 1; i > 0 && v > 0; i--, v >>= 8)
		field[i] = (char)(v & 0xff);
}

/* One header: a regular file (type '0') or a folder ('5'); name at most 99 bytes (ours are
 * "blobs/sha256/<64 hex>" at most). */
static int
tw_header(struct tarw *t, const char *name, char type, uint64_t size, struct pcb_err *err)
{
	char h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof h);
	snprintf(h, 100, "%s", name);
	tar_num(h + 100, 8, type == '5' ? 0755 : 0644);
	tar_num(h + 108, 8, 0);
	tar_num(h + 116, 8, 0);
	tar_num(h + 124, 12, size);
	tar_num(h + 136, 12, 0);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < sizeof h; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return tw_write(t, h, sizeof h, err);
}

static int
tw_file_mem(struct tarw *t, const char *name, const char *data, size_t len,
    struct pcb_err *err)
{
	int rc;

	if ((rc = tw_header(t, name, '0', len, err)) != 0 || (rc = tw_write(t, data, len, err)) != 0)
		return rc;
	return tw_pad(t, len, err);
}

/* A blob from the store as blobs/sha256/<hex>, hashed while copied and checked against its
 * name. Read with this thread's current rights: the daemon's. */
static int
tw_blob(struct tarw *t, struct pcb_store *store, const char *digest, struct pcb_err *err)
{
	char *path = pcb_store_blob_path(store, digest), *name = NULL;
	unsigned char *buf = NULL, sha[32];
	char got[PCB_DIGEST_BUFSZ];
	EVP_MD_CTX *md = NULL;
	uint64_t left;
	struct stat st;
	int fd = -1, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		rc = errno == ENOENT ? pcb_err_set(err, PCB_ENOENT, "blob %s is not in the store",
		    digest) : pcb_err_errno(err, errno, "reading blob %s", digest);
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "SHA-256 unavailable");
		goto out;
	}
	name = pcb_xasprintf("blobs/sha256/%s", digest + 7);
	if ((rc = tw_header(t, name, '0', (uint64_t)st.st_size, err)) != 0)
		goto out;
	buf = pcb_xmalloc(ARCHIVE_CHUNK);
	for (left = (uint64_t)st.st_size; left > 0; ) {
		ssize_t n = read(fd, buf, left < ARCHIVE_CHUNK ? (size_t)left : ARCHIVE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? pcb_err_errno(err, errno, "reading blob %s", digest) :
			    pcb_err_set(err, PCB_ECORRUPT, "blob %s is shorter than its file said",
			    digest);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if ((rc = tw_write(t, buf, (size_t)n, err)) != 0)
			goto out;
		left -= (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, sha, NULL);
	pcb_sha256_digest_str(sha, got);
	if (strcmp(got, digest) != 0) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "blob %s in the store does not match its digest "
		    "(%s): run `pcb cache verify`", digest, got);
		goto out;
	}
	rc = tw_pad(t, (uint64_t)st.st_size, err);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	free(buf);
	free(name);
	free(path);
	return rc;
}

/* ---- the image: its manifest's blobs, index.json, manifest.json --------------------- */

struct image {
	char *manifest_mt;
	uint64_t manifest_size;
	bool is_index;               /* a multi-platform image: config and layers are those of
	                              * the platform asked for (else the first), for
	                              * manifest.json; blobs hold every platform's */
	char *config;
	struct pcb_strv layers;      /* in manifest order, repeats kept (manifest.json) */
	struct pcb_strv blobs;       /* manifest, config, layers: each once */
	struct pcb_strv ref_names;   /* the tags, each once */
};

static void
image_free(struct image *im)
{
	free(im->manifest_mt);
	free(im->config);
	pcb_strv_free(&im->layers);
	pcb_strv_free(&im->blobs);
	pcb_strv_free(&im->ref_names);
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static int
read_doc(struct pcb_store *store, const char *digest, json_object **out, size_t *len_out,
    struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = pcb_store_read(store, digest, ARCHIVE_DOC_MAX, &text, &len, err)) != 0) {
		pcb_err_prefix(err, "reading the manifest %s", digest);
		return rc;
	}
	*out = json_tokener_parse(text);
	*len_out = len;
	free(text);
	return 0;
}

/* An image manifest's blobs into im (each once); with primary, its media type, config and
 * layers too (what manifest.json describes). */
static int
manifest_add(const char *digest, json_object *m, size_t len, bool primary, struct image *im, struct pcb_err *err)
{
	json_object *layers;
	const char *mt = jstr(m, "mediaType"), *cd;

	if (mt == NULL)
		mt = PCB_MT_OCI_MANIFEST;   /* optional in an OCI manifest */
	if (m == NULL || (strcmp(mt, PCB_MT_OCI_MANIFEST) != 0 &&
	    strcmp(mt, MT_DOCKER_MANIFEST) != 0) ||
	    (cd = jstr(json_object_object_get(m, "config"), "digest")) == NULL ||
	    !pcb_digest_valid(cd) || !json_object_object_get_ex(m, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array))
		return pcb_err_set(err, PCB_EINVAL, "%s is not an image manifest with a config and "
		    "layers, nor an index of them", digest);
	if (primary) {
		im->manifest_mt = pcb_xstrdup(mt);
		im->manifest_size = len;
		im->config = pcb_xstrdup(cd);
	}
	if (!pcb_strv_contains(&im->blobs, digest))
		pcb_strv_push(&im->blobs, digest);
	if (!pcb_strv_contains(&im->blobs, cd))
		pcb_strv_push(&im->blobs, cd);
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		const char *d = jstr(json_object_array_get_idx(layers, i), "digest");
		if (d == NULL || !pcb_digest_valid(d))
			return pcb_err_set(err, PCB_EINVAL, "manifest %s: layer %zu has no valid digest",
			    digest, i);
		if (primary)
			pcb_strv_push(&im->layers, d);
		if (!pcb_strv_contains(&im->blobs, d))
			pcb_strv_push(&im->blobs, d);
	}
	return 0;
}

/* An image index (a multi-platform image): the index, then every manifest it names and
 * their blobs; manifest.json describes the one for img->platform, else the first. */
static int
index_add(struct pcb_store *store, const struct pcb_archive_image *img, json_object *idx,
    size_t len, struct image *im, struct pcb_err *err)
{
	json_object *ms = json_object_object_get(idx, "manifests");
	size_t n = json_object_is_type(ms, json_type_array) ? json_object_array_length(ms) : 0,
	    pick = 0;
	int rc = 0;

	if (n == 0)
		return pcb_err_set(err, PCB_EINVAL, "the index %s names no image",
		    img->manifest_digest);
	for (size_t i = 0; img->platform != NULL && i < n; i++) {
		json_object *pl = json_object_object_get(json_object_array_get_idx(ms, i),
		    "platform");
		if (jstr(pl, "os") != NULL && jstr(pl, "architecture") != NULL &&
		    strcmp(jstr(pl, "os"), img->platform->os) == 0 &&
		    strcmp(jstr(pl, "architecture"), img->platform->arch) == 0) {
			pick = i;
			break;
		}
	}
	im->is_index = true;
	pcb_strv_push(&im->blobs, img->manifest_digest);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *d = jstr(json_object_array_get_idx(ms, i), "digest");
		json_object *m = NULL;
		size_t mlen = 0;

		if (d == NULL || !pcb_digest_valid(d))
			return pcb_err_set(err, PCB_EINVAL, "index %s: manifest %zu has no valid "
			    "digest", img->manifest_digest, i);
		if ((rc = read_doc(store, d, &m, &mlen, err)) == 0)
			rc = manifest_add(d, m, mlen, i == pick, im, err);
		json_object_put(m);
	}
	if (rc == 0) {
		/* index.json names the index itself. */
		free(im->manifest_mt);
		im->manifest_mt = pcb_xstrdup(PCB_MT_OCI_INDEX);
		im->manifest_size = len;
	}
	return rc;
}

static int
image_load(struct pcb_store *store, const struct pcb_archive_image *img, struct image *im,
    struct pcb_err *err)
{
	json_object *m = NULL, *ms;
	size_t len = 0;
	const char *mt;
	int rc;

	memset(im, 0, sizeof *im);
	pcb_strv_init(&im->layers);
	pcb_strv_init(&im->blobs);
	pcb_strv_init(&im->ref_names);
	if (img->manifest_digest == NULL || !pcb_digest_valid(img->manifest_digest))
		return pcb_err_set(err, PCB_EINVAL, "archive: no valid manifest digest");
	if ((rc = read_doc(store, img->manifest_digest, &m, &len, err)) != 0)
		goto out;
	mt = jstr(m, "mediaType");
	if ((mt != NULL && strcmp(mt, PCB_MT_OCI_INDEX) == 0) ||
	    (mt == NULL && json_object_object_get_ex(m, "manifests", &ms)))
		rc = index_add(store, img, m, len, im, err);
	else
		rc = manifest_add(img->manifest_digest, m, len, true, im, err);
	if (rc != 0)
		goto out;
	/* Every blob first, so that nothing is written for an image the store cannot give
	 * whole (lazily pulled base layers are fetched by the caller before). */
	for (size_t i = 0; i < im->blobs.n; i++)
		if (pcb_store_stat(store, im->blobs.v[i], NULL, NULL, NULL) != 0) {
			rc = pcb_err_set(err, PCB_ENOENT, "blob %s of the image is not in the store",
			    im->blobs.v[i]);
			goto out;
		}
	for (size_t i = 0; img->tags != NULL && i < img->tags->n; i++)
		if (!pcb_strv_contains(&im->ref_names, img->tags->v[i]))
			pcb_strv_push(&im->ref_names, img->tags->v[i]);
out:
	json_object_put(m);
	return rc;
}

/* The name docker and containerd give ref: "hello:1" is docker.io/library/hello:1. */
static char *
docker_full_name(const char *ref)
{
	const char *slash = strchr(ref, '/');
	size_t n;

	if (slash == NULL)
		return pcb_xasprintf("docker.io/library/%s", ref);
	n = (size_t)(slash - ref);
	if (memchr(ref, '.', n) != NULL || memchr(ref, ':', n) != NULL ||
	    (n == 9 && memcmp(ref, "localhost", 9) == 0))
		return pcb_xstrdup(ref);
	return pcb_xasprintf("docker.io/%s", ref);
}

static json_object *
index_json(enum pcb_archive_format format, const struct pcb_archive_image *img,
    const struct image *im)
{
	json_object *idx = json_object_new_object(), *ms = json_object_new_array();
	size_t n = im->ref_names.n > 0 ? im->ref_names.n : 1;

	for (size_t i = 0; i < n; i++) {
		json_object *d = pcb_oci_descriptor(im->manifest_mt, img->manifest_digest,
		    im->manifest_size);
		if (img->platform != NULL && !im->is_index) {
			json_object *pl = json_object_new_object();
			json_object_object_add(pl, "architecture",
			    json_object_new_string(img->platform->arch));
			json_object_object_add(pl, "os", json_object_new_string(img->platform->os));
			if (img->platform->variant[0] != '\0')
				json_object_object_add(pl, "variant",
				    json_object_new_string(img->platform->variant));
			json_object_object_add(d, "platform", pl);
		}
		if (im->ref_names.n > 0) {
			json_object *ann = json_object_new_object();
			/* containerd (docker >= 25's store) names what it imports by this one. */
			if (format == PCB_ARCHIVE_DOCKER) {
				char *dn = docker_full_name(im->ref_names.v[i]);
				json_object_object_add(ann, "io.containerd.image.name",
				    json_object_new_string(dn));
				free(dn);
			}
			json_object_object_add(ann, PCB_ANN_REF_NAME,
			    json_object_new_string(im->ref_names.v[i]));
			json_object_object_add(d, "annotations", ann);
		}
		json_object_array_add(ms, d);
	}
	json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
	json_object_object_add(idx, "mediaType", json_object_new_string(PCB_MT_OCI_INDEX));
	json_object_object_add(idx, "manifests", ms);
	return idx;
}

/* docker's manifest.json: [{"Config", "RepoTags", "Layers"}], paths into the archive. */
static json_object *
docker_manifest_json(const struct pcb_archive_image *img, const struct image *im)
{
	json_object *arr = json_object_new_array(), *e = json_object_new_object();
	json_object *tags = json_object_new_array(), *layers = json_object_new_array();
	char *p;

	p = pcb_xasprintf("blobs/sha256/%s", im->config + 7);
	json_object_object_add(e, "Config", json_object_new_string(p));
	free(p);
	for (size_t i = 0; img->tags != NULL && i < img->tags->n; i++)
		json_object_array_add(tags, json_object_new_string(img->tags->v[i]));
	json_object_object_add(e, "RepoTags", tags);
	for (size_t i = 0; i < im->layers.n; i++) {
		p = pcb_xasprintf("blobs/sha256/%s", im->layers.v[i] + 7);
		json_object_array_add(layers, json_object_new_string(p));
		free(p);
	}
	json_object_object_add(e, "Layers", layers);
	json_object_array_add(arr, e);
	return arr;
}

/* The legacy "repositories" file ({"repo": {"tag": "<top layer>"}}), for loaders that
 * predate manifest.json. NULL when there is no tag. */
static json_object *
docker_repositories_json(const struct pcb_archive_image *img, const struct image *im)
{
	json_object *repos;

	if (img->tags == NULL || img->tags->n == 0 || im->layers.n == 0)
		return NULL;
	repos = json_object_new_object();
	for (size_t i = 0; i < img->tags->n; i++) {
		const char *ref = img->tags->v[i], *slash = strrchr(ref, '/');
		const char *colon = strchr(slash != NULL ? slash : ref, ':');
		char *repo = colon != NULL ? pcb_xstrndup(ref, (size_t)(colon - ref)) :
		    pcb_xstrdup(ref);
		json_object *r;
		if (!json_object_object_get_ex(repos, repo, &r)) {
			r = json_object_new_object();
			json_object_object_add(repos, repo, r);
		}
		json_object_object_add(r, colon != NULL ? colon + 1 : "latest",
		    json_object_new_string(im->layers.v[im->layers.n - 1] + 7));
		free(repo);
	}
	return repos;
}

static int
tw_json(struct tarw *t, const char *name, json_object *j, struct pcb_err *err)
{
	const char *s = pcb_json_str(j);

	return tw_file_mem(t, name, s, strlen(s), err);
}

int
pcb_archive_stream(struct pcb_store *store, enum pcb_archive_format format,
    const struct pcb_archive_image *img, pcb_archive_sink_fn sink, void *ud,
    atomic_int *cancel, struct pcb_err *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	static const unsigned char end[1024];
	struct tarw t = { sink, ud, cancel, NULL, 0 };
	json_object *idx = NULL, *dm = NULL, *repos = NULL;
	struct image im;
	int rc;

	if ((rc = image_load(store, img, &im, err)) != 0)
		goto out;
	t.buf = pcb_xmalloc(ARCHIVE_CHUNK);
	if ((rc = tw_file_mem(&t, "oci-layout", layout, sizeof layout - 1, err)) != 0 ||
	    (rc = tw_header(&t, "blobs/", '5', 0, err)) != 0 ||
	    (rc = tw_header(&t, "blobs/sha256/", '5', 0, err)) != 0)
		goto out;
	for (size_t i = 0; i < im.blobs.n; i++)
		if ((rc = tw_blob(&t, store, im.blobs.v[i], err)) != 0)
			goto out;
	idx = index_json(format, img, &im);
	if ((rc = tw_json(&t, "index.json", idx, err)) != 0)
		goto out;
	if (format == PCB_ARCHIVE_DOCKER) {
		dm = docker_manifest_json(img, &im);
		if ((rc = tw_json(&t, "manifest.json", dm, err)) != 0)
			goto out;
		if ((repos = docker_repositories_json(img, &im)) != NULL &&
		    (rc = tw_json(&t, "repositories", repos, err)) != 0)
			goto out;
	}
	if ((rc = tw_write(&t, end, sizeof end, err)) != 0)
		goto out;
	rc = tw_flush(&t, err);
out:
	json_object_put(idx);
	json_object_put(dm);
	json_object_put(repos);
	free(t.buf);
	image_free(&im);
	return rc;
}

/* ---- to a user's file ---------------------------------------------------------------- */

struct fd_sink {
	int fd;
	const char *path;
};

static int
fd_sink_write(void *ud, const void *p, size_t n, struct pcb_err *err)
{
	struct fd_sink *s = ud;
	int r = pcb_write_all(s->fd, p, n);

	return r == 0 ? 0 : pcb_err_errno(err, -r, "writing %s", s->path);
}

/* With the owner's rights: the parent folder opened without following any symlink, and
 * what is at the name now (nothing, or a regular file that will be replaced). *pfd_out:
 * the parent, for creating and renaming relative to it. */
static int
file_dest_open(const char *path, const char *base, int *pfd_out, struct pcb_err *err)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS };
	char *parent = pcb_xstrndup(path, (size_t)(base - path));
	struct stat st;
	int pfd, rc = 0;

	if (strlen(parent) > 1)
		parent[strlen(parent) - 1] = '\0';   /* "/a/b/" → "/a/b"; "/" stays */
	pfd = (int)syscall(SYS_openat2, AT_FDCWD, parent, &how, sizeof how);
	if (pfd < 0) {
		rc = errno == ELOOP || errno == EXDEV ? pcb_err_set(err, PCB_EINVAL, "output %s: a "
		    "folder on the way is a symbolic link; outputs are written without following "
		    "symlinks: give the real path", path) :
		    pcb_err_errno(err, errno, "output %s: opening %s", path, parent);
		goto out;
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			rc = pcb_err_set(err, PCB_EINVAL, "output %s is a symbolic link; outputs are "
			    "written without following symlinks: give the real path", path);
		else if (S_ISDIR(st.st_mode))
			rc = pcb_err_set(err, PCB_EINVAL, "output %s is a folder; an archive output "
			    "names a file (FILE.tar)", path);
		else if (!S_ISREG(st.st_mode))
			rc = pcb_err_set(err, PCB_EINVAL, "output %s exists and is not a regular "
			    "file", path);
	} else if (errno != ENOENT) {
		rc = pcb_err_errno(err, errno, "output %s", path);
	}
out:
	if (rc != 0 && pfd >= 0) {
		close(pfd);
		pfd = -1;
	}
	free(parent);
	*pfd_out = pfd;
	return rc;
}

/* Runs one step with the owner's rights; errno is kept for the caller. */
#define AS(as, call) __extension__({ struct pcb_cred_saved sv_; int r_ = \
	pcb_cred_enter((as), &sv_, err); if (r_ == 0) { r_ = (call); \
	int e_ = errno; pcb_cred_leave(&sv_); errno = e_; } r_; })

int
pcb_archive_write_file(struct pcb_store *store, enum pcb_archive_format format,
    const struct pcb_archive_image *img, const char *path, const struct pcb_cred *as,
    atomic_int *cancel, struct pcb_err *err)
{
	const char *base = path != NULL ? strrchr(path, '/') : NULL;
	struct fd_sink s = { -1, path };
	char rnd[17], *tmp = NULL;
	bool created = false;
	int pfd = -1, rc;

	if (base == NULL || path[0] != '/' || base[1] == '\0' || strcmp(base + 1, ".") == 0 ||
	    strcmp(base + 1, "..") == 0) {
		rc = pcb_err_set(err, PCB_EINVAL, "output %s: expected an absolute path to a file",
		    path != NULL ? path : "(null)");
		goto out;
	}
	base++;
	if ((rc = AS(as, file_dest_open(path, base, &pfd, err))) != 0)
		goto out;
	/* The temporary file beside the name, so the rename cannot cross filesystems; created
	 * as the owner (theirs, and only where they may write), never through a link. */
	pcb_random_hex(rnd, 8);
	tmp = pcb_xasprintf(".%.200s.tmp-%s", base, rnd);
	s.fd = AS(as, openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644));
	if (s.fd < 0) {
		rc = pcb_err_errno(err, errno, "output %s", path);
		goto out;
	}
	created = true;
	(void)fchmod(s.fd, 0644);   /* whatever the daemon's umask: readable, as a layout is */
	/* The bytes: blobs read with the daemon's rights, written to the owner's file. */
	if ((rc = pcb_archive_stream(store, format, img, fd_sink_write, &s, cancel, err)) != 0)
		goto out;
	if (fsync(s.fd) != 0 || close(s.fd) != 0) {
		s.fd = -1;
		rc = pcb_err_errno(err, errno, "writing %s", path);
		goto out;
	}
	s.fd = -1;
	if (AS(as, renameat(pfd, tmp, pfd, base)) != 0) {
		rc = pcb_err_errno(err, errno, "output %s: renaming the finished archive into place",
		    path);
		goto out;
	}
	created = false;
	(void)fsync(pfd);
out:
	if (s.fd >= 0)
		close(s.fd);
	if (created)
		(void)AS(as, unlinkat(pfd, tmp, 0));
	if (pfd >= 0)
		close(pfd);
	if (rc != 0)
		pcb_err_prefix(err, "writing %s %s", format == PCB_ARCHIVE_DOCKER ?
		    "docker-archive" : "oci-archive", path != NULL ? path : "(null)");
	free(tmp);
	return rc;
}
