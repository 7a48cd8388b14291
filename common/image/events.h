/* events.h — what every long operation of the engine is handed: the store, a cancel flag and
 * an emit callback for progress events. Builds, pushes, pulls, dependency installs and host
 * base images all report through it; nothing here knows who listens (the daemon turns events
 * into its job log, the tests into arrays).
 *
 * Thread-safety: a context belongs to the one worker thread running the operation; emit is
 * called from that thread. */
#ifndef PCB_EVENTS_H
#define PCB_EVENTS_H

#include <stdatomic.h>
#include <stdint.h>
#include <json-c/json.h>

#include "image/store.h"

/* Progress events, emitted from the worker. The engine owns every pointer; the callee copies
 * what it keeps. */
enum pcb_event_type {
	PCB_EVENT_PHASE = 0,   /* phase = "plan" | "base" | "deps" | "pack" | "config" | "manifest" |
	                        * "tag" | "export" | "push" | "pull" | "resolve" | "verify" */
	PCB_EVENT_PROGRESS,    /* layer = layer name, done/total bytes */
	PCB_EVENT_LOG,         /* level = "info"|"warn", message */
	PCB_EVENT_LAYER,       /* a layer: data = {name, digest, diff_id, size, …}, done/total
	                        * bytes of it there (done == total once packed or present) */
	PCB_EVENT_BLOB,        /* a blob transfer: digest, action, done/total bytes */
};

struct pcb_event {
	enum pcb_event_type type;
	const char *phase;
	const char *layer;
	uint64_t done;
	uint64_t total;
	const char *level;
	const char *message;
	json_object *data;    /* borrowed; may be NULL */
	const char *digest;   /* BLOB: the blob */
	const char *action;   /* BLOB: "upload" | "skip" | "mount" | "download" */
	/* Where the operation is: step (1-based) of steps. Set by engines that count their
	 * steps (a build does, on every event it sends); 0 / 0 = not counted, and the listener
	 * numbers phases itself. */
	int step;
	int steps;
};

struct pcb_build_ctx {
	struct pcb_store *store;
	atomic_int *cancel;                     /* non-zero → stop at the next chunk */
	void (*emit)(void *ud, const struct pcb_event *ev);   /* may be NULL */
	void *emit_ud;
};

#endif
