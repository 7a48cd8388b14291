/* test-registry-e2e.c — the whole registry story as a user lives it, once per kind of registry
 * set-up (issue 4, "Tests"): the real `pcb` client against a real pycontainerd and a real
 * docker-registry on loopback, in plain HTTP, htpasswd basic auth over TLS, token auth (JWT with
 * x5c, checked by the registry) and token auth with the password coming from a credential helper
 * on PATH. In each: `pcb build --push`, skopeo inspect and skopeo copy back to an OCI layout
 * with the same digest, `pcb pull` into a second daemon, a re-push sending no blob, a push to
 * another repository mounting instead of uploading, and the password nowhere in the daemons'
 * state dirs or logs afterwards. Then the errors a user meets: a wrong saved password, a token
 * server handing out expired tokens, a repository that does not exist. */
#include <check.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "ocicheck.h"
#include "regfix.h"
#include "testutil.h"

enum setup {
	SETUP_PLAIN,
	SETUP_BASIC_TLS,
	SETUP_TOKEN,
	SETUP_HELPER,      /* token registry, credHelpers → docker-credential-pcbe2e */
	SETUP_CREDS_STORE, /* token registry, credsStore → docker-credential-pcbe2e */
	SETUP_IDENTITY,    /* token registry, config.json "identitytoken" (a refresh token) */
	SETUP_PODMAN,      /* basic auth over TLS, podman's auth.json, CA from certs.d only */
};

/* Everything one test owns: its temp dir, its registry, its two daemons. */
struct e2e {
	enum setup setup;
	struct pcb_test_registry reg;
	struct pcb_test_daemon d1, d2;
	bool d2_started;
	char *tmp;
	char *pcb;
	char *env;         /* variables every pcb run gets */
	char *ctx;         /* the project */
	char *ca_opt;      /* " --ca-cert FILE" or "" */
	char *skopeo_src;  /* skopeo copy's source options */
	char *skopeo_insp; /* skopeo inspect's options */
	char *helper_log;  /* helper set-ups: one line per helper call */
	char *secret;      /* what must never be kept: the password or identity token */
};

static bool
have_tools(void)
{
	if (!pcb_test_have("docker-registry") || !pcb_test_have("skopeo")) {
		fprintf(stderr, "docker-registry or skopeo not installed: skipped\n");
		return false;
	}
	return true;
}

static void
write_project(const char *dir)
{
	pcb_test_write(dir, "pyproject.toml",
	    "[project]\nname = \"e2eapp\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\ne2eapp = \"e2eapp.cli:main\"\n", 0644);
	pcb_test_write(dir, "e2eapp/__init__.py", "", 0644);
	pcb_test_write(dir, "e2eapp/cli.py",
	    "def main():\n    print(\"hello from the e2e image\")\n", 0644);
}

/* Runs pcb against daemon d (NULL: no -H) with the test's environment; stdout into *out,
 * stderr into *err_out (both caller frees). Returns the exit status. */
static int __attribute__((format(printf, 5, 6)))
pcb_run(const struct e2e *e, const struct pcb_test_daemon *d, char **out, char **err_out,
    const char *fmt, ...)
{
	char *args = NULL, *cmd, *errf = pcb_path_join(e->tmp, "stderr.txt");
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&args, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	cmd = pcb_xasprintf("%s %s%s%s %s 2>'%s'", e->env, e->pcb, d ? " -H " : "",
	    d ? d->host : "", args, errf);
	rc = pcb_test_run(cmd, false, out);
	*err_out = pcb_test_read(errf, NULL);
	if (*err_out == NULL)
		*err_out = pcb_xstrdup("");
	free(cmd);
	free(args);
	free(errf);
	return rc;
}

static const char *
jstr_at(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);

	ck_assert_msg(v != NULL && json_object_is_type(v, json_type_string), "%s missing in %s",
	    path, json_object_to_json_string(j));
	return json_object_get_string(v);
}

static int64_t
jint_at(json_object *j, const char *path)
{
	json_object *v = pcb_test_jget(j, path);

	ck_assert_msg(v != NULL && json_object_is_type(v, json_type_int), "%s missing in %s",
	    path, json_object_to_json_string(j));
	return json_object_get_int64(v);
}

/* The docker-credential-pcbe2e helper: answers `get` with the registry's user and password
 * and logs each call (verb and server) so the test sees it was asked. */
static void
write_helper(struct e2e *e)
{
	char *bin = pcb_path_join(e->tmp, "bin"), *script, *cfg;

	e->helper_log = pcb_path_join(e->tmp, "helper.log");
	script = pcb_xasprintf("#!/bin/sh\n"
	    "read -r server || true\n"
	    "echo \"$1 $server\" >> '%s'\n"
	    "[ \"$1\" = get ] || exit 1\n"
	    "printf '{\"ServerURL\": \"%%s\", \"Username\": \"%s\", \"Secret\": \"%s\"}\\n' "
	    "\"$server\"\n", e->helper_log, e->reg.username, e->reg.password);
	pcb_test_write(bin, "docker-credential-pcbe2e", script, 0755);
	if (e->setup == SETUP_CREDS_STORE)
		cfg = pcb_xstrdup("{\"credsStore\": \"pcbe2e\"}\n");
	else
		cfg = pcb_xasprintf("{\"credHelpers\": {\"%s\": \"pcbe2e\"}}\n", e->reg.host);
	pcb_test_write(e->tmp, "docker/config.json", cfg, 0600);
	free(cfg);
	free(script);
	free(bin);
}

/* pcb login (verified against the registry) into the test's DOCKER_CONFIG. */
static void
login(struct e2e *e, const char *password, bool verify)
{
	char *out = NULL, *err = NULL, *cfg;
	int rc;

	rc = pcb_run(e, NULL, &out, &err, "login%s%s -u '%s' --password-stdin %s < '%s/pw'",
	    verify ? " --verify" : "", verify ? e->ca_opt : "", e->reg.username, e->reg.host,
	    e->tmp);
	ck_assert_msg(rc == 0, "pcb login exited %d: %s%s", rc, out, err);
	ck_assert_msg(strstr(out, password) == NULL && strstr(err, password) == NULL,
	    "login printed the password");
	cfg = pcb_xasprintf("%s/docker/config.json", e->tmp);
	ck_assert_msg(access(cfg, R_OK) == 0, "login wrote no %s", cfg);
	free(cfg);
	free(out);
	free(err);
}

static void
write_password_file(struct e2e *e, const char *password)
{
	char *text = pcb_xasprintf("%s\n", password);

	pcb_test_write(e->tmp, "pw", text, 0600);
	free(text);
}

/* An identity token as docker stores one after an OAuth2 login: a refresh token from the
 * token server (offline_token=true), saved as "identitytoken" in config.json. */
static void
write_identity_token(struct e2e *e)
{
	char *out = NULL, *cfg;
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "curl -sf --cacert '%s' -u '%s:%s' "
	    "'%s?service=%s&scope=repository:e2e/app:pull&offline_token=true'", e->reg.ca_file,
	    e->reg.username, e->reg.password, e->reg.token_realm, e->reg.service);
	ck_assert_msg(rc == 0, "refresh token: %d %s", rc, out);
	j = pcb_test_json(out, "token server answer");
	e->secret = pcb_xstrdup(jstr_at(j, "refresh_token"));
	cfg = pcb_xasprintf("{\"auths\": {\"%s\": {\"identitytoken\": \"%s\"}}}\n",
	    e->reg.host, e->secret);
	pcb_test_write(e->tmp, "docker/config.json", cfg, 0600);
	free(cfg);
	json_object_put(j);
	free(out);
}

/* podman's auth.json ($REGISTRY_AUTH_FILE) and the CA in the user's certs.d, as podman users
 * have them: no docker config, no --ca-cert. */
static void
write_podman_auth(struct e2e *e)
{
	char *up = pcb_xasprintf("%s:%s", e->reg.username, e->reg.password), *b64 = NULL, *cfg;
	char *ca = pcb_test_read(e->reg.ca_file, NULL), *rel;
	int rc;

	pcb_test_write(e->tmp, "up", up, 0600);
	rc = pcb_test_runf(&b64, "base64 -w0 < '%s/up'", e->tmp);
	ck_assert_int_eq(rc, 0);
	cfg = pcb_xasprintf("{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}\n", e->reg.host, b64);
	pcb_test_write(e->tmp, "auth.json", cfg, 0600);
	rel = pcb_xasprintf("xdg/containers/certs.d/%s/ca.crt", e->reg.host);
	pcb_test_write(e->tmp, rel, ca, 0644);
	free(rel);
	free(ca);
	free(cfg);
	free(b64);
	free(up);
}

static void
e2e_start(struct e2e *e, enum setup setup)
{
	char *certs;

	memset(e, 0, sizeof *e);
	e->setup = setup;
	e->tmp = pcb_test_tmpdir();
	e->pcb = pcb_xasprintf("%s/pcb", pcb_test_build_dir());
	pcb_test_registry_start(&e->reg, setup == SETUP_PLAIN ? PCB_TEST_REGISTRY_PLAIN :
	    setup == SETUP_BASIC_TLS || setup == SETUP_PODMAN ? PCB_TEST_REGISTRY_BASIC_TLS :
	    PCB_TEST_REGISTRY_TOKEN);
	pcb_test_daemon_start(&e->d1, NULL, NULL);
	/* Credentials only from the test's own files, never from the account running it. */
	e->env = pcb_xasprintf("PATH='%s/bin':\"$PATH\" DOCKER_CONFIG='%s/docker' "
	    "REGISTRY_AUTH_FILE='%s/auth.json' XDG_CONFIG_HOME='%s/xdg' "
	    "XDG_RUNTIME_DIR='%s/run' PCB_REGISTRY_USERNAME= PCB_REGISTRY_PASSWORD=", e->tmp,
	    e->tmp, e->tmp, e->tmp, e->tmp);
	e->ctx = pcb_path_join(e->tmp, "proj");
	write_project(e->ctx);
	if (e->reg.ca_file != NULL) {
		char *ca = pcb_test_read(e->reg.ca_file, NULL);

		certs = pcb_path_join(e->tmp, "skopeo-certs");
		pcb_test_write(certs, "ca.crt", ca, 0644);
		free(ca);
		e->ca_opt = setup == SETUP_PODMAN ? pcb_xstrdup("") :
		    pcb_xasprintf(" --ca-cert '%s'", e->reg.ca_file);
		e->skopeo_insp = pcb_xasprintf("--cert-dir '%s' --creds '%s:%s'", certs,
		    e->reg.username, e->reg.password);
		e->skopeo_src = pcb_xasprintf("--src-cert-dir '%s' --src-creds '%s:%s'", certs,
		    e->reg.username, e->reg.password);
		free(certs);
	} else {
		e->ca_opt = pcb_xstrdup("");
		e->skopeo_insp = pcb_xstrdup("--tls-verify=false");
		e->skopeo_src = pcb_xstrdup("--src-tls-verify=false");
	}
	if (setup == SETUP_BASIC_TLS || setup == SETUP_TOKEN) {
		write_password_file(e, e->reg.password);
		login(e, e->reg.password, true);
	} else if (setup == SETUP_HELPER || setup == SETUP_CREDS_STORE) {
		write_helper(e);
	} else if (setup == SETUP_IDENTITY) {
		write_identity_token(e);
	} else if (setup == SETUP_PODMAN) {
		write_podman_auth(e);
	}
	if (e->secret == NULL && e->reg.password != NULL)
		e->secret = pcb_xstrdup(e->reg.password);
}

/* Stops the daemons (each must exit 0) and the registry; frees everything. */
static void
e2e_stop(struct e2e *e)
{
	if (e->d1.pid > 0)
		ck_assert_int_eq(pcb_test_daemon_stop(&e->d1), 0);
	if (e->d2_started && e->d2.pid > 0)
		ck_assert_int_eq(pcb_test_daemon_stop(&e->d2), 0);
	pcb_test_daemon_free(&e->d1, true);
	if (e->d2_started)
		pcb_test_daemon_free(&e->d2, true);
	pcb_test_registry_stop(&e->reg);
	pcb_test_rmtree(e->tmp);
	free(e->tmp);
	free(e->pcb);
	free(e->env);
	free(e->ctx);
	free(e->ca_opt);
	free(e->skopeo_insp);
	free(e->skopeo_src);
	free(e->helper_log);
	free(e->secret);
}

/* True (and the files named on stderr) when needle is in any file under dir or in file. */
static bool
leaked(const char *needle, const char *dir, const char *file)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "grep -r -a -l -F -e '%s' '%s' '%s' 2>/dev/null", needle, dir,
	    file);

	if (rc == 0)
		fprintf(stderr, "secret found in: %s\n", out);
	free(out);
	return rc == 0;
}

static char *
skopeo_inspect_digest(const struct e2e *e, const char *repo_tag)
{
	char *out = NULL, *d;
	json_object *j;
	int rc;

	rc = pcb_test_runf(&out, "skopeo inspect %s docker://%s/%s 2>&1", e->skopeo_insp,
	    e->reg.host, repo_tag);
	ck_assert_msg(rc == 0, "skopeo inspect %s: %d %s", repo_tag, rc, out);
	j = pcb_test_json(out, "skopeo inspect");
	d = pcb_xstrdup(jstr_at(j, "Digest"));
	json_object_put(j);
	free(out);
	return d;
}

/* A push job's --json: succeeded, pushed[0] has the digest; returns its blob counts. */
static void
check_push_json(const char *out, const char *what, const char *want_digest, int64_t *uploaded,
    int64_t *skipped, int64_t *mounted, int64_t *bytes)
{
	json_object *j = pcb_test_json(out, what);

	ck_assert_msg(strcmp(jstr_at(j, "state"), "succeeded") == 0, "%s: %s", what, out);
	ck_assert_str_eq(jstr_at(j, "result.pushed.0.digest"), want_digest);
	*uploaded = jint_at(j, "result.pushed.0.blobs.uploaded");
	*skipped = jint_at(j, "result.pushed.0.blobs.skipped");
	*mounted = jint_at(j, "result.pushed.0.blobs.mounted");
	*bytes = jint_at(j, "result.pushed.0.blobs.bytes_sent");
	json_object_put(j);
}

/* The checks of issue 4, in one set-up. */
static void
e2e_run(struct e2e *e)
{
	char *out = NULL, *err = NULL, *digest, *build_id, *sd, *layout, *got, *target;
	const char *pw = e->secret;
	json_object *j;
	int64_t up, sk, mo, by, nblobs;
	int rc;

	/* 1) build and push in one go */
	rc = pcb_run(e, &e->d1, &out, &err, "build '%s' --push -t %s/e2e/app:1%s --json", e->ctx,
	    e->reg.host, e->ca_opt);
	ck_assert_msg(rc == 0, "pcb build --push exited %d: %s%s", rc, out, err);
	j = pcb_test_json(out, "pcb build --json");
	ck_assert_str_eq(jstr_at(j, "state"), "succeeded");
	digest = pcb_xstrdup(jstr_at(j, "result.manifest.digest"));
	build_id = pcb_xstrdup(jstr_at(j, "id"));
	ck_assert_msg(pcb_digest_valid(digest), "build digest %s", digest);
	ck_assert_str_eq(jstr_at(j, "result.pushed.0.digest"), digest);
	target = pcb_xasprintf("%s/e2e/app:1", e->reg.host);
	ck_assert_str_eq(jstr_at(j, "result.pushed.0.target"), target);
	free(target);
	ck_assert_int_gt(jint_at(j, "result.pushed.0.blobs.uploaded"), 0);
	ck_assert_int_gt(jint_at(j, "result.pushed.0.blobs.bytes_sent"), 0);
	ck_assert_msg(json_object_is_type(pcb_test_jget(j, "result.layers"), json_type_array),
	    "no result.layers: %s", out);
	nblobs = (int64_t)json_object_array_length(pcb_test_jget(j, "result.layers")) + 1;
	ck_assert_msg(pw == NULL || strstr(out, pw) == NULL, "password in --json");
	json_object_put(j);
	free(out);
	free(err);

	/* 2) skopeo sees the same manifest */
	sd = skopeo_inspect_digest(e, "e2e/app:1");
	ck_assert_str_eq(sd, digest);
	free(sd);

	/* 3) skopeo copy back to an OCI layout: a valid image with the same manifest digest */
	layout = pcb_path_join(e->tmp, "copied");
	rc = pcb_test_runf(&out, "skopeo copy %s docker://%s/e2e/app:1 oci:'%s':1 2>&1",
	    e->skopeo_src, e->reg.host, layout);
	ck_assert_msg(rc == 0, "skopeo copy: %d %s", rc, out);
	free(out);
	got = pcb_test_check_layout(layout, "1", NULL);
	ck_assert_str_eq(got, digest);
	free(got);
	free(layout);

	/* 4) pcb pull into a second daemon that has never seen the image */
	pcb_test_daemon_start(&e->d2, NULL, NULL);
	e->d2_started = true;
	rc = pcb_run(e, &e->d2, &out, &err, "pull %s/e2e/app:1%s --json", e->reg.host,
	    e->ca_opt);
	ck_assert_msg(rc == 0, "pcb pull exited %d: %s%s", rc, out, err);
	j = pcb_test_json(out, "pcb pull --json");
	ck_assert_str_eq(jstr_at(j, "state"), "succeeded");
	ck_assert_str_eq(jstr_at(j, "result.manifest.digest"), digest);
	json_object_put(j);
	free(out);
	free(err);

	/* 5) re-push of the build: every blob is known to be there, nothing is sent */
	rc = pcb_run(e, &e->d1, &out, &err, "push %s %s/e2e/app:1%s --json", build_id,
	    e->reg.host, e->ca_opt);
	ck_assert_msg(rc == 0, "re-push exited %d: %s%s", rc, out, err);
	check_push_json(out, "re-push", digest, &up, &sk, &mo, &by);
	ck_assert_msg(up == 0 && by == 0, "re-push uploaded %lld blobs, %lld bytes: %s",
	    (long long)up, (long long)by, out);
	ck_assert_int_eq(sk + mo, nblobs);
	free(out);
	free(err);

	/* … and from the daemon that pulled it (its store learnt where the blobs are) */
	rc = pcb_run(e, &e->d2, &out, &err, "push %s/e2e/app:1 %s/e2e/app:1%s --json",
	    e->reg.host, e->reg.host, e->ca_opt);
	ck_assert_msg(rc == 0, "re-push from the pulling daemon exited %d: %s%s", rc, out, err);
	check_push_json(out, "re-push from d2", digest, &up, &sk, &mo, &by);
	ck_assert_msg(up == 0 && by == 0, "re-push from d2 uploaded %lld blobs, %lld bytes: %s",
	    (long long)up, (long long)by, out);
	free(out);
	free(err);

	/* 6) another repository of the same registry: blobs mounted (or found), none uploaded */
	rc = pcb_run(e, &e->d1, &out, &err, "push %s/e2e/app:1 %s/e2e/other:2%s --json",
	    e->reg.host, e->reg.host, e->ca_opt);
	ck_assert_msg(rc == 0, "push to e2e/other exited %d: %s%s", rc, out, err);
	check_push_json(out, "push to another repository", digest, &up, &sk, &mo, &by);
	ck_assert_msg(up == 0 && by == 0, "cross-repository push uploaded %lld blobs, %lld bytes: "
	    "%s", (long long)up, (long long)by, out);
	ck_assert_int_eq(sk + mo, nblobs);
	/* the other repository is new, so its blobs can only have come by mount */
	ck_assert_msg(mo > 0, "no blob mounted into the new repository: %s", out);
	free(out);
	free(err);
	sd = skopeo_inspect_digest(e, "e2e/other:2");
	ck_assert_str_eq(sd, digest);
	free(sd);

	if (e->setup == SETUP_HELPER || e->setup == SETUP_CREDS_STORE) {
		char *log = pcb_test_read(e->helper_log, NULL), *want;

		want = pcb_xasprintf("get %s", e->reg.host);
		ck_assert_msg(log != NULL && strstr(log, want) != NULL, "helper log: %s",
		    log ? log : "(none)");
		free(want);
		free(log);
	}

	/* 7) once the daemons are gone: the password in none of their files */
	ck_assert_int_eq(pcb_test_daemon_stop(&e->d1), 0);
	ck_assert_int_eq(pcb_test_daemon_stop(&e->d2), 0);
	e->d1.pid = e->d2.pid = 0;
	if (pw != NULL) {
		ck_assert_msg(!leaked(pw, e->d1.state, e->d1.log), "password kept by daemon 1");
		ck_assert_msg(!leaked(pw, e->d2.state, e->d2.log), "password kept by daemon 2");
	}
	free(digest);
	free(build_id);
}

START_TEST(e2e_plain)
{
	struct e2e e;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_PLAIN);
	e2e_run(&e);
	e2e_stop(&e);
}
END_TEST

START_TEST(e2e_basic_tls)
{
	struct e2e e;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_BASIC_TLS);
	e2e_run(&e);
	e2e_stop(&e);
}
END_TEST

START_TEST(e2e_token)
{
	struct e2e e;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_TOKEN);
	e2e_run(&e);
	e2e_stop(&e);
}
END_TEST

START_TEST(e2e_cred_helper)
{
	struct e2e e;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_HELPER);
	e2e_run(&e);
	e2e_stop(&e);
}
END_TEST

START_TEST(e2e_creds_store)
{
	struct e2e e;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_CREDS_STORE);
	e2e_run(&e);
	e2e_stop(&e);
}
END_TEST

START_TEST(e2e_identity_token)
{
	struct e2e e;

	if (!have_tools() || !pcb_test_have("curl"))
		return;
	e2e_start(&e, SETUP_IDENTITY);
	e2e_run(&e);
	/* the refresh token went the OAuth2 POST way */
	ck_assert_int_gt(pcb_test_registry_token_count(&e.reg, "POST", 200), 0);
	e2e_stop(&e);
}
END_TEST

START_TEST(e2e_podman_auth)
{
	struct e2e e;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_PODMAN);
	e2e_run(&e);
	e2e_stop(&e);
}
END_TEST

/* Several tags in one `pcb build --push` (token set-up): each pushed, the same digest, the
 * blobs sent once. */
START_TEST(build_push_two_tags)
{
	char *out = NULL, *err = NULL, *sd, *digest;
	json_object *j, *pushed;
	struct e2e e;
	int rc;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_TOKEN);
	rc = pcb_run(&e, &e.d1, &out, &err, "build '%s' --push -t %s/e2e/app:1 -t %s/e2e/app:latest"
	    "%s --json", e.ctx, e.reg.host, e.reg.host, e.ca_opt);
	ck_assert_msg(rc == 0, "pcb build --push exited %d: %s%s", rc, out, err);
	j = pcb_test_json(out, "pcb build --json");
	digest = pcb_xstrdup(jstr_at(j, "result.manifest.digest"));
	pushed = pcb_test_jget(j, "result.pushed");
	ck_assert_msg(pushed != NULL && json_object_array_length(pushed) == 2, "pushed: %s", out);
	ck_assert_str_eq(jstr_at(j, "result.pushed.0.digest"), digest);
	ck_assert_str_eq(jstr_at(j, "result.pushed.1.digest"), digest);
	ck_assert_int_gt(jint_at(j, "result.pushed.0.blobs.uploaded") +
	    jint_at(j, "result.pushed.1.blobs.uploaded"), 0);
	/* the second tag goes to the same repository: its blobs are there already */
	ck_assert_int_eq(jint_at(j, "result.pushed.1.blobs.uploaded"), 0);
	ck_assert_int_eq(jint_at(j, "result.pushed.1.blobs.bytes_sent"), 0);
	json_object_put(j);
	free(out);
	free(err);
	sd = skopeo_inspect_digest(&e, "e2e/app:1");
	ck_assert_str_eq(sd, digest);
	free(sd);
	sd = skopeo_inspect_digest(&e, "e2e/app:latest");
	ck_assert_str_eq(sd, digest);
	free(sd);
	free(digest);
	e2e_stop(&e);
}
END_TEST

/* The line pcb ends a failed job with ("pcb: push p-… failed: …"), not the progress lines
 * before it, which echo the reference anyway. Borrowed from err; fails the test if absent. */
static const char *
failure_line(const char *err)
{
	const char *p = err, *last = NULL;

	while ((p = strstr(p, "pcb: ")) != NULL) {
		if (p == err || p[-1] == '\n')
			last = p;
		p += 5;
	}
	ck_assert_msg(last != NULL && strstr(last, " failed: ") != NULL, "no failure line: %s",
	    err);
	return last;
}

/* Builds the project into d1 (no push) as e2eapp:1. */
static void
build_local(struct e2e *e)
{
	char *out = NULL, *err = NULL;
	int rc = pcb_run(e, &e->d1, &out, &err, "build '%s' -t e2eapp:1 -q", e->ctx);

	ck_assert_msg(rc == 0, "pcb build exited %d: %s%s", rc, out, err);
	free(out);
	free(err);
}

/* A wrong password saved by login (no --verify): the push fails with exit 1, naming the
 * registry and the 401, and without echoing the password. */
static void
wrong_password(enum setup setup)
{
	const char *bad = "not-the-password-e2e", *fl;
	char *out = NULL, *err = NULL;
	struct e2e e;
	int rc;

	e2e_start(&e, setup);
	write_password_file(&e, bad);
	login(&e, bad, false);
	build_local(&e);
	rc = pcb_run(&e, &e.d1, &out, &err, "push e2eapp:1 %s/e2e/app:1%s", e.reg.host,
	    e.ca_opt);
	ck_assert_msg(rc == 1, "push with a wrong password exited %d: %s%s", rc, out, err);
	fl = failure_line(err);
	ck_assert_msg(strstr(fl, e.reg.host) != NULL && strstr(fl, "e2e/app") != NULL &&
	    strstr(fl, "401") != NULL, "the error does not name registry, repository and 401: %s",
	    err);
	ck_assert_msg(strstr(err, bad) == NULL && strstr(out, bad) == NULL,
	    "the password is in the error: %s", err);
	free(out);
	free(err);
	ck_assert_int_eq(pcb_test_daemon_stop(&e.d1), 0);
	e.d1.pid = 0;
	ck_assert(!leaked(bad, e.d1.state, e.d1.log));
	e2e_stop(&e);
}

START_TEST(wrong_password_basic_tls)
{
	if (have_tools())
		wrong_password(SETUP_BASIC_TLS);
}
END_TEST

START_TEST(wrong_password_token)
{
	if (have_tools())
		wrong_password(SETUP_TOKEN);
}
END_TEST

/* The token server issues tokens that are already expired: a clear error, naming the
 * registry, after a bounded number of token requests (no loop). */
START_TEST(expired_token)
{
	char *out = NULL, *err = NULL;
	const char *fl;
	struct e2e e;
	int rc, before, after;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_TOKEN);
	build_local(&e);
	pcb_test_registry_token_set(&e.reg, 0, false);
	before = pcb_test_registry_token_count(&e.reg, "any", 0);
	rc = pcb_run(&e, &e.d1, &out, &err, "push e2eapp:1 %s/e2e/app:1%s", e.reg.host,
	    e.ca_opt);
	after = pcb_test_registry_token_count(&e.reg, "any", 0);
	ck_assert_msg(rc == 1, "push with expired tokens exited %d: %s%s", rc, out, err);
	fl = failure_line(err);
	ck_assert_msg(strstr(fl, e.reg.host) != NULL && strstr(fl, "e2e/app") != NULL,
	    "the error names no registry or repository: %s", err);
	ck_assert_msg(strstr(fl, "401") != NULL || strstr(fl, "expired") != NULL ||
	    strstr(fl, "authentication failed") != NULL, "not a clear auth error: %s", err);
	ck_assert_msg(after - before > 0 && after - before <= 10, "%d token requests: %s",
	    after - before, err);
	ck_assert(strstr(err, e.reg.password) == NULL);
	free(out);
	free(err);
	e2e_stop(&e);
}
END_TEST

/* Pulling a repository the registry does not have: exit 1, naming the repository. */
static void
unknown_repository(enum setup setup)
{
	char *out = NULL, *err = NULL;
	const char *fl;
	struct e2e e;
	int rc;

	e2e_start(&e, setup);
	rc = pcb_run(&e, &e.d1, &out, &err, "pull %s/e2e/nosuchrepo:1%s", e.reg.host, e.ca_opt);
	ck_assert_msg(rc == 1, "pull of an unknown repository exited %d: %s%s", rc, out, err);
	fl = failure_line(err);
	ck_assert_msg(strstr(fl, "e2e/nosuchrepo") != NULL && strstr(fl, e.reg.host) != NULL &&
	    strstr(fl, "404") != NULL, "the error does not name registry, repository and 404: %s",
	    err);
	free(out);
	free(err);
	e2e_stop(&e);
}

/* No credentials for a token registry that allows anonymous pulls: the push is refused for
 * the missing push scope, with the registry and repository named. */
START_TEST(missing_push_scope)
{
	char *out = NULL, *err = NULL;
	const char *fl;
	struct e2e e;
	int rc;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_TOKEN);
	build_local(&e);
	pcb_test_registry_token_set(&e.reg, 300, true);
	rc = pcb_run(&e, &e.d1, &out, &err, "logout %s", e.reg.host);
	ck_assert_msg(rc == 0, "logout: %d %s%s", rc, out, err);
	free(out);
	free(err);
	rc = pcb_run(&e, &e.d1, &out, &err, "push e2eapp:1 %s/e2e/anon:1%s", e.reg.host,
	    e.ca_opt);
	ck_assert_msg(rc == 1, "anonymous push exited %d: %s%s", rc, out, err);
	fl = failure_line(err);
	ck_assert_msg(strstr(fl, e.reg.host) != NULL && strstr(fl, "e2e/anon") != NULL,
	    "the error does not name registry and repository: %s", err);
	free(out);
	free(err);
	e2e_stop(&e);
}
END_TEST

/* A registry host that does not resolve: exit 1 naming it, quickly. */
START_TEST(unknown_host)
{
	char *out = NULL, *err = NULL;
	const char *fl;
	struct e2e e;
	int rc;

	if (!have_tools())
		return;
	e2e_start(&e, SETUP_PLAIN);
	build_local(&e);
	rc = pcb_run(&e, &e.d1, &out, &err, "push e2eapp:1 nosuchhost.invalid:5000/e2e/app:1");
	ck_assert_msg(rc == 1, "push to an unknown host exited %d: %s%s", rc, out, err);
	fl = failure_line(err);
	ck_assert_msg(strstr(fl, "nosuchhost.invalid") != NULL, "the error does not name the "
	    "host: %s", err);
	free(out);
	free(err);
	rc = pcb_run(&e, &e.d1, &out, &err, "pull nosuchhost.invalid:5000/e2e/app:1");
	ck_assert_msg(rc == 1, "pull from an unknown host exited %d: %s%s", rc, out, err);
	fl = failure_line(err);
	ck_assert_msg(strstr(fl, "nosuchhost.invalid") != NULL, "the error does not name the "
	    "host: %s", err);
	free(out);
	free(err);
	e2e_stop(&e);
}
END_TEST

START_TEST(unknown_repository_plain)
{
	if (have_tools())
		unknown_repository(SETUP_PLAIN);
}
END_TEST

START_TEST(unknown_repository_token)
{
	if (have_tools())
		unknown_repository(SETUP_TOKEN);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("registry-e2e");
	TCase *tc = tcase_create("setups"), *te = tcase_create("errors");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, e2e_plain);
	tcase_add_test(tc, e2e_basic_tls);
	tcase_add_test(tc, e2e_token);
	tcase_add_test(tc, e2e_cred_helper);
	tcase_add_test(tc, e2e_creds_store);
	tcase_add_test(tc, e2e_identity_token);
	tcase_add_test(tc, e2e_podman_auth);
	tcase_add_test(tc, build_push_two_tags);
	suite_add_tcase(s, tc);
	tcase_set_timeout(te, 120);
	tcase_add_test(te, wrong_password_basic_tls);
	tcase_add_test(te, wrong_password_token);
	tcase_add_test(te, expired_token);
	tcase_add_test(te, unknown_repository_plain);
	tcase_add_test(te, unknown_repository_token);
	tcase_add_test(te, missing_push_scope);
	tcase_add_test(te, unknown_host);
	suite_add_tcase(s, te);
	return pcb_test_run_suite(s);
}
