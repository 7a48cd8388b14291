/* dconfig.h — pycontainerd's settings: command-line flags and the configuration file
 * (/etc/pycontainerd/config.toml), described by one table so that every flag has a key of the
 * same name ("--user-max-running" is user_max_running), the usage text and getopt's long
 * options come from that table, and a SIGHUP can re-read the file and tell what changed.
 *
 * Precedence: built-in defaults, then the file, then the flags (flags win, at start and on
 * every reload). The file is strict: an unknown key or a value of the wrong type is an error
 * naming the key and its line, never a silent default.
 *
 * Ownership: a struct pcb_dconfig owns every string in it (pcb_dconfig_free). A struct
 * pcb_dconfig_args borrows its flag values from argv (which lives as long as the process)
 * and owns its config_path (pcb_dconfig_args_free).
 * Thread-safety: main thread / loop thread only (getopt and getgrnam_r keep no state we share,
 * but getopt's optind is global). */
#ifndef PCB_DCONFIG_H
#define PCB_DCONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "base/util.h"
#include "daemon.h"
#include "image/store.h"

#define PCB_DCONFIG_DEFAULT_PATH "/etc/pycontainerd/config.toml"
/* Room for the per-option bookkeeping below; the table in dconfig.c is checked against it. */
#define PCB_DCONFIG_MAX_OPTS 40

enum pcb_dconfig_src {
	PCB_DCONFIG_SRC_DEFAULT = 0,
	PCB_DCONFIG_SRC_FILE,
	PCB_DCONFIG_SRC_FLAG,
};

/* The settings after defaults, file and flags. Values the daemon derives at start (the socket
 * path and state dir for root or not, the number of CPUs for workers = 0) are NOT filled in
 * here, so that a reload compares what was written, not what was derived. */
struct pcb_dconfig {
	struct pcb_strv hosts;          /* empty: the default socket */
	char *state_dir;                /* NULL: the default for root or the user */
	int workers;                    /* 0: one per CPU */
	int log_level;                  /* enum pcb_log_level */
	int shutdown_timeout_s;
	char *base_registry;            /* NULL: Docker Hub */
	char *default_base;             /* NULL: python:{python}-slim */
	char *cache_to;                 /* NULL: builds write no registry cache by default */
	struct pcb_strv cache_from;     /* empty: builds read none by default */
	struct pcb_store_policy cache;
	int64_t resolve_max_age_ms;
	struct pcb_daemon_policy policy; /* admin_group owned here */
	char *tcp_token_file;           /* NULL: <state_dir>/tcp-token */
	/* Where each option's value came from, and for the file its line (0 otherwise), by the
	 * option's index in the table. Error messages found after merging use them. */
	unsigned char src[PCB_DCONFIG_MAX_OPTS];
	int line[PCB_DCONFIG_MAX_OPTS];
	char *path;                     /* the file read, NULL when none was there */
};

/* What was on the command line, kept so that a reload can apply the flags again over the
 * new file. Flag values are borrowed from argv; config_path is owned (made absolute). */
struct pcb_dconfig_args {
	struct pcb_dconfig_flag {
		int opt;                /* index in the option table */
		const char *value;      /* NULL for options without a value */
	} *v;
	size_t n;
	char *config_path;              /* --config as an absolute path, else NULL */
	bool config_explicit;           /* a missing explicit file is an error */
};

enum pcb_dconfig_action {
	PCB_DCONFIG_RUN = 0,
	PCB_DCONFIG_HELP,
	PCB_DCONFIG_VERSION,
	PCB_DCONFIG_PRINT_ROUTES,
	PCB_DCONFIG_CHECK,              /* --check-config: print the effective settings, exit */
};

/* The default file for this user: PCB_DCONFIG_DEFAULT_PATH for root; a daemon of another user
 * reads $XDG_CONFIG_HOME/pycontainerd/config.toml (or ~/.config/…), since the system file's
 * paths (/var/lib, /run) are not its own. Caller frees. */
char *pcb_dconfig_default_path(bool root);

/* Parses argv (getopt_long; long options built from the table). Flag values are checked here,
 * so that a bad flag fails before anything else is read. Returns 0 and *action, or PCB_EINVAL
 * with a message ("--workers 0: expected 0..256"). args is filled in either way; free it with
 * pcb_dconfig_args_free. */
int pcb_dconfig_args_parse(int argc, char **argv, struct pcb_dconfig_args *args,
    enum pcb_dconfig_action *action, struct pcb_err *err);
void pcb_dconfig_args_free(struct pcb_dconfig_args *args);

/* Builds the settings: defaults, the file (the explicit --config, else the default path,
 * which may be missing), the flags in args, then checks that need the whole picture (the
 * admin group exists, reserved_connections < max_connections). On error *cfg is left
 * initialised (free it) and err names the file, line and key, or the flag. */
int pcb_dconfig_load(struct pcb_dconfig *cfg, const struct pcb_dconfig_args *args, bool root,
    struct pcb_err *err);
void pcb_dconfig_free(struct pcb_dconfig *cfg);

/* Applies at start-up what is process-wide: the log level, the pip resolution age, the base
 * registry and the default base (the last two are read by workers without a lock, so they
 * are set here once and a reload only reports that they need a restart). Errors name the
 * key's line or the flag. Call before the worker pool exists. */
int pcb_dconfig_apply_startup(const struct pcb_dconfig *cfg, struct pcb_err *err);

/* Usage text, built from the table. */
void pcb_dconfig_usage(FILE *f);
/* The effective settings as a TOML document (every key; derived defaults shown as comments).
 * For --check-config. */
void pcb_dconfig_print(FILE *f, const struct pcb_dconfig *cfg);

/* A reload: compares `next` with `cur`. Every option that may change at run time and did is
 * moved from next into cur and described in *changed ("user_max_running 2 -> 4, admin_group
 * (none) -> builders"; NULL when nothing changed); options that need a restart and differ are
 * listed in *restart ("workers 2 -> 4"; NULL when none) and left as they were in cur. Both
 * strings are the caller's to free. */
void pcb_dconfig_reload(struct pcb_dconfig *cur, struct pcb_dconfig *next, char **changed,
    char **restart);

/* The bearer token for TCP clients, from `path`: created on first use (O_CREAT|O_EXCL|
 * O_NOFOLLOW, mode 0600, 32 random bytes as 64 hex digits and a newline); an existing file
 * must be a regular file owned by this user and neither readable nor writable by group or
 * others, or PCB_EPERM / PCB_EINVAL naming the path and its mode. *token_out (caller frees)
 * is the content without surrounding white space. */
int pcb_dconfig_tcp_token(const char *path, char **token_out, bool *created_out,
    struct pcb_err *err);

#endif
