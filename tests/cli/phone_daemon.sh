# phone_daemon.sh -- black-box: 'tillgate phone' against the real daemon's
# POST /ussd (fresh data folder, free loopback port, a token): scripted
# dialogues through the menus, direct strings, the token, --json and
# --verbose, and the exit statuses when END and the inputs are out of step;
# a customer enrolled over the API activates and changes the PIN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY TILLGATE_USSD_TOKEN
TOK=phone-test-token
# cheap Argon2id parameters (the same keys) keep the PIN screens fast
api_start --set ussd.http_token=$TOK --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8
P="phone --url $U/ussd --token $TOK"

# three invalid answers end the dialogue: END after the last input
tg $P --msisdn +255700000021 --input 7 --input x --input 9
status "a dialogue that ends with END after the last input" 0
same "every screen and answer" "$(cat "$OUT")" "--- screen 1 (CON) ---
Tillgate
1 Register business
2 Pay merchant
3 Language
> 7
--- screen 2 (CON) ---
Invalid choice.
Tillgate
1 Register business
2 Pay merchant
3 Language
> x
--- screen 3 (CON) ---
Invalid choice.
Tillgate
1 Register business
2 Pay merchant
3 Language
> 9
--- screen 4 (END) ---
Too many tries. Invalid choice."

# the same with one input too many
tg $P --msisdn +255700000022 --input 7 --input x --input 9 --input 2
status "END before the last input" 1
has "names the input left over" "$ERR" '^tillgate phone: the session ended \(END\) before input 4 \("2"\) was sent$'

# choosing a language: the menu still asks after the last input
tg $P --msisdn +255700000023 --verbose --input 3 --input 2
status "the menu still asks after the last input" 1
has "says so" "$ERR" '^tillgate phone: the menu still asks for input after the last --input$'
has "the language was chosen" "$OUT" '^Lugha: Kiswahili$'
has "a screen with ç is UCS-2, and fits" "$OUT" '^\[60 characters, UCS-2: 60 units of 80: fits\]$'
has "a GSM screen in septets" "$OUT" '^\[54 characters, 54 septets of 182: fits\]$'
hasnt "no screen is too long" "$ERR" 'warning'
# the choice was stored: the next dialogue is in Swahili
tg $P --msisdn 255700000023 --input 7 --input 7 --input 7
status "the next dialogue, number without +" 0
has "is in Swahili" "$OUT" '^3 Lugha$'

# direct strings, answers on standard input
tgin "3
" $P --msisdn +255700000024 --dial '*384*3#'
status "a direct string, then an answer from standard input" 1
has "the direct string opened the language list" "$OUT" '^3 Français$'
has "the answer from standard input chose French" "$OUT" '^Langue : Français$'
tg $P --msisdn +255700000027 --dial '*385#' </dev/null
status "another service code ends at once" 0
has "with its screen" "$OUT" '^Unknown service\. Please check the code you dialled\.$'

# the token
tg phone --url "$U/ussd" --msisdn +255700000025 --input 1
status "no token" 1
has "HTTP 401 and the body" "$ERR" "^tillgate phone: HTTP 401 from $U/ussd: "
TILLGATE_USSD_TOKEN=$TOK "$TILLGATE" phone --url "$U/ussd" --msisdn +255700000025 --dial '*385#' \
	</dev/null >"$OUT" 2>"$ERR"
RC=$?
status "the token from TILLGATE_USSD_TOKEN" 0
hasnt "the token is never printed" "$OUT" "$TOK"
hasnt "nor in errors" "$ERR" "$TOK"

# --json
tg $P --msisdn +255700000026 --json --input 3
status "--json" 1
same "one object per screen" "$(wc -l <"$OUT" | tr -d ' ')" 2
has "screen 1 with its answer" "$OUT" \
	'^\{"screen":1,"type":"CON","text":"Tillgate\\n1 Register business\\n2 Pay merchant\\n3 Language","characters":54,"encoding":"gsm","units":54,"fits":true,"input":"3"\}$'
has "screen 2 without one" "$OUT" '^\{"screen":2,"type":"CON","text":"Choose your language.*"encoding":"ucs2","units":60,"fits":true,"input":null\}$'

# the merchant flows through the phone, as a merchant would use them:
# Register business, then My business behind the new PIN
tg $P --msisdn +255712000333 --input 1 --input "DUKA LA SIMU" --input 5 --input 1 \
	--input 19900101123450000112 --input MOSHI --input 4817 --input 4817 --input 1
status "Register business end to end through the phone" 0
has "the summary was shown" "$OUT" '^Register DUKA LA SIMU$'
has "the last screen gives the till number" "$OUT" '^DUKA LA SIMU is registered\. Your till number is [0-9]{7}\.'
tg $P --msisdn +255712000333 --input 1 --input 4817 --input 5
status "My business through the phone" 0
has "the owner sees My business" "$OUT" '^1 My business$'
has "the PIN opens it" "$OUT" '^[0-9] Today.s takings$'
has "today's takings: none yet" "$OUT" '^Today \(UTC\): 0 paid, TZS 0\. Queued, not paid yet: 0, TZS 0\.$'
grep -v '^> ' "$OUT" >"$OUT.screens"
hasnt "no screen of the daemon shows the PIN" "$OUT.screens" '4817'

# a customer: enrolled by the DFSP, activated, then Change PIN
req "$ADMIN" POST /v1/customers \
	'{"msisdn":"+255754000444","name":"Amina Said","account_ref":"ACC-44","tier":"C0"}' \
	-H 'Idempotency-Key: phone-cust-1'
code "a customer enrolled" 201
ACODE=$(jfield activation_code)
CID=$(jnum id)
P="phone --url $U/ussd --token $TOK"
tg $P --msisdn +255754000444 --input 1 --input "$ACODE" --input 5927 --input 5927
status "Activate through the phone" 0
has "activated" "$OUT" '^Your account is active\.'
tg $P --msisdn +255754000444 --input 4 --input 1111 --input 5927 --input 1234 --input 4826 \
	--input 4826
status "Change PIN through the phone" 0
same "every screen of Change PIN" "$(grep -v '^> ' "$OUT")" "--- screen 1 (CON) ---
Tillgate
1 Pay merchant
2 Language
3 Payment requests
4 Change PIN
--- screen 2 (CON) ---
Enter your current PIN:
--- screen 3 (CON) ---
Wrong PIN.
Enter your current PIN:
--- screen 4 (CON) ---
Choose a new PIN of 4 to 6 digits:
--- screen 5 (CON) ---
That PIN is too easy to guess. Choose another.
Choose a new PIN of 4 to 6 digits:
--- screen 6 (CON) ---
Enter the new PIN again:
--- screen 7 (END) ---
Your PIN is changed. Use the new PIN from now on."
tg $P --msisdn +255754000444 --dial '*384*4#' --input 5927 --input 4826 --input 6153 --input 6153
status "the old PIN no longer opens it, the new one does" 0
has "the old PIN is wrong now" "$OUT" '^Wrong PIN\.$'
has "the new one changes it again" "$OUT" '^Your PIN is changed\.'
req "$ADMIN" GET "/v1/customers/$CID"
has "the DFSP sees no failures left" "$OUT" '"failures":0'
# (session keys are random hex and timestamps digits: left out of the search)
sed 's/key=[^ ]*//g; s/^ts=[^ ]*//' "$LOG" >"$LOG.nokeys"
hasnt "no PIN of Change PIN in the log" "$LOG.nokeys" '5927|4826|6153|input=1111'

# the daemon logged the dialogues under the session ids the phone made
has "the daemon saw phone-HEX session ids" "$LOG" 'key=http:phone-[0-9a-f]{16} '
finish
