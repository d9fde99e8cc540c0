/* customer.c -- customers enrolled by their DFSP: enrolment, activation
 * codes, PINs with lock-out and the DFSP's actions on the customer table
 * (see customer.h). */
#include "gateway/customer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "kyb/kyb_check.h"

/* The audit role of what a customer does on the phone (schema version 6). */
#define CUST_AUDIT_ROLE "customer"

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* The columns of struct cust_info, in row_info()'s order. An expired lock
 * shows as none and its failures as 0: the next try counts from zero. */
#define COLS                                                                                     \
	"id, dfsp, msisdn, name, account_ref, tier, status, pin_hash IS NOT NULL, "              \
	"CASE WHEN locked_until IS NOT NULL AND locked_until <= " NOW " THEN 0 ELSE pin_failures " \
	"END, CASE WHEN locked_until > " NOW " THEN locked_until END, activation_expires, "      \
	"version, created, updated"

enum {
	C_DFSP,
	C_INSERT,
	C_GET,
	C_GET_M,
	C_BY_MSISDN,
	C_SECRETS,
	C_FAIL,
	C_RESET,
	C_ACTIVATE,
	C_SETPIN,
	C_REHASH,
	C_STATUS,
	C_NEWCODE,
	C_LIST,
	C__COUNT
};

static const char *const cust_sql[C__COUNT] = {
	[C_DFSP] = "SELECT 1 FROM dfsp WHERE fsp_id = :dfsp",
	[C_INSERT] = "INSERT INTO customer (dfsp, msisdn, name, account_ref, tier, activation_sha256, "
		"activation_expires, created_by) VALUES (:dfsp, :msisdn, :name, :ref, :tier, :sha, "
		"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :ttl), :by)",
	[C_GET] = "SELECT " COLS " FROM customer WHERE id = :id AND (:hub OR dfsp = :dfsp)",
	[C_GET_M] = "SELECT " COLS " FROM customer WHERE dfsp = :dfsp AND msisdn = :msisdn",
	[C_BY_MSISDN] = "SELECT " COLS " FROM customer WHERE msisdn = :msisdn AND status <> 'CLOSED' "
		"ORDER BY dfsp",
	[C_SECRETS] = "SELECT pin_hash, activation_sha256, activation_expires IS NOT NULL AND "
		"activation_expires <= " NOW ", pin_failures, locked_until IS NOT NULL AND locked_until > "
		NOW ", locked_until IS NOT NULL FROM customer WHERE id = :id",
	[C_FAIL] = "UPDATE customer SET pin_failures = :failures, locked_until = CASE WHEN :lock "
		"THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :lock_mod) END, updated = " NOW
		" WHERE id = :id",
	[C_RESET] = "UPDATE customer SET pin_failures = 0, locked_until = NULL, updated = " NOW
		" WHERE id = :id",
	[C_ACTIVATE] = "UPDATE customer SET status = 'ACTIVE', pin_hash = :hash, activation_sha256 = "
		"NULL, activation_expires = NULL, pin_failures = 0, locked_until = NULL, version = "
		"version + 1, updated = " NOW " WHERE id = :id AND status = 'PENDING'",
	[C_SETPIN] = "UPDATE customer SET pin_hash = :hash, pin_failures = 0, locked_until = NULL, "
		"version = version + 1, updated = " NOW " WHERE id = :id",
	[C_REHASH] = "UPDATE customer SET pin_hash = :hash, updated = " NOW " WHERE id = :id",
	[C_STATUS] = "UPDATE customer SET status = :status, version = version + 1, updated = " NOW
		" WHERE id = :id",
	[C_NEWCODE] = "UPDATE customer SET status = 'PENDING', pin_hash = NULL, activation_sha256 = "
		":sha, activation_expires = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :ttl), pin_failures "
		"= 0, locked_until = NULL, version = version + 1, updated = " NOW " WHERE id = :id",
	[C_LIST] = "SELECT " COLS " FROM customer WHERE (:hub OR dfsp = :dfsp) AND (:msisdn IS NULL "
		"OR msisdn = :msisdn) AND (:status IS NULL OR status = :status) AND id > :after "
		"ORDER BY id LIMIT :limit",
};

struct cust {
	struct db *db;     /* borrowed */
	sqlite3_stmt **st; /* owned by db */
	struct cust_opts o;
};

/* ---- names and the status table ---- */

static const char *const status_names[CS__COUNT] = {
	[CS_PENDING] = "PENDING",
	[CS_ACTIVE] = "ACTIVE",
	[CS_SUSPENDED] = "SUSPENDED",
	[CS_CLOSED] = "CLOSED",
};

static const char *const action_names[CA__COUNT] = {
	[CA_UNLOCK] = "unlock",
	[CA_SUSPEND] = "suspend",
	[CA_REACTIVATE] = "reactivate",
	[CA_CLOSE] = "close",
	[CA_NEW_CODE] = "activation-code",
};

#define BIT(x) (1u << (x))

/* One DFSP action: from which statuses, to which (CS__COUNT: unchanged;
 * reactivate picks ACTIVE or PENDING by whether a PIN was chosen), and
 * which roles may take it. */
static const struct cust_trans {
	unsigned from;
	enum cust_status to;
	unsigned roles;
} cust_trans[CA__COUNT] = {
	[CA_UNLOCK] = { BIT(CS_PENDING) | BIT(CS_ACTIVE) | BIT(CS_SUSPENDED), CS__COUNT,
			BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN) },
	[CA_SUSPEND] = { BIT(CS_PENDING) | BIT(CS_ACTIVE), CS_SUSPENDED,
			 BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN) },
	[CA_REACTIVATE] = { BIT(CS_SUSPENDED), CS_ACTIVE, BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN) },
	[CA_CLOSE] = { BIT(CS_PENDING) | BIT(CS_ACTIVE) | BIT(CS_SUSPENDED), CS_CLOSED,
		       BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN) },
	[CA_NEW_CODE] = { BIT(CS_PENDING) | BIT(CS_ACTIVE), CS_PENDING,
			  BIT(ROLE_MAKER) | BIT(ROLE_DFSP_ADMIN) },
};

static int lookup(const char *const *names, int n, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

const char *cust_status_name(enum cust_status s)
{
	return (unsigned)s < CS__COUNT ? status_names[s] : "?";
}

int cust_status_parse(const char *s)
{
	return lookup(status_names, CS__COUNT, s);
}

const char *cust_action_name(enum cust_action a)
{
	return (unsigned)a < CA__COUNT ? action_names[a] : "?";
}

int cust_action_parse(const char *s)
{
	return lookup(action_names, CA__COUNT, s);
}

/* ---- handle ---- */

int cust_new(struct cust **out, struct db *db, const struct cust_opts *o, char *err, size_t errlen)
{
	struct cust *c;
	int rc;

	*out = NULL;
	if ((rc = pin_cost_check(&o->cost, err, errlen)) < 0)
		return rc;
	if (o->max_tries < 1 || o->lock_s < 1 || o->activation_ttl_s < 60) {
		snprintf(err, errlen,
			 "customer pin_max_tries and pin_lock_s must be at least 1, activation_ttl_s at least 60");
		return -EINVAL;
	}
	if (pin_init() < 0) {
		snprintf(err, errlen, "libsodium failed to start");
		return -EIO;
	}
	if (!(c = calloc(1, sizeof *c)))
		return -ENOMEM;
	c->db = db;
	c->o = *o;
	if ((rc = db_prepare_table(db, cust_sql, C__COUNT, &c->st, err, errlen)) < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void cust_free(struct cust *c)
{
	free(c);
}

/* ---- helpers ---- */

static void col_copy(char *dst, size_t cap, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static void row_info(sqlite3_stmt *s, struct cust_info *ci)
{
	char st[16];
	memset(ci, 0, sizeof *ci);
	ci->id = sqlite3_column_int64(s, 0);
	col_copy(ci->dfsp, sizeof ci->dfsp, s, 1);
	col_copy(ci->msisdn, sizeof ci->msisdn, s, 2);
	col_copy(ci->name, sizeof ci->name, s, 3);
	col_copy(ci->account_ref, sizeof ci->account_ref, s, 4);
	col_copy(ci->tier, sizeof ci->tier, s, 5);
	col_copy(st, sizeof st, s, 6);
	int v = cust_status_parse(st);
	ci->status = v < 0 ? CS_CLOSED : (enum cust_status)v; /* the schema allows no other */
	ci->pin_set = sqlite3_column_int(s, 7);
	ci->failures = sqlite3_column_int(s, 8);
	col_copy(ci->locked_until, sizeof ci->locked_until, s, 9);
	col_copy(ci->activation_expires, sizeof ci->activation_expires, s, 10);
	ci->version = sqlite3_column_int64(s, 11);
	col_copy(ci->created, sizeof ci->created, s, 12);
	col_copy(ci->updated, sizeof ci->updated, s, 13);
}

/* Reads one row of a statement already bound: 0, -ENOENT, or an error. */
static int one_row(sqlite3_stmt *s, struct cust_info *ci)
{
	int rc = db_step(s);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	row_info(s, ci);
	db_reset(s);
	return 0;
}

static int get_by_id(struct cust *c, const char *dfsp, int hub, int64_t id, struct cust_info *ci)
{
	sqlite3_stmt *s = c->st[C_GET];
	int rc;
	if ((rc = db_bind_int64(s, ":id", id)) < 0 || (rc = db_bind_int64(s, ":hub", hub)) < 0 ||
	    (rc = db_bind_text(s, ":dfsp", dfsp)) < 0)
		return rc;
	return one_row(s, ci);
}

static int get_by_phone(struct cust *c, const char *dfsp, const char *msisdn, struct cust_info *ci)
{
	sqlite3_stmt *s = c->st[C_GET_M];
	int rc;
	if (!dfsp || !msisdn)
		return -ENOENT;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 || (rc = db_bind_text(s, ":msisdn", msisdn)) < 0)
		return rc;
	return one_row(s, ci);
}

/* A fresh code of CUST_CODE_DIGITS uniform random digits, and its hex
 * SHA-256 (65 bytes). */
static void new_code(char code[CUST_CODE_SIZE], char sha[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	for (int i = 0; i < CUST_CODE_DIGITS; i++)
		code[i] = (char)('0' + randombytes_uniform(10));
	code[CUST_CODE_DIGITS] = '\0';
	crypto_hash_sha256(h, (const unsigned char *)code, CUST_CODE_DIGITS);
	sodium_bin2hex(sha, 65, h, sizeof h);
	sodium_memzero(h, sizeof h);
}

/* 1 if code (any string) hashes to the hex sha; compared in constant time. */
static int code_matches(const char *code, const char *sha)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];
	if (!code || !sha || strlen(sha) != 64)
		return 0;
	crypto_hash_sha256(h, (const unsigned char *)code, strlen(code));
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	int eq = sodium_memcmp(hex, sha, 64) == 0;
	sodium_memzero(h, sizeof h);
	sodium_memzero(hex, sizeof hex);
	return eq;
}

static void ttl_mod(char *mod, size_t n, int s)
{
	snprintf(mod, n, "+%d seconds", s);
}

json_t *cust_json(const struct cust_info *ci)
{
	char msisdn[CUST_MSISDN_MAX + 1];
	snprintf(msisdn, sizeof msisdn, "+%s", ci->msisdn);
	json_t *pin = json_pack("{s:b,s:i,s:o}", "set", ci->pin_set, "failures", ci->failures,
				"locked_until",
				ci->locked_until[0] ? json_string(ci->locked_until) : json_null());
	if (!pin)
		return NULL;
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:s,s:s}", "id", (json_int_t)ci->id,
			 "dfsp", ci->dfsp, "msisdn", msisdn, "name", ci->name, "account_ref",
			 ci->account_ref, "tier", ci->tier, "status", cust_status_name(ci->status), "pin",
			 pin, "activation_expires",
			 ci->activation_expires[0] ? json_string(ci->activation_expires) : json_null(),
			 "version", (json_int_t)ci->version, "created", ci->created, "updated",
			 ci->updated);
}

/* The audited state: status, tier and PIN state; never a secret. */
static char *state_json(const struct cust_info *ci, const char *reason)
{
	json_t *o = json_pack("{s:s,s:s,s:b,s:i,s:o,s:b}", "status", cust_status_name(ci->status),
			      "tier", ci->tier, "pin_set", ci->pin_set, "failures", ci->failures,
			      "locked_until",
			      ci->locked_until[0] ? json_string(ci->locked_until) : json_null(),
			      "code_outstanding", ci->activation_expires[0] != '\0');
	if (o && reason && *reason && json_object_set_new(o, "reason", json_string(reason)) < 0) {
		json_decref(o);
		return NULL;
	}
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

static int audit_cust(struct cust *c, const char *actor, const char *role, const char *action,
		      const struct cust_info *before, const struct cust_info *after,
		      const char *reason)
{
	char id[24];
	char *b = before ? state_json(before, NULL) : NULL;
	char *a = after ? state_json(after, reason) : NULL;
	const struct cust_info *any = after ? after : before;
	snprintf(id, sizeof id, "%lld", (long long)any->id);
	int rc = (before && !b) || (after && !a)
			 ? -ENOMEM
			 : audit_append(c->db, actor, role, any->dfsp, action, "customer", id, b, a);
	free(b);
	free(a);
	return rc;
}

/* ---- validation ---- */

static void err_add(struct merchant_errs *errs, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_add(struct merchant_errs *errs, const char *field, const char *fmt, ...)
{
	va_list ap;
	if (errs->n >= MERCHANT_ERRS_MAX) {
		errs->dropped++;
		return;
	}
	struct merchant_field_err *e = &errs->e[errs->n++];
	snprintf(e->field, sizeof e->field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

/* Checks a text field: present, lo..hi bytes, no control characters
 * (ascii: printable ASCII only). */
static void check_text(struct merchant_errs *errs, const char *field, const char *v, size_t hi,
		       int ascii)
{
	if (!v || !*v) {
		err_add(errs, field, "%s: required", field);
		return;
	}
	size_t n = strlen(v);
	if (n > hi) {
		err_add(errs, field, "%s: position %zu: longer than %zu bytes", field, hi + 1, hi);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch < 0x20 || ch == 0x7f || (ascii && ch > 0x7e)) {
			err_add(errs, field, "%s: position %zu: %s", field, i + 1,
				ascii ? "expected printable ASCII" : "control character");
			return;
		}
	}
	if (v[0] == ' ' || v[n - 1] == ' ')
		err_add(errs, field, "%s: position %zu: leading or trailing blank", field,
			v[0] == ' ' ? (size_t)1 : n);
}

static int tier_ok(const struct cust *c, const char *t)
{
	if (!t)
		return 0;
	if (c->o.tiers)
		return kyb_tiers_find(c->o.tiers, KYB_PARTY_CUSTOMER, t) != NULL;
	return t[0] == 'C' && t[1] >= '0' && t[1] <= '9' && !t[2];
}

int cust_validate(const struct cust *c, const struct cust_in *in, struct merchant_errs *errs)
{
	struct kyb_check_bad bad;
	memset(errs, 0, sizeof *errs);
	if (!in->msisdn || !*in->msisdn)
		err_add(errs, "msisdn", "msisdn: required");
	else if (kyb_check_phone("msisdn", in->msisdn, &bad) < 0)
		err_add(errs, "msisdn", "%s", bad.msg);
	check_text(errs, "name", in->name, CUST_NAME_MAX - 1, 0);
	check_text(errs, "account_ref", in->account_ref, CUST_REF_MAX - 1, 1);
	if (!in->tier || !*in->tier)
		err_add(errs, "tier", "tier: required");
	else if (!tier_ok(c, in->tier))
		err_add(errs, "tier", "tier: \"%.*s\" is not a customer tier", KYB_TIER_NAME_MAX,
			in->tier);
	return errs->n ? -EINVAL : 0;
}

/* ---- enrol ---- */

static int enroll_tx(struct cust *c, const struct merchant_actor *actor, const struct cust_in *in,
		     const char *sha, struct cust_info *ci)
{
	char mod[32];
	sqlite3_stmt *s = c->st[C_DFSP];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", actor->dfsp)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	db_reset(s);
	ttl_mod(mod, sizeof mod, c->o.activation_ttl_s);
	s = c->st[C_INSERT];
	if ((rc = db_bind_text(s, ":dfsp", actor->dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", in->msisdn + 1)) < 0 ||
	    (rc = db_bind_text(s, ":name", in->name)) < 0 ||
	    (rc = db_bind_text(s, ":ref", in->account_ref)) < 0 ||
	    (rc = db_bind_text(s, ":tier", in->tier)) < 0 || (rc = db_bind_text(s, ":sha", sha)) < 0 ||
	    (rc = db_bind_text(s, ":ttl", mod)) < 0 || (rc = db_bind_text(s, ":by", actor->user)) < 0 ||
	    (rc = db_run(s)) < 0)
		return rc == -EEXIST || rc == -EINVAL ? -EEXIST : rc;
	if ((rc = get_by_id(c, actor->dfsp, 0, db_last_insert_id(c->db), ci)) < 0)
		return rc;
	return audit_cust(c, actor->user, merchant_role_name(actor->role), "enroll", NULL, ci, NULL);
}

int cust_enroll(struct cust *c, const struct merchant_actor *actor, const struct cust_in *in,
		char code[CUST_CODE_SIZE], struct cust_info *info, struct merchant_errs *errs)
{
	struct cust_info ci;
	char sha[65];
	int rc;

	code[0] = '\0';
	memset(errs, 0, sizeof *errs);
	if (actor->role != ROLE_MAKER && actor->role != ROLE_DFSP_ADMIN)
		return -EACCES;
	if (!actor->dfsp)
		return -ENOENT;
	if ((rc = cust_validate(c, in, errs)) < 0)
		return rc;
	new_code(code, sha);
	if ((rc = db_begin(c->db)) == 0)
		rc = db_end(c->db, enroll_tx(c, actor, in, sha, &ci));
	sodium_memzero(sha, sizeof sha);
	if (rc < 0) {
		sodium_memzero(code, CUST_CODE_SIZE);
		code[0] = '\0';
		if (rc == -EEXIST)
			err_add(errs, "msisdn", "msisdn: already a customer of %s", actor->dfsp);
		return rc;
	}
	LOGI(LC_PAY, "customer enrolled", "dfsp=%s customer=%lld tier=%s by=%s", ci.dfsp,
	     (long long)ci.id, ci.tier, actor->user);
	if (info)
		*info = ci;
	return 0;
}

/* ---- read ---- */

int cust_get(struct cust *c, const struct merchant_actor *actor, int64_t id, struct cust_info *out)
{
	int hub = actor->role == ROLE_HUB_ADMIN;
	if (actor->role == ROLE_PAYMENTS)
		return -EACCES; /* a payments key makes payments, nothing else */
	if (!hub && !actor->dfsp)
		return -ENOENT;
	return get_by_id(c, actor->dfsp, hub, id, out);
}

static int cursor_parse(const char *cur, int64_t *after)
{
	*after = 0;
	if (!cur || !*cur)
		return 0;
	if (cur[0] != 'c' || !cur[1] || strlen(cur) > 19)
		return -EINVAL;
	int64_t v = 0;
	for (const char *p = cur + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	*after = v;
	return 0;
}

int cust_list(struct cust *c, const struct merchant_actor *actor, const struct cust_filter *f,
	      json_t **items, char next[CUST_CURSOR_MAX], struct merchant_errs *errs)
{
	int limit = f->limit ? f->limit : CUST_LIST_DEFAULT;
	int hub = actor->role == ROLE_HUB_ADMIN;
	const char *msisdn = f->msisdn && *f->msisdn ? f->msisdn : NULL;
	sqlite3_stmt *s = c->st[C_LIST];
	int64_t after;
	int rc;

	*items = NULL;
	next[0] = '\0';
	memset(errs, 0, sizeof *errs);
	if (limit < 1 || limit > CUST_LIST_MAX)
		err_add(errs, "limit", "limit: expected 1 to %d", CUST_LIST_MAX);
	if (cursor_parse(f->cursor, &after) < 0)
		err_add(errs, "cursor", "cursor: not a cursor of this list");
	if (f->status && *f->status && cust_status_parse(f->status) < 0)
		err_add(errs, "status", "status: expected PENDING, ACTIVE, SUSPENDED or CLOSED");
	if (msisdn) {
		struct kyb_check_bad bad;
		char plus[CUST_MSISDN_MAX + 1];
		if (msisdn[0] == '+')
			msisdn++;
		snprintf(plus, sizeof plus, "+%s", msisdn);
		if (strlen(msisdn) >= CUST_MSISDN_MAX || kyb_check_phone("msisdn", plus, &bad) < 0)
			err_add(errs, "msisdn", "%s",
				strlen(msisdn) >= CUST_MSISDN_MAX ? "msisdn: too long" : bad.msg);
	}
	if (actor->role == ROLE_PAYMENTS)
		return -EACCES;
	if (errs->n)
		return -EINVAL;
	if (!hub && !actor->dfsp)
		return -ENOENT;
	json_t *arr = json_array();
	if (!arr)
		return -ENOMEM;
	if ((rc = db_bind_int64(s, ":hub", hub)) < 0 || (rc = db_bind_text(s, ":dfsp", actor->dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":msisdn", msisdn)) < 0 ||
	    (rc = db_bind_text(s, ":status", f->status && *f->status ? f->status : NULL)) < 0 ||
	    (rc = db_bind_int64(s, ":after", after)) < 0 ||
	    (rc = db_bind_int64(s, ":limit", limit + 1)) < 0)
		goto out;
	int n = 0;
	struct cust_info ci;
	while ((rc = db_step(s)) == 1) {
		if (n == limit) { /* one more exists: the page has a successor */
			snprintf(next, CUST_CURSOR_MAX, "c%lld", (long long)ci.id);
			db_reset(s);
			rc = 0;
			break;
		}
		row_info(s, &ci);
		json_t *o = cust_json(&ci);
		if (!o || json_array_append_new(arr, o) < 0) {
			db_reset(s);
			rc = -ENOMEM;
			break;
		}
		n++;
	}
out:
	if (rc < 0) {
		json_decref(arr);
		next[0] = '\0';
		return rc;
	}
	*items = arr;
	return 0;
}

int cust_by_msisdn(struct cust *c, const char *msisdn, struct cust_info *out, int cap)
{
	sqlite3_stmt *s = c->st[C_BY_MSISDN];
	int rc, n = 0;
	if (!msisdn)
		return 0;
	if ((rc = db_bind_text(s, ":msisdn", msisdn)) < 0)
		return rc;
	while ((rc = db_step(s)) == 1) {
		if (n == cap) {
			db_reset(s);
			break;
		}
		row_info(s, &out[n++]);
	}
	return rc < 0 ? rc : n;
}

const struct kyb_limits *cust_limits(const struct cust *c, const struct cust_info *ci)
{
	const struct kyb_tier *t =
		c->o.tiers ? kyb_tiers_find(c->o.tiers, KYB_PARTY_CUSTOMER, ci->tier) : NULL;
	return t ? &t->limits : NULL;
}

/* ---- wrong tries ---- */

/* The secrets of a customer's row. */
struct secrets {
	char pin_hash[PIN_HASH_MAX];
	char code_sha[65];
	int code_expired;
	int failures;
	int locked;   /* a lock in force */
	int had_lock; /* a lock, in force or run out */
};

static int secrets_get(struct cust *c, int64_t id, struct secrets *x)
{
	sqlite3_stmt *s = c->st[C_SECRETS];
	int rc;
	memset(x, 0, sizeof *x);
	if ((rc = db_bind_int64(s, ":id", id)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	col_copy(x->pin_hash, sizeof x->pin_hash, s, 0);
	col_copy(x->code_sha, sizeof x->code_sha, s, 1);
	x->code_expired = sqlite3_column_int(s, 2);
	x->failures = sqlite3_column_int(s, 3);
	x->locked = sqlite3_column_int(s, 4);
	x->had_lock = sqlite3_column_int(s, 5);
	db_reset(s);
	if (x->had_lock && !x->locked)
		x->failures = 0; /* the lock has run out: count again from zero */
	return 0;
}

static void secrets_wipe(struct secrets *x)
{
	sodium_memzero(x, sizeof *x);
}

/* Counts one wrong try of customer ci; the max_tries-th locks (audited,
 * the phone as actor). *outcome: -EACCES or -EAGAIN. */
static int count_failure(struct cust *c, const struct cust_info *ci, int failures, int *outcome)
{
	char mod[32];
	sqlite3_stmt *s = c->st[C_FAIL];
	int rc, lock;
	failures++;
	lock = failures >= c->o.max_tries;
	ttl_mod(mod, sizeof mod, c->o.lock_s);
	if ((rc = db_bind_int64(s, ":id", ci->id)) < 0 ||
	    (rc = db_bind_int64(s, ":failures", failures)) < 0 ||
	    (rc = db_bind_int64(s, ":lock", lock)) < 0 || (rc = db_bind_text(s, ":lock_mod", mod)) < 0 ||
	    (rc = db_run(s)) < 0)
		return rc;
	*outcome = lock ? -EAGAIN : -EACCES;
	if (lock) {
		struct cust_info after;
		if ((rc = get_by_id(c, ci->dfsp, 0, ci->id, &after)) < 0 ||
		    (rc = audit_cust(c, ci->msisdn, CUST_AUDIT_ROLE, "pin_locked", ci, &after, NULL)) < 0)
			return rc;
		LOGN(LC_PAY, "customer locked out after wrong tries", "dfsp=%s customer=%lld tries=%d until=%s",
		     ci->dfsp, (long long)ci->id, failures, after.locked_until);
	}
	return 0;
}

static int reset_failures(struct cust *c, int64_t id)
{
	sqlite3_stmt *s = c->st[C_RESET];
	int rc = db_bind_int64(s, ":id", id);
	return rc < 0 ? rc : db_run(s);
}

/* ---- activation ---- */

/* Checks the code inside the open transaction; *outcome gets the verdict
 * (0 match), so that a wrong code still commits its count. */
static int code_tx(struct cust *c, const char *dfsp, const char *msisdn, const char *code,
		   struct cust_info *ci, int *outcome)
{
	struct secrets x;
	int rc = get_by_phone(c, dfsp, msisdn, ci);
	if (rc == -ENOENT || (rc == 0 && ci->status == CS_CLOSED)) {
		*outcome = -ENOENT;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (ci->status != CS_PENDING) {
		*outcome = -EPERM;
		return 0;
	}
	if ((rc = secrets_get(c, ci->id, &x)) < 0)
		return rc;
	if (x.locked)
		*outcome = -EAGAIN;
	else if (!x.code_sha[0] || x.code_expired)
		*outcome = -ETIME;
	else if (code_matches(code, x.code_sha))
		*outcome = (x.failures || x.had_lock) ? reset_failures(c, ci->id) : 0;
	else
		rc = count_failure(c, ci, x.failures, outcome);
	secrets_wipe(&x);
	return rc;
}

int cust_check_code(struct cust *c, const char *dfsp, const char *msisdn, const char *code)
{
	struct cust_info ci;
	int outcome = -EIO;
	int rc = db_begin(c->db);
	if (rc == 0)
		rc = db_end(c->db, code_tx(c, dfsp, msisdn, code, &ci, &outcome));
	return rc < 0 ? rc : outcome;
}

static int activate_tx(struct cust *c, const char *dfsp, const char *msisdn, const char *code,
		       const char *hash, int *outcome)
{
	struct cust_info before, after;
	int rc = code_tx(c, dfsp, msisdn, code, &before, outcome);
	if (rc < 0 || *outcome < 0)
		return rc;
	sqlite3_stmt *s = c->st[C_ACTIVATE];
	if ((rc = db_bind_int64(s, ":id", before.id)) < 0 || (rc = db_bind_text(s, ":hash", hash)) < 0 ||
	    (rc = db_run(s)) < 0)
		return rc;
	if (db_changes(c->db) != 1)
		return -EPERM;
	if ((rc = get_by_id(c, dfsp, 0, before.id, &after)) < 0)
		return rc;
	return audit_cust(c, msisdn, CUST_AUDIT_ROLE, "activate", &before, &after, NULL);
}

int cust_activate(struct cust *c, const char *dfsp, const char *msisdn, const char *code,
		  const char *pin)
{
	char hash[PIN_HASH_MAX];
	int outcome = -EIO;
	/* Hashed before the transaction: the write lock is not held while
	 * Argon2 runs. */
	int rc = pin_hash(&c->o.cost, pin, hash);
	if (rc < 0)
		return rc;
	if ((rc = db_begin(c->db)) == 0) {
		rc = activate_tx(c, dfsp, msisdn, code, hash, &outcome);
		/* A wrong code commits its count; the activation itself only
		 * when everything held. */
		rc = db_end(c->db, rc);
	}
	pin_wipe(hash, sizeof hash);
	if (rc < 0)
		return rc;
	if (outcome == 0)
		LOGI(LC_PAY, "customer activated", "dfsp=%s msisdn=%s", dfsp, msisdn);
	return outcome;
}

/* ---- PIN ---- */

static int verify_tx(struct cust *c, const char *dfsp, const char *msisdn, const char *pin,
		     struct cust_info *ci, int *outcome)
{
	struct secrets x;
	int rc = get_by_phone(c, dfsp, msisdn, ci);
	if (rc == -ENOENT || (rc == 0 && ci->status == CS_CLOSED)) {
		*outcome = -ENOENT;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (ci->status != CS_ACTIVE) {
		*outcome = -EPERM;
		return 0;
	}
	if ((rc = secrets_get(c, ci->id, &x)) < 0)
		return rc;
	if (x.locked) {
		*outcome = -EAGAIN;
		goto out;
	}
	if (!x.pin_hash[0]) {
		*outcome = -EPERM;
		goto out;
	}
	int v = pin_verify(x.pin_hash, pin);
	if (v == 0) {
		*outcome = 0;
		if ((x.failures || x.had_lock) && (rc = reset_failures(c, ci->id)) < 0)
			goto out;
		if (pin_needs_rehash(&c->o.cost, x.pin_hash) == 1) {
			char fresh[PIN_HASH_MAX];
			sqlite3_stmt *s = c->st[C_REHASH];
			if ((rc = pin_hash(&c->o.cost, pin, fresh)) == 0 &&
			    (rc = db_bind_int64(s, ":id", ci->id)) == 0 &&
			    (rc = db_bind_text(s, ":hash", fresh)) == 0)
				rc = db_run(s);
			pin_wipe(fresh, sizeof fresh);
		}
	} else if (v == -EACCES) {
		rc = count_failure(c, ci, x.failures, outcome);
	} else {
		LOGE(LC_PAY, "stored customer PIN hash unreadable", "dfsp=%s customer=%lld", dfsp,
		     (long long)ci->id);
		rc = -EIO;
	}
out:
	secrets_wipe(&x);
	return rc;
}

int cust_verify_pin(struct cust *c, const char *dfsp, const char *msisdn, const char *pin,
		    struct cust_info *info)
{
	struct cust_info ci;
	int outcome = -EIO;
	int rc = db_begin(c->db);
	if (rc == 0)
		rc = db_end(c->db, verify_tx(c, dfsp, msisdn, pin, &ci, &outcome));
	if (rc == 0 && info)
		rc = get_by_phone(c, dfsp, msisdn, info);
	return rc < 0 ? rc : outcome;
}

int cust_change_pin(struct cust *c, const char *dfsp, const char *msisdn, const char *old_pin,
		    const char *new_pin)
{
	char hash[PIN_HASH_MAX];
	struct cust_info before, after;
	int outcome = -EIO;
	int rc = pin_hash(&c->o.cost, new_pin, hash);
	if (rc < 0)
		return rc;
	if ((rc = db_begin(c->db)) == 0) {
		rc = verify_tx(c, dfsp, msisdn, old_pin, &before, &outcome);
		if (rc == 0 && outcome == 0) {
			sqlite3_stmt *s = c->st[C_SETPIN];
			if ((rc = db_bind_int64(s, ":id", before.id)) == 0 &&
			    (rc = db_bind_text(s, ":hash", hash)) == 0 && (rc = db_run(s)) == 0 &&
			    (rc = get_by_id(c, dfsp, 0, before.id, &after)) == 0)
				rc = audit_cust(c, msisdn, CUST_AUDIT_ROLE, "pin_change", &before, &after, NULL);
		}
		rc = db_end(c->db, rc);
	}
	pin_wipe(hash, sizeof hash);
	return rc < 0 ? rc : outcome;
}

/* ---- DFSP actions ---- */

static int act_tx(struct cust *c, const struct merchant_actor *actor, int64_t id, enum cust_action a,
		  const char *reason, const char *sha, struct cust_info *after, char *err, size_t errlen)
{
	const struct cust_trans *t = &cust_trans[a];
	struct cust_info before;
	sqlite3_stmt *s;
	char mod[32];
	int rc = get_by_id(c, actor->dfsp, 0, id, &before);
	if (rc < 0)
		return rc;
	if (!(t->from & BIT(before.status))) {
		snprintf(err, errlen, "%s is not allowed for a %s customer", cust_action_name(a),
			 cust_status_name(before.status));
		return -EPERM;
	}
	switch (a) {
	case CA_UNLOCK:
		rc = reset_failures(c, id);
		break;
	case CA_NEW_CODE:
		ttl_mod(mod, sizeof mod, c->o.activation_ttl_s);
		s = c->st[C_NEWCODE];
		if ((rc = db_bind_int64(s, ":id", id)) == 0 && (rc = db_bind_text(s, ":sha", sha)) == 0 &&
		    (rc = db_bind_text(s, ":ttl", mod)) == 0)
			rc = db_run(s);
		break;
	default: {
		enum cust_status to = t->to;
		if (a == CA_REACTIVATE && !before.pin_set)
			to = CS_PENDING; /* never activated: back to waiting for the code */
		s = c->st[C_STATUS];
		if ((rc = db_bind_int64(s, ":id", id)) == 0 &&
		    (rc = db_bind_text(s, ":status", cust_status_name(to))) == 0)
			rc = db_run(s);
		break;
	}
	}
	if (rc < 0 || (rc = get_by_id(c, actor->dfsp, 0, id, after)) < 0)
		return rc;
	return audit_cust(c, actor->user, merchant_role_name(actor->role),
			  a == CA_UNLOCK ? "pin_unlock" : a == CA_NEW_CODE ? "activation_code"
								   : cust_action_name(a),
			  &before, after, reason);
}

int cust_act(struct cust *c, const struct merchant_actor *actor, int64_t id, enum cust_action a,
	     const char *reason, char code[CUST_CODE_SIZE], struct cust_info *after, char *err,
	     size_t errlen)
{
	struct cust_info ci;
	char sha[65] = "", tmp[CUST_CODE_SIZE];
	int rc;

	if ((unsigned)a >= CA__COUNT)
		return -EINVAL;
	if (!((unsigned)actor->role < ROLE__COUNT && (cust_trans[a].roles & BIT(actor->role)))) {
		snprintf(err, errlen, "role %s may not %s a customer", merchant_role_name(actor->role),
			 cust_action_name(a));
		return -EACCES;
	}
	if (!actor->dfsp)
		return -ENOENT;
	if (a == CA_NEW_CODE)
		new_code(code ? code : tmp, sha);
	if ((rc = db_begin(c->db)) == 0)
		rc = db_end(c->db, act_tx(c, actor, id, a, reason, sha, &ci, err, errlen));
	sodium_memzero(sha, sizeof sha);
	sodium_memzero(tmp, sizeof tmp);
	if (rc < 0) {
		if (code)
			sodium_memzero(code, CUST_CODE_SIZE);
		return rc;
	}
	LOGI(LC_PAY, "customer action", "dfsp=%s customer=%lld action=%s status=%s by=%s", ci.dfsp,
	     (long long)id, cust_action_name(a), cust_status_name(ci.status), actor->user);
	if (after)
		*after = ci;
	return 0;
}
