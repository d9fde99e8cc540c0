/* test_merchant_pin.c -- unit tests of merchants' USSD PINs
 * (merchant/merchant_pin.c) on a temporary database with a real registry:
 * set and change with their audit rows (never the hash), verification
 * that counts wrong tries in a row and locks at pin_max_tries, an expired
 * lock forgotten, unlock by the DFSP's roles only and within its tenancy,
 * the hash upgraded after a cost change, and the "ussd_pin" object of
 * merchant_get_json(). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "merchant/merchant.h"
#include "merchant/merchant_pin.h"
#include "tests/unit/testdir.h"

static char dir[256];
static char path[300];
static struct db *db;
static struct merchant_reg *reg;
static struct mpin *mp;
static char mid[MERCHANT_ID_MAX];

static const struct merchant_actor checker = { "bob", "dfspa", ROLE_CHECKER };
static const struct merchant_actor admin = { "ada", "dfspa", ROLE_DFSP_ADMIN };
static const struct merchant_actor maker = { "alice", "dfspa", ROLE_MAKER };
static const struct merchant_actor auditor = { "aud", "dfspa", ROLE_AUDITOR };
static const struct merchant_actor other = { "carol", "dfspb", ROLE_CHECKER };

static const struct mpin_opts cheap = { { 1, 8 }, 3, 1800 };

static void raw(const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	sqlite3_busy_timeout(c, 2000);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

/* The first column of the first row of sql, as text into out. */
static int text(const char *sql, char *out, size_t n)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	int found = 0;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, n, "%s", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
		found = 1;
	}
	sqlite3_finalize(st);
	sqlite3_close(c);
	return found;
}

static long long count(const char *sql)
{
	char b[32];
	return text(sql, b, sizeof b) ? atoll(b) : -1;
}

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (testdir_make(dir, sizeof dir, "test_merchant_pin") < 0)
		return -1;
	log_set_levels("error", err, sizeof err);
	snprintf(path, sizeof path, "%s/t.db", dir);
	struct merchant_reg_opts o = { .id_scheme = MERCHANT_ID_SEQUENTIAL, .merchant_id_digits = 8,
				       .till_digits = 7, .data_dir = dir, .country = "TZ" };
	if (db_open(&db, path, 0, err, sizeof err) < 0 || merchant_reg_new(&reg, db, &o, err, sizeof err) < 0 ||
	    mpin_new(&mp, db, &cheap, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	raw("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A'), ('dfspb', 'DFSP B')");
	struct merchant_owner_in own = { "Juma Hassan", "national_id", "19900101123450000112",
					 "+255712582946" };
	struct merchant_location_in loc = { "Shop", "Arusha", NULL, 0, 0, 0 };
	struct merchant_in in = { .trading_name = "Juma Shop", .type = "individual", .mcc = "5411",
				  .owners = &own, .n_owners = 1, .locations = &loc, .n_locations = 1 };
	struct merchant_errs errs;
	if (merchant_self_register(reg, "dfspa", "+255712582946", &in, mid, &errs) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mpin_free(mp);
	merchant_reg_free(reg);
	db_close(db);
	return testdir_remove(dir);
}

static void test_set_and_change(void **state)
{
	struct mpin_status st;
	char h[PIN_HASH_MAX], b[512];
	(void)state;

	assert_int_equal(mpin_status(db, "dfspa", mid, &st), 0);
	assert_int_equal(st.set, 0);
	assert_int_equal(mpin_set(mp, "dfspa", mid, "4817", "+255712582946", "merchant"), 0);
	assert_int_equal(mpin_status(db, "dfspa", mid, &st), 0);
	assert_int_equal(st.set, 1);
	assert_int_equal(st.failures, 0);
	assert_string_equal(st.locked_until, "");
	/* Only a hash is stored, and it verifies. */
	assert_true(text("SELECT pin_hash FROM merchant_pin", h, sizeof h));
	assert_memory_equal(h, "$argon2id$", 10);
	assert_null(strstr(h, "4817"));
	assert_int_equal(pin_verify(h, "4817"), 0);
	/* Audited without the hash. */
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_set' AND entity = "
			       "'merchant' AND role = 'merchant' AND actor = '+255712582946'"), 1);
	assert_true(text("SELECT after_json FROM audit WHERE action = 'pin_set'", b, sizeof b));
	assert_string_equal(b, "{\"failures\":0,\"locked_until\":null,\"set\":true}");
	assert_int_equal(count("SELECT count(*) FROM audit WHERE after_json LIKE '%argon%' "
			       "OR before_json LIKE '%argon%'"), 0);
	/* A second set is a change. */
	assert_int_equal(mpin_set(mp, "dfspa", mid, "9731", "+255712582946", "merchant"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_change'"), 1);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "4817", "x", "merchant", NULL), -EACCES);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "9731", "x", "merchant", NULL), 0);
	/* Bad form, unknown merchant, other DFSP. */
	assert_int_equal(mpin_set(mp, "dfspa", mid, "12a4", "x", "merchant"), -EINVAL);
	assert_int_equal(mpin_set(mp, "dfspa", "99999997", "4817", "x", "merchant"), -ENOENT);
	assert_int_equal(mpin_set(mp, "dfspb", mid, "4817", "x", "merchant"), -ENOENT);
	assert_int_equal(count("SELECT count(*) FROM merchant_pin"), 1);
}

static void test_set_in_callers_transaction(void **state)
{
	(void)state;
	/* Rolled back with the caller's transaction. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(mpin_set(mp, "dfspa", mid, "4817", "x", "merchant"), 0);
	db_rollback(db);
	assert_int_equal(count("SELECT count(*) FROM merchant_pin"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_set'"), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(mpin_set(mp, "dfspa", mid, "4817", "x", "merchant"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(count("SELECT count(*) FROM merchant_pin"), 1);
}

static void test_lockout(void **state)
{
	struct mpin_status st;
	char until[32];
	(void)state;

	assert_int_equal(mpin_verify(mp, "dfspa", mid, "4817", "x", "merchant", &st), -ENOENT);
	assert_int_equal(mpin_set(mp, "dfspa", mid, "4817", "+255712582946", "merchant"), 0);
	/* Failures count in a row; a success resets them. */
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "1111", "x", "merchant", &st), -EACCES);
	assert_int_equal(st.failures, 1);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "2222", "x", "merchant", &st), -EACCES);
	assert_int_equal(st.failures, 2);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "4817", "x", "merchant", &st), 0);
	assert_int_equal(st.failures, 0);
	/* Three wrong in a row lock. */
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "1111", "x", "merchant", &st), -EACCES);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "1111", "x", "merchant", &st), -EACCES);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked'"), 0);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "1111", "+255712582946", "merchant", &st), -EAGAIN);
	assert_int_equal(st.failures, 3);
	assert_int_equal(strlen(st.locked_until), 24);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked' AND "
			       "actor = '+255712582946'"), 1);
	/* The lock ends pin_lock_s after it began (SQLite's clock both times). */
	assert_int_equal(count("SELECT round((julianday(locked_until) - julianday(updated)) * 86400) "
			       "FROM merchant_pin"), 1800);
	/* While locked, even the right PIN is refused and nothing is counted. */
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "4817", "x", "merchant", &st), -EAGAIN);
	assert_int_equal(st.failures, 3);
	assert_true(text("SELECT locked_until FROM merchant_pin", until, sizeof until));
	assert_string_equal(until, st.locked_until);
	/* The DFSP sees it. */
	json_t *j;
	assert_int_equal(merchant_get_json(reg, &checker, mid, &j), 0);
	json_t *p = json_object_get(j, "ussd_pin");
	assert_true(json_is_true(json_object_get(p, "set")));
	assert_int_equal(json_integer_value(json_object_get(p, "failures")), 3);
	assert_string_equal(json_string_value(json_object_get(p, "locked_until")), until);
	json_decref(j);
	/* An expired lock is forgotten: shown as none, counting starts again. */
	raw("UPDATE merchant_pin SET locked_until = '2000-01-01T00:00:00.000Z'");
	assert_int_equal(mpin_status(db, "dfspa", mid, &st), 0);
	assert_int_equal(st.failures, 0);
	assert_string_equal(st.locked_until, "");
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "1111", "x", "merchant", &st), -EACCES);
	assert_int_equal(st.failures, 1);
	assert_string_equal(st.locked_until, "");
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "4817", "x", "merchant", &st), 0);
	assert_int_equal(count("SELECT count(*) FROM merchant_pin WHERE locked_until IS NULL "
			       "AND failures = 0"), 1);
}

static void test_unlock(void **state)
{
	struct mpin_status st;
	(void)state;

	assert_int_equal(mpin_unlock(mp, &admin, mid, &st), -ENOENT); /* no PIN yet */
	assert_int_equal(mpin_set(mp, "dfspa", mid, "4817", "x", "merchant"), 0);
	for (int i = 0; i < 3; i++)
		mpin_verify(mp, "dfspa", mid, "1111", "x", "merchant", &st);
	assert_true(st.locked_until[0]);
	/* Roles and tenancy. */
	assert_int_equal(mpin_unlock(mp, &maker, mid, &st), -EACCES);
	assert_int_equal(mpin_unlock(mp, &auditor, mid, &st), -EACCES);
	assert_int_equal(mpin_unlock(mp, &other, mid, &st), -ENOENT);
	assert_int_equal(mpin_status(db, "dfspa", mid, &st), 0);
	assert_true(st.locked_until[0]);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_unlock'"), 0);
	/* The checker lifts it; audited with before and after. */
	assert_int_equal(mpin_unlock(mp, &checker, mid, &st), 0);
	assert_int_equal(st.failures, 0);
	assert_string_equal(st.locked_until, "");
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_unlock' AND actor = 'bob' "
			       "AND role = 'checker' AND dfsp = 'dfspa' AND entity_id = (SELECT "
			       "merchant_id FROM merchant) AND json_extract(before_json, '$.failures') = 3 "
			       "AND json_extract(after_json, '$.failures') = 0"), 1);
	assert_int_equal(mpin_verify(mp, "dfspa", mid, "4817", "x", "merchant", &st), 0);
	assert_int_equal(mpin_unlock(mp, &admin, mid, NULL), 0);
	assert_int_equal(audit_verify(db, NULL, NULL, NULL), 0);
}

static void test_rehash(void **state)
{
	char h1[PIN_HASH_MAX], h2[PIN_HASH_MAX], err[128];
	struct mpin *dear;
	struct mpin_opts o = { { 2, 16 }, 3, 1800 };
	(void)state;

	assert_int_equal(mpin_set(mp, "dfspa", mid, "4817", "x", "merchant"), 0);
	assert_true(text("SELECT pin_hash FROM merchant_pin", h1, sizeof h1));
	assert_int_equal(mpin_new(&dear, db, &o, err, sizeof err), 0);
	/* A wrong PIN changes no hash; the right one upgrades it. */
	assert_int_equal(mpin_verify(dear, "dfspa", mid, "1111", "x", "merchant", NULL), -EACCES);
	assert_true(text("SELECT pin_hash FROM merchant_pin", h2, sizeof h2));
	assert_string_equal(h1, h2);
	assert_int_equal(mpin_verify(dear, "dfspa", mid, "4817", "x", "merchant", NULL), 0);
	assert_true(text("SELECT pin_hash FROM merchant_pin", h2, sizeof h2));
	assert_memory_equal(h2, "$argon2id$v=19$m=16,t=2,p=1$", 28);
	assert_int_equal(pin_verify(h2, "4817"), 0);
	mpin_free(dear);
	/* Bad options. */
	struct mpin_opts bad = { { 0, 8 }, 3, 1 };
	assert_int_equal(mpin_new(&dear, db, &bad, err, sizeof err), -EINVAL);
	struct mpin_opts bad2 = { { 1, 8 }, 0, 1 };
	assert_int_equal(mpin_new(&dear, db, &bad2, err, sizeof err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_and_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_in_callers_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rehash, setup, teardown),
	};
	return cmocka_run_group_tests_name("merchant_pin", tests, NULL, NULL);
}
