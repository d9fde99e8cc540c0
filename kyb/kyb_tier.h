/* kyb_tier.h -- KYB tier definitions: parses data/kyb-tiers.conf (or the
 * copy built into the binary) into an immutable set of merchant tiers (T0,
 * T1, T2: requirements, approval mode, limits) and customer tiers (limits).
 * Pure code: no database, no sockets; kyb_tiers_load() reads one file.
 * File format and defaults: docs/kyb.md.
 */
#ifndef KYB_TIER_H
#define KYB_TIER_H

#include <stddef.h>
#include <stdint.h>

#define KYB_UNLIMITED INT64_MAX     /* a limit that is not set ("unlimited") */
#define KYB_TIER_NAME_MAX 16        /* tier name, NUL included: 1-15 of [A-Za-z0-9_-] */
#define KYB_TIER_LABEL_MAX 64       /* label, NUL included */
#define KYB_TIERS_MAX 16            /* tiers per party */
#define KYB_TIER_FILE_MAX 65536     /* largest tier file accepted, bytes */
#define KYB_TIER_LINE_MAX 1024      /* longest line, bytes, end of line excluded */
#define KYB_TIER_AGE_MAX 2592000    /* largest offline_max_age: 30 days, in seconds */
#define KYB_TIER_OWNERS_MAX 16      /* largest owners_min */
#define KYB_TIER_ERR_MAX 32         /* errors kept; more are counted only */
#define KYB_TIER_MSG_MAX 384        /* one error message, NUL included */

enum kyb_party {
	KYB_PARTY_MERCHANT,         /* [merchant NAME] sections */
	KYB_PARTY_CUSTOMER,         /* [customer NAME] sections */
	KYB_PARTY__COUNT
};

enum kyb_approval {
	KYB_APPROVAL_AUTO,          /* "auto": applied at once, reviewed later */
	KYB_APPROVAL_MAKER_CHECKER  /* "maker-checker": a second user of the DFSP approves */
};

/* Merchant fields a tier can require (merchant_fields = ...). The name in
 * the file is the one kyb_tier_mfield_name() returns. */
enum kyb_mfield {
	KYB_MF_TRADING_NAME,        /* trading_name */
	KYB_MF_LEGAL_NAME,          /* legal_name */
	KYB_MF_MCC,                 /* mcc */
	KYB_MF_COUNTRY,             /* country */
	KYB_MF_PHONE,               /* phone */
	KYB_MF_EMAIL,               /* email */
	KYB_MF_DISTRICT,            /* district */
	KYB_MF_ADDRESS,             /* address */
	KYB_MF_PERMIT_NUMBER,       /* permit_number (local trading permit / business licence) */
	KYB_MF_TAX_ID,              /* tax_id */
	KYB_MF_REGISTRATION_NUMBER, /* registration_number (company or business-name registry) */
	KYB_MF_LEI,                 /* lei */
	KYB_MF_SETTLEMENT_ACCOUNT,  /* settlement_account (reference at the DFSP) */
	KYB_MF__COUNT
};

/* Fields each owner must have (owner_fields = ...). */
enum kyb_ofield {
	KYB_OF_NAME,                /* name */
	KYB_OF_PHONE,               /* phone */
	KYB_OF_NATIONAL_ID,         /* national_id (number) */
	KYB_OF_DATE_OF_BIRTH,       /* date_of_birth */
	KYB_OF_ADDRESS,             /* address */
	KYB_OF_TAX_ID,              /* tax_id (personal) */
	KYB_OF__COUNT
};

/* Document types (documents = ...). */
enum kyb_doc {
	KYB_DOC_NATIONAL_ID,        /* national_id: copy of an owner's ID */
	KYB_DOC_PHOTO,              /* photo: owner or premises, taken by an agent */
	KYB_DOC_TRADING_PERMIT,     /* trading_permit: local trading permit / business licence */
	KYB_DOC_TAX_CERTIFICATE,    /* tax_certificate: tax ID (TIN/PIN) certificate */
	KYB_DOC_REGISTRATION_CERTIFICATE, /* registration_certificate: incorporation or business name */
	KYB_DOC_MEMORANDUM,         /* memorandum: memorandum and articles of association */
	KYB_DOC_PROOF_OF_ADDRESS,   /* proof_of_address */
	KYB_DOC_BENEFICIAL_OWNERSHIP, /* beneficial_ownership: declaration of beneficial owners */
	KYB_DOC_BOARD_RESOLUTION,   /* board_resolution */
	KYB_DOC__COUNT
};

/* Checks a tier runs on the values present (checks = ...): see kyb_req.h. */
enum kyb_checkid {
	KYB_CHECK_PHONE,            /* phone: E.164, merchant and owners */
	KYB_CHECK_NATIONAL_ID,      /* national_id: per-country pattern, owners */
	KYB_CHECK_TAX_ID,           /* tax_id: per-country pattern, merchant and owners */
	KYB_CHECK_LEI,              /* lei: ISO 17442 with its check digits */
	KYB_CHECK_MCC,              /* mcc: 4 digits, listed in data/mcc.tsv */
	KYB_CHECK_TRADING_NAME,     /* trading_name: 1-25 printable ASCII (EMVCo "ans") */
	KYB_CHECK_COUNTRY,          /* country: ISO 3166-1 alpha-2 */
	KYB_CHECK__COUNT
};

/* Limits, in minor units of the gateway currency (kyb_tiers_currency()),
 * except the count and the age. KYB_UNLIMITED means no limit; 0 means
 * nothing is allowed (offline_count = 0 disables offline acceptance). */
struct kyb_limits {
	int64_t payment;            /* limit_payment: one payment */
	int64_t day;                /* limit_day: total per calendar day */
	int64_t month;              /* limit_month: total per calendar month */
	int64_t offline_payment;    /* offline_payment: one payment accepted offline */
	int64_t offline_exposure;   /* offline_exposure: queued, not yet forwarded, total */
	int64_t offline_count;      /* offline_count: queued payments at once */
	int64_t offline_max_age;    /* offline_max_age: seconds the oldest queued payment may wait */
};

/* One tier. Masks hold bit (1u << id) per enum value above. Customer
 * tiers have only a label and limits (masks 0, approval AUTO,
 * owners_min 0). Borrowed from its struct kyb_tiers. */
struct kyb_tier {
	char name[KYB_TIER_NAME_MAX];   /* "T0" */
	char label[KYB_TIER_LABEL_MAX]; /* "Informal trader", may be "" */
	enum kyb_party party;
	int rank;                   /* 0-based position among its party's tiers, file order */
	int line;                   /* line of the section header */
	enum kyb_approval approval;
	uint32_t merchant_fields;   /* required merchant fields, by enum kyb_mfield */
	uint32_t owner_fields;      /* required fields of every owner, by enum kyb_ofield */
	uint32_t documents;         /* required document types, by enum kyb_doc */
	uint32_t checks;            /* checks run, by enum kyb_checkid */
	uint32_t verify_merchant;   /* merchant fields that must be verified (subset of merchant_fields) */
	uint32_t verify_owner;      /* owner fields that must be verified (subset of owner_fields) */
	uint32_t verify_documents;  /* documents that must be verified (subset of documents) */
	int owners_min;             /* owners the merchant must declare */
	struct kyb_limits limits;
};

/* One error of a parse. msg is complete, e.g.
 * `data/kyb-tiers.conf:14: [merchant T0] limit_day: "5x" is not an amount`;
 * line and key repeat what it names (line 0: the whole file; key "":
 * not about one key). */
struct kyb_tier_err {
	int line;
	char key[32];
	char msg[KYB_TIER_MSG_MAX];
};

/* Every error of one parse, in file order (checks made at the end of a
 * section come when the section ends). n counts all errors, including
 * those past KYB_TIER_ERR_MAX that were not kept. Caller-owned. */
struct kyb_tier_errs {
	int n;
	struct kyb_tier_err e[KYB_TIER_ERR_MAX];
};

struct kyb_tiers;   /* opaque, immutable once parsed */

/* Parses a tier file of len bytes (need not be NUL-terminated). fname
 * names it in messages (NULL: "kyb-tiers.conf"). errs, if not NULL, is
 * reset, then receives every error. Returns 0 and sets *out (owned; free
 * with kyb_tiers_free()), or, with *out set to NULL: -EINVAL if the file
 * has errors (at least one in errs), -ENOMEM. */
int kyb_tiers_parse(const char *buf, size_t len, const char *fname, struct kyb_tiers **out,
		    struct kyb_tier_errs *errs);

/* Reads and parses the file at path (named path in messages). Returns as
 * kyb_tiers_parse(), or -errno of open()/read() (-ENOENT, -EACCES, ...),
 * or -EFBIG over KYB_TIER_FILE_MAX bytes; each with an error in errs. */
int kyb_tiers_load(const char *path, struct kyb_tiers **out, struct kyb_tier_errs *errs);

/* Parses the copy of data/kyb-tiers.conf built into the binary (named
 * "data/kyb-tiers.conf (built-in)"). Returns as kyb_tiers_parse(). */
int kyb_tiers_builtin(struct kyb_tiers **out, struct kyb_tier_errs *errs);

/* Frees t; NULL is accepted. Tiers borrowed from t die with it. */
void kyb_tiers_free(struct kyb_tiers *t);

/* The ISO 4217 alpha code the limits are in ([kyb] currency), e.g. "TZS".
 * Borrowed from t. The caller checks it against the gateway's currency. */
const char *kyb_tiers_currency(const struct kyb_tiers *t);

/* Number of tiers of party p (merchant: at least 1). */
int kyb_tiers_count(const struct kyb_tiers *t, enum kyb_party p);

/* The i-th tier of party p in file order, which is the upgrade order
 * (T0 -> T1 -> T2); NULL if i is out of range. Borrowed from t. */
const struct kyb_tier *kyb_tiers_at(const struct kyb_tiers *t, enum kyb_party p, int i);

/* The tier of party p named name (exact, case-sensitive); NULL if none.
 * Borrowed from t. */
const struct kyb_tier *kyb_tiers_find(const struct kyb_tiers *t, enum kyb_party p,
				      const char *name);

/* The tier an upgrade from tier leads to (the next one of its party);
 * NULL for the last one. Borrowed from t. */
const struct kyb_tier *kyb_tiers_next(const struct kyb_tiers *t, const struct kyb_tier *tier);

/* Names of the vocabulary, as written in the file ("trading_name",
 * "maker-checker", ...); NULL when the value is out of range. */
const char *kyb_tier_mfield_name(int id);
const char *kyb_tier_ofield_name(int id);
const char *kyb_tier_doc_name(int id);
const char *kyb_tier_check_name(int id);
const char *kyb_tier_approval_name(int approval);
const char *kyb_tier_party_name(int party);

#endif
