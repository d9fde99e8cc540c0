# switch_callbacks.sh -- black-box tests of the FSPIOP callback routes of
# 'tillgate serve' (gateway/switch.h): header and body validation with the
# API's errorInformation answers, late callbacks answered 200, the
# [switch] section at start, and the switch metrics.
. "$(dirname "$0")/lib.sh"

D=$T_DIR/var
LOG=$T_DIR/serve.log
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT

# start_daemon ARGS...: as in serve.sh; sets PID and PORT.
start_daemon() {
	: >"$LOG"
	"$TILLGATE" serve --set gateway.data_dir="$D" --set gateway.listen=127.0.0.1:0 \
		--set gateway.log_file="$LOG" --set http.metrics_public=true "$@" >/dev/null 2>"$ERR" &
	PID=$!
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*msg="listening" .*port=\([0-9]*\).*/\1/p' "$LOG")
		[ -n "$PORT" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -n "$PORT" ]; then pass "daemon listening on port $PORT $*"; else fail "daemon listening $*" "$(cat "$LOG" "$ERR")"; fi
}
stop_daemon() { kill -TERM "$PID"; wait "$PID"; RC=$?; PID=; [ "$RC" -eq 0 ] || sed "s/^/# /" "$ERR"; }

DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
CT_Q='application/vnd.interoperability.quotes+json;version=1.1'
QID=b51ec534-ee48-4575-b6a9-ead2955b8069
COND=GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM
QUOTE='{"transferAmount":{"currency":"TZS","amount":"5000"},"expiration":"2026-01-01T10:00:20.000Z","ilpPacket":"AYIB","condition":"'$COND'"}'

# put PATH CONTENT-TYPE SOURCE DATE BODY: the status in $CODE, body in $OUT.
put() {
	set -- "$1" "$2" "$3" "$4" "$5"
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X PUT "http://127.0.0.1:$PORT$1" \
		${2:+-H "Content-Type: $2"} ${3:+-H "FSPIOP-Source: $3"} ${4:+-H "Date: $4"} \
		--data-binary "$5")
}

start_daemon
put "/quotes/$QID" "$CT_Q" acqbank "$DATE" "$QUOTE"
same "a valid PUT /quotes/{id} nobody waits for: 200 (late callbacks are normal)" "$CODE" 200
put "/quotes/$QID" "$CT_Q" "" "$DATE" "$QUOTE"
same "no FSPIOP-Source: 400" "$CODE" 400
has "with errorCode 3102 naming the header" "$OUT" '^\{"errorInformation":\{"errorCode":"3102","errorDescription":"FSPIOP-Source: missing"\}\}$'
put "/quotes/$QID" "$CT_Q" acqbank "yesterday" "$QUOTE"
same "a malformed Date: 400" "$CODE" 400
has "with 3101 and the position" "$OUT" '"errorCode":"3101","errorDescription":"Date: not an RFC 7231 date \(position 3\)"'
put "/quotes/$QID" "application/vnd.interoperability.quotes+json; version=1.1" acqbank "$DATE" "$QUOTE"
same "a space after ';' in Content-Type: 400" "$CODE" 400
has "with 3101" "$OUT" '"errorCode":"3101"'
put "/quotes/$QID" "application/vnd.interoperability.quotes+json;version=2.0" acqbank "$DATE" "$QUOTE"
same "version 2.0: 406" "$CODE" 406
has "with 3001" "$OUT" '"errorCode":"3001","errorDescription":"Content-Type: unsupported version'
put "/quotes/$QID" "$CT_Q" acqbank "$DATE" '{"transferAmount":{"currency":"TZS","amount":"5000.50"}}'
same "an invalid quote body: 400" "$CODE" 400
has "with 3100 naming the JSON path and position" "$OUT" '"errorCode":"3100","errorDescription":"\$\.transferAmount\.amount: trailing zero after .*\(position 45\)"'
put "/transfers/$QID/error" "application/vnd.interoperability.transfers+json;version=1.1" switch "$DATE" \
	'{"errorInformation":{"errorCode":"4001","errorDescription":"Payer FSP insufficient liquidity"}}'
same "PUT /transfers/{id}/error: 200" "$CODE" 200
put "/parties/ALIAS/10000042" "application/vnd.interoperability.parties+json;version=1.1" acqbank "$DATE" \
	'{"party":{"partyIdInfo":{"partyIdType":"ALIAS","partyIdentifier":"10000042","fspId":"acqbank"},"name":"Kiosk"}}'
same "PUT /parties/{Type}/{ID}: 200" "$CODE" 200
put "/parties/ALIAS/10000042" "application/vnd.interoperability.quotes+json;version=1.1" acqbank "$DATE" '{}'
same "a quotes media type on /parties: 400" "$CODE" 400
has "callbacks without a switch are logged" "$LOG" 'msg="callback dropped: no switch configured" resource=quotes'
hasnt "no invalid callback logged as a matched request" "$LOG" 'msg="request done"'
curl -s -o "$OUT" "http://127.0.0.1:$PORT/metrics"
has "without a switch, /metrics says tillgate_switch_up -1" "$OUT" '^tillgate_switch_up -1$'
stop_daemon
status "stops cleanly" 0

start_daemon --set switch.endpoint=http://127.0.0.1:1/ --set switch.callback_base=http://127.0.0.1:8080
has "the connector starts with the endpoint" "$LOG" 'msg="switch connector ready" endpoint=http://127\.0\.0\.1:1 '
has "and logs the callback base to register" "$LOG" 'msg="FSPIOP callbacks expected" callback_base=http://127\.0\.0\.1:8080'
put "/transfers/$QID" "application/vnd.interoperability.transfers+json;version=1.1" acqbank "$DATE" \
	'{"transferState":"COMMITTED","fulfilment":"UNlJ98hZTY_dsw0cAqw4i_UN3v4utt7CZFB4yfLbVFA"}'
same "a late transfer callback: 200" "$CODE" 200
has "logged as matching no request" "$LOG" 'msg="callback matches no request" resource=transfers id='$QID
curl -s -o "$OUT" "http://127.0.0.1:$PORT/metrics"
has "/metrics: the link up after the callback" "$OUT" '^tillgate_switch_up 1$'
has "/metrics: one callback received" "$OUT" '^tillgate_switch_callbacks_total 1$'
has "/metrics: and unmatched" "$OUT" '^tillgate_switch_callbacks_unmatched_total 1$'
has "/metrics: requests by kind" "$OUT" '^tillgate_switch_requests_total\{kind="quote"\} 0$'
stop_daemon
status "stops cleanly" 0

"$TILLGATE" serve --set gateway.data_dir="$D" --set gateway.listen=127.0.0.1:0 \
	--set switch.endpoint=ftp://127.0.0.1/ >"$OUT" 2>&1
RC=$?
status "an ftp endpoint stops the start (a configuration error)" 1
has "naming the key" "$OUT" "key 'endpoint' in section \\[switch\\]: 'ftp://127\\.0\\.0\\.1/' is not an http:// or https:// URL"
"$TILLGATE" check-config -c data/tillgate.conf.example --set switch.callback_base=http:// >"$OUT" 2>&1
RC=$?
status "check-config refuses a callback_base without a host" 1
has "naming the key and the character" "$OUT" "key 'callback_base' in section \\[switch\\]: 'http://' names no host \\(character 8\\)"
"$TILLGATE" serve --set gateway.data_dir="$D" --set gateway.listen=127.0.0.1:0 \
	--set switch.endpoint=http://127.0.0.1:1/ --set switch.callback_timeout_ms=9000 >"$OUT" 2>&1
RC=$?
status "callback_timeout_ms above answer_budget_ms stops the start" 1
has "naming both keys" "$OUT" 'callback_timeout_ms \(9000\) exceeds answer_budget_ms \(8000\)'
finish
