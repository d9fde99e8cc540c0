# backend.sh -- black-box test of the per-DFSP backend hook
# (docs/payments.md, "Backend hook") with the real daemon, curl as the
# DFSP's app and tests/cli/backend_peer.js as the DFSP's backend:
#  - 'tillgate dfsp set' refuses what it should (usage, URL, secret,
#    unknown DFSP); sets the hook; 'dfsp list' shows the URL, never the
#    secret;
#  - an on-us payment of a hooked DFSP's customer waits in ACCEPTED, is
#    approved (the question signed, with the account reference and the
#    decimal amount) and COMMITTED, and the hook is notified (signed);
#  - declined: FAILED backend_declined with the hook's reason, in the
#    customer's SMS and the notification;
#  - by USSD (POST /ussd), with an answer budget far longer than the
#    hook takes: the screen gives the hook's verdict (approved on-us:
#    "Paid ..."; declined: the decline with the hook's reason), which
#    given when the verdict is heard (the log never says the budget was
#    spent);
#  - no answer in time, and an HTTP 500: refused (the default policy),
#    FAILED backend_unreachable; with on_unreachable=allow: COMMITTED;
#  - the hook goes down while being notified: the notification is retried
#    and delivered once it is back;
#  - the daemon stopped while a payment waits for its answer: after the
#    restart the hook is asked again (same payment id) and it commits;
#  - the peer itself refuses a request with a bad signature (so its check
#    is a real one); 'dfsp set --no-backend' removes the hook: on-us
#    commits at once again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 command is needed"; exit 1; }
command -v node >/dev/null || { echo "not ok 1 - node is needed"; exit 1; }
PEER=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "$PEER" ] && kill "$PEER" 2>/dev/null; rm -rf "$T_DIR"' EXIT
DB=$D/tillgate.db
OWNER=+255712582946
PLOG=$T_DIR/peer.log
SECRET=$T_DIR/secret
printf 'k3y-0f-demo-dfsp-2026-%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$SECRET"
sql() { sqlite3 "$DB" "$1"; }

# peer_start PORT: starts the hook on PORT (0: any); sets PEER and HPORT.
peer_start() {
	rm -f "$T_DIR/peer.port"
	node "$(dirname "$0")/backend_peer.js" "$1" "$SECRET" "$T_DIR/peer.port" "$PLOG" \
		>>"$T_DIR/peer.out" 2>&1 &
	PEER=$!
	HPORT=
	for _ in $(seq 200); do
		HPORT=$(cat "$T_DIR/peer.port" 2>/dev/null)
		[ -n "$HPORT" ] && break
		sleep 0.05
	done
	[ -n "$HPORT" ] && pass "the backend peer listens on $HPORT" || { fail "the backend peer starts"; finish; }
}
# wait_state ID STATE: waits up to 10 s for payment ID to reach STATE.
wait_state() {
	for _ in $(seq 200); do
		[ "$(sql "SELECT state FROM payment WHERE id = '$1'")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_sql SQL WANT: waits up to 15 s for SQL to give WANT.
wait_sql() {
	for _ in $(seq 300); do
		[ "$(sql "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# plog JQ-LIKE: peer log lines for a payment and a path, counted
plines() { grep -c "\"path\":\"/hook/$2\".*\"payment_id\":\"$1\"" "$PLOG" 2>/dev/null; }
dial() { SID=$1 PHONE=$2 TXT=; post; }
ans() { if [ -z "$TXT" ]; then TXT=$1; else TXT="$TXT*$1"; fi; post; }
post() {
	CODE=$(curl -s -o "$OUT" -w '%{http_code}' -X POST "$U/ussd" \
		--data-urlencode "sessionId=$SID" --data-urlencode "serviceCode=*384#" \
		--data-urlencode "phoneNumber=$PHONE" --data-urlencode "text=$TXT")
}
pay() { req "$PA" POST /v1/payments "{\"payer_msisdn\":\"+255700000001\",\"till\":\"$TILL\",\"amount\":$2}" -H "Idempotency-Key: $1"; }

# ---- the daemon (it makes demo-dfsp); the CLI sets the hook while it runs ----
api_start --set ussd.pin_opslimit=1 --set ussd.pin_memlimit_kib=8 --set backend.timeout_ms=1500 \
	--set backend.notify_backoff_max_s=1 --set switch.answer_budget_ms=8000
tg dfsp set --set gateway.data_dir="$D" --id demo-dfsp --backend-url http://127.0.0.1:1/hook
status "dfsp set without a secret file is a usage error" 2
tg dfsp set --set gateway.data_dir="$D" --id demo-dfsp --no-backend --backend-url http://127.0.0.1:1/hook
status "... as is --no-backend with a URL" 2
tg dfsp set --set gateway.data_dir="$D" --id demo-dfsp --backend-url ftp://127.0.0.1/hook --backend-secret-file "$SECRET"
status "an ftp URL is refused" 1
has "... saying why" "$ERR" 'http or https'
printf 'short\n' >"$T_DIR/short"
tg dfsp set --set gateway.data_dir="$D" --id demo-dfsp --backend-url http://127.0.0.1:1/hook --backend-secret-file "$T_DIR/short"
status "a 5-byte secret is refused" 1
has "... saying why" "$ERR" '16 to 256 bytes'
tg dfsp set --set gateway.data_dir="$D" --id nobody --backend-url http://127.0.0.1:1/hook --backend-secret-file "$SECRET"
status "an unknown DFSP is refused" 1
has "... naming it" "$ERR" "no DFSP 'nobody'"

peer_start 0
tg dfsp set --set gateway.data_dir="$D" --id demo-dfsp --backend-url "http://127.0.0.1:$HPORT/hook" --backend-secret-file "$SECRET"
status "dfsp set sets demo-dfsp's hook" 0
tg dfsp list --set gateway.data_dir="$D"
status "dfsp list" 0
has "... shows the URL" "$OUT" "^demo-dfsp	ACTIVE	.*	http://127.0.0.1:$HPORT/hook$"
hasnt "... never the secret" "$OUT" "$(head -c 20 "$SECRET")"
same "the secret is stored as given" "$(sql "SELECT length(backend_secret) FROM dfsp WHERE fsp_id = 'demo-dfsp'")" "$(($(wc -c <"$SECRET") - 1))"
same "the change is audited without the secret" "$(sql "SELECT count(*) FROM audit WHERE entity = 'dfsp' AND action = 'backend_set' AND instr(coalesce(after_json, ''), '$(head -c 20 "$SECRET")') = 0")" 1

# ---- a merchant, a customer ----
dial r1 "$OWNER"
for a in 1 "MAMA JUMA SHOP" 5 1 19900101123450000112 ARUSHA 4817 4817 1; do ans "$a"; done
TILL=$(sed -n 's/.*till number is \([0-9]*\)\..*/\1/p' "$OUT")
[ -n "$TILL" ] && pass "a merchant registers by USSD: till $TILL" || fail "a merchant registers" "no till"
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"payments","user":"a-app"}'
code "a payments key" 201
PA=$(jfield key)
req "$ADMIN" POST /v1/customers '{"msisdn":"+255700000001","name":"Asha","account_ref":"ACC-77","tier":"C0"}' \
	-H "Idempotency-Key: enrol-1"
code "demo-dfsp enrols a customer" 201
ACT=$(jfield activation_code)
dial c1 +255700000001; ans 1; ans "$ACT"; ans 5927; ans 5927
grep -q 'Your account is active' "$OUT" && pass "... who activates by USSD" || fail "customer activation" "$(cat "$OUT")"

# ---- approved ----
pay k1 150000
code "an on-us payment of a hooked DFSP is accepted, not committed" 202
P1=$(jfield id)
has "... ACCEPTED while the hook is asked" "$OUT" '"state":"ACCEPTED"'
wait_state "$P1" COMMITTED && pass "the hook approves: COMMITTED" || fail "approved payment" "state $(sql "SELECT state FROM payment WHERE id = '$P1'")"
same "the hook was asked once" "$(plines "$P1" authorise)" 1
L=$(grep "\"path\":\"/hook/authorise\".*\"$P1\"" "$PLOG")
echo "$L" | grep -q '"sig_ok":true' && pass "... with a valid signature" || fail "authorise signature" "$L"
echo "$L" | grep -q '"account_ref":"ACC-77"' && pass "... naming the customer's account" || fail "account_ref" "$L"
echo "$L" | grep -q '"amount":150000,"amount_decimal":"1500.00","currency":"TZS"' && pass "... and the amount both ways" || fail "amount" "$L"
echo "$L" | grep -q '"payer_msisdn":"255700000001"' && echo "$L" | grep -q "\"till\":\"$TILL\"" && echo "$L" | grep -q '"trading_name":"MAMA JUMA SHOP"' && echo "$L" | grep -q '"channel":"api"' \
	&& pass "... payer, till, merchant and channel" || fail "authorise body" "$L"
wait_sql "SELECT state FROM outbox WHERE kind = 'backend' AND ref = '$P1'" sent && pass "the notification is delivered" || fail "notification" "$(sql "SELECT state, last_error FROM outbox WHERE kind = 'backend' AND ref = '$P1'")"
L=$(grep "\"path\":\"/hook/notify\".*\"$P1\"" "$PLOG")
echo "$L" | grep -q '"sig_ok":true' && echo "$L" | grep -q '"state":"COMMITTED"' && pass "... signed, with the state COMMITTED" || fail "notify body" "$L"
same "two SMS, as any on-us payment" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'sms' AND ref = '$P1'")" 2
same "the audit names the hook as the cause" "$(sql "SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '$P1' AND action = 'committed'")" 1

# ---- declined ----
pay k2 777700
P2=$(jfield id)
wait_state "$P2" FAILED && pass "the hook declines: FAILED" || fail "declined" "$(sql "SELECT state FROM payment WHERE id = '$P2'")"
same "... code backend_declined, with the hook's reason" "$(sql "SELECT fail_code || '|' || fail_reason FROM payment WHERE id = '$P2'")" "backend_declined|Insufficient funds in account ACC-77."
same "... which the customer's SMS says" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'sms' AND ref = '$P2' AND dest = '255700000001' AND body LIKE '%not approved: Insufficient funds in account ACC-77.%'")" 1
req "$PA" GET "/v1/payments/$P2"
has "... and the API shows" "$OUT" '"fail_code":"backend_declined"'
wait_sql "SELECT state FROM outbox WHERE kind = 'backend' AND ref = '$P2'" sent && pass "... the hook is told FAILED" || fail "declined notification"
grep "\"path\":\"/hook/notify\".*\"$P2\"" "$PLOG" | grep -q '"fail_code":"backend_declined"' && pass "... with its code" || fail "declined notify body"

# ---- by USSD: the screen waits for the hook's verdict ----
screen() {
	if [ "$CODE" = 200 ] && grep -Eq -- "$2" "$OUT"; then pass "$1"
	else fail "$1" "HTTP $CODE; no line of the screen matches: $2"; fi
}
dial u1 +255700000001; ans 1; ans "$TILL"; ans 2500
screen "a USSD payment asks for the PIN" '^CON Pay TZS 2,500\.00 to MAMA JUMA SHOP\? Enter PIN:$'
ans 5927
screen "... the hook approves on-us: the screen says paid" '^END Paid TZS 2,500\.00 to MAMA JUMA SHOP, ref P[0-9a-f]{24}\.$'
U1=$(sed -n 's/.*ref \(P[0-9a-f]*\)\..*/\1/p' "$OUT")
same "... that payment is COMMITTED after the hook's approval" "$(sql "SELECT p.state || '/' || a.state FROM payment p JOIN payment_auth a ON a.payment_id = p.id WHERE p.id = '$U1'")" "COMMITTED/approved"
dial u2 +255700000001; ans 1; ans "$TILL"; ans 7777
ans 5927
screen "the hook declines: the screen gives the decline and its reason" '^END Payment failed, ref P[0-9a-f]{24}: Insufficient funds in account ACC-77\.$'
U2=$(sed -n 's/.*ref \(P[0-9a-f]*\):.*/\1/p' "$OUT")
same "... that payment is FAILED backend_declined" "$(sql "SELECT state || '/' || fail_code FROM payment WHERE id = '$U2'")" "FAILED/backend_declined"
has "... both answered later, from the waiting dialogue" "$LOG" "msg=\"payment answered\" .*payment=$U2 state=FAILED"
hasnt "... when the verdict was heard, never at the budget" "$LOG" 'msg="answer budget spent"'

# ---- no usable answer: refused by default ----
pay k3 888800
P3=$(jfield id)
wait_state "$P3" FAILED && pass "no answer within timeout_ms: FAILED" || fail "timeout" "$(sql "SELECT state FROM payment WHERE id = '$P3'")"
same "... backend_unreachable" "$(sql "SELECT fail_code FROM payment WHERE id = '$P3'")" backend_unreachable
has "... logged with the policy" "$LOG" "msg=\"backend unreachable\" payment=$P3 .*policy=refuse"
pay k4 999900
P4=$(jfield id)
wait_state "$P4" FAILED && pass "an HTTP 500: FAILED" || fail "500" "$(sql "SELECT state FROM payment WHERE id = '$P4'")"
same "... backend_unreachable" "$(sql "SELECT fail_code FROM payment WHERE id = '$P4'")" backend_unreachable
same "... the customer is told" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'sms' AND ref = '$P4' AND dest = '255700000001' AND body LIKE '%could not be reached%'")" 1

# ---- the hook goes down while being notified ----
pay k5 555500
P5=$(jfield id)
wait_state "$P5" COMMITTED && pass "approved and COMMITTED" || fail "P5 committed"
for _ in $(seq 200); do kill -0 "$PEER" 2>/dev/null || break; sleep 0.05; done
kill -0 "$PEER" 2>/dev/null && fail "the peer goes down on that notification" || pass "the peer goes down on that notification"
wait_sql "SELECT attempts >= 2 AND state = 'pending' FROM outbox WHERE kind = 'backend' AND ref = '$P5'" 1 \
	&& pass "... which is tried again and stays pending while it is down" \
	|| fail "retries while down" "$(sql "SELECT state, attempts, last_error FROM outbox WHERE kind = 'backend' AND ref = '$P5'")"
same "... with the reason" "$(sql "SELECT last_error LIKE '%onnect%' FROM outbox WHERE kind = 'backend' AND ref = '$P5'")" 1
peer_start "$HPORT"
wait_sql "SELECT state FROM outbox WHERE kind = 'backend' AND ref = '$P5'" sent && pass "... and delivered once it is back" || fail "delivered after restart" "$(sql "SELECT state, attempts, last_error FROM outbox WHERE kind = 'backend' AND ref = '$P5'")"
grep "\"path\":\"/hook/notify\".*\"$P5\"" "$PLOG" | tail -n 1 | grep -q '"sig_ok":true' && pass "... signed" || fail "P5 notify signed"

# ---- stopped while a payment waits: asked again after the restart ----
kill "$PID"; wait "$PID"; PID=
api_start --set backend.timeout_ms=30000 --set backend.notify_backoff_max_s=1
pay k6 666600
P6=$(jfield id)
for _ in $(seq 200); do [ "$(plines "$P6" authorise)" = 1 ] && break; sleep 0.05; done
same "the hook is asked (and takes its time)" "$(plines "$P6" authorise)" 1
kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops while the payment waits" 0
same "... which stays ACCEPTED, its question open" "$(sql "SELECT p.state || '/' || a.state FROM payment p JOIN payment_auth a ON a.payment_id = p.id WHERE p.id = '$P6'")" "ACCEPTED/asking"
api_start
wait_state "$P6" COMMITTED && pass "after the restart it is asked again and COMMITTED" || fail "resumed" "$(sql "SELECT state FROM payment WHERE id = '$P6'")"
same "... the same payment id asked twice" "$(plines "$P6" authorise)" 2
wait_sql "SELECT state FROM outbox WHERE kind = 'backend' AND ref = '$P6'" sent && pass "... and notified" || fail "P6 notified"

# ---- every request of the daemon was signed; the peer's check is real ----
same "every request the hook got was signed right" "$(grep -c '"sig_ok":false' "$PLOG")" 0
CODE=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Content-Type: application/json' -H 'X-Tillgate-Signature: sha256=00' \
	--data '{"payment_id":"x","amount":1}' "http://127.0.0.1:$HPORT/hook/authorise")
code "the peer refuses a bad signature" 401

# ---- allow when unreachable ----
kill "$PID"; wait "$PID"; PID=
api_start --set backend.timeout_ms=500 --set backend.on_unreachable=allow
pay k7 999900
P7=$(jfield id)
wait_state "$P7" COMMITTED && pass "on_unreachable=allow: an HTTP 500 lets it through" || fail "allow" "$(sql "SELECT state, fail_code FROM payment WHERE id = '$P7'")"
same "... recorded as allowed" "$(sql "SELECT state FROM payment_auth WHERE payment_id = '$P7'")" allowed
pay k8 777700
P8=$(jfield id)
wait_state "$P8" FAILED && pass "... a decline still declines" || fail "allow decline"

# ---- the hook removed ----
tg dfsp set --set gateway.data_dir="$D" --id demo-dfsp --no-backend
status "dfsp set --no-backend" 0
tg dfsp list --set gateway.data_dir="$D"
has "... dfsp list shows none" "$OUT" '^demo-dfsp	.*	-$'
pay k9 120000
code "an on-us payment commits at once again" 201
has "... COMMITTED" "$OUT" '"state":"COMMITTED"'
P9=$(jfield id)
same "... nothing for a hook" "$(sql "SELECT count(*) FROM outbox WHERE kind = 'backend' AND ref = '$P9'")" 0
hasnt "the secret is never logged" "$LOG" "$(head -c 20 "$SECRET")"
finish
