# lib.sh -- TAP helpers for the black-box CLI tests (sourced, not run).
# Each check prints "ok N - what" or "not ok N - what" with the evidence;
# finish prints the plan and exits 1 if anything failed.
: "${TILLGATE:?set TILLGATE to the tillgate binary}"
T_N=0
T_FAIL=0
T_DIR=$(mktemp -d "${TEST_TMP:-${TMPDIR:-/tmp}}/cli.XXXXXX")
trap 'rm -rf "$T_DIR"' EXIT
OUT=$T_DIR/stdout
ERR=$T_DIR/stderr

pass() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
fail() {
	T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_N - $1"
	shift
	for l in "$@"; do echo "# $l"; done
	echo "# stdout:"; sed 's/^/#   /' "$OUT" 2>/dev/null | head -20
	echo "# stderr:"; sed 's/^/#   /' "$ERR" 2>/dev/null | head -20
}

# free_ports N: prints N loopback ports free at the time (asked of the
# kernel one at a time, each released before the next is asked).
free_ports() {
	node -e '
const net = require("net");
const n = Number(process.argv[1]), ports = [];
const next = () => {
	const s = net.createServer().listen(0, "127.0.0.1", () => {
		ports.push(s.address().port);
		s.close(() => (ports.length < n ? next() : console.log(ports.join(" "))));
	});
};
next();' "$1"
}

# tg ARGS...: runs tillgate; stdout in $OUT, stderr in $ERR, status in $RC.
tg() { "$TILLGATE" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
# tgin INPUT ARGS...: the same with INPUT on standard input.
tgin() { _in=$1; shift; printf '%s' "$_in" | "$TILLGATE" "$@" >"$OUT" 2>"$ERR"; RC=$?; }

# status WHAT EXPECTED: checks the last command's exit status.
status() {
	if [ "$RC" -eq "$2" ]; then pass "$1 (exit $2)"; else fail "$1" "exit status $RC, expected $2"; fi
}
# has WHAT FILE ERE: FILE holds a line matching ERE.
has() {
	if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1" "no line of $(basename "$2") matches: $3"; fi
}
# hasnt WHAT FILE ERE: no line of FILE matches ERE.
hasnt() {
	if grep -Eq -- "$3" "$2"; then fail "$1" "a line of $(basename "$2") matches: $3"; else pass "$1"; fi
}
# same WHAT ACTUAL EXPECTED
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got:      $2" "expected: $3"; fi
}
finish() { echo "1..$T_N"; [ "$T_FAIL" -eq 0 ]; exit $?; }
