/* test_ussd_locale.c -- unit tests of the USSD menu texts
 * (ussd/ussd_locale.c): every text of every built-in language fits one
 * screen with sample values, parse errors name file, line and key, a
 * locale_dir file replaces the built-in one and falls back to English
 * key by key, and placeholders are replaced without re-expansion. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/testdir.h"
#include "ussd/ussd_locale.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"
#include "ussd/ussd_text.h"

static char dir[256];

/* Messages reported by the calls under test, one per line. */
static char msgs[16384];

static void collect(void *arg, const char *msg)
{
	(void)arg;
	size_t n = strlen(msgs);
	snprintf(msgs + n, sizeof msgs - n, "%s\n", msg);
}

static int setup(void **state)
{
	(void)state;
	return testdir_make(dir, sizeof dir, "test_ussd_locale");
}

static int teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

static void write_file(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Long but plausible values for every placeholder the texts may use. */
static const struct ussd_var samples[] = {
	{ "lang", "Kiswahili" },
	{ "reason", "Invalid choice, please check." },
	{ "name", "Duka la Mama Neema" },
	{ "till", "1234567" },
	{ "merchant", "12345678" },
	{ "amount", "1,000,000.00" },
	{ "currency", "TZS" },
	{ "phone", "+255712345678" },
	{ "n", "12" },
	/* the merchant flows' (ussd/ussd_flow_reg.c, ussd_flow_biz.c) */
	{ "format", "TZ NIDA number: 20 digits, or YYYYMMDD-NNNNN-NNNNN-NN" },
	{ "type", "Office and photocopy equipment" },
	{ "id", "19900101-12345-00001-12" },
	{ "town", "BAGAMOYO-MWANZA" },
	{ "dfsp", "Demo DFSP" },
	{ "until", "2026-11-28 10:45" },
	{ "tier", "T1" },
	/* the customer flows' (ussd/ussd_flow_cust.c, ussd_flow_pay.c) */
	{ "ccy", "TZS" },
	{ "code", "*150*384#" },
	{ "ref", "P0123456789abcdef01234567" },
	{ "what", "offline per-payment" },
	{ "limit", "TZS 1,000,000.00" },
	{ "reason", "the receiving bank refused the payment (insufficient liquidity)" },
	/* My business takings and last payments (gateway/pay.h) */
	{ "count", "1234" },
	{ "total", "TZS 12,345,678.50" },
	{ "qcount", "50" },
	{ "qtotal", "TZS 2,000,000" },
	{ "time", "23:59" },
	{ "state", "en attente" },
	{ "payer", "2557****678" },
	/* at most 120 characters, then ", ..." (ussd_flow_biz.c NEEDS_MAX) */
	{ "needs", "address, trading permit number, payout account, ID check, copy of your ID, "
		   "trading permit, registration number, ..." },
};

static void every_text_fits(void **state)
{
	(void)state;
	struct ussd_locale *l = NULL;
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_load(&l, "en,sw,fr", "", collect, NULL), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(ussd_locale_nlangs(l), 3);
	const char *langs[] = { "en", "sw", "fr" };
	size_t checked = 0;
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(ussd_locale_lang(l, i), langs[i]);
		size_t n = ussd_locale_nkeys(l, langs[i]);
		assert_true(n >= 15);
		for (size_t k = 0; k < n; k++) {
			const char *key = ussd_locale_key(l, langs[i], k);
			const char *t = ussd_locale_get(l, langs[i], key);
			char out[USSD_REPLY_MAX];
			assert_non_null(t);
			assert_true(ussd_locale_format(t, samples, sizeof samples / sizeof samples[0], out,
						       sizeof out) > 0);
			if (!ussd_text_fits(out))
				fail_msg("%s %s does not fit one screen: %s", langs[i], key, out);
			/* a text plus a menu of three entries must fit too */
			assert_null(strchr(out, '{'));
			checked++;
		}
	}
	assert_true(checked >= 45);
	/* the built-in languages are complete */
	assert_int_equal(ussd_locale_missing(l, collect, NULL), 0);
	/* the languages' own names, as the Language menu lists them */
	assert_string_equal(ussd_locale_get(l, "sw", "lang.name"), "Kiswahili");
	assert_string_equal(ussd_locale_get(l, "fr", "lang.name"), "Français");
	assert_string_equal(ussd_locale_get(l, "en", "menu.language"), "Language");
	assert_string_equal(ussd_locale_get(l, "sw", "menu.language"), "Lugha");
	assert_null(ussd_locale_get(l, "sw", "no.such"));
	assert_true(ussd_locale_has(l, "fr"));
	assert_false(ussd_locale_has(l, "de"));
	ussd_locale_free(l);
}

static void parse_errors_name_line_and_key(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[a]\nx = one\nx = two\n", "t.ini:3: key 'a.x': duplicate" },
		{ "# c\n[a]\ny = {oops\n", "t.ini:3: key 'a.y': '{' at byte 1 does not open a {placeholder}" },
		{ "[a]\n\ny = a}b\n", "t.ini:3: key 'a.y': '}' at byte 2 closes no placeholder" },
		{ "z = x\n", "t.ini:1: key 'z': outside a [section]" },
		{ "[a]\nw =   \n", "t.ini:2: key 'a.w': empty text" },
		{ "[a]\nv = bad \xff byte\n", "t.ini:2: key 'a.v': invalid UTF-8 or control character at byte 5 of the text" },
		{ "[a]\nno equals here\n", "t.ini:2: expected 'key = text', '[section]' or a comment" },
		{ "[a\n", "t.ini:1: section header without ']'" },
		{ "[A b]\n", "t.ini:1: section name must be 1-31 of a-z, 0-9, '_' (column 2)" },
		{ "[a]\nK = x\n", "t.ini:2: key must be 1-31 of a-z, 0-9, '_' (column 1)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		msgs[0] = '\0';
		int rc = ussd_locale_check_text("t.ini", cases[i].text, strlen(cases[i].text), collect, NULL);
		assert_int_equal(rc, 1);
		char want[256];
		snprintf(want, sizeof want, "%s\n", cases[i].want);
		assert_string_equal(msgs, want);
	}
	/* valid: comments, CRLF, BOM, spaces, placeholders */
	const char *ok = "\xef\xbb\xbf; c\r\n[ a ]\r\n  x  =  Hello {name}, {till}!  \r\ny=z";
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_check_text("ok.ini", ok, strlen(ok), collect, NULL), 0);
	assert_string_equal(msgs, "");
}

static void locale_dir_overrides_and_falls_back(void **state)
{
	(void)state;
	write_file("sw.ini", "[menu]\nlanguage = Chagua lugha\n");
	write_file("xx.ini", "[lang]\nname = Lugha ya majaribio\n");
	struct ussd_locale *l = NULL;
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_load(&l, "sw,xx", dir, collect, NULL), 0);
	assert_string_equal(msgs, "");
	assert_int_equal(ussd_locale_nlangs(l), 2);
	assert_string_equal(ussd_locale_get(l, "sw", "menu.language"), "Chagua lugha");
	/* a key the file lacks: English */
	assert_string_equal(ussd_locale_get(l, "sw", "err.choice"), "Invalid choice.");
	assert_string_equal(ussd_locale_get(l, "xx", "lang.name"), "Lugha ya majaribio");
	/* reported for check-config, naming the language and the key */
	int missing = ussd_locale_missing(l, collect, NULL);
	assert_true(missing > 20);
	assert_non_null(strstr(msgs, "sw: key 'err.choice' missing, English used\n"));
	assert_non_null(strstr(msgs, "xx: key 'menu.language' missing, English used\n"));
	assert_null(strstr(msgs, "xx: key 'lang.name' missing"));
	assert_non_null(strstr(msgs, "sw: key 'lang.name' missing"));
	ussd_locale_free(l);

	/* errors in a locale_dir file name that file */
	write_file("fr.ini", "[lang]\nname = Français\nname = encore\n");
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_load(&l, "en,fr", dir, collect, NULL), -EINVAL);
	assert_null(l);
	char want[600];
	snprintf(want, sizeof want, "%s/fr.ini:3: key 'lang.name': duplicate\n", dir);
	assert_string_equal(msgs, want);

	/* a language with neither file nor built-in texts */
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_load(&l, "en,de", "", collect, NULL), -EINVAL);
	assert_non_null(strstr(msgs, "language 'de': no de.ini"));
	/* bad codes and repeats */
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_load(&l, "en,EN", "", collect, NULL), -EINVAL);
	assert_non_null(strstr(msgs, "'EN' is not a language code"));
	msgs[0] = '\0';
	assert_int_equal(ussd_locale_load(&l, "sw,en,sw", "", collect, NULL), -EINVAL);
	assert_non_null(strstr(msgs, "'sw' listed twice"));
}

static void placeholders(void **state)
{
	(void)state;
	char out[64];
	const struct ussd_var v[] = { { "name", "{till}" }, { "till", "42" } };
	/* a value is inserted as is, never expanded again */
	assert_int_equal(ussd_locale_format("Hi {name}, till {till}.", v, 2, out, sizeof out), 19);
	assert_string_equal(out, "Hi {till}, till 42.");
	/* unknown placeholders and lone braces stay as written */
	assert_int_equal(ussd_locale_format("{who} {x", v, 2, out, sizeof out), 8);
	assert_string_equal(out, "{who} {x");
	/* too small: -ENOSPC and a terminated prefix */
	assert_int_equal(ussd_locale_format("Hello {till}", v, 2, out, 8), -ENOSPC);
	assert_string_equal(out, "Hello ");
	assert_int_equal(ussd_locale_format("Hello", v, 2, out, 6), 5);
	assert_int_equal(ussd_locale_format("Hello", v, 2, out, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_text_fits),
		cmocka_unit_test(parse_errors_name_line_and_key),
		cmocka_unit_test(locale_dir_overrides_and_falls_back),
		cmocka_unit_test(placeholders),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
