/* jsonx.h — strict reading of request JSON shared by every spec parser (builds, pushes,
 * pulls, bases): type names for messages and bounded strings with no NUL bytes. Messages name
 * the field, never the value (a value may be a secret).
 *
 * Thread-safety: reentrant. */
#ifndef PCB_JSONX_H
#define PCB_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "base/err.h"

/* "a string", "an integer", "an object" … for "expected X, got Y" messages. */
const char *pcb_json_type_name(json_object *v);

/* A string of at most max bytes without NUL bytes (and not empty unless allow_empty) into *out
 * (caller frees). PCB_EINVAL naming field otherwise. */
int pcb_json_get_string(json_object *v, const char *field, size_t max, bool allow_empty,
    char **out, struct pcb_err *err);

/* Serialises JSON the way every blob and API body is written (plain, no slash escaping,
 * keys in insertion order). Returns a borrowed string valid until j changes or is put. */
const char *pcb_json_str(json_object *j);

#endif
