/* auth.c -- DFSPs, API keys and Bearer authentication (see auth.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gateway/audit.h"
#include "gateway/auth.h"
#include "gateway/db.h"
#include "gateway/log.h"

#define SECRET_BYTES 32
#define KEY_ID_PREFIX "tg_"
#define HEX_SHA256 64

enum {
	A_DFSP_INSERT,
	A_DFSP_GET,
	A_DFSP_LIST,
	A_KEY_INSERT,
	A_KEY_GET,
	A_KEY_REVOKE,
	A_KEY_LIST,
	A_KEY_ANY,
	A__COUNT
};

static const char *const auth_sql[A__COUNT] = {
	[A_DFSP_INSERT] = "INSERT INTO dfsp (fsp_id, name) VALUES (:id, :name)",
	[A_DFSP_GET] = "SELECT fsp_id, name, status, created FROM dfsp WHERE fsp_id = :id",
	[A_DFSP_LIST] = "SELECT fsp_id, name, status, created FROM dfsp ORDER BY fsp_id",
	[A_KEY_INSERT] = "INSERT INTO api_key (key_id, secret_sha256, dfsp, role, user_name) "
			 "VALUES (:id, :hash, :dfsp, :role, :user)",
	[A_KEY_GET] = "SELECT secret_sha256, coalesce(dfsp, ''), role, user_name, revoked "
		      "FROM api_key WHERE key_id = :id",
	[A_KEY_REVOKE] = "UPDATE api_key SET revoked = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
			 "WHERE key_id = :id AND revoked IS NULL",
	[A_KEY_LIST] = "SELECT key_id, coalesce(dfsp, ''), role, user_name, created, "
		       "coalesce(revoked, '') FROM api_key "
		       "WHERE :dfsp IS NULL OR dfsp = :dfsp ORDER BY created, key_id",
	[A_KEY_ANY] = "SELECT EXISTS (SELECT 1 FROM api_key)",
};

static int stmts(struct db *db, sqlite3_stmt ***st)
{
	char err[256];
	int rc = db_prepare_table(db, auth_sql, A__COUNT, st, err, sizeof err);
	if (rc < 0)
		LOGE(LC_DB, "cannot prepare the auth statements", "error=\"%s\"", err);
	return rc;
}

/* Copies column i (text, may be NULL) into dst of size n, cut if longer. */
static void col(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

int auth_fsp_id_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > AUTH_FSP_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* 1..max bytes without control characters. */
static int text_valid(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The audit actor and role for by (NULL: the system). */
static const char *by_user(const struct auth_actor *by)
{
	return by ? by->user : "system";
}

static const char *by_role(const struct auth_actor *by)
{
	return by ? merchant_role_name(by->role) : "system";
}

/* Appends an audit row whose after_json is the object j (consumed). */
static int audit_json(struct db *db, const struct auth_actor *by, const char *dfsp,
		      const char *action, const char *entity, const char *entity_id, json_t *j)
{
	char *after = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!after)
		return -ENOMEM;
	int rc = audit_append(db, by_user(by), by_role(by), dfsp, action, entity, entity_id, NULL,
			      after);
	free(after);
	return rc;
}

/* ---- secrets ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes 32 bytes as 43 base64url characters and a NUL. */
static void b64_encode(const unsigned char in[SECRET_BYTES], char out[AUTH_SECRET_B64_LEN + 1])
{
	size_t o = 0;
	for (size_t i = 0; i < SECRET_BYTES; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t take = SECRET_BYTES - i < 3 ? SECRET_BYTES - i : 3;
		if (take > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (take > 2)
			v |= in[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (take > 1)
			out[o++] = b64url[(v >> 6) & 63];
		if (take > 2)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

/* Decodes exactly 43 base64url characters into 32 bytes. Refuses any
 * other length, any other character, and a non-canonical last character
 * (its unused low bits set), so that each secret has one spelling.
 * Returns 0 or -1. */
static int b64_decode(const char *in, size_t len, unsigned char out[SECRET_BYTES])
{
	if (len != AUTH_SECRET_B64_LEN)
		return -1;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o == SECRET_BYTES && acc == 0 ? 0 : -1;
}

/* Hex SHA-256 of the secret's bytes. Returns 0 or -EIO. */
static int secret_hash(const unsigned char s[SECRET_BYTES], char hex[HEX_SHA256 + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (EVP_Digest(s, SECRET_BYTES, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -EIO;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

/* ---- DFSPs ---- */

/* Inserts a DFSP and its audit row inside the caller's transaction. */
static int dfsp_insert(struct db *db, sqlite3_stmt **st, const char *fsp_id, const char *name,
		       const struct auth_actor *by)
{
	int rc;
	if ((rc = db_bind_text(st[A_DFSP_INSERT], ":id", fsp_id)) < 0 ||
	    (rc = db_bind_text(st[A_DFSP_INSERT], ":name", name)) < 0 ||
	    (rc = db_run(st[A_DFSP_INSERT])) < 0)
		return rc;
	return audit_json(db, by, fsp_id, "create", "dfsp", fsp_id,
			  json_pack("{s:s,s:s,s:s}", "fsp_id", fsp_id, "name", name, "status",
				    "ACTIVE"));
}

int auth_dfsp_create(struct db *db, const char *fsp_id, const char *name,
		     const struct auth_actor *by)
{
	sqlite3_stmt **st;
	int rc;

	if (!auth_fsp_id_valid(fsp_id) || !text_valid(name, AUTH_DFSP_NAME_MAX))
		return -EINVAL;
	if (by && by->role != ROLE_HUB_ADMIN)
		return -EACCES;
	if ((rc = stmts(db, &st)) < 0 || (rc = db_begin(db)) < 0)
		return rc;
	if ((rc = dfsp_insert(db, st, fsp_id, name, by)) < 0 || (rc = db_commit(db)) < 0) {
		db_rollback(db);
		return rc;
	}
	LOGN(LC_AUDIT, "dfsp created", "dfsp=%s", fsp_id);
	return 0;
}

static void read_dfsp(sqlite3_stmt *s, struct auth_dfsp *d)
{
	col(s, 0, d->fsp_id, sizeof d->fsp_id);
	col(s, 1, d->name, sizeof d->name);
	col(s, 2, d->status, sizeof d->status);
	col(s, 3, d->created, sizeof d->created);
}

int auth_dfsp_get(struct db *db, const char *fsp_id, struct auth_dfsp *out)
{
	sqlite3_stmt **st;
	int rc;

	if (!auth_fsp_id_valid(fsp_id))
		return -ENOENT;
	if ((rc = stmts(db, &st)) < 0 || (rc = db_bind_text(st[A_DFSP_GET], ":id", fsp_id)) < 0)
		return rc;
	rc = db_step(st[A_DFSP_GET]);
	if (rc == 1) {
		read_dfsp(st[A_DFSP_GET], out);
		db_reset(st[A_DFSP_GET]);
		return 0;
	}
	return rc < 0 ? rc : -ENOENT;
}

int auth_dfsp_list(struct db *db, auth_dfsp_fn fn, void *arg)
{
	sqlite3_stmt **st;
	struct auth_dfsp d;
	int rc;

	if ((rc = stmts(db, &st)) < 0)
		return rc;
	while ((rc = db_step(st[A_DFSP_LIST])) == 1) {
		read_dfsp(st[A_DFSP_LIST], &d);
		if ((rc = fn(arg, &d)) != 0) {
			db_reset(st[A_DFSP_LIST]);
			return rc;
		}
	}
	return rc;
}

/* ---- API keys ---- */

/* Makes a key and inserts it with its audit row inside the caller's
 * transaction. dfsp NULL for hub-admin. */
static int key_insert(struct db *db, sqlite3_stmt **st, const char *dfsp, enum merchant_role role,
		      const char *user, const struct auth_actor *by, char key[AUTH_KEY_SIZE],
		      char key_id[AUTH_KEY_ID_LEN + 1])
{
	unsigned char rnd[8 + SECRET_BYTES];
	char id[AUTH_KEY_ID_LEN + 1], hash[HEX_SHA256 + 1], b64[AUTH_SECRET_B64_LEN + 1];
	int rc;

	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		LOGE(LC_MAIN, "no randomness for an API key", NULL);
		return -EIO;
	}
	memcpy(id, KEY_ID_PREFIX, sizeof KEY_ID_PREFIX - 1);
	for (int i = 0; i < 8; i++)
		snprintf(id + sizeof KEY_ID_PREFIX - 1 + 2 * i, 3, "%02x", rnd[i]);
	rc = secret_hash(rnd + 8, hash);
	if (rc == 0)
		b64_encode(rnd + 8, b64);
	OPENSSL_cleanse(rnd, sizeof rnd);
	if (rc < 0)
		return rc;
	if (!user || !*user)
		user = id;
	if ((rc = db_bind_text(st[A_KEY_INSERT], ":id", id)) < 0 ||
	    (rc = db_bind_text(st[A_KEY_INSERT], ":hash", hash)) < 0 ||
	    (rc = db_bind_text(st[A_KEY_INSERT], ":dfsp", dfsp)) < 0 ||
	    (rc = db_bind_text(st[A_KEY_INSERT], ":role", merchant_role_name(role))) < 0 ||
	    (rc = db_bind_text(st[A_KEY_INSERT], ":user", user)) < 0 ||
	    (rc = db_run(st[A_KEY_INSERT])) < 0)
		goto out;
	json_t *j = json_pack("{s:s,s:s?,s:s,s:s}", "key_id", id, "dfsp", dfsp, "role",
			      merchant_role_name(role), "user", user);
	if ((rc = audit_json(db, by, dfsp, "create", "api_key", id, j)) < 0)
		goto out;
	snprintf(key, AUTH_KEY_SIZE, "%s.%s", id, b64);
	if (key_id)
		memcpy(key_id, id, sizeof id);
out:
	OPENSSL_cleanse(b64, sizeof b64);
	return rc;
}

int auth_key_create(struct db *db, const char *dfsp, enum merchant_role role, const char *user,
		    const struct auth_actor *by, char key[AUTH_KEY_SIZE],
		    char key_id[AUTH_KEY_ID_LEN + 1])
{
	sqlite3_stmt **st;
	int rc;

	if ((unsigned)role >= ROLE__COUNT || (role == ROLE_HUB_ADMIN) != (dfsp == NULL) ||
	    (dfsp && !auth_fsp_id_valid(dfsp)) || (user && *user && !text_valid(user, AUTH_USER_MAX)))
		return -EINVAL;
	if (by && by->role != ROLE_HUB_ADMIN) {
		if (by->role != ROLE_DFSP_ADMIN)
			return -EACCES;
		if (!dfsp || strcmp(dfsp, by->dfsp) != 0)
			return dfsp ? -ENOENT : -EACCES;
	}
	if ((rc = stmts(db, &st)) < 0 || (rc = db_begin(db)) < 0)
		return rc;
	char id[AUTH_KEY_ID_LEN + 1];
	if ((rc = key_insert(db, st, dfsp, role, user, by, key, id)) < 0 ||
	    (rc = db_commit(db)) < 0) {
		db_rollback(db);
		OPENSSL_cleanse(key, AUTH_KEY_SIZE);
		return rc;
	}
	if (key_id)
		memcpy(key_id, id, sizeof id);
	LOGN(LC_AUDIT, "api key created", "key_id=%s dfsp=%s role=%s", id, dfsp ? dfsp : "-",
	     merchant_role_name(role));
	return 0;
}

/* Reads key key_id's row: hash, dfsp ("" for hub-admin), role, user,
 * revoked flag. Returns 0, -ENOENT or a db.h error. */
static int key_get(sqlite3_stmt **st, const char *key_id, char hash[HEX_SHA256 + 1],
		   struct auth_actor *a, int *revoked)
{
	sqlite3_stmt *s = st[A_KEY_GET];
	int rc;
	if ((rc = db_bind_text(s, ":id", key_id)) < 0)
		return rc;
	rc = db_step(s);
	if (rc != 1)
		return rc < 0 ? rc : -ENOENT;
	col(s, 0, hash, HEX_SHA256 + 1);
	col(s, 1, a->dfsp, sizeof a->dfsp);
	a->role = (enum merchant_role)merchant_role_parse((const char *)sqlite3_column_text(s, 2));
	col(s, 3, a->user, sizeof a->user);
	*revoked = sqlite3_column_type(s, 4) != SQLITE_NULL;
	snprintf(a->key_id, sizeof a->key_id, "%s", key_id);
	db_reset(s);
	return 0;
}

int auth_key_revoke(struct db *db, const char *key_id, const struct auth_actor *by)
{
	sqlite3_stmt **st;
	struct auth_actor k;
	char hash[HEX_SHA256 + 1];
	int rc, revoked;

	if (!key_id || strlen(key_id) != AUTH_KEY_ID_LEN)
		return -ENOENT;
	if (by && by->role != ROLE_HUB_ADMIN && by->role != ROLE_DFSP_ADMIN)
		return -EACCES;
	if ((rc = stmts(db, &st)) < 0 || (rc = db_begin(db)) < 0)
		return rc;
	if ((rc = key_get(st, key_id, hash, &k, &revoked)) < 0)
		goto fail;
	if (by && by->role == ROLE_DFSP_ADMIN && strcmp(by->dfsp, k.dfsp) != 0) {
		rc = -ENOENT;
		goto fail;
	}
	if (revoked) {
		rc = -EALREADY;
		goto fail;
	}
	if ((rc = db_bind_text(st[A_KEY_REVOKE], ":id", key_id)) < 0 ||
	    (rc = db_run(st[A_KEY_REVOKE])) < 0)
		goto fail;
	json_t *j = json_pack("{s:s,s:b}", "key_id", key_id, "revoked", 1);
	if ((rc = audit_json(db, by, k.dfsp[0] ? k.dfsp : NULL, "revoke", "api_key", key_id, j)) <
		    0 ||
	    (rc = db_commit(db)) < 0)
		goto fail;
	LOGN(LC_AUDIT, "api key revoked", "key_id=%s", key_id);
	return 0;
fail:
	db_rollback(db);
	return rc;
}

int auth_key_list(struct db *db, const char *dfsp, auth_key_fn fn, void *arg)
{
	sqlite3_stmt **st;
	struct auth_key_info k;
	int rc;

	if ((rc = stmts(db, &st)) < 0 || (rc = db_bind_text(st[A_KEY_LIST], ":dfsp", dfsp)) < 0)
		return rc;
	sqlite3_stmt *s = st[A_KEY_LIST];
	while ((rc = db_step(s)) == 1) {
		col(s, 0, k.key_id, sizeof k.key_id);
		col(s, 1, k.dfsp, sizeof k.dfsp);
		k.role = (enum merchant_role)merchant_role_parse((const char *)sqlite3_column_text(s, 2));
		col(s, 3, k.user, sizeof k.user);
		col(s, 4, k.created, sizeof k.created);
		col(s, 5, k.revoked, sizeof k.revoked);
		if ((rc = fn(arg, &k)) != 0) {
			db_reset(s);
			return rc;
		}
	}
	return rc;
}

/* ---- authentication ---- */

int auth_bearer(struct db *db, const char *h, struct auth_actor *out)
{
	/* A hash no key has, compared against when the key id is unknown, so
	 * that an unknown id costs the same as a wrong secret. */
	static const char nohash[HEX_SHA256 + 1] =
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	unsigned char secret[SECRET_BYTES];
	char id[AUTH_KEY_ID_LEN + 1], want[HEX_SHA256 + 1], got[HEX_SHA256 + 1];
	struct auth_actor a;
	sqlite3_stmt **st;
	int rc, revoked = 0;

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return -EACCES;
	h += 7;
	while (*h == ' ')
		h++;
	const char *dot = strchr(h, '.');
	if (!dot || (size_t)(dot - h) != AUTH_KEY_ID_LEN || strncmp(h, KEY_ID_PREFIX, 3) != 0)
		return -EACCES;
	memcpy(id, h, AUTH_KEY_ID_LEN);
	id[AUTH_KEY_ID_LEN] = '\0';
	for (int i = 3; i < AUTH_KEY_ID_LEN; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return -EACCES;
	const char *sec = dot + 1;
	size_t seclen = strlen(sec);
	while (seclen && sec[seclen - 1] == ' ') /* trailing spaces of the header */
		seclen--;
	if (b64_decode(sec, seclen, secret) < 0)
		return -EACCES;
	rc = secret_hash(secret, got);
	OPENSSL_cleanse(secret, sizeof secret);
	if (rc < 0)
		return rc;
	if ((rc = stmts(db, &st)) < 0)
		return rc;
	rc = key_get(st, id, want, &a, &revoked);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT)
		memcpy(want, nohash, sizeof want);
	int match = CRYPTO_memcmp(want, got, HEX_SHA256) == 0;
	if (rc < 0 || !match || revoked || (unsigned)a.role >= ROLE__COUNT) {
		LOGI(LC_HTTP, "authentication refused", "key_id=%s reason=%s", id,
		     rc < 0 ? "unknown" : revoked ? "revoked" : "secret");
		return -EACCES;
	}
	*out = a;
	return 0;
}

/* ---- first start ---- */

int auth_bootstrap(struct db *db, struct auth_boot *out)
{
	sqlite3_stmt **st;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = stmts(db, &st)) < 0 || (rc = db_begin(db)) < 0)
		return rc;
	/* Checked inside the write transaction: two first starts cannot both
	 * see no key. */
	rc = db_step(st[A_KEY_ANY]);
	if (rc < 0)
		goto fail;
	int any = sqlite3_column_int(st[A_KEY_ANY], 0);
	db_reset(st[A_KEY_ANY]);
	if (any) {
		db_rollback(db);
		return 0;
	}
	if ((rc = key_insert(db, st, NULL, ROLE_HUB_ADMIN, "admin", NULL, out->hub_key, NULL)) < 0)
		goto fail;
	rc = db_bind_text(st[A_DFSP_GET], ":id", AUTH_DEMO_FSP_ID);
	if (rc == 0)
		rc = db_step(st[A_DFSP_GET]);
	if (rc == 1)
		db_reset(st[A_DFSP_GET]);
	else if (rc == 0)
		rc = dfsp_insert(db, st, AUTH_DEMO_FSP_ID, AUTH_DEMO_FSP_NAME, NULL);
	if (rc < 0)
		goto fail;
	if ((rc = key_insert(db, st, AUTH_DEMO_FSP_ID, ROLE_DFSP_ADMIN, "demo-admin", NULL,
			     out->demo_key, NULL)) < 0 ||
	    (rc = db_commit(db)) < 0)
		goto fail;
	out->created = 1;
	LOGN(LC_AUDIT, "first start: hub-admin and demo keys created", "dfsp=%s", AUTH_DEMO_FSP_ID);
	return 0;
fail:
	db_rollback(db);
	OPENSSL_cleanse(out, sizeof *out);
	memset(out, 0, sizeof *out);
	return rc;
}
