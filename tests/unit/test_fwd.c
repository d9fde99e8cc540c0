/* test_fwd.c -- the forwarder (gateway/fwd.h): its decisions (what each
 * answer of the switch leads to at each step, the backoff, the fail
 * codes, when a transfer unknown at the switch is sent again), and on a
 * temporary database with the real loop: the mode,
 * SENDING payments reconciled at start, and a payment whose switch does
 * not answer (a closed loopback port) queued again with a backoff and new
 * ids next time. The end-to-end behaviour is tests/cli/fwd_ttk.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/cfg.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/fspiop.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "gateway/switch.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testdir.h"

static enum fwd_action ans_r(enum fwd_step step, enum switch_status st, int code, int xstate,
			     int verified, int expired, int resendable)
{
	struct fwd_answer a = { st, code, xstate, verified, expired, resendable };
	return fwd_decide(step, &a);
}

static enum fwd_action ans(enum fwd_step step, enum switch_status st, int code, int xstate,
			   int verified, int expired)
{
	return ans_r(step, st, code, xstate, verified, expired, 0);
}

/* Before the transfer nothing can move money: errors fail or requeue. */
static void test_before_transfer(void **state)
{
	(void)state;
	for (int s = FWD_STEP_LOOKUP; s <= FWD_STEP_QUOTE; s++) {
		assert_int_equal(ans(s, SWITCH_OK, 0, -1, 0, 0), FWD_ACT_NEXT);
		assert_int_equal(ans(s, SWITCH_DOWN, 0, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_TIMEOUT, 0, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_INVALID, 0, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_ERROR, 3204, -1, 0, 0), FWD_ACT_FAIL);
		assert_int_equal(ans(s, SWITCH_ERROR, 3100, -1, 0, 0), FWD_ACT_FAIL);
		assert_int_equal(ans(s, SWITCH_ERROR, 5105, -1, 0, 0), FWD_ACT_FAIL);
		assert_int_equal(ans(s, SWITCH_ERROR, 2003, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_ERROR, 1001, -1, 0, 0), FWD_ACT_REQUEUE);
	}
}

/* After the prepare was sent: commit only with a verified fulfilment;
 * any unknown outcome reconciles, never requeues (no second transfer). */
static void test_transfer(void **state)
{
	(void)state;
	enum fwd_step t = FWD_STEP_TRANSFER;
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_COMMITTED, 1, 0), FWD_ACT_COMMIT);
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_COMMITTED, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_RESERVED, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_ABORTED, 0, 0), FWD_ACT_FAIL);
	assert_int_equal(ans(t, SWITCH_TIMEOUT, 0, -1, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_DOWN, 0, -1, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_INVALID, 0, -1, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_ERROR, 4001, -1, 0, 0), FWD_ACT_FAIL);
	assert_int_equal(ans(t, SWITCH_ERROR, 3303, -1, 0, 0), FWD_ACT_RENEW);
	assert_int_equal(ans(t, SWITCH_ERROR, 2001, -1, 0, 0), FWD_ACT_RECONCILE);
	for (int st = SWITCH_OK; st <= SWITCH_INVALID; st++)
		for (int x = -1; x <= FSPIOP_ABORTED; x++)
			for (int code = 1000; code < 6000; code += 97)
				assert_int_not_equal(ans(t, st, code, x, 0, 1), FWD_ACT_REQUEUE);
}

/* Reconciling: new ids only when the transfer is known aborted, or not
 * found after its expiration. */
static void test_get(void **state)
{
	(void)state;
	enum fwd_step g = FWD_STEP_GET;
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_COMMITTED, 1, 0), FWD_ACT_COMMIT);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_COMMITTED, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_ABORTED, 0, 0), FWD_ACT_RENEW);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_RESERVED, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_RECEIVED, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_ERROR, 3208, -1, 0, 0), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_ERROR, 3208, -1, 0, 1), FWD_ACT_RENEW);
	assert_int_equal(ans(g, SWITCH_ERROR, 2001, -1, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_DOWN, 0, -1, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_TIMEOUT, 0, -1, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_INVALID, 0, -1, 0, 1), FWD_ACT_WAIT);
}

/* The resend decision table: a GET answered 3208 (unknown at the switch)
 * for a transfer that has not expired sends the same prepare again (same
 * id); past the expiration new ids; whatever the GET finds otherwise
 * decides as before, resendable or not. */
static void test_get_resend(void **state)
{
	(void)state;
	enum fwd_step g = FWD_STEP_GET;
	assert_int_equal(ans_r(g, SWITCH_ERROR, 3208, -1, 0, 0, 1), FWD_ACT_RESEND);
	assert_int_equal(ans_r(g, SWITCH_ERROR, 3208, -1, 0, 0, 0), FWD_ACT_WAIT);
	assert_int_equal(ans_r(g, SWITCH_ERROR, 3208, -1, 0, 1, 0), FWD_ACT_RENEW);
	assert_int_equal(ans_r(g, SWITCH_ERROR, 3208, -1, 0, 1, 1), FWD_ACT_RENEW);
	/* Found COMMITTED by the GET: done, never resent. */
	assert_int_equal(ans_r(g, SWITCH_OK, 0, FSPIOP_COMMITTED, 1, 0, 1), FWD_ACT_COMMIT);
	assert_int_equal(ans_r(g, SWITCH_OK, 0, FSPIOP_COMMITTED, 0, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans_r(g, SWITCH_OK, 0, FSPIOP_ABORTED, 0, 0, 1), FWD_ACT_RENEW);
	assert_int_equal(ans_r(g, SWITCH_OK, 0, FSPIOP_RESERVED, 0, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans_r(g, SWITCH_OK, 0, FSPIOP_RECEIVED, 0, 0, 1), FWD_ACT_WAIT);
	/* Only a 3208 resends: no answer, another error, or an invalid one
	 * says nothing of whether the switch has the transfer. */
	for (int st = SWITCH_OK; st <= SWITCH_INVALID; st++)
		for (int x = -1; x <= FSPIOP_ABORTED; x++)
			for (int code = 1000; code < 6000; code += 97) {
				int c = st == SWITCH_ERROR && code == 3208 ? 3209 : code;
				assert_int_not_equal(ans_r(g, st, c, x, 1, 0, 1), FWD_ACT_RESEND);
			}
	/* Before the GET nothing resends: a transfer's own answers and the
	 * steps before it decide as they did. */
	for (int s = FWD_STEP_LOOKUP; s <= FWD_STEP_TRANSFER; s++) {
		assert_int_not_equal(ans_r(s, SWITCH_ERROR, 3208, -1, 0, 0, 1), FWD_ACT_RESEND);
		assert_int_not_equal(ans_r(s, SWITCH_TIMEOUT, 0, -1, 0, 0, 1), FWD_ACT_RESEND);
	}
	assert_int_equal(ans_r(FWD_STEP_TRANSFER, SWITCH_TIMEOUT, 0, -1, 0, 0, 1), FWD_ACT_RECONCILE);
	assert_string_equal(fwd_action_name(FWD_ACT_RESEND), "resend");
}

/* When a transfer may be resent: its body recorded, fewer than
 * 1 + FWD_RESEND_MAX sends, and more than the margin before it expires. */
static void test_resendable(void **state)
{
	(void)state;
	assert_int_equal(fwd_resendable(1, 1, 2000, 1000), 1);
	assert_int_equal(fwd_resendable(1, FWD_RESEND_MAX, 2000, 1000), 1);
	assert_int_equal(fwd_resendable(1, FWD_RESEND_MAX + 1, 2000, 1000), 0); /* bounded */
	assert_int_equal(fwd_resendable(0, 1, 2000, 1000), 0);    /* recorded before version 14 */
	assert_int_equal(fwd_resendable(1, 1, 1001, 1000), 1);
	assert_int_equal(fwd_resendable(1, 1, 1000, 1000), 0);    /* the margin: not enough left */
	assert_int_equal(fwd_resendable(1, 1, -5000, 1000), 0);   /* expired */
	assert_int_equal(fwd_resendable(1, 0, 2000, 1000), 0);    /* never sent: no row */
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(fwd_backoff_ms(1, 30000, 0), 1000);
	assert_int_equal(fwd_backoff_ms(2, 30000, 0), 2000);
	assert_int_equal(fwd_backoff_ms(4, 30000, 0), 8000);
	assert_int_equal(fwd_backoff_ms(10, 30000, 0), 30000);
	assert_int_equal(fwd_backoff_ms(0, 30000, 0), 1000);
	/* The jitter: at most a quarter on top, never less than the base. */
	for (uint32_t r = 0; r < 5000; r += 7) {
		int64_t ms = fwd_backoff_ms(3, 30000, r);
		assert_true(ms >= 4000 && ms <= 5000);
	}
	assert_int_not_equal(fwd_backoff_ms(3, 30000, 1), fwd_backoff_ms(3, 30000, 2));
}

static void test_names(void **state)
{
	(void)state;
	char code[PAY_CODE_MAX];
	fwd_fail_code(3204, code);
	assert_string_equal(code, "fspiop_3204");
	assert_string_equal(fwd_action_name(FWD_ACT_RENEW), "renew");
	assert_string_equal(fwd_action_name(FWD_ACT_COMMIT), "commit");
	assert_string_equal(fwd_action_name((enum fwd_action)99), "?");
}


/* ---- on a database, with the loop ---- */

static char dir[256];
static char path[300];
static int nfile;
static struct kyb_mcc *mcc;
static struct kyb_tiers *tiers;
static struct gw gw;
static char till[MERCHANT_ID_MAX];
#define CB "255700000003" /* a C2 customer of dfspb, paying dfspa's merchant */

static const struct merchant_owner_in owner = { "Juma Hassan", "national_id",
						"19900101123450000112", "+255712345678" };
static const struct merchant_location_in loc = { "Main shop", "Dar es Salaam", NULL, 0, 0, 0 };

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	if (testdir_make(dir, sizeof dir, "test_fwd") < 0)
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

static int setup(void **state)
{
	(void)state;
	char err[256];
	memset(&gw, 0, sizeof gw);
	if (cfg_defaults(&gw.cfg) < 0)
		return -1;
	struct merchant_reg_opts o = {
		.id_scheme = MERCHANT_ID_SEQUENTIAL, .merchant_id_digits = 8, .till_digits = 7,
		.data_dir = dir, .country = "TZ", .tiers = tiers, .mcc = mcc,
	};
	snprintf(path, sizeof path, "%s/db%d.sqlite", dir, nfile++);
	if (db_open(&gw.db, path, 0, err, sizeof err) < 0 || !(gw.ev = ev_new(err, sizeof err))) {
		print_error("setup: %s\n", err);
		return -1;
	}
	raw("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A'), ('dfspb', 'DFSP B')");
	raw("INSERT INTO customer (dfsp, msisdn, name, account_ref, tier, status, created_by) VALUES "
	    "('dfspb', '" CB "', 'Daudi', 'B-2', 'C2', 'ACTIVE', 'test')");
	struct merchant_errs errs;
	char mid[MERCHANT_ID_MAX];
	struct merchant_in in = {
		.trading_name = "MAMA JUMA SHOP", .type = "individual", .mcc = "5411",
		.contact_phone = "+255712345678", .owners = &owner, .n_owners = 1,
		.locations = &loc, .n_locations = 1,
	};
	if (merchant_reg_new(&gw.reg, gw.db, &o, err, sizeof err) < 0 ||
	    outbox_new(&gw.outbox, gw.db, err, sizeof err) < 0 ||
	    merchant_self_register(gw.reg, "dfspa", "+255712345678", &in, mid, &errs) < 0) {
		print_error("setup: %s\n", err);
		return -1;
	}
	struct pay_opts po = { .reg = gw.reg, .outbox = gw.outbox, .tiers = tiers };
	if (pay_new(&gw.pay, gw.db, &po, err, sizeof err) < 0) {
		print_error("pay_new: %s\n", err);
		return -1;
	}
	sqlite3 *c;
	sqlite3_stmt *st;
	till[0] = 0;
	if (sqlite3_open(path, &c) == SQLITE_OK &&
	    sqlite3_prepare_v2(c, "SELECT till_number FROM till", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(till, sizeof till, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(c);
	return till[0] ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	fwd_free(gw.fwd);
	switch_free(gw.sw);
	pay_free(gw.pay);
	outbox_free(gw.outbox);
	merchant_reg_free(gw.reg);
	ev_free(gw.ev);
	db_close(gw.db);
	cfg_free(&gw.cfg);
	memset(&gw, 0, sizeof gw);
	return 0;
}

static void pay_one(const char *key, enum pay_mode mode, struct pay_rec *out)
{
	struct pay_in in = {
		.idem_scope = "k1", .idem_key = key, .payer_dfsp = "dfspb", .payer_msisdn = CB,
		.till = till, .amount = 500, .channel = PAY_CH_API, .mode = mode,
		.actor = "app", .role = "payments",
	};
	assert_int_equal(pay_accept(gw.pay, &in, out, NULL), 0);
}

/* Without a switch: offline, and nothing moves. */
static void test_no_switch(void **state)
{
	(void)state;
	char err[200];
	assert_int_equal(fwd_mode(&gw), PAY_MODE_OFFLINE);
	assert_int_equal(fwd_new(&gw.fwd, &gw, err, sizeof err), 0);
	assert_int_equal(fwd_mode(&gw), PAY_MODE_OFFLINE);
	struct pay_rec r;
	pay_one("a1", PAY_MODE_ONLINE, &r);
	assert_int_equal(r.state, PAY_ACCEPTED);
	fwd_kick(&gw, r.id);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'ACCEPTED'"), 1);
}

/* A payment SENDING when the daemon stopped is RECONCILING at start, and
 * the other states stay. */
static void test_resume(void **state)
{
	(void)state;
	char err[200];
	struct pay_rec a, q;
	pay_one("s1", PAY_MODE_ONLINE, &a);
	pay_one("s2", PAY_MODE_OFFLINE, &q);
	struct pay_ids ids = { "0b3f5a6c-1d2e-4f30-8a41-5b6c7d8e9f00",
			       "1b3f5a6c-1d2e-4f30-8a41-5b6c7d8e9f00",
			       "2b3f5a6c-1d2e-4f30-8a41-5b6c7d8e9f00" };
	assert_int_equal(pay_transition(gw.pay, a.id, PAY_SENDING, PAY_BY_FORWARDER, NULL, NULL,
					&ids, -1, 0, NULL, NULL, NULL, err, sizeof err), 0);
	assert_int_equal(fwd_new(&gw.fwd, &gw, err, sizeof err), 0);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s' AND state = "
			       "'RECONCILING' AND transfer_id = '%s'", a.id, ids.transfer_id), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'payment' AND "
			       "entity_id = '%s' AND action = 'reconciling'", a.id), 1);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s' AND state = 'QUEUED'",
			       q.id), 1);
}

static void stop_when_queued(struct ev *ev, uint64_t id, void *arg)
{
	(void)id;
	const char *pid = arg;
	static int rounds;
	if (count("SELECT count(*) FROM payment WHERE id = '%s' AND state = 'QUEUED'", pid) == 1 ||
	    ++rounds > 200) {
		rounds = 0;
		ev_stop(ev);
		return;
	}
	ev_timer_add(ev, 25, stop_when_queued, arg);
}

/* What a watch of the forwarder heard. */
struct heard {
	int calls;
	int nulls;
	enum pay_state state;
	char id[PAY_ID_MAX];
};

static void on_heard(void *arg, const struct pay_rec *rec)
{
	struct heard *h = arg;
	h->calls++;
	if (!rec) {
		h->nulls++;
		return;
	}
	h->state = rec->state;
	snprintf(h->id, sizeof h->id, "%s", rec->id);
}

/* The switch's port is closed: the lookup is DOWN, nothing that could
 * commit was sent, so the payment is QUEUED again with a backoff, its
 * attempt counted; the link is down, so the next payment is offline. */
static void test_switch_down_requeues(void **state)
{
	(void)state;
	char err[200];
	/* A loopback port nobody listens on: bound, never listened, closed. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	char ep[64];
	snprintf(ep, sizeof ep, "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	struct switch_opts o = {
		.endpoint = ep, .merchant_party_type = "ALIAS", .transfer_expiry_s = 30,
		.callback_timeout_ms = 1000, .max_inflight = 4, .answer_budget_ms = 2000,
		.tls_cert = "", .tls_key = "", .tls_ca = "", .jws_key = "",
	};
	assert_int_equal(switch_new(&gw.sw, gw.ev, &o, err, sizeof err), 0);
	assert_int_equal(fwd_new(&gw.fwd, &gw, err, sizeof err), 0);
	assert_int_equal(fwd_mode(&gw), PAY_MODE_ONLINE); /* not known yet: the first try tells */
	struct pay_rec r;
	pay_one("d1", fwd_mode(&gw), &r);
	assert_int_equal(r.state, PAY_ACCEPTED);
	/* Three watches: one told of the requeue, one dropped before, one of
	 * another payment told only when the forwarder goes. */
	static struct heard told, dropped, other;
	memset(&told, 0, sizeof told);
	memset(&dropped, 0, sizeof dropped);
	memset(&other, 0, sizeof other);
	assert_true(fwd_watch(&gw, r.id, on_heard, &told) > 0);
	uint64_t wd = fwd_watch(&gw, r.id, on_heard, &dropped);
	assert_true(wd > 0);
	assert_true(fwd_watch(&gw, "P000000000000000000000000", on_heard, &other) > 0);
	fwd_unwatch(&gw, wd);
	fwd_unwatch(&gw, 0);
	fwd_kick(&gw, r.id);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s' AND state = 'SENDING' "
			       "AND length(transfer_id) = 36", r.id), 1);
	assert_int_equal(told.calls, 0); /* SENDING is not told */
	static char pid[PAY_ID_MAX];
	snprintf(pid, sizeof pid, "%s", r.id);
	ev_timer_add(gw.ev, 25, stop_when_queued, pid);
	assert_int_equal(ev_run(gw.ev), 0);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE id = '%s' AND state = 'QUEUED' "
			       "AND attempts = 1 AND next_at > strftime('%%s', 'now') - 1", r.id), 1);
	assert_int_equal(count("SELECT count(*) FROM payment_transfer"), 0); /* never sent */
	assert_int_equal(switch_link(gw.sw)->up, 0);
	assert_int_equal(fwd_mode(&gw), PAY_MODE_OFFLINE);
	char buf[2048] = "";
	FILE *m = fmemopen(buf, sizeof buf, "w");
	assert_non_null(m);
	fwd_metrics(gw.fwd, m);
	fclose(m);
	assert_non_null(strstr(buf, "tillgate_forward_total{outcome=\"requeued\"} 1\n"));
	assert_non_null(strstr(buf, "tillgate_forward_total{outcome=\"committed\"} 0\n"));
	assert_non_null(strstr(buf, "tillgate_forward_total{outcome=\"resent\"} 0\n"));
	assert_int_equal(told.calls, 1);
	assert_int_equal(told.state, PAY_QUEUED);
	assert_string_equal(told.id, r.id);
	assert_int_equal(dropped.calls, 0);
	assert_int_equal(other.calls, 0);
	fwd_free(gw.fwd);
	gw.fwd = NULL;
	assert_int_equal(other.calls, 1);
	assert_int_equal(other.nulls, 1);
	assert_int_equal(told.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_transfer),
		cmocka_unit_test(test_transfer),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_resend),
		cmocka_unit_test(test_resendable),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_names),
	};
	const struct CMUnitTest db_tests[] = {
		cmocka_unit_test_setup_teardown(test_no_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_down_requeues, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	return rc | cmocka_run_group_tests(db_tests, group_setup, group_teardown);
}
