#!/bin/sh
# run.sh -- run every test program against one build folder and count.
#
#   tests/run.sh BUILD_DIR [GROUP...]     GROUP: unit cli interop fuzz
#
# Each test program prints TAP lines ("ok N - ...", "not ok N - ...").
# Every "ok" counts as passed and every "not ok" as failed; a program that
# exits non-zero without a "not ok", or prints no result at all, counts as
# one failure. A failing program's whole output is shown. The last line is
# "N passed, N failed"; the exit status is 0 only if nothing failed.
set -u
cd "$(dirname "$0")/.."
build=${1:?usage: tests/run.sh BUILD_DIR [unit cli interop fuzz]}
shift
groups=${*:-unit cli interop fuzz}

export TILLGATE="$PWD/$build/tillgate"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
# Test-only state goes under one temporary folder, removed at the end.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tillgate-test.XXXXXX")
export TEST_TMP
trap 'rm -rf "$TEST_TMP"' EXIT INT TERM

passed=0
failed=0
log="$TEST_TMP/log"

# run NAME COMMAND...: runs one test program and adds up its results.
run() {
	name=$1
	shift
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^ok ' "$log")
	nok=$(grep -c '^not ok ' "$log")
	extra=0
	why=""
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		extra=1
		why=" (exit status $rc)"
	elif [ "$ok" -eq 0 ] && [ "$nok" -eq 0 ]; then
		extra=1
		why=" (no test result printed)"
	fi
	passed=$((passed + ok))
	failed=$((failed + nok + extra))
	secs=$(($(date +%s) - start))
	if [ $((nok + extra)) -eq 0 ]; then
		printf 'PASS  %-32s %4d passed  %3ds\n' "$name" "$ok" "$secs"
	else
		printf 'FAIL  %-32s %4d passed, %d failed%s\n' "$name" "$ok" $((nok + extra)) "$why"
		sed 's/^/    | /' "$log"
	fi
}

for g in $groups; do
	case $g in
	unit)
		for t in "$build"/tests/test_*; do
			[ -x "$t" ] || continue
			case $t in *.d) continue ;; esac
			run "unit/$(basename "$t")" "$t"
		done
		;;
	cli)
		for t in tests/cli/*.sh; do
			case $t in */lib.sh | */apilib.sh) continue ;; esac
			run "cli/$(basename "$t" .sh)" sh "$t"
		done
		;;
	interop)
		for t in tests/interop/*.test.js; do
			[ -f "$t" ] || continue
			run "interop/$(basename "$t" .test.js)" node "$t"
		done
		;;
	fuzz)
		for t in "$build"/tests/replay_*; do
			[ -x "$t" ] || continue
			case $t in *.d) continue ;; esac
			n=${t##*/replay_}
			run "fuzz-replay/$n" "$t" "tests/fuzz/corpus/$n"
		done
		;;
	*)
		echo "run.sh: unknown group '$g' (unit cli interop fuzz)" >&2
		exit 2
		;;
	esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
