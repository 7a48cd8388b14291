/* toml.h — TOML 1.0.0 reader producing a json-c tree.
 *
 * One document model for TOML and JSON: tables become json objects (keys in document order),
 * arrays json arrays, strings json strings, integers int64, floats doubles (inf/nan included),
 * booleans booleans. Dates and times are json strings in their TOML text form (normalised: 'T'
 * separator, as written otherwise) marked with a type tag readable through pcb_toml_type_of(),
 * so engine code sees plain strings while the toml-test decoder can still tell the types apart.
 *
 * Thread-safety: reentrant; no global state. */
#ifndef PCB_TOML_H
#define PCB_TOML_H

#include <stdarg.h>
#include <stddef.h>
#include <json-c/json.h>

#include "base/err.h"

enum pcb_toml_type {
	PCB_TOML_NONE = 0,       /* not a TOML date/time (use json_object_get_type) */
	PCB_TOML_DATETIME,       /* offset date-time  1979-05-27T07:32:00Z */
	PCB_TOML_DATETIME_LOCAL, /* local date-time   1979-05-27T07:32:00 */
	PCB_TOML_DATE_LOCAL,     /* local date        1979-05-27 */
	PCB_TOML_TIME_LOCAL,     /* local time        07:32:00 */
};

/* Parses `len` bytes of TOML (need not be NUL-terminated; at most 16 MiB).
 * On success *out is a json object (caller json_object_put()s it).
 * On failure returns PCB_EINVAL with err->msg "line L, column C: what was wrong"; *out untouched.
 * `name` (may be NULL) is put in front of the message: "pyproject.toml: line 3, column 7: …". */
int pcb_toml_parse(const char *data, size_t len, const char *name, json_object **out,
    struct pcb_err *err);

/* Reads and parses a file (max 16 MiB). Errors name the file. */
int pcb_toml_parse_file(const char *path, json_object **out, struct pcb_err *err);

/* The date/time tag of a value produced by pcb_toml_parse (borrowed pointer), else PCB_TOML_NONE. */
enum pcb_toml_type pcb_toml_type_of(json_object *v);

/* Limits: documents over PCB_TOML_MAX_SIZE bytes fail with PCB_ETOOBIG (message without a
 * position); arrays/inline tables/tables nested deeper than PCB_TOML_MAX_DEPTH, or keys with
 * more parts, are rejected as invalid. String values may hold U+0000 (use
 * json_object_get_string_len). */
#define PCB_TOML_MAX_SIZE (16 * 1024 * 1024)
#define PCB_TOML_MAX_DEPTH 128

/* Keys. TOML allows any code point in a quoted key, U+0000 included ("\u0000" = 1), but json-c
 * keys are C strings. So keys in the tree are UTF-8 with one exception: U+0000 is stored as
 * PCB_TOML_KEY_NUL, the two bytes C0 80 (the "modified UTF-8" of Java and Tcl). Real UTF-8
 * never holds C0 80 (an overlong form the reader rejects), so no other key can be confused with
 * it, and keys without U+0000 (every key a caller looks up by name) are plain UTF-8, unchanged.
 * The same encoding is used by pcb_toml_locs_line paths (pass keys as found in the tree) and by
 * pcb_toml_to_tagged. Where keys leave as text, the reader translates back: its error messages
 * write U+0000 as \u0000 (keys are shown as TOML would write them), and
 * pcb_toml_to_json_string writes it as the JSON escape \u0000. Code printing keys itself may
 * use pcb_toml_key_decode; code building a key to look up may use pcb_toml_key_encode. */
#define PCB_TOML_KEY_NUL "\xC0\x80"
/* The key under which the bytes s[0..len) are stored (caller frees): each NUL becomes
 * PCB_TOML_KEY_NUL. */
char *pcb_toml_key_encode(const char *s, size_t len);
/* The real bytes of a stored key (caller frees; NUL-terminated, and *len_out, when not NULL,
 * gets the length, which counts the NULs inside). */
char *pcb_toml_key_decode(const char *key, size_t *len_out);
/* JSON text of a tree from pcb_toml_parse or pcb_toml_to_tagged (flags as for
 * json_object_to_json_string_ext; caller frees), with U+0000 in keys written as \u0000: the
 * JSON every other reader expects. */
char *pcb_toml_to_json_string(json_object *v, int flags);

/* Copying: the date/time tags live in json-c userdata, which json_object_deep_copy() with the
 * default shallow copy refuses to copy (it fails with -1). Copy TOML trees with
 * pcb_toml_deep_copy() (NULL on failure; caller puts the result), or pass pcb_toml_shallow_copy
 * to json_object_deep_copy(). Everything else (get/put, adding to other objects, serialising,
 * json_object_set_string) keeps the tag; json_object_set_serializer/set_userdata replace it. */
json_c_shallow_copy_fn pcb_toml_shallow_copy;
json_object *pcb_toml_deep_copy(json_object *src);

/* Source positions, so that errors found after parsing (a wrong type, an unknown key) can name
 * the line: "pyproject.toml: line 7: [project].name must be a string". A struct pcb_toml_locs
 * records, for every key defined in the document (table headers, dotted keys, keys in inline
 * tables, array-of-tables entries), the line and column where it was defined. Owned by the
 * caller of pcb_toml_parse_locs; read-only afterwards, so any thread may read it. */
struct pcb_toml_locs;

/* Like pcb_toml_parse, also returning positions (*locs_out, caller destroys; untouched on
 * failure). */
int pcb_toml_parse_locs(const char *data, size_t len, const char *name, json_object **out,
    struct pcb_toml_locs **locs_out, struct pcb_err *err);
/* Reads and parses a file with positions. */
int pcb_toml_parse_file_locs(const char *path, json_object **out,
    struct pcb_toml_locs **locs_out, struct pcb_err *err);
/* Line (1-based) where the key at path[0..n) was defined ({"project", "scripts", "hello"});
 * for an array of tables, a numeric component "0", "1"… picks the entry. 0 when unknown.
 * col_out (may be NULL) gets the 1-based column. */
int pcb_toml_locs_line(const struct pcb_toml_locs *locs, const char *const *path, size_t n,
    int *col_out);

/* A key path inside a document, for locating errors: {"package", "3", "dependencies"}.
 * Indices live in the struct itself (k[i] NULL, num[i] the digits), so copies stay valid. */
struct pcb_toml_kpath {
	const char *k[8];
	char num[8][24];
	size_t n;
};
void pcb_toml_kpath_key(struct pcb_toml_kpath *p, const char *k);
void pcb_toml_kpath_idx(struct pcb_toml_kpath *p, size_t i);
/* Sets err to "<file>: line N: <message>", N the line of the deepest key of kp that locs
 * knows (no line when none, or locs NULL), and returns PCB_EINVAL. kp may be NULL. */
int pcb_toml_kpath_fail(struct pcb_err *err, const struct pcb_toml_locs *locs,
    const char *file, const struct pcb_toml_kpath *kp, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
void pcb_toml_locs_destroy(struct pcb_toml_locs *locs);
/* Positions of elements of value arrays (dependencies = ["a", "b"]) are there too, by index,
 * at the element's first character. A table's position is where it was defined: its [header],
 * or else the first header or dotted key that named it. Columns count characters. */

/* The toml-test "tagged JSON" form of a tree from pcb_toml_parse (v borrowed; caller puts the
 * result): tables stay objects, arrays arrays, and every leaf becomes {"type": "string" |
 * "integer" | "float" | "bool" | "datetime" | "datetime-local" | "date-local" | "time-local",
 * "value": "<text>"} (floats in their shortest round-trip form, "nan", "inf", "-inf"). Keys
 * stay in the tree's encoding (see PCB_TOML_KEY_NUL): write it out with pcb_toml_to_json_string.
 * Used by build/pcb-toml-decode and the conformance tests. */
json_object *pcb_toml_to_tagged(json_object *v);

#endif
