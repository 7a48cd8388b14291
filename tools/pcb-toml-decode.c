/* pcb-toml-decode — the toml-test "decoder" protocol for common/python/toml.c.
 *
 * Reads TOML on stdin and writes the toml-test tagged JSON on stdout: every leaf becomes
 * {"type": "<string|integer|float|bool|datetime|datetime-local|date-local|time-local>",
 *  "value": "<text>"}, tables stay JSON objects and arrays JSON arrays. Exits 0 on success;
 * on invalid TOML prints the parser's message on stderr and exits 1. This lets the reader be
 * checked against the toml-test suite (toml-test -- build/pcb-toml-decode). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/util.h"
#include "python/toml.h"

int
main(void)
{
	struct pcb_err err;
	struct pcb_buf in;
	json_object *doc = NULL, *out = NULL;
	char chunk[65536], *text;
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
	out = pcb_toml_to_tagged(doc);
	/* Not json-c's own text: keys holding U+0000 must come out as \u0000 (toml.h). */
	text = pcb_toml_to_json_string(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	printf("%s\n", text);
	free(text);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	json_object_put(out);
	json_object_put(doc);
	pcb_buf_free(&in);
	return rc;
}
