/* rtp.c -- request to pay: the record, its state table and the sweep
 * (see rtp.h). */
#include "gateway/rtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/audit.h"
#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/fspiop.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "kyb/kyb_check.h"
#include "kyb/kyb_limit.h"

/* ---- the table ---- */

#define B(s) (1u << (s))

/* For each event: the states it is allowed in, and the state it leads to. */
static const struct {
	const char *name;
	unsigned from;
	enum rtp_state to;
} events[RTP__EV_COUNT] = {
	[RTP_EV_PROMPT] = { "prompt", B(RTP_PENDING), RTP_PROMPTED },
	[RTP_EV_SENT] = { "sent", B(RTP_PENDING), RTP_SENT },
	[RTP_EV_PAY] = { "pay", B(RTP_PROMPTED) | B(RTP_SENT), RTP_PAYING },
	[RTP_EV_PAID] = { "paid", B(RTP_PROMPTED) | B(RTP_SENT) | B(RTP_PAYING), RTP_PAID },
	[RTP_EV_REFUSE] = { "refuse", B(RTP_PENDING) | B(RTP_PROMPTED) | B(RTP_SENT), RTP_REFUSED },
	[RTP_EV_FAIL] = { "fail", B(RTP_PENDING) | B(RTP_PROMPTED) | B(RTP_SENT) | B(RTP_PAYING),
			  RTP_FAILED },
	[RTP_EV_EXPIRE] = { "expire", B(RTP_PENDING) | B(RTP_PROMPTED) | B(RTP_SENT), RTP_EXPIRED },
};

static const char *const state_names[RTP__STATE_COUNT] = {
	"PENDING", "PROMPTED", "SENT", "PAYING", "PAID", "REFUSED", "FAILED", "EXPIRED",
};

const char *rtp_state_name(enum rtp_state s)
{
	return (unsigned)s < RTP__STATE_COUNT ? state_names[s] : "?";
}

int rtp_state_parse(const char *s)
{
	for (int i = 0; s && i < RTP__STATE_COUNT; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

const char *rtp_event_name(enum rtp_event e)
{
	return (unsigned)e < RTP__EV_COUNT ? events[e].name : "?";
}

int rtp_event_to(enum rtp_state from, enum rtp_event ev)
{
	if ((unsigned)from >= RTP__STATE_COUNT || (unsigned)ev >= RTP__EV_COUNT)
		return -1;
	return events[ev].from & B(from) ? (int)events[ev].to : -1;
}

int rtp_state_final(enum rtp_state s)
{
	return s == RTP_PAID || s == RTP_REFUSED || s == RTP_FAILED || s == RTP_EXPIRED;
}

/* ---- phone numbers ---- */

/* Country calling codes of the countries whose national numbers
 * kyb_check_phone() knows (they all drop a trunk '0'). */
static const struct {
	const char *country, *cc;
} calling[] = {
	{ "TZ", "255" }, { "KE", "254" }, { "UG", "256" }, { "RW", "250" }, { "GH", "233" },
	{ "NG", "234" }, { "ZM", "260" }, { "MW", "265" }, { "ZA", "27" },
};

int rtp_msisdn_normalise(const char *in, const char *country, const char *field,
			 char out[RTP_MSISDN_MAX], char *err, size_t errlen)
{
	char e164[RTP_MSISDN_MAX + 8];
	const char *f = field ? field : "msisdn";
	out[0] = '\0';
	if (!in || !*in) {
		snprintf(err, errlen, "%s: required", f);
		return -EINVAL;
	}
	size_t n = strlen(in);
	for (size_t i = in[0] == '+'; i < n; i++)
		if (in[i] < '0' || in[i] > '9') {
			snprintf(err, errlen, "%s: position %zu: expected a digit", f, i + 1);
			return -EINVAL;
		}
	if (n > RTP_MSISDN_MAX + 2) {
		snprintf(err, errlen, "%s: position %d: too long", f, RTP_MSISDN_MAX + 3);
		return -EINVAL;
	}
	if (in[0] == '+') {
		snprintf(e164, sizeof e164, "%s", in);
	} else if (in[0] == '0') {
		const char *cc = NULL;
		for (size_t i = 0; country && i < sizeof calling / sizeof calling[0]; i++)
			if (strcmp(country, calling[i].country) == 0)
				cc = calling[i].cc;
		if (!cc) {
			snprintf(err, errlen, "%s: position 1: a national number needs a known country; "
				 "give the number in E.164 (+ and the country code)", f);
			return -EINVAL;
		}
		snprintf(e164, sizeof e164, "+%s%s", cc, in + 1);
	} else {
		snprintf(e164, sizeof e164, "+%s", in);
	}
	struct kyb_check_bad bad;
	if (strlen(e164) >= RTP_MSISDN_MAX + 1) {
		snprintf(err, errlen, "%s: position %d: too long (at most 15 digits in E.164)", f,
			 RTP_MSISDN_MAX);
		return -EINVAL;
	}
	if (kyb_check_phone(f, e164, &bad) < 0) {
		snprintf(err, errlen, "%s", bad.msg);
		return -EINVAL;
	}
	size_t len = strlen(e164 + 1);
	memcpy(out, e164 + 1, len + 1); /* len < RTP_MSISDN_MAX, checked above */
	return 0;
}

/* ---- statements ---- */

#define COLS "q.id, q.state, q.channel, q.dfsp, q.merchant_id, q.till_number, m.trading_name, " \
	"q.payer_msisdn, q.payer_dfsp, q.payer_fsp, q.amount, q.currency, q.fail_code, "       \
	"q.payment_id, q.transaction_request_id, q.expires_at, q.created_by, q.created, "     \
	"q.updated, q.version, q.req_sha256, q.quote_id "                                     \
	"FROM payment_request q JOIN merchant m ON m.dfsp = q.dfsp AND m.merchant_id = q.merchant_id "

enum {
	Q_GET,
	Q_INSERT,
	Q_MERCHANT,
	Q_TILL,
	Q_FIRST_TILL,
	Q_SET,
	Q_DUE,
	Q_PAYING,
	Q_PAYMENT,
	Q_PROMPTED,
	Q_LIST,
	Q_BY_TXR,
	Q_BY_QUOTE,
	Q_SET_QUOTE,
	Q__COUNT
};

static const char *const rtp_sql[Q__COUNT] = {
	[Q_GET] = "SELECT " COLS "WHERE q.id = :id AND (:dfsp IS NULL OR q.dfsp = :dfsp)",
	[Q_INSERT] = "INSERT INTO payment_request (id, req_sha256, channel, dfsp, merchant_id, "
		     "till_number, payer_msisdn, payer_dfsp, amount, currency, state, expires_at, "
		     "created_by, transaction_request_id) VALUES (:id, :req, :channel, :dfsp, "
		     ":merchant_id, :till, :msisdn, :payer_dfsp, :amount, :currency, 'PENDING', "
		     ":expires_at, :actor, :txr)",
	[Q_MERCHANT] = "SELECT m.status, m.trading_name, coalesce(m.contact_phone, (SELECT o.phone "
		       "FROM owner o WHERE o.dfsp = m.dfsp AND o.merchant_id = m.merchant_id AND "
		       "o.phone IS NOT NULL ORDER BY o.id LIMIT 1)) FROM merchant m "
		       "WHERE m.dfsp = :dfsp AND m.merchant_id = :merchant_id",
	[Q_TILL] = "SELECT status FROM till WHERE till_number = :till AND dfsp = :dfsp "
		   "AND merchant_id = :merchant_id",
	[Q_FIRST_TILL] = "SELECT till_number FROM till WHERE dfsp = :dfsp AND merchant_id = "
			 ":merchant_id AND status = 'ACTIVE' ORDER BY created, till_number LIMIT 1",
	[Q_SET] = "UPDATE payment_request SET state = :state, fail_code = :code, "
		  "payment_id = coalesce(:payment, payment_id), payer_fsp = coalesce(:fsp, payer_fsp), "
		  "version = version + 1, "
		  "updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = :id AND version = :version",
	[Q_DUE] = "SELECT id FROM payment_request WHERE state IN ('PENDING', 'PROMPTED', 'SENT') "
		  "AND expires_at <= :now ORDER BY expires_at, id LIMIT 1",
	[Q_PAYING] = "SELECT q.id, p.state, p.fail_code FROM payment_request q JOIN payment p ON "
		     "p.id = q.payment_id WHERE q.state = 'PAYING' AND p.state IN ('COMMITTED', "
		     "'FAILED', 'EXPIRED') ORDER BY q.created, q.id LIMIT 1",
	[Q_PAYMENT] = "SELECT state FROM payment WHERE id = :id",
	[Q_PROMPTED] = "SELECT " COLS "WHERE q.payer_msisdn = :msisdn AND q.state = 'PROMPTED' "
		       "AND q.expires_at > :now ORDER BY q.created DESC, q.rowid DESC LIMIT 1",
	[Q_LIST] = "SELECT " COLS "WHERE (:dfsp IS NULL OR q.dfsp = :dfsp) "
		   "AND (:merchant_id IS NULL OR q.merchant_id = :merchant_id) "
		   "AND (:state IS NULL OR q.state = :state) "
		   "AND (:cursor IS NULL OR (q.created, q.rowid) < "
		   "(SELECT c.created, c.rowid FROM payment_request c WHERE c.id = :cursor)) "
		   "ORDER BY q.created DESC, q.rowid DESC LIMIT :limit",
	[Q_BY_TXR] = "SELECT q.id FROM payment_request q WHERE q.transaction_request_id = :txr",
	[Q_BY_QUOTE] = "SELECT q.id FROM payment_request q WHERE q.quote_id = :quote",
	[Q_SET_QUOTE] = "UPDATE payment_request SET quote_id = :quote, version = version + 1, "
			"updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = :id AND "
			"state = 'SENT' AND quote_id IS NULL",
};

struct rtp {
	struct db *db;
	sqlite3_stmt **st;
	struct cust *cust;
	struct outbox *outbox;
	char currency[4];
	int exponent;
	int64_t ttl_s;
};

int rtp_new(struct rtp **out, struct db *db, const struct rtp_opts *o, char *err, size_t errlen)
{
	*out = NULL;
	struct rtp *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = db_prepare_table(db, rtp_sql, Q__COUNT, &r->st, err, errlen);
	if (rc < 0) {
		free(r);
		return rc;
	}
	r->db = db;
	r->cust = o->cust;
	r->outbox = o->outbox;
	snprintf(r->currency, sizeof r->currency, "%s", o->currency ? o->currency : "TZS");
	r->exponent = o->exponent;
	r->ttl_s = o->ttl_s > 0 ? o->ttl_s : 300;
	*out = r;
	return 0;
}

void rtp_free(struct rtp *r)
{
	free(r);
}

void rtp_amount_text(const struct rtp *r, int64_t amount, char *out, size_t cap)
{
	char buf[KYB_AMOUNT_MAX];
	if (kyb_limit_format(buf, sizeof buf, amount, r->currency, r->exponent) < 0)
		snprintf(buf, sizeof buf, "%s %lld", r->currency, (long long)amount);
	snprintf(out, cap, "%s", buf);
}

static void copy_col(sqlite3_stmt *s, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

static void read_rec(sqlite3_stmt *s, struct rtp_rec *q, char req[65])
{
	char st[16];
	memset(q, 0, sizeof *q);
	copy_col(s, 0, q->id, sizeof q->id);
	copy_col(s, 1, st, sizeof st);
	q->state = (enum rtp_state)rtp_state_parse(st);
	copy_col(s, 2, st, sizeof st);
	q->channel = strcmp(st, "api") == 0 ? RTP_CH_API : RTP_CH_USSD;
	copy_col(s, 3, q->dfsp, sizeof q->dfsp);
	copy_col(s, 4, q->merchant_id, sizeof q->merchant_id);
	copy_col(s, 5, q->till, sizeof q->till);
	copy_col(s, 6, q->trading_name, sizeof q->trading_name);
	copy_col(s, 7, q->payer_msisdn, sizeof q->payer_msisdn);
	copy_col(s, 8, q->payer_dfsp, sizeof q->payer_dfsp);
	copy_col(s, 9, q->payer_fsp, sizeof q->payer_fsp);
	q->amount = sqlite3_column_int64(s, 10);
	copy_col(s, 11, q->currency, sizeof q->currency);
	copy_col(s, 12, q->fail_code, sizeof q->fail_code);
	copy_col(s, 13, q->payment_id, sizeof q->payment_id);
	copy_col(s, 14, q->transaction_request_id, sizeof q->transaction_request_id);
	q->expires_at = sqlite3_column_int64(s, 15);
	copy_col(s, 16, q->created_by, sizeof q->created_by);
	copy_col(s, 17, q->created, sizeof q->created);
	copy_col(s, 18, q->updated, sizeof q->updated);
	q->version = sqlite3_column_int64(s, 19);
	if (req)
		copy_col(s, 20, req, 65);
	copy_col(s, 21, q->quote_id, sizeof q->quote_id);
}

static int get(struct rtp *r, const char *dfsp, const char *id, struct rtp_rec *q, char req[65])
{
	sqlite3_stmt *s = r->st[Q_GET];
	int rc;
	if (!id)
		return -ENOENT;
	if ((rc = db_bind_text(s, ":id", id)) < 0 || (rc = db_bind_text(s, ":dfsp", dfsp)) < 0 ||
	    (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	read_rec(s, q, req);
	db_reset(s);
	return 0;
}

int rtp_get(struct rtp *r, const char *dfsp, const char *id, struct rtp_rec *out)
{
	struct rtp_rec q;
	int rc = get(r, dfsp, id, &q, NULL);
	if (rc == 0 && out)
		*out = q;
	return rc;
}

int rtp_prompted_for(struct rtp *r, const char *msisdn, int64_t now, struct rtp_rec *out)
{
	sqlite3_stmt *s = r->st[Q_PROMPTED];
	int rc;
	if ((rc = db_bind_text(s, ":msisdn", msisdn)) < 0 || (rc = db_bind_int64(s, ":now", now)) < 0 ||
	    (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	read_rec(s, out, NULL);
	db_reset(s);
	return 0;
}

static char *audit_json(const struct rtp_rec *q)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "state", rtp_state_name(q->state), "merchant",
			      q->merchant_id, "till", q->till, "payer_msisdn", q->payer_msisdn,
			      "amount", (json_int_t)q->amount, "currency", q->currency);
	if (!j)
		return NULL;
	if (q->fail_code[0])
		json_object_set_new(j, "fail_code", json_string(q->fail_code));
	if (q->payment_id[0])
		json_object_set_new(j, "payment_id", json_string(q->payment_id));
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
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

/* The payer's hosted DFSP into out ("" if none): the merchant's own when
 * the number is an ACTIVE customer of it, else the first. */
static int payer_dfsp(struct rtp *r, const char *msisdn, const char *merchant_dfsp, char out[33])
{
	struct cust_info all[CUST_MATCH_MAX];
	out[0] = '\0';
	int n = r->cust ? cust_by_msisdn(r->cust, msisdn, all, CUST_MATCH_MAX) : 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (all[i].status == CS_ACTIVE &&
		    (!out[0] || strcmp(all[i].dfsp, merchant_dfsp) == 0))
			snprintf(out, 33, "%s", all[i].dfsp);
	return 0;
}

static int create_tx(struct rtp *r, const struct rtp_in *in, const char *id, const char *till,
		     const char *req, const char *pdfsp, const char *txr, struct rtp_rec *out, char *err,
		     size_t errlen)
{
	struct rtp_rec q;
	char oreq[65];
	int rc = get(r, NULL, id, &q, oreq);
	if (rc == 0) {
		if (strcmp(oreq, req) != 0) {
			snprintf(err, errlen, "idempotency_key: already used for another request (%s)", id);
			return -EEXIST;
		}
		if (out)
			*out = q;
		return 1;
	}
	if (rc != -ENOENT)
		return rc;
	sqlite3_stmt *s = r->st[Q_INSERT];
	if ((rc = db_bind_text(s, ":id", id)) < 0 || (rc = db_bind_text(s, ":req", req)) < 0 ||
	    (rc = db_bind_text(s, ":channel", in->channel == RTP_CH_API ? "api" : "ussd")) < 0 ||
	    (rc = db_bind_text(s, ":dfsp", in->dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", in->merchant_id)) < 0 ||
	    (rc = db_bind_text(s, ":till", till)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", in->payer_msisdn)) < 0 ||
	    (rc = db_bind_text(s, ":payer_dfsp", pdfsp[0] ? pdfsp : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":txr", txr[0] ? txr : NULL)) < 0 ||
	    (rc = db_bind_int64(s, ":amount", in->amount)) < 0 ||
	    (rc = db_bind_text(s, ":currency", r->currency)) < 0 ||
	    (rc = db_bind_int64(s, ":expires_at", (int64_t)time(NULL) + r->ttl_s)) < 0 ||
	    (rc = db_bind_text(s, ":actor", in->actor)) < 0 || (rc = db_run(s)) < 0)
		return rc;
	if ((rc = get(r, NULL, id, &q, NULL)) < 0)
		return rc;
	char *aj = audit_json(&q);
	rc = aj ? audit_append(r->db, in->actor, in->role, in->dfsp, "create", "payment_request", id,
			       NULL, aj)
		: -ENOMEM;
	free(aj);
	if (rc == 0 && out)
		*out = q;
	return rc;
}

int rtp_create(struct rtp *r, const struct rtp_in *in, struct rtp_rec *out, char *err,
	       size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!in->idem_scope || !*in->idem_scope || !in->idem_key || !*in->idem_key ||
	    strlen(in->idem_key) > 255) {
		snprintf(err, errlen, "idempotency_key: 1 to 255 characters required");
		return -EINVAL;
	}
	if (!in->dfsp || !*in->dfsp || !in->merchant_id || !*in->merchant_id) {
		snprintf(err, errlen, "merchant_id: required");
		return -EINVAL;
	}
	size_t ml = in->payer_msisdn ? strlen(in->payer_msisdn) : 0;
	if (ml < 6 || ml > 15 || strspn(in->payer_msisdn, "0123456789") != ml ||
	    in->payer_msisdn[0] == '0') {
		snprintf(err, errlen, "payer_msisdn: E.164 digits expected");
		return -EINVAL;
	}
	if (in->amount <= 0 || in->amount > 1000000000000000LL) {
		snprintf(err, errlen, "amount: must be 1 to 10^15 minor units");
		return -EINVAL;
	}
	if (in->currency && strcmp(in->currency, r->currency) != 0) {
		snprintf(err, errlen, "currency: requests are in %s", r->currency);
		return -EINVAL;
	}
	if (!in->actor || !*in->actor || !in->role || !*in->role) {
		snprintf(err, errlen, "actor: required");
		return -EINVAL;
	}

	/* The merchant and the till. */
	sqlite3_stmt *s = r->st[Q_MERCHANT];
	char status[16], till[20];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", in->dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", in->merchant_id)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0) {
		snprintf(err, errlen, "merchant_id: no such merchant");
		return -ENOENT;
	}
	copy_col(s, 0, status, sizeof status);
	db_reset(s);
	if (strcmp(status, "APPROVED") != 0) {
		snprintf(err, errlen, "merchant_id: the merchant is %s, not APPROVED", status);
		return -EPERM;
	}
	if (in->till && *in->till) {
		s = r->st[Q_TILL];
		if (strlen(in->till) >= sizeof till) {
			snprintf(err, errlen, "till: no such till of the merchant");
			return -ENOENT;
		}
		if ((rc = db_bind_text(s, ":till", in->till)) < 0 ||
		    (rc = db_bind_text(s, ":dfsp", in->dfsp)) < 0 ||
		    (rc = db_bind_text(s, ":merchant_id", in->merchant_id)) < 0 || (rc = db_step(s)) < 0)
			return rc;
		if (rc == 0) {
			snprintf(err, errlen, "till: no such till of the merchant");
			return -ENOENT;
		}
		copy_col(s, 0, status, sizeof status);
		db_reset(s);
		if (strcmp(status, "ACTIVE") != 0) {
			snprintf(err, errlen, "till: the till is %s", status);
			return -EPERM;
		}
		snprintf(till, sizeof till, "%s", in->till);
	} else {
		s = r->st[Q_FIRST_TILL];
		if ((rc = db_bind_text(s, ":dfsp", in->dfsp)) < 0 ||
		    (rc = db_bind_text(s, ":merchant_id", in->merchant_id)) < 0 || (rc = db_step(s)) < 0)
			return rc;
		if (rc == 0) {
			snprintf(err, errlen, "till: the merchant has no ACTIVE till");
			return -EPERM;
		}
		copy_col(s, 0, till, sizeof till);
		db_reset(s);
	}
	char pdfsp[33];
	if ((rc = payer_dfsp(r, in->payer_msisdn, in->dfsp, pdfsp)) < 0)
		return rc;
	char txr[37] = "";
	if (!pdfsp[0] && !in->remote_ok) {
		snprintf(err, errlen, "payer_msisdn: not an active customer of a DFSP hosted here");
		return -ENOENT;
	}

	char hex[65], req[65], amount[24];
	snprintf(amount, sizeof amount, "%lld", (long long)in->amount);
	const char *idp[] = { in->idem_scope, in->idem_key };
	const char *rqp[] = { in->dfsp, in->merchant_id, till, in->payer_msisdn, amount, r->currency };
	if ((rc = pay_parts_sha256(idp, 2, hex)) < 0 || (rc = pay_parts_sha256(rqp, 6, req)) < 0)
		return rc;
	char id[RTP_ID_MAX];
	snprintf(id, sizeof id, "R%.24s", hex);
	if (!pdfsp[0] && fspiop_uuid_new(txr) < 0)
		return -EIO;
	if ((rc = db_begin(r->db)) < 0)
		return rc;
	rc = create_tx(r, in, id, till, req, pdfsp, txr, out, err, errlen);
	int erc = db_end(r->db, rc == 1 ? 0 : rc);
	if (erc < 0)
		rc = erc;
	if (rc == 0)
		LOGI(LC_PAY, "payment request", "id=%s merchant=%s till=%s payer_dfsp=%s amount=%lld",
		     id, in->merchant_id, till, pdfsp, (long long)in->amount);
	return rc;
}

/* The merchant's SMS of a request that ended unpaid. */
static int tell_merchant(struct rtp *r, const struct rtp_rec *q)
{
	sqlite3_stmt *s = r->st[Q_MERCHANT];
	char phone[20], amt[KYB_AMOUNT_MAX], text[320];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", q->dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", q->merchant_id)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	copy_col(s, 2, phone, sizeof phone);
	db_reset(s);
	if (!phone[0]) {
		LOGW(LC_PAY, "merchant has no phone: no SMS", "id=%s merchant=%s", q->id, q->merchant_id);
		return 0;
	}
	char masked[RTP_MSISDN_MAX];
	size_t n = strlen(q->payer_msisdn);
	snprintf(masked, sizeof masked, "%.4s****%s", q->payer_msisdn, n > 7 ? q->payer_msisdn + n - 3 : "");
	rtp_amount_text(r, q->amount, amt, sizeof amt);
	const char *what = q->state == RTP_REFUSED ? "was refused by the customer"
			   : q->state == RTP_EXPIRED ? "expired without an answer"
						     : "failed";
	if (q->state == RTP_FAILED)
		snprintf(text, sizeof text, "Your request of %s to %s failed (%s): not paid. Ref %s",
			 amt, masked, q->fail_code, q->id);
	else
		snprintf(text, sizeof text, "Your request of %s to %s %s: not paid. Ref %s", amt,
			 masked, what, q->id);
	return outbox_sms(r->outbox, q->dfsp, phone, text, q->id, NULL);
}

static int apply_tx(struct rtp *r, const char *id, enum rtp_event ev, const char *code,
		    const char *payment_id, const char *fsp, const char *actor, const char *role,
		    struct rtp_rec *out, char *err, size_t errlen)
{
	struct rtp_rec before, after;
	int rc = get(r, NULL, id, &before, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "no payment request %s", id);
		return rc;
	}
	int to = rtp_event_to(before.state, ev);
	if (to < 0) {
		snprintf(err, errlen, "payment request %s is %s: %s is not allowed", id,
			 rtp_state_name(before.state), rtp_event_name(ev));
		return -EPERM;
	}
	if ((to == RTP_PAYING || to == RTP_PAID) && !before.payment_id[0] &&
	    !before.transaction_request_id[0] && !(payment_id && *payment_id)) {
		snprintf(err, errlen, "payment_id: required to %s", rtp_event_name(ev));
		return -EINVAL;
	}
	sqlite3_stmt *s = r->st[Q_SET];
	int failed = to == RTP_FAILED || to == RTP_REFUSED || to == RTP_EXPIRED;
	if ((rc = db_bind_text(s, ":state", rtp_state_name((enum rtp_state)to))) < 0 ||
	    (rc = db_bind_text(s, ":code", failed ? code : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":payment", payment_id && *payment_id ? payment_id : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":fsp", fsp && *fsp ? fsp : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":id", id)) < 0 ||
	    (rc = db_bind_int64(s, ":version", before.version)) < 0 || (rc = db_run(s)) < 0) {
		if (rc == -EINVAL)
			snprintf(err, errlen, "payment_id: no such payment");
		return rc;
	}
	if (db_changes(r->db) != 1) {
		snprintf(err, errlen, "payment request %s changed meanwhile", id);
		return -ESTALE;
	}
	if ((rc = get(r, NULL, id, &after, NULL)) < 0)
		return rc;
	char *bj = audit_json(&before), *aj = audit_json(&after);
	rc = bj && aj ? audit_append(r->db, actor ? actor : "system", role ? role : "system", before.dfsp,
				     rtp_event_name(ev), "payment_request", id, bj, aj)
		      : -ENOMEM;
	free(bj);
	free(aj);
	if (rc < 0)
		return rc;
	if (failed && (rc = tell_merchant(r, &after)) < 0)
		return rc;
	LOGI(LC_PAY, "payment request state", "id=%s from=%s to=%s event=%s", id,
	     rtp_state_name(before.state), rtp_state_name(after.state), rtp_event_name(ev));
	if (out)
		*out = after;
	return 0;
}

static int apply(struct rtp *r, const char *id, enum rtp_event ev, const char *fail_code,
		 const char *payment_id, const char *fsp, const char *actor, const char *role,
		 struct rtp_rec *out, char *err, size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!id || (unsigned)ev >= RTP__EV_COUNT) {
		snprintf(err, errlen, "a request id and an event are needed");
		return -EINVAL;
	}
	if ((ev == RTP_EV_FAIL || ev == RTP_EV_REFUSE || ev == RTP_EV_EXPIRE) && !valid_code(fail_code)) {
		snprintf(err, errlen, "fail_code: 1 to 31 of a-z, 0-9, _");
		return -EINVAL;
	}
	int rc = db_begin(r->db);
	if (rc < 0)
		return rc;
	return db_end(r->db,
		      apply_tx(r, id, ev, fail_code, payment_id, fsp, actor, role, out, err, errlen));
}

int rtp_apply(struct rtp *r, const char *id, enum rtp_event ev, const char *fail_code,
	      const char *payment_id, const char *actor, const char *role, struct rtp_rec *out,
	      char *err, size_t errlen)
{
	return apply(r, id, ev, fail_code, payment_id, NULL, actor, role, out, err, errlen);
}

int rtp_apply_fsp(struct rtp *r, const char *id, enum rtp_event ev, const char *fail_code,
		  const char *payer_fsp, struct rtp_rec *out, char *err, size_t errlen)
{
	if (payer_fsp && !fspiop_fsp_id_ok(payer_fsp)) {
		snprintf(err, errlen, "payer_fsp: 1-32 characters");
		return -EINVAL;
	}
	return apply(r, id, ev, fail_code, NULL, payer_fsp, "system", "system", out, err, errlen);
}

/* The id of the request found by st (bound to key at name), into id. */
static int find_id(sqlite3_stmt *st, const char *name, const char *key, char id[RTP_ID_MAX])
{
	int rc;
	if (!key || !*key)
		return -ENOENT;
	if ((rc = db_bind_text(st, name, key)) < 0 || (rc = db_step(st)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	copy_col(st, 0, id, RTP_ID_MAX);
	db_reset(st);
	return 0;
}

int rtp_on_quote(struct rtp *r, const char *txr, const char *quote_id, const char *payer_fsp,
		 const char *merchant_id)
{
	char id[RTP_ID_MAX];
	struct rtp_rec q;
	int rc = find_id(r->st[Q_BY_TXR], ":txr", txr, id);
	if (rc < 0)
		return rc;
	if ((rc = get(r, NULL, id, &q, NULL)) < 0)
		return rc;
	/* Only the FSP it was sent to may answer it, for its merchant. */
	if (q.state != RTP_SENT || strcmp(q.payer_fsp, payer_fsp ? payer_fsp : "") != 0 ||
	    strcmp(q.merchant_id, merchant_id ? merchant_id : "") != 0 || q.quote_id[0]) {
		LOGN(LC_PAY, "quote names a request it may not answer", "id=%s quote=%s state=%s "
		     "payer_fsp=%s", id, quote_id, rtp_state_name(q.state), payer_fsp ? payer_fsp : "-");
		return -ENOENT;
	}
	if ((rc = db_begin(r->db)) < 0)
		return rc;
	sqlite3_stmt *s = r->st[Q_SET_QUOTE];
	if ((rc = db_bind_text(s, ":quote", quote_id)) == 0 && (rc = db_bind_text(s, ":id", id)) == 0 &&
	    (rc = db_run(s)) == 0 && db_changes(r->db) != 1)
		rc = -ESTALE;
	if (rc == 0) {
		char before[64], after[120];
		snprintf(before, sizeof before, "{\"state\":\"SENT\"}");
		snprintf(after, sizeof after, "{\"quote_id\":\"%s\",\"state\":\"SENT\"}", quote_id);
		rc = audit_append(r->db, payer_fsp, "system", q.dfsp, "quote", "payment_request", id,
				  before, after);
	}
	rc = db_end(r->db, rc);
	if (rc == 0)
		LOGI(LC_PAY, "payment request quoted", "id=%s quote=%s payer_fsp=%s", id, quote_id,
		     payer_fsp);
	return rc;
}

int rtp_on_transfer(struct rtp *r, const char *quote_id, const char *payment_id)
{
	char id[RTP_ID_MAX], err[RTP_ERR_MAX];
	int rc = find_id(r->st[Q_BY_QUOTE], ":quote", quote_id, id);
	if (rc < 0)
		return rc;
	rc = apply(r, id, RTP_EV_PAID, NULL, payment_id, NULL, "system", "system", NULL, err,
		   sizeof err);
	if (rc < 0)
		LOGW(LC_PAY, "payment request not marked paid", "id=%s payment=%s error=\"%s\"", id,
		     payment_id, err);
	return rc;
}

int rtp_sweep(struct rtp *r, int64_t now)
{
	int n = 0, rc;
	char id[RTP_ID_MAX], pstate[16], pcode[RTP_CODE_MAX], err[RTP_ERR_MAX];
	for (;;) { /* expiry */
		sqlite3_stmt *s = r->st[Q_DUE];
		if ((rc = db_bind_int64(s, ":now", now)) < 0 || (rc = db_step(s)) < 0)
			return rc;
		if (rc == 0)
			break;
		copy_col(s, 0, id, sizeof id);
		db_reset(s);
		if ((rc = rtp_apply(r, id, RTP_EV_EXPIRE, "expired", NULL, NULL, NULL, NULL, err,
				    sizeof err)) < 0) {
			LOGE(LC_PAY, "cannot expire a payment request", "id=%s error=\"%s\"", id, err);
			return rc;
		}
		n++;
	}
	for (;;) { /* requests whose payment has ended */
		sqlite3_stmt *s = r->st[Q_PAYING];
		if ((rc = db_step(s)) < 0)
			return rc;
		if (rc == 0)
			break;
		copy_col(s, 0, id, sizeof id);
		copy_col(s, 1, pstate, sizeof pstate);
		copy_col(s, 2, pcode, sizeof pcode);
		db_reset(s);
		int paid = strcmp(pstate, "COMMITTED") == 0;
		rc = rtp_apply(r, id, paid ? RTP_EV_PAID : RTP_EV_FAIL,
			       paid ? NULL : pcode[0] ? pcode : "payment_expired", NULL, NULL, NULL, NULL,
			       err, sizeof err);
		if (rc < 0) {
			LOGE(LC_PAY, "cannot settle a payment request", "id=%s error=\"%s\"", id, err);
			return rc;
		}
		n++;
	}
	return n;
}

int rtp_list(struct rtp *r, const char *dfsp, const char *merchant_id, int state,
	     const char *cursor, int limit, struct rtp_rec **items, size_t *n, char next[RTP_ID_MAX])
{
	*items = NULL;
	*n = 0;
	next[0] = '\0';
	if (limit == 0)
		limit = RTP_LIST_DEFAULT;
	if (limit < 1 || limit > RTP_LIST_MAX || (state >= RTP__STATE_COUNT))
		return -EINVAL;
	if (cursor && *cursor) {
		struct rtp_rec c;
		if (get(r, dfsp, cursor, &c, NULL) < 0)
			return -EINVAL;
	}
	struct rtp_rec *v = calloc((size_t)limit + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	sqlite3_stmt *s = r->st[Q_LIST];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":merchant_id", merchant_id && *merchant_id ? merchant_id : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":state", state >= 0 ? rtp_state_name((enum rtp_state)state) : NULL)) < 0 ||
	    (rc = db_bind_text(s, ":cursor", cursor && *cursor ? cursor : NULL)) < 0 ||
	    (rc = db_bind_int64(s, ":limit", limit + 1)) < 0) {
		free(v);
		return rc;
	}
	size_t k = 0;
	while ((rc = db_step(s)) == 1)
		read_rec(s, &v[k++], NULL);
	if (rc < 0) {
		free(v);
		return rc;
	}
	if (k > (size_t)limit) {
		k = (size_t)limit;
		snprintf(next, RTP_ID_MAX, "%s", v[k - 1].id);
	}
	*items = v;
	*n = k;
	return 0;
}

json_t *rtp_rec_json(const struct rtp_rec *q)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:I}", "id", q->id,
			      "state", rtp_state_name(q->state), "channel",
			      q->channel == RTP_CH_API ? "api" : "ussd", "dfsp", q->dfsp, "merchant_id",
			      q->merchant_id, "till", q->till, "trading_name", q->trading_name,
			      "payer_msisdn", q->payer_msisdn, "amount", (json_int_t)q->amount,
			      "currency", q->currency, "created", q->created, "updated", q->updated,
			      "version", (json_int_t)q->version);
	if (!j)
		return NULL;
	static const struct {
		const char *key;
		size_t off;
	} opt[] = {
		{ "payer_dfsp", offsetof(struct rtp_rec, payer_dfsp) },
		{ "payer_fsp", offsetof(struct rtp_rec, payer_fsp) },
		{ "fail_code", offsetof(struct rtp_rec, fail_code) },
		{ "payment_id", offsetof(struct rtp_rec, payment_id) },
		{ "transaction_request_id", offsetof(struct rtp_rec, transaction_request_id) },
		{ "quote_id", offsetof(struct rtp_rec, quote_id) },
	};
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
		const char *v = (const char *)q + opt[i].off;
		json_object_set_new(j, opt[i].key, *v ? json_string(v) : json_null());
	}
	char when[32];
	time_t t = (time_t)q->expires_at;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(j, "expires", json_string(when));
	char amt[KYB_AMOUNT_MAX];
	/* The display form needs the currency's exponent: 2 for the
	 * currencies Tillgate runs in (TZS, KES, ...). */
	if (kyb_limit_format(amt, sizeof amt, q->amount, q->currency, 2) >= 0)
		json_object_set_new(j, "amount_display", json_string(amt));
	return j;
}
