/* test-toml.c — the TOML 1.0.0 reader (common/python/toml.c) against the examples of the
 * TOML 1.0.0 specification, one invalid document for each rule the spec states (each checked
 * for failure and for the line the message names), real pyproject.toml files, the limits, the
 * date/time tags, the toml-test decoder binary (build/pcb-toml-decode), source positions, and
 * a replay of the inputs in tests/fuzz/regressions/toml/. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/util.h"
#include "python/toml.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Parses from an exact-size heap copy (no NUL after it) so ASan sees any read past the end. */
static int
parse_len(const char *doc, size_t len, const char *name, json_object **out, struct pcb_err *err)
{
	char *copy = pcb_xmalloc(len ? len : 1);
	int rc;

	memcpy(copy, doc, len);
	rc = pcb_toml_parse(copy, len, name, out, err);
	free(copy);
	return rc;
}

static json_object *
parse_ok(const char *doc)
{
	struct pcb_err err;
	json_object *o = NULL;
	int rc;

	pcb_err_clear(&err);
	rc = parse_len(doc, strlen(doc), NULL, &o, &err);
	ck_assert_msg(rc == 0, "expected success for:\n%s\ngot: %s", doc, err.msg);
	ck_assert_ptr_nonnull(o);
	return o;
}

/* Asserts failure with a message "line <line>, column N: ...". */
static void
check_fail_len(const char *doc, size_t len, int line)
{
	struct pcb_err err;
	json_object *o = NULL;
	char want[32];
	int rc;

	pcb_err_clear(&err);
	rc = parse_len(doc, len, NULL, &o, &err);
	ck_assert_msg(rc == PCB_EINVAL, "expected failure for:\n%s", doc);
	ck_assert_ptr_null(o);
	snprintf(want, sizeof want, "line %d, column ", line);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0,
	    "for:\n%s\nexpected a message starting \"%s\", got \"%s\"", doc, want, err.msg);
	ck_assert_msg(strlen(err.msg) > strlen(want) + 4, "message too short: %s", err.msg);
}

static void
check_fail(const char *doc, int line)
{
	check_fail_len(doc, strlen(doc), line);
}

/* Looks up a path of plain keys separated by '/' (so keys may contain dots). */
static json_object *
get(json_object *o, const char *path)
{
	char *copy = pcb_xstrdup(path), *save = NULL, *k;

	for (k = strtok_r(copy, "/", &save); k != NULL && o != NULL; k = strtok_r(NULL, "/", &save)) {
		json_object *next = NULL;

		if (json_object_get_type(o) == json_type_array) {
			next = json_object_array_get_idx(o, (size_t)atoi(k));
		} else if (!json_object_object_get_ex(o, k, &next))
			next = NULL;
		o = next;
	}
	free(copy);
	return o;
}

static void
check_str(json_object *doc, const char *path, const char *want)
{
	json_object *v = get(doc, path);

	ck_assert_msg(v != NULL, "%s missing", path);
	ck_assert_msg(json_object_get_type(v) == json_type_string, "%s is not a string", path);
	ck_assert_msg((size_t)json_object_get_string_len(v) == strlen(want) &&
	    strcmp(json_object_get_string(v), want) == 0, "%s: got \"%s\", want \"%s\"", path,
	    json_object_get_string(v), want);
}

static void
check_int(json_object *doc, const char *path, int64_t want)
{
	json_object *v = get(doc, path);

	ck_assert_msg(v != NULL, "%s missing", path);
	ck_assert_msg(json_object_get_type(v) == json_type_int, "%s is not an int", path);
	ck_assert_msg(json_object_get_int64(v) == want, "%s: got %lld, want %lld", path,
	    (long long)json_object_get_int64(v), (long long)want);
}

static void
check_double(json_object *doc, const char *path, double want)
{
	json_object *v = get(doc, path);
	double d;

	ck_assert_msg(v != NULL, "%s missing", path);
	ck_assert_msg(json_object_get_type(v) == json_type_double, "%s is not a float", path);
	d = json_object_get_double(v);
	if (isnan(want))
		ck_assert_msg(isnan(d), "%s: got %g, want nan", path, d);
	else
		ck_assert_msg(d == want && signbit(d) == signbit(want), "%s: got %.17g, want %.17g",
		    path, d, want);
}

static void
check_bool(json_object *doc, const char *path, bool want)
{
	json_object *v = get(doc, path);

	ck_assert_msg(v != NULL && json_object_get_type(v) == json_type_boolean, "%s not a bool",
	    path);
	ck_assert_int_eq(json_object_get_boolean(v), want);
}

static void
check_dt(json_object *doc, const char *path, enum pcb_toml_type t, const char *want)
{
	check_str(doc, path, want);
	ck_assert_msg(pcb_toml_type_of(get(doc, path)) == t, "%s: tag %d, want %d", path,
	    pcb_toml_type_of(get(doc, path)), t);
}

static void
check_len(json_object *doc, const char *path, size_t n)
{
	json_object *v = get(doc, path);

	ck_assert_msg(v != NULL, "%s missing", path);
	if (json_object_get_type(v) == json_type_array)
		ck_assert_uint_eq(json_object_array_length(v), n);
	else
		ck_assert_uint_eq((size_t)json_object_object_length(v), n);
}

/* The keys of a table in order, joined by ','. */
static void
check_keys(json_object *doc, const char *path, const char *want)
{
	json_object *t = path ? get(doc, path) : doc;
	struct pcb_buf b;

	ck_assert_ptr_nonnull(t);
	pcb_buf_init(&b, 4096);
	json_object_object_foreach(t, key, val) {
		(void)val;
		pcb_buf_appendf(&b, "%s%s", b.len ? "," : "", key);
	}
	ck_assert_msg(strcmp(b.data ? b.data : "", want) == 0, "keys of %s: %s, want %s",
	    path ? path : "root", b.data ? b.data : "", want);
	pcb_buf_free(&b);
}

/* ---- valid documents: the spec's examples, section by section ------------------------------ */

START_TEST(test_spec_example_document)
{
	json_object *d = parse_ok(
	    "# This is a TOML document\n"
	    "\n"
	    "title = \"TOML Example\"\n"
	    "\n"
	    "[owner]\n"
	    "name = \"Tom Preston-Werner\"\n"
	    "dob = 1979-05-27T07:32:00-08:00\n"
	    "\n"
	    "[database]\n"
	    "enabled = true\n"
	    "ports = [ 8000, 8001, 8002 ]\n"
	    "data = [ [\"delta\", \"phi\"], [3.14] ]\n"
	    "temp_targets = { cpu = 79.5, case = 72.0 }\n"
	    "\n"
	    "[servers]\n"
	    "\n"
	    "[servers.alpha]\n"
	    "ip = \"10.0.0.1\"\n"
	    "role = \"frontend\"\n"
	    "\n"
	    "[servers.beta]\n"
	    "ip = \"10.0.0.2\"\n"
	    "role = \"backend\"\n");

	check_keys(d, NULL, "title,owner,database,servers");
	check_str(d, "title", "TOML Example");
	check_str(d, "owner/name", "Tom Preston-Werner");
	check_dt(d, "owner/dob", PCB_TOML_DATETIME, "1979-05-27T07:32:00-08:00");
	check_bool(d, "database/enabled", true);
	check_len(d, "database/ports", 3);
	check_int(d, "database/ports/2", 8002);
	check_str(d, "database/data/0/1", "phi");
	check_double(d, "database/data/1/0", 3.14);
	check_double(d, "database/temp_targets/cpu", 79.5);
	check_double(d, "database/temp_targets/case", 72.0);
	check_keys(d, "servers", "alpha,beta");
	check_str(d, "servers/beta/role", "backend");
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_comments_keyvalue)
{
	json_object *d = parse_ok(
	    "# This is a full-line comment\n"
	    "key = \"value\"  # This is a comment at the end of a line\n"
	    "another = \"# This is not a comment\"\n"
	    "key2 = \"value\"\n"
	    "bare_key = \"value\"\n"
	    "bare-key = \"value\"\n"
	    "1234 = \"value\"\n"
	    "\"127.0.0.1\" = \"value\"\n"
	    "\"character encoding\" = \"value\"\n"
	    "\"ʎǝʞ\" = \"value\"\n"
	    "'key3' = \"value\"\n"
	    "'quoted \"value\"' = \"value\"\n"
	    "\"\" = \"blank\"\n"
	    "\t  indented\t=\t1   \n");

	check_str(d, "key", "value");
	check_str(d, "another", "# This is not a comment");
	check_str(d, "1234", "value");
	check_str(d, "127.0.0.1", "value");
	check_str(d, "character encoding", "value");
	check_str(d, "ʎǝʞ", "value");
	check_str(d, "key3", "value");
	check_str(d, "quoted \"value\"", "value");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(d, "")), "blank");
	check_int(d, "indented", 1);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_dotted_keys)
{
	json_object *d = parse_ok(
	    "name = \"Orange\"\n"
	    "physical.color = \"orange\"\n"
	    "physical.shape = \"round\"\n"
	    "site.\"google.com\" = true\n"
	    "fruit.name = \"banana\"     # this is best practice\n"
	    "fruit. color = \"yellow\"    # same as fruit.color\n"
	    "fruit . flavor = \"banana\"   # same as fruit.flavor\n"
	    "apple.type = \"fruit\"\n"
	    "orange.type = \"fruit\"\n"
	    "apple.skin = \"thin\"\n"
	    "orange.skin = \"thick\"\n"
	    "3.14159 = \"pi\"\n"
	    "fruit2.apple.smooth = true\n"
	    "fruit2.orange = 2\n");

	check_str(d, "physical/color", "orange");
	check_str(d, "physical/shape", "round");
	check_bool(d, "site/google.com", true);
	check_keys(d, "fruit", "name,color,flavor");
	check_str(d, "fruit/flavor", "banana");
	check_str(d, "orange/skin", "thick");
	check_str(d, "3/14159", "pi");
	check_bool(d, "fruit2/apple/smooth", true);
	check_int(d, "fruit2/orange", 2);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_strings)
{
	json_object *d = parse_ok(
	    "str = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"\n"
	    "esc = \"\\b\\t\\n\\f\\r\\\"\\\\\\U0001F600\\u00e9\"\n"
	    "str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
	    "str2 = \"The quick brown fox jumps over the lazy dog.\"\n"
	    "str3 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
	    "str4 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n"
	    "       the lazy dog.\\\n       \"\"\"\n"
	    "str5 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
	    "str6 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
	    "str7 = \"\"\"Here are fifteen quotation marks: \"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"\n"
	    "str8 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n"
	    "winpath  = 'C:\\Users\\nodejs\\templates'\n"
	    "winpath2 = '\\\\ServerX\\admin$\\system32\\'\n"
	    "quoted   = 'Tom \"Dubs\" Preston-Werner'\n"
	    "regex    = '<\\i\\c*\\s*>'\n"
	    "regex2 = '''I [dw]on't need \\d{2} apples'''\n"
	    "lines  = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n"
	    "   is preserved.\n'''\n"
	    "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\n"
	    "apos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\n"
	    "str9 = ''''That,' she said, 'is still pointless.''''\n"
	    "tab = \"a\tb\"\n"
	    "crlf = \"\"\"\r\nx\r\ny\"\"\"\n"
	    "bs_ws = \"\"\"a \\   \r\n  \t\n b\"\"\"\n"
	    "empty = \"\"\n"
	    "empty_ml = ''''''\n");

	check_str(d, "str", "I'm a string. \"You can quote me\". Name\tJos\xc3\xa9\nLocation\tSF.");
	check_str(d, "esc", "\b\t\n\f\r\"\\\xf0\x9f\x98\x80\xc3\xa9");
	check_str(d, "str1", "Roses are red\nViolets are blue");
	check_str(d, "str3", "The quick brown fox jumps over the lazy dog.");
	check_str(d, "str4", "The quick brown fox jumps over the lazy dog.");
	check_str(d, "str5", "Here are two quotation marks: \"\". Simple enough.");
	check_str(d, "str6", "Here are three quotation marks: \"\"\".");
	check_str(d, "str7", "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\".");
	check_str(d, "str8", "\"This,\" she said, \"is just a pointless statement.\"");
	check_str(d, "winpath", "C:\\Users\\nodejs\\templates");
	check_str(d, "winpath2", "\\\\ServerX\\admin$\\system32\\");
	check_str(d, "quoted", "Tom \"Dubs\" Preston-Werner");
	check_str(d, "regex", "<\\i\\c*\\s*>");
	check_str(d, "regex2", "I [dw]on't need \\d{2} apples");
	check_str(d, "lines", "The first newline is\ntrimmed in raw strings.\n   All other "
	    "whitespace\n   is preserved.\n");
	check_str(d, "quot15", "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
	check_str(d, "apos15", "Here are fifteen apostrophes: '''''''''''''''");
	check_str(d, "str9", "'That,' she said, 'is still pointless.'");
	check_str(d, "tab", "a\tb");
	check_str(d, "crlf", "x\ny");
	check_str(d, "bs_ws", "a b");
	check_str(d, "empty", "");
	check_str(d, "empty_ml", "");
	json_object_put(d);
}
END_TEST

START_TEST(test_string_nul_escape)
{
	json_object *d = parse_ok("s = \"a\\u0000b\"\n");
	json_object *s = json_object_object_get(d, "s");

	ck_assert_int_eq(json_object_get_string_len(s), 3);
	ck_assert_int_eq(memcmp(json_object_get_string(s), "a\0b", 3), 0);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_integers)
{
	json_object *d = parse_ok(
	    "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\n"
	    "int5 = 1_000\nint6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5\n"
	    "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\n"
	    "oct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110\n"
	    "max = 9223372036854775807\nmin = -9223372036854775808\n"
	    "hmax = 0x7FFFFFFFFFFFFFFF\npz = +0\nmz = -0\nhz = 0x0\n");

	check_int(d, "int1", 99);
	check_int(d, "int2", 42);
	check_int(d, "int3", 0);
	check_int(d, "int4", -17);
	check_int(d, "int5", 1000);
	check_int(d, "int6", 5349221);
	check_int(d, "int7", 5349221);
	check_int(d, "int8", 12345);
	check_int(d, "hex1", 0xdeadbeef);
	check_int(d, "hex2", 0xdeadbeef);
	check_int(d, "hex3", 0xdeadbeef);
	check_int(d, "oct1", 01234567);
	check_int(d, "oct2", 0755);
	check_int(d, "bin1", 214);
	check_int(d, "max", INT64_MAX);
	check_int(d, "min", INT64_MIN);
	check_int(d, "hmax", INT64_MAX);
	check_int(d, "pz", 0);
	check_int(d, "mz", 0);
	check_int(d, "hz", 0);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_floats)
{
	json_object *d = parse_ok(
	    "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\n"
	    "flt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\n"
	    "flt7 = 6.626e-34\nflt8 = 224_617.445_991_228\n"
	    "flt9 = -0.0\nflt10 = +0.0\nflt11 = 1e1_0\n"
	    "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\n"
	    "tiny = 1e-400\n");

	check_double(d, "flt1", 1.0);
	check_double(d, "flt2", 3.1415);
	check_double(d, "flt3", -0.01);
	check_double(d, "flt4", 5e22);
	check_double(d, "flt5", 1e6);
	check_double(d, "flt6", -2e-2);
	check_double(d, "flt7", 6.626e-34);
	check_double(d, "flt8", 224617.445991228);
	check_double(d, "flt9", -0.0);
	check_double(d, "flt10", 0.0);
	check_double(d, "flt11", 1e10);
	check_double(d, "sf1", INFINITY);
	check_double(d, "sf2", INFINITY);
	check_double(d, "sf3", -INFINITY);
	check_double(d, "sf4", NAN);
	check_double(d, "sf5", NAN);
	check_double(d, "sf6", NAN);
	check_double(d, "tiny", 0.0);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_booleans_datetimes)
{
	json_object *d = parse_ok(
	    "bool1 = true\nbool2 = false\n"
	    "odt1 = 1979-05-27T07:32:00Z\n"
	    "odt2 = 1979-05-27T00:32:00-07:00\n"
	    "odt3 = 1979-05-27T00:32:00.999999-07:00\n"
	    "odt4 = 1979-05-27 07:32:00Z\n"
	    "odt5 = 1979-05-27t07:32:00z\n"
	    "ldt1 = 1979-05-27T07:32:00\n"
	    "ldt2 = 1979-05-27T00:32:00.999999\n"
	    "ldt3 = 1979-05-27 00:32:00.123456789123\n"
	    "ld1 = 1979-05-27\n"
	    "ld2 = 1979-05-27 # a date, then a comment\n"
	    "lt1 = 07:32:00\n"
	    "lt2 = 00:32:00.999999\n"
	    "leap1 = 2000-02-29\nleap2 = 2024-02-29T23:59:59+14:00\n"
	    "arr = [1979-05-27, 07:32:00, 1979-05-27T07:32:00]\n");

	check_bool(d, "bool1", true);
	check_bool(d, "bool2", false);
	check_dt(d, "odt1", PCB_TOML_DATETIME, "1979-05-27T07:32:00Z");
	check_dt(d, "odt2", PCB_TOML_DATETIME, "1979-05-27T00:32:00-07:00");
	check_dt(d, "odt3", PCB_TOML_DATETIME, "1979-05-27T00:32:00.999999-07:00");
	check_dt(d, "odt4", PCB_TOML_DATETIME, "1979-05-27T07:32:00Z");
	check_dt(d, "odt5", PCB_TOML_DATETIME, "1979-05-27T07:32:00z");
	check_dt(d, "ldt1", PCB_TOML_DATETIME_LOCAL, "1979-05-27T07:32:00");
	check_dt(d, "ldt2", PCB_TOML_DATETIME_LOCAL, "1979-05-27T00:32:00.999999");
	check_dt(d, "ldt3", PCB_TOML_DATETIME_LOCAL, "1979-05-27T00:32:00.123456789123");
	check_dt(d, "ld1", PCB_TOML_DATE_LOCAL, "1979-05-27");
	check_dt(d, "ld2", PCB_TOML_DATE_LOCAL, "1979-05-27");
	check_dt(d, "lt1", PCB_TOML_TIME_LOCAL, "07:32:00");
	check_dt(d, "lt2", PCB_TOML_TIME_LOCAL, "00:32:00.999999");
	check_dt(d, "leap1", PCB_TOML_DATE_LOCAL, "2000-02-29");
	check_dt(d, "leap2", PCB_TOML_DATETIME, "2024-02-29T23:59:59+14:00");
	check_dt(d, "arr/0", PCB_TOML_DATE_LOCAL, "1979-05-27");
	check_dt(d, "arr/1", PCB_TOML_TIME_LOCAL, "07:32:00");
	check_dt(d, "arr/2", PCB_TOML_DATETIME_LOCAL, "1979-05-27T07:32:00");
	/* Plain strings and other types carry no tag. */
	ck_assert_int_eq(pcb_toml_type_of(json_object_object_get(d, "bool1")), PCB_TOML_NONE);
	ck_assert_int_eq(pcb_toml_type_of(NULL), PCB_TOML_NONE);
	json_object_put(d);
	d = parse_ok("s = \"1979-05-27\"\n");
	ck_assert_int_eq(pcb_toml_type_of(json_object_object_get(d, "s")), PCB_TOML_NONE);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_arrays)
{
	json_object *d = parse_ok(
	    "integers = [ 1, 2, 3 ]\n"
	    "colors = [ \"red\", \"yellow\", \"green\" ]\n"
	    "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
	    "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
	    "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n"
	    "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\n"
	    "contributors = [\n"
	    "  \"Foo Bar <foo@example.com>\",\n"
	    "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" }\n"
	    "]\n"
	    "integers2 = [\n  1, 2, 3\n]\n"
	    "integers3 = [\n  1,\n  2, # this is ok\n]\n"
	    "empty = [ ]\n"
	    "empty2 = [\n# only a comment\n]\n");

	check_len(d, "integers", 3);
	check_int(d, "integers/2", 3);
	check_str(d, "colors/1", "yellow");
	check_int(d, "nested_arrays_of_ints/1/2", 5);
	check_str(d, "nested_mixed_array/1/0", "a");
	check_str(d, "string_array/2", "are the same");
	check_str(d, "string_array/3", "type");
	check_double(d, "numbers/0", 0.1);
	check_int(d, "numbers/3", 1);
	check_str(d, "contributors/0", "Foo Bar <foo@example.com>");
	check_str(d, "contributors/1/email", "bazqux@example.com");
	check_len(d, "integers2", 3);
	check_len(d, "integers3", 2);
	check_len(d, "empty", 0);
	check_len(d, "empty2", 0);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_tables)
{
	json_object *d = parse_ok(
	    "[table]\n"
	    "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n"
	    "[table-2]\nkey1 = \"another string\"\nkey2 = 456\n"
	    "[dog.\"tater.man\"]\ntype.name = \"pug\"\n"
	    "[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . \"ʞ\" . 'l' ]\n"
	    "[x.y.z.w]\n[x]\n"
	    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
	    "[fruit.apple.texture]\nsmooth = true\n");

	check_len(d, "table", 0);
	check_int(d, "table-1/key2", 123);
	check_str(d, "table-2/key1", "another string");
	check_str(d, "dog/tater.man/type/name", "pug");
	check_len(d, "a/b/c", 0);
	check_len(d, "d/e/f", 0);
	check_len(d, "g/h/i", 0);
	check_len(d, "j/ʞ/l", 0);
	check_len(d, "x/y/z/w", 0);
	check_str(d, "fruit/apple/color", "red");
	check_bool(d, "fruit/apple/taste/sweet", true);
	check_bool(d, "fruit/apple/texture/smooth", true);
	json_object_put(d);

	/* Out-of-order tables, top-level keys before the first header, and an implicit table
	 * defined later by dotted keys inside its parent section. */
	d = parse_ok("name = \"Fido\"\nbreed = \"pug\"\n[owner]\nname = \"Regina Dogman\"\n"
	    "member_since = 1999-08-04\n"
	    "[fruit.apple]\n[animal]\n[fruit.orange]\n"
	    "[p.q.r]\n[p]\nq.s = 1\n");
	check_str(d, "owner/name", "Regina Dogman");
	check_keys(d, NULL, "name,breed,owner,fruit,animal,p");
	check_keys(d, "fruit", "apple,orange");
	check_int(d, "p/q/s", 1);
	check_len(d, "p/q/r", 0);
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_inline_tables)
{
	json_object *d = parse_ok(
	    "name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
	    "point = { x = 1, y = 2 }\n"
	    "animal = { type.name = \"pug\" }\n"
	    "empty = {}\n"
	    "nested = { a = { b = [ { c = 1 } ] }, d.e = 2, d.f = 3 }\n"
	    "ml = { s = \"\"\"x\ny\"\"\", arr = [\n 1,\n 2 ] }\n"
	    "[product]\ntype = { name = \"Nail\" }\n");

	check_str(d, "name/first", "Tom");
	check_str(d, "name/last", "Preston-Werner");
	check_int(d, "point/y", 2);
	check_str(d, "animal/type/name", "pug");
	check_len(d, "empty", 0);
	check_int(d, "nested/a/b/0/c", 1);
	check_int(d, "nested/d/f", 3);
	check_str(d, "ml/s", "x\ny");
	check_int(d, "ml/arr/1", 2);
	check_str(d, "product/type/name", "Nail");
	json_object_put(d);
}
END_TEST

START_TEST(test_spec_array_of_tables)
{
	json_object *d = parse_ok(
	    "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n"
	    "[[products]]  # empty table within the array\n\n"
	    "[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = \"gray\"\n"
	    "[[fruits]]\nname = \"apple\"\n\n"
	    "[fruits.physical]  # subtable\ncolor = \"red\"\nshape = \"round\"\n\n"
	    "[[fruits.varieties]]  # nested array of tables\nname = \"red delicious\"\n\n"
	    "[[fruits.varieties]]\nname = \"granny smith\"\n\n"
	    "[[fruits]]\nname = \"banana\"\n\n"
	    "[[fruits.varieties]]\nname = \"plantain\"\n"
	    "[[a.b]]\nx = 1\n[a]\ny = 2\n"
	    "points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n"
	    "           { x = 2, y = 4, z = 8 } ]\n");

	check_len(d, "products", 3);
	check_str(d, "products/0/name", "Hammer");
	check_len(d, "products/1", 0);
	check_int(d, "products/2/sku", 284758393);
	check_str(d, "products/2/color", "gray");
	check_len(d, "fruits", 2);
	check_str(d, "fruits/0/physical/shape", "round");
	check_str(d, "fruits/0/varieties/1/name", "granny smith");
	check_str(d, "fruits/1/name", "banana");
	check_len(d, "fruits/1/varieties", 1);
	check_str(d, "fruits/1/varieties/0/name", "plantain");
	check_int(d, "a/b/0/x", 1);
	check_int(d, "a/y", 2);
	check_int(d, "a/points/2/z", 8);
	json_object_put(d);
}
END_TEST

START_TEST(test_newlines_and_bom)
{
	json_object *d = parse_ok("\xef\xbb\xbf" "a = 1\r\n[t]\r\nb = 'x' # c\r\n\r\nc = [\r\n 1,\r\n]\r\n");

	check_int(d, "a", 1);
	check_str(d, "t/b", "x");
	check_len(d, "t/c", 1);
	json_object_put(d);
	d = parse_ok("");
	check_len(d, "", 0);
	json_object_put(d);
	d = parse_ok("a = 1");          /* no final newline */
	check_int(d, "a", 1);
	json_object_put(d);
	d = parse_ok("# only a comment");
	json_object_put(d);
}
END_TEST

/* ---- invalid documents -------------------------------------------------------------------- */

struct bad {
	const char *doc;
	int line;
	size_t len;   /* 0: strlen(doc) */
};

static const struct bad bad_docs[] = {
	/* comments: control characters other than tab */
	{ "a = 1 # \x01 control\n", 1, 0 },
	{ "a = 1\n# del \x7f\n", 2, 0 },
	{ "a = 1\n# bare \r carriage return\n", 2, 0 },
	{ "# nul \0 in comment\n", 1, 19 },
	/* key/value pairs */
	{ "key = # INVALID\n", 1, 0 },
	{ "first = \"Tom\" last = \"Preston-Werner\" # INVALID\n", 1, 0 },
	{ "= \"no key name\"  # INVALID\n", 1, 0 },
	{ "a = 1\nkey\n= 1\n", 2, 0 },
	{ "a = 1\nb =\n1\n", 2, 0 },
	{ "k = unquoted\n", 1, 0 },
	{ "a. = 1\n", 1, 0 },
	{ "a..b = 1\n", 1, 0 },
	{ ".a = 1\n", 1, 0 },
	{ "a b = 1\n", 1, 0 },
	{ "\"\"\"key\"\"\" = 1\n", 1, 0 },
	{ "'''key''' = 1\n", 1, 0 },
	{ "a = 1\r\n\"key\x01\" = 1\n", 2, 0 },
	/* duplicate keys */
	{ "name = \"Tom\"\nname = \"Pradyun\"\n", 2, 0 },
	{ "spelling = \"favorite\"\n\"spelling\" = \"favourite\"\n", 2, 0 },
	{ "fruit.apple = 1\nfruit.apple.smooth = true\n", 2, 0 },
	{ "a.b = 1\na = 2\n", 2, 0 },
	{ "a = {}\na.b = 1\n", 2, 0 },
	/* strings */
	{ "s = \"bad \\q escape\"\n", 1, 0 },
	{ "s = \"\\x41\"\n", 1, 0 },
	{ "s = \"\\e\"\n", 1, 0 },
	{ "s = \"\\ \"\n", 1, 0 },
	{ "a = 1\ns = \"no close\n", 2, 0 },
	{ "s = \"no close", 1, 0 },
	{ "s = \"ctl \x01\"\n", 1, 0 },
	{ "s = \"del \x7f\"\n", 1, 0 },
	{ "s = \"nul \0\"\n", 1, 12 },
	{ "s = \"\\uD800\"\n", 1, 0 },
	{ "s = \"\\uDFFF\"\n", 1, 0 },
	{ "s = \"\\U00110000\"\n", 1, 0 },
	{ "s = \"\\u12\"\n", 1, 0 },
	{ "s = \"\\U0001F60\"\n", 1, 0 },
	{ "s = \"\\uGHIJ\"\n", 1, 0 },
	{ "s = \"abc\"\"\n", 1, 0 },
	{ "s = \"\"\"\nabc\\ x\n\"\"\"\n", 2, 0 },
	{ "s = \"\"\"\na\rb\"\"\"\n", 2, 0 },
	{ "s = \"\"\"\n\n\x7f\"\"\"\n", 3, 0 },
	{ "s = \"\"\"\nabc\"\"\"\"\"\"\n", 2, 0 },
	{ "s = \"\"\"\nnever closed\n", 1, 0 },
	{ "s = 'lit\nnewline'\n", 1, 0 },
	{ "s = 'del \x7f'\n", 1, 0 },
	{ "s = 'a\rb'\n", 1, 0 },
	{ "s = '''\nabc''''''\n", 2, 0 },
	{ "s = '''\n\n\x01'''\n", 3, 0 },
	{ "s = 'unclosed", 1, 0 },
	/* integers */
	{ "i = 0123\n", 1, 0 },
	{ "i = 00\n", 1, 0 },
	{ "i = -01\n", 1, 0 },
	{ "i = 1__2\n", 1, 0 },
	{ "i = _1\n", 1, 0 },
	{ "i = 1_\n", 1, 0 },
	{ "i = +0x1\n", 1, 0 },
	{ "i = -0o7\n", 1, 0 },
	{ "i = 0X1F\n", 1, 0 },
	{ "i = 0B1\n", 1, 0 },
	{ "i = 0xG\n", 1, 0 },
	{ "i = 0o8\n", 1, 0 },
	{ "i = 0b2\n", 1, 0 },
	{ "i = 0x\n", 1, 0 },
	{ "i = 0x_1\n", 1, 0 },
	{ "i = 0x1_\n", 1, 0 },
	{ "i = 9223372036854775808\n", 1, 0 },
	{ "i = -9223372036854775809\n", 1, 0 },
	{ "i = 0x8000000000000000\n", 1, 0 },
	{ "i = 0o1777777777777777777777\n", 1, 0 },
	{ "i = 1 2\n", 1, 0 },
	{ "i = --1\n", 1, 0 },
	{ "i = +\n", 1, 0 },
	{ "i = 1a\n", 1, 0 },
	/* floats */
	{ "f = .7\n", 1, 0 },
	{ "f = 7.\n", 1, 0 },
	{ "f = 3.e+20\n", 1, 0 },
	{ "f = 1e\n", 1, 0 },
	{ "f = 1e+\n", 1, 0 },
	{ "f = 1.5e_3\n", 1, 0 },
	{ "f = 1_.5\n", 1, 0 },
	{ "f = 1._5\n", 1, 0 },
	{ "f = 1.5_\n", 1, 0 },
	{ "f = +.5\n", 1, 0 },
	{ "f = 03.14\n", 1, 0 },
	{ "f = 1e1.5\n", 1, 0 },
	{ "f = 1.2.3\n", 1, 0 },
	{ "f = inf1\n", 1, 0 },
	{ "f = Inf\n", 1, 0 },
	{ "f = NaN\n", 1, 0 },
	{ "f = -infinity\n", 1, 0 },
	{ "f = 1e400\n", 1, 0 },
	/* booleans */
	{ "b = True\n", 1, 0 },
	{ "b = tru\n", 1, 0 },
	{ "b = falsey\n", 1, 0 },
	/* dates and times */
	{ "d = 1979-13-01\n", 1, 0 },
	{ "d = 1979-00-10\n", 1, 0 },
	{ "d = 1979-02-30\n", 1, 0 },
	{ "d = 2023-02-29\n", 1, 0 },
	{ "d = 1900-02-29\n", 1, 0 },
	{ "d = 2100-02-29\n", 1, 0 },
	{ "d = 1979-04-31\n", 1, 0 },
	{ "d = 1979-05-32\n", 1, 0 },
	{ "d = 1979-05-00\n", 1, 0 },
	{ "d = 1979-5-27\n", 1, 0 },
	{ "d = 79-05-27\n", 1, 0 },
	{ "d = 1979-05-27T25:00:00\n", 1, 0 },
	{ "d = 1979-05-27T24:00:00\n", 1, 0 },
	{ "t = 07:60:00\n", 1, 0 },
	{ "t = 07:32:60\n", 1, 0 },
	{ "t = 07:32\n", 1, 0 },
	{ "t = 7:32:00\n", 1, 0 },
	{ "t = 07:32:00.\n", 1, 0 },
	{ "t = 07:32:00Z\n", 1, 0 },
	{ "t = 07:32:00+01:00\n", 1, 0 },
	{ "d = 1979-05-27T07:32:00+24:00\n", 1, 0 },
	{ "d = 1979-05-27T07:32:00+07:60\n", 1, 0 },
	{ "d = 1979-05-27T07:32:00+07\n", 1, 0 },
	{ "d = 1979-05-27T07:32:00.Z\n", 1, 0 },
	{ "d = 1979-05-27T\n", 1, 0 },
	{ "d = 1979-05-27T07:32\n", 1, 0 },
	{ "d = 1979-05-27 07:32\n", 1, 0 },
	{ "d = 1979-05-27 07:32:00ZZ\n", 1, 0 },
	{ "d = 1979-05-27_07:32:00\n", 1, 0 },
	/* arrays */
	{ "a = [1 2]\n", 1, 0 },
	{ "a = [,]\n", 1, 0 },
	{ "a = [1,,2]\n", 1, 0 },
	{ "a = [1\n", 2, 0 },
	{ "a = [\n1,\n2\n", 4, 0 },
	{ "a = [\n1, # c \x01\n]\n", 2, 0 },
	{ "a = [1]\nb = 1\na = [2]\n", 3, 0 },
	/* inline tables */
	{ "t = {a = 1,}\n", 1, 0 },
	{ "t = {a = 1\n}\n", 1, 0 },
	{ "t = {\na = 1}\n", 1, 0 },
	{ "t = {a = 1, a = 2}\n", 1, 0 },
	{ "t = {a.b = 1, a = 2}\n", 1, 0 },
	{ "t = {a = {b = 1}, a.c = 2}\n", 1, 0 },
	{ "t = {a 1}\n", 1, 0 },
	{ "t = {a = 1 b = 2}\n", 1, 0 },
	{ "t = {,}\n", 1, 0 },
	{ "t = {a = 1} # x\nt.b = 2\n", 2, 0 },
	{ "t = {a = 1}\n[t]\n", 2, 0 },
	{ "t = {a = 1}\n[t.b]\n", 2, 0 },
	{ "t = {a = {b = 1}}\n[t.a.c]\n", 2, 0 },
	{ "t = {a = 1} # comment inside {x = 1, # no\n}\n", 2, 0 },
	{ "t = {x = 1 # no\n}\n", 1, 0 },
	/* tables: headers and re-definition */
	{ "[fruit]\napple = \"red\"\n\n[fruit]\norange = \"orange\"\n", 4, 0 },
	{ "[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"\n", 4, 0 },
	{ "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n[fruit.apple]\n", 5, 0 },
	{ "[fruit]\napple.color = \"red\"\n[fruit.apple.taste]\n[fruit.apple]\n", 4, 0 },
	{ "a.b.c = 1\n[a.b]\n", 2, 0 },
	{ "a.b.c = 1\n[a]\n", 2, 0 },
	{ "[a.b.c]\nz = 9\n\n[a]\nb.c.t = 1\n", 5, 0 },
	{ "[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = 1\n", 4, 0 },
	{ "[a.b.c]\n[a]\nb.x = 1\n[a.b]\n", 4, 0 },
	{ "[a]\n[a.b]\n[a]\n", 3, 0 },
	{ "a = 1\n[a]\n", 2, 0 },
	{ "a = 1\n[a.b]\n", 2, 0 },
	{ "[a]b = 1\n", 1, 0 },
	{ "[a] ]\n", 1, 0 },
	{ "[]\n", 1, 0 },
	{ "[a.]\n", 1, 0 },
	{ "[.a]\n", 1, 0 },
	{ "[a\n", 1, 0 },
	{ "[a\nb]\n", 1, 0 },
	{ "x = 1\n[a]\n[a.\"b\"]\n[a.b]\n", 4, 0 },
	{ "[a] # \x01\n", 1, 0 },
	/* arrays of tables */
	{ "fruits = []\n\n[[fruits]]\n", 3, 0 },
	{ "fruits = [{a = 1}]\n[[fruits]]\n", 2, 0 },
	{ "[[fruits]]\nname = 1\n[fruits]\n", 3, 0 },
	{ "[fruit.physical]\ncolor = \"red\"\nshape = \"round\"\n\n[[fruit]]\nname = \"apple\"\n",
	  5, 0 },
	{ "[[fruits]]\nname = \"apple\"\n[[fruits.varieties]]\nname = \"red delicious\"\n"
	  "[fruits.varieties]\nname = \"granny smith\"\n", 5, 0 },
	{ "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\n"
	  "[[fruits.physical]]\ncolor = \"green\"\n", 5, 0 },
	{ "[[albums.songs]]\nname = \"Glory Days\"\n\n[[albums]]\nname = \"Born in the USA\"\n",
	  4, 0 },
	{ "[[a.b]]\n\n[a]\nb.y = 2\n", 4, 0 },
	{ "a = [{ b = 1 }]\n\n[a.c]\nfoo = 1\n", 3, 0 },
	{ "[[a] ]\n", 1, 0 },
	{ "[ [a]]\n", 1, 0 },
	{ "[[a]\n", 1, 0 },
	{ "[[a]]]\n", 1, 0 },
	{ "[[]]\n", 1, 0 },
	/* encoding and line endings */
	{ "a = \"\xff\"\n", 1, 0 },
	{ "a = 1\r\nb = \"\xed\xa0\x80\"\n", 2, 0 },
	{ "a = \"\xc0\xaf\"\n", 1, 0 },
	{ "a = \"\xe0\x80\xaf\"\n", 1, 0 },
	{ "a = \"\xf4\x90\x80\x80\"\n", 1, 0 },
	{ "a = 1\n\n# \xe2\x82\n", 3, 0 },
	{ "a = 1\rb = 2\n", 1, 0 },
	{ "a = 1\n\r\n\rb = 2\n", 3, 0 },
	{ "\xef\xbb\xbf\xef\xbb\xbf" "a = 1\n", 1, 0 },
	{ "a = 1\n\x01 = 2\n", 2, 0 },
	{ "a = \x00\n", 1, 6 },
};

START_TEST(test_invalid)
{
	const struct bad *b = &bad_docs[_i];

	check_fail_len(b->doc, b->len ? b->len : strlen(b->doc), b->line);
}
END_TEST

START_TEST(test_error_columns_and_name)
{
	struct pcb_err err;
	json_object *o = NULL;
	int rc;

	pcb_err_clear(&err);
	rc = pcb_toml_parse("a = 1\ni = 0123\n", 15, NULL, &o, &err);
	ck_assert_int_eq(rc, PCB_EINVAL);
	ck_assert_msg(strncmp(err.msg, "line 2, column 5: ", 18) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "0123"));

	pcb_err_clear(&err);
	rc = pcb_toml_parse("[fruit]\n[fruit]\n", 16, "pyproject.toml", &o, &err);
	ck_assert_int_eq(rc, PCB_EINVAL);
	ck_assert_msg(strncmp(err.msg, "pyproject.toml: line 2, column 2: ", 34) == 0, "%s",
	    err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "fruit"));

	/* Columns count characters, not bytes. */
	pcb_err_clear(&err);
	rc = pcb_toml_parse("\"ʎǝʞ\" = nope\n", 15, NULL, &o, &err);
	ck_assert_int_eq(rc, PCB_EINVAL);
	ck_assert_msg(strncmp(err.msg, "line 1, column 9: ", 18) == 0, "%s", err.msg);

	/* Duplicate keys name the key. */
	pcb_err_clear(&err);
	rc = pcb_toml_parse("a.\"b.c\" = 1\na.\"b.c\" = 2\n", 24, NULL, &o, &err);
	ck_assert_int_eq(rc, PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "line 2, column 1: duplicate key a.\"b.c\"") != NULL, "%s",
	    err.msg);
	ck_assert_ptr_null(o);

	/* A NULL err is allowed. */
	ck_assert_int_eq(pcb_toml_parse("=", 1, NULL, &o, NULL), PCB_EINVAL);
	ck_assert_ptr_null(o);
}
END_TEST

/* U+0000 in a key (toml-test valid/key/quoted-unicode): stored as PCB_TOML_KEY_NUL, written
 * back as \u0000 wherever keys leave the reader as text. */
START_TEST(test_nul_keys)
{
	static const char doc[] =
	    "\"a\\u0000b\" = 1\n"
	    "'a\\u0000b' = 2\n"
	    "\"\\u0000\".\"\\u0000x\" = 3\n"
	    "[\"t\\u0000\"]\n"
	    "k = 4\n";
	const char *path[] = { "\xC0\x80", "\xC0\x80" "x" }, *dup, *odd;
	struct pcb_toml_locs *locs = NULL;
	struct pcb_err err;
	json_object *d = NULL, *v, *tagged;
	char *key, *text;
	size_t len;
	int col = 0;

	pcb_err_clear(&err);
	ck_assert_msg(pcb_toml_parse_locs(doc, strlen(doc), NULL, &d, &locs, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(json_object_object_length(d), 4);
	ck_assert(json_object_object_get_ex(d, "a" PCB_TOML_KEY_NUL "b", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	/* The literal key is the six characters \u0000, another key. */
	ck_assert(json_object_object_get_ex(d, "a\\u0000b", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(d, PCB_TOML_KEY_NUL, &v));
	ck_assert(json_object_object_get_ex(v, PCB_TOML_KEY_NUL "x", &v));
	ck_assert_int_eq(json_object_get_int(v), 3);
	ck_assert(json_object_object_get_ex(d, "t" PCB_TOML_KEY_NUL, &v));
	ck_assert(json_object_object_get_ex(v, "k", &v));
	ck_assert_int_eq(json_object_get_int(v), 4);
	/* Positions are found with the keys as stored. */
	ck_assert_int_eq(pcb_toml_locs_line(locs, path, 2, &col), 3);
	ck_assert_int_eq(col, 10);

	/* Decoding and encoding. */
	key = pcb_toml_key_decode("a" PCB_TOML_KEY_NUL "b" PCB_TOML_KEY_NUL, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(key, "a\0b\0", 5), 0);
	free(key);
	key = pcb_toml_key_decode("plain é", NULL);
	ck_assert_str_eq(key, "plain é");
	free(key);
	key = pcb_toml_key_encode("\0a\0", 3);
	ck_assert_str_eq(key, PCB_TOML_KEY_NUL "a" PCB_TOML_KEY_NUL);
	free(key);
	key = pcb_toml_key_encode("", 0);
	ck_assert_str_eq(key, "");
	free(key);

	/* JSON text: the key's U+0000 as \u0000, values as json-c writes them. */
	tagged = pcb_toml_to_tagged(d);
	text = pcb_toml_to_json_string(tagged, JSON_C_TO_STRING_PLAIN);
	ck_assert_msg(strstr(text, "\"a\\u0000b\":{\"type\":\"integer\",\"value\":\"1\"}") != NULL,
	    "%s", text);
	ck_assert_msg(strstr(text, "\"a\\\\u0000b\":{") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"\\u0000\":{\"\\u0000x\":{") != NULL, "%s", text);
	ck_assert_msg(strchr(text, '\xC0') == NULL, "%s", text);
	free(text);
	json_object_put(tagged);
	pcb_toml_locs_destroy(locs);
	json_object_put(d);

	/* Messages write such keys back as TOML would, escapes included. */
	dup = "\"a\\u0000b\" = 1\n\"a\\u0000b\" = 2\n";
	pcb_err_clear(&err);
	ck_assert_int_eq(parse_len(dup, strlen(dup), NULL, &d, &err), PCB_EINVAL);
	ck_assert_str_eq(err.msg, "line 2, column 1: duplicate key \"a\\u0000b\"");
	odd = "\"q\\\"\\\\\\t\\u0001\\u007fé\".x = 1\n[\"q\\\"\\\\\\t\\u0001\\u007fé\"]\n";
	pcb_err_clear(&err);
	ck_assert_int_eq(parse_len(odd, strlen(odd), NULL, &d, &err), PCB_EINVAL);
	ck_assert_str_eq(err.msg, "line 2, column 2: table [\"q\\\"\\\\\\t\\u0001\\u007Fé\"] was "
	    "already defined with dotted keys");
}
END_TEST

/* ---- limits ------------------------------------------------------------------------------- */

static char *
repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix), k;
	char *s = pcb_xmalloc(pl + ul * n + sl + 1), *w = s;

	memcpy(w, prefix, pl);
	w += pl;
	for (k = 0; k < n; k++, w += ul)
		memcpy(w, unit, ul);
	memcpy(w, suffix, sl + 1);
	return s;
}

START_TEST(test_depth_limit)
{
	char *open = repeat("a = ", "[", PCB_TOML_MAX_DEPTH, "");
	char *close = repeat(open, "]", PCB_TOML_MAX_DEPTH, "\n");
	json_object *d;
	char *s;

	d = parse_ok(close);        /* exactly the limit */
	json_object_put(d);
	free(open);
	free(close);

	s = repeat("a = ", "[", PCB_TOML_MAX_DEPTH + 1, "");
	check_fail(s, 1);
	free(s);
	s = repeat("a = ", "[", 100000, "");
	check_fail(s, 1);
	free(s);
	s = repeat("a = ", "{b=", 100000, "");
	check_fail(s, 1);
	free(s);
	s = repeat("a = ", "[{b=", 100000, "");
	check_fail(s, 1);
	free(s);
	s = repeat("[a", ".a", 100000, "]\n");
	check_fail(s, 1);
	free(s);
	s = repeat("a", ".a", 100000, " = 1\n");
	check_fail(s, 1);
	free(s);
	/* Deep tables through headers and dotted keys together stay bounded. */
	s = repeat("[a", ".a", 100, "]\nb");
	{
		char *t = repeat(s, ".b", 100, " = 1\n");

		d = parse_ok(t);
		json_object_put(d);
		free(t);
	}
	free(s);
}
END_TEST

START_TEST(test_size_limit)
{
	size_t n = (size_t)PCB_TOML_MAX_SIZE + 1;
	char *big = pcb_xmalloc(n);
	struct pcb_err err;
	json_object *o = NULL;

	memset(big, '#', n);
	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_toml_parse(big, n, "big.toml", &o, &err), PCB_ETOOBIG);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(strstr(err.msg, "big.toml"));
	/* Exactly the limit is fine: one long comment. */
	ck_assert_int_eq(pcb_toml_parse(big, n - 1, NULL, &o, &err), 0);
	json_object_put(o);
	free(big);
}
END_TEST

START_TEST(test_truncations_never_overrun)
{
	/* Every prefix of a document touching every construct: must never read past the end
	 * (ASan) and must either succeed or fail with a positioned message. */
	static const char doc[] =
	    "a = \"\"\"x\\\n y\"\"\"\nb = '''z'''\nc = [1, 2.5e3, 0x1F, inf, true]\n"
	    "d = 1979-05-27T07:32:00.5+01:00\ne = 07:32:00\nf = { g.h = \"\\U0001F600\" }\n"
	    "[t.\"u\"]\n[[v]]\nw = -0o7 # c\n";
	size_t n;

	for (n = 0; n <= sizeof doc - 1; n++) {
		struct pcb_err err;
		json_object *o = NULL;
		int rc;

		pcb_err_clear(&err);
		rc = parse_len(doc, n, NULL, &o, &err);
		if (rc == 0)
			json_object_put(o);
		else
			ck_assert_msg(strncmp(err.msg, "line ", 5) == 0, "prefix %zu: %s", n, err.msg);
	}
}
END_TEST

/* ---- tags survive copies ------------------------------------------------------------------ */

START_TEST(test_tags_survive)
{
	json_object *d = parse_ok("[x]\nd = 1979-05-27\nt = [07:32:00]\ns = \"plain\"\n");
	json_object *copy, *holder, *dd;

	copy = pcb_toml_deep_copy(d);
	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(pcb_toml_type_of(get(copy, "x/d")), PCB_TOML_DATE_LOCAL);
	ck_assert_int_eq(pcb_toml_type_of(get(copy, "x/t/0")), PCB_TOML_TIME_LOCAL);
	ck_assert_int_eq(pcb_toml_type_of(get(copy, "x/s")), PCB_TOML_NONE);
	ck_assert_int_eq(json_object_equal(d, copy), 1);

	/* Moved into another tree and the original released: still tagged, no leak. */
	dd = json_object_get(get(d, "x/d"));
	holder = json_object_new_object();
	json_object_object_add(holder, "moved", dd);
	json_object_put(d);
	ck_assert_int_eq(pcb_toml_type_of(json_object_object_get(holder, "moved")),
	    PCB_TOML_DATE_LOCAL);
	ck_assert_str_eq(json_object_to_json_string_ext(holder, JSON_C_TO_STRING_PLAIN),
	    "{\"moved\":\"1979-05-27\"}");
	json_object_put(holder);

	/* pcb_toml_shallow_copy works with json_object_deep_copy directly too. */
	holder = NULL;
	ck_assert_int_eq(json_object_deep_copy(copy, &holder, pcb_toml_shallow_copy), 0);
	ck_assert_int_eq(pcb_toml_type_of(get(holder, "x/t/0")), PCB_TOML_TIME_LOCAL);
	json_object_put(holder);
	json_object_put(copy);
}
END_TEST

/* ---- real pyproject.toml files ------------------------------------------------------------ */

START_TEST(test_pyproject_pep621)
{
	char *dir = pcb_test_tmpdir(), *path;
	struct pcb_err err;
	json_object *d = NULL;

	pcb_test_write(dir, "pyproject.toml",
	    "[build-system]\n"
	    "requires = [\"setuptools>=61.0\", \"wheel\"]\n"
	    "build-backend = \"setuptools.build_meta\"\n"
	    "\n"
	    "[project]\n"
	    "name = \"hello-app\"\n"
	    "version = \"0.3.1\"\n"
	    "description = \"A small web app\"\n"
	    "readme = \"README.md\"\n"
	    "requires-python = \">=3.9\"\n"
	    "license = {text = \"MIT\"}\n"
	    "authors = [\n"
	    "  {name = \"Jane Doe\", email = \"jane@example.org\"},\n"
	    "]\n"
	    "classifiers = [\n"
	    "    \"Programming Language :: Python :: 3\",\n"
	    "    \"License :: OSI Approved :: MIT License\",\n"
	    "]\n"
	    "dependencies = [\n"
	    "    \"flask>=2.0,<3\",\n"
	    "    'importlib-metadata; python_version<\"3.10\"',\n"
	    "]\n"
	    "\n"
	    "[project.optional-dependencies]\n"
	    "test = [\"pytest>=7\", \"pytest-cov\"]\n"
	    "\n"
	    "[project.scripts]\n"
	    "hello = \"hello_app.cli:main\"\n"
	    "hello-admin = \"hello_app.admin:run\"\n"
	    "\n"
	    "[project.urls]\n"
	    "Homepage = \"https://example.org/hello\"\n"
	    "\"Bug Tracker\" = \"https://example.org/hello/issues\"\n"
	    "\n"
	    "[tool.setuptools.packages.find]\n"
	    "where = [\"src\"]\n"
	    "\n"
	    "[tool.pytest.ini_options]\n"
	    "addopts = \"-ra -q\"\n"
	    "testpaths = [\n    \"tests\",\n]\n",
	    0644);
	path = pcb_path_join(dir, "pyproject.toml");
	pcb_err_clear(&err);
	ck_assert_msg(pcb_toml_parse_file(path, &d, &err) == 0, "%s", err.msg);
	check_str(d, "build-system/build-backend", "setuptools.build_meta");
	check_str(d, "project/name", "hello-app");
	check_str(d, "project/license/text", "MIT");
	check_str(d, "project/authors/0/email", "jane@example.org");
	check_str(d, "project/dependencies/1", "importlib-metadata; python_version<\"3.10\"");
	check_str(d, "project/optional-dependencies/test/1", "pytest-cov");
	check_keys(d, "project/scripts", "hello,hello-admin");
	check_str(d, "project/scripts/hello", "hello_app.cli:main");
	check_str(d, "project/urls/Bug Tracker", "https://example.org/hello/issues");
	check_str(d, "tool/setuptools/packages/find/where/0", "src");
	check_str(d, "tool/pytest/ini_options/testpaths/0", "tests");
	json_object_put(d);

	/* An error in a file names the file. */
	pcb_test_write(dir, "pyproject.toml", "[project]\nname = \"x\"\nname = \"y\"\n", 0644);
	d = NULL;
	ck_assert_int_eq(pcb_toml_parse_file(path, &d, &err), PCB_EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_msg(pcb_str_has_prefix(err.msg, path) && strstr(err.msg, ": line 3, column 1: "),
	    "%s", err.msg);
	free(path);

	/* A missing file is an error naming it, not a crash. */
	path = pcb_path_join(dir, "missing.toml");
	ck_assert_int_eq(pcb_toml_parse_file(path, &d, &err), PCB_ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing.toml"));
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_pyproject_poetry)
{
	json_object *d = parse_ok(
	    "[tool.poetry]\n"
	    "name = \"poetry-demo\"\n"
	    "version = \"0.1.0\"\n"
	    "description = \"\"\n"
	    "authors = [\"Sébastien Eustace <sebastien@eustace.io>\"]\n"
	    "readme = \"README.md\"\n"
	    "packages = [{include = \"poetry_demo\", from = \"src\"}]\n"
	    "\n"
	    "[tool.poetry.dependencies]\n"
	    "python = \"^3.9\"\n"
	    "requests = \"^2.31.0\"\n"
	    "uvicorn = {extras = [\"standard\"], version = \"^0.23.2\"}\n"
	    "pendulum = { git = \"https://github.com/sdispater/pendulum.git\", branch = \"develop\" }\n"
	    "\n"
	    "[tool.poetry.group.dev.dependencies]\n"
	    "pytest = \"^7.4\"\n"
	    "\n"
	    "[tool.poetry.scripts]\n"
	    "demo = 'poetry_demo.main:app'\n"
	    "\n"
	    "[[tool.poetry.source]]\n"
	    "name = \"private\"\n"
	    "url = \"https://pypi.example.org/simple/\"\n"
	    "priority = \"supplemental\"\n"
	    "\n"
	    "[build-system]\n"
	    "requires = [\"poetry-core\"]\n"
	    "build-backend = \"poetry.core.masonry.api\"\n");

	check_str(d, "tool/poetry/authors/0", "Sébastien Eustace <sebastien@eustace.io>");
	check_str(d, "tool/poetry/packages/0/from", "src");
	check_str(d, "tool/poetry/dependencies/uvicorn/extras/0", "standard");
	check_str(d, "tool/poetry/dependencies/pendulum/branch", "develop");
	check_str(d, "tool/poetry/group/dev/dependencies/pytest", "^7.4");
	check_str(d, "tool/poetry/scripts/demo", "poetry_demo.main:app");
	check_str(d, "tool/poetry/source/0/priority", "supplemental");
	check_keys(d, NULL, "tool,build-system");
	json_object_put(d);
}
END_TEST

START_TEST(test_pyproject_hatch)
{
	json_object *d = parse_ok(
	    "[build-system]\r\n"
	    "requires = [\"hatchling\"]\r\n"
	    "build-backend = \"hatchling.build\"\r\n"
	    "\r\n"
	    "[project]\r\n"
	    "name = \"hatch-demo\"\r\n"
	    "dynamic = [\"version\"]\r\n"
	    "dependencies = [\"click~=8.1\", \"rich>=13\"]\r\n"
	    "\r\n"
	    "[project.scripts]\r\n"
	    "hatch-demo = \"hatch_demo.cli:hatch_demo\"\r\n"
	    "\r\n"
	    "[project.gui-scripts]\r\n"
	    "hatch-demo-gui = \"hatch_demo.gui:main\"\r\n"
	    "\r\n"
	    "[project.entry-points.\"hatch_demo.plugins\"]\r\n"
	    "extra = \"hatch_demo.plugins.extra\"\r\n"
	    "\r\n"
	    "[tool.hatch.version]\r\n"
	    "path = \"src/hatch_demo/__about__.py\"\r\n"
	    "\r\n"
	    "[tool.hatch.envs.default]\r\n"
	    "dependencies = [\r\n  \"coverage[toml]>=6.5\",\r\n  \"pytest\",\r\n]\r\n"
	    "[tool.hatch.envs.default.scripts]\r\n"
	    "test = \"pytest {args:tests}\"\r\n"
	    "cov = [\r\n  \"test-cov\",\r\n  \"cov-report\",\r\n]\r\n"
	    "\r\n"
	    "[[tool.hatch.envs.all.matrix]]\r\n"
	    "python = [\"3.8\", \"3.9\", \"3.10\", \"3.11\", \"3.12\"]\r\n"
	    "\r\n"
	    "[tool.coverage.run]\r\n"
	    "source_pkgs = [\"hatch_demo\", \"tests\"]\r\n"
	    "branch = true\r\n"
	    "omit = [\r\n  \"src/hatch_demo/__about__.py\",\r\n]\r\n"
	    "[tool.coverage.report]\r\n"
	    "exclude_lines = [\"no cov\", \"if __name__ == .__main__.:\"]\r\n");

	check_str(d, "project/dynamic/0", "version");
	check_str(d, "project/scripts/hatch-demo", "hatch_demo.cli:hatch_demo");
	check_str(d, "project/gui-scripts/hatch-demo-gui", "hatch_demo.gui:main");
	check_str(d, "project/entry-points/hatch_demo.plugins/extra", "hatch_demo.plugins.extra");
	check_str(d, "tool/hatch/envs/default/scripts/cov/1", "cov-report");
	check_len(d, "tool/hatch/envs/all/matrix/0/python", 5);
	check_bool(d, "tool/coverage/run/branch", true);
	check_str(d, "tool/coverage/report/exclude_lines/1", "if __name__ == .__main__.:");
	json_object_put(d);
}
END_TEST

START_TEST(test_fixture_files)
{
	static const char *const files[] = { "spec-example.toml", "spec-tables.toml",
	    "spec-values.toml" };
	struct pcb_err err;
	json_object *d;
	size_t k;

	for (k = 0; k < PCB_ARRAY_LEN(files); k++) {
		char *dir = pcb_path_join(pcb_test_source_dir(), "tests/toml");
		char *path = pcb_path_join(dir, files[k]);

		d = NULL;
		pcb_err_clear(&err);
		ck_assert_msg(pcb_toml_parse_file(path, &d, &err) == 0, "%s", err.msg);
		if (k == 0) {
			check_dt(d, "owner/dob", PCB_TOML_DATETIME, "1979-05-27T07:32:00-08:00");
			check_int(d, "servers/beta/i/0", 0xdeadbeef);
			check_int(d, "servers/beta/a/b/c.d", 1);
		} else if (k == 1) {
			check_str(d, "fruits/1/varieties/0/name", "plantain");
			check_str(d, "fruits/1/varieties/0/animal/type/name", "pug");
		} else {
			check_str(d, "winpath2", "\\\\ServerX\\admin$\\system32\\");
			check_str(d, "3/14159", "pi");
		}
		json_object_put(d);
		free(path);
		free(dir);
	}
}
END_TEST

/* ---- source positions --------------------------------------------------------------------- */

/* Line of the '/'-separated path in locs (column into *col). */
static int
loc_of(const struct pcb_toml_locs *locs, const char *slashed, int *col)
{
	char *copy = pcb_xstrdup(slashed), *save = NULL, *tok;
	const char *parts[32];
	size_t n = 0;
	int line;

	for (tok = strtok_r(copy, "/", &save); tok != NULL && n < 32; tok = strtok_r(NULL, "/", &save))
		parts[n++] = tok;
	line = pcb_toml_locs_line(locs, parts, n, col);
	free(copy);
	return line;
}

static void
check_loc(const struct pcb_toml_locs *locs, const char *path, int line, int col)
{
	int got_col = -1, got = loc_of(locs, path, &got_col);

	ck_assert_msg(got == line && (col < 0 || got_col == col),
	    "%s: expected line %d column %d, got line %d column %d", path, line, col, got, got_col);
}

START_TEST(test_locs)
{
	static const char doc[] =
	    "# a pyproject\n"                                 /* 1 */
	    "title = \"x\"\n"                                 /* 2 */
	    "[project]\n"                                     /* 3 */
	    "name = \"demo\"\n"                               /* 4 */
	    "dependencies = [\n"                              /* 5 */
	    "  \"a\",\n"                                      /* 6 */
	    "  \"b\",\n"                                      /* 7 */
	    "]\n"                                             /* 8 */
	    "[project.scripts]\n"                             /* 9 */
	    "hello = \"pkg:main\"\n"                          /* 10 */
	    "[tool.poetry.dependencies]\n"                    /* 11 */
	    "python = \"^3.11\"\n"                            /* 12 */
	    "[ tool ]\n"                                      /* 13 */
	    "x.y . z = 1\n"                                   /* 14 */
	    "x.w = 2\n"                                       /* 15 */
	    "inl = { a = 1, b.c = { d = 2 } , \"é\" = [{ q = 1 }] }\n"   /* 16 */
	    "[[bin]]\n"                                       /* 17 */
	    "name = \"one\"\n"                                /* 18 */
	    "  [[bin]]\r\n"                                   /* 19 */
	    "name = \"two\"\n"                                /* 20 */
	    "[bin.sub]\n"                                     /* 21 */
	    "k = 1\n"                                         /* 22 */
	    "[[bin.sub.list]]\n"                              /* 23 */
	    "[[bin.sub.list]]\n"                              /* 24 */
	    "v = 'w'\n";                                      /* 25 */
	struct pcb_toml_locs *locs = NULL;
	struct pcb_err err;
	json_object *d = NULL, *plain = NULL;
	const char *p1[] = { "project", "name" };
	int col = -1;

	pcb_err_clear(&err);
	ck_assert_msg(pcb_toml_parse_locs(doc, strlen(doc), "t.toml", &d, &locs, &err) == 0, "%s",
	    err.msg);
	ck_assert_ptr_nonnull(locs);
	/* Same tree as without positions. */
	ck_assert_int_eq(pcb_toml_parse(doc, strlen(doc), NULL, &plain, &err), 0);
	ck_assert_str_eq(json_object_to_json_string(d), json_object_to_json_string(plain));

	check_loc(locs, "title", 2, 1);
	check_loc(locs, "project", 3, 2);
	check_loc(locs, "project/name", 4, 1);
	check_loc(locs, "project/dependencies", 5, 1);
	check_loc(locs, "project/dependencies/0", 6, 3);
	check_loc(locs, "project/dependencies/1", 7, 3);
	check_loc(locs, "project/scripts", 9, 10);
	check_loc(locs, "project/scripts/hello", 10, 1);
	/* Implicit parents count from the first header naming them until [tool] defines it. */
	check_loc(locs, "tool/poetry", 11, 7);
	check_loc(locs, "tool/poetry/dependencies", 11, 14);
	check_loc(locs, "tool/poetry/dependencies/python", 12, 1);
	check_loc(locs, "tool", 13, 3);
	/* Dotted keys: each prefix where it was first written. */
	check_loc(locs, "tool/x", 14, 1);
	check_loc(locs, "tool/x/y", 14, 3);
	check_loc(locs, "tool/x/y/z", 14, 7);
	check_loc(locs, "tool/x/w", 15, 3);
	/* Inline tables, nested, and arrays in them; columns count characters. */
	check_loc(locs, "tool/inl", 16, 1);
	check_loc(locs, "tool/inl/a", 16, 9);
	check_loc(locs, "tool/inl/b/c", 16, 18);
	check_loc(locs, "tool/inl/b/c/d", 16, 24);
	check_loc(locs, "tool/inl/é", 16, 34);
	check_loc(locs, "tool/inl/é/0", 16, 41);
	check_loc(locs, "tool/inl/é/0/q", 16, 43);
	/* Arrays of tables: the array at its first header, entries by index. */
	check_loc(locs, "bin", 17, 3);
	check_loc(locs, "bin/0", 17, 1);
	check_loc(locs, "bin/0/name", 18, 1);
	check_loc(locs, "bin/1", 19, 3);
	check_loc(locs, "bin/1/name", 20, 1);
	check_loc(locs, "bin/1/sub", 21, 6);
	check_loc(locs, "bin/1/sub/k", 22, 1);
	check_loc(locs, "bin/1/sub/list", 23, 11);
	check_loc(locs, "bin/1/sub/list/1", 24, 1);
	check_loc(locs, "bin/1/sub/list/1/v", 25, 1);
	/* Unknown paths. */
	check_loc(locs, "bin/2", 0, 0);
	check_loc(locs, "bin/0/sub", 0, 0);
	check_loc(locs, "project/nope", 0, 0);
	check_loc(locs, "nope", 0, 0);
	ck_assert_int_eq(pcb_toml_locs_line(locs, p1, 2, NULL), 4);
	ck_assert_int_eq(pcb_toml_locs_line(locs, p1, 0, &col), 0);
	ck_assert_int_eq(col, 0);
	ck_assert_int_eq(pcb_toml_locs_line(NULL, p1, 2, &col), 0);
	pcb_toml_locs_destroy(locs);
	pcb_toml_locs_destroy(NULL);
	json_object_put(d);
	json_object_put(plain);
}
END_TEST

START_TEST(test_locs_failure_and_file)
{
	struct pcb_toml_locs *locs = (struct pcb_toml_locs *)&locs; /* must stay untouched */
	char *dir = pcb_test_tmpdir(), *path;
	const char *p2[] = { "project", "version" };
	struct pcb_err err;
	json_object *d = NULL;
	int col = 0;

	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_toml_parse_locs("a = 1\na = 2\n", 12, NULL, &d, &locs, &err),
	    PCB_EINVAL);
	ck_assert_ptr_eq(locs, (struct pcb_toml_locs *)&locs);
	ck_assert_ptr_null(d);

	pcb_test_write(dir, "pyproject.toml", "[project]\nname = 'x'\n\n  version = 3\n", 0644);
	path = pcb_path_join(dir, "pyproject.toml");
	locs = NULL;
	ck_assert_msg(pcb_toml_parse_file_locs(path, &d, &locs, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(pcb_toml_locs_line(locs, p2, 2, &col), 4);
	ck_assert_int_eq(col, 3);
	pcb_toml_locs_destroy(locs);
	json_object_put(d);
	d = NULL;
	locs = NULL;
	pcb_test_write(dir, "pyproject.toml", "[project]\nname = \n", 0644);
	ck_assert_int_eq(pcb_toml_parse_file_locs(path, &d, &locs, &err), PCB_EINVAL);
	ck_assert_ptr_null(locs);
	ck_assert_msg(strstr(err.msg, "pyproject.toml: line 2") != NULL, "%s", err.msg);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* One very long line of keys: positions stay linear (the cursor never rescans the line). */
START_TEST(test_locs_long_line)
{
	enum { N = 200000 };
	struct pcb_buf b;
	struct pcb_toml_locs *locs = NULL;
	struct pcb_err err;
	json_object *d = NULL;
	const char *path[2] = { "t", NULL };
	char key[16];
	size_t k, col_last = 0;
	int col = 0;

	pcb_buf_init(&b, 16 << 20);
	ck_assert_int_eq(pcb_buf_append(&b, "t = {", 5), 0);
	for (k = 0; k < N; k++) {
		if (k == N - 1)
			col_last = b.len + 3;   /* 1-based, after ", " */
		ck_assert_int_eq(pcb_buf_appendf(&b, "%sk%zu = %zu", k ? ", " : " ", k, k), 0);
	}
	ck_assert_int_eq(pcb_buf_append(&b, " }\n", 3), 0);
	pcb_err_clear(&err);
	ck_assert_msg(pcb_toml_parse_locs(b.data, b.len, NULL, &d, &locs, &err) == 0, "%s", err.msg);
	snprintf(key, sizeof key, "k%d", N - 1);
	path[1] = key;
	ck_assert_int_eq(pcb_toml_locs_line(locs, path, 2, &col), 1);
	ck_assert_int_eq(col, (int)col_last);
	path[1] = "k0";
	ck_assert_int_eq(pcb_toml_locs_line(locs, path, 2, &col), 1);
	ck_assert_int_eq(col, 7);
	pcb_toml_locs_destroy(locs);
	json_object_put(d);
	pcb_buf_free(&b);
}
END_TEST

/* ---- fuzz regressions --------------------------------------------------------------------- */

/* Every input in tests/fuzz/regressions/toml/ (crashes `make fuzz` found, and hand-made nasty
 * seeds) either parses or is rejected with a positioned message; with positions asked for the
 * outcome is the same. Run under `make check SAN=1` / valgrind this is the replay. */
START_TEST(test_fuzz_regressions)
{
	char *dir = pcb_path_join(pcb_test_source_dir(), "tests/fuzz/regressions/toml");
	struct pcb_strv names;
	struct dirent *e;
	size_t k;
	DIR *d;

	pcb_strv_init(&names);
	d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: cannot open", dir);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && !pcb_str_has_prefix(e->d_name, "README"))
			pcb_strv_push(&names, e->d_name);
	closedir(d);
	pcb_strv_sort(&names);
	ck_assert_msg(names.n > 0, "%s holds no inputs", dir);
	for (k = 0; k < names.n; k++) {
		char *path = pcb_path_join(dir, names.v[k]), *data = NULL;
		struct pcb_toml_locs *locs = NULL;
		json_object *doc = NULL, *doc2 = NULL, *tagged;
		struct pcb_err err, err2;
		size_t len = 0;
		int rc, rc2;

		pcb_err_clear(&err);
		pcb_err_clear(&err2);
		/* Read with room to spare so an oversized input reaches the reader's own check. */
		ck_assert_msg(pcb_read_file(path, (size_t)PCB_TOML_MAX_SIZE + 1, &data, &len, &err) == 0,
		    "%s", err.msg);
		rc = parse_len(data, len, NULL, &doc, &err);
		if (rc == 0) {
			tagged = pcb_toml_to_tagged(doc);
			ck_assert_ptr_nonnull(tagged);
			json_object_put(tagged);
		} else {
			ck_assert_msg(rc == PCB_EINVAL || rc == PCB_ETOOBIG, "%s: rc %d", names.v[k], rc);
			ck_assert_msg(err.msg[0] != '\0', "%s: failure without a message", names.v[k]);
			ck_assert_msg(rc != PCB_EINVAL || strncmp(err.msg, "line ", 5) == 0,
			    "%s: message without a position: %s", names.v[k], err.msg);
		}
		rc2 = pcb_toml_parse_locs(data, len, NULL, &doc2, &locs, &err2);
		ck_assert_msg(rc2 == rc, "%s: %d with positions, %d without", names.v[k], rc2, rc);
		ck_assert_str_eq(err2.msg, err.msg);
		if (rc == 0)
			ck_assert_str_eq(json_object_to_json_string(doc2), json_object_to_json_string(doc));
		pcb_toml_locs_destroy(locs);
		json_object_put(doc2);
		json_object_put(doc);
		free(data);
		free(path);
	}
	pcb_strv_free(&names);
	free(dir);
}
END_TEST

/* ---- the decoder binary ------------------------------------------------------------------- */

START_TEST(test_decoder_binary)
{
	char *dir = pcb_test_tmpdir(), *out = NULL, *dec;
	json_object *got, *want;
	int rc;

	dec = pcb_path_join(pcb_test_build_dir(), "pcb-toml-decode");
	ck_assert_msg(access(dec, X_OK) == 0, "%s is not built", dec);
	pcb_test_write(dir, "ok.toml",
	    "s = \"a\\u0000\\\"b\"\ni = -42\nf = [0.1, 1e300, -inf, nan, -0.0, 5e-324]\n"
	    "b = false\nodt = 1979-05-27 07:32:00Z\nldt = 1979-05-27T07:32:00.5\n"
	    "ld = 1979-05-27\nlt = 07:32:00\n[t]\n[[aot]]\nx = 1\n", 0644);
	rc = pcb_test_runf(&out, "'%s' < '%s/ok.toml'", dec, dir);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	got = json_tokener_parse(out);
	ck_assert_msg(got != NULL, "not JSON: %s", out);
	want = json_tokener_parse(
	    "{\"s\":{\"type\":\"string\",\"value\":\"a\\u0000\\\"b\"},"
	    "\"i\":{\"type\":\"integer\",\"value\":\"-42\"},"
	    "\"f\":[{\"type\":\"float\",\"value\":\"0.1\"},{\"type\":\"float\",\"value\":\"1e+300\"},"
	    "{\"type\":\"float\",\"value\":\"-inf\"},{\"type\":\"float\",\"value\":\"nan\"},"
	    "{\"type\":\"float\",\"value\":\"-0\"},{\"type\":\"float\",\"value\":\"5e-324\"}],"
	    "\"b\":{\"type\":\"bool\",\"value\":\"false\"},"
	    "\"odt\":{\"type\":\"datetime\",\"value\":\"1979-05-27T07:32:00Z\"},"
	    "\"ldt\":{\"type\":\"datetime-local\",\"value\":\"1979-05-27T07:32:00.5\"},"
	    "\"ld\":{\"type\":\"date-local\",\"value\":\"1979-05-27\"},"
	    "\"lt\":{\"type\":\"time-local\",\"value\":\"07:32:00\"},"
	    "\"t\":{},\"aot\":[{\"x\":{\"type\":\"integer\",\"value\":\"1\"}}]}");
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(got, want), "got %s", out);
	json_object_put(got);
	json_object_put(want);
	free(out);

	/* A key holding U+0000 comes out as the JSON escape (json-c would cut it at the NUL, so
	 * the text is checked). */
	pcb_test_write(dir, "nul.toml", "\"a\\u0000b\" = 1\n", 0644);
	out = NULL;
	rc = pcb_test_runf(&out, "'%s' < '%s/nul.toml'", dec, dir);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	ck_assert_str_eq(out, "{\"a\\u0000b\":{\"type\":\"integer\",\"value\":\"1\"}}\n");
	free(out);

	pcb_test_write(dir, "bad.toml", "a = 1\n[a]\n", 0644);
	out = NULL;
	rc = pcb_test_runf(&out, "'%s' < '%s/bad.toml'", dec, dir);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "line 2, column 2: ") != NULL, "%s", out);
	free(out);
	free(dec);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
toml_suite(void)
{
	Suite *s = suite_create("toml");
	TCase *tc = tcase_create("spec");

	tcase_add_test(tc, test_spec_example_document);
	tcase_add_test(tc, test_spec_comments_keyvalue);
	tcase_add_test(tc, test_spec_dotted_keys);
	tcase_add_test(tc, test_spec_strings);
	tcase_add_test(tc, test_string_nul_escape);
	tcase_add_test(tc, test_spec_integers);
	tcase_add_test(tc, test_spec_floats);
	tcase_add_test(tc, test_spec_booleans_datetimes);
	tcase_add_test(tc, test_spec_arrays);
	tcase_add_test(tc, test_spec_tables);
	tcase_add_test(tc, test_spec_inline_tables);
	tcase_add_test(tc, test_spec_array_of_tables);
	tcase_add_test(tc, test_newlines_and_bom);
	tcase_add_loop_test(tc, test_invalid, 0, (int)PCB_ARRAY_LEN(bad_docs));
	tcase_add_test(tc, test_error_columns_and_name);
	tcase_add_test(tc, test_nul_keys);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_truncations_never_overrun);
	tcase_add_test(tc, test_tags_survive);
	tcase_add_test(tc, test_pyproject_pep621);
	tcase_add_test(tc, test_pyproject_poetry);
	tcase_add_test(tc, test_pyproject_hatch);
	tcase_add_test(tc, test_fixture_files);
	tcase_add_test(tc, test_decoder_binary);
	tcase_add_test(tc, test_locs);
	tcase_add_test(tc, test_locs_failure_and_file);
	tcase_add_test(tc, test_locs_long_line);
	tcase_add_test(tc, test_fuzz_regressions);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(toml_suite());
}
