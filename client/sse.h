/* sse.h — an incremental parser for text/event-stream (Server-Sent Events), as the daemon sends
 * GET /v1/builds/{id}/events. Bytes arrive in arbitrary pieces from libcurl's write callback, so
 * the parser keeps a partial line between calls; it knows nothing of curl or of build events.
 *
 * Thread-safety: a parser belongs to one thread. Client code only. */
#ifndef PCB_CLIENT_SSE_H
#define PCB_CLIENT_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/util.h"

/* One dispatched event. All pointers are borrowed and valid only during the callback. */
struct pcb_sse_event {
	const char *id;      /* last event id seen on the stream ("" when none) */
	const char *type;    /* "event:" field, "message" when absent */
	const char *data;    /* "data:" lines joined with '\n', NUL-terminated */
	size_t data_len;
};

/* Returns 0 to go on, non-zero to stop: no further event is dispatched after that. */
typedef int (*pcb_sse_cb)(void *ud, const struct pcb_sse_event *ev);

struct pcb_sse_parser {
	struct pcb_buf line;     /* the current, unfinished line */
	struct pcb_buf data;     /* data of the event being assembled */
	struct pcb_buf type;     /* event type of the event being assembled */
	char *id;                /* last event id (persists across events, as the spec says); owned */
	bool after_cr;           /* last byte was CR: a following LF belongs to the same line end */
	bool started;            /* first byte seen (a leading BOM is skipped) */
	bool stopped;            /* the callback asked to stop */
	pcb_sse_cb cb;
	void *ud;
};

/* max_line bounds one line and one event's data: a daemon sending more is broken. */
void pcb_sse_init(struct pcb_sse_parser *p, size_t max_line, pcb_sse_cb cb, void *ud);
void pcb_sse_free(struct pcb_sse_parser *p);
/* Feeds n bytes. Returns 0, 1 once the callback asked to stop (the rest is ignored), or
 * PCB_ETOOBIG with err set when a line or an event is over the limit. */
int pcb_sse_feed(struct pcb_sse_parser *p, const char *buf, size_t n, struct pcb_err *err);

#endif
