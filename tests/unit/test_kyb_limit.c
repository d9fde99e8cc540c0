/* test_kyb_limit.c -- unit tests of the tier limits function
 * (kyb/kyb_limit.c): each limit at its value and one past it, online and
 * offline, the order of checks, messages with formatted amounts, int64
 * overflow, and the room/check agreement on random inputs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kyb/kyb_limit.h"
#include "kyb/kyb_tier.h"

/* A T0 like the default one: TZS 50,000 per payment, 300,000 a day,
 * 3,000,000 a month; offline 10,000 per payment, 50,000 queued, 5
 * payments, 24 h. */
static struct kyb_tier t0(void)
{
	struct kyb_tier t = { .name = "T0", .party = KYB_PARTY_MERCHANT };
	t.limits = (struct kyb_limits){
		.payment = 5000000, .day = 30000000, .month = 300000000,
		.offline_payment = 1000000, .offline_exposure = 5000000,
		.offline_count = 5, .offline_max_age = 86400,
	};
	return t;
}

static struct kyb_tier unlimited(void)
{
	struct kyb_tier t = { .name = "T9", .party = KYB_PARTY_MERCHANT };
	t.limits = (struct kyb_limits){
		KYB_UNLIMITED, KYB_UNLIMITED, KYB_UNLIMITED, KYB_UNLIMITED,
		KYB_UNLIMITED, KYB_UNLIMITED, KYB_UNLIMITED,
	};
	return t;
}

static enum kyb_limit_reason check(const struct kyb_tier *t, int64_t amount, struct kyb_limit_usage u,
				   enum kyb_limit_mode mode, struct kyb_limit_verdict *v)
{
	return kyb_limit_check(t, amount, &u, mode, "TZS", 2, v);
}

static void allow(const struct kyb_tier *t, int64_t amount, struct kyb_limit_usage u, enum kyb_limit_mode mode)
{
	struct kyb_limit_verdict v;
	enum kyb_limit_reason r = check(t, amount, u, mode, &v);

	if (r != KYB_LIMIT_OK)
		print_message("amount %lld denied: %s\n", (long long)amount, v.msg);
	assert_int_equal(r, KYB_LIMIT_OK);
	assert_int_equal(v.reason, KYB_LIMIT_OK);
	assert_string_equal(v.msg, "");
	assert_int_equal(v.limit, 0);
	assert_true(amount <= v.room);
}

static void deny(const struct kyb_tier *t, int64_t amount, struct kyb_limit_usage u, enum kyb_limit_mode mode,
		 enum kyb_limit_reason why, int64_t limit, const char *msg)
{
	struct kyb_limit_verdict v;
	enum kyb_limit_reason r = check(t, amount, u, mode, &v);

	if (r != why || strcmp(v.msg, msg) != 0)
		print_message("amount %lld: %s \"%s\"\n   expected %s \"%s\"\n", (long long)amount,
			      kyb_limit_reason_name(r), v.msg, kyb_limit_reason_name(why), msg);
	assert_int_equal(r, why);
	assert_int_equal(v.reason, why);
	assert_int_equal(v.limit, limit);
	assert_string_equal(v.msg, msg);
	if (why != KYB_LIMIT_INVALID)
		assert_true(amount > v.room);
	/* The verdict is optional. */
	assert_int_equal(kyb_limit_check(t, amount, &u, mode, "TZS", 2, NULL), why);
}

/* ---- Each limit, at its value and one past ---- */

static void test_per_payment(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { 0 };
	(void)state;

	allow(&t, 1, u, KYB_LIMIT_ONLINE);
	allow(&t, 5000000, u, KYB_LIMIT_ONLINE);
	deny(&t, 5000001, u, KYB_LIMIT_ONLINE, KYB_LIMIT_PAYMENT, 5000000,
	     "over the T0 per-payment limit of TZS 50,000.00");
	deny(&t, 5000001, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_PAYMENT, 5000000,
	     "over the T0 per-payment limit of TZS 50,000.00");
}

static void test_daily(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { .day = 29000000, .month = 29000000 };
	(void)state;

	allow(&t, 1000000, u, KYB_LIMIT_ONLINE);
	deny(&t, 1000001, u, KYB_LIMIT_ONLINE, KYB_LIMIT_DAY, 30000000,
	     "over the T0 daily limit of TZS 300,000.00 (TZS 290,000.00 used today)");
	u.day = 30000000;   /* exactly at the limit: nothing more */
	deny(&t, 1, u, KYB_LIMIT_ONLINE, KYB_LIMIT_DAY, 30000000,
	     "over the T0 daily limit of TZS 300,000.00 (TZS 300,000.00 used today)");
	u.day = 40000000;   /* already over (the limit was lowered): still denied */
	deny(&t, 1, u, KYB_LIMIT_ONLINE, KYB_LIMIT_DAY, 30000000,
	     "over the T0 daily limit of TZS 300,000.00 (TZS 400,000.00 used today)");
}

static void test_monthly(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { .day = 0, .month = 299000000 };
	(void)state;

	allow(&t, 1000000, u, KYB_LIMIT_ONLINE);
	deny(&t, 1000001, u, KYB_LIMIT_ONLINE, KYB_LIMIT_MONTH, 300000000,
	     "over the T0 monthly limit of TZS 3,000,000.00 (TZS 2,990,000.00 used this month)");
}

static void test_offline_payment(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { 0 };
	(void)state;

	allow(&t, 1000000, u, KYB_LIMIT_OFFLINE);
	deny(&t, 1000001, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_PAYMENT, 1000000,
	     "over the T0 offline per-payment limit of TZS 10,000.00");
	/* Online, the offline limits do not apply. */
	allow(&t, 1000001, u, KYB_LIMIT_ONLINE);
}

static void test_offline_exposure(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { .offline_exposure = 4500000, .offline_count = 4, .offline_oldest_age = 60 };
	(void)state;

	allow(&t, 500000, u, KYB_LIMIT_OFFLINE);
	deny(&t, 500001, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_EXPOSURE, 5000000,
	     "over the T0 offline exposure limit of TZS 50,000.00 (TZS 45,000.00 queued)");
	allow(&t, 500001, u, KYB_LIMIT_ONLINE);
}

static void test_offline_count(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { .offline_exposure = 400, .offline_count = 4, .offline_oldest_age = 60 };
	(void)state;

	allow(&t, 100, u, KYB_LIMIT_OFFLINE);
	u.offline_count = 5;
	deny(&t, 100, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_COUNT, 5,
	     "over the T0 offline limit of 5 queued payments (5 queued)");
	allow(&t, 100, u, KYB_LIMIT_ONLINE);
}

static void test_offline_age(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { .offline_exposure = 100, .offline_count = 1, .offline_oldest_age = 86399 };
	(void)state;

	allow(&t, 100, u, KYB_LIMIT_OFFLINE);
	u.offline_oldest_age = 86400;
	deny(&t, 100, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_AGE, 86400,
	     "over the T0 offline maximum age of 24h00m (the oldest queued payment is 24h00m old)");
	u.offline_oldest_age = 90061;
	deny(&t, 100, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_AGE, 86400,
	     "over the T0 offline maximum age of 24h00m (the oldest queued payment is 25h01m old)");
	/* Nothing queued: an age means nothing. */
	u.offline_count = 0;
	u.offline_exposure = 0;
	allow(&t, 100, u, KYB_LIMIT_OFFLINE);
	/* Short ages are written in minutes and seconds. */
	t.limits.offline_max_age = 90;
	u.offline_count = 1;
	u.offline_oldest_age = 125;
	deny(&t, 100, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_AGE, 90,
	     "over the T0 offline maximum age of 1m30s (the oldest queued payment is 2m05s old)");
	t.limits.offline_max_age = 30;
	u.offline_oldest_age = 30;
	deny(&t, 100, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_AGE, 30,
	     "over the T0 offline maximum age of 30s (the oldest queued payment is 30s old)");
}

static void test_offline_disabled(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { 0 };
	(void)state;

	t.limits.offline_payment = 0;
	deny(&t, 1, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_PAYMENT, 0,
	     "offline payments are not allowed at tier T0");
	allow(&t, 1, u, KYB_LIMIT_ONLINE);
	t = t0();
	t.limits.offline_count = 0;
	deny(&t, 1, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_OFFLINE_COUNT, 0,
	     "offline payments are not allowed at tier T0");
}

/* The first failing check is reported: per payment, offline per payment,
 * age, count, exposure, day, month. */
static void test_order(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage all = { .day = 30000000, .month = 300000000, .offline_exposure = 5000000,
				 .offline_count = 5, .offline_oldest_age = 86400 };
	(void)state;

	assert_int_equal(check(&t, 5000001, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_PAYMENT);
	assert_int_equal(check(&t, 1000001, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_OFFLINE_PAYMENT);
	assert_int_equal(check(&t, 1, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_OFFLINE_AGE);
	all.offline_oldest_age = 0;
	assert_int_equal(check(&t, 1, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_OFFLINE_COUNT);
	all.offline_count = 0;
	assert_int_equal(check(&t, 1, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_OFFLINE_EXPOSURE);
	all.offline_exposure = 0;
	assert_int_equal(check(&t, 1, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_DAY);
	all.day = 0;
	assert_int_equal(check(&t, 1, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_MONTH);
	all.month = 0;
	assert_int_equal(check(&t, 1, all, KYB_LIMIT_OFFLINE, NULL), KYB_LIMIT_OK);
}

static void test_customer_tier_message(void **state)
{
	struct kyb_tier c = { .name = "C0", .party = KYB_PARTY_CUSTOMER };
	struct kyb_limit_verdict v;
	struct kyb_limit_usage u = { 0 };
	(void)state;

	c.limits = (struct kyb_limits){ 500, 1000, KYB_UNLIMITED, 100, 300, 3, KYB_UNLIMITED };
	assert_int_equal(kyb_limit_check(&c, 501, &u, KYB_LIMIT_ONLINE, "UGX", 0, &v), KYB_LIMIT_PAYMENT);
	assert_string_equal(v.msg, "over the C0 per-payment limit of UGX 500");
	/* An unlimited age never blocks. */
	u.offline_count = 1;
	u.offline_exposure = 100;
	u.offline_oldest_age = INT64_MAX;
	assert_int_equal(kyb_limit_check(&c, 100, &u, KYB_LIMIT_OFFLINE, "UGX", 0, &v), KYB_LIMIT_OK);
}

static void test_invalid_input(void **state)
{
	struct kyb_tier t = t0();
	struct kyb_limit_usage u = { 0 };
	struct kyb_limit_verdict v;
	(void)state;

	deny(&t, 0, u, KYB_LIMIT_ONLINE, KYB_LIMIT_INVALID, 0, "the amount must be positive");
	deny(&t, -1, u, KYB_LIMIT_ONLINE, KYB_LIMIT_INVALID, 0, "the amount must be positive");
	deny(&t, INT64_MIN, u, KYB_LIMIT_OFFLINE, KYB_LIMIT_INVALID, 0, "the amount must be positive");
	u.day = -1;
	deny(&t, 1, u, KYB_LIMIT_ONLINE, KYB_LIMIT_INVALID, 0, "usage so far must not be negative");
	u.day = 0;
	u.offline_oldest_age = -5;
	deny(&t, 1, u, KYB_LIMIT_ONLINE, KYB_LIMIT_INVALID, 0, "usage so far must not be negative");
	u.offline_oldest_age = 0;
	assert_int_equal(kyb_limit_check(&t, 1, &u, KYB_LIMIT_ONLINE, "TZS", 5, &v), KYB_LIMIT_INVALID);
	assert_string_equal(v.msg, "currency must be 3 capitals and its exponent 0-4");
	assert_int_equal(kyb_limit_check(&t, 1, &u, KYB_LIMIT_ONLINE, "TZS", -1, &v), KYB_LIMIT_INVALID);
	assert_int_equal(kyb_limit_check(&t, 1, &u, KYB_LIMIT_ONLINE, "tzs", 2, &v), KYB_LIMIT_INVALID);
	assert_int_equal(kyb_limit_check(&t, 1, &u, KYB_LIMIT_ONLINE, "TZSS", 2, &v), KYB_LIMIT_INVALID);
	/* No currency: amounts alone. */
	assert_int_equal(kyb_limit_check(&t, 5000001, &u, KYB_LIMIT_ONLINE, NULL, 2, &v), KYB_LIMIT_PAYMENT);
	assert_string_equal(v.msg, "over the T0 per-payment limit of 50,000.00");
}

/* ---- Overflow ---- */

static void test_overflow(void **state)
{
	struct kyb_tier t = unlimited();
	struct kyb_limit_usage big = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX - 1, INT64_MAX };
	struct kyb_limit_verdict v;
	(void)state;

	/* No limit: anything goes, even where used + amount would overflow. */
	allow(&t, INT64_MAX, big, KYB_LIMIT_ONLINE);
	allow(&t, INT64_MAX, big, KYB_LIMIT_OFFLINE);
	assert_int_equal(kyb_limit_room(&t, &big, KYB_LIMIT_OFFLINE), KYB_UNLIMITED);

	/* The largest finite limits, nearly used: used + amount overflows
	 * int64, the check must still deny. */
	t.limits.day = INT64_MAX - 1;
	t.limits.month = INT64_MAX - 1;
	struct kyb_limit_usage u = { .day = INT64_MAX - 10, .month = 0 };
	allow(&t, 9, u, KYB_LIMIT_ONLINE);
	assert_int_equal(check(&t, 10, u, KYB_LIMIT_ONLINE, &v), KYB_LIMIT_DAY);
	assert_int_equal(check(&t, INT64_MAX, u, KYB_LIMIT_ONLINE, &v), KYB_LIMIT_DAY);
	assert_int_equal(v.room, 9);
	u.day = INT64_MAX;   /* more used than the limit */
	assert_int_equal(check(&t, 1, u, KYB_LIMIT_ONLINE, &v), KYB_LIMIT_DAY);
	assert_int_equal(v.room, 0);
	assert_string_equal(v.msg, "over the T9 daily limit of TZS 92,233,720,368,547,758.06 "
				   "(TZS 92,233,720,368,547,758.07 used today)");
	u = (struct kyb_limit_usage){ .day = 0, .month = INT64_MAX - 1 };
	assert_int_equal(check(&t, 1, u, KYB_LIMIT_ONLINE, &v), KYB_LIMIT_MONTH);

	t = unlimited();
	t.limits.offline_exposure = INT64_MAX - 1;
	u = (struct kyb_limit_usage){ .offline_exposure = INT64_MAX - 2, .offline_count = 1 };
	allow(&t, 1, u, KYB_LIMIT_OFFLINE);
	assert_int_equal(check(&t, INT64_MAX, u, KYB_LIMIT_OFFLINE, &v), KYB_LIMIT_OFFLINE_EXPOSURE);
	t.limits.offline_count = INT64_MAX - 1;
	u.offline_count = INT64_MAX - 1;
	assert_int_equal(check(&t, 1, u, KYB_LIMIT_OFFLINE, &v), KYB_LIMIT_OFFLINE_COUNT);
}

/* check() allows exactly the amounts up to room(), on random limits
 * (some unlimited, some zero) and random usage (some huge). */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_room_agrees_with_check(void **state)
{
	uint64_t x = 88172645463325252ull;   /* xorshift64 */
	(void)state;

#define RND() rnd(&x)
	for (int round = 0; round < 20000; round++) {
		struct kyb_tier t = { .name = "TX", .party = KYB_PARTY_MERCHANT };
		int64_t *lim[7] = { &t.limits.payment, &t.limits.day, &t.limits.month,
				    &t.limits.offline_payment, &t.limits.offline_exposure,
				    &t.limits.offline_count, &t.limits.offline_max_age };
		int64_t use[5];
		struct kyb_limit_usage u;
		enum kyb_limit_mode mode = RND() & 1 ? KYB_LIMIT_OFFLINE : KYB_LIMIT_ONLINE;

		for (int i = 0; i < 7; i++) {
			uint64_t r = RND();
			switch (r % 5) {
			case 0: *lim[i] = KYB_UNLIMITED; break;
			case 1: *lim[i] = 0; break;
			case 2: *lim[i] = (int64_t)(r >> 40); break;
			case 3: *lim[i] = (int64_t)(r >> 1); break;
			default: *lim[i] = (int64_t)(r >> 50); break;
			}
		}
		for (int i = 0; i < 5; i++) {
			uint64_t r = RND();
			use[i] = r % 4 == 0 ? 0 : r % 4 == 1 ? (int64_t)(r >> 1) : (int64_t)(r >> 44);
		}
		u = (struct kyb_limit_usage){ use[0], use[1], use[2], use[3], use[4] };
		int64_t room = kyb_limit_room(&t, &u, mode);
		assert_true(room >= 0);
		int64_t r1 = (int64_t)(RND() >> 1), r2 = (int64_t)(RND() >> 42) + 1;
		int64_t amounts[5] = { 1, room, room == INT64_MAX ? room : room + 1, r1, r2 };
		for (int k = 0; k < 5; k++) {
			struct kyb_limit_verdict v;
			int64_t a = amounts[k];
			if (a <= 0)
				continue;
			enum kyb_limit_reason r = kyb_limit_check(&t, a, &u, mode, "TZS", 2, &v);
			assert_int_equal(r == KYB_LIMIT_OK, a <= room);
			assert_int_equal(v.room, room);
			assert_true(r != KYB_LIMIT_INVALID);
			assert_int_equal(r == KYB_LIMIT_OK, v.msg[0] == '\0');
		}
	}
#undef RND
	struct kyb_tier t = t0();
	struct kyb_limit_usage neg = { .month = -1 };
	assert_int_equal(kyb_limit_room(&t, &neg, KYB_LIMIT_ONLINE), -1);
}

/* ---- Formatting ---- */

static void expect_format(int64_t amount, const char *ccy, int exp, const char *want)
{
	char buf[KYB_AMOUNT_MAX];
	int n = kyb_limit_format(buf, sizeof buf, amount, ccy, exp);

	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_format(void **state)
{
	char buf[KYB_AMOUNT_MAX];
	(void)state;

	expect_format(5000000, "TZS", 2, "TZS 50,000.00");
	expect_format(0, "TZS", 2, "TZS 0.00");
	expect_format(5, "TZS", 2, "TZS 0.05");
	expect_format(99999, "TZS", 2, "TZS 999.99");
	expect_format(100000, "TZS", 2, "TZS 1,000.00");
	expect_format(100, "UGX", 0, "UGX 100");
	expect_format(1234567, "UGX", 0, "UGX 1,234,567");
	expect_format(1234567, "BHD", 3, "BHD 1,234.567");
	expect_format(12345, "CLF", 4, "CLF 1.2345");
	expect_format(-123456, "TZS", 2, "TZS -1,234.56");
	expect_format(INT64_MAX, "TZS", 2, "TZS 92,233,720,368,547,758.07");
	expect_format(INT64_MIN, "TZS", 2, "TZS -92,233,720,368,547,758.08");
	expect_format(INT64_MIN, "XXX", 0, "XXX -9,223,372,036,854,775,808");
	expect_format(5000000, NULL, 2, "50,000.00");
	expect_format(5000000, "", 2, "50,000.00");
	assert_int_equal(kyb_limit_format(buf, sizeof buf, 1, "TZS", 5), -EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(kyb_limit_format(buf, sizeof buf, 1, "TZS", -1), -EINVAL);
	assert_int_equal(kyb_limit_format(buf, sizeof buf, 1, "Tz", 2), -EINVAL);
	assert_int_equal(kyb_limit_format(buf, KYB_AMOUNT_MAX - 1, 1, "TZS", 2), -EINVAL);
	assert_int_equal(kyb_limit_format(NULL, 0, 1, "TZS", 2), -EINVAL);
}

static void test_reason_names(void **state)
{
	(void)state;
	for (int r = 0; r < KYB_LIMIT__COUNT; r++)
		assert_non_null(kyb_limit_reason_name((enum kyb_limit_reason)r));
	assert_string_equal(kyb_limit_reason_name(KYB_LIMIT_OK), "ok");
	assert_string_equal(kyb_limit_reason_name(KYB_LIMIT_DAY), "day_limit");
	assert_string_equal(kyb_limit_reason_name(KYB_LIMIT_OFFLINE_EXPOSURE), "offline_exposure_limit");
	assert_null(kyb_limit_reason_name(KYB_LIMIT__COUNT));
}

/* The default file's T0 gives the message of the issue. */
static void test_default_t0(void **state)
{
	struct kyb_tiers *ts;
	struct kyb_limit_verdict v;
	struct kyb_limit_usage u = { 0 };
	(void)state;

	assert_int_equal(kyb_tiers_load("data/kyb-tiers.conf", &ts, NULL), 0);
	const struct kyb_tier *t = kyb_tiers_find(ts, KYB_PARTY_MERCHANT, "T0");
	assert_int_equal(kyb_limit_check(t, 5000001, &u, KYB_LIMIT_ONLINE, kyb_tiers_currency(ts), 2, &v),
			 KYB_LIMIT_PAYMENT);
	assert_string_equal(v.msg, "over the T0 per-payment limit of TZS 50,000.00");
	assert_int_equal(v.room, 5000000);
	const struct kyb_tier *t2 = kyb_tiers_find(ts, KYB_PARTY_MERCHANT, "T2");
	assert_int_equal(kyb_limit_check(t2, INT64_MAX, &u, KYB_LIMIT_ONLINE, "TZS", 2, &v), KYB_LIMIT_OK);
	kyb_tiers_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_payment),
		cmocka_unit_test(test_daily),
		cmocka_unit_test(test_monthly),
		cmocka_unit_test(test_offline_payment),
		cmocka_unit_test(test_offline_exposure),
		cmocka_unit_test(test_offline_count),
		cmocka_unit_test(test_offline_age),
		cmocka_unit_test(test_offline_disabled),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_customer_tier_message),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_room_agrees_with_check),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_default_t0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
