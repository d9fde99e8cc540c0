/* fuzz_etag.c -- libFuzzer target for http_etag_match(), the If-Match
 * parser: the input is the header value, up to a first newline, then the
 * current entity tag. abort()s when an invariant breaks: the result is
 * -1, 0 or 1; a malformed value names an offset inside it; a match needs
 * the tag (unless "*") in the value; and each well-formed value built
 * around the tag answers as RFC 9110 says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                     \
	do {                                                                         \
		if (!(x)) {                                                          \
			fprintf(stderr, "fuzz_etag: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                       \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* A strong tag of etagc characters only: "..." */
static int strong_tag(const char *t)
{
	size_t n = strlen(t);
	if (n < 2 || t[0] != '"' || t[n - 1] != '"')
		return 0;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c < 0x21 || c == '"' || c == 0x7f)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	size_t hlen = strlen(buf); /* a NUL ends the C string early */
	char *nl = strchr(buf, '\n');
	const char *etag = "\"v1\"";
	if (nl) {
		*nl = '\0';
		etag = nl + 1;
		hlen = strlen(buf);
	}

	size_t bad = (size_t)-1;
	int r = http_etag_match(buf, etag, &bad);
	CHECK(r == -1 || r == 0 || r == 1);
	if (r < 0)
		CHECK(bad <= hlen);
	if (r == 1)
		CHECK(strchr(buf, '*') || (*etag && strstr(buf, etag)));
	CHECK(http_etag_match(buf, etag, NULL) == r);

	if (strong_tag(etag) && strlen(etag) < 1024) {
		char v[2200];
		snprintf(v, sizeof v, "%s", etag);
		CHECK(http_etag_match(v, etag, NULL) == 1);
		snprintf(v, sizeof v, " W/%s ", etag);
		CHECK(http_etag_match(v, etag, NULL) == 0);
		snprintf(v, sizeof v, "\"x\", %s,", etag);
		CHECK(http_etag_match(v, etag, NULL) == 1);
		snprintf(v, sizeof v, "%s%s", etag, etag);
		CHECK(http_etag_match(v, etag, NULL) == -1);
		CHECK(http_etag_match(" * ", etag, NULL) == 1);
	}
	free(buf);
	return 0;
}
