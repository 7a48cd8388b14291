/* util.c — allocation, bounded buffers, string vectors, files, time and digest helpers. */
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

static void
oom(void)
{
	fputs("pycontainerd: out of memory\n", stderr);
	abort();
}

void *
pcb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
pcb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		oom();
	return p;
}

void *
pcb_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom();
	return q;
}

char *
pcb_xstrdup(const char *s)
{
	char *d;
	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		oom();
	return d;
}

char *
pcb_xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);
	if (d == NULL)
		oom();
	return d;
}

char *
pcb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

void
pcb_buf_init(struct pcb_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int
pcb_buf_append(struct pcb_buf *b, const void *p, size_t n)
{
	size_t need;

	if (n > b->max || b->len > b->max - n)
		return PCB_ETOOBIG;
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < need)
			cap *= 2;
		b->data = pcb_xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
pcb_buf_appendf(struct pcb_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	r = pcb_buf_append(b, s, (size_t)r);
	free(s);
	return r;
}

char *
pcb_buf_steal(struct pcb_buf *b, size_t *len_out)
{
	char *d = b->data;

	if (d == NULL)
		d = pcb_xstrdup("");
	if (len_out != NULL)
		*len_out = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void
pcb_buf_free(struct pcb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
pcb_strv_init(struct pcb_strv *sv)
{
	sv->v = pcb_xcalloc(1, sizeof(char *));
	sv->n = 0;
	sv->cap = 1;
}

void
pcb_strv_push_owned(struct pcb_strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap * 2 + 2;
		sv->v = pcb_xrealloc(sv->v, sv->cap * sizeof(char *));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
pcb_strv_push(struct pcb_strv *sv, const char *s)
{
	pcb_strv_push_owned(sv, pcb_xstrdup(s));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
pcb_strv_sort(struct pcb_strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(char *), cmp_str);
}

bool
pcb_strv_contains(const struct pcb_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void
pcb_strv_free(struct pcb_strv *sv)
{
	if (sv->v != NULL)
		for (size_t i = 0; i < sv->n; i++)
			free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

bool
pcb_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
pcb_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *
pcb_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 0)
		return pcb_xstrdup(b);
	if (*b == '\0')
		return pcb_xstrndup(a, la);
	if (la == 1 && a[0] == '/')
		return pcb_xasprintf("/%s", b);
	return pcb_xasprintf("%.*s/%s", (int)la, a, b);
}

int
pcb_mkdir_p(const char *path, mode_t mode, struct pcb_err *err)
{
	char *p = pcb_xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				rc = pcb_err_errno(err, errno, "creating directory %s", p);
				goto out;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	{
		struct stat st;
		if (stat(path, &st) != 0) {
			rc = pcb_err_errno(err, errno, "creating directory %s", path);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = pcb_err_set(err, PCB_EEXIST, "%s exists and is not a directory", path);
			goto out;
		}
	}
out:
	free(p);
	return rc;
}

int
pcb_rm_rf(const char *path, struct pcb_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : pcb_err_errno(err, errno, "removing %s", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) != 0 && errno != ENOENT)
			return pcb_err_errno(err, errno, "removing %s", path);
		return 0;
	}
	d = opendir(path);
	if (d == NULL)
		return pcb_err_errno(err, errno, "opening %s", path);
	while ((de = readdir(d)) != NULL) {
		char *sub;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = pcb_path_join(path, de->d_name);
		rc = pcb_rm_rf(sub, err);
		free(sub);
		if (rc != 0)
			break;
	}
	closedir(d);
	if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
		rc = pcb_err_errno(err, errno, "removing %s", path);
	return rc;
}

int
pcb_read_file(const char *path, size_t max, char **out, size_t *len_out, struct pcb_err *err)
{
	struct pcb_buf b;
	char chunk[65536];
	struct stat st;
	int fd, rc = 0;
	ssize_t n;

	pcb_buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pcb_err_errno(err, errno, "opening %s", path);
	if (fstat(fd, &st) != 0) {
		rc = pcb_err_errno(err, errno, "reading %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s is not a regular file", path);
		goto out;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pcb_err_errno(err, errno, "reading %s", path);
			goto out;
		}
		if (n == 0)
			break;
		if (pcb_buf_append(&b, chunk, (size_t)n) != 0) {
			rc = pcb_err_set(err, PCB_ETOOBIG, "%s is larger than %zu bytes", path, max);
			goto out;
		}
	}
out:
	close(fd);
	if (rc == 0) {
		*out = pcb_buf_steal(&b, len_out);
	}
	pcb_buf_free(&b);
	return rc;
}

int
pcb_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
pcb_fsync_parent(const char *path, struct pcb_err *err)
{
	char *dir = pcb_xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = pcb_err_errno(err, errno, "opening directory %s", dir);
	} else {
		if (fsync(fd) != 0 && errno != EINVAL)
			rc = pcb_err_errno(err, errno, "syncing directory %s", dir);
		close(fd);
	}
	free(dir);
	return rc;
}

int
pcb_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
    struct pcb_err *err)
{
	char *tmp = pcb_xasprintf("%s.tmp-XXXXXX", path);
	int fd, r, rc = 0;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = pcb_err_errno(err, errno, "creating %s", tmp);
		goto out;
	}
	if ((r = pcb_write_all(fd, data, len)) != 0) {
		rc = pcb_err_errno(err, -r, "writing %s", path);
		goto fail;
	}
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		rc = pcb_err_errno(err, errno, "writing %s", path);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = pcb_err_errno(err, errno, "writing %s", path);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = pcb_err_errno(err, errno, "renaming %s to %s", tmp, path);
		goto fail;
	}
	rc = pcb_fsync_parent(path, err);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	return rc;
}

int64_t
pcb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
pcb_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pcb_time_rfc3339(int64_t unix_seconds, char out[32])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
pcb_time_rfc3339_ms(int64_t unix_ms, char out[32])
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", base, (int)(unix_ms % 1000));
}

void
pcb_hex(const unsigned char *bin, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 15];
	}
	out[2 * n] = '\0';
}

void
pcb_sha256_digest_str(const unsigned char sha[32], char out[PCB_DIGEST_BUFSZ])
{
	memcpy(out, "sha256:", 7);
	pcb_hex(sha, 32, out + 7);
}

bool
pcb_digest_valid(const char *digest)
{
	if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != PCB_DIGEST_LEN)
		return false;
	for (const char *p = digest + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

void
pcb_sha256_buf(const void *p, size_t n, char out[PCB_DIGEST_BUFSZ])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	pcb_sha256_digest_str(md, out);
}

void
pcb_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	size_t got = 0;

	if (nbytes > sizeof buf)
		nbytes = sizeof buf;
	while (got < nbytes) {
		ssize_t r = getrandom(buf + got, nbytes - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		got += (size_t)r;
	}
	pcb_hex(buf, nbytes, out);
}
