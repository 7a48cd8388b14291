/* jsonx.c — strict request-JSON helpers (see jsonx.h). */
#include "base/jsonx.h"

#include <string.h>

#include "base/util.h"

const char *
pcb_json_type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "something else";
}

int
pcb_json_get_string(json_object *v, const char *field, size_t max, bool allow_empty,
    char **out, struct pcb_err *err)
{
	const char *s;
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return pcb_err_set(err, PCB_EINVAL, "%s: expected a string, got %s", field,
		    pcb_json_type_name(v));
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 && !allow_empty)
		return pcb_err_set(err, PCB_EINVAL, "%s: must not be empty", field);
	if (n > max)
		return pcb_err_set(err, PCB_EINVAL, "%s: longer than %zu bytes", field, max);
	if (strlen(s) != n)
		return pcb_err_set(err, PCB_EINVAL, "%s: contains a NUL byte", field);
	*out = pcb_xstrdup(s);
	return 0;
}

const char *
pcb_json_str(json_object *j)
{
	return json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}
