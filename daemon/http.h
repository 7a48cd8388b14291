/* http.h — libmicrohttpd driven from the libuv loop: one MHD daemon per listening socket
 * (epoll mode, no internal thread), request bodies, dispatch through the route table, and
 * JSON / error replies.
 *
 * Thread-safety: loop thread only. */
#ifndef PCB_HTTP_H
#define PCB_HTTP_H

#include <stdbool.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "base/cred.h"
#include "base/err.h"
#include "base/util.h"
#include "daemon.h"
#include "routes.h"

#define PCB_HTTP_MAX_BODY ((size_t)1 << 20)

struct pcb_httpd;

/* One request, alive from its headers until MHD reports it complete. */
struct pcb_request {
	struct pcb_daemon *d;
	struct pcb_httpd *srv;
	struct MHD_Connection *conn;
	char *method;
	char *path;                  /* the URL path, owned */
	char *path_buf;              /* split copy params point into */
	const struct pcb_route *route;
	char *params[PCB_ROUTE_MAX_PARAMS];
	size_t n_params;
	struct pcb_buf body;
	bool body_too_big;
	bool replied;
	bool suspended;
	/* Who asks: the peer's uid/gid/groups on a unix socket (SO_PEERCRED), the daemon's own
	 * user on TCP (the bearer token was checked). admin: root, the daemon's own user, or a
	 * member of the admin group — may act on every job and on the cache. */
	struct pcb_cred caller;
	bool admin;
	struct pcb_jobs_who who;     /* the same for the jobs module (pcb_http_who) */
	/* A reply prepared while suspended, queued when MHD calls us again after resume. */
	struct MHD_Response *deferred;
	unsigned int deferred_status;
};

/* Starts serving on the given listening sockets (the server takes the fds). unix_paths[i] is
 * the socket file to remove at close, or NULL. */
int pcb_http_create(struct pcb_daemon *d, const int *fds, char **names, char **unix_paths,
    size_t n, struct pcb_httpd **out, struct pcb_err *err);
/* Stops accepting: closes the listening sockets and removes unix socket files. Connections
 * already open keep being served. */
void pcb_http_quiesce(struct pcb_httpd *h);
/* Stops the MHD daemons and uv_close()s the handles (run the loop to finish), then
 * pcb_http_destroy() frees. */
void pcb_http_close(struct pcb_httpd *h);
void pcb_http_destroy(struct pcb_httpd *h);
/* Makes every MHD daemon run soon (after a connection was resumed). */
void pcb_http_kick(struct pcb_httpd *h);
/* Open connections (for shutdown). */
int pcb_http_n_requests(struct pcb_httpd *h);

/* Request helpers for handlers. */
const char *pcb_http_query(struct pcb_request *r, const char *name);
const char *pcb_http_header(struct pcb_request *r, const char *name);
/* 0 when every query parameter is in `allowed` (NULL-terminated); else PCB_EINVAL naming it. */
int pcb_http_check_query(struct pcb_request *r, const char *const *allowed,
    struct pcb_err *err);
/* Parses the body as one JSON object. PCB_EINVAL naming the problem and offset. */
int pcb_http_body_json(struct pcb_request *r, json_object **out, struct pcb_err *err);

/* The caller as the jobs module sees them (limits from the daemon's policy). */
void pcb_http_who(const struct pcb_request *r, struct pcb_jobs_who *who);
/* The owner name jobs and tags of this caller are recorded under ("alice", or the uid). */
const char *pcb_http_owner(const struct pcb_request *r);
/* 0 when the caller is an admin; else PCB_EPERM naming what needs it ("pruning the cache"). */
int pcb_http_require_admin(const struct pcb_request *r, const char *what, struct pcb_err *err);

/* Replies. `j` is taken. location may be NULL. */
void pcb_http_reply_json(struct pcb_request *r, unsigned int status, json_object *j,
    const char *location);
void pcb_http_reply_error(struct pcb_request *r, unsigned int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Maps the error record through pcb_err_http_status/pcb_err_code_name. */
void pcb_http_reply_err(struct pcb_request *r, const struct pcb_err *e);
/* Queues a ready-made response (the caller keeps its reference and destroys it). */
void pcb_http_reply_response(struct pcb_request *r, unsigned int status,
    struct MHD_Response *resp);

/* Asynchronous replies: suspend in the handler, later pcb_http_resume_json() from the loop. */
void pcb_http_suspend(struct pcb_request *r);
void pcb_http_resume_json(struct pcb_request *r, unsigned int status, json_object *j);
void pcb_http_resume_err(struct pcb_request *r, const struct pcb_err *e);
/* Resumes with a ready-made response, which is taken (destroyed once queued). */
void pcb_http_resume_response(struct pcb_request *r, unsigned int status,
    struct MHD_Response *resp);

/* For streaming responses: suspend/resume of the connection itself. */
void pcb_http_conn_suspend(struct MHD_Connection *c);
void pcb_http_conn_resume(struct pcb_httpd *h, struct MHD_Connection *c);

#endif
