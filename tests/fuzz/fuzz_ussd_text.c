/* fuzz_ussd_text.c -- libFuzzer target for the USSD text codec: decodes
 * each input with every data_coding the codec knows (and with the first
 * byte as the data_coding), and checks the round trip: what decoded
 * re-encodes, in GSM or UCS-2 as its characters need, and decodes back
 * to the same UTF-8. The input is also taken as UTF-8 text: lengths,
 * fit and encoding agree, and a valid text survives encode + decode
 * byte for byte. abort()s when an invariant breaks. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussd/ussd_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                      \
	do {                                                                          \
		if (!(x)) {                                                           \
			fprintf(stderr, "fuzz_ussd_text: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                        \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* Inputs longer than this are cut: the codec is linear and USSD texts
 * are 160 octets. */
#define MAX_IN 4096

static const uint8_t DCS[] = { 0x00, 0x0F, 0x01, 0x08, 0x48, 0x11 };

/* Encodes the UTF-8 text s (valid) and checks the result: the length
 * and data coding agree with ussd_text_units(), one byte less does not
 * fit, and decoding gives s back. */
static void round_trip(const char *s, uint8_t gsm_dcs)
{
	size_t n = strlen(s), cap = 4 * n + 4, len = 0, pos = 0;
	uint8_t *enc = malloc(cap ? cap : 1), dcs = 0;
	char *back = malloc(n + 1);
	int ucs2 = -1;
	long units = ussd_text_units(s, &ucs2);

	CHECK(enc && back);
	CHECK(units >= 0 && (ucs2 == 0 || ucs2 == 1));
	CHECK(ussd_text_fits(s) == (units <= (ucs2 ? USSD_MAX_UCS2 : USSD_MAX_SEPTETS)));
	CHECK(ussd_text_encode(s, gsm_dcs, enc, cap, &len, &dcs) == 0);
	CHECK(dcs == (ucs2 ? USSD_DCS_UCS2 : gsm_dcs));
	CHECK(len == (size_t)units * (ucs2 ? 2 : 1));
	if (len > 0) {
		size_t l2 = 99;
		uint8_t d2;
		CHECK(ussd_text_encode(s, gsm_dcs, enc + len, len - 1, &l2, &d2) == -ENOSPC);
		CHECK(l2 == 0);
	}
	if (!ucs2)
		for (size_t i = 0; i < len; i++)
			CHECK(enc[i] < 0x80);
	/* exactly n + 1 bytes: one byte fewer must not fit */
	CHECK(ussd_text_decode(dcs, enc, len, back, n + 1, &pos) == (long)n);
	CHECK(memcmp(back, s, n + 1) == 0);
	if (n > 0)
		CHECK(ussd_text_decode(dcs, enc, len, back, n, &pos) == -ENOSPC && back[0] == '\0');
	free(back);
	free(enc);
}

static void decode_one(uint8_t dcs, const uint8_t *in, size_t size)
{
	/* UTF-8 of a decoded byte or unit pair is at most 3 bytes per input
	 * byte; 4 per pair of UCS-2 units (a surrogate pair, 4 input bytes) */
	size_t cap = 3 * size + 1, pos = 12345;
	char *out = malloc(cap);
	long r;

	CHECK(out);
	r = ussd_text_decode(dcs, in, size, out, cap, &pos);
	switch (dcs) {
	case 0x00: case 0x0F: case 0x01: case 0x08: case 0x48: case 0x11:
		CHECK(r >= 0 || r == -EILSEQ);
		break;
	default:
		CHECK(r == -ENOTSUP);
		free(out);
		return;
	}
	if (r == -EILSEQ) {
		CHECK(pos < size && out[0] == '\0');
		/* the bytes before the fault decode; in UCS-2 the fault is
		 * at a unit boundary */
		if (dcs == 0x08 || dcs == 0x48 || dcs == 0x11)
			CHECK(pos % 2 == 0);
		CHECK(ussd_text_decode(dcs, in, pos, out, cap, NULL) >= 0);
		free(out);
		return;
	}
	CHECK((size_t)r == strlen(out) && (size_t)r < cap);
	CHECK(ussd_text_units(out, NULL) >= 0);
	round_trip(out, USSD_DCS_GSM7);
	round_trip(out, USSD_DCS_DEFAULT);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > MAX_IN)
		size = MAX_IN;
	for (size_t k = 0; k < sizeof DCS; k++)
		decode_one(DCS[k], data, size);
	if (size > 0)
		decode_one(data[0], data + 1, size - 1);

	/* The input as UTF-8 text, up to its first NUL. */
	s = malloc(size + 1);
	CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	{
		int ucs2 = 7;
		long units = ussd_text_units(s, &ucs2);
		size_t len = 99, cap = 4 * size + 4;
		uint8_t *enc = malloc(cap), dcs;
		CHECK(enc);
		int r = ussd_text_encode(s, USSD_DCS_GSM7, enc, cap, &len, &dcs);
		if (units < 0) {
			CHECK(r == -EILSEQ && len < strlen(s) && !ussd_text_fits(s));
			/* the text before the fault is valid */
			char *pre = malloc(len + 1);
			CHECK(pre);
			memcpy(pre, s, len);
			pre[len] = '\0';
			CHECK(ussd_text_units(pre, NULL) >= 0);
			free(pre);
		} else {
			CHECK(r == 0);
			round_trip(s, USSD_DCS_GSM7);
		}
		free(enc);
	}
	free(s);
	return 0;
}
