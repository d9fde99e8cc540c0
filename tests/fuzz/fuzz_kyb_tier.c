/* fuzz_kyb_tier.c -- libFuzzer target for the KYB tier file parser: parses
 * each input from memory, checks the errors and the parsed tiers against
 * the format's rules, drives the limits and requirements functions with
 * the tiers, and runs every validator and the MCC parser on the same
 * bytes; abort()s when an invariant breaks. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kyb/kyb_check.h"
#include "kyb/kyb_limit.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_req.h"
#include "kyb/kyb_tier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                        \
	do {                                                                            \
		if (!(x)) {                                                             \
			fprintf(stderr, "fuzz_kyb_tier: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                          \
			abort();                                                        \
		}                                                                       \
	} while (0)

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int count_lines(const uint8_t *d, size_t n)
{
	int lines = n > 0;
	for (size_t i = 0; i + 1 < n; i++)
		lines += d[i] == '\n';
	return lines;
}

static void check_errors(const struct kyb_tier_errs *e, int rc, const uint8_t *d, size_t n)
{
	int lines = count_lines(d, n);

	CHECK(e->n >= 0);
	CHECK((rc == 0) == (e->n == 0));
	for (int i = 0; i < e->n && i < KYB_TIER_ERR_MAX; i++) {
		const struct kyb_tier_err *x = &e->e[i];
		CHECK(terminated(x->msg, sizeof x->msg) && terminated(x->key, sizeof x->key));
		CHECK(strncmp(x->msg, "f:", 2) == 0);
		CHECK(x->line >= 0 && x->line <= lines);
	}
}

static void check_tier(const struct kyb_tiers *ts, const struct kyb_tier *t, int party, int rank)
{
	const struct kyb_limits *l = &t->limits;
	size_t n = strlen(t->name);

	CHECK(terminated(t->name, sizeof t->name) && terminated(t->label, sizeof t->label));
	CHECK(n >= 1 && n < KYB_TIER_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", t->name[i]));
	CHECK((int)t->party == party && t->rank == rank && t->line >= 1);
	CHECK(kyb_tiers_find(ts, (enum kyb_party)party, t->name) == t);
	CHECK(kyb_tiers_at(ts, (enum kyb_party)party, rank) == t);
	CHECK(kyb_tiers_next(ts, t) == kyb_tiers_at(ts, (enum kyb_party)party, rank + 1));
	CHECK(t->approval == KYB_APPROVAL_AUTO || t->approval == KYB_APPROVAL_MAKER_CHECKER);
	CHECK(t->merchant_fields < (1u << KYB_MF__COUNT) && t->owner_fields < (1u << KYB_OF__COUNT));
	CHECK(t->documents < (1u << KYB_DOC__COUNT) && t->checks < (1u << KYB_CHECK__COUNT));
	CHECK((t->verify_merchant & ~t->merchant_fields) == 0);
	CHECK((t->verify_owner & ~t->owner_fields) == 0);
	CHECK((t->verify_documents & ~t->documents) == 0);
	CHECK(t->owners_min >= 0 && t->owners_min <= KYB_TIER_OWNERS_MAX);
	if (party == KYB_PARTY_CUSTOMER)
		CHECK(t->merchant_fields == 0 && t->documents == 0 && t->owners_min == 0);
	CHECK(l->payment >= 0 && l->day >= 0 && l->month >= 0 && l->offline_payment >= 0);
	CHECK(l->offline_exposure >= 0 && l->offline_count >= 0 && l->offline_max_age >= 0);
	CHECK(l->payment <= l->day && l->day <= l->month);
	CHECK(l->offline_payment <= l->payment && l->offline_payment <= l->offline_exposure);
	CHECK(l->offline_max_age <= KYB_TIER_AGE_MAX ||
	      (party == KYB_PARTY_CUSTOMER && l->offline_max_age == KYB_UNLIMITED));
}

static int64_t take64(const uint8_t **d, size_t *n)
{
	uint64_t v = 0;
	for (int i = 0; i < 8 && *n > 0; i++, (*d)++, (*n)--)
		v = v << 8 | **d;
	return (int64_t)(v >> 1);
}

/* The limits function on the parsed tiers: allow exactly up to room. */
static void drive_limits(const struct kyb_tier *t, const uint8_t *d, size_t n)
{
	for (int mode = 0; mode < 2; mode++) {
		struct kyb_limit_usage u;
		struct kyb_limit_verdict v;
		int64_t room, a;
		int r;

		u.day = take64(&d, &n) >> (n & 63);
		u.month = take64(&d, &n) >> (n & 31);
		u.offline_exposure = take64(&d, &n) >> 20;
		u.offline_count = take64(&d, &n) >> 56;
		u.offline_oldest_age = take64(&d, &n) >> 40;
		a = take64(&d, &n) >> (n & 62);
		room = kyb_limit_room(t, &u, (enum kyb_limit_mode)mode);
		CHECK(room >= 0);
		r = kyb_limit_check(t, a, &u, (enum kyb_limit_mode)mode, "TZS", 2, &v);
		CHECK(terminated(v.msg, sizeof v.msg) && v.room == room);
		if (a <= 0) {
			CHECK(r == KYB_LIMIT_INVALID);
			continue;
		}
		CHECK((r == KYB_LIMIT_OK) == (a <= room));
		CHECK((r == KYB_LIMIT_OK) == (v.msg[0] == '\0'));
		CHECK(kyb_limit_reason_name((enum kyb_limit_reason)r) != NULL);
		if (room > 0 && room != KYB_UNLIMITED)
			CHECK(kyb_limit_check(t, room, &u, (enum kyb_limit_mode)mode, "TZS", 2, NULL) == KYB_LIMIT_OK);
	}
}

/* The input's first line, at most 47 bytes, as a C string. */
static void first_line(char *buf, size_t size, const uint8_t *d, size_t n)
{
	size_t k = 0;
	while (k < n && k + 1 < size && d[k] != '\n' && d[k] != '\0') {
		buf[k] = (char)d[k];
		k++;
	}
	buf[k] = '\0';
}

static void check_bad(int rc, const struct kyb_check_bad *b, const char *s)
{
	CHECK(rc == 0 || rc == -EINVAL || rc == -EBADMSG || rc == -ENOENT);
	CHECK(terminated(b->msg, sizeof b->msg));
	if (rc == 0) {
		CHECK(b->pos == -1 && b->msg[0] == '\0');
	} else {
		CHECK(b->msg[0] != '\0' && strncmp(b->msg, "v: ", 3) == 0);
		CHECK(b->pos >= -1 && (size_t)(b->pos + 1) <= strlen(s) + 1);
	}
}

/* Every validator on the same bytes. */
static void drive_checks(const uint8_t *d, size_t n)
{
	static const char *const countries[] = { "TZ", "KE", "UG", "RW", "GH", "NG", "ZM", "MW", "ZA", NULL };
	struct kyb_check_bad b;
	char s[48];
	int rc, dg;

	first_line(s, sizeof s, d, n);
	rc = kyb_check_phone("v", s, &b);
	check_bad(rc, &b, s);
	rc = kyb_check_lei("v", s, &b);
	check_bad(rc, &b, s);
	if (rc == 0)
		CHECK(kyb_check_lei_digits(s) == atoi(s + 18));
	check_bad(kyb_check_trading_name("v", s, &b), &b, s);
	check_bad(kyb_check_country("v", s, &b), &b, s);
	check_bad(kyb_mcc_check(NULL, "v", s, &b), &b, s);
	for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++) {
		check_bad(kyb_check_national_id("v", countries[i], s, &b), &b, s);
		check_bad(kyb_check_tax_id("v", countries[i], s, &b), &b, s);
	}
	dg = kyb_luhn_digit(s);
	CHECK(dg == -EINVAL || (dg >= 0 && dg <= 9));
	if (dg >= 0 && strlen(s) + 1 < sizeof s) {
		size_t k = strlen(s);
		s[k] = (char)('0' + dg);
		s[k + 1] = '\0';
		CHECK(kyb_luhn_ok(s));
	}
}

/* The requirements function: a merchant whose values are lines of the input. */
static void drive_req(const struct kyb_tier *t, const uint8_t *d, size_t n)
{
	static char vals[KYB_MF__COUNT + KYB_OF__COUNT][48];
	struct kyb_req_have h;
	struct kyb_req_owner o;
	struct kyb_req_gap g[8];
	size_t off = 0;
	int v = 0, total;

	memset(&h, 0, sizeof h);
	memset(&o, 0, sizeof o);
	for (; v < KYB_MF__COUNT + KYB_OF__COUNT && off < n; v++) {
		first_line(vals[v], sizeof vals[v], d + off, n - off);
		off += strlen(vals[v]) + 1;
		struct kyb_req_value *x = v < KYB_MF__COUNT ? &h.m[v] : &o.f[v - KYB_MF__COUNT];
		x->value = vals[v];
		x->state = (enum kyb_req_state)(vals[v][0] & 3);
	}
	for (int i = 0; i < KYB_DOC__COUNT; i++)
		h.doc[i] = (enum kyb_req_state)((n > (size_t)i ? d[i] : 0) & 3);
	h.default_country = "TZ";
	h.owners = &o;
	h.nowners = n & 1;
	total = kyb_req_gaps(t, &h, NULL, g, 8);
	CHECK(total >= 0);
	for (int i = 0; i < total && i < 8; i++) {
		CHECK(terminated(g[i].item, sizeof g[i].item) && terminated(g[i].msg, sizeof g[i].msg));
		CHECK(g[i].msg[0] != '\0' && kyb_req_why_name(g[i].why) != NULL);
	}
	CHECK(kyb_req_gaps(t, &h, NULL, NULL, 0) == total);
}

static void drive_mcc(const uint8_t *d, size_t n)
{
	struct kyb_mcc *m;
	char err[128];
	int rc = kyb_mcc_parse((const char *)d, n, "m", &m, err, sizeof err);

	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK((rc == 0) == (m != NULL));
	if (rc < 0) {
		CHECK(terminated(err, sizeof err) && strncmp(err, "m:", 2) == 0);
		return;
	}
	CHECK(kyb_mcc_count(m) >= 1);
	for (int i = 0; i < kyb_mcc_count(m); i++) {
		const struct kyb_mcc_entry *e = kyb_mcc_at(m, i);
		CHECK(strlen(e->code) == 4 && strlen(e->label) >= 1);
		CHECK(i == 0 || strcmp(kyb_mcc_at(m, i - 1)->code, e->code) < 0);
		CHECK(kyb_mcc_find(m, e->code) == e);
	}
	kyb_mcc_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kyb_tier_errs e, e2;
	struct kyb_tiers *ts = NULL, *ts2 = NULL;
	int rc, rc2;

	rc = kyb_tiers_parse((const char *)data, size, "f", &ts, &e);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK((rc == 0) == (ts != NULL));
	if (rc != -ENOMEM)
		check_errors(&e, rc, data, size);
	if (size > KYB_TIER_FILE_MAX)
		CHECK(rc == -EINVAL);

	/* Deterministic, and the same without an error list. */
	rc2 = kyb_tiers_parse((const char *)data, size, "f", &ts2, NULL);
	CHECK(rc2 == rc);
	if (rc == -EINVAL) {
		CHECK(kyb_tiers_parse((const char *)data, size, "f", &ts2, &e2) == rc);
		CHECK(e2.n == e.n);
		for (int i = 0; i < e.n && i < KYB_TIER_ERR_MAX; i++)
			CHECK(strcmp(e.e[i].msg, e2.e[i].msg) == 0);
	}

	if (rc == 0) {
		const char *c = kyb_tiers_currency(ts);
		CHECK(strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z');
		CHECK(kyb_tiers_count(ts, KYB_PARTY_MERCHANT) >= 1);
		for (int p = 0; p < KYB_PARTY__COUNT; p++) {
			CHECK(kyb_tiers_count(ts, (enum kyb_party)p) <= KYB_TIERS_MAX);
			CHECK(kyb_tiers_count(ts, (enum kyb_party)p) == kyb_tiers_count(ts2, (enum kyb_party)p));
			for (int i = 0; i < kyb_tiers_count(ts, (enum kyb_party)p); i++) {
				const struct kyb_tier *t = kyb_tiers_at(ts, (enum kyb_party)p, i);
				check_tier(ts, t, p, i);
				CHECK(memcmp(t, kyb_tiers_at(ts2, (enum kyb_party)p, i), sizeof *t) == 0);
				drive_limits(t, data, size);
				if (p == KYB_PARTY_MERCHANT)
					drive_req(t, data, size);
				else
					CHECK(kyb_req_gaps(t, &(struct kyb_req_have){ 0 }, NULL, NULL, 0) == -EINVAL);
			}
		}
	}
	kyb_tiers_free(ts);
	kyb_tiers_free(ts2);

	drive_checks(data, size);
	drive_mcc(data, size);
	return 0;
}
