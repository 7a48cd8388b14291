/* fuzz-toml.c — libFuzzer harness for the TOML reader (common/python/toml.c).
 *
 * Feeds arbitrary bytes to pcb_toml_parse(); on success walks the tree (tags, keys decoded and
 * encoded again, serialisation, tagged deep copy, the toml-test tagged form and its JSON text)
 * so ASan/UBSan see every path, and parses again with source positions, which must give the
 * same outcome, and looks every key up. Built and run by tools/fuzz.sh (`make fuzz`); crashes
 * land in tests/fuzz/regressions/toml/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "python/toml.h"

/* Walks the tree; with locs, looks up the position of every key and element (path[0..depth)
 * is the way here) and traps when one is missing. */
static void
walk(json_object *v, int depth, const struct pcb_toml_locs *locs, const char **path)
{
	char idx[24];
	size_t k, n;

	if (depth > 1000)
		__builtin_trap();   /* the reader's depth limit failed */
	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, key, child) {
			size_t len;
			char *raw = pcb_toml_key_decode(key, &len), *back = pcb_toml_key_encode(raw, len);

			if (strcmp(back, key) != 0)
				__builtin_trap();   /* stored keys survive decoding and encoding */
			free(back);
			free(raw);
			path[depth] = key;
			if (locs != NULL && pcb_toml_locs_line(locs, path, (size_t)depth + 1, NULL) <= 0)
				__builtin_trap();   /* a key without a position */
			walk(child, depth + 1, locs, path);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(v);
		for (k = 0; k < n; k++) {
			snprintf(idx, sizeof idx, "%zu", k);
			path[depth] = idx;
			if (locs != NULL && pcb_toml_locs_line(locs, path, (size_t)depth + 1, NULL) <= 0)
				__builtin_trap();   /* an element without a position */
			walk(json_object_array_get_idx(v, k), depth + 1, locs, path);
		}
		break;
	case json_type_string:
		if (pcb_toml_type_of(v) != PCB_TOML_NONE &&
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			__builtin_trap();   /* dates and times never hold NUL */
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *path[1100];
	struct pcb_toml_locs *locs = NULL;
	struct pcb_err err, err2;
	json_object *doc = NULL, *doc2 = NULL, *copy, *tagged;
	char *text;
	int rc;

	rc = pcb_toml_parse((const char *)data, size, NULL, &doc, &err);
	if (pcb_toml_parse_locs((const char *)data, size, NULL, &doc2, &locs, &err2) != rc)
		__builtin_trap();   /* positions change the outcome */
	if (rc != 0) {
		if (strncmp(err.msg, "line ", 5) != 0 || strcmp(err.msg, err2.msg) != 0)
			__builtin_trap();   /* every rejection names its position, the same both ways */
		return 0;
	}
	walk(doc, 0, NULL, path);
	walk(doc2, 0, locs, path);
	pcb_toml_locs_destroy(locs);
	json_object_put(doc2);
	tagged = pcb_toml_to_tagged(doc);
	text = pcb_toml_to_json_string(tagged, JSON_C_TO_STRING_PLAIN);
	if (strstr(text, PCB_TOML_KEY_NUL) != NULL)
		__builtin_trap();   /* a key's U+0000 left in its stored form */
	free(text);
	json_object_put(tagged);
	copy = pcb_toml_deep_copy(doc);
	/* Compared as text: json_object_equal() says nan != nan. */
	if (copy == NULL || strcmp(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
	    json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN)) != 0)
		__builtin_trap();
	json_object_put(copy);
	json_object_put(doc);
	return 0;
}
