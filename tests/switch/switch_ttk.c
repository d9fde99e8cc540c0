/* switch_ttk.c -- the FSPIOP connector (gateway/switch.h) against the
 * Mojaloop Testing Toolkit as the switch, with the deterministic rules of
 * tests/ttk/ (run by tests/cli/switch_ttk.sh, which starts the Toolkit).
 *
 *   switch_ttk ENDPOINT CALLBACK_PORT [JWS_ENDPOINT KEYFILE
 *              [TLS_ENDPOINT CA CERT KEY]]
 *
 * Serves the callback routes on 127.0.0.1:CALLBACK_PORT (the Toolkit's
 * CALLBACK_ENDPOINT) and runs the payer-side cases one after the other,
 * printing TAP. Every request must get 202 from the Toolkit: a request
 * that failed its OpenAPI validation gets a 4xx instead. With
 * JWS_ENDPOINT (tests/ttk/jws_peer.js) and its KEYFILE, a quote signed
 * with that key must pass Mojaloop's JWS validator, and an unsigned one
 * must not. With TLS_ENDPOINT (tests/ttk/tls_peer.js, which demands a
 * client certificate signed by CA), a quote over mutual TLS must get 202,
 * and one without the client certificate or without the CA must not. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ev.h"
#include "gateway/fspiop.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/switch.h"

static int n_test, n_fail;

__attribute__((format(printf, 2, 3))) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", cond ? "" : "not ", ++n_test);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!cond)
		n_fail++;
	return cond;
}

/* One finished request, copied out of its callback. */
struct done {
	int fired;
	struct switch_result r;
	struct fspiop_party party;
	struct fspiop_quote quote;
	struct fspiop_transfer transfer;
};

static void on_done(void *arg, const struct switch_result *r)
{
	struct done *d = arg;
	d->fired++;
	d->r = *r;
	d->r.id = NULL;
	if (r->party)
		d->party = *r->party;
	if (r->quote) {
		d->quote = *r->quote;
		d->quote.ilp_packet = strdup(r->quote->ilp_packet);
	}
	if (r->transfer)
		d->transfer = *r->transfer;
}

static struct ev *ev;

/* A lookup whose completion sends the same lookup again (what a retry
 * does): the second must wait for a callback of its own. */
struct chain {
	struct switch_conn *sw;
	struct done first, second;
	uint64_t callbacks_at_second;
};

static uint64_t metric_value(struct switch_conn *sw, const char *name);

static void on_second(void *arg, const struct switch_result *r)
{
	struct chain *c = arg;
	c->callbacks_at_second = metric_value(c->sw, "\ntillgate_switch_callbacks_total ");
	on_done(&c->second, r);
}

static void on_first(void *arg, const struct switch_result *r)
{
	struct chain *c = arg;
	char err[200];
	on_done(&c->first, r);
	if (switch_lookup(c->sw, "tillgate", NULL, "10000042", on_second, c, err, sizeof err) < 0)
		c->second.fired = -1;
}

/* Runs the loop until d fired (the connector's own timeout bounds it). */
static void wait_for(struct done *d)
{
	while (!d->fired)
		ev_run_once(ev, 100);
}

static void show(const char *what, const struct done *d)
{
	printf("# %s: status=%s http=%u code=%d detail=%s\n", what,
	       switch_status_name(d->r.status), d->r.http_status, d->r.error.code, d->r.detail);
}

static const char *const PAYER = "tillgate";
static const char *const PAYEE = "acqbank";

static int quote(struct switch_conn *sw, int64_t amount, struct done *d, char *qid,
		 char *txid)
{
	char err[200];
	fspiop_uuid_new(qid);
	fspiop_uuid_new(txid);
	struct fspiop_quote_req q = {
		.quote_id = qid,
		.transaction_id = txid,
		.payee = { "ALIAS", "10000042", PAYEE },
		.payer = { "MSISDN", "255712345678", PAYER },
		.amount_type = "SEND",
		.currency = "TZS",
		.amount = amount,
		.scenario = "PAYMENT",
		.initiator = "PAYER",
		.initiator_type = "CONSUMER",
		.expiration_ms = switch_expiration_ms(sw),
		.note = "till 1000045",
	};
	memset(d, 0, sizeof *d);
	int rc = switch_quote(sw, &q, on_done, d, err, sizeof err);
	if (rc < 0) {
		printf("# switch_quote: %s\n", err);
		return rc;
	}
	wait_for(d);
	show("quote", d);
	return 0;
}

static int transfer(struct switch_conn *sw, const struct done *qd, const char *condition,
		    struct done *d, char *xid)
{
	char err[200];
	fspiop_uuid_new(xid);
	struct fspiop_transfer_req t = {
		.transfer_id = xid,
		.payer_fsp = PAYER,
		.payee_fsp = PAYEE,
		.currency = qd->quote.transfer_amount.currency,
		.amount = qd->quote.transfer_amount.amount,
		.ilp_packet = qd->quote.ilp_packet,
		.condition = condition ? condition : qd->quote.condition,
		.expiration_ms = switch_expiration_ms(sw),
	};
	memset(d, 0, sizeof *d);
	int rc = switch_transfer(sw, &t, on_done, d, err, sizeof err);
	if (rc < 0) {
		printf("# switch_transfer: %s\n", err);
		return rc;
	}
	wait_for(d);
	show("transfer", d);
	return 0;
}

/* The value of a metric line that starts with name (e.g.
 * "\ntillgate_switch_callbacks_total ": a line start and the name). */
static uint64_t metric_value(struct switch_conn *sw, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	switch_metrics(sw, f);
	fclose(f);
	uint64_t v = 0;
	const char *p = buf ? strstr(buf, name) : NULL;
	if (p)
		v = strtoull(p + strlen(name), NULL, 10);
	free(buf);
	return v;
}

static int metric_is(struct switch_conn *sw, const char *line)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	switch_metrics(sw, f);
	fclose(f);
	int found = buf && strstr(buf, line) != NULL;
	free(buf);
	return found;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 5 && argc != 9) {
		fprintf(stderr, "usage: switch_ttk ENDPOINT CALLBACK_PORT [JWS_ENDPOINT KEYFILE "
				"[TLS_ENDPOINT CA CERT KEY]]\n");
		return 2;
	}
	char err[256], listen[64];
	log_set_levels("warn switch=info", err, sizeof err);
	ev = ev_new(err, sizeof err);
	if (!ev) {
		fprintf(stderr, "ev_new: %s\n", err);
		return 1;
	}
	struct gw gw = { .ev = ev };
	struct switch_opts o = {
		.endpoint = argv[1],
		.merchant_party_type = "ALIAS",
		.transfer_expiry_s = 30,
		.callback_timeout_ms = 3000,
		.max_inflight = 16,
		.answer_budget_ms = 8000,
	};
	if (switch_new(&gw.sw, ev, &o, err, sizeof err) < 0) {
		fprintf(stderr, "switch_new: %s\n", err);
		return 1;
	}
	snprintf(listen, sizeof listen, "127.0.0.1:%s", argv[2]);
	struct http_limits lim = { .max_body = 1 << 20, .max_conns = 64, .timeout_s = 10 };
	struct http *h = http_new(ev, listen, switch_routes, SWITCH_ROUTES, &gw, &lim, err,
				  sizeof err);
	if (!h) {
		fprintf(stderr, "http_new: %s\n", err);
		return 1;
	}
	struct switch_conn *sw = gw.sw;
	struct done d, qd, xd;
	char qid[37], txid[37], xid[37];

	/* 1. lookup: found */
	memset(&d, 0, sizeof d);
	ok(switch_lookup(sw, PAYER, NULL, "10000042", on_done, &d, err, sizeof err) == 0,
	   "lookup started");
	wait_for(&d);
	show("lookup", &d);
	ok(d.r.status == SWITCH_OK && d.r.http_status == 202, "lookup ALIAS/10000042: 202 then PUT /parties");
	ok(strcmp(d.party.name, "Mama Ntilie Kiosk") == 0 && strcmp(d.party.fsp_id, PAYEE) == 0 &&
		   strcmp(d.party.id, "10000042") == 0 && strcmp(d.party.mcc, "5411") == 0,
	   "the party: name, fspId, identifier and MCC as the switch sent them");
	ok(metric_is(sw, "tillgate_switch_up 1\n"), "the link is up after a callback");

	/* 2. lookup: not found */
	memset(&d, 0, sizeof d);
	switch_lookup(sw, PAYER, "ALIAS", "99999999", on_done, &d, err, sizeof err);
	wait_for(&d);
	show("lookup", &d);
	ok(d.r.status == SWITCH_ERROR && d.r.error.code == 3204 && d.r.http_status == 202,
	   "lookup ALIAS/99999999: 202 then PUT /parties/.../error 3204");
	ok(d.r.info && d.r.info->action == FSPIOP_ACT_FAIL &&
		   strstr(d.r.info->customer, "Merchant ID unknown"),
	   "3204 is final, with the customer message 'Merchant ID unknown'");

	/* 3-4. quote, then transfer committed with a verified fulfilment */
	quote(sw, 500000, &qd, qid, txid);
	ok(qd.r.status == SWITCH_OK && qd.r.http_status == 202, "quote of 5000 TZS: 202 then PUT /quotes");
	ok(qd.quote.transfer_amount.amount == 500000 &&
		   strcmp(qd.quote.transfer_amount.currency, "TZS") == 0,
	   "transferAmount 5000 TZS = 500000 minor units");
	ok(qd.quote.ilp_packet && strlen(qd.quote.ilp_packet) > 0 &&
		   fspiop_b64url32_ok(qd.quote.condition),
	   "the quote carries an ilpPacket and a 43-character condition");
	transfer(sw, &qd, NULL, &xd, xid);
	ok(xd.r.status == SWITCH_OK && xd.r.http_status == 202 &&
		   xd.transfer.state == FSPIOP_COMMITTED,
	   "transfer: 202 then PUT /transfers COMMITTED");
	ok(xd.r.fulfilment_verified == 1 &&
		   fspiop_fulfilment_ok(xd.transfer.fulfilment, qd.quote.condition) == 1,
	   "sha256(fulfilment) == the quote's condition, checked by the connector");

	/* 5. the packet and condition must pass unchanged: another condition
	 * is refused by the switch (3106) */
	char other[44];
	memcpy(other, qd.quote.condition, sizeof other);
	other[0] = other[0] == 'A' ? 'B' : 'A';
	transfer(sw, &qd, other, &xd, xid);
	ok(xd.r.status == SWITCH_ERROR && xd.r.error.code == 3106 && xd.r.http_status == 202,
	   "a changed condition: the switch answers 3106 (modified request)");
	free(qd.quote.ilp_packet);

	/* 6. quote rejected */
	quote(sw, 66600, &qd, qid, txid);
	ok(qd.r.status == SWITCH_ERROR && qd.r.error.code == 5103 && qd.r.http_status == 202,
	   "quote of 666 TZS: PUT /quotes/{id}/error 5103");
	ok(qd.r.info && qd.r.info->action == FSPIOP_ACT_FAIL, "5103 is final");

	/* 7. no quote callback */
	quote(sw, 77700, &qd, qid, txid);
	ok(qd.r.status == SWITCH_TIMEOUT && qd.r.http_status == 202,
	   "quote of 777 TZS: 202 and no callback: timeout");

	/* 8. insufficient liquidity */
	quote(sw, 44400, &qd, qid, txid);
	ok(qd.r.status == SWITCH_OK, "quote of 444 TZS");
	transfer(sw, &qd, NULL, &xd, xid);
	ok(xd.r.status == SWITCH_ERROR && xd.r.error.code == 4001 && xd.r.http_status == 202,
	   "transfer of 444 TZS: PUT /transfers/{id}/error 4001");
	free(qd.quote.ilp_packet);

	/* 9. no transfer callback, then GET /transfers/{id} recovers it */
	quote(sw, 55500, &qd, qid, txid);
	ok(qd.r.status == SWITCH_OK, "quote of 555 TZS");
	transfer(sw, &qd, NULL, &xd, xid);
	ok(xd.r.status == SWITCH_TIMEOUT && xd.r.http_status == 202,
	   "transfer of 555 TZS: 202 and no callback: timeout (outcome unknown)");
	memset(&d, 0, sizeof d);
	ok(switch_transfer_get(sw, PAYER, PAYEE, xid, qd.quote.condition, on_done, &d, err,
			       sizeof err) == 0,
	   "GET /transfers/{id} started");
	wait_for(&d);
	show("transfer get", &d);
	ok(d.r.status == SWITCH_OK && d.r.http_status == 202 && d.transfer.state == FSPIOP_COMMITTED &&
		   d.r.fulfilment_verified == 1,
	   "GET /transfers/{id}: COMMITTED with a fulfilment matching the condition");
	free(qd.quote.ilp_packet);

	/* two lookups of one party: the first callback completes both, the
	 * second matches nothing (a late callback) */
	struct done d2;
	memset(&d, 0, sizeof d);
	memset(&d2, 0, sizeof d2);
	uint64_t unmatched = metric_value(sw, "\ntillgate_switch_callbacks_unmatched_total ");
	switch_lookup(sw, PAYER, NULL, "10000042", on_done, &d, err, sizeof err);
	switch_lookup(sw, PAYER, NULL, "10000042", on_done, &d2, err, sizeof err);
	wait_for(&d);
	wait_for(&d2);
	ok(d.r.status == SWITCH_OK && d2.r.status == SWITCH_OK, "two lookups of one party both complete");
	while (metric_value(sw, "\ntillgate_switch_callbacks_unmatched_total ") == unmatched)
		ev_run_once(ev, 100);
	ok(1, "the second callback is counted as matching no request");

	/* a lookup sent again from its own completion waits for its own callback */
	struct chain ch = { .sw = sw };
	uint64_t before = metric_value(sw, "\ntillgate_switch_callbacks_total ");
	switch_lookup(sw, PAYER, NULL, "10000042", on_first, &ch, err, sizeof err);
	wait_for(&ch.first);
	wait_for(&ch.second);
	ok(ch.second.fired == 1 && ch.second.r.status == SWITCH_OK &&
		   ch.callbacks_at_second == before + 2,
	   "a retry sent from the completion is completed by the next callback, not the same one");

	ok(switch_inflight(sw) == 0, "nothing left waiting");
	ok(metric_is(sw, "tillgate_switch_requests_total{kind=\"quote\"} 5\n") &&
		   metric_is(sw, "tillgate_switch_timeouts_total{kind=\"transfer\"} 1\n"),
	   "the counters: 5 quotes sent, 1 transfer timed out");

	/* 10. the link down: nothing listens on port 1 */
	struct switch_conn *dead = NULL;
	o.endpoint = "http://127.0.0.1:1";
	ok(switch_new(&dead, ev, &o, err, sizeof err) == 0, "a connector to a closed port");
	memset(&d, 0, sizeof d);
	switch_lookup(dead, PAYER, NULL, "10000042", on_done, &d, err, sizeof err);
	wait_for(&d);
	show("dead lookup", &d);
	ok(d.r.status == SWITCH_DOWN && d.r.http_status == 0 && switch_link(dead)->up == 0 &&
		   switch_link(dead)->last_error[0],
	   "connection refused: status down, link down with its error");
	switch_free(dead);

	/* 11. FSPIOP-Signature against Mojaloop's validator */
	if (argc >= 5) {
		struct switch_conn *signed_sw = NULL, *plain = NULL;
		o.endpoint = argv[3];
		o.callback_timeout_ms = 500; /* the peer sends no callback */
		ok(switch_new(&plain, ev, &o, err, sizeof err) == 0, "a connector without a key");
		o.jws_key = argv[4];
		ok(switch_new(&signed_sw, ev, &o, err, sizeof err) == 0, "a connector with jws_key");
		quote(signed_sw, 500000, &qd, qid, txid);
		ok(qd.r.status == SWITCH_TIMEOUT && qd.r.http_status == 202,
		   "a signed POST /quotes passes Mojaloop's JWS validator (202)");
		quote(plain, 500000, &qd, qid, txid);
		ok(qd.r.status == SWITCH_ERROR && qd.r.error.code == 3105 && qd.r.http_status == 400,
		   "an unsigned one does not (400, 3105)");
		switch_free(signed_sw);
		switch_free(plain);
		o.jws_key = NULL;
	}

	/* 12. mutual TLS */
	if (argc == 9) {
		struct switch_conn *m = NULL;
		o.endpoint = argv[5];
		o.callback_timeout_ms = 500;
		o.tls_ca = argv[6];
		o.tls_cert = argv[7];
		o.tls_key = argv[8];
		ok(switch_new(&m, ev, &o, err, sizeof err) == 0, "a connector with tls_cert, tls_key, tls_ca");
		quote(m, 500000, &qd, qid, txid);
		ok(qd.r.status == SWITCH_TIMEOUT && qd.r.http_status == 202,
		   "POST /quotes over mutual TLS: 202");
		switch_free(m);
		o.tls_cert = o.tls_key = NULL;
		ok(switch_new(&m, ev, &o, err, sizeof err) == 0, "the same without the client certificate");
		quote(m, 500000, &qd, qid, txid);
		ok(qd.r.status == SWITCH_DOWN && qd.r.http_status == 0,
		   "refused by the peer: the link is down");
		switch_free(m);
		o.tls_ca = NULL;
		o.tls_cert = argv[7];
		o.tls_key = argv[8];
		ok(switch_new(&m, ev, &o, err, sizeof err) == 0, "the same without the CA");
		quote(m, 500000, &qd, qid, txid);
		ok(qd.r.status == SWITCH_DOWN && qd.r.http_status == 0 &&
			   strstr(qd.r.detail, "certificate"),
		   "the peer's certificate is not trusted: down, naming the certificate");
		switch_free(m);
	}

	http_free(h);
	switch_free(sw);
	ev_free(ev);
	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
