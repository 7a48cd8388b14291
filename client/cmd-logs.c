/* cmd-logs.c — `pcb logs [-f] ID`: replays a job's events (GET /v1/builds/{id}/events for a
 * build, /v1/jobs/{id}/events for a push or pull) readably on stdout. The daemon's stream always
 * follows a live build to its end, so without -f the client decides when "what exists so far"
 * has been shown: a finished build's stream ends by itself; for a live one, pcb stops once no
 * bytes have arrived for 200 ms after the first event (the replay of stored events comes in one
 * burst, live ones trickle). */
#include "pcb.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb logs [-f] [--json] [--progress MODE] ID\n"
    "\n"
    "Show the events of build, push or pull ID (b-..., p-..., l-...): state changes, phases,\n"
    "progress, log lines, layers, blob transfers, result.\n"
    "\n"
    "Options:\n"
    "  -f, --follow  keep following a running job until it ends\n"
    "      --json    print each event's JSON data, one per line (--progress rawjson)\n"
    "      --progress MODE\n"
    "                auto (default: tty when following a running job on a terminal,\n"
    "                else plain), tty (a live view), plain (a line per event, with\n"
    "                its time), rawjson or quiet\n"
    "  -h, --help    show this help\n"
    "\n"
    "Without -f, the events of a running job are shown up to the moment the stream has\n"
    "been quiet for 200 ms, then pcb exits.\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_logs = {
	.name = "logs",
	.summary = "Show the events of a build, push or pull",
	.usage = usage,
	.fn = run,
};

/* Quiet time after which a non-follow replay of a live build stops, and the longest wait for
 * the first event. */
#define IDLE_STOP_MS 200
#define FIRST_EVENT_MS 5000

enum { OPT_JSON = 1000, OPT_PROGRESS };

struct logs {
	struct pcb_render render;
	bool follow;
	bool events_seen;
};

static int
on_event(void *ud, const struct pcb_sse_event *ev)
{
	struct logs *l = ud;

	l->events_seen = true;
	pcb_render_event(&l->render, ev);
	return 0;
}

static int
on_tick(void *ud, int64_t idle_ms)
{
	struct logs *l = ud;

	if (l->follow)
		return 0;
	return (l->events_seen && idle_ms >= IDLE_STOP_MS) || idle_ms >= FIRST_EVENT_MS;
}

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pcb_http_events_cb cb = { on_event, on_tick, NULL };
	struct logs l;
	json_object *b = NULL;
	struct pcb_err err;
	const char *id;
	char *path = NULL;
	bool json = false;
	enum pcb_progress_mode mode = PCB_PROGRESS_AUTO;
	int c, rc = PCB_EXIT_OK;

	memset(&l, 0, sizeof l);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			l.follow = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_PROGRESS:
			if ((rc = pcb_progress_opt(&pcb_cmd_logs, optarg, &mode)) != PCB_EXIT_OK)
				goto out;
			break;
		case 'h':
			rc = pcb_cli_help(&pcb_cmd_logs);
			goto out;
		default:
			rc = pcb_cli_opt_error(&pcb_cmd_logs, c, argv);
			goto out;
		}
	}
	if (argc - optind != 1) {
		rc = argc - optind == 0 ? pcb_cli_usage_error(&pcb_cmd_logs, "missing build ID") :
		    pcb_cli_usage_error(&pcb_cmd_logs, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	id = argv[optind];
	if (id[0] == '\0' || strpbrk(id, "/?#% ") != NULL) {
		rc = pcb_cli_usage_error(&pcb_cmd_logs, "'%s' is not a build ID", id);
		goto out;
	}
	/* Ask for the build first: a finished one needs no idle guess, and an unknown id gets
	 * the daemon's plain 404 message. */
	path = pcb_job_path(id, NULL);
	if (pcb_http_request(h, "GET", path, NULL, &b, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	/* A log is a record, a line per event; a live view only for a job being followed. */
	if (json)
		mode = PCB_PROGRESS_RAWJSON;
	else if (mode == PCB_PROGRESS_AUTO)
		mode = l.follow && !pcb_cli_state_final(pcb_cli_jstr(b, "state")) ?
		    pcb_progress_resolve(mode, stdout) : PCB_PROGRESS_PLAIN;
	if (pcb_cli_state_final(pcb_cli_jstr(b, "state")))
		l.follow = true;        /* the stream ends by itself */
	pcb_render_init_mode(&l.render, stdout, mode);
	l.render.show_end = true;
	cb.ud = &l;
	free(path);
	path = pcb_job_path(id, "/events");
	if (pcb_http_events(h, path, &cb, &err) != 0)
		rc = pcb_cli_fail(h, &err);
	pcb_render_done(&l.render);
out:
	pcb_render_free(&l.render);
	json_object_put(b);
	free(path);
	return rc;
}
