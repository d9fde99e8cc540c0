/* fuzz_pin.c -- libFuzzer target for the PIN check (gateway/pin.c): the
 * first byte picks how much of the input is the phone number, the rest
 * is the PIN; checks the verdict against the rules written out here
 * independently, and that the message names the field and never holds the
 * PIN; abort()s when an invariant breaks. No hashing (too slow to fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/pin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                   \
	do {                                                                       \
		if (!(x)) {                                                        \
			fprintf(stderr, "fuzz_pin: invariant failed: %s (line %d)\n", #x, \
				__LINE__);                                         \
			abort();                                                   \
		}                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char phone[32], msg[PIN_MSG_MAX];
	if (size == 0)
		return 0;
	size_t plen = data[0] % 16;
	data++, size--;
	if (plen > size)
		plen = size;
	memcpy(phone, data, plen);
	phone[plen] = '\0';
	const char *pin = (const char *)data + plen;
	size_t len = size - plen;
	plen = strlen(phone); /* a NUL in the phone bytes ends the number pin_check() sees */

	memset(msg, 'x', sizeof msg);
	enum pin_verdict v = pin_check(pin, len, plen ? phone : NULL, msg, sizeof msg);
	CHECK(memchr(msg, '\0', sizeof msg) != NULL);
	CHECK(strncmp(msg, "pin: ", 5) == 0);
	CHECK(strcmp(pin_verdict_name(v), "unknown") != 0);

	int digits = len >= PIN_MIN_DIGITS && len <= PIN_MAX_DIGITS;
	for (size_t i = 0; digits && i < len; i++)
		digits = pin[i] >= '0' && pin[i] <= '9';
	CHECK((v == PIN_BAD_FORM) == !digits);
	if (!digits) {
		/* The message names the first bad character, 1-based. */
		if (len >= PIN_MIN_DIGITS && len <= PIN_MAX_DIGITS) {
			size_t i = 0;
			while (pin[i] >= '0' && pin[i] <= '9')
				i++;
			char want[64];
			snprintf(want, sizeof want, "pin: character %zu is not a digit", i + 1);
			CHECK(strcmp(msg, want) == 0);
		}
		return 0;
	}
	/* A PIN that passes is not a run, not one digit and not the phone's end. */
	if (v == PIN_OK) {
		int up = 1, down = 1, same = 1;
		for (size_t i = 1; i < len; i++) {
			int d = (pin[i] - pin[i - 1] + 10) % 10;
			up &= d == 1;
			down &= d == 9;
			same &= d == 0;
		}
		CHECK(!up && !down && !same);
		CHECK(!(plen >= len && memcmp(phone + plen - len, pin, len) == 0));
		CHECK(strcmp(msg, "pin: ok") == 0);
	}
	/* The message never repeats the PIN. */
	char p[PIN_MAX_DIGITS + 1];
	memcpy(p, pin, len);
	p[len] = '\0';
	CHECK(strstr(msg, p) == NULL);
	return 0;
}
