/* test-service.c — pycontainerd as a service: started from a configuration file (its host,
 * workers and limits), strict errors naming key and line, flags winning over the file, SIGHUP
 * reloads (a change applied and logged, a broken file changing nothing), the TCP token file
 * (made 0600 with 64 hex digits, refused when others may read it), sd_notify readiness on a
 * datagram socket, the shipped systemd units (systemd-analyze verify and security), and the
 * sample config.toml naming every key with its default. */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

#define DEADLINE_MS 20000

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static char *
daemon_bin(void)
{
	return pcb_xasprintf("%s/pycontainerd", pcb_test_build_dir());
}

/* A daemon in a fresh dir whose whole command line is argv (after the program name):
 * stdout+stderr go to dir/daemon.log, NOTIFY_SOCKET is set when notify is not NULL. The
 * socket d->sock is where the test expects it to listen; this waits until it answers. */
static void
start_with(struct pcb_test_daemon *d, const char *dir, const char *sock, const char *notify,
    const char *const *args)
{
	int64_t deadline;
	char *bin = daemon_bin();
	const char *argv[32];
	size_t n = 0;

	memset(d, 0, sizeof *d);
	d->dir = pcb_xstrdup(dir);
	d->sock = pcb_xstrdup(sock);
	d->state = pcb_path_join(dir, "state");
	d->host = pcb_xasprintf("unix://%s", sock);
	d->log = pcb_path_join(dir, "daemon.log");
	argv[n++] = bin;
	for (size_t i = 0; args[i] != NULL && n < PCB_ARRAY_LEN(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	d->pid = fork();
	ck_assert(d->pid >= 0);
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		if (notify != NULL)
			setenv("NOTIFY_SOCKET", notify, 1);
		else
			unsetenv("NOTIFY_SOCKET");
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	free(bin);
	deadline = pcb_monotonic_ms() + DEADLINE_MS;
	for (;;) {
		int st;
		char *body = NULL;
		long code = pcb_test_http(d, "GET", "/v1/health", NULL, 0, &body);
		free(body);
		if (code == 200)
			break;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			char *log = pcb_test_read(d->log, NULL);
			d->pid = 0;
			ck_abort_msg("daemon exited early: %s", log ? log : "(no log)");
		}
		ck_assert_msg(pcb_monotonic_ms() < deadline, "daemon did not answer on %s", sock);
		sleep_ms(20);
	}
}

/* GET /v1/health's "workers". */
static int
health_workers(const struct pcb_test_daemon *d)
{
	char *body = NULL;
	json_object *j, *w;
	int n;

	ck_assert_int_eq(pcb_test_http(d, "GET", "/v1/health", NULL, 0, &body), 200);
	j = json_tokener_parse(body);
	ck_assert_msg(j != NULL && json_object_object_get_ex(j, "workers", &w), "%s", body);
	n = json_object_get_int(w);
	json_object_put(j);
	free(body);
	return n;
}

/* Polls the daemon's log until it holds `needle` (after byte `from`); returns the log. */
static char *
wait_log(const struct pcb_test_daemon *d, size_t from, const char *needle)
{
	int64_t deadline = pcb_monotonic_ms() + DEADLINE_MS;

	for (;;) {
		size_t len = 0;
		char *log = pcb_test_read(d->log, &len);
		if (log != NULL && len > from && strstr(log + from, needle) != NULL)
			return log;
		if (pcb_monotonic_ms() > deadline) {
			ck_abort_msg("no \"%s\" in the log: %s", needle, log ? log + from : "(none)");
		}
		free(log);
		sleep_ms(20);
	}
}

static size_t
log_len(const struct pcb_test_daemon *d)
{
	size_t len = 0;
	char *log = pcb_test_read(d->log, &len);
	free(log);
	return log != NULL ? len : 0;
}

/* Writes dir/name, replacing it in one rename so the daemon never reads half a file. */
static void
write_config(const char *dir, const char *name, const char *text)
{
	char *tmp = pcb_xasprintf("%s.tmp", name), *from = pcb_path_join(dir, tmp),
	     *to = pcb_path_join(dir, name);

	pcb_test_write(dir, tmp, text, 0644);
	ck_assert_int_eq(rename(from, to), 0);
	free(tmp);
	free(from);
	free(to);
}

static char *
read_in(const char *dir, const char *name)
{
	char *path = pcb_path_join(dir, name), *text = pcb_test_read(path, NULL);

	ck_assert_msg(text != NULL, "cannot read %s", path);
	free(path);
	return text;
}

/* --- a daemon from a configuration file --------------------------------------------------- */

START_TEST(config_file_starts_daemon)
{
	char *dir = pcb_test_tmpdir(), *sock = pcb_path_join(dir, "from-config.sock");
	char *cfg, *conf = pcb_path_join(dir, "config.toml"), *log;
	struct pcb_test_daemon d;
	const char *args[] = { "--config", conf, NULL };

	cfg = pcb_xasprintf("# a team box\nhost = [\"unix://%s\"]\nstate_dir = \"%s/state\"\n"
	    "workers = 3\nlog_level = \"debug\"\ndefault_base = \"scratch\"\n"
	    "user_max_running = 5\nuser_max_queued = 7\nuser_max_context = \"1G\"\n"
	    "max_connections = 100\nreserved_connections = 4\nheader_timeout = 20\n"
	    "cache_max_size = \"30G\"\ncache_keep = 7200\n", sock, dir);
	pcb_test_write(dir, "config.toml", cfg, 0644);
	start_with(&d, dir, sock, NULL, args);
	/* The config's host is where it listens, and its workers are the pool's. */
	ck_assert_int_eq(health_workers(&d), 3);
	log = wait_log(&d, 0, "per user: 5 running, 7 queued, context 1073741824 bytes; "
	    "connections: 100, 64 per user, 4 reserved; header timeout 20 s");
	ck_assert_msg(strstr(log, "max size 32212254720 bytes") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "keep 7200 s") != NULL, "%s", log);
	ck_assert_msg(strstr(log, " debug ") != NULL, "log_level = debug not applied: %s", log);
	ck_assert_msg(strstr(log, conf) != NULL, "the log does not name the file: %s", log);
	free(log);
	/* No TCP listener: no token file. */
	{
		char *tok = pcb_path_join(d.state, "tcp-token");
		ck_assert(access(tok, F_OK) != 0);
		free(tok);
	}
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	free(cfg);
	free(conf);
	free(sock);
	free(dir);
}
END_TEST

START_TEST(flags_win_over_file)
{
	char *dir = pcb_test_tmpdir(), *fsock = pcb_path_join(dir, "file.sock"),
	     *sock = pcb_path_join(dir, "flag.sock"), *host = pcb_xasprintf("unix://%s", sock);
	char *cfg, *conf = pcb_path_join(dir, "config.toml"), *log, *out = NULL;
	struct pcb_test_daemon d;
	const char *args[] = { "--config", conf, "--workers", "2", "--user-max-running", "9",
		"--host", host, "--admin-group", "", NULL };
	int rc;

	cfg = pcb_xasprintf("host = \"unix://%s\"\nstate_dir = \"%s/state\"\nworkers = 3\n"
	    "default_base = \"scratch\"\nuser_max_running = 5\nuser_max_queued = 6\n"
	    "admin_group = \"root\"\n", fsock, dir);
	pcb_test_write(dir, "config.toml", cfg, 0644);
	/* --check-config says the same as the running daemon. */
	rc = pcb_test_runf(&out, "%s/pycontainerd --config %s --workers 2 --user-max-running 9 "
	    "--host %s --admin-group '' --check-config", pcb_test_build_dir(), conf, host);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "workers = 2\n") && strstr(out, "user_max_running = 9\n") &&
	    strstr(out, "user_max_queued = 6\n") && strstr(out, "# admin_group: not set"),
	    "%s", out);
	free(out);

	start_with(&d, dir, sock, NULL, args);
	ck_assert_int_eq(health_workers(&d), 2);
	log = wait_log(&d, 0, "per user: 9 running, 6 queued");
	ck_assert_msg(strstr(log, "admin group (none)") != NULL, "%s", log);
	free(log);
	/* --host replaced the file's list rather than adding to it. */
	ck_assert_msg(access(fsock, F_OK) != 0, "the file's socket was made too");
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	free(cfg);
	free(conf);
	free(host);
	free(sock);
	free(fsock);
	free(dir);
}
END_TEST

/* Runs the daemon, which must refuse to start, and returns its stderr. */
static char *
refused(const char *args)
{
	char *out = NULL;
	int rc = pcb_test_runf(&out, "%s/pycontainerd %s 2>&1 </dev/null", pcb_test_build_dir(),
	    args);

	ck_assert_msg(rc != 0, "started with %s: %s", args, out);
	return out;
}

START_TEST(bad_files_refused)
{
	char *dir = pcb_test_tmpdir(), *args, *out;
	static const struct {
		const char *text;
		const char *needles[3];
	} cases[] = {
		{ "workers = 2\n\n# note\nwrokers = 3\n", { "line 4", "unknown key \"wrokers\"" } },
		{ "workers = \"3\"\n", { "line 1", "workers must be an integer, not a string" } },
		{ "log_level = \"loud\"\n", { "line 1", "log_level", "error, warn, info or debug" } },
		{ "\nworkers = 999\n", { "line 2", "workers", "0..256" } },
		{ "cache_max_size = \"20X\"\n", { "line 1", "cache_max_size", "20X" } },
		{ "cache_keep = true\n", { "line 1", "cache_keep must be a duration" } },
		{ "host = [\"unix:///tmp/x.sock\",\n  7]\n", { "line 2", "host[1] must be a string" } },
		{ "[cache]\nmax = 1\n", { "line 1", "unknown key \"cache\"" } },
		{ "\n\nadmin_group = \"no-such-group-pcb\"\n",
		  { "line 3", "admin_group", "no-such-group-pcb" } },
		{ "max_connections = 10\nreserved_connections = 10\n",
		  { "line 2", "reserved_connections (10) must be less than max_connections" } },
		{ "workers = [\n", { "line 2" } },
	};

	for (size_t i = 0; i < PCB_ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof name, "c%zu.toml", i);
		pcb_test_write(dir, name, cases[i].text, 0644);
		args = pcb_xasprintf("--config %s/%s --state-dir %s/state --host unix://%s/s.sock",
		    dir, name, dir, dir);
		out = refused(args);
		ck_assert_msg(strstr(out, name) != NULL, "case %zu: no file name in %s", i, out);
		for (size_t k = 0; k < 3 && cases[i].needles[k] != NULL; k++)
			ck_assert_msg(strstr(out, cases[i].needles[k]) != NULL,
			    "case %zu: no \"%s\" in %s", i, cases[i].needles[k], out);
		free(out);
		free(args);
	}
	/* Nothing was started: no state dir, no socket. */
	{
		char *st = pcb_path_join(dir, "state");
		ck_assert(access(st, F_OK) != 0);
		free(st);
	}
	/* An explicit file that is missing is an error; a bad flag names itself. */
	args = pcb_xasprintf("--config %s/missing.toml", dir);
	out = refused(args);
	ck_assert_msg(strstr(out, "missing.toml") != NULL, "%s", out);
	free(out);
	free(args);
	out = refused("--reserved-connections 20 --max-connections 20 --check-config");
	ck_assert_msg(strstr(out, "--reserved-connections") != NULL, "%s", out);
	free(out);
	out = refused("--user-max-context 4Q --check-config");
	ck_assert_msg(strstr(out, "--user-max-context 4Q") != NULL, "%s", out);
	free(out);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

/* --- SIGHUP --------------------------------------------------------------------------------- */

START_TEST(sighup_reload)
{
	char *dir = pcb_test_tmpdir(), *sock = pcb_path_join(dir, "d.sock");
	char *conf = pcb_path_join(dir, "config.toml"), *base, *cfg, *log;
	struct pcb_test_daemon d;
	const char *args[] = { "--config", conf, NULL };
	size_t mark;

	base = pcb_xasprintf("host = \"unix://%s\"\nstate_dir = \"%s/state\"\nworkers = 1\n"
	    "default_base = \"scratch\"\n", sock, dir);
	write_config(dir, "config.toml", base);
	start_with(&d, dir, sock, NULL, args);

	/* A change that applies at run time, one that needs a restart. */
	mark = log_len(&d);
	cfg = pcb_xasprintf("host = \"unix://%s\"\nstate_dir = \"%s/state\"\nworkers = 2\n"
	    "default_base = \"scratch\"\nuser_max_running = 4\nadmin_group = \"root\"\n"
	    "cache_max_size = \"10G\"\n", sock, dir);
	write_config(dir, "config.toml", cfg);
	ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
	log = wait_log(&d, mark, "a restart is needed");
	ck_assert_msg(strstr(log + mark, "reload: cache_max_size 20G -> 10G, admin_group (none) -> "
	    "root, user_max_running 2 -> 4\n") != NULL, "%s", log + mark);
	ck_assert_msg(strstr(log + mark, "reload: workers 1 -> 2: a restart is needed") != NULL,
	    "%s", log + mark);
	free(log);
	ck_assert_int_eq(health_workers(&d), 1);

	/* A broken file changes nothing and says where it is broken. */
	mark = log_len(&d);
	write_config(dir, "config.toml", "user_max_running = 9\nbogus_key = 1\n");
	ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
	log = wait_log(&d, mark, "nothing changed");
	ck_assert_msg(strstr(log + mark, "line 2: unknown key \"bogus_key\"; nothing changed") !=
	    NULL, "%s", log + mark);
	free(log);
	mark = log_len(&d);
	write_config(dir, "config.toml", "user_max_running = [\n");
	ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
	log = wait_log(&d, mark, "nothing changed");
	ck_assert_msg(strstr(log + mark, "error reload: ") != NULL, "%s", log + mark);
	free(log);

	/* The values in force are still those of the last good file: reading it again changes
	 * nothing (the restart-only workers is still reported, as it is still not applied). */
	mark = log_len(&d);
	write_config(dir, "config.toml", cfg);
	ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
	log = wait_log(&d, mark, "reload: nothing changed");
	free(log);

	/* Taking keys out of the file returns them to their defaults. */
	mark = log_len(&d);
	write_config(dir, "config.toml", base);
	ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
	log = wait_log(&d, mark, "reload: cache_max_size 10G -> 20G, admin_group root -> (none), "
	    "user_max_running 4 -> 2");
	ck_assert_msg(strstr(log + mark, "restart") == NULL, "%s", log + mark);
	free(log);

	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	free(cfg);
	free(base);
	free(conf);
	free(sock);
	free(dir);
}
END_TEST

/* --- the TCP token ---------------------------------------------------------------------------- */

START_TEST(tcp_token_file)
{
	char *dir = pcb_test_tmpdir(), *sock = pcb_path_join(dir, "d.sock");
	char *host = pcb_xasprintf("unix://%s", sock), *state = pcb_path_join(dir, "state");
	char *tok = pcb_path_join(state, "tcp-token"), *first, *again, *args, *out;
	struct pcb_test_daemon d;
	const char *argv[] = { "--host", host, "--host", "tcp://127.0.0.1:0", "--state-dir", state,
		"--default-base", "scratch", NULL };
	struct stat st;
	size_t len = 0;

	start_with(&d, dir, sock, NULL, argv);
	ck_assert_int_eq(lstat(tok, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	first = pcb_test_read(tok, &len);
	ck_assert_int_eq(len, 65);
	ck_assert_int_eq(first[64], '\n');
	for (int i = 0; i < 64; i++)
		ck_assert_msg(isxdigit((unsigned char)first[i]) && !isupper((unsigned char)first[i]),
		    "%s", first);
	/* The HTTP server asks TCP clients for it (http.c): without it 401, with it 200. */
	{
		char *log = wait_log(&d, 0, "listening on tcp://127.0.0.1:"), *p, *tout = NULL;
		int port, rc;

		p = strstr(log, "listening on tcp://127.0.0.1:");
		port = atoi(p + strlen("listening on tcp://127.0.0.1:"));
		ck_assert_int_gt(port, 0);
		rc = pcb_test_runf(&tout, "curl -s -o /dev/null -w '%%{http_code}' "
		    "http://127.0.0.1:%d/v1/health", port);
		ck_assert_msg(rc == 0 && strcmp(tout, "401") == 0, "without the token: %s", tout);
		free(tout);
		rc = pcb_test_runf(&tout, "curl -sf -H \"Authorization: Bearer $(cat %s)\" "
		    "http://127.0.0.1:%d/v1/health", tok, port);
		ck_assert_msg(rc == 0 && strstr(tout, "\"ok\"") != NULL, "with the token: %s", tout);
		free(tout);
		free(log);
	}
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, false);

	/* A second start reads the same token, it does not make a new one. */
	start_with(&d, dir, sock, NULL, argv);
	again = pcb_test_read(tok, NULL);
	ck_assert_str_eq(first, again);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, false);

	/* Readable by others: refused, naming the path and the mode. */
	ck_assert_int_eq(chmod(tok, 0644), 0);
	args = pcb_xasprintf("--host unix://%s --host tcp://127.0.0.1:0 --state-dir %s", sock,
	    state);
	out = refused(args);
	ck_assert_msg(strstr(out, tok) != NULL && strstr(out, "0644") != NULL, "%s", out);
	free(out);
	ck_assert_msg(access(sock, F_OK) != 0, "socket left behind");
	ck_assert_int_eq(chmod(tok, 0620), 0);
	out = refused(args);
	ck_assert_msg(strstr(out, "0620") != NULL, "%s", out);
	free(out);
	free(args);

	/* Not a regular file (a symlink to the real one; a directory): refused. */
	{
		char *link = pcb_path_join(dir, "link-token"), *sub = pcb_path_join(dir, "tokdir");
		ck_assert_int_eq(chmod(tok, 0600), 0);
		ck_assert_int_eq(symlink(tok, link), 0);
		args = pcb_xasprintf("--host tcp://127.0.0.1:0 --state-dir %s --tcp-token-file %s",
		    state, link);
		out = refused(args);
		ck_assert_msg(strstr(out, link) != NULL && strstr(out, "regular file") != NULL,
		    "%s", out);
		free(out);
		free(args);
		ck_assert_int_eq(mkdir(sub, 0700), 0);
		args = pcb_xasprintf("--host tcp://127.0.0.1:0 --state-dir %s --tcp-token-file %s",
		    state, sub);
		out = refused(args);
		ck_assert_msg(strstr(out, sub) != NULL && strstr(out, "not a regular file") != NULL,
		    "%s", out);
		free(out);
		free(args);
		free(link);
		free(sub);
	}

	/* tcp_token_file from the config file, with a token the admin wrote. */
	{
		char *cfg, *conf = pcb_path_join(dir, "config.toml"), *mine =
		    pcb_path_join(dir, "my-token"), *log;
		const char *cargs[] = { "--config", conf, NULL };

		pcb_test_write(dir, "my-token", "  s3cret-token-of-the-team-0123\n\n", 0600);
		cfg = pcb_xasprintf("host = [\"unix://%s\", \"tcp://127.0.0.1:0\"]\n"
		    "state_dir = \"%s\"\ntcp_token_file = \"%s\"\ndefault_base = \"scratch\"\n",
		    sock, state, mine);
		pcb_test_write(dir, "config.toml", cfg, 0644);
		start_with(&d, dir, sock, NULL, cargs);
		log = wait_log(&d, 0, "bearer token in ");
		ck_assert_msg(strstr(log, mine) != NULL, "%s", log);
		free(log);
		ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
		pcb_test_daemon_free(&d, false);
		free(cfg);
		free(conf);
		free(mine);
	}

	pcb_test_rmtree(dir);
	free(first);
	free(again);
	free(tok);
	free(state);
	free(host);
	free(sock);
	free(dir);
}
END_TEST

/* --- sd_notify ------------------------------------------------------------------------------ */

/* Reads datagrams until one holds `needle`; returns it (caller frees). */
static char *
wait_notify(int fd, const char *needle)
{
	int64_t deadline = pcb_monotonic_ms() + DEADLINE_MS;
	char buf[4096];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = deadline - pcb_monotonic_ms();
		ssize_t n;

		ck_assert_msg(left > 0, "no \"%s\" from sd_notify", needle);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf, sizeof buf - 1, 0);
		ck_assert(n >= 0);
		buf[n] = '\0';
		if (strstr(buf, needle) != NULL)
			return pcb_xstrdup(buf);
	}
}

static int
notify_socket(const char *path, bool abstract)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	ck_assert(strlen(path) < sizeof sa.sun_path);
	memcpy(sa.sun_path, path, strlen(path));
	if (abstract)
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

static void
notify_run(bool abstract)
{
	char *dir = pcb_test_tmpdir(), *sock = pcb_path_join(dir, "d.sock");
	char *host = pcb_xasprintf("unix://%s", sock), *state = pcb_path_join(dir, "state");
	char *npath = abstract ? pcb_xasprintf("@pcbtest-notify-%d", (int)getpid()) :
	    pcb_path_join(dir, "notify.sock");
	char *msg;
	const char *argv[] = { "--host", host, "--state-dir", state, "--workers", "2",
		"--default-base", "scratch", NULL };
	struct pcb_test_daemon d;
	int fd = notify_socket(npath, abstract);

	start_with(&d, dir, sock, npath, argv);
	msg = wait_notify(fd, "READY=1");
	ck_assert_msg(strstr(msg, "STATUS=listening on unix://") != NULL &&
	    strstr(msg, "; 2 workers") != NULL, "%s", msg);
	free(msg);
	ck_assert_int_eq(kill(d.pid, SIGHUP), 0);
	msg = wait_notify(fd, "RELOADING=1");
	ck_assert_msg(strstr(msg, "MONOTONIC_USEC=") != NULL, "%s", msg);
	free(msg);
	msg = wait_notify(fd, "READY=1");
	free(msg);
	kill(d.pid, SIGTERM);
	msg = wait_notify(fd, "STOPPING=1");
	free(msg);
	ck_assert_int_eq(pcb_test_daemon_stop(&d), 0);
	pcb_test_daemon_free(&d, true);
	close(fd);
	free(npath);
	free(state);
	free(host);
	free(sock);
	free(dir);
}

START_TEST(sd_notify_path)
{
	notify_run(false);
}
END_TEST

START_TEST(sd_notify_abstract)
{
	notify_run(true);
}
END_TEST

/* --- the systemd units and the sample config -------------------------------------------------- */

START_TEST(systemd_units_verify)
{
	char *dir = pcb_test_tmpdir(), *out = NULL, *user = pcb_path_join(dir, "user");
	const char *src = pcb_test_source_dir(), *bin = pcb_test_build_dir();
	double exposure = 99;
	char *p;
	int rc;

	if (!pcb_test_have("systemd-analyze")) {
		pcb_test_rmtree(dir);
		free(user);
		free(dir);
		return;
	}
	/* The .in files with ExecStart at the built binary, as make install would write them. */
	pcb_test_mkdir(dir, "user");
	rc = pcb_test_runf(&out, "sed 's|@BINDIR@|%s|g' %s/systemd/pycontainerd.service.in > "
	    "%s/pycontainerd.service && cp %s/systemd/pycontainerd.socket %s/ && "
	    "sed 's|@BINDIR@|%s|g' %s/systemd/user/pycontainerd.service.in > "
	    "%s/pycontainerd.service && cp %s/systemd/user/pycontainerd.socket %s/",
	    bin, src, dir, src, dir, bin, src, user, src, user);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	rc = pcb_test_runf(&out, "cd %s && systemd-analyze verify --man=no pycontainerd.service "
	    "pycontainerd.socket 2>&1", dir);
	ck_assert_msg(rc == 0 && out[0] == '\0', "system units: %s", out);
	free(out);
	rc = pcb_test_runf(&out, "mkdir -p -m 0700 %s/rt && cd %s && XDG_RUNTIME_DIR=%s/rt "
	    "systemd-analyze --user verify --man=no pycontainerd.service pycontainerd.socket 2>&1",
	    dir, user, dir);
	ck_assert_msg(rc == 0 && out[0] == '\0', "user units: %s", out);
	free(out);

	/* What the service unit promises. */
	out = read_in(dir, "pycontainerd.service");
	ck_assert_msg(strstr(out, "\nType=notify\n") && strstr(out, "\nExecReload=/bin/kill -HUP "
	    "$MAINPID\n"), "%s", out);
	free(out);
	out = read_in(dir, "pycontainerd.socket");
	ck_assert_msg(strstr(out, "\nSocketGroup=pycontainerd\n") &&
	    strstr(out, "\nSocketMode=0660\n"), "%s", out);
	free(out);
	out = read_in(user, "pycontainerd.socket");
	ck_assert_msg(strstr(out, "\nListenStream=%t/pycontainerd/pycontainerd.sock\n"), "%s", out);
	free(out);

	/* Hardening no worse than before this unit became Type=notify (2.8, with the added
	 * CAP_SETUID/CAP_SETGID the caller identity switch needs). */
	rc = pcb_test_runf(&out, "cd %s && systemd-analyze security --offline=true "
	    "pycontainerd.service 2>&1", dir);
	p = out != NULL ? strstr(out, "Overall exposure level for pycontainerd.service: ") : NULL;
	ck_assert_msg(p != NULL, "%s", out);
	exposure = strtod(p + strlen("Overall exposure level for pycontainerd.service: "), NULL);
	ck_assert_msg(exposure <= 2.8, "exposure %.1f > 2.8", exposure);
	free(out);

	/* sysusers.d and tmpfiles.d entries. */
	if (pcb_test_have("systemd-sysusers")) {
		rc = pcb_test_runf(&out, "mkdir -p %s/root/etc && systemd-sysusers --root=%s/root "
		    "%s/systemd/pycontainerd.sysusers 2>&1 && grep '^pycontainerd:' %s/root/etc/group",
		    dir, dir, src, dir);
		ck_assert_msg(rc == 0, "sysusers: %s", out);
		free(out);
	}
	if (pcb_test_have("systemd-tmpfiles")) {
		rc = pcb_test_runf(&out, "systemd-tmpfiles --create --root=%s/root "
		    "%s/systemd/pycontainerd.tmpfiles 2>&1 && stat -c '%%a %%U' %s/root/var/lib/"
		    "pycontainerd %s/root/run/pycontainerd", dir, src, dir, dir);
		ck_assert_msg(rc == 0 && strcmp(out, "700 root\n755 root\n") == 0, "tmpfiles: %s",
		    out);
		free(out);
	}
	pcb_test_rmtree(dir);
	free(user);
	free(dir);
}
END_TEST

START_TEST(sample_config_every_key)
{
	char *dir = pcb_test_tmpdir(), *out = NULL, *defs = NULL, *sample, *line, *save = NULL;
	const char *src = pcb_test_source_dir();
	int rc, keys = 0;

	sample = read_in(src, "systemd/config.toml");
	ck_assert(sample != NULL);
	pcb_test_write(dir, "empty.toml", "", 0644);
	rc = pcb_test_runf(&defs, "%s/pycontainerd --config %s/empty.toml --check-config",
	    pcb_test_build_dir(), dir);
	ck_assert_msg(rc == 0, "%s", defs);
	/* Every key the daemon knows is in the sample, commented out; those with a plain
	 * default show exactly that default. */
	for (line = strtok_r(defs, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char key[64], *want;
		if (line[0] == '#' && strstr(line, ": not set") != NULL) {
			snprintf(key, sizeof key, "%.*s", (int)(strstr(line, ":") - line - 2), line + 2);
			want = pcb_xasprintf("\n# %s = ", key);
		} else if (line[0] != '#') {
			want = pcb_xasprintf("\n# %s\n", line);
		} else {
			continue;
		}
		ck_assert_msg(strstr(sample, want) != NULL, "systemd/config.toml lacks \"%s\"",
		    want + 1);
		free(want);
		keys++;
	}
	ck_assert_int_ge(keys, 20);
	/* Uncommented (with a group that exists), the sample is a valid file. */
	rc = pcb_test_runf(&out, "sed -E 's/^# ([a-z_]+ = )/\\1/; s/^admin_group = .*/"
	    "admin_group = \"root\"/' %s/systemd/config.toml > %s/all.toml && "
	    "%s/pycontainerd --config %s/all.toml --check-config 2>&1", src, dir,
	    pcb_test_build_dir(), dir);
	ck_assert_msg(rc == 0 && strstr(out, "admin_group = \"root\""), "%s", out);
	free(out);
	free(defs);
	free(sample);
	pcb_test_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("service");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, config_file_starts_daemon);
	tcase_add_test(tc, flags_win_over_file);
	tcase_add_test(tc, bad_files_refused);
	tcase_add_test(tc, sighup_reload);
	tcase_add_test(tc, tcp_token_file);
	tcase_add_test(tc, sd_notify_path);
	tcase_add_test(tc, sd_notify_abstract);
	tcase_add_test(tc, systemd_units_verify);
	tcase_add_test(tc, sample_config_every_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return pcb_test_run_suite(suite());
}
