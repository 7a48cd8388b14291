/* test-client-registry.c — pcb against a real daemon and a real registry (Debian's
 * docker-registry, tests/lib/regfix.h): `pcb build --push` to a plain-HTTP registry checked with
 * skopeo; `pcb login` into a private DOCKER_CONFIG, then `pcb push` to an htpasswd+TLS registry
 * with --ca-cert, `pcb logs` of the push job, `pcb pull` of it into a second daemon; a wrong
 * password failing with the registry and 401 named; and the password nowhere in the daemon's
 * state dir, its log or the --json output. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "regfix.h"
#include "testutil.h"

static char *
pcb_bin(void)
{
	return pcb_xasprintf("%s/pcb", pcb_test_build_dir());
}

static void
write_hello(const char *dir)
{
	pcb_test_write(dir, "pyproject.toml",
	    "[project]\nname = \"hello\"\nversion = \"1.0\"\n\n"
	    "[project.scripts]\nhello = \"hello.cli:main\"\n", 0644);
	pcb_test_write(dir, "hello/__init__.py", "", 0644);
	pcb_test_write(dir, "hello/cli.py",
	    "def main():\n    print(\"hello from the image\")\n", 0644);
}

/* The environment every pcb run gets: credentials only from the test's own files, never from
 * the account running the tests. */
static char *
env_prefix(const char *tmp)
{
	return pcb_xasprintf("DOCKER_CONFIG='%s/docker' REGISTRY_AUTH_FILE='%s/no-auth.json' "
	    "XDG_CONFIG_HOME='%s/xdg' PCB_REGISTRY_USERNAME= PCB_REGISTRY_PASSWORD=", tmp, tmp,
	    tmp);
}

static json_object *
parse_json(const char *text)
{
	json_object *j = json_tokener_parse(text);
	ck_assert_msg(j != NULL, "not JSON: %s", text);
	return j;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o != NULL)
		json_object_object_get_ex(o, key, &v);
	return v;
}

/* skopeo's digest of an image, over plain HTTP or trusting the test CA. */
static char *
skopeo_digest(const char *tmp, const struct pcb_test_registry *reg, const char *repo_tag)
{
	char *out = NULL, *cmd, *d;
	json_object *j, *v;

	if (reg->ca_file != NULL) {
		char *cd = pcb_path_join(tmp, "skopeo-certs"), *ca = pcb_test_read(reg->ca_file, NULL);
		pcb_test_write(cd, "ca.crt", ca, 0644);
		free(ca);
		cmd = pcb_xasprintf("skopeo inspect --cert-dir '%s' --creds '%s:%s' docker://%s/%s",
		    cd, reg->username, reg->password, reg->host, repo_tag);
		free(cd);
	} else {
		cmd = pcb_xasprintf("skopeo inspect --tls-verify=false docker://%s/%s", reg->host,
		    repo_tag);
	}
	ck_assert_msg(pcb_test_run(cmd, true, &out) == 0, "%s: %s", cmd, out);
	j = json_tokener_parse(out);
	ck_assert_msg(j != NULL && json_object_object_get_ex(j, "Digest", &v), "%s", out);
	d = pcb_xstrdup(json_object_get_string(v));
	json_object_put(j);
	free(out);
	free(cmd);
	return d;
}

/* True when needle occurs in any file under dir or in file. */
static bool
leaked(const char *needle, const char *dir, const char *file)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "grep -r -a -l -F -e '%s' '%s' '%s' 2>/dev/null", needle, dir,
	    file);
	bool found = rc == 0;

	if (found)
		fprintf(stderr, "secret found in: %s\n", out);
	free(out);
	return found;
}

START_TEST(build_push_plain)
{
	struct pcb_test_registry reg;
	struct pcb_test_daemon d;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *ctx, *env, *out = NULL, *want, *sd;
	char *build_id, *build_digest;
	json_object *b;
	const char *digest;
	int rc;

	if (!pcb_test_have("docker-registry")) {
		fprintf(stderr, "docker-registry not installed: skipped\n");
		goto done;
	}
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_daemon_start(&d, NULL, NULL);
	env = env_prefix(tmp);
	ctx = pcb_path_join(tmp, "proj");
	write_hello(ctx);

	/* a tag naming no registry is refused before anything is built */
	rc = pcb_test_runf(&out, "%s %s -H %s build %s --push -t app:1 2>&1", env, pcb, d.host,
	    ctx);
	ck_assert_msg(rc == 2 && strstr(out, "'app:1' names no registry") != NULL, "%d: %s", rc,
	    out);
	free(out);

	rc = pcb_test_runf(&out, "%s %s -H %s build %s --push -t %s/t/app:1 --json 2>%s/err.txt",
	    env, pcb, d.host, ctx, reg.host, tmp);
	{
		char *p = pcb_path_join(tmp, "err.txt"), *err_text = pcb_test_read(p, NULL);
		ck_assert_msg(rc == 0, "pcb build --push exited %d: %s%s", rc, out,
		    err_text ? err_text : "");
		want = pcb_xasprintf("Pushed %s/t/app:1 sha256:", reg.host);
		/* the readable summary and blob lines are on stderr */
		ck_assert_msg(err_text != NULL && strstr(err_text, want) != NULL &&
		    strstr(err_text, "\u2191 sha256:") != NULL, "stderr: %s", err_text);
		free(want);
		free(err_text);
		free(p);
	}
	b = parse_json(out);
	ck_assert_str_eq(jstr(b, "state"), "succeeded");
	digest = jstr(jget(jget(b, "result"), "manifest"), "digest");
	ck_assert_ptr_nonnull(digest);
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(tmp, &reg, "t/app:1");
		ck_assert_str_eq(sd, digest);
		free(sd);
	}
	build_id = pcb_xstrdup(jstr(b, "id"));
	build_digest = pcb_xstrdup(digest);
	json_object_put(b);
	free(out);

	/* pcb push of a build by its id, to another repository of the same registry */
	rc = pcb_test_runf(&out, "%s %s -H %s push %s %s/t/other:1 2>&1", env, pcb, d.host,
	    build_id, reg.host);
	want = pcb_xasprintf("Pushed %s/t/other:1 %s", reg.host, build_digest);
	ck_assert_msg(rc == 0 && strstr(out, want) != NULL, "push by id: %d %s", rc, out);
	free(want);
	free(out);

	/* a second push of the same image: every blob already there */
	rc = pcb_test_runf(&out, "%s %s -H %s build %s --push -t %s/t/app:1 2>&1", env, pcb,
	    d.host, ctx, reg.host);
	ck_assert_msg(rc == 0 && strstr(out, "(already there)") != NULL &&
	    strstr(out, " 0 uploaded") != NULL, "re-push: %d %s", rc, out);
	free(out);

	/* pcb builds --kind all lists the build with its pushed digest */
	rc = pcb_test_runf(&out, "%s -H %s builds --kind all", pcb, d.host);
	ck_assert_msg(rc == 0 && strstr(out, "b-") != NULL, "builds: %d %s", rc, out);
	free(out);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	pcb_test_registry_stop(&reg);
	free(build_id);
	free(build_digest);
	free(ctx);
	free(env);
done:
	pcb_test_rmtree(tmp);
	free(tmp);
	free(pcb);
}
END_TEST

START_TEST(login_push_pull_tls)
{
	struct pcb_test_registry reg;
	struct pcb_test_daemon d1, d2;
	char *tmp = pcb_test_tmpdir(), *pcb = pcb_bin(), *ctx, *env, *out = NULL, *cfg, *text;
	char *push_digest = NULL, *want, *sd;
	json_object *j;
	const char *id;
	struct stat sb;
	int rc;

	if (!pcb_test_have("docker-registry")) {
		fprintf(stderr, "docker-registry not installed: skipped\n");
		goto done;
	}
	pcb_test_registry_start(&reg, PCB_TEST_REGISTRY_BASIC_TLS);
	pcb_test_daemon_start(&d1, NULL, NULL);
	pcb_test_daemon_start(&d2, NULL, NULL);
	env = env_prefix(tmp);
	ctx = pcb_path_join(tmp, "proj");
	write_hello(ctx);
	rc = pcb_test_runf(&out, "%s -H %s build %s -t hello:1 -q 2>&1", pcb, d1.host, ctx);
	ck_assert_msg(rc == 0, "build: %s", out);
	free(out);

	/* --verify with a wrong password: refused by the registry, nothing saved */
	rc = pcb_test_runf(&out, "printf 'wrong' | %s %s login --verify --ca-cert %s -u %s "
	    "--password-stdin %s 2>&1", env, pcb, reg.ca_file, reg.username, reg.host);
	ck_assert_msg(rc == 1 && strstr(out, "401") != NULL && strstr(out, reg.host) != NULL,
	    "login --verify wrong: %d %s", rc, out);
	free(out);
	cfg = pcb_xasprintf("%s/docker/config.json", tmp);
	ck_assert_int_ne(access(cfg, F_OK), 0);

	/* login (verified) into the private DOCKER_CONFIG */
	rc = pcb_test_runf(&out, "printf '%%s\\n' '%s' | %s %s login --verify --ca-cert %s -u %s "
	    "--password-stdin %s 2>&1", reg.password, env, pcb, reg.ca_file, reg.username,
	    reg.host);
	ck_assert_msg(rc == 0 && strstr(out, cfg) != NULL, "login: %d %s", rc, out);
	ck_assert_ptr_null(strstr(out, reg.password));
	free(out);
	ck_assert_int_eq(stat(cfg, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	text = pcb_test_read(cfg, NULL);
	ck_assert_msg(strstr(text, reg.host) != NULL && strstr(text, "\"auth\"") != NULL, "%s",
	    text);
	free(text);

	/* push with the saved login; --json has the job, without the secret */
	rc = pcb_test_runf(&out, "%s %s -H %s push hello:1 %s/t/app:2 --ca-cert %s --json "
	    "2>%s/err.txt", env, pcb, d1.host, reg.host, reg.ca_file, tmp);
	{
		char *p = pcb_path_join(tmp, "err.txt"), *err_text = pcb_test_read(p, NULL);
		ck_assert_msg(rc == 0, "push exited %d: %s%s", rc, out, err_text ? err_text : "");
		want = pcb_xasprintf("Pushed %s/t/app:2 sha256:", reg.host);
		ck_assert_msg(err_text != NULL && strstr(err_text, want) != NULL, "stderr: %s",
		    err_text);
		free(want);
		free(err_text);
		free(p);
	}
	ck_assert_ptr_null(strstr(out, reg.password));
	j = parse_json(out);
	ck_assert_str_eq(jstr(j, "state"), "succeeded");
	id = jstr(j, "id");
	ck_assert_msg(id != NULL && pcb_str_has_prefix(id, "p-"), "push id %s", id ? id : "-");
	push_digest = pcb_xstrdup(jstr(json_object_array_get_idx(jget(jget(j, "result"),
	    "pushed"), 0), "digest"));
	ck_assert_msg(pcb_digest_valid(push_digest), "pushed digest %s", push_digest);
	free(out);
	if (pcb_test_have("skopeo")) {
		sd = skopeo_digest(tmp, &reg, "t/app:2");
		ck_assert_str_eq(sd, push_digest);
		free(sd);
	}

	/* logs and cancel work with a push job's id */
	rc = pcb_test_runf(&out, "%s -H %s logs %s", pcb, d1.host, id);
	ck_assert_msg(rc == 0 && strstr(out, "[end] succeeded") != NULL, "logs: %d %s", rc, out);
	free(out);
	rc = pcb_test_runf(&out, "%s -H %s cancel %s 2>&1", pcb, d1.host, id);
	ck_assert_msg(rc == 1 && strstr(out, "409") != NULL, "cancel: %d %s", rc, out);
	free(out);
	json_object_put(j);

	/* pull it into a second daemon */
	rc = pcb_test_runf(&out, "%s %s -H %s pull %s/t/app:2 --ca-cert %s 2>&1", env, pcb,
	    d2.host, reg.host, reg.ca_file);
	ck_assert_msg(rc == 0 && strstr(out, "Pulled ") != NULL && strstr(out, push_digest) != NULL,
	    "pull: %d %s", rc, out);
	free(out);

	/* the password is nowhere the daemons keep things */
	ck_assert(!leaked(reg.password, d1.state, d1.log));
	ck_assert(!leaked(reg.password, d2.state, d2.log));

	/* logout, then the push is refused: 401 from the named registry */
	rc = pcb_test_runf(&out, "%s %s logout %s", env, pcb, reg.host);
	ck_assert_msg(rc == 0 && strstr(out, "Removed") != NULL, "logout: %d %s", rc, out);
	free(out);
	text = pcb_test_read(cfg, NULL);
	ck_assert_ptr_null(strstr(text, reg.host));
	free(text);

	/* a wrong password, saved without --verify: the push fails naming registry and 401 */
	rc = pcb_test_runf(&out, "printf 'nope' | %s %s login -u %s --password-stdin %s 2>&1", env,
	    pcb, reg.username, reg.host);
	ck_assert_msg(rc == 0, "login: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "%s %s -H %s push hello:1 %s/t/app:3 --ca-cert %s 2>&1", env,
	    pcb, d1.host, reg.host, reg.ca_file);
	ck_assert_msg(rc == 1 && strstr(out, reg.host) != NULL && strstr(out, "401") != NULL,
	    "wrong password: %d %s", rc, out);
	free(out);

	/* --creds for one command beats the saved (wrong) login */
	rc = pcb_test_runf(&out, "%s %s -H %s push hello:1 %s/t/app:3 --ca-cert %s "
	    "--creds '%s:%s' 2>&1", env, pcb, d1.host, reg.host, reg.ca_file, reg.username,
	    reg.password);
	ck_assert_msg(rc == 0, "push --creds: %d %s", rc, out);
	free(out);
	ck_assert(!leaked(reg.password, d1.state, d1.log));

	ck_assert_int_eq(pcb_test_daemon_stop(&d1), 0);
	ck_assert_int_eq(pcb_test_daemon_stop(&d2), 0);
	pcb_test_daemon_free(&d1, true);
	pcb_test_daemon_free(&d2, true);
	pcb_test_registry_stop(&reg);
	free(push_digest);
	free(cfg);
	free(ctx);
	free(env);
done:
	pcb_test_rmtree(tmp);
	free(tmp);
	free(pcb);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client-registry");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, build_push_plain);
	tcase_add_test(tc, login_push_pull_tls);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
