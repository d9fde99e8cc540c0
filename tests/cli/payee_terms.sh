# payee_terms.sh -- black-box test of the payee side's terms and of
# transfers settled later (gateway/payee.h, docs/switch.md "Payee side"):
# the test plays the switch with curl; the daemon's callbacks go to
# payee_switch.js on 127.0.0.1, which records them.
#  - limits checked again at the transfer: two quotes each within the
#    merchant's daily limit, the first transfer COMMITTED, the second over
#    the limit counting the first: 5200, no payment;
#  - `tillgate dfsp payee` sets the DFSP's fee (flat + basis points, a
#    minimum and a maximum): the quotes' payeeFspFee, transferAmount and
#    payeeReceiveAmount for SEND and RECEIVE, the ILP packet's amount,
#    the fee kept with the quote; bad options refused;
#  - commit notification on: a transfer answered RESERVED (no payment, no
#    SMS), PATCH /transfers/{ID} COMMITTED records it (one SMS, no
#    callback), again changes nothing; another PATCH ABORTED releases it;
#    a PATCH for an unknown transfer (3208), one not RESERVED, a bad body
#    or state or id (each named) refused; a resent POST after the commit
#    is answered COMMITTED; reserved transfers count in the merchant's
#    limits (a quote over them refused) until aborted.
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

# The receiver records every request: no account-lookup registrations
# (docs/switch.md "Registration") among the callbacks checked here.
api_start --set switch.endpoint="http://127.0.0.1:$RPORT" --set switch.callback_timeout_ms=3000 \
	--set switch.register_parties=false
DB=$D/tillgate.db
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

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
MID2=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL2'")
[ -n "$MID" ] && [ -n "$MID2" ] && pass "tills $TILL and $TILL2" || fail "tills" "none"

DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
LATER=$(date -u -d '+10 minutes' '+%Y-%m-%dT%H:%M:%S.000Z')
CTQ='application/vnd.interoperability.quotes+json;version=1.1'
ACQ='application/vnd.interoperability.quotes+json;version=1'
CTT='application/vnd.interoperability.transfers+json;version=1.1'
ACT='application/vnd.interoperability.transfers+json;version=1'
N=0	# callbacks received so far
# cb PATH: waits for the next callback and checks its path.
cb() {
	N=$((N + 1))
	for _ in $(seq 100); do [ "$(wc -l <"$RLOG")" -ge "$N" ] && break; sleep 0.05; done
	_got=$(js "r.method + ' ' + r.path")
	same "callback $N: PUT $1" "$_got" "PUT $1"
}
# js EXPR: EXPR (JavaScript) on the last callback: r its record, b its body.
js() {
	node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[process.argv[2] - 1];
		if (!l) { process.stdout.write("none"); process.exit(0); }
		const r = JSON.parse(l); const b = r.body ? JSON.parse(r.body) : null;
		const ilpAmount = (p) => { const x = Buffer.from(p, "base64url"); let k = 1;
			k += x[k] < 128 ? 1 : 1 + (x[k] & 0x7f); return x.readBigUInt64BE(k).toString(); };
		process.stdout.write(String(eval(process.argv[3])))' "$RLOG" "$N" "$1"
}
# quote ID PAYEE_TILL AMOUNT [AMOUNT_TYPE]
quote() {
	_b=$(printf '{"quoteId":"%s","transactionId":"a8323bc6-c228-4df2-ae82-e5a997baf899",' "$1"
	printf '"payee":{"partyIdInfo":{"partyIdType":"ALIAS","partyIdentifier":"%s","fspId":"demo-dfsp"}},' "$2"
	printf '"payer":{"partyIdInfo":{"partyIdType":"MSISDN","partyIdentifier":"255712345678","fspId":"payerbank"}},'
	printf '"amountType":"%s","amount":{"currency":"TZS","amount":"%s"},' "${4:-SEND}" "$3"
	printf '"transactionType":{"scenario":"PAYMENT","initiator":"PAYER","initiatorType":"CONSUMER"}}')
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$U/quotes" -H "Accept: $ACQ" \
		-H "Content-Type: $CTQ" -H "Date: $DATE" -H "FSPIOP-Source: payerbank" \
		-H "FSPIOP-Destination: demo-dfsp" --data-binary "$_b")
}
# transfer ID: POST /transfers for the quote of the last callback
transfer() {
	_p=$(js b.ilpPacket); _c=$(js b.condition); _a=$(js b.transferAmount.amount)
	TBODY=$(printf '{"transferId":"%s","payerFsp":"payerbank","payeeFsp":"demo-dfsp","amount":{"currency":"TZS","amount":"%s"},"ilpPacket":"%s","condition":"%s","expiration":"%s"}' \
		"$1" "$_a" "$_p" "$_c" "$LATER")
	COND=$_c
	resend
}
resend() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$U/transfers" -H "Accept: $ACT" \
		-H "Content-Type: $CTT" -H "Date: $DATE" -H "FSPIOP-Source: payerbank" \
		-H "FSPIOP-Destination: demo-dfsp" --data-binary "$TBODY")
}
# pay QID TID TILL AMOUNT: a quote and its transfer, both answered
pay() {
	quote "$1" "$3" "$4"; cb "/quotes/$1"
	transfer "$2"; cb "/transfers/$2"
}

# ---- limits again at the transfer ----
# T0: TZS 50,000.00 a payment, 300,000.00 a day. 210,000 received first.
pay 10000000-0000-4000-8000-000000000001 20000000-0000-4000-8000-000000000001 "$TILL" 50000
pay 10000000-0000-4000-8000-000000000002 20000000-0000-4000-8000-000000000002 "$TILL" 50000
pay 10000000-0000-4000-8000-000000000003 20000000-0000-4000-8000-000000000003 "$TILL" 50000
pay 10000000-0000-4000-8000-000000000004 20000000-0000-4000-8000-000000000004 "$TILL" 50000
pay 10000000-0000-4000-8000-000000000005 20000000-0000-4000-8000-000000000005 "$TILL" 10000
same "TZS 210,000 received today" "$(sql "SELECT count(*), sum(amount) FROM payment WHERE merchant_id = '$MID' AND state = 'COMMITTED'")" "5|21000000"
QA=10000000-0000-4000-8000-00000000000a; QB=10000000-0000-4000-8000-00000000000b
quote $QA "$TILL" 50000; cb "/quotes/$QA"; PA=$(js b.ilpPacket); CA=$(js b.condition)
quote $QB "$TILL" 50000; cb "/quotes/$QB"
same "two quotes of 50,000, each within the day's limit" "$(js 'b.transferAmount.amount')" 50000
TB=20000000-0000-4000-8000-00000000000b
TA=20000000-0000-4000-8000-00000000000a
transfer $TB
cb "/transfers/$TB"
same "the first transfer (quote B) is COMMITTED" "$(js b.transferState)" COMMITTED
TBODY=$(printf '{"transferId":"%s","payerFsp":"payerbank","payeeFsp":"demo-dfsp","amount":{"currency":"TZS","amount":"50000"},"ilpPacket":"%s","condition":"%s","expiration":"%s"}' \
	"$TA" "$PA" "$CA" "$LATER")
resend
same "the second transfer: 202" "$CODE" 202
cb "/transfers/$TA/error"
same "... over the day's limit counting the first: 5200" "$(js 'b.errorInformation.errorCode')" 5200
has "... naming the limit" "$RLOG" 'Payee limit error: [^"]*300,000\.00'
same "... kept as refused" "$(sql "SELECT code, state IS NULL FROM payee_transfer WHERE transfer_id = '$TA'")" "5200|1"
same "... no payment for it" "$(sql "SELECT count(*) FROM payment WHERE transfer_id = '$TA'")" 0
same "the merchant received TZS 260,000" "$(sql "SELECT sum(amount) FROM payment WHERE merchant_id = '$MID' AND state = 'COMMITTED'")" 26000000

# ---- payee fees: tillgate dfsp payee ----
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp
status "tillgate dfsp payee shows the terms" 0
same "... all zero by default" "$(tr '\t\n' '=;' <"$OUT")" "dfsp=demo-dfsp;fee_flat=0;fee_bp=0;fee_min=0;fee_max=0;commit_notification=off;"
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp --fee-flat 10000 --fee-bp 150 --fee-min 15000 --fee-max 30000
status "a fee: TZS 100 + 1.5 %, at least 150, at most 300" 0
same "... printed" "$(tr '\t\n' '=;' <"$OUT")" "dfsp=demo-dfsp;fee_flat=10000;fee_bp=150;fee_min=15000;fee_max=30000;commit_notification=off;"
same "... stored" "$(sql "SELECT fee, fee_bp, fee_min, fee_max, commit_notification FROM payee_dfsp WHERE dfsp = 'demo-dfsp'")" "10000|150|15000|30000|0"
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp --fee-bp 10001
status "basis points over 10000: refused" 2
has "... naming the option" "$ERR" "--fee-bp: '10001' is not an integer of 0 to 10000"
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp --fee-flat 12x
status "a flat fee that is not a number: refused" 2
has "... naming the option and the position" "$ERR" "--fee-flat: '12x' is not an integer .*\(position 2\)"
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp --fee-max 100
status "a maximum under the minimum: refused" 1
has "... saying so" "$ERR" "--fee-max 100 is under --fee-min 15000"
tg dfsp payee --set gateway.data_dir="$D" --id nobank --fee-flat 1
status "an unknown DFSP" 1
has "... named" "$ERR" "no DFSP 'nobank'"
same "the terms did not change" "$(sql "SELECT fee, fee_bp, fee_min, fee_max FROM payee_dfsp WHERE dfsp = 'demo-dfsp'")" "10000|150|15000|30000"

# quote_fee WHAT QID AMOUNT TYPE TRANSFER RECEIVE FEE (TZS): the amounts of the quote
quote_fee() {
	quote "$2" "$TILL2" "$3" "$4"; cb "/quotes/$2"
	same "$1: transferAmount, payeeReceiveAmount, payeeFspFee" \
		"$(js '[b.transferAmount.amount, b.payeeReceiveAmount.amount, b.payeeFspFee.amount].join("|")')" "$5|$6|$7"
	same "... the ILP packet carries the transferAmount" "$(js 'ilpAmount(b.ilpPacket)')" "${5}00"
	same "... the fee is kept with the quote" "$(sql "SELECT transfer_amount, fee FROM payee_quote WHERE quote_id = '$2'")" "${5}00|${7}00"
}
QS=30000000-0000-4000-8000-000000000001
quote_fee "SEND 10,000: fee 100 + 150" $QS 10000 SEND 10000 9750 250
quote_fee "RECEIVE 10,000: the fee on top" 30000000-0000-4000-8000-000000000002 10000 RECEIVE 10250 10000 250
quote_fee "SEND 200: the minimum, 150" 30000000-0000-4000-8000-000000000003 200 SEND 200 50 150
quote_fee "SEND 40,000: the maximum, 300" 30000000-0000-4000-8000-000000000004 40000 SEND 40000 39700 300
quote 30000000-0000-4000-8000-000000000005 "$TILL2" 100 SEND; cb "/quotes/30000000-0000-4000-8000-000000000005/error"
same "SEND 100, under the minimum fee: 5103" "$(js 'b.errorInformation.errorCode')" 5103
quote 30000000-0000-4000-8000-000000000001 "$TILL2" 10000 SEND; cb "/quotes/$QS"
TS=40000000-0000-4000-8000-000000000001
transfer $TS; cb "/transfers/$TS"
same "the SEND 10,000 quote's transfer is COMMITTED" "$(js b.transferState)" COMMITTED
same "... a payment of its transferAmount" "$(sql "SELECT state, amount FROM payment WHERE transfer_id = '$TS'")" "COMMITTED|1000000"

# ---- commit notification: RESERVED, then PATCH ----
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp --commit-notification on --fee-flat 0 --fee-bp 0 --fee-min 0 --fee-max 0
status "commit notification on, no fee" 0
has "... printed" "$OUT" "^commit_notification	on$"
SMS0=$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received%'")
QR=50000000-0000-4000-8000-000000000001; TR=60000000-0000-4000-8000-000000000001
quote $QR "$TILL2" 5000; cb "/quotes/$QR"
CR=$(js b.condition)
transfer $TR; cb "/transfers/$TR"
same "the transfer is answered RESERVED" "$(js b.transferState)" RESERVED
F=$(js b.fulfilment)
same "... with the fulfilment of the quote's condition" \
	"$(node -e 'process.stdout.write(require("crypto").createHash("sha256").update(Buffer.from(process.argv[1], "base64url")).digest("base64url"))' "$F")" "$CR"
same "... kept RESERVED" "$(sql "SELECT code, state, settled IS NULL FROM payee_transfer WHERE transfer_id = '$TR'")" "0|RESERVED|1"
same "... no payment yet" "$(sql "SELECT count(*) FROM payment WHERE transfer_id = '$TR'")" 0
same "... no SMS yet" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received%'")" "$SMS0"
# patch ID BODY [CONTENT-TYPE]: PATCH /transfers/ID as the switch
patch() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X PATCH "$U/transfers/$1" \
		-H "Content-Type: ${3:-$CTT}" -H "Date: $DATE" -H "FSPIOP-Source: switch" \
		-H "FSPIOP-Destination: demo-dfsp" --data-binary "$2")
}
NOW=$(date -u '+%Y-%m-%dT%H:%M:%S.000Z')
patch $TR "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}"
same "PATCH COMMITTED: 200" "$CODE" 200
same "... the transfer is COMMITTED" "$(sql "SELECT state, settled IS NOT NULL FROM payee_transfer WHERE transfer_id = '$TR'")" "COMMITTED|1"
same "... the payment received, COMMITTED" "$(sql "SELECT state, amount, channel, payer_fsp, payer_party_id FROM payment WHERE transfer_id = '$TR'")" "COMMITTED|500000|switch|payerbank|255712345678"
same "... one SMS to the merchant" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received TZS 5,000.00 from payerbank%' AND dest LIKE '%255712582947'")" 1
patch $TR "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}"
same "the same PATCH again: 200" "$CODE" 200
same "... no second payment" "$(sql "SELECT count(*) FROM payment WHERE transfer_id = '$TR'")" 1
same "... no second SMS" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received TZS 5,000.00%'")" 1
resend
same "the transfer resent after the commit: 202" "$CODE" 202
cb "/transfers/$TR"
same "... answered COMMITTED" "$(js b.transferState)" COMMITTED

QX=50000000-0000-4000-8000-000000000002; TX=60000000-0000-4000-8000-000000000002
quote $QX "$TILL2" 7000; cb "/quotes/$QX"
transfer $TX; cb "/transfers/$TX"
same "another transfer RESERVED" "$(js b.transferState)" RESERVED
same "... its reservation counts in the merchant's usage" \
	"$(sql "SELECT count(*), sum(amount) FROM payee_transfer WHERE merchant_id = '$MID2' AND state = 'RESERVED'")" "1|700000"
patch $TX "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"ABORTED\"}"
same "PATCH ABORTED: 200" "$CODE" 200
same "... the transfer is ABORTED" "$(sql "SELECT state FROM payee_transfer WHERE transfer_id = '$TX'")" ABORTED
same "... no payment" "$(sql "SELECT count(*) FROM payment WHERE transfer_id = '$TX'")" 0
same "... no SMS" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE 'Received TZS 7,000.00%'")" 0
patch $TX "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}"
same "PATCH COMMITTED after ABORTED: 400" "$CODE" 400
has "... 3100, the transfer is not RESERVED" "$OUT" '"errorCode":"3100","errorDescription":"transferState: the transfer is ABORTED, not RESERVED"'
patch $TA "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}"
same "PATCH for a refused transfer: 400" "$CODE" 400
has "... not RESERVED" "$OUT" 'the transfer is REFUSED, not RESERVED'
patch 6fffffff-0000-4000-8000-000000000009 "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}"
same "PATCH for an unknown transfer: 404" "$CODE" 404
has "... 3208" "$OUT" '"errorCode":"3208","errorDescription":"Transfer ID not found"'
patch $TX '{"transferState":"COMMITTED"}'
same "PATCH without completedTimestamp: 400" "$CODE" 400
has "... 3100 naming the field" "$OUT" '"errorCode":"3100","errorDescription":"\$\.completedTimestamp: missing'
patch $TX "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"DONE\"}"
same "PATCH with an unknown state: 400" "$CODE" 400
has "... naming transferState and its position" "$OUT" '"errorDescription":"\$\.transferState: not RECEIVED, RESERVED, COMMITTED or ABORTED \(position [0-9]+\)"'
patch $TX "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"RESERVED\"}"
same "PATCH RESERVED: 400" "$CODE" 400
has "... COMMITTED or ABORTED expected" "$OUT" 'COMMITTED or ABORTED expected'
patch NOT-A-UUID "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}"
same "PATCH on an id that is no UUID: 400" "$CODE" 400
has "... 3101 naming the ID" "$OUT" '"errorCode":"3101","errorDescription":"ID: not a lowercase UUID'
patch $TX "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"COMMITTED\"}" "$CTQ"
same "PATCH with a quotes Content-Type: 400" "$CODE" 400
has "... 3101" "$OUT" '"errorCode":"3101"'
NCB=$(wc -l <"$RLOG")
same "no callback for any PATCH" "$NCB" "$N"

# ---- reservations count in the limits until they settle ----
# The second merchant has TZS 15,000 received; five transfers of 50,000
# reserved make 265,000 of the day's 300,000.
for i in 1 2 3 4 5; do
	quote 70000000-0000-4000-8000-00000000000$i "$TILL2" 50000; cb "/quotes/70000000-0000-4000-8000-00000000000$i"
	transfer 80000000-0000-4000-8000-00000000000$i; cb "/transfers/80000000-0000-4000-8000-00000000000$i"
done
same "five transfers of 50,000 reserved" "$(sql "SELECT count(*), sum(amount) FROM payee_transfer WHERE merchant_id = '$MID2' AND state = 'RESERVED'")" "5|25000000"
quote 70000000-0000-4000-8000-000000000006 "$TILL2" 40000; cb "/quotes/70000000-0000-4000-8000-000000000006/error"
same "a quote of 40,000 over the day's limit counting them: 5200" "$(js 'b.errorInformation.errorCode')" 5200
patch 80000000-0000-4000-8000-000000000001 "{\"completedTimestamp\":\"$NOW\",\"transferState\":\"ABORTED\"}"
same "one reservation aborted: 200" "$CODE" 200
quote 70000000-0000-4000-8000-000000000007 "$TILL2" 40000; cb "/quotes/70000000-0000-4000-8000-000000000007"
same "... released: a quote of 40,000 is within the limit again" "$(js 'b.transferAmount.amount')" 40000

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=
same "the daemon stops cleanly" "$RC" 0
finish
