# fwd_sim.sh -- store-and-forward of 200 payments end to end, with the
# real daemon and our own switch simulator (tests/sim/switch_sim.js) as the
# switch; the Toolkit is too slow for this many:
#  - a test tier file raises the offline count and exposure (so that one
#    merchant and a few customers can queue 200) and gives customer tier
#    C0 an offline maximum age of 2 s;
#  - the switch down (its port closed: the simulator not started yet):
#    200 payments within the limits are accepted and QUEUED; one over the
#    offline per-payment limit is refused with the limit named; a C0
#    customer's payments pass their maximum age and EXPIRE at the next
#    start, the customer and the merchant told by SMS;
#  - the simulator started on that port, the daemon killed with SIGKILL at
#    random moments while it drains (at least ten times, restarted each
#    time on the same database);
#  - every payment not expired ends COMMITTED exactly once: one 'committed'
#    audit row, exactly one COMMITTED transfer at the switch among the
#    transfers it recorded, one commit per transaction at the switch and
#    as many in total as COMMITTED payments, no modified duplicate (3106);
#    each payment's customer and merchant get exactly one final SMS;
#    'tillgate db check' is clean.
# docs/payments.md, "Forwarding"; tests/sim/README.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
. tests/sim/lib.sh
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; sim_stop; rm -rf "$T_DIR"' EXIT

set -- $(free_ports 2)
SWP=$1 CB=$2
N=200       # payments queued, then forwarded
NEXP=4      # of a C0 customer, expired before the switch comes back
KILLS=10    # SIGKILLs while draining, at least

# Offline limits raised for a backlog; C0's queued payments void after 2 s.
sed -e 's/^offline_count = .*/offline_count = 1000/' \
	-e 's/^offline_exposure = .*/offline_exposure = 1_000_000_000/' \
	-e 's/^\[customer C0\]$/[customer C0]\noffline_max_age = 2/' \
	data/kyb-tiers.conf >"$T_DIR/tiers.conf"
start() {
	{
		api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 \
			--set ussd.pin_memlimit_kib=8 --set kyb.tiers_file="$T_DIR/tiers.conf" \
			--set switch.endpoint="http://127.0.0.1:$SWP" \
			--set switch.callback_base="http://127.0.0.1:$CB" \
			--set switch.callback_timeout_ms=1000 --set switch.max_inflight=8 \
			--set switch.transfer_expiry_s=2
	} 8>&-
}
start
DB=$D/tillgate.db
OWNER=+255712582946
sql() { sqlite3 "$DB" "$1"; }
dial() { SID=$1 PHONE=$2 TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=*384#" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2 ($(tr '\n' '|' <"$OUT"))"; fi
}
pay() { req "$PB" POST /v1/payments "$2" -H "Idempotency-Key: $1"; }
metric() { curl -s -H "Authorization: Bearer $HUB" "$U/metrics" | sed -n "s/^$1 //p"; }
pending() { sql "SELECT count(*) FROM payment WHERE state NOT IN ('COMMITTED', 'FAILED', 'EXPIRED')"; }

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
for c in 255700000011:C2 255700000012:C2 255700000013:C2 255700000014:C2 255700000019:C0; do
	m=${c%:*} tier=${c#*:}
	req "$BADMIN" POST /v1/customers "{\"msisdn\":\"+$m\",\"name\":\"Customer $m\",\"account_ref\":\"ACC-$m\",\"tier\":\"$tier\"}" \
		-H "Idempotency-Key: enrol-$m"
	code "bank-b enrols $m ($tier)" 201
	_code8=$(jfield activation_code)
	dial "a$m" "+$m"; ans 1; ans "$_code8"; ans 5927; ans 5927
	screen "... who activates by USSD" '^END Your account is active'
done

# ---- the switch down: 200 queued, one refused ----
pay q1 "{\"payer_msisdn\":\"255700000011\",\"till\":\"$TILL\",\"amount\":101}"
code "the first payment, the link not known yet: 202" 202
for _ in $(seq 100); do [ "$(metric tillgate_switch_up)" = 0 ] && break; sleep 0.1; done
same "the closed port: /metrics shows the link down" "$(metric tillgate_switch_up)" 0
bad=0
i=2
while [ $i -le $N ]; do
	pay "q$i" "{\"payer_msisdn\":\"2557000000$((11 + i % 4))\",\"till\":\"$TILL\",\"amount\":$((100 + i))}"
	if [ "$CODE" != 202 ] || ! grep -q '"state":"QUEUED"' "$OUT"; then
		bad=$((bad + 1))
		[ $bad -le 3 ] && echo "# payment q$i: HTTP $CODE $(cat "$OUT")"
	fi
	i=$((i + 1))
done
same "$N payments within the limits: 202, QUEUED" \
	"$bad $(sql "SELECT count(*) FROM payment WHERE state = 'QUEUED'")" "0 $N"
pay big "{\"payer_msisdn\":\"255700000011\",\"till\":\"$TILL\",\"amount\":5000001}"
code "one over the offline per-payment limit is refused" 422
has "... with its reason" "$OUT" '"code":"offline_payment_limit"'
has "... naming the limit" "$OUT" 'over the C2 offline per-payment limit of TZS 50,000\.00'

# ---- expiry: a C0 customer's payments past their maximum age ----
i=1
while [ $i -le $NEXP ]; do
	pay "e$i" "{\"payer_msisdn\":\"255700000019\",\"till\":\"$TILL\",\"amount\":$((500 + i))}"
	[ "$CODE" = 202 ] && grep -q '"state":"QUEUED"' "$OUT" || fail "payment e$i queued" "HTTP $CODE $(cat "$OUT")"
	i=$((i + 1))
done
same "$NEXP payments of the C0 customer QUEUED, void after 2 s" \
	"$(sql "SELECT count(*) FROM payment WHERE state = 'QUEUED' AND payer_msisdn LIKE '%255700000019' AND expires_at > 0")" $NEXP
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM payment WHERE expires_at > 0 AND expires_at < CAST(strftime('%s', 'now') AS INTEGER)")" = $NEXP ] && break
	sleep 0.1
done
# the sweep runs at start (then every minute)
kill -9 "$PID"; wait "$PID" 2>/dev/null
API_WHAT="restart: the sweep" start
for _ in $(seq 100); do [ "$(sql "SELECT count(*) FROM payment WHERE state = 'EXPIRED'")" = $NEXP ] && break; sleep 0.1; done
same "past their maximum age they EXPIRE" "$(sql "SELECT count(*) FROM payment WHERE state = 'EXPIRED' AND payer_msisdn LIKE '%255700000019'")" $NEXP
same "... the customer and the merchant told, once each" \
	"$(sql "SELECT count(*) FROM payment p WHERE p.state = 'EXPIRED' AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id AND o.dest LIKE '%255700000019') = 1 AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id AND o.dest LIKE '%255712582946') = 1 AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id) = 2")" $NEXP
EX1=$(sql "SELECT id FROM payment WHERE state = 'EXPIRED' ORDER BY id LIMIT 1")
same "... the customer: cancelled, not charged; the merchant: expired" \
	"$(sql "SELECT body FROM outbox WHERE ref = '$EX1' AND dest LIKE '%255700000019'" | grep -c 'could not be sent in time and is cancelled. You were not charged') $(sql "SELECT body FROM outbox WHERE ref = '$EX1' AND dest LIKE '%255712582946'" | grep -c 'expired: not paid')" "1 1"
# (the restarted daemon may be probing the closed port with a few of them)
same "... and the $N others still waiting, no SMS" \
	"$(sql "SELECT count(*) FROM payment WHERE state IN ('QUEUED', 'SENDING')") $(sql "SELECT count(*) FROM outbox o JOIN payment p ON p.id = o.ref WHERE p.state <> 'EXPIRED'")" "$N 0"

# ---- the switch back; SIGKILL at random moments while draining ----
sim_start "http://127.0.0.1:$CB" --port "$SWP" --fast --idle-exit-s 120
# Callbacks a little late, so that a SIGKILL often finds transfers sent
# and not yet answered (their callbacks then reach the next daemon).
sim POST /sim/faults '{"delay_ms":{"quotes":50,"transfers":150}}'
same "... its callbacks of quotes and transfers delayed" "$SIM_CODE" 200
kills=0
while :; do
	left=$(pending)
	[ "$left" = 0 ] && break
	[ $kills -ge $KILLS ] && break
	sleep "0.$(od -An -N1 -tu1 /dev/urandom | awk '{printf "%02d", $1 % 40 + 5}')"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null
	kills=$((kills + 1))
	API_WHAT="restart $kills after SIGKILL ($left in flight or queued, $(sql "SELECT count(*) FROM payment WHERE state = 'COMMITTED'") committed)" start
done
if [ $kills -ge $KILLS ]; then pass "killed $kills times while draining"
else fail "killed $KILLS times while draining" "only $kills: the queue drained first"; fi
for _ in $(seq 600); do [ "$(pending)" = 0 ] && break; sleep 0.1; done
same "every payment not expired ends COMMITTED" \
	"$(sql "SELECT state || ' ' || count(*) FROM payment GROUP BY state ORDER BY state" | tr '\n' ' ')" "COMMITTED $N EXPIRED $NEXP "
same "... exactly once each (one 'committed' audit row)" \
	"$(sql "SELECT count(*) FROM (SELECT entity_id FROM audit WHERE entity = 'payment' AND action = 'committed' GROUP BY entity_id HAVING count(*) = 1)") $(sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND action = 'committed'")" "$N $N"
REC=$(sql "SELECT count(DISTINCT entity_id) FROM audit WHERE entity = 'payment' AND action = 'reconciling'")
if [ "${REC:-0}" -gt 0 ]; then pass "the SIGKILLs left payments in flight: $REC reconciled after a restart"
else fail "the SIGKILLs left payments in flight" "none reconciled"; fi
echo "# $(sql "SELECT count(*) FROM payment_transfer") transfers recorded for $N payments"

# one COMMITTED transfer at the switch per payment, among those it recorded
sim GET /sim/transfers
cp "$SIM_OUT" "$T_DIR/transfers.json"
sql "SELECT transfer_id || ' ' || payment_id FROM payment_transfer" >"$T_DIR/pt"
sql "SELECT id || ' ' || transfer_id FROM payment WHERE state = 'COMMITTED'" >"$T_DIR/final"
node -e '
const fs = require("fs");
const sim = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const owner = new Map(fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => l.split(" ")));
const finals = fs.readFileSync(process.argv[3], "utf8").trim().split("\n").map((l) => l.split(" "));
const per = new Map();
let stray = 0;
for (const t of sim) {
	if (t.state !== "COMMITTED") continue;
	const p = owner.get(t.transferId);
	if (!p) { stray++; continue; }
	per.set(p, (per.get(p) || []).concat(t.transferId));
}
let once = 0, same = 0;
for (const [id, xf] of finals) {
	const c = per.get(id) || [];
	if (c.length === 1) once++;
	if (c.length === 1 && c[0] === xf) same++;
}
console.log(`${once} ${same} ${stray} ${[...per.values()].filter((c) => c.length > 1).length}`);
' "$T_DIR/transfers.json" "$T_DIR/pt" "$T_DIR/final" >"$OUT"
same "one COMMITTED transfer at the switch per payment, the one it ended with; none unknown, none twice" \
	"$(cat "$OUT")" "$N $N 0 0"
sim GET /sim/stats
same "the switch: one commit per transaction, as many as COMMITTED payments" \
	"$(sjs '[s.committed_total, Object.keys(s.committed).length, Object.values(s.committed).every((n) => n === 1)].join(" ")')" "$N $N true"
same "... no modified duplicate from the daemon (3106)" "$(sjs 's.errors["3106"] || 0')" 0
echo "# switch: $(sjs 'JSON.stringify(s.requests) + " duplicates " + s.duplicates + " errors " + JSON.stringify(s.errors)')"
same "one final SMS to the customer and one to the merchant per payment" \
	"$(sql "SELECT count(*) FROM payment p WHERE (SELECT count(*) FROM outbox o WHERE o.ref = p.id AND o.dest LIKE '%' || p.payer_msisdn) = 1 AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id AND o.dest LIKE '%255712582946') = 1 AND (SELECT count(*) FROM outbox o WHERE o.ref = p.id) = 2")" $((N + NEXP))
same "/metrics: the queue empty, the link up" \
	"$(metric 'tillgate_payments{state="QUEUED"}') $(metric tillgate_switch_up)" "0 1"
kill "$PID"; wait "$PID" 2>/dev/null; PID=
tg db check --set gateway.data_dir="$D"
status "tillgate db check: clean" 0
finish
