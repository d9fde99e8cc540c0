# rtp.sh -- black-box test of requests to pay through the real daemon on
# the HTTP aggregator transport (POST /ussd), which cannot push a screen:
# a merchant registered over USSD asks a customer from My business (the
# number typed nationally), the customer is told by SMS and answers from
# the main menu ("Payment requests"): a wrong PIN, then the right one
# pays on-us and the request is PAID with that payment; the API (a
# payments key: POST /v1/payment-requests, its problems naming the field,
# the Idempotency-Key replay, GET and the list); a refusal with 0 (the
# merchant's SMS); no PIN in the log. SMPP pushes are tested in
# tests/interop/smpp_rtp.test.js.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
api_start --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8 --set gateway.log_level=debug
DB=$D/tillgate.db
M=+255712582946	# registers MAMA JUMA SHOP over USSD
C=+255754111222	# the customer

dial() { SID=$1 PHONE=$2 SVC=${3:-*384#} TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=$SVC" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2"; fi
}
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

# ---- a merchant and a customer ----
dial r1 "$M"
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
screen "the merchant is registered" '^END MAMA JUMA SHOP is registered\. Your till number is [0-9]{7}\.'
MID=$(sql "SELECT merchant_id FROM merchant")
req "$ADMIN" POST /v1/customers '{"msisdn":"+255754111222","name":"Amina Said","account_ref":"A-77","tier":"C2"}' \
	-H 'Idempotency-Key: enrol-1'
code "the DFSP enrols the customer" 201
ACT=$(jfield activation_code)
dial a1 "$C"; ans 1; ans "$ACT"; ans 5927; ans 5927
screen "the customer activates" '^END Your account is active'

# ---- the merchant asks, on USSD ----
dial q1 "$M"; ans 1; ans 4817
screen "My business lists Request payment" '^7 Request payment$'
ans 7
screen "it asks the customer's number" "^CON Customer's phone number:$"
ans 07541x1222
screen "a number with a letter is refused" '^CON Check the phone number'
ans 0712582946
screen "the merchant's own number is refused" '^CON You cannot ask your own number\.'
ans 0754111222
screen "a national number is taken; the amount" '^CON Amount to ask in TZS:$'
ans 0
screen "amount 0 is refused" '^CON The amount must be more than 0\.'
ans 5,000
screen "the confirmation names the amount and the number in E.164" '^CON Ask TZS 5,000\.00 from \+255754111222\?$'
screen "... with 1 Send" '^1 Send$'
ans 1
screen "sent, with a reference" '^END Sent, ref R[0-9a-f]{24}\. The customer answers on their phone'
R1=$(sed -n 's/.*ref \(R[0-9a-f]*\)\..*/\1/p' "$OUT")
same "the request waits on the customer: PROMPTED, hosted at demo-dfsp, by USSD, 500000" \
	"$(sql "SELECT state || ' ' || payer_dfsp || ' ' || channel || ' ' || amount || ' ' || payer_msisdn FROM payment_request WHERE id = '$R1'")" \
	"PROMPTED demo-dfsp ussd 500000 255754111222"
same "the customer is told by SMS (no push on this transport)" \
	"$(sql "SELECT count(*) FROM outbox WHERE dest LIKE '%255754111222' AND ref = '$R1' AND body LIKE 'MAMA JUMA SHOP asks you to pay TZS 5,000.00. To pay or refuse, dial *384# and choose Payment requests.%'")" 1
same "audited: create by the merchant, prompt by the system" \
	"$(sql "SELECT group_concat(action || '/' || role, ' ') FROM (SELECT action, role FROM audit WHERE entity = 'payment_request' AND entity_id = '$R1' ORDER BY id)")" \
	"create/merchant prompt/system"

# ---- the customer answers from the main menu ----
dial c1 "$C"
screen "the customer's menu lists Payment requests" '^3 Payment requests$'
ans 3
screen "the request is shown with the PIN question" '^CON MAMA JUMA SHOP asks TZS 5,000\.00\. Enter PIN to pay, 0 to refuse:$'
ans 1111
screen "a wrong PIN" '^CON Wrong PIN\.'
ans 5927
screen "paid on-us, with the payment's reference" '^END Paid TZS 5,000\.00 to MAMA JUMA SHOP, ref P[0-9a-f]{24}\.$'
P1=$(sed -n 's/.*ref \(P[0-9a-f]*\)\..*/\1/p' "$OUT")
same "the request is PAID by that payment" \
	"$(sql "SELECT state || ' ' || payment_id FROM payment_request WHERE id = '$R1'")" "PAID $P1"
same "the payment is COMMITTED on-us, 500000, from the customer" \
	"$(sql "SELECT state || ' ' || on_us || ' ' || amount || ' ' || payer_msisdn FROM payment WHERE id = '$P1'")" \
	"COMMITTED 1 500000 255754111222"
same "both get the payment's SMS" \
	"$(sql "SELECT count(*) FROM outbox WHERE ref = '$P1' AND (dest LIKE '%255754111222' OR dest LIKE '%255712582946')")" 2
dial c2 "$C"; ans 3
screen "nothing waits any more" '^CON No payment request is waiting for you\.'

# ---- the API: a payments key of the DFSP (a merchant app or a POS) ----
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"payments","user":"pos-1"}'
code "a payments key" 201
POS=$(jfield key)
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"auditor","user":"aud"}'
AUD=$(jfield key)
B="{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"+255754111222\",\"amount\":250000}"
req "$POS" POST /v1/payment-requests "$B"
code "no Idempotency-Key" 400
has "... named" "$OUT" '"field":"Idempotency-Key"'
req "$AUD" POST /v1/payment-requests "$B" -H 'Idempotency-Key: a-1'
code "an auditor may not ask" 403
req "$POS" POST /v1/payment-requests "{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"07541x\",\"amount\":-1,\"tip\":1}" \
	-H 'Idempotency-Key: bad-0'
code "an unknown field" 400
has "... named" "$OUT" '"field":"tip","message":"unknown field"'
req "$POS" POST /v1/payment-requests "{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"07541x\",\"amount\":-1}" \
	-H 'Idempotency-Key: bad-1'
code "invalid fields" 422
has "payer_msisdn named with its position" "$OUT" '"field":"payer_msisdn","message":"payer_msisdn: position 6: expected a digit"'
has "amount named" "$OUT" '"field":"amount"'
req "$POS" POST /v1/payment-requests "{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"+255754999888\",\"amount\":100}" \
	-H 'Idempotency-Key: bad-2'
code "a number that is no customer here" 404
has "... payer_not_found, naming payer_msisdn" "$OUT" '"code":"payer_not_found".*"field":"payer_msisdn"'
req "$POS" POST /v1/payment-requests "{\"merchant_id\":\"99999997\",\"payer_msisdn\":\"+255754111222\",\"amount\":100}" \
	-H 'Idempotency-Key: bad-3'
code "an unknown merchant" 404
has "... naming merchant_id" "$OUT" '"field":"merchant_id"'
req "$POS" POST /v1/payment-requests "$B" -H 'Idempotency-Key: pos-1'
code "the app asks" 202
has "... PROMPTED" "$OUT" '"state":"PROMPTED"'
has "... the payer in E.164 digits" "$OUT" '"payer_msisdn":"255754111222"'
R2=$(jfield id)
has "a Location" "$HDR" "^Location: /v1/payment-requests/$R2"
req "$POS" POST /v1/payment-requests "$B" -H 'Idempotency-Key: pos-1'
code "a replay" 202
has "... the same request" "$OUT" "\"id\":\"$R2\""
has "... marked replayed" "$HDR" '^Idempotent-Replayed: true'
same "one request for the key" "$(sql "SELECT count(*) FROM payment_request WHERE channel = 'api'")" 1
req "$POS" GET "/v1/payment-requests/$R2"
code "GET the request" 200
has "... still PROMPTED" "$OUT" '"state":"PROMPTED"'

# ---- the customer refuses ----
dial c3 "$C"; ans 3
screen "the API's request is shown" '^CON MAMA JUMA SHOP asks TZS 2,500\.00\. Enter PIN to pay, 0 to refuse:$'
ans 0
screen "0 refuses" '^END You refused to pay TZS 2,500\.00 to MAMA JUMA SHOP\.$'
req "$POS" GET "/v1/payment-requests/$R2"
has "the request is REFUSED" "$OUT" '"state":"REFUSED"'
has "... code refused" "$OUT" '"fail_code":"refused"'
same "the merchant is told by SMS" \
	"$(sql "SELECT count(*) FROM outbox WHERE ref = '$R2' AND dest LIKE '%255712582946' AND body LIKE '%refused by the customer%'")" 1
same "no payment was made for it" "$(sql "SELECT count(*) FROM payment")" 1
req "$POS" GET "/v1/payment-requests?state=REFUSED"
code "the list by state" 200
has "... has the refused one" "$OUT" "\"id\":\"$R2\""
hasnt "... not the paid one" "$OUT" "$R1"
req "$POS" GET "/v1/payment-requests?state=LOST"
code "a bad state filter" 422
req "$AUD" GET "/v1/payment-requests?merchant_id=$MID&limit=1"
code "an auditor lists them, a page of one" 200
has "... with a next cursor" "$OUT" '"next_cursor":"R'

# ---- secrets never logged ----
hasnt "no PIN in the log" "$LOG" '5927|4817|input=1111'
kill "$PID"; wait "$PID"; RC=$?; PID=
same "the daemon stops cleanly" "$RC" 0
finish
