/* test-hostbase.c — the base image made from the host's Python (common/python/hostbase.c):
 * the spec parser's strictness; a base from Debian's /usr/bin/python3 exported as an OCI layout,
 * unpacked with umoci and run with chroot (ssl, json, sqlite3, zlib, encodings, ctypes import);
 * the same digest when created twice; the python3 found on PATH (pyenv here) too; refusals. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/oci.h"
#include "python/hostbase.h"
#include "testutil.h"

/* ---- spec ---- */

static int
parse(const char *text, struct pcb_hostbase_spec *s, struct pcb_err *e)
{
	json_object *j = json_tokener_parse(text);
	int rc;

	ck_assert_ptr_nonnull(j);
	pcb_hostbase_spec_init(s);
	rc = pcb_hostbase_spec_from_json(j, s, e);
	json_object_put(j);
	return rc;
}

START_TEST(spec_parse)
{
	struct pcb_hostbase_spec s;
	struct pcb_err e;
	json_object *back;

	ck_assert_int_eq(parse("{\"tag\":\"pybase:3.11\",\"python\":\"/usr/bin/python3\","
	    "\"source_date_epoch\":5}", &s, &e), 0);
	ck_assert_str_eq(s.tag, "pybase:3.11");
	ck_assert_str_eq(s.python, "/usr/bin/python3");
	ck_assert_int_eq(s.source_date_epoch, 5);
	back = pcb_hostbase_spec_to_json(&s);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(back, "tag")),
	    "pybase:3.11");
	json_object_put(back);
	pcb_hostbase_spec_free(&s);

	ck_assert_int_eq(parse("{\"python\":\"/usr/bin/python3\"}", &s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "tag"));
	pcb_hostbase_spec_free(&s);
	ck_assert_int_eq(parse("{\"tag\":\"a:b\",\"pyhton\":\"/x\"}", &s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "pyhton"));
	pcb_hostbase_spec_free(&s);
	ck_assert_int_eq(parse("{\"tag\":\"a:b\",\"python\":\"python3\"}", &s, &e), PCB_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "absolute"));
	pcb_hostbase_spec_free(&s);
	ck_assert_int_eq(parse("{\"tag\":\"Bad Tag\"}", &s, &e), PCB_EINVAL);
	pcb_hostbase_spec_free(&s);
	ck_assert_int_eq(parse("{\"tag\":\"a:b\",\"source_date_epoch\":-1}", &s, &e), PCB_EINVAL);
	pcb_hostbase_spec_free(&s);
	ck_assert_int_eq(parse("{\"tag\":\"a:b\",\"platform\":\"linux\"}", &s, &e), PCB_EINVAL);
	pcb_hostbase_spec_free(&s);
	ck_assert_int_eq(parse("[]", &s, &e), PCB_EINVAL);
	pcb_hostbase_spec_free(&s);
}
END_TEST

/* ---- runs ---- */

struct seen {
	int phases, logs, layers, progress;
	bool saw_base;
};

static void
on_event(void *ud, const struct pcb_event *ev)
{
	struct seen *s = ud;

	switch (ev->type) {
	case PCB_EVENT_PHASE:
		s->phases++;
		if (ev->phase != NULL && strcmp(ev->phase, "base") == 0)
			s->saw_base = true;
		break;
	case PCB_EVENT_LOG: s->logs++; break;
	case PCB_EVENT_LAYER: s->layers++; break;
	case PCB_EVENT_PROGRESS: s->progress++; break;
	default: break;
	}
}

/* Creates a base from python (NULL = PATH) into a fresh store; returns the result, and the
 * store and its dir through the out-parameters (free with pcb_test_store_free). */
static json_object *
create(const char *python, const char *tag, struct pcb_store **store_out, char **dir_out,
    struct seen *seen)
{
	struct pcb_hostbase_spec s;
	struct pcb_build_ctx ctx;
	struct pcb_err e;
	atomic_int cancel;
	json_object *res = NULL;
	int rc;

	atomic_init(&cancel, 0);
	*store_out = pcb_test_store_new(dir_out);
	memset(seen, 0, sizeof *seen);
	ctx.store = *store_out;
	ctx.cancel = &cancel;
	ctx.emit = on_event;
	ctx.emit_ud = seen;
	pcb_hostbase_spec_init(&s);
	s.python = python ? strdup(python) : NULL;
	s.tag = strdup(tag);
	pcb_err_clear(&e);
	rc = pcb_hostbase_run(&s, &ctx, &res, &e);
	pcb_hostbase_spec_free(&s);
	ck_assert_msg(rc == 0, "pcb_hostbase_run(%s): %s", python ? python : "PATH", e.msg);
	ck_assert_ptr_nonnull(res);
	return res;
}

static const char *
jget(json_object *o, const char *a, const char *b)
{
	json_object *v = json_object_object_get(o, a);
	if (b != NULL)
		v = json_object_object_get(v, b);
	return json_object_get_string(v);
}

/* Exports the tagged image as an OCI layout, unpacks it with umoci and runs the interpreter
 * in it with chroot. Returns false (after saying why) when this machine cannot. */
static bool
unpack_and_run(struct pcb_store *store, const char *dir, json_object *res, const char *minor)
{
	struct pcb_strv blobs, refs;
	struct pcb_platform plat;
	struct pcb_err e;
	json_object *layers = json_object_object_get(res, "layers");
	char *layout = pcb_path_join(dir, "layout"), *bundle = pcb_path_join(dir, "bundle");
	char *rootfs = pcb_path_join(bundle, "rootfs"), *text = NULL, *p, *want, *chroot = NULL;
	struct stat st;
	int rc;

	pcb_strv_init(&blobs);
	pcb_strv_init(&refs);
	pcb_strv_push(&blobs, jget(res, "config", "digest"));
	for (size_t i = 0; i < json_object_array_length(layers); i++)
		pcb_strv_push(&blobs, jget(json_object_array_get_idx(layers, i), "digest", NULL));
	pcb_strv_push(&refs, "base");
	pcb_platform_host(&plat);
	rc = pcb_oci_layout_write(store, layout, jget(res, "manifest", "digest"),
	    (uint64_t)json_object_get_int64(json_object_object_get(json_object_object_get(res,
	    "manifest"), "size")), &blobs, &refs, &plat, NULL, &e);
	ck_assert_msg(rc == 0, "layout: %s", e.msg);
	pcb_strv_free(&blobs);
	pcb_strv_free(&refs);
	if (!pcb_test_have("umoci")) {
		fprintf(stderr, "test-hostbase: no umoci, image not run\n");
		goto skip;
	}
	ck_assert_msg(pcb_test_runf(&text, "umoci unpack %s --image %s:base %s 2>&1",
	    getuid() == 0 ? "" : "--rootless", layout, bundle) == 0, "umoci: %s", text);
	free(text);
	text = NULL;

	/* The layout of python:X.Y-slim. */
	p = pcb_xasprintf("%s/usr/local/bin/python3", rootfs);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	free(p);
	p = pcb_xasprintf("%s/usr/local/lib/python3.%s/os.py", rootfs, minor);
	ck_assert_int_eq(stat(p, &st), 0);
	free(p);
	p = pcb_xasprintf("%s/usr/local/lib/python3.%s/site-packages", rootfs, minor);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(pcb_test_count_dir(p), 0);
	free(p);
	p = pcb_xasprintf("%s/usr/local/lib/python3.%s/test", rootfs, minor);
	ck_assert_int_ne(stat(p, &st), 0);
	free(p);
	p = pcb_xasprintf("%s/tmp", rootfs);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 01777);
	free(p);
	p = pcb_xasprintf("%s/etc/passwd", rootfs);
	text = pcb_test_read(p, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "root:x:0:0"));
	free(text);
	text = NULL;
	free(p);

	if (getuid() != 0 || !pcb_test_have("chroot")) {
		fprintf(stderr, "test-hostbase: not root, the image is unpacked but not run\n");
		goto skip;
	}
	/* env -i: nothing of the host's environment (PYTHONHOME, pyenv) helps it along. */
	ck_assert_int_eq(pcb_test_run("command -v chroot", false, &text), 0);
	text[strcspn(text, "\n")] = '\0';
	chroot = text;
	text = NULL;
	rc = pcb_test_runf(&text, "env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "
	    "%s %s /usr/local/bin/python3 -c \"import ssl, json, sqlite3, zlib, encodings, "
	    "ctypes, hashlib, decimal; print('ok', __import__('sys').version, __import__('sys')"
	    ".prefix, ssl.OPENSSL_VERSION is not None)\" 2>&1", chroot, rootfs);
	ck_assert_msg(rc == 0, "python in the image: %s", text);
	want = pcb_xasprintf("ok 3.%s.", minor);
	ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "python said: %s", text);
	ck_assert_msg(strstr(text, "/usr/local True") != NULL, "prefix not /usr/local: %s", text);
	free(want);
	free(text);
	text = NULL;
	/* The python → python3 → python3.X chain, and a user lookup through nsswitch. */
	rc = pcb_test_runf(&text, "env -i %s %s /usr/local/bin/python -c \"import pwd; "
	    "print(pwd.getpwuid(0).pw_name)\" 2>&1", chroot, rootfs);
	ck_assert_msg(rc == 0 && strncmp(text, "root", 4) == 0, "pwd in the image: %s", text);
	free(text);
	text = NULL;
	/* The host's time zone database came along: zoneinfo finds a zone in the image. */
	if (access("/usr/share/zoneinfo/Europe/Paris", F_OK) == 0) {
		rc = pcb_test_runf(&text, "env -i %s %s /usr/local/bin/python3 -c \"import zoneinfo; "
		    "print(zoneinfo.ZoneInfo('Europe/Paris').key)\" 2>&1", chroot, rootfs);
		ck_assert_msg(rc == 0 && strncmp(text, "Europe/Paris", 12) == 0,
		    "zoneinfo in the image: %s", text);
		free(text);
		text = NULL;
	}
	/* Not only root can run it (pyenv's libpython lives under /root), and /tmp is writable
	 * for everyone. */
	rc = pcb_test_runf(&text, "env -i %s --userspec=65534:65534 %s /usr/local/bin/python3 -c "
	    "\"import json, tempfile; tempfile.TemporaryFile(); print(json.dumps('nobody'))\" 2>&1",
	    chroot, rootfs);
	ck_assert_msg(rc == 0 && strstr(text, "\"nobody\"") != NULL, "as nobody: %s", text);
skip:
	free(chroot);
	free(text);
	free(layout);
	free(bundle);
	free(rootfs);
	return true;
}

START_TEST(debian_python_runs_and_is_reproducible)
{
	struct pcb_store *s1, *s2;
	char *d1, *d2, *digest = NULL, *ver;
	struct seen seen;
	struct pcb_err e;
	json_object *r1, *r2, *libs;
	bool has_libc = false;

	if (access("/usr/bin/python3", X_OK) != 0) {
		fprintf(stderr, "test-hostbase: no /usr/bin/python3, skipped\n");
		return;
	}
	r1 = create("/usr/bin/python3", "pybase:3.11", &s1, &d1, &seen);
	ck_assert(seen.saw_base);
	ck_assert_int_eq(seen.layers, 2);
	ck_assert(seen.logs >= 3);
	ck_assert(seen.progress > 0);
	ck_assert_str_eq(jget(r1, "tag", NULL), "pybase:3.11");
	ck_assert_int_eq(json_object_array_length(json_object_object_get(r1, "layers")), 2);
	ck_assert(json_object_get_int64(json_object_object_get(r1, "files")) > 500);
	libs = json_object_object_get(r1, "libraries");
	for (size_t i = 0; i < json_object_array_length(libs); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(libs, i)), "libc.so"))
			has_libc = true;
	ck_assert(has_libc);
	ck_assert_int_eq(pcb_store_tag_get(s1, "pybase:3.11", &digest, &e), 0);
	ck_assert_str_eq(digest, jget(r1, "manifest", "digest"));
	free(digest);
	ver = pcb_xstrdup(jget(r1, "python", "version"));
	ck_assert(strncmp(ver, "3.", 2) == 0);

	/* Reproducible: a second run, into another store, gives the same image. */
	r2 = create("/usr/bin/python3", "pybase:3.11", &s2, &d2, &seen);
	ck_assert_str_eq(jget(r1, "manifest", "digest"), jget(r2, "manifest", "digest"));
	json_object_put(r2);
	pcb_test_store_free(s2, d2);

	{
		char minor[8];
		snprintf(minor, sizeof minor, "%d", atoi(ver + 2));
		unpack_and_run(s1, d1, r1, minor);
	}
	free(ver);
	json_object_put(r1);
	pcb_test_store_free(s1, d1);
}
END_TEST

START_TEST(path_python_runs)
{
	struct pcb_store *s;
	char *d, *out = NULL, *ver;
	struct seen seen;
	json_object *r;

	if (pcb_test_run("command -v python3", false, &out) != 0) {
		free(out);
		fprintf(stderr, "test-hostbase: no python3 on PATH, skipped\n");
		return;
	}
	free(out);
	r = create(NULL, "pathpy:1", &s, &d, &seen);
	ver = pcb_xstrdup(jget(r, "python", "version"));
	ck_assert(strncmp(ver, "3.", 2) == 0);
	/* The interpreter behind whatever python3 is on PATH (a pyenv shim here), resolved. */
	ck_assert_int_eq(pcb_test_run("python3 -c 'import os, sys; "
	    "print(os.path.realpath(sys.executable))'", false, &out), 0);
	out[strcspn(out, "\n")] = '\0';
	ck_assert_str_eq(jget(r, "python", "path"), out);
	fprintf(stderr, "test-hostbase: python3 on PATH is %s (%s)\n", out, ver);
	free(out);
	{
		char minor[8];
		snprintf(minor, sizeof minor, "%d", atoi(ver + 2));
		unpack_and_run(s, d, r, minor);
	}
	free(ver);
	json_object_put(r);
	pcb_test_store_free(s, d);
}
END_TEST

START_TEST(refusals)
{
	struct pcb_hostbase_spec spec;
	struct pcb_build_ctx ctx;
	struct pcb_store *store;
	struct pcb_err e;
	json_object *res = NULL;
	char *dir, *tagged = NULL;
	int rc;

	store = pcb_test_store_new(&dir);
	memset(&ctx, 0, sizeof ctx);
	ctx.store = store;
	pcb_hostbase_spec_init(&spec);
	spec.tag = strdup("x:1");
	spec.platform = strdup("linux/s390x");
	spec.python = strdup("/usr/bin/python3");
	rc = pcb_hostbase_run(&spec, &ctx, &res, &e);
	ck_assert_int_eq(rc, PCB_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.msg, "s390x"));
	ck_assert_ptr_null(res);
	free(spec.platform);
	spec.platform = NULL;
	free(spec.python);
	spec.python = strdup("/bin/true");   /* runs, says nothing */
	rc = pcb_hostbase_run(&spec, &ctx, &res, &e);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "/bin/true"));
	free(spec.python);
	spec.python = strdup("/nonexistent/python3");
	rc = pcb_hostbase_run(&spec, &ctx, &res, &e);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/python3"));
	ck_assert_int_eq(pcb_store_tag_get(store, "x:1", &tagged, &e), PCB_ENOENT);
	pcb_hostbase_spec_free(&spec);
	pcb_test_store_free(store, dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("hostbase");
	TCase *tc = tcase_create("hostbase");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, spec_parse);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, debian_python_runs_and_is_reproducible);
	tcase_add_test(tc, path_python_runs);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
