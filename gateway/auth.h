/* auth.h -- DFSPs (the tenants), their API keys, and Bearer
 * authentication. Domain code: takes a struct db *, no sockets.
 *
 * Key format (docs/api.md). A key is shown once, when it is made:
 *
 *   tg_0123456789abcdef.<43 characters of base64url, no padding>
 *   `----- key id -----' `---- the secret: 32 random bytes ----'
 *
 * The key id ("tg_" and 16 lower-case hex digits) is stored in clear: it
 * finds the row and may be logged. The secret comes from OpenSSL's
 * RAND_bytes and is stored only as the hex SHA-256 of its 32 bytes
 * (api_key.secret_sha256), compared in constant time (CRYPTO_memcmp).
 * Neither the secret nor the whole key is ever logged or written to the
 * audit log.
 *
 * Roles are merchant/merchant_fsm.h's enum merchant_role. A hub-admin key
 * belongs to no DFSP (api_key.dfsp is NULL, as the schema's CHECK
 * requires); every other role belongs to exactly one DFSP.
 *
 * Every change (DFSP created, key created or revoked) appends an audit row
 * (gateway/audit.h) in the same transaction. Who made the change is a
 * struct auth_actor (a key's holder), or NULL for the system (the CLI and
 * the first-start bootstrap: actor "system", role "system").
 *
 * Error codes of the operations below:
 *   -EINVAL  a value out of its rules (FSP id, name, user name, a role
 *            that does not fit the DFSP: hub-admin with a DFSP, any other
 *            role without one)
 *   -EEXIST  the DFSP (or key id) exists already
 *   -ENOENT  no such DFSP or key, or one of another DFSP than the actor's
 *            (answer 404 so that existence does not leak)
 *   -EACCES  the actor's role may not do this; for auth_bearer(), any key
 *            that does not authenticate
 *   -EALREADY the key is revoked already
 *   -EBUSY, -ENOSPC, -ENOMEM, -EIO as gateway/db.h
 * An operation that fails leaves the database unchanged (it rolls back its
 * own transaction). None may be called inside an open transaction
 * (-EALREADY from db_begin()).
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stddef.h>

#include "merchant/merchant_fsm.h"

struct db;

#define AUTH_FSP_ID_MAX 32     /* FSPIOP FspId: 1..32 of [A-Za-z0-9._-] */
#define AUTH_DFSP_NAME_MAX 128 /* characters (bytes), as the schema allows */
#define AUTH_USER_MAX 64       /* user name, 1..64 bytes, no control characters */
#define AUTH_KEY_ID_LEN 19     /* "tg_" + 16 hex digits */
#define AUTH_SECRET_B64_LEN 43 /* base64url of 32 bytes, unpadded */
/* A whole key and its NUL: key id, '.', secret. */
#define AUTH_KEY_SIZE (AUTH_KEY_ID_LEN + 1 + AUTH_SECRET_B64_LEN + 1)
#define AUTH_TS_SIZE 32

/* The reserved demo DFSP the first start creates. */
#define AUTH_DEMO_FSP_ID "demo-dfsp"
#define AUTH_DEMO_FSP_NAME "Demo DFSP"

/* Who a key belongs to (what auth_bearer() found). */
struct auth_actor {
	char key_id[AUTH_KEY_ID_LEN + 1];
	char user[AUTH_USER_MAX + 1];
	char dfsp[AUTH_FSP_ID_MAX + 1]; /* "" for hub-admin */
	enum merchant_role role;
};

struct auth_dfsp {
	char fsp_id[AUTH_FSP_ID_MAX + 1];
	char name[AUTH_DFSP_NAME_MAX + 1];
	char status[16]; /* ACTIVE, SUSPENDED, CLOSED */
	char created[AUTH_TS_SIZE];
};

/* A key as listed: never its secret nor its hash. */
struct auth_key_info {
	char key_id[AUTH_KEY_ID_LEN + 1];
	char dfsp[AUTH_FSP_ID_MAX + 1]; /* "" for hub-admin */
	enum merchant_role role;
	char user[AUTH_USER_MAX + 1];
	char created[AUTH_TS_SIZE];
	char revoked[AUTH_TS_SIZE]; /* "" while the key is valid */
};

/* 1 if s is a well-formed FSP id (1..32 of [A-Za-z0-9._-]), else 0. */
int auth_fsp_id_valid(const char *s);

/* ---- DFSPs ---- */

/* Creates DFSP fsp_id named name (1..AUTH_DFSP_NAME_MAX bytes, no control
 * characters), status ACTIVE, with its audit row. by: NULL (system) or a
 * hub-admin (other roles: -EACCES). Strings borrowed.
 * Returns 0, -EINVAL, -EEXIST, -EACCES, or a db.h error. */
int auth_dfsp_create(struct db *db, const char *fsp_id, const char *name,
		     const struct auth_actor *by);

/* Reads DFSP fsp_id into *out. Returns 0, -ENOENT, or a db.h error. */
int auth_dfsp_get(struct db *db, const char *fsp_id, struct auth_dfsp *out);

/* Called once per row; d is valid during the call only. A non-zero
 * return stops the walk and is returned by the list function. */
typedef int (*auth_dfsp_fn)(void *arg, const struct auth_dfsp *d);

/* Calls fn for each DFSP in fsp_id order. Returns 0, fn's non-zero
 * return, or a db.h error. */
int auth_dfsp_list(struct db *db, auth_dfsp_fn fn, void *arg);

/* ---- API keys ---- */

/* Makes a key of role for DFSP dfsp (NULL for a hub-admin key, which
 * belongs to no DFSP), held by user (NULL or "": the key id), with its
 * audit row (the secret is in neither the row nor the log). by: NULL
 * (system), a hub-admin (any key), or a dfsp-admin (keys of its own DFSP
 * only, never hub-admin: -ENOENT for another DFSP, -EACCES for the role);
 * other roles get -EACCES. On success key (AUTH_KEY_SIZE bytes,
 * caller-owned) holds the whole key, shown once: the caller prints it and
 * wipes it (OPENSSL_cleanse); key_id (may be NULL, AUTH_KEY_ID_LEN + 1
 * bytes) gets the key id. Returns 0, -EINVAL, -ENOENT (no such DFSP),
 * -EACCES, -EIO (no randomness), or a db.h error. */
int auth_key_create(struct db *db, const char *dfsp, enum merchant_role role, const char *user,
		    const struct auth_actor *by, char key[AUTH_KEY_SIZE],
		    char key_id[AUTH_KEY_ID_LEN + 1]);

/* Revokes key key_id (it authenticates no more), with its audit row. by:
 * NULL (system), a hub-admin, or a dfsp-admin for its own DFSP's keys
 * (another DFSP's: -ENOENT). Returns 0, -ENOENT, -EALREADY, -EACCES, or
 * a db.h error. */
int auth_key_revoke(struct db *db, const char *key_id, const struct auth_actor *by);

typedef int (*auth_key_fn)(void *arg, const struct auth_key_info *k);

/* Calls fn for each key of DFSP dfsp (NULL: every key, hub-admin ones
 * included), revoked ones too, in creation order. Returns 0, fn's
 * non-zero return, or a db.h error. */
int auth_key_list(struct db *db, const char *dfsp, auth_key_fn fn, void *arg);

/* ---- authentication ---- */

/* Authenticates an HTTP Authorization header value: "Bearer KEY" (the
 * scheme case-insensitive, one or more spaces). On success fills *out and
 * returns 0. Returns -EACCES for a missing (NULL or empty), malformed,
 * unknown or revoked key, or a wrong secret, all alike; a db.h error if
 * the database could not be read. Logs the key id only, never the key. */
int auth_bearer(struct db *db, const char *authorization, struct auth_actor *out);

/* ---- first start ---- */

/* What auth_bootstrap() made: the keys, shown once. */
struct auth_boot {
	int created;                  /* 1 if the keys below were made */
	char hub_key[AUTH_KEY_SIZE];  /* a hub-admin key (user "admin") */
	char demo_key[AUTH_KEY_SIZE]; /* a dfsp-admin key of AUTH_DEMO_FSP_ID */
};

/* If the database holds no API key at all: creates a hub-admin key, the
 * demo DFSP AUTH_DEMO_FSP_ID (unless it exists) and a dfsp-admin key for
 * it, in one transaction, and returns them in *out (created = 1); the
 * caller prints them once and wipes *out (OPENSSL_cleanse). Otherwise
 * creates nothing (created = 0, keys ""). Returns 0 or a db.h error
 * (nothing created). */
int auth_bootstrap(struct db *db, struct auth_boot *out);

#endif /* GW_AUTH_H */
