/* cli.c — helpers every command uses: usage and option errors that name the bad flag,
 * reporting request failures with the right exit code, and tolerant JSON lookups (the client
 * must not crash on an answer from a newer or older daemon). */
#include "creds.h"
#include "pcb.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>

int
pcb_cli_usage_error(const struct pcb_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcb %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'pcb %s --help' for usage.\n", cmd->name);
	return PCB_EXIT_USAGE;
}

int
pcb_cli_opt_error(const struct pcb_cmd *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char name[64];

	/* Long options are named as typed (without "=value"); short ones by their letter,
	 * since argv[optind-1] may be a group like "-qx". */
	if (arg != NULL && pcb_str_has_prefix(arg, "--"))
		snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, sizeof name, "-%c", optopt);
	if (c == ':')
		return pcb_cli_usage_error(cmd, "option '%s' needs a value", name);
	return pcb_cli_usage_error(cmd, "unknown option '%s'", name);
}

int
pcb_cli_help(const struct pcb_cmd *cmd)
{
	fputs(cmd->usage, stdout);
	return PCB_EXIT_OK;
}

int
pcb_cli_fail(const struct pcb_http *h, const struct pcb_err *err)
{
	fprintf(stderr, "pcb: %s\n", err->msg[0] ? err->msg : "unknown error");
	return h != NULL && h->unreachable ? PCB_EXIT_USAGE : PCB_EXIT_FAIL;
}

void
pcb_cli_print_json(FILE *out, json_object *j)
{
	fprintf(out, "%s\n", json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *
pcb_cli_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *
pcb_cli_jobj(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

json_object *
pcb_cli_jarr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

int64_t
pcb_cli_jint(json_object *o, const char *key, int64_t fallback)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return fallback;
	return json_object_get_int64(v);
}

int64_t
pcb_cli_parse_time(const char *s)
{
	struct tm tm;
	int ms = 0, used = 0;
	time_t t;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	if (s[used] == '.') {
		int digits = 0;
		used++;
		while (s[used] >= '0' && s[used] <= '9') {
			if (digits < 3) {
				ms = ms * 10 + (s[used] - '0');
				digits++;
			}
			used++;
		}
		while (digits++ < 3)
			ms *= 10;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	return (int64_t)t * 1000 + ms;
}

bool
pcb_cli_state_final(const char *state)
{
	return state != NULL && (strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
	    strcmp(state, "cancelled") == 0);
}

int
pcb_regopts_default(struct pcb_regopts *o, const struct pcb_cmd *cmd, int c, char **argv)
{
	char msg[512];
	bool bad = false;

	if (!pcb_regopts_option(o, c, optarg, &bad, msg, sizeof msg))
		return pcb_cli_opt_error(cmd, c, argv);
	return bad ? pcb_cli_usage_error(cmd, "%s", msg) : PCB_EXIT_OK;
}
