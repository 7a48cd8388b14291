/* err.h — error codes and the error record passed down every call chain.
 *
 * Functions return 0 or a negative PCB_E* code. Those that can fail for a reason worth telling
 * take an optional `struct pcb_err *` (may be NULL). The place where the problem is found writes
 * the root cause once with pcb_err_set(); callers that add context use pcb_err_prefix(), which
 * turns "no such file" into "reading pyproject.toml: no such file". Only the code that finally
 * handles an error logs or reports it.
 *
 * Thread-safety: a struct pcb_err belongs to one thread at a time; the functions keep no state. */
#ifndef PCB_ERR_H
#define PCB_ERR_H

#include <stddef.h>

enum {
	PCB_OK = 0,
	PCB_EINVAL = -1,      /* bad input from the user: request, project files, flags */
	PCB_ENOENT = -2,      /* a named thing does not exist */
	PCB_EIO = -3,         /* the OS said no (read, write, fsync …) */
	PCB_ECANCELED = -4,   /* the build was cancelled */
	PCB_ENOSPC = -5,      /* disk full or quota */
	PCB_ECORRUPT = -6,    /* content does not match its digest, or a damaged store */
	PCB_EEXIST = -7,      /* already exists */
	PCB_ETOOBIG = -8,     /* over a size limit */
	PCB_EINTERNAL = -9,   /* a bug or a library failure that is not the user's fault */
	PCB_EUNSUPPORTED = -10, /* a valid request that this version cannot do yet */
	PCB_ECONFLICT = -11,  /* the request does not fit the current state (cancel a finished build) */
	PCB_EPERM = -12,      /* permission denied */
	PCB_ELIMIT = -13,     /* over a per-user limit (jobs, queue, context size): try later */
	/* Network trouble told apart, so that a program can act on it (api/openapi.yaml,
	 * ErrorDetail): each says what to do next, where PCB_EIO would only say "it failed". */
	PCB_EUNREACHABLE = -14, /* a registry or index could not be connected to (refused,
	                         * no route, name not resolved): offline or firewalled */
	PCB_EAUTH = -15,      /* a registry refused the credentials (or asked for some) */
	PCB_ETIMEDOUT = -16,  /* a registry stalled: no byte for the stall time, or no answer */
	PCB_EDEPS = -17,      /* the project's dependencies could not be resolved (pip failed) */
	PCB_EBASEMISSING = -18, /* the base image is neither in the store nor in its registry */
};

/* True for the codes of a transport failure, which are retried like one: PCB_EIO from a
 * transfer, PCB_EUNREACHABLE, PCB_ETIMEDOUT. */
#define PCB_ERR_IS_TRANSPORT(code) \
	((code) == PCB_EIO || (code) == PCB_EUNREACHABLE || (code) == PCB_ETIMEDOUT)

#define PCB_ERR_MSG_MAX 1024

struct pcb_err {
	int code;                    /* one of PCB_E*, 0 when unset */
	int http_status;             /* optional: upstream HTTP status that caused this (0 = none) */
	char msg[PCB_ERR_MSG_MAX];   /* "context: context: root cause" */
};

/* Clears *e (e may be NULL). */
void pcb_err_clear(struct pcb_err *e);

/* Records the root cause. Returns `code` so callers can write `return pcb_err_set(e, …)`.
 * e may be NULL. */
int pcb_err_set(struct pcb_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like pcb_err_set, with ": strerror(errnum)" appended, and the code derived from errnum
 * (ENOENT → PCB_ENOENT, ENOSPC/EDQUOT → PCB_ENOSPC, EACCES/EPERM → PCB_EPERM, else PCB_EIO). */
int pcb_err_errno(struct pcb_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Adds context in front of the message: "<context>: <old message>". e may be NULL. */
void pcb_err_prefix(struct pcb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Stable machine-readable name of a code, as used in API error bodies ("invalid_request" …). */
const char *pcb_err_code_name(int code);

/* The HTTP status a daemon answers with for an error code (400, 404, 409, 500 …). */
int pcb_err_http_status(int code);

#endif
