/* test-pep508.c — PEP 440 versions (the PEP's ordering examples, normalised spellings,
 * invalid ones), specifiers (~=, wildcards, local labels, the pre/post-release rules of < and
 * >, pre-release admission), PEP 508 markers (precedence, parentheses, in / not in, extras and
 * dependency groups, unknown variables, faults with their column) and requirement lines. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python/pep508.h"
#include "python/wheel.h"
#include "testutil.h"

/* ---- versions ------------------------------------------------------------------------------- */

/* PEP 440's own ordering example, then epochs; each sorts strictly before the next. */
static const char *const ordered[] = {
	"1.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
	"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456",
	"1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456",
	"1.0.15", "1.1.dev1", "1.1", "1.2", "1.10", "2013.10", "1!0.1", "1!1.0", "2!0.0.1",
};

START_TEST(test_version_order)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(ordered); i++) {
		ck_assert_msg(pcb_version_valid(ordered[i]), "%s should be valid", ordered[i]);
		ck_assert_int_eq(pcb_version_cmp(ordered[i], ordered[i]), 0);
		for (size_t j = i + 1; j < PCB_ARRAY_LEN(ordered); j++) {
			ck_assert_msg(pcb_version_cmp(ordered[i], ordered[j]) < 0, "%s < %s",
			    ordered[i], ordered[j]);
			ck_assert_msg(pcb_version_cmp(ordered[j], ordered[i]) > 0, "%s > %s",
			    ordered[j], ordered[i]);
		}
	}
}
END_TEST

/* Spellings that normalise to the same version. */
static const char *const equal_pairs[][2] = {
	{ "1.0-RC1", "1.0rc1" }, { "v1.0", "1.0" }, { "V1.0", "1.0" }, { "1.0.post", "1.0.post0" },
	{ "1.0-1", "1.0.post1" }, { "1.0alpha1", "1.0a1" }, { "1.0c1", "1.0rc1" },
	{ "1.0pre1", "1.0rc1" }, { "1.0preview1", "1.0rc1" }, { "1.0beta2", "1.0b2" },
	{ "1.0.0", "1" }, { "1.0-dev", "1.0.dev0" }, { "1.0_a_1", "1.0a1" },
	{ "1.0+ubuntu-1", "1.0+ubuntu.1" }, { "1.0+ubuntu_1", "1.0+ubuntu.1" },
	{ "1.0r1", "1.0.post1" }, { "1.0rev1", "1.0.post1" }, { "1.0-post-1", "1.0.post1" },
	{ " 1.0 ", "1.0" }, { "1.0+AbC", "1.0+abc" }, { "1.0+01", "1.0+1" }, { "0!1.0", "1.0" },
	{ "01.02", "1.2" }, { "1.0a", "1.0a0" }, { "1.0.dev", "1.0.dev0" },
	{ "1.0a.post1", "1.0a0.post1" },
};

START_TEST(test_version_normalised_equal)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(equal_pairs); i++)
		ck_assert_msg(pcb_version_cmp(equal_pairs[i][0], equal_pairs[i][1]) == 0,
		    "'%s' == '%s'", equal_pairs[i][0], equal_pairs[i][1]);
}
END_TEST

static const char *const invalid_versions[] = {
	"", " ", "a", "1.0.", "1..0", "1.0+", "1.0+a..b", "1.0-", "1.0a1b1", "1.0 .post1", "1!",
	"!1", "1.0.*", "1.0+a+b", "1.0-foo", "1.0 1", "99999999999999999999",
};

START_TEST(test_version_invalid)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(invalid_versions); i++) {
		ck_assert_msg(!pcb_version_valid(invalid_versions[i]), "'%s' should be invalid",
		    invalid_versions[i]);
		/* Invalid sorts before valid, equal to itself. */
		ck_assert_int_lt(pcb_version_cmp(invalid_versions[i], "0"), 0);
		ck_assert_int_gt(pcb_version_cmp("0.dev0", invalid_versions[i]), 0);
		ck_assert_int_eq(pcb_version_cmp(invalid_versions[i], invalid_versions[i]), 0);
	}
	ck_assert_int_ne(pcb_version_cmp("foo", "bar"), 0);
}
END_TEST

/* ---- specifiers ----------------------------------------------------------------------------- */

struct spec_case {
	const char *spec;
	const char *version;
	bool allow_pre;
	bool match;
};

static const struct spec_case spec_cases[] = {
	{ "", "1.0", false, true },
	{ "", "1.0rc1", false, false },
	{ "", "1.0rc1", true, true },
	{ ">=3.8,<4", "3.11", false, true },
	{ ">=3.8, <4", "4.0", false, false },
	{ " >= 3.8 , < 4 ", "3.7.9", false, false },
	/* ~= : compatible release. */
	{ "~=1.4.2", "1.4.5", false, true },
	{ "~=1.4.2", "1.4.2", false, true },
	{ "~=1.4.2", "1.5.0", false, false },
	{ "~=1.4.2", "1.4.1", false, false },
	{ "~=1.4", "1.9", false, true },
	{ "~=1.4", "2.0", false, false },
	{ "~=2.2.post3", "2.2.post3", false, true },
	{ "~=2.2.post3", "2.3", false, true },
	{ "~=2.2.post3", "2.2", false, false },
	{ "~=2.2.post3", "3.0", false, false },
	{ "~=1.4.5a4", "1.4.5a4", false, true },      /* names a pre-release */
	{ "~=1.4.5a4", "1.4.5", false, true },
	{ "~=1.4.5a4", "1.4.6a1", false, true },
	{ "~=1.4.5", "1.4.6a1", false, false },
	{ "~=1.4.5", "1.4.6+local", false, true },
	{ "~=1!1.4", "1!1.5", false, true },
	{ "~=1!1.4", "1.5", false, false },
	/* == and != with wildcards and local labels. */
	{ "==1.*", "1.9.2", false, true },
	{ "==1.*", "1", false, true },
	{ "==1.*", "2.0", false, false },
	{ "==1.*", "1!1.0", false, false },
	{ "==1.1.*", "1.1", false, true },
	{ "==1.1.*", "1.1.0.post1", false, true },
	{ "==1.1.*", "1.10", false, false },
	{ "==1.0.*", "1.0a1", false, false },         /* pre-release not named */
	{ "==1.0.*", "1.0a1", true, true },
	{ "!=1.*", "1.5", false, false },
	{ "!=1.*", "2.0", false, true },
	{ "==1.0", "1.0+local", false, true },
	{ "==1.0", "1.0.0", false, true },
	{ "==1.0+local", "1.0", false, false },
	{ "==1.0+local", "1.0+local", false, true },
	{ "==1.0+local", "1.0+other", false, false },
	{ "!=2.0", "2.0", false, false },
	{ "!=2.0", "2.0.0", false, false },
	{ "!=2.0", "2.0+build", false, false },
	{ "!=2.0", "2.1", false, true },
	{ "==1.0rc1", "1.0rc1", false, true },
	/* === is string equality. */
	{ "===1.0", "1.0", false, true },
	{ "===1.0", "1.0.0", false, false },
	{ "===foobar", "FooBar", false, true },
	{ "===foobar", "foo", false, false },
	/* <= / >= ignore the candidate's local label. */
	{ "<=2.0", "2.0+local", false, true },
	{ ">=2.0", "2.0+local", false, true },
	{ ">=1.0rc1", "1.0rc2", false, true },
	{ ">=1.0", "1.1rc1", false, false },
	{ ">=1.0", "1.1rc1", true, true },
	/* < excludes pre-releases of the version itself, even when they are allowed. */
	{ "<2.0", "2.0a1", true, false },
	{ "<2.0", "2.0.dev1", true, false },
	{ "<2.0", "1.9a1", true, true },
	{ "<2.0", "1.9a1", false, false },
	{ "<2.0", "1.9", false, true },
	{ "<2.0", "2.0", false, false },
	{ "<2.0a2", "2.0a1", false, true },
	{ "<2.0.0", "2.0rc1", true, false },
	/* > excludes post-releases and local versions of the version itself. */
	{ ">1.7", "1.7.1", false, true },
	{ ">1.7", "1.7.post2", false, false },
	{ ">1.7", "1.7+local", false, false },
	{ ">1.7.post2", "1.7.post3", false, true },
	{ ">1.7.post2", "1.7.post2", false, false },
	{ ">1.7", "1.8", false, true },
	{ ">1.7", "1.7", false, false },
	{ ">=1.0", "1!0.1", false, true },
	/* An invalid candidate matches nothing but ===. */
	{ ">=1.0", "not-a-version", false, false },
	{ "===not-a-version", "not-a-version", false, true },
};

START_TEST(test_specifier_table)
{
	const struct spec_case *c = &spec_cases[_i];
	struct pcb_err err;
	bool m = !c->match;

	pcb_err_clear(&err);
	ck_assert_msg(pcb_specifier_match(c->spec, c->version, c->allow_pre, &m, &err) == 0,
	    "'%s': %s", c->spec, err.msg);
	ck_assert_msg(m == c->match, "'%s' vs '%s' (allow_pre %d): expected %d", c->spec,
	    c->version, c->allow_pre, c->match);
}
END_TEST

static const char *const bad_specs[] = {
	"~=1", ">=1.0+local", "~=1.0+local", "=>1.0", ">=", "==1.*.1", "1.0", ">=1.0,",
	"~=1.*", "<1.*", ">=1.0 2.0", "==", "==1.0.*+local", ",>=1",
};

START_TEST(test_specifier_bad)
{
	struct pcb_err err;
	bool m = true;

	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_specifier_match(bad_specs[_i], "1.0", true, &m, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "specifier") != NULL, "message: %s", err.msg);
	ck_assert_msg(m, "out untouched on error");
}
END_TEST

/* ---- markers -------------------------------------------------------------------------------- */

struct marker_case {
	const char *marker;
	bool x86;
	bool expect;
};

static const struct marker_case marker_cases[] = {
	{ "python_version >= '3.8'", true, true },
	{ "python_version < '3.10'", true, false },
	{ "python_version > '3.9' and sys_platform == 'linux'", true, true },
	{ "python_version>'3.9'and sys_platform=='linux'", true, true },
	/* and binds tighter than or. */
	{ "sys_platform == 'linux' or python_version >= '3.12' and os_name == 'nt'", true, true },
	{ "os_name == 'nt' and python_version >= '3.12' or sys_platform == 'linux'", true, true },
	{ "(sys_platform == 'linux' or python_version >= '3.12') and os_name == 'nt'", true, false },
	{ "python_version < '3.11' and (os_name == 'nt' or (sys_platform == 'linux'))", true, false },
	{ "((python_version >= '3.11'))", true, true },
	/* in / not in are substring tests on strings. */
	{ "'linux' in sys_platform", true, true },
	{ "'win' not in sys_platform", true, true },
	{ "'x86' in platform_machine", true, true },
	{ "'x86' in platform_machine", false, false },
	{ "platform_machine == 'aarch64'", true, false },
	{ "platform_machine == 'aarch64'", false, true },
	{ "platform_machine != 'aarch64' and platform_machine != 'arm64'", true, true },
	{ "python_full_version >= '3.11.0'", true, true },
	{ "python_full_version < '3.11.1'", true, true },
	{ "python_full_version < '3.11'", true, false },
	{ "python_version ~= '3.10'", true, true },
	{ "python_version == '3.*'", true, true },
	{ "python_version != '3.11'", true, false },
	{ "python_version === '3.11'", true, true },
	{ "'3.8' < python_version", true, true },
	{ "'3.12' <= python_version", true, false },
	{ "implementation_name == \"cpython\"", true, true },
	{ "os_name == 'posix' and platform_python_implementation == 'CPython'", true, true },
	{ "platform_system == 'Linux'", true, true },
	{ "implementation_version >= '3.11'", true, true },
	{ "os.name == 'posix'", true, true },
	{ "sys_platform == 'win32'", true, false },
	{ "sys_platform == 'darwin' or sys_platform == 'win32'", true, false },
	/* Unknown for an image: only "differs" holds. */
	{ "platform_release >= '5.0'", true, false },
	{ "platform_release != '5.0'", true, true },
	{ "platform_version == ''", true, false },
	/* Extras and groups (the env has extras {socks, dev-tools}, groups {dev}). */
	{ "extra == 'socks'", true, true },
	{ "extra == 'SOCKS'", true, true },
	{ "'socks' == extra", true, true },
	{ "extra == 'other'", true, false },
	{ "extra != 'other'", true, true },
	{ "extra == 'dev_tools'", true, true },
	{ "python_version >= '3' and extra == 'other'", true, false },
	{ "'dev' in dependency_groups", true, true },
	{ "'Dev' in dependency_groups", true, true },
	{ "'test' not in dependency_groups", true, true },
	{ "'test' in dependency_groups", true, false },
	{ "'Dev_Tools' in extras", true, true },
	{ "'socks' not in extras", true, false },
};

static void
env_for(struct pcb_marker_env *env, bool x86)
{
	struct pcb_pytarget t;
	struct pcb_err err;

	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", x86 ? "amd64" : "arm64", NULL, "3.11", &err),
	    0);
	pcb_marker_env_init(env, &t);
	pcb_strv_push(&env->extras, "socks");
	pcb_strv_push(&env->extras, "dev-tools");
	pcb_strv_push(&env->dependency_groups, "dev");
}

START_TEST(test_marker_table)
{
	const struct marker_case *c = &marker_cases[_i];
	struct pcb_marker_env env;
	struct pcb_err err;
	bool v = !c->expect;

	env_for(&env, c->x86);
	pcb_err_clear(&err);
	ck_assert_msg(pcb_marker_eval(c->marker, &env, &v, &err) == 0, "'%s': %s", c->marker,
	    err.msg);
	ck_assert_msg(v == c->expect, "'%s' on %s: expected %d", c->marker,
	    c->x86 ? "x86_64" : "aarch64", c->expect);
	pcb_marker_env_free(&env);
}
END_TEST

START_TEST(test_marker_env_values)
{
	struct pcb_marker_env env;
	struct pcb_err err;
	bool v = false;

	env_for(&env, false);
	ck_assert_str_eq(env.python_version, "3.11");
	ck_assert_str_eq(env.python_full_version, "3.11.0");
	ck_assert_str_eq(env.platform_machine, "aarch64");
	/* The full version can be set; pre-releases of the interpreter compare as versions. */
	snprintf(env.python_full_version, sizeof env.python_full_version, "3.11.0rc1");
	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_marker_eval("python_full_version >= '3.11.0b1'", &env, &v, &err), 0);
	ck_assert(v);
	ck_assert_int_eq(pcb_marker_eval("python_full_version >= '3.11.0'", &env, &v, &err), 0);
	ck_assert(!v);
	pcb_marker_env_free(&env);
}
END_TEST

struct bad_marker {
	const char *marker;
	int column;
	const char *what;
};

static const struct bad_marker bad_markers[] = {
	{ "python_version >= ", 19, "end" },
	{ "python_versio == '3'", 1, "unknown marker variable 'python_versio'" },
	{ "python_version = '3.8'", 16, "operator" },
	{ "python_version == '3.8", 19, "unterminated" },
	{ "(python_version == '3.8'", 25, "')'" },
	{ "python_version == '3.8' extra", 25, "'and', 'or'" },
	{ "'a' == 'b'", 1, "variable" },
	{ "os_name ~= 'posix'", 9, "versions" },
	{ "python_version == '3.8' and", 28, "end" },
	{ "python_version not '3'", 20, "'in'" },
	{ "", 1, "end" },
	{ "extras == 'x'", 1, "sets" },
	{ "and python_version == '3'", 1, "unknown marker variable 'and'" },
};

START_TEST(test_marker_bad)
{
	const struct bad_marker *c = &bad_markers[_i];
	struct pcb_marker_env env;
	struct pcb_err err;
	char col[32];
	bool v = true;

	env_for(&env, true);
	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_marker_eval(c->marker, &env, &v, &err), PCB_EINVAL);
	snprintf(col, sizeof col, "column %d:", c->column);
	ck_assert_msg(strstr(err.msg, col) != NULL, "'%s': want %s in: %s", c->marker, col, err.msg);
	ck_assert_msg(strstr(err.msg, c->what) != NULL, "'%s': want '%s' in: %s", c->marker,
	    c->what, err.msg);
	ck_assert(v);
	pcb_marker_env_free(&env);
}
END_TEST

START_TEST(test_marker_depth_bounded)
{
	struct pcb_marker_env env;
	struct pcb_err err;
	char m[1024];
	size_t n = 0;
	bool v;

	env_for(&env, true);
	for (int i = 0; i < 200; i++)
		m[n++] = '(';
	m[n] = '\0';
	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_marker_eval(m, &env, &v, &err), PCB_EINVAL);
	ck_assert_msg(strstr(err.msg, "nested") != NULL, "%s", err.msg);
	pcb_marker_env_free(&env);
}
END_TEST

/* ---- requirements --------------------------------------------------------------------------- */

START_TEST(test_requirement_full)
{
	struct pcb_requirement r;
	struct pcb_err err;

	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_requirement_parse("requests [Socks, security] (>=2.8.1, ==2.8.*) ; "
	    "python_version < '2.7'", &r, &err), 0);
	ck_assert_str_eq(r.name, "requests");
	ck_assert_uint_eq(r.extras.n, 2);
	ck_assert_str_eq(r.extras.v[0], "socks");
	ck_assert_str_eq(r.extras.v[1], "security");
	ck_assert_str_eq(r.specifier, ">=2.8.1, ==2.8.*");
	ck_assert_ptr_null(r.url);
	ck_assert_str_eq(r.marker, "python_version < '2.7'");
	pcb_requirement_free(&r);

	ck_assert_int_eq(pcb_requirement_parse("Flask_SQLAlchemy>=3.0", &r, &err), 0);
	ck_assert_str_eq(r.name, "flask-sqlalchemy");
	ck_assert_str_eq(r.specifier, ">=3.0");
	ck_assert_uint_eq(r.extras.n, 0);
	ck_assert_ptr_null(r.marker);
	pcb_requirement_free(&r);

	ck_assert_int_eq(pcb_requirement_parse("  A.B-C_D [Extra_One]  ", &r, &err), 0);
	ck_assert_str_eq(r.name, "a-b-c-d");
	ck_assert_str_eq(r.extras.v[0], "extra-one");
	ck_assert_str_eq(r.specifier, "");
	pcb_requirement_free(&r);

	ck_assert_int_eq(pcb_requirement_parse("name[]", &r, &err), 0);
	ck_assert_uint_eq(r.extras.n, 0);
	pcb_requirement_free(&r);

	ck_assert_int_eq(pcb_requirement_parse("numpy>=1.26;python_version>='3.9'", &r, &err), 0);
	ck_assert_str_eq(r.specifier, ">=1.26");
	ck_assert_str_eq(r.marker, "python_version>='3.9'");
	pcb_requirement_free(&r);
}
END_TEST

START_TEST(test_requirement_url)
{
	struct pcb_requirement r;
	struct pcb_err err;

	pcb_err_clear(&err);
	ck_assert_int_eq(pcb_requirement_parse("pip @ https://github.com/pypa/pip/archive/1.3.1.zip"
	    "#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686", &r, &err), 0);
	ck_assert_str_eq(r.name, "pip");
	ck_assert_str_eq(r.url, "https://github.com/pypa/pip/archive/1.3.1.zip"
	    "#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686");
	ck_assert_str_eq(r.specifier, "");
	ck_assert_ptr_null(r.marker);
	pcb_requirement_free(&r);

	ck_assert_int_eq(pcb_requirement_parse("mylib[fast] @ file:///tmp/mylib-1.0-py3-none-any.whl "
	    "; sys_platform == 'linux'", &r, &err), 0);
	ck_assert_str_eq(r.name, "mylib");
	ck_assert_str_eq(r.extras.v[0], "fast");
	ck_assert_str_eq(r.url, "file:///tmp/mylib-1.0-py3-none-any.whl");
	ck_assert_str_eq(r.marker, "sys_platform == 'linux'");
	pcb_requirement_free(&r);
}
END_TEST

static const char *const bad_reqs[] = {
	"", "   ", ">=1.0", "-name", "name[", "name[a,", "name[a b]", "name >=", "name @",
	"name @ nourl", "name ; ", "name ; foo == 'x'", "name >=1.0 extra", "name (>=1.0",
	"name junk", "name ~=1", "name @ https://x/y.whl ; python_version ==",
};

START_TEST(test_requirement_bad)
{
	struct pcb_requirement r;
	struct pcb_err err;

	memset(&r, 0x5a, sizeof r);
	pcb_err_clear(&err);
	ck_assert_msg(pcb_requirement_parse(bad_reqs[_i], &r, &err) == PCB_EINVAL, "'%s' accepted",
	    bad_reqs[_i]);
	ck_assert_msg(err.msg[0] != '\0', "no message for '%s'", bad_reqs[_i]);
	ck_assert_msg(strstr(err.msg, "requirement") != NULL || strstr(err.msg, "marker") != NULL,
	    "'%s': %s", bad_reqs[_i], err.msg);
}
END_TEST

static Suite *
pep508_suite(void)
{
	Suite *s = suite_create("pep508");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_version_order);
	tcase_add_test(tc, test_version_normalised_equal);
	tcase_add_test(tc, test_version_invalid);
	tcase_add_loop_test(tc, test_specifier_table, 0, (int)PCB_ARRAY_LEN(spec_cases));
	tcase_add_loop_test(tc, test_specifier_bad, 0, (int)PCB_ARRAY_LEN(bad_specs));
	tcase_add_loop_test(tc, test_marker_table, 0, (int)PCB_ARRAY_LEN(marker_cases));
	tcase_add_test(tc, test_marker_env_values);
	tcase_add_loop_test(tc, test_marker_bad, 0, (int)PCB_ARRAY_LEN(bad_markers));
	tcase_add_test(tc, test_marker_depth_bounded);
	tcase_add_test(tc, test_requirement_full);
	tcase_add_test(tc, test_requirement_url);
	tcase_add_loop_test(tc, test_requirement_bad, 0, (int)PCB_ARRAY_LEN(bad_reqs));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(pep508_suite());
}
