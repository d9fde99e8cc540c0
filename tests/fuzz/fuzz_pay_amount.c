/* fuzz_pay_amount.c -- libFuzzer target for pay_amount_parse(), the
 * decimal amount of EMVCo tag 54 and of typed amounts: the first byte
 * (mod 6) is the exponent (5 is out of range), the rest the text (not
 * NUL terminated). abort()s when an invariant breaks: the result is the
 * length or -1; a refusal names a position inside the text (or says the
 * exponent); an accepted text is digits with at most one '.' and at most
 * exponent decimals, and its value, written back with exponent decimals,
 * parses to the same value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/pay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                          \
	do {                                                                              \
		if (!(x)) {                                                               \
			fprintf(stderr, "fuzz_pay_amount: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                            \
			abort();                                                          \
		}                                                                         \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 256)
		return 0;
	int exp = data[0] % 6;
	const char *s = (const char *)data + 1;
	size_t len = size - 1;
	/* An exact-size copy, so that a read past len is a sanitizer report. */
	char *buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, s, len);
	int64_t v = -42;
	char err[128];
	int r = pay_amount_parse(buf, len, exp, &v, err, sizeof err);
	CHECK(r == -1 || r == (int)len);
	if (r < 0) {
		CHECK(v == -42);
		CHECK(err[0] != 0);
		const char *p = strstr(err, "position ");
		if (exp > 4)
			CHECK(strstr(err, "exponent") != NULL);
		else {
			CHECK(p != NULL);
			CHECK((size_t)strtoul(p + 9, NULL, 10) <= len);
		}
	} else {
		CHECK(exp <= 4 && len >= 1 && len <= 32);
		CHECK(v >= 0 && v <= 1000000000000000LL);
		int dots = 0, dec = -1;
		for (size_t i = 0; i < len; i++) {
			CHECK((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.');
			if (buf[i] == '.') {
				dots++;
				dec = 0;
			} else if (dec >= 0) {
				dec++;
			}
		}
		CHECK(dots <= 1 && dec <= exp && dec != 0 && buf[0] != '.');
		int64_t scale = 1;
		for (int k = 0; k < exp; k++)
			scale *= 10;
		char back[48];
		int n = exp ? snprintf(back, sizeof back, "%lld.%0*lld", (long long)(v / scale), exp,
				       (long long)(v % scale))
			    : snprintf(back, sizeof back, "%lld", (long long)v);
		int64_t w = -1;
		CHECK(pay_amount_parse(back, (size_t)n, exp, &w, NULL, 0) == n);
		CHECK(w == v);
	}
	free(buf);
	return 0;
}
