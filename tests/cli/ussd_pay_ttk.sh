# ussd_pay_ttk.sh -- the USSD answer of a payment within [switch]
# answer_budget_ms, end to end: the real daemon, POST /ussd, and the
# Mojaloop Testing Toolkit as the switch (tests/ttk/start.js on loopback).
#  - the switch down (its port closed, the link not known yet): a payment
#    sent online comes back to the queue and the suspended request is
#    answered "Accepted, ref X: ... when the network is back"; then, the
#    link known down, one over the offline limits is refused at once with
#    the limit named;
#  - the Toolkit up: a payment commits and the answer is "Paid ... ref X";
#  - restarted with answer_budget_ms=1000 (callback_timeout_ms as much,
#    not more), a Toolkit rule that never calls back on a transfer (payer
#    bank-c): at the budget the answer is "Accepted" within the offline
#    limits and "Sent, ref X: not confirmed yet" over them, the payment
#    still open. (The budget timer is armed after the step sends the
#    lookup, and the transfer leaves later still: the budget comes first.)
# Only texts and states are checked, never the time taken.
# docs/ussd.md "Answers given later", docs/payments.md "Forwarding".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
TTK_PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; [ -n "$TTK_PID" ] && kill "$TTK_PID" 2>/dev/null; rm -rf "$T_DIR"' EXIT
if [ ! -d tests/ttk/node_modules/ml-testing-toolkit ]; then
	fail "the Toolkit is installed" "tests/ttk/node_modules (tests/deps.sh)"
	finish
fi

set -- $(free_ports 3)
API=$1 TTK_ADM=$2 CB=$3

start() {
	api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 \
		--set ussd.pin_memlimit_kib=8 --set switch.endpoint="http://127.0.0.1:$API" \
		--set switch.callback_base="http://127.0.0.1:$CB" --set switch.register_parties=false "$@"
}
# (no registrations at the account lookup: they would tell the daemon the
# link is down before the first payment does)
start --set switch.callback_timeout_ms=3000
DB=$D/tillgate.db
OWNER=+255712582946
sql() { sqlite3 "$DB" "$1"; }
dial() { SID=$1 PHONE=$2 SVC=${3:-*384#} TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -m 30 -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=$SVC" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2 ($(tr '\n' '|' <"$OUT"))"; fi
}
ref() { sed -n 's/.*ref \(P[0-9a-f]\{24\}\).*/\1/p' "$OUT"; }
state() { sql "SELECT state FROM payment WHERE id = '$1'"; }

# ---- a merchant of demo-dfsp; customers of bank-b and bank-c ----
dial r1 "$OWNER"
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
screen "the merchant registers by USSD" '^END MAMA JUMA SHOP is registered'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
for b in b c; do
	req "$HUB" POST /v1/dfsps "{\"fsp_id\":\"bank-$b\",\"name\":\"Bank $b\"}"
	code "the hub-admin makes bank-$b" 201
	req "$HUB" POST /v1/dfsps/bank-$b/api-keys '{"role":"dfsp-admin","user":"admin"}' -H "Idempotency-Key: k$b"
	code "bank-$b gets a dfsp-admin key" 201
	_key=$(jfield key)
	c=$([ $b = b ] && echo 255700000021 || echo 255700000031)
	req "$_key" POST /v1/customers "{\"msisdn\":\"+$c\",\"name\":\"Customer $c\",\"account_ref\":\"ACC-$c\",\"tier\":\"C0\"}" \
		-H "Idempotency-Key: enrol-$c"
	code "bank-$b enrols $c" 201
	_code8=$(jfield activation_code)
	dial "a$c" "+$c"; ans 1; ans "$_code8"; ans 5927; ans 5927
	screen "... who activates by USSD" '^END Your account is active'
done
CB_=+255700000021 CC=+255700000031

# ---- the switch down, the link not known yet ----
dial d1 "$CB_" "*384*$TILL*5000#"; ans 5927
screen "sent online, back in the queue: Accepted" \
	'^END Accepted, ref P[0-9a-f]{24}: it will be sent when the network is back, you will get an SMS\.$'
Q1=$(ref)
# (the link down, a probe may have taken it again since: the audit tells)
same "... QUEUED by the forwarder after its first try" \
	"$(sql "SELECT action FROM audit WHERE entity = 'payment' AND entity_id = '$Q1' ORDER BY id LIMIT 3" | tr '\n' ' ')" \
	"accept sending queued "
has "... answered after the step (the reply was deferred)" "$LOG" 'msg="answer given later"'
dial d2 "$CB_" "*384*$TILL*20000#"; ans 5927
screen "the link known down: over the offline limit, refused at once" \
	'^END Payment refused: over your offline per-payment limit of TZS 10,000\.00\.$'
same "... nothing recorded for it" "$(sql "SELECT count(*) FROM payment")" 1

# ---- the Toolkit as the switch; bank-c's transfers never called back ----
node -e '
const fs = require("fs");
const rules = JSON.parse(fs.readFileSync("tests/ttk/rules_callback.json", "utf8"));
const silent = [];
for (const r of rules) {
	const c = r.conditions.all.find((x) => x.fact === "operationPath");
	if (!c || !/^\/transfers/.test(c.value))
		continue;
	const s = JSON.parse(JSON.stringify(r));
	s.ruleId += 100;
	s.priority = 10;
	s.description = "bank-c: " + s.description + ", called back only long after the test";
	s.conditions.all.push({ fact: "headers", path: "fspiop-source", operator: "equal", value: "bank-c" });
	s.event.params.delay = 600000;
	silent.push(s);
}
if (silent.length !== 2) { console.error("expected the POST and GET /transfers rules"); process.exit(1); }
fs.writeFileSync(process.argv[1], JSON.stringify(silent.concat(rules), null, 1));
' "$T_DIR/rules_callback.json"
RC=$?
status "the Toolkit's rules with two silent ones for bank-c" 0
TTK_API_PORT=$API TTK_ADMIN_PORT=$TTK_ADM TTK_CALLBACK_URL=http://127.0.0.1:$CB \
	TTK_RULES_CALLBACK=$T_DIR/rules_callback.json TTK_RUN_DIR=$T_DIR/ttk TTK_TIMEOUT_S=150 \
	node tests/ttk/start.js >"$T_DIR/ttk.log" 2>&1 &
TTK_PID=$!
ready=
for _ in $(seq 600); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/" 2>/dev/null)
	if [ -n "$c" ] && [ "$c" != 000 ]; then ready=1; break; fi
	kill -0 "$TTK_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$ready" ]; then pass "the Toolkit answers"; else fail "the Toolkit answers" "$(tail -20 "$T_DIR/ttk.log")"; finish; fi
for _ in $(seq 600); do [ "$(state "$Q1")" = COMMITTED ] && break; sleep 0.1; done
same "the queued payment drains once the switch is back" "$(state "$Q1")" COMMITTED

# ---- online, committed in time ----
dial o1 "$CB_" "*384*$TILL*9#"; ans 5927
screen "committed within the budget: Paid" '^END Paid TZS 9\.00 to MAMA JUMA SHOP, ref P[0-9a-f]{24}\.$'
P1=$(ref)
same "... COMMITTED, sent once" "$(sql "SELECT state, attempts FROM payment WHERE id = '$P1'")" "COMMITTED|1"
same "... with one SMS each" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$P1'")" 2

# ---- the switch takes the transfer and never calls back ----
kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
API_WHAT="restarted with a budget of 1 s" start --set switch.answer_budget_ms=1000 \
	--set switch.callback_timeout_ms=1000
dial s1 "$CC" "*384*$TILL*7#"; ans 5927
screen "no callback by the budget, within the offline limits: Accepted" \
	'^END Accepted, ref P[0-9a-f]{24}: it will be sent when the network is back'
S1=$(ref)
st=$(state "$S1")
case $st in SENDING|RECONCILING) pass "... still open ($st): it may commit yet" ;;
*) fail "... still open: it may commit yet" "state $st" ;; esac
dial s2 "$CC" "*384*$TILL*20000#"; ans 5927
screen "over the offline limits: not confirmed yet, never called refused" \
	'^END Sent, ref P[0-9a-f]{24}: not confirmed yet, you will get an SMS\.$'
S2=$(ref)
st=$(state "$S2")
case $st in SENDING|RECONCILING) pass "... still open ($st)" ;;
*) fail "... still open" "state $st" ;; esac
hasnt "the budget answered them, nothing failed" "$LOG" 'level=error'
has "... the budget was spent" "$LOG" 'msg="answer budget spent"'

kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
finish
