# serve.sh -- black-box tests of 'tillgate serve': start, health, signals.
. "$(dirname "$0")/lib.sh"

D=$T_DIR/var
LOG=$T_DIR/serve.log
PID=

SOUT=$T_DIR/serve.out

# start_daemon ARGS...: starts serve on a free loopback port, logging to
# $LOG, its stdout in $SOUT; sets PID and PORT, or fails the test.
start_daemon() {
	: >"$LOG"
	"$TILLGATE" serve --set gateway.data_dir="$D" --set gateway.listen=127.0.0.1:0 \
		--set gateway.log_file="$LOG" "$@" >"$SOUT" 2>"$ERR" &
	PID=$!
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*msg="listening" .*port=\([0-9]*\).*/\1/p' "$LOG")
		[ -n "$PORT" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -n "$PORT" ]; then pass "daemon listening on port $PORT"; else fail "daemon listening" "no listening line in $LOG"; fi
}

# stop_daemon SIGNAL: sends it and waits; RC = exit status.
stop_daemon() {
	kill -"$1" "$PID"
	wait "$PID"; RC=$?
}

start_daemon
[ -f "$D/tillgate.db" ] && pass "data folder and database created" || fail "data folder and database created"
# First start: the keys on stdout (printed before the "listening" line).
has "the admin URL with the bound port" "$SOUT" "^admin URL: http://127\.0\.0\.1:$PORT/v1\$"
has "a hub-admin key, shown once" "$SOUT" '^hub-admin key \(shown once\): tg_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$'
has "a demo DFSP key" "$SOUT" '^demo-dfsp dfsp-admin key \(shown once\): tg_[0-9a-f]{16}\.'
HUBKEY=$(sed -n 's/^hub-admin key (shown once): //p' "$SOUT")
curl -s -o "$OUT" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" >"$T_DIR/code"
same "GET /healthz answers 200" "$(cat "$T_DIR/code")" 200
has "health names the status and schema" "$OUT" '^\{"status":"ok","schema_version":[0-9]+,"uptime_s":[0-9]+\}$'
curl -s -o "$OUT" -w '%{http_code}' "http://127.0.0.1:$PORT/nope" >"$T_DIR/code"
same "unknown path answers 404" "$(cat "$T_DIR/code")" 404
has "as a problem document" "$OUT" '"code":"not_found"'
mv "$LOG" "$LOG.1"
kill -HUP "$PID"
for _ in $(seq 50); do [ -s "$LOG" ] && break; sleep 0.05; done
has "SIGHUP reopens the log file" "$LOG" 'msg="log file reopened"'
stop_daemon TERM
status "SIGTERM stops the daemon" 0
has "it says it stopped" "$LOG" 'msg="stopped" status=0'
hasnt "no secrets or errors logged" "$LOG" 'level=error'
if [ -n "$HUBKEY" ] && ! grep -qF -- "${HUBKEY#*.}" "$LOG" "$LOG.1" "$ERR"; then
	pass "the hub-admin key is not in the log"
else
	fail "the hub-admin key is not in the log" "key: ${HUBKEY:-none printed}"
fi

# A second start finds the database as it left it.
start_daemon
hasnt "no schema change on restart" "$LOG" 'schema (created|migrated)'
hasnt "no new key on the second start" "$SOUT" 'key'
stop_daemon INT
status "SIGINT stops the daemon too" 0

# Configuration errors stop it before anything starts.
"$TILLGATE" serve --set gateway.listen=nowhere --set gateway.data_dir="$D" >"$OUT" 2>"$ERR"; RC=$?
status "a bad listen address" 1
has "the error names the key" "$ERR" 'gateway.listen'
"$TILLGATE" serve extra >"$OUT" 2>"$ERR"; RC=$?
status "an unexpected argument" 2
"$TILLGATE" serve -c "$T_DIR/missing.conf" >"$OUT" 2>"$ERR"; RC=$?
status "a missing configuration file" 1
"$TILLGATE" serve --help >"$OUT" 2>"$ERR"; RC=$?
status "serve --help" 0
printf 'x' >"$T_DIR/file"
"$TILLGATE" serve --set gateway.data_dir="$T_DIR/file/sub" --set gateway.listen=127.0.0.1:0 >"$OUT" 2>"$ERR"; RC=$?
status "a data folder that cannot be made" 1
has "says why" "$ERR" 'cannot create the data folder'
finish
