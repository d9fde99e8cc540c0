/* fuzz_transfer_patch.c -- libFuzzer target for the body of
 * PATCH /transfers/{ID} as the payee side receives it
 * (fspiop_parse_transfer_patch()). abort()s when an invariant breaks: a
 * rejection names a field of the body ("$...") and a position inside the
 * input; an accepted body has one of the four transfer states and a
 * completedTimestamp that fspiop_datetime_parse() takes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/fspiop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                          \
	do {                                                                              \
		if (!(x)) {                                                               \
			fprintf(stderr, "fuzz_transfer_patch: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                            \
			abort();                                                          \
		}                                                                         \
	} while (0)

static long last_position(const char *err)
{
	const char *p = NULL, *s = err;
	while ((s = strstr(s, "(position ")))
		p = s++;
	return p ? strtol(p + 10, NULL, 10) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char err[512];
	err[0] = '\0';
	struct fspiop_transfer_patch t;
	if (fspiop_parse_transfer_patch((const char *)data, size, &t, err, sizeof err) < 0) {
		long pos = last_position(err);
		CHECK(pos >= 0 && (size_t)pos <= size);
		CHECK(err[0] == '$');
		return 0;
	}
	CHECK(strcmp(t.transfer_state, "RECEIVED") == 0 || strcmp(t.transfer_state, "RESERVED") == 0 ||
	      strcmp(t.transfer_state, "COMMITTED") == 0 || strcmp(t.transfer_state, "ABORTED") == 0);
	int64_t ms;
	CHECK(fspiop_datetime_parse(t.completed, &ms) == 0);
	return 0;
}
