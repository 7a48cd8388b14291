/* daemon.h — the state every request handler may reach: the loop, the jobs, the store and a
 * few facts about the running daemon. One instance, owned by main.c, used on the loop thread. */
#ifndef PCB_DAEMON_H
#define PCB_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "image/store.h"
#include "jobs.h"

/* Who may do what, and how much of the daemon one user may take. Set from flags and the
 * config file at start; SIGHUP may replace it (main.c), so handlers read it per request. */
struct pcb_daemon_policy {
	char *admin_group;            /* its members act on every job and the cache; NULL: root only */
	int user_max_running;         /* running jobs per user (0 = no limit) */
	int user_max_queued;          /* queued jobs per user (0 = no limit) */
	uint64_t user_max_context;    /* bytes of build context per build (0 = no limit) */
	int max_connections;          /* open connections in all (0 = no limit) */
	int max_connections_per_user; /* per peer uid on a unix socket, per token on TCP */
	int reserved_connections;     /* of max_connections, kept for root and the admin group */
	int header_timeout_s;         /* a connection must send its request header within this */
};

struct pcb_daemon {
	uv_loop_t *loop;
	struct pcb_jobs *jobs;
	struct pcb_store *store;
	char *state_dir;
	int64_t start_ms;        /* monotonic */
	bool shutting_down;      /* new builds are refused with 503 */
	int n_async;             /* requests waiting on the libuv thread pool (plans) */
	struct pcb_daemon_policy policy;
	char *tcp_token;         /* the bearer token TCP clients must send; NULL: no TCP listener */
};

#endif
