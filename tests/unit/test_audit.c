/* test_audit.c -- unit tests of the audit chain (gateway/audit.c): the
 * hash encoding against an independently computed vector, appends and
 * their rules, and each kind of tampering done with raw SQL (an edit of
 * every field, deletions in the middle and at the end, reordering, a
 * rewritten row with a recomputed hash, rows inserted by hand) detected
 * and blamed on the right row. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testdir.h"
#include <sqlite3.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "gateway/log.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

static char dir[256];
static char path[300];
static int nfile;
static struct db *db;

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	log_set_levels("error", err, sizeof err);
	return testdir_make(dir, sizeof dir, "test_audit");
}

/* The folder holds the test databases and their -wal/-shm files. */
static int group_teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

static void raw(const char *sql)
{
	sqlite3 *c;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	int rc = sqlite3_exec(c, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		print_error("raw SQL failed: %s\n", msg);
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_close(c);
}

/* Like a tamperer with the sqlite3 shell: the append-only triggers go
 * first. */
static void tamper(const char *sql)
{
	raw("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;");
	raw(sql);
}

static long long raw_int(const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return v;
}

static void raw_text(const char *sql, char *buf, size_t size)
{
	sqlite3 *c;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(buf, size, "%s", t ? (const char *)t : "");
	sqlite3_finalize(st);
	sqlite3_close(c);
}

/* A fresh database with two DFSPs for each test. */
static int setup(void **state)
{
	(void)state;
	char err[256];
	snprintf(path, sizeof path, "%s/a%d.db", dir, ++nfile);
	if (db_open(&db, path, 0, err, sizeof err) < 0) {
		print_error("db_open: %s\n", err);
		return -1;
	}
	raw("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'Bank A'), ('dfspb', 'Bank B')");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_close(db);
	db = NULL;
	return 0;
}

/* Appends n rows, each in its own transaction, with varied fields. */
static void append_n(int n)
{
	for (int i = 0; i < n; i++) {
		char eid[16], after[64];
		snprintf(eid, sizeof eid, "1000%04d", i);
		snprintf(after, sizeof after, "{\"status\":\"DRAFT\",\"n\":%d}", i);
		assert_int_equal(db_begin(db), 0);
		assert_int_equal(audit_append(db, i % 2 ? "bob" : "alice", i % 2 ? "checker" : "maker",
					      i % 3 ? "dfspa" : NULL, "create", "merchant", eid,
					      i % 2 ? "{\"status\":\"NEW\"}" : NULL, after), 0);
		assert_int_equal(db_commit(db), 0);
	}
}

struct found {
	int n;
	enum audit_problem kind[32];
	int64_t first[32], last[32];
	char msg[32][256];
};

static void collect(void *arg, enum audit_problem kind, int64_t first, int64_t last,
		    const char *msg)
{
	struct found *f = arg;
	if (f->n < 32) {
		f->kind[f->n] = kind;
		f->first[f->n] = first;
		f->last[f->n] = last;
		snprintf(f->msg[f->n], sizeof f->msg[0], "%s", msg);
	}
	f->n++;
}

static int verify(struct found *f)
{
	memset(f, 0, sizeof *f);
	int n = audit_verify(db, collect, f, NULL);
	for (int i = 0; i < f->n && i < 32; i++)
		print_message("# %s\n", f->msg[i]);
	return n;
}

static void expect(const struct found *f, int i, enum audit_problem kind, int64_t first,
		   int64_t last)
{
	assert_true(i < f->n);
	assert_int_equal(f->kind[i], kind);
	assert_int_equal(f->first[i], first);
	assert_int_equal(f->last[i], last);
}

/* ---- the hash ---- */

/* The vector was computed outside this code base, from the encoding in
 * audit.h, with Python's hashlib and again with printf | sha256sum (as
 * docs/storage.md shows). */
static void test_known_answer(void **state)
{
	(void)state;
	struct audit_row r = {
		.id = 1, .ts = "2026-11-28T10:15:02.123Z", .actor = "alice", .role = "maker",
		.dfsp = "dfspa", .action = "create", .entity = "merchant", .entity_id = "10000042",
		.before_json = NULL, .after_json = "{\"status\":\"DRAFT\"}", .prev_hash = GENESIS,
	};
	char hex[AUDIT_HASH_HEX + 1];
	assert_int_equal(audit_row_hash(&r, hex), 0);
	assert_string_equal(hex, "16bc43bbcfc6eafcc102ff5b846e84341fac8fab2810d845a6d7f76b07a9d575");
}

static void test_encoding_unambiguous(void **state)
{
	(void)state;
	struct audit_row a = {
		.id = 7, .ts = "t", .actor = "ab", .role = "c", .dfsp = NULL, .action = "x",
		.entity = "e", .entity_id = "1", .prev_hash = GENESIS,
	};
	struct audit_row b = a;
	char ha[AUDIT_HASH_HEX + 1], hb[AUDIT_HASH_HEX + 1];

	assert_int_equal(audit_row_hash(&a, ha), 0);
	b.actor = "a";
	b.role = "bc"; /* same concatenation, other split */
	assert_int_equal(audit_row_hash(&b, hb), 0);
	assert_string_not_equal(ha, hb);
	b = a;
	b.dfsp = ""; /* empty is not NULL */
	assert_int_equal(audit_row_hash(&b, hb), 0);
	assert_string_not_equal(ha, hb);
	b = a;
	b.id = 8;
	assert_int_equal(audit_row_hash(&b, hb), 0);
	assert_string_not_equal(ha, hb);
	b = a;
	assert_int_equal(audit_row_hash(&b, hb), 0);
	assert_string_equal(ha, hb);
}

/* ---- append ---- */

static void test_append_and_verify(void **state)
{
	(void)state;
	struct found f;
	struct audit_summary sum;

	assert_int_equal(audit_verify(db, NULL, NULL, &sum), 0);
	assert_int_equal(sum.rows, 0);
	assert_string_equal(sum.head_hash, "");

	append_n(5);
	assert_int_equal(verify(&f), 0);
	assert_int_equal(audit_verify(db, NULL, NULL, &sum), 0);
	assert_int_equal(sum.rows, 5);
	assert_int_equal(sum.head_id, 5);
	char h5[80];
	raw_text("SELECT hash FROM audit WHERE id = 5", h5, sizeof h5);
	assert_string_equal(sum.head_hash, h5);

	/* The links, read back independently. */
	char p1[80];
	raw_text("SELECT prev_hash FROM audit WHERE id = 1", p1, sizeof p1);
	assert_string_equal(p1, GENESIS);
	assert_int_equal(raw_int("SELECT count(*) FROM audit a JOIN audit b ON b.id = a.id + 1 "
				 "WHERE b.prev_hash = a.hash"), 4);
	assert_int_equal(raw_int("SELECT count(DISTINCT hash) FROM audit"), 5);
	assert_int_equal(raw_int("SELECT count(*) FROM audit WHERE ts GLOB "
				 "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:"
				 "[0-9][0-9].[0-9][0-9][0-9]Z'"), 5);

	/* Several rows in one transaction chain the same way. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(audit_append(db, "carol", "dfsp-admin", "dfspb", "approve", "merchant",
				      "10000059", "{\"status\":\"SUBMITTED\"}",
				      "{\"status\":\"APPROVED\"}"), 0);
	assert_int_equal(audit_append(db, "system", "system", NULL, "create", "dfsp", "dfspc",
				      NULL, "{}"), 0);
	/* Verifying inside the caller's transaction sees its rows. */
	assert_int_equal(audit_verify(db, NULL, NULL, &sum), 0);
	assert_int_equal(sum.rows, 7);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(verify(&f), 0);
}

static void test_append_rules(void **state)
{
	(void)state;
	/* Outside a transaction. */
	assert_int_equal(audit_append(db, "alice", "maker", "dfspa", "create", "merchant", "1",
				      NULL, "{}"), -EINVAL);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(audit_append(db, NULL, "maker", "dfspa", "create", "merchant", "1", NULL,
				      "{}"), -EINVAL);
	assert_int_equal(audit_append(db, "alice", "maker", "dfspa", "create", "", "1", NULL, "{}"),
			 -EINVAL);
	assert_int_equal(audit_append(db, "alice", "maker", "dfspa", "create", "merchant", NULL,
				      NULL, "{}"), -EINVAL);
	assert_int_equal(audit_append(db, "alice", "maker", "dfspa", "create", "merchant", "1",
				      NULL, "{not json"), -EINVAL);
	assert_int_equal(audit_append(db, "alice", "maker", "dfspa", "create", "merchant", "1",
				      "", NULL), -EINVAL);
	assert_int_equal(audit_append(db, "alice", "janitor", "dfspa", "create", "merchant", "1",
				      NULL, "{}"), -EINVAL);
	assert_int_equal(audit_append(db, "alice", "maker", "nosuch", "create", "merchant", "1",
				      NULL, "{}"), -ENOENT);
	assert_int_equal(audit_append(db, "alice", "maker", "dfspa", "create", "merchant", "1",
				      NULL, "{}"), 0);
	db_rollback(db);
	assert_int_equal(raw_int("SELECT count(*) FROM audit"), 0);

	/* After a rollback the chain starts at row 1 again: AUTOINCREMENT's
	 * counter rolled back with the row. */
	append_n(1);
	assert_int_equal(raw_int("SELECT max(id) FROM audit"), 1);
	struct found f;
	assert_int_equal(verify(&f), 0);
}

/* The table is append-only for every writer that keeps the triggers. */
static void test_append_only(void **state)
{
	(void)state;
	static const char *const sql[] = { "UPDATE audit SET actor = 'mallory' WHERE id = 1",
					   "DELETE FROM audit WHERE id = 1" };
	sqlite3_stmt **st;
	char err[128];

	append_n(2);
	assert_int_equal(db_prepare_table(db, sql, 2, &st, err, sizeof err), 0);
	assert_int_equal(db_run(st[0]), -EPERM);
	assert_int_equal(db_run(st[1]), -EPERM);
	struct found f;
	assert_int_equal(verify(&f), 0);
}

/* ---- tampering ---- */

/* Every field of a row is covered: an edit of any one is blamed on that
 * row alone. Edited rows are two apart, so that each is judged on its
 * own. */
static void test_edit_each_field(void **state)
{
	(void)state;
	static const char *const edits[] = {
		"ts = '2020-01-01T00:00:00.000Z'",
		"actor = 'mallory'",
		"role = 'hub-admin'",
		"dfsp = 'dfspb'",
		"action = 'delete'",
		"entity = 'till'",
		"entity_id = entity_id || '1'",
		"before_json = '{\"status\":\"X\"}'",
		"after_json = NULL",
		"prev_hash = printf('%064d', 1)",
		"hash = printf('%064d', 2)",
		"actor = actor || char(0) || 'x'", /* hidden behind a NUL */
		"dfsp = NULL",
	};
	const int n = (int)(sizeof edits / sizeof edits[0]);
	append_n(2 * n + 1);

	for (int i = 0; i < n; i++) {
		char sql[256];
		snprintf(sql, sizeof sql, "UPDATE audit SET %s WHERE id = %d", edits[i], 2 * i + 2);
		tamper(sql);
	}
	struct found f;
	assert_int_equal(verify(&f), n);
	for (int i = 0; i < n; i++)
		expect(&f, i, AUDIT_EDITED, 2 * i + 2, 2 * i + 2);
	assert_non_null(strstr(f.msg[0], "audit row 2 edited"));
}

static void test_delete_middle(void **state)
{
	(void)state;
	struct found f;

	append_n(6);
	tamper("DELETE FROM audit WHERE id = 3");
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_DELETED, 3, 3);
	assert_string_equal(f.msg[0], "audit row 3 deleted");

	tamper("DELETE FROM audit WHERE id IN (4, 5)");
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_DELETED, 3, 5);
	assert_string_equal(f.msg[0], "audit rows 3..5 deleted");
}

static void test_delete_first_and_last(void **state)
{
	(void)state;
	struct found f;

	append_n(4);
	tamper("DELETE FROM audit WHERE id = 1");
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_DELETED, 1, 1);

	/* The last row: only AUTOINCREMENT's counter remembers it. */
	tamper("DELETE FROM audit WHERE id = 4");
	assert_int_equal(verify(&f), 2);
	expect(&f, 1, AUDIT_DELETED, 4, 4);

	/* New rows do not paper over the gap. */
	append_n(1);
	assert_int_equal(raw_int("SELECT max(id) FROM audit"), 5);
	assert_int_equal(verify(&f), 2);
	expect(&f, 0, AUDIT_DELETED, 1, 1);
	expect(&f, 1, AUDIT_DELETED, 4, 4);
}

static void test_reorder(void **state)
{
	(void)state;
	struct found f;

	append_n(5);
	tamper("UPDATE audit SET id = -1 WHERE id = 2;"
	       "UPDATE audit SET id = 2 WHERE id = 3;"
	       "UPDATE audit SET id = 3 WHERE id = -1;");
	assert_int_equal(verify(&f), 2);
	expect(&f, 0, AUDIT_EDITED, 2, 2);
	expect(&f, 1, AUDIT_EDITED, 3, 3);

	/* Swapping only the timestamps reorders in time: also an edit. */
	tamper("UPDATE audit SET id = -1 WHERE id = 2;"
	       "UPDATE audit SET id = 2 WHERE id = 3;"
	       "UPDATE audit SET id = 3 WHERE id = -1;");
	assert_int_equal(verify(&f), 0);
	tamper("UPDATE audit SET ts = '2030-01-01T00:00:00.000Z' WHERE id = 4");
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_EDITED, 4, 4);
}

/* Reads row id back into r (strings in bufs) to recompute its hash. */
static char bufs[11][256];

static void read_row(int64_t id, struct audit_row *r)
{
	static const char *const cols[] = { "ts", "actor", "role", "dfsp", "action", "entity",
					    "entity_id", "before_json", "after_json", "prev_hash" };
	const char **dst[] = { &r->ts, &r->actor, &r->role, &r->dfsp, &r->action, &r->entity,
			       &r->entity_id, &r->before_json, &r->after_json, &r->prev_hash };
	char sql[128];

	r->id = id;
	for (int i = 0; i < 10; i++) {
		snprintf(sql, sizeof sql, "SELECT %s IS NULL FROM audit WHERE id = %" PRId64, cols[i], id);
		if (raw_int(sql)) {
			*dst[i] = NULL;
			continue;
		}
		snprintf(sql, sizeof sql, "SELECT %s FROM audit WHERE id = %" PRId64, cols[i], id);
		raw_text(sql, bufs[i], sizeof bufs[i]);
		*dst[i] = bufs[i];
	}
}

/* A tamperer who knows the format rewrites row 3 and its hash: row 3
 * looks fine on its own, but row 4 no longer chains to it. */
static void test_rewritten_with_hash(void **state)
{
	(void)state;
	struct found f;
	struct audit_row r;
	char hex[AUDIT_HASH_HEX + 1], sql[256];

	append_n(5);
	read_row(3, &r);
	r.actor = "mallory";
	assert_int_equal(audit_row_hash(&r, hex), 0);
	snprintf(sql, sizeof sql, "UPDATE audit SET actor = 'mallory', hash = '%s' WHERE id = 3", hex);
	tamper(sql);
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_UNCHAINED, 4, 4);
	assert_non_null(strstr(f.msg[0], "audit row 4 out of chain"));
	assert_non_null(strstr(f.msg[0], "row 3"));
}

/* Inserts row id by hand with a hash that is right for its fields and
 * the given prev_hash. */
static void insert_hashed(int64_t id, const char *prev)
{
	struct audit_row r = {
		.id = id, .ts = "2026-11-28T10:15:02.123Z", .actor = "mallory", .role = "checker",
		.dfsp = "dfspa", .action = "approve", .entity = "merchant", .entity_id = "10000042",
		.prev_hash = prev,
	};
	char hex[AUDIT_HASH_HEX + 1], sql[512];

	assert_int_equal(audit_row_hash(&r, hex), 0);
	snprintf(sql, sizeof sql,
		 "INSERT INTO audit (id, ts, actor, role, dfsp, action, entity, entity_id, prev_hash, "
		 "hash) VALUES (%" PRId64 ", '%s', 'mallory', 'checker', 'dfspa', 'approve', "
		 "'merchant', '10000042', '%s', '%s')", id, r.ts, prev, hex);
	tamper(sql);
}

static void test_inserted_by_hand(void **state)
{
	(void)state;
	struct found f;

	append_n(3);
	/* With a made-up hash (its prev_hash is even right). */
	tamper("INSERT INTO audit (id, ts, actor, role, action, entity, entity_id, prev_hash, hash) "
	       "SELECT 4, ts, 'mallory', role, 'approve', entity, entity_id, hash, "
	       "printf('%064d', 4) FROM audit WHERE id = 3");
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_EDITED, 4, 4);

	/* With a right hash of its own, but not linked to row 3. */
	tamper("DELETE FROM audit WHERE id = 4");
	insert_hashed(4, GENESIS);
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_UNCHAINED, 4, 4);
	assert_non_null(strstr(f.msg[0], "is not the hash of row 3"));

	/* After a gap, only the gap is reported: the row after it cannot be
	 * judged by its link. */
	tamper("DELETE FROM audit WHERE id = 4");
	insert_hashed(6, GENESIS);
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_DELETED, 4, 5);

	/* A first row must start from the genesis value. */
	tamper("DELETE FROM audit; UPDATE sqlite_sequence SET seq = 0 WHERE name = 'audit'");
	insert_hashed(1, "1111111111111111111111111111111111111111111111111111111111111111");
	assert_int_equal(verify(&f), 1);
	expect(&f, 0, AUDIT_UNCHAINED, 1, 1);
	assert_non_null(strstr(f.msg[0], "not that of a first row"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_encoding_unambiguous),
		cmocka_unit_test_setup_teardown(test_append_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_each_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_first_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten_with_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inserted_by_hand, setup, teardown),
	};
	return cmocka_run_group_tests_name("audit", tests, group_setup, group_teardown);
}
