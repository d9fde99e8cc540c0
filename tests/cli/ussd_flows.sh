# ussd_flows.sh -- black-box test of the USSD flows "Register business"
# and "My business" through the real daemon's POST /ussd (the aggregator
# transport), checked against the admin API, the audit rows and the
# outbox table (sqlite3 on the database file):
#  - registration end to end: every step's screen, a wrong answer at each
#    step with its retry prompt, a trivial PIN, a mismatched confirmation;
#    the till on the last screen, the merchant APPROVED at T0 with the
#    caller as owner, its location and till, its PIN state, the SMS with
#    the till number and the DFSP's name, the audit rows;
#  - a registration cancelled at the summary leaves nothing;
#  - My business: the right PIN opens it; till number by SMS; a tier
#    upgrade request recorded (and a second one refused as pending);
#    PIN change (old, new, again); 3 wrong PINs lock the merchant out,
#    the DFSP sees it in GET /v1/merchants/{id} and unlocks it;
#  - no PIN reaches the log.
# Cheap Argon2id parameters (through the same keys) keep it fast.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
api_start --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8 --set ussd.pin_lock_s=3600 \
	--set gateway.log_level=debug
DB=$D/tillgate.db
A=+255712582946	# registers, then uses My business
B=+255713000111	# cancels

# dial SID PHONE: opens dialogue SID; ans ANSWER: the next answer. The
# screen is in $OUT (first line "CON ..." or "END ..."), the status in $CODE.
dial() { SID=$1 PHONE=$2 TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=*384#" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
# screen WHAT ERE: the screen (status 200) has a line matching ERE.
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2"; fi
}
sql() { sqlite3 "$DB" "$1"; }

# ---- Register business ----
dial r1 "$A"
screen "an unknown number sees Register business" '^CON .*|^1 Register business$'
hasnt "an unknown number does not see My business" "$OUT" 'My business'
ans 1
screen "registration asks the business name" 'Business name'
ans "THIS NAME IS FAR TOO LONG FOR A QR"
screen "a name over 25 characters is refused" '^CON Use 1 to 25 letters'
screen "... and the name asked again" 'Business name'
ans "MAMA JUMA SHOP"
screen "the name leads to the business groups" 'Business group:'
screen "... listed from the MCC table's ranges" '^5 Wholesale, food, hardware, cars$'
ans 99
screen "a group number out of range is refused" '^CON Invalid choice'
ans 5
screen "a group lists its business types" 'Type of business:'
ans 98
screen "the types page on" '^6 '
ans 1
screen "the type leads to the national ID" 'National ID number \(TZ NIDA'
ans 12345
screen "an ID of the wrong pattern is refused" '^CON That ID number is not valid'
ans 19900101123450000112
screen "the ID leads to the town" 'Town or district'
ans "A TOWN NAME TOO LONG"
screen "a town over 15 characters is refused" '^CON Use 1 to 15 letters'
ans ARUSHA
screen "the town leads to the new PIN" 'Choose a PIN of 4 to 6 digits'
ans 1234
screen "a trivial PIN is refused" '^CON That PIN is too easy to guess'
ans 12
screen "a PIN of 2 digits is refused" '^CON The PIN must be 4 to 6 digits'
ans 4817
screen "the PIN is asked again" 'Enter the PIN again'
ans 4818
screen "a different confirmation is refused" '^CON The PINs do not match'
ans 4817
screen "the summary shows the name" '^CON Register MAMA JUMA SHOP$'
screen "... the ID" '^ID: 19900101123450000112$'
screen "... the town" '^Town: ARUSHA$'
screen "... and confirm or cancel" '^2 Cancel$'
ans 1
screen "confirmation ends with the till number" '^END MAMA JUMA SHOP is registered\. Your till number is [0-9]{7}\.'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
MID=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL'")
[ -n "$MID" ] && pass "the till $TILL is in the till table" || fail "the till $TILL is in the till table"

req "$ADMIN" GET "/v1/merchants/$MID"
code "the DFSP reads the new merchant" 200
has "it is APPROVED" "$OUT" '"status":"APPROVED"'
has "at tier T0" "$OUT" '"tier":"T0"'
has "the caller is its owner" "$OUT" "\"owners\":\\[\\{[^]]*\"phone\":\"\\$A\""
has "its location is the town" "$OUT" '"city":"ARUSHA"'
has "the location has the till" "$OUT" "\"till_number\":\"$TILL\""
has "its MCC is the type chosen" "$OUT" '"mcc":"5013"'
has "its USSD PIN is set, no failures, not locked" "$OUT" '"ussd_pin":\{"set":true,"failures":0,"locked_until":null\}'
same "one SMS to the caller with the till and the DFSP" \
	"$(sql "SELECT count(*) FROM outbox WHERE kind = 'sms' AND dest = '255712582946' AND ref = '$MID' AND body LIKE '%$TILL%' AND body LIKE '%Demo DFSP%'")" 1
same "audit: self_register by the caller" \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'self_register' AND role = 'merchant' AND actor = '$A' AND entity_id = '$MID'")" 1
same "audit: pin_set by the caller, without the hash" \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'pin_set' AND actor = '$A' AND entity_id = '$MID' AND after_json NOT LIKE '%argon%'")" 1

# ---- cancelled at the summary ----
dial r2 "$B"
for a in 1 "DUKA LA B" 5 1 19900101123450000112 MOSHI 5930 5930; do ans "$a"; done
screen "B reaches the summary" '^CON Register DUKA LA B$'
ans 2
screen "cancel at the summary ends the dialogue" '^END Registration cancelled'
same "nothing is stored for B" \
	"$(sql "SELECT (SELECT count(*) FROM owner WHERE phone = '$B') + (SELECT count(*) FROM outbox WHERE dest = '255713000111')")" 0

# ---- My business ----
dial b1 "$A"
screen "an owner sees My business" '^1 My business$'
hasnt "an owner does not see Register business" "$OUT" 'Register business'
ans 1
screen "My business asks the PIN first" '^CON Enter your PIN:$'
ans 4817
screen "the right PIN opens the menu" '^1 Send my till number by SMS$'
screen "with payments, My business shows today's takings" '^5 Today'"'"'s takings$'
screen "... and the last payments" '^6 Last payments$'
ans 1
screen "the till number goes by SMS" "^END Your till number $TILL is on its way by SMS"
same "a second SMS with the till is queued" \
	"$(sql "SELECT count(*) FROM outbox WHERE dest = '255712582946' AND body LIKE '%$TILL%'")" 2

dial b2 "$A"; ans 1; ans 4817; ans 2
screen "a tier upgrade request is sent" '^END Request for tier T1 sent\. Your DFSP needs: '
screen "... naming what the DFSP needs, in words" 'trading permit'
same "the tier request is recorded, PENDING, by the caller" \
	"$(sql "SELECT count(*) FROM tier_request WHERE merchant_id = '$MID' AND from_tier = 'T0' AND to_tier = 'T1' AND status = 'PENDING' AND requested_by = '$A'")" 1
same "audit: tier_request by the merchant" \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'tier_request' AND role = 'merchant' AND actor = '$A'")" 1
dial b3 "$A"; ans 1; ans 4817; ans 2
screen "a second request while one is pending is refused" '^END You have asked for a higher tier already'

# change PIN: old, new (a trivial one refused), again
dial b4 "$A"; ans 1; ans 4817; ans 3
screen "change PIN asks the current PIN" 'Enter your current PIN'
ans 4817
screen "... then a new PIN" 'Enter a new PIN'
ans 2946
screen "a new PIN equal to the phone's last digits is refused" '^CON That PIN is too easy to guess'
ans 5930
screen "... asked again" 'Enter the new PIN again'
ans 5930
screen "the PIN is changed" '^END Your PIN is changed'
same "audit: pin_change" "$(sql "SELECT count(*) FROM audit WHERE action = 'pin_change' AND entity_id = '$MID'")" 1
dial b5 "$A"; ans 1; ans 4817
screen "the old PIN no longer opens My business" '^CON Wrong PIN\.'
ans 5930
screen "the new PIN does" '^1 Send my till number by SMS$'

# three wrong PINs in a row lock the merchant out
dial b6 "$A"; ans 1; ans 1111
screen "a wrong PIN asks again" '^CON Wrong PIN\.'
ans 2222
screen "a second wrong PIN asks again" '^CON Wrong PIN\.'
ans 3333
screen "the third locks My business" '^END Too many wrong PINs\. My business is locked until [0-9-]+ [0-9:]+ UTC'
req "$ADMIN" GET "/v1/merchants/$MID"
has "the DFSP sees the lock-out" "$OUT" '"ussd_pin":\{"set":true,"failures":3,"locked_until":"20[0-9-]+T[0-9:.]+Z"\}'
same "audit: pin_locked" "$(sql "SELECT count(*) FROM audit WHERE action = 'pin_locked' AND entity_id = '$MID'")" 1
dial b7 "$A"; ans 1; ans 5930
screen "while locked even the right PIN is refused" '^END Too many wrong PINs'

MAKER=$(req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"maker","user":"mia"}'; jfield key)
CHECKER=$(req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"checker","user":"carl"}'; jfield key)
req "$MAKER" POST "/v1/merchants/$MID/pin/unlock"
code "a maker may not unlock" 403
req "$CHECKER" POST "/v1/merchants/$MID/pin/unlock"
code "a checker unlocks" 200
has "... failures cleared, no lock" "$OUT" '"ussd_pin":\{"set":true,"failures":0,"locked_until":null\}'
same "audit: pin_unlock by the checker" \
	"$(sql "SELECT count(*) FROM audit WHERE action = 'pin_unlock' AND actor = 'carl' AND role = 'checker' AND entity_id = '$MID'")" 1
req "$CHECKER" POST "/v1/merchants/99999997/pin/unlock"
code "unlock of an unknown merchant" 404
dial b8 "$A"; ans 1; ans 5930
screen "after the unlock the PIN opens My business" '^1 Send my till number by SMS$'

# ---- secrets ----
# At debug level, where the engine logs every other answer.
grep -E 'cat=(ussd|merchant|db)' "$LOG" >"$T_DIR/ussd.log"
has "the dialogues are in the debug log" "$T_DIR/ussd.log" 'cat=ussd .*ARUSHA'
hasnt "no PIN in the log" "$T_DIR/ussd.log" '4817|5930|4818|1111|2222|3333'
hasnt "no PIN hash in the log" "$LOG" 'argon2'

kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=
finish
