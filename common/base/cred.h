/* cred.h — acting with another user's rights on one thread.
 *
 * A daemon shared over a socket must touch each caller's files with the caller's rights: a
 * file the caller may not read must not reach an image, and what is written for the caller
 * must belong to the caller. Linux keeps the filesystem uid/gid (setfsuid/setfsgid) and the
 * supplementary groups per thread (the raw setgroups syscall; glibc's wrapper changes every
 * thread), so a worker thread can open the caller's files as the caller and go back to the
 * daemon's own rights for its store, while other workers act for other users.
 *
 * Thread-safety: pcb_cred_lookup is thread-safe (getpwuid_r, getgrouplist);
 * pcb_cred_enter/leave change the calling thread only. */
#ifndef PCB_CRED_H
#define PCB_CRED_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"

#define PCB_CRED_MAX_GROUPS 64

/* Who a request or a job acts for. Plain data: copy it freely. */
struct pcb_cred {
	bool set;                 /* false: the daemon's own rights (nothing to switch) */
	uid_t uid;
	gid_t gid;                /* primary group */
	int n_groups;             /* supplementary groups (the user database's), may be 0 */
	gid_t groups[PCB_CRED_MAX_GROUPS];
	char name[64];            /* user name, or the uid as digits when the database has none */
};

/* The rights of `uid` whose primary group is `gid` (from SO_PEERCRED): the name and the
 * supplementary groups come from the user database (at most PCB_CRED_MAX_GROUPS). A uid the
 * database does not know still gets a cred (no supplementary groups). */
void pcb_cred_lookup(uid_t uid, gid_t gid, struct pcb_cred *out);

/* The daemon's own rights as a cred (set = false). */
void pcb_cred_self(struct pcb_cred *out);

/* True when acting as c needs no switch: c is unset or is the daemon's effective uid/gid. */
bool pcb_cred_is_self(const struct pcb_cred *c);

/* True when c is in group gid (primary or supplementary). */
bool pcb_cred_in_group(const struct pcb_cred *c, gid_t gid);

/* What pcb_cred_enter replaced, for pcb_cred_leave. */
struct pcb_cred_saved {
	bool active;
	uid_t fsuid;
	gid_t fsgid;
	int n_groups;
	gid_t groups[PCB_CRED_MAX_GROUPS];
};

/* Makes the calling thread's file access that of c (fsuid, fsgid, supplementary groups).
 * Nothing happens when pcb_cred_is_self(c). PCB_EPERM when the daemon may not switch (it is
 * not root): then it serves only its own user. Pair every successful call with
 * pcb_cred_leave on the same thread. */
int pcb_cred_enter(const struct pcb_cred *c, struct pcb_cred_saved *saved, struct pcb_err *err);
void pcb_cred_leave(struct pcb_cred_saved *saved);

/* open(2) / mkdir(2) / opendir as c, back to the daemon's rights before returning; errno as
 * the call left it. c may be NULL (the daemon's rights). */
int pcb_cred_open(const struct pcb_cred *c, const char *path, int flags, mode_t mode);

/* In a child after fork(), before exec: become c for good (groups, gid, uid — raw
 * syscalls, async-signal-safe). Returns 0 or -1 with errno. */
int pcb_cred_become(const struct pcb_cred *c);

#endif
