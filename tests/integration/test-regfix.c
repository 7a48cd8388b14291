/* test-regfix.c — checks the registry fixtures themselves (tests/lib/regfix.h) with tools that
 * are not ours: skopeo pushes and inspects through each registry mode, curl talks to the
 * registry and the token server, and the fault proxy's rules and counters are seen from outside.
 * The registry client's own suites rely on these fixtures behaving as described here. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "ocicheck.h"
#include "regfix.h"
#include "testutil.h"

static char *tmp;

static void
setup(void)
{
	tmp = pcb_test_tmpdir();
}

static void
teardown(void)
{
	pcb_test_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

/* A one-layer OCI layout at tmp/layout with tag "1", made by umoci; returns the manifest
 * digest (caller frees). */
static char *
make_layout(void)
{
	char *out = NULL, *idx_path, *idx_text, *digest;
	json_object *idx;
	int rc;

	pcb_test_write(tmp, "src/hello.txt", "hello from the regfix test\n", 0644);
	rc = pcb_test_runf(&out, "cd '%s' && umoci init --layout layout && "
	    "umoci new --image layout:1 && umoci insert --image layout:1 src /hello", tmp);
	ck_assert_msg(rc == 0, "umoci: %s", out);
	free(out);
	idx_path = pcb_path_join(tmp, "layout/index.json");
	idx_text = pcb_test_read(idx_path, NULL);
	ck_assert(idx_text != NULL);
	idx = pcb_test_json(idx_text, "index.json");
	digest = pcb_xstrdup(json_object_get_string(pcb_test_jget(idx, "manifests.0.digest")));
	ck_assert(pcb_digest_valid(digest));
	json_object_put(idx);
	free(idx_text);
	free(idx_path);
	return digest;
}

/* skopeo inspect's idea of the manifest digest at ref (caller frees). */
static char *
inspect_digest(const char *flags, const char *ref)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "skopeo inspect %s --format '{{.Digest}}' 'docker://%s'",
	    flags, ref);
	ck_assert_msg(rc == 0, "skopeo inspect %s: %s", ref, out);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* A directory with ca.crt in it, the form skopeo's --cert-dir wants. */
static char *
cert_dir(const struct pcb_test_registry *r)
{
	char *ca = pcb_test_read(r->ca_file, NULL);
	char *d = pcb_path_join(tmp, "certs.d");
	ck_assert(ca != NULL);
	pcb_test_write(d, "ca.crt", ca, 0644);
	free(ca);
	return d;
}

static void
assert_gone(pid_t pid, const char *what)
{
	ck_assert_msg(pid > 0, "%s had no pid", what);
	ck_assert_msg(kill(pid, 0) == -1 && errno == ESRCH, "%s (pid %d) still exists", what,
	    (int)pid);
}

START_TEST(plain_push_inspect)
{
	struct pcb_test_registry r;
	char *digest = make_layout(), *out = NULL, *got, *ref, *dir;
	pid_t pid;
	struct stat st;
	int rc;

	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_PLAIN);
	ck_assert_int_eq(r.mode, PCB_TEST_REGISTRY_PLAIN);
	ck_assert(pcb_str_has_prefix(r.url, "http://127.0.0.1:"));
	ck_assert_ptr_null(r.ca_file);
	ck_assert_ptr_null(r.username);
	rc = pcb_test_runf(&out, "curl -sS -o /dev/null -w '%%{http_code}' %s/v2/", r.url);
	ck_assert_msg(rc == 0 && strcmp(out, "200") == 0, "GET /v2/: %s", out);
	free(out);

	ref = pcb_xasprintf("%s/t/x:1", r.host);
	rc = pcb_test_runf(&out, "skopeo --insecure-policy copy 'oci:%s/layout:1' 'docker://%s' "
	    "--dest-tls-verify=false", tmp, ref);
	ck_assert_msg(rc == 0, "skopeo copy: %s", out);
	free(out);
	got = inspect_digest("--tls-verify=false", ref);
	ck_assert_str_eq(got, digest);
	free(got);
	/* The registry's own answer agrees (and names the digest in the header clients rely on). */
	rc = pcb_test_runf(&out, "curl -sS -D - -o /dev/null -H 'Accept: "
	    "application/vnd.oci.image.manifest.v1+json' %s/v2/t/x/manifests/1", r.url);
	ck_assert_msg(rc == 0 && strstr(out, digest) != NULL, "manifest GET: %s", out);
	free(out);

	pid = r.pid;
	dir = pcb_xstrdup(r.dir);
	pcb_test_registry_stop(&r);
	assert_gone(pid, "registry");
	ck_assert_msg(stat(dir, &st) == -1 && errno == ENOENT, "%s left behind", dir);
	ck_assert_int_eq(r.pid, 0);
	free(dir);
	free(ref);
	free(digest);
}
END_TEST

/* Two registries at once get different ports and do not see each other's content. */
START_TEST(plain_two_at_once)
{
	struct pcb_test_registry a, b;
	char *out = NULL;
	int rc;

	pcb_test_registry_start(&a, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_registry_start(&b, PCB_TEST_REGISTRY_PLAIN);
	ck_assert_int_ne(a.port, b.port);
	ck_assert_str_ne(a.dir, b.dir);
	rc = pcb_test_runf(&out, "curl -sS -o /dev/null -w '%%{http_code}' %s/v2/t/none/tags/list",
	    b.url);
	ck_assert_msg(rc == 0 && strcmp(out, "404") == 0, "tags list: %s", out);
	free(out);
	pcb_test_registry_stop(&b);
	pcb_test_registry_stop(&a);
}
END_TEST

START_TEST(basic_tls_auth)
{
	struct pcb_test_registry r;
	char *digest = make_layout(), *out = NULL, *got, *ref, *certs, *flags;
	pid_t pid;
	int rc;

	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_BASIC_TLS);
	ck_assert(pcb_str_has_prefix(r.url, "https://127.0.0.1:"));
	ck_assert_ptr_nonnull(r.ca_file);
	ck_assert_ptr_nonnull(r.username);
	ck_assert_ptr_nonnull(r.password);
	/* Anonymous: 401 with a Basic challenge; the certificate verifies against the test CA. */
	rc = pcb_test_runf(&out, "curl -sS --cacert %s -D - -o /dev/null %s/v2/", r.ca_file, r.url);
	ck_assert_msg(rc == 0 && strstr(out, " 401") != NULL &&
	    strcasestr(out, "www-authenticate: basic realm=") != NULL, "anonymous /v2/: %s", out);
	free(out);
	/* Also under the name localhost. */
	rc = pcb_test_runf(&out, "curl -sS --cacert %s -u '%s:%s' -o /dev/null -w '%%{http_code}' "
	    "https://localhost:%d/v2/", r.ca_file, r.username, r.password, r.port);
	ck_assert_msg(rc == 0 && strcmp(out, "200") == 0, "/v2/ with creds: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "curl -sS --cacert %s -u '%s:wrong' -o /dev/null -w '%%{http_code}' "
	    "%s/v2/", r.ca_file, r.username, r.url);
	ck_assert_msg(rc == 0 && strcmp(out, "401") == 0, "/v2/ with a wrong password: %s", out);
	free(out);

	certs = cert_dir(&r);
	ref = pcb_xasprintf("%s/t/x:1", r.host);
	rc = pcb_test_runf(&out, "skopeo --insecure-policy copy 'oci:%s/layout:1' 'docker://%s' "
	    "--dest-cert-dir %s", tmp, ref, certs);
	ck_assert_msg(rc != 0, "push without credentials worked: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "skopeo --insecure-policy copy 'oci:%s/layout:1' 'docker://%s' "
	    "--dest-cert-dir %s --dest-creds '%s:%s'", tmp, ref, certs, r.username, r.password);
	ck_assert_msg(rc == 0, "skopeo copy: %s", out);
	free(out);
	flags = pcb_xasprintf("--cert-dir %s --creds '%s:%s'", certs, r.username, r.password);
	got = inspect_digest(flags, ref);
	ck_assert_str_eq(got, digest);
	free(got);

	pid = r.pid;
	pcb_test_registry_stop(&r);
	assert_gone(pid, "registry");
	free(flags);
	free(certs);
	free(ref);
	free(digest);
}
END_TEST

/* The first layer's digest of the manifest digest in tmp/layout (caller frees). */
static char *
layer_digest(const char *manifest_digest)
{
	char *rel = pcb_xasprintf("layout/blobs/sha256/%s", manifest_digest + 7);
	char *path = pcb_path_join(tmp, rel);
	char *text = pcb_test_read(path, NULL), *d;
	json_object *m;

	ck_assert(text != NULL);
	m = pcb_test_json(text, "manifest");
	d = pcb_xstrdup(json_object_get_string(pcb_test_jget(m, "layers.0.digest")));
	ck_assert(pcb_digest_valid(d));
	json_object_put(m);
	free(text);
	free(path);
	free(rel);
	return d;
}

/* GET url with curl into tmp/body: returns "<http code> <sha256 of body> <body size>" and
 * curl's exit status in *rc (caller frees). */
static char *
fetch(const char *url, const char *accept, int *rc)
{
	char *out = NULL;
	*rc = pcb_test_runf(&out, "cd '%s' && rm -f body && curl -sS -o body -w '%%{http_code} ' "
	    "-H 'Accept: %s' '%s'; r=$?; printf 'sha256:%%s %%s' \"$(sha256sum < body | cut -c1-64)\" "
	    "\"$(stat -c %%s body)\"; exit $r", tmp, accept, url);
	return out;
}

static void
push_plain(const struct pcb_test_registry *r, const char *host, const char *name)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "skopeo --insecure-policy copy 'oci:%s/layout:1' "
	    "'docker://%s/%s' --dest-tls-verify=false", tmp, host, name);
	(void)r;
	ck_assert_msg(rc == 0, "skopeo copy to %s: %s", host, out);
	free(out);
}

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"

START_TEST(proxy_status_and_corrupt)
{
	struct pcb_test_registry r;
	struct pcb_test_proxy p;
	char *digest = make_layout(), *layer, *url, *out, *want;
	pid_t pid;
	int rc;

	layer = layer_digest(digest);
	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_PLAIN);
	push_plain(&r, r.host, "t/x:1");
	pcb_test_proxy_start(&p, r.host, "blob-get:status=500;manifest-get:corrupt");
	ck_assert_int_eq(pcb_test_proxy_count(&p, "any", "any"), 0);

	/* The first blob GET answers 500, the next one is the real blob. */
	url = pcb_xasprintf("http://%s/v2/t/x/blobs/%s", p.host, layer);
	out = fetch(url, "*/*", &rc);
	ck_assert_msg(rc == 0 && pcb_str_has_prefix(out, "500 "), "first blob GET: %s", out);
	free(out);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "GET", "blob"), 1);
	out = fetch(url, "*/*", &rc);
	want = pcb_xasprintf("200 %s ", layer);
	ck_assert_msg(rc == 0 && pcb_str_has_prefix(out, want), "second blob GET: %s", out);
	free(want);
	free(out);
	free(url);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "GET", "blob"), 2);

	/* The first manifest GET has one byte flipped: same size, another digest. */
	url = pcb_xasprintf("http://%s/v2/t/x/manifests/1", p.host);
	out = fetch(url, OCI_MANIFEST, &rc);
	ck_assert_msg(rc == 0 && pcb_str_has_prefix(out, "200 sha256:") &&
	    strstr(out, digest) == NULL, "corrupt manifest GET: %s", out);
	free(out);
	out = fetch(url, OCI_MANIFEST, &rc);
	want = pcb_xasprintf("200 %s ", digest);
	ck_assert_msg(rc == 0 && pcb_str_has_prefix(out, want), "second manifest GET: %s", out);
	free(want);
	free(out);
	free(url);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "GET", "manifest"), 2);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "GET", "any"), 4);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "PUT", "any"), 0);
	{
		char *stats = pcb_test_read(p.stats, NULL);
		json_object *j = pcb_test_json(stats, "proxy stats");
		ck_assert_int_eq(json_object_get_int(pcb_test_jget(j, "rules.0.fired")), 1);
		ck_assert_int_eq(json_object_get_int(pcb_test_jget(j, "rules.1.fired")), 1);
		json_object_put(j);
		free(stats);
	}

	pid = p.pid;
	pcb_test_proxy_stop(&p);
	assert_gone(pid, "proxy");
	pcb_test_registry_stop(&r);
	free(layer);
	free(digest);
}
END_TEST

START_TEST(proxy_drop_and_429)
{
	struct pcb_test_registry r;
	struct pcb_test_proxy p;
	char *digest = make_layout(), *layer, *url, *out = NULL;
	int rc;

	layer = layer_digest(digest);
	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_PLAIN);
	push_plain(&r, r.host, "t/x:1");
	pcb_test_proxy_start(&p, r.host, "blob-get:drop@10;any:status=429,retry-after=1:2");
	url = pcb_xasprintf("http://%s/v2/t/x/blobs/%s", p.host, layer);
	/* Ten bytes of the body, then the connection goes: curl reports a partial transfer. */
	out = fetch(url, "*/*", &rc);
	ck_assert_msg(rc == 18 && strstr(out, " 10") != NULL, "dropped blob GET (%d): %s", rc, out);
	free(out);
	/* Then twice 429 with Retry-After (COUNT 2), then the real thing. */
	for (int i = 0; i < 2; i++) {
		rc = pcb_test_runf(&out, "curl -sS -D - -o /dev/null '%s'", url);
		ck_assert_msg(rc == 0 && strstr(out, " 429") != NULL &&
		    strcasestr(out, "retry-after: 1") != NULL, "429 #%d: %s", i, out);
		free(out);
	}
	out = fetch(url, "*/*", &rc);
	ck_assert_msg(rc == 0 && pcb_str_has_prefix(out, "200 ") && strstr(out, layer) != NULL,
	    "blob GET after the rules ran out: %s", out);
	free(out);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "GET", "blob"), 4);
	free(url);
	pcb_test_proxy_stop(&p);
	pcb_test_registry_stop(&r);
	free(layer);
	free(digest);
}
END_TEST

/* A whole push and pull through the proxy without rules: uploads stay on the proxy (Location
 * rewritten), and the counters see every kind of request. */
START_TEST(proxy_push_through)
{
	struct pcb_test_registry r;
	struct pcb_test_proxy p;
	char *digest = make_layout(), *ref, *got, *out = NULL;
	int rc;

	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_proxy_start(&p, r.host, NULL);
	push_plain(&r, p.host, "t/y:1");
	ck_assert_int_ge(pcb_test_proxy_count(&p, "POST", "upload"), 2);
	ck_assert_int_ge(pcb_test_proxy_count(&p, "PUT", "upload"), 2);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "PUT", "manifest"), 1);
	/* Straight from the registry: it holds what went through the proxy. */
	ref = pcb_xasprintf("%s/t/y:1", r.host);
	got = inspect_digest("--tls-verify=false", ref);
	ck_assert_str_eq(got, digest);
	free(got);
	free(ref);
	rc = pcb_test_runf(&out, "skopeo --insecure-policy copy --src-tls-verify=false "
	    "'docker://%s/t/y:1' 'oci:%s/back:1'", p.host, tmp);
	ck_assert_msg(rc == 0, "skopeo copy back: %s", out);
	free(out);
	ck_assert_int_ge(pcb_test_proxy_count(&p, "GET", "blob"), 2);
	pcb_test_proxy_stop(&p);
	pcb_test_registry_stop(&r);
	free(digest);
}
END_TEST

/* Asks the token server (curl, trusting the test CA) and returns the HTTP status; *tok gets the
 * "token" of a 200 answer (caller frees) and *refresh its refresh_token if any. */
static int
get_token(const struct pcb_test_registry *r, const char *curl_args, char **tok, char **refresh)
{
	char *out = NULL, *nl;
	int rc, code;
	json_object *j, *v;

	rc = pcb_test_runf(&out, "cd '%s' && rm -f tok && curl -sS --cacert %s -o tok "
	    "-w '%%{http_code}\\n' %s && cat tok", tmp, r->ca_file, curl_args);
	ck_assert_msg(rc == 0, "curl %s: %s", curl_args, out);
	code = atoi(out);
	*tok = NULL;
	if (refresh != NULL)
		*refresh = NULL;
	nl = strchr(out, '\n');
	ck_assert(nl != NULL);
	j = pcb_test_json(nl + 1, "token server answer");
	if (code == 200) {
		*tok = pcb_xstrdup(json_object_get_string(pcb_test_jget(j, "token")));
		ck_assert_str_eq(*tok, json_object_get_string(pcb_test_jget(j, "access_token")));
		ck_assert_int_gt(json_object_get_int(pcb_test_jget(j, "expires_in")), 0);
		ck_assert_ptr_nonnull(pcb_test_jget(j, "issued_at"));
		if (refresh != NULL && json_object_object_get_ex(j, "refresh_token", &v))
			*refresh = pcb_xstrdup(json_object_get_string(v));
	}
	json_object_put(j);
	free(out);
	return code;
}

/* GET path on the registry with a bearer token; the HTTP status. */
static int
bearer_get(const struct pcb_test_registry *r, const char *token, const char *path)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "curl -sS --cacert %s -H 'Authorization: Bearer %s' "
	    "-H 'Accept: " OCI_MANIFEST "' -o /dev/null -w '%%{http_code}' '%s%s'", r->ca_file,
	    token ? token : "", r->url, path);
	int code;
	ck_assert_msg(rc == 0, "curl %s: %s", path, out);
	code = atoi(out);
	free(out);
	return code;
}

START_TEST(token_auth)
{
	struct pcb_test_registry r;
	char *digest = make_layout(), *out = NULL, *got, *ref, *certs, *flags, *args, *tok, *rt;
	pid_t pid, token_pid;
	int rc;

	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_TOKEN);
	ck_assert(pcb_str_has_prefix(r.url, "https://127.0.0.1:"));
	ck_assert(pcb_str_has_prefix(r.token_realm, "https://127.0.0.1:"));
	ck_assert_int_gt(r.token_pid, 0);
	ck_assert_ptr_nonnull(r.service);
	/* The challenge names the realm and the service. */
	rc = pcb_test_runf(&out, "curl -sS --cacert %s -D - -o /dev/null %s/v2/", r.ca_file, r.url);
	{
		char *want = pcb_xasprintf("Bearer realm=\"%s\",service=\"%s\"", r.token_realm,
		    r.service);
		ck_assert_msg(rc == 0 && strstr(out, " 401") != NULL && strstr(out, want) != NULL,
		    "challenge: %s", out);
		free(want);
	}
	free(out);

	/* Wrong password and no credentials: 401 at the token server. */
	args = pcb_xasprintf("-u '%s:wrong' '%s?service=%s&scope=repository:t/x:pull,push'",
	    r.username, r.token_realm, r.service);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 401);
	free(args);
	args = pcb_xasprintf("'%s?service=%s&scope=repository:t/x:pull'", r.token_realm, r.service);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 401);
	free(args);
	ck_assert_int_eq(pcb_test_registry_token_count(&r, "GET", 401), 2);

	/* A token fetched with the credentials opens /v2/; no token does not. */
	args = pcb_xasprintf("-u '%s:%s' '%s?service=%s&scope=repository:t/x:pull,push'",
	    r.username, r.password, r.token_realm, r.service);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 200);
	free(args);
	ck_assert_int_eq(bearer_get(&r, tok, "/v2/"), 200);
	ck_assert_int_eq(bearer_get(&r, "x.y.z", "/v2/"), 401);
	free(tok);

	certs = cert_dir(&r);
	ref = pcb_xasprintf("%s/t/x:1", r.host);
	rc = pcb_test_runf(&out, "skopeo --insecure-policy copy 'oci:%s/layout:1' 'docker://%s' "
	    "--dest-cert-dir %s --dest-creds '%s:wrong'", tmp, ref, certs, r.username);
	ck_assert_msg(rc != 0, "push with a wrong password worked: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "skopeo --insecure-policy copy 'oci:%s/layout:1' 'docker://%s' "
	    "--dest-cert-dir %s --dest-creds '%s:%s'", tmp, ref, certs, r.username, r.password);
	ck_assert_msg(rc == 0, "skopeo copy: %s", out);
	free(out);
	flags = pcb_xasprintf("--cert-dir %s --creds '%s:%s'", certs, r.username, r.password);
	got = inspect_digest(flags, ref);
	ck_assert_str_eq(got, digest);
	free(got);

	/* OAuth2 POST: password grant with access_type=offline gives a refresh token, which
	 * then buys access tokens by itself. */
	args = pcb_xasprintf("--data-urlencode grant_type=password --data-urlencode 'username=%s' "
	    "--data-urlencode 'password=%s' --data-urlencode 'service=%s' --data-urlencode "
	    "'scope=repository:t/x:pull' --data-urlencode access_type=offline --data-urlencode "
	    "client_id=pcb-test '%s'", r.username, r.password, r.service, r.token_realm);
	ck_assert_int_eq(get_token(&r, args, &tok, &rt), 200);
	ck_assert_ptr_nonnull(rt);
	free(args);
	free(tok);
	args = pcb_xasprintf("--data-urlencode grant_type=refresh_token --data-urlencode "
	    "'refresh_token=%s' --data-urlencode 'service=%s' --data-urlencode "
	    "'scope=repository:t/x:pull' --data-urlencode client_id=pcb-test '%s'", rt, r.service,
	    r.token_realm);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 200);
	free(args);
	ck_assert_int_eq(bearer_get(&r, tok, "/v2/t/x/manifests/1"), 200);
	free(tok);
	args = pcb_xasprintf("--data-urlencode grant_type=refresh_token --data-urlencode "
	    "'refresh_token=%sx' --data-urlencode 'service=%s' '%s'", rt, r.service, r.token_realm);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 401);
	free(args);
	free(rt);
	ck_assert_int_eq(pcb_test_registry_token_count(&r, "POST", 200), 2);
	ck_assert_int_eq(pcb_test_registry_token_count(&r, "POST", 401), 1);

	/* A token without push for the repository: reading yes, starting an upload no. */
	args = pcb_xasprintf("-u '%s:%s' '%s?service=%s&scope=repository:t/x:pull'", r.username,
	    r.password, r.token_realm, r.service);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 200);
	free(args);
	ck_assert_int_eq(bearer_get(&r, tok, "/v2/t/x/manifests/1"), 200);
	rc = pcb_test_runf(&out, "curl -sS --cacert %s -X POST -H 'Authorization: Bearer %s' "
	    "-o /dev/null -w '%%{http_code}' '%s/v2/t/x/blobs/uploads/'", r.ca_file, tok, r.url);
	ck_assert_msg(rc == 0 && strcmp(out, "401") == 0, "upload with a pull token: %s", out);
	free(out);
	free(tok);

	/* Expired tokens are refused by the registry. */
	pcb_test_registry_token_set(&r, 0, false);
	args = pcb_xasprintf("-u '%s:%s' '%s?service=%s&scope=repository:t/x:pull'", r.username,
	    r.password, r.token_realm, r.service);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 200);
	ck_assert_int_eq(bearer_get(&r, tok, "/v2/t/x/manifests/1"), 401);
	free(tok);

	/* Anonymous pull when allowed: a token without credentials reads but cannot push. */
	pcb_test_registry_token_set(&r, 300, true);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 200);
	ck_assert_int_eq(bearer_get(&r, tok, "/v2/t/x/manifests/1"), 200);
	free(tok);
	free(args);
	args = pcb_xasprintf("'%s?service=%s&scope=repository:t/x:pull,push'", r.token_realm,
	    r.service);
	ck_assert_int_eq(get_token(&r, args, &tok, NULL), 200);
	ck_assert_int_eq(bearer_get(&r, tok, "/v2/t/x/manifests/1"), 200);
	rc = pcb_test_runf(&out, "curl -sS --cacert %s -X POST -H 'Authorization: Bearer %s' "
	    "-o /dev/null -w '%%{http_code}' '%s/v2/t/x/blobs/uploads/'", r.ca_file, tok, r.url);
	ck_assert_msg(rc == 0 && strcmp(out, "401") == 0, "anonymous upload: %s", out);
	free(out);
	free(tok);
	free(args);

	pid = r.pid;
	token_pid = r.token_pid;
	pcb_test_registry_stop(&r);
	assert_gone(pid, "registry");
	assert_gone(token_pid, "token server");
	free(flags);
	free(certs);
	free(ref);
	free(digest);
}
END_TEST

/* Request-body rules, driven by hand with curl: the first PATCH of upload data is cut after
 * 1000 bytes, the next one answers 500 without reaching the registry, then a chunked PATCH and
 * the closing PUT go through; Location headers keep the upload on the proxy. */
static const char upload_script[] =
    "set -u\n"
    "P=$1\n"
    "head -c 100000 /dev/urandom > data\n"
    "d=sha256:$(sha256sum < data | cut -c1-64)\n"
    "echo \"DIGEST $d\"\n"
    "loc() { tr -d '\\r' < \"$1\" | sed -n 's/^[Ll]ocation: //p'; }\n"
    "curl -sS -X POST -D h1 -o /dev/null \"http://$P/v2/t/z/blobs/uploads/\"\n"
    "echo \"LOC1 $(loc h1)\"\n"
    "curl -sS -X PATCH --data-binary @data -o /dev/null \"$(loc h1)\"; echo \"PATCH1 rc=$?\"\n"
    "curl -sS -X POST -D h2 -o /dev/null \"http://$P/v2/t/z/blobs/uploads/\"\n"
    "curl -sS -X PATCH --data-binary @data -o /dev/null -w 'PATCH2 %{http_code}\\n' \"$(loc h2)\"\n"
    "curl -sS -X PATCH -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' "
    "--data-binary @data -D h3 -o /dev/null -w 'PATCH3 %{http_code}\\n' \"$(loc h2)\"\n"
    "curl -sS -X PUT -o /dev/null -w 'PUT %{http_code}\\n' \"$(loc h3)&digest=$d\"\n";

START_TEST(proxy_upload_rules)
{
	struct pcb_test_registry r;
	struct pcb_test_proxy p;
	char *out = NULL, *want, *d, *url;
	int rc;

	pcb_test_registry_start(&r, PCB_TEST_REGISTRY_PLAIN);
	pcb_test_proxy_start(&p, r.host, "blob-put:drop@1000;blob-put:status=500");
	pcb_test_write(tmp, "upload.sh", upload_script, 0755);
	rc = pcb_test_runf(&out, "cd '%s' && sh ./upload.sh %s", tmp, p.host);
	ck_assert_msg(rc == 0, "upload script: %s", out);
	want = pcb_xasprintf("LOC1 http://%s/v2/t/z/blobs/uploads/", p.host);
	ck_assert_msg(strstr(out, want) != NULL, "Location not on the proxy: %s", out);
	free(want);
	ck_assert_msg(strstr(out, "PATCH1 rc=52") != NULL, "dropped PATCH: %s", out);
	ck_assert_msg(strstr(out, "PATCH2 500") != NULL, "PATCH with status=500: %s", out);
	ck_assert_msg(strstr(out, "PATCH3 202") != NULL, "chunked PATCH: %s", out);
	ck_assert_msg(strstr(out, "PUT 201") != NULL, "closing PUT: %s", out);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "POST", "upload"), 2);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "PATCH", "upload"), 3);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "PUT", "upload"), 1);
	ck_assert_int_eq(pcb_test_proxy_count(&p, "any", "upload"), 6);
	/* The registry itself has the blob, whole. */
	d = strstr(out, "DIGEST ");
	ck_assert(d != NULL);
	d += 7;
	d[PCB_DIGEST_LEN] = '\0';
	url = pcb_xasprintf("%s/v2/t/z/blobs/%s", r.url, d);
	want = pcb_xasprintf("200 %s 100000", d);
	{
		char *got = fetch(url, "*/*", &rc);
		ck_assert_msg(rc == 0 && strcmp(got, want) == 0, "blob at the registry: %s", got);
		free(got);
	}
	free(want);
	free(url);
	free(out);
	pcb_test_proxy_stop(&p);
	pcb_test_registry_stop(&r);
}
END_TEST

/* A rule that does not parse stops the proxy at start with a message, not later. */
START_TEST(proxy_bad_rule)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "/usr/bin/python3 %s/tests/lib/faultproxy.py --upstream "
	    "127.0.0.1:1 --rules 'blob-get:explode' --port-file %s/port --stats %s/stats",
	    pcb_test_source_dir(), tmp, tmp);
	ck_assert_msg(rc == 2 && strstr(out, "bad rule 'blob-get:explode'") != NULL, "%d: %s", rc,
	    out);
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("regfix");
	TCase *tc = tcase_create("registry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, plain_push_inspect);
	tcase_add_test(tc, plain_two_at_once);
	tcase_add_test(tc, basic_tls_auth);
	tcase_add_test(tc, proxy_status_and_corrupt);
	tcase_add_test(tc, proxy_drop_and_429);
	tcase_add_test(tc, proxy_push_through);
	tcase_add_test(tc, proxy_upload_rules);
	tcase_add_test(tc, proxy_bad_rule);
	tcase_add_test(tc, token_auth);
	suite_add_tcase(s, tc);
	return pcb_test_run_suite(s);
}
