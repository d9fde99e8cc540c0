/* test_ussd_text.c -- unit tests of the USSD text codec (ussd/ussd_text.c):
 * both GSM 03.38 tables character by character, IA5 and UCS-2, screen
 * lengths at and one past each limit, and every error with its offset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ussd/ussd_text.h"

/* The default alphabet as 3GPP TS 23.038 6.2.1 prints it, written out
 * here as UTF-8 so that the test does not share the codec's table.
 * Index = GSM code; NULL for 0x1B (ESC). */
static const char *const BASIC[128] = {
	"@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
	"Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", NULL, "Æ", "æ", "ß", "É",
	" ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
	"¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
	"P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
	"¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
	"p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
};

/* The extension table (6.2.1.1): ESC + code. */
static const struct {
	uint8_t code;
	const char *s;
} EXT[] = {
	{ 0x0A, "\f" }, { 0x14, "^" }, { 0x28, "{" }, { 0x29, "}" }, { 0x2F, "\\" },
	{ 0x3C, "[" },  { 0x3D, "~" }, { 0x3E, "]" }, { 0x40, "|" }, { 0x65, "€" },
};

static uint8_t ENC[1024];
static char DEC[2048];

static void test_basic_table(void **state)
{
	(void)state;
	for (int c = 0; c < 128; c++) {
		size_t len = 99, pos = 99;
		uint8_t dcs = 0xFF, in = (uint8_t)c;

		if (!BASIC[c])
			continue;
		assert_int_equal(ussd_text_encode(BASIC[c], USSD_DCS_GSM7, ENC, sizeof ENC, &len, &dcs), 0);
		assert_int_equal(dcs, USSD_DCS_GSM7);
		assert_int_equal(len, 1);
		assert_int_equal(ENC[0], c);
		assert_int_equal(ussd_text_decode(USSD_DCS_DEFAULT, &in, 1, DEC, sizeof DEC, &pos),
				 (long)strlen(BASIC[c]));
		assert_string_equal(DEC, BASIC[c]);
		assert_int_equal(ussd_text_decode(USSD_DCS_GSM7, &in, 1, DEC, sizeof DEC, &pos),
				 (long)strlen(BASIC[c]));
		assert_string_equal(DEC, BASIC[c]);
		int ucs2 = -1;
		assert_int_equal(ussd_text_units(BASIC[c], &ucs2), 1);
		assert_int_equal(ucs2, 0);
	}
}

static void test_ext_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof EXT / sizeof EXT[0]; k++) {
		size_t len = 99;
		uint8_t dcs = 0xFF, in[2] = { 0x1B, EXT[k].code };
		int ucs2 = -1;

		assert_int_equal(ussd_text_encode(EXT[k].s, USSD_DCS_DEFAULT, ENC, sizeof ENC, &len, &dcs), 0);
		assert_int_equal(dcs, USSD_DCS_DEFAULT);
		assert_int_equal(len, 2);
		assert_memory_equal(ENC, in, 2);
		assert_int_equal(ussd_text_decode(USSD_DCS_GSM7, in, 2, DEC, sizeof DEC, NULL),
				 (long)strlen(EXT[k].s));
		assert_string_equal(DEC, EXT[k].s);
		assert_int_equal(ussd_text_units(EXT[k].s, &ucs2), 2);
		assert_int_equal(ucs2, 0);
	}
}

/* Every GSM character in one string, encoded and decoded back. */
static void test_whole_alphabet_round_trip(void **state)
{
	char all[1024] = "";
	size_t len, n = 0;
	uint8_t dcs;

	(void)state;
	for (int c = 0; c < 128; c++)
		if (BASIC[c]) {
			strcat(all, BASIC[c]);
			n++;
		}
	for (size_t k = 0; k < sizeof EXT / sizeof EXT[0]; k++) {
		strcat(all, EXT[k].s);
		n += 2;
	}
	assert_int_equal(ussd_text_units(all, NULL), (long)n);
	assert_int_equal(ussd_text_encode(all, USSD_DCS_GSM7, ENC, sizeof ENC, &len, &dcs), 0);
	assert_int_equal(len, n);
	assert_int_equal(dcs, USSD_DCS_GSM7);
	assert_int_equal(ussd_text_decode(dcs, ENC, len, DEC, sizeof DEC, NULL), (long)strlen(all));
	assert_string_equal(DEC, all);
}

/* An ESC that is not followed by an extension code shows as a space. */
static void test_lone_escape(void **state)
{
	static const uint8_t esc_a[] = { 'x', 0x1B, 'A' };
	static const uint8_t esc_end[] = { 'x', 0x1B };
	static const uint8_t esc_esc[] = { 0x1B, 0x1B, 0x65 };

	(void)state;
	assert_int_equal(ussd_text_decode(0, esc_a, sizeof esc_a, DEC, sizeof DEC, NULL), 3);
	assert_string_equal(DEC, "x A");
	assert_int_equal(ussd_text_decode(0, esc_end, sizeof esc_end, DEC, sizeof DEC, NULL), 2);
	assert_string_equal(DEC, "x ");
	assert_int_equal(ussd_text_decode(0, esc_esc, sizeof esc_esc, DEC, sizeof DEC, NULL), 4);
	assert_string_equal(DEC, " €");
}

static void test_ucs2(void **state)
{
	/* "Habari ✓" has one character outside GSM: the whole text is UCS-2. */
	static const uint8_t habari[] = { 0, 'H', 0, 'a', 0, 'b', 0, 'a', 0, 'r', 0, 'i', 0, ' ', 0x27, 0x13 };
	/* U+1F600 as a surrogate pair, then "é". */
	static const uint8_t smile[] = { 0xD8, 0x3D, 0xDE, 0x00, 0x00, 0xE9 };
	size_t len;
	uint8_t dcs;
	int ucs2 = -1;

	(void)state;
	assert_int_equal(ussd_text_units("Habari ✓", &ucs2), 8);
	assert_int_equal(ucs2, 1);
	assert_int_equal(ussd_text_encode("Habari ✓", USSD_DCS_GSM7, ENC, sizeof ENC, &len, &dcs), 0);
	assert_int_equal(dcs, USSD_DCS_UCS2);
	assert_int_equal(len, sizeof habari);
	assert_memory_equal(ENC, habari, sizeof habari);
	for (int i = 0; i < 3; i++) {
		uint8_t d = (uint8_t[]){ 0x08, 0x48, 0x11 }[i];
		assert_int_equal(ussd_text_decode(d, habari, sizeof habari, DEC, sizeof DEC, NULL),
				 (long)strlen("Habari ✓"));
		assert_string_equal(DEC, "Habari ✓");
	}

	assert_int_equal(ussd_text_units("😀é", &ucs2), 3);
	assert_int_equal(ucs2, 1);
	assert_int_equal(ussd_text_encode("😀é", USSD_DCS_GSM7, ENC, sizeof ENC, &len, &dcs), 0);
	assert_int_equal(len, sizeof smile);
	assert_memory_equal(ENC, smile, sizeof smile);
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, smile, sizeof smile, DEC, sizeof DEC, NULL), 6);
	assert_string_equal(DEC, "😀é");

	/* A GSM character in a UCS-2 text counts one unit, even one from
	 * the extension table. */
	assert_int_equal(ussd_text_units("€ ✓", &ucs2), 3);
	assert_int_equal(ucs2, 1);
}

static void test_ucs2_errors(void **state)
{
	static const uint8_t odd[] = { 0, 'A', 0 };
	static const uint8_t lone_lo[] = { 0, 'A', 0xDC, 0x00, 0, 'B' };
	static const uint8_t lone_hi[] = { 0, 'A', 0, 'B', 0xD8, 0x3D, 0, 'C' };
	static const uint8_t hi_end[] = { 0, 'A', 0xDB, 0xFF };
	static const uint8_t nul[] = { 0, 'A', 0, 0 };
	size_t pos = 99;

	(void)state;
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, odd, sizeof odd, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 2);
	assert_string_equal(DEC, "");
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, lone_lo, sizeof lone_lo, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 2);
	assert_int_equal(ussd_text_decode(0x48, lone_hi, sizeof lone_hi, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 4);
	assert_int_equal(ussd_text_decode(0x11, hi_end, sizeof hi_end, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 2);
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, nul, sizeof nul, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 2);
	/* errpos may be NULL */
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, odd, sizeof odd, DEC, sizeof DEC, NULL), -EILSEQ);
}

static void test_gsm_decode_errors(void **state)
{
	static const uint8_t high[] = { 'a', 'b', 'c', 0x80, 'd' };
	static const uint8_t ff[] = { 0xFF };
	size_t pos = 99;

	(void)state;
	assert_int_equal(ussd_text_decode(USSD_DCS_DEFAULT, high, sizeof high, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 3);
	assert_int_equal(ussd_text_decode(USSD_DCS_GSM7, ff, sizeof ff, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 0);
	assert_int_equal(ussd_text_decode(0x04, high, 3, DEC, sizeof DEC, &pos), -ENOTSUP);
	assert_int_equal(ussd_text_decode(0xF0, high, 3, DEC, sizeof DEC, &pos), -ENOTSUP);
	/* nothing to decode is the empty string */
	assert_int_equal(ussd_text_decode(USSD_DCS_GSM7, high, 0, DEC, sizeof DEC, &pos), 0);
	assert_string_equal(DEC, "");
}

static void test_ia5(void **state)
{
	static const uint8_t hello[] = "Hi `x` {y}\x01";
	static const uint8_t high[] = { 'O', 'K', 0xC3, 0xA9 };
	static const uint8_t nul[] = { 'O', 0, 'K' };
	size_t pos = 99;

	(void)state;
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, hello, sizeof hello - 1, DEC, sizeof DEC, &pos), 11);
	assert_string_equal(DEC, "Hi `x` {y}\x01");
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, high, sizeof high, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 2);
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, nul, sizeof nul, DEC, sizeof DEC, &pos), -EILSEQ);
	assert_int_equal(pos, 1);
	/* '@' is 0x40 in IA5, not GSM's 0x00 */
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, (const uint8_t *)"@", 1, DEC, sizeof DEC, &pos), 1);
	assert_string_equal(DEC, "@");
}

static char *repeat(char *buf, const char *s, int n)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(buf, s);
	return buf;
}

static void test_screen_limits(void **state)
{
	char s[2048];
	int ucs2;

	(void)state;
	/* 182 septets fit, 183 do not */
	assert_int_equal(ussd_text_units(repeat(s, "a", 182), &ucs2), 182);
	assert_int_equal(ucs2, 0);
	assert_true(ussd_text_fits(s));
	assert_false(ussd_text_fits(repeat(s, "a", 183)));
	/* extension characters count two: 91 x '€' is 182, then one more */
	assert_int_equal(ussd_text_units(repeat(s, "€", 91), &ucs2), 182);
	assert_true(ussd_text_fits(s));
	strcat(s, "a");
	assert_int_equal(ussd_text_units(s, NULL), 183);
	assert_false(ussd_text_fits(s));
	/* 2-byte UTF-8 in GSM still counts one septet */
	assert_true(ussd_text_fits(repeat(s, "é", 182)));
	/* 80 UCS-2 units fit, 81 do not */
	assert_int_equal(ussd_text_units(repeat(s, "✓", 80), &ucs2), 80);
	assert_int_equal(ucs2, 1);
	assert_true(ussd_text_fits(s));
	assert_false(ussd_text_fits(repeat(s, "✓", 81)));
	/* one non-GSM character turns a 100-septet text into 100 UCS-2
	 * units, which no longer fits */
	repeat(s, "a", 99);
	assert_true(ussd_text_fits(s));
	strcat(s, "ç"); /* small c cedilla: not in GSM (only Ç is) */
	assert_int_equal(ussd_text_units(s, &ucs2), 100);
	assert_int_equal(ucs2, 1);
	assert_false(ussd_text_fits(s));
	/* a character outside the BMP is two units */
	assert_true(ussd_text_fits(repeat(s, "😀", 40)));
	strcat(s, "a");
	assert_int_equal(ussd_text_units(s, NULL), 81);
	assert_false(ussd_text_fits(s));
	assert_int_equal(ussd_text_units("", &ucs2), 0);
	assert_int_equal(ucs2, 0);
	assert_true(ussd_text_fits(""));
}

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *s;
		size_t off;
	} bad[] = {
		{ "ab\x80", 2 },             /* stray continuation */
		{ "abc\xC3", 3 },            /* truncated at the end */
		{ "\xC3(x", 0 },             /* missing continuation */
		{ "ok \xC0\xAF", 3 },        /* overlong '/' */
		{ "x\xE0\x80\xAF", 1 },      /* overlong, 3 bytes */
		{ "xy\xED\xA0\x80", 2 },     /* surrogate U+D800 */
		{ "\xF4\x90\x80\x80", 0 },   /* above U+10FFFF */
		{ "1234\xFF", 4 },
		{ "é\xF5\x80\x80\x80", 2 },
	};
	size_t len;
	uint8_t dcs;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int ucs2 = 7;
		assert_int_equal(ussd_text_units(bad[i].s, &ucs2), -1);
		assert_false(ussd_text_fits(bad[i].s));
		len = 999;
		assert_int_equal(ussd_text_encode(bad[i].s, USSD_DCS_GSM7, ENC, sizeof ENC, &len, &dcs), -EILSEQ);
		assert_int_equal(len, bad[i].off);
	}
}

static void test_encode_nospace(void **state)
{
	size_t len;
	uint8_t dcs;

	(void)state;
	/* exactly enough, then one byte short */
	assert_int_equal(ussd_text_encode("a€", USSD_DCS_GSM7, ENC, 3, &len, &dcs), 0);
	assert_int_equal(len, 3);
	assert_int_equal(ussd_text_encode("a€", USSD_DCS_GSM7, ENC, 2, &len, &dcs), -ENOSPC);
	assert_int_equal(len, 0);
	assert_int_equal(ussd_text_encode("a✓", USSD_DCS_GSM7, ENC, 4, &len, &dcs), 0);
	assert_int_equal(ussd_text_encode("a✓", USSD_DCS_GSM7, ENC, 3, &len, &dcs), -ENOSPC);
	assert_int_equal(ussd_text_encode("", USSD_DCS_GSM7, ENC, 0, &len, &dcs), 0);
	assert_int_equal(len, 0);
	assert_int_equal(dcs, USSD_DCS_GSM7);
	/* '@' is the zero byte of GSM */
	assert_int_equal(ussd_text_encode("a@b", USSD_DCS_DEFAULT, ENC, 3, &len, &dcs), 0);
	assert_memory_equal(ENC, "a\0b", 3);
	/* only the two GSM data codings are accepted for GSM text */
	assert_int_equal(ussd_text_encode("a", USSD_DCS_UCS2, ENC, sizeof ENC, &len, &dcs), -EINVAL);
	assert_int_equal(ussd_text_encode("a", USSD_DCS_IA5, ENC, sizeof ENC, &len, &dcs), -EINVAL);
}

static void test_decode_nospace(void **state)
{
	static const uint8_t gsm[] = { 'a', 0x1B, 0x65, 'b' }; /* "a€b": 5 bytes of UTF-8 */
	static const uint8_t ucs[] = { 0, 'a', 0x27, 0x13 };   /* "a✓": 4 bytes */
	size_t pos = 99;

	(void)state;
	assert_int_equal(ussd_text_decode(0, gsm, sizeof gsm, DEC, 6, &pos), 5);
	assert_string_equal(DEC, "a€b");
	assert_int_equal(ussd_text_decode(0, gsm, sizeof gsm, DEC, 5, &pos), -ENOSPC);
	assert_int_equal(pos, 3);
	assert_string_equal(DEC, "");
	assert_int_equal(ussd_text_decode(0, gsm, sizeof gsm, DEC, 4, &pos), -ENOSPC);
	assert_int_equal(pos, 1);
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, ucs, sizeof ucs, DEC, 5, &pos), 4);
	assert_int_equal(ussd_text_decode(USSD_DCS_UCS2, ucs, sizeof ucs, DEC, 4, &pos), -ENOSPC);
	assert_int_equal(pos, 2);
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, (const uint8_t *)"ab", 2, DEC, 2, &pos), -ENOSPC);
	assert_int_equal(pos, 1);
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, (const uint8_t *)"ab", 2, DEC, 0, &pos), -ENOSPC);
	assert_int_equal(ussd_text_decode(USSD_DCS_IA5, (const uint8_t *)"", 0, DEC, 1, &pos), 0);
}

/* A typical menu screen: measured, encoded, decoded back. */
static void test_menu_screen(void **state)
{
	static const char menu[] = "Karibu Tillgate\n1 Sajili biashara\n2 Lipa\n3 Salio\n"
				   "4 Badilisha PIN [****]\n0 Toka";
	size_t len;
	uint8_t dcs;

	(void)state;
	/* two extension characters ([ and ]) count one extra septet each */
	assert_int_equal(ussd_text_units(menu, NULL), (long)strlen(menu) + 2);
	assert_true(ussd_text_fits(menu));
	assert_int_equal(ussd_text_encode(menu, USSD_DCS_DEFAULT, ENC, USSD_MAX_SEPTETS, &len, &dcs), 0);
	assert_int_equal(len, strlen(menu) + 2);
	assert_int_equal(ussd_text_decode(dcs, ENC, len, DEC, sizeof DEC, NULL), (long)strlen(menu));
	assert_string_equal(DEC, menu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_table),
		cmocka_unit_test(test_ext_table),
		cmocka_unit_test(test_whole_alphabet_round_trip),
		cmocka_unit_test(test_lone_escape),
		cmocka_unit_test(test_ucs2),
		cmocka_unit_test(test_ucs2_errors),
		cmocka_unit_test(test_gsm_decode_errors),
		cmocka_unit_test(test_ia5),
		cmocka_unit_test(test_screen_limits),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_encode_nospace),
		cmocka_unit_test(test_decode_nospace),
		cmocka_unit_test(test_menu_screen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
