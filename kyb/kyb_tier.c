/* kyb_tier.c -- parses the KYB tier file (data/kyb-tiers.conf) into merchant
 * and customer tiers, collecting every error with file:line and key like a
 * config checker; lookups by name and upgrade order. See kyb_tier.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kyb/kyb_builtin.h"
#include "kyb/kyb_file.h"
#include "kyb/kyb_tier.h"

_Static_assert(KYB_MF__COUNT <= 32 && KYB_OF__COUNT <= 32, "field masks are 32 bits");
_Static_assert(KYB_DOC__COUNT <= 32 && KYB_CHECK__COUNT <= 32, "masks are 32 bits");

struct kyb_tiers {
	char currency[4];
	int n[KYB_PARTY__COUNT];
	struct kyb_tier tier[KYB_PARTY__COUNT][KYB_TIERS_MAX];
};

/* ---- Vocabulary ---- */

static const char *const mfield_names[KYB_MF__COUNT] = {
	[KYB_MF_TRADING_NAME] = "trading_name",
	[KYB_MF_LEGAL_NAME] = "legal_name",
	[KYB_MF_MCC] = "mcc",
	[KYB_MF_COUNTRY] = "country",
	[KYB_MF_PHONE] = "phone",
	[KYB_MF_EMAIL] = "email",
	[KYB_MF_DISTRICT] = "district",
	[KYB_MF_ADDRESS] = "address",
	[KYB_MF_PERMIT_NUMBER] = "permit_number",
	[KYB_MF_TAX_ID] = "tax_id",
	[KYB_MF_REGISTRATION_NUMBER] = "registration_number",
	[KYB_MF_LEI] = "lei",
	[KYB_MF_SETTLEMENT_ACCOUNT] = "settlement_account",
};

static const char *const ofield_names[KYB_OF__COUNT] = {
	[KYB_OF_NAME] = "name",
	[KYB_OF_PHONE] = "phone",
	[KYB_OF_NATIONAL_ID] = "national_id",
	[KYB_OF_DATE_OF_BIRTH] = "date_of_birth",
	[KYB_OF_ADDRESS] = "address",
	[KYB_OF_TAX_ID] = "tax_id",
};

static const char *const doc_names[KYB_DOC__COUNT] = {
	[KYB_DOC_NATIONAL_ID] = "national_id",
	[KYB_DOC_PHOTO] = "photo",
	[KYB_DOC_TRADING_PERMIT] = "trading_permit",
	[KYB_DOC_TAX_CERTIFICATE] = "tax_certificate",
	[KYB_DOC_REGISTRATION_CERTIFICATE] = "registration_certificate",
	[KYB_DOC_MEMORANDUM] = "memorandum",
	[KYB_DOC_PROOF_OF_ADDRESS] = "proof_of_address",
	[KYB_DOC_BENEFICIAL_OWNERSHIP] = "beneficial_ownership",
	[KYB_DOC_BOARD_RESOLUTION] = "board_resolution",
};

static const char *const check_names[KYB_CHECK__COUNT] = {
	[KYB_CHECK_PHONE] = "phone",
	[KYB_CHECK_NATIONAL_ID] = "national_id",
	[KYB_CHECK_TAX_ID] = "tax_id",
	[KYB_CHECK_LEI] = "lei",
	[KYB_CHECK_MCC] = "mcc",
	[KYB_CHECK_TRADING_NAME] = "trading_name",
	[KYB_CHECK_COUNTRY] = "country",
};

static const char *name_at(const char *const *names, int n, int id)
{
	return id >= 0 && id < n ? names[id] : NULL;
}

const char *kyb_tier_mfield_name(int id)
{
	return name_at(mfield_names, KYB_MF__COUNT, id);
}

const char *kyb_tier_ofield_name(int id)
{
	return name_at(ofield_names, KYB_OF__COUNT, id);
}

const char *kyb_tier_doc_name(int id)
{
	return name_at(doc_names, KYB_DOC__COUNT, id);
}

const char *kyb_tier_check_name(int id)
{
	return name_at(check_names, KYB_CHECK__COUNT, id);
}

const char *kyb_tier_approval_name(int approval)
{
	static const char *const names[] = { "auto", "maker-checker" };
	return name_at(names, 2, approval);
}

const char *kyb_tier_party_name(int party)
{
	static const char *const names[] = { "merchant", "customer" };
	return name_at(names, KYB_PARTY__COUNT, party);
}

/* ---- Keys ---- */

enum key_id {
	K_CURRENCY,
	K_LABEL,
	K_APPROVAL,
	K_MFIELDS,
	K_OFIELDS,
	K_DOCS,
	K_CHECKS,
	K_VERIFY,
	K_OWNERS_MIN,
	K_LIMIT_PAYMENT,
	K_LIMIT_DAY,
	K_LIMIT_MONTH,
	K_OFF_PAYMENT,
	K_OFF_EXPOSURE,
	K_OFF_COUNT,
	K_OFF_AGE,
	K__COUNT
};

#define IN_KYB 0x01
#define IN_M 0x02    /* allowed in [merchant NAME] */
#define IN_C 0x04    /* allowed in [customer NAME] */
#define REQ_KYB 0x08
#define REQ_M 0x10   /* required in [merchant NAME] */
#define REQ_C 0x20   /* required in [customer NAME] */

static const struct keydef {
	const char *name;
	unsigned flags;
} keys[K__COUNT] = {
	[K_CURRENCY] = { "currency", IN_KYB | REQ_KYB },
	[K_LABEL] = { "label", IN_M | IN_C },
	[K_APPROVAL] = { "approval", IN_M | REQ_M },
	[K_MFIELDS] = { "merchant_fields", IN_M | REQ_M },
	[K_OFIELDS] = { "owner_fields", IN_M | REQ_M },
	[K_DOCS] = { "documents", IN_M | REQ_M },
	[K_CHECKS] = { "checks", IN_M | REQ_M },
	[K_VERIFY] = { "verify", IN_M },
	[K_OWNERS_MIN] = { "owners_min", IN_M },
	[K_LIMIT_PAYMENT] = { "limit_payment", IN_M | IN_C | REQ_M | REQ_C },
	[K_LIMIT_DAY] = { "limit_day", IN_M | IN_C | REQ_M | REQ_C },
	[K_LIMIT_MONTH] = { "limit_month", IN_M | IN_C | REQ_M },
	[K_OFF_PAYMENT] = { "offline_payment", IN_M | IN_C | REQ_M },
	[K_OFF_EXPOSURE] = { "offline_exposure", IN_M | IN_C | REQ_M | REQ_C },
	[K_OFF_COUNT] = { "offline_count", IN_M | IN_C | REQ_M | REQ_C },
	[K_OFF_AGE] = { "offline_max_age", IN_M | IN_C | REQ_M },
};

/* ---- Parser state and errors ---- */

enum sec_kind { S_NONE, S_BAD, S_KYB, S_TIER };

struct parser {
	const char *fname;
	struct kyb_tier_errs *errs;
	int nerr;
	struct kyb_tiers *t;
	enum sec_kind sec;
	int sec_line;
	char sec_name[40];          /* "[merchant T0]", for messages */
	struct kyb_tier *cur;
	int key_line[K__COUNT];     /* where each key was set in this section; 0: not set */
	bool key_ok[K__COUNT];      /* ... and its value was valid */
	int kyb_line;               /* the [kyb] header; 0: none yet */
};

/* Records one error: "FILE:LINE: [section] key: message". in_sec says
 * whether the current section is named. */
static void perr(struct parser *p, int line, bool in_sec, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void perr(struct parser *p, int line, bool in_sec, const char *key, const char *fmt, ...)
{
	struct kyb_tier_err *e;
	char where[16] = "";
	va_list ap;
	int k;

	p->nerr++;
	if (!p->errs)
		return;
	p->errs->n++;
	if (p->errs->n > KYB_TIER_ERR_MAX)
		return;
	e = &p->errs->e[p->errs->n - 1];
	e->line = line;
	snprintf(e->key, sizeof e->key, "%s", key ? key : "");
	if (line > 0)
		snprintf(where, sizeof where, ":%d", line);
	/* Prefix, then the text; a message too long is cut, never lost. */
	k = snprintf(e->msg, sizeof e->msg, "%s%s: %s%s%s%s", p->fname, where,
		     in_sec ? p->sec_name : "", in_sec ? " " : "", key && *key ? key : "",
		     key && *key ? ": " : "");
	if (k < 0 || (size_t)k >= sizeof e->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg + k, sizeof e->msg - (size_t)k, fmt, ap);
	va_end(ap);
}

/* Quotes a value for a message: at most 40 bytes, cut on a UTF-8
 * boundary, "..." when cut. The value is already valid UTF-8 with no
 * control character (checked per line). */
static const char *quote(char *buf, size_t size, const char *s, size_t n)
{
	size_t k = n;

	if (k > 40) {
		k = 40;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	}
	snprintf(buf, size, "\"%.*s%s\"", (int)k, s, k < n ? "..." : "");
	return buf;
}

/* ---- Small lexical helpers ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*s)[*n - 1]))
		(*n)--;
}

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int find_name(const char *const *names, int count, const char *s, size_t n)
{
	for (int i = 0; i < count; i++)
		if (names[i] && eq(s, n, names[i]))
			return i;
	return -1;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * overlong forms, surrogates and code points over U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* ---- Values ---- */

/* The value of limit key k in l. */
static int64_t *limit_of(struct kyb_limits *l, enum key_id k)
{
	switch (k) {
	case K_LIMIT_PAYMENT: return &l->payment;
	case K_LIMIT_DAY: return &l->day;
	case K_LIMIT_MONTH: return &l->month;
	case K_OFF_PAYMENT: return &l->offline_payment;
	case K_OFF_EXPOSURE: return &l->offline_exposure;
	case K_OFF_COUNT: return &l->offline_count;
	default: return &l->offline_max_age;
	}
}


/* A whole number: digits, '_' only between two digits, at most
 * KYB_UNLIMITED - 1; or "unlimited" when allowed. Returns 0 or -1. */
static int parse_int(const char *s, size_t n, bool unlimited_ok, int64_t *out)
{
	int64_t v = 0;

	if (unlimited_ok && eq(s, n, "unlimited")) {
		*out = KYB_UNLIMITED;
		return 0;
	}
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_') {
			if (i == 0 || i + 1 == n || s[i - 1] == '_' || s[i + 1] < '0' || s[i + 1] > '9')
				return -1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		int d = s[i] - '0';
		if (v > (KYB_UNLIMITED - 1 - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A comma-separated list of names from one vocabulary into a mask; an
 * empty value is the empty list. Reports each bad item. */
static bool parse_list(struct parser *p, int line, const char *key, const char *what,
		       const char *const *names, int count, const char *s, size_t n, uint32_t *mask)
{
	bool ok = true;
	char q[64];

	*mask = 0;
	if (n == 0)
		return true;
	for (;;) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;
		const char *item = s;
		size_t ilen = len;
		int id;

		trim(&item, &ilen);
		if (ilen == 0) {
			perr(p, line, true, key, "empty item in the list (two commas, or a comma at an end)");
			ok = false;
		} else if ((id = find_name(names, count, item, ilen)) < 0) {
			char known[200];
			size_t k = 0;
			known[0] = '\0';
			for (int i = 0; i < count && k < sizeof known; i++)
				k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", names[i]);
			perr(p, line, true, key, "unknown %s %s (known: %s)", what,
			     quote(q, sizeof q, item, ilen), known);
			ok = false;
		} else if (*mask & (1u << id)) {
			perr(p, line, true, key, "%s is listed twice", quote(q, sizeof q, item, ilen));
			ok = false;
		} else {
			*mask |= 1u << id;
		}
		if (!comma)
			break;
		n -= len + 1;
		s = comma + 1;
	}
	return ok;
}

/* verify = merchant.F, owner.F, document.D, ... */
static bool parse_verify(struct parser *p, int line, const char *s, size_t n, struct kyb_tier *t)
{
	bool ok = true;
	char q[64];

	t->verify_merchant = t->verify_owner = t->verify_documents = 0;
	if (n == 0)
		return true;
	for (;;) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;
		const char *item = s, *dot;
		size_t ilen = len;

		trim(&item, &ilen);
		dot = ilen ? memchr(item, '.', ilen) : NULL;
		if (ilen == 0) {
			perr(p, line, true, "verify", "empty item in the list (two commas, or a comma at an end)");
			ok = false;
		} else if (!dot) {
			perr(p, line, true, "verify",
			     "%s is not merchant.FIELD, owner.FIELD or document.TYPE",
			     quote(q, sizeof q, item, ilen));
			ok = false;
		} else {
			size_t plen = (size_t)(dot - item), nlen = ilen - plen - 1;
			const char *name = dot + 1;
			const char *const *names = NULL;
			uint32_t *mask = NULL;
			int count = 0, id;

			if (eq(item, plen, "merchant")) {
				names = mfield_names, count = KYB_MF__COUNT, mask = &t->verify_merchant;
			} else if (eq(item, plen, "owner")) {
				names = ofield_names, count = KYB_OF__COUNT, mask = &t->verify_owner;
			} else if (eq(item, plen, "document")) {
				names = doc_names, count = KYB_DOC__COUNT, mask = &t->verify_documents;
			}
			if (!mask) {
				perr(p, line, true, "verify",
				     "%s is not merchant.FIELD, owner.FIELD or document.TYPE",
				     quote(q, sizeof q, item, ilen));
				ok = false;
			} else if ((id = find_name(names, count, name, nlen)) < 0) {
				perr(p, line, true, "verify", "unknown item %s",
				     quote(q, sizeof q, item, ilen));
				ok = false;
			} else if (*mask & (1u << id)) {
				perr(p, line, true, "verify", "%s is listed twice",
				     quote(q, sizeof q, item, ilen));
				ok = false;
			} else {
				*mask |= 1u << id;
			}
		}
		if (!comma)
			break;
		n -= len + 1;
		s = comma + 1;
	}
	return ok;
}

/* Parses the value of key k for the current section. */
static bool parse_value(struct parser *p, int line, enum key_id k, const char *v, size_t n)
{
	struct kyb_tier *t = p->cur;
	const char *key = keys[k].name;
	int64_t x;
	char q[64];

	switch (k) {
	case K_CURRENCY:
		if (n != 3 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' || v[2] < 'A' ||
		    v[2] > 'Z') {
			perr(p, line, true, key, "%s is not an ISO 4217 alpha code (three capitals, e.g. TZS)",
			     quote(q, sizeof q, v, n));
			return false;
		}
		memcpy(p->t->currency, v, 3);
		p->t->currency[3] = '\0';
		return true;
	case K_LABEL:
		if (n >= KYB_TIER_LABEL_MAX) {
			perr(p, line, true, key, "longer than %d bytes", KYB_TIER_LABEL_MAX - 1);
			return false;
		}
		memcpy(t->label, v, n);
		t->label[n] = '\0';
		return true;
	case K_APPROVAL:
		if (eq(v, n, "auto")) {
			t->approval = KYB_APPROVAL_AUTO;
		} else if (eq(v, n, "maker-checker")) {
			t->approval = KYB_APPROVAL_MAKER_CHECKER;
		} else {
			perr(p, line, true, key, "%s is neither \"auto\" nor \"maker-checker\"",
			     quote(q, sizeof q, v, n));
			return false;
		}
		return true;
	case K_MFIELDS:
		return parse_list(p, line, key, "merchant field", mfield_names, KYB_MF__COUNT, v, n,
				  &t->merchant_fields);
	case K_OFIELDS:
		return parse_list(p, line, key, "owner field", ofield_names, KYB_OF__COUNT, v, n,
				  &t->owner_fields);
	case K_DOCS:
		return parse_list(p, line, key, "document type", doc_names, KYB_DOC__COUNT, v, n,
				  &t->documents);
	case K_CHECKS:
		return parse_list(p, line, key, "check", check_names, KYB_CHECK__COUNT, v, n, &t->checks);
	case K_VERIFY:
		return parse_verify(p, line, v, n, t);
	case K_OWNERS_MIN:
		if (parse_int(v, n, false, &x) < 0 || x > KYB_TIER_OWNERS_MAX) {
			perr(p, line, true, key, "%s is not a number of owners from 0 to %d",
			     quote(q, sizeof q, v, n), KYB_TIER_OWNERS_MAX);
			return false;
		}
		t->owners_min = (int)x;
		return true;
	case K_OFF_AGE:
		if (parse_int(v, n, false, &x) < 0 || x > KYB_TIER_AGE_MAX) {
			perr(p, line, true, key,
			     "%s is not a number of seconds from 0 to %d (queued payments need a hard expiry)",
			     quote(q, sizeof q, v, n), KYB_TIER_AGE_MAX);
			return false;
		}
		t->limits.offline_max_age = x;
		return true;
	case K_OFF_COUNT:
		if (parse_int(v, n, true, &x) < 0) {
			perr(p, line, true, key, "%s is not a count (digits, or \"unlimited\")",
			     quote(q, sizeof q, v, n));
			return false;
		}
		t->limits.offline_count = x;
		return true;
	case K_LIMIT_PAYMENT:
	case K_LIMIT_DAY:
	case K_LIMIT_MONTH:
	case K_OFF_PAYMENT:
	case K_OFF_EXPOSURE:
		if (parse_int(v, n, true, &x) < 0) {
			perr(p, line, true, key,
			     "%s is not an amount in minor units (digits, '_' between groups, or \"unlimited\")",
			     quote(q, sizeof q, v, n));
			return false;
		}
		*limit_of(&t->limits, k) = x;
		return true;
	case K__COUNT:
		break;
	}
	return false;
}

/* ---- Sections ---- */

static void fmt_limit(char *buf, size_t size, int64_t v)
{
	if (v == KYB_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%lld", (long long)v);
}

/* Whether limit key k has a usable value: set and valid, or optional
 * here and left to its default. */
static bool limit_known(const struct parser *p, enum key_id k)
{
	unsigned req = p->cur->party == KYB_PARTY_MERCHANT ? REQ_M : REQ_C;
	return p->key_ok[k] || (!p->key_line[k] && !(keys[k].flags & req));
}

/* Checks made once a section is complete: required keys, verify items
 * that are required, and limits that contradict each other. */
static void finish_section(struct parser *p)
{
	if (p->sec == S_KYB && !p->key_line[K_CURRENCY])
		perr(p, p->sec_line, true, "currency", "missing (the currency of every limit)");
	if (p->sec != S_TIER)
		return;

	struct kyb_tier *t = p->cur;
	bool merchant = t->party == KYB_PARTY_MERCHANT;
	unsigned req = merchant ? REQ_M : REQ_C;

	for (int k = 0; k < K__COUNT; k++)
		if ((keys[k].flags & req) && !p->key_line[k])
			perr(p, p->sec_line, true, keys[k].name, "missing (required in a [%s] section)",
			     kyb_tier_party_name(t->party));

	/* A customer's offline per-payment limit defaults to the tighter of
	 * its per-payment and offline exposure limits. */
	if (!merchant && !p->key_line[K_OFF_PAYMENT])
		t->limits.offline_payment = t->limits.payment < t->limits.offline_exposure ?
						    t->limits.payment : t->limits.offline_exposure;

	if (merchant && p->key_ok[K_VERIFY]) {
		static const struct {
			enum key_id list;
			const char *prefix;
			const char *const *names;
			int count;
		} sets[] = {
			{ K_MFIELDS, "merchant", mfield_names, KYB_MF__COUNT },
			{ K_OFIELDS, "owner", ofield_names, KYB_OF__COUNT },
			{ K_DOCS, "document", doc_names, KYB_DOC__COUNT },
		};
		const uint32_t verify[3] = { t->verify_merchant, t->verify_owner, t->verify_documents };
		const uint32_t need[3] = { t->merchant_fields, t->owner_fields, t->documents };
		for (int s = 0; s < 3; s++) {
			if (!p->key_ok[sets[s].list])
				continue;
			for (int i = 0; i < sets[s].count; i++)
				if ((verify[s] & ~need[s]) & (1u << i))
					perr(p, p->key_line[K_VERIFY], true, "verify",
					     "%s.%s must be verified but %s does not require it",
					     sets[s].prefix, sets[s].names[i], keys[sets[s].list].name);
		}
	}

	/* Each pair: the first limit may not exceed the second. */
	static const struct {
		enum key_id lo, hi;
	} order[] = {
		{ K_LIMIT_PAYMENT, K_LIMIT_DAY },
		{ K_LIMIT_DAY, K_LIMIT_MONTH },
		{ K_OFF_PAYMENT, K_LIMIT_PAYMENT },
		{ K_OFF_PAYMENT, K_OFF_EXPOSURE },
	};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		enum key_id lo = order[i].lo, hi = order[i].hi;
		int64_t vlo = *limit_of(&t->limits, lo), vhi = *limit_of(&t->limits, hi);
		char a[24], b[24];

		if (!limit_known(p, lo) || !limit_known(p, hi) || vlo <= vhi)
			continue;
		fmt_limit(a, sizeof a, vlo);
		fmt_limit(b, sizeof b, vhi);
		perr(p, p->key_line[lo] ? p->key_line[lo] : p->sec_line, true, keys[lo].name,
		     "%s is over %s (%s)", a, keys[hi].name, b);
	}
}

static bool valid_tier_name(const char *s, size_t n)
{
	if (n == 0 || n >= KYB_TIER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void begin_section(struct parser *p, int line, const char *s, size_t n)
{
	const char *w1 = s, *w2;
	size_t n1 = 0, n2;
	char q[64];

	finish_section(p);
	p->sec = S_BAD;
	p->cur = NULL;
	p->sec_line = line;
	memset(p->key_line, 0, sizeof p->key_line);
	memset(p->key_ok, 0, sizeof p->key_ok);

	trim(&w1, &n);
	while (n1 < n && !is_blank(w1[n1]))
		n1++;
	w2 = w1 + n1;
	n2 = n - n1;
	trim(&w2, &n2);

	if (eq(w1, n1, "kyb") && n2 == 0) {
		if (p->kyb_line) {
			perr(p, line, false, "", "[kyb] appears twice (first at line %d)", p->kyb_line);
			return;
		}
		p->kyb_line = line;
		p->sec = S_KYB;
		snprintf(p->sec_name, sizeof p->sec_name, "[kyb]");
		return;
	}

	int party = eq(w1, n1, "merchant") ? KYB_PARTY_MERCHANT :
		    eq(w1, n1, "customer") ? KYB_PARTY_CUSTOMER : -1;
	if (party < 0 || n2 == 0 || memchr(w2, ' ', n2) || memchr(w2, '\t', n2)) {
		perr(p, line, false, "",
		     "unknown section %s (expected [kyb], [merchant NAME] or [customer NAME])",
		     quote(q, sizeof q, w1, n));
		return;
	}
	if (!valid_tier_name(w2, n2)) {
		perr(p, line, false, "", "tier name %s is not 1-%d letters, digits, '_' or '-'",
		     quote(q, sizeof q, w2, n2), KYB_TIER_NAME_MAX - 1);
		return;
	}
	for (int i = 0; i < p->t->n[party]; i++) {
		const struct kyb_tier *o = &p->t->tier[party][i];
		if (eq(w2, n2, o->name)) {
			perr(p, line, false, "", "[%s %s] appears twice (first at line %d)",
			     kyb_tier_party_name(party), o->name, o->line);
			return;
		}
	}
	if (p->t->n[party] == KYB_TIERS_MAX) {
		perr(p, line, false, "", "more than %d %s tiers", KYB_TIERS_MAX,
		     kyb_tier_party_name(party));
		return;
	}

	struct kyb_tier *t = &p->t->tier[party][p->t->n[party]];
	memset(t, 0, sizeof *t);
	memcpy(t->name, w2, n2);
	t->name[n2] = '\0';
	t->party = (enum kyb_party)party;
	t->rank = p->t->n[party]++;
	t->line = line;
	t->approval = KYB_APPROVAL_AUTO;
	t->owners_min = party == KYB_PARTY_MERCHANT ? 1 : 0;
	t->limits = (struct kyb_limits){
		.payment = KYB_UNLIMITED, .day = KYB_UNLIMITED, .month = KYB_UNLIMITED,
		.offline_payment = KYB_UNLIMITED, .offline_exposure = KYB_UNLIMITED,
		.offline_count = KYB_UNLIMITED, .offline_max_age = KYB_UNLIMITED,
	};
	p->cur = t;
	p->sec = S_TIER;
	snprintf(p->sec_name, sizeof p->sec_name, "[%s %s]", kyb_tier_party_name(party), t->name);
}

static void key_value(struct parser *p, int line, const char *s, size_t n)
{
	const char *eqs = memchr(s, '=', n);
	const char *key = s, *val;
	size_t klen, vlen;
	int k;

	if (!eqs) {
		perr(p, line, p->sec == S_KYB || p->sec == S_TIER, "",
		     "expected \"key = value\", a [section] or a # comment");
		return;
	}
	klen = (size_t)(eqs - s);
	trim(&key, &klen);
	val = eqs + 1;
	vlen = n - (size_t)(val - s);
	trim(&val, &vlen);

	if (p->sec == S_BAD)
		return;   /* the section header was reported; its keys mean nothing */
	k = -1;
	for (int i = 0; i < K__COUNT; i++)
		if (eq(key, klen, keys[i].name))
			k = i;
	if (k < 0) {
		char kn[32];
		snprintf(kn, sizeof kn, "%.*s", (int)(klen < 31 ? klen : 31), key);
		perr(p, line, p->sec != S_NONE, kn, "unknown key%s",
		     p->sec == S_NONE ? " (and not in a section)" : "");
		return;
	}
	if (p->sec == S_NONE) {
		perr(p, line, false, keys[k].name, "not in a section (add [kyb], [merchant NAME] or "
			"[customer NAME] above it)");
		return;
	}
	unsigned in = p->sec == S_KYB ? IN_KYB :
		      p->cur->party == KYB_PARTY_MERCHANT ? IN_M : IN_C;
	if (!(keys[k].flags & in)) {
		perr(p, line, true, keys[k].name, "not allowed in a [%s] section",
		     p->sec == S_KYB ? "kyb" : kyb_tier_party_name(p->cur->party));
		return;
	}
	if (p->key_line[k]) {
		perr(p, line, true, keys[k].name, "set twice (first at line %d)", p->key_line[k]);
		return;
	}
	p->key_line[k] = line;
	p->key_ok[k] = parse_value(p, line, (enum key_id)k, val, vlen);
}

/* One line without its end of line. */
static void parse_line(struct parser *p, int line, const char *s, size_t n)
{
	bool in_sec = p->sec == S_KYB || p->sec == S_TIER;

	if (n > KYB_TIER_LINE_MAX) {
		perr(p, line, in_sec, "", "line longer than %d bytes", KYB_TIER_LINE_MAX);
		return;
	}
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || (c >= 0x20 && c < 0x7F)) {
			i++;
		} else if (c >= 0x80) {
			size_t len = utf8_len((const unsigned char *)s + i, n - i);
			if (!len) {
				perr(p, line, in_sec, "", "invalid UTF-8 at column %zu", i + 1);
				return;
			}
			i += len;
		} else {
			perr(p, line, in_sec, "", "control character 0x%02X at column %zu", c, i + 1);
			return;
		}
	}
	trim(&s, &n);
	if (n == 0 || s[0] == '#' || s[0] == ';')
		return;
	/* An inline comment starts at a '#' after a blank. */
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '#' && is_blank(s[i - 1])) {
			n = i;
			trim(&s, &n);
			break;
		}
	}
	if (s[0] == '[') {
		if (s[n - 1] != ']') {
			perr(p, line, false, "", "section header without a closing ']'");
			finish_section(p);
			p->sec = S_BAD;
			return;
		}
		begin_section(p, line, s + 1, n - 2);
		return;
	}
	key_value(p, line, s, n);
}

int kyb_tiers_parse(const char *buf, size_t len, const char *fname, struct kyb_tiers **out,
		    struct kyb_tier_errs *errs)
{
	struct parser p = { .fname = fname ? fname : "kyb-tiers.conf", .errs = errs };
	int line = 0;

	*out = NULL;
	if (errs)
		errs->n = 0;
	if (len > KYB_TIER_FILE_MAX) {
		perr(&p, 0, false, "", "larger than %d bytes", KYB_TIER_FILE_MAX);
		return -EINVAL;
	}
	p.t = calloc(1, sizeof *p.t);
	if (!p.t)
		return -ENOMEM;

	for (size_t off = 0; off < len;) {
		const char *s = buf + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;

		off += n + (nl != NULL);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;   /* CRLF files are accepted */
		parse_line(&p, line, s, n);
	}
	finish_section(&p);
	p.sec = S_NONE;
	if (!p.kyb_line)
		perr(&p, 0, false, "currency", "no [kyb] section (it sets the currency of every limit)");
	if (p.t->n[KYB_PARTY_MERCHANT] == 0)
		perr(&p, 0, false, "", "no [merchant NAME] section: at least one merchant tier is needed");

	if (p.nerr) {
		free(p.t);
		return -EINVAL;
	}
	*out = p.t;
	return 0;
}

int kyb_tiers_load(const char *path, struct kyb_tiers **out, struct kyb_tier_errs *errs)
{
	struct parser p = { .fname = path, .errs = errs };
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (errs)
		errs->n = 0;
	rc = kyb_file_read(path, KYB_TIER_FILE_MAX, &buf, &len);
	if (rc == -EFBIG) {
		perr(&p, 0, false, "", "larger than %d bytes", KYB_TIER_FILE_MAX);
		return rc;
	}
	if (rc < 0) {
		perr(&p, 0, false, "", "cannot read: %s", strerror(-rc));
		return rc;
	}
	rc = kyb_tiers_parse(buf, len, path, out, errs);
	free(buf);
	return rc;
}

int kyb_tiers_builtin(struct kyb_tiers **out, struct kyb_tier_errs *errs)
{
	size_t len;
	const char *text = kyb_builtin_tiers(&len);

	return kyb_tiers_parse(text, len, "data/kyb-tiers.conf (built-in)", out, errs);
}

void kyb_tiers_free(struct kyb_tiers *t)
{
	free(t);
}

const char *kyb_tiers_currency(const struct kyb_tiers *t)
{
	return t->currency;
}

int kyb_tiers_count(const struct kyb_tiers *t, enum kyb_party p)
{
	return (unsigned)p < KYB_PARTY__COUNT ? t->n[p] : 0;
}

const struct kyb_tier *kyb_tiers_at(const struct kyb_tiers *t, enum kyb_party p, int i)
{
	if ((unsigned)p >= KYB_PARTY__COUNT || i < 0 || i >= t->n[p])
		return NULL;
	return &t->tier[p][i];
}

const struct kyb_tier *kyb_tiers_find(const struct kyb_tiers *t, enum kyb_party p,
				      const char *name)
{
	if ((unsigned)p >= KYB_PARTY__COUNT || !name)
		return NULL;
	for (int i = 0; i < t->n[p]; i++)
		if (strcmp(t->tier[p][i].name, name) == 0)
			return &t->tier[p][i];
	return NULL;
}

const struct kyb_tier *kyb_tiers_next(const struct kyb_tiers *t, const struct kyb_tier *tier)
{
	return kyb_tiers_at(t, tier->party, tier->rank + 1);
}
