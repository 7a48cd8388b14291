#!/bin/sh
# bench.sh — `make bench`: medians over RUNS runs of pycontainerd operations, each beside a
# baseline tool measured in the same run, printed as one table per section.
#
#   tools/bench.sh BUILD_DIR RUNS
#
# The work is done by tools/bench/bench.py (sections, fixtures, the table printer); this
# wrapper checks the arguments and runs it with Debian's interpreter on purpose: the python on
# PATH may be a pyenv build, and a fresh Debian machine has only /usr/bin/python3. exec, so a
# Ctrl-C or SIGTERM reaches the script directly and its cleanup runs.
#
# Baselines: skopeo and docker-registry are required; pigz and umoci are used when installed
# (their rows say so when not). The big-app section copies the site-packages of
# $PCB_BENCH_PYTHON (default /root/.pyenv/versions/3.11.7/bin/python3) and is skipped, with a
# note, when that interpreter is absent. Needs ~1 GB free in $TMPDIR.
# PCB_BENCH_SECTIONS=small,big,reqs,push (any subset, comma-separated) runs only those sections.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR RUNS" >&2
	exit 2
fi
case $2 in
'' | *[!0-9]* | 0)
	echo "bench: RUNS must be a whole number above 0, not '$2'" >&2
	exit 2
	;;
esac
if [ ! -x /usr/bin/python3 ]; then
	echo "bench: /usr/bin/python3 is missing (apt-get install python3)" >&2
	exit 2
fi
exec /usr/bin/python3 "$(dirname "$0")/bench/bench.py" "$1" "$2"
