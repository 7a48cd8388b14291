/* layer.c — the layer packer: walks the build context into a list of entries, then streams
 * them as a deterministic POSIX tar through SHA-256 (diff_id), gzip (libdeflate, parallel
 * chunks) or zstd (libzstd, multi-threaded) and SHA-256 again (digest) into a blob writer,
 * one pass, a bounded number of chunks at a time. */
#include "image/layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pthread.h>

#include <libdeflate.h>
#include <openssl/evp.h>
/* For the shared thread pool (ZSTD_createThreadPool): in libzstd's "experimental" section,
 * exported by the shared library since 1.5. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#define LIST_MAX_ENTRIES 1000000
#define WALK_MAX_DEPTH 256
#define IMAGE_PATH_MAX 4096
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
	l->parallel_walk = false;
	l->as = NULL;
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
	bool parallel = l->parallel_walk;
	const struct pcb_cred *as = l->as;

	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->v[i]);
	free(l->v);
	pcb_layer_list_init(l);
	l->parallel_walk = parallel;
	l->as = as;
}

/* Appends e, taking ownership of its strings. */
static void
list_push(struct pcb_layer_list *l, const struct pcb_layer_entry *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = pcb_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n] = *e;
	if (l->v[l->n].as == NULL)
		l->v[l->n].as = l->as;
	l->n++;
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
	c.as = l->as;   /* callers fill entries field by field: the list's rights, never theirs */
	list_push(l, &c);
}

/*
 * The walk. A directory is read whole, its names sorted, and only then are its children
 * looked at, through the directory's descriptor (fstatat, readlinkat, openat: one path
 * component per lookup instead of the whole path each time). readdir's d_type spares the
 * lstat of directories and symlinks; regular files still get one, since their size, mode and
 * identity go into the entry (and from there into lcache's stat key, which then needs no
 * lstat of its own).
 *
 * Siblings are visited in the byte order of their image paths: a directory's own entry sorts
 * by its name, its contents by its name plus '/' (so "b.txt" and "b-x" come between the
 * directory "b" and "b/c"). A walk therefore adds its entries already sorted, and
 * pcb_layer_list_finish has little left to do.
 */

/* A growable path; s is NUL-terminated. */
struct pbuf {
	char *s;
	size_t len;
	size_t cap;
};

static void
pbuf_set(struct pbuf *b, const char *s, size_t n)
{
	if (n + 1 > b->cap) {
		b->cap = n + 1 > 256 ? n + 1 : 256;
		b->s = pcb_xrealloc(b->s, b->cap);
	}
	memcpy(b->s, s, n);
	b->s[n] = '\0';
	b->len = n;
}

/* Appends one name with a '/' between (none after an empty path or after a lone "/", as
 * pcb_path_join does). Returns the old length, for pbuf_cut. */
static size_t
pbuf_push(struct pbuf *b, const char *name, size_t n)
{
	size_t old = b->len, need = old + 1 + n + 1;
	bool slash = old > 0 && !(old == 1 && b->s[0] == '/');

	if (need > b->cap) {
		while (b->cap < need)
			b->cap = b->cap ? b->cap * 2 : 256;
		b->s = pcb_xrealloc(b->s, b->cap);
	}
	if (slash)
		b->s[b->len++] = '/';
	memcpy(b->s + b->len, name, n);
	b->len += n;
	b->s[b->len] = '\0';
	return old;
}

static void
pbuf_cut(struct pbuf *b, size_t len)
{
	b->len = len;
	b->s[len] = '\0';
}

static void
pbuf_free(struct pbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

struct walk {
	struct pcb_layer_list *l;
	pcb_layer_filter_fn filter;
	void *ud;
	struct pcb_err *err;
	/* The current directory's paths, grown and cut back in place as the walk goes. */
	struct pbuf host, rel, img;
	char *dents;      /* DENTS_BUF bytes for getdents64, shared by every directory */
};

/* The walk's three paths extended by one child's name (walk_enter), and cut back to where
 * they were (walk_leave). */
struct wmark {
	size_t host, rel, img;
};

static struct wmark
walk_enter(struct walk *w, const char *name, size_t len)
{
	struct wmark m;

	m.host = pbuf_push(&w->host, name, len);
	m.rel = pbuf_push(&w->rel, name, len);
	m.img = pbuf_push(&w->img, name, len);
	return m;
}

static void
walk_leave(struct walk *w, struct wmark m)
{
	pbuf_cut(&w->host, m.host);
	pbuf_cut(&w->rel, m.rel);
	pbuf_cut(&w->img, m.img);
}


/* Reads the target of symlink name in dirfd (AT_FDCWD: name is a path), of any length up to
 * 64 KiB, without following it. host names it in messages. */
static int
read_link(int dirfd, const char *name, const char *host, char **out, struct pcb_err *err)
{
	char small[4096], *buf = small;
	size_t cap = sizeof small;
	ssize_t n;
	int rc = 0;

	*out = NULL;
	for (;;) {
		n = readlinkat(dirfd, name, buf, cap);
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
		buf = pcb_xrealloc(buf == small ? NULL : buf, cap);
	}
	*out = pcb_xstrndup(buf, (size_t)n);
out:
	if (buf != small)
		free(buf);
	return rc;
}

/* Room for one more entry, and a path in the image ustar/PAX can take. */
static int
check_room(struct walk *w, const char *host, size_t img_len)
{
	if (w->l->n >= LIST_MAX_ENTRIES)
		return pcb_err_set(w->err, PCB_ETOOBIG, "more than %d files in one layer",
		    LIST_MAX_ENTRIES);
	if (img_len > IMAGE_PATH_MAX)
		return pcb_err_set(w->err, PCB_ETOOBIG, "%s: path in the image is longer than %d "
		    "bytes", host, IMAGE_PATH_MAX);
	return 0;
}

/* The entry of a regular file from its lstat. */
static void
file_entry(struct pcb_layer_entry *e, const struct stat *st)
{
	e->type = PCB_ENTRY_FILE;
	e->mode = (st->st_mode & 0111) ? 0755 : 0644;
	e->size = (uint64_t)st->st_size;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->nlink = (uint32_t)st->st_nlink;
	e->have_stat = true;
	e->host_mode = st->st_mode;
	e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	e->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

/* What the walk does with a child. */
enum child_kind {
	CK_SKIP = 0,      /* a socket, fifo or device, or filtered out */
	CK_FILE,
	CK_DIR,           /* the directory's own entry */
	CK_DESCEND,       /* its contents: sorts as name + '/' */
	CK_SYMLINK,
};

struct child {
	const char *name;         /* in the directory's name arena */
	size_t off;               /* offset of name there, while the arena may still move */
	size_t len;
	unsigned char d_type;
	enum child_kind kind;
	struct stat st;           /* CK_FILE */
	char *link;               /* CK_SYMLINK, owned until the entry takes it */
};

/* Byte order of name, or of name + '/' for CK_DESCEND. */
static int
cmp_child(const void *a, const void *b)
{
	const struct child *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r = memcmp(x->name, y->name, n);
	unsigned cx, cy;

	if (r != 0)
		return r;
	cx = x->len > n ? (unsigned char)x->name[n] : x->kind == CK_DESCEND ? '/' : 0;
	cy = y->len > n ? (unsigned char)y->name[n] : y->kind == CK_DESCEND ? '/' : 0;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	/* Same name: the directory's entry before its contents. */
	return (x->kind == CK_DESCEND) - (y->kind == CK_DESCEND);
}

/* Directories deeper than this give up their descriptor while their subdirectories are
 * walked (which are then opened by path), so one walk holds at most this many open. */
#define WALK_FD_DEPTH 32
#define DENTS_BUF ((size_t)32 << 10)

static int walk_dir(struct walk *w, int fd, int depth);

/* Reads every name of the directory open as fd (but "." and ".."), in no particular order,
 * into one arena of names. getdents64 straight into the walk's buffer: a DIR stream per
 * directory would cost an allocation and two fcntl calls each, on thousands of directories. */
static int
read_names(struct walk *w, int fd, struct child **out, size_t *nout, char **arena_out)
{
	struct child *v = NULL;
	size_t n = 0, cap = 0, alen = 0, acap = 0;
	char *arena = NULL;
	ssize_t got;
	int rc = 0;

	if (w->dents == NULL)
		w->dents = pcb_xmalloc(DENTS_BUF);
	while ((got = getdents64(fd, w->dents, DENTS_BUF)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = pcb_err_errno(w->err, errno, "reading directory %s", w->host.s);
			break;
		}
		for (size_t o = 0; o < (size_t)got; ) {
			const struct dirent64 *de = (const struct dirent64 *)(w->dents + o);
			size_t len = strlen(de->d_name);

			o += de->d_reclen;
			if (de->d_name[0] == '.' && (len == 1 || (len == 2 && de->d_name[1] == '.')))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				v = pcb_xrealloc(v, cap * sizeof *v);
			}
			if (alen + len + 1 > acap) {
				while (alen + len + 1 > acap)
					acap = acap ? acap * 2 : 4096;
				arena = pcb_xrealloc(arena, acap);
			}
			memcpy(arena + alen, de->d_name, len + 1);
			memset(&v[n], 0, sizeof v[n]);
			v[n].off = alen;
			v[n].len = len;
			v[n].d_type = de->d_type;
			n++;
			alen += len + 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		v[i].name = arena + v[i].off;
	*out = v;
	*nout = n;
	*arena_out = arena;
	return rc;
}

/* Classifies one child (looking at it through the directory's descriptor) and applies the
 * filter. May add a CK_DESCEND twin at *extra. */
static int
classify(struct walk *w, int dfd, struct child *c, bool *extra)
{
	size_t h, r;
	bool is_dir, statted = false, keep;
	int rc = 0;

	*extra = false;
	c->kind = CK_SKIP;
	h = pbuf_push(&w->host, c->name, c->len);
	/* d_type decides for the filter; only an unknown type costs an lstat up front. Files
	 * get theirs after the filter, so what it leaves out is never looked at. */
	if (c->d_type == DT_DIR)
		c->kind = CK_DIR;
	else if (c->d_type == DT_LNK)
		c->kind = CK_SYMLINK;
	else if (c->d_type == DT_REG)
		c->kind = CK_FILE;
	for (;;) {
		if (c->kind == CK_SKIP && !statted && c->d_type == DT_UNKNOWN) {
			if (fstatat(dfd, c->name, &c->st, AT_SYMLINK_NOFOLLOW) != 0) {
				rc = pcb_err_errno(w->err, errno, "reading %s", w->host.s);
				goto out;
			}
			statted = true;
			c->kind = S_ISREG(c->st.st_mode) ? CK_FILE : S_ISDIR(c->st.st_mode) ? CK_DIR :
			    S_ISLNK(c->st.st_mode) ? CK_SYMLINK : CK_SKIP;
		}
		/* Sockets, fifos and devices have no place in an image layer: skipped. */
		if (c->kind == CK_SKIP)
			goto out;
		is_dir = c->kind == CK_DIR;
		if (w->filter != NULL) {
			r = pbuf_push(&w->rel, c->name, c->len);
			keep = w->filter(w->ud, w->rel.s, is_dir);
			pbuf_cut(&w->rel, r);
			if (!keep) {
				c->kind = CK_SKIP;
				goto out;
			}
		}
		if (c->kind != CK_FILE || statted)
			break;
		if (fstatat(dfd, c->name, &c->st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = pcb_err_errno(w->err, errno, "reading %s", w->host.s);
			goto out;
		}
		statted = true;
		if (S_ISREG(c->st.st_mode))
			break;
		/* Replaced since readdir: judge it again as what it is now. */
		c->kind = S_ISDIR(c->st.st_mode) ? CK_DIR : S_ISLNK(c->st.st_mode) ? CK_SYMLINK :
		    CK_SKIP;
	}
	if (c->kind == CK_SYMLINK && (rc = read_link(dfd, c->name, w->host.s, &c->link,
	    w->err)) != 0) {
		c->kind = CK_SKIP;
		goto out;
	}
	*extra = is_dir;
out:
	pbuf_cut(&w->host, h);
	return rc;
}

/* Adds the entry of one child (the current host/img paths already name it). */
static int
push_child(struct walk *w, struct child *c)
{
	struct pcb_layer_entry e;
	int rc;

	if ((rc = check_room(w, w->host.s, w->img.len)) != 0)
		return rc;
	memset(&e, 0, sizeof e);
	switch (c->kind) {
	case CK_FILE:
		file_entry(&e, &c->st);
		break;
	case CK_DIR:
		e.type = PCB_ENTRY_DIR;
		e.mode = 0755;
		break;
	case CK_SYMLINK:
		e.type = PCB_ENTRY_SYMLINK;
		e.mode = 0777;
		e.link = c->link;
		c->link = NULL;
		break;
	default:
		return 0;
	}
	e.path = pcb_xstrndup(w->img.s, w->img.len);
	e.src = pcb_xstrndup(w->host.s, w->host.len);
	list_push(w->l, &e);
	return 0;
}

/* ---- the parallel walk ----
 *
 * At the top directory of a pcb_layer_list_add (list->parallel_walk), the subdirectories are
 * walked by a few threads at once, each into a list of its own, taking the next one in
 * sorted order as it becomes free; the calling thread then appends the files of the top
 * directory and those lists in the order a single walk would have made. The walk is mostly
 * the kernel's work (getdents64, fstatat path lookups), which runs on every core. */

#define WALK_THREADS_MAX 4

struct pjob {
	const char *name;             /* the subdirectory, in the parent's arena */
	char *host, *rel, *img;       /* its paths */
	struct pcb_layer_list sub;
	struct pcb_err err;
	int rc;
};

struct pwalk {
	struct pjob *jobs;
	size_t n;
	atomic_size_t next;
	atomic_int failed;
	int dfd;                      /* the top directory: openat from any thread */
	pcb_layer_filter_fn filter;
	void *ud;
};

static void *
pwalk_worker(void *arg)
{
	struct pwalk *pw = arg;
	size_t i;

	while (!atomic_load(&pw->failed) && (i = atomic_fetch_add(&pw->next, 1)) < pw->n) {
		struct pjob *j = &pw->jobs[i];
		struct pcb_cred_saved saved;
		struct walk w;
		int cfd;

		/* This thread walks with the caller's rights too (they are per thread). */
		if ((j->rc = pcb_cred_enter(j->sub.as, &saved, &j->err)) != 0) {
			atomic_store(&pw->failed, 1);
			break;
		}
		memset(&w, 0, sizeof w);
		w.l = &j->sub;
		w.filter = pw->filter;
		w.ud = pw->ud;
		w.err = &j->err;
		pbuf_set(&w.host, j->host, strlen(j->host));
		pbuf_set(&w.rel, j->rel, strlen(j->rel));
		pbuf_set(&w.img, j->img, strlen(j->img));
		cfd = openat(pw->dfd, j->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			j->rc = pcb_err_errno(&j->err, errno, "opening directory %s", j->host);
		else
			j->rc = walk_dir(&w, cfd, 1);
		free(w.dents);
		pbuf_free(&w.host);
		pbuf_free(&w.rel);
		pbuf_free(&w.img);
		pcb_cred_leave(&saved);
		if (j->rc != 0)
			atomic_store(&pw->failed, 1);
	}
	return NULL;
}

static unsigned
walk_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > WALK_THREADS_MAX ? WALK_THREADS_MAX : (unsigned)n;
}

/* The subdirectories among v[0..nv) (sorted, classified) walked in parallel; then every
 * child's entries appended in order. */
static int
walk_top_parallel(struct walk *w, int fd, struct child *v, size_t nv, size_t ndesc)
{
	struct pwalk pw;
	pthread_t th[WALK_THREADS_MAX];
	unsigned nth = walk_threads(), started = 0;
	size_t k = 0;
	int rc = 0;

	memset(&pw, 0, sizeof pw);
	pw.jobs = pcb_xcalloc(ndesc, sizeof *pw.jobs);
	pw.n = ndesc;
	atomic_init(&pw.next, 0);
	atomic_init(&pw.failed, 0);
	pw.dfd = fd;
	pw.filter = w->filter;
	pw.ud = w->ud;
	for (size_t i = 0; i < nv; i++) {
		struct child *c = &v[i];
		struct wmark m;
		if (c->kind != CK_DESCEND)
			continue;
		m = walk_enter(w, c->name, c->len);
		pw.jobs[k].name = c->name;
		pw.jobs[k].host = pcb_xstrndup(w->host.s, w->host.len);
		pw.jobs[k].rel = pcb_xstrndup(w->rel.s, w->rel.len);
		pw.jobs[k].img = pcb_xstrndup(w->img.s, w->img.len);
		pcb_layer_list_init(&pw.jobs[k].sub);
		pw.jobs[k].sub.as = w->l->as;
		pcb_err_clear(&pw.jobs[k].err);
		k++;
		walk_leave(w, m);
	}
	for (unsigned t = 1; t < nth && t <= ndesc; t++) {
		if (pthread_create(&th[started], NULL, pwalk_worker, &pw) != 0)
			break;
		started++;
	}
	(void)pwalk_worker(&pw);
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);

	/* In the order one thread would have made them; the first failure in that order is
	 * the one reported. */
	k = 0;
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		struct child *c = &v[i];
		struct wmark m;
		if (c->kind == CK_SKIP)
			continue;
		if (c->kind == CK_DESCEND) {
			/* Jobs start in this order and stop only after a failure, so a job that never
			 * ran comes after a failed one, where this loop has already stopped. */
			struct pjob *j = &pw.jobs[k++];
			if (j->rc != 0) {
				rc = j->rc;
				*w->err = j->err;
				break;
			}
			if (w->l->n + j->sub.n > LIST_MAX_ENTRIES) {
				rc = pcb_err_set(w->err, PCB_ETOOBIG, "more than %d files in one layer",
				    LIST_MAX_ENTRIES);
				break;
			}
			for (size_t e = 0; e < j->sub.n; e++)
				list_push(w->l, &j->sub.v[e]);
			free(j->sub.v);
			pcb_layer_list_init(&j->sub);
			continue;
		}
		m = walk_enter(w, c->name, c->len);
		rc = push_child(w, c);
		walk_leave(w, m);
	}
	for (size_t i = 0; i < ndesc; i++) {
		pcb_layer_list_free(&pw.jobs[i].sub);
		free(pw.jobs[i].host);
		free(pw.jobs[i].rel);
		free(pw.jobs[i].img);
	}
	free(pw.jobs);
	return rc;
}

/* Walks the directory open as fd (taken: closed here), whose paths are in w->host/rel/img
 * and which is depth levels below the walk's root. */
static int
walk_dir(struct walk *w, int fd, int depth)
{
	struct child *v = NULL;
	size_t n = 0, nv = 0;
	char *arena = NULL;
	int rc = 0;

	if (depth >= WALK_MAX_DEPTH) {
		rc = pcb_err_set(w->err, PCB_ETOOBIG, "%s: directories nested deeper than %d",
		    w->host.s, WALK_MAX_DEPTH);
		goto out;
	}
	rc = read_names(w, fd, &v, &n, &arena);
	nv = n;
	if (rc != 0)
		goto out;
	/* Look at every child first; a directory gets a second record for its contents. */
	for (size_t i = 0; i < n; i++) {
		bool extra;
		if ((rc = classify(w, fd, &v[i], &extra)) != 0)
			goto out;
		if (extra) {
			if (nv == n) {
				/* Room for a twin of every child at most. */
				v = pcb_xrealloc(v, 2 * n * sizeof *v);
			}
			v[nv] = v[i];
			v[nv].kind = CK_DESCEND;
			nv++;
		}
	}
	if (nv > 1)
		qsort(v, nv, sizeof *v, cmp_child);
	if (depth == 0 && w->l->parallel_walk && nv - n >= 2 && walk_threads() > 1) {
		rc = walk_top_parallel(w, fd, v, nv, nv - n);
		goto out;
	}
	if (depth + 1 >= WALK_FD_DEPTH) {
		close(fd);
		fd = -1;
	}
	for (size_t i = 0; rc == 0 && i < nv; i++) {
		struct child *c = &v[i];
		struct wmark m;
		int cfd;

		if (c->kind == CK_SKIP)
			continue;
		m = walk_enter(w, c->name, c->len);
		if (c->kind != CK_DESCEND) {
			rc = push_child(w, c);
		} else {
			/* O_NOFOLLOW: a directory swapped for a symlink since it was read is not
			 * followed. */
			cfd = fd >= 0 ? openat(fd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC) : open(w->host.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
			if (cfd < 0)
				rc = pcb_err_errno(w->err, errno, "opening directory %s", w->host.s);
			else
				rc = walk_dir(w, cfd, depth + 1);
		}
		walk_leave(w, m);
	}
out:
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < nv; i++)
		free(v[i].link);
	free(v);
	free(arena);
	return rc;
}

/* The root of one pcb_layer_list_add: a file, a symlink or a directory, with its stat
 * (lstat unless the context root itself was followed: then it is not the identity of what
 * the packer will open, and the entry does not carry it). */
static int
walk_root(struct walk *w, const struct stat *st, bool is_lstat)
{
	struct pcb_layer_entry e;
	int fd, rc;

	if ((rc = check_room(w, w->host.s, w->img.len)) != 0)
		return rc;
	memset(&e, 0, sizeof e);
	if (S_ISREG(st->st_mode)) {
		file_entry(&e, st);
		e.have_stat = is_lstat;
	} else if (S_ISDIR(st->st_mode)) {
		/* The image root itself ("" when adding the context at "/") has no entry. */
		if (w->img.len > 0) {
			e.type = PCB_ENTRY_DIR;
			e.mode = 0755;
		}
		fd = open(w->host.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (is_lstat ? O_NOFOLLOW : 0));
		if (fd < 0)
			return pcb_err_errno(w->err, errno, "opening directory %s", w->host.s);
		if (w->img.len > 0) {
			e.path = pcb_xstrndup(w->img.s, w->img.len);
			e.src = pcb_xstrndup(w->host.s, w->host.len);
			list_push(w->l, &e);
		}
		/* Its children are named as pcb_path_join would: no doubled '/'. */
		while (w->host.len > 1 && w->host.s[w->host.len - 1] == '/')
			pbuf_cut(&w->host, w->host.len - 1);
		return walk_dir(w, fd, 0);
	} else if (S_ISLNK(st->st_mode)) {
		if ((rc = read_link(AT_FDCWD, w->host.s, w->host.s, &e.link, w->err)) != 0)
			return rc;
		e.type = PCB_ENTRY_SYMLINK;
		e.mode = 0777;
	} else {
		/* Sockets, fifos and devices have no place in an image layer: skipped. */
		return 0;
	}
	e.path = pcb_xstrndup(w->img.s, w->img.len);
	e.src = pcb_xstrndup(w->host.s, w->host.len);
	list_push(w->l, &e);
	return 0;
}

int
pcb_layer_list_add(struct pcb_layer_list *l, const char *context_root, const char *rel,
    const char *dst_prefix, pcb_layer_filter_fn filter, void *ud, struct pcb_err *err)
{
	struct walk w;
	struct pcb_cred_saved saved;
	char *nrel, *nprefix, *host = NULL, *img = NULL;
	bool dd1, dd2;
	struct stat st;
	int rc = 0;

	/* The whole walk with the rights of whoever the files are added for: a folder they may
	 * not read fails here with the OS's reason, as it would for them. */
	if ((rc = pcb_cred_enter(l->as, &saved, err)) != 0)
		return rc;
	memset(&w, 0, sizeof w);
	w.l = l;
	w.filter = filter;
	w.ud = ud;
	w.err = err;
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
	pbuf_set(&w.host, host, strlen(host));
	pbuf_set(&w.rel, nrel, strlen(nrel));
	pbuf_set(&w.img, img, strlen(img));
	rc = walk_root(&w, &st, nrel[0] != '\0');
out:
	free(w.dents);
	pbuf_free(&w.host);
	pbuf_free(&w.rel);
	pbuf_free(&w.img);
	free(nrel);
	free(nprefix);
	free(host);
	free(img);
	pcb_cred_leave(&saved);
	return rc;
}

/* ---- finishing: sort, parents, duplicates, hard links ---- */

static int
cmp_path(const struct pcb_layer_entry *a, const struct pcb_layer_entry *b)
{
	return strcmp(a->path, b->path);
}

/* Stable natural merge sort of pointers by path: the runs a list already has (one per walk,
 * each sorted) are found in one pass and merged, so a sorted list costs n comparisons and a
 * list of k walks about n log k. Stability keeps equal paths in list order ("first wins"). */
static void
sort_ptrs(struct pcb_layer_entry **a, size_t n)
{
	struct pcb_layer_entry **b = pcb_xmalloc(n * sizeof *b), **src = a, **dst = b, **t;
	size_t *runs = pcb_xmalloc((n + 1) * sizeof *runs), nr = 0;

	/* runs[k] is where run k starts; runs[nr] == n. */
	for (size_t i = 0; i < n; i++)
		if (i == 0 || cmp_path(a[i - 1], a[i]) > 0)
			runs[nr++] = i;
	runs[nr] = n;
	while (nr > 1) {
		size_t w = 0;

		for (size_t k = 0; k < nr; k += 2) {
			size_t lo = runs[k], mid = runs[k + 1], hi = k + 2 <= nr ? runs[k + 2] : n;
			size_t i = lo, j = mid, o = lo;

			if (k + 1 >= nr) {
				/* An odd run out: copied as it is. */
				memcpy(dst + lo, src + lo, (mid - lo) * sizeof *dst);
				runs[w++] = lo;
				continue;
			}
			while (i < mid && j < hi)
				dst[o++] = cmp_path(src[j], src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[o++] = src[i++];
			while (j < hi)
				dst[o++] = src[j++];
			runs[w++] = lo;
		}
		runs[w] = n;
		nr = w;
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	free(b);
	free(runs);
}

static void
sort_dedupe(struct pcb_layer_list *l)
{
	struct pcb_layer_entry **ptrs, *nv;
	size_t n = 0;
	bool sorted = true;

	for (size_t i = 1; sorted && i < l->n; i++)
		sorted = cmp_path(&l->v[i - 1], &l->v[i]) < 0;
	if (sorted)
		return;   /* sorted and without duplicates: nothing to do */
	ptrs = pcb_xmalloc(l->n * sizeof *ptrs);
	for (size_t i = 0; i < l->n; i++)
		ptrs[i] = &l->v[i];
	sort_ptrs(ptrs, l->n);
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

/* Adds a directory entry for every missing ancestor of every path; the list is sorted and
 * unique. */
static void
add_parents(struct pcb_layer_list *l)
{
	size_t n0 = l->n;
	/* Ancestors of the entry being looked at that are known to be in the list (given or
	 * made up), outermost first. The list is sorted, so everything under one path is
	 * contiguous and follows it: most entries find all their ancestors here and need no
	 * search. The strings are the entries' own, which do not move when l->v grows. */
	struct anc {
		const char *p;
		size_t len;
	} *stack = NULL;
	size_t sn = 0, scap = 0;

	for (size_t i = 0; i < n0; i++) {
		const char *p = l->v[i].path;
		size_t from;

		while (sn > 0 && !is_ancestor(stack[sn - 1].p, stack[sn - 1].len, p))
			sn--;
		from = sn > 0 ? stack[sn - 1].len + 1 : 0;
		for (const char *s = strchr(p + from, '/'); ; s = strchr(s + 1, '/')) {
			size_t la = s != NULL ? (size_t)(s - p) : strlen(p);
			const char *known = p;

			if (s != NULL) {
				char *pre = pcb_xstrndup(p, la);
				const struct pcb_layer_entry *f = bsearch(pre, l->v, n0, sizeof *l->v,
				    cmp_path_key);

				if (f != NULL) {
					known = f->path;
					free(pre);
				} else {
					struct pcb_layer_entry e;
					memset(&e, 0, sizeof e);
					e.type = PCB_ENTRY_DIR;
					e.mode = 0755;
					e.path = pre;
					known = pre;
					list_push(l, &e);
				}
			}
			if (sn == scap) {
				scap = scap ? scap * 2 : 32;
				stack = pcb_xrealloc(stack, scap * sizeof *stack);
			}
			stack[sn].p = known;
			stack[sn].len = la;
			sn++;
			if (s == NULL)
				break;
		}
	}
	free(stack);
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
	size_t n;

	sort_dedupe(l);
	n = l->n;
	add_parents(l);
	/* Made-up parents were appended: one more sorted run to merge in. */
	if (l->n != n)
		sort_dedupe(l);
	link_hardlinks(l);
}

/* ---- packing ---- */

/*
 * Why chunks, and which level. The tar stream is cut at fixed offsets (PCB_LAYER_CHUNK) and
 * every chunk becomes one complete gzip member (RFC 1952 allows members to be concatenated;
 * gzip, zlib's inflate in a loop, Go's compress/gzip as used by containerd, umoci and skopeo
 * all read them). Members are independent, so threads compress them in any order and the
 * bytes still depend only on the tar and the level. libdeflate compresses a whole buffer at
 * about 2.4x the speed of zlib at the same ratio.
 *
 * Measured on the pyenv site-packages tree (38,534 files, 386 MB of tar), libdeflate, one
 * thread, 1 MiB chunks (ratio = compressed / tar; zlib -6 for reference: 10.5 s, 0.272):
 *     level 1: 148 MB/s  0.294      level 6:  86-95 MB/s  0.270
 *     level 4: 128 MB/s  0.278      level 9:  15 MB/s     0.266
 * Chunk size at level 6: 256 KiB 0.272, 1 MiB 0.270, 4 MiB 0.269; 1 MiB keeps the ratio and
 * bounds memory (2 x workers chunks in flight). The whole pack (tar walk and read, both
 * hashes, two workers; on a shared 2-core machine, so +-20%; peak RSS about 30 MB):
 *     gzip 1: 1.4 s 0.295   gzip 4: 2.0 s 0.279   gzip 5: 2.2 s 0.274
 *     gzip 6: 2.5-2.7 s 0.271 (one worker: 4.1 s)   gzip 9: 8.5 s 0.268
 *     `tar | sha256sum | pigz -p2 -6 | sha256sum` in the same runs: 6.0-9.2 s
 *     zstd 1: 1.0 s 0.283   zstd 3: 1.1 s 0.250   zstd 6: 2.4 s 0.228
 * Measured again side by side (3 interleaved runs each, with the fingerprint hash on):
 *     gzip 6: 2.84-3.25 s 0.2713      gzip 5: 2.24-2.46 s 0.2739
 * and on the same tree without __pycache__ (237 MB of tar, what a venv layer holds):
 *     gzip 6: 1.68-1.80 s 0.2517      gzip 5: 1.34-1.47 s 0.2545      gzip 4: 1.18-1.45 s 0.2586
 * Level 5 is the gzip default: about 22% less time than 6 for 1% more bytes, where level 4
 * saves little more and is only just under a 0.28 ratio. zstd defaults to 3.
 */

#define POOL_MAX_THREADS 16
/* libzstd's job size, set rather than left to its level-dependent default (8 MiB at level 3)
 * so the bytes do not move with a libzstd default, and to bound memory: at level 3 on the
 * tree above, 4 MiB jobs gave ratio 0.2498 and 59 MB peak RSS; 8 MiB 0.2493 and 86 MB. Part
 * of the output format, like PCB_LAYER_CHUNK. */
#define ZSTD_JOB_SIZE (4 << 20)
#define GZ_HEADER 10
#define GZ_TRAILER 8
#define SMALL_BUF 4096

/* One chunk of tar and, once a worker is done with it, its gzip member. */
struct slot {
	unsigned char *in;        /* PCB_LAYER_CHUNK bytes */
	size_t len;
	unsigned char *out;       /* allocated by the first worker that compresses into it */
	size_t out_cap;
	size_t out_len;           /* 0 after compression = failure */
	bool done;                /* guarded by pool.mu */
};

struct packer {
	/* Chunk ring, shared with the pool under pool.mu. Chunks are numbered in tar order;
	 * chunk k lives in slots[k % nslots]. head <= take <= submitted, and
	 * submitted - head <= nslots: [head, take) are being compressed or done, [take,
	 * submitted) wait for a worker. */
	struct packer *next, *prev;   /* in the pool's list while registered */
	bool registered;
	struct slot *slots;
	size_t nslots;
	uint64_t head;                /* next chunk to write (only the packing thread moves it) */
	uint64_t take;                /* next chunk a worker takes */
	uint64_t submitted;           /* chunks handed to the pool */
	int running;                  /* workers busy with chunks of this pack */
	int cap;                      /* at most this many at once */
	int level;
	pthread_cond_t cond;          /* the packing thread waits here for its chunks */
	bool cond_ready;

	/* The packing thread's own state. */
	const struct pcb_layer_opts *opts;
	struct slot *cur;             /* chunk being filled, NULL between chunks */
	ZSTD_CCtx *zc;                /* zstd only: libzstd runs its own jobs */
	unsigned char *zout;
	size_t zout_cap;
	struct pcb_blob_writer *w;
	EVP_MD_CTX *tar_md;
	EVP_MD_CTX *file_md;          /* only when opts->file_digest is set */
	unsigned char small[SMALL_BUF];
	uint64_t tar_size;
	uint64_t out_size;
	uint64_t done;
	uint64_t total;
	uint64_t last_progress;
	struct pcb_err *err;
};

/* The process-wide compression pool: threads start with the first gzip pack, one per online
 * CPU (capped), and serve every pack in round robin, so concurrent builds share the cores
 * instead of each starting its own threads. zstd packs hand their jobs to one shared libzstd
 * pool of the same size. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;          /* idle workers wait here */
	pthread_t threads[POOL_MAX_THREADS];
	int nthreads;
	bool stop;
	struct packer *first, *last;
	ZSTD_threadPool *zpool;
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER };
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void
pool_prefork(void)
{
	pthread_mutex_lock(&pool.mu);
}

static void
pool_postfork_parent(void)
{
	pthread_mutex_unlock(&pool.mu);
}

/* A forked child has none of the pool's threads: forget them (and libzstd's pool, which
 * cannot be freed without its threads) so the next pack starts afresh. */
static void
pool_postfork_child(void)
{
	pool.nthreads = 0;
	pool.stop = false;
	pool.first = pool.last = NULL;
	pool.zpool = NULL;
	pthread_cond_init(&pool.work, NULL);
	pthread_mutex_unlock(&pool.mu);
}

static void
pool_once_init(void)
{
	pthread_atfork(pool_prefork, pool_postfork_parent, pool_postfork_child);
}

static int
pool_size(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > POOL_MAX_THREADS ? POOL_MAX_THREADS : (int)n;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* One complete gzip member: fixed header (no name, mtime 0, XFL 0, OS 255), raw deflate,
 * CRC-32 and size. Runs on a pool thread; the slot is the worker's until done is set. */
static void
gzip_member(struct libdeflate_compressor *c, struct slot *s)
{
	static const unsigned char hdr[GZ_HEADER] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 };
	size_t n;

	if (s->out == NULL) {
		s->out_cap = GZ_HEADER + libdeflate_deflate_compress_bound(c, PCB_LAYER_CHUNK) +
		    GZ_TRAILER;
		s->out = pcb_xmalloc(s->out_cap);
	}
	memcpy(s->out, hdr, GZ_HEADER);
	n = libdeflate_deflate_compress(c, s->in, s->len, s->out + GZ_HEADER,
	    s->out_cap - GZ_HEADER - GZ_TRAILER);
	if (n == 0) {
		s->out_len = 0;
		return;
	}
	put_le32(s->out + GZ_HEADER + n, libdeflate_crc32(0, s->in, s->len));
	put_le32(s->out + GZ_HEADER + n + 4, (uint32_t)s->len);
	s->out_len = GZ_HEADER + n + GZ_TRAILER;
}

static void
pool_unlink(struct packer *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		pool.first = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		pool.last = p->prev;
	p->next = p->prev = NULL;
}

static void
pool_append(struct packer *p)
{
	p->prev = pool.last;
	p->next = NULL;
	if (pool.last != NULL)
		pool.last->next = p;
	else
		pool.first = p;
	pool.last = p;
}

static void *
pool_worker(void *arg)
{
	/* One compressor per level this thread has been asked for (libdeflate compressors are
	 * not shared between threads). */
	struct libdeflate_compressor *comp[13] = { NULL };

	(void)arg;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		struct packer *p;
		struct slot *s;
		int level;

		if (pool.stop)
			break;
		for (p = pool.first; p != NULL; p = p->next)
			if (p->take < p->submitted && p->running < p->cap)
				break;
		if (p == NULL) {
			pthread_cond_wait(&pool.work, &pool.mu);
			continue;
		}
		s = &p->slots[p->take++ % p->nslots];
		p->running++;
		level = p->level;
		/* Round robin: the pack just served goes to the back of the line. */
		pool_unlink(p);
		pool_append(p);
		pthread_mutex_unlock(&pool.mu);
		if (comp[level] == NULL && (comp[level] = libdeflate_alloc_compressor(level)) == NULL)
			abort();   /* allocation failure aborts (DESIGN.md) */
		gzip_member(comp[level], s);
		pthread_mutex_lock(&pool.mu);
		s->done = true;
		p->running--;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&pool.mu);
	for (size_t i = 0; i < PCB_ARRAY_LEN(comp); i++)
		libdeflate_free_compressor(comp[i]);
	return NULL;
}

/* Starts the threads if none run. Called with pool.mu held. */
static int
pool_start_locked(struct pcb_err *err)
{
	int want = pool_size(), rc;

	if (pool.nthreads > 0)
		return 0;
	pool.stop = false;
	for (int i = 0; i < want; i++) {
		if ((rc = pthread_create(&pool.threads[i], NULL, pool_worker, NULL)) != 0) {
			if (i > 0)
				break;   /* fewer threads than CPUs still works */
			return pcb_err_errno(err, rc, "starting compression threads");
		}
		pool.nthreads = i + 1;
	}
	return 0;
}

void
pcb_layer_pool_shutdown(void)
{
	int n;

	pthread_mutex_lock(&pool.mu);
	pool.stop = true;
	pthread_cond_broadcast(&pool.work);
	n = pool.nthreads;
	pthread_mutex_unlock(&pool.mu);
	for (int i = 0; i < n; i++)
		pthread_join(pool.threads[i], NULL);
	pthread_mutex_lock(&pool.mu);
	pool.nthreads = 0;
	pool.stop = false;
	ZSTD_freeThreadPool(pool.zpool);
	pool.zpool = NULL;
	pthread_mutex_unlock(&pool.mu);
}

/* Registers a gzip pack with the pool (starting it if needed) and sizes its ring. */
static int
pool_join(struct packer *p, struct pcb_err *err)
{
	int rc;

	pthread_once(&pool_once, pool_once_init);
	pthread_mutex_lock(&pool.mu);
	if ((rc = pool_start_locked(err)) == 0) {
		if (p->cap <= 0 || p->cap > pool.nthreads)
			p->cap = pool.nthreads;
		pool_append(p);
		p->registered = true;
	}
	pthread_mutex_unlock(&pool.mu);
	return rc;
}

/* Unregisters the pack and waits until no worker touches its slots any more. */
static void
pool_leave(struct packer *p)
{
	if (!p->registered)
		return;
	pthread_mutex_lock(&pool.mu);
	pool_unlink(p);
	p->registered = false;
	while (p->running > 0)
		pthread_cond_wait(&p->cond, &pool.mu);
	pthread_mutex_unlock(&pool.mu);
}

static ZSTD_threadPool *
zstd_pool(void)
{
	ZSTD_threadPool *zp;

	pthread_once(&pool_once, pool_once_init);
	pthread_mutex_lock(&pool.mu);
	if (pool.zpool == NULL)
		pool.zpool = ZSTD_createThreadPool((size_t)pool_size());
	zp = pool.zpool;
	pthread_mutex_unlock(&pool.mu);
	return zp;
}

/* Hands compressed bytes to the store writer, which hashes them (the layer digest). */
static int
write_out(struct packer *p, const void *data, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	if ((rc = pcb_blob_writer_write(p->w, data, n, p->err)) != 0)
		return rc;
	p->out_size += n;
	return 0;
}

static int
zstd_feed(struct packer *p, const void *data, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { data, n, 0 };
	int rc;

	for (;;) {
		ZSTD_outBuffer out = { p->zout, p->zout_cap, 0 };
		size_t left = ZSTD_compressStream2(p->zc, &out, &in, end);

		if (ZSTD_isError(left))
			return pcb_err_set(p->err, PCB_EINTERNAL, "zstd: %s", ZSTD_getErrorName(left));
		if ((rc = write_out(p, p->zout, out.pos)) != 0)
			return rc;
		if (end == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

/* Writes the head chunk's gzip member. The slot is done: no worker touches it. */
static int
write_head(struct packer *p, struct slot *s)
{
	if (s->out_len == 0)
		return pcb_err_set(p->err, PCB_EINTERNAL, "gzip: compression of a chunk failed");
	return write_out(p, s->out, s->out_len);
}

/* Writes finished chunks in order; with `all`, waits for every submitted chunk, else only
 * until a slot is free for the next one. */
static int
drain(struct packer *p, bool all)
{
	int rc = 0;

	pthread_mutex_lock(&pool.mu);
	for (;;) {
		struct slot *h = &p->slots[p->head % p->nslots];

		if (p->head < p->submitted && h->done) {
			pthread_mutex_unlock(&pool.mu);
			rc = write_head(p, h);
			pthread_mutex_lock(&pool.mu);
			h->done = false;
			p->head++;
			if (rc != 0)
				break;
			continue;
		}
		if (all ? p->head == p->submitted : p->submitted - p->head < p->nslots)
			break;
		pthread_cond_wait(&p->cond, &pool.mu);
	}
	pthread_mutex_unlock(&pool.mu);
	return rc;
}

/* The current chunk is complete (full, or the end of the tar): hash it and pass it on. */
static int
submit(struct packer *p)
{
	struct slot *s = p->cur;
	int rc;

	if (s == NULL || s->len == 0)
		return 0;
	if (EVP_DigestUpdate(p->tar_md, s->in, s->len) != 1)
		return pcb_err_set(p->err, PCB_EINTERNAL, "SHA-256 update failed");
	p->tar_size += s->len;
	if (p->zc != NULL) {
		rc = zstd_feed(p, s->in, s->len, ZSTD_e_continue);
		s->len = 0;   /* zstd copied it: the one slot is free again */
		return rc;
	}
	pthread_mutex_lock(&pool.mu);
	s->done = false;
	p->submitted++;
	pthread_cond_signal(&pool.work);
	pthread_mutex_unlock(&pool.mu);
	p->cur = NULL;
	return 0;
}

/* Room in the current chunk for more tar: *ptr, *avail (> 0). Submits a full chunk and
 * waits for a free slot as needed. */
static int
chunk_space(struct packer *p, unsigned char **ptr, size_t *avail)
{
	int rc;

	if (p->cur != NULL && p->cur->len == PCB_LAYER_CHUNK && (rc = submit(p)) != 0)
		return rc;
	if (p->cur == NULL) {
		if ((rc = drain(p, false)) != 0)
			return rc;
		p->cur = &p->slots[p->submitted % p->nslots];
		p->cur->len = 0;
	}
	if (p->cur->in == NULL)
		p->cur->in = pcb_xmalloc(PCB_LAYER_CHUNK);
	*ptr = p->cur->in + p->cur->len;
	*avail = PCB_LAYER_CHUNK - p->cur->len;
	return 0;
}

/* Appends tar bytes. */
static int
emit(struct packer *p, const void *data, size_t n)
{
	const unsigned char *d = data;
	int rc;

	while (n > 0) {
		unsigned char *ptr;
		size_t avail;

		if ((rc = chunk_space(p, &ptr, &avail)) != 0)
			return rc;
		if (avail > n)
			avail = n;
		memcpy(ptr, d, avail);
		p->cur->len += avail;
		d += avail;
		n -= avail;
	}
	return 0;
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
pack_file(struct packer *p, const struct pcb_layer_entry *e, size_t index)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	bool want_digest = p->opts->file_digest != NULL;
	uint64_t left = e->size;
	struct stat st;
	int fd, rc = 0;
	ssize_t n;

	if (e->src == NULL)
		return pcb_err_set(p->err, PCB_EINVAL, "%s: file entry without a source", e->path);
	/* O_NOFOLLOW: a file swapped for a symlink since listing is not followed. Opened with
	 * the rights it was listed with; read through the descriptor. */
	fd = pcb_cred_open(e->as, e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
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
	if (want_digest && EVP_DigestInit_ex(p->file_md, EVP_sha256(), NULL) != 1) {
		rc = pcb_err_set(p->err, PCB_EINTERNAL, "cannot initialise SHA-256");
		goto out;
	}
	if ((rc = write_header(p, e->path, NULL, '0', e->mode, e->size)) != 0)
		goto out;
	/* File data is read straight into the chunk being filled: no copy. */
	while (left > 0) {
		unsigned char *ptr;
		size_t avail;

		if (cancelled(p)) {
			rc = pcb_err_set(p->err, PCB_ECANCELED, "cancelled");
			goto out;
		}
		if ((rc = chunk_space(p, &ptr, &avail)) != 0)
			goto out;
		n = read(fd, ptr, left < avail ? (size_t)left : avail);
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
		if (want_digest && EVP_DigestUpdate(p->file_md, ptr, (size_t)n) != 1) {
			rc = pcb_err_set(p->err, PCB_EINTERNAL, "SHA-256 update failed");
			goto out;
		}
		p->cur->len += (size_t)n;
		left -= (uint64_t)n;
		p->done += (uint64_t)n;
		progress(p, false);
	}
	/* One more read tells a file that grew from one that did not. */
	do
		n = read(fd, p->small, 1);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		rc = pcb_err_set(p->err, PCB_EINVAL, "%s grew while the layer was being built "
		    "(%llu bytes listed)", e->src, (unsigned long long)e->size);
		goto out;
	}
	if (want_digest) {
		if (EVP_DigestFinal_ex(p->file_md, md, &mdlen) != 1 || mdlen != 32) {
			rc = pcb_err_set(p->err, PCB_EINTERNAL, "SHA-256 final failed");
			goto out;
		}
		/* After the last read: a change made before or during the read shows here. */
		if (fstat(fd, &st) != 0) {
			rc = pcb_err_errno(p->err, errno, "reading %s", e->src);
			goto out;
		}
		p->opts->file_digest(p->opts->file_digest_ud, index, md, &st);
	}
	rc = emit_pad(p, e->size);
out:
	close(fd);
	return rc;
}

static int
pack_entry(struct packer *p, const struct pcb_layer_entry *e, size_t index)
{
	char *name;
	int rc;

	if (cancelled(p))
		return pcb_err_set(p->err, PCB_ECANCELED, "cancelled");
	switch (e->type) {
	case PCB_ENTRY_FILE:
		return pack_file(p, e, index);
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

/* libzstd in multi-threaded mode (nbWorkers >= 1) cuts the input into jobs of a fixed size,
 * so its output is the same for any worker count (test-layer-parallel checks 1, 2, 4, 8);
 * nbWorkers 0 would give other bytes, so it is never used. */
static int
zstd_setup(struct packer *p, int level, int workers)
{
	ZSTD_threadPool *zp = zstd_pool();
	size_t r;

	if (zp == NULL)
		return pcb_err_set(p->err, PCB_EINTERNAL, "zstd: cannot start its thread pool");
	if (workers <= 0 || workers > pool_size())
		workers = pool_size();
	p->zc = ZSTD_createCCtx();
	if (p->zc == NULL)
		abort();
	if (ZSTD_isError(r = ZSTD_CCtx_setParameter(p->zc, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(p->zc, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(p->zc, ZSTD_c_nbWorkers, workers)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(p->zc, ZSTD_c_jobSize, ZSTD_JOB_SIZE)) ||
	    ZSTD_isError(r = ZSTD_CCtx_refThreadPool(p->zc, zp)))
		return pcb_err_set(p->err, PCB_EINTERNAL, "zstd: %s (libzstd without threads?)",
		    ZSTD_getErrorName(r));
	p->zout_cap = ZSTD_CStreamOutSize();
	p->zout = pcb_xmalloc(p->zout_cap);
	p->nslots = 1;
	p->slots = pcb_xcalloc(1, sizeof *p->slots);
	return 0;
}

/* pcb_layer_stats: counters only ever added to and read, so atomics need no lock. */
static atomic_uint_fast64_t n_packed, n_packed_bytes, n_packed_tar;

void
pcb_layer_stats(struct pcb_layer_stats *out)
{
	out->layers = atomic_load(&n_packed);
	out->bytes = atomic_load(&n_packed_bytes);
	out->tar_bytes = atomic_load(&n_packed_tar);
}

int
pcb_layer_pack(struct pcb_store *store, const struct pcb_layer_list *l,
    const struct pcb_layer_opts *opts, struct pcb_layer_result *res, struct pcb_err *err)
{
	static const struct pcb_layer_opts defaults;
	static const unsigned char trailer[2 * TAR_BLOCK];
	struct packer p;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char digest[PCB_DIGEST_BUFSZ], diff_id[PCB_DIGEST_BUFSZ];
	const char *mt;
	uint64_t size = 0;
	int rc;

	memset(&p, 0, sizeof p);
	p.opts = opts != NULL ? opts : &defaults;
	p.err = err;
	mt = pcb_layer_media_type(p.opts->compression);
	if (p.opts->compression != PCB_COMPRESS_GZIP && p.opts->compression != PCB_COMPRESS_ZSTD) {
		rc = pcb_err_set(err, PCB_EINVAL, "unknown layer compression %d",
		    (int)p.opts->compression);
		goto out;
	}
	if (p.opts->gzip_level < 0 || p.opts->gzip_level > 12) {
		rc = pcb_err_set(err, PCB_EINVAL, "gzip level %d is not in 1..12", p.opts->gzip_level);
		goto out;
	}
	if (p.opts->zstd_level < 0 || p.opts->zstd_level > 19) {
		rc = pcb_err_set(err, PCB_EINVAL, "zstd level %d is not in 1..19",
		    p.opts->zstd_level);
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

	pthread_cond_init(&p.cond, NULL);
	p.cond_ready = true;
	p.tar_md = EVP_MD_CTX_new();
	if (p.opts->file_digest != NULL)
		p.file_md = EVP_MD_CTX_new();
	if (p.tar_md == NULL || (p.opts->file_digest != NULL && p.file_md == NULL) ||
	    EVP_DigestInit_ex(p.tar_md, EVP_sha256(), NULL) != 1) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "cannot initialise SHA-256");
		goto out;
	}
	if (p.opts->compression == PCB_COMPRESS_ZSTD) {
		rc = zstd_setup(&p, p.opts->zstd_level != 0 ? p.opts->zstd_level :
		    PCB_LAYER_ZSTD_DEFAULT, p.opts->workers);
		if (rc != 0)
			goto out;
	} else {
		p.level = p.opts->gzip_level != 0 ? p.opts->gzip_level : PCB_LAYER_GZIP_DEFAULT;
		p.cap = p.opts->workers;
		if ((rc = pool_join(&p, err)) != 0)
			goto out;
		/* Two chunks per worker: one being compressed, one filled or waiting to be
		 * written; more would only cost memory. */
		p.nslots = 2 * (size_t)p.cap;
		p.slots = pcb_xcalloc(p.nslots, sizeof *p.slots);
	}
	if ((rc = pcb_store_writer_create(store, &p.w, err)) != 0)
		goto out;

	for (size_t i = 0; i < l->n; i++)
		if ((rc = pack_entry(&p, &l->v[i], i)) != 0)
			goto out;
	if ((rc = emit(&p, trailer, sizeof trailer)) != 0 || (rc = submit(&p)) != 0)
		goto out;
	if (p.zc != NULL)
		rc = zstd_feed(&p, NULL, 0, ZSTD_e_end);
	else
		rc = drain(&p, true);
	if (rc != 0)
		goto out;
	progress(&p, true);

	if (EVP_DigestFinal_ex(p.tar_md, md, &mdlen) != 1 || mdlen != 32) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "SHA-256 final failed");
		goto out;
	}
	pcb_sha256_digest_str(md, diff_id);
	/* The store hashes the compressed bytes as they arrive: that is the digest. */
	rc = pcb_blob_writer_commit(p.w, mt, NULL, digest, &size, err);
	p.w = NULL;
	if (rc != 0)
		goto out;
	if (size != p.out_size) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "the store got %llu bytes of %llu",
		    (unsigned long long)size, (unsigned long long)p.out_size);
		goto out;
	}
	memset(res, 0, sizeof *res);
	memcpy(res->digest, digest, sizeof digest);
	memcpy(res->diff_id, diff_id, sizeof diff_id);
	res->size = size;
	res->tar_size = p.tar_size;
	res->media_type = mt;
	res->n_entries = l->n;
	atomic_fetch_add(&n_packed, 1);
	atomic_fetch_add(&n_packed_bytes, size);
	atomic_fetch_add(&n_packed_tar, p.tar_size);
out:
	/* Workers first: they may still be compressing into the slots. */
	pool_leave(&p);
	if (p.w != NULL)
		pcb_blob_writer_abort(p.w);
	ZSTD_freeCCtx(p.zc);
	for (size_t i = 0; i < p.nslots; i++) {
		free(p.slots[i].in);
		free(p.slots[i].out);
	}
	free(p.slots);
	free(p.zout);
	EVP_MD_CTX_free(p.tar_md);
	EVP_MD_CTX_free(p.file_md);
	if (p.cond_ready)
		pthread_cond_destroy(&p.cond);
	if (rc != 0)
		pcb_err_prefix(err, "packing layer");
	return rc;
}
