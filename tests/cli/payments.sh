# payments.sh -- black-box test of payments (docs/payments.md) with the
# real daemon on a free loopback port, curl as a DFSP's app, sqlite3 on
# the database file, the queue command and POST /ussd:
#  - a merchant registers by USSD (demo-dfsp) and gets a till; a customer
#    of each DFSP is enrolled over the API and activated by USSD;
#  - payments keys: demo-dfsp's over the API, bank-b's with
#    'tillgate apikey create'; a payments key reaches /v1/payments only;
#  - on-us payments by till and by the payload of the till's own dynamic
#    QR code (its PNG decoded) are COMMITTED at once, each with one SMS to
#    the customer and one to the merchant in the outbox;
#  - Idempotency-Key required; a retry answers the same payment; the same
#    key with another body is refused;
#  - over a limit: refused with the limit named; a QR amount that does not
#    match the body's, and unknown fields, refused;
#  - bank-b's customer paying demo-dfsp's merchant without a switch:
#    QUEUED within the offline limits, refused over them;
#  - GET by id, list with filters, CSV; tenancy: bank-b cannot see
#    demo-dfsp's on-us payment, both see the one between them;
#  - tillgate queue status, list and cancel (both told), its errors;
#  - /metrics counts payments per state and the queue's oldest age;
#  - My business shows today's takings and the last payments.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
api_start --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8
DB=$D/tillgate.db
OWNER=+255712582946
sql() { sqlite3 "$DB" "$1"; }

dial() { SID=$1 PHONE=$2 TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=*384#" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2 ($(tr '\n' '|' <"$OUT"))"; fi
}
# pay KEY IDEM BODY: POST /v1/payments
pay() { req "$1" POST /v1/payments "$3" -H "Idempotency-Key: $2"; }

# ---- a merchant, registered by USSD ----
dial r1 "$OWNER"
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
screen "the merchant registers by USSD" '^END MAMA JUMA SHOP is registered'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
MID=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL'")
[ -n "$MID" ] && pass "its till $TILL" || fail "its till" "no till"

# ---- keys ----
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"payments","user":"a-app"}'
code "demo-dfsp's admin makes a payments key" 201
PA=$(jfield key)
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
code "the hub-admin makes bank-b" 201
tg apikey create --set gateway.data_dir="$D" --dfsp bank-b --role payments --user b-app
status "tillgate apikey create makes bank-b's payments key" 0
PB=$(tail -n 1 "$OUT")
req "$PA" GET "/v1/merchants/$MID"
code "a payments key cannot read merchants" 403
req "$PA" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"maker"}' -H 'Idempotency-Key: k0'
code "... nor make keys" 403

# ---- customers: enrolled by their DFSP, activated by USSD ----
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"b-admin"}' -H 'Idempotency-Key: kb'
code "bank-b gets a dfsp-admin key" 201
BADMIN=$(jfield key)
# customer KEY MSISDN SID: enrols MSISDN (tier C0) and activates it (PIN 5927).
customer() {
	req "$1" POST /v1/customers "{\"msisdn\":\"+$2\",\"name\":\"Customer $2\",\"account_ref\":\"ACC-$2\",\"tier\":\"C0\"}" \
		-H "Idempotency-Key: enrol-$2"
	code "the DFSP enrols $2" 201
	_code8=$(jfield activation_code)
	dial "$3" "+$2"; ans 1; ans "$_code8"; ans 5927; ans 5927
	screen "... who activates by USSD" '^END Your account is active'
}
customer "$ADMIN" 255700000001 c1
customer "$BADMIN" 255700000002 c2

# ---- on-us by till ----
pay "$PA" k1 "{\"payer_msisdn\":\"+255700000001\",\"till\":\"$TILL\",\"amount\":500000}"
code "an on-us payment by till" 201
P1=$(jfield id)
has "... is COMMITTED at once" "$OUT" '"state":"COMMITTED"'
has "... on us" "$OUT" '"on_us":true'
has "... with the merchant's name" "$OUT" '"trading_name":"MAMA JUMA SHOP"'
has "... and its Location" "$HDR" "Location: /v1/payments/$P1"
same "one SMS to the customer" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P1' AND dest LIKE '%255700000001' AND body LIKE 'Paid TZS 5,000.00 to MAMA JUMA SHOP%'")" 1
same "one SMS to the merchant" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P1' AND dest LIKE '%255712582946' AND body LIKE 'Received TZS 5,000.00 from 2557****001%'")" 1
same "no other SMS" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P1'")" 2
same "an audit row" "$(sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$P1' AND role = 'payments' AND actor = 'a-app'")" 1

pay "$PA" k1 "{\"payer_msisdn\":\"+255700000001\",\"till\":\"$TILL\",\"amount\":500000}"
code "the same request again answers the kept payment" 201
same "... the same id" "$(jfield id)" "$P1"
has "... marked replayed" "$HDR" 'Idempotent-Replayed: true'
same "... and nothing new" "$(sql "SELECT count(*) FROM payment")/$(sql "SELECT count(*) FROM outbox WHERE ref = '$P1'")" 1/2
pay "$PA" k1 "{\"payer_msisdn\":\"+255700000001\",\"till\":\"$TILL\",\"amount\":500001}"
code "the same key for another payment is refused" 422
has "... as reused" "$OUT" 'idempotency_key_reused'
req "$PA" POST /v1/payments "{\"payer_msisdn\":\"255700000001\",\"till\":\"$TILL\",\"amount\":1}"
code "no Idempotency-Key is refused" 400
has "... naming it" "$OUT" 'Idempotency-Key'

# ---- on-us by QR: the till's own dynamic code, its image decoded ----
curl -s -o "$T_DIR/qr.png" -H "Authorization: Bearer $ADMIN" "$U/v1/tills/$TILL/qr?format=png&amount=1234.50"
tg qr decode "$T_DIR/qr.png"
status "the till's dynamic QR code decodes" 0
QR=$(head -n 1 "$OUT")
pay "$PA" k2 "{\"payer_msisdn\":\"255700000001\",\"qr_payload\":\"$QR\"}"
code "an on-us payment by QR payload" 201
P2=$(jfield id)
has "... COMMITTED" "$OUT" '"state":"COMMITTED"'
has "... for the code's amount" "$OUT" '"amount":123450'
same "... two SMS" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P2'")" 2
pay "$PA" k3 "{\"payer_msisdn\":\"255700000001\",\"qr_payload\":\"$QR\",\"amount\":100}"
code "an amount other than the code's is refused" 422
has "... naming amount" "$OUT" '"field":"amount"'
pay "$PA" k4 "{\"payer_msisdn\":\"255700000001\",\"qr_payload\":\"000201XX\"}"
code "a damaged payload is refused" 422
has "... naming qr_payload" "$OUT" '"field":"qr_payload"'
pay "$PA" k5 "{\"payer_msisdn\":\"255700000001\",\"till\":\"$TILL\",\"amount\":1,\"tip\":5}"
code "an unknown field is refused" 400
has "... naming it" "$OUT" '"field":"tip"'
pay "$PA" k6 "{\"payer_msisdn\":\"255700000001\",\"till\":\"$TILL\",\"qr_payload\":\"$QR\",\"amount\":1}"
code "till and qr_payload together are refused" 422

# ---- limits ----
pay "$PA" k7 "{\"payer_msisdn\":\"255700000001\",\"till\":\"$TILL\",\"amount\":5000001}"
code "over the customer's per-payment limit" 422
has "... refused as payment_limit" "$OUT" '"code":"payment_limit"'
has "... saying the limit" "$OUT" 'C0 per-payment limit of TZS 50,000.00'
has "... with the limit in minor units" "$OUT" '"limit":5000000'
pay "$PA" k8 "{\"payer_msisdn\":\"255799999999\",\"till\":\"$TILL\",\"amount\":100}"
code "a number that is no customer of the DFSP" 404
has "... unknown_customer" "$OUT" '"code":"unknown_customer"'

# ---- not on us, no switch: offline ----
pay "$PB" b1 "{\"payer_msisdn\":\"255700000002\",\"till\":\"$TILL\",\"amount\":150}"
code "bank-b's customer pays demo-dfsp's merchant: 202, not final yet" 202
P3=$(jfield id)
has "... QUEUED (no switch: offline)" "$OUT" '"state":"QUEUED"'
has "... not on us" "$OUT" '"on_us":false'
same "... no SMS yet" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P3'")" 0
pay "$PB" b2 "{\"payer_msisdn\":\"255700000002\",\"till\":\"$TILL\",\"amount\":1000001}"
code "over the offline per-payment limit" 422
has "... refused as offline_payment_limit" "$OUT" '"code":"offline_payment_limit"'
has "... saying it" "$OUT" 'offline per-payment limit of TZS 10,000.00'

# ---- reads and tenancy ----
req "$PA" GET "/v1/payments/$P1"
code "demo-dfsp reads its payment" 200
same "... by id" "$(jfield id)" "$P1"
req "$PB" GET "/v1/payments/$P1"
code "bank-b cannot see demo-dfsp's on-us payment" 404
req "$PB" GET "/v1/payments/$P3"
code "bank-b reads its customer's payment" 200
req "$ADMIN" GET "/v1/payments/$P3"
code "demo-dfsp's admin reads the payment to its merchant" 200
req "$PB" GET /v1/payments
code "bank-b lists" 200
hasnt "... without demo-dfsp's payments" "$OUT" "$P1"
has "... with its own" "$OUT" "$P3"
req "$PA" GET "/v1/payments?state=COMMITTED&merchant_id=$MID"
code "a filtered list" 200
has "... has the committed ones" "$OUT" "$P2"
hasnt "... not the queued one" "$OUT" "$P3"
req "$PA" GET "/v1/payments?limit=1"
code "a page of one" 200
NEXT=$(jfield next_cursor)
[ -n "$NEXT" ] && pass "... with a cursor" || fail "... with a cursor" "$(cat "$OUT")"
req "$PA" GET "/v1/payments?limit=1&cursor=$NEXT"
code "the next page" 200
req "$PA" GET "/v1/payments?state=PAID"
code "an unknown state is refused" 422
req "$PA" GET "/v1/payments?from=yesterday"
code "a bad date is refused" 422
has "... naming from" "$OUT" '"field":"from"'
req "$PA" GET /v1/payments "" -H 'Accept: text/csv'
code "CSV for reconciliation" 200
has "... as text/csv" "$HDR" 'Content-Type: text/csv'
same "... a header and three rows" "$(grep -c . "$OUT")" 4
has "... the header" "$OUT" '^id,created,updated,state,fail_code,channel,payer_dfsp'
has "... a row" "$OUT" "^$P1,.*,COMMITTED,,api,demo-dfsp,255700000001,demo-dfsp,$MID,$TILL,MAMA JUMA SHOP,500000,TZS,1,"

# ---- the queue command ----
tg queue --set gateway.data_dir="$D" status
status "queue status" 0
has "... one QUEUED" "$OUT" '^QUEUED	1$'
has "... two COMMITTED" "$OUT" '^COMMITTED	2$'
has "... the oldest age" "$OUT" '^oldest_queued_age_s	[0-9]'
tg queue --set gateway.data_dir="$D" list
status "queue list" 0
has "... the queued payment" "$OUT" "^$P3	.*	QUEUED	-	bank-b	255700000002	$TILL	150	TZS$"
same "... only it" "$(grep -c . "$OUT")" 1
tg queue --set gateway.data_dir="$D" list --state COMMITTED
has "queue list --state COMMITTED" "$OUT" "^$P1	"
tg queue --set gateway.data_dir="$D" cancel "$P3"
status "queue cancel" 0
has "... FAILED cancelled" "$OUT" "^$P3	FAILED	cancelled$"
same "... both told" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P3'")" 2
same "... audited" "$(sql "SELECT count(*) FROM audit WHERE entity_id = '$P3' AND action = 'failed' AND actor = 'operator'")" 1
tg queue --set gateway.data_dir="$D" cancel "$P3"
status "cancelling it again fails" 1
has "... saying why" "$ERR" "ID '$P3': payment $P3 is FAILED"
tg queue --set gateway.data_dir="$D" retry "$P3"
status "a cancelled payment is not retried" 1
tg queue --set gateway.data_dir="$D" cancel
status "cancel without an ID" 2
has "... names it" "$ERR" 'the payment ID is required'
tg queue --set gateway.data_dir="$D" list --state PAID
status "an unknown state" 2
has "... names --state" "$ERR" "\-\-state: unknown state 'PAID'"
tg queue --set gateway.data_dir="$D" drain
status "an unknown command" 2
tg queue --set gateway.data_dir="$D" cancel Pffffffffffffffffffffffff
status "an unknown payment" 1

# ---- metrics ----
req "$HUB" GET /metrics
code "metrics" 200
has "... payments per state" "$OUT" '^tillgate_payments{state="COMMITTED"} 2$'
has "... the cancelled one" "$OUT" '^tillgate_payments{state="FAILED"} 1$'
has "... the queue's oldest age" "$OUT" '^tillgate_queue_oldest_age_seconds 0$'

# ---- My business ----
dial m1 "$OWNER"; ans 1; ans 4817; ans 5
screen "My business: today's takings" '^END Today \(UTC\): 2 paid, TZS 6,234\.50\. Queued, not paid yet: 0, TZS 0\.'
dial m2 "$OWNER"; ans 1; ans 4817; ans 6
screen "My business: the last payments" '^CON Last payments \(TZS\):'
screen "... the cancelled one first" '^[0-9]{2}:[0-9]{2} 1\.50 failed 2557\*\*\*\*002$'
screen "... the QR payment" '^[0-9]{2}:[0-9]{2} 1,234\.50 paid 2557\*\*\*\*001$'
screen "... the first one" '^[0-9]{2}:[0-9]{2} 5,000 paid 2557\*\*\*\*001$'
finish
