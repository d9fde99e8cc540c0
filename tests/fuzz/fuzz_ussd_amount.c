/* fuzz_ussd_amount.c -- libFuzzer target for the amount reader of "Pay
 * merchant" (ussd_flow_amount(), ussd/ussd_flow_pay.c): the first byte
 * picks the currency exponent (0..4), the rest up to a NUL is what the
 * customer typed. Checks that a refusal names a known reason and a
 * position inside the input, and that an accepted amount is positive,
 * within USSD_AMOUNT_MAX, and read back the same from its own formatting
 * (kyb_limit_format() without separators); abort()s when an invariant
 * breaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kyb/kyb_limit.h"
#include "ussd/ussd_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                           \
	do {                                                                               \
		if (!(x)) {                                                                \
			fprintf(stderr, "fuzz_ussd_amount: invariant failed: %s (line %d)\n", #x, \
				__LINE__);                                                 \
			abort();                                                           \
		}                                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[256], fmt[KYB_AMOUNT_MAX], plain[KYB_AMOUNT_MAX];
	if (size == 0)
		return 0;
	int exponent = data[0] % 5;
	size_t n = size - 1 < sizeof in - 1 ? size - 1 : sizeof in - 1;
	memcpy(in, data + 1, n);
	in[n] = '\0';
	n = strlen(in);

	int64_t v = -1;
	int pos = -2;
	const char *why = ussd_flow_amount(in, exponent, &v, &pos);
	if (why) {
		CHECK(!strcmp(why, "pay.amount_form") || !strcmp(why, "pay.amount_decimals") ||
		      !strcmp(why, "pay.amount_zero") || !strcmp(why, "pay.amount_big"));
		CHECK(pos >= -1 && pos <= (int)n);
		CHECK(v == -1); /* nothing written on a refusal */
		return 0;
	}
	CHECK(v > 0 && v <= USSD_AMOUNT_MAX);
	CHECK(strspn(in, "0123456789.,") == n);
	/* Its own formatting, separators dropped, reads back the same. */
	CHECK(kyb_limit_format(fmt, sizeof fmt, v, NULL, exponent) > 0);
	size_t k = 0;
	for (const char *p = fmt; *p; p++)
		if (*p != ',')
			plain[k++] = *p;
	plain[k] = '\0';
	int64_t w = -1;
	CHECK(ussd_flow_amount(plain, exponent, &w, &pos) == NULL);
	CHECK(w == v);
	return 0;
}
