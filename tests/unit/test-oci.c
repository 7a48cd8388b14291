/* test-oci.c — platforms, image references, the manifest JSON and its storing, and the build
 * spec parser (strictness, messages). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonx.h"
#include "build.h"
#include "image/oci.h"
#include "testutil.h"

START_TEST(platform_parse)
{
	struct pcb_platform p;
	struct pcb_err e;
	char s[100];

	ck_assert_int_eq(pcb_platform_parse("linux/amd64", &p, &e), 0);
	ck_assert_str_eq(p.os, "linux");
	ck_assert_str_eq(p.arch, "amd64");
	ck_assert_str_eq(p.variant, "");
	ck_assert_int_eq(pcb_platform_parse("linux/arm64/v8", &p, &e), 0);
	pcb_platform_format(&p, s);
	ck_assert_str_eq(s, "linux/arm64");
	ck_assert_int_eq(pcb_platform_parse("linux/arm/v7", &p, &e), 0);
	pcb_platform_format(&p, s);
	ck_assert_str_eq(s, "linux/arm/v7");
	ck_assert_int_eq(pcb_platform_parse("linux/x86_64", &p, &e), 0);
	ck_assert_str_eq(p.arch, "amd64");
	ck_assert_int_eq(pcb_platform_parse("linux", &p, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "OS/ARCH"));
	ck_assert_int_eq(pcb_platform_parse("linux/amd64/v1/x", &p, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_platform_parse("linux/AMD64", &p, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "AMD64"));
	ck_assert_int_eq(pcb_platform_parse("linux//v7", &p, &e), PCB_EINVAL);
	pcb_platform_host(&p);
	ck_assert_str_eq(p.os, "linux");
	ck_assert(strlen(p.arch) > 0);
}
END_TEST

static void
ref_ok(const char *ref, const char *repo, const char *tag)
{
	char *r = NULL, *t = NULL;
	struct pcb_err e;
	ck_assert_msg(pcb_ref_parse(ref, &r, &t, &e) == 0, "%s: %s", ref, e.msg);
	ck_assert_str_eq(r, repo);
	ck_assert_str_eq(t, tag);
	free(r);
	free(t);
}

static void
ref_bad(const char *ref, const char *needle)
{
	char *r = NULL, *t = NULL;
	struct pcb_err e;
	ck_assert_msg(pcb_ref_parse(ref, &r, &t, &e) == PCB_EINVAL, "%s accepted", ref);
	ck_assert_msg(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks '%s'", ref, e.msg,
	    needle);
}

START_TEST(refs)
{
	ref_ok("hello", "hello", "latest");
	ref_ok("hello:1.0", "hello", "1.0");
	ref_ok("localhost:5000/team/app:v2", "localhost:5000/team/app", "v2");
	ref_ok("ghcr.io/a-b/c__d.e:x_Y-1", "ghcr.io/a-b/c__d.e", "x_Y-1");
	ref_ok("localhost/app", "localhost/app", "latest");
	ref_bad("Hello:1", "Hello");
	ref_bad("hello:", "invalid tag");
	ref_bad("hello:-x", "invalid tag");
	ref_bad("hello:a b", "invalid character");
	ref_bad("a//b", "invalid repository component");
	ref_bad("a/", "/");
	ref_bad("a_-b", "invalid repository component");
	ref_bad("x@sha256:0000", "digests");
	ref_bad("", "empty");
}
END_TEST

static int
parse(const char *json, struct pcb_build_spec *s, struct pcb_err *e)
{
	json_object *j = json_tokener_parse(json);
	int rc;
	ck_assert_msg(j != NULL, "test JSON invalid: %s", json);
	pcb_build_spec_init(s);
	rc = pcb_build_spec_from_json(j, s, e);
	json_object_put(j);
	return rc;
}

static void
spec_bad(const char *json, const char *needle)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	pcb_err_clear(&e);
	ck_assert_msg(parse(json, &s, &e) == PCB_EINVAL, "accepted: %s", json);
	ck_assert_msg(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks '%s'", json, e.msg,
	    needle);
	pcb_build_spec_free(&s);
}

START_TEST(spec_roundtrip)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *back;
	const char *in = "{\"context\":\"/tmp/x/\",\"tags\":[\"a:1\",\"b\"],"
	    "\"outputs\":[{\"type\":\"oci-layout\",\"path\":\"/tmp/out\"}],\"platform\":\"linux/arm64\","
	    "\"env\":{\"A\":\"1\",\"B_2\":\"x=y\"},\"labels\":{\"org.x\":\"v\"},\"workdir\":\"/srv\","
	    "\"entrypoint\":[\"python\",\"-m\",\"x\"],\"cmd\":[],\"source_date_epoch\":1700000000}";

	ck_assert_int_eq(parse(in, &s, &e), 0);
	ck_assert_str_eq(s.context, "/tmp/x");
	ck_assert_int_eq(s.tags.n, 2);
	ck_assert_int_eq(s.n_outputs, 1);
	ck_assert_str_eq(s.outputs[0].path, "/tmp/out");
	ck_assert_str_eq(s.env.v[1], "B_2=x=y");
	ck_assert(s.has_entrypoint && s.has_cmd);
	ck_assert_int_eq(s.cmd.n, 0);
	ck_assert_int_eq(s.source_date_epoch, 1700000000);
	back = pcb_build_spec_to_json(&s);
	ck_assert_str_eq(pcb_json_str(back),
	    "{\"context\":\"/tmp/x\",\"tags\":[\"a:1\",\"b\"],\"outputs\":[{\"type\":\"oci-layout\","
	    "\"path\":\"/tmp/out\"}],\"platform\":\"linux/arm64\",\"env\":{\"A\":\"1\",\"B_2\":\"x=y\"},"
	    "\"labels\":{\"org.x\":\"v\"},\"workdir\":\"/srv\",\"entrypoint\":[\"python\",\"-m\",\"x\"],"
	    "\"cmd\":[],\"source_date_epoch\":1700000000}");
	json_object_put(back);
	pcb_build_spec_free(&s);
}
END_TEST

START_TEST(spec_strict)
{
	spec_bad("[]", "expected a JSON object");
	spec_bad("{}", "missing required field 'context'");
	spec_bad("{\"context\":\"/x\",\"colour\":1}", "unknown field 'colour'");
	spec_bad("{\"context\":\"rel/dir\"}", "not an absolute path");
	spec_bad("{\"context\":\"/a/../b\"}", "'..'");
	spec_bad("{\"context\":5}", "context: expected a string");
	spec_bad("{\"context\":\"/x\",\"tags\":\"a\"}", "tags: expected an array");
	spec_bad("{\"context\":\"/x\",\"tags\":[\"ok\",7]}", "tags[1]: expected a string");
	spec_bad("{\"context\":\"/x\",\"tags\":[\"Bad\"]}", "tags[0]");
	spec_bad("{\"context\":\"/x\",\"env\":{\"1X\":\"v\"}}", "invalid variable name '1X'");
	spec_bad("{\"context\":\"/x\",\"env\":{\"X\":1}}", "env.X: expected a string");
	spec_bad("{\"context\":\"/x\",\"env\":[\"X=1\"]}", "env: expected an object");
	spec_bad("{\"context\":\"/x\",\"platform\":\"windows\"}", "platform");
	spec_bad("{\"context\":\"/x\",\"outputs\":[{\"type\":\"tarball\",\"path\":\"/o\"}]}",
	    "outputs[0].type");
	spec_bad("{\"context\":\"/x\",\"outputs\":[{\"type\":\"oci-layout\"}]}", "needs");
	spec_bad("{\"context\":\"/x\",\"outputs\":[{\"type\":\"oci-layout\",\"path\":\"/o\","
	    "\"x\":1}]}", "unknown field 'x'");
	spec_bad("{\"context\":\"/x\",\"workdir\":\"/\"}", "workdir");
	spec_bad("{\"context\":\"/x\",\"source_date_epoch\":-1}", "source_date_epoch");
	spec_bad("{\"context\":\"/x\",\"source_date_epoch\":\"1\"}", "source_date_epoch");
	spec_bad("{\"context\":\"/x\",\"entrypoint\":\"python\"}", "entrypoint: expected an array");
	spec_bad("{\"context\":\"/x\",\"dependencies\":{\"refresh\":\"yes\"}}",
	    "dependencies.refresh: expected a boolean");
	spec_bad("{\"context\":\"/x\",\"dependencies\":{\"compile\":0}}",
	    "dependencies.compile: expected a boolean");
}
END_TEST

/* dependencies.refresh and .compile survive a round trip; their defaults are not written. */
START_TEST(spec_deps_flags)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	json_object *back;

	ck_assert_int_eq(parse("{\"context\":\"/x\",\"dependencies\":{\"refresh\":true,"
	    "\"compile\":false}}", &s, &e), 0);
	ck_assert(s.deps.refresh);
	ck_assert(s.deps.no_compile);
	back = pcb_build_spec_to_json(&s);
	ck_assert_str_eq(pcb_json_str(json_object_object_get(back, "dependencies")),
	    "{\"refresh\":true,\"compile\":false}");
	json_object_put(back);
	pcb_build_spec_free(&s);
	ck_assert_int_eq(parse("{\"context\":\"/x\",\"dependencies\":{\"refresh\":false,"
	    "\"compile\":true}}", &s, &e), 0);
	ck_assert(!s.deps.refresh && !s.deps.no_compile);
	back = pcb_build_spec_to_json(&s);
	ck_assert_ptr_null(json_object_object_get(back, "dependencies"));
	json_object_put(back);
	pcb_build_spec_free(&s);
}
END_TEST

START_TEST(spec_check)
{
	struct pcb_build_spec s;
	struct pcb_err e;
	char *dir = pcb_test_tmpdir(), *json;

	pcb_test_write(dir, "file.txt", "x", 0644);
	json = pcb_xasprintf("{\"context\":\"%s/file.txt\"}", dir);
	ck_assert_int_eq(parse(json, &s, &e), 0);
	ck_assert_int_eq(pcb_build_spec_check(&s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "is a file"));
	pcb_build_spec_free(&s);
	free(json);

	json = pcb_xasprintf("{\"context\":\"%s/missing\"}", dir);
	ck_assert_int_eq(parse(json, &s, &e), 0);
	ck_assert_int_eq(pcb_build_spec_check(&s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "no such directory"));
	pcb_build_spec_free(&s);
	free(json);

	json = pcb_xasprintf("{\"context\":\"%s\",\"outputs\":[{\"type\":\"oci-layout\","
	    "\"path\":\"%s/no/such/out\"}]}", dir, dir);
	ck_assert_int_eq(parse(json, &s, &e), 0);
	ck_assert_int_eq(pcb_build_spec_check(&s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "parent directory"));
	pcb_build_spec_free(&s);
	free(json);

	json = pcb_xasprintf("{\"context\":\"%s\",\"outputs\":[{\"type\":\"oci-layout\","
	    "\"path\":\"%s/file.txt\"}]}", dir, dir);
	ck_assert_int_eq(parse(json, &s, &e), 0);
	ck_assert_int_eq(pcb_build_spec_check(&s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a directory"));
	pcb_build_spec_free(&s);
	free(json);

	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* The manifest JSON is byte for byte what the image digests depend on; pcb_oci_put_json stores
 * exactly pcb_json_str's bytes under their sha256. */
START_TEST(manifest_and_put_json)
{
	static const char cfg[] = "sha256:"
	    "1111111111111111111111111111111111111111111111111111111111111111";
	static const char lay[] = "sha256:"
	    "2222222222222222222222222222222222222222222222222222222222222222";
	json_object *layers = json_object_new_array(), *m;
	char digest[PCB_DIGEST_BUFSZ], want[PCB_DIGEST_BUFSZ], *back = NULL, *dir;
	struct pcb_store *st = pcb_test_store_new(&dir);
	const char *text;
	size_t size = 0, back_len = 0;
	struct pcb_err e;

	json_object_array_add(layers, pcb_oci_descriptor(
	    "application/vnd.oci.image.layer.v1.tar+gzip", lay, 7));
	m = pcb_oci_manifest_new(cfg, 42, layers);
	text = pcb_json_str(m);
	ck_assert_str_eq(text, "{\"schemaVersion\":2,"
	    "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\","
	    "\"size\":42},"
	    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	    "\"digest\":\"sha256:2222222222222222222222222222222222222222222222222222222222222222\","
	    "\"size\":7}]}");
	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_oci_put_json(st, m, PCB_MT_OCI_MANIFEST, digest, &size, &e), 0);
	pcb_sha256_buf(text, strlen(text), want);
	ck_assert_str_eq(digest, want);
	ck_assert_uint_eq(size, strlen(text));
	ck_assert_int_eq(pcb_store_read(st, digest, 1 << 20, &back, &back_len, &e), 0);
	ck_assert_uint_eq(back_len, size);
	ck_assert(memcmp(back, text, size) == 0);
	free(back);
	json_object_put(m);
	pcb_test_store_free(st, dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("oci");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, platform_parse);
	tcase_add_test(tc, refs);
	tcase_add_test(tc, spec_roundtrip);
	tcase_add_test(tc, spec_strict);
	tcase_add_test(tc, spec_deps_flags);
	tcase_add_test(tc, spec_check);
	tcase_add_test(tc, manifest_and_put_json);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
