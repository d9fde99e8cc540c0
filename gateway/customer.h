/* customer.h -- customers (payers) enrolled by their DFSP: enrolment with
 * a one-time activation code, activation and PIN on the first dial, PIN
 * checks with lock-out, unlock, suspend/reactivate/close, PIN change and
 * re-issued codes, all on the customer table (data/schema.sql). Every
 * change commits with its audit row (entity "customer", entity_id the
 * customer id) in one transaction; what the customer does on the phone
 * is audited with the phone number as actor and role "customer".
 * docs/customers.md.
 *
 * Secrets. The activation code (8 random digits from libsodium) is shown
 * once, to the caller of cust_enroll() or cust_new_code(), and stored
 * only as hex SHA-256 with an expiry; the PIN only as an Argon2id string
 * (gateway/pin.h). Neither ever reaches a log or an audit row.
 *
 * Status machine (a table in customer.c):
 *   PENDING --activate (code + PIN)--> ACTIVE
 *   PENDING, ACTIVE --suspend--> SUSPENDED --reactivate--> ACTIVE, or
 *       PENDING if no PIN was ever chosen
 *   PENDING, ACTIVE --new activation code--> PENDING (PIN cleared: the
 *       customer chooses a new one with the new code)
 *   any but CLOSED --close--> CLOSED (final; the phone number can be
 *       enrolled again only after the row is gone: UNIQUE (dfsp, msisdn))
 *
 * Wrong tries. A wrong activation code and a wrong PIN count alike in
 * pin_failures; the max_tries-th in a row locks the customer for lock_s
 * seconds (audited "pin_locked"); an expired lock is forgotten; a DFSP
 * unlock (audited "pin_unlock") lifts it.
 *
 * Return convention: 0 or a negative errno, as gateway/db.h, plus:
 *   -ENOENT  no such customer for the actor's DFSP (also one of another
 *            DFSP, so that its existence never leaks)
 *   -EACCES  the actor's role may not do this; a wrong code or PIN
 *   -EAGAIN  locked out: nothing was checked
 *   -EPERM   not allowed in the customer's status (409)
 *   -ETIME   the activation code has expired
 *   -EEXIST  the phone number is already a customer of this DFSP
 *   -EINVAL  invalid input: {field, message} list in errs (422)
 * Tenancy: every query binds the actor's DFSP; a hub-admin reads across
 * DFSPs and never writes customers (-EACCES).
 * Time: timestamps are UTC text ("2026-11-28T10:15:02.123Z") from
 * SQLite's clock, so they compare as strings.
 * Threads: as struct db, one thread.
 */
#ifndef GW_CUSTOMER_H
#define GW_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/pin.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"

struct db;
struct kyb_tiers;
struct cust; /* opaque: the module's handle on a database */

#define CUST_CODE_DIGITS 8        /* an activation code */
#define CUST_CODE_SIZE (CUST_CODE_DIGITS + 1)
#define CUST_MSISDN_MAX 16        /* E.164 digits without '+', NUL included */
#define CUST_NAME_MAX 141
#define CUST_REF_MAX 65
#define CUST_DFSP_MAX 33
#define CUST_TS_SIZE 25           /* a timestamp, NUL included */
#define CUST_LIST_MAX 200         /* largest page */
#define CUST_LIST_DEFAULT 50
#define CUST_CURSOR_MAX 24        /* cursor string, NUL included */
#define CUST_MATCH_MAX 8          /* customers of one phone cust_by_msisdn() returns */

enum cust_status {
	CS_PENDING,
	CS_ACTIVE,
	CS_SUSPENDED,
	CS_CLOSED,
	CS__COUNT
};

/* DFSP actions (POST /v1/customers/{id}/ACTION). Roles: unlock, suspend,
 * reactivate, close: checker and dfsp-admin; activation-code: maker and
 * dfsp-admin (as merchant actions: a maker enrols, a checker controls). */
enum cust_action {
	CA_UNLOCK,
	CA_SUSPEND,
	CA_REACTIVATE,
	CA_CLOSE,
	CA_NEW_CODE, /* "activation-code" */
	CA__COUNT
};

/* Options of cust_new(), copied (tiers borrowed: must outlive the handle). */
struct cust_opts {
	const struct kyb_tiers *tiers; /* customer tiers; NULL: any name C0..C9 */
	struct pin_cost cost;          /* [ussd] pin_opslimit, pin_memlimit_kib */
	int max_tries;                 /* [customer] pin_max_tries */
	int lock_s;                    /* [customer] pin_lock_s */
	int activation_ttl_s;          /* [customer] activation_ttl_s */
};

/* A customer as stored (no secrets). Caller-owned. */
struct cust_info {
	int64_t id;
	char dfsp[CUST_DFSP_MAX];
	char msisdn[CUST_MSISDN_MAX];   /* digits, no '+' */
	char name[CUST_NAME_MAX];
	char account_ref[CUST_REF_MAX];
	char tier[KYB_TIER_NAME_MAX];
	enum cust_status status;
	int pin_set;                    /* 1 once a PIN is chosen */
	int failures;                   /* wrong tries in a row (0 after an expired lock) */
	char locked_until[CUST_TS_SIZE];      /* lock in force, "" if none */
	char activation_expires[CUST_TS_SIZE]; /* "" if no code is outstanding */
	long long version;
	char created[CUST_TS_SIZE], updated[CUST_TS_SIZE];
};

/* Enrolment input; strings borrowed for the call. */
struct cust_in {
	const char *msisdn;      /* E.164 with '+' (kyb_check_phone()) */
	const char *name;        /* 1..140 bytes of printable UTF-8 */
	const char *account_ref; /* 1..64 printable ASCII: the account at the DFSP */
	const char *tier;        /* a [customer NAME] tier */
};

/* Prepares the statements on db (borrowed; must outlive the handle).
 * *out is owned by the caller (cust_free()). Returns 0; -EINVAL bad
 * options (message in err); -ENOMEM; db_prepare_table()'s codes. */
int cust_new(struct cust **out, struct db *db, const struct cust_opts *o, char *err, size_t errlen);
void cust_free(struct cust *c); /* NULL ok */

/* Names: "PENDING", "unlock", "activation-code"; parse returns -1 for an
 * unknown name. */
const char *cust_status_name(enum cust_status s);
int cust_status_parse(const char *s);
const char *cust_action_name(enum cust_action a);
int cust_action_parse(const char *s);

/* Validates in without the database; fills errs (cleared first). 0 or
 * -EINVAL. */
int cust_validate(const struct cust *c, const struct cust_in *in, struct merchant_errs *errs);

/* Enrols a PENDING customer of actor->dfsp (roles maker, dfsp-admin) with
 * a fresh activation code, audited "enroll", in one transaction. id_out
 * (may be NULL) gets the id, code (CUST_CODE_SIZE bytes) the code to
 * hand over once; info (may be NULL) the stored row. Returns 0; -EINVAL
 * (errs filled); -EEXIST (errs names "msisdn"); -EACCES role; -ENOENT no
 * such DFSP; -EBUSY, -EIO, -ENOMEM. */
int cust_enroll(struct cust *c, const struct merchant_actor *actor, const struct cust_in *in,
		char code[CUST_CODE_SIZE], struct cust_info *info, struct merchant_errs *errs);

/* Reads customer id of actor->dfsp (any role but payments; a hub-admin
 * any DFSP's). Returns 0; -EACCES a payments key; -ENOENT; -EIO. */
int cust_get(struct cust *c, const struct merchant_actor *actor, int64_t id, struct cust_info *out);

/* The customer as the API shows it: {"id", "dfsp", "msisdn" ("+..."),
 * "name", "account_ref", "tier", "status", "pin": {"set", "failures",
 * "locked_until"}, "activation_expires", "version", "created",
 * "updated"}. A new reference; NULL if out of memory. */
json_t *cust_json(const struct cust_info *ci);

/* Filters of cust_list(): strings borrowed, NULL for none. */
struct cust_filter {
	const char *msisdn;  /* with or without '+' */
	const char *status;  /* "ACTIVE", ... */
	const char *cursor;  /* from the previous page's next_cursor */
	int limit;           /* 1..CUST_LIST_MAX; 0: CUST_LIST_DEFAULT */
};

/* A page of actor->dfsp's customers by id ascending (a hub-admin: all).
 * *items gets a new JSON array (owned); next (CUST_CURSOR_MAX bytes) the
 * cursor of the next page or "" at the end. Roles as cust_get().
 * Returns 0; -EINVAL a bad filter (field and message in errs); -EACCES;
 * -EIO; -ENOMEM. */
int cust_list(struct cust *c, const struct merchant_actor *actor, const struct cust_filter *f,
	      json_t **items, char next[CUST_CURSOR_MAX], struct merchant_errs *errs);

/* ---- the phone's side (USSD): by DFSP and MSISDN, actor the phone ---- */

/* The customers the phone msisdn (digits, no '+') is, across DFSPs, not
 * CLOSED, by DFSP: up to cap into out. Returns the number found (0:
 * none) or -EIO. */
int cust_by_msisdn(struct cust *c, const char *msisdn, struct cust_info *out, int cap);

/* Activates customer (dfsp, msisdn): checks code against the outstanding
 * activation code, then sets the PIN (NUL-terminated, 4..6 digits; its
 * triviality is the caller's, pin_check()) and status ACTIVE, clearing
 * the code, in one transaction audited "activate". A wrong code counts as
 * a wrong try (see above). Returns 0; -EACCES wrong code; -EAGAIN locked;
 * -ETIME the code expired (the DFSP issues a new one); -EPERM not PENDING;
 * -EINVAL a PIN of a bad form; -ENOENT; -EBUSY, -EIO. */
int cust_activate(struct cust *c, const char *dfsp, const char *msisdn, const char *code,
		  const char *pin);

/* Checks only the activation code (the USSD flow asks for it before the
 * PIN), counting a wrong one. Same returns as cust_activate(), nothing
 * changed on a match. */
int cust_check_code(struct cust *c, const char *dfsp, const char *msisdn, const char *code);

/* Checks the PIN of an ACTIVE customer in one transaction: a match resets
 * the failures (and upgrades the hash to the configured cost); a mismatch
 * counts, the max_tries-th locks (audited). info (may be NULL) gets the
 * state after. Returns 0 match; -EACCES wrong; -EAGAIN locked; -EPERM not
 * ACTIVE; -ENOENT; -EBUSY, -EIO. */
int cust_verify_pin(struct cust *c, const char *dfsp, const char *msisdn, const char *pin,
		    struct cust_info *info);

/* Changes the PIN of an ACTIVE customer after checking the old one as
 * cust_verify_pin() does; audited "pin_change". Returns as
 * cust_verify_pin(), plus -EINVAL a new PIN of a bad form. */
int cust_change_pin(struct cust *c, const char *dfsp, const char *msisdn, const char *old_pin,
		    const char *new_pin);

/* ---- the DFSP's actions ---- */

/* Applies action a to customer id of actor->dfsp in one transaction with
 * its audit row (action name; before/after {"status", "pin"}). reason
 * may be NULL (kept in the audit row). CA_NEW_CODE writes a new code to
 * code (CUST_CODE_SIZE bytes; may be NULL for the other actions).
 * after (may be NULL) gets the row after. Returns 0; -EACCES role;
 * -ENOENT; -EPERM status (message in err); -EBUSY, -EIO. */
int cust_act(struct cust *c, const struct merchant_actor *actor, int64_t id, enum cust_action a,
	     const char *reason, char code[CUST_CODE_SIZE], struct cust_info *after, char *err,
	     size_t errlen);

/* The limits of a customer's tier (the payment flows check them); NULL if
 * the tier is not in the table (a tier file changed under old rows) or
 * the handle has no tier table. Borrowed from the tiers. */
const struct kyb_limits *cust_limits(const struct cust *c, const struct cust_info *ci);

#endif /* GW_CUSTOMER_H */
