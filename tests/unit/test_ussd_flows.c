/* test_ussd_flows.c -- unit tests of the USSD flows "Register business"
 * (ussd/ussd_flow_reg.c) and "My business" (ussd/ussd_flow_biz.c) through
 * the session table and the real menu engine, on a temporary database
 * with a real registry, outbox and PIN store: every state's validation
 * (each limit and one past it), the registration's one transaction (all
 * or nothing), cancel, the PIN gate with its lock-out, the till SMS, the
 * tier request and its words, the PIN change, and every screen in every
 * language fitting one USSD screen, the longest answers included. */
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
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"
#include "merchant/merchant_pin.h"
#include "tests/unit/testdir.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"
#include "ussd/ussd_text.h"

#define CALLER "255712582946"
#define CALLER_E164 "+255712582946"
#define NID "19900101123450000112"

static char dir[256], dbpath[300], logpath[300];
static struct gw gw;
static sqlite3 *raw;

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
	if (testdir_make(dir, sizeof dir, "test_ussd_flows") < 0 || cfg_defaults(&gw.cfg) < 0)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	if (log_open(logpath) < 0 || log_set_levels("debug", err, sizeof err) < 0)
		return -1;
	struct merchant_reg_opts ro = { .id_scheme = MERCHANT_ID_SEQUENTIAL, .merchant_id_digits = 8,
					.till_digits = 7, .data_dir = dir, .country = "TZ" };
	struct mpin_opts po = { { 1, 8 }, 3, 1800 };
	if (db_open(&gw.db, dbpath, 0, err, sizeof err) < 0 || !(gw.ev = ev_new(err, sizeof err)) ||
	    kyb_mcc_builtin(&gw.mcc, err, sizeof err) < 0 || kyb_tiers_builtin(&gw.tiers, NULL) < 0)
		goto bad;
	ro.tiers = gw.tiers;
	ro.mcc = gw.mcc;
	if (merchant_reg_new(&gw.reg, gw.db, &ro, err, sizeof err) < 0 ||
	    outbox_new(&gw.outbox, gw.db, err, sizeof err) < 0 ||
	    mpin_new(&gw.mpin, gw.db, &po, err, sizeof err) < 0)
		goto bad;
	struct pay_opts pyo = { .reg = gw.reg, .outbox = gw.outbox, .tiers = gw.tiers };
	if (pay_new(&gw.pay, gw.db, &pyo, err, sizeof err) < 0 ||
	    ussd_sess_new(&gw.ussd, &gw, err, sizeof err) < 0)
		goto bad;
	if (sqlite3_open(dbpath, &raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(raw, 5000);
	sql("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'Bank A')");
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
	mpin_free(gw.mpin);
	pay_free(gw.pay);
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

/* ---- steps ---- */

static struct ussd_reply last;

static void got(void *arg, const struct ussd_reply *r)
{
	(*(int *)arg)++;
	last = *r;
}

/* One step as "CON text" or "END text"; every screen must fit. */
static const char *step(enum ussd_step st, const char *key, const char *msisdn, const char *text)
{
	static char buf[USSD_REPLY_MAX + 8];
	struct ussd_step_in in = { st, key, msisdn, text, "test" };
	int calls = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	assert_int_equal(calls, 1);
	if (!ussd_text_fits(last.text))
		fail_msg("screen does not fit: %s", last.text);
	if (strstr(last.text, "Error") || strstr(last.text, "Service unavailable"))
		fail_msg("internal error screen after '%s'", text);
	snprintf(buf, sizeof buf, "%s %s", last.end ? "END" : "CON", last.text);
	return buf;
}

static const char *dial(const char *key, const char *msisdn)
{
	return step(USSD_BEGIN, key, msisdn, "*384#");
}

static const char *say(const char *key, const char *answer)
{
	return step(USSD_CONTINUE, key, CALLER, answer);
}

/* The screen starts with prefix. */
#define starts(s, prefix) do { \
	const char *s_ = (s); \
	if (strncmp(s_, prefix, strlen(prefix)) != 0) \
		fail_msg("screen \"%s\" does not start with \"%s\"", s_, prefix); \
} while (0)

/* The screen holds part. */
#define holds(s, part) do { \
	const char *s_ = (s); \
	if (!strstr(s_, part)) \
		fail_msg("screen \"%s\" lacks \"%s\"", s_, part); \
} while (0)

/* A dialogue of CALLER from the main menu to the screen of answer n of
 * answers (n answers given). */
static const char *walk(const char *key, const char *const *answers, size_t n)
{
	const char *s = dial(key, CALLER);
	for (size_t i = 0; i < n; i++)
		s = say(key, answers[i]);
	return s;
}

static const char *const good[] = { "1", "MAMA JUMA SHOP", "5", "1", NID, "ARUSHA", "4817", "4817" };
#define UPTO(k) walk("r", good, (k))

/* ---- Register business ---- */

static void reg_name(void **state)
{
	(void)state;
	starts(UPTO(1), "CON Business name");
	starts(say("r", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "CON Use 1 to 25 letters"); /* 26 */
	starts(say("r", "Caf\xc3\xa9"), "CON Use 1 to 25 letters"); /* not ASCII (EMVCo ans) */
	/* the third wrong answer ends the dialogue with the reason */
	starts(say("r", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "END Too many tries. Use 1 to 25");
	UPTO(1);
	starts(say("r", "   "), "CON Use 1 to 25 letters"); /* only spaces */
	/* 25 characters, spaces at either end trimmed */
	starts(say("r", "  ABCDEFGHIJKLMNOPQRSTUVWXY "), "CON Business group:");
	/* back to the name */
	starts(say("r", "0"), "CON Business name");
}

static void reg_groups_and_types(void **state)
{
	(void)state;
	const char *s = UPTO(2);
	starts(s, "CON Business group:\n1 Farming and animals\n");
	/* every group of the ranges, over the pages */
	holds(s, "5 Wholesale, food, hardware, cars");
	s = say("r", "98");
	holds(s, "Services and repairs");
	holds(s, "10 Government");
	starts(say("r", "98"), "CON Invalid choice"); /* no page after the last */
	starts(say("r", "11"), "CON Invalid choice"); /* 10 groups */
	/* each group's types fit the list limit and page to their end */
	for (int g = 1; g <= 10; g++) {
		char key[16], num[16];
		snprintf(key, sizeof key, "g%d", g);
		snprintf(num, sizeof num, "%d", g);
		walk(key, good, 2);
		s = say(key, num);
		starts(s, "CON Type of business:\n1 ");
		for (int page = 0; page < 20 && strstr(s, "\n98 "); page++)
			s = say(key, "98");
		if (strstr(s, "\n98 "))
			fail_msg("group %d pages without end", g);
	}
	/* group 5 starts at 5013; the chosen type is the merchant's MCC later */
	s = UPTO(3);
	holds(s, "1 Motor vehicle parts, wholesale");
	starts(say("r", "1"), "CON National ID number (TZ NIDA number: 20 digits");
}

static void reg_national_id(void **state)
{
	(void)state;
	starts(UPTO(4), "CON National ID number");
	starts(say("r", "12345"), "CON That ID number is not valid.");
	starts(say("r", "1990010112345000011"), "CON That ID number is not valid."); /* 19 digits */
	starts(say("r", NID), "CON Town or district");
}

static void reg_town(void **state)
{
	(void)state;
	starts(UPTO(5), "CON Town or district");
	starts(say("r", "DAR ES SALAAM CTY"), "CON Use 1 to 15 letters"); /* 17 */
	starts(say("r", "BAGAMOYO-MWANZA"), "CON Choose a PIN"); /* 15 */
}

static void reg_pin(void **state)
{
	(void)state;
	starts(UPTO(6), "CON Choose a PIN of 4 to 6 digits");
	const char *weak[] = { "1234", "0000", "654321", "2580", "2946" /* the caller's last digits */ };
	for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
		UPTO(6);
		starts(say("r", weak[i]), "CON That PIN is too easy to guess.");
	}
	UPTO(6);
	starts(say("r", "123"), "CON The PIN must be 4 to 6 digits.");
	starts(say("r", "48a7"), "CON The PIN must be 4 to 6 digits.");
	starts(say("r", "4817"), "CON Enter the PIN again:");
	starts(say("r", "4818"), "CON The PINs do not match.");
	starts(say("r", "48170"), "CON The PINs do not match.");
	starts(say("r", "4817"), "CON Register MAMA JUMA SHOP\nType: Motor vehicle parts, wholesale\n"
		   "ID: " NID "\nTown: ARUSHA\n1 Confirm\n2 Cancel");
	/* answers to PIN screens never reach the log (at debug level) */
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	char line[2048];
	int lines = 0;
	while (fgets(line, sizeof line, f)) {
		lines++;
		if (strstr(line, "4817") || strstr(line, "4818") || strstr(line, "2580"))
			fail_msg("a PIN in the log: %s", line);
	}
	fclose(f);
	assert_true(lines > 0);
}

static void reg_cancel(void **state)
{
	(void)state;
	starts(UPTO(8), "CON Register MAMA JUMA SHOP");
	starts(say("r", "3"), "CON Invalid choice");
	starts(say("r", "2"), "END Registration cancelled. Nothing was saved.");
	assert_int_equal(count("SELECT count(*) FROM merchant"), 0);
	assert_int_equal(count("SELECT count(*) FROM outbox"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit"), 0);
}

static void reg_confirm(void **state)
{
	(void)state;
	UPTO(8);
	const char *s = say("r", "1");
	starts(s, "END MAMA JUMA SHOP is registered. Your till number is ");
	char till[16] = "";
	sscanf(s, "END MAMA JUMA SHOP is registered. Your till number is %15[0-9]", till);
	assert_int_equal(strlen(till), 7);
	/* the merchant: APPROVED, T0, the type's MCC, the caller as owner and contact */
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE status = 'APPROVED' AND tier = 'T0' "
			       "AND mcc = '5013' AND type = 'individual' AND trading_name = 'MAMA JUMA SHOP' "
			       "AND contact_phone = '" CALLER_E164 "' AND dfsp = 'dfspa'"), 1);
	assert_int_equal(count("SELECT count(*) FROM owner WHERE phone = '" CALLER_E164 "' AND id_type = "
			       "'national_id' AND id_number = '" NID "'"), 1);
	assert_int_equal(count("SELECT count(*) FROM location WHERE city = 'ARUSHA'"), 1);
	char q[256];
	snprintf(q, sizeof q, "SELECT count(*) FROM till WHERE till_number = '%s' AND status = 'ACTIVE'", till);
	assert_int_equal(count(q), 1);
	/* its PIN */
	char mid[MERCHANT_ID_MAX];
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT merchant_id FROM merchant", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(mid, sizeof mid, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_int_equal(mpin_verify(gw.mpin, "dfspa", mid, "4817", "t", "merchant", NULL), 0);
	/* the SMS, with the till and the DFSP's name */
	snprintf(q, sizeof q, "SELECT count(*) FROM outbox WHERE kind = 'sms' AND dest = '" CALLER "' AND "
		 "dfsp = 'dfspa' AND ref = '%s' AND body LIKE '%%%s%%' AND body LIKE '%%Bank A%%'", mid, till);
	assert_int_equal(count(q), 1);
	/* audited: the registration and the PIN */
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action IN ('self_register', 'pin_set') "
			       "AND actor = '" CALLER_E164 "' AND role = 'merchant'"), 2);
	/* the caller is an owner now: My business, no Register business */
	s = dial("again", CALLER);
	holds(s, "My business");
	assert_null(strstr(s, "Register"));
}

static void reg_all_or_nothing(void **state)
{
	(void)state;
	/* The SMS cannot be queued: the merchant and its PIN go too. */
	UPTO(8);
	sql("CREATE TRIGGER no_sms BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'no'); END");
	starts(say("r", "1"), "END Registration failed. Please try again later.");
	sql("DROP TRIGGER no_sms");
	assert_int_equal(count("SELECT count(*) FROM merchant"), 0);
	assert_int_equal(count("SELECT count(*) FROM merchant_pin"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit"), 0);
	/* and with no DFSP at all, nothing to register with */
	sql("DELETE FROM dfsp");
	UPTO(8);
	starts(say("r", "1"), "END Registration failed.");
	assert_int_equal(count("SELECT count(*) FROM merchant"), 0);
}

/* ---- My business ---- */

/* Registers CALLER through the flow (PIN 4817); mid gets the merchant. */
static void registered(char mid[MERCHANT_ID_MAX])
{
	UPTO(8);
	starts(say("r", "1"), "END MAMA JUMA SHOP is registered.");
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT merchant_id FROM merchant", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(mid, MERCHANT_ID_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

#define MENU "CON My business\n1 Send my till number by SMS\n2 Ask for a higher tier\n3 Change PIN\n4 Language\n5 Today's takings\n6 Last payments\n7 Request payment"

static void biz_pin_gate(void **state)
{
	char mid[MERCHANT_ID_MAX];
	(void)state;
	registered(mid);
	starts(dial("b", CALLER), "CON Tillgate\n1 My business\n2 Language");
	starts(say("b", "1"), "CON Enter your PIN:");
	starts(say("b", "1111"), "CON Wrong PIN.\nEnter your PIN:");
	starts(say("b", "4817"), MENU);
	starts(say("b", "8"), "CON Invalid choice");
	/* a success reset the count: two more wrong ones do not lock */
	dial("b", CALLER);
	say("b", "1");
	starts(say("b", "1111"), "CON Wrong PIN.");
	starts(say("b", "2222"), "CON Wrong PIN.");
	const char *s = say("b", "3333");
	starts(s, "END Too many wrong PINs. My business is locked until 20");
	holds(s, " UTC. Your DFSP can unlock it.");
	dial("b", CALLER);
	say("b", "1");
	starts(say("b", "4817"), "END Too many wrong PINs.");
	/* the DFSP lifts it */
	const struct merchant_actor checker = { "carl", "dfspa", ROLE_CHECKER };
	assert_int_equal(mpin_unlock(gw.mpin, &checker, mid, NULL), 0);
	dial("b", CALLER);
	say("b", "1");
	starts(say("b", "4817"), MENU);
	/* no PIN at all */
	sql("DELETE FROM merchant_pin");
	dial("b", CALLER);
	say("b", "1");
	starts(say("b", "4817"), "END No PIN is set for this business.");
}

/* Today's takings (committed apart from queued) and the last payments,
 * from payments made with gateway/pay.h. The customer rows are written
 * as enrolment and activation leave them (the customers module has its
 * own tests). */
static void biz_takings_and_last(void **state)
{
	char mid[MERCHANT_ID_MAX], till[MERCHANT_ID_MAX];
	(void)state;
	registered(mid);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT till_number FROM till", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(till, sizeof till, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);

	/* Nothing yet. */
	dial("t", CALLER);
	say("t", "1");
	say("t", "4817");
	starts(say("t", "5"), "END Today (UTC): 0 paid, TZS 0. Queued, not paid yet: 0, TZS 0.");
	dial("t", CALLER);
	say("t", "1");
	say("t", "4817");
	starts(say("t", "6"), "CON No payments yet.");

	sql("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspb', 'Bank B')");
	sql("INSERT INTO customer (dfsp, msisdn, name, account_ref, tier, status, created_by) VALUES "
	    "('dfspa', '255700000001', 'Asha', 'A-1', 'C1', 'ACTIVE', 'test'), "
	    "('dfspb', '255700000002', 'Chausiku', 'B-1', 'C1', 'ACTIVE', 'test')");
	struct pay_in in = { .idem_scope = "t", .payer_dfsp = "dfspa", .payer_msisdn = "255700000001",
			     .till = till, .channel = PAY_CH_USSD, .mode = PAY_MODE_OFFLINE,
			     .actor = "255700000001", .role = "customer" };
	static const int64_t amounts[] = { 500000, 2000050, 150 };
	static const char *const keys[] = { "p1", "p2", "p3" };
	for (int i = 0; i < 3; i++) {
		in.idem_key = keys[i];
		in.amount = amounts[i];
		if (i == 2) { /* another DFSP's customer, offline: queued */
			in.payer_dfsp = "dfspb";
			in.payer_msisdn = "255700000002";
		}
		assert_int_equal(pay_accept(gw.pay, &in, NULL, NULL), 0);
	}
	dial("t", CALLER);
	say("t", "1");
	say("t", "4817");
	starts(say("t", "5"), "END Today (UTC): 2 paid, TZS 25,000.50. Queued, not paid yet: 1, TZS 1.50.");
	dial("t", CALLER);
	say("t", "1");
	say("t", "4817");
	const char *s = say("t", "6");
	starts(s, "CON Last payments (TZS):\n");
	holds(s, " 1.50 queued 2557****002\n");
	holds(s, " 20,000.50 paid 2557****001\n");
	holds(s, " 5,000 paid 2557****001");
	/* newest first */
	assert_true(strstr(s, "1.50 queued") < strstr(s, "20,000.50 paid"));
	assert_true(strstr(s, "20,000.50 paid") < strstr(s, " 5,000 paid"));
	/* any answer goes back to the menu */
	starts(say("t", "1"), MENU);
}

static void biz_till_sms(void **state)
{
	char mid[MERCHANT_ID_MAX];
	(void)state;
	registered(mid);
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	const char *s = say("b", "1");
	starts(s, "END Your till number ");
	holds(s, " is on its way by SMS.");
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE body LIKE 'MAMA JUMA SHOP till number: %' "
			       "AND body LIKE '%contact Bank A.'"), 1);
	/* no active till: nothing sent */
	sql("UPDATE till SET status = 'SUSPENDED'");
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	starts(say("b", "1"), "END This business has no active till.");
	assert_int_equal(count("SELECT count(*) FROM outbox WHERE kind = 'sms'"), 2);
}

static void biz_tier(void **state)
{
	char mid[MERCHANT_ID_MAX];
	(void)state;
	registered(mid);
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	const char *s = say("b", "2");
	/* T1 needs, in words: each item once, in the tier's order */
	starts(s, "END Request for tier T1 sent. Your DFSP needs: address, trading permit number, "
		  "payout account, ID check, copy of your ID, trading permit");
	assert_int_equal(count("SELECT count(*) FROM tier_request WHERE from_tier = 'T0' AND to_tier = 'T1' "
			       "AND status = 'PENDING' AND requested_by = '" CALLER_E164 "'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'tier_request' AND role = 'merchant'"), 1);
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	starts(say("b", "2"), "END You have asked for a higher tier already.");
	assert_int_equal(count("SELECT count(*) FROM tier_request"), 1);
	/* at the last tier there is nothing to ask */
	sql("DELETE FROM tier_request; UPDATE merchant SET tier = 'T2'");
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	starts(say("b", "2"), "END Your business is at the highest tier already.");
	assert_int_equal(count("SELECT count(*) FROM tier_request"), 0);
}

static void biz_change_pin(void **state)
{
	char mid[MERCHANT_ID_MAX];
	(void)state;
	registered(mid);
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	starts(say("b", "3"), "CON Enter your current PIN:");
	starts(say("b", "1111"), "CON Wrong PIN.\nEnter your current PIN:");
	starts(say("b", "4817"), "CON Enter a new PIN of 4 to 6 digits:");
	starts(say("b", "1122"), "CON That PIN is too easy to guess.");
	starts(say("b", "12"), "CON The PIN must be 4 to 6 digits.");
	dial("b", CALLER);
	say("b", "1");
	say("b", "4817");
	say("b", "3");
	say("b", "4817");
	starts(say("b", "593017"), "CON Enter the new PIN again:");
	starts(say("b", "593018"), "CON The PINs do not match.");
	starts(say("b", "593017"), "END Your PIN is changed.");
	assert_int_equal(mpin_verify(gw.mpin, "dfspa", mid, "593017", "t", "merchant", NULL), 0);
	assert_int_equal(mpin_verify(gw.mpin, "dfspa", mid, "4817", "t", "merchant", NULL), -EACCES);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'pin_change' AND role = 'merchant'"), 1);
	/* Language goes to the engine's flow */
	dial("b", CALLER);
	say("b", "1");
	say("b", "593017");
	starts(say("b", "4"), "CON Choose your language");
}

/* Every screen of both flows in every language, with the longest answers,
 * fits one screen (step() checks), and names no missing text. */
static void every_language_fits(void **state)
{
	static const char *const langs[] = { "en", "sw", "fr" };
	char mid[MERCHANT_ID_MAX];
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char q[160], key[24];
		snprintf(q, sizeof q, "INSERT OR REPLACE INTO subscriber (msisdn, lang) VALUES ('%s', '%s')",
			 CALLER, langs[i]);
		sql(q);
		snprintf(key, sizeof key, "l%zu", i);
		/* the longest name, an MCC label of 32, the longest ID form, a town of 15 */
		const char *const longest[] = { "1", "ABCDEFGHIJKLMNOPQRSTUVWXY", "5", "3", "19900101-12345-00001-12",
						 "BAGAMOYO-MWANZA", "4817", "4817" };
		const char *s = walk(key, longest, 8);
		starts(s, "CON ");
		holds(s, "ABCDEFGHIJKLMNOPQRSTUVWXY");
		s = say(key, "2"); /* cancel */
		starts(s, "END ");
	}
	sql("DELETE FROM subscriber");
	registered(mid);
	for (size_t i = 0; i < 3; i++) {
		char q[160], key[24];
		snprintf(q, sizeof q, "INSERT OR REPLACE INTO subscriber (msisdn, lang) VALUES ('%s', '%s')",
			 CALLER, langs[i]);
		sql(q);
		snprintf(key, sizeof key, "m%zu", i);
		dial(key, CALLER);
		say(key, "1");
		starts(say(key, "4817"), "CON ");
		starts(say(key, "2"), "END "); /* the tier request with its words */
		sql("DELETE FROM tier_request");
		dial(key, CALLER);
		say(key, "1");
		say(key, "4817");
		starts(say(key, "5"), "END "); /* takings */
		dial(key, CALLER);
		say(key, "1");
		say(key, "4817");
		starts(say(key, "6"), "CON "); /* last payments (none) */
		dial(key, CALLER);
		say(key, "1");
		say(key, "1111");
		say(key, "2222");
		starts(say(key, "3333"), "END "); /* the lock-out */
		sql("UPDATE merchant_pin SET failures = 0, locked_until = NULL");
	}
	/* no text was missing in any language */
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	char line[2048];
	while (fgets(line, sizeof line, f))
		if (strstr(line, "no text for key"))
			fail_msg("%s", line);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reg_name, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_groups_and_types, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_national_id, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_town, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_confirm, setup, teardown),
		cmocka_unit_test_setup_teardown(reg_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(biz_pin_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(biz_takings_and_last, setup, teardown),
		cmocka_unit_test_setup_teardown(biz_till_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(biz_tier, setup, teardown),
		cmocka_unit_test_setup_teardown(biz_change_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(every_language_fits, setup, teardown),
	};
	return cmocka_run_group_tests_name("ussd_flows", tests, NULL, NULL);
}
