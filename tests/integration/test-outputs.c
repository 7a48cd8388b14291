/* test-outputs.c — where `pcb build` puts an image (issue 14, outputs): several -o at once
 * (an OCI layout, an oci-archive and a docker-archive, read back by skopeo, podman and the
 * layout checker), --load into podman, --iidfile and --metadata-file against the build's
 * result, -q, --no-cache (every layer packed again, the same digests), --platform checked on
 * both sides, the scratch + Python warning, unknown -o forms refused, and archives written
 * for a non-root user: theirs, never through a symlink. */
#include <check.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "ocicheck.h"
#include "testutil.h"
#include "wheelfix.h"

static char *
pcb_bin(void)
{
	return pcb_xasprintf("%s/pcb", pcb_test_build_dir());
}

/* A console-script project (needs Python: on scratch it gets the warning). */
static char *
write_hello(const char *top)
{
	char *dir = pcb_path_join(top, "proj");

	pcb_test_write(dir, "pyproject.toml",
	    "[project]\nname = \"hello\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\nhello = \"hello.cli:main\"\n", 0644);
	pcb_test_write(dir, "hello/__init__.py", "", 0644);
	pcb_test_write(dir, "hello/cli.py", "def main():\n    print(\"hello\")\n", 0644);
	return dir;
}

static const char *
jstr(json_object *j, const char *path)
{
	return json_object_get_string(pcb_test_jget(j, path));
}

/* Runs `pcb -H host build ARGS --json` in dir; stderr goes to dir/stderr.txt, returned in
 * *err_out when not NULL. Returns the build resource, failing unless it succeeded. */
static json_object *
build_json(const struct pcb_test_daemon *d, const char *dir, const char *args,
    char **err_out)
{
	char *pcb = pcb_bin(), *out = NULL, *errp = pcb_path_join(dir, "stderr.txt"), *etext;
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "cd '%s' && %s -H %s build %s --json 2>'%s'", dir, pcb, d->host,
	    args, errp);
	etext = pcb_test_read(errp, NULL);
	ck_assert_msg(rc == 0, "pcb build %s: exit %d\n%s\n%s", args, rc, out,
	    etext != NULL ? etext : "");
	j = pcb_test_json(out, "pcb build --json");
	ck_assert_str_eq(jstr(j, "state"), "succeeded");
	if (err_out != NULL)
		*err_out = etext;
	else
		free(etext);
	free(out);
	free(errp);
	free(pcb);
	return j;
}

static char *
sha256_of_file(const char *path)
{
	char *out = NULL, *d;
	ck_assert_int_eq(pcb_test_runf(&out, "sha256sum '%s'", path), 0);
	out[64] = '\0';
	d = pcb_xasprintf("sha256:%s", out);
	free(out);
	return d;
}

/* One build, three outputs: the layout passes the layout checker; both archives unpack to
 * layouts that pass it too (every blob's size and digest, diff_ids of the layers) and name
 * the same manifest; skopeo reads both; podman loads the docker-archive under its tag with
 * the config digest as ID; --iidfile and --metadata-file hold the result's digests. */
START_TEST(three_outputs_at_once)
{
	struct pcb_test_daemon d;
	char *top = pcb_test_tmpdir(), *ctx, *out = NULL, *p, *m, *dig;
	const char *manifest, *config;
	json_object *j, *md, *sk;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = write_hello(top);
	j = build_json(&d, top, "proj -t hello:1.0 -o type=oci,dest=lay "
	    "-o type=oci-archive,dest=img-oci.tar --output type=docker,dest=img-docker.tar "
	    "--iidfile iid.txt --metadata-file md.json", NULL);
	manifest = jstr(j, "result.manifest.digest");
	config = jstr(j, "result.config.digest");
	ck_assert_str_eq(jstr(j, "result.outputs.0.type"), "oci-layout");
	ck_assert_str_eq(jstr(j, "result.outputs.1.type"), "oci-archive");
	ck_assert_str_eq(jstr(j, "result.outputs.2.type"), "docker-archive");
	p = pcb_xasprintf("%s/img-docker.tar", top);
	ck_assert_str_eq(jstr(j, "result.outputs.2.path"), p);
	free(p);

	p = pcb_path_join(top, "lay");
	m = pcb_test_check_layout(p, "1.0", NULL);
	ck_assert_str_eq(m, manifest);
	free(m);
	free(p);
	/* The archives, unpacked: OCI layouts naming the image by its whole reference. */
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "img-oci" : "img-docker";
		ck_assert_int_eq(pcb_test_runf(&out, "cd '%s' && mkdir x-%s && tar -xf %s.tar -C "
		    "x-%s 2>&1", top, name, name, name), 0);
		free(out);
		p = pcb_xasprintf("%s/x-%s", top, name);
		m = pcb_test_check_layout(p, "hello:1.0", NULL);
		ck_assert_str_eq(m, manifest);
		free(m);
		free(p);
	}
	/* docker's manifest.json: the config and layers by path, the tag. */
	p = pcb_xasprintf("%s/x-img-docker/manifest.json", top);
	m = pcb_test_read(p, NULL);
	md = pcb_test_json(m, "manifest.json");
	ck_assert_str_eq(jstr(md, "0.RepoTags.0"), "hello:1.0");
	dig = pcb_xasprintf("blobs/sha256/%s", config + 7);
	ck_assert_str_eq(jstr(md, "0.Config"), dig);
	free(dig);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(md, "0.Layers")),
	    (int)json_object_array_length(pcb_test_jget(j, "result.layers")));
	json_object_put(md);
	free(m);
	free(p);

	/* skopeo reads both. */
	ck_assert_msg(pcb_test_runf(&out, "skopeo inspect oci-archive:%s/img-oci.tar", top) == 0,
	    "%s", out);
	sk = pcb_test_json(out, "skopeo inspect oci-archive");
	ck_assert_str_eq(jstr(sk, "Digest"), manifest);
	json_object_put(sk);
	free(out);
	ck_assert_msg(pcb_test_runf(&out, "skopeo inspect --config --raw "
	    "docker-archive:%s/img-docker.tar > %s/cfg.json", top, top) == 0, "%s", out);
	free(out);
	p = pcb_path_join(top, "cfg.json");
	dig = sha256_of_file(p);
	ck_assert_str_eq(dig, config);
	free(dig);
	free(p);
	/* skopeo copies the docker-archive into an OCI layout: the same config, unchanged. */
	ck_assert_msg(pcb_test_runf(&out, "skopeo copy docker-archive:%s/img-docker.tar "
	    "oci:%s/copied:c 2>&1 && skopeo inspect --config --raw oci:%s/copied:c > %s/cfg2.json",
	    top, top, top, top) == 0, "%s", out);
	free(out);
	p = pcb_path_join(top, "cfg2.json");
	dig = sha256_of_file(p);
	ck_assert_str_eq(dig, config);
	free(dig);
	free(p);

	/* podman loads it (its own storage in the test's dir; vfs needs no privileges). */
	ck_assert_msg(pcb_test_runf(&out, "podman --root %s/pr --runroot %s/prr "
	    "--storage-driver vfs load -i %s/img-docker.tar 2>&1", top, top, top) == 0, "%s", out);
	free(out);
	ck_assert_int_eq(pcb_test_runf(&out, "podman --root %s/pr --runroot %s/prr "
	    "--storage-driver vfs images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'",
	    top, top), 0);
	p = pcb_xasprintf("hello:1.0 %s", config);
	ck_assert_msg(strstr(out, p) != NULL, "podman images: %s (want %s)", out, p);
	free(p);
	free(out);

	/* --iidfile: the image ID (config digest), as buildx writes it; --metadata-file. */
	p = pcb_path_join(top, "iid.txt");
	m = pcb_test_read(p, NULL);
	ck_assert_str_eq(m, config);
	free(m);
	free(p);
	p = pcb_path_join(top, "md.json");
	m = pcb_test_read(p, NULL);
	md = pcb_test_json(m, "metadata file");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(md,
	    "containerimage.digest")), manifest);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(md,
	    "containerimage.config.digest")), config);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(md, "image.name")),
	    "hello:1.0");
	{
		/* Keys with dots: looked up whole, not as paths. */
		json_object *desc = json_object_object_get(md, "containerimage.descriptor");
		ck_assert_str_eq(jstr(desc, "digest"), manifest);
		ck_assert_str_eq(jstr(desc, "mediaType"), jstr(j, "result.manifest.mediaType"));
		ck_assert_int_eq(json_object_get_int64(json_object_object_get(desc, "size")),
		    json_object_get_int64(pcb_test_jget(j, "result.manifest.size")));
	}
	json_object_put(md);
	free(m);
	free(p);

	json_object_put(j);
	(void)pcb_test_runf(NULL, "podman --root %s/pr --runroot %s/prr --storage-driver vfs "
	    "rmi -a -f >/dev/null 2>&1", top, top);
	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(ctx);
	free(top);
}
END_TEST

/* --load: docker's client is here without a daemon, so it falls back to podman (pointed at
 * a private storage by CONTAINERS_STORAGE_CONF); the temp archive is gone afterwards. With
 * neither on PATH it says so before building. */
START_TEST(load_into_podman)
{
	struct pcb_test_daemon d;
	char *top = pcb_test_tmpdir(), *ctx, *pcb = pcb_bin(), *out = NULL, *conf, *tmpd;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = write_hello(top);
	tmpd = pcb_path_join(top, "tmp");
	pcb_test_mkdir(top, "tmp");
	conf = pcb_xasprintf("[storage]\ndriver = \"vfs\"\nrunroot = \"%s/prr\"\n"
	    "graphroot = \"%s/pr\"\n", top, top);
	pcb_test_write(top, "storage.conf", conf, 0644);
	rc = pcb_test_runf(&out, "TMPDIR=%s CONTAINERS_STORAGE_CONF=%s/storage.conf %s -H %s "
	    "build %s -t loaded:2 --load -q 2>%s/err.txt", tmpd, top, pcb, d.host, ctx, top);
	{
		char *p = pcb_path_join(top, "err.txt"), *e = pcb_test_read(p, NULL);
		ck_assert_msg(rc == 0, "pcb build --load: %d %s %s", rc, out, e);
		ck_assert_msg(strstr(e, "Loaded image") != NULL, "%s", e);
		free(e);
		free(p);
	}
	/* -q's stdout is the digest alone, whatever podman says. */
	ck_assert_msg(strlen(out) == 72 && pcb_str_has_prefix(out, "sha256:"), "stdout: %s", out);
	free(out);
	ck_assert_int_eq(pcb_test_count_dir(tmpd), 0);
	ck_assert_int_eq(pcb_test_runf(&out, "podman --root %s/pr --runroot %s/prr "
	    "--storage-driver vfs images --format '{{.Repository}}:{{.Tag}}'", top, top), 0);
	ck_assert_msg(strstr(out, "loaded:2") != NULL, "podman images: %s", out);
	free(out);
	(void)pcb_test_runf(NULL, "podman --root %s/pr --runroot %s/prr --storage-driver vfs "
	    "rmi -a -f >/dev/null 2>&1", top, top);

	rc = pcb_test_runf(&out, "PATH=/nonexistent %s -H %s build %s --load 2>&1", pcb, d.host,
	    ctx);
	ck_assert_int_eq(rc, 1);
	ck_assert_msg(strstr(out, "neither is on PATH") != NULL && strstr(out, "build ") == NULL,
	    "%s", out);
	free(out);

	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(conf);
	free(tmpd);
	free(ctx);
	free(pcb);
	free(top);
}
END_TEST

/* An -o that is not type=…[,dest=…] is an error naming it, never a folder of that name;
 * the API refuses an unknown type naming it. */
START_TEST(unknown_output_refused)
{
	static const struct {
		const char *arg, *want;
	} bad[] = {
		{ "-o somedir", "'somedir'" },
		{ "-o type=tarball,dest=x.tar", "unknown output type 'tarball'" },
		{ "-o type=oci,dest=x,compression=zstd", "unknown key 'compression'" },
		{ "-o dest=x.tar", "needs type=" },
		{ "-o type=oci-archive", "needs dest=PATH" },
		{ "-o type=registry,dest=x", "takes no dest" },
	};
	struct pcb_test_daemon d;
	char *top = pcb_test_tmpdir(), *ctx, *pcb = pcb_bin(), *out = NULL, *body;
	long st;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = write_hello(top);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = pcb_test_runf(&out, "cd '%s' && %s -H %s build proj %s 2>&1", top, pcb, d.host,
		    bad[i].arg);
		ck_assert_msg(rc == 2, "%s: exit %d: %s", bad[i].arg, rc, out);
		ck_assert_msg(strstr(out, bad[i].want) != NULL, "%s: %s", bad[i].arg, out);
		free(out);
	}
	ck_assert_int_eq(pcb_test_count_dir(top), 1);   /* only proj: nothing written */

	body = pcb_xasprintf("{\"context\": \"%s\", \"outputs\": [{\"type\": \"tarball\", "
	    "\"path\": \"%s/x.tar\"}]}", ctx, top);
	st = pcb_test_http(&d, "POST", "/v1/builds", body, strlen(body), &out);
	ck_assert_msg(st == 400 && strstr(out, "'tarball' is not an output type") != NULL,
	    "%ld %s", st, out);
	free(out);
	free(body);
	/* An archive onto a folder: refused before building. */
	body = pcb_xasprintf("{\"context\": \"%s\", \"outputs\": [{\"type\": \"docker-archive\", "
	    "\"path\": \"%s\"}]}", ctx, ctx);
	st = pcb_test_http(&d, "POST", "/v1/builds", body, strlen(body), &out);
	ck_assert_msg(st == 400 && strstr(out, "is a folder") != NULL, "%ld %s", st, out);
	free(out);
	free(body);

	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(ctx);
	free(pcb);
	free(top);
}
END_TEST

/* result.layers[i].reused of a build resource. */
static bool
layer_reused(json_object *j, size_t i)
{
	json_object *l = json_object_array_get_idx(pcb_test_jget(j, "result.layers"), i);

	ck_assert_ptr_nonnull(l);
	return json_object_get_boolean(json_object_object_get(l, "reused"));
}

/* --no-cache: a rebuild that would reuse every layer packs every one again (reused false
 * for the app and each dependency layer), and the image is the same to the byte: same
 * manifest digest, same archive. -q prints the manifest digest alone. */
START_TEST(no_cache_rebuilds_the_same)
{
	struct pcb_test_daemon d;
	struct pcb_test_wheelidx idx;
	char *top = pcb_test_tmpdir(), *ctx, *wheels, *lock, *pcb = pcb_bin(), *out = NULL;
	char *a1, *a3, *args;
	json_object *j1, *j2, *j3;
	size_t n;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = write_hello(top);
	wheels = pcb_path_join(top, "wheels");
	pcb_test_wheels_make(wheels, "itsdangerous blinker");
	pcb_test_wheelidx_start(&idx, wheels);
	lock = pcb_path_join(ctx, "pylock.toml");
	pcb_test_wheels_pylock(wheels, idx.url, lock, NULL);
	args = pcb_xasprintf("proj -t nc:1 --no-compile -o type=docker,dest=%s", "a.tar");
	j1 = build_json(&d, top, args, NULL);
	free(args);
	n = json_object_array_length(pcb_test_jget(j1, "result.layers"));
	ck_assert_msg(n >= 3, "expected dependency layers: %s",
	    json_object_to_json_string(pcb_test_jget(j1, "result.layers")));
	j2 = build_json(&d, top, "proj -t nc:1 --no-compile", NULL);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(layer_reused(j2, i), "layer %zu not reused by a plain rebuild", i);
	j3 = build_json(&d, top, "proj -t nc:1 --no-compile --no-cache -o type=docker,dest=b.tar",
	    NULL);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!layer_reused(j3, i), "layer %zu reused with --no-cache: %s", i,
		    json_object_to_json_string(pcb_test_jget(j3, "result.layers")));
	ck_assert_str_eq(jstr(j1, "result.manifest.digest"), jstr(j3, "result.manifest.digest"));
	a1 = pcb_path_join(top, "a.tar");
	a3 = pcb_path_join(top, "b.tar");
	{
		char *s1 = sha256_of_file(a1), *s3 = sha256_of_file(a3);
		ck_assert_msg(strcmp(s1, s3) == 0, "the archives differ");
		free(s1);
		free(s3);
	}
	ck_assert(json_object_get_boolean(pcb_test_jget(j3, "spec.no_cache")));

	/* -q: the manifest digest and a newline, nothing else on stdout. */
	ck_assert_int_eq(pcb_test_runf(&out, "cd '%s' && %s -H %s build proj -t nc:1 --no-compile "
	    "-q 2>/dev/null", top, pcb, d.host), 0);
	{
		char *want = pcb_xasprintf("%s\n", jstr(j1, "result.manifest.digest"));
		ck_assert_str_eq(out, want);
		free(want);
	}
	free(out);

	pcb_test_wheelidx_stop(&idx);
	json_object_put(j1);
	json_object_put(j2);
	json_object_put(j3);
	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(a1);
	free(a3);
	free(lock);
	free(wheels);
	free(ctx);
	free(pcb);
	free(top);
}
END_TEST

/* linux/amd65: refused by the client before sending, and by the daemon for a request that
 * comes without the client, both listing the platforms there are. */
START_TEST(platform_checked)
{
	struct pcb_test_daemon d;
	char *top = pcb_test_tmpdir(), *ctx, *pcb = pcb_bin(), *out = NULL, *body;
	long st;
	int rc;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = write_hello(top);
	rc = pcb_test_runf(&out, "%s -H %s build %s --platform linux/amd65 2>&1", pcb, d.host, ctx);
	ck_assert_msg(rc == 2, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "unknown architecture 'amd65'") != NULL &&
	    strstr(out, "linux/amd64") != NULL && strstr(out, "linux/arm64") != NULL &&
	    strstr(out, "linux/arm/v7") != NULL, "%s", out);
	free(out);
	body = pcb_xasprintf("{\"context\": \"%s\", \"platform\": \"linux/amd65\"}", ctx);
	st = pcb_test_http(&d, "POST", "/v1/builds", body, strlen(body), &out);
	ck_assert_msg(st == 400 && strstr(out, "amd65") != NULL && strstr(out, "linux/s390x") !=
	    NULL, "%ld %s", st, out);
	free(out);
	free(body);
	body = pcb_xasprintf("{\"context\": \"%s\", \"platform\": \"linux/arm/v9\"}", ctx);
	st = pcb_test_http(&d, "POST", "/v1/builds", body, strlen(body), &out);
	ck_assert_msg(st == 400 && strstr(out, "unknown variant 'v9'") != NULL, "%ld %s", st, out);
	free(out);
	free(body);
	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(ctx);
	free(pcb);
	free(top);
}
END_TEST

/* A command that needs Python on the scratch base: a warn log event the client shows, and a
 * plan warning; a command that does not (a static program) gets none. */
START_TEST(scratch_python_warning)
{
	struct pcb_test_daemon d;
	char *top = pcb_test_tmpdir(), *ctx, *err = NULL, *pcb = pcb_bin(), *out = NULL;
	json_object *j;

	pcb_test_daemon_start(&d, NULL, NULL);
	ctx = write_hello(top);
	j = build_json(&d, top, "proj --base-image scratch", &err);
	ck_assert_msg(strstr(err, "[warn] the base image is scratch, which has no Python") != NULL,
	    "%s", err);
	free(err);
	{
		char *path = pcb_xasprintf("/v1/builds/%s/events", jstr(j, "id"));
		ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &out), 200);
		ck_assert_msg(strstr(out, "\"level\":\"warn\"") != NULL &&
		    strstr(out, "which has no Python") != NULL, "%s", out);
		free(out);
		free(path);
	}
	json_object_put(j);
	j = build_json(&d, top, "proj --base-image scratch --entrypoint /hello-static", &err);
	ck_assert_msg(strstr(err, "no Python") == NULL, "%s", err);
	free(err);
	json_object_put(j);
	ck_assert_int_eq(pcb_test_runf(&out, "%s -H %s build %s --dry-run --json", pcb, d.host,
	    ctx), 0);
	ck_assert_msg(strstr(out, "which has no Python") != NULL, "%s", out);
	free(out);
	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(ctx);
	free(pcb);
	free(top);
}
END_TEST

/* A daemon shared with a user made for the test: the archives pcb writes for them are
 * theirs (no temp file left), and a path through a symlink — a folder on the way, or the
 * name itself pointing at a file of root's — is refused, the target untouched. */
static char user[32];   /* set in the parent (unchecked fixture), so teardown can remove it */

static void
user_setup(void)
{
	snprintf(user, sizeof user, "pcbout%d", (int)(getpid() % 100000));
}

static void
user_teardown(void)
{
	(void)pcb_test_runf(NULL, "userdel %s >/dev/null 2>&1; groupdel %s >/dev/null 2>&1; true",
	    user, user);
}

START_TEST(archive_as_the_user)
{
	struct pcb_test_daemon d;
	char *top = NULL, *ctx, *pcb = pcb_bin(), *out = NULL, *p;
	struct passwd *pw;
	struct stat st;
	uid_t uid;
	int rc;

	if (geteuid() != 0) {
		ck_abort_msg("this test makes a user with useradd: run it as root");
		return;
	}
	ck_assert_msg(pcb_test_runf(&out, "useradd -M -U -s /bin/sh %s 2>&1", user) == 0, "%s",
	    out);
	free(out);
	pw = getpwnam(user);
	ck_assert_ptr_nonnull(pw);
	uid = pw->pw_uid;
	top = pcb_test_tmpdir();
	chmod(top, 0711);
	pcb_test_daemon_start(&d, NULL, NULL);
	chmod(d.dir, 0711);
	chmod(d.sock, 0666);
	ctx = write_hello(top);
	pcb_test_mkdir(top, "out");
	pcb_test_write(top, "rootfile", "root's\n", 0644);
	ck_assert_int_eq(pcb_test_runf(NULL, "chown -R %s: '%s/proj' '%s/out' && "
	    "ln -s '%s/out' '%s/link' && ln -s '%s/rootfile' '%s/out/evil.tar' && "
	    "chown -h %s: '%s/link' '%s/out/evil.tar'", user, top, top, top, top, top, top, user,
	    top, top), 0);

	rc = pcb_test_runf(&out, "cd '%s/out' && runuser -u %s -- %s -H %s build ../proj -q "
	    "-o type=docker,dest=d.tar -o type=oci-archive,dest=o.tar 2>&1", top, user, pcb,
	    d.host);
	ck_assert_msg(rc == 0, "build as %s: %s", user, out);
	free(out);
	for (int i = 0; i < 2; i++) {
		p = pcb_xasprintf("%s/out/%s", top, i == 0 ? "d.tar" : "o.tar");
		ck_assert_int_eq(lstat(p, &st), 0);
		ck_assert_msg(st.st_uid == uid && S_ISREG(st.st_mode), "%s owned by %u", p,
		    (unsigned)st.st_uid);
		free(p);
	}
	ck_assert_int_eq(pcb_test_runf(&out, "ls -A '%s/out' | grep tmp; true", top), 0);
	ck_assert_msg(out[0] == '\0', "temp files left: %s", out);
	free(out);

	/* Through the API, as the user (no client to resolve anything). */
	for (int i = 0; i < 2; i++) {
		const char *dest = i == 0 ? "link/x.tar" : "out/evil.tar";
		char *body = pcb_xasprintf("{\"context\": \"%s\", \"outputs\": [{\"type\": "
		    "\"docker-archive\", \"path\": \"%s/%s\"}]}", ctx, top, dest);
		char *bf = pcb_xasprintf("%s/body.json", top), *id, *path, *job = NULL;
		json_object *sj, *jj;
		int64_t deadline = pcb_monotonic_ms() + 60000;

		pcb_test_write(top, "body.json", body, 0644);
		ck_assert_int_eq(pcb_test_runf(&out, "runuser -u %s -- curl -s --unix-socket '%s' "
		    "-H 'Content-Type: application/json' --data-binary @'%s' http://x/v1/builds",
		    user, d.sock, bf), 0);
		sj = pcb_test_json(out, "POST /v1/builds");
		ck_assert_ptr_nonnull(jstr(sj, "id"));
		id = pcb_xstrdup(jstr(sj, "id"));
		json_object_put(sj);
		free(out);
		path = pcb_xasprintf("/v1/builds/%s", id);
		for (;;) {
			ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &job), 200);
			jj = pcb_test_json(job, "build");
			free(job);
			if (strcmp(jstr(jj, "state"), "failed") == 0 ||
			    strcmp(jstr(jj, "state"), "succeeded") == 0)
				break;
			json_object_put(jj);
			ck_assert_msg(pcb_monotonic_ms() < deadline, "build did not end");
			nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);   /* poll interval */
		}
		ck_assert_msg(strcmp(jstr(jj, "state"), "failed") == 0 &&
		    strstr(jstr(jj, "error.message"), "symbolic link") != NULL, "%s: %s", dest,
		    jstr(jj, "error.message"));
		json_object_put(jj);
		free(path);
		free(id);
		free(bf);
		free(body);
	}
	p = pcb_path_join(top, "rootfile");
	out = pcb_test_read(p, NULL);
	ck_assert_str_eq(out, "root's\n");
	free(out);
	free(p);
	p = pcb_path_join(top, "out/x.tar");
	ck_assert_msg(access(p, F_OK) != 0, "written through the symlinked folder");
	free(p);

	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(ctx);
	free(pcb);
	free(top);
}
END_TEST

static Suite *
outputs_suite(void)
{
	Suite *s = suite_create("outputs");
	TCase *tc = tcase_create("outputs");

	tcase_set_timeout(tc, 240);
	tcase_add_unchecked_fixture(tc, user_setup, user_teardown);
	tcase_add_test(tc, three_outputs_at_once);
	tcase_add_test(tc, load_into_podman);
	tcase_add_test(tc, unknown_output_refused);
	tcase_add_test(tc, no_cache_rebuilds_the_same);
	tcase_add_test(tc, platform_checked);
	tcase_add_test(tc, scratch_python_warning);
	tcase_add_test(tc, archive_as_the_user);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(outputs_suite());
}
