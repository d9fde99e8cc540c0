/* switch.h -- the FSPIOP v1.1 connector to the Mojaloop switch, payer
 * side: asynchronous primitives (party lookup, quote, transfer, transfer
 * query, and the registration of parties at the account lookup service) sent with libcurl's multi interface inside the event loop, and
 * the PUT callbacks (and their /error forms) that the daemon receives at
 * the root of its listener, matched to the request waiting for them.
 *
 * Nothing here blocks the loop: sockets and timers of libcurl are ev
 * descriptors and ev timers; the switch's host name is resolved once, in
 * switch_new(). No state is persisted: the payments module keeps ids and
 * bodies (a retry must send the same transferId with the same body while
 * the transfer has not expired, and an unknown outcome is resolved with
 * switch_transfer_get()). docs/switch.md.
 *
 * Each primitive reports exactly once through its callback, from the
 * loop (never from inside the call that started it):
 *   SWITCH_OK       the PUT callback came and passed validation;
 *   SWITCH_ERROR    a PUT .../error callback came, or the switch refused
 *                   the request at once with an errorInformation body
 *                   (a 4xx: e.g. 3100 for a schema error);
 *   SWITCH_TIMEOUT  the switch took the request (202) but no callback
 *                   came within callback_timeout_ms;
 *   SWITCH_DOWN     no answer at all, a transport error or a 5xx: the
 *                   link is down (the payments module goes offline);
 *                   for a transfer the outcome is unknown;
 *   SWITCH_INVALID  a callback came but its body was invalid, or a
 *                   COMMITTED transfer's fulfilment does not match the
 *                   condition: for a transfer the outcome is unknown.
 */
#ifndef GW_SWITCH_H
#define GW_SWITCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/fspiop.h"
#include "gateway/http.h" /* struct http_route, for switch_routes[] */

struct ev;
struct switch_conn; /* opaque */

struct switch_opts {
	const char *endpoint;          /* base URL of the switch, e.g. "https://hub:3000" */
	const char *merchant_party_type; /* PartyIdType of merchants, e.g. "ALIAS" */
	long long transfer_expiry_s;   /* lifetime of a transfer, for switch_expiration_ms() */
	long long callback_timeout_ms; /* wait for a callback after sending */
	long long max_inflight;        /* requests waiting at once */
	long long answer_budget_ms;    /* the customer's wait; >= callback_timeout_ms */
	const char *tls_cert;          /* client certificate (PEM), "" for none */
	const char *tls_key;           /* its private key (PEM), "" for none */
	const char *tls_ca;            /* CA bundle for the switch, "" for the system's */
	const char *jws_key;           /* RSA key (PEM) for FSPIOP-Signature, "" for none */
};

enum switch_status {
	SWITCH_OK,
	SWITCH_ERROR,
	SWITCH_TIMEOUT,
	SWITCH_DOWN,
	SWITCH_INVALID,
};

/* "ok", "error", "timeout", "down", "invalid". */
const char *switch_status_name(enum switch_status s);

/* What a primitive's callback gets; everything borrowed for the call. */
struct switch_result {
	enum switch_status status;
	const char *id;            /* the party ("TYPE/ID"), quoteId or transferId */
	unsigned http_status;      /* of the request's own answer (202 normally);
				    * 0 if none came (yet: a callback may beat it) */
	struct fspiop_error error; /* SWITCH_ERROR: code and text */
	const struct fspiop_errinfo *info; /* SWITCH_ERROR: fspiop_error_info(code) */
	char detail[256];          /* what went wrong, for the log (not a customer) */
	const struct fspiop_party *party;       /* lookup, SWITCH_OK */
	const struct fspiop_quote *quote;       /* quote, SWITCH_OK */
	const struct fspiop_transfer *transfer; /* transfer or get, SWITCH_OK */
	const struct fspiop_txreq_cb *txreq;    /* transaction request, SWITCH_OK */
	int fulfilment_verified;   /* transfer/get: 1 when COMMITTED and
				    * sha256(fulfilment) == condition was checked */
	const char *participant_fsp; /* participant, SWITCH_OK: the callback's
				      * fspId, "" when it had none */
};

typedef void (*switch_cb)(void *arg, const struct switch_result *r);

/* Makes a connector on ev (borrowed; must outlive it). Strings of o are
 * copied. Resolves the endpoint's host once, loads the JWS key. Returns
 * 0 with *out owned by the caller (switch_free()), or a negative errno
 * with a message in err. */
int switch_new(struct switch_conn **out, struct ev *ev, const struct switch_opts *o, char *err,
	       size_t errlen);

/* Frees; accepts NULL. Requests still waiting are dropped without their
 * callbacks being called (the payments module recovers them with a GET
 * after a restart, as after a crash). */
void switch_free(struct switch_conn *sw);

/* The primitives. Each returns 0 (cb will be called once, later),
 * -EINVAL (a field is wrong: err names it), -EBUSY (max_inflight
 * requests wait already), or -ENOMEM. Strings are copied.
 *
 * switch_lookup: GET /parties/{type}/{id}, FSPIOP-Source source, no
 * FSPIOP-Destination; type NULL means merchant_party_type. */
int switch_lookup(struct switch_conn *sw, const char *source, const char *type, const char *id,
		  switch_cb cb, void *arg, char *err, size_t errlen);

/* POST /quotes, FSPIOP-Source q->payer.fsp_id, FSPIOP-Destination
 * q->payee.fsp_id (both required). */
int switch_quote(struct switch_conn *sw, const struct fspiop_quote_req *q, switch_cb cb,
		 void *arg, char *err, size_t errlen);

/* POST /transfers, FSPIOP-Source t->payer_fsp, FSPIOP-Destination
 * t->payee_fsp. The fulfilment of a COMMITTED callback is checked
 * against t->condition. Resending the same t (same transferId, same
 * body) is how a retry is made; the body is built the same way from
 * the same fields. */
int switch_transfer(struct switch_conn *sw, const struct fspiop_transfer_req *t, switch_cb cb,
		    void *arg, char *err, size_t errlen);

/* GET /transfers/{id}, FSPIOP-Source source, FSPIOP-Destination dest
 * (NULL: omitted). When condition is not NULL, a COMMITTED answer with
 * a fulfilment is checked against it. */
int switch_transfer_get(struct switch_conn *sw, const char *source, const char *dest,
			const char *transfer_id, const char *condition, switch_cb cb, void *arg,
			char *err, size_t errlen);

/* POST /transactionRequests (request to pay, as the payee's DFSP),
 * FSPIOP-Source t->payee.fsp_id, FSPIOP-Destination t->payer.fsp_id
 * (both required); cb gets the PUT /transactionRequests/{ID} callback
 * (r->txreq) or its /error. */
int switch_txreq(struct switch_conn *sw, const struct fspiop_txreq_req *t, switch_cb cb,
		 void *arg, char *err, size_t errlen);

/* PUT path (the payee side's callback, e.g. "/parties/ALIAS/123",
 * "/quotes/{id}/error"), FSPIOP-Source source, FSPIOP-Destination dest
 * (both required), body (JSON, copied) with the Content-Type of res and
 * no Accept, signed like a request when a jws_key is set. No callback
 * is awaited: cb (may be NULL) gets SWITCH_OK on a 2xx answer,
 * SWITCH_ERROR or SWITCH_INVALID on a 4xx, SWITCH_DOWN on no answer
 * within callback_timeout_ms, a transport error or a 5xx; r->id is the
 * path. Counted under kind "callback" in the metrics. Returns as the
 * primitives above. */
int switch_callback_put(struct switch_conn *sw, enum fspiop_res res, const char *path,
			const char *source, const char *dest, const char *body, switch_cb cb,
			void *arg, char *err, size_t errlen);

/* Registration at the account lookup service: POST (del 0) or DELETE
 * (del 1) /participants/{type}/{id}, FSPIOP-Source source (the party's
 * DFSP), no FSPIOP-Destination; a POST's body is {"fspId": source,
 * "currency": currency}, a DELETE has none. type NULL means
 * merchant_party_type. Completed by PUT /participants/{type}/{id} (or its
 * /error form), matched by type and id. Returns as the primitives
 * above. */
int switch_participant(struct switch_conn *sw, int del, const char *source, const char *type,
		       const char *id, const char *currency, switch_cb cb, void *arg, char *err,
		       size_t errlen);

/* Wall-clock time in epoch ms plus transfer_expiry_s: the expiration of
 * a new transfer (persist it with the transfer: a retry sends the same). */
int64_t switch_expiration_ms(const struct switch_conn *sw);

/* The configured merchant PartyIdType. */
const char *switch_party_type(const struct switch_conn *sw);

/* Link state, for /metrics and the payments module: up after any answer
 * or callback from the switch, down after a transport failure or 5xx. */
struct switch_link {
	int up;                   /* 1 up, 0 down, -1 not known yet */
	uint64_t since_ms;        /* ev_now_ms() of the last change */
	char last_error[256];     /* "" if none */
};
const struct switch_link *switch_link(const struct switch_conn *sw);

/* Requests waiting for a callback now. */
size_t switch_inflight(const struct switch_conn *sw);

/* Prometheus text of the link and the counters to f; sw may be NULL
 * (switch disabled: tillgate_switch_up -1). */
void switch_metrics(const struct switch_conn *sw, FILE *f);

/* The ten callback routes (PUT /parties/{Type}/{ID}[/error],
 * PUT /quotes/{ID}[/error], PUT /transfers/{ID}[/error],
 * PUT /transactionRequests/{ID}[/error],
 * PUT /participants/{Type}/{ID}[/error]) for the server's table. Their
 * handlers' arg is the struct gw (gw->sw, may be NULL: callbacks are then
 * validated, answered and dropped). */
#define SWITCH_ROUTES 10
extern const struct http_route switch_routes[SWITCH_ROUTES];

#endif /* GW_SWITCH_H */
