/* api-version.c — GET /v1/version: what this daemon is and the platform it builds for; and
 * GET /v1/openapi.yaml: the API's contract, as this daemon was built with it, so that an IDE
 * or a generated client reads the spec of the daemon it talks to, not of another version. */
#include <microhttpd.h>
#include <json-c/json.h>

#include "http.h"

/* api/openapi.yaml, embedded at build time: .incbin copies the file's bytes into .rodata
 * when this file is assembled (the compiler runs in the source tree's root; the Makefile
 * makes this object depend on the yaml). Embedding, not reading an installed copy, means
 * the spec served is always the one the daemon was built against. A NUL follows the bytes. */
__asm__(
    "\t.section .rodata\n"
    "\t.globl pcb_openapi_yaml_start\n"
    "\t.hidden pcb_openapi_yaml_start\n"
    "\t.globl pcb_openapi_yaml_end\n"
    "\t.hidden pcb_openapi_yaml_end\n"
    "pcb_openapi_yaml_start:\n"
    "\t.incbin \"api/openapi.yaml\"\n"
    "pcb_openapi_yaml_end:\n"
    "\t.byte 0\n"
    "\t.previous\n");
extern const char pcb_openapi_yaml_start[] __attribute__((visibility("hidden")));
extern const char pcb_openapi_yaml_end[] __attribute__((visibility("hidden")));

#if defined(__x86_64__)
#define PCB_ARCH "amd64"
#elif defined(__aarch64__)
#define PCB_ARCH "arm64"
#elif defined(__i386__)
#define PCB_ARCH "386"
#elif defined(__arm__)
#define PCB_ARCH "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PCB_ARCH "ppc64le"
#elif defined(__s390x__)
#define PCB_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define PCB_ARCH "riscv64"
#else
#define PCB_ARCH "unknown"
#endif

static void
get_version(struct pcb_request *r)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "version", json_object_new_string(PCB_VERSION));
	json_object_object_add(j, "api_version", json_object_new_string("v1"));
	json_object_object_add(j, "os", json_object_new_string("linux"));
	json_object_object_add(j, "arch", json_object_new_string(PCB_ARCH));
	json_object_object_add(j, "platform", json_object_new_string("linux/" PCB_ARCH));
	pcb_http_reply_json(r, 200, j, NULL);
}

/* The bytes are static: MHD sends them without a copy. application/yaml is RFC 9512's. */
static void
get_openapi(struct pcb_request *r)
{
	size_t len = (size_t)(pcb_openapi_yaml_end - pcb_openapi_yaml_start);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len,
	    (void *)pcb_openapi_yaml_start, MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/yaml");
	pcb_http_reply_response(r, 200, resp);
	MHD_destroy_response(resp);
}

const struct pcb_route pcb_api_version_routes[] = {
	{ "GET", "/v1/version", get_version, "getVersion", false },
	{ "GET", "/v1/openapi.yaml", get_openapi, "getOpenApi", false },
	{ NULL, NULL, NULL, NULL, false },
};
