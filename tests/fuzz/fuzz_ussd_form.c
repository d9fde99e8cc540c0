/* fuzz_ussd_form.c -- libFuzzer target for the POST /ussd form parser
 * (gateway/ussd_http.c): each input is a body; a success must consume it
 * all and give fields that fit the buffer, a failure must name a field
 * or a position; abort()s when an invariant breaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ussd_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                      \
	do {                                                                          \
		if (!(x)) {                                                           \
			fprintf(stderr, "fuzz_ussd_form: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                        \
			abort();                                                      \
		}                                                                     \
	} while (0)

static void check_field(const char *v, const char *buf, size_t cap)
{
	if (!v)
		return;
	CHECK(v >= buf && v < buf + cap);
	CHECK(strlen(v) < cap - (size_t)(v - buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size + 8;
	char *buf = malloc(cap), err[160];
	if (!buf)
		return 0;
	struct ussd_form f;
	err[0] = '\0';
	long n = ussd_form_parse((const char *)data, size, &f, buf, cap, err, sizeof err);
	if (n < 0) {
		CHECK(n == -1);
		CHECK(strstr(err, "field") != NULL && strstr(err, "byte") != NULL);
	} else {
		CHECK((size_t)n == size);
		check_field(f.session_id, buf, cap);
		check_field(f.service_code, buf, cap);
		check_field(f.phone_number, buf, cap);
		check_field(f.network_code, buf, cap);
		check_field(f.text, buf, cap);
		/* no field may hold more bytes than the body */
		if (f.text)
			CHECK(strlen(f.text) <= size);
	}
	/* the smallest buffer that must do: a value never grows when decoded */
	free(buf);
	return 0;
}
