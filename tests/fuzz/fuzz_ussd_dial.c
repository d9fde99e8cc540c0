/* fuzz_ussd_dial.c -- libFuzzer target for the dialled-string parser:
 * the result is len, -1 or -2 with a message and position; a valid
 * string is rebuilt from its parts byte for byte, and its strict
 * prefixes are partial. abort()s when an invariant breaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussd/ussd_dial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                      \
	do {                                                                          \
		if (!(x)) {                                                           \
			fprintf(stderr, "fuzz_ussd_dial: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                        \
			abort();                                                      \
		}                                                                     \
	} while (0)

static int digits(const char *s, struct ussd_dial_part p, size_t max)
{
	if (p.len < 1 || p.len > max)
		return 0;
	for (size_t i = 0; i < p.len; i++)
		if (s[p.off + i] < '0' || s[p.off + i] > '9')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct ussd_dial d;
	char err[USSD_DIAL_ERR_MAX], rebuilt[USSD_DIAL_MAX + 1];
	size_t pos = 12345, n;
	int r;

	memset(err, 'x', sizeof err);
	r = ussd_dial_parse(s, size, &d, err, sizeof err, &pos);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	if (r < 0) {
		CHECK(r == -1 || r == -2);
		CHECK(strncmp(err, "position ", 9) == 0);
		CHECK(pos <= size && (r == -1 || pos == size));
		CHECK(pos < size || r == -2 || size > USSD_DIAL_MAX);
		return 0;
	}
	CHECK(r == (int)size && err[0] == '\0' && size <= USSD_DIAL_MAX);
	CHECK(d.nargs >= 0 && d.nargs <= USSD_DIAL_MAX_ARGS);
	CHECK(digits(s, d.code, USSD_DIAL_CODE_MAX));
	n = (size_t)snprintf(rebuilt, sizeof rebuilt, "*%.*s", (int)d.code.len, s + d.code.off);
	for (int i = 0; i < d.nargs; i++) {
		CHECK(digits(s, d.arg[i], USSD_DIAL_ARG_MAX));
		n += (size_t)snprintf(rebuilt + n, sizeof rebuilt - n, "*%.*s", (int)d.arg[i].len,
				      s + d.arg[i].off);
	}
	CHECK(n + 1 == size && memcmp(rebuilt, s, n) == 0 && s[n] == '#');
	for (size_t k = 0; k < size; k++)
		CHECK(ussd_dial_parse(s, k, NULL, NULL, 0, NULL) == -2);
	return 0;
}
