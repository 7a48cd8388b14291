/* ptyrun.h — runs a program on a pseudo-terminal, for tests of what pcb shows a person at a
 * terminal (isatty() is true for its stdout and stderr there, as in a shell). Test code only:
 * failures abort the running Check test. */
#ifndef PCB_PTYRUN_H
#define PCB_PTYRUN_H

/* Runs argv (argv[0] a path) with its stdin, stdout and stderr on a new pty of 120 columns,
 * with the environment of the test plus env ("NAME=value" strings; "NAME=" with nothing after
 * the '=' unsets NAME; NULL-terminated, may be NULL). Reads everything it writes until it
 * exits, within timeout_ms (then it is killed and the test fails). *out gets the bytes as the
 * terminal got them (caller frees); returns the exit status. */
int pcb_test_pty_run(const char *const *argv, const char *const *env, int timeout_ms,
    char **out);

#endif
