/* test-toml-suite.c — the TOML reader (common/python/toml.c) against the toml-test
 * conformance suite.
 *
 * The suite ships in the Debian package golang-github-burntsushi-toml-dev (`make deps` installs
 * it): valid/X.toml must parse to the tagged JSON in valid/X.json, invalid/X.toml must be
 * rejected. Each case file is one Check test (a loop test over the list found at startup), so
 * the totals count cases. Values are compared the way toml-test compares them: same structure,
 * same type tags, integers and floats as numbers (nan equals nan), date/times after
 * normalising the spellings TOML allows, strings byte for byte. The parser runs in-process on
 * the tagged form pcb_toml_to_tagged() also gives build/pcb-toml-decode. PCB_TOML_TEST_DIR
 * overrides where the suite is looked for. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "base/util.h"
#include "python/toml.h"
#include "testutil.h"

#define SUITE_DIR \
	"/usr/share/gocode/src/github.com/BurntSushi/toml/internal/toml-test/tests"

/* Cases that cannot pass by design, relative to the suite directory, each with the reason. */
static const struct {
	const char *rel;
	const char *why;
} skips[] = {
	/* "\e" is an escape added by TOML 1.1; under TOML 1.0, which this reader implements,
	 * it is an invalid escape, and the reader rejects it as such. */
	{ "valid/string/escape-esc.toml", "TOML 1.1 \\e escape" },
};

static const char *suite_dir;
static struct pcb_strv cases;   /* paths relative to suite_dir, sorted */

/* ---- finding the cases -------------------------------------------------------------------- */

static void
collect(const char *rel)
{
	char *abs = pcb_path_join(suite_dir, rel);
	DIR *d = opendir(abs);
	struct dirent *e;

	if (d == NULL) {
		free(abs);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *sub, *full;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		sub = pcb_path_join(rel, e->d_name);
		full = pcb_path_join(suite_dir, sub);
		if (stat(full, &st) != 0)
			;
		else if (S_ISDIR(st.st_mode))
			collect(sub);
		else if (S_ISREG(st.st_mode) && pcb_str_has_suffix(e->d_name, ".toml"))
			pcb_strv_push(&cases, sub);
		free(full);
		free(sub);
	}
	closedir(d);
	free(abs);
}

static const char *
skip_reason(const char *rel)
{
	size_t k;

	for (k = 0; k < PCB_ARRAY_LEN(skips); k++)
		if (strcmp(skips[k].rel, rel) == 0)
			return skips[k].why;
	return NULL;
}

/* ---- semantic comparison ------------------------------------------------------------------ */

/* A toml-test leaf: exactly {"type": string, "value": string}. */
static bool
is_leaf(json_object *o, const char **type, json_object **value)
{
	json_object *t, *v;

	if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 2 ||
	    !json_object_object_get_ex(o, "type", &t) || !json_object_object_get_ex(o, "value", &v) ||
	    !json_object_is_type(t, json_type_string) || !json_object_is_type(v, json_type_string))
		return false;
	*type = json_object_get_string(t);
	*value = v;
	return true;
}

static bool
parse_float(const char *s, double *out)
{
	const char *t = s[0] == '+' || s[0] == '-' ? s + 1 : s;
	char *end;

	if (strcmp(t, "nan") == 0) {
		*out = NAN;
		return true;
	}
	if (strcmp(t, "inf") == 0) {
		*out = s[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	errno = 0;
	*out = strtod(s, &end);
	return *s != '\0' && *end == '\0';
}

/* Date/time text in one spelling: 'T' between date and time, upper-case 'Z', no trailing
 * zeros in the fraction (and no dot when nothing is left of it). */
static void
norm_datetime(const char *s, char *out, size_t size)
{
	size_t n = strlen(s), o = 0, k;

	for (k = 0; k < n && o + 1 < size; k++) {
		char c = s[k];

		if (k == 10 && (c == 't' || c == ' '))
			c = 'T';
		if (c == 'z')
			c = 'Z';
		if (c == '.') {
			size_t j = k + 1, last = k;

			while (j < n && s[j] >= '0' && s[j] <= '9') {
				if (s[j] != '0')
					last = j;
				j++;
			}
			/* Copy ".ddd" up to the last non-zero digit. */
			for (; k <= last && o + 1 < size; k++)
				out[o++] = s[k];
			k = j - 1;
			continue;
		}
		out[o++] = c;
	}
	out[o] = '\0';
}

static bool
leaf_equal(const char *type, json_object *got, json_object *want)
{
	const char *g = json_object_get_string(got), *w = json_object_get_string(want);

	if (strcmp(type, "integer") == 0) {
		char *ge, *we;
		long long gi, wi;

		errno = 0;
		gi = strtoll(g, &ge, 10);
		wi = strtoll(w, &we, 10);
		return errno == 0 && *g != '\0' && *ge == '\0' && *w != '\0' && *we == '\0' && gi == wi;
	}
	if (strcmp(type, "float") == 0) {
		double gd, wd;

		if (!parse_float(g, &gd) || !parse_float(w, &wd))
			return false;
		if (isnan(gd) || isnan(wd))
			return isnan(gd) && isnan(wd);
		return gd == wd;
	}
	if (strncmp(type, "datetime", 8) == 0 || strcmp(type, "date-local") == 0 ||
	    strcmp(type, "time-local") == 0) {
		char gn[128], wn[128];

		norm_datetime(g, gn, sizeof gn);
		norm_datetime(w, wn, sizeof wn);
		return strcmp(gn, wn) == 0;
	}
	/* string, bool */
	return json_object_get_string_len(got) == json_object_get_string_len(want) &&
	    memcmp(g, w, (size_t)json_object_get_string_len(got)) == 0;
}

/* Compares got with want; on a difference writes where and what into why. */
static bool
same(json_object *got, json_object *want, const char *path, char *why, size_t size)
{
	const char *gt, *wt;
	json_object *gv, *wv;
	size_t k, n;

	if (is_leaf(want, &wt, &wv)) {
		if (!is_leaf(got, &gt, &gv)) {
			snprintf(why, size, "%s: expected a %s value, got %s", path, wt,
			    json_object_to_json_string(got));
			return false;
		}
		if (strcmp(gt, wt) != 0 || !leaf_equal(wt, gv, wv)) {
			snprintf(why, size, "%s: expected %s %s, got %s %s", path, wt,
			    json_object_to_json_string(wv), gt, json_object_to_json_string(gv));
			return false;
		}
		return true;
	}
	if (json_object_get_type(want) != json_object_get_type(got) || is_leaf(got, &gt, &gv)) {
		snprintf(why, size, "%s: expected %s, got %s", path, json_object_to_json_string(want),
		    json_object_to_json_string(got));
		return false;
	}
	if (json_object_is_type(want, json_type_array)) {
		n = json_object_array_length(want);
		if (json_object_array_length(got) != n) {
			snprintf(why, size, "%s: expected %zu elements, got %zu", path, n,
			    json_object_array_length(got));
			return false;
		}
		for (k = 0; k < n; k++) {
			char *sub = pcb_xasprintf("%s[%zu]", path, k);
			bool ok = same(json_object_array_get_idx(got, k),
			    json_object_array_get_idx(want, k), sub, why, size);

			free(sub);
			if (!ok)
				return false;
		}
		return true;
	}
	if (json_object_is_type(want, json_type_object)) {
		json_object_object_foreach(got, gkey, gchild) {
			(void)gchild;
			if (!json_object_object_get_ex(want, gkey, NULL)) {
				snprintf(why, size, "%s: unexpected key \"%s\"", path, gkey);
				return false;
			}
		}
		json_object_object_foreach(want, key, wchild) {
			json_object *gchild2;
			char *sub;
			bool ok;

			if (!json_object_object_get_ex(got, key, &gchild2)) {
				snprintf(why, size, "%s: missing key \"%s\"", path, key);
				return false;
			}
			sub = pcb_xasprintf("%s.\"%s\"", path, key);
			ok = same(gchild2, wchild, sub, why, size);
			free(sub);
			if (!ok)
				return false;
		}
		return true;
	}
	snprintf(why, size, "%s: unexpected %s in the expected JSON", path,
	    json_object_to_json_string(want));
	return false;
}

/* The expected JSON, parsed without json-c's default nesting limit of 32. */
static json_object *
load_json(const char *path)
{
	struct json_tokener *tok = json_tokener_new_ex(1024);
	struct pcb_err err;
	json_object *o = NULL;
	char *text = NULL;
	size_t len = 0;

	pcb_err_clear(&err);
	ck_assert_msg(pcb_read_file(path, 64 << 20, &text, &len, &err) == 0, "%s", err.msg);
	o = json_tokener_parse_ex(tok, text, (int)len);
	ck_assert_msg(o != NULL && json_tokener_get_error(tok) == json_tokener_success,
	    "%s: not JSON", path);
	json_tokener_free(tok);
	free(text);
	return o;
}

/* ---- the tests ---------------------------------------------------------------------------- */

START_TEST(test_suite_missing)
{
	ck_abort_msg("the toml-test suite was not found in %s (PCB_TOML_TEST_DIR overrides): "
	    "run `make deps` to install golang-github-burntsushi-toml-dev", suite_dir);
}
END_TEST

START_TEST(test_case)
{
	const char *rel = cases.v[_i];
	char *path = pcb_path_join(suite_dir, rel), *text = NULL;
	bool valid = pcb_str_has_prefix(rel, "valid/");
	json_object *doc = NULL;
	struct pcb_err err;
	size_t len = 0;
	int rc;

	if (skip_reason(rel) != NULL)
		goto out;
	pcb_err_clear(&err);
	ck_assert_msg(pcb_read_file(path, PCB_TOML_MAX_SIZE, &text, &len, &err) == 0, "%s",
	    err.msg);
	rc = pcb_toml_parse(text, len, NULL, &doc, &err);
	if (!valid) {
		ck_assert_msg(rc != 0, "%s: invalid TOML was accepted: %s", rel,
		    doc ? json_object_to_json_string(doc) : "");
		ck_assert_msg(rc == PCB_EINVAL && strncmp(err.msg, "line ", 5) == 0,
		    "%s: rc %d, message without a position: %s", rel, rc, err.msg);
	} else {
		char *jpath = pcb_xstrdup(path), why[1024];
		json_object *want, *got;
		bool ok;

		ck_assert_msg(rc == 0, "%s: valid TOML was rejected: %s", rel, err.msg);
		strcpy(jpath + strlen(jpath) - strlen("toml"), "json");
		want = load_json(jpath);
		got = pcb_toml_to_tagged(doc);
		why[0] = '\0';
		ok = same(got, want, "$", why, sizeof why);
		json_object_put(got);
		json_object_put(want);
		free(jpath);
		ck_assert_msg(ok, "%s: %s", rel, why);
	}
out:
	json_object_put(doc);
	free(text);
	free(path);
}
END_TEST

/* The skip list must not go stale: every entry names a case that exists. */
START_TEST(test_skips_exist)
{
	size_t k;

	for (k = 0; k < PCB_ARRAY_LEN(skips); k++)
		ck_assert_msg(pcb_strv_contains(&cases, skips[k].rel), "skipped case %s is not in "
		    "the suite", skips[k].rel);
}
END_TEST

static Suite *
toml_suite_suite(void)
{
	Suite *s = suite_create("toml-suite");
	TCase *tc = tcase_create("toml-test");
	size_t nvalid = 0, ninvalid = 0, k;

	tcase_set_timeout(tc, 60);
	if (cases.n == 0) {
		tcase_add_test(tc, test_suite_missing);
	} else {
		for (k = 0; k < cases.n; k++) {
			if (pcb_str_has_prefix(cases.v[k], "valid/"))
				nvalid++;
			else
				ninvalid++;
		}
		printf("toml-test: %zu valid and %zu invalid cases in %s, %zu skipped\n", nvalid,
		    ninvalid, suite_dir, PCB_ARRAY_LEN(skips));
		for (k = 0; k < PCB_ARRAY_LEN(skips); k++)
			printf("  skipped %s: %s\n", skips[k].rel, skips[k].why);
		tcase_add_loop_test(tc, test_case, 0, (int)cases.n);
		tcase_add_test(tc, test_skips_exist);
	}
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	suite_dir = getenv("PCB_TOML_TEST_DIR");
	if (suite_dir == NULL || suite_dir[0] == '\0')
		suite_dir = SUITE_DIR;
	pcb_strv_init(&cases);
	collect("valid");
	collect("invalid");
	pcb_strv_sort(&cases);
	rc = pcb_test_run_suite(toml_suite_suite());
	pcb_strv_free(&cases);
	return rc;
}
