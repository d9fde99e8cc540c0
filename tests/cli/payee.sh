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
#  - bad headers and a destination we do not host: refused at once;
#  - POST /quotes: a quote for the till (transferAmount, fee, expiration,
#    ILP packet and condition), the same request again (the same answer
#    resent), the same id with another body (3106), over the merchant's
#    tier limit (5200 naming the limit), an unknown till (3204), another
#    currency (5106); no destination or a bad body refused at once;
#  - POST /transfers against those quotes: COMMITTED with a fulfilment
#    that matches the condition, kept, the merchant's SMS queued; the same
#    transfer again (the same answer), a modified one (3106), a wrong
#    condition (3100), an expired one (3303), an unknown packet (3205), a
#    second transfer for a paid quote (3100);
#  - the committed transfer is a payment received (channel "switch"): in
#    the owner's My business takings over POST /ussd and in
#    GET /v1/payments with the DFSP's payments key, once however often the
#    transfer is resent; it counts in the merchant's daily limit, so a
#    quote over it counting the payments received is refused with 5200.
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

api_start --set switch.endpoint="http://127.0.0.1:$RPORT" --set switch.callback_timeout_ms=3000 \
	--set switch.register_parties=false
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

# ---- POST /quotes ----
CTQ='application/vnd.interoperability.quotes+json;version=1.1'
ACQ='application/vnd.interoperability.quotes+json;version=1'
# quote BODY [DEST]: POST /quotes from payerbank; status in $CODE.
quote() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$U/quotes" -H "Accept: $ACQ" \
		-H "Content-Type: $CTQ" -H "Date: $DATE" -H "FSPIOP-Source: payerbank" \
		${2:+-H "FSPIOP-Destination: $2"} --data-binary "$1")
}
# qbody QUOTEID PAYEE_ID AMOUNT [CURRENCY]
qbody() {
	printf '{"quoteId":"%s","transactionId":"a8323bc6-c228-4df2-ae82-e5a997baf899",' "$1"
	printf '"payee":{"partyIdInfo":{"partyIdType":"ALIAS","partyIdentifier":"%s","fspId":"demo-dfsp"}},' "$2"
	printf '"payer":{"partyIdInfo":{"partyIdType":"MSISDN","partyIdentifier":"255712345678","fspId":"payerbank"}},'
	printf '"amountType":"SEND","amount":{"currency":"%s","amount":"%s"},' "${4:-TZS}" "$3"
	printf '"transactionType":{"scenario":"PAYMENT","initiator":"PAYER","initiatorType":"CONSUMER"}}'
}
body_of() { printf '%s' "$LINE" | sed 's/.*"body":"\(.*\)"}$/\1/'; }
Q1=b51ec534-ee48-4575-b6a9-ead2955b8069
quote "$(qbody $Q1 "$TILL" 5000)" demo-dfsp
same "POST /quotes for the till: 202" "$CODE" 202
callback 7 "/quotes/$Q1"
line_has "with transferAmount, payeeReceiveAmount and a zero payeeFspFee" \
	'\{\\"transferAmount\\":\{\\"currency\\":\\"TZS\\",\\"amount\\":\\"5000\\"\},\\"payeeReceiveAmount\\":\{\\"currency\\":\\"TZS\\",\\"amount\\":\\"5000\\"\},\\"payeeFspFee\\":\{\\"currency\\":\\"TZS\\",\\"amount\\":\\"0\\"\}'
line_has "an expiration, an ILP packet and a 43-character condition" \
	'\\"expiration\\":\\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z\\",\\"ilpPacket\\":\\"[A-Za-z0-9_-]+\\",\\"condition\\":\\"[A-Za-z0-9_-]{43}\\"'
line_has "from the merchant's DFSP to the payer's" '"source":"demo-dfsp","destination":"payerbank"'
FIRST=$(body_of)
same "the quote is kept: TZS 5,000 in minor units, its condition" \
	"$(sql "SELECT code, transfer_amount, length(condition) FROM payee_quote WHERE quote_id = '$Q1'")" "0|500000|43"
same "the DFSP's ILP secret is made once, 32 bytes" "$(sql "SELECT count(*), length(ilp_secret) FROM payee_dfsp WHERE dfsp = 'demo-dfsp'")" "1|32"
quote "$(qbody $Q1 "$TILL" 5000)" demo-dfsp
same "the same quote again: 202" "$CODE" 202
callback 8 "/quotes/$Q1"
same "... and the same answer is sent again" "$(body_of)" "$FIRST"
quote "$(qbody $Q1 "$TILL" 6000)" demo-dfsp
same "the same quoteId with another amount: 202" "$CODE" 202
callback 9 "/quotes/$Q1/error"
line_has "with 3106" '\\"errorCode\\":\\"3106\\"'
Q2=c6f0a5a2-3f4b-4d7e-9b1a-0d2f6a7c8e91
quote "$(qbody $Q2 "$TILL" 60000)" demo-dfsp
callback 10 "/quotes/$Q2/error"
line_has "TZS 60,000 to a T0 merchant: 5200 naming the limit" '\\"errorCode\\":\\"5200\\",\\"errorDescription\\":\\"Payee limit error: [^"]*50,000\.00'
Q3=d7a1b6b3-4a5c-4e8f-8c2b-1e3a7b8d9fa2
quote "$(qbody $Q3 999999999 5000)" demo-dfsp
callback 11 "/quotes/$Q3/error"
line_has "an unknown till: 3204" '\\"errorCode\\":\\"3204\\"'
Q4=e8b2c7c4-5b6d-4f90-9d3c-2f4b8c9e0ab3
quote "$(qbody $Q4 "$TILL" 5000 USD)" demo-dfsp
callback 12 "/quotes/$Q4/error"
line_has "USD: 5106" '\\"errorCode\\":\\"5106\\"'
quote "$(qbody f9c3d8d5-6c7e-4a01-8e4d-3a5c9d0f1bc4 "$TILL" 5000)"
same "no FSPIOP-Destination: 400" "$CODE" 400
has "with 3102" "$OUT" '"errorCode":"3102","errorDescription":"FSPIOP-Destination: missing"'
quote '{"quoteId":"nope"}' demo-dfsp
same "a bad quote body: 400" "$CODE" 400
has "with 3100 naming the field and position" "$OUT" '"errorCode":"3100","errorDescription":"\$\.quoteId: not a lowercase UUID \(position 11\)"'
Q5=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
quote "$(qbody $Q5 "$TILL" 100)" demo-dfsp
callback 13 "/quotes/$Q5"
same "nothing was sent for the refused quotes" "$(wc -l <"$RLOG")" 13

# ---- POST /transfers ----
CTT='application/vnd.interoperability.transfers+json;version=1.1'
ACT='application/vnd.interoperability.transfers+json;version=1'
# field NAME: a string field of the body of callback $LINE
field() { body_of | sed -n "s/.*\\\\\"$1\\\\\":\\\\\"\([^\\\\]*\)\\\\\".*/\1/p"; }
LINE=$(sed -n 13p "$RLOG"); P5=$(field ilpPacket); C5=$(field condition)
LINE=$(sed -n 7p "$RLOG"); P1=$(field ilpPacket); C1=$(field condition)
[ -n "$P5" ] && [ ${#C5} -eq 43 ] && [ -n "$P1" ] && [ ${#C1} -eq 43 ] && pass "packets and conditions of two quotes" || fail "packets" "$P5 $C5 $P1 $C1"
LATER=$(date -u -d '+10 minutes' '+%Y-%m-%dT%H:%M:%S.000Z')
# transfer BODY: POST /transfers from payerbank to demo-dfsp
transfer() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$U/transfers" -H "Accept: $ACT" \
		-H "Content-Type: $CTT" -H "Date: $DATE" -H "FSPIOP-Source: payerbank" \
		-H "FSPIOP-Destination: demo-dfsp" --data-binary "$1")
}
# tbody ID AMOUNT PACKET CONDITION EXPIRATION
tbody() {
	printf '{"transferId":"%s","payerFsp":"payerbank","payeeFsp":"demo-dfsp",' "$1"
	printf '"amount":{"currency":"TZS","amount":"%s"},"ilpPacket":"%s","condition":"%s","expiration":"%s"}' \
		"$2" "$3" "$4" "$5"
}
T1=11111111-2222-4333-8444-555555555555
transfer "$(tbody $T1 100 "$P5" "$C5" "$LATER")"
same "POST /transfers for the quote of TZS 100: 202" "$CODE" 202
callback 14 "/transfers/$T1"
line_has "COMMITTED with a fulfilment and a completedTimestamp" \
	'\{\\"fulfilment\\":\\"[A-Za-z0-9_-]{43}\\",\\"completedTimestamp\\":\\"[0-9T:.-]+Z\\",\\"transferState\\":\\"COMMITTED\\"\}'
F1=$(field fulfilment)
CHECKED=$(node -e 'const c=require("crypto");const f=Buffer.from(process.argv[1],"base64url");
	process.stdout.write(c.createHash("sha256").update(f).digest("base64url"))' -- "$F1")
same "base64url(SHA-256(fulfilment)) is the quote's condition" "$CHECKED" "$C5"
TFIRST=$(body_of)
same "the transfer is kept against its quote and merchant" \
	"$(sql "SELECT t.code, t.amount, q.quote_id = '$Q5', t.merchant_id = '$MID' FROM payee_transfer t JOIN payee_quote q ON q.quote_id = t.quote_id WHERE t.transfer_id = '$T1'")" "0|10000|1|1"
PAY1=$(sql "SELECT id FROM payment WHERE transfer_id = '$T1'")
same "the transfer is a payment received, COMMITTED" \
	"$(sql "SELECT channel, state, amount, payer_fsp, payer_party_type, payer_party_id, payer_dfsp IS NULL, merchant_id = '$MID' FROM payment WHERE id = '$PAY1'")" \
	"switch|COMMITTED|10000|payerbank|MSISDN|255712345678|1|1"
same "one SMS to the merchant" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$PAY1' AND dest LIKE '%255712582946' AND body LIKE 'Received TZS 100.00 from payerbank. Ref $PAY1'")" 1
same "... and no other" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received%'")" 1
transfer "$(tbody $T1 100 "$P5" "$C5" "$LATER")"
callback 15 "/transfers/$T1"
same "the same transfer again: the same answer" "$(body_of)" "$TFIRST"
same "... no second payment" "$(sql "SELECT count(*) FROM payment WHERE transfer_id = '$T1'")" 1
same "... and no second SMS" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received%'")" 1
transfer "$(tbody $T1 100 "$P5" "$C5" 2099-01-01T00:00:00.000Z)"
callback 16 "/transfers/$T1/error"
line_has "the same transferId with another body: 3106" '\\"errorCode\\":\\"3106\\"'
T2=22222222-2222-4333-8444-555555555555
transfer "$(tbody $T2 5000 "$P1" "$C5" "$LATER")"
callback 17 "/transfers/$T2/error"
line_has "a condition that is not the packet's: 3100" '\\"errorCode\\":\\"3100\\",\\"errorDescription\\":\\"condition: does not match the ilpPacket\\"'
T3=33333333-2222-4333-8444-555555555555
transfer "$(tbody $T3 5000 "$P1" "$C1" 2020-01-01T00:00:00.000Z)"
callback 18 "/transfers/$T3/error"
line_has "an expired transfer: 3303" '\\"errorCode\\":\\"3303\\"'
T4=44444444-2222-4333-8444-555555555555
transfer "$(tbody $T4 1 AQ4AAAAAAAAAAQNnLmEAAA "$C1" "$LATER")"
callback 19 "/transfers/$T4/error"
line_has "a packet no quote made: 3205" '\\"errorCode\\":\\"3205\\"'
T5=55555555-2222-4333-8444-555555555555
transfer "$(tbody $T5 100 "$P5" "$C5" "$LATER")"
callback 20 "/transfers/$T5/error"
line_has "a second transfer for a paid quote: 3100" '\\"errorCode\\":\\"3100\\",\\"errorDescription\\":\\"ilpPacket: its quote was paid by another transfer\\"'
same "no SMS for the refused transfers" "$(sql "SELECT count(*) FROM outbox WHERE ref IN ('$T2', '$T3', '$T4', '$T5')")" 0

# ---- the metrics count the callbacks as kind "callback" ----
req "$HUB" GET /metrics
has "every callback sent and answered" "$OUT" '^tillgate_switch_ok_total\{kind="callback"\} 20$'

# ---- the payment received counts for the merchant ----
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2 ($(tr '\n' '|' <"$OUT"))"; fi
}
dial m1 +255712582946; ans 1; ans 4817; ans 5
screen "My business: the payment received is in today's takings" '^END Today \(UTC\): 1 paid, TZS 100\. Queued, not paid yet: 0, TZS 0\.'
dial m2 +255712582946; ans 1; ans 4817; ans 6
screen "... and in the last payments, from payerbank" '^[0-9]{2}:[0-9]{2} 100 paid payerbank$'
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"payments","user":"a-app"}'
code "demo-dfsp's admin makes a payments key" 201
PA=$(jfield key)
req "$PA" GET "/v1/payments?merchant_id=$MID"
code "GET /v1/payments with demo-dfsp's key" 200
has "... lists the payment received" "$OUT" "\"id\":\"$PAY1\""
has "... from payerbank through the switch" "$OUT" '"channel":"switch"'
has "... with the payer FSP" "$OUT" '"payer_fsp":"payerbank"'
same "... once" "$(grep -o "\"id\":\"P" "$OUT" | wc -l)" 1

# T0's daily limit is TZS 300,000.00, TZS 50,000.00 a payment: after
# TZS 100 and five payments of 50,000 received, a quote of 50,000 is
# over the day counting them.
N=21
for i in 1 2 3 4 5; do
	Q=0a1b2c3d-4e5f-4a6b-8c7d-00000000000$i
	quote "$(qbody $Q "$TILL" 50000)" demo-dfsp
	callback $N "/quotes/$Q"; N=$((N + 1))
	P=$(field ilpPacket); C=$(field condition)
	T=66666666-2222-4333-8444-00000000000$i
	transfer "$(tbody $T 50000 "$P" "$C" "$LATER")"
	callback $N "/transfers/$T"; N=$((N + 1))
done
same "five more payments received" "$(sql "SELECT count(*), sum(amount) FROM payment WHERE channel = 'switch' AND state = 'COMMITTED'")" "6|25010000"
Q6=0a1b2c3d-4e5f-4a6b-8c7d-000000000006
quote "$(qbody $Q6 "$TILL" 50000)" demo-dfsp
callback $N "/quotes/$Q6/error"
line_has "a quote over the daily limit counting them: 5200" '\\"errorCode\\":\\"5200\\",\\"errorDescription\\":\\"Payee limit error: [^"]*300,000\.00'
quote "$(qbody 0a1b2c3d-4e5f-4a6b-8c7d-000000000007 "$TILL" 49000)" demo-dfsp
callback $((N + 1)) "/quotes/0a1b2c3d-4e5f-4a6b-8c7d-000000000007"
line_has "... one within it is quoted" "ilpPacket"
dial m3 +255712582946; ans 1; ans 4817; ans 5
screen "My business: six payments received" '^END Today \(UTC\): 6 paid, TZS 250,100\.'

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=
same "the daemon stops cleanly" "$RC" 0
finish
