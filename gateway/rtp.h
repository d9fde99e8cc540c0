/* rtp.h -- request to pay: a merchant asks a customer for an amount, the
 * customer approves it on their own phone, and the payment it leads to
 * settles the request. The record and its state machine (a table), on
 * the payment_request table; no sockets (gateway/rtp_push.h delivers the
 * request to the customer's phone). docs/payments.md "Request to pay".
 *
 * States (enum rtp_state) and the events that move a request
 * (enum rtp_event; rtp_event_to() is the table, docs/payments.md prints
 * it):
 *
 *   PENDING --prompt--> PROMPTED --pay--> PAYING --paid--> PAID
 *      |                   |  \--paid--> PAID        \--fail--> FAILED
 *      |                   |--refuse--> REFUSED
 *      |--sent--> SENT (the payer's DFSP took it) --pay/paid/refuse...
 *   PENDING, PROMPTED, SENT --expire--> EXPIRED;  --fail--> FAILED
 *
 * Every change is one SQLite transaction with its audit row (entity
 * "payment_request", entity_id the request id), and on REFUSED, FAILED or
 * EXPIRED one SMS to the merchant through the outbox (a PAID request's
 * SMS is the payment's own), committed before the function returns. Each
 * function nests in a transaction of the caller (db_begin()).
 *
 * Return convention: 0 or a negative errno.
 *   -ENOENT  no such request (or merchant, till) visible to the caller
 *   -EPERM   the event is not allowed in the request's state, or the
 *            merchant or till may not be paid (message in err)
 *   -EEXIST  idempotency key reused with a different request
 *   -EINVAL  invalid input: the field is named in err
 *   -EBUSY, -ENOSPC, -ENOMEM, -EIO as gateway/db.h
 * Threads: as struct db, one thread.
 */
#ifndef GW_RTP_H
#define GW_RTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db;
struct cust;
struct outbox;
struct rtp; /* opaque */

#define RTP_ID_MAX 26        /* "R" + 24 hex digits, NUL included */
#define RTP_MSISDN_MAX 16    /* E.164 digits without '+', NUL included */
#define RTP_CODE_MAX 32      /* fail code, NUL included */
#define RTP_TS_MAX 25
#define RTP_LIST_MAX 200
#define RTP_LIST_DEFAULT 50
#define RTP_ERR_MAX 200      /* a message naming the field */

enum rtp_state {
	RTP_PENDING,  /* recorded, not yet before the payer */
	RTP_PROMPTED, /* on the payer's phone (USSD push) */
	RTP_SENT,     /* taken by the payer's DFSP (FSPIOP transactionRequest) */
	RTP_PAYING,   /* approved: the payment is on its way */
	RTP_PAID,     /* final: the payment committed */
	RTP_REFUSED,  /* final: the payer said no */
	RTP_FAILED,   /* final: the payment failed or could not be made */
	RTP_EXPIRED,  /* final: no answer in time */
	RTP__STATE_COUNT
};

enum rtp_event {
	RTP_EV_PROMPT,  /* PENDING -> PROMPTED */
	RTP_EV_SENT,    /* PENDING -> SENT */
	RTP_EV_PAY,     /* PROMPTED, SENT -> PAYING (payment_id) */
	RTP_EV_PAID,    /* PROMPTED, SENT, PAYING -> PAID (payment_id) */
	RTP_EV_REFUSE,  /* PENDING, PROMPTED, SENT -> REFUSED */
	RTP_EV_FAIL,    /* PENDING, PROMPTED, SENT, PAYING -> FAILED (fail_code) */
	RTP_EV_EXPIRE,  /* PENDING, PROMPTED, SENT -> EXPIRED */
	RTP__EV_COUNT
};

enum rtp_channel { RTP_CH_USSD, RTP_CH_API };

/* Upper-case names and back (-1 for an unknown name). */
const char *rtp_state_name(enum rtp_state s);
int rtp_state_parse(const char *s);
const char *rtp_event_name(enum rtp_event e);

/* The table: the state event ev leads to from from, or -1 if ev is not
 * allowed in from. */
int rtp_event_to(enum rtp_state from, enum rtp_event ev);

/* 1 for PAID, REFUSED, FAILED, EXPIRED. */
int rtp_state_final(enum rtp_state s);

/* Reads a payer's phone number as a merchant types it: E.164 with or
 * without '+' ("+255754111222", "255754111222"), or national with the
 * trunk '0' ("0754111222") for the gateway's country (country: ISO 3166
 * alpha-2; TZ, KE, UG, RW, GH, NG, ZM, MW, ZA), checked as the customer
 * module checks enrolled numbers (kyb_check_phone()). out gets the E.164
 * digits without '+'. Returns 0, or -EINVAL with a message naming field
 * and the 1-based position in err. */
int rtp_msisdn_normalise(const char *in, const char *country, const char *field,
			 char out[RTP_MSISDN_MAX], char *err, size_t errlen);

struct rtp_opts {
	struct cust *cust;      /* who is a customer of a hosted DFSP (borrowed) */
	struct outbox *outbox;  /* the merchant's SMS */
	const char *currency;   /* the gateway's (copied) */
	int exponent;           /* its minor-unit digits */
	int64_t ttl_s;          /* lifetime of a request before it EXPIRES */
};

/* Prepares the statements on db (borrowed). *out owned by the caller
 * (rtp_free()). Returns 0 or a negative errno with a message in err. */
int rtp_new(struct rtp **out, struct db *db, const struct rtp_opts *o, char *err, size_t errlen);
void rtp_free(struct rtp *r); /* NULL ok */

/* A new request. Strings borrowed for the call. */
struct rtp_in {
	const char *idem_scope;   /* whose key: the API key's id, or "ussd" */
	const char *idem_key;     /* 1..255 bytes */
	enum rtp_channel channel;
	const char *dfsp;         /* the merchant's DFSP (the caller's) */
	const char *merchant_id;
	const char *till;         /* NULL or "": the merchant's first ACTIVE till */
	const char *payer_msisdn; /* E.164 digits, no '+' (rtp_msisdn_normalise()) */
	int64_t amount;           /* minor units, > 0 */
	const char *currency;     /* NULL: the gateway's */
	const char *actor;        /* audit actor and role */
	const char *role;
	int remote_ok;            /* 1: a number no customer here is asked through
				   * the switch (payer_dfsp "", a transactionRequestId
				   * made); 0: -ENOENT for it */
};

/* One request as stored. */
struct rtp_rec {
	char id[RTP_ID_MAX];
	enum rtp_state state;
	enum rtp_channel channel;
	char dfsp[33];
	char merchant_id[20];
	char till[20];
	char trading_name[26];
	char payer_msisdn[RTP_MSISDN_MAX];
	char payer_dfsp[33];          /* the payer's hosted DFSP; "" when not hosted */
	char payer_fsp[33];           /* the payer's FSP when not hosted; "" otherwise */
	int64_t amount;
	char currency[4];
	char fail_code[RTP_CODE_MAX]; /* "" unless REFUSED, FAILED, EXPIRED */
	char payment_id[28];          /* "" until approved */
	char transaction_request_id[37];
	char quote_id[37];            /* the payer DFSP's quote for it, "" until then */
	int64_t expires_at;           /* Unix seconds */
	char created_by[65];
	char created[RTP_TS_MAX];
	char updated[RTP_TS_MAX];
	int64_t version;
};

/* Records a request in state PENDING, with its audit row ("create"):
 * checks the merchant (APPROVED, of dfsp) and the till (ACTIVE, the
 * merchant's), the amount and currency, and finds the payer's hosted
 * DFSP: the merchant's own DFSP when the number is an ACTIVE customer of
 * it, else the first DFSP it is an ACTIVE customer of. A number that is
 * no ACTIVE customer here gets -ENOENT with field payer_msisdn, unless
 * remote_ok: it is then recorded without a payer DFSP, with a new
 * transactionRequestId, to be asked through the switch. The id
 * derives from (idem_scope, idem_key): the same pair with the same
 * request returns the one recorded (1), with another -EEXIST.
 * Returns 0 (new), 1 (replay), -EINVAL, -ENOENT, -EPERM, -EEXIST, db
 * codes; err names the field. */
int rtp_create(struct rtp *r, const struct rtp_in *in, struct rtp_rec *out, char *err,
	       size_t errlen);

/* Applies event ev to request id in one transaction: the table's check,
 * the state, fail_code (FAIL, REFUSE, EXPIRE: required, 1..31 of
 * [a-z0-9_]), payment_id (PAY and PAID: required unless already set),
 * version + 1, the audit row (action the event's name), and the
 * merchant's SMS on REFUSED, FAILED, EXPIRED. actor/role NULL:
 * "system". out (may be NULL) gets the request after. Returns 0,
 * -ENOENT, -EPERM (not allowed from its state: message in err), -EINVAL,
 * db codes. */
int rtp_apply(struct rtp *r, const char *id, enum rtp_event ev, const char *fail_code,
	      const char *payment_id, const char *actor, const char *role, struct rtp_rec *out,
	      char *err, size_t errlen);

/* rtp_apply() that also records the payer's FSP (SENT: the FSP the
 * lookup found; NULL leaves it). */
int rtp_apply_fsp(struct rtp *r, const char *id, enum rtp_event ev, const char *fail_code,
		  const char *payer_fsp, struct rtp_rec *out, char *err, size_t errlen);

/* The payee side's hooks (gateway/payee.c), in the caller's transaction:
 *
 * rtp_on_quote: a POST /quotes from payer_fsp carried
 * transactionRequestId txr for merchant_id: a SENT request of that id,
 * merchant and payer FSP records quote_id (audited "quote"). Returns 0
 * when one did, -ENOENT when none matches (an ordinary quote), db codes.
 *
 * rtp_on_transfer: the transfer of quote_id committed as payment_id: the
 * SENT request that recorded that quote becomes PAID. Returns 0,
 * -ENOENT (none), -EPERM (no longer SENT: expired meanwhile), db codes. */
int rtp_on_quote(struct rtp *r, const char *txr, const char *quote_id, const char *payer_fsp,
		 const char *merchant_id);
int rtp_on_transfer(struct rtp *r, const char *quote_id, const char *payment_id);

/* Request id seen by DFSP dfsp (the merchant's; NULL: any). Returns 0 or
 * -ENOENT. */
int rtp_get(struct rtp *r, const char *dfsp, const char *id, struct rtp_rec *out);

/* The payer's newest PROMPTED request, unexpired at now. Returns 0 or
 * -ENOENT. */
int rtp_prompted_for(struct rtp *r, const char *msisdn, int64_t now, struct rtp_rec *out);

/* Sweep at now (Unix seconds): PENDING, PROMPTED and SENT requests past
 * expires_at EXPIRE; PAYING ones follow their payment (COMMITTED: PAID;
 * FAILED or EXPIRED: FAILED with the payment's code). Each in its own
 * transaction. Returns the number changed or a negative errno. */
int rtp_sweep(struct rtp *r, int64_t now);

/* A page of dfsp's requests (NULL: all), newest first, optionally of one
 * merchant and state (-1: any). *items: owned array (free()), *n its
 * length; next gets the cursor of the next page ("" on the last).
 * Returns 0, -EINVAL (bad cursor or limit), db codes. */
int rtp_list(struct rtp *r, const char *dfsp, const char *merchant_id, int state,
	     const char *cursor, int limit, struct rtp_rec **items, size_t *n, char next[RTP_ID_MAX]);

/* The request as the API returns it (snake_case, amount in minor units
 * plus amount_display). Owned; NULL on ENOMEM. */
json_t *rtp_rec_json(const struct rtp_rec *rec);

/* "TZS 5,000.00" for the request's amount, into out (cap bytes). */
void rtp_amount_text(const struct rtp *r, int64_t amount, char *out, size_t cap);

#endif /* GW_RTP_H */
