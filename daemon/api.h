/* api.h — helpers shared by the daemon/api-*.c resource files. Loop thread only. */
#ifndef PCB_API_H
#define PCB_API_H

#include "build.h"
#include "http.h"

/* Reads the request body as a BuildSpec: JSON parse, strict spec parse, then the checks
 * that need no build (context exists and is a directory …). On error *spec is freed and
 * the error names the problem. */
int pcb_api_read_spec(struct pcb_request *r, struct pcb_build_spec *spec, struct pcb_err *err);

/* The job handlers shared by /v1/builds (kind "build") and /v1/jobs (kind NULL: any, the
 * list then takes ?kind=). They answer the request themselves; ids come from r->params[0].
 * key is the member the list is answered under ("builds" or "jobs"). */
void pcb_api_list_jobs(struct pcb_request *r, const char *kind, const char *key);
void pcb_api_get_job(struct pcb_request *r, const char *kind);
void pcb_api_cancel_job(struct pcb_request *r, const char *kind);
void pcb_api_stream_job_events(struct pcb_request *r, const char *kind);
/* 202 with the Job (taken) and Location: /v1/jobs/<id>. */
void pcb_api_reply_job(struct pcb_request *r, json_object *job);

/* api-cache.c: the automatic cache collection with the store's policy (pcb_store_policy):
 * evicts least recently used unreferenced blobs when the store is over its size limit or
 * the filesystem under its free-space minimum. Runs on the thread pool, one at a time
 * (requests meanwhile coalesce into one more run). startup also sweeps stray blob files.
 * after_job is the pcb_jobs finish hook (ud = the struct pcb_daemon). */
void pcb_api_cache_collect(struct pcb_daemon *d, bool startup);
void pcb_api_cache_after_job(void *ud, enum pcb_job_kind k);

#endif
