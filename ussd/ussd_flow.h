/* ussd_flow.h -- what the merchant flows ("Register business",
 * ussd/ussd_flow_reg.c, and "My business", ussd/ussd_flow_biz.c) share:
 * the new-PIN rules as screens see them, the merchant's tills, and the
 * SMS that carries the till number; the amount reader of "Pay merchant"
 * (ussd/ussd_flow_pay.c) and its answer of a payment made, which the
 * request to pay (ussd/ussd_flow_rtp.c) shares. For the flows' handlers only, on the
 * menu engine's context (ussd/ussd_menu.h).
 */
#ifndef USSD_FLOW_H
#define USSD_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/pay.h"
#include "merchant/merchant.h"

struct ussd_ctx;

/* Checks in, an answer to a "new PIN" screen, with pin_check() and the
 * caller's number. Returns NULL if it is acceptable, else the locale key
 * of the reason to retry with ("reg.pin_form": not 4 to 6 digits;
 * "reg.pin_weak": too easy to guess). Never logs the answer. */
const char *ussd_flow_pin_refused(struct ussd_ctx *c, const char *in);

/* The merchant's ACTIVE tills, in the order GET /v1/merchants/{id} lists
 * them, joined by ", " into out (cap bytes); *first (MERCHANT_ID_MAX
 * bytes, may be NULL) gets the first. Read only; nests into the caller's
 * transaction. Returns the number of tills (0: none active), -ENOENT no
 * such merchant of dfsp, -ENOSPC out too small, -ENOMEM, -EIO. */
int ussd_flow_tills(struct ussd_ctx *c, const char *dfsp, const char *merchant_id, char *out,
		    size_t cap, char first[MERCHANT_ID_MAX]);

/* Queues, inside the caller's transaction (db_begin() first), the SMS of
 * locale key key to the caller: its placeholders {name} (the trading
 * name), {till} (tills) and {dfsp} (the DFSP's name, to contact for a
 * printed QR code) filled in. Returns 0, or outbox_sms()'s and
 * auth_dfsp_get()'s codes, -ENOENT for a missing text. */
int ussd_flow_sms(struct ussd_ctx *c, const char *key, const char *dfsp, const char *merchant_id,
		  const char *name, const char *tills);

/* Largest amount "Pay merchant" takes, in minor units (10^15). */
#define USSD_AMOUNT_MAX 1000000000000000LL

/* Reads an amount as a customer types it on the "Pay merchant" amount
 * screen (ussd/ussd_flow_pay.c): major units, optionally one thousands
 * comma ("5,000") and a '.' with up to exponent decimals ("5000.50"), into
 * minor units in *out. in is NUL-terminated. Returns NULL if it is
 * valid, else the locale key of the reason: "pay.amount_form" (not a
 * number as above), "pay.amount_decimals" (more than exponent decimals),
 * "pay.amount_zero", "pay.amount_big" (over USSD_AMOUNT_MAX); *pos gets
 * the 0-based offset of the offending character (the length when one is
 * missing at the end), or -1 when no one character is at fault. */
const char *ussd_flow_amount(const char *in, int exponent, int64_t *out, int *pos);

/* How a flow that makes a payment from its PIN screen ("Pay merchant",
 * a request to pay) answers with the payment's outcome: the first
 * member of the flow's scratch (ussd_flow_pay_answer() finds it there).
 * Filled by ussd_flow_pay_answer(); zero before. */
struct ussd_pay_wait {
	char ref[PAY_ID_MAX];  /* the payment answered for */
	uint64_t wid;          /* its fwd_watch(); 0 when none */
	uint8_t online;        /* accepted online (ACCEPTED), not queued at once */
	uint8_t told;          /* the forwarder told its move within fwd_kick() */
};

/* The answer of a PIN screen's input() that has just made payment rec
 * (pay_accept() succeeded; fresh: 1 if it made it now, 0 if it found it
 * made before under the same idempotency key). A fresh ACCEPTED payment
 * is watched (fwd_watch()), started (fwd_kick()) and answered later
 * (ussd_later()) with its outcome, or at [switch] answer_budget_ms with
 * what is known then; any other is answered at once from its state:
 * "Paid", "Payment failed", "Accepted", "Sent", or, for one sent online
 * that fell back to the queue over the offline limits, the refusal that
 * names the limit (docs/ussd.md "Pay merchant"). rec borrowed for the
 * call; the scratch must begin with a struct ussd_pay_wait. Returns what
 * input() returns. */
int ussd_flow_pay_answer(struct ussd_ctx *c, const struct pay_rec *rec, int fresh);

/* The scratch space of a request to pay on the payer's phone
 * (ussd/ussd_flow_rtp.c), filled by gateway/rtp_push.c when it pushes
 * the dialogue, or by the flow itself when the payer opens it from the
 * main menu. */
struct ussd_rtp_scratch {
	struct ussd_pay_wait wait; /* first: the payment's answer */
	char id[26];       /* the request id */
	char dfsp[33];     /* the payer's hosted DFSP */
	char till[20];
	char name[26];     /* the merchant's trading name */
	int64_t amount;    /* minor units of the gateway currency */
};

/* The flow's first screen of a pushed request. */
#define USSD_RTP_PIN 0

#endif /* USSD_FLOW_H */
