# switch_sim.sh -- the daemon's forwarder against our own switch simulator
# (tests/sim/switch_sim.js), for what the Testing Toolkit does not model:
#  - the simulator's own checks: a request without FSPIOP-Source or with a
#    bad Date is refused naming the header; an unknown party is 3204;
#  - a payment commits, one transfer at the switch;
#  - the transfer's callback dropped: the daemon asks with GET, never a
#    second POST, and the payment commits once; the test then sends the
#    daemon's own POST /transfers again: the switch resends the final state
#    (a duplicate, no second commit); with another body: 3106;
#  - the callback late (delayed beyond callback_timeout_ms): resolved by
#    GET, the late callback unmatched, one transfer, one commit;
#  - the POST /transfers lost before the switch saw it: GET -> 3208; the
#    daemon sends the same POST again (same transferId, the lost body byte
#    for byte), no new ids, one commit;
#  - the POST and its resend both lost: new ids only past the first
#    transfer's expiration; one commit;
#  - the POST lost and the daemon killed: after the restart the GET finds
#    nothing (3208) and the same POST is sent again; one commit;
#  - a transfer that expires unfinished (3303): a duplicate of it in
#    flight is ignored; new ids only then; one commit;
#  - a COMMITTED callback with a fulfilment that does not match: not
#    taken; the GET's verified one commits;
#  - the switch answering 503: the payment QUEUED, then COMMITTED once;
#  - the daemon never sends a modified duplicate (3106 stays 0 until the
#    test makes one), and every payment has one final SMS per party.
# docs/payments.md "Forwarding", docs/switch.md "Tests".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
. tests/sim/lib.sh
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; sim_stop; rm -rf "$T_DIR"' EXIT

CB=$(free_ports 1)
sim_start "http://127.0.0.1:$CB"
daemon() {
	api_start --set gateway.listen="127.0.0.1:$CB" --set ussd.pin_opslimit=1 \
		--set ussd.pin_memlimit_kib=8 \
		--set switch.endpoint="$SIM_U" --set switch.callback_base="http://127.0.0.1:$CB" \
		--set switch.callback_timeout_ms=1000 --set switch.max_inflight=4 \
		--set switch.transfer_expiry_s="${EXPIRY:-3}"
} 8>&-
daemon
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
metric() { curl -s -H "Authorization: Bearer $HUB" "$U/metrics" | sed -n "s/^$1 //p"; }
# fsp METHOD PATH RESOURCE [BODY] [HEADER...]: an FSPIOP request to the
# simulator with the headers the daemon sends; status in $CODE, body in $OUT.
fsp() {
	_m=$1 _p=$2 _r=$3 _b=${4-}; shift 3; [ $# -gt 0 ] && shift
	_mt="application/vnd.interoperability.$_r+json"
	set -- "$@" -H "Accept: $_mt;version=1" -H "Content-Type: $_mt;version=1.1" \
		-H "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')"
	[ -n "$_b" ] && set -- "$@" --data-binary "$_b"
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X "$_m" "$@" "$SIM_U$_p")
}
# pay IDEM AMOUNT: bank-b's customer pays the till; PAYID its id.
pay() {
	req "$PB" POST /v1/payments "{\"payer_msisdn\":\"255700000011\",\"till\":\"$TILL\",\"amount\":$2}" \
		-H "Idempotency-Key: $1"
	PAYID=$(jfield id)
	[ "$CODE" = 202 ] && [ -n "$PAYID" ] || fail "payment $1 accepted" "HTTP $CODE $(cat "$OUT")"
}
# final ID WHAT EXPECTED: waits (up to 30 s) for payment ID to leave the
# states in flight, then checks its state.
final() {
	for _ in $(seq 300); do
		case $(sql "SELECT state FROM payment WHERE id = '$1'") in
		COMMITTED | FAILED | EXPIRED) break ;;
		esac
		sleep 0.1
	done
	same "$2" "$(sql "SELECT state FROM payment WHERE id = '$1'")" "$3"
}
# xfers ID: the transfer ids the daemon recorded for payment ID, oldest first.
xfers() { sql "SELECT transfer_id FROM payment_transfer WHERE payment_id = '$1' ORDER BY rowid"; }
# committed_of ID: commits at the simulator over all of payment ID's transfers.
committed_of() {
	sim GET /sim/transfers
	_ids=$(xfers "$1" | tr '\n' ' ')
	sjs "s.filter((t) => '$_ids'.split(' ').includes(t.transferId) && t.state === 'COMMITTED').length"
}
# one_each ID WHAT: one 'committed' audit row, one SMS each to payer and merchant.
one_each() {
	same "$2: one 'committed' audit row, one SMS to the customer, one to the merchant" \
		"$(sql "SELECT (SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$1' AND action = 'committed') || ' ' ||
			(SELECT count(*) FROM outbox WHERE ref = '$1' AND dest LIKE '%255700000011') || ' ' ||
			(SELECT count(*) FROM outbox WHERE ref = '$1' AND dest LIKE '%255712582946') || ' ' ||
			(SELECT count(*) FROM outbox WHERE ref = '$1')")" "1 1 1 2"
}
stat() { sim GET /sim/stats; sjs "$1"; }

# ---- the simulator's own checks ----
fsp GET /parties/ALIAS/12345 parties
code "the simulator: GET /parties without FSPIOP-Source" 400
has "... names the header" "$OUT" '"errorCode":"3102","errorDescription":"FSPIOP-Source: missing"'
CODE=$(curl -s -o "$OUT" -w '%{http_code}' "$SIM_U/parties/ALIAS/12345" -H 'FSPIOP-Source: x' \
	-H 'Accept: application/vnd.interoperability.parties+json;version=1' \
	-H 'Content-Type: application/vnd.interoperability.parties+json;version=1.1' -H 'Date: yesterday')
code "... a Date that is not RFC 7231" 400
has "... names the header" "$OUT" '"errorCode":"3101","errorDescription":"Date: '
fsp POST /quotes quotes '{}' -H 'FSPIOP-Source: x' -H 'Content-Type: application/vnd.interoperability.quotes+json;version=2.0'
code "... another major version" 406
has "... 3001" "$OUT" '"errorCode":"3001"'
fsp POST /quotes quotes '{}' -H 'FSPIOP-Source: x'
code "... POST /quotes without FSPIOP-Destination" 400
has "... names the header" "$OUT" 'FSPIOP-Destination: missing'
sim POST /sim/faults '{"drop":{"transfer":1}}'
same "... its control API names a bad fault" "$SIM_CODE $(cat "$SIM_OUT")" \
	'400 {"error":"$.drop.transfer: not one of parties, quotes, transfers"}'
sim POST /sim/reset

# ---- a merchant of demo-dfsp, a customer of bank-b ----
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
req "$BADMIN" POST /v1/customers '{"msisdn":"+255700000011","name":"Customer 11","account_ref":"ACC-11","tier":"C2"}' \
	-H "Idempotency-Key: enrol-11"
code "bank-b enrols a customer" 201
_code8=$(jfield activation_code)
dial a11 +255700000011; ans 1; ans "$_code8"; ans 5927; ans 5927
screen "... who activates by USSD" '^END Your account is active'

# ---- a payment, every callback on time ----
pay p1 101
final "$PAYID" "a payment with every callback on time: COMMITTED" COMMITTED
P1=$PAYID
same "... one lookup, one quote, one transfer, no GET at the switch" \
	"$(stat '[s.requests["GET /parties"], s.requests["POST /quotes"], s.requests["POST /transfers"], s.requests["GET /transfers"] || 0].join(" ")')" "1 1 1 0"
same "... one commit at the switch, for the daemon's transfer" "$(committed_of "$P1")" 1
same "... its transaction committed once" "$(stat 's.committed_total + " " + Object.values(s.committed).join(",")')" "1 1"
one_each "$P1" "..."

# ---- the transfer's callback dropped ----
sim POST /sim/faults '{"drop":{"transfers":1}}'
pay p2 102
final "$PAYID" "the transfer's callback dropped: COMMITTED" COMMITTED
P2=$PAYID
same "... one POST /transfers (no new transfer), resolved by GET" \
	"$(stat '[s.requests["POST /transfers"], s.requests["GET /transfers"] >= 1, s.callbacks.dropped].join(" ")')" "2 true 1"
same "... one transfer recorded, one commit at the switch" "$(xfers "$P2" | wc -l) $(committed_of "$P2")" "1 1"
one_each "$P2" "..."
# the daemon's POST /transfers sent again, as a client without its 202 would
sim GET /sim/transfers
X2=$(xfers "$P2")
B2=$(sjs "s.find((t) => t.transferId === '$X2').body")
UNM=$(metric tillgate_switch_callbacks_unmatched_total)
SENT=$(stat 's.callbacks.delivered')
fsp POST /transfers transfers "$B2" -H 'FSPIOP-Source: bank-b' -H 'FSPIOP-Destination: simpayee'
code "the same POST /transfers again, byte for byte" 202
for _ in $(seq 50); do [ "$(stat 's.callbacks.delivered')" -gt "$SENT" ] && break; sleep 0.1; done
same "... the switch resends the final state: a duplicate, still one commit" \
	"$(stat '[s.duplicates, s.committed_total, s.callbacks.delivered].join(" ")')" "1 2 $((SENT + 1))"
for _ in $(seq 50); do [ "$(metric tillgate_switch_callbacks_unmatched_total)" -gt "$UNM" ] && break; sleep 0.1; done
same "... the daemon takes it as an unmatched late callback" "$(metric tillgate_switch_callbacks_unmatched_total)" $((UNM + 1))
same "... the payment unchanged" "$(sql "SELECT state, version FROM payment WHERE id = '$P2'")" \
	"$(sql "SELECT 'COMMITTED', max(version) FROM payment WHERE id = '$P2'")"

# ---- the callback late: delayed beyond callback_timeout_ms ----
sim POST /sim/faults '{"delay_ms":{"transfers":2500},"delay_count":{"transfers":1}}'
pay p3 103
final "$PAYID" "the transfer's callback late: COMMITTED" COMMITTED
P3=$PAYID
for _ in $(seq 100); do [ "$(stat 's.callbacks.sent')" = "$(stat 's.callbacks.delivered')" ] && break; sleep 0.1; done
same "... one transfer recorded, one commit at the switch" "$(xfers "$P3" | wc -l) $(committed_of "$P3")" "1 1"
same "... the switch saw one POST /transfers for it" \
	"$(sim GET /sim/transfers; sjs "s.find((t) => t.transferId === '$(xfers "$P3")').posts")" 1
same "... no audit move after the commit (the late callback changed nothing)" \
	"$(sql "SELECT action FROM audit WHERE entity = 'payment' AND entity_id = '$P3' ORDER BY id DESC LIMIT 1")" committed
one_each "$P3" "..."

# ---- the POST /transfers lost: the switch never saw it ----
# lost_body ID: the body of the lost POST of transfer ID, as the simulator
# read it; sent_body ID: the body of its POST that reached the switch.
lost_body() { sim GET /sim/stats; sjs "s.lost_bodies[s.lost_ids.indexOf('$1')]"; }
sent_body() { sim GET /sim/transfers; sjs "(s.find((t) => t.transferId === '$1') || {}).body"; }
# same_body WHAT ID: the resend of transfer ID is the lost POST, byte for byte.
same_body() {
	lost_body "$2" >"$T_DIR/lost.json"
	sent_body "$2" >"$T_DIR/sent.json"
	if [ "$(wc -c <"$T_DIR/lost.json")" -gt 100 ] && cmp -s "$T_DIR/lost.json" "$T_DIR/sent.json"
	then pass "$1"
	else fail "$1" "lost: $(cat "$T_DIR/lost.json"); sent again: $(cat "$T_DIR/sent.json")"; fi
}
resends() { sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$1' AND action = 'resend'"; }
sim POST /sim/faults '{"lose":{"transfers":1}}'
pay p4 104
final "$PAYID" "the POST /transfers lost before the switch: COMMITTED" COMMITTED
P4=$PAYID
X4=$(xfers "$P4")
same "... one transfer recorded (no new ids), sent twice, one 'resend' audit row" \
	"$(xfers "$P4" | wc -l) $(sql "SELECT sends FROM payment_transfer WHERE transfer_id = '$X4'") $(resends "$P4")" "1 2 1"
same "... the GET of it answered 3208" "$(stat 's.errors["3208"] >= 1')" true
same "... the first POST lost, the second seen once, unmodified, COMMITTED" \
	"$(stat "s.lost_ids.filter((i) => i === '$X4').length") $(sim GET /sim/transfers; sjs "(t => [t.posts, t.modified, t.state].join(' '))(s.find((t) => t.transferId === '$X4') || {})")" \
	"1 1 0 COMMITTED"
same_body "... the second POST is the lost one, byte for byte" "$X4"
same "... /metrics: one transfer resent" "$(metric 'tillgate_forward_total{outcome="resent"}')" 1
same "... one commit at the switch" "$(committed_of "$P4")" 1
one_each "$P4" "..."

# ---- the POST and its resend both lost: new ids past the expiration ----
sim POST /sim/faults '{"lose_posts":{"transfers":2}}'
pay p8 108
final "$PAYID" "the POST /transfers and its resend lost: COMMITTED" COMMITTED
P8=$PAYID
set -- $(xfers "$P8")
X8A=${1-} X8B=${2-}
same "... two transfers recorded, the first sent twice, the second once" \
	"$(xfers "$P8" | wc -l) $(sql "SELECT group_concat(sends, ' ') FROM (SELECT sends FROM payment_transfer WHERE payment_id = '$P8' ORDER BY rowid)")" "2 2 1"
sim GET /sim/transfers
same "... the first unknown at the switch (lost twice, same body), the second COMMITTED" \
	"$(sjs "[s.filter((t) => t.transferId === '$X8A').length, (s.find((t) => t.transferId === '$X8B') || {}).state].join(' ')") $(stat "[s.lost_ids.filter((i) => i === '$X8A').length, s.lost_bodies[s.lost_ids.indexOf('$X8A')] === s.lost_bodies[s.lost_ids.lastIndexOf('$X8A')]].join(' ')")" \
	"0 COMMITTED 2 true"
EXP8=$(sql "SELECT expiration_ms FROM payment_transfer WHERE transfer_id = '$X8A'")
same "... new ids only after the first transfer's expiration" \
	"$(sim GET /sim/transfers; sjs "Date.parse((s.find((t) => t.transferId === '$X8B') || {}).received) >= $EXP8")" true
same "... one commit at the switch" "$(committed_of "$P8")" 1
same "... /metrics: two transfers resent since start" "$(metric 'tillgate_forward_total{outcome="resent"}')" 2
one_each "$P8" "..."

# ---- a transfer expires unfinished: 3303 ----
sim POST /sim/faults '{"expire_transfers":1}'
pay p5 105
P5=$PAYID
for _ in $(seq 100); do [ "$(xfers "$P5" | wc -l)" -ge 1 ] && break; sleep 0.1; done
X5A=$(xfers "$P5" | head -n 1)
for _ in $(seq 100); do
	sim GET /sim/transfers
	[ "$(sjs "(s.find((t) => t.transferId === '$X5A') || {}).state")" = RESERVED ] && break
	sleep 0.05
done
B5=$(sjs "s.find((t) => t.transferId === '$X5A').body")
IGN=$(stat 's.duplicates_ignored')
fsp POST /transfers transfers "$B5" -H 'FSPIOP-Source: bank-b' -H 'FSPIOP-Destination: simpayee'
code "a duplicate of the transfer held in flight" 202
same "... is ignored by the switch" "$(stat 's.duplicates_ignored')" $((IGN + 1))
final "$P5" "the transfer expired at the switch (3303): COMMITTED with new ids" COMMITTED
set -- $(xfers "$P5")
X5B=${2-}
sim GET /sim/transfers
same "... the first ABORTED with 3303, the second COMMITTED" \
	"$(sjs "[s.find((t) => t.transferId === '$X5A').state, s.find((t) => t.transferId === '$X5A').errorCode, (s.find((t) => t.transferId === '$X5B') || {}).state].join(' ')")" \
	"ABORTED 3303 COMMITTED"
same "... the second made only once the first had expired" \
	"$(sjs "Date.parse(s.find((t) => t.transferId === '$X5B').received) >= Date.parse(s.find((t) => t.transferId === '$X5A').expiration)")" true
same "... one commit at the switch" "$(committed_of "$P5")" 1
one_each "$P5" "..."

# ---- a COMMITTED callback whose fulfilment does not match ----
sim POST /sim/faults '{"bad_fulfilment":1}'
pay p7 107
final "$PAYID" "a COMMITTED callback with a wrong fulfilment: COMMITTED only through the GET" COMMITTED
P7=$PAYID
same "... the callback refused, the GET asked, one transfer, one commit at the switch" \
	"$(sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$P7' AND action = 'reconciling'") $(xfers "$P7" | wc -l) $(committed_of "$P7")" "1 1 1"
one_each "$P7" "..."

# ---- the switch answering 503 ("down"), then back ----
sim POST /sim/faults '{"down":true}'
pay p6 106
P6=$PAYID
for _ in $(seq 100); do [ "$(sql "SELECT state FROM payment WHERE id = '$P6'")" = QUEUED ] && break; sleep 0.1; done
same "the switch answering 503: the payment QUEUED, the link down" \
	"$(sql "SELECT state FROM payment WHERE id = '$P6'") $(metric tillgate_switch_up) $(stat 's.refused_down >= 1')" "QUEUED 0 true"
sim POST /sim/faults '{"down":false}'
final "$P6" "... the switch back: COMMITTED" COMMITTED
same "... one transfer, one commit at the switch" "$(xfers "$P6" | wc -l) $(committed_of "$P6")" "1 1"
one_each "$P6" "..."

# ---- the POST lost, the daemon killed: resent after the restart ----
# Transfers of 30 s from here, so that the restart is well within one.
kill "$PID"; wait "$PID" 2>/dev/null
API_WHAT="restart with transfers of 30 s" EXPIRY=30 daemon
sim POST /sim/faults '{"lose":{"transfers":1}}'
LOST=$(stat 's.lost')
pay p9 109
P9=$PAYID
for _ in $(seq 100); do [ "$(stat 's.lost')" -gt "$LOST" ] && break; sleep 0.05; done
kill -9 "$PID"; wait "$PID" 2>/dev/null
X9=$(xfers "$P9")
same "the POST /transfers lost, then the daemon killed: the payment left SENDING" \
	"$(sql "SELECT state FROM payment WHERE id = '$P9'") $(stat "s.lost_ids.includes('$X9')")" "SENDING true"
API_WHAT="restart after the kill" EXPIRY=30 daemon
final "$P9" "... after the restart: COMMITTED" COMMITTED
same "... reconciled, then the same transfer sent again: one transfer, sent twice, one resend" \
	"$(sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$P9' AND action = 'reconciling'") $(xfers "$P9" | wc -l) $(sql "SELECT sends FROM payment_transfer WHERE transfer_id = '$X9'") $(resends "$P9")" \
	"1 1 2 1"
same_body "... the POST after the restart is the lost one, byte for byte" "$X9"
same "... one commit at the switch" "$(committed_of "$P9")" 1
one_each "$P9" "..."

# ---- a party the switch does not know ----
fsp GET /parties/ALIAS/40412345 parties '' -H 'FSPIOP-Source: bank-b'
code "a lookup of a party id starting with 404" 202
same "... answered with 3204" "$(stat 's.errors["3204"]')" 1

# ---- no modified duplicate from the daemon, ever ----
same "the daemon never sent a modified request (3106 count 0)" "$(stat 's.errors["3106"] || 0')" 0
same "... every commit at the switch is one of the daemon's payments" \
	"$(stat 's.committed_total') $(stat 'Object.values(s.committed).every((n) => n === 1)')" "9 true"
# the test's own modified duplicate: 3106
MOD=$(printf '%s' "$B2" | sed 's/"expiration":"[^"]*"/"expiration":"2099-01-01T00:00:00.000Z"/')
fsp POST /transfers transfers "$MOD" -H 'FSPIOP-Source: bank-b' -H 'FSPIOP-Destination: simpayee'
code "a modified POST /transfers (same id, another body)" 202
same "... is refused with 3106, the transfer still COMMITTED" \
	"$(stat 's.errors["3106"]') $(sim GET /sim/transfers; sjs "s.find((t) => t.transferId === '$X2').state")" "1 COMMITTED"
same "... the GET of an id never seen: 3208 (count up by one)" \
	"$(N=$(stat 's.errors["3208"] || 0'); fsp GET /transfers/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b transfers '' -H 'FSPIOP-Source: bank-b'; echo "$CODE $(( $(stat 's.errors["3208"]') - N ))")" "202 1"

tg db check --set gateway.data_dir="$D"
status "tillgate db check: clean" 0
finish
