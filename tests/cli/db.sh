# db.sh -- black-box tests of 'tillgate db': migrate and check a database
# found through -c FILE or --db, audit rows chained by an independent
# implementation of the hash (sh, printf and sha256sum), then tampered
# with through the sqlite3 shell.
. "$(dirname "$0")/lib.sh"
MIGRATIONS="$(dirname "$0")/../../data/migrations"
GENESIS=0000000000000000000000000000000000000000000000000000000000000000

command -v sqlite3 >/dev/null || { echo "not ok 1 - the sqlite3 shell is needed"; exit 1; }
command -v sha256sum >/dev/null || { echo "not ok 1 - sha256sum is needed"; exit 1; }

# ---- the audit hash, written from docs/storage.md, not from audit.c ----

# be64 N: N as 8 bytes, big-endian.
be64() {
	_i=56
	while [ $_i -ge 0 ]; do
		printf "\\$(printf '%03o' $(( ($1 >> _i) & 255 )))"
		_i=$((_i - 8))
	done
}
# text VALUE: 'T', the byte length, the bytes; NULL is the word @NULL.
text() {
	if [ "$1" = @NULL ]; then printf N; return; fi
	printf T
	be64 "$(printf '%s' "$1" | wc -c)"
	printf '%s' "$1"
}
# row_hash ID TS ACTOR ROLE DFSP ACTION ENTITY ENTITY_ID BEFORE AFTER PREV
row_hash() {
	{
		printf 'tillgate-audit-v1\nI'
		be64 "$1"
		shift
		for f in "$@"; do text "$f"; done
	} | sha256sum | cut -c1-64
}
# sqlval VALUE: an SQL literal (values here hold no single quote).
sqlval() { if [ "$1" = @NULL ]; then printf NULL; else printf "'%s'" "$1"; fi; }
# add_row DB ID ACTOR ROLE DFSP ACTION ENTITY_ID AFTER PREV: inserts a
# chained row with the sqlite3 shell; prints its hash.
add_row() {
	_db=$1 _id=$2
	_ts=2026-11-28T10:15:0$_id.123Z
	_h=$(row_hash "$_id" "$_ts" "$3" "$4" "$5" "$6" merchant "$7" @NULL "$8" "$9")
	sqlite3 "$_db" "INSERT INTO audit (id, ts, actor, role, dfsp, action, entity, entity_id,
		before_json, after_json, prev_hash, hash) VALUES ($_id, '$_ts', '$3', '$4',
		$(sqlval "$5"), '$6', 'merchant', '$7', NULL, $(sqlval "$8"), '$9', '$_h')" || exit 1
	echo "$_h"
}
# three_rows DB: a DFSP and three chained rows; prints the last hash.
three_rows() {
	sqlite3 "$1" "INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'Bank A')" || exit 1
	h1=$(add_row "$1" 1 alice maker dfspa create 10000042 '{"status":"DRAFT"}' $GENESIS)
	h2=$(add_row "$1" 2 alice maker dfspa submit 10000042 '{"status":"SUBMITTED"}' "$h1")
	add_row "$1" 3 bob checker dfspa approve 10000042 '{"status":"APPROVED"}' "$h2"
}

# ---- usage ----

tg db --help;             status "db --help" 0
has "db --help prints the usage" "$OUT" '^usage: tillgate db COMMAND'
has "db --help names check" "$OUT" '^  check '
tg help db;               status "help db" 0
tg db;                    status "db without a command is a usage error" 2
tg db frobnicate;         status "unknown db command" 2
has "the unknown command is named" "$ERR" "unknown command 'frobnicate'"
tg db check --bogus;      status "unknown option" 2
tg db check -c;           status "-c without its FILE" 2

# ---- through the configuration ----

mkdir -p "$T_DIR/var"
CONF=$T_DIR/tillgate.conf
printf '[gateway]\ndata_dir = %s/var\n' "$T_DIR" >"$CONF"
DB=$T_DIR/var/tillgate.db

tg db check -c "$CONF";   status "check without a database" 1
has "no database is named" "$ERR" "no database at $DB\$"
[ ! -e "$DB" ] && pass "check creates nothing" || fail "check creates nothing"

tg db migrate -c "$CONF"; status "migrate creates the database" 0
has "migrate prints the version" "$OUT" "^$DB: schema version [0-9]+\$"
latest=$(sed -n 's/.*schema version \([0-9]*\)$/\1/p' "$OUT")
same "the database file is private" "$(stat -c %a "$DB")" 600
same "journal_mode is WAL" "$(sqlite3 "$DB" 'PRAGMA journal_mode')" wal
same "user_version is the latest" "$(sqlite3 "$DB" 'PRAGMA user_version')" "$latest"

tg db check -c "$CONF";   status "check of a fresh database" 0
same "it ends with database OK" "$(tail -n 1 "$OUT")" "database OK"
has "it says the chain is empty" "$OUT" '^audit chain: no rows$'

h3=$(three_rows "$DB")
tg db check -c "$CONF";   status "check of rows chained by another implementation" 0
has "the head is the hash computed here" "$OUT" "^audit chain: 3 rows, head row 3 hash $h3\$"
same "database OK" "$(tail -n 1 "$OUT")" "database OK"

sqlite3 "$DB" "UPDATE audit SET actor = 'mallory' WHERE id = 2" 2>"$T_DIR/sqlerr"
has "the triggers refuse an edit" "$T_DIR/sqlerr" 'audit is append-only'
tg db check -c "$CONF";   status "still OK after the refused edit" 0

# The tamperer drops the triggers first.
sqlite3 "$DB" "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'mallory' WHERE id = 2"
tg db check -c "$CONF";   status "check after an edit" 1
has "the edited row is named" "$OUT" '^audit row 2 edited: '
hasnt "no other row is blamed" "$OUT" '^audit row [13] '
has "the dropped trigger is named" "$OUT" '^schema: trigger audit_no_update missing$'
same "the count comes last" "$(tail -n 1 "$OUT")" "2 problems found"
hasnt "no database OK" "$OUT" 'database OK'

tg db check --set gateway.data_dir="$T_DIR/nowhere"; status "--set moves the data_dir" 1
has "to where there is none" "$ERR" "no database at $T_DIR/nowhere/tillgate.db"

# ---- through --db ----

B=$T_DIR/b.db
tg db migrate --db "$B";  status "migrate --db" 0
three_rows "$B" >/dev/null
sqlite3 "$B" "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 3"
tg db check --db "$B";    status "check after deleting the last row" 1
has "the deleted row is named" "$OUT" '^audit row 3 deleted$'

C=$T_DIR/c.db
tg db migrate --db="$C";  status "migrate --db=" 0
three_rows "$C" >/dev/null
sqlite3 "$C" "DROP TRIGGER audit_no_update;
	UPDATE audit SET id = 0 WHERE id = 1; UPDATE audit SET id = 1 WHERE id = 2;
	UPDATE audit SET id = 2 WHERE id = 0;"
tg db check --db "$C";    status "check after swapping two rows" 1
has "row 1 is named" "$OUT" '^audit row 1 edited'
has "row 2 is named" "$OUT" '^audit row 2 edited'

# An older database: checked as it is, upgraded only by migrate.
O=$T_DIR/old.db
sqlite3 "$O" <"$MIGRATIONS/0001_initial.sql" && sqlite3 "$O" 'PRAGMA user_version = 1'
three_rows "$O" >/dev/null
tg db check --db "$O";    status "check of a version 1 database" 0
has "it says it is older" "$OUT" "^schema version 1 \\(upgraded to $latest "
same "check did not upgrade it" "$(sqlite3 "$O" 'PRAGMA user_version')" 1
tg db migrate --db "$O";  status "migrate of a version 1 database" 0
same "migrate upgraded it" "$(sqlite3 "$O" 'PRAGMA user_version')" "$latest"
tg db check --db "$O";    status "check after the upgrade" 0
has "with its rows still chained" "$OUT" "^audit chain: 3 rows, head row 3 "

# Not ours.
X=$T_DIR/x.db
sqlite3 "$X" 'CREATE TABLE contacts (name TEXT)'
tg db check --db "$X";    status "check of another program's database" 1
tg db migrate --db "$X";  status "migrate refuses another program's database" 1
has "saying why" "$ERR" 'not a Tillgate database'
same "and leaves it alone" "$(sqlite3 "$X" 'SELECT count(*) FROM sqlite_schema')" 1

finish
