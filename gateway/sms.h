/* sms.h -- the SMS drain: sends the outbox's "sms" rows as plain
 * submit_sm (no ussd_service_op, delivery receipt requested) over the
 * SMPP link, in id order, and records what happened to each.
 *
 * Sent once (at most once): a row goes 'sending' in a committed
 * transaction before its submit_sm is queued. Then:
 *   submit_sm_resp OK            -> 'sent', with the SMSC's message_id
 *   submit_sm_resp error         -> 'pending' again after a backoff
 *                                   (SMS_RETRY_MIN_S doubling to
 *                                   SMS_RETRY_MAX_S), 'failed' after
 *                                   SMS_MAX_ATTEMPTS attempts
 *   link down before the write   -> 'pending' again (not written)
 *   link down or no response
 *   after the write              -> 'failed' ("outcome unknown"): the
 *                                   SMSC may have it, and sending it again
 *                                   could deliver it twice
 *   a restart finding 'sending'  -> 'failed' the same way (outbox_recover())
 *   receipt DELIVRD              -> 'delivered'; other final states -> 'failed'
 * ESME_RTHROTTLED is retried by the link itself and never reaches here.
 */
#ifndef GW_SMS_H
#define GW_SMS_H

#include <stddef.h>
#include <stdint.h>

struct ev;
struct outbox;
struct smpp_link;
struct smpp_in;
struct sms; /* opaque */

#define SMS_MAX_ATTEMPTS 5
#define SMS_RETRY_MIN_S 5
#define SMS_RETRY_MAX_S 300
#define SMS_POLL_MS 500   /* how often due rows are looked for while bound */
#define SMS_MAX_INFLIGHT 8

struct sms_counters {
	uint64_t submitted, sent, retried, failed, delivered, undelivered, receipts_unmatched;
};

/* Makes the drain on ev, ob and link (all borrowed: must outlive it;
 * link may be replaced by nothing, see sms_free()). source_addr is
 * copied; gsm_dcs is the data_coding of GSM text (0 or 0x0F). Fails the
 * rows a previous run left 'sending' (logged with their count).
 * Returns 0 with *out owned by the caller (sms_free()), or a negative
 * errno with a message in err. */
int sms_new(struct sms **out, struct ev *ev, struct outbox *ob, struct smpp_link *link,
	    const char *source_addr, uint8_t gsm_dcs, char *err, size_t errlen);

/* Frees; accepts NULL. Free the link first: the link's last callbacks
 * still reach the drain. */
void sms_free(struct sms *s);

/* Looks for due rows now (the link just bound, or a row was queued). */
void sms_kick(struct sms *s);

/* No new rows are claimed (shutdown). */
void sms_stop(struct sms *s);

/* Takes a deliver_sm if it is a delivery receipt (esm_class), recording
 * it. Returns 1 if it was one (handled, even if unmatched or bad), 0 if
 * not a receipt. */
int sms_receipt(struct sms *s, const struct smpp_in *in);

/* Rows submitted and not yet answered. */
unsigned sms_inflight(const struct sms *s);

const struct sms_counters *sms_counters(const struct sms *s);

#endif /* GW_SMS_H */
