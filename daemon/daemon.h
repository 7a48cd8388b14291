/* daemon.h — the state every request handler may reach: the loop, the jobs, the store and a
 * few facts about the running daemon. One instance, owned by main.c, used on the loop thread. */
#ifndef PCB_DAEMON_H
#define PCB_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "image/store.h"
#include "jobs.h"

struct pcb_daemon {
	uv_loop_t *loop;
	struct pcb_jobs *jobs;
	struct pcb_store *store;
	char *state_dir;
	int64_t start_ms;        /* monotonic */
	bool shutting_down;      /* new builds are refused with 503 */
	int n_async;             /* requests waiting on the libuv thread pool (plans) */
};

#endif
