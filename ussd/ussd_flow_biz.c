/* ussd_flow_biz.c -- "My business": a merchant owner's own menu, behind
 * the merchant's PIN.
 *
 *   PIN -> 1 send my till number by SMS
 *          2 ask for a tier upgrade (recorded; says what the DFSP needs)
 *          3 change PIN: old PIN -> new PIN -> new PIN again
 *          4 language (the engine's flow)
 *          5 today's takings: committed payments apart from queued ones
 *          6 last payments (the last 5: time, amount, state, masked payer)
 *          7 request payment: the customer's number (national or E.164)
 *            -> amount -> confirm -> "Sent, ref R..." (gateway/rtp.h; the
 *            customer answers on their own phone, gateway/rtp_push.h)
 *
 * Wrong PINs count in a row, here and at "old PIN" alike
 * (merchant/merchant_pin.h): at [ussd] pin_max_tries the merchant is
 * locked out for pin_lock_s seconds, and GET /v1/merchants/{id} shows it
 * to the DFSP, which can lift it. Takings and payments are read from the
 * payments module (gateway/pay.h); a day is a UTC day. See docs/ussd.md
 * "Flows" and docs/payments.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/pay.h"
#include "gateway/pin.h"
#include "gateway/rtp.h"
#include "gateway/rtp_push.h"
#include "kyb/kyb_limit.h"
#include "kyb/kyb_req.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"
#include "merchant/merchant_pin.h"
#include "qr/qr_emv.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"

enum {
	BIZ_PIN,
	BIZ_MENU,
	BIZ_OLD,
	BIZ_NEW,
	BIZ_NEW2,
	BIZ_LAST,
	BIZ_REQ_PAYER,
	BIZ_REQ_AMOUNT,
	BIZ_REQ_CONFIRM,
	BIZ__COUNT
};

struct biz_scratch {
	char pin[PIN_MAX_DIGITS + 1]; /* the new PIN until confirmed; wiped once used */
	char payer[RTP_MSISDN_MAX];   /* request payment: the customer's E.164 digits */
	int64_t amount;               /* ... the amount, minor units */
	char key[48];                 /* ... the request's idempotency key */
};

_Static_assert(sizeof(struct biz_scratch) <= USSD_SCRATCH_MAX, "biz scratch");

/* Most characters of the "what the DFSP needs" list on the final screen. */
#define NEEDS_MAX 120

static void e164(struct ussd_ctx *c, char out[20])
{
	snprintf(out, 20, "+%.16s", ussd_ctx_msisdn(c));
}

/* Checks a PIN answer against the merchant's (counting a wrong one):
 * returns what the handler returns for a wrong or locked PIN, or 0 when
 * it matched. */
static int pin_gate(struct ussd_ctx *c, const char *in)
{
	struct gw *gw = ussd_ctx_gw(c);
	struct mpin_status st;
	char phone[20];
	e164(c, phone);
	int rc = mpin_verify(gw->mpin, ussd_ctx_dfsp(c), ussd_ctx_merchant(c), in, phone, "merchant", &st);
	switch (rc) {
	case 0:
		return 0;
	case -EACCES:
		LOGI(LC_USSD, "wrong PIN", "msisdn=%s merchant=%s failures=%d", ussd_ctx_msisdn(c),
		     ussd_ctx_merchant(c), st.failures);
		return ussd_retry(c, "biz.wrong_pin");
	case -EAGAIN: {
		/* "2026-11-28T10:45:02.123Z" shown as "2026-11-28 10:45". */
		char until[17] = "";
		if (strlen(st.locked_until) >= 16)
			snprintf(until, sizeof until, "%.10s %.5s", st.locked_until, st.locked_until + 11);
		struct ussd_var v[] = { { "until", until } };
		return ussd_end(c, "biz.locked", v, 1);
	}
	case -ENOENT:
		return ussd_end(c, "biz.no_pin", NULL, 0);
	default:
		return rc;
	}
}

/* ---- PIN ---- */

static int pin_render(struct ussd_ctx *c)
{
	return ussd_say(c, "biz.ask_pin", NULL, 0);
}

static int pin_input(struct ussd_ctx *c, const char *in)
{
	int rc = pin_gate(c, in);
	return rc ? rc : ussd_go(c, BIZ_MENU);
}

/* ---- the menu ---- */

static int menu_render(struct ussd_ctx *c)
{
	static const char *const keys[] = { "biz.title", "biz.menu_till", "biz.menu_tier",
					    "biz.menu_pin", "biz.menu_lang", "biz.menu_takings",
					    "biz.menu_last", "biz.menu_request" };
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof keys / sizeof keys[0]; i++)
		rc = ussd_say(c, keys[i], NULL, 0);
	return rc;
}

/* The merchant's trading name into out. */
static int trading_name(struct ussd_ctx *c, char *out, size_t cap)
{
	const struct merchant_actor reader = { ussd_ctx_msisdn(c), ussd_ctx_dfsp(c), ROLE_AUDITOR };
	json_t *m;
	int rc = merchant_get_json(ussd_ctx_gw(c)->reg, &reader, ussd_ctx_merchant(c), &m);
	if (rc < 0)
		return rc;
	snprintf(out, cap, "%s", json_string_value(json_object_get(m, "trading_name")));
	json_decref(m);
	return 0;
}

static int send_till(struct ussd_ctx *c)
{
	struct gw *gw = ussd_ctx_gw(c);
	char tills[160], name[32];
	int rc = trading_name(c, name, sizeof name);
	if (rc == 0)
		rc = ussd_flow_tills(c, ussd_ctx_dfsp(c), ussd_ctx_merchant(c), tills, sizeof tills, NULL);
	if (rc == 0)
		return ussd_end(c, "biz.no_till", NULL, 0);
	if (rc > 0 && (rc = db_begin(gw->db)) == 0)
		rc = db_end(gw->db, ussd_flow_sms(c, "biz.sms_till", ussd_ctx_dfsp(c), ussd_ctx_merchant(c),
						  name, tills));
	if (rc < 0)
		return rc;
	LOGI(LC_USSD, "till number sent by SMS", "msisdn=%s merchant=%s", ussd_ctx_msisdn(c),
	     ussd_ctx_merchant(c));
	struct ussd_var v[] = { { "till", tills } };
	return ussd_end(c, "biz.till_sent", v, 1);
}

/* The locale key that names a KYB gap's item in words (keys are at most
 * 31 characters, hence the short forms): "document.trading_permit" ->
 * "biz.n_doc_trading_permit", "merchant.tax_id" -> "biz.n_m_tax_id",
 * "owners[0].national_id" -> "biz.n_owner_national_id", "owners" ->
 * "biz.n_owners". */
static void need_key(const char *item, char *key, size_t cap)
{
	static const struct {
		const char *from, *to;
	} forms[] = { { "document.", "doc_" }, { "merchant.", "m_" }, { "owners[", "owner_" } };
	const char *rest = item, *to = "";
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		if (strncmp(item, forms[i].from, strlen(forms[i].from)) == 0) {
			rest = item + strlen(forms[i].from);
			to = forms[i].to;
			if (i == 2) { /* owners[N].field */
				const char *dot = strstr(rest, "].");
				rest = dot ? dot + 2 : rest;
			}
			break;
		}
	snprintf(key, cap, "biz.n_%s%s", to, rest);
}

/* 1 if word is one of the ", "-separated words of list. */
static int listed(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p++)
		if ((p == list || (p >= list + 2 && p[-2] == ',' && p[-1] == ' ')) &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* What the merchant lacks for tier, in words, joined by ", " into out
 * (at most NEEDS_MAX characters: the rest becomes "..."). */
static void needs_words(struct ussd_ctx *c, const struct kyb_req_gap *gaps, int n, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		char key[64], word[64];
		need_key(gaps[i].item, key, sizeof key);
		if (ussd_format(c, key, NULL, 0, word, sizeof word) < 0)
			snprintf(word, sizeof word, "%s", gaps[i].item); /* no words for it: its name */
		if (listed(out, word))
			continue; /* one word for several items (two owners' IDs) */
		size_t w = strlen(word) + (len ? 2 : 0);
		if (len + w > NEEDS_MAX || len + w + 1 > cap) {
			snprintf(out + len, cap - len, "%s", len ? ", ..." : "...");
			return;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "", word);
	}
}

static int ask_upgrade(struct ussd_ctx *c)
{
	struct gw *gw = ussd_ctx_gw(c);
	const struct merchant_actor reader = { ussd_ctx_msisdn(c), ussd_ctx_dfsp(c), ROLE_AUDITOR };
	struct kyb_req_gap gaps[MERCHANT_KYB_GAPS_MAX];
	char tier[KYB_TIER_NAME_MAX], phone[20], needs[NEEDS_MAX + 8] = "";
	long long req = 0;

	int n = merchant_kyb_gaps(gw->reg, &reader, ussd_ctx_merchant(c), "next", tier, gaps,
				  MERCHANT_KYB_GAPS_MAX);
	if (n == -EINVAL)
		return ussd_end(c, "biz.tier_top", NULL, 0);
	if (n < 0)
		return n;
	e164(c, phone);
	int rc = merchant_tier_request_self(gw->reg, ussd_ctx_dfsp(c), phone, ussd_ctx_merchant(c), tier, &req);
	struct ussd_var v[] = { { "tier", tier }, { "needs", needs } };
	if (rc == -EEXIST)
		return ussd_end(c, "biz.tier_pending", v, 1);
	if (rc < 0)
		return rc;
	LOGI(LC_USSD, "tier upgrade requested", "msisdn=%s merchant=%s to=%s request=%lld gaps=%d",
	     ussd_ctx_msisdn(c), ussd_ctx_merchant(c), tier, req, n);
	if (n == 0)
		return ussd_end(c, "biz.tier_ready", v, 1);
	needs_words(c, gaps, n, needs, sizeof needs);
	return ussd_end(c, "biz.tier_sent", v, 2);
}

/* ---- takings and last payments ---- */

/* amount (minor units of the gateway currency) for a screen: "5,000"
 * when whole, "5,000.50" otherwise; no currency (the title has it). */
static void screen_amount(struct ussd_ctx *c, int64_t amount, char *out, size_t cap)
{
	const char *num = qr_emv_ccy_num(ussd_ctx_gw(c)->cfg.gateway_currency);
	int exp = num ? qr_emv_ccy_exponent(num) : 0;
	int64_t scale = 1;
	for (int i = 0; i < exp; i++)
		scale *= 10;
	char buf[KYB_AMOUNT_MAX];
	if (exp < 0 || amount % scale == 0) {
		kyb_limit_format(buf, sizeof buf, exp < 0 ? amount : amount / scale, NULL, 0);
	} else {
		kyb_limit_format(buf, sizeof buf, amount, NULL, exp);
	}
	snprintf(out, cap, "%s", buf);
}

static int takings(struct ussd_ctx *c)
{
	struct gw *gw = ussd_ctx_gw(c);
	struct pay_takings t;
	int rc = pay_takings(gw->pay, ussd_ctx_dfsp(c), ussd_ctx_merchant(c), NULL, &t);
	if (rc < 0)
		return rc;
	char n[24], total[KYB_AMOUNT_MAX + 8], qn[24], qtotal[KYB_AMOUNT_MAX + 8];
	char a[KYB_AMOUNT_MAX], b[KYB_AMOUNT_MAX];
	screen_amount(c, t.committed_total, a, sizeof a);
	screen_amount(c, t.queued_total, b, sizeof b);
	snprintf(n, sizeof n, "%lld", (long long)t.committed_count);
	snprintf(qn, sizeof qn, "%lld", (long long)t.queued_count);
	snprintf(total, sizeof total, "%s %s", gw->cfg.gateway_currency, a);
	snprintf(qtotal, sizeof qtotal, "%s %s", gw->cfg.gateway_currency, b);
	struct ussd_var v[] = { { "count", n }, { "total", total }, { "qcount", qn },
				{ "qtotal", qtotal } };
	LOGI(LC_USSD, "takings shown", "msisdn=%s merchant=%s", ussd_ctx_msisdn(c), ussd_ctx_merchant(c));
	return ussd_end(c, "biz.takings", v, 4);
}

#define BIZ_LAST_N 5

/* The last BIZ_LAST_N payments, newest first, one line each; as many as
 * fit the screen. Any answer goes back to the menu. */
static int last_render(struct ussd_ctx *c)
{
	struct gw *gw = ussd_ctx_gw(c);
	struct pay_rec r[BIZ_LAST_N];
	int n = pay_last(gw->pay, ussd_ctx_dfsp(c), ussd_ctx_merchant(c), r, BIZ_LAST_N);
	if (n < 0)
		return n;
	if (n == 0)
		return ussd_say(c, "biz.last_none", NULL, 0);
	struct ussd_var tv[] = { { "currency", gw->cfg.gateway_currency } };
	int rc = ussd_say(c, "biz.last_title", tv, 1);
	for (int i = 0; rc == 0 && i < n; i++) {
		char amt[KYB_AMOUNT_MAX], payer[PAY_MSISDN_MAX], when[6], st[32], line[128];
		screen_amount(c, r[i].amount, amt, sizeof amt);
		if (r[i].channel == PAY_CH_SWITCH) /* from another DFSP: its FSP id */
			snprintf(payer, sizeof payer, "%s", r[i].payer_fsp);
		else
			pay_mask_msisdn(r[i].payer_msisdn, payer);
		snprintf(when, sizeof when, "%.5s", strlen(r[i].created) >= 16 ? r[i].created + 11 : "");
		const char *sk = r[i].state == PAY_COMMITTED ? "biz.st_paid"
				 : r[i].state == PAY_FAILED ? "biz.st_failed"
				 : r[i].state == PAY_EXPIRED ? "biz.st_expired" : "biz.st_queued";
		if (ussd_format(c, sk, NULL, 0, st, sizeof st) < 0)
			snprintf(st, sizeof st, "%s", pay_state_name(r[i].state));
		struct ussd_var v[] = { { "time", when }, { "amount", amt }, { "state", st },
					{ "payer", payer } };
		if (ussd_format(c, "biz.last_line", v, 4, line, sizeof line) < 0)
			break;
		rc = ussd_text(c, line);
	}
	return rc == -ENOSPC ? 0 : rc; /* fewer lines when the screen is full */
}

static int last_input(struct ussd_ctx *c, const char *in)
{
	(void)in;
	return ussd_back(c);
}

static int menu_input(struct ussd_ctx *c, const char *in)
{
	if (strcmp(in, "1") == 0)
		return send_till(c);
	if (strcmp(in, "2") == 0)
		return ask_upgrade(c);
	if (strcmp(in, "3") == 0)
		return ussd_go(c, BIZ_OLD);
	if (strcmp(in, "4") == 0)
		return ussd_go_flow(c, &ussd_flow_lang, ussd_flow_lang.first);
	if (strcmp(in, "5") == 0)
		return takings(c);
	if (strcmp(in, "6") == 0) {
		LOGI(LC_USSD, "last payments shown", "msisdn=%s merchant=%s", ussd_ctx_msisdn(c),
		     ussd_ctx_merchant(c));
		return ussd_go(c, BIZ_LAST);
	}
	if (strcmp(in, "7") == 0)
		return ussd_go(c, BIZ_REQ_PAYER);
	return ussd_retry(c, "err.choice");
}

/* ---- request payment ---- */

static int req_payer_render(struct ussd_ctx *c)
{
	return ussd_say(c, "biz.req_ask_payer", NULL, 0);
}

static int req_payer_input(struct ussd_ctx *c, const char *in)
{
	struct biz_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	char err[RTP_ERR_MAX];
	if (rtp_msisdn_normalise(in, gw->cfg.gateway_country, "payer", s->payer, err, sizeof err) < 0) {
		LOGD(LC_USSD, "payer number refused", "msisdn=%s reason=\"%s\"", ussd_ctx_msisdn(c), err);
		return ussd_retry(c, "biz.req_bad_payer");
	}
	if (strcmp(s->payer, ussd_ctx_msisdn(c)) == 0)
		return ussd_retry(c, "biz.req_self");
	if (!s->key[0]) {
		/* One key per dialogue: a request is made at most once. */
		unsigned char r[8];
		char hex[17];
		randombytes_buf(r, sizeof r);
		sodium_bin2hex(hex, sizeof hex, r, sizeof r);
		snprintf(s->key, sizeof s->key, "%s-%s", ussd_ctx_msisdn(c), hex);
	}
	return ussd_go(c, BIZ_REQ_AMOUNT);
}

static int req_amount_render(struct ussd_ctx *c)
{
	struct ussd_var v[] = { { "ccy", ussd_ctx_gw(c)->cfg.gateway_currency } };
	return ussd_say(c, "biz.req_ask_amount", v, 1);
}

static int req_amount_input(struct ussd_ctx *c, const char *in)
{
	struct biz_scratch *s = ussd_ctx_scratch(c);
	const char *num = qr_emv_ccy_num(ussd_ctx_gw(c)->cfg.gateway_currency);
	int exp = num ? qr_emv_ccy_exponent(num) : 2, pos;
	const char *why = ussd_flow_amount(in, exp < 0 ? 2 : exp, &s->amount, &pos);
	if (why)
		return ussd_retry(c, why);
	return ussd_go(c, BIZ_REQ_CONFIRM);
}

static int req_confirm_render(struct ussd_ctx *c)
{
	const struct biz_scratch *s = ussd_ctx_scratch(c);
	char amount[64], phone[RTP_MSISDN_MAX + 1];
	rtp_amount_text(ussd_ctx_gw(c)->rtp, s->amount, amount, sizeof amount);
	snprintf(phone, sizeof phone, "+%s", s->payer);
	struct ussd_var v[] = { { "amount", amount }, { "phone", phone } };
	int rc = ussd_say(c, "biz.req_confirm", v, 2);
	return rc ? rc : ussd_say(c, "biz.req_send", NULL, 0);
}

static int req_confirm_input(struct ussd_ctx *c, const char *in)
{
	struct biz_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	char err[RTP_ERR_MAX];
	if (strcmp(in, "1") != 0)
		return ussd_retry(c, "err.choice");
	if (!gw->rtp)
		return ussd_end(c, "biz.req_error", NULL, 0);
	struct rtp_in ri = {
		.idem_scope = "ussd",
		.idem_key = s->key,
		.channel = RTP_CH_USSD,
		.dfsp = ussd_ctx_dfsp(c),
		.merchant_id = ussd_ctx_merchant(c),
		.payer_msisdn = s->payer,
		.amount = s->amount,
		.actor = ussd_ctx_msisdn(c),
		.role = "merchant",
		.remote_ok = gw->sw != NULL, /* asked through the switch */
	};
	struct rtp_rec q;
	int rc = rtp_create(gw->rtp, &ri, &q, err, sizeof err);
	if (rc == -ENOENT && strncmp(err, "payer_msisdn", 12) == 0)
		return ussd_end(c, "biz.req_not_customer", NULL, 0);
	if (rc == -EPERM || rc == -ENOENT) {
		LOGI(LC_USSD, "request to pay refused", "msisdn=%s merchant=%s reason=\"%s\"",
		     ussd_ctx_msisdn(c), ussd_ctx_merchant(c), err);
		return ussd_end(c, "biz.no_till", NULL, 0);
	}
	if (rc < 0) {
		LOGE(LC_USSD, "request to pay failed", "msisdn=%s error=\"%s\"", ussd_ctx_msisdn(c),
		     err[0] ? err : strerror(-rc));
		return ussd_end(c, "biz.req_error", NULL, 0);
	}
	if (rc == 0 && (rc = rtp_push_deliver(gw, q.id, &q, err, sizeof err)) < 0) {
		LOGE(LC_USSD, "request to pay not delivered", "request=%s error=\"%s\"", q.id, err);
		return ussd_end(c, "biz.req_error", NULL, 0);
	}
	LOGI(LC_USSD, "request to pay sent", "msisdn=%s merchant=%s request=%s", ussd_ctx_msisdn(c),
	     ussd_ctx_merchant(c), q.id);
	struct ussd_var v[] = { { "ref", q.id } };
	return ussd_end(c, "biz.req_sent", v, 1);
}

/* ---- change PIN ---- */

static int old_render(struct ussd_ctx *c)
{
	return ussd_say(c, "biz.ask_old_pin", NULL, 0);
}

static int old_input(struct ussd_ctx *c, const char *in)
{
	int rc = pin_gate(c, in);
	return rc ? rc : ussd_go(c, BIZ_NEW);
}

static int new_render(struct ussd_ctx *c)
{
	return ussd_say(c, "biz.ask_new_pin", NULL, 0);
}

static int new_input(struct ussd_ctx *c, const char *in)
{
	struct biz_scratch *s = ussd_ctx_scratch(c);
	const char *why = ussd_flow_pin_refused(c, in);
	if (why)
		return ussd_retry(c, why);
	snprintf(s->pin, sizeof s->pin, "%s", in);
	return ussd_go(c, BIZ_NEW2);
}

static int new2_render(struct ussd_ctx *c)
{
	return ussd_say(c, "biz.ask_new_pin2", NULL, 0);
}

static int new2_input(struct ussd_ctx *c, const char *in)
{
	struct biz_scratch *s = ussd_ctx_scratch(c);
	char phone[20];
	if (!pin_equal(s->pin, in))
		return ussd_retry(c, "reg.pin_mismatch");
	e164(c, phone);
	int rc = mpin_set(ussd_ctx_gw(c)->mpin, ussd_ctx_dfsp(c), ussd_ctx_merchant(c), s->pin, phone,
			  "merchant");
	pin_wipe(s->pin, sizeof s->pin);
	if (rc < 0)
		return rc;
	LOGI(LC_USSD, "PIN changed", "msisdn=%s merchant=%s", ussd_ctx_msisdn(c), ussd_ctx_merchant(c));
	return ussd_end(c, "biz.pin_changed", NULL, 0);
}

static const struct ussd_state biz_states[BIZ__COUNT] = {
	[BIZ_PIN] = { "biz.pin", USSD_ST_SECRET, pin_render, pin_input },
	[BIZ_MENU] = { "biz.menu", 0, menu_render, menu_input },
	[BIZ_OLD] = { "biz.old_pin", USSD_ST_SECRET, old_render, old_input },
	[BIZ_NEW] = { "biz.new_pin", USSD_ST_SECRET, new_render, new_input },
	[BIZ_NEW2] = { "biz.new_pin2", USSD_ST_SECRET, new2_render, new2_input },
	[BIZ_LAST] = { "biz.last", USSD_ST_RAW, last_render, last_input },
	[BIZ_REQ_PAYER] = { "biz.req_payer", 0, req_payer_render, req_payer_input },
	/* RAW: "0" and "98" are amounts here, as in Pay merchant. */
	[BIZ_REQ_AMOUNT] = { "biz.req_amount", USSD_ST_RAW, req_amount_render, req_amount_input },
	[BIZ_REQ_CONFIRM] = { "biz.req_confirm", 0, req_confirm_render, req_confirm_input },
};

const struct ussd_flow ussd_flow_biz = {
	"biz", "menu.business", USSD_WHO_OWNER, biz_states, BIZ__COUNT, BIZ_PIN,
};
