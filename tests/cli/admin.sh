# admin.sh -- black-box tests of 'tillgate dfsp' and 'tillgate apikey':
# DFSPs and keys made through -c FILE, errors and exit statuses, the key
# shown once, on stdout only, and never in the database files.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 shell is needed"; exit 1; }

CONF=$T_DIR/tillgate.conf
printf '[gateway]\ndata_dir = %s/var\n' "$T_DIR" >"$CONF"
DB=$T_DIR/var/tillgate.db

# ---- usage ----

tg dfsp --help;           status "dfsp --help" 0
has "it names create" "$OUT" '^  create --id FSPID --name NAME'
tg help apikey;           status "help apikey" 0
has "it names revoke" "$OUT" '^  revoke KEYID'
tg apikey create --help;  status "apikey create --help" 0
tg dfsp;                  status "dfsp without a command" 2
tg dfsp frobnicate;       status "unknown dfsp command" 2
tg dfsp create --id x -c "$CONF"; status "dfsp create without --name" 2
has "saying what is missing" "$ERR" '--id and --name are required'
tg dfsp list --bogus -c "$CONF"; status "unknown option" 2
tg apikey create --dfsp bank-a -c "$CONF"; status "apikey create without --role" 2
[ ! -e "$DB" ] && pass "usage errors create no database" || fail "usage errors create no database"

# ---- DFSPs ----

tg dfsp create --id bank-a --name "Bank A" -c "$CONF"; status "dfsp create" 0
same "it prints the FSP id" "$(cat "$OUT")" bank-a
tg dfsp create --id=bank-b --name="Bank B" -c "$CONF"; status "dfsp create with --opt=value" 0
tg dfsp create --id bank-a --name "Other" -c "$CONF"; status "a duplicate DFSP" 1
has "it says it exists" "$ERR" "^tillgate dfsp create: DFSP 'bank-a' exists already\$"
tg dfsp create --id 'bad id' --name X -c "$CONF"; status "an invalid FSP id" 1
has "it says why" "$ERR" "invalid FSP id 'bad id'"
tg dfsp list -c "$CONF";  status "dfsp list" 0
same "two DFSPs" "$(wc -l <"$OUT")" 2
has "bank-a with its status, name and no backend hook" "$OUT" "^bank-a	ACTIVE	[0-9T:.-]+Z	Bank A	-\$"

# ---- keys ----

tg apikey create --dfsp bank-a --role maker --user alice -c "$CONF"; status "apikey create" 0
KEY=$(tail -n 1 "$OUT")
KID=${KEY%%.*}
SECRET=${KEY#*.}
if printf '%s' "$KEY" | grep -Eq '^tg_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$'; then
	pass "the last line is the key alone"
else
	fail "the last line is the key alone" "last line: $KEY"
fi
has "the key id is printed" "$OUT" "^key id: $KID\$"
same "the secret is on stdout once" "$(grep -cF -- "$SECRET" "$OUT")" 1
hasnt "and not on stderr" "$ERR" "$SECRET"
tg apikey create --dfsp bank-a --role boss -c "$CONF"; status "an unknown role is a usage error" 2
has "it names the roles" "$ERR" "unknown role 'boss'"
tg apikey create --dfsp nope --role maker -c "$CONF"; status "a key for an unknown DFSP" 1
has "it names the DFSP" "$ERR" "no DFSP 'nope'"
tg apikey create --dfsp bank-a --role hub-admin -c "$CONF"; status "a hub-admin key of a DFSP" 2
tg apikey create --role hub-admin -c "$CONF"; status "a hub-admin key" 0
HKEY=$(tail -n 1 "$OUT")
tg apikey create --role checker --user bob -c "$CONF" --dfsp bank-b; status "options in any order" 0

tg apikey list --dfsp bank-a -c "$CONF"; status "apikey list --dfsp" 0
same "one key of bank-a" "$(wc -l <"$OUT")" 1
has "with its role and user, active" "$OUT" "^$KID	bank-a	maker	alice	[0-9T:.-]+Z	active\$"
hasnt "no secret listed" "$OUT" "$SECRET"
tg apikey list -c "$CONF"; status "apikey list" 0
same "three keys in all" "$(wc -l <"$OUT")" 3
has "the hub-admin key has no DFSP" "$OUT" "	-	hub-admin	"

tg apikey revoke "$KID" -c "$CONF"; status "apikey revoke" 0
tg apikey list --dfsp bank-a -c "$CONF"
has "the key is listed revoked" "$OUT" "^$KID	.*	revoked [0-9T:.-]+Z\$"
tg apikey revoke "$KID" -c "$CONF"; status "revoking it again" 1
has "it says so" "$ERR" 'revoked already'
tg apikey revoke tg_0000000000000000 -c "$CONF"; status "revoking an unknown key" 1
tg apikey revoke -c "$CONF"; status "revoke without a KEYID" 2

# ---- the database afterwards ----

tg db check -c "$CONF";   status "db check" 0
same "database OK" "$(tail -n 1 "$OUT")" "database OK"
has "every change audited" "$OUT" '^audit chain: 6 rows, '
same "audit rows by system" "$(sqlite3 "$DB" "SELECT count(*) FROM audit WHERE actor = 'system'")" 6

# Secrets appear nowhere on disk (the WAL is checkpointed on close, but
# look at every file of the data folder anyway). The CLI logs to stderr
# only (checked above); serve.sh checks the daemon's log file.
found=
for k in "$KEY" "$SECRET" "${HKEY#*.}"; do
	grep -rqF -- "$k" "$T_DIR/var" && found="$found $k"
done
[ -z "$found" ] && pass "no secret in the database files" || fail "no secret in the database files" "found:$found"
same "the stored hash is SHA-256 of the secret's bytes" \
	"$(sqlite3 "$DB" "SELECT secret_sha256 FROM api_key WHERE key_id = '$KID'")" \
	"$(printf '%s' "$SECRET" | tr '_-' '/+' | sed 's/$/=/' | base64 -d | sha256sum | cut -c1-64)"
finish
