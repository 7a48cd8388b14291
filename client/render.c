/* render.c — turns build events (the SSE data JSON of GET /v1/builds/{id}/events) into the
 * readable lines `pcb build` prints on stderr and `pcb logs` on stdout, and prints the closing
 * summary of a succeeded build. Unknown event types are shown, not dropped, so a newer daemon
 * still gives readable output. */
#include "pcb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
pcb_render_init(struct pcb_render *r, FILE *out)
{
	memset(r, 0, sizeof *r);
	r->out = out;
	r->tty = out != NULL && isatty(fileno(out)) == 1;
}

void
pcb_render_size(uint64_t n, char out[32])
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(out, 32, "%" PRIu64 " B", n);
		return;
	}
	v /= 1024.0;
	while (v >= 1024.0 && u + 1 < PCB_ARRAY_LEN(units)) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, units[u]);
}

void
pcb_render_flush(struct pcb_render *r)
{
	if (r->progress_open) {
		fputc('\n', r->out);
		r->progress_open = false;
	}
}

static void
render_progress(struct pcb_render *r, json_object *d)
{
	const char *layer = pcb_cli_jstr(d, "layer");
	int64_t done = pcb_cli_jint(d, "done", 0), total = pcb_cli_jint(d, "total", 0);
	char a[32], b[32];

	pcb_render_size(done > 0 ? (uint64_t)done : 0, a);
	pcb_render_size(total > 0 ? (uint64_t)total : 0, b);
	if (r->tty) {
		/* One line redrawn in place: several per second would flood a terminal. */
		fprintf(r->out, "\r[pack] %s %s / %s\033[K", layer ? layer : "?", a, b);
		r->progress_open = true;
		if (total > 0 && done >= total)
			pcb_render_flush(r);
	} else {
		fprintf(r->out, "[pack] %s %s / %s\n", layer ? layer : "?", a, b);
	}
}

static void
render_end(struct pcb_render *r, json_object *d)
{
	const char *state = pcb_cli_jstr(d, "state");
	const char *msg = pcb_cli_jstr(pcb_cli_jobj(d, "error"), "message");

	r->saw_end = true;
	snprintf(r->end_state, sizeof r->end_state, "%s", state ? state : "");
	if (!r->show_end || r->out == NULL || r->raw_json)
		return;
	if (msg != NULL)
		fprintf(r->out, "[end] %s: %s\n", state ? state : "?", msg);
	else
		fprintf(r->out, "[end] %s\n", state ? state : "?");
}

void
pcb_render_event(struct pcb_render *r, const struct pcb_sse_event *ev)
{
	json_tokener *tok = json_tokener_new();
	json_object *d = json_tokener_parse_ex(tok, ev->data, (int)ev->data_len);
	const char *type = pcb_cli_jstr(d, "type");
	int64_t seq;
	char sz[32];

	json_tokener_free(tok);
	if (type == NULL)
		type = ev->type;
	seq = pcb_cli_jint(d, "seq", ev->id[0] ? strtoll(ev->id, NULL, 10) : 0);
	if (seq > r->last_seq)
		r->last_seq = seq;
	if (strcmp(type, "end") == 0)
		render_end(r, d);       /* remembers the state even in raw or silent mode */
	if (r->out == NULL)
		goto out;
	if (r->raw_json) {
		fprintf(r->out, "%s\n", ev->data);
		goto out;
	}
	if (strcmp(type, "progress") == 0) {
		render_progress(r, d);
		goto out;
	}
	pcb_render_flush(r);
	if (d == NULL) {
		fprintf(r->out, "[%s] %s\n", ev->type, ev->data);
	} else if (strcmp(type, "state") == 0) {
		fprintf(r->out, "[state] %s\n", pcb_cli_jstr(d, "state") ?: "?");
	} else if (strcmp(type, "phase") == 0) {
		const char *msg = pcb_cli_jstr(d, "message");
		fprintf(r->out, "[%s]%s%s\n", pcb_cli_jstr(d, "phase") ?: "phase", msg ? " " : "",
		    msg ? msg : "");
	} else if (strcmp(type, "log") == 0) {
		fprintf(r->out, "[%s] %s\n", pcb_cli_jstr(d, "level") ?: "info",
		    pcb_cli_jstr(d, "message") ?: "");
	} else if (strcmp(type, "layer") == 0) {
		json_object *l = pcb_cli_jobj(d, "layer");
		pcb_render_size((uint64_t)pcb_cli_jint(l, "size", 0), sz);
		fprintf(r->out, "layer %s %s %s\n", pcb_cli_jstr(l, "name") ?: "?",
		    pcb_cli_jstr(l, "digest") ?: "?", sz);
	} else if (strcmp(type, "result") == 0) {
		if (r->show_end)
			fprintf(r->out, "[result] manifest %s\n", pcb_cli_jstr(pcb_cli_jobj(
			    pcb_cli_jobj(d, "result"), "manifest"), "digest") ?: "?");
	} else if (strcmp(type, "end") != 0) {
		fprintf(r->out, "[%s] %s\n", type, ev->data);
	}
out:
	if (r->out != NULL)
		fflush(r->out);
	json_object_put(d);
}

/* The name to show for an image: the first tag when it is a full reference, else name:tag. */
static char *
image_ref(json_object *build)
{
	json_object *result = pcb_cli_jobj(build, "result");
	json_object *image = pcb_cli_jobj(result, "image");
	json_object *tags = pcb_cli_jarr(image, "tags");
	const char *name = pcb_cli_jstr(image, "name");
	const char *tag = NULL;

	if (tags != NULL && json_object_array_length(tags) > 0)
		tag = json_object_get_string(json_object_array_get_idx(tags, 0));
	if (tag == NULL) {
		tags = pcb_cli_jarr(pcb_cli_jobj(build, "spec"), "tags");
		if (tags != NULL && json_object_array_length(tags) > 0)
			tag = json_object_get_string(json_object_array_get_idx(tags, 0));
	}
	if (tag != NULL && (strchr(tag, ':') != NULL || strchr(tag, '/') != NULL || name == NULL))
		return pcb_xstrdup(tag);
	if (tag != NULL)
		return pcb_xasprintf("%s:%s", name, tag);
	return pcb_xstrdup(name ? name : pcb_cli_jstr(build, "id") ?: "image");
}

void
pcb_render_result(FILE *out, json_object *build)
{
	json_object *result = pcb_cli_jobj(build, "result");
	json_object *outputs = pcb_cli_jarr(result, "outputs");
	char *ref = image_ref(build);
	size_t i;

	fprintf(out, "Built %s\n", ref);
	fprintf(out, "  manifest %s\n", pcb_cli_jstr(pcb_cli_jobj(result, "manifest"), "digest") ?: "?");
	for (i = 0; outputs != NULL && i < json_object_array_length(outputs); i++) {
		json_object *o = json_object_array_get_idx(outputs, i);
		fprintf(out, "  output %s %s\n", pcb_cli_jstr(o, "type") ?: "?",
		    pcb_cli_jstr(o, "path") ?: "?");
	}
	free(ref);
}
