# apilib.sh -- sourced after lib.sh by the black-box tests of the admin
# API: starts the real daemon on a free loopback port with a fresh data
# folder, reads the first-start keys, and gives curl helpers.
#
#   api_start [--set S.K=V ...]   start it; sets PID, PORT, U, HUB, ADMIN. It
#                                 may start again on the same data folder
#                                 (after the daemon stopped): the log starts
#                                 afresh and HUB, ADMIN keep the keys of the
#                                 first start. $API_WHAT, if set, prefixes
#                                 the "daemon listening" check.
#   req KEY METHOD PATH [BODY [EXTRA CURL ARGS...]]
#                                 body in $OUT, headers in $HDR, status in
#                                 $CODE; KEY "" sends no Authorization
#   code WHAT STATUS              checks $CODE
#   jfield NAME / jnum NAME       the first "NAME":"string" / "NAME":number of $OUT
command -v curl >/dev/null || { echo "not ok 1 - curl is needed"; exit 1; }

D=$T_DIR/var
LOG=$T_DIR/serve.log
SOUT=$T_DIR/serve.out
HDR=$T_DIR/headers
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT

api_start() {
	: >"$LOG"
	"$TILLGATE" serve --set gateway.data_dir="$D" --set gateway.listen=127.0.0.1:0 \
		--set gateway.log_file="$LOG" "$@" >"$SOUT" 2>"$ERR" &
	PID=$!
	PORT=
	for _ in $(seq 200); do
		PORT=$(sed -n 's/.*msg="listening" .*port=\([0-9]*\).*/\1/p' "$LOG" 2>/dev/null)
		[ -n "$PORT" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	_what="${API_WHAT:+$API_WHAT: }daemon listening"
	if [ -n "$PORT" ]; then pass "$_what"; else fail "$_what" "no listening line in $LOG"; finish; fi
	U=http://127.0.0.1:$PORT
	_k=$(sed -n 's/^hub-admin key (shown once): //p' "$SOUT")
	HUB=${_k:-${HUB-}}
	_k=$(sed -n 's/^demo-dfsp dfsp-admin key (shown once): //p' "$SOUT")
	ADMIN=${_k:-${ADMIN-}}
}

req() {
	_k=$1 _m=$2 _p=$3; shift 3
	_b=${1-}; [ $# -gt 0 ] && shift
	[ -n "$_k" ] && set -- "$@" -H "Authorization: Bearer $_k"
	[ -n "$_b" ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$_b"
	CODE=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -X "$_m" "$@" "$U$_p")
}

code() {
	if [ "$CODE" = "$2" ]; then pass "$1 ($2)"; else fail "$1" "HTTP $CODE, expected $2"; fi
}
jfield() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$OUT" | head -n 1; }
jnum() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" "$OUT" | head -n 1; }
