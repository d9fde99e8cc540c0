# registry.sh -- black-box tests of the registry's finer API rules
# (docs/api.md): the merchant's audit view with its children's rows,
# location removal, JSON null in a PATCH, ETag and If-Match, unknown
# members of a body, and who may read GET /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
command -v sqlite3 >/dev/null || { echo "not ok 1 - sqlite3 is needed"; exit 1; }
api_start

key() {
	req "$1" POST "/v1/dfsps/$2/api-keys" "{\"role\":\"$3\",\"user\":\"$4\"}"
	if [ "$CODE" = 201 ]; then jfield key; else echo "KEY-FAILED-$CODE"; fi
}
MAKER=$(key "$ADMIN" demo-dfsp maker mia)
CHECKER=$(key "$ADMIN" demo-dfsp checker carl)
AUDITOR=$(key "$ADMIN" demo-dfsp auditor aud)
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
OTHER=$(key "$HUB" bank-b dfsp-admin bob)
case "$MAKER$CHECKER$AUDITOR$OTHER" in
*KEY-FAILED*) fail "keys of every role" "$MAKER $CHECKER $AUDITOR $OTHER"; finish ;;
*) pass "keys of every role" ;;
esac

# The create example of docs/api.md, as written there.
M='{"trading_name": "MAMA JUMA SHOP", "legal_name": "Juma Traders Ltd",
 "type": "small_shop", "mcc": "5411", "tier": "T1",
 "settlement_account": "123456789", "permit_no": "TP-2024-0001",
 "contact_phone": "+255712345678",
 "owners": [{"name": "Juma Ali", "id_type": "national_id",
             "id_number": "19800101-12345-00001-21", "phone": "+255712345678"}],
 "locations": [{"name": "Main", "city": "ARUSHA", "address": "Sokoine Rd",
                "lat": -3.37, "lon": 36.68}]}'
req "$MAKER" POST /v1/merchants "$M"
code "the create example of docs/api.md" 201
MID=$(jfield merchant_id)
TILL=$(jfield till_number)
req "$MAKER" POST /v1/merchants "$(printf '%s' "$M" | sed 's/MAMA JUMA SHOP/NEIGHBOUR SHOP/')"
code "a second merchant of the same DFSP" 201
MID2=$(jfield merchant_id)

# ---- unknown members ----
req "$MAKER" POST /v1/merchants "$(printf '%s' "$M" | sed 's/"tier": "T1",/"tier": "T1", "colour": "red",/; s/"name": "Juma Ali",/"name": "Juma Ali", "nick": "JJ",/')"
code "a merchant with unknown members" 400
has "as validation_failed" "$OUT" '"code":"validation_failed"'
has "naming the top-level one" "$OUT" '\{"field":"colour","message":"unknown field"\}'
has "and the owner's, with its index" "$OUT" '\{"field":"owners\[0\]\.nick","message":"unknown field"\}'
req "$MAKER" GET /v1/merchants
same "and nothing was created" "$(grep -o '"merchant_id":"[0-9]*"' "$OUT" | wc -l | tr -d ' ')" 2
req "$MAKER" POST /v1/merchants "$(printf '%s' "$M" | sed 's/"city": "ARUSHA"/"city": "ARUSHA", "zip": 1/')"
code "an unknown member of a location" 400
has "named locations[0].zip" "$OUT" '"field":"locations\[0\]\.zip"'
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_name":"Juma","foo":1,"bar":null}'
code "a PATCH with unknown members" 400
has "lists foo" "$OUT" '"field":"foo"'
has "and bar" "$OUT" '"field":"bar"'
req "$MAKER" PATCH "/v1/merchants/$MID" '{"owners":[]}'
code "owners in a merchant PATCH (they have their own routes)" 400
req "$MAKER" GET "/v1/merchants/$MID"
has "the refused PATCH changed nothing" "$OUT" '"contact_name":null'
has "not even the version" "$OUT" '"version":1[,}]'
# every other JSON route: "field":"x" named, 400
for c in "POST /v1/merchants/$MID/owners|{\"name\":\"Asha Ali\",\"id_type\":\"passport\",\"id_number\":\"AB123456\",\"x\":1}" \
	"POST /v1/merchants/$MID/locations|{\"name\":\"B\",\"city\":\"MOSHI\",\"x\":1}" \
	"POST /v1/merchants/$MID/submit|{\"reason\":\"ok\",\"x\":1}" \
	"POST /v1/merchants/$MID/tier-requests|{\"to_tier\":\"T2\",\"x\":1}" \
	"POST /v1/dfsps/demo-dfsp/api-keys|{\"role\":\"maker\",\"x\":1}"; do
	req "$ADMIN" ${c%%|*} "${c#*|}"
	if [ "$CODE" = 400 ] && grep -q '"field":"x","message":"unknown field"' "$OUT"; then
		pass "unknown member refused: ${c%%|*}"
	else
		fail "unknown member refused: ${c%%|*}" "HTTP $CODE"
	fi
done
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-c","name":"Bank C","x":1}'
code "an unknown member in a new DFSP" 400
req "$HUB" GET /v1/dfsps
hasnt "and no DFSP bank-c" "$OUT" 'bank-c'

# ---- ETag and If-Match ----
req "$MAKER" GET "/v1/merchants/$MID"
V=$(jnum version)
has "GET gives the ETag of the version" "$HDR" "^ETag: \"v$V\""
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_email":"juma@example.com","registration_no":"BRELA-1","permit_no":"TP-2"}' -H "If-Match: \"v$V\""
code "a PATCH with the current ETag" 200
has "answers the new ETag" "$HDR" "^ETag: \"v$((V + 1))\""
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_name":"Late"}' -H "If-Match: \"v$V\""
code "a PATCH with a stale ETag" 412
has "as precondition_failed" "$OUT" '"code":"precondition_failed"'
has "naming the current version" "$OUT" "\"detail\":\"[^\"]*version $((V + 1))"
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_name":"Late"}' -H "If-Match: W/\"v$((V + 1))\""
code "a weak ETag never matches" 412
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_name":"Juma"}' -H "If-Match: \"v1\", \"v$((V + 1))\""
code "a list holding the current ETag" 200
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_name":"Juma"}' -H 'If-Match: *'
code "If-Match: *" 200
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_name":"Juma"}' -H 'If-Match: v5'
code "a malformed If-Match" 400
has "names the header and the position" "$OUT" '"field":"If-Match","message":"malformed entity tag list at position 0"'
req "$MAKER" GET "/v1/merchants/$MID"
V=$(jnum version)
same "stale PATCHes changed nothing" "$V" $((1 + 3))
req "$OTHER" PATCH "/v1/merchants/$MID" '{"contact_name":"X"}' -H 'If-Match: "v1"'
code "another DFSP's merchant with If-Match: still 404" 404

# ---- null in a PATCH ----
req "$MAKER" PATCH "/v1/merchants/$MID" '{"contact_email":null,"registration_no":null,"lei":null}'
code "null clears optional fields" 200
has "contact_email is null" "$OUT" '"contact_email":null'
has "registration_no is null" "$OUT" '"registration_no":null'
has "the others stay" "$OUT" '"permit_no":"TP-2"'
req "$MAKER" PATCH "/v1/merchants/$MID" '{"trading_name":null,"mcc":null}'
code "null for required fields" 400
has "names trading_name" "$OUT" '"field":"trading_name"'
has "and mcc" "$OUT" '"field":"mcc"'
req "$MAKER" GET "/v1/merchants/$MID"
has "the name stays" "$OUT" '"trading_name":"MAMA JUMA SHOP"'
OWNER=$(sed -n 's/.*"owners":\[{"id":\([0-9]*\).*/\1/p' "$OUT")
LOC=$(sed -n 's/.*"locations":\[{"id":\([0-9]*\).*/\1/p' "$OUT")
req "$MAKER" PATCH "/v1/merchants/$MID/owners/$OWNER" '{"phone":null}'
code "null clears an owner's phone" 200
has "phone null" "$OUT" '"phone":null'
req "$MAKER" PATCH "/v1/merchants/$MID/owners/$OWNER" '{"id_number":null}'
code "null for an owner's ID number" 400
has "names id_number" "$OUT" '"field":"id_number"'
req "$MAKER" PATCH "/v1/merchants/$MID/locations/$LOC" '{"address":null,"lat":null,"lon":null}'
code "null clears a location's address and coordinates" 200
has "address null" "$OUT" '"address":null'
has "lat null" "$OUT" '"lat":null'
req "$MAKER" PATCH "/v1/merchants/$MID/locations/$LOC" '{"city":null}'
code "null for a location's city" 400

# ---- children, each audited ----
req "$MAKER" POST "/v1/merchants/$MID/owners" '{"name":"Asha Ali","id_type":"passport","id_number":"AB123456"}'
code "an owner added" 201
OWNER2=$(jnum id)
req "$MAKER" PATCH "/v1/merchants/$MID/owners/$OWNER2" '{"name":"Asha J. Ali"}'
code "and changed" 200
req "$MAKER" DELETE "/v1/merchants/$MID/owners/$OWNER2"
code "and deleted" 200
req "$MAKER" POST "/v1/merchants/$MID/locations" '{"name":"Branch","city":"MOSHI"}'
code "a location added" 201
LOC2=$(jnum id)
TILL2=$(jfield till_number)
req "$MAKER" POST "/v1/merchants/$MID/locations/$LOC2/tills" '{"label":"Counter 2"}'
code "with a second till" 201
TILL3=$(jfield till_number)
req "$CHECKER" POST "/v1/merchants/$MID/tills/$TILL3/suspend" '{"reason":"broken"}'
code "one suspended" 200
printf '%%PDF-1.4 permit\n' >"$T_DIR/permit.pdf"
req "$MAKER" POST "/v1/merchants/$MID/documents?type=trading_permit" "" -H 'Content-Type: application/pdf' --data-binary "@$T_DIR/permit.pdf"
code "a document" 201
DOC=$(jnum id)
req "$CHECKER" POST "/v1/merchants/$MID/documents/$DOC/review" '{"decision":"verify"}'
code "reviewed" 200
req "$CHECKER" POST "/v1/merchants/$MID/documents/$DOC/review" '{"decision":"verify","note":"x"}'
code "a review with an unknown member" 400
req "$MAKER" POST "/v1/merchants/$MID/tier-requests" '{"to_tier":"T2"}'
code "a tier request" 201
REQ=$(jnum id)
req "$CHECKER" POST "/v1/merchants/$MID/tier-requests/$REQ/reject" '{"reason":"not yet"}'
code "rejected" 200
req "$MAKER" POST "/v1/merchants/$MID2/owners" '{"name":"Neighbour","id_type":"passport","id_number":"ZZ999999"}'
code "the other merchant gets an owner" 201

# ---- location removal ----
req "$CHECKER" DELETE "/v1/merchants/$MID/locations/$LOC2"
code "a checker may not remove a location" 403
req "$AUDITOR" DELETE "/v1/merchants/$MID/locations/$LOC2"
code "nor an auditor" 403
req "$OTHER" DELETE "/v1/merchants/$MID/locations/$LOC2"
code "another DFSP's location" 404
req "$MAKER" DELETE "/v1/merchants/$MID2/locations/$LOC2"
code "the location under another merchant" 404
req "$MAKER" DELETE "/v1/merchants/$MID/locations/999999"
code "an unknown location" 404
req "$MAKER" DELETE "/v1/merchants/$MID/locations/x1"
code "a location id that is no number" 404
req "$MAKER" DELETE "/v1/merchants/$MID/locations/$LOC2"
code "the maker removes the branch" 200
has "deleted" "$OUT" "\"id\":$LOC2,\"deleted\":true"
has "with both its tills" "$OUT" "\"tills_deleted\":\\[\"$TILL2\",\"$TILL3\"\\]"
req "$MAKER" GET "/v1/merchants/$MID"
hasnt "the merchant lists neither till" "$OUT" "\"$TILL2\"|\"$TILL3\""
has "but keeps its first" "$OUT" "\"till_number\":\"$TILL\""
req "$MAKER" DELETE "/v1/merchants/$MID/locations/$LOC2"
code "removing it again" 404
req "$MAKER" DELETE "/v1/merchants/$MID/locations/$LOC"
code "the last location stays" 409
has "saying so" "$OUT" 'last location'
req "$MAKER" POST "/v1/merchants/$MID/locations" '{"name":"Kiosk","city":"MOSHI"}'
LOC3=$(jnum id)
req "$MAKER" POST "/v1/merchants/$MID/submit" '' -H 'If-Match: "v1"'
code "submit with a stale ETag" 412
req "$MAKER" GET "/v1/merchants/$MID"
has "leaves it a DRAFT" "$OUT" '"status":"DRAFT"'
V=$(jnum version)
req "$MAKER" POST "/v1/merchants/$MID/submit" '' -H "If-Match: \"v$V\"" -H 'Idempotency-Key: sub-1'
code "submit with the current ETag" 200
has "with the next ETag" "$HDR" "^ETag: \"v$((V + 1))\""
req "$MAKER" POST "/v1/merchants/$MID/submit" '' -H "If-Match: \"v$((V + 1))\"" -H 'Idempotency-Key: sub-1'
code "its retry" 200
has "is a replay" "$HDR" '^Idempotent-Replayed: true'
has "with the ETag of the first answer" "$HDR" "^ETag: \"v$((V + 1))\""
req "$MAKER" DELETE "/v1/merchants/$MID/locations/$LOC3"
code "no removal once SUBMITTED" 409
has "as invalid_transition" "$OUT" '"code":"invalid_transition"'

# ---- the audit view ----
req "$AUDITOR" GET "/v1/merchants/$MID/audit"
code "the auditor reads the merchant's audit" 200
cp "$OUT" "$T_DIR/audit.json"
for a in create update owner_update owner_add owner_delete location_update location_add till_add \
	till_suspend document_add document_verify tier_request tier_reject till_delete location_delete submit; do
	has "the audit view has $a" "$T_DIR/audit.json" "\"action\":\"$a\""
done
has "the deleted owner's rows" "$T_DIR/audit.json" "\"entity\":\"owner\",\"entity_id\":\"$OWNER2\""
has "the removed till's rows" "$T_DIR/audit.json" "\"entity\":\"till\",\"entity_id\":\"$TILL3\""
hasnt "nothing of the other merchant" "$T_DIR/audit.json" "\"$MID2\"|ZZ999999"
hasnt "no refused change" "$T_DIR/audit.json" '"action":"submit".*"action":"submit"'
N=$(grep -o '"entity_id":' "$T_DIR/audit.json" | wc -l | tr -d ' ')
DB=$D/tillgate.db
WANT=$(sqlite3 -batch -noheader "$DB" "SELECT count(*) FROM audit WHERE dfsp = 'demo-dfsp' AND coalesce(json_extract(after_json, '\$.merchant_id'), json_extract(before_json, '\$.merchant_id'), CASE entity WHEN 'merchant' THEN entity_id END) = '$MID';" 2>>"$ERR")
same "every row about it or its children, by sqlite3 ($N)" "$N" "$WANT"
has "next_cursor null on the last page" "$T_DIR/audit.json" '"next_cursor":null'
# Page by page, one row each: the same rows, in increasing id order.
CUR= IDS= PAGES=0 ORDERED=yes LAST=0
while [ $PAGES -lt 200 ]; do
	req "$AUDITOR" GET "/v1/merchants/$MID/audit?limit=1${CUR:+&cursor=$CUR}"
	[ "$CODE" = 200 ] || break
	ID=$(sed -n 's/^{"items":\[{"id":\([0-9]*\),.*/\1/p' "$OUT")
	[ -n "$ID" ] || break
	PAGES=$((PAGES + 1))
	[ "$ID" -gt "$LAST" ] || ORDERED=no
	LAST=$ID
	CUR=$(jfield next_cursor)
	[ -n "$CUR" ] || break
done
same "paging with limit=1 walks every row" "$PAGES" "$N"
same "in increasing id order" "$ORDERED" yes
req "$AUDITOR" GET "/v1/merchants/$MID/audit?limit=0"
code "limit 0" 422
req "$AUDITOR" GET "/v1/merchants/$MID/audit?cursor=-3"
code "a bad cursor" 422
req "$OTHER" GET "/v1/merchants/$MID/audit"
code "another DFSP's merchant's audit" 404
req "$HUB" GET "/v1/merchants/$MID/audit"
code "the hub-admin reads it" 200
same "the same rows" "$(grep -o '"entity_id":' "$OUT" | wc -l | tr -d ' ')" "$N"

# ---- /metrics ----
req "" GET /metrics
code "/metrics without a key" 401
has "with a Bearer challenge" "$HDR" '^WWW-Authenticate: Bearer'
req "$MAKER" GET /metrics
code "/metrics with a maker key" 403
req "$AUDITOR" GET /metrics
code "/metrics with an auditor key" 200
has "counts merchants" "$OUT" '^tillgate_merchants\{status="SUBMITTED"\} 1$'

kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
tg db check --set gateway.data_dir="$D"
status "the audit chain still verifies" 0

api_start --set http.metrics_public=true
req "" GET /metrics
code "/metrics without a key when metrics_public = true" 200
has "counts merchants" "$OUT" '^tillgate_merchants\{status="DRAFT"\} 1$'
kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly again" 0
hasnt "no errors logged" "$LOG" 'level=error'
finish
