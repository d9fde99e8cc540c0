/* test_pin.c -- unit tests of merchant PINs (gateway/pin.c): the
 * triviality check with its messages, Argon2id hashes that verify only
 * the right PIN, carry the configured cost and are flagged for a rehash
 * after a cost change, and the cost bounds. Low-cost parameters through
 * the same API, so that the tests run fast. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/pin.h"

static const struct pin_cost cheap = { 1, 8 };
static const struct pin_cost cheap2 = { 2, 16 };

static enum pin_verdict check(const char *pin, const char *msisdn, char *msg)
{
	return pin_check(pin, strlen(pin), msisdn, msg, PIN_MSG_MAX);
}

static void test_check_form(void **state)
{
	char msg[PIN_MSG_MAX];
	(void)state;

	assert_int_equal(check("123", NULL, msg), PIN_BAD_FORM);
	assert_string_equal(msg, "pin: 4 to 6 digits, got 3 characters");
	assert_int_equal(check("1234567", NULL, msg), PIN_BAD_FORM);
	assert_string_equal(msg, "pin: 4 to 6 digits, got 7 characters");
	assert_int_equal(check("", NULL, msg), PIN_BAD_FORM);
	assert_int_equal(check("48a1", NULL, msg), PIN_BAD_FORM);
	assert_string_equal(msg, "pin: character 3 is not a digit");
	assert_int_equal(check(" 4817", NULL, msg), PIN_BAD_FORM);
	assert_string_equal(msg, "pin: character 1 is not a digit");
	/* A NUL inside the length is a bad character, not the end. */
	assert_int_equal(pin_check("48\0" "17", 5, NULL, msg, sizeof msg), PIN_BAD_FORM);
	assert_string_equal(msg, "pin: character 3 is not a digit");
	assert_int_equal(pin_check(NULL, 0, NULL, msg, sizeof msg), PIN_BAD_FORM);
	/* msg may be NULL or short. */
	assert_int_equal(pin_check("12", 2, NULL, NULL, 0), PIN_BAD_FORM);
	char tiny[8];
	assert_int_equal(pin_check("12", 2, NULL, tiny, sizeof tiny), PIN_BAD_FORM);
	assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_check_trivial(void **state)
{
	char msg[PIN_MSG_MAX];
	(void)state;

	const char *same[] = { "0000", "1111", "99999", "777777" };
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
		assert_int_equal(check(same[i], NULL, msg), PIN_SAME);
	const char *runs[] = { "1234", "4321", "123456", "654321", "2345", "7890", "0987", "34567",
			       "9012" };
	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		assert_int_equal(check(runs[i], NULL, msg), PIN_RUN);
		assert_string_equal(msg, "pin: a run of digits is too easy to guess");
	}
	const char *common[] = { "1212", "1122", "2580", "0852", "1004", "2000", "6969", "121212" };
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		assert_int_equal(check(common[i], NULL, msg), PIN_COMMON);
	/* The end of the phone number, with or without '+'. */
	assert_int_equal(check("2946", "+255712582946", msg), PIN_PHONE);
	assert_int_equal(check("582946", "255712582946", msg), PIN_PHONE);
	assert_int_equal(check("2947", "+255712582946", msg), PIN_OK);
	/* Near misses are fine. */
	const char *ok[] = { "4817", "1235", "0001", "9731", "582046", "13579" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(check(ok[i], "+255712345678", msg), PIN_OK);
		assert_string_equal(msg, "pin: ok");
	}
	/* Messages never contain the PIN. */
	assert_int_equal(check("9731", "+255700009731", msg), PIN_PHONE);
	assert_null(strstr(msg, "9731"));
	assert_string_equal(pin_verdict_name(PIN_RUN), "run");
	assert_string_equal(pin_verdict_name(PIN_PHONE), "phone");
}

static void test_hash_verify(void **state)
{
	char h[PIN_HASH_MAX], h2[PIN_HASH_MAX];
	(void)state;

	assert_int_equal(pin_hash(&cheap, "4817", h), 0);
	assert_memory_equal(h, "$argon2id$v=19$m=8,t=1,p=1$", 27);
	assert_int_equal(pin_verify(h, "4817"), 0);
	assert_int_equal(pin_verify(h, "4818"), -EACCES);
	assert_int_equal(pin_verify(h, "48170"), -EACCES);
	assert_int_equal(pin_verify(h, ""), -EACCES);
	assert_int_equal(pin_verify(h, "abcd"), -EACCES);
	/* Salted: the same PIN hashes differently each time. */
	assert_int_equal(pin_hash(&cheap, "4817", h2), 0);
	assert_string_not_equal(h, h2);
	assert_int_equal(pin_verify(h2, "4817"), 0);
	/* Not an Argon2id hash. */
	assert_int_equal(pin_verify("$argon2i$v=19$m=8,t=1,p=1$abc$def", "4817"), -EINVAL);
	assert_int_equal(pin_verify("4817", "4817"), -EINVAL);
	assert_int_equal(pin_verify(NULL, "4817"), -EINVAL);
	/* A tampered hash does not verify. */
	h[strlen(h) - 2] = h[strlen(h) - 2] == 'A' ? 'B' : 'A';
	assert_int_not_equal(pin_verify(h, "4817"), 0);
	/* Bad forms are refused before hashing. */
	assert_int_equal(pin_hash(&cheap, "123", h), -EINVAL);
	assert_int_equal(pin_hash(&cheap, "1234567", h), -EINVAL);
	assert_int_equal(pin_hash(&cheap, "12a4", h), -EINVAL);
}

static void test_rehash_and_cost(void **state)
{
	char h[PIN_HASH_MAX], err[128];
	(void)state;

	assert_int_equal(pin_hash(&cheap, "4817", h), 0);
	assert_int_equal(pin_needs_rehash(&cheap, h), 0);
	assert_int_equal(pin_needs_rehash(&cheap2, h), 1);
	assert_int_equal(pin_needs_rehash(&cheap, "not a hash"), -EINVAL);
	assert_int_equal(pin_hash(&cheap2, "4817", h), 0);
	assert_memory_equal(h, "$argon2id$v=19$m=16,t=2,p=1$", 28);
	assert_int_equal(pin_needs_rehash(&cheap2, h), 0);
	/* The defaults are within bounds; zero passes or too little memory not. */
	struct pin_cost def = { PIN_OPS_DEFAULT, PIN_MEM_KIB_DEFAULT };
	assert_int_equal(pin_cost_check(&def, err, sizeof err), 0);
	struct pin_cost zero = { 0, 8 }, small = { 1, 7 };
	assert_int_equal(pin_cost_check(&zero, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "pin_opslimit"));
	assert_int_equal(pin_cost_check(&small, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "pin_memlimit_kib"));
	assert_int_equal(pin_hash(&zero, "4817", h), -EINVAL);
}

static void test_wipe(void **state)
{
	char buf[8] = "4817";
	(void)state;
	pin_wipe(buf, sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);
	pin_wipe(NULL, 4);
	assert_true(pin_equal("4817", "4817"));
	assert_false(pin_equal("4817", "4818"));
	assert_false(pin_equal("4817", "48170"));
	assert_false(pin_equal("4817", NULL));
	assert_false(pin_equal("1234567", "1234567"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_form),
		cmocka_unit_test(test_check_trivial),
		cmocka_unit_test(test_hash_verify),
		cmocka_unit_test(test_rehash_and_cost),
		cmocka_unit_test(test_wipe),
	};
	return cmocka_run_group_tests_name("pin", tests, NULL, NULL);
}
