/* progress.c — the --progress modes and tty mode's live view (see progress.h).
 *
 * The live view keeps an area at the bottom of the terminal: the running step ("=> [4/9]
 * pack  packing the app layer  1.2s") and a line per layer or blob of that step in flight
 * (bytes done/total, %, rate, elapsed). Each redraw moves the cursor back to the area's top
 * and writes it again; lines are cut to the terminal's width so that none wraps (a wrapped
 * line would make the cursor-up count wrong). When a step ends, the area is replaced by one
 * line for that step with its time, which stays in the scrollback, and the next step's area
 * starts under it. Warnings go above the area the same way.
 *
 * Without escape codes (NO_COLOR, TERM=dumb) nothing can be redrawn: each step is printed
 * once, when it ends, with its time, and warnings as they come. Durations come from the
 * daemon's event times, so a replay shows the same times as the live job did. */
#include "progress.h"
#include "pcb.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Redraws at most this often, besides those a step change forces: progress events come in
 * bursts for parallel layers, and a terminal need not be written 50 times a second. */
#define REDRAW_MIN_MS 100

struct pcb_progress_row {
	char key[80];        /* layer name or blob digest */
	char label[48];      /* what the line starts with: "app", "↓ sha256:…" */
	uint64_t done, total;
	int64_t first_ms, last_ms;
};

int
pcb_progress_parse(const char *s, enum pcb_progress_mode *out)
{
	static const char *const names[] = { "auto", "tty", "plain", "rawjson", "quiet" };

	for (size_t i = 0; i < PCB_ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum pcb_progress_mode)i;
			return 0;
		}
	return -1;
}

int
pcb_progress_opt(const struct pcb_cmd *cmd, const char *arg, enum pcb_progress_mode *out)
{
	if (pcb_progress_parse(arg, out) != 0)
		return pcb_cli_usage_error(cmd, "--progress: '%s' is not one of "
		    PCB_PROGRESS_CHOICES, arg);
	return PCB_EXIT_OK;
}

enum pcb_progress_mode
pcb_progress_resolve(enum pcb_progress_mode m, FILE *out)
{
	if (m != PCB_PROGRESS_AUTO)
		return m;
	return out != NULL && isatty(fileno(out)) == 1 ? PCB_PROGRESS_TTY : PCB_PROGRESS_PLAIN;
}

bool
pcb_progress_escapes_ok(FILE *out)
{
	const char *term = getenv("TERM"), *nc = getenv("NO_COLOR");

	if (out == NULL || isatty(fileno(out)) != 1)
		return false;
	if (nc != NULL && nc[0] != '\0')
		return false;
	return term != NULL && term[0] != '\0' && strcmp(term, "dumb") != 0;
}

void
pcb_progress_duration(int64_t ms, char out[16])
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		snprintf(out, 16, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(out, 16, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000 % 60));
}

void
pcb_progress_init(struct pcb_progress *p, FILE *out, bool live)
{
	struct winsize ws;

	memset(p, 0, sizeof *p);
	p->out = out;
	p->live = live && out != NULL;
	p->escapes = p->live && pcb_progress_escapes_ok(out);
	p->width = 80;
	if (p->escapes && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		p->width = ws.ws_col;
}

void
pcb_progress_free(struct pcb_progress *p)
{
	free(p->rows);
	p->rows = NULL;
	p->n_rows = p->cap_rows = 0;
}

static const char *
color(const struct pcb_progress *p, const char *code)
{
	return p->escapes ? code : "";
}

#define C_RESET "\033[0m"
#define C_DIM "\033[2m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_BLUE "\033[34m"

static struct pcb_progress_step *
cur_step(struct pcb_progress *p)
{
	return p->n_steps > 0 ? &p->steps[p->n_steps - 1] : NULL;
}

/* Cuts s (UTF-8) to at most `cols` characters, counting code points, not bytes. */
static void
fit(char *s, int cols)
{
	int n = 0;

	for (char *c = s; *c != '\0'; c++) {
		if (((unsigned char)*c & 0xC0) == 0x80)
			continue;
		if (n++ == cols) {
			*c = '\0';
			return;
		}
	}
}

/* Moves to the top of the live area and clears it. */
static void
clear_area(struct pcb_progress *p)
{
	if (!p->escapes || p->drawn == 0)
		return;
	fprintf(p->out, "\r\033[%dA\033[J", p->drawn);
	p->drawn = 0;
}

static void
step_label(const struct pcb_progress *p, const struct pcb_progress_step *s, char out[32])
{
	if (p->count > 0)
		snprintf(out, 32, "[%d/%d]", s->index, p->count);
	else
		snprintf(out, 32, "[%d]", s->index);
}

/* The line a finished step collapses to. */
static void
print_done_step(struct pcb_progress *p, const struct pcb_progress_step *s, bool failed)
{
	char lbl[32], t[16], line[512];

	step_label(p, s, lbl);
	pcb_progress_duration((s->end_ms ? s->end_ms : p->last_ms) - s->start_ms, t);
	snprintf(line, sizeof line, "%s %s %-8s %s", failed ? "ERROR" : "=>", lbl, s->phase,
	    s->message);
	if (p->escapes)
		fit(line, p->width - 8);
	fprintf(p->out, "%s%s%s %s%s%s\n", color(p, failed ? C_RED : C_GREEN), line,
	    color(p, C_RESET), color(p, C_DIM), t, color(p, C_RESET));
}

static void
row_line(const struct pcb_progress *p, const struct pcb_progress_row *r, char *buf,
    size_t size)
{
	char a[32], b[32], rate[32], t[16];
	int64_t el = r->last_ms - r->first_ms;
	int pct = r->total > 0 ? (int)(r->done * 100 / r->total) : 0;

	(void)p;
	pcb_render_size(r->done, a);
	pcb_render_size(r->total, b);
	if (el > 0) {
		pcb_render_size((uint64_t)((double)r->done * 1000.0 / (double)el), rate);
		strcat(rate, "/s");
	} else {
		snprintf(rate, sizeof rate, "-");
	}
	pcb_progress_duration(el, t);
	snprintf(buf, size, "   %-24s %10s / %-10s %3d%% %12s %6s", r->label, a, b, pct, rate, t);
}

/* Writes the live area again (escapes only). force: now, whatever the time. */
static void
draw(struct pcb_progress *p, bool force)
{
	struct pcb_progress_step *s = cur_step(p);
	int64_t now = pcb_monotonic_ms();
	char lbl[32], t[16], line[512];

	if (!p->escapes || s == NULL || p->finished)
		return;
	if (!force && now - p->drawn_at < REDRAW_MIN_MS)
		return;
	p->drawn_at = now;
	clear_area(p);
	step_label(p, s, lbl);
	pcb_progress_duration(p->last_ms - s->start_ms, t);
	snprintf(line, sizeof line, "=> %s %-8s %s", lbl, s->phase, s->message);
	fit(line, p->width - 9);
	fprintf(p->out, "%s%s%s %s%s%s\n", color(p, C_BLUE), line, color(p, C_RESET),
	    color(p, C_DIM), t, color(p, C_RESET));
	p->drawn = 1;
	for (int i = 0; i < p->n_rows; i++) {
		row_line(p, &p->rows[i], line, sizeof line);
		fit(line, p->width - 1);
		fprintf(p->out, "%s\n", line);
		p->drawn++;
	}
	fflush(p->out);
}

/* The running step ends at time `at`: it collapses to one line (printed in both escape
 * modes: it is the record of the step). */
static void
end_step(struct pcb_progress *p, int64_t at, bool failed)
{
	struct pcb_progress_step *s = cur_step(p);

	if (s == NULL || s->end_ms != 0)
		return;
	s->end_ms = at > 0 ? at : p->last_ms;
	p->n_rows = 0;
	if (!p->live)
		return;
	clear_area(p);
	print_done_step(p, s, failed);
	fflush(p->out);
}

static void
begin_step(struct pcb_progress *p, int index, const char *phase, int64_t at)
{
	struct pcb_progress_step *s;

	end_step(p, at, false);
	if (p->n_steps == (int)PCB_ARRAY_LEN(p->steps)) {
		/* A job of more steps than that: the oldest go (their lines are printed). */
		memmove(&p->steps[0], &p->steps[1], sizeof p->steps - sizeof p->steps[0]);
		p->n_steps--;
	}
	s = &p->steps[p->n_steps++];
	memset(s, 0, sizeof *s);
	s->index = index;
	snprintf(s->phase, sizeof s->phase, "%s", phase != NULL ? phase : "");
	s->start_ms = at;
}

static struct pcb_progress_row *
row_get(struct pcb_progress *p, const char *key, const char *label, int64_t at)
{
	struct pcb_progress_row *r;

	for (int i = 0; i < p->n_rows; i++)
		if (strcmp(p->rows[i].key, key) == 0)
			return &p->rows[i];
	if (p->n_rows == p->cap_rows) {
		p->cap_rows = p->cap_rows ? p->cap_rows * 2 : 8;
		p->rows = pcb_xrealloc(p->rows, (size_t)p->cap_rows * sizeof *p->rows);
	}
	r = &p->rows[p->n_rows++];
	memset(r, 0, sizeof *r);
	snprintf(r->key, sizeof r->key, "%s", key);
	snprintf(r->label, sizeof r->label, "%s", label);
	r->first_ms = r->last_ms = at;
	return r;
}

/* A warning or error line: above the live area, kept. */
static void
print_note(struct pcb_progress *p, const char *level, const char *msg)
{
	bool err = strcmp(level, "error") == 0;

	clear_area(p);
	fprintf(p->out, "%s%s%s %s\n", color(p, err ? C_RED : C_YELLOW), err ? "error:" :
	    "warning:", color(p, C_RESET), msg);
	fflush(p->out);
}

bool
pcb_progress_event(struct pcb_progress *p, json_object *ev)
{
	const char *type = pcb_cli_jstr(ev, "type"), *phase = pcb_cli_jstr(ev, "phase");
	json_object *step = pcb_cli_jobj(ev, "step");
	int64_t at = pcb_cli_parse_time(pcb_cli_jstr(ev, "time"));
	int index = (int)pcb_cli_jint(step, "index", -1);
	int count = (int)pcb_cli_jint(step, "count", 0);
	struct pcb_progress_step *s;

	/* Without the live view only steps are tracked (rows are for drawing). */
	if (type == NULL)
		return false;
	if (at > 0) {
		if (p->first_ms == 0)
			p->first_ms = at;
		p->last_ms = at;
	}
	if (count > 0)
		p->count = count;
	s = cur_step(p);
	/* A new step: by the daemon's numbering, or (a daemon that does not number) a phase
	 * other than the running step's. */
	if (index > 0 && (s == NULL || index != s->index))
		begin_step(p, index, phase, at);
	else if (index < 0 && phase != NULL && strcmp(type, "phase") == 0 &&
	    (s == NULL || strcmp(s->phase, phase) != 0))
		begin_step(p, s != NULL ? s->index + 1 : 1, phase, at);
	s = cur_step(p);
	if (s != NULL && s->phase[0] == '\0' && phase != NULL)
		snprintf(s->phase, sizeof s->phase, "%s", phase);

	if (strcmp(type, "phase") == 0 && s != NULL) {
		snprintf(s->message, sizeof s->message, "%s", pcb_cli_jstr(ev, "message") ?: "");
	} else if (strcmp(type, "progress") == 0 && s != NULL && p->live) {
		const char *layer = pcb_cli_jstr(ev, "layer") ?: "?";
		struct pcb_progress_row *r = row_get(p, layer, layer, at);
		r->done = (uint64_t)pcb_cli_jint(ev, "done", 0);
		r->total = (uint64_t)pcb_cli_jint(ev, "total", 0);
		r->last_ms = at;
	} else if (strcmp(type, "blob") == 0 && s != NULL && p->live) {
		json_object *b = pcb_cli_jobj(ev, "blob");
		const char *d = pcb_cli_jstr(b, "digest") ?: "?", *action = pcb_cli_jstr(b, "action");
		char label[48];

		if (action != NULL && (strcmp(action, "upload") == 0 ||
		    strcmp(action, "download") == 0)) {
			struct pcb_progress_row *r;
			snprintf(label, sizeof label, "%s %.19s", action[0] == 'u' ? "push" : "pull",
			    d);
			r = row_get(p, d, label, at);
			r->done = (uint64_t)pcb_cli_jint(b, "done", 0);
			r->total = (uint64_t)pcb_cli_jint(b, "total", 0);
			r->last_ms = at;
		}
	} else if (strcmp(type, "layer") == 0 && s != NULL && p->live) {
		json_object *l = pcb_cli_jobj(ev, "layer");
		const char *name = pcb_cli_jstr(l, "name") ?: "?";
		struct pcb_progress_row *r = row_get(p, name, name, at);
		r->done = (uint64_t)pcb_cli_jint(ev, "done", pcb_cli_jint(l, "size", 0));
		r->total = (uint64_t)pcb_cli_jint(ev, "total", pcb_cli_jint(l, "size", 0));
		r->last_ms = at;
		if (json_object_get_boolean(json_object_object_get(l, "reused")))
			snprintf(r->label, sizeof r->label, "%.38s reused", name);
	} else if (strcmp(type, "log") == 0) {
		const char *level = pcb_cli_jstr(ev, "level") ?: "info";
		const char *msg = pcb_cli_jstr(ev, "message") ?: "";
		if (strcmp(level, "info") != 0) {
			if (p->live)
				print_note(p, level, msg);
		} else if (s != NULL) {
			/* What the step does now, on its own line (the first line of it). */
			size_t n = strcspn(msg, "\n");
			snprintf(s->message, sizeof s->message, "%.*s", (int)n, msg);
		}
	} else if (strcmp(type, "end") == 0) {
		const char *state = pcb_cli_jstr(ev, "state");
		p->failed = state != NULL && strcmp(state, "succeeded") != 0;
		end_step(p, at, p->failed);
		p->finished = true;
		return p->live;
	} else if (strcmp(type, "state") == 0 || strcmp(type, "result") == 0) {
		return p->live;   /* the summary says it */
	}
	/* A step and a finished layer are always drawn (a layer shows at least once, even
	 * when it took less than a redraw's interval); progress only every REDRAW_MIN_MS. */
	if (p->live)
		draw(p, strcmp(type, "phase") == 0 || strcmp(type, "layer") == 0);
	return p->live;
}

void
pcb_progress_clear(struct pcb_progress *p)
{
	clear_area(p);
	if (p->out != NULL)
		fflush(p->out);
}

void
pcb_progress_finish(struct pcb_progress *p)
{
	if (!p->finished)
		end_step(p, p->last_ms, false);
	p->finished = true;
	if (p->live)
		clear_area(p);
}

void
pcb_progress_phase_times(const struct pcb_progress *p, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->n_steps && n + 1 < size; i++) {
		const struct pcb_progress_step *s = &p->steps[i];
		char t[16];
		int w;

		pcb_progress_duration((s->end_ms ? s->end_ms : p->last_ms) - s->start_ms, t);
		w = snprintf(buf + n, size - n, "%s%s %s", i > 0 ? ", " : "", s->phase[0] ?
		    s->phase : "?", t);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}
