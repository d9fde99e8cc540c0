/* merchant_pin.h -- a merchant's USSD PIN for "My business": stored as an
 * Argon2id hash (gateway/pin.h) in the merchant_pin table, with the wrong
 * tries in a row and a lock-out the DFSP can see and lift. Every change
 * has its audit row (entity "merchant", entity_id the merchant id) in the
 * same transaction; the hash never appears in the audit JSON or a log.
 *
 * Return convention: 0 or a negative errno, as gateway/db.h, plus:
 *   -ENOENT  no such merchant, or it has no PIN (per function below)
 *   -EACCES  wrong PIN (mpin_verify), or a role that may not unlock
 *   -EAGAIN  locked out: no PIN is checked until locked_until
 *   -EINVAL  a PIN of a bad form
 * Time: lock ends are UTC text ("2026-11-28T10:15:02.123Z") computed by
 * SQLite from its clock, so they compare as strings.
 * Threads: as struct db, one thread.
 */
#ifndef MERCHANT_PIN_H
#define MERCHANT_PIN_H

#include <stddef.h>

#include <jansson.h>

#include "gateway/pin.h"

struct db;
struct merchant_actor;
struct mpin; /* opaque */

/* Options of mpin_new(), copied. */
struct mpin_opts {
	struct pin_cost cost; /* [ussd] pin_opslimit, pin_memlimit_kib */
	int max_tries;        /* [ussd] pin_max_tries: wrong PINs in a row that lock */
	int lock_s;           /* [ussd] pin_lock_s: seconds of a lock-out */
};

#define MPIN_TS_SIZE 25 /* a timestamp, NUL included */

/* A merchant's PIN state, as the DFSP sees it. */
struct mpin_status {
	int set;                            /* 1 if a PIN is set */
	int failures;                       /* wrong PINs in a row (0 after an expired lock) */
	char locked_until[MPIN_TS_SIZE];    /* end of the lock-out in force, "" if none */
};

/* Prepares the module's statements on db (borrowed; must outlive the
 * handle). *out is owned by the caller (mpin_free()). Returns 0; -EINVAL
 * a cost out of libsodium's bounds, max_tries < 1 or lock_s < 1 (message
 * in err); -ENOMEM; db_prepare_table()'s codes. */
int mpin_new(struct mpin **out, struct db *db, const struct mpin_opts *o, char *err, size_t errlen);

/* NULL ok. */
void mpin_free(struct mpin *p);

/* Sets the merchant's PIN (a NUL-terminated string of 4..6 digits; the
 * triviality rules are the caller's, pin_check()), hashed with the
 * configured cost before the transaction opens. A first PIN is audited
 * "pin_set", a new one "pin_change" (failures and lock cleared). actor
 * and role are the audit row's (e.g. the owner's phone and "merchant").
 * Nests into the caller's transaction (db_begin()) if one is open, so a
 * registration commits its merchant and PIN together. Returns 0;
 * -EINVAL bad form; -ENOENT no such merchant in dfsp; -EBUSY, -EIO. */
int mpin_set(struct mpin *p, const char *dfsp, const char *merchant_id, const char *pin,
	     const char *actor, const char *role);

/* Checks pin against the merchant's, in one transaction: a match resets
 * the failures (and upgrades the hash if the configured cost changed);
 * a mismatch counts one more failure, and the max_tries-th in a row locks
 * the merchant out for lock_s seconds (audit "pin_locked", actor and role
 * as mpin_set()). A lock that has expired is forgotten: counting starts
 * again. st (may be NULL) gets the state after the call.
 * Returns 0 match; -EACCES wrong PIN (not locked yet); -EAGAIN locked
 * (by this try or before: nothing was checked then); -ENOENT no PIN set;
 * -EBUSY, -EIO. */
int mpin_verify(struct mpin *p, const char *dfsp, const char *merchant_id, const char *pin,
		const char *actor, const char *role, struct mpin_status *st);

/* Lifts a lock-out and clears the failures (roles dfsp-admin and checker
 * of the merchant's DFSP), audited "pin_unlock" with the state before and
 * after, also when there was no lock (so the request is on record).
 * st (may be NULL) gets the state after. Returns 0; -EACCES role;
 * -ENOENT no such merchant for the actor's DFSP, or no PIN set; -EBUSY,
 * -EIO. */
int mpin_unlock(struct mpin *p, const struct merchant_actor *actor, const char *merchant_id,
		struct mpin_status *st);

/* Reads the merchant's PIN state (set 0 if it has none). Read only; on
 * db, inside the caller's read snapshot if one is open. The statements
 * are prepared on db at first use (the registry's JSON builder calls this
 * without a handle). Returns 0; -EIO; -ENOMEM. */
int mpin_status(struct db *db, const char *dfsp, const char *merchant_id, struct mpin_status *st);

/* The state as the API shows it: {"set": bool, "failures": n,
 * "locked_until": ts|null}. Returns a new reference, NULL if out of
 * memory. */
json_t *mpin_status_json(const struct mpin_status *st);

#endif /* MERCHANT_PIN_H */
