/* kyb_limit.c -- tier limits for payments, online and offline, with
 * overflow-safe int64 arithmetic and messages that state the limit. See
 * kyb_limit.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kyb/kyb_limit.h"

static const char *const reason_names[KYB_LIMIT__COUNT] = {
	[KYB_LIMIT_OK] = "ok",
	[KYB_LIMIT_INVALID] = "invalid",
	[KYB_LIMIT_PAYMENT] = "payment_limit",
	[KYB_LIMIT_OFFLINE_PAYMENT] = "offline_payment_limit",
	[KYB_LIMIT_OFFLINE_AGE] = "offline_age_limit",
	[KYB_LIMIT_OFFLINE_COUNT] = "offline_count_limit",
	[KYB_LIMIT_OFFLINE_EXPOSURE] = "offline_exposure_limit",
	[KYB_LIMIT_DAY] = "day_limit",
	[KYB_LIMIT_MONTH] = "month_limit",
};

const char *kyb_limit_reason_name(enum kyb_limit_reason r)
{
	return (unsigned)r < KYB_LIMIT__COUNT ? reason_names[r] : NULL;
}

static int valid_ccy(const char *ccy)
{
	if (!ccy || !*ccy)
		return 1;
	for (int i = 0; i < 3; i++)
		if (ccy[i] < 'A' || ccy[i] > 'Z')
			return 0;
	return ccy[3] == '\0';
}

int kyb_limit_format(char *buf, size_t size, int64_t amount, const char *ccy, int exponent)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000 };
	char rev[32];
	size_t n = 0;
	uint64_t mag, major, minor;
	int k;

	if (!buf || size < KYB_AMOUNT_MAX || exponent < 0 || exponent > 4 || !valid_ccy(ccy)) {
		if (buf && size)
			buf[0] = '\0';
		return -EINVAL;
	}
	/* |INT64_MIN| does not fit an int64: negate in uint64. */
	mag = amount < 0 ? (uint64_t)(-(amount + 1)) + 1 : (uint64_t)amount;
	major = mag / pow10[exponent];
	minor = mag % pow10[exponent];
	/* Digits of major right to left, a ',' every three. */
	do {
		if (n % 4 == 3)
			rev[n++] = ',';
		rev[n++] = (char)('0' + major % 10);
		major /= 10;
	} while (major);
	k = snprintf(buf, size, "%s%s%s", ccy && *ccy ? ccy : "", ccy && *ccy ? " " : "",
		     amount < 0 ? "-" : "");
	while (n > 0)
		buf[k++] = rev[--n];
	if (exponent > 0)
		k += snprintf(buf + k, size - (size_t)k, ".%0*llu", exponent, (unsigned long long)minor);
	buf[k] = '\0';
	return k;
}

static void fmt_age(char *buf, size_t size, int64_t s)
{
	if (s == KYB_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

/* What is left under limit once used is spent: never negative, never an
 * overflow (used >= 0 here). */
static int64_t headroom(int64_t limit, int64_t used)
{
	if (limit == KYB_UNLIMITED)
		return KYB_UNLIMITED;
	return used >= limit ? 0 : limit - used;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int usage_ok(const struct kyb_limit_usage *u)
{
	return u->day >= 0 && u->month >= 0 && u->offline_exposure >= 0 && u->offline_count >= 0 &&
	       u->offline_oldest_age >= 0;
}

/* Whether the queue itself blocks a new offline payment, whatever its
 * amount: too many queued, or the oldest waited too long. */
static enum kyb_limit_reason queue_blocks(const struct kyb_limits *l, const struct kyb_limit_usage *u)
{
	if (u->offline_count > 0 && l->offline_max_age != KYB_UNLIMITED &&
	    u->offline_oldest_age >= l->offline_max_age)
		return KYB_LIMIT_OFFLINE_AGE;
	if (l->offline_count != KYB_UNLIMITED && u->offline_count >= l->offline_count)
		return KYB_LIMIT_OFFLINE_COUNT;
	return KYB_LIMIT_OK;
}

int64_t kyb_limit_room(const struct kyb_tier *tier, const struct kyb_limit_usage *u, enum kyb_limit_mode mode)
{
	const struct kyb_limits *l = &tier->limits;
	int64_t room;

	if (!usage_ok(u))
		return -1;
	room = min64(l->payment < 0 ? 0 : l->payment, headroom(l->day, u->day));
	room = min64(room, headroom(l->month, u->month));
	if (mode == KYB_LIMIT_OFFLINE) {
		if (queue_blocks(l, u) != KYB_LIMIT_OK)
			return 0;
		room = min64(room, l->offline_payment < 0 ? 0 : l->offline_payment);
		room = min64(room, headroom(l->offline_exposure, u->offline_exposure));
	}
	return room;
}

static enum kyb_limit_reason verdict(struct kyb_limit_verdict *v, enum kyb_limit_reason r,
				     int64_t limit, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum kyb_limit_reason verdict(struct kyb_limit_verdict *v, enum kyb_limit_reason r,
				     int64_t limit, const char *fmt, ...)
{
	va_list ap;

	if (!v)
		return r;
	v->reason = r;
	v->limit = limit;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof v->msg, fmt, ap);
	va_end(ap);
	return r;
}

enum kyb_limit_reason kyb_limit_check(const struct kyb_tier *tier, int64_t amount,
				      const struct kyb_limit_usage *u, enum kyb_limit_mode mode, const char *ccy,
				      int exponent, struct kyb_limit_verdict *v)
{
	const struct kyb_limits *l = &tier->limits;
	const char *name = tier->name;
	char lim[KYB_AMOUNT_MAX], used[KYB_AMOUNT_MAX];
	enum kyb_limit_reason q;

	if (v) {
		v->room = 0;
		v->limit = 0;
		v->msg[0] = '\0';
	}
	if (exponent < 0 || exponent > 4 || !valid_ccy(ccy))
		return verdict(v, KYB_LIMIT_INVALID, 0, "currency must be 3 capitals and its exponent 0-4");
	if (!usage_ok(u))
		return verdict(v, KYB_LIMIT_INVALID, 0, "usage so far must not be negative");
	if (v)
		v->room = kyb_limit_room(tier, u, mode);
	if (amount <= 0)
		return verdict(v, KYB_LIMIT_INVALID, 0, "the amount must be positive");

#define AMT(buf, x) (kyb_limit_format(buf, sizeof buf, x, ccy, exponent), buf)
	if (l->payment != KYB_UNLIMITED && amount > l->payment)
		return verdict(v, KYB_LIMIT_PAYMENT, l->payment, "over the %s per-payment limit of %s",
			       name, AMT(lim, l->payment));
	if (mode == KYB_LIMIT_OFFLINE) {
		if (l->offline_payment == 0 || l->offline_count == 0)
			return verdict(v, l->offline_payment == 0 ? KYB_LIMIT_OFFLINE_PAYMENT :
								    KYB_LIMIT_OFFLINE_COUNT,
				       0, "offline payments are not allowed at tier %s", name);
		if (l->offline_payment != KYB_UNLIMITED && amount > l->offline_payment)
			return verdict(v, KYB_LIMIT_OFFLINE_PAYMENT, l->offline_payment,
				       "over the %s offline per-payment limit of %s", name,
				       AMT(lim, l->offline_payment));
		q = queue_blocks(l, u);
		if (q == KYB_LIMIT_OFFLINE_AGE) {
			char a[24], b[24];
			fmt_age(a, sizeof a, l->offline_max_age);
			fmt_age(b, sizeof b, u->offline_oldest_age);
			return verdict(v, q, l->offline_max_age,
				       "over the %s offline maximum age of %s (the oldest queued payment is %s old)",
				       name, a, b);
		}
		if (q == KYB_LIMIT_OFFLINE_COUNT)
			return verdict(v, q, l->offline_count,
				       "over the %s offline limit of %lld queued payments (%lld queued)", name,
				       (long long)l->offline_count, (long long)u->offline_count);
		if (amount > headroom(l->offline_exposure, u->offline_exposure))
			return verdict(v, KYB_LIMIT_OFFLINE_EXPOSURE, l->offline_exposure,
				       "over the %s offline exposure limit of %s (%s queued)", name,
				       AMT(lim, l->offline_exposure), AMT(used, u->offline_exposure));
	}
	if (amount > headroom(l->day, u->day))
		return verdict(v, KYB_LIMIT_DAY, l->day, "over the %s daily limit of %s (%s used today)",
			       name, AMT(lim, l->day), AMT(used, u->day));
	if (amount > headroom(l->month, u->month))
		return verdict(v, KYB_LIMIT_MONTH, l->month,
			       "over the %s monthly limit of %s (%s used this month)", name,
			       AMT(lim, l->month), AMT(used, u->month));
#undef AMT
	if (v)
		v->reason = KYB_LIMIT_OK;
	return KYB_LIMIT_OK;
}
