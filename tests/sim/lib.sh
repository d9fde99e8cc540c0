# lib.sh -- sourced after lib.sh by the tests that run the daemon
# against our own switch simulator (tests/sim/switch_sim.js,
# tests/sim/README.md).
#
#   sim_start CALLBACK_URL [ARGS...]
#                           starts the simulator (ARGS: --port N, --fast,
#                           --idle-exit-s S); sets SIM_PID, SIM_PORT, SIM_U.
#                           Its stdin is a FIFO held open by this shell on
#                           fd 8, so that it exits when the test does.
#                           Start the daemon with 8>&- so that it does not
#                           hold the FIFO open.
#   sim_stop                stops it (SIGTERM to SIM_PID) and waits
#   sim GET|POST PATH [BODY]  the control API; body in $SIM_OUT, status in $SIM_CODE
#   sjs EXPR                evaluates EXPR with `s` bound to the JSON in $SIM_OUT
#                           (node), prints the result
SIM_PID=
SIM_OUT=$T_DIR/sim.json
SIM_LOG=$T_DIR/sim.log

sim_start() {
	_cb=$1; shift
	rm -f "$T_DIR/sim.in" "$T_DIR/sim.port"
	mkfifo "$T_DIR/sim.in" || { fail "simulator fifo" "mkfifo failed"; finish; }
	node tests/sim/switch_sim.js --callback "$_cb" "$@" <"$T_DIR/sim.in" >"$T_DIR/sim.port" 2>>"$SIM_LOG" &
	SIM_PID=$!
	exec 8>"$T_DIR/sim.in"
	SIM_PORT=
	for _ in $(seq 200); do
		SIM_PORT=$(sed -n 's/^{"port":\([0-9]*\)}$/\1/p' "$T_DIR/sim.port")
		[ -n "$SIM_PORT" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -n "$SIM_PORT" ]; then pass "the switch simulator listens ($*)"
	else fail "the switch simulator listens" "$(tail -5 "$SIM_LOG")"; finish; fi
	SIM_U=http://127.0.0.1:$SIM_PORT
}

sim_stop() {
	[ -n "$SIM_PID" ] || return 0
	kill "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	exec 8>&-
	SIM_PID=
}

sim() {
	if [ -n "${3-}" ]; then
		SIM_CODE=$(curl -s -o "$SIM_OUT" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
			--data-binary "$3" "$SIM_U$2")
	else
		SIM_CODE=$(curl -s -o "$SIM_OUT" -w '%{http_code}' -X "$1" "$SIM_U$2")
	fi
}

sjs() {
	node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const v = (0, eval)("(s) => (" + process.argv[2] + ")")(s);
console.log(typeof v === "object" ? JSON.stringify(v) : String(v));' "$SIM_OUT" "$1"
}
