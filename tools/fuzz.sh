#!/bin/sh
# fuzz.sh — coverage-guided fuzzing of the TOML reader with libFuzzer, for `make fuzz`.
#
#   tools/fuzz.sh BUILD_DIR SECONDS
#
# Builds tests/fuzz/fuzz-toml.c with clang (-fsanitize=fuzzer,address,undefined) into
# BUILD_DIR/fuzz/, seeds BUILD_DIR/fuzz/corpus-toml (kept between runs, so coverage grows) from
# tests/toml, the vendored toml-test suite (tests/fixtures/toml-test) and
# tests/fuzz/regressions/toml/, then fuzzes for SECONDS. A crash, leak, timeout or
# out-of-memory input is written to tests/fuzz/regressions/toml/ (commit it:
# tests/unit/test-toml.c replays every file there once the reader is fixed) and the script
# exits non-zero.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS" >&2
	exit 2
fi
build=$1
seconds=$2
case $seconds in
'' | *[!0-9]*)
	echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2
	exit 2
	;;
esac

# Work from the repository root whatever the caller's directory (paths below are relative).
cd "$(dirname "$0")/.."

suite=tests/fixtures/toml-test
regress=tests/fuzz/regressions/toml
out=$build/fuzz
corpus=$out/corpus-toml

# libFuzzer ships with clang; gcc has no equivalent.
if ! command -v clang >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "fuzz: installing clang (libFuzzer comes with it)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q --no-install-recommends clang ||
			{ apt-get update -q && apt-get install -y -q --no-install-recommends clang; }
	else
		echo "fuzz: clang is needed for libFuzzer and is not installed;" >&2
		echo "fuzz: install it as root (apt-get install clang) and run 'make fuzz' again" >&2
		exit 1
	fi
fi
if ! pkg-config --exists json-c openssl; then
	echo "fuzz: json-c / openssl development files are missing: run 'make deps'" >&2
	exit 1
fi

mkdir -p "$out" "$corpus" "$regress"

echo "fuzz: building $out/fuzz-toml"
# shellcheck disable=SC2046
clang -g -O1 -std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -Icommon $(pkg-config --cflags json-c openssl) \
	tests/fuzz/fuzz-toml.c common/python/toml.c common/base/util.c common/base/err.c \
	$(pkg-config --libs json-c openssl) -lpthread -lm -o "$out/fuzz-toml"

# Seeds. Files are named after their path so that cases with the same base name all survive;
# libFuzzer adds what it finds to the first corpus directory.
seed() {
	# $1: directory, $2: name prefix
	[ -d "$1" ] || return 0
	find "$1" -type f ! -name '.*' ! -name 'README*' | while IFS= read -r f; do
		name=$2$(printf '%s' "${f#"$1"/}" | tr '/' '_')
		cp -f "$f" "$corpus/$name"
	done
}
seed tests/toml fixture_
seed "$regress" regress_
if [ -d "$suite" ]; then
	seed "$suite/valid" suite-valid_
	seed "$suite/invalid" suite-invalid_
else
	echo "fuzz: $suite is missing; seeding without the toml-test suite"
fi
echo "fuzz: corpus $corpus has $(find "$corpus" -type f | wc -l) inputs; fuzzing for ${seconds}s"

before=$(find "$regress" -type f | sort)
status=0
# One process: the machine's cores are shared. -max_len bounds the inputs (the reader's own
# limits are tested by the unit tests); -timeout catches inputs that make it loop.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$out/fuzz-toml" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -dict=tests/fuzz/toml.dict \
	-artifact_prefix="$regress/" "$corpus" >"$out/fuzz-toml.log" 2>&1 || status=$?
after=$(find "$regress" -type f | sort)
tail -n 25 "$out/fuzz-toml.log"

new=$(printf '%s\n' "$after" | grep -vxF -e "$before" | grep . || true)
if [ -z "$before" ]; then
	new=$after
fi
if [ "$status" -ne 0 ] || [ -n "$new" ]; then
	echo "fuzz: FAILED (libFuzzer exit status $status); full log in $out/fuzz-toml.log" >&2
	if [ -n "$new" ]; then
		echo "fuzz: new failing inputs (replayed by tests/unit/test-toml.c):" >&2
		printf '  %s\n' $new >&2
	fi
	exit 1
fi
echo "fuzz: no crash in ${seconds}s ($(find "$corpus" -type f | wc -l) corpus inputs)"
