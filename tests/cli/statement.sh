# statement.sh -- black-box test of statements (gateway/stmt.h,
# docs/payments.md "Statements"): the real daemon, payments made through
# its own doors, the totals computed again here with sqlite3 from the
# payment rows:
#  - on-us payments of demo-dfsp's customer over POST /v1/payments, and
#    payments received through the switch (POST /quotes and
#    POST /transfers played here, one with the payee fee of
#    `tillgate dfsp payee`);
#  - GET /v1/dfsps/{fsp}/statement: received and sent per day and in
#    all, counts, amounts, fees, net, the lines; as CSV with
#    Accept: text/csv (header, CRLF, line, day and total records);
#  - GET /v1/merchants/{id}/statement: the merchant's received payments;
#  - `tillgate statement` prints the very same JSON and CSV;
#  - bad days, ranges and keys refused with the field named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
command -v sqlite3 >/dev/null || { echo "not ok 1 - sqlite3 is needed"; exit 1; }

RPORT_FILE=$T_DIR/switch.port
RLOG=$T_DIR/switch.log
: >"$RLOG"
node "$(dirname "$0")/payee_switch.js" "$RPORT_FILE" "$RLOG" &
RPID=$!
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; kill "$RPID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 200); do [ -s "$RPORT_FILE" ] && break; sleep 0.05; done
RPORT=$(cat "$RPORT_FILE" 2>/dev/null)
[ -n "$RPORT" ] && pass "the switch's callback receiver listens on $RPORT" || { fail "callback receiver" "no port"; finish; }

# The receiver records every request: no account-lookup registrations
# (docs/switch.md "Registration") among the callbacks checked here.
api_start --set switch.endpoint="http://127.0.0.1:$RPORT" --set switch.callback_timeout_ms=3000 \
	--set switch.register_parties=false
DB=$D/tillgate.db
sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

# ---- a merchant registered by USSD, a customer enrolled and activated ----
dial() { SID=$1 PHONE=$2 TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=*384#" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
dial r1 +255712582946
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
MID=$(sql "SELECT merchant_id FROM till WHERE till_number = '$TILL'")
[ -n "$MID" ] && pass "a merchant registers by USSD: till $TILL" || fail "merchant" "$(cat "$OUT")"

req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"payments","user":"a-app"}'
code "demo-dfsp makes a payments key" 201
PA=$(jfield key)
req "$ADMIN" POST /v1/customers '{"msisdn":"+255700000001","name":"Asha","account_ref":"A-1","tier":"C0"}' \
	-H 'Idempotency-Key: stmt-customer'
code "demo-dfsp enrols a customer" 201
_t=1*$(jfield activation_code)*5927*5927
for _n in 0 1 2 3 4; do _txt=; [ $_n = 0 ] || _txt=$(printf %s "$_t" | cut -d'*' -f1-$_n)
	SID=act PHONE=+255700000001 TXT=$_txt; post
done
has "the customer activates by USSD" "$OUT" '^END Your account is active'

# ---- two on-us payments (amounts in minor units: TZS 1.00 and 2.50) ----
for k in 1 2; do
	amt=$([ $k = 1 ] && echo 100 || echo 250)
	req "$PA" POST /v1/payments "{\"payer_msisdn\":\"255700000001\",\"till\":\"$TILL\",\"amount\":$amt}" \
		-H "Idempotency-Key: stmt-pay-$k"
	code "on-us payment $k of $amt minor units" 201
done

# ---- two payments received through the switch, the second with a fee ----
DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
LATER=$(date -u -d '+10 minutes' '+%Y-%m-%dT%H:%M:%S.000Z')
N=0
js() {
	node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[process.argv[2] - 1];
		if (!l) { process.stdout.write("none"); process.exit(0); }
		const r = JSON.parse(l); const b = r.body ? JSON.parse(r.body) : null;
		process.stdout.write(String(eval(process.argv[3])))' "$RLOG" "$N" "$1"
}
cb() {
	N=$((N + 1))
	for _ in $(seq 100); do [ "$(wc -l <"$RLOG")" -ge "$N" ] && break; sleep 0.05; done
	same "callback $N: PUT $1" "$(js 'r.method + " " + r.path')" "PUT $1"
}
receive() { # QID TID AMOUNT
	_b=$(printf '{"quoteId":"%s","transactionId":"a8323bc6-c228-4df2-ae82-e5a997baf899",' "$1"
	printf '"payee":{"partyIdInfo":{"partyIdType":"ALIAS","partyIdentifier":"%s","fspId":"demo-dfsp"}},' "$TILL"
	printf '"payer":{"partyIdInfo":{"partyIdType":"MSISDN","partyIdentifier":"255712345678","fspId":"payerbank"}},'
	printf '"amountType":"SEND","amount":{"currency":"TZS","amount":"%s"},' "$3"
	printf '"transactionType":{"scenario":"PAYMENT","initiator":"PAYER","initiatorType":"CONSUMER"}}')
	curl -s -o /dev/null "$U/quotes" -H 'Accept: application/vnd.interoperability.quotes+json;version=1' \
		-H 'Content-Type: application/vnd.interoperability.quotes+json;version=1.1' -H "Date: $DATE" \
		-H "FSPIOP-Source: payerbank" -H "FSPIOP-Destination: demo-dfsp" --data-binary "$_b"
	cb "/quotes/$1"
	_b=$(printf '{"transferId":"%s","payerFsp":"payerbank","payeeFsp":"demo-dfsp","amount":{"currency":"TZS","amount":"%s"},"ilpPacket":"%s","condition":"%s","expiration":"%s"}' \
		"$2" "$3" "$(js b.ilpPacket)" "$(js b.condition)" "$LATER")
	curl -s -o /dev/null "$U/transfers" -H 'Accept: application/vnd.interoperability.transfers+json;version=1' \
		-H 'Content-Type: application/vnd.interoperability.transfers+json;version=1.1' -H "Date: $DATE" \
		-H "FSPIOP-Source: payerbank" -H "FSPIOP-Destination: demo-dfsp" --data-binary "$_b"
	cb "/transfers/$2"
}
receive 10000000-0000-4000-8000-000000000001 20000000-0000-4000-8000-000000000001 5000
tg dfsp payee --set gateway.data_dir="$D" --id demo-dfsp --fee-flat 10000 --fee-bp 150
status "demo-dfsp charges TZS 100 + 1.5 % as payee" 0
receive 10000000-0000-4000-8000-000000000002 20000000-0000-4000-8000-000000000002 10000
same "the received payments are COMMITTED" "$(sql "SELECT count(*) FROM payment WHERE channel = 'switch' AND state = 'COMMITTED'")" 2

# ---- the DFSP's statement over the API ----
FROM=$(sql "SELECT substr(min(updated), 1, 10) FROM payment")
TO=$(sql "SELECT substr(max(updated), 1, 10) FROM payment")
req "$ADMIN" GET "/v1/dfsps/demo-dfsp/statement?from=$FROM&to=$TO"
code "GET /v1/dfsps/demo-dfsp/statement" 200
has "... JSON" "$HDR" '^Content-Type: application/json'
cp "$OUT" "$T_DIR/dfsp.json"
# jv EXPR: EXPR (JavaScript) on s, the statement in $T_DIR/dfsp.json
jv() { node -e 's = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(eval(process.argv[2])))' "${JV:-$T_DIR/dfsp.json}" "$1"; }
tot() { jv "s.totals.$1.map(t => [t.currency, t.count, t.amount, t.fee, t.net].join('|')).join(';')"; }
# the same from the payment rows, computed here
REC="p.payee_dfsp = 'demo-dfsp' AND p.state = 'COMMITTED' AND (p.on_us = 1 OR p.channel = 'switch')"
SENT="p.payer_dfsp = 'demo-dfsp' AND p.state = 'COMMITTED'"
Q_SUM="p.currency, count(*), sum(p.amount), coalesce(sum(q.fee), 0), sum(p.amount) - coalesce(sum(q.fee), 0) FROM payment p LEFT JOIN payee_quote q ON p.channel = 'switch' AND q.quote_id = p.quote_id"
same "received in all: as the payment rows say" "$(tot received)" "$(sql "SELECT $Q_SUM WHERE $REC GROUP BY p.currency" | tr '\n' ';' | sed 's/;$//')"
same "... 4 payments, TZS 15,003.50, fees TZS 250, net TZS 14,753.50" "$(tot received)" "TZS|4|1500350|25000|1475350"
same "sent in all: as the payment rows say" "$(tot sent)" "$(sql "SELECT $Q_SUM WHERE $SENT GROUP BY p.currency" | tr '\n' ';' | sed 's/;$//')"
same "... the 2 on-us payments, TZS 3.50, no fee" "$(tot sent)" "TZS|2|350|0|350"
same "one entry per day of the range" "$(jv 's.days.map(d => d.date).join(",")')" \
	"$(node -e 'const a = [], f = new Date(process.argv[1] + "T00:00:00Z"), t = new Date(process.argv[2] + "T00:00:00Z");
		for (let d = f; d <= t; d = new Date(d.getTime() + 86400000)) a.push(d.toISOString().slice(0, 10));
		process.stdout.write(a.join(","))' "$FROM" "$TO")"
same "the days add up to the totals" \
	"$(jv '["received", "sent"].map(k => s.days.reduce((a, d) => a + d[k].reduce((x, t) => x + t.amount, 0), 0)).join("|")')" "1500350|350"
same "each day's received as the rows of that day" \
	"$(jv 's.days.map(d => d.date + ":" + d.received.map(t => t.count + "/" + t.amount).join("")).join(",")')" \
	"$(for d in $(jv 's.days.map(d => d.date).join(" ")'); do
		printf '%s:%s,' "$d" "$(sql "SELECT CASE count(*) WHEN 0 THEN '' ELSE count(*) || '/' || sum(amount) END FROM payment p WHERE $REC AND substr(p.updated, 1, 10) = '$d'")"
	done | sed 's/,$//')"
same "the lines: each received and each sent payment, by commit time" \
	"$(jv 's.lines.map(l => l.direction + ":" + l.payment_id).join(",")')" \
	"$(sql "SELECT dir || ':' || id FROM (SELECT 'received' AS dir, id, updated FROM payment p WHERE $REC UNION ALL SELECT 'sent', id, updated FROM payment p WHERE $SENT) ORDER BY updated, id, dir" | tr '\n' ',' | sed 's/,$//')"
same "the received line with the fee: amount, fee, net, channel, payer FSP" \
	"$(jv 's.lines.filter(l => l.fee > 0).map(l => [l.amount, l.fee, l.net, l.channel, l.payer_fsp, l.transfer_id].join("|")).join(";")')" \
	"1000000|25000|975000|switch|payerbank|20000000-0000-4000-8000-000000000002"
same "header fields" "$(jv '[s.dfsp, s.merchant_id, s.from, s.to, s.time_zone].join("|")')" "demo-dfsp||$FROM|$TO|UTC"

# ---- CSV ----
req "$ADMIN" GET "/v1/dfsps/demo-dfsp/statement?from=$FROM&to=$TO" "" -H 'Accept: text/csv'
code "the statement as CSV" 200
has "... text/csv" "$HDR" '^Content-Type: text/csv'
cp "$OUT" "$T_DIR/dfsp.csv"
same "... the header line" "$(head -n 1 "$T_DIR/dfsp.csv")" "$(printf 'record,date,direction,payment_id,committed,channel,on_us,payer_dfsp,payer_fsp,payee_dfsp,merchant_id,till,currency,count,amount,fee,net,transfer_id\r')"
same "... every line ends in CRLF" "$(grep -c "$(printf '\r')\$" "$T_DIR/dfsp.csv")" "$(wc -l <"$T_DIR/dfsp.csv")"
same "... one line record per line of the JSON" "$(grep -c '^line,' "$T_DIR/dfsp.csv")" "$(jv 's.lines.length')"
has "... the total received" "$T_DIR/dfsp.csv" "^total,,received,,,,,,,,,,TZS,4,1500350,25000,1475350,"
has "... the total sent" "$T_DIR/dfsp.csv" "^total,,sent,,,,,,,,,,TZS,2,350,0,350,"
has "... the line with the fee" "$T_DIR/dfsp.csv" "^line,[0-9-]{10},received,P[0-9a-f]{24},[0-9T:.-]+Z,switch,0,,payerbank,demo-dfsp,$MID,,TZS,1,1000000,25000,975000,20000000-0000-4000-8000-000000000002"
same "... the day records add up to the totals" \
	"$(awk -F, '$1 == "day" { a[$3] += $15 } END { printf "%d|%d", a["received"], a["sent"] }' "$T_DIR/dfsp.csv")" "1500350|350"

# ---- the command line prints the same ----
tg statement --set gateway.data_dir="$D" --dfsp demo-dfsp --from "$FROM" --to "$TO"
status "tillgate statement" 0
same "... the very JSON of the API" "$(cat "$OUT")" "$(cat "$T_DIR/dfsp.json")"
tg statement --set gateway.data_dir="$D" --dfsp demo-dfsp --from "$FROM" --to "$TO" --csv
status "tillgate statement --csv" 0
if cmp -s "$OUT" "$T_DIR/dfsp.csv"; then pass "... the very CSV of the API"; else fail "... the very CSV of the API" "$(diff "$OUT" "$T_DIR/dfsp.csv" | head -5)"; fi
if [ "$FROM" = "$TO" ]; then
	tg statement --set gateway.data_dir="$D" --dfsp demo-dfsp --date "$FROM"
	same "--date D is the range D to D" "$(cat "$OUT")" "$(cat "$T_DIR/dfsp.json")"
	req "$ADMIN" GET "/v1/dfsps/demo-dfsp/statement?date=$FROM"
	same "... and so is ?date=D" "$(cat "$OUT")" "$(cat "$T_DIR/dfsp.json")"
fi

# ---- the merchant's statement ----
req "$ADMIN" GET "/v1/merchants/$MID/statement?from=$FROM&to=$TO"
code "GET /v1/merchants/{id}/statement" 200
cp "$OUT" "$T_DIR/m.json"
JV=$T_DIR/m.json
same "... the merchant's received payments" "$(tot received)" "TZS|4|1500350|25000|1475350"
same "... nothing sent" "$(jv 's.totals.sent.length + "|" + s.lines.filter(l => l.direction == "sent").length')" "0|0"
same "... named" "$(jv '[s.dfsp, s.merchant_id].join("|")')" "demo-dfsp|$MID"
JV=
tg statement --set gateway.data_dir="$D" --dfsp demo-dfsp --merchant "$MID" --from "$FROM" --to "$TO"
same "tillgate statement --merchant: the same JSON" "$(cat "$OUT")" "$(cat "$T_DIR/m.json")"
tg statement --set gateway.data_dir="$D" --dfsp bank-x --merchant "$MID" --from "$FROM" --to "$TO"
status "... of another DFSP's merchant: no such merchant" 1
has "... said" "$ERR" "no such merchant"

# ---- the hub-admin reads any; an empty day ----
req "$HUB" GET "/v1/dfsps/demo-dfsp/statement?from=$FROM&to=$TO"
same "the hub-admin reads demo-dfsp's statement, the same" "$(cat "$OUT")" "$(cat "$T_DIR/dfsp.json")"
req "$ADMIN" GET "/v1/dfsps/demo-dfsp/statement?date=2026-01-01"
code "a day without payments" 200
same "... empty" "$(JV=$OUT jv '[s.days.length, s.days[0].received.length, s.totals.received.length, s.lines.length].join("|")')" "1|0|0|0"

# ---- refused ----
bad() { # WHAT QUERY FIELD MESSAGE-ERE
	req "$ADMIN" GET "/v1/dfsps/demo-dfsp/statement?$2"
	code "$1" 422
	has "... naming $3" "$OUT" "\"field\":\"$3\",\"message\":\"$4"
}
bad "30 February" "date=2026-02-30" date 'date: no day 30 in 2026-02 \(position 8\)'
bad "a day not YYYY-MM-DD" "from=2026-1-05&to=2026-01-06" from 'from: a UTC day YYYY-MM-DD expected \(position 6\)'
bad "to before from" "from=2026-01-06&to=2026-01-05" to 'to: before from \(position 0\)'
bad "more than 31 days" "from=2026-01-01&to=2026-02-01" to 'to: 32 days from from, at most 31 \(position 0\)'
bad "date with from" "date=2026-01-01&from=2026-01-01" date 'date, or from and to, not both'
req "$ADMIN" GET "/v1/dfsps/nobank/statement"
code "an unknown DFSP: 404" 404
req "$ADMIN" GET "/v1/merchants/99999999/statement"
code "an unknown merchant: 404" 404
req "" GET "/v1/dfsps/demo-dfsp/statement"
code "no key: 401" 401
tg statement --set gateway.data_dir="$D" --dfsp demo-dfsp --date 2026-13-01
status "tillgate statement: a bad --date" 2
has "... named with its position" "$ERR" "--date: no month 13 \(position 5\)"
tg statement --set gateway.data_dir="$D"
status "tillgate statement without --dfsp" 2

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=
same "the daemon stops cleanly" "$RC" 0
finish
