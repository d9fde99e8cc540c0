/* test_switch.c -- cmocka tests for gateway/switch.c without a switch:
 * the option checks of switch_new(), each primitive's refusal of bad
 * fields (-EINVAL, with the field named), max_inflight (-EBUSY), a
 * refused connection reported once as SWITCH_DOWN from the loop (never
 * from inside the call), and the metrics text. The callbacks and the
 * exchanges with a real peer are in tests/cli/switch_*.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ev.h"
#include "gateway/fspiop.h"
#include "gateway/log.h"
#include "gateway/switch.h"

static struct switch_opts opts(const char *endpoint)
{
	return (struct switch_opts){
		.endpoint = endpoint,
		.merchant_party_type = "ALIAS",
		.transfer_expiry_s = 30,
		.callback_timeout_ms = 2000,
		.max_inflight = 1,
		.answer_budget_ms = 8000,
	};
}

struct seen {
	int calls;
	struct switch_result r;
};

static void on_done(void *arg, const struct switch_result *r)
{
	struct seen *s = arg;
	s->calls++;
	s->r = *r;
	s->r.id = NULL;
}

static void test_new_checks(void **state)
{
	(void)state;
	char err[256];
	struct ev *ev = ev_new(err, sizeof err);
	assert_non_null(ev);
	struct switch_conn *sw = NULL;
	struct switch_opts o = opts("");
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), -EINVAL);
	assert_string_equal(err, "[switch] endpoint is empty");
	o = opts("ftp://127.0.0.1/");
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "http or https expected, not ftp"));
	o = opts("http://127.0.0.1:1");
	o.callback_timeout_ms = 9000;
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "exceeds answer_budget_ms"));
	o = opts("http://127.0.0.1:1");
	o.merchant_party_type = "SHOP";
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), -EINVAL);
	o = opts("http://no-such-host.invalid:1");
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), -EHOSTUNREACH);
	assert_non_null(strstr(err, "cannot resolve no-such-host.invalid"));
	o = opts("http://127.0.0.1:1");
	o.jws_key = "/nonexistent/key.pem";
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), -ENOENT);
	assert_null(sw);
	ev_free(ev);
}

static void test_refusals_and_down(void **state)
{
	(void)state;
	char err[256];
	struct ev *ev = ev_new(err, sizeof err);
	assert_non_null(ev);
	struct switch_conn *sw = NULL;
	struct switch_opts o = opts("http://127.0.0.1:1/");
	assert_int_equal(switch_new(&sw, ev, &o, err, sizeof err), 0);
	assert_string_equal(switch_party_type(sw), "ALIAS");
	assert_int_equal(switch_link(sw)->up, -1);

	struct seen a = { 0 }, b = { 0 };
	assert_int_equal(switch_lookup(sw, "", NULL, "1", on_done, &a, err, sizeof err), -EINVAL);
	assert_string_equal(err, "FSPIOP-Source: 1-32 characters");
	assert_int_equal(switch_lookup(sw, "tillgate", "SHOP", "1", on_done, &a, err, sizeof err),
			 -EINVAL);
	assert_string_equal(err, "Type: not a PartyIdType");
	assert_int_equal(switch_lookup(sw, "tillgate", NULL, "a/b", on_done, &a, err, sizeof err),
			 -EINVAL);
	assert_int_equal(switch_transfer_get(sw, "tillgate", NULL, "not-a-uuid", NULL, on_done, &a,
					     err, sizeof err),
			 -EINVAL);
	assert_string_equal(err, "transferId: not a lowercase UUID");
	struct fspiop_quote_req q = { .quote_id = "b51ec534-ee48-4575-b6a9-ead2955b8069",
				      .transaction_id = "a8323bc6-c228-4df2-ae82-e5a997baf898",
				      .payee = { "ALIAS", "10000042", NULL },
				      .payer = { "MSISDN", "255712345678", "tillgate" } };
	assert_int_equal(switch_quote(sw, &q, on_done, &a, err, sizeof err), -EINVAL);
	assert_string_equal(err, "$.payee.partyIdInfo.fspId: needed for the FSPIOP headers");
	struct fspiop_transfer_req t = { .transfer_id = "f5a5e5c4-92b1-4e4b-a4f9-36f8a1a2b3c4",
					 .payer_fsp = "tillgate", .payee_fsp = "acqbank",
					 .currency = "TZS", .amount = 100, .ilp_packet = "AYIB",
					 .condition = "short", .expiration_ms = 1 };
	assert_int_equal(switch_transfer(sw, &t, on_done, &a, err, sizeof err), -EINVAL);
	assert_string_equal(err, "$.condition: 43 base64url characters");
	assert_int_equal(switch_inflight(sw), 0);

	/* one allowed in flight; the second is refused */
	assert_int_equal(switch_lookup(sw, "tillgate", NULL, "10000042", on_done, &a, err, sizeof err),
			 0);
	assert_int_equal(a.calls, 0); /* never from inside the call */
	assert_int_equal(switch_inflight(sw), 1);
	assert_int_equal(switch_lookup(sw, "tillgate", NULL, "10000043", on_done, &b, err, sizeof err),
			 -EBUSY);
	assert_non_null(strstr(err, "max_inflight"));

	/* nothing listens on port 1: down, reported once */
	for (int i = 0; i < 100 && !a.calls; i++)
		ev_run_once(ev, 100);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.r.status, SWITCH_DOWN);
	assert_int_equal(a.r.http_status, 0);
	assert_int_equal(switch_link(sw)->up, 0);
	assert_non_null(strstr(switch_link(sw)->last_error, "onnect"));
	assert_int_equal(switch_inflight(sw), 0);
	assert_int_equal(b.calls, 0);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	switch_metrics(sw, f);
	fclose(f);
	assert_non_null(strstr(buf, "\ntillgate_switch_up 0\n"));
	assert_non_null(strstr(buf, "\ntillgate_switch_down_total{kind=\"lookup\"} 1\n"));
	assert_non_null(strstr(buf, "\ntillgate_switch_busy_total 1\n"));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	switch_metrics(NULL, f);
	fclose(f);
	assert_string_equal(strstr(buf, "\ntillgate_switch_up ") + 1, "tillgate_switch_up -1\n");
	free(buf);

	/* a request still waiting is dropped by switch_free without its callback */
	assert_int_equal(switch_lookup(sw, "tillgate", NULL, "10000042", on_done, &b, err, sizeof err),
			 0);
	switch_free(sw);
	assert_int_equal(b.calls, 0);
	ev_free(ev);
}

int main(void)
{
	char err[128];
	log_set_levels("none", err, sizeof err);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_checks),
		cmocka_unit_test(test_refusals_and_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
