/* jobs.h — the jobs (builds, pushes, pulls): the table of live jobs, their event logs and
 * subscribers, the SQLite record of every job (<state>/jobs.db, table `builds` with a `kind`
 * column since schema 2), and the worker pool that runs the engine.
 *
 * Thread-safety: every function here is called on the loop thread only. Workers talk back
 * through one mutex-protected queue drained by one uv_async_t inside this module. */
#ifndef PCB_JOBS_H
#define PCB_JOBS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>
#include <uv.h>

#include "base/err.h"
#include "build.h"
#include "image/store.h"
#include "python/hostbase.h"
#include "registry/transfer.h"

struct pcb_jobs;
struct pcb_sub;

/* What a job does. Every kind shares the records, events, cancellation and workers; ids are
 * "b-…" builds, "p-…" pushes, "l-…" pulls, "h-…" base images from the host's Python, "v-…"
 * verifications of the store (pcb_store_verify, POST /v1/cache/verify), "r-…" rebases
 * (pcb_rebase_run, POST /v1/rebases). */
enum pcb_job_kind { PCB_JOB_BUILD = 0, PCB_JOB_PUSH, PCB_JOB_PULL, PCB_JOB_BASE,
	PCB_JOB_VERIFY, PCB_JOB_REBASE };
/* "build" | "push" | "pull" | "base" | "verify" | "rebase" */
const char *pcb_jobs_kind_name(enum pcb_job_kind k);
int pcb_jobs_kind_parse(const char *s, enum pcb_job_kind *out);   /* PCB_EINVAL if unknown */

/* Opens <state_dir>/jobs.db, marks builds left queued or running by a previous process as
 * failed ("interrupted"), and starts `workers` build threads. `store` is borrowed and must
 * outlive the jobs. */
int pcb_jobs_create(uv_loop_t *loop, const char *state_dir, struct pcb_store *store,
    int workers, struct pcb_jobs **out, struct pcb_err *err);
/* Frees everything. Call after pcb_jobs_shutdown() finished and the loop closed the module's
 * handles (see pcb_jobs_close_handles). */
void pcb_jobs_destroy(struct pcb_jobs *j);
/* uv_close()s the module's handles; run the loop afterwards to let them close. */
void pcb_jobs_close_handles(struct pcb_jobs *j);

/* The spec of a verification of every blob in the store; repair: fix what it finds
 * (store.h). Its result is {checked, bytes, bad: [{digest, problem, indexed_size, file_size,
 * repaired}], repaired, layer_cache_removed}. */
struct pcb_verify_spec {
	bool repair;
};

/* Whose jobs a request may see and act on; NULL where a function takes one means the
 * daemon itself (every job, no owner recorded). */
struct pcb_jobs_who {
	uid_t uid;
	const char *name;         /* recorded as the job's owner */
	bool all;                 /* root and the admin group: every user's jobs */
	int max_running;          /* submit: the user's jobs run at most this many at once */
	int max_queued;           /* submit: PCB_ELIMIT when the user has this many queued */
};

/* Records a new job of `kind` and queues it. spec points at the kind's spec:
 *   PCB_JOB_BUILD  struct pcb_build_spec      PCB_JOB_PUSH    struct pcb_push_spec
 *   PCB_JOB_PULL   struct pcb_pull_spec       PCB_JOB_BASE    struct pcb_hostbase_spec
 *   PCB_JOB_VERIFY struct pcb_verify_spec     PCB_JOB_REBASE  struct pcb_rebase_spec
 * The job takes ownership of what the spec holds and leaves *spec initialised-empty, whatever
 * the outcome (freeing it afterwards is harmless). Credentials in a spec live in memory only,
 * for the job's lifetime, and are wiped when it ends. *job_out (caller puts) is the job's
 * resource. */
int pcb_jobs_submit(struct pcb_jobs *j, enum pcb_job_kind kind, void *spec,
    const struct pcb_jobs_who *who, json_object **job_out, struct pcb_err *err);
/* Called on the loop after each job of a kind that adds blobs (build, pull, base) ends,
 * whatever its state: the daemon runs its cache collection from there. */
void pcb_jobs_set_finish_hook(struct pcb_jobs *j, void (*fn)(void *ud, enum pcb_job_kind k),
    void *ud);
/* The start time (wall clock, ms) of the oldest job now running, or 0 when none runs: blobs
 * used since then may belong to it, so the collection keeps them. */
int64_t pcb_jobs_oldest_running_ms(struct pcb_jobs *j);
/* The manifest digest of a succeeded build (caller frees): PCB_ENOENT unknown build,
 * PCB_ECONFLICT not succeeded. */
int pcb_jobs_build_manifest(struct pcb_jobs *j, const char *id,
    const struct pcb_jobs_who *who, char **digest_out, struct pcb_err *err);
/* The Job resource (the Build resource plus "kind" and "owner"), or PCB_ENOENT (also for
 * a job `who` may not see). kind: "build", "push", "pull" to accept only that kind, NULL for
 * any. Caller puts *out. */
int pcb_jobs_get(struct pcb_jobs *j, const char *id, const char *kind,
    const struct pcb_jobs_who *who, json_object **out, struct pcb_err *err);
/* Jobs newest first; kind and state may be NULL (any). Caller puts *out ({key: […]}). */
int pcb_jobs_list(struct pcb_jobs *j, const char *kind, const char *state, int limit,
    const struct pcb_jobs_who *who, const char *key, json_object **out, struct pcb_err *err);
/* Cancels: a queued job ends cancelled at once, a running one is asked to stop.
 * PCB_ENOENT unknown (or not of kind), PCB_ECONFLICT already finished. *out (caller puts). */
int pcb_jobs_cancel(struct pcb_jobs *j, const char *id, const char *kind,
    const struct pcb_jobs_who *who, json_object **out, struct pcb_err *err);
void pcb_jobs_counts(struct pcb_jobs *j, int *running, int *queued);
int pcb_jobs_workers(struct pcb_jobs *j);

/* Shutdown: queued builds fail at once ("interrupted"), running builds may finish for
 * timeout_ms and are then cancelled. done(ud) is called on the loop once no build is live
 * and every worker thread has been joined. */
void pcb_jobs_shutdown(struct pcb_jobs *j, int64_t timeout_ms, void (*done)(void *ud),
    void *ud);

/* Subscribers: an SSE reader of one build's events, starting after seq `after`. The events
 * come already formatted as SSE text. wake(ud) is called (on the loop) whenever new bytes are
 * ready or the stream ended. Caller destroys the subscriber. */
int pcb_jobs_subscribe(struct pcb_jobs *j, const char *id, const char *kind,
    const struct pcb_jobs_who *who, int64_t after, void (*wake)(void *ud), void *ud,
    struct pcb_sub **out, struct pcb_err *err);
/* Copies up to max ready bytes into buf. Returns the count, 0 when nothing is ready yet, or
 * -1 when the stream is over (everything up to and including `end` was read). */
ssize_t pcb_sub_read(struct pcb_sub *s, char *buf, size_t max);
void pcb_sub_destroy(struct pcb_sub *s);
/* Number of subscribers alive (for shutdown). */
int pcb_jobs_n_subs(struct pcb_jobs *j);

#endif
