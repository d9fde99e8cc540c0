/* sms.c -- the SMS drain of the outbox over the SMPP link (see sms.h). */
#include "gateway/sms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/ev.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "ussd/smpp_link.h"
#include "ussd/smpp_pdu.h"
#include "ussd/ussd_text.h"

struct sms {
	struct ev *ev;          /* borrowed */
	struct outbox *ob;      /* borrowed */
	struct smpp_link *link; /* borrowed */
	char source[21];
	uint8_t gsm_dcs;
	uint64_t timer;
	int stopping;
	unsigned inflight;
	struct sms_counters c;
};

/* One row on its way: the context of its submit_sm callback. */
struct sms_job {
	struct sms *s;
	int64_t id;
	int64_t attempts;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t backoff(int64_t attempts)
{
	int64_t d = SMS_RETRY_MIN_S;
	for (int64_t i = 1; i < attempts && d < SMS_RETRY_MAX_S; i++)
		d *= 2;
	return d < SMS_RETRY_MAX_S ? d : SMS_RETRY_MAX_S;
}

static void fail_row(struct sms *s, int64_t id, const char *why)
{
	int rc = outbox_fail(s->ob, id, why);
	s->c.failed++;
	if (rc < 0)
		LOGE(LC_SMPP, "cannot record an SMS failure", "outbox_id=%lld error=\"%s\"",
		     (long long)id, strerror(-rc));
	else
		LOGW(LC_SMPP, "SMS failed", "outbox_id=%lld reason=\"%s\"", (long long)id, why);
}

static void retry_row(struct sms *s, int64_t id, int64_t attempts, const char *why, int now)
{
	if (attempts >= SMS_MAX_ATTEMPTS) {
		fail_row(s, id, why);
		return;
	}
	int64_t at = now_s() + (now ? 0 : backoff(attempts));
	int rc = outbox_retry(s->ob, id, at, why);
	s->c.retried++;
	if (rc < 0)
		LOGE(LC_SMPP, "cannot record an SMS retry", "outbox_id=%lld error=\"%s\"", (long long)id,
		     strerror(-rc));
	else
		LOGN(LC_SMPP, "SMS to be retried", "outbox_id=%lld attempts=%lld next_at=%lld reason=\"%s\"",
		     (long long)id, (long long)attempts, (long long)at, why);
}

static void drain(struct sms *s);

static void on_resp(void *arg, int rc, uint32_t status, const char *message_id)
{
	struct sms_job *j = arg;
	struct sms *s = j->s;
	char why[96];

	s->inflight--;
	if (rc == 0 && status == SMPP_ROK) {
		const char *mid = message_id && *message_id ? message_id : "none";
		int r = outbox_sent(s->ob, j->id, mid);
		s->c.sent++;
		if (r < 0)
			LOGE(LC_SMPP, "cannot record a sent SMS", "outbox_id=%lld error=\"%s\"",
			     (long long)j->id, strerror(-r));
		else
			LOGI(LC_SMPP, "SMS sent", "outbox_id=%lld message_id=%s", (long long)j->id, mid);
	} else if (rc == 0) {
		snprintf(why, sizeof why, "submit_sm_resp status 0x%08x", status);
		retry_row(s, j->id, j->attempts, why, 0);
	} else if (rc == -ENOTCONN || rc == -ESHUTDOWN) {
		/* never written: it can go again */
		retry_row(s, j->id, 0,
			  rc == -ENOTCONN ? "link down before the write" : "stopped before the write", 1);
	} else {
		snprintf(why, sizeof why, "outcome unknown: %s after the write, not resent",
			 rc == -ETIMEDOUT ? "no submit_sm_resp in time" : "link dropped");
		fail_row(s, j->id, why);
	}
	free(j);
	if (!s->stopping)
		drain(s);
}

_Static_assert(OUTBOX_SMS_MAX_BYTES <= SMPP_TLV_MAX,
	       "every SMS the outbox accepts fits one message_payload");

/* Claims due rows and submits them while the link is bound and there is
 * room. */
static void drain(struct sms *s)
{
	uint8_t text[SMPP_TLV_MAX];
	size_t len;
	uint8_t dcs;

	while (!s->stopping && s->link && smpp_link_state(s->link) == SMPP_LINK_BOUND &&
	       s->inflight < SMS_MAX_INFLIGHT) {
		struct outbox_row row;
		int rc = outbox_claim(s->ob, "sms", now_s(), &row);
		if (rc <= 0) {
			if (rc < 0)
				LOGE(LC_SMPP, "cannot claim an SMS", "error=\"%s\"", strerror(-rc));
			return;
		}
		rc = ussd_text_encode(row.body, s->gsm_dcs, text, sizeof text, &len, &dcs);
		if (rc < 0) {
			fail_row(s, row.id, rc == -ENOSPC ? "text longer than one message_payload"
							  : "text is not valid UTF-8");
			outbox_row_free(&row);
			continue;
		}
		struct sms_job *j = calloc(1, sizeof *j);
		if (!j) {
			retry_row(s, row.id, row.attempts, "out of memory", 0);
			outbox_row_free(&row);
			return;
		}
		j->s = s, j->id = row.id, j->attempts = row.attempts;
		struct smpp_submit sub = {
			.source_addr = s->source,
			.dest_addr = row.dest,
			.data_coding = dcs,
			.registered_delivery = 1,
			.text = text,
			.text_len = len,
			.ussd_op = -1,
		};
		s->inflight++;
		rc = smpp_link_submit(s->link, &sub, 0, on_resp, j);
		if (rc < 0) {
			s->inflight--;
			free(j);
			if (rc == -EINVAL)
				fail_row(s, row.id, "submit_sm does not pack");
			else
				retry_row(s, row.id, row.attempts, "link not bound", 1);
			outbox_row_free(&row);
			if (rc != -EINVAL)
				return;
			continue;
		}
		s->c.submitted++;
		LOGD(LC_SMPP, "SMS submitted", "outbox_id=%lld attempt=%lld", (long long)row.id,
		     (long long)row.attempts);
		outbox_row_free(&row);
	}
}

static void on_poll(struct ev *ev, uint64_t id, void *arg)
{
	struct sms *s = arg;
	(void)id;
	s->timer = 0;
	if (s->stopping)
		return;
	drain(s);
	s->timer = ev_timer_add(ev, SMS_POLL_MS, on_poll, s);
}

int sms_new(struct sms **out, struct ev *ev, struct outbox *ob, struct smpp_link *link,
	    const char *source_addr, uint8_t gsm_dcs, char *err, size_t errlen)
{
	struct sms *s;

	*out = NULL;
	if (!(s = calloc(1, sizeof *s)))
		return -ENOMEM;
	s->ev = ev, s->ob = ob, s->link = link, s->gsm_dcs = gsm_dcs;
	snprintf(s->source, sizeof s->source, "%s", source_addr);
	int64_t n = outbox_recover(ob, "sms", "outcome unknown: in flight when the daemon stopped, not resent");
	if (n < 0) {
		snprintf(err, errlen, "outbox: %s", strerror((int)-n));
		free(s);
		return (int)n;
	}
	if (n > 0)
		LOGW(LC_SMPP, "SMS left in flight by the last run marked failed", "count=%lld",
		     (long long)n);
	s->timer = ev_timer_add(ev, SMS_POLL_MS, on_poll, s);
	*out = s;
	return 0;
}

void sms_free(struct sms *s)
{
	if (!s)
		return;
	if (s->timer)
		ev_timer_del(s->ev, s->timer);
	free(s);
}

void sms_kick(struct sms *s)
{
	if (s && !s->stopping)
		drain(s);
}

void sms_stop(struct sms *s)
{
	if (!s)
		return;
	s->stopping = 1;
	if (s->timer) {
		ev_timer_del(s->ev, s->timer);
		s->timer = 0;
	}
}

int sms_receipt(struct sms *s, const struct smpp_in *in)
{
	char id[65], stat[8], err[160];
	int fin = 0, dlv = 0;

	if (!(in->esm_class & SMPP_ESM_RECEIPT))
		return 0;
	if (smpp_pdu_receipt(in, id, stat, &fin, &dlv, err, sizeof err) < 0) {
		LOGW(LC_SMPP, "bad delivery receipt", "error=\"%s\"", err);
		return 1;
	}
	if (!fin)
		return 1;
	int rc = outbox_receipt(s->ob, "sms", id, dlv, stat);
	if (rc == -ENOENT) {
		s->c.receipts_unmatched++;
		LOGN(LC_SMPP, "receipt for no sent SMS", "message_id=%s stat=%s", id, stat);
	} else if (rc < 0) {
		LOGE(LC_SMPP, "cannot record a receipt", "message_id=%s error=\"%s\"", id, strerror(-rc));
	} else {
		if (dlv)
			s->c.delivered++;
		else
			s->c.undelivered++;
		LOGI(LC_SMPP, "SMS receipt", "message_id=%s stat=%s", id, stat);
	}
	return 1;
}

unsigned sms_inflight(const struct sms *s)
{
	return s->inflight;
}

const struct sms_counters *sms_counters(const struct sms *s)
{
	return &s->c;
}
