/* ocicheck.h — checks an OCI image layout against the image-spec rules the project relies on:
 * oci-layout version, index/manifest/config shapes and media types, every blob present with
 * the size and sha256 its descriptor claims, and rootfs.diff_ids equal to the sha256 of each
 * decompressed layer. Test code only: failures abort the running Check test. */
#ifndef PCB_OCICHECK_H
#define PCB_OCICHECK_H

#include <json-c/json.h>

/* Validates the layout at dir and the image tagged ref_name in it. Returns the manifest digest
 * (caller frees); *config_out (may be NULL) gets the parsed config (caller puts). */
char *pcb_test_check_layout(const char *dir, const char *ref_name, json_object **config_out);

/* Parses JSON text or fails the test naming what. Caller puts. */
json_object *pcb_test_json(const char *text, const char *what);
/* Looks up a dotted path ("result.manifest.digest"; array index as a number component). */
json_object *pcb_test_jget(json_object *j, const char *path);

#endif
