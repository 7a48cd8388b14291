/* pcb-toml-decode — the toml-test "decoder" protocol for common/toml.c.
 *
 * Reads TOML on stdin and writes the toml-test tagged JSON on stdout: every leaf becomes
 * {"type": "<string|integer|float|bool|datetime|datetime-local|date-local|time-local>",
 *  "value": "<text>"}, tables stay JSON objects and arrays JSON arrays. Exits 0 on success;
 * on invalid TOML prints the parser's message on stderr and exits 1. This lets the reader be
 * checked against the toml-test suite (toml-test -- build/pcb-toml-decode). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "toml.h"
#include "util.h"

static json_object *
leaf(const char *type, const char *value, size_t len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "value", json_object_new_string_len(value, (int)len));
	return o;
}

/* Shortest decimal form that reads back as the same double. */
static void
format_double(double d, char out[40])
{
	int prec;

	if (isnan(d)) {
		strcpy(out, "nan");
		return;
	}
	if (isinf(d)) {
		strcpy(out, d < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

static json_object *
tagged(json_object *v)
{
	static const char *const dt_names[] = {
		[PCB_TOML_DATETIME] = "datetime",
		[PCB_TOML_DATETIME_LOCAL] = "datetime-local",
		[PCB_TOML_DATE_LOCAL] = "date-local",
		[PCB_TOML_TIME_LOCAL] = "time-local",
	};
	json_object *o;
	char buf[40];
	size_t k, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		o = json_object_new_object();
		json_object_object_foreach(v, key, child)
			json_object_object_add(o, key, tagged(child));
		return o;
	case json_type_array:
		o = json_object_new_array();
		n = json_object_array_length(v);
		for (k = 0; k < n; k++)
			json_object_array_add(o, tagged(json_object_array_get_idx(v, k)));
		return o;
	case json_type_string: {
		enum pcb_toml_type t = pcb_toml_type_of(v);

		return leaf(t == PCB_TOML_NONE ? "string" : dt_names[t], json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	}
	case json_type_int:
		snprintf(buf, sizeof buf, "%" PRId64, json_object_get_int64(v));
		return leaf("integer", buf, strlen(buf));
	case json_type_double:
		format_double(json_object_get_double(v), buf);
		return leaf("float", buf, strlen(buf));
	case json_type_boolean:
		return json_object_get_boolean(v) ? leaf("bool", "true", 4) : leaf("bool", "false", 5);
	default:
		return json_object_new_null();   /* the reader never produces null */
	}
}

int
main(void)
{
	struct pcb_err err;
	struct pcb_buf in;
	json_object *doc = NULL, *out = NULL;
	char chunk[65536];
	int rc = 1;

	pcb_err_clear(&err);
	/* One byte over the reader's limit, so an oversized input is reported by the reader. */
	pcb_buf_init(&in, (size_t)PCB_TOML_MAX_SIZE + 1);
	for (;;) {
		ssize_t n = read(0, chunk, sizeof chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "pcb-toml-decode: reading stdin: %s\n", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (pcb_buf_append(&in, chunk, (size_t)n) != 0) {
			fprintf(stderr, "pcb-toml-decode: input is larger than %d bytes\n",
			    PCB_TOML_MAX_SIZE);
			goto out;
		}
	}
	if (pcb_toml_parse(in.data, in.len, NULL, &doc, &err) != 0) {
		fprintf(stderr, "pcb-toml-decode: %s\n", err.msg);
		goto out;
	}
	out = tagged(doc);
	printf("%s\n", json_object_to_json_string_ext(out,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	json_object_put(out);
	json_object_put(doc);
	pcb_buf_free(&in);
	return rc;
}
