/* http.c — libcurl plumbing for the client (see http.h). Requests use the easy interface; the
 * event stream uses a one-handle multi loop so the caller gets control every 100 ms (Ctrl-C
 * handling, idle detection) without doing anything inside curl callbacks. */
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

char *
pcb_http_default_host(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		return pcb_xstrdup("unix:///run/pycontainerd/pycontainerd.sock");
	if (xdg != NULL && xdg[0] == '/')
		return pcb_xasprintf("unix://%s/pycontainerd/pycontainerd.sock", xdg);
	return pcb_xasprintf("unix:///tmp/pycontainerd-%u/pycontainerd.sock", (unsigned)geteuid());
}

/* The bearer token for a TCP daemon (http.h, auth_header): NULL when none is found. */
static char *
tcp_token(void)
{
	const char *env = getenv("PCB_TOKEN"), *file = getenv("PCB_TOKEN_FILE");
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *path, *text = NULL, *tok = NULL;
	size_t len = 0;

	if (env != NULL && env[0] != '\0')
		return pcb_xstrdup(env);
	if (file != NULL && file[0] != '\0')
		path = pcb_xstrdup(file);
	else if (geteuid() == 0)
		path = pcb_xstrdup("/var/lib/pycontainerd/tcp-token");
	else if (xdg != NULL && xdg[0] == '/')
		path = pcb_xasprintf("%s/pycontainerd/tcp-token", xdg);
	else if (home != NULL && home[0] == '/')
		path = pcb_xasprintf("%s/.local/state/pycontainerd/tcp-token", home);
	else
		return NULL;
	if (pcb_read_file(path, 4096, &text, &len, NULL) == 0) {
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		    text[len - 1] == ' '))
			text[--len] = '\0';
		if (len > 0)
			tok = pcb_xstrdup(text);
		explicit_bzero(text, len);
	}
	free(text);
	free(path);
	return tok;
}

int
pcb_http_init(struct pcb_http *h, const char *host, struct pcb_err *err)
{
	const char *path = NULL;
	int r = 0;

	memset(h, 0, sizeof *h);
	if (pcb_str_has_prefix(host, "unix://"))
		path = host + strlen("unix://");
	else if (host[0] == '/')
		path = host;
	if (path != NULL) {
		if (path[0] != '/') {
			r = pcb_err_set(err, PCB_EINVAL, "host %s: a unix socket path must be "
			    "absolute (unix:///path)", host);
			goto out;
		}
		h->unix_path = pcb_xstrdup(path);
		h->host = pcb_xasprintf("unix://%s", path);
		/* The host name is not used on a unix socket, but HTTP/1.1 needs a Host header. */
		h->base_url = pcb_xstrdup("http://localhost");
	} else if (pcb_str_has_prefix(host, "tcp://")) {
		const char *hp = host + strlen("tcp://");
		const char *colon = strrchr(hp, ':');
		char *end;
		long port;

		if (colon == NULL || colon == hp || colon[1] == '\0') {
			r = pcb_err_set(err, PCB_EINVAL, "host %s: expected tcp://ADDRESS:PORT", host);
			goto out;
		}
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535 || strchr(hp, '/') != NULL) {
			r = pcb_err_set(err, PCB_EINVAL, "host %s: expected tcp://ADDRESS:PORT with "
			    "a port 1-65535", host);
			goto out;
		}
		h->host = pcb_xstrdup(host);
		h->base_url = pcb_xasprintf("http://%s", hp);
		{
			char *tok = tcp_token();
			if (tok != NULL) {
				h->auth_header = pcb_xasprintf("Authorization: Bearer %s", tok);
				explicit_bzero(tok, strlen(tok));
				free(tok);
			}
		}
	} else {
		r = pcb_err_set(err, PCB_EINVAL, "host %s: expected unix:///PATH, tcp://ADDRESS:PORT "
		    "or /PATH", host);
		goto out;
	}
out:
	if (r != 0)
		pcb_http_free(h);
	return r;
}

void
pcb_http_free(struct pcb_http *h)
{
	free(h->host);
	free(h->unix_path);
	free(h->base_url);
	if (h->auth_header != NULL)
		explicit_bzero(h->auth_header, strlen(h->auth_header));
	free(h->auth_header);
	memset(h, 0, sizeof *h);
}

static CURL *
make_handle(struct pcb_http *h, const char *method, const char *path, char **url_out)
{
	CURL *c = curl_easy_init();

	if (c == NULL)
		abort();        /* only fails on OOM, which aborts everywhere else too */
	*url_out = pcb_xasprintf("%s%s", h->base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, *url_out);
	if (h->unix_path != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->unix_path);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);      /* the client handles SIGINT itself */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pcb/" PCB_VERSION);
	/* Only the daemon's own answer matters; never follow to elsewhere, never use a proxy
	 * (an http_proxy variable must not redirect loopback traffic). */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	return c;
}

/* A transport failure with no HTTP answer at all: nobody is listening (or they hung up). */
static int
set_unreachable(struct pcb_http *h, CURL *c, CURLcode rc, struct pcb_err *err)
{
	long oserr = 0;
	char reason[256];

	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	if (oserr != 0)
		snprintf(reason, sizeof reason, "%s (%s)", curl_easy_strerror(rc),
		    strerror((int)oserr));
	else
		snprintf(reason, sizeof reason, "%s", curl_easy_strerror(rc));
	if (oserr == EACCES && h->unix_path != NULL) {
		/* The daemon is there; the socket is for its group. Starting another would not help. */
		struct stat st;
		struct group *gr = stat(h->unix_path, &st) == 0 ? getgrgid(st.st_gid) : NULL;
		if (gr != NULL)
			return pcb_err_set(err, PCB_EPERM, "cannot use pycontainerd at %s: permission "
			    "denied. The socket is for the group '%s': ask an admin to add you "
			    "(usermod -aG %s YOUR_USER), then log in again", h->host, gr->gr_name,
			    gr->gr_name);
		return pcb_err_set(err, PCB_EPERM, "cannot use pycontainerd at %s: permission denied "
		    "on the socket", h->host);
	}
	h->unreachable = true;
	return pcb_err_set(err, PCB_EIO, "cannot reach pycontainerd at %s: %s\n"
	    "Start one with: pycontainerd --host %s &  (or: systemctl start pycontainerd.socket)",
	    h->host, reason, h->host);
}

/* Turns a non-2xx answer into an error: the daemon's {"error": {code, message}} when the body
 * has one, else the status and the start of the body. */
static int
set_http_error(long status, const char *body, size_t len, struct pcb_err *err)
{
	json_object *j = NULL, *e = NULL, *code = NULL, *msg = NULL;
	json_tokener *tok = json_tokener_new();
	int pcode;

	switch (status) {
	case 400: pcode = PCB_EINVAL; break;
	case 404: pcode = PCB_ENOENT; break;
	case 409: pcode = PCB_ECONFLICT; break;
	case 413: pcode = PCB_ETOOBIG; break;
	default: pcode = PCB_EIO; break;
	}
	if (len > 0)
		j = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (j != NULL && json_object_object_get_ex(j, "error", &e) &&
	    json_object_object_get_ex(e, "message", &msg) && json_object_is_type(msg, json_type_string)) {
		json_object_object_get_ex(e, "code", &code);
		pcb_err_set(err, pcode, "%s (HTTP %ld %s)", json_object_get_string(msg), status,
		    code != NULL && json_object_is_type(code, json_type_string) ?
		    json_object_get_string(code) : "error");
	} else {
		pcb_err_set(err, pcode, "the daemon answered HTTP %ld: %.200s", status,
		    len > 0 ? body : "(empty body)");
	}
	if (err != NULL)
		err->http_status = (int)status;
	json_object_put(j);
	return pcode;
}

struct sink {
	struct pcb_buf buf;
	bool overflow;
};

static size_t
collect_cb(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;

	if (pcb_buf_append(&s->buf, p, size * n) != 0) {
		s->overflow = true;
		return 0;       /* aborts the transfer: a bounded body, as promised */
	}
	return size * n;
}

int
pcb_http_request(struct pcb_http *h, const char *method, const char *path, const char *body,
    json_object **json_out, struct pcb_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct sink s;
	json_object *j = NULL;
	char *url = NULL;
	CURL *c;
	CURLcode rc;
	long status = 0;
	int r = 0;

	memset(&s, 0, sizeof s);
	pcb_buf_init(&s.buf, PCB_HTTP_BODY_MAX);
	c = make_handle(h, method, path, &url);
	h->unreachable = false;
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (h->auth_header != NULL)
		hdrs = curl_slist_append(hdrs, h->auth_header);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	/* Plans and cancels are quick; a stuck daemon should not hang the shell forever. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (s.overflow) {
		r = pcb_err_set(err, PCB_ETOOBIG, "%s %s: the answer is over %zu bytes", method, path,
		    s.buf.max);
		goto out;
	}
	if (rc != CURLE_OK) {
		if (status == 0)
			r = set_unreachable(h, c, rc, err);
		else
			r = pcb_err_set(err, PCB_EIO, "%s %s: %s", method, path, curl_easy_strerror(rc));
		goto out;
	}
	if (status < 200 || status > 299) {
		r = set_http_error(status, s.buf.data, s.buf.len, err);
		goto out;
	}
	if (json_out != NULL && s.buf.len > 0) {
		json_tokener *tok = json_tokener_new();
		j = json_tokener_parse_ex(tok, s.buf.data, (int)s.buf.len);
		if (j == NULL || tok->char_offset != (int)s.buf.len) {
			r = pcb_err_set(err, PCB_EIO, "%s %s: the daemon's answer is not JSON: %s",
			    method, path, json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_put(j);
			j = NULL;
		}
		json_tokener_free(tok);
	}
out:
	if (json_out != NULL)
		*json_out = r == 0 ? j : NULL;
	else
		json_object_put(j);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	pcb_buf_free(&s.buf);
	return r;
}

struct stream {
	CURL *c;
	struct pcb_sse_parser parser;
	struct sink errbody;        /* the body of a non-200 answer */
	long status;                /* 0 until the first body bytes */
	bool stop;
	int parse_error;
	struct pcb_err perr;
	int64_t last_data_ms;
};

static size_t
stream_cb(char *p, size_t size, size_t n, void *ud)
{
	struct stream *st = ud;
	size_t len = size * n;
	int r;

	st->last_data_ms = pcb_monotonic_ms();
	if (st->status == 0)
		curl_easy_getinfo(st->c, CURLINFO_RESPONSE_CODE, &st->status);
	if (st->status != 200)
		return collect_cb(p, size, n, &st->errbody);
	if (st->stop)
		return len;
	r = pcb_sse_feed(&st->parser, p, len, &st->perr);
	if (r == 1) {
		st->stop = true;
	} else if (r < 0) {
		st->parse_error = r;
		st->stop = true;
	}
	return len;
}

int
pcb_http_events(struct pcb_http *h, const char *path, const struct pcb_http_events_cb *cb,
    struct pcb_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct stream st;
	CURLM *m = NULL;
	CURLMsg *msg;
	CURLcode rc = CURLE_OK;
	char *url = NULL;
	int running = 1, left, r = 0;

	memset(&st, 0, sizeof st);
	pcb_err_clear(&st.perr);
	pcb_buf_init(&st.errbody.buf, PCB_HTTP_BODY_MAX);
	pcb_sse_init(&st.parser, PCB_HTTP_EVENT_MAX, cb->on_event, cb->ud);
	st.c = make_handle(h, "GET", path, &url);
	h->unreachable = false;
	hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
	if (h->auth_header != NULL)
		hdrs = curl_slist_append(hdrs, h->auth_header);
	curl_easy_setopt(st.c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(st.c, CURLOPT_WRITEFUNCTION, stream_cb);
	curl_easy_setopt(st.c, CURLOPT_WRITEDATA, &st);
	m = curl_multi_init();
	if (m == NULL)
		abort();
	curl_multi_add_handle(m, st.c);
	st.last_data_ms = pcb_monotonic_ms();
	while (running && !st.stop) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (!running || st.stop)
			break;
		/* A signal may cut the wait short; the tick below notices it either way. */
		curl_multi_poll(m, NULL, 0, 100, NULL);
		if (cb->on_tick != NULL &&
		    cb->on_tick(cb->ud, pcb_monotonic_ms() - st.last_data_ms) != 0)
			st.stop = true;
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	}
	if (st.status == 0)
		curl_easy_getinfo(st.c, CURLINFO_RESPONSE_CODE, &st.status);
	if (st.parse_error != 0) {
		r = st.parse_error;
		pcb_err_set(err, r, "%s", st.perr.msg);
		goto out;
	}
	if (st.status != 0 && st.status != 200) {
		r = set_http_error(st.status, st.errbody.buf.data, st.errbody.buf.len, err);
		goto out;
	}
	if (st.stop)
		goto out;               /* we hung up on purpose: whatever curl says is moot */
	if (rc != CURLE_OK) {
		if (st.status == 0)
			r = set_unreachable(h, st.c, rc, err);
		else
			r = pcb_err_set(err, PCB_EIO, "reading events from %s: %s", h->host,
			    curl_easy_strerror(rc));
		goto out;
	}
out:
	curl_multi_remove_handle(m, st.c);
	curl_multi_cleanup(m);
	curl_easy_cleanup(st.c);
	curl_slist_free_all(hdrs);
	free(url);
	pcb_sse_free(&st.parser);
	pcb_buf_free(&st.errbody.buf);
	return r;
}
