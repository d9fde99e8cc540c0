# fwd_ttk.sh -- store-and-forward end to end, with the real daemon and the
# Mojaloop Testing Toolkit as the switch (tests/ttk/start.js on loopback):
#  - the switch is down (its port closed: the Toolkit not started yet):
#    bank-b's customers pay demo-dfsp's merchant by API and by USSD, the
#    payments are QUEUED within the offline limits, one over the limit is
#    refused with the limit named; /metrics shows the link down and the
#    queue;
#  - the switch comes back (the Toolkit starts) and the daemon is killed
#    with SIGKILL at random moments while it drains, ten times, restarted
#    each time on the same database;
#  - every payment ends COMMITTED exactly once (one 'committed' audit row)
#    with its transfer's condition recorded, and one final SMS to the
#    customer and one to the merchant;
#  - online: a payment by API answers 202 and commits (polled by GET), a
#    payment by USSD (POST /ussd) commits and its answer says "Paid", each
#    with one SMS per party (tests/cli/ussd_pay_ttk.sh has the other answers).
# docs/payments.md, "Forwarding".
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

# Offline counts raised so that a backlog can build (the rest as shipped).
sed 's/^offline_count = .*/offline_count = 100/' data/kyb-tiers.conf >"$T_DIR/tiers.conf"
start() {
	api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 \
		--set ussd.pin_memlimit_kib=8 --set kyb.tiers_file="$T_DIR/tiers.conf" \
		--set switch.endpoint="http://127.0.0.1:$API" \
		--set switch.callback_base="http://127.0.0.1:$CB" \
		--set switch.callback_timeout_ms=3000 --set switch.max_inflight=3 \
		--set switch.transfer_expiry_s=4
}
start
DB=$D/tillgate.db
OWNER=+255712582946
sql() { sqlite3 "$DB" "$1"; }
dial() { SID=$1 PHONE=$2 SVC=${3:-*384#} TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=$SVC" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2 ($(tr '\n' '|' <"$OUT"))"; fi
}
pay() { req "$1" POST /v1/payments "$3" -H "Idempotency-Key: $2"; }
metric() { curl -s -H "Authorization: Bearer $HUB" "$U/metrics" | sed -n "s/^$1 //p"; }

# ---- a merchant of demo-dfsp, customers of bank-b ----
dial r1 "$OWNER"
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
screen "the merchant registers by USSD" '^END MAMA JUMA SHOP is registered'
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
code "the hub-admin makes bank-b" 201
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"b-admin"}' -H 'Idempotency-Key: kb'
code "bank-b gets a dfsp-admin key" 201
BADMIN=$(jfield key)
req "$BADMIN" POST /v1/dfsps/bank-b/api-keys '{"role":"payments","user":"b-app"}' -H 'Idempotency-Key: kp'
code "bank-b gets a payments key" 201
PB=$(jfield key)
for c in 255700000011 255700000012 255700000013; do
	req "$BADMIN" POST /v1/customers "{\"msisdn\":\"+$c\",\"name\":\"Customer $c\",\"account_ref\":\"ACC-$c\",\"tier\":\"C2\"}" \
		-H "Idempotency-Key: enrol-$c"
	code "bank-b enrols $c" 201
	_code8=$(jfield activation_code)
	dial "a$c" "+$c"; ans 1; ans "$_code8"; ans 5927; ans 5927
	screen "... who activates by USSD" '^END Your account is active'
done

# ---- the switch down: queued within the limits ----
pay "$PB" q0 "{\"payer_msisdn\":\"255700000011\",\"till\":\"$TILL\",\"amount\":100}"
code "the first payment, the link not known yet: 202" 202
for _ in $(seq 100); do [ "$(metric tillgate_switch_up)" = 0 ] && break; sleep 0.1; done
same "the closed port: /metrics shows the link down" "$(metric tillgate_switch_up)" 0
same "... and that payment back in the queue" "$(sql "SELECT state FROM payment WHERE id = '$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$OUT")'")" QUEUED
N=24
i=1
while [ $i -le $N ]; do
	c=2557000000$((11 + i % 3))
	pay "$PB" "q$i" "{\"payer_msisdn\":\"$c\",\"till\":\"$TILL\",\"amount\":$((100 + i))}"
	[ "$CODE" = 202 ] && grep -q '"state":"QUEUED"' "$OUT" || fail "payment q$i queued" "HTTP $CODE $(cat "$OUT")"
	i=$((i + 1))
done
same "$N payments by API, all QUEUED" "$(sql "SELECT count(*) FROM payment WHERE state = 'QUEUED'")" $((N + 1))
has "... with a Location to poll" "$HDR" 'Location: /v1/payments/P'
pay "$PB" big "{\"payer_msisdn\":\"255700000011\",\"till\":\"$TILL\",\"amount\":5000001}"
code "one over the offline per-payment limit is refused" 422
has "... with the limit named" "$OUT" '"code":"offline_payment_limit"'
dial u1 +255700000012 "*384*$TILL*7#"; ans 5927
screen "by USSD: accepted for later" '^END Accepted, ref P[0-9a-f]{24}: it will be sent when the network is back'
same "... and QUEUED" "$(sql "SELECT count(*) FROM payment WHERE state = 'QUEUED' AND channel = 'ussd'")" 1
TOTAL=$((N + 2))
same "/metrics: the queue depth" "$(metric 'tillgate_payments{state="QUEUED"}')" $TOTAL
same "no SMS yet" "$(sql "SELECT count(*) FROM outbox WHERE ref LIKE 'P%'")" 0

# ---- a crash after a transfer was recorded, before its prepare left ----
# One queued payment is set as a crash would leave it: SENDING, with a
# transfer recorded (condition, expiration) that the switch never saw,
# already expired. After the restart the forwarder must ask the switch
# (GET: 3208, not found), and only because it expired make new ids.
kill -9 "$PID"; wait "$PID" 2>/dev/null
X=$(sql "SELECT id FROM payment WHERE state = 'QUEUED' AND channel = 'api' ORDER BY created LIMIT 1")
XT=7a1f0c3e-5b2d-4e8f-9a6b-1c2d3e4f5a6b
sql "UPDATE payment SET state = 'SENDING', transaction_id = '5a1f0c3e-5b2d-4e8f-9a6b-1c2d3e4f5a6b',
	quote_id = '6a1f0c3e-5b2d-4e8f-9a6b-1c2d3e4f5a6b', transfer_id = '$XT' WHERE id = '$X';
	INSERT INTO payment_transfer (transfer_id, payment_id, payee_fsp, condition, expiration_ms)
	VALUES ('$XT', '$X', 'acqbank', 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM',
		(CAST(strftime('%s', 'now') AS INTEGER) - 60) * 1000)"
RC=$?
status "a payment left SENDING with a recorded, expired transfer" 0
API_WHAT="restart after that crash" start
for _ in $(seq 50); do [ "$(sql "SELECT state FROM payment WHERE id = '$X'")" = RECONCILING ] && break; sleep 0.1; done
same "... it is RECONCILING after the restart" "$(sql "SELECT state FROM payment WHERE id = '$X'")" RECONCILING

# ---- the switch comes back; SIGKILL ten times while draining ----
TTK_API_PORT=$API TTK_ADMIN_PORT=$TTK_ADM TTK_CALLBACK_URL=http://127.0.0.1:$CB TTK_KEEP_TRANSFERS=1 \
	TTK_RUN_DIR=$T_DIR/ttk TTK_TIMEOUT_S=150 node tests/ttk/start.js >"$T_DIR/ttk.log" 2>&1 &
TTK_PID=$!
ready=
for _ in $(seq 600); do
	c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/" 2>/dev/null)
	if [ -n "$c" ] && [ "$c" != 000 ]; then ready=1; break; fi
	kill -0 "$TTK_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -n "$ready" ]; then pass "the Toolkit answers"; else fail "the Toolkit answers" "$(tail -20 "$T_DIR/ttk.log")"; finish; fi
kills=0
while [ $kills -lt 10 ]; do
	sleep "0.$(od -An -N1 -tu1 /dev/urandom | awk '{printf "%02d", $1 % 90 + 5}')"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null
	kills=$((kills + 1))
	API_WHAT="restart $kills after SIGKILL ($(sql "SELECT count(*) FROM payment WHERE state = 'COMMITTED'") committed)" start
done
for _ in $(seq 600); do
	[ "$(sql "SELECT count(*) FROM payment WHERE state <> 'COMMITTED'")" = 0 ] && break
	sleep 0.1
done
same "every payment ends COMMITTED" "$(sql "SELECT state, count(*) FROM payment GROUP BY state")" "COMMITTED|$TOTAL"
same "... exactly once each (one 'committed' audit row)" \
	"$(sql "SELECT count(*) FROM (SELECT entity_id FROM audit WHERE entity = 'payment' AND action = 'committed' GROUP BY entity_id HAVING count(*) = 1)")" $TOTAL
same "... each with its transfer recorded before it was sent" \
	"$(sql "SELECT count(*) FROM payment p JOIN payment_transfer t ON t.transfer_id = p.transfer_id AND t.payment_id = p.id")" $TOTAL
same "one SMS to the customer and one to the merchant per payment" \
	"$(sql "SELECT count(*) FROM payment p WHERE (SELECT count(*) FROM outbox o WHERE o.ref = p.id AND o.dest LIKE '%' || p.payer_msisdn) = 1 AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id AND o.dest LIKE '%255712582946') = 1 AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id) = 2")" $TOTAL
same "the crashed payment: the switch did not know its transfer, new ids, COMMITTED" \
	"$(sql "SELECT state, transfer_id <> '$XT' FROM payment WHERE id = '$X'")" "COMMITTED|1"
N_RESENT=$(sql "SELECT count(*) FROM audit s WHERE s.entity = 'payment' AND s.entity_id = '$X'
	AND s.action = 'sending' AND s.id > (SELECT min(r.id) FROM audit r WHERE r.entity = 'payment'
	AND r.entity_id = '$X' AND r.action = 'reconciling')")
if [ "${N_RESENT:-0}" -gt 0 ]; then pass "... sent again only after it was reconciled (audit)"
else fail "... sent again only after it was reconciled (audit)" "no 'sending' after 'reconciling'"; fi
echo "# $(sql "SELECT count(DISTINCT entity_id) FROM audit WHERE entity = 'payment' AND action = 'reconciling'") payments were reconciled after a SIGKILL or an unknown outcome"
same "/metrics: the queue is empty" "$(metric 'tillgate_payments{state="QUEUED"}')" 0
same "... the link up" "$(metric tillgate_switch_up)" 1

# ---- online ----
pay "$PB" o1 "{\"payer_msisdn\":\"255700000013\",\"till\":\"$TILL\",\"amount\":4321}"
code "online by API: 202, on its way" 202
OID=$(jfield id)
has "... a Location" "$HDR" "Location: /v1/payments/$OID"
st=
for _ in $(seq 100); do
	req "$PB" GET "/v1/payments/$OID"
	st=$(jfield state)
	[ "$st" = COMMITTED ] && break
	sleep 0.1
done
same "... COMMITTED when polled" "$st" COMMITTED
same "... with one SMS each" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$OID'")" 2
dial u2 +255700000011 "*384*$TILL*9#"; ans 5927
screen "online by USSD: committed within the answer budget" '^END Paid TZS 9\.00 to MAMA JUMA SHOP, ref P[0-9a-f]{24}\.$'
UID_=$(sed -n 's/.*ref \(P[0-9a-f]*\).*/\1/p' "$OUT")
for _ in $(seq 100); do
	[ "$(sql "SELECT state FROM payment WHERE id = '$UID_'")" = COMMITTED ] && break
	sleep 0.1
done
same "... COMMITTED" "$(sql "SELECT state FROM payment WHERE id = '$UID_'")" COMMITTED
same "... with one SMS each" "$(sql "SELECT count(*) FROM outbox WHERE ref = '$UID_'")" 2
same "... its transfer went once (one SENDING)" "$(sql "SELECT attempts FROM payment WHERE id = '$UID_'")" 1
finish
