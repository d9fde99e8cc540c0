# qr.sh -- black-box tests of 'tillgate qr': parse, encode, render, decode.
. "$(dirname "$0")/lib.sh"

# A Tillgate static code (CRC computed independently of our encoder).
GOOD='00020101021126370012org.tillgate0105ALIAS0208100000425204541153038345802TZ5914MAMA JUMA SHOP6006ARUSHA6304EE29'
# The same with amount 54 = "1,00" (54 at character offset 68), CRC valid.
BADAMT='00020101021226370012org.tillgate0105ALIAS02081000004252045411530383454041,005802TZ5914MAMA JUMA SHOP6006ARUSHA6304CACE'
# GOOD with its CRC in lower case: a tolerated deviation.
LOWER='00020101021126370012org.tillgate0105ALIAS0208100000425204541153038345802TZ5914MAMA JUMA SHOP6006ARUSHA6304ee29'
# A peer-to-peer profile without 52, 59 and 60.
P2P='00020101021126370012org.tillgate0105ALIAS02081000004253038345802TZ6304A5F4'
# EMVCo's published example (non-ASCII, templates 29/31/62/64/91).
EMVCO='00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A'

# ---- parse ----
tg qr parse --strict "$GOOD";  status "strict parse of a valid code" 0
tg qr parse --json "$GOOD";    status "parse --json" 0
same "parse --json prints the objects in payload order" "$(cat "$OUT")" \
'{"00":"01","01":"11","26":{"00":"org.tillgate","01":"ALIAS","02":"10000042"},"52":"5411","53":"834","58":"TZ","59":"MAMA JUMA SHOP","60":"ARUSHA","63":"EE29"}'
tg qr parse "$GOOD";           status "parse as a table" 0
has "table names the merchant name field" "$OUT" '^59  merchant name +MAMA JUMA SHOP$'
has "table shows the template's sub-objects indented" "$OUT" '^  02  .* 10000042$'
has "table shows the payment target" "$OUT" '^pays: ALIAS 10000042'
tg qr parse --strict --json "$EMVCO"; status "EMVCo example parses strictly" 0
has "non-ASCII template 64 kept as UTF-8" "$OUT" '"64":\{"00":"ZH","01":"最佳运输","02":"北京"\}'
has "nested template 62 parsed" "$OUT" '"62":\{"03":"1234","06":"\*\*\*","07":"A6008667","09":"ME"\}'

tg qr parse "$BADAMT";         status "a bad amount is invalid" 1
has "the error names the amount, its value and the offset" "$ERR" \
	'^error: 54 \(amount\) "1,00" .*decimal amount.* at offset (68|72|73)$'
tg qr parse --strict "${GOOD%EE29}EE28"; status "a wrong CRC is invalid" 1
has "the error names the CRC" "$ERR" '^error: 63 .*at offset [0-9]+$'
tg qr parse "${GOOD%EE29}EE28"; status "a wrong CRC is invalid in the default mode too" 1
tg qr parse "${GOOD}00";       status "data after the CRC is invalid" 1
tg qr parse "${GOOD%??????????}"; status "a truncated code is invalid" 1
tg qr parse "";                status "an empty payload is invalid" 1

tg qr parse "$LOWER";          status "lower-case CRC tolerated by default" 0
has "with a warning" "$ERR" '^warning: .*63.* at offset [0-9]+$'
tg qr parse --strict "$LOWER"; status "lower-case CRC rejected by --strict" 1
tg qr parse "$P2P";            status "peer-to-peer profile tolerated by default" 0
has "missing merchant name warned" "$ERR" '^warning: .*59'
tg qr parse --strict "$P2P";   status "peer-to-peer profile rejected by --strict" 1

tg qr parse;                   status "parse without a payload is a usage error" 2
tg qr parse --bogus "$GOOD";   status "parse with an unknown option is a usage error" 2

# ---- batch mode ----
printf '%s\n%s\n%s\n' "$GOOD" "$BADAMT" "$LOWER" >"$T_DIR/batch"
"$TILLGATE" qr parse --json - <"$T_DIR/batch" >"$OUT" 2>"$ERR"; RC=$?
status "batch with one invalid line" 1
same "batch writes one line per input line" "$(wc -l <"$OUT" | tr -d ' ')" 3
has "batch line 1 is the JSON object" "$OUT" '^\{"00":"01","01":"11",'
sed -n 2p "$OUT" >"$T_DIR/line2"
has "batch line 2 is a JSON error with the offset" "$T_DIR/line2" \
	'^\{"error":"54 \(amount\) [^}]*","offset":[0-9]+\}$'
has "batch warnings name their line" "$ERR" '^line 3: warning: '
printf '%s\n%s\n' "$GOOD" "$LOWER" | "$TILLGATE" qr parse - >"$OUT" 2>"$ERR"; RC=$?
status "batch of valid lines" 0
same "plain batch prints ok per line" "$(cat "$OUT" | tr '\n' ' ')" "ok ok "
printf '%s\n' "$LOWER" | "$TILLGATE" qr parse --strict - >"$OUT" 2>"$ERR"; RC=$?
status "strict batch rejects the lower-case CRC" 1
has "plain batch prints the error on its line" "$OUT" '^line 1: error: .* at offset [0-9]+$'

# ---- encode ----
tg qr encode --name "MAMA JUMA SHOP" --city ARUSHA --mcc 5411 --currency TZS --country TZ \
	--party-id 10000042
status "encode from flags" 0
same "encode from flags gives the reference payload" "$(cat "$OUT")" "$GOOD"
tg qr encode --name "MAMA JUMA SHOP" --city ARUSHA --mcc 5411 --currency TZS --country TZ \
	--party-id 10000042 --amount 5000.00 --fsp dfsp-a --bill INV-7 --reference R1 --terminal T9
status "dynamic code with 62 from flags" 0
dyn=$(cat "$OUT")
tg qr parse --strict --json "$dyn"; status "the dynamic code parses strictly" 0
has "it carries 01 = 12, the amount, the FSP and template 62" "$OUT" \
	'"01":"12","26":\{"00":"org.tillgate","01":"ALIAS","02":"10000042","04":"dfsp-a"\},.*"54":"5000.00".*"62":\{"01":"INV-7","05":"R1","07":"T9"\}'
tg qr encode --name "A NAME LONGER THAN 25 CHARS" --city ARUSHA --mcc 5411 --currency TZS \
	--country TZ --party-id 1
status "an over-long name is refused" 1
has "the error names field 59" "$ERR" '^error: 59 '
tg qr encode --name X --city Y --mcc 5411 --currency TZS --country TZ
status "a missing party id is refused" 1
has "the error names the missing flag" "$ERR" 'missing --party-id'
tg qr encode --name X --city Y --mcc 5411 --currency TZS --country TZ --party-id 1 --amount 1,5
status "a bad amount is refused" 1
has "the error names field 54" "$ERR" '^error: 54 '
tg qr encode --tag 99 --party-id 1; status "account template ID out of 26-51" 2

# JSON in, JSON out: a round trip through parse and encode.
"$TILLGATE" qr parse --json "$EMVCO" | "$TILLGATE" qr encode >"$OUT" 2>"$ERR"; RC=$?
status "encode from parse --json" 0
same "EMVCo example round-trips through JSON" "$(cat "$OUT")" "$EMVCO"
tgin '{"59":"SHOP","60":"CITY","58":"TZ","53":"834","52":"5411","26":{"00":"org.tillgate","01":"ALIAS","02":"7"},"00":"01","63":"FFFF"}' qr encode
status "encode puts 00 first, drops the input 63" 0
case $(cat "$OUT") in 0002015904SHOP6004CITY5802TZ*) pass "00 first, then the input order";; *) fail "00 first, then the input order";; esac
tgin '{"59":"SHOP","26":{"00":"org.tillgate","01":"ALIAS","02":"7"},"58":"TZ","53":"834","52":"5411"}' qr encode
status "encode of an object lacking 60 (merchant city)" 1
has "the error names 60" "$ERR" '^error: .*60'
tgin '{"5x":"A"}' qr encode;    status "a key that is not a two-digit ID" 1
has "the bad key is named" "$ERR" 'key "5x"'
tgin '{"59":5}' qr encode;      status "a number instead of a string" 1
has "the field is named" "$ERR" '59 must be a string'
tgin '{"59":' qr encode;        status "malformed JSON" 1
has "the JSON error has a position" "$ERR" '^error: standard input line 1 column [0-9]+'
tgin '{"59":"A","59":"B"}' qr encode; status "duplicate keys" 1

# ---- render and decode ----
tg qr render -o "$T_DIR/good.png" "$GOOD"; status "render PNG" 0
head -c 8 "$T_DIR/good.png" | od -An -c | tr -d ' \n' >"$T_DIR/sig"
has "the file is a PNG" "$T_DIR/sig" '^211PNG\\r\\n032\\n$'
tg qr decode "$T_DIR/good.png"; status "decode our PNG" 0
same "decode gives back the payload" "$(cat "$OUT")" "$GOOD"
tg qr decode --parse --json "$T_DIR/good.png"; status "decode --parse --json" 0
has "decoded fields" "$OUT" '"59":"MAMA JUMA SHOP"'
tg qr render --ec H --scale 2 --margin 2 -o "$T_DIR/emvco.png" "$EMVCO"; status "render EC H, scale 2" 0
tg qr decode "$T_DIR/emvco.png"; status "decode the non-ASCII payload" 0
same "non-ASCII payload comes back byte for byte" "$(cat "$OUT")" "$EMVCO"
tg qr decode "$T_DIR/good.png" "$T_DIR/emvco.png"; status "decode two files" 0
same "two files: one prefixed line each" "$(sed "s|$T_DIR/||" "$OUT" | cut -c1-30)" \
	"$(printf 'good.png: 00020101021126370012\nemvco.png: 0002010102122930001')"
tg qr render --format svg -o "$T_DIR/good.svg" "$GOOD"; status "render SVG" 0
has "the file is an SVG" "$T_DIR/good.svg" '<svg '
tg qr render "$GOOD";           status "render to the terminal" 0
has "terminal rendering uses half blocks" "$OUT" '▀|▄|█'
printf '%s\n' "$GOOD" | "$TILLGATE" qr render -o "$T_DIR/stdin.png" - >"$OUT" 2>"$ERR"; RC=$?
status "render a payload read from standard input" 0
tg qr decode "$T_DIR/stdin.png"; same "it decodes to the payload" "$(cat "$OUT")" "$GOOD"
tg qr render -o "$T_DIR/x.png" "not an EMVCo payload"; status "render any text" 0
has "with a warning that it is not EMVCo" "$ERR" '^warning: not a valid EMVCo payload'
long=$(head -c 3000 /dev/zero | tr '\0' 'A')
tg qr render --ec H -o "$T_DIR/long.png" "$long"; status "a payload too long for a QR symbol" 1
has "says it does not fit" "$ERR" '^error: '
[ ! -e "$T_DIR/long.png" ] && pass "no partial file left behind" || fail "no partial file left behind"
tg qr render --ec X "$GOOD";    status "bad EC level is a usage error" 2
tg qr render --scale 0 "$GOOD"; status "scale 0 is a usage error" 2
printf 'P5\n4 4\n255\n' >"$T_DIR/blank.pgm"; head -c 16 /dev/zero | tr '\0' '\377' >>"$T_DIR/blank.pgm"
tg qr decode "$T_DIR/blank.pgm"; status "an image without a QR code" 1
has "says no QR code found" "$ERR" 'no QR code found'
printf 'hello' >"$T_DIR/not-an-image.png"
tg qr decode "$T_DIR/not-an-image.png"; status "a file that is not an image" 1
has "says what is wrong" "$ERR" "not-an-image.png: error: "
tg qr decode "$T_DIR/missing.png"; status "a missing file" 1
tg qr decode;                   status "decode without a file is a usage error" 2
finish
