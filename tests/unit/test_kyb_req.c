/* test_kyb_req.c -- unit tests of the KYB requirements function
 * (kyb/kyb_req.c) against the default tiers: what an empty, a T0 and a
 * complete merchant lack for T0, T1 and T2, with verification states,
 * invalid optional values, owners and the country of the ID formats.
 * Runs from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kyb/kyb_mcc.h"
#include "kyb/kyb_req.h"
#include "kyb/kyb_tier.h"

struct fixture {
	struct kyb_tiers *tiers;
	struct kyb_mcc *mcc;
	const struct kyb_tier *t0, *t1, *t2;
};

static int setup(void **state)
{
	static struct fixture f;
	char err[256];

	if (kyb_tiers_load("data/kyb-tiers.conf", &f.tiers, NULL) != 0)
		return -1;
	if (kyb_mcc_load("data/mcc.tsv", &f.mcc, err, sizeof err) != 0)
		return -1;
	f.t0 = kyb_tiers_find(f.tiers, KYB_PARTY_MERCHANT, "T0");
	f.t1 = kyb_tiers_find(f.tiers, KYB_PARTY_MERCHANT, "T1");
	f.t2 = kyb_tiers_find(f.tiers, KYB_PARTY_MERCHANT, "T2");
	*state = &f;
	return f.t0 && f.t1 && f.t2 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kyb_tiers_free(f->tiers);
	kyb_mcc_free(f->mcc);
	return 0;
}

#define V(s) ((struct kyb_req_value){ (s), KYB_REQ_PENDING })
#define VV(s) ((struct kyb_req_value){ (s), KYB_REQ_VERIFIED })

/* A T0 merchant from Dar es Salaam, one owner; have->owners points at
 * owner. */
static void t0_merchant(struct kyb_req_have *h, struct kyb_req_owner *owner)
{
	memset(h, 0, sizeof *h);
	memset(owner, 0, sizeof *owner);
	h->default_country = "TZ";
	h->m[KYB_MF_TRADING_NAME] = V("Duka la Mama Asha");
	h->m[KYB_MF_MCC] = V("5411");
	h->m[KYB_MF_PHONE] = V("+255712345678");
	h->m[KYB_MF_DISTRICT] = V("Kinondoni");
	owner->f[KYB_OF_NAME] = V("Asha Juma");
	owner->f[KYB_OF_NATIONAL_ID] = V("19850412-12345-00001-23");
	h->owners = owner;
	h->nowners = 1;
}

/* The same merchant with everything T2 asks for, verified. */
static void t2_merchant(struct kyb_req_have *h, struct kyb_req_owner *owner)
{
	t0_merchant(h, owner);
	h->m[KYB_MF_LEGAL_NAME] = V("Asha Juma Trading Ltd");
	h->m[KYB_MF_EMAIL] = V("asha@example.co.tz");
	h->m[KYB_MF_ADDRESS] = V("Plot 12, Morogoro Road");
	h->m[KYB_MF_PERMIT_NUMBER] = V("DSM/KIN/2024/0042");
	h->m[KYB_MF_TAX_ID] = VV("123-456-789");
	h->m[KYB_MF_REGISTRATION_NUMBER] = V("154321");
	h->m[KYB_MF_SETTLEMENT_ACCOUNT] = V("tzbank1:0150123456789");
	owner->f[KYB_OF_PHONE] = V("+255754000111");
	owner->f[KYB_OF_NATIONAL_ID].state = KYB_REQ_VERIFIED;
	h->doc[KYB_DOC_NATIONAL_ID] = KYB_REQ_PENDING;
	h->doc[KYB_DOC_TRADING_PERMIT] = KYB_REQ_VERIFIED;
	h->doc[KYB_DOC_REGISTRATION_CERTIFICATE] = KYB_REQ_VERIFIED;
	h->doc[KYB_DOC_TAX_CERTIFICATE] = KYB_REQ_VERIFIED;
}

/* The gaps are exactly items[] with whys[], in order. */
static void expect_gaps(const struct kyb_tier *t, const struct kyb_req_have *h, const struct kyb_mcc *m,
			int n, const char *const *items, const enum kyb_req_gap_why *whys)
{
	struct kyb_req_gap g[32];
	int got = kyb_req_gaps(t, h, m, g, 32);

	if (got != n) {
		for (int i = 0; i < got && i < 32; i++)
			print_message("  %s: %s (%s)\n", g[i].item, kyb_req_why_name(g[i].why), g[i].msg);
	}
	assert_int_equal(got, n);
	for (int i = 0; i < n; i++) {
		if (strcmp(g[i].item, items[i]) != 0 || g[i].why != whys[i])
			print_message("gap %d: %s %s (%s), expected %s %s\n", i, g[i].item,
				      kyb_req_why_name(g[i].why), g[i].msg, items[i], kyb_req_why_name(whys[i]));
		assert_string_equal(g[i].item, items[i]);
		assert_int_equal(g[i].why, whys[i]);
		assert_true(g[i].msg[0] != '\0');
	}
}

static void test_empty_merchant_for_t0(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h = { 0 };
	static const char *const items[] = { "merchant.trading_name", "merchant.mcc", "merchant.phone",
					     "merchant.district", "owners" };
	static const enum kyb_req_gap_why whys[] = { KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING,
						 KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING };
	struct kyb_req_gap g[8];

	expect_gaps(f->t0, &h, f->mcc, 5, items, whys);
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 8), 5);
	assert_int_equal(g[4].kind, KYB_REQ_GAP_OWNERS);
	assert_int_equal(g[4].id, 1);
	assert_string_equal(g[4].msg, "at least 1 owner needed, 0 declared");
	assert_int_equal(g[0].kind, KYB_REQ_GAP_MERCHANT);
	assert_int_equal(g[0].id, KYB_MF_TRADING_NAME);
	assert_int_equal(g[0].owner, -1);
}

static void test_t0_merchant_meets_t0(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o;

	t0_merchant(&h, &o);
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, NULL, 0), 0);
}

/* GET /v1/merchants/{id}/kyb?tier=T1 for a T0 merchant. */
static void test_t0_merchant_for_t1(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o;
	static const char *const items[] = {
		"merchant.address", "merchant.permit_number", "merchant.settlement_account",
		"owners[0].phone", "owners[0].national_id", "document.national_id",
		"document.trading_permit",
	};
	static const enum kyb_req_gap_why whys[] = {
		KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING,
		KYB_REQ_GAP_UNVERIFIED, KYB_REQ_GAP_MISSING, KYB_REQ_GAP_MISSING,
	};

	t0_merchant(&h, &o);
	expect_gaps(f->t1, &h, f->mcc, 7, items, whys);
}

static void test_t2_merchant(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o;
	struct kyb_req_gap g[4];

	t2_merchant(&h, &o);
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 4), 0);
	assert_int_equal(kyb_req_gaps(f->t1, &h, f->mcc, g, 4), 0);
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 4), 0);

	/* An optional LEI is checked when given. */
	h.m[KYB_MF_LEI] = V("5493001KJTIIGC8Y1R12");
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 4), 0);
	h.m[KYB_MF_LEI] = V("5493001KJTIIGC8Y1R13");
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 4), 1);
	assert_string_equal(g[0].item, "merchant.lei");
	assert_int_equal(g[0].why, KYB_REQ_GAP_INVALID);
	assert_string_equal(g[0].msg, "merchant.lei: position 19 ('1'): check digits 13 do not match, "
				      "expected 12 (ISO 7064 MOD 97-10)");
	/* ... but not at T0, whose checks leave LEIs out. */
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 4), 0);
	h.m[KYB_MF_LEI] = V("");   /* "" is absent */
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 4), 0);
}

static void test_states(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o;
	struct kyb_req_gap g[8];

	t2_merchant(&h, &o);
	h.m[KYB_MF_TAX_ID].state = KYB_REQ_PENDING;
	h.doc[KYB_DOC_TAX_CERTIFICATE] = KYB_REQ_PENDING;
	h.doc[KYB_DOC_REGISTRATION_CERTIFICATE] = KYB_REQ_REJECTED;
	h.doc[KYB_DOC_NATIONAL_ID] = KYB_REQ_ABSENT;
	o.f[KYB_OF_PHONE].state = KYB_REQ_REJECTED;
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 8), 5);
	assert_string_equal(g[0].item, "merchant.tax_id");
	assert_int_equal(g[0].why, KYB_REQ_GAP_UNVERIFIED);
	assert_string_equal(g[0].msg, "not verified yet");
	assert_string_equal(g[1].item, "owners[0].phone");
	assert_int_equal(g[1].why, KYB_REQ_GAP_REJECTED);
	assert_int_equal(g[1].kind, KYB_REQ_GAP_OWNER);
	assert_int_equal(g[1].owner, 0);
	assert_int_equal(g[1].id, KYB_OF_PHONE);
	assert_string_equal(g[2].item, "document.national_id");
	assert_int_equal(g[2].why, KYB_REQ_GAP_MISSING);
	assert_string_equal(g[3].item, "document.tax_certificate");
	assert_int_equal(g[3].why, KYB_REQ_GAP_UNVERIFIED);
	assert_int_equal(g[3].kind, KYB_REQ_GAP_DOCUMENT);
	assert_string_equal(g[4].item, "document.registration_certificate");
	assert_int_equal(g[4].why, KYB_REQ_GAP_REJECTED);
	/* T1 does not ask for the tax ID to be verified, nor for the
	 * registration certificate: only the rejected phone and the
	 * missing ID copy are left. */
	assert_int_equal(kyb_req_gaps(f->t1, &h, f->mcc, g, 8), 2);
	assert_string_equal(g[0].item, "owners[0].phone");
	assert_string_equal(g[1].item, "document.national_id");
}

static void test_invalid_values(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o;
	struct kyb_req_gap g[8];

	t2_merchant(&h, &o);
	h.m[KYB_MF_TAX_ID] = VV("12345");
	h.m[KYB_MF_MCC] = V("9999");
	h.m[KYB_MF_TRADING_NAME] = V("Duka la Mama Asha na Wanawe Ltd");
	o.f[KYB_OF_PHONE] = V("0754000111");
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 8), 4);
	assert_string_equal(g[0].item, "merchant.trading_name");
	assert_string_equal(g[0].msg, "merchant.trading_name: position 26 ('w'): longer than 25 characters "
				      "(EMVCo tag 59)");
	assert_string_equal(g[1].item, "merchant.mcc");
	assert_string_equal(g[1].msg, "merchant.mcc: 9999 is not in the MCC table (data/mcc.tsv)");
	assert_string_equal(g[2].item, "merchant.tax_id");
	assert_non_null(strstr(g[2].msg, "TZ TRA TIN"));
	assert_string_equal(g[3].item, "owners[0].phone");
	assert_int_equal(g[3].why, KYB_REQ_GAP_INVALID);
	/* Without an MCC table only the form of the MCC is checked. */
	assert_int_equal(kyb_req_gaps(f->t2, &h, NULL, g, 8), 3);
}

static void test_country_of_id_formats(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o;
	struct kyb_req_gap g[4];

	t0_merchant(&h, &o);
	/* A TZ NIDA number is no Kenyan ID. */
	h.m[KYB_MF_COUNTRY] = V("KE");
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 4), 1);
	assert_string_equal(g[0].item, "owners[0].national_id");
	assert_non_null(strstr(g[0].msg, "KE national ID"));
	o.f[KYB_OF_NATIONAL_ID] = V("12345678");
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 4), 0);
	/* The merchant's country is itself checked. */
	h.m[KYB_MF_COUNTRY] = V("XK");
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 4), 1);
	assert_string_equal(g[0].item, "merchant.country");
	/* No country at all: the generic format. */
	h.m[KYB_MF_COUNTRY] = V(NULL);
	h.default_country = NULL;
	o.f[KYB_OF_NATIONAL_ID] = V("A1234567");
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 4), 0);
}

static void test_owners(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h;
	struct kyb_req_owner o[3];
	struct kyb_req_gap g[8];

	t0_merchant(&h, &o[0]);
	o[1] = o[0];
	memset(&o[2], 0, sizeof o[2]);
	o[2].f[KYB_OF_NATIONAL_ID] = V("bad id");
	h.owners = o;
	h.nowners = 3;
	/* Every declared owner must have the owner fields. */
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 8), 2);
	assert_string_equal(g[0].item, "owners[2].name");
	assert_int_equal(g[0].why, KYB_REQ_GAP_MISSING);
	assert_int_equal(g[0].owner, 2);
	assert_string_equal(g[1].item, "owners[2].national_id");
	assert_int_equal(g[1].why, KYB_REQ_GAP_INVALID);
	assert_int_equal(strncmp(g[1].msg, "owners[2].national_id: position 1 ('b')", 39), 0);
}

static void test_capacity_and_errors(void **state)
{
	struct fixture *f = *state;
	struct kyb_req_have h = { 0 };
	struct kyb_req_gap g[2];
	const struct kyb_tier *c0 = kyb_tiers_find(f->tiers, KYB_PARTY_CUSTOMER, "C0");

	memset(g, 0x5a, sizeof g);
	/* All are counted (T2: 11 merchant fields, the owner, 4 documents),
	 * only cap written. */
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, 1), 16);
	assert_string_equal(g[0].item, "merchant.trading_name");
	assert_int_equal(((unsigned char *)&g[1])[0], 0x5a);
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, NULL, 5), 16);
	assert_int_equal(kyb_req_gaps(f->t2, &h, f->mcc, g, -3), 16);
	assert_int_equal(kyb_req_gaps(c0, &h, f->mcc, g, 2), -EINVAL);
	assert_int_equal(kyb_req_gaps(f->t0, NULL, f->mcc, g, 2), -EINVAL);
	assert_int_equal(kyb_req_gaps(NULL, &h, f->mcc, g, 2), -EINVAL);
	h.nowners = -1;
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 2), -EINVAL);
	h.nowners = 1;   /* owners NULL */
	assert_int_equal(kyb_req_gaps(f->t0, &h, f->mcc, g, 2), -EINVAL);
	assert_string_equal(kyb_req_why_name(KYB_REQ_GAP_UNVERIFIED), "unverified");
	assert_null(kyb_req_why_name((enum kyb_req_gap_why)4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_merchant_for_t0),
		cmocka_unit_test(test_t0_merchant_meets_t0),
		cmocka_unit_test(test_t0_merchant_for_t1),
		cmocka_unit_test(test_t2_merchant),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_country_of_id_formats),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_capacity_and_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
