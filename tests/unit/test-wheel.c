/* test-wheel.c — wheel file names, the image's Python target, tag fit and ranking, and the
 * native installer: a real wheel built at test time (scheme paths, script shebangs, launchers,
 * rewritten RECORD, determinism, ZIP64), a wheel made from an installed MarkupSafe, and every
 * refusal of a hostile or broken wheel, with nothing written outside the staging tree. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "python/wheel.h"
#include "testutil.h"

#define PY "/usr/bin/python3"
#define PURELIB "opt/venv/lib/python3.11/site-packages"
#define MARKUPSAFE_SP "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages"

/* ---- names ---------------------------------------------------------------------------- */

START_TEST(test_name_parse_good)
{
	struct pcb_wheel_name w;
	struct pcb_err e;

	ck_assert_int_eq(pcb_wheel_name_parse("MarkupSafe-3.0.3-cp311-cp311-"
	    "manylinux_2_17_x86_64.manylinux2014_x86_64.whl", &w, &e), 0);
	ck_assert_str_eq(w.distribution, "MarkupSafe");
	ck_assert_str_eq(w.name, "markupsafe");
	ck_assert_str_eq(w.version, "3.0.3");
	ck_assert_ptr_null(w.build);
	ck_assert_uint_eq(w.python.n, 1);
	ck_assert_str_eq(w.python.v[0], "cp311");
	ck_assert_str_eq(w.abi.v[0], "cp311");
	ck_assert_uint_eq(w.platform.n, 2);
	ck_assert_str_eq(w.platform.v[0], "manylinux_2_17_x86_64");
	ck_assert_str_eq(w.platform.v[1], "manylinux2014_x86_64");
	pcb_wheel_name_free(&w);

	ck_assert_int_eq(pcb_wheel_name_parse("/cache/dir/foo_bar-1.0.post1-12abc-py2.py3-none-"
	    "any.whl", &w, &e), 0);
	ck_assert_str_eq(w.distribution, "foo_bar");
	ck_assert_str_eq(w.name, "foo-bar");
	ck_assert_str_eq(w.version, "1.0.post1");
	ck_assert_str_eq(w.build, "12abc");
	ck_assert_uint_eq(w.python.n, 2);
	ck_assert_str_eq(w.python.v[1], "py3");
	ck_assert_str_eq(w.platform.v[0], "any");
	pcb_wheel_name_free(&w);

	ck_assert_int_eq(pcb_wheel_name_parse("torch-2.1.0+cpu-cp311-cp311-linux_x86_64.whl", &w,
	    &e), 0);
	ck_assert_str_eq(w.version, "2.1.0+cpu");
	pcb_wheel_name_free(&w);
}
END_TEST

static const char *bad_names[] = {
	"foo-1.0-py3-none.whl",               /* 4 parts */
	"foo-1.0-1-2-py3-none-any.whl",       /* 7 parts */
	"foo-1.0-abc-py3-none-any.whl",       /* build tag must start with a digit */
	"foo-1.0-py3-none-any.zip",
	"foo-1.0-py3-none-any..whl",          /* empty platform tag */
	"foo-1.0-py3--any.whl",               /* empty abi */
	"-1.0-py3-none-any.whl",              /* empty name */
	"foo bar-1.0-py3-none-any.whl",       /* space */
	"foo-1.0-py3-none-any;rm.whl",
	".whl",
	"",
};

START_TEST(test_name_parse_bad)
{
	struct pcb_wheel_name w;
	struct pcb_err e;

	pcb_err_clear(&e);
	ck_assert_int_eq(pcb_wheel_name_parse(bad_names[_i], &w, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, bad_names[_i]) != NULL, "msg: %s", e.msg);
	ck_assert_ptr_null(w.name);
	pcb_wheel_name_free(&w);
}
END_TEST

START_TEST(test_normalize)
{
	char *n = pcb_pyname_normalize("Foo.Bar__baz-_-Qux");
	ck_assert_str_eq(n, "foo-bar-baz-qux");
	free(n);
	n = pcb_pyname_normalize("markupsafe");
	ck_assert_str_eq(n, "markupsafe");
	free(n);
}
END_TEST

/* ---- targets and fit ------------------------------------------------------------------ */

START_TEST(test_target_init)
{
	struct pcb_pytarget t;
	struct pcb_err e;
	char d[96];

	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "amd64", NULL, "3.11", &e), 0);
	ck_assert_str_eq(t.arch, "x86_64");
	ck_assert_int_eq(t.py_major, 3);
	ck_assert_int_eq(t.py_minor, 11);
	ck_assert_int_eq(t.libc, PCB_LIBC_GLIBC);
	pcb_pytarget_describe(&t, d);
	ck_assert_str_eq(d, "CPython 3.11, linux x86_64, glibc 2.36");
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "arm64", "v8", "3.12.1", &e), 0);
	ck_assert_str_eq(t.arch, "aarch64");
	ck_assert_int_eq(t.py_minor, 12);
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "arm", "v7", "3.9", &e), 0);
	ck_assert_str_eq(t.arch, "armv7l");
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "386", "", "3.10", &e), 0);
	ck_assert_str_eq(t.arch, "i686");
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "riscv64", NULL, "3.13", &e), 0);

	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "arm", "v6", "3.11", &e),
	    PCB_EUNSUPPORTED);
	ck_assert_msg(strstr(e.msg, "linux/arm/v6") != NULL, "msg: %s", e.msg);
	ck_assert_int_eq(pcb_pytarget_init(&t, "windows", "amd64", NULL, "3.11", &e),
	    PCB_EUNSUPPORTED);
	ck_assert_msg(strstr(e.msg, "windows/amd64") != NULL, "msg: %s", e.msg);
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "mips", NULL, "3.11", &e),
	    PCB_EUNSUPPORTED);
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "amd64", NULL, "2.7", &e),
	    PCB_EUNSUPPORTED);
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "amd64", NULL, "3.x", &e),
	    PCB_EUNSUPPORTED);
	ck_assert_int_eq(pcb_pytarget_init(&t, "linux", "amd64", NULL, "3.11abc", &e),
	    PCB_EUNSUPPORTED);
}
END_TEST

/* Fit of one file name against a target; why gets the reason when it does not fit. */
static int
fit(const char *file, const struct pcb_pytarget *t, char *why, size_t whysz)
{
	struct pcb_wheel_name w;
	struct pcb_err e;
	int s;

	ck_assert_msg(pcb_wheel_name_parse(file, &w, &e) == 0, "%s: %s", file, e.msg);
	if (why != NULL)
		why[0] = '\0';
	s = pcb_wheel_fit(&w, t, why, whysz);
	pcb_wheel_name_free(&w);
	return s;
}

static void
target(struct pcb_pytarget *t, const char *arch, const char *py)
{
	struct pcb_err e;
	ck_assert_int_eq(pcb_pytarget_init(t, "linux", arch, NULL, py, &e), 0);
}

START_TEST(test_fit_rules)
{
	struct pcb_pytarget t, arm, musl;
	char why[256];

	target(&t, "amd64", "3.11");
	target(&arm, "arm64", "3.11");
	target(&musl, "amd64", "3.11");
	musl.libc = PCB_LIBC_MUSL;
	musl.libc_major = 1;
	musl.libc_minor = 2;

	/* Interpreter and ABI. */
	ck_assert_int_ge(fit("a-1-cp311-cp311-manylinux_2_17_x86_64.whl", &t, why, sizeof(why)), 0);
	ck_assert_int_eq(fit("a-1-cp312-cp312-manylinux_2_17_x86_64.whl", &t, why, sizeof(why)),
	    -1);
	ck_assert_msg(strstr(why, "cp312") && strstr(why, "3.11"), "why: %s", why);
	ck_assert_int_eq(fit("a-1-cp310-cp310-manylinux_2_17_x86_64.whl", &t, why, sizeof(why)),
	    -1);
	ck_assert_int_ge(fit("a-1-cp38-abi3-manylinux_2_17_x86_64.whl", &t, NULL, 0), 0);
	ck_assert_int_eq(fit("a-1-cp312-abi3-manylinux_2_17_x86_64.whl", &t, why, sizeof(why)),
	    -1);
	ck_assert_int_ge(fit("a-1-py3-none-any.whl", &t, NULL, 0), 0);
	ck_assert_int_ge(fit("a-1-py2.py3-none-any.whl", &t, NULL, 0), 0);
	ck_assert_int_ge(fit("a-1-py311-none-any.whl", &t, NULL, 0), 0);
	ck_assert_int_eq(fit("a-1-py312-none-any.whl", &t, why, sizeof(why)), -1);
	ck_assert_int_eq(fit("a-1-py2-none-any.whl", &t, why, sizeof(why)), -1);
	ck_assert_int_ge(fit("a-1-cp311-none-any.whl", &t, NULL, 0), 0);
	ck_assert_int_eq(fit("a-1-py3-cp311-any.whl", &t, NULL, 0), -1);
	ck_assert_int_eq(fit("a-1-pp39-pypy39_pp73-manylinux_2_17_x86_64.whl", &t, NULL, 0), -1);

	/* Platform. */
	ck_assert_int_eq(fit("a-1-cp311-cp311-manylinux_2_17_x86_64.whl", &arm, why,
	    sizeof(why)), -1);
	ck_assert_msg(strstr(why, "manylinux_2_17_x86_64") && strstr(why, "aarch64"), "why: %s",
	    why);
	ck_assert_int_ge(fit("a-1-cp311-cp311-manylinux_2_17_aarch64.whl", &arm, NULL, 0), 0);
	ck_assert_int_eq(fit("a-1-cp311-cp311-musllinux_1_1_x86_64.whl", &t, why, sizeof(why)),
	    -1);
	ck_assert_msg(strstr(why, "musllinux_1_1_x86_64") && strstr(why, "glibc"), "why: %s", why);
	ck_assert_int_eq(fit("a-1-cp311-cp311-manylinux_2_39_x86_64.whl", &t, why, sizeof(why)),
	    -1);
	ck_assert_msg(strstr(why, "manylinux_2_39") && strstr(why, "2.36"), "why: %s", why);
	ck_assert_int_ge(fit("a-1-cp311-cp311-manylinux_2_36_x86_64.whl", &t, NULL, 0), 0);
	ck_assert_int_ge(fit("a-1-cp311-cp311-manylinux1_x86_64.whl", &t, NULL, 0), 0);
	ck_assert_int_ge(fit("a-1-cp311-cp311-manylinux2010_x86_64.whl", &t, NULL, 0), 0);
	ck_assert_int_ge(fit("a-1-cp311-cp311-linux_x86_64.whl", &t, NULL, 0), 0);
	ck_assert_int_eq(fit("a-1-cp311-cp311-win_amd64.whl", &t, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "win_amd64") != NULL, "why: %s", why);
	ck_assert_int_eq(fit("a-1-cp311-cp311-macosx_11_0_arm64.whl", &arm, NULL, 0), -1);
	/* One fitting platform among several is enough. */
	ck_assert_int_ge(fit("a-1-cp311-cp311-macosx_11_0_x86_64.manylinux_2_17_x86_64.whl", &t,
	    NULL, 0), 0);

	/* musl targets take musllinux up to their version and nothing glibc. */
	ck_assert_int_ge(fit("a-1-cp311-cp311-musllinux_1_1_x86_64.whl", &musl, NULL, 0), 0);
	ck_assert_int_ge(fit("a-1-cp311-cp311-musllinux_1_2_x86_64.whl", &musl, NULL, 0), 0);
	ck_assert_int_eq(fit("a-1-cp311-cp311-musllinux_1_3_x86_64.whl", &musl, NULL, 0), -1);
	ck_assert_int_eq(fit("a-1-cp311-cp311-manylinux_2_17_x86_64.whl", &musl, why, sizeof(why)),
	    -1);
	ck_assert_msg(strstr(why, "musl") != NULL, "why: %s", why);
	ck_assert_int_eq(fit("a-1-cp311-cp311-linux_x86_64.whl", &musl, NULL, 0), -1);
	ck_assert_int_ge(fit("a-1-py3-none-any.whl", &musl, NULL, 0), 0);
}
END_TEST

START_TEST(test_fit_order)
{
	struct pcb_pytarget t;
	/* Best first, as pip would pick among wheels of one release. */
	static const char *order[] = {
		"a-1-cp311-cp311-manylinux_2_28_x86_64.whl",
		"a-1-cp311-cp311-manylinux_2_17_x86_64.whl",
		"a-1-cp311-cp311-manylinux1_x86_64.whl",
		"a-1-cp311-cp311-linux_x86_64.whl",
		"a-1-cp39-abi3-manylinux_2_17_x86_64.whl",
		"a-1-cp38-abi3-manylinux_2_17_x86_64.whl",
		"a-1-cp311-none-manylinux_2_17_x86_64.whl",
		"a-1-py3-none-manylinux_2_17_x86_64.whl",
		"a-1-cp311-none-any.whl",
		"a-1-py311-none-any.whl",
		"a-1-py3-none-any.whl",
	};

	target(&t, "amd64", "3.11");
	for (size_t i = 1; i < PCB_ARRAY_LEN(order); i++) {
		int a = fit(order[i - 1], &t, NULL, 0), b = fit(order[i], &t, NULL, 0);
		ck_assert_msg(a > b, "%s (%d) should rank above %s (%d)", order[i - 1], a, order[i],
		    b);
	}
}
END_TEST

/* ---- install -------------------------------------------------------------------------- */

struct fx {
	char *tmp;       /* the test's temp dir: holds only w/, staging/ (and what a test adds) */
	char *wdir;
	char *staging;
	struct pcb_wheel_install_opts o;
};

static void
fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->tmp = pcb_test_tmpdir();
	f->wdir = pcb_path_join(f->tmp, "w");
	f->staging = pcb_path_join(f->tmp, "staging");
	pcb_test_mkdir(f->tmp, "w");
	f->o.staging = f->staging;
	f->o.purelib = PURELIB;
	f->o.platlib = PURELIB;
	f->o.scripts = "opt/venv/bin";
	f->o.headers = "opt/venv/include/site/python3.11";
	f->o.data = "opt/venv";
	f->o.interpreter = "/opt/venv/bin/python";
}

static void
fx_free(struct fx *f)
{
	pcb_test_rmtree(f->tmp);
	free(f->tmp);
	free(f->wdir);
	free(f->staging);
}

/* Builds a wheel of the given kind with mkwheel.py; returns its path (caller frees). */
static char *
mkwheel(const struct fx *f, const char *kind, const char *arg)
{
	char *out = NULL, *path, *nl;
	char *sub = pcb_path_join(f->wdir, kind);
	int st;

	pcb_test_mkdir(f->wdir, kind);
	st = pcb_test_runf(&out, "%s %s/tests/fixtures/wheel/mkwheel.py '%s' '%s' '%s'", PY,
	    pcb_test_source_dir(), sub, kind, arg ? arg : "");
	ck_assert_msg(st == 0, "mkwheel %s: %s", kind, out ? out : "");
	nl = strchr(out, '\n');
	if (nl != NULL)
		*nl = '\0';
	path = pcb_path_join(sub, out);
	free(out);
	free(sub);
	return path;
}

static char *
spath(const struct fx *f, const char *rel)
{
	return pcb_path_join(f->staging, rel);
}

static void
assert_file(const struct fx *f, const char *rel, const char *content, mode_t mode)
{
	char *p = spath(f, rel), *got;
	struct stat st;
	size_t len;

	ck_assert_msg(lstat(p, &st) == 0, "missing %s", rel);
	ck_assert_msg(S_ISREG(st.st_mode), "%s: not a regular file", rel);
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %o, want %o", rel,
	    st.st_mode & 07777, mode);
	if (content != NULL) {
		got = pcb_test_read(p, &len);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strcmp(got, content) == 0, "%s: got\n%s\nwant\n%s", rel, got, content);
		free(got);
	}
	free(p);
}

static const char launcher_demo[] =
	"#!/opt/venv/bin/python\n"
	"# -*- coding: utf-8 -*-\n"
	"import re\n"
	"import sys\n"
	"from demo_pkg.cli import main\n"
	"if __name__ == '__main__':\n"
	"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
	"    sys.exit(main())\n";

static void
check_demo_install(struct fx *f, const struct pcb_wheel_install_result *r)
{
	char *rec, *p, *out = NULL;
	int st;

	ck_assert_str_eq(r->name, "demo-pkg");
	ck_assert_str_eq(r->version, "1.0");
	ck_assert_uint_eq(r->scripts.n, 3);
	ck_assert_str_eq(r->scripts.v[0], "demo");
	ck_assert_str_eq(r->scripts.v[1], "demo-gui");
	ck_assert_str_eq(r->scripts.v[2], "demo-sub");
	/* 14 members less RECORD, + 3 launchers + INSTALLER + RECORD. */
	ck_assert_uint_eq(r->n_files, 18);
	ck_assert_uint_gt(r->bytes, 200 * 1024);

	assert_file(f, PURELIB "/demo_pkg/__init__.py", "VALUE = 1\n", 0644);
	assert_file(f, PURELIB "/demo_pkg/run.sh", "#!/bin/sh\necho run\n", 0755);
	assert_file(f, PURELIB "/demo_pkg/odd,name.txt", "comma\n", 0644);
	assert_file(f, PURELIB "/demo_pkg/big.bin", NULL, 0644);
	assert_file(f, PURELIB "/demo_extra.py", "X = 2\n", 0644);
	assert_file(f, "opt/venv/bin/demo-tool", "#!/opt/venv/bin/python\nprint('hi')\n", 0755);
	assert_file(f, "opt/venv/bin/plain.sh", "#!/bin/sh\necho hi\n", 0755);
	assert_file(f, "opt/venv/share/demo/readme.txt", "data file\n", 0644);
	assert_file(f, "opt/venv/include/site/python3.11/demo_pkg/demo.h", "#define DEMO 1\n",
	    0644);
	assert_file(f, "opt/venv/bin/demo", launcher_demo, 0755);
	assert_file(f, PURELIB "/demo_pkg-1.0.dist-info/INSTALLER", "pycontainerd\n", 0644);
	assert_file(f, PURELIB "/demo_pkg-1.0.dist-info/entry_points.txt", NULL, 0644);
	p = spath(f, "opt/venv/bin/demo-sub");
	rec = pcb_test_read(p, NULL);
	ck_assert_ptr_nonnull(rec);
	ck_assert_ptr_nonnull(strstr(rec, "from demo_pkg.cli import Main\n"));
	ck_assert_ptr_nonnull(strstr(rec, "    sys.exit(Main.run())\n"));
	free(rec);
	free(p);
	/* No .data folder, no wheel RECORD copy, nothing from [other.group]. */
	p = spath(f, PURELIB "/demo_pkg-1.0.data");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	p = spath(f, "opt/venv/bin/x");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);

	p = spath(f, PURELIB "/demo_pkg-1.0.dist-info/RECORD");
	out = pcb_test_read(p, NULL);
	ck_assert_ptr_nonnull(out);
	rec = pcb_xasprintf("\n%s", out);   /* every line, the first too, follows a '\n' */
	free(out);
	out = NULL;
	ck_assert_msg(strstr(rec, "\n../../../bin/demo,sha256=") != NULL, "RECORD:\n%s", rec);
	ck_assert_msg(strstr(rec, "\n../../../bin/demo-tool,sha256=") != NULL, "RECORD:\n%s", rec);
	ck_assert_msg(strstr(rec, "\n../../../share/demo/readme.txt,sha") != NULL, "%s", rec);
	ck_assert_msg(strstr(rec, "\n../../../include/site/python3.11/demo_pkg/demo.h,") != NULL,
	    "RECORD:\n%s", rec);
	ck_assert_msg(strstr(rec, "\ndemo_extra.py,sha") != NULL, "RECORD:\n%s", rec);
	ck_assert_msg(strstr(rec, "\n\"demo_pkg/odd,name.txt\",sha") != NULL, "%s", rec);
	ck_assert_msg(strstr(rec, "\ndemo_pkg-1.0.dist-info/INSTALLER,sha256=") != NULL, "%s", rec);
	ck_assert_msg(strstr(rec, "\ndemo_pkg-1.0.dist-info/RECORD,,\n") != NULL, "%s", rec);
	ck_assert_ptr_null(strstr(rec, ".data/"));
	free(rec);
	/* Every hash and size in the new RECORD is right for what is on disk (Python checks). */
	st = pcb_test_runf(&out, "%s %s/tests/fixtures/wheel/mkwheel.py verify '%s/%s' '%s'", PY,
	    pcb_test_source_dir(), f->staging, PURELIB, p);
	ck_assert_msg(st == 0 && strstr(out, "OK") != NULL, "verify: %s", out);
	free(out);
	free(p);

	/* The launcher runs: main() returns 7. */
	st = pcb_test_runf(&out, "PYTHONPATH='%s/%s' %s '%s/opt/venv/bin/demo'", f->staging,
	    PURELIB, PY, f->staging);
	ck_assert_msg(st == 7, "launcher exit %d: %s", st, out);
	free(out);
}

START_TEST(test_install_good)
{
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl;

	fx_init(&f);
	whl = mkwheel(&f, "good", NULL);
	ck_assert_msg(pcb_wheel_install(whl, &f.o, &r, &e) == 0, "install: %s", e.msg);
	check_demo_install(&f, &r);
	pcb_wheel_install_result_free(&r);
	free(whl);
	fx_free(&f);
}
END_TEST

/* The same bytes through ZIP64 headers, and RECORD hashes in sha512. */
START_TEST(test_install_zip64_sha512)
{
	static const char *kinds[] = { "zip64", "sha512" };
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl;

	fx_init(&f);
	whl = mkwheel(&f, kinds[_i], NULL);
	ck_assert_msg(pcb_wheel_install(whl, &f.o, &r, &e) == 0, "install %s: %s", kinds[_i],
	    e.msg);
	check_demo_install(&f, &r);
	pcb_wheel_install_result_free(&r);
	free(whl);
	fx_free(&f);
}
END_TEST

/* Same wheel, twice: byte-identical trees with identical modes. */
START_TEST(test_install_deterministic)
{
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl, *a, *b, *la = NULL, *lb = NULL, *out = NULL;

	fx_init(&f);
	whl = mkwheel(&f, "good", NULL);
	a = pcb_path_join(f.tmp, "a");
	b = pcb_path_join(f.tmp, "b");
	f.o.staging = a;
	ck_assert_msg(pcb_wheel_install(whl, &f.o, &r, &e) == 0, "%s", e.msg);
	pcb_wheel_install_result_free(&r);
	f.o.staging = b;
	ck_assert_msg(pcb_wheel_install(whl, &f.o, &r, &e) == 0, "%s", e.msg);
	pcb_wheel_install_result_free(&r);
	ck_assert_int_eq(pcb_test_runf(&la, "cd '%s' && find . -printf '%%p %%y %%m %%s\\n' | "
	    "LC_ALL=C sort", a), 0);
	ck_assert_int_eq(pcb_test_runf(&lb, "cd '%s' && find . -printf '%%p %%y %%m %%s\\n' | "
	    "LC_ALL=C sort", b), 0);
	ck_assert_str_eq(la, lb);
	ck_assert_ptr_nonnull(strstr(la, "./opt/venv/bin d 755 "));
	ck_assert_msg(pcb_test_runf(&out, "diff -r '%s' '%s'", a, b) == 0, "diff: %s", out);
	free(out);
	free(la);
	free(lb);
	free(a);
	free(b);
	free(whl);
	fx_free(&f);
}
END_TEST

/* A wheel made from the MarkupSafe this machine has installed: its extension module goes to
 * platlib (Root-Is-Purelib: false) and imports from there. */
START_TEST(test_install_markupsafe)
{
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl, *p, *out = NULL;
	struct stat st;

	if (access(MARKUPSAFE_SP "/markupsafe-3.0.3.dist-info/RECORD", R_OK) != 0)
		return;   /* not on this machine: nothing to build the wheel from */
	fx_init(&f);
	whl = mkwheel(&f, "markupsafe", MARKUPSAFE_SP);
	f.o.platlib = "opt/venv/lib64/python3.11/site-packages";
	ck_assert_msg(pcb_wheel_install(whl, &f.o, &r, &e) == 0, "install: %s", e.msg);
	ck_assert_str_eq(r.name, "markupsafe");
	ck_assert_str_eq(r.version, "3.0.3");
	ck_assert_uint_eq(r.scripts.n, 0);
	p = spath(&f, "opt/venv/lib64/python3.11/site-packages/markupsafe/"
	    "_speedups.cpython-311-x86_64-linux-gnu.so");
	ck_assert_msg(stat(p, &st) == 0 && st.st_size == 43936, "%s", p);
	free(p);
	assert_file(&f, "opt/venv/lib64/python3.11/site-packages/markupsafe-3.0.3.dist-info/"
	    "INSTALLER", "pycontainerd\n", 0644);
	p = spath(&f, PURELIB "/markupsafe");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	if (access("/root/.pyenv/versions/3.11.7/bin/python3.11", X_OK) == 0) {
		int rc = pcb_test_runf(&out, "PYTHONPATH='%s/opt/venv/lib64/python3.11/site-packages' "
		    "PYTHONNOUSERSITE=1 /root/.pyenv/versions/3.11.7/bin/python3.11 -S -c "
		    "'import markupsafe._speedups as s; print(s.__file__)'", f.staging);
		ck_assert_msg(rc == 0 && strstr(out, f.staging) != NULL, "import: %s", out);
		free(out);
	}
	pcb_wheel_install_result_free(&r);
	free(whl);
	fx_free(&f);
}
END_TEST

/* ---- refusals ------------------------------------------------------------------------- */

struct refusal {
	const char *kind;
	const char *msg;          /* must appear in the error */
	uint64_t max_total;
	bool wrote_nothing;       /* refused before anything was written into staging */
};

static const struct refusal refusals[] = {
	{ "zipslip", "\"../../../../../../x\"", 0, true },
	{ "absolute", "\"/etc/x\": absolute path", 0, true },
	{ "backslash", "backslash", 0, true },
	{ "dup", "\"demo_pkg/__init__.py\" appears twice", 0, true },
	{ "badhash", "\"demo_pkg/cli.py\": hash", 0, false },
	{ "badsize", "RECORD says 3", 0, false },
	{ "notinrecord", "\"demo_pkg/cli.py\" is not in RECORD", 0, true },
	{ "ghost", "\"demo_pkg/ghost.py\", which is not in the wheel", 0, true },
	{ "md5", "not sha256/sha384/sha512", 0, true },
	{ "bigmember", "over the limit of 262144 bytes", 256 * 1024, true },
	{ "bomb", "demo_pkg/zeros.bin", 0, true },
	{ "liar", "\"demo_pkg/liar.bin\": inflates beyond its stated size", 400 * 1024, false },
	{ "truncated", "not a zip file", 0, true },
	{ "notzip", "not a zip file", 0, true },
	{ "twodistinfo", "several .dist-info", 0, true },
	{ "nodistinfo", "no .dist-info", 0, true },
	{ "wrongname", "does not match the wheel's name", 0, true },
	{ "wheel2", "Wheel-Version \"2.0\"", 0, true },
	{ "symlink", "\"demo_pkg/link\": symlinks", 0, true },
	{ "encrypted", "\"demo_pkg/cli.py\": encrypted", 0, true },
	{ "bzip2", "compression method 12", 0, true },
	{ "badep", "entry point \"evil\"", 0, false },
	{ "epclash", "\"opt/venv/bin/plain.sh\" is written twice", 0, false },
	{ "unknownscheme", "unknown scheme \"etc\"", 0, false },
};

START_TEST(test_refusals)
{
	const struct refusal *t = &refusals[_i];
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl, *p, *list = NULL;
	int rc;

	fx_init(&f);
	whl = mkwheel(&f, t->kind, NULL);
	f.o.max_total = t->max_total;
	pcb_err_clear(&e);
	rc = pcb_wheel_install(whl, &f.o, &r, &e);
	ck_assert_msg(rc == PCB_EINVAL, "%s: rc %d (%s)", t->kind, rc, e.msg);
	ck_assert_msg(strstr(e.msg, t->msg) != NULL, "%s: message \"%s\" lacks \"%s\"", t->kind,
	    e.msg, t->msg);
	ck_assert_msg(strstr(e.msg, "demo_pkg-1.0-py3-none-any.whl") != NULL, "%s: %s", t->kind,
	    e.msg);
	ck_assert_ptr_null(r.name);
	/* Nothing outside staging: the temp dir holds w/ and at most staging/. */
	ck_assert_int_le(pcb_test_count_dir(f.tmp), 2);
	p = pcb_path_join(f.tmp, "x");
	ck_assert_int_ne(access(p, F_OK), 0);
	free(p);
	ck_assert_int_eq(pcb_test_runf(&list, "find '%s' -type f | grep -v '^%s/w/' || true",
	    f.tmp, f.tmp), 0);
	if (t->wrote_nothing)
		ck_assert_msg(list[0] == '\0', "%s: files written: %s", t->kind, list);
	else
		ck_assert_ptr_null(strstr(list, "/x\n"));
	free(list);
	free(whl);
	fx_free(&f);
}
END_TEST

/* A symlink planted in staging is never followed. */
START_TEST(test_staging_symlink)
{
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl, *outside, *link;

	fx_init(&f);
	whl = mkwheel(&f, "good", NULL);
	pcb_test_mkdir(f.tmp, "outside");
	pcb_test_mkdir(f.tmp, "staging");
	outside = pcb_path_join(f.tmp, "outside");
	link = pcb_path_join(f.staging, "opt");
	ck_assert_int_eq(symlink(outside, link), 0);
	ck_assert_int_eq(pcb_wheel_install(whl, &f.o, &r, &e), PCB_EINVAL);
	ck_assert_msg(strstr(e.msg, "symlink") != NULL, "msg: %s", e.msg);
	ck_assert_int_eq(pcb_test_count_dir(outside), 0);
	free(outside);
	free(link);
	free(whl);
	fx_free(&f);
}
END_TEST

/* Scheme paths and interpreter are checked before anything happens. */
START_TEST(test_bad_options)
{
	struct fx f;
	struct pcb_wheel_install_result r;
	struct pcb_err e;
	char *whl;

	fx_init(&f);
	whl = mkwheel(&f, "good", NULL);
	f.o.scripts = "opt/../../bin";
	ck_assert_int_lt(pcb_wheel_install(whl, &f.o, &r, &e), 0);
	f.o.scripts = "opt/venv/bin";
	f.o.interpreter = "/opt/venv/bin/python\nimport os";
	ck_assert_int_lt(pcb_wheel_install(whl, &f.o, &r, &e), 0);
	f.o.interpreter = "python";
	ck_assert_int_lt(pcb_wheel_install(whl, &f.o, &r, &e), 0);
	ck_assert_int_ne(access(f.staging, F_OK), 0);
	/* A leading '/' on scheme paths is fine. */
	f.o.interpreter = "/opt/venv/bin/python";
	f.o.purelib = "/" PURELIB;
	f.o.installer = "pip";
	ck_assert_msg(pcb_wheel_install(whl, &f.o, &r, &e) == 0, "%s", e.msg);
	assert_file(&f, PURELIB "/demo_pkg-1.0.dist-info/INSTALLER", "pip\n", 0644);
	pcb_wheel_install_result_free(&r);
	free(whl);
	fx_free(&f);
}
END_TEST

static Suite *
wheel_suite(void)
{
	Suite *s = suite_create("wheel");
	TCase *names = tcase_create("names");
	TCase *fits = tcase_create("fit");
	TCase *inst = tcase_create("install");

	tcase_add_test(names, test_name_parse_good);
	tcase_add_loop_test(names, test_name_parse_bad, 0, (int)PCB_ARRAY_LEN(bad_names));
	tcase_add_test(names, test_normalize);
	suite_add_tcase(s, names);

	tcase_add_test(fits, test_target_init);
	tcase_add_test(fits, test_fit_rules);
	tcase_add_test(fits, test_fit_order);
	suite_add_tcase(s, fits);

	tcase_set_timeout(inst, 60);
	tcase_add_test(inst, test_install_good);
	tcase_add_loop_test(inst, test_install_zip64_sha512, 0, 2);
	tcase_add_test(inst, test_install_deterministic);
	tcase_add_test(inst, test_install_markupsafe);
	tcase_add_loop_test(inst, test_refusals, 0, (int)PCB_ARRAY_LEN(refusals));
	tcase_add_test(inst, test_staging_symlink);
	tcase_add_test(inst, test_bad_options);
	suite_add_tcase(s, inst);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(wheel_suite());
}
