# payee.sh -- black-box test of the payee side of FSPIOP (gateway/payee.h,
# docs/switch.md "Payee side"): the test plays the switch. It sends
# GET /parties with curl to the daemon, whose [switch] endpoint is a tiny
# callback receiver on 127.0.0.1 (payee_switch.js, which exits by
# itself), and checks the callbacks the daemon sends back:
#  - a known till (merchant_party_type ALIAS) and the merchant id
#    (BUSINESS): 202, then PUT /parties/... with fspId, name and MCC and
#    the exact callback headers (no Accept);
#  - an unknown till, a suspended till, an unsupported type: 202, then
#    PUT /parties/.../error with 3204;
#  - bad headers and a destination we do not host: refused at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
command -v sqlite3 >/dev/null || { echo "not ok 1 - sqlite3 is needed"; exit 1; }

RPORT_FILE=$T_DIR/switch.port
RLOG=$T_DIR/switch.log
: >"$RLOG"
node "$(dirname "$0")/payee_switch.js" "$RPORT_FILE" "$RLOG" &
RPID=$!
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; kill "$RPID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 200); do [ -s "$RPORT_FILE" ] && break; sleep 0.05; done
RPORT=$(cat "$RPORT_FILE" 2>/dev/null)
[ -n "$RPORT" ] && pass "the switch's callback receiver listens on $RPORT" || { fail "callback receiver" "no port"; finish; }

api_start --set switch.endpoint="http://127.0.0.1:$RPORT" --set switch.callback_timeout_ms=3000
DB=$D/tillgate.db
sql() { sqlite3 "$DB" "$1"; }

# ---- two merchants registered by USSD (APPROVED at T0) ----
dial() { SID=$1 PHONE=$2 TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=*384#" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
register() { # SID PHONE NAME
	dial "$1" "$2"
	for a in 1 "$3" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
	grep -q "^END $3 is registered" "$OUT" && pass "$3 registers by USSD" || fail "$3 registers" "$(cat "$OUT")"
	NEW_TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
}
register r1 +255712582946 "MAMA JUMA SHOP"; TILL=$NEW_TILL
register r2 +255712582947 "BABA TOTO KIOSK"; TILL2=$NEW_TILL
MID=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL'")
MCC=$(sql "SELECT mcc FROM merchant WHERE merchant_id = '$MID'")
MID2=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL2'")
[ -n "$MID" ] && [ -n "$MID2" ] && [ -n "$MCC" ] && pass "tills $TILL and $TILL2, MCC $MCC" || fail "tills" "none"
req "$ADMIN" POST "/v1/merchants/$MID2/tills/$TILL2/suspend" '{"reason":"broken printer"}'
code "demo-dfsp suspends the second till" 200

DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
CT='application/vnd.interoperability.parties+json;version=1.1'
AC='application/vnd.interoperability.parties+json;version=1'
# get PATH [SOURCE [DEST [CT]]]: GET as the switch would; status in $CODE.
get() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$U$1" -H "Accept: $AC" \
		-H "Content-Type: ${4:-$CT}" -H "Date: $DATE" \
		${2:+-H "FSPIOP-Source: $2"} ${3:+-H "FSPIOP-Destination: $3"})
}
# callback N PATH: waits for the receiver's line N (1-based) and checks its path.
callback() {
	for _ in $(seq 100); do [ "$(wc -l <"$RLOG")" -ge "$1" ] && break; sleep 0.05; done
	LINE=$(sed -n "${1}p" "$RLOG")
	case $LINE in
	*"\"method\":\"PUT\",\"path\":\"$2\""*) pass "callback $1: PUT $2" ;;
	*) fail "callback $1: PUT $2" "got: ${LINE:-nothing}" ;;
	esac
}
line_has() {
	if printf '%s' "$LINE" | grep -Eq -- "$2"; then pass "$1"; else fail "$1" "no match for $2 in $LINE"; fi
}

# ---- a known till ----
get "/parties/ALIAS/$TILL" payerbank
same "GET /parties/ALIAS/till: 202 at once" "$CODE" 202
callback 1 "/parties/ALIAS/$TILL"
line_has "with the party: fspId, trading name, MCC" \
	"\"body\":\"\\{\\\\\"party\\\\\":\\{\\\\\"partyIdInfo\\\\\":\\{\\\\\"partyIdType\\\\\":\\\\\"ALIAS\\\\\",\\\\\"partyIdentifier\\\\\":\\\\\"$TILL\\\\\",\\\\\"fspId\\\\\":\\\\\"demo-dfsp\\\\\"\\},\\\\\"merchantClassificationCode\\\\\":\\\\\"$MCC\\\\\",\\\\\"name\\\\\":\\\\\"MAMA JUMA SHOP\\\\\"\\}\\}\""
line_has "FSPIOP-Source the merchant's DFSP, FSPIOP-Destination the requester" \
	'"source":"demo-dfsp","destination":"payerbank"'
line_has "Content-Type of a v1.1 callback, no Accept" \
	'"accept":null,"contentType":"application/vnd.interoperability.parties\+json;version=1.1"'
line_has "an IMF-fixdate Date" '"date":"[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT"'

# ---- the merchant id as BUSINESS, with our DFSP as destination ----
get "/parties/BUSINESS/$MID" payerbank demo-dfsp
same "GET /parties/BUSINESS/merchant id: 202" "$CODE" 202
callback 2 "/parties/BUSINESS/$MID"
line_has "the same party" "MAMA JUMA SHOP"

# ---- unknown, suspended, unsupported type ----
get "/parties/ALIAS/999999999" payerbank
same "an unknown till: 202 all the same" "$CODE" 202
callback 3 "/parties/ALIAS/999999999/error"
line_has "with 3204 Party not found" '\{\\"errorInformation\\":\{\\"errorCode\\":\\"3204\\",\\"errorDescription\\":\\"Party not found\\"\}\}'
line_has "... from one of our DFSPs to the requester" '"source":"demo-dfsp","destination":"payerbank"'
get "/parties/ALIAS/$TILL2" payerbank
same "a suspended till: 202" "$CODE" 202
callback 4 "/parties/ALIAS/$TILL2/error"
line_has "with 3204" '\\"errorCode\\":\\"3204\\"'
get "/parties/MSISDN/255712582946" payerbank
same "an MSISDN (not how merchants are found): 202" "$CODE" 202
callback 5 "/parties/MSISDN/255712582946/error"
line_has "with 3204" '\\"errorCode\\":\\"3204\\"'

# ---- refused at once: nothing sent ----
get "/parties/ALIAS/$TILL" ""
same "no FSPIOP-Source: 400" "$CODE" 400
has "with 3102" "$OUT" '"errorCode":"3102","errorDescription":"FSPIOP-Source: missing"'
get "/parties/ALIAS/$TILL" payerbank otherbank
same "a destination we do not host: 400" "$CODE" 400
has "with 3201" "$OUT" '"errorCode":"3201"'
get "/parties/ALIAS/$TILL" payerbank "" 'application/vnd.interoperability.parties+json;version=2.0'
same "version 2.0: 406" "$CODE" 406
has "with 3001" "$OUT" '"errorCode":"3001"'
get "/parties/SHOP/$TILL" payerbank
same "a Type that is no PartyIdType: 400" "$CODE" 400
has "with 3101" "$OUT" '"errorCode":"3101","errorDescription":"Type: not a PartyIdType'
# the next callback is that of the next accepted request: none was sent
# for the refused ones
get "/parties/ALIAS/888888888" payerbank
same "an accepted request after them: 202" "$CODE" 202
callback 6 "/parties/ALIAS/888888888/error"
same "no callback for the refused requests" "$(wc -l <"$RLOG")" 6

# ---- the metrics count the callbacks as kind "callback" ----
req "$HUB" GET /metrics
has "six callbacks sent and answered" "$OUT" '^tillgate_switch_ok_total\{kind="callback"\} 6$'

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=
same "the daemon stops cleanly" "$RC" 0
finish
