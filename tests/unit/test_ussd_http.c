/* test_ussd_http.c -- unit tests of the POST /ussd form parser
 * (gateway/ussd_http.c): decoding, unknown and empty fields, and every
 * refusal naming the field and the byte. The route itself is tested
 * black-box by tests/cli/ussd_http.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ussd_http.h"

static char buf[1024], err[160];
static struct ussd_form f;

static long parse(const char *body)
{
	err[0] = '\0';
	return ussd_form_parse(body, strlen(body), &f, buf, strlen(body) + 8, err, sizeof err);
}

static void decodes(void **state)
{
	(void)state;
	const char *b = "sessionId=ATUid_1&serviceCode=%2A384%2a1%23&phoneNumber=%2B255712345678"
			"&networkCode=63902&text=1*Mama+Neema%27s&extra=%zz";
	assert_int_equal(parse(b), (long)strlen(b));
	assert_string_equal(f.session_id, "ATUid_1");
	assert_string_equal(f.service_code, "*384*1#");
	assert_string_equal(f.phone_number, "+255712345678");
	assert_string_equal(f.network_code, "63902");
	assert_string_equal(f.text, "1*Mama Neema's");
	/* empty values, empty fields, escaped names, UTF-8 */
	b = "&&text=&session%49d=x&&phoneNumber=1&serviceCode=Fran%C3%A7ais&";
	assert_int_equal(parse(b), (long)strlen(b));
	assert_string_equal(f.text, "");
	assert_string_equal(f.session_id, "x");
	assert_string_equal(f.service_code, "Français");
	assert_null(f.network_code);
	assert_int_equal(parse(""), 0);
	assert_null(f.text);
	assert_null(f.session_id);
}

static void refuses(void **state)
{
	(void)state;
	static const struct {
		const char *body, *err;
	} cases[] = {
		{ "text=1&text=2", "field 'text' at byte 7: given twice" },
		{ "a=1&sessionId", "field 'sessionId' at byte 4: no '=' before byte 13" },
		{ "text=%2", "field 'text': bad percent escape at byte 5" },
		{ "text=ab%g1", "field 'text': bad percent escape at byte 7" },
		{ "text=%00", "field 'text': NUL byte at byte 5" },
		{ "x=1&te%Gt=1", "field name at byte 4: bad percent escape at byte 6" },
		{ "x=1&te%00t=1", "field name at byte 4: NUL byte at byte 6" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(parse(cases[i].body), -1);
		assert_string_equal(err, cases[i].err);
	}
	/* a raw NUL inside the body */
	const char nul[] = "text=a\0b";
	err[0] = '\0';
	assert_int_equal(ussd_form_parse(nul, sizeof nul - 1, &f, buf, sizeof nul + 8, err, sizeof err), -1);
	assert_string_equal(err, "field 'text': NUL byte at byte 6");
}

static void every_prefix(void **state)
{
	(void)state;
	const char *b = "sessionId=s%201&serviceCode=*384%23&phoneNumber=%2B255712345678&text=1*2";
	size_t n = strlen(b);
	for (size_t k = 0; k <= n; k++) {
		char *p = malloc(k ? k : 1); /* exactly k bytes: ASan sees any read past them */
		assert_non_null(p);
		memcpy(p, b, k);
		long rc = ussd_form_parse(p, k, &f, buf, k + 8, err, sizeof err);
		assert_true(rc == (long)k || rc == -1);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes),
		cmocka_unit_test(refuses),
		cmocka_unit_test(every_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
