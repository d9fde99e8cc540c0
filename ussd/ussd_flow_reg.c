/* ussd_flow_reg.c -- "Register business": a caller whose number owns no
 * merchant registers one at the first tier (T0), over USSD:
 *
 *   trading name -> business group -> business type (MCC) -> national ID
 *   -> town -> new PIN -> PIN again -> summary -> 1 confirm / 2 cancel
 *
 * Each answer is checked with the registry's own rules (merchant_validate()
 * on the merchant the answers make so far, so that the USSD and the admin
 * API refuse the same things); a bad answer shows the screen again under
 * the reason. On confirmation the merchant (APPROVED, T0, the caller as
 * owner, one location in the town with its first till), its PIN and the
 * SMS with the till number commit in one transaction, before the final
 * screen shows the till number. See docs/ussd.md "Flows".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/pin.h"
#include "kyb/kyb_check.h"
#include "kyb/kyb_mcc.h"
#include "merchant/merchant.h"
#include "merchant/merchant_pin.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"

enum {
	REG_NAME,
	REG_GROUP,
	REG_MCC,
	REG_ID,
	REG_TOWN,
	REG_PIN,
	REG_PIN2,
	REG_CONFIRM,
	REG__COUNT
};

/* What the answers so far make; lives in the session's scratch space. */
struct reg_scratch {
	char name[26];                /* EMVCo tag 59: at most 25 */
	int group;                    /* index in groups[] */
	char mcc[5];
	char id[40];
	char town[16];                /* EMVCo tag 60: at most 15 */
	char pin[PIN_MAX_DIGITS + 1]; /* wiped once used */
};

_Static_assert(sizeof(struct reg_scratch) <= USSD_SCRATCH_MAX, "reg scratch");

/* The business groups of the first list: ISO 18245 ranges, each with
 * the locale key of its name. Only groups the MCC table has codes in are
 * listed; none has more than USSD_LIST_MAX codes in data/mcc.tsv (the
 * largest has 63; test_ussd_flows checks). */
static const struct {
	int lo, hi;
	const char *key;
} groups[] = {
	{ 0, 1499, "reg.grp_agri" },
	{ 1500, 2999, "reg.grp_trades" },
	{ 3000, 4799, "reg.grp_transport" },
	{ 4800, 4999, "reg.grp_utility" },
	{ 5000, 5599, "reg.grp_retail" },
	{ 5600, 5699, "reg.grp_clothing" },
	{ 5700, 7299, "reg.grp_shops" },
	{ 7300, 7999, "reg.grp_services" },
	{ 8000, 8999, "reg.grp_professional" },
	{ 9000, 9999, "reg.grp_government" },
};
#define NGROUPS (sizeof groups / sizeof groups[0])

static int mcc_in(const struct kyb_mcc_entry *e, int g)
{
	int code = (e->code[0] - '0') * 1000 + (e->code[1] - '0') * 100 + (e->code[2] - '0') * 10 +
		   (e->code[3] - '0');
	return code >= groups[g].lo && code <= groups[g].hi;
}

/* Codes of the MCC table in group g; the k-th of them (k >= 0) in *out. */
static int group_codes(const struct kyb_mcc *m, int g, int k, const struct kyb_mcc_entry **out)
{
	int n = 0;
	for (int i = 0; i < kyb_mcc_count(m); i++) {
		const struct kyb_mcc_entry *e = kyb_mcc_at(m, i);
		if (!mcc_in(e, g))
			continue;
		if (n++ == k && out)
			*out = e;
	}
	return n;
}

/* The caller's number in E.164 with '+', as the registry stores phones. */
static void e164(struct ussd_ctx *c, char out[20])
{
	snprintf(out, 20, "+%.16s", ussd_ctx_msisdn(c));
}

/* The merchant the answers make: absent answers are NULL. */
struct probe {
	struct merchant_owner_in own;
	struct merchant_location_in loc;
	struct merchant_in in;
	char phone[20];
};

static void probe_make(struct ussd_ctx *c, const struct reg_scratch *s, struct probe *p)
{
	memset(p, 0, sizeof *p);
	e164(c, p->phone);
	/* The excerpt of the issue asks no owner name: a T0 trader trades
	 * under their own name, so the trading name stands for it. */
	p->own = (struct merchant_owner_in){ s->name[0] ? s->name : NULL, "national_id",
					      s->id[0] ? s->id : NULL, p->phone };
	p->loc = (struct merchant_location_in){ "Main", s->town[0] ? s->town : NULL, NULL, 0, 0, 0 };
	p->in = (struct merchant_in){
		.trading_name = s->name[0] ? s->name : NULL,
		.type = "individual",
		.mcc = s->mcc[0] ? s->mcc : NULL,
		.contact_phone = p->phone,
		.owners = &p->own,
		.n_owners = 1,
		.locations = &p->loc,
		.n_locations = 1,
	};
}

/* 1 if merchant_validate() has nothing to say about field, else 0 (the
 * registry's message is logged at debug level: it may name the value,
 * never a PIN). */
static int field_ok(struct ussd_ctx *c, const struct reg_scratch *s, const char *field)
{
	struct probe p;
	struct merchant_errs errs;
	probe_make(c, s, &p);
	merchant_validate(ussd_ctx_gw(c)->reg, &p.in, &errs);
	for (int i = 0; i < errs.n; i++)
		if (strcmp(errs.e[i].field, field) == 0) {
			LOGD(LC_USSD, "registration answer refused", "field=%s", field);
			return 0;
		}
	return 1;
}

/* Copies an answer without the spaces at either end into out (cap
 * bytes). Returns 0, or -1 if it does not fit (too long to be valid). */
static int trimmed(const char *in, char *out, size_t cap)
{
	while (*in == ' ')
		in++;
	size_t n = strlen(in);
	while (n && in[n - 1] == ' ')
		n--;
	if (n >= cap)
		return -1;
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}

/* ---- the states ---- */

static int name_render(struct ussd_ctx *c)
{
	return ussd_say(c, "reg.ask_name", NULL, 0);
}

static int name_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	if (trimmed(in, s->name, sizeof s->name) < 0 || !field_ok(c, s, "trading_name")) {
		s->name[0] = '\0';
		return ussd_retry(c, "reg.bad_name");
	}
	return ussd_go(c, REG_GROUP);
}

static int group_render(struct ussd_ctx *c)
{
	const struct kyb_mcc *m = ussd_ctx_gw(c)->mcc;
	char label[64];
	int rc = ussd_say(c, "reg.ask_group", NULL, 0);
	for (size_t g = 0; rc == 0 && g < NGROUPS; g++)
		if (group_codes(m, (int)g, -1, NULL) > 0) {
			if (ussd_format(c, groups[g].key, NULL, 0, label, sizeof label) < 0)
				return -EIO;
			rc = ussd_item(c, label);
		}
	return rc;
}

static int group_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	const struct kyb_mcc *m = ussd_ctx_gw(c)->mcc;
	int k = ussd_ctx_choice(c);
	(void)in;
	for (size_t g = 0; g < NGROUPS; g++)
		if (group_codes(m, (int)g, -1, NULL) > 0 && k-- == 0) {
			s->group = (int)g;
			return ussd_go(c, REG_MCC);
		}
	return ussd_retry(c, "err.choice");
}

static int mcc_render(struct ussd_ctx *c)
{
	const struct reg_scratch *s = ussd_ctx_scratch(c);
	const struct kyb_mcc *m = ussd_ctx_gw(c)->mcc;
	int rc = ussd_say(c, "reg.ask_type", NULL, 0);
	for (int i = 0; rc == 0 && i < kyb_mcc_count(m); i++) {
		const struct kyb_mcc_entry *e = kyb_mcc_at(m, i);
		if (mcc_in(e, s->group))
			rc = ussd_item(c, e->label);
	}
	return rc;
}

static int mcc_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	const struct kyb_mcc_entry *e = NULL;
	(void)in;
	group_codes(ussd_ctx_gw(c)->mcc, s->group, ussd_ctx_choice(c), &e);
	if (!e)
		return ussd_retry(c, "err.choice");
	snprintf(s->mcc, sizeof s->mcc, "%s", e->code);
	if (!field_ok(c, s, "mcc")) {
		s->mcc[0] = '\0';
		return ussd_retry(c, "err.choice");
	}
	return ussd_go(c, REG_ID);
}

static int id_render(struct ussd_ctx *c)
{
	const char *country = ussd_ctx_gw(c)->cfg.gateway_country;
	struct ussd_var v[] = { { "format", kyb_check_id_format(country, false) } };
	return ussd_say(c, "reg.ask_id", v, 1);
}

static int id_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	if (trimmed(in, s->id, sizeof s->id) < 0 || !field_ok(c, s, "owners[0].id_number")) {
		s->id[0] = '\0';
		return ussd_retry(c, "reg.bad_id");
	}
	return ussd_go(c, REG_TOWN);
}

static int town_render(struct ussd_ctx *c)
{
	return ussd_say(c, "reg.ask_town", NULL, 0);
}

static int town_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	if (trimmed(in, s->town, sizeof s->town) < 0 || !field_ok(c, s, "locations[0].city")) {
		s->town[0] = '\0';
		return ussd_retry(c, "reg.bad_town");
	}
	return ussd_go(c, REG_PIN);
}

static int pin_render(struct ussd_ctx *c)
{
	return ussd_say(c, "reg.ask_pin", NULL, 0);
}

static int pin_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	const char *why = ussd_flow_pin_refused(c, in);
	if (why)
		return ussd_retry(c, why);
	snprintf(s->pin, sizeof s->pin, "%s", in);
	return ussd_go(c, REG_PIN2);
}

static int pin2_render(struct ussd_ctx *c)
{
	return ussd_say(c, "reg.ask_pin2", NULL, 0);
}

static int pin2_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	if (!pin_equal(s->pin, in))
		return ussd_retry(c, "reg.pin_mismatch");
	return ussd_go(c, REG_CONFIRM);
}

static int confirm_render(struct ussd_ctx *c)
{
	const struct reg_scratch *s = ussd_ctx_scratch(c);
	const struct kyb_mcc_entry *e = kyb_mcc_find(ussd_ctx_gw(c)->mcc, s->mcc);
	struct ussd_var v[] = {
		{ "name", s->name }, { "type", e ? e->label : s->mcc }, { "id", s->id }, { "town", s->town },
	};
	int rc;
	if ((rc = ussd_say(c, "reg.confirm_name", v, 4)) < 0 ||
	    (rc = ussd_say(c, "reg.confirm_type", v, 4)) < 0 ||
	    (rc = ussd_say(c, "reg.confirm_id", v, 4)) < 0 ||
	    (rc = ussd_say(c, "reg.confirm_town", v, 4)) < 0 ||
	    (rc = ussd_say(c, "reg.confirm_yes", NULL, 0)) < 0)
		return rc;
	return ussd_say(c, "reg.confirm_no", NULL, 0);
}

/* Everything of a registration in one transaction: the merchant (with its
 * owner, location and till, and the registry's audit row), the PIN (and
 * its audit row) and the SMS. till gets the till number. */
static int reg_tx(struct ussd_ctx *c, struct reg_scratch *s, const char *dfsp, char till[MERCHANT_ID_MAX],
		  char mid[MERCHANT_ID_MAX])
{
	struct gw *gw = ussd_ctx_gw(c);
	struct probe p;
	struct merchant_errs errs;
	int rc;

	probe_make(c, s, &p);
	if ((rc = merchant_self_register(gw->reg, dfsp, p.phone, &p.in, mid, &errs)) < 0) {
		for (int i = 0; i < errs.n; i++)
			LOGW(LC_USSD, "registration refused by the registry", "field=%s", errs.e[i].field);
		return rc;
	}
	if ((rc = mpin_set(gw->mpin, dfsp, mid, s->pin, p.phone, "merchant")) < 0)
		return rc;
	if ((rc = ussd_flow_tills(c, dfsp, mid, till, MERCHANT_ID_MAX, NULL)) < 0)
		return rc;
	if (rc != 1)
		return -EIO; /* a new merchant has exactly one till */
	return ussd_flow_sms(c, "reg.sms", dfsp, mid, s->name, till);
}

static int confirm_input(struct ussd_ctx *c, const char *in)
{
	struct reg_scratch *s = ussd_ctx_scratch(c);
	struct gw *gw = ussd_ctx_gw(c);
	char till[MERCHANT_ID_MAX], mid[MERCHANT_ID_MAX];
	int rc;

	if (strcmp(in, "2") == 0) {
		pin_wipe(s->pin, sizeof s->pin);
		LOGI(LC_USSD, "registration cancelled", "msisdn=%s", ussd_ctx_msisdn(c));
		return ussd_end(c, "reg.cancelled", NULL, 0);
	}
	if (strcmp(in, "1") != 0)
		return ussd_retry(c, "err.choice");
	const char *dfsp = ussd_ctx_reg_dfsp(c);
	if (!*dfsp) {
		LOGE(LC_USSD, "no DFSP to register merchants with", "msisdn=%s", ussd_ctx_msisdn(c));
		rc = -ENOENT;
	} else if ((rc = db_begin(gw->db)) == 0) {
		rc = db_end(gw->db, reg_tx(c, s, dfsp, till, mid));
	}
	pin_wipe(s->pin, sizeof s->pin);
	if (rc < 0) {
		LOGE(LC_USSD, "registration failed", "msisdn=%s error=\"%s\"", ussd_ctx_msisdn(c),
		     strerror(-rc));
		return ussd_end(c, "reg.failed", NULL, 0);
	}
	LOGI(LC_USSD, "merchant registered", "msisdn=%s dfsp=%s merchant=%s till=%s",
	     ussd_ctx_msisdn(c), dfsp, mid, till);
	struct ussd_var v[] = { { "till", till }, { "name", s->name } };
	return ussd_end(c, "reg.done", v, 2);
}

static const struct ussd_state reg_states[REG__COUNT] = {
	[REG_NAME] = { "reg.name", 0, name_render, name_input },
	[REG_GROUP] = { "reg.group", USSD_ST_LIST, group_render, group_input },
	[REG_MCC] = { "reg.mcc", USSD_ST_LIST, mcc_render, mcc_input },
	[REG_ID] = { "reg.id", 0, id_render, id_input },
	[REG_TOWN] = { "reg.town", 0, town_render, town_input },
	[REG_PIN] = { "reg.pin", USSD_ST_SECRET, pin_render, pin_input },
	[REG_PIN2] = { "reg.pin2", USSD_ST_SECRET, pin2_render, pin2_input },
	[REG_CONFIRM] = { "reg.confirm", 0, confirm_render, confirm_input },
};

const struct ussd_flow ussd_flow_reg = {
	"reg", "menu.register", USSD_WHO_UNKNOWN, reg_states, REG__COUNT, REG_NAME,
};
