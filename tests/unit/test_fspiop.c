/* test_fspiop.c -- cmocka tests for gateway/fspiop.c: media types and
 * their checks, RFC 7231 dates, amounts <-> minor units per currency
 * exponent (each limit and one past it), request bodies, the callback
 * parsers with the JSON path and position of each rejection, the
 * fulfilment check, the error-code table, and an FSPIOP-Signature
 * verified with the public half of a fresh RSA key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "gateway/fspiop.h"

static void test_media_types(void **state)
{
	(void)state;
	char b[96], err[200];
	assert_int_equal(fspiop_content_type(FSPIOP_QUOTES, b, sizeof b), 0);
	assert_string_equal(b, "application/vnd.interoperability.quotes+json;version=1.1");
	assert_int_equal(fspiop_accept(FSPIOP_PARTIES, b, sizeof b), 0);
	assert_string_equal(b, "application/vnd.interoperability.parties+json;version=1");
	assert_int_equal(fspiop_content_type(FSPIOP_TRANSFERS, b, 20), -ENOSPC);

	const char *tr = "application/vnd.interoperability.transfers+json;version=";
	char v[128];
	snprintf(v, sizeof v, "%s1.1", tr);
	assert_int_equal(fspiop_check_content_type(v, FSPIOP_TRANSFERS, err, sizeof err), 0);
	snprintf(v, sizeof v, "%s1", tr);
	assert_int_equal(fspiop_check_content_type(v, FSPIOP_TRANSFERS, err, sizeof err), 0);
	snprintf(v, sizeof v, "%s1.0", tr);
	assert_int_equal(fspiop_check_content_type(v, FSPIOP_TRANSFERS, err, sizeof err), 0);
	snprintf(v, sizeof v, "%s2.0", tr);
	assert_int_equal(fspiop_check_content_type(v, FSPIOP_TRANSFERS, err, sizeof err), -2);
	assert_non_null(strstr(err, "unsupported version"));
	/* the wrong resource, a space after ';', a list */
	assert_int_equal(fspiop_check_content_type(v, FSPIOP_QUOTES, err, sizeof err), -1);
	assert_non_null(strstr(err, "position 33"));
	assert_int_equal(fspiop_check_content_type(
				 "application/vnd.interoperability.transfers+json; version=1.1",
				 FSPIOP_TRANSFERS, err, sizeof err),
			 -1);
	assert_non_null(strstr(err, "position 48"));
	snprintf(v, sizeof v, "%s1.1,application/json", tr);
	assert_int_equal(fspiop_check_content_type(v, FSPIOP_TRANSFERS, err, sizeof err), -1);
	assert_int_equal(fspiop_check_content_type(NULL, FSPIOP_TRANSFERS, err, sizeof err), -1);
	assert_string_equal(err, "Content-Type: missing");
}

static void test_dates(void **state)
{
	(void)state;
	char b[40], err[120];
	assert_int_equal(fspiop_date(784887151, b, sizeof b), 0);
	assert_string_equal(b, "Tue, 15 Nov 1994 08:12:31 GMT");
	time_t t = 0;
	assert_int_equal(fspiop_date_parse(b, &t, err, sizeof err), 0);
	assert_int_equal((long long)t, 784887151LL);
	assert_int_equal(fspiop_date_parse("Tue, 15 Nov 1994 08:12:31 UTC", &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "position 26"));
	assert_int_equal(fspiop_date_parse("Tue, 15 Nov 1994 08:12:31 GMTx", &t, err, sizeof err), -1);
	assert_int_equal(fspiop_date_parse("Tue, 15 Foo 1994 08:12:31 GMT", &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "month"));
	assert_int_equal(fspiop_date_parse("Tue, 31 Feb 1994 08:12:31 GMT", &t, err, sizeof err), -1);
	assert_string_equal(err, "Date: no such day (position 5)");
	assert_int_equal(fspiop_date_parse("Tue, 15 Nov 1994 08:12", &t, err, sizeof err), -1);
	assert_non_null(strstr(err, "position 22"));
	assert_int_equal(fspiop_datetime(1767261620123LL, b, sizeof b), 0);
	assert_string_equal(b, "2026-01-01T10:00:20.123Z");
}

static void test_ids(void **state)
{
	(void)state;
	char u[37], w[37];
	assert_int_equal(fspiop_uuid_new(u), 0);
	assert_int_equal(fspiop_uuid_new(w), 0);
	assert_true(fspiop_uuid_ok(u));
	assert_string_not_equal(u, w);
	assert_int_equal(u[14], '4');
	assert_true(strchr("89ab", u[19]) != NULL);
	assert_false(fspiop_uuid_ok("B51EC534-EE48-4575-B6A9-EAD2955B8069"));
	assert_false(fspiop_uuid_ok("b51ec534-ee48-4575-b6a9-ead2955b806"));
	assert_true(fspiop_party_type_ok("ALIAS"));
	assert_false(fspiop_party_type_ok("alias"));
	assert_true(fspiop_party_id_ok("10000042"));
	assert_false(fspiop_party_id_ok("1/2"));
	assert_false(fspiop_party_id_ok(""));
	char big[130];
	memset(big, '1', 128);
	big[128] = '\0';
	assert_true(fspiop_party_id_ok(big));
	big[128] = '1';
	big[129] = '\0';
	assert_false(fspiop_party_id_ok(big));
	assert_true(fspiop_fsp_id_ok("acqbank"));
	assert_false(fspiop_fsp_id_ok("123456789012345678901234567890123"));
}

static void test_amounts(void **state)
{
	(void)state;
	char err[120], b[40];
	int64_t m = -1;
	assert_int_equal(fspiop_currency_exponent("TZS"), 2);
	assert_int_equal(fspiop_currency_exponent("UGX"), 0);
	assert_int_equal(fspiop_currency_exponent("KWD"), 3);
	assert_int_equal(fspiop_currency_exponent("tzs"), -1);
	assert_int_equal(fspiop_currency_exponent("TZSX"), -1);

	assert_int_equal(fspiop_amount_parse("5000", 2, &m, err, sizeof err), 0);
	assert_int_equal(m, 500000);
	assert_int_equal(fspiop_amount_parse("5.5", 2, &m, err, sizeof err), 0);
	assert_int_equal(m, 550);
	assert_int_equal(fspiop_amount_parse("0.01", 2, &m, err, sizeof err), 0);
	assert_int_equal(m, 1);
	assert_int_equal(fspiop_amount_parse("0", 0, &m, err, sizeof err), 0);
	assert_int_equal(m, 0);
	/* the pattern: no trailing zero, no leading zero, at most 4 decimals */
	assert_int_equal(fspiop_amount_parse("5.50", 2, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "trailing zero after '.' (position 3)"));
	assert_int_equal(fspiop_amount_parse("05", 2, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "position 1"));
	assert_int_equal(fspiop_amount_parse("-5", 2, &m, err, sizeof err), -1);
	assert_int_equal(fspiop_amount_parse("5.", 2, &m, err, sizeof err), -1);
	assert_int_equal(fspiop_amount_parse("1.12345", 4, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 4 decimals"));
	/* the currency's exponent */
	assert_int_equal(fspiop_amount_parse("1.123", 2, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "3 decimals, the currency has 2 (position 4)"));
	assert_int_equal(fspiop_amount_parse("1.5", 0, &m, err, sizeof err), -1);
	/* 18 integer digits pass, 19 do not; overflow of int64 refused */
	assert_int_equal(fspiop_amount_parse("999999999999999999", 0, &m, err, sizeof err), 0);
	assert_int_equal(m, 999999999999999999LL);
	assert_int_equal(fspiop_amount_parse("1000000000000000000", 0, &m, err, sizeof err), -1);
	assert_int_equal(fspiop_amount_parse("999999999999999999", 2, &m, err, sizeof err), -1);
	assert_non_null(strstr(err, "too large"));

	assert_int_equal(fspiop_amount_format(550, 2, b, sizeof b), 0);
	assert_string_equal(b, "5.5");
	assert_int_equal(fspiop_amount_format(500000, 2, b, sizeof b), 0);
	assert_string_equal(b, "5000");
	assert_int_equal(fspiop_amount_format(1, 3, b, sizeof b), 0);
	assert_string_equal(b, "0.001");
	assert_int_equal(fspiop_amount_format(0, 2, b, sizeof b), 0);
	assert_string_equal(b, "0");
	assert_int_equal(fspiop_amount_format(-1, 2, b, sizeof b), -EINVAL);
	/* round trips */
	for (int64_t v = 0; v < 3000; v += 7) {
		assert_int_equal(fspiop_amount_format(v, 2, b, sizeof b), 0);
		assert_int_equal(fspiop_amount_parse(b, 2, &m, err, sizeof err), 0);
		assert_int_equal(m, v);
	}
}

/* A fulfilment and its condition, made here. */
static void ilp_pair(char f[44], char c[44])
{
	unsigned char pre[32], h[32];
	for (int i = 0; i < 32; i++)
		pre[i] = (unsigned char)(i * 7 + 1);
	SHA256(pre, 32, h);
	fspiop_b64url(pre, 32, f);
	fspiop_b64url(h, 32, c);
}

static void test_fulfilment(void **state)
{
	(void)state;
	char f[44], c[44];
	ilp_pair(f, c);
	assert_int_equal(strlen(f), 43);
	assert_int_equal(fspiop_fulfilment_ok(f, c), 1);
	char c2[44];
	memcpy(c2, c, sizeof c2);
	c2[5] = c2[5] == 'A' ? 'B' : 'A';
	assert_int_equal(fspiop_fulfilment_ok(f, c2), 0);
	assert_int_equal(fspiop_fulfilment_ok(f, "short"), -1);
	c2[42] = '='; /* padding is not base64url */
	assert_int_equal(fspiop_fulfilment_ok(f, c2), -1);
	/* the Mojaloop spec's example pair */
	assert_int_equal(fspiop_fulfilment_ok("UNlJ98hZTY_dsw0cAqw4i_UN3v4utt7CZFB4yfLbVFA",
					      "GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM"),
			 1);
	assert_true(fspiop_b64url32_ok(c));
	assert_false(fspiop_b64url32_ok("GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfN")); /* bits */
}

static void test_bodies(void **state)
{
	(void)state;
	char err[200];
	struct fspiop_quote_req q = {
		.quote_id = "b51ec534-ee48-4575-b6a9-ead2955b8069",
		.transaction_id = "a8323bc6-c228-4df2-ae82-e5a997baf898",
		.payee = { "ALIAS", "10000042", "acqbank" },
		.payer = { "MSISDN", "255712345678", "tillgate" },
		.amount_type = "SEND",
		.currency = "TZS",
		.amount = 500050,
		.scenario = "PAYMENT",
		.initiator = "PAYER",
		.initiator_type = "CONSUMER",
		.expiration_ms = 1767261620000LL,
	};
	json_t *b = fspiop_quote_body(&q, err, sizeof err);
	assert_non_null(b);
	char *s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(
		s, "{\"quoteId\":\"b51ec534-ee48-4575-b6a9-ead2955b8069\","
		   "\"transactionId\":\"a8323bc6-c228-4df2-ae82-e5a997baf898\","
		   "\"payee\":{\"partyIdInfo\":{\"partyIdType\":\"ALIAS\",\"partyIdentifier\":"
		   "\"10000042\",\"fspId\":\"acqbank\"}},"
		   "\"payer\":{\"partyIdInfo\":{\"partyIdType\":\"MSISDN\",\"partyIdentifier\":"
		   "\"255712345678\",\"fspId\":\"tillgate\"}},"
		   "\"amountType\":\"SEND\",\"amount\":{\"currency\":\"TZS\",\"amount\":\"5000.5\"},"
		   "\"transactionType\":{\"scenario\":\"PAYMENT\",\"initiator\":\"PAYER\","
		   "\"initiatorType\":\"CONSUMER\"},\"expiration\":\"2026-01-01T10:00:20.000Z\"}");
	free(s);
	json_decref(b);

	q.quote_id = "B51EC534-EE48-4575-B6A9-EAD2955B8069";
	assert_null(fspiop_quote_body(&q, err, sizeof err));
	assert_string_equal(err, "$.quoteId: not a lowercase UUID");
	q.quote_id = "b51ec534-ee48-4575-b6a9-ead2955b8069";
	q.payee.id = "a/b";
	assert_null(fspiop_quote_body(&q, err, sizeof err));
	assert_non_null(strstr(err, "$.payee.partyIdInfo.partyIdentifier"));
	q.payee.id = "10000042";
	q.amount = 0;
	assert_null(fspiop_quote_body(&q, err, sizeof err));
	assert_string_equal(err, "$.amount.amount: must be positive");

	char f[44], c[44];
	ilp_pair(f, c);
	struct fspiop_transfer_req t = {
		.transfer_id = "f5a5e5c4-92b1-4e4b-a4f9-36f8a1a2b3c4",
		.payer_fsp = "tillgate",
		.payee_fsp = "acqbank",
		.currency = "TZS",
		.amount = 500000,
		.ilp_packet = "AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNlOiB1SXlweUYzY3pYSXBFdzVVc05TYWh3CkVuY3J5cHRpb246IG5vbmUKUGF5bWVudC1JZDogMTMyMzZhM2ItOGZhOC00MTYzLTg0NDctNGMzZWQzZGE5OGE3CgpDb250ZW50LUxlbmd0aDogMTM1CkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vanNvbgpTZW5kZXItSWRlbnRpZmllcjogOTI4MDYzOTEKCiJ7XCJmZWVcIjowLFwidHJhbnNmZXJDb2RlXCI6XCJpbnZvaWNlXCIsXCJkZWJpdE5hbWVcIjpcImFsaWNlIGNvb3BlclwiLFwiY3JlZGl0TmFtZVwiOlwibWVyIGNoYW50XCIsXCJkZWJpdElkZW50aWZpZXJcIjpcIjkyODA2MzkxXCJ9IgA",
		.condition = c,
		.expiration_ms = 1767261630000LL,
	};
	b = fspiop_transfer_body(&t, err, sizeof err);
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(b, "condition")), c);
	assert_string_equal(json_string_value(json_object_get(b, "ilpPacket")), t.ilp_packet);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "amount"), "amount")),
			    "5000");
	assert_string_equal(json_string_value(json_object_get(b, "expiration")),
			    "2026-01-01T10:00:30.000Z");
	json_decref(b);
	t.condition = "x";
	assert_null(fspiop_transfer_body(&t, err, sizeof err));
	assert_string_equal(err, "$.condition: 43 base64url characters");
	t.condition = c;
	t.expiration_ms = 0;
	assert_null(fspiop_transfer_body(&t, err, sizeof err));
	assert_string_equal(err, "$.expiration: mandatory");
}

#define S(x) x, strlen(x)

static void test_parse_party(void **state)
{
	(void)state;
	char err[200];
	struct fspiop_party p;
	const char *ok = "{\"party\":{\"partyIdInfo\":{\"partyIdType\":\"ALIAS\",\"partyIdentifier\":"
			 "\"10000042\",\"fspId\":\"acqbank\"},\"merchantClassificationCode\":\"5411\","
			 "\"name\":\"Mama Ntilie Kiosk\",\"extra\":[1,{\"a\":\"}\"}]}}";
	assert_int_equal(fspiop_parse_party(S(ok), &p, err, sizeof err), 0);
	assert_string_equal(p.type, "ALIAS");
	assert_string_equal(p.id, "10000042");
	assert_string_equal(p.fsp_id, "acqbank");
	assert_string_equal(p.name, "Mama Ntilie Kiosk");
	assert_string_equal(p.mcc, "5411");
	assert_string_equal(p.sub_id, "");

	const char *bad = "{\"party\":{\"partyIdInfo\":{\"partyIdType\":\"FOO\",\"partyIdentifier\":\"1\"}}}";
	assert_int_equal(fspiop_parse_party(S(bad), &p, err, sizeof err), -1);
	assert_string_equal(err, "$.party.partyIdInfo.partyIdType: not a PartyIdType (position 39)");
	assert_int_equal(bad[39], '"');
	bad = "{\"party\":{\"partyIdInfo\":{\"partyIdType\":\"ALIAS\"}}}";
	assert_int_equal(fspiop_parse_party(S(bad), &p, err, sizeof err), -1);
	/* a missing key: the position of the object that lacks it */
	assert_string_equal(err, "$.party.partyIdInfo.partyIdentifier: missing (position 24)");
	bad = "{\"party\":{\"partyIdInfo\":{\"partyIdType\":\"ALIAS\",\"partyIdentifier\":\"1\"},"
	      "\"merchantClassificationCode\":\"54a\"}}";
	assert_int_equal(fspiop_parse_party(S(bad), &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.party.merchantClassificationCode: 1-4 digits"));
	bad = "{\"party\":{\"partyIdInfo\":{\"partyIdType\":\"ALIAS\",\"partyIdentifier\":1}}}";
	assert_int_equal(fspiop_parse_party(S(bad), &p, err, sizeof err), -1);
	assert_string_equal(err, "$.party.partyIdInfo.partyIdentifier: a string expected (position 65)");
	bad = "{\"party\":";
	assert_int_equal(fspiop_parse_party(S(bad), &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "$: malformed JSON"));
	assert_non_null(strstr(err, "position 9"));
	assert_int_equal(fspiop_parse_party(S("  [1]"), &p, err, sizeof err), -1);
	assert_string_equal(err, "$: an object expected (position 2)");
	bad = "{\"party\":{},\"party\":{}}";
	assert_int_equal(fspiop_parse_party(S(bad), &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "duplicate"));
}

static void test_parse_quote(void **state)
{
	(void)state;
	char err[200], f[44], c[44], body[1024];
	ilp_pair(f, c);
	struct fspiop_quote q;
	snprintf(body, sizeof body,
		 "{\"transferAmount\":{\"currency\":\"TZS\",\"amount\":\"5000.5\"},"
		 "\"payeeFspFee\":{\"currency\":\"TZS\",\"amount\":\"2\"},"
		 "\"expiration\":\"2026-01-01T10:00:20.000Z\",\"ilpPacket\":\"AYIBgQAAAAAAAASw\","
		 "\"condition\":\"%s\"}",
		 c);
	assert_int_equal(fspiop_parse_quote(S(body), &q, err, sizeof err), 0);
	assert_int_equal(q.transfer_amount.amount, 500050);
	assert_string_equal(q.transfer_amount.currency, "TZS");
	assert_int_equal(q.payee_fee.amount, 200);
	assert_int_equal(q.payee_receive_amount.amount, -1);
	assert_string_equal(q.condition, c);
	assert_string_equal(q.ilp_packet, "AYIBgQAAAAAAAASw");
	fspiop_quote_clear(&q);
	fspiop_quote_clear(&q);

	snprintf(body, sizeof body,
		 "{\"transferAmount\":{\"currency\":\"TZS\",\"amount\":\"5000.50\"},"
		 "\"expiration\":\"2026-01-01T10:00:20.000Z\",\"ilpPacket\":\"AYIB\",\"condition\":\"%s\"}",
		 c);
	assert_int_equal(fspiop_parse_quote(S(body), &q, err, sizeof err), -1);
	assert_string_equal(err, "$.transferAmount.amount: trailing zero after '.' (position 6) (position 45)");
	assert_null(q.ilp_packet);
	snprintf(body, sizeof body,
		 "{\"transferAmount\":{\"currency\":\"TZS\",\"amount\":\"5\"},"
		 "\"expiration\":\"2026-01-01 10:00:20Z\",\"ilpPacket\":\"AYIB\",\"condition\":\"%s\"}",
		 c);
	assert_int_equal(fspiop_parse_quote(S(body), &q, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.expiration: not a DateTime with zone (character 10)"));
	snprintf(body, sizeof body,
		 "{\"transferAmount\":{\"currency\":\"TZS\",\"amount\":\"5\"},"
		 "\"expiration\":\"2026-01-01T10:00:20Z\",\"ilpPacket\":\"AY IB\",\"condition\":\"%s\"}",
		 c);
	assert_int_equal(fspiop_parse_quote(S(body), &q, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.ilpPacket: base64url"));
	snprintf(body, sizeof body,
		 "{\"transferAmount\":{\"currency\":\"TZS\",\"amount\":\"5\"},"
		 "\"expiration\":\"2026-01-01T10:00:20+03:00\",\"ilpPacket\":\"AYIB\",\"condition\":\"%.42s\"}",
		 c);
	assert_int_equal(fspiop_parse_quote(S(body), &q, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.condition: not 43 base64url characters"));
}

static void test_parse_transfer_and_error(void **state)
{
	(void)state;
	char err[200], f[44], c[44], body[512];
	ilp_pair(f, c);
	struct fspiop_transfer t;
	snprintf(body, sizeof body,
		 "{\"fulfilment\":\"%s\",\"completedTimestamp\":\"2026-01-01T10:00:21.500Z\","
		 "\"transferState\":\"COMMITTED\"}",
		 f);
	assert_int_equal(fspiop_parse_transfer(S(body), &t, err, sizeof err), 0);
	assert_int_equal(t.state, FSPIOP_COMMITTED);
	assert_string_equal(t.fulfilment, f);
	assert_int_equal(fspiop_fulfilment_ok(t.fulfilment, c), 1);
	assert_int_equal(fspiop_parse_transfer(S("{\"transferState\":\"RESERVED\"}"), &t, err,
					       sizeof err),
			 0);
	assert_int_equal(t.state, FSPIOP_RESERVED);
	assert_string_equal(t.fulfilment, "");
	assert_int_equal(fspiop_parse_transfer(S("{\"transferState\":\"DONE\"}"), &t, err, sizeof err),
			 -1);
	assert_string_equal(err,
			    "$.transferState: not RECEIVED, RESERVED, COMMITTED or ABORTED (position 17)");

	struct fspiop_error e;
	const char *eb = "{\"errorInformation\":{\"errorCode\":\"3204\",\"errorDescription\":"
			 "\"Party not found\",\"extensionList\":{\"extension\":[{\"key\":\"k\",\"value\":\"v\"}]}}}";
	assert_int_equal(fspiop_parse_error(S(eb), &e, err, sizeof err), 0);
	assert_int_equal(e.code, 3204);
	assert_string_equal(e.description, "Party not found");
	eb = "{\"errorInformation\":{\"errorCode\":\"0204\",\"errorDescription\":\"x\"}}";
	assert_int_equal(fspiop_parse_error(S(eb), &e, err, sizeof err), -1);
	assert_string_equal(err, "$.errorInformation.errorCode: four digits, the first not 0, "
				 "expected (position 33)");
	eb = "{\"errorInformation\":{\"errorCode\":\"3204\",\"errorDescription\":\"x\","
	     "\"extensionList\":{\"extension\":[]}}}";
	assert_int_equal(fspiop_parse_error(S(eb), &e, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.errorInformation.extensionList"));

	json_t *j = fspiop_error_body(3101, "Date: missing");
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, "{\"errorInformation\":{\"errorCode\":\"3101\",\"errorDescription\":"
			       "\"Date: missing\"}}");
	free(s);
	json_decref(j);
}

/* Request to pay: the body of POST /transactionRequests, the parse of
 * its PUT callback, and transactionRequestId in an incoming quote. */
static void test_txreq(void **state)
{
	(void)state;
	char err[200];
	struct fspiop_txreq_req t = {
		.transaction_request_id = "b51ec534-ee48-4575-b6a9-ead2955b8069",
		.payee = { "ALIAS", "1000009", "demo-dfsp" },
		.payee_name = "MAMA JUMA SHOP",
		.payee_mcc = "5411",
		.payer = { "MSISDN", "255754111222", "acqbank" },
		.currency = "TZS",
		.amount = 500000,
		.scenario = "PAYMENT",
		.initiator = "PAYEE",
		.initiator_type = "BUSINESS",
		.expiration_ms = 1767261620000LL,
	};
	json_t *j = fspiop_txreq_body(&t, err, sizeof err);
	assert_non_null(j);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"amount\":{\"amount\":\"5000\",\"currency\":\"TZS\"},"
			       "\"expiration\":\"2026-01-01T10:00:20.000Z\","
			       "\"payee\":{\"merchantClassificationCode\":\"5411\",\"name\":\"MAMA JUMA SHOP\","
			       "\"partyIdInfo\":{\"fspId\":\"demo-dfsp\",\"partyIdType\":\"ALIAS\","
			       "\"partyIdentifier\":\"1000009\"}},"
			       "\"payer\":{\"fspId\":\"acqbank\",\"partyIdType\":\"MSISDN\","
			       "\"partyIdentifier\":\"255754111222\"},"
			       "\"transactionRequestId\":\"b51ec534-ee48-4575-b6a9-ead2955b8069\","
			       "\"transactionType\":{\"initiator\":\"PAYEE\",\"initiatorType\":\"BUSINESS\","
			       "\"scenario\":\"PAYMENT\"}}");
	free(s);
	json_decref(j);
	t.transaction_request_id = "B51EC534-EE48-4575-B6A9-EAD2955B8069";
	assert_null(fspiop_txreq_body(&t, err, sizeof err));
	assert_string_equal(err, "$.transactionRequestId: not a lowercase UUID");
	t.transaction_request_id = "b51ec534-ee48-4575-b6a9-ead2955b8069";
	t.payee_mcc = "54a1";
	assert_null(fspiop_txreq_body(&t, err, sizeof err));
	assert_string_equal(err, "$.payee.merchantClassificationCode: 4 digits");
	t.payee_mcc = NULL;
	t.payer.type = "PHONE";
	assert_null(fspiop_txreq_body(&t, err, sizeof err));
	assert_string_equal(err, "$.payer.partyIdInfo.partyIdType: not a PartyIdType");

	struct fspiop_txreq_cb cb;
	assert_int_equal(fspiop_parse_txreq(S("{\"transactionRequestState\":\"RECEIVED\"}"), &cb, err,
					    sizeof err), 0);
	assert_int_equal(cb.state, FSPIOP_TXR_RECEIVED);
	assert_string_equal(cb.transaction_id, "");
	assert_int_equal(fspiop_parse_txreq(S("{\"transactionId\":\"a8323bc6-c228-4df2-ae82-e5a997baf899\","
					      "\"transactionRequestState\":\"REJECTED\",\"x\":1}"),
					    &cb, err, sizeof err), 0);
	assert_int_equal(cb.state, FSPIOP_TXR_REJECTED);
	assert_string_equal(cb.transaction_id, "a8323bc6-c228-4df2-ae82-e5a997baf899");
	assert_int_equal(fspiop_parse_txreq(S("{\"transactionRequestState\":\"DONE\"}"), &cb, err,
					    sizeof err), -1);
	assert_string_equal(err, "$.transactionRequestState: not an allowed value (position 27)");
	assert_int_equal(fspiop_parse_txreq(S("{}"), &cb, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.transactionRequestState: missing"));
	assert_int_equal(fspiop_parse_txreq(S("{\"transactionRequestState\":\"PENDING\","
					      "\"transactionId\":\"x\"}"), &cb, err, sizeof err), -1);
	assert_non_null(strstr(err, "$.transactionId: "));
	assert_int_equal(fspiop_parse_txreq(S("{\"transactionRequestState\":"), &cb, err, sizeof err), -1);
	/* Every strict prefix of a valid body is refused. */
	const char *ok = "{\"transactionRequestState\":\"ACCEPTED\"}";
	for (size_t n = 0; n < strlen(ok); n++)
		assert_int_equal(fspiop_parse_txreq(ok, n, &cb, err, sizeof err), -1);
}

static void test_error_table(void **state)
{
	(void)state;
	const struct fspiop_errinfo *i = fspiop_error_info(3204);
	assert_int_equal(i->code, 3204);
	assert_int_equal(i->action, FSPIOP_ACT_FAIL);
	assert_non_null(strstr(i->customer, "Merchant ID unknown"));
	assert_int_equal(fspiop_error_info(3303)->action, FSPIOP_ACT_REQUOTE);
	assert_int_equal(fspiop_error_info(2003)->action, FSPIOP_ACT_RETRY);
	assert_int_equal(fspiop_error_info(3106)->action, FSPIOP_ACT_BUG);
	assert_int_equal(fspiop_error_info(4001)->action, FSPIOP_ACT_FAIL);
	/* scheme-specific xx40-xx99: the category's xx00 */
	assert_int_equal(fspiop_error_info(5142)->code, 5100);
	assert_int_equal(fspiop_error_info(3350)->code, 3300);
	assert_int_equal(fspiop_error_info(4555)->code, 4000);
	assert_int_equal(fspiop_error_info(6000)->code, 0);
	assert_int_equal(fspiop_error_info(999)->code, 0);
	/* every code in 1000..5999 gets an entry with a message */
	for (int c = 1000; c < 6000; c++) {
		i = fspiop_error_info(c);
		assert_non_null(i->customer);
		assert_true(strlen(i->customer) > 10);
	}
}

/* Signs with a fresh key and verifies with its public half, as the
 * switch would: RS256 over base64url(protected) "." base64url(body). */
static void test_signature(void **state)
{
	(void)state;
	char path[] = "/tmp/test_fspiop_keyXXXXXX", err[200];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	EVP_PKEY *k = EVP_RSA_gen(2048);
	assert_non_null(k);
	FILE *f = fdopen(fd, "w");
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);

	struct fspiop_signer *s = NULL;
	assert_int_equal(fspiop_signer_load(&s, path, err, sizeof err), 0);
	const char *body = "{\"quoteId\":\"x\"}";
	char *h = fspiop_sign(s, "/quotes", "POST", "tillgate", "acqbank",
			      "Tue, 15 Nov 1994 08:12:31 GMT", body, strlen(body), err, sizeof err);
	assert_non_null(h);
	json_t *j = json_loads(h, 0, NULL);
	assert_non_null(j);
	const char *sig = json_string_value(json_object_get(j, "signature"));
	const char *ph = json_string_value(json_object_get(j, "protectedHeader"));
	assert_non_null(sig);
	assert_non_null(ph);

	/* the protected header decodes to what was asked */
	unsigned char dec[512];
	int n = EVP_DecodeBlock(dec, (const unsigned char *)"", 0);
	(void)n;
	char b64[512];
	size_t l = strlen(ph);
	for (size_t i = 0; i < l; i++)
		b64[i] = ph[i] == '-' ? '+' : ph[i] == '_' ? '/' : ph[i];
	while (l % 4)
		b64[l++] = '=';
	b64[l] = '\0';
	n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)l);
	assert_true(n > 0);
	dec[n] = '\0';
	assert_non_null(strstr((char *)dec, "\"alg\":\"RS256\""));
	assert_non_null(strstr((char *)dec, "\"FSPIOP-URI\":\"/quotes\""));
	assert_non_null(strstr((char *)dec, "\"FSPIOP-Destination\":\"acqbank\""));

	/* verify */
	char input[1024];
	size_t il = (size_t)snprintf(input, sizeof input, "%s.", ph);
	il += fspiop_b64url((const unsigned char *)body, strlen(body), input + il);
	unsigned char raw[512];
	l = strlen(sig);
	for (size_t i = 0; i < l; i++)
		b64[i] = sig[i] == '-' ? '+' : sig[i] == '_' ? '/' : sig[i];
	size_t pad = 0;
	while (l % 4) {
		b64[l++] = '=';
		pad++;
	}
	b64[l] = '\0';
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)l);
	assert_int_equal(n - (int)pad, 256);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestVerify(md, raw, 256, (unsigned char *)input, il), 1);
	/* a changed body does not verify */
	input[il - 1] ^= 1;
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_not_equal(EVP_DigestVerify(md, raw, 256, (unsigned char *)input, il), 1);
	EVP_MD_CTX_free(md);
	json_decref(j);
	free(h);
	fspiop_signer_free(s);

	/* not a key; a missing file */
	f = fopen(path, "w");
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(fspiop_signer_load(&s, path, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not a PEM private key"));
	unlink(path);
	assert_int_equal(fspiop_signer_load(&s, path, err, sizeof err), -ENOENT);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_fulfilment),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_parse_party),
		cmocka_unit_test(test_parse_quote),
		cmocka_unit_test(test_parse_transfer_and_error),
		cmocka_unit_test(test_txreq),
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_signature),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
