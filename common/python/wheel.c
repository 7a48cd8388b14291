/* wheel.c — wheel file names and compatibility tags, the Python target of an image, and a
 * native wheel installer: a small bounded zip reader (central directory, ZIP64, stored and
 * deflate members), RECORD verification, the install scheme of PEP 427 and pip's launcher
 * scripts, all written below a staging directory without ever leaving it. */
#include "python/wheel.h"

#include <json-c/json.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

/* ------------------------------------------------------------------------------------------
 * Names and tags
 * ---------------------------------------------------------------------------------------- */

#define WHEEL_NAME_MAX 1024

char *
pcb_pyname_normalize(const char *name)
{
	size_t n = strlen(name), j = 0;
	char *out = pcb_xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '-' || c == '_' || c == '.') {
			if (j == 0 || out[j - 1] != '-')
				out[j++] = '-';
			continue;
		}
		out[j++] = (char)tolower((unsigned char)c);
	}
	out[j] = '\0';
	return out;
}

struct json_object *
pcb_pyname_member(struct json_object *tbl, const char *norm, const char **key_out)
{
	if (tbl == NULL || !json_object_is_type(tbl, json_type_object))
		return NULL;
	json_object_object_foreach(tbl, k, v) {
		char *n = pcb_pyname_normalize(k);
		bool eq = strcmp(n, norm) == 0;
		free(n);
		if (eq) {
			if (key_out != NULL)
				*key_out = k;
			return v;
		}
	}
	return NULL;
}

static bool
chars_ok(const char *s, size_t n, const char *extra)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && strchr(extra, c) == NULL)
			return false;
	}
	return true;
}

/* Splits a compressed tag set ("py2.py3") into sv; false when a part is empty or odd. */
static bool
split_tags(const char *s, size_t n, struct pcb_strv *sv)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!chars_ok(s + start, i - start, "_"))
			return false;
		pcb_strv_push_owned(sv, pcb_xstrndup(s + start, i - start));
		start = i + 1;
	}
	return sv->n > 0;
}

void
pcb_wheel_name_free(struct pcb_wheel_name *w)
{
	if (w == NULL)
		return;
	free(w->distribution);
	free(w->name);
	free(w->version);
	free(w->build);
	pcb_strv_free(&w->python);
	pcb_strv_free(&w->abi);
	pcb_strv_free(&w->platform);
	memset(w, 0, sizeof(*w));
}

int
pcb_wheel_name_parse(const char *filename, struct pcb_wheel_name *out, struct pcb_err *err)
{
	struct pcb_wheel_name w;
	const char *base = strrchr(filename, '/');
	const char *part[6];
	size_t plen[6], np = 0, len;
	int rc = PCB_EINVAL;

	memset(&w, 0, sizeof(w));
	pcb_strv_init(&w.python);
	pcb_strv_init(&w.abi);
	pcb_strv_init(&w.platform);
	memset(out, 0, sizeof(*out));
	base = base ? base + 1 : filename;
	len = strlen(base);
	if (len > WHEEL_NAME_MAX || !pcb_str_has_suffix(base, ".whl") || len == 4) {
		pcb_err_set(err, PCB_EINVAL, "%.200s: not a wheel file name (want "
		    "name-version-python-abi-platform.whl)", base);
		goto out;
	}
	len -= 4;
	/* Cut at '-'; more than 6 parts means a '-' where none may be. */
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i < len && base[i] != '-')
			continue;
		if (np == 6) {
			np = 7;
			break;
		}
		part[np] = base + start;
		plen[np++] = i - start;
		start = i + 1;
	}
	if (np != 5 && np != 6) {
		pcb_err_set(err, PCB_EINVAL, "%.200s: not a wheel file name: %zu dash-separated "
		    "parts, want 5 or 6", base, np > 6 ? (size_t)7 : np);
		goto out;
	}
	if (!chars_ok(part[0], plen[0], "_.")) {
		pcb_err_set(err, PCB_EINVAL, "%.200s: bad distribution name in wheel file name", base);
		goto out;
	}
	if (!chars_ok(part[1], plen[1], "_.+!")) {
		pcb_err_set(err, PCB_EINVAL, "%.200s: bad version in wheel file name", base);
		goto out;
	}
	if (np == 6 && (!chars_ok(part[2], plen[2], "_.") ||
	    !isdigit((unsigned char)part[2][0]))) {
		pcb_err_set(err, PCB_EINVAL, "%.200s: bad build tag in wheel file name (must start "
		    "with a digit)", base);
		goto out;
	}
	if (!split_tags(part[np - 3], plen[np - 3], &w.python) ||
	    !split_tags(part[np - 2], plen[np - 2], &w.abi) ||
	    !split_tags(part[np - 1], plen[np - 1], &w.platform)) {
		pcb_err_set(err, PCB_EINVAL, "%.200s: bad compatibility tags in wheel file name", base);
		goto out;
	}
	w.distribution = pcb_xstrndup(part[0], plen[0]);
	w.name = pcb_pyname_normalize(w.distribution);
	w.version = pcb_xstrndup(part[1], plen[1]);
	if (np == 6)
		w.build = pcb_xstrndup(part[2], plen[2]);
	rc = 0;
out:
	if (rc == 0)
		*out = w;
	else
		pcb_wheel_name_free(&w);
	return rc;
}

/* ------------------------------------------------------------------------------------------
 * Target and fit
 * ---------------------------------------------------------------------------------------- */

int
pcb_pytarget_init(struct pcb_pytarget *t, const char *os, const char *arch,
    const char *variant, const char *python_version, struct pcb_err *err)
{
	static const struct { const char *oci, *variant, *wheel; } arches[] = {
		{ "amd64", NULL, "x86_64" },
		{ "arm64", NULL, "aarch64" },
		{ "arm", "v7", "armv7l" },
		{ "386", NULL, "i686" },
		{ "ppc64le", NULL, "ppc64le" },
		{ "s390x", NULL, "s390x" },
		{ "riscv64", NULL, "riscv64" },
	};
	const char *wheel_arch = NULL;
	unsigned maj = 0, min = 0;
	int used = 0;

	memset(t, 0, sizeof(*t));
	if (os == NULL || strcmp(os, "linux") != 0)
		return pcb_err_set(err, PCB_EUNSUPPORTED, "platform %s/%s%s%s: wheels can only be "
		    "installed for linux images", os ? os : "?", arch ? arch : "?",
		    variant && *variant ? "/" : "", variant ? variant : "");
	for (size_t i = 0; arch != NULL && i < PCB_ARRAY_LEN(arches); i++) {
		if (strcmp(arch, arches[i].oci) != 0)
			continue;
		if (arches[i].variant != NULL && variant != NULL && *variant != '\0' &&
		    strcmp(variant, arches[i].variant) != 0)
			break;
		/* arm64 is "v8" when a variant is given at all. */
		if (arches[i].variant == NULL && variant != NULL && *variant != '\0' &&
		    !(strcmp(arch, "arm64") == 0 && strcmp(variant, "v8") == 0))
			break;
		wheel_arch = arches[i].wheel;
		break;
	}
	if (wheel_arch == NULL)
		return pcb_err_set(err, PCB_EUNSUPPORTED, "platform linux/%s%s%s: no wheel platform "
		    "tag for this CPU", arch ? arch : "?", variant && *variant ? "/" : "",
		    variant ? variant : "");
	if (python_version == NULL ||
	    sscanf(python_version, "%u.%u%n", &maj, &min, &used) != 2 ||
	    (python_version[used] != '\0' && python_version[used] != '.') ||
	    !isdigit((unsigned char)python_version[0]) || maj != 3 || min > 99)
		return pcb_err_set(err, PCB_EUNSUPPORTED, "Python version \"%.40s\": want 3.X",
		    python_version ? python_version : "");
	t->py_major = (int)maj;
	t->py_minor = (int)min;
	t->py_micro = -1;
	snprintf(t->arch, sizeof(t->arch), "%s", wheel_arch);
	t->libc = PCB_LIBC_GLIBC;
	t->libc_major = 2;
	t->libc_minor = 36;
	return 0;
}

void
pcb_pytarget_describe(const struct pcb_pytarget *t, char out[96])
{
	snprintf(out, 96, "CPython %d.%d, linux %s, %s %d.%d", t->py_major, t->py_minor, t->arch,
	    t->libc == PCB_LIBC_MUSL ? "musl" : "glibc", t->libc_major, t->libc_minor);
}

/* "cp311" → 3, 11; false when prefix or digits do not fit. */
static bool
parse_pyver(const char *tag, const char *prefix, int *maj, int *min, bool *has_minor)
{
	const char *p;
	size_t n;

	if (!pcb_str_has_prefix(tag, prefix))
		return false;
	p = tag + strlen(prefix);
	n = strlen(p);
	if (n == 0 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	*maj = p[0] - '0';
	*has_minor = n > 1;
	*min = n > 1 ? atoi(p + 1) : 0;
	return true;
}

/* Interpreter+ABI score (>0) or 0 when the pair does not fit. *ver gets the minor version the
 * pair names, so that newer abi3 / pyXY builds rank higher. */
static int
fit_interp(const char *py, const char *abi, const struct pcb_pytarget *t, int *ver)
{
	int maj, min;
	bool has_minor;

	*ver = 0;
	if (parse_pyver(py, "cp", &maj, &min, &has_minor)) {
		if (!has_minor || maj != t->py_major)
			return 0;
		*ver = min;
		if (strcmp(abi, "abi3") == 0)
			return min <= t->py_minor ? 3 : 0;
		if (min != t->py_minor)
			return 0;
		if (strcmp(abi, "none") == 0)
			return 2;
		if (pcb_str_has_prefix(abi, "cp")) {
			char want[16];
			snprintf(want, sizeof(want), "cp%d%d", t->py_major, t->py_minor);
			return strcmp(abi, want) == 0 ? 4 : 0;
		}
		return 0;
	}
	if (parse_pyver(py, "py", &maj, &min, &has_minor)) {
		if (maj != t->py_major || strcmp(abi, "none") != 0)
			return 0;
		if (has_minor && min > t->py_minor)
			return 0;
		*ver = has_minor ? min : 0;
		return 1;
	}
	return 0;
}

/* "manylinux_2_17_x86_64" → 2, 17, "x86_64". */
static bool
parse_pep600(const char *s, const char *prefix, int *maj, int *min, const char **arch)
{
	const char *p;
	char *end;
	long a, b;

	if (!pcb_str_has_prefix(s, prefix))
		return false;
	p = s + strlen(prefix);
	if (!isdigit((unsigned char)*p))
		return false;
	a = strtol(p, &end, 10);
	if (*end != '_' || !isdigit((unsigned char)end[1]))
		return false;
	b = strtol(end + 1, &end, 10);
	if (*end != '_' || a > 99 || b > 999)
		return false;
	*maj = (int)a;
	*min = (int)b;
	*arch = end + 1;
	return true;
}

enum plat_fail { PF_NONE, PF_UNKNOWN, PF_ARCH, PF_LIBC_KIND, PF_LIBC_OLD };

/* Platform score (>0 for a Linux platform, 0 for "any") or -1 with *why set. */
static int
fit_platform(const char *plat, const struct pcb_pytarget *t, enum plat_fail *why)
{
	static const struct { const char *prefix; int maj, min; } legacy[] = {
		{ "manylinux1_", 2, 5 }, { "manylinux2010_", 2, 12 }, { "manylinux2014_", 2, 17 },
	};
	int maj = 0, min = 0;
	const char *arch = NULL;
	bool musl = false;

	*why = PF_NONE;
	if (strcmp(plat, "any") == 0)
		return 0;
	if (pcb_str_has_prefix(plat, "linux_")) {
		if (strcmp(plat + 6, t->arch) != 0) {
			*why = PF_ARCH;
			return -1;
		}
		if (t->libc != PCB_LIBC_GLIBC) {
			*why = PF_LIBC_KIND;
			return -1;
		}
		return 1;
	}
	for (size_t i = 0; i < PCB_ARRAY_LEN(legacy); i++)
		if (pcb_str_has_prefix(plat, legacy[i].prefix)) {
			maj = legacy[i].maj;
			min = legacy[i].min;
			arch = plat + strlen(legacy[i].prefix);
		}
	if (arch == NULL && !parse_pep600(plat, "manylinux_", &maj, &min, &arch)) {
		if (!parse_pep600(plat, "musllinux_", &maj, &min, &arch)) {
			*why = PF_UNKNOWN;
			return -1;
		}
		musl = true;
	}
	if (strcmp(arch, t->arch) != 0) {
		*why = PF_ARCH;
		return -1;
	}
	if (musl != (t->libc == PCB_LIBC_MUSL)) {
		*why = PF_LIBC_KIND;
		return -1;
	}
	if (maj > t->libc_major || (maj == t->libc_major && min > t->libc_minor)) {
		*why = PF_LIBC_OLD;
		return -1;
	}
	return 2 + maj * 100 + (min > 99 ? 99 : min);
}

int
pcb_wheel_fit(const struct pcb_wheel_name *w, const struct pcb_pytarget *t, char *why,
    size_t whysz)
{
	int best = -1;
	bool interp_ok = false;
	enum plat_fail pf = PF_NONE;
	const char *bad_plat = NULL;
	const char *libc = t->libc == PCB_LIBC_MUSL ? "musl" : "glibc";

	/* Platform fit does not depend on the interpreter: work it out once per tag. */
	for (size_t k = 0; k < w->platform.n; k++) {
		enum plat_fail f;
		int ps = fit_platform(w->platform.v[k], t, &f);
		if (ps < 0) {
			if (bad_plat == NULL || f > pf) {
				bad_plat = w->platform.v[k];
				pf = f;
			}
			continue;
		}
		for (size_t i = 0; i < w->python.n; i++)
			for (size_t j = 0; j < w->abi.n; j++) {
				int ver, is = fit_interp(w->python.v[i], w->abi.v[j], t, &ver);
				if (is == 0)
					continue;
				/* Ranked like pip's tag order: platform wheels over "any", then
				 * the ABI, then the newer interpreter version, then the newer
				 * platform. */
				int score = (ps > 0 ? 10000000 : 0) + is * 100000 + ver * 1000 + ps;
				if (score > best)
					best = score;
			}
	}
	if (best >= 0 || why == NULL || whysz == 0)
		return best;

	for (size_t i = 0; i < w->python.n && !interp_ok; i++)
		for (size_t j = 0; j < w->abi.n && !interp_ok; j++) {
			int ver;
			interp_ok = fit_interp(w->python.v[i], w->abi.v[j], t, &ver) > 0;
		}
	if (!interp_ok) {
		char tags[128] = "";
		size_t off = 0;
		for (size_t i = 0; i < w->python.n && off < sizeof(tags) - 1; i++)
			off += (size_t)snprintf(tags + off, sizeof(tags) - off, "%s%s", i ? "." : "",
			    w->python.v[i]);
		snprintf(why, whysz, "built for %s-%s (the image has CPython %d.%d)", tags,
		    w->abi.n ? w->abi.v[0] : "?", t->py_major, t->py_minor);
	} else if (bad_plat == NULL) {
		snprintf(why, whysz, "no platform tag (the image is linux %s)", t->arch);
	} else if (pf == PF_LIBC_KIND) {
		snprintf(why, whysz, "built for %s (the image has %s)", bad_plat, libc);
	} else if (pf == PF_LIBC_OLD) {
		snprintf(why, whysz, "built for %s (the image has %s %d.%d)", bad_plat, libc,
		    t->libc_major, t->libc_minor);
	} else {
		snprintf(why, whysz, "built for %s (the image is linux %s)", bad_plat, t->arch);
	}
	return -1;
}

/* ------------------------------------------------------------------------------------------
 * Zip reader
 * ---------------------------------------------------------------------------------------- */

#define ZIP_NAME_MAX 4096
#define ZIP_CD_MAX ((uint64_t)64 << 20)
#define ZIP_EOCD_SIZE 22
#define ZIP_CHUNK (64 * 1024)
#define RATIO_MIN_SIZE ((uint64_t)1 << 20)
#define RATIO_MAX 1000
#define META_MAX ((size_t)1 << 20)        /* WHEEL, entry_points.txt */
#define RECORD_MAX ((size_t)64 << 20)

struct zent {
	char *name;
	uint16_t made_by, flags, method;
	uint32_t crc, eattr;
	uint64_t csize, usize, loff;
	bool is_dir;
};

struct zip {
	int fd;
	uint64_t size;
	struct zent *ents;
	size_t n;
	const char *label;       /* wheel file basename, for messages */
};

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	    ((uint32_t)p[3] << 24);
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

/* pread all of n bytes at off; short means a truncated file. */
static int
zread(struct zip *z, uint64_t off, void *buf, size_t n, struct pcb_err *err)
{
	size_t got = 0;

	if (off > z->size || n > z->size - off)
		return pcb_err_set(err, PCB_EINVAL, "%s: truncated zip (read past the end)", z->label);
	while (got < n) {
		ssize_t r = pread(z->fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pcb_err_errno(err, errno, "%s: reading", z->label);
		if (r == 0)
			return pcb_err_set(err, PCB_EINVAL, "%s: truncated zip", z->label);
		got += (size_t)r;
	}
	return 0;
}

static void
zip_close(struct zip *z)
{
	for (size_t i = 0; i < z->n; i++)
		free(z->ents[i].name);
	free(z->ents);
	z->ents = NULL;
	z->n = 0;
}

/* Applies a ZIP64 extended-information extra field to the values saved as 0xFFFFFFFF. */
static int
apply_zip64_extra(struct zip *z, const unsigned char *x, size_t xlen, struct zent *e,
    bool usize_x, bool csize_x, bool loff_x, const char *name, struct pcb_err *err)
{
	while (xlen >= 4) {
		uint16_t id = le16(x), sz = le16(x + 2);
		if ((size_t)sz > xlen - 4)
			break;
		if (id == 0x0001) {
			const unsigned char *p = x + 4;
			size_t left = sz;
			uint64_t *vals[3] = { usize_x ? &e->usize : NULL, csize_x ? &e->csize : NULL,
			    loff_x ? &e->loff : NULL };
			for (size_t i = 0; i < 3; i++) {
				if (vals[i] == NULL)
					continue;
				if (left < 8)
					return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": short "
					    "ZIP64 extra field", z->label, name);
				*vals[i] = le64(p);
				p += 8;
				left -= 8;
			}
			return 0;
		}
		x += 4 + sz;
		xlen -= 4 + (size_t)sz;
	}
	if (usize_x || csize_x || loff_x)
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": sizes need a ZIP64 extra "
		    "field that is missing", z->label, name);
	return 0;
}

/* Finds the central directory and reads every entry (bounded by max_files). */
static int
zip_open(struct zip *z, uint64_t max_files, struct pcb_err *err)
{
	unsigned char *tail = NULL, *cd = NULL;
	size_t tlen, epos = 0;
	bool found = false;
	uint64_t count, cd_size, cd_off, eocd_off;
	unsigned char loc[20];
	int rc;

	if (z->size < ZIP_EOCD_SIZE) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: not a zip file (too short)", z->label);
		goto out;
	}
	tlen = (size_t)(z->size < 65535 + ZIP_EOCD_SIZE ? z->size : 65535 + ZIP_EOCD_SIZE);
	tail = pcb_xmalloc(tlen);
	if ((rc = zread(z, z->size - tlen, tail, tlen, err)) < 0)
		goto out;
	/* The last End Of Central Directory whose comment ends at the end of the file. */
	for (size_t i = tlen - ZIP_EOCD_SIZE + 1; i-- > 0;) {
		if (le32(tail + i) == 0x06054b50 &&
		    i + ZIP_EOCD_SIZE + le16(tail + i + 20) == tlen) {
			epos = i;
			found = true;
			break;
		}
	}
	if (!found) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: not a zip file (no end of central directory)",
		    z->label);
		goto out;
	}
	if (le16(tail + epos + 4) != 0 || le16(tail + epos + 6) != 0) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: multi-disk zip files are not supported",
		    z->label);
		goto out;
	}
	count = le16(tail + epos + 10);
	cd_size = le32(tail + epos + 12);
	cd_off = le32(tail + epos + 16);
	eocd_off = z->size - tlen + epos;
	if (eocd_off >= 20 && (rc = zread(z, eocd_off - 20, loc, sizeof(loc), err)) < 0)
		goto out;
	if (eocd_off >= 20 && le32(loc) == 0x07064b50) {
		/* ZIP64 locator just before the EOCD: the real numbers are in the ZIP64 record. */
		unsigned char r[56];
		uint64_t roff = le64(loc + 8);
		if ((rc = zread(z, roff, r, sizeof(r), err)) < 0)
			goto out;
		if (le32(r) != 0x06064b50) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: bad ZIP64 end of central directory",
			    z->label);
			goto out;
		}
		count = le64(r + 32);
		cd_size = le64(r + 40);
		cd_off = le64(r + 48);
	}
	if (count > max_files) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: %" PRIu64 " members, over the limit of %"
		    PRIu64, z->label, count, max_files);
		goto out;
	}
	if (cd_size > ZIP_CD_MAX || cd_off > z->size || cd_size > z->size - cd_off ||
	    cd_size < count * 46) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: damaged zip (central directory out of "
		    "bounds)", z->label);
		goto out;
	}
	cd = pcb_xmalloc((size_t)cd_size + 1);
	if ((rc = zread(z, cd_off, cd, (size_t)cd_size, err)) < 0)
		goto out;
	z->ents = pcb_xcalloc((size_t)count, sizeof(*z->ents));
	for (size_t pos = 0; z->n < count;) {
		struct zent *e = &z->ents[z->n];
		size_t nlen, xlen, clen;
		if (cd_size - pos < 46 || le32(cd + pos) != 0x02014b50) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: damaged zip (bad central directory "
			    "entry %zu)", z->label, z->n);
			goto out;
		}
		nlen = le16(cd + pos + 28);
		xlen = le16(cd + pos + 30);
		clen = le16(cd + pos + 32);
		if (46 + nlen + xlen + clen > cd_size - pos) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: damaged zip (central directory entry "
			    "%zu overruns)", z->label, z->n);
			goto out;
		}
		if (nlen == 0 || nlen > ZIP_NAME_MAX) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: member %zu: name of %zu bytes (1 to %d "
			    "allowed)", z->label, z->n, nlen, ZIP_NAME_MAX);
			goto out;
		}
		e->name = pcb_xstrndup((const char *)cd + pos + 46, nlen);
		z->n++;
		if (strlen(e->name) != nlen) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": NUL byte in the name",
			    z->label, e->name);
			goto out;
		}
		e->made_by = le16(cd + pos + 4);
		e->flags = le16(cd + pos + 8);
		e->method = le16(cd + pos + 10);
		e->crc = le32(cd + pos + 16);
		e->csize = le32(cd + pos + 20);
		e->usize = le32(cd + pos + 24);
		e->eattr = le32(cd + pos + 38);
		e->loff = le32(cd + pos + 42);
		rc = apply_zip64_extra(z, cd + pos + 46 + nlen, xlen, e, e->usize == 0xFFFFFFFFu,
		    e->csize == 0xFFFFFFFFu, e->loff == 0xFFFFFFFFu, e->name, err);
		if (rc < 0)
			goto out;
		e->is_dir = e->name[nlen - 1] == '/';
		pos += 46 + nlen + xlen + clen;
	}
	rc = 0;
out:
	free(tail);
	free(cd);
	return rc;
}

/* Offset of a member's data, after checking its local header agrees with the directory. */
static int
zip_data_offset(struct zip *z, const struct zent *e, uint64_t *off, struct pcb_err *err)
{
	unsigned char lh[30];
	char *lname = NULL;
	size_t nlen, xlen;
	uint64_t start;
	int rc;

	if ((rc = zread(z, e->loff, lh, sizeof(lh), err)) < 0)
		goto out;
	if (le32(lh) != 0x04034b50) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": bad local header", z->label,
		    e->name);
		goto out;
	}
	nlen = le16(lh + 26);
	xlen = le16(lh + 28);
	lname = pcb_xmalloc(nlen + 1);
	if ((rc = zread(z, e->loff + 30, lname, nlen, err)) < 0)
		goto out;
	lname[nlen] = '\0';
	if (nlen != strlen(e->name) || memcmp(lname, e->name, nlen) != 0 ||
	    le16(lh + 8) != e->method) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": local header does not match "
		    "the central directory", z->label, e->name);
		goto out;
	}
	start = e->loff + 30 + nlen + xlen;
	if (start > z->size || e->csize > z->size - start) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": data runs past the end of the "
		    "file (truncated zip)", z->label, e->name);
		goto out;
	}
	*off = start;
	rc = 0;
out:
	free(lname);
	return rc;
}

/* Receives a member's bytes as they are inflated. */
typedef int (*zsink_fn)(void *ctx, const unsigned char *p, size_t n, struct pcb_err *err);

/* Streams one member through sink, checking the stated size and the CRC-32. */
static int
zip_extract(struct zip *z, const struct zent *e, zsink_fn sink, void *ctx, struct pcb_err *err)
{
	unsigned char *in = NULL, *outb = NULL;
	z_stream zs;
	bool zinit = false, end = false;
	uint64_t off = 0, left, produced = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	int rc;

	memset(&zs, 0, sizeof(zs));
	if ((rc = zip_data_offset(z, e, &off, err)) < 0)
		goto out;
	in = pcb_xmalloc(ZIP_CHUNK);
	left = e->csize;
	if (e->method == 0) {
		while (left > 0) {
			size_t n = left < ZIP_CHUNK ? (size_t)left : ZIP_CHUNK;
			if ((rc = zread(z, off, in, n, err)) < 0)
				goto out;
			crc = crc32(crc, in, (uInt)n);
			if ((rc = sink(ctx, in, n, err)) < 0)
				goto out;
			off += n;
			left -= n;
			produced += n;
		}
		end = true;
	} else {
		outb = pcb_xmalloc(ZIP_CHUNK);
		if (inflateInit2(&zs, -15) != Z_OK) {
			rc = pcb_err_set(err, PCB_EINTERNAL, "zlib inflateInit2 failed");
			goto out;
		}
		zinit = true;
		while (!end) {
			int zr;
			if (zs.avail_in == 0 && left > 0) {
				size_t n = left < ZIP_CHUNK ? (size_t)left : ZIP_CHUNK;
				if ((rc = zread(z, off, in, n, err)) < 0)
					goto out;
				zs.next_in = in;
				zs.avail_in = (uInt)n;
				off += n;
				left -= n;
			}
			zs.next_out = outb;
			zs.avail_out = ZIP_CHUNK;
			zr = inflate(&zs, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
				rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": bad deflate "
				    "data", z->label, e->name);
				goto out;
			}
			size_t have = ZIP_CHUNK - zs.avail_out;
			if (have > e->usize - produced) {
				rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": inflates beyond "
				    "its stated size of %" PRIu64 " bytes", z->label, e->name,
				    e->usize);
				goto out;
			}
			produced += have;
			crc = crc32(crc, outb, (uInt)have);
			if (have > 0 && (rc = sink(ctx, outb, have, err)) < 0)
				goto out;
			if (zr == Z_STREAM_END)
				end = true;
			else if (have == 0 && zs.avail_in == 0 && left == 0) {
				rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": deflate data ends "
				    "early", z->label, e->name);
				goto out;
			}
		}
	}
	if (produced != e->usize) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": %" PRIu64 " bytes, the zip "
		    "says %" PRIu64, z->label, e->name, produced, e->usize);
		goto out;
	}
	if ((uint32_t)crc != e->crc) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": CRC-32 mismatch", z->label,
		    e->name);
		goto out;
	}
	rc = 0;
out:
	if (zinit)
		inflateEnd(&zs);
	free(in);
	free(outb);
	return rc;
}

static int
buf_sink(void *ctx, const unsigned char *p, size_t n, struct pcb_err *err)
{
	(void)err;
	return pcb_buf_append(ctx, p, n);
}

/* Reads a small member into memory (NUL-terminated), at most max bytes. */
static int
zip_read_small(struct zip *z, const struct zent *e, size_t max, char **out, size_t *len,
    struct pcb_err *err)
{
	struct pcb_buf b;
	int rc;

	pcb_buf_init(&b, max);
	if (e->usize > max) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\" is %" PRIu64 " bytes, over "
		    "the %zu allowed", z->label, e->name, e->usize, max);
		goto out;
	}
	if ((rc = zip_extract(z, e, buf_sink, &b, err)) < 0)
		goto out;
	if (b.data == NULL)
		pcb_buf_append(&b, "", 0);
	*out = pcb_buf_steal(&b, len);
	if (*out == NULL)
		*out = pcb_xstrdup("");
	rc = 0;
out:
	pcb_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------------------------------------------
 * Writing below staging
 * ---------------------------------------------------------------------------------------- */

/* Checks an image path: relative, '/'-separated, no empty, "." or ".." component. */
static bool
relpath_ok(const char *p)
{
	const char *c = p;

	if (*p == '\0' || *p == '/')
		return false;
	for (;;) {
		const char *s = strchr(c, '/');
		size_t n = s ? (size_t)(s - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (s == NULL)
			return true;
		c = s + 1;
	}
}

/* Creates rel (parents made 0755) under rootfd with O_EXCL, never following a symlink on the
 * way, so a hostile name or a planted link cannot write outside the staging tree. */
static int
create_under(int rootfd, const char *rel, mode_t mode, int *fd_out, struct pcb_err *err)
{
	char *path = pcb_xstrdup(rel), *c = path, *s;
	int dfd = rootfd, fd = -1, rc;

	if (!relpath_ok(rel)) {
		rc = pcb_err_set(err, PCB_EINVAL, "\"%s\": not a safe relative path", rel);
		goto out;
	}
	while ((s = strchr(c, '/')) != NULL) {
		bool made;
		int nfd;
		*s = '\0';
		made = mkdirat(dfd, c, 0755) == 0;
		if (!made && errno != EEXIST) {
			rc = pcb_err_errno(err, errno, "creating directory for \"%s\"", rel);
			goto out;
		}
		nfd = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				rc = pcb_err_set(err, PCB_EINVAL, "\"%s\": a parent is a symlink or not "
				    "a directory", rel);
			else
				rc = pcb_err_errno(err, errno, "opening directory for \"%s\"", rel);
			goto out;
		}
		if (made)
			(void)fchmod(nfd, 0755);   /* not the umask's idea */
		if (dfd != rootfd)
			close(dfd);
		dfd = nfd;
		c = s + 1;
	}
	fd = openat(dfd, c, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			rc = pcb_err_set(err, PCB_EINVAL, "\"%s\" is written twice", rel);
		else
			rc = pcb_err_errno(err, errno, "creating \"%s\"", rel);
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = pcb_err_errno(err, errno, "chmod \"%s\"", rel);
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd != rootfd)
		close(dfd);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------------------------------
 * RECORD
 * ---------------------------------------------------------------------------------------- */

struct rec {
	char *path, *hash, *size;
	bool seen;
};

struct recset {
	struct rec *v;
	size_t n, cap;
};

static void
recset_free(struct recset *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].hash);
		free(r->v[i].size);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int
rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->path, ((const struct rec *)b)->path);
}

/* One CSV field starting at *p (quoted with "" escapes, or plain up to ',' / end of line);
 * *comma tells whether a ',' ended it. */
static int
csv_field(const char **p, const char *end, char **out, bool *comma)
{
	struct pcb_buf b;
	const char *s = *p;

	pcb_buf_init(&b, ZIP_NAME_MAX * 2);
	if (s < end && *s == '"') {
		s++;
		for (;;) {
			if (s >= end)
				goto bad;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					pcb_buf_append(&b, "\"", 1);
					s += 2;
					continue;
				}
				s++;
				break;
			}
			if (pcb_buf_append(&b, s, 1) < 0)
				goto bad;
			s++;
		}
		if (s < end && *s != ',')
			goto bad;
	} else {
		const char *e = s;
		while (e < end && *e != ',')
			e++;
		if (memchr(s, '"', (size_t)(e - s)) != NULL ||
		    pcb_buf_append(&b, s, (size_t)(e - s)) < 0)
			goto bad;
		s = e;
	}
	*comma = s < end && *s == ',';
	if (*comma)
		s++;
	*p = s;
	*out = pcb_buf_steal(&b, NULL);
	return 0;
bad:
	pcb_buf_free(&b);
	return -1;
}

/* Parses RECORD into rows sorted by path; every row has exactly path, hash, size. */
static int
record_parse(const char *label, const char *text, size_t len, struct recset *rs,
    struct pcb_err *err)
{
	const char *p = text, *end = text + len;
	size_t line = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *q = p;
		struct rec r = { 0 };
		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			p = eol ? eol + 1 : end;
			continue;
		}
		bool c1 = false, c2 = false, c3 = false;
		if (csv_field(&q, le, &r.path, &c1) < 0 || !c1 ||
		    csv_field(&q, le, &r.hash, &c2) < 0 || !c2 ||
		    csv_field(&q, le, &r.size, &c3) < 0 || c3 || q != le) {
			free(r.path);
			free(r.hash);
			free(r.size);
			return pcb_err_set(err, PCB_EINVAL, "%s: RECORD line %zu: want path,hash,size",
			    label, line);
		}
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? rs->cap * 2 : 64;
			rs->v = pcb_xrealloc(rs->v, rs->cap * sizeof(*rs->v));
		}
		rs->v[rs->n++] = r;
		p = eol ? eol + 1 : end;
	}
	qsort(rs->v, rs->n, sizeof(*rs->v), rec_cmp);
	for (size_t i = 1; i < rs->n; i++)
		if (strcmp(rs->v[i - 1].path, rs->v[i].path) == 0)
			return pcb_err_set(err, PCB_EINVAL, "%s: RECORD lists \"%s\" twice", label,
			    rs->v[i].path);
	return 0;
}

static struct rec *
record_find(struct recset *rs, const char *path)
{
	struct rec key = { .path = (char *)path };
	return bsearch(&key, rs->v, rs->n, sizeof(*rs->v), rec_cmp);
}

static void
b64url_nopad(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t j = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[j++] = tab[(v >> 18) & 63];
		out[j++] = tab[(v >> 12) & 63];
		if (i + 1 < n)
			out[j++] = tab[(v >> 6) & 63];
		if (i + 2 < n)
			out[j++] = tab[v & 63];
	}
	out[j] = '\0';
}

/* The digest a RECORD hash names ("sha256=…"); NULL for anything we do not accept. */
static const EVP_MD *
record_md(const char *hash)
{
	if (pcb_str_has_prefix(hash, "sha256="))
		return EVP_sha256();
	if (pcb_str_has_prefix(hash, "sha384="))
		return EVP_sha384();
	if (pcb_str_has_prefix(hash, "sha512="))
		return EVP_sha512();
	return NULL;
}

/* "sha256=<b64>" of a finished digest context. out needs 100 bytes. */
static void
md_final_str(EVP_MD_CTX *ctx, char out[100])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	const char *nm;
	size_t off;

	EVP_DigestFinal_ex(ctx, d, &dl);
	nm = EVP_MD_get_size(EVP_MD_CTX_get0_md(ctx)) == 32 ? "sha256" :
	    EVP_MD_get_size(EVP_MD_CTX_get0_md(ctx)) == 48 ? "sha384" : "sha512";
	off = (size_t)snprintf(out, 100, "%s=", nm);
	b64url_nopad(d, dl, out + off);
}

/* A RECORD hash equals ours when the text matches, ignoring base64 padding. */
static bool
hash_eq(const char *record, const char *ours)
{
	size_t n = strlen(record);
	while (n > 0 && record[n - 1] == '=')
		n--;
	return strlen(ours) == n && memcmp(record, ours, n) == 0;
}

/* ------------------------------------------------------------------------------------------
 * Install
 * ---------------------------------------------------------------------------------------- */

/* A line of the rewritten RECORD. */
struct outrec {
	char *path;     /* relative to the lib dir that holds the .dist-info */
	char *hash;     /* "" for RECORD itself */
	char *size;
};

/* One install in progress: the state its steps share. */
struct inst {
	const struct pcb_wheel_install_opts *o;
	struct zip z;
	int rootfd;
	char *distinfo;          /* "markupsafe-3.0.3.dist-info" */
	char *datadir;           /* "markupsafe-3.0.3.data" */
	char *dist;              /* "markupsafe" (name part of the .dist-info) */
	const char *libdir;      /* purelib or platlib, where the .dist-info goes */
	struct pcb_wheel_name wn;  /* parsed from the wheel's file name */
	char *name;              /* "markupsafe", normalised; for the result */
	char *version;           /* "3.0.3", from the .dist-info name; for the result */
	char *record_member;     /* "markupsafe-3.0.3.dist-info/RECORD" */
	char *ep_txt;            /* entry_points.txt, NULL when the wheel has none */
	struct recset rs;
	struct outrec *out;
	size_t nout, capout;
	struct pcb_strv scripts;
	uint64_t bytes;
	size_t files;
};

static void
out_push(struct inst *in, char *path, const char *hash, uint64_t size, bool has_size)
{
	if (in->nout == in->capout) {
		in->capout = in->capout ? in->capout * 2 : 64;
		in->out = pcb_xrealloc(in->out, in->capout * sizeof(*in->out));
	}
	in->out[in->nout].path = path;
	in->out[in->nout].hash = pcb_xstrdup(hash);
	in->out[in->nout].size = has_size ? pcb_xasprintf("%" PRIu64, size) : pcb_xstrdup("");
	in->nout++;
}

/* to relative to the directory from (both image paths without leading '/'), the way pip
 * writes RECORD: "../../../bin/flask" from "opt/venv/lib/python3.11/site-packages". */
static char *
path_rel(const char *from, const char *to)
{
	size_t i = 0, common = 0, ups = 1;
	struct pcb_buf b;

	/* common: length of the longest shared run of whole components of from. */
	for (;; i++) {
		if (from[i] == '\0') {
			if (to[i] == '/')
				return pcb_xstrdup(to + i + 1);   /* below from */
			break;
		}
		if (from[i] != to[i])
			break;
		if (from[i] == '/')
			common = i + 1;
	}
	for (const char *r = from + common; *r; r++)
		if (*r == '/')
			ups++;
	pcb_buf_init(&b, SIZE_MAX / 2);
	for (size_t k = 0; k < ups; k++)
		pcb_buf_append(&b, "../", 3);
	pcb_buf_append(&b, to + common, strlen(to + common));
	return pcb_buf_steal(&b, NULL);
}

/* Strips leading '/' from an option path; NULL when it is missing or unsafe. */
static const char *
opt_path(const char *p)
{
	if (p == NULL)
		return NULL;
	while (*p == '/')
		p++;
	return relpath_ok(p) ? p : NULL;
}

struct file_sink {
	struct inst *in;
	const char *rel;
	int fd;
	EVP_MD_CTX *verify;      /* the RECORD digest over the member's bytes */
	EVP_MD_CTX *written;     /* sha256 of what lands on disk (rewritten scripts only) */
	bool fix_shebang;        /* still looking at the first line of a script */
	struct pcb_buf head;
	uint64_t nwritten;
};

static int
sink_write(struct file_sink *s, const void *p, size_t n, struct pcb_err *err)
{
	int r;

	if (n == 0)
		return 0;
	if (s->written != NULL)
		EVP_DigestUpdate(s->written, p, n);
	if ((r = pcb_write_all(s->fd, p, n)) < 0)
		return pcb_err_errno(err, -r, "writing \"%s\"", s->rel);
	s->nwritten += n;
	return 0;
}

/* Emits the buffered first line of a script, with "#!python…" replaced by the interpreter. */
static int
sink_flush_head(struct file_sink *s, bool at_eof, struct pcb_err *err)
{
	const char *nl;
	int rc;

	s->fix_shebang = false;
	nl = s->head.data ? memchr(s->head.data, '\n', s->head.len) : NULL;
	/* A first line longer than the buffer is left alone (not cut): only a whole line or a
	 * whole one-line file is rewritten. */
	if (!pcb_str_has_prefix(s->head.data ? s->head.data : "", "#!python") ||
	    (nl == NULL && !at_eof))
		return sink_write(s, s->head.data, s->head.len, err);
	if ((rc = sink_write(s, "#!", 2, err)) < 0 ||
	    (rc = sink_write(s, s->in->o->interpreter, strlen(s->in->o->interpreter), err)) < 0 ||
	    (rc = sink_write(s, "\n", 1, err)) < 0)
		return rc;
	if (nl != NULL)
		return sink_write(s, nl + 1, s->head.len - (size_t)(nl + 1 - s->head.data), err);
	return 0;
}

static int
file_sink_fn(void *ctx, const unsigned char *p, size_t n, struct pcb_err *err)
{
	struct file_sink *s = ctx;

	EVP_DigestUpdate(s->verify, p, n);
	if (s->fix_shebang) {
		/* Gather the first line (bounded): a shebang longer than that is left alone. */
		size_t room = s->head.max - s->head.len, take = n < room ? n : room;
		pcb_buf_append(&s->head, p, take);
		p += take;
		n -= take;
		if (memchr(s->head.data, '\n', s->head.len) == NULL && s->head.len < s->head.max)
			return 0;
		int rc = sink_flush_head(s, false, err);
		if (rc < 0)
			return rc;
	}
	return sink_write(s, p, n, err);
}

/* Where member name goes, as an image path; *is_script for .data/scripts. */
static int
member_dest(struct inst *in, const char *name, char **dest, bool *is_script,
    struct pcb_err *err)
{
	const struct pcb_wheel_install_opts *o = in->o;
	size_t dl = strlen(in->datadir);

	*is_script = false;
	if (strncmp(name, in->datadir, dl) == 0 && name[dl] == '/') {
		const char *key = name + dl + 1, *rest = strchr(key, '/');
		size_t kl;
		if (rest == NULL || rest[1] == '\0')
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": a file directly in "
			    "%s", in->z.label, name, in->datadir);
		kl = (size_t)(rest - key);
		rest++;
		if (kl == 7 && strncmp(key, "purelib", 7) == 0)
			*dest = pcb_path_join(opt_path(o->purelib), rest);
		else if (kl == 7 && strncmp(key, "platlib", 7) == 0)
			*dest = pcb_path_join(opt_path(o->platlib), rest);
		else if (kl == 7 && strncmp(key, "scripts", 7) == 0) {
			*dest = pcb_path_join(opt_path(o->scripts), rest);
			*is_script = true;
		} else if (kl == 7 && strncmp(key, "headers", 7) == 0) {
			char *h = pcb_path_join(opt_path(o->headers), in->dist);
			*dest = pcb_path_join(h, rest);
			free(h);
		} else if (kl == 4 && strncmp(key, "data", 4) == 0)
			*dest = pcb_path_join(opt_path(o->data), rest);
		else
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": unknown scheme "
			    "\"%.*s\" in %s", in->z.label, name, (int)kl, key, in->datadir);
		return 0;
	}
	*dest = pcb_path_join(in->libdir, name);
	return 0;
}

static int
install_member(struct inst *in, const struct zent *e, struct rec *r, struct pcb_err *err)
{
	struct file_sink s;
	char *dest = NULL, got[100];
	bool is_script;
	mode_t mode;
	int rc;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	pcb_buf_init(&s.head, 4096);
	if ((rc = member_dest(in, e->name, &dest, &is_script, err)) < 0)
		goto out;
	mode = is_script || ((e->made_by >> 8) == 3 && ((e->eattr >> 16) & 0111)) ? 0755 : 0644;
	if ((rc = create_under(in->rootfd, dest, mode, &s.fd, err)) < 0) {
		pcb_err_prefix(err, "%s: member \"%s\"", in->z.label, e->name);
		goto out;
	}
	s.in = in;
	s.rel = dest;
	s.verify = EVP_MD_CTX_new();
	if (s.verify == NULL || EVP_DigestInit_ex(s.verify, record_md(r->hash), NULL) != 1) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "EVP digest init failed");
		goto out;
	}
	if (is_script) {
		s.fix_shebang = true;
		s.written = EVP_MD_CTX_new();
		if (s.written == NULL || EVP_DigestInit_ex(s.written, EVP_sha256(), NULL) != 1) {
			rc = pcb_err_set(err, PCB_EINTERNAL, "EVP digest init failed");
			goto out;
		}
	}
	if ((rc = zip_extract(&in->z, e, file_sink_fn, &s, err)) < 0)
		goto out;
	if (s.fix_shebang && (rc = sink_flush_head(&s, true, err)) < 0)
		goto out;
	md_final_str(s.verify, got);
	if (!hash_eq(r->hash, got)) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": hash %s does not match RECORD "
		    "(%s)", in->z.label, e->name, got, r->hash);
		goto out;
	}
	if (r->size[0] != '\0' && strtoull(r->size, NULL, 10) != e->usize) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": %" PRIu64 " bytes, RECORD "
		    "says %s", in->z.label, e->name, e->usize, r->size);
		goto out;
	}
	if (close(s.fd) < 0) {
		s.fd = -1;
		rc = pcb_err_errno(err, errno, "closing \"%s\"", dest);
		goto out;
	}
	s.fd = -1;
	if (s.written != NULL)
		md_final_str(s.written, got);
	else
		snprintf(got, sizeof(got), "%s", r->hash);
	out_push(in, path_rel(in->libdir, dest), got, s.nwritten, true);
	in->bytes += s.nwritten;
	in->files++;
	rc = 0;
out:
	if (s.fd >= 0)
		close(s.fd);
	EVP_MD_CTX_free(s.verify);
	EVP_MD_CTX_free(s.written);
	pcb_buf_free(&s.head);
	free(dest);
	return rc;
}

/* Writes a generated file (launcher, INSTALLER, RECORD) and records it unless it is RECORD. */
static int
write_generated(struct inst *in, const char *dest, const char *data, size_t len, mode_t mode,
    bool record, struct pcb_err *err)
{
	int fd = -1, rc, r;

	if ((rc = create_under(in->rootfd, dest, mode, &fd, err)) < 0)
		goto out;
	if ((r = pcb_write_all(fd, data, len)) < 0) {
		rc = pcb_err_errno(err, -r, "writing \"%s\"", dest);
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r < 0) {
		rc = pcb_err_errno(err, errno, "closing \"%s\"", dest);
		goto out;
	}
	if (record) {
		char h[100];
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(ctx);
			rc = pcb_err_set(err, PCB_EINTERNAL, "EVP digest init failed");
			goto out;
		}
		EVP_DigestUpdate(ctx, data, len);
		md_final_str(ctx, h);
		EVP_MD_CTX_free(ctx);
		out_push(in, path_rel(in->libdir, dest), h, len, true);
	}
	in->bytes += len;
	in->files++;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static bool
ident_ok(const char *s, size_t n)
{
	if (n == 0 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* "a.b.c" with every part a Python identifier (ASCII). */
static bool
dotted_ok(const char *s)
{
	const char *c = s;
	if (strlen(s) > 512)
		return false;
	for (;;) {
		const char *d = strchr(c, '.');
		size_t n = d ? (size_t)(d - c) : strlen(c);
		if (!ident_ok(c, n))
			return false;
		if (d == NULL)
			return true;
		c = d + 1;
	}
}

static char *
trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* pip's launcher for module:attr (attr may be dotted: the first part is imported). */
static char *
launcher_text(const char *interpreter, const char *mod, const char *attr)
{
	size_t first = strcspn(attr, ".");

	return pcb_xasprintf("#!%s\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
	    "from %s import %.*s\nif __name__ == '__main__':\n"
	    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
	    "    sys.exit(%s())\n", interpreter, mod, (int)first, attr, attr);
}

char *
pcb_wheel_launcher(const char *interpreter, const char *target)
{
	char *t = pcb_xstrdup(target), *colon, *bracket, *mod, *attr, *out = NULL;

	if ((bracket = strchr(t, '[')) != NULL)
		*bracket = '\0';
	if ((colon = strchr(t, ':')) != NULL) {
		*colon = '\0';
		mod = trim(t);
		attr = trim(colon + 1);
		if (dotted_ok(mod) && dotted_ok(attr))
			out = launcher_text(interpreter, mod, attr);
	}
	free(t);
	return out;
}

void
pcb_wheel_record_hash(const void *data, size_t len, char out[100])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();   /* allocation or library failure: as every allocation failure */
	EVP_DigestUpdate(ctx, data, len);
	md_final_str(ctx, out);
	EVP_MD_CTX_free(ctx);
}

/* Parses entry_points.txt and writes a launcher for every console/gui script. */
static int
write_launchers(struct inst *in, char *text, struct pcb_err *err)
{
	const char *scripts = opt_path(in->o->scripts);
	bool active = false;
	char *line = text, *next;
	struct pcb_strv names;
	int rc = 0;

	pcb_strv_init(&names);
	for (; line != NULL && rc == 0; line = next) {
		char *eq, *name, *val, *colon, *bracket, *mod, *attr, *dest = NULL, *body = NULL;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			active = strcmp(line, "[console_scripts]") == 0 ||
			    strcmp(line, "[gui_scripts]") == 0;
			continue;
		}
		if (!active)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: entry_points.txt: \"%.100s\" is not "
			    "name = module:attr", in->z.label, line);
			break;
		}
		*eq = '\0';
		name = trim(line);
		val = trim(eq + 1);
		if ((bracket = strchr(val, '[')) != NULL)   /* extras do not matter here */
			*bracket = '\0';
		colon = strchr(val, ':');
		if (colon == NULL) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: entry point \"%.100s\": \"%.100s\" has "
			    "no :function", in->z.label, name, val);
			break;
		}
		*colon = '\0';
		mod = trim(val);
		attr = trim(colon + 1);
		if (*name == '\0' || strlen(name) > 255 || strchr(name, '/') != NULL ||
		    strchr(name, '\\') != NULL || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: entry point \"%.100s\": not a valid "
			    "script name", in->z.label, name);
			break;
		}
		for (const char *c = name; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				rc = pcb_err_set(err, PCB_EINVAL, "%s: entry point \"%.100s\": control "
				    "character in the name", in->z.label, name);
				break;
			}
		if (rc < 0)
			break;
		if (!dotted_ok(mod) || !dotted_ok(attr)) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: entry point \"%.100s\": \"%.100s:%.100s\""
			    " is not module:attr of dotted identifiers", in->z.label, name, mod, attr);
			break;
		}
		if (pcb_strv_contains(&names, name)) {
			rc = pcb_err_set(err, PCB_EINVAL, "%s: entry point \"%.100s\" is defined twice",
			    in->z.label, name);
			break;
		}
		pcb_strv_push(&names, name);
		body = launcher_text(in->o->interpreter, mod, attr);
		dest = pcb_path_join(scripts, name);
		rc = write_generated(in, dest, body, strlen(body), 0755, true, err);
		if (rc < 0)
			pcb_err_prefix(err, "%s: entry point \"%.100s\"", in->z.label, name);
		free(dest);
		free(body);
	}
	for (size_t i = 0; i < names.n && rc == 0; i++)
		pcb_strv_push(&in->scripts, names.v[i]);
	pcb_strv_sort(&in->scripts);
	pcb_strv_free(&names);
	return rc;
}

static int
outrec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct outrec *)a)->path, ((const struct outrec *)b)->path);
}

static void
csv_put(struct pcb_buf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		pcb_buf_append(b, s, strlen(s));
		return;
	}
	pcb_buf_append(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			pcb_buf_append(b, "\"", 1);
		pcb_buf_append(b, s, 1);
	}
	pcb_buf_append(b, "\"", 1);
}

/* Member name checks that need nothing but the name. */
static int
check_name(const struct zip *z, const struct zent *e, struct pcb_err *err)
{
	const char *n = e->name;
	size_t len = strlen(n);
	char *tmp;
	bool ok;

	if (n[0] == '/')
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": absolute path", z->label, n);
	if (strchr(n, '\\') != NULL)
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": backslash in the name",
		    z->label, n);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%.200s\": control character "
			    "in the name", z->label, n);
	tmp = pcb_xstrndup(n, e->is_dir ? len - 1 : len);
	ok = relpath_ok(tmp);
	free(tmp);
	if (!ok)
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": \"..\", \".\" or an empty "
		    "component in the path", z->label, n);
	if (e->flags & 0x41)
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": encrypted", z->label, n);
	if ((e->made_by >> 8) == 3) {
		unsigned type = (e->eattr >> 16) & S_IFMT;
		if (type == S_IFLNK)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": symlinks are not "
			    "allowed in wheels", z->label, n);
		if (type != 0 && type != S_IFREG && type != S_IFDIR)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": not a regular file",
			    z->label, n);
	}
	if (!e->is_dir && e->method != 0 && e->method != 8)
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": compression method %u is not "
		    "supported (stored and deflate only)", z->label, n, e->method);
	if (e->method == 0 && e->csize != e->usize)
		return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": stored member with different "
		    "sizes", z->label, n);
	return 0;
}

static int
zent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct zent *)a)->name, ((const struct zent *)b)->name);
}

static struct zent *
zip_find(struct zip *z, const char *name)
{
	struct zent key = { .name = (char *)name };
	return bsearch(&key, z->ents, z->n, sizeof(*z->ents), zent_cmp);
}

/* Reads "Key: value" from WHEEL-style metadata into out (bounded), false when absent. */
static bool
meta_get(const char *text, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	for (const char *p = text; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncasecmp(p, key, kl) == 0 && p[kl] == ':') {
			const char *v = p + kl + 1;
			size_t n;
			while (*v == ' ' || *v == '\t')
				v++;
			n = strcspn(v, "\r\n");
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			snprintf(out, outsz, "%.*s", (int)n, v);
			return true;
		}
	}
	return false;
}

void
pcb_wheel_install_result_free(struct pcb_wheel_install_result *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->version);
	pcb_strv_free(&r->scripts);
	memset(r, 0, sizeof(*r));
}

static bool
is_signature(const struct inst *in, const char *name)
{
	size_t dl = strlen(in->distinfo);
	return strncmp(name, in->distinfo, dl) == 0 && name[dl] == '/' &&
	    (strcmp(name + dl + 1, "RECORD.jws") == 0 || strcmp(name + dl + 1, "RECORD.p7s") == 0);
}

/* Sets up an empty install of wheel_path; inst_free undoes it from any later state. */
static void
inst_init(struct inst *in, const char *wheel_path, const struct pcb_wheel_install_opts *opts)
{
	memset(in, 0, sizeof(*in));
	pcb_strv_init(&in->scripts);
	in->o = opts;
	in->z.fd = -1;
	in->rootfd = -1;
	in->z.label = strrchr(wheel_path, '/') ? strrchr(wheel_path, '/') + 1 : wheel_path;
}

static void
inst_free(struct inst *in)
{
	if (in->rootfd >= 0)
		close(in->rootfd);
	if (in->z.fd >= 0)
		close(in->z.fd);
	zip_close(&in->z);
	recset_free(&in->rs);
	for (size_t i = 0; i < in->nout; i++) {
		free(in->out[i].path);
		free(in->out[i].hash);
		free(in->out[i].size);
	}
	free(in->out);
	pcb_strv_free(&in->scripts);
	pcb_wheel_name_free(&in->wn);
	free(in->distinfo);
	free(in->datadir);
	free(in->dist);
	free(in->name);
	free(in->version);
	free(in->record_member);
	free(in->ep_txt);
	memset(in, 0, sizeof(*in));
	in->z.fd = -1;
	in->rootfd = -1;
}

/* The scheme paths must be safe relative image paths and the interpreter must fit a shebang
 * line; anything else is the caller's mistake, not the wheel's. */
static int
check_opts(const struct pcb_wheel_install_opts *opts, struct pcb_err *err)
{
	if (opts->staging == NULL || opt_path(opts->purelib) == NULL ||
	    opt_path(opts->platlib) == NULL || opt_path(opts->scripts) == NULL ||
	    opt_path(opts->headers) == NULL || opt_path(opts->data) == NULL ||
	    opts->interpreter == NULL || opts->interpreter[0] != '/' ||
	    strlen(opts->interpreter) > 255 || strpbrk(opts->interpreter, " \t\r\n") != NULL)
		return pcb_err_set(err, PCB_EINTERNAL, "wheel install: bad scheme paths or interpreter");
	return 0;
}

/* Opens the wheel file and reads its zip central directory (at most max_files entries). */
static int
open_wheel(struct inst *in, const char *wheel_path, uint64_t max_files, struct pcb_err *err)
{
	struct stat st;

	in->z.fd = open(wheel_path, O_RDONLY | O_CLOEXEC);
	if (in->z.fd < 0)
		return pcb_err_errno(err, errno, "opening %s", wheel_path);
	if (fstat(in->z.fd, &st) < 0 || !S_ISREG(st.st_mode))
		return pcb_err_set(err, PCB_EINVAL, "%s: not a regular file", in->z.label);
	in->z.size = (uint64_t)st.st_size;
	return zip_open(&in->z, max_files, err);
}

/* Names, caps and the one .dist-info, all before anything is written. The members are sorted
 * by name first: the duplicate check here and zip_find later rely on it. */
static int
check_members(struct inst *in, uint64_t max_total, struct pcb_err *err)
{
	uint64_t total = 0;
	int rc;

	qsort(in->z.ents, in->z.n, sizeof(*in->z.ents), zent_cmp);
	for (size_t i = 0; i < in->z.n; i++) {
		struct zent *e = &in->z.ents[i];
		const char *slash;
		if ((rc = check_name(&in->z, e, err)) < 0)
			return rc;
		if (i > 0 && strcmp(in->z.ents[i - 1].name, e->name) == 0)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\" appears twice",
			    in->z.label, e->name);
		if (e->usize > max_total || total + e->usize > max_total)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": uncompressed size "
			    "brings the wheel over the limit of %" PRIu64 " bytes", in->z.label,
			    e->name, max_total);
		total += e->usize;
		if (e->usize > RATIO_MIN_SIZE && e->usize / RATIO_MAX > e->csize)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": compression ratio "
			    "over %d:1", in->z.label, e->name, RATIO_MAX);
		slash = strchr(e->name, '/');
		if (slash != NULL && slash - e->name > 10 &&
		    strncmp(slash - 10, ".dist-info", 10) == 0) {
			size_t l = (size_t)(slash - e->name);
			if (in->distinfo == NULL)
				in->distinfo = pcb_xstrndup(e->name, l);
			else if (strlen(in->distinfo) != l ||
			    strncmp(in->distinfo, e->name, l) != 0)
				return pcb_err_set(err, PCB_EINVAL, "%s: several .dist-info folders "
				    "(%s, %.*s)", in->z.label, in->distinfo, (int)l, e->name);
		}
	}
	if (in->distinfo == NULL)
		return pcb_err_set(err, PCB_EINVAL, "%s: no .dist-info folder", in->z.label);
	return 0;
}

/* Splits "name-version.dist-info" into the distribution's name and version; the name must be
 * the one in the wheel's file name. Also names the .data folder after it. */
static int
check_distinfo_name(struct inst *in, struct pcb_err *err)
{
	size_t dl = strlen(in->distinfo) - 10;
	const char *dash = memchr(in->distinfo, '-', dl);

	if (dash == NULL || dash == in->distinfo || (size_t)(dash - in->distinfo) + 1 >= dl)
		return pcb_err_set(err, PCB_EINVAL, "%s: %s is not name-version.dist-info",
		    in->z.label, in->distinfo);
	in->dist = pcb_xstrndup(in->distinfo, (size_t)(dash - in->distinfo));
	in->version = pcb_xstrndup(dash + 1, dl - (size_t)(dash - in->distinfo) - 1);
	in->name = pcb_pyname_normalize(in->dist);
	if (strcmp(in->name, in->wn.name) != 0)
		return pcb_err_set(err, PCB_EINVAL, "%s: %s does not match the wheel's name \"%s\"",
		    in->z.label, in->distinfo, in->wn.distribution);
	in->datadir = pcb_xasprintf("%.*s.data", (int)dl, in->distinfo);
	return 0;
}

/* WHEEL: version 1.x, and which lib dir the root goes to. */
static int
read_wheel_metadata(struct inst *in, struct pcb_err *err)
{
	char *member = pcb_xasprintf("%s/WHEEL", in->distinfo), *text = NULL;
	char val[64];
	struct zent *ze;
	int rc;

	ze = zip_find(&in->z, member);
	if (ze == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: no %s", in->z.label, member);
		goto out;
	}
	if ((rc = zip_read_small(&in->z, ze, META_MAX, &text, NULL, err)) < 0)
		goto out;
	if (!meta_get(text, "Wheel-Version", val, sizeof(val)) ||
	    !pcb_str_has_prefix(val, "1.") || !isdigit((unsigned char)val[2])) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: %s: Wheel-Version \"%s\" is not supported "
		    "(want 1.x)", in->z.label, member, meta_get(text, "Wheel-Version", val,
		    sizeof(val)) ? val : "");
		goto out;
	}
	in->libdir = meta_get(text, "Root-Is-Purelib", val, sizeof(val)) &&
	    strcasecmp(val, "true") == 0 ? opt_path(in->o->purelib) : opt_path(in->o->platlib);
	rc = 0;
out:
	free(member);
	free(text);
	return rc;
}

/* Every file member needs a RECORD row with a hash we can check, and every RECORD row but
 * RECORD's own, the signatures' and bare directories' needs a member. */
static int
match_record(struct inst *in, struct pcb_err *err)
{
	for (size_t i = 0; i < in->z.n; i++) {
		struct zent *e = &in->z.ents[i];
		struct rec *r;
		if (e->is_dir || strcmp(e->name, in->record_member) == 0 ||
		    is_signature(in, e->name))
			continue;
		r = record_find(&in->rs, e->name);
		if (r == NULL)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\" is not in RECORD",
			    in->z.label, e->name);
		if (record_md(r->hash) == NULL)
			return pcb_err_set(err, PCB_EINVAL, "%s: member \"%s\": RECORD hash \"%.40s\" "
			    "is not sha256/sha384/sha512", in->z.label, e->name, r->hash);
		r->seen = true;
	}
	for (size_t i = 0; i < in->rs.n; i++)
		if (!in->rs.v[i].seen && strcmp(in->rs.v[i].path, in->record_member) != 0 &&
		    !is_signature(in, in->rs.v[i].path) &&
		    !(pcb_str_has_suffix(in->rs.v[i].path, "/") && in->rs.v[i].hash[0] == '\0')) {
			/* (a directory row without a hash is harmless: some tools write them) */
			return pcb_err_set(err, PCB_EINVAL, "%s: RECORD lists \"%s\", which is not in "
			    "the wheel", in->z.label, in->rs.v[i].path);
		}
	return 0;
}

/* RECORD: parsed, then matched against the members both ways. */
static int
read_record(struct inst *in, struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	struct zent *ze;
	int rc;

	in->record_member = pcb_xasprintf("%s/RECORD", in->distinfo);
	ze = zip_find(&in->z, in->record_member);
	if (ze == NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "%s: no %s", in->z.label, in->record_member);
		goto out;
	}
	if ((rc = zip_read_small(&in->z, ze, RECORD_MAX, &text, &len, err)) < 0)
		goto out;
	if ((rc = record_parse(in->z.label, text, len, &in->rs, err)) < 0)
		goto out;
	rc = match_record(in, err);
out:
	free(text);
	return rc;
}

/* entry_points.txt is read before writing so a bad one fails early. */
static int
read_entry_points(struct inst *in, struct pcb_err *err)
{
	char *member = pcb_xasprintf("%s/entry_points.txt", in->distinfo);
	struct zent *ze = zip_find(&in->z, member);
	int rc = 0;

	if (ze != NULL)
		rc = zip_read_small(&in->z, ze, META_MAX, &in->ep_txt, NULL, err);
	free(member);
	return rc;
}

/* Creates the staging directory and holds it open: every file is created relative to it. */
static int
open_staging(struct inst *in, struct pcb_err *err)
{
	int rc;

	if ((rc = pcb_mkdir_p(in->o->staging, 0755, err)) < 0)
		return rc;
	in->rootfd = open(in->o->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in->rootfd < 0)
		return pcb_err_errno(err, errno, "opening staging %s", in->o->staging);
	return 0;
}

/* Writes every file member to its place in the scheme, each checked against RECORD. */
static int
install_members(struct inst *in, struct pcb_err *err)
{
	char *installer = pcb_xasprintf("%s/INSTALLER", in->distinfo);
	int rc = 0;

	for (size_t i = 0; i < in->z.n; i++) {
		struct zent *e = &in->z.ents[i];
		/* RECORD is rewritten, signatures sign the old RECORD, INSTALLER is ours. */
		if (e->is_dir || strcmp(e->name, installer) == 0 || is_signature(in, e->name) ||
		    strcmp(e->name, in->record_member) == 0)
			continue;
		if ((rc = install_member(in, e, record_find(&in->rs, e->name), err)) < 0)
			goto out;
	}
out:
	free(installer);
	return rc;
}

/* .dist-info/INSTALLER names the tool that installed the distribution. */
static int
write_installer(struct inst *in, struct pcb_err *err)
{
	char *member = pcb_xasprintf("%s/INSTALLER", in->distinfo);
	char *path = pcb_path_join(in->libdir, member);
	char *body = pcb_xasprintf("%s\n", in->o->installer ? in->o->installer : "pycontainerd");
	int rc;

	rc = write_generated(in, path, body, strlen(body), 0644, true, err);
	free(member);
	free(path);
	free(body);
	return rc;
}

/* The new RECORD lists every file written, sorted by path, itself included without a hash. */
static int
write_record(struct inst *in, struct pcb_err *err)
{
	char *path = pcb_path_join(in->libdir, in->record_member);
	struct pcb_buf rb;
	int rc;

	pcb_buf_init(&rb, SIZE_MAX / 2);
	out_push(in, path_rel(in->libdir, path), "", 0, false);
	qsort(in->out, in->nout, sizeof(*in->out), outrec_cmp);
	for (size_t i = 0; i < in->nout; i++) {
		csv_put(&rb, in->out[i].path);
		pcb_buf_append(&rb, ",", 1);
		csv_put(&rb, in->out[i].hash);
		pcb_buf_append(&rb, ",", 1);
		csv_put(&rb, in->out[i].size);
		pcb_buf_append(&rb, "\n", 1);
	}
	rc = write_generated(in, path, rb.data, rb.len, 0644, false, err);
	pcb_buf_free(&rb);
	free(path);
	return rc;
}

int
pcb_wheel_install(const char *wheel_path, const struct pcb_wheel_install_opts *opts,
    struct pcb_wheel_install_result *res, struct pcb_err *err)
{
	struct inst in;
	uint64_t max_total = opts->max_total ? opts->max_total : (uint64_t)4 << 30;
	uint64_t max_files = opts->max_files ? opts->max_files : 200000;
	int rc;

	inst_init(&in, wheel_path, opts);
	memset(res, 0, sizeof(*res));

	/* Everything that can refuse the wheel, before the first file is written. */
	if ((rc = check_opts(opts, err)) < 0)
		goto out;
	if ((rc = pcb_wheel_name_parse(wheel_path, &in.wn, err)) < 0)
		goto out;
	if ((rc = open_wheel(&in, wheel_path, max_files, err)) < 0)
		goto out;
	if ((rc = check_members(&in, max_total, err)) < 0)
		goto out;
	if ((rc = check_distinfo_name(&in, err)) < 0)
		goto out;
	if ((rc = read_wheel_metadata(&in, err)) < 0)
		goto out;
	if ((rc = read_record(&in, err)) < 0)
		goto out;
	if ((rc = read_entry_points(&in, err)) < 0)
		goto out;

	/* Then the files: the members, the launchers, and the dist-info files we own. */
	if ((rc = open_staging(&in, err)) < 0)
		goto out;
	if ((rc = install_members(&in, err)) < 0)
		goto out;
	if (in.ep_txt != NULL && (rc = write_launchers(&in, in.ep_txt, err)) < 0)
		goto out;
	if ((rc = write_installer(&in, err)) < 0)
		goto out;
	if ((rc = write_record(&in, err)) < 0)
		goto out;
	rc = 0;
out:
	if (rc == 0) {
		res->name = in.name;
		res->version = in.version;
		res->n_files = in.files;
		res->bytes = in.bytes;
		res->scripts = in.scripts;
		in.name = NULL;
		in.version = NULL;
		pcb_strv_init(&in.scripts);
	}
	inst_free(&in);
	return rc;
}
