/* fuzz_stmt_day.c -- libFuzzer target for the day of a statement query
 * (stmt_day_parse(), gateway/stmt.h). abort()s when an invariant breaks:
 * a rejection names the field and a position inside the input; an
 * accepted day is ten characters YYYY-MM-DD that strptime() reads back as
 * the same calendar date. */
#define _XOPEN_SOURCE 700
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/stmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                     \
	do {                                                                         \
		if (!(x)) {                                                          \
			fprintf(stderr, "fuzz_stmt_day: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                       \
			abort();                                                     \
		}                                                                    \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64)
		return 0;
	char s[65], err[160];
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s); /* the parser sees text: up to a NUL */
	if (stmt_day_parse("date", s, err, sizeof err) < 0) {
		const char *p = strstr(err, "(position ");
		CHECK(strncmp(err, "date: ", 6) == 0);
		CHECK(p != NULL);
		long pos = strtol(p + 10, NULL, 10);
		CHECK(pos >= 0 && (size_t)pos <= len);
		return 0;
	}
	CHECK(len == 10);
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	CHECK(end && *end == '\0');
	time_t t = timegm(&tm);
	struct tm back;
	CHECK(gmtime_r(&t, &back) != NULL);
	char again[16];
	strftime(again, sizeof again, "%Y-%m-%d", &back);
	CHECK(strcmp(again, s) == 0);
	return 0;
}
