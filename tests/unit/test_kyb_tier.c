/* test_kyb_tier.c -- unit tests of the KYB tier file parser
 * (kyb/kyb_tier.c): the default data/kyb-tiers.conf and its built-in copy,
 * lookups and upgrade order, syntax variants, and every error with its
 * file:line and key. Runs from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kyb/kyb_builtin.h"
#include "kyb/kyb_file.h"
#include "kyb/kyb_tier.h"

#define CONF "data/kyb-tiers.conf"
#define BIT(x) (1u << (x))

/* ---- Helpers ---- */

static struct kyb_tiers *load_default(void)
{
	struct kyb_tiers *t = NULL;
	struct kyb_tier_errs e;
	int rc = kyb_tiers_load(CONF, &t, &e);

	if (rc != 0)
		for (int i = 0; i < e.n && i < KYB_TIER_ERR_MAX; i++)
			print_message("%s\n", e.e[i].msg);
	assert_int_equal(rc, 0);
	assert_non_null(t);
	return t;
}

static int parse(const char *text, struct kyb_tiers **t, struct kyb_tier_errs *e)
{
	return kyb_tiers_parse(text, strlen(text), "t.conf", t, e);
}

/* The smallest valid file; build() edits one line of it. Line N of the
 * file is MIN[N - 1]. */
static const char *const MIN[] = {
	"[kyb]",                        /* 1 */
	"currency = TZS",               /* 2 */
	"[merchant T0]",                /* 3 */
	"approval = auto",              /* 4 */
	"merchant_fields = phone",      /* 5 */
	"owner_fields = name",          /* 6 */
	"documents =",                  /* 7 */
	"checks = phone",               /* 8 */
	"limit_payment = 100",          /* 9 */
	"limit_day = 1000",             /* 10 */
	"limit_month = 10000",          /* 11 */
	"offline_payment = 10",         /* 12 */
	"offline_exposure = 50",        /* 13 */
	"offline_count = 5",            /* 14 */
	"offline_max_age = 3600",       /* 15 */
	NULL,
};

/* MIN with the line of key replaced by line (or dropped when line is
 * NULL; key NULL: nothing replaced), then append. Static buffer. */
static const char *build(const char *key, const char *line, const char *append)
{
	static char buf[8192];
	size_t k = 0;

	buf[0] = '\0';
	for (int i = 0; MIN[i]; i++) {
		const char *l = MIN[i];
		if (key && strncmp(l, key, strlen(key)) == 0 && l[strlen(key)] == ' ') {
			if (!line)
				continue;
			l = line;
		}
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s\n", l);
	}
	if (append)
		snprintf(buf + k, sizeof buf - k, "%s", append);
	return buf;
}

static void dump(const struct kyb_tier_errs *e)
{
	for (int i = 0; i < e->n && i < KYB_TIER_ERR_MAX; i++)
		print_message("  [%d] line %d key '%s': %s\n", i, e->e[i].line, e->e[i].key, e->e[i].msg);
}

/* text has exactly nerr errors, one of them at line with key and a
 * message containing needle and starting "t.conf:LINE: ". */
static void expect_errors(const char *text, int nerr, int line, const char *key, const char *needle)
{
	struct kyb_tiers *t = (struct kyb_tiers *)&t;   /* must be reset to NULL */
	struct kyb_tier_errs e;
	char prefix[32];
	int found = 0;

	assert_int_equal(parse(text, &t, &e), -EINVAL);
	assert_null(t);
	if (line > 0)
		snprintf(prefix, sizeof prefix, "t.conf:%d: ", line);
	else
		snprintf(prefix, sizeof prefix, "t.conf: ");
	for (int i = 0; i < e.n && i < KYB_TIER_ERR_MAX; i++)
		if (e.e[i].line == line && strcmp(e.e[i].key, key) == 0 && strstr(e.e[i].msg, needle) &&
		    strncmp(e.e[i].msg, prefix, strlen(prefix)) == 0)
			found = 1;
	if (!found || e.n != nerr) {
		print_message("expected %d error(s), one at line %d key '%s' with \"%s\"; got %d:\n", nerr,
			      line, key, needle, e.n);
		dump(&e);
	}
	assert_true(found);
	assert_int_equal(e.n, nerr);
}

static void expect_error(const char *text, int line, const char *key, const char *needle)
{
	expect_errors(text, 1, line, key, needle);
}

/* ---- The default file ---- */

static void test_min_is_valid(void **state)
{
	struct kyb_tiers *t;
	struct kyb_tier_errs e;
	(void)state;

	assert_int_equal(parse(build(NULL, NULL, NULL), &t, &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_equal(kyb_tiers_count(t, KYB_PARTY_MERCHANT), 1);
	assert_int_equal(kyb_tiers_count(t, KYB_PARTY_CUSTOMER), 0);
	kyb_tiers_free(t);
}

static void test_default_merchant_tiers(void **state)
{
	struct kyb_tiers *t = load_default();
	const struct kyb_tier *t0, *t1, *t2;
	(void)state;

	assert_string_equal(kyb_tiers_currency(t), "TZS");
	assert_int_equal(kyb_tiers_count(t, KYB_PARTY_MERCHANT), 3);
	t0 = kyb_tiers_at(t, KYB_PARTY_MERCHANT, 0);
	t1 = kyb_tiers_at(t, KYB_PARTY_MERCHANT, 1);
	t2 = kyb_tiers_at(t, KYB_PARTY_MERCHANT, 2);
	assert_null(kyb_tiers_at(t, KYB_PARTY_MERCHANT, 3));
	assert_null(kyb_tiers_at(t, KYB_PARTY_MERCHANT, -1));
	assert_string_equal(t0->name, "T0");
	assert_string_equal(t1->name, "T1");
	assert_string_equal(t2->name, "T2");
	assert_string_equal(t0->label, "Informal trader");
	assert_int_equal(t0->rank, 0);
	assert_int_equal(t2->rank, 2);
	assert_int_equal(t0->party, KYB_PARTY_MERCHANT);

	/* Upgrade path T0 -> T1 -> T2. */
	assert_ptr_equal(kyb_tiers_next(t, t0), t1);
	assert_ptr_equal(kyb_tiers_next(t, t1), t2);
	assert_null(kyb_tiers_next(t, t2));
	assert_ptr_equal(kyb_tiers_find(t, KYB_PARTY_MERCHANT, "T1"), t1);
	assert_null(kyb_tiers_find(t, KYB_PARTY_MERCHANT, "t1"));
	assert_null(kyb_tiers_find(t, KYB_PARTY_CUSTOMER, "T1"));
	assert_null(kyb_tiers_find(t, KYB_PARTY_MERCHANT, NULL));

	/* T0: informal trader, phone and self-declared national ID, auto. */
	assert_int_equal(t0->approval, KYB_APPROVAL_AUTO);
	assert_true(t0->merchant_fields & BIT(KYB_MF_PHONE));
	assert_true(t0->owner_fields & BIT(KYB_OF_NATIONAL_ID));
	assert_int_equal(t0->documents, 0);
	assert_int_equal(t0->verify_owner | t0->verify_merchant | t0->verify_documents, 0);
	assert_true(t0->checks & BIT(KYB_CHECK_PHONE));
	assert_true(t0->checks & BIT(KYB_CHECK_NATIONAL_ID));
	assert_int_equal(t0->limits.payment, 5000000);
	assert_int_equal(t0->limits.day, 30000000);
	assert_int_equal(t0->limits.month, 300000000);
	assert_int_equal(t0->limits.offline_payment, 1000000);
	assert_int_equal(t0->limits.offline_exposure, 5000000);
	assert_int_equal(t0->limits.offline_count, 5);
	assert_int_equal(t0->limits.offline_max_age, 86400);

	/* T1: verified ID and trading permit, maker-checker. */
	assert_int_equal(t1->approval, KYB_APPROVAL_MAKER_CHECKER);
	assert_true(t1->merchant_fields & BIT(KYB_MF_PERMIT_NUMBER));
	assert_true(t1->documents & BIT(KYB_DOC_TRADING_PERMIT));
	assert_true(t1->verify_owner & BIT(KYB_OF_NATIONAL_ID));
	assert_true(t1->verify_documents & BIT(KYB_DOC_TRADING_PERMIT));

	/* T2: tax ID, registration certificate, LEI checked, maker-checker. */
	assert_int_equal(t2->approval, KYB_APPROVAL_MAKER_CHECKER);
	assert_true(t2->merchant_fields & BIT(KYB_MF_TAX_ID));
	assert_false(t2->merchant_fields & BIT(KYB_MF_LEI));   /* optional */
	assert_true(t2->checks & BIT(KYB_CHECK_LEI));
	assert_true(t2->checks & BIT(KYB_CHECK_TAX_ID));
	assert_true(t2->documents & BIT(KYB_DOC_REGISTRATION_CERTIFICATE));
	assert_true(t2->verify_merchant & BIT(KYB_MF_TAX_ID));
	assert_int_equal(t2->limits.payment, KYB_UNLIMITED);
	assert_int_equal(t2->limits.month, KYB_UNLIMITED);
	assert_true(t2->limits.offline_payment < KYB_UNLIMITED);
	kyb_tiers_free(t);
}

static void limits_array(const struct kyb_limits *l, int64_t v[7])
{
	v[0] = l->payment;
	v[1] = l->day;
	v[2] = l->month;
	v[3] = l->offline_payment;
	v[4] = l->offline_exposure;
	v[5] = l->offline_count;
	v[6] = l->offline_max_age;
}

/* Each tier asks at least what the one below does, and allows at least
 * as much: an upgrade never loses a requirement or lowers a limit. */
static void test_default_tiers_are_monotonic(void **state)
{
	struct kyb_tiers *t = load_default();
	(void)state;

	for (int p = 0; p < KYB_PARTY__COUNT; p++) {
		for (int i = 1; i < kyb_tiers_count(t, p); i++) {
			const struct kyb_tier *lo = kyb_tiers_at(t, p, i - 1), *hi = kyb_tiers_at(t, p, i);
			int64_t a[7], b[7];
			limits_array(&lo->limits, a);
			limits_array(&hi->limits, b);
			assert_int_equal(lo->merchant_fields & ~hi->merchant_fields, 0);
			assert_int_equal(lo->owner_fields & ~hi->owner_fields, 0);
			assert_int_equal(lo->documents & ~hi->documents, 0);
			assert_int_equal(lo->checks & ~hi->checks, 0);
			assert_int_equal(lo->verify_merchant & ~hi->verify_merchant, 0);
			assert_int_equal(lo->verify_owner & ~hi->verify_owner, 0);
			assert_int_equal(lo->verify_documents & ~hi->verify_documents, 0);
			assert_true(lo->owners_min <= hi->owners_min);
			for (int k = 0; k < 7; k++)
				assert_true(a[k] <= b[k]);
		}
	}
	kyb_tiers_free(t);
}

static void test_default_customer_tiers(void **state)
{
	struct kyb_tiers *t = load_default();
	const struct kyb_tier *c0;
	(void)state;

	assert_int_equal(kyb_tiers_count(t, KYB_PARTY_CUSTOMER), 3);
	c0 = kyb_tiers_find(t, KYB_PARTY_CUSTOMER, "C0");
	assert_non_null(c0);
	assert_int_equal(c0->party, KYB_PARTY_CUSTOMER);
	assert_int_equal(c0->limits.payment, 5000000);
	assert_int_equal(c0->limits.day, 10000000);
	assert_int_equal(c0->limits.offline_exposure, 2000000);
	assert_int_equal(c0->limits.offline_count, 3);
	assert_int_equal(c0->limits.offline_max_age, KYB_UNLIMITED);   /* not set: the merchant's */
	assert_int_equal(c0->merchant_fields | c0->documents | c0->checks, 0);
	assert_int_equal(c0->owners_min, 0);
	assert_string_equal(kyb_tiers_next(t, c0)->name, "C1");
	kyb_tiers_free(t);
}

/* The built-in copy is data/kyb-tiers.conf byte for byte. Skipped while
 * the build does not generate it (the Makefile rule is missing). */
static void test_builtin_is_the_file(void **state)
{
	struct kyb_tiers *t;
	struct kyb_tier_errs e;
	size_t len, flen;
	char *file;
	const char *text = kyb_builtin_tiers(&len);
	(void)state;

	assert_non_null(text);
	assert_int_equal(kyb_file_read(CONF, KYB_TIER_FILE_MAX, &file, &flen), 0);
	assert_int_equal(len, flen);
	assert_memory_equal(text, file, len);
	assert_int_equal(text[len], '\0');
	free(file);
	assert_int_equal(kyb_tiers_builtin(&t, &e), 0);
	assert_int_equal(kyb_tiers_count(t, KYB_PARTY_MERCHANT), 3);
	kyb_tiers_free(t);
}

static void test_vocabulary_names(void **state)
{
	(void)state;
	assert_string_equal(kyb_tier_mfield_name(KYB_MF_TRADING_NAME), "trading_name");
	assert_string_equal(kyb_tier_mfield_name(KYB_MF_SETTLEMENT_ACCOUNT), "settlement_account");
	assert_null(kyb_tier_mfield_name(KYB_MF__COUNT));
	assert_null(kyb_tier_mfield_name(-1));
	assert_string_equal(kyb_tier_ofield_name(KYB_OF_NATIONAL_ID), "national_id");
	assert_null(kyb_tier_ofield_name(KYB_OF__COUNT));
	assert_string_equal(kyb_tier_doc_name(KYB_DOC_REGISTRATION_CERTIFICATE), "registration_certificate");
	assert_null(kyb_tier_doc_name(KYB_DOC__COUNT));
	assert_string_equal(kyb_tier_check_name(KYB_CHECK_LEI), "lei");
	assert_null(kyb_tier_check_name(KYB_CHECK__COUNT));
	assert_string_equal(kyb_tier_approval_name(KYB_APPROVAL_MAKER_CHECKER), "maker-checker");
	assert_null(kyb_tier_approval_name(2));
	assert_string_equal(kyb_tier_party_name(KYB_PARTY_CUSTOMER), "customer");
	for (int i = 0; i < KYB_MF__COUNT; i++)
		assert_non_null(kyb_tier_mfield_name(i));
	for (int i = 0; i < KYB_OF__COUNT; i++)
		assert_non_null(kyb_tier_ofield_name(i));
	for (int i = 0; i < KYB_DOC__COUNT; i++)
		assert_non_null(kyb_tier_doc_name(i));
	for (int i = 0; i < KYB_CHECK__COUNT; i++)
		assert_non_null(kyb_tier_check_name(i));
}

/* ---- Syntax ---- */

static void test_syntax_variants(void **state)
{
	static const char text[] =
		"; a comment\r\n"
		"  # an indented comment\r\n"
		"\r\n"
		"[ kyb ]\r\n"
		"currency=KES\r\n"
		"[merchant  basic-1]   # inline comment\r\n"
		"\tlabel =  Mama mboga, stall#1  # a comment: '#' after a blank\r\n"
		"approval = maker-checker\r\n"
		"merchant_fields =phone ,\ttrading_name,mcc\r\n"
		"owner_fields = \r\n"
		"documents = photo\r\n"
		"checks =\r\n"
		"verify = merchant.phone, document.photo\r\n"
		"owners_min = 0\r\n"
		"limit_payment = 1_000\r\n"
		"limit_day = 1_000_000\r\n"
		"limit_month = unlimited\r\n"
		"offline_payment = 0\r\n"
		"offline_exposure = 0\r\n"
		"offline_count = 0\r\n"
		"offline_max_age = 0\r\n"
		"[customer c_1]\r\n"
		"limit_payment = 500\r\n"
		"limit_day = 900\r\n"
		"offline_exposure = 300\r\n"
		"offline_count = unlimited";   /* no final newline */
	struct kyb_tiers *t;
	struct kyb_tier_errs e;
	const struct kyb_tier *m, *c;
	(void)state;

	if (parse(text, &t, &e) != 0) {
		dump(&e);
		fail();
	}
	assert_string_equal(kyb_tiers_currency(t), "KES");
	m = kyb_tiers_find(t, KYB_PARTY_MERCHANT, "basic-1");
	assert_non_null(m);
	assert_int_equal(m->line, 6);
	assert_string_equal(m->label, "Mama mboga, stall#1");
	assert_int_equal(m->approval, KYB_APPROVAL_MAKER_CHECKER);
	assert_int_equal(m->merchant_fields, BIT(KYB_MF_PHONE) | BIT(KYB_MF_TRADING_NAME) | BIT(KYB_MF_MCC));
	assert_int_equal(m->owner_fields, 0);
	assert_int_equal(m->documents, BIT(KYB_DOC_PHOTO));
	assert_int_equal(m->checks, 0);
	assert_int_equal(m->verify_merchant, BIT(KYB_MF_PHONE));
	assert_int_equal(m->verify_documents, BIT(KYB_DOC_PHOTO));
	assert_int_equal(m->owners_min, 0);
	assert_int_equal(m->limits.payment, 1000);
	assert_int_equal(m->limits.day, 1000000);
	assert_int_equal(m->limits.month, KYB_UNLIMITED);
	assert_int_equal(m->limits.offline_count, 0);
	c = kyb_tiers_find(t, KYB_PARTY_CUSTOMER, "c_1");
	assert_non_null(c);
	assert_string_equal(c->label, "");
	assert_int_equal(c->limits.month, KYB_UNLIMITED);
	assert_int_equal(c->limits.offline_count, KYB_UNLIMITED);
	/* offline_payment defaults to min(limit_payment, offline_exposure). */
	assert_int_equal(c->limits.offline_payment, 300);
	assert_int_equal(c->limits.offline_max_age, KYB_UNLIMITED);
	kyb_tiers_free(t);
}

static void test_largest_amount(void **state)
{
	struct kyb_tiers *t;
	(void)state;

	/* INT64_MAX is "unlimited"; one less is the largest amount. */
	assert_int_equal(parse(build("limit_month", "limit_month = 9223372036854775806", NULL), &t, NULL), 0);
	assert_int_equal(kyb_tiers_at(t, KYB_PARTY_MERCHANT, 0)->limits.month, INT64_MAX - 1);
	kyb_tiers_free(t);
	expect_error(build("limit_month", "limit_month = 9223372036854775807", NULL), 11, "limit_month",
		     "is not an amount");
	expect_error(build("limit_month", "limit_month = 99999999999999999999", NULL), 11, "limit_month",
		     "is not an amount");
}

/* ---- Errors, each with its line and key ---- */

static void test_error_values(void **state)
{
	(void)state;
	expect_error(build("limit_day", "limit_day = 5x", NULL), 10, "limit_day",
		     "\"5x\" is not an amount in minor units");
	expect_error(build("limit_day", "limit_day = -5", NULL), 10, "limit_day", "is not an amount");
	expect_error(build("limit_day", "limit_day = 1__000", NULL), 10, "limit_day", "is not an amount");
	expect_error(build("limit_day", "limit_day = _1000", NULL), 10, "limit_day", "is not an amount");
	expect_error(build("limit_day", "limit_day = 1000_", NULL), 10, "limit_day", "is not an amount");
	expect_error(build("limit_day", "limit_day = 1 000", NULL), 10, "limit_day", "is not an amount");
	expect_error(build("limit_day", "limit_day =", NULL), 10, "limit_day", "\"\" is not an amount");
	expect_error(build("limit_day", "limit_day = Unlimited", NULL), 10, "limit_day", "is not an amount");
	expect_error(build("offline_count", "offline_count = many", NULL), 14, "offline_count",
		     "is not a count");
	expect_error(build("offline_max_age", "offline_max_age = 2592001", NULL), 15, "offline_max_age",
		     "seconds from 0 to 2592000");
	expect_error(build("offline_max_age", "offline_max_age = unlimited", NULL), 15, "offline_max_age",
		     "hard expiry");
	expect_error(build("approval", "approval = manual", NULL), 4, "approval",
		     "neither \"auto\" nor \"maker-checker\"");
	expect_error(build("currency", "currency = tzs", NULL), 2, "currency", "ISO 4217");
	expect_error(build("currency", "currency = TZSS", NULL), 2, "currency", "ISO 4217");
	expect_error(build(NULL, NULL, "owners_min = 17\n"), 16, "owners_min", "from 0 to 16");
	expect_error(build(NULL, NULL, "owners_min = x\n"), 16, "owners_min", "number of owners");
	expect_error(build(NULL, NULL,
			   "label = 0123456789012345678901234567890123456789012345678901234567890123\n"),
		     16, "label", "longer than 63 bytes");
}

static void test_error_lists(void **state)
{
	(void)state;
	expect_error(build("merchant_fields", "merchant_fields = phone, tradingname", NULL), 5,
		     "merchant_fields", "unknown merchant field \"tradingname\" (known: trading_name,");
	expect_error(build("owner_fields", "owner_fields = name, name", NULL), 6, "owner_fields",
		     "\"name\" is listed twice");
	expect_error(build("documents", "documents = photo,,trading_permit", NULL), 7, "documents",
		     "empty item");
	expect_error(build("documents", "documents = photo,", NULL), 7, "documents", "empty item");
	expect_error(build("documents", "documents = passport", NULL), 7, "documents",
		     "unknown document type \"passport\"");
	expect_error(build("checks", "checks = phone, iban", NULL), 8, "checks", "unknown check \"iban\"");
	/* Two bad items on one line: two errors. */
	expect_errors(build("checks", "checks = iban, bic", NULL), 2, 8, "checks", "unknown check \"bic\"");
	expect_error(build(NULL, NULL, "verify = merchant.nope\n"), 16, "verify",
		     "unknown item \"merchant.nope\"");
	expect_error(build(NULL, NULL, "verify = tax_id\n"), 16, "verify",
		     "\"tax_id\" is not merchant.FIELD, owner.FIELD or document.TYPE");
	expect_error(build(NULL, NULL, "verify = shop.phone\n"), 16, "verify", "is not merchant.FIELD");
	expect_error(build(NULL, NULL, "verify = merchant.phone, merchant.phone\n"), 16, "verify",
		     "listed twice");
	/* Reported when the section ends, at the verify line. */
	expect_error(build(NULL, NULL, "verify = merchant.phone, owner.national_id\n"), 16, "verify",
		     "owner.national_id must be verified but owner_fields does not require it");
	expect_error(build(NULL, NULL, "verify = document.photo\n[customer C0]\n"
				       "limit_payment = 1\nlimit_day = 1\noffline_exposure = 1\noffline_count = 1\n"),
		     16, "verify", "document.photo must be verified but documents does not require it");
}

static void test_error_structure(void **state)
{
	(void)state;
	expect_error(build(NULL, NULL, "[merchant T1\n"), 16, "", "without a closing ']'");
	expect_error(build(NULL, NULL, "[shop T1]\n"), 16, "",
		     "unknown section \"shop T1\" (expected [kyb], [merchant NAME] or [customer NAME])");
	expect_error(build(NULL, NULL, "[merchant]\n"), 16, "", "unknown section");
	expect_error(build(NULL, NULL, "[merchant T 1]\n"), 16, "", "unknown section");
	expect_error(build(NULL, NULL, "[merchant T$1]\n"), 16, "", "tier name \"T$1\" is not 1-15 letters");
	expect_error(build(NULL, NULL, "[merchant T0123456789abcdef]\n"), 16, "", "tier name");
	expect_error(build(NULL, NULL, "[merchant T0]\n"), 16, "", "[merchant T0] appears twice (first at line 3)");
	expect_error(build(NULL, NULL, "[kyb]\n"), 16, "", "[kyb] appears twice (first at line 1)");
	expect_error(build(NULL, NULL, "limit_day 5\n"), 16, "", "expected \"key = value\"");
	expect_error(build(NULL, NULL, "limit_weekly = 5\n"), 16, "limit_weekly", "unknown key");
	expect_error(build(NULL, NULL, "= 5\n"), 16, "", "unknown key");
	expect_error(build(NULL, NULL, "limit_day = 5\n"), 16, "limit_day", "set twice (first at line 10)");
	expect_error(build(NULL, NULL, "currency = TZS\n"), 16, "currency", "not allowed in a [merchant] section");
	expect_error(build(NULL, NULL, "[customer C0]\napproval = auto\nlimit_payment = 1\nlimit_day = 1\n"
				       "offline_exposure = 1\noffline_count = 1\n"),
		     17, "approval", "not allowed in a [customer] section");
	expect_error("currency = TZS\n[kyb]\ncurrency = TZS\n" "[merchant T0]\napproval = auto\n"
		     "merchant_fields =\nowner_fields =\ndocuments =\nchecks =\nlimit_payment = 1\n"
		     "limit_day = 1\nlimit_month = 1\noffline_payment = 1\noffline_exposure = 1\n"
		     "offline_count = 1\noffline_max_age = 1\n",
		     1, "currency", "not in a section");
	/* Keys under a broken header are ignored, not reported again. */
	expect_error(build(NULL, NULL, "[oops]\nfoo = 1\nlimit_day = x\n"), 16, "", "unknown section");
	/* ... but a line that is no key at all is. */
	expect_errors(build(NULL, NULL, "[oops]\nbar\n"), 2, 17, "", "expected \"key = value\"");
	/* The error names the section it is in. */
	expect_error(build("limit_day", "limit_day = x", NULL), 10, "limit_day", "[merchant T0] limit_day: ");
}

static void test_error_missing(void **state)
{
	/* Every required merchant key, dropped in turn: reported at the
	 * section header (line 3). */
	static const char *const req[] = { "approval", "merchant_fields", "owner_fields", "documents",
					   "checks", "limit_payment", "limit_day", "limit_month",
					   "offline_payment", "offline_exposure", "offline_count",
					   "offline_max_age" };
	(void)state;

	for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
		expect_error(build(req[i], NULL, NULL), 3, req[i], "missing (required in a [merchant] section)");
	expect_error(build("currency", NULL, NULL), 1, "currency", "missing (the currency of every limit)");
	/* Customer sections require 4 keys. */
	expect_error(build(NULL, NULL, "[customer C0]\nlimit_payment = 1\nlimit_day = 1\noffline_count = 1\n"),
		     16, "offline_exposure", "missing (required in a [customer] section)");
	expect_errors(build(NULL, NULL, "[customer C0]\n"), 4, 16, "limit_payment", "missing");
	/* Whole-file requirements: line 0. */
	expect_error("[merchant T0]\napproval = auto\nmerchant_fields =\nowner_fields =\ndocuments =\n"
		     "checks =\nlimit_payment = 1\nlimit_day = 1\nlimit_month = 1\noffline_payment = 1\n"
		     "offline_exposure = 1\noffline_count = 1\noffline_max_age = 1\n",
		     0, "currency", "no [kyb] section");
	expect_error("[kyb]\ncurrency = TZS\n", 0, "", "no [merchant NAME] section");
	expect_errors("", 2, 0, "", "no [merchant NAME] section");
}

static void test_error_limits_contradict(void **state)
{
	(void)state;
	expect_errors(build("offline_payment", "offline_payment = 101", NULL), 2, 12, "offline_payment",
		      "101 is over limit_payment (100)");
	expect_errors(build("offline_payment", "offline_payment = 101", NULL), 2, 12, "offline_payment",
		      "101 is over offline_exposure (50)");
	expect_error(build("offline_exposure", "offline_exposure = 9", NULL), 12, "offline_payment",
		     "10 is over offline_exposure (9)");
	expect_error(build("limit_payment", "limit_payment = 1001", NULL), 9, "limit_payment",
		     "1001 is over limit_day (1000)");
	expect_error(build("limit_day", "limit_day = unlimited", NULL), 10, "limit_day",
		     "unlimited is over limit_month (10000)");
	/* A bad value is reported once, not again as a contradiction. */
	expect_error(build("limit_day", "limit_day = lots", NULL), 10, "limit_day", "is not an amount");
	/* Equal limits are fine. */
	struct kyb_tiers *t;
	assert_int_equal(parse(build("limit_day", "limit_day = 10000", NULL), &t, NULL), 0);
	kyb_tiers_free(t);
}

static void test_error_bytes(void **state)
{
	char big[KYB_TIER_LINE_MAX + 40];
	char *huge;
	(void)state;

	expect_error(build(NULL, NULL, "label = a\001b\n"), 16, "", "control character 0x01 at column 10");
	expect_error(build(NULL, NULL, "label = caf\xc3\n"), 16, "", "invalid UTF-8 at column 12");
	expect_error(build(NULL, NULL, "label = \xc0\xaf\n"), 16, "", "invalid UTF-8");   /* overlong */
	expect_error(build(NULL, NULL, "label = \xed\xa0\x80\n"), 16, "", "invalid UTF-8"); /* surrogate */
	expect_error(build(NULL, NULL, "# \xff comment\n"), 16, "", "invalid UTF-8 at column 3");
	{
		/* A NUL inside a line. */
		char text[600];
		const char *b = build(NULL, NULL, NULL);
		size_t n = strlen(b);
		memcpy(text, b, n);
		memcpy(text + n, "label = a\0b\n", 12);
		struct kyb_tiers *t;
		struct kyb_tier_errs e;
		assert_int_equal(kyb_tiers_parse(text, n + 12, "t.conf", &t, &e), -EINVAL);
		assert_int_equal(e.n, 1);
		assert_int_equal(e.e[0].line, 16);
		assert_non_null(strstr(e.e[0].msg, "control character 0x00 at column 10"));
	}
	/* UTF-8 is fine in labels and comments. */
	struct kyb_tiers *t;
	assert_int_equal(parse(build(NULL, NULL, "label = Duka la Bibi \xe2\x80\x94 caf\xc3\xa9 "
						 "# \xf0\x9f\x98\x80\n"), &t, NULL), 0);
	assert_string_equal(kyb_tiers_at(t, KYB_PARTY_MERCHANT, 0)->label,
			    "Duka la Bibi \xe2\x80\x94 caf\xc3\xa9");
	kyb_tiers_free(t);

	memset(big, 'x', sizeof big);
	memcpy(big, "# ", 2);
	big[KYB_TIER_LINE_MAX + 1] = '\n';
	big[KYB_TIER_LINE_MAX + 2] = '\0';
	expect_error(build(NULL, NULL, big), 16, "", "line longer than 1024 bytes");
	big[KYB_TIER_LINE_MAX] = '\n';   /* exactly the maximum: fine */
	big[KYB_TIER_LINE_MAX + 1] = '\0';
	assert_int_equal(parse(build(NULL, NULL, big), &t, NULL), 0);
	kyb_tiers_free(t);

	huge = calloc(1, KYB_TIER_FILE_MAX + 2);
	assert_non_null(huge);
	memset(huge, '\n', KYB_TIER_FILE_MAX + 1);
	expect_error(huge, 0, "", "larger than 65536 bytes");
	free(huge);
}

static void test_error_too_many_tiers(void **state)
{
	static char text[16384];
	size_t k = 0;
	(void)state;

	k += (size_t)snprintf(text + k, sizeof text - k, "%s", build(NULL, NULL, NULL));
	for (int i = 1; i <= KYB_TIERS_MAX; i++)
		k += (size_t)snprintf(text + k, sizeof text - k,
				      "[customer C%d]\nlimit_payment = 1\nlimit_day = 1\n"
				      "offline_exposure = 1\noffline_count = 1\n", i);
	{
		struct kyb_tiers *t;
		assert_int_equal(parse(text, &t, NULL), 0);
		assert_int_equal(kyb_tiers_count(t, KYB_PARTY_CUSTOMER), KYB_TIERS_MAX);
		kyb_tiers_free(t);
	}
	/* The 17th: 15 lines of MIN, 16 sections of 5 lines, so line 96. */
	snprintf(text + k, sizeof text - k, "[customer C99]\nlimit_payment = 1\n");
	expect_error(text, 96, "", "more than 16 customer tiers");
}

/* Every error is collected, in file order, past the ones kept. */
static void test_errors_collected(void **state)
{
	static char text[8192];
	struct kyb_tiers *t;
	struct kyb_tier_errs e;
	size_t k;
	(void)state;

	snprintf(text, sizeof text, "%s",
		 build("limit_day", "limit_day = x", "bogus = 1\n[merchant T1]\n"));
	assert_int_equal(parse(text, &t, &e), -EINVAL);
	if (e.n != 14)
		dump(&e);
	assert_int_equal(e.n, 14);
	assert_int_equal(e.e[0].line, 10);
	assert_string_equal(e.e[0].key, "limit_day");
	assert_int_equal(e.e[1].line, 16);
	assert_string_equal(e.e[1].key, "bogus");
	/* [merchant T1] lacks all 12 merchant keys, in key order. */
	assert_int_equal(e.e[2].line, 17);
	assert_string_equal(e.e[2].key, "approval");
	assert_int_equal(e.e[13].line, 17);
	assert_string_equal(e.e[13].key, "offline_max_age");

	/* 40 unknown keys: 40 counted, KYB_TIER_ERR_MAX kept. */
	k = (size_t)snprintf(text, sizeof text, "%s", build(NULL, NULL, NULL));
	for (int i = 0; i < 40; i++)
		k += (size_t)snprintf(text + k, sizeof text - k, "nope%d = 1\n", i);
	assert_int_equal(parse(text, &t, &e), -EINVAL);
	assert_int_equal(e.n, 40);
	assert_int_equal(e.e[KYB_TIER_ERR_MAX - 1].line, 16 + KYB_TIER_ERR_MAX - 1);
	/* Without an error list the result is the same. */
	assert_int_equal(parse(text, &t, NULL), -EINVAL);
	assert_null(t);
}

static void test_load_errors(void **state)
{
	struct kyb_tiers *t;
	struct kyb_tier_errs e;
	(void)state;

	assert_int_equal(kyb_tiers_load("data/no-such-file.conf", &t, &e), -ENOENT);
	assert_null(t);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.e[0].line, 0);
	assert_string_equal(e.e[0].msg, "data/no-such-file.conf: cannot read: No such file or directory");
	assert_int_equal(kyb_tiers_load("data", &t, &e), -EISDIR);
	assert_int_equal(e.n, 1);
	/* A file's errors are named after its path. */
	assert_int_equal(kyb_tiers_load("data/mcc.tsv", &t, &e), -EINVAL);
	assert_true(e.n > 0);
	assert_int_equal(strncmp(e.e[0].msg, "data/mcc.tsv:7: ", 16), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_min_is_valid),
		cmocka_unit_test(test_default_merchant_tiers),
		cmocka_unit_test(test_default_tiers_are_monotonic),
		cmocka_unit_test(test_default_customer_tiers),
		cmocka_unit_test(test_builtin_is_the_file),
		cmocka_unit_test(test_vocabulary_names),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_largest_amount),
		cmocka_unit_test(test_error_values),
		cmocka_unit_test(test_error_lists),
		cmocka_unit_test(test_error_structure),
		cmocka_unit_test(test_error_missing),
		cmocka_unit_test(test_error_limits_contradict),
		cmocka_unit_test(test_error_bytes),
		cmocka_unit_test(test_error_too_many_tiers),
		cmocka_unit_test(test_errors_collected),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
