/* render.c — turns job events (the SSE data JSON of GET /v1/builds/{id}/events and
 * /v1/jobs/{id}/events) into what `pcb build`, `pcb push` and `pcb pull` print on stderr and
 * `pcb logs` on stdout, in the --progress mode asked for (progress.h: tty's live view, plain
 * lines with times, raw JSON, nothing), and prints the closing summary of a succeeded job.
 * Unknown event types are shown, not dropped, so a newer daemon still gives readable output. */
#include "pcb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void
pcb_render_init(struct pcb_render *r, FILE *out)
{
	memset(r, 0, sizeof *r);
	r->out = out;
	/* Redrawing a line needs escape codes: not for NO_COLOR, TERM=dumb or a file. */
	r->tty = pcb_progress_escapes_ok(out);
	pcb_progress_init(&r->prog, NULL, false);
}

void
pcb_render_init_mode(struct pcb_render *r, FILE *out, enum pcb_progress_mode mode)
{
	mode = pcb_progress_resolve(mode, out);
	pcb_render_init(r, mode == PCB_PROGRESS_QUIET ? NULL : out);
	if (r->out == NULL)
		return;
	r->tty = false;
	r->raw_json = mode == PCB_PROGRESS_RAWJSON;
	r->timestamps = mode == PCB_PROGRESS_PLAIN;
	pcb_progress_init(&r->prog, out, mode == PCB_PROGRESS_TTY);
}

void
pcb_render_free(struct pcb_render *r)
{
	pcb_progress_free(&r->prog);
}

void
pcb_render_done(struct pcb_render *r)
{
	pcb_render_flush(r);
	pcb_progress_finish(&r->prog);
	if (r->out != NULL)
		fflush(r->out);
}

/* Plain mode's line prefix: the event's time of day, local ("15:57:31.123 "). */
static void
stamp(struct pcb_render *r, json_object *d)
{
	int64_t ms;
	time_t t;
	struct tm tm;

	if (!r->timestamps || r->out == NULL)
		return;
	ms = pcb_cli_parse_time(pcb_cli_jstr(d, "time"));
	if (ms < 0)
		return;
	t = (time_t)(ms / 1000);
	localtime_r(&t, &tm);
	fprintf(r->out, "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (int)(ms % 1000));
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
	pcb_progress_clear(&r->prog);
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
		stamp(r, d);
		fprintf(r->out, "[pack] %s %s / %s\n", layer ? layer : "?", a, b);
	}
}

/* "sha256:ab12cd34ef56…": enough of a digest to tell blobs apart on one line. */
static void
short_digest(const char *d, char out[32])
{
	if (d == NULL)
		snprintf(out, 32, "?");
	else if (pcb_str_has_prefix(d, "sha256:") && strlen(d) > 19)
		snprintf(out, 32, "sha256:%.12s\u2026", d + 7);
	else
		snprintf(out, 32, "%.24s", d);
}

/* blob {"digest","action":"upload"|"download"|"skip"|"mount","done","total"[,"from"]} */
static void
render_blob(struct pcb_render *r, json_object *d)
{
	json_object *b = pcb_cli_jobj(d, "blob");
	const char *action = pcb_cli_jstr(b, "action"), *from = pcb_cli_jstr(b, "from");
	int64_t done = pcb_cli_jint(b, "done", 0), total = pcb_cli_jint(b, "total", 0);
	char dg[32], a[32], t[32];
	bool transfer;

	short_digest(pcb_cli_jstr(b, "digest"), dg);
	if (action == NULL)
		action = "?";
	transfer = strcmp(action, "upload") == 0 || strcmp(action, "download") == 0;
	if (!transfer) {
		pcb_render_flush(r);
		stamp(r, d);
		if (strcmp(action, "skip") == 0)
			fprintf(r->out, "skip %s (already there)\n", dg);
		else if (strcmp(action, "mount") == 0)
			fprintf(r->out, "mount %s%s%s\n", dg, from ? " from " : "", from ? from : "");
		else
			fprintf(r->out, "%s %s\n", action, dg);
		return;
	}
	pcb_render_size(done > 0 ? (uint64_t)done : 0, a);
	pcb_render_size(total > 0 ? (uint64_t)total : 0, t);
	if (r->tty) {
		fprintf(r->out, "\r%s %s %s / %s\033[K", action[0] == 'u' ? "\u2191" : "\u2193", dg,
		    a, t);
		r->progress_open = true;
		if (total > 0 && done >= total)
			pcb_render_flush(r);
	} else {
		stamp(r, d);
		fprintf(r->out, "%s %s %s / %s\n", action[0] == 'u' ? "\u2191" : "\u2193", dg, a, t);
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
	stamp(r, d);
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
	/* Steps are timed in every mode, for the summary; tty mode's view shows the event. */
	if (d != NULL && pcb_progress_event(&r->prog, d)) {
		if (strcmp(type, "end") == 0)
			render_end(r, d);
		goto out;
	}
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
	if (strcmp(type, "blob") == 0 && d != NULL) {
		render_blob(r, d);
		goto out;
	}
	pcb_render_flush(r);
	if (strcmp(type, "end") != 0 && (strcmp(type, "result") != 0 || r->show_end))
		stamp(r, d);
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
		char done[32];
		bool reused = json_object_get_boolean(json_object_object_get(l, "reused"));
		int64_t total = pcb_cli_jint(d, "total", pcb_cli_jint(l, "size", 0));

		pcb_render_size((uint64_t)total, sz);
		pcb_render_size((uint64_t)pcb_cli_jint(d, "done", total), done);
		if (strcmp(done, sz) == 0)
			fprintf(r->out, "layer %s %s %s%s\n", pcb_cli_jstr(l, "name") ?: "?",
			    pcb_cli_jstr(l, "digest") ?: "?", sz, reused ? " (reused)" : "");
		else
			fprintf(r->out, "layer %s %s %s of %s here\n", pcb_cli_jstr(l, "name") ?: "?",
			    pcb_cli_jstr(l, "digest") ?: "?", done, sz);
	} else if (strcmp(type, "result") == 0) {
		json_object *res = pcb_cli_jobj(d, "result");
		json_object *pushed = pcb_cli_jarr(res, "pushed");
		const char *m = pcb_cli_jstr(pcb_cli_jobj(res, "manifest"), "digest");
		size_t i;

		if (r->show_end && m != NULL)
			fprintf(r->out, "[result] manifest %s\n", m);
		for (i = 0; r->show_end && pushed != NULL && i < json_object_array_length(pushed);
		    i++) {
			json_object *p = json_object_array_get_idx(pushed, i);
			fprintf(r->out, "[result] pushed %s %s\n", pcb_cli_jstr(p, "target") ?: "?",
			    pcb_cli_jstr(p, "digest") ?: "?");
		}
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

/* "Pushed 127.0.0.1:5000/app:1 sha256:…" per target, with what the blobs cost. */
static void
render_pushed(FILE *out, json_object *result)
{
	json_object *pushed = pcb_cli_jarr(result, "pushed");
	size_t i;

	for (i = 0; pushed != NULL && i < json_object_array_length(pushed); i++) {
		json_object *p = json_object_array_get_idx(pushed, i);
		json_object *blobs = pcb_cli_jobj(p, "blobs");
		char sent[32];

		fprintf(out, "Pushed %s %s\n", pcb_cli_jstr(p, "target") ?: "?",
		    pcb_cli_jstr(p, "digest") ?: "?");
		if (blobs != NULL) {
			pcb_render_size((uint64_t)pcb_cli_jint(blobs, "bytes_sent", 0), sent);
			fprintf(out, "  blobs: %lld uploaded (%s), %lld already there, %lld mounted\n",
			    (long long)pcb_cli_jint(blobs, "uploaded", 0), sent,
			    (long long)pcb_cli_jint(blobs, "skipped", 0),
			    (long long)pcb_cli_jint(blobs, "mounted", 0));
		}
	}
}

/* "  size     …" and "  layers   …": what the image weighs and what this build made. A
 * layer named "base" came with the base image; "reused" ones came from the layer cache. */
static void
render_layers(FILE *out, json_object *result)
{
	json_object *layers = pcb_cli_jarr(result, "layers");
	uint64_t total = 0, b[3] = { 0, 0, 0 };
	size_t n[3] = { 0, 0, 0 }, nl = layers != NULL ? json_object_array_length(layers) : 0;
	char t[32], s0[32], s1[32], s2[32];

	total += (uint64_t)pcb_cli_jint(pcb_cli_jobj(result, "manifest"), "size", 0);
	total += (uint64_t)pcb_cli_jint(pcb_cli_jobj(result, "config"), "size", 0);
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(layers, i);
		const char *name = pcb_cli_jstr(l, "name");
		uint64_t size = (uint64_t)pcb_cli_jint(l, "size", 0);
		int k = name != NULL && strcmp(name, "base") == 0 ? 0 :
		    json_object_get_boolean(json_object_object_get(l, "reused")) ? 2 : 1;

		total += size;
		n[k]++;
		b[k] += size;
	}
	pcb_render_size(total, t);
	pcb_render_size(b[0], s0);
	pcb_render_size(b[1], s1);
	pcb_render_size(b[2], s2);
	fprintf(out, "  size     %s in %zu layer%s\n", t, nl, nl == 1 ? "" : "s");
	fprintf(out, "  layers   %zu new (%s), %zu reused (%s), %zu from the base (%s)\n", n[1], s1,
	    n[2], s2, n[0], s0);
}

void
pcb_render_result(FILE *out, json_object *job)
{
	pcb_render_summary(NULL, out, job);
}

/* A rebase: which base went, which came, and that the layers of ours stayed. */
static void
render_rebased(FILE *out, json_object *result)
{
	json_object *ob = pcb_cli_jobj(result, "old_base"), *nb = pcb_cli_jobj(result, "base");
	json_object *tags = pcb_cli_jarr(result, "tags"), *rb = NULL;
	json_object *ls = pcb_cli_jarr(result, "layers");
	size_t ours = 0;

	json_object_object_get_ex(result, "rebased", &rb);
	for (size_t i = 0; ls != NULL && i < json_object_array_length(ls); i++) {
		const char *n = pcb_cli_jstr(json_object_array_get_idx(ls, i), "name");
		ours += n != NULL && strcmp(n, "base") != 0;
	}
	if (!json_object_get_boolean(rb))
		fprintf(out, "Already on %s (%s): nothing to rebase\n", pcb_cli_jstr(nb, "ref") ?: "?",
		    pcb_cli_jstr(nb, "digest") ?: "?");
	else
		fprintf(out, "Rebased %s onto %s\n", pcb_cli_jstr(pcb_cli_jobj(result, "image"),
		    "ref") ?: "?", pcb_cli_jstr(nb, "ref") ?: "?");
	fprintf(out, "  manifest %s\n", pcb_cli_jstr(pcb_cli_jobj(result, "manifest"),
	    "digest") ?: "?");
	fprintf(out, "  base     %s -> %s (Python %s)\n", pcb_cli_jstr(ob, "digest") ?: "?",
	    pcb_cli_jstr(nb, "digest") ?: "?", pcb_cli_jstr(nb, "python") ?: "not stated");
	if (json_object_get_boolean(rb))
		fprintf(out, "  layers   %" PRId64 " of the new base, %zu of ours unchanged\n",
		    pcb_cli_jint(nb, "layers", 0), ours);
	for (size_t i = 0; tags != NULL && i < json_object_array_length(tags); i++)
		fprintf(out, "  tagged   %s\n", json_object_get_string(json_object_array_get_idx(tags,
		    i)));
}

void
pcb_render_summary(const struct pcb_render *r, FILE *out, json_object *job)
{
	json_object *result = pcb_cli_jobj(job, "result");
	json_object *outputs = pcb_cli_jarr(result, "outputs");
	const char *kind = pcb_cli_jstr(job, "kind"), *id = pcb_cli_jstr(job, "id");
	const char *manifest = pcb_cli_jstr(pcb_cli_jobj(result, "manifest"), "digest");
	char *ref;
	size_t i;

	if ((kind != NULL && strcmp(kind, "push") == 0) ||
	    (kind == NULL && id != NULL && pcb_str_has_prefix(id, "p-"))) {
		render_pushed(out, result);
		return;
	}
	if ((kind != NULL && strcmp(kind, "pull") == 0) ||
	    (kind == NULL && id != NULL && pcb_str_has_prefix(id, "l-"))) {
		fprintf(out, "Pulled %s\n", pcb_cli_jstr(result, "ref") ?:
		    pcb_cli_jstr(pcb_cli_jobj(job, "spec"), "ref") ?: "?");
		fprintf(out, "  manifest %s\n", manifest ?: "?");
		if (pcb_cli_jstr(result, "tagged") != NULL)
			fprintf(out, "  tagged %s\n", pcb_cli_jstr(result, "tagged"));
		return;
	}
	if ((kind != NULL && strcmp(kind, "base") == 0) ||
	    (kind == NULL && id != NULL && pcb_str_has_prefix(id, "h-"))) {
		fprintf(out, "Created base %s\n", pcb_cli_jstr(result, "tag") ?: "?");
		fprintf(out, "  manifest %s\n", manifest ?: "?");
		fprintf(out, "  python %s (%s)\n", pcb_cli_jstr(pcb_cli_jobj(result, "python"),
		    "version") ?: "?", pcb_cli_jstr(pcb_cli_jobj(result, "python"), "path") ?: "?");
		return;
	}
	if ((kind != NULL && strcmp(kind, "rebase") == 0) ||
	    (kind == NULL && id != NULL && pcb_str_has_prefix(id, "r-"))) {
		render_rebased(out, result);
		return;
	}
	ref = image_ref(job);
	if (r != NULL && r->prog.last_ms > r->prog.first_ms) {
		char t[16];
		pcb_progress_duration(r->prog.last_ms - r->prog.first_ms, t);
		fprintf(out, "Built %s in %s\n", ref, t);
	} else {
		fprintf(out, "Built %s\n", ref);
	}
	fprintf(out, "  manifest %s\n", manifest ?: "?");
	render_layers(out, result);
	if (r != NULL && r->prog.n_steps > 0) {
		char times[1024];
		pcb_progress_phase_times(&r->prog, times, sizeof times);
		fprintf(out, "  steps    %s\n", times);
	}
	for (i = 0; outputs != NULL && i < json_object_array_length(outputs); i++) {
		json_object *o = json_object_array_get_idx(outputs, i);
		fprintf(out, "  output %s %s\n", pcb_cli_jstr(o, "type") ?: "?",
		    pcb_cli_jstr(o, "path") ?: "?");
	}
	render_pushed(out, result);
	free(ref);
}
