/* regfix.c — registry fixtures for the tests: Debian's docker-registry (CNCF distribution 2.8)
 * on loopback in plain, basic-auth-over-TLS and token modes, the Python token server
 * (tests/lib/tokenserver.py) for the token mode, and the Python fault proxy
 * (tests/lib/faultproxy.py). Test code only: every failure aborts the running Check test. */
#include "regfix.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

/* Debian's interpreter on purpose: the python found on PATH may be a pyenv build without
 * python3-cryptography, and a fresh Debian machine has only this one. */
#define PYTHON "/usr/bin/python3"
#define START_DEADLINE_MS 30000
#define STOP_DEADLINE_MS 10000
#define START_ATTEMPTS 3

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int
pcb_test_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port;

	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind: %s", strerror(errno));
	ck_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Starts argv[0] with stdin from /dev/null and stdout+stderr appended to log. The child asks
 * the kernel for SIGKILL when the test process dies, so a crashed test leaves no servers. */
static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in < 0 || out < 0)
			_exit(126);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* SIGTERM, then SIGKILL after the deadline; always reaps. */
static void
stop_pid(pid_t *pidp)
{
	pid_t pid = *pidp;
	int64_t deadline;

	if (pid <= 0)
		return;
	*pidp = 0;
	kill(pid, SIGTERM);
	deadline = pcb_monotonic_ms() + STOP_DEADLINE_MS;
	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		if (pcb_monotonic_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		sleep_ms(10);
	}
}

/* True (and reaped) when the child has exited. */
static bool
exited(pid_t pid)
{
	int st;
	return waitpid(pid, &st, WNOHANG) == pid;
}

static char *
read_log(const char *log)
{
	char *s = pcb_test_read(log, NULL);
	return s != NULL ? s : pcb_xstrdup("(no log)");
}

/* Runs a shell command that must succeed; its merged output goes into the failure message. */
static void
run_ok(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
run_ok(const char *what, const char *fmt, ...)
{
	va_list ap;
	char *cmd, *out = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	ck_assert(r >= 0);
	r = pcb_test_run(cmd, true, &out);
	ck_assert_msg(r == 0, "%s failed (%d): %s\n%s", what, r, cmd, out ? out : "");
	free(out);
	free(cmd);
}

/* A test CA and a server certificate for 127.0.0.1/localhost signed by it, in dir/certs; with
 * token true also an RSA token-signing key and certificate (the registry trusts the CA, the
 * token server puts the certificate into each JWT's x5c header). EC keys where the choice is
 * free because they are quick to make. */
static void
make_certs(const char *dir, bool token)
{
	char *certs = pcb_path_join(dir, "certs");

	pcb_test_mkdir(dir, "certs");
	pcb_test_write(certs, "server.ext",
	    "basicConstraints = critical, CA:FALSE\n"
	    "keyUsage = critical, digitalSignature, keyEncipherment\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = IP:127.0.0.1, DNS:localhost\n", 0644);
	pcb_test_write(certs, "signer.ext",
	    "basicConstraints = critical, CA:FALSE\n"
	    "keyUsage = critical, digitalSignature\n", 0644);
	run_ok("test CA", "cd '%s' && openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 "
	    "-subj /CN=pcb-test-ca -addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign", certs);
	run_ok("server certificate", "cd '%s' && openssl req -new -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
	    "-subj /CN=localhost && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -days 2 -sha256 -extfile server.ext -out server.crt", certs);
	if (token)
		run_ok("token signing certificate", "cd '%s' && openssl req -new -newkey rsa:2048 "
		    "-nodes -keyout signer.key -out signer.csr -subj /CN=pcb-test-token-signer && "
		    "openssl x509 -req -in signer.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		    "-days 2 -sha256 -extfile signer.ext -out signer.crt", certs);
	free(certs);
}

static size_t
discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* GET url; the HTTP status, or -1 when nothing answered. */
static long
probe(const char *url, const char *ca_file)
{
	CURL *c = curl_easy_init();
	long code = -1;

	ck_assert(c != NULL);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return code;
}

/* Polls url until it answers 200 or 401. Returns 0 when up, 1 when the server exited because
 * another process took its port (the caller retries on a new one); aborts on anything else. */
static int
wait_up(pid_t *pidp, const char *url, const char *ca_file, const char *log, const char *what)
{
	int64_t deadline = pcb_monotonic_ms() + START_DEADLINE_MS;

	for (;;) {
		long code = probe(url, ca_file);
		if (code == 200 || code == 401)
			return 0;
		if (exited(*pidp)) {
			char *text = read_log(log);
			*pidp = 0;
			if (strstr(text, "address already in use") != NULL) {
				free(text);
				return 1;
			}
			ck_abort_msg("%s exited before answering %s: %s", what, url, text);
		}
		if (pcb_monotonic_ms() > deadline) {
			char *text = read_log(log);
			stop_pid(pidp);
			ck_abort_msg("%s did not answer %s within %d s (last status %ld): %s", what,
			    url, START_DEADLINE_MS / 1000, code, text);
		}
		sleep_ms(25);
	}
}

/* The Python servers bind port 0 themselves (no race for a probed port) and write the port
 * they got to port_file (temp + rename, so it is never read half-written). */
static int
wait_port_file(pid_t *pidp, const char *port_file, const char *log, const char *what)
{
	int64_t deadline = pcb_monotonic_ms() + START_DEADLINE_MS;

	for (;;) {
		char *s = pcb_test_read(port_file, NULL);
		if (s != NULL) {
			int port = atoi(s);
			free(s);
			ck_assert_msg(port > 0 && port < 65536, "%s: bad port file", what);
			return port;
		}
		if (exited(*pidp)) {
			char *text = read_log(log);
			*pidp = 0;
			ck_abort_msg("%s exited at start: %s", what, text);
		}
		if (pcb_monotonic_ms() > deadline) {
			char *text = read_log(log);
			stop_pid(pidp);
			ck_abort_msg("%s did not start within %d s: %s", what,
			    START_DEADLINE_MS / 1000, text);
		}
		sleep_ms(20);
	}
}

static void
write_atomic(const char *path, const char *text)
{
	struct pcb_err e;
	ck_assert_msg(pcb_write_file_atomic(path, text, strlen(text), 0644, &e) == 0,
	    "write %s: %s", path, e.msg);
}

/* The token server's settings; it rereads the file on every request, so tests can change
 * them while it runs (pcb_test_registry_token_set). */
static void
write_token_config(const struct pcb_test_registry *r, int expires_in, bool anonymous_pull)
{
	json_object *o = json_object_new_object();
	char *path = pcb_path_join(r->dir, "token/config.json");
	char *certs = pcb_path_join(r->dir, "certs");
	char *s;

	json_object_object_add(o, "username", json_object_new_string(r->username));
	json_object_object_add(o, "password", json_object_new_string(r->password));
	json_object_object_add(o, "service", json_object_new_string(r->service));
	json_object_object_add(o, "issuer", json_object_new_string("pcb-test-issuer"));
	s = pcb_path_join(certs, "signer.key");
	json_object_object_add(o, "signing_key", json_object_new_string(s));
	free(s);
	s = pcb_path_join(certs, "signer.crt");
	json_object_object_add(o, "signing_cert", json_object_new_string(s));
	free(s);
	s = pcb_path_join(certs, "server.key");
	json_object_object_add(o, "tls_key", json_object_new_string(s));
	free(s);
	s = pcb_path_join(certs, "server.crt");
	json_object_object_add(o, "tls_cert", json_object_new_string(s));
	free(s);
	s = pcb_path_join(r->dir, "token/port");
	json_object_object_add(o, "port_file", json_object_new_string(s));
	free(s);
	s = pcb_path_join(r->dir, "token/stats.json");
	json_object_object_add(o, "stats_file", json_object_new_string(s));
	free(s);
	json_object_object_add(o, "expires_in", json_object_new_int(expires_in));
	json_object_object_add(o, "anonymous_pull", json_object_new_boolean(anonymous_pull));
	write_atomic(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	free(certs);
	free(path);
}

void
pcb_test_registry_token_set(struct pcb_test_registry *r, int expires_in, bool anonymous_pull)
{
	ck_assert(r->mode == PCB_TEST_REGISTRY_TOKEN);
	write_token_config(r, expires_in, anonymous_pull);
}

int
pcb_test_registry_token_count(const struct pcb_test_registry *r, const char *method, int status)
{
	char *path = pcb_path_join(r->dir, "token/stats.json");
	char *text = pcb_test_read(path, NULL);
	json_object *o, *counts;
	int total = 0;

	ck_assert_msg(text != NULL, "no token server stats in %s", path);
	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "token server stats are not JSON: %s", text);
	if (json_object_object_get_ex(o, "requests", &counts)) {
		json_object_object_foreach(counts, key, val) {
			char m[16];
			int st;
			if (sscanf(key, "%15s %d", m, &st) != 2)
				continue;
			if ((strcmp(method, "any") == 0 || strcmp(method, m) == 0) &&
			    (status == 0 || status == st))
				total += json_object_get_int(val);
		}
	}
	json_object_put(o);
	free(text);
	free(path);
	return total;
}

static void
start_token_server(struct pcb_test_registry *r)
{
	char *script = pcb_path_join(pcb_test_source_dir(), "tests/lib/tokenserver.py");
	char *config = pcb_path_join(r->dir, "token/config.json");
	char *port_file = pcb_path_join(r->dir, "token/port");
	char *log = pcb_path_join(r->dir, "token/token.log");
	char *argv[] = { PYTHON, script, config, NULL };

	pcb_test_mkdir(r->dir, "token");
	write_token_config(r, 300, false);
	r->token_pid = spawn(argv, log);
	r->token_port = wait_port_file(&r->token_pid, port_file, log, "token server");
	r->token_realm = pcb_xasprintf("https://127.0.0.1:%d/token", r->token_port);
	free(script);
	free(config);
	free(port_file);
	free(log);
}

static char *
registry_config(const struct pcb_test_registry *r)
{
	struct pcb_buf b;
	char secret[33];

	pcb_random_hex(secret, 16);
	pcb_buf_init(&b, 1 << 16);
	pcb_buf_appendf(&b,
	    "version: 0.1\n"
	    "log:\n  level: info\n  formatter: text\n"
	    "storage:\n  filesystem:\n    rootdirectory: %s/storage\n"
	    "  delete:\n    enabled: true\n"
	    "  maintenance:\n    uploadpurging:\n      enabled: false\n"
	    "http:\n  addr: 127.0.0.1:%d\n  secret: %s\n",
	    r->dir, r->port, secret);
	if (r->mode != PCB_TEST_REGISTRY_PLAIN)
		pcb_buf_appendf(&b, "  tls:\n    certificate: %s/certs/server.crt\n"
		    "    key: %s/certs/server.key\n", r->dir, r->dir);
	if (r->mode == PCB_TEST_REGISTRY_BASIC_TLS)
		pcb_buf_appendf(&b, "auth:\n  htpasswd:\n    realm: pcb-test\n"
		    "    path: %s/htpasswd\n", r->dir);
	if (r->mode == PCB_TEST_REGISTRY_TOKEN)
		pcb_buf_appendf(&b, "auth:\n  token:\n    realm: %s\n    service: %s\n"
		    "    issuer: pcb-test-issuer\n    rootcertbundle: %s/certs/ca.crt\n",
		    r->token_realm, r->service, r->dir);
	return pcb_buf_steal(&b, NULL);
}

void
pcb_test_registry_start(struct pcb_test_registry *r, enum pcb_test_registry_mode mode)
{
	char *cfg_path, *v2;
	char pw[33];
	int attempt;

	memset(r, 0, sizeof *r);
	r->mode = mode;
	r->dir = pcb_test_tmpdir();
	r->log = pcb_path_join(r->dir, "registry.log");
	cfg_path = pcb_path_join(r->dir, "config.yml");
	if (mode != PCB_TEST_REGISTRY_PLAIN) {
		make_certs(r->dir, mode == PCB_TEST_REGISTRY_TOKEN);
		r->ca_file = pcb_path_join(r->dir, "certs/ca.crt");
		/* A random password, so a test can grep logs and state for it. */
		pcb_random_hex(pw, 16);
		r->username = pcb_xstrdup("pcbuser");
		r->password = pcb_xasprintf("pw-%s", pw);
	}
	if (mode == PCB_TEST_REGISTRY_BASIC_TLS)
		run_ok("htpasswd", "htpasswd -Bbn '%s' '%s' > '%s/htpasswd'", r->username,
		    r->password, r->dir);
	if (mode == PCB_TEST_REGISTRY_TOKEN) {
		r->service = pcb_xstrdup("pcb-test-registry");
		start_token_server(r);
	}
	for (attempt = 1;; attempt++) {
		char *cfg, *argv[] = { "/usr/bin/docker-registry", "serve", cfg_path, NULL };
		int rc;

		r->port = pcb_test_free_port();
		cfg = registry_config(r);
		write_atomic(cfg_path, cfg);
		free(cfg);
		free(r->host);
		free(r->url);
		r->host = pcb_xasprintf("127.0.0.1:%d", r->port);
		r->url = pcb_xasprintf("%s://%s", mode == PCB_TEST_REGISTRY_PLAIN ? "http" : "https",
		    r->host);
		v2 = pcb_xasprintf("%s/v2/", r->url);
		r->pid = spawn(argv, r->log);
		rc = wait_up(&r->pid, v2, r->ca_file, r->log, "docker-registry");
		free(v2);
		if (rc == 0)
			break;
		ck_assert_msg(attempt < START_ATTEMPTS, "docker-registry: no free port after %d tries",
		    attempt);
	}
	free(cfg_path);
}

void
pcb_test_registry_stop(struct pcb_test_registry *r)
{
	stop_pid(&r->pid);
	stop_pid(&r->token_pid);
	pcb_test_rmtree(r->dir);
	free(r->dir);
	free(r->host);
	free(r->url);
	free(r->ca_file);
	free(r->username);
	free(r->password);
	free(r->token_realm);
	free(r->service);
	free(r->log);
	memset(r, 0, sizeof *r);
}

void
pcb_test_proxy_start(struct pcb_test_proxy *p, const char *upstream, const char *rules)
{
	char *script = pcb_path_join(pcb_test_source_dir(), "tests/lib/faultproxy.py");
	char *port_file, *log;

	memset(p, 0, sizeof *p);
	p->dir = pcb_test_tmpdir();
	p->stats = pcb_path_join(p->dir, "stats.json");
	port_file = pcb_path_join(p->dir, "port");
	log = pcb_path_join(p->dir, "proxy.log");
	{
		char *argv[] = { PYTHON, script, "--upstream", (char *)upstream, "--rules",
		    (char *)(rules ? rules : ""), "--port-file", port_file, "--stats", p->stats,
		    NULL };
		p->pid = spawn(argv, log);
	}
	p->port = wait_port_file(&p->pid, port_file, log, "fault proxy");
	p->host = pcb_xasprintf("127.0.0.1:%d", p->port);
	free(script);
	free(port_file);
	free(log);
}

void
pcb_test_proxy_stop(struct pcb_test_proxy *p)
{
	stop_pid(&p->pid);
	pcb_test_rmtree(p->dir);
	free(p->dir);
	free(p->host);
	free(p->stats);
	memset(p, 0, sizeof *p);
}

/* Sums the counters "METHOD KIND" from the stats file; "any" matches every method or kind. */
int
pcb_test_proxy_count(const struct pcb_test_proxy *p, const char *method, const char *kind)
{
	char *text = pcb_test_read(p->stats, NULL);
	json_object *o, *counts;
	int total = 0;

	if (text == NULL)
		return 0;
	o = json_tokener_parse(text);
	ck_assert_msg(o != NULL, "proxy stats are not JSON: %s", text);
	if (json_object_object_get_ex(o, "requests", &counts)) {
		json_object_object_foreach(counts, key, val) {
			const char *sp = strchr(key, ' ');
			size_t mlen = sp ? (size_t)(sp - key) : strlen(key);
			bool mok = strcmp(method, "any") == 0 ||
			    (strlen(method) == mlen && strncmp(key, method, mlen) == 0);
			bool kok = strcmp(kind, "any") == 0 || (sp && strcmp(sp + 1, kind) == 0);
			if (mok && kok)
				total += json_object_get_int(val);
		}
	}
	json_object_put(o);
	free(text);
	return total;
}
