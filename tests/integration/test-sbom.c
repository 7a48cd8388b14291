/* test-sbom.c — SBOMs and provenance end to end: the Flask fixture built from requirements.txt
 * (pip download from a loopback wheel index) on a base made by `pcb base create --from-host`
 * in a loopback docker-registry, by a real pycontainerd, pushed there and written as an OCI
 * layout. The SPDX 2.3 and CycloneDX 1.5 documents `pcb sbom` prints list every distribution
 * in the image with the sha256 of the wheel the index served and validate against the
 * published schemas (tests/fixtures/sbom-schemas); the same build again attaches the same
 * bytes; the referrers are found in the registry through the OCI 1.1 tag fallback
 * (docker-registry 2.8 has no referrers API), their subject the image; the layout lists them;
 * the provenance is an in-toto Statement with a SLSA v1 predicate naming the base digest and
 * the git commit of the context; --sbom=false attaches nothing. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "ocicheck.h"
#include "regfix.h"
#include "testutil.h"
#include "wheelfix.h"

static char *top;
static char *wheels;
static struct pcb_test_wheelidx idx;
static struct pcb_test_daemon dmn;
static struct pcb_test_registry reg;
static char *base_ref;
static bool ready;
static char *setup_error;

static char *
pcb_bin(void)
{
	return pcb_path_join(pcb_test_build_dir(), "pcb");
}

static void
suite_setup(void)
{
	char *pcb, *out = NULL;
	int rc;

	if (access("/usr/bin/python3", X_OK) != 0 || !pcb_test_have("docker-registry") ||
	    !pcb_test_have("skopeo"))
		return;
	top = pcb_test_tmpdir();
	wheels = pcb_path_join(top, "wheels");
	pcb_test_wheels_make(wheels, PCB_TEST_FLASK_DISTS);
	pcb_test_wheelidx_start(&idx, wheels);
	pcb_test_daemon_start(&dmn, NULL, NULL);
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb = pcb_bin();
	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s base create --from-host "
	    "--python /usr/bin/python3 -t testpy:3.11 -q 2>&1", pcb, dmn.host);
	if (rc != 0) {
		setup_error = pcb_xasprintf("pcb base create failed: %s", out);
		goto out;
	}
	free(out);
	out = NULL;
	base_ref = pcb_xasprintf("%s/lib/python:3.11", reg.host);
	rc = pcb_test_runf(&out, "%s -H %s push testpy:3.11 %s -q 2>&1", pcb, dmn.host, base_ref);
	if (rc != 0) {
		setup_error = pcb_xasprintf("pcb push of the base failed: %s", out);
		goto out;
	}
	ready = true;
out:
	free(out);
	free(pcb);
}

static void
suite_teardown(void)
{
	if (top == NULL)
		return;
	pcb_test_daemon_stop(&dmn);
	pcb_test_daemon_free(&dmn, true);
	pcb_test_wheelidx_stop(&idx);
	pcb_test_registry_stop(&reg);
	pcb_test_rmtree(top);
	free(top);
	free(wheels);
	free(base_ref);
}

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL ? json_object_get_string(v) : NULL;
}

static json_object *
parse(const char *text)
{
	json_object *j = json_tokener_parse(text != NULL ? text : "");
	ck_assert_msg(j != NULL, "not JSON: %.2000s", text != NULL ? text : "(null)");
	return j;
}

/* The Flask fixture in a fresh git checkout (a commit, an origin): returns the folder and
 * the commit in *commit_out. */
static char *
fixture_checkout(const char *dir, char **commit_out)
{
	char *dst = pcb_path_join(dir, "flaskapp"), *out = NULL;
	int rc = pcb_test_runf(&out, "cp -r '%s/tests/fixtures/flaskapp' '%s' && cd '%s' && "
	    "git init -q && git add -A && git -c user.email=t@example.com -c user.name=t "
	    "commit -qm fixture && git remote add origin https://example.com/team/flaskapp.git "
	    "&& git rev-parse HEAD", pcb_test_source_dir(), dst, dst);

	ck_assert_msg(rc == 0, "making the checkout: %s", out);
	out[strcspn(out, "\n")] = '\0';
	*commit_out = out;
	return dst;
}

/* `pcb build CONTEXT --json ARGS` that must succeed: the final build resource. */
static json_object *
build_ok(const char *dir, const char *context, const char *args)
{
	char *pcb = pcb_bin(), *out = NULL, *errf = pcb_path_join(dir, "pcb.err");
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "SOURCE_DATE_EPOCH=1700000000 %s -H %s build '%s' --json %s "
	    "2>'%s'", pcb, dmn.host, context, args, errf);
	j = json_tokener_parse(out != NULL ? out : "");
	ck_assert_msg(rc == 0 && j != NULL, "pcb build %s failed (%d): %s / %s", args, rc, out,
	    pcb_test_read(errf, NULL));
	free(out);
	free(errf);
	free(pcb);
	return j;
}

/* `pcb sbom IMAGE --format F --compact`: the document, validated against schema when
 * given (the vendored schema checker, python3-jsonschema). */
static json_object *
sbom(const char *dir, const char *image, const char *format, const char *schema)
{
	char *pcb = pcb_bin(), *out = NULL, *f;
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "%s -H %s sbom '%s' --format %s --compact 2>&1", pcb, dmn.host,
	    image, format);
	ck_assert_msg(rc == 0, "pcb sbom %s --format %s (exit %d): %s", image, format, rc, out);
	j = parse(out);
	if (schema != NULL) {
		char *res = NULL;
		pcb_test_write(dir, "doc.json", out, 0644);
		f = pcb_path_join(dir, "doc.json");
		rc = pcb_test_runf(&res, "/usr/bin/python3 '%s/tests/fixtures/sbom-schemas/check.py' "
		    "'%s/tests/fixtures/sbom-schemas/%s' < '%s' 2>&1", pcb_test_source_dir(),
		    pcb_test_source_dir(), schema, f);
		ck_assert_msg(rc == 0, "%s does not validate against %s: %s", format, schema, res);
		free(res);
		free(f);
	}
	free(out);
	free(pcb);
	return j;
}

/* sha256 of the wheel file the index served. Caller frees. */
static char *
wheel_sha256(const char *filename)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "sha256sum '%s/%s' | cut -d' ' -f1", wheels, filename);

	ck_assert_msg(rc == 0, "sha256sum %s: %s", filename, out);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* The SPDX package named name (a distribution), or NULL. */
static json_object *
spdx_package(json_object *doc, const char *name)
{
	json_object *ps = pcb_test_jget(doc, "packages");

	for (size_t i = 0; ps != NULL && i < json_object_array_length(ps); i++) {
		json_object *p = json_object_array_get_idx(ps, i);
		const char *id = jstr(p, "SPDXID");
		if (id != NULL && pcb_str_has_prefix(id, "SPDXRef-Package-pypi-") &&
		    strcmp(jstr(p, "name"), name) == 0)
			return p;
	}
	return NULL;
}

static json_object *
cdx_component(json_object *doc, const char *name)
{
	json_object *cs = pcb_test_jget(doc, "components");

	for (size_t i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		if (strcmp(jstr(c, "type"), "library") == 0 && strcmp(jstr(c, "name"), name) == 0)
			return c;
	}
	return NULL;
}

START_TEST(sbom_lists_every_wheel_and_travels_with_the_image)
{
	char *dir, *app, *commit, *layout, *args, *image, *out = NULL, *tag;
	json_object *j1, *j2, *pkgs, *spdx, *cdx, *prov, *ri, *rm;
	const char *md, *base_digest;
	size_t n_lib = 0;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_checkout(dir, &commit);
	layout = pcb_path_join(dir, "layout");
	image = pcb_xasprintf("%s/sbom/flaskapp:1", reg.host);
	args = pcb_xasprintf("--base-image %s --requirements '%s/requirements.txt' --index-url %s "
	    "--output '%s' -t %s --push --provenance", base_ref, app, idx.simple, layout, image);
	j1 = build_ok(dir, app, args);
	md = jstr(j1, "result.manifest.digest");
	base_digest = jstr(j1, "result.base.digest");
	ck_assert_ptr_nonnull(md);
	ck_assert_ptr_nonnull(base_digest);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j1, "result.referrers")), 3);

	/* Every distribution in the image, with the sha256 of the wheel the index served, in
	 * both documents; both valid. */
	spdx = sbom(dir, image, "spdx", "spdx-schema.json");
	cdx = sbom(dir, image, "cyclonedx", "bom-1.5.schema.json");
	ck_assert_str_eq(jstr(spdx, "spdxVersion"), "SPDX-2.3");
	ck_assert_str_eq(jstr(cdx, "specVersion"), "1.5");
	ck_assert_str_eq(jstr(cdx, "metadata.component.version"), md);
	pkgs = pcb_test_jget(j1, "result.dependencies.packages");
	ck_assert_int_ge(json_object_array_length(pkgs), 6);
	for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
		json_object *p = json_object_array_get_idx(pkgs, i), *sp, *cc;
		const char *name = jstr(p, "name"), *ver = jstr(p, "version");
		char *sha = wheel_sha256(jstr(p, "wheel")), *purl;

		ck_assert_str_eq(jstr(p, "sha256"), sha);
		sp = spdx_package(spdx, name);
		ck_assert_msg(sp != NULL, "%s not in the SPDX document", name);
		ck_assert_str_eq(jstr(sp, "versionInfo"), ver);
		ck_assert_str_eq(jstr(sp, "checksums.0.algorithm"), "SHA256");
		ck_assert_str_eq(jstr(sp, "checksums.0.checksumValue"), sha);
		ck_assert_str_eq(jstr(sp, "packageFileName"), jstr(p, "wheel"));
		purl = pcb_xasprintf("pkg:pypi/%s@%s", name, ver);
		ck_assert_str_eq(jstr(sp, "externalRefs.0.referenceLocator"), purl);
		ck_assert_msg(strstr(jstr(sp, "sourceInfo"), idx.simple) != NULL, "%s",
		    pcb_json_str(sp));
		cc = cdx_component(cdx, name);
		ck_assert_msg(cc != NULL, "%s not in the CycloneDX document", name);
		ck_assert_str_eq(jstr(cc, "purl"), purl);
		ck_assert_str_eq(jstr(cc, "hashes.0.alg"), "SHA-256");
		ck_assert_str_eq(jstr(cc, "hashes.0.content"), sha);
		free(purl);
		free(sha);
	}
	/* …and nothing else of the library kind. */
	for (size_t i = 0; i < json_object_array_length(pcb_test_jget(cdx, "components")); i++)
		n_lib += strcmp(jstr(json_object_array_get_idx(pcb_test_jget(cdx, "components"), i),
		    "type"), "library") == 0;
	ck_assert_int_eq((int)n_lib, (int)json_object_array_length(pkgs));
	/* The wheels re-made from this machine's distributions keep their licence metadata:
	 * at least one says it in words the documents carry. */
	ck_assert_msg(strstr(pcb_json_str(cdx), "\"licenses\"") != NULL, "no licence in %.1500s",
	    pcb_json_str(pkgs));
	/* The base by its digest. */
	ck_assert_msg(strstr(pcb_json_str(spdx), base_digest) != NULL, "no base %s", base_digest);

	/* Provenance: an in-toto Statement v1 with SLSA v1 provenance. */
	prov = sbom(dir, image, "provenance", NULL);
	ck_assert_str_eq(jstr(prov, "_type"), "https://in-toto.io/Statement/v1");
	ck_assert_str_eq(jstr(prov, "predicateType"), "https://slsa.dev/provenance/v1");
	ck_assert_str_eq(jstr(prov, "subject.0.digest.sha256"), md + 7);
	ck_assert_ptr_nonnull(jstr(prov, "predicate.buildDefinition.buildType"));
	ck_assert_ptr_nonnull(jstr(prov, "predicate.runDetails.builder.id"));
	ck_assert_str_eq(jstr(prov, "predicate.buildDefinition.externalParameters.context"), app);
	{
		json_object *rd = pcb_test_jget(prov, "predicate.buildDefinition."
		    "resolvedDependencies");
		bool base = false, src = false;
		ck_assert_ptr_nonnull(rd);
		for (size_t i = 0; i < json_object_array_length(rd); i++) {
			json_object *d = json_object_array_get_idx(rd, i);
			const char *sha = jstr(d, "digest.sha256"), *gc = jstr(d, "digest.gitCommit");
			base = base || (sha != NULL && strcmp(sha, base_digest + 7) == 0);
			src = src || (gc != NULL && strcmp(gc, commit) == 0 &&
			    strcmp(jstr(d, "uri"), "git+https://example.com/team/flaskapp.git") == 0);
		}
		ck_assert_msg(base, "no base digest in %s", pcb_json_str(rd));
		ck_assert_msg(src, "no source commit %s in %s", commit, pcb_json_str(rd));
	}

	/* The registry has no referrers API: the tag fallback lists the three, each a manifest
	 * whose subject is the image. */
	tag = pcb_xasprintf("%s/sbom/flaskapp:sha256-%s", reg.host, md + 7);
	ck_assert_msg(pcb_test_runf(&out, "skopeo inspect --raw --tls-verify=false "
	    "'docker://%s' 2>&1", tag) == 0, "%s", out);
	ri = parse(out);
	free(out);
	out = NULL;
	ck_assert_str_eq(jstr(ri, "mediaType"), "application/vnd.oci.image.index.v1+json");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(ri, "manifests")), 3);
	for (size_t i = 0; i < 3; i++) {
		json_object *e = json_object_array_get_idx(pcb_test_jget(ri, "manifests"), i);
		const char *at = jstr(e, "artifactType");
		ck_assert_msg(strcmp(at, "application/spdx+json") == 0 ||
		    strcmp(at, "application/vnd.cyclonedx+json") == 0 ||
		    strcmp(at, "application/vnd.in-toto+json") == 0, "%s", at);
		ck_assert_msg(pcb_test_runf(&out, "skopeo inspect --raw --tls-verify=false "
		    "'docker://%s/sbom/flaskapp@%s' 2>&1", reg.host, jstr(e, "digest")) == 0, "%s",
		    out);
		rm = parse(out);
		free(out);
		out = NULL;
		ck_assert_str_eq(jstr(rm, "artifactType"), at);
		ck_assert_str_eq(jstr(rm, "subject.digest"), md);
		ck_assert_str_eq(jstr(rm, "config.mediaType"), "application/vnd.oci.empty.v1+json");
		ck_assert_str_eq(jstr(rm, "config.digest"), "sha256:44136fa355b3678a1146ad16f7e8649e9"
		    "4fb4fc21fe77e8310c060f61caaff8a");
		ck_assert_str_eq(jstr(rm, "layers.0.mediaType"), at);
		json_object_put(rm);
	}
	json_object_put(ri);

	/* The OCI layout: the image by its tag and the referrer manifests beside it. */
	{
		char *ip = pcb_path_join(layout, "index.json"), *text = pcb_test_read(ip, NULL);
		json_object *li = parse(text), *ms = pcb_test_jget(li, "manifests");
		int n_ref = 0;
		for (size_t i = 0; i < json_object_array_length(ms); i++) {
			json_object *e = json_object_array_get_idx(ms, i);
			char *mp, *mt;
			json_object *m;
			if (jstr(e, "artifactType") == NULL)
				continue;
			n_ref++;
			mp = pcb_xasprintf("%s/blobs/sha256/%s", layout, jstr(e, "digest") + 7);
			mt = pcb_test_read(mp, NULL);
			ck_assert_msg(mt != NULL, "%s missing", mp);
			m = parse(mt);
			ck_assert_str_eq(jstr(m, "subject.digest"), md);
			free(mp);
			mp = pcb_xasprintf("%s/blobs/sha256/%s", layout, jstr(m, "layers.0.digest") + 7);
			ck_assert_msg(access(mp, R_OK) == 0, "%s missing", mp);
			free(mp);
			free(mt);
			json_object_put(m);
		}
		ck_assert_int_eq(n_ref, 3);
		ck_assert_int_eq(pcb_test_runf(&out, "skopeo inspect 'oci:%s:1' 2>&1", layout), 0);
		free(out);
		out = NULL;
		json_object_put(li);
		free(text);
		free(ip);
	}

	/* The same build again: the same referrers, byte for byte. */
	j2 = build_ok(dir, app, args);
	ck_assert_str_eq(jstr(j2, "result.manifest.digest"), md);
	ck_assert_str_eq(pcb_json_str(pcb_test_jget(j2, "result.referrers")),
	    pcb_json_str(pcb_test_jget(j1, "result.referrers")));

	json_object_put(spdx);
	json_object_put(cdx);
	json_object_put(prov);
	json_object_put(j1);
	json_object_put(j2);
	free(tag);
	free(image);
	free(args);
	free(layout);
	free(commit);
	free(app);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(sbom_false_attaches_nothing)
{
	char *dir, *app, *commit, *layout, *args, *pcb = pcb_bin(), *out = NULL, *text, *ip;
	json_object *j, *li, *ms;

	if (!ready) {
		ck_assert_msg(setup_error == NULL, "suite setup: %s", setup_error);
		free(pcb);
		return;
	}
	dir = pcb_test_tmpdir();
	app = fixture_checkout(dir, &commit);
	/* Another image than the other test's (its own label), so no SBOM of that one counts. */
	layout = pcb_path_join(dir, "layout");
	args = pcb_xasprintf("--base-image testpy:3.11 --requirements '%s/requirements.txt' "
	    "--index-url %s --label sbom=off --output '%s' -t nosbom:1 --sbom=false", app,
	    idx.simple, layout);
	j = build_ok(dir, app, args);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "result.referrers")), 0);
	ck_assert_int_eq(pcb_test_runf(&out, "%s -H %s sbom nosbom:1 2>&1", pcb, dmn.host), 1);
	ck_assert_msg(strstr(out, "no application/spdx+json document") != NULL, "%s", out);
	free(out);
	ip = pcb_path_join(layout, "index.json");
	text = pcb_test_read(ip, NULL);
	li = parse(text);
	ms = pcb_test_jget(li, "manifests");
	ck_assert_int_eq((int)json_object_array_length(ms), 1);
	ck_assert_ptr_null(jstr(li, "manifests.0.artifactType"));
	json_object_put(li);
	json_object_put(j);
	free(text);
	free(ip);
	free(args);
	free(layout);
	free(commit);
	free(app);
	free(pcb);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sbom");
	TCase *tc = tcase_create("sbom");

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, sbom_lists_every_wheel_and_travels_with_the_image);
	tcase_add_test(tc, sbom_false_attaches_nothing);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
