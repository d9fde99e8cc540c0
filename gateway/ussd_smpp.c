/* ussd_smpp.c -- USSD dialogues and SMS over the SMPP link (see
 * ussd_smpp.h). */
#include "gateway/ussd_smpp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/sms.h"
#include "ussd/smpp_link.h"
#include "ussd/smpp_pdu.h"
#include "ussd/ussd_sess.h"
#include "ussd/ussd_text.h"


enum key_mode { KEY_ITS_SESSION, KEY_UMR, KEY_MSISDN };

struct ussd_smpp {
	struct gw *gw;            /* borrowed */
	struct smpp_link *link;   /* owned */
	struct sms *sms;          /* owned */
	enum key_mode mode;
	uint8_t gsm_dcs;
	uint64_t steps, aborts, bad, pushes;
};

/* What the reply of one step needs from its deliver_sm: copied to the
 * heap, so that the reply does not depend on the PDU's buffer (nor on
 * the call that brought it); freed by on_reply(), or by on_deliver()
 * when the step is refused (the reply callback is then never called). */
struct step_ctx {
	struct ussd_smpp *u;
	char service_type[6];
	char destination_addr[21]; /* becomes the reply's source_addr */
	char msisdn[21];
	int ussd_op;
	int has_session, has_umr;
	uint16_t session, umr;
};

static void send_reply(struct step_ctx *c, const struct ussd_reply *r)
{
	const struct step_ctx *in = c;
	uint8_t text[256];
	size_t len = 0;
	uint8_t dcs = c->u->gsm_dcs;

	int rc = ussd_text_encode(r->text, c->u->gsm_dcs, text, 253, &len, &dcs);
	if (rc < 0) {
		/* the engine guarantees ussd_text_fits(); this is a bug */
		LOGE(LC_USSD, "reply does not encode", "msisdn=%s error=\"%s\"", c->msisdn,
		     strerror(-rc));
		return;
	}
	struct smpp_submit s = {
		.service_type = in->service_type,
		.source_addr = in->destination_addr,
		.dest_addr = c->msisdn,
		.data_coding = dcs,
		.text = text,
		.text_len = len,
		/* a final screen answers a PSSD (phase 1) with a PSSD response */
		.ussd_op = !r->end ? SMPP_USSD_USSR_REQ
			   : in->ussd_op == SMPP_USSD_PSSD_IND ? SMPP_USSD_PSSD_RESP
							       : SMPP_USSD_PSSR_RESP,
		.has_session = in->has_session,
		/* echo the session; bit 0 (end of session) set on the last one */
		.session = (uint16_t)(r->end ? (in->session | 1u) : (in->session & ~1u)),
		.has_umr = in->has_umr,
		.umr = in->umr,
	};
	rc = smpp_link_submit(c->u->link, &s, 0, NULL, NULL);
	if (rc < 0)
		LOGW(LC_USSD, "reply not sent", "msisdn=%s error=\"%s\"", c->msisdn, strerror(-rc));
}

/* The reply of a step: now, or later for a step answered later (a
 * payment waiting for the switch), when it is sent to the dialogue the
 * deliver_sm opened, with the correlation data kept in c. r NULL: the
 * dialogue ended first, nothing to send. */
static void on_reply(void *arg, const struct ussd_reply *r)
{
	struct step_ctx *c = arg;
	if (r)
		send_reply(c, r);
	free(c);
}

static uint32_t on_deliver(void *arg, const struct smpp_in *in)
{
	struct ussd_smpp *u = arg;
	char msisdn[21], key[USSD_KEY_MAX + 1], text[4 * SMPP_TLV_MAX + 1];
	const char *m = in->source_addr;
	size_t pos = 0;

	if (u->sms && sms_receipt(u->sms, in))
		return SMPP_ROK;
	if (in->ussd_op < 0) {
		LOGN(LC_SMPP, "deliver_sm without ussd_service_op ignored", "src=%s dst=%s",
		     in->source_addr, in->destination_addr);
		return SMPP_ROK;
	}
	if (*m == '+')
		m++;
	size_t n = strlen(m);
	if (n < 6 || n > 15 || strspn(m, "0123456789") != n) {
		u->bad++;
		LOGW(LC_USSD, "deliver_sm from a source_addr that is not an MSISDN", "src=%s",
		     in->source_addr);
		return SMPP_RX_R_APPN_STATUS;
	}
	snprintf(msisdn, sizeof msisdn, "%s", m);
	if (u->mode == KEY_ITS_SESSION && in->has_session)
		snprintf(key, sizeof key, "smpp:%s:%u", msisdn, (unsigned)(in->session >> 8));
	else if (u->mode == KEY_UMR && in->has_umr)
		snprintf(key, sizeof key, "smpp:%s:%u", msisdn, (unsigned)in->umr);
	else
		snprintf(key, sizeof key, "smpp:%s", msisdn);

	struct ussd_step_in st = { .key = key, .msisdn = msisdn, .text = "", .transport = "smpp" };
	int eos = in->has_session && (in->session & 1u) && in->ussd_op != SMPP_USSD_PSSR_IND &&
		  in->ussd_op != SMPP_USSD_PSSD_IND;
	if (eos || (in->ussd_op != SMPP_USSD_PSSD_IND && in->ussd_op != SMPP_USSD_PSSR_IND &&
		    in->ussd_op != SMPP_USSD_USSR_CONF)) {
		/* the network or the subscriber ended it: free it, send nothing */
		st.step = USSD_ABORT;
		u->aborts++;
		LOGI(LC_USSD, "dialogue ended by the network", "key=%s op=%d eos=%d", key, in->ussd_op,
		     eos);
		ussd_sess_step(u->gw->ussd, &st, on_reply, NULL);
		return SMPP_ROK;
	}
	long tl = ussd_text_decode(in->data_coding, in->text, in->text_len, text, sizeof text, &pos);
	if (tl < 0) {
		u->bad++;
		LOGW(LC_USSD, "deliver_sm text does not decode", "key=%s dcs=%u offset=%zu error=\"%s\"",
		     key, in->data_coding, pos, strerror((int)-tl));
		return SMPP_RX_R_APPN_STATUS;
	}
	st.step = in->ussd_op == SMPP_USSD_USSR_CONF ? USSD_CONTINUE : USSD_BEGIN;
	LOGD(LC_USSD, "step", "key=%s op=%d dcs=%u", key, in->ussd_op, in->data_coding);
	st.text = text;
	struct step_ctx *c = malloc(sizeof *c);
	if (!c) {
		LOGW(LC_USSD, "step refused", "key=%s error=\"%s\"", key, strerror(ENOMEM));
		return SMPP_RX_T_APPN;
	}
	c->u = u;
	snprintf(c->service_type, sizeof c->service_type, "%s", in->service_type);
	snprintf(c->destination_addr, sizeof c->destination_addr, "%s", in->destination_addr);
	c->ussd_op = in->ussd_op;
	c->has_session = in->has_session;
	c->session = in->session;
	c->has_umr = in->has_umr;
	c->umr = in->umr;
	snprintf(c->msisdn, sizeof c->msisdn, "%s", msisdn);
	u->steps++;
	int rc = ussd_sess_step(u->gw->ussd, &st, on_reply, c);
	if (rc < 0) {
		free(c); /* refused: on_reply() was not called */
		/* -EBUSY: an answer while the previous one's reply is pending */
		LOGW(LC_USSD, "step refused", "key=%s error=\"%s\"", key, strerror(-rc));
		return rc == -ENOMEM ? SMPP_RX_T_APPN : SMPP_RX_R_APPN_STATUS;
	}
	return SMPP_ROK;
}

int ussd_smpp_push(struct ussd_smpp *u, const char *msisdn, const struct ussd_reply *r)
{
	uint8_t text[256];
	size_t len = 0;
	uint8_t dcs = u->gsm_dcs;
	if (smpp_link_state(u->link) != SMPP_LINK_BOUND)
		return -ENOTCONN;
	int rc = ussd_text_encode(r->text, u->gsm_dcs, text, 253, &len, &dcs);
	if (rc < 0)
		return rc;
	/* From the service code, as the replies; no its_session_info nor
	 * user_message_reference: the network names the dialogue in its
	 * answer (deliver_sm op 18), which ussd_sess correlates by MSISDN. */
	struct smpp_submit s = {
		.service_type = "USSD",
		.source_addr = u->gw->cfg.ussd_service_code,
		.dest_addr = msisdn,
		.data_coding = dcs,
		.text = text,
		.text_len = len,
		.ussd_op = SMPP_USSD_USSR_REQ,
	};
	rc = smpp_link_submit(u->link, &s, 0, NULL, NULL);
	if (rc == 0)
		u->pushes++;
	return rc;
}

static void on_state(void *arg, enum smpp_link_state st)
{
	struct ussd_smpp *u = arg;
	if (st == SMPP_LINK_BOUND && u->sms)
		sms_kick(u->sms);
}

int ussd_smpp_new(struct ussd_smpp **out, struct gw *gw, char *err, size_t errlen)
{
	const struct cfg *c = &gw->cfg;
	struct ussd_smpp *u;
	int rc;

	*out = NULL;
	if (!(u = calloc(1, sizeof *u)))
		return -ENOMEM;
	u->gw = gw;
	u->mode = strcmp(c->smpp_session_key, "msisdn") == 0 ? KEY_MSISDN
		  : strcmp(c->smpp_session_key, "user_message_reference") == 0 ? KEY_UMR
									      : KEY_ITS_SESSION;
	u->gsm_dcs = strcmp(c->smpp_data_coding, "0") == 0 ? USSD_DCS_DEFAULT : USSD_DCS_GSM7;
	struct smpp_link_opts o = {
		.host = c->smpp_host,
		.port = (int)c->smpp_port,
		.system_id = c->smpp_system_id,
		.password = c->smpp_password,
		.system_type = c->smpp_system_type,
		.window = (unsigned)c->smpp_window,
		.enquire_link_ms = (unsigned)c->smpp_enquire_link_s * 1000u,
		.response_timeout_ms = (unsigned)c->smpp_response_timeout_s * 1000u,
		.reconnect_min_ms = (unsigned)c->smpp_reconnect_min_s * 1000u,
		.reconnect_max_ms = (unsigned)c->smpp_reconnect_max_s * 1000u,
		.throttle_ms = (unsigned)c->smpp_reconnect_min_s * 1000u,
	};
	struct smpp_link_handlers h = { on_deliver, on_state, u };
	if ((rc = smpp_link_new(&u->link, gw->ev, &o, &h, err, errlen)) < 0 ||
	    (rc = sms_new(&u->sms, gw->ev, gw->outbox, u->link, c->smpp_sms_source_addr, u->gsm_dcs,
			  err, errlen)) < 0) {
		ussd_smpp_free(u);
		return rc;
	}
	smpp_link_start(u->link);
	*out = u;
	return 0;
}

void ussd_smpp_stop(struct ussd_smpp *u)
{
	if (!u)
		return;
	sms_stop(u->sms);
	smpp_link_stop(u->link);
}

int ussd_smpp_stopped(const struct ussd_smpp *u)
{
	return !u || smpp_link_state(u->link) == SMPP_LINK_STOPPED;
}

void ussd_smpp_free(struct ussd_smpp *u)
{
	if (!u)
		return;
	/* Replies still pending would reach a freed link: their dialogues end. */
	ussd_sess_cancel_replies(u->gw->ussd, on_reply);
	/* the link first: its last callbacks reach the drain */
	smpp_link_free(u->link);
	sms_free(u->sms);
	free(u);
}

const struct smpp_link *ussd_smpp_link(const struct ussd_smpp *u)
{
	return u->link;
}

const struct sms *ussd_smpp_sms(const struct ussd_smpp *u)
{
	return u->sms;
}

void ussd_smpp_metrics(const struct ussd_smpp *u, FILE *f)
{
	fprintf(f, "# HELP tillgate_smpp_up 1 while the SMPP link is bound.\n"
		   "# TYPE tillgate_smpp_up gauge\n"
		   "tillgate_smpp_up %d\n",
		u && smpp_link_state(u->link) == SMPP_LINK_BOUND);
	if (!u)
		return;
	const struct smpp_link_stats *ls = smpp_link_stats(u->link);
	const struct sms_counters *sc = sms_counters(u->sms);
	const struct {
		const char *name, *help;
		uint64_t v;
	} m[] = {
		{ "smpp_connects_total", "TCP connects to the SMSC.", ls->connects },
		{ "smpp_binds_total", "Binds accepted.", ls->binds },
		{ "smpp_bind_refusals_total", "Binds refused by the SMSC.", ls->bind_refusals },
		{ "smpp_drops_total", "Connections closed or lost.", ls->drops },
		{ "smpp_submits_total", "submit_sm written.", ls->submits },
		{ "smpp_submit_errors_total", "submit_sm_resp with an error status.", ls->submit_err },
		{ "smpp_timeouts_total", "Requests with no response in time.", ls->timeouts },
		{ "smpp_throttled_total", "ESME_RTHROTTLED responses.", ls->throttled },
		{ "smpp_delivers_total", "deliver_sm received.", ls->delivers },
		{ "smpp_malformed_total", "Malformed or unknown PDUs answered.", ls->malformed },
		{ "smpp_ussd_steps_total", "USSD steps fed to the sessions.", u->steps },
		{ "smpp_ussd_aborts_total", "USSD dialogues ended by the network.", u->aborts },
		{ "smpp_ussd_pushes_total", "USSD dialogues opened by the gateway (op 2 pushed).", u->pushes },
		{ "sms_sent_total", "SMS accepted by the SMSC.", sc->sent },
		{ "sms_failed_total", "SMS given up.", sc->failed },
		{ "sms_retried_total", "SMS put back for a retry.", sc->retried },
		{ "sms_delivered_total", "Delivery receipts DELIVRD.", sc->delivered },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		fprintf(f, "# HELP tillgate_%s %s\n# TYPE tillgate_%s counter\ntillgate_%s %llu\n",
			m[i].name, m[i].help, m[i].name, m[i].name, (unsigned long long)m[i].v);
}
