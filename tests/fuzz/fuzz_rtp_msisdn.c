/* fuzz_rtp_msisdn.c -- libFuzzer target for rtp_msisdn_normalise(), the
 * payer's number as a merchant types it (USSD "Request payment", POST
 * /v1/payment-requests): the first byte picks the country (TZ, KE, ZA, or
 * one without national numbers), the rest is the text. abort()s when an
 * invariant breaks: the result is 0 or -EINVAL; a refusal has a message
 * naming the field, and an empty out; an accepted number is 8 to 15
 * digits without a leading 0, that reads back the same in E.164 form. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                          \
	do {                                                                              \
		if (!(x)) {                                                               \
			fprintf(stderr, "fuzz_rtp_msisdn: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                            \
			abort();                                                          \
		}                                                                         \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const countries[] = { "TZ", "KE", "ZA", "FR" };
	if (size < 1 || size > 64)
		return 0;
	const char *country = countries[data[0] % 4];
	/* The text NUL-terminated in an exact-size copy: a read past it is a
	 * sanitizer report. */
	char *in = malloc(size);
	if (!in)
		return 0;
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';
	char out[RTP_MSISDN_MAX], err[RTP_ERR_MAX];
	memset(out, 'x', sizeof out);
	int rc = rtp_msisdn_normalise(in, country, "payer", out, err, sizeof err);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc < 0) {
		CHECK(out[0] == '\0');
		CHECK(strncmp(err, "payer", 5) == 0);
	} else {
		size_t n = strlen(out);
		CHECK(n >= 8 && n <= 15);
		CHECK(strspn(out, "0123456789") == n && out[0] != '0');
		char plus[RTP_MSISDN_MAX + 2], again[RTP_MSISDN_MAX];
		snprintf(plus, sizeof plus, "+%s", out);
		CHECK(rtp_msisdn_normalise(plus, country, "payer", again, err, sizeof err) == 0);
		CHECK(strcmp(again, out) == 0);
	}
	free(in);
	return 0;
}
