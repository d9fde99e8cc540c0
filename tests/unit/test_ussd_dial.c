/* test_ussd_dial.c -- unit tests of the dialled-string parser
 * (ussd/ussd_dial.c): valid codes and direct strings, every strict
 * prefix, each limit and one past it, and the error positions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ussd/ussd_dial.h"

static int parse(const char *s, struct ussd_dial *d, char *err, size_t *pos)
{
	return ussd_dial_parse(s, strlen(s), d, err, USSD_DIAL_ERR_MAX, pos);
}

static void part_is(const char *s, struct ussd_dial_part p, const char *want)
{
	assert_int_equal(p.len, strlen(want));
	assert_memory_equal(s + p.off, want, p.len);
}

static void test_valid(void **state)
{
	struct ussd_dial d;
	char err[USSD_DIAL_ERR_MAX];
	const char *s;

	(void)state;
	s = "*384#";
	assert_int_equal(parse(s, &d, err, NULL), 5);
	part_is(s, d.code, "384");
	assert_int_equal(d.nargs, 0);
	assert_string_equal(err, "");

	s = "*384*1*2#";
	assert_int_equal(parse(s, &d, err, NULL), 9);
	part_is(s, d.code, "384");
	assert_int_equal(d.nargs, 2);
	part_is(s, d.arg[0], "1");
	part_is(s, d.arg[1], "2");

	s = "*150*00*0712345678#";
	assert_int_equal(parse(s, &d, err, NULL), (int)strlen(s));
	part_is(s, d.code, "150");
	part_is(s, d.arg[1], "0712345678");

	/* the limits themselves */
	s = "*1#";
	assert_int_equal(parse(s, &d, err, NULL), 3);
	s = "*123456*12345678901234567890#";
	assert_int_equal(parse(s, &d, err, NULL), (int)strlen(s));
	s = "*1*1*2*3*4*5*6*7*8#";
	assert_int_equal(parse(s, &d, err, NULL), (int)strlen(s));
	assert_int_equal(d.nargs, USSD_DIAL_MAX_ARGS);
	part_is(s, d.arg[7], "8");
	/* d and err may be NULL */
	assert_int_equal(ussd_dial_parse("*384#", 5, NULL, NULL, 0, NULL), 5);
	/* len, not the NUL, ends the input */
	assert_int_equal(ussd_dial_parse("*384#junk", 5, &d, err, sizeof err, NULL), 5);
}

/* Every strict prefix of a valid string is partial (-2). */
static void test_prefixes(void **state)
{
	static const char *const ok[] = { "*384#", "*384*1*2#", "*150*00*0712345678#" };
	char err[USSD_DIAL_ERR_MAX];
	size_t pos;

	(void)state;
	for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
		for (size_t n = 0; n < strlen(ok[k]); n++) {
			assert_int_equal(ussd_dial_parse(ok[k], n, NULL, err, sizeof err, &pos), -2);
			assert_int_equal(pos, n);
			assert_non_null(strstr(err, "position"));
		}
	assert_int_equal(parse("", NULL, err, &pos), -2);
	assert_string_equal(err, "position 1: empty, expected '*'");
	assert_int_equal(parse("*384*", NULL, err, &pos), -2);
	assert_string_equal(err, "position 6: ends early, expected a digit");
	assert_int_equal(parse("*384", NULL, err, &pos), -2);
	assert_string_equal(err, "position 5: ends early, expected a digit, '*' or '#'");
}

static void test_invalid(void **state)
{
	static const struct {
		const char *s;
		size_t pos;
		const char *msg;
	} bad[] = {
		{ "384#", 0, "position 1 ('3'): expected '*'" },
		{ "#384#", 0, "position 1 ('#'): expected '*'" },
		{ "**384#", 1, "position 2 ('*'): expected a digit" },
		{ "*#", 1, "position 2 ('#'): expected a digit" },
		{ "*384**1#", 5, "position 6 ('*'): expected a digit" },
		{ "*384*#", 5, "position 6 ('#'): expected a digit" },
		{ "*38a4#", 3, "position 4 ('a'): expected a digit, '*' or '#'" },
		{ "*384 #", 4, "position 5 (\\x20): expected a digit, '*' or '#'" },
		{ "*384#1", 5, "position 6 ('1'): nothing may follow '#'" },
		{ "*384##", 5, "position 6 ('#'): nothing may follow '#'" },
		{ "*1234567#", 7, "position 8: service code longer than 6 digits" },
		{ "*384*123456789012345678901#", 25, "position 26: answer longer than 20 digits" },
		{ "*1*1*2*3*4*5*6*7*8*9#", 18, "position 19: more than 8 answers after the service code" },
		{ "*384\xC3\xA9#", 4, "position 5 (\\xC3): expected a digit, '*' or '#'" },
	};
	char err[USSD_DIAL_ERR_MAX];
	size_t pos;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pos = 999;
		assert_int_equal(parse(bad[i].s, NULL, err, &pos), -1);
		assert_int_equal(pos, bad[i].pos);
		assert_string_equal(err, bad[i].msg);
	}
}

static void test_too_long(void **state)
{
	char s[USSD_DIAL_MAX + 2], err[USSD_DIAL_ERR_MAX];
	size_t pos;

	(void)state;
	/* 64 bytes is the limit: '*' 6 digits, then 8 answers of up to 20
	 * digits cannot all be long, so build "*1*" + digits + "#" */
	memset(s, '1', sizeof s);
	s[0] = '*';
	s[2] = '*';
	s[23] = '*';
	s[44] = '*';
	s[USSD_DIAL_MAX - 1] = '#';
	s[USSD_DIAL_MAX] = '\0';
	assert_int_equal(parse(s, NULL, err, &pos), USSD_DIAL_MAX);
	s[USSD_DIAL_MAX - 1] = '1';
	s[USSD_DIAL_MAX] = '#';
	s[USSD_DIAL_MAX + 1] = '\0';
	assert_int_equal(parse(s, NULL, err, &pos), -1);
	assert_int_equal(pos, USSD_DIAL_MAX);
	assert_string_equal(err, "position 65: longer than 64 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
