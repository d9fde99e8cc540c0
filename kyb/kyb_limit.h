/* kyb_limit.h -- the tier limits function of the payment flows: given a
 * tier, an amount, usage so far and online or offline mode, allow, or
 * deny with a reason code and a message that states the limit
 * ("over the T0 per-payment limit of TZS 50,000.00"). Pure code: no I/O,
 * no allocation. Money is int64 minor units; all arithmetic is checked
 * against overflow. Evaluation order: docs/kyb.md.
 */
#ifndef KYB_LIMIT_H
#define KYB_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "kyb/kyb_tier.h"

#define KYB_LIMIT_MSG_MAX 192   /* one message, NUL included */
#define KYB_AMOUNT_MAX 48       /* a formatted amount, NUL included */

enum kyb_limit_mode {
	KYB_LIMIT_ONLINE,           /* the switch is reachable: per payment, day, month */
	KYB_LIMIT_OFFLINE           /* to be queued (store and forward): those and the offline limits */
};

/* What the party has used so far, in minor units of the tier currency.
 * The caller counts queued offline payments in day and month too (they
 * will settle in that period), and in offline_exposure and offline_count
 * until they are forwarded or voided. */
struct kyb_limit_usage {
	int64_t day;                /* total of today's payments */
	int64_t month;              /* total of this calendar month's payments */
	int64_t offline_exposure;   /* total of queued, not yet forwarded payments */
	int64_t offline_count;      /* number of those */
	int64_t offline_oldest_age; /* seconds since the oldest of those was queued; 0 if none */
};

/* Stable reason codes; kyb_limit_reason_name() gives each a string for
 * APIs and logs. A breached merchant limit maps to FSPIOP 5200 (payee
 * limit), a customer's to 4200 (payer limit). */
enum kyb_limit_reason {
	KYB_LIMIT_OK = 0,           /* allowed */
	KYB_LIMIT_INVALID,          /* amount <= 0, negative usage, bad currency or exponent */
	KYB_LIMIT_PAYMENT,          /* over limit_payment */
	KYB_LIMIT_OFFLINE_PAYMENT,  /* over offline_payment (offline acceptance disabled if 0) */
	KYB_LIMIT_OFFLINE_AGE,      /* the oldest queued payment has reached offline_max_age */
	KYB_LIMIT_OFFLINE_COUNT,    /* offline_count payments already queued */
	KYB_LIMIT_OFFLINE_EXPOSURE, /* queued total plus amount over offline_exposure */
	KYB_LIMIT_DAY,              /* today's total plus amount over limit_day */
	KYB_LIMIT_MONTH,            /* this month's total plus amount over limit_month */
	KYB_LIMIT__COUNT
};

/* The answer. limit is the limit that denied (0 when allowed or
 * INVALID); room is the largest amount that would pass every check right
 * now (0 if none; KYB_UNLIMITED if no limit applies); msg is "" when
 * allowed. */
struct kyb_limit_verdict {
	enum kyb_limit_reason reason;
	int64_t limit;
	int64_t room;
	char msg[KYB_LIMIT_MSG_MAX];
};

/* Checks amount (minor units) against tier's limits given usage u, in
 * mode. ccy (ISO 4217 alpha, 3 capitals) and exponent (its minor-unit
 * digits, 0-4: TZS 2, UGX 0, BHD 3) only format the message. Checks run in
 * enum order (per payment, then the offline limits, then day, then
 * month); the first that fails is reported. Returns v->reason; v may be
 * NULL. Never overflows: sums are compared as limit - used. */
enum kyb_limit_reason kyb_limit_check(const struct kyb_tier *tier, int64_t amount,
				      const struct kyb_limit_usage *u, enum kyb_limit_mode mode, const char *ccy,
				      int exponent, struct kyb_limit_verdict *v);

/* The largest amount tier allows right now given u in mode (0 if none,
 * KYB_UNLIMITED if nothing limits it, -1 if u has a negative member):
 * what a USSD menu offers as "at most". */
int64_t kyb_limit_room(const struct kyb_tier *tier, const struct kyb_limit_usage *u, enum kyb_limit_mode mode);

/* Formats amount minor units as "TZS 50,000.00": ccy, a space, thousands
 * separated by ',', exponent decimals after '.' (ccy NULL or "": the number
 * alone). Returns the length written (always < KYB_AMOUNT_MAX), or -EINVAL
 * for an exponent outside 0-4 or size < KYB_AMOUNT_MAX (buf is "" then). */
int kyb_limit_format(char *buf, size_t size, int64_t amount, const char *ccy, int exponent);

/* "ok", "invalid", "payment_limit", "offline_payment_limit",
 * "offline_age_limit", "offline_count_limit", "offline_exposure_limit",
 * "day_limit", "month_limit"; NULL out of range. */
const char *kyb_limit_reason_name(enum kyb_limit_reason r);

#endif
