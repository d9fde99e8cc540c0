/* pay.h -- payments: the payment record and its state machine (a table),
 * acceptance with the KYB tier limits of payer and payee, on-us payments
 * completed inside the gateway, the transitions the switch forwarder
 * applies, the expiry sweep, and the reads the API, the queue CLI and the
 * merchant's "My business" menu need. No sockets: the API (gateway/api.c),
 * the USSD pay flow and the forwarder call these. docs/payments.md.
 *
 * States (enum pay_state) and who moves a payment (enum pay_cause):
 *
 *   ACCEPTED -> SENDING -> COMMITTED | FAILED | RECONCILING
 *      \-> QUEUED -> SENDING ...   QUEUED -> EXPIRED (sweep) | FAILED (operator cancel)
 *   RECONCILING -> COMMITTED | FAILED | SENDING (new ids, or the same to resend)
 *   FAILED (retryable code) | EXPIRED -> QUEUED (operator retry)
 *   on-us: accepted straight into COMMITTED, inside pay_accept().
 *   payer DFSP with a backend hook: accepted into ACCEPTED (on-us and
 *   offline too) with a payment_auth row 'asking'; the hook's verdict
 *   moves it (cause backend) to COMMITTED (on-us), QUEUED (accepted
 *   offline) or FAILED, or leaves it ACCEPTED for the forwarder.
 * pay_transition_allowed() is the table; docs/payments.md prints it.
 *
 * Every change (acceptance or transition) is one SQLite transaction with
 * its audit row (entity "payment", entity_id the payment id) and, on a
 * final state (COMMITTED, FAILED, EXPIRED), one SMS to the payer and one to
 * the merchant through the outbox, and, when the payer's DFSP has a
 * backend hook, one outbox row of kind "backend" (its notification),
 * committed before the function returns.
 * Each function nests in a transaction of the caller (db_begin()).
 *
 * Return convention: 0 or a negative errno.
 *   -ENOENT  no such payment (or till, or customer) visible to the caller
 *   -EPERM   refused: the transition is not in the table, or pay_accept()
 *            refused the payment (the reason is in struct pay_refusal)
 *   -EEXIST  idempotency key reused with a different payment
 *   -ESTALE  the payment changed under the caller (version mismatch)
 *   -EINVAL  invalid input (message in the refusal, or err)
 *   -EBUSY, -ENOSPC, -ENOMEM, -EIO as gateway/db.h
 * Threads: as struct db, one thread.
 */
#ifndef GW_PAY_H
#define GW_PAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kyb/kyb_limit.h"

struct db;
struct kyb_tiers;
struct merchant_reg;
struct outbox;
struct pay; /* opaque */

#define PAY_ID_MAX 28           /* payment id "P" + 24 hex digits, NUL included */
#define PAY_MSISDN_MAX 16       /* E.164 digits, NUL included */
#define PAY_CODE_MAX 32         /* fail code, NUL included */
#define PAY_REASON_MAX 256      /* fail reason, NUL included */
#define PAY_TS_MAX 25           /* 2026-11-28T10:15:02.123Z, NUL included */
#define PAY_UUID_MAX 37         /* an FSPIOP id (UUID), NUL included */
#define PAY_NAME_MAX 26         /* merchant trading name (EMVCo 59), NUL included */
#define PAY_LIST_MAX 500        /* largest page of pay_list() */
#define PAY_LIST_DEFAULT 50
#define PAY_CURSOR_MAX 40       /* cursor string, NUL included */
#define PAY_IDEM_KEY_MAX 255    /* longest Idempotency-Key / USSD key, bytes */

enum pay_state {
	PAY_ACCEPTED,     /* recorded, to go to the switch now */
	PAY_QUEUED,       /* recorded offline within the offline limits: store and forward */
	PAY_SENDING,      /* the forwarder has a transfer in flight */
	PAY_COMMITTED,    /* final: paid */
	PAY_FAILED,       /* final: with fail_code and fail_reason */
	PAY_EXPIRED,      /* final: queued past the offline maximum age */
	PAY_RECONCILING,  /* outcome unknown: GET /transfers/{id} pending */
	PAY__STATE_COUNT
};

/* Who causes a transition: one column of the table. */
enum pay_cause {
	PAY_BY_FORWARDER, /* the switch connector */
	PAY_BY_SWEEP,     /* the expiry sweep */
	PAY_BY_OPERATOR,  /* tillgate queue retry/cancel */
	PAY_BY_BACKEND,   /* the payer DFSP's backend hook (gateway/backend.h) */
	PAY__CAUSE_COUNT
};

/* PAY_CH_SWITCH: received from another DFSP through the switch
 * (pay_record_incoming()); pay_accept() takes only USSD and API. */
enum pay_channel { PAY_CH_USSD, PAY_CH_API, PAY_CH_SWITCH, PAY__CH_COUNT };

/* What the caller knows of the switch when accepting. */
enum pay_mode {
	PAY_MODE_ONLINE,  /* the switch is reachable: a non-on-us payment is ACCEPTED */
	PAY_MODE_OFFLINE  /* it is not (or none is configured): QUEUED within the offline limits */
};

/* Upper-case names ("COMMITTED") and back (-1 for an unknown name). */
const char *pay_state_name(enum pay_state s);
int pay_state_parse(const char *s);
const char *pay_cause_name(enum pay_cause c);
const char *pay_channel_name(enum pay_channel c);

/* 1 if the table allows from -> to caused by by, else 0. */
int pay_transition_allowed(enum pay_state from, enum pay_state to, enum pay_cause by);

/* 1 for COMMITTED, FAILED, EXPIRED. */
int pay_state_final(enum pay_state s);

/* Fail codes that an operator may retry (pay_retry()): "switch_unreachable",
 * "timeout" and other transient ones listed in docs/payments.md. 1 or 0. */
int pay_code_retryable(const char *code);

/* Options of pay_new(). Pointers are borrowed and must outlive the pay. */
struct pay_opts {
	struct merchant_reg *reg;       /* tills and merchants */
	struct outbox *outbox;          /* the SMS of final states */
	const struct kyb_tiers *tiers;  /* limits; their currency is the payments' */
};

/* Prepares the statement table on db (borrowed). *out owned by the
 * caller (pay_free()). Returns 0 or a negative errno with a message. */
int pay_new(struct pay **out, struct db *db, const struct pay_opts *opts, char *err, size_t errlen);

/* NULL ok. */
void pay_free(struct pay *p);

/* A payment request. Strings borrowed for the call. */
struct pay_in {
	const char *idem_scope;   /* whose key: the API key's id, or "ussd" */
	const char *idem_key;     /* Idempotency-Key (API) or the USSD session's key; 1..255 */
	const char *payer_dfsp;   /* the customer's DFSP (the API key's DFSP) */
	const char *payer_msisdn; /* E.164 digits, without '+' */
	const char *till;         /* till number, check digit included */
	int64_t amount;           /* minor units, > 0 */
	const char *currency;     /* ISO 4217 alpha; NULL: the tiers' currency */
	enum pay_channel channel;
	enum pay_mode mode;
	const char *actor;        /* audit actor: the key's user, or the msisdn */
	const char *role;         /* audit role: "payments", "customer", ... */
};

/* Why pay_accept() refused (-EPERM, -ENOENT, -EINVAL). code is stable for
 * APIs: "invalid", "unknown_till", "till_inactive", "merchant_inactive",
 * "unknown_customer", "customer_inactive", "currency", or a limit's
 * kyb_limit_reason_name() ("offline_payment_limit", ...). field names
 * the input at fault ("till", "amount", "payer_msisdn", ...). For a
 * limit: party is "customer" or "merchant", limit the limit's amount
 * (minor units), reason the kyb reason; msg says it ("over your offline
 * limit of TZS 10,000.00"). */
struct pay_refusal {
	char code[PAY_CODE_MAX];
	char field[32];
	char party[16];
	enum kyb_limit_reason reason;
	int64_t limit;
	char msg[KYB_LIMIT_MSG_MAX + 64];
};

/* One payment as stored. */
struct pay_rec {
	char id[PAY_ID_MAX];
	enum pay_state state;
	enum pay_channel channel;
	char payer_dfsp[33];      /* "" for PAY_CH_SWITCH */
	char payer_msisdn[PAY_MSISDN_MAX]; /* "" for PAY_CH_SWITCH */
	int64_t customer_id;      /* 0 if none */
	char payer_fsp[33];       /* PAY_CH_SWITCH: the paying FSP; else "" */
	char payer_party_type[33];/* PAY_CH_SWITCH: the payer's party, "" if unknown */
	char payer_party_id[129];
	char payer_name[129];
	char payee_dfsp[33];
	char merchant_id[20];
	char till[20];            /* "" for a PAY_CH_SWITCH payment to the merchant id */
	char trading_name[PAY_NAME_MAX];
	int64_t amount;
	char currency[4];
	int on_us;
	char fail_code[PAY_CODE_MAX];     /* "" unless FAILED */
	char fail_reason[PAY_REASON_MAX];
	char transaction_id[PAY_UUID_MAX];/* "" until the forwarder sets it */
	char quote_id[PAY_UUID_MAX];
	char transfer_id[PAY_UUID_MAX];
	int64_t attempts;
	int64_t next_at;          /* Unix seconds: when the forwarder may try */
	int64_t expires_at;       /* Unix seconds: QUEUED past this EXPIRES; 0 none */
	char created[PAY_TS_MAX];
	char updated[PAY_TS_MAX];
	int64_t version;
};

/* Accepts a payment: validates in (till check digit and merchant_till_find
 * on any DFSP, merchant APPROVED and till ACTIVE, customer of payer_dfsp
 * ACTIVE, amount > 0, currency the tiers'), evaluates the customer's tier
 * then the merchant's tier with kyb_limit_check() (online for an on-us
 * payment or in PAY_MODE_ONLINE, offline otherwise), then in one
 * transaction records it:
 *   on-us (payer_dfsp == the merchant's DFSP): COMMITTED, with the SMS to
 *     payer and merchant;
 *   PAY_MODE_ONLINE: ACCEPTED; PAY_MODE_OFFLINE: QUEUED (expires_at from
 *     the smaller offline_max_age of the two tiers);
 * with its audit row ("accept", after = the payment), committed before
 * returning. The id is derived from (idem_scope, idem_key): the same pair
 * with the same payer, till, amount and currency returns the payment
 * already recorded (1), whatever its state now; with different ones
 * -EEXIST.
 * out (may be NULL) gets the payment; why (may be NULL) the refusal.
 * Returns 0 (new), 1 (replay), -EPERM (a limit or a status refused),
 * -ENOENT (unknown till or customer), -EINVAL (bad input), -EEXIST, or a
 * db code. */
int pay_accept(struct pay *p, const struct pay_in *in, struct pay_rec *out, struct pay_refusal *why);

/* A payment received from another DFSP through the switch (the payee
 * side, gateway/payee.c). Strings borrowed for the call; NULL or "" for
 * the optional ones. */
struct pay_incoming {
	const char *payee_dfsp;   /* the hosted DFSP of the merchant */
	const char *merchant_id;
	const char *till;         /* optional: the till the payer named */
	const char *payer_fsp;    /* the paying FSP id, 1..32 */
	const char *party_type;   /* optional: the payer's partyIdType ... */
	const char *party_id;     /* ... and partyIdentifier (both or neither) */
	const char *party_name;   /* optional */
	const char *transfer_id;  /* the FSPIOP transfer id (36); the payment's id derives from it */
	const char *quote_id;     /* optional FSPIOP ids */
	const char *transaction_id;
	int64_t amount;           /* minor units, > 0 */
	const char *currency;     /* the tiers' currency */
};

/* Records a committed incoming payment: channel "switch", state
 * COMMITTED at once, its audit row ("receive", actor the payer FSP, role
 * "system", dfsp the payee's) and one SMS to the merchant (none to the
 * payer, who is not ours), in a transaction nested in the caller's (the
 * payee transfer row's). It counts in pay_takings(), pay_last(),
 * pay_list() and the merchant's usage of its tier limits like any
 * payment. The id derives from transfer_id: the same transfer again
 * records nothing and returns 1 with the payment already recorded. No
 * limit check here: the payee side checked them when it quoted. out may
 * be NULL. Returns 0 (new), 1 (already recorded), -EINVAL (bad input,
 * message in err), -ENOENT (no such merchant at payee_dfsp), db codes. */
int pay_record_incoming(struct pay *p, const struct pay_incoming *in, struct pay_rec *out,
			char *err, size_t errlen);

/* FSPIOP ids a transition records (NULL members leave a column as it is). */
struct pay_ids {
	const char *transaction_id;
	const char *quote_id;
	const char *transfer_id;
};

/* Moves payment id to state to, caused by by, if the table allows it from
 * its state (else -EPERM, message in err): one transaction with the state,
 * fail_code/fail_reason (to FAILED: code required, 1..31 of [a-z0-9_]),
 * ids (may be NULL), attempts + 1 when to is SENDING, next_at (when >= 0),
 * version + 1, the audit row (action = to's name in lower case, before and
 * after {state, fail_code}), and on a final state the two SMS. actor (NULL:
 * "system") and role ("system" if NULL) name who did it. if_version: 0 for
 * any, else -ESTALE unless the payment is at that version. out (may be
 * NULL) gets the payment after. Returns 0, -ENOENT, -EPERM, -ESTALE,
 * -EINVAL, db codes. */
int pay_transition(struct pay *p, const char *id, enum pay_state to, enum pay_cause by,
		   const char *fail_code, const char *fail_reason, const struct pay_ids *ids,
		   int64_t next_at, int64_t if_version, const char *actor, const char *role,
		   struct pay_rec *out, char *err, size_t errlen);

/* Operator actions (tillgate queue): cancel a QUEUED payment (FAILED,
 * code "cancelled"); retry a FAILED payment with a retryable code or an
 * EXPIRED one (back to QUEUED, expires_at renewed from the tiers, next_at
 * now). Returns as pay_transition(). */
int pay_cancel(struct pay *p, const char *id, const char *actor, struct pay_rec *out, char *err,
	       size_t errlen);
int pay_retry(struct pay *p, const char *id, const char *actor, struct pay_rec *out, char *err,
	      size_t errlen);

/* The SHA-256, as 64 lowercase hex digits into out, of n strings each
 * prefixed by its length ("5:hello"), so that parts cannot run into each
 * other; a NULL part counts as "". The idempotent ids and request
 * fingerprints of payments and requests to pay. 0, -ENOMEM or -EIO. */
int pay_parts_sha256(const char *const parts[], size_t n, char out[65]);

/* A payment accepted online whose forwarding did not go through (back
 * to QUEUED: the switch unreachable; or still SENDING when the customer's
 * answer is due): is it within the offline limits of its payer's and its
 * merchant's tiers, checked as pay_accept() checks an offline payment,
 * the payment itself counted once? Returns 0 within (or when the
 * question does not arise: final, on-us, received), -EPERM over, with
 * why (may be NULL) filled as pay_accept() fills it. With fail_over and
 * over, a QUEUED payment is also moved to FAILED (cause forwarder, code
 * the limit's kyb_limit_reason_name(), reason why->msg, both SMS) in the
 * same transaction; a payment in any other state is left as it is.
 * out (may be NULL) gets the payment as it is after. -ENOENT no such
 * payment (or its customer or merchant is gone), db codes. */
int pay_offline_recheck(struct pay *p, const char *id, int fail_over, struct pay_refusal *why,
			struct pay_rec *out);

/* Expiry sweep: every QUEUED payment with expires_at <= now becomes
 * EXPIRED (cause PAY_BY_SWEEP), each in its own transaction with its audit
 * row and both SMS. now: Unix seconds. Returns the number expired, or a
 * negative errno (those done before stay done). */
int pay_expire_due(struct pay *p, int64_t now);

/* The payment id, seen by DFSP dfsp (payer or payee DFSP; NULL: any, for
 * operators and hub-admins). Returns 0, -ENOENT (also another DFSP's). */
int pay_get(struct pay *p, const char *dfsp, const char *id, struct pay_rec *out);

/* The payment as the API returns it (snake_case keys, amounts as integer
 * minor units plus "amount_display"). Returns an owned object, NULL on
 * ENOMEM. */
json_t *pay_rec_json(const struct pay_rec *r);

/* Filters of pay_list(). Strings borrowed; NULL for no filter. from/to
 * compare with created (ISO 8601 UTC, "2026-11-28" or a full timestamp;
 * from inclusive, to exclusive). */
struct pay_filter {
	const char *dfsp;         /* tenancy: payer or payee DFSP; NULL: all */
	int state;                /* enum pay_state, or -1 */
	const char *merchant_id;
	const char *msisdn;       /* payer */
	const char *from, *to;
	const char *cursor;       /* from the previous page */
	int limit;                /* 1..PAY_LIST_MAX; 0: PAY_LIST_DEFAULT */
};

/* One page, newest first. *items: owned array of struct pay_rec
 * (free()), *n its length; next_cursor gets the next page's cursor, ""
 * on the last. Returns 0, -EINVAL (bad filter or cursor, message in
 * err), -ENOMEM, -EIO. */
int pay_list(struct pay *p, const struct pay_filter *f, struct pay_rec **items, size_t *n,
	     char next_cursor[PAY_CURSOR_MAX], char *err, size_t errlen);

/* A merchant's takings on one UTC day ("2026-11-28"; NULL: today):
 * committed payments apart from queued ones (QUEUED, ACCEPTED and SENDING
 * count as queued: not paid yet). */
struct pay_takings {
	int64_t committed_count, committed_total;
	int64_t queued_count, queued_total;
};
int pay_takings(struct pay *p, const char *dfsp, const char *merchant_id, const char *day,
		struct pay_takings *t);

/* The merchant's last payments (any state), newest first, at most cap
 * into out. Returns the number written, or a negative errno. */
int pay_last(struct pay *p, const char *dfsp, const char *merchant_id, struct pay_rec *out, int cap);

/* The queue at a glance: count per state, and the age in seconds (at now,
 * Unix seconds) of the oldest QUEUED payment (0 if none). */
struct pay_queue_stats {
	int64_t count[PAY__STATE_COUNT];
	int64_t oldest_queued_age;
};
int pay_queue_stats(struct pay *p, int64_t now, struct pay_queue_stats *s);

/* "2557****678": the msisdn's first 4 and last 3 digits around four
 * stars, whatever its length (numbers under 8 digits keep a third at
 * each end, the rest starred), into out (PAY_MSISDN_MAX bytes). */
void pay_mask_msisdn(const char *msisdn, char out[PAY_MSISDN_MAX]);

/* Parses a decimal amount as written in EMVCo tag 54 or typed by a
 * person ("5000", "5000.5", "5000.00") into minor units of a currency
 * with exponent decimals (0-4): digits, then optionally '.' and 1 to
 * exponent digits (none when exponent is 0). len bytes of s (not NUL
 * terminated). Returns len with *out set, or -1 with a message naming the
 * character position in err (errlen bytes, may be 0): empty, a character
 * that is not a digit, more decimals than the currency has, or a value
 * over 10^15 minor units. */
int pay_amount_parse(const char *s, size_t len, int exponent, int64_t *out, char *err, size_t errlen);

#endif /* GW_PAY_H */
