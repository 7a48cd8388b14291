/* pcb.h — what the client's files share: the command table entry each cmd-*.c defines, exit
 * codes, option-error and JSON helpers (cli.c), submitting and tailing a job (job.c), and the
 * readable rendering of job events and results (render.c). Client code only; the client is
 * single-threaded. */
#ifndef PCB_CLIENT_PCB_H
#define PCB_CLIENT_PCB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "http.h"
#include "progress.h"
#include "sse.h"

/* Exit codes, documented in man/pcb.1. */
enum {
	PCB_EXIT_OK = 0,
	PCB_EXIT_FAIL = 1,        /* the request or the build failed */
	PCB_EXIT_USAGE = 2,       /* bad flags or arguments; also: the daemon cannot be reached */
	PCB_EXIT_CANCELLED = 130, /* the build ended cancelled (128 + SIGINT, as shells do) */
};

/* One command. Each cmd-*.c defines one; main.c lists them. */
struct pcb_cmd {
	const char *name;
	const char *summary;       /* one line for `pcb help` */
	const char *usage;         /* full text for `pcb help NAME` / `pcb NAME --help` */
	/* argv[0] is the command name; getopt state is fresh. Returns an exit code. h is
	 * initialised but nothing has been sent yet. */
	int (*fn)(struct pcb_http *h, int argc, char **argv);
};

extern const struct pcb_cmd pcb_cmd_build;
extern const struct pcb_cmd pcb_cmd_builds;
extern const struct pcb_cmd pcb_cmd_logs;
extern const struct pcb_cmd pcb_cmd_cancel;
extern const struct pcb_cmd pcb_cmd_version;
extern const struct pcb_cmd pcb_cmd_push;
extern const struct pcb_cmd pcb_cmd_pull;
extern const struct pcb_cmd pcb_cmd_base;
extern const struct pcb_cmd pcb_cmd_login;
extern const struct pcb_cmd pcb_cmd_logout;
extern const struct pcb_cmd pcb_cmd_cache;
extern const struct pcb_cmd pcb_cmd_completion;
extern const struct pcb_cmd pcb_cmd_images;
extern const struct pcb_cmd pcb_cmd_ls;
extern const struct pcb_cmd pcb_cmd_inspect;
extern const struct pcb_cmd pcb_cmd_history;
extern const struct pcb_cmd pcb_cmd_tag;
extern const struct pcb_cmd pcb_cmd_rm;
extern const struct pcb_cmd pcb_cmd_save;
extern const struct pcb_cmd pcb_cmd_sbom;
extern const struct pcb_cmd pcb_cmd_rebase;

/* main.c: the command table, in `pcb help` order (for `pcb completion`). */
const struct pcb_cmd *const *pcb_cli_commands(size_t *n);

/* cli.c */

/* Prints "pcb NAME: <message>" and a pointer to --help on stderr; returns PCB_EXIT_USAGE. */
int pcb_cli_usage_error(const struct pcb_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For getopt_long's '?' and ':' returns (optstring must start with ':'): names the flag. */
int pcb_cli_opt_error(const struct pcb_cmd *cmd, int c, char **argv);
/* Prints usage on stdout for --help; returns PCB_EXIT_OK. */
int pcb_cli_help(const struct pcb_cmd *cmd);
/* Prints "pcb: <err->msg>" on stderr; returns PCB_EXIT_USAGE when the daemon could not be
 * reached, else PCB_EXIT_FAIL. */
int pcb_cli_fail(const struct pcb_http *h, const struct pcb_err *err);
/* Prints j as indented JSON and a newline. */
void pcb_cli_print_json(FILE *out, json_object *j);

/* Borrowed lookups that tolerate missing keys and wrong types (NULL / fallback). */
const char *pcb_cli_jstr(json_object *o, const char *key);
json_object *pcb_cli_jobj(json_object *o, const char *key);   /* an object member, or NULL */
json_object *pcb_cli_jarr(json_object *o, const char *key);   /* an array member, or NULL */
int64_t pcb_cli_jint(json_object *o, const char *key, int64_t fallback);
/* Parses "2026-11-26T15:57:31.123Z" (milliseconds optional) to ms since the epoch; -1 if not. */
int64_t pcb_cli_parse_time(const char *s);
/* True for the three final build states. */
bool pcb_cli_state_final(const char *state);

/* job.c */

struct pcb_job_opts {
	bool json;     /* print the final job resource as JSON on stdout */
	bool quiet;    /* no progress lines; without json print the manifest digest on stdout */
	/* How events are shown on stderr (--progress; quiet implies QUIET). QUIET without
	 * quiet prints nothing but errors: no summary, no digest. */
	enum pcb_progress_mode progress;
};
/* The resource path of a job: "/v1/builds/<id>" for builds (b-…), "/v1/jobs/<id>" for
 * pushes (p-…), pulls (l-…) and bases (h-…), with suffix ("/events", may be NULL) appended. Caller frees. */
char *pcb_job_path(const char *id, const char *suffix);
/* "build", "push", "pull" or "base": the job's "kind", else guessed from its id. Borrowed. */
const char *pcb_job_kind(json_object *job);
/* POSTs body (JSON text) to post_path, tails the job's events on stderr, fetches the final
 * resource and reports it. Returns an exit code. */
int pcb_job_submit(struct pcb_http *h, const char *post_path, const char *body,
    const struct pcb_job_opts *o);
/* The same; *job_out gets the final job resource, whatever its state, or NULL when it could
 * not be had (caller puts): for what a command does after the job (pcb build's --iidfile,
 * --metadata-file, --load). */
int pcb_job_submit_ex(struct pcb_http *h, const char *post_path, const char *body,
    const struct pcb_job_opts *o, json_object **job_out);

/* cmd-rebase.c: `pcb build --rebase-only`. Asks for the plan of the build spec (POST
 * /v1/plan), then rebases the image under the plan's first tag onto the plan's base and
 * gives it every tag of the plan (POST /v1/rebases), with credentials from reg for the base's
 * registry; tailed as o says. Returns an exit code. */
struct pcb_regopts;
int pcb_rebase_from_plan(struct pcb_http *h, json_object *spec, const struct pcb_regopts *reg,
    const struct pcb_job_opts *o);

/* render.c */

struct pcb_render {
	FILE *out;             /* NULL: only track seq and the end state (quiet) */
	bool tty;              /* progress redraws one line instead of printing many (escape
	                        * codes allowed: pcb_progress_escapes_ok) */
	bool timestamps;       /* plain mode: each line starts with the event's time */
	struct pcb_progress prog;   /* step times for the summary; tty mode's live view */
	bool progress_open;    /* a progress line without its newline is on screen */
	bool show_end;         /* print the end event (logs) or leave it to the caller (build) */
	bool raw_json;         /* print each event's data JSON as it came (logs --json) */
	int64_t last_seq;      /* highest seq seen, 0 before the first event */
	bool saw_end;
	char end_state[16];    /* state from the end event */
};

void pcb_render_init(struct pcb_render *r, FILE *out);
/* The same for a --progress mode (AUTO resolved against out): TTY draws the live view, PLAIN
 * prints a line per event with its time, RAWJSON each event's JSON, QUIET nothing. */
void pcb_render_init_mode(struct pcb_render *r, FILE *out, enum pcb_progress_mode mode);
void pcb_render_free(struct pcb_render *r);
void pcb_render_event(struct pcb_render *r, const struct pcb_sse_event *ev);
/* Ends an open progress line. */
void pcb_render_flush(struct pcb_render *r);
/* "812 B", "1.2 KiB", "40.0 MiB". */
void pcb_render_size(uint64_t n, char out[32]);
/* The job's events are over: the live view's last step collapses. */
void pcb_render_done(struct pcb_render *r);
/* The closing lines for a succeeded job: "Built hello:latest", manifest, outputs and
 * "Pushed TARGET DIGEST" lines for a build or push; "Pulled REF" for a pull. */
void pcb_render_result(FILE *out, json_object *build);
/* The same, with what only the events tell: for a build the image's size, its layers new and
 * reused (with bytes) and the time of each step; r may be NULL. */
void pcb_render_summary(const struct pcb_render *r, FILE *out, json_object *job);

#endif
