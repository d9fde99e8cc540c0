/* test_ussd_pay.c -- unit tests of the customer flows "Activate"
 * (ussd/ussd_flow_cust.c) and "Pay merchant" (ussd/ussd_flow_pay.c)
 * through the session table and the real menu engine, on a temporary
 * database with a real registry, outbox, customers and payments: the main
 * menu by who is dialling, every state's validation (code form, wrong
 * code, trivial and mismatched PINs; till check digit, unknown and
 * inactive tills; amounts: the reader's table, 0, decimals, forms),
 * the PIN gate with its lock-out, an on-us payment committed with its
 * SMS, the direct string, a limit named, and suspended customers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/cfg.h"
#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
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

static char dir[256], dbpath[300], logpath[300];
static struct gw gw;
static sqlite3 *raw;
static char till[MERCHANT_ID_MAX], code[CUST_CODE_SIZE];
static int64_t cid;

static const struct merchant_actor maker = { "alice", "dfspa", ROLE_MAKER };
static const struct merchant_actor checker = { "bob", "dfspa", ROLE_CHECKER };

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
	char mid[MERCHANT_ID_MAX];
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
	return 0;
bad:
	fprintf(stderr, "setup: %s\n", err);
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(raw);
	ussd_sess_free(gw.ussd);
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

static void got(void *arg, const struct ussd_reply *r)
{
	(*(int *)arg)++;
	last = *r;
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
	starts(dial_as("a", CUST, "*384#"), "CON Tillgate\n1 Pay merchant\n2 Language");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amount_reader),
		cmocka_unit_test_setup_teardown(menu_by_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(act_states, setup, teardown),
		cmocka_unit_test_setup_teardown(act_locked_and_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_till, setup, teardown),
		cmocka_unit_test_setup_teardown(pay_amount_and_pin, setup, teardown),
	};
	return cmocka_run_group_tests_name("ussd_pay", tests, NULL, NULL);
}
