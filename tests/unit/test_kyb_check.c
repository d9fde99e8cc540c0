/* test_kyb_check.c -- unit tests of the KYB validators (kyb/kyb_check.c)
 * and the MCC table (kyb/kyb_mcc.c): valid and invalid examples for every
 * validator with the position of the first bad character, published LEIs,
 * Luhn vectors and properties, ISO 3166, and data/mcc.tsv. Runs from the
 * repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kyb/kyb_builtin.h"
#include "kyb/kyb_check.h"
#include "kyb/kyb_file.h"
#include "kyb/kyb_mcc.h"

typedef int check_fn(const char *field, const char *s, struct kyb_check_bad *bad);

/* s is valid: 0, and bad is cleared. */
static void valid(check_fn *f, const char *s)
{
	struct kyb_check_bad bad = { .pos = 77, .msg = "x" };
	int rc = f("f", s, &bad);

	if (rc != 0)
		print_message("expected \"%s\" to be valid: %s\n", s, bad.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(bad.pos, -1);
	assert_string_equal(bad.msg, "");
}

/* s is invalid with rc, first bad character at pos, message containing
 * needle and starting with the field name "f: ". */
static void invalid(check_fn *f, const char *s, int rc, int pos, const char *needle)
{
	struct kyb_check_bad bad;
	int got = f("f", s, &bad);

	if (got != rc || bad.pos != pos || !strstr(bad.msg, needle))
		print_message("\"%s\": rc %d pos %d msg \"%s\"; expected rc %d pos %d \"%s\"\n", s ? s : "(null)",
			      got, bad.pos, bad.msg, rc, pos, needle);
	assert_int_equal(got, rc);
	assert_int_equal(bad.pos, pos);
	assert_non_null(strstr(bad.msg, needle));
	assert_int_equal(strncmp(bad.msg, "f: ", 3), 0);
	/* A position inside the value is named, 1-based. */
	if (pos >= 0 && s && (size_t)pos < strlen(s)) {
		char p[32];
		snprintf(p, sizeof p, "f: position %d (", pos + 1);
		assert_int_equal(strncmp(bad.msg, p, strlen(p)), 0);
	}
	/* bad is optional. */
	assert_int_equal(f("f", s, NULL), rc);
}

/* Per-country checks, adapted to check_fn through a global country. */
static const char *g_country;

static int nid(const char *field, const char *s, struct kyb_check_bad *bad)
{
	return kyb_check_national_id(field, g_country, s, bad);
}

static int tin(const char *field, const char *s, struct kyb_check_bad *bad)
{
	return kyb_check_tax_id(field, g_country, s, bad);
}

/* ---- Phone ---- */

static void test_phone_valid(void **state)
{
	(void)state;
	valid(kyb_check_phone, "+255712345678");   /* TZ */
	valid(kyb_check_phone, "+254712345678");   /* KE */
	valid(kyb_check_phone, "+254110123456");   /* KE, 01x mobile range */
	valid(kyb_check_phone, "+256772123456");   /* UG */
	valid(kyb_check_phone, "+250788123456");   /* RW */
	valid(kyb_check_phone, "+233241234567");   /* GH */
	valid(kyb_check_phone, "+2348031234567");  /* NG mobile, 10 digits */
	valid(kyb_check_phone, "+23412345678");    /* NG Lagos fixed, 8 digits */
	valid(kyb_check_phone, "+260971234567");   /* ZM */
	valid(kyb_check_phone, "+265991234567");   /* MW mobile */
	valid(kyb_check_phone, "+2651234567");     /* MW fixed, 7 digits */
	valid(kyb_check_phone, "+27821234567");    /* ZA */
	valid(kyb_check_phone, "+14155552671");    /* NANP */
	valid(kyb_check_phone, "+447911123456");   /* GB */
	valid(kyb_check_phone, "+79161234567");    /* RU */
	valid(kyb_check_phone, "+12345678");       /* 8 digits: the shortest */
	valid(kyb_check_phone, "+861234567890123"); /* 15 digits: the longest */
}

static void test_phone_invalid(void **state)
{
	(void)state;
	invalid(kyb_check_phone, NULL, -EINVAL, -1, "missing");
	invalid(kyb_check_phone, "", -EINVAL, -1, "missing");
	invalid(kyb_check_phone, "255712345678", -EINVAL, 0, "expected '+'");
	invalid(kyb_check_phone, "0712345678", -EINVAL, 0, "expected '+'");
	invalid(kyb_check_phone, "+255 712345678", -EINVAL, 4, "(a space): expected a digit");
	invalid(kyb_check_phone, "+255-712345678", -EINVAL, 4, "('-'): expected a digit");
	invalid(kyb_check_phone, "+25571234567x", -EINVAL, 12, "('x'): expected a digit");
	invalid(kyb_check_phone, "+0255712345678", -EINVAL, 1, "never starts with 0");
	invalid(kyb_check_phone, "+1234567", -EINVAL, 8, "too short: 7 digits");
	invalid(kyb_check_phone, "+1234567890123456", -EINVAL, 16, "more than 15 digits");
	invalid(kyb_check_phone, "+2101234567", -ENOENT, 1, "not start with an assigned country calling code");
	invalid(kyb_check_phone, "+2591234567", -ENOENT, 1, "assigned country calling code");
	invalid(kyb_check_phone, "+80012345678", -ENOENT, 1, "assigned");   /* freephone: global */
	invalid(kyb_check_phone, "+88212345678", -ENOENT, 1, "assigned");   /* international networks */
	/* Country lengths and trunk prefix. */
	invalid(kyb_check_phone, "+2557123456789", -EINVAL, 13,
		"Tanzania (+255) numbers have 9 digits after the country code, not 10");
	invalid(kyb_check_phone, "+25571234567", -EINVAL, 12, "not 8");
	invalid(kyb_check_phone, "+2550712345678", -EINVAL, 4, "drop the trunk 0 after +255");
	invalid(kyb_check_phone, "+2540712345678", -EINVAL, 4, "trunk 0");
	invalid(kyb_check_phone, "+23480312345678", -EINVAL, 14, "have 8 to 10 digits");
	invalid(kyb_check_phone, "+265123456", -EINVAL, 10, "Malawi");
	invalid(kyb_check_phone, "+278212345678", -EINVAL, 12, "South Africa");
	/* Default field name. */
	struct kyb_check_bad bad;
	assert_int_equal(kyb_check_phone(NULL, "x", &bad), -EINVAL);
	assert_string_equal(bad.msg, "phone: position 1 ('x'): expected '+' and the country code (E.164)");
	assert_int_equal(kyb_check_phone("owners[1].phone", "+255\x01", &bad), -EINVAL);
	assert_string_equal(bad.msg, "owners[1].phone: position 5 (byte 0x01): expected a digit "
				     "(E.164: '+' and 8 to 15 digits)");
}

/* ---- National and tax IDs ---- */

static void test_national_ids(void **state)
{
	(void)state;
	g_country = "TZ";
	valid(nid, "19900101123450000112");
	valid(nid, "19900101-12345-00001-12");
	valid(nid, "20000229123450000112");   /* leap day */
	invalid(nid, "19901301123450000112", -EINVAL, 4, "month 13 does not exist");
	invalid(nid, "19900132123450000112", -EINVAL, 6, "day 32 does not exist in month 01");
	invalid(nid, "19910229123450000112", -EINVAL, 6, "day 29 does not exist in month 02");
	invalid(nid, "18991231123450000112", -EINVAL, 0, "year 1899");
	invalid(nid, "1990010112345000011", -EINVAL, 19, "too short (19 characters; TZ NIDA number");
	invalid(nid, "1990010112345000011A", -EINVAL, 19, "('A'): expected a digit");
	invalid(nid, "19900101-1234-500001-12", -EINVAL, 13, "('-'): expected a digit");
	invalid(nid, "199001011234500001123", -EINVAL, 20, "expected the end");
	invalid(nid, "19900101 12345 00001 12", -EINVAL, 8, "(a space): expected a digit or '-'");

	g_country = "KE";
	valid(nid, "12345678");
	valid(nid, "1234567");
	invalid(nid, "123456", -EINVAL, 6, "too short (6 characters; KE national ID: 7 or 8 digits)");
	invalid(nid, "123456789", -EINVAL, 8, "expected the end");
	invalid(nid, "1234567A", -EINVAL, 7, "expected the end or a digit");

	g_country = "UG";
	valid(nid, "CM90012345678X");
	valid(nid, "CF12345678ABCD");
	valid(nid, "FM90012345678X");
	invalid(nid, "CX90012345678X", -EINVAL, 1, "('X'): expected 'M' or 'F'");
	invalid(nid, "XM90012345678X", -EINVAL, 0, "expected 'C' or 'F'");
	invalid(nid, "CM9001234567", -EINVAL, 12, "too short");
	invalid(nid, "CM90012345678x", -EINVAL, 13, "expected a capital letter or digit");

	g_country = "RW";
	valid(nid, "1199080012345012");
	valid(nid, "1198570012345012");
	invalid(nid, "4199080012345012", -EINVAL, 0, "expected 1 (citizen), 2 (refugee) or 3 (foreigner)");
	invalid(nid, "1189980012345012", -EINVAL, 1, "year 1899");
	invalid(nid, "1199060012345012", -EINVAL, 5, "expected 7 (female) or 8 (male)");
	invalid(nid, "119908001234501", -EINVAL, 15, "too short");

	g_country = "GH";
	valid(nid, "GHA-123456789-0");
	valid(nid, "GHA1234567890");
	invalid(nid, "GHB-123456789-0", -EINVAL, 2, "('B'): expected 'A'");
	invalid(nid, "GHA-12345678-0", -EINVAL, 12, "('-'): expected a digit");
	invalid(nid, "gha-123456789-0", -EINVAL, 0, "expected 'G'");

	g_country = "NG";
	valid(nid, "12345678901");
	invalid(nid, "1234567890", -EINVAL, 10, "too short (10 characters; NG NIN: 11 digits)");

	g_country = "ZM";
	valid(nid, "479974/11/1");
	valid(nid, "000001/11/3");
	invalid(nid, "479974/11/4", -EINVAL, 10, "expected 1 (Zambian), 2 (Commonwealth) or 3 (other)");
	invalid(nid, "47997411/1", -EINVAL, 6, "('1'): expected '/'");

	g_country = "MW";
	valid(nid, "AB12CD34");
	valid(nid, "12345678");
	invalid(nid, "ab12cd34", -EINVAL, 0, "expected a capital letter or digit");

	g_country = "ZA";
	valid(nid, "8001015009087");
	valid(nid, "8501016184086");
	invalid(nid, "8001015009088", -EBADMSG, 12, "Luhn check digit does not match");
	invalid(nid, "8013015009087", -EINVAL, 2, "month 13");
	invalid(nid, "8001015009387", -EINVAL, 10, "expected 0 (citizen)");
}

static void test_tax_ids(void **state)
{
	(void)state;
	g_country = "TZ";
	valid(tin, "123456789");
	valid(tin, "123-456-789");
	invalid(tin, "123-456789", -EINVAL, 7, "expected '-'");
	invalid(tin, "12345678", -EINVAL, 8, "too short (8 characters; TZ TRA TIN");

	g_country = "KE";
	valid(tin, "A123456789B");
	valid(tin, "P051365947M");
	valid(tin, "A004416331M");
	invalid(tin, "B123456789C", -EINVAL, 0, "('B'): expected 'A' or 'P'");
	invalid(tin, "A12345678BB", -EINVAL, 9, "('B'): expected a digit");
	invalid(tin, "A1234567891", -EINVAL, 10, "('1'): expected a capital letter");
	invalid(tin, "a123456789b", -EINVAL, 0, "expected 'A' or 'P'");

	g_country = "UG";
	valid(tin, "1000123456");
	invalid(tin, "100012345", -EINVAL, 9, "UG URA TIN: 10 digits");

	g_country = "RW";
	valid(tin, "100123456");

	g_country = "GH";
	valid(tin, "C0000803561");
	valid(tin, "P0012345678");
	valid(tin, "V00ABC12345");
	valid(tin, "GHA-123456789-0");
	invalid(tin, "X0000803561", -EINVAL, 0, "expected 'P' or 'C' or 'G' or 'Q' or 'V'");
	invalid(tin, "C1000803561", -EINVAL, 1, "('1'): expected '0'");

	g_country = "NG";
	valid(tin, "1234567890");
	valid(tin, "01234567-0001");
	invalid(tin, "12345678-001", -EINVAL, 12, "too short");
	invalid(tin, "012345670001", -EINVAL, 10, "expected the end");

	g_country = "ZM";
	valid(tin, "1000006064");
	g_country = "MW";
	valid(tin, "70123456");
	invalid(tin, "7012345A", -EINVAL, 7, "MW MRA TPIN: 8 digits");

	g_country = "ZA";
	valid(tin, "0001339050");
	invalid(tin, "0001339051", -EBADMSG, 9, "Luhn");
	invalid(tin, "4001339050", -EINVAL, 0, "expected 0, 1, 2, 3 or 9");
}

static void test_generic_ids(void **state)
{
	(void)state;
	/* No country, an unknown one, and one without a known format. */
	const char *countries[] = { NULL, "", "FR", "XX" };
	for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++) {
		g_country = countries[i];
		valid(nid, "AB123456");
		valid(nid, "C01X00T47");
		valid(nid, "12-34/56 78");
		valid(nid, "1234");
		valid(nid, "123456789012345678901234");
		valid(tin, "99-1234567");
		invalid(nid, "A1", -EINVAL, 2, "too short (2 characters; 4 to 24 capitals");
		invalid(nid, "AB--12", -EINVAL, 3, "a separator must stand between");
		invalid(nid, "-AB12", -EINVAL, 0, "separator");
		invalid(nid, "AB12-", -EINVAL, 4, "separator");
		invalid(nid, "ABCD", -EINVAL, -1, "has no digit");
		invalid(nid, "ab1234", -EINVAL, 0, "expected a capital letter or digit");
		invalid(nid, "1234567890123456789012345", -EINVAL, 24, "longer than 24 characters");
		invalid(tin, "", -EINVAL, -1, "missing");
	}
	assert_non_null(strstr(kyb_check_id_format("TZ", false), "NIDA"));
	assert_non_null(strstr(kyb_check_id_format("KE", true), "KRA PIN"));
	assert_non_null(strstr(kyb_check_id_format("FR", true), "4 to 24"));
	assert_non_null(strstr(kyb_check_id_format(NULL, false), "4 to 24"));
	/* Default field names. */
	struct kyb_check_bad bad;
	assert_int_equal(kyb_check_national_id(NULL, "KE", "1", &bad), -EINVAL);
	assert_int_equal(strncmp(bad.msg, "national_id: ", 13), 0);
	assert_int_equal(kyb_check_tax_id(NULL, "KE", "1", &bad), -EINVAL);
	assert_int_equal(strncmp(bad.msg, "tax_id: ", 8), 0);
}

/* ---- LEI ---- */

static void test_lei_published(void **state)
{
	/* Published LEIs, from GLEIF's public records. */
	static const char *const leis[] = {
		"5493001KJTIIGC8Y1R12",   /* Bloomberg Finance L.P. */
		"506700GE1G29325QX363",   /* Global Legal Entity Identifier Foundation */
		"HWUPKR0MPOU8FGXBT394",   /* Apple Inc. */
		"INR2EJN1ERAN0W5ZP974",   /* Microsoft Corporation */
		"7LTWFZYICNSX8D621K86",   /* Deutsche Bank AG */
	};
	(void)state;

	for (size_t i = 0; i < sizeof leis / sizeof leis[0]; i++) {
		valid(kyb_check_lei, leis[i]);
		assert_int_equal(kyb_check_lei_digits(leis[i]), atoi(leis[i] + 18));
	}
	assert_int_equal(kyb_check_lei_digits("5493001KJTIIGC8Y1R"), 12);
}

static void test_lei_invalid(void **state)
{
	char lei[21];
	(void)state;

	invalid(kyb_check_lei, NULL, -EINVAL, -1, "missing");
	invalid(kyb_check_lei, "5493001KJTIIGC8Y1R13", -EBADMSG, 18,
		"check digits 13 do not match, expected 12 (ISO 7064 MOD 97-10)");
	invalid(kyb_check_lei, "5493001KJTIIGC8Y1R1", -EINVAL, 19, "too short (19 characters; an LEI has 20)");
	invalid(kyb_check_lei, "5493001KJTIIGC8Y1R123", -EINVAL, 20, "too long (21 characters");
	invalid(kyb_check_lei, "5493001kJTIIGC8Y1R12", -EINVAL, 7, "('k'): expected a capital letter or digit");
	invalid(kyb_check_lei, "5493001KJTIIGC8Y1RA2", -EINVAL, 18, "('A'): expected a check digit");
	invalid(kyb_check_lei, "5493-01KJTIIGC8Y1R12", -EINVAL, 4, "('-')");
	/* MOD 97-10 over letters read as 10-35 catches every swap of two
	 * adjacent different digits or letters, and every change of a digit
	 * into a digit or a letter into a letter. (A letter swapped with a
	 * digit, e.g. B1 / 1B, can escape it: 11 * d = L mod 97.) */
	memcpy(lei, "5493001KJTIIGC8Y1R12", 21);
	for (int i = 0; i + 1 < 18; i++) {
		char c;
		if (lei[i] == lei[i + 1] || (lei[i] <= '9') != (lei[i + 1] <= '9'))
			continue;
		c = lei[i], lei[i] = lei[i + 1], lei[i + 1] = c;
		assert_int_equal(kyb_check_lei(NULL, lei, NULL), -EBADMSG);
		c = lei[i], lei[i] = lei[i + 1], lei[i + 1] = c;
	}
	for (int i = 0; i < 18; i++) {
		for (const char *c = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"; *c; c++) {
			char save = lei[i];
			if (*c == save || (*c <= '9') != (save <= '9'))
				continue;
			lei[i] = *c;
			assert_int_equal(kyb_check_lei(NULL, lei, NULL), -EBADMSG);
			lei[i] = save;
		}
	}
	assert_int_equal(kyb_check_lei_digits("5493001KJTIIGC8Y1"), -EINVAL);
	assert_int_equal(kyb_check_lei_digits("5493001KJTIIGC8Y1r"), -EINVAL);
	assert_int_equal(kyb_check_lei_digits(NULL), -EINVAL);
}

/* ---- Luhn ---- */

static void test_luhn_vectors(void **state)
{
	(void)state;
	assert_int_equal(kyb_luhn_digit("7992739871"), 3);
	assert_true(kyb_luhn_ok("79927398713"));
	for (int d = 0; d <= 9; d++) {
		char s[12] = "7992739871?";
		s[10] = (char)('0' + d);
		assert_int_equal(kyb_luhn_ok(s), d == 3);
	}
	assert_true(kyb_luhn_ok("4111111111111111"));
	assert_false(kyb_luhn_ok("4111111111111112"));
	assert_true(kyb_luhn_ok("49927398716"));
	assert_false(kyb_luhn_ok("49927398717"));
	assert_true(kyb_luhn_ok("1234567812345670"));
	assert_false(kyb_luhn_ok("1234567812345678"));
	assert_true(kyb_luhn_ok("00"));
	assert_true(kyb_luhn_ok("18"));
	assert_true(kyb_luhn_ok("059"));
	assert_int_equal(kyb_luhn_digit("0"), 0);
	assert_int_equal(kyb_luhn_digit("1"), 8);
	assert_int_equal(kyb_luhn_digit("05"), 9);
	assert_int_equal(kyb_luhn_digit("12345678"), 2);
	/* Not digits, or too short. */
	assert_int_equal(kyb_luhn_digit(""), -EINVAL);
	assert_int_equal(kyb_luhn_digit(NULL), -EINVAL);
	assert_int_equal(kyb_luhn_digit("12a4"), -EINVAL);
	assert_int_equal(kyb_luhn_digit("-123"), -EINVAL);
	assert_false(kyb_luhn_ok(""));
	assert_false(kyb_luhn_ok(NULL));
	assert_false(kyb_luhn_ok("0"));
	assert_false(kyb_luhn_ok("4111 1111 1111 1111"));
	assert_false(kyb_luhn_ok("79927398713 "));
}

/* Appending the check digit always passes; every single-digit error
 * fails, as do adjacent transpositions other than 09 <-> 90. */
static void test_luhn_properties(void **state)
{
	uint32_t x = 2463534242u;   /* xorshift32 */
	(void)state;

	for (int round = 0; round < 2000; round++) {
		char s[24];
		int n = 1 + round % 19, d;

		for (int i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			s[i] = (char)('0' + x % 10);
		}
		s[n] = '\0';
		d = kyb_luhn_digit(s);
		assert_true(d >= 0 && d <= 9);
		s[n] = (char)('0' + d);
		s[n + 1] = '\0';
		assert_true(kyb_luhn_ok(s));
		for (int i = 0; i <= n; i++) {
			char save = s[i];
			for (char c = '0'; c <= '9'; c++) {
				if (c == save)
					continue;
				s[i] = c;
				assert_false(kyb_luhn_ok(s));
			}
			s[i] = save;
		}
		for (int i = 0; i < n; i++) {
			char a = s[i], b = s[i + 1];
			if (a == b || (a == '0' && b == '9') || (a == '9' && b == '0'))
				continue;
			s[i] = b, s[i + 1] = a;
			assert_false(kyb_luhn_ok(s));
			s[i] = a, s[i + 1] = b;
		}
	}
}

/* ---- Trading name, country ---- */

static void test_trading_name(void **state)
{
	(void)state;
	valid(kyb_check_trading_name, "Duka Bora");
	valid(kyb_check_trading_name, "X");
	valid(kyb_check_trading_name, "Mama Ntilie's Food & Co.!");   /* 25 */
	valid(kyb_check_trading_name, "A  B");
	invalid(kyb_check_trading_name, "", -EINVAL, -1, "missing");
	invalid(kyb_check_trading_name, "Mama Ntilie's Food & Co.!!", -EINVAL, 25, "longer than 25 characters");
	invalid(kyb_check_trading_name, " Duka", -EINVAL, 0, "starts with a space");
	invalid(kyb_check_trading_name, "Duka ", -EINVAL, 4, "ends with a space");
	invalid(kyb_check_trading_name, "Caf\xc3\xa9 Bora", -EINVAL, 3, "(byte 0xC3): not printable ASCII");
	invalid(kyb_check_trading_name, "Duka\tBora", -EINVAL, 4, "(byte 0x09)");
	invalid(kyb_check_trading_name, "Duka\x7f", -EINVAL, 4, "(byte 0x7F)");
}

static void test_country(void **state)
{
	int n = 0;
	(void)state;

	valid(kyb_check_country, "TZ");
	valid(kyb_check_country, "KE");
	valid(kyb_check_country, "AD");
	valid(kyb_check_country, "ZW");
	invalid(kyb_check_country, "tz", -EINVAL, 0, "('t'): expected a capital letter");
	invalid(kyb_check_country, "T", -EINVAL, 1, "too short");
	invalid(kyb_check_country, "TZA", -EINVAL, 2, "too long");
	invalid(kyb_check_country, "T1", -EINVAL, 1, "('1')");
	invalid(kyb_check_country, "XK", -ENOENT, -1, "XK is not an assigned ISO 3166-1 alpha-2 code");
	invalid(kyb_check_country, "ZZ", -ENOENT, -1, "not an assigned");
	invalid(kyb_check_country, "UK", -ENOENT, -1, "not an assigned");   /* GB is */
	invalid(kyb_check_country, NULL, -EINVAL, -1, "missing");
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			char s[3] = { a, b, '\0' };
			n += kyb_check_country(NULL, s, NULL) == 0;
		}
	}
	assert_int_equal(n, 249);
}

/* ---- MCC ---- */

static struct kyb_mcc *load_mcc(void)
{
	struct kyb_mcc *m;
	char err[256];
	int rc = kyb_mcc_load("data/mcc.tsv", &m, err, sizeof err);

	if (rc)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
	return m;
}

static const struct kyb_mcc *g_mcc;

static int mcc(const char *field, const char *s, struct kyb_check_bad *bad)
{
	return kyb_mcc_check(g_mcc, field, s, bad);
}

static void test_mcc_table(void **state)
{
	/* The codes small merchants use most must be there. */
	static const char *const must[] = { "5411", "5812", "5814", "5912", "7230", "8211", "8062",
					    "5541", "4814", "5251", "5651", "5699", "4121", "5499",
					    "5983", "7538", "5931", "4829", "8099", "5311" };
	struct kyb_mcc *m = load_mcc();
	(void)state;

	assert_true(kyb_mcc_count(m) >= 100);
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		assert_non_null(kyb_mcc_find(m, must[i]));
	assert_string_equal(kyb_mcc_find(m, "5411")->label, "Groceries, supermarkets");
	assert_string_equal(kyb_mcc_find(m, "7230")->label, "Hair salons, barbers, beauty");
	for (int i = 0; i < kyb_mcc_count(m); i++) {
		const struct kyb_mcc_entry *e = kyb_mcc_at(m, i);
		assert_int_equal(strlen(e->code), 4);
		assert_true(strlen(e->label) >= 1 && strlen(e->label) <= 32);
		if (i > 0)
			assert_true(strcmp(kyb_mcc_at(m, i - 1)->code, e->code) < 0);
		assert_ptr_equal(kyb_mcc_find(m, e->code), e);
	}
	assert_null(kyb_mcc_at(m, -1));
	assert_null(kyb_mcc_at(m, kyb_mcc_count(m)));
	assert_null(kyb_mcc_find(m, "0000"));
	assert_null(kyb_mcc_find(m, "9999"));
	assert_null(kyb_mcc_find(m, "541"));
	assert_null(kyb_mcc_find(m, NULL));
	kyb_mcc_free(m);
	kyb_mcc_free(NULL);
}

static void test_mcc_check(void **state)
{
	struct kyb_mcc *m = load_mcc();
	(void)state;

	g_mcc = m;
	valid(mcc, "5411");
	valid(mcc, "0742");
	invalid(mcc, "9999", -ENOENT, -1, "9999 is not in the MCC table");
	invalid(mcc, "541", -EINVAL, 3, "too short");
	invalid(mcc, "54a1", -EINVAL, 2, "('a'): expected a digit");
	invalid(mcc, "54111", -EINVAL, 4, "('1'): too long");
	invalid(mcc, "", -EINVAL, -1, "missing");
	invalid(mcc, "5\x01", -EINVAL, 1, "(byte 0x01)");
	/* Without a table, only the form. */
	g_mcc = NULL;
	valid(mcc, "9999");
	invalid(mcc, "99x9", -EINVAL, 2, "expected a digit");
	kyb_mcc_free(m);
}

static void expect_mcc_error(const char *text, const char *needle)
{
	struct kyb_mcc *m = (struct kyb_mcc *)&m;
	char err[256];

	assert_int_equal(kyb_mcc_parse(text, strlen(text), "m.tsv", &m, err, sizeof err), -EINVAL);
	assert_null(m);
	if (!strstr(err, needle))
		print_message("got \"%s\", expected \"%s\"\n", err, needle);
	assert_non_null(strstr(err, needle));
	assert_int_equal(kyb_mcc_parse(text, strlen(text), "m.tsv", &m, NULL, 0), -EINVAL);
}

static void test_mcc_parse_errors(void **state)
{
	struct kyb_mcc *m;
	char err[256];
	(void)state;

	expect_mcc_error("5411\tGroceries\n5311\tDepartment stores\n", "m.tsv:2: 5311 is not after 5411");
	expect_mcc_error("5411\tGroceries\n5411\tAgain\n", "m.tsv:2: 5411 is not after 5411");
	expect_mcc_error("5411 Groceries\n", "m.tsv:1: expected 4 digits, a tab and a label");
	expect_mcc_error("541\tGroceries\n", "m.tsv:1: expected 4 digits");
	expect_mcc_error("54x1\tGroceries\n", "m.tsv:1: the code is not 4 digits");
	expect_mcc_error("5411\t\n", "m.tsv:1: the label is not 1 to 32 characters");
	expect_mcc_error("5411\t123456789012345678901234567890123\n", "the label is not 1 to 32");
	expect_mcc_error("5411\tCaf\xc3\xa9\n", "m.tsv:1: byte 0xC3 at column 9");
	expect_mcc_error("5411\tGroceries\r\n", "byte 0x0D");
	expect_mcc_error("5411\t Groceries\n", "starts or ends with a space");
	expect_mcc_error("# only a comment\n\n", "m.tsv: no codes");
	expect_mcc_error("", "no codes");
	/* Comments, blank lines and no final newline are fine. */
	assert_int_equal(kyb_mcc_parse("# x\n\n0742\tVets\n5411\tGroceries", 29, "m.tsv", &m, err, sizeof err), 0);
	assert_int_equal(kyb_mcc_count(m), 2);
	assert_string_equal(kyb_mcc_at(m, 1)->label, "Groceries");
	kyb_mcc_free(m);
	assert_int_equal(kyb_mcc_load("data/none.tsv", &m, err, sizeof err), -ENOENT);
	assert_string_equal(err, "data/none.tsv: cannot read: No such file or directory");
}

/* The built-in copy is data/mcc.tsv byte for byte. */
static void test_mcc_builtin_is_the_file(void **state)
{
	struct kyb_mcc *m;
	char err[128], *file;
	size_t len, flen;
	const char *text = kyb_builtin_mcc(&len);
	(void)state;

	assert_non_null(text);
	assert_int_equal(kyb_file_read("data/mcc.tsv", 1 << 20, &file, &flen), 0);
	assert_int_equal(len, flen);
	assert_memory_equal(text, file, len);
	free(file);
	assert_int_equal(kyb_mcc_builtin(&m, err, sizeof err), 0);
	assert_non_null(kyb_mcc_find(m, "5411"));
	kyb_mcc_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone_valid),
		cmocka_unit_test(test_phone_invalid),
		cmocka_unit_test(test_national_ids),
		cmocka_unit_test(test_tax_ids),
		cmocka_unit_test(test_generic_ids),
		cmocka_unit_test(test_lei_published),
		cmocka_unit_test(test_lei_invalid),
		cmocka_unit_test(test_luhn_vectors),
		cmocka_unit_test(test_luhn_properties),
		cmocka_unit_test(test_trading_name),
		cmocka_unit_test(test_country),
		cmocka_unit_test(test_mcc_table),
		cmocka_unit_test(test_mcc_check),
		cmocka_unit_test(test_mcc_parse_errors),
		cmocka_unit_test(test_mcc_builtin_is_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
