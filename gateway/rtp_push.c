/* rtp_push.c -- a request to pay put before its payer (see rtp_push.h). */
#include "gateway/rtp_push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/rtp.h"
#include "gateway/switch.h"
#include "gateway/ussd_smpp.h"
#include "ussd/smpp_link.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"

/* The SMS of a request the payer answers from the main menu. */
static int tell_payer(struct gw *gw, const struct rtp_rec *q)
{
	char amount[64], text[320];
	rtp_amount_text(gw->rtp, q->amount, amount, sizeof amount);
	snprintf(text, sizeof text, "%s asks you to pay %s. To pay or refuse, dial %s and choose "
		 "Payment requests. Ref %s", q->trading_name, amount, gw->cfg.ussd_service_code, q->id);
	return outbox_sms(gw->outbox, q->payer_dfsp, q->payer_msisdn, text, q->id, NULL);
}

static int prompt(struct gw *gw, const char *id, int sms, struct rtp_rec *q, char *err, size_t errlen)
{
	int rc = db_begin(gw->db);
	if (rc < 0)
		return rc;
	rc = rtp_apply(gw->rtp, id, RTP_EV_PROMPT, NULL, NULL, NULL, NULL, q, err, errlen);
	if (rc == 0 && sms && (rc = tell_payer(gw, q)) < 0)
		snprintf(err, errlen, "the payer's SMS: %s", strerror(-rc));
	return db_end(gw->db, rc);
}

/* ---- a payer of another DFSP: through the switch ---- */

/* What a lookup or transaction request carries to its callback. */
struct remote {
	struct gw *gw;
	char id[RTP_ID_MAX];
	char fsp[33]; /* the payer's FSP, once looked up */
};

/* Ends the request after a switch failure; a request that moved on
 * meanwhile (expired) stays as it is. */
static void remote_fail(struct remote *c, const char *code, const char *detail)
{
	char err[RTP_ERR_MAX];
	LOGI(LC_SWITCH, "request to pay not sent", "request=%s code=%s detail=\"%s\"", c->id, code,
	     detail);
	if (rtp_apply(c->gw->rtp, c->id, RTP_EV_FAIL, code, NULL, NULL, NULL, NULL, err, sizeof err) < 0)
		LOGN(LC_SWITCH, "request to pay not failed", "request=%s error=\"%s\"", c->id, err);
}

static const char *status_code(enum switch_status s)
{
	return s == SWITCH_TIMEOUT ? "switch_timeout"
	       : s == SWITCH_DOWN  ? "switch_unreachable"
	       : s == SWITCH_INVALID ? "switch_invalid"
				     : "switch_error";
}

static void on_txreq(void *arg, const struct switch_result *r)
{
	struct remote *c = arg;
	char err[RTP_ERR_MAX];
	struct gw *gw = c->gw;
	if (!gw->rtp) {
		free(c);
		return;
	}
	if (r->status != SWITCH_OK) {
		char code[RTP_CODE_MAX];
		if (r->status == SWITCH_ERROR)
			snprintf(code, sizeof code, "fspiop_%d", r->error.code);
		else
			snprintf(code, sizeof code, "%s", status_code(r->status));
		remote_fail(c, code, r->detail);
		free(c);
		return;
	}
	int rc;
	if (r->txreq->state == FSPIOP_TXR_REJECTED)
		rc = rtp_apply(gw->rtp, c->id, RTP_EV_REFUSE, "rejected", NULL, NULL, NULL, NULL, err,
			       sizeof err);
	else /* RECEIVED, PENDING, ACCEPTED: the payer's DFSP has it */
		rc = rtp_apply_fsp(gw->rtp, c->id, RTP_EV_SENT, NULL, c->fsp, NULL, err, sizeof err);
	if (rc < 0)
		LOGN(LC_SWITCH, "transaction request answer not applied", "request=%s error=\"%s\"",
		     c->id, err);
	else
		LOGI(LC_SWITCH, "transaction request answered", "request=%s state=%d", c->id,
		     (int)r->txreq->state);
	free(c);
}

static void on_lookup(void *arg, const struct switch_result *r)
{
	struct remote *c = arg;
	struct gw *gw = c->gw;
	struct rtp_rec q;
	char err[RTP_ERR_MAX], fsp[33];
	if (!gw->rtp || !gw->sw || rtp_get(gw->rtp, NULL, c->id, &q) < 0 || q.state != RTP_PENDING) {
		free(c);
		return;
	}
	if (r->status != SWITCH_OK || !r->party->fsp_id[0]) {
		remote_fail(c, r->status == SWITCH_OK || r->status == SWITCH_ERROR ? "payer_not_found"
										   : status_code(r->status),
			    r->detail[0] ? r->detail : "no fspId");
		free(c);
		return;
	}
	snprintf(fsp, sizeof fsp, "%s", r->party->fsp_id);
	/* Recorded with SENT when that FSP answers, so that only its quote
	 * is taken for the request (rtp_on_quote()). */
	snprintf(c->fsp, sizeof c->fsp, "%s", fsp);
	struct fspiop_txreq_req t = {
		.transaction_request_id = q.transaction_request_id,
		.payee = { switch_party_type(gw->sw), q.till, q.dfsp },
		.payee_name = q.trading_name[0] ? q.trading_name : NULL,
		.payer = { "MSISDN", q.payer_msisdn, fsp },
		.currency = q.currency,
		.amount = q.amount,
		.scenario = "PAYMENT",
		.initiator = "PAYEE",
		.initiator_type = "BUSINESS",
		.expiration_ms = q.expires_at * 1000,
	};
	int rc = switch_txreq(gw->sw, &t, on_txreq, c, err, sizeof err);
	if (rc < 0) {
		remote_fail(c, rc == -EBUSY ? "switch_busy" : "switch_error", err);
		free(c);
	}
}

/* Looks the payer up (GET /parties/MSISDN/{msisdn}) and then sends the
 * transaction request; the request stays PENDING until the payer's DFSP
 * answers. */
static int remote(struct gw *gw, const struct rtp_rec *q, char *err, size_t errlen)
{
	if (!gw->sw) {
		char e2[RTP_ERR_MAX];
		snprintf(err, errlen, "payer_msisdn: not a customer here, and no switch is configured");
		rtp_apply(gw->rtp, q->id, RTP_EV_FAIL, "no_switch", NULL, NULL, NULL, NULL, e2, sizeof e2);
		return 0;
	}
	struct remote *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->gw = gw;
	snprintf(c->id, sizeof c->id, "%s", q->id);
	int rc = switch_lookup(gw->sw, q->dfsp, "MSISDN", q->payer_msisdn, on_lookup, c, err, errlen);
	if (rc < 0) {
		remote_fail(c, rc == -EBUSY ? "switch_busy" : "switch_error", err);
		free(c);
	}
	return 0;
}

int rtp_push_deliver(struct gw *gw, const char *id, struct rtp_rec *out, char *err, size_t errlen)
{
	struct rtp_rec q;
	if (rtp_get(gw->rtp, NULL, id, &q) == 0 && !q.payer_dfsp[0]) {
		int rc = remote(gw, &q, err, errlen);
		if (rc == 0 && out)
			rtp_get(gw->rtp, NULL, id, out);
		return rc;
	}
	int can_push = gw->smpp && gw->ussd &&
		       smpp_link_state(ussd_smpp_link(gw->smpp)) == SMPP_LINK_BOUND;
	int rc = prompt(gw, id, !can_push, &q, err, errlen);
	if (rc < 0)
		return rc;
	if (can_push) {
		/* Committed above: now the screen may leave. */
		struct ussd_rtp_scratch s;
		memset(&s, 0, sizeof s);
		snprintf(s.id, sizeof s.id, "%s", q.id);
		snprintf(s.dfsp, sizeof s.dfsp, "%s", q.payer_dfsp);
		snprintf(s.till, sizeof s.till, "%s", q.till);
		snprintf(s.name, sizeof s.name, "%s", q.trading_name);
		s.amount = q.amount;
		struct ussd_reply r;
		rc = ussd_sess_push(gw->ussd, q.payer_msisdn, "smpp", &ussd_flow_rtp, USSD_RTP_PIN, &s,
				    sizeof s, &r);
		if (rc == 0)
			rc = ussd_smpp_push(gw->smpp, q.payer_msisdn, &r);
		if (rc < 0) {
			/* The request waits all the same: the payer is told by SMS. */
			LOGW(LC_USSD, "request to pay not pushed: SMS instead", "request=%s msisdn=%s error=\"%s\"",
			     q.id, q.payer_msisdn, strerror(-rc));
			if ((rc = db_begin(gw->db)) < 0 || (rc = db_end(gw->db, tell_payer(gw, &q))) < 0) {
				snprintf(err, errlen, "the payer's SMS: %s", strerror(-rc));
				return rc;
			}
		} else {
			LOGI(LC_USSD, "request to pay pushed", "request=%s msisdn=%s", q.id, q.payer_msisdn);
		}
	}
	if (out)
		*out = q;
	return 0;
}
