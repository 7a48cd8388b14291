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
# prometheus brings promtool (Debian has no package of its own for it), which
# tests/integration/test-metrics.c runs on GET /metrics; the tests use no Prometheus server
# (on a machine running systemd the package's own service starts one on :9090).
PKGS="build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libuv1-dev
libsqlite3-dev libssl-dev zlib1g-dev libdeflate-dev libzstd-dev libsystemd-dev check libsubunit-dev
skopeo umoci runc docker-registry valgrind curl python3 ca-certificates pigz zstd
apache2-utils openssl python3-cryptography
python3-pip python3-venv python3-flask
python3-django python3-fastapi python3-uvicorn python3-gunicorn
prometheus"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all build and test packages are installed"
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
