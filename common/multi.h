/* multi.h — multi-platform builds: one OCI image index with a manifest per platform.
 *
 * pcb_build_run hands a build here when its plan names several platforms (spec.platforms, or
 * `platforms = [...]` in the project's config). Each platform is a part of the build
 * (build.h pcb_build_part_*): its own plan, its base picked from the base's index for that
 * platform, its dependencies resolved and fetched for that platform (lock files pick the wheels
 * whose tags fit it, requirements go through pip download for it), its venv layers. The app
 * layer is the same files with the same options for every platform: it is packed once and
 * shared. Then each platform's config and manifest, the index over them, the tags (on the
 * index), the outputs (layouts and archives holding the index) and the pushes (each manifest
 * by digest, then the index under the tag).
 *
 * Thread-safety: pcb_multi_run runs on the job's worker thread and starts helper threads of
 * its own (at most one per online CPU, and never more than there is work); ctx->emit is
 * called from one thread at a time (a mutex serialises the helpers' events). */
#ifndef PCB_MULTI_H
#define PCB_MULTI_H

#include <json-c/json.h>

#include "base/err.h"
#include "base/util.h"
#include "build.h"

/* Builds spec s for every platform in platforms (as the plan has them, "os/arch[/variant]",
 * at least one). On success *result_out (caller puts) is the BuildResult of the index
 * (api/openapi.yaml): "manifest" and "index" the index's descriptor, "platforms" one entry
 * per platform built (platform, manifest, config, layers, dependencies, base), "skipped" the
 * platforms left out with --platform-fail=skip and why, and config, layers, dependencies and
 * base those of the host's platform when it was built, else of the first one (what
 * `pcb inspect` shows for an index on this host).
 *
 * A platform that fails (no wheel that fits it, no base image for it …) fails the build with
 * its error prefixed by "platform OS/ARCH: "; with s->platform_fail_skip it is left out, a
 * warning event names it, and the build fails only when no platform is left. Cancellation
 * and a failure of the shared steps (the app layer, tags, outputs, pushes) always fail it. */
int pcb_multi_run(const struct pcb_build_spec *s, const struct pcb_build_ctx *ctx,
    const struct pcb_strv *platforms, json_object **result_out, struct pcb_err *err);

#endif
