/* http.c — libmicrohttpd on the libuv loop, request bodies, dispatch and JSON replies.
 *
 * Each listening socket gets its own MHD daemon in epoll mode without an internal thread.
 * MHD's epoll fd is watched by one uv_poll_t, and a uv_timer_t follows MHD_get_timeout();
 * both call MHD_run(), so every MHD callback runs on the loop thread and may touch the job
 * table directly. Nothing here blocks: slow work suspends the connection. */
#include "http.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/jsonx.h"
#include "log.h"
#include "metrics.h"

/* Idle keep-alive connections are closed after this; suspended ones (event streams waiting
 * for the next event) are not subject to it. */
#define CONNECTION_TIMEOUT_S 300

struct listener {
	struct pcb_httpd *h;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	int fd;
	bool is_unix;            /* peers have credentials; else loopback TCP with a token */
	bool quiesced;
	bool closing;
	char *name;
	char *unix_path;
};

/* One open connection: who is at the other end, known from its first moment so that the
 * connection caps apply before it sends anything. */
struct conn {
	struct pcb_cred peer;    /* unset on TCP */
	bool privileged;         /* root or the daemon's own user: the reserved connections */
	bool counted;
};

/* Open connections per peer uid (a small table: one row per user with connections). */
struct uid_count {
	uid_t uid;
	int n;
};

struct pcb_httpd {
	struct pcb_daemon *d;
	struct listener *ls;
	size_t n;
	int n_requests;
	int n_conns;
	struct uid_count *per_uid;
	size_t n_per_uid, cap_per_uid;
};

static void rearm(struct listener *l);

static void
run_mhd(struct listener *l)
{
	if (l->closing)
		return;
	MHD_run(l->mhd);
	rearm(l);
}

static void
on_timer(uv_timer_t *t)
{
	run_mhd(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	run_mhd(p->data);
}

static void
rearm(struct listener *l)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (l->closing)
		return;
	if (MHD_get_timeout(l->mhd, &to) == MHD_YES)
		uv_timer_start(&l->timer, on_timer, (uint64_t)to, 0);
	else
		uv_timer_stop(&l->timer);
}

void
pcb_http_kick(struct pcb_httpd *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (!h->ls[i].closing)
			uv_timer_start(&h->ls[i].timer, on_timer, 0, 0);
}

__attribute__((format(printf, 2, 0)))
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	pcb_log_warn("http: %s", msg);
}

/* --- replies ---------------------------------------------------------------------------- */

static void
log_reply(struct pcb_request *r, unsigned int status)
{
	pcb_log_debug("%s %s %u", r->method, r->path, status);
}

void
pcb_http_reply_response(struct pcb_request *r, unsigned int status, struct MHD_Response *resp)
{
	if (r->replied)
		return;
	r->replied = true;
	pcb_metrics_http_reply(status);
	log_reply(r, status);
	if (MHD_queue_response(r->conn, status, resp) != MHD_YES)
		pcb_log_warn("%s %s: could not queue the response", r->method, r->path);
}

/* A response holding a copy of j's text (j stays the caller's). */
static struct MHD_Response *
json_response(json_object *j, const char *location)
{
	const char *s = pcb_json_str(j);
	size_t len = strlen(s);
	char *body = pcb_xmalloc(len + 1);
	struct MHD_Response *resp;

	memcpy(body, s, len);
	body[len] = '\n';
	resp = MHD_create_response_from_buffer(len + 1, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (location != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	return resp;
}

void
pcb_http_reply_json(struct pcb_request *r, unsigned int status, json_object *j,
    const char *location)
{
	struct MHD_Response *resp = json_response(j, location);

	json_object_put(j);
	pcb_http_reply_response(r, status, resp);
	MHD_destroy_response(resp);
}

static json_object *
error_body(const char *code, const char *msg)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	return o;
}

static void
reply_error_allow(struct pcb_request *r, unsigned int status, const char *code,
    const char *msg, const char *allow)
{
	json_object *body = error_body(code, msg);
	struct MHD_Response *resp = json_response(body, NULL);

	json_object_put(body);
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (status >= 500)
		pcb_log_warn("%s %s: %u %s", r->method, r->path, status, msg);
	pcb_http_reply_response(r, status, resp);
	MHD_destroy_response(resp);
}

void
pcb_http_reply_error(struct pcb_request *r, unsigned int status, const char *code,
    const char *fmt, ...)
{
	char msg[PCB_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	reply_error_allow(r, status, code, msg, NULL);
}

/* The status and body of an engine error; internal codes keep their own name. */
static unsigned int
err_status(const struct pcb_err *e)
{
	return (unsigned int)pcb_err_http_status(e->code ? e->code : PCB_EINTERNAL);
}

static const char *
err_code(const struct pcb_err *e)
{
	int code = e->code ? e->code : PCB_EINTERNAL;

	/* The contract's names for the codes it lists; other codes keep the engine's name. */
	switch (code) {
	case PCB_EINVAL: return "invalid_request";
	case PCB_ENOENT: return "not_found";
	case PCB_ECONFLICT: return "conflict";
	case PCB_ETOOBIG: return "payload_too_large";
	default: return pcb_err_code_name(code);
	}
}

void
pcb_http_reply_err(struct pcb_request *r, const struct pcb_err *e)
{
	reply_error_allow(r, err_status(e), err_code(e), e->msg[0] ? e->msg : "error", NULL);
}

void
pcb_http_suspend(struct pcb_request *r)
{
	r->suspended = true;
	MHD_suspend_connection(r->conn);
}

static void
resume_with(struct pcb_request *r, unsigned int status, struct MHD_Response *resp)
{
	r->deferred = resp;
	r->deferred_status = status;
	r->suspended = false;
	MHD_resume_connection(r->conn);
	pcb_http_kick(r->srv);
}

void
pcb_http_resume_json(struct pcb_request *r, unsigned int status, json_object *j)
{
	struct MHD_Response *resp = json_response(j, NULL);

	json_object_put(j);
	resume_with(r, status, resp);
}

void
pcb_http_resume_err(struct pcb_request *r, const struct pcb_err *e)
{
	json_object *body = error_body(err_code(e), e->msg[0] ? e->msg : "error");

	resume_with(r, err_status(e), json_response(body, NULL));
	json_object_put(body);
}

void
pcb_http_resume_response(struct pcb_request *r, unsigned int status, struct MHD_Response *resp)
{
	resume_with(r, status, resp);
}

void
pcb_http_conn_suspend(struct MHD_Connection *c)
{
	MHD_suspend_connection(c);
}

void
pcb_http_conn_resume(struct pcb_httpd *h, struct MHD_Connection *c)
{
	MHD_resume_connection(c);
	pcb_http_kick(h);
}

/* --- request helpers ------------------------------------------------------------------ */

const char *
pcb_http_query(struct pcb_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
pcb_http_header(struct pcb_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct query_check {
	const char *const *allowed;
	const char *bad;
};

static enum MHD_Result
check_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_check *qc = cls;

	(void)kind;
	(void)value;
	for (const char *const *a = qc->allowed; *a != NULL; a++)
		if (strcmp(*a, key) == 0)
			return MHD_YES;
	qc->bad = key;
	return MHD_NO;
}

int
pcb_http_check_query(struct pcb_request *r, const char *const *allowed, struct pcb_err *err)
{
	struct query_check qc = { allowed, NULL };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &qc);
	if (qc.bad != NULL)
		return pcb_err_set(err, PCB_EINVAL, "unknown query parameter \"%.100s\"", qc.bad);
	return 0;
}

int
pcb_http_body_json(struct pcb_request *r, json_object **out, struct pcb_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *j = NULL;
	int rc = 0;

	if (r->body.len == 0) {
		rc = pcb_err_set(err, PCB_EINVAL, "the request body is empty; a JSON object "
		    "is expected");
		goto out;
	}
	if (memchr(r->body.data, '\0', r->body.len) != NULL) {
		rc = pcb_err_set(err, PCB_EINVAL, "malformed JSON at offset %zu: NUL byte",
		    (size_t)((char *)memchr(r->body.data, '\0', r->body.len) - r->body.data));
		goto out;
	}
	j = json_tokener_parse_ex(tok, r->body.data, (int)r->body.len);
	if (j == NULL) {
		enum json_tokener_error te = json_tokener_get_error(tok);
		if (te == json_tokener_continue)
			rc = pcb_err_set(err, PCB_EINVAL, "malformed JSON at offset %zu: "
			    "unexpected end of input", r->body.len);
		else
			rc = pcb_err_set(err, PCB_EINVAL, "malformed JSON at offset %zu: %s",
			    json_tokener_get_parse_end(tok), json_tokener_error_desc(te));
		goto out;
	}
	/* Only whitespace may follow the value. */
	for (size_t i = json_tokener_get_parse_end(tok); i < r->body.len; i++) {
		char c = r->body.data[i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			rc = pcb_err_set(err, PCB_EINVAL, "malformed JSON at offset %zu: "
			    "unexpected data after the JSON value", i);
			goto out;
		}
	}
	if (!json_object_is_type(j, json_type_object)) {
		rc = pcb_err_set(err, PCB_EINVAL, "the request body must be a JSON object");
		goto out;
	}
out:
	json_tokener_free(tok);
	if (rc != 0) {
		json_object_put(j);
		j = NULL;
	}
	*out = j;
	return rc;
}

/* --- who is asking ---------------------------------------------------------------------- */

static struct uid_count *
uid_slot(struct pcb_httpd *h, uid_t uid, bool add)
{
	for (size_t i = 0; i < h->n_per_uid; i++)
		if (h->per_uid[i].uid == uid)
			return &h->per_uid[i];
	if (!add)
		return NULL;
	if (h->n_per_uid == h->cap_per_uid) {
		h->cap_per_uid = h->cap_per_uid ? h->cap_per_uid * 2 : 16;
		h->per_uid = pcb_xrealloc(h->per_uid, h->cap_per_uid * sizeof *h->per_uid);
	}
	h->per_uid[h->n_per_uid].uid = uid;
	h->per_uid[h->n_per_uid].n = 0;
	return &h->per_uid[h->n_per_uid++];
}

/* Whether a new connection from this peer fits the caps: a user's own share, and the total
 * less the connections kept for root and the daemon's user (so that no one can lock them
 * out). TCP connections count as one peer, the daemon's user. */
static bool
conn_fits(struct pcb_httpd *h, const struct conn *c, uid_t uid)
{
	const struct pcb_daemon_policy *p = &h->d->policy;
	struct uid_count *u = uid_slot(h, uid, false);

	if (p->max_connections > 0) {
		int room = p->max_connections - (c->privileged ? 0 : p->reserved_connections);
		if (h->n_conns >= room)
			return false;
	}
	if (!c->privileged && p->max_connections_per_user > 0 && u != NULL &&
	    u->n >= p->max_connections_per_user)
		return false;
	return true;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	struct pcb_httpd *h = l->h;
	struct conn *c = *socket_ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		int fd = ci != NULL ? ci->connect_fd : -1;
		uid_t uid = geteuid();

		c = pcb_xcalloc(1, sizeof *c);
		*socket_ctx = c;
		if (l->is_unix && fd >= 0) {
			struct ucred uc;
			socklen_t len = sizeof uc;
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
				pcb_cred_lookup(uc.uid, uc.gid, &c->peer);
				uid = uc.uid;
			}
		}
		c->privileged = uid == 0 || uid == geteuid();
		if (!conn_fits(h, c, uid)) {
			/* MHD cannot refuse from here; a shut-down socket reads as closed, and MHD
			 * drops the connection on its next turn without a request being seen. */
			pcb_log_debug("http: connection from uid %u over the limit, closed",
			    (unsigned)uid);
			if (fd >= 0)
				(void)shutdown(fd, SHUT_RDWR);
			return;
		}
		c->counted = true;
		h->n_conns++;
		uid_slot(h, uid, true)->n++;
		return;
	}
	if (code == MHD_CONNECTION_NOTIFY_CLOSED && c != NULL) {
		if (c->counted) {
			struct uid_count *u = uid_slot(h, c->peer.set ? c->peer.uid : geteuid(),
			    false);
			h->n_conns--;
			if (u != NULL && --u->n == 0)
				*u = h->per_uid[--h->n_per_uid];
		}
		free(c);
		*socket_ctx = NULL;
	}
}

static bool
in_admin_group(const struct pcb_daemon_policy *p, const struct pcb_cred *c)
{
	struct group gr, *res = NULL;
	char buf[8192];

	if (p->admin_group == NULL || getgrnam_r(p->admin_group, &gr, buf, sizeof buf, &res) != 0 ||
	    res == NULL)
		return false;
	return pcb_cred_in_group(c, gr.gr_gid);
}

/* Sets r->caller and r->admin; false (after replying) when the request may not go on. */
static bool
identify(struct listener *l, struct pcb_request *r)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn *c = ci != NULL ? ci->socket_context : NULL;

	if (!l->is_unix) {
		/* Loopback TCP has no peer credentials: the token stands for the daemon's user. */
		const char *auth = pcb_http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
		const char *tok = r->d->tcp_token;
		size_t n = tok != NULL ? strlen(tok) : 0;

		if (tok == NULL || auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0 ||
		    strlen(auth + 7) != n || CRYPTO_memcmp(auth + 7, tok, n) != 0) {
			struct MHD_Response *resp;
			json_object *body = error_body("unauthorized", auth == NULL ?
			    "this TCP listener needs a bearer token (Authorization: Bearer …; pcb "
			    "reads it from PCB_TOKEN or --token-file, the daemon keeps it in its "
			    "--tcp-token-file)" : "the bearer token is not this daemon's");
			resp = json_response(body, NULL);
			json_object_put(body);
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			    "Bearer realm=\"pycontainerd\"");
			pcb_http_reply_response(r, 401, resp);
			MHD_destroy_response(resp);
			return false;
		}
		pcb_cred_self(&r->caller);
		r->admin = true;
		pcb_http_who(r, &r->who);
		return true;
	}
	if (c == NULL || !c->peer.set) {
		pcb_http_reply_error(r, 403, "forbidden", "the peer's credentials could not be read");
		return false;
	}
	r->caller = c->peer;
	if (geteuid() != 0 && c->peer.uid != geteuid()) {
		pcb_http_reply_error(r, 403, "forbidden", "this daemon runs as uid %u and serves "
		    "only that user (uid %u asked); a daemon shared by several users runs as root",
		    (unsigned)geteuid(), (unsigned)c->peer.uid);
		return false;
	}
	r->admin = c->peer.uid == 0 || c->peer.uid == geteuid() ||
	    in_admin_group(&r->d->policy, &c->peer);
	pcb_http_who(r, &r->who);
	return true;
}

void
pcb_http_who(const struct pcb_request *r, struct pcb_jobs_who *who)
{
	memset(who, 0, sizeof *who);
	who->uid = r->caller.set ? r->caller.uid : geteuid();
	who->name = r->caller.set ? r->caller.name : "pycontainerd";
	who->all = r->admin;
	/* The daemon's own user (TCP, or a rootless daemon's owner) is not limited. */
	if (r->caller.set && r->caller.uid != geteuid()) {
		who->max_running = r->d->policy.user_max_running;
		who->max_queued = r->d->policy.user_max_queued;
	}
}

const char *
pcb_http_owner(const struct pcb_request *r)
{
	return r->caller.set ? r->caller.name : "";
}

int
pcb_http_require_admin(const struct pcb_request *r, const char *what, struct pcb_err *err)
{
	if (r->admin)
		return 0;
	return pcb_err_set(err, PCB_EPERM, "%s is for root and the admin group%s%s; %s is neither",
	    what, r->d->policy.admin_group != NULL ? " " : "",
	    r->d->policy.admin_group != NULL ? r->d->policy.admin_group : "", r->caller.name);
}

/* --- MHD callbacks -------------------------------------------------------------------- */

static bool
is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof want - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* First call for a request: route it and refuse what can be refused from the headers. */
static void
begin(struct pcb_request *r)
{
	char allow[128];
	bool known;
	const char *cl;

	r->path_buf = pcb_xstrdup(r->path);
	r->route = pcb_routes_match(r->method, r->path_buf, r->params, &r->n_params, &known,
	    allow, sizeof allow);
	if (r->route == NULL) {
		if (known)
			reply_error_allow(r, 405, "method_not_allowed", "method not allowed", allow);
		else
			pcb_http_reply_error(r, 404, "not_found", "no such endpoint: %s %.200s",
			    r->method, r->path);
		return;
	}
	if (!r->route->has_body)
		return;
	if (!is_json_type(pcb_http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		pcb_http_reply_error(r, 415, "unsupported_media_type",
		    "the request body must have Content-Type application/json");
		return;
	}
	cl = pcb_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long v;
		errno = 0;
		v = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || v > PCB_HTTP_MAX_BODY) {
			/* Answered before the body is read: MHD then closes the connection. */
			pcb_http_reply_error(r, 413, "payload_too_large",
			    "the request body is larger than %zu bytes", PCB_HTTP_MAX_BODY);
			return;
		}
	}
}

/* A 413 written straight to the connection's socket, for a body found too big while it is
 * being received (see on_request). Best effort: the socket buffer takes these few bytes. */
static void
early_413(struct pcb_request *r)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	char body[256], msg[512];
	int n, bl;

	bl = snprintf(body, sizeof body, "{\"error\":{\"code\":\"payload_too_large\",\"message\":"
	    "\"the request body is larger than %zu bytes\"}}\n", PCB_HTTP_MAX_BODY);
	n = snprintf(msg, sizeof msg, "HTTP/1.1 413 Content Too Large\r\nContent-Type: "
	    "application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", bl, body);
	r->replied = true;
	log_reply(r, 413);
	if (ci != NULL && n > 0)
		(void)send(ci->connect_fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct pcb_request *r = *con_cls;

	(void)version;
	if (r == NULL) {
		r = pcb_xcalloc(1, sizeof *r);
		r->d = l->h->d;
		r->srv = l->h;
		r->conn = conn;
		r->method = pcb_xstrdup(method);
		r->path = pcb_xstrdup(url);
		pcb_buf_init(&r->body, PCB_HTTP_MAX_BODY);
		*con_cls = r;
		l->h->n_requests++;
		/* The header is in: the short timeout for silent connections no longer applies. */
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
		    (unsigned int)CONNECTION_TIMEOUT_S);
		if (identify(l, r))
			begin(r);
		return MHD_YES;
	}
	if (r->deferred != NULL) {
		struct MHD_Response *resp = r->deferred;
		r->deferred = NULL;
		pcb_http_reply_response(r, r->deferred_status, resp);
		MHD_destroy_response(resp);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* Past the limit (a chunked body has no Content-Length to refuse up front) the
		 * rest is discarded as it arrives, never kept. */
		if (!r->body_too_big && pcb_buf_append(&r->body, upload_data, *upload_data_size) != 0) {
			r->body_too_big = true;
			pcb_buf_free(&r->body);
			/* Cut off at once instead of reading the rest (a 1 GiB chunked body was read
			 * to its end): MHD cannot queue an answer in the middle of a body, so the 413
			 * is written to the socket here and MHD told to close the connection. */
			early_413(r);
			*upload_data_size = 0;
			return MHD_NO;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->replied || r->suspended)
		return MHD_YES;
	if (r->body_too_big) {
		pcb_http_reply_error(r, 413, "payload_too_large",
		    "the request body is larger than %zu bytes", PCB_HTTP_MAX_BODY);
		return MHD_YES;
	}
	r->route->handler(r);
	if (!r->replied && !r->suspended)
		pcb_http_reply_error(r, 500, "internal", "the handler gave no answer");
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct pcb_request *r = *con_cls;

	(void)conn;
	if (r == NULL)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		pcb_log_debug("%s %s: connection ended early (%d)", r->method, r->path, (int)toe);
	if (r->deferred != NULL)
		MHD_destroy_response(r->deferred);
	/* Bodies may carry registry credentials: wipe before the heap reuses the bytes. */
	if (r->body.data != NULL)
		explicit_bzero(r->body.data, r->body.len);
	pcb_buf_free(&r->body);
	free(r->method);
	free(r->path);
	free(r->path_buf);
	free(r);
	*con_cls = NULL;
	l->h->n_requests--;
}

/* --- life cycle ----------------------------------------------------------------------- */

int
pcb_http_create(struct pcb_daemon *d, const int *fds, char **names, char **unix_paths,
    size_t n, struct pcb_httpd **out, struct pcb_err *err)
{
	struct pcb_httpd *h = pcb_xcalloc(1, sizeof *h);
	struct rlimit rl;
	unsigned int conn_limit = 1000;
	int rc = 0;

	/* Every connection is a descriptor: take the hard limit, so the connection caps, not
	 * the descriptor table, decide who is refused. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* MHD's own cap (by default near FD_SETSIZE, which ~1,000 idle connections reached):
	 * what the descriptors allow, the policy's caps work below it. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 256)
		conn_limit = rl.rlim_cur - 128 > 1000000 ? 1000000 : (unsigned int)(rl.rlim_cur - 128);
	h->d = d;
	h->ls = pcb_xcalloc(n, sizeof *h->ls);
	for (size_t i = 0; i < n; i++) {
		struct listener *l = &h->ls[i];
		const union MHD_DaemonInfo *info;

		l->h = h;
		l->fd = fds[i];
		l->name = pcb_xstrdup(names[i]);
		l->unix_path = pcb_xstrdup(unix_paths[i]);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		unsigned int header_to = d->policy.header_timeout_s > 0 ?
		    (unsigned int)d->policy.header_timeout_s : CONNECTION_TIMEOUT_S;

		l->is_unix = getsockname(fds[i], (struct sockaddr *)&ss, &sl) == 0 &&
		    ss.ss_family == AF_UNIX;
		/* Until a connection has sent its request header it has header_to seconds (then
		 * the longer idle timeout, set per connection in on_request). */
		l->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
		    MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, l,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fds[i],
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
		    MHD_OPTION_CONNECTION_TIMEOUT, header_to,
		    MHD_OPTION_CONNECTION_LIMIT, conn_limit,
		    MHD_OPTION_END);
		if (l->mhd == NULL) {
			rc = pcb_err_set(err, PCB_EINTERNAL, "starting the HTTP server on %s failed",
			    names[i]);
			/* Sockets not yet handed to MHD are closed here; earlier ones by MHD. */
			for (size_t k = i; k < n; k++)
				close(fds[k]);
			free(l->name);
			free(l->unix_path);
			h->n = i;
			goto out;
		}
		info = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
		uv_poll_init(d->loop, &l->poll, info->epoll_fd);
		l->poll.data = l;
		uv_poll_start(&l->poll, UV_READABLE, on_poll);
		uv_timer_init(d->loop, &l->timer);
		l->timer.data = l;
		h->n = i + 1;
		rearm(l);
		pcb_log_info("listening on %s", names[i]);
	}
out:
	if (rc != 0) {
		pcb_http_close(h);
		/* The caller runs the loop to let the handles close, then destroys. */
	}
	*out = h;
	return rc;
}

void
pcb_http_quiesce(struct pcb_httpd *h)
{
	for (size_t i = 0; i < h->n; i++) {
		struct listener *l = &h->ls[i];
		MHD_socket fd;

		if (l->quiesced || l->closing)
			continue;
		fd = MHD_quiesce_daemon(l->mhd);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		l->quiesced = true;
		if (l->unix_path != NULL)
			unlink(l->unix_path);
		pcb_log_info("stopped listening on %s", l->name);
	}
}

void
pcb_http_close(struct pcb_httpd *h)
{
	for (size_t i = 0; i < h->n; i++) {
		struct listener *l = &h->ls[i];

		if (l->closing)
			continue;
		pcb_http_quiesce(h);
		l->closing = true;
		uv_close((uv_handle_t *)&l->poll, NULL);
		uv_close((uv_handle_t *)&l->timer, NULL);
		MHD_stop_daemon(l->mhd);
		l->mhd = NULL;
	}
}

void
pcb_http_destroy(struct pcb_httpd *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->ls[i].name);
		free(h->ls[i].unix_path);
	}
	free(h->ls);
	free(h->per_uid);
	free(h);
}

int
pcb_http_n_requests(struct pcb_httpd *h)
{
	return h->n_requests;
}
