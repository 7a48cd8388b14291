/* test-openapi-lint.c — api/openapi.yaml passes the two OpenAPI linters IDE and client
 * generators trust: redocly's recommended rules (`redocly lint`) and spectral's OpenAPI rules
 * (`spectral lint` with api/.spectral.yaml, which extends spectral:oas). Both are pinned in
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

int
main(void)
{
	Suite *s = suite_create("openapi-lint");
	TCase *tc = tcase_create("openapi-lint");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, redocly_recommended);
	tcase_add_test(tc, spectral_oas);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
