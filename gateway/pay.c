/* pay.c -- payments: records, the state table, acceptance under the tier
 * limits, on-us completion, transitions with audit and final SMS, the
 * expiry sweep and the reads. Contracts in pay.h; docs/payments.md. */
#include "gateway/pay.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "gateway/audit.h"
#include "gateway/backend.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"
#include "qr/qr_emv.h"

/* ---- the state table ---- */

#define BIT(c) (1u << (c))

/* allowed[from][to]: the causes that may move a payment from -> to.
 * pay_accept() creates payments (ACCEPTED, QUEUED, or COMMITTED when
 * on-us) and is not a transition. */
static const unsigned allowed[PAY__STATE_COUNT][PAY__STATE_COUNT] = {
	[PAY_ACCEPTED] = {
		[PAY_SENDING] = BIT(PAY_BY_FORWARDER),
		/* switch unreachable; approved by the hook, accepted offline */
		[PAY_QUEUED] = BIT(PAY_BY_FORWARDER) | BIT(PAY_BY_BACKEND),
		/* refused before sending; declined by the hook */
		[PAY_FAILED] = BIT(PAY_BY_FORWARDER) | BIT(PAY_BY_BACKEND),
		[PAY_COMMITTED] = BIT(PAY_BY_BACKEND),   /* on-us, approved by the hook */
	},
	[PAY_QUEUED] = {
		[PAY_SENDING] = BIT(PAY_BY_FORWARDER),
		[PAY_EXPIRED] = BIT(PAY_BY_SWEEP),
		/* cancel; or over the offline limits once the switch proved
		 * unreachable for a payment accepted online (pay_offline_recheck()) */
		[PAY_FAILED] = BIT(PAY_BY_OPERATOR) | BIT(PAY_BY_FORWARDER),
	},
	[PAY_SENDING] = {
		[PAY_COMMITTED] = BIT(PAY_BY_FORWARDER),
		[PAY_FAILED] = BIT(PAY_BY_FORWARDER),
		[PAY_RECONCILING] = BIT(PAY_BY_FORWARDER),
		[PAY_QUEUED] = BIT(PAY_BY_FORWARDER),    /* not sent: link lost before the prepare */
	},
	[PAY_RECONCILING] = {
		[PAY_COMMITTED] = BIT(PAY_BY_FORWARDER),
		[PAY_FAILED] = BIT(PAY_BY_FORWARDER),
		[PAY_SENDING] = BIT(PAY_BY_FORWARDER),   /* new ids, old transfer aborted/expired */
	},
	[PAY_FAILED] = {
		[PAY_QUEUED] = BIT(PAY_BY_OPERATOR),     /* retry, retryable codes only */
	},
	[PAY_EXPIRED] = {
		[PAY_QUEUED] = BIT(PAY_BY_OPERATOR),     /* retry */
	},
};

static const char *const state_names[PAY__STATE_COUNT] = {
	"ACCEPTED", "QUEUED", "SENDING", "COMMITTED", "FAILED", "EXPIRED", "RECONCILING",
};
static const char *const state_actions[PAY__STATE_COUNT] = {
	"accepted", "queued", "sending", "committed", "failed", "expired", "reconciling",
};
static const char *const cause_names[PAY__CAUSE_COUNT] = {
	"forwarder", "sweep", "operator", "backend",
};
static const char *const channel_names[PAY__CH_COUNT] = { "ussd", "api", "switch" };

/* Codes an operator may send again: the payment never reached a final
 * answer from the payee side. */
static const char *const retryable[] = {
	"switch_unreachable", "timeout", "no_quote", "no_transfer_callback", "switch_error", NULL,
};

const char *pay_state_name(enum pay_state s)
{
	return (unsigned)s < PAY__STATE_COUNT ? state_names[s] : "?";
}

int pay_state_parse(const char *s)
{
	for (int i = 0; s && i < PAY__STATE_COUNT; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

const char *pay_cause_name(enum pay_cause c)
{
	return (unsigned)c < PAY__CAUSE_COUNT ? cause_names[c] : "?";
}

const char *pay_channel_name(enum pay_channel c)
{
	return (unsigned)c < PAY__CH_COUNT ? channel_names[c] : "?";
}

int pay_transition_allowed(enum pay_state from, enum pay_state to, enum pay_cause by)
{
	if ((unsigned)from >= PAY__STATE_COUNT || (unsigned)to >= PAY__STATE_COUNT ||
	    (unsigned)by >= PAY__CAUSE_COUNT)
		return 0;
	return (allowed[from][to] & BIT(by)) != 0;
}

int pay_state_final(enum pay_state s)
{
	return s == PAY_COMMITTED || s == PAY_FAILED || s == PAY_EXPIRED;
}

int pay_code_retryable(const char *code)
{
	for (int i = 0; code && retryable[i]; i++)
		if (strcmp(code, retryable[i]) == 0)
			return 1;
	return 0;
}

/* ---- statements ---- */

#define COLS "p.id, p.state, p.channel, p.payer_dfsp, p.payer_msisdn, p.customer_id, " \
	"p.payee_dfsp, p.merchant_id, p.till_number, m.trading_name, p.amount, p.currency, " \
	"p.on_us, p.fail_code, p.fail_reason, p.transaction_id, p.quote_id, p.transfer_id, " \
	"p.attempts, p.next_at, p.expires_at, p.created, p.updated, p.version, p.req_sha256, " \
	"p.payer_fsp, p.payer_party_type, p.payer_party_id, p.payer_name " \
	"FROM payment p JOIN merchant m ON m.dfsp = p.payee_dfsp AND m.merchant_id = p.merchant_id "

enum {
	P_GET,
	P_INSERT,
	P_INSERT_IN,
	P_MERCHANT,
	P_CUSTOMER,
	P_USAGE_PAYER,
	P_USAGE_PAYEE,
	P_SET_STATE,
	P_DUE_EXPIRE,
	P_TAKINGS,
	P_LAST,
	P_LIST,
	P_COUNT_STATE,
	P_OLDEST,
	P_HOOKED,
	P_AUTH_INSERT,
	P_CREATED_S,
	P__COUNT
};

static const char *const pay_sql[P__COUNT] = {
	[P_GET] = "SELECT " COLS "WHERE p.id = :id AND (:dfsp IS NULL OR p.payer_dfsp = :dfsp "
		  "OR p.payee_dfsp = :dfsp)",
	[P_INSERT] = "INSERT INTO payment (id, req_sha256, channel, payer_dfsp, payer_msisdn, "
		     "customer_id, payee_dfsp, merchant_id, till_number, amount, currency, state, "
		     "on_us, next_at, expires_at) VALUES (:id, :req, :channel, :payer_dfsp, :msisdn, "
		     ":customer_id, :payee_dfsp, :merchant_id, :till, :amount, :currency, :state, "
		     ":on_us, :next_at, :expires_at)",
	[P_INSERT_IN] = "INSERT INTO payment (id, req_sha256, channel, payee_dfsp, merchant_id, "
			"till_number, amount, currency, state, on_us, transaction_id, quote_id, "
			"transfer_id, payer_fsp, payer_party_type, payer_party_id, payer_name) "
			"VALUES (:id, :req, 'switch', :payee_dfsp, :merchant_id, :till, :amount, "
			":currency, 'COMMITTED', 0, :tx, :quote, :transfer, :payer_fsp, :ptype, :pid, "
			":pname)",
	[P_MERCHANT] = "SELECT m.status, m.tier, m.trading_name, coalesce(m.contact_phone, "
		       "(SELECT o.phone FROM owner o WHERE o.dfsp = m.dfsp AND o.merchant_id = "
		       "m.merchant_id AND o.phone IS NOT NULL ORDER BY o.id LIMIT 1)), m.dfsp "
		       "FROM merchant m WHERE m.merchant_id = :merchant_id",
	[P_CUSTOMER] = "SELECT id, tier, status FROM customer WHERE dfsp = :dfsp AND msisdn = :msisdn",
	/* Usage for the limits: payments that are not void (FAILED, EXPIRED);
	 * queued ones count in day and month too (kyb_limit.h). */
	[P_USAGE_PAYER] = "SELECT coalesce(sum(amount) FILTER (WHERE created >= :day), 0), "
			  "coalesce(sum(amount), 0), "
			  "coalesce(sum(amount) FILTER (WHERE state = 'QUEUED'), 0), "
			  "count(*) FILTER (WHERE state = 'QUEUED'), "
			  "coalesce(CAST(strftime('%s', min(created) FILTER (WHERE state = 'QUEUED')) "
			  "AS INTEGER), 0) "
			  "FROM payment WHERE payer_dfsp = :dfsp AND payer_msisdn = :who "
			  "AND state NOT IN ('FAILED', 'EXPIRED') AND (created >= :month OR state = 'QUEUED')",
	[P_USAGE_PAYEE] = "SELECT coalesce(sum(amount) FILTER (WHERE created >= :day), 0), "
			  "coalesce(sum(amount), 0), "
			  "coalesce(sum(amount) FILTER (WHERE state = 'QUEUED'), 0), "
			  "count(*) FILTER (WHERE state = 'QUEUED'), "
			  "coalesce(CAST(strftime('%s', min(created) FILTER (WHERE state = 'QUEUED')) "
			  "AS INTEGER), 0) "
			  "FROM payment WHERE payee_dfsp = :dfsp AND merchant_id = :who "
			  "AND state NOT IN ('FAILED', 'EXPIRED') AND (created >= :month OR state = 'QUEUED')",
	[P_SET_STATE] = "UPDATE payment SET state = :state, fail_code = :code, fail_reason = :reason, "
			"transaction_id = coalesce(:tx, transaction_id), "
			"quote_id = coalesce(:quote, quote_id), "
			"transfer_id = coalesce(:transfer, transfer_id), "
			"attempts = attempts + :inc, "
			"next_at = CASE WHEN :next_at >= 0 THEN :next_at ELSE next_at END, "
			"expires_at = CASE WHEN :expires_at >= 0 THEN :expires_at ELSE expires_at END, "
			"version = version + 1, updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
			"WHERE id = :id AND version = :version",
	[P_CREATED_S] = "SELECT CAST(strftime('%s', created) AS INTEGER) FROM payment WHERE id = :id",
	[P_DUE_EXPIRE] = "SELECT id FROM payment WHERE state = 'QUEUED' AND expires_at > 0 "
			 "AND expires_at <= :now ORDER BY expires_at, id LIMIT 1",
	[P_TAKINGS] = "SELECT count(*) FILTER (WHERE state = 'COMMITTED'), "
		      "coalesce(sum(amount) FILTER (WHERE state = 'COMMITTED'), 0), "
		      "count(*) FILTER (WHERE state IN ('ACCEPTED', 'QUEUED', 'SENDING', 'RECONCILING')), "
		      "coalesce(sum(amount) FILTER (WHERE state IN ('ACCEPTED', 'QUEUED', 'SENDING', "
		      "'RECONCILING')), 0) "
		      "FROM payment WHERE payee_dfsp = :dfsp AND merchant_id = :merchant_id "
		      "AND created >= :from AND created < :to",
	[P_LAST] = "SELECT " COLS "WHERE p.payee_dfsp = :dfsp AND p.merchant_id = :merchant_id "
		   "ORDER BY p.created DESC, p.rowid DESC LIMIT :n",
	[P_LIST] = "SELECT " COLS "WHERE (:dfsp IS NULL OR p.payer_dfsp = :dfsp OR p.payee_dfsp = :dfsp) "
		   "AND (:state IS NULL OR p.state = :state) "
		   "AND (:merchant_id IS NULL OR p.merchant_id = :merchant_id) "
		   "AND (:msisdn IS NULL OR p.payer_msisdn = :msisdn) "
		   "AND (:from IS NULL OR p.created >= :from) AND (:to IS NULL OR p.created < :to) "
		   "AND (:cursor IS NULL OR (p.created, p.rowid) < "
		   "(SELECT c.created, c.rowid FROM payment c WHERE c.id = :cursor)) "
		   "ORDER BY p.created DESC, p.rowid DESC LIMIT :limit",
	[P_COUNT_STATE] = "SELECT state, count(*) FROM payment GROUP BY state",
	[P_OLDEST] = "SELECT CAST(strftime('%s', min(created)) AS INTEGER) FROM payment "
		     "WHERE state = 'QUEUED'",
	[P_HOOKED] = "SELECT backend_url IS NOT NULL FROM dfsp WHERE fsp_id = :dfsp",
	[P_AUTH_INSERT] = "INSERT INTO payment_auth (payment_id, dfsp, offline) "
			  "VALUES (:id, :dfsp, :offline)",
};

struct pay {
	struct db *db;
	sqlite3_stmt **st;
	struct merchant_reg *reg;
	struct outbox *outbox;
	const struct kyb_tiers *tiers;
	char currency[4];
	int exponent;
};

int pay_new(struct pay **out, struct db *db, const struct pay_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	if (!db || !opts || !opts->reg || !opts->outbox || !opts->tiers) {
		snprintf(err, errlen, "pay: a database, a registry, an outbox and tiers are needed");
		return -EINVAL;
	}
	struct pay *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "pay: out of memory");
		return -ENOMEM;
	}
	p->db = db;
	p->reg = opts->reg;
	p->outbox = opts->outbox;
	p->tiers = opts->tiers;
	snprintf(p->currency, sizeof p->currency, "%s", kyb_tiers_currency(opts->tiers));
	const char *num = qr_emv_ccy_num(p->currency);
	p->exponent = num ? qr_emv_ccy_exponent(num) : -1;
	if (p->exponent < 0) {
		snprintf(err, errlen, "pay: unknown currency %s", p->currency);
		free(p);
		return -EINVAL;
	}
	int rc = db_prepare_table(db, pay_sql, P__COUNT, &p->st, err, errlen);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pay_free(struct pay *p)
{
	free(p);
}

/* ---- helpers ---- */

static void copy_col(sqlite3_stmt *s, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

static void read_rec(sqlite3_stmt *s, struct pay_rec *r, char req[65])
{
	memset(r, 0, sizeof *r);
	copy_col(s, 0, r->id, sizeof r->id);
	char st[16];
	copy_col(s, 1, st, sizeof st);
	r->state = (enum pay_state)pay_state_parse(st);
	copy_col(s, 2, st, sizeof st);
	r->channel = PAY_CH_USSD;
	for (int c = 0; c < PAY__CH_COUNT; c++)
		if (strcmp(st, channel_names[c]) == 0)
			r->channel = (enum pay_channel)c;
	copy_col(s, 3, r->payer_dfsp, sizeof r->payer_dfsp);
	copy_col(s, 4, r->payer_msisdn, sizeof r->payer_msisdn);
	r->customer_id = sqlite3_column_int64(s, 5);
	copy_col(s, 6, r->payee_dfsp, sizeof r->payee_dfsp);
	copy_col(s, 7, r->merchant_id, sizeof r->merchant_id);
	copy_col(s, 8, r->till, sizeof r->till);
	copy_col(s, 9, r->trading_name, sizeof r->trading_name);
	r->amount = sqlite3_column_int64(s, 10);
	copy_col(s, 11, r->currency, sizeof r->currency);
	r->on_us = sqlite3_column_int(s, 12);
	copy_col(s, 13, r->fail_code, sizeof r->fail_code);
	copy_col(s, 14, r->fail_reason, sizeof r->fail_reason);
	copy_col(s, 15, r->transaction_id, sizeof r->transaction_id);
	copy_col(s, 16, r->quote_id, sizeof r->quote_id);
	copy_col(s, 17, r->transfer_id, sizeof r->transfer_id);
	r->attempts = sqlite3_column_int64(s, 18);
	r->next_at = sqlite3_column_int64(s, 19);
	r->expires_at = sqlite3_column_int64(s, 20);
	copy_col(s, 21, r->created, sizeof r->created);
	copy_col(s, 22, r->updated, sizeof r->updated);
	r->version = sqlite3_column_int64(s, 23);
	if (req)
		copy_col(s, 24, req, 65);
	copy_col(s, 25, r->payer_fsp, sizeof r->payer_fsp);
	copy_col(s, 26, r->payer_party_type, sizeof r->payer_party_type);
	copy_col(s, 27, r->payer_party_id, sizeof r->payer_party_id);
	copy_col(s, 28, r->payer_name, sizeof r->payer_name);
}

/* The DFSP an audit row of the payment belongs to: the payer's, or the
 * payee's for a payment received through the switch. */
static const char *audit_dfsp(const struct pay_rec *r)
{
	return r->payer_dfsp[0] ? r->payer_dfsp : r->payee_dfsp;
}

static int get(struct pay *p, const char *dfsp, const char *id, struct pay_rec *r, char req[65])
{
	sqlite3_stmt *s = p->st[P_GET];
	int rc;
	if ((rc = db_bind_text(s, ":id", id)) < 0 || (rc = db_bind_text(s, ":dfsp", dfsp)) < 0)
		return rc;
	rc = db_step(s);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	read_rec(s, r, req);
	db_reset(s);
	return 0;
}

int pay_get(struct pay *p, const char *dfsp, const char *id, struct pay_rec *out)
{
	struct pay_rec r;
	if (!id)
		return -EINVAL;
	int rc = get(p, dfsp, id, &r, NULL);
	if (rc == 0 && out)
		*out = r;
	return rc;
}

int pay_parts_sha256(const char *const parts[], size_t n, char out[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned mdlen = 0;
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		/* Length-prefixed, so that parts cannot run into each other. */
		char pre[24];
		size_t len = parts[i] ? strlen(parts[i]) : 0;
		int k = snprintf(pre, sizeof pre, "%zu:", len);
		EVP_DigestUpdate(c, pre, (size_t)k);
		EVP_DigestUpdate(c, parts[i] ? parts[i] : "", len);
	}
	int ok = EVP_DigestFinal_ex(c, md, &mdlen) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -EIO;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static void fmt_amount(const struct pay *p, int64_t amount, const char *ccy, char *buf, size_t size)
{
	char a[KYB_AMOUNT_MAX];
	if (kyb_limit_format(a, sizeof a, amount, ccy, p->exponent) < 0)
		snprintf(a, sizeof a, "%s %lld", ccy, (long long)amount);
	snprintf(buf, size, "%s", a);
}

void pay_mask_msisdn(const char *msisdn, char out[PAY_MSISDN_MAX])
{
	size_t n = msisdn ? strlen(msisdn) : 0;
	if (n >= 8) {
		/* First 4 and last 3 digits around four stars, whatever the
		 * length: "2557****678". */
		snprintf(out, PAY_MSISDN_MAX, "%.4s****%s", msisdn, msisdn + n - 3);
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = i < n / 3 || i >= n - n / 3 ? msisdn[i] : '*';
	out[n] = 0;
}

/* The UTC date of now + days, "YYYY-MM-DD", and its month "YYYY-MM". */
static void utc_day(time_t now, int days, char day[11], char month[8])
{
	time_t t = now + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	if (day)
		strftime(day, 11, "%Y-%m-%d", &tm);
	if (month)
		strftime(month, 8, "%Y-%m", &tm);
}

static int valid_msisdn(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 6 || n > 15 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int refuse(struct pay_refusal *why, int rc, const char *code, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int refuse(struct pay_refusal *why, int rc, const char *code, const char *field,
		  const char *fmt, ...)
{
	if (why) {
		snprintf(why->code, sizeof why->code, "%s", code);
		snprintf(why->field, sizeof why->field, "%s", field);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why->msg, sizeof why->msg, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int usage(struct pay *p, int payer, const char *dfsp, const char *who, time_t now,
		 struct kyb_limit_usage *u)
{
	char day[11], month[8];
	utc_day(now, 0, day, month);
	sqlite3_stmt *s = p->st[payer ? P_USAGE_PAYER : P_USAGE_PAYEE];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 || (rc = db_bind_text(s, ":who", who)) < 0 ||
	    (rc = db_bind_text(s, ":day", day)) < 0 || (rc = db_bind_text(s, ":month", month)) < 0)
		return rc;
	if ((rc = db_step(s)) <= 0)
		return rc < 0 ? rc : -EIO;
	u->day = sqlite3_column_int64(s, 0);
	u->month = sqlite3_column_int64(s, 1);
	u->offline_exposure = sqlite3_column_int64(s, 2);
	u->offline_count = sqlite3_column_int64(s, 3);
	int64_t oldest = sqlite3_column_int64(s, 4);
	u->offline_oldest_age = oldest > 0 && now > oldest ? (int64_t)now - oldest : 0;
	db_reset(s);
	return 0;
}

/* ---- SMS of final states ---- */

static int tell_merchant(struct pay *p, const struct pay_rec *r, const char *to_merchant);

/* 1 if DFSP dfsp has a backend hook (gateway/backend.h), 0 if not, or a
 * negative errno. */
static int hooked(struct pay *p, const char *dfsp)
{
	sqlite3_stmt *s = p->st[P_HOOKED];
	int rc;
	if (!dfsp || !*dfsp)
		return 0;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 || (rc = db_step(s)) <= 0)
		return rc;
	rc = sqlite3_column_int(s, 0);
	db_reset(s);
	return rc;
}

/* The hook's notification of a final state, if the payer's DFSP has one. */
static int tell_backend(struct pay *p, const struct pay_rec *r)
{
	int rc = hooked(p, r->payer_dfsp);
	if (rc <= 0)
		return rc;
	char *body = backend_notify_body(r, p->exponent);
	if (!body)
		return -ENOMEM;
	rc = outbox_put(p->outbox, BACKEND_OUTBOX_KIND, r->payer_dfsp, r->payer_dfsp, body, r->id,
			NULL);
	free(body);
	return rc;
}

static int tell(struct pay *p, const struct pay_rec *r)
{
	char amt[KYB_AMOUNT_MAX + 8], masked[PAY_MSISDN_MAX], to_payer[600], to_merchant[320];
	fmt_amount(p, r->amount, r->currency, amt, sizeof amt);
	pay_mask_msisdn(r->payer_msisdn, masked);
	if (r->channel == PAY_CH_SWITCH) {
		/* Received from another DFSP: only the merchant is ours to tell. */
		if (r->state != PAY_COMMITTED)
			return 0;
		char from[200], text[512];
		if (r->payer_name[0])
			snprintf(from, sizeof from, "%s (%s)", r->payer_name, r->payer_fsp);
		else
			snprintf(from, sizeof from, "%s", r->payer_fsp);
		if (r->till[0])
			snprintf(text, sizeof text, "Received %s from %s at till %s. Ref %s", amt,
				 from, r->till, r->id);
		else
			snprintf(text, sizeof text, "Received %s from %s. Ref %s", amt, from, r->id);
		return tell_merchant(p, r, text);
	}
	switch (r->state) {
	case PAY_COMMITTED:
		snprintf(to_payer, sizeof to_payer, "Paid %s to %s (till %s). Ref %s", amt,
			 r->trading_name, r->till, r->id);
		snprintf(to_merchant, sizeof to_merchant, "Received %s from %s at till %s. Ref %s", amt,
			 masked, r->till, r->id);
		break;
	case PAY_FAILED:
		if (strncmp(r->fail_code, "backend_", 8) == 0)
			/* The DFSP's own words (gateway/backend.h). */
			snprintf(to_payer, sizeof to_payer, "Payment of %s to %s was not approved: "
				 "%.200s You were not charged. Ref %s", amt, r->trading_name,
				 r->fail_reason, r->id);
		else
			snprintf(to_payer, sizeof to_payer, "Payment of %s to %s failed (%s). You were "
				 "not charged. Ref %s", amt, r->trading_name, r->fail_code, r->id);
		snprintf(to_merchant, sizeof to_merchant, "Payment of %s from %s at till %s failed: "
			 "not paid. Ref %s", amt, masked, r->till, r->id);
		break;
	case PAY_EXPIRED:
		snprintf(to_payer, sizeof to_payer, "Payment of %s to %s could not be sent in time and "
			 "is cancelled. You were not charged. Ref %s", amt, r->trading_name, r->id);
		snprintf(to_merchant, sizeof to_merchant, "Queued payment of %s from %s at till %s "
			 "expired: not paid. Ref %s", amt, masked, r->till, r->id);
		break;
	default:
		return 0;
	}
	int rc = outbox_sms(p->outbox, r->payer_dfsp, r->payer_msisdn, to_payer, r->id, NULL);
	if (rc < 0 || (rc = tell_backend(p, r)) < 0)
		return rc;
	return tell_merchant(p, r, to_merchant);
}

/* The SMS text to the merchant's number: its contact phone, else its
 * first owner's (none if it has neither). */
static int tell_merchant(struct pay *p, const struct pay_rec *r, const char *to_merchant)
{
	int rc;
	sqlite3_stmt *s = p->st[P_MERCHANT];
	if ((rc = db_bind_text(s, ":merchant_id", r->merchant_id)) < 0)
		return rc;
	if ((rc = db_step(s)) <= 0)
		return rc < 0 ? rc : -ENOENT;
	char phone[20];
	copy_col(s, 3, phone, sizeof phone);
	db_reset(s);
	if (!phone[0]) {
		LOGW(LC_PAY, "merchant has no phone: no SMS", "id=%s merchant=%s", r->id, r->merchant_id);
		return 0;
	}
	return outbox_sms(p->outbox, r->payee_dfsp, phone, to_merchant, r->id, NULL);
}

static char *rec_audit_json(const struct pay_rec *r)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:b}", "state", pay_state_name(r->state),
			      "payer_dfsp", r->payer_dfsp, "payer_msisdn", r->payer_msisdn,
			      "payee_dfsp", r->payee_dfsp, "merchant", r->merchant_id, "till", r->till,
			      "amount", (json_int_t)r->amount, "currency", r->currency, "on_us", r->on_us);
	if (!j)
		return NULL;
	if (r->fail_code[0])
		json_object_set_new(j, "fail_code", json_string(r->fail_code));
	if (r->channel == PAY_CH_SWITCH) {
		json_object_set_new(j, "channel", json_string("switch"));
		json_object_set_new(j, "payer_fsp", json_string(r->payer_fsp));
		json_object_set_new(j, "transfer_id", json_string(r->transfer_id));
	}
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

/* ---- acceptance ---- */

static int check_limit(struct pay *p, const struct kyb_tier *tier, const char *party, int64_t amount,
		       const struct kyb_limit_usage *u, enum kyb_limit_mode mode, struct pay_refusal *why)
{
	struct kyb_limit_verdict v;
	enum kyb_limit_reason rs = kyb_limit_check(tier, amount, u, mode, p->currency, p->exponent, &v);
	if (rs == KYB_LIMIT_OK)
		return 0;
	if (why) {
		why->reason = rs;
		why->limit = v.limit;
		snprintf(why->party, sizeof why->party, "%s", party);
	}
	return refuse(why, rs == KYB_LIMIT_INVALID ? -EINVAL : -EPERM, kyb_limit_reason_name(rs),
		      "amount", "%s: %s", strcmp(party, "customer") == 0 ? "payer" : "merchant", v.msg);
}

static int accept_tx(struct pay *p, const struct pay_in *in, const char *id, const char *req,
		     struct pay_rec *out, struct pay_refusal *why)
{
	struct pay_rec r;
	char have_req[65];
	int rc = get(p, NULL, id, &r, have_req);
	if (rc == 0) {
		if (strcmp(have_req, req) != 0)
			return refuse(why, -EEXIST, "idempotency_key_reused", "idem_key",
				      "this key was used for another payment (%s)", id);
		if (out)
			*out = r;
		return 1;
	}
	if (rc != -ENOENT)
		return rc;

	/* The till, on any DFSP: the payer may pay another DFSP's merchant. */
	struct merchant_actor hub = { .user = "pay", .dfsp = NULL, .role = ROLE_HUB_ADMIN };
	char merchant_id[MERCHANT_ID_MAX], till_status[16];
	rc = merchant_till_find(p->reg, &hub, in->till, merchant_id, till_status, NULL);
	if (rc == -ENOENT)
		return refuse(why, -ENOENT, "unknown_till", "till", "no till %s", in->till);
	if (rc < 0)
		return rc;
	if (strcmp(till_status, "ACTIVE") != 0)
		return refuse(why, -EPERM, "till_inactive", "till", "till %s is %s", in->till, till_status);
	sqlite3_stmt *s = p->st[P_MERCHANT];
	if ((rc = db_bind_text(s, ":merchant_id", merchant_id)) < 0)
		return rc;
	if ((rc = db_step(s)) <= 0)
		return rc < 0 ? rc : -EIO;
	char mstatus[16], mtier[KYB_TIER_NAME_MAX], mdfsp[33];
	copy_col(s, 0, mstatus, sizeof mstatus);
	copy_col(s, 1, mtier, sizeof mtier);
	copy_col(s, 4, mdfsp, sizeof mdfsp);
	db_reset(s);
	if (strcmp(mstatus, "APPROVED") != 0)
		return refuse(why, -EPERM, "merchant_inactive", "till",
			      "the merchant of till %s is not accepting payments (%s)", in->till, mstatus);

	s = p->st[P_CUSTOMER];
	if ((rc = db_bind_text(s, ":dfsp", in->payer_dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", in->payer_msisdn)) < 0)
		return rc;
	if ((rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return refuse(why, -ENOENT, "unknown_customer", "payer_msisdn",
			      "%s is not a customer of %s", in->payer_msisdn, in->payer_dfsp);
	int64_t customer_id = sqlite3_column_int64(s, 0);
	char ctier[KYB_TIER_NAME_MAX], cstatus[16];
	copy_col(s, 1, ctier, sizeof ctier);
	copy_col(s, 2, cstatus, sizeof cstatus);
	db_reset(s);
	if (strcmp(cstatus, "ACTIVE") != 0)
		return refuse(why, -EPERM, "customer_inactive", "payer_msisdn",
			      "customer %s is %s", in->payer_msisdn, cstatus);

	const struct kyb_tier *ct = kyb_tiers_find(p->tiers, KYB_PARTY_CUSTOMER, ctier);
	const struct kyb_tier *mt = kyb_tiers_find(p->tiers, KYB_PARTY_MERCHANT, mtier);
	if (!ct || !mt)
		return refuse(why, -EINVAL, "invalid", !ct ? "payer_msisdn" : "till",
			      "no %s tier %s in the KYB tiers", !ct ? "customer" : "merchant",
			      !ct ? ctier : mtier);
	int on_us = strcmp(mdfsp, in->payer_dfsp) == 0;
	enum kyb_limit_mode mode = on_us || in->mode == PAY_MODE_ONLINE ? KYB_LIMIT_ONLINE
									: KYB_LIMIT_OFFLINE;
	time_t now = time(NULL);
	struct kyb_limit_usage cu, mu;
	if ((rc = usage(p, 1, in->payer_dfsp, in->payer_msisdn, now, &cu)) < 0 ||
	    (rc = check_limit(p, ct, "customer", in->amount, &cu, mode, why)) < 0 ||
	    (rc = usage(p, 0, mdfsp, merchant_id, now, &mu)) < 0 ||
	    (rc = check_limit(p, mt, "merchant", in->amount, &mu, mode, why)) < 0)
		return rc;

	enum pay_state state = on_us ? PAY_COMMITTED
			       : in->mode == PAY_MODE_ONLINE ? PAY_ACCEPTED : PAY_QUEUED;
	int hook = hooked(p, in->payer_dfsp);
	if (hook < 0)
		return hook;
	int offline = state == PAY_QUEUED;
	if (hook)
		state = PAY_ACCEPTED; /* until the DFSP's backend approves it */
	int64_t expires_at = 0;
	if (offline) {
		int64_t age = mt->limits.offline_max_age;
		if (ct->limits.offline_max_age < age)
			age = ct->limits.offline_max_age;
		if (age != KYB_UNLIMITED && age > 0)
			expires_at = (int64_t)now + age;
	}
	s = p->st[P_INSERT];
	if ((rc = db_bind_text(s, ":id", id)) < 0 || (rc = db_bind_text(s, ":req", req)) < 0 ||
	    (rc = db_bind_text(s, ":channel", pay_channel_name(in->channel))) < 0 ||
	    (rc = db_bind_text(s, ":payer_dfsp", in->payer_dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", in->payer_msisdn)) < 0 ||
	    (rc = db_bind_int64(s, ":customer_id", customer_id)) < 0 ||
	    (rc = db_bind_text(s, ":payee_dfsp", mdfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", merchant_id)) < 0 ||
	    (rc = db_bind_text(s, ":till", in->till)) < 0 ||
	    (rc = db_bind_int64(s, ":amount", in->amount)) < 0 ||
	    (rc = db_bind_text(s, ":currency", p->currency)) < 0 ||
	    (rc = db_bind_text(s, ":state", pay_state_name(state))) < 0 ||
	    (rc = db_bind_int64(s, ":on_us", on_us)) < 0 ||
	    (rc = db_bind_int64(s, ":next_at", (int64_t)now)) < 0 ||
	    (rc = db_bind_int64(s, ":expires_at", expires_at)) < 0 || (rc = db_run(s)) < 0)
		return rc;
	if (hook) {
		s = p->st[P_AUTH_INSERT];
		if ((rc = db_bind_text(s, ":id", id)) < 0 ||
		    (rc = db_bind_text(s, ":dfsp", in->payer_dfsp)) < 0 ||
		    (rc = db_bind_int64(s, ":offline", offline)) < 0 || (rc = db_run(s)) < 0)
			return rc;
	}
	if ((rc = get(p, NULL, id, &r, NULL)) < 0)
		return rc;
	char *after = rec_audit_json(&r);
	if (!after)
		return -ENOMEM;
	rc = audit_append(p->db, in->actor, in->role, in->payer_dfsp, "accept", "payment", id, NULL,
			  after);
	free(after);
	if (rc < 0)
		return rc;
	if (state == PAY_COMMITTED && (rc = tell(p, &r)) < 0)
		return rc;
	if (out)
		*out = r;
	return 0;
}

int pay_accept(struct pay *p, const struct pay_in *in, struct pay_rec *out, struct pay_refusal *why)
{
	if (why)
		memset(why, 0, sizeof *why);
	if (!in || !in->idem_scope || !*in->idem_scope)
		return refuse(why, -EINVAL, "invalid", "idem_scope", "an idempotency scope is needed");
	if (!in->idem_key || !*in->idem_key || strlen(in->idem_key) > PAY_IDEM_KEY_MAX)
		return refuse(why, -EINVAL, "invalid", "idem_key", "must be 1 to %d characters",
			      PAY_IDEM_KEY_MAX);
	if (!in->payer_dfsp || !*in->payer_dfsp || strlen(in->payer_dfsp) > 32)
		return refuse(why, -EINVAL, "invalid", "payer_dfsp", "must be an FSP id");
	if (!valid_msisdn(in->payer_msisdn))
		return refuse(why, -EINVAL, "invalid", "payer_msisdn",
			      "must be an E.164 number: 6 to 15 digits without '+'");
	if (!in->till || !merchant_id_valid(in->till, (int)strlen(in->till)) || strlen(in->till) < 4 ||
	    strlen(in->till) > 19)
		return refuse(why, -EINVAL, "invalid", "till",
			      "must be a till number: 4 to 19 digits with a valid check digit");
	if (in->amount <= 0)
		return refuse(why, -EINVAL, "invalid", "amount", "must be more than 0");
	if (in->currency && strcmp(in->currency, p->currency) != 0)
		return refuse(why, -EINVAL, "currency", "currency", "payments are in %s", p->currency);
	if ((unsigned)in->channel > PAY_CH_API || (in->mode != PAY_MODE_ONLINE &&
						       in->mode != PAY_MODE_OFFLINE))
		return refuse(why, -EINVAL, "invalid", "channel", "unknown channel or mode");
	if (!in->actor || !*in->actor || !in->role || !*in->role)
		return refuse(why, -EINVAL, "invalid", "actor", "an actor and a role are needed");

	char hex[65], req[65], amount[24];
	const char *idp[] = { in->idem_scope, in->idem_key };
	snprintf(amount, sizeof amount, "%lld", (long long)in->amount);
	const char *rqp[] = { in->payer_dfsp, in->payer_msisdn, in->till, amount, p->currency };
	int rc;
	if ((rc = pay_parts_sha256(idp, 2, hex)) < 0 || (rc = pay_parts_sha256(rqp, 5, req)) < 0)
		return rc;
	char id[PAY_ID_MAX];
	snprintf(id, sizeof id, "P%.24s", hex);

	if ((rc = db_begin(p->db)) < 0)
		return rc;
	rc = accept_tx(p, in, id, req, out, why);
	int erc = db_end(p->db, rc == 1 ? 0 : rc); /* a replay commits nothing new */
	if (erc < 0)
		rc = erc;
	if (rc == 0)
		LOGI(LC_PAY, "payment accepted", "id=%s channel=%s payer_dfsp=%s till=%s amount=%lld",
		     id, pay_channel_name(in->channel), in->payer_dfsp, in->till, (long long)in->amount);
	else if (rc < 0 && why && why->code[0])
		LOGI(LC_PAY, "payment refused", "id=%s code=%s field=%s", id, why->code, why->field);
	return rc;
}

/* ---- payments received through the switch ---- */

static int incoming_tx(struct pay *p, const struct pay_incoming *in, const char *id,
		       const char *req, struct pay_rec *out, char *err, size_t errlen)
{
	struct pay_rec r;
	char have_req[65];
	int rc = get(p, NULL, id, &r, have_req);
	if (rc == 0) {
		if (strcmp(have_req, req) != 0) {
			snprintf(err, errlen, "transfer_id: %s was recorded for another payment (%s)",
				 in->transfer_id, id);
			return -EEXIST;
		}
		if (out)
			*out = r;
		return 1;
	}
	if (rc != -ENOENT)
		return rc;
	sqlite3_stmt *s = p->st[P_MERCHANT];
	if ((rc = db_bind_text(s, ":merchant_id", in->merchant_id)) < 0)
		return rc;
	if ((rc = db_step(s)) < 0)
		return rc;
	char mdfsp[33] = "";
	if (rc == 1) {
		copy_col(s, 4, mdfsp, sizeof mdfsp);
		db_reset(s);
	}
	if (strcmp(mdfsp, in->payee_dfsp) != 0) {
		snprintf(err, errlen, "merchant_id: no merchant %s at %s", in->merchant_id,
			 in->payee_dfsp);
		return -ENOENT;
	}
#define OPT(x) ((x) && *(x) ? (x) : NULL)
	s = p->st[P_INSERT_IN];
	if ((rc = db_bind_text(s, ":id", id)) < 0 || (rc = db_bind_text(s, ":req", req)) < 0 ||
	    (rc = db_bind_text(s, ":payee_dfsp", in->payee_dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", in->merchant_id)) < 0 ||
	    (rc = db_bind_text(s, ":till", OPT(in->till))) < 0 ||
	    (rc = db_bind_int64(s, ":amount", in->amount)) < 0 ||
	    (rc = db_bind_text(s, ":currency", in->currency)) < 0 ||
	    (rc = db_bind_text(s, ":tx", OPT(in->transaction_id))) < 0 ||
	    (rc = db_bind_text(s, ":quote", OPT(in->quote_id))) < 0 ||
	    (rc = db_bind_text(s, ":transfer", in->transfer_id)) < 0 ||
	    (rc = db_bind_text(s, ":payer_fsp", in->payer_fsp)) < 0 ||
	    (rc = db_bind_text(s, ":ptype", OPT(in->party_type))) < 0 ||
	    (rc = db_bind_text(s, ":pid", OPT(in->party_id))) < 0 ||
	    (rc = db_bind_text(s, ":pname", OPT(in->party_name))) < 0 || (rc = db_run(s)) < 0) {
		if (rc == -EINVAL)
			snprintf(err, errlen, "a value the payment table refuses (till, ids, party)");
		return rc;
	}
#undef OPT
	if ((rc = get(p, NULL, id, &r, NULL)) < 0)
		return rc;
	char *after = rec_audit_json(&r);
	if (!after)
		return -ENOMEM;
	rc = audit_append(p->db, in->payer_fsp, "system", in->payee_dfsp, "receive", "payment", id,
			  NULL, after);
	free(after);
	if (rc < 0)
		return rc;
	if ((rc = tell(p, &r)) < 0)
		return rc;
	if (out)
		*out = r;
	return 0;
}

int pay_record_incoming(struct pay *p, const struct pay_incoming *in, struct pay_rec *out,
			char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	const char *bad = !in ? "payment"
		: !in->payee_dfsp || !*in->payee_dfsp ? "payee_dfsp"
		: !in->merchant_id || !*in->merchant_id ? "merchant_id"
		: !in->payer_fsp || !*in->payer_fsp || strlen(in->payer_fsp) > 32 ? "payer_fsp"
		: !in->transfer_id || strlen(in->transfer_id) != 36 ? "transfer_id"
		: in->amount <= 0 ? "amount"
		: !in->currency || strcmp(in->currency, p->currency) != 0 ? "currency"
		: (!in->party_type || !*in->party_type) != (!in->party_id || !*in->party_id)
			? "party_id" : NULL;
	if (bad) {
		snprintf(err, errlen, "%s: missing or invalid", bad);
		return -EINVAL;
	}
	char hex[65], req[65], amount[24];
	const char *idp[] = { "switch", in->transfer_id };
	snprintf(amount, sizeof amount, "%lld", (long long)in->amount);
	const char *rqp[] = { in->payer_fsp, in->payee_dfsp, in->merchant_id, amount, in->currency };
	int rc;
	if ((rc = pay_parts_sha256(idp, 2, hex)) < 0 || (rc = pay_parts_sha256(rqp, 5, req)) < 0)
		return rc;
	char id[PAY_ID_MAX];
	snprintf(id, sizeof id, "P%.24s", hex);
	if ((rc = db_begin(p->db)) < 0)
		return rc;
	rc = incoming_tx(p, in, id, req, out, err, errlen);
	int erc = db_end(p->db, rc == 1 ? 0 : rc);
	if (erc < 0)
		rc = erc;
	if (rc == 0)
		LOGI(LC_PAY, "payment received", "id=%s payer_fsp=%s payee_dfsp=%s merchant=%s "
		     "amount=%lld", id, in->payer_fsp, in->payee_dfsp, in->merchant_id,
		     (long long)in->amount);
	return rc;
}

/* ---- transitions ---- */

static int offline_tiers(struct pay *p, const struct pay_rec *r, const struct kyb_tier **ct,
			 const struct kyb_tier **mt);

/* The expiry of a payment accepted online that falls back to the queue
 * (the switch unreachable or silent): its creation plus the shorter
 * offline_max_age of the payer's and the merchant's tiers, as if it had
 * been accepted offline; 0 (never) for an unlimited age. */
static int fallback_expiry(struct pay *p, const struct pay_rec *r, int64_t *out)
{
	const struct kyb_tier *ct, *mt;
	*out = 0;
	int rc = offline_tiers(p, r, &ct, &mt);
	if (rc < 0)
		return rc;
	int64_t age = mt->limits.offline_max_age;
	if (ct->limits.offline_max_age < age)
		age = ct->limits.offline_max_age;
	if (age == KYB_UNLIMITED || age <= 0)
		return 0;
	sqlite3_stmt *s = p->st[P_CREATED_S];
	if ((rc = db_bind_text(s, ":id", r->id)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	int64_t created = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
	db_reset(s);
	if (created <= 0)
		return -ENOENT;
	*out = created + age;
	return 0;
}

static int transition_tx(struct pay *p, const char *id, enum pay_state to, enum pay_cause by,
			 const char *code, const char *reason, const struct pay_ids *ids,
			 int64_t next_at, int64_t expires_at, int64_t if_version, const char *actor,
			 const char *role, struct pay_rec *out, char *err, size_t errlen)
{
	struct pay_rec before, after;
	int rc = get(p, NULL, id, &before, NULL);
	if (rc < 0) {
		if (rc == -ENOENT)
			snprintf(err, errlen, "no payment %s", id);
		return rc;
	}
	if (if_version && before.version != if_version) {
		snprintf(err, errlen, "payment %s is at version %lld", id, (long long)before.version);
		return -ESTALE;
	}
	if (!pay_transition_allowed(before.state, to, by)) {
		snprintf(err, errlen, "payment %s is %s: the %s may not make it %s", id,
			 pay_state_name(before.state), pay_cause_name(by), pay_state_name(to));
		return -EPERM;
	}
	if (before.state == PAY_ACCEPTED && to == PAY_COMMITTED && !before.on_us) {
		/* Only money that never leaves the gateway commits without the switch. */
		snprintf(err, errlen, "payment %s is not on-us: only the forwarder may commit it", id);
		return -EPERM;
	}
	if (by == PAY_BY_OPERATOR && to == PAY_QUEUED && before.state == PAY_FAILED &&
	    !pay_code_retryable(before.fail_code)) {
		snprintf(err, errlen, "payment %s failed with %s, which is final: it cannot be retried",
			 id, before.fail_code);
		return -EPERM;
	}
	if (to == PAY_QUEUED && expires_at < 0 && before.expires_at == 0 && !before.on_us &&
	    before.channel != PAY_CH_SWITCH && (rc = fallback_expiry(p, &before, &expires_at)) < 0) {
		snprintf(err, errlen, "payment %s: its offline maximum age: %s", id, strerror(-rc));
		return rc;
	}
	sqlite3_stmt *s = p->st[P_SET_STATE];
	if ((rc = db_bind_text(s, ":state", pay_state_name(to))) < 0 ||
	    (rc = db_bind_text(s, ":code", to == PAY_FAILED ? code : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":reason", to == PAY_FAILED ? reason : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":tx", ids ? ids->transaction_id : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":quote", ids ? ids->quote_id : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":transfer", ids ? ids->transfer_id : NULL)) < 0 ||
	    (rc = db_bind_int64(s, ":inc", to == PAY_SENDING)) < 0 ||
	    (rc = db_bind_int64(s, ":next_at", next_at)) < 0 ||
	    (rc = db_bind_int64(s, ":expires_at", expires_at)) < 0 ||
	    (rc = db_bind_text(s, ":id", id)) < 0 ||
	    (rc = db_bind_int64(s, ":version", before.version)) < 0 || (rc = db_run(s)) < 0) {
		if (rc == -EINVAL)
			snprintf(err, errlen, "a value the payment table refuses (fail code: 1 to 31 "
				 "of a-z, 0-9, _; ids: 36 characters)");
		return rc;
	}
	if (db_changes(p->db) != 1) {
		snprintf(err, errlen, "payment %s changed meanwhile", id);
		return -ESTALE;
	}
	if ((rc = get(p, NULL, id, &after, NULL)) < 0)
		return rc;
	char *bj = rec_audit_json(&before), *aj = rec_audit_json(&after);
	rc = bj && aj ? audit_append(p->db, actor ? actor : "system", role ? role : "system",
				     audit_dfsp(&before), state_actions[to], "payment", id, bj, aj)
		      : -ENOMEM;
	free(bj);
	free(aj);
	if (rc < 0)
		return rc;
	if (pay_state_final(to) && (rc = tell(p, &after)) < 0)
		return rc;
	LOGI(LC_PAY, "payment state", "id=%s from=%s to=%s by=%s", id, pay_state_name(before.state),
	     pay_state_name(to), pay_cause_name(by));
	if (out)
		*out = after;
	return 0;
}

static int valid_code(const char *c)
{
	size_t n = c ? strlen(c) : 0;
	if (n < 1 || n > 31)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '_'))
			return 0;
	return 1;
}

static int transition(struct pay *p, const char *id, enum pay_state to, enum pay_cause by,
		      const char *code, const char *reason, const struct pay_ids *ids,
		      int64_t next_at, int64_t expires_at, int64_t if_version, const char *actor,
		      const char *role, struct pay_rec *out, char *err, size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	if (errlen)
		err[0] = 0;
	if (!id || (unsigned)to >= PAY__STATE_COUNT || (unsigned)by >= PAY__CAUSE_COUNT) {
		snprintf(err, errlen, "a payment id, a state and a cause are needed");
		return -EINVAL;
	}
	if (to == PAY_FAILED && !valid_code(code)) {
		snprintf(err, errlen, "fail code: 1 to 31 of a-z, 0-9, _");
		return -EINVAL;
	}
	if (reason && strlen(reason) >= PAY_REASON_MAX) {
		snprintf(err, errlen, "fail reason: at most %d bytes", PAY_REASON_MAX - 1);
		return -EINVAL;
	}
	int rc = db_begin(p->db);
	if (rc < 0)
		return rc;
	return db_end(p->db, transition_tx(p, id, to, by, code, reason, ids, next_at, expires_at,
					   if_version, actor, role, out, err, errlen));
}

int pay_transition(struct pay *p, const char *id, enum pay_state to, enum pay_cause by,
		   const char *fail_code, const char *fail_reason, const struct pay_ids *ids,
		   int64_t next_at, int64_t if_version, const char *actor, const char *role,
		   struct pay_rec *out, char *err, size_t errlen)
{
	return transition(p, id, to, by, fail_code, fail_reason, ids, next_at, -1, if_version, actor,
			  role, out, err, errlen);
}

int pay_cancel(struct pay *p, const char *id, const char *actor, struct pay_rec *out, char *err,
	       size_t errlen)
{
	return transition(p, id, PAY_FAILED, PAY_BY_OPERATOR, "cancelled", "cancelled by an operator",
			  NULL, -1, -1, 0, actor, "system", out, err, errlen);
}

int pay_retry(struct pay *p, const char *id, const char *actor, struct pay_rec *out, char *err,
	      size_t errlen)
{
	struct pay_rec r;
	int rc = pay_get(p, NULL, id, &r);
	if (rc < 0) {
		if (rc == -ENOENT && err)
			snprintf(err, errlen, "no payment %s", id ? id : "");
		return rc;
	}
	/* A new offline window from now, the smaller of the two tiers'. */
	int64_t now = (int64_t)time(NULL), expires_at = 0, age = KYB_UNLIMITED;
	sqlite3_stmt *s = p->st[P_MERCHANT];
	if ((rc = db_bind_text(s, ":merchant_id", r.merchant_id)) < 0)
		return rc;
	if ((rc = db_step(s)) == 1) {
		char tier[KYB_TIER_NAME_MAX];
		copy_col(s, 1, tier, sizeof tier);
		db_reset(s);
		const struct kyb_tier *t = kyb_tiers_find(p->tiers, KYB_PARTY_MERCHANT, tier);
		if (t)
			age = t->limits.offline_max_age;
	}
	if (age != KYB_UNLIMITED && age > 0)
		expires_at = now + age;
	return transition(p, id, PAY_QUEUED, PAY_BY_OPERATOR, NULL, NULL, NULL, now, expires_at,
			  r.version, actor, "system", out, err, errlen);
}

/* The tiers of a hosted payer's payment: the customer's and the
 * merchant's. 0, or -ENOENT when either is gone. */
static int offline_tiers(struct pay *p, const struct pay_rec *r, const struct kyb_tier **ct,
			 const struct kyb_tier **mt)
{
	int rc;
	sqlite3_stmt *s = p->st[P_CUSTOMER];
	if ((rc = db_bind_text(s, ":dfsp", r->payer_dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", r->payer_msisdn)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	char ctier[KYB_TIER_NAME_MAX], mtier[KYB_TIER_NAME_MAX];
	copy_col(s, 1, ctier, sizeof ctier);
	db_reset(s);
	s = p->st[P_MERCHANT];
	if ((rc = db_bind_text(s, ":merchant_id", r->merchant_id)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	copy_col(s, 1, mtier, sizeof mtier);
	db_reset(s);
	*ct = kyb_tiers_find(p->tiers, KYB_PARTY_CUSTOMER, ctier);
	*mt = kyb_tiers_find(p->tiers, KYB_PARTY_MERCHANT, mtier);
	return *ct && *mt ? 0 : -ENOENT;
}

/* The work of pay_offline_recheck() in the caller's transaction:
 * 0 within the limits, 1 over (why filled; the payment FAILED if
 * fail_over), or a negative errno. */
static int recheck_tx(struct pay *p, const char *id, int fail_over, struct pay_refusal *why,
		      struct pay_rec *out)
{
	struct pay_rec r;
	int rc = get(p, NULL, id, &r, NULL);
	if (rc < 0)
		return rc;
	if (out)
		*out = r;
	if (r.channel == PAY_CH_SWITCH || r.on_us || pay_state_final(r.state))
		return 0; /* nothing waits for the switch */
	const struct kyb_tier *ct, *mt;
	if ((rc = offline_tiers(p, &r, &ct, &mt)) < 0)
		return rc;
	time_t now = time(NULL);
	struct kyb_limit_usage cu, mu;
	if ((rc = usage(p, 1, r.payer_dfsp, r.payer_msisdn, now, &cu)) < 0 ||
	    (rc = usage(p, 0, r.payee_dfsp, r.merchant_id, now, &mu)) < 0)
		return rc;
	/* The usage counts this payment already (not void); check it as the
	 * one to add, as pay_accept() would have offline. */
	struct kyb_limit_usage *us[] = { &cu, &mu };
	for (size_t i = 0; i < 2; i++) {
		if (us[i]->day >= r.amount)
			us[i]->day -= r.amount;
		if (us[i]->month >= r.amount)
			us[i]->month -= r.amount;
		if (r.state == PAY_QUEUED && us[i]->offline_count > 0) {
			us[i]->offline_count--;
			us[i]->offline_exposure -= r.amount;
			if (us[i]->offline_count == 0)
				us[i]->offline_oldest_age = 0;
		}
	}
	rc = check_limit(p, ct, "customer", r.amount, &cu, KYB_LIMIT_OFFLINE, why);
	if (rc == 0)
		rc = check_limit(p, mt, "merchant", r.amount, &mu, KYB_LIMIT_OFFLINE, why);
	if (rc == 0)
		return 0;
	if (rc != -EPERM)
		return rc;
	if (fail_over && r.state == PAY_QUEUED) {
		char err[160], code[PAY_CODE_MAX];
		snprintf(code, sizeof code, "%s", why && why->code[0] ? why->code : "offline_limit");
		rc = transition_tx(p, id, PAY_FAILED, PAY_BY_FORWARDER, code,
				   why && why->msg[0] ? why->msg : "over the offline limits", NULL, -1,
				   -1, 0, NULL, NULL, out, err, sizeof err);
		if (rc < 0)
			return rc;
	}
	return 1;
}

int pay_offline_recheck(struct pay *p, const char *id, int fail_over, struct pay_refusal *why,
			struct pay_rec *out)
{
	struct pay_refusal local;
	if (!why)
		why = &local;
	memset(why, 0, sizeof *why);
	int rc = db_begin(p->db);
	if (rc < 0)
		return rc;
	int over = 0;
	rc = recheck_tx(p, id, fail_over, why, out);
	if (rc == 1) {
		over = 1;
		rc = 0; /* commits the move to FAILED, if any */
	}
	rc = db_end(p->db, rc);
	if (rc == 0 && over) {
		LOGI(LC_PAY, "over the offline limits", "id=%s code=%s failed=%d", id, why->code,
		     fail_over);
		return -EPERM;
	}
	return rc;
}

int pay_expire_due(struct pay *p, int64_t now)
{
	int n = 0, rc;
	for (;;) {
		sqlite3_stmt *s = p->st[P_DUE_EXPIRE];
		if ((rc = db_bind_int64(s, ":now", now)) < 0)
			return rc;
		if ((rc = db_step(s)) < 0)
			return rc;
		if (rc == 0)
			return n;
		char id[PAY_ID_MAX], err[160];
		copy_col(s, 0, id, sizeof id);
		db_reset(s);
		rc = transition(p, id, PAY_EXPIRED, PAY_BY_SWEEP, NULL, NULL, NULL, -1, -1, 0, "system",
				"system", NULL, err, sizeof err);
		if (rc < 0) {
			LOGE(LC_PAY, "cannot expire a payment", "id=%s error=\"%s\"", id,
			     err[0] ? err : strerror(-rc));
			return rc;
		}
		n++;
	}
}

/* ---- reads ---- */

json_t *pay_rec_json(const struct pay_rec *r)
{
	char amt[KYB_AMOUNT_MAX + 8];
	const char *num = qr_emv_ccy_num(r->currency);
	int exp = num ? qr_emv_ccy_exponent(num) : 0;
	if (kyb_limit_format(amt, sizeof amt, r->amount, r->currency, exp < 0 ? 0 : exp) < 0)
		amt[0] = 0;
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:b,s:I,s:s,s:s,s:I}",
			      "id", r->id, "state", pay_state_name(r->state), "channel",
			      pay_channel_name(r->channel), "payer_dfsp", r->payer_dfsp, "payer_msisdn",
			      r->payer_msisdn, "payee_dfsp", r->payee_dfsp, "merchant_id",
			      r->merchant_id, "till", r->till, "trading_name", r->trading_name,
			      "amount", (json_int_t)r->amount, "currency", r->currency,
			      "amount_display", amt, "on_us", r->on_us, "attempts",
			      (json_int_t)r->attempts, "created", r->created, "updated", r->updated,
			      "version", (json_int_t)r->version);
	if (!j)
		return NULL;
	json_object_set_new(j, "fail_code", r->fail_code[0] ? json_string(r->fail_code) : json_null());
	json_object_set_new(j, "fail_reason",
			    r->fail_reason[0] ? json_string(r->fail_reason) : json_null());
	json_object_set_new(j, "transfer_id",
			    r->transfer_id[0] ? json_string(r->transfer_id) : json_null());
	/* A payment received through the switch has no hosted payer. */
	static const struct { const char *key; size_t off; } opt[] = {
		{ "payer_dfsp", offsetof(struct pay_rec, payer_dfsp) },
		{ "payer_msisdn", offsetof(struct pay_rec, payer_msisdn) },
		{ "till", offsetof(struct pay_rec, till) },
		{ "payer_fsp", offsetof(struct pay_rec, payer_fsp) },
		{ "payer_party_type", offsetof(struct pay_rec, payer_party_type) },
		{ "payer_party_id", offsetof(struct pay_rec, payer_party_id) },
		{ "payer_name", offsetof(struct pay_rec, payer_name) },
	};
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
		const char *v = (const char *)r + opt[i].off;
		json_object_set_new(j, opt[i].key, v[0] ? json_string(v) : json_null());
	}
	if (r->expires_at > 0)
		json_object_set_new(j, "expires_at", json_integer(r->expires_at));
	else
		json_object_set_new(j, "expires_at", json_null());
	return j;
}

/* A date "YYYY-MM-DD" or a timestamp prefix of the stored form. */
static int valid_when(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t n = strlen(s);
	if (n < 10 || n > 24)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char f = form[i];
		if (f == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != f)
			return 0;
	}
	return 1;
}

static int valid_id(const char *s)
{
	if (strlen(s) != 25 || s[0] != 'P')
		return 0;
	for (int i = 1; i < 25; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int pay_list(struct pay *p, const struct pay_filter *f, struct pay_rec **items, size_t *n,
	     char next_cursor[PAY_CURSOR_MAX], char *err, size_t errlen)
{
	*items = NULL;
	*n = 0;
	next_cursor[0] = 0;
	int limit = f->limit ? f->limit : PAY_LIST_DEFAULT;
	if (limit < 1 || limit > PAY_LIST_MAX) {
		snprintf(err, errlen, "limit: 1 to %d", PAY_LIST_MAX);
		return -EINVAL;
	}
	if (f->state >= PAY__STATE_COUNT || f->state < -1) {
		snprintf(err, errlen, "state: one of ACCEPTED, QUEUED, SENDING, COMMITTED, FAILED, "
			 "EXPIRED, RECONCILING");
		return -EINVAL;
	}
	if ((f->from && !valid_when(f->from)) || (f->to && !valid_when(f->to))) {
		snprintf(err, errlen, "%s: a date (2026-11-28) or a UTC timestamp "
			 "(2026-11-28T10:15:02.123Z)", f->from && !valid_when(f->from) ? "from" : "to");
		return -EINVAL;
	}
	if (f->cursor && !valid_id(f->cursor)) {
		snprintf(err, errlen, "cursor: not one this API gave");
		return -EINVAL;
	}
	struct pay_rec *a = calloc((size_t)limit + 1, sizeof *a);
	if (!a)
		return -ENOMEM;
	sqlite3_stmt *s = p->st[P_LIST];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", f->dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":state", f->state >= 0 ? pay_state_name(f->state) : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", f->merchant_id)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", f->msisdn)) < 0 ||
	    (rc = db_bind_text(s, ":from", f->from)) < 0 || (rc = db_bind_text(s, ":to", f->to)) < 0 ||
	    (rc = db_bind_text(s, ":cursor", f->cursor)) < 0 ||
	    (rc = db_bind_int64(s, ":limit", limit + 1)) < 0) {
		free(a);
		return rc;
	}
	size_t k = 0;
	while ((rc = db_step(s)) == 1)
		read_rec(s, &a[k++], NULL);
	if (rc < 0) {
		free(a);
		return rc;
	}
	if (k > (size_t)limit) {
		k = (size_t)limit;
		snprintf(next_cursor, PAY_CURSOR_MAX, "%s", a[k - 1].id);
	}
	*items = a;
	*n = k;
	return 0;
}

int pay_takings(struct pay *p, const char *dfsp, const char *merchant_id, const char *day,
		struct pay_takings *t)
{
	char from[11], to[11];
	memset(t, 0, sizeof *t);
	if (day) {
		struct tm tm = { 0 };
		if (strlen(day) != 10 || !valid_when(day) ||
		    sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
			return -EINVAL;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		time_t d = timegm(&tm);
		utc_day(d, 0, from, NULL);
		utc_day(d, 1, to, NULL);
	} else {
		time_t now = time(NULL);
		utc_day(now, 0, from, NULL);
		utc_day(now, 1, to, NULL);
	}
	sqlite3_stmt *s = p->st[P_TAKINGS];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", merchant_id)) < 0 ||
	    (rc = db_bind_text(s, ":from", from)) < 0 || (rc = db_bind_text(s, ":to", to)) < 0)
		return rc;
	if ((rc = db_step(s)) <= 0)
		return rc < 0 ? rc : -EIO;
	t->committed_count = sqlite3_column_int64(s, 0);
	t->committed_total = sqlite3_column_int64(s, 1);
	t->queued_count = sqlite3_column_int64(s, 2);
	t->queued_total = sqlite3_column_int64(s, 3);
	db_reset(s);
	return 0;
}

int pay_last(struct pay *p, const char *dfsp, const char *merchant_id, struct pay_rec *out, int cap)
{
	if (cap <= 0)
		return 0;
	sqlite3_stmt *s = p->st[P_LAST];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", merchant_id)) < 0 ||
	    (rc = db_bind_int64(s, ":n", cap)) < 0)
		return rc;
	int k = 0;
	while (k < cap && (rc = db_step(s)) == 1)
		read_rec(s, &out[k++], NULL);
	if (rc < 0)
		return rc;
	db_reset(s);
	return k;
}

int pay_queue_stats(struct pay *p, int64_t now, struct pay_queue_stats *q)
{
	memset(q, 0, sizeof *q);
	sqlite3_stmt *s = p->st[P_COUNT_STATE];
	int rc;
	while ((rc = db_step(s)) == 1) {
		int st = pay_state_parse((const char *)sqlite3_column_text(s, 0));
		if (st >= 0)
			q->count[st] = sqlite3_column_int64(s, 1);
	}
	if (rc < 0)
		return rc;
	s = p->st[P_OLDEST];
	if ((rc = db_step(s)) < 0)
		return rc;
	if (rc == 1) {
		int64_t oldest = sqlite3_column_int64(s, 0);
		q->oldest_queued_age = oldest > 0 && now > oldest ? now - oldest : 0;
		db_reset(s);
	}
	return 0;
}

int pay_amount_parse(const char *s, size_t len, int exponent, int64_t *out, char *err, size_t errlen)
{
	char dummy[4];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	if (exponent < 0 || exponent > 4) {
		snprintf(err, errlen, "exponent %d: 0 to 4", exponent);
		return -1;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty at position 0");
		return -1;
	}
	if (len > 32) {
		snprintf(err, errlen, "longer than 32 characters at position 32");
		return -1;
	}
	int64_t v = 0;
	size_t i = 0;
	int digits = 0, decimals = -1;
	for (; i < len; i++) {
		char c = s[i];
		if (c == '.' && decimals < 0 && digits > 0) {
			if (exponent == 0) {
				snprintf(err, errlen, "'.' at position %zu: the currency has no decimals", i);
				return -1;
			}
			decimals = 0;
			continue;
		}
		if (c < '0' || c > '9') {
			snprintf(err, errlen, "not a digit at position %zu", i);
			return -1;
		}
		if (decimals >= 0 && ++decimals > exponent) {
			snprintf(err, errlen, "more than %d decimals at position %zu", exponent, i);
			return -1;
		}
		if (decimals < 0)
			digits++;
		v = v * 10 + (c - '0');
		if (v > 1000000000000000LL) {
			snprintf(err, errlen, "too large at position %zu", i);
			return -1;
		}
	}
	if (decimals == 0) {
		snprintf(err, errlen, "no digit after '.' at position %zu", len);
		return -1;
	}
	for (int k = decimals < 0 ? 0 : decimals; k < exponent; k++) {
		v *= 10;
		if (v > 1000000000000000LL) {
			snprintf(err, errlen, "too large at position %zu", len);
			return -1;
		}
	}
	*out = v;
	return (int)len;
}
