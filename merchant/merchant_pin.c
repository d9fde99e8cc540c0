/* merchant_pin.c -- merchants' USSD PINs on the merchant_pin table: set,
 * verify with lock-out, unlock by the DFSP, status (see merchant_pin.h). */
#include "merchant/merchant_pin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "merchant/merchant_fsm.h"

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

enum {
	MP_GET,
	MP_INSERT,
	MP_CHANGE,
	MP_REHASH,
	MP_FAIL,
	MP_RESET,
	MP_STATUS,
	MP__COUNT
};

static const char *const mpin_sql[MP__COUNT] = {
	[MP_GET] = "SELECT pin_hash, failures, locked_until IS NOT NULL AND locked_until > " NOW ", "
		"locked_until IS NOT NULL FROM merchant_pin WHERE dfsp = :dfsp AND merchant_id = :mid",
	[MP_INSERT] = "INSERT INTO merchant_pin (dfsp, merchant_id, pin_hash) VALUES (:dfsp, :mid, :hash)",
	[MP_CHANGE] = "UPDATE merchant_pin SET pin_hash = :hash, failures = 0, locked_until = NULL, "
		"updated = " NOW " WHERE dfsp = :dfsp AND merchant_id = :mid",
	[MP_REHASH] = "UPDATE merchant_pin SET pin_hash = :hash, updated = " NOW
		" WHERE dfsp = :dfsp AND merchant_id = :mid",
	[MP_FAIL] = "UPDATE merchant_pin SET failures = :failures, locked_until = CASE WHEN :lock "
		"THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :lock_mod) END, updated = " NOW
		" WHERE dfsp = :dfsp AND merchant_id = :mid",
	[MP_RESET] = "UPDATE merchant_pin SET failures = 0, locked_until = NULL, updated = " NOW
		" WHERE dfsp = :dfsp AND merchant_id = :mid",
	/* An expired lock shows as none, and its failures as 0: the next try
	 * starts counting again (mpin_verify()). */
	[MP_STATUS] = "SELECT CASE WHEN locked_until IS NOT NULL AND locked_until <= " NOW
		" THEN 0 ELSE failures END, CASE WHEN locked_until > " NOW " THEN locked_until END "
		"FROM merchant_pin WHERE dfsp = :dfsp AND merchant_id = :mid",
};

struct mpin {
	struct db *db;     /* borrowed */
	sqlite3_stmt **st; /* owned by db */
	struct mpin_opts o;
};

int mpin_new(struct mpin **out, struct db *db, const struct mpin_opts *o, char *err, size_t errlen)
{
	struct mpin *p;
	int rc;

	*out = NULL;
	if ((rc = pin_cost_check(&o->cost, err, errlen)) < 0)
		return rc;
	if (o->max_tries < 1 || o->lock_s < 1) {
		snprintf(err, errlen, "pin_max_tries and pin_lock_s must be at least 1");
		return -EINVAL;
	}
	if (!(p = calloc(1, sizeof *p)))
		return -ENOMEM;
	p->db = db;
	p->o = *o;
	if ((rc = db_prepare_table(db, mpin_sql, MP__COUNT, &p->st, err, errlen)) < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void mpin_free(struct mpin *p)
{
	free(p);
}

static int bind_key(sqlite3_stmt *s, const char *dfsp, const char *mid)
{
	int rc = db_bind_text(s, ":dfsp", dfsp);
	return rc < 0 ? rc : db_bind_text(s, ":mid", mid);
}

static int status_on(sqlite3_stmt **st, const char *dfsp, const char *mid, struct mpin_status *out)
{
	sqlite3_stmt *s = st[MP_STATUS];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = bind_key(s, dfsp, mid)) < 0 || (rc = db_step(s)) <= 0)
		return rc;
	out->set = 1;
	out->failures = sqlite3_column_int(s, 0);
	const unsigned char *t = sqlite3_column_text(s, 1);
	if (t)
		snprintf(out->locked_until, sizeof out->locked_until, "%s", (const char *)t);
	db_reset(s);
	return 0;
}

int mpin_status(struct db *db, const char *dfsp, const char *merchant_id, struct mpin_status *st)
{
	sqlite3_stmt **stmts;
	char err[256];
	int rc = db_prepare_table(db, mpin_sql, MP__COUNT, &stmts, err, sizeof err);
	if (rc < 0) {
		LOGE(LC_DB, "cannot prepare the PIN statements", "error=\"%s\"", err);
		return rc;
	}
	return status_on(stmts, dfsp, merchant_id, st);
}

json_t *mpin_status_json(const struct mpin_status *st)
{
	return json_pack("{s:b,s:i,s:o}", "set", st->set, "failures", st->failures, "locked_until",
			 st->locked_until[0] ? json_string(st->locked_until) : json_null());
}

/* Appends the audit row with before (may be NULL) and after states. */
static int audit_pin(struct mpin *p, const char *actor, const char *role, const char *dfsp,
		     const char *action, const char *mid, const struct mpin_status *before,
		     const struct mpin_status *after)
{
	json_t *b = before ? mpin_status_json(before) : NULL;
	json_t *a = mpin_status_json(after);
	char *bs = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *as = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc = (before && !bs) || !as ? -ENOMEM
		 : audit_append(p->db, actor, role, dfsp, action, "merchant", mid, bs, as);
	json_decref(b);
	json_decref(a);
	free(bs);
	free(as);
	return rc;
}

/* ---- set ---- */

static int set_tx(struct mpin *p, const char *dfsp, const char *mid, const char *hash,
		  const char *actor, const char *role)
{
	struct mpin_status before, after;
	int rc = status_on(p->st, dfsp, mid, &before);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s = p->st[before.set ? MP_CHANGE : MP_INSERT];
	if ((rc = bind_key(s, dfsp, mid)) < 0 || (rc = db_bind_text(s, ":hash", hash)) < 0 ||
	    (rc = db_run(s)) < 0)
		return rc;
	if (db_changes(p->db) != 1)
		return -ENOENT;
	if ((rc = status_on(p->st, dfsp, mid, &after)) < 0)
		return rc;
	return audit_pin(p, actor, role, dfsp, before.set ? "pin_change" : "pin_set", mid,
			 before.set ? &before : NULL, &after);
}

int mpin_set(struct mpin *p, const char *dfsp, const char *merchant_id, const char *pin,
	     const char *actor, const char *role)
{
	char hash[PIN_HASH_MAX];
	/* Hashed before the transaction: the write lock is not held while
	 * Argon2 runs. */
	int rc = pin_hash(&p->o.cost, pin, hash);
	if (rc < 0)
		return rc;
	if ((rc = db_begin(p->db)) == 0)
		rc = db_end(p->db, set_tx(p, dfsp, merchant_id, hash, actor, role));
	pin_wipe(hash, sizeof hash);
	if (rc == 0)
		LOGI(LC_MERCH, "merchant PIN set", "dfsp=%s merchant=%s", dfsp, merchant_id);
	return rc;
}

/* ---- verify ---- */

/* The transaction of mpin_verify(): returns a database error, or 0 with
 * the outcome (0, -EACCES, -EAGAIN, -ENOENT) in *outcome, so that a wrong
 * PIN still commits its count. */
static int verify_tx(struct mpin *p, const char *dfsp, const char *mid, const char *pin,
		     const char *actor, const char *role, int *outcome)
{
	sqlite3_stmt *s = p->st[MP_GET];
	char hash[PIN_HASH_MAX];
	int rc, failures, locked, had_lock;

	if ((rc = bind_key(s, dfsp, mid)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0) {
		*outcome = -ENOENT;
		return 0;
	}
	snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(s, 0));
	failures = sqlite3_column_int(s, 1);
	locked = sqlite3_column_int(s, 2);
	had_lock = sqlite3_column_int(s, 3);
	db_reset(s);
	if (locked) {
		*outcome = -EAGAIN;
		return 0;
	}
	if (had_lock)
		failures = 0; /* the lock has run out: count again from zero */
	int v = pin_verify(hash, pin);
	if (v == 0) {
		*outcome = 0;
		if ((failures > 0 || had_lock) &&
		    ((rc = bind_key(p->st[MP_RESET], dfsp, mid)) < 0 || (rc = db_run(p->st[MP_RESET])) < 0))
			return rc;
		if (pin_needs_rehash(&p->o.cost, hash) == 1) {
			char fresh[PIN_HASH_MAX];
			s = p->st[MP_REHASH];
			if ((rc = pin_hash(&p->o.cost, pin, fresh)) < 0 || (rc = bind_key(s, dfsp, mid)) < 0 ||
			    (rc = db_bind_text(s, ":hash", fresh)) < 0 || (rc = db_run(s)) < 0) {
				pin_wipe(fresh, sizeof fresh);
				return rc;
			}
			pin_wipe(fresh, sizeof fresh);
			LOGI(LC_MERCH, "merchant PIN hash upgraded to the configured cost", "dfsp=%s merchant=%s",
			     dfsp, mid);
		}
		return 0;
	}
	if (v != -EACCES) {
		LOGE(LC_MERCH, "stored PIN hash unreadable", "dfsp=%s merchant=%s", dfsp, mid);
		return -EIO;
	}
	failures++;
	int lock = failures >= p->o.max_tries;
	char mod[32];
	snprintf(mod, sizeof mod, "+%d seconds", p->o.lock_s);
	s = p->st[MP_FAIL];
	if ((rc = bind_key(s, dfsp, mid)) < 0 || (rc = db_bind_int64(s, ":failures", failures)) < 0 ||
	    (rc = db_bind_int64(s, ":lock", lock)) < 0 || (rc = db_bind_text(s, ":lock_mod", mod)) < 0 ||
	    (rc = db_run(s)) < 0)
		return rc;
	*outcome = lock ? -EAGAIN : -EACCES;
	if (lock) {
		struct mpin_status after;
		if ((rc = status_on(p->st, dfsp, mid, &after)) < 0 ||
		    (rc = audit_pin(p, actor, role, dfsp, "pin_locked", mid, NULL, &after)) < 0)
			return rc;
		LOGN(LC_MERCH, "merchant locked out after wrong PINs", "dfsp=%s merchant=%s tries=%d until=%s",
		     dfsp, mid, failures, after.locked_until);
	}
	return 0;
}

int mpin_verify(struct mpin *p, const char *dfsp, const char *merchant_id, const char *pin,
		const char *actor, const char *role, struct mpin_status *st)
{
	int outcome = -EIO;
	int rc = db_begin(p->db);
	if (rc == 0)
		rc = db_end(p->db, verify_tx(p, dfsp, merchant_id, pin, actor, role, &outcome));
	if (rc == 0 && st)
		rc = status_on(p->st, dfsp, merchant_id, st);
	return rc < 0 ? rc : outcome;
}

/* ---- unlock ---- */

static int unlock_tx(struct mpin *p, const struct merchant_actor *actor, const char *mid,
		     struct mpin_status *after)
{
	struct mpin_status before;
	int rc = status_on(p->st, actor->dfsp, mid, &before);
	if (rc < 0)
		return rc;
	if (!before.set)
		return -ENOENT;
	sqlite3_stmt *s = p->st[MP_RESET];
	if ((rc = bind_key(s, actor->dfsp, mid)) < 0 || (rc = db_run(s)) < 0 ||
	    (rc = status_on(p->st, actor->dfsp, mid, after)) < 0)
		return rc;
	return audit_pin(p, actor->user, merchant_role_name(actor->role), actor->dfsp, "pin_unlock", mid,
			 &before, after);
}

int mpin_unlock(struct mpin *p, const struct merchant_actor *actor, const char *merchant_id,
		struct mpin_status *st)
{
	struct mpin_status after;
	if (actor->role != ROLE_DFSP_ADMIN && actor->role != ROLE_CHECKER)
		return -EACCES;
	if (!actor->dfsp)
		return -ENOENT;
	int rc = db_begin(p->db);
	if (rc == 0)
		rc = db_end(p->db, unlock_tx(p, actor, merchant_id, &after));
	if (rc == 0) {
		LOGI(LC_MERCH, "merchant PIN unlocked", "dfsp=%s merchant=%s by=%s", actor->dfsp, merchant_id,
		     actor->user);
		if (st)
			*st = after;
	}
	return rc;
}
