/* log.h — the daemon's log: one line per message on stderr, "<RFC 3339 ms> <level> <text>".
 *
 * Request bodies are never logged (later API versions carry credentials in them).
 * Thread-safety: pcb_log_msg may be called from any thread (each line is one write(2)). */
#ifndef PCB_LOG_H
#define PCB_LOG_H

#include <stdbool.h>

enum pcb_log_level {
	PCB_LOG_ERROR = 0,
	PCB_LOG_WARN,
	PCB_LOG_INFO,
	PCB_LOG_DEBUG,
};

/* Parses "error"|"warn"|"info"|"debug". Returns -1 when unknown. */
int pcb_log_parse_level(const char *s);
/* Sets the most verbose level written. Call once at start-up, before threads exist. */
void pcb_log_set_level(enum pcb_log_level level);
bool pcb_log_enabled(enum pcb_log_level level);
void pcb_log_msg(enum pcb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pcb_log_error(...) pcb_log_msg(PCB_LOG_ERROR, __VA_ARGS__)
#define pcb_log_warn(...) pcb_log_msg(PCB_LOG_WARN, __VA_ARGS__)
#define pcb_log_info(...) pcb_log_msg(PCB_LOG_INFO, __VA_ARGS__)
#define pcb_log_debug(...) pcb_log_msg(PCB_LOG_DEBUG, __VA_ARGS__)

#endif
