/* test_pay.c -- unit tests of the payments module (gateway/pay.c) on a
 * temporary database: the state table (every allowed and refused
 * transition, checked against a list written out here), acceptance and
 * each refusal (input, till, customer, every tier limit of payer and
 * merchant, online and offline), on-us payments committed with their two
 * SMS in the same transaction, idempotent acceptance, transitions with
 * audit rows, cancel and retry, the expiry sweep, takings and the last
 * payments, the list with filters and cursor, the amount parser, and
 * payments of a DFSP with a backend hook (accepted to wait in ACCEPTED,
 * the hook's verdicts, its notification row with each final state). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/testdb.h"
#include "tests/unit/testdir.h"
#include <sqlite3.h>

#include "gateway/backend.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"

static char dir[256];
static char path[300];
static int nfile;
static struct db *db;
static struct merchant_reg *reg;
static struct outbox *ob;
static struct pay *pay;
static struct kyb_mcc *mcc;
static struct kyb_tiers *tiers;
static char till_a[MERCHANT_ID_MAX]; /* an APPROVED T0 merchant of dfspa */
static char merchant_a[MERCHANT_ID_MAX];

/* Customers: on-us C0 and C2 at dfspa, C0 and C2 at dfspb (paying dfspa's
 * merchant: not on-us), one suspended. */
#define CA0 "255700000001"
#define CA2 "255700000004"
#define CB0 "255700000002"
#define CB2 "255700000003"
#define CSUS "255700000005"

static const struct merchant_owner_in owner = { "Juma Hassan", "national_id",
						"19900101123450000112", "+255712345678" };
static const struct merchant_location_in loc = { "Main shop", "Dar es Salaam", NULL, 0, 0, 0 };

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	if (testdir_make(dir, sizeof dir, "test_pay") < 0)
		return -1;
	log_set_levels("error", err, sizeof err);
	if (kyb_mcc_builtin(&mcc, err, sizeof err) < 0 || kyb_tiers_builtin(&tiers, NULL) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	kyb_mcc_free(mcc);
	kyb_tiers_free(tiers);
	testdir_remove(dir);
	return 0;
}

static void raw(const char *sql)
{
	testdb_exec(path, sql);
}

#define count(...) testdb_count(path, __VA_ARGS__)

static void text(char *buf, size_t size, const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *st;
	buf[0] = 0;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(c);
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	struct merchant_reg_opts o = {
		.id_scheme = MERCHANT_ID_SEQUENTIAL, .merchant_id_digits = 8, .till_digits = 7,
		.data_dir = dir, .country = "TZ", .tiers = tiers, .mcc = mcc,
	};
	snprintf(path, sizeof path, "%s/db%d.sqlite", dir, nfile++);
	if (db_open(&db, path, 0, err, sizeof err) < 0) {
		print_error("db_open: %s\n", err);
		return -1;
	}
	raw("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A'), ('dfspb', 'DFSP B')");
	/* Customer rows as enrolment and activation leave them (written
	 * directly: the customers module has its own tests). */
	raw("INSERT INTO customer (dfsp, msisdn, name, account_ref, tier, status, created_by) VALUES "
	    "('dfspa', '" CA0 "', 'Asha', 'A-1', 'C0', 'ACTIVE', 'test'),"
	    "('dfspa', '" CA2 "', 'Baraka', 'A-2', 'C2', 'ACTIVE', 'test'),"
	    "('dfspb', '" CB0 "', 'Chausiku', 'B-1', 'C0', 'ACTIVE', 'test'),"
	    "('dfspb', '" CB2 "', 'Daudi', 'B-2', 'C2', 'ACTIVE', 'test'),"
	    "('dfspa', '" CSUS "', 'Eshe', 'A-3', 'C2', 'SUSPENDED', 'test')");
	struct merchant_errs errs;
	struct merchant_in in = {
		.trading_name = "MAMA JUMA SHOP", .type = "individual", .mcc = "5411",
		.contact_phone = "+255712345678", .owners = &owner, .n_owners = 1,
		.locations = &loc, .n_locations = 1,
	};
	struct pay_opts po = { 0 };
	if (merchant_reg_new(&reg, db, &o, err, sizeof err) < 0 ||
	    outbox_new(&ob, db, err, sizeof err) < 0 ||
	    merchant_self_register(reg, "dfspa", "+255712345678", &in, merchant_a, &errs) < 0) {
		print_error("setup: %s\n", err);
		return -1;
	}
	po.reg = reg;
	po.outbox = ob;
	po.tiers = tiers;
	if (pay_new(&pay, db, &po, err, sizeof err) < 0) {
		print_error("pay_new: %s\n", err);
		return -1;
	}
	text(till_a, sizeof till_a, "SELECT till_number FROM till");
	return till_a[0] ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pay_free(pay);
	outbox_free(ob);
	merchant_reg_free(reg);
	db_close(db);
	pay = NULL;
	ob = NULL;
	reg = NULL;
	db = NULL;
	return 0;
}

static int accept(const char *key, const char *dfsp, const char *msisdn, const char *till,
		  int64_t amount, enum pay_mode mode, struct pay_rec *out, struct pay_refusal *why)
{
	struct pay_in in = {
		.idem_scope = "k1", .idem_key = key, .payer_dfsp = dfsp, .payer_msisdn = msisdn,
		.till = till, .amount = amount, .channel = PAY_CH_API, .mode = mode,
		.actor = "app", .role = "payments",
	};
	return pay_accept(pay, &in, out, why);
}

/* ---- the state table ---- */

struct tr {
	enum pay_state from, to;
	enum pay_cause by;
};

/* Written out from docs/payments.md, independently of pay.c's table. */
static const struct tr expected[] = {
	{ PAY_ACCEPTED, PAY_SENDING, PAY_BY_FORWARDER },
	{ PAY_ACCEPTED, PAY_QUEUED, PAY_BY_FORWARDER },
	{ PAY_ACCEPTED, PAY_FAILED, PAY_BY_FORWARDER },
	{ PAY_QUEUED, PAY_SENDING, PAY_BY_FORWARDER },
	{ PAY_QUEUED, PAY_EXPIRED, PAY_BY_SWEEP },
	{ PAY_QUEUED, PAY_FAILED, PAY_BY_OPERATOR },
	{ PAY_QUEUED, PAY_FAILED, PAY_BY_FORWARDER },
	{ PAY_SENDING, PAY_COMMITTED, PAY_BY_FORWARDER },
	{ PAY_SENDING, PAY_FAILED, PAY_BY_FORWARDER },
	{ PAY_SENDING, PAY_RECONCILING, PAY_BY_FORWARDER },
	{ PAY_SENDING, PAY_QUEUED, PAY_BY_FORWARDER },
	{ PAY_RECONCILING, PAY_COMMITTED, PAY_BY_FORWARDER },
	{ PAY_RECONCILING, PAY_FAILED, PAY_BY_FORWARDER },
	{ PAY_RECONCILING, PAY_SENDING, PAY_BY_FORWARDER },
	{ PAY_FAILED, PAY_QUEUED, PAY_BY_OPERATOR },
	{ PAY_EXPIRED, PAY_QUEUED, PAY_BY_OPERATOR },
	/* The backend hook's verdicts (gateway/backend.h). */
	{ PAY_ACCEPTED, PAY_COMMITTED, PAY_BY_BACKEND },
	{ PAY_ACCEPTED, PAY_QUEUED, PAY_BY_BACKEND },
	{ PAY_ACCEPTED, PAY_FAILED, PAY_BY_BACKEND },
};

/* 1 if expected[] lists from -> to by c. */
static int listed(enum pay_state from, enum pay_state to, int c)
{
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		if (expected[i].from == from && expected[i].to == to && (int)expected[i].by == c)
			return 1;
	return 0;
}

static void test_state_table(void **state)
{
	(void)state;
	int allowed = 0;
	for (int f = 0; f < PAY__STATE_COUNT; f++)
		for (int t = 0; t < PAY__STATE_COUNT; t++)
			for (int c = 0; c < PAY__CAUSE_COUNT; c++) {
				int want = 0;
				for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
					if (expected[i].from == (enum pay_state)f &&
					    expected[i].to == (enum pay_state)t &&
					    expected[i].by == (enum pay_cause)c)
						want = 1;
				if (pay_transition_allowed(f, t, c) != want)
					print_error("%s -> %s by %s: want %d\n", pay_state_name(f),
						    pay_state_name(t), pay_cause_name(c), want);
				assert_int_equal(pay_transition_allowed(f, t, c), want);
				allowed += want;
			}
	assert_int_equal(allowed, (int)(sizeof expected / sizeof expected[0]));
	/* Nothing leaves COMMITTED; out-of-range values are refused. */
	for (int t = 0; t < PAY__STATE_COUNT; t++)
		for (int c = 0; c < PAY__CAUSE_COUNT; c++)
			assert_false(pay_transition_allowed(PAY_COMMITTED, t, c));
	assert_false(pay_transition_allowed(PAY__STATE_COUNT, PAY_QUEUED, PAY_BY_OPERATOR));
	assert_false(pay_transition_allowed(PAY_QUEUED, PAY_SENDING, PAY__CAUSE_COUNT));
	for (int s = 0; s < PAY__STATE_COUNT; s++)
		assert_int_equal(pay_state_parse(pay_state_name(s)), s);
	assert_int_equal(pay_state_parse("queued"), -1);
	assert_true(pay_state_final(PAY_COMMITTED) && pay_state_final(PAY_FAILED) &&
		    pay_state_final(PAY_EXPIRED));
	assert_false(pay_state_final(PAY_QUEUED) || pay_state_final(PAY_RECONCILING));
}

/* Every allowed transition applied to stored payments, and refused ones
 * leave the payment as it was. */
static void test_transitions_applied(void **state)
{
	(void)state;
	struct pay_rec r;
	char err[256];
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
		const struct tr *t = &expected[i];
		if (t->from == PAY_ACCEPTED && t->to == PAY_COMMITTED)
			continue; /* on-us payments only: below */
		char key[16];
		snprintf(key, sizeof key, "tr%zu", i);
		assert_int_equal(accept(key, "dfspb", CB2, till_a, 100, PAY_MODE_ONLINE, &r, NULL), 0);
		assert_int_equal(r.state, PAY_ACCEPTED);
		/* Drive it to t->from along allowed edges. */
		static const enum pay_state path_to[PAY__STATE_COUNT][3] = {
			[PAY_ACCEPTED] = { PAY__STATE_COUNT },
			[PAY_QUEUED] = { PAY_QUEUED, PAY__STATE_COUNT },
			[PAY_SENDING] = { PAY_SENDING, PAY__STATE_COUNT },
			[PAY_RECONCILING] = { PAY_SENDING, PAY_RECONCILING, PAY__STATE_COUNT },
			[PAY_FAILED] = { PAY_FAILED, PAY__STATE_COUNT },
			[PAY_EXPIRED] = { PAY_QUEUED, PAY_EXPIRED, PAY__STATE_COUNT },
		};
		for (int k = 0; path_to[t->from][k] != PAY__STATE_COUNT && k < 3; k++) {
			enum pay_state to = path_to[t->from][k];
			enum pay_cause by = to == PAY_EXPIRED ? PAY_BY_SWEEP : PAY_BY_FORWARDER;
			assert_int_equal(pay_transition(pay, r.id, to, by, to == PAY_FAILED ? "timeout" : NULL,
							NULL, NULL, -1, 0, NULL, NULL, &r, err, sizeof err),
					 0);
		}
		assert_int_equal(r.state, t->from);
		int64_t v = r.version;
		/* A cause the table does not list for this edge is refused. */
		for (int c = 0; c < PAY__CAUSE_COUNT; c++) {
			if (c == (int)t->by || listed(t->from, t->to, c))
				continue;
			assert_int_equal(pay_transition(pay, r.id, t->to, c, "timeout", NULL, NULL, -1, 0,
							NULL, NULL, NULL, err, sizeof err), -EPERM);
			assert_non_null(strstr(err, pay_state_name(t->from)));
		}
		assert_int_equal(pay_transition(pay, r.id, t->to, t->by, "timeout", "gone", NULL, -1, v,
						NULL, NULL, &r, err, sizeof err), 0);
		assert_int_equal(r.state, t->to);
		assert_int_equal(r.version, v + 1);
		assert_string_equal(r.fail_code, t->to == PAY_FAILED ? "timeout" : "");
	}
	/* Stale version, unknown id, bad fail code. */
	assert_int_equal(accept("x1", "dfspb", CB2, till_a, 100, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_SENDING, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					r.version + 1, NULL, NULL, NULL, err, sizeof err), -ESTALE);
	assert_int_equal(pay_transition(pay, "P000000000000000000000000", PAY_SENDING,
					PAY_BY_FORWARDER, NULL, NULL, NULL, -1, 0, NULL, NULL, NULL, err,
					sizeof err), -ENOENT);
	assert_int_equal(pay_transition(pay, r.id, PAY_FAILED, PAY_BY_FORWARDER, "Bad Code", NULL, NULL,
					-1, 0, NULL, NULL, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(pay_transition(pay, r.id, PAY_FAILED, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					0, NULL, NULL, NULL, err, sizeof err), -EINVAL);
	/* SENDING counts the attempt and records the FSPIOP ids. */
	struct pay_ids ids = { "11111111-1111-4111-8111-111111111111", NULL,
			       "22222222-2222-4222-8222-222222222222" };
	assert_int_equal(pay_transition(pay, r.id, PAY_SENDING, PAY_BY_FORWARDER, NULL, NULL, &ids, 77,
					0, "fwd", "system", &r, err, sizeof err), 0);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.next_at, 77);
	assert_string_equal(r.transfer_id, ids.transfer_id);
	assert_string_equal(r.transaction_id, ids.transaction_id);
	assert_string_equal(r.quote_id, "");
	/* Each change has its audit row, and COMMITTED tells both parties. */
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '%s'",
			       r.id), 2);
	assert_int_equal(pay_transition(pay, r.id, PAY_COMMITTED, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					0, NULL, NULL, &r, err, sizeof err), 0);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", r.id), 2);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity_id = '%s' AND action = "
			       "'committed' AND json_extract(before_json, '$.state') = 'SENDING'", r.id), 1);
	/* A replayed commit is refused, not a second credit. */
	assert_int_equal(pay_transition(pay, r.id, PAY_COMMITTED, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					0, NULL, NULL, NULL, err, sizeof err), -EPERM);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", r.id), 2);
}

/* ---- acceptance ---- */

static void test_on_us_commits_with_two_sms(void **state)
{
	(void)state;
	struct pay_rec r;
	struct pay_refusal why;
	assert_int_equal(accept("k-on-us", "dfspa", CA0, till_a, 500000, PAY_MODE_OFFLINE, &r, &why), 0);
	assert_int_equal(r.state, PAY_COMMITTED);
	assert_true(r.on_us);
	assert_string_equal(r.merchant_id, merchant_a);
	assert_string_equal(r.trading_name, "MAMA JUMA SHOP");
	assert_int_equal(r.amount, 500000);
	assert_string_equal(r.currency, "TZS");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s' AND state = 'COMMITTED'",
			       r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms' AND ref = '%s'", r.id), 2);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s' AND dest LIKE '%%" CA0
			       "' AND body LIKE 'Paid TZS 5,000.00 to MAMA JUMA SHOP%%'", r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s' AND dest LIKE "
			       "'%%255712345678' AND body LIKE 'Received TZS 5,000.00 from 2557****001%%'",
			       r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = '%s' "
			       "AND action = 'accept' AND role = 'payments' AND actor = 'app' AND "
			       "json_extract(after_json, '$.state') = 'COMMITTED'", r.id), 1);

	/* The payment and its SMS are one transaction: rolled back together. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(accept("k-rolled", "dfspa", CA0, till_a, 100, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(r.state, PAY_COMMITTED);
	db_rollback(db);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s'", r.id), 0);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", r.id), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity_id = '%s'", r.id), 0);
}

static void test_not_on_us(void **state)
{
	(void)state;
	struct pay_rec r;
	/* Online: ACCEPTED for the forwarder; no SMS yet. */
	assert_int_equal(accept("n1", "dfspb", CB0, till_a, 1000, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(r.state, PAY_ACCEPTED);
	assert_false(r.on_us);
	assert_int_equal(r.expires_at, 0);
	/* Offline: QUEUED, with the offline maximum age of the merchant's
	 * tier (the customer's tier sets none). */
	time_t before = time(NULL);
	assert_int_equal(accept("n2", "dfspb", CB0, till_a, 1000, PAY_MODE_OFFLINE, &r, NULL), 0);
	assert_int_equal(r.state, PAY_QUEUED);
	assert_true(r.expires_at >= (int64_t)before + 86400 && r.expires_at <= (int64_t)time(NULL) + 86400);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms'"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment'"), 2);
}

static void test_idempotent_accept(void **state)
{
	(void)state;
	struct pay_rec a, b;
	struct pay_refusal why;
	assert_int_equal(accept("same", "dfspa", CA0, till_a, 700, PAY_MODE_ONLINE, &a, NULL), 0);
	assert_int_equal(accept("same", "dfspa", CA0, till_a, 700, PAY_MODE_ONLINE, &b, NULL), 1);
	assert_string_equal(a.id, b.id);
	assert_int_equal(b.state, PAY_COMMITTED);
	assert_int_equal(count("SELECT count(*) FROM payment"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms'"), 2);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment'"), 1);
	/* The same key for another payment. */
	assert_int_equal(accept("same", "dfspa", CA0, till_a, 701, PAY_MODE_ONLINE, &b, &why), -EEXIST);
	assert_string_equal(why.code, "idempotency_key_reused");
	/* The same key under another scope is another payment. */
	struct pay_in in = {
		.idem_scope = "k2", .idem_key = "same", .payer_dfsp = "dfspa", .payer_msisdn = CA0,
		.till = till_a, .amount = 700, .channel = PAY_CH_USSD, .mode = PAY_MODE_ONLINE,
		.actor = CA0, .role = "customer",
	};
	assert_int_equal(pay_accept(pay, &in, &b, NULL), 0);
	assert_string_not_equal(a.id, b.id);
	assert_int_equal(b.channel, PAY_CH_USSD);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE role = 'customer'"), 1);
}

static void expect_refusal(const char *key, const char *dfsp, const char *msisdn, const char *till,
			   int64_t amount, enum pay_mode mode, int rc, const char *code,
			   const char *party, int64_t limit, const char *msg_part)
{
	struct pay_refusal why;
	struct pay_rec r;
	long long before = count("SELECT count(*) FROM payment");
	int got = accept(key, dfsp, msisdn, till, amount, mode, &r, &why);
	if (got != rc || strcmp(why.code, code) != 0)
		print_error("%s: got %d %s (%s)\n", key, got, why.code, why.msg);
	assert_int_equal(got, rc);
	assert_string_equal(why.code, code);
	assert_true(why.field[0] != 0);
	if (party) {
		assert_string_equal(why.party, party);
		assert_int_equal(why.limit, limit);
	}
	if (msg_part && !strstr(why.msg, msg_part))
		print_error("message \"%s\" lacks \"%s\"\n", why.msg, msg_part);
	if (msg_part)
		assert_non_null(strstr(why.msg, msg_part));
	assert_int_equal(count("SELECT count(*) FROM payment"), before);
}

static void test_refusals_input(void **state)
{
	(void)state;
	char bad_till[MERCHANT_ID_MAX];
	snprintf(bad_till, sizeof bad_till, "%s", till_a);
	bad_till[strlen(bad_till) - 1] = bad_till[strlen(bad_till) - 1] == '9' ? '0'
							 : (char)(bad_till[strlen(bad_till) - 1] + 1);
	expect_refusal("i1", "dfspa", CA0, bad_till, 100, PAY_MODE_ONLINE, -EINVAL, "invalid", NULL, 0,
		       "check digit");
	expect_refusal("i2", "dfspa", CA0, till_a, 0, PAY_MODE_ONLINE, -EINVAL, "invalid", NULL, 0,
		       "more than 0");
	expect_refusal("i3", "dfspa", "+255700000001", till_a, 100, PAY_MODE_ONLINE, -EINVAL, "invalid",
		       NULL, 0, "E.164");
	expect_refusal("i4", "dfspa", "255799999999", till_a, 100, PAY_MODE_ONLINE, -ENOENT,
		       "unknown_customer", NULL, 0, "not a customer of dfspa");
	/* A customer of dfspb is not one of dfspa's. */
	expect_refusal("i5", "dfspa", CB0, till_a, 100, PAY_MODE_ONLINE, -ENOENT, "unknown_customer",
		       NULL, 0, NULL);
	expect_refusal("i6", "dfspa", CSUS, till_a, 100, PAY_MODE_ONLINE, -EPERM, "customer_inactive",
		       NULL, 0, "SUSPENDED");
	/* A till number with a valid check digit that does not exist. */
	expect_refusal("i7", "dfspa", CA0, "9999996", 100, PAY_MODE_ONLINE, -ENOENT, "unknown_till",
		       NULL, 0, NULL);
	struct pay_in in = {
		.idem_scope = "k1", .idem_key = "i8", .payer_dfsp = "dfspa", .payer_msisdn = CA0,
		.till = till_a, .amount = 100, .currency = "KES", .channel = PAY_CH_API,
		.actor = "app", .role = "payments",
	};
	struct pay_refusal why;
	assert_int_equal(pay_accept(pay, &in, NULL, &why), -EINVAL);
	assert_string_equal(why.code, "currency");
	in.currency = "TZS";
	in.idem_key = "";
	assert_int_equal(pay_accept(pay, &in, NULL, &why), -EINVAL);
	assert_string_equal(why.field, "idem_key");
	/* Till suspended, then the merchant suspended. */
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE till SET status = 'SUSPENDED' WHERE till_number = '%s'", till_a);
	raw(sql);
	expect_refusal("i9", "dfspa", CA0, till_a, 100, PAY_MODE_ONLINE, -EPERM, "till_inactive", NULL,
		       0, "SUSPENDED");
	snprintf(sql, sizeof sql, "UPDATE till SET status = 'ACTIVE' WHERE till_number = '%s'", till_a);
	raw(sql);
	raw("UPDATE merchant SET status = 'SUSPENDED', status_reason = 'review'");
	expect_refusal("i10", "dfspa", CA0, till_a, 100, PAY_MODE_ONLINE, -EPERM, "merchant_inactive",
		       NULL, 0, "SUSPENDED");
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms'"), 0);
}

/* Each limit of the customer's tier and of the merchant's (T0, C0 and C2
 * of data/kyb-tiers.conf). */
static void test_refusals_limits(void **state)
{
	(void)state;
	struct pay_rec r;
	/* C0 per payment (TZS 50,000.00), online, on-us. */
	expect_refusal("l1", "dfspa", CA0, till_a, 5000001, PAY_MODE_ONLINE, -EPERM, "payment_limit",
		       "customer", 5000000, "C0 per-payment limit of TZS 50,000.00");
	/* C2 allows it; the T0 merchant's per-payment limit does not. */
	expect_refusal("l2", "dfspa", CA2, till_a, 5000001, PAY_MODE_ONLINE, -EPERM, "payment_limit",
		       "merchant", 5000000, "T0 per-payment limit");
	/* Offline per payment: C0 TZS 10,000.00. */
	expect_refusal("l3", "dfspb", CB0, till_a, 1000001, PAY_MODE_OFFLINE, -EPERM,
		       "offline_payment_limit", "customer", 1000000, "offline per-payment limit of TZS 10,000.00");
	/* The same amount online is within C0's limits. */
	assert_int_equal(accept("l3b", "dfspb", CB0, till_a, 1000001, PAY_MODE_ONLINE, &r, NULL), 0);
	/* C0 offline exposure TZS 20,000.00: two of 10,000.00 queued, then 1. */
	assert_int_equal(accept("l4a", "dfspb", CB0, till_a, 1000000, PAY_MODE_OFFLINE, &r, NULL), 0);
	assert_int_equal(accept("l4b", "dfspb", CB0, till_a, 1000000, PAY_MODE_OFFLINE, &r, NULL), 0);
	expect_refusal("l4c", "dfspb", CB0, till_a, 1, PAY_MODE_OFFLINE, -EPERM, "offline_exposure_limit",
		       "customer", 2000000, "offline exposure limit");
	/* C0 day limit TZS 100,000.00: 10,000.01 + 20,000.00 used (queued
	 * ones count); 49,999.99 and 20,000.00 more reach it exactly, and one
	 * more minor unit does not. */
	assert_int_equal(accept("l5a", "dfspb", CB0, till_a, 4999999, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(accept("l5b", "dfspb", CB0, till_a, 2000000, PAY_MODE_ONLINE, &r, NULL), 0);
	expect_refusal("l5c", "dfspb", CB0, till_a, 1, PAY_MODE_ONLINE, -EPERM, "day_limit", "customer",
		       10000000, "daily limit");
	/* A failed payment no longer counts against the day. */
	char err[128];
	assert_int_equal(pay_transition(pay, r.id, PAY_FAILED, PAY_BY_FORWARDER, "payer_rejected", NULL,
					NULL, -1, 0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(accept("l5d", "dfspb", CB0, till_a, 1, PAY_MODE_ONLINE, &r, NULL), 0);
}

static void test_refusals_offline_counts(void **state)
{
	(void)state;
	struct pay_rec r;
	char key[16];
	/* C0 allows 3 queued payments at once. */
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "c%d", i);
		assert_int_equal(accept(key, "dfspb", CB0, till_a, 100, PAY_MODE_OFFLINE, &r, NULL), 0);
	}
	expect_refusal("c3", "dfspb", CB0, till_a, 100, PAY_MODE_OFFLINE, -EPERM, "offline_count_limit",
		       "customer", 3, "3 queued payments");
	/* Once one is forwarded, another may be queued. */
	char err[128];
	assert_int_equal(pay_transition(pay, r.id, PAY_SENDING, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(accept("c4", "dfspb", CB0, till_a, 100, PAY_MODE_OFFLINE, &r, NULL), 0);
	/* The T0 merchant allows 5 queued payments at once: 3 are queued;
	 * C2 (10 allowed) queues 2 more, then the merchant's limit refuses. */
	assert_int_equal(accept("c5", "dfspb", CB2, till_a, 100, PAY_MODE_OFFLINE, &r, NULL), 0);
	assert_int_equal(accept("c6", "dfspb", CB2, till_a, 100, PAY_MODE_OFFLINE, &r, NULL), 0);
	expect_refusal("c7", "dfspb", CB2, till_a, 100, PAY_MODE_OFFLINE, -EPERM, "offline_count_limit",
		       "merchant", 5, "T0 offline limit of 5 queued payments");
	/* On-us payments do not queue: allowed whatever the queue. */
	assert_int_equal(accept("c8", "dfspa", CA2, till_a, 100, PAY_MODE_OFFLINE, &r, NULL), 0);
	assert_int_equal(r.state, PAY_COMMITTED);
}

/* An online payment the switch did not take: within the offline limits
 * it may wait in the queue; over them it is refused once QUEUED, and only
 * reported while SENDING (it may still commit). */
static void test_offline_recheck(void **state)
{
	(void)state;
	struct pay_rec r;
	struct pay_refusal why;
	char err[128];
	/* C0: offline per payment TZS 10,000.00; exactly that is within. */
	assert_int_equal(accept("r1", "dfspb", CB0, till_a, 1000000, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(pay_offline_recheck(pay, r.id, 1, &why, NULL), 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_QUEUED, PAY_BY_FORWARDER, NULL, NULL, NULL, 0,
					0, NULL, NULL, NULL, err, sizeof err), 0);
	/* Queued, it counts in the exposure once, not twice. */
	assert_int_equal(pay_offline_recheck(pay, r.id, 1, &why, &r), 0);
	assert_int_equal(r.state, PAY_QUEUED);
	/* Fallen back to the queue, it expires as an offline payment would:
	 * its creation plus the tiers' offline_max_age (24 h for C0 and M0). */
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s' AND expires_at = "
			       "CAST(strftime('%%s', created) AS INTEGER) + 86400", r.id), 1);
	/* Sent and queued again, the expiry stays the first one. */
	int64_t first = r.expires_at;
	assert_true(first > 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_SENDING, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_QUEUED, PAY_BY_FORWARDER, NULL, NULL, NULL, 0,
					0, NULL, NULL, &r, err, sizeof err), 0);
	assert_int_equal(r.expires_at, first);
	/* One minor unit more is over: SENDING stays as it is. */
	assert_int_equal(accept("r2", "dfspb", CB0, till_a, 1000001, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_SENDING, PAY_BY_FORWARDER, NULL, NULL, NULL, -1,
					0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(pay_offline_recheck(pay, r.id, 1, &why, &r), -EPERM);
	assert_string_equal(why.code, "offline_payment_limit");
	assert_string_equal(why.party, "customer");
	assert_int_equal(why.limit, 1000000);
	assert_int_equal(r.state, PAY_SENDING);
	int sms = count("SELECT count(*) FROM outbox");
	/* Back to QUEUED: without fail_over it is only told, with it FAILED. */
	assert_int_equal(pay_transition(pay, r.id, PAY_QUEUED, PAY_BY_FORWARDER, NULL, NULL, NULL, 0,
					0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(pay_offline_recheck(pay, r.id, 0, &why, &r), -EPERM);
	assert_int_equal(r.state, PAY_QUEUED);
	assert_int_equal(pay_offline_recheck(pay, r.id, 1, &why, &r), -EPERM);
	assert_int_equal(r.state, PAY_FAILED);
	assert_string_equal(r.fail_code, "offline_payment_limit");
	assert_non_null(strstr(r.fail_reason, "offline per-payment limit of TZS 10,000.00"));
	assert_int_equal(count("SELECT count(*) FROM outbox"), sms + 2);
	/* Final: nothing to check any more. */
	assert_int_equal(pay_offline_recheck(pay, r.id, 1, &why, &r), 0);
	assert_int_equal(pay_offline_recheck(pay, "Pnope", 1, &why, NULL), -ENOENT);
}

/* ---- operator actions and the sweep ---- */

static void test_cancel_retry_expire(void **state)
{
	(void)state;
	struct pay_rec q, r;
	char err[256];
	assert_int_equal(accept("e1", "dfspb", CB0, till_a, 1500, PAY_MODE_OFFLINE, &q, NULL), 0);
	assert_int_equal(q.state, PAY_QUEUED);
	/* Not due yet. */
	assert_int_equal(pay_expire_due(pay, q.expires_at - 1), 0);
	assert_int_equal(pay_expire_due(pay, q.expires_at), 1);
	assert_int_equal(pay_get(pay, NULL, q.id, &r), 0);
	assert_int_equal(r.state, PAY_EXPIRED);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", q.id), 2);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s' AND body LIKE "
			       "'%%could not be sent in time%%'", q.id), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity_id = '%s' AND action = 'expired' "
			       "AND role = 'system'", q.id), 1);
	assert_int_equal(pay_expire_due(pay, q.expires_at + 100000), 0);
	/* Retry an expired payment: QUEUED again, with a new window. */
	assert_int_equal(pay_retry(pay, q.id, "operator", &r, err, sizeof err), 0);
	assert_int_equal(r.state, PAY_QUEUED);
	assert_true(r.expires_at > 0);
	/* Cancel: FAILED "cancelled", both told; a cancel is final. */
	assert_int_equal(pay_cancel(pay, q.id, "operator", &r, err, sizeof err), 0);
	assert_int_equal(r.state, PAY_FAILED);
	assert_string_equal(r.fail_code, "cancelled");
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", q.id), 4);
	assert_int_equal(pay_retry(pay, q.id, "operator", NULL, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "cancelled"));
	assert_int_equal(pay_cancel(pay, q.id, "operator", NULL, err, sizeof err), -EPERM);
	/* A retryable failure may be retried; a COMMITTED payment may not be
	 * cancelled. */
	assert_int_equal(accept("e2", "dfspb", CB0, till_a, 10, PAY_MODE_ONLINE, &q, NULL), 0);
	assert_int_equal(pay_transition(pay, q.id, PAY_FAILED, PAY_BY_FORWARDER, "switch_unreachable",
					NULL, NULL, -1, 0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(pay_retry(pay, q.id, "operator", &r, err, sizeof err), 0);
	assert_int_equal(r.state, PAY_QUEUED);
	assert_string_equal(r.fail_code, "");
	assert_int_equal(accept("e3", "dfspa", CA0, till_a, 10, PAY_MODE_ONLINE, &q, NULL), 0);
	assert_int_equal(pay_cancel(pay, q.id, "operator", NULL, err, sizeof err), -EPERM);
	assert_int_equal(pay_retry(pay, "Pffffffffffffffffffffffff", "operator", NULL, err, sizeof err),
			 -ENOENT);
	assert_true(pay_code_retryable("timeout"));
	assert_false(pay_code_retryable("cancelled"));
}

/* ---- reads ---- */

static void test_takings_and_last(void **state)
{
	(void)state;
	struct pay_rec r, last[5];
	char key[16];
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "t%d", i);
		assert_int_equal(accept(key, "dfspa", CA0, till_a, 1000 * (i + 1), PAY_MODE_ONLINE, &r,
					NULL), 0);
	}
	assert_int_equal(accept("tq", "dfspb", CB0, till_a, 250, PAY_MODE_OFFLINE, &r, NULL), 0);
	assert_int_equal(accept("ta", "dfspb", CB0, till_a, 50, PAY_MODE_ONLINE, &r, NULL), 0);
	char err[128];
	assert_int_equal(accept("tf", "dfspb", CB0, till_a, 7, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_FAILED, PAY_BY_FORWARDER, "payee_rejected", NULL,
					NULL, -1, 0, NULL, NULL, NULL, err, sizeof err), 0);
	struct pay_takings t;
	assert_int_equal(pay_takings(pay, "dfspa", merchant_a, NULL, &t), 0);
	assert_int_equal(t.committed_count, 3);
	assert_int_equal(t.committed_total, 6000);
	assert_int_equal(t.queued_count, 2);
	assert_int_equal(t.queued_total, 300);
	/* Another day, another DFSP's view of the merchant, a bad day. */
	assert_int_equal(pay_takings(pay, "dfspa", merchant_a, "2000-01-01", &t), 0);
	assert_int_equal(t.committed_count + t.queued_count, 0);
	assert_int_equal(pay_takings(pay, "dfspb", merchant_a, NULL, &t), 0);
	assert_int_equal(t.committed_count + t.queued_count, 0);
	assert_int_equal(pay_takings(pay, "dfspa", merchant_a, "2026-13", &t), -EINVAL);

	int n = pay_last(pay, "dfspa", merchant_a, last, 5);
	assert_int_equal(n, 5);
	assert_int_equal(last[0].amount, 7);
	assert_int_equal(last[0].state, PAY_FAILED);
	assert_int_equal(last[1].amount, 50);
	assert_int_equal(last[4].amount, 2000);
	assert_int_equal(pay_last(pay, "dfspa", merchant_a, last, 2), 2);

	char m[PAY_MSISDN_MAX];
	pay_mask_msisdn("255712345678", m);
	assert_string_equal(m, "2557****678");
	pay_mask_msisdn("2557123", m);
	assert_string_equal(m, "25***23");
	pay_mask_msisdn("255712345678901", m);
	assert_string_equal(m, "2557****901");
}

static void test_list(void **state)
{
	(void)state;
	struct pay_rec r, *items;
	size_t n;
	char next[PAY_CURSOR_MAX], err[160], key[16];
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof key, "s%d", i);
		assert_int_equal(accept(key, "dfspa", CA0, till_a, 100 + i, PAY_MODE_ONLINE, &r, NULL), 0);
	}
	assert_int_equal(accept("sq", "dfspb", CB0, till_a, 9, PAY_MODE_OFFLINE, &r, NULL), 0);
	/* Pages of 2, newest first, until the cursor is "". */
	struct pay_filter f = { .dfsp = "dfspa", .state = -1, .limit = 2 };
	int pages = 0;
	size_t total = 0;
	static const int64_t order[] = { 9, 104, 103, 102, 101, 100 }; /* newest first */
	do {
		assert_int_equal(pay_list(pay, &f, &items, &n, next, err, sizeof err), 0);
		for (size_t i = 0; i < n; i++) {
			assert_true(total + i < 6);
			assert_int_equal(items[i].amount, order[total + i]);
		}
		total += n;
		pages++;
		free(items);
		static char cur[PAY_CURSOR_MAX];
		snprintf(cur, sizeof cur, "%s", next);
		f.cursor = next[0] ? cur : NULL;
	} while (next[0] && pages < 10);
	assert_int_equal(total, 6);
	assert_int_equal(pages, 3);
	/* Tenancy: dfspb sees its own customer's payment (payer), a third DFSP
	 * nothing. */
	struct pay_filter fb = { .dfsp = "dfspb", .state = -1 };
	assert_int_equal(pay_list(pay, &fb, &items, &n, next, err, sizeof err), 0);
	assert_int_equal(n, 1);
	free(items);
	assert_int_equal(pay_get(pay, "dfspc", r.id, NULL), -ENOENT);
	assert_int_equal(pay_get(pay, "dfspb", r.id, NULL), 0);
	/* Filters. */
	struct pay_filter fs = { .state = PAY_QUEUED };
	assert_int_equal(pay_list(pay, &fs, &items, &n, next, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].amount, 9);
	free(items);
	struct pay_filter fm = { .state = -1, .msisdn = CA0, .merchant_id = merchant_a };
	assert_int_equal(pay_list(pay, &fm, &items, &n, next, err, sizeof err), 0);
	assert_int_equal(n, 5);
	free(items);
	struct pay_filter ft = { .state = -1, .to = "2000-01-01" };
	assert_int_equal(pay_list(pay, &ft, &items, &n, next, err, sizeof err), 0);
	assert_int_equal(n, 0);
	free(items);
	struct pay_filter fx = { .state = -1, .from = "yesterday" };
	assert_int_equal(pay_list(pay, &fx, &items, &n, next, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "from"));
	struct pay_filter fc = { .state = -1, .cursor = "abc" };
	assert_int_equal(pay_list(pay, &fc, &items, &n, next, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "cursor"));
	struct pay_filter fl = { .state = -1, .limit = PAY_LIST_MAX + 1 };
	assert_int_equal(pay_list(pay, &fl, &items, &n, next, err, sizeof err), -EINVAL);
	/* The JSON form. */
	json_t *j = pay_rec_json(&r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "QUEUED");
	assert_string_equal(json_string_value(json_object_get(j, "amount_display")), "TZS 0.09");
	assert_int_equal(json_integer_value(json_object_get(j, "amount")), 9);
	assert_true(json_is_null(json_object_get(j, "fail_code")));
	json_decref(j);
}

/* ---- the amount parser ---- */

static void test_amount_parse(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int exp;
		int64_t want; /* -1: refused */
		const char *pos;
	} cases[] = {
		{ "5000", 2, 500000, NULL },      { "5000.5", 2, 500050, NULL },
		{ "5000.00", 2, 500000, NULL },   { "0.01", 2, 1, NULL },
		{ "7", 0, 7, NULL },              { "1.234", 3, 1234, NULL },
		{ "5000.001", 2, -1, "position 7" }, { "50a0", 2, -1, "position 2" },
		{ "", 2, -1, "position 0" },      { ".5", 2, -1, "position 0" },
		{ "5.", 2, -1, "position 2" },    { "5.0", 0, -1, "position 1" },
		{ "1.2.3", 2, -1, "position 3" }, { "-5", 2, -1, "position 0" },
		{ "99999999999999999", 2, -1, "too large" },
		{ "123456789012345678901234567890123", 2, -1, "longer than 32" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t v = -7;
		char err[96];
		int rc = pay_amount_parse(cases[i].s, strlen(cases[i].s), cases[i].exp, &v, err, sizeof err);
		if (cases[i].want < 0) {
			assert_int_equal(rc, -1);
			if (!strstr(err, cases[i].pos))
				print_error("\"%s\": %s\n", cases[i].s, err);
			assert_non_null(strstr(err, cases[i].pos));
			assert_int_equal(v, -7);
		} else {
			assert_int_equal(rc, (int)strlen(cases[i].s));
			assert_int_equal(v, cases[i].want);
		}
	}
	int64_t v;
	assert_int_equal(pay_amount_parse("1", 1, 5, &v, NULL, 0), -1);
}

/* ---- received through the switch ---- */

/* A transfer from another DFSP is recorded once, COMMITTED at once with
 * its audit row and one SMS to the merchant, and counts in takings, the
 * last payments, the list and the merchant's day limit. */
static void test_incoming(void **state)
{
	(void)state;
	char err[160];
	struct pay_incoming in = {
		.payee_dfsp = "dfspa", .merchant_id = merchant_a, .payer_fsp = "otherbank",
		.party_type = "MSISDN", .party_id = "254711000111", .party_name = "Wanjiru",
		.transfer_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7", .amount = 29000000,
		.currency = "TZS",
	};
	struct pay_rec r, again;
	assert_int_equal(pay_record_incoming(pay, &in, &r, err, sizeof err), 0);
	assert_int_equal(r.state, PAY_COMMITTED);
	assert_int_equal(r.channel, PAY_CH_SWITCH);
	assert_string_equal(r.payer_fsp, "otherbank");
	assert_string_equal(r.payer_dfsp, "");
	assert_string_equal(r.payer_party_id, "254711000111");
	assert_string_equal(r.transfer_id, in.transfer_id);
	assert_string_equal(r.till, "");
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s' AND dest LIKE "
			       "'%%255712345678' AND body LIKE 'Received TZS 290,000.00 from Wanjiru "
			       "(otherbank)%%'", r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment' AND entity_id = "
			       "'%s' AND action = 'receive' AND dfsp = 'dfspa' AND actor = 'otherbank'",
			       r.id), 1);
	json_t *j = pay_rec_json(&r);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "payer_msisdn")));
	assert_string_equal(json_string_value(json_object_get(j, "channel")), "switch");
	assert_string_equal(json_string_value(json_object_get(j, "payer_fsp")), "otherbank");
	json_decref(j);

	/* The same transfer again records nothing new. */
	assert_int_equal(pay_record_incoming(pay, &in, &again, err, sizeof err), 1);
	assert_string_equal(again.id, r.id);
	assert_int_equal(count("SELECT count(*) FROM payment"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", r.id), 1);
	/* The same transfer id for another amount is refused. */
	in.amount = 100;
	assert_int_equal(pay_record_incoming(pay, &in, NULL, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "transfer_id"));
	/* Bad input names the field; another DFSP's merchant is unknown. */
	in.amount = 0;
	assert_int_equal(pay_record_incoming(pay, &in, NULL, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "amount"));
	in.amount = 100;
	in.payee_dfsp = "dfspb";
	in.transfer_id = "11111111-2222-4333-8444-555555555555";
	assert_int_equal(pay_record_incoming(pay, &in, NULL, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "merchant_id"));

	struct pay_takings t;
	assert_int_equal(pay_takings(pay, "dfspa", merchant_a, NULL, &t), 0);
	assert_int_equal(t.committed_count, 1);
	assert_int_equal(t.committed_total, 29000000);
	struct pay_rec last[3];
	assert_int_equal(pay_last(pay, "dfspa", merchant_a, last, 3), 1);
	assert_string_equal(last[0].id, r.id);
	struct pay_rec *items;
	size_t n;
	char cur[PAY_CURSOR_MAX];
	struct pay_filter f = { .dfsp = "dfspa", .state = -1 };
	assert_int_equal(pay_list(pay, &f, &items, &n, cur, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].id, r.id);
	free(items);

	/* T0's day limit is TZS 300,000.00: 290,000.00 received, so 10,000.01
	 * more is refused for the merchant, 10,000.00 still goes. */
	expect_refusal("d1", "dfspb", CB2, till_a, 1000001, PAY_MODE_ONLINE, -EPERM, "day_limit",
		       "merchant", 30000000, "daily limit");
	assert_int_equal(accept("d2", "dfspb", CB2, till_a, 1000000, PAY_MODE_ONLINE, &r, NULL), 0);
}

/* ---- a payer DFSP with a backend hook ---- */

static void test_hooked_payer(void **state)
{
	(void)state;
	struct pay_rec r, on_us, off_us, off;
	char err[256];
	static const uint8_t secret[] = "0123456789abcdef";
	assert_int_equal(backend_dfsp_set(db, "dfspa", "http://127.0.0.1:9/hook", secret, 16, err,
					  sizeof err), 0);
	/* On-us waits for the hook in ACCEPTED: no SMS yet. */
	assert_int_equal(accept("h1", "dfspa", CA0, till_a, 1000, PAY_MODE_ONLINE, &on_us, NULL), 0);
	assert_int_equal(on_us.state, PAY_ACCEPTED);
	assert_true(on_us.on_us);
	assert_int_equal(count("SELECT count(*) FROM payment_auth WHERE payment_id = '%s' AND "
			       "state = 'asking' AND offline = 0 AND dfsp = 'dfspa'", on_us.id), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE ref = '%s'", on_us.id), 0);
	/* dfspb has no hook: no question. */
	assert_int_equal(accept("h2", "dfspb", CB2, till_a, 1000, PAY_MODE_ONLINE, &off_us, NULL), 0);
	assert_int_equal(off_us.state, PAY_ACCEPTED);
	assert_int_equal(count("SELECT count(*) FROM payment_auth WHERE payment_id = '%s'", off_us.id), 0);
	/* Hooked and offline: ACCEPTED too, with its offline window. */
	assert_int_equal(backend_dfsp_set(db, "dfspb", "https://bank.example/hook/", secret, 16, err,
					  sizeof err), 0);
	assert_int_equal(accept("h3", "dfspb", CB2, till_a, 1000, PAY_MODE_OFFLINE, &off, NULL), 0);
	assert_int_equal(off.state, PAY_ACCEPTED);
	assert_true(off.expires_at > 0);
	assert_int_equal(count("SELECT count(*) FROM payment_auth WHERE payment_id = '%s' AND "
			       "offline = 1", off.id), 1);
	/* The hook may commit an on-us payment only. */
	assert_int_equal(pay_transition(pay, off_us.id, PAY_COMMITTED, PAY_BY_BACKEND, NULL, NULL, NULL,
					-1, 0, NULL, NULL, NULL, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "not on-us"));
	assert_int_equal(pay_transition(pay, off.id, PAY_QUEUED, PAY_BY_BACKEND, NULL, NULL, NULL, -1,
					0, NULL, NULL, &r, err, sizeof err), 0);
	assert_int_equal(r.state, PAY_QUEUED);
	assert_int_equal(pay_transition(pay, on_us.id, PAY_COMMITTED, PAY_BY_BACKEND, NULL, NULL, NULL,
					-1, 0, NULL, NULL, &r, err, sizeof err), 0);
	assert_int_equal(r.state, PAY_COMMITTED);
	/* The final state: two SMS and the hook's notification, one row. */
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms' AND ref = '%s'",
			       on_us.id), 2);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'backend' AND ref = '%s' AND "
			       "dest = 'dfspa' AND dfsp = 'dfspa' AND "
			       "json_extract(body, '$.payment_id') = '%s' AND "
			       "json_extract(body, '$.state') = 'COMMITTED' AND "
			       "json_extract(body, '$.amount') = 1000 AND "
			       "json_extract(body, '$.amount_decimal') = '10.00' AND "
			       "json_extract(body, '$.fail_code') IS NULL", on_us.id, on_us.id), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment' AND "
			       "entity_id = '%s' AND action = 'committed'", on_us.id), 1);
	/* A decline: FAILED, the reason in the payer's SMS and the notification. */
	assert_int_equal(accept("h4", "dfspa", CA0, till_a, 2000, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(pay_transition(pay, r.id, PAY_FAILED, PAY_BY_BACKEND, "backend_declined",
					"Not enough money in account A-1.", NULL, -1, 0, NULL, NULL,
					&r, err, sizeof err), 0);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms' AND ref = '%s' AND "
			       "body LIKE '%%not approved: Not enough money in account A-1.%%'", r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'backend' AND ref = '%s' AND "
			       "json_extract(body, '$.state') = 'FAILED' AND "
			       "json_extract(body, '$.fail_code') = 'backend_declined'", r.id), 1);
	/* The hook removed: on-us commits at once again, nothing for a hook. */
	assert_int_equal(backend_dfsp_set(db, "dfspa", NULL, NULL, 0, err, sizeof err), 0);
	assert_int_equal(accept("h5", "dfspa", CA0, till_a, 3000, PAY_MODE_ONLINE, &r, NULL), 0);
	assert_int_equal(r.state, PAY_COMMITTED);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'backend' AND ref = '%s'",
			       r.id), 0);
	assert_int_equal(count("SELECT count(*) FROM payment_auth WHERE payment_id = '%s'", r.id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table),
		cmocka_unit_test_setup_teardown(test_transitions_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_us_commits_with_two_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_on_us, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_offline_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_recheck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_retry_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_takings_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incoming, setup, teardown),
		cmocka_unit_test(test_amount_parse),
		cmocka_unit_test_setup_teardown(test_hooked_payer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
