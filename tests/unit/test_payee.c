/* test_payee.c -- cmocka tests for gateway/payee.c's pure parts: the
 * ILP v1 packet (exact OER bytes, round trip through the decoder, the
 * decoder's refusals with positions) and the fulfilment and condition
 * (a known HMAC-SHA256 vector, the condition checked by fspiop.c's own
 * verifier, a changed packet or secret giving another fulfilment), and
 * fspiop_datetime_parse() for the expiration of a transfer. The
 * party lookups against a daemon are in tests/cli/payee.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/fspiop.h"
#include "gateway/payee.h"

static const unsigned char SECRET[32] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
					  12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					  23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void test_packet_bytes(void **state)
{
	(void)state;
	/* type 1, envelope of 14 bytes: amount 1, account "g.a", no data,
	 * no extensions */
	char *p = payee_ilp_packet(1, "g.a", NULL, 0);
	assert_non_null(p);
	assert_string_equal(p, "AQ4AAAAAAAAAAQNnLmEAAA");
	free(p);
	errno = 0;
	assert_null(payee_ilp_packet(1, "g.a b", NULL, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(payee_ilp_packet(-1, "g.a", NULL, 0));
	assert_null(payee_ilp_packet(1, "", NULL, 0));
}

static void test_packet_round_trip(void **state)
{
	(void)state;
	/* data over 127 bytes: the long form of the OER length */
	unsigned char data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)('a' + i % 26);
	char *p = payee_ilp_packet(500000, "g.tz.acqbank.alias.10000042", data, sizeof data);
	assert_non_null(p);
	int64_t amount = 0;
	char acc[64], err[160];
	size_t dlen = 0;
	assert_int_equal(payee_ilp_decode(p, &amount, acc, sizeof acc, &dlen, err, sizeof err), 0);
	assert_int_equal(amount, 500000);
	assert_string_equal(acc, "g.tz.acqbank.alias.10000042");
	assert_int_equal(dlen, sizeof data);
	/* an account longer than the caller's buffer is refused */
	assert_int_equal(payee_ilp_decode(p, &amount, acc, 8, &dlen, err, sizeof err), -1);
	assert_non_null(strstr(err, "account length"));
	free(p);
}

static void test_decode_refusals(void **state)
{
	(void)state;
	int64_t amount;
	char acc[64], err[160];
	size_t dlen;
	assert_int_equal(payee_ilp_decode("AQ4AAAAA*AAAAQNnLmEAAA", &amount, acc, sizeof acc, &dlen,
					  err, sizeof err), -1);
	assert_string_equal(err, "ilpPacket: not base64url (position 8)");
	/* type 2 */
	assert_int_equal(payee_ilp_decode("Ag4AAAAAAAAAAQNnLmEAAA", &amount, acc, sizeof acc, &dlen,
					  err, sizeof err), -1);
	assert_non_null(strstr(err, "not an ILP payment"));
	/* cut short: the envelope says 14 bytes, fewer follow */
	assert_int_equal(payee_ilp_decode("AQ4AAAAAAAAAAQNnLmEA", &amount, acc, sizeof acc, &dlen,
					  err, sizeof err), -1);
	assert_non_null(strstr(err, "envelope length"));
	assert_int_equal(payee_ilp_decode("", &amount, acc, sizeof acc, &dlen, err, sizeof err),
			 -1);
}

static void test_fulfil(void **state)
{
	(void)state;
	char f[44], c[44], f2[44], c2[44];
	assert_int_equal(payee_ilp_fulfil(SECRET, sizeof SECRET, "AQ4AAAAAAAAAAQNnLmEAAA", f, c), 0);
	/* HMAC-SHA256 of the packet's text under the secret, and its SHA-256 */
	assert_string_equal(f, "-lv4kRbIbbeQ1jmRUuRa9Vgp98-vZPZW0PUyRaZcTT0");
	assert_string_equal(c, "3P1FPCuc3aoX9Ac86hwk_H0jAWkLLKg3KpEo74MJdHA");
	assert_int_equal(fspiop_fulfilment_ok(f, c), 1);
	/* another packet, or another secret: another fulfilment */
	assert_int_equal(payee_ilp_fulfil(SECRET, sizeof SECRET, "AQ4AAAAAAAAAAgNnLmEAAA", f2, c2),
			 0);
	assert_string_not_equal(f, f2);
	assert_int_equal(fspiop_fulfilment_ok(f2, c), 0);
	unsigned char other[32];
	memcpy(other, SECRET, sizeof other);
	other[31] ^= 1;
	assert_int_equal(payee_ilp_fulfil(other, sizeof other, "AQ4AAAAAAAAAAQNnLmEAAA", f2, c2), 0);
	assert_string_not_equal(f, f2);
	assert_int_equal(payee_ilp_fulfil(SECRET, 15, "AQ4AAAAAAAAAAQNnLmEAAA", f2, c2), -EINVAL);
	assert_int_equal(payee_ilp_fulfil(SECRET, sizeof SECRET, "", f2, c2), -EINVAL);
}

/* The expiration of an incoming transfer, to epoch ms: zones and
 * fractions count; what the schema refuses is refused. */
static void test_datetime_parse(void **state)
{
	(void)state;
	int64_t ms = 0;
	assert_int_equal(fspiop_datetime_parse("2026-01-01T10:00:20.000Z", &ms), 0);
	assert_int_equal(ms, 1767261620000LL);
	assert_int_equal(fspiop_datetime_parse("2026-01-01T10:00:20.5Z", &ms), 0);
	assert_int_equal(ms, 1767261620500LL);
	assert_int_equal(fspiop_datetime_parse("2026-01-01T13:00:20.000+03:00", &ms), 0);
	assert_int_equal(ms, 1767261620000LL);
	assert_int_equal(fspiop_datetime_parse("2026-01-01T07:30:20-02:30", &ms), 0);
	assert_int_equal(ms, 1767261620000LL);
	assert_int_equal(fspiop_datetime_parse("2026-01-01T10:00:20", &ms), -1);
	assert_int_equal(fspiop_datetime_parse("2026-01-01 10:00:20Z", &ms), -1);
	assert_int_equal(fspiop_datetime_parse(NULL, &ms), -1);
}

/* The payee fee: flat + basis points rounded down, within min and max. */
static void test_fee(void **state)
{
	(void)state;
	struct payee_terms t = { 0 };
	assert_int_equal(payee_fee(&t, 123456), 0);
	t.fee_flat = 10000;
	assert_int_equal(payee_fee(&t, 123456), 10000);
	t.fee_bp = 150; /* 1.5 %: 1,000,000 -> 15,000; 99 -> 1.485, rounded down */
	assert_int_equal(payee_fee(&t, 1000000), 25000);
	assert_int_equal(payee_fee(&t, 99), 10001);
	t.fee_flat = 0;
	assert_int_equal(payee_fee(&t, 66), 0);
	assert_int_equal(payee_fee(&t, 67), 1);
	t.fee_min = 15000;
	assert_int_equal(payee_fee(&t, 20000), 15000);
	t.fee_max = 30000;
	assert_int_equal(payee_fee(&t, 4000000), 30000);
	assert_int_equal(payee_fee(&t, 1500000), 22500);
	t.fee_max = 0; /* no maximum */
	assert_int_equal(payee_fee(&t, 4000000), 60000);
	/* 100 % of the largest amount does not overflow; a flat fee on top may */
	t = (struct payee_terms){ .fee_bp = 10000 };
	assert_int_equal(payee_fee(&t, INT64_MAX), INT64_MAX);
	t.fee_flat = 1;
	assert_int_equal(payee_fee(&t, INT64_MAX), -1);
	t = (struct payee_terms){ .fee_bp = 10001 };
	assert_int_equal(payee_fee(&t, 1), -1);
	t = (struct payee_terms){ 0 };
	assert_int_equal(payee_fee(&t, -1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_bytes),
		cmocka_unit_test(test_packet_round_trip),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_fulfil),
		cmocka_unit_test(test_datetime_parse),
		cmocka_unit_test(test_fee),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
