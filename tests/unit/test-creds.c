/* test-creds.c — the client's credential resolution (client/creds.c, client/regopts.c), which
 * the unit suites do not link, so their sources are included here: docker config.json entries
 * ("auth", username/password, identitytoken, keys spelled as URLs, Docker Hub's names),
 * credential helpers (credHelpers, credsStore) through a fake docker-credential-pcbtest put
 * first on PATH, podman's auth.json, the order between all of them and --creds / environment,
 * damaged files, and login/logout writes that keep the rest of the file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

#include "../../client/creds.c"
#include "../../client/regopts.c"

/* A fake credential helper speaking the docker-credential protocol. It logs each call to
 * calls.log beside itself and keeps stored credentials in store-<server> files. */
static const char helper_script[] =
    "#!/bin/sh\n"
    "dir=$(dirname \"$0\")\n"
    "verb=$1\n"
    "input=$(cat)\n"
    "echo \"$verb $input\" >> \"$dir/calls.log\"\n"
    "case \"$verb\" in\n"
    "get)\n"
    "  case \"$input\" in\n"
    "  helped.example) printf '{\"ServerURL\":\"helped.example\",\"Username\":\"hu\","
    "\"Secret\":\"hs\"}' ;;\n"
    "  token.example) printf '{\"ServerURL\":\"token.example\",\"Username\":\"<token>\","
    "\"Secret\":\"tok\"}' ;;\n"
    "  https://index.docker.io/v1/) printf '{\"Username\":\"hubu\",\"Secret\":\"hubs\"}' ;;\n"
    "  broken.example) echo 'the keychain is locked' >&2; exit 3 ;;\n"
    "  *) if [ -f \"$dir/store-$input\" ]; then cat \"$dir/store-$input\"; else\n"
    "       echo 'credentials not found in native keychain'; exit 1; fi ;;\n"
    "  esac ;;\n"
    "store)\n"
    "  key=$(printf '%s' \"$input\" | sed 's/.*\"ServerURL\":\"\\([^\"]*\\)\".*/\\1/')\n"
    "  printf '%s' \"$input\" > \"$dir/store-$key\" ;;\n"
    "erase)\n"
    "  if [ -f \"$dir/store-$input\" ]; then rm \"$dir/store-$input\"; else\n"
    "    echo 'credentials not found in native keychain'; exit 1; fi ;;\n"
    "esac\n";

struct env {
	char *tmp;
	char *bin;        /* first on PATH, holds the helper */
	char *docker;     /* DOCKER_CONFIG */
	char *config;     /* $DOCKER_CONFIG/config.json */
	char *podman;     /* REGISTRY_AUTH_FILE */
};

/* Every variable the code reads is set or unset here, so tests do not depend on the caller's
 * environment or on each other (CK_FORK=no under valgrind). */
static void
env_setup(struct env *e)
{
	const char *path = getenv("PATH");
	char *p;

	e->tmp = pcb_test_tmpdir();
	e->bin = pcb_path_join(e->tmp, "bin");
	e->docker = pcb_path_join(e->tmp, "docker");
	e->config = pcb_path_join(e->docker, "config.json");
	e->podman = pcb_path_join(e->tmp, "run/containers/auth.json");
	pcb_test_write(e->bin, "docker-credential-pcbtest", helper_script, 0755);
	p = pcb_xasprintf("%s:%s", e->bin, path != NULL ? path : "/usr/bin:/bin");
	setenv("PATH", p, 1);
	free(p);
	p = pcb_path_join(e->tmp, "home");
	setenv("HOME", p, 1);
	free(p);
	setenv("DOCKER_CONFIG", e->docker, 1);
	unsetenv("REGISTRY_AUTH_FILE");
	p = pcb_path_join(e->tmp, "run");
	setenv("XDG_RUNTIME_DIR", p, 1);
	free(p);
	p = pcb_path_join(e->tmp, "xdgconfig");
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	unsetenv("PCB_REGISTRY_USERNAME");
	unsetenv("PCB_REGISTRY_PASSWORD");
}

static void
env_free(struct env *e)
{
	pcb_test_rmtree(e->tmp);
	free(e->tmp);
	free(e->bin);
	free(e->docker);
	free(e->config);
	free(e->podman);
}

static void
put_config(const struct env *e, const char *json)
{
	pcb_test_write(e->docker, "config.json", json, 0600);
}

/* Looks registry up and checks what was found; want_* NULL = must be absent. */
static void
expect(const char *registry, const char *user, const char *pass, const char *itok)
{
	struct pcb_credential c;
	struct pcb_err err;
	bool found;

	ck_assert_msg(pcb_creds_lookup(registry, &c, &found, &err) == 0, "%s: %s", registry,
	    err.msg);
	ck_assert_msg(found, "%s: not found", registry);
	ck_assert_str_eq(c.registry, registry);
	if (user != NULL)
		ck_assert_msg(c.username != NULL && strcmp(c.username, user) == 0, "%s: user %s",
		    registry, c.username ? c.username : "(null)");
	else
		ck_assert_ptr_null(c.username);
	if (pass != NULL)
		ck_assert_msg(c.password != NULL && strcmp(c.password, pass) == 0, "%s: password",
		    registry);
	else
		ck_assert_ptr_null(c.password);
	if (itok != NULL)
		ck_assert_msg(c.identity_token != NULL && strcmp(c.identity_token, itok) == 0,
		    "%s: identity token", registry);
	else
		ck_assert_ptr_null(c.identity_token);
	pcb_creds_clear(&c);
}

static void
expect_none(const char *registry)
{
	struct pcb_credential c;
	struct pcb_err err;
	bool found = true;

	ck_assert_msg(pcb_creds_lookup(registry, &c, &found, &err) == 0, "%s: %s", registry,
	    err.msg);
	ck_assert_msg(!found, "%s: found credentials for user %s", registry,
	    c.username ? c.username : "");
	pcb_creds_clear(&c);
}

/* The lookup fails and its message holds every needle. */
static void
expect_error(const char *registry, const char *n1, const char *n2)
{
	struct pcb_credential c;
	struct pcb_err err;
	bool found;

	ck_assert_msg(pcb_creds_lookup(registry, &c, &found, &err) != 0, "%s: no error", registry);
	ck_assert_msg(strstr(err.msg, n1) != NULL && (n2 == NULL || strstr(err.msg, n2) != NULL),
	    "%s: message '%s' lacks '%s' / '%s'", registry, err.msg, n1, n2 ? n2 : "");
	pcb_creds_clear(&c);
}

static char *
b64(const char *s)
{
	return pcb_creds_base64_encode(s, strlen(s));
}

START_TEST(base64_roundtrip)
{
	static const char *const cases[] = { "", "a", "ab", "abc", "abcd", "user:p@ss:w0rd",
		"\xff\xfe\x01" };
	size_t i, len;
	char *enc, *dec;

	for (i = 0; i < PCB_ARRAY_LEN(cases); i++) {
		enc = b64(cases[i]);
		ck_assert_int_eq(pcb_creds_base64_decode(enc, &dec, &len), 0);
		ck_assert_uint_eq(len, strlen(cases[i]));
		ck_assert_mem_eq(dec, cases[i], len);
		free(enc);
		free(dec);
	}
	enc = b64("user:pass");
	ck_assert_str_eq(enc, "dXNlcjpwYXNz");
	free(enc);
	/* unpadded input, as some tools write it */
	ck_assert_int_eq(pcb_creds_base64_decode("YWI", &dec, &len), 0);
	ck_assert_str_eq(dec, "ab");
	free(dec);
	ck_assert_int_eq(pcb_creds_base64_decode("not base64!", &dec, &len), PCB_EINVAL);
	ck_assert_ptr_null(dec);
	ck_assert_int_eq(pcb_creds_base64_decode("Y", &dec, &len), PCB_EINVAL);
	ck_assert_int_eq(pcb_creds_base64_decode("YW=", &dec, &len), PCB_EINVAL);
}
END_TEST

START_TEST(names_and_hub_aliases)
{
	char key[256], *s;
	char *host = NULL;
	bool explicit_host;
	struct pcb_err err;

	pcb_creds_host_key("https://Registry-1.Docker.io/v2/", key, sizeof key);
	ck_assert_str_eq(key, "docker.io");
	pcb_creds_host_key("http://myhost:5000/v1/", key, sizeof key);
	ck_assert_str_eq(key, "myhost:5000");
	s = pcb_creds_server_url("index.docker.io");
	ck_assert_str_eq(s, PCB_CREDS_DOCKER_HUB_URL);
	free(s);
	s = pcb_creds_server_url("https://ghcr.io");
	ck_assert_str_eq(s, "ghcr.io");
	free(s);

	ck_assert_int_eq(pcb_regopts_ref_host("python:3.12", &host, &explicit_host, &err), 0);
	ck_assert_str_eq(host, "registry-1.docker.io");
	ck_assert(!explicit_host);
	free(host);
	ck_assert_int_eq(pcb_regopts_ref_host("127.0.0.1:5000/t/app:1", &host, &explicit_host,
	    &err), 0);
	ck_assert_str_eq(host, "127.0.0.1:5000");
	ck_assert(explicit_host);
	free(host);
	ck_assert_int_eq(pcb_regopts_ref_host("localhost/app", &host, &explicit_host, &err), 0);
	ck_assert(explicit_host);
	free(host);
	ck_assert_int_eq(pcb_regopts_ref_host("team/app:1", &host, &explicit_host, &err), 0);
	ck_assert(!explicit_host);
	free(host);
	ck_assert_int_ne(pcb_regopts_ref_host("UPPER/app", &host, &explicit_host, &err), 0);
	ck_assert_ptr_null(host);
}
END_TEST

START_TEST(config_auth_forms)
{
	struct env e;
	char *a1 = b64("alice:s3cret:with:colons"), *a2 = b64("hubuser:hubpass"), *json;

	env_setup(&e);
	json = pcb_xasprintf("{\n"
	    "  \"auths\": {\n"
	    "    \"127.0.0.1:5000\": {\"auth\": \"%s\"},\n"
	    "    \"https://myreg.example:8443/v2/\": {\"username\": \"bob\", \"password\": \"pw\"},\n"
	    "    \"ghcr.io\": {\"auth\": \"%s\", \"identitytoken\": \"refresh-me\"},\n"
	    "    \"https://index.docker.io/v1/\": {\"auth\": \"%s\"},\n"
	    "    \"empty.example\": {}\n"
	    "  },\n"
	    "  \"psFormat\": \"table\"\n"
	    "}\n", a1, a1, a2);
	put_config(&e, json);
	expect("127.0.0.1:5000", "alice", "s3cret:with:colons", NULL);
	/* a key written as a URL with a path matches its host */
	expect("myreg.example:8443", "bob", "pw", NULL);
	/* an identity token replaces the password; the user name stays */
	expect("ghcr.io", "alice", NULL, "refresh-me");
	/* every name of Docker Hub finds docker's Hub key */
	expect("registry-1.docker.io", "hubuser", "hubpass", NULL);
	expect("docker.io", "hubuser", "hubpass", NULL);
	expect("index.docker.io", "hubuser", "hubpass", NULL);
	/* {} (what docker writes next to a credsStore) and unknown hosts: nothing */
	expect_none("empty.example");
	expect_none("other.example");
	expect_none("127.0.0.1:5001");
	free(json);

	/* Hub under the short key */
	put_config(&e, "{\"auths\": {\"docker.io\": {\"username\": \"u2\", \"password\": \"p2\"}}}");
	expect("registry-1.docker.io", "u2", "p2", NULL);

	/* no config at all is not an error */
	unlink(e.config);
	expect_none("127.0.0.1:5000");
	free(a1);
	free(a2);
	env_free(&e);
}
END_TEST

START_TEST(config_errors_name_the_file)
{
	struct env e;
	char *nocolon = b64("justauser");

	env_setup(&e);
	put_config(&e, "{\"auths\": {\"bad.example\": {\"auth\": \"%%%not-base64\"}}}");
	expect_error("bad.example", e.config, "auths[\"bad.example\"].auth: not valid base64");

	{
		char *json = pcb_xasprintf("{\"auths\": {\"bad.example\": {\"auth\": \"%s\"}}}",
		    nocolon);
		put_config(&e, json);
		free(json);
	}
	expect_error("bad.example", e.config, "USER:PASSWORD");

	put_config(&e, "{\"auths\": {\"bad.example\": {\"auth\": \"x\"}, }");
	expect_error("bad.example", e.config, "not valid JSON");
	put_config(&e, "{\"auths\": {}} trailing");
	expect_error("bad.example", e.config, "not valid JSON");
	put_config(&e, "{\"auths\": {\"bad.example\"");
	expect_error("bad.example", e.config, "not valid JSON");
	put_config(&e, "[1, 2]");
	expect_error("bad.example", e.config, "JSON object");
	put_config(&e, "{\"auths\": []}");
	expect_error("bad.example", e.config, "auths: expected an object");
	put_config(&e, "{\"auths\": {\"bad.example\": {\"username\": 7, \"password\": \"p\"}}}");
	expect_error("bad.example", e.config, "username: expected a string");

	/* the secret never shows in a message */
	put_config(&e, "{\"auths\": {\"bad.example\": {\"auth\": \"c2VjcmV0\", \"password\": 1}}}");
	{
		struct pcb_credential c;
		struct pcb_err err;
		bool found;
		ck_assert_int_ne(pcb_creds_lookup("bad.example", &c, &found, &err), 0);
		ck_assert_ptr_null(strstr(err.msg, "c2VjcmV0"));
		ck_assert_ptr_null(strstr(err.msg, "secret"));
	}

	/* too big */
	{
		size_t n = PCB_CREDS_FILE_MAX + 10;
		char *big = pcb_xmalloc(n + 1);
		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		big[n] = '\0';
		put_config(&e, big);
		free(big);
	}
	expect_error("bad.example", e.config, "larger than");
	free(nocolon);
	env_free(&e);
}
END_TEST

START_TEST(helpers_cred_helpers_and_store)
{
	struct env e;
	char *a1 = b64("fileuser:filepass"), *json, *log_path, *calls;

	env_setup(&e);
	json = pcb_xasprintf("{\"credHelpers\": {\"helped.example\": \"pcbtest\", "
	    "\"token.example\": \"pcbtest\", \"broken.example\": \"pcbtest\", "
	    "\"gone.example\": \"nosuchhelper\", \"https://index.docker.io/v1/\": \"pcbtest\"},"
	    " \"auths\": {\"helped.example\": {\"auth\": \"%s\"}, "
	    "\"plain.example\": {\"auth\": \"%s\"}}}", a1, a1);
	put_config(&e, json);
	free(json);
	/* the helper wins over the file's entry for its host */
	expect("helped.example", "hu", "hs", NULL);
	/* Username "<token>" means the secret is an identity token */
	expect("token.example", NULL, NULL, "tok");
	/* Docker Hub is asked for by docker's URL */
	expect("registry-1.docker.io", "hubu", "hubs", NULL);
	/* hosts without a helper use the file */
	expect("plain.example", "fileuser", "filepass", NULL);
	/* a failing helper: its stderr and exit status in the message */
	expect_error("broken.example", "docker-credential-pcbtest get failed (exit 3)",
	    "the keychain is locked");
	expect_error("gone.example", "docker-credential-nosuchhelper", "not found on PATH");

	log_path = pcb_path_join(e.bin, "calls.log");
	calls = pcb_test_read(log_path, NULL);
	ck_assert_ptr_nonnull(calls);
	ck_assert_msg(strstr(calls, "get helped.example\n") != NULL &&
	    strstr(calls, "get https://index.docker.io/v1/\n") != NULL &&
	    strstr(calls, "plain.example") == NULL, "helper calls: %s", calls);
	free(calls);

	/* credsStore: asked for every host; "not found" falls back to the file's entry */
	put_config(&e, "{\"credsStore\": \"pcbtest\", \"auths\": {\"plain.example\": "
	    "{\"username\": \"fu\", \"password\": \"fp\"}, \"helped.example\": {}}}");
	expect("helped.example", "hu", "hs", NULL);
	expect("plain.example", "fu", "fp", NULL);
	expect_none("nowhere.example");
	/* a bad helper name is refused before anything runs */
	put_config(&e, "{\"credsStore\": \"../../bin/sh\"}");
	expect_error("plain.example", "not valid", NULL);

	free(log_path);
	free(a1);
	env_free(&e);
}
END_TEST

START_TEST(podman_auth_and_precedence)
{
	struct env e;
	char *a_podman = b64("podu:podp"), *a_docker = b64("docku:dockp"), *json, *dir;

	env_setup(&e);
	dir = pcb_path_join(e.tmp, "run/containers");
	json = pcb_xasprintf("{\"auths\": {\"both.example\": {\"auth\": \"%s\"}, "
	    "\"podonly.example:5000\": {\"auth\": \"%s\"}}}", a_podman, a_podman);
	pcb_test_write(dir, "auth.json", json, 0600);
	free(json);
	/* ${XDG_RUNTIME_DIR}/containers/auth.json without a docker config */
	expect("podonly.example:5000", "podu", "podp", NULL);
	expect("both.example", "podu", "podp", NULL);
	/* docker's file comes first */
	json = pcb_xasprintf("{\"auths\": {\"both.example\": {\"auth\": \"%s\"}}}", a_docker);
	put_config(&e, json);
	free(json);
	expect("both.example", "docku", "dockp", NULL);
	expect("podonly.example:5000", "podu", "podp", NULL);
	/* $REGISTRY_AUTH_FILE replaces the runtime-dir file; a damaged one names itself */
	pcb_test_write(e.tmp, "other-auth.json", "{\"auths\": {\"podonly.example:5000\": "
	    "{\"auth\": \"!!\"}}}", 0600);
	{
		char *p = pcb_path_join(e.tmp, "other-auth.json");
		setenv("REGISTRY_AUTH_FILE", p, 1);
		expect_error("podonly.example:5000", p, "not valid base64");
		free(p);
	}
	free(dir);
	free(a_podman);
	free(a_docker);
	env_free(&e);
}
END_TEST

/* The credentials member of a job body built by pcb_regopts_apply, for one host. */
static json_object *
apply_for(const struct pcb_regopts *o, const char *h1, const char *h2, json_object **body,
    struct pcb_err *err, int *rc)
{
	struct pcb_strv hosts;
	json_object *c = NULL;

	pcb_strv_init(&hosts);
	pcb_strv_push(&hosts, h1);
	if (h2 != NULL)
		pcb_strv_push(&hosts, h2);
	*body = json_object_new_object();
	*rc = pcb_regopts_apply(o, &hosts, *body, err);
	json_object_object_get_ex(*body, "credentials", &c);
	pcb_strv_free(&hosts);
	return c;
}

static const char *
cred_field(json_object *creds, size_t i, const char *key)
{
	json_object *v;

	if (creds == NULL || i >= json_object_array_length(creds) ||
	    !json_object_object_get_ex(json_object_array_get_idx(creds, i), key, &v))
		return NULL;
	return json_object_get_string(v);
}

START_TEST(regopts_precedence_and_fields)
{
	struct env e;
	struct pcb_regopts o;
	struct pcb_err err;
	json_object *body, *creds, *v;
	char *a = b64("fileu:filep"), *json, *ca, *certs_dir, msg[256];
	bool bad;
	int rc;

	env_setup(&e);
	json = pcb_xasprintf("{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"%s\"}, "
	    "\"tok.example\": {\"identitytoken\": \"it\"}}}", a);
	put_config(&e, json);
	free(json);
	pcb_regopts_init(&o);

	/* files: one entry per host, each host once */
	creds = apply_for(&o, "127.0.0.1:5000", "127.0.0.1:5000", &body, &err, &rc);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_uint_eq(json_object_array_length(creds), 1);
	ck_assert_str_eq(cred_field(creds, 0, "registry"), "127.0.0.1:5000");
	ck_assert_str_eq(cred_field(creds, 0, "username"), "fileu");
	ck_assert_str_eq(cred_field(creds, 0, "password"), "filep");
	ck_assert(!json_object_object_get_ex(body, "insecure_registries", NULL));
	ck_assert(!json_object_object_get_ex(body, "ca_certs", NULL));
	json_object_put(body);

	/* identity tokens go as identity_token alone; unknown hosts get no entry */
	creds = apply_for(&o, "tok.example", "unknown.example", &body, &err, &rc);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_uint_eq(json_object_array_length(creds), 1);
	ck_assert_str_eq(cred_field(creds, 0, "identity_token"), "it");
	ck_assert_ptr_null(cred_field(creds, 0, "password"));
	json_object_put(body);

	/* the environment beats the files */
	setenv("PCB_REGISTRY_USERNAME", "envu", 1);
	setenv("PCB_REGISTRY_PASSWORD", "envp", 1);
	creds = apply_for(&o, "127.0.0.1:5000", NULL, &body, &err, &rc);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(cred_field(creds, 0, "username"), "envu");
	ck_assert_str_eq(cred_field(creds, 0, "password"), "envp");
	json_object_put(body);

	/* --creds beats the environment; the password may hold ':' */
	o.creds = "cliu:cli:p";
	creds = apply_for(&o, "127.0.0.1:5000", NULL, &body, &err, &rc);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_str_eq(cred_field(creds, 0, "username"), "cliu");
	ck_assert_str_eq(cred_field(creds, 0, "password"), "cli:p");
	json_object_put(body);
	o.creds = NULL;

	/* half an environment pair is an error */
	unsetenv("PCB_REGISTRY_PASSWORD");
	apply_for(&o, "127.0.0.1:5000", NULL, &body, &err, &rc);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "PCB_REGISTRY_PASSWORD"));
	json_object_put(body);
	unsetenv("PCB_REGISTRY_USERNAME");

	/* a damaged config names the host and the file */
	put_config(&e, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"!\"}}}");
	apply_for(&o, "127.0.0.1:5000", NULL, &body, &err, &rc);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(err.msg, "credentials for 127.0.0.1:5000") != NULL &&
	    strstr(err.msg, e.config) != NULL, "%s", err.msg);
	json_object_put(body);
	put_config(&e, "{}");

	/* --insecure-registry and CAs: --ca-cert first, then the certs.d/HOST .crt files in name order */
	ck_assert(pcb_regopts_option(&o, PCB_REGOPT_INSECURE, "myhost:5000", &bad, msg,
	    sizeof msg) && !bad);
	ck_assert(pcb_regopts_option(&o, PCB_REGOPT_INSECURE, "http://x/", &bad, msg,
	    sizeof msg) && bad);
	ck_assert_ptr_nonnull(strstr(msg, "http://x/"));
	pcb_strv_free(&o.insecure);
	pcb_strv_init(&o.insecure);
	pcb_strv_push(&o.insecure, "myhost:5000");
	pcb_test_write(e.tmp, "ca.pem", "-----BEGIN CERTIFICATE-----\nCLI\n"
	    "-----END CERTIFICATE-----", 0644);
	ca = pcb_path_join(e.tmp, "ca.pem");
	ck_assert(pcb_regopts_option(&o, PCB_REGOPT_CA_CERT, ca, &bad, msg, sizeof msg) && !bad);
	certs_dir = pcb_path_join(e.tmp, "xdgconfig/containers/certs.d/127.0.0.1:5000");
	pcb_test_write(certs_dir, "b.crt", "-----BEGIN CERTIFICATE-----\nB\n"
	    "-----END CERTIFICATE-----\n", 0644);
	pcb_test_write(certs_dir, "a.crt", "-----BEGIN CERTIFICATE-----\nA\n"
	    "-----END CERTIFICATE-----\n", 0644);
	pcb_test_write(certs_dir, "client.key", "not a CA", 0600);
	apply_for(&o, "127.0.0.1:5000", "other.example", &body, &err, &rc);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert(json_object_object_get_ex(body, "insecure_registries", &v));
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "myhost:5000");
	ck_assert(json_object_object_get_ex(body, "ca_certs", &v));
	{
		json_object *pem;
		const char *t;
		ck_assert(json_object_object_get_ex(v, "127.0.0.1:5000", &pem));
		t = json_object_get_string(pem);
		ck_assert_msg(strstr(t, "CLI") != NULL && strstr(t, "\nA\n") != NULL &&
		    strstr(t, "CLI") < strstr(t, "\nA\n") && strstr(t, "\nA\n") < strstr(t, "\nB\n") &&
		    strstr(t, "not a CA") == NULL, "pem: %s", t);
		/* --ca-cert applies to every registry of the command */
		ck_assert(json_object_object_get_ex(v, "other.example", &pem));
		ck_assert_ptr_null(strstr(json_object_get_string(pem), "\nA\n"));
	}
	json_object_put(body);

	/* a file that is not PEM is named */
	pcb_test_write(e.tmp, "notpem", "hello", 0644);
	pcb_strv_free(&o.ca_files);
	pcb_strv_init(&o.ca_files);
	pcb_strv_push_owned(&o.ca_files, pcb_path_join(e.tmp, "notpem"));
	apply_for(&o, "127.0.0.1:5000", NULL, &body, &err, &rc);
	ck_assert_int_ne(rc, 0);
	ck_assert_msg(strstr(err.msg, "notpem") != NULL && strstr(err.msg, "PEM") != NULL, "%s",
	    err.msg);
	json_object_put(body);

	/* scrub: a credentials member never reaches --json output */
	body = json_tokener_parse("{\"id\": \"p-1\", \"spec\": {\"targets\": [], "
	    "\"credentials\": [{\"password\": \"x\"}]}}");
	pcb_regopts_scrub(body);
	ck_assert_ptr_null(strstr(json_object_to_json_string(body), "credentials"));
	json_object_put(body);

	free(certs_dir);
	free(ca);
	free(a);
	pcb_regopts_free(&o);
	env_free(&e);
}
END_TEST

START_TEST(login_logout_file)
{
	struct env e;
	struct pcb_err err;
	struct stat sb;
	char *where = NULL, *text, *other = b64("o:p");
	json_object *cfg, *auths, *entry;
	bool removed;

	env_setup(&e);
	/* no file yet: directory and file are created, the file 0600 */
	ck_assert_msg(pcb_creds_store("127.0.0.1:5000", "alice", "pw1", &where, &err) == 0, "%s",
	    err.msg);
	ck_assert_str_eq(where, e.config);
	free(where);
	ck_assert_int_eq(stat(e.config, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	expect("127.0.0.1:5000", "alice", "pw1", NULL);

	/* an existing file: other keys and entries kept as they were, in order */
	{
		char *json = pcb_xasprintf("{\n\t\"auths\": {\n\t\t\"other.example\": {\n\t\t\t"
		    "\"auth\": \"%s\"\n\t\t},\n\t\t\"https://myreg.example:5000\": {\n\t\t\t"
		    "\"auth\": \"%s\",\n\t\t\t\"identitytoken\": \"old\",\n\t\t\t\"email\": "
		    "\"a@b\"\n\t\t}\n\t},\n\t\"HttpHeaders\": {\n\t\t\"X-Meta\": \"v\"\n\t},\n\t"
		    "\"detachKeys\": \"ctrl-e,e\",\n\t\"ratio\": 1.50\n}\n", other, other);
		put_config(&e, json);
		chmod(e.config, 0644);
		free(json);
	}
	ck_assert_msg(pcb_creds_store("myreg.example:5000", "bob", "pw2", &where, &err) == 0,
	    "%s", err.msg);
	free(where);
	ck_assert_int_eq(stat(e.config, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	text = pcb_test_read(e.config, NULL);
	cfg = json_tokener_parse(text);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_msg(strstr(text, "\"ratio\": 1.50") != NULL && strstr(text, "ctrl-e,e") != NULL
	    && strstr(text, "X-Meta") != NULL && strstr(text, "\t\"auths\"") != NULL,
	    "other keys changed: %s", text);
	ck_assert(json_object_object_get_ex(cfg, "auths", &auths));
	ck_assert_int_eq(json_object_object_length(auths), 2);   /* updated in place, not added */
	ck_assert(json_object_object_get_ex(auths, "https://myreg.example:5000", &entry));
	ck_assert(!json_object_object_get_ex(entry, "identitytoken", NULL));
	ck_assert(json_object_object_get_ex(entry, "email", NULL));
	ck_assert(json_object_object_get_ex(auths, "other.example", &entry));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(entry, "auth")), other);
	json_object_put(cfg);
	free(text);
	expect("myreg.example:5000", "bob", "pw2", NULL);

	/* Docker Hub is stored under docker's key */
	ck_assert_int_eq(pcb_creds_store("docker.io", "hu", "hp", NULL, &err), 0);
	text = pcb_test_read(e.config, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"https://index.docker.io/v1/\""));
	free(text);
	expect("registry-1.docker.io", "hu", "hp", NULL);

	/* logout removes every spelling of the host and nothing else */
	ck_assert_int_eq(pcb_creds_erase("https://myreg.example:5000/", &removed, &err), 0);
	ck_assert(removed);
	expect_none("myreg.example:5000");
	expect("other.example", "o", "p", NULL);
	text = pcb_test_read(e.config, NULL);
	ck_assert_msg(strstr(text, "ctrl-e,e") != NULL && strstr(text, "X-Meta") != NULL, "%s",
	    text);
	free(text);
	ck_assert_int_eq(pcb_creds_erase("myreg.example:5000", &removed, &err), 0);
	ck_assert(!removed);

	/* a damaged file is not overwritten */
	put_config(&e, "{\"auths\": ");
	ck_assert_int_ne(pcb_creds_store("x.example", "u", "p", NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, e.config));
	text = pcb_test_read(e.config, NULL);
	ck_assert_str_eq(text, "{\"auths\": ");
	free(text);
	free(other);
	env_free(&e);
}
END_TEST

START_TEST(login_logout_helper)
{
	struct env e;
	struct pcb_err err;
	char *where = NULL, *text, *stored;
	bool removed;

	env_setup(&e);
	put_config(&e, "{\"credsStore\": \"pcbtest\", \"auths\": {}}");
	ck_assert_msg(pcb_creds_store("127.0.0.1:5000", "alice", "pw", &where, &err) == 0, "%s",
	    err.msg);
	ck_assert_str_eq(where, "docker-credential-pcbtest");
	free(where);
	/* the secret went to the helper, not into the file */
	text = pcb_test_read(e.config, NULL);
	ck_assert_ptr_null(strstr(text, "alice"));
	free(text);
	stored = pcb_path_join(e.bin, "store-127.0.0.1:5000");
	text = pcb_test_read(stored, NULL);
	ck_assert_msg(text != NULL && strstr(text, "\"Username\":\"alice\"") != NULL &&
	    strstr(text, "\"Secret\":\"pw\"") != NULL, "stored: %s", text ? text : "(none)");
	free(text);
	expect("127.0.0.1:5000", "alice", "pw", NULL);
	ck_assert_int_eq(pcb_creds_erase("127.0.0.1:5000", &removed, &err), 0);
	ck_assert(removed);
	ck_assert_int_ne(access(stored, F_OK), 0);
	expect_none("127.0.0.1:5000");
	/* erasing what is not there is not an error */
	ck_assert_int_eq(pcb_creds_erase("127.0.0.1:5000", &removed, &err), 0);
	ck_assert(!removed);
	free(stored);
	env_free(&e);
}
END_TEST

START_TEST(user_pass_parsing)
{
	struct pcb_err err;
	char *u, *p;

	ck_assert_int_eq(pcb_creds_parse_user_pass("u:p:q", &u, &p, &err), 0);
	ck_assert_str_eq(u, "u");
	ck_assert_str_eq(p, "p:q");
	free(u);
	free(p);
	ck_assert_int_eq(pcb_creds_parse_user_pass("u", &u, &p, &err), 0);
	ck_assert_str_eq(u, "u");
	ck_assert_ptr_null(p);
	free(u);
	ck_assert_int_eq(pcb_creds_parse_user_pass(":p", &u, &p, &err), PCB_EINVAL);
	ck_assert_ptr_null(u);
	ck_assert_int_eq(pcb_creds_parse_user_pass("", &u, &p, &err), PCB_EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("creds");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, base64_roundtrip);
	tcase_add_test(tc, names_and_hub_aliases);
	tcase_add_test(tc, config_auth_forms);
	tcase_add_test(tc, config_errors_name_the_file);
	tcase_add_test(tc, helpers_cred_helpers_and_store);
	tcase_add_test(tc, podman_auth_and_precedence);
	tcase_add_test(tc, regopts_precedence_and_fields);
	tcase_add_test(tc, login_logout_file);
	tcase_add_test(tc, login_logout_helper);
	tcase_add_test(tc, user_pass_parsing);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
