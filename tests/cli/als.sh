# als.sh -- black-box test of the registrations at the switch's account
# lookup service (gateway/als.h, docs/switch.md "Registration"): the real
# daemon with [switch] register_parties on and its switch on a loopback
# port where nothing listens at first.
#  - a merchant approved through the admin API (maker creates and
#    submits, checker approves) queues its registrations: they wait,
#    'pending', counted in /metrics, while the switch is unreachable;
#  - then als_switch.js starts on that port (it exits by itself): exactly
#    one POST /participants/ALIAS/{till} and one POST
#    /participants/BUSINESS/{merchant id} arrive, with the body
#    {"fspId", "currency"} and the API's headers; its PUT callback (which
#    the daemon answers 200) makes each row 'delivered';
#  - the daemon restarted: nothing is sent again;
#  - the merchant suspended: one DELETE each; reinstated: one POST each;
#    a till added: one POST; a till the switch refuses (PUT .../error
#    3003): the row 'failed' with the code, sent once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
command -v sqlite3 >/dev/null || { echo "not ok 1 - sqlite3 is needed"; exit 1; }

# Loopback ports nothing listens on (free a moment ago): the switch's,
# down until als_switch.js starts, and the daemon's own, kept across its
# restart so that the switch's callbacks still find it.
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'; }
SPORT=$(free_port)
DPORT=$(free_port)
[ -n "$SPORT" ] && [ -n "$DPORT" ] && [ "$SPORT" != "$DPORT" ] && pass "the switch's port $SPORT is closed" ||
	{ fail "free ports" "none"; finish; }
SLOG=$T_DIR/switch.log
: >"$SLOG"
SPID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T_DIR"' EXIT

START="--set gateway.listen=127.0.0.1:$DPORT --set switch.endpoint=http://127.0.0.1:$SPORT --set switch.register_parties=true --set switch.callback_timeout_ms=2000"
# shellcheck disable=SC2086
api_start $START
DB=$D/tillgate.db
sql() { sqlite3 "$DB" "$1"; }
metrics() { req "$HUB" GET /metrics; }

req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"maker","user":"mia"}'
MAKER=$(jfield key)
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"checker","user":"carl"}'
CHECKER=$(jfield key)
[ -n "$MAKER" ] && [ -n "$CHECKER" ] && pass "maker and checker keys" || fail "keys" "none"

# ---- approved while the switch is down ----
M='{"trading_name":"MAMA JUMA SHOP","type":"small_shop","mcc":"5411","tier":"T0","contact_phone":"+255712345678","owners":[{"name":"Juma Ali","id_type":"national_id","id_number":"19900101123450000112"}],"locations":[{"name":"Main","city":"ARUSHA"}]}'
req "$MAKER" POST /v1/merchants "$M"
code "the maker creates a T0 merchant" 201
MID=$(jfield merchant_id)
TILL=$(jfield till_number)
LOC=$(sql "SELECT id FROM location WHERE merchant_id = '$MID'")
same "nothing queued for a DRAFT" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'als'")" 0
req "$MAKER" POST "/v1/merchants/$MID/submit"
code "the maker submits" 200
same "nor for a SUBMITTED merchant" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'als'")" 0
req "$CHECKER" POST "/v1/merchants/$MID/approve"
code "the checker approves" 200
same "two registrations queued: the till and the merchant" \
	"$(sql "SELECT group_concat(dest || ' ' || body || ' ' || dfsp, ',') FROM (SELECT * FROM outbox WHERE kind = 'als' ORDER BY dest)")" \
	"merchant/$MID POST demo-dfsp,till/$TILL POST demo-dfsp"
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'als' AND attempts >= 1 AND state = 'pending'")" = 2 ] && break
	sleep 0.1
done
same "tried, refused, waiting for the switch" \
	"$(sql "SELECT count(*) FROM outbox WHERE kind = 'als' AND state = 'pending' AND attempts >= 1 AND last_error LIKE '%onnect%'")" 2
metrics
has "/metrics shows them pending" "$OUT" '^tillgate_outbox_rows\{kind="als",state="pending"\} 2$'
has "... and the drain's retries" "$OUT" '^tillgate_als_retried_total [1-9]'
has "nothing delivered" "$OUT" '^tillgate_outbox_rows\{kind="als",state="delivered"\} 0$'
tg queue outbox --kind als --state pending --set gateway.data_dir="$D"
status "tillgate queue outbox lists the pending registrations" 0
same "... both of them" "$(wc -l <"$OUT")" 2
has "... the till, POST, with the connection error" "$OUT" "	als	pending	[1-9][0-9]*	[^	]*	till/$TILL	POST	.*onnect"
has "... the merchant, POST" "$OUT" "	als	pending	[1-9][0-9]*	[^	]*	merchant/$MID	POST	"
tg queue outbox --kind fax --set gateway.data_dir="$D"
status "an unknown kind is a usage error" 2
has "... naming the option and the value" "$ERR" "^tillgate queue outbox: --kind: unknown value 'fax'$"

# ---- the switch comes back ----
node "$(dirname "$0")/als_switch.js" "$SPORT" "$U" "$SLOG" 9999999 &
SPID=$!
for _ in $(seq 100); do [ -s "$SLOG.ready" ] && break; sleep 0.05; done
[ -s "$SLOG.ready" ] && pass "the switch listens on $SPORT" || fail "switch" "not listening"
# delivered: each row waits for its backoff (at most a few seconds)
delivered() { # N: waits until N als rows are delivered
	for _ in $(seq 300); do
		[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'als' AND state IN ('delivered', 'failed')")" -ge "$1" ] && break
		sleep 0.1
	done
	sleep 0.3 # a request sent twice would show by now
}
delivered 2
same "both rows delivered" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'als' AND state = 'delivered'")" 2
lines() { grep -c "$1" "$SLOG"; }
same "exactly one POST /participants/ALIAS/till" "$(lines "\"method\":\"POST\",\"path\":\"/participants/ALIAS/$TILL\"")" 1
same "exactly one POST /participants/BUSINESS/merchant id" "$(lines "\"method\":\"POST\",\"path\":\"/participants/BUSINESS/$MID\"")" 1
same "and nothing else" "$(grep -c '"method"' "$SLOG")" 2
LINE=$(grep "\"path\":\"/participants/ALIAS/$TILL\"" "$SLOG")
line_has() { if printf '%s' "$LINE" | grep -Eq -- "$2"; then pass "$1"; else fail "$1" "no match for $2 in $LINE"; fi; }
line_has "the body: the DFSP's FSP id and the currency" '"body":"\{\\"fspId\\":\\"demo-dfsp\\",\\"currency\\":\\"TZS\\"\}"'
line_has "Accept and Content-Type of participants" \
	'"accept":"application/vnd.interoperability.participants\+json;version=1","contentType":"application/vnd.interoperability.participants\+json;version=1.1"'
line_has "an IMF-fixdate Date" '"date":"[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT"'
line_has "FSPIOP-Source the merchant's DFSP, no FSPIOP-Destination" '"source":"demo-dfsp","destination":null'
same "the daemon took both callbacks (200)" "$(grep -c '"callback":"/participants/[A-Z]*/[0-9]*","status":200' "$SLOG")" 2
has "logged as registered" "$LOG" "msg=\"party registered\" .*party=ALIAS/$TILL"

# ---- a restart sends nothing again ----
kill "$PID"; wait "$PID" 2>/dev/null; PID=
API_WHAT="restarted"
# shellcheck disable=SC2086
api_start $START
sleep 1.5
same "after a restart nothing is sent again" "$(grep -c '"method"' "$SLOG")" 2
metrics
has "/metrics: two delivered, none pending" "$OUT" '^tillgate_outbox_rows\{kind="als",state="delivered"\} 2$'
has "... none pending" "$OUT" '^tillgate_outbox_rows\{kind="als",state="pending"\} 0$'

# ---- suspend, reinstate, a till added ----
req "$CHECKER" POST "/v1/merchants/$MID/suspend" '{"reason":"fraud check"}'
code "the checker suspends the merchant" 200
delivered 4
same "one DELETE /participants/ALIAS/till" "$(lines "\"method\":\"DELETE\",\"path\":\"/participants/ALIAS/$TILL\"")" 1
same "one DELETE /participants/BUSINESS/merchant id" "$(lines "\"method\":\"DELETE\",\"path\":\"/participants/BUSINESS/$MID\"")" 1
LINE=$(grep "\"method\":\"DELETE\",\"path\":\"/participants/ALIAS/$TILL\"" "$SLOG")
line_has "a DELETE has no body" '"source":"demo-dfsp","destination":null,"body":""'
req "$CHECKER" POST "/v1/merchants/$MID/reinstate" '{"reason":"cleared"}'
code "reinstated" 200
delivered 6
same "one POST each again" "$(lines "\"method\":\"POST\",\"path\":\"/participants/[A-Z]*/")" 4
req "$MAKER" POST "/v1/merchants/$MID/locations/$LOC/tills" '{"label":"Counter 2"}'
code "a till added" 201
TILL2=$(jfield till_number)
delivered 7
same "one POST /participants/ALIAS/new till" "$(lines "\"method\":\"POST\",\"path\":\"/participants/ALIAS/$TILL2\"")" 1
same "seven requests in all" "$(grep -c '"method"' "$SLOG")" 7
same "all delivered" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'als' AND state = 'delivered'")" 7

# ---- refused by the switch: failed with the code, not resent ----
# The switch refuses till 9999999; such a till is made by hand.
sql "INSERT INTO till (till_number, dfsp, merchant_id, location_id) VALUES ('9999999', 'demo-dfsp', '$MID', $LOC)"
delivered 8
same "the refused registration failed with the code" \
	"$(sql "SELECT state || ' ' || last_error FROM outbox WHERE dest = 'till/9999999'")" \
	"failed 3003 Add Party information error"
same "sent once" "$(lines '"path":"/participants/ALIAS/9999999"')" 1
has "logged as failed" "$LOG" 'msg="registration failed" .*party=ALIAS/9999999'
metrics
has "/metrics: one failed" "$OUT" '^tillgate_outbox_rows\{kind="als",state="failed"\} 1$'
has "the daemon refused no callback" "$OUT" '^tillgate_switch_callbacks_rejected_total 0$'
finish
