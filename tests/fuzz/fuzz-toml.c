/* fuzz-toml.c — libFuzzer harness for the TOML reader (common/toml.c).
 *
 * Feeds arbitrary bytes to pcb_toml_parse(); on success walks the tree (tags, serialisation,
 * tagged deep copy) so ASan/UBSan see every path. Not built by the Makefile; build and run:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Icommon \
 *       $(pkg-config --cflags json-c) tests/fuzz/fuzz-toml.c common/toml.c common/util.c \
 *       common/err.c $(pkg-config --libs json-c openssl) -lm -o build/fuzz-toml
 *   mkdir -p build/fuzz-corpus && build/fuzz-toml -max_total_time=300 -max_len=4096 \
 *       -dict=tests/fuzz/toml.dict build/fuzz-corpus tests/toml
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "toml.h"

static void
walk(json_object *v, int depth)
{
	size_t k, n;

	if (depth > 1000)
		__builtin_trap();   /* the reader's depth limit failed */
	switch (json_object_get_type(v)) {
	case json_type_object: {
		json_object_object_foreach(v, key, child) {
			(void)key;
			walk(child, depth + 1);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(v);
		for (k = 0; k < n; k++)
			walk(json_object_array_get_idx(v, k), depth + 1);
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
	struct pcb_err err;
	json_object *doc = NULL, *copy;

	if (pcb_toml_parse((const char *)data, size, NULL, &doc, &err) != 0) {
		if (strncmp(err.msg, "line ", 5) != 0)
			__builtin_trap();   /* every rejection names its position */
		return 0;
	}
	walk(doc, 0);
	copy = pcb_toml_deep_copy(doc);
	/* Compared as text: json_object_equal() says nan != nan. */
	if (copy == NULL || strcmp(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
	    json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN)) != 0)
		__builtin_trap();
	json_object_put(copy);
	json_object_put(doc);
	return 0;
}
