/* test_backend.c -- unit tests of the backend hook's pure parts
 * (gateway/backend.c): the answer parser (each member, each refusal with
 * its member or position, every strict prefix of a valid answer), the
 * signature against a known HMAC-SHA256 vector, decimal amounts, the URL
 * check, the request bodies, and a DFSP's hook stored and removed (never
 * its secret in the audit log). The HTTP side is tests/cli/backend.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/unit/testdb.h"
#include "tests/unit/testdir.h"

#include "gateway/backend.h"
#include "gateway/db.h"
#include "gateway/log.h"

static void test_answer_parse(void **state)
{
	(void)state;
	struct backend_answer a;
	char err[200];
	const char *ok = "{\"approved\":true}";
	assert_int_equal(backend_answer_parse(ok, strlen(ok), &a, err, sizeof err), (int)strlen(ok));
	assert_int_equal(a.approved, 1);
	assert_string_equal(a.reason, "");
	const char *no = "{\"approved\": false, \"reason\": \"Insufficient\\nfunds\", \"extra\": 1}";
	assert_int_equal(backend_answer_parse(no, strlen(no), &a, err, sizeof err), (int)strlen(no));
	assert_int_equal(a.approved, 0);
	assert_string_equal(a.reason, "Insufficient funds"); /* control characters made spaces */
	const char *nul = "{\"approved\":false,\"reason\":null}";
	assert_int_equal(backend_answer_parse(nul, strlen(nul), &a, err, sizeof err), (int)strlen(nul));
	assert_string_equal(a.reason, "");

	static const struct { const char *in, *msg; } bad[] = {
		{ "", "at byte 0" },
		{ "[true]", "a JSON object" },
		{ "{}", "approved: missing" },
		{ "{\"approved\":\"yes\"}", "approved: true or false" },
		{ "{\"approved\":1}", "approved: true or false" },
		{ "{\"approved\":false,\"reason\":7}", "reason: a string" },
		{ "{\"approved\":true,\"approved\":false}", "duplicate" },
		{ "{\"approved\":true} x", "at byte" },
		{ "{\"approved\":tru}", "at byte" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		assert_int_equal(backend_answer_parse(bad[i].in, strlen(bad[i].in), &a, err, sizeof err), -1);
		if (!strstr(err, bad[i].msg))
			print_error("%s: got \"%s\"\n", bad[i].in, err);
		assert_non_null(strstr(err, bad[i].msg));
	}
	/* Every strict prefix of a valid answer is refused. */
	for (size_t n = 0; n < strlen(no); n++)
		assert_int_equal(backend_answer_parse(no, n, &a, NULL, 0), -1);
	/* Not NUL terminated: the length is what counts. */
	char buf[32];
	memcpy(buf, "{\"approved\":true}GARBAGE", 24);
	assert_int_equal(backend_answer_parse(buf, 17, &a, err, sizeof err), 17);

	/* A long reason is cut on a character boundary. */
	char big[2048];
	size_t o = (size_t)snprintf(big, sizeof big, "{\"approved\":false,\"reason\":\"");
	for (int i = 0; i < 300; i++) {
		memcpy(big + o, "\xc3\xa9", 2); /* é */
		o += 2;
	}
	snprintf(big + o, sizeof big - o, "\"}");
	assert_int_equal(backend_answer_parse(big, strlen(big), &a, err, sizeof err), (int)strlen(big));
	assert_int_equal(strlen(a.reason), BACKEND_REASON_MAX - 1 - (BACKEND_REASON_MAX - 1) % 2);
	json_t *js = json_string(a.reason); /* NULL unless valid UTF-8 */
	assert_non_null(js);
	json_decref(js);
}

static void test_sign(void **state)
{
	(void)state;
	/* RFC 4231, test case 2. */
	char sig[BACKEND_SIG_MAX];
	const char *data = "what do ya want for nothing?";
	backend_sign((const uint8_t *)"Jefe", 4, data, strlen(data), sig);
	assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* A different key, a different signature. */
	char sig2[BACKEND_SIG_MAX];
	backend_sign((const uint8_t *)"Jefx", 4, data, strlen(data), sig2);
	assert_string_not_equal(sig, sig2);
}

static void test_decimal(void **state)
{
	(void)state;
	char out[32];
	backend_decimal(500000, 2, out);
	assert_string_equal(out, "5000.00");
	backend_decimal(5, 2, out);
	assert_string_equal(out, "0.05");
	backend_decimal(5000, 0, out);
	assert_string_equal(out, "5000");
	backend_decimal(1234567, 3, out);
	assert_string_equal(out, "1234.567");
	backend_decimal(-150, 2, out);
	assert_string_equal(out, "-1.50");
	backend_decimal(INT64_MAX, 2, out);
	assert_string_equal(out, "92233720368547758.07");
}

static void test_url_check(void **state)
{
	(void)state;
	char err[200];
	assert_int_equal(backend_url_check("http://127.0.0.1:8080", err, sizeof err), 0);
	assert_int_equal(backend_url_check("https://bank.example/hooks/tillgate/", err, sizeof err), 0);
	static const struct { const char *url, *msg; } bad[] = {
		{ "", "10 to 512" },
		{ "http://a", "10 to 512" },
		{ "ftp://bank.example/x", "http or https" },
		{ "http://bank.example/a b", "space" },
		{ "http://u:p@bank.example/", "no user" },
		{ "http://bank.example/?x=1", "no query" },
		{ "http://bank.example/#x", "no query" },
		{ "bank.example/hook", "not a URL" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		assert_int_equal(backend_url_check(bad[i].url, err, sizeof err), -EINVAL);
		if (!strstr(err, bad[i].msg))
			print_error("%s: got \"%s\"\n", bad[i].url, err);
		assert_non_null(strstr(err, bad[i].msg));
	}
	char longer[600];
	memset(longer, 'a', sizeof longer);
	memcpy(longer, "http://", 7);
	longer[513] = 0;
	assert_int_equal(backend_url_check(longer, err, sizeof err), -EINVAL);
	longer[512] = 0;
	assert_int_equal(backend_url_check(longer, err, sizeof err), 0);
}

static void test_bodies(void **state)
{
	(void)state;
	struct pay_rec r = { 0 };
	snprintf(r.id, sizeof r.id, "P0123456789abcdef01234567");
	snprintf(r.payer_dfsp, sizeof r.payer_dfsp, "dfspa");
	snprintf(r.payer_msisdn, sizeof r.payer_msisdn, "255700000001");
	snprintf(r.merchant_id, sizeof r.merchant_id, "10000017");
	snprintf(r.till, sizeof r.till, "1000017");
	snprintf(r.trading_name, sizeof r.trading_name, "MAMA JUMA SHOP");
	snprintf(r.currency, sizeof r.currency, "TZS");
	r.amount = 250050;
	r.channel = PAY_CH_USSD;
	r.state = PAY_ACCEPTED;
	char *b = backend_authorise_body(&r, "A-1", 2);
	assert_non_null(b);
	json_t *j = json_loads(b, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "payment_id")), r.id);
	assert_string_equal(json_string_value(json_object_get(j, "account_ref")), "A-1");
	assert_string_equal(json_string_value(json_object_get(j, "payer_msisdn")), "255700000001");
	assert_string_equal(json_string_value(json_object_get(j, "merchant_id")), "10000017");
	assert_string_equal(json_string_value(json_object_get(j, "till")), "1000017");
	assert_string_equal(json_string_value(json_object_get(j, "trading_name")), "MAMA JUMA SHOP");
	assert_int_equal(json_integer_value(json_object_get(j, "amount")), 250050);
	assert_string_equal(json_string_value(json_object_get(j, "amount_decimal")), "2500.50");
	assert_string_equal(json_string_value(json_object_get(j, "currency")), "TZS");
	assert_string_equal(json_string_value(json_object_get(j, "channel")), "ussd");
	json_decref(j);
	free(b);

	r.state = PAY_FAILED;
	snprintf(r.fail_code, sizeof r.fail_code, "fspiop_4001");
	snprintf(r.fail_reason, sizeof r.fail_reason, "Payer FSP insufficient liquidity");
	b = backend_notify_body(&r, 2);
	j = json_loads(b, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "FAILED");
	assert_string_equal(json_string_value(json_object_get(j, "fail_code")), "fspiop_4001");
	assert_string_equal(json_string_value(json_object_get(j, "payment_id")), r.id);
	json_decref(j);
	free(b);
	r.state = PAY_COMMITTED;
	b = backend_notify_body(&r, 2);
	j = json_loads(b, 0, NULL);
	assert_true(json_is_null(json_object_get(j, "fail_code")));
	assert_string_equal(json_string_value(json_object_get(j, "state")), "COMMITTED");
	json_decref(j);
	free(b);
}

static void test_dfsp_hook(void **state)
{
	(void)state;
	char dir[256], path[300], err[256], url[BACKEND_URL_MAX];
	uint8_t secret[BACKEND_SECRET_MAX];
	size_t n = 0;
	struct db *db;
	assert_int_equal(testdir_make(dir, sizeof dir, "test_backend"), 0);
	snprintf(path, sizeof path, "%s/db.sqlite", dir);
	assert_int_equal(db_open(&db, path, 0, err, sizeof err), 0);
	testdb_exec(path, "INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A')");

	assert_int_equal(backend_dfsp_get(db, "dfspa", url, secret, &n), 0);
	assert_string_equal(url, "");
	assert_int_equal(n, 0);
	const uint8_t key[] = "s3cr3t-Key-0123456789";
	assert_int_equal(backend_dfsp_set(db, "dfspa", "http://127.0.0.1:7001/", key, 21, err,
					  sizeof err), 0);
	assert_int_equal(backend_dfsp_get(db, "dfspa", url, secret, &n), 0);
	assert_string_equal(url, "http://127.0.0.1:7001/");
	assert_int_equal(n, 21);
	assert_memory_equal(secret, key, 21);
	/* Refusals: short secret, bad URL, unknown DFSP. */
	assert_int_equal(backend_dfsp_set(db, "dfspa", "http://127.0.0.1:7001/", key, 15, err,
					  sizeof err), -EINVAL);
	assert_non_null(strstr(err, "16 to 256"));
	assert_int_equal(backend_dfsp_set(db, "dfspa", "gopher://x.example/", key, 21, err, sizeof err),
			 -EINVAL);
	assert_int_equal(backend_dfsp_set(db, "nope", "http://127.0.0.1:7001/", key, 21, err,
					  sizeof err), -ENOENT);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(backend_dfsp_get(db, "nope", url, secret, &n), -ENOENT);
	/* Audited, the URL only. */
	assert_int_equal(testdb_count(path, "SELECT count(*) FROM audit WHERE entity = 'dfsp' AND "
				      "action = 'backend_set' AND after_json LIKE '%%7001%%'"), 1);
	assert_int_equal(testdb_count(path, "SELECT count(*) FROM audit WHERE "
				      "coalesce(after_json, '') || coalesce(before_json, '') "
				      "LIKE '%%s3cr3t%%'"), 0);
	/* Removed. */
	assert_int_equal(backend_dfsp_set(db, "dfspa", NULL, NULL, 0, err, sizeof err), 0);
	assert_int_equal(backend_dfsp_get(db, "dfspa", url, secret, &n), 0);
	assert_string_equal(url, "");
	assert_int_equal(n, 0);
	assert_int_equal(testdb_count(path, "SELECT count(*) FROM dfsp WHERE backend_secret IS NULL"), 1);
	db_close(db);
	testdir_remove(dir);
}

int main(void)
{
	char err[64];
	log_set_levels("error", err, sizeof err);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_parse),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_dfsp_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
