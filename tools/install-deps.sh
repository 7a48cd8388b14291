#!/bin/sh
# install-deps.sh — installs the Debian packages pycontainerd needs to build and test, if
# missing. Idempotent: does nothing (and needs no network) when all are present.
set -eu
# The registry fixtures (tests/lib/regfix.c) need htpasswd -B (apache2-utils), the openssl CLI
# for the test CA, and python3-cryptography for the JWT token server.
# The wheel fixtures (tests/lib/wheelfix.py) re-make wheels from an installed Flask: on a machine
# without the pyenv Python that is Debian's python3-flask (which brings werkzeug, jinja2,
# markupsafe with its C extension, click, itsdangerous, blinker); tests/integration/test-wheelfix.c
# checks the index with pip (python3-pip, python3-venv). Django, FastAPI, uvicorn and gunicorn
# from Debian become the wheels of the apps tests/integration/test-deps.c runs for real.
# podman loads the docker-archive and oci-archive outputs in tests/integration/test-outputs.c
# (its own storage in a temp dir, vfs driver; no daemon, no registry).
# prometheus brings promtool (Debian has no package of its own for it), which
# tests/integration/test-metrics.c runs on GET /metrics; the tests use no Prometheus server
# (on a machine running systemd the package's own service starts one on :9090).
# python3-yaml and python3-jsonschema let the tests check every event and error the daemon sends
# against api/openapi.yaml (tests/lib/schemacheck.py).
PKGS="build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libuv1-dev
libsqlite3-dev libssl-dev zlib1g-dev libdeflate-dev libzstd-dev libsystemd-dev check libsubunit-dev
skopeo umoci runc podman docker-registry valgrind curl python3 ca-certificates pigz zstd
apache2-utils openssl python3-cryptography
python3-pip python3-venv python3-flask
python3-django python3-fastapi python3-uvicorn python3-gunicorn
prometheus python3-yaml python3-jsonschema"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# The OpenAPI linters (redocly, spectral) at the versions pinned in tools/lint/package.json and
# its lock file, for tests/unit/test-openapi-lint.c: installed with npm ci into tools/lint (no
# global install), when node's npm is there, and again only when the lock file changes.
lint_tools() {
	dir="$(dirname "$0")/lint"
	if ! command -v npm >/dev/null 2>&1; then
		echo "deps: no npm: the OpenAPI linters are not installed (their test is skipped)"
		return 0
	fi
	if [ -f "$dir/node_modules/.package-lock.json" ] &&
	    [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		return 0
	fi
	echo "deps: installing the pinned OpenAPI linters into tools/lint"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}
if [ -z "$missing" ]; then
	echo "deps: all build and test packages are installed"
	lint_tools
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
lint_tools
