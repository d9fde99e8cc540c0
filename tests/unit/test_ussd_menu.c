/* test_ussd_menu.c -- unit tests of the USSD menu engine
 * (ussd/ussd_menu.c) through the session table, on a real database and
 * loop: the main menu by caller, the merchant picker, navigation with 0
 * and 00, three tries then END, paging of a long list with every page
 * fitting a screen, direct strings, the language change kept across
 * dialogues, and secret answers kept out of the log.
 *
 * This program supplies the main menu's list itself (ussd_main_flows,
 * normally ussd/ussd_flows.c, which the linker then leaves out): an
 * owner-only flow with a PIN step, then Language. */
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
#include "tests/unit/testdir.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"
#include "ussd/ussd_text.h"

/* ---- the test's owner flow: a home screen, then a secret PIN ---- */

enum { B_HOME, B_PIN, B__COUNT };

static int home_render(struct ussd_ctx *c)
{
	const struct ussd_var v = { "lang", ussd_ctx_merchant(c) };
	return ussd_say(c, "lang.saved", &v, 1); /* "Language: MERCHANT" */
}

static int home_input(struct ussd_ctx *c, const char *in)
{
	return strcmp(in, "1") == 0 ? ussd_go(c, B_PIN) : ussd_retry(c, "err.choice");
}

static int pin_render(struct ussd_ctx *c)
{
	return ussd_text(c, "PIN:");
}

static int pin_input(struct ussd_ctx *c, const char *in)
{
	if (strcmp(in, "4321") != 0)
		return ussd_retry(c, "err.choice");
	/* the merchant's DFSP, then the one self-registration would use */
	char both[80];
	snprintf(both, sizeof both, "%s/%s", ussd_ctx_dfsp(c), ussd_ctx_reg_dfsp(c));
	const struct ussd_var v = { "lang", both };
	return ussd_end(c, "lang.saved", &v, 1);
}

static const struct ussd_state biz_states[B__COUNT] = {
	[B_HOME] = { "biz.home", 0, home_render, home_input },
	[B_PIN] = { "biz.pin", USSD_ST_SECRET, pin_render, pin_input },
};
static const struct ussd_flow test_biz = { "biz", "menu.business", USSD_WHO_OWNER, biz_states,
					   B__COUNT, B_HOME };

const struct ussd_flow *const ussd_main_flows[] = { &test_biz, &ussd_flow_lang, NULL };

/* ---- the fixture ---- */

static char dir[256], dbpath[300], logpath[300];
static struct gw gw;
static sqlite3 *raw;

static void sql(const char *s)
{
	char *e = NULL;
	if (sqlite3_exec(raw, s, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", s, e);
}

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (testdir_make(dir, sizeof dir, "test_ussd_menu") < 0 || cfg_defaults(&gw.cfg) < 0)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	if (log_open(logpath) < 0 || log_set_levels("info", err, sizeof err) < 0)
		return -1;
	if (db_open(&gw.db, dbpath, 0, err, sizeof err) < 0 || !(gw.ev = ev_new(err, sizeof err)) ||
	    ussd_sess_new(&gw.ussd, &gw, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	if (sqlite3_open(dbpath, &raw) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(raw, 5000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(raw);
	ussd_sess_free(gw.ussd);
	ev_free(gw.ev);
	db_close(gw.db);
	cfg_free(&gw.cfg);
	log_open(NULL);
	return testdir_remove(dir);
}

/* ---- steps ---- */

static struct ussd_reply last;

static void got(void *arg, const struct ussd_reply *r)
{
	int *calls = arg;
	(*calls)++;
	last = *r;
}

/* Feeds one step and returns the reply as "CON text" or "END text". */
static const char *step(enum ussd_step st, const char *key, const char *msisdn, const char *text)
{
	static char buf[USSD_REPLY_MAX + 8];
	struct ussd_step_in in = { st, key, msisdn, text, "test" };
	int calls = 0;
	assert_int_equal(ussd_sess_step(gw.ussd, &in, got, &calls), 0);
	assert_int_equal(calls, 1);
	if (!ussd_text_fits(last.text))
		fail_msg("screen does not fit: %s", last.text);
	snprintf(buf, sizeof buf, "%s %s", last.end ? "END" : "CON", last.text);
	return buf;
}

static const char *dial(const char *key, const char *msisdn, const char *dialled)
{
	return step(USSD_BEGIN, key, msisdn, dialled);
}

static const char *say(const char *key, const char *msisdn, const char *answer)
{
	return step(USSD_CONTINUE, key, msisdn, answer);
}

#define UNKNOWN "255700000001"
#define MAIN_UNKNOWN "CON Tillgate\n1 Language"
#define LANGS "CON Choose your language\n1 English\n2 Kiswahili\n3 Français\n0 Back"

/* ---- tests ---- */

static void main_menu_by_caller(void **state)
{
	(void)state;
	assert_string_equal(dial("k1", UNKNOWN, "*384#"), MAIN_UNKNOWN);
	sql("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'A');"
	    "INSERT INTO merchant (merchant_id, dfsp, trading_name, type, mcc, tier, created_by) VALUES "
	    "('10000017', 'dfspa', 'Beta Shop', 'small_shop', '5411', 'T0', 'u'),"
	    "('10000025', 'dfspa', 'Alpha Shop', 'small_shop', '5411', 'T0', 'u'),"
	    "('10000033', 'dfspa', 'Solo Kiosk', 'small_shop', '5411', 'T0', 'u'),"
	    "('10000041', 'dfspa', 'Closed Shop', 'small_shop', '5411', 'T0', 'u');"
	    "UPDATE merchant SET status = 'CLOSED' WHERE merchant_id = '10000041';"
	    "INSERT INTO owner (dfsp, merchant_id, name, id_type, id_number, phone) VALUES "
	    "('dfspa', '10000017', 'Asha', 'national_id', '1', '+255711111111'),"
	    "('dfspa', '10000025', 'Asha', 'national_id', '1', '+255711111111'),"
	    "('dfspa', '10000041', 'Asha', 'national_id', '1', '+255711111111'),"
	    "('dfspa', '10000033', 'Juma', 'national_id', '2', '+255722222222');");
	/* an owner of two (open) merchants picks one, by name order */
	assert_string_equal(dial("k2", "255711111111", "*384#"),
			    "CON Tillgate\n1 My business\n2 Language");
	assert_string_equal(say("k2", "255711111111", "1"),
			    "CON Choose a business\n1 Alpha Shop\n2 Beta Shop\n0 Back");
	assert_string_equal(say("k2", "255711111111", "2"), "CON Language: 10000017");
	/* back to the picker, then the other one */
	assert_string_equal(say("k2", "255711111111", "0"),
			    "CON Choose a business\n1 Alpha Shop\n2 Beta Shop\n0 Back");
	assert_string_equal(say("k2", "255711111111", "1"), "CON Language: 10000025");
	assert_string_equal(say("k2", "255711111111", "1"), "CON PIN:");
	assert_string_equal(say("k2", "255711111111", "4321"), "END Language: dfspa/dfspa");
	/* an owner of one goes straight in */
	assert_string_equal(dial("k3", "255722222222", "*384#"),
			    "CON Tillgate\n1 My business\n2 Language");
	assert_string_equal(say("k3", "255722222222", "1"), "CON Language: 10000033");
	assert_string_equal(say("k3", "255722222222", "00"), "CON Tillgate\n1 My business\n2 Language");
	assert_int_equal(ussd_sess_count(gw.ussd), 2); /* k1 and k3 */
}

static void back_and_main(void **state)
{
	(void)state;
	assert_string_equal(dial("n1", UNKNOWN, "*384#"), MAIN_UNKNOWN);
	assert_string_equal(say("n1", UNKNOWN, "1"), LANGS);
	assert_string_equal(say("n1", UNKNOWN, "0"), MAIN_UNKNOWN);
	assert_string_equal(say("n1", UNKNOWN, "1"), LANGS);
	assert_string_equal(say("n1", UNKNOWN, "00"), MAIN_UNKNOWN);
	/* 0 on the main menu stays there */
	assert_string_equal(say("n1", UNKNOWN, "0"), MAIN_UNKNOWN);
	/* two levels: home, PIN, back to home, back to main */
	assert_string_equal(dial("n2", "255722222222", "*384#"), "CON Tillgate\n1 My business\n2 Language");
	assert_string_equal(say("n2", "255722222222", "1"), "CON Language: 10000033");
	assert_string_equal(say("n2", "255722222222", "1"), "CON PIN:");
	assert_string_equal(say("n2", "255722222222", "0"), "CON Language: 10000033");
	assert_string_equal(say("n2", "255722222222", "0"), "CON Tillgate\n1 My business\n2 Language");
}

static void three_tries(void **state)
{
	(void)state;
	assert_string_equal(dial("r1", UNKNOWN, "*384#"), MAIN_UNKNOWN);
	assert_string_equal(say("r1", UNKNOWN, "7"), "CON Invalid choice.\nTillgate\n1 Language");
	assert_string_equal(say("r1", UNKNOWN, "abc"), "CON Invalid choice.\nTillgate\n1 Language");
	assert_string_equal(say("r1", UNKNOWN, ""), "END Too many tries. Invalid choice.");
	assert_int_equal(ussd_sess_answers(gw.ussd, "r1"), -ENOENT);
	/* a valid answer starts the count again */
	assert_string_equal(dial("r2", UNKNOWN, "*384#"), MAIN_UNKNOWN);
	assert_string_equal(say("r2", UNKNOWN, "5"), "CON Invalid choice.\nTillgate\n1 Language");
	assert_string_equal(say("r2", UNKNOWN, "5"), "CON Invalid choice.\nTillgate\n1 Language");
	assert_string_equal(say("r2", UNKNOWN, "1"), LANGS);
	assert_string_equal(say("r2", UNKNOWN, "4"),
			    "CON Invalid choice.\nChoose your language\n1 English\n2 Kiswahili\n3 Français\n0 Back");
	assert_string_equal(say("r2", UNKNOWN, "98"),
			    "CON Invalid choice.\nChoose your language\n1 English\n2 Kiswahili\n3 Français\n0 Back");
	assert_string_equal(say("r2", UNKNOWN, "01"), "END Too many tries. Invalid choice.");
	/* the PIN state's own retries */
	assert_string_equal(dial("r3", "255722222222", "*384*1*1#"), "CON PIN:");
	assert_string_equal(say("r3", "255722222222", "1111"), "CON Invalid choice.\nPIN:");
	assert_string_equal(say("r3", "255722222222", "2222"), "CON Invalid choice.\nPIN:");
	assert_string_equal(say("r3", "255722222222", "3333"), "END Too many tries. Invalid choice.");
}

static void paging(void **state)
{
	(void)state;
	/* 40 merchants with names of the longest kind (25 characters) */
	for (int i = 0; i < 40; i++) {
		char q[512];
		/* merchant ids need not pass Luhn here: the schema checks digits only */
		snprintf(q, sizeof q,
			 "INSERT INTO merchant (merchant_id, dfsp, trading_name, type, mcc, tier, created_by) "
			 "VALUES ('2%07d', 'dfspa', 'Mama Neema General St %03d', 'small_shop', '5411', 'T0', 'u');"
			 "INSERT INTO owner (dfsp, merchant_id, name, id_type, id_number, phone) VALUES "
			 "('dfspa', '2%07d', 'Neema', 'national_id', '3', '+255733333333');",
			 i, i + 1, i);
		sql(q);
	}
	const char *m = "255733333333";
	dial("p1", m, "*384#");
	const char *s = say("p1", m, "1");
	char pages[10][USSD_REPLY_MAX + 8];
	int seen[41] = { 0 }, npages = 0;
	for (;;) {
		assert_true(npages < 10);
		snprintf(pages[npages++], sizeof pages[0], "%s", s);
		assert_true(ussd_text_fits(s + 4));
		assert_non_null(strstr(s, "CON Choose a business\n"));
		assert_non_null(strstr(s, "\n0 Back"));
		/* items numbered on across pages */
		for (const char *p = strchr(s, '\n'); p; p = strchr(p + 1, '\n')) {
			int n, k;
			if (sscanf(p + 1, "%d Mama Neema General St %d", &n, &k) == 2) {
				assert_int_equal(n, k);
				assert_true(n >= 1 && n <= 40);
				seen[n]++;
			}
		}
		if (!strstr(s, "\n98 More"))
			break;
		s = say("p1", m, "98");
	}
	assert_true(npages >= 3);
	for (int i = 1; i <= 40; i++)
		assert_int_equal(seen[i], 1);
	/* past the last page: invalid; 0 goes back one page */
	s = say("p1", m, "98");
	assert_non_null(strstr(s, "CON Invalid choice.\nChoose a business\n"));
	s = say("p1", m, "0");
	assert_string_equal(s, pages[npages - 2]);
	/* a number from another page is still that item */
	assert_string_equal(say("p1", m, "40"), "CON Language: 20000039");
	assert_string_equal(say("p1", m, "0"), pages[npages - 2]);
	assert_string_equal(say("p1", m, "0"), pages[npages - 3]);
	assert_string_equal(say("p1", m, "00"), "CON Tillgate\n1 My business\n2 Language");
	sql("DELETE FROM owner WHERE phone = '+255733333333'");
}

static void direct_strings(void **state)
{
	(void)state;
	assert_string_equal(dial("d1", UNKNOWN, "*384*1#"), LANGS);
	assert_string_equal(dial("d2", UNKNOWN, "*385#"),
			    "END Unknown service. Please check the code you dialled.");
	assert_string_equal(dial("d3", UNKNOWN, "*3841#"),
			    "END Unknown service. Please check the code you dialled.");
	assert_string_equal(dial("d4", UNKNOWN, "*384"),
			    "END Unknown service. Please check the code you dialled.");
	/* parts are digits (ussd/ussd_dial.h) */
	assert_string_equal(dial("d8", UNKNOWN, "*384*1a#"),
			    "END Unknown service. Please check the code you dialled.");
	assert_string_equal(dial("d9", UNKNOWN, "*384*1*#"),
			    "END Unknown service. Please check the code you dialled.");
	assert_int_equal(ussd_sess_count(gw.ussd) >= 1, 1);
	assert_string_equal(dial("d5", UNKNOWN, "*384*9#"), "CON Invalid choice.\nTillgate\n1 Language");
	/* several parts: each answers the screen before it */
	assert_string_equal(dial("d6", "255722222222", "*384*1*1#"), "CON PIN:");
	assert_string_equal(dial("d7", "255722222222", "*384*1*1*4321#"), "END Language: dfspa/dfspa");
	assert_int_equal(ussd_sess_answers(gw.ussd, "d7"), -ENOENT);
}

static int64_t subscriber_lang(const char *msisdn, char *lang, size_t cap)
{
	sqlite3_stmt *st;
	lang[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT lang FROM subscriber WHERE msisdn = ?", -1,
					    &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, msisdn, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(lang, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

static void language_kept(void **state)
{
	(void)state;
	char lang[16];
	const char *m = "255744444444";
	assert_int_equal(subscriber_lang(m, lang, sizeof lang), 0);
	assert_string_equal(dial("l1", m, "*384#"), MAIN_UNKNOWN);
	assert_string_equal(say("l1", m, "1"), LANGS);
	assert_string_equal(say("l1", m, "2"), "CON Lugha: Kiswahili\nTillgate\n1 Lugha");
	/* committed before the reply */
	assert_int_equal(subscriber_lang(m, lang, sizeof lang), 1);
	assert_string_equal(lang, "sw");
	assert_string_equal(say("l1", m, "5"), "CON Chaguo si sahihi.\nTillgate\n1 Lugha");
	/* the next dialogue starts in Swahili */
	assert_string_equal(dial("l2", m, "*384#"), "CON Tillgate\n1 Lugha");
	assert_string_equal(say("l2", m, "1"),
			    "CON Chagua lugha\n1 English\n2 Kiswahili\n3 Français\n0 Rudi");
	assert_string_equal(say("l2", m, "3"), "CON Langue : Français\nTillgate\n1 Langue");
	assert_int_equal(subscriber_lang(m, lang, sizeof lang), 1);
	assert_string_equal(lang, "fr");
	/* a session with no context gets its final screen in the language too */
	assert_string_equal(say("gone", m, "1"), "END Votre session a expiré. Veuillez recomposer le code.");
	/* others are untouched */
	assert_string_equal(dial("l3", UNKNOWN, "*384#"), MAIN_UNKNOWN);
}

static void secret_not_logged(void **state)
{
	(void)state;
	assert_string_equal(dial("s1", "255722222222", "*384*1#"), "CON Language: 10000033");
	assert_string_equal(say("s1", "255722222222", "1"), "CON PIN:");
	assert_string_equal(say("s1", "255722222222", "9876"), "CON Invalid choice.\nPIN:");
	assert_string_equal(say("s1", "255722222222", "4321"), "END Language: dfspa/dfspa");
	assert_string_equal(dial("s2", "255722222222", "*384*1*1*4321#"), "END Language: dfspa/dfspa");
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_null(strstr(text, "9876"));
	assert_null(strstr(text, "4321"));
	assert_non_null(strstr(text, "key=s1 msisdn=255722222222 input=<secret>"));
	assert_non_null(strstr(text, "key=s2 msisdn=255722222222 transport=test dialled=<secret>"));
	/* [ussd] registration_dfsp, read on each use */
	free(gw.cfg.ussd_registration_dfsp);
	gw.cfg.ussd_registration_dfsp = strdup("bank-x");
	assert_non_null(gw.cfg.ussd_registration_dfsp);
	assert_string_equal(dial("s3", "255722222222", "*384*1*1*4321#"), "END Language: dfspa/bank-x");
	gw.cfg.ussd_registration_dfsp[0] = '\0';
	assert_string_equal(dial("s4", "255722222222", "*384*1*1*4321#"), "END Language: dfspa/dfspa");
	/* ordinary answers are logged */
	assert_non_null(strstr(text, "key=s1 msisdn=255722222222 input=1 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(main_menu_by_caller),
		cmocka_unit_test(back_and_main),
		cmocka_unit_test(three_tries),
		cmocka_unit_test(paging),
		cmocka_unit_test(direct_strings),
		cmocka_unit_test(language_kept),
		cmocka_unit_test(secret_not_logged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
