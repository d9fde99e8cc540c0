/* test_ussd_pay.c -- unit tests of the customer flows "Activate"
 * (ussd/ussd_flow_cust.c) and "Pay merchant" (ussd/ussd_flow_pay.c)
 * through the session table and the real menu engine, on a temporary
 * database with a real registry, outbox, customers and payments: the main
 * menu by who is dialling, every state's validation (code form, wrong
 * code, trivial and mismatched PINs; till check digit, unknown and
 * inactive tills; amounts: the reader's table, 0, decimals, forms),
 * the PIN gate with its lock-out, an on-us payment committed with its
 * SMS, the direct string, a limit named, and suspended customers; and
 * a payment to another DFSP's merchant answered later: the forwarder
 * (gateway/fwd.c) on a real connector to a loopback switch that is closed
 * (back to QUEUED: "Accepted", or over the offline limits a refusal that
 * names the limit) or silent (the budget answers: "Accepted" within the
 * offline limits, "not confirmed yet" over them), and a dialogue aborted
 * while its answer is pending; and a merchant's request to pay
 * (ussd/ussd_flow_rtp.c) paid from the payer's phone, answered later in
 * the same way (the request PAYING with its payment). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "gateway/cfg.h"
#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "gateway/rtp.h"
#include "gateway/switch.h"
#include "kyb/kyb_check.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"
#include "merchant/merchant_pin.h"
#include "tests/unit/testdir.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"
#include "ussd/ussd_text.h"

#define OWNER "+255712582946"
#define CUST "255754111222"
#define CUST_E164 "+255754111222"
#define CUST2 "255754333444" /* a customer of Bank B: its payments go to the switch */
#define CUST2_E164 "+255754333444"

static char dir[256], dbpath[300], logpath[300];
static struct gw gw;
static sqlite3 *raw;
static char till[MERCHANT_ID_MAX], mid[MERCHANT_ID_MAX], code[CUST_CODE_SIZE], code2[CUST_CODE_SIZE];
static int64_t cid;

static const struct merchant_actor maker = { "alice", "dfspa", ROLE_MAKER };
static const struct merchant_actor checker = { "bob", "dfspa", ROLE_CHECKER };
static const struct merchant_actor maker_b = { "carol", "dfspb", ROLE_MAKER };

static void sql(const char *s)
{
	char *e = NULL;
	if (sqlite3_exec(raw, s, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", s, e);
}

static long long count(const char *s)
{
	sqlite3_stmt *st;
	long long n = -1;
	assert_int_equal(sqlite3_prepare_v2(raw, s, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (testdir_make(dir, sizeof dir, "test_ussd_pay") < 0 || cfg_defaults(&gw.cfg) < 0)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	if (log_open(logpath) < 0 || log_set_levels("debug", err, sizeof err) < 0)
		return -1;
	struct merchant_reg_opts ro = { .id_scheme = MERCHANT_ID_SEQUENTIAL, .merchant_id_digits = 8,
					.till_digits = 7, .data_dir = dir, .country = "TZ" };
	if (db_open(&gw.db, dbpath, 0, err, sizeof err) < 0 || !(gw.ev = ev_new(err, sizeof err)) ||
	    kyb_mcc_builtin(&gw.mcc, err, sizeof err) < 0 || kyb_tiers_builtin(&gw.tiers, NULL) < 0)
		goto bad;
	ro.tiers = gw.tiers;
	ro.mcc = gw.mcc;
	struct cust_opts co = { gw.tiers, { 1, 8 }, 3, 1800, 604800 };
	if (merchant_reg_new(&gw.reg, gw.db, &ro, err, sizeof err) < 0 ||
	    outbox_new(&gw.outbox, gw.db, err, sizeof err) < 0 ||
	    cust_new(&gw.cust, gw.db, &co, err, sizeof err) < 0)
		goto bad;
	struct pay_opts pyo = { gw.reg, gw.outbox, gw.tiers };
	if (pay_new(&gw.pay, gw.db, &pyo, err, sizeof err) < 0 ||
	    ussd_sess_new(&gw.ussd, &gw, err, sizeof err) < 0)
		goto bad;
	if (sqlite3_open(dbpath, &raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(raw, 5000);
	sql("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'Bank A'), ('dfspb', 'Bank B')");
	/* A merchant of Bank A with one till, and a customer of Bank A. */
	struct merchant_owner_in own = { "Juma Hassan", "national_id", "19900101123450000112", OWNER };
	struct merchant_location_in loc = { "Shop", "Arusha", NULL, 0, 0, 0 };
	struct merchant_in in = { .trading_name = "MAMA JUMA SHOP", .type = "individual", .mcc = "5411",
				  .owners = &own, .n_owners = 1, .locations = &loc, .n_locations = 1 };
	struct merchant_errs errs;
	if (merchant_self_register(gw.reg, "dfspa", OWNER, &in, mid, &errs) < 0)
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(raw, "SELECT till_number FROM till", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		return -1;
	snprintf(till, sizeof till, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	struct cust_in ci = { CUST_E164, "Amina Said", "ACC-1", "C0" };
	struct cust_info info;
	if (cust_enroll(gw.cust, &maker, &ci, code, &info, &errs) < 0)
		return -1;
	cid = info.id;
	struct cust_in ci2 = { CUST2_E164, "Baraka Ali", "ACC-2", "C0" };
	if (cust_enroll(gw.cust, &maker_b, &ci2, code2, &info, &errs) < 0)
		return -1;
	return 0;
bad:
	fprintf(stderr, "setup: %s\n", err);
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(raw);
	/* The sessions first: a pending answer lets go of its watch. */
	ussd_sess_free(gw.ussd);
	fwd_free(gw.fwd);
	switch_free(gw.sw);
	rtp_free(gw.rtp);
	pay_free(gw.pay);
	cust_free(gw.cust);
	outbox_free(gw.outbox);
	merchant_reg_free(gw.reg);
	kyb_tiers_free(gw.tiers);
	kyb_mcc_free(gw.mcc);
	ev_free(gw.ev);
	db_close(gw.db);
	cfg_free(&gw.cfg);
	memset(&gw, 0, sizeof gw);
	log_open(NULL);
	return testdir_remove(dir);
}

static struct ussd_reply last;

static int cancelled;

static void got(void *arg, const struct ussd_reply *r)
{
	(*(int *)arg)++;
	if (r)
		last = *r;
	else
		cancelled++;
}

static const char *step(enum ussd_step st, const char *key, const char *msisdn, const char *text)
{
	static char buf[USSD_REPLY_MAX + 8];
	struct ussd_step_in in = { st, key, msisdn, text, "test" };
	int calls = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	assert_int_equal(calls, 1);
	if (!ussd_text_fits(last.text))
		fail_msg("screen does not fit: %s", last.text);
	if (strstr(last.text, "Service unavailable"))
		fail_msg("internal error screen after '%s'", text);
	snprintf(buf, sizeof buf, "%s %s", last.end ? "END" : "CON", last.text);
	return buf;
}

static const char *dial_as(const char *key, const char *msisdn, const char *dialled)
{
	return step(USSD_BEGIN, key, msisdn, dialled);
}

static const char *say(const char *key, const char *answer)
{
	return step(USSD_CONTINUE, key, CUST, answer);
}

#define starts(s, prefix) do { \
	const char *s_ = (s); \
	if (strncmp(s_, prefix, strlen(prefix)) != 0) \
		fail_msg("screen \"%s\" does not start with \"%s\"", s_, prefix); \
} while (0)

#define holds(s, part) do { \
	const char *s_ = (s); \
	if (!strstr(s_, part)) \
		fail_msg("screen \"%s\" lacks \"%s\"", s_, part); \
} while (0)

static void activate(void)
{
	assert_int_equal(cust_activate(gw.cust, "dfspa", CUST, code, "5927"), 0);
}

/* ---- the amount reader ---- */

static void amount_reader(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int exponent;
		const char *why;
		int64_t v;
		int pos;
	} t[] = {
		{ "5000", 2, NULL, 500000, 0 },
		{ "5000.5", 2, NULL, 500050, 0 },
		{ "5000.50", 2, NULL, 500050, 0 },
		{ "5,000", 2, NULL, 500000, 0 },
		{ "12,500.75", 2, NULL, 1250075, 0 },
		{ "0.01", 2, NULL, 1, 0 },
		{ "98", 0, NULL, 98, 0 },
		{ "1.0001", 4, NULL, 10001, 0 },
		{ "10000000000000", 2, NULL, 1000000000000000LL, 0 }, /* the largest */
		{ "10000000000000.01", 2, "pay.amount_big", 0, -1 },
		{ "5000.505", 2, "pay.amount_decimals", 0, 7 },
		{ "5.5", 0, "pay.amount_form", 0, 1 },
		{ "0", 2, "pay.amount_zero", 0, -1 },
		{ "0.00", 2, "pay.amount_zero", 0, -1 },
		{ "-5", 2, "pay.amount_form", 0, 0 },
		{ "", 2, "pay.amount_form", 0, 0 },
		{ ".5", 2, "pay.amount_form", 0, 0 },
		{ "5.", 2, "pay.amount_form", 0, 2 },
		{ "5,00", 2, "pay.amount_form", 0, 1 },
		{ "5,0000", 2, "pay.amount_form", 0, 1 },
		{ "1234,567", 2, "pay.amount_form", 0, 4 },
		{ "1,234,567", 2, "pay.amount_form", 0, 5 },
		{ "5000x", 2, "pay.amount_form", 0, 4 },
		{ "5 000", 2, "pay.amount_form", 0, 1 },
		{ "99999999999999999999", 2, "pay.amount_big", 0, 15 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t v = -1;
		int pos = -9;
		const char *why = ussd_flow_amount(t[i].in, t[i].exponent, &v, &pos);
		if (t[i].why == NULL) {
			if (why)
				fail_msg("\"%s\": refused (%s at %d)", t[i].in, why, pos);
			assert_int_equal(v, t[i].v);
		} else {
			if (!why || strcmp(why, t[i].why))
				fail_msg("\"%s\": %s, expected %s", t[i].in, why ? why : "accepted", t[i].why);
			if (pos != t[i].pos)
				fail_msg("\"%s\": position %d, expected %d", t[i].in, pos, t[i].pos);
			assert_int_equal(v, -1);
		}
	}
}

/* ---- the main menu by who is dialling ---- */

static void menu_by_caller(void **state)
{
	(void)state;
	starts(dial_as("u", "255700000001", "*384#"),
	       "CON Tillgate\n1 Register business\n2 Pay merchant\n3 Language");
	starts(dial_as("o", "255712582946", "*384#"), "CON Tillgate\n1 My business\n2 Language");
	starts(dial_as("p", CUST, "*384#"), "CON Tillgate\n1 Activate my account\n2 Language");
	activate();
	starts(dial_as("a", CUST, "*384#"), "CON Tillgate\n1 Pay merchant\n2 Language\n3 Payment requests\n4 Change PIN");
	/* a closed customer is unknown again */
	char err[128];
	assert_int_equal(cust_act(gw.cust, &checker, cid, CA_CLOSE, NULL, NULL, NULL, err, sizeof err), 0);
	starts(dial_as("c", CUST, "*384#"), "CON Tillgate\n1 Register business\n2 Pay merchant");
}

/* ---- Activate ---- */

static void act_states(void **state)
{
	char wrong[CUST_CODE_SIZE];
	(void)state;
	memcpy(wrong, code, sizeof wrong);
	wrong[7] = wrong[7] == '9' ? '0' : (char)(wrong[7] + 1);
	dial_as("a", CUST, "*384#");
	starts(say("a", "1"), "CON Enter the 8-digit activation code");
	starts(say("a", "1234567"), "CON The code is 8 digits.");        /* 7 */
	starts(say("a", "123456789"), "CON The code is 8 digits.");      /* 9 */
	assert_int_equal(count("SELECT pin_failures FROM customer"), 0); /* forms are no tries */
	starts(say("a", wrong), "END Too many tries. That code is not right.");
	assert_int_equal(count("SELECT pin_failures FROM customer"), 1);
	dial_as("a", CUST, "*384*1#");
	starts(say("a", code), "CON Choose a PIN of 4 to 6 digits for paying");
	assert_int_equal(count("SELECT pin_failures FROM customer"), 0);
	starts(say("a", "1111"), "CON That PIN is too easy to guess");
	starts(say("a", "111222333"), "CON The PIN must be 4 to 6 digits.");
	starts(say("a", "12"), "END Too many tries. The PIN must be 4 to 6 digits.");
	dial_as("a", CUST, "*384*1#");
	say("a", code);
	starts(say("a", "583920"), "CON Enter the PIN again");
	starts(say("a", "583921"), "CON The PINs do not match.");
	starts(say("a", "583920"), "END Your account is active. Dial *384# and choose Pay merchant");
	assert_int_equal(count("SELECT count(*) FROM customer WHERE status = 'ACTIVE' AND pin_hash LIKE '$argon2id$%'"), 1);
	/* no code nor PIN in the log */
	FILE *f = fopen(logpath, "r");
	char line[2048];
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		if (strstr(line, code) || strstr(line, "583920") || strstr(line, wrong))
			fail_msg("a secret in the log: %s", line);
	}
	fclose(f);
}

static void act_locked_and_expired(void **state)
{
	char wrong[CUST_CODE_SIZE];
	(void)state;
	memcpy(wrong, code, sizeof wrong);
	wrong[0] = wrong[0] == '9' ? '0' : (char)(wrong[0] + 1);
	dial_as("a", CUST, "*384*1#");
	starts(say("a", wrong), "CON That code is not right.");
	starts(say("a", wrong), "CON That code is not right.");
	starts(say("a", wrong), "END Too many wrong tries. Try again after 20");
	holds(last.text, "ask Bank A to unlock");
	dial_as("b", CUST, "*384*1#");
	starts(say("b", code), "END Too many wrong tries.");
	sql("UPDATE customer SET locked_until = NULL, pin_failures = 0, activation_expires = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds')");
	dial_as("c", CUST, "*384*1#");
	starts(say("c", code), "END This activation code has expired. Ask Bank A for a new one.");
}

/* ---- Change PIN ---- */

/* 1 if the log file holds s. */
static int logged(const char *s)
{
	char buf[1 << 16];
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	int found = 0;
	while (!found && fgets(buf, sizeof buf, f))
		found = strstr(buf, s) != NULL;
	fclose(f);
	return found;
}

static void change_pin(void **state)
{
	(void)state;
	activate();
	dial_as("k", CUST, "*384#");
	starts(say("k", "4"), "CON Enter your current PIN:");
	starts(say("k", "1111"), "CON Wrong PIN.\nEnter your current PIN:");
	assert_int_equal(count("SELECT pin_failures FROM customer WHERE msisdn = '" CUST "'"), 1);
	starts(say("k", "5927"), "CON Choose a new PIN of 4 to 6 digits:");
	assert_int_equal(count("SELECT pin_failures FROM customer WHERE msisdn = '" CUST "'"), 0);
	starts(say("k", "1234"), "CON That PIN is too easy to guess.");
	starts(say("k", "4826"), "CON Enter the new PIN again:");
	starts(say("k", "4862"), "CON The PINs do not match.");
	starts(say("k", "4826"), "END Your PIN is changed.");
	struct cust_info ci;
	assert_int_equal(cust_verify_pin(gw.cust, "dfspa", CUST, "5927", &ci), -EACCES);
	assert_int_equal(cust_verify_pin(gw.cust, "dfspa", CUST, "4826", &ci), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_change' AND "
			       "entity = 'customer'"), 1);
	/* three wrong current PINs lock, as at payment */
	dial_as("l", CUST, "*384*4#");
	starts(say("l", "1111"), "CON Wrong PIN.");
	starts(say("l", "2222"), "CON Wrong PIN.");
	starts(say("l", "3333"), "END Too many wrong PINs. Your PIN is locked until 20");
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked' AND "
			       "entity = 'customer'"), 1);
	/* the PINs typed never reach the log */
	assert_true(logged("customer PIN changed"));
	assert_false(logged("4826"));
	assert_false(logged("5927"));
	assert_false(logged("4862"));
	/* a phone with accounts at two DFSPs picks one first */
	char err[128], code_b[CUST_CODE_SIZE];
	assert_int_equal(cust_act(gw.cust, &checker, cid, CA_UNLOCK, NULL, NULL, NULL, err, sizeof err), 0);
	struct cust_in ci2 = { CUST_E164, "Amina Said", "ACC-9", "C0" };
	struct merchant_errs errs;
	assert_int_equal(cust_enroll(gw.cust, &maker_b, &ci2, code_b, &ci, &errs), 0);
	assert_int_equal(cust_activate(gw.cust, "dfspb", CUST, code_b, "7391"), 0);
	dial_as("m", CUST, "*384*4#");
	const char *sc = last.text;
	holds(sc, "Change the PIN of which account?\n");
	holds(sc, "1 Bank ");
	holds(sc, "2 Bank ");
	char pick[2] = "1";
	if (strstr(sc, "2 Bank A"))
		pick[0] = '2';
	starts(say("m", "3"), "CON Invalid choice.");
	starts(say("m", pick), "CON Enter your current PIN:");
	starts(say("m", "7391"), "CON Wrong PIN."); /* Bank B's PIN, not Bank A's */
	starts(say("m", "4826"), "CON Choose a new PIN");
	starts(say("m", "5173"), "CON Enter the new PIN again:");
	starts(say("m", "5173"), "END Your PIN is changed.");
	assert_int_equal(cust_verify_pin(gw.cust, "dfspa", CUST, "5173", &ci), 0);
	assert_int_equal(cust_verify_pin(gw.cust, "dfspb", CUST, "7391", &ci), 0);
}

/* ---- Pay merchant ---- */

static void pay_till(void **state)
{
	char bad[MERCHANT_ID_MAX];
	(void)state;
	/* not a customer: told at the first answer */
	dial_as("u", "255700000001", "*384*2#");
	starts(step(USSD_CONTINUE, "u", "255700000001", till), "END This number cannot pay yet.");
	activate();
	dial_as("p", CUST, "*384*1#");
	starts(last.end ? "END" : "CON Enter the till number:", "CON");
	snprintf(bad, sizeof bad, "%s", till);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '9' ? '0' : (char)(bad[strlen(bad) - 1] + 1);
	starts(say("p", bad), "CON Check the till number.");
	starts(say("p", "12a4567"), "CON Check the till number.");
	starts(say("p", "123"), "END Too many tries. Check the till number.");
	/* a valid check digit, but no such till */
	char other[MERCHANT_ID_MAX] = "765432";
	size_t n = strlen(other);
	other[n] = (char)('0' + kyb_luhn_digit(other));
	other[n + 1] = '\0';
	dial_as("p", CUST, "*384*1#");
	starts(say("p", other), "CON No shop has this till number.");
	/* a suspended till */
	sql("UPDATE till SET status = 'SUSPENDED'");
	starts(say("p", till), "CON This till cannot take payments now.");
	sql("UPDATE till SET status = 'ACTIVE'");
	starts(say("p", till), "CON Pay MAMA JUMA SHOP (till ");
	assert_int_equal(count("SELECT count(*) FROM payment"), 0);
}

static void pay_amount_and_pin(void **state)
{
	char ds[64];
	(void)state;
	activate();
	dial_as("p", CUST, "*384*1#");
	say("p", till);
	starts(say("p", "0"), "CON The amount must be more than 0.");
	starts(say("p", "12.345"), "CON Too many decimals in the amount.");
	starts(say("p", "12,34"), "END Too many tries. Enter an amount like 5000");
	dial_as("p", CUST, "*384*1#");
	say("p", till);
	starts(say("p", "5000"), "CON Pay TZS 5,000.00 to MAMA JUMA SHOP? Enter PIN:");
	starts(say("p", "1111"), "CON Wrong PIN.");
	starts(say("p", "2222"), "CON Wrong PIN.");
	starts(say("p", "3333"), "END Too many wrong PINs. Paying is locked until 20");
	assert_int_equal(count("SELECT count(*) FROM payment"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_locked' AND entity = 'customer'"), 1);
	char err[128];
	assert_int_equal(cust_act(gw.cust, &checker, cid, CA_UNLOCK, NULL, NULL, NULL, err, sizeof err), 0);
	/* the direct string: straight to the PIN */
	snprintf(ds, sizeof ds, "*384*%s*1500#", till);
	starts(dial_as("d", CUST, ds), "CON Pay TZS 1,500.00 to MAMA JUMA SHOP? Enter PIN:");
	starts(say("d", "5927"), "END Paid TZS 1,500.00 to MAMA JUMA SHOP, ref P");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'COMMITTED' AND on_us = 1 "
			       "AND amount = 150000 AND channel = 'ussd'"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms' AND dest IN "
			       "('" CUST "', '255712582946') AND body LIKE '%1,500.00%'"), 2);
	/* over the C0 per-payment limit (TZS 50,000.00) */
	snprintf(ds, sizeof ds, "*384*%s*50001#", till);
	dial_as("l", CUST, ds);
	starts(say("l", "5927"), "END Payment refused: over your per-payment limit of TZS 50,000.00.");
	assert_int_equal(count("SELECT count(*) FROM payment"), 1);
	/* suspended: told at once */
	assert_int_equal(cust_act(gw.cust, &checker, cid, CA_SUSPEND, NULL, NULL, NULL, err, sizeof err), 0);
	dial_as("s", CUST, "*384*1#");
	starts(say("s", till), "END Your account cannot pay now.");
	/* suspended after the amount: refused at the PIN, nothing paid */
	assert_int_equal(cust_act(gw.cust, &checker, cid, CA_REACTIVATE, NULL, NULL, NULL, err, sizeof err), 0);
	snprintf(ds, sizeof ds, "*384*%s*100#", till);
	dial_as("t", CUST, ds);
	assert_int_equal(cust_act(gw.cust, &checker, cid, CA_SUSPEND, NULL, NULL, NULL, err, sizeof err), 0);
	starts(say("t", "5927"), "END Your account cannot pay now.");
	assert_int_equal(count("SELECT count(*) FROM payment"), 1);
}

/* ---- online: the answer given later ---- */

/* A connector to the loopback switch at port (the forwarder behind it);
 * the customer's budget is budget_ms, the connector's own callback
 * timeout far longer, so that a silent switch meets the budget first. */
static void online(unsigned port, long long budget_ms)
{
	char err[200], ep[64];
	snprintf(ep, sizeof ep, "http://127.0.0.1:%u", port);
	struct switch_opts o = {
		.endpoint = ep, .merchant_party_type = "ALIAS", .transfer_expiry_s = 60,
		.callback_timeout_ms = 60000, .max_inflight = 4, .answer_budget_ms = 60000,
		.tls_cert = "", .tls_key = "", .tls_ca = "", .jws_key = "",
	};
	gw.cfg.switch_answer_budget_ms = budget_ms;
	if (switch_new(&gw.sw, gw.ev, &o, err, sizeof err) < 0 || fwd_new(&gw.fwd, &gw, err, sizeof err) < 0)
		fail_msg("online: %s", err);
	assert_int_equal(fwd_mode(&gw), PAY_MODE_ONLINE);
	assert_int_equal(cust_activate(gw.cust, "dfspb", CUST2, code2, "5927"), 0);
}

/* A loopback TCP port: closed (bound, never listened) or silent
 * (listening, never accepting: requests wait for ever). *fd is the
 * silent socket to close after the test, -1 for a closed port. */
static unsigned port(int listening, int *fd)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	if (listening) {
		assert_int_equal(listen(s, 16), 0);
		*fd = s;
	} else {
		close(s);
		*fd = -1;
	}
	return ntohs(sa.sin_port);
}

/* The PIN of a dialogue whose answer comes later: nothing at once, then
 * the loop runs until the one reply arrives. Returns it as step() does. */
static const char *pin_later(const char *key, const char *msisdn, const char *pin)
{
	static char buf[USSD_REPLY_MAX + 8];
	struct ussd_step_in in = { USSD_CONTINUE, key, msisdn, pin, "test" };
	int calls = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	assert_int_equal(calls, 0);
	/* While it waits, more input on the dialogue is refused. */
	struct ussd_step_in more = { USSD_CONTINUE, key, msisdn, "1", "test" };
	int other = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &more, got, &other), -EBUSY);
	assert_int_equal(other, 0);
	for (int i = 0; i < 600 && calls == 0; i++)
		assert_true(ev_run_once(gw.ev, 50) >= 0);
	assert_int_equal(calls, 1);
	assert_int_equal(ussd_sess_count(gw.ussd), 0);
	if (!ussd_text_fits(last.text))
		fail_msg("screen does not fit: %s", last.text);
	snprintf(buf, sizeof buf, "%s %s", last.end ? "END" : "CON", last.text);
	return buf;
}

static void pay2(const char *key, const char *amount)
{
	char ds[64];
	snprintf(ds, sizeof ds, "*384*%s*%s#", till, amount);
	starts(dial_as(key, CUST2, ds), "CON Pay TZS ");
}

/* The switch is closed: back to QUEUED. Within the offline limits the
 * answer is "Accepted"; then, the link known down, a payment over them
 * is refused at once by pay_accept(), naming the limit. */
static void pay_online_requeued(void **state)
{
	int fd;
	(void)state;
	online(port(0, &fd), 8000);
	pay2("q1", "5000");
	starts(pin_later("q1", CUST2, "5927"),
	       "END Accepted, ref P");
	holds(last.text, ": it will be sent when the network is back, you will get an SMS.");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'QUEUED' AND payer_msisdn = '"
			       CUST2 "' AND attempts = 1"), 1);
	assert_int_equal(fwd_mode(&gw), PAY_MODE_OFFLINE);
	pay2("q2", "20000");
	starts(step(USSD_CONTINUE, "q2", CUST2, "5927"),
	       "END Payment refused: over your offline per-payment limit of TZS 10,000.00.");
	assert_int_equal(count("SELECT count(*) FROM payment"), 1);
}

/* Sent online over the offline limits (C0: TZS 10,000.00 a payment), the
 * switch then unreachable: it may not wait in the queue, so it is
 * refused with the limit named, and FAILED with both SMS. */
static void pay_online_requeued_over(void **state)
{
	int fd;
	(void)state;
	online(port(0, &fd), 8000);
	pay2("r1", "20000");
	starts(pin_later("r1", CUST2, "5927"),
	       "END Payment refused: over your offline per-payment limit of TZS 10,000.00.");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'FAILED' AND "
			       "fail_code = 'offline_payment_limit' AND amount = 2000000"), 1);
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms' AND body LIKE "
			       "'%20,000.00%failed%'"), 2);
}

/* The switch takes the request and never answers: the budget answers
 * while the payment is SENDING, by the offline limits. */
static void pay_online_budget(void **state)
{
	int fd;
	(void)state;
	online(port(1, &fd), 1000);
	pay2("b1", "5000");
	starts(pin_later("b1", CUST2, "5927"), "END Accepted, ref P");
	pay2("b2", "20000");
	starts(pin_later("b2", CUST2, "5927"), "END Sent, ref P");
	holds(last.text, ": not confirmed yet, you will get an SMS.");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'SENDING'"), 2);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'FAILED'"), 0);
	close(fd);
}

/* The dialogue ends while its answer is pending: aborted by the network,
 * replaced by a new dial. No reply goes; the transport hears once that
 * none will (cb NULL); the forwarder's later move reaches no one. */
static void pay_online_cancelled(void **state)
{
	int fd;
	(void)state;
	online(port(1, &fd), 60000);
	pay2("c1", "5000");
	struct ussd_step_in in = { USSD_CONTINUE, "c1", CUST2, "5927", "test" };
	int calls = 0;
	cancelled = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	struct ussd_step_in ab = { USSD_ABORT, "c1", CUST2, "", "test" };
	assert_int_equal(ussd_sess_step(gw.ussd, &ab, got, &calls), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(cancelled, 1);
	assert_int_equal(ussd_sess_count(gw.ussd), 0);
	/* replaced by a new dial of the same phone */
	pay2("c2", "5000");
	calls = 0;
	in.key = "c2";
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	assert_int_equal(calls, 0);
	int again = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &(struct ussd_step_in){ USSD_BEGIN, "c3", CUST2,
									  "*384#", "test" },
					got, &again),
			 0);
	assert_int_equal(calls, 1);
	assert_int_equal(cancelled, 2);
	assert_int_equal(again, 1);
	/* a third left pending: the table's end cancels it (teardown) */
	pay2("c4", "5000");
	calls = 0;
	in.key = "c4";
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	/* The forwarder goes on; its callbacks reach no freed dialogue. */
	for (int i = 0; i < 10; i++)
		assert_true(ev_run_once(gw.ev, 20) >= 0);
	ussd_sess_free(gw.ussd);
	gw.ussd = NULL;
	assert_int_equal(calls, 1);
	assert_int_equal(cancelled, 3);
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'SENDING'"), 3);
	close(fd);
}

/* ---- a request to pay, paid online: answered as "Pay merchant" is ---- */

/* A request of MAMA JUMA SHOP to CUST2 for amount minor units, PROMPTED;
 * its id into id. */
static void request(int64_t amount, char id[RTP_ID_MAX])
{
	char err[200];
	if (!gw.rtp) {
		struct rtp_opts o = { gw.cust, gw.outbox, "TZS", 2, 600 };
		if (rtp_new(&gw.rtp, gw.db, &o, err, sizeof err) < 0)
			fail_msg("rtp_new: %s", err);
	}
	char key[32];
	snprintf(key, sizeof key, "req-%lld", (long long)amount);
	struct rtp_in in = { .idem_scope = "ussd", .idem_key = key, .channel = RTP_CH_USSD,
			     .dfsp = "dfspa", .merchant_id = mid, .payer_msisdn = CUST2,
			     .amount = amount, .actor = OWNER, .role = "merchant" };
	struct rtp_rec q;
	if (rtp_create(gw.rtp, &in, &q, err, sizeof err) < 0 ||
	    rtp_apply(gw.rtp, q.id, RTP_EV_PROMPT, NULL, NULL, OWNER, "merchant", NULL, err, sizeof err) < 0)
		fail_msg("request: %s", err);
	snprintf(id, RTP_ID_MAX, "%s", q.id);
}

/* The request's state and payment, "PAYING/P..." */
static const char *req_state(const char *id)
{
	static char buf[64];
	struct rtp_rec q;
	assert_int_equal(rtp_get(gw.rtp, NULL, id, &q), 0);
	snprintf(buf, sizeof buf, "%s/%s", rtp_state_name(q.state), q.payment_id);
	return buf;
}

/* The payer opens it from the main menu ("Payment requests"). */
static void open_request(const char *key, const char *amount_text)
{
	starts(dial_as(key, CUST2, "*384#"), "CON Tillgate\n1 Pay merchant\n2 Language\n3 Payment requests");
	char want[128];
	snprintf(want, sizeof want, "CON MAMA JUMA SHOP asks TZS %s. Enter PIN to pay", amount_text);
	starts(step(USSD_CONTINUE, key, CUST2, "3"), want);
}

/* The switch closed: back to QUEUED. Within the offline limits the
 * screen, given later, says "Accepted"; over them (a second request, sent
 * online while the link is not known down) the refusal names the limit
 * and the payment is FAILED. */
static void rtp_online_requeued(void **state)
{
	int fd;
	char id[RTP_ID_MAX], ref[PAY_ID_MAX + 8];
	(void)state;
	online(port(0, &fd), 8000);
	request(500000, id);
	open_request("x1", "5,000.00");
	starts(pin_later("x1", CUST2, "5927"), "END Accepted, ref P");
	holds(last.text, ": it will be sent when the network is back, you will get an SMS.");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'QUEUED' AND payer_msisdn = '"
			       CUST2 "' AND attempts = 1"), 1);
	snprintf(ref, sizeof ref, "PAYING/%.25s", strstr(last.text, "ref ") + 4);
	assert_string_equal(req_state(id), ref);
}

static void rtp_online_requeued_over(void **state)
{
	int fd;
	char id[RTP_ID_MAX];
	(void)state;
	online(port(0, &fd), 8000);
	request(2000000, id);
	open_request("y1", "20,000.00");
	starts(pin_later("y1", CUST2, "5927"),
	       "END Payment refused: over your offline per-payment limit of TZS 10,000.00.");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'FAILED' AND "
			       "fail_code = 'offline_payment_limit' AND amount = 2000000"), 1);
	starts(req_state(id), "PAYING/P");
	/* the sweep takes the request on with its payment */
	assert_true(rtp_sweep(gw.rtp, 0) >= 1);
	starts(req_state(id), "FAILED/P");
}

/* The switch silent: the budget answers while the payment is SENDING. */
static void rtp_online_budget(void **state)
{
	int fd;
	char id[RTP_ID_MAX];
	(void)state;
	online(port(1, &fd), 1000);
	request(500000, id);
	open_request("z1", "5,000.00");
	starts(pin_later("z1", CUST2, "5927"), "END Accepted, ref P");
	assert_int_equal(count("SELECT count(*) FROM payment WHERE state = 'SENDING'"), 1);
	starts(req_state(id), "PAYING/P");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amount_reader),
		cmocka_unit_test_setup_teardown(menu_by_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(act_states, setup, teardown),
		cmocka_unit_test_setup_teardown(act_locked_and_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_till, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_amount_and_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(change_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_online_requeued, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_online_requeued_over, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_online_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_online_cancelled, setup, teardown),
		cmocka_unit_test_setup_teardown(rtp_online_requeued, setup, teardown),
		cmocka_unit_test_setup_teardown(rtp_online_requeued_over, setup, teardown),
		cmocka_unit_test_setup_teardown(rtp_online_budget, setup, teardown),
	};
	return cmocka_run_group_tests_name("ussd_pay", tests, NULL, NULL);
}
