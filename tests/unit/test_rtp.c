/* test_rtp.c -- unit tests of requests to pay (gateway/rtp.c) on a
 * temporary database: the state table (every event from every state,
 * against the list written out here), the payer's number as merchants
 * type it, creation (checks, the payer's DFSP, idempotency, the audit
 * row), events with their audit rows and the merchant's SMS, the sweep
 * (expiry, and requests following their payment), the list with its
 * cursor and tenancy, and the JSON form. */
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

#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "gateway/rtp.h"
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
static struct cust *cust;
static struct rtp *rtp;
static struct kyb_mcc *mcc;
static struct kyb_tiers *tiers;
static char till_a[MERCHANT_ID_MAX];
static char merchant_a[MERCHANT_ID_MAX];

#define CA "255700000001"   /* customer of dfspa (the merchant's DFSP) */
#define CB "255700000002"   /* customer of dfspb only */
#define CAB "255700000003"  /* customer of both */
#define CSUS "255700000005" /* suspended at dfspa */
#define NOBODY "255700000009"

static const struct merchant_owner_in owner = { "Juma Hassan", "national_id",
						"19900101123450000112", "+255712345678" };
static const struct merchant_location_in loc = { "Main shop", "Dar es Salaam", NULL, 0, 0, 0 };

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	if (testdir_make(dir, sizeof dir, "test_rtp") < 0)
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
	raw("INSERT INTO customer (dfsp, msisdn, name, account_ref, tier, status, created_by) VALUES "
	    "('dfspa', '" CA "', 'Asha', 'A-1', 'C2', 'ACTIVE', 'test'),"
	    "('dfspb', '" CB "', 'Baraka', 'B-1', 'C2', 'ACTIVE', 'test'),"
	    "('dfspb', '" CAB "', 'Chausiku', 'B-2', 'C2', 'ACTIVE', 'test'),"
	    "('dfspa', '" CAB "', 'Chausiku', 'A-2', 'C2', 'ACTIVE', 'test'),"
	    "('dfspa', '" CSUS "', 'Eshe', 'A-3', 'C2', 'SUSPENDED', 'test')");
	struct merchant_errs errs;
	struct merchant_in in = {
		.trading_name = "MAMA JUMA SHOP", .type = "individual", .mcc = "5411",
		.contact_phone = "+255712345678", .owners = &owner, .n_owners = 1,
		.locations = &loc, .n_locations = 1,
	};
	struct cust_opts co = { tiers, { 1, 8 }, 3, 1800, 604800 };
	if (merchant_reg_new(&reg, db, &o, err, sizeof err) < 0 ||
	    outbox_new(&ob, db, err, sizeof err) < 0 ||
	    cust_new(&cust, db, &co, err, sizeof err) < 0 ||
	    merchant_self_register(reg, "dfspa", "+255712345678", &in, merchant_a, &errs) < 0) {
		print_error("setup: %s\n", err);
		return -1;
	}
	struct pay_opts po = { reg, ob, tiers };
	struct rtp_opts ro = { cust, ob, "TZS", 2, 180 };
	if (pay_new(&pay, db, &po, err, sizeof err) < 0 || rtp_new(&rtp, db, &ro, err, sizeof err) < 0) {
		print_error("new: %s\n", err);
		return -1;
	}
	text(till_a, sizeof till_a, "SELECT till_number FROM till");
	return till_a[0] ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rtp_free(rtp);
	pay_free(pay);
	cust_free(cust);
	outbox_free(ob);
	merchant_reg_free(reg);
	db_close(db);
	rtp = NULL;
	pay = NULL;
	cust = NULL;
	ob = NULL;
	reg = NULL;
	db = NULL;
	return 0;
}

static int create(const char *key, const char *msisdn, int64_t amount, struct rtp_rec *out,
		  char *err, size_t errlen)
{
	struct rtp_in in = {
		.idem_scope = "k1", .idem_key = key, .channel = RTP_CH_API, .dfsp = "dfspa",
		.merchant_id = merchant_a, .payer_msisdn = msisdn, .amount = amount,
		.actor = "pos", .role = "payments",
	};
	return rtp_create(rtp, &in, out, err, errlen);
}

/* ---- the state table ---- */

static void state_table(void **state)
{
	(void)state;
	/* Every allowed (from, event) -> to, written out; all else refused. */
	static const struct {
		enum rtp_state from;
		enum rtp_event ev;
		enum rtp_state to;
	} ok[] = {
		{ RTP_PENDING, RTP_EV_PROMPT, RTP_PROMPTED },
		{ RTP_PENDING, RTP_EV_SENT, RTP_SENT },
		{ RTP_PROMPTED, RTP_EV_PAY, RTP_PAYING },
		{ RTP_SENT, RTP_EV_PAY, RTP_PAYING },
		{ RTP_PROMPTED, RTP_EV_PAID, RTP_PAID },
		{ RTP_SENT, RTP_EV_PAID, RTP_PAID },
		{ RTP_PAYING, RTP_EV_PAID, RTP_PAID },
		{ RTP_PENDING, RTP_EV_REFUSE, RTP_REFUSED },
		{ RTP_PROMPTED, RTP_EV_REFUSE, RTP_REFUSED },
		{ RTP_SENT, RTP_EV_REFUSE, RTP_REFUSED },
		{ RTP_PENDING, RTP_EV_FAIL, RTP_FAILED },
		{ RTP_PROMPTED, RTP_EV_FAIL, RTP_FAILED },
		{ RTP_SENT, RTP_EV_FAIL, RTP_FAILED },
		{ RTP_PAYING, RTP_EV_FAIL, RTP_FAILED },
		{ RTP_PENDING, RTP_EV_EXPIRE, RTP_EXPIRED },
		{ RTP_PROMPTED, RTP_EV_EXPIRE, RTP_EXPIRED },
		{ RTP_SENT, RTP_EV_EXPIRE, RTP_EXPIRED },
	};
	int allowed = 0;
	for (int f = 0; f < RTP__STATE_COUNT; f++)
		for (int e = 0; e < RTP__EV_COUNT; e++) {
			int want = -1;
			for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
				if ((int)ok[i].from == f && (int)ok[i].ev == e)
					want = (int)ok[i].to;
			if (rtp_event_to((enum rtp_state)f, (enum rtp_event)e) != want)
				fail_msg("%s + %s: got %d, want %d", rtp_state_name((enum rtp_state)f),
					 rtp_event_name((enum rtp_event)e),
					 rtp_event_to((enum rtp_state)f, (enum rtp_event)e), want);
			allowed += want >= 0;
			/* Final states take no event at all. */
			if (rtp_state_final((enum rtp_state)f))
				assert_int_equal(rtp_event_to((enum rtp_state)f, (enum rtp_event)e), -1);
		}
	assert_int_equal(allowed, (int)(sizeof ok / sizeof ok[0]));
	assert_int_equal(rtp_event_to(RTP__STATE_COUNT, RTP_EV_PAID), -1);
	for (int s = 0; s < RTP__STATE_COUNT; s++)
		assert_int_equal(rtp_state_parse(rtp_state_name((enum rtp_state)s)), s);
	assert_int_equal(rtp_state_parse("paid"), -1);
}

/* ---- phone numbers ---- */

static void msisdn_forms(void **state)
{
	(void)state;
	char out[RTP_MSISDN_MAX], err[RTP_ERR_MAX];
	assert_int_equal(rtp_msisdn_normalise("0754111222", "TZ", "payer", out, err, sizeof err), 0);
	assert_string_equal(out, "255754111222");
	assert_int_equal(rtp_msisdn_normalise("+255754111222", "TZ", "payer", out, err, sizeof err), 0);
	assert_string_equal(out, "255754111222");
	assert_int_equal(rtp_msisdn_normalise("255754111222", "KE", "payer", out, err, sizeof err), 0);
	assert_string_equal(out, "255754111222");
	assert_int_equal(rtp_msisdn_normalise("0712345678", "KE", "payer", out, err, sizeof err), 0);
	assert_string_equal(out, "254712345678");
	/* A letter: the field and its position. */
	assert_int_equal(rtp_msisdn_normalise("07541x1222", "TZ", "payer", out, err, sizeof err), -EINVAL);
	assert_string_equal(err, "payer: position 6: expected a digit");
	assert_int_equal(out[0], '\0');
	/* Too short for Tanzania, a national number with an unknown country,
	 * a trunk 0 after the country code, nothing. */
	assert_int_equal(rtp_msisdn_normalise("075411122", "TZ", "payer", out, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "payer"));
	assert_int_equal(rtp_msisdn_normalise("0754111222", "FR", "payer", out, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "payer: position 1"));
	assert_int_equal(rtp_msisdn_normalise("+2550754111222", "TZ", "payer", out, err, sizeof err),
			 -EINVAL);
	assert_int_equal(rtp_msisdn_normalise("", "TZ", "payer", out, err, sizeof err), -EINVAL);
	assert_string_equal(err, "payer: required");
	assert_int_equal(rtp_msisdn_normalise("+2557541112223333333", "TZ", "payer", out, err, sizeof err),
			 -EINVAL);
}

/* ---- creation ---- */

static void create_and_replay(void **state)
{
	(void)state;
	struct rtp_rec q, q2;
	char err[RTP_ERR_MAX];
	assert_int_equal(create("key1", CA, 500000, &q, err, sizeof err), 0);
	assert_int_equal(q.state, RTP_PENDING);
	assert_int_equal(q.id[0], 'R');
	assert_int_equal(strlen(q.id), 25);
	assert_string_equal(q.payer_dfsp, "dfspa");
	assert_string_equal(q.till, till_a);
	assert_string_equal(q.trading_name, "MAMA JUMA SHOP");
	assert_string_equal(q.currency, "TZS");
	assert_true(q.expires_at >= (int64_t)time(NULL) + 170);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment_request' AND "
			       "action = 'create' AND entity_id = '%s' AND dfsp = 'dfspa'", q.id), 1);
	/* The same key and request: the same one, nothing new. */
	assert_int_equal(create("key1", CA, 500000, &q2, err, sizeof err), 1);
	assert_string_equal(q2.id, q.id);
	assert_int_equal(count("SELECT count(*) FROM payment_request"), 1);
	/* The same key, another amount. */
	assert_int_equal(create("key1", CA, 600000, &q2, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "idempotency_key"));
	/* Another key: another request. */
	assert_int_equal(create("key2", CA, 500000, &q2, err, sizeof err), 0);
	assert_string_not_equal(q2.id, q.id);
}

static void create_refusals(void **state)
{
	(void)state;
	struct rtp_rec q;
	char err[RTP_ERR_MAX];
	/* Not a customer here; suspended; a customer of another DFSP only is
	 * hosted all the same; of both: the merchant's own DFSP. */
	assert_int_equal(create("a", NOBODY, 100, &q, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "payer_msisdn"));
	assert_int_equal(create("b", CSUS, 100, &q, err, sizeof err), -ENOENT);
	assert_int_equal(create("c", CB, 100, &q, err, sizeof err), 0);
	assert_string_equal(q.payer_dfsp, "dfspb");
	assert_int_equal(create("d", CAB, 100, &q, err, sizeof err), 0);
	assert_string_equal(q.payer_dfsp, "dfspa");
	/* Bad amounts and numbers. */
	assert_int_equal(create("e", CA, 0, &q, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "amount"));
	assert_int_equal(create("f", "0754111222", 100, &q, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "payer_msisdn"));
	/* Another DFSP's merchant is not found; a till of none; a suspended
	 * merchant may not ask. */
	struct rtp_in in = {
		.idem_scope = "k1", .idem_key = "g", .channel = RTP_CH_API, .dfsp = "dfspb",
		.merchant_id = merchant_a, .payer_msisdn = CA, .amount = 100,
		.actor = "pos", .role = "payments",
	};
	assert_int_equal(rtp_create(rtp, &in, &q, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "merchant_id"));
	in.dfsp = "dfspa";
	in.till = "1234567";
	assert_int_equal(rtp_create(rtp, &in, &q, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "till"));
	in.till = NULL;
	in.currency = "KES";
	assert_int_equal(rtp_create(rtp, &in, &q, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "currency"));
	in.currency = NULL;
	raw("UPDATE merchant SET status = 'SUSPENDED', status_reason = 'test'");
	assert_int_equal(rtp_create(rtp, &in, &q, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "SUSPENDED"));
	assert_int_equal(count("SELECT count(*) FROM payment_request"), 2);
}

/* ---- events ---- */

static void refuse_tells_merchant(void **state)
{
	(void)state;
	struct rtp_rec q;
	char err[RTP_ERR_MAX];
	assert_int_equal(create("k", CA, 500000, &q, err, sizeof err), 0);
	assert_int_equal(rtp_apply(rtp, q.id, RTP_EV_PROMPT, NULL, NULL, NULL, NULL, &q, err, sizeof err), 0);
	assert_int_equal(q.state, RTP_PROMPTED);
	struct rtp_rec p;
	assert_int_equal(rtp_prompted_for(rtp, CA, (int64_t)time(NULL), &p), 0);
	assert_string_equal(p.id, q.id);
	assert_int_equal(rtp_prompted_for(rtp, CB, (int64_t)time(NULL), &p), -ENOENT);
	/* PAID needs a payment; a refusal needs a code. */
	assert_int_equal(rtp_apply(rtp, q.id, RTP_EV_PAID, NULL, NULL, NULL, NULL, NULL, err, sizeof err),
			 -EINVAL);
	assert_non_null(strstr(err, "payment_id"));
	assert_int_equal(rtp_apply(rtp, q.id, RTP_EV_REFUSE, NULL, NULL, NULL, NULL, NULL, err, sizeof err),
			 -EINVAL);
	long long sms = count("SELECT count(*) FROM outbox");
	assert_int_equal(rtp_apply(rtp, q.id, RTP_EV_REFUSE, "refused", NULL, CA, "customer", &q, err,
				   sizeof err), 0);
	assert_int_equal(q.state, RTP_REFUSED);
	assert_string_equal(q.fail_code, "refused");
	assert_int_equal(count("SELECT count(*) FROM outbox"), sms + 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE dest LIKE '%%255712345678' "
			       "AND body LIKE '%%refused by the customer%%' AND ref = '%s'", q.id), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity_id = '%s' AND action = 'refuse' "
			       "AND actor = '" CA "' AND role = 'customer'", q.id), 1);
	/* Final: nothing more. */
	assert_int_equal(rtp_apply(rtp, q.id, RTP_EV_EXPIRE, "expired", NULL, NULL, NULL, NULL, err,
				   sizeof err), -EPERM);
	assert_non_null(strstr(err, "REFUSED"));
	assert_int_equal(rtp_apply(rtp, "R000000000000000000000000", RTP_EV_PROMPT, NULL, NULL, NULL, NULL,
				   NULL, err, sizeof err), -ENOENT);
}

static void sweep_expires_and_follows(void **state)
{
	(void)state;
	struct rtp_rec a, b, c;
	char err[RTP_ERR_MAX];
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(create("a", CA, 100000, &a, err, sizeof err), 0);
	assert_int_equal(create("b", CA, 200000, &b, err, sizeof err), 0);
	assert_int_equal(create("c", CB, 300000, &c, err, sizeof err), 0);
	assert_int_equal(rtp_apply(rtp, a.id, RTP_EV_PROMPT, NULL, NULL, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(rtp_apply(rtp, b.id, RTP_EV_PROMPT, NULL, NULL, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(rtp_apply(rtp, c.id, RTP_EV_PROMPT, NULL, NULL, NULL, NULL, NULL, err, sizeof err), 0);

	/* b: paid on-us at once, then followed. */
	struct pay_in pin = {
		.idem_scope = "rtp", .idem_key = b.id, .payer_dfsp = "dfspa", .payer_msisdn = CA,
		.till = till_a, .amount = 200000, .channel = PAY_CH_USSD, .mode = PAY_MODE_ONLINE,
		.actor = CA, .role = "customer",
	};
	struct pay_rec pb, pc;
	assert_int_equal(pay_accept(pay, &pin, &pb, NULL), 0);
	assert_int_equal(pb.state, PAY_COMMITTED);
	assert_int_equal(rtp_apply(rtp, b.id, RTP_EV_PAY, NULL, pb.id, NULL, NULL, NULL, err, sizeof err), 0);
	/* c: a payment from dfspb, queued offline, then cancelled: FAILED. */
	pin.idem_key = c.id;
	pin.payer_dfsp = "dfspb";
	pin.payer_msisdn = CB;
	pin.amount = 300000;
	pin.mode = PAY_MODE_OFFLINE;
	assert_int_equal(pay_accept(pay, &pin, &pc, NULL), 0);
	assert_int_equal(pc.state, PAY_QUEUED);
	assert_int_equal(rtp_apply(rtp, c.id, RTP_EV_PAY, NULL, pc.id, NULL, NULL, NULL, err, sizeof err), 0);
	/* Now: nothing expired, b is paid, c still waits for its payment. */
	assert_int_equal(rtp_sweep(rtp, now), 1);
	assert_int_equal(rtp_get(rtp, "dfspa", b.id, &b), 0);
	assert_int_equal(b.state, RTP_PAID);
	assert_string_equal(b.payment_id, pb.id);
	assert_int_equal(rtp_get(rtp, NULL, c.id, &c), 0);
	assert_int_equal(c.state, RTP_PAYING);
	assert_int_equal(pay_cancel(pay, pc.id, "op", NULL, err, sizeof err), 0);
	assert_int_equal(rtp_sweep(rtp, now), 1);
	assert_int_equal(rtp_get(rtp, NULL, c.id, &c), 0);
	assert_int_equal(c.state, RTP_FAILED);
	assert_string_equal(c.fail_code, "cancelled");
	/* Past the lifetime: a expires, with the merchant's SMS. */
	long long sms = count("SELECT count(*) FROM outbox WHERE body LIKE '%%expired without%%'");
	assert_int_equal(rtp_sweep(rtp, now + 179), 0);
	assert_int_equal(rtp_sweep(rtp, now + 181), 1);
	assert_int_equal(rtp_get(rtp, NULL, a.id, &a), 0);
	assert_int_equal(a.state, RTP_EXPIRED);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE body LIKE '%%expired without%%'"), sms + 1);
	assert_int_equal(rtp_sweep(rtp, now + 100000), 0);
	assert_int_equal(rtp_prompted_for(rtp, CA, now, &a), -ENOENT);
}

static void list_and_json(void **state)
{
	(void)state;
	struct rtp_rec q;
	char err[RTP_ERR_MAX], key[16], next[RTP_ID_MAX];
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof key, "l%d", i);
		assert_int_equal(create(key, CA, 100 + i, &q, err, sizeof err), 0);
	}
	struct rtp_rec *items;
	size_t n;
	assert_int_equal(rtp_list(rtp, "dfspa", NULL, -1, NULL, 2, &items, &n, next), 0);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].amount, 104);
	assert_string_equal(next, items[1].id);
	free(items);
	char cur[RTP_ID_MAX];
	snprintf(cur, sizeof cur, "%s", next);
	assert_int_equal(rtp_list(rtp, "dfspa", merchant_a, RTP_PENDING, cur, 10, &items, &n, next), 0);
	assert_int_equal(n, 3);
	assert_int_equal(items[2].amount, 100);
	assert_string_equal(next, "");
	free(items);
	/* Another DFSP sees none, and may not use a cursor of them. */
	assert_int_equal(rtp_list(rtp, "dfspb", NULL, -1, NULL, 0, &items, &n, next), 0);
	assert_int_equal(n, 0);
	free(items);
	assert_int_equal(rtp_list(rtp, "dfspb", NULL, -1, cur, 0, &items, &n, next), -EINVAL);
	assert_int_equal(rtp_list(rtp, NULL, NULL, -1, NULL, RTP_LIST_MAX + 1, &items, &n, next), -EINVAL);
	assert_int_equal(rtp_get(rtp, "dfspb", cur, &q), -ENOENT);
	assert_int_equal(rtp_get(rtp, "dfspa", cur, &q), 0);
	json_t *j = rtp_rec_json(&q);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "PENDING");
	assert_string_equal(json_string_value(json_object_get(j, "payer_msisdn")), CA);
	assert_int_equal(json_integer_value(json_object_get(j, "amount")), q.amount);
	assert_string_equal(json_string_value(json_object_get(j, "amount_display")), "TZS 1.03");
	assert_true(json_is_null(json_object_get(j, "payment_id")));
	json_decref(j);
}

/* A payer of another DFSP: recorded with a transactionRequestId, SENT
 * with the FSP found, the quote of that FSP linked, and its transfer's
 * payment making it PAID. */
static void remote_payer(void **state)
{
	(void)state;
	struct rtp_rec q;
	char err[RTP_ERR_MAX];
	assert_int_equal(create("r0", NOBODY, 500000, &q, err, sizeof err), -ENOENT);
	struct rtp_in in = {
		.idem_scope = "k1", .idem_key = "r1", .channel = RTP_CH_API, .dfsp = "dfspa",
		.merchant_id = merchant_a, .payer_msisdn = NOBODY, .amount = 500000,
		.actor = "pos", .role = "payments", .remote_ok = 1,
	};
	assert_int_equal(rtp_create(rtp, &in, &q, err, sizeof err), 0);
	assert_string_equal(q.payer_dfsp, "");
	assert_int_equal(strlen(q.transaction_request_id), 36);
	char txr[37];
	snprintf(txr, sizeof txr, "%s", q.transaction_request_id);
	/* Not SENT yet: a quote naming it is not taken. */
	const char *q1 = "b51ec534-ee48-4575-b6a9-ead2955b8069";
	assert_int_equal(rtp_on_quote(rtp, txr, q1, "acqbank", merchant_a), -ENOENT);
	assert_int_equal(rtp_apply_fsp(rtp, q.id, RTP_EV_SENT, NULL, "acqbank", &q, err, sizeof err), 0);
	assert_int_equal(q.state, RTP_SENT);
	assert_string_equal(q.payer_fsp, "acqbank");
	/* Another FSP, another merchant, an unknown request: not taken. */
	assert_int_equal(rtp_on_quote(rtp, txr, q1, "otherbank", merchant_a), -ENOENT);
	assert_int_equal(rtp_on_quote(rtp, txr, q1, "acqbank", "99999997"), -ENOENT);
	assert_int_equal(rtp_on_quote(rtp, "a8323bc6-c228-4df2-ae82-e5a997baf899", q1, "acqbank",
				      merchant_a), -ENOENT);
	assert_int_equal(rtp_on_quote(rtp, txr, q1, "acqbank", merchant_a), 0);
	assert_int_equal(rtp_get(rtp, NULL, q.id, &q), 0);
	assert_string_equal(q.quote_id, q1);
	assert_int_equal(q.state, RTP_SENT);
	/* A second quote for it is not taken. */
	assert_int_equal(rtp_on_quote(rtp, txr, "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "acqbank",
				      merchant_a), -ENOENT);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity_id = '%s' AND action = 'quote' "
			       "AND actor = 'acqbank'", q.id), 1);
	/* The transfer of that quote, recorded as a payment received. */
	struct pay_incoming pi = {
		.payee_dfsp = "dfspa", .merchant_id = merchant_a, .payer_fsp = "acqbank",
		.transfer_id = "11111111-2222-4333-8444-555555555555", .quote_id = q1,
		.amount = 500000, .currency = "TZS",
	};
	struct pay_rec pr;
	assert_int_equal(pay_record_incoming(pay, &pi, &pr, err, sizeof err), 0);
	assert_int_equal(rtp_on_transfer(rtp, "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", pr.id), -ENOENT);
	assert_int_equal(rtp_on_transfer(rtp, q1, pr.id), 0);
	assert_int_equal(rtp_get(rtp, NULL, q.id, &q), 0);
	assert_int_equal(q.state, RTP_PAID);
	assert_string_equal(q.payment_id, pr.id);
	/* Again: already PAID. */
	assert_int_equal(rtp_on_transfer(rtp, q1, pr.id), -EPERM);
	/* REJECTED by the payer's DFSP: REFUSED. */
	in.idem_key = "r2";
	assert_int_equal(rtp_create(rtp, &in, &q, err, sizeof err), 0);
	assert_int_equal(rtp_apply(rtp, q.id, RTP_EV_REFUSE, "rejected", NULL, NULL, NULL, &q, err,
				   sizeof err), 0);
	assert_int_equal(q.state, RTP_REFUSED);
	assert_int_equal(rtp_apply_fsp(rtp, q.id, RTP_EV_SENT, NULL, "an-fsp-id-of-more-than-thirty-two-characters", NULL,
				       err, sizeof err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_table),
		cmocka_unit_test(msisdn_forms),
		cmocka_unit_test_setup_teardown(create_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(create_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(refuse_tells_merchant, setup, teardown),
		cmocka_unit_test_setup_teardown(sweep_expires_and_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(list_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(remote_payer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
