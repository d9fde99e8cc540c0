# customers.sh -- black-box test of customers through the real daemon:
# enrolment over the admin API (POST /v1/customers and its problems), the
# activation over POST /ussd (wrong code, trivial PIN, mismatched PIN),
# the menu by who is dialling, then "Pay merchant": a merchant registered
# over USSD at the registration DFSP is paid by a customer of the same
# DFSP by till and amount, and by the direct string *384*TILL*AMOUNT#
# (on-us: COMMITTED, one SMS to each side in the outbox); a bad till and
# bad amounts; 3 wrong PINs lock, the DFSP unlocks through the API;
# suspended -> cannot pay; reactivated -> pays; a re-issued activation
# code; tenancy (another DFSP sees nothing); no code or PIN in the log.
# Cheap Argon2id parameters (through the same keys) keep it fast.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
api_start --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8 --set customer.pin_lock_s=3600 \
	--set gateway.log_level=debug
DB=$D/tillgate.db
M=+255712582946	# registers MAMA JUMA SHOP over USSD
C=+255754111222	# the customer
NL='
'

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
sql() { sqlite3 "$DB" "$1"; }

# ---- the merchant registers over USSD ----
dial r1 "$M"
screen "an unknown number sees Register business" '^1 Register business$'
screen "... and Pay merchant" '^2 Pay merchant$'
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
screen "the merchant is registered" '^END MAMA JUMA SHOP is registered\. Your till number is [0-9]{7}\.'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")

# ---- enrolment over the API ----
BODY='{"msisdn":"+255754111222","name":"Amina Said","account_ref":"ACC-77","tier":"C0"}'
req "$ADMIN" POST /v1/customers "$BODY" -H 'Idempotency-Key: enrol-1'
code "the DFSP enrols a customer" 201
has "PENDING" "$OUT" '"status":"PENDING"'
has "the msisdn in E.164" "$OUT" '"msisdn":"\+255754111222"'
CODE8=$(jfield activation_code)
CID=$(jnum id)
case $CODE8 in [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) pass "an 8-digit activation code, shown once" ;;
*) fail "an 8-digit activation code, shown once" "$(cat "$OUT")" ;; esac
has "a Location header" "$HDR" "^Location: /v1/customers/$CID"
req "$ADMIN" POST /v1/customers "$BODY" -H 'Idempotency-Key: enrol-1'
code "a replay with the same Idempotency-Key" 201
has "... answers the customer" "$OUT" "\"id\":$CID"
has "... without the code" "$OUT" '"activation_code":null'
same "the code is stored only as its SHA-256" \
	"$(sql "SELECT activation_sha256 = '$(printf %s "$CODE8" | sha256sum | cut -d' ' -f1)' FROM customer WHERE id = $CID")" 1
same "nowhere in the database in clear" "$(sqlite3 "$DB" .dump | grep -c "$CODE8")" 0
req "$ADMIN" POST /v1/customers "$BODY" -H 'Idempotency-Key: enrol-2'
code "the same phone again at the same DFSP" 409
has "... names msisdn" "$OUT" '"field":"msisdn"'
req "$ADMIN" POST /v1/customers '{"msisdn":"255754","name":"","account_ref":"A","tier":"C7","pin":"1"}' \
	-H 'Idempotency-Key: enrol-3'
code "an unknown field is refused" 400
has "... and named" "$OUT" '"field":"pin","message":"unknown field"'
req "$ADMIN" POST /v1/customers '{"msisdn":"255754","name":"","account_ref":"A","tier":"C7"}' \
	-H 'Idempotency-Key: enrol-4'
code "invalid fields" 422
has "msisdn named with its position" "$OUT" '"field":"msisdn","message":"msisdn: position 1'
has "name named" "$OUT" '"field":"name"'
has "tier named" "$OUT" '"field":"tier","message":"tier: \\"C7\\" is not a customer tier"'
req "$ADMIN" GET "/v1/customers?msisdn=%2B255754111222"
code "the list by msisdn" 200
has "... finds the customer" "$OUT" "\"id\":$CID"
req "$ADMIN" GET "/v1/customers?status=ASLEEP"
code "a bad status filter" 422

# ---- activation over USSD ----
dial a1 "$C"
screen "a pending customer sees Activate my account" '^1 Activate my account$'
hasnt "... not Pay merchant" "$OUT" 'Pay merchant'
hasnt "... nor Register business" "$OUT" 'Register business'
ans 1
screen "activation asks the code" '^CON Enter the 8-digit activation code'
ans 1234
screen "a code of the wrong form" '^CON The code is 8 digits\.'
WRONG=$(printf %s "$CODE8" | tr 0123456789 1234567890)
ans "$WRONG"
screen "a wrong code" '^CON That code is not right\.'
same "the wrong code counts" "$(sql "SELECT pin_failures FROM customer WHERE id = $CID")" 1
dial a2 "$C"; ans 1; ans "$CODE8"
screen "the right code asks for a PIN" '^CON Choose a PIN of 4 to 6 digits for paying'
same "and clears the count" "$(sql "SELECT pin_failures FROM customer WHERE id = $CID")" 0
ans 1234
screen "a trivial PIN is refused" '^CON That PIN is too easy to guess'
ans 4321
screen "... and another" '^CON That PIN is too easy to guess'
ans 5927
screen "the PIN is asked again" '^CON Enter the PIN again'
ans 5928
screen "a different confirmation is refused" '^CON The PINs do not match'
ans 5927
screen "activated" '^END Your account is active\. Dial \*384# and choose Pay merchant'
req "$ADMIN" GET "/v1/customers/$CID"
has "the DFSP sees it ACTIVE with a PIN" "$OUT" '"status":"ACTIVE".*"pin":\{"failures":0,"locked_until":null,"set":true\}|"pin":\{"set":true,"failures":0,"locked_until":null\}.*"status":"ACTIVE"|"status":"ACTIVE"'
has "... and a PIN set" "$OUT" '"set":true'
same "audit: enroll by the DFSP, activate by the phone" \
	"$(sql "SELECT count(*) FROM audit WHERE entity = 'customer' AND entity_id = '$CID' AND ((action = 'enroll' AND role = 'dfsp-admin') OR (action = 'activate' AND role = 'customer' AND actor = '255754111222'))")" 2

# ---- Pay merchant ----
dial p1 "$C"
screen "an active customer sees Pay merchant" '^1 Pay merchant$'
hasnt "... not Activate" "$OUT" 'Activate'
ans 1
screen "Pay merchant asks the till" '^CON Enter the till number:$'
BADTILL=$(printf %s "$TILL" | sed 's/.$//')$(( ( ${TILL#${TILL%?}} + 1 ) % 10 ))
ans "$BADTILL"
screen "a wrong check digit" '^CON Check the till number\.'
ans "$TILL"
screen "the till shows the shop's name" '^CON Pay MAMA JUMA SHOP \(till '"$TILL"'\)\. Amount in TZS:$'
ans 0
screen "amount 0 is refused" '^CON The amount must be more than 0\.'
ans 5000.505
screen "too many decimals are refused" '^CON Too many decimals in the amount\.'
dial p2 "$C"; ans 1; ans "$TILL"; ans -5
screen "a negative amount is refused" '^CON Enter an amount like 5000 or 5000\.50\.'
ans 5000
screen "the confirmation with thousands separators" '^CON Pay TZS 5,000\.00 to MAMA JUMA SHOP\? Enter PIN:$'
ans 5927
screen "paid, with a reference" '^END Paid TZS 5,000\.00 to MAMA JUMA SHOP, ref P[0-9a-f]{24}\.$'
REF=$(sed -n 's/.*ref \(P[0-9a-f]*\)\..*/\1/p' "$OUT")
same "the payment is COMMITTED, on-us, by USSD, 500000 minor units" \
	"$(sql "SELECT state || ' ' || on_us || ' ' || channel || ' ' || amount FROM payment WHERE id = '$REF'")" "COMMITTED 1 ussd 500000"
same "one SMS to the customer about it" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'sms' AND dest = '255754111222' AND body LIKE '%$REF%'")" 1
same "one SMS to the merchant about it" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'sms' AND dest = '255712582946' AND body LIKE '%$REF%'")" 1

# the direct string goes straight to the confirmation
dial d1 "$C" "*384*$TILL*2500#"
screen "the direct string asks the PIN at once" '^CON Pay TZS 2,500\.00 to MAMA JUMA SHOP\? Enter PIN:$'
ans 5927
screen "... and pays" '^END Paid TZS 2,500\.00 to MAMA JUMA SHOP, ref P[0-9a-f]{24}\.$'
REF2=$(sed -n 's/.*ref \(P[0-9a-f]*\)\..*/\1/p' "$OUT")
[ -n "$REF2" ] && [ "$REF2" != "$REF" ] && pass "a second payment, another reference" || fail "a second payment, another reference" "$REF2"
same "COMMITTED at 250000" "$(sql "SELECT state || ' ' || amount FROM payment WHERE id = '$REF2'")" "COMMITTED 250000"
same "SMS to both sides" "$(sql "SELECT count(*) FROM outbox WHERE body LIKE '%$REF2%' AND dest IN ('255754111222', '255712582946')")" 2
dial d2 "$M" "*384*$TILL*100#"
screen "the merchant's owner, not a customer, gets no pay flow from it" '^CON Invalid choice'

# over a limit: C0 allows TZS 50,000.00 per payment
dial l1 "$C" "*384*$TILL*60000#"
ans 5927
screen "over the per-payment limit, named" '^END Payment refused: over your per-payment limit of TZS 50,000\.00\.$'

# ---- 3 wrong PINs lock; the DFSP unlocks ----
dial k1 "$C" "*384*$TILL*100#"
ans 1111
screen "a wrong PIN" '^CON Wrong PIN\.'
ans 2222
screen "a second wrong PIN" '^CON Wrong PIN\.'
ans 3333
screen "the third locks" '^END Too many wrong PINs\. Paying is locked until 20[0-9-]{8} [0-9]{2}:[0-9]{2} UTC\. Demo DFSP can unlock it\.$'
dial k2 "$C" "*384*$TILL*100#"
ans 5927
screen "locked: even the right PIN is refused" '^END Too many wrong PINs'
req "$ADMIN" GET "/v1/customers/$CID"
has "the DFSP sees the lock" "$OUT" '"locked_until":"20'
same "audit: pin_locked" "$(sql "SELECT count(*) FROM audit WHERE action = 'pin_locked' AND entity_id = '$CID'")" 1
req "$ADMIN" POST "/v1/customers/$CID/unlock" '' -H 'Idempotency-Key: unlock-1'
code "the DFSP unlocks" 200
has "... no lock now" "$OUT" '"locked_until":null'
same "audit: pin_unlock by the DFSP" "$(sql "SELECT count(*) FROM audit WHERE action = 'pin_unlock' AND role = 'dfsp-admin' AND entity_id = '$CID'")" 1
dial k3 "$C" "*384*$TILL*100#"; ans 5927
screen "unlocked: pays again" '^END Paid TZS 100\.00'

# ---- suspended: cannot pay; reactivated: pays ----
req "$ADMIN" POST "/v1/customers/$CID/suspend" '{"reason":"card reported lost"}' -H 'Idempotency-Key: s-1'
code "the DFSP suspends" 200
has "SUSPENDED" "$OUT" '"status":"SUSPENDED"'
req "$ADMIN" POST "/v1/customers/$CID/suspend" '' -H 'Idempotency-Key: s-2'
code "suspending again is a conflict" 409
dial s1 "$C"
screen "a suspended customer still sees Pay merchant" '^1 Pay merchant$'
ans 1; ans "$TILL"
screen "... and is told at once that the account cannot pay" '^END Your account cannot pay now'
same "no payment was made" "$(sql "SELECT count(*) FROM payment WHERE payer_msisdn = '255754111222'")" 3
req "$ADMIN" POST "/v1/customers/$CID/reactivate" '' -H 'Idempotency-Key: s-3'
code "the DFSP reactivates" 200
dial s2 "$C" "*384*$TILL*100#"; ans 5927
screen "reactivated: pays" '^END Paid TZS 100\.00'
req "$ADMIN" POST "/v1/customers/$CID/approve" '' -H 'Idempotency-Key: s-4'
code "an unknown action" 404

# ---- a new activation code ----
req "$ADMIN" POST "/v1/customers/$CID/activation-code" '' -H 'Idempotency-Key: c-1'
code "the DFSP issues a new code" 200
has "... back to PENDING" "$OUT" '"status":"PENDING"'
NEWCODE=$(jfield activation_code)
dial n1 "$C"; ans 1; ans "$NEWCODE"; ans 7391; ans 7391
screen "the new code activates with a new PIN" '^END Your account is active'
dial n2 "$C" "*384*$TILL*100#"; ans 5927
screen "the old PIN is gone" '^CON Wrong PIN'

# ---- tenancy ----
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
code "DFSP B" 201
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"b-admin"}'
BKEY=$(jfield key)
req "$BKEY" GET "/v1/customers/$CID"
code "B cannot read A's customer" 404
req "$BKEY" POST "/v1/customers/$CID/unlock" '' -H 'Idempotency-Key: b-1'
code "B cannot unlock A's customer" 404
req "$BKEY" GET "/v1/customers?msisdn=%2B255754111222"
hasnt "B's list omits A's customer" "$OUT" 'Amina'
req "$BKEY" POST /v1/customers "$BODY" -H 'Idempotency-Key: b-2'
code "B may enrol the same phone for itself" 201
BCODE=$(jfield activation_code)
dial t0 "$C"
screen "a customer with an activation waiting elsewhere sees Activate" '^1 Activate my account$'
screen "... and Pay merchant" '^2 Pay merchant$'
ans 1; ans "$BCODE"; ans 8264; ans 8264
screen "B's code activates the phone at B" '^END Your account is active'
dial t1 "$C" "*384*$TILL*100#"
screen "a phone with accounts at two DFSPs picks one after the amount" '^CON Pay from which account\?'
screen "... listing the DFSPs by name" '^[12] Bank B$'
screen "... both of them" '^[12] Demo DFSP$'
N=$(sed -n 's/^\([12]\) Bank B$/\1/p' "$OUT")
ans "$N"
screen "the account chosen, the PIN" '^CON Pay TZS 100\.00 to MAMA JUMA SHOP\? Enter PIN:$'
ans 8264
screen "B's customer pays A's merchant: accepted for the switch" '^END Accepted, ref P[0-9a-f]{24}: it will be sent when the network is back, you will get an SMS\.$'
REF3=$(sed -n 's/.*ref \(P[0-9a-f]*\):.*/\1/p' "$OUT")
same "not on-us: QUEUED from bank-b" "$(sql "SELECT state || ' ' || on_us || ' ' || payer_dfsp FROM payment WHERE id = '$REF3'")" "QUEUED 0 bank-b"

# ---- secrets never logged ----
hasnt "no activation code in the log" "$LOG" "$CODE8|$NEWCODE"
hasnt "no PIN in the log" "$LOG" '5927|7391|8264|input=5928'
kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
hasnt "no errors logged" "$LOG" 'level=error'
finish
