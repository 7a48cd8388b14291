/* listen.h — the daemon's listening sockets: unix:// paths, tcp:// on loopback only, and
 * sockets inherited through systemd socket activation (LISTEN_FDS/LISTEN_PID).
 *
 * Thread-safety: start-up code on the main thread. */
#ifndef PCB_LISTEN_H
#define PCB_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct pcb_listen {
	int fd;             /* bound, listening, non-blocking */
	char *name;         /* "unix:///run/…", "tcp://127.0.0.1:8080", "systemd fd 3 (…)" */
	char *unix_path;    /* socket file we created and remove at exit, or NULL */
};

/* Opens one --host value. `root` selects the socket directory mode (0755 vs 0700). */
int pcb_listen_open(const char *host, bool root, struct pcb_listen *out, struct pcb_err *err);
/* Sockets passed by systemd to this process; *n = 0 when not socket-activated. Clears the
 * LISTEN_* variables so children do not inherit them. Caller frees the array. */
int pcb_listen_systemd(struct pcb_listen **out, size_t *n, struct pcb_err *err);
/* Frees the strings (does not close fd). */
void pcb_listen_free(struct pcb_listen *l);

#endif
