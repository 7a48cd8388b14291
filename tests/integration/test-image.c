/* test-image.c — end to end: a real daemon, `pcb build`, then the image checked with the
 * image-spec rules (ocicheck), skopeo and umoci; reproducibility across folders and mtimes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "base/util.h"
#include "ocicheck.h"
#include "testutil.h"

static struct pcb_test_daemon daemon_;

static void
setup(void)
{
	pcb_test_daemon_start(&daemon_, NULL, NULL);
}

static void
teardown(void)
{
	ck_assert_int_eq(pcb_test_daemon_stop(&daemon_), 0);
	pcb_test_daemon_free(&daemon_, true);
}

/* A src-layout project with a console script, plus things that must stay out of the image. */
static void
write_project(const char *ctx)
{
	pcb_test_write(ctx, "pyproject.toml",
	    "[project]\nname = \"greeter\"\nversion = \"2.1.0\"\n"
	    "description = \"Says hello\"\nlicense = {text = \"MIT\"}\n"
	    "requires-python = \">=3.10\"\n\n"
	    "[project.scripts]\ngreeter = \"greeter.cli:main\"\n", 0644);
	pcb_test_write(ctx, "README.md", "# greeter\n", 0644);
	pcb_test_write(ctx, "src/greeter/__init__.py", "", 0644);
	pcb_test_write(ctx, "src/greeter/cli.py",
	    "def main():\n    print('hello from greeter')\n    return 0\n", 0644);
	pcb_test_write(ctx, "src/greeter/run.sh", "#!/bin/sh\necho run\n", 0755);
	pcb_test_write(ctx, "src/greeter/__pycache__/cli.cpython-311.pyc", "junk", 0644);
	pcb_test_write(ctx, ".git/HEAD", "ref: refs/heads/main\n", 0644);
	pcb_test_write(ctx, "tests/test_x.py", "def test(): pass\n", 0644);
	pcb_test_write(ctx, "secret.env", "TOKEN=1\n", 0600);
	pcb_test_write(ctx, ".dockerignore", "src/greeter/ignored_*.py\nsecret.env\n", 0644);
	pcb_test_write(ctx, "src/greeter/ignored_local.py", "x = 1\n", 0644);
	{
		char *l = pcb_path_join(ctx, "src/greeter/alias.py");
		ck_assert_int_eq(symlink("cli.py", l), 0);
		free(l);
	}
}

/* Runs pcb build and returns the final build resource (stdout of --json). */
static json_object *
pcb_build(const char *ctx, const char *out, const char *tag, const char *extra, int want_rc)
{
	char *cmd, *stdout_text = NULL;
	json_object *b;
	int rc;

	cmd = pcb_xasprintf("SOURCE_DATE_EPOCH=1700000000 %s/pcb -H %s build %s -t %s --output %s "
	    "--json -q %s 2>%s/pcb-stderr.txt", pcb_test_build_dir(), daemon_.host, ctx, tag, out,
	    extra ? extra : "", daemon_.dir);
	rc = pcb_test_run(cmd, false, &stdout_text);
	if (rc != want_rc) {
		char *p = pcb_path_join(daemon_.dir, "pcb-stderr.txt");
		char *err = pcb_test_read(p, NULL);
		ck_abort_msg("pcb build exited %d (want %d): %s\nstdout: %s", rc, want_rc,
		    err ? err : "", stdout_text);
	}
	b = pcb_test_json(stdout_text, "pcb build --json output");
	free(stdout_text);
	free(cmd);
	return b;
}

/* --compression zstd: our layer is tar+zstd (the layout check decompresses it and compares
 * the diff_id), a level changes the bytes, and skopeo copies the image with the layer
 * decompressed to the same tar. */
START_TEST(zstd_layers)
{
	char *dir = pcb_test_tmpdir(), *text = NULL;
	char *ctx = pcb_path_join(dir, "ctx"), *out = pcb_path_join(dir, "out");
	char *out9 = pcb_path_join(dir, "out9"), *d1, *d9;
	json_object *b, *b9, *config = NULL;

	write_project(ctx);
	b = pcb_build(ctx, out, "greeter:z", "--compression zstd", 0);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(b, "result.layers.0.mediaType")),
	    "application/vnd.oci.image.layer.v1.tar+zstd");
	d1 = pcb_test_check_layout(out, "z", &config);
	b9 = pcb_build(ctx, out9, "greeter:z9", "--compression zstd --compression-level 9", 0);
	d9 = pcb_test_check_layout(out9, "z9", NULL);
	ck_assert_str_ne(d1, d9);
	/* Same tar either way: the diff_ids agree. */
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(b, "result.layers.0.diff_id")),
	    json_object_get_string(pcb_test_jget(b9, "result.layers.0.diff_id")));
	if (pcb_test_have("skopeo")) {
		int rc = pcb_test_runf(&text, "skopeo copy -q --dest-decompress oci:%s:z dir:%s/plain "
		    "2>&1", out, dir);
		ck_assert_msg(rc == 0, "skopeo: %s", text);
		free(text);
	}
	/* Bad values are refused by the client before anything is sent. */
	{
		char *cmd = pcb_xasprintf("%s/pcb -H %s build %s --compression lz4 2>&1",
		    pcb_test_build_dir(), daemon_.host, ctx);
		ck_assert_int_eq(pcb_test_run(cmd, false, &text), 2);
		ck_assert_msg(strstr(text, "--compression") != NULL, "%s", text);
		free(text);
		free(cmd);
	}
	json_object_put(config);
	json_object_put(b);
	json_object_put(b9);
	free(d1);
	free(d9);
	free(out9);
	free(out);
	free(ctx);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(build_verify_skopeo_umoci)
{
	char *dir = pcb_test_tmpdir();
	char *ctx = pcb_path_join(dir, "ctx"), *out = pcb_path_join(dir, "out");
	char *digest, *text = NULL, *bundle, *p;
	json_object *b, *config, *insp, *ep;
	struct stat st;

	write_project(ctx);
	b = pcb_build(ctx, out, "greeter:2.1.0", NULL, 0);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(b, "state")), "succeeded");
	digest = pcb_test_check_layout(out, "2.1.0", &config);
	ck_assert_str_eq(digest,
	    json_object_get_string(pcb_test_jget(b, "result.manifest.digest")));

	/* Config: what discovery found and what every image gets. */
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config, "config.WorkingDir")), "/app");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config,
	    "config.Labels.org.opencontainers.image.title")), "greeter");
	ep = pcb_test_jget(config, "config.Entrypoint");
	ck_assert_ptr_nonnull(ep);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(ep, 0)), "python");
	ck_assert_ptr_nonnull(strstr(json_object_get_string(ep), "greeter.cli"));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(pcb_test_jget(config, "config.Env")),
	    "PYTHONUNBUFFERED=1"));
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config, "created")),
	    "2023-11-14T22:13:20Z");

	/* skopeo reads it and agrees on the digest and labels. */
	if (pcb_test_have("skopeo")) {
		json_object *lab;
		ck_assert_int_eq(pcb_test_runf(&text, "skopeo inspect oci:%s:2.1.0", out), 0);
		insp = pcb_test_json(text, "skopeo inspect");
		ck_assert_str_eq(json_object_get_string(pcb_test_jget(insp, "Digest")), digest);
		lab = pcb_test_jget(insp, "Labels");
		ck_assert_ptr_nonnull(lab);
		ck_assert_str_eq(json_object_get_string(pcb_test_jget(insp, "Architecture")),
		    json_object_get_string(pcb_test_jget(config, "architecture")));
		json_object_put(insp);
		free(text);
	}

	/* umoci unpacks it; files where expected, with normalised modes; junk left out. */
	bundle = pcb_path_join(dir, "bundle");
	ck_assert_msg(pcb_test_runf(&text, "umoci unpack %s --image %s:2.1.0 %s",
	    getuid() == 0 ? "" : "--rootless", out, bundle) == 0, "umoci: %s", text);
	free(text);
	p = pcb_path_join(bundle, "rootfs/app/src/greeter/cli.py");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	free(p);
	p = pcb_path_join(bundle, "rootfs/app/src/greeter/run.sh");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	free(p);
	p = pcb_path_join(bundle, "rootfs/app/src/greeter/alias.py");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	free(p);
	p = pcb_path_join(bundle, "rootfs/app/pyproject.toml");
	ck_assert_int_eq(lstat(p, &st), 0);
	free(p);
	p = pcb_path_join(bundle, "rootfs/app/README.md");
	ck_assert_int_eq(lstat(p, &st), 0);
	free(p);
	/* The whole context is packed, as `COPY . .` would: tests too. */
	p = pcb_path_join(bundle, "rootfs/app/tests");
	ck_assert_int_eq(lstat(p, &st), 0);
	free(p);
	{
		static const char *absent[] = { "rootfs/app/.git",
		    "rootfs/app/secret.env", "rootfs/app/src/greeter/__pycache__",
		    "rootfs/app/src/greeter/ignored_local.py" };
		for (size_t i = 0; i < PCB_ARRAY_LEN(absent); i++) {
			p = pcb_path_join(bundle, absent[i]);
			ck_assert_msg(lstat(p, &st) != 0, "%s must not be in the image", absent[i]);
			free(p);
		}
	}
	/* umoci's runtime config carries the entrypoint and working dir. */
	p = pcb_path_join(bundle, "config.json");
	text = pcb_test_read(p, NULL);
	ck_assert_ptr_nonnull(text);
	insp = pcb_test_json(text, "bundle config.json");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(insp, "process.cwd")), "/app");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(insp, "process.args.0")), "python");
	json_object_put(insp);
	free(text);
	free(p);

	free(bundle);
	json_object_put(config);
	json_object_put(b);
	free(digest);
	free(ctx);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Sets every file's mtime under dir to t (find + touch). */
static void
touch_all(const char *dir, const char *stamp)
{
	ck_assert_int_eq(pcb_test_runf(NULL, "find %s -exec touch -h -d '%s' {} +", dir, stamp), 0);
}

START_TEST(reproducible_across_dirs_and_mtimes)
{
	char *dir = pcb_test_tmpdir();
	char *a = pcb_path_join(dir, "first/place"), *b = pcb_path_join(dir, "second");
	char *oa = pcb_path_join(dir, "out-a"), *ob = pcb_path_join(dir, "out-b");
	char *da, *db;
	json_object *ja, *jb;

	write_project(a);
	write_project(b);
	touch_all(a, "2001-02-03 04:05:06");
	touch_all(b, "2024-06-07 08:09:10");
	/* Permission bits other than x must not matter either. */
	ck_assert_int_eq(pcb_test_runf(NULL, "chmod 0600 %s/src/greeter/cli.py", b), 0);
	ja = pcb_build(a, oa, "greeter:r", NULL, 0);
	jb = pcb_build(b, ob, "greeter:r", NULL, 0);
	da = pcb_test_check_layout(oa, "r", NULL);
	db = pcb_test_check_layout(ob, "r", NULL);
	ck_assert_str_eq(da, db);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(ja, "result.layers.0.digest")),
	    json_object_get_string(pcb_test_jget(jb, "result.layers.0.digest")));
	/* And the blobs are bit-identical files. */
	ck_assert_int_eq(pcb_test_runf(NULL, "diff -r %s/blobs %s/blobs", oa, ob), 0);
	json_object_put(ja);
	json_object_put(jb);
	free(da);
	free(db);
	free(a);
	free(b);
	free(oa);
	free(ob);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(layout_keeps_other_tags)
{
	char *dir = pcb_test_tmpdir();
	char *ctx = pcb_path_join(dir, "ctx"), *out = pcb_path_join(dir, "out");
	char *d1, *d2, *d1b;
	json_object *j;

	write_project(ctx);
	j = pcb_build(ctx, out, "greeter:one", NULL, 0);
	json_object_put(j);
	pcb_test_write(ctx, "src/greeter/extra.py", "y = 2\n", 0644);
	j = pcb_build(ctx, out, "greeter:two", NULL, 0);
	json_object_put(j);
	d1 = pcb_test_check_layout(out, "one", NULL);
	d2 = pcb_test_check_layout(out, "two", NULL);
	ck_assert_str_ne(d1, d2);
	/* Rebuilding "one" replaces just that entry. */
	j = pcb_build(ctx, out, "greeter:one", NULL, 0);
	json_object_put(j);
	d1b = pcb_test_check_layout(out, "one", NULL);
	ck_assert_str_eq(d1b, d2);
	free(d1);
	free(d2);
	free(d1b);
	free(ctx);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(user_overrides)
{
	char *dir = pcb_test_tmpdir();
	char *ctx = pcb_path_join(dir, "ctx"), *out = pcb_path_join(dir, "out"), *d;
	json_object *j, *config;
	const char *env;

	write_project(ctx);
	j = pcb_build(ctx, out, "greeter:o", "--env MODE=prod --env PYTHONUNBUFFERED=0 "
	    "--label team=core --workdir /srv/greeter --platform linux/arm64 "
	    "--entrypoint '[\"python\",\"-m\",\"greeter.cli\"]'", 0);
	d = pcb_test_check_layout(out, "o", &config);
	env = json_object_get_string(pcb_test_jget(config, "config.Env"));
	ck_assert_ptr_nonnull(strstr(env, "MODE=prod"));
	ck_assert_ptr_nonnull(strstr(env, "PYTHONUNBUFFERED=0"));
	ck_assert_ptr_null(strstr(env, "PYTHONUNBUFFERED=1"));
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config, "config.Labels.team")),
	    "core");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config, "config.WorkingDir")),
	    "/srv/greeter");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config, "architecture")), "arm64");
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(config, "config.Entrypoint.2")),
	    "greeter.cli");
	/* Files follow the workdir. */
	ck_assert_int_eq(pcb_test_runf(NULL, "gzip -dc %s/blobs/sha256/%s | tar -t | "
	    "grep -qx 'srv/greeter/src/greeter/cli.py'", out,
	    json_object_get_string(pcb_test_jget(j, "result.layers.0.digest")) + 7), 0);
	json_object_put(config);
	json_object_put(j);
	free(d);
	free(ctx);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("e2e");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, build_verify_skopeo_umoci);
	tcase_add_test(tc, reproducible_across_dirs_and_mtimes);
	tcase_add_test(tc, layout_keeps_other_tags);
	tcase_add_test(tc, user_overrides);
	tcase_add_test(tc, zstd_layers);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
