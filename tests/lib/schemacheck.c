/* schemacheck.c — the C side of tests/lib/schemacheck.py (see schemacheck.h): the documents go
 * to the checker through a temp file, its verdict comes back as its exit status and output. */
#include "schemacheck.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"   /* Debian's, which has python3-jsonschema */

bool
pcb_test_schema_available(void)
{
	return pcb_test_runf(NULL, PYTHON " -c 'import yaml, jsonschema' 2>/dev/null") == 0;
}

void
pcb_test_schema_check(const char *schema, const char *json_lines)
{
	char *dir = pcb_test_tmpdir(), *path, *out = NULL;
	int rc;

	pcb_test_write(dir, "docs.jsonl", json_lines, 0644);
	path = pcb_path_join(dir, "docs.jsonl");
	rc = pcb_test_runf(&out, PYTHON " '%s/tests/lib/schemacheck.py' '%s/api/openapi.yaml' "
	    "'%s' < '%s' 2>&1", pcb_test_source_dir(), pcb_test_source_dir(), schema, path);
	ck_assert_msg(rc == 0, "not valid %s (schemacheck.py exit %d):\n%s\ndocuments:\n%.4000s",
	    schema, rc, out, json_lines);
	free(out);
	free(path);
	pcb_test_rmtree(dir);
	free(dir);
}

char *
pcb_test_sse_data(const char *stream)
{
	struct pcb_buf b;
	const char *p = stream;
	char *res;

	pcb_buf_init(&b, (size_t)256 << 20);
	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, '\n');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n >= 6 && strncmp(p, "data: ", 6) == 0) {
			ck_assert(pcb_buf_append(&b, p + 6, n - 6) == 0);
			ck_assert(pcb_buf_append(&b, "\n", 1) == 0);
		}
		p = e != NULL ? e + 1 : NULL;
	}
	res = pcb_xstrndup(b.data != NULL ? b.data : "", b.len);
	pcb_buf_free(&b);
	return res;
}
