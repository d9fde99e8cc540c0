/* kyb_req.c -- lists what a merchant lacks for a KYB tier: missing,
 * invalid, unverified and rejected fields and documents. See kyb_req.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kyb/kyb_req.h"

const char *kyb_req_why_name(enum kyb_req_gap_why why)
{
	static const char *const names[] = { "missing", "invalid", "unverified", "rejected" };
	return (unsigned)why < 4 ? names[why] : NULL;
}

struct gaps {
	struct kyb_req_gap *out;
	int cap, n;
};

static void add(struct gaps *g, enum kyb_req_gap_kind kind, enum kyb_req_gap_why why, int id, int owner,
		const char *item, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(struct gaps *g, enum kyb_req_gap_kind kind, enum kyb_req_gap_why why, int id, int owner,
		const char *item, const char *fmt, ...)
{
	struct kyb_req_gap *e;
	va_list ap;

	if (g->n++ >= g->cap)
		return;
	e = &g->out[g->n - 1];
	e->kind = kind;
	e->why = why;
	e->id = id;
	e->owner = owner;
	snprintf(e->item, sizeof e->item, "%s", item);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

static int present(const struct kyb_req_value *v)
{
	return v->value && v->value[0];
}

/* Runs the tier's check for a merchant field; 0 if none applies. */
static int check_merchant(const struct kyb_tier *t, const struct kyb_mcc *mcc, const char *country,
			  int id, const char *item, const char *s, struct kyb_check_bad *bad)
{
	uint32_t c = t->checks;

	switch (id) {
	case KYB_MF_TRADING_NAME:
		return c & (1u << KYB_CHECK_TRADING_NAME) ? kyb_check_trading_name(item, s, bad) : 0;
	case KYB_MF_MCC:
		return c & (1u << KYB_CHECK_MCC) ? kyb_mcc_check(mcc, item, s, bad) : 0;
	case KYB_MF_COUNTRY:
		return c & (1u << KYB_CHECK_COUNTRY) ? kyb_check_country(item, s, bad) : 0;
	case KYB_MF_PHONE:
		return c & (1u << KYB_CHECK_PHONE) ? kyb_check_phone(item, s, bad) : 0;
	case KYB_MF_TAX_ID:
		return c & (1u << KYB_CHECK_TAX_ID) ? kyb_check_tax_id(item, country, s, bad) : 0;
	case KYB_MF_LEI:
		return c & (1u << KYB_CHECK_LEI) ? kyb_check_lei(item, s, bad) : 0;
	default:
		return 0;
	}
}

static int check_owner(const struct kyb_tier *t, const char *country, int id, const char *item,
		       const char *s, struct kyb_check_bad *bad)
{
	uint32_t c = t->checks;

	switch (id) {
	case KYB_OF_PHONE:
		return c & (1u << KYB_CHECK_PHONE) ? kyb_check_phone(item, s, bad) : 0;
	case KYB_OF_NATIONAL_ID:
		return c & (1u << KYB_CHECK_NATIONAL_ID) ? kyb_check_national_id(item, country, s, bad) : 0;
	case KYB_OF_TAX_ID:
		return c & (1u << KYB_CHECK_TAX_ID) ? kyb_check_tax_id(item, country, s, bad) : 0;
	default:
		return 0;
	}
}

/* The gap, if any, of one value: required?, must be verified?, and the
 * result of its check (0 or a negative errno with bad filled). */
static void value_gap(struct gaps *g, enum kyb_req_gap_kind kind, int id, int owner, const char *item,
		      const struct kyb_req_value *v, int required, int verify, int rc,
		      const struct kyb_check_bad *bad)
{
	if (!present(v)) {
		if (required)
			add(g, kind, KYB_REQ_GAP_MISSING, id, owner, item, "missing");
	} else if (v->state == KYB_REQ_REJECTED) {
		add(g, kind, KYB_REQ_GAP_REJECTED, id, owner, item, "rejected on review: provide it again");
	} else if (rc < 0) {
		/* bad->msg already starts with the item's name. */
		add(g, kind, KYB_REQ_GAP_INVALID, id, owner, item, "%s", bad->msg);
	} else if (verify && v->state != KYB_REQ_VERIFIED) {
		add(g, kind, KYB_REQ_GAP_UNVERIFIED, id, owner, item, "not verified yet");
	}
}

int kyb_req_gaps(const struct kyb_tier *t, const struct kyb_req_have *have, const struct kyb_mcc *mcc,
		 struct kyb_req_gap *out, int cap)
{
	struct gaps g = { .out = out, .cap = out ? cap : 0 };
	const char *country;
	char item[KYB_REQ_GAP_ITEM_MAX];

	if (!t || !have || t->party != KYB_PARTY_MERCHANT || have->nowners < 0 ||
	    (have->nowners > 0 && !have->owners))
		return -EINVAL;
	if (g.cap < 0)
		g.cap = 0;
	country = present(&have->m[KYB_MF_COUNTRY]) ? have->m[KYB_MF_COUNTRY].value :
						       have->default_country;

	for (int id = 0; id < KYB_MF__COUNT; id++) {
		const struct kyb_req_value *v = &have->m[id];
		struct kyb_check_bad bad = { .pos = -1 };
		int rc = 0;

		snprintf(item, sizeof item, "merchant.%s", kyb_tier_mfield_name(id));
		if (present(v))
			rc = check_merchant(t, mcc, country, id, item, v->value, &bad);
		value_gap(&g, KYB_REQ_GAP_MERCHANT, id, -1, item, v, !!(t->merchant_fields & (1u << id)),
			  !!(t->verify_merchant & (1u << id)), rc, &bad);
	}

	if (have->nowners < t->owners_min)
		add(&g, KYB_REQ_GAP_OWNERS, KYB_REQ_GAP_MISSING, t->owners_min, -1, "owners",
		    "at least %d owner%s needed, %d declared", t->owners_min,
		    t->owners_min == 1 ? "" : "s", have->nowners);

	for (int o = 0; o < have->nowners; o++) {
		for (int id = 0; id < KYB_OF__COUNT; id++) {
			const struct kyb_req_value *v = &have->owners[o].f[id];
			struct kyb_check_bad bad = { .pos = -1 };
			int rc = 0;

			snprintf(item, sizeof item, "owners[%d].%s", o, kyb_tier_ofield_name(id));
			if (present(v))
				rc = check_owner(t, country, id, item, v->value, &bad);
			value_gap(&g, KYB_REQ_GAP_OWNER, id, o, item, v, !!(t->owner_fields & (1u << id)),
				  !!(t->verify_owner & (1u << id)), rc, &bad);
		}
	}

	for (int id = 0; id < KYB_DOC__COUNT; id++) {
		enum kyb_req_state s = have->doc[id];
		int required = !!(t->documents & (1u << id));

		snprintf(item, sizeof item, "document.%s", kyb_tier_doc_name(id));
		if (!required)
			continue;
		if (s == KYB_REQ_ABSENT)
			add(&g, KYB_REQ_GAP_DOCUMENT, KYB_REQ_GAP_MISSING, id, -1, item, "missing: upload one");
		else if (s == KYB_REQ_REJECTED)
			add(&g, KYB_REQ_GAP_DOCUMENT, KYB_REQ_GAP_REJECTED, id, -1, item,
			    "rejected on review: upload another");
		else if ((t->verify_documents & (1u << id)) && s != KYB_REQ_VERIFIED)
			add(&g, KYB_REQ_GAP_DOCUMENT, KYB_REQ_GAP_UNVERIFIED, id, -1, item, "not verified yet");
	}
	return g.n;
}
