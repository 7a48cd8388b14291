/* test-sbom.c — image/sbom.h without a daemon: package URLs of both kinds, licence
 * expressions from wheel metadata, SPDX / CycloneDX / provenance documents that are the same
 * bytes for the same facts whatever order they come in (and valid against the published
 * schemas in tests/fixtures/sbom-schemas), the git revision read from a checkout without git,
 * and referrers in a real store: attached, replaced by artifact type, read back, kept by the
 * cache collection while their image is tagged and collected with it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "image/oci.h"
#include "image/sbom.h"
#include "image/store.h"
#include "ocicheck.h"
#include "testutil.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL ? json_object_get_string(v) : NULL;
}

START_TEST(purls)
{
	char *p;

	p = pcb_sbom_purl_pypi("Flask", "3.0.0");
	ck_assert_str_eq(p, "pkg:pypi/flask@3.0.0");
	free(p);
	p = pcb_sbom_purl_pypi("zope.interface", "5.0+local.1");
	ck_assert_str_eq(p, "pkg:pypi/zope-interface@5.0%2Blocal.1");
	free(p);
	p = pcb_sbom_purl_pypi("Foo__Bar", "1!2.0");
	ck_assert_str_eq(p, "pkg:pypi/foo-bar@1%212.0");
	free(p);
	p = pcb_sbom_purl_oci("127.0.0.1:5000/lib/python:3.11", D1, "amd64");
	ck_assert_str_eq(p, "pkg:oci/python@" D1 "?arch=amd64&repository_url=127.0.0.1:5000/lib/"
	    "python&tag=3.11");
	free(p);
	/* A store name has no registry: no repository_url. */
	p = pcb_sbom_purl_oci("testpy:3.11", D1, NULL);
	ck_assert_str_eq(p, "pkg:oci/testpy@" D1 "?tag=3.11");
	free(p);
	p = pcb_sbom_purl_oci("docker.io/library/Python@" D2, D2, "arm64");
	ck_assert_str_eq(p, "pkg:oci/python@" D2 "?arch=arm64&repository_url=docker.io/library/"
	    "Python");
	free(p);
	p = pcb_sbom_purl_oci("localhost/team/app", D1, NULL);
	ck_assert_str_eq(p, "pkg:oci/app@" D1 "?repository_url=localhost/team/app");
	free(p);
}
END_TEST

static char *
lic(const char *expr, const char *text, const char *classifiers_json)
{
	json_object *c = classifiers_json != NULL ? json_tokener_parse(classifiers_json) : NULL;
	char *r = pcb_sbom_license_expression(expr, text, c);

	json_object_put(c);
	return r;
}

START_TEST(licenses)
{
	char *r;

	r = lic("MIT OR (Apache-2.0 WITH LLVM-exception)", NULL, NULL);
	ck_assert_str_eq(r, "MIT OR (Apache-2.0 WITH LLVM-exception)");
	free(r);
	/* A malformed expression falls through to the License text. */
	r = lic("MIT AND", "MIT License", NULL);
	ck_assert_str_eq(r, "MIT");
	free(r);
	r = lic(NULL, "BSD-3-Clause\n\nCopyright ...", NULL);
	ck_assert_str_eq(r, "BSD-3-Clause");
	free(r);
	/* Vague text says nothing for sure. */
	ck_assert_ptr_null(lic(NULL, "BSD", NULL));
	ck_assert_ptr_null(lic(NULL, "Dual licensed", NULL));
	r = lic(NULL, NULL, "[\"Programming Language :: Python\", "
	    "\"License :: OSI Approved :: MIT License\"]");
	ck_assert_str_eq(r, "MIT");
	free(r);
	ck_assert_ptr_null(lic(NULL, NULL, "[\"License :: OSI Approved :: BSD License\"]"));
	ck_assert_ptr_null(lic(NULL, NULL, "[\"License :: OSI Approved :: MIT License\", "
	    "\"License :: OSI Approved :: Apache Software License\"]"));
}
END_TEST

/* Facts as the build hands them over; `reverse` lists the packages the other way round. */
static json_object *
deps_json(bool reverse)
{
	const char *a = "{\"name\":\"flask\",\"version\":\"3.0.0\",\"wheel\":\"flask-3.0.0-py3-none-"
	    "any.whl\",\"sha256\":\"" SHA_A "\",\"layer\":\"deps:group-1\",\"license\":"
	    "\"BSD-3-Clause\",\"classifiers\":[\"License :: OSI Approved :: BSD License\"]}";
	const char *b = "{\"name\":\"markupsafe\",\"version\":\"2.1.5\",\"wheel\":\"MarkupSafe-2.1.5-"
	    "cp311-cp311-manylinux_2_17_x86_64.whl\",\"sha256\":\"" SHA_B "\",\"layer\":"
	    "\"deps:group-1\",\"url\":\"http://127.0.0.1:1/files/MarkupSafe.whl\","
	    "\"classifiers\":[\"License :: Other/Proprietary License\"]}";
	char *text = pcb_xasprintf("{\"source\":\"lock\",\"file\":\"/src/app/pylock.toml\","
	    "\"packages\":[%s,%s]}", reverse ? b : a, reverse ? a : b);
	json_object *j = json_tokener_parse(text);

	free(text);
	ck_assert_ptr_nonnull(j);
	return j;
}

static void
input_init(struct pcb_sbom_input *in, const struct pcb_platform *plat, json_object *deps,
    const struct pcb_strv *tags, const char *manifest)
{
	memset(in, 0, sizeof *in);
	in->image_name = "127.0.0.1:5000/team/app";
	in->tags = tags;
	in->manifest_digest = manifest;
	in->manifest_size = 1234;
	in->config_digest = D2;
	in->platform = plat;
	in->created = "2023-11-14T22:13:20Z";
	in->project_name = "app";
	in->project_version = "1.0";
	in->project_license = "MIT";
	in->base_ref = "127.0.0.1:5000/lib/python:3.11";
	in->base_digest = D2;
	in->deps = deps;
	in->context = "/src/app";
}

/* Runs the vendored schema checker on one document; skipped without python3-jsonschema. */
static void
schema_ok(const char *schema, json_object *doc)
{
	char *dir, *f, *out = NULL;
	int rc;

	if (pcb_test_runf(NULL, "/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0)
		return;
	dir = pcb_test_tmpdir();
	pcb_test_write(dir, "doc.json", pcb_json_str(doc), 0644);
	f = pcb_path_join(dir, "doc.json");
	rc = pcb_test_runf(&out, "/usr/bin/python3 '%s/tests/fixtures/sbom-schemas/check.py' "
	    "'%s/tests/fixtures/sbom-schemas/%s' < '%s' 2>&1", pcb_test_source_dir(),
	    pcb_test_source_dir(), schema, f);
	ck_assert_msg(rc == 0, "%s: %s", schema, out);
	free(out);
	free(f);
	pcb_test_rmtree(dir);
	free(dir);
}

START_TEST(documents_deterministic_and_valid)
{
	struct pcb_platform plat;
	struct pcb_sbom_input in1, in2, in3;
	struct pcb_strv tags;
	json_object *d1 = deps_json(false), *d2 = deps_json(true), *s1, *s2, *c1, *c2, *p1, *p2;
	json_object *s3, *c3;
	char *t1, *t2, *sn;

	ck_assert_int_eq(pcb_platform_parse("linux/amd64", &plat, NULL), 0);
	pcb_strv_init(&tags);
	pcb_strv_push(&tags, "127.0.0.1:5000/team/app:1");
	input_init(&in1, &plat, d1, &tags, D1);
	input_init(&in2, &plat, d2, &tags, D1);
	input_init(&in3, &plat, d1, &tags, D2);

	/* Same facts in another order: the same bytes. */
	s1 = pcb_sbom_spdx(&in1);
	s2 = pcb_sbom_spdx(&in2);
	t1 = pcb_xstrdup(pcb_json_str(s1));
	t2 = pcb_xstrdup(pcb_json_str(s2));
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);
	c1 = pcb_sbom_cyclonedx(&in1);
	c2 = pcb_sbom_cyclonedx(&in2);
	t1 = pcb_xstrdup(pcb_json_str(c1));
	t2 = pcb_xstrdup(pcb_json_str(c2));
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);
	p1 = pcb_sbom_provenance(&in1);
	p2 = pcb_sbom_provenance(&in2);
	t1 = pcb_xstrdup(pcb_json_str(p1));
	t2 = pcb_xstrdup(pcb_json_str(p2));
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);

	/* Identity from the content: another image, another namespace and serial number;
	 * both well formed (a v5 UUID). */
	s3 = pcb_sbom_spdx(&in3);
	c3 = pcb_sbom_cyclonedx(&in3);
	ck_assert_str_ne(jstr(s1, "documentNamespace"), jstr(s3,
	    "documentNamespace"));
	sn = pcb_xstrdup(jstr(c1, "serialNumber"));
	ck_assert_str_ne(sn, jstr(c3, "serialNumber"));
	ck_assert_int_eq((int)strlen(sn), 45);
	ck_assert_int_eq(sn[9 + 14], '5');
	free(sn);

	/* What is in them. */
	t1 = pcb_xstrdup(pcb_json_str(s1));
	ck_assert_msg(strstr(t1, "\"referenceLocator\":\"pkg:pypi/flask@3.0.0\"") != NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "\"checksumValue\":\"" SHA_B "\"") != NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "\"licenseDeclared\":\"BSD-3-Clause\"") != NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "\"licenseComments\":\"License :: Other/Proprietary License\"") !=
	    NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "\"sourceInfo\":\"http://127.0.0.1:1/files/MarkupSafe.whl\"") !=
	    NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "pkg:oci/python@" D2 "?arch=amd64&repository_url=127.0.0.1:5000/"
	    "lib/python&tag=3.11") != NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "\"relationshipType\":\"DESCENDANT_OF\"") != NULL, "%s", t1);
	free(t1);
	t1 = pcb_xstrdup(pcb_json_str(c1));
	ck_assert_msg(strstr(t1, "{\"alg\":\"SHA-256\",\"content\":\"" SHA_A "\"}") != NULL, "%s",
	    t1);
	ck_assert_msg(strstr(t1, "{\"expression\":\"BSD-3-Clause\"}") != NULL, "%s", t1);
	ck_assert_msg(strstr(t1, "\"value\":\"lock file pylock.toml\"") != NULL, "%s", t1);
	free(t1);
	ck_assert_str_eq(jstr(p1, "predicateType"), PCB_SLSA_PROVENANCE);
	ck_assert_str_eq(jstr(p1, "subject.0.digest.sha256"), D1 + 7);
	ck_assert_str_eq(jstr(p1, "predicate.buildDefinition.resolvedDependencies.0."
	    "digest.sha256"), D2 + 7);

	schema_ok("spdx-schema.json", s1);
	schema_ok("bom-1.5.schema.json", c1);

	json_object_put(s1);
	json_object_put(s2);
	json_object_put(s3);
	json_object_put(c1);
	json_object_put(c2);
	json_object_put(c3);
	json_object_put(p1);
	json_object_put(p2);
	json_object_put(d1);
	json_object_put(d2);
	pcb_strv_free(&tags);
}
END_TEST

START_TEST(vcs_revision)
{
	char *dir = pcb_test_tmpdir(), *sub, *uri = NULL, *rev = NULL;
	const char *h1 = "0123456789abcdef0123456789abcdef01234567";
	const char *h2 = "89abcdef0123456789abcdef0123456789abcdef";
	char *text;

	ck_assert_int_eq(pcb_sbom_vcs_read(dir, NULL, &uri, &rev, NULL), PCB_ENOENT);
	pcb_test_write(dir, ".git/HEAD", "ref: refs/heads/main\n", 0644);
	pcb_test_write(dir, ".git/config", "[core]\n\tbare = false\n[remote \"origin\"]\n"
	    "\turl = https://example.com/team/app.git\n\tfetch = +refs/heads/*:refs/remotes/"
	    "origin/*\n", 0644);
	/* Not yet a commit on main: none. */
	ck_assert_int_eq(pcb_sbom_vcs_read(dir, NULL, &uri, &rev, NULL), PCB_ENOENT);
	text = pcb_xasprintf("# pack-refs with: peeled\n%s refs/heads/main\n", h1);
	pcb_test_write(dir, ".git/packed-refs", text, 0644);
	free(text);
	pcb_test_mkdir(dir, "src/app");
	sub = pcb_path_join(dir, "src/app");
	/* A project in a subfolder of the checkout: the checkout's revision. */
	ck_assert_int_eq(pcb_sbom_vcs_read(sub, NULL, &uri, &rev, NULL), 0);
	ck_assert_str_eq(rev, h1);
	ck_assert_str_eq(uri, "git+https://example.com/team/app.git");
	free(rev);
	free(uri);
	/* A loose ref wins over packed-refs; a detached HEAD names the commit itself. */
	text = pcb_xasprintf("%s\n", h2);
	pcb_test_write(dir, ".git/refs/heads/main", text, 0644);
	ck_assert_int_eq(pcb_sbom_vcs_read(dir, NULL, &uri, &rev, NULL), 0);
	ck_assert_str_eq(rev, h2);
	free(rev);
	free(uri);
	pcb_test_write(dir, ".git/HEAD", text, 0644);
	ck_assert_int_eq(pcb_sbom_vcs_read(dir, NULL, &uri, &rev, NULL), 0);
	ck_assert_str_eq(rev, h2);
	free(rev);
	free(uri);
	free(text);
	free(sub);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A tiny image in the store: a config, no layers. */
static void
put_image(struct pcb_store *st, char md[PCB_DIGEST_BUFSZ], size_t *msize)
{
	char cfg[PCB_DIGEST_BUFSZ];
	json_object *m;

	ck_assert_int_eq(pcb_store_put(st, "{\"architecture\":\"amd64\",\"os\":\"linux\"}", 38,
	    PCB_MT_OCI_CONFIG, cfg, NULL), 0);
	m = pcb_oci_manifest_new(cfg, 38, json_object_new_array());
	ck_assert_int_eq(pcb_oci_put_json(st, m, PCB_MT_OCI_MANIFEST, md, msize, NULL), 0);
	json_object_put(m);
}

/* A collection keeps whatever was used at or after its start (store.h): wait for the clock
 * to pass the last use, so "all" means all. */
static void
clock_past(int64_t ms)
{
	while (pcb_now_ms() <= ms)
		;
}

START_TEST(referrers_in_store)
{
	char *dir = NULL, md[PCB_DIGEST_BUFSZ], r1[PCB_DIGEST_BUFSZ], r2[PCB_DIGEST_BUFSZ];
	char r3[PCB_DIGEST_BUFSZ], *doc = NULL;
	struct pcb_store *st = pcb_test_store_new(&dir);
	struct pcb_store_gc_opts go;
	struct pcb_store_gc_report rep;
	struct pcb_store_tag *tags = NULL;
	json_object *idx = NULL;
	size_t msize = 0, len = 0, ntags = 0;
	uint64_t size = 0;
	struct pcb_err err;

	put_image(st, md, &msize);
	ck_assert_int_eq(pcb_sbom_referrers(st, md, NULL, &idx, NULL), PCB_ENOENT);
	ck_assert_int_eq(pcb_sbom_attach_one(st, md, msize, PCB_AT_SPDX, "sbom.spdx.json",
	    "{\"v\":1}", 7, "2023-11-14T22:13:20Z", r1, &size, &err), 0);
	ck_assert_int_eq(pcb_sbom_attach_one(st, md, msize, PCB_AT_CYCLONEDX, NULL, "{\"c\":1}", 7,
	    NULL, r2, NULL, &err), 0);
	/* A second SPDX document replaces the first. */
	ck_assert_int_eq(pcb_sbom_attach_one(st, md, msize, PCB_AT_SPDX, NULL, "{\"v\":2}", 7, NULL,
	    r3, NULL, &err), 0);
	ck_assert_str_ne(r1, r3);
	ck_assert_int_eq(pcb_sbom_referrers(st, md, NULL, &idx, &err), 0);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(idx, "manifests")), 2);
	ck_assert_str_eq(jstr(idx, "manifests.0.artifactType"), PCB_AT_SPDX);
	ck_assert_str_eq(jstr(idx, "manifests.0.digest"), r3);
	ck_assert_str_eq(jstr(idx, "manifests.1.digest"), r2);
	json_object_put(idx);
	ck_assert_int_eq(pcb_sbom_document(st, md, PCB_AT_SPDX, &doc, &len, &err), 0);
	ck_assert_str_eq(doc, "{\"v\":2}");
	free(doc);
	/* The artifact manifest: artifactType, the empty config, the document, the subject. */
	ck_assert_int_eq(pcb_store_read(st, r3, 1 << 20, &doc, &len, &err), 0);
	idx = json_tokener_parse(doc);
	free(doc);
	ck_assert_str_eq(jstr(idx, "artifactType"), PCB_AT_SPDX);
	ck_assert_str_eq(jstr(idx, "config.mediaType"), PCB_MT_OCI_EMPTY);
	ck_assert_str_eq(jstr(idx, "config.digest"), PCB_OCI_EMPTY_DIGEST);
	ck_assert_str_eq(jstr(idx, "subject.digest"), md);
	ck_assert_str_eq(jstr(idx, "layers.0.mediaType"), PCB_AT_SPDX);
	json_object_put(idx);
	/* The index is kept under the reserved key, which is no image: `pcb cache du` (tag
	 * usage) leaves it out. */
	ck_assert_int_eq(pcb_store_tag_list(st, &tags, &ntags, &err), 0);
	ck_assert_int_eq((int)ntags, 1);
	ck_assert(pcb_str_has_prefix(tags[0].name, PCB_STORE_REF_PREFIX));
	ck_assert_str_eq(tags[0].name + strlen(PCB_STORE_REF_PREFIX), md);
	pcb_store_tags_free(tags, ntags);
	{
		struct pcb_store_tag_use *u = NULL;
		size_t nu = 0;
		ck_assert_int_eq(pcb_store_tag_usage(st, &u, &nu, &err), 0);
		ck_assert_int_eq((int)nu, 0);
		pcb_store_tag_usage_free(u, nu);
	}

	/* Tagged image: a full collection keeps its referrers. */
	ck_assert_int_eq(pcb_store_tag_set(st, "app:1", md, &err), 0);
	memset(&go, 0, sizeof go);
	go.all = true;
	clock_past(pcb_now_ms());
	ck_assert_int_eq(pcb_store_gc(st, &go, &rep, &err), 0);
	ck_assert_int_eq(pcb_store_stat(st, r3, NULL, NULL, NULL), 0);
	ck_assert_int_eq(pcb_store_stat(st, r2, NULL, NULL, NULL), 0);
	ck_assert_int_eq(pcb_store_stat(st, PCB_OCI_EMPTY_DIGEST, NULL, NULL, NULL), 0);
	/* The replaced one was referenced by nothing. */
	ck_assert_int_ne(pcb_store_stat(st, r1, NULL, NULL, NULL), 0);
	/* Untagged: they go with it. */
	ck_assert_int_eq(pcb_store_tag_delete(st, "app:1", NULL, &err), 0);
	clock_past(pcb_now_ms());
	ck_assert_int_eq(pcb_store_gc(st, &go, &rep, &err), 0);
	ck_assert_int_ne(pcb_store_stat(st, md, NULL, NULL, NULL), 0);
	ck_assert_int_ne(pcb_store_stat(st, r3, NULL, NULL, NULL), 0);
	ck_assert_int_ne(pcb_store_stat(st, r2, NULL, NULL, NULL), 0);
	pcb_test_store_free(st, dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sbom");
	TCase *tc = tcase_create("sbom");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, purls);
	tcase_add_test(tc, licenses);
	tcase_add_test(tc, documents_deterministic_and_valid);
	tcase_add_test(tc, vcs_revision);
	tcase_add_test(tc, referrers_in_store);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
