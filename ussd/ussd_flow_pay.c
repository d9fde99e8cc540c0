/* ussd_flow_pay.c -- "Pay merchant": a customer pays a merchant by till
 * number over USSD:
 *
 *   till number (Luhn check digit verified before any lookup) -> the
 *   merchant's trading name shown with the amount question -> amount
 *   [-> which account, if the phone is a customer of several DFSPs]
 *   -> "Pay TZS 5,000.00 to MAMA JUMA SHOP? Enter PIN" -> result
 *
 * The direct string *384*TILL*AMOUNT# opens this flow with TILL and
 * AMOUNT as its first answers (ussd_direct_flow, ussd/ussd_menu.h), so it
 * lands on the PIN screen at once. The PIN is checked with
 * cust_verify_pin() (wrong tries count; the third in a row locks), then
 * pay_accept() records the payment; the result screen says "Paid, ref X"
 * (committed: on-us), "Accepted, ref X: ..." (queued for the switch), or
 * names the limit that refused it. A payment sent online is answered
 * later (ussd_later(), ussd/ussd_menu.h): the flow watches the forwarder
 * (fwd_watch()) and answers with its outcome, or with what is known when
 * [switch] answer_budget_ms is spent. See docs/ussd.md "Pay merchant".
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "gateway/auth.h"
#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/pay.h"
#include "gateway/pin.h"
#include "kyb/kyb_check.h"
#include "kyb/kyb_limit.h"
#include "qr/qr_emv.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"

enum {
	PAY_TILL,
	PAY_AMOUNT,
	PAY_PICK,
	PAY_CONFIRM,
	PAY__COUNT
};

struct pay_scratch {
	struct ussd_pay_wait wait;    /* first: the payment's answer */
	char till[20];
	char name[PAY_NAME_MAX];
	int64_t amount;               /* minor units */
	char dfsp[CUST_DFSP_MAX];     /* the payer's DFSP */
	char key[48];                 /* the payment's idempotency key */
};

_Static_assert(sizeof(struct pay_scratch) <= USSD_SCRATCH_MAX, "pay scratch");
_Static_assert(offsetof(struct pay_scratch, wait) == 0, "the wait first");

enum { Q_TILL, Q__COUNT };

static const char *const pay_sql[Q__COUNT] = {
	[Q_TILL] = "SELECT t.status, m.status, m.trading_name FROM till t JOIN merchant m ON "
		"m.dfsp = t.dfsp AND m.merchant_id = t.merchant_id WHERE t.till_number = :till",
};

/* The currency's minor-unit digits (ISO 4217), 2 if unknown. */
static int exponent_of(const char *ccy)
{
	const char *num = qr_emv_ccy_num(ccy);
	int e = num ? qr_emv_ccy_exponent(num) : -1;
	return e < 0 ? 2 : e;
}

static void fmt_amount(struct ussd_ctx *c, int64_t amount, char out[KYB_AMOUNT_MAX])
{
	const char *ccy = ussd_ctx_gw(c)->cfg.gateway_currency;
	if (kyb_limit_format(out, KYB_AMOUNT_MAX, amount, ccy, exponent_of(ccy)) < 0)
		snprintf(out, KYB_AMOUNT_MAX, "%s %lld", ccy, (long long)amount);
}

const char *ussd_flow_amount(const char *in, int exponent, int64_t *out, int *pos)
{
	int64_t v = 0;
	int digits = 0, decimals = -1;
	const char *comma = NULL;
	*pos = -1;
	for (const char *p = in; *p; p++) {
		*pos = (int)(p - in);
		if (*p >= '0' && *p <= '9') {
			if (decimals >= 0 && ++decimals > exponent)
				return "pay.amount_decimals";
			if (v > 100000000000000LL)
				return "pay.amount_big";
			v = v * 10 + (*p - '0');
			digits++;
		} else if (*p == '.' && decimals < 0 && digits && exponent > 0) {
			decimals = 0;
		} else if (*p == ',' && decimals < 0 && digits && !comma && digits <= 3) {
			comma = p; /* thousands: "5,000" or "12,500.50", three digits after it */
		} else {
			return "pay.amount_form";
		}
	}
	*pos = (int)strlen(in);
	if (!digits || decimals == 0)
		return "pay.amount_form";
	if (comma) {
		const char *dot = strchr(comma, '.');
		size_t group = dot ? (size_t)(dot - comma - 1) : strlen(comma + 1);
		if (group != 3) {
			*pos = (int)(comma - in);
			return "pay.amount_form";
		}
	}
	*pos = -1;
	for (int i = decimals < 0 ? 0 : decimals; i < exponent; i++) {
		if (v > USSD_AMOUNT_MAX / 10)
			return "pay.amount_big"; /* before the product could overflow */
		v *= 10;
	}
	if (v == 0)
		return "pay.amount_zero";
	if (v > USSD_AMOUNT_MAX)
		return "pay.amount_big";
	*out = v;
	return NULL;
}

/* The caller's customer records that can pay (ACTIVE), into out (cap);
 * *others gets how many are not ACTIVE (SUSPENDED, PENDING). Returns
 * the count or a negative errno. */
static int payers(struct ussd_ctx *c, struct cust_info *out, int cap, int *others)
{
	struct cust_info all[CUST_MATCH_MAX];
	struct gw *gw = ussd_ctx_gw(c);
	int n = gw->cust ? cust_by_msisdn(gw->cust, ussd_ctx_msisdn(c), all, CUST_MATCH_MAX) : 0, k = 0;
	*others = 0;
	for (int i = 0; i < n; i++) {
		if (all[i].status == CS_ACTIVE && k < cap)
			out[k++] = all[i];
		else
			++*others;
	}
	return n < 0 ? n : k;
}

static void dfsp_name(struct ussd_ctx *c, const char *dfsp, char *out, size_t n)
{
	struct auth_dfsp d;
	if (auth_dfsp_get(ussd_ctx_gw(c)->db, dfsp, &d) == 0)
		snprintf(out, n, "%s", d.name);
	else
		snprintf(out, n, "%s", dfsp);
}

/* ---- till ---- */

static int till_render(struct ussd_ctx *c)
{
	return ussd_say(c, "pay.ask_till", NULL, 0);
}

static int till_input(struct ussd_ctx *c, const char *in)
{
	struct pay_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	struct cust_info p[CUST_MATCH_MAX];
	sqlite3_stmt **st;
	char err[256];
	int others, rc;

	/* Who may pay at all: told at once, before any till. */
	int n = payers(c, p, CUST_MATCH_MAX, &others);
	if (n < 0)
		return n;
	if (n == 0)
		return ussd_end(c, others ? "pay.not_active" : "pay.not_customer", NULL, 0);
	size_t len = strlen(in);
	if (len < 4 || len >= sizeof s->till || strspn(in, "0123456789") != len || !kyb_luhn_ok(in))
		return ussd_retry(c, "pay.bad_till");
	if ((rc = db_prepare_table(gw->db, pay_sql, Q__COUNT, &st, err, sizeof err)) < 0) {
		LOGE(LC_USSD, "cannot prepare the pay statements", "error=\"%s\"", err);
		return rc;
	}
	sqlite3_stmt *q = st[Q_TILL];
	if ((rc = db_bind_text(q, ":till", in)) < 0 || (rc = db_step(q)) < 0)
		return rc;
	if (rc == 0)
		return ussd_retry(c, "pay.unknown_till");
	int ok = !strcmp((const char *)sqlite3_column_text(q, 0), "ACTIVE") &&
		 !strcmp((const char *)sqlite3_column_text(q, 1), "APPROVED");
	snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(q, 2));
	db_reset(q);
	if (!ok)
		return ussd_retry(c, "pay.till_inactive");
	snprintf(s->till, sizeof s->till, "%s", in);
	if (!s->key[0]) {
		/* One key per dialogue: a payment is made at most once. */
		unsigned char r[8];
		char hex[17];
		randombytes_buf(r, sizeof r);
		sodium_bin2hex(hex, sizeof hex, r, sizeof r);
		snprintf(s->key, sizeof s->key, "%s-%s", ussd_ctx_msisdn(c), hex);
	}
	return ussd_go(c, PAY_AMOUNT);
}

/* ---- amount ---- */

static int amount_render(struct ussd_ctx *c)
{
	const struct pay_scratch *s = ussd_ctx_scratch(c);
	struct ussd_var v[] = { { "name", s->name },
				{ "till", s->till },
				{ "ccy", ussd_ctx_gw(c)->cfg.gateway_currency } };
	return ussd_say(c, "pay.ask_amount", v, 3);
}

static int amount_input(struct ussd_ctx *c, const char *in)
{
	struct pay_scratch *s = ussd_ctx_scratch(c);
	struct cust_info p[CUST_MATCH_MAX];
	int others;
	int pos;
	const char *why = ussd_flow_amount(in, exponent_of(ussd_ctx_gw(c)->cfg.gateway_currency),
					   &s->amount, &pos);
	if (why) {
		LOGD(LC_USSD, "amount refused", "msisdn=%s field=amount position=%d reason=%s",
		     ussd_ctx_msisdn(c), pos + 1, why);
		return ussd_retry(c, why);
	}
	int n = payers(c, p, CUST_MATCH_MAX, &others);
	if (n < 0)
		return n;
	if (n == 0)
		return ussd_end(c, "pay.not_active", NULL, 0);
	if (n > 1)
		return ussd_go(c, PAY_PICK);
	snprintf(s->dfsp, sizeof s->dfsp, "%s", p[0].dfsp);
	return ussd_go(c, PAY_CONFIRM);
}

/* ---- which account ---- */

static int pick_render(struct ussd_ctx *c)
{
	struct cust_info p[CUST_MATCH_MAX];
	char name[129];
	int others;
	int rc = ussd_say(c, "pay.pick", NULL, 0);
	int n = rc < 0 ? rc : payers(c, p, CUST_MATCH_MAX, &others);
	for (int i = 0; i < n && rc == 0; i++) {
		dfsp_name(c, p[i].dfsp, name, sizeof name);
		rc = ussd_item(c, name);
	}
	return n < 0 ? n : rc;
}

static int pick_input(struct ussd_ctx *c, const char *in)
{
	struct pay_scratch *s = ussd_ctx_scratch(c);
	struct cust_info p[CUST_MATCH_MAX];
	int others, k = ussd_ctx_choice(c);
	(void)in;
	int n = payers(c, p, CUST_MATCH_MAX, &others);
	if (n < 0)
		return n;
	if (k < 0 || k >= n)
		return ussd_retry(c, "err.choice");
	snprintf(s->dfsp, sizeof s->dfsp, "%s", p[k].dfsp);
	return ussd_go(c, PAY_CONFIRM);
}

/* ---- confirmation with the PIN, and the result ---- */

static int confirm_render(struct ussd_ctx *c)
{
	const struct pay_scratch *s = ussd_ctx_scratch(c);
	char amount[KYB_AMOUNT_MAX];
	fmt_amount(c, s->amount, amount);
	struct ussd_var v[] = { { "amount", amount }, { "name", s->name } };
	return ussd_say(c, "pay.confirm", v, 2);
}

/* The locale key naming a limit ("pay.lim_day"), NULL for none. */
static const char *limit_key(enum kyb_limit_reason r)
{
	switch (r) {
	case KYB_LIMIT_PAYMENT: return "pay.lim_payment";
	case KYB_LIMIT_OFFLINE_PAYMENT: return "pay.lim_offline_payment";
	case KYB_LIMIT_OFFLINE_AGE: return "pay.lim_offline_age";
	case KYB_LIMIT_OFFLINE_COUNT: return "pay.lim_offline_count";
	case KYB_LIMIT_OFFLINE_EXPOSURE: return "pay.lim_offline_exposure";
	case KYB_LIMIT_DAY: return "pay.lim_day";
	case KYB_LIMIT_MONTH: return "pay.lim_month";
	default: return NULL;
	}
}

/* The end screen of key: now (from input()) or as the answer given
 * later (from the forwarder's callback or at the budget). */
static int finish(struct ussd_ctx *c, const char *key, const struct ussd_var *v, size_t n)
{
	return ussd_ctx_later(c) ? ussd_later_end(c, key, v, n) : ussd_end(c, key, v, n);
}

/* The end screen of a refusal by pay_accept() or pay_offline_recheck(). */
static int refused(struct ussd_ctx *c, int rc, const struct pay_refusal *why)
{
	const char *lk = limit_key(why->reason);
	if (rc == -EPERM && lk) {
		char what[64], limit[KYB_AMOUNT_MAX];
		if (ussd_format(c, lk, NULL, 0, what, sizeof what) < 0)
			snprintf(what, sizeof what, "%s", kyb_limit_reason_name(why->reason));
		if (why->reason == KYB_LIMIT_OFFLINE_COUNT)
			snprintf(limit, sizeof limit, "%lld", (long long)why->limit);
		else if (why->reason == KYB_LIMIT_OFFLINE_AGE)
			snprintf(limit, sizeof limit, "%lld h", (long long)(why->limit / 3600));
		else
			fmt_amount(c, why->limit, limit);
		struct ussd_var v[] = { { "what", what }, { "limit", limit } };
		LOGI(LC_USSD, "payment refused by a limit", "msisdn=%s party=%s reason=%s",
		     ussd_ctx_msisdn(c), why->party, kyb_limit_reason_name(why->reason));
		return finish(c, strcmp(why->party, "merchant") ? "pay.over_limit" : "pay.over_limit_shop",
			      v, 2);
	}
	LOGI(LC_USSD, "payment refused", "msisdn=%s code=%s rc=%d", ussd_ctx_msisdn(c), why->code, rc);
	if (!strcmp(why->code, "till_inactive") || !strcmp(why->code, "merchant_inactive") ||
	    !strcmp(why->code, "unknown_till"))
		return finish(c, "pay.till_inactive", NULL, 0);
	if (!strcmp(why->code, "customer_inactive") || !strcmp(why->code, "unknown_customer"))
		return finish(c, "pay.not_active", NULL, 0);
	return finish(c, "pay.error", NULL, 0);
}

/* The result screen of payment ref as it stands now. spent: the answer
 * is due (the budget is spent, or the forwarder is gone) while the
 * payment may still be on its way. */
static int settle(struct ussd_ctx *c, const char *ref, int spent)
{
	const struct ussd_pay_wait *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	struct pay_rec rec;
	struct pay_refusal why;
	char amount[KYB_AMOUNT_MAX];
	if (pay_get(gw->pay, NULL, ref, &rec) < 0) {
		/* It was recorded: its outcome is only unknown here. */
		struct ussd_var v[] = { { "ref", ref } };
		return finish(c, "pay.unconfirmed", v, 1);
	}
	const char *key;
	switch (rec.state) {
	case PAY_COMMITTED:
		key = "pay.paid";
		break;
	case PAY_FAILED:
	case PAY_EXPIRED:
		key = "pay.failed";
		break;
	case PAY_QUEUED:
		/* Sent online, back in the queue: the switch was unreachable.
		 * It may wait there only within the offline limits; over them
		 * it is refused (FAILED) and the limit named. */
		if (s->online && pay_offline_recheck(gw->pay, rec.id, 1, &why, NULL) == -EPERM)
			return refused(c, -EPERM, &why);
		key = "pay.accepted";
		break;
	default: /* ACCEPTED, SENDING, RECONCILING: on its way, may still commit */
		if (!spent)
			key = "pay.sending";
		else
			key = pay_offline_recheck(gw->pay, rec.id, 0, &why, NULL) == 0 ? "pay.accepted"
											 : "pay.unconfirmed";
		break;
	}
	fmt_amount(c, rec.amount, amount);
	struct ussd_var v[] = { { "ref", rec.id }, { "amount", amount }, { "name", rec.trading_name },
				{ "reason", rec.fail_reason } };
	LOGI(LC_USSD, "payment answered", "msisdn=%s payment=%s state=%s screen=%s",
	     ussd_ctx_msisdn(c), rec.id, pay_state_name(rec.state), key);
	return finish(c, key, v, 4);
}

/* The forwarder moved the payment (COMMITTED, FAILED, back to QUEUED),
 * or is freed (rec NULL). arg is the dialogue's context: the watch is
 * dropped before the dialogue ends (on_cancel()). */
static void on_outcome(void *arg, const struct pay_rec *rec)
{
	struct ussd_ctx *c = arg;
	struct ussd_pay_wait *s = ussd_ctx_scratch(c);
	s->wid = 0;
	if (!ussd_ctx_later(c)) {
		s->told = 1; /* within fwd_kick(): ussd_flow_pay_answer() answers */
		return;
	}
	settle(c, s->ref, rec == NULL); /* c is gone after this */
}

static int on_budget(struct ussd_ctx *c)
{
	struct ussd_pay_wait *s = ussd_ctx_scratch(c);
	fwd_unwatch(ussd_ctx_gw(c), s->wid);
	s->wid = 0;
	return settle(c, s->ref, 1);
}

static void on_cancel(struct ussd_ctx *c)
{
	struct ussd_pay_wait *s = ussd_ctx_scratch(c);
	fwd_unwatch(ussd_ctx_gw(c), s->wid);
	s->wid = 0;
	LOGI(LC_USSD, "dialogue ended before the payment's answer", "msisdn=%s payment=%s",
	     ussd_ctx_msisdn(c), s->ref);
}

static const struct ussd_later_ops pay_later = { on_budget, on_cancel };

static int confirm_input(struct ussd_ctx *c, const char *in)
{
	struct pay_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	struct cust_info ci;
	char name[129];

	int rc = cust_verify_pin(gw->cust, s->dfsp, ussd_ctx_msisdn(c), in, &ci);
	if (rc == -EACCES)
		return ussd_retry(c, "pay.bad_pin");
	if (rc == -EAGAIN) {
		char until[CUST_TS_SIZE];
		snprintf(until, sizeof until, "%.16s", ci.locked_until);
		for (char *t = strchr(until, 'T'); t; t = NULL)
			*t = ' '; /* "2026-11-28 10:45", as My business shows */
		dfsp_name(c, s->dfsp, name, sizeof name);
		struct ussd_var v[] = { { "dfsp", name }, { "until", until } };
		LOGI(LC_USSD, "customer locked out", "msisdn=%s dfsp=%s", ussd_ctx_msisdn(c), s->dfsp);
		return ussd_end(c, "pay.locked", v, 2);
	}
	if (rc == -EPERM || rc == -ENOENT)
		return ussd_end(c, "pay.not_active", NULL, 0);
	if (rc < 0)
		return rc;
	if (!gw->pay) {
		LOGE(LC_USSD, "payments are not set up", "msisdn=%s", ussd_ctx_msisdn(c));
		return ussd_end(c, "pay.error", NULL, 0);
	}
	struct pay_in pin = {
		.idem_scope = "ussd",
		.idem_key = s->key,
		.payer_dfsp = s->dfsp,
		.payer_msisdn = ussd_ctx_msisdn(c),
		.till = s->till,
		.amount = s->amount,
		.currency = gw->cfg.gateway_currency,
		.channel = PAY_CH_USSD,
		/* Online (ACCEPTED, forwarded at once) while the switch link is
		 * up, else queued within the offline limits; on-us payments
		 * commit here. */
		.mode = fwd_mode(gw),
		.actor = ussd_ctx_msisdn(c),
		.role = "customer",
	};
	struct pay_rec rec;
	struct pay_refusal why;
	memset(&why, 0, sizeof why);
	rc = pay_accept(gw->pay, &pin, &rec, &why);
	if (rc < 0 && rc != -EPERM && rc != -ENOENT && rc != -EINVAL && rc != -EEXIST) {
		LOGE(LC_USSD, "payment failed", "msisdn=%s error=\"%s\"", ussd_ctx_msisdn(c), strerror(-rc));
		return ussd_end(c, "pay.error", NULL, 0);
	}
	if (rc < 0)
		return refused(c, rc, &why);
	LOGI(LC_USSD, "payment made", "msisdn=%s payment=%s state=%s", ussd_ctx_msisdn(c), rec.id,
	     pay_state_name(rec.state));
	return ussd_flow_pay_answer(c, &rec, rc == 0);
}

int ussd_flow_pay_answer(struct ussd_ctx *c, const struct pay_rec *rec, int fresh)
{
	struct ussd_pay_wait *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	snprintf(s->ref, sizeof s->ref, "%s", rec->id);
	s->wid = 0;
	s->online = 0;
	s->told = 0;
	if (fresh && rec->state == PAY_ACCEPTED) {
		/* Online: wait for the forwarder's outcome within the budget.
		 * Watch first: fwd_kick() may requeue or fail it at once. */
		s->online = 1;
		s->wid = fwd_watch(gw, rec->id, on_outcome, c);
		fwd_kick(gw, rec->id);
		if (s->wid && !s->told) {
			int rc = ussd_later(c, (uint32_t)gw->cfg.switch_answer_budget_ms, &pay_later);
			if (rc >= 0)
				return rc;
			fwd_unwatch(gw, s->wid); /* cannot wait: answer with what is known */
			s->wid = 0;
		}
	}
	return settle(c, s->ref, 0);
}

static const struct ussd_state pay_states[PAY__COUNT] = {
	[PAY_TILL] = { "pay.till", 0, till_render, till_input },
	/* RAW: "0", "00" and "98" are amounts here, not navigation (0 is
	 * refused as an amount; 98 is TZS 98). */
	[PAY_AMOUNT] = { "pay.amount", USSD_ST_RAW, amount_render, amount_input },
	[PAY_PICK] = { "pay.pick", USSD_ST_LIST, pick_render, pick_input },
	[PAY_CONFIRM] = { "pay.confirm", USSD_ST_SECRET, confirm_render, confirm_input },
};

/* Unknown callers see it too: they learn there that their bank or wallet
 * must enrol them first. */
const struct ussd_flow ussd_flow_pay = {
	"pay", "menu.pay", USSD_WHO_UNKNOWN | USSD_WHO_CUSTOMER, pay_states, PAY__COUNT, PAY_TILL,
};

/* *384*TILL*AMOUNT# (ussd/ussd_menu.h). Defined here rather than beside
 * the menu list so that a test program with its own list links. */
const struct ussd_flow *const ussd_direct_flow = &ussd_flow_pay;
