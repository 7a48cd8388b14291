/* jobs.c — build jobs: SQLite records, in-memory live jobs with their event logs and SSE
 * subscribers (loop thread), and the pthread worker pool that runs pcb_build_run().
 *
 * Ownership across threads: a queued job is reachable from the FIFO (under `mu`) and from the
 * live list (loop thread). A worker that pops a job reads its spec (immutable after submit) and
 * its cancel flag (atomic) and writes only its private progress state; everything it has to
 * say goes into the message queue. The loop frees a job only after the worker's DONE message,
 * which is the last message about that job, or when the job was taken off the FIFO unstarted. */
#include "jobs.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/jsonx.h"
#include "base/util.h"
#include "log.h"
#include "metrics.h"

#define ID_LEN 18                        /* "b-" + 16 hex */
#define SUB_MAX_BUFFER ((size_t)64 << 20) /* a reader that far behind is dropped */
#define PROGRESS_MIN_MS 200              /* <= 5 progress events per second per layer */
#define PROGRESS_SLOTS 16
#define KEEPALIVE_MS 15000               /* comment lines on idle streams */

struct ev {
	char *type;
	char *data;   /* the one-line data JSON, with seq, time and type */
};

struct progress_slot {
	char *layer;
	int64_t last_ms;
};

struct job {
	char id[ID_LEN + 1];
	struct pcb_jobs *jobs;
	enum pcb_job_kind kind;
	/* The spec of the job's kind (kinds[kind].spec_size bytes). Immutable after submit.
	 * Freed (credentials wiped) with the job, when it ends. */
	void *spec;
	atomic_int cancel;

	/* Loop thread. */
	char state[16];
	bool started;
	struct ev *events;
	size_t n_events, cap_events;
	struct pcb_sub *subs;
	struct job *next_live;

	/* Who submitted it (immutable after submit). has_owner false: from before owners were
	 * recorded, or submitted by the daemon itself. */
	bool has_owner;
	uid_t owner_uid;
	char owner[64];
	int max_running;          /* the owner's jobs run at most this many at once (0: any) */

	/* Guarded by jobs->mu. */
	struct job *qnext;
	struct job *rnext;        /* the running list */
	bool in_queue;
	int64_t taken_ms;         /* wall clock when a worker took it, 0 before */

	/* The worker running the job. */
	struct progress_slot progress[PROGRESS_SLOTS];
	int w_step, w_steps;      /* where the job is, for the events the engine leaves unstamped */

	/* Loop thread: the step of the last event, stamped on the daemon's own events. */
	int step, steps;
};

struct pcb_sub {
	struct pcb_jobs *jobs;
	struct job *job;          /* NULL once the stream has ended */
	struct pcb_sub *next, *prev;
	struct pcb_buf out;
	size_t pos;
	bool ended;
	void (*wake)(void *ud);
	void *wake_ud;
};

enum msg_kind { MSG_START, MSG_EVENT, MSG_DONE };

struct msg {
	struct msg *next;
	enum msg_kind kind;
	struct job *job;
	int64_t time_ms;
	const char *type;         /* static string */
	json_object *data;        /* owned */
	int rc;
	json_object *result;      /* owned */
	char *errmsg;
};

struct pcb_jobs {
	uv_loop_t *loop;
	sqlite3 *db;
	struct pcb_store *store;
	struct job *live;
	int n_subs;

	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct job *q_head, *q_tail;   /* FIFO of queued builds */
	struct job *r_head;            /* jobs a worker runs */
	struct msg *m_head, *m_tail;   /* worker → loop */
	bool stop;

	pthread_t *threads;
	int n_threads;
	uv_async_t async;
	uv_timer_t shutdown_timer;
	uv_timer_t keepalive;

	void (*finish_hook)(void *ud, enum pcb_job_kind k);
	void *finish_ud;

	bool stopping;
	bool done_called;
	void (*done)(void *ud);
	void *done_ud;
};

static const char *const interrupted_msg = "the daemon stopped while this build was running";

/* --- the kinds of job ------------------------------------------------------------------ */

/* What differs between kinds of job; records, events, cancellation and workers are shared.
 * Adding a kind is one row here (and its value in enum pcb_job_kind). */
struct job_kind {
	const char *name;         /* the `kind` column and field, log lines */
	char prefix;              /* ids are "<prefix>-<16 hex>" */
	bool adds_blobs;          /* its end may push the store over its limits (finish hook) */
	size_t spec_size;
	void (*spec_init)(void *spec);
	void (*spec_free)(void *spec);
	/* The spec as stored with the job and shown in its resource: never credentials. */
	json_object *(*spec_to_json)(const void *spec);
	/* The "queued (…)" part of the log line (caller frees). */
	char *(*describe)(const void *spec);
	/* Runs on a worker thread. */
	int (*run)(const void *spec, const struct pcb_build_ctx *ctx, json_object **result_out,
	    struct pcb_err *err);
};

/* The verify job: re-hash the store, each problem as a log event too. */
static void
verify_spec_init(struct pcb_verify_spec *s)
{
	s->repair = false;
}

static void
verify_spec_free(struct pcb_verify_spec *s)
{
	(void)s;
}

static json_object *
verify_spec_to_json(const struct pcb_verify_spec *s)
{
	json_object *sj = json_object_new_object();

	json_object_object_add(sj, "repair", json_object_new_boolean(s->repair));
	return sj;
}

static void
verify_emit(const struct pcb_build_ctx *ctx, const struct pcb_event *ev)
{
	if (ctx->emit != NULL)
		ctx->emit(ctx->emit_ud, ev);
}

static void
verify_progress(void *ud, uint64_t done, uint64_t total)
{
	struct pcb_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = PCB_EVENT_PROGRESS;
	ev.layer = "verify";
	ev.done = done;
	ev.total = total;
	verify_emit(ud, &ev);
}

static void
verify_phase(const struct pcb_build_ctx *ctx, const char *msg)
{
	struct pcb_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = PCB_EVENT_PHASE;
	ev.phase = "verify";
	ev.message = msg;
	verify_emit(ctx, &ev);
}

static int
verify_store(const struct pcb_verify_spec *s, const struct pcb_build_ctx *ctx,
    json_object **result_out, struct pcb_err *err)
{
	struct pcb_store_verify_report r;
	json_object *res, *bad;
	char *msg;
	int rc;

	verify_phase(ctx, s->repair ? "re-hashing every blob, repairing what is damaged" :
	    "re-hashing every blob");
	rc = pcb_store_verify(ctx->store, s->repair, ctx->cancel, verify_progress, (void *)ctx,
	    &r, err);
	if (rc != 0)
		goto out;
	res = json_object_new_object();
	bad = json_object_new_array();
	for (size_t i = 0; i < r.n_bad; i++) {
		const struct pcb_store_problem *p = &r.bad[i];
		json_object *b = json_object_new_object();
		struct pcb_event ev;

		json_object_object_add(b, "digest", json_object_new_string(p->digest));
		json_object_object_add(b, "problem", json_object_new_string(p->problem));
		json_object_object_add(b, "indexed_size", json_object_new_int64(
		    (int64_t)p->indexed_size));
		json_object_object_add(b, "file_size", json_object_new_int64((int64_t)p->file_size));
		json_object_object_add(b, "repaired", json_object_new_boolean(p->repaired));
		json_object_array_add(bad, b);
		msg = pcb_xasprintf("%s: %s%s", p->digest, p->problem, p->repaired ? ", repaired" :
		    "");
		memset(&ev, 0, sizeof ev);
		ev.type = PCB_EVENT_LOG;
		ev.level = "warn";
		ev.message = msg;
		verify_emit(ctx, &ev);
		free(msg);
	}
	json_object_object_add(res, "checked", json_object_new_int64((int64_t)r.checked));
	json_object_object_add(res, "bytes", json_object_new_int64((int64_t)r.bytes));
	json_object_object_add(res, "bad", bad);
	json_object_object_add(res, "repaired", json_object_new_int64((int64_t)r.repaired));
	json_object_object_add(res, "layer_cache_removed",
	    json_object_new_int64((int64_t)r.layer_cache_removed));
	*result_out = res;
out:
	pcb_store_verify_report_free(&r);
	return rc;
}

/* The typed engine functions behind a row's untyped slots. */
#define JOB_KIND_ADAPTERS(k, T, init_fn, free_fn, json_fn, run_fn)                         \
	static void k##_init(void *s) { init_fn((T *)s); }                                  \
	static void k##_free(void *s) { free_fn((T *)s); }                                  \
	static json_object *k##_json(const void *s) { return json_fn((const T *)s); }       \
	static int k##_run(const void *s, const struct pcb_build_ctx *ctx,                  \
	    json_object **result_out, struct pcb_err *err)                                  \
	{ return run_fn((const T *)s, ctx, result_out, err); }

JOB_KIND_ADAPTERS(build, struct pcb_build_spec, pcb_build_spec_init, pcb_build_spec_free,
    pcb_build_spec_to_json, pcb_build_run)
JOB_KIND_ADAPTERS(push, struct pcb_push_spec, pcb_push_spec_init, pcb_push_spec_free,
    pcb_push_spec_to_json, pcb_push_run)
JOB_KIND_ADAPTERS(pull, struct pcb_pull_spec, pcb_pull_spec_init, pcb_pull_spec_free,
    pcb_pull_spec_to_json, pcb_pull_run)
JOB_KIND_ADAPTERS(base, struct pcb_hostbase_spec, pcb_hostbase_spec_init,
    pcb_hostbase_spec_free, pcb_hostbase_spec_to_json, pcb_hostbase_run)
JOB_KIND_ADAPTERS(verify, struct pcb_verify_spec, verify_spec_init, verify_spec_free,
    verify_spec_to_json, verify_store)
JOB_KIND_ADAPTERS(rebase, struct pcb_rebase_spec, pcb_rebase_spec_init, pcb_rebase_spec_free,
    pcb_rebase_spec_to_json, pcb_rebase_run)

static char *
build_describe(const void *s)
{
	return pcb_xasprintf("context %s", ((const struct pcb_build_spec *)s)->context);
}

static char *
push_describe(const void *s)
{
	return pcb_xasprintf("source %.200s", ((const struct pcb_push_spec *)s)->source);
}

static char *
pull_describe(const void *s)
{
	return pcb_xasprintf("ref %.200s", ((const struct pcb_pull_spec *)s)->ref);
}

static char *
base_describe(const void *s)
{
	const struct pcb_hostbase_spec *b = s;

	return pcb_xasprintf("python %.200s, tag %.200s", b->python ? b->python :
	    "python3 on PATH", b->tag);
}

static char *
rebase_describe(const void *s)
{
	const struct pcb_rebase_spec *r = s;

	return pcb_xasprintf("image %.200s, base %.200s", r->image, r->base != NULL ? r->base :
	    "its base tag");
}

static char *
verify_describe(const void *s)
{
	return pcb_xstrdup(((const struct pcb_verify_spec *)s)->repair ?
	    "verify and repair the store" : "verify the store");
}

#define JOB_KIND(k, name, prefix, adds_blobs, T)                                            \
	{ name, prefix, adds_blobs, sizeof(T), k##_init, k##_free, k##_json, k##_describe,   \
	  k##_run }

static const struct job_kind kinds[] = {
	[PCB_JOB_BUILD] = JOB_KIND(build, "build", 'b', true, struct pcb_build_spec),
	[PCB_JOB_PUSH] = JOB_KIND(push, "push", 'p', false, struct pcb_push_spec),
	[PCB_JOB_PULL] = JOB_KIND(pull, "pull", 'l', true, struct pcb_pull_spec),
	[PCB_JOB_BASE] = JOB_KIND(base, "base", 'h', true, struct pcb_hostbase_spec),
	[PCB_JOB_VERIFY] = JOB_KIND(verify, "verify", 'v', false, struct pcb_verify_spec),
	/* A rebase is two small blobs and a tag, but its new base may have to be pulled first
	 * (network, credentials, cancel): a job like a pull, not a call that holds the loop's
	 * thread pool. */
	[PCB_JOB_REBASE] = JOB_KIND(rebase, "rebase", 'r', true, struct pcb_rebase_spec),
};

const char *
pcb_jobs_kind_name(enum pcb_job_kind k)
{
	return kinds[k].name;
}

int
pcb_jobs_kind_parse(const char *s, enum pcb_job_kind *out)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(kinds); i++)
		if (strcmp(s, kinds[i].name) == 0) {
			*out = (enum pcb_job_kind)i;
			return 0;
		}
	return PCB_EINVAL;
}

/* --- SQLite helpers ---------------------------------------------------------------------- */

static int
db_exec(struct pcb_jobs *j, const char *sql, struct pcb_err *err)
{
	char *msg = NULL;

	int src = sqlite3_exec(j->db, sql, NULL, NULL, &msg);

	if (src != SQLITE_OK) {
		/* A full disk is the caller's 507 disk_full, not an internal error. */
		int rc = pcb_err_set(err, (src & 0xff) == SQLITE_FULL ? PCB_ENOSPC : PCB_EIO,
		    "jobs.db: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return 0;
}

static sqlite3_stmt *
db_prep(struct pcb_jobs *j, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		/* The statements are fixed text: failing to prepare one is a bug. */
		pcb_log_error("jobs.db: preparing \"%s\": %s", sql, sqlite3_errmsg(j->db));
		abort();
	}
	return st;
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int
db_step_done(struct pcb_jobs *j, sqlite3_stmt *st, struct pcb_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return pcb_err_set(err, (rc & 0xff) == SQLITE_FULL ? PCB_ENOSPC : PCB_EIO,
		    "jobs.db: %s", sqlite3_errmsg(j->db));
	return 0;
}

static int
db_insert_event(struct pcb_jobs *j, const char *id, int64_t seq, int64_t time_ms,
    const char *type, const char *data)
{
	sqlite3_stmt *st = db_prep(j, "INSERT INTO events(build_id, seq, time_ms, type, data_json) "
	    "VALUES(?, ?, ?, ?, ?)");
	struct pcb_err e;
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int64(st, 3, time_ms);
	sqlite3_bind_text(st, 4, type, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, data, -1, SQLITE_TRANSIENT);
	rc = db_step_done(j, st, &e);
	if (rc != 0)
		pcb_log_error("recording event %" PRId64 " of %s: %s", seq, id, e.msg);
	return rc;
}

static json_object *
error_json(const char *code, const char *message)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	return e;
}

static json_object *
time_or_null(sqlite3_stmt *st, int col)
{
	char ts[32];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	pcb_time_rfc3339_ms(sqlite3_column_int64(st, col), ts);
	return json_object_new_string(ts);
}

static json_object *
parsed_or_null(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s != NULL ? json_tokener_parse(s) : NULL;
}

#define BUILD_COLS "id, state, created_ms, started_ms, finished_ms, cancel_requested, " \
	"spec_json, error_json, result_json, kind, owner"

/* The Build resource from a row selected with BUILD_COLS. */
static json_object *
build_from_row(sqlite3_stmt *st)
{
	json_object *b = json_object_new_object();
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *kind = (const char *)sqlite3_column_text(st, 9);
	/* Builds keep their historical events URL; other kinds only live under /v1/jobs. */
	char *url = pcb_xasprintf("/v1/%s/%s/events", strcmp(kind, "build") == 0 ? "builds" :
	    "jobs", id);

	json_object_object_add(b, "id", json_object_new_string(id));
	json_object_object_add(b, "kind", json_object_new_string(kind));
	json_object_object_add(b, "owner", sqlite3_column_type(st, 10) == SQLITE_NULL ? NULL :
	    json_object_new_string((const char *)sqlite3_column_text(st, 10)));
	json_object_object_add(b, "state",
	    json_object_new_string((const char *)sqlite3_column_text(st, 1)));
	json_object_object_add(b, "created_at", time_or_null(st, 2));
	json_object_object_add(b, "started_at", time_or_null(st, 3));
	json_object_object_add(b, "finished_at", time_or_null(st, 4));
	json_object_object_add(b, "cancel_requested",
	    json_object_new_boolean(sqlite3_column_int(st, 5) != 0));
	json_object_object_add(b, "spec", parsed_or_null(st, 6));
	json_object_object_add(b, "error", parsed_or_null(st, 7));
	json_object_object_add(b, "result", parsed_or_null(st, 8));
	json_object_object_add(b, "events_url", json_object_new_string(url));
	free(url);
	return b;
}

static const char *
what(const char *kind)
{
	return kind == NULL ? "job" : strcmp(kind, "build") == 0 ? "build" : kind;
}

/* Binds the owner filter: NULL (every job) for the daemon itself and admins. */
static void
bind_who(sqlite3_stmt *st, int i, const struct pcb_jobs_who *who)
{
	if (who == NULL || who->all)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, (int64_t)who->uid);
}

/* Whether who may see a live job (the same rule as bind_who's filter). */
static bool
who_sees(const struct pcb_jobs_who *who, const struct job *jb)
{
	return who == NULL || who->all || (jb->has_owner && jb->owner_uid == who->uid);
}

int
pcb_jobs_get(struct pcb_jobs *j, const char *id, const char *kind,
    const struct pcb_jobs_who *who, json_object **out, struct pcb_err *err)
{
	/* Another user's job is "not found", not "forbidden": ids are not confirmed. */
	sqlite3_stmt *st = db_prep(j, "SELECT " BUILD_COLS " FROM builds WHERE id = ? "
	    "AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR owner_uid = ?3)");
	json_object *b = NULL;
	int rc = 0, s;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 2, kind);
	bind_who(st, 3, who);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		b = build_from_row(st);
	else if (s == SQLITE_DONE)
		rc = pcb_err_set(err, PCB_ENOENT, "no %s with id %.100s", what(kind), id);
	else
		rc = pcb_err_set(err, PCB_EIO, "jobs.db: %s", sqlite3_errmsg(j->db));
	sqlite3_finalize(st);
	*out = b;
	return rc;
}

int
pcb_jobs_list(struct pcb_jobs *j, const char *kind, const char *state, int limit,
    const struct pcb_jobs_who *who, const char *key, json_object **out, struct pcb_err *err)
{
	sqlite3_stmt *st;
	json_object *arr = json_object_new_array(), *res = NULL;
	int rc = 0, s;

	/* rowid breaks ties between jobs created in the same millisecond. */
	st = db_prep(j, "SELECT " BUILD_COLS " FROM builds WHERE (?1 IS NULL OR state = ?1) "
	    "AND (?2 IS NULL OR kind = ?2) AND (?4 IS NULL OR owner_uid = ?4) "
	    "ORDER BY created_ms DESC, rowid DESC LIMIT ?3");
	bind_text_or_null(st, 1, state);
	bind_text_or_null(st, 2, kind);
	sqlite3_bind_int(st, 3, limit);
	bind_who(st, 4, who);
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		json_object_array_add(arr, build_from_row(st));
	if (s != SQLITE_DONE) {
		rc = pcb_err_set(err, PCB_EIO, "jobs.db: %s", sqlite3_errmsg(j->db));
		json_object_put(arr);
		goto out;
	}
	res = json_object_new_object();
	json_object_object_add(res, key, arr);
out:
	sqlite3_finalize(st);
	*out = res;
	return rc;
}

/* --- events and subscribers (loop thread) ------------------------------------------------ */

static void
sub_append(struct pcb_sub *s, int64_t seq, const char *type, const char *data)
{
	if (s->ended)
		return;
	/* Compact what the reader already took before growing. */
	if (s->pos > 0 && s->pos == s->out.len) {
		s->out.len = 0;
		s->pos = 0;
	}
	if (pcb_buf_appendf(&s->out, "id: %" PRId64 "\nevent: %s\ndata: %s\n\n", seq, type,
	    data) != 0) {
		pcb_log_warn("events of %s: a reader fell too far behind; closing its stream",
		    s->job ? s->job->id : "?");
		s->ended = true;
	}
}

static void
sub_detach(struct pcb_sub *s)
{
	struct job *jb = s->job;

	if (jb == NULL)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		jb->subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
	s->job = NULL;
}

/* The "step" member of an event: {"index": i, "count": n} (api/openapi.yaml, Event). */
static json_object *
step_json(int index, int count)
{
	json_object *st = json_object_new_object();

	json_object_object_add(st, "index", json_object_new_int(index));
	json_object_object_add(st, "count", json_object_new_int(count));
	return st;
}

/* Appends an event to a live job: memory, SQLite (in the caller's transaction, if any),
 * and every subscriber. `fields` (taken) holds the type-specific members; an event without
 * a "step" gets the job's current one (every event carries it, so a client joining late
 * knows where the job is). */
static void
job_event(struct job *jb, const char *type, int64_t time_ms, json_object *fields)
{
	json_object *d = json_object_new_object(), *st;
	int64_t seq = (int64_t)jb->n_events + 1;
	char ts[32];
	struct ev *e;

	pcb_time_rfc3339_ms(time_ms, ts);
	json_object_object_add(d, "seq", json_object_new_int64(seq));
	json_object_object_add(d, "time", json_object_new_string(ts));
	json_object_object_add(d, "type", json_object_new_string(type));
	if (fields != NULL && json_object_object_get_ex(fields, "step", &st)) {
		jb->step = json_object_get_int(json_object_object_get(st, "index"));
		jb->steps = json_object_get_int(json_object_object_get(st, "count"));
	} else {
		json_object_object_add(d, "step", step_json(jb->step, jb->steps));
	}
	if (fields != NULL) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(d, k, json_object_get(v));
		json_object_put(fields);
	}
	if (jb->n_events == jb->cap_events) {
		jb->cap_events = jb->cap_events ? jb->cap_events * 2 : 16;
		jb->events = pcb_xrealloc(jb->events, jb->cap_events * sizeof *jb->events);
	}
	e = &jb->events[jb->n_events++];
	e->type = pcb_xstrdup(type);
	e->data = pcb_xstrdup(pcb_json_str(d));
	json_object_put(d);
	db_insert_event(jb->jobs, jb->id, seq, time_ms, e->type, e->data);

	for (struct pcb_sub *s = jb->subs, *nx; s != NULL; s = nx) {
		nx = s->next;
		sub_append(s, seq, e->type, e->data);
		if (strcmp(type, "end") == 0 || s->ended) {
			s->ended = true;
			sub_detach(s);
		}
		if (s->wake != NULL)
			s->wake(s->wake_ud);
	}
}

static void
job_free(struct job *jb)
{
	/* Subscribers have been detached by the `end` event; be safe anyway. */
	while (jb->subs != NULL) {
		struct pcb_sub *s = jb->subs;
		s->ended = true;
		sub_detach(s);
		if (s->wake != NULL)
			s->wake(s->wake_ud);
	}
	for (size_t i = 0; i < jb->n_events; i++) {
		free(jb->events[i].type);
		free(jb->events[i].data);
	}
	free(jb->events);
	for (size_t i = 0; i < PROGRESS_SLOTS; i++)
		free(jb->progress[i].layer);
	if (jb->spec != NULL) {
		kinds[jb->kind].spec_free(jb->spec);
		free(jb->spec);
	}
	free(jb);
}

static void
live_remove(struct pcb_jobs *j, struct job *jb)
{
	for (struct job **pp = &j->live; *pp != NULL; pp = &(*pp)->next_live) {
		if (*pp == jb) {
			*pp = jb->next_live;
			return;
		}
	}
}

static struct job *
live_find(struct pcb_jobs *j, const char *id)
{
	for (struct job *jb = j->live; jb != NULL; jb = jb->next_live)
		if (strcmp(jb->id, id) == 0)
			return jb;
	return NULL;
}

static void maybe_done(struct pcb_jobs *j);

/* Ends a live job: row update, result/end events, removal and free. `result` and `error`
 * are taken (either may be NULL). */
static void
job_finish(struct job *jb, const char *state, json_object *result, json_object *error)
{
	struct pcb_jobs *j = jb->jobs;
	int64_t now = pcb_now_ms();
	sqlite3_stmt *st;
	json_object *end;
	struct pcb_err e;
	enum pcb_job_kind kind;

	snprintf(jb->state, sizeof jb->state, "%s", state);
	st = db_prep(j, "UPDATE builds SET state = ?, finished_ms = ?, error_json = ?, "
	    "result_json = ? WHERE id = ?");
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	bind_text_or_null(st, 3, error ? pcb_json_str(error) : NULL);
	bind_text_or_null(st, 4, result ? pcb_json_str(result) : NULL);
	sqlite3_bind_text(st, 5, jb->id, -1, SQLITE_TRANSIENT);
	if (db_step_done(j, st, &e) != 0)
		pcb_log_error("recording the end of %s: %s", jb->id, e.msg);

	if (result != NULL) {
		json_object *f = json_object_new_object();
		json_object_object_add(f, "result", result);
		job_event(jb, "result", now, f);
	}
	end = json_object_new_object();
	json_object_object_add(end, "state", json_object_new_string(state));
	json_object_object_add(end, "error", error);
	job_event(jb, "end", now, end);
	pcb_log_info("%s %s %s", kinds[jb->kind].name, jb->id, state);
	/* taken_ms was written before the START message that set jb->started went through mu. */
	pcb_metrics_job_finished(jb->kind, jb->started, state, now - jb->taken_ms);
	kind = jb->kind;
	live_remove(j, jb);
	job_free(jb);
	/* Jobs that add blobs may have pushed the store over its limits. */
	if (j->finish_hook != NULL && !j->stopping && kinds[kind].adds_blobs)
		j->finish_hook(j->finish_ud, kind);
	maybe_done(j);
}

/* --- workers --------------------------------------------------------------------------- */

static void
post_msg(struct pcb_jobs *j, struct msg *m)
{
	pthread_mutex_lock(&j->mu);
	if (j->m_tail != NULL)
		j->m_tail->next = m;
	else
		j->m_head = m;
	j->m_tail = m;
	pthread_mutex_unlock(&j->mu);
	uv_async_send(&j->async);
}

static struct msg *
new_msg(enum msg_kind kind, struct job *jb)
{
	struct msg *m = pcb_xcalloc(1, sizeof *m);

	m->kind = kind;
	m->job = jb;
	m->time_ms = pcb_now_ms();
	return m;
}

/* Rate limit for progress: at most one per PROGRESS_MIN_MS per layer, plus the final one. */
static bool
progress_due(struct job *jb, const char *layer, uint64_t done, uint64_t total)
{
	int64_t now = pcb_monotonic_ms();
	struct progress_slot *slot = NULL;

	for (size_t i = 0; i < PROGRESS_SLOTS; i++) {
		struct progress_slot *p = &jb->progress[i];
		if (p->layer != NULL && strcmp(p->layer, layer) == 0) {
			slot = p;
			break;
		}
		if (p->layer == NULL && slot == NULL)
			slot = p;
	}
	if (slot == NULL)
		slot = &jb->progress[PROGRESS_SLOTS - 1];   /* many layers: they share one */
	if (slot->layer == NULL || strcmp(slot->layer, layer) != 0) {
		free(slot->layer);
		slot->layer = pcb_xstrdup(layer);
		slot->last_ms = 0;
	}
	if (done >= total || slot->last_ms == 0 || now - slot->last_ms >= PROGRESS_MIN_MS) {
		slot->last_ms = now;
		return true;
	}
	return false;
}

/* How many steps a kind whose engine does not count them has: one per phase it sends
 * (hostbase.c: base, pack, config, manifest, tag; transfer.c: pull, tag; resolve and one push
 * per target; verify; rebase). 0: the engine counts (builds). */
static int
kind_steps(const struct job *jb)
{
	switch (jb->kind) {
	case PCB_JOB_BASE: return 5;
	case PCB_JOB_PULL: return 2;
	case PCB_JOB_PUSH: return 1 + (int)((const struct pcb_push_spec *)jb->spec)->targets.n;
	case PCB_JOB_VERIFY: return 1;
	case PCB_JOB_REBASE: return 4;   /* build.c pcb_rebase_run: rebase, base, config, tag */
	default: return 0;
	}
}

/* The engine's emit callback (worker thread): copies what it needs into a message. May be
 * called from the engine's helper threads for log and layer events (one at a time). */
static void
worker_emit(void *ud, const struct pcb_event *ev)
{
	struct job *jb = ud;
	json_object *f = json_object_new_object();
	struct msg *m;
	const char *type;
	int step = ev->step, steps = ev->steps;

	/* An engine that does not count its steps: each phase it sends begins the next. */
	if (steps == 0) {
		if (ev->type == PCB_EVENT_PHASE)
			jb->w_step++;
		step = jb->w_step;
		steps = jb->w_steps > step ? jb->w_steps : step;
	}
	json_object_object_add(f, "step", step_json(step, steps));
	switch (ev->type) {
	case PCB_EVENT_PHASE:
		type = "phase";
		json_object_object_add(f, "phase", json_object_new_string(ev->phase ? ev->phase : ""));
		json_object_object_add(f, "message",
		    json_object_new_string(ev->message ? ev->message : ""));
		break;
	case PCB_EVENT_PROGRESS:
		type = "progress";
		if (!progress_due(jb, ev->layer ? ev->layer : "", ev->done, ev->total)) {
			json_object_put(f);
			return;
		}
		json_object_object_add(f, "layer", json_object_new_string(ev->layer ? ev->layer : ""));
		json_object_object_add(f, "done", json_object_new_int64((int64_t)ev->done));
		json_object_object_add(f, "total", json_object_new_int64((int64_t)ev->total));
		break;
	case PCB_EVENT_LOG:
		type = "log";
		json_object_object_add(f, "level", json_object_new_string(ev->level ? ev->level : "info"));
		json_object_object_add(f, "message",
		    json_object_new_string(ev->message ? ev->message : ""));
		break;
	case PCB_EVENT_BLOB: {
		json_object *b = json_object_new_object();
		type = "blob";
		if (!progress_due(jb, ev->digest ? ev->digest : "", ev->done, ev->total)) {
			json_object_put(b);
			json_object_put(f);
			return;
		}
		json_object_object_add(b, "digest", json_object_new_string(ev->digest ? ev->digest :
		    ""));
		json_object_object_add(b, "action", json_object_new_string(ev->action ? ev->action :
		    ""));
		json_object_object_add(b, "done", json_object_new_int64((int64_t)ev->done));
		json_object_object_add(b, "total", json_object_new_int64((int64_t)ev->total));
		json_object_object_add(f, "blob", b);
		break;
	}
	case PCB_EVENT_LAYER: {
		json_object *copy = NULL;
		type = "layer";
		/* A deep copy: the engine keeps its object, and json-c refcounts are not atomic. */
		if (ev->data == NULL || json_object_deep_copy(ev->data, &copy, NULL) != 0)
			copy = NULL;
		json_object_object_add(f, "layer", copy);
		/* Bytes of the layer that are there: as the engine says, else (a finished
		 * layer) all of them. */
		{
			int64_t size = json_object_get_int64(json_object_object_get(copy, "size"));
			json_object_object_add(f, "done", json_object_new_int64(ev->total > 0 ?
			    (int64_t)ev->done : size));
			json_object_object_add(f, "total", json_object_new_int64(ev->total > 0 ?
			    (int64_t)ev->total : size));
		}
		break;
	}
	default:
		json_object_put(f);
		return;
	}
	m = new_msg(MSG_EVENT, jb);
	m->type = type;
	m->data = f;
	post_msg(jb->jobs, m);
}

static void
run_job(struct pcb_jobs *j, struct job *jb)
{
	struct pcb_build_ctx ctx = { j->store, &jb->cancel, worker_emit, jb };
	json_object *result = NULL;
	struct pcb_err err;
	struct msg *m;
	int rc;

	jb->w_step = 0;
	jb->w_steps = kind_steps(jb);
	post_msg(j, new_msg(MSG_START, jb));
	pcb_err_clear(&err);
	rc = kinds[jb->kind].run(jb->spec, &ctx, &result, &err);
	m = new_msg(MSG_DONE, jb);
	m->rc = rc;
	m->result = rc == 0 ? result : NULL;
	if (rc != 0) {
		json_object_put(result);
		m->errmsg = pcb_xstrdup(err.msg[0] ? err.msg : pcb_err_code_name(rc));
	}
	/* After this the job belongs to the loop again: do not touch it. */
	post_msg(j, m);
}

/* The first queued job whose owner runs fewer jobs than their limit (*prev: the one before
 * it in the queue), or NULL. A user with many queued jobs thus waits for their own, and
 * other users' jobs go ahead of them. Called with mu held. */
static struct job *
next_runnable(struct pcb_jobs *j, struct job **prev)
{
	struct job *p = NULL;

	for (struct job *q = j->q_head; q != NULL; p = q, q = q->qnext) {
		int running = 0;

		if (q->has_owner && q->max_running > 0) {
			for (struct job *r = j->r_head; r != NULL; r = r->rnext)
				running += r->has_owner && r->owner_uid == q->owner_uid;
			if (running >= q->max_running)
				continue;
		}
		*prev = p;
		return q;
	}
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct pcb_jobs *j = arg;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		struct job *jb;

		struct job *prev = NULL;

		while ((jb = next_runnable(j, &prev)) == NULL && !j->stop)
			pthread_cond_wait(&j->cond, &j->mu);
		if (jb == NULL)
			break;
		if (prev != NULL)
			prev->qnext = jb->qnext;
		else
			j->q_head = jb->qnext;
		if (j->q_tail == jb)
			j->q_tail = prev;
		jb->qnext = NULL;
		jb->in_queue = false;
		jb->taken_ms = pcb_now_ms();
		jb->rnext = j->r_head;
		j->r_head = jb;
		pthread_mutex_unlock(&j->mu);
		run_job(j, jb);
		pthread_mutex_lock(&j->mu);
		for (struct job **pp = &j->r_head; *pp != NULL; pp = &(*pp)->rnext) {
			if (*pp == jb) {
				*pp = jb->rnext;
				break;
			}
		}
		/* A user under their running limit again may have jobs waiting. */
		pthread_cond_broadcast(&j->cond);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* --- the loop side of the worker queue ------------------------------------------------ */

static void
handle_msg(struct pcb_jobs *j, struct msg *m)
{
	struct job *jb = m->job;

	switch (m->kind) {
	case MSG_START: {
		sqlite3_stmt *st = db_prep(j, "UPDATE builds SET state = 'running', started_ms = ? "
		    "WHERE id = ?");
		json_object *f = json_object_new_object();
		struct pcb_err e;

		snprintf(jb->state, sizeof jb->state, "running");
		jb->started = true;
		pcb_metrics_job_started(jb->kind);
		sqlite3_bind_int64(st, 1, m->time_ms);
		sqlite3_bind_text(st, 2, jb->id, -1, SQLITE_TRANSIENT);
		if (db_step_done(j, st, &e) != 0)
			pcb_log_error("recording the start of %s: %s", jb->id, e.msg);
		json_object_object_add(f, "state", json_object_new_string("running"));
		job_event(jb, "state", m->time_ms, f);
		pcb_log_info("%s %s running", kinds[jb->kind].name, jb->id);
		break;
	}
	case MSG_EVENT:
		job_event(jb, m->type, m->time_ms, m->data);
		m->data = NULL;
		break;
	case MSG_DONE:
		if (m->rc == 0) {
			job_finish(jb, "succeeded", m->result, NULL);
			m->result = NULL;
		} else if (m->rc == PCB_ECANCELED) {
			job_finish(jb, "cancelled", NULL, error_json("cancelled",
			    j->stopping ? "cancelled: the daemon shut down" : "cancelled on request"));
		} else {
			pcb_log_warn("%s %s failed: %s", kinds[jb->kind].name, jb->id, m->errmsg);
			job_finish(jb, "failed", NULL, error_json(pcb_err_code_name(m->rc),
			    m->errmsg));
		}
		break;
	}
	json_object_put(m->data);
	json_object_put(m->result);
	free(m->errmsg);
	free(m);
}

static void
on_async(uv_async_t *h)
{
	struct pcb_jobs *j = h->data;
	struct msg *list;
	struct pcb_err e;
	bool txn;

	pthread_mutex_lock(&j->mu);
	list = j->m_head;
	j->m_head = j->m_tail = NULL;
	pthread_mutex_unlock(&j->mu);
	if (list == NULL)
		return;
	/* One transaction per wakeup: a burst of events costs one fsync, not one each. */
	txn = db_exec(j, "BEGIN", &e) == 0;
	if (!txn)
		pcb_log_error("%s", e.msg);
	while (list != NULL) {
		struct msg *m = list;
		list = m->next;
		handle_msg(j, m);
	}
	if (txn && db_exec(j, "COMMIT", &e) != 0)
		pcb_log_error("%s", e.msg);
}

static void
maybe_done(struct pcb_jobs *j)
{
	if (!j->stopping || j->done_called || j->live != NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->mu);
	for (int i = 0; i < j->n_threads; i++)
		pthread_join(j->threads[i], NULL);
	j->n_threads = 0;
	uv_timer_stop(&j->shutdown_timer);
	j->done_called = true;
	if (j->done != NULL)
		j->done(j->done_ud);
}

/* --- API ------------------------------------------------------------------------------ */

/* Schema 2 (issue 4): jobs of several kinds share the builds table, told apart by `kind`.
 * A jobs.db from before gets the column, every old row being a build. */
static int
migrate(struct pcb_jobs *j, struct pcb_err *err)
{
	sqlite3_stmt *st = db_prep(j, "SELECT COUNT(*) FROM pragma_table_info('builds') "
	    "WHERE name = 'kind'");
	bool has_kind = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	int rc = 0;

	sqlite3_finalize(st);
	if (!has_kind) {
		rc = db_exec(j, "BEGIN;"
		    "ALTER TABLE builds ADD COLUMN kind TEXT NOT NULL DEFAULT 'build';"
		    "COMMIT;", err);
		if (rc != 0) {
			db_exec(j, "ROLLBACK", NULL);
			return rc;
		}
		pcb_log_info("jobs.db: migrated to schema 2 (job kinds)");
	}
	/* Schema 3 (issue 13): each job's owner (uid and name). Older rows have none: only
	 * root and the admin group see them. */
	st = db_prep(j, "SELECT COUNT(*) FROM pragma_table_info('builds') WHERE name = 'owner_uid'");
	if (!(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)) {
		sqlite3_finalize(st);
		rc = db_exec(j, "BEGIN;"
		    "ALTER TABLE builds ADD COLUMN owner_uid INTEGER;"
		    "ALTER TABLE builds ADD COLUMN owner TEXT;"
		    "COMMIT;", err);
		if (rc != 0) {
			db_exec(j, "ROLLBACK", NULL);
			return rc;
		}
		pcb_log_info("jobs.db: migrated to schema 3 (job owners)");
	} else {
		sqlite3_finalize(st);
	}
	return db_exec(j, "CREATE INDEX IF NOT EXISTS builds_kind ON builds(kind, created_ms);"
	    "CREATE INDEX IF NOT EXISTS builds_owner ON builds(owner_uid, created_ms);"
	    "PRAGMA user_version = 3;", err);
}

static int
open_db(struct pcb_jobs *j, const char *state_dir, struct pcb_err *err)
{
	char *path = pcb_path_join(state_dir, "jobs.db");
	int rc = 0;

	if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = pcb_err_set(err, PCB_EIO, "opening %s: %s", path,
		    j->db ? sqlite3_errmsg(j->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(j->db, 5000);
	rc = db_exec(j, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE IF NOT EXISTS builds("
	    " id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, started_ms INTEGER,"
	    " finished_ms INTEGER, state TEXT NOT NULL, spec_json TEXT NOT NULL,"
	    " error_json TEXT, result_json TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0);"
	    "CREATE INDEX IF NOT EXISTS builds_created ON builds(created_ms);"
	    "CREATE INDEX IF NOT EXISTS builds_state ON builds(state, created_ms);"
	    "CREATE TABLE IF NOT EXISTS events("
	    " build_id TEXT NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL,"
	    " type TEXT NOT NULL, data_json TEXT NOT NULL, PRIMARY KEY(build_id, seq));", err);
	if (rc == 0)
		rc = migrate(j, err);
	if (rc != 0)
		pcb_err_prefix(err, "%s", path);
out:
	free(path);
	return rc;
}

/* Builds a previous process left queued or running end failed ("interrupted"), with an
 * `end` event, so clients following them are not left waiting forever. */
static int
recover(struct pcb_jobs *j, struct pcb_err *err)
{
	sqlite3_stmt *st;
	struct pcb_strv ids;
	int64_t now = pcb_now_ms();
	json_object *error = error_json("interrupted", interrupted_msg);
	int rc;

	pcb_strv_init(&ids);
	st = db_prep(j, "SELECT id FROM builds WHERE state IN ('queued', 'running')");
	while (sqlite3_step(st) == SQLITE_ROW)
		pcb_strv_push(&ids, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (ids.n == 0) {
		rc = 0;
		goto out;
	}
	rc = db_exec(j, "BEGIN", err);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		int64_t seq = 1;
		json_object *d = json_object_new_object();
		char ts[32];

		st = db_prep(j, "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE build_id = ?");
		sqlite3_bind_text(st, 1, ids.v[i], -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			seq = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);

		pcb_time_rfc3339_ms(now, ts);
		json_object_object_add(d, "seq", json_object_new_int64(seq));
		json_object_object_add(d, "time", json_object_new_string(ts));
		json_object_object_add(d, "type", json_object_new_string("end"));
		json_object_object_add(d, "step", step_json(0, 0));   /* where it was is lost */
		json_object_object_add(d, "state", json_object_new_string("failed"));
		json_object_object_add(d, "error", json_object_get(error));
		db_insert_event(j, ids.v[i], seq, now, "end", pcb_json_str(d));
		json_object_put(d);

		st = db_prep(j, "UPDATE builds SET state = 'failed', finished_ms = ?, "
		    "error_json = ? WHERE id = ?");
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, pcb_json_str(error), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, ids.v[i], -1, SQLITE_TRANSIENT);
		rc = db_step_done(j, st, err);
		if (rc != 0) {
			db_exec(j, "ROLLBACK", NULL);
			goto out;
		}
		pcb_log_warn("job %s was interrupted by the previous daemon's exit", ids.v[i]);
	}
	rc = db_exec(j, "COMMIT", err);
out:
	json_object_put(error);
	pcb_strv_free(&ids);
	return rc;
}

/* Idle streams get a comment line now and then: proxies keep them open, and writing is how
 * a vanished client is noticed (its connection is then closed and the subscriber freed). */
static void
on_keepalive(uv_timer_t *t)
{
	struct pcb_jobs *j = t->data;

	for (struct job *jb = j->live; jb != NULL; jb = jb->next_live) {
		for (struct pcb_sub *s = jb->subs; s != NULL; s = s->next) {
			if (s->ended || s->pos < s->out.len)
				continue;
			s->out.len = s->pos = 0;
			if (pcb_buf_append(&s->out, ": keep-alive\n\n", 14) == 0 && s->wake != NULL)
				s->wake(s->wake_ud);
		}
	}
}

static void
on_shutdown_timer(uv_timer_t *t)
{
	struct pcb_jobs *j = t->data;

	for (struct job *jb = j->live; jb != NULL; jb = jb->next_live) {
		pcb_log_info("shutdown: cancelling %s %s", kinds[jb->kind].name, jb->id);
		atomic_store(&jb->cancel, 1);
	}
}

int
pcb_jobs_create(uv_loop_t *loop, const char *state_dir, struct pcb_store *store,
    int workers, struct pcb_jobs **out, struct pcb_err *err)
{
	struct pcb_jobs *j = pcb_xcalloc(1, sizeof *j);
	int rc;

	j->loop = loop;
	j->store = store;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cond, NULL);
	rc = open_db(j, state_dir, err);
	if (rc == 0)
		rc = recover(j, err);
	if (rc != 0) {
		sqlite3_close(j->db);
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cond);
		free(j);
		j = NULL;
		goto out;
	}
	uv_async_init(loop, &j->async, on_async);
	j->async.data = j;
	uv_timer_init(loop, &j->shutdown_timer);
	j->shutdown_timer.data = j;
	uv_timer_init(loop, &j->keepalive);
	j->keepalive.data = j;
	uv_timer_start(&j->keepalive, on_keepalive, KEEPALIVE_MS, KEEPALIVE_MS);
	j->threads = pcb_xcalloc((size_t)workers, sizeof *j->threads);
	for (int i = 0; i < workers; i++) {
		int e = pthread_create(&j->threads[i], NULL, worker_main, j);
		if (e != 0) {
			/* Fewer workers still work; none would not, but abort() is the rule for
			 * resource exhaustion at start-up anyway. */
			pcb_log_error("starting worker %d: %s", i, strerror(e));
			abort();
		}
		j->n_threads++;
	}
out:
	*out = j;
	return rc;
}

void
pcb_jobs_close_handles(struct pcb_jobs *j)
{
	uv_close((uv_handle_t *)&j->async, NULL);
	uv_close((uv_handle_t *)&j->shutdown_timer, NULL);
	uv_close((uv_handle_t *)&j->keepalive, NULL);
}

void
pcb_jobs_destroy(struct pcb_jobs *j)
{
	if (j == NULL)
		return;
	/* Normally shutdown joined the workers; this covers an early error exit. */
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->mu);
	for (int i = 0; i < j->n_threads; i++)
		pthread_join(j->threads[i], NULL);
	while (j->m_head != NULL) {
		struct msg *m = j->m_head;
		j->m_head = m->next;
		json_object_put(m->data);
		json_object_put(m->result);
		free(m->errmsg);
		free(m);
	}
	while (j->live != NULL) {
		struct job *jb = j->live;
		j->live = jb->next_live;
		job_free(jb);
	}
	free(j->threads);
	sqlite3_close(j->db);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cond);
	free(j);
}

static struct job *
job_new(struct pcb_jobs *j, enum pcb_job_kind kind)
{
	struct job *jb = pcb_xcalloc(1, sizeof *jb);
	char hex[17];

	pcb_random_hex(hex, 8);
	snprintf(jb->id, sizeof jb->id, "%c-%s", kinds[kind].prefix, hex);
	jb->jobs = j;
	jb->kind = kind;
	atomic_init(&jb->cancel, 0);
	snprintf(jb->state, sizeof jb->state, "queued");
	return jb;
}

int
pcb_jobs_submit(struct pcb_jobs *j, enum pcb_job_kind kind, void *spec,
    const struct pcb_jobs_who *who, json_object **job_out, struct pcb_err *err)
{
	const struct job_kind *k = &kinds[kind];
	struct job *jb;
	json_object *f, *sj;
	int64_t now = pcb_now_ms();
	sqlite3_stmt *st;
	char *what_msg;
	int rc;

	if (who != NULL && who->max_queued > 0) {
		int queued = 0;
		pthread_mutex_lock(&j->mu);
		for (struct job *q = j->q_head; q != NULL; q = q->qnext)
			queued += q->has_owner && q->owner_uid == who->uid;
		pthread_mutex_unlock(&j->mu);
		if (queued >= who->max_queued) {
			k->spec_free(spec);
			k->spec_init(spec);
			*job_out = NULL;
			return pcb_err_set(err, PCB_ELIMIT, "%s already has %d jobs queued, the most "
			    "one user may (user_max_queued = %d): wait for some to start or cancel "
			    "them", who->name, queued, who->max_queued);
		}
	}
	/* Jobs that add blobs are refused while the disk is low (507 disk_full): once running
	 * they would fail on a write midway, or find SQLite's journal without room. */
	if (k->adds_blobs && (rc = pcb_metrics_check_disk(j->store, err)) != 0) {
		k->spec_free(spec);
		k->spec_init(spec);
		*job_out = NULL;
		return rc;
	}
	jb = job_new(j, kind);
	if (who != NULL) {
		jb->has_owner = true;
		jb->owner_uid = who->uid;
		snprintf(jb->owner, sizeof jb->owner, "%s", who->name);
		jb->max_running = who->max_running;
	}
	jb->spec = pcb_xmalloc(k->spec_size);
	memcpy(jb->spec, spec, k->spec_size);
	k->spec_init(spec);
	sj = k->spec_to_json(jb->spec);
	what_msg = k->describe(jb->spec);

	rc = db_exec(j, "BEGIN", err);
	if (rc != 0)
		goto fail;
	st = db_prep(j, "INSERT INTO builds(id, created_ms, state, spec_json, kind, owner_uid, "
	    "owner) VALUES(?, ?, 'queued', ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, jb->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, pcb_json_str(sj), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, k->name, -1, SQLITE_STATIC);
	if (jb->has_owner) {
		sqlite3_bind_int64(st, 5, (int64_t)jb->owner_uid);
		sqlite3_bind_text(st, 6, jb->owner, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_null(st, 6);
	}
	rc = db_step_done(j, st, err);
	if (rc != 0) {
		db_exec(j, "ROLLBACK", NULL);
		goto fail;
	}
	f = json_object_new_object();
	json_object_object_add(f, "state", json_object_new_string("queued"));
	job_event(jb, "state", now, f);
	rc = db_exec(j, "COMMIT", err);
	if (rc != 0) {
		db_exec(j, "ROLLBACK", NULL);
		goto fail;
	}
	jb->next_live = j->live;
	j->live = jb;

	pthread_mutex_lock(&j->mu);
	jb->in_queue = true;
	if (j->q_tail != NULL)
		j->q_tail->qnext = jb;
	else
		j->q_head = jb;
	j->q_tail = jb;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->mu);
	pcb_metrics_job_queued(kind);
	pcb_log_info("%s %s queued (%s)", k->name, jb->id, what_msg);
	free(what_msg);
	json_object_put(sj);
	return pcb_jobs_get(j, jb->id, NULL, NULL, job_out, err);
fail:
	free(what_msg);
	json_object_put(sj);
	job_free(jb);
	*job_out = NULL;
	return rc;
}

void
pcb_jobs_set_finish_hook(struct pcb_jobs *j, void (*fn)(void *ud, enum pcb_job_kind k),
    void *ud)
{
	j->finish_hook = fn;
	j->finish_ud = ud;
}

int64_t
pcb_jobs_oldest_running_ms(struct pcb_jobs *j)
{
	int64_t oldest = 0;

	/* The time a worker took the job, set by the worker itself before it does anything:
	 * the loop may not have handled its START message yet. */
	pthread_mutex_lock(&j->mu);
	for (struct job *jb = j->live; jb != NULL; jb = jb->next_live)
		if (jb->taken_ms > 0 && (oldest == 0 || jb->taken_ms < oldest))
			oldest = jb->taken_ms;
	pthread_mutex_unlock(&j->mu);
	return oldest;
}

int
pcb_jobs_build_manifest(struct pcb_jobs *j, const char *id, const struct pcb_jobs_who *who,
    char **digest_out, struct pcb_err *err)
{
	json_object *b = NULL, *res, *man, *d;
	const char *state;
	int rc;

	*digest_out = NULL;
	if ((rc = pcb_jobs_get(j, id, "build", who, &b, err)) != 0)
		return rc;
	state = json_object_get_string(json_object_object_get(b, "state"));
	if (strcmp(state, "succeeded") != 0) {
		rc = pcb_err_set(err, PCB_ECONFLICT, "build %s is %s: only a succeeded build can be "
		    "pushed", id, state);
	} else if (!json_object_object_get_ex(b, "result", &res) ||
	    !json_object_object_get_ex(res, "manifest", &man) ||
	    !json_object_object_get_ex(man, "digest", &d) || !pcb_digest_valid(
	    json_object_get_string(d))) {
		rc = pcb_err_set(err, PCB_EINTERNAL, "build %s has no manifest in its result", id);
	} else {
		*digest_out = pcb_xstrdup(json_object_get_string(d));
	}
	json_object_put(b);
	return rc;
}

/* Takes a job off the FIFO if no worker has it yet. */
static bool
dequeue(struct pcb_jobs *j, struct job *jb)
{
	bool found = false;

	pthread_mutex_lock(&j->mu);
	if (jb->in_queue) {
		struct job *prev = NULL;
		for (struct job *q = j->q_head; q != NULL; prev = q, q = q->qnext) {
			if (q != jb)
				continue;
			if (prev != NULL)
				prev->qnext = q->qnext;
			else
				j->q_head = q->qnext;
			if (j->q_tail == q)
				j->q_tail = prev;
			break;
		}
		jb->in_queue = false;
		jb->qnext = NULL;
		found = true;
	}
	pthread_mutex_unlock(&j->mu);
	return found;
}

int
pcb_jobs_cancel(struct pcb_jobs *j, const char *id, const char *kind,
    const struct pcb_jobs_who *who, json_object **out, struct pcb_err *err)
{
	struct job *jb = live_find(j, id);
	json_object *b = NULL;
	int rc;

	if (jb != NULL && ((kind != NULL && strcmp(kind, kinds[jb->kind].name) != 0) ||
	    !who_sees(who, jb)))
		jb = NULL;   /* answered as not found by pcb_jobs_get below */
	if (jb == NULL) {
		rc = pcb_jobs_get(j, id, kind, who, &b, err);
		if (rc == 0) {
			json_object *state = json_object_object_get(b, "state");
			rc = pcb_err_set(err, PCB_ECONFLICT, "%s %s already %s",
			    json_object_get_string(json_object_object_get(b, "kind")), id,
			    json_object_get_string(state));
			json_object_put(b);
			b = NULL;
		}
		goto out;
	}
	if (dequeue(j, jb)) {
		pcb_log_info("%s %s cancelled before it started", kinds[jb->kind].name, id);
		job_finish(jb, "cancelled", NULL, error_json("cancelled", "cancelled on request"));
	} else {
		sqlite3_stmt *st = db_prep(j, "UPDATE builds SET cancel_requested = 1 WHERE id = ?");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		rc = db_step_done(j, st, err);
		if (rc != 0)
			goto out;
		atomic_store(&jb->cancel, 1);
		pcb_log_info("%s %s: cancel requested", kinds[jb->kind].name, id);
	}
	rc = pcb_jobs_get(j, id, NULL, NULL, &b, err);
out:
	*out = b;
	return rc;
}

void
pcb_jobs_counts(struct pcb_jobs *j, int *running, int *queued)
{
	int r = 0, q = 0;

	pthread_mutex_lock(&j->mu);
	for (struct job *jb = j->live; jb != NULL; jb = jb->next_live) {
		if (jb->in_queue)
			q++;
		else
			r++;
	}
	pthread_mutex_unlock(&j->mu);
	*running = r;
	*queued = q;
}

int
pcb_jobs_workers(struct pcb_jobs *j)
{
	return j->n_threads;
}

void
pcb_jobs_shutdown(struct pcb_jobs *j, int64_t timeout_ms, void (*done)(void *ud), void *ud)
{
	struct job *jb, *nx;

	if (j->stopping)
		return;
	j->stopping = true;
	j->done = done;
	j->done_ud = ud;
	for (jb = j->live; jb != NULL; jb = nx) {
		nx = jb->next_live;
		if (dequeue(j, jb))
			job_finish(jb, "failed", NULL, error_json("interrupted",
			    "the daemon stopped before this build started"));
	}
	if (j->live != NULL) {
		pcb_log_info("shutdown: waiting up to %" PRId64 " ms for running builds", timeout_ms);
		uv_timer_start(&j->shutdown_timer, on_shutdown_timer, (uint64_t)timeout_ms, 0);
	}
	maybe_done(j);
}

int
pcb_jobs_subscribe(struct pcb_jobs *j, const char *id, const char *kind,
    const struct pcb_jobs_who *who, int64_t after, void (*wake)(void *ud), void *ud,
    struct pcb_sub **out, struct pcb_err *err)
{
	struct pcb_sub *s = pcb_xcalloc(1, sizeof *s);
	struct job *jb = live_find(j, id);
	int rc = 0;

	if (jb != NULL && ((kind != NULL && strcmp(kind, kinds[jb->kind].name) != 0) ||
	    !who_sees(who, jb))) {
		rc = pcb_err_set(err, PCB_ENOENT, "no %s with id %.100s", what(kind), id);
		free(s);
		s = NULL;
		goto out;
	}

	s->jobs = j;
	s->wake = wake;
	s->wake_ud = ud;
	pcb_buf_init(&s->out, SUB_MAX_BUFFER);
	if (jb != NULL) {
		for (size_t i = (after > 0 ? (size_t)after : 0); i < jb->n_events; i++)
			sub_append(s, (int64_t)i + 1, jb->events[i].type, jb->events[i].data);
		s->job = jb;
		s->next = jb->subs;
		if (jb->subs != NULL)
			jb->subs->prev = s;
		jb->subs = s;
	} else {
		/* A finished build: replay from the database and end. */
		sqlite3_stmt *st = db_prep(j, "SELECT EXISTS(SELECT 1 FROM builds WHERE id = ?1 "
		    "AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR owner_uid = ?3))");
		int exists;

		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		bind_text_or_null(st, 2, kind);
		bind_who(st, 3, who);
		exists = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (!exists) {
			rc = pcb_err_set(err, PCB_ENOENT, "no %s with id %.100s", what(kind), id);
			pcb_buf_free(&s->out);
			free(s);
			s = NULL;
			goto out;
		}
		st = db_prep(j, "SELECT seq, type, data_json FROM events WHERE build_id = ? "
		    "AND seq > ? ORDER BY seq");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, after);
		while (sqlite3_step(st) == SQLITE_ROW)
			sub_append(s, sqlite3_column_int64(st, 0),
			    (const char *)sqlite3_column_text(st, 1),
			    (const char *)sqlite3_column_text(st, 2));
		sqlite3_finalize(st);
		s->ended = true;
	}
	j->n_subs++;
out:
	*out = s;
	return rc;
}

ssize_t
pcb_sub_read(struct pcb_sub *s, char *buf, size_t max)
{
	size_t n = s->out.len - s->pos;

	if (n == 0)
		return s->ended ? -1 : 0;
	if (n > max)
		n = max;
	memcpy(buf, s->out.data + s->pos, n);
	s->pos += n;
	if (s->pos == s->out.len)
		s->out.len = s->pos = 0;
	return (ssize_t)n;
}

void
pcb_sub_destroy(struct pcb_sub *s)
{
	if (s == NULL)
		return;
	sub_detach(s);
	s->jobs->n_subs--;
	pcb_buf_free(&s->out);
	free(s);
}

int
pcb_jobs_n_subs(struct pcb_jobs *j)
{
	return j->n_subs;
}
