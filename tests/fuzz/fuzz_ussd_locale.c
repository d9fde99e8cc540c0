/* fuzz_ussd_locale.c -- libFuzzer target for the USSD locale file parser
 * (ussd/ussd_locale.c): parses each input as a locale file, checks every
 * message it reports, and drives placeholder substitution with the same
 * bytes as template and value; abort()s when an invariant breaks. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussd/ussd_locale.h"
#include "ussd/ussd_menu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                        \
	do {                                                                            \
		if (!(x)) {                                                             \
			fprintf(stderr, "fuzz_ussd_locale: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                          \
			abort();                                                        \
		}                                                                       \
	} while (0)

static int reported;

/* Every message names the file and a line: "f.ini:N: ...". */
static void check_msg(void *arg, const char *msg)
{
	(void)arg;
	reported++;
	CHECK(strncmp(msg, "f.ini:", 6) == 0);
	CHECK(msg[6] >= '1' && msg[6] <= '9');
	CHECK(strchr(msg, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reported = 0;
	int rc = ussd_locale_check_text("f.ini", (const char *)data, size, check_msg, NULL);
	CHECK(rc == reported);

	/* The input as a template and as a value: output bounded and
	 * NUL-terminated, values never expanded again. */
	char *t = malloc(size + 1);
	if (!t)
		return 0;
	memcpy(t, data, size);
	t[size] = '\0';
	char out[256];
	const struct ussd_var v[] = { { "name", t }, { "till", "{name}" } };
	long n = ussd_locale_format(t, v, 2, out, sizeof out);
	CHECK(n == -ENOSPC || (n >= 0 && (size_t)n == strlen(out)));
	CHECK(strlen(out) < sizeof out);
	n = ussd_locale_format("{till}", v, 2, out, sizeof out);
	CHECK(n == 6 && strcmp(out, "{name}") == 0);
	free(t);
	return 0;
}
