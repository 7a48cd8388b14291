/* oci.c — platforms, descriptors, image references and the OCI image layout writer. */
#include "image/oci.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "image/sbom.h"

static bool
platform_word_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == '-'))
			return false;
	return true;
}

static void
normalise_arch(struct pcb_platform *p)
{
	if (strcmp(p->arch, "x86_64") == 0 || strcmp(p->arch, "x86-64") == 0)
		strcpy(p->arch, "amd64");
	else if (strcmp(p->arch, "aarch64") == 0)
		strcpy(p->arch, "arm64");
	else if (strcmp(p->arch, "i386") == 0 || strcmp(p->arch, "i686") == 0)
		strcpy(p->arch, "386");
	else if (strcmp(p->arch, "armhf") == 0 || strcmp(p->arch, "armv7l") == 0) {
		strcpy(p->arch, "arm");
		if (p->variant[0] == '\0')
			strcpy(p->variant, "v7");
	}
	/* linux/arm64/v8 is the same platform as linux/arm64 (image-spec, platform variants). */
	if (strcmp(p->arch, "arm64") == 0 && strcmp(p->variant, "v8") == 0)
		p->variant[0] = '\0';
}

/* The platforms images are built for (the GOOS/GOARCH pairs container runtimes and
 * registries use, with the variants that exist for them): a typo such as "linux/amd65" is an
 * error listing them, not an image no runtime will run. */
static const struct {
	const char *arch;
	const char *variants;   /* ' '-separated, "" = none */
} known_archs[] = {
	{ "amd64", "v1 v2 v3 v4" }, { "arm64", "v8 v9" }, { "arm", "v5 v6 v7 v8" },
	{ "386", "" }, { "ppc64le", "" }, { "s390x", "" }, { "riscv64", "" },
	{ "mips64le", "" }, { "loong64", "" },
};
#define KNOWN_PLATFORMS "linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, " \
	"linux/arm/v5, linux/386, linux/ppc64le, linux/s390x, linux/riscv64, linux/mips64le, " \
	"linux/loong64"

static int
platform_known(const char *s, const struct pcb_platform *p, struct pcb_err *err)
{
	if (strcmp(p->os, "linux") != 0)
		return pcb_err_set(err, PCB_EINVAL, "platform '%s': unknown OS '%s' (known: "
		    KNOWN_PLATFORMS ")", s, p->os);
	for (size_t i = 0; i < sizeof known_archs / sizeof known_archs[0]; i++) {
		const char *v = known_archs[i].variants;
		size_t vl = strlen(p->variant);
		if (strcmp(p->arch, known_archs[i].arch) != 0)
			continue;
		if (vl == 0)
			return 0;
		for (const char *c = v; (c = strstr(c, p->variant)) != NULL; c += vl)
			if ((c == v || c[-1] == ' ') && (c[vl] == ' ' || c[vl] == '\0'))
				return 0;
		return pcb_err_set(err, PCB_EINVAL, "platform '%s': unknown variant '%s' of %s "
		    "(known: %s)", s, p->variant, p->arch, v[0] != '\0' ? v : "none");
	}
	return pcb_err_set(err, PCB_EINVAL, "platform '%s': unknown architecture '%s' (known: "
	    KNOWN_PLATFORMS ")", s, p->arch);
}

int
pcb_platform_parse(const char *s, struct pcb_platform *p, struct pcb_err *err)
{
	const char *parts[3] = { NULL, NULL, NULL };
	size_t lens[3] = { 0, 0, 0 };
	size_t n = 0;
	const char *c = s;

	memset(p, 0, sizeof *p);
	if (s == NULL || *s == '\0')
		return pcb_err_set(err, PCB_EINVAL, "empty platform: expected OS/ARCH[/VARIANT]");
	while (n < 3) {
		const char *slash = strchr(c, '/');
		parts[n] = c;
		lens[n] = slash ? (size_t)(slash - c) : strlen(c);
		n++;
		if (slash == NULL)
			break;
		c = slash + 1;
	}
	if (n < 2 || strchr(parts[n - 1], '/') != NULL)
		return pcb_err_set(err, PCB_EINVAL,
		    "platform '%s': expected OS/ARCH[/VARIANT], e.g. linux/amd64", s);
	for (size_t i = 0; i < n; i++)
		if (!platform_word_ok(parts[i], lens[i]))
			return pcb_err_set(err, PCB_EINVAL,
			    "platform '%s': '%.*s' is not a valid platform component "
			    "(lowercase letters, digits, '-' and '_')", s, (int)(lens[i] < 64 ? lens[i] : 64),
			    parts[i]);
	memcpy(p->os, parts[0], lens[0]);
	memcpy(p->arch, parts[1], lens[1]);
	if (n == 3)
		memcpy(p->variant, parts[2], lens[2]);
	normalise_arch(p);
	return platform_known(s, p, err);
}

void
pcb_platform_host(struct pcb_platform *p)
{
	struct utsname u;

	memset(p, 0, sizeof *p);
	strcpy(p->os, "linux");
	if (uname(&u) == 0 && strlen(u.machine) < sizeof p->arch)
		strcpy(p->arch, u.machine);
	else
		strcpy(p->arch, "amd64");
	normalise_arch(p);
}

const char *
pcb_platform_variant(const char *arch, const char *variant)
{
	if (variant != NULL && variant[0] != '\0')
		return variant;
	if (strcmp(arch, "arm64") == 0)
		return "v8";
	if (strcmp(arch, "arm") == 0)
		return "v7";
	return "";
}

void
pcb_platform_format(const struct pcb_platform *p, char out[100])
{
	if (p->variant[0] != '\0')
		snprintf(out, 100, "%s/%s/%s", p->os, p->arch, p->variant);
	else
		snprintf(out, 100, "%s/%s", p->os, p->arch);
}

json_object *
pcb_oci_descriptor(const char *media_type, const char *digest, uint64_t size)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "mediaType", json_object_new_string(media_type));
	json_object_object_add(d, "digest", json_object_new_string(digest));
	json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
	return d;
}

json_object *
pcb_oci_manifest_new(const char *config_digest, uint64_t config_size, json_object *layers)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	json_object_object_add(m, "mediaType", json_object_new_string(PCB_MT_OCI_MANIFEST));
	json_object_object_add(m, "config",
	    pcb_oci_descriptor(PCB_MT_OCI_CONFIG, config_digest, config_size));
	json_object_object_add(m, "layers", layers);
	return m;
}

int
pcb_oci_put_json(struct pcb_store *store, json_object *j, const char *media_type,
    char *digest_out, size_t *size_out, struct pcb_err *err)
{
	const char *text = pcb_json_str(j);
	size_t size = strlen(text);
	int rc;

	if ((rc = pcb_store_put(store, text, size, media_type, digest_out, err)) != 0)
		return rc;
	*size_out = size;
	return 0;
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'. */
bool
pcb_ref_path_component_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return false;
	while (i < n) {
		size_t run = 0;
		while (i < n && (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) {
			i++;
			run++;
		}
		if (run == 0)
			return false;   /* leading, trailing or doubled separator */
		if (i == n)
			break;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return false;
		if (i == n)
			return false;
	}
	return true;
}

/* host[:port]: letters, digits, '-' and '.' (or a bracketed IPv6 literal), port 1..65535. */
bool
pcb_ref_host_ok(const char *s, size_t n)
{
	size_t i = 0, hostlen;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		while (i < n && s[i] != ']') {
			if (!(isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '[' || s[i] == '.'))
				return false;
			i++;
		}
		if (i == n)
			return false;
		i++;
	} else {
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
			i++;
	}
	hostlen = i;
	if (hostlen == 0 || s[0] == '.' || s[0] == '-')
		return false;
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return false;
	{
		long port = 0;
		for (i++; i < n; i++) {
			if (!isdigit((unsigned char)s[i]))
				return false;
			port = port * 10 + (s[i] - '0');
		}
		return port >= 1 && port <= 65535;
	}
}

int
pcb_ref_parse(const char *ref, char **repo_out, char **tag_out, struct pcb_err *err)
{
	const char *last_slash, *colon, *c;
	size_t repo_len;
	char *tag = NULL;
	bool first = true;

	if (ref == NULL || *ref == '\0')
		return pcb_err_set(err, PCB_EINVAL, "empty image reference");
	if (strlen(ref) > 255 + 128)
		return pcb_err_set(err, PCB_EINVAL, "image reference '%.40s…' is too long", ref);
	if (strchr(ref, '@') != NULL)
		return pcb_err_set(err, PCB_EINVAL,
		    "image reference '%s': digests cannot be used as build tags", ref);
	last_slash = strrchr(ref, '/');
	colon = strrchr(last_slash ? last_slash : ref, ':');
	repo_len = colon ? (size_t)(colon - ref) : strlen(ref);
	if (colon != NULL) {
		const char *t = colon + 1;
		size_t tl = strlen(t);
		if (tl == 0 || tl > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
			return pcb_err_set(err, PCB_EINVAL,
			    "image reference '%s': invalid tag '%s' (letters, digits, '_', '.', '-'; at most "
			    "128; not starting with '.' or '-')", ref, t);
		for (size_t i = 0; i < tl; i++)
			if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
				return pcb_err_set(err, PCB_EINVAL,
				    "image reference '%s': invalid character '%c' in tag", ref, t[i]);
		tag = pcb_xstrdup(t);
	}
	if (repo_len == 0 || repo_len > 255) {
		free(tag);
		return pcb_err_set(err, PCB_EINVAL, "image reference '%s': bad repository name length",
		    ref);
	}
	c = ref;
	while (c < ref + repo_len) {
		const char *end = memchr(c, '/', (size_t)(ref + repo_len - c));
		size_t n = end ? (size_t)(end - c) : (size_t)(ref + repo_len - c);
		bool is_host = first && end != NULL &&
		    (memchr(c, '.', n) || memchr(c, ':', n) || (n == 9 && !memcmp(c, "localhost", 9)));
		if (!(is_host ? pcb_ref_host_ok(c, n) : pcb_ref_path_component_ok(c, n))) {
			free(tag);
			return pcb_err_set(err, PCB_EINVAL,
			    "image reference '%s': invalid repository component '%.*s' (lowercase letters, "
			    "digits and separators . _ __ -)", ref, (int)(n < 64 ? n : 64), c);
		}
		first = false;
		c += n + (end ? 1 : 0);
		if (end != NULL && c == ref + repo_len) {
			free(tag);
			return pcb_err_set(err, PCB_EINVAL, "image reference '%s': ends with '/'", ref);
		}
	}
	*repo_out = pcb_xstrndup(ref, repo_len);
	*tag_out = tag ? tag : pcb_xstrdup("latest");
	return 0;
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Replaces the object o[key] (if any) by one with the same members in sorted key order. */
static void
sort_keys(json_object *o, const char *key)
{
	json_object *m, *sorted;
	const char **keys;
	size_t n = 0;

	if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_object))
		return;
	keys = pcb_xcalloc((size_t)json_object_object_length(m) + 1, sizeof *keys);
	json_object_object_foreach(m, k, v) {
		(void)v;
		keys[n++] = k;
	}
	qsort(keys, n, sizeof *keys, cmp_key);
	sorted = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(sorted, keys[i],
		    json_object_get(json_object_object_get(m, keys[i])));
	free(keys);
	json_object_object_add(o, key, sorted);   /* drops the old one (and its key strings) */
}

/* The config's members in the order of the image spec's ImageConfig (the order Go tools write
 * them in), any others after: takes cfg, returns the reordered object. */
static json_object *
field_order(json_object *cfg)
{
	static const char *const order[] = { "User", "ExposedPorts", "Env", "Entrypoint", "Cmd",
		"Volumes", "WorkingDir", "Labels", "StopSignal", "ArgsEscaped" };
	json_object *out = json_object_new_object(), *v;

	for (size_t i = 0; i < PCB_ARRAY_LEN(order); i++)
		if (json_object_object_get_ex(cfg, order[i], &v))
			json_object_object_add(out, order[i], json_object_get(v));
	json_object_object_foreach(cfg, k, val) {
		size_t i;
		for (i = 0; i < PCB_ARRAY_LEN(order) && strcmp(order[i], k) != 0; i++)
			;
		if (i == PCB_ARRAY_LEN(order))
			json_object_object_add(out, k, json_object_get(val));
	}
	json_object_put(cfg);
	return out;
}

json_object *
pcb_oci_config_canonical(json_object *cfg)
{
	sort_keys(cfg, "Labels");
	sort_keys(cfg, "ExposedPorts");
	sort_keys(cfg, "Volumes");
	return field_order(cfg);
}

static int
export_blob(struct pcb_store *store, const char *dir, const char *digest,
    const struct pcb_cred *as, struct pcb_err *err)
{
	char *dst = pcb_xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	int rc = pcb_store_export_as(store, digest, dst, as, err);
	free(dst);
	return rc;
}

/* Where a layout may be written (called with the owner's rights): no component of the path
 * is a symbolic link (openat2 RESOLVE_NO_SYMLINKS), and dir is new, an empty folder or an
 * OCI layout already (the image is added to it) — never another folder, whose files would
 * be mixed with ours. *is_new: dir does not exist yet. */
static int
layout_dest_check(const char *dir, bool *is_new, struct pcb_err *err)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS };
	char *parent = pcb_xstrdup(dir), *slash = strrchr(parent, '/'), *base;
	struct stat st;
	int pfd = -1, fd = -1, rc = 0;
	DIR *d = NULL;
	struct dirent *de;

	*is_new = false;
	if (slash == NULL || slash[1] == '\0') {
		rc = pcb_err_set(err, PCB_EINVAL, "output %s: expected an absolute path to a folder",
		    dir);
		goto out;
	}
	base = slash + 1;
	if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	pfd = (int)syscall(SYS_openat2, AT_FDCWD, slash == parent ? "/" : parent, &how, sizeof how);
	if (pfd < 0) {
		rc = errno == ELOOP ? pcb_err_set(err, PCB_EINVAL, "output %s: a folder on the way "
		    "is a symbolic link; outputs are written without following symlinks: give the "
		    "real path", dir) : pcb_err_errno(err, errno, "output %s: opening %s", dir,
		    slash == parent ? "/" : parent);
		goto out;
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			*is_new = true;
		else
			rc = pcb_err_errno(err, errno, "output %s", dir);
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		rc = pcb_err_set(err, PCB_EINVAL, "output %s is a symbolic link; outputs are written "
		    "without following symlinks: give the real path", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = pcb_err_set(err, PCB_EINVAL, "output %s exists and is not a folder", dir);
		goto out;
	}
	if ((fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = pcb_err_errno(err, errno, "output %s", dir);
		goto out;
	}
	if (fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		goto out;   /* an OCI layout: the image is added to it */
	if ((d = fdopendir(fd)) == NULL) {
		rc = pcb_err_errno(err, errno, "output %s", dir);
		goto out;
	}
	fd = -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = pcb_err_set(err, PCB_EINVAL, "output %s exists and is neither empty nor an OCI "
		    "layout (it holds %.100s, …): refusing to write into it; give a new or empty "
		    "folder", dir, de->d_name);
		break;
	}
out:
	if (d != NULL)
		closedir(d);
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	free(parent);
	return rc;
}

/* Runs one step of the layout writing with the owner's rights. */
#define AS(as, call) __extension__({ struct pcb_cred_saved sv_; int r_ = \
	pcb_cred_enter((as), &sv_, err); if (r_ == 0) { r_ = (call); pcb_cred_leave(&sv_); } r_; })

/* Reads the existing index.json (if any) and keeps descriptors whose ref name is not replaced. */
static int
load_index(const char *path, const struct pcb_strv *ref_names, json_object *manifests,
    struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	json_object *idx = NULL, *arr;
	int rc = 0;
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : pcb_err_errno(err, errno, "reading %s", path);
	rc = pcb_read_file(path, 16u << 20, &text, &len, err);
	if (rc != 0)
		return rc;
	idx = json_tokener_parse(text);
	if (idx == NULL || !json_object_object_get_ex(idx, "manifests", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		rc = pcb_err_set(err, PCB_EINVAL,
		    "%s exists but is not an OCI index: refusing to overwrite it", path);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *d = json_object_array_get_idx(arr, i), *ann, *rn;
		const char *name = NULL;
		if (json_object_object_get_ex(d, "annotations", &ann) &&
		    json_object_object_get_ex(ann, PCB_ANN_REF_NAME, &rn))
			name = json_object_get_string(rn);
		if (name != NULL && pcb_strv_contains(ref_names, name))
			continue;
		json_object_array_add(manifests, json_object_get(d));
	}
out:
	json_object_put(idx);
	free(text);
	return rc;
}

/* The OCI 1.1 referrers (SBOMs, provenance: image/sbom.h) of the image and, for an index, of
 * each of its manifests: their manifests and blobs exported, and each manifest listed in
 * index.json (with its artifactType, no ref name) unless it is there already, so a reader
 * of the layout finds them by their subject as it would through a registry. */
static int
layout_referrers(struct pcb_store *store, const char *dir, const char *manifest_digest,
    json_object *manifests, const struct pcb_cred *as, struct pcb_err *err)
{
	struct pcb_strv subjects, blobs;
	char *text = NULL;
	size_t len = 0;
	json_object *doc = NULL, *a;
	int rc = 0;

	pcb_strv_init(&subjects);
	pcb_strv_init(&blobs);
	pcb_strv_push(&subjects, manifest_digest);
	if (pcb_store_read(store, manifest_digest, 4u << 20, &text, &len, NULL) == 0 &&
	    (doc = json_tokener_parse(text)) != NULL &&
	    json_object_object_get_ex(doc, "manifests", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *d = json_object_object_get(json_object_array_get_idx(a, i), "digest");
			if (d != NULL && pcb_digest_valid(json_object_get_string(d)))
				pcb_strv_push(&subjects, json_object_get_string(d));
		}
	for (size_t i = 0; i < subjects.n && rc == 0; i++) {
		json_object *idx = NULL, *ms;
		if (pcb_sbom_referrers(store, subjects.v[i], NULL, &idx, NULL) != 0)
			continue;   /* none (or an unreadable index: nothing to add) */
		ms = json_object_object_get(idx, "manifests");
		for (size_t k = 0; k < json_object_array_length(ms) && rc == 0; k++) {
			json_object *e = json_object_array_get_idx(ms, k);
			const char *md = json_object_get_string(json_object_object_get(e, "digest"));
			bool listed = false;
			pcb_strv_free(&blobs);
			pcb_strv_init(&blobs);
			if ((rc = pcb_sbom_referrer_blobs(store, md, &blobs, err)) != 0)
				break;
			for (size_t b = 0; b < blobs.n && rc == 0; b++)
				rc = export_blob(store, dir, blobs.v[b], as, err);
			if (rc == 0)
				rc = export_blob(store, dir, md, as, err);
			for (size_t m = 0; m < json_object_array_length(manifests) && !listed; m++) {
				json_object *d = json_object_object_get(json_object_array_get_idx(manifests,
				    m), "digest");
				listed = d != NULL && strcmp(json_object_get_string(d), md) == 0;
			}
			if (rc == 0 && !listed)
				json_object_array_add(manifests, json_object_get(e));
		}
		json_object_put(idx);
	}
	json_object_put(doc);
	free(text);
	pcb_strv_free(&subjects);
	pcb_strv_free(&blobs);
	return rc;
}

int
pcb_oci_layout_write(struct pcb_store *store, const char *final_dir, const char *manifest_digest,
    uint64_t manifest_size, const struct pcb_strv *blobs, const struct pcb_strv *ref_names,
    const struct pcb_platform *platform, const struct pcb_cred *as, struct pcb_err *err)
{
	char rnd[17], *dir, *blobdir, *layout_path, *index_path;
	json_object *index = NULL, *manifests = json_object_new_array();
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	const char *text;
	bool is_new = false;
	int rc;

	/* A new layout is written under a temporary name beside it and renamed into place at
	 * the end: a failed or cancelled build leaves no half layout under the name asked. */
	pcb_random_hex(rnd, 8);
	dir = pcb_xasprintf("%s.tmp-%s", final_dir, rnd);
	blobdir = pcb_xasprintf("%s/blobs/sha256", dir);
	layout_path = pcb_path_join(dir, "oci-layout");
	index_path = pcb_path_join(dir, "index.json");
	if ((rc = AS(as, layout_dest_check(final_dir, &is_new, err))) != 0)
		goto out;
	if (!is_new) {
		/* Updated in place: blobs and index.json are each replaced atomically. */
		free(dir);
		free(blobdir);
		free(layout_path);
		free(index_path);
		dir = pcb_xstrdup(final_dir);
		blobdir = pcb_xasprintf("%s/blobs/sha256", dir);
		layout_path = pcb_path_join(dir, "oci-layout");
		index_path = pcb_path_join(dir, "index.json");
	}
	if ((rc = AS(as, pcb_mkdir_p(blobdir, 0755, err))) != 0)
		goto out;
	for (size_t i = 0; i < blobs->n; i++)
		if ((rc = export_blob(store, dir, blobs->v[i], as, err)) != 0)
			goto out;
	if ((rc = export_blob(store, dir, manifest_digest, as, err)) != 0)
		goto out;
	if ((rc = AS(as, pcb_write_file_atomic(layout_path, layout, sizeof layout - 1, 0644,
	    err))) != 0)
		goto out;
	if ((rc = AS(as, load_index(index_path, ref_names, manifests, err))) != 0)
		goto out;
	for (size_t i = 0; i < ref_names->n; i++) {
		/* No platform: manifest_digest is an image index (a multi-platform image), whose
		 * manifests name their platforms themselves. */
		json_object *d = pcb_oci_descriptor(platform != NULL ? PCB_MT_OCI_MANIFEST :
		    PCB_MT_OCI_INDEX, manifest_digest, manifest_size);
		json_object *ann = json_object_new_object();
		if (platform != NULL) {
			json_object *plat = json_object_new_object();
			json_object_object_add(plat, "architecture",
			    json_object_new_string(platform->arch));
			json_object_object_add(plat, "os", json_object_new_string(platform->os));
			if (platform->variant[0] != '\0')
				json_object_object_add(plat, "variant",
				    json_object_new_string(platform->variant));
			json_object_object_add(d, "platform", plat);
		}
		json_object_object_add(ann, PCB_ANN_REF_NAME, json_object_new_string(ref_names->v[i]));
		json_object_object_add(d, "annotations", ann);
		json_object_array_add(manifests, d);
	}
	if ((rc = layout_referrers(store, dir, manifest_digest, manifests, as, err)) != 0)
		goto out;
	index = json_object_new_object();
	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", json_object_new_string(PCB_MT_OCI_INDEX));
	json_object_object_add(index, "manifests", manifests);
	manifests = NULL;
	text = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = AS(as, pcb_write_file_atomic(index_path, text, strlen(text), 0644, err));
	if (rc == 0 && is_new && (rc = AS(as, rename(dir, final_dir) == 0 ? 0 :
	    pcb_err_errno(err, errno, "renaming %s to %s", dir, final_dir))) == 0)
		rc = AS(as, pcb_fsync_parent(final_dir, err));
out:
	if (rc != 0) {
		pcb_err_prefix(err, "writing OCI layout %s", final_dir);
		if (is_new)
			(void)AS(as, pcb_rm_rf(dir, NULL));
	}
	json_object_put(manifests);
	json_object_put(index);
	free(dir);
	free(blobdir);
	free(layout_path);
	free(index_path);
	return rc;
}
