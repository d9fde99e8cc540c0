# crash.sh -- black-box crash test: 'kill -9' the daemon in the middle of a
# burst of merchant creations (4 concurrent curl loops, each request with
# its own Idempotency-Key), then check that the database is consistent
# ('tillgate db check', no half-written merchant), that every merchant whose
# 201 reached the client is there, and that a restarted daemon answers a
# retry of an acknowledged request without creating a second merchant.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - sqlite3 is needed"; exit 1; }

DB=$D/tillgate.db
WPIDS=
# apilib.sh's trap, plus the workers, and kill -9 for a daemon that a
# failed check left running.
trap 'for p in $PID $WPIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T_DIR"' EXIT

# sql QUERY: one value from the database, read with the sqlite3 CLI.
sql() { sqlite3 -batch -noheader "$DB" "$1" 2>>"$ERR"; }

API_WHAT="first start" api_start
[ -n "$ADMIN" ] && pass "a dfsp-admin key on first start" || { fail "a dfsp-admin key on first start"; finish; }

# body W I: a valid T1 merchant, named after the worker and the request.
body() {
	printf '{"trading_name":"CRASH SHOP %s-%s","legal_name":"Crash Traders Ltd","type":"small_shop","mcc":"5411","tier":"T1","settlement_account":"123456789","contact_phone":"+255712345678","owners":[{"name":"Juma Ali","id_type":"national_id","id_number":"19800101-12345-00001-21","phone":"+255712345678"}],"locations":[{"name":"Main","city":"ARUSHA","address":"Sokoine Rd"}]}' "$1" "$2"
}

# worker W: up to 300 sequential creations; appends "KEY CODE MERCHANT_ID"
# to $T_DIR/res.W for every answer, stops at the first connection failure.
worker() {
	_w=$1 _i=0
	while [ $_i -lt 300 ]; do
		_i=$((_i + 1))
		_c=$(curl -s -o "$T_DIR/body.$_w" -w '%{http_code}' --max-time 5 \
			-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
			-H "Idempotency-Key: crash-$_w-$_i" --data-binary "$(body "$_w" "$_i")" "$U/v1/merchants")
		_m=$(sed -n 's/.*"merchant_id":"\([0-9]*\)".*/\1/p' "$T_DIR/body.$_w" 2>/dev/null | head -n 1)
		echo "crash-$_w-$_i $_c ${_m:--}" >>"$T_DIR/res.$_w"
		[ "$_c" = 000 ] && break
	done
}
for w in 1 2 3 4; do
	: >"$T_DIR/res.$w"
	worker $w &
	WPIDS="$WPIDS $!"
done

# Kill once at least 40 creations were acknowledged (at most ~8 s).
acked() { cat "$T_DIR"/res.? | awk '$2 == 201' | wc -l; }
for _ in $(seq 160); do
	[ "$(acked)" -ge 40 ] && break
	sleep 0.05
done
BEFORE=$(acked)
kill -9 "$PID"
wait "$PID" 2>/dev/null
PID=
for p in $WPIDS; do wait "$p"; done
WPIDS=
cat "$T_DIR"/res.? >"$T_DIR/res"
ACKED=$(awk '$2 == 201' "$T_DIR/res" | wc -l)
LOST=$(awk '$2 == 000' "$T_DIR/res" | wc -l)
OTHER=$(awk '$2 != 201 && $2 != 000' "$T_DIR/res" | wc -l)
if [ "$BEFORE" -ge 1 ]; then
	pass "kill -9 in the burst, after $BEFORE acknowledged creations ($ACKED acknowledged in all, $LOST cut off)"
else
	fail "kill -9 in the burst, after some acknowledged creations" "no 201 seen before the kill"
fi
same "no answer other than 201 during the burst" "$OTHER" 0
if [ "$LOST" -ge 1 ]; then pass "the kill cut requests off mid-burst"; else fail "the kill cut requests off mid-burst" "every worker ran to its end: the burst finished before the kill"; fi

# The database as the crash left it.
tg db check --set gateway.data_dir="$D"
status "db check after kill -9" 0
has "it says database OK" "$OUT" '^database OK$'

N=$(sql 'SELECT count(*) FROM merchant;')
if [ "${N:-0}" -ge "$ACKED" ] && [ "$ACKED" -ge 1 ]; then
	pass "$N merchants in the database, $ACKED acknowledged"
else
	fail "at least the acknowledged merchants in the database" "merchants: ${N:-?}, acknowledged: $ACKED"
fi
same "every merchant has an owner" "$(sql 'SELECT count(*) FROM merchant m WHERE NOT EXISTS
	(SELECT 1 FROM owner o WHERE o.dfsp = m.dfsp AND o.merchant_id = m.merchant_id);')" 0
same "every merchant has a location" "$(sql 'SELECT count(*) FROM merchant m WHERE NOT EXISTS
	(SELECT 1 FROM location l WHERE l.dfsp = m.dfsp AND l.merchant_id = m.merchant_id);')" 0
same "every merchant has a till" "$(sql 'SELECT count(*) FROM merchant m WHERE NOT EXISTS
	(SELECT 1 FROM till t WHERE t.dfsp = m.dfsp AND t.merchant_id = m.merchant_id);')" 0
same "every merchant has one create audit row" "$(sql "SELECT count(*) FROM merchant m WHERE (SELECT count(*)
	FROM audit a WHERE a.entity = 'merchant' AND a.entity_id = m.merchant_id AND a.action = 'create') <> 1;")" 0
same "no create audit row without its merchant" "$(sql "SELECT count(*) FROM audit a WHERE a.entity = 'merchant'
	AND a.action = 'create' AND NOT EXISTS (SELECT 1 FROM merchant m WHERE m.merchant_id = a.entity_id);")" 0
same "every merchant has its Idempotency-Key record" "$(sql "SELECT count(*) FROM merchant m WHERE NOT EXISTS
	(SELECT 1 FROM idempotency i WHERE i.status = 201 AND i.body LIKE '%\"merchant_id\":\"' || m.merchant_id || '\"%');")" 0
IDS=$(awk '$2 == 201 { printf "%s'\''%s'\''", (n++ ? "," : ""), $3 }' "$T_DIR/res")
same "every acknowledged merchant exists" "$(sql "SELECT count(*) FROM merchant WHERE merchant_id IN (${IDS:-''});")" "$ACKED"

# Restart on the same data folder; retry an acknowledged request.
API_WHAT="restart after kill -9" api_start
req "" GET /healthz
code "GET /healthz after the restart" 200
set -- $(awk '$2 == 201 { print $1, $3; exit }' "$T_DIR/res")
KEY=${1:-none} MID=${2:-none}
W=${KEY#crash-}; I=${W#*-}; W=${W%-*}
N0=$(sql 'SELECT count(*) FROM merchant;')
req "$ADMIN" POST /v1/merchants "$(body "$W" "$I")" -H "Idempotency-Key: $KEY"
code "a retry of acknowledged request $KEY answers 201" 201
has "with the merchant of the first answer" "$OUT" "\"merchant_id\":\"$MID\""
has "marked as a replay" "$HDR" '^Idempotent-Replayed: true'
same "and creates no second merchant" "$(sql 'SELECT count(*) FROM merchant;')" "$N0"
kill -TERM "$PID"
wait "$PID"; RC=$?
PID=
status "the restarted daemon stops on SIGTERM" 0
tg db check --set gateway.data_dir="$D"
status "db check after the restart" 0
finish
