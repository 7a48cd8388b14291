/* http.h — the client's connection to pycontainerd: host parsing and the default socket,
 * one-shot JSON requests with a bounded body, and an event-stream (SSE) reader, all over
 * libcurl. JSON error bodies become messages like "build b-… already succeeded (HTTP 409
 * conflict)".
 *
 * Thread-safety: the client is single-threaded; a struct pcb_http belongs to its caller. */
#ifndef PCB_CLIENT_HTTP_H
#define PCB_CLIENT_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "base/err.h"
#include "sse.h"

/* Largest JSON answer accepted (a list of 1000 builds with their results fits easily). */
#define PCB_HTTP_BODY_MAX ((size_t)16 << 20)
/* Largest single SSE line or event. */
#define PCB_HTTP_EVENT_MAX ((size_t)1 << 20)

struct pcb_http {
	char *host;          /* as shown to the user: "unix:///run/…sock" or "tcp://127.0.0.1:7070"; owned */
	char *unix_path;     /* socket path, NULL for TCP; owned */
	char *base_url;      /* "http://localhost" or "http://127.0.0.1:7070"; owned */
	bool unreachable;    /* the last call failed because nobody answered at host */
	/* TCP only: "Authorization: Bearer …" from $PCB_TOKEN, else the file $PCB_TOKEN_FILE,
	 * else the daemon's default --tcp-token-file; NULL when none was found. Owned, wiped. */
	char *auth_header;
};

/* The default HOST: root → /run/pycontainerd/pycontainerd.sock, others →
 * $XDG_RUNTIME_DIR/pycontainerd/pycontainerd.sock, or /tmp/pycontainerd-$UID/pycontainerd.sock
 * without XDG_RUNTIME_DIR. Returned as "unix://…"; caller frees. */
char *pcb_http_default_host(void);

/* Parses HOST: "unix:///path", "tcp://HOST:PORT" or a bare "/path". PCB_EINVAL on anything
 * else, with a message naming it. */
int pcb_http_init(struct pcb_http *h, const char *host, struct pcb_err *err);
void pcb_http_free(struct pcb_http *h);

/* One request. body is JSON text or NULL (sent as application/json). On a 2xx answer
 * *json_out (may be NULL; caller puts) is the parsed body, NULL when it was empty. A non-2xx
 * answer returns an error whose message is the daemon's, with err->http_status set: 400 →
 * PCB_EINVAL, 404 → PCB_ENOENT, 409 → PCB_ECONFLICT, others PCB_EIO. When nothing answered,
 * h->unreachable is set and the message says how to start the daemon. */
int pcb_http_request(struct pcb_http *h, const char *method, const char *path, const char *body,
    json_object **json_out, struct pcb_err *err);

/* Callbacks for pcb_http_events. on_event and on_tick may be NULL; non-zero from either stops
 * the stream (pcb_http_events then returns 0). on_tick runs about every 100 ms outside any
 * curl callback, so it may make other requests; idle_ms is the time since bytes last arrived
 * (or since the request started). */
struct pcb_http_events_cb {
	int (*on_event)(void *ud, const struct pcb_sse_event *ev);
	int (*on_tick)(void *ud, int64_t idle_ms);
	void *ud;
};

/* GETs path as text/event-stream and parses it incrementally until the server closes it or a
 * callback says stop. Errors as for pcb_http_request. */
int pcb_http_events(struct pcb_http *h, const char *path, const struct pcb_http_events_cb *cb,
    struct pcb_err *err);

#endif
