/* test_db.c -- unit tests of the database layer (gateway/db.c): pragmas
 * read back, schema creation and migration (from an empty file and from a
 * version 1 database), refusal of foreign and newer databases, error
 * translation to errno, statement reset after errors, statement tables,
 * transactions, and what db_check() finds. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testdir.h"
#include <sqlite3.h>

#include "gateway/db.h"
#include "gateway/log.h"

/* ---- helpers ---- */

static char dir[256];
static char path[300];
static int nfile;

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	log_set_levels("error", err, sizeof err);
	return testdir_make(dir, sizeof dir, "test_db");
}

/* The folder holds the test databases and their -wal/-shm files. */
static int group_teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

/* A new file name for each test. */
static int test_setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "%s/t%d.db", dir, ++nfile);
	return 0;
}

/* Runs sql on its own connection to the file at p, as an outsider would
 * (the sqlite3 shell, a tamperer). */
static void raw(const char *p, const char *sql)
{
	sqlite3 *c;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(p, &c), SQLITE_OK);
	int rc = sqlite3_exec(c, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		print_error("raw SQL failed: %s\n", msg);
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
	assert_int_equal(sqlite3_close(c), SQLITE_OK);
}

static long long raw_int(const char *p, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(p, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return v;
}

static struct db *open_ok(const char *p, unsigned flags)
{
	struct db *db = NULL;
	char err[256] = "";
	int rc = db_open(&db, p, flags, err, sizeof err);

	if (rc != 0)
		print_error("db_open: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	assert_non_null(db);
	return db;
}

/* A private statement table with one statement, prepared on db. Each
 * call site passes its own static array, so the cache does not mix them. */
static sqlite3_stmt *one(struct db *db, const char *const *sql)
{
	sqlite3_stmt **st;
	char err[256] = "";
	int rc = db_prepare_table(db, sql, 1, &st, err, sizeof err);

	if (rc != 0)
		print_error("prepare: %s\n", err);
	assert_int_equal(rc, 0);
	return st[0];
}

/* Runs one statement of the table and returns the first column of its
 * first row as text, in buf. */
static const char *text1(sqlite3_stmt *st, char *buf, size_t size)
{
	assert_int_equal(db_step(st), 1);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(buf, size, "%s", t ? (const char *)t : "(null)");
	db_reset(st);
	return buf;
}

/* Collects db_check() messages. */
struct msgs {
	int n;
	char v[16][256];
};

static void collect(void *arg, const char *msg)
{
	struct msgs *m = arg;
	if (m->n < 16)
		snprintf(m->v[m->n], sizeof m->v[0], "%s", msg);
	m->n++;
}

static int has_msg(const struct msgs *m, const char *part)
{
	for (int i = 0; i < m->n && i < 16; i++)
		if (strstr(m->v[i], part))
			return 1;
	return 0;
}

static void dump_msgs(const struct msgs *m)
{
	for (int i = 0; i < m->n && i < 16; i++)
		print_message("# %s\n", m->v[i]);
}

static const char V1_DATA[] =
	"INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'Bank A'), ('dfspb', 'Bank B');"
	"INSERT INTO merchant (merchant_id, dfsp, trading_name, legal_name, type, mcc, tier, "
	"created_by) VALUES ('10000042', 'dfspa', 'Mama Juma Shop', 'Juma Traders Ltd', "
	"'small_shop', '5411', 'T0', 'alice'),"
	"('10000059', 'dfspb', 'Duka Bora', NULL, 'individual', '5499', 'T1', 'bob');";

/* ---- opening and pragmas ---- */

static void test_fresh_pragmas(void **state)
{
	(void)state;
	static const char *const q[] = { "PRAGMA journal_mode" };
	static const char *const s[] = { "PRAGMA synchronous" };
	static const char *const f[] = { "PRAGMA foreign_keys" };
	static const char *const u[] = { "PRAGMA user_version" };
	static const char *const b[] = { "PRAGMA busy_timeout" };
	char buf[32];

	struct db *db = open_ok(path, 0);
	assert_string_equal(text1(one(db, q), buf, sizeof buf), "wal");
	assert_string_equal(text1(one(db, s), buf, sizeof buf), "2"); /* FULL */
	assert_string_equal(text1(one(db, f), buf, sizeof buf), "1");
	snprintf(buf, sizeof buf, "%d", db_schema_latest());
	char v[32];
	assert_string_equal(text1(one(db, u), v, sizeof v), buf);
	snprintf(buf, sizeof buf, "%d", DB_BUSY_TIMEOUT_MS);
	assert_string_equal(text1(one(db, b), v, sizeof v), buf);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	assert_true(db_schema_latest() >= 2);
	assert_string_equal(db_path(db), path);

	struct msgs m = { 0 };
	assert_int_equal(db_check(db, collect, &m), 0);
	db_close(db);

	/* The file holds key hashes and personal data. */
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(raw_int(path, "PRAGMA user_version"), db_schema_latest());
}

/* An extension that every new connection runs first: it sets the
 * pragmas against us, so that only db_open()'s own settings can make
 * them read back right (this build's defaults are already FULL, which
 * would hide a pragma db_open() misspelt). */
static int hostile_pragmas(sqlite3 *c, char **msg, const void *api)
{
	(void)msg;
	(void)api;
	sqlite3_exec(c, "PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	return SQLITE_OK;
}

static void test_pragmas_are_set(void **state)
{
	(void)state;
	static const char *const s[] = { "PRAGMA synchronous" };
	static const char *const f[] = { "PRAGMA foreign_keys" };
	char buf[32];
	sqlite3 *c;

	assert_int_equal(sqlite3_auto_extension((void (*)(void))hostile_pragmas), SQLITE_OK);
	/* The extension works: a plain connection gets OFF. */
	assert_int_equal(sqlite3_open(":memory:", &c), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(c, "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	sqlite3_close(c);

	struct db *db = open_ok(path, 0);
	sqlite3_reset_auto_extension();
	assert_string_equal(text1(one(db, s), buf, sizeof buf), "2");
	assert_string_equal(text1(one(db, f), buf, sizeof buf), "1");
	db_close(db);
}

static void test_reopen_keeps_data(void **state)
{
	(void)state;
	struct db *db = open_ok(path, 0);
	db_close(db);
	raw(path, V1_DATA);
	db = open_ok(path, DB_OPEN_NOCREATE);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	db_close(db);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM merchant"), 2);
}

static void test_empty_file_gets_schema(void **state)
{
	(void)state;
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);

	struct db *db = open_ok(path, DB_OPEN_NOCREATE);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	struct msgs m = { 0 };
	assert_int_equal(db_check(db, collect, &m), 0);
	db_close(db);
	assert_true(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'audit'") == 1);
}

/* A version 1 database, made from migration 0001 alone with data in it,
 * is upgraded at open; the result is the schema of data/schema.sql
 * (db_check compares them) and the upgrade's backfill indexed the
 * merchants that were already there. */
static void test_upgrade_from_v1(void **state)
{
	(void)state;
	const char *name = NULL;
	const char *v1 = db_schema_upgrade_sql(1, &name);
	assert_non_null(v1);
	assert_string_equal(name, "0001_initial");
	assert_null(db_schema_upgrade_sql(0, NULL));
	assert_null(db_schema_upgrade_sql(db_schema_latest() + 1, NULL));

	raw(path, v1);
	raw(path, "PRAGMA user_version = 1");
	raw(path, V1_DATA);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_schema "
				       "WHERE name = 'merchant_search'"), 0);

	struct db *db = open_ok(path, 0);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	struct msgs m = { 0 };
	int n = db_check(db, collect, &m);
	dump_msgs(&m);
	assert_int_equal(n, 0);

	static const char *const find[] = {
		"SELECT group_concat(m.merchant_id) FROM merchant_search s JOIN merchant m "
		"ON m.id = s.rowid WHERE merchant_search MATCH :q AND m.dfsp = :dfsp",
	};
	sqlite3_stmt *st = one(db, find);
	char buf[64];
	assert_int_equal(db_bind_text(st, ":q", "\"juma\""), 0);
	assert_int_equal(db_bind_text(st, ":dfsp", "dfspa"), 0);
	assert_string_equal(text1(st, buf, sizeof buf), "10000042"); /* backfilled */
	assert_int_equal(db_bind_text(st, ":q", "\"juma\""), 0);
	assert_int_equal(db_bind_text(st, ":dfsp", "dfspb"), 0);
	assert_string_equal(text1(st, buf, sizeof buf), "(null)"); /* another tenant's */

	/* New rows are indexed by the triggers of the upgrade. */
	static const char *const add[] = {
		"INSERT INTO merchant (merchant_id, dfsp, trading_name, type, mcc, tier, created_by) "
		"VALUES ('10000067', 'dfspa', 'Juma Hardware', 'chain', '5251', 'T2', 'alice')",
	};
	assert_int_equal(db_run(one(db, add)), 0);
	assert_int_equal(db_bind_text(st, ":q", "\"JUMA\""), 0);
	assert_int_equal(db_bind_text(st, ":dfsp", "dfspa"), 0);
	assert_string_equal(text1(st, buf, sizeof buf), "10000042,10000067");
	db_close(db);
	assert_int_equal(raw_int(path, "PRAGMA user_version"), db_schema_latest());
}

/* Upgrades run one after the other from 0: every migration applied in
 * turn to an empty database gives the schema of data/schema.sql. */
static void test_upgrades_from_zero_equal_schema(void **state)
{
	(void)state;
	for (int v = 1; v <= db_schema_latest(); v++) {
		raw(path, db_schema_upgrade_sql(v, NULL));
		char set[40];
		snprintf(set, sizeof set, "PRAGMA user_version = %d", v);
		raw(path, set);
	}
	struct db *db = open_ok(path, 0);
	struct msgs m = { 0 };
	int n = db_check(db, collect, &m);
	dump_msgs(&m);
	assert_int_equal(n, 0);
	db_close(db);
}

/* Version 14 rebuilds payment_transfer: a transfer recorded at version
 * 13 keeps its row, without a body (so it is never resent) and counted
 * as sent once; the new CHECK refuses a body in part. */
static void test_upgrade_v13_transfer(void **state)
{
	(void)state;
	for (int v = 1; v <= 13; v++)
		raw(path, db_schema_upgrade_sql(v, NULL));
	raw(path, "PRAGMA user_version = 13");
	raw(path, V1_DATA);
	raw(path, "INSERT INTO payment (id, req_sha256, channel, payer_fsp, payee_dfsp, merchant_id, "
		  "amount, currency, state, on_us, transfer_id) VALUES ('P0123456789abcdef01234567', "
		  "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'switch', "
		  "'fspx', 'dfspa', '10000042', 500, 'TZS', 'RECONCILING', 0, "
		  "'2b3f5a6c-1d2e-4f30-8a41-5b6c7d8e9f00');"
		  "INSERT INTO payment_transfer (transfer_id, payment_id, payee_fsp, condition, "
		  "expiration_ms, created) VALUES ('2b3f5a6c-1d2e-4f30-8a41-5b6c7d8e9f00', "
		  "'P0123456789abcdef01234567', 'fspy', 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM', "
		  "1790000000000, '2026-11-28T06:00:00.000Z')");
	struct db *db = open_ok(path, 0);
	assert_int_equal(db_schema_version(db), db_schema_latest());
	struct msgs m = { 0 };
	int n = db_check(db, collect, &m);
	dump_msgs(&m);
	assert_int_equal(n, 0);
	db_close(db);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM payment_transfer WHERE transfer_id = "
				       "'2b3f5a6c-1d2e-4f30-8a41-5b6c7d8e9f00' AND payment_id = "
				       "'P0123456789abcdef01234567' AND payee_fsp = 'fspy' AND condition = "
				       "'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM' AND expiration_ms = "
				       "1790000000000 AND created = '2026-11-28T06:00:00.000Z' AND "
				       "ilp_packet IS NULL AND amount IS NULL AND currency IS NULL AND "
				       "sends = 1"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN "
				       "('payment_transfer_v13', 'payment_transfer_payment')"), 1);
	/* A packet without its amount and currency: refused. */
	sqlite3 *c;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c, "UPDATE payment_transfer SET ilp_packet = 'AYIBgQAAAAAAAA'",
				      NULL, NULL, NULL), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(c, "UPDATE payment_transfer SET ilp_packet = 'AYIBgQAAAAAAAA', "
				      "amount = 500, currency = 'TZS', sends = sends + 1", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(c);
}

static void test_nomigrate_leaves_old_schema(void **state)
{
	(void)state;
	raw(path, db_schema_upgrade_sql(1, NULL));
	raw(path, "PRAGMA user_version = 1");
	struct db *db = open_ok(path, DB_OPEN_NOMIGRATE | DB_OPEN_NOCREATE);
	assert_int_equal(db_schema_version(db), 1);
	struct msgs m = { 0 };
	int n = db_check(db, collect, &m); /* against version 1's schema */
	dump_msgs(&m);
	assert_int_equal(n, 0);
	db_close(db);
	assert_int_equal(raw_int(path, "PRAGMA user_version"), 1);
}

static void test_refusals(void **state)
{
	(void)state;
	struct db *db = NULL;
	char err[256];

	/* Missing file with NOCREATE: not created. */
	assert_int_equal(db_open(&db, path, DB_OPEN_NOCREATE, err, sizeof err), -ENOENT);
	assert_null(db);
	assert_int_equal(access(path, F_OK), -1);

	/* No such folder. */
	char p2[400];
	snprintf(p2, sizeof p2, "%s/nodir/x.db", dir);
	assert_int_equal(db_open(&db, p2, 0, err, sizeof err), -ENOENT);

	/* Newer than this build. */
	raw(path, "PRAGMA user_version = 999");
	assert_int_equal(db_open(&db, path, 0, err, sizeof err), -ENOTSUP);
	assert_non_null(strstr(err, "999"));
	assert_null(db);

	/* Somebody else's database. */
	snprintf(p2, sizeof p2, "%s/other.db", dir);
	raw(p2, "CREATE TABLE contacts (name TEXT)");
	assert_int_equal(db_open(&db, p2, 0, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not a Tillgate database"));
	assert_int_equal(raw_int(p2, "SELECT count(*) FROM sqlite_schema"), 1); /* untouched */

	/* Not a database at all. */
	snprintf(p2, sizeof p2, "%s/garbage.db", dir);
	FILE *fp = fopen(p2, "w");
	assert_non_null(fp);
	for (int i = 0; i < 4096; i++)
		fputc('x', fp);
	fclose(fp);
	assert_int_equal(db_open(&db, p2, 0, err, sizeof err), -EIO);
	assert_non_null(strstr(err, "not a database"));
}

/* ---- errors ---- */

static void test_errno_table(void **state)
{
	(void)state;
	assert_int_equal(db_errno(SQLITE_OK), 0);
	assert_int_equal(db_errno(SQLITE_ROW), 0);
	assert_int_equal(db_errno(SQLITE_DONE), 0);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_UNIQUE), -EEXIST);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_PRIMARYKEY), -EEXIST);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_FOREIGNKEY), -ENOENT);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_CHECK), -EINVAL);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_NOTNULL), -EINVAL);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_DATATYPE), -EINVAL);
	assert_int_equal(db_errno(SQLITE_CONSTRAINT_TRIGGER), -EPERM);
	assert_int_equal(db_errno(SQLITE_BUSY), -EBUSY);
	assert_int_equal(db_errno(SQLITE_BUSY_SNAPSHOT), -EBUSY);
	assert_int_equal(db_errno(SQLITE_LOCKED), -EBUSY);
	assert_int_equal(db_errno(SQLITE_FULL), -ENOSPC);
	assert_int_equal(db_errno(SQLITE_NOMEM), -ENOMEM);
	assert_int_equal(db_errno(SQLITE_READONLY), -EROFS);
	assert_int_equal(db_errno(SQLITE_TOOBIG), -E2BIG);
	assert_int_equal(db_errno(SQLITE_IOERR_WRITE), -EIO);
	assert_int_equal(db_errno(SQLITE_CORRUPT), -EIO);
	assert_int_equal(db_errno(SQLITE_ERROR), -EIO);
}

enum { T_DFSP, T_MERCHANT, T_LOCATION, T_TILL, T_AUDIT_UPD, T_AUDIT_DEL, T_VERSION, T__COUNT };
static const char *const t_sql[T__COUNT] = {
	[T_DFSP] = "INSERT INTO dfsp (fsp_id, name) VALUES (:id, :name)",
	[T_MERCHANT] = "INSERT INTO merchant (merchant_id, dfsp, trading_name, type, mcc, tier, "
		       "created_by) VALUES (:mid, :dfsp, :name, 'small_shop', '5411', 'T0', 'alice')",
	[T_LOCATION] = "INSERT INTO location (dfsp, merchant_id, name, city) "
		       "VALUES (:dfsp, :mid, 'Main', 'Arusha')",
	[T_TILL] = "INSERT INTO till (till_number, dfsp, merchant_id, location_id) "
		   "VALUES (:till, :dfsp, :mid, :loc)",
	[T_AUDIT_UPD] = "UPDATE audit SET actor = 'mallory'",
	[T_AUDIT_DEL] = "DELETE FROM audit",
	[T_VERSION] = "UPDATE merchant SET version = :v WHERE merchant_id = :mid",
};

static int dfsp(sqlite3_stmt **st, const char *id, const char *name)
{
	int rc;
	if ((rc = db_bind_text(st[T_DFSP], ":id", id)) < 0 ||
	    (rc = db_bind_text(st[T_DFSP], ":name", name)) < 0)
		return rc;
	return db_run(st[T_DFSP]);
}

static int merchant(sqlite3_stmt **st, const char *mid, const char *dfsp_id, const char *name)
{
	int rc;
	if ((rc = db_bind_text(st[T_MERCHANT], ":mid", mid)) < 0 ||
	    (rc = db_bind_text(st[T_MERCHANT], ":dfsp", dfsp_id)) < 0 ||
	    (rc = db_bind_text(st[T_MERCHANT], ":name", name)) < 0)
		return rc;
	return db_run(st[T_MERCHANT]);
}

static int location(sqlite3_stmt **st, const char *dfsp_id, const char *mid)
{
	int rc;
	if ((rc = db_bind_text(st[T_LOCATION], ":dfsp", dfsp_id)) < 0 ||
	    (rc = db_bind_text(st[T_LOCATION], ":mid", mid)) < 0)
		return rc;
	return db_run(st[T_LOCATION]);
}

static int till(sqlite3_stmt **st, const char *no, const char *dfsp_id, const char *mid, int64_t loc)
{
	int rc;
	if ((rc = db_bind_text(st[T_TILL], ":till", no)) < 0 ||
	    (rc = db_bind_text(st[T_TILL], ":dfsp", dfsp_id)) < 0 ||
	    (rc = db_bind_text(st[T_TILL], ":mid", mid)) < 0 ||
	    (rc = db_bind_int64(st[T_TILL], ":loc", loc)) < 0)
		return rc;
	return db_run(st[T_TILL]);
}

static void test_constraint_errors(void **state)
{
	(void)state;
	struct db *db = open_ok(path, 0);
	sqlite3_stmt **st;
	char err[256];
	assert_int_equal(db_prepare_table(db, t_sql, T__COUNT, &st, err, sizeof err), 0);

	assert_int_equal(dfsp(st, "dfspa", "Bank A"), 0);
	assert_int_equal(dfsp(st, "dfspb", "Bank B"), 0);
	assert_int_equal(dfsp(st, "dfspa", "Again"), -EEXIST);        /* PRIMARY KEY */
	assert_int_equal(dfsp(st, "bad id!", "Bank C"), -EINVAL);     /* CHECK */
	assert_int_equal(dfsp(st, "dfspc", NULL), -EINVAL);           /* NOT NULL */

	assert_int_equal(merchant(st, "10000042", "dfspa", "Mama Juma Shop"), 0);
	assert_int_equal(merchant(st, "10000042", "dfspb", "Copy"), -EEXIST); /* UNIQUE */
	assert_int_equal(merchant(st, "10000059", "nosuch", "Orphan"), -ENOENT); /* FOREIGN KEY */
	assert_int_equal(merchant(st, "1000004A", "dfspa", "Letters"), -EINVAL);
	/* The trading name goes on the QR code: 25 characters, not bytes. */
	assert_int_equal(merchant(st, "10000059", "dfspa", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), -EINVAL);
	assert_int_equal(merchant(st, "10000059", "dfspa",
				  "ééééééééééééééééééééééééé"), 0);

	/* STRICT: a text where an integer belongs. */
	assert_int_equal(db_bind_text(st[T_VERSION], ":v", "two"), 0);
	assert_int_equal(db_bind_text(st[T_VERSION], ":mid", "10000042"), 0);
	assert_int_equal(db_run(st[T_VERSION]), -EINVAL);

	/* Tenancy: a location under another DFSP's merchant does not exist
	 * as far as the database is concerned. */
	assert_int_equal(location(st, "dfspb", "10000042"), -ENOENT);
	assert_int_equal(location(st, "dfspa", "10000042"), 0);
	int64_t loc = db_last_insert_id(db);
	assert_int_equal(till(st, "1234567", "dfspa", "10000042", loc), 0);
	assert_int_equal(till(st, "1234567", "dfspa", "10000042", loc), -EEXIST);
	assert_int_equal(till(st, "1234575", "dfspb", "10000042", loc), -ENOENT);
	assert_int_equal(till(st, "1234575", "dfspa", "10000059", loc), -ENOENT); /* other merchant's location */

	/* The audit table is append-only. */
	raw(path, "INSERT INTO audit (ts, actor, role, action, entity, entity_id, prev_hash, hash) "
		  "VALUES ('2026-11-28T10:15:02.123Z', 'a', 'system', 'x', 'y', 'z', "
		  "printf('%064d', 0), printf('%064d', 0))");
	assert_int_equal(db_run(st[T_AUDIT_UPD]), -EPERM);
	assert_int_equal(db_run(st[T_AUDIT_DEL]), -EPERM);
	db_close(db);
}

static void test_busy(void **state)
{
	(void)state;
	struct db *db = open_ok(path, 0);
	sqlite3 *other;

	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_set_busy_timeout(db, 20), 0);
	assert_int_equal(db_set_busy_timeout(db, -1), -EINVAL);
	assert_int_equal(db_begin(db), -EBUSY);
	assert_false(db_in_transaction(db));
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(db_begin(db), 0);
	db_rollback(db);
	db_close(db);
}

static void test_full(void **state)
{
	(void)state;
	static const char *const cap[] = { "PRAGMA max_page_count = 60" };
	static const char *const ins[] = {
		"INSERT INTO dfsp (fsp_id, name) VALUES (:id, 'A long enough name for a few rows "
		"of a tiny database, over and over')",
	};
	struct db *db = open_ok(path, 0);
	char buf[32];
	text1(one(db, cap), buf, sizeof buf);

	sqlite3_stmt *st = one(db, ins);
	int rc = 0;
	for (int i = 0; i < 100000 && rc == 0; i++) {
		char id[32];
		snprintf(id, sizeof id, "dfsp%d", i);
		assert_int_equal(db_bind_text(st, ":id", id), 0);
		rc = db_run(st);
	}
	assert_int_equal(rc, -ENOSPC);
	db_close(db);
}

/* ---- statements ---- */

static void test_reset_after_errors(void **state)
{
	(void)state;
	static const char *const sel[] = { "SELECT fsp_id FROM dfsp WHERE fsp_id >= :from ORDER BY fsp_id" };
	struct db *db = open_ok(path, 0);
	sqlite3_stmt **st;
	char err[256];
	assert_int_equal(db_prepare_table(db, t_sql, T__COUNT, &st, err, sizeof err), 0);
	sqlite3_stmt *ins = st[T_DFSP];

	/* A failed step leaves the statement reset and its bindings cleared,
	 * and the statement works again. */
	assert_int_equal(dfsp(st, "dfspa", "Bank A"), 0);
	assert_int_equal(dfsp(st, "dfspa", "Bank A"), -EEXIST);
	assert_false(sqlite3_stmt_busy(ins));
	char *x = sqlite3_expanded_sql(ins);
	assert_non_null(strstr(x, "VALUES (NULL, NULL)"));
	sqlite3_free(x);
	assert_int_equal(dfsp(st, "dfspb", "Bank B"), 0);
	assert_int_equal(db_changes(db), 1);

	/* A failed bind too: the name that was bound before is cleared. */
	assert_int_equal(db_bind_text(ins, ":id", "dfspc"), 0);
	assert_int_equal(db_bind_text(ins, ":nosuch", "x"), -EINVAL);
	x = sqlite3_expanded_sql(ins);
	assert_non_null(strstr(x, "VALUES (NULL, NULL)"));
	sqlite3_free(x);

	/* A read statement in the middle of its rows releases its snapshot
	 * on db_reset(), on its last step and on a failed bind. */
	sqlite3_stmt *s = one(db, sel);
	assert_int_equal(db_bind_text(s, ":from", "a"), 0);
	assert_int_equal(db_step(s), 1);
	assert_true(sqlite3_stmt_busy(s));
	db_reset(s);
	assert_false(sqlite3_stmt_busy(s));
	assert_int_equal(db_bind_text(s, ":from", "a"), 0);
	assert_int_equal(db_step(s), 1);
	assert_int_equal(db_step(s), 1);
	assert_int_equal(db_step(s), 0);
	assert_false(sqlite3_stmt_busy(s));
	assert_int_equal(db_bind_text(s, ":from", "a"), 0);
	assert_int_equal(db_step(s), 1);
	assert_int_equal(db_bind_int64(s, ":nope", 1), -EINVAL);
	assert_false(sqlite3_stmt_busy(s));

	/* A value over the length limit fails the bind, which resets too. */
	sqlite3_limit(sqlite3_db_handle(ins), SQLITE_LIMIT_LENGTH, 64);
	char big[100];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(db_bind_text(ins, ":id", "dfspd"), 0);
	assert_int_equal(db_bind_text(ins, ":name", big), -E2BIG);
	x = sqlite3_expanded_sql(ins);
	assert_non_null(strstr(x, "VALUES (NULL, NULL)"));
	sqlite3_free(x);
	assert_int_equal(db_bind_text(ins, ":id", "dfspd"), 0);
	assert_int_equal(db_bind_blob(ins, ":name", big, sizeof big), -E2BIG);
	x = sqlite3_expanded_sql(ins);
	assert_non_null(strstr(x, "VALUES (NULL, NULL)"));
	sqlite3_free(x);
	/* Binding a statement in the middle of its rows is a caller's bug
	 * (SQLITE_MISUSE): it fails, and the statement is reset. */
	assert_int_equal(db_bind_text(s, ":from", "a"), 0);
	assert_int_equal(db_step(s), 1);
	assert_int_equal(db_bind_text(s, ":from", "b"), -EIO);
	assert_false(sqlite3_stmt_busy(s));
	sqlite3_limit(sqlite3_db_handle(ins), SQLITE_LIMIT_LENGTH, 1000000);

	/* db_run() resets a statement that returned a row. */
	assert_int_equal(db_bind_text(s, ":from", "a"), 0);
	assert_int_equal(db_run(s), 0);
	assert_false(sqlite3_stmt_busy(s));

	/* The other bind helpers find their parameter or fail the same way. */
	assert_int_equal(db_bind_double(s, ":nope", 1.5), -EINVAL);
	assert_int_equal(db_bind_blob(s, ":nope", "x", 1), -EINVAL);
	assert_int_equal(db_bind_null(s, ":nope"), -EINVAL);
	assert_int_equal(db_bind_null(s, ":from"), 0);
	assert_int_equal(db_step(s), 0); /* NULL matches nothing */
	db_close(db);
}

static void test_prepare_table(void **state)
{
	(void)state;
	static const char *const good[] = { "SELECT 1", "SELECT 2;  " };
	static const char *const bad[] = { "SELECT 1", "SELEC 2" };
	static const char *const two[] = { "SELECT 1; SELECT 2" };
	static const char *const empty[] = { "  -- nothing" };
	static const char *const null[] = { NULL };
	struct db *db = open_ok(path, 0);
	sqlite3_stmt **a, **b;
	char err[256];

	assert_int_equal(db_prepare_table(db, good, 2, &a, err, sizeof err), 0);
	assert_int_equal(db_prepare_table(db, good, 2, &b, err, sizeof err), 0);
	assert_ptr_equal(a, b); /* the same table twice: the same statements */
	assert_int_equal(db_step(a[1]), 1);
	assert_int_equal(sqlite3_column_int(a[1], 0), 2);
	db_reset(a[1]);

	assert_int_equal(db_prepare_table(db, bad, 2, &a, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "statement 1"));
	assert_int_equal(db_prepare_table(db, two, 1, &a, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "more than one statement"));
	assert_int_equal(db_prepare_table(db, empty, 1, &a, err, sizeof err), -EINVAL);
	assert_int_equal(db_prepare_table(db, null, 1, &a, err, sizeof err), -EINVAL);
	db_close(db); /* finalizes the good table: ASan and SQLite see no leak */
}

static void test_transactions(void **state)
{
	(void)state;
	struct db *db = open_ok(path, 0);
	sqlite3_stmt **st;
	char err[256];
	assert_int_equal(db_prepare_table(db, t_sql, T__COUNT, &st, err, sizeof err), 0);

	assert_int_equal(db_commit(db), -EINVAL);
	assert_int_equal(db_begin(db), 0);
	assert_true(db_in_transaction(db));
	assert_int_equal(dfsp(st, "dfspa", "Bank A"), 0);
	db_rollback(db);
	assert_false(db_in_transaction(db));
	db_rollback(db); /* harmless without one */

	/* Nested: an inner level commits into the outer one, or rolls back
	 * alone; nothing is durable before the outermost commit. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(dfsp(st, "dfspn1", "Nested 1"), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(dfsp(st, "dfspn2", "Nested 2"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_true(db_in_transaction(db));
	assert_int_equal(raw_int(path, "SELECT count(*) FROM dfsp"), 0);
	assert_int_equal(db_begin_read(db), 0);
	assert_int_equal(dfsp(st, "dfspn3", "Nested 3"), 0);
	db_rollback(db);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_commit(db), 0);
	assert_false(db_in_transaction(db));
	assert_int_equal(raw_int(path, "SELECT count(*) FROM dfsp WHERE fsp_id LIKE 'dfspn%'"), 2);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM dfsp WHERE fsp_id = 'dfspn3'"), 0);
	raw(path, "DELETE FROM dfsp WHERE fsp_id LIKE 'dfspn%'");

	/* A transaction opened behind db.c's back cannot be nested into. */
	static const char *const begin_sql[] = { "BEGIN" };
	sqlite3_stmt **bst;
	assert_int_equal(db_prepare_table(db, begin_sql, 1, &bst, err, sizeof err), 0);
	assert_int_equal(db_run(bst[0]), 0);
	assert_int_equal(db_begin(db), -EALREADY);
	db_rollback(db);
	assert_false(db_in_transaction(db));

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(dfsp(st, "dfspb", "Bank B"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_false(db_in_transaction(db));
	assert_int_equal(raw_int(path, "SELECT count(*) FROM dfsp"), 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM dfsp WHERE fsp_id = 'dfspb'"), 1);

	/* A transaction left open is rolled back at close. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(dfsp(st, "dfspc", "Bank C"), 0);
	db_close(db);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM dfsp"), 1);
}

/* ---- db_check ---- */

static void test_check_finds_drift(void **state)
{
	(void)state;
	struct db *db = open_ok(path, 0);
	db_close(db);
	raw(path, V1_DATA);
	raw(path, "DROP INDEX merchant_tier; DROP TRIGGER audit_no_update;"
		  "CREATE TABLE notes (x TEXT);");
	/* An orphan, written with foreign keys off (the sqlite3 shell's default). */
	raw(path, "INSERT INTO owner (dfsp, merchant_id, name, id_type, id_number) "
		  "VALUES ('dfspa', '99999997', 'Ghost', 'passport', 'P1')");

	db = open_ok(path, DB_OPEN_NOMIGRATE);
	struct msgs m = { 0 };
	int n = db_check(db, collect, &m);
	dump_msgs(&m);
	assert_int_equal(n, 4);
	assert_true(has_msg(&m, "schema: index merchant_tier missing"));
	assert_true(has_msg(&m, "schema: trigger audit_no_update missing"));
	assert_true(has_msg(&m, "schema: unexpected table notes"));
	assert_true(has_msg(&m, "foreign key: table owner row 1 refers to a missing merchant row"));
	db_close(db);
}

static void test_check_finds_altered_table_and_stale_index(void **state)
{
	(void)state;
	struct db *db = open_ok(path, 0);
	db_close(db);
	raw(path, V1_DATA);
	/* Renaming a merchant behind the index's back: the trigger gone,
	 * the name index no longer matches the table. */
	raw(path, "DROP TRIGGER merchant_search_update;"
		  "UPDATE merchant SET trading_name = 'Renamed' WHERE merchant_id = '10000042';"
		  "ALTER TABLE dfsp ADD COLUMN note TEXT;");
	db = open_ok(path, 0);
	struct msgs m = { 0 };
	int n = db_check(db, collect, &m);
	dump_msgs(&m);
	assert_int_equal(n, 3);
	assert_true(has_msg(&m, "schema: trigger merchant_search_update missing"));
	assert_true(has_msg(&m, "schema: table dfsp differs"));
	assert_true(has_msg(&m, "merchant_search: the name index is out of step"));
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fresh_pragmas, test_setup),
		cmocka_unit_test_setup(test_pragmas_are_set, test_setup),
		cmocka_unit_test_setup(test_reopen_keeps_data, test_setup),
		cmocka_unit_test_setup(test_empty_file_gets_schema, test_setup),
		cmocka_unit_test_setup(test_upgrade_from_v1, test_setup),
		cmocka_unit_test_setup(test_upgrades_from_zero_equal_schema, test_setup),
		cmocka_unit_test_setup(test_upgrade_v13_transfer, test_setup),
		cmocka_unit_test_setup(test_nomigrate_leaves_old_schema, test_setup),
		cmocka_unit_test_setup(test_refusals, test_setup),
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test_setup(test_constraint_errors, test_setup),
		cmocka_unit_test_setup(test_busy, test_setup),
		cmocka_unit_test_setup(test_full, test_setup),
		cmocka_unit_test_setup(test_reset_after_errors, test_setup),
		cmocka_unit_test_setup(test_prepare_table, test_setup),
		cmocka_unit_test_setup(test_transactions, test_setup),
		cmocka_unit_test_setup(test_check_finds_drift, test_setup),
		cmocka_unit_test_setup(test_check_finds_altered_table_and_stale_index, test_setup),
	};
	return cmocka_run_group_tests_name("db", tests, group_setup, group_teardown);
}
