/* job.c — what `pcb build`, `pcb push` and `pcb pull` have in common once their request is
 * made: submit it, tail the job's events readably on stderr (Ctrl-C once cancels the job and
 * keeps tailing until the daemon says it ended; twice quits at once), then fetch the final
 * resource and exit by its state. Builds are addressed under /v1/builds (so this works with a
 * daemon that predates /v1/jobs), pushes and pulls under /v1/jobs. */
#include "creds.h"
#include "pcb.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
pcb_job_path(const char *id, const char *suffix)
{
	const char *coll = pcb_str_has_prefix(id, "b-") ? "/v1/builds" : "/v1/jobs";

	return pcb_xasprintf("%s/%s%s", coll, id, suffix != NULL ? suffix : "");
}

const char *
pcb_job_kind(json_object *job)
{
	const char *kind = pcb_cli_jstr(job, "kind"), *id = pcb_cli_jstr(job, "id");

	if (kind != NULL)
		return kind;
	if (id != NULL && pcb_str_has_prefix(id, "p-"))
		return "push";
	if (id != NULL && pcb_str_has_prefix(id, "l-"))
		return "pull";
	if (id != NULL && pcb_str_has_prefix(id, "h-"))
		return "base";
	if (id != NULL && pcb_str_has_prefix(id, "v-"))
		return "verify";
	if (id != NULL && pcb_str_has_prefix(id, "r-"))
		return "rebase";
	return "build";
}

/* Ctrl-C count. The first asks the daemon to cancel (from the tail loop, not from here: a
 * handler may not do HTTP); the second leaves at once. */
static volatile sig_atomic_t interrupts;

static void
on_sigint(int sig)
{
	(void)sig;
	if (++interrupts >= 2)
		_exit(PCB_EXIT_CANCELLED);
}

struct tail {
	struct pcb_http *h;
	struct pcb_render render;
	const char *id;
	bool cancel_sent;
};

static int
tail_event(void *ud, const struct pcb_sse_event *ev)
{
	struct tail *t = ud;

	pcb_render_event(&t->render, ev);
	return 0;
}

static int
tail_tick(void *ud, int64_t idle_ms)
{
	struct tail *t = ud;
	struct pcb_err err;
	json_object *b = NULL;
	char *path;

	(void)idle_ms;
	if (interrupts == 0 || t->cancel_sent)
		return 0;
	t->cancel_sent = true;
	pcb_render_flush(&t->render);
	fprintf(stderr, "pcb: cancelling %s (Ctrl-C again to stop waiting)\n", t->id);
	path = pcb_job_path(t->id, NULL);
	/* A 409 means it finished meanwhile: the stream will say how, so keep tailing. */
	if (pcb_http_request(t->h, "DELETE", path, NULL, &b, &err) != 0 &&
	    err.http_status != 409)
		fprintf(stderr, "pcb: cancel: %s\n", err.msg);
	json_object_put(b);
	free(path);
	return 0;
}

/* The digest -q prints: the manifest built, pushed or pulled. */
static const char *
job_digest(json_object *job)
{
	json_object *result = pcb_cli_jobj(job, "result");
	json_object *pushed = pcb_cli_jarr(result, "pushed");
	const char *d = pcb_cli_jstr(pcb_cli_jobj(result, "manifest"), "digest");

	if (d == NULL && pushed != NULL && json_object_array_length(pushed) > 0)
		d = pcb_cli_jstr(json_object_array_get_idx(pushed, 0), "digest");
	return d != NULL ? d : "";
}

/* The end of a job: fetch its resource and report it. rd: the events' rendering (the
 * summary's step times). */
static int
finish(struct pcb_http *h, const struct pcb_job_opts *o, const struct pcb_render *rd,
    const char *id, json_object **job_out)
{
	json_object *b = NULL;
	struct pcb_err err;
	const char *state, *msg, *kind;
	char *path = pcb_job_path(id, NULL);
	int rc;

	if (pcb_http_request(h, "GET", path, NULL, &b, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	pcb_regopts_scrub(b);
	state = pcb_cli_jstr(b, "state");
	kind = pcb_job_kind(b);
	if (o->json)
		pcb_cli_print_json(stdout, b);
	if (state != NULL && strcmp(state, "succeeded") == 0) {
		/* rawjson leaves stderr to the events; --progress quiet shows nothing. */
		if (!o->quiet && rd->out != NULL && !rd->raw_json)
			pcb_render_summary(rd, stderr, b);
		else if (o->quiet && !o->json)
			printf("%s\n", job_digest(b));
		rc = PCB_EXIT_OK;
	} else if (state != NULL && strcmp(state, "cancelled") == 0) {
		fprintf(stderr, "pcb: %s %s cancelled\n", kind, id);
		rc = PCB_EXIT_CANCELLED;
	} else if (state != NULL && strcmp(state, "failed") == 0) {
		msg = pcb_cli_jstr(pcb_cli_jobj(b, "error"), "message");
		fprintf(stderr, "pcb: %s %s failed: %s\n", kind, id, msg ? msg : "(no message)");
		rc = PCB_EXIT_FAIL;
	} else {
		fprintf(stderr, "pcb: %s %s is %s but its event stream ended; follow it with "
		    "'pcb logs -f %s'\n", kind, id, state ? state : "in an unknown state", id);
		rc = PCB_EXIT_FAIL;
	}
out:
	if (job_out != NULL)
		*job_out = json_object_get(b);
	json_object_put(b);
	free(path);
	return rc;
}

int
pcb_job_submit(struct pcb_http *h, const char *post_path, const char *body,
    const struct pcb_job_opts *o)
{
	return pcb_job_submit_ex(h, post_path, body, o, NULL);
}

int
pcb_job_submit_ex(struct pcb_http *h, const char *post_path, const char *body,
    const struct pcb_job_opts *o, json_object **job_out)
{
	struct pcb_http_events_cb cb = { tail_event, tail_tick, NULL };
	struct sigaction sa, old_sa;
	struct tail t;
	struct pcb_err err;
	json_object *b = NULL;
	const char *id;
	char *path = NULL, *events = NULL;
	int attempt, rc = PCB_EXIT_OK;
	bool sig_installed = false;

	memset(&t, 0, sizeof t);
	if (job_out != NULL)
		*job_out = NULL;
	if (pcb_http_request(h, "POST", post_path, body, &b, &err) != 0) {
		rc = pcb_cli_fail(h, &err);
		goto out;
	}
	id = pcb_cli_jstr(b, "id");
	if (id == NULL) {
		fprintf(stderr, "pcb: the daemon accepted the job but sent no id\n");
		rc = PCB_EXIT_FAIL;
		goto out;
	}
	t.h = h;
	t.id = id;
	pcb_render_init_mode(&t.render, stderr, o->quiet ? PCB_PROGRESS_QUIET : o->progress);
	cb.ud = &t;
	if (t.render.out != NULL && !t.render.raw_json)
		fprintf(stderr, "%s %s\n", pcb_job_kind(b), id);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_sa);     /* no SA_RESTART: let the poll wake up */
	sig_installed = true;

	/* The stream ends after the `end` event. If it breaks before (a proxy, a restart of
	 * the daemon), pick up after the last event seen, a couple of times. */
	events = pcb_job_path(id, "/events");
	for (attempt = 0; attempt < 3 && !t.render.saw_end; attempt++) {
		free(path);
		if (t.render.last_seq > 0)
			path = pcb_xasprintf("%s?after=%lld", events, (long long)t.render.last_seq);
		else
			path = pcb_xstrdup(events);
		if (pcb_http_events(h, path, &cb, &err) != 0) {
			pcb_render_flush(&t.render);
			rc = pcb_cli_fail(h, &err);
			goto out;
		}
	}
	pcb_render_done(&t.render);
	rc = finish(h, o, &t.render, id, job_out);
out:
	pcb_render_free(&t.render);
	if (sig_installed)
		sigaction(SIGINT, &old_sa, NULL);
	json_object_put(b);
	free(path);
	free(events);
	return rc;
}
