/* kyb_req.h -- what a merchant still lacks for a KYB tier: given a tier
 * and what the merchant has (fields, owners, documents and their
 * verification states), lists every missing, invalid, unverified or
 * rejected item. Backs GET /v1/merchants/{id}/kyb?tier=T2 and the tier
 * upgrade review. Pure code, plain structs: the registry fills a
 * struct kyb_req_have from the database.
 */
#ifndef KYB_REQ_H
#define KYB_REQ_H

#include "kyb/kyb_check.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"

/* Review state of a value or document. A value that is present but
 * neither VERIFIED nor REJECTED counts as pending. */
enum kyb_req_state {
	KYB_REQ_ABSENT = 0,         /* nothing (documents); for values, value NULL or "" */
	KYB_REQ_PENDING,            /* provided, not reviewed yet */
	KYB_REQ_VERIFIED,           /* checked against the source (registry, DFSP, document) */
	KYB_REQ_REJECTED            /* reviewed and refused */
};

/* One value: value NULL or "" means absent. Borrowed. */
struct kyb_req_value {
	const char *value;
	enum kyb_req_state state;
};

struct kyb_req_owner {
	struct kyb_req_value f[KYB_OF__COUNT];   /* indexed by enum kyb_ofield */
};

/* What a merchant has. All pointers are borrowed for the call. */
struct kyb_req_have {
	/* ISO 3166 alpha-2 whose ID and tax-ID formats apply when
	 * m[KYB_MF_COUNTRY] is absent: the gateway's [gateway] country.
	 * NULL or "": the generic fallback of kyb_check_national_id(). */
	const char *default_country;
	struct kyb_req_value m[KYB_MF__COUNT];   /* indexed by enum kyb_mfield */
	const struct kyb_req_owner *owners;
	int nowners;
	/* Best state among the merchant's documents of each type: VERIFIED
	 * if any is verified, else PENDING if any is not rejected, else
	 * REJECTED if all are, else ABSENT. Indexed by enum kyb_doc. */
	enum kyb_req_state doc[KYB_DOC__COUNT];
};

enum kyb_req_gap_kind {
	KYB_REQ_GAP_MERCHANT,       /* a merchant field: id is an enum kyb_mfield */
	KYB_REQ_GAP_OWNERS,         /* too few owners: id is owners_min */
	KYB_REQ_GAP_OWNER,          /* an owner's field: id is an enum kyb_ofield, owner its index */
	KYB_REQ_GAP_DOCUMENT        /* a document type: id is an enum kyb_doc */
};

enum kyb_req_gap_why {
	KYB_REQ_GAP_MISSING,        /* required and absent */
	KYB_REQ_GAP_INVALID,        /* present but fails a check of the tier (required or not) */
	KYB_REQ_GAP_UNVERIFIED,     /* present and valid, must be verified, is not yet */
	KYB_REQ_GAP_REJECTED        /* present and rejected on review (required or not) */
};

#define KYB_REQ_GAP_ITEM_MAX 40
#define KYB_REQ_GAP_MSG_MAX (KYB_CHECK_MSG_MAX + 32)

/* One thing the merchant lacks. item is the stable name an API returns:
 * "merchant.tax_id", "owners", "owners[1].national_id",
 * "document.trading_permit". msg says why, e.g. "missing",
 * "not verified yet", or the validator's message. */
struct kyb_req_gap {
	enum kyb_req_gap_kind kind;
	enum kyb_req_gap_why why;
	int id;
	int owner;                  /* owner index for KYB_REQ_GAP_OWNER, else -1 */
	char item[KYB_REQ_GAP_ITEM_MAX];
	char msg[KYB_REQ_GAP_MSG_MAX];
};

/* Lists what have lacks for merchant tier t, in this order: merchant
 * fields, owner count, each owner's fields, documents (each in enum
 * order). Checks of the tier run on every value present, required or
 * not, and a rejected value is a gap either way (an invalid optional LEI
 * must be fixed or removed). mcc, if not NULL, is the table the "mcc"
 * check looks codes up in (NULL: the 4-digit form only). Writes at most
 * cap gaps to out (out NULL: none) and returns how many there are in all
 * (0: have meets t), or -EINVAL if t is NULL or not a merchant tier, have
 * is NULL, nowners < 0, or owners is NULL with nowners > 0. Pure: reads
 * t, have and mcc only. */
int kyb_req_gaps(const struct kyb_tier *t, const struct kyb_req_have *have, const struct kyb_mcc *mcc,
		 struct kyb_req_gap *out, int cap);

/* "missing", "invalid", "unverified", "rejected"; NULL out of range. */
const char *kyb_req_why_name(enum kyb_req_gap_why why);

#endif
