/* merchant.h -- the merchant registry: merchants, owners, locations and
 * tills on the database layer, merchant ids and till numbers with Luhn
 * check digits, status actions through merchant_fsm with maker-checker,
 * and an audit row in the same transaction as every change. No sockets,
 * no HTTP: the admin API calls these and maps the codes. docs/registry.md.
 *
 * Return convention (every operation): 0 or a negative errno.
 *   -ENOENT  no such merchant (or location) for the actor's DFSP; also a
 *            merchant of another DFSP, so that its existence never leaks
 *   -EACCES  the actor's role may not do this, or maker-checker refused
 *   -EPERM   not allowed in the merchant's status (409)
 *   -EINVAL  invalid input: the list of {field, message} is in errs
 *            (422), or a reason is missing (message in err)
 *   -ENOSPC  the id space of the configured length is exhausted
 *   -ENODATA KYB incomplete: an approval (merchant_act_kyb() MA_APPROVE,
 *            merchant_tier_review_kyb()) refused because the merchant lacks
 *            what its tier (the new tier) requires; the gaps are in errs
 *            as {field: item, message: reason} (422 "kyb_incomplete")
 *   -EBUSY, -ENOMEM, -EIO as gateway/db.h
 * Tenancy: every query binds the actor's DFSP; a hub-admin reads across
 * DFSPs and never writes merchants (-EACCES).
 * Threads: as struct db, one thread.
 */
#ifndef MERCHANT_H
#define MERCHANT_H

#include <stddef.h>

#include <jansson.h>

#include "kyb/kyb_check.h"
#include "kyb/kyb_req.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant_fsm.h"

struct db;
struct kyb_mcc;
struct kyb_tiers;
struct merchant_reg; /* opaque */

#define MERCHANT_ID_MAX 20        /* buffer for a merchant id or till number, NUL included */
#define MERCHANT_ERRS_MAX 32      /* validation errors kept; more are counted */
#define MERCHANT_OWNERS_MAX 16
#define MERCHANT_LOCATIONS_MAX 64
#define MERCHANT_LIST_MAX 200     /* largest page */
#define MERCHANT_LIST_DEFAULT 50
#define MERCHANT_CURSOR_MAX 24    /* cursor string, NUL included */
/* Gaps one merchant can have: every merchant field, the owner count,
 * every field of MERCHANT_OWNERS_MAX owners, every document type. */
#define MERCHANT_KYB_GAPS_MAX (KYB_MF__COUNT + 1 + MERCHANT_OWNERS_MAX * KYB_OF__COUNT + KYB_DOC__COUNT)

enum merchant_id_scheme {
	MERCHANT_ID_SEQUENTIAL, /* id_alloc counter, in the creating transaction */
	MERCHANT_ID_RANDOM,     /* OpenSSL RAND_bytes, retried on a collision */
};

/* Options of merchant_reg_new(). Pointers are borrowed and must outlive
 * the registry, but data_dir and country, which are copied. */
struct merchant_reg_opts {
	enum merchant_id_scheme id_scheme;
	int merchant_id_digits;   /* 6..12, check digit included ([merchant] merchant_id_digits) */
	int till_digits;          /* 5..12, check digit included */
	const char *data_dir;     /* documents go under <data_dir>/documents/ */
	const char *country;      /* ISO 3166 alpha-2 for ID checks; NULL: generic */
	const struct kyb_tiers *tiers; /* NULL: any tier name T0..T9 */
	const struct kyb_mcc *mcc;     /* NULL: MCC form only */
	size_t max_document_bytes;     /* 0: 5 MiB */
};

/* One validation error; field as in the API ("owners[0].phone"). */
struct merchant_field_err {
	char field[48];
	char message[KYB_CHECK_MSG_MAX];
};

/* Validation errors of one call: e[0..n-1]; dropped counts those past
 * MERCHANT_ERRS_MAX. Caller-owned; the callee clears it first. */
struct merchant_errs {
	int n;
	int dropped;
	struct merchant_field_err e[MERCHANT_ERRS_MAX];
};

/* Input structs: every string is borrowed for the call; NULL means absent.
 * id_type: national_id, passport, driving_licence, voter_id,
 * residence_permit, other. */
struct merchant_owner_in {
	const char *name;
	const char *id_type;
	const char *id_number;
	const char *phone;        /* E.164, optional */
};

struct merchant_location_in {
	const char *name;
	const char *city;         /* EMVCo tag 60: 1..15 printable ASCII */
	const char *address;      /* optional */
	int has_coords;           /* lat/lon given */
	double lat, lon;
};

struct merchant_in {
	const char *trading_name; /* EMVCo tag 59: 1..25 ans */
	const char *legal_name;
	const char *type;         /* individual, small_shop, chain */
	const char *mcc;          /* 4 digits, in the MCC table */
	const char *tier;         /* a merchant tier name ("T1") */
	const char *settlement_account;
	const char *contact_name, *contact_phone, *contact_email;
	const char *tax_id, *registration_no, *permit_no, *lei;
	const struct merchant_owner_in *owners;
	size_t n_owners;          /* >= 1 */
	const struct merchant_location_in *locations;
	size_t n_locations;       /* >= 1; each gets its first till */
};

/* Makes a registry on db (borrowed; must outlive it) and prepares its
 * statement table. Returns 0 and sets *out (owned; free with
 * merchant_reg_free()), or a negative errno with a message in err:
 * -EINVAL bad options, -ENOMEM, or db_prepare_table()'s codes. */
int merchant_reg_new(struct merchant_reg **out, struct db *db, const struct merchant_reg_opts *opts,
		     char *err, size_t errlen);

/* NULL ok. The statements belong to db and stay until db_close(). */
void merchant_reg_free(struct merchant_reg *reg);

/* Validates in without touching the database; fills errs. Returns 0 or
 * -EINVAL. merchant_create() runs it first. */
int merchant_validate(const struct merchant_reg *reg, const struct merchant_in *in,
		      struct merchant_errs *errs);

/* Creates a DRAFT merchant of actor->dfsp (roles maker, dfsp-admin), its
 * owners, its locations and one till per location, and one audit row
 * ("create"), in one transaction. id_out (MERCHANT_ID_MAX bytes) gets the
 * new merchant id. Returns 0; -EINVAL (errs filled); -EACCES role;
 * -ENOENT the actor's DFSP does not exist; -ENOSPC, -EBUSY, -EIO. */
int merchant_create(struct merchant_reg *reg, const struct merchant_actor *actor,
		    const struct merchant_in *in, char id_out[MERCHANT_ID_MAX], struct merchant_errs *errs);

/* USSD self-registration: as merchant_create() but the merchant starts
 * APPROVED at the first merchant tier (T0; in->tier must be NULL or that
 * tier), created_by = user (the phone number), audit role "merchant",
 * action "self_register". The DFSP reviews it later (suspend, close, or a
 * tier upgrade). Same returns, without -EACCES. */
int merchant_self_register(struct merchant_reg *reg, const char *dfsp, const char *user,
			   const struct merchant_in *in, char id_out[MERCHANT_ID_MAX],
			   struct merchant_errs *errs);

/* Applies a status action: reads the merchant (scoped by actor->dfsp),
 * merchant_fsm_decide(), then in one transaction updates status and
 * status_reason (submitted_by on submit, checked_by on
 * approve/reject/revert), bumps version and appends the audit row
 * (action name; before/after {"status","status_reason"}). reason may be
 * NULL. MA_APPROVE also needs the merchant to meet its tier's KYB
 * requirements (merchant_kyb_gaps(), checked in the same transaction,
 * after the maker-checker rules): else -ENODATA and nothing changes.
 * Returns 0 or merchant_fsm_decide()'s codes (message in err), -ENODATA,
 * -ENOENT for an unknown or foreign merchant, -EBUSY, -EIO. */
int merchant_act(struct merchant_reg *reg, const struct merchant_actor *actor, const char *merchant_id,
		 enum merchant_action action, const char *reason, char *err, size_t errlen);

/* merchant_act() that also lists, on -ENODATA, what the merchant lacks in
 * gaps (may be NULL; cleared first): field = the gap's item
 * ("document.trading_permit"), message = why ("not verified yet"). */
int merchant_act_kyb(struct merchant_reg *reg, const struct merchant_actor *actor,
		     const char *merchant_id, enum merchant_action action, const char *reason,
		     char *err, size_t errlen, struct merchant_errs *gaps);

/* merchant_act_kyb() only while the merchant is at version if_version
 * (0: any), checked in the same transaction right after -ENOENT:
 * -ESTALE when it has moved on (message in err). */
int merchant_act_if(struct merchant_reg *reg, const struct merchant_actor *actor,
		    const char *merchant_id, enum merchant_action action, const char *reason,
		    long long if_version, char *err, size_t errlen, struct merchant_errs *gaps);

/* What the merchant lacks for a KYB tier, from its stored fields, owners,
 * locations and documents (kyb_req_gaps()). tier_name: a merchant tier
 * ("T2"), NULL for the merchant's current tier, or "next" for the one
 * after it. tier_out (KYB_TIER_NAME_MAX bytes, may be NULL) gets the
 * tier checked. Writes at most cap gaps to out (MERCHANT_KYB_GAPS_MAX
 * holds them all). How the rows map to kyb_req's fields and states:
 * docs/registry.md "KYB requirements". Tenancy as merchant_get_json() (a
 * hub-admin reads any). Read only. Returns the number of gaps (0: the
 * merchant meets the tier); -ENOENT; -EINVAL no merchant tier of that
 * name, or "next" at the last tier; -ENOMEM, -EIO. Without a tier table
 * (opts.tiers NULL) no tier requires anything: 0. */
int merchant_kyb_gaps(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, const char *tier_name, char *tier_out,
		      struct kyb_req_gap *out, int cap);

/* The merchant as the API returns it: a jansson object with snake_case
 * keys, the merchant's columns (absent optional values are null),
 * "owners": [...], "locations": [... each with "tills": [...]],
 * "documents": [...] (metadata).
 * Sets *out (owned: json_decref()). Returns 0, -ENOENT, -ENOMEM, -EIO. */
int merchant_get_json(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, json_t **out);

/* Filters of merchant_list(): strings borrowed, NULL for no filter. */
struct merchant_filter {
	const char *status;   /* "APPROVED" */
	const char *tier;     /* "T1" */
	const char *text;     /* substring of trading or legal name, any case */
	const char *cursor;   /* from the previous page, NULL for the first */
	int limit;            /* 1..MERCHANT_LIST_MAX; 0: MERCHANT_LIST_DEFAULT */
};

/* One page of merchants in merchant_id order (columns only, no owners or
 * locations). *items: owned json array. next_cursor (MERCHANT_CURSOR_MAX
 * bytes) gets the cursor of the next page, "" on the last one. The cursor
 * is opaque to clients. Returns 0; -EINVAL bad filter or cursor;
 * -ENOMEM, -EIO. */
int merchant_list(struct merchant_reg *reg, const struct merchant_actor *actor,
		  const struct merchant_filter *f, json_t **items, char next_cursor[MERCHANT_CURSOR_MAX]);

/* Bits of merchant_patch.clear: the optional fields a patch sets to
 * NULL. Plain numbers: the SQL text of the patch uses them. */
#define MERCHANT_CLEAR_LEGAL_NAME 1
#define MERCHANT_CLEAR_SETTLEMENT_ACCOUNT 2
#define MERCHANT_CLEAR_CONTACT_NAME 4
#define MERCHANT_CLEAR_CONTACT_PHONE 8
#define MERCHANT_CLEAR_CONTACT_EMAIL 16
#define MERCHANT_CLEAR_TAX_ID 32
#define MERCHANT_CLEAR_REGISTRATION_NO 64
#define MERCHANT_CLEAR_PERMIT_NO 128
#define MERCHANT_CLEAR_LEI 256

/* Fields a patch may change; NULL leaves one as it is. clear: the
 * MERCHANT_CLEAR_* bits of optional fields to clear (a bit wins over a
 * value given for the same field). trading_name, type and mcc are
 * required and cannot be cleared. if_version: 0 for any version, else
 * the patch applies only to that version of the merchant (-ESTALE). */
struct merchant_patch {
	const char *trading_name, *legal_name, *type, *mcc, *settlement_account;
	const char *contact_name, *contact_phone, *contact_email;
	const char *tax_id, *registration_no, *permit_no, *lei;
	unsigned clear;
	long long if_version;
};

/* Changes a DRAFT or REVERTED merchant (roles maker, dfsp-admin); one
 * audit row "update" with the merchant's columns before and after.
 * Returns 0; -EINVAL (errs filled); -ESTALE p->if_version is not the
 * merchant's version (checked first after -ENOENT); -EPERM not editable
 * in its status; -EACCES; -ENOENT; -EBUSY, -EIO. */
int merchant_patch(struct merchant_reg *reg, const struct merchant_actor *actor, const char *merchant_id,
		   const struct merchant_patch *p, struct merchant_errs *errs);

/* Adds a till to location location_id of the merchant (roles maker,
 * dfsp-admin; not for REJECTED or CLOSED merchants: -EPERM); label may be
 * NULL. till_out gets its number. Returns 0, -ENOENT (merchant or
 * location), -EACCES, -EPERM, -EINVAL (label), -ENOSPC, -EBUSY, -EIO. */
int merchant_till_add(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, long long location_id, const char *label,
		      char till_out[MERCHANT_ID_MAX]);

/* Finds till number till (scoped by actor->dfsp; a hub-admin finds any):
 * merchant_id (MERCHANT_ID_MAX bytes) gets its merchant, status (16
 * bytes) the till's status (ACTIVE, SUSPENDED, CLOSED), *location_id (may
 * be NULL) its location. Read only. Returns 0, -ENOENT (no such till, or
 * another DFSP's), -EIO. */
int merchant_till_find(struct merchant_reg *reg, const struct merchant_actor *actor,
		       const char *till, char merchant_id[MERCHANT_ID_MAX], char status[16],
		       long long *location_id);

/* Changes the status of till number till of the merchant: action
 * "suspend" (ACTIVE -> SUSPENDED), "reactivate" (SUSPENDED -> ACTIVE) or
 * "close" (ACTIVE or SUSPENDED -> CLOSED, final). Roles checker and
 * dfsp-admin, checked before any lookup. reason (may be NULL, at most 500
 * characters) goes to the audit row "till_<action>" (entity "till",
 * before/after {merchant_id, status[, reason]}), in the same transaction.
 * *out (may be NULL) gets the till {till_number, merchant_id,
 * location_id, label, status} (owned). Returns 0; -EACCES role; -EINVAL
 * unknown action or a reason too long; -ENOENT no such merchant or till
 * for the actor's DFSP; -EPERM the change is not allowed from the till's
 * status (a CLOSED till, suspend of a SUSPENDED one, reactivate of an
 * ACTIVE one, or reactivate under a REJECTED or CLOSED merchant); -EBUSY,
 * -EIO. Message in err. */
int merchant_till_act(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, const char *till, const char *action,
		      const char *reason, char *err, size_t errlen, json_t **out);

/* Owners of an editable (DRAFT, REVERTED) merchant; roles maker and
 * dfsp-admin, checked before any lookup (-EACCES). Then: -ENOENT no such
 * merchant (or owner) for the actor's DFSP; -EPERM the merchant is not
 * editable, or (delete) it is its last owner, or (add) it has
 * MERCHANT_OWNERS_MAX owners; -EINVAL the fields, validated as in
 * merchant_validate() (errs filled; fields named without the
 * "owners[i]." prefix). Each change has its audit row (entity "owner",
 * entity_id the owner's id): "owner_add" (after), "owner_update"
 * (before, after), "owner_delete" (before); a change to the name, ID type
 * or ID number resets id_verified to 0. *out (may be NULL) gets the owner
 * as in merchant_get_json()'s "owners" (owned). */
int merchant_owner_add(struct merchant_reg *reg, const struct merchant_actor *actor,
		       const char *merchant_id, const struct merchant_owner_in *o,
		       struct merchant_errs *errs, json_t **out);
/* o: NULL members leave the field as it is. */
int merchant_owner_patch(struct merchant_reg *reg, const struct merchant_actor *actor,
			 const char *merchant_id, long long owner_id,
			 const struct merchant_owner_in *o, struct merchant_errs *errs, json_t **out);
/* merchant_owner_patch() that also clears the optional fields whose
 * MERCHANT_OWNER_CLEAR_* bit is in clear (a bit wins over a value). */
#define MERCHANT_OWNER_CLEAR_PHONE 1
int merchant_owner_patch_clear(struct merchant_reg *reg, const struct merchant_actor *actor,
			       const char *merchant_id, long long owner_id,
			       const struct merchant_owner_in *o, unsigned clear,
			       struct merchant_errs *errs, json_t **out);
int merchant_owner_delete(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, long long owner_id);

/* Locations of an editable (DRAFT, REVERTED) merchant; roles maker and
 * dfsp-admin, checked before any lookup (-EACCES); then -ENOENT (merchant
 * or location), -EPERM not editable (or, add, MERCHANT_LOCATIONS_MAX
 * locations already), -EINVAL the fields as in merchant_validate() (city
 * 1..15 printable ASCII; fields named without "locations[i]."). add
 * creates the location and its first till; patch changes the members
 * given (NULL strings, has_coords 0: unchanged) and validates the
 * location that results. Audit rows "location_add" (after, with the new
 * till_number) and "location_update" (before, after), entity "location",
 * entity_id the location's id. *out (may be NULL) gets the location as in
 * merchant_get_json()'s "locations" (add: with its "tills"). */
int merchant_location_add(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, const struct merchant_location_in *l,
			  struct merchant_errs *errs, json_t **out);
int merchant_location_patch(struct merchant_reg *reg, const struct merchant_actor *actor,
			    const char *merchant_id, long long location_id,
			    const struct merchant_location_in *l, struct merchant_errs *errs,
			    json_t **out);
/* merchant_location_patch() that also clears the optional fields whose
 * MERCHANT_LOCATION_CLEAR_* bit is in clear (a bit wins over a value). */
#define MERCHANT_LOCATION_CLEAR_ADDRESS 1
#define MERCHANT_LOCATION_CLEAR_COORDS 2
int merchant_location_patch_clear(struct merchant_reg *reg, const struct merchant_actor *actor,
				  const char *merchant_id, long long location_id,
				  const struct merchant_location_in *l, unsigned clear,
				  struct merchant_errs *errs, json_t **out);

/* Deletes location location_id of an editable (DRAFT, REVERTED: never
 * approved, so its tills never took a payment) merchant together with
 * its tills; roles maker and dfsp-admin, checked before any lookup
 * (-EACCES). One transaction: a "till_delete" audit row per till (entity
 * "till", before {merchant_id, location_id, label, status}) and a
 * "location_delete" row (entity "location", before: the location with
 * merchant_id and "tills" [{till_number, label, status}]). *out (may be
 * NULL) gets {id, deleted: true, tills_deleted: [till numbers]} (owned).
 * Returns 0; -ENOENT no such merchant or location for the actor's DFSP;
 * -EPERM the merchant is not editable, or this is its last location
 * (message in err); -EBUSY, -EIO. */
int merchant_location_delete(struct merchant_reg *reg, const struct merchant_actor *actor,
			     const char *merchant_id, long long location_id, char *err,
			     size_t errlen, json_t **out);

/* The audit rows about the merchant and its children (owners,
 * locations, tills, documents, tier requests, including children deleted
 * since), in id order: rows with entity "merchant" and its id, rows whose
 * before or after JSON has "merchant_id" equal to it, and rows without a
 * merchant_id in their JSON (older versions wrote some) about one of its
 * present children. Tenancy as merchant_get_json(). One page: rows with
 * an id above after (0 from the start), at most limit (1..
 * MERCHANT_AUDIT_MAX). *items (owned json array) gets objects {id, ts,
 * actor, role, action, entity, entity_id, before, after} (before and
 * after parsed, or null); *next (may be NULL) the id of the last row when
 * the page is full (more may follow), else 0. Read only. Returns 0,
 * -ENOENT, -EINVAL (limit), -ENOMEM, -EIO. */
#define MERCHANT_AUDIT_MAX 500
int merchant_audit(struct merchant_reg *reg, const struct merchant_actor *actor,
		   const char *merchant_id, long long after, int limit, json_t **items,
		   long long *next);

/* Stores a KYB document of the merchant (roles maker, dfsp-admin; not
 * for REJECTED or CLOSED merchants): the len bytes of data (borrowed) go
 * to <data_dir>/documents/<sha256> (content-addressed, written with
 * fsync and rename before the transaction), then the document row
 * (state PENDING, uploaded_by = actor->user) and an audit row
 * "document_add" (metadata only, never the content) commit together.
 * type: [a-z0-9_]{1,32} (a KYB document type); content_type: 3..127
 * printable characters. *doc_id gets the row id; sha256_out (may be
 * NULL) the hex digest. Returns 0; -EFBIG over max_document_bytes (413);
 * -EINVAL; -EACCES; -ENOENT; -EPERM; -errno of the file system; -EBUSY,
 * -EIO. */
int merchant_doc_add(struct merchant_reg *reg, const struct merchant_actor *actor,
		     const char *merchant_id, const char *type, const char *content_type,
		     const void *data, size_t len, long long *doc_id, char sha256_out[65]);

/* Where document doc_id of the merchant is (for a download): path
 * (pathlen bytes) gets the file's full path, content_type and *size its
 * metadata. Tenancy as merchant_get_json(). Returns 0, -ENOENT,
 * -ENAMETOOLONG, -EIO. */
int merchant_doc_path(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, long long doc_id, char *path, size_t pathlen,
		      char content_type[128], long long *size);

/* Requests a change of the merchant's tier to to_tier (roles maker,
 * dfsp-admin): a PENDING tier_request row and its audit row
 * "tier_request". *req_id gets its id. Returns 0; -EINVAL unknown tier or
 * the current one; -EEXIST a request is pending already; -EPERM REJECTED
 * or CLOSED merchant; -EACCES; -ENOENT; -EBUSY, -EIO. */
int merchant_tier_request(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, const char *to_tier, long long *req_id);

/* The merchant's own tier request (USSD "My business"): as
 * merchant_tier_request() for the merchant of DFSP dfsp, requested_by =
 * user (the owner's phone), audit role "merchant". No role check: the
 * caller has authenticated the owner (PIN). Same returns, without
 * -EACCES. */
int merchant_tier_request_self(struct merchant_reg *reg, const char *dfsp, const char *user,
			       const char *merchant_id, const char *to_tier, long long *req_id);

/* Approves (approve != 0) or rejects (reason required) a pending tier
 * request, maker-checker (merchant_fsm_checker(): the reviewer is of the
 * merchant's DFSP and not the requester; role checker or dfsp-admin).
 * On approval the merchant's tier changes in the same transaction, with
 * the audit row "tier_approve" / "tier_reject". An approval needs the
 * merchant to meet the new tier's KYB requirements (merchant_kyb_gaps(),
 * in the same transaction): else -ENODATA and nothing changes.
 * Returns 0; -ENOENT; -EACCES; -EPERM not pending, or the merchant's
 * tier changed since the request; -EINVAL no reason for a rejection;
 * -ENODATA; message in err. */
int merchant_tier_review(struct merchant_reg *reg, const struct merchant_actor *actor,
			 const char *merchant_id, long long req_id, int approve, const char *reason,
			 char *err, size_t errlen);

/* merchant_tier_review() with the gaps on -ENODATA, as merchant_act_kyb(). */
int merchant_tier_review_kyb(struct merchant_reg *reg, const struct merchant_actor *actor,
			     const char *merchant_id, long long req_id, int approve,
			     const char *reason, char *err, size_t errlen, struct merchant_errs *gaps);

/* Reviews KYB document doc_id of the merchant: verify != 0 sets its
 * state VERIFIED, else REJECTED (reason required); reviewed_by = the
 * actor, review_reason = reason (may be NULL for a verification). Roles
 * checker and dfsp-admin; maker-checker (merchant_fsm_checker()): the
 * reviewer is not the document's uploader. A document may be reviewed
 * again (the latest decision stands). The update and the audit row
 * "document_verify" / "document_reject" (entity "document", before/after
 * {merchant_id, state, reviewed_by, review_reason}) commit together
 * (nesting in the caller's transaction, db_begin()). *out (may be NULL)
 * gets the updated document as in merchant_get_json()'s "documents"
 * (owned). Checks in this order: -ENOENT no such merchant or document for
 * the actor's DFSP; -EACCES role (hub-admin too) or maker-checker;
 * -EPERM REJECTED or CLOSED merchant; -EINVAL no reason for a rejection,
 * or a reason over 500 characters; then -EBUSY, -EIO. Message in err. */
int merchant_doc_review(struct merchant_reg *reg, const struct merchant_actor *actor,
			const char *merchant_id, long long doc_id, int verify, const char *reason,
			char *err, size_t errlen, json_t **out);

/* Reviews the ID of owner owner_id of the merchant: verify != 0 sets
 * id_verified = 1, else 0 (a rejection, reason required; kept in the
 * audit row only, the owner table has no column for it). As
 * merchant_doc_review(), but maker-checker is against the merchant's
 * creator and its last submitter; audit "owner_verify" / "owner_reject"
 * (entity "owner", before {merchant_id, id_verified}, after {merchant_id,
 * id_verified, reviewed_by, reason}); *out gets the owner as in
 * merchant_get_json()'s "owners". Same returns. */
int merchant_owner_verify(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, long long owner_id, int verify, const char *reason,
			  char *err, size_t errlen, json_t **out);

/* The merchant id's (or till number's) form: digits long, all decimal,
 * a valid Luhn check digit. 1 or 0. */
int merchant_id_valid(const char *s, int digits);

#endif /* MERCHANT_H */
