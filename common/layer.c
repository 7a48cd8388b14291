/* layer.c — the layer packer: walks the build context into a list of entries, then streams
 * them as a deterministic POSIX tar through SHA-256 (diff_id), gzip and SHA-256 again (digest)
 * into a blob writer, one pass, a bounded chunk at a time. */
#include "layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#define LIST_MAX_ENTRIES 1000000
#define WALK_MAX_DEPTH 256
#define IMAGE_PATH_MAX 4096
#define READ_CHUNK ((size_t)256 << 10)
#define ZOUT_SIZE ((size_t)256 << 10)
#define PROGRESS_STEP ((uint64_t)64 << 10)
#define TAR_BLOCK 512
/* Largest value an 11-digit octal ustar field holds (8 GiB - 1; also year 2242 for mtime). */
#define USTAR_OCTAL11_MAX 077777777777ULL
#define PAX_MAX ((size_t)64 << 10)

void
pcb_layer_list_init(struct pcb_layer_list *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

static void
entry_free(struct pcb_layer_entry *e)
{
	free(e->path);
	free(e->src);
	free(e->link);
}

void
pcb_layer_list_free(struct pcb_layer_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	pcb_layer_list_init(l);
}

/* Appends e, taking ownership of its strings. */
static void
list_push(struct pcb_layer_list *l, const struct pcb_layer_entry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = pcb_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = *e;
}

/* Drops empty and "." components and leading/trailing slashes: "./a//b/" → "a/b".
 * *dotdot is set when a ".." component appears (it would leave the context or the image). */
static char *
norm_path(const char *p, bool *dotdot)
{
	size_t len = strlen(p), o = 0;
	char *out = pcb_xmalloc(len + 1);

	*dotdot = false;
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			*dotdot = true;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return out;
}

/* "a" + "b" → "a/b"; either may be empty. */
static char *
join_rel(const char *a, const char *b)
{
	if (a[0] == '\0')
		return pcb_xstrdup(b);
	if (b[0] == '\0')
		return pcb_xstrdup(a);
	return pcb_xasprintf("%s/%s", a, b);
}

void
pcb_layer_list_add_entry(struct pcb_layer_list *l, const struct pcb_layer_entry *e)
{
	struct pcb_layer_entry c = *e;
	bool dotdot;

	c.path = norm_path(e->path, &dotdot);
	c.src = pcb_xstrdup(e->src);
	c.link = pcb_xstrdup(e->link);
	list_push(l, &c);
}

struct walk {
	struct pcb_layer_list *l;
	pcb_layer_filter_fn filter;
	void *ud;
	struct pcb_err *err;
};

static int walk_node(struct walk *w, const char *host, const char *rel, const char *img,
    const struct stat *st, int depth);

/* Reads a symlink target of any length up to PATH_MAX without following it. */
static int
read_link(const char *host, const struct stat *st, char **out, struct pcb_err *err)
{
	size_t cap = st->st_size > 0 && st->st_size < 4096 ? (size_t)st->st_size + 1 : 4096;
	char *buf = NULL;
	ssize_t n;
	int rc = 0;

	for (;;) {
		buf = pcb_xrealloc(buf, cap);
		n = readlink(host, buf, cap);
		if (n < 0) {
			rc = pcb_err_errno(err, errno, "reading symlink %s", host);
			goto out;
		}
		if ((size_t)n < cap)
			break;
		if (cap >= 65536) {
			rc = pcb_err_set(err, PCB_ETOOBIG, "symlink %s has a target over %zu bytes",
			    host, cap);
			goto out;
		}
		cap *= 2;
	}
	buf[n] = '\0';
out:
	if (rc != 0) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	return rc;
}

static int
walk_dir(struct walk *w, const char *host, const char *rel, const char *img, int depth)
{
	struct pcb_strv names;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth >= WALK_MAX_DEPTH)
		return pcb_err_set(w->err, PCB_ETOOBIG, "%s: directories nested deeper than %d",
		    host, WALK_MAX_DEPTH);
	d = opendir(host);
	if (d == NULL)
		return pcb_err_errno(w->err, errno, "opening directory %s", host);
	/* Names first, then recurse: only one directory stream is open at a time whatever the
	 * depth. The order of the walk does not matter (finish sorts). */
	pcb_strv_init(&names);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		pcb_strv_push(&names, de->d_name);
		errno = 0;
	}
	if (errno != 0)
		rc = pcb_err_errno(w->err, errno, "reading directory %s", host);
	closedir(d);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *chost = pcb_path_join(host, names.v[i]);
		char *crel = join_rel(rel, names.v[i]);
		char *cimg = join_rel(img, names.v[i]);
		struct stat st;

		if (lstat(chost, &st) != 0) {
			rc = pcb_err_errno(w->err, errno, "reading %s", chost);
		} else if (w->filter == NULL || w->filter(w->ud, crel, S_ISDIR(st.st_mode))) {
			rc = walk_node(w, chost, crel, cimg, &st, depth + 1);
		}
		free(chost);
		free(crel);
		free(cimg);
	}
	pcb_strv_free(&names);
	return rc;
}

static int
walk_node(struct walk *w, const char *host, const char *rel, const char *img,
    const struct stat *st, int depth)
{
	struct pcb_layer_entry e;
	int rc = 0;

	if (w->l->n >= LIST_MAX_ENTRIES)
		return pcb_err_set(w->err, PCB_ETOOBIG, "more than %d files in one layer",
		    LIST_MAX_ENTRIES);
	if (strlen(img) > IMAGE_PATH_MAX)
		return pcb_err_set(w->err, PCB_ETOOBIG, "%s: path in the image is longer than %d "
		    "bytes", host, IMAGE_PATH_MAX);
	memset(&e, 0, sizeof e);
	if (S_ISREG(st->st_mode)) {
		e.type = PCB_ENTRY_FILE;
		e.mode = (st->st_mode & 0111) ? 0755 : 0644;
		e.size = (uint64_t)st->st_size;
		e.dev = st->st_dev;
		e.ino = st->st_ino;
		e.nlink = (uint32_t)st->st_nlink;
		e.path = pcb_xstrdup(img);
		e.src = pcb_xstrdup(host);
		list_push(w->l, &e);
	} else if (S_ISDIR(st->st_mode)) {
		/* The image root itself ("" when adding the context at "/") has no entry. */
		if (img[0] != '\0') {
			e.type = PCB_ENTRY_DIR;
			e.mode = 0755;
			e.path = pcb_xstrdup(img);
			e.src = pcb_xstrdup(host);
			list_push(w->l, &e);
		}
		rc = walk_dir(w, host, rel, img, depth);
	} else if (S_ISLNK(st->st_mode)) {
		if ((rc = read_link(host, st, &e.link, w->err)) != 0)
			return rc;
		e.type = PCB_ENTRY_SYMLINK;
		e.mode = 0777;
		e.path = pcb_xstrdup(img);
		e.src = pcb_xstrdup(host);
		list_push(w->l, &e);
	}
	/* Sockets, fifos and devices have no place in an image layer: skipped. */
	return rc;
}

int
pcb_layer_list_add(struct pcb_layer_list *l, const char *context_root, const char *rel,
    const char *dst_prefix, pcb_layer_filter_fn filter, void *ud, struct pcb_err *err)
{
	struct walk w = { .l = l, .filter = filter, .ud = ud, .err = err };
	char *nrel, *nprefix, *host = NULL, *img = NULL;
	bool dd1, dd2;
	struct stat st;
	int rc = 0;

	nrel = norm_path(rel != NULL ? rel : "", &dd1);
	nprefix = norm_path(dst_prefix != NULL ? dst_prefix : "", &dd2);
	if (dd1 || dd2) {
		rc = pcb_err_set(err, PCB_EINVAL, "\"%s\" → \"%s\": '..' is not allowed",
		    rel != NULL ? rel : "", dst_prefix != NULL ? dst_prefix : "");
		goto out;
	}
	/* Intermediate components of rel must be real directories: following a symlink there
	 * could read outside the context. */
	for (char *s = strchr(nrel, '/'); s != NULL; s = strchr(s + 1, '/')) {
		char *part;
		*s = '\0';
		part = pcb_path_join(context_root, nrel);
		*s = '/';
		if (lstat(part, &st) != 0) {
			rc = pcb_err_errno(err, errno, "adding %s/%s", context_root, nrel);
		} else if (!S_ISDIR(st.st_mode)) {
			rc = pcb_err_set(err, PCB_EINVAL, "adding %s/%s: %s is not a directory "
			    "(symlinks are not followed)", context_root, nrel, part);
		}
		if (rc != 0) {
			free(part);
			goto out;
		}
		free(part);
	}
	host = nrel[0] != '\0' ? pcb_path_join(context_root, nrel) : pcb_xstrdup(context_root);
	img = join_rel(nprefix, nrel);
	/* The context root itself may be reached through a symlink the user chose; below it,
	 * nothing is followed. */
	if ((nrel[0] != '\0' ? lstat(host, &st) : stat(host, &st)) != 0) {
		rc = pcb_err_errno(err, errno, "adding %s", host);
		goto out;
	}
	if (img[0] == '\0' && !S_ISDIR(st.st_mode)) {
		rc = pcb_err_set(err, PCB_EINVAL, "adding %s: only a directory can be the image root",
		    host);
		goto out;
	}
	if (nrel[0] != '\0' && filter != NULL && !filter(ud, nrel, S_ISDIR(st.st_mode)))
		goto out;
	rc = walk_node(&w, host, nrel, img, &st, 0);
out:
	free(nrel);
	free(nprefix);
	free(host);
	free(img);
	return rc;
}

/* Sorting pointers into l->v: ties (same path) keep their original order, which is address
 * order, so "first wins" holds for duplicates. */
static int
cmp_entry_ptr(const void *a, const void *b)
{
	const struct pcb_layer_entry *ea = *(const struct pcb_layer_entry *const *)a;
	const struct pcb_layer_entry *eb = *(const struct pcb_layer_entry *const *)b;
	int r = strcmp(ea->path, eb->path);

	if (r != 0)
		return r;
	return ea < eb ? -1 : ea > eb;
}

static void
sort_dedupe(struct pcb_layer_list *l)
{
	struct pcb_layer_entry **ptrs, *nv;
	size_t n = 0;

	if (l->n == 0)
		return;
	ptrs = pcb_xmalloc(l->n * sizeof *ptrs);
	for (size_t i = 0; i < l->n; i++)
		ptrs[i] = &l->v[i];
	qsort(ptrs, l->n, sizeof *ptrs, cmp_entry_ptr);
	nv = pcb_xmalloc(l->n * sizeof *nv);
	for (size_t i = 0; i < l->n; i++) {
		if (n > 0 && strcmp(nv[n - 1].path, ptrs[i]->path) == 0)
			entry_free(ptrs[i]);
		else
			nv[n++] = *ptrs[i];
	}
	free(ptrs);
	free(l->v);
	l->v = nv;
	l->n = n;
	l->cap = l->n;
}

static int
cmp_path_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pcb_layer_entry *)elem)->path);
}

/* a is a proper ancestor directory of p. */
static bool
is_ancestor(const char *a, size_t la, const char *p)
{
	return strncmp(p, a, la) == 0 && p[la] == '/';
}

static void
add_parents(struct pcb_layer_list *l)
{
	size_t n0 = l->n;
	/* Made-up directories that are ancestors of the entry being looked at. The list is
	 * sorted, so everything under one directory is contiguous: each missing directory is
	 * added once. */
	struct pcb_strv stack;

	pcb_strv_init(&stack);
	for (size_t i = 0; i < n0; i++) {
		char *p = pcb_xstrdup(l->v[i].path);

		while (stack.n > 0 && !is_ancestor(stack.v[stack.n - 1],
		    strlen(stack.v[stack.n - 1]), p)) {
			free(stack.v[--stack.n]);
			stack.v[stack.n] = NULL;
		}
		for (char *s = strchr(p, '/'); s != NULL; s = strchr(s + 1, '/')) {
			bool have = false;
			size_t la = (size_t)(s - p);

			*s = '\0';
			for (size_t k = 0; k < stack.n && !have; k++)
				have = strlen(stack.v[k]) == la;
			if (!have && bsearch(p, l->v, n0, sizeof *l->v, cmp_path_key) == NULL) {
				struct pcb_layer_entry e;
				memset(&e, 0, sizeof e);
				e.type = PCB_ENTRY_DIR;
				e.mode = 0755;
				e.path = pcb_xstrdup(p);
				list_push(l, &e);
				pcb_strv_push(&stack, p);
			}
			*s = '/';
		}
		free(p);
	}
	pcb_strv_free(&stack);
}

static int
cmp_inode_ptr(const void *a, const void *b)
{
	const struct pcb_layer_entry *ea = *(const struct pcb_layer_entry *const *)a;
	const struct pcb_layer_entry *eb = *(const struct pcb_layer_entry *const *)b;

	if (ea->dev != eb->dev)
		return ea->dev < eb->dev ? -1 : 1;
	if (ea->ino != eb->ino)
		return ea->ino < eb->ino ? -1 : 1;
	return ea < eb ? -1 : ea > eb;   /* list order = path order */
}

static void
link_hardlinks(struct pcb_layer_list *l)
{
	struct pcb_layer_entry **v = pcb_xmalloc((l->n ? l->n : 1) * sizeof *v);
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE && l->v[i].nlink > 1 && l->v[i].ino != 0)
			v[n++] = &l->v[i];
	qsort(v, n, sizeof *v, cmp_inode_ptr);
	/* Within a group the first member in path order stays a file; the others point at it. */
	for (size_t i = 0; i < n; ) {
		size_t j = i + 1;
		for (; j < n && v[j]->dev == v[i]->dev && v[j]->ino == v[i]->ino; j++) {
			free(v[j]->link);
			v[j]->link = pcb_xstrdup(v[i]->path);
			v[j]->type = PCB_ENTRY_HARDLINK;
			v[j]->size = 0;
		}
		i = j;
	}
	free(v);
}

void
pcb_layer_list_finish(struct pcb_layer_list *l)
{
	sort_dedupe(l);
	add_parents(l);
	sort_dedupe(l);
	link_hardlinks(l);
}

/* ---- packing ---- */

struct packer {
	const struct pcb_layer_opts *opts;
	struct pcb_blob_writer *w;
	EVP_MD_CTX *tar_md;
	EVP_MD_CTX *gz_md;
	z_stream z;
	bool z_ready;
	unsigned char *zout;
	unsigned char *rbuf;
	uint64_t tar_size;
	uint64_t gz_size;
	uint64_t done;
	uint64_t total;
	uint64_t last_progress;
	struct pcb_err *err;
};

static int
gz_run(struct packer *p, int flush)
{
	int zr, rc;

	do {
		size_t have;

		p->z.next_out = p->zout;
		p->z.avail_out = (uInt)ZOUT_SIZE;
		zr = deflate(&p->z, flush);
		if (zr == Z_STREAM_ERROR)
			return pcb_err_set(p->err, PCB_EINTERNAL, "gzip: deflate failed");
		have = ZOUT_SIZE - p->z.avail_out;
		if (have > 0) {
			if (EVP_DigestUpdate(p->gz_md, p->zout, have) != 1)
				return pcb_err_set(p->err, PCB_EINTERNAL, "SHA-256 update failed");
			if ((rc = pcb_blob_writer_write(p->w, p->zout, have, p->err)) != 0)
				return rc;
			p->gz_size += have;
		}
	} while (p->z.avail_out == 0);
	if (flush == Z_FINISH && zr != Z_STREAM_END)
		return pcb_err_set(p->err, PCB_EINTERNAL, "gzip: stream did not end");
	return 0;
}

/* Feeds tar bytes (at most READ_CHUNK at a time) into the hash and the compressor. */
static int
emit(struct packer *p, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(p->tar_md, data, n) != 1)
		return pcb_err_set(p->err, PCB_EINTERNAL, "SHA-256 update failed");
	p->tar_size += n;
	p->z.next_in = (Bytef *)(uintptr_t)data;
	p->z.avail_in = (uInt)n;
	return gz_run(p, Z_NO_FLUSH);
}

static int
emit_pad(struct packer *p, uint64_t size)
{
	static const unsigned char zero[TAR_BLOCK];
	size_t rem = (size_t)(size % TAR_BLOCK);
	return rem != 0 ? emit(p, zero, TAR_BLOCK - rem) : 0;
}

static bool
cancelled(const struct packer *p)
{
	return p->opts->cancel != NULL && atomic_load(p->opts->cancel) != 0;
}

/* Printable ASCII only: anything else goes to a PAX record. */
static bool
is_plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void
octal(char *field, size_t width, uint64_t v)
{
	snprintf(field, width, "%0*llo", (int)(width - 1), (unsigned long long)v);
}

/* Fits name into ustar name[100] + prefix[155], split at a '/'. */
static bool
ustar_split(const char *name, char *hdr)
{
	size_t len = strlen(name);

	if (len <= 100) {
		memcpy(hdr, name, len);
		return true;
	}
	for (size_t i = 0; i < len && i <= 155; i++) {
		if (name[i] == '/' && len - i - 1 <= 100 && len - i - 1 > 0) {
			memcpy(hdr + 345, name, i);
			memcpy(hdr, name + i + 1, len - i - 1);
			return true;
		}
	}
	return false;
}

static void
pax_record(struct pcb_buf *b, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3;   /* ' ' '=' '\n' */
	size_t len = 0;

	/* The length counts its own digits. */
	for (size_t d = 1; d < 20; d++) {
		char tmp[24];
		len = body + d;
		if ((size_t)snprintf(tmp, sizeof tmp, "%zu", len) == d)
			break;
	}
	pcb_buf_appendf(b, "%zu %s=%s\n", len, key, val);
}

static void
fill_header(char *hdr, char type, mode_t mode, uint64_t size, int64_t mtime)
{
	unsigned int sum = 0;

	octal(hdr + 100, 8, mode & 07777);
	octal(hdr + 108, 8, 0);
	octal(hdr + 116, 8, 0);
	octal(hdr + 124, 12, size <= USTAR_OCTAL11_MAX ? size : 0);
	octal(hdr + 136, 12, (uint64_t)mtime);
	hdr[156] = type;
	memcpy(hdr + 257, "ustar", 6);
	memcpy(hdr + 263, "00", 2);
	octal(hdr + 329, 8, 0);
	octal(hdr + 337, 8, 0);
	memset(hdr + 148, ' ', 8);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += (unsigned char)hdr[i];
	snprintf(hdr + 148, 8, "%06o", sum);
	hdr[155] = ' ';
}

/* Writes the header block(s) of one entry: a PAX 'x' header first when ustar cannot hold the
 * name, the link target or the size. */
static int
write_header(struct packer *p, const char *name, const char *link, char type, mode_t mode,
    uint64_t size)
{
	char hdr[TAR_BLOCK];
	struct pcb_buf pax;
	bool fits;
	int rc = 0;

	memset(hdr, 0, sizeof hdr);
	fits = is_plain_ascii(name) && ustar_split(name, hdr);
	pcb_buf_init(&pax, PAX_MAX);
	if (!fits)
		pax_record(&pax, "path", name);
	if (link != NULL && (!is_plain_ascii(link) || strlen(link) > 100))
		pax_record(&pax, "linkpath", link);
	if (size > USTAR_OCTAL11_MAX) {
		char num[24];
		snprintf(num, sizeof num, "%llu", (unsigned long long)size);
		pax_record(&pax, "size", num);
	}
	if (pax.len > 0) {
		char xh[TAR_BLOCK];
		const char *base, *end = name + strlen(name);
		size_t o = 11;

		/* A fixed name derived from the entry: "PaxHeaders/<basename>", ASCII only. */
		while (end > name && end[-1] == '/')
			end--;
		base = end;
		while (base > name && base[-1] != '/')
			base--;
		memset(xh, 0, sizeof xh);
		memcpy(xh, "PaxHeaders/", 11);
		for (const char *c = base; c < end && o < 100; c++)
			xh[o++] = (*c > 0x20 && *c < 0x7f) ? *c : '_';
		fill_header(xh, 'x', 0644, pax.len, p->opts->mtime);
		if ((rc = emit(p, xh, sizeof xh)) != 0 ||
		    (rc = emit(p, pax.data, pax.len)) != 0 ||
		    (rc = emit_pad(p, pax.len)) != 0)
			goto out;
	}
	if (!fits) {
		memset(hdr, 0, sizeof hdr);
		memcpy(hdr, name, strnlen(name, 100));   /* a hint for old readers; PAX rules */
	}
	if (link != NULL)
		memcpy(hdr + 157, link, strnlen(link, 100));
	fill_header(hdr, type, mode, size, p->opts->mtime);
	rc = emit(p, hdr, sizeof hdr);
out:
	pcb_buf_free(&pax);
	return rc;
}

static void
progress(struct packer *p, bool final)
{
	if (p->opts->progress == NULL)
		return;
	if (final || p->done - p->last_progress >= PROGRESS_STEP) {
		p->opts->progress(p->opts->progress_ud, p->done, p->total);
		p->last_progress = p->done;
	}
}

static int
pack_file(struct packer *p, const struct pcb_layer_entry *e)
{
	uint64_t left = e->size;
	struct stat st;
	int fd, rc = 0;
	ssize_t n;

	if (e->src == NULL)
		return pcb_err_set(p->err, PCB_EINVAL, "%s: file entry without a source", e->path);
	/* O_NOFOLLOW: a file swapped for a symlink since listing is not followed. */
	fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pcb_err_errno(p->err, errno, "opening %s", e->src);
	if (fstat(fd, &st) != 0) {
		rc = pcb_err_errno(p->err, errno, "reading %s", e->src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pcb_err_set(p->err, PCB_EINVAL, "%s is no longer a regular file", e->src);
		goto out;
	}
	if ((uint64_t)st.st_size != e->size) {
		rc = pcb_err_set(p->err, PCB_EINVAL, "%s changed size while the layer was being "
		    "built (%llu bytes when listed, %llu now)", e->src,
		    (unsigned long long)e->size, (unsigned long long)st.st_size);
		goto out;
	}
	if ((rc = write_header(p, e->path, NULL, '0', e->mode, e->size)) != 0)
		goto out;
	while (left > 0) {
		if (cancelled(p)) {
			rc = pcb_err_set(p->err, PCB_ECANCELED, "cancelled");
			goto out;
		}
		n = read(fd, p->rbuf, left < READ_CHUNK ? (size_t)left : READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pcb_err_errno(p->err, errno, "reading %s", e->src);
			goto out;
		}
		if (n == 0) {
			rc = pcb_err_set(p->err, PCB_EINVAL, "%s shrank while the layer was being built "
			    "(%llu bytes listed)", e->src, (unsigned long long)e->size);
			goto out;
		}
		if ((rc = emit(p, p->rbuf, (size_t)n)) != 0)
			goto out;
		left -= (uint64_t)n;
		p->done += (uint64_t)n;
		progress(p, false);
	}
	/* One more read tells a file that grew from one that did not. */
	do
		n = read(fd, p->rbuf, 1);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		rc = pcb_err_set(p->err, PCB_EINVAL, "%s grew while the layer was being built "
		    "(%llu bytes listed)", e->src, (unsigned long long)e->size);
		goto out;
	}
	rc = emit_pad(p, e->size);
out:
	close(fd);
	return rc;
}

static int
pack_entry(struct packer *p, const struct pcb_layer_entry *e)
{
	char *name;
	int rc;

	if (cancelled(p))
		return pcb_err_set(p->err, PCB_ECANCELED, "cancelled");
	switch (e->type) {
	case PCB_ENTRY_FILE:
		return pack_file(p, e);
	case PCB_ENTRY_DIR:
		name = pcb_xasprintf("%s/", e->path);
		rc = write_header(p, name, NULL, '5', e->mode, 0);
		free(name);
		return rc;
	case PCB_ENTRY_SYMLINK:
	case PCB_ENTRY_HARDLINK:
		if (e->link == NULL || e->link[0] == '\0')
			return pcb_err_set(p->err, PCB_EINVAL, "%s: link without a target", e->path);
		return write_header(p, e->path, e->link, e->type == PCB_ENTRY_SYMLINK ? '2' : '1',
		    e->type == PCB_ENTRY_SYMLINK ? 0777 : e->mode, 0);
	}
	return pcb_err_set(p->err, PCB_EINTERNAL, "%s: unknown entry type %d", e->path,
	    (int)e->type);
}

/* The list must be finished: sorted, unique, relative paths. */
static int
check_list(const struct pcb_layer_list *l, struct pcb_err *err)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *path = l->v[i].path;
		if (path == NULL || path[0] == '\0' || path[0] == '/' ||
		    path[strlen(path) - 1] == '/')
			return pcb_err_set(err, PCB_EINVAL, "layer entry %zu has a bad path \"%s\"", i,
			    path != NULL ? path : "(null)");
		if (i > 0 && strcmp(l->v[i - 1].path, path) >= 0)
			return pcb_err_set(err, PCB_EINVAL, "layer entries not sorted at \"%s\" (call "
			    "pcb_layer_list_finish first)", path);
	}
	return 0;
}

const char *
pcb_layer_media_type(enum pcb_compression c)
{
	return c == PCB_COMPRESS_ZSTD ? PCB_MT_LAYER_ZSTD : PCB_MT_LAYER_GZIP;
}

/* Transitional: the single-threaded zlib packer keeps no pool (the parallel packer, which
 * needs libdeflate and libzstd on the link line, replaces it). */
void
pcb_layer_pool_shutdown(void)
{
}

int
pcb_layer_pack(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *opts, struct pcb_layer_result *res, struct pcb_err *err)
{
	static const struct pcb_layer_opts defaults;
	static const unsigned char trailer[2 * TAR_BLOCK];
	struct packer p;
	gz_header gzh;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char digest[PCB_DIGEST_BUFSZ], diff_id[PCB_DIGEST_BUFSZ];
	uint64_t size = 0;
	int level, rc;

	memset(&p, 0, sizeof p);
	p.opts = opts != NULL ? opts : &defaults;
	p.err = err;
	level = p.opts->gzip_level == 0 ? PCB_LAYER_GZIP_DEFAULT : p.opts->gzip_level;
	if (p.opts->compression != PCB_COMPRESS_GZIP) {
		rc = pcb_err_set(err, PCB_EUNSUPPORTED, "zstd layers need the parallel packer "
		    "(not built yet)");
		goto out;
	}
	if (p.opts->gzip_level > 9)
		level = 9;   /* zlib stops at 9; libdeflate's 10..12 come with the new packer */
	if (p.opts->gzip_level < 0 || p.opts->gzip_level > 12) {
		rc = pcb_err_set(err, PCB_EINVAL, "gzip level %d is not in 1..12", p.opts->gzip_level);
		goto out;
	}
	if (p.opts->mtime < 0 || (uint64_t)p.opts->mtime > USTAR_OCTAL11_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, "mtime %lld is out of range",
		    (long long)p.opts->mtime);
		goto out;
	}
	if ((rc = check_list(l, err)) != 0)
		goto out;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == PCB_ENTRY_FILE)
			p.total += l->v[i].size;

	p.tar_md = EVP_MD_CTX_new();
	p.gz_md = EVP_MD_CTX_new();
	if (p.tar_md == NULL || p.gz_md == NULL ||
	    EVP_DigestInit_ex(p.tar_md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(p.gz_md, EVP_sha256(), NULL) != 1) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "cannot initialise SHA-256");
		goto out;
	}
	/* windowBits 15+16: gzip wrapper; the header is fixed so the bytes depend only on the
	 * tar stream and the level. */
	if (deflateInit2(&p.z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "gzip: deflateInit2 failed");
		goto out;
	}
	p.z_ready = true;
	memset(&gzh, 0, sizeof gzh);
	gzh.time = 0;
	gzh.os = 255;
	if (deflateSetHeader(&p.z, &gzh) != Z_OK) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "gzip: deflateSetHeader failed");
		goto out;
	}
	p.zout = pcb_xmalloc(ZOUT_SIZE);
	p.rbuf = pcb_xmalloc(READ_CHUNK);
	if ((rc = pcb_store_writer_create(store, &p.w, err)) != 0)
		goto out;

	for (size_t i = 0; i < l->n; i++)
		if ((rc = pack_entry(&p, &l->v[i])) != 0)
			goto out;
	if ((rc = emit(&p, trailer, sizeof trailer)) != 0 || (rc = gz_run(&p, Z_FINISH)) != 0)
		goto out;
	progress(&p, true);

	if (EVP_DigestFinal_ex(p.tar_md, md, &mdlen) != 1 || mdlen != 32) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "SHA-256 final failed");
		goto out;
	}
	pcb_sha256_digest_str(md, diff_id);
	if (EVP_DigestFinal_ex(p.gz_md, md, &mdlen) != 1 || mdlen != 32) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "SHA-256 final failed");
		goto out;
	}
	pcb_sha256_digest_str(md, digest);
	/* The store hashes what it receives; passing our digest as the expected one checks
	 * that every compressed byte reached it. */
	rc = pcb_blob_writer_commit(p.w, PCB_MT_LAYER_GZIP, digest, NULL, &size, err);
	p.w = NULL;
	if (rc != 0)
		goto out;
	memset(res, 0, sizeof *res);
	memcpy(res->digest, digest, sizeof digest);
	memcpy(res->diff_id, diff_id, sizeof diff_id);
	res->size = size;
	res->tar_size = p.tar_size;
	res->media_type = PCB_MT_LAYER_GZIP;
	res->n_entries = l->n;
out:
	if (p.w != NULL)
		pcb_blob_writer_abort(p.w);
	if (p.z_ready)
		deflateEnd(&p.z);
	EVP_MD_CTX_free(p.tar_md);
	EVP_MD_CTX_free(p.gz_md);
	free(p.zout);
	free(p.rbuf);
	if (rc != 0)
		pcb_err_prefix(err, "packing layer");
	return rc;
}
