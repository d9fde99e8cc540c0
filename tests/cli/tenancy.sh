# tenancy.sh -- black-box tests of tenant isolation on every endpoint of
# the admin API (issue 3 section 6, docs/api.md "Tenancy"): the real daemon
# on a free loopback port, curl as the client.
#
# DFSP A (demo-dfsp, made at first start) onboards one merchant with a
# location, two tills, documents, a pending tier request and keys of every
# role. DFSP B (bank-b) gets keys of every role. Then:
#  - every route of `tillgate routes` with a {param} is called with B's
#    keys (dfsp-admin, maker, checker, auditor) on A's resources: 404, a
#    problem document, never A's merchant id or trading name in the body;
#    A's state is unchanged afterwards;
#  - the route list is read from `tillgate routes`: a parameterised route
#    without an entry in CASES below fails the test, so a new route must
#    come with its tenancy case;
#  - /v1/dfsps/{fsp}/... is in the table too: for a DFSP's key, another
#    DFSP's id and keys are A's resources like its merchants (404, not 403);
#    the hub-admin's own rights there are tested in api.sh and admin.sh;
#  - lists as B (also with ?q=, status and tier filters) omit A's merchant;
#  - A's auditor reads and gets 403 on every write; the hub-admin reads A's
#    merchant and gets 403 on every merchant write.
# Each of B's answers is also compared with the answer the same key gets
# for a resource that does not exist (same status and body, ids aside). A
# 403 is taken only where the role may not do this at all and the missing
# resource gets the same 403 (refused before any lookup, nothing leaks);
# TENANCY_STRICT=1 refuses those too. Answers that differ are failing
# checks: a leak is reported, never worked around here.
# Approval needs the tier's KYB: A's checker verifies the documents and
# the owner's ID over the review routes (a database update stays only as
# a fallback, noted, should a review be refused; see "approval try").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/apilib.sh"
api_start
A_ADMIN=$ADMIN
A=demo-dfsp
B=bank-b

# key OWNER_KEY FSP ROLE USER: a new key over the API, printed.
key() {
	req "$1" POST "/v1/dfsps/$2/api-keys" "{\"role\":\"$3\",\"user\":\"$4\"}"
	if [ "$CODE" = 201 ]; then jfield key; else echo "KEY-FAILED-$CODE"; fi
}

# ---- DFSP A's keys ----
A_MAKER=$(key "$A_ADMIN" $A maker a-mia)
A_CHECKER=$(key "$A_ADMIN" $A checker a-carl)
A_AUDITOR=$(key "$A_ADMIN" $A auditor a-aud)
A_SPARE=$(key "$A_ADMIN" $A maker a-spare)	# B tries to revoke it
case "$A_MAKER$A_CHECKER$A_AUDITOR$A_SPARE" in
*KEY-FAILED*) fail "A's dfsp-admin makes keys of every role" "$A_MAKER $A_CHECKER $A_AUDITOR $A_SPARE" ;;
*) pass "A's dfsp-admin makes keys of every role" ;;
esac
A_MAKER_ID=${A_MAKER%%.*}
A_SPARE_ID=${A_SPARE%%.*}

# ---- DFSP B: made by the hub-admin over the API; its auditor key with
# the command line (the daemon runs: a second writer on the database) ----
req "$HUB" POST /v1/dfsps "{\"fsp_id\":\"$B\",\"name\":\"Bank B\"}"
code "the hub-admin makes DFSP B" 201
B_ADMIN=$(key "$HUB" $B dfsp-admin b-bob)
B_MAKER=$(key "$B_ADMIN" $B maker b-mo)
B_CHECKER=$(key "$B_ADMIN" $B checker b-cy)
tg apikey create --dfsp $B --role auditor --user b-aud --set gateway.data_dir="$D"
status "tillgate apikey create makes B's auditor while serve runs" 0
B_AUDITOR=$(tail -n 1 "$OUT")
case "$B_ADMIN$B_MAKER$B_CHECKER" in
*KEY-FAILED*) fail "B's keys of every role" "$B_ADMIN $B_MAKER $B_CHECKER" ;;
*) pass "B's keys of every role" ;;
esac
req "$B_AUDITOR" GET /v1/merchants
code "B's command-line key authenticates" 200

# ---- A onboards a T1 merchant: maker creates, checker approves ----
NAME="TENANCY DUKA ALPHA"
M='{"trading_name":"'"$NAME"'","legal_name":"Alpha Traders Ltd","type":"small_shop","mcc":"5411","tier":"T1","settlement_account":"123456789","contact_phone":"+255712345678","permit_no":"TP-2024-0042","owners":[{"name":"Asha Bakari","id_type":"national_id","id_number":"19800101-12345-00001-21","phone":"+255712345678"}],"locations":[{"name":"Main","city":"ARUSHA","address":"Sokoine Rd","lat":-3.37,"lon":36.68}]}'
req "$A_MAKER" POST /v1/merchants "$M"
code "A's maker creates a T1 merchant" 201
MID=$(jfield merchant_id)
TILL=$(jfield till_number)
LOC=$(sed -n 's/.*"location_id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
[ -n "$LOC" ] || LOC=$(sed -n 's/.*"locations":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
if [ -n "$MID" ] && [ -n "$TILL" ] && [ -n "$LOC" ]; then
	pass "with a merchant id, a location and a till"
else
	fail "with a merchant id, a location and a till" "MID=$MID TILL=$TILL LOC=$LOC"
fi
# (no label: a label is read after its JSON is freed in till_add_h, a
# use-after-free that is not this test's subject)
req "$A_MAKER" POST "/v1/merchants/$MID/locations/$LOC/tills"
code "A's maker adds a second till" 201
TILL2=$(jfield till_number)
TILL2=${TILL2:-$TILL}
printf '%%PDF-1.4 national id scan' >"$T_DIR/id.pdf"
printf '%%PDF-1.4 trading permit scan' >"$T_DIR/permit.pdf"
req "$A_MAKER" POST "/v1/merchants/$MID/documents?type=national_id" "" \
	-H 'Content-Type: application/pdf' --data-binary @"$T_DIR/id.pdf"
code "A's maker uploads the national ID" 201
DOC=$(jnum id)
req "$A_MAKER" POST "/v1/merchants/$MID/documents?type=trading_permit" "" \
	-H 'Content-Type: application/pdf' --data-binary @"$T_DIR/permit.pdf"
code "and the trading permit" 201
DOC2=$(jnum id)
req "$A_MAKER" POST "/v1/merchants/$MID/submit"
code "A's maker submits" 200
req "$A_MAKER" GET "/v1/merchants/$MID"
OWNER=$(sed -n 's/.*"owners":\[{"id":\([0-9][0-9]*\).*/\1/p' "$OUT" | head -n 1)
[ -n "$OWNER" ] && pass "A's merchant has an owner id" || fail "A's merchant has an owner id" "none in $(head -c 300 "$OUT")"
# review KIND ID: A's checker verifies document or owner ID over the API.
review() {
	req "$A_CHECKER" POST "/v1/merchants/$MID/$1/$2/review" '{"decision":"verify"}'
}
review documents "$DOC"
code "A's checker verifies the national ID" 200
review documents "$DOC2"
code "and the trading permit" 200
review owners "$OWNER"
code "and the owner's ID" 200
# The approval checks the tier's KYB (data/kyb-tiers.conf, docs/kyb.md):
# on 422 kyb_incomplete, add what it lists and try again. A document
# missing is uploaded; "not verified yet" (owners[N].national_id,
# document.T) is reviewed over the API, the database update only a
# fallback should the review be refused (a note says so).
for try in 1 2 3; do
	req "$A_CHECKER" POST "/v1/merchants/$MID/approve"
	[ "$CODE" = 422 ] && grep -q '"code":"kyb_incomplete"' "$OUT" || break
	echo "# approval try $try: $(head -c 600 "$OUT")"
	grep -o '"field":"[^"]*","message":"[^"]*"' "$OUT" |
		sed 's/"field":"\([^"]*\)","message":"\([^"]*\)"/\1|\2/' >"$T_DIR/gaps"
	req "$A_CHECKER" GET "/v1/merchants/$MID"
	cp "$OUT" "$T_DIR/merchant.json"
	while IFS='|' read -r f msg; do
		case "$f|$msg" in
		owners\[*\].national_id\|*verified*)
			review owners "$OWNER"
			[ "$CODE" = 200 ] && continue
			echo "# note: the owner review was refused (HTTP $CODE); set in the database"
			sqlite3 -cmd '.timeout 5000' "$D/tillgate.db" \
				"UPDATE owner SET id_verified = 1 WHERE merchant_id = '$MID';" ;;
		document.*\|*verified*)
			_ok=
			for _d in $(grep -o "\"id\":[0-9]*,\"type\":\"${f#document.}\"" "$T_DIR/merchant.json" |
				sed 's/"id":\([0-9]*\),.*/\1/'); do
				review documents "$_d"
				[ "$CODE" = 200 ] && _ok=1
			done
			[ -n "$_ok" ] && continue
			echo "# note: the document review was refused; ${f#document.} set VERIFIED in the database"
			sqlite3 -cmd '.timeout 5000' "$D/tillgate.db" \
				"UPDATE document SET state = 'VERIFIED', reviewed_by = 'a-carl' WHERE merchant_id = '$MID' AND type = '${f#document.}';" ;;
		document.*)
			printf 'PDF %s' "${f#document.}" >"$T_DIR/more.pdf"
			curl -s -o /dev/null -H "Authorization: Bearer $A_MAKER" -H 'Content-Type: application/pdf' \
				--data-binary @"$T_DIR/more.pdf" "$U/v1/merchants/$MID/documents?type=${f#document.}" ;;
		*) echo "# cannot provide $f ($msg) after submission" ;;
		esac
	done <"$T_DIR/gaps"
done
code "A's checker approves" 200
has "A's merchant is APPROVED" "$OUT" '"status":"APPROVED"'
req "$A_MAKER" POST "/v1/merchants/$MID/tier-requests" '{"to_tier":"T2"}'
code "A's maker requests tier T2" 201
REQ=$(jnum id)
req "$A_MAKER" GET "/v1/tills/$TILL/qr?format=txt"
code "A reads its till's QR code" 200
req "$A_MAKER" GET "/v1/merchants?q=TENANCY%20DUKA"
has "A finds its merchant with ?q= (control)" "$OUT" "\"merchant_id\":\"$MID\""
# A payment of A's customer to A's merchant (on us), made with A's
# payments key; the customer enrolled over the API and activated by USSD.
A_PAY=$(key "$A_ADMIN" $A payments a-app)
req "$A_ADMIN" POST /v1/customers '{"msisdn":"+255700000001","name":"Asha","account_ref":"A-1","tier":"C0"}' \
	-H 'Idempotency-Key: tenancy-customer'
code "A enrols a customer" 201
_t=1*$(jfield activation_code)*5927*5927
for _n in 0 1 2 3 4; do _txt=; [ $_n = 0 ] || _txt=$(printf %s "$_t" | cut -d'*' -f1-$_n)
	curl -s -o "$OUT" -X POST "$U/ussd" --data-urlencode sessionId=tenancy-act \
		--data-urlencode 'serviceCode=*384#' --data-urlencode phoneNumber=+255700000001 \
		--data-urlencode "text=$_txt"
done
has "A's customer activates by USSD" "$OUT" '^END Your account is active'
req "$A_PAY" POST /v1/payments "{\"payer_msisdn\":\"255700000001\",\"till\":\"$TILL\",\"amount\":100}" \
	-H 'Idempotency-Key: tenancy-pay'
code "A's app pays A's merchant" 201
PAYID=$(jfield id)
req "$A_PAY" POST /v1/payment-requests "{\"merchant_id\":\"$MID\",\"payer_msisdn\":\"255700000001\",\"amount\":100}" \
	-H 'Idempotency-Key: tenancy-rtp'
code "A's app asks A's customer to pay A's merchant" 202
RTPID=$(jfield id)

# Controls: ids of the same shapes that name nothing (Luhn-valid merchant
# and till numbers), to compare B's answers with what a stranger gets.
# luhn PAYLOAD: PAYLOAD and its Luhn check digit.
luhn() {
	echo "$1" | awk '{ s = 0; n = length($0)
		for (i = n; i >= 1; i--) { d = substr($0, i, 1) + 0
			if ((n - i) % 2 == 0) { d *= 2; if (d > 9) d -= 9 }
			s += d }
		print $0 (10 - s % 10) % 10 }'
}
NOMID=$(luhn $((${MID%?} + 4321)))
NOTILL=$(luhn $((${TILL%?} + 4321)))
NOKEY=tg_0000000000000000
NOFSP=no-such-dfsp
NOPAY=Pffffffffffffffffffffffff
NORTP=Rffffffffffffffffffffffff
# A's customer, enrolled by A's maker; the control is an id never used.
req "$A_MAKER" POST /v1/customers '{"msisdn":"+255712000999","name":"Tenancy Payer","account_ref":"TEN-1","tier":"C0"}'
code "A's maker enrols a customer" 201
CID=$(jnum id)
NOCID=987654321
# control PATH: PATH with A's ids replaced by the controls.
control() {
	printf '%s\n' "$1" | sed -e "s|/merchants/$MID|/merchants/$NOMID|" \
		-e "s|/tills/$TILL/|/tills/$NOTILL/|" -e "s|/tills/$TILL2/|/tills/$NOTILL/|" \
		-e "s|/dfsps/$A/|/dfsps/$NOFSP/|" -e "s|/api-keys/tg_.*|/api-keys/$NOKEY|" \
		-e "s|/payments/$PAYID|/payments/$NOPAY|" \
		-e "s|/payment-requests/$RTPID|/payment-requests/$NORTP|" \
		-e "s|^/v1/customers/$CID\(/\|\$\)|/v1/customers/$NOCID\1|"
}
# norm FILE: the body with every real or control id as a placeholder.
norm() {
	sed -e "s/$MID/<merchant>/g" -e "s/$NOMID/<merchant>/g" -e "s/$TILL2/<till>/g" \
		-e "s/$TILL/<till>/g" -e "s/$NOTILL/<till>/g" -e "s/$A_SPARE_ID/<key>/g" \
		-e "s/$A_MAKER_ID/<key>/g" -e "s/$NOKEY/<key>/g" -e "s/$PAYID/<payment>/g" \
		-e "s/$NOPAY/<payment>/g" -e "s/$RTPID/<request>/g" -e "s/$NORTP/<request>/g" \
		-e "s/$A/<fsp>/g" -e "s/$NOFSP/<fsp>/g" \
		-e "s|/customers/$CID\([^0-9]\)|/customers/<customer>\1|g" \
		-e "s|/customers/$NOCID|/customers/<customer>|g" "$1"
}

# ---- the table: every parameterised route and its calls on A's things ----
# One line per call: METHOD PATTERN | PATH | BODY-KIND [| CONTENT-TYPE]
# BODY-KIND: - (none), a JSON text, or @FILE (raw upload). PATTERN is the
# route exactly as `tillgate routes` prints it.
CASES=$T_DIR/cases
cat >"$CASES" <<EOF
GET /v1/merchants/{id}|/v1/merchants/$MID|-
PATCH /v1/merchants/{id}|/v1/merchants/$MID|{"contact_name":"PWNED"}
POST /v1/merchants/{id}/documents|/v1/merchants/$MID/documents?type=trading_permit|@$T_DIR/permit.pdf|application/pdf
GET /v1/merchants/{id}/documents/{doc}|/v1/merchants/$MID/documents/$DOC|-
GET /v1/merchants/{id}/documents/{doc}|/v1/merchants/$MID/documents/$DOC2|-
POST /v1/merchants/{id}/documents/{doc}/review|/v1/merchants/$MID/documents/$DOC/review|{"decision":"reject","reason":"PWNED"}
POST /v1/merchants/{id}/documents/{doc}/review|/v1/merchants/$MID/documents/$DOC2/review|{"decision":"verify"}
POST /v1/merchants/{id}/owners/{owner}/review|/v1/merchants/$MID/owners/$OWNER/review|{"decision":"reject","reason":"PWNED"}
POST /v1/merchants/{id}/owners|/v1/merchants/$MID/owners|{"name":"PWNED","id_type":"passport","id_number":"PWNED1"}
PATCH /v1/merchants/{id}/owners/{owner}|/v1/merchants/$MID/owners/$OWNER|{"name":"PWNED"}
DELETE /v1/merchants/{id}/owners/{owner}|/v1/merchants/$MID/owners/$OWNER|-
POST /v1/merchants/{id}/tills/{till}/{action}|/v1/merchants/$MID/tills/$TILL/suspend|{"reason":"PWNED"}
POST /v1/merchants/{id}/tills/{till}/{action}|/v1/merchants/$MID/tills/$TILL2/close|-
POST /v1/merchants/{id}/locations|/v1/merchants/$MID/locations|{"name":"PWNED","city":"PWNED"}
PATCH /v1/merchants/{id}/locations/{loc}|/v1/merchants/$MID/locations/$LOC|{"city":"PWNED"}
DELETE /v1/merchants/{id}/locations/{loc}|/v1/merchants/$MID/locations/$LOC|-
POST /v1/merchants/{id}/locations/{loc}/tills|/v1/merchants/$MID/locations/$LOC/tills|{"label":"PWNED"}
POST /v1/merchants/{id}/tier-requests|/v1/merchants/$MID/tier-requests|{"to_tier":"T2"}
POST /v1/merchants/{id}/tier-requests/{req}/{decision}|/v1/merchants/$MID/tier-requests/$REQ/approve|-
POST /v1/merchants/{id}/tier-requests/{req}/{decision}|/v1/merchants/$MID/tier-requests/$REQ/reject|{"reason":"PWNED"}
GET /v1/merchants/{id}/audit|/v1/merchants/$MID/audit|-
GET /v1/merchants/{id}/kyb|/v1/merchants/$MID/kyb|-
POST /v1/merchants/{id}/pin/unlock|/v1/merchants/$MID/pin/unlock|-
GET /v1/merchants/{id}/kyb|/v1/merchants/$MID/kyb?tier=T2|-
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/submit|-
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/approve|-
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/reject|{"reason":"PWNED"}
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/revert|{"reason":"PWNED"}
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/suspend|{"reason":"PWNED"}
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/reinstate|-
POST /v1/merchants/{id}/{action}|/v1/merchants/$MID/close|{"reason":"PWNED"}
GET /v1/tills/{till}/qr|/v1/tills/$TILL/qr|-
GET /v1/tills/{till}/qr|/v1/tills/$TILL/qr?format=png|-
GET /v1/tills/{till}/qr|/v1/tills/$TILL2/qr?format=svg&amount=1500|-
POST /v1/dfsps/{fsp}/api-keys|/v1/dfsps/$A/api-keys|{"role":"maker","user":"b-intruder"}
GET /v1/dfsps/{fsp}/api-keys|/v1/dfsps/$A/api-keys|-
DELETE /v1/api-keys/{key}|/v1/api-keys/$A_SPARE_ID|-
GET /v1/payments/{id}|/v1/payments/$PAYID|-
GET /v1/payment-requests/{id}|/v1/payment-requests/$RTPID|-
DELETE /v1/api-keys/{key}|/v1/api-keys/$A_MAKER_ID|-
GET /v1/customers/{id}|/v1/customers/$CID|-
POST /v1/customers/{id}/{action}|/v1/customers/$CID/unlock|-
POST /v1/customers/{id}/{action}|/v1/customers/$CID/suspend|{"reason":"PWNED"}
POST /v1/customers/{id}/{action}|/v1/customers/$CID/activation-code|-
POST /v1/customers/{id}/{action}|/v1/customers/$CID/close|{"reason":"PWNED"}
EOF

# ---- the table covers every parameterised route the server serves ----
"$TILLGATE" routes >"$T_DIR/routes" 2>"$ERR"; RC=$?
status "tillgate routes" 0
# The FSPIOP callbacks at the root (PUT /parties, /quotes, /transfers:
# docs/switch.md) are the switch's API: no API key, no DFSP's resource;
# only routes under /v1 have tenancy cases.
grep '^[A-Z]* /v1/.*{' "$T_DIR/routes" >"$T_DIR/proutes"
if [ "$(wc -l <"$T_DIR/proutes")" -ge 10 ]; then pass "it prints the parameterised routes"; else fail "it prints the parameterised routes" "$(cat "$T_DIR/proutes")"; fi
while read -r r; do
	if cut -d'|' -f1 "$CASES" | grep -qxF -- "$r"; then
		pass "tenancy case for $r"
	else
		fail "tenancy case for $r" "a route naming a resource has no case in CASES of tests/cli/tenancy.sh"
	fi
done <"$T_DIR/proutes"

# call KEY LINE [PATH]: makes the call a CASES line describes (with PATH
# instead of its own if given).
call() {
	_r=${2%%|*}; _rest=${2#*|}
	_path=${_rest%%|*}; _rest=${_rest#*|}
	_body=${_rest%%|*}; _ct=
	case $_rest in *'|'*) _ct=${_rest#*|} ;; esac
	[ -n "${3-}" ] && _path=$3
	_meth=${_r%% *}
	case $_body in
	-) req "$1" "$_meth" "$_path" ;;
	@*) req "$1" "$_meth" "$_path" "" -H "Content-Type: $_ct" --data-binary "$_body" ;;
	*) req "$1" "$_meth" "$_path" "$_body" ;;
	esac
}

# unseen WHAT: the answer to the call just made on A's resource is 404,
# a problem document with code not_found, never A's trading name, and the
# same status and body (ids aside) as the same call on a resource that
# does not exist, so it tells nothing about A. The one other answer taken:
# the role may not do this at all and the key gets the same 403 for the
# missing resource (refused before any lookup: no existence leaks); set
# TENANCY_STRICT=1 to refuse that too.
unseen() {
	_c=$CODE; norm "$OUT" >"$T_DIR/real"
	_ctype=$(grep -i '^Content-Type:' "$HDR" | tr -d '\r')
	_cp=$(control "$_p")
	call "$_key" "$_line" "$_cp"
	norm "$OUT" >"$T_DIR/ctl"; _cc=$CODE
	_why=
	if [ "$_c" = 403 ] && [ "$_cc" = 403 ] && [ -z "${TENANCY_STRICT-}" ] &&
		grep -q '"code":"forbidden"' "$T_DIR/real"; then
		: # refused by role before any lookup; compared below
	else
		[ "$_c" = 404 ] || _why="HTTP $_c, expected 404"
		grep -q '"code":"not_found"' "$T_DIR/real" || _why="$_why; no \"code\":\"not_found\""
	fi
	case $_ctype in *application/problem+json*) ;; *) _why="$_why; $_ctype, not application/problem+json" ;; esac
	grep -qF -- "$NAME" "$T_DIR/real" && _why="$_why; the body holds A's trading name"
	grep -q 'Alpha Traders\|a-mia\|a-spare\|PWNED' "$T_DIR/real" && _why="$_why; the body holds A's data"
	if [ "$_c" != "$_cc" ] || ! cmp -s "$T_DIR/real" "$T_DIR/ctl"; then
		_why="$_why; differs from the answer for a missing resource ($_cp: HTTP $_cc $(head -c 200 "$T_DIR/ctl"))"
	fi
	if [ -z "$_why" ]; then
		pass "$1 ($_c$([ "$_c" = 403 ] && echo ', by role, as for a missing resource'))"
	else
		: >"$ERR"; cp "$T_DIR/real" "$OUT"
		fail "$1" "${_why#; }"
	fi
}

# ---- B's keys on A's resources: 404 everywhere ----
for role in dfsp-admin maker checker auditor; do
	case $role in
	dfsp-admin) _key=$B_ADMIN ;; maker) _key=$B_MAKER ;;
	checker) _key=$B_CHECKER ;; auditor) _key=$B_AUDITOR ;;
	esac
	while IFS= read -r _line; do
		_r=${_line%%|*}
		grep -qxF -- "$_r" "$T_DIR/routes" || continue	# a route not (yet) served
		_p=${_line#*|}; _p=${_p%%|*}
		call "$_key" "$_line"
		unseen "B's $role: ${_r%% *} $_p"
	done <"$CASES"
done

# ---- B's lists do not show A's merchant ----
for role in dfsp-admin maker checker auditor; do
	case $role in
	dfsp-admin) _key=$B_ADMIN ;; maker) _key=$B_MAKER ;;
	checker) _key=$B_CHECKER ;; auditor) _key=$B_AUDITOR ;;
	esac
	for q in "" "?q=TENANCY%20DUKA" "?q=Alpha%20Traders" "?status=APPROVED" "?tier=T1" "?limit=200"; do
		req "$_key" GET "/v1/merchants$q"
		if [ "$CODE" = 200 ] && ! grep -qF -- "$MID" "$OUT" && ! grep -qF -- "$NAME" "$OUT"; then
			pass "B's $role: GET /v1/merchants$q omits A's merchant"
		else
			fail "B's $role: GET /v1/merchants$q omits A's merchant" "HTTP $CODE"
		fi
	done
	req "$_key" GET /v1/dfsps
	hasnt "B's $role: GET /v1/dfsps omits DFSP A" "$OUT" "\"$A\""
done

# ---- B's customer lists do not show A's customer ----
for _key in "$B_ADMIN" "$B_MAKER" "$B_CHECKER" "$B_AUDITOR"; do
	for q in "" "?msisdn=%2B255712000999" "?status=PENDING"; do
		req "$_key" GET "/v1/customers$q"
		if [ "$CODE" = 200 ] && ! grep -q 'Tenancy Payer\|255712000999' "$OUT"; then
			pass "B's key: GET /v1/customers$q omits A's customer"
		else
			fail "B's key: GET /v1/customers$q omits A's customer" "HTTP $CODE"
		fi
	done
done
# ---- B's lists of payment requests do not show A's ----
for _key in "$B_ADMIN" "$B_MAKER" "$B_CHECKER" "$B_AUDITOR"; do
	for q in "" "?merchant_id=$MID" "?state=PROMPTED"; do
		req "$_key" GET "/v1/payment-requests$q"
		if [ "$CODE" = 200 ] && ! grep -qF -- "$RTPID" "$OUT"; then
			pass "B's key: GET /v1/payment-requests$q omits A's request"
		else
			fail "B's key: GET /v1/payment-requests$q omits A's request" "HTTP $CODE"
		fi
	done
done
req "$A_AUDITOR" GET "/v1/payment-requests?merchant_id=$MID"
has "A's auditor lists A's request (control)" "$OUT" "\"id\":\"$RTPID\""
req "$A_AUDITOR" GET "/v1/customers/$CID"
code "A's auditor reads A's customer" 200
has "A's customer is still PENDING (B suspended and closed nothing)" "$OUT" '"status":"PENDING"'
req "$HUB" GET "/v1/customers?msisdn=%2B255712000999"
has "the hub-admin lists A's customer" "$OUT" 'Tenancy Payer'

# ---- nothing of A changed ----
req "$A_MAKER" GET "/v1/merchants/$MID"
code "A's maker key still works (B could not revoke it)" 200
has "A's merchant is still APPROVED" "$OUT" '"status":"APPROVED"'
hasnt "A's merchant was not patched" "$OUT" 'PWNED'
same "A's merchant still has two tills" "$(grep -o '"till_number":"[0-9]*"' "$OUT" | sort -u | wc -l | tr -d ' ')" 2
hasnt "A's tills are neither suspended nor closed" "$OUT" '"status":"(SUSPENDED|CLOSED)"'
same "A's merchant still has its owner" "$(grep -o '"id_type":' "$OUT" | wc -l | tr -d ' ')" 1
same "A's merchant still has two documents" "$(grep -o '"sha256":"' "$OUT" | wc -l | tr -d ' ')" 2
req "$A_ADMIN" GET "/v1/dfsps/$A/api-keys"
hasnt "B made no key of A" "$OUT" 'b-intruder'
hasnt "B revoked no key of A" "$OUT" '"revoked":"'
req "$A_AUDITOR" GET "/v1/merchants/$MID/audit"
code "A's audit log reads" 200
hasnt "A's audit log shows no B user" "$OUT" '"actor":"b-'
req "$A_MAKER" POST "/v1/merchants/$MID/tier-requests" '{"to_tier":"T2"}'
code "A's tier request is still pending" 409

# ---- A's auditor: reads, and 403 on every write ----
for p in "/v1/merchants/$MID" "/v1/merchants/$MID/audit" "/v1/merchants/$MID/documents/$DOC" \
	"/v1/tills/$TILL/qr?format=txt" "/v1/merchants?q=TENANCY%20DUKA"; do
	req "$A_AUDITOR" GET "$p"
	code "A's auditor reads GET $p" 200
done
grep -qxF 'GET /v1/merchants/{id}/kyb' "$T_DIR/routes" && {
	req "$A_AUDITOR" GET "/v1/merchants/$MID/kyb?tier=T2"
	code "A's auditor reads GET /v1/merchants/$MID/kyb" 200
}
# forbid WHO KEY: every write of CASES (all but GET) with KEY is 403.
# A's own api-keys routes are writes or dfsp-admin only: 403 as well.
forbid() {
	while IFS= read -r _line; do
		_r=${_line%%|*}
		grep -qxF -- "$_r" "$T_DIR/routes" || continue
		case $_r in GET\ /v1/dfsps/*) ;; GET*) continue ;; esac
		case $_r in *dfsps*|*api-keys*) [ "$3" = merchant-only ] && continue ;; esac
		_p=${_line#*|}; _p=${_p%%|*}
		call "$2" "$_line"
		if [ "$CODE" = 403 ] && grep -q '"code":"forbidden"' "$OUT"; then
			pass "$1: ${_r%% *} $_p (403)"
		else
			fail "$1: ${_r%% *} $_p" "HTTP $CODE, expected 403 forbidden"
		fi
	done <"$CASES"
}
forbid "A's auditor" "$A_AUDITOR" all
req "$A_AUDITOR" POST /v1/merchants "$M"
code "A's auditor: POST /v1/merchants" 403

# ---- the hub-admin: reads A's merchant, never changes it ----
for p in "/v1/merchants/$MID" "/v1/merchants/$MID/audit" "/v1/merchants/$MID/documents/$DOC"; do
	req "$HUB" GET "$p"
	code "the hub-admin reads GET $p" 200
done
req "$HUB" GET "/v1/merchants?q=TENANCY%20DUKA"
has "the hub-admin lists A's merchant" "$OUT" "\"merchant_id\":\"$MID\""
forbid "the hub-admin" "$HUB" merchant-only
req "$HUB" POST /v1/merchants "$M"
code "the hub-admin: POST /v1/merchants" 403
req "$A_MAKER" GET "/v1/merchants/$MID"
has "after all that A's merchant is still APPROVED" "$OUT" '"status":"APPROVED"'
hasnt "and unpatched" "$OUT" 'PWNED'

kill "$PID"; wait "$PID"; RC=$?; PID=
status "the daemon stops cleanly" 0
hasnt "no errors logged" "$LOG" 'level=error'
finish
