/* rtp_push.h -- puts a merchant's request to pay (gateway/rtp.h) before
 * its payer, on the transports the daemon has:
 *
 *   the SMPP link bound: a network-initiated USSD dialogue
 *     (ussd_sess_push(), ussd_smpp_push(): submit_sm op 2 to the payer's
 *     MSISDN) on the flow ussd/ussd_flow_rtp.c, whose answer continues
 *     by MSISDN (docs/ussd.md "Request to pay");
 *   otherwise (the HTTP aggregator cannot push), or when the push cannot
 *     leave: an SMS to the payer naming the merchant and the amount and
 *     telling them to dial the service code and choose "Payment
 *     requests" in the main menu;
 *   a payer who is no customer here (no payer DFSP): GET
 *     /parties/MSISDN/{msisdn} through the switch for the payer's FSP,
 *     then POST /transactionRequests to it (scenario PAYMENT, initiator
 *     PAYEE, initiatorType BUSINESS); the request stays PENDING until the
 *     lookup answers, is SENT once the payer's FSP is known (REFUSED if it
 *     answers REJECTED, FAILED on an error), and the payer DFSP's quote
 *     and transfer reach the payee side (gateway/payee.c) carrying the
 *     transactionRequestId (rtp_on_quote(), rtp_on_transfer()).
 *
 * The request becomes PROMPTED (and the SMS is queued) in one transaction
 * committed before the screen is pushed. Threads: the loop's.
 */
#ifndef GW_RTP_PUSH_H
#define GW_RTP_PUSH_H

#include <stddef.h>

struct gw;
struct rtp_rec;

/* Delivers the PENDING request id of gw->rtp. out (may be NULL) gets the
 * request after. Returns 0 (pushed or told by SMS), or rtp_apply()'s
 * codes (-EPERM: not PENDING), outbox_sms()'s; err says why. For a
 * payer of another DFSP it returns 0 once the lookup is sent (or the
 * request FAILED at once: no switch); the rest happens later. */
int rtp_push_deliver(struct gw *gw, const char *id, struct rtp_rec *out, char *err, size_t errlen);

#endif /* GW_RTP_PUSH_H */
