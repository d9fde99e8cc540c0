/* test_als.c -- unit tests of the registrations at the switch's account
 * lookup service (gateway/als.c and the triggers of schema version 11)
 * on a temporary database: the outbox rows each fact queues through the
 * merchant registry (none while DRAFT or SUBMITTED; POST on approval,
 * self-registration, a till added or reactivated; DELETE on suspension,
 * closure, a till suspended or closed), that they commit or roll back
 * with the change, that the rows of one party are claimed one at a time
 * in order, that a restart puts rows left 'sending' back, and the drain
 * against a switch that refuses the connection (the row waits, retried
 * later, nothing lost). The exchanges with a switch are in
 * tests/cli/als.sh. */
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

#include "gateway/als.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/switch.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"

static char dir[256];
static char path[300];
static int nfile;
static struct db *db;
static struct outbox *ob;
static struct merchant_reg *reg;
static struct kyb_mcc *mcc;
static struct kyb_tiers *tiers;

static const struct merchant_actor maker = { "alice", "dfspa", ROLE_MAKER };
static const struct merchant_actor checker = { "bob", "dfspa", ROLE_CHECKER };
static const struct merchant_owner_in owner = { "Juma Hassan", "national_id",
						"19900101123450000112", "+255712345678" };
static const struct merchant_location_in loc = { "Main shop", "Arusha", "Sokoine Rd", 1, 0, 0 };

static struct merchant_in t0(const char *name)
{
	return (struct merchant_in){
		.trading_name = name, .type = "small_shop", .mcc = "5411", .tier = "T0",
		.contact_phone = "+255712345678", .owners = &owner, .n_owners = 1,
		.locations = &loc, .n_locations = 1,
	};
}

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	if (testdir_make(dir, sizeof dir, "test_als") < 0)
		return -1;
	log_set_levels("none", err, sizeof err);
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

static int setup(void **state)
{
	(void)state;
	char err[256];
	struct merchant_reg_opts o = {
		.id_scheme = MERCHANT_ID_SEQUENTIAL, .merchant_id_digits = 8, .till_digits = 7,
		.data_dir = dir, .country = "TZ", .tiers = tiers, .mcc = mcc,
	};
	snprintf(path, sizeof path, "%s/db%d.sqlite", dir, nfile++);
	if (db_open(&db, path, 0, err, sizeof err) < 0 || outbox_new(&ob, db, err, sizeof err) < 0) {
		print_error("setup: %s\n", err);
		return -1;
	}
	testdb_exec(path, "INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A')");
	if (merchant_reg_new(&reg, db, &o, err, sizeof err) < 0) {
		print_error("merchant_reg_new: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	merchant_reg_free(reg);
	outbox_free(ob);
	db_close(db);
	return 0;
}

/* Rows of kind 'als' for dest with body (NULL: any). */
static long long rows(const char *dest, const char *body)
{
	if (body)
		return testdb_count(path,
				    "SELECT count(*) FROM outbox WHERE kind = 'als' AND dest = '%s' "
				    "AND body = '%s' AND dfsp = 'dfspa' AND state = 'pending'",
				    dest, body);
	return testdb_count(path, "SELECT count(*) FROM outbox WHERE kind = 'als'%s%s%s",
			    dest ? " AND dest = '" : "", dest ? dest : "", dest ? "'" : "");
}

/* A merchant created, submitted and approved through the registry; its
 * merchant id and first till in mid and till. */
static void approved(const char *name, char mid[MERCHANT_ID_MAX], char till[MERCHANT_ID_MAX])
{
	struct merchant_in in = t0(name);
	struct merchant_errs errs;
	char err[256];
	assert_int_equal(merchant_create(reg, &maker, &in, mid, &errs), 0);
	assert_int_equal(merchant_act(reg, &maker, mid, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_act(reg, &checker, mid, MA_APPROVE, NULL, err, sizeof err), 0);
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT till_number FROM till WHERE merchant_id = '%s'", mid);
	long long t = testdb_count(path, "%s", sql);
	assert_true(t > 0);
	snprintf(till, MERCHANT_ID_MAX, "%lld", t);
}

static void facts_queue_rows(void **state)
{
	(void)state;
	struct merchant_in in = t0("MAMA JUMA SHOP");
	struct merchant_errs errs;
	char mid[MERCHANT_ID_MAX], err[256], m[40], t1[40], t2[40];

	/* DRAFT and SUBMITTED: not payable, nothing to register */
	assert_int_equal(merchant_create(reg, &maker, &in, mid, &errs), 0);
	assert_int_equal(merchant_act(reg, &maker, mid, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(rows(NULL, NULL), 0);
	/* a till added to a SUBMITTED merchant: nothing either */
	long long locid = testdb_count(path, "SELECT id FROM location WHERE merchant_id = '%s'", mid);
	char till2[MERCHANT_ID_MAX];
	assert_int_equal(merchant_till_add(reg, &maker, mid, locid, "Counter 2", till2), 0);
	assert_int_equal(rows(NULL, NULL), 0);

	/* approved: the merchant (BUSINESS) and each active till */
	assert_int_equal(merchant_act(reg, &checker, mid, MA_APPROVE, NULL, err, sizeof err), 0);
	long long till1 = testdb_count(path,
				       "SELECT min(till_number) FROM till WHERE merchant_id = '%s'", mid);
	snprintf(m, sizeof m, "merchant/%s", mid);
	snprintf(t1, sizeof t1, "till/%lld", till1);
	snprintf(t2, sizeof t2, "till/%s", till2);
	if (strcmp(t1, t2) == 0)
		snprintf(t1, sizeof t1, "till/%lld",
			 testdb_count(path, "SELECT max(till_number) FROM till WHERE merchant_id = '%s'",
				      mid));
	assert_int_equal(rows(NULL, NULL), 3);
	assert_int_equal(rows(m, "POST"), 1);
	assert_int_equal(rows(t1, "POST"), 1);
	assert_int_equal(rows(t2, "POST"), 1);
	/* each row names the merchant it is for */
	assert_int_equal(testdb_count(path, "SELECT count(*) FROM outbox WHERE kind = 'als' AND ref = '%s'",
				      mid), 3);

	/* a till added now: one POST */
	char till3[MERCHANT_ID_MAX], t3[40];
	assert_int_equal(merchant_till_add(reg, &maker, mid, locid, "Counter 3", till3), 0);
	snprintf(t3, sizeof t3, "till/%s", till3);
	assert_int_equal(rows(t3, "POST"), 1);
	assert_int_equal(rows(NULL, NULL), 4);

	/* a till suspended: DELETE; reactivated: POST; closed: DELETE */
	json_t *out = NULL;
	assert_int_equal(merchant_till_act(reg, &checker, mid, till3, "suspend", "broken", err,
					   sizeof err, &out), 0);
	json_decref(out);
	assert_int_equal(rows(t3, "DELETE"), 1);
	assert_int_equal(merchant_till_act(reg, &checker, mid, till3, "reactivate", NULL, err,
					   sizeof err, &out), 0);
	json_decref(out);
	assert_int_equal(rows(t3, "POST"), 2);
	assert_int_equal(merchant_till_act(reg, &checker, mid, till3, "close", "gone", err,
					   sizeof err, &out), 0);
	json_decref(out);
	assert_int_equal(rows(t3, "DELETE"), 2);
	assert_int_equal(rows(NULL, NULL), 7);

	/* the merchant suspended: DELETE for it and its two active tills,
	 * none for the closed one */
	assert_int_equal(merchant_act(reg, &checker, mid, MA_SUSPEND, "fraud check", err, sizeof err),
			 0);
	assert_int_equal(rows(m, "DELETE"), 1);
	assert_int_equal(rows(t1, "DELETE"), 1);
	assert_int_equal(rows(t2, "DELETE"), 1);
	assert_int_equal(rows(t3, NULL), 4);
	assert_int_equal(rows(NULL, NULL), 10);
	/* a till suspended while the merchant is: nothing more to remove */
	assert_int_equal(merchant_till_act(reg, &checker, mid, till2, "suspend", "broken", err,
					   sizeof err, &out), 0);
	json_decref(out);
	assert_int_equal(rows(NULL, NULL), 10);
	/* reinstated: POST again for the merchant and its one active till */
	assert_int_equal(merchant_act(reg, &checker, mid, MA_REINSTATE, "cleared", err, sizeof err), 0);
	assert_int_equal(rows(m, "POST"), 2);
	assert_int_equal(rows(t1, "POST"), 2);
	assert_int_equal(rows(t2, "POST"), 1);
	assert_int_equal(rows(NULL, NULL), 12);
	/* closed: DELETE for both */
	assert_int_equal(merchant_act(reg, &checker, mid, MA_CLOSE, "closed shop", err, sizeof err),
			 0);
	assert_int_equal(rows(m, "DELETE"), 2);
	assert_int_equal(rows(t1, "DELETE"), 2);
	assert_int_equal(rows(NULL, NULL), 14);

	/* USSD self-registration: APPROVED at once, the merchant and its till */
	struct merchant_in self = t0("MAMA NTILIE");
	self.tier = NULL;
	char smid[MERCHANT_ID_MAX], sm[40];
	assert_int_equal(merchant_self_register(reg, "dfspa", "+255712345679", &self, smid, &errs), 0);
	snprintf(sm, sizeof sm, "merchant/%s", smid);
	assert_int_equal(rows(sm, "POST"), 1);
	assert_int_equal(testdb_count(path,
				      "SELECT count(*) FROM outbox o JOIN till t ON o.dest = "
				      "'till/' || t.till_number WHERE o.kind = 'als' AND o.body = 'POST' "
				      "AND t.merchant_id = '%s'",
				      smid),
			 1);
	assert_int_equal(rows(NULL, NULL), 16);
}

static void rows_follow_the_transaction(void **state)
{
	(void)state;
	char mid[MERCHANT_ID_MAX], till[MERCHANT_ID_MAX], sql[300];
	approved("MAMA JUMA SHOP", mid, till);
	assert_int_equal(rows(NULL, NULL), 2);
	/* a suspension rolled back leaves no DELETE behind */
	snprintf(sql, sizeof sql,
		 "BEGIN; UPDATE merchant SET status = 'SUSPENDED', status_reason = 'x' WHERE "
		 "merchant_id = '%s'; ROLLBACK;",
		 mid);
	testdb_exec(path, sql);
	assert_int_equal(rows(NULL, NULL), 2);
	snprintf(sql, sizeof sql,
		 "BEGIN; UPDATE merchant SET status = 'SUSPENDED', status_reason = 'x' WHERE "
		 "merchant_id = '%s'; COMMIT;",
		 mid);
	testdb_exec(path, sql);
	assert_int_equal(rows(NULL, NULL), 4);
	/* an update that leaves the status as it was queues nothing */
	snprintf(sql, sizeof sql, "UPDATE merchant SET status = 'SUSPENDED' WHERE merchant_id = '%s'",
		 mid);
	testdb_exec(path, sql);
	assert_int_equal(rows(NULL, NULL), 4);
}

static void one_party_at_a_time(void **state)
{
	(void)state;
	char mid[MERCHANT_ID_MAX], till[MERCHANT_ID_MAX], err[256], t[40];
	approved("MAMA JUMA SHOP", mid, till);
	snprintf(t, sizeof t, "till/%s", till);
	json_t *out = NULL;
	assert_int_equal(merchant_till_act(reg, &checker, mid, till, "suspend", "broken", err,
					   sizeof err, &out), 0);
	json_decref(out);
	/* rows: 1 merchant POST, 2 till POST, 3 till DELETE */
	int64_t now = (int64_t)time(NULL);
	struct outbox_row a, b, c;
	assert_int_equal(outbox_claim_ordered(ob, "als", now, &a), 1);
	assert_string_equal(a.body, "POST");
	assert_string_equal(a.dfsp, "dfspa");
	assert_int_equal(a.attempts, 1);
	assert_int_equal(outbox_claim_ordered(ob, "als", now, &b), 1);
	assert_string_equal(b.dest, t);
	assert_string_equal(b.body, "POST");
	/* the till's DELETE waits for its POST */
	assert_int_equal(outbox_claim_ordered(ob, "als", now, &c), 0);
	/* ... also while the POST waits for a retry */
	assert_int_equal(outbox_retry(ob, b.id, now + 3600, "no callback"), 0);
	assert_int_equal(outbox_claim_ordered(ob, "als", now, &c), 0);
	/* the plain claim would not wait: that is the SMS drain's */
	assert_int_equal(outbox_claim(ob, "als", now + 3600, &c), 1);
	assert_int_equal(c.id, b.id);
	assert_int_equal(c.attempts, 2);
	assert_int_equal(outbox_delivered(ob, c.id, NULL), 0);
	assert_int_equal(outbox_delivered(ob, c.id, NULL), -ENOENT);
	outbox_row_free(&c);
	assert_int_equal(outbox_claim_ordered(ob, "als", now, &c), 1);
	assert_string_equal(c.dest, t);
	assert_string_equal(c.body, "DELETE");
	/* a restart: rows left 'sending' are due again, attempts kept */
	assert_int_equal(outbox_requeue(ob, "als", "restart"), 2);
	assert_int_equal(outbox_count(ob, "als", "sending"), 0);
	assert_int_equal(outbox_count(ob, "als", "pending"), 2);
	assert_int_equal(outbox_count(ob, "als", "delivered"), 1);
	assert_int_equal(testdb_count(path, "SELECT attempts FROM outbox WHERE id = %lld",
				      (long long)c.id), 1);
	outbox_row_free(&a);
	outbox_row_free(&b);
	outbox_row_free(&c);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	outbox_metrics(ob, f);
	fclose(f);
	assert_non_null(strstr(buf, "\ntillgate_outbox_rows{kind=\"als\",state=\"pending\"} 2\n"));
	assert_non_null(strstr(buf, "\ntillgate_outbox_rows{kind=\"als\",state=\"delivered\"} 1\n"));
	assert_non_null(strstr(buf, "\ntillgate_outbox_rows{kind=\"sms\",state=\"pending\"} 0\n"));
	free(buf);
}

static void drain_waits_for_the_switch(void **state)
{
	(void)state;
	char mid[MERCHANT_ID_MAX], till[MERCHANT_ID_MAX], err[256];
	approved("MAMA JUMA SHOP", mid, till);
	/* a row some earlier run left in flight */
	testdb_exec(path, "UPDATE outbox SET state = 'sending', attempts = 1 WHERE kind = 'als' AND "
			  "dest LIKE 'merchant/%'");
	struct ev *ev = ev_new(err, sizeof err);
	assert_non_null(ev);
	struct switch_opts o = {
		.endpoint = "http://127.0.0.1:1", .merchant_party_type = "ALIAS",
		.transfer_expiry_s = 30, .callback_timeout_ms = 2000, .max_inflight = 10,
		.answer_budget_ms = 8000,
	};
	struct switch_conn *sw = NULL;
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), 0);
	struct als *a = NULL;
	assert_int_equal(als_new(&a, ev, ob, sw, "TZ", err, sizeof err), -EINVAL);
	assert_null(a);
	assert_int_equal(als_new(&a, ev, ob, sw, "TZS", err, sizeof err), 0);
	/* requeued at start */
	assert_int_equal(outbox_count(ob, "als", "sending"), 0);
	assert_int_equal(outbox_count(ob, "als", "pending"), 2);
	/* nothing listens on port 1: both sent, both back to wait */
	for (int i = 0; i < 100 && als_counters(a)->retried < 2; i++)
		ev_run_once(ev, 100);
	const struct als_counters *c = als_counters(a);
	assert_int_equal(c->sent, 2);
	assert_int_equal(c->retried, 2);
	assert_int_equal(c->delivered + c->failed, 0);
	assert_int_equal(als_inflight(a), 0);
	assert_int_equal(outbox_count(ob, "als", "pending"), 2);
	assert_int_equal(testdb_count(path, "SELECT count(*) FROM outbox WHERE kind = 'als' AND "
					    "next_at > strftime('%%s', 'now') AND last_error LIKE '%%onnect%%'"),
			 2);
	assert_int_equal(testdb_count(path, "SELECT attempts FROM outbox WHERE dest = 'merchant/%s'",
				      mid), 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	als_metrics(a, f);
	fclose(f);
	assert_non_null(strstr(buf, "\ntillgate_als_sent_total 2\n"));
	assert_non_null(strstr(buf, "\ntillgate_als_retried_total 2\n"));
	free(buf);
	als_stop(a);
	als_free(a);
	switch_free(sw);
	ev_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(facts_queue_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(rows_follow_the_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(one_party_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(drain_waits_for_the_switch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
