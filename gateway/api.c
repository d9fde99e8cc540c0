/* api.c -- the admin HTTP API: authentication, idempotency, and the /v1
 * handlers over the merchant registry and the DFSP and key functions.
 * Contracts in api.h; the endpoints in docs/api.md. */
#include "gateway/api.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway/als.h"
#include "gateway/api_customer.h"
#include "gateway/api_rtp.h"
#include "gateway/api_pin.h"
#include "gateway/auth.h"
#include "gateway/db.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/switch.h"
#include "gateway/pay.h"
#include "gateway/ussd_smpp.h"
#include "merchant/merchant.h"
#include "qr/qr_emv.h"
#include "qr/qr_render.h"

#define IDEM_KEY_MAX 255

/* ---- the API's own SQL ---- */

enum { A_IDEM_GET, A_IDEM_PUT, A_COUNT_STATUS, A__COUNT };

static const char *const api_sql[A__COUNT] = {
	[A_IDEM_GET] = "SELECT request_sha256, status, content_type, body FROM idempotency "
		"WHERE key_id = :key_id AND idem_key = :idem_key",
	[A_IDEM_PUT] = "INSERT INTO idempotency (key_id, idem_key, dfsp, request_sha256, status, "
		"content_type, body) VALUES (:key_id, :idem_key, :dfsp, :sha, :status, :ctype, :body)",
	[A_COUNT_STATUS] = "SELECT status, count(*) FROM merchant GROUP BY status ORDER BY status",
};

static sqlite3_stmt **api_stmts(struct gw *gw)
{
	sqlite3_stmt **st = NULL;
	char err[256];
	/* The same table each time: db.c prepares it once. */
	if (db_prepare_table(gw->db, api_sql, A__COUNT, &st, err, sizeof err) < 0) {
		LOGE(LC_HTTP, "cannot prepare the API statements", "error=\"%s\"", err);
		return NULL;
	}
	return st;
}

/* ---- answers ---- */

/* Answers a registry or auth error code. msg (may be NULL) is the detail. */
static void reply_rc(struct http_req *r, int rc, const char *msg)
{
	switch (rc) {
	case -ENOENT:
		http_problem(r, 404, "not_found", NULL, "%s", msg && *msg ? msg : "no such resource");
		break;
	case -EACCES:
		if (msg && strncmp(msg, "maker-checker", 13) == 0)
			http_problem(r, 403, "maker_checker", NULL, "%s", msg);
		else
			http_problem(r, 403, "forbidden", NULL, "%s",
				     msg && *msg ? msg : "this key's role may not do this");
		break;
	case -EPERM:
		http_problem(r, 409, "invalid_transition", NULL, "%s",
			     msg && *msg ? msg : "not allowed in the merchant's status");
		break;
	case -EINVAL:
		http_problem(r, 422, "validation_failed", NULL, "%s", msg && *msg ? msg : "invalid input");
		break;
	case -EEXIST:
		http_problem(r, 409, "exists", NULL, "%s", msg && *msg ? msg : "it exists already");
		break;
	case -EALREADY:
		http_problem(r, 409, "already_done", NULL, "%s", msg && *msg ? msg : "done already");
		break;
	case -EFBIG:
		http_problem(r, 413, "payload_too_large", NULL, "%s", msg && *msg ? msg : "too large");
		break;
	case -EBUSY:
		http_add_header(r, "Retry-After", "1");
		http_problem(r, 503, "busy", NULL, "the database is busy; retry");
		break;
	case -ENOSPC:
		http_problem(r, 507, "no_space", NULL, "out of ids or disk space");
		break;
	default:
		LOGE(LC_HTTP, "request failed", "path=%s error=\"%s\"", http_path(r), strerror(-rc));
		http_problem(r, 500, "internal", NULL, "internal error");
		break;
	}
}

static json_t *errs_json(const struct merchant_errs *e)
{
	json_t *a = json_array();
	for (int i = 0; a && i < e->n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "field", e->e[i].field, "message",
						   e->e[i].message));
	return a;
}

/* 422 "kyb_incomplete": an approval refused by the tier's KYB
 * requirements, the gaps as {field: item, message: reason}. */
static void reply_kyb_incomplete(struct http_req *r, const char *msg, const struct merchant_errs *gaps)
{
	http_problem(r, 422, "kyb_incomplete", errs_json(gaps), "%s",
		     msg && *msg ? msg : "the merchant does not meet its tier's KYB requirements");
}

/* 422 with one {field, message}. */
static void reply_invalid(struct http_req *r, const char *field, const char *msg)
{
	json_t *a = json_pack("[{s:s,s:s}]", "field", field, "message", msg);
	http_problem(r, 422, "validation_failed", a, "%s: %s", field, msg);
}

/* The body as a JSON object, held to [http] max_body_bytes (api.h). NULL
 * after answering. */
static json_t *json_in(struct http_req *r, struct gw *gw)
{
	size_t len;
	http_body(r, &len);
	if (len > (size_t)gw->cfg.http_max_body_bytes) {
		http_problem(r, 413, "payload_too_large", NULL,
			     "the body is %zu bytes, over the limit of %lld", len,
			     gw->cfg.http_max_body_bytes);
		return NULL;
	}
	return http_json_body(r);
}

/* Appends {prefix+key, "unknown field"} to errs for each member of o
 * (when an object) whose name is not in known (NULL-terminated). */
static void unknown_fields(json_t *o, const char *prefix, const char *const *known, json_t *errs)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		const char *const *n = known;
		while (*n && strcmp(*n, k) != 0)
			n++;
		if (*n)
			continue;
		char f[160];
		snprintf(f, sizeof f, "%s%s", prefix, k);
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", f, "message",
						      "unknown field"));
	}
}

/* 400 validation_failed listing errs (from unknown_fields()), if any:
 * -1 after answering, else 0; errs is consumed either way. */
static int reply_unknown(struct http_req *r, json_t *errs)
{
	if (!json_array_size(errs)) {
		json_decref(errs);
		return 0;
	}
	http_problem(r, 400, "validation_failed", errs, "the body has %zu unknown field%s",
		     json_array_size(errs), json_array_size(errs) == 1 ? "" : "s");
	return -1;
}

/* Refuses (400) a body b with members other than known: -1 after
 * answering (b is released then), else 0. */
static int only_known(struct http_req *r, json_t *b, const char *const *known)
{
	json_t *errs = json_array();
	unknown_fields(b, "", known, errs);
	if (reply_unknown(r, errs) < 0) {
		json_decref(b);
		return -1;
	}
	return 0;
}

static struct merchant_actor mactor(const struct auth_actor *a)
{
	struct merchant_actor m = {
		.user = a->user,
		.dfsp = a->dfsp[0] ? a->dfsp : NULL,
		.role = a->role,
	};
	return m;
}

/* ---- authentication and idempotency ---- */

typedef void (*api_fn)(struct http_req *r, struct gw *gw, const struct auth_actor *a);

static void sha256_hex(EVP_MD_CTX *c, char out[65])
{
	unsigned char md[32];
	unsigned mdlen = 0;
	EVP_DigestFinal_ex(c, md, &mdlen);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void hash_part(EVP_MD_CTX *c, const char *s, size_t n)
{
	/* Length-prefixed, so that parts cannot run into each other. */
	char pre[24];
	int k = snprintf(pre, sizeof pre, "%zu:", n);
	EVP_DigestUpdate(c, pre, (size_t)k);
	if (n)
		EVP_DigestUpdate(c, s, n);
}

static int request_hash(struct http_req *r, char out[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -ENOMEM;
	}
	const char *parts[] = { http_method(r), http_path(r), http_header(r, "Content-Type"),
				http_query(r, "type") };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		hash_part(c, parts[i] ? parts[i] : "", parts[i] ? strlen(parts[i]) : 0);
	size_t len;
	const char *body = http_body(r, &len);
	hash_part(c, body, len);
	sha256_hex(c, out);
	EVP_MD_CTX_free(c);
	return 0;
}

/* Replays a kept response: 1 if it answered, 0 if there is none, or a
 * negative errno. */
static int idem_replay(struct http_req *r, struct gw *gw, const struct auth_actor *a,
		       const char *key, const char *sha)
{
	sqlite3_stmt **st = api_stmts(gw);
	if (!st)
		return -EIO;
	sqlite3_stmt *s = st[A_IDEM_GET];
	int rc;
	if ((rc = db_bind_text(s, ":key_id", a->key_id)) < 0 ||
	    (rc = db_bind_text(s, ":idem_key", key)) < 0)
		return rc;
	rc = db_step(s);
	if (rc <= 0)
		return rc;
	if (strcmp((const char *)sqlite3_column_text(s, 0), sha) != 0) {
		db_reset(s);
		http_problem(r, 422, "idempotency_key_reused", NULL,
			     "this Idempotency-Key was used for another request");
		return 1;
	}
	unsigned status = (unsigned)sqlite3_column_int(s, 1);
	const char *ctype = (const char *)sqlite3_column_text(s, 2);
	const char *body = (const char *)sqlite3_column_text(s, 3);
	http_add_header(r, "Idempotent-Replayed", "true");
	if (status == 200 || status == 201) {
		/* The Location and ETag of the first answer, made again from
		 * its body (a merchant has merchant_id and version). */
		json_t *j = json_loads(body, 0, NULL);
		const char *mid = json_string_value(json_object_get(j, "merchant_id"));
		json_t *ver = json_object_get(j, "version");
		char loc[96], etag[32];
		if (status == 201 && mid && strcmp(http_path(r), "/v1/merchants") == 0 &&
		    snprintf(loc, sizeof loc, "/v1/merchants/%s", mid) < (int)sizeof loc)
			http_add_header(r, "Location", loc);
		const char *pid = json_string_value(json_object_get(j, "id"));
		if (status == 201 && pid && strcmp(http_path(r), "/v1/payments") == 0 &&
		    snprintf(loc, sizeof loc, "/v1/payments/%s", pid) < (int)sizeof loc)
			http_add_header(r, "Location", loc);
		if (pid && strcmp(http_path(r), "/v1/payment-requests") == 0 &&
		    snprintf(loc, sizeof loc, "/v1/payment-requests/%s", pid) < (int)sizeof loc)
			http_add_header(r, "Location", loc);
		if (mid && json_is_integer(ver)) {
			snprintf(etag, sizeof etag, "\"v%lld\"", (long long)json_integer_value(ver));
			http_add_header(r, "ETag", etag);
		}
		json_decref(j);
	}
	http_reply(r, status, ctype, body, strlen(body));
	db_reset(s);
	return 1;
}

/* Records the answer under the Idempotency-Key, inside the caller's
 * transaction. Returns 0 (also when there is nothing to keep: a 5xx is
 * not replayed) or -errno. */
static int idem_store(struct http_req *r, struct gw *gw, const struct auth_actor *a,
		      const char *key, const char *sha)
{
	unsigned status;
	const char *ctype, *body;
	size_t len;
	if (http_captured(r, &status, &ctype, &body, &len) < 0 || status >= 500)
		return 0;
	char *copy = NULL;
	if ((status == 201 && strstr(http_path(r), "/api-keys")) ||
	    ((status == 200 || status == 201) && !strncmp(http_path(r), "/v1/customers", 13))) {
		/* Never keep a key's secret or a customer's activation code:
		 * the replay shows null in their place. */
		json_t *j = json_loads(body, 0, NULL);
		if (j && json_object_get(j, "key"))
			json_object_set_new(j, "key", json_null());
		if (j && json_object_get(j, "activation_code"))
			json_object_set_new(j, "activation_code", json_null());
		copy = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!copy)
			return -ENOMEM;
		body = copy;
	}
	sqlite3_stmt **st = api_stmts(gw);
	int rc = -EIO;
	if (st) {
		sqlite3_stmt *s = st[A_IDEM_PUT];
		if ((rc = db_bind_text(s, ":key_id", a->key_id)) == 0 &&
		    (rc = db_bind_text(s, ":idem_key", key)) == 0 &&
		    (rc = db_bind_text(s, ":dfsp", a->dfsp[0] ? a->dfsp : NULL)) == 0 &&
		    (rc = db_bind_text(s, ":sha", sha)) == 0 &&
		    (rc = db_bind_int64(s, ":status", status)) == 0 &&
		    (rc = db_bind_text(s, ":ctype", ctype)) == 0 &&
		    (rc = db_bind_text(s, ":body", body)) == 0)
			rc = db_run(s);
	}
	if (rc < 0)
		LOGW(LC_HTTP, "cannot keep the idempotency record", "key_id=%s error=\"%s\"", a->key_id,
		     strerror(-rc));
	free(copy);
	return rc;
}

/* Every /v1 route goes through here: the key, then for a POST the
 * Idempotency-Key, then the handler. */
static void run(struct http_req *r, void *arg, api_fn fn, int idem)
{
	struct gw *gw = arg;
	struct auth_actor a;
	int rc = auth_bearer(gw->db, http_header(r, "Authorization"), &a);
	if (rc == -EACCES) {
		http_add_header(r, "WWW-Authenticate", "Bearer");
		http_problem(r, 401, "unauthorized", NULL,
			     "a valid API key is needed: Authorization: Bearer KEY");
		return;
	}
	if (rc < 0) {
		reply_rc(r, rc, NULL);
		return;
	}
	/* A payments key (a DFSP's own app) reaches the payments only (and
	 * its requests to pay). */
	if (a.role == ROLE_PAYMENTS && strncmp(http_path(r), "/v1/payments", 12) != 0 &&
	    strncmp(http_path(r), "/v1/payment-requests", 20) != 0) {
		http_problem(r, 403, "forbidden", NULL,
			     "a payments key reaches /v1/payments and /v1/payment-requests only");
		return;
	}
	const char *key = idem ? http_header(r, "Idempotency-Key") : NULL;
	if (!key) {
		fn(r, gw, &a);
		return;
	}
	if (!*key || strlen(key) > IDEM_KEY_MAX) {
		reply_invalid(r, "Idempotency-Key", "must be 1 to 255 characters");
		return;
	}
	char sha[65];
	if ((rc = request_hash(r, sha)) < 0 || (rc = idem_replay(r, gw, &a, key, sha)) < 0) {
		reply_rc(r, rc, NULL);
		return;
	}
	if (rc == 1)
		return;
	/* The change, its answer and the idempotency record commit together
	 * (the domain's own transaction nests into this one), so a crash
	 * leaves either all of them or none, and the answer leaves only
	 * after the commit. */
	if ((rc = db_begin(gw->db)) < 0) {
		reply_rc(r, rc, NULL);
		return;
	}
	http_capture(r);
	fn(r, gw, &a);
	if ((rc = idem_store(r, gw, &a, key, sha)) < 0 || (rc = db_commit(gw->db)) < 0) {
		db_rollback(gw->db);
		http_reply_cancel(r);
		reply_rc(r, rc, NULL);
	}
}

/* ---- merchants ---- */

/* A string member of o: NULL if absent or null; an error in errs (under
 * field prefix + key) if of another type. */
static const char *jstr(json_t *o, const char *prefix, const char *key, json_t *errs)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	char f[112];
	snprintf(f, sizeof f, "%s%s", prefix, key);
	json_array_append_new(errs, json_pack("{s:s,s:s}", "field", f, "message", "must be a string"));
	return NULL;
}

static void reply_merchant(struct http_req *r, struct gw *gw, const struct merchant_actor *m,
			   const char *id, unsigned status)
{
	json_t *j;
	int rc = merchant_get_json(gw->reg, m, id, &j);
	if (rc < 0) {
		reply_rc(r, rc, "no such merchant");
		return;
	}
	if (status == 201) {
		char loc[96];
		snprintf(loc, sizeof loc, "/v1/merchants/%s", id);
		http_add_header(r, "Location", loc);
	}
	char etag[32];
	snprintf(etag, sizeof etag, "\"v%lld\"", (long long)json_integer_value(json_object_get(j, "version")));
	http_add_header(r, "ETag", etag);
	http_reply_json(r, status, j);
}

/* 412 precondition_failed: the merchant is not at the version the
 * client's If-Match names; the detail and the ETag give the current one. */
static void reply_stale(struct http_req *r, long long cur)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"v%lld\"", cur);
	http_add_header(r, "ETag", etag);
	http_problem(r, 412, "precondition_failed", NULL,
		     "If-Match does not match: the merchant is at version %lld (ETag %s)", cur, etag);
}

/* The merchant's version (tenancy as merchant_get_json()): > 0, or a
 * negative errno. */
static long long merchant_version(struct gw *gw, const struct merchant_actor *m, const char *id)
{
	json_t *j;
	int rc = merchant_get_json(gw->reg, m, id, &j);
	if (rc < 0)
		return rc;
	long long v = (long long)json_integer_value(json_object_get(j, "version"));
	json_decref(j);
	return v > 0 ? v : -EIO;
}

/* The If-Match precondition of a change of merchant id: 0 with *ver the
 * version to hold the change to (0 without If-Match; the current one for
 * "*" or a list naming it), or -1 after answering (404; 400 malformed;
 * 412 no tag of the current version, weak tags never matching). */
static int if_match(struct http_req *r, struct gw *gw, const struct merchant_actor *m,
		    const char *id, long long *ver)
{
	const char *h = http_header(r, "If-Match");
	*ver = 0;
	if (!h)
		return 0;
	long long cur = merchant_version(gw, m, id);
	if (cur < 0) {
		reply_rc(r, (int)cur, "no such merchant");
		return -1;
	}
	char etag[32];
	size_t bad = 0;
	snprintf(etag, sizeof etag, "\"v%lld\"", cur);
	int ok = http_etag_match(h, etag, &bad);
	if (ok < 0) {
		char msg[96];
		snprintf(msg, sizeof msg, "malformed entity tag list at position %zu", bad);
		json_t *e = json_pack("[{s:s,s:s}]", "field", "If-Match", "message", msg);
		http_problem(r, 400, "validation_failed", e, "If-Match: %s", msg);
		return -1;
	}
	if (!ok) {
		reply_stale(r, cur);
		return -1;
	}
	*ver = cur;
	return 0;
}

/* After -ESTALE from the registry (the merchant moved between the check
 * and the change): 412 with the version now. */
static void reply_moved(struct http_req *r, struct gw *gw, const struct merchant_actor *m,
			const char *id)
{
	long long cur = merchant_version(gw, m, id);
	if (cur < 0)
		reply_rc(r, (int)cur, "no such merchant");
	else
		reply_stale(r, cur);
}

/* The members each body may have; any other is refused (400). */
static const char *const merchant_fields[] = {
	"trading_name", "legal_name", "type", "mcc", "tier", "settlement_account", "contact_name",
	"contact_phone", "contact_email", "tax_id", "registration_no", "permit_no", "lei", "owners",
	"locations", NULL
};
static const char *const owner_fields[] = { "name", "id_type", "id_number", "phone", NULL };
static const char *const location_fields[] = { "name", "city", "address", "lat", "lon", NULL };
static const char *const reason_fields[] = { "reason", NULL };
static const char *const review_fields[] = { "decision", "reason", NULL };

static void merchant_create_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	json_t *b = json_in(r, gw);
	if (!b)
		return;
	json_t *errs = json_array();
	{
		json_t *unk = json_array(), *v;
		size_t i;
		char pre[48];
		unknown_fields(b, "", merchant_fields, unk);
		json_array_foreach(json_object_get(b, "owners"), i, v) {
			snprintf(pre, sizeof pre, "owners[%zu].", i);
			unknown_fields(v, pre, owner_fields, unk);
		}
		json_array_foreach(json_object_get(b, "locations"), i, v) {
			snprintf(pre, sizeof pre, "locations[%zu].", i);
			unknown_fields(v, pre, location_fields, unk);
		}
		if (reply_unknown(r, unk) < 0) {
			json_decref(errs);
			json_decref(b);
			return;
		}
	}
	struct merchant_owner_in own[MERCHANT_OWNERS_MAX];
	struct merchant_location_in loc[MERCHANT_LOCATIONS_MAX];
	struct merchant_in in = {
		.trading_name = jstr(b, "", "trading_name", errs),
		.legal_name = jstr(b, "", "legal_name", errs),
		.type = jstr(b, "", "type", errs),
		.mcc = jstr(b, "", "mcc", errs),
		.tier = jstr(b, "", "tier", errs),
		.settlement_account = jstr(b, "", "settlement_account", errs),
		.contact_name = jstr(b, "", "contact_name", errs),
		.contact_phone = jstr(b, "", "contact_phone", errs),
		.contact_email = jstr(b, "", "contact_email", errs),
		.tax_id = jstr(b, "", "tax_id", errs),
		.registration_no = jstr(b, "", "registration_no", errs),
		.permit_no = jstr(b, "", "permit_no", errs),
		.lei = jstr(b, "", "lei", errs),
		.owners = own,
		.locations = loc,
	};
	json_t *ow = json_object_get(b, "owners"), *lo = json_object_get(b, "locations"), *v;
	size_t i;
	char pre[48];
	if (ow && !json_is_array(ow))
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "owners", "message",
						      "must be an array"));
	else if (json_array_size(ow) > MERCHANT_OWNERS_MAX)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "owners", "message",
						      "too many owners"));
	else
		json_array_foreach(ow, i, v) {
			snprintf(pre, sizeof pre, "owners[%zu].", i);
			own[i] = (struct merchant_owner_in){
				.name = jstr(v, pre, "name", errs),
				.id_type = jstr(v, pre, "id_type", errs),
				.id_number = jstr(v, pre, "id_number", errs),
				.phone = jstr(v, pre, "phone", errs),
			};
			in.n_owners++;
		}
	if (lo && !json_is_array(lo))
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "locations", "message",
						      "must be an array"));
	else if (json_array_size(lo) > MERCHANT_LOCATIONS_MAX)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "locations", "message",
						      "too many locations"));
	else
		json_array_foreach(lo, i, v) {
			snprintf(pre, sizeof pre, "locations[%zu].", i);
			json_t *lat = json_object_get(v, "lat"), *lon = json_object_get(v, "lon");
			loc[i] = (struct merchant_location_in){
				.name = jstr(v, pre, "name", errs),
				.city = jstr(v, pre, "city", errs),
				.address = jstr(v, pre, "address", errs),
				.has_coords = json_is_number(lat) && json_is_number(lon),
				.lat = json_number_value(lat),
				.lon = json_number_value(lon),
			};
			if ((lat && !json_is_number(lat)) || (lon && !json_is_number(lon)))
				json_array_append_new(errs, json_pack("{s:s+,s:s}", "field", pre,
								      "coords", "message",
								      "lat and lon must be numbers"));
			in.n_locations++;
		}
	if (json_array_size(errs)) {
		http_problem(r, 422, "validation_failed", errs, "the merchant has invalid fields");
		json_decref(b);
		return;
	}
	json_decref(errs);
	struct merchant_actor m = mactor(a);
	struct merchant_errs e;
	char id[MERCHANT_ID_MAX];
	int rc = merchant_create(gw->reg, &m, &in, id, &e);
	json_decref(b);
	if (rc == -EINVAL)
		http_problem(r, 422, "validation_failed", errs_json(&e),
			     "the merchant has invalid fields");
	else if (rc == -ENOENT)
		reply_rc(r, rc, "no such DFSP");
	else if (rc < 0)
		reply_rc(r, rc, rc == -EACCES ? "this key's role may not create merchants" : NULL);
	else
		reply_merchant(r, gw, &m, id, 201);
}

static void merchant_list_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct merchant_filter f = {
		.status = http_query(r, "status"),
		.tier = http_query(r, "tier"),
		.text = http_query(r, "q"),
		.cursor = http_query(r, "cursor"),
	};
	const char *lim = http_query(r, "limit");
	if (f.status && merchant_status_parse(f.status) < 0) {
		reply_invalid(r, "status", "unknown status");
		return;
	}
	if (lim && *lim) {
		char *end;
		long n = strtol(lim, &end, 10);
		if (*end || n < 1 || n > MERCHANT_LIST_MAX) {
			reply_invalid(r, "limit", "must be 1 to 200");
			return;
		}
		f.limit = (int)n;
	}
	struct merchant_actor m = mactor(a);
	json_t *items;
	char next[MERCHANT_CURSOR_MAX];
	int rc = merchant_list(gw->reg, &m, &f, &items, next);
	if (rc == -EINVAL) {
		reply_invalid(r, "cursor", "bad cursor or filter");
		return;
	}
	if (rc < 0) {
		reply_rc(r, rc, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next_cursor",
					   next[0] ? json_string(next) : json_null()));
}

static void merchant_get_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct merchant_actor m = mactor(a);
	reply_merchant(r, gw, &m, http_param(r, "id"), 200);
}

/* The merchant's optional fields (JSON null clears them in a PATCH)
 * and its required ones (null is refused). */
static const struct {
	const char *name;
	unsigned bit;
} clearable[] = {
	{ "legal_name", MERCHANT_CLEAR_LEGAL_NAME },
	{ "settlement_account", MERCHANT_CLEAR_SETTLEMENT_ACCOUNT },
	{ "contact_name", MERCHANT_CLEAR_CONTACT_NAME },
	{ "contact_phone", MERCHANT_CLEAR_CONTACT_PHONE },
	{ "contact_email", MERCHANT_CLEAR_CONTACT_EMAIL },
	{ "tax_id", MERCHANT_CLEAR_TAX_ID },
	{ "registration_no", MERCHANT_CLEAR_REGISTRATION_NO },
	{ "permit_no", MERCHANT_CLEAR_PERMIT_NO },
	{ "lei", MERCHANT_CLEAR_LEI },
};
static const char *const merchant_required[] = { "trading_name", "type", "mcc", NULL };

/* Appends {field, "required: cannot be cleared"} to errs for each member
 * of b named in required whose value is JSON null. */
static void null_required(json_t *b, const char *const *required, json_t *errs)
{
	for (const char *const *f = required; *f; f++)
		if (json_is_null(json_object_get(b, *f)))
			json_array_append_new(errs, json_pack("{s:s,s:s}", "field", *f, "message",
							      "required: cannot be cleared (null)"));
}

/* 400 validation_failed for the nulls of required fields in errs: -1
 * after answering (b released), else 0; errs consumed. */
static int reply_null_required(struct http_req *r, json_t *b, json_t *errs)
{
	if (!json_array_size(errs)) {
		json_decref(errs);
		return 0;
	}
	http_problem(r, 400, "validation_failed", errs, "a required field cannot be null");
	json_decref(b);
	return -1;
}

static void merchant_patch_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct merchant_actor m = mactor(a);
	const char *id = http_param(r, "id");
	long long ver;
	if (if_match(r, gw, &m, id, &ver) < 0)
		return;
	json_t *b = json_in(r, gw);
	if (!b)
		return;
	json_t *errs = json_array();
	/* The merchant's fields; owners and locations have their own routes. */
	static const char *const patch_fields[] = {
		"trading_name", "legal_name", "type", "mcc", "tier", "settlement_account",
		"contact_name", "contact_phone", "contact_email", "tax_id", "registration_no",
		"permit_no", "lei", NULL
	};
	if (only_known(r, b, patch_fields) < 0) {
		json_decref(errs);
		return;
	}
	null_required(b, merchant_required, errs);
	if (reply_null_required(r, b, errs) < 0)
		return;
	errs = json_array();
	struct merchant_patch p = {
		.trading_name = jstr(b, "", "trading_name", errs),
		.legal_name = jstr(b, "", "legal_name", errs),
		.type = jstr(b, "", "type", errs),
		.mcc = jstr(b, "", "mcc", errs),
		.settlement_account = jstr(b, "", "settlement_account", errs),
		.contact_name = jstr(b, "", "contact_name", errs),
		.contact_phone = jstr(b, "", "contact_phone", errs),
		.contact_email = jstr(b, "", "contact_email", errs),
		.tax_id = jstr(b, "", "tax_id", errs),
		.registration_no = jstr(b, "", "registration_no", errs),
		.permit_no = jstr(b, "", "permit_no", errs),
		.lei = jstr(b, "", "lei", errs),
		.if_version = ver,
	};
	for (size_t i = 0; i < sizeof clearable / sizeof clearable[0]; i++)
		if (json_is_null(json_object_get(b, clearable[i].name)))
			p.clear |= clearable[i].bit;
	if (json_object_get(b, "tier"))
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "tier", "message",
						      "changes through a tier request"));
	if (json_array_size(errs)) {
		http_problem(r, 422, "validation_failed", errs, "the patch has invalid fields");
		json_decref(b);
		return;
	}
	json_decref(errs);
	struct merchant_errs e;
	int rc = merchant_patch(gw->reg, &m, id, &p, &e);
	json_decref(b);
	if (rc == -EINVAL)
		http_problem(r, 422, "validation_failed", errs_json(&e), "the patch has invalid fields");
	else if (rc == -ESTALE)
		reply_moved(r, gw, &m, id);
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such merchant"
				: rc == -EPERM ? "the merchant is not editable in its status" : NULL);
	else
		reply_merchant(r, gw, &m, id, 200);
}

/* Optional JSON body with an optional "reason". 0, or -1 after answering.
 * *b gets the body (json_decref() it; NULL when empty). */
static int reason_in(struct http_req *r, struct gw *gw, json_t **b, const char **reason,
		     const char *const *known)
{
	size_t len;
	http_body(r, &len);
	*b = NULL;
	*reason = NULL;
	if (!len)
		return 0;
	if (!(*b = json_in(r, gw)))
		return -1;
	if (only_known(r, *b, known) < 0) {
		*b = NULL;
		return -1;
	}
	json_t *v = json_object_get(*b, "reason");
	if (v && !json_is_null(v) && !json_is_string(v)) {
		reply_invalid(r, "reason", "must be a string");
		json_decref(*b);
		return -1;
	}
	*reason = json_string_value(v);
	return 0;
}

static void merchant_act_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	int act = merchant_action_parse(http_param(r, "action"));
	if (act < 0) {
		http_problem(r, 404, "not_found", NULL, "no such action");
		return;
	}
	struct merchant_actor m = mactor(a);
	const char *id = http_param(r, "id");
	long long ver;
	if (if_match(r, gw, &m, id, &ver) < 0)
		return;
	json_t *b;
	const char *reason;
	if (reason_in(r, gw, &b, &reason, reason_fields) < 0)
		return;
	char err[256] = "";
	struct merchant_errs gaps;
	int rc = merchant_act_if(gw->reg, &m, id, (enum merchant_action)act, reason, ver, err,
				 sizeof err, &gaps);
	json_decref(b);
	if (rc == -ESTALE)
		reply_moved(r, gw, &m, id);
	else if (rc == -ENODATA)
		reply_kyb_incomplete(r, err, &gaps);
	else if (rc == -EINVAL)
		reply_invalid(r, "reason", err);
	else if (rc < 0)
		reply_rc(r, rc, err);
	else
		reply_merchant(r, gw, &m, id, 200);
}

/* ---- tills and QR codes ---- */

static void till_add_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	json_t *b = NULL;
	const char *label = NULL;
	size_t len;
	http_body(r, &len);
	if (len) {
		static const char *const known[] = { "label", NULL };
		if (!(b = json_in(r, gw)) || only_known(r, b, known) < 0)
			return;
		json_t *v = json_object_get(b, "label");
		if (v && !json_is_null(v) && !json_is_string(v)) {
			json_decref(b);
			reply_invalid(r, "label", "must be a string");
			return;
		}
		label = json_string_value(v);
	}
	char *end;
	const char *ls = http_param(r, "loc");
	long long loc = strtoll(ls, &end, 10);
	if (*end || loc <= 0) {
		json_decref(b);
		http_problem(r, 404, "not_found", NULL, "no such location");
		return;
	}
	struct merchant_actor m = mactor(a);
	char till[MERCHANT_ID_MAX];
	int rc = merchant_till_add(gw->reg, &m, http_param(r, "id"), loc, label, till);
	if (rc == -EINVAL)
		reply_invalid(r, "label", "1 to 64 characters");
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such merchant or location" : NULL);
	else
		http_reply_json(r, 201, json_pack("{s:s,s:s,s:I,s:s?,s:s}", "till_number", till,
						  "merchant_id", http_param(r, "id"), "location_id",
						  (json_int_t)loc, "label", label, "status", "ACTIVE"));
	json_decref(b); /* label points into it */
}

/* POST /v1/merchants/{id}/tills/{till}/{suspend|reactivate|close} */
static void till_act_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *act = http_param(r, "action");
	if (strcmp(act, "suspend") != 0 && strcmp(act, "reactivate") != 0 &&
	    strcmp(act, "close") != 0) {
		http_problem(r, 404, "not_found", NULL, "no such till action");
		return;
	}
	json_t *b;
	const char *reason;
	if (reason_in(r, gw, &b, &reason, reason_fields) < 0)
		return;
	struct merchant_actor m = mactor(a);
	char err[256] = "";
	json_t *out = NULL;
	int rc = merchant_till_act(gw->reg, &m, http_param(r, "id"), http_param(r, "till"), act, reason,
				   err, sizeof err, &out);
	json_decref(b);
	if (rc == -EINVAL)
		reply_invalid(r, "reason", err);
	else if (rc < 0)
		reply_rc(r, rc, err);
	else
		http_reply_json(r, 200, out);
}

/* ---- owners ---- */

/* The owner's fields of body b; type errors in errs. */
static struct merchant_owner_in owner_in(json_t *b, json_t *errs)
{
	struct merchant_owner_in o = {
		.name = jstr(b, "", "name", errs),
		.id_type = jstr(b, "", "id_type", errs),
		.id_number = jstr(b, "", "id_number", errs),
		.phone = jstr(b, "", "phone", errs),
	};
	return o;
}

/* The {owner} parameter: > 0, or 0 after answering 404. */
static long long owner_param(struct http_req *r)
{
	char *end;
	long long id = strtoll(http_param(r, "owner"), &end, 10);
	if (*end || id <= 0) {
		http_problem(r, 404, "not_found", NULL, "no such merchant or owner");
		return 0;
	}
	return id;
}

static void owner_reply(struct http_req *r, int rc, const struct merchant_errs *e, json_t *out,
			unsigned ok, const char *eperm)
{
	if (rc == -EINVAL)
		http_problem(r, 422, "validation_failed", errs_json(e), "the owner has invalid fields");
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such merchant or owner"
				: rc == -EPERM ? eperm
				: rc == -EACCES ? "this key's role may not change owners" : NULL);
	else
		http_reply_json(r, ok, out);
}

static void owner_add_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, owner_fields) < 0)
		return;
	json_t *errs = json_array();
	struct merchant_owner_in o = owner_in(b, errs);
	if (json_array_size(errs)) {
		http_problem(r, 422, "validation_failed", errs, "the owner has invalid fields");
		json_decref(b);
		return;
	}
	json_decref(errs);
	struct merchant_actor m = mactor(a);
	struct merchant_errs e;
	json_t *out = NULL;
	int rc = merchant_owner_add(gw->reg, &m, http_param(r, "id"), &o, &e, &out);
	json_decref(b);
	owner_reply(r, rc, &e, out, 201,
		    "the merchant is not editable in its status, or has the most owners allowed");
}

static void owner_patch_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	long long id = owner_param(r);
	if (!id)
		return;
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, owner_fields) < 0)
		return;
	json_t *errs = json_array();
	static const char *const required[] = { "name", "id_type", "id_number", NULL };
	null_required(b, required, errs);
	if (reply_null_required(r, b, errs) < 0)
		return;
	errs = json_array();
	struct merchant_owner_in o = owner_in(b, errs);
	unsigned clear = json_is_null(json_object_get(b, "phone")) ? MERCHANT_OWNER_CLEAR_PHONE : 0;
	if (json_array_size(errs)) {
		http_problem(r, 422, "validation_failed", errs, "the owner has invalid fields");
		json_decref(b);
		return;
	}
	json_decref(errs);
	struct merchant_actor m = mactor(a);
	struct merchant_errs e;
	json_t *out = NULL;
	int rc = merchant_owner_patch_clear(gw->reg, &m, http_param(r, "id"), id, &o, clear, &e, &out);
	json_decref(b);
	owner_reply(r, rc, &e, out, 200, "the merchant is not editable in its status");
}

static void owner_delete_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	long long id = owner_param(r);
	if (!id)
		return;
	struct merchant_actor m = mactor(a);
	int rc = merchant_owner_delete(gw->reg, &m, http_param(r, "id"), id);
	owner_reply(r, rc, NULL, rc == 0 ? json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1)
					 : NULL,
		    200, "the merchant is not editable in its status, or this is its last owner");
}

/* ---- locations ---- */

/* The location's fields of body b; type errors in errs. */
static struct merchant_location_in location_in(json_t *b, json_t *errs)
{
	json_t *lat = json_object_get(b, "lat"), *lon = json_object_get(b, "lon");
	struct merchant_location_in l = {
		.name = jstr(b, "", "name", errs),
		.city = jstr(b, "", "city", errs),
		.address = jstr(b, "", "address", errs),
		.has_coords = json_is_number(lat) && json_is_number(lon),
		.lat = json_number_value(lat),
		.lon = json_number_value(lon),
	};
	if ((lat && !json_is_null(lat) && !json_is_number(lat)) ||
	    (lon && !json_is_null(lon) && !json_is_number(lon)) ||
	    (json_is_number(lat) != json_is_number(lon)) || (json_is_null(lat) != json_is_null(lon)))
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "coords", "message",
						      "lat and lon must be numbers, both or neither"));
	return l;
}

static void location_h(struct http_req *r, struct gw *gw, const struct auth_actor *a, int add)
{
	long long loc = 0;
	if (!add) {
		char *end;
		loc = strtoll(http_param(r, "loc"), &end, 10);
		if (*end || loc <= 0) {
			http_problem(r, 404, "not_found", NULL, "no such merchant or location");
			return;
		}
	}
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, location_fields) < 0)
		return;
	json_t *errs = json_array();
	if (!add) {
		static const char *const required[] = { "name", "city", NULL };
		null_required(b, required, errs);
		if (reply_null_required(r, b, errs) < 0)
			return;
		errs = json_array();
	}
	struct merchant_location_in l = location_in(b, errs);
	unsigned clear = 0;
	if (!add && json_is_null(json_object_get(b, "address")))
		clear |= MERCHANT_LOCATION_CLEAR_ADDRESS;
	if (!add && json_is_null(json_object_get(b, "lat")) && json_is_null(json_object_get(b, "lon")))
		clear |= MERCHANT_LOCATION_CLEAR_COORDS;
	if (json_array_size(errs)) {
		http_problem(r, 422, "validation_failed", errs, "the location has invalid fields");
		json_decref(b);
		return;
	}
	json_decref(errs);
	struct merchant_actor m = mactor(a);
	struct merchant_errs e;
	json_t *out = NULL;
	const char *id = http_param(r, "id");
	int rc = add ? merchant_location_add(gw->reg, &m, id, &l, &e, &out)
		     : merchant_location_patch_clear(gw->reg, &m, id, loc, &l, clear, &e, &out);
	json_decref(b);
	if (rc == -EINVAL)
		http_problem(r, 422, "validation_failed", errs_json(&e), "the location has invalid fields");
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such merchant or location"
				: rc == -EPERM ? (add ? "the merchant is not editable in its status, or has "
							"the most locations allowed"
						      : "the merchant is not editable in its status")
				: rc == -EACCES ? "this key's role may not change locations" : NULL);
	else
		http_reply_json(r, add ? 201 : 200, out);
}

static void location_add_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	location_h(r, gw, a, 1);
}

static void location_patch_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	location_h(r, gw, a, 0);
}

/* DELETE /v1/merchants/{id}/locations/{loc}: the location and its tills,
 * while the merchant is DRAFT or REVERTED and has another location. */
static void location_delete_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	char *end;
	long long loc = strtoll(http_param(r, "loc"), &end, 10);
	if (*end || loc <= 0) {
		http_problem(r, 404, "not_found", NULL, "no such merchant or location");
		return;
	}
	struct merchant_actor m = mactor(a);
	char err[256] = "";
	json_t *out = NULL;
	int rc = merchant_location_delete(gw->reg, &m, http_param(r, "id"), loc, err, sizeof err, &out);
	if (rc < 0)
		reply_rc(r, rc, err);
	else
		http_reply_json(r, 200, out);
}

/* The location object of the merchant with id loc, or the first one. */
static json_t *location_of(json_t *m, long long loc)
{
	json_t *locs = json_object_get(m, "locations"), *l;
	size_t i;
	json_array_foreach(locs, i, l)
		if (json_integer_value(json_object_get(l, "id")) == loc)
			return l;
	return json_array_get(locs, 0);
}

static void till_qr_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *fs = http_query(r, "format");
	const char *amount = http_query(r, "amount");
	struct qr_render_opts o;
	const char *ctype;
	qr_render_defaults(&o);
	if (!fs || strcmp(fs, "png") == 0) {
		o.fmt = QR_RENDER_PNG;
		ctype = "image/png";
	} else if (strcmp(fs, "svg") == 0) {
		o.fmt = QR_RENDER_SVG;
		ctype = "image/svg+xml";
	} else if (strcmp(fs, "txt") == 0) {
		o.fmt = QR_RENDER_UTF8;
		ctype = "text/plain; charset=utf-8";
	} else {
		reply_invalid(r, "format", "one of png, svg, txt");
		return;
	}
	if (amount && !*amount)
		amount = NULL;
	struct merchant_actor m = mactor(a);
	const char *till = http_param(r, "till");
	char mid[MERCHANT_ID_MAX], tstatus[16];
	long long locid = 0;
	int rc = merchant_till_find(gw->reg, &m, till, mid, tstatus, &locid);
	json_t *mj = NULL;
	if (rc == 0)
		rc = merchant_get_json(gw->reg, &m, mid, &mj);
	if (rc < 0) {
		reply_rc(r, rc, "no such till");
		return;
	}
	const char *ms = json_string_value(json_object_get(mj, "status"));
	if (!ms || strcmp(ms, "APPROVED") != 0) {
		http_problem(r, 409, "merchant_not_approved", NULL,
			     "the till's merchant is %s, not APPROVED", ms ? ms : "?");
		json_decref(mj);
		return;
	}
	if (strcmp(tstatus, "ACTIVE") != 0) {
		http_problem(r, 409, "till_not_active", NULL, "the till is %s", tstatus);
		json_decref(mj);
		return;
	}
	const char *ccy = qr_emv_ccy_num(gw->cfg.gateway_currency);
	struct qr_emv_merchant q = {
		.name = json_string_value(json_object_get(mj, "trading_name")),
		.city = json_string_value(json_object_get(location_of(mj, locid), "city")),
		.mcc = json_string_value(json_object_get(mj, "mcc")),
		.currency = ccy ? ccy : gw->cfg.gateway_currency,
		.country = gw->cfg.gateway_country,
		.amount = amount,
		.party_type = "ALIAS",
		.party_id = till,
		.fsp_id = json_string_value(json_object_get(mj, "dfsp")),
	};
	struct qr_emv_profile prof = { .account_tag = (unsigned)gw->cfg.qr_account_tag,
				       .gui = gw->cfg.qr_gui };
	struct qr_emv_enc *enc = malloc(sizeof *enc);
	struct qr_emv_diag d;
	const char *payload = NULL;
	memset(&d, 0, sizeof d);
	int n = enc ? qr_emv_encode_merchant(enc, &q, &prof, &payload, &d) : -1;
	if (n < 0) {
		if (enc && amount)
			reply_invalid(r, "amount", d.err.msg[0] ? d.err.msg : "not a valid amount");
		else
			http_problem(r, 500, "internal", NULL, "cannot encode the QR code");
		free(enc);
		json_decref(mj);
		return;
	}
	char *img = NULL;
	size_t imglen = 0;
	char err[128];
	FILE *f = open_memstream(&img, &imglen);
	rc = f ? qr_render_write(payload, (size_t)n, &o, f, err, sizeof err) : -ENOMEM;
	if (f)
		fclose(f);
	if (rc < 0)
		http_problem(r, 500, "internal", NULL, "cannot draw the QR code");
	else
		http_reply(r, 200, ctype, img, imglen);
	free(img);
	free(enc);
	json_decref(mj);
}

/* ---- documents ---- */

static void doc_add_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *type = http_query(r, "type");
	const char *ctype = http_header(r, "Content-Type");
	if (!type || !*type) {
		reply_invalid(r, "type", "the ?type= of the document is required");
		return;
	}
	if (!ctype) {
		reply_invalid(r, "Content-Type", "the document's media type is required");
		return;
	}
	size_t len;
	const char *data = http_body(r, &len);
	struct merchant_actor m = mactor(a);
	long long doc = 0;
	char sha[65];
	int rc = merchant_doc_add(gw->reg, &m, http_param(r, "id"), type, ctype, data ? data : "",
				  len, &doc, sha);
	if (rc == -EINVAL)
		http_problem(r, 422, "validation_failed", NULL,
			     "bad document type, media type or empty document");
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such merchant" : NULL);
	else {
		char loc[128];
		snprintf(loc, sizeof loc, "/v1/merchants/%s/documents/%lld", http_param(r, "id"), doc);
		http_add_header(r, "Location", loc);
		http_reply_json(r, 201, json_pack("{s:I,s:s,s:s,s:s,s:I,s:s}", "id", (json_int_t)doc,
						  "type", type, "content_type", ctype, "sha256", sha,
						  "size", (json_int_t)len, "state", "PENDING"));
	}
}

static void doc_get_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	char *end;
	long long doc = strtoll(http_param(r, "doc"), &end, 10);
	if (*end || doc <= 0) {
		http_problem(r, 404, "not_found", NULL, "no such document");
		return;
	}
	struct merchant_actor m = mactor(a);
	char path[4096], ctype[128];
	long long size;
	int rc = merchant_doc_path(gw->reg, &m, http_param(r, "id"), doc, path, sizeof path, ctype,
				   &size);
	if (rc < 0) {
		reply_rc(r, rc, "no such document");
		return;
	}
	FILE *f = fopen(path, "rb");
	char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
	size_t got = f && buf ? fread(buf, 1, (size_t)size, f) : 0;
	if (f)
		fclose(f);
	if (!buf || got != (size_t)size) {
		LOGE(LC_HTTP, "cannot read a document", "merchant=%s doc=%lld", http_param(r, "id"),
		     doc);
		http_problem(r, 500, "internal", NULL, "cannot read the document");
	} else {
		http_reply(r, 200, ctype, buf, got);
	}
	free(buf);
}

/* POST /v1/merchants/{id}/documents/{doc}/review and
 * /v1/merchants/{id}/owners/{owner}/review: {"decision": "verify" |
 * "reject", "reason": ...}; 200 with the updated document or owner. */
static void review_h(struct http_req *r, struct gw *gw, const struct auth_actor *a, int owner)
{
	const char *what = owner ? "owner" : "document";
	char *end;
	long long rid = strtoll(http_param(r, owner ? "owner" : "doc"), &end, 10);
	if (*end || rid <= 0) {
		http_problem(r, 404, "not_found", NULL, "no such %s", what);
		return;
	}
	json_t *b;
	const char *reason;
	if (reason_in(r, gw, &b, &reason, review_fields) < 0)
		return;
	json_t *d = json_object_get(b, "decision");
	const char *dec = json_string_value(d);
	int verify = dec && strcmp(dec, "verify") == 0;
	if (!verify && !(dec && strcmp(dec, "reject") == 0)) {
		json_decref(b);
		reply_invalid(r, "decision", "must be \"verify\" or \"reject\"");
		return;
	}
	struct merchant_actor m = mactor(a);
	char err[256] = "";
	json_t *out = NULL;
	const char *id = http_param(r, "id");
	int rc = owner ? merchant_owner_verify(gw->reg, &m, id, rid, verify, reason, err, sizeof err,
					       &out)
		       : merchant_doc_review(gw->reg, &m, id, rid, verify, reason, err, sizeof err,
					     &out);
	json_decref(b);
	if (rc == -EINVAL)
		reply_invalid(r, "reason", err[0] ? err : "a reason is required");
	else if (rc < 0)
		reply_rc(r, rc, err);
	else
		http_reply_json(r, 200, out);
}

static void doc_review_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	review_h(r, gw, a, 0);
}

static void owner_review_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	review_h(r, gw, a, 1);
}

/* ---- tier requests ---- */

static void tier_request_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	static const char *const known[] = { "to_tier", NULL };
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, known) < 0)
		return;
	json_t *v = json_object_get(b, "to_tier");
	if (!json_is_string(v)) {
		json_decref(b);
		reply_invalid(r, "to_tier", "a tier name is required");
		return;
	}
	struct merchant_actor m = mactor(a);
	long long id = 0;
	int rc = merchant_tier_request(gw->reg, &m, http_param(r, "id"), json_string_value(v), &id);
	if (rc == -EINVAL)
		reply_invalid(r, "to_tier", "unknown tier, or the merchant's tier already");
	else if (rc == -EEXIST)
		http_problem(r, 409, "pending_request", NULL, "a tier request is pending already");
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such merchant" : NULL);
	else
		http_reply_json(r, 201, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id,
						  "merchant_id", http_param(r, "id"), "to_tier",
						  json_string_value(v), "status", "PENDING"));
	json_decref(b);
}

static void tier_review_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *dec = http_param(r, "decision");
	int approve = strcmp(dec, "approve") == 0;
	char *end;
	long long req = strtoll(http_param(r, "req"), &end, 10);
	if ((!approve && strcmp(dec, "reject") != 0) || *end || req <= 0) {
		http_problem(r, 404, "not_found", NULL, "no such tier request or decision");
		return;
	}
	json_t *b;
	const char *reason;
	if (reason_in(r, gw, &b, &reason, reason_fields) < 0)
		return;
	struct merchant_actor m = mactor(a);
	char err[256] = "";
	const char *id = http_param(r, "id");
	struct merchant_errs gaps;
	int rc = merchant_tier_review_kyb(gw->reg, &m, id, req, approve, reason, err, sizeof err,
					  &gaps);
	json_decref(b);
	if (rc == -ENODATA)
		reply_kyb_incomplete(r, err, &gaps);
	else if (rc == -EINVAL)
		reply_invalid(r, "reason", err[0] ? err : "a reason is required");
	else if (rc < 0)
		reply_rc(r, rc, err[0] ? err : rc == -ENOENT ? "no such tier request" : NULL);
	else
		reply_merchant(r, gw, &m, id, 200);
}

/* ---- KYB requirements ---- */

/* GET /v1/merchants/{id}/kyb[?tier=T2|next]: what the merchant lacks for
 * the tier (default: its current one). */
static void kyb_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct merchant_actor m = mactor(a);
	const char *id = http_param(r, "id");
	const char *tier = http_query(r, "tier");
	char name[KYB_TIER_NAME_MAX];
	struct kyb_req_gap *g = calloc(MERCHANT_KYB_GAPS_MAX, sizeof *g);
	int rc = g ? merchant_kyb_gaps(gw->reg, &m, id, tier && *tier ? tier : NULL, name, g,
				       MERCHANT_KYB_GAPS_MAX)
		   : -ENOMEM;
	if (rc == -EINVAL) {
		json_t *e = json_pack("[{s:s,s:s}]", "field", "tier", "message",
				      "no merchant tier of that name (or no tier after the current one)");
		http_problem(r, 422, "unknown_tier", e, "unknown tier: %s", tier ? tier : "");
	} else if (rc < 0) {
		reply_rc(r, rc, "no such merchant");
	} else {
		json_t *missing = json_array();
		for (int i = 0; missing && i < rc && i < MERCHANT_KYB_GAPS_MAX; i++)
			json_array_append_new(missing, json_pack("{s:s,s:s}", "item", g[i].item,
								 "reason", g[i].msg));
		http_reply_json(r, 200, json_pack("{s:s,s:s,s:b,s:o*}", "merchant_id", id, "tier", name,
						  "complete", rc == 0, "missing", missing));
	}
	free(g);
}

/* ---- audit ---- */

/* GET /v1/merchants/{id}/audit[?cursor=&limit=]: one page of the
 * merchant's audit rows and its children's (merchant_audit()). The
 * cursor is the id of the last row of the previous page. */
static void audit_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *cur = http_query(r, "cursor"), *lim = http_query(r, "limit");
	long long after = 0, limit = MERCHANT_AUDIT_MAX;
	char *end;
	if (cur && *cur) {
		after = strtoll(cur, &end, 10);
		if (*end || after <= 0 || *cur < '0' || *cur > '9') {
			reply_invalid(r, "cursor", "bad cursor");
			return;
		}
	}
	if (lim && *lim) {
		limit = strtoll(lim, &end, 10);
		if (*end || limit < 1 || limit > MERCHANT_AUDIT_MAX || *lim < '0' || *lim > '9') {
			reply_invalid(r, "limit", "must be 1 to 500");
			return;
		}
	}
	struct merchant_actor m = mactor(a);
	json_t *items;
	long long next;
	int rc = merchant_audit(gw->reg, &m, http_param(r, "id"), after, (int)limit, &items, &next);
	if (rc < 0) {
		reply_rc(r, rc, "no such merchant");
		return;
	}
	char nc[24];
	snprintf(nc, sizeof nc, "%lld", next);
	http_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next_cursor",
					   next ? json_string(nc) : json_null()));
}

/* ---- DFSPs and keys ---- */

static json_t *dfsp_json(const struct auth_dfsp *d)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "fsp_id", d->fsp_id, "name", d->name, "status",
			 d->status, "created", d->created);
}

static void dfsp_create_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	if (a->role != ROLE_HUB_ADMIN) {
		http_problem(r, 403, "forbidden", NULL, "only a hub-admin creates DFSPs");
		return;
	}
	static const char *const known[] = { "fsp_id", "name", NULL };
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, known) < 0)
		return;
	const char *id = json_string_value(json_object_get(b, "fsp_id"));
	const char *name = json_string_value(json_object_get(b, "name"));
	json_t *errs = json_array();
	if (!id || !auth_fsp_id_valid(id))
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "fsp_id", "message",
						      "1 to 32 of A-Z a-z 0-9 . _ -"));
	if (!name || !*name || strlen(name) > AUTH_DFSP_NAME_MAX)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "name", "message",
						      "1 to 128 characters"));
	if (json_array_size(errs)) {
		json_decref(b);
		http_problem(r, 422, "validation_failed", errs, "the DFSP has invalid fields");
		return;
	}
	json_decref(errs);
	int rc = auth_dfsp_create(gw->db, id, name, a);
	struct auth_dfsp d;
	if (rc == 0)
		rc = auth_dfsp_get(gw->db, id, &d);
	if (rc == -EINVAL)
		reply_invalid(r, "name", "no control characters");
	else if (rc < 0)
		reply_rc(r, rc, rc == -EEXIST ? "the DFSP exists already" : NULL);
	else {
		char loc[64];
		snprintf(loc, sizeof loc, "/v1/dfsps/%s", id);
		http_add_header(r, "Location", loc);
		http_reply_json(r, 201, dfsp_json(&d));
	}
	json_decref(b);
}

struct dfsp_walk {
	const struct auth_actor *a;
	json_t *items;
};

static int dfsp_each(void *arg, const struct auth_dfsp *d)
{
	struct dfsp_walk *w = arg;
	if (w->a->role == ROLE_HUB_ADMIN || strcmp(w->a->dfsp, d->fsp_id) == 0)
		json_array_append_new(w->items, dfsp_json(d));
	return 0;
}

static void dfsp_list_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct dfsp_walk w = { a, json_array() };
	int rc = auth_dfsp_list(gw->db, dfsp_each, &w);
	if (rc < 0) {
		json_decref(w.items);
		reply_rc(r, rc, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", w.items));
}

/* The key's DFSP may be managed by a: hub-admin, or a dfsp-admin of it. 0,
 * or -1 after answering (another DFSP: 404). */
static int may_manage(struct http_req *r, const struct auth_actor *a, const char *fsp)
{
	if (a->role == ROLE_HUB_ADMIN)
		return 0;
	if (strcmp(a->dfsp, fsp) != 0) {
		http_problem(r, 404, "not_found", NULL, "no such DFSP");
		return -1;
	}
	if (a->role != ROLE_DFSP_ADMIN) {
		http_problem(r, 403, "forbidden", NULL, "only a dfsp-admin manages its DFSP's keys");
		return -1;
	}
	return 0;
}

static void key_create_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *fsp = http_param(r, "fsp");
	if (may_manage(r, a, fsp) < 0)
		return;
	static const char *const known[] = { "role", "user", NULL };
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, known) < 0)
		return;
	const char *rs = json_string_value(json_object_get(b, "role"));
	json_t *uv = json_object_get(b, "user");
	int role = rs ? merchant_role_parse(rs) : -1;
	if (role < 0 || role == ROLE_HUB_ADMIN) {
		json_decref(b);
		reply_invalid(r, "role", "one of dfsp-admin, maker, checker, auditor, payments");
		return;
	}
	if (uv && !json_is_null(uv) && !json_is_string(uv)) {
		json_decref(b);
		reply_invalid(r, "user", "must be a string");
		return;
	}
	const char *user = json_string_value(uv);
	char key[AUTH_KEY_SIZE], kid[AUTH_KEY_ID_LEN + 1];
	int rc = auth_key_create(gw->db, fsp, (enum merchant_role)role, user, a, key, kid);
	if (rc == -EINVAL)
		reply_invalid(r, "user", "1 to 64 characters, no control characters");
	else if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such DFSP" : NULL);
	else
		http_reply_json(r, 201, json_pack("{s:s,s:s,s:s,s:s,s:s}", "key_id", kid, "key", key,
						  "dfsp", fsp, "role", merchant_role_name(role),
						  "user", user && *user ? user : kid));
	OPENSSL_cleanse(key, sizeof key);
	json_decref(b);
}

static int key_each(void *arg, const struct auth_key_info *k)
{
	json_array_append_new(arg, json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s?}", "key_id", k->key_id,
					     "dfsp", k->dfsp[0] ? k->dfsp : NULL, "role",
					     merchant_role_name(k->role), "user", k->user, "created",
					     k->created, "revoked", k->revoked[0] ? k->revoked : NULL));
	return 0;
}

static void key_list_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *fsp = http_param(r, "fsp");
	if (may_manage(r, a, fsp) < 0)
		return;
	struct auth_dfsp d;
	int rc = auth_dfsp_get(gw->db, fsp, &d);
	json_t *items = json_array();
	if (rc == 0)
		rc = auth_key_list(gw->db, fsp, key_each, items);
	if (rc < 0) {
		json_decref(items);
		reply_rc(r, rc, rc == -ENOENT ? "no such DFSP" : NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static void key_revoke_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *kid = http_param(r, "key");
	if (a->role != ROLE_HUB_ADMIN && a->role != ROLE_DFSP_ADMIN) {
		http_problem(r, 403, "forbidden", NULL, "only an admin revokes keys");
		return;
	}
	int rc = auth_key_revoke(gw->db, kid, a);
	if (rc < 0)
		reply_rc(r, rc, rc == -ENOENT ? "no such key" : rc == -EALREADY ? "revoked already" : NULL);
	else
		http_reply_json(r, 200, json_pack("{s:s,s:b}", "key_id", kid, "revoked", 1));
}

/* ---- payments (docs/payments.md) ---- */

/* Who sees a payment: a hub-admin any, other keys those where their DFSP
 * is the payer's or the payee's. */
static const char *pay_scope(const struct auth_actor *a)
{
	return a->role == ROLE_HUB_ADMIN || !a->dfsp[0] ? NULL : a->dfsp;
}

/* The refusal of pay_accept() as a problem: 404 unknown till or
 * customer, 422 otherwise; the code is the refusal's ("unknown_till",
 * "offline_payment_limit", ...), the errors name the field and, for a
 * limit, the party and the limit in minor units. */
static void reply_refusal(struct http_req *r, int rc, const struct pay_refusal *why)
{
	if (!why->code[0]) {
		reply_rc(r, rc, NULL);
		return;
	}
	json_t *e = json_pack("{s:s,s:s}", "field", why->field, "message", why->msg);
	if (e && why->party[0]) {
		json_object_set_new(e, "party", json_string(why->party));
		json_object_set_new(e, "limit", json_integer(why->limit));
	}
	unsigned status = rc == -ENOENT ? 404 : rc == -EEXIST ? 409 : 422;
	http_problem(r, status, why->code, e ? json_pack("[o]", e) : NULL, "%s", why->msg);
}

/* The till and the amount of a scanned code: 0, or -1 after answering. */
static int pay_from_qr(struct http_req *r, struct gw *gw, const char *payload, char till[20],
		       int64_t *amount, int exponent)
{
	struct qr_emv *q = malloc(sizeof *q);
	struct qr_emv_diag d;
	struct qr_emv_target t;
	char err[160];
	if (!q) {
		http_problem(r, 500, "internal", NULL, "out of memory");
		return -1;
	}
	memset(&d, 0, sizeof d);
	if (qr_emv_parse(q, payload, strlen(payload), 0, &d) < 0) {
		char m[QR_EMV_MSG_MAX + 64];
		snprintf(m, sizeof m, "not a valid EMVCo code: %s (character %d)", d.err.msg, d.err.offset);
		free(q);
		reply_invalid(r, "qr_payload", m);
		return -1;
	}
	struct qr_emv_profile prof = { .account_tag = (unsigned)gw->cfg.qr_account_tag,
				       .gui = gw->cfg.qr_gui };
	int rc = qr_emv_target(q, &prof, &t, err, sizeof err);
	free(q);
	if (rc < 0 || strcmp(t.scheme, "tillgate") != 0) {
		reply_invalid(r, "qr_payload", rc < 0 ? err : "not a Tillgate merchant code");
		return -1;
	}
	if (strlen(t.party_id) >= 20) {
		reply_invalid(r, "qr_payload", "the code's till number is too long");
		return -1;
	}
	const char *num = qr_emv_ccy_num(gw->cfg.gateway_currency);
	if (!num || strcmp(t.currency, num) != 0) {
		char m[96];
		snprintf(m, sizeof m, "the code is in currency %s, payments are in %s (%s)", t.currency,
			 gw->cfg.gateway_currency, num ? num : "?");
		reply_invalid(r, "qr_payload", m);
		return -1;
	}
	memcpy(till, t.party_id, strlen(t.party_id) + 1); /* under 20 bytes: checked above */
	if (t.amount[0]) {
		int64_t v;
		if (pay_amount_parse(t.amount, strlen(t.amount), exponent, &v, err, sizeof err) < 0) {
			char m[sizeof err + 32];
			snprintf(m, sizeof m, "the code's amount (tag 54): %s", err);
			reply_invalid(r, "qr_payload", m);
			return -1;
		}
		if (*amount && *amount != v) {
			char m[128];
			snprintf(m, sizeof m, "%lld does not match the code's amount %s (%lld minor units)",
				 (long long)*amount, t.amount, (long long)v);
			reply_invalid(r, "amount", m);
			return -1;
		}
		*amount = v;
	}
	return 0;
}

/* POST /v1/payments: a key of role payments pays for one of its DFSP's
 * customers. A payment to another DFSP's merchant is taken online
 * (ACCEPTED, and the forwarder starts it at once) when the switch link is
 * up, offline (QUEUED within the offline limits) otherwise, and answered
 * 202 with its state now: the client polls the Location. On-us payments
 * are final at once (201). */
static void payment_create_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	if (a->role != ROLE_PAYMENTS) {
		http_problem(r, 403, "forbidden", NULL, "only a payments key makes payments");
		return;
	}
	const char *idem = http_header(r, "Idempotency-Key");
	if (!idem) {
		http_problem(r, 400, "idempotency_key_required",
			     json_pack("[{s:s,s:s}]", "field", "Idempotency-Key", "message", "required"),
			     "a payment needs an Idempotency-Key header");
		return;
	}
	static const char *const known[] = { "payer_msisdn", "till", "qr_payload", "amount",
					     "currency", NULL };
	json_t *b = json_in(r, gw);
	if (!b || only_known(r, b, known) < 0)
		return;
	json_t *errs = json_array();
	const char *msisdn = jstr(b, "", "payer_msisdn", errs);
	const char *till_in = jstr(b, "", "till", errs);
	const char *qr = jstr(b, "", "qr_payload", errs);
	const char *ccy = jstr(b, "", "currency", errs);
	json_t *av = json_object_get(b, "amount");
	int64_t amount = 0;
	if (av && !json_is_null(av)) {
		if (!json_is_integer(av) || json_integer_value(av) <= 0)
			json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "amount", "message",
							      "must be an integer number of minor units, > 0"));
		else
			amount = json_integer_value(av);
	}
	if (!msisdn)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "payer_msisdn", "message",
						      "required"));
	if (!till_in == !qr)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "till", "message",
						      "give either till or qr_payload"));
	if (json_array_size(errs)) {
		json_decref(b);
		http_problem(r, 422, "validation_failed", errs, "the payment has %zu invalid field%s",
			     json_array_size(errs), json_array_size(errs) == 1 ? "" : "s");
		return;
	}
	json_decref(errs);
	const char *num = qr_emv_ccy_num(gw->cfg.gateway_currency);
	int exponent = num ? qr_emv_ccy_exponent(num) : 2;
	char till[20];
	if (qr) {
		if (pay_from_qr(r, gw, qr, till, &amount, exponent) < 0) {
			json_decref(b);
			return;
		}
	} else {
		snprintf(till, sizeof till, "%s", till_in);
	}
	if (!amount) {
		json_decref(b);
		reply_invalid(r, "amount", qr ? "required: the code has no amount (a static code)"
					       : "required");
		return;
	}
	struct pay_in in = {
		.idem_scope = a->key_id,
		.idem_key = idem,
		.payer_dfsp = a->dfsp,
		.payer_msisdn = msisdn[0] == '+' ? msisdn + 1 : msisdn,
		.till = till,
		.amount = amount,
		.currency = ccy,
		.channel = PAY_CH_API,
		.mode = fwd_mode(gw),
		.actor = a->user,
		.role = "payments",
	};
	struct pay_rec rec;
	struct pay_refusal why;
	int rc = pay_accept(gw->pay, &in, &rec, &why);
	json_decref(b);
	if (rc < 0) {
		reply_refusal(r, rc, &why);
		return;
	}
	if (rc == 0 && rec.state == PAY_ACCEPTED) {
		fwd_kick(gw, rec.id);
		struct pay_rec now;
		if (pay_get(gw->pay, NULL, rec.id, &now) == 0)
			rec = now;
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/v1/payments/%s", rec.id);
	http_add_header(r, "Location", loc);
	http_reply_json(r, pay_state_final(rec.state) ? (rc == 1 ? 200 : 201) : 202,
			pay_rec_json(&rec));
}

static void payment_get_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct pay_rec rec;
	int rc = pay_get(gw->pay, pay_scope(a), http_param(r, "id"), &rec);
	if (rc < 0) {
		reply_rc(r, rc, "no such payment");
		return;
	}
	http_reply_json(r, 200, pay_rec_json(&rec));
}

/* One CSV field, RFC 4180: quoted when it holds a comma, a quote, CR or
 * LF, with quotes doubled. */
static void csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static void payments_csv(struct http_req *r, const struct pay_rec *items, size_t n, const char *next)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		http_problem(r, 500, "internal", NULL, "out of memory");
		return;
	}
	static const char *const head[] = { "id", "created", "updated", "state", "fail_code",
					    "channel", "payer_dfsp", "payer_msisdn", "payee_dfsp",
					    "merchant_id", "till", "trading_name", "amount",
					    "currency", "on_us", "transfer_id" };
	size_t nh = sizeof head / sizeof head[0];
	for (size_t i = 0; i < nh; i++)
		csv_field(f, head[i], i + 1 == nh);
	for (size_t i = 0; i < n; i++) {
		const struct pay_rec *p = &items[i];
		char amt[24];
		snprintf(amt, sizeof amt, "%lld", (long long)p->amount);
		const char *v[] = { p->id, p->created, p->updated, pay_state_name(p->state),
				    p->fail_code, pay_channel_name(p->channel), p->payer_dfsp,
				    p->payer_msisdn, p->payee_dfsp, p->merchant_id, p->till,
				    p->trading_name, amt, p->currency, p->on_us ? "1" : "0",
				    p->transfer_id };
		for (size_t k = 0; k < nh; k++)
			csv_field(f, v[k], k + 1 == nh);
	}
	fclose(f);
	if (next[0])
		http_add_header(r, "X-Next-Cursor", next);
	http_reply(r, 200, "text/csv; charset=utf-8; header=present", buf, len);
	free(buf);
}

static void payment_list_h(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct pay_filter f = {
		.dfsp = pay_scope(a),
		.state = -1,
		.merchant_id = http_query(r, "merchant_id"),
		.msisdn = http_query(r, "msisdn"),
		.from = http_query(r, "from"),
		.to = http_query(r, "to"),
		.cursor = http_query(r, "cursor"),
	};
	const char *st = http_query(r, "state"), *lim = http_query(r, "limit");
	if (st && (f.state = pay_state_parse(st)) < 0) {
		reply_invalid(r, "state", "one of ACCEPTED, QUEUED, SENDING, COMMITTED, FAILED, "
			      "EXPIRED, RECONCILING");
		return;
	}
	if (lim && *lim) {
		char *end;
		long n = strtol(lim, &end, 10);
		if (*end || n < 1 || n > PAY_LIST_MAX) {
			reply_invalid(r, "limit", "must be 1 to 500");
			return;
		}
		f.limit = (int)n;
	}
	if (f.msisdn && f.msisdn[0] == '+')
		f.msisdn++;
	struct pay_rec *items;
	size_t n;
	char next[PAY_CURSOR_MAX], err[160];
	int rc = pay_list(gw->pay, &f, &items, &n, next, err, sizeof err);
	if (rc == -EINVAL) {
		char field[16];
		snprintf(field, sizeof field, "%.*s", (int)strcspn(err, ":"), err);
		reply_invalid(r, field, err);
		return;
	}
	if (rc < 0) {
		reply_rc(r, rc, NULL);
		return;
	}
	const char *accept = http_header(r, "Accept");
	if (accept && strstr(accept, "text/csv")) {
		payments_csv(r, items, n, next);
	} else {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, pay_rec_json(&items[i]));
		http_reply_json(r, 200, json_pack("{s:o,s:o}", "items", arr, "next_cursor",
						   next[0] ? json_string(next) : json_null()));
	}
	free(items);
}

/* ---- metrics (aggregate counts only) ---- */

/* GET /metrics: a hub-admin or auditor key, or none with [http]
 * metrics_public = true. */
static void metrics_h(struct http_req *r, void *arg)
{
	struct gw *gw = arg;
	if (!gw->cfg.http_metrics_public) {
		struct auth_actor a;
		int rc = auth_bearer(gw->db, http_header(r, "Authorization"), &a);
		if (rc == -EACCES) {
			http_add_header(r, "WWW-Authenticate", "Bearer");
			http_problem(r, 401, "unauthorized", NULL,
				     "a hub-admin or auditor key is needed: Authorization: Bearer KEY "
				     "(or [http] metrics_public = true)");
			return;
		}
		if (rc < 0) {
			reply_rc(r, rc, NULL);
			return;
		}
		if (a.role != ROLE_HUB_ADMIN && a.role != ROLE_AUDITOR) {
			http_problem(r, 403, "forbidden", NULL,
				     "only a hub-admin or auditor key reads the metrics");
			return;
		}
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		http_problem(r, 500, "internal", NULL, "out of memory");
		return;
	}
	fprintf(f, "# HELP tillgate_http_responses_total HTTP responses sent, by status class.\n"
		   "# TYPE tillgate_http_responses_total counter\n");
	for (unsigned c = 1; c <= 5; c++)
		fprintf(f, "tillgate_http_responses_total{class=\"%uxx\"} %llu\n", c,
			(unsigned long long)http_replies(gw->http, c));
	fprintf(f, "# HELP tillgate_merchants Merchants, by status.\n"
		   "# TYPE tillgate_merchants gauge\n");
	long long count[MS__COUNT] = { 0 };
	sqlite3_stmt **st = api_stmts(gw);
	int rc = st ? 0 : -EIO;
	if (st) {
		while ((rc = db_step(st[A_COUNT_STATUS])) == 1) {
			int s = merchant_status_parse((const char *)sqlite3_column_text(st[A_COUNT_STATUS], 0));
			if (s >= 0)
				count[s] = sqlite3_column_int64(st[A_COUNT_STATUS], 1);
		}
	}
	for (int s = 0; s < MS__COUNT; s++)
		fprintf(f, "tillgate_merchants{status=\"%s\"} %lld\n",
			merchant_status_name((enum merchant_status)s), count[s]);
	struct pay_queue_stats q;
	if (rc >= 0 && (rc = pay_queue_stats(gw->pay, (int64_t)time(NULL), &q)) == 0) {
		fprintf(f, "# HELP tillgate_payments Payments, by state.\n"
			   "# TYPE tillgate_payments gauge\n");
		for (int s = 0; s < PAY__STATE_COUNT; s++)
			fprintf(f, "tillgate_payments{state=\"%s\"} %lld\n",
				pay_state_name((enum pay_state)s), (long long)q.count[s]);
		fprintf(f, "# HELP tillgate_queue_oldest_age_seconds Age of the oldest QUEUED payment "
			   "(0 if none).\n"
			   "# TYPE tillgate_queue_oldest_age_seconds gauge\n"
			   "tillgate_queue_oldest_age_seconds %lld\n", (long long)q.oldest_queued_age);
	}
	ussd_smpp_metrics(gw->smpp, f);
	switch_metrics(gw->sw, f);
	fwd_metrics(gw->fwd, f);
	outbox_metrics(gw->outbox, f);
	als_metrics(gw->als, f);
	fclose(f);
	if (rc < 0)
		reply_rc(r, rc, NULL);
	else
		http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
	free(buf);
}

/* ---- the route table ---- */

#define AUTH(fn) \
	static void fn##_r(struct http_req *r, void *arg) { run(r, arg, fn, 0); }
#define IDEM(fn) \
	static void fn##_r(struct http_req *r, void *arg) { run(r, arg, fn, 1); }

IDEM(merchant_create_h)
AUTH(merchant_list_h)
AUTH(merchant_get_h)
AUTH(merchant_patch_h)
IDEM(merchant_act_h)
IDEM(till_add_h)
IDEM(till_act_h)
IDEM(owner_add_h)
AUTH(owner_patch_h)
AUTH(owner_delete_h)
IDEM(location_add_h)
AUTH(location_patch_h)
AUTH(location_delete_h)
AUTH(till_qr_h)
IDEM(doc_add_h)
AUTH(doc_get_h)
IDEM(doc_review_h)
IDEM(owner_review_h)
IDEM(tier_request_h)
IDEM(tier_review_h)
AUTH(audit_h)
AUTH(kyb_h)
IDEM(api_pin_unlock)
IDEM(api_cust_create)
AUTH(api_cust_list)
AUTH(api_cust_get)
IDEM(api_cust_act)
IDEM(dfsp_create_h)
AUTH(dfsp_list_h)
IDEM(key_create_h)
AUTH(key_list_h)
AUTH(key_revoke_h)
IDEM(payment_create_h)
AUTH(payment_list_h)
AUTH(payment_get_h)
IDEM(api_rtp_create)
AUTH(api_rtp_list)
AUTH(api_rtp_get)

/* Order matters where patterns overlap: the literal segments first, then
 * /v1/merchants/{id}/{action}. */
static const struct http_route routes[] = {
	{ "GET", "/metrics", metrics_h },
	{ "POST", "/v1/merchants", merchant_create_h_r },
	{ "GET", "/v1/merchants", merchant_list_h_r },
	{ "GET", "/v1/merchants/{id}", merchant_get_h_r },
	{ "PATCH", "/v1/merchants/{id}", merchant_patch_h_r },
	{ "POST", "/v1/merchants/{id}/documents", doc_add_h_r },
	{ "GET", "/v1/merchants/{id}/documents/{doc}", doc_get_h_r },
	{ "POST", "/v1/merchants/{id}/documents/{doc}/review", doc_review_h_r },
	{ "POST", "/v1/merchants/{id}/owners", owner_add_h_r },
	{ "PATCH", "/v1/merchants/{id}/owners/{owner}", owner_patch_h_r },
	{ "DELETE", "/v1/merchants/{id}/owners/{owner}", owner_delete_h_r },
	{ "POST", "/v1/merchants/{id}/owners/{owner}/review", owner_review_h_r },
	{ "POST", "/v1/merchants/{id}/tills/{till}/{action}", till_act_h_r },
	{ "POST", "/v1/merchants/{id}/locations", location_add_h_r },
	{ "PATCH", "/v1/merchants/{id}/locations/{loc}", location_patch_h_r },
	{ "DELETE", "/v1/merchants/{id}/locations/{loc}", location_delete_h_r },
	{ "POST", "/v1/merchants/{id}/locations/{loc}/tills", till_add_h_r },
	{ "POST", "/v1/merchants/{id}/tier-requests", tier_request_h_r },
	{ "POST", "/v1/merchants/{id}/tier-requests/{req}/{decision}", tier_review_h_r },
	{ "GET", "/v1/merchants/{id}/audit", audit_h_r },
	{ "GET", "/v1/merchants/{id}/kyb", kyb_h_r },
	{ "POST", "/v1/merchants/{id}/pin/unlock", api_pin_unlock_r },
	{ "POST", "/v1/merchants/{id}/{action}", merchant_act_h_r },
	{ "GET", "/v1/tills/{till}/qr", till_qr_h_r },
	{ "POST", "/v1/customers", api_cust_create_r },
	{ "GET", "/v1/customers", api_cust_list_r },
	{ "GET", "/v1/customers/{id}", api_cust_get_r },
	{ "POST", "/v1/customers/{id}/{action}", api_cust_act_r },
	{ "POST", "/v1/dfsps", dfsp_create_h_r },
	{ "GET", "/v1/dfsps", dfsp_list_h_r },
	{ "POST", "/v1/dfsps/{fsp}/api-keys", key_create_h_r },
	{ "GET", "/v1/dfsps/{fsp}/api-keys", key_list_h_r },
	{ "DELETE", "/v1/api-keys/{key}", key_revoke_h_r },
	{ "POST", "/v1/payments", payment_create_h_r },
	{ "GET", "/v1/payments", payment_list_h_r },
	{ "GET", "/v1/payments/{id}", payment_get_h_r },
	{ "POST", "/v1/payment-requests", api_rtp_create_r },
	{ "GET", "/v1/payment-requests", api_rtp_list_r },
	{ "GET", "/v1/payment-requests/{id}", api_rtp_get_r },
};

struct http_route *api_routes(const struct http_route *extra, size_t n, size_t *count)
{
	size_t total = n + sizeof routes / sizeof routes[0];
	struct http_route *t = malloc(total * sizeof *t);
	if (!t)
		return NULL;
	if (n)
		memcpy(t, extra, n * sizeof *t);
	memcpy(t + n, routes, sizeof routes);
	*count = total;
	return t;
}
