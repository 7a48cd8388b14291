/* creds.c — registry credentials on the user's side (see creds.h): docker's config.json and
 * credential helpers, podman's auth.json, and the login/logout writes. Docker's file is shared
 * with docker itself and other tools, so writes change only the one entry they are about and
 * keep every other key, entry and its order. Secrets are wiped from memory once done with. */
#include "creds.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

/* ---- base64 ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
pcb_creds_base64_encode(const void *p, size_t n)
{
	const unsigned char *s = p;
	char *out = pcb_xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64_alphabet[s[i] >> 2];
		*o++ = b64_alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64_alphabet[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = b64_alphabet[s[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = b64_alphabet[s[i] >> 2];
		*o++ = b64_alphabet[(s[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		*o++ = b64_alphabet[s[i] >> 2];
		*o++ = b64_alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64_alphabet[(s[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;

	return p != NULL ? (int)(p - b64_alphabet) : -1;
}

int
pcb_creds_base64_decode(const char *s, char **out, size_t *len_out)
{
	size_t n = strlen(s), pad = 0, i, o = 0;
	unsigned int acc = 0;
	int bits = 0, r = 0;
	char *res = NULL;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	/* Padded input must come in whole quads; unpadded input must not leave a lone sextet. */
	if ((pad > 0 && (n + pad) % 4 != 0) || n % 4 == 1) {
		r = PCB_EINVAL;
		goto out;
	}
	res = pcb_xmalloc(n / 4 * 3 + 3);
	for (i = 0; i < n; i++) {
		int v = b64_value(s[i]);
		if (v < 0) {
			r = PCB_EINVAL;
			goto out;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			res[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	res[o] = '\0';
out:
	if (r != 0) {
		if (res != NULL)
			explicit_bzero(res, n / 4 * 3 + 3);
		free(res);
		res = NULL;
		o = 0;
	}
	*out = res;
	if (len_out != NULL)
		*len_out = o;
	return r;
}

/* ---- names ---- */

static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
pcb_creds_clear(struct pcb_credential *c)
{
	free(c->registry);
	free(c->username);
	free_secret(c->password);
	free_secret(c->identity_token);
	free_secret(c->registry_token);
	memset(c, 0, sizeof *c);
}

/* host[:port] of a registry given as a host or URL, lowercased, without the Hub folding. */
static void
raw_host(const char *registry, char *out, size_t outsz)
{
	const char *p = registry;
	size_t n, i;

	if (strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncasecmp(p, "http://", 7) == 0)
		p += 7;
	n = strcspn(p, "/");
	if (n >= outsz)
		n = outsz - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[n] = '\0';
}

bool
pcb_creds_is_docker_hub(const char *registry)
{
	char h[256];

	raw_host(registry, h, sizeof h);
	return strcmp(h, "docker.io") == 0 || strcmp(h, "index.docker.io") == 0 ||
	    strcmp(h, "registry-1.docker.io") == 0;
}

void
pcb_creds_host_key(const char *registry, char *out, size_t outsz)
{
	if (pcb_creds_is_docker_hub(registry))
		snprintf(out, outsz, "docker.io");
	else
		raw_host(registry, out, outsz);
}

char *
pcb_creds_server_url(const char *registry)
{
	char h[256];

	if (pcb_creds_is_docker_hub(registry))
		return pcb_xstrdup(PCB_CREDS_DOCKER_HUB_URL);
	raw_host(registry, h, sizeof h);
	return pcb_xstrdup(h);
}

static bool
same_registry(const char *a, const char *b)
{
	char ha[256], hb[256];

	pcb_creds_host_key(a, ha, sizeof ha);
	pcb_creds_host_key(b, hb, sizeof hb);
	return ha[0] != '\0' && strcmp(ha, hb) == 0;
}

char *
pcb_creds_docker_config_path(void)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (dc != NULL && dc[0] != '\0')
		return pcb_path_join(dc, "config.json");
	if (home != NULL && home[0] != '\0')
		return pcb_xasprintf("%s/.docker/config.json", home);
	return NULL;
}

char *
pcb_creds_podman_auth_path(void)
{
	const char *f = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (f != NULL && f[0] != '\0')
		return pcb_xstrdup(f);
	if (xdg != NULL && xdg[0] != '\0')
		return pcb_xasprintf("%s/containers/auth.json", xdg);
	return NULL;
}

int
pcb_creds_parse_user_pass(const char *s, char **user, char **pass, struct pcb_err *err)
{
	const char *colon = strchr(s, ':');
	int r = 0;

	*user = NULL;
	*pass = NULL;
	if (s[0] == '\0' || colon == s) {
		r = pcb_err_set(err, PCB_EINVAL, "--creds: expected USER[:PASSWORD], the user name "
		    "is empty");
		goto out;
	}
	if (colon == NULL) {
		*user = pcb_xstrdup(s);
	} else {
		*user = pcb_xstrndup(s, (size_t)(colon - s));
		*pass = pcb_xstrdup(colon + 1);
	}
out:
	return r;
}

/* ---- reading the files ---- */

/* Reads and parses a JSON object file. *j is NULL (and 0 returned) when the file does not
 * exist. Errors name the file and, for bad JSON, the parse error and its offset. */
static int
read_json_file(const char *path, json_object **j, struct pcb_err *err)
{
	json_tokener *tok = NULL;
	json_object *res = NULL;
	char *text = NULL;
	size_t len = 0, end;
	int r;

	r = pcb_read_file(path, PCB_CREDS_FILE_MAX, &text, &len, err);
	if (r == PCB_ENOENT) {
		pcb_err_clear(err);
		r = 0;
		goto out;
	}
	if (r != 0) {
		if (r == PCB_ETOOBIG)
			r = pcb_err_set(err, PCB_ETOOBIG, "%s: larger than %zu bytes", path,
			    PCB_CREDS_FILE_MAX);
		goto out;
	}
	tok = json_tokener_new();
	res = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (res == NULL) {
		enum json_tokener_error je = json_tokener_get_error(tok);
		r = pcb_err_set(err, PCB_EINVAL, "%s: not valid JSON: %s at byte %zu", path,
		    je == json_tokener_continue ? "unexpected end of file" :
		    json_tokener_error_desc(je), end);
		goto out;
	}
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (end < len) {
		r = pcb_err_set(err, PCB_EINVAL, "%s: not valid JSON: extra text at byte %zu", path,
		    end);
		goto out;
	}
	if (!json_object_is_type(res, json_type_object)) {
		r = pcb_err_set(err, PCB_EINVAL, "%s: not valid: expected a JSON object at the top",
		    path);
		goto out;
	}
out:
	if (tok != NULL)
		json_tokener_free(tok);
	if (text != NULL)
		explicit_bzero(text, len);
	free(text);
	if (r != 0) {
		json_object_put(res);
		res = NULL;
	}
	*j = res;
	return r;
}

/* A string member; a present member of another type is an error naming file and key. */
static int
member_str(const char *path, const char *where, json_object *o, const char *key,
    const char **out, struct pcb_err *err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pcb_err_set(err, PCB_EINVAL, "%s: %s.%s: expected a string", path, where, key);
	*out = json_object_get_string(v);
	return 0;
}

/* The entry of an object keyed by registry (auths, credHelpers) that names registry: the key
 * spelled as docker would write it first, then any key naming the same host. */
static json_object *
find_keyed(json_object *obj, const char *registry, const char **key_out)
{
	char *url = pcb_creds_server_url(registry);
	json_object *res = NULL;

	*key_out = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		goto out;
	if (json_object_object_get_ex(obj, url, &res)) {
		json_object_object_foreach(obj, k, v) {
			if (strcmp(k, url) == 0) {
				*key_out = k;
				res = v;
				break;
			}
		}
		goto out;
	}
	res = NULL;
	{
		json_object_object_foreach(obj, k, v) {
			if (same_registry(k, registry)) {
				*key_out = k;
				res = v;
				break;
			}
		}
	}
out:
	free(url);
	return res;
}

/* One "auths" entry → credential. An entry with nothing usable in it (docker writes {} next to
 * a credsStore) is "not found". */
static int
parse_auth_entry(const char *path, const char *key, json_object *entry, const char *registry,
    struct pcb_credential *out, bool *found, struct pcb_err *err)
{
	const char *auth = NULL, *user = NULL, *pass = NULL, *itok = NULL, *rtok = NULL;
	char *where = pcb_xasprintf("auths[\"%s\"]", key), *decoded = NULL, *colon;
	size_t dlen = 0;
	int r = 0;

	*found = false;
	if (entry == NULL || !json_object_is_type(entry, json_type_object)) {
		r = pcb_err_set(err, PCB_EINVAL, "%s: %s: expected an object", path, where);
		goto out;
	}
	if ((r = member_str(path, where, entry, "auth", &auth, err)) != 0 ||
	    (r = member_str(path, where, entry, "username", &user, err)) != 0 ||
	    (r = member_str(path, where, entry, "password", &pass, err)) != 0 ||
	    (r = member_str(path, where, entry, "identitytoken", &itok, err)) != 0 ||
	    (r = member_str(path, where, entry, "registrytoken", &rtok, err)) != 0)
		goto out;
	if (auth != NULL && auth[0] != '\0') {
		if (pcb_creds_base64_decode(auth, &decoded, &dlen) != 0) {
			r = pcb_err_set(err, PCB_EINVAL, "%s: %s.auth: not valid base64", path, where);
			goto out;
		}
		colon = memchr(decoded, ':', dlen);
		if (colon == NULL || strlen(decoded) != dlen) {
			r = pcb_err_set(err, PCB_EINVAL, "%s: %s.auth: does not decode to "
			    "USER:PASSWORD", path, where);
			goto out;
		}
		*colon = '\0';
		out->username = pcb_xstrdup(decoded);
		out->password = pcb_xstrdup(colon + 1);
	} else if (user != NULL && user[0] != '\0' && pass != NULL) {
		out->username = pcb_xstrdup(user);
		out->password = pcb_xstrdup(pass);
	}
	/* An identity token replaces the password (docker keeps the user name beside it). */
	if (itok != NULL && itok[0] != '\0') {
		free_secret(out->password);
		out->password = NULL;
		out->identity_token = pcb_xstrdup(itok);
	} else if (rtok != NULL && rtok[0] != '\0') {
		free_secret(out->password);
		out->password = NULL;
		out->registry_token = pcb_xstrdup(rtok);
	}
	*found = out->password != NULL || out->identity_token != NULL ||
	    out->registry_token != NULL;
	if (*found)
		out->registry = pcb_xstrdup(registry);
out:
	if (decoded != NULL)
		free_secret(decoded);
	free(where);
	if (r != 0 || !*found)
		pcb_creds_clear(out);
	return r;
}

/* ---- credential helpers ---- */

static bool
helper_name_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++) {
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-'))
			return false;
	}
	return true;
}

/* Up to 300 bytes of what a helper said, on one line, for an error message. */
static void
helper_said(const char *text, char *out, size_t outsz)
{
	size_t i, o = 0, n;

	if (text == NULL)
		text = "";
	while (*text != '\0' && isspace((unsigned char)*text))
		text++;
	n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n > 300)
		n = 300;
	for (i = 0; i < n && o + 1 < outsz; i++)
		out[o++] = text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
	out[o] = '\0';
}

/* The helper's full path from PATH, or NULL. Looked up here rather than left to
 * posix_spawnp so that "not installed" is told apart from "ran and failed" everywhere (some
 * spawn implementations report a failed exec as exit status 127). Caller frees. */
static char *
find_on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *e;
	char *res = NULL;

	if (path == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; res == NULL; p = e + 1) {
		size_t n;
		char *dir, *cand;

		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		dir = n == 0 ? pcb_xstrdup(".") : pcb_xstrndup(p, n);
		cand = pcb_path_join(dir, prog);
		free(dir);
		if (access(cand, X_OK) == 0)
			res = cand;
		else
			free(cand);
		if (*e == '\0')
			break;
	}
	return res;
}

int
pcb_creds_helper_run(const char *helper, const char *verb, const char *input, char **out,
    struct pcb_err *err)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	struct sigaction ign, old_pipe;
	struct pcb_buf obuf, ebuf;
	char *prog = NULL, *full = NULL, *argv[3], said[320];
	size_t in_len = input != NULL ? strlen(input) : 0, in_off = 0;
	int64_t deadline = pcb_monotonic_ms() + PCB_CREDS_HELPER_TIMEOUT_MS;
	pid_t pid = -1;
	int r = 0, status = 0, e;
	bool fa_ready = false, timed_out = false, too_big = false;

	pcb_buf_init(&obuf, PCB_CREDS_HELPER_MAX);
	pcb_buf_init(&ebuf, 16384);
	if (out != NULL)
		*out = NULL;
	if (!helper_name_ok(helper)) {
		r = pcb_err_set(err, PCB_EINVAL, "credential helper name '%s' is not valid "
		    "(letters, digits, '.', '_', '-')", helper ? helper : "");
		goto done;
	}
	prog = pcb_xasprintf("docker-credential-%s", helper);
	full = find_on_path(prog);
	if (full == NULL) {
		r = pcb_err_set(err, PCB_ENOENT, "credential helper %s: not found on PATH "
		    "(named by the docker config)", prog);
		goto done;
	}
	if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
	    pipe2(err_pipe, O_CLOEXEC) != 0) {
		r = pcb_err_errno(err, errno, "%s: pipe", prog);
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	fa_ready = true;
	posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	argv[0] = prog;
	argv[1] = (char *)verb;
	argv[2] = NULL;
	e = posix_spawn(&pid, full, &fa, NULL, argv, environ);
	if (e != 0) {
		pid = -1;
		if (e == ENOENT)
			r = pcb_err_set(err, PCB_ENOENT, "credential helper %s: not found on PATH "
			    "(named by the docker config)", prog);
		else
			r = pcb_err_errno(err, e, "credential helper %s: cannot run it", prog);
		goto done;
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	close(err_pipe[1]);
	in_pipe[0] = out_pipe[1] = err_pipe[1] = -1;
	if (in_len == 0) {
		close(in_pipe[1]);
		in_pipe[1] = -1;
	}
	/* A helper that exits without reading stdin must not kill us with SIGPIPE. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);
	while (out_pipe[0] >= 0 || err_pipe[0] >= 0) {
		struct pollfd pfd[3];
		int nfd = 0, i, left = (int)(deadline - pcb_monotonic_ms());

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (in_pipe[1] >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = in_pipe[1], .events = POLLOUT };
		if (out_pipe[0] >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = out_pipe[0], .events = POLLIN };
		if (err_pipe[0] >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = err_pipe[0], .events = POLLIN };
		if (poll(pfd, (nfds_t)nfd, left) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < nfd; i++) {
			char buf[4096];
			ssize_t n;

			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == in_pipe[1]) {
				n = write(in_pipe[1], input + in_off, in_len - in_off);
				if (n > 0)
					in_off += (size_t)n;
				if (n < 0 || in_off >= in_len) {
					close(in_pipe[1]);
					in_pipe[1] = -1;
				}
				continue;
			}
			n = read(pfd[i].fd, buf, sizeof buf);
			if (n <= 0) {
				close(pfd[i].fd);
				if (pfd[i].fd == out_pipe[0])
					out_pipe[0] = -1;
				else
					err_pipe[0] = -1;
				continue;
			}
			if (pfd[i].fd == out_pipe[0]) {
				if (pcb_buf_append(&obuf, buf, (size_t)n) != 0)
					too_big = true;
			} else {
				(void)pcb_buf_append(&ebuf, buf, (size_t)n);   /* the rest is dropped */
			}
		}
		if (too_big)
			break;
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (timed_out || too_big)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (timed_out) {
		r = pcb_err_set(err, PCB_EIO, "credential helper %s %s: no answer after %d s", prog,
		    verb, PCB_CREDS_HELPER_TIMEOUT_MS / 1000);
		goto done;
	}
	if (too_big) {
		r = pcb_err_set(err, PCB_ETOOBIG, "credential helper %s %s: answer larger than %zu "
		    "bytes", prog, verb, PCB_CREDS_HELPER_MAX);
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* Helpers put their error text on stdout (the protocol) or stderr. */
		helper_said(ebuf.len > 0 ? ebuf.data : obuf.data, said, sizeof said);
		if (WIFEXITED(status))
			r = pcb_err_set(err, PCB_EIO, "credential helper %s %s failed (exit %d)%s%s",
			    prog, verb, WEXITSTATUS(status), said[0] ? ": " : "", said);
		else
			r = pcb_err_set(err, PCB_EIO, "credential helper %s %s killed by signal %d",
			    prog, verb, WTERMSIG(status));
	}
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	for (e = 0; e < 2; e++) {
		if (in_pipe[e] >= 0)
			close(in_pipe[e]);
		if (out_pipe[e] >= 0)
			close(out_pipe[e]);
		if (err_pipe[e] >= 0)
			close(err_pipe[e]);
	}
	if (out != NULL && (r == 0 || r == PCB_EIO))
		*out = pcb_buf_steal(&obuf, NULL);
	if (obuf.data != NULL)
		explicit_bzero(obuf.data, obuf.len);
	pcb_buf_free(&obuf);
	pcb_buf_free(&ebuf);
	free(prog);
	free(full);
	return r;
}

static const char *
json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The helper protocol's "nothing stored for that server" answer. */
static bool
helper_not_found(const char *text)
{
	return text != NULL && strstr(text, "credentials not found") != NULL;
}

/* `docker-credential-<helper> get` for registry. */
static int
helper_get(const char *helper, const char *registry, struct pcb_credential *out, bool *found,
    struct pcb_err *err)
{
	char *url = pcb_creds_server_url(registry), *text = NULL;
	json_object *j = NULL;
	const char *user, *secret;
	int r;

	*found = false;
	r = pcb_creds_helper_run(helper, "get", url, &text, err);
	if (r == PCB_EIO && helper_not_found(text)) {
		pcb_err_clear(err);
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	j = json_tokener_parse(text);
	if (j == NULL || !json_object_is_type(j, json_type_object)) {
		r = pcb_err_set(err, PCB_EINVAL, "credential helper docker-credential-%s get %s: "
		    "its answer is not a JSON object", helper, url);
		goto out;
	}
	user = json_str(j, "Username");
	secret = json_str(j, "Secret");
	if (secret == NULL || secret[0] == '\0')
		goto out;               /* some helpers answer {} for "nothing stored" */
	out->registry = pcb_xstrdup(registry);
	if (user != NULL && strcmp(user, "<token>") == 0) {
		out->identity_token = pcb_xstrdup(secret);
	} else {
		out->username = pcb_xstrdup(user != NULL ? user : "");
		out->password = pcb_xstrdup(secret);
	}
	*found = true;
out:
	json_object_put(j);
	free_secret(text);
	free(url);
	return r;
}

/* The helper config.json names for registry: credHelpers[host], else credsStore. Borrowed. */
static const char *
configured_helper(json_object *cfg)
{
	json_object *v;

	if (json_object_object_get_ex(cfg, "credsStore", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
		return json_object_get_string(v);
	return NULL;
}

static const char *
helper_for(const char *path, json_object *cfg, const char *registry, struct pcb_err *err,
    int *r)
{
	json_object *helpers, *h;
	const char *key;

	*r = 0;
	if (json_object_object_get_ex(cfg, "credHelpers", &helpers) && helpers != NULL) {
		if (!json_object_is_type(helpers, json_type_object)) {
			*r = pcb_err_set(err, PCB_EINVAL, "%s: credHelpers: expected an object", path);
			return NULL;
		}
		h = find_keyed(helpers, registry, &key);
		if (h != NULL) {
			if (!json_object_is_type(h, json_type_string)) {
				*r = pcb_err_set(err, PCB_EINVAL, "%s: credHelpers[\"%s\"]: expected "
				    "a string", path, key);
				return NULL;
			}
			return json_object_get_string(h);
		}
	}
	return configured_helper(cfg);
}

/* One file in the config.json format (docker's or podman's). */
static int
lookup_file(const char *path, const char *registry, struct pcb_credential *out, bool *found,
    struct pcb_err *err)
{
	json_object *cfg = NULL, *auths, *entry;
	const char *helper, *key;
	int r;

	*found = false;
	if ((r = read_json_file(path, &cfg, err)) != 0 || cfg == NULL)
		goto out;
	helper = helper_for(path, cfg, registry, err, &r);
	if (r != 0)
		goto out;
	if (helper != NULL) {
		r = helper_get(helper, registry, out, found, err);
		if (r != 0) {
			pcb_err_prefix(err, "%s", path);
			goto out;
		}
		if (*found)
			goto out;
	}
	if (!json_object_object_get_ex(cfg, "auths", &auths) || auths == NULL)
		goto out;
	if (!json_object_is_type(auths, json_type_object)) {
		r = pcb_err_set(err, PCB_EINVAL, "%s: auths: expected an object", path);
		goto out;
	}
	entry = find_keyed(auths, registry, &key);
	if (entry != NULL)
		r = parse_auth_entry(path, key, entry, registry, out, found, err);
out:
	json_object_put(cfg);
	return r;
}

int
pcb_creds_lookup(const char *registry, struct pcb_credential *out, bool *found,
    struct pcb_err *err)
{
	char *paths[2];
	size_t i;
	int r = 0;

	memset(out, 0, sizeof *out);
	*found = false;
	paths[0] = pcb_creds_docker_config_path();
	paths[1] = pcb_creds_podman_auth_path();
	for (i = 0; i < 2 && !*found; i++) {
		if (paths[i] == NULL)
			continue;
		if ((r = lookup_file(paths[i], registry, out, found, err)) != 0)
			break;
	}
	free(paths[0]);
	free(paths[1]);
	return r;
}

/* ---- login / logout ---- */

/* config.json to write: a symlink is followed (the file it points at is replaced, not the
 * link). Caller frees. */
static char *
config_write_path(const char *path)
{
	char *real = realpath(path, NULL);

	return real != NULL ? real : pcb_xstrdup(path);
}

static int
write_config(const char *path, json_object *cfg, struct pcb_err *err)
{
	char *dir = pcb_xstrdup(path), *slash = strrchr(dir, '/'), *target = NULL, *full = NULL;
	const char *text;
	int r = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if ((r = pcb_mkdir_p(dir, 0700, err)) != 0)
			goto out;
	}
	target = config_write_path(path);
	/* Tabs, as docker writes it, so diffs against docker's own writes stay small. */
	text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_PRETTY_TAB | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	full = pcb_xasprintf("%s\n", text);
	r = pcb_write_file_atomic(target, full, strlen(full), 0600, err);
	if (r != 0)
		pcb_err_prefix(err, "writing %s", target);
out:
	free(dir);
	free(target);
	free(full);
	return r;
}

int
pcb_creds_store(const char *registry, const char *user, const char *pass, char **where_out,
    struct pcb_err *err)
{
	char *path = pcb_creds_docker_config_path(), *url = pcb_creds_server_url(registry);
	char *plain = NULL, *b64 = NULL, *where = NULL, *input = NULL;
	json_object *cfg = NULL, *auths, *entry, *msg = NULL;
	const char *helper, *key;
	int r = 0;

	if (path == NULL) {
		r = pcb_err_set(err, PCB_EINVAL, "neither DOCKER_CONFIG nor HOME is set: no place "
		    "for config.json");
		goto out;
	}
	if ((r = read_json_file(path, &cfg, err)) != 0)
		goto out;
	if (cfg == NULL)
		cfg = json_object_new_object();
	helper = helper_for(path, cfg, registry, err, &r);
	if (r != 0)
		goto out;
	if (helper != NULL) {
		msg = json_object_new_object();
		json_object_object_add(msg, "ServerURL", json_object_new_string(url));
		json_object_object_add(msg, "Username", json_object_new_string(user));
		json_object_object_add(msg, "Secret", json_object_new_string(pass));
		input = pcb_xstrdup(json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		r = pcb_creds_helper_run(helper, "store", input, NULL, err);
		if (r == 0)
			where = pcb_xasprintf("docker-credential-%s", helper);
		goto out;
	}
	if (!json_object_object_get_ex(cfg, "auths", &auths) || auths == NULL) {
		auths = json_object_new_object();
		json_object_object_add(cfg, "auths", auths);
	} else if (!json_object_is_type(auths, json_type_object)) {
		r = pcb_err_set(err, PCB_EINVAL, "%s: auths: expected an object", path);
		goto out;
	}
	plain = pcb_xasprintf("%s:%s", user, pass);
	b64 = pcb_creds_base64_encode(plain, strlen(plain));
	/* An entry already naming this registry is updated under its own key; its other fields
	 * (email, …) stay, the ones carrying an older secret go. */
	entry = find_keyed(auths, registry, &key);
	if (entry == NULL || !json_object_is_type(entry, json_type_object)) {
		entry = json_object_new_object();
		json_object_object_add(auths, key != NULL ? key : url, entry);
	}
	json_object_object_del(entry, "username");
	json_object_object_del(entry, "password");
	json_object_object_del(entry, "identitytoken");
	json_object_object_del(entry, "registrytoken");
	json_object_object_add(entry, "auth", json_object_new_string(b64));
	if ((r = write_config(path, cfg, err)) != 0)
		goto out;
	where = pcb_xstrdup(path);
out:
	if (msg != NULL) {
		/* json-c keeps the serialised text inside the object: wipe it with the object. */
		json_object_put(msg);
	}
	free_secret(input);
	free_secret(plain);
	free_secret(b64);
	json_object_put(cfg);
	free(path);
	free(url);
	if (where_out != NULL)
		*where_out = where;
	else
		free(where);
	return r;
}

int
pcb_creds_erase(const char *registry, bool *removed, struct pcb_err *err)
{
	char *path = pcb_creds_docker_config_path(), *url = pcb_creds_server_url(registry);
	char *said = NULL;
	json_object *cfg = NULL, *auths;
	struct pcb_strv keys;
	const char *helper;
	size_t i;
	int r = 0;

	pcb_strv_init(&keys);
	*removed = false;
	if (path == NULL)
		goto out;
	if ((r = read_json_file(path, &cfg, err)) != 0 || cfg == NULL)
		goto out;
	helper = helper_for(path, cfg, registry, err, &r);
	if (r != 0)
		goto out;
	if (helper != NULL) {
		r = pcb_creds_helper_run(helper, "erase", url, &said, err);
		if (r == PCB_EIO && helper_not_found(said)) {
			pcb_err_clear(err);
			r = 0;
		} else if (r != 0) {
			goto out;
		} else {
			*removed = true;
		}
	}
	if (json_object_object_get_ex(cfg, "auths", &auths) &&
	    json_object_is_type(auths, json_type_object)) {
		json_object_object_foreach(auths, k, v) {
			(void)v;
			if (same_registry(k, registry))
				pcb_strv_push(&keys, k);
		}
	}
	for (i = 0; i < keys.n; i++)
		json_object_object_del(auths, keys.v[i]);
	if (keys.n > 0) {
		if ((r = write_config(path, cfg, err)) != 0)
			goto out;
		*removed = true;
	}
out:
	free_secret(said);
	pcb_strv_free(&keys);
	json_object_put(cfg);
	free(path);
	free(url);
	return r;
}

/* ---- prompting ---- */

int
pcb_creds_prompt(const char *prompt, bool secret, char **out, struct pcb_err *err)
{
	struct termios old_tio, tio;
	struct pcb_buf line;
	bool restore = false;
	int fd, r = 0;
	char c;

	*out = NULL;
	pcb_buf_init(&line, 4096);
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = pcb_err_set(err, PCB_EINVAL, "no terminal to ask for the %s on",
		    secret ? "password" : "user name");
		goto out;
	}
	(void)pcb_write_all(fd, prompt, strlen(prompt));
	if (secret && tcgetattr(fd, &old_tio) == 0) {
		tio = old_tio;
		tio.c_lflag &= ~(tcflag_t)ECHO;
		tio.c_lflag |= ECHONL;
		restore = tcsetattr(fd, TCSAFLUSH, &tio) == 0;
	}
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (pcb_buf_append(&line, &c, 1) != 0) {
			r = pcb_err_set(err, PCB_ETOOBIG, "input longer than 4096 bytes");
			break;
		}
	}
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old_tio);
	if (r == 0) {
		if (line.len > 0 && line.data[line.len - 1] == '\r')
			line.data[--line.len] = '\0';
		*out = pcb_xstrdup(line.data != NULL ? line.data : "");
	}
out:
	if (fd >= 0)
		close(fd);
	if (line.data != NULL)
		explicit_bzero(line.data, line.len);
	pcb_buf_free(&line);
	return r;
}
