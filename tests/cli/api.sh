# api.sh -- black-box tests of the admin HTTP API (/v1, docs/api.md): the
# real daemon on a free loopback port, curl as the client. Onboarding with
# maker-checker, tenant isolation, authentication, errors, idempotency,
# the body limit and the till's QR code read back by 'tillgate qr decode'.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
# A small JSON limit, so that the 413 check needs no big body.
api_start --set http.max_body_bytes=4096

# ---- keys over the API ----
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"maker","user":"mia"}'
code "a dfsp-admin makes a maker key" 201
MAKER=$(jfield key)
has "the key is shown" "$OUT" '"key":"tg_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}"'
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"checker","user":"carl"}'
code "and a checker key" 201
CHECKER=$(jfield key)
req "$MAKER" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"maker","user":"x"}'
code "a maker may not make keys" 403
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
code "the hub-admin makes a second DFSP" 201
req "$ADMIN" POST /v1/dfsps '{"fsp_id":"bank-c","name":"Bank C"}'
code "a dfsp-admin may not" 403
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"bob"}'
code "a key of the second DFSP" 201
OTHER=$(jfield key)
req "$ADMIN" GET /v1/dfsps
hasnt "a dfsp-admin lists only its own DFSP" "$OUT" 'bank-b'

# ---- authentication ----
req "" GET /v1/merchants
code "no key" 401
has "as a problem with code unauthorized" "$OUT" '"code":"unauthorized"'
has "and a WWW-Authenticate challenge" "$HDR" '^WWW-Authenticate: Bearer'
req "${MAKER%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" GET /v1/merchants
code "a wrong secret" 401

# ---- onboarding: maker creates and submits, checker approves ----
M='{"trading_name":"MAMA JUMA SHOP","legal_name":"Juma Traders Ltd","type":"small_shop","mcc":"5411","tier":"T1","settlement_account":"123456789","permit_no":"TP-2024-0001","contact_phone":"+255712345678","owners":[{"name":"Juma Ali","id_type":"national_id","id_number":"19800101-12345-00001-21","phone":"+255712345678"}],"locations":[{"name":"Main","city":"ARUSHA","address":"Sokoine Rd"}]}'
req "$MAKER" POST /v1/merchants "$M" -H 'Idempotency-Key: onboard-1'
code "the maker creates a T1 merchant" 201
FIRST=$(cat "$OUT")
MID=$(jfield merchant_id)
TILL=$(jfield till_number)
has "it is a DRAFT" "$OUT" '"status":"DRAFT"'
has "at tier T1" "$OUT" '"tier":"T1"'
has "Location names it" "$HDR" "^Location: /v1/merchants/$MID"
req "$MAKER" POST /v1/merchants "$M" -H 'Idempotency-Key: onboard-1'
code "a retry with the same Idempotency-Key" 201
same "returns the first body" "$(cat "$OUT")" "$FIRST"
has "marked as a replay" "$HDR" '^Idempotent-Replayed: true'
req "$MAKER" POST /v1/merchants "$(printf '%s' "$M" | sed 's/MAMA JUMA SHOP/OTHER SHOP/')" -H 'Idempotency-Key: onboard-1'
code "the same key with another body" 422
has "is refused as reused" "$OUT" '"code":"idempotency_key_reused"'
req "$MAKER" GET /v1/merchants
same "one merchant exists" "$(grep -o '"merchant_id":"[0-9]*"' "$OUT" | wc -l)" 1
has "the list has a next_cursor" "$OUT" '"next_cursor":null'
req "$MAKER" GET /v1/merchants/"$MID"
code "GET the merchant" 200
req "$MAKER" PATCH /v1/merchants/"$MID" '{"contact_name":"Juma"}'
code "PATCH a DRAFT" 200
has "the change is there" "$OUT" '"contact_name":"Juma"'
req "$MAKER" POST /v1/merchants/"$MID"/submit
code "the maker submits" 200
has "it is SUBMITTED" "$OUT" '"status":"SUBMITTED"'
req "$MAKER" POST /v1/merchants/"$MID"/approve
code "the maker may not approve" 403
req "$ADMIN" POST /v1/merchants/"$MID"/submit
code "submitting twice is a forbidden transition" 409
has "as invalid_transition" "$OUT" '"code":"invalid_transition"'
req "$ADMIN" PATCH /v1/merchants/"$MID" '{"contact_name":"X"}'
code "a SUBMITTED merchant is not editable" 409

# maker-checker: a dfsp-admin who submitted may not approve its own.
req "$ADMIN" POST /v1/merchants "$(printf '%s' "$M" | sed 's/MAMA JUMA SHOP/SECOND SHOP/')"
MID2=$(jfield merchant_id)
req "$ADMIN" POST /v1/merchants/"$MID2"/submit
req "$ADMIN" POST /v1/merchants/"$MID2"/approve
code "approving one's own submission" 403
has "is refused as maker_checker" "$OUT" '"code":"maker_checker"'

req "$CHECKER" POST /v1/merchants/"$MID"/reject
code "reject without a reason" 422
# What T1 requires beyond the body (data/kyb-tiers.conf): the ID and the
# trading permit as documents, verified, and the owner's ID verified: the
# checker reviews them over the API.
DOCS=
for t in national_id trading_permit; do
	req "$MAKER" POST "/v1/merchants/$MID/documents?type=$t" "" \
		-H 'Content-Type: application/pdf' --data-binary "$t"
	DOCS="$DOCS $(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$OUT")"
done
req "$CHECKER" POST /v1/merchants/"$MID"/approve
code "approving before the reviews" 422
has "as kyb_incomplete" "$OUT" '"code":"kyb_incomplete"'
set -- $DOCS
req "$MAKER" POST "/v1/merchants/$MID/documents/$1/review" '{"decision":"verify"}'
code "a maker may not review a document" 403
has "by role" "$OUT" '"code":"forbidden"'
req "$OTHER" POST "/v1/merchants/$MID/documents/$1/review" '{"decision":"verify"}'
code "another DFSP's document review" 404
req "$CHECKER" POST "/v1/merchants/$MID/documents/$1/review" '{"decision":"maybe"}'
code "an unknown decision" 422
for d in $DOCS; do
	req "$CHECKER" POST "/v1/merchants/$MID/documents/$d/review" '{"decision":"verify"}'
	code "the checker verifies document $d" 200
	has "VERIFIED" "$OUT" '"state":"VERIFIED"'
	has "reviewed by the checker" "$OUT" '"reviewed_by":"carl"'
done
req "$CHECKER" POST "/v1/merchants/$MID/documents/999999/review" '{"decision":"verify"}'
code "an unknown document" 404
req "$CHECKER" GET /v1/merchants/"$MID"
OWNER=$(sed -n 's/.*"owners":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
req "$OTHER" POST "/v1/merchants/$MID/owners/$OWNER/review" '{"decision":"verify"}'
code "another DFSP's owner review" 404
req "$CHECKER" POST "/v1/merchants/$MID/owners/$OWNER/review" '{"decision":"reject"}'
code "rejecting an owner's ID without a reason" 422
req "$CHECKER" POST "/v1/merchants/$MID/owners/$OWNER/review" '{"decision":"verify"}'
code "the checker verifies the owner's ID" 200
has "id_verified" "$OUT" '"id_verified":1'
req "$CHECKER" POST /v1/merchants/"$MID"/approve
code "the checker approves" 200
has "it is APPROVED" "$OUT" '"status":"APPROVED"'
has "checked by the checker" "$OUT" '"checked_by":"carl"'
req "$CHECKER" POST /v1/merchants/"$MID"/frobnicate
code "an unknown action" 404

# ---- tenant isolation ----
req "$OTHER" GET /v1/merchants/"$MID"
code "another DFSP's GET" 404
req "$OTHER" PATCH /v1/merchants/"$MID" '{"contact_name":"X"}'
code "another DFSP's PATCH" 404
req "$OTHER" POST /v1/merchants/"$MID"/suspend '{"reason":"x"}'
code "another DFSP's action" 404
req "$OTHER" GET /v1/tills/"$TILL"/qr
code "another DFSP's QR code" 404
req "$OTHER" GET /v1/merchants
hasnt "another DFSP lists none of ours" "$OUT" "$MID"
req "$HUB" GET /v1/merchants/"$MID"
code "the hub-admin reads any" 200

# ---- errors ----
req "$MAKER" POST /v1/merchants '{"trading_name": "x",'
code "malformed JSON" 400
has "names the position" "$OUT" '"code":"malformed_json".*(line|column|position)'
req "$MAKER" POST /v1/merchants '{"trading_name":"","mcc":"12","owners":[],"locations":[{"name":"A"}]}'
code "invalid fields" 422
has "lists mcc" "$OUT" '"field":"mcc"'
has "lists locations[0].city" "$OUT" '"field":"locations\[0\]\.city"'
has "with validation_failed" "$OUT" '"code":"validation_failed"'
BIG=$(head -c 5000 /dev/zero | tr '\0' 'a')
req "$MAKER" POST /v1/merchants "{\"trading_name\":\"$BIG\"}"
code "a JSON body over http.max_body_bytes" 413
req "$MAKER" DELETE /v1/merchants/"$MID"
code "a method the path does not have" 405
req "$MAKER" GET /v1/merchants/"$MID2"9
code "an unknown merchant" 404

# ---- documents and audit ----
printf 'PDFDATA' >"$T_DIR/doc"
req "$MAKER" POST "/v1/merchants/$MID2/documents?type=trading_permit" "" \
	-H 'Content-Type: application/pdf' --data-binary @"$T_DIR/doc"
code "a document upload to a SUBMITTED merchant" 201
DOC=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$OUT")
req "$ADMIN" GET "/v1/merchants/$MID2/documents/$DOC"
code "its download" 200
same "gives the bytes back" "$(cat "$OUT")" PDFDATA
req "$OTHER" GET "/v1/merchants/$MID2/documents/$DOC"
code "not to another DFSP" 404
# maker-checker on reviews: the uploader may not review its own document,
# nor the merchant's creator (and submitter) its owners' IDs.
req "$ADMIN" POST "/v1/merchants/$MID2/documents?type=national_id" "" \
	-H 'Content-Type: application/pdf' --data-binary 'ID SCAN'
ADOC=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$OUT")
req "$ADMIN" POST "/v1/merchants/$MID2/documents/$ADOC/review" '{"decision":"verify"}'
code "the uploader reviewing its own document" 403
has "is refused as maker_checker" "$OUT" '"code":"maker_checker"'
req "$ADMIN" POST "/v1/merchants/$MID2/documents/$DOC/review" '{"decision":"reject"}'
code "rejecting a document without a reason" 422
req "$ADMIN" POST "/v1/merchants/$MID2/documents/$DOC/review" '{"decision":"reject","reason":"illegible"}'
code "another's upload is rejected with a reason" 200
has "REJECTED" "$OUT" '"state":"REJECTED"'
has "with the reason" "$OUT" '"review_reason":"illegible"'
req "$ADMIN" GET /v1/merchants/"$MID2"
OWNER2=$(sed -n 's/.*"owners":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
req "$ADMIN" POST "/v1/merchants/$MID2/owners/$OWNER2/review" '{"decision":"verify"}'
code "the creator reviewing its merchant's owner" 403
has "is refused as maker_checker" "$OUT" '"code":"maker_checker"'
req "$ADMIN" GET "/v1/merchants/$MID2/kyb"
has "the rejected permit shows in the KYB report" "$OUT" '"item":"document.trading_permit","reason":"rejected'
req "$ADMIN" GET "/v1/merchants/$MID/audit"
has "the audit shows the approval" "$OUT" '"action":"approve"'

# ---- the till's QR code ----
req "$MAKER" GET "/v1/tills/$TILL/qr?format=png"
code "the till's QR PNG" 200
has "as image/png" "$HDR" '^Content-Type: image/png'
cp "$OUT" "$T_DIR/till.png"
"$TILLGATE" qr decode --parse --json "$T_DIR/till.png" >"$T_DIR/qr.json" 2>"$ERR"; RC=$?
status "qr decode reads it" 0
has "with the name" "$T_DIR/qr.json" '"59":"MAMA JUMA SHOP"'
has "the city" "$T_DIR/qr.json" '"60":"ARUSHA"'
has "the MCC" "$T_DIR/qr.json" '"52":"5411"'
has "and the till" "$T_DIR/qr.json" "\"02\":\"$TILL\""
hasnt "static without an amount" "$T_DIR/qr.json" '"54"'
req "$MAKER" GET "/v1/tills/$TILL/qr?format=svg&amount=1500"
code "a dynamic SVG" 200
has "is SVG" "$OUT" '<svg'
# A till with a label: the label comes back as given.
req "$ADMIN" GET /v1/merchants/"$MID"
LOC=$(sed -n 's/.*"locations":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
[ -n "$LOC" ] || LOC=$(sed -n 's/.*"location_id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
req "$MAKER" POST "/v1/merchants/$MID/locations/$LOC/tills" '{"label":"COUNTER 2"}'
code "a till added with a label" 201
has "the label comes back" "$OUT" '"label":"COUNTER 2"'
TILL2=$(req "$ADMIN" GET /v1/merchants/"$MID2"; jfield till_number)
req "$ADMIN" GET "/v1/tills/$TILL2/qr"
code "no QR code for a merchant not APPROVED" 409

# ---- till status: suspend, reactivate, close ----
req "$MAKER" POST "/v1/merchants/$MID/tills/$TILL/suspend"
code "a maker may not suspend a till" 403
req "$OTHER" POST "/v1/merchants/$MID/tills/$TILL/suspend"
code "another DFSP's till" 404
req "$CHECKER" POST "/v1/merchants/$MID/tills/$TILL/frobnicate"
code "an unknown till action" 404
req "$CHECKER" POST "/v1/merchants/$MID/tills/$TILL/suspend" '{"reason":"broken printer"}'
code "the checker suspends the till" 200
has "it is SUSPENDED" "$OUT" '"status":"SUSPENDED"'
req "$MAKER" GET "/v1/tills/$TILL/qr?format=txt"
code "no QR code for a suspended till" 409
has "as till_not_active" "$OUT" '"code":"till_not_active"'
req "$CHECKER" POST "/v1/merchants/$MID/tills/$TILL/suspend"
code "suspending it twice" 409
req "$ADMIN" POST "/v1/merchants/$MID/tills/$TILL/reactivate"
code "the dfsp-admin reactivates it" 200
has "it is ACTIVE" "$OUT" '"status":"ACTIVE"'
req "$MAKER" GET "/v1/tills/$TILL/qr?format=txt"
code "its QR code again" 200
req "$CHECKER" POST "/v1/merchants/$MID/tills/$TILL/close"
code "the checker closes it" 200
has "it is CLOSED" "$OUT" '"status":"CLOSED"'
req "$CHECKER" POST "/v1/merchants/$MID/tills/$TILL/reactivate"
code "closing is final" 409
req "$MAKER" GET "/v1/tills/$TILL/qr?format=txt"
code "no QR code for a closed till" 409
has "as till_not_active" "$OUT" '"code":"till_not_active"'

# ---- owners of an editable merchant ----
req "$MAKER" POST /v1/merchants "$(printf '%s' "$M" | sed 's/MAMA JUMA SHOP/THIRD SHOP/')"
MID3=$(jfield merchant_id)
OW='{"name":"Neema Ali","id_type":"passport","id_number":"AB123456","phone":"+255712000001"}'
req "$MAKER" POST "/v1/merchants/$MID3/owners" "$OW"
code "the maker adds an owner to a DRAFT" 201
has "the owner comes back" "$OUT" '"name":"Neema Ali"'
NEW_OWNER=$(jnum id)
req "$CHECKER" POST "/v1/merchants/$MID3/owners" "$OW"
code "a checker may not add owners" 403
req "$OTHER" POST "/v1/merchants/$MID3/owners" "$OW"
code "another DFSP may not" 404
req "$MAKER" POST "/v1/merchants/$MID3/owners" '{"name":"X","id_type":"badge","phone":"12"}'
code "an invalid owner" 422
has "lists id_type" "$OUT" '"field":"id_type"'
has "lists id_number" "$OUT" '"field":"id_number"'
has "lists phone" "$OUT" '"field":"phone"'
req "$MAKER" POST "/v1/merchants/$MID2/owners" "$OW"
code "no owner added to a SUBMITTED merchant" 409
req "$MAKER" PATCH "/v1/merchants/$MID3/owners/$NEW_OWNER" '{"phone":"+255712000002"}'
code "the maker changes the owner's phone" 200
has "the change is there" "$OUT" '"phone":"\+255712000002"'
req "$MAKER" PATCH "/v1/merchants/$MID3/owners/$NEW_OWNER" '{"id_number":""}'
code "an empty ID number" 422
req "$OTHER" PATCH "/v1/merchants/$MID3/owners/$NEW_OWNER" '{"phone":"+255712000003"}'
code "another DFSP's owner PATCH" 404
req "$MAKER" PATCH "/v1/merchants/$MID3/owners/999999" '{"phone":"+255712000003"}'
code "an unknown owner" 404
req "$OTHER" DELETE "/v1/merchants/$MID3/owners/$NEW_OWNER"
code "another DFSP's owner DELETE" 404
req "$MAKER" DELETE "/v1/merchants/$MID3/owners/$NEW_OWNER"
code "the maker removes the owner" 200
req "$MAKER" GET "/v1/merchants/$MID3"
same "one owner is left" "$(grep -o '"id_type":' "$OUT" | wc -l | tr -d ' ')" 1
FIRST_OWNER=$(sed -n 's/.*"owners":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
req "$MAKER" DELETE "/v1/merchants/$MID3/owners/$FIRST_OWNER"
code "not the last owner" 409
req "$ADMIN" PATCH "/v1/merchants/$MID2/owners/$OWNER2" '{"phone":"+255712000004"}'
code "no owner change on a SUBMITTED merchant" 409

# ---- locations of an editable merchant ----
req "$MAKER" POST "/v1/merchants/$MID3/locations" '{"name":"Branch","city":"MOSHI","address":"Market St"}'
code "the maker adds a location" 201
has "with its first till" "$OUT" '"tills":\[\{"till_number":"[0-9]+"'
NEW_LOC=$(jnum id)
req "$CHECKER" POST "/v1/merchants/$MID3/locations" '{"name":"B2","city":"MOSHI"}'
code "a checker may not add locations" 403
req "$OTHER" POST "/v1/merchants/$MID3/locations" '{"name":"B2","city":"MOSHI"}'
code "another DFSP may not" 404
req "$MAKER" POST "/v1/merchants/$MID3/locations" '{"name":"B2","city":"A CITY FAR TOO LONG"}'
code "a city over 15 characters" 422
has "lists city" "$OUT" '"field":"city"'
req "$MAKER" POST "/v1/merchants/$MID2/locations" '{"name":"B2","city":"MOSHI"}'
code "no location added to a SUBMITTED merchant" 409
req "$MAKER" PATCH "/v1/merchants/$MID3/locations/$NEW_LOC" '{"city":"TANGA","lat":-5.07,"lon":39.1}'
code "the maker changes the location" 200
has "the city changed" "$OUT" '"city":"TANGA"'
has "the name kept" "$OUT" '"name":"Branch"'
req "$MAKER" PATCH "/v1/merchants/$MID3/locations/$NEW_LOC" '{"city":"SIXTEEN CHARS XX"}'
code "a PATCH with a city over 15 characters" 422
req "$MAKER" PATCH "/v1/merchants/$MID3/locations/$NEW_LOC" '{"lat":-5.07}'
code "lat without lon" 422
req "$OTHER" PATCH "/v1/merchants/$MID3/locations/$NEW_LOC" '{"city":"X"}'
code "another DFSP's location PATCH" 404
req "$MAKER" PATCH "/v1/merchants/$MID3/locations/999999" '{"city":"X"}'
code "an unknown location" 404
req "$MAKER" GET "/v1/merchants/$MID3"
same "the merchant has two locations and two tills" "$(grep -o '"till_number":"[0-9]*"' "$OUT" | sort -u | wc -l | tr -d ' ')" 2

req "$HUB" GET /metrics
code "the hub-admin reads the metrics" 200
has "metrics count merchants by status" "$OUT" '^tillgate_merchants\{status="APPROVED"\} 1$'

kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
for k in "$MAKER" "$CHECKER" "$OTHER"; do
	if grep -qF -- "${k#*.}" "$LOG"; then fail "no key in the log"; fi
done
hasnt "no errors logged" "$LOG" 'level=error'
finish
