/* rtp_push.c -- a request to pay put before its payer (see rtp_push.h). */
#include "gateway/rtp_push.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/rtp.h"
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

int rtp_push_deliver(struct gw *gw, const char *id, struct rtp_rec *out, char *err, size_t errlen)
{
	struct rtp_rec q;
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
