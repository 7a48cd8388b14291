/* sse.c — incremental text/event-stream parser (see sse.h). Follows the WHATWG "event stream
 * interpretation" rules that matter here: lines end in LF, CR or CRLF (a CRLF may be split
 * across two feeds); a blank line dispatches; "field: value" loses one leading space; lines
 * starting with ':' are comments (the daemon's keep-alives); unknown fields are ignored. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

void
pcb_sse_init(struct pcb_sse_parser *p, size_t max_line, pcb_sse_cb cb, void *ud)
{
	memset(p, 0, sizeof *p);
	pcb_buf_init(&p->line, max_line);
	pcb_buf_init(&p->data, max_line);
	pcb_buf_init(&p->type, 256);
	p->id = pcb_xstrdup("");
	p->cb = cb;
	p->ud = ud;
}

void
pcb_sse_free(struct pcb_sse_parser *p)
{
	pcb_buf_free(&p->line);
	pcb_buf_free(&p->data);
	pcb_buf_free(&p->type);
	free(p->id);
	p->id = NULL;
}

/* A blank line: hand the assembled event over, then start a new one. An event without data
 * is not dispatched (the spec says so; it also makes comment-only keep-alives invisible). */
static void
dispatch(struct pcb_sse_parser *p)
{
	struct pcb_sse_event ev;

	if (p->data.len > 0) {
		/* every data line appended a '\n'; the last one is not part of the data */
		p->data.len--;
		p->data.data[p->data.len] = '\0';
		ev.id = p->id;
		ev.type = p->type.len > 0 ? p->type.data : "message";
		ev.data = p->data.data;
		ev.data_len = p->data.len;
		if (p->cb != NULL && p->cb(p->ud, &ev) != 0)
			p->stopped = true;
	}
	p->data.len = 0;
	p->type.len = 0;
}

static int
process_line(struct pcb_sse_parser *p, struct pcb_err *err)
{
	const char *line = p->line.len > 0 ? p->line.data : "";
	size_t len = p->line.len;
	const char *colon, *value;
	size_t flen, vlen;
	int r = 0;

	if (len == 0) {
		dispatch(p);
		goto out;
	}
	if (line[0] == ':')
		goto out;                       /* comment */
	colon = memchr(line, ':', len);
	if (colon == NULL) {
		flen = len;                     /* a field name alone: empty value */
		value = line + len;
		vlen = 0;
	} else {
		flen = (size_t)(colon - line);
		value = colon + 1;
		vlen = len - flen - 1;
		if (vlen > 0 && value[0] == ' ') {
			value++;
			vlen--;
		}
	}
	if (flen == 4 && memcmp(line, "data", 4) == 0) {
		if (pcb_buf_append(&p->data, value, vlen) != 0 ||
		    pcb_buf_append(&p->data, "\n", 1) != 0) {
			r = pcb_err_set(err, PCB_ETOOBIG, "event stream: an event is over %zu bytes",
			    p->data.max);
			goto out;
		}
	} else if (flen == 5 && memcmp(line, "event", 5) == 0) {
		p->type.len = 0;
		if (pcb_buf_append(&p->type, value, vlen) != 0) {
			r = pcb_err_set(err, PCB_ETOOBIG, "event stream: event type is too long");
			goto out;
		}
	} else if (flen == 2 && memcmp(line, "id", 2) == 0) {
		if (memchr(value, '\0', vlen) == NULL) {
			free(p->id);
			p->id = pcb_xstrndup(value, vlen);
		}
	}
	/* "retry" and unknown fields are ignored */
out:
	p->line.len = 0;
	if (p->line.data != NULL)
		p->line.data[0] = '\0';
	return r;
}

int
pcb_sse_feed(struct pcb_sse_parser *p, const char *buf, size_t n, struct pcb_err *err)
{
	size_t i = 0;
	int r = 0;

	if (p->stopped)
		return 1;
	if (!p->started && n > 0) {
		/* A UTF-8 BOM may open the stream; it is only ever whole in practice, and a
		 * split one would fail as an unknown field name, which is ignored anyway. */
		if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
			i = 3;
		p->started = true;
	}
	while (i < n) {
		size_t start = i;
		char c;

		if (p->after_cr) {
			p->after_cr = false;
			if (buf[i] == '\n') {
				i++;
				continue;
			}
		}
		while (i < n && buf[i] != '\n' && buf[i] != '\r')
			i++;
		if (pcb_buf_append(&p->line, buf + start, i - start) != 0) {
			r = pcb_err_set(err, PCB_ETOOBIG, "event stream: a line is over %zu bytes",
			    p->line.max);
			goto out;
		}
		if (i == n)
			break;                  /* unfinished line: keep it for the next feed */
		c = buf[i++];
		if (c == '\r')
			p->after_cr = true;
		r = process_line(p, err);
		if (r != 0)
			goto out;
		if (p->stopped) {
			r = 1;
			goto out;
		}
	}
out:
	return r;
}
