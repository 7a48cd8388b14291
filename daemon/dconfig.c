/* dconfig.c — the daemon's settings from one table: each entry is a flag, its config-file
 * key (the flag's name with '_' for '-'), how its value is read, whether a SIGHUP may change
 * it, and its help line. getopt's long options, the usage text, the strict file reader,
 * --check-config and the reload report are all derived from the table, so a new setting
 * cannot exist as a flag without a key or the other way round. */
#include "dconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "build.h"
#include "log.h"
#include "python/deps.h"
#include "python/toml.h"

/* How a value is read. Flags give text; the file gives a TOML value, which is checked for its
 * type and then goes through the same text parser, so that "--cache-keep 90m" and
 * cache_keep = "90m" can never mean different things. */
enum kind {
	K_HOSTS,     /* struct pcb_strv: a flag per host, or a string / array of strings */
	K_STR,       /* char *, a non-empty string */
	K_GROUP,     /* char *, a group name; "" = none */
	K_INT,       /* int within lo..hi */
	K_SIZE,      /* uint64_t bytes: "20G" or an integer (bytes) */
	K_DURATION,  /* int64_t ms: "1h" or an integer (seconds) */
	K_LEVEL,     /* int, enum pcb_log_level */
	K_CONFIG,    /* --config: not a key */
	K_ACTION,    /* --help …: not a key */
};

struct dopt {
	const char *flag;
	char shortopt;              /* 0: long option only */
	enum kind kind;
	const char *metavar;
	size_t off;                 /* of the value in struct pcb_dconfig */
	long lo, hi;                /* K_INT */
	bool reload;                /* a SIGHUP applies a new value */
	int action;                 /* K_ACTION: enum pcb_dconfig_action */
	const char *section;        /* the usage text starts a section here */
	const char *help;
};

#define OFF(field) offsetof(struct pcb_dconfig, field)

static const struct dopt opts[] = {
	{ "host", 'H', K_HOSTS, "URL", OFF(hosts), 0, 0, false, 0,
	  "Listening and state",
	  "unix:///PATH, or tcp://127.0.0.1:PORT (loopback\n"
	  "only; clients send the token); repeat for more.\n"
	  "Default: /run/pycontainerd/pycontainerd.sock for\n"
	  "root, else $XDG_RUNTIME_DIR/pycontainerd/….sock.\n"
	  "Sockets from systemd socket activation win" },
	{ "state-dir", 's', K_STR, "DIR", OFF(state_dir), 0, 0, false, 0, NULL,
	  "job database and blob store (/var/lib/pycontainerd\n"
	  "for root, else $XDG_STATE_HOME/pycontainerd or\n"
	  "~/.local/state/pycontainerd)" },
	{ "workers", 'w', K_INT, "N", OFF(workers), 0, 256, false, 0, NULL,
	  "builds running at once, 0 = one per CPU" },
	{ "log-level", 'l', K_LEVEL, "LEVEL", OFF(log_level), 0, 0, true, 0, NULL,
	  "error, warn, info or debug" },
	{ "shutdown-timeout", 't', K_INT, "SECONDS", OFF(shutdown_timeout_s), 0, 86400, true, 0,
	  NULL, "on SIGTERM, how long running builds may go on\n"
	  "before they are cancelled" },
	{ "config", 'c', K_CONFIG, "FILE", 0, 0, 0, false, 0, NULL,
	  "settings file (/etc/pycontainerd/config.toml for\n"
	  "root, else $XDG_CONFIG_HOME/pycontainerd/…;\n"
	  "the default may be missing). Every flag here has a\n"
	  "key, its name with '_' for '-'; flags win" },

	{ "base-registry", 0, K_STR, "HOST[:PORT][/PATH]", OFF(base_registry), 0, 0, false, 0,
	  "Base images",
	  "where names like python:3.12-slim are pulled from" },
	{ "default-base", 0, K_STR, "REF|scratch", OFF(default_base), 0, 0, false, 0, NULL,
	  "the base of projects that name none; {python}\n"
	  "stands for their X.Y" },

	{ "cache-max-size", 0, K_SIZE, "SIZE", OFF(cache.max_bytes), 0, 0, true, 0,
	  "Cache limits (checked at start-up and after every build, pull and base job;\n"
	  "the least recently used blobs no tag reaches go first, tagged images never)",
	  "store size limit, K/M/G/T suffixes, 0 = none" },
	{ "cache-min-free", 0, K_SIZE, "SIZE", OFF(cache.min_free_bytes), 0, 0, true, 0, NULL,
	  "free space to keep on the store's file system,\n"
	  "0 = none" },
	{ "cache-keep", 0, K_DURATION, "DURATION", OFF(cache.keep_ms), 0, 0, true, 0, NULL,
	  "never evict blobs used this recently, s/m/h/d" },
	{ "cache-tag-keep", 0, K_DURATION, "DURATION", OFF(cache.tag_keep_ms), 0, 0, true, 0,
	  NULL,
	  "untag images no build or push used this long,\n"
	  "oldest first, then collect them like any blob;\n"
	  "0 = tagged images are never evicted" },

	{ "cache-to", 0, K_STR, "REF[,mode=min|max]", OFF(cache_to), 0, 0, false, 0,
	  "Registry cache (a build's --cache-to / --cache-from and pycontainer.toml win)",
	  "write every build's layer and resolution cache to\n"
	  "this registry reference (an OCI artifact)" },
	{ "cache-from", 0, K_HOSTS, "REF", OFF(cache_from), 0, 0, false, 0, NULL,
	  "reuse layers and resolutions from this registry\n"
	  "cache; repeat for more (a list in the file)" },

	{ "resolve-max-age", 0, K_DURATION, "DURATION", OFF(resolve_max_age_ms), 0, 0, true, 0,
	  "Dependencies",
	  "reuse a pip resolution that has unpinned\n"
	  "distributions this long, 0 = resolve every build;\n"
	  "one with every distribution pinned with == is\n"
	  "reused while its inputs stay the same" },

	{ "admin-group", 0, K_GROUP, "GROUP", OFF(policy.admin_group), 0, 0, true, 0,
	  "Shared use (limits are per user: the peer uid on a unix socket, the token on\n"
	  "TCP; 0 = no limit)",
	  "members act on every user's jobs and on the\n"
	  "cache, like root" },
	{ "user-max-running", 0, K_INT, "N", OFF(policy.user_max_running), 0, 1000000, true, 0,
	  NULL, "running builds per user" },
	{ "user-max-queued", 0, K_INT, "N", OFF(policy.user_max_queued), 0, 1000000, true, 0,
	  NULL, "queued builds per user" },
	{ "user-max-context", 0, K_SIZE, "SIZE", OFF(policy.user_max_context), 0, 0, true, 0,
	  NULL, "build context bytes per build" },
	{ "max-connections", 0, K_INT, "N", OFF(policy.max_connections), 0, 1000000, true, 0,
	  NULL, "open API connections in all" },
	{ "max-connections-per-user", 0, K_INT, "N", OFF(policy.max_connections_per_user), 0,
	  1000000, true, 0, NULL, "open API connections per user" },
	{ "reserved-connections", 0, K_INT, "N", OFF(policy.reserved_connections), 0, 1000000,
	  true, 0, NULL, "of max-connections, kept for root and the admin\n"
	  "group" },
	{ "header-timeout", 0, K_INT, "SECONDS", OFF(policy.header_timeout_s), 1, 3600, true, 0,
	  NULL, "a connection must send its request header within\n"
	  "this" },
	{ "tcp-token-file", 0, K_STR, "PATH", OFF(tcp_token_file), 0, 0, false, 0, NULL,
	  "bearer token TCP clients must send\n"
	  "(<state-dir>/tcp-token, made at first start)" },

	{ "check-config", 0, K_ACTION, NULL, 0, 0, 0, false, PCB_DCONFIG_CHECK, "Other",
	  "read the file and the flags, print the settings\n"
	  "as TOML and exit" },
	{ "print-routes", 0, K_ACTION, NULL, 0, 0, 0, false, PCB_DCONFIG_PRINT_ROUTES, NULL,
	  "print the API's route table and exit" },
	{ "version", 'V', K_ACTION, NULL, 0, 0, 0, false, PCB_DCONFIG_VERSION, NULL,
	  "print the version and exit" },
	{ "help", 'h', K_ACTION, NULL, 0, 0, 0, false, PCB_DCONFIG_HELP, NULL,
	  "this text" },
};

#define NOPTS PCB_ARRAY_LEN(opts)
_Static_assert(PCB_ARRAY_LEN(opts) <= PCB_DCONFIG_MAX_OPTS, "raise PCB_DCONFIG_MAX_OPTS");

static bool
has_key(const struct dopt *o)
{
	return o->kind != K_CONFIG && o->kind != K_ACTION;
}

/* "user-max-running" → "user_max_running" (caller frees). */
static char *
key_of(const struct dopt *o)
{
	char *k = pcb_xstrdup(o->flag);

	for (char *p = k; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	return k;
}

static void *
field(struct pcb_dconfig *c, const struct dopt *o)
{
	return (char *)c + o->off;
}

static const void *
cfield(const struct pcb_dconfig *c, const struct dopt *o)
{
	return (const char *)c + o->off;
}

static size_t
field_size(const struct dopt *o)
{
	switch (o->kind) {
	case K_HOSTS:
		return sizeof(struct pcb_strv);
	case K_STR:
	case K_GROUP:
		return sizeof(char *);
	case K_INT:
	case K_LEVEL:
		return sizeof(int);
	case K_SIZE:
		return sizeof(uint64_t);
	case K_DURATION:
		return sizeof(int64_t);
	default:
		return 0;
	}
}

/* --- defaults ------------------------------------------------------------------------- */

static void
init_defaults(struct pcb_dconfig *c)
{
	memset(c, 0, sizeof *c);
	pcb_strv_init(&c->hosts);
	pcb_strv_init(&c->cache_from);
	c->workers = 0;
	c->log_level = PCB_LOG_INFO;
	c->shutdown_timeout_s = 10;
	c->cache.max_bytes = PCB_STORE_DEFAULT_MAX_BYTES;
	c->cache.min_free_bytes = PCB_STORE_DEFAULT_MIN_FREE;
	c->cache.keep_ms = PCB_STORE_DEFAULT_KEEP_MS;
	c->resolve_max_age_ms = (int64_t)3600 * 1000;
	c->policy.admin_group = NULL;
	c->policy.user_max_running = 2;
	c->policy.user_max_queued = 16;
	c->policy.user_max_context = (uint64_t)4 << 30;
	c->policy.max_connections = 1024;
	c->policy.max_connections_per_user = 64;
	c->policy.reserved_connections = 16;
	c->policy.header_timeout_s = 10;
}

void
pcb_dconfig_free(struct pcb_dconfig *c)
{
	pcb_strv_free(&c->hosts);
	free(c->state_dir);
	free(c->base_registry);
	free(c->default_base);
	free(c->cache_to);
	pcb_strv_free(&c->cache_from);
	free(c->policy.admin_group);
	free(c->tcp_token_file);
	free(c->path);
	memset(c, 0, sizeof *c);
}

char *
pcb_dconfig_default_path(bool root)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (root)
		return pcb_xstrdup(PCB_DCONFIG_DEFAULT_PATH);
	if (xdg != NULL && xdg[0] == '/')
		return pcb_xasprintf("%s/pycontainerd/config.toml", xdg);
	if (home != NULL && home[0] == '/')
		return pcb_xasprintf("%s/.config/pycontainerd/config.toml", home);
	return pcb_xstrdup(PCB_DCONFIG_DEFAULT_PATH);
}

/* --- values ----------------------------------------------------------------------------- */

/* Sets option o from text. Errors carry only the reason; callers say where the text came
 * from. first_host tells K_HOSTS to drop hosts an earlier source gave (flags replace the
 * file's list rather than adding to it). */
static int
set_text(struct pcb_dconfig *c, const struct dopt *o, const char *text, bool first_host,
    struct pcb_err *err)
{
	void *f = field(c, o);
	char *end;
	long v;
	int lvl;

	switch (o->kind) {
	case K_HOSTS:
		if (first_host) {
			pcb_strv_free((struct pcb_strv *)f);
			pcb_strv_init((struct pcb_strv *)f);
		}
		if (text[0] == '\0')
			return pcb_err_set(err, PCB_EINVAL, "%s", f == (void *)&c->hosts ?
			    "expected unix:///PATH or tcp://ADDRESS:PORT" : "must not be empty");
		pcb_strv_push((struct pcb_strv *)f, text);
		return 0;
	case K_STR:
		if (text[0] == '\0')
			return pcb_err_set(err, PCB_EINVAL, "must not be empty");
		free(*(char **)f);
		*(char **)f = pcb_xstrdup(text);
		return 0;
	case K_GROUP:
		/* "" undoes a group the file names, from the command line or in a reload. */
		free(*(char **)f);
		*(char **)f = text[0] == '\0' ? NULL : pcb_xstrdup(text);
		return 0;
	case K_INT:
		errno = 0;
		v = strtol(text, &end, 10);
		if (text[0] == '\0' || *end != '\0' || errno != 0 || v < o->lo || v > o->hi)
			return pcb_err_set(err, PCB_EINVAL, "expected a whole number %ld..%ld", o->lo,
			    o->hi);
		*(int *)f = (int)v;
		return 0;
	case K_SIZE:
		return pcb_store_parse_size(text, (uint64_t *)f, err);
	case K_DURATION:
		return pcb_store_parse_duration(text, (int64_t *)f, err);
	case K_LEVEL:
		lvl = pcb_log_parse_level(text);
		if (lvl < 0)
			return pcb_err_set(err, PCB_EINVAL, "expected error, warn, info or debug");
		*(int *)f = lvl;
		return 0;
	default:
		return pcb_err_set(err, PCB_EINTERNAL, "not a setting");
	}
}

/* 20G, 512M, 1536K, 123 (bytes): the largest unit that divides exactly, so the text parses
 * back to the same number and equal texts mean equal values. */
static char *
fmt_size(uint64_t v)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (v != 0 && u < 3 && (v & 1023) == 0) {
		v >>= 10;
		u++;
	}
	return u < 0 ? pcb_xasprintf("%" PRIu64, v) : pcb_xasprintf("%" PRIu64 "%c", v, units[u]);
}

static char *
fmt_duration(int64_t ms)
{
	int64_t s = ms / 1000;

	if (ms % 1000 != 0)
		return pcb_xasprintf("%" PRId64 "ms", ms);
	if (s != 0 && s % 86400 == 0)
		return pcb_xasprintf("%" PRId64 "d", s / 86400);
	if (s != 0 && s % 3600 == 0)
		return pcb_xasprintf("%" PRId64 "h", s / 3600);
	if (s != 0 && s % 60 == 0)
		return pcb_xasprintf("%" PRId64 "m", s / 60);
	return pcb_xasprintf("%" PRId64 "s", s);
}

/* A TOML basic string. */
static void
toml_quote(struct pcb_buf *b, const char *s)
{
	pcb_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			pcb_buf_appendf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			pcb_buf_appendf(b, "\\u%04x", *p);
		else
			pcb_buf_append(b, p, 1);
	}
	pcb_buf_append(b, "\"", 1);
}

/* The value of o as text: TOML syntax (strings quoted) when toml, else plain for log lines.
 * NULL when unset (a NULL string, no hosts): the default then applies. Caller frees. */
static char *
fmt_value(const struct pcb_dconfig *c, const struct dopt *o, bool toml)
{
	const void *f = cfield(c, o);
	struct pcb_buf b;
	const struct pcb_strv *sv;
	const char *s;
	static const char *const levels[] = { "error", "warn", "info", "debug" };

	switch (o->kind) {
	case K_HOSTS:
		sv = f;
		if (sv->n == 0)
			return NULL;
		pcb_buf_init(&b, 1 << 20);
		if (toml)
			pcb_buf_append(&b, "[", 1);
		for (size_t i = 0; i < sv->n; i++) {
			if (i > 0)
				pcb_buf_append(&b, ", ", 2);
			if (toml)
				toml_quote(&b, sv->v[i]);
			else
				pcb_buf_appendf(&b, "%s", sv->v[i]);
		}
		if (toml)
			pcb_buf_append(&b, "]", 1);
		return pcb_buf_steal(&b, NULL);
	case K_STR:
	case K_GROUP:
		s = *(char *const *)f;
		if (s == NULL)
			return NULL;
		if (!toml)
			return pcb_xstrdup(s);
		pcb_buf_init(&b, 1 << 20);
		toml_quote(&b, s);
		return pcb_buf_steal(&b, NULL);
	case K_INT:
		return pcb_xasprintf("%d", *(const int *)f);
	case K_LEVEL:
		if (toml)
			return pcb_xasprintf("\"%s\"", levels[*(const int *)f]);
		return pcb_xstrdup(levels[*(const int *)f]);
	case K_SIZE: {
		char *t = fmt_size(*(const uint64_t *)f), *q;
		if (!toml)
			return t;
		q = pcb_xasprintf("\"%s\"", t);
		free(t);
		return q;
	}
	case K_DURATION: {
		char *t = fmt_duration(*(const int64_t *)f), *q;
		if (!toml)
			return t;
		q = pcb_xasprintf("\"%s\"", t);
		free(t);
		return q;
	}
	default:
		return NULL;
	}
}

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* --- the command line ------------------------------------------------------------------- */

int
pcb_dconfig_args_parse(int argc, char **argv, struct pcb_dconfig_args *args,
    enum pcb_dconfig_action *action, struct pcb_err *err)
{
	struct option longopts[NOPTS + 1];
	char shortopts[2 * NOPTS + 2], *sp = shortopts;
	struct pcb_dconfig scratch;
	int c, rc = 0;

	memset(args, 0, sizeof *args);
	*action = PCB_DCONFIG_RUN;
	/* Values are parsed into a scratch config here only to reject bad flags early; the real
	 * config applies them again over the file. */
	init_defaults(&scratch);
	*sp++ = ':';    /* a missing argument is reported as ':' rather than '?' */
	for (size_t i = 0; i < NOPTS; i++) {
		bool arg = opts[i].kind != K_ACTION;

		longopts[i] = (struct option){ opts[i].flag, arg ? required_argument : no_argument,
			NULL, 256 + (int)i };
		if (opts[i].shortopt != 0) {
			*sp++ = opts[i].shortopt;
			if (arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	memset(&longopts[NOPTS], 0, sizeof longopts[NOPTS]);
	args->v = pcb_xcalloc((size_t)argc + 1, sizeof *args->v);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct dopt *o = NULL;
		size_t i;

		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];
			if (c == ':')
				rc = pcb_err_set(err, PCB_EINVAL, "%s needs a value", what);
			else if (optopt != 0)
				rc = pcb_err_set(err, PCB_EINVAL, "unknown option -%c", optopt);
			else
				rc = pcb_err_set(err, PCB_EINVAL, "unknown option %s", what);
			goto out;
		}
		if (c >= 256) {
			i = (size_t)(c - 256);
		} else {
			for (i = 0; i < NOPTS && opts[i].shortopt != c; i++)
				;
		}
		if (i >= NOPTS) {
			rc = pcb_err_set(err, PCB_EINTERNAL, "getopt returned %d", c);
			goto out;
		}
		o = &opts[i];
		if (o->kind == K_ACTION) {
			/* The first of --help, --version … wins, as they exit. */
			if (*action == PCB_DCONFIG_RUN)
				*action = (enum pcb_dconfig_action)o->action;
			continue;
		}
		if (o->kind == K_CONFIG) {
			if (optarg[0] == '\0') {
				rc = pcb_err_set(err, PCB_EINVAL, "--config: expected a file");
				goto out;
			}
			/* Absolute, so that a reload reads the same file whatever the cwd is then. */
			free(args->config_path);
			if (optarg[0] == '/') {
				args->config_path = pcb_xstrdup(optarg);
			} else {
				char cwd[4096];
				if (getcwd(cwd, sizeof cwd) == NULL) {
					rc = pcb_err_errno(err, errno, "--config %s", optarg);
					goto out;
				}
				args->config_path = pcb_path_join(cwd, optarg);
			}
			args->config_explicit = true;
			continue;
		}
		rc = set_text(&scratch, o, optarg, false, err);
		if (rc != 0) {
			pcb_err_prefix(err, "--%s %s", o->flag, optarg);
			goto out;
		}
		args->v[args->n].opt = (int)i;
		args->v[args->n].value = optarg;
		args->n++;
	}
	if (optind < argc)
		rc = pcb_err_set(err, PCB_EINVAL, "unexpected argument \"%s\"", argv[optind]);
out:
	pcb_dconfig_free(&scratch);
	return rc;
}

void
pcb_dconfig_args_free(struct pcb_dconfig_args *args)
{
	free(args->v);
	free(args->config_path);
	memset(args, 0, sizeof *args);
}

/* --- the file --------------------------------------------------------------------------- */

static const char *
type_name(json_object *v)
{
	if (pcb_toml_type_of(v) != PCB_TOML_NONE)
		return "a date or time";
	switch (json_object_get_type(v)) {
	case json_type_string:
		return "a string";
	case json_type_int:
		return "an integer";
	case json_type_double:
		return "a float";
	case json_type_boolean:
		return "a boolean";
	case json_type_array:
		return "an array";
	case json_type_object:
		return "a table";
	default:
		return "null";
	}
}

static bool
is_string(json_object *v)
{
	return json_object_is_type(v, json_type_string) && pcb_toml_type_of(v) == PCB_TOML_NONE;
}

/* One key of the file: its TOML value checked for type, then parsed as the flag's text. */
static int
set_json(struct pcb_dconfig *c, const struct dopt *o, const char *key, json_object *v,
    const struct pcb_toml_locs *locs, struct pcb_err *err)
{
	const char *want = NULL;
	char num[32];
	int rc = 0;

	switch (o->kind) {
	case K_HOSTS:
		if (is_string(v))
			return set_text(c, o, json_object_get_string(v), true, err);
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
			want = "a string or a non-empty array of strings";
			break;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			char idx[24];
			const char *path[2] = { key, idx };
			int line;

			snprintf(idx, sizeof idx, "%zu", i);
			line = pcb_toml_locs_line(locs, path, 2, NULL);
			if (!is_string(e)) {
				rc = pcb_err_set(err, PCB_EINVAL, "line %d: %s[%zu] must be a string, "
				    "not %s", line, key, i, type_name(e));
				return rc;
			}
			rc = set_text(c, o, json_object_get_string(e), i == 0, err);
			if (rc != 0) {
				pcb_err_prefix(err, "line %d: %s[%zu]", line, key, i);
				return rc;
			}
		}
		return 0;
	case K_STR:
	case K_GROUP:
	case K_LEVEL:
		if (is_string(v))
			return set_text(c, o, json_object_get_string(v), false, err);
		want = "a string";
		break;
	case K_INT:
		if (json_object_is_type(v, json_type_int)) {
			snprintf(num, sizeof num, "%" PRId64, json_object_get_int64(v));
			return set_text(c, o, num, false, err);
		}
		want = "an integer";
		break;
	case K_SIZE:
	case K_DURATION:
		if (is_string(v))
			return set_text(c, o, json_object_get_string(v), false, err);
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
			snprintf(num, sizeof num, "%" PRId64, json_object_get_int64(v));
			return set_text(c, o, num, false, err);
		}
		want = o->kind == K_SIZE ? "a size (\"20G\") or a number of bytes" :
		    "a duration (\"1h\") or a number of seconds";
		break;
	default:
		want = "nothing";
		break;
	}
	return pcb_err_set(err, PCB_EINVAL, "%s must be %s, not %s", key, want,
	    json_object_is_type(v, json_type_int) ? "a negative integer" : type_name(v));
}

static const struct dopt *
find_key(const char *key, size_t *idx)
{
	for (size_t i = 0; i < NOPTS; i++) {
		char *k;
		bool hit;

		if (!has_key(&opts[i]))
			continue;
		k = key_of(&opts[i]);
		hit = strcmp(k, key) == 0;
		free(k);
		if (hit) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

/* Reads `path` into c. Missing: PCB_ENOENT (the caller decides whether that matters). */
static int
load_file(struct pcb_dconfig *c, const char *path, struct pcb_err *err)
{
	json_object *root = NULL;
	struct pcb_toml_locs *locs = NULL;
	struct stat st;
	int rc;

	/* The file decides who is an admin: one that others may write would hand that to them. */
	if (stat(path, &st) == 0 && ((st.st_mode & S_IWOTH) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0))) {
		rc = pcb_err_set(err, PCB_EPERM, "%s: refusing a configuration file %s (mode %04o, "
		    "owner uid %u)", path, (st.st_mode & S_IWOTH) != 0 ? "anyone may write" :
		    "owned by another user", (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		goto out;
	}
	rc = pcb_toml_parse_file_locs(path, &root, &locs, err);
	if (rc != 0)
		goto out;
	json_object_object_foreach(root, key, val) {
		const char *kpath[1] = { key };
		int line = pcb_toml_locs_line(locs, kpath, 1, NULL);
		const struct dopt *o;
		size_t idx;

		o = find_key(key, &idx);
		if (o == NULL) {
			char *shown = pcb_toml_key_decode(key, NULL);
			rc = pcb_err_set(err, PCB_EINVAL, "%s: line %d: unknown key \"%s\"", path, line,
			    shown);
			free(shown);
			goto out;
		}
		rc = set_json(c, o, key, val, locs, err);
		if (rc != 0) {
			/* Arrays name their element's line themselves, type errors their key. */
			if (strncmp(err->msg, "line ", 5) == 0)
				pcb_err_prefix(err, "%s", path);
			else if (strncmp(err->msg, key, strlen(key)) == 0 &&
			    strncmp(err->msg + strlen(key), " must be ", 9) == 0)
				pcb_err_prefix(err, "%s: line %d", path, line);
			else
				pcb_err_prefix(err, "%s: line %d: %s", path, line, key);
			goto out;
		}
		c->src[idx] = PCB_DCONFIG_SRC_FILE;
		c->line[idx] = line;
	}
out:
	if (root != NULL)
		json_object_put(root);
	if (locs != NULL)
		pcb_toml_locs_destroy(locs);
	return rc;
}

/* "config.toml: line 4: admin_group" or "--admin-group", for errors found after merging. */
static void
prefix_where(const struct pcb_dconfig *c, size_t idx, struct pcb_err *err)
{
	if (c->src[idx] == PCB_DCONFIG_SRC_FILE) {
		char *k = key_of(&opts[idx]);
		pcb_err_prefix(err, "%s: line %d: %s", c->path, c->line[idx], k);
		free(k);
	} else {
		pcb_err_prefix(err, "--%s", opts[idx].flag);
	}
}

static size_t
opt_index(const char *flag)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].flag, flag) == 0)
			return i;
	abort();
}

/* Checks that need more than one value, or the system. */
static int
check(const struct pcb_dconfig *c, struct pcb_err *err)
{
	const struct pcb_daemon_policy *p = &c->policy;
	int rc = 0;

	if (p->admin_group != NULL) {
		struct group gr, *res = NULL;
		char buf[16384];
		int e = getgrnam_r(p->admin_group, &gr, buf, sizeof buf, &res);

		if (res == NULL) {
			if (e != 0 && e != ENOENT && e != ESRCH)
				rc = pcb_err_errno(err, e, "looking up group \"%s\"", p->admin_group);
			else
				rc = pcb_err_set(err, PCB_EINVAL, "no group named \"%s\"",
				    p->admin_group);
			prefix_where(c, opt_index("admin-group"), err);
			goto out;
		}
	}
	if (p->max_connections != 0 && p->reserved_connections >= p->max_connections) {
		size_t r = opt_index("reserved-connections"), m = opt_index("max-connections");
		rc = pcb_err_set(err, PCB_EINVAL, "reserved_connections (%d) must be less than "
		    "max_connections (%d)", p->reserved_connections, p->max_connections);
		/* Name whichever of the two was written down, the later source first. */
		prefix_where(c, c->src[r] >= c->src[m] ? r : m, err);
		goto out;
	}
out:
	return rc;
}

int
pcb_dconfig_load(struct pcb_dconfig *c, const struct pcb_dconfig_args *args, bool root,
    struct pcb_err *err)
{
	char *path = args->config_path != NULL ? pcb_xstrdup(args->config_path) :
	    pcb_dconfig_default_path(root);
	bool seen_list[PCB_DCONFIG_MAX_OPTS] = { false };
	int rc;

	init_defaults(c);
	rc = load_file(c, path, err);
	if (rc == PCB_ENOENT && !args->config_explicit) {
		/* No file is the same as an empty one, unless the user named it. */
		pcb_err_clear(err);
		rc = 0;
		free(path);
		path = NULL;
	}
	if (rc != 0) {
		if (rc == PCB_ENOENT)
			pcb_err_prefix(err, "--config");
		goto out;
	}
	for (size_t i = 0; i < args->n; i++) {
		const struct dopt *o = &opts[args->v[i].opt];

		/* A list's first flag replaces the file's list; later ones add to it. */
		rc = set_text(c, o, args->v[i].value, o->kind == K_HOSTS &&
		    !seen_list[args->v[i].opt], err);
		if (rc != 0) {
			pcb_err_prefix(err, "--%s %s", o->flag, args->v[i].value);
			goto out;
		}
		if (o->kind == K_HOSTS)
			seen_list[args->v[i].opt] = true;
		c->src[args->v[i].opt] = PCB_DCONFIG_SRC_FLAG;
		c->line[args->v[i].opt] = 0;
	}
	c->path = path;
	path = NULL;
	rc = check(c, err);
out:
	free(path);
	return rc;
}

int
pcb_dconfig_apply_startup(const struct pcb_dconfig *c, struct pcb_err *err)
{
	int rc;

	pcb_log_set_level((enum pcb_log_level)c->log_level);
	pcb_deps_set_resolve_max_age(c->resolve_max_age_ms);
	/* Where short base-image names ("python:3.12-slim") are pulled from, for machines
	 * behind a mirror or air-gapped; a build's base_registry wins. */
	rc = pcb_build_set_base_registry(c->base_registry, err);
	if (rc != 0) {
		prefix_where(c, opt_index("base-registry"), err);
		goto out;
	}
	/* The base for projects that name none ("{python}" = their X.Y). */
	rc = pcb_build_set_default_base(c->default_base, err);
	if (rc != 0) {
		prefix_where(c, opt_index("default-base"), err);
		goto out;
	}
	/* The registry cache every build reads and writes unless it names its own. */
	rc = pcb_build_set_cache_defaults(c->cache_to, &c->cache_from, err);
	if (rc != 0)
		prefix_where(c, opt_index(c->cache_to != NULL ? "cache-to" : "cache-from"), err);
out:
	return rc;
}

/* --- output ----------------------------------------------------------------------------- */

void
pcb_dconfig_usage(FILE *f)
{
	struct pcb_dconfig defs;

	init_defaults(&defs);
	fputs("usage: pycontainerd [OPTION]...\n"
	    "\n"
	    "Builds OCI images of Python projects; serves the REST API described in\n"
	    "api/openapi.yaml on the given sockets. SIGHUP re-reads the configuration file.\n", f);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct dopt *o = &opts[i];
		char head[64], *def = NULL;
		const char *h = o->help, *nl;
		bool first = true;

		if (o->section != NULL)
			fprintf(f, "\n%s:\n", o->section);
		if (o->shortopt != 0)
			snprintf(head, sizeof head, "-%c, --%s%s%s", o->shortopt, o->flag,
			    o->metavar ? " " : "", o->metavar ? o->metavar : "");
		else
			snprintf(head, sizeof head, "    --%s%s%s", o->flag, o->metavar ? " " : "",
			    o->metavar ? o->metavar : "");
		if (has_key(o) && o->kind != K_HOSTS)
			def = fmt_value(&defs, o, false);
		/* The help may run over several lines; the default goes at the end of the last. */
		do {
			nl = strchr(h, '\n');
			int len = nl != NULL ? (int)(nl - h) : (int)strlen(h);
			if (first && strlen(head) >= 28)
				fprintf(f, "  %s\n%-30s", head, "");
			else if (first)
				fprintf(f, "  %-28s", head);
			else
				fprintf(f, "%-30s", "");
			fprintf(f, "%.*s", len, h);
			if (nl == NULL && def != NULL)
				fprintf(f, " (%s)", def);
			fputc('\n', f);
			first = false;
			h = nl != NULL ? nl + 1 : NULL;
		} while (h != NULL);
		free(def);
	}
	pcb_dconfig_free(&defs);
}

void
pcb_dconfig_print(FILE *f, const struct pcb_dconfig *c)
{
	fprintf(f, "# pycontainerd settings: defaults, then %s, then flags\n",
	    c->path != NULL ? c->path : "(no configuration file)");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct dopt *o = &opts[i];
		char *k, *v;

		if (!has_key(o))
			continue;
		k = key_of(o);
		v = fmt_value(c, o, true);
		if (v == NULL)
			fprintf(f, "# %s: not set (the default applies)\n", k);
		else
			fprintf(f, "%s = %s\n", k, v);
		free(k);
		free(v);
	}
}

/* --- reload ----------------------------------------------------------------------------- */

static void
swap_bytes(void *a, void *b, size_t n)
{
	unsigned char tmp[sizeof(struct pcb_strv)];

	_Static_assert(sizeof tmp >= sizeof(uint64_t), "swap buffer");
	memcpy(tmp, a, n);
	memcpy(a, b, n);
	memcpy(b, tmp, n);
}

void
pcb_dconfig_reload(struct pcb_dconfig *cur, struct pcb_dconfig *next, char **changed,
    char **restart)
{
	struct pcb_buf ch, rs;

	pcb_buf_init(&ch, 1 << 20);
	pcb_buf_init(&rs, 1 << 20);
	for (size_t i = 0; i < NOPTS; i++) {
		const struct dopt *o = &opts[i];
		char *a, *b, *k;
		bool same;

		if (!has_key(o))
			continue;
		a = fmt_value(cur, o, false);
		b = fmt_value(next, o, false);
		same = str_eq(a, b);
		if (!same) {
			struct pcb_buf *out = o->reload ? &ch : &rs;
			k = key_of(o);
			pcb_buf_appendf(out, "%s%s %s -> %s", out->len > 0 ? ", " : "", k,
			    a != NULL ? a : "(none)", b != NULL ? b : "(none)");
			free(k);
			if (o->reload) {
				/* Swapping moves ownership of strings: next frees the old value. */
				swap_bytes(field(cur, o), field(next, o), field_size(o));
			}
		}
		if (o->reload) {
			cur->src[i] = next->src[i];
			cur->line[i] = next->line[i];
		}
		free(a);
		free(b);
	}
	/* Later errors should name the file that was read last. */
	swap_bytes(&cur->path, &next->path, sizeof cur->path);
	*changed = ch.len > 0 ? pcb_buf_steal(&ch, NULL) : NULL;
	*restart = rs.len > 0 ? pcb_buf_steal(&rs, NULL) : NULL;
	pcb_buf_free(&ch);
	pcb_buf_free(&rs);
}

/* --- the TCP token ---------------------------------------------------------------------- */

#define TOKEN_BYTES 32
#define TOKEN_MAX 1024

static int
create_token(const char *path, struct pcb_err *err)
{
	unsigned char raw[TOKEN_BYTES];
	char text[2 * TOKEN_BYTES + 2];
	int fd, rc = 0;

	if (RAND_bytes(raw, sizeof raw) != 1)
		return pcb_err_set(err, PCB_EINTERNAL, "RAND_bytes failed");
	pcb_hex(raw, sizeof raw, text);
	text[2 * TOKEN_BYTES] = '\n';
	text[2 * TOKEN_BYTES + 1] = '\0';
	/* O_EXCL: never write into a file someone else put there first; O_NOFOLLOW: never
	 * through a symlink planted in its place. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return pcb_err_set(err, PCB_EEXIST, "%s exists", path);
	if (fd < 0)
		return pcb_err_errno(err, errno, "creating %s", path);
	if (pcb_write_all(fd, text, 2 * TOKEN_BYTES + 1) != 0 || fsync(fd) != 0) {
		rc = pcb_err_errno(err, errno, "writing %s", path);
		unlink(path);
	}
	close(fd);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(text, sizeof text);
	if (rc == 0)
		rc = pcb_fsync_parent(path, err);
	return rc;
}

int
pcb_dconfig_tcp_token(const char *path, char **token_out, bool *created_out,
    struct pcb_err *err)
{
	char buf[TOKEN_MAX + 2], *s, *e, *token = NULL;
	bool created = false;
	struct stat st;
	ssize_t n;
	int fd = -1, rc = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		/* O_NONBLOCK so that a FIFO in its place cannot hang the start-up. */
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || attempt > 0)
			break;
		rc = create_token(path, err);
		if (rc == PCB_EEXIST) {
			/* Another process made it in between: read theirs, checked like any other. */
			pcb_err_clear(err);
			rc = 0;
			continue;
		}
		if (rc != 0)
			goto out;
		created = true;
	}
	if (fd < 0) {
		if (errno == ELOOP)
			rc = pcb_err_set(err, PCB_EPERM, "TCP token file %s is a symbolic link; it must "
			    "be a regular file", path);
		else
			rc = pcb_err_errno(err, errno, "opening the TCP token file %s", path);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = pcb_err_errno(err, errno, "TCP token file %s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pcb_err_set(err, PCB_EPERM, "TCP token file %s is not a regular file (mode %06o)",
		    path, (unsigned)st.st_mode);
		goto out;
	}
	if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
		rc = pcb_err_set(err, PCB_EPERM, "TCP token file %s has mode %04o: group or others "
		    "may read or write it (chmod 600 %s)", path, (unsigned)(st.st_mode & 07777),
		    path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		rc = pcb_err_set(err, PCB_EPERM, "TCP token file %s (mode %04o) is owned by uid %u, "
		    "not by this daemon's uid %u", path, (unsigned)(st.st_mode & 07777),
		    (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		rc = pcb_err_errno(err, errno, "reading the TCP token file %s", path);
		goto out;
	}
	if ((size_t)n > TOKEN_MAX) {
		rc = pcb_err_set(err, PCB_EINVAL, "TCP token file %s is over %d bytes", path,
		    TOKEN_MAX);
		goto out;
	}
	buf[n] = '\0';
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'); e--)
		;
	*e = '\0';
	/* It travels in an Authorization header: printable ASCII without spaces only. */
	if (e - s < 16) {
		rc = pcb_err_set(err, PCB_EINVAL, "TCP token file %s holds no token of 16 characters "
		    "or more", path);
		goto out;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f) {
			rc = pcb_err_set(err, PCB_EINVAL, "TCP token file %s: the token may hold only "
			    "printable ASCII without spaces", path);
			goto out;
		}
	}
	token = pcb_xstrdup(s);
out:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(buf, sizeof buf);
	if (rc == 0) {
		*token_out = token;
		if (created_out != NULL)
			*created_out = created;
	}
	return rc;
}
