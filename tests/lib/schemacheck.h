/* schemacheck.h — checks JSON documents against a schema of api/openapi.yaml with a real
 * JSON Schema 2020-12 validator (tests/lib/schemacheck.py, python3-jsonschema), so tests can
 * say "every event the daemon sent is an Event". Test code only. */
#ifndef PCB_SCHEMACHECK_H
#define PCB_SCHEMACHECK_H

#include <stdbool.h>

/* True when /usr/bin/python3 has the yaml and jsonschema modules the checker needs. */
bool pcb_test_schema_available(void);
/* Checks each non-empty line of json_lines (one JSON document per line) against
 * components/schemas/<schema>; fails the running test naming every problem. */
void pcb_test_schema_check(const char *schema, const char *json_lines);
/* The data of every event in an SSE stream body ("data: …" lines), one per line. Caller
 * frees. */
char *pcb_test_sse_data(const char *stream);

#endif
