# ussd_http.sh -- black-box tests of the USSD aggregator transport
# (POST /ussd, docs/ussd.md): the real daemon on a free loopback port,
# curl as the aggregator. Main menu for an unknown number, 0 and 00,
# three tries, the language kept across dialogues and restarts, direct
# strings, the token, malformed forms, and an idle dialogue's expiry.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
TOK=ussd-test-token
api_start --set ussd.http_token=$TOK

# ussd SESSION PHONE TEXT [SERVICE_CODE]: one aggregator request with the
# token; the body in $OUT, the status in $CODE.
ussd() {
	CODE=$(curl -s -o "$OUT" -D "$HDR" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
		--data-urlencode "sessionId=$1" --data-urlencode "serviceCode=${4:-*384#}" \
		--data-urlencode "phoneNumber=$2" --data-urlencode "networkCode=63902" \
		--data-urlencode "text=$3" "$U/ussd")
}
# screen WHAT EXPECTED: the last reply was 200 with this body.
screen() {
	if [ "$CODE" = 200 ]; then same "$1" "$(cat "$OUT")" "$2"; else fail "$1" "HTTP $CODE"; fi
}
NL='
'
LANGS="CON Choose your language${NL}1 English${NL}2 Kiswahili${NL}3 Français${NL}0 Back"

# ---- the route ----
tg routes
has "tillgate routes lists POST /ussd" "$OUT" '^POST /ussd$'

# ---- an unknown number ----
# The main menu's other entries belong to the flows (ussd/ussd_flows.c):
# the checks below find Language's number (L) on the screen.
ussd s1 +255700000001 ""
MAIN=$(cat "$OUT")
MAINB=${MAIN#CON }
L=$(sed -n 's/^\([0-9]*\) Language$/\1/p' "$OUT")
has "an unknown number sees the main menu" "$OUT" '^CON Tillgate$'
if [ -n "$L" ]; then pass "with Language (entry $L)"; else fail "with Language" "no 'N Language' line"; fi
hasnt "but not My business" "$OUT" 'My business'
has "text/plain in UTF-8" "$HDR" '^[Cc]ontent-[Tt]ype: text/plain; charset=utf-8'
ussd s1 +255700000001 "$L"
screen "$L opens Language" "$LANGS"
ussd s1 +255700000001 "$L*0"
screen "0 goes back" "$MAIN"
ussd s1 +255700000001 "$L*0*$L"
screen "$L again" "$LANGS"
ussd s1 +255700000001 "$L*0*$L*00"
screen "00 returns to the main menu" "$MAIN"
ussd s1 +255700000001 "$L*0*$L*00"
code "a repeated request is refused" 409
has "naming the field" "$OUT" "field 'text': 4 answers, but the dialogue has consumed 4"

# ---- tries ----
ussd s2 +255700000002 ""
ussd s2 +255700000002 "77"
screen "an invalid choice asks again" "CON Invalid choice.${NL}${MAINB}"
ussd s2 +255700000002 "77*x"
screen "a second one too" "CON Invalid choice.${NL}${MAINB}"
ussd s2 +255700000002 "77*x*9"
screen "the third ends the dialogue with the reason" "END Too many tries. Invalid choice."
ussd s2 +255700000002 "77*x*9*1"
screen "and the dialogue is gone" "END Your session has expired. Please dial again."

# ---- language ----
ussd s3 +255700000003 ""
ussd s3 +255700000003 "$L"
ussd s3 +255700000003 "$L*2"
SWSAVED=$(cat "$OUT")
ussd s4 +255700000003 ""
SWMAIN=$(cat "$OUT")
has "the next dialogue is in Swahili" "$OUT" "^$L Lugha\$"
hasnt "none of it in English" "$OUT" 'Language|business'
same "Swahili chosen: the notice above the Swahili main menu" "$SWSAVED" \
	"CON Lugha: Kiswahili${NL}${SWMAIN#CON }"
ussd s4 +255700000003 "$L*3"
FRSAVED=$(cat "$OUT")
has "French chosen, answers fed in order" "$OUT" '^CON Langue : Français$'
has "the menu in French" "$OUT" "^$L Langue\$"
ussd s5 +255700000001 ""
screen "other numbers keep English" "$MAIN"

# ---- direct strings ----
ussd s6 +255700000004 "" "*384*$L#"
screen "*384*$L# opens that entry" "$LANGS"
ussd s6 +255700000004 "2"
screen "and goes on from there" "$SWSAVED"
ussd s7 +255700000005 "" "*385#"
screen "another service code ends" "END Unknown service. Please check the code you dialled."
ussd s8 +255700000005 "" "*384*$L*3#"
screen "several parts" "$FRSAVED"

# ---- token ----
CODE=$(curl -s -o "$OUT" -w '%{http_code}' --data 'sessionId=t&serviceCode=*384%23&phoneNumber=255700000009&text=' "$U/ussd")
code "no token" 401
CODE=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Authorization: Bearer wrong' --data 'sessionId=t&serviceCode=*384%23&phoneNumber=255700000009&text=' "$U/ussd")
code "a wrong token" 401

# ---- malformed forms ----
post() { CODE=$(curl -s -o "$OUT" -w '%{http_code}' -H "Authorization: Bearer $TOK" --data-binary "$1" "$U/ussd"); }
post 'sessionId=a&serviceCode=*384%23&text='
code "a missing field" 400
same "named" "$(cat "$OUT")" "missing field 'phoneNumber'"
post 'sessionId=a&sessionId=b&serviceCode=*384%23&phoneNumber=255700000009&text='
code "a field given twice" 400
same "named with its position" "$(cat "$OUT")" "malformed form: field 'sessionId' at byte 12: given twice"
post 'sessionId=a&serviceCode=*384%2&phoneNumber=255700000009&text='
code "a bad escape" 400
same "named with its position" "$(cat "$OUT")" "malformed form: field 'serviceCode': bad percent escape at byte 28"
post 'sessionId=a&serviceCode=*384%23&phoneNumber=07000&text='
code "a phone number that is not E.164" 400
has "named" "$OUT" "^field 'phoneNumber': not an E.164 number"
post 'sessionId=ok&serviceCode=*384%23&phoneNumber=%2B255700000008&text=&extra=1&networkCode=x'
code "unknown fields are ignored" 200
LONG=$(printf '%0700d' 1)
post "sessionId=ok&serviceCode=*384%23&phoneNumber=%2B255700000008&text=$LONG"
code "an answer over 640 bytes" 400
same "named" "$(cat "$OUT")" "field 'text': an answer is longer than 640 bytes"
post "sessionId=ok&serviceCode=*384%23&phoneNumber=%2B255700000008&text=$(printf '%09000d' 1)"
code "text over 8192 bytes" 400
same "named" "$(cat "$OUT")" "field 'text': longer than 8192 bytes"

# ---- restart: the language is in the database; idle dialogues expire ----
kill "$PID"; wait "$PID"; PID=
: >"$LOG"
api_start --set ussd.http_token=$TOK --set ussd.idle_timeout_s=1
ussd r1 +255700000003 ""
has "the language survives a restart" "$OUT" "^$L Langue\$"
ussd r2 +255700000001 ""
screen "a dialogue opens" "$MAIN"
sleep 2
ussd r2 +255700000001 "1"
screen "after the idle timeout it has expired" "END Your session has expired. Please dial again."
has "the log says why" "$LOG" 'msg="dialogue ends" key=http:r2 msisdn=255700000001 why=idle'
finish
