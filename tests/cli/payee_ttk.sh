# payee_ttk.sh -- the payee side's callbacks validated by the Mojaloop
# Testing Toolkit, and a payment between two DFSPs hosted by one daemon
# routed through it (docs/switch.md, "Tests"). The Toolkit runs in
# hub-forwarding mode (tests/ttk/start.js with TTK_HUB_DFSPS): it
# validates every request and callback against the FSPIOP v1.1 API
# definition, answers one it rejects with 400, and forwards the valid
# ones to the DFSP named by FSPIOP-Destination, here the daemon for both
# demo-dfsp and bank-b.
#  - the test plays a third DFSP, payerbank, and sends GET /parties,
#    POST /quotes and POST /transfers to the daemon: every callback the
#    payee side sends back (PUT /parties, /quotes, /transfers and their
#    /error forms) goes to the Toolkit, which takes each (2xx): the
#    daemon counts every callback delivered and logs none "not delivered";
#  - a customer of bank-b pays demo-dfsp's merchant by API: lookup, quote
#    and transfer go from the daemon's payer side through the Toolkit to
#    its payee side and back; the payment COMMITs at bank-b with a
#    fulfilment that matches the condition demo-dfsp's payee side made,
#    and demo-dfsp records the payment received;
#  - the merchant's registrations (POST /participants) pass the
#    Toolkit's validation (202).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
TTK_PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$TTK_PID" ] && kill "$TTK_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
if [ ! -d tests/ttk/node_modules/ml-testing-toolkit ]; then
	fail "the Toolkit is installed" "tests/ttk/node_modules (tests/deps.sh)"
	finish
fi

set -- $(free_ports 3)
API=$1 TTK_ADM=$2 CB=$3

TTK_API_PORT=$API TTK_ADMIN_PORT=$TTK_ADM TTK_CALLBACK_URL=http://127.0.0.1:$CB \
	TTK_HUB_DFSPS=demo-dfsp,bank-b TTK_RUN_DIR=$T_DIR/ttk TTK_TIMEOUT_S=150 \
	node tests/ttk/start.js >"$T_DIR/ttk.log" 2>&1 &
TTK_PID=$!
ready=
for _ in $(seq 600); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/" 2>/dev/null)
	if [ -n "$c" ] && [ "$c" != 000 ]; then ready=1; break; fi
	kill -0 "$TTK_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$ready" ]; then pass "the Toolkit answers, in hub-forwarding mode"; else fail "the Toolkit answers" "$(tail -20 "$T_DIR/ttk.log")"; finish; fi

api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 \
	--set ussd.pin_memlimit_kib=8 \
	--set switch.endpoint="http://127.0.0.1:$API" \
	--set switch.callback_base="http://127.0.0.1:$CB" \
	--set switch.callback_timeout_ms=4000 --set switch.register_parties=true \
	--set gateway.log_level="info switch=debug"
DB=$D/tillgate.db
OWNER=+255712582946
sql() { sqlite3 "$DB" "$1"; }
dial() { SID=$1 PHONE=$2 SVC=${3:-*384#} TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=$SVC" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2 ($(tr '\n' '|' <"$OUT"))"; fi
}
metric() { curl -s -H "Authorization: Bearer $HUB" "$U/metrics" | sed -n "s/^$1 //p"; }

# ---- a merchant of demo-dfsp (by USSD: APPROVED at once) ----
dial r1 "$OWNER"
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
screen "the merchant registers by USSD" '^END MAMA JUMA SHOP is registered'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
MID=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL'")
[ -n "$TILL" ] && [ -n "$MID" ] && pass "till $TILL of merchant $MID" || fail "till" "none"

# ---- the payee side's callbacks, requests from payerbank ----
DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
# The Toolkit does validate a PUT: one without its condition is refused.
c=$(curl -s -o "$OUT" -w '%{http_code}' -X PUT "http://127.0.0.1:$API/quotes/b51ec534-ee48-4575-b6a9-ead2955b8069" \
	-H 'Content-Type: application/vnd.interoperability.quotes+json;version=1.1' -H "Date: $DATE" \
	-H 'FSPIOP-Source: demo-dfsp' -H 'FSPIOP-Destination: payerbank' \
	--data-binary '{"transferAmount":{"currency":"TZS","amount":"100"},"expiration":"2030-01-01T00:00:00.000Z","ilpPacket":"AYIB"}')
same "the Toolkit refuses a PUT /quotes without its condition" "$c" 400
# fspiop RES METHOD PATH [BODY]: a request of resource RES from payerbank
# to demo-dfsp, as the switch would pass it on; status in $CODE.
fspiop() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X "$2" "$U$3" \
		-H "Accept: application/vnd.interoperability.$1+json;version=1" \
		-H "Content-Type: application/vnd.interoperability.$1+json;version=1.1" \
		-H "Date: $DATE" -H "FSPIOP-Source: payerbank" -H "FSPIOP-Destination: demo-dfsp" \
		${4:+--data-binary "$4"})
}
qbody() { # QUOTEID AMOUNT CURRENCY
	printf '{"quoteId":"%s","transactionId":"a8323bc6-c228-4df2-ae82-e5a997baf899",' "$1"
	printf '"payee":{"partyIdInfo":{"partyIdType":"ALIAS","partyIdentifier":"%s","fspId":"demo-dfsp"}},' "$TILL"
	printf '"payer":{"partyIdInfo":{"partyIdType":"MSISDN","partyIdentifier":"255712345678","fspId":"payerbank"}},'
	printf '"amountType":"SEND","amount":{"currency":"%s","amount":"%s"},' "$3" "$2"
	printf '"transactionType":{"scenario":"PAYMENT","initiator":"PAYER","initiatorType":"CONSUMER"}}'
}
tbody() { # ID AMOUNT PACKET CONDITION
	printf '{"transferId":"%s","payerFsp":"payerbank","payeeFsp":"demo-dfsp",' "$1"
	printf '"amount":{"currency":"TZS","amount":"%s"},"ilpPacket":"%s","condition":"%s","expiration":"%s"}' \
		"$2" "$3" "$4" "$(date -u -d '+10 minutes' '+%Y-%m-%dT%H:%M:%S.000Z')"
}
# callbacks N: waits until the connector has N callbacks of ours answered.
SENT=0
callbacks() {
	for _ in $(seq 100); do
		[ "$(grep -c 'msg="request done" kind=callback ' "$LOG")" -ge "$1" ] && break
		sleep 0.1
	done
	same "$2" "$(grep 'msg="request done" kind=callback ' "$LOG" | tail -n 1 | sed -n 's/.* id=\([^ ]*\) status=\([a-z]*\) http=\([0-9]*\).*/\1 \2 \3/p')" "$3"
}
fspiop parties GET "/parties/ALIAS/$TILL"
same "GET /parties for the till: 202" "$CODE" 202
callbacks 1 "PUT /parties taken by the Toolkit" "/parties/ALIAS/$TILL ok 200"
fspiop parties GET /parties/ALIAS/999999999
callbacks 2 "PUT /parties/.../error (3204) taken" "/parties/ALIAS/999999999/error ok 200"
Q1=b51ec534-ee48-4575-b6a9-ead2955b8069
fspiop quotes POST /quotes "$(qbody $Q1 100 TZS)"
same "POST /quotes: 202" "$CODE" 202
callbacks 3 "PUT /quotes taken" "/quotes/$Q1 ok 200"
Q2=c6f0a5a2-3f4b-4d7e-9b1a-0d2f6a7c8e91
fspiop quotes POST /quotes "$(qbody $Q2 100 USD)"
callbacks 4 "PUT /quotes/.../error (5106) taken" "/quotes/$Q2/error ok 200"
P1=$(sql "SELECT ilp_packet FROM payee_quote WHERE quote_id = '$Q1'")
C1=$(sql "SELECT condition FROM payee_quote WHERE quote_id = '$Q1'")
T1=11111111-2222-4333-8444-555555555555
fspiop transfers POST /transfers "$(tbody $T1 100 "$P1" "$C1")"
same "POST /transfers: 202" "$CODE" 202
callbacks 5 "PUT /transfers (COMMITTED, with the fulfilment) taken" "/transfers/$T1 ok 200"
T2=22222222-2222-4333-8444-555555555555
fspiop transfers POST /transfers "$(tbody $T2 100 "$P1" GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM)"
callbacks 6 "PUT /transfers/.../error (a wrong condition) taken" "/transfers/$T2/error ok 200"
same "the Toolkit refused none of them: all six delivered" \
	"$(metric 'tillgate_switch_ok_total{kind="callback"}') $(metric 'tillgate_switch_errors_total{kind="callback"}') $(metric 'tillgate_switch_invalid_total{kind="callback"}') $(metric 'tillgate_switch_down_total{kind="callback"}')" \
	"6 0 0 0"
hasnt "the daemon logged no callback not delivered" "$LOG" 'payee callback not (delivered|sent)'

# ---- customers of bank-b ----
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
code "the hub-admin makes bank-b" 201
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"b-admin"}'
BADMIN=$(jfield key)
req "$BADMIN" POST /v1/dfsps/bank-b/api-keys '{"role":"payments","user":"b-app"}'
code "bank-b gets a payments key" 201
PB=$(jfield key)
c=255700000011
req "$BADMIN" POST /v1/customers "{\"msisdn\":\"+$c\",\"name\":\"Customer $c\",\"account_ref\":\"ACC-$c\",\"tier\":\"C2\"}"
code "bank-b enrols $c" 201
CODE8=$(jfield activation_code)
dial "a$c" "+$c"; ans 1; ans "$CODE8"; ans 5927; ans 5927
screen "... who activates by USSD" '^END Your account is active'

# ---- bank-b's customer pays demo-dfsp's merchant through the Toolkit ----
req "$PB" POST /v1/payments "{\"payer_msisdn\":\"$c\",\"till\":\"$TILL\",\"amount\":4321}" -H 'Idempotency-Key: hub-1'
code "a payment by API: 202, on its way" 202
PID_=$(jfield id)
st=
for _ in $(seq 150); do
	st=$(sql "SELECT state FROM payment WHERE id = '$PID_'")
	case $st in COMMITTED | FAILED | EXPIRED) break ;; esac
	sleep 0.1
done
same "COMMITTED at bank-b" "$st" COMMITTED
XFER=$(sql "SELECT transfer_id FROM payment WHERE id = '$PID_'")
same "its transfer went through the Toolkit to demo-dfsp's payee side, which committed it" \
	"$(sql "SELECT code, amount, merchant_id, payer_fsp FROM payee_transfer WHERE transfer_id = '$XFER'")" \
	"0|4321|$MID|bank-b"
same "the condition bank-b recorded is the one demo-dfsp's payee side made for the quote" \
	"$(sql "SELECT count(*) FROM payment_transfer t JOIN payee_quote q ON q.condition = t.condition WHERE t.transfer_id = '$XFER' AND q.dfsp = 'demo-dfsp' AND q.payer_fsp = 'bank-b'")" 1
has "the payer side checked the fulfilment against it" "$LOG" \
	"msg=\"request done\" kind=transfer id=$XFER status=ok http=202"
same "demo-dfsp recorded the payment received (channel switch)" \
	"$(sql "SELECT state, amount, payer_fsp, till_number IS NULL OR till_number = '$TILL' FROM payment WHERE channel = 'switch' AND transfer_id = '$XFER'")" \
	"COMMITTED|4321|bank-b|1"
has "the lookup came back through the Toolkit from demo-dfsp's payee side" "$LOG" \
	"msg=\"request done\" kind=lookup id=ALIAS/$TILL status=ok http=202"
has "... and the quote" "$LOG" "msg=\"request done\" kind=quote id=[0-9a-f-]* status=ok http=202"
same "the Toolkit refused no callback of the payee side" \
	"$(metric 'tillgate_switch_errors_total{kind="callback"}') $(metric 'tillgate_switch_invalid_total{kind="callback"}')" "0 0"
hasnt "... none logged not delivered" "$LOG" 'payee callback not (delivered|sent)'

# ---- registrations validated ----
# Each is logged once its HTTP answer and the callback wait are over (no
# callback comes in hub mode: after callback_timeout_ms).
for _ in $(seq 200); do
	[ "$(grep -c 'msg="request done" kind=participant .* http=202' "$LOG")" -ge 2 ] && break
	sleep 0.1
done
has "POST /participants/ALIAS/till passed the Toolkit's validation (202)" "$LOG" \
	"msg=\"request done\" kind=participant id=ALIAS/$TILL status=[a-z]* http=202"
has "POST /participants/BUSINESS/merchant id too" "$LOG" \
	"msg=\"request done\" kind=participant id=BUSINESS/$MID status=[a-z]* http=202"
finish
