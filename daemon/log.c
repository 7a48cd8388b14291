/* log.c — timestamped one-line log records on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

static enum pcb_log_level log_level = PCB_LOG_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
pcb_log_parse_level(const char *s)
{
	for (size_t i = 0; i < PCB_ARRAY_LEN(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
pcb_log_set_level(enum pcb_log_level level)
{
	log_level = level;
}

bool
pcb_log_enabled(enum pcb_log_level level)
{
	return level <= log_level;
}

void
pcb_log_msg(enum pcb_log_level level, const char *fmt, ...)
{
	char line[2048], ts[32];
	va_list ap;
	int n;

	if (!pcb_log_enabled(level))
		return;
	pcb_time_rfc3339_ms(pcb_now_ms(), ts);
	n = snprintf(line, sizeof line, "%s %s ", ts, level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write per record keeps lines from different threads whole; newlines inside a
	 * message would break the one-record-per-line promise, so they become spaces. */
	for (char *p = line + n; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = (int)strlen(line);
	line[n++] = '\n';
	(void)pcb_write_all(STDERR_FILENO, line, (size_t)n);
}
