/* listen.c — binding the listening sockets the HTTP server is handed. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"

#define BACKLOG 128

static void
set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fl = fcntl(fd, F_GETFD);
	if (fl >= 0)
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

/* A socket file left by a process that died is replaced; one somebody answers on is not. */
static int
check_stale(const char *path, const char *name, struct pcb_err *err)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : pcb_err_errno(err, errno, "%s", path);
	if (!S_ISSOCK(st.st_mode))
		return pcb_err_set(err, PCB_EEXIST, "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pcb_err_errno(err, errno, "socket");
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		rc = pcb_err_set(err, PCB_EEXIST, "another pycontainerd is listening on %s", name);
	} else if (errno == ECONNREFUSED) {
		if (unlink(path) != 0 && errno != ENOENT)
			rc = pcb_err_errno(err, errno, "removing the stale socket %s", path);
	} else {
		rc = pcb_err_errno(err, errno, "checking %s", path);
	}
	close(fd);
	return rc;
}

static int
open_unix(const char *host, const char *path, bool root, struct pcb_listen *out,
    struct pcb_err *err)
{
	struct sockaddr_un sa;
	char *dir = NULL;
	int fd = -1, rc;

	if (path[0] != '/')
		return pcb_err_set(err, PCB_EINVAL, "%s: the socket path must be absolute", host);
	if (strlen(path) >= sizeof sa.sun_path)
		return pcb_err_set(err, PCB_EINVAL, "%s: the socket path is longer than %zu bytes",
		    host, sizeof sa.sun_path - 1);
	dir = pcb_xstrdup(path);
	*strrchr(dir, '/') = '\0';
	if (dir[0] != '\0') {
		struct stat st;
		if (stat(dir, &st) != 0) {
			/* Only a directory we create gets our mode; an existing one is the admin's. */
			rc = pcb_mkdir_p(dir, root ? 0755 : 0700, err);
			if (rc != 0)
				goto out;
		}
	}
	rc = check_stale(path, host, err);
	if (rc != 0)
		goto out;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = pcb_err_errno(err, errno, "socket");
		goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		rc = pcb_err_errno(err, errno, "binding %s", host);
		goto out;
	}
	if (chmod(path, 0660) != 0 || listen(fd, BACKLOG) != 0) {
		rc = pcb_err_errno(err, errno, "listening on %s", host);
		unlink(path);
		goto out;
	}
	out->fd = fd;
	out->name = pcb_xasprintf("unix://%s", path);
	out->unix_path = pcb_xstrdup(path);
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

static int
open_tcp(const char *host, const char *hp, struct pcb_listen *out, struct pcb_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char addr[64], *colon, *end;
	const char *port_s;
	unsigned long port;
	int fd = -1, rc = 0, one = 1, family;

	memset(&ss, 0, sizeof ss);
	if (hp[0] == '[') {
		const char *close_b = strchr(hp, ']');
		if (close_b == NULL || close_b[1] != ':' || (size_t)(close_b - hp - 1) >= sizeof addr)
			return pcb_err_set(err, PCB_EINVAL, "%s: expected tcp://[ADDRESS]:PORT", host);
		memcpy(addr, hp + 1, (size_t)(close_b - hp - 1));
		addr[close_b - hp - 1] = '\0';
		port_s = close_b + 2;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL || (size_t)(colon - hp) >= sizeof addr)
			return pcb_err_set(err, PCB_EINVAL, "%s: expected tcp://ADDRESS:PORT", host);
		memcpy(addr, hp, (size_t)(colon - hp));
		addr[colon - hp] = '\0';
		port_s = colon + 1;
	}
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (*port_s == '\0' || *end != '\0' || errno != 0 || port > 65535)
		return pcb_err_set(err, PCB_EINVAL, "%s: \"%s\" is not a port number", host, port_s);
	if (strcmp(addr, "localhost") == 0)
		snprintf(addr, sizeof addr, "127.0.0.1");
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
			if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
				goto not_loopback;
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			sl = sizeof *s4;
		} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
			if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
				goto not_loopback;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			sl = sizeof *s6;
		} else {
			goto not_loopback;
		}
	}
	family = ss.ss_family;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = pcb_err_errno(err, errno, "socket");
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		rc = pcb_err_errno(err, errno, "binding %s", host);
		goto out;
	}
	if (listen(fd, BACKLOG) != 0) {
		rc = pcb_err_errno(err, errno, "listening on %s", host);
		goto out;
	}
	/* Port 0 picks a free port: report the real one (tests read it from the log). */
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	out->fd = fd;
	out->name = family == AF_INET ? pcb_xasprintf("tcp://%s:%lu", addr, port) :
	    pcb_xasprintf("tcp://[%s]:%lu", addr, port);
	out->unix_path = NULL;
	fd = -1;
	goto out;
not_loopback:
	rc = pcb_err_set(err, PCB_EINVAL, "%s: TCP is only served on loopback addresses "
	    "(127.0.0.0/8, ::1, localhost): the API has no authentication; use a unix socket "
	    "(and ssh forwarding) for remote access", host);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int
pcb_listen_open(const char *host, bool root, struct pcb_listen *out, struct pcb_err *err)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	if (pcb_str_has_prefix(host, "unix://"))
		return open_unix(host, host + 7, root, out, err);
	if (pcb_str_has_prefix(host, "tcp://"))
		return open_tcp(host, host + 6, out, err);
	return pcb_err_set(err, PCB_EINVAL, "--host %s: expected unix:///PATH or "
	    "tcp://127.0.0.1:PORT", host);
}

static char *
describe_fd(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char addr[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return pcb_xasprintf("systemd fd %d", fd);
	if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;
		return pcb_xasprintf("systemd fd %d (unix://%.*s)", fd, (int)sizeof su->sun_path,
		    su->sun_path);
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
		return pcb_xasprintf("systemd fd %d (tcp://%s:%u)", fd, addr, ntohs(s4->sin_port));
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
		return pcb_xasprintf("systemd fd %d (tcp://[%s]:%u)", fd, addr,
		    ntohs(s6->sin6_port));
	}
	return pcb_xasprintf("systemd fd %d", fd);
}

int
pcb_listen_systemd(struct pcb_listen **out, size_t *n, struct pcb_err *err)
{
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	struct pcb_listen *ls = NULL;
	unsigned long pid, nfds;
	char *end;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (pid_s == NULL || fds_s == NULL)
		return 0;
	errno = 0;
	pid = strtoul(pid_s, &end, 10);
	if (errno != 0 || *end != '\0' || pid != (unsigned long)getpid())
		return 0;   /* meant for another process */
	nfds = strtoul(fds_s, &end, 10);
	if (errno != 0 || *end != '\0' || nfds > 64) {
		rc = pcb_err_set(err, PCB_EINVAL, "LISTEN_FDS=%s: not a socket count", fds_s);
		goto out;
	}
	ls = pcb_xcalloc(nfds ? nfds : 1, sizeof *ls);
	for (unsigned long i = 0; i < nfds; i++) {
		int fd = 3 + (int)i;
		int type = 0;
		socklen_t tl = sizeof type;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM) {
			rc = pcb_err_set(err, PCB_EINVAL, "systemd fd %d is not a stream socket", fd);
			for (unsigned long k = 0; k < i; k++)
				pcb_listen_free(&ls[k]);
			free(ls);
			ls = NULL;
			goto out;
		}
		set_flags(fd);
		ls[i].fd = fd;
		ls[i].name = describe_fd(fd);
		ls[i].unix_path = NULL;   /* the socket unit owns the file */
	}
	*out = ls;
	*n = nfds;
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}

void
pcb_listen_free(struct pcb_listen *l)
{
	free(l->name);
	free(l->unix_path);
	l->name = l->unix_path = NULL;
}
