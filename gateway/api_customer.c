/* api_customer.c -- the admin API's customer routes (contract in
 * api_customer.h). */
#include "gateway/api_customer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gateway/auth.h"
#include "gateway/customer.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"

static struct merchant_actor actor_of(const struct auth_actor *a)
{
	struct merchant_actor m = {
		.user = a->user,
		.dfsp = a->dfsp[0] ? a->dfsp : NULL,
		.role = a->role,
	};
	return m;
}

static json_t *errs_json(const struct merchant_errs *e)
{
	json_t *arr = json_array();
	for (int i = 0; arr && i < e->n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "field", e->e[i].field, "message",
						     e->e[i].message));
	return arr;
}

static void reply_invalid(struct http_req *r, const char *field, const char *msg)
{
	http_problem(r, 422, "validation_failed",
		     json_pack("[{s:s,s:s}]", "field", field, "message", msg), "%s: %s", field, msg);
}

static void reply_rc(struct http_req *r, int rc, const char *msg)
{
	switch (rc) {
	case -ENOENT:
		http_problem(r, 404, "not_found", NULL, "%s", msg && *msg ? msg : "no such customer");
		break;
	case -EACCES:
		http_problem(r, 403, "forbidden", NULL, "%s",
			     msg && *msg ? msg : "this key's role may not do this");
		break;
	case -EPERM:
		http_problem(r, 409, "invalid_transition", NULL, "%s",
			     msg && *msg ? msg : "not allowed in the customer's status");
		break;
	case -EBUSY:
		http_add_header(r, "Retry-After", "1");
		http_problem(r, 503, "busy", NULL, "the database is busy; retry");
		break;
	default:
		LOGE(LC_HTTP, "request failed", "path=%s error=\"%s\"", http_path(r), strerror(-rc));
		http_problem(r, 500, "internal", NULL, "internal error");
		break;
	}
}

/* The body as a JSON object with only the members of known; NULL after
 * answering (413, 400 malformed or unknown fields). An empty body is {}
 * when empty_ok. */
static json_t *body_in(struct http_req *r, struct gw *gw, const char *const *known, int empty_ok)
{
	size_t len;
	http_body(r, &len);
	if (len > (size_t)gw->cfg.http_max_body_bytes) {
		http_problem(r, 413, "payload_too_large", NULL,
			     "the body is %zu bytes, over the limit of %lld", len,
			     gw->cfg.http_max_body_bytes);
		return NULL;
	}
	if (!len && empty_ok)
		return json_object();
	json_t *b = http_json_body(r);
	if (!b)
		return NULL;
	json_t *errs = json_array(), *v;
	const char *k;
	json_object_foreach(b, k, v) {
		const char *const *n = known;
		while (*n && strcmp(*n, k))
			n++;
		if (!*n)
			json_array_append_new(errs, json_pack("{s:s,s:s}", "field", k, "message",
							      "unknown field"));
	}
	if (json_array_size(errs)) {
		size_t n = json_array_size(errs);
		http_problem(r, 400, "validation_failed", errs, "the body has %zu unknown field%s", n,
			     n == 1 ? "" : "s");
		json_decref(b);
		return NULL;
	}
	json_decref(errs);
	return b;
}

/* A string member: NULL if absent or null; "must be a string" in errs
 * otherwise. */
static const char *jstr(json_t *o, const char *key, json_t *errs)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	json_array_append_new(errs, json_pack("{s:s,s:s}", "field", key, "message", "must be a string"));
	return NULL;
}

static const char *const create_fields[] = { "msisdn", "name", "account_ref", "tier", NULL };

void api_cust_create(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	json_t *b = body_in(r, gw, create_fields, 0);
	if (!b)
		return;
	json_t *terr = json_array();
	struct cust_in in = {
		.msisdn = jstr(b, "msisdn", terr),
		.name = jstr(b, "name", terr),
		.account_ref = jstr(b, "account_ref", terr),
		.tier = jstr(b, "tier", terr),
	};
	if (json_array_size(terr)) {
		http_problem(r, 422, "validation_failed", terr, "a field has the wrong type");
		json_decref(b);
		return;
	}
	json_decref(terr);
	struct merchant_actor m = actor_of(a);
	struct merchant_errs errs;
	struct cust_info ci;
	char code[CUST_CODE_SIZE], loc[64];
	int rc = cust_enroll(gw->cust, &m, &in, code, &ci, &errs);
	json_decref(b);
	switch (rc) {
	case 0: {
		json_t *j = cust_json(&ci);
		json_object_set_new(j, "activation_code", json_string(code));
		sodium_memzero(code, sizeof code);
		snprintf(loc, sizeof loc, "/v1/customers/%lld", (long long)ci.id);
		http_add_header(r, "Location", loc);
		http_reply_json(r, 201, j);
		break;
	}
	case -EINVAL:
		http_problem(r, 422, "validation_failed", errs_json(&errs), "%s",
			     errs.n ? errs.e[0].message : "invalid input");
		break;
	case -EEXIST:
		http_problem(r, 409, "exists", errs_json(&errs), "%s",
			     errs.n ? errs.e[0].message : "already a customer");
		break;
	case -EACCES:
		reply_rc(r, rc, "only a maker or dfsp-admin of a DFSP may enrol customers");
		break;
	case -ENOENT:
		reply_rc(r, rc, "the key's DFSP does not exist");
		break;
	default:
		reply_rc(r, rc, NULL);
		break;
	}
}

/* The {id} of the path: 1 to 18 digits, else -1 (answered 404). */
static int64_t path_id(struct http_req *r)
{
	const char *s = http_param(r, "id");
	int64_t v = 0;
	size_t n = s ? strlen(s) : 0;
	if (!n || n > 18 || strspn(s, "0123456789") != n) {
		http_problem(r, 404, "not_found", NULL, "no such customer");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

void api_cust_get(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	int64_t id = path_id(r);
	if (id < 0)
		return;
	struct merchant_actor m = actor_of(a);
	struct cust_info ci;
	int rc = cust_get(gw->cust, &m, id, &ci);
	if (rc < 0)
		reply_rc(r, rc, NULL);
	else
		http_reply_json(r, 200, cust_json(&ci));
}

void api_cust_list(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct cust_filter f = {
		.msisdn = http_query(r, "msisdn"),
		.status = http_query(r, "status"),
		.cursor = http_query(r, "cursor"),
	};
	const char *lim = http_query(r, "limit");
	if (lim && *lim) {
		char *end;
		long n = strtol(lim, &end, 10);
		if (*end || n < 1 || n > CUST_LIST_MAX) {
			reply_invalid(r, "limit", "must be 1 to 200");
			return;
		}
		f.limit = (int)n;
	}
	struct merchant_actor m = actor_of(a);
	struct merchant_errs errs;
	json_t *items;
	char next[CUST_CURSOR_MAX];
	int rc = cust_list(gw->cust, &m, &f, &items, next, &errs);
	if (rc == -EINVAL) {
		http_problem(r, 422, "validation_failed", errs_json(&errs), "%s",
			     errs.n ? errs.e[0].message : "bad filter");
		return;
	}
	if (rc < 0) {
		reply_rc(r, rc, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:o,s:o}", "items", items, "next_cursor",
					   next[0] ? json_string(next) : json_null()));
}

static const char *const act_fields[] = { "reason", NULL };

void api_cust_act(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	int act = cust_action_parse(http_param(r, "action"));
	if (act < 0) {
		http_problem(r, 404, "not_found", NULL, "no such action");
		return;
	}
	int64_t id = path_id(r);
	if (id < 0)
		return;
	json_t *b = body_in(r, gw, act_fields, 1);
	if (!b)
		return;
	json_t *v = json_object_get(b, "reason");
	if (v && !json_is_null(v) && !json_is_string(v)) {
		reply_invalid(r, "reason", "must be a string");
		json_decref(b);
		return;
	}
	const char *reason = json_string_value(v);
	if (reason && strlen(reason) > 500) {
		reply_invalid(r, "reason", "longer than 500 bytes");
		json_decref(b);
		return;
	}
	struct merchant_actor m = actor_of(a);
	struct cust_info ci;
	char code[CUST_CODE_SIZE] = "", err[160] = "";
	int rc = cust_act(gw->cust, &m, id, (enum cust_action)act, reason, code, &ci, err, sizeof err);
	json_decref(b);
	if (rc < 0) {
		reply_rc(r, rc, err);
		return;
	}
	json_t *j = cust_json(&ci);
	if (act == CA_NEW_CODE)
		json_object_set_new(j, "activation_code", json_string(code));
	sodium_memzero(code, sizeof code);
	http_reply_json(r, 200, j);
}
