/* test_customer.c -- unit tests of customers (gateway/customer.c) on a
 * temporary database with the built-in KYB tiers: validation naming each
 * field, enrolment with its code stored only as a hash and audited
 * without it, activation (wrong, expired and right codes), PIN checks
 * with the lock-out and its expiry, the DFSP's actions with their roles,
 * statuses and tenancy, re-issued codes, lists with cursors and filters,
 * and the lookup by phone across DFSPs. */
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
#include <sodium.h>
#include <sqlite3.h>

#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "kyb/kyb_tier.h"
#include "tests/unit/testdir.h"

static char dir[256];
static char path[300];
static struct db *db;
static struct cust *cu;
static struct kyb_tiers *tiers;

static const struct merchant_actor maker = { "alice", "dfspa", ROLE_MAKER };
static const struct merchant_actor checker = { "bob", "dfspa", ROLE_CHECKER };
static const struct merchant_actor admin = { "ada", "dfspa", ROLE_DFSP_ADMIN };
static const struct merchant_actor auditor = { "aud", "dfspa", ROLE_AUDITOR };
static const struct merchant_actor hub = { "hub", NULL, ROLE_HUB_ADMIN };
static const struct merchant_actor makerb = { "carol", "dfspb", ROLE_MAKER };
static const struct merchant_actor checkerb = { "dan", "dfspb", ROLE_CHECKER };

static void raw(const char *sql)
{
	sqlite3 *c;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	sqlite3_busy_timeout(c, 2000);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
}

static int text(const char *sql, char *out, size_t n)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	int found = 0;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, n, "%s",
			 sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
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
	struct kyb_tier_errs te;
	(void)state;
	if (testdir_make(dir, sizeof dir, "test_customer") < 0)
		return -1;
	log_set_levels("error", err, sizeof err);
	snprintf(path, sizeof path, "%s/t.db", dir);
	if (kyb_tiers_builtin(&tiers, &te) < 0)
		return -1;
	struct cust_opts o = { tiers, { 1, 8 }, 3, 1800, 604800 };
	if (db_open(&db, path, 0, err, sizeof err) < 0 || cust_new(&cu, db, &o, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	raw("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A'), ('dfspb', 'DFSP B')");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cust_free(cu);
	db_close(db);
	kyb_tiers_free(tiers);
	return testdir_remove(dir);
}

static const struct cust_in amina = { "+255712345678", "Amina Said", "ACC-0001", "C1" };

static int64_t enroll(const struct merchant_actor *a, const struct cust_in *in, char code[CUST_CODE_SIZE])
{
	struct cust_info ci;
	struct merchant_errs errs;
	assert_int_equal(cust_enroll(cu, a, in, code, &ci, &errs), 0);
	return ci.id;
}

static void test_options(void **state)
{
	struct cust *c;
	char err[128];
	(void)state;
	struct cust_opts bad = { tiers, { 1, 8 }, 0, 1800, 604800 };
	assert_int_equal(cust_new(&c, db, &bad, err, sizeof err), -EINVAL);
	assert_null(c);
	bad.max_tries = 3;
	bad.activation_ttl_s = 59;
	assert_int_equal(cust_new(&c, db, &bad, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "activation_ttl_s"));
	assert_string_equal(cust_status_name(CS_SUSPENDED), "SUSPENDED");
	assert_int_equal(cust_status_parse("ACTIVE"), CS_ACTIVE);
	assert_int_equal(cust_status_parse("active"), -1);
	assert_int_equal(cust_action_parse("activation-code"), CA_NEW_CODE);
	assert_int_equal(cust_action_parse("approve"), -1);
}

static const char *field_msg(const struct merchant_errs *e, const char *field)
{
	for (int i = 0; i < e->n; i++)
		if (!strcmp(e->e[i].field, field))
			return e->e[i].message;
	return NULL;
}

static void test_validate(void **state)
{
	struct merchant_errs e;
	(void)state;
	assert_int_equal(cust_validate(cu, &amina, &e), 0);
	assert_int_equal(e.n, 0);
	struct cust_in in = { "+25571234567x", "", "ACC\t1", "T1" };
	assert_int_equal(cust_validate(cu, &in, &e), -EINVAL);
	assert_int_equal(e.n, 4);
	assert_non_null(strstr(field_msg(&e, "msisdn"), "position 13"));
	assert_string_equal(field_msg(&e, "name"), "name: required");
	assert_string_equal(field_msg(&e, "account_ref"), "account_ref: position 4: expected printable ASCII");
	assert_non_null(strstr(field_msg(&e, "tier"), "not a customer tier"));
	struct cust_in in2 = { NULL, " Amina", "ACC", NULL };
	assert_int_equal(cust_validate(cu, &in2, &e), -EINVAL);
	assert_string_equal(field_msg(&e, "msisdn"), "msisdn: required");
	assert_string_equal(field_msg(&e, "name"), "name: position 1: leading or trailing blank");
	assert_string_equal(field_msg(&e, "tier"), "tier: required");
	char longref[80];
	memset(longref, 'A', 65);
	longref[65] = '\0';
	struct cust_in in3 = { "+255712345678", "Amina", longref, "C0" };
	assert_int_equal(cust_validate(cu, &in3, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_string_equal(field_msg(&e, "account_ref"), "account_ref: position 65: longer than 64 bytes");
}

static void test_enroll(void **state)
{
	char code[CUST_CODE_SIZE], sha[80], hex[65], b[1024];
	unsigned char h[32];
	struct cust_info ci;
	struct merchant_errs errs;
	(void)state;

	assert_int_equal(cust_enroll(cu, &maker, &amina, code, &ci, &errs), 0);
	assert_int_equal(strlen(code), CUST_CODE_DIGITS);
	assert_int_equal(strspn(code, "0123456789"), CUST_CODE_DIGITS);
	assert_string_equal(ci.msisdn, "255712345678");
	assert_int_equal(ci.status, CS_PENDING);
	assert_int_equal(ci.pin_set, 0);
	assert_int_equal(strlen(ci.activation_expires), 24);
	/* The code is stored as its SHA-256 only, for 7 days. */
	assert_true(text("SELECT activation_sha256 FROM customer", sha, sizeof sha));
	crypto_hash_sha256(h, (const unsigned char *)code, CUST_CODE_DIGITS);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	assert_string_equal(sha, hex);
	assert_int_equal(count("SELECT round((julianday(activation_expires) - julianday(created)) * 86400) "
			       "FROM customer"), 604800);
	/* Audited, without the code or its hash. */
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'enroll' AND entity = 'customer' "
			       "AND actor = 'alice' AND role = 'maker' AND dfsp = 'dfspa'"), 1);
	assert_true(text("SELECT after_json FROM audit WHERE action = 'enroll'", b, sizeof b));
	assert_null(strstr(b, code));
	assert_null(strstr(b, sha));
	/* JSON: +msisdn, pin object, no secret. */
	json_t *j = cust_json(&ci);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "\"msisdn\":\"+255712345678\""));
	assert_non_null(strstr(s, "\"status\":\"PENDING\""));
	assert_null(strstr(s, code));
	free(s);
	json_decref(j);
	/* The same phone again at the same DFSP: -EEXIST naming msisdn; at
	 * another DFSP: fine. */
	assert_int_equal(cust_enroll(cu, &admin, &amina, code, NULL, &errs), -EEXIST);
	assert_string_equal(code, "");
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].field, "msisdn");
	enroll(&makerb, &amina, code);
	/* Roles: checker, auditor and hub-admin may not enrol. */
	struct cust_in other = { "+255712345679", "Juma", "A2", "C0" };
	assert_int_equal(cust_enroll(cu, &checker, &other, code, NULL, &errs), -EACCES);
	assert_int_equal(cust_enroll(cu, &auditor, &other, code, NULL, &errs), -EACCES);
	assert_int_equal(cust_enroll(cu, &hub, &other, code, NULL, &errs), -EACCES);
	/* Invalid input changes nothing. */
	other.tier = "C9";
	assert_int_equal(cust_enroll(cu, &maker, &other, code, NULL, &errs), -EINVAL);
	assert_int_equal(count("SELECT count(*) FROM customer"), 2);
	/* Tenancy of reads. */
	struct cust_info g;
	assert_int_equal(cust_get(cu, &auditor, ci.id, &g), 0);
	assert_string_equal(g.name, "Amina Said");
	assert_int_equal(cust_get(cu, &checkerb, ci.id, &g), -ENOENT);
	assert_int_equal(cust_get(cu, &hub, ci.id, &g), 0);
	assert_int_equal(cust_get(cu, &auditor, 999, &g), -ENOENT);
}

static void test_activate(void **state)
{
	char code[CUST_CODE_SIZE], wrong[CUST_CODE_SIZE];
	struct cust_info ci;
	(void)state;
	int64_t id = enroll(&maker, &amina, code);
	memcpy(wrong, code, sizeof wrong);
	wrong[0] = wrong[0] == '9' ? '0' : (char)(wrong[0] + 1);

	assert_int_equal(cust_check_code(cu, "dfspa", "255712345678", wrong), -EACCES);
	assert_int_equal(cust_get(cu, &maker, id, &ci), 0);
	assert_int_equal(ci.failures, 1);
	assert_int_equal(cust_check_code(cu, "dfspa", "255712345678", code), 0);
	assert_int_equal(cust_get(cu, &maker, id, &ci), 0);
	assert_int_equal(ci.failures, 0);
	assert_int_equal(ci.status, CS_PENDING); /* a check changes nothing else */
	/* Unknown phone, other DFSP. */
	assert_int_equal(cust_check_code(cu, "dfspb", "255712345678", code), -ENOENT);
	assert_int_equal(cust_activate(cu, "dfspa", "255700000000", code, "4817"), -ENOENT);
	/* Bad PIN form: nothing happens. */
	assert_int_equal(cust_activate(cu, "dfspa", "255712345678", code, "48a7"), -EINVAL);
	/* Wrong code with a good PIN: counted, not activated. */
	assert_int_equal(cust_activate(cu, "dfspa", "255712345678", wrong, "4817"), -EACCES);
	assert_int_equal(count("SELECT pin_failures FROM customer"), 1);
	assert_int_equal(count("SELECT pin_hash IS NULL FROM customer"), 1);
	assert_int_equal(cust_activate(cu, "dfspa", "255712345678", code, "4817"), 0);
	assert_int_equal(cust_get(cu, &maker, id, &ci), 0);
	assert_int_equal(ci.status, CS_ACTIVE);
	assert_int_equal(ci.pin_set, 1);
	assert_int_equal(ci.failures, 0);
	assert_string_equal(ci.activation_expires, "");
	assert_int_equal(count("SELECT activation_sha256 IS NULL FROM customer"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'activate' AND "
			       "actor = '255712345678' AND role = 'customer'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE after_json LIKE '%argon%'"), 0);
	/* Once only. */
	assert_int_equal(cust_activate(cu, "dfspa", "255712345678", code, "9731"), -EPERM);
	assert_int_equal(cust_verify_pin(cu, "dfspa", "255712345678", "4817", NULL), 0);
}

static void test_code_expired_and_locked(void **state)
{
	char code[CUST_CODE_SIZE];
	struct cust_info ci;
	(void)state;
	int64_t id = enroll(&maker, &amina, code);
	raw("UPDATE customer SET activation_expires = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds')");
	assert_int_equal(cust_check_code(cu, "dfspa", "255712345678", code), -ETIME);
	assert_int_equal(cust_activate(cu, "dfspa", "255712345678", code, "4817"), -ETIME);
	/* A new code from the DFSP (maker) works; the old one does not. */
	char code2[CUST_CODE_SIZE], err[128];
	assert_int_equal(cust_act(cu, &checker, id, CA_NEW_CODE, NULL, code2, NULL, err, sizeof err), -EACCES);
	assert_int_equal(cust_act(cu, &maker, id, CA_NEW_CODE, NULL, code2, &ci, err, sizeof err), 0);
	assert_int_equal(strlen(code2), 8);
	assert_int_equal(strlen(ci.activation_expires), 24);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'activation_code'"), 1);
	if (strcmp(code, code2)) {
		/* Three wrong codes lock; then even the right one is refused. */
		assert_int_equal(cust_check_code(cu, "dfspa", "255712345678", code), -EACCES);
		assert_int_equal(cust_check_code(cu, "dfspa", "255712345678", "00000000x"), -EACCES);
		assert_int_equal(cust_check_code(cu, "dfspa", "255712345678", ""), -EAGAIN);
		assert_int_equal(cust_activate(cu, "dfspa", "255712345678", code2, "4817"), -EAGAIN);
		assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked'"), 1);
		/* Unlocked by a checker, then it works. */
		assert_int_equal(cust_act(cu, &checker, id, CA_UNLOCK, NULL, NULL, &ci, err, sizeof err), 0);
		assert_int_equal(ci.failures, 0);
		assert_string_equal(ci.locked_until, "");
	}
	assert_int_equal(cust_activate(cu, "dfspa", "255712345678", code2, "4817"), 0);
}

static int64_t active(const struct cust_in *in, const char *pin)
{
	char code[CUST_CODE_SIZE];
	int64_t id = enroll(&maker, in, code);
	assert_int_equal(cust_activate(cu, "dfspa", in->msisdn + 1, code, pin), 0);
	return id;
}

static void test_lockout(void **state)
{
	struct cust_info ci;
	char err[128];
	(void)state;
	int64_t id = active(&amina, "4817");
	const char *ph = "255712345678";

	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "1111", &ci), -EACCES);
	assert_int_equal(ci.failures, 1);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", &ci), 0);
	assert_int_equal(ci.failures, 0);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "1111", &ci), -EACCES);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "2222", &ci), -EACCES);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked'"), 0);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "3333", &ci), -EAGAIN);
	assert_int_equal(ci.failures, 3);
	assert_int_equal(strlen(ci.locked_until), 24);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked' AND actor = "
			       "'255712345678' AND role = 'customer'"), 1);
	assert_int_equal(count("SELECT round((julianday(locked_until) - julianday(updated)) * 86400) "
			       "FROM customer"), 1800);
	/* Locked: the right PIN is refused and nothing is counted. */
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", &ci), -EAGAIN);
	assert_int_equal(ci.failures, 3);
	/* Unlock: roles and tenancy. */
	assert_int_equal(cust_act(cu, &maker, id, CA_UNLOCK, NULL, NULL, NULL, err, sizeof err), -EACCES);
	assert_int_equal(cust_act(cu, &auditor, id, CA_UNLOCK, NULL, NULL, NULL, err, sizeof err), -EACCES);
	assert_int_equal(cust_act(cu, &hub, id, CA_UNLOCK, NULL, NULL, NULL, err, sizeof err), -EACCES);
	assert_int_equal(cust_act(cu, &checkerb, id, CA_UNLOCK, NULL, NULL, NULL, err, sizeof err), -ENOENT);
	assert_int_equal(cust_act(cu, &admin, id, CA_UNLOCK, "called the branch", NULL, &ci, err, sizeof err), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_unlock' AND actor = 'ada' "
			       "AND after_json LIKE '%called the branch%'"), 1);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", &ci), 0);
	/* A lock that ran out is forgotten: counting starts again. */
	for (int i = 0; i < 3; i++)
		cust_verify_pin(cu, "dfspa", ph, "1111", NULL);
	raw("UPDATE customer SET locked_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds')");
	assert_int_equal(cust_get(cu, &maker, id, &ci), 0);
	assert_int_equal(ci.failures, 0);
	assert_string_equal(ci.locked_until, "");
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "1111", &ci), -EACCES);
	assert_int_equal(ci.failures, 1);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", &ci), 0);
	/* Change PIN: needs the old one. */
	assert_int_equal(cust_change_pin(cu, "dfspa", ph, "1111", "9731"), -EACCES);
	assert_int_equal(cust_change_pin(cu, "dfspa", ph, "4817", "9731"), 0);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", NULL), -EACCES);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "9731", NULL), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_change'"), 1);
}

static void test_rehash(void **state)
{
	char err[128], before[PIN_HASH_MAX], after[PIN_HASH_MAX];
	(void)state;
	active(&amina, "4817");
	assert_true(text("SELECT pin_hash FROM customer", before, sizeof before));
	struct cust *c2;
	struct cust_opts o = { tiers, { 2, 16 }, 3, 1800, 604800 };
	assert_int_equal(cust_new(&c2, db, &o, err, sizeof err), 0);
	assert_int_equal(cust_verify_pin(c2, "dfspa", "255712345678", "4817", NULL), 0);
	assert_true(text("SELECT pin_hash FROM customer", after, sizeof after));
	assert_string_not_equal(before, after);
	assert_non_null(strstr(after, "m=16,t=2"));
	assert_int_equal(cust_verify_pin(c2, "dfspa", "255712345678", "4817", NULL), 0);
	cust_free(c2);
}

static void test_actions(void **state)
{
	struct cust_info ci;
	char err[128], code[CUST_CODE_SIZE];
	(void)state;
	int64_t id = active(&amina, "4817");
	const char *ph = "255712345678";

	assert_int_equal(cust_act(cu, &maker, id, CA_SUSPEND, NULL, NULL, NULL, err, sizeof err), -EACCES);
	assert_int_equal(cust_act(cu, &checker, id, CA_SUSPEND, "fraud check", NULL, &ci, err, sizeof err), 0);
	assert_int_equal(ci.status, CS_SUSPENDED);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", NULL), -EPERM);
	assert_int_equal(count("SELECT pin_failures FROM customer"), 0);
	assert_int_equal(cust_act(cu, &checker, id, CA_SUSPEND, NULL, NULL, NULL, err, sizeof err), -EPERM);
	assert_string_equal(err, "suspend is not allowed for a SUSPENDED customer");
	assert_int_equal(cust_act(cu, &checker, id, CA_NEW_CODE, NULL, code, NULL, err, sizeof err), -EACCES);
	assert_int_equal(cust_act(cu, &admin, id, CA_NEW_CODE, NULL, code, NULL, err, sizeof err), -EPERM);
	assert_int_equal(cust_act(cu, &admin, id, CA_REACTIVATE, NULL, NULL, &ci, err, sizeof err), 0);
	assert_int_equal(ci.status, CS_ACTIVE);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", NULL), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action IN ('suspend', 'reactivate') "
			       "AND entity = 'customer'"), 2);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'suspend' AND before_json "
			       "LIKE '%\"status\":\"ACTIVE\"%' AND after_json LIKE '%\"status\":\"SUSPENDED\"%'"),
			 1);
	/* A new code puts an ACTIVE customer back to PENDING without a PIN. */
	assert_int_equal(cust_act(cu, &maker, id, CA_NEW_CODE, NULL, code, &ci, err, sizeof err), 0);
	assert_int_equal(ci.status, CS_PENDING);
	assert_int_equal(ci.pin_set, 0);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "4817", NULL), -EPERM);
	/* Suspended before activation: reactivate returns it to PENDING. */
	assert_int_equal(cust_act(cu, &checker, id, CA_SUSPEND, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(cust_act(cu, &checker, id, CA_REACTIVATE, NULL, NULL, &ci, err, sizeof err), 0);
	assert_int_equal(ci.status, CS_PENDING);
	assert_int_equal(cust_activate(cu, "dfspa", ph, code, "5920"), 0);
	/* Close is final; other DFSPs see nothing. */
	assert_int_equal(cust_act(cu, &checkerb, id, CA_CLOSE, NULL, NULL, NULL, err, sizeof err), -ENOENT);
	assert_int_equal(cust_act(cu, &checker, id, CA_CLOSE, NULL, NULL, &ci, err, sizeof err), 0);
	assert_int_equal(ci.status, CS_CLOSED);
	for (int a = 0; a < CA__COUNT; a++)
		assert_int_equal(cust_act(cu, &admin, id, (enum cust_action)a, NULL, code, NULL, err,
					  sizeof err), -EPERM);
	assert_int_equal(cust_verify_pin(cu, "dfspa", ph, "5920", NULL), -ENOENT);
	assert_int_equal(cust_by_msisdn(cu, ph, &ci, 1), 0);
}

static void test_list_and_phone(void **state)
{
	json_t *items;
	char next[CUST_CURSOR_MAX], err[128], ph[32];
	struct merchant_errs errs;
	(void)state;
	for (int i = 0; i < 5; i++) {
		char code[CUST_CODE_SIZE];
		snprintf(ph, sizeof ph, "+25571234560%d", i);
		struct cust_in in = { ph, "Customer", "REF", "C0" };
		enroll(&maker, &in, code);
	}
	char code[CUST_CODE_SIZE];
	struct cust_in inb = { "+255712345601", "Same phone at B", "REFB", "C2" };
	enroll(&makerb, &inb, code);

	struct cust_filter f = { .limit = 2 };
	char cur[CUST_CURSOR_MAX] = "";
	int seen = 0, pages = 0;
	do {
		f.cursor = cur;
		assert_int_equal(cust_list(cu, &auditor, &f, &items, next, &errs), 0);
		seen += (int)json_array_size(items);
		for (size_t i = 0; i < json_array_size(items); i++)
			assert_string_equal(json_string_value(json_object_get(json_array_get(items, i), "dfsp")),
					    "dfspa");
		json_decref(items);
		snprintf(cur, sizeof cur, "%s", next);
		pages++;
	} while (cur[0]);
	assert_int_equal(pages, 3);
	assert_int_equal(seen, 5);
	/* Filters. */
	struct cust_filter g = { .msisdn = "+255712345601" };
	assert_int_equal(cust_list(cu, &auditor, &g, &items, next, &errs), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	assert_int_equal(cust_list(cu, &hub, &g, &items, next, &errs), 0);
	assert_int_equal(json_array_size(items), 2);
	json_decref(items);
	assert_int_equal(cust_act(cu, &checker, 2, CA_SUSPEND, NULL, NULL, NULL, err, sizeof err), 0);
	struct cust_filter h = { .status = "SUSPENDED" };
	assert_int_equal(cust_list(cu, &checker, &h, &items, next, &errs), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	/* Bad filters name their field. */
	struct cust_filter bad = { .status = "asleep", .cursor = "x1", .limit = 500, .msisdn = "12ab" };
	assert_int_equal(cust_list(cu, &checker, &bad, &items, next, &errs), -EINVAL);
	assert_null(items);
	assert_int_equal(errs.n, 4);
	assert_non_null(field_msg(&errs, "status"));
	assert_non_null(field_msg(&errs, "cursor"));
	assert_non_null(field_msg(&errs, "limit"));
	assert_non_null(field_msg(&errs, "msisdn"));
	/* The phone's DFSPs. */
	struct cust_info m[CUST_MATCH_MAX];
	assert_int_equal(cust_by_msisdn(cu, "255712345601", m, CUST_MATCH_MAX), 2);
	assert_string_equal(m[0].dfsp, "dfspa");
	assert_string_equal(m[1].dfsp, "dfspb");
	assert_string_equal(m[1].tier, "C2");
	assert_int_equal(cust_by_msisdn(cu, "255712345601", m, 1), 1);
	assert_int_equal(cust_by_msisdn(cu, "255799999999", m, CUST_MATCH_MAX), 0);
	/* Limits of the tier. */
	const struct kyb_limits *l = cust_limits(cu, &m[0]);
	assert_non_null(l);
	assert_int_equal(l->payment, 5000000);
	assert_int_equal(l->offline_count, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_options),
		T(test_validate),
		T(test_enroll),
		T(test_activate),
		T(test_code_expired_and_locked),
		T(test_lockout),
		T(test_rehash),
		T(test_actions),
		T(test_list_and_phone),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
