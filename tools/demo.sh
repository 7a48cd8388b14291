#!/bin/sh
# demo.sh BUILD_DIR — the main job: start a private pycontainerd (own socket, own state dir),
# build examples/hello into dist/hello as an OCI image layout, show how to inspect it, stop.
set -eu
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
state="$build/demo-state"
rundir=$(mktemp -d /tmp/pcb-demo-XXXXXX)
sock="$rundir/pycontainerd.sock"
host="unix://$sock"
log="$rundir/pycontainerd.log"
mkdir -p "$state" "$top/dist"

"$build/pycontainerd" --host "$host" --state-dir "$state" >"$log" 2>&1 &
daemon=$!
cleanup() {
	kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
	rm -rf "$rundir"
}
trap cleanup EXIT INT TERM

# Wait (bounded) until the daemon answers.
tries=0
until "$build/pcb" -H "$host" version >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ $tries -gt 200 ] || ! kill -0 "$daemon" 2>/dev/null; then
		echo "demo: pycontainerd did not start; its log:" >&2
		cat "$log" >&2
		exit 1
	fi
	sleep 0.05
done
echo "demo: pycontainerd is up on $host (state in $state)"

# A base image made offline from the host's Python (no registry needed), then the app on it.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
"$build/pcb" -H "$host" base create --from-host --python "$python" -t demo-python:host -q
"$build/pcb" -H "$host" build "$top/examples/hello" --base-image demo-python:host \
	-t hello:latest --output "$top/dist/hello"

cat <<MSG

demo: the image is an OCI image layout in $top/dist/hello
  inspect it:   skopeo inspect oci:dist/hello:latest
                skopeo inspect --config oci:dist/hello:latest
  unpack it:    umoci unpack --image dist/hello:latest /tmp/hello-bundle
MSG
if command -v skopeo >/dev/null 2>&1; then
	echo
	echo "demo: skopeo inspect oci:dist/hello:latest"
	(cd "$top" && skopeo inspect oci:dist/hello:latest)
fi

# Run it: umoci turns the image into a runtime bundle (its config.json carries the image's
# Entrypoint, Env and WorkingDir); runc runs it without a terminal.
if [ "$(id -u)" -ne 0 ] || ! command -v umoci >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
	echo "demo: (running the image needs root, umoci and runc: skipped)"
	exit 0
fi
bundle="$rundir/bundle"
umoci unpack --image "$top/dist/hello:latest" "$bundle" >/dev/null
"$python" - "$bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    cfg = json.load(f)
cfg["process"]["terminal"] = False
cfg["process"]["args"] = cfg["process"]["args"] + ["demo"]
with open(path, "w") as f:
    json.dump(cfg, f)
PY
echo
echo "demo: running the image with runc (entrypoint + argument 'demo'):"
runc run --bundle "$bundle" "pcb-demo-$$"
