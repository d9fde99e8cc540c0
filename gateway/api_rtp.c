/* api_rtp.c -- the admin API's request-to-pay routes (contract in
 * api_rtp.h). */
#include "gateway/api_rtp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/auth.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/rtp.h"
#include "gateway/rtp_push.h"
#include "merchant/merchant_fsm.h"

static void reply_invalid(struct http_req *r, const char *field, const char *msg)
{
	http_problem(r, 422, "validation_failed",
		     json_pack("[{s:s,s:s}]", "field", field, "message", msg), "%s", msg);
}

/* err is "field: message": the problem names the field. */
static void reply_err(struct http_req *r, int rc, const char *err)
{
	char field[40];
	snprintf(field, sizeof field, "%.*s", (int)strcspn(err, ":"), err);
	switch (rc) {
	case -EINVAL:
		reply_invalid(r, field, err);
		break;
	case -ENOENT:
		if (!err[0]) {
			http_problem(r, 404, "not_found", NULL, "no such payment request");
			break;
		}
		http_problem(r, 404, strcmp(field, "payer_msisdn") == 0 ? "payer_not_found" : "not_found",
			     json_pack("[{s:s,s:s}]", "field", field, "message", err), "%s", err);
		break;
	case -EPERM:
		http_problem(r, 409, "not_payable", json_pack("[{s:s,s:s}]", "field", field, "message", err),
			     "%s", err);
		break;
	case -EEXIST:
		http_problem(r, 422, "idempotency_key_reused", NULL, "%s", err);
		break;
	case -EBUSY:
		http_add_header(r, "Retry-After", "1");
		http_problem(r, 503, "busy", NULL, "the database is busy; retry");
		break;
	default:
		LOGE(LC_HTTP, "request failed", "path=%s error=\"%s\"", http_path(r),
		     err[0] ? err : strerror(-rc));
		http_problem(r, 500, "internal", NULL, "internal error");
		break;
	}
}

static const char *scope(const struct auth_actor *a)
{
	return a->role == ROLE_HUB_ADMIN || !a->dfsp[0] ? NULL : a->dfsp;
}

void api_rtp_create(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	static const char *const known[] = { "merchant_id", "till", "payer_msisdn", "amount",
					     "currency", NULL };
	if (a->role != ROLE_PAYMENTS && a->role != ROLE_MAKER) {
		http_problem(r, 403, "forbidden", NULL,
			     "only a payments or maker key of a DFSP asks for payments");
		return;
	}
	const char *idem = http_header(r, "Idempotency-Key");
	if (!idem) {
		http_problem(r, 400, "idempotency_key_required",
			     json_pack("[{s:s,s:s}]", "field", "Idempotency-Key", "message", "required"),
			     "a payment request needs an Idempotency-Key header");
		return;
	}
	size_t len;
	http_body(r, &len);
	if (len > (size_t)gw->cfg.http_max_body_bytes) {
		http_problem(r, 413, "payload_too_large", NULL, "the body is %zu bytes, over the limit",
			     len);
		return;
	}
	json_t *b = http_json_body(r);
	if (!b)
		return;
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
		http_problem(r, 400, "validation_failed", errs, "the body has unknown fields");
		json_decref(b);
		return;
	}
	const char *str[4] = { 0 };
	static const char *const skeys[4] = { "merchant_id", "till", "payer_msisdn", "currency" };
	for (int i = 0; i < 4; i++) {
		json_t *s = json_object_get(b, skeys[i]);
		if (s && !json_is_null(s) && !json_is_string(s))
			json_array_append_new(errs, json_pack("{s:s,s:s}", "field", skeys[i], "message",
							      "must be a string"));
		else
			str[i] = json_string_value(s);
	}
	json_t *av = json_object_get(b, "amount");
	if (!str[0])
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "merchant_id", "message",
						      "required"));
	if (!str[2])
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "payer_msisdn", "message",
						      "required"));
	if (!json_is_integer(av) || json_integer_value(av) <= 0)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "amount", "message",
						      "must be an integer number of minor units, > 0"));
	char msisdn[RTP_MSISDN_MAX], err[RTP_ERR_MAX];
	if (str[2] && rtp_msisdn_normalise(str[2], gw->cfg.gateway_country, "payer_msisdn", msisdn,
					   err, sizeof err) < 0)
		json_array_append_new(errs, json_pack("{s:s,s:s}", "field", "payer_msisdn", "message",
						      err));
	if (json_array_size(errs)) {
		size_t n = json_array_size(errs);
		http_problem(r, 422, "validation_failed", errs, "the request has %zu invalid field%s", n,
			     n == 1 ? "" : "s");
		json_decref(b);
		return;
	}
	json_decref(errs);
	struct rtp_in in = {
		.idem_scope = a->key_id,
		.idem_key = idem,
		.channel = RTP_CH_API,
		.dfsp = a->dfsp,
		.merchant_id = str[0],
		.till = str[1],
		.payer_msisdn = msisdn,
		.amount = json_integer_value(av),
		.currency = str[3],
		.actor = a->user,
		.role = merchant_role_name(a->role),
		.remote_ok = gw->sw != NULL, /* asked through the switch */
	};
	struct rtp_rec q;
	int rc = gw->rtp ? rtp_create(gw->rtp, &in, &q, err, sizeof err) : -ENOSYS;
	json_decref(b);
	if (rc < 0) {
		reply_err(r, rc, err);
		return;
	}
	if (rc == 0 && (rc = rtp_push_deliver(gw, q.id, &q, err, sizeof err)) < 0) {
		reply_err(r, rc, err);
		return;
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/v1/payment-requests/%s", q.id);
	http_add_header(r, "Location", loc);
	http_reply_json(r, rtp_state_final(q.state) ? 200 : 202, rtp_rec_json(&q));
}

void api_rtp_get(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct rtp_rec q;
	int rc = gw->rtp ? rtp_get(gw->rtp, scope(a), http_param(r, "id"), &q) : -ENOENT;
	if (rc < 0) {
		reply_err(r, rc, "");
		return;
	}
	http_reply_json(r, 200, rtp_rec_json(&q));
}

void api_rtp_list(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	const char *st = http_query(r, "state"), *lim = http_query(r, "limit");
	int state = -1, limit = 0;
	if (st && (state = rtp_state_parse(st)) < 0) {
		reply_invalid(r, "state", "one of PENDING, PROMPTED, SENT, PAYING, PAID, REFUSED, "
			      "FAILED, EXPIRED");
		return;
	}
	if (lim && *lim) {
		char *end;
		long n = strtol(lim, &end, 10);
		if (*end || n < 1 || n > RTP_LIST_MAX) {
			reply_invalid(r, "limit", "must be 1 to 200");
			return;
		}
		limit = (int)n;
	}
	struct rtp_rec *items = NULL;
	size_t n = 0;
	char next[RTP_ID_MAX] = "";
	int rc = gw->rtp ? rtp_list(gw->rtp, scope(a), http_query(r, "merchant_id"), state,
				    http_query(r, "cursor"), limit, &items, &n, next)
			 : -ENOENT;
	if (rc == -EINVAL) {
		reply_invalid(r, "cursor", "cursor: not a request of this list");
		return;
	}
	if (rc < 0) {
		reply_err(r, rc, "");
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, rtp_rec_json(&items[i]));
	free(items);
	http_reply_json(r, 200, json_pack("{s:o,s:o}", "items", arr, "next_cursor",
					   next[0] ? json_string(next) : json_null()));
}
