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
MAIN="CON Tillgate${NL}1 Register business${NL}2 Language"
LANGS="CON Choose your language${NL}1 English${NL}2 Kiswahili${NL}3 Français${NL}0 Back"

# ---- the route ----
tg routes
has "tillgate routes lists POST /ussd" "$OUT" '^POST /ussd$'

# ---- an unknown number ----
ussd s1 +255700000001 ""
screen "an unknown number sees the main menu" "$MAIN"
has "text/plain in UTF-8" "$HDR" '^[Cc]ontent-[Tt]ype: text/plain; charset=utf-8'
ussd s1 +255700000001 "2"
screen "2 opens Language" "$LANGS"
ussd s1 +255700000001 "2*0"
screen "0 goes back" "$MAIN"
ussd s1 +255700000001 "2*0*2"
screen "2 again" "$LANGS"
ussd s1 +255700000001 "2*0*2*00"
screen "00 returns to the main menu" "$MAIN"
ussd s1 +255700000001 "2*0*2*00"
code "a repeated request is refused" 409
has "naming the field" "$OUT" "field 'text': 4 answers, but the dialogue has consumed 4"

# ---- tries ----
ussd s2 +255700000002 ""
ussd s2 +255700000002 "7"
screen "an invalid choice asks again" "CON Invalid choice.${NL}Tillgate${NL}1 Register business${NL}2 Language"
ussd s2 +255700000002 "7*x"
screen "a second one too" "CON Invalid choice.${NL}Tillgate${NL}1 Register business${NL}2 Language"
ussd s2 +255700000002 "7*x*9"
screen "the third ends the dialogue with the reason" "END Too many tries. Invalid choice."
ussd s2 +255700000002 "7*x*9*1"
screen "and the dialogue is gone" "END Your session has expired. Please dial again."

# ---- language ----
ussd s3 +255700000003 ""
ussd s3 +255700000003 "2"
ussd s3 +255700000003 "2*2"
screen "Swahili chosen" "CON Lugha: Kiswahili${NL}Tillgate${NL}1 Sajili biashara${NL}2 Lugha"
ussd s4 +255700000003 ""
screen "the next dialogue is in Swahili" "CON Tillgate${NL}1 Sajili biashara${NL}2 Lugha"
ussd s4 +255700000003 "2*3"
screen "French chosen, answers fed in order" "CON Langue : Français${NL}Tillgate${NL}1 Inscrire mon commerce${NL}2 Langue"
ussd s5 +255700000001 ""
screen "other numbers keep English" "$MAIN"

# ---- direct strings ----
ussd s6 +255700000004 "" "*384*2#"
screen "*384*2# opens the second entry" "$LANGS"
ussd s6 +255700000004 "2"
screen "and goes on from there" "CON Lugha: Kiswahili${NL}Tillgate${NL}1 Sajili biashara${NL}2 Lugha"
ussd s7 +255700000005 "" "*385#"
screen "another service code ends" "END Unknown service. Please check the code you dialled."
ussd s8 +255700000005 "" "*384*2*3#"
screen "several parts" "CON Langue : Français${NL}Tillgate${NL}1 Inscrire mon commerce${NL}2 Langue"

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

# ---- restart: the language is in the database; idle dialogues expire ----
kill "$PID"; wait "$PID"; PID=
: >"$LOG"
api_start --set ussd.http_token=$TOK --set ussd.idle_timeout_s=1
ussd r1 +255700000003 ""
screen "the language survives a restart" "CON Tillgate${NL}1 Inscrire mon commerce${NL}2 Langue"
ussd r2 +255700000001 ""
screen "a dialogue opens" "$MAIN"
sleep 2
ussd r2 +255700000001 "1"
screen "after the idle timeout it has expired" "END Your session has expired. Please dial again."
has "the log says why" "$LOG" 'msg="dialogue ends" key=http:r2 msisdn=255700000001 why=idle'
finish
