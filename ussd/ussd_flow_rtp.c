/* ussd_flow_rtp.c -- a merchant's request to pay, on the payer's phone:
 *
 *   "MAMA JUMA SHOP asks TZS 5,000.00. Enter PIN to pay, 0 to refuse"
 *      -> PIN: the payment is made as "Pay merchant" makes it (PIN checked
 *         with wrong tries and lock-out, pay_accept() with the limits,
 *         on-us or forwarded) and the request follows it (gateway/rtp.h);
 *         the screen waits for the payment's outcome within the answer
 *         budget as there (ussd_flow_pay_answer())
 *      -> 0: the request is REFUSED
 *
 * The gateway pushes this screen (gateway/rtp_push.h: a network-initiated
 * dialogue over SMPP, the scratch filled in); a customer whose operator
 * link cannot push (the HTTP aggregator) opens it from the main menu
 * ("Payment requests"), and it then shows the newest request waiting for
 * the number. See docs/ussd.md "Request to pay".
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/customer.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/pay.h"
#include "gateway/rtp.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"

_Static_assert(sizeof(struct ussd_rtp_scratch) <= USSD_SCRATCH_MAX, "rtp scratch");
_Static_assert(offsetof(struct ussd_rtp_scratch, wait) == 0, "the wait first");

/* Fills the scratch with the newest request waiting for the caller, if
 * it is empty. Returns 1 if one is there, 0 if none, or a negative errno. */
static int find(struct ussd_ctx *c)
{
	struct ussd_rtp_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	struct rtp_rec q;
	if (s->id[0])
		return 1;
	if (!gw->rtp)
		return 0;
	int rc = rtp_prompted_for(gw->rtp, ussd_ctx_msisdn(c), (int64_t)time(NULL), &q);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	snprintf(s->id, sizeof s->id, "%s", q.id);
	snprintf(s->dfsp, sizeof s->dfsp, "%s", q.payer_dfsp);
	snprintf(s->till, sizeof s->till, "%s", q.till);
	snprintf(s->name, sizeof s->name, "%s", q.trading_name);
	s->amount = q.amount;
	return 1;
}

static int pin_render(struct ussd_ctx *c)
{
	const struct ussd_rtp_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	int rc = find(c);
	if (rc <= 0)
		return rc < 0 ? rc : ussd_say(c, "rtp.none", NULL, 0);
	char amount[64];
	rtp_amount_text(gw->rtp, s->amount, amount, sizeof amount);
	struct ussd_var v[] = { { "name", s->name }, { "amount", amount } };
	return ussd_say(c, "rtp.prompt", v, 2);
}

/* Moves the request; a failure is logged (the payer's screen says what
 * happened to the payment, which is what counts). */
static void move(struct ussd_ctx *c, enum rtp_event ev, const char *code, const char *payment)
{
	const struct ussd_rtp_scratch *s = ussd_ctx_scratch(c);
	char err[RTP_ERR_MAX];
	int rc = rtp_apply(ussd_ctx_gw(c)->rtp, s->id, ev, code, payment, ussd_ctx_msisdn(c),
			   "customer", NULL, err, sizeof err);
	if (rc < 0)
		LOGE(LC_USSD, "payment request not updated", "msisdn=%s request=%s event=%s error=\"%s\"",
		     ussd_ctx_msisdn(c), s->id, rtp_event_name(ev), err[0] ? err : strerror(-rc));
}

static int pin_input(struct ussd_ctx *c, const char *in)
{
	struct ussd_rtp_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	struct rtp_rec q;
	char amount[64];

	if (!s->id[0])
		return ussd_main(c, NULL);
	int rc = rtp_get(gw->rtp, NULL, s->id, &q);
	if (rc < 0)
		return rc;
	if (q.state != RTP_PROMPTED || strcmp(q.payer_msisdn, ussd_ctx_msisdn(c)) != 0)
		return ussd_end(c, "rtp.gone", NULL, 0);
	rtp_amount_text(gw->rtp, s->amount, amount, sizeof amount);
	struct ussd_var nv[] = { { "name", s->name }, { "amount", amount } };
	if (strcmp(in, "0") == 0) {
		move(c, RTP_EV_REFUSE, "refused", NULL);
		LOGI(LC_USSD, "payment request refused", "msisdn=%s request=%s", ussd_ctx_msisdn(c), s->id);
		return ussd_end(c, "rtp.refused", nv, 2);
	}

	struct cust_info ci;
	rc = cust_verify_pin(gw->cust, s->dfsp, ussd_ctx_msisdn(c), in, &ci);
	if (rc == -EACCES)
		return ussd_retry(c, "pay.bad_pin");
	if (rc == -EAGAIN) {
		char until[CUST_TS_SIZE];
		snprintf(until, sizeof until, "%.16s", ci.locked_until);
		for (char *t = strchr(until, 'T'); t; t = NULL)
			*t = ' ';
		struct ussd_var v[] = { { "dfsp", s->dfsp }, { "until", until } };
		move(c, RTP_EV_FAIL, "payer_locked", NULL);
		return ussd_end(c, "pay.locked", v, 2);
	}
	if (rc == -EPERM || rc == -ENOENT) {
		move(c, RTP_EV_FAIL, "customer_inactive", NULL);
		return ussd_end(c, "pay.not_active", NULL, 0);
	}
	if (rc < 0)
		return rc;

	/* The payment, exactly as "Pay merchant" makes it; its key is the
	 * request's id, so that it is made at most once per request. */
	struct pay_in pin = {
		.idem_scope = "rtp",
		.idem_key = s->id,
		.payer_dfsp = s->dfsp,
		.payer_msisdn = ussd_ctx_msisdn(c),
		.till = s->till,
		.amount = s->amount,
		.currency = gw->cfg.gateway_currency,
		.channel = PAY_CH_USSD,
		.mode = fwd_mode(gw),
		.actor = ussd_ctx_msisdn(c),
		.role = "customer",
	};
	struct pay_rec rec;
	struct pay_refusal why;
	memset(&why, 0, sizeof why);
	rc = gw->pay ? pay_accept(gw->pay, &pin, &rec, &why) : -ENOSYS;
	if (rc < 0) {
		LOGI(LC_USSD, "payment request not paid", "msisdn=%s request=%s code=%s rc=%d",
		     ussd_ctx_msisdn(c), s->id, why.code[0] ? why.code : "error", rc);
		move(c, RTP_EV_FAIL, why.code[0] ? why.code : "error", NULL);
		struct ussd_var v[] = { { "reason", why.msg[0] ? why.msg : "-" } };
		return ussd_end(c, "rtp.not_paid", v, 1);
	}
	LOGI(LC_USSD, "payment request paid", "msisdn=%s request=%s payment=%s state=%s",
	     ussd_ctx_msisdn(c), s->id, rec.id, pay_state_name(rec.state));
	/* The request follows the payment (the sweep takes a PAYING one on
	 * to PAID or FAILED); the screen waits for its outcome as "Pay
	 * merchant" does. */
	move(c, rec.state == PAY_COMMITTED ? RTP_EV_PAID : RTP_EV_PAY, NULL, rec.id);
	return ussd_flow_pay_answer(c, &rec, rc == 0);
}

static const struct ussd_state rtp_states[] = {
	/* RAW: "0" refuses here, it does not go back. */
	[USSD_RTP_PIN] = { "rtp.pin", USSD_ST_SECRET | USSD_ST_RAW, pin_render, pin_input },
};

const struct ussd_flow ussd_flow_rtp = {
	"rtp", "menu.requests", USSD_WHO_CUSTOMER, rtp_states, 1, USSD_RTP_PIN,
};
