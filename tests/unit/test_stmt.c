/* test_stmt.c -- gateway/stmt: what a statement counts (received and
 * sent, committed only, by the UTC day of the commit), the sums per day,
 * direction and currency, fees, tenancy, the query checks, and the CSV
 * (RFC 4180 quoting, records). The payments are rows set up with raw SQL
 * on a real database, each kind a statement must tell apart. */
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
#include "gateway/db.h"
#include "gateway/log.h"
#include "gateway/stmt.h"
#include "tests/unit/testdb.h"
#include "tests/unit/testdir.h"

static char dir[512], path[600];
static struct db *db;

#define PAY_COLS                                                                            \
	"INSERT INTO payment (id, req_sha256, channel, payer_dfsp, payer_msisdn, payee_dfsp, " \
	"merchant_id, till_number, amount, currency, state, fail_code, on_us, payer_fsp, "     \
	"quote_id, transfer_id, created, updated) VALUES "
#define H64 "'0000000000000000000000000000000000000000000000000000000000000000'"
#define COND "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"
#define Q1 "'11111111-1111-4111-8111-111111111111'"
#define Q2 "'22222222-2222-4222-8222-222222222222'"

static const char FIXTURE[] =
	"INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'Bank A'), ('dfspb', 'Bank B');"
	"INSERT INTO merchant (merchant_id, dfsp, trading_name, type, mcc, tier, created_by) VALUES "
	"('10000042', 'dfspa', 'Mama Juma Shop', 'small_shop', '5411', 'T0', 'alice'),"
	"('10000059', 'dfspb', 'Duka Bora', 'individual', '5499', 'T1', 'bob');"
	"INSERT INTO location (id, dfsp, merchant_id, name, city) VALUES "
	"(1, 'dfspa', '10000042', 'Shop', 'Arusha'), (2, 'dfspb', '10000059', 'Kiosk', 'Moshi');"
	"INSERT INTO till (till_number, dfsp, merchant_id, location_id) VALUES "
	"('1000001', 'dfspa', '10000042', 1), ('1000002', 'dfspb', '10000059', 2);"
	"INSERT INTO payee_quote (quote_id, dfsp, payer_fsp, merchant_id, body_sha256, code, answer, "
	"transfer_amount, currency, ilp_packet, condition, expiration, fee) VALUES "
	"(" Q1 ", 'dfspa', 'ext,\"bank', '10000042', " H64 ", 0, '{}', 5000, 'TZS', 'p1', " COND
	", '2026-11-27T12:01:00.000Z', 100),"
	"(" Q2 ", 'dfspb', 'dfspa', '10000059', " H64 ", 0, '{}', 2000, 'TZS', 'p2', " COND
	", '2026-11-28T09:01:00.000Z', 0);"
	PAY_COLS
	/* 1: on-us at A, the 27th */
	"('P000000000000000000000001', " H64 ", 'api', 'dfspa', '255700000001', 'dfspa', '10000042', "
	"'1000001', 1000, 'TZS', 'COMMITTED', NULL, 1, NULL, NULL, NULL, "
	"'2026-11-27T09:59:00.000Z', '2026-11-27T10:00:00.000Z'),"
	/* 2: received by A's merchant through the switch, fee 100, the 27th */
	"('P000000000000000000000002', " H64 ", 'switch', NULL, NULL, 'dfspa', '10000042', NULL, "
	"5000, 'TZS', 'COMMITTED', NULL, 0, 'ext,\"bank', " Q1
	", '33333333-3333-4333-8333-333333333333', '2026-11-27T12:00:00.000Z', "
	"'2026-11-27T12:00:00.000Z'),"
	/* 3: A's customer pays B's merchant through the switch: sent by A;
	 * created the 26th, committed the 28th */
	"('P000000000000000000000003', " H64 ", 'ussd', 'dfspa', '255700000001', 'dfspb', "
	"'10000059', '1000002', 2000, 'TZS', 'COMMITTED', NULL, 0, NULL, NULL, "
	"'44444444-4444-4444-8444-444444444444', '2026-11-26T08:00:00.000Z', "
	"'2026-11-28T09:00:00.000Z'),"
	/* 4: the same arriving at B through the switch: received by B */
	"('P000000000000000000000004', " H64 ", 'switch', NULL, NULL, 'dfspb', '10000059', NULL, "
	"2000, 'TZS', 'COMMITTED', NULL, 0, 'dfspa', " Q2
	", '44444444-4444-4444-8444-444444444444', '2026-11-28T09:00:30.000Z', "
	"'2026-11-28T09:00:30.000Z'),"
	/* 5: on-us at A, FAILED: not in a statement */
	"('P000000000000000000000005', " H64 ", 'api', 'dfspa', '255700000001', 'dfspa', '10000042', "
	"'1000001', 9000, 'TZS', 'FAILED', 'cancelled', 1, NULL, NULL, NULL, "
	"'2026-11-28T10:00:00.000Z', '2026-11-28T10:00:00.000Z'),"
	/* 6: on-us at A, the last millisecond of the 28th, and 7: the first of the 29th */
	"('P000000000000000000000006', " H64 ", 'ussd', 'dfspa', '255700000001', 'dfspa', '10000042', "
	"'1000001', 300, 'TZS', 'COMMITTED', NULL, 1, NULL, NULL, NULL, "
	"'2026-11-28T23:59:59.999Z', '2026-11-28T23:59:59.999Z'),"
	"('P000000000000000000000007', " H64 ", 'ussd', 'dfspa', '255700000001', 'dfspa', '10000042', "
	"'1000001', 400, 'TZS', 'COMMITTED', NULL, 1, NULL, NULL, NULL, "
	"'2026-11-29T00:00:00.000Z', '2026-11-29T00:00:00.000Z'),"
	/* 8: on-us at A in KES, the 28th */
	"('P000000000000000000000008', " H64 ", 'api', 'dfspa', '255700000001', 'dfspa', '10000042', "
	"'1000001', 700, 'KES', 'COMMITTED', NULL, 1, NULL, NULL, NULL, "
	"'2026-11-28T11:00:00.000Z', '2026-11-28T11:00:00.000Z'),"
	/* 9: QUEUED at A: not in a statement */
	"('P000000000000000000000009', " H64 ", 'ussd', 'dfspa', '255700000001', 'dfspb', "
	"'10000059', '1000002', 800, 'TZS', 'QUEUED', NULL, 0, NULL, NULL, NULL, "
	"'2026-11-28T12:00:00.000Z', '2026-11-28T12:00:00.000Z');";

static int group_setup(void **state)
{
	(void)state;
	char err[256];
	log_set_levels("error", err, sizeof err);
	if (testdir_make(dir, sizeof dir, "test_stmt") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	if (db_open(&db, path, 0, err, sizeof err) < 0) {
		print_error("setup: %s\n", err);
		return -1;
	}
	testdb_exec(path, FIXTURE);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	db_close(db);
	testdir_remove(dir);
	return 0;
}

/* The statement of q as compact JSON text (owned), the test failing on
 * an error. */
static json_t *build(const char *scope, const char *dfsp, const char *mid, const char *from,
		     const char *to)
{
	struct stmt_query q = { scope, dfsp, mid, from, to };
	json_t *j = NULL;
	char err[200];
	int rc = stmt_build(db, &q, &j, err, sizeof err);
	if (rc < 0)
		print_error("stmt_build: %d %s\n", rc, err);
	assert_int_equal(rc, 0);
	return j;
}

/* The array at key of o as compact text. */
static void assert_json(const json_t *o, const char *expect)
{
	char *s = json_dumps(o, JSON_COMPACT);
	assert_non_null(s);
	if (strcmp(s, expect) != 0)
		print_error("got      %s\nexpected %s\n", s, expect);
	assert_string_equal(s, expect);
	free(s);
}

#define T(ccy, n, a, f) "{\"currency\":\"" ccy "\",\"count\":" #n ",\"amount\":" #a ",\"fee\":" #f ",\"net\":"

static void test_dfsp_totals(void **state)
{
	(void)state;
	json_t *j = build(NULL, "dfspa", NULL, "2026-11-27", "2026-11-28");
	const json_t *tot = json_object_get(j, "totals");
	/* received: 1, 2 (fee 100), 6 in TZS; 8 in KES. Not 3 (sent to B),
	 * 5 (FAILED), 7 (the 29th), 9 (QUEUED). */
	assert_json(json_object_get(tot, "received"),
		    "[" T("KES", 1, 700, 0) "700}," T("TZS", 3, 6300, 100) "6200}]");
	/* sent: 1, 3 (committed the 28th though made the 26th), 6, 8 */
	assert_json(json_object_get(tot, "sent"),
		    "[" T("KES", 1, 700, 0) "700}," T("TZS", 3, 3300, 0) "3300}]");
	const json_t *days = json_object_get(j, "days");
	assert_int_equal(json_array_size(days), 2);
	assert_json(json_array_get(days, 0),
		    "{\"date\":\"2026-11-27\",\"received\":[" T("TZS", 2, 6000, 100) "5900}],"
		    "\"sent\":[" T("TZS", 1, 1000, 0) "1000}]}");
	assert_json(json_array_get(days, 1),
		    "{\"date\":\"2026-11-28\",\"received\":[" T("KES", 1, 700, 0) "700},"
		    T("TZS", 1, 300, 0) "300}],\"sent\":[" T("KES", 1, 700, 0) "700},"
		    T("TZS", 2, 2300, 0) "2300}]}");
	/* the lines by commit time, received before sent for an on-us one */
	const json_t *lines = json_object_get(j, "lines");
	static const char *const want[] = {
		"received P000000000000000000000001", "sent P000000000000000000000001",
		"received P000000000000000000000002", "sent P000000000000000000000003",
		"received P000000000000000000000008", "sent P000000000000000000000008",
		"received P000000000000000000000006", "sent P000000000000000000000006",
	};
	assert_int_equal(json_array_size(lines), 8);
	for (size_t i = 0; i < 8; i++) {
		char got[80];
		const json_t *l = json_array_get(lines, i);
		snprintf(got, sizeof got, "%s %s",
			 json_string_value(json_object_get(l, "direction")),
			 json_string_value(json_object_get(l, "payment_id")));
		assert_string_equal(got, want[i]);
	}
	const json_t *l2 = json_array_get(lines, 2);
	assert_int_equal(json_integer_value(json_object_get(l2, "fee")), 100);
	assert_int_equal(json_integer_value(json_object_get(l2, "net")), 4900);
	assert_string_equal(json_string_value(json_object_get(l2, "payer_fsp")), "ext,\"bank");
	assert_true(json_is_null(json_object_get(l2, "till")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(lines, 3), "date")),
			    "2026-11-28");
	json_decref(j);
}

static void test_dfsp_b_and_merchant(void **state)
{
	(void)state;
	/* B received the switch payment once (4), sent nothing */
	json_t *j = build("dfspb", "dfspb", NULL, "2026-11-28", NULL);
	assert_json(json_object_get(j, "totals"),
		    "{\"received\":[" T("TZS", 1, 2000, 0) "2000}],\"sent\":[]}");
	assert_string_equal(json_string_value(json_object_get(j, "to")), "2026-11-28");
	json_decref(j);
	/* a merchant's: received only */
	j = build(NULL, NULL, "10000042", "2026-11-27", "2026-11-28");
	assert_json(json_object_get(j, "totals"),
		    "{\"received\":[" T("KES", 1, 700, 0) "700}," T("TZS", 3, 6300, 100)
		    "6200}],\"sent\":[]}");
	assert_string_equal(json_string_value(json_object_get(j, "dfsp")), "dfspa");
	assert_string_equal(json_string_value(json_object_get(j, "merchant_id")), "10000042");
	json_decref(j);
	/* one day, the 29th */
	j = build("dfspa", NULL, "10000042", "2026-11-29", "2026-11-29");
	assert_json(json_object_get(j, "totals"),
		    "{\"received\":[" T("TZS", 1, 400, 0) "400}],\"sent\":[]}");
	json_decref(j);
}

static void test_refusals(void **state)
{
	(void)state;
	struct { const char *scope, *dfsp, *mid, *from, *to; int rc; const char *msg; } c[] = {
		{ "dfspa", "dfspb", NULL, NULL, NULL, -ENOENT, "no such DFSP" },
		{ "dfspa", NULL, "10000059", NULL, NULL, -ENOENT, "no such merchant" },
		{ NULL, "nobank", NULL, NULL, NULL, -ENOENT, "no such DFSP" },
		{ NULL, "dfspa", "10000042", NULL, NULL, -EINVAL, "dfsp: one of a DFSP or a merchant" },
		{ NULL, NULL, NULL, NULL, NULL, -EINVAL, "dfsp: one of" },
		{ NULL, "dfspa", NULL, "2026-11-28", "2026-11-27", -EINVAL, "to: before from (position 0)" },
		{ NULL, "dfspa", NULL, "2026-01-01", "2026-02-01", -EINVAL,
		  "to: 32 days from from, at most 31 (position 0)" },
		{ NULL, "dfspa", NULL, "2026-01-01", "2026-01-31", 0, "" },
		{ NULL, "dfspa", NULL, "2026-02-29", NULL, -EINVAL,
		  "from: no day 29 in 2026-02 (position 8)" },
		{ NULL, "dfspa", NULL, "2024-02-29", NULL, 0, "" },
		{ NULL, "dfspa", NULL, NULL, "2026-00-10", -EINVAL, "to: no month 00 (position 5)" },
		{ NULL, "dfspa", NULL, "2026/01/01", NULL, -EINVAL,
		  "from: a UTC day YYYY-MM-DD expected (position 4)" },
		{ NULL, "dfspa", NULL, "2026-01-011", NULL, -EINVAL,
		  "from: a UTC day YYYY-MM-DD expected (position 10)" },
		{ NULL, "dfspa", NULL, "", NULL, -EINVAL,
		  "from: a UTC day YYYY-MM-DD expected (position 0)" },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct stmt_query q = { c[i].scope, c[i].dfsp, c[i].mid, c[i].from, c[i].to };
		json_t *j = NULL;
		char err[200] = "";
		int rc = stmt_build(db, &q, &j, err, sizeof err);
		if (rc != c[i].rc || strncmp(err, c[i].msg, strlen(c[i].msg)) != 0)
			print_error("case %zu: %d %s\n", i, rc, err);
		assert_int_equal(rc, c[i].rc);
		assert_true(strncmp(err, c[i].msg, strlen(c[i].msg)) == 0);
		assert_true(rc == 0 ? j != NULL : j == NULL);
		json_decref(j);
	}
}

static void test_csv(void **state)
{
	(void)state;
	json_t *j = build(NULL, "dfspa", NULL, "2026-11-27", "2026-11-27");
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(stmt_csv(j, &buf, &len), 0);
	assert_int_equal(len, strlen(buf));
	static const char want[] =
		"record,date,direction,payment_id,committed,channel,on_us,payer_dfsp,payer_fsp,"
		"payee_dfsp,merchant_id,till,currency,count,amount,fee,net,transfer_id\r\n"
		"line,2026-11-27,received,P000000000000000000000001,2026-11-27T10:00:00.000Z,api,1,"
		"dfspa,,dfspa,10000042,1000001,TZS,1,1000,0,1000,\r\n"
		"line,2026-11-27,sent,P000000000000000000000001,2026-11-27T10:00:00.000Z,api,1,"
		"dfspa,,dfspa,10000042,1000001,TZS,1,1000,0,1000,\r\n"
		"line,2026-11-27,received,P000000000000000000000002,2026-11-27T12:00:00.000Z,switch,0,"
		",\"ext,\"\"bank\",dfspa,10000042,,TZS,1,5000,100,4900,"
		"33333333-3333-4333-8333-333333333333\r\n"
		"day,2026-11-27,received,,,,,,,,,,TZS,2,6000,100,5900,\r\n"
		"day,2026-11-27,sent,,,,,,,,,,TZS,1,1000,0,1000,\r\n"
		"total,,received,,,,,,,,,,TZS,2,6000,100,5900,\r\n"
		"total,,sent,,,,,,,,,,TZS,1,1000,0,1000,\r\n";
	if (strcmp(buf, want) != 0)
		print_error("got:\n%s\n", buf);
	assert_string_equal(buf, want);
	free(buf);
	json_decref(j);
	/* an empty day: the header alone */
	j = build(NULL, "dfspa", NULL, "2026-01-01", NULL);
	assert_int_equal(stmt_csv(j, &buf, &len), 0);
	assert_int_equal(strchr(buf, '\n') - buf + 1, (long)len);
	free(buf);
	char *t = stmt_json_text(j);
	assert_non_null(t);
	assert_string_equal(t, "{\"dfsp\":\"dfspa\",\"merchant_id\":null,\"from\":\"2026-01-01\","
			       "\"to\":\"2026-01-01\",\"time_zone\":\"UTC\",\"days\":[{\"date\":"
			       "\"2026-01-01\",\"received\":[],\"sent\":[]}],\"totals\":{\"received\""
			       ":[],\"sent\":[]},\"lines\":[]}");
	free(t);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dfsp_totals),
		cmocka_unit_test(test_dfsp_b_and_merchant),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_csv),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
