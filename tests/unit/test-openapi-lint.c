/* test-openapi-lint.c — api/openapi.yaml passes the two OpenAPI linters IDE and client
 * generators trust: redocly's recommended rules (`redocly lint`) and spectral's OpenAPI rules
 * (`spectral lint` with api/.spectral.yaml, which extends spectral:oas); and a TypeScript
 * client generated from it compiles with `tsc --strict`. Both are pinned in
 * tools/lint/package.json (and its lock file) and installed there by `make deps`; they run
 * through npx from that folder, never fetching anything. Without npx the test says so and
 * passes: the linters are Node programs, and Node is not a build dependency. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "testutil.h"

/* Runs a linter from tools/lint (npx --no-install: only what is installed there). */
static void
lint(const char *what, const char *args)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "cd '%s/tools/lint' && NO_COLOR=1 timeout 300 npx --no-install "
	    "%s 2>&1", pcb_test_source_dir(), args);

	ck_assert_msg(rc == 0, "%s fails on api/openapi.yaml (exit %d; 'make deps' installs the "
	    "pinned linters into tools/lint):\n%s", what, rc, out);
	free(out);
}

START_TEST(redocly_recommended)
{
	if (!pcb_test_have("npx")) {
		fprintf(stderr, "test-openapi-lint: no npx: redocly not run\n");
		return;
	}
	lint("redocly lint (recommended)", "redocly lint --extends=recommended --format=stylish "
	    "../../api/openapi.yaml");
}
END_TEST

START_TEST(spectral_oas)
{
	if (!pcb_test_have("npx")) {
		fprintf(stderr, "test-openapi-lint: no npx: spectral not run\n");
		return;
	}
	lint("spectral lint (spectral:oas)", "spectral lint --fail-severity=error "
	    "-r ../../api/.spectral.yaml ../../api/openapi.yaml");
}
END_TEST

/* A TypeScript client generated from the spec (openapi-typescript) compiles with
 * `tsc --strict` together with tests/fixtures/ts-client/client.ts, which uses the build, job
 * and error schemas the way an IDE integration would. */
START_TEST(typescript_client_strict)
{
	char *dir, *out = NULL;
	int rc;

	if (!pcb_test_have("npx")) {
		fprintf(stderr, "test-openapi-lint: no npx: the TypeScript client not compiled\n");
		return;
	}
	dir = pcb_test_tmpdir();
	rc = pcb_test_runf(&out, "cp '%s/tests/fixtures/ts-client/client.ts' '%s/' && "
	    "cd '%s/tools/lint' && timeout 300 npx --no-install openapi-typescript "
	    "--default-non-nullable false ../../api/openapi.yaml -o '%s/api.d.ts' 2>&1 && timeout 300 npx --no-install tsc "
	    "--strict --noEmit --target es2022 --module es2022 --moduleResolution bundler "
	    "--lib es2022,dom '%s/client.ts' 2>&1", pcb_test_source_dir(), dir,
	    pcb_test_source_dir(), dir, dir);
	ck_assert_msg(rc == 0, "the TypeScript client does not compile (exit %d; 'make deps' "
	    "installs openapi-typescript and typescript into tools/lint):\n%s", rc, out);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openapi-lint");
	TCase *tc = tcase_create("openapi-lint");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, redocly_recommended);
	tcase_add_test(tc, spectral_oas);
	tcase_add_test(tc, typescript_client_strict);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
