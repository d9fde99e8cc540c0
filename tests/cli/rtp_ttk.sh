# rtp_ttk.sh -- request to pay to a customer of another DFSP, with the real
# daemon and the Mojaloop Testing Toolkit as the switch (tests/ttk/start.js
# on loopback), which validates every request the daemon sends against
# the FSPIOP API definition:
#  - a merchant of demo-dfsp asks +255754999888, no customer here, by
#    POST /v1/payment-requests: the daemon looks the number up (GET
#    /parties/MSISDN/..., answered by the Toolkit with fspId acqbank) and
#    sends POST /transactionRequests to acqbank; the Toolkit's rule
#    answers PUT /transactionRequests/{ID} RECEIVED and the request is SENT;
#  - the test then plays acqbank: POST /quotes to the daemon carrying the
#    transactionRequestId (linked to the request), and POST /transfers with
#    the quote's packet and condition: the transfer commits, the payment
#    received is recorded, and the request is PAID by it;
#  - a request of TZS 13 is REJECTED by the Toolkit's rule: REFUSED, with
#    the merchant's SMS; a quote naming the request from another FSP is not
#    linked to it.
# docs/payments.md, "Request to pay".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
TTK_PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; [ -n "$TTK_PID" ] && kill "$TTK_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
if [ ! -d tests/ttk/node_modules/ml-testing-toolkit ]; then
	fail "the Toolkit is installed" "tests/ttk/node_modules (tests/deps.sh)"
	finish
fi
set -- $(free_ports 3)
API=$1 TTK_ADM=$2 CB=$3

TTK_API_PORT=$API TTK_ADMIN_PORT=$TTK_ADM TTK_CALLBACK_URL=http://127.0.0.1:$CB \
	TTK_RUN_DIR=$T_DIR/ttk TTK_TIMEOUT_S=120 node tests/ttk/start.js >"$T_DIR/ttk.log" 2>&1 &
TTK_PID=$!
ready=
for _ in $(seq 600); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/" 2>/dev/null)
	if [ -n "$c" ] && [ "$c" != 000 ]; then ready=1; break; fi
	kill -0 "$TTK_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$ready" ]; then pass "the Toolkit answers"; else fail "the Toolkit answers" "$(tail -20 "$T_DIR/ttk.log")"; finish; fi

api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8 \
	--set switch.endpoint="http://127.0.0.1:$API" --set switch.callback_base="http://127.0.0.1:$CB" \
	--set switch.callback_timeout_ms=5000 --set "gateway.log_level=info switch=debug"
DB=$D/tillgate.db
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
# wait_state ID STATE: polls the request's state (the callbacks come from
# the Toolkit when they come).
wait_state() {
	for _ in $(seq 150); do [ "$(sql "SELECT state FROM payment_request WHERE id = '$1'")" = "$2" ] && break; sleep 0.1; done
	same "the request $1 is $2" "$(sql "SELECT state FROM payment_request WHERE id = '$1'")" "$2"
}

# ---- a merchant of demo-dfsp ----
TXT=
for a in "" 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do
	[ -z "$a" ] || TXT="${TXT:+$TXT*}$a"
	curl -s -o "$OUT" -X POST "$U/ussd" --data-urlencode sessionId=r1 --data-urlencode 'serviceCode=*384#' \
		--data-urlencode phoneNumber=+255712582946 --data-urlencode "text=$TXT"
done
has "the merchant registers by USSD" "$OUT" '^END MAMA JUMA SHOP is registered'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
MID=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL'")
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"payments","user":"pos-1"}'
POS=$(jfield key)

# ---- the request goes through the switch ----
req "$POS" POST /v1/payment-requests "{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"+255754999888\",\"amount\":500000}" \
	-H 'Idempotency-Key: remote-1'
code "a request to a number of another DFSP" 202
R1=$(jfield id)
has "... PENDING while the switch is asked" "$OUT" '"state":"PENDING"'
has "... with a transactionRequestId" "$OUT" '"transaction_request_id":"[0-9a-f-]{36}"'
has "... and no payer DFSP here" "$OUT" '"payer_dfsp":null'
TXR=$(jfield transaction_request_id)
wait_state "$R1" SENT
same "the payer's FSP is the one the lookup found" "$(sql "SELECT payer_fsp FROM payment_request WHERE id = '$R1'")" acqbank
has "the daemon looked the payer up by MSISDN" "$LOG" 'msg="request sent" kind=lookup id=MSISDN/255754999888'
hasnt "the Toolkit refused nothing the daemon sent" "$LOG" 'status=error|status=invalid'
has "the Toolkit answered RECEIVED" "$LOG" "msg=\"transaction request answered\" request=$R1 state=0"

# ---- the payer's DFSP (the test, as acqbank) quotes and transfers ----
DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
fsp() { # fsp RESOURCE PATH BODY [SOURCE]
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$U$2" \
		-H "Accept: application/vnd.interoperability.$1+json;version=1" \
		-H "Content-Type: application/vnd.interoperability.$1+json;version=1.1" -H "Date: $DATE" \
		-H "FSPIOP-Source: ${4:-acqbank}" -H "FSPIOP-Destination: demo-dfsp" --data-binary "$3")
}
qbody() { # qbody QUOTEID AMOUNT TXR
	printf '{"quoteId":"%s","transactionId":"a8323bc6-c228-4df2-ae82-e5a997baf899","transactionRequestId":"%s",' "$1" "$3"
	printf '"payee":{"partyIdInfo":{"partyIdType":"ALIAS","partyIdentifier":"%s","fspId":"demo-dfsp"}},' "$TILL"
	printf '"payer":{"partyIdInfo":{"partyIdType":"MSISDN","partyIdentifier":"255754999888","fspId":"acqbank"}},'
	printf '"amountType":"RECEIVE","amount":{"currency":"TZS","amount":"%s"},' "$2"
	printf '"transactionType":{"scenario":"PAYMENT","initiator":"PAYEE","initiatorType":"BUSINESS"}}'
}
QX=0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5
fsp quotes /quotes "$(qbody $QX 5000 "$TXR")" otherbank
same "a quote naming the request from another FSP: 202" "$CODE" 202
Q1=b51ec534-ee48-4575-b6a9-ead2955b8069
fsp quotes /quotes "$(qbody $Q1 5000 "$TXR")"
same "acqbank's quote for the request: 202" "$CODE" 202
same "the request keeps acqbank's quote, not the other FSP's" \
	"$(sql "SELECT quote_id FROM payment_request WHERE id = '$R1'")" "$Q1"
same "audited: create, prompt-less sent, quote" \
	"$(sql "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit WHERE entity = 'payment_request' AND entity_id = '$R1' ORDER BY id)")" \
	"create sent quote"
PACKET=$(sql "SELECT ilp_packet FROM payee_quote WHERE quote_id = '$Q1'")
COND=$(sql "SELECT condition FROM payee_quote WHERE quote_id = '$Q1'")
[ -n "$PACKET" ] && [ ${#COND} -eq 43 ] && pass "the quote's packet and condition" || fail "the quote's packet and condition" "$PACKET $COND"
LATER=$(date -u -d '+10 minutes' '+%Y-%m-%dT%H:%M:%S.000Z')
T1=11111111-2222-4333-8444-555555555555
fsp transfers /transfers "$(printf '{"transferId":"%s","payerFsp":"acqbank","payeeFsp":"demo-dfsp","amount":{"currency":"TZS","amount":"5000"},"ilpPacket":"%s","condition":"%s","expiration":"%s"}' "$T1" "$PACKET" "$COND" "$LATER")"
same "acqbank's transfer: 202" "$CODE" 202
wait_state "$R1" PAID
PAYID=$(sql "SELECT payment_id FROM payment_request WHERE id = '$R1'")
same "the request is paid by the payment received" \
	"$(sql "SELECT channel || ' ' || state || ' ' || amount || ' ' || payer_fsp || ' ' || transfer_id FROM payment WHERE id = '$PAYID'")" \
	"switch COMMITTED 500000 acqbank $T1"
req "$POS" GET "/v1/payment-requests/$R1"
has "GET shows it PAID" "$OUT" '"state":"PAID"'
has "... with its payment" "$OUT" "\"payment_id\":\"$PAYID\""
has "... and the quote" "$OUT" "\"quote_id\":\"$Q1\""
same "the merchant's SMS of the payment received" \
	"$(sql "SELECT count(*) FROM outbox WHERE ref = '$PAYID' AND dest LIKE '%255712582946'")" 1

# ---- a request the payer's DFSP rejects ----
req "$POS" POST /v1/payment-requests "{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"255754999888\",\"amount\":1300}" \
	-H 'Idempotency-Key: remote-2'
code "a request of TZS 13" 202
R2=$(jfield id)
wait_state "$R2" REFUSED
same "... code rejected, no payment" "$(sql "SELECT fail_code || ' ' || (payment_id IS NULL) FROM payment_request WHERE id = '$R2'")" "rejected 1"
same "the merchant is told by SMS" \
	"$(sql "SELECT count(*) FROM outbox WHERE ref = '$R2' AND body LIKE '%refused by the customer%'")" 1
has "the Toolkit took both transaction requests (202, valid callbacks)" "$LOG" \
	"msg=\"request done\" kind=transaction_request id=$TXR status=ok http=202"
TXR2=$(sql "SELECT transaction_request_id FROM payment_request WHERE id = '$R2'")
has "... the rejected one too" "$LOG" "msg=\"request done\" kind=transaction_request id=$TXR2 status=ok http=202"

kill "$PID"; wait "$PID"; RC=$?; PID=
same "the daemon stops cleanly" "$RC" 0
finish
