/* fuzz_backend.c -- libFuzzer target for the backend hook's answer parser
 * (backend_answer_parse(), gateway/backend.h). abort()s when an invariant
 * breaks: a refusal has a message naming the member ("approved",
 * "reason") or a byte position inside the input; an acceptance returns
 * the whole length, approved 0 or 1, and a reason that is short enough,
 * valid UTF-8 and free of control characters; the same input parses the
 * same way twice. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                         \
	do {                                                                             \
		if (!(x)) {                                                              \
			fprintf(stderr, "fuzz_backend: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                           \
			abort();                                                         \
		}                                                                        \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct backend_answer a, b;
	char err[256], err2[256];
	err[0] = err2[0] = '\0';
	int rc = backend_answer_parse((const char *)data, size, &a, err, sizeof err);
	int rc2 = backend_answer_parse((const char *)data, size, &b, err2, sizeof err2);
	CHECK(rc == rc2);
	if (rc < 0) {
		CHECK(rc == -1);
		CHECK(strcmp(err, err2) == 0);
		const char *p = strstr(err, "at byte ");
		if (p) {
			long pos = strtol(p + 8, NULL, 10);
			CHECK(pos >= 0 && (size_t)pos <= size);
		} else {
			CHECK(strncmp(err, "approved:", 9) == 0 || strncmp(err, "reason:", 7) == 0);
		}
		return 0;
	}
	CHECK((size_t)rc == size);
	CHECK(a.approved == 0 || a.approved == 1);
	CHECK(a.approved == b.approved && strcmp(a.reason, b.reason) == 0);
	size_t n = strlen(a.reason);
	CHECK(n < BACKEND_REASON_MAX);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)a.reason[i] >= 0x20 && a.reason[i] != 0x7f);
	json_t *s = json_string(a.reason); /* NULL if not valid UTF-8 */
	CHECK(s != NULL);
	json_decref(s);
	return 0;
}
