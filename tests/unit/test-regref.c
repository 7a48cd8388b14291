/* test-regref.c — the registry client's pure parts, without a network: image references as
 * docker normalises them, credential lookup, WWW-Authenticate parsing, token answers and the
 * token cache, backoff and Retry-After, and the store's blob-location records (schema 2,
 * migrated from a version-1 store). */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/regauth.h"
#include "registry/registry.h"
#include "testutil.h"

static void
check_ref(const char *in, const char *reg, const char *repo, const char *tag, const char *digest)
{
	struct pcb_image_ref r;
	struct pcb_err e;

	ck_assert_msg(pcb_image_ref_parse(in, &r, &e) == 0, "%s: %s", in, e.msg);
	ck_assert_str_eq(r.registry, reg);
	ck_assert_str_eq(r.repository, repo);
	if (tag == NULL)
		ck_assert_ptr_null(r.tag);
	else
		ck_assert_str_eq(r.tag, tag);
	if (digest == NULL)
		ck_assert_ptr_null(r.digest);
	else
		ck_assert_str_eq(r.digest, digest);
	pcb_image_ref_free(&r);
}

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DG "sha256:" D64

START_TEST(refs_docker_normalisation)
{
	check_ref("python", "registry-1.docker.io", "library/python", "latest", NULL);
	check_ref("python:3.12-slim", "registry-1.docker.io", "library/python", "3.12-slim", NULL);
	check_ref("docker.io/python", "registry-1.docker.io", "library/python", "latest", NULL);
	check_ref("index.docker.io/library/python:3", "registry-1.docker.io", "library/python", "3",
	    NULL);
	check_ref("docker.io/team/app", "registry-1.docker.io", "team/app", "latest", NULL);
	check_ref("a/b", "registry-1.docker.io", "a/b", "latest", NULL);
	check_ref("localhost/app", "localhost", "app", "latest", NULL);
	check_ref("localhost:5000/a", "localhost:5000", "a", "latest", NULL);
	check_ref("127.0.0.1:5000/team/app:v1", "127.0.0.1:5000", "team/app", "v1", NULL);
	check_ref("GHCR.io/org/x_y__z.w-v", "ghcr.io", "org/x_y__z.w-v", "latest", NULL);
	check_ref("[::1]:5000/a", "[::1]:5000", "a", "latest", NULL);
	check_ref("host.example/a@" DG, "host.example", "a", NULL, DG);
	check_ref("host.example:443/a:t@" DG, "host.example:443", "a", "t", DG);
	check_ref("python@" DG, "registry-1.docker.io", "library/python", NULL, DG);
}
END_TEST

START_TEST(refs_format_roundtrip)
{
	struct pcb_image_ref r;
	struct pcb_err e;
	char *s;

	ck_assert_int_eq(pcb_image_ref_parse("python:3", &r, &e), 0);
	s = pcb_image_ref_format(&r);
	ck_assert_str_eq(s, "registry-1.docker.io/library/python:3");
	free(s);
	pcb_image_ref_free(&r);
	ck_assert_int_eq(pcb_image_ref_parse("localhost:5000/a:t@" DG, &r, &e), 0);
	s = pcb_image_ref_format(&r);
	ck_assert_str_eq(s, "localhost:5000/a:t@" DG);
	free(s);
	pcb_image_ref_free(&r);
}
END_TEST

START_TEST(refs_rejected)
{
	static const char *bad[] = {
		"", "UPPER/case", "a//b", "a/", "/a", "a:", "a:-tag", "a@sha256:123",
		"a@md5:" D64, "host:99999/a", "a/b_-c", "a..b", "-a", "a:" "x" D64 D64 "x",
		"local host/a",
	};
	struct pcb_image_ref r;
	struct pcb_err e;

	for (size_t i = 0; i < PCB_ARRAY_LEN(bad); i++) {
		ck_assert_msg(pcb_image_ref_parse(bad[i], &r, &e) == PCB_EINVAL, "accepted '%s'", bad[i]);
		ck_assert(strlen(e.msg) > 0);
		ck_assert_ptr_null(r.registry);
	}
	{
		char *big = pcb_xmalloc(2000);
		memset(big, 'a', 1999);
		big[1999] = '\0';
		ck_assert_int_eq(pcb_image_ref_parse(big, &r, &e), PCB_EINVAL);
		free(big);
	}
}
END_TEST

START_TEST(credentials_lookup)
{
	struct pcb_credential v[3];
	struct pcb_credentials c = { v, 3 };

	memset(v, 0, sizeof v);
	v[0].registry = "https://index.docker.io/v1/";
	v[0].username = "hub";
	v[1].registry = "127.0.0.1:5000";
	v[1].username = "alice";
	v[2].registry = "GHCR.IO";
	v[2].username = "g";
	ck_assert_str_eq(pcb_credentials_find(&c, "registry-1.docker.io")->username, "hub");
	ck_assert_str_eq(pcb_credentials_find(&c, "docker.io")->username, "hub");
	ck_assert_str_eq(pcb_credentials_find(&c, "127.0.0.1:5000")->username, "alice");
	ck_assert_str_eq(pcb_credentials_find(&c, "ghcr.io")->username, "g");
	ck_assert_ptr_null(pcb_credentials_find(&c, "127.0.0.1:5001"));
	ck_assert_ptr_null(pcb_credentials_find(NULL, "ghcr.io"));
}
END_TEST

START_TEST(challenge_bearer_and_basic)
{
	struct pcb_regauth_challenge c;
	struct pcb_err e;

	ck_assert_int_eq(pcb_regauth_challenge_parse(
	    "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
	    "scope=\"repository:library/python:pull\"", &c, &e), 0);
	ck_assert_str_eq(c.scheme, "bearer");
	ck_assert_str_eq(c.realm, "https://auth.docker.io/token");
	ck_assert_str_eq(c.service, "registry.docker.io");
	ck_assert_str_eq(c.scope, "repository:library/python:pull");
	ck_assert_ptr_null(c.error);
	pcb_regauth_challenge_free(&c);

	/* Case-insensitive scheme and names, spaces, escapes, unquoted tokens, two scopes. */
	ck_assert_int_eq(pcb_regauth_challenge_parse(
	    "bEaReR  Realm = \"https://h/t?a=\\\"q\\\\\" , SERVICE=reg.io,"
	    " scope=\"repository:a:pull repository:b:pull,push\", error=\"insufficient_scope\"",
	    &c, &e), 0);
	ck_assert_str_eq(c.scheme, "bearer");
	ck_assert_str_eq(c.realm, "https://h/t?a=\"q\\");
	ck_assert_str_eq(c.service, "reg.io");
	ck_assert_str_eq(c.scope, "repository:a:pull repository:b:pull,push");
	ck_assert_str_eq(c.error, "insufficient_scope");
	pcb_regauth_challenge_free(&c);

	ck_assert_int_eq(pcb_regauth_challenge_parse("Basic realm=\"Registry Realm\"", &c, &e), 0);
	ck_assert_str_eq(c.scheme, "basic");
	ck_assert_str_eq(c.realm, "Registry Realm");
	pcb_regauth_challenge_free(&c);

	/* Only the first of two challenges. */
	ck_assert_int_eq(pcb_regauth_challenge_parse(
	    "Basic realm=\"x\", Bearer realm=\"https://y\"", &c, &e), 0);
	ck_assert_str_eq(c.scheme, "basic");
	ck_assert_str_eq(c.realm, "x");
	pcb_regauth_challenge_free(&c);
}
END_TEST

START_TEST(challenge_malformed)
{
	static const char *bad[] = {
		"", "   ", "Bearer realm=\"unterminated", "Bearer realm=", "Bearer realm=\"a\" x",
		"Bearer realm=\"a\";service=b", "=x",
	};
	struct pcb_regauth_challenge c;
	struct pcb_err e;
	char *big;

	for (size_t i = 0; i < PCB_ARRAY_LEN(bad); i++) {
		ck_assert_msg(pcb_regauth_challenge_parse(bad[i], &c, &e) == PCB_EINVAL,
		    "accepted '%s'", bad[i]);
		ck_assert_ptr_null(c.realm);
	}
	big = pcb_xmalloc(PCB_REGAUTH_HEADER_MAX + 100);
	memset(big, 'a', PCB_REGAUTH_HEADER_MAX + 99);
	memcpy(big, "Bearer realm=\"", 14);
	big[PCB_REGAUTH_HEADER_MAX + 99] = '\0';
	ck_assert_int_eq(pcb_regauth_challenge_parse(big, &c, &e), PCB_EINVAL);
	free(big);
}
END_TEST

START_TEST(token_answers)
{
	char *t = NULL;
	int64_t exp = 0;
	struct pcb_err e;
	const char *a = "{\"token\":\"abc\",\"expires_in\":300}";
	const char *b = "{\"access_token\":\"xyz\"}";
	const char *c = "{\"token\":\"\",\"access_token\":\"second\",\"expires_in\":-5}";

	ck_assert_int_eq(pcb_regauth_token_parse(a, strlen(a), &t, &exp, &e), 0);
	ck_assert_str_eq(t, "abc");
	ck_assert_int_eq(exp, 300);
	free(t);
	ck_assert_int_eq(pcb_regauth_token_parse(b, strlen(b), &t, &exp, &e), 0);
	ck_assert_str_eq(t, "xyz");
	ck_assert_int_eq(exp, 60);
	free(t);
	ck_assert_int_eq(pcb_regauth_token_parse(c, strlen(c), &t, &exp, &e), 0);
	ck_assert_str_eq(t, "second");
	ck_assert_int_eq(exp, 60);
	free(t);
	ck_assert_int_eq(pcb_regauth_token_parse("{}", 2, &t, &exp, &e), PCB_EINVAL);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(pcb_regauth_token_parse("[1", 2, &t, &exp, &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_regauth_token_parse("{\"token\":\"a\\nb\"}", 16, &t, &exp, &e),
	    PCB_EINVAL);
	/* Lifetimes keep a margin. */
	ck_assert_int_eq(pcb_regauth_token_lifetime_ms(60), 54000);
	ck_assert_int_eq(pcb_regauth_token_lifetime_ms(3600), 3570000);
	ck_assert_int_eq(pcb_regauth_token_lifetime_ms(0), 0);
}
END_TEST

START_TEST(token_cache)
{
	struct pcb_regauth *a = pcb_regauth_create();
	char *t, scope[64];

	ck_assert_ptr_null(pcb_regauth_token_get(a, "repository:a:pull", 0));
	pcb_regauth_token_put(a, "repository:a:pull", "t1", 1000);
	pcb_regauth_token_put(a, "repository:a:pull,push", "t2", 5000);
	t = pcb_regauth_token_get(a, "repository:a:pull", 999);
	ck_assert_str_eq(t, "t1");
	free(t);
	/* Expired entries are not handed out; scopes do not mix. */
	ck_assert_ptr_null(pcb_regauth_token_get(a, "repository:a:pull", 1000));
	t = pcb_regauth_token_get(a, "repository:a:pull,push", 1000);
	ck_assert_str_eq(t, "t2");
	free(t);
	pcb_regauth_token_put(a, "repository:a:pull", "t3", 9000);
	t = pcb_regauth_token_get(a, "repository:a:pull", 1000);
	ck_assert_str_eq(t, "t3");
	free(t);
	pcb_regauth_token_drop(a, "repository:a:pull");
	ck_assert_ptr_null(pcb_regauth_token_get(a, "repository:a:pull", 0));
	/* Bounded: many scopes evict the soonest-expiring, newest stay. */
	for (int i = 0; i < 200; i++) {
		snprintf(scope, sizeof scope, "repository:r%d:pull", i);
		pcb_regauth_token_put(a, scope, "x", 10000 + i);
	}
	t = pcb_regauth_token_get(a, "repository:r199:pull", 0);
	ck_assert_str_eq(t, "x");
	free(t);
	ck_assert_ptr_null(pcb_regauth_token_get(a, "repository:r0:pull", 0));
	pcb_regauth_destroy(a);
}
END_TEST

START_TEST(backoff_full_jitter)
{
	/* Retry-After wins. */
	ck_assert_int_eq(pcb_registry_backoff_ms(1, 1500, 12345), 1500);
	ck_assert_int_eq(pcb_registry_backoff_ms(3, 0, 12345), 0);
	/* Full jitter: rnd picks in [0, cap], cap doubling from 200 ms up to 10 s. */
	ck_assert_int_eq(pcb_registry_backoff_ms(1, -1, 200), 200);
	ck_assert_int_eq(pcb_registry_backoff_ms(1, -1, 201), 0);
	ck_assert_int_eq(pcb_registry_backoff_ms(2, -1, 400), 400);
	ck_assert_int_eq(pcb_registry_backoff_ms(3, -1, 800), 800);
	ck_assert_int_eq(pcb_registry_backoff_ms(30, -1, 10000), 10000);
	ck_assert_int_eq(pcb_registry_backoff_ms(30, -1, 10001), 0);
	for (uint64_t rnd = 0; rnd < 100000; rnd += 997)
		for (int att = 1; att < 12; att++) {
			int64_t w = pcb_registry_backoff_ms(att, -1, rnd * 2654435761u);
			ck_assert(w >= 0 && w <= 10000);
		}
}
END_TEST

START_TEST(retry_after_values)
{
	ck_assert_int_eq(pcb_registry_retry_after_ms(NULL, 0), -1);
	ck_assert_int_eq(pcb_registry_retry_after_ms("", 0), -1);
	ck_assert_int_eq(pcb_registry_retry_after_ms("3", 0), 3000);
	ck_assert_int_eq(pcb_registry_retry_after_ms(" 0 ", 0), 0);
	ck_assert_int_eq(pcb_registry_retry_after_ms("5x", 0), -1);
	/* Absurd values are capped at a day. */
	ck_assert_int_eq(pcb_registry_retry_after_ms("99999999999999999999", 0), 86400000);
	/* HTTP dates: Sun, 06 Nov 1994 08:49:37 GMT is 784111777. */
	ck_assert_int_eq(pcb_registry_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770),
	    7000);
	ck_assert_int_eq(pcb_registry_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
	ck_assert_int_eq(pcb_registry_retry_after_ms("not a date", 0), -1);
}
END_TEST

START_TEST(store_locations_and_migration)
{
	char *tmp = pcb_test_tmpdir(), *root = pcb_path_join(tmp, "s"), *db;
	struct pcb_store *s = NULL;
	struct pcb_strv repos;
	struct pcb_err e;
	sqlite3 *h;
	bool has = true;
	int v = 0;
	sqlite3_stmt *st;

	/* A version-1 store (blobs and tags only), as the previous release left it. */
	pcb_test_mkdir(root, "blobs/sha256");
	db = pcb_path_join(root, "store.db");
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h,
	    "CREATE TABLE blobs(digest TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT,"
	    " created_ms INTEGER NOT NULL, last_used_ms INTEGER NOT NULL);"
	    "CREATE TABLE tags(name TEXT PRIMARY KEY, digest TEXT NOT NULL,"
	    " updated_ms INTEGER NOT NULL);"
	    "INSERT INTO tags VALUES('keep:1', '" DG "', 1);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	ck_assert_msg(pcb_store_create(root, &s, &e) == 0, "%s", e.msg);
	{
		char *d = NULL;
		ck_assert_int_eq(pcb_store_tag_get(s, "keep:1", &d, &e), 0);
		ck_assert_str_eq(d, DG);
		free(d);
	}
	ck_assert_int_eq(pcb_store_location_has(s, DG, "127.0.0.1:5000", "team/app", &has, &e), 0);
	ck_assert(!has);
	ck_assert_int_eq(pcb_store_location_add(s, DG, "127.0.0.1:5000", "team/app", &e), 0);
	ck_assert_int_eq(pcb_store_location_add(s, DG, "127.0.0.1:5000", "team/app", &e), 0);
	ck_assert_int_eq(pcb_store_location_add(s, DG, "127.0.0.1:5000", "base/python", &e), 0);
	ck_assert_int_eq(pcb_store_location_add(s, DG, "ghcr.io", "other", &e), 0);
	ck_assert_int_eq(pcb_store_location_has(s, DG, "127.0.0.1:5000", "team/app", &has, &e), 0);
	ck_assert(has);
	ck_assert_int_eq(pcb_store_location_has(s, DG, "127.0.0.1:5001", "team/app", &has, &e), 0);
	ck_assert(!has);
	pcb_strv_init(&repos);
	ck_assert_int_eq(pcb_store_location_repos(s, DG, "127.0.0.1:5000", &repos, &e), 0);
	ck_assert_int_eq(repos.n, 2);
	ck_assert(pcb_strv_contains(&repos, "team/app"));
	ck_assert(pcb_strv_contains(&repos, "base/python"));
	pcb_strv_free(&repos);
	ck_assert_int_eq(pcb_store_location_add(s, "sha256:nothex", "h", "r", &e), PCB_EINVAL);
	ck_assert_int_eq(pcb_store_location_add(s, DG, "", "r", &e), PCB_EINVAL);
	pcb_store_destroy(s);

	/* The schema is now version 4 (blob_locations, layer_cache, tags.used_ms), and it survives a
	 * reopen. */
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	ck_assert_int_eq(v, 4);
	ck_assert_msg(pcb_store_create(root, &s, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(pcb_store_location_has(s, DG, "ghcr.io", "other", &has, &e), 0);
	ck_assert(has);
	pcb_store_destroy(s);
	free(db);
	free(root);
	pcb_test_rmtree(tmp);
	free(tmp);
}
END_TEST

START_TEST(registry_create_checks_inputs)
{
	struct pcb_registry_opts o;
	struct pcb_registry *r = NULL;
	struct pcb_err e;

	memset(&o, 0, sizeof o);
	ck_assert_int_eq(pcb_registry_create("bad host/x", &o, &r, &e), PCB_EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(pcb_registry_create("", &o, &r, &e), PCB_EINVAL);
	o.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(pcb_registry_create("example.invalid", &o, &r, &e), PCB_ENOENT);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/ca.pem"));
}
END_TEST

static Suite *
regref_suite(void)
{
	Suite *s = suite_create("regref");
	TCase *tc = tcase_create("regref");

	tcase_add_test(tc, refs_docker_normalisation);
	tcase_add_test(tc, refs_format_roundtrip);
	tcase_add_test(tc, refs_rejected);
	tcase_add_test(tc, credentials_lookup);
	tcase_add_test(tc, challenge_bearer_and_basic);
	tcase_add_test(tc, challenge_malformed);
	tcase_add_test(tc, token_answers);
	tcase_add_test(tc, token_cache);
	tcase_add_test(tc, backoff_full_jitter);
	tcase_add_test(tc, retry_after_values);
	tcase_add_test(tc, store_locations_and_migration);
	tcase_add_test(tc, registry_create_checks_inputs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(regref_suite());
}
