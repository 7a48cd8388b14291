/* sbom.c — the SBOMs (SPDX 2.3, CycloneDX 1.5) and SLSA v1 provenance of an image, and their
 * attachment to it as OCI 1.1 referrers in the store (see sbom.h for the shape of each and
 * the store's index of referrers). */
#include "image/sbom.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base/jsonx.h"

/* Documents, manifests and referrer indexes we read back are small; an SBOM of thousands of
 * distributions is well under this. */
#define SBOM_MAX ((size_t)64 << 20)
#define INDEX_MAX ((size_t)4 << 20)
/* How far up from the context a .git is looked for, and how big its small files may be. */
#define VCS_DEPTH 64
#define VCS_FILE_MAX ((size_t)1 << 20)

/* ---- small helpers ------------------------------------------------------------------- */

static const char *
jget_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

/* Percent-encodes s into b, leaving the unreserved characters and those in keep as they
 * are (purl: name and version keep none of the delimiters; a qualifier value keeps '/' and
 * ':', which purl says are unambiguous there; ':' is never encoded anywhere, as purl's
 * reference implementations write it). */
static void
pct_append(struct pcb_buf *b, const char *s, const char *keep)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '.' || *p == '-' || *p == '_' || *p == '~' || *p == ':' ||
		    (keep != NULL && strchr(keep, *p) != NULL))
			(void)pcb_buf_append(b, p, 1);
		else
			(void)pcb_buf_appendf(b, "%%%02X", *p);
	}
}

/* PEP 503: lower case, runs of '-', '_' and '.' as one '-'. */
static char *
pyname_normalize(const char *name)
{
	char *out = pcb_xmalloc(strlen(name) + 1), *o = out;

	for (const char *p = name; *p; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			if (o == out || o[-1] != '-')
				*o++ = '-';
		} else {
			*o++ = (char)tolower((unsigned char)*p);
		}
	}
	*o = '\0';
	return out;
}

/* A name-based UUID (RFC 4122 version 5: SHA-1 of the URL namespace and the name), so a
 * document's identity follows from what it describes and never from a random draw. */
static void
uuid5(const char *name, char out[37])
{
	static const unsigned char ns_url[16] = { 0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
		0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char hex[33];

	if (c == NULL)
		abort();
	EVP_DigestInit_ex(c, EVP_sha1(), NULL);
	EVP_DigestUpdate(c, ns_url, sizeof ns_url);
	EVP_DigestUpdate(c, name, strlen(name));
	EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	pcb_hex(md, 16, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* A path under the context as written in a document: relative to it (the same project gives
 * the same SBOM wherever it is checked out), else as it is. */
static const char *
context_relative(const struct pcb_sbom_input *in, const char *path)
{
	size_t n;

	if (path == NULL || in->context == NULL)
		return path;
	n = strlen(in->context);
	if (strncmp(path, in->context, n) == 0 && path[n] == '/' && path[n + 1] != '\0')
		return path + n + 1;
	return path;
}

/* ---- package URLs ------------------------------------------------------------------- */

char *
pcb_sbom_purl_pypi(const char *name, const char *version)
{
	struct pcb_buf b;
	char *norm = pyname_normalize(name);

	pcb_buf_init(&b, 1 << 16);
	(void)pcb_buf_appendf(&b, "pkg:pypi/");
	pct_append(&b, norm, NULL);
	if (version != NULL && version[0] != '\0') {
		(void)pcb_buf_append(&b, "@", 1);
		pct_append(&b, version, NULL);
	}
	free(norm);
	return pcb_buf_steal(&b, NULL);
}

/* Splits a reference into repository (with its host, when it names one) and tag; the
 * "@digest" part is dropped. *has_host: the first component is a registry host (a '.' or
 * ':' in it, or "localhost"), as docker decides. */
static void
split_ref(const char *ref, char **repo, char **tag, bool *has_host)
{
	char *r = pcb_xstrdup(ref), *at = strchr(r, '@'), *slash, *colon, *first;

	if (at != NULL)
		*at = '\0';
	slash = strrchr(r, '/');
	colon = strrchr(r, ':');
	*tag = NULL;
	if (colon != NULL && (slash == NULL || colon > slash)) {
		*colon = '\0';
		*tag = pcb_xstrdup(colon + 1);
	}
	first = strchr(r, '/');
	*has_host = first != NULL && (memchr(r, '.', (size_t)(first - r)) != NULL ||
	    memchr(r, ':', (size_t)(first - r)) != NULL ||
	    ((size_t)(first - r) == 9 && strncmp(r, "localhost", 9) == 0));
	*repo = r;
}

char *
pcb_sbom_purl_oci(const char *ref, const char *digest, const char *arch)
{
	struct pcb_buf b;
	char *repo, *tag, *name;
	const char *sep = "?";
	bool has_host;

	split_ref(ref, &repo, &tag, &has_host);
	name = strrchr(repo, '/') != NULL ? strrchr(repo, '/') + 1 : repo;
	pcb_buf_init(&b, 1 << 16);
	(void)pcb_buf_appendf(&b, "pkg:oci/");
	{
		char *lower = pcb_xstrdup(name);
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		pct_append(&b, lower, NULL);
		free(lower);
	}
	if (digest != NULL) {
		(void)pcb_buf_append(&b, "@", 1);
		pct_append(&b, digest, NULL);
	}
	/* Qualifiers in key order, as purl's canonical form has them. */
	if (arch != NULL && arch[0] != '\0') {
		(void)pcb_buf_appendf(&b, "%sarch=", sep);
		pct_append(&b, arch, NULL);
		sep = "&";
	}
	if (has_host) {
		(void)pcb_buf_appendf(&b, "%srepository_url=", sep);
		pct_append(&b, repo, "/");
		sep = "&";
	}
	if (tag != NULL) {
		(void)pcb_buf_appendf(&b, "%stag=", sep);
		pct_append(&b, tag, NULL);
	}
	free(repo);
	free(tag);
	return pcb_buf_steal(&b, NULL);
}

/* ---- licences ----------------------------------------------------------------------- */

/* SPDX ids a License field is often exactly, with the spellings seen in the wild. */
static const struct { const char *text, *id; } license_names[] = {
	{ "MIT", "MIT" }, { "MIT License", "MIT" }, { "MIT-0", "MIT-0" },
	{ "BSD-2-Clause", "BSD-2-Clause" }, { "BSD-3-Clause", "BSD-3-Clause" },
	{ "BSD 3-Clause", "BSD-3-Clause" }, { "BSD 2-Clause", "BSD-2-Clause" },
	{ "0BSD", "0BSD" }, { "Apache-2.0", "Apache-2.0" }, { "Apache 2.0", "Apache-2.0" },
	{ "Apache License 2.0", "Apache-2.0" }, { "Apache License, Version 2.0", "Apache-2.0" },
	{ "Apache Software License 2.0", "Apache-2.0" }, { "ISC", "ISC" },
	{ "ISC License", "ISC" }, { "MPL-2.0", "MPL-2.0" }, { "MPL 2.0", "MPL-2.0" },
	{ "PSF-2.0", "PSF-2.0" }, { "Python-2.0", "Python-2.0" }, { "Zlib", "Zlib" },
	{ "Unlicense", "Unlicense" }, { "CC0-1.0", "CC0-1.0" }, { "BSL-1.0", "BSL-1.0" },
	{ "EPL-2.0", "EPL-2.0" }, { "UPL-1.0", "UPL-1.0" }, { "EUPL-1.2", "EUPL-1.2" },
	{ "GPL-2.0-only", "GPL-2.0-only" }, { "GPL-2.0-or-later", "GPL-2.0-or-later" },
	{ "GPL-3.0-only", "GPL-3.0-only" }, { "GPL-3.0-or-later", "GPL-3.0-or-later" },
	{ "LGPL-2.1-only", "LGPL-2.1-only" }, { "LGPL-2.1-or-later", "LGPL-2.1-or-later" },
	{ "LGPL-3.0-only", "LGPL-3.0-only" }, { "LGPL-3.0-or-later", "LGPL-3.0-or-later" },
	{ "AGPL-3.0-only", "AGPL-3.0-only" }, { "AGPL-3.0-or-later", "AGPL-3.0-or-later" },
};

/* Trove classifiers that name exactly one SPDX licence (the vague ones — "BSD License",
 * "Apache Software License" with no version — name none). */
static const struct { const char *classifier, *id; } license_classifiers[] = {
	{ "License :: OSI Approved :: MIT License", "MIT" },
	{ "License :: OSI Approved :: MIT No Attribution License (MIT-0)", "MIT-0" },
	{ "License :: OSI Approved :: ISC License (ISCL)", "ISC" },
	{ "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0" },
	{ "License :: OSI Approved :: Python Software Foundation License", "PSF-2.0" },
	{ "License :: OSI Approved :: GNU General Public License v2 (GPLv2)", "GPL-2.0-only" },
	{ "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
	  "GPL-2.0-or-later" },
	{ "License :: OSI Approved :: GNU General Public License v3 (GPLv3)", "GPL-3.0-only" },
	{ "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
	  "GPL-3.0-or-later" },
	{ "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
	  "LGPL-3.0-only" },
	{ "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
	  "LGPL-3.0-or-later" },
	{ "License :: OSI Approved :: GNU Affero General Public License v3", "AGPL-3.0-only" },
	{ "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
	  "AGPL-3.0-or-later" },
	{ "License :: OSI Approved :: The Unlicense (Unlicense)", "Unlicense" },
	{ "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)", "BSL-1.0" },
	{ "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0" },
	{ "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2" },
	{ "License :: OSI Approved :: Universal Permissive License (UPL)", "UPL-1.0" },
	{ "License :: OSI Approved :: zlib/libpng License", "Zlib" },
	{ "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0" },
};

/* An SPDX licence expression as PEP 639 writes them: ids and LicenseRef-s (letters, digits,
 * '.', '-', '+', ':'), AND / OR / WITH between operands, parentheses. Checks the shape only:
 * operands and operators alternate, parentheses balance. */
static bool
expression_ok(const char *e)
{
	int depth = 0;
	bool want_operand = true;
	const char *p = e;

	if (e == NULL || e[0] == '\0' || strlen(e) > 1000)
		return false;
	while (*p) {
		size_t n;
		if (*p == ' ') {
			p++;
			continue;
		}
		if (*p == '(') {
			if (!want_operand)
				return false;
			depth++;
			p++;
			continue;
		}
		if (*p == ')') {
			if (want_operand || --depth < 0)
				return false;
			p++;
			continue;
		}
		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-+:");
		if (n == 0)
			return false;
		if ((n == 3 && strncmp(p, "AND", 3) == 0) || (n == 2 && strncmp(p, "OR", 2) == 0) ||
		    (n == 4 && strncmp(p, "WITH", 4) == 0)) {
			if (want_operand)
				return false;
			want_operand = true;
		} else {
			if (!want_operand)
				return false;
			want_operand = false;
		}
		p += n;
	}
	return depth == 0 && !want_operand;
}

char *
pcb_sbom_license_expression(const char *expression, const char *license,
    json_object *classifiers)
{
	const char *found = NULL;
	int n_found = 0;

	if (expression != NULL && expression_ok(expression))
		return pcb_xstrdup(expression);
	if (license != NULL) {
		size_t n = strcspn(license, "\r\n");
		while (n > 0 && isspace((unsigned char)license[n - 1]))
			n--;
		for (size_t i = 0; i < sizeof license_names / sizeof license_names[0]; i++)
			if (strlen(license_names[i].text) == n &&
			    strncasecmp(license, license_names[i].text, n) == 0)
				return pcb_xstrdup(license_names[i].id);
	}
	for (size_t i = 0; classifiers != NULL && json_object_is_type(classifiers,
	    json_type_array) && i < json_object_array_length(classifiers); i++) {
		const char *c = json_object_get_string(json_object_array_get_idx(classifiers, i));
		if (c == NULL || !pcb_str_has_prefix(c, "License ::"))
			continue;
		n_found++;
		for (size_t k = 0; k < sizeof license_classifiers / sizeof license_classifiers[0];
		    k++)
			if (strcmp(c, license_classifiers[k].classifier) == 0)
				found = license_classifiers[k].id;
	}
	/* Several licence classifiers say "one of these" or "all of these": not for us to say. */
	return n_found == 1 && found != NULL ? pcb_xstrdup(found) : NULL;
}

/* What the metadata says when it is no expression, for a human: the License text (its first
 * line, bounded) and the licence classifiers. NULL when there is nothing. */
static char *
license_text(json_object *pkg)
{
	struct pcb_buf b;
	const char *lic = jget_str(pkg, "license");
	json_object *cl;

	pcb_buf_init(&b, 4096);
	if (lic != NULL && lic[0] != '\0') {
		size_t n = strcspn(lic, "\r\n");
		(void)pcb_buf_appendf(&b, "%.*s", (int)(n > 200 ? 200 : n), lic);
	}
	if (json_object_object_get_ex(pkg, "classifiers", &cl) &&
	    json_object_is_type(cl, json_type_array))
		for (size_t i = 0; i < json_object_array_length(cl); i++) {
			const char *c = json_object_get_string(json_object_array_get_idx(cl, i));
			if (c != NULL && pcb_str_has_prefix(c, "License ::"))
				(void)pcb_buf_appendf(&b, "%s%s", b.len > 0 ? "; " : "", c);
		}
	if (b.len == 0) {
		pcb_buf_free(&b);
		return NULL;
	}
	return pcb_buf_steal(&b, NULL);
}

/* ---- what the input lists ------------------------------------------------------------ */

/* The packages of the input, sorted by normalised name (deps.c already sorts them; the
 * documents must not depend on that). Borrowed pointers into in->deps. */
struct pkgs {
	json_object **v;
	size_t n;
};

static int
pkg_cmp(const void *a, const void *b)
{
	const char *na = jget_str(*(json_object *const *)a, "name");
	const char *nb = jget_str(*(json_object *const *)b, "name");
	return strcmp(na != NULL ? na : "", nb != NULL ? nb : "");
}

static void
pkgs_load(const struct pcb_sbom_input *in, struct pkgs *p)
{
	json_object *a;

	memset(p, 0, sizeof *p);
	if (in->deps == NULL || !json_object_object_get_ex(in->deps, "packages", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	p->v = pcb_xcalloc(json_object_array_length(a) + 1, sizeof *p->v);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (jget_str(e, "name") != NULL && jget_str(e, "version") != NULL)
			p->v[p->n++] = e;
	}
	qsort(p->v, p->n, sizeof *p->v, pkg_cmp);
}

/* Where a distribution came from, in words: its URL (a lock names one), else the lock file,
 * else the indexes pip was pointed at. Caller frees; NULL when unknown. */
static char *
pkg_source(const struct pcb_sbom_input *in, json_object *pkg)
{
	const char *url = jget_str(pkg, "url"), *src = jget_str(in->deps, "source");
	const char *file = jget_str(in->deps, "file");
	json_object *idx;

	if (url != NULL)
		return pcb_xstrdup(url);
	if (src != NULL && strcmp(src, "lock") == 0 && file != NULL)
		return pcb_xasprintf("lock file %s", context_relative(in, file));
	if (json_object_object_get_ex(in->deps, "index_urls", &idx) &&
	    json_object_is_type(idx, json_type_array) && json_object_array_length(idx) > 0) {
		struct pcb_buf b;
		pcb_buf_init(&b, 1 << 16);
		(void)pcb_buf_appendf(&b, "index ");
		for (size_t i = 0; i < json_object_array_length(idx); i++)
			(void)pcb_buf_appendf(&b, "%s%s", i > 0 ? ", " : "",
			    json_object_get_string(json_object_array_get_idx(idx, i)));
		return pcb_buf_steal(&b, NULL);
	}
	return NULL;
}

static const char *
digest_hex(const char *digest)
{
	return digest != NULL && pcb_str_has_prefix(digest, "sha256:") ? digest + 7 : digest;
}

/* The image's own reference for its purl: the first tag, else the image name. */
static const char *
image_ref(const struct pcb_sbom_input *in)
{
	return in->tags != NULL && in->tags->n > 0 ? in->tags->v[0] : in->image_name;
}

/* ---- SPDX 2.3 ----------------------------------------------------------------------- */

/* SPDX ids allow letters, digits, '.' and '-'. */
static char *
spdx_id(const char *prefix, const char *name)
{
	char *id = pcb_xasprintf("SPDXRef-%s-%s", prefix, name);

	for (char *p = id + 8; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '-';
	return id;
}

static json_object *
spdx_purl_ref(const char *purl)
{
	json_object *a = json_object_new_array(), *r = json_object_new_object();

	add_str(r, "referenceCategory", "PACKAGE-MANAGER");
	add_str(r, "referenceType", "purl");
	add_str(r, "referenceLocator", purl);
	json_object_array_add(a, r);
	return a;
}

static json_object *
spdx_sha256(const char *hex)
{
	json_object *a = json_object_new_array(), *c = json_object_new_object();

	add_str(c, "algorithm", "SHA256");
	add_str(c, "checksumValue", hex);
	json_object_array_add(a, c);
	return a;
}

/* The members every package has, in the order the spec lists them. */
static json_object *
spdx_package(const char *id, const char *name, const char *version, const char *download)
{
	json_object *p = json_object_new_object();

	add_str(p, "SPDXID", id);
	add_str(p, "name", name);
	if (version != NULL)
		add_str(p, "versionInfo", version);
	add_str(p, "downloadLocation", download != NULL ? download : "NOASSERTION");
	json_object_object_add(p, "filesAnalyzed", json_object_new_boolean(false));
	return p;
}

static void
spdx_licenses(json_object *p, const char *expr, const char *comment)
{
	add_str(p, "licenseConcluded", "NOASSERTION");
	add_str(p, "licenseDeclared", expr != NULL ? expr : "NOASSERTION");
	if (expr == NULL && comment != NULL)
		add_str(p, "licenseComments", comment);
	add_str(p, "copyrightText", "NOASSERTION");
}

static void
spdx_rel(json_object *rels, const char *a, const char *type, const char *b)
{
	json_object *r = json_object_new_object();

	add_str(r, "spdxElementId", a);
	add_str(r, "relationshipType", type);
	add_str(r, "relatedSpdxElement", b);
	json_object_array_add(rels, r);
}

json_object *
pcb_sbom_spdx(const struct pcb_sbom_input *in)
{
	json_object *doc = json_object_new_object(), *ci, *creators, *pkgs_j, *rels, *p;
	struct pkgs pk;
	char uuid[37], *name, *ns, *purl, *proj_id;
	const char *arch = in->platform != NULL ? in->platform->arch : NULL;

	pkgs_load(in, &pk);
	name = pcb_xasprintf("pcb:%s:%s", PCB_AT_SPDX, in->manifest_digest);
	uuid5(name, uuid);
	free(name);
	add_str(doc, "spdxVersion", "SPDX-2.3");
	add_str(doc, "dataLicense", "CC0-1.0");
	add_str(doc, "SPDXID", "SPDXRef-DOCUMENT");
	name = pcb_xasprintf("%s@%s", in->image_name, in->manifest_digest);
	add_str(doc, "name", name);
	free(name);
	ns = pcb_xasprintf(PCB_SBOM_HOME "/spdx/%s-%s", in->image_name, uuid);
	for (char *c = ns + sizeof PCB_SBOM_HOME "/spdx/" - 1; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
			*c = '-';
	add_str(doc, "documentNamespace", ns);
	free(ns);
	ci = json_object_new_object();
	creators = json_object_new_array();
	json_object_array_add(creators, json_object_new_string("Tool: pycontainerd-" PCB_VERSION));
	json_object_object_add(ci, "creators", creators);
	add_str(ci, "created", in->created);
	json_object_object_add(doc, "creationInfo", ci);

	pkgs_j = json_object_new_array();
	rels = json_object_new_array();
	spdx_rel(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");

	/* The image. */
	p = spdx_package("SPDXRef-Image", in->image_name, in->manifest_digest, NULL);
	json_object_object_add(p, "checksums", spdx_sha256(digest_hex(in->manifest_digest)));
	spdx_licenses(p, NULL, NULL);
	purl = pcb_sbom_purl_oci(image_ref(in), in->manifest_digest, arch);
	json_object_object_add(p, "externalRefs", spdx_purl_ref(purl));
	free(purl);
	add_str(p, "primaryPackagePurpose", "CONTAINER");
	json_object_array_add(pkgs_j, p);

	/* The base it was built on. */
	if (in->base_ref != NULL && in->base_digest != NULL) {
		p = spdx_package("SPDXRef-Base", in->base_ref, in->base_digest, NULL);
		json_object_object_add(p, "checksums", spdx_sha256(digest_hex(in->base_digest)));
		spdx_licenses(p, NULL, NULL);
		purl = pcb_sbom_purl_oci(in->base_ref, in->base_digest, arch);
		json_object_object_add(p, "externalRefs", spdx_purl_ref(purl));
		free(purl);
		add_str(p, "primaryPackagePurpose", "CONTAINER");
		json_object_array_add(pkgs_j, p);
		spdx_rel(rels, "SPDXRef-Image", "DESCENDANT_OF", "SPDXRef-Base");
	}

	/* The project. */
	proj_id = spdx_id("Project", in->project_name);
	p = spdx_package(proj_id, in->project_name, in->project_version, NULL);
	{
		char *expr = pcb_sbom_license_expression(in->project_license, in->project_license,
		    NULL);
		spdx_licenses(p, expr, in->project_license);
		free(expr);
	}
	add_str(p, "primaryPackagePurpose", "APPLICATION");
	json_object_array_add(pkgs_j, p);
	spdx_rel(rels, "SPDXRef-Image", "CONTAINS", proj_id);

	/* Every installed distribution. */
	for (size_t i = 0; i < pk.n; i++) {
		json_object *e = pk.v[i];
		const char *dn = jget_str(e, "name"), *ver = jget_str(e, "version");
		const char *sha = jget_str(e, "sha256"), *wheel = jget_str(e, "wheel");
		char *id = spdx_id("Package-pypi", dn), *src = pkg_source(in, e);
		char *expr = pcb_sbom_license_expression(jget_str(e, "license_expression"),
		    jget_str(e, "license"), json_object_object_get(e, "classifiers"));
		char *text = license_text(e);

		p = spdx_package(id, dn, ver, jget_str(e, "url"));
		if (wheel != NULL)
			add_str(p, "packageFileName", wheel);
		if (sha != NULL)
			json_object_object_add(p, "checksums", spdx_sha256(sha));
		if (src != NULL)
			add_str(p, "sourceInfo", src);
		spdx_licenses(p, expr, text);
		purl = pcb_sbom_purl_pypi(dn, ver);
		json_object_object_add(p, "externalRefs", spdx_purl_ref(purl));
		free(purl);
		add_str(p, "primaryPackagePurpose", "LIBRARY");
		json_object_array_add(pkgs_j, p);
		spdx_rel(rels, "SPDXRef-Image", "CONTAINS", id);
		spdx_rel(rels, proj_id, "DEPENDS_ON", id);
		free(id);
		free(src);
		free(expr);
		free(text);
	}
	json_object_object_add(doc, "packages", pkgs_j);
	json_object_object_add(doc, "relationships", rels);
	free(proj_id);
	free(pk.v);
	return doc;
}

/* ---- CycloneDX 1.5 ------------------------------------------------------------------ */

static json_object *
cdx_hashes(const char *hex)
{
	json_object *a = json_object_new_array(), *h = json_object_new_object();

	add_str(h, "alg", "SHA-256");
	add_str(h, "content", hex);
	json_object_array_add(a, h);
	return a;
}

static void
cdx_prop(json_object *props, const char *name, const char *value)
{
	json_object *p = json_object_new_object();

	add_str(p, "name", name);
	add_str(p, "value", value);
	json_object_array_add(props, p);
}

/* An expression when there is one; else the License text and classifiers by name (the
 * schema takes any name; an "id" must be one of its listed SPDX ids, which we cannot
 * promise). NULL when the metadata says nothing. */
static json_object *
cdx_licenses(const char *expr, json_object *pkg)
{
	json_object *a, *l;

	if (expr != NULL) {
		a = json_object_new_array();
		l = json_object_new_object();
		add_str(l, "expression", expr);
		json_object_array_add(a, l);
		return a;
	}
	if (pkg == NULL)
		return NULL;
	a = json_object_new_array();
	{
		const char *lic = jget_str(pkg, "license");
		json_object *cl;
		if (lic != NULL && lic[0] != '\0') {
			size_t n = strcspn(lic, "\r\n");
			char *first = pcb_xstrndup(lic, n > 200 ? 200 : n);
			json_object *lo = json_object_new_object();
			l = json_object_new_object();
			add_str(lo, "name", first);
			json_object_object_add(l, "license", lo);
			json_object_array_add(a, l);
			free(first);
		}
		if (json_object_object_get_ex(pkg, "classifiers", &cl) &&
		    json_object_is_type(cl, json_type_array))
			for (size_t i = 0; i < json_object_array_length(cl); i++) {
				const char *c = json_object_get_string(json_object_array_get_idx(cl, i));
				json_object *lo;
				if (c == NULL || !pcb_str_has_prefix(c, "License ::"))
					continue;
				lo = json_object_new_object();
				l = json_object_new_object();
				add_str(lo, "name", c);
				json_object_object_add(l, "license", lo);
				json_object_array_add(a, l);
			}
	}
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

json_object *
pcb_sbom_cyclonedx(const struct pcb_sbom_input *in)
{
	json_object *doc = json_object_new_object(), *md, *tools, *tc, *t, *img, *comps, *c;
	json_object *deps, *d, *on, *pd;
	struct pkgs pk;
	char uuid[37], *name, *purl;
	const char *arch = in->platform != NULL ? in->platform->arch : NULL;

	pkgs_load(in, &pk);
	name = pcb_xasprintf("pcb:%s:%s", PCB_AT_CYCLONEDX, in->manifest_digest);
	uuid5(name, uuid);
	free(name);
	add_str(doc, "bomFormat", "CycloneDX");
	add_str(doc, "specVersion", "1.5");
	name = pcb_xasprintf("urn:uuid:%s", uuid);
	add_str(doc, "serialNumber", name);
	free(name);
	json_object_object_add(doc, "version", json_object_new_int(1));

	md = json_object_new_object();
	add_str(md, "timestamp", in->created);
	tools = json_object_new_object();
	tc = json_object_new_array();
	t = json_object_new_object();
	add_str(t, "type", "application");
	add_str(t, "name", "pycontainerd");
	add_str(t, "version", PCB_VERSION);
	json_object_array_add(tc, t);
	json_object_object_add(tools, "components", tc);
	json_object_object_add(md, "tools", tools);
	img = json_object_new_object();
	add_str(img, "type", "container");
	purl = pcb_sbom_purl_oci(image_ref(in), in->manifest_digest, arch);
	add_str(img, "bom-ref", purl);
	add_str(img, "name", in->image_name);
	add_str(img, "version", in->manifest_digest);
	json_object_object_add(img, "hashes", cdx_hashes(digest_hex(in->manifest_digest)));
	add_str(img, "purl", purl);
	json_object_object_add(md, "component", img);
	json_object_object_add(doc, "metadata", md);

	comps = json_object_new_array();
	deps = json_object_new_array();
	/* The image depends on its base and the project; the project on every distribution
	 * (what each distribution needs of the others is pip's knowledge, not recorded). */
	d = json_object_new_object();
	add_str(d, "ref", purl);
	on = json_object_new_array();
	free(purl);
	if (in->base_ref != NULL && in->base_digest != NULL) {
		c = json_object_new_object();
		add_str(c, "type", "container");
		purl = pcb_sbom_purl_oci(in->base_ref, in->base_digest, arch);
		add_str(c, "bom-ref", purl);
		add_str(c, "name", in->base_ref);
		add_str(c, "version", in->base_digest);
		json_object_object_add(c, "hashes", cdx_hashes(digest_hex(in->base_digest)));
		add_str(c, "purl", purl);
		json_object_array_add(comps, c);
		json_object_array_add(on, json_object_new_string(purl));
		free(purl);
	}
	c = json_object_new_object();
	add_str(c, "type", "application");
	name = pcb_xasprintf("project:%s", in->project_name);
	add_str(c, "bom-ref", name);
	add_str(c, "name", in->project_name);
	if (in->project_version != NULL)
		add_str(c, "version", in->project_version);
	{
		char *expr = pcb_sbom_license_expression(in->project_license, in->project_license,
		    NULL);
		json_object *lic = NULL;
		if (expr != NULL) {
			lic = cdx_licenses(expr, NULL);
		} else if (in->project_license != NULL && in->project_license[0] != '\0') {
			json_object *tmp = json_object_new_object();
			add_str(tmp, "license", in->project_license);
			lic = cdx_licenses(NULL, tmp);
			json_object_put(tmp);
		}
		if (lic != NULL)
			json_object_object_add(c, "licenses", lic);
		free(expr);
	}
	json_object_array_add(comps, c);
	json_object_array_add(on, json_object_new_string(name));
	json_object_object_add(d, "dependsOn", on);
	json_object_array_add(deps, d);
	pd = json_object_new_object();
	add_str(pd, "ref", name);
	free(name);
	on = json_object_new_array();

	for (size_t i = 0; i < pk.n; i++) {
		json_object *e = pk.v[i], *props, *lic;
		const char *dn = jget_str(e, "name"), *ver = jget_str(e, "version");
		const char *sha = jget_str(e, "sha256"), *wheel = jget_str(e, "wheel");
		const char *url = jget_str(e, "url");
		char *expr = pcb_sbom_license_expression(jget_str(e, "license_expression"),
		    jget_str(e, "license"), json_object_object_get(e, "classifiers"));
		char *src = pkg_source(in, e);

		c = json_object_new_object();
		add_str(c, "type", "library");
		purl = pcb_sbom_purl_pypi(dn, ver);
		add_str(c, "bom-ref", purl);
		add_str(c, "name", dn);
		add_str(c, "version", ver);
		if (sha != NULL)
			json_object_object_add(c, "hashes", cdx_hashes(sha));
		if ((lic = cdx_licenses(expr, e)) != NULL)
			json_object_object_add(c, "licenses", lic);
		add_str(c, "purl", purl);
		if (url != NULL) {
			json_object *refs = json_object_new_array(), *r = json_object_new_object();
			add_str(r, "url", url);
			add_str(r, "type", "distribution");
			if (sha != NULL)
				json_object_object_add(r, "hashes", cdx_hashes(sha));
			json_object_array_add(refs, r);
			json_object_object_add(c, "externalReferences", refs);
		}
		props = json_object_new_array();
		if (src != NULL)
			cdx_prop(props, "pycontainerd:source", src);
		if (wheel != NULL)
			cdx_prop(props, "pycontainerd:wheel", wheel);
		if (json_object_array_length(props) > 0)
			json_object_object_add(c, "properties", props);
		else
			json_object_put(props);
		json_object_array_add(comps, c);
		json_object_array_add(on, json_object_new_string(purl));
		free(purl);
		free(expr);
		free(src);
	}
	json_object_object_add(pd, "dependsOn", on);
	json_object_array_add(deps, pd);
	json_object_object_add(doc, "components", comps);
	json_object_object_add(doc, "dependencies", deps);
	free(pk.v);
	return doc;
}

/* ---- SLSA v1 provenance ------------------------------------------------------------- */

static json_object *
digest_set(const char *alg, const char *hex)
{
	json_object *d = json_object_new_object();

	add_str(d, alg, hex);
	return d;
}

json_object *
pcb_sbom_provenance(const struct pcb_sbom_input *in)
{
	json_object *st = json_object_new_object(), *subj, *s, *pred, *bd, *rd, *deps, *r;
	json_object *builder, *ver, *internal;
	struct pkgs pk;
	char plat[100] = "";

	pkgs_load(in, &pk);
	add_str(st, "_type", PCB_INTOTO_STATEMENT);
	subj = json_object_new_array();
	s = json_object_new_object();
	add_str(s, "name", image_ref(in));
	json_object_object_add(s, "digest", digest_set("sha256", digest_hex(in->manifest_digest)));
	json_object_array_add(subj, s);
	json_object_object_add(st, "subject", subj);
	add_str(st, "predicateType", PCB_SLSA_PROVENANCE);

	pred = json_object_new_object();
	bd = json_object_new_object();
	add_str(bd, "buildType", PCB_SLSA_BUILD_TYPE);
	json_object_object_add(bd, "externalParameters", in->spec != NULL ?
	    json_object_get(in->spec) : json_object_new_object());
	internal = json_object_new_object();
	if (in->platform != NULL) {
		pcb_platform_format(in->platform, plat);
		add_str(internal, "platform", plat);
	}
	if (in->deps != NULL && jget_str(in->deps, "source") != NULL)
		add_str(internal, "dependencySource", jget_str(in->deps, "source"));
	if (in->deps != NULL && jget_str(in->deps, "file") != NULL)
		add_str(internal, "dependencyFile", context_relative(in, jget_str(in->deps, "file")));
	json_object_object_add(bd, "internalParameters", internal);

	deps = json_object_new_array();
	if (in->vcs_revision != NULL) {
		r = json_object_new_object();
		if (in->vcs_uri != NULL)
			add_str(r, "uri", in->vcs_uri);
		json_object_object_add(r, "digest", digest_set("gitCommit", in->vcs_revision));
		add_str(r, "name", "source");
		json_object_array_add(deps, r);
	}
	if (in->base_ref != NULL && in->base_digest != NULL) {
		char *purl = pcb_sbom_purl_oci(in->base_ref, in->base_digest,
		    in->platform != NULL ? in->platform->arch : NULL);
		r = json_object_new_object();
		add_str(r, "uri", purl);
		json_object_object_add(r, "digest", digest_set("sha256", digest_hex(in->base_digest)));
		add_str(r, "name", in->base_ref);
		json_object_array_add(deps, r);
		free(purl);
	}
	for (size_t i = 0; i < pk.n; i++) {
		json_object *e = pk.v[i];
		const char *sha = jget_str(e, "sha256"), *wheel = jget_str(e, "wheel");
		const char *url = jget_str(e, "url");
		char *purl = pcb_sbom_purl_pypi(jget_str(e, "name"), jget_str(e, "version"));
		r = json_object_new_object();
		add_str(r, "uri", purl);
		if (sha != NULL)
			json_object_object_add(r, "digest", digest_set("sha256", sha));
		if (wheel != NULL)
			add_str(r, "name", wheel);
		if (url != NULL)
			add_str(r, "downloadLocation", url);
		json_object_array_add(deps, r);
		free(purl);
	}
	json_object_object_add(bd, "resolvedDependencies", deps);
	json_object_object_add(pred, "buildDefinition", bd);

	rd = json_object_new_object();
	builder = json_object_new_object();
	add_str(builder, "id", PCB_SBOM_HOME);
	ver = json_object_new_object();
	add_str(ver, "pycontainerd", PCB_VERSION);
	json_object_object_add(builder, "version", ver);
	json_object_object_add(rd, "builder", builder);
	json_object_object_add(pred, "runDetails", rd);
	json_object_object_add(st, "predicate", pred);
	free(pk.v);
	return st;
}

/* ---- the source's revision ---------------------------------------------------------- */

static char *
read_small(const char *path)
{
	char *text = NULL;
	size_t len = 0;

	if (pcb_read_file(path, VCS_FILE_MAX, &text, &len, NULL) != 0)
		return NULL;
	return text;
}

static bool
is_hex_commit(const char *s, size_t n)
{
	if (n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The commit a ref names: its loose file, else its line in packed-refs. */
static char *
ref_commit(const char *gitdir, const char *common, const char *ref)
{
	const char *dirs[2] = { gitdir, common };
	char *text, *out = NULL;

	if (strstr(ref, "..") != NULL || ref[0] == '/')
		return NULL;
	for (int k = 0; k < 2 && out == NULL; k++) {
		char *p = pcb_path_join(dirs[k], ref);
		if ((text = read_small(p)) != NULL) {
			size_t n = strcspn(text, "\r\n");
			if (is_hex_commit(text, n))
				out = pcb_xstrndup(text, n);
			free(text);
		}
		free(p);
	}
	for (int k = 0; k < 2 && out == NULL; k++) {
		char *p = pcb_path_join(dirs[k], "packed-refs");
		if ((text = read_small(p)) != NULL) {
			for (char *line = text; line != NULL && *line && out == NULL;) {
				char *nl = strchr(line, '\n');
				size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
				size_t h = strcspn(line, " ");
				if (h < n && is_hex_commit(line, h) && n - h - 1 == strlen(ref) &&
				    strncmp(line + h + 1, ref, n - h - 1) == 0)
					out = pcb_xstrndup(line, h);
				line = nl != NULL ? nl + 1 : NULL;
			}
			free(text);
		}
		free(p);
	}
	return out;
}

/* The url of [remote "origin"] in a git config. */
static char *
origin_url(const char *config)
{
	char *text = read_small(config), *out = NULL;
	bool in_origin = false;

	if (text == NULL)
		return NULL;
	for (char *line = text; line != NULL && *line && out == NULL;) {
		char *nl = strchr(line, '\n'), *p = line;
		if (nl != NULL)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			in_origin = strncmp(p, "[remote \"origin\"]", 17) == 0;
		} else if (in_origin && strncmp(p, "url", 3) == 0) {
			char *v = p + 3;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				size_t n;
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				n = strcspn(v, "\r");
				while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
					n--;
				/* Credentials in a URL are not for a document that travels. */
				if (n > 0 && memchr(v, '@', n) == NULL)
					out = pcb_xasprintf("git+%.*s", (int)n, v);
			}
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	free(text);
	return out;
}

/* The checkout's git folder for dir: dir/.git, a folder or a "gitdir: PATH" file. */
static char *
find_gitdir(const char *dir)
{
	char *p = pcb_path_join(dir, ".git"), *text;
	struct stat st;

	if (lstat(p, &st) != 0) {
		free(p);
		return NULL;
	}
	if (S_ISDIR(st.st_mode))
		return p;
	text = S_ISREG(st.st_mode) ? read_small(p) : NULL;
	free(p);
	if (text == NULL || !pcb_str_has_prefix(text, "gitdir:")) {
		free(text);
		return NULL;
	}
	{
		char *v = text + 7;
		size_t n;
		while (*v == ' ')
			v++;
		n = strcspn(v, "\r\n");
		v[n] = '\0';
		p = v[0] == '/' ? pcb_xstrdup(v) : pcb_path_join(dir, v);
	}
	free(text);
	return p;
}

static int
vcs_read(const char *start, char **uri_out, char **rev_out, struct pcb_err *err)
{
	char *dir = pcb_xstrdup(start), *gitdir = NULL, *common = NULL, *head = NULL;
	char *rev = NULL, *uri = NULL;
	int rc = 0;

	for (int depth = 0; depth < VCS_DEPTH && gitdir == NULL; depth++) {
		char *slash;
		if ((gitdir = find_gitdir(dir)) != NULL)
			break;
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			break;
		*slash = '\0';
	}
	if (gitdir == NULL) {
		rc = pcb_err_set(err, PCB_ENOENT, "%s is in no git checkout", start);
		goto out;
	}
	/* A worktree's commondir names the repository holding the refs and the config. */
	{
		char *cd = pcb_path_join(gitdir, "commondir"), *text = read_small(cd);
		if (text != NULL) {
			text[strcspn(text, "\r\n")] = '\0';
			common = text[0] == '/' ? pcb_xstrdup(text) : pcb_path_join(gitdir, text);
		} else {
			common = pcb_xstrdup(gitdir);
		}
		free(text);
		free(cd);
	}
	{
		char *hp = pcb_path_join(gitdir, "HEAD");
		head = read_small(hp);
		free(hp);
	}
	if (head != NULL) {
		size_t n = strcspn(head, "\r\n");
		head[n] = '\0';
		if (pcb_str_has_prefix(head, "ref: "))
			rev = ref_commit(gitdir, common, head + 5);
		else if (is_hex_commit(head, n))
			rev = pcb_xstrdup(head);
	}
	if (rev == NULL) {
		rc = pcb_err_set(err, PCB_ENOENT, "%s: HEAD names no commit", gitdir);
		goto out;
	}
	{
		char *cfg = pcb_path_join(common, "config");
		uri = origin_url(cfg);
		free(cfg);
	}
out:
	if (rc == 0) {
		*rev_out = rev;
		*uri_out = uri;
	} else {
		free(rev);
		free(uri);
	}
	free(dir);
	free(gitdir);
	free(common);
	free(head);
	return rc;
}

int
pcb_sbom_vcs_read(const char *dir, const struct pcb_cred *as, char **uri_out,
    char **rev_out, struct pcb_err *err)
{
	struct pcb_cred_saved sv;
	int rc;

	*uri_out = *rev_out = NULL;
	/* The checkout is the caller's: read with their rights, as the rest of the context. */
	if ((rc = pcb_cred_enter(as, &sv, err)) != 0)
		return rc;
	rc = vcs_read(dir, uri_out, rev_out, err);
	pcb_cred_leave(&sv);
	return rc;
}

/* ---- referrers in the store --------------------------------------------------------- */

/* Serialises read-modify-write of a subject's index key within this process (a build and
 * a second one of the same image may attach at once). */
static pthread_mutex_t index_mu = PTHREAD_MUTEX_INITIALIZER;

static char *
index_key(const char *subject)
{
	return pcb_xasprintf("%s%s", PCB_STORE_REF_PREFIX, subject);
}

static int
read_json(struct pcb_store *s, const char *digest, size_t max, json_object **out,
    struct pcb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	json_object *j;
	json_tokener *tok;
	int rc;

	*out = NULL;
	if ((rc = pcb_store_read(s, digest, max, &text, &len, err)) != 0)
		return rc;
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	free(text);
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return pcb_err_set(err, PCB_ECORRUPT, "%s is not a JSON object", digest);
	}
	*out = j;
	return 0;
}

static int
desc_cmp(const void *a, const void *b)
{
	json_object *da = *(json_object *const *)a, *db = *(json_object *const *)b;
	const char *ta = jget_str(da, "artifactType"), *tb = jget_str(db, "artifactType");
	int c = strcmp(ta != NULL ? ta : "", tb != NULL ? tb : "");

	if (c != 0)
		return c;
	return strcmp(jget_str(da, "digest") ? jget_str(da, "digest") : "",
	    jget_str(db, "digest") ? jget_str(db, "digest") : "");
}

static json_object *
index_new(json_object *manifests)
{
	json_object *idx = json_object_new_object();

	json_object_object_add(idx, "schemaVersion", json_object_new_int(2));
	json_object_object_add(idx, "mediaType", json_object_new_string(PCB_MT_OCI_INDEX));
	json_object_object_add(idx, "manifests", manifests);
	return idx;
}

int
pcb_sbom_referrers(struct pcb_store *s, const char *subject_digest,
    const char *artifact_type, json_object **index_out, struct pcb_err *err)
{
	char *key = index_key(subject_digest), *d = NULL;
	json_object *idx = NULL, *ms, *keep;
	int rc;

	*index_out = NULL;
	if ((rc = pcb_store_tag_get(s, key, &d, err)) != 0)
		goto out;
	if ((rc = read_json(s, d, INDEX_MAX, &idx, err)) != 0)
		goto out;
	if (!json_object_object_get_ex(idx, "manifests", &ms) ||
	    !json_object_is_type(ms, json_type_array)) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "the referrers of %s: no manifests list",
		    subject_digest);
		goto out;
	}
	keep = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *e = json_object_array_get_idx(ms, i);
		const char *at = jget_str(e, "artifactType");
		if (artifact_type == NULL || (at != NULL && strcmp(at, artifact_type) == 0))
			json_object_array_add(keep, json_object_get(e));
	}
	if (json_object_array_length(keep) == 0) {
		json_object_put(keep);
		rc = pcb_err_set(err, PCB_ENOENT, "%s has no %s referrer", subject_digest,
		    artifact_type != NULL ? artifact_type : "");
		goto out;
	}
	*index_out = index_new(keep);
out:
	json_object_put(idx);
	free(d);
	free(key);
	return rc;
}

/* Whether the new descriptors (an array) replace the old entry e: same digest, or same
 * artifact type. */
static bool
replaced(json_object *descs, json_object *e)
{
	const char *eat = jget_str(e, "artifactType"), *ed = jget_str(e, "digest");

	for (size_t k = 0; k < json_object_array_length(descs); k++) {
		json_object *nd = json_object_array_get_idx(descs, k);
		const char *at = jget_str(nd, "artifactType"), *dg = jget_str(nd, "digest");
		if ((eat != NULL && at != NULL && strcmp(eat, at) == 0) ||
		    (ed != NULL && dg != NULL && strcmp(ed, dg) == 0))
			return true;
	}
	return false;
}

/* Puts the descriptors (an array, taken) in the subject's index in one write, so that no
 * intermediate index is left unreferenced in the store: entries with one of their digests,
 * or one of their artifact types, leave first. */
static int
index_add(struct pcb_store *s, const char *subject, json_object *descs, struct pcb_err *err)
{
	char *key = index_key(subject), *d = NULL, idx_digest[PCB_DIGEST_BUFSZ];
	json_object *old = NULL, *ms, *list = json_object_new_array(), *idx = NULL;
	json_object *desc = descs;
	json_object **v;
	size_t n = 0, size = 0;
	int rc;

	pthread_mutex_lock(&index_mu);
	rc = pcb_store_tag_get(s, key, &d, err);
	if (rc == 0 && read_json(s, d, INDEX_MAX, &old, NULL) == 0 &&
	    json_object_object_get_ex(old, "manifests", &ms) &&
	    json_object_is_type(ms, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(ms); i++) {
			json_object *e = json_object_array_get_idx(ms, i);
			if (!replaced(descs, e))
				json_object_array_add(list, json_object_get(e));
		}
	} else if (rc != 0 && rc != PCB_ENOENT) {
		goto out;
	}
	/* (an unreadable old index is replaced: it named nothing we could use) */
	pcb_err_clear(err);
	rc = 0;
	for (size_t k = 0; k < json_object_array_length(descs); k++)
		json_object_array_add(list, json_object_get(json_object_array_get_idx(descs, k)));
	n = json_object_array_length(list);
	v = pcb_xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_object_get(json_object_array_get_idx(list, i));
	qsort(v, n, sizeof *v, desc_cmp);
	json_object_put(list);
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, v[i]);
	free(v);
	idx = index_new(list);
	list = NULL;
	if ((rc = pcb_oci_put_json(s, idx, PCB_MT_OCI_INDEX, idx_digest, &size, err)) != 0 ||
	    (rc = pcb_store_tag_set(s, key, idx_digest, err)) != 0)
		goto out;
out:
	pthread_mutex_unlock(&index_mu);
	json_object_put(desc);
	json_object_put(list);
	json_object_put(old);
	json_object_put(idx);
	free(d);
	free(key);
	return rc;
}

/* The artifact manifest of one document, stored; *desc_out (caller puts) its index entry. */
static int
referrer_manifest(struct pcb_store *s, const char *subject_digest, uint64_t subject_size,
    const char *artifact_type, const char *title, const char *data, size_t len,
    const char *created, json_object **desc_out, char digest_out[PCB_DIGEST_BUFSZ],
    uint64_t *size_out, struct pcb_err *err);

int
pcb_sbom_attach_one(struct pcb_store *s, const char *subject_digest,
    uint64_t subject_size, const char *artifact_type, const char *title, const char *data,
    size_t len, const char *created, char digest_out[PCB_DIGEST_BUFSZ], uint64_t *size_out,
    struct pcb_err *err)
{
	json_object *desc = NULL, *descs;
	int rc;

	if ((rc = referrer_manifest(s, subject_digest, subject_size, artifact_type, title, data,
	    len, created, &desc, digest_out, size_out, err)) != 0)
		return rc;
	descs = json_object_new_array();
	json_object_array_add(descs, desc);
	if ((rc = index_add(s, subject_digest, descs, err)) != 0)
		pcb_err_prefix(err, "attaching the %s document", artifact_type);
	return rc;
}

static int
referrer_manifest(struct pcb_store *s, const char *subject_digest, uint64_t subject_size,
    const char *artifact_type, const char *title, const char *data, size_t len,
    const char *created, json_object **desc_out, char digest_out[PCB_DIGEST_BUFSZ],
    uint64_t *size_out, struct pcb_err *err)
{
	char blob[PCB_DIGEST_BUFSZ], empty[PCB_DIGEST_BUFSZ], md[PCB_DIGEST_BUFSZ];
	json_object *m = NULL, *layers, *l, *ann, *desc;
	size_t msize = 0;
	int rc;

	if ((rc = pcb_store_put(s, data, len, artifact_type, blob, err)) != 0 ||
	    (rc = pcb_store_put(s, "{}", 2, PCB_MT_OCI_EMPTY, empty, err)) != 0)
		goto out;
	m = json_object_new_object();
	json_object_object_add(m, "schemaVersion", json_object_new_int(2));
	add_str(m, "mediaType", PCB_MT_OCI_MANIFEST);
	add_str(m, "artifactType", artifact_type);
	json_object_object_add(m, "config", pcb_oci_descriptor(PCB_MT_OCI_EMPTY, empty, 2));
	layers = json_object_new_array();
	l = pcb_oci_descriptor(artifact_type, blob, len);
	if (title != NULL) {
		ann = json_object_new_object();
		add_str(ann, "org.opencontainers.image.title", title);
		json_object_object_add(l, "annotations", ann);
	}
	json_object_array_add(layers, l);
	json_object_object_add(m, "layers", layers);
	json_object_object_add(m, "subject",
	    pcb_oci_descriptor(PCB_MT_OCI_MANIFEST, subject_digest, subject_size));
	ann = json_object_new_object();
	if (created != NULL)
		add_str(ann, "org.opencontainers.image.created", created);
	json_object_object_add(m, "annotations", ann);
	if ((rc = pcb_oci_put_json(s, m, PCB_MT_OCI_MANIFEST, md, &msize, err)) != 0)
		goto out;
	/* The index entry carries artifactType and the annotations, as the referrers API
	 * answers (a client filters without fetching each manifest). */
	desc = pcb_oci_descriptor(PCB_MT_OCI_MANIFEST, md, msize);
	add_str(desc, "artifactType", artifact_type);
	json_object_object_add(desc, "annotations", json_object_get(ann));
	*desc_out = desc;
	if (digest_out != NULL)
		memcpy(digest_out, md, PCB_DIGEST_BUFSZ);
	if (size_out != NULL)
		*size_out = msize;
out:
	json_object_put(m);
	if (rc != 0)
		pcb_err_prefix(err, "attaching the %s document", artifact_type);
	return rc;
}

int
pcb_sbom_attach(struct pcb_store *s, const struct pcb_sbom_input *in, bool sbom,
    bool provenance, struct pcb_strv *pins, json_object **referrers_out,
    struct pcb_err *err)
{
	static const struct { const char *type, *title; int kind; } docs[] = {
		{ PCB_AT_SPDX, "sbom.spdx.json", 0 },
		{ PCB_AT_CYCLONEDX, "sbom.cdx.json", 1 },
		{ PCB_AT_INTOTO, "provenance.intoto.json", 2 },
	};
	json_object *out = json_object_new_array(), *descs = json_object_new_array();
	int rc = 0;

	for (size_t i = 0; i < sizeof docs / sizeof docs[0] && rc == 0; i++) {
		json_object *doc, *r, *desc = NULL;
		char md[PCB_DIGEST_BUFSZ];
		uint64_t size = 0;
		const char *text;

		if ((docs[i].kind < 2 && !sbom) || (docs[i].kind == 2 && !provenance))
			continue;
		doc = docs[i].kind == 0 ? pcb_sbom_spdx(in) : docs[i].kind == 1 ?
		    pcb_sbom_cyclonedx(in) : pcb_sbom_provenance(in);
		text = pcb_json_str(doc);
		rc = referrer_manifest(s, in->manifest_digest, in->manifest_size, docs[i].type,
		    docs[i].title, text, strlen(text), in->created, &desc, md, &size, err);
		json_object_put(doc);
		if (rc != 0)
			break;
		json_object_array_add(descs, desc);
		if (pins != NULL && pcb_store_pin(s, md) == 0)
			pcb_strv_push(pins, md);
		r = json_object_new_object();
		add_str(r, "artifactType", docs[i].type);
		add_str(r, "digest", md);
		json_object_object_add(r, "size", json_object_new_int64((int64_t)size));
		json_object_array_add(out, r);
	}
	/* All of them in the subject's index at once (the index takes descs). */
	if (rc == 0 && json_object_array_length(descs) > 0)
		rc = index_add(s, in->manifest_digest, descs, err);
	else
		json_object_put(descs);
	if (rc == 0 && referrers_out != NULL) {
		*referrers_out = out;
		out = NULL;
	}
	json_object_put(out);
	return rc;
}

int
pcb_sbom_referrer_blobs(struct pcb_store *s, const char *manifest_digest,
    struct pcb_strv *out, struct pcb_err *err)
{
	json_object *m = NULL, *a;
	const char *d;
	int rc;

	if ((rc = read_json(s, manifest_digest, INDEX_MAX, &m, err)) != 0)
		return rc;
	if (json_object_object_get_ex(m, "config", &a) && (d = jget_str(a, "digest")) != NULL &&
	    pcb_digest_valid(d))
		pcb_strv_push(out, d);
	if (json_object_object_get_ex(m, "layers", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if ((d = jget_str(json_object_array_get_idx(a, i), "digest")) != NULL &&
			    pcb_digest_valid(d))
				pcb_strv_push(out, d);
	json_object_put(m);
	return 0;
}

int
pcb_sbom_document(struct pcb_store *s, const char *subject_digest,
    const char *artifact_type, char **data_out, size_t *len_out, struct pcb_err *err)
{
	json_object *idx = NULL, *m = NULL, *a;
	const char *md, *d;
	int rc;

	*data_out = NULL;
	*len_out = 0;
	if ((rc = pcb_sbom_referrers(s, subject_digest, artifact_type, &idx, err)) != 0)
		goto out;
	/* One per artifact type is kept (pcb_sbom_attach_one); should another tool have added
	 * more, the last in the index's order is taken. */
	a = json_object_object_get(idx, "manifests");
	md = jget_str(json_object_array_get_idx(a, json_object_array_length(a) - 1), "digest");
	if (md == NULL || !pcb_digest_valid(md)) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "a referrer of %s has no digest", subject_digest);
		goto out;
	}
	if ((rc = read_json(s, md, INDEX_MAX, &m, err)) != 0)
		goto out;
	if (!json_object_object_get_ex(m, "layers", &a) || !json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) < 1 ||
	    (d = jget_str(json_object_array_get_idx(a, 0), "digest")) == NULL) {
		rc = pcb_err_set(err, PCB_ECORRUPT, "referrer %s has no document layer", md);
		goto out;
	}
	rc = pcb_store_read(s, d, SBOM_MAX, data_out, len_out, err);
out:
	json_object_put(idx);
	json_object_put(m);
	return rc;
}
