# kyb.sh -- black-box tests of the KYB requirements over the admin API:
# GET /v1/merchants/{id}/kyb[?tier=] (what a merchant lacks for a tier of
# data/kyb-tiers.conf) and approvals refused with 422 kyb_incomplete while
# anything is missing: the merchant's approve and a tier request's approve.
# The real daemon on a free loopback port, curl as the client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
api_start
# verify MID: the checker verifies the merchant's PENDING documents and
# its owners' IDs over the review routes; each review must answer 200.
verify() {
	req "$CHECKER" GET "/v1/merchants/$1"
	cp "$OUT" "$T_DIR/m.json"
	_n=0
	for _d in $(grep -o '"id":[0-9]*,"type":"[^"]*","content_type":"[^"]*","sha256":"[0-9a-f]*","size":[0-9]*,"uploaded_by":"[^"]*","state":"PENDING"' \
		"$T_DIR/m.json" | sed 's/"id":\([0-9]*\),.*/\1/'); do
		req "$CHECKER" POST "/v1/merchants/$1/documents/$_d/review" '{"decision":"verify"}'
		[ "$CODE" = 200 ] || _n=$((_n + 1))
	done
	for _o in $(grep -o '"id":[0-9]*,"name":"[^"]*","id_type"' "$T_DIR/m.json" |
		sed 's/"id":\([0-9]*\),.*/\1/'); do
		req "$CHECKER" POST "/v1/merchants/$1/owners/$_o/review" '{"decision":"verify"}'
		[ "$CODE" = 200 ] || _n=$((_n + 1))
	done
	same "the checker verifies $1's documents and owners over the API" "$_n" 0
}
upload() { # upload KEY MID TYPE
	req "$1" POST "/v1/merchants/$2/documents?type=$3" "" -H 'Content-Type: application/pdf' \
		--data-binary "$3"
}

req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"maker","user":"mia"}'
MAKER=$(jfield key)
req "$ADMIN" POST /v1/dfsps/demo-dfsp/api-keys '{"role":"checker","user":"carl"}'
CHECKER=$(jfield key)
req "$HUB" POST /v1/dfsps '{"fsp_id":"bank-b","name":"Bank B"}'
req "$HUB" POST /v1/dfsps/bank-b/api-keys '{"role":"dfsp-admin","user":"bob"}'
OTHER=$(jfield key)
if [ -n "$MAKER" ] && [ -n "$CHECKER" ] && [ -n "$OTHER" ]; then pass "keys made"; else fail "keys made"; finish; fi

# A T1 merchant with no permit number, no documents, its owner's ID unverified.
M='{"trading_name":"KYB SHOP","legal_name":"Kyb Traders Ltd","type":"small_shop","mcc":"5411","tier":"T1","settlement_account":"123456789","contact_phone":"+255712345678","owners":[{"name":"Juma Ali","id_type":"national_id","id_number":"19800101-12345-00001-21","phone":"+255712345678"}],"locations":[{"name":"Main","city":"ARUSHA","address":"Sokoine Rd"}]}'
req "$MAKER" POST /v1/merchants "$M"
code "a T1 merchant" 201
MID=$(jfield merchant_id)

# ---- GET /v1/merchants/{id}/kyb ----
req "$MAKER" GET "/v1/merchants/$MID/kyb"
code "its KYB report" 200
has "for its own tier by default" "$OUT" '"tier":"T1"'
has "incomplete" "$OUT" '"complete":false'
has "the permit number is missing" "$OUT" '\{"item":"merchant.permit_number","reason":"missing"\}'
has "the owner's ID is not verified" "$OUT" '\{"item":"owners\[0\]\.national_id","reason":"not verified yet"\}'
has "the ID document is missing" "$OUT" '"item":"document.national_id"'
has "the trading permit is missing" "$OUT" '\{"item":"document.trading_permit","reason":"missing: upload one"\}'
same "four items in all" "$(grep -o '"item":' "$OUT" | wc -l | tr -d ' ')" 4
hasnt "nothing T1 does not ask for" "$OUT" 'merchant.tax_id'
req "$MAKER" GET "/v1/merchants/$MID/kyb?tier=T0"
code "T0" 200
has "T0 is complete" "$OUT" '"complete":true'
has "with an empty list" "$OUT" '"missing":\[\]'
req "$MAKER" GET "/v1/merchants/$MID/kyb?tier=T2"
code "T2" 200
has "T2 wants the tax id" "$OUT" '\{"item":"merchant.tax_id","reason":"missing"\}'
has "and the registration certificate" "$OUT" '"item":"document.registration_certificate"'
req "$MAKER" GET "/v1/merchants/$MID/kyb?tier=next"
code "the next tier" 200
has "is T2" "$OUT" '"tier":"T2"'
req "$MAKER" GET "/v1/merchants/$MID/kyb?tier=T9"
code "an unknown tier" 422
has "as unknown_tier" "$OUT" '"code":"unknown_tier"'
req "$MAKER" GET "/v1/merchants/$MID/kyb?tier=C0"
code "a customer tier" 422
req "$OTHER" GET "/v1/merchants/$MID/kyb"
code "another DFSP" 404
req "$OTHER" GET "/v1/merchants/$MID/kyb?tier=T9"
code "another DFSP, whatever the tier" 404
req "$HUB" GET "/v1/merchants/$MID/kyb"
code "the hub-admin reads any" 200
req "" GET "/v1/merchants/$MID/kyb"
code "no key" 401
req "$MAKER" GET "/v1/merchants/${MID}9/kyb"
code "an unknown merchant" 404

# ---- approve refused while incomplete ----
req "$MAKER" POST "/v1/merchants/$MID/submit"
code "submitted" 200
req "$CHECKER" POST "/v1/merchants/$MID/approve"
code "approving an incomplete T1 merchant" 422
has "as kyb_incomplete" "$OUT" '"code":"kyb_incomplete"'
has "the gaps as errors" "$OUT" '\{"field":"document.trading_permit","message":"missing: upload one"\}'
has "all of them" "$OUT" '"field":"merchant.permit_number"'
req "$CHECKER" GET "/v1/merchants/$MID"
has "still SUBMITTED" "$OUT" '"status":"SUBMITTED"'
has "not checked" "$OUT" '"checked_by":null'
req "$CHECKER" GET "/v1/merchants/$MID/audit"
hasnt "no approve in the audit" "$OUT" '"action":"approve"'
req "$MAKER" POST "/v1/merchants/$MID/approve"
code "maker-checker comes first" 403

# complete it: revert, the permit number, the documents, verified
req "$CHECKER" POST "/v1/merchants/$MID/revert" '{"reason":"KYB incomplete"}'
code "reverted" 200
req "$MAKER" PATCH "/v1/merchants/$MID" '{"permit_no":"TP-2024-0001"}'
code "the permit number" 200
upload "$MAKER" "$MID" national_id
code "the ID document" 201
upload "$MAKER" "$MID" trading_permit
code "the trading permit" 201
DOC=$(jnum id)
req "$MAKER" GET "/v1/merchants/$MID/kyb"
has "uploaded, not verified yet" "$OUT" '\{"item":"document.trading_permit","reason":"not verified yet"\}'
# reviews: maker-checker, a reason to reject, tenancy
upload "$ADMIN" "$MID" tax_certificate
code "the dfsp-admin uploads a document" 201
ADOC=$(jnum id)
req "$ADMIN" POST "/v1/merchants/$MID/documents/$ADOC/review" '{"decision":"verify"}'
code "the uploader reviewing its own document" 403
has "as maker_checker" "$OUT" '"code":"maker_checker"'
req "$CHECKER" POST "/v1/merchants/$MID/documents/$ADOC/review" '{"decision":"reject"}'
code "a rejection without a reason" 422
has "names the reason" "$OUT" '"field":"reason"'
req "$CHECKER" POST "/v1/merchants/$MID/documents/$ADOC/review" '{"decision":"reject","reason":"wrong year"}'
code "a rejection with a reason" 200
has "REJECTED" "$OUT" '"state":"REJECTED"'
req "$OTHER" POST "/v1/merchants/$MID/documents/$ADOC/review" '{"decision":"verify"}'
code "another DFSP's review" 404
req "$MAKER" GET "/v1/merchants/$MID"
OWNER=$(sed -n 's/.*"owners":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
req "$OTHER" POST "/v1/merchants/$MID/owners/$OWNER/review" '{"decision":"verify"}'
code "another DFSP's owner review" 404
req "$CHECKER" POST "/v1/merchants/$MID/owners/$OWNER/review" '{"decision":"reject"}'
code "an owner rejection without a reason" 422
req "$CHECKER" POST "/v1/merchants/$MID/documents/$DOC/review" '{"decision":"verify"}'
code "the checker verifies the trading permit" 200
req "$MAKER" GET "/v1/merchants/$MID/kyb"
hasnt "the permit is verified" "$OUT" '"item":"document.trading_permit"'
has "the owner's ID is not yet" "$OUT" '\{"item":"owners\[0\]\.national_id","reason":"not verified yet"\}'
verify "$MID"
req "$MAKER" GET "/v1/merchants/$MID/kyb"
has "verified: complete" "$OUT" '"tier":"T1","complete":true'
req "$MAKER" POST "/v1/merchants/$MID/submit"
req "$CHECKER" POST "/v1/merchants/$MID/approve"
code "a complete T1 merchant is approved" 200
has "APPROVED" "$OUT" '"status":"APPROVED"'

# ---- a T0 merchant: approved; its upgrade to T1 refused until complete ----
M0=$(printf '%s' "$M" | sed 's/"KYB SHOP"/"KYB KIOSK"/; s/"T1"/"T0"/')
req "$MAKER" POST /v1/merchants "$M0"
code "a T0 merchant" 201
M0ID=$(jfield merchant_id)
req "$MAKER" POST "/v1/merchants/$M0ID/submit"
req "$CHECKER" POST "/v1/merchants/$M0ID/approve"
code "T0 needs no documents: approved" 200
req "$MAKER" POST "/v1/merchants/$M0ID/tier-requests" '{"to_tier":"T1"}'
code "an upgrade to T1 requested" 201
TR=$(jnum id)
req "$CHECKER" POST "/v1/merchants/$M0ID/tier-requests/$TR/approve"
code "approving the upgrade while T1 is not met" 422
has "as kyb_incomplete" "$OUT" '"code":"kyb_incomplete"'
has "naming the new tier's gaps" "$OUT" '"field":"document.trading_permit"'
req "$CHECKER" GET "/v1/merchants/$M0ID"
has "the tier is unchanged" "$OUT" '"tier":"T0"'
upload "$MAKER" "$M0ID" national_id
upload "$MAKER" "$M0ID" trading_permit
verify "$M0ID"
req "$CHECKER" POST "/v1/merchants/$M0ID/tier-requests/$TR/approve"
code "still short of the permit number" 422
has "which is listed" "$OUT" '"field":"merchant.permit_number"'
hasnt "and nothing else" "$OUT" '"field":"document\.'

kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
hasnt "no errors logged" "$LOG" 'level=error'
finish
