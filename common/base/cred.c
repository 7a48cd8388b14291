/* cred.c — per-thread filesystem rights of another user (see cred.h for why). */
#include "base/cred.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

void
pcb_cred_lookup(uid_t uid, gid_t gid, struct pcb_cred *out)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int n = PCB_CRED_MAX_GROUPS;

	memset(out, 0, sizeof *out);
	out->set = true;
	out->uid = uid;
	out->gid = gid;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL) {
		snprintf(out->name, sizeof out->name, "%s", pw.pw_name);
		/* getgrouplist puts the given group first; more than the maximum: the first ones
		 * (a user in over 64 groups loses rights to the rest here, never gains). */
		if (getgrouplist(pw.pw_name, gid, out->groups, &n) < 0)
			n = PCB_CRED_MAX_GROUPS;
		out->n_groups = n;
	} else {
		snprintf(out->name, sizeof out->name, "%u", (unsigned)uid);
		out->groups[0] = gid;
		out->n_groups = 1;
	}
}

void
pcb_cred_self(struct pcb_cred *out)
{
	memset(out, 0, sizeof *out);
	out->uid = geteuid();
	out->gid = getegid();
}

bool
pcb_cred_is_self(const struct pcb_cred *c)
{
	return c == NULL || !c->set || (c->uid == geteuid() && c->gid == getegid());
}

bool
pcb_cred_in_group(const struct pcb_cred *c, gid_t gid)
{
	if (c->gid == gid)
		return true;
	for (int i = 0; i < c->n_groups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int
pcb_cred_enter(const struct pcb_cred *c, struct pcb_cred_saved *saved, struct pcb_err *err)
{
	int n;

	memset(saved, 0, sizeof *saved);
	if (pcb_cred_is_self(c))
		return 0;
	if (geteuid() != 0)
		return pcb_err_set(err, PCB_EPERM, "this daemon runs as uid %u and cannot act for "
		    "uid %u", (unsigned)geteuid(), (unsigned)c->uid);
	n = getgroups(PCB_CRED_MAX_GROUPS, saved->groups);
	saved->n_groups = n < 0 ? 0 : n;
	/* Groups first, then gid, then uid: each later step may need the rights of the earlier
	 * identity. The raw syscall: glibc's setgroups() would change every thread. */
	if (syscall(SYS_setgroups, (size_t)c->n_groups, c->groups) != 0)
		return pcb_err_errno(err, errno, "switching to the groups of %s", c->name);
	saved->fsgid = (gid_t)setfsgid(c->gid);
	saved->fsuid = (uid_t)setfsuid(c->uid);
	saved->active = true;
	/* setfsuid reports the old value even on failure: check the new one took. */
	if ((uid_t)setfsuid((uid_t)-1) != c->uid || (gid_t)setfsgid((gid_t)-1) != c->gid) {
		pcb_cred_leave(saved);
		return pcb_err_set(err, PCB_EPERM, "could not take the file rights of %s", c->name);
	}
	return 0;
}

void
pcb_cred_leave(struct pcb_cred_saved *saved)
{
	if (!saved->active)
		return;
	(void)setfsuid(saved->fsuid);
	(void)setfsgid(saved->fsgid);
	(void)syscall(SYS_setgroups, (size_t)saved->n_groups, saved->groups);
	saved->active = false;
}

int
pcb_cred_open(const struct pcb_cred *c, const char *path, int flags, mode_t mode)
{
	struct pcb_cred_saved s;
	int fd, e;

	if (pcb_cred_enter(c, &s, NULL) != 0) {
		errno = EPERM;
		return -1;
	}
	fd = open(path, flags | O_CLOEXEC, mode);
	e = errno;
	pcb_cred_leave(&s);
	errno = e;
	return fd;
}

int
pcb_cred_become(const struct pcb_cred *c)
{
	if (pcb_cred_is_self(c))
		return 0;
	if (syscall(SYS_setgroups, (size_t)c->n_groups, c->groups) != 0 ||
	    syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0 ||
	    syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0)
		return -1;
	return 0;
}
