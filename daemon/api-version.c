/* api-version.c — GET /v1/version: what this daemon is and the platform it builds for. */
#include <json-c/json.h>

#include "http.h"

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

const struct pcb_route pcb_api_version_routes[] = {
	{ "GET", "/v1/version", get_version, "getVersion", false },
	{ NULL, NULL, NULL, NULL, false },
};
