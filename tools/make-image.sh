#!/bin/sh
# make-image.sh BUILD_DIR OUT_DIR — `make image`: pycontainerd itself as an OCI image layout in
# OUT_DIR (dist/pycontainerd-image), made from this machine's Debian packages without Docker,
# by our own engine (BUILD_DIR/pcb-mkimage: the host base, the layer packer, the OCI writer).
#
#   layers 1-2  "system", "python": `pcb base create --from-host` of /usr/bin/python3 (the
#               interpreter, its stdlib and the shared libraries it loads, /etc, CA bundle)
#   layer 3     "runtime": the shared libraries pycontainerd and pcb load that the base lacks
#               (ldd), pip from Debian's python3-pip where that interpreter finds it (the
#               daemon runs `python3 -m pip download`), /etc/passwd and /etc/group with the
#               pycontainerd user (uid/gid 10001) for running as non-root
#   layer 4     "pycontainerd": /usr/local/bin/pycontainerd and pcb (stripped), the default
#               /etc/pycontainerd/config.toml, the mount points /var/lib/pycontainerd (a
#               VOLUME: the store) and /run/pycontainerd (the socket, shared with sidecars)
#
# Environment: IMAGE_USER (the image's User, default 0:0; 10001:10001 for non-root),
# IMAGE_TAG (default pycontainerd:VERSION), IMAGE_PYTHON (default /usr/bin/python3),
# IMAGE_ARCHIVE (also write a docker-archive there), IMAGE_STORE (the scratch store,
# default BUILD_DIR/image-store), SOURCE_DATE_EPOCH (default: the last
# commit's time, else 0; every timestamp, so the same tree gives the same digests).
set -eu
build=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
mkimage="$build/pcb-mkimage"
user=${IMAGE_USER:-0:0}
python=${IMAGE_PYTHON:-/usr/bin/python3}

for f in "$build/pycontainerd" "$build/pcb" "$mkimage"; do
	[ -x "$f" ] || { echo "make-image: $f is missing: run make first" >&2; exit 1; }
done
[ -x "$python" ] || { echo "make-image: no interpreter $python (apt-get install python3)" >&2; exit 1; }
for prog in ldd strip; do
	command -v $prog >/dev/null 2>&1 || { echo "make-image: $prog is missing (apt-get install libc-bin binutils)" >&2; exit 1; }
done
version=$("$build/pycontainerd" --version | awk '{print $NF}')
tag=${IMAGE_TAG:-pycontainerd:$version}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
revision=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
case $user in
	*[!0-9:]* | :* | *: ) echo "make-image: IMAGE_USER=$user: expected UID[:GID] in digits" >&2; exit 1 ;;
esac

# A store of our own (IMAGE_STORE), kept between runs: blobs are reused.
store=${IMAGE_STORE:-$build/image-store}
work=$(mktemp -d "${TMPDIR:-/tmp}/pcb-image-XXXXXX")
mkdir -p "$(dirname "$out")"
trap 'rm -rf "$work"' EXIT INT TERM

# --- the base: the host's Python, as `pcb base create --from-host` makes it ------------------
"$mkimage" base --store "$store" --python "$python" --tag pycontainerd-base:host >"$work/base.json"

# --- layer "runtime" ---------------------------------------------------------------------------
rt="$work/runtime"
mkdir -p "$rt"
# Libraries: where they really are (/lib is a symlink to usr/lib in the base, which a folder
# of that name in a layer would replace), under the name the loader asks for.
"$python" - "$work/base.json" "$build/pycontainerd" "$build/pcb" >"$work/libs" <<'PY'
import json, subprocess, sys
have = set(json.load(open(sys.argv[1]))["libraries"])
out = subprocess.run(["ldd"] + sys.argv[2:], check=True, capture_output=True, text=True).stdout
need = set()
for line in out.splitlines():
    if not line.startswith("\t"):
        continue    # "FILE:" headers, when ldd is given several files
    if "=> not found" in line:
        sys.exit("make-image: ldd: " + line.strip())
    if "=>" in line:
        path = line.split("=>")[1].split("(")[0].strip()
    else:
        path = line.strip().split(" ")[0]
    if path.startswith("/") and path not in have:
        need.add(path)
for p in sorted(need):
    print(p)
PY
while read -r lib; do
	dir=$(cd "$(dirname "$lib")" && pwd -P)
	mkdir -p "$rt$dir"
	cp -L "$lib" "$rt$dir/$(basename "$lib")"
done <"$work/libs"

# pip: Debian's python3-pip (it vendors what it needs; its certifi reads the CA bundle at
# /etc/ssl/certs/ca-certificates.crt, which the base has), put where the base's interpreter
# (prefix /usr/local) looks: dist-packages for Debian's, site-packages for others.
eval "$("$python" - <<'PY'
import os, site, sys
import pip
v = "python%d.%d" % sys.version_info[:2]
cands = site.getsitepackages(["/usr/local"])
dst = next(p for p in ("/usr/local/lib/%s/dist-packages" % v, "/usr/local/lib/%s/site-packages" % v)
           if p in cands)
src = os.path.dirname(pip.__file__)
info = [os.path.join(os.path.dirname(src), n) for n in os.listdir(os.path.dirname(src))
        if n.startswith("pip-") and n.endswith((".dist-info", ".egg-info"))]
print("pip_src=%s pip_info=%s pip_dst=%s" % (src, info[0] if info else "", dst))
PY
)" || { echo "make-image: $python has no pip (apt-get install python3-pip)" >&2; exit 1; }
mkdir -p "$rt$pip_dst"
cp -R "$pip_src" "$rt$pip_dst/"
[ -z "$pip_info" ] || cp -R "$pip_info" "$rt$pip_dst/"
find "$rt$pip_dst" -name __pycache__ -type d -prune -exec rm -rf {} +
find "$rt$pip_dst" -type l -delete

# Users: the base's root and nobody, plus pycontainerd (10001) to run as non-root.
mkdir -p "$rt/etc"
cat >"$rt/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
pycontainerd:x:10001:10001:pycontainerd:/var/lib/pycontainerd:/usr/sbin/nologin
EOF
cat >"$rt/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
pycontainerd:x:10001:
EOF

# --- layer "pycontainerd" ----------------------------------------------------------------------
app="$work/pycontainerd"
mkdir -p "$app/usr/local/bin" "$app/etc/pycontainerd" "$app/var/lib/pycontainerd" \
	"$app/run/pycontainerd"
strip --strip-unneeded -o "$app/usr/local/bin/pycontainerd" "$build/pycontainerd"
strip --strip-unneeded -o "$app/usr/local/bin/pcb" "$build/pcb"
cat >"$app/etc/pycontainerd/config.toml" <<'EOF'
# /etc/pycontainerd/config.toml — the settings of pycontainerd in its container image. Every
# key of `pycontainerd --help` may go here (its name with '_' for '-'); mount your own file
# over this one (a ConfigMap) and check it with `pycontainerd --check-config`.

# A unix socket in /run/pycontainerd (share that folder with a sidecar's client: an emptyDir),
# and loopback TCP for a client in the same pod or network namespace, which sends the bearer
# token of tcp_token_file (not set: made at first start as <state_dir>/tcp-token, mode 0600).
# Any address but loopback is refused.
host = ["unix:///run/pycontainerd/pycontainerd.sock", "tcp://127.0.0.1:7070"]

# The store and job database: the image's VOLUME.
state_dir = "/var/lib/pycontainerd"
EOF

cat >"$work/config.json" <<EOF
{
  "User": "$user",
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "LANG=C.UTF-8",
          "PCB_HOST=unix:///run/pycontainerd/pycontainerd.sock"],
  "Entrypoint": ["/usr/local/bin/pycontainerd", "--config", "/etc/pycontainerd/config.toml"],
  "Volumes": {"/var/lib/pycontainerd": {}},
  "WorkingDir": "/",
  "StopSignal": "SIGTERM",
  "Labels": {
    "org.opencontainers.image.title": "pycontainerd",
    "org.opencontainers.image.description": "pycontainerd, a builder of OCI images of Python projects (daemon and pcb client), with Python and pip for pip download",
    "org.opencontainers.image.version": "$version",
    "org.opencontainers.image.revision": "$revision"
  }
}
EOF

# --- the image -------------------------------------------------------------------------------
rm -rf "$out"
set -- image --store "$store" --base pycontainerd-base:host --config "$work/config.json" \
	--layer "runtime=$rt" --layer "pycontainerd=$app" --output "$out" \
	--ref-name "${tag##*:}" --tag "$tag"
[ -z "${IMAGE_ARCHIVE:-}" ] || set -- "$@" --docker-archive "$IMAGE_ARCHIVE"
digest=$("$mkimage" "$@")

size=$(du -sb "$out/blobs" | awk '{print $1}')
cat <<MSG
make-image: $tag is the OCI image layout $out
  manifest  $digest
  size      $size bytes of blobs (compressed), SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH
  inspect   skopeo inspect oci:$out:${tag##*:}
  unpack    umoci unpack --image $out:${tag##*:} BUNDLE
  load      skopeo copy oci:$out:${tag##*:} docker-daemon:$tag   (or containers-storage:)
  push      skopeo copy oci:$out:${tag##*:} docker://REGISTRY/pycontainerd:${tag##*:}
MSG
