# pay_ttk.sh -- payments end to end through the Mojaloop Testing Toolkit
# as the switch (tests/ttk/start.js on loopback, the rules of
# tests/ttk/rules_validation.json keyed on magic amounts, plus one this
# test makes for a till it registers), each error path the Toolkit can
# trigger, seen as the customer sees it:
#  - party not found: a lookup of the "ghost" merchant's till answers
#    3204: FAILED fspiop_3204;
#  - quote rejected: a quote of 666 answers 5103: FAILED fspiop_5103;
#  - no quote callback (777): the quote times out, nothing that could move
#    money was sent: back to QUEUED and tried again (never final on its
#    own), until an operator cancels it: FAILED cancelled;
#  - insufficient liquidity: a transfer of 444 answers 4001: FAILED
#    fspiop_4001;
#  - no transfer callback (555): the outcome is unknown, RECONCILING, and
#    GET /transfers/{id} finds it COMMITTED with a fulfilment that
#    verifies;
#  each final state with its fail code and the customer's SMS text;
#  - a payment by USSD (POST /ussd) and one by QR payload (the till's own
#    dynamic code, decoded) COMMITTED with a verified fulfilment (the
#    Toolkit checks that our transfer carries its quote's packet and
#    condition, and its fulfilment is checked against that condition);
#  - not one request of ours failed the Toolkit's OpenAPI validation: its
#    own record of every answer it gave (TTK_ACCESS_LOG) has no 4xx or
#    5xx for them, while a request made invalid on purpose shows a 400
#    there (so the record can tell).
# docs/switch.md, "Tests"; docs/payments.md, "Forwarding".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
TTK_PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$TTK_PID" ] && kill "$TTK_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
if [ ! -d tests/ttk/node_modules/ml-testing-toolkit ]; then
	fail "the Toolkit is installed" "tests/ttk/node_modules (tests/deps.sh)"
	finish
fi

set -- $(free_ports 3)
API=$1 TTK_ADM=$2 CB=$3
ACCESS=$T_DIR/ttk-access.log

api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 \
	--set ussd.pin_memlimit_kib=8 --set switch.endpoint="http://127.0.0.1:$API" \
	--set switch.callback_base="http://127.0.0.1:$CB" --set switch.callback_timeout_ms=1500 \
	--set switch.answer_budget_ms=8000
DB=$D/tillgate.db
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
pay() { req "$PB" POST /v1/payments "$2" -H "Idempotency-Key: $1"; }
# final ID: waits up to 20 s for payment ID to reach a final state; prints it.
final() {
	for _ in $(seq 400); do
		_s=$(sql "SELECT state FROM payment WHERE id = '$1'")
		case $_s in COMMITTED | FAILED | EXPIRED) break ;; esac
		sleep 0.05
	done
	echo "$_s"
}
# sms ID: the payment's SMS to the customer.
sms() { sql "SELECT body FROM outbox WHERE kind = 'sms' AND ref = '$1' AND dest = '$2'"; }

# ---- two merchants of demo-dfsp; customers of bank-b ----
# register PHONE NAME ID: a merchant by USSD; sets TILL_R.
register() {
	dial "r$1" "$1"
	for a in 1 "$2" 5 1 "$3" ARUSHA 4817 4817 1; do ans "$a"; done
	screen "$2 registers by USSD" "^END $2 is registered"
	TILL_R=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
}
register +255712582946 "MAMA JUMA SHOP" 19900101123450000112
TILL=$TILL_R
register +255712582947 "GHOST SHOP" 19850505123450000223
GHOST=$TILL_R
[ -n "$TILL" ] && [ -n "$GHOST" ] && [ "$TILL" != "$GHOST" ] && pass "two tills: $TILL and $GHOST" || fail "two tills" "$TILL $GHOST"
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
code "the hub-admin makes bank-b" 201
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"b-admin"}' -H 'Idempotency-Key: kb'
BADMIN=$(jfield key)
req "$BADMIN" POST /v1/dfsps/bank-b/api-keys '{"role":"payments","user":"b-app"}' -H 'Idempotency-Key: kp'
code "bank-b gets a payments key" 201
PB=$(jfield key)
C=255700000021
req "$BADMIN" POST /v1/customers "{\"msisdn\":\"+$C\",\"name\":\"Neema\",\"account_ref\":\"ACC-21\",\"tier\":\"C2\"}" \
	-H "Idempotency-Key: enrol-$C"
code "bank-b enrols a customer" 201
ACT=$(jfield activation_code)
dial a1 "+$C"; ans 1; ans "$ACT"; ans 5927; ans 5927
screen "... who activates by USSD" '^END Your account is active'

# ---- the Toolkit, with a rule for the ghost's till ----
cat >"$T_DIR/rules.json" <<EOF
[{"ruleId": 101, "priority": 1, "type": "validation", "version": 1,
  "description": "the ghost merchant's till is unknown to the switch: 3204",
  "apiVersion": {"minorVersion": 1, "majorVersion": 1, "type": "fspiop", "asynchronous": true},
  "conditions": {"all": [
    {"fact": "operationPath", "operator": "equal", "value": "/parties/{Type}/{ID}"},
    {"fact": "method", "operator": "equal", "value": "get"},
    {"fact": "pathParams", "operator": "equal", "value": "$GHOST", "path": "ID"}]},
  "event": {"method": "put", "path": "/parties/{Type}/{ID}/error", "type": "FIXED_ERROR_CALLBACK",
    "params": {"headers": {
      "Content-Type": "application/vnd.interoperability.parties+json;version=1.1",
      "Date": "{\$request.headers.date}", "FSPIOP-Source": "switch",
      "FSPIOP-Destination": "{\$request.headers.fspiop-source}"},
      "body": {"errorInformation": {"errorCode": "3204", "errorDescription": "Party not found"}}}}}]
EOF
TTK_API_PORT=$API TTK_ADMIN_PORT=$TTK_ADM TTK_CALLBACK_URL=http://127.0.0.1:$CB TTK_KEEP_TRANSFERS=1 \
	TTK_EXTRA_RULES=$T_DIR/rules.json TTK_ACCESS_LOG=$ACCESS \
	TTK_RUN_DIR=$T_DIR/ttk TTK_TIMEOUT_S=200 node tests/ttk/start.js >"$T_DIR/ttk.log" 2>&1 &
TTK_PID=$!
ready=
for _ in $(seq 600); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/" 2>/dev/null)
	if [ -n "$c" ] && [ "$c" != 000 ]; then ready=1; break; fi
	kill -0 "$TTK_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$ready" ]; then pass "the Toolkit answers"; else fail "the Toolkit answers" "$(tail -20 "$T_DIR/ttk.log")"; finish; fi

# ---- party not found ----
pay e1 "{\"payer_msisdn\":\"$C\",\"till\":\"$GHOST\",\"amount\":12300}"
code "a payment to the ghost's till is accepted" 202
P1=$(jfield id)
same "party not found: FAILED" "$(final "$P1")" FAILED
same "... fspiop_3204" "$(sql "SELECT fail_code FROM payment WHERE id = '$P1'")" fspiop_3204
same "... the customer's SMS" "$(sms "$P1" $C)" "Payment of TZS 123.00 to GHOST SHOP failed (fspiop_3204). You were not charged. Ref $P1"
same "... and no transfer was recorded" "$(sql "SELECT count(*) FROM payment_transfer WHERE payment_id = '$P1'")" 0

# ---- quote rejected ----
pay e2 "{\"payer_msisdn\":\"$C\",\"till\":\"$TILL\",\"amount\":66600}"
P2=$(jfield id)
same "quote rejected (666): FAILED" "$(final "$P2")" FAILED
same "... fspiop_5103, the reason for the customer" "$(sql "SELECT fail_code || '|' || fail_reason FROM payment WHERE id = '$P2'")" "fspiop_5103|The merchant's bank refused the payment."
same "... the customer's SMS" "$(sms "$P2" $C)" "Payment of TZS 666.00 to MAMA JUMA SHOP failed (fspiop_5103). You were not charged. Ref $P2"

# ---- insufficient liquidity ----
pay e3 "{\"payer_msisdn\":\"$C\",\"till\":\"$TILL\",\"amount\":44400}"
P3=$(jfield id)
same "insufficient liquidity (transfer of 444): FAILED" "$(final "$P3")" FAILED
same "... fspiop_4001" "$(sql "SELECT fail_code FROM payment WHERE id = '$P3'")" fspiop_4001
same "... after the transfer was sent (recorded first)" "$(sql "SELECT count(*) FROM payment_transfer WHERE payment_id = '$P3'")" 1
same "... the customer's SMS" "$(sms "$P3" $C)" "Payment of TZS 444.00 to MAMA JUMA SHOP failed (fspiop_4001). You were not charged. Ref $P3"

# ---- no transfer callback: recovered by GET ----
pay e4 "{\"payer_msisdn\":\"$C\",\"till\":\"$TILL\",\"amount\":55500}"
P4=$(jfield id)
same "no transfer callback (555): COMMITTED" "$(final "$P4")" COMMITTED
same "... after RECONCILING" "$(sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$P4' AND action = 'reconciling'")" 1
has "... the transfer timed out" "$LOG" "msg=\"switch answered\" payment=$P4 step=2 status=timeout action=reconcile"
has "... GET /transfers/{id} found it committed, the fulfilment verified" "$LOG" "msg=\"switch answered\" payment=$P4 step=3 status=ok action=commit"
grep "\"path\":\"/transfers/$(sql "SELECT transfer_id FROM payment WHERE id = '$P4'")\"" "$ACCESS" | grep -q '"method":"GET"' \
	&& pass "... the Toolkit saw the GET" || fail "the Toolkit saw the GET"
same "... the customer's SMS" "$(sms "$P4" $C)" "Paid TZS 555.00 to MAMA JUMA SHOP (till $TILL). Ref $P4"

# ---- no quote callback: queued again, until cancelled ----
pay e5 "{\"payer_msisdn\":\"$C\",\"till\":\"$TILL\",\"amount\":77700}"
P5=$(jfield id)
for _ in $(seq 400); do
	[ "$(sql "SELECT state = 'QUEUED' AND attempts >= 2 FROM payment WHERE id = '$P5'")" = 1 ] && break
	sleep 0.05
done
same "no quote callback (777): QUEUED again after each timeout, tried again" "$(sql "SELECT state = 'QUEUED' AND attempts >= 2 FROM payment WHERE id = '$P5'")" 1
same "... nothing that could move money was sent" "$(sql "SELECT count(*) FROM payment_transfer WHERE payment_id = '$P5'")" 0
has "... the quote timed out" "$LOG" "msg=\"switch answered\" payment=$P5 step=1 status=timeout action=requeue"
same "... no SMS while it is not final" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P5'")" 0
cancelled=
for _ in $(seq 100); do
	tg queue cancel --set gateway.data_dir="$D" "$P5"
	[ "$RC" = 0 ] && { cancelled=1; break; }
	sleep 0.1
done
[ -n "$cancelled" ] && pass "... until an operator cancels it" || fail "queue cancel" "$(cat "$ERR")"
same "... FAILED cancelled" "$(sql "SELECT state || '|' || fail_code FROM payment WHERE id = '$P5'")" "FAILED|cancelled"
same "... the customer's SMS" "$(sms "$P5" $C)" "Payment of TZS 777.00 to MAMA JUMA SHOP failed (cancelled). You were not charged. Ref $P5"

# ---- by USSD, and by QR: COMMITTED with a verified fulfilment ----
dial u1 "+$C" "*384*$TILL*1234#"; ans 5927
screen "a payment by USSD" '^END (Sent|Paid)'
P6=$(sql "SELECT id FROM payment WHERE channel = 'ussd' AND amount = 123400")
same "... COMMITTED" "$(final "$P6")" COMMITTED
has "... its fulfilment verified at the transfer" "$LOG" "msg=\"switch answered\" payment=$P6 step=2 status=ok action=commit"
same "... the customer's SMS" "$(sms "$P6" $C)" "Paid TZS 1,234.00 to MAMA JUMA SHOP (till $TILL). Ref $P6"
curl -s -o "$T_DIR/qr.png" -H "Authorization: Bearer $ADMIN" "$U/v1/tills/$TILL/qr?format=png&amount=250.50"
tg qr decode "$T_DIR/qr.png"
status "the till's dynamic QR code decodes" 0
QR=$(head -n 1 "$OUT")
pay q1 "{\"payer_msisdn\":\"$C\",\"qr_payload\":\"$QR\"}"
code "a payment by QR payload" 202
P7=$(jfield id)
same "... COMMITTED" "$(final "$P7")" COMMITTED
same "... for the code's amount" "$(sql "SELECT amount FROM payment WHERE id = '$P7'")" 25050
has "... its fulfilment verified at the transfer" "$LOG" "msg=\"switch answered\" payment=$P7 step=2 status=ok action=commit"
same "... the customer's SMS" "$(sms "$P7" $C)" "Paid TZS 250.50 to MAMA JUMA SHOP (till $TILL). Ref $P7"
hasnt "no fulfilment failed to verify" "$LOG" 'fulfilment does not verify'

# ---- bank-b with a backend hook: asked before anything goes to the switch ----
printf 'bank-b-hook-secret-0123456789\n' >"$T_DIR/secret"
node "$(dirname "$0")/backend_peer.js" 0 "$T_DIR/secret" "$T_DIR/peer.port" "$T_DIR/peer.log" \
	>"$T_DIR/peer.out" 2>&1 &
PEER=$!
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$TTK_PID" ] && kill "$TTK_PID" 2>/dev/null; kill "$PEER" 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 200); do [ -s "$T_DIR/peer.port" ] && break; sleep 0.05; done
tg dfsp set --set gateway.data_dir="$D" --id bank-b --backend-url "http://127.0.0.1:$(cat "$T_DIR/peer.port")/hook" \
	--backend-secret-file "$T_DIR/secret"
status "bank-b sets a backend hook" 0
BEFORE=$(grep -c '"source":"bank-b"' "$ACCESS")
pay h1 "{\"payer_msisdn\":\"$C\",\"till\":\"$TILL\",\"amount\":777700}"
P8=$(jfield id)
same "declined by the hook (777700 is its decline): FAILED" "$(final "$P8")" FAILED
same "... backend_declined" "$(sql "SELECT fail_code FROM payment WHERE id = '$P8'")" backend_declined
same "... and nothing went to the switch" "$(grep -c '"source":"bank-b"' "$ACCESS")" "$BEFORE"
pay h2 "{\"payer_msisdn\":\"$C\",\"till\":\"$TILL\",\"amount\":31400}"
P9=$(jfield id)
same "approved by the hook, then through the switch: COMMITTED" "$(final "$P9")" COMMITTED
has "... with a verified fulfilment" "$LOG" "msg=\"switch answered\" payment=$P9 step=2 status=ok action=commit"
for _ in $(seq 200); do grep -q "\"path\":\"/hook/notify\".*\"$P9\"" "$T_DIR/peer.log" && break; sleep 0.05; done
grep "\"path\":\"/hook/notify\".*\"$P9\"" "$T_DIR/peer.log" | grep -q '"state":"COMMITTED"' \
	&& pass "... and the hook is told COMMITTED" || fail "hook told" "$(cat "$T_DIR/peer.log")"

# ---- not one request of ours failed the Toolkit's validation ----
N=$(grep -c '"source":"bank-b"' "$ACCESS")
[ "${N:-0}" -ge 15 ] && pass "the Toolkit answered $N requests of ours" || fail "the Toolkit's record" "$N requests from bank-b"
for m in '"method":"GET","path":"/parties/' '"method":"POST","path":"/quotes"' '"method":"POST","path":"/transfers"' '"method":"GET","path":"/transfers/'; do
	grep -q "$m" "$ACCESS" && pass "... among them $m" || fail "the Toolkit's record has $m"
done
BAD=$(grep '"source":"bank-b"' "$ACCESS" | grep -v '"status":20[02]')
same "... each answered 200 or 202: no validation failure" "$BAD" ""
CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "http://127.0.0.1:$API/quotes" \
	-H 'Content-Type: application/vnd.interoperability.quotes+json;version=1.1' \
	-H 'Accept: application/vnd.interoperability.quotes+json;version=1.1' \
	-H "Date: $(date -u '+%a, %d %b %Y %H:%M:%S GMT')" -H 'FSPIOP-Source: probe' \
	--data '{"quoteId":"NOT-A-UUID","transactionId":"also not","amountType":"SEND"}')
code "a request made invalid on purpose is refused by the Toolkit" 400
grep -q '"source":"probe","status":400\|"status":400,"source":"probe"' "$ACCESS" && pass "... and its record shows that 400" || fail "the record shows the 400" "$(grep probe "$ACCESS")"
finish
