/* cmd-login.c — `pcb login` and `pcb logout`: save and remove registry credentials in docker's
 * config.json format (or through the credential helper it names), so pcb, docker, podman and
 * skopeo share one login. Neither talks to the daemon; `pcb login --verify` checks the
 * credentials against the registry itself first (GET /v2/, as docker login does). */
#include "creds.h"
#include "pcb.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char login_usage[] =
    "Usage: pcb login [OPTIONS] [REGISTRY]\n"
    "\n"
    "Save credentials for REGISTRY (HOST[:PORT]; default: Docker Hub) where docker keeps\n"
    "them: $DOCKER_CONFIG/config.json or ~/.docker/config.json, or the credential helper\n"
    "that file names (credHelpers, credsStore). Other entries of the file are kept.\n"
    "\n"
    "Options:\n"
    "  -u, --username USER       user name (prompted for on a terminal when left out)\n"
    "  -p, --password PASS       password (visible to other users in the process list:\n"
    "                            prefer --password-stdin)\n"
    "      --password-stdin      read the password from standard input\n"
    "      --verify              check the credentials against REGISTRY first (GET /v2/)\n"
    "      --ca-cert FILE        with --verify: trust the CA certificates in FILE\n"
    "      --insecure-registry HOST[:PORT]  with --verify: plain HTTP is allowed for HOST\n"
    "  -h, --help                show this help\n"
    "\n"
    "Without -p or --password-stdin the password is asked for on the terminal, without echo.\n"
    "The credentials are not checked unless --verify is given.\n";

static const char logout_usage[] =
    "Usage: pcb logout [REGISTRY]\n"
    "\n"
    "Remove the saved credentials for REGISTRY (default: Docker Hub) from docker's\n"
    "config.json and from the credential helper it names.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n";

static int login_run(struct pcb_http *h, int argc, char **argv);
static int logout_run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_login = {
	.name = "login",
	.summary = "Save credentials for a registry",
	.usage = login_usage,
	.fn = login_run,
};

const struct pcb_cmd pcb_cmd_logout = {
	.name = "logout",
	.summary = "Remove saved credentials for a registry",
	.usage = logout_usage,
	.fn = logout_run,
};

enum { OPT_PASSWORD_STDIN = 1000, OPT_VERIFY };

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* The password from stdin: everything up to EOF (bounded), less one trailing newline. */
static int
read_password_stdin(char **out, struct pcb_err *err)
{
	struct pcb_buf b;
	char buf[512];
	ssize_t n;
	int r = 0;

	*out = NULL;
	pcb_buf_init(&b, 4096);
	while ((n = read(0, buf, sizeof buf)) != 0) {
		if (n < 0) {
			r = pcb_err_errno(err, errno, "reading the password from standard input");
			goto out;
		}
		if (pcb_buf_append(&b, buf, (size_t)n) != 0) {
			r = pcb_err_set(err, PCB_ETOOBIG, "the password on standard input is longer "
			    "than 4096 bytes");
			goto out;
		}
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	if (b.len == 0 || memchr(b.data, '\n', b.len) != NULL) {
		r = pcb_err_set(err, PCB_EINVAL, "standard input must hold the password on one "
		    "line (it was %s)", b.len == 0 ? "empty" : "several lines");
		goto out;
	}
	*out = pcb_xstrdup(b.data);
out:
	explicit_bzero(buf, sizeof buf);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	pcb_buf_free(&b);
	return r;
}

/* ---- --verify ---- */

struct hdrs {
	char challenge[1024];   /* the WWW-Authenticate header of the last answer */
};

static size_t
header_cb(char *p, size_t size, size_t n, void *ud)
{
	struct hdrs *hd = ud;
	size_t len = size * n, k = strlen("www-authenticate:");

	if (len > k && strncasecmp(p, "www-authenticate:", k) == 0) {
		size_t v = k, e = len;
		while (v < len && (p[v] == ' ' || p[v] == '\t'))
			v++;
		while (e > v && (p[e - 1] == '\r' || p[e - 1] == '\n'))
			e--;
		snprintf(hd->challenge, sizeof hd->challenge, "%.*s", (int)(e - v), p + v);
	}
	return len;
}

static size_t
discard_cb(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* One GET; *status is the HTTP status (0 when nothing answered). */
static int
verify_get(const char *url, const char *user, const char *pass, const char *pem,
    struct hdrs *hd, long *status, struct pcb_err *err)
{
	CURL *c = curl_easy_init();
	CURLcode rc;
	int r = 0;

	if (c == NULL)
		abort();
	hd->challenge[0] = '\0';
	*status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, hd);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pcb/" PCB_VERSION);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(1 << 20));
	if (pem != NULL) {
		struct curl_blob blob = { (void *)pem, strlen(pem), CURL_BLOB_COPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		r = pcb_err_set(err, PCB_EIO, "GET %s: %s", url, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
out:
	curl_easy_cleanup(c);
	return r;
}

/* A parameter of a Bearer challenge (realm="…"). */
static bool
challenge_param(const char *ch, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = ch;

	while ((p = strcasestr(p, name)) != NULL) {
		if ((p == ch || p[-1] == ' ' || p[-1] == ',') && p[nl] == '=' && p[nl + 1] == '"') {
			const char *v = p + nl + 2, *e = strchr(v, '"');
			if (e == NULL)
				return false;
			snprintf(out, outsz, "%.*s", (int)(e - v), v);
			return true;
		}
		p += nl;
	}
	return false;
}

static bool
loopback(const char *host)
{
	return pcb_str_has_prefix(host, "127.") || pcb_str_has_prefix(host, "localhost") ||
	    pcb_str_has_prefix(host, "[::1]");
}

/* GET /v2/ as docker login does: anonymous first to learn the challenge, then Basic against
 * the registry or against the token realm of a Bearer challenge. */
static int
verify(const char *registry, const char *user, const char *pass, const struct pcb_regopts *reg,
    struct pcb_err *err)
{
	char host[256], realm[512], service[256], *url = NULL, *pem = NULL;
	struct pcb_strv hosts;
	json_object *tmp = json_object_new_object(), *cas;
	struct hdrs hd;
	long status;
	bool plain;
	int r;

	pcb_strv_init(&hosts);
	pcb_creds_host_key(registry, host, sizeof host);
	if (strcmp(host, "docker.io") == 0)
		snprintf(host, sizeof host, "registry-1.docker.io");
	/* CA text as a job would carry it: --ca-cert files and the user's certs.d. */
	{
		struct pcb_regopts ca_only = *reg;
		ca_only.creds = NULL;
		pcb_strv_push(&hosts, host);
		if ((r = pcb_regopts_apply(&ca_only, &hosts, tmp, err)) != 0)
			goto out;
		if (json_object_object_get_ex(tmp, "ca_certs", &cas))
			pem = pcb_xstrdup(pcb_cli_jstr(cas, host));
	}
	plain = pcb_strv_contains(&reg->insecure, host);
	url = pcb_xasprintf("%s://%s/v2/", plain ? "http" : "https", host);
	r = verify_get(url, NULL, NULL, pem, &hd, &status, err);
	if (r != 0 && !plain && loopback(host)) {
		/* Loopback may speak plain HTTP without asking, as the daemon allows. */
		free(url);
		url = pcb_xasprintf("http://%s/v2/", host);
		pcb_err_clear(err);
		r = verify_get(url, NULL, NULL, pem, &hd, &status, err);
	}
	if (r != 0)
		goto out;
	if (status == 401 && strncasecmp(hd.challenge, "bearer", 6) == 0) {
		if (!challenge_param(hd.challenge, "realm", realm, sizeof realm)) {
			r = pcb_err_set(err, PCB_EIO, "%s: a Bearer challenge without a realm", host);
			goto out;
		}
		free(url);
		if (challenge_param(hd.challenge, "service", service, sizeof service)) {
			char *esc = curl_easy_escape(NULL, service, 0);
			url = pcb_xasprintf("%s%sservice=%s", realm, strchr(realm, '?') ? "&" : "?",
			    esc);
			curl_free(esc);
		} else {
			url = pcb_xstrdup(realm);
		}
		r = verify_get(url, user, pass, pem, &hd, &status, err);
	} else if (status == 401) {
		r = verify_get(url, user, pass, pem, &hd, &status, err);
	}
	if (r != 0)
		goto out;
	if (status == 401 || status == 403) {
		r = pcb_err_set(err, PCB_EPERM, "login to %s failed: HTTP %ld %s (wrong user name "
		    "or password?)", host, status, status == 401 ? "unauthorized" : "forbidden");
		err->http_status = (int)status;
	} else if (status < 200 || status >= 300) {
		r = pcb_err_set(err, PCB_EIO, "login to %s: GET /v2/ answered HTTP %ld", host,
		    status);
		err->http_status = (int)status;
	}
out:
	json_object_put(tmp);
	pcb_strv_free(&hosts);
	free(pem);
	free(url);
	return r;
}

static int
login_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		PCB_REGOPTS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_regopts reg;
	struct pcb_err err;
	const char *registry;
	char *user = NULL, *pass = NULL, *where = NULL, *prompt, msg[512];
	bool from_stdin = false, do_verify = false, bad;
	int c, rc = PCB_EXIT_OK;

	(void)h;
	pcb_regopts_init(&reg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":u:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			free(user);
			user = pcb_xstrdup(optarg);
			break;
		case 'p':
			wipe_free(pass);
			pass = pcb_xstrdup(optarg);
			break;
		case OPT_PASSWORD_STDIN:
			from_stdin = true;
			break;
		case OPT_VERIFY:
			do_verify = true;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_login);
			goto out;
		default:
			if (c != PCB_REGOPT_CREDS &&
			    pcb_regopts_option(&reg, c, optarg, &bad, msg, sizeof msg)) {
				if (bad) {
					rc = pcb_cli_usage_error(&pcb_cmd_login, "%s", msg);
					goto out;
				}
				break;
			}
			rc = pcb_cli_opt_error(&pcb_cmd_login, c, argv);
			goto out;
		}
	}
	if (argc - optind > 1) {
		rc = pcb_cli_usage_error(&pcb_cmd_login, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	registry = optind < argc ? argv[optind] : "docker.io";
	if (registry[0] == '\0' || strchr(registry, '@') != NULL) {
		rc = pcb_cli_usage_error(&pcb_cmd_login, "'%s' is not a registry (HOST[:PORT])",
		    registry);
		goto out;
	}
	if (pass != NULL && from_stdin) {
		rc = pcb_cli_usage_error(&pcb_cmd_login, "--password and --password-stdin "
		    "exclude each other");
		goto out;
	}
	if (from_stdin && user == NULL) {
		rc = pcb_cli_usage_error(&pcb_cmd_login, "--password-stdin needs --username");
		goto out;
	}
	if (pass != NULL)
		fprintf(stderr, "pcb login: warning: a password on the command line is visible to "
		    "other users; use --password-stdin\n");
	if (user == NULL) {
		if (pcb_creds_prompt("Username: ", false, &user, &err) != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_login, "no --username given and %s", err.msg);
			goto out;
		}
	}
	if (user[0] == '\0') {
		rc = pcb_cli_usage_error(&pcb_cmd_login, "the user name is empty");
		goto out;
	}
	if (from_stdin) {
		if (read_password_stdin(&pass, &err) != 0) {
			fprintf(stderr, "pcb login: %s\n", err.msg);
			rc = PCB_EXIT_FAIL;
			goto out;
		}
	} else if (pass == NULL) {
		prompt = pcb_xasprintf("Password for %s at %s: ", user, registry);
		c = pcb_creds_prompt(prompt, true, &pass, &err);
		free(prompt);
		if (c != 0) {
			rc = pcb_cli_usage_error(&pcb_cmd_login, "no password given and %s (use "
			    "--password-stdin)", err.msg);
			goto out;
		}
	}
	if (do_verify && verify(registry, user, pass, &reg, &err) != 0) {
		fprintf(stderr, "pcb login: %s\n", err.msg);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	if (pcb_creds_store(registry, user, pass, &where, &err) != 0) {
		fprintf(stderr, "pcb login: %s\n", err.msg);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	printf("Login %s for %s saved in %s\n", do_verify ? "verified" : "(not verified)",
	    registry, where);
out:
	free(user);
	wipe_free(pass);
	free(where);
	pcb_regopts_free(&reg);
	return rc;
}

static int
logout_run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_err err;
	const char *registry;
	bool removed;
	int c, rc = PCB_EXIT_OK;

	(void)h;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			rc = pcb_cli_help(&pcb_cmd_logout);
			goto out;
		}
		rc = pcb_cli_opt_error(&pcb_cmd_logout, c, argv);
		goto out;
	}
	if (argc - optind > 1) {
		rc = pcb_cli_usage_error(&pcb_cmd_logout, "unexpected argument '%s'",
		    argv[optind + 1]);
		goto out;
	}
	registry = optind < argc ? argv[optind] : "docker.io";
	if (pcb_creds_erase(registry, &removed, &err) != 0) {
		fprintf(stderr, "pcb logout: %s\n", err.msg);
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	if (removed)
		printf("Removed the login for %s\n", registry);
	else
		printf("Not logged in to %s\n", registry);
out:
	return rc;
}
