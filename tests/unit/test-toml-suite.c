/* test-toml-suite.c — the TOML reader (common/python/toml.c) against the toml-test
 * conformance suite for TOML 1.0.0.
 *
 * The suite is vendored in tests/fixtures/toml-test (its README names the upstream commit): the
 * cases are the ones upstream's files-toml-1.0.0 lists, nothing is skipped. valid/X.toml must
 * parse to the tagged JSON in valid/X.json, invalid/X.toml must be rejected with a positioned
 * message. Each case is one Check test (loop tests in the TCases "valid" and "invalid"), and the
 * run ends with the number of cases passed of each kind. Values are compared the way toml-test
 * compares them: same structure, same type tags, integers and floats as numbers (nan equals
 * nan), date/times after normalising the spellings TOML allows, strings and keys byte for byte.
 * The parser runs in-process on the tagged form pcb_toml_to_tagged() also gives
 * build/pcb-toml-decode. PCB_TOML_TEST_DIR overrides where the suite is read from (a toml-test
 * checkout's tests/ directory, which holds files-toml-1.0.0, will do). */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/util.h"
#include "python/toml.h"
#include "testutil.h"

#define SUITE_SUBDIR "tests/fixtures/toml-test"
#define CASE_LIST "files-toml-1.0.0"

static char *suite_dir;
static char *list_error;        /* why the case list could not be read, or NULL */
static struct pcb_strv valid;   /* paths of valid/X.toml relative to suite_dir, in list order */
static struct pcb_strv invalid;
static struct pcb_strv listed;  /* every path in the list (.toml and .json) */

/* ---- finding the cases -------------------------------------------------------------------- */

/* Reads suite_dir/files-toml-1.0.0: one path per line, valid/… and invalid/… .toml files and the
 * valid cases' .json files. */
static void
read_list(void)
{
	char *path = pcb_path_join(suite_dir, CASE_LIST), *text = NULL, *line, *save = NULL;
	struct pcb_err err;
	size_t len = 0;

	pcb_err_clear(&err);
	if (pcb_read_file(path, 1 << 20, &text, &len, &err) != 0) {
		list_error = pcb_xstrdup(err.msg);
		free(path);
		return;
	}
	for (line = strtok_r(text, "\r\n", &save); line != NULL; line = strtok_r(NULL, "\r\n", &save)) {
		if (line[0] == '\0' || line[0] == '#')
			continue;
		pcb_strv_push(&listed, line);
		if (!pcb_str_has_suffix(line, ".toml"))
			continue;
		if (pcb_str_has_prefix(line, "valid/"))
			pcb_strv_push(&valid, line);
		else if (pcb_str_has_prefix(line, "invalid/"))
			pcb_strv_push(&invalid, line);
	}
	free(text);
	free(path);
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

/* key as a JSON string, U+0000 (PCB_TOML_KEY_NUL) written \u0000; caller frees. */
static char *
qkey(const char *key)
{
	json_object *o = json_object_new_string(key);
	char *t = pcb_toml_to_json_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	json_object_put(o);
	return t;
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
				char *q = qkey(gkey);

				snprintf(why, size, "%s: unexpected key %s", path, q);
				free(q);
				return false;
			}
		}
		json_object_object_foreach(want, key, wchild) {
			json_object *gchild2;
			char *sub, *q;
			bool ok;

			q = qkey(key);
			if (!json_object_object_get_ex(got, key, &gchild2)) {
				snprintf(why, size, "%s: missing key %s", path, q);
				free(q);
				return false;
			}
			sub = pcb_xasprintf("%s.%s", path, q);
			free(q);
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

/* json-c cuts object keys at a NUL, so before it sees the expected JSON, a \u0000 in a key
 * becomes PCB_TOML_KEY_NUL, the form the reader stores such keys in (toml.h). In place (the text
 * only shrinks); returns the new length. Escapes in values are left alone. */
static size_t
encode_nul_keys(char *t, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t end, k, j;
		bool key;

		if (t[i] != '"') {
			t[o++] = t[i++];
			continue;
		}
		/* A string from i to its closing quote at end; a key when ':' follows it. */
		for (end = i + 1; end < n && t[end] != '"'; end += t[end] == '\\' ? 2 : 1)
			;
		if (end >= n)
			end = n - 1;
		for (k = end + 1; k < n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\n' ||
		    t[k] == '\r'); k++)
			;
		key = k < n && t[k] == ':';
		for (j = i; j <= end;) {
			if (key && t[j] == '\\' && end - j >= 6 && memcmp(t + j + 1, "u0000", 5) == 0) {
				memcpy(t + o, PCB_TOML_KEY_NUL, 2);
				o += 2;
				j += 6;
			} else if (t[j] == '\\' && j < end) {
				t[o++] = t[j++];
				t[o++] = t[j++];
			} else
				t[o++] = t[j++];
		}
		i = end + 1;
	}
	t[o] = '\0';
	return o;
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
	len = encode_nul_keys(text, len);
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
	ck_abort_msg("the toml-test suite's case list is missing (%s); it is vendored in "
	    SUITE_SUBDIR " (PCB_TOML_TEST_DIR overrides)", list_error);
}
END_TEST

/* Reads and parses one case; *doc is the tree or NULL. */
static int
run_case(const char *rel, json_object **doc, struct pcb_err *err)
{
	char *path = pcb_path_join(suite_dir, rel), *text = NULL;
	size_t len = 0;
	int rc;

	*doc = NULL;
	pcb_err_clear(err);
	ck_assert_msg(pcb_read_file(path, PCB_TOML_MAX_SIZE, &text, &len, err) == 0, "%s",
	    err->msg);
	rc = pcb_toml_parse(text, len, NULL, doc, err);
	free(text);
	free(path);
	return rc;
}

START_TEST(test_valid)
{
	const char *rel = valid.v[_i];
	char *jrel = pcb_xstrdup(rel), *jpath, why[1024];
	json_object *doc, *want, *got;
	struct pcb_err err;
	bool ok;

	ck_assert_msg(run_case(rel, &doc, &err) == 0, "%s: valid TOML was rejected: %s", rel,
	    err.msg);
	strcpy(jrel + strlen(jrel) - strlen("toml"), "json");
	jpath = pcb_path_join(suite_dir, jrel);
	want = load_json(jpath);
	got = pcb_toml_to_tagged(doc);
	why[0] = '\0';
	ok = same(got, want, "$", why, sizeof why);
	json_object_put(got);
	json_object_put(want);
	json_object_put(doc);
	free(jpath);
	free(jrel);
	ck_assert_msg(ok, "%s: %s", rel, why);
}
END_TEST

START_TEST(test_invalid)
{
	const char *rel = invalid.v[_i];
	json_object *doc;
	struct pcb_err err;
	int rc;

	rc = run_case(rel, &doc, &err);
	if (rc == 0) {
		char *shown = pcb_toml_to_json_string(doc, JSON_C_TO_STRING_PLAIN);

		json_object_put(doc);
		ck_abort_msg("%s: invalid TOML was accepted: %.300s", rel, shown);
	}
	ck_assert_msg(rc == PCB_EINVAL && strncmp(err.msg, "line ", 5) == 0,
	    "%s: rc %d, message without a position: %s", rel, rc, err.msg);
}
END_TEST

/* The list is whole: every valid case has its expected JSON, and every listed file is there. */
START_TEST(test_list_complete)
{
	size_t k;

	for (k = 0; k < valid.n; k++) {
		char *j = pcb_xstrdup(valid.v[k]);

		strcpy(j + strlen(j) - strlen("toml"), "json");
		ck_assert_msg(pcb_strv_contains(&listed, j), "%s is listed without %s", valid.v[k], j);
		free(j);
	}
	for (k = 0; k < listed.n; k++) {
		char *path = pcb_path_join(suite_dir, listed.v[k]);

		ck_assert_msg(access(path, R_OK) == 0, "%s is listed in " CASE_LIST " but missing",
		    listed.v[k]);
		free(path);
	}
	ck_assert_msg(valid.n > 0 && invalid.n > 0, "the case list holds no cases");
}
END_TEST

static Suite *
toml_suite_suite(void)
{
	Suite *s = suite_create("toml-suite");
	TCase *tv = tcase_create("valid"), *ti = tcase_create("invalid"),
	    *tl = tcase_create("list");

	tcase_set_timeout(tv, 60);
	tcase_set_timeout(ti, 60);
	if (list_error != NULL) {
		tcase_add_test(tl, test_suite_missing);
	} else {
		printf("toml-test: %zu valid and %zu invalid cases of TOML 1.0.0 in %s\n", valid.n,
		    invalid.n, suite_dir);
		tcase_add_test(tl, test_list_complete);
		tcase_add_loop_test(tv, test_valid, 0, (int)valid.n);
		tcase_add_loop_test(ti, test_invalid, 0, (int)invalid.n);
		suite_add_tcase(s, tv);
		suite_add_tcase(s, ti);
	}
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	const char *dir = getenv("PCB_TOML_TEST_DIR");
	size_t vpass = 0, ipass = 0, vrun = 0, irun = 0;
	TestResult **res;
	SRunner *sr;
	int k, n, failed;

	suite_dir = dir != NULL && dir[0] != '\0' ? pcb_xstrdup(dir) :
	    pcb_path_join(pcb_test_source_dir(), SUITE_SUBDIR);
	pcb_strv_init(&valid);
	pcb_strv_init(&invalid);
	pcb_strv_init(&listed);
	read_list();
	/* pcb_test_run_suite's run, and then the totals per kind of case. */
	sr = srunner_create(toml_suite_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	res = srunner_results(sr);
	n = srunner_ntests_run(sr);
	for (k = 0; k < n; k++) {
		bool pass = tr_rtype(res[k]) == CK_PASS;

		if (strcmp(tr_tcname(res[k]), "valid") == 0) {
			vrun++;
			vpass += pass;
		} else if (strcmp(tr_tcname(res[k]), "invalid") == 0) {
			irun++;
			ipass += pass;
		}
	}
	free(res);
	if (list_error == NULL)
		printf("toml-test 1.0.0: valid %zu/%zu passed, invalid %zu/%zu passed (of %zu and %zu "
		    "listed)\n", vpass, vrun, ipass, irun, valid.n, invalid.n);
	srunner_free(sr);
	pcb_strv_free(&valid);
	pcb_strv_free(&invalid);
	pcb_strv_free(&listed);
	free(list_error);
	free(suite_dir);
	return failed == 0 ? 0 : 1;
}
