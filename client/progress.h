/* progress.h — how `pcb build`, `push`, `pull` and `logs` show a job's events: the
 * --progress modes, and the live terminal view of tty mode (one line per step and per layer
 * being packed, pulled or pushed, redrawn in place; finished steps collapse to one line with
 * their time). The view also times each step, for the closing summary of every mode.
 *
 * Client code only; the client is single-threaded. */
#ifndef PCB_CLIENT_PROGRESS_H
#define PCB_CLIENT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

enum pcb_progress_mode {
	PCB_PROGRESS_AUTO = 0,   /* tty on a terminal, plain otherwise */
	PCB_PROGRESS_TTY,        /* the live view */
	PCB_PROGRESS_PLAIN,      /* a line per event, with its time */
	PCB_PROGRESS_RAWJSON,    /* the daemon's events, one JSON object per line */
	PCB_PROGRESS_QUIET,      /* nothing but errors */
};

/* "auto", "tty", "plain", "rawjson", "quiet" → *out. Returns 0, or -1 for another word. */
int pcb_progress_parse(const char *s, enum pcb_progress_mode *out);
/* The names above, for usage texts: "auto|tty|plain|rawjson|quiet". */
#define PCB_PROGRESS_CHOICES "auto|tty|plain|rawjson|quiet"
/* The --progress line of a command's usage text. */
#define PCB_PROGRESS_USAGE \
    "      --progress MODE       how events are shown on stderr: auto (tty on a terminal,\n" \
    "                            plain otherwise), tty (a live view), plain (a line per\n" \
    "                            event, with its time), rawjson (the daemon's events as JSON\n" \
    "                            lines) or quiet (nothing but errors)\n"
struct pcb_cmd;
/* Parses a --progress argument for cmd into *out; returns PCB_EXIT_OK, or a usage error's
 * exit code (the message printed). */
int pcb_progress_opt(const struct pcb_cmd *cmd, const char *arg, enum pcb_progress_mode *out);
/* AUTO made concrete for out: TTY when out is a terminal, else PLAIN. */
enum pcb_progress_mode pcb_progress_resolve(enum pcb_progress_mode m, FILE *out);
/* Whether escape codes (cursor movement, colour) may go to out: a terminal, TERM is set
 * and not "dumb", and NO_COLOR (https://no-color.org) is unset or empty. */
bool pcb_progress_escapes_ok(FILE *out);

/* One step as seen so far. */
struct pcb_progress_step {
	int index;              /* 1-based, as the daemon numbers it */
	char phase[16];         /* the first phase of the step ("plan", "deps", …) */
	char message[160];      /* what it last said it does */
	int64_t start_ms, end_ms;   /* daemon time of its first event and of the next step's
	                             * (end_ms 0 while it runs) */
};

struct pcb_progress_row;

/* The tracker and, in tty mode, the live view. Fields are the module's; read `steps` for the
 * summary once pcb_progress_finish has run. */
struct pcb_progress {
	FILE *out;                 /* NULL: track only */
	bool live;                 /* draw the live view (tty mode) */
	bool escapes;              /* redraw in place and colour; without, finished steps are
	                            * printed once, each on its own line */
	int width;                 /* terminal columns (lines are cut to fit, so that the
	                            * cursor-up count of a redraw stays right) */
	struct pcb_progress_step steps[64];
	int n_steps;
	int count;                 /* steps the job has, 0 when unknown */
	int64_t first_ms, last_ms; /* daemon time of the first and the latest event */
	struct pcb_progress_row *rows;   /* layers and blobs of the running step */
	int n_rows, cap_rows;
	int drawn;                 /* lines of the live area on screen */
	int64_t drawn_at;          /* monotonic ms of the last redraw */
	bool finished;
	bool failed;
};

/* out may be NULL (track only). live: tty mode. Escapes are used when live and
 * pcb_progress_escapes_ok(out). */
void pcb_progress_init(struct pcb_progress *p, FILE *out, bool live);
void pcb_progress_free(struct pcb_progress *p);
/* One event (the parsed data of an SSE event; borrowed). Returns true when the event was
 * shown by the live view (the caller prints nothing more for it). */
bool pcb_progress_event(struct pcb_progress *p, json_object *ev);
/* Takes the live area off the screen, before other output (it comes back with the next
 * event). */
void pcb_progress_clear(struct pcb_progress *p);
/* The job ended (or the stream did): the last step collapses, the live area goes. */
void pcb_progress_finish(struct pcb_progress *p);
/* Writes "plan 0.1s, base 0.3s, …" (each step's phase and time) into buf. */
void pcb_progress_phase_times(const struct pcb_progress *p, char *buf, size_t size);
/* "0.4s", "12.3s", "2m05s". */
void pcb_progress_duration(int64_t ms, char out[16]);

#endif
