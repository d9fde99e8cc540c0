# phone.sh -- black-box tests of 'tillgate phone': usage errors, argument
# checks, connection refused, and the HTTP exchange of the client.
#
# The exchange is checked against tests/cli/phone_peer.js, a tiny server
# on 127.0.0.1 that plays fixed Africa's Talking style replies and records
# what it receives: a PROTOCOL CHECK OF THE CLIENT (form fields, their
# encoding, the accumulated text, the bearer token, how replies and errors
# are shown), not a test of Tillgate's menus or of POST /ussd.
. "$(dirname "$0")/lib.sh"
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY TILLGATE_USSD_TOKEN
M=+255712345678

# ---- usage and argument checks (no server needed) ----
tg phone --help;                 status "phone --help" 0
has "help shows the usage" "$OUT" '^usage: tillgate phone --msisdn NUMBER'
tg help phone;                   status "tillgate help phone" 0
tg help;                         status "tillgate help" 0
has "help lists the phone command" "$OUT" '^  phone +a feature phone'
tg phone;                        status "phone without --msisdn" 2
has "the missing option is named" "$ERR" '^tillgate phone: --msisdn is required$'
tg phone --msisdn $M --bogus;    status "an unknown option" 2
tg phone --msisdn $M extra;      status "a stray argument" 2
has "the stray argument is named" "$ERR" 'unexpected argument "extra"'
tg phone --msisdn 2557x2345678 --input 1; status "a letter in the number" 2
has "the position of the letter" "$ERR" '^tillgate phone: --msisdn: position 5: expected a digit$'
tg phone --msisdn +2550712345678 --input 1; status "a trunk 0 after the country code" 2
has "the E.164 check says why" "$ERR" '^tillgate phone: --msisdn: '
tg phone --msisdn 12 --input 1;  status "a number too short" 2
for d in '384#' '*384' '*384*#' '**384#' '*38a4#' '*384#1' '*1234567#' '*384*1*2*3*4*5*6*7*8*9#' ''; do
	tg phone --msisdn $M --dial "$d" --input 1
	status "dial string '$d' refused" 2
done
tg phone --msisdn $M --dial '*38a4#' --input 1
has "the dial error names the position" "$ERR" \
	"^tillgate phone: --dial \"\\*38a4#\": position 4 \\('a'\\): expected a digit, '\\*' or '#'"
tg phone --msisdn $M --dial '*384' --input 1
has "an unfinished dial string says so" "$ERR" "position 5: ends early"
tg phone --msisdn $M --url ftp://x/ --input 1;        status "a URL that is not http" 2
tg phone --msisdn $M --network 639 --input 1;         status "a network code too short" 2
tg phone --msisdn $M --session 'a b' --input 1;       status "a session id with a space" 2
has "the session id position" "$ERR" '^tillgate phone: --session: position 2: '
tg phone --msisdn $M --token 'a b' --input 1;         status "a token with a space" 2
hasnt "the token is not echoed" "$ERR" 'a b'
TILLGATE_USSD_TOKEN="$(printf 'x\ty')" "$TILLGATE" phone --msisdn $M --input 1 >"$OUT" 2>"$ERR"; RC=$?
status "a bad token in the environment" 2
has "the environment variable is named" "$ERR" 'TILLGATE_USSD_TOKEN: position 2'
tg phone --msisdn $M --input "$(printf 'a\nb')"; status "an input with a line break" 2
has "the input is numbered" "$ERR" '^tillgate phone: --input 1: holds a line break$'
tg phone --msisdn $M --input 1 --input "$(printf '\377')"; status "an input that is not UTF-8" 2
has "the bad byte is located" "$ERR" '^tillgate phone: --input 2: not valid UTF-8 at byte 0$'
tg phone --msisdn $M --input "$(printf '%0183d' 0)"; status "an input longer than a USSD string" 2

# ---- connection refused: nothing listens on port 1 ----
tg phone --msisdn $M --url http://127.0.0.1:1/ussd --input 1
status "connection refused" 1
has "the URL is named" "$ERR" '^tillgate phone: cannot connect to http://127.0.0.1:1/ussd: '

# ---- the exchange, against the protocol-check server ----
LOG=$T_DIR/peer.log
node "$(dirname "$0")/phone_peer.js" "$T_DIR/port" "$LOG" &
PEER=$!
trap 'kill $PEER 2>/dev/null; rm -rf "$T_DIR"' EXIT
i=0
while [ ! -s "$T_DIR/port" ] && [ $i -lt 200 ] && kill -0 $PEER 2>/dev/null; do
	sleep 0.05; i=$((i + 1))
done
if [ ! -s "$T_DIR/port" ]; then
	fail "the protocol-check server started"
	tg phone --url "$URL/ucs2" --msisdn $M --json </dev/null
has "--json keeps UTF-8 as it is" "$OUT" '^\{"screen":1,"type":"END","text":"Asante ✓","characters":8,"encoding":"ucs2","units":8,"fits":true,"input":null\}$'
finish
fi
URL=http://127.0.0.1:$(cat "$T_DIR/port")
# req N FIELD: FIELD of the Nth request the server recorded (1-based).
req() { node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n");
const r=JSON.parse(l[+process.argv[2]-1]||"null");
const v=r&&process.argv[3].split(".").reduce((o,k)=>o==null?o:o[k],r);
process.stdout.write(v==null?"<none>":String(v))' "$LOG" "$1" "$2"; }
nreq() { if [ -f "$LOG" ]; then wc -l <"$LOG" | tr -d ' '; else echo 0; fi; }

: >"$LOG"
tg phone --url "$URL/ussd" --msisdn $M --session S-1 --input 1 --input "Mama Juma"
status "the two-screen dialogue" 0
same "scripted output shows each screen and answer" "$(cat "$OUT")" "--- screen 1 (CON) ---
Welcome to Tillgate
1 Register business
2 Pay a merchant
> 1
--- screen 2 (CON) ---
Business name?
> Mama Juma
--- screen 3 (END) ---
Asante Mama Juma!
Till 100042 is yours. [SMS follows]"
same "three requests" "$(nreq)" 3
same "request 1: exact form body, text empty" "$(req 1 body)" \
	'sessionId=S-1&serviceCode=%2A384%23&phoneNumber=%2B255712345678&networkCode=63902&text='
same "request 2: text is the first answer" "$(req 2 body)" \
	'sessionId=S-1&serviceCode=%2A384%23&phoneNumber=%2B255712345678&networkCode=63902&text=1'
same "request 3: answers joined by '*', '*' and space encoded" "$(req 3 body)" \
	'sessionId=S-1&serviceCode=%2A384%23&phoneNumber=%2B255712345678&networkCode=63902&text=1%2AMama%20Juma'
same "the server decodes text 3" "$(req 3 fields.text)" '1*Mama Juma'
same "a POST" "$(req 1 method)" POST
same "form content type" "$(req 2 ctype)" 'application/x-www-form-urlencoded'
same "no Authorization without a token" "$(req 1 auth)" '<none>'

# a direct string is sent as dialled; the number without + gets one; a
# random session id is the same on every request
: >"$LOG"
tg phone --url "$URL/ussd" --msisdn 255712345678 --dial '*384*1#' --network 63907 --input 1 --input "Mama Juma"
status "direct dial string" 0
same "serviceCode as dialled" "$(req 1 fields.serviceCode)" '*384*1#'
same "phoneNumber with +" "$(req 1 fields.phoneNumber)" '+255712345678'
same "networkCode" "$(req 1 fields.networkCode)" '63907'
s1=$(req 1 fields.sessionId); s3=$(req 3 fields.sessionId)
same "one random session id for the dialogue" "$s3" "$s1"
case $s1 in phone-????????????????) pass "random session id looks like phone-HEX" ;;
	*) fail "random session id looks like phone-HEX" "got $s1" ;; esac
tg phone --url "$URL/ussd" --msisdn $M --input 1 --input "Mama Juma"
same "a second run gets another id" "$([ "$(req 4 fields.sessionId)" != "$s1" ] && echo differs)" differs

# answers from standard input, one per line (CRLF too)
: >"$LOG"
tgin "$(printf '1\r\nMama Juma\n')" phone --url "$URL/ussd" --msisdn $M --session S-2
status "answers from standard input" 0
same "text 3 from stdin" "$(req 3 fields.text)" '1*Mama Juma'
has "stdin answers are echoed" "$OUT" '^> Mama Juma$'

# the bearer token: option and environment
: >"$LOG"
tg phone --url "$URL/auth" --msisdn $M --token s3cr3t-T0ken
status "the token is accepted" 0
same "Authorization header" "$(req 1 auth)" 'Bearer s3cr3t-T0ken'
TILLGATE_USSD_TOKEN=s3cr3t-T0ken "$TILLGATE" phone --url "$URL/auth" --msisdn $M </dev/null >"$OUT" 2>"$ERR"; RC=$?
status "the token from TILLGATE_USSD_TOKEN" 0
same "Authorization header from the environment" "$(req 2 auth)" 'Bearer s3cr3t-T0ken'
tg phone --url "$URL/auth" --msisdn $M --token wrong </dev/null
status "a wrong token: HTTP 401" 1
has "status and body are shown" "$ERR" "^tillgate phone: HTTP 401 from $URL/auth: bad or missing token$"
hasnt "the token is never printed" "$ERR" 'wrong'

# inputs and END out of step
tg phone --url "$URL/ussd" --msisdn $M --input 1
status "inputs run out while the menu asks" 1
has "says the menu still asks" "$ERR" '^tillgate phone: the menu still asks for input after the last --input$'
has "the screens before are shown" "$OUT" '^Business name\?$'
tgin "1
" phone --url "$URL/ussd" --msisdn $M
status "stdin runs out while the menu asks" 1
has "says so for standard input" "$ERR" 'still asks for input after the last line of standard input$'
tg phone --url "$URL/early" --msisdn $M --input 1 --input 2
status "END before the inputs ran out" 1
has "names the unsent input" "$ERR" '^tillgate phone: the session ended \(END\) before input 1 \("1"\) was sent$'
has "the final screen is shown" "$OUT" '^Service closed for maintenance$'
tg phone --url "$URL/early" --msisdn $M </dev/null
status "END at once, no inputs" 0

# bad replies
tg phone --url "$URL/http500" --msisdn $M --input 1
status "HTTP 500" 1
has "status and body" "$ERR" "^tillgate phone: HTTP 500 from $URL/http500: database is locked$"
tg phone --url "$URL/garbage" --msisdn $M --input 1
status "a reply that is neither CON nor END" 1
has "says so with the first bytes" "$ERR" '^tillgate phone: the reply starts with neither CON nor END: "HELLO\\x09there, this is not USSD"$'
tg phone --url "$URL/badutf8" --msisdn $M
status "a reply that is not UTF-8" 1
has "the byte offset" "$ERR" 'not valid UTF-8 at byte 5$'
tg phone --url "$URL/nosuch" --msisdn $M --input 1
status "HTTP 404" 1
tg phone --url "$URL/empty" --msisdn $M </dev/null
status "a bare END" 0
same "an empty final screen: its header and an empty line" "$(od -c <"$OUT" | head -2 | tr -s ' ')" \
	"$(printf -- '--- screen 1 (END) ---\n\n' | od -c | head -2 | tr -s ' ')"

# lengths
tg phone --url "$URL/long" --msisdn $M --verbose --input 1
has "verbose: a screen over 182 septets" "$OUT" '^\[183 characters, 183 septets of 182: does NOT fit\]$'
has "a warning for it even so" "$ERR" '^tillgate phone: warning: screen 1 does not fit one USSD string \(183 septets, at most 182\)$'
tg phone --url "$URL/ucs2" --msisdn $M --verbose </dev/null
status "a UCS-2 screen" 0
has "verbose: UCS-2 units" "$OUT" '^\[8 characters, UCS-2: 8 units of 80: fits\]$'
hasnt "no warning when it fits" "$ERR" 'warning'

# interactive mode, in a pseudo-terminal (script(1), util-linux): the
# answer is typed, then Ctrl-D hangs up
: >"$LOG"
printf '1\n\004' | script -qec "'$TILLGATE' phone --url $URL/ussd --msisdn $M" /dev/null >"$OUT" 2>"$ERR"
RC=$?
status "interactive: Ctrl-D hangs up" 0
has "interactive: the first screen" "$OUT" '^Welcome to Tillgate'
has "interactive: the second screen" "$OUT" 'Business name\?'
has "interactive: says it hung up" "$OUT" 'tillgate phone: hung up'
same "interactive: the dial and one answer were sent" "$(nreq)" 2
same "interactive: the typed answer" "$(req 2 fields.text)" 1
printf '' | script -qec "'$TILLGATE' phone --json --url $URL/ussd --msisdn $M" /dev/null >"$OUT" 2>"$ERR"
RC=$?
status "interactive: --json is a usage error" 2
has "interactive: --json needs scripted mode" "$OUT" '\-\-json needs scripted mode'

# --json
tg phone --url "$URL/ussd" --msisdn $M --json --input 1 --input "Mama Juma"
status "--json" 0
same "one object per screen" "$(wc -l <"$OUT" | tr -d ' ')" 3
has "screen 1 with its answer" "$OUT" '^\{"screen":1,"type":"CON","text":"Welcome to Tillgate\\n1 Register business\\n2 Pay a merchant","characters":56,"encoding":"gsm","units":56,"fits":true,"input":"1"\}$'
has "the last screen: no answer; [ and ] count two septets" "$OUT" \
	'^\{"screen":3,"type":"END","text":"Asante Mama Juma!\\nTill 100042 is yours. \[SMS follows\]","characters":53,"encoding":"gsm","units":55,"fits":true,"input":null\}$'
tg phone --url "$URL/ucs2" --msisdn $M --json </dev/null
has "--json keeps UTF-8 as it is" "$OUT" '^\{"screen":1,"type":"END","text":"Asante ✓","characters":8,"encoding":"ucs2","units":8,"fits":true,"input":null\}$'
finish
