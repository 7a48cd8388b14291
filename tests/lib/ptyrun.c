/* ptyrun.c — a program on a pseudo-terminal (see ptyrun.h). forkpty() gives the child a
 * controlling terminal; the parent drains the master side with poll() and a deadline, so a
 * child that hangs fails the test instead of blocking it. */
#include "ptyrun.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/util.h"

int
pcb_test_pty_run(const char *const *argv, const char *const *env, int timeout_ms, char **out)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	struct pcb_buf buf;
	int64_t deadline = pcb_monotonic_ms() + timeout_ms;
	int master, status = 0;
	pid_t pid;

	pcb_buf_init(&buf, (size_t)64 << 20);
	pid = forkpty(&master, NULL, NULL, &ws);
	ck_assert_msg(pid >= 0, "forkpty: %s", strerror(errno));
	if (pid == 0) {
		for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
			const char *eq = strchr(env[i], '=');
			char name[128];

			if (eq == NULL || (size_t)(eq - env[i]) >= sizeof name)
				_exit(127);
			memcpy(name, env[i], (size_t)(eq - env[i]));
			name[eq - env[i]] = '\0';
			if (eq[1] == '\0')
				unsetenv(name);
			else
				setenv(name, eq + 1, 1);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		struct pollfd pfd = { master, POLLIN, 0 };
		int64_t left = deadline - pcb_monotonic_ms();
		char chunk[4096];
		ssize_t n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(master);
			ck_abort_msg("%s did not finish within %d ms; output so far: %.*s", argv[0],
			    timeout_ms, (int)buf.len, buf.data != NULL ? buf.data : "");
		}
		if (poll(&pfd, 1, (int)(left < 1000 ? left : 1000)) < 0) {
			ck_assert_int_eq(errno, EINTR);
			continue;
		}
		if (pfd.revents == 0)
			continue;
		n = read(master, chunk, sizeof chunk);
		if (n > 0) {
			ck_assert(pcb_buf_append(&buf, chunk, (size_t)n) == 0);
			continue;
		}
		/* EIO: every process holding the slave side has closed it (the child exited). */
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	close(master);
	ck_assert(waitpid(pid, &status, 0) == pid);
	*out = pcb_xstrndup(buf.data != NULL ? buf.data : "", buf.len);
	pcb_buf_free(&buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
