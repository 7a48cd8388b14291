#!/bin/sh
# run-tests.sh ENV BIN... — runs each Check test binary with ENV set, prints its output, and
# closes with one summary line "N passed, N failed" counted over all binaries.
# With PCB_VALGRIND=1 each binary runs under valgrind and any leak or error fails it.
env_assign=$1; shift
passed=0; failed=0; failed_bins=""
for bin in "$@"; do
	echo "== $bin"
	if [ -n "$PCB_VALGRIND" ]; then
		wrap="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --suppressions=$(dirname "$0")/valgrind.supp"
	else
		wrap=""
	fi
	out=$(env $env_assign $wrap "$bin" 2>&1); rc=$?
	printf '%s\n' "$out"
	# Check prints "NN%: Checks: T, Failures: F, Errors: E"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -n "$line" ]; then
		t=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		passed=$((passed + t - f - e)); failed=$((failed + f + e))
	fi
	if [ $rc -ne 0 ]; then
		failed_bins="$failed_bins $bin"
		[ -z "$line" ] && failed=$((failed + 1))
	fi
done
[ -n "$failed_bins" ] && echo "failing:$failed_bins"
echo "$passed passed, $failed failed"
[ -z "$failed_bins" ] && [ $failed -eq 0 ]
