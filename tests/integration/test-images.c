/* test-images.c — images in the store (issue 14): two images built by a real daemon, then
 * `pcb images` and its filter, `pcb inspect` (layers named base and app, the build that made
 * it, --format), `pcb history`, `pcb tag` / `pcb rm`, and `pcb save` read back by real tools:
 * the docker-archive by `podman load` and `skopeo inspect docker-archive:`, the oci-archive
 * by `skopeo inspect oci-archive:` and `umoci unpack`. A second tcase shares the daemon
 * between two accounts made with useradd: each sees only their own tags and the shared ones,
 * cannot remove another's (404) nor a shared one (403), and only admins write shared names. */
#include <check.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "ocicheck.h"
#include "testutil.h"

static struct pcb_test_daemon d;
static char *top;             /* 0711 temp folder: projects, outputs, a copy of pcb */
static char *pcb;             /* the pcb binary every user may run */
static char digest1[80], digest2[80], build2[40];

/* ---- helpers ---- */

static json_object *
parse(const char *s)
{
	json_object *j = json_tokener_parse(s != NULL ? s : "");
	ck_assert_msg(j != NULL, "not JSON: %s", s != NULL ? s : "(null)");
	return j;
}

static const char *
jstr(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);
	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* Runs pcb against the daemon, as user (NULL: root), stderr merged. Returns the exit status;
 * *out (caller frees) the output. */
__attribute__((format(printf, 3, 4)))
static int
run_pcb(const char *user, char **out, const char *fmt, ...)
{
	char *args, *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ck_assert(vasprintf(&args, fmt, ap) >= 0);
	va_end(ap);
	if (user != NULL)
		cmd = pcb_xasprintf("cd / && runuser -u %s -- %s -H %s %s 2>&1", user, pcb, d.host,
		    args);
	else
		cmd = pcb_xasprintf("%s -H %s %s 2>&1", pcb, d.host, args);
	rc = pcb_test_run(cmd, false, out);
	free(cmd);
	free(args);
	return rc;
}

/* The image entries of `pcb images --json` (as user) with this repository:tag, or NULL. */
static json_object *
listed(json_object *list, const char *repo, const char *tag)
{
	json_object *a = pcb_test_jget(list, "images");

	for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (strcmp(jstr(e, "repository"), repo) == 0 && strcmp(jstr(e, "tag"), tag) == 0)
			return e;
	}
	return NULL;
}

static json_object *
images_json(const char *user, const char *pattern)
{
	char *out = NULL;
	int rc = run_pcb(user, &out, "images --json %s", pattern != NULL ? pattern : "");
	json_object *j;

	ck_assert_msg(rc == 0, "pcb images: %s", out);
	j = parse(out);
	free(out);
	return j;
}

static void
write_project(const char *dir, const char *name, const char *message)
{
	char *py = pcb_xasprintf("def main():\n    print(\"%s\")\n", message);
	char *toml = pcb_xasprintf("[project]\nname = \"%s\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\n%s = \"%s.cli:main\"\n", name, name, name);
	char *init = pcb_xasprintf("%s/__init__.py", name), *cli = pcb_xasprintf("%s/cli.py", name);

	pcb_test_write(dir, "pyproject.toml", toml, 0644);
	pcb_test_write(dir, init, "", 0644);
	pcb_test_write(dir, cli, py, 0644);
	free(py);
	free(toml);
	free(init);
	free(cli);
}

/* Builds dir as user (NULL: root) with extra flags; returns the build resource. */
static json_object *
build(const char *user, const char *dir, const char *flags)
{
	char *out = NULL;
	int rc = run_pcb(user, &out, "build %s %s --json", dir, flags);
	json_object *j, *b;
	const char *brace;

	ck_assert_msg(rc == 0, "pcb build %s %s: %s", dir, flags, out);
	/* stderr (progress) is merged: the JSON is the last top-level object. */
	brace = strstr(out, "\n{");
	ck_assert_msg(brace != NULL || out[0] == '{', "no JSON in %s", out);
	j = parse(brace != NULL ? brace + 1 : out);
	b = json_object_get(j);
	json_object_put(j);
	free(out);
	return b;
}

static void
suite_setup(void)
{
	json_object *b;
	char *p1, *p2;

	top = pcb_test_tmpdir();
	chmod(top, 0711);
	pcb = pcb_path_join(top, "pcb");
	ck_assert_int_eq(pcb_test_runf(NULL, "cp '%s/pcb' '%s' && chmod 0755 '%s'",
	    pcb_test_build_dir(), pcb, pcb), 0);
	pcb_test_daemon_start(&d, NULL, NULL);
	chmod(d.dir, 0711);
	chmod(d.sock, 0666);
	p1 = pcb_path_join(top, "one");
	p2 = pcb_path_join(top, "two");
	write_project(p1, "hello", "one");
	write_project(p2, "greet", "two");
	b = build(NULL, p1, "-t hello:1");
	snprintf(digest1, sizeof digest1, "%s", jstr(b, "result.manifest.digest"));
	json_object_put(b);
	/* The second image is built on the first: its first layer is the base's. */
	b = build(NULL, p2, "-t team/app:2 --base-image hello:1");
	snprintf(digest2, sizeof digest2, "%s", jstr(b, "result.manifest.digest"));
	snprintf(build2, sizeof build2, "%s", jstr(b, "id"));
	json_object_put(b);
	free(p1);
	free(p2);
}

static void
suite_teardown(void)
{
	pcb_test_daemon_stop(&d);
	pcb_test_daemon_free(&d, true);
	pcb_test_rmtree(top);
	free(top);
	free(pcb);
}

/* ---- one user ---- */

START_TEST(test_list_and_filter)
{
	json_object *j = images_json(NULL, NULL), *e;
	char *out = NULL, *body = NULL;

	e = listed(j, "hello", "1");
	ck_assert_msg(e != NULL, "hello:1 not listed");
	ck_assert_str_eq(jstr(e, "digest"), digest1);
	ck_assert_str_eq(jstr(e, "ref"), "hello:1");
	ck_assert(json_object_get_boolean(pcb_test_jget(e, "shared")));   /* root's: shared */
	ck_assert_msg(jstr(e, "platform") != NULL && strncmp(jstr(e, "platform"), "linux/", 6) == 0,
	    "platform %s", jstr(e, "platform"));
	ck_assert_int_gt(json_object_get_int64(pcb_test_jget(e, "size")), 0);
	ck_assert_ptr_nonnull(jstr(e, "created"));
	e = listed(j, "team/app", "2");
	ck_assert_msg(e != NULL, "team/app:2 not listed");
	ck_assert_str_eq(jstr(e, "digest"), digest2);
	/* size: the config plus both layers, more than the first image's */
	ck_assert_int_gt(json_object_get_int64(pcb_test_jget(e, "size")),
	    json_object_get_int64(pcb_test_jget(listed(j, "hello", "1"), "size")));
	json_object_put(j);

	/* The filter: a glob on the repository, or on repo:tag with a ':'. */
	j = images_json(NULL, "'team/*'");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "images")), 1);
	ck_assert_ptr_nonnull(listed(j, "team/app", "2"));
	json_object_put(j);
	j = images_json(NULL, "'hel*:1'");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "images")), 1);
	ck_assert_ptr_nonnull(listed(j, "hello", "1"));
	json_object_put(j);
	j = images_json(NULL, "nothing-like-it");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "images")), 0);
	json_object_put(j);

	/* The table and its alias; --digests shows the whole digest, -q the references. */
	ck_assert_int_eq(run_pcb(NULL, &out, "ls"), 0);
	ck_assert_msg(strstr(out, "REPOSITORY") != NULL && strstr(out, "team/app") != NULL &&
	    strstr(out, "(shared)") != NULL, "%s", out);
	{
		char id[13];
		snprintf(id, sizeof id, "%.12s", digest2 + 7);
		ck_assert_msg(strstr(out, id) != NULL && strstr(out, digest2) == NULL, "%s", out);
	}
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "images --digests"), 0);
	ck_assert_msg(strstr(out, digest2) != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "images -q 'team/*'"), 0);
	ck_assert_str_eq(out, "team/app:2\n");
	free(out);

	/* Bad requests name what was wrong. */
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/images?bogus=1", NULL, 0, &body), 400);
	ck_assert_msg(strstr(body, "bogus") != NULL, "%s", body);
	free(body);
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/images/inspect", NULL, 0, &body), 400);
	ck_assert_msg(strstr(body, "ref") != NULL, "%s", body);
	free(body);
}
END_TEST

START_TEST(test_inspect_layers)
{
	char *out = NULL, *path;
	json_object *j, *layers, *l;

	ck_assert_int_eq(run_pcb(NULL, &out, "inspect team/app:2 --json"), 0);
	j = parse(out);
	free(out);
	ck_assert_str_eq(jstr(j, "digest"), digest2);
	ck_assert_str_eq(jstr(j, "ref"), "team/app:2");
	layers = pcb_test_jget(j, "layers");
	ck_assert_int_eq((int)json_object_array_length(layers), 2);
	l = json_object_array_get_idx(layers, 0);
	ck_assert_str_eq(jstr(l, "name"), "base");
	ck_assert_int_gt(json_object_get_int64(pcb_test_jget(l, "size")), 0);
	ck_assert_ptr_nonnull(jstr(l, "diff_id"));
	l = json_object_array_get_idx(layers, 1);
	ck_assert_str_eq(jstr(l, "name"), "app");
	ck_assert_str_eq(jstr(l, "created_by"), "pycontainerd: app layer");
	/* Our layer: the layer cache knows how big it is unpacked, the build whether it was
	 * reused (the second build packed it itself). */
	ck_assert_int_gt(json_object_get_int64(pcb_test_jget(l, "uncompressed_size")),
	    json_object_get_int64(pcb_test_jget(l, "size")));
	ck_assert_ptr_nonnull(pcb_test_jget(l, "reused"));
	ck_assert(!json_object_get_boolean(pcb_test_jget(l, "reused")));
	ck_assert_str_eq(jstr(j, "build.id"), build2);
	ck_assert_str_eq(jstr(pcb_test_jget(j, "manifest.config"), "digest"),
	    jstr(j, "config_digest"));
	ck_assert_str_eq(jstr(j, "config.config.WorkingDir"), "/app");
	json_object_put(j);

	/* The readable table. */
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect team/app:2"), 0);
	ck_assert_msg(strstr(out, "base") != NULL && strstr(out, "app") != NULL &&
	    strstr(out, build2) != NULL && strstr(out, "UNPACKED") != NULL, "%s", out);
	free(out);
	/* --format: docker-like templates and dotted paths. */
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect team/app:2 --format '{{.Config.WorkingDir}}'"),
	    0);
	ck_assert_str_eq(out, "/app\n");
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect team/app:2 -f layers.1.name"), 0);
	ck_assert_str_eq(out, "app\n");
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect team/app:2 -f '{{json .Config.Env}}'"), 0);
	ck_assert_msg(out[0] == '[' && strstr(out, "PYTHONPATH=") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect team/app:2 -f no.such.field"), 1);
	free(out);

	/* The same image by digest, digest prefix and build id; an unknown one is 404. */
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect %s -f digest", digest2), 0);
	ck_assert_msg(strncmp(out, digest2, strlen(digest2)) == 0, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect %.14s -f digest", digest2 + 7), 0);
	ck_assert_msg(strncmp(out, digest2, strlen(digest2)) == 0, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect %s -f digest", build2), 0);
	ck_assert_msg(strncmp(out, digest2, strlen(digest2)) == 0, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect no-such:1"), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);

	/* History: the config's entries, each with its layer. */
	path = pcb_xasprintf("/v1/images/history?ref=team%%2Fapp%%3A2");
	ck_assert_int_eq(pcb_test_http(&d, "GET", path, NULL, 0, &out), 200);
	j = parse(out);
	free(out);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "history")), 2);
	ck_assert_ptr_nonnull(jstr(json_object_array_get_idx(pcb_test_jget(j, "history"), 1),
	    "layer"));
	json_object_put(j);
	free(path);
	ck_assert_int_eq(run_pcb(NULL, &out, "history team/app:2"), 0);
	ck_assert_msg(strstr(out, "CREATED BY") != NULL && strstr(out, "pycontainerd: app layer"),
	    "%s", out);
	free(out);
}
END_TEST

START_TEST(test_tag_and_rm)
{
	char *out = NULL, *body = NULL;
	json_object *j;

	ck_assert_int_eq(run_pcb(NULL, &out, "tag hello:1 copy:7"), 0);
	ck_assert_msg(strstr(out, "Tagged copy:7") != NULL, "%s", out);
	free(out);
	j = images_json(NULL, "copy");
	ck_assert_str_eq(jstr(listed(j, "copy", "7"), "digest"), digest1);
	json_object_put(j);
	/* A bad target is refused with the reason. */
	ck_assert_int_eq(run_pcb(NULL, &out, "tag hello:1 'Bad Name'"), 1);
	ck_assert_msg(strstr(out, "400") != NULL && strstr(out, "target") != NULL, "%s", out);
	free(out);

	ck_assert_int_eq(run_pcb(NULL, &out, "rm copy:7"), 0);
	ck_assert_str_eq(out, "Untagged copy:7\n");
	free(out);
	j = images_json(NULL, "copy");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "images")), 0);
	json_object_put(j);
	ck_assert_int_eq(run_pcb(NULL, &out, "rm copy:7"), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	/* The blob stays: only the name went (the first image still uses it anyway). */
	ck_assert_int_eq(run_pcb(NULL, &out, "inspect %s -f digest", digest1), 0);
	free(out);
	/* By digest: every name of the image goes. */
	ck_assert_int_eq(run_pcb(NULL, &out, "tag hello:1 a:1"), 0);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "tag hello:1 b:1"), 0);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "tag hello:1 hello:1"), 0);
	free(out);
	ck_assert_int_eq(pcb_test_http(&d, "DELETE", "/v1/images", NULL, 0, &body), 400);
	free(body);
	ck_assert_int_eq(run_pcb(NULL, &out, "rm a:1 b:1"), 0);
	ck_assert_str_eq(out, "Untagged a:1\nUntagged b:1\n");
	free(out);
	j = images_json(NULL, "hello");
	ck_assert_ptr_nonnull(listed(j, "hello", "1"));
	json_object_put(j);
}
END_TEST

/* A folder's entries other than the ones named (to see no temporary file was left). */
static int
count_entries(const char *dir)
{
	return pcb_test_count_dir(dir);
}

START_TEST(test_save_docker_archive_podman_load)
{
	char *dir = pcb_path_join(top, "save-docker"), *file, *out = NULL, *podman;
	json_object *j;

	pcb_test_mkdir(top, "save-docker");
	file = pcb_path_join(dir, "app.tar");
	ck_assert_int_eq(run_pcb(NULL, &out, "save team/app:2 -o %s --format docker", file), 0);
	ck_assert_msg(strstr(out, "Saved team/app:2") != NULL && strstr(out, digest2) != NULL,
	    "%s", out);
	free(out);
	ck_assert_int_eq(count_entries(dir), 1);   /* no temporary file left behind */
	/* What docker load reads. */
	ck_assert_int_eq(pcb_test_runf(&out, "tar -xOf '%s' manifest.json", file), 0);
	j = parse(out);
	free(out);
	ck_assert_str_eq(json_object_get_string(pcb_test_jget(json_object_array_get_idx(j, 0),
	    "RepoTags.0")), "team/app:2");
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(
	    json_object_array_get_idx(j, 0), "Layers")), 2);
	json_object_put(j);
	/* skopeo reads it as a docker-archive. */
	ck_assert_int_eq(pcb_test_runf(&out, "skopeo inspect --raw docker-archive:'%s' 2>&1",
	    file), 0);
	ck_assert_msg(strstr(out, "layers") != NULL, "%s", out);
	free(out);
	/* podman loads it, under its name. */
	podman = pcb_xasprintf("podman --root '%s/proot' --runroot '%s/prun' --storage-driver vfs "
	    "--runtime runc --cgroup-manager cgroupfs --events-backend file", dir, dir);
	ck_assert_int_eq(pcb_test_runf(&out, "%s load -i '%s' 2>&1", podman, file), 0);
	ck_assert_msg(strstr(out, "team/app:2") != NULL, "podman load: %s", out);
	free(out);
	ck_assert_int_eq(pcb_test_runf(&out, "%s images --format '{{.Repository}}:{{.Tag}} "
	    "{{.ID}}' 2>&1", podman), 0);
	ck_assert_msg(strstr(out, "team/app:2") != NULL, "podman images: %s", out);
	free(out);
	/* The image config podman holds is ours (same WorkingDir and command). */
	ck_assert_int_eq(pcb_test_runf(&out, "%s image inspect --format '{{.Config.WorkingDir}}' "
	    "team/app:2 2>&1", podman), 0);
	ck_assert_str_eq(out, "/app\n");
	free(out);
	(void)pcb_test_runf(NULL, "%s system reset -f >/dev/null 2>&1; true", podman);
	free(podman);
	free(file);
	free(dir);
}
END_TEST

START_TEST(test_save_oci_archive_skopeo_umoci)
{
	char *dir = pcb_path_join(top, "save-oci"), *file, *out = NULL, *bad;
	const char *ref_name;
	json_object *j;

	pcb_test_mkdir(top, "save-oci");
	file = pcb_path_join(dir, "hello.tar");
	ck_assert_int_eq(run_pcb(NULL, &out, "save hello:1 -o %s", file), 0);
	free(out);
	ck_assert_int_eq(pcb_test_runf(&out, "skopeo inspect oci-archive:'%s' 2>&1", file), 0);
	j = parse(out);
	free(out);
	ck_assert_str_eq(jstr(j, "Digest"), digest1);
	json_object_put(j);
	/* umoci reads the layout (unpacked from the tar) and unpacks the app, by the name
	 * index.json gives it. */
	ck_assert_int_eq(pcb_test_runf(&out, "cd '%s' && mkdir layout && tar -xf hello.tar -C "
	    "layout && cat layout/index.json", dir), 0);
	j = parse(out);
	free(out);
	ck_assert_int_eq((int)json_object_array_length(pcb_test_jget(j, "manifests")), 1);
	ck_assert_str_eq(jstr(j, "manifests.0.digest"), digest1);
	ref_name = jstr(j, "manifests.0.annotations.org.opencontainers.image.ref.name");
	if (ref_name == NULL) {
		/* jget splits at dots: look the annotation up by hand. */
		json_object *ann = pcb_test_jget(j, "manifests.0.annotations"), *v = NULL;
		json_object_object_get_ex(ann, "org.opencontainers.image.ref.name", &v);
		ref_name = v != NULL ? json_object_get_string(v) : NULL;
	}
	ck_assert_msg(ref_name != NULL && strstr(ref_name, "1") != NULL, "ref.name %s",
	    ref_name != NULL ? ref_name : "(none)");
	ck_assert_int_eq(pcb_test_runf(&out, "cd '%s' && umoci unpack --image 'layout:%s' bundle "
	    "2>&1 && cat bundle/rootfs/app/hello/cli.py", dir, ref_name), 0);
	json_object_put(j);
	ck_assert_msg(strstr(out, "print(\"one\")") != NULL, "umoci: %s", out);
	free(out);

	/* A save that fails leaves nothing: no file, no temporary one. */
	bad = pcb_path_join(dir, "nothing.tar");
	ck_assert_int_eq(run_pcb(NULL, &out, "save no-such:1 -o %s", bad), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(access(bad, F_OK), -1);
	ck_assert_int_eq(pcb_test_runf(&out, "ls -A '%s' | grep -c pcb-save; true", dir), 0);
	ck_assert_str_eq(out, "0\n");
	free(out);
	/* Bad formats are refused before anything is asked. */
	ck_assert_int_eq(run_pcb(NULL, &out, "save hello:1 -o %s --format zip", bad), 2);
	free(out);
	ck_assert_int_eq(pcb_test_http(&d, "GET", "/v1/images/archive?ref=hello:1&format=zip",
	    NULL, 0, &out), 400);
	free(out);
	free(bad);
	free(file);
	free(dir);
}
END_TEST

/* ---- two users ---- */

static char alice[32], bob[32];
static uid_t alice_uid;
static bool users_ready;

static void
users_setup(void)
{
	int n = (int)(getpid() % 100000);
	char *out = NULL, *proj;
	json_object *b;

	users_ready = false;
	if (geteuid() != 0)
		return;
	snprintf(alice, sizeof alice, "pcbia%d", n);
	snprintf(bob, sizeof bob, "pcbib%d", n);
	if (pcb_test_runf(&out, "useradd -M -U -s /bin/sh %s && useradd -M -U -s /bin/sh %s 2>&1",
	    alice, bob) != 0) {
		free(out);
		return;
	}
	free(out);
	alice_uid = getpwnam(alice)->pw_uid;
	proj = pcb_path_join(top, "alice-app");
	write_project(proj, "hello", "alice");
	ck_assert_int_eq(pcb_test_runf(NULL, "chown -R %s: '%s'", alice, proj), 0);
	b = build(alice, proj, "-t app:1");
	json_object_put(b);
	free(proj);
	users_ready = true;
}

static void
users_teardown(void)
{
	if (alice[0] != '\0')
		(void)pcb_test_runf(NULL, "userdel %s; userdel %s; true", alice, bob);
}

START_TEST(test_tags_are_per_user)
{
	char *out = NULL, *key;
	json_object *j, *e;

	ck_assert_msg(users_ready, "useradd failed (run as root)");
	key = pcb_xasprintf("~%u/app:1", (unsigned)alice_uid);
	/* alice sees her own (not shared) and root's shared ones. */
	j = images_json(alice, NULL);
	e = listed(j, "app", "1");
	ck_assert_msg(e != NULL, "alice does not see app:1");
	ck_assert(!json_object_get_boolean(pcb_test_jget(e, "shared")));
	ck_assert_str_eq(jstr(e, "owner"), alice);
	ck_assert_str_eq(jstr(e, "ref"), "app:1");
	ck_assert(json_object_get_boolean(pcb_test_jget(listed(j, "hello", "1"), "shared")));
	json_object_put(j);
	/* bob does not, cannot inspect, save or remove it: 404, as if it were not there. */
	j = images_json(bob, NULL);
	ck_assert_ptr_null(listed(j, "app", "1"));
	ck_assert_ptr_nonnull(listed(j, "hello", "1"));
	json_object_put(j);
	ck_assert_int_eq(run_pcb(bob, &out, "inspect app:1"), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(bob, &out, "rm app:1"), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(bob, &out, "rm '%s'", key), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(bob, &out, "save app:1 -o /tmp/x-%s.tar", bob), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	/* An admin sees every user's, with the owner and the store key to name it by. */
	j = images_json(NULL, NULL);
	e = NULL;
	for (size_t i = 0; i < json_object_array_length(pcb_test_jget(j, "images")); i++) {
		json_object *x = json_object_array_get_idx(pcb_test_jget(j, "images"), i);
		if (strcmp(jstr(x, "ref"), key) == 0)
			e = x;
	}
	ck_assert_msg(e != NULL, "root does not see %s", key);
	ck_assert_str_eq(jstr(e, "owner"), alice);
	ck_assert_str_eq(jstr(e, "repository"), "app");
	json_object_put(j);

	/* Shared names: only admins write them; then every user sees one and cannot remove
	 * it (403). */
	ck_assert_int_eq(run_pcb(alice, &out, "tag app:1 team-base:1 --shared"), 1);
	ck_assert_msg(strstr(out, "403") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(NULL, &out, "tag '%s' team-base:1 --shared", key), 0);
	free(out);
	j = images_json(bob, NULL);
	e = listed(j, "team-base", "1");
	ck_assert_msg(e != NULL, "bob does not see the shared team-base:1");
	ck_assert(json_object_get_boolean(pcb_test_jget(e, "shared")));
	json_object_put(j);
	ck_assert_int_eq(run_pcb(bob, &out, "rm team-base:1"), 1);
	ck_assert_msg(strstr(out, "403") != NULL, "%s", out);
	free(out);
	/* bob's own name for it is his alone. */
	ck_assert_int_eq(run_pcb(bob, &out, "tag team-base:1 mine:1"), 0);
	ck_assert_msg(strstr(out, "(shared)") == NULL, "%s", out);
	free(out);
	j = images_json(alice, NULL);
	ck_assert_ptr_null(listed(j, "mine", "1"));
	json_object_put(j);
	ck_assert_int_eq(run_pcb(alice, &out, "rm mine:1"), 1);
	ck_assert_msg(strstr(out, "404") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(run_pcb(bob, &out, "rm mine:1"), 0);
	free(out);
	/* alice saves her image herself: the file is hers. */
	{
		char *adir = pcb_path_join(top, "alice-out"), *file;
		struct stat st;
		pcb_test_mkdir(top, "alice-out");
		ck_assert_int_eq(pcb_test_runf(NULL, "chown %s: '%s'", alice, adir), 0);
		file = pcb_path_join(adir, "app.tar");
		ck_assert_int_eq(run_pcb(alice, &out, "save app:1 -o %s --format docker", file), 0);
		free(out);
		ck_assert_int_eq(stat(file, &st), 0);
		ck_assert_uint_eq(st.st_uid, alice_uid);
		free(file);
		free(adir);
	}
	ck_assert_int_eq(run_pcb(NULL, &out, "rm team-base:1"), 0);
	free(out);
	free(key);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("images");
	TCase *tc = tcase_create("images");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_list_and_filter);
	tcase_add_test(tc, test_inspect_layers);
	tcase_add_test(tc, test_tag_and_rm);
	tcase_add_test(tc, test_save_docker_archive_podman_load);
	tcase_add_test(tc, test_save_oci_archive_skopeo_umoci);
	suite_add_tcase(s, tc);
	tc = tcase_create("users");
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_unchecked_fixture(tc, users_setup, users_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_tags_are_per_user);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
