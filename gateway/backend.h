/* backend.h -- the per-DFSP backend hook: a DFSP may name a backend (its
 * core banking or wallet system) that authorises each payment of its
 * customers before the gateway sends it to the switch or commits it
 * on-us, and hears of every final state. docs/payments.md, "Backend hook".
 *
 * Authorise: a payment accepted for a customer of a hooked DFSP waits in
 * ACCEPTED with a payment_auth row 'asking'; the hook is asked
 *   POST {backend_url}/authorise   (JSON, see backend_authorise_body())
 * and answers 200 {"approved":true} or {"approved":false,"reason":"..."}.
 * Approved: on-us COMMITTED, accepted offline QUEUED, else on to the
 * forwarder. Declined: FAILED "backend_declined" with the reason. No
 * usable answer within [backend] timeout_ms (no connection, a timeout, a
 * status other than 200, a body backend_answer_parse() refuses): as
 * [backend] on_unreachable says, FAILED "backend_unreachable" (refuse)
 * or on as approved (allow). A restart asks again: the hook must treat
 * the same payment id as the same request.
 *
 * Notify: each final state of a hooked DFSP's payment queues an outbox
 * row (kind "backend", dest the DFSP id) in the transaction of the change
 * (gateway/pay.c); the drain here POSTs it to {backend_url}/notify until
 * a 2xx, with backoff, at least once (the body names the payment and its
 * state, so that the hook can drop a repeat).
 *
 * Every request carries X-Tillgate-Signature: sha256=HEX, the
 * HMAC-SHA256 of the body under the DFSP's secret.
 *
 * HTTP runs on a libcurl multi handle of its own, on the event loop;
 * nothing blocks it (host names are resolved by libcurl's threaded
 * resolver). Threads: one, the loop's.
 */
#ifndef GW_BACKEND_H
#define GW_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/pay.h"

struct db;
struct gw;
struct backend; /* opaque */

#define BACKEND_URL_MAX 513     /* URL, NUL included (the schema's limit: 512) */
#define BACKEND_SECRET_MIN 16   /* bytes of a shared secret */
#define BACKEND_SECRET_MAX 256
#define BACKEND_SIG_HEADER "X-Tillgate-Signature"
#define BACKEND_SIG_MAX 72      /* "sha256=" + 64 hex digits, NUL included */
#define BACKEND_REASON_MAX 201  /* a decline's reason as kept, NUL included */
#define BACKEND_OUTBOX_KIND "backend"

/* ---- pure helpers (no I/O) ---- */

/* 0 if url is a hook URL the gateway takes: http:// or https://, a host,
 * no user info, query nor fragment, 10..512 bytes; else -EINVAL with the
 * reason in err (errlen bytes, may be 0). */
int backend_url_check(const char *url, char *err, size_t errlen);

/* A hook's answer to an authorisation. */
struct backend_answer {
	int approved;                      /* 1 or 0 */
	char reason[BACKEND_REASON_MAX];   /* "" if none was given */
};

/* Parses the body of a 200 answer to /authorise: one JSON object with
 * "approved" (true or false, required) and "reason" (a string, optional;
 * control characters become spaces, cut to BACKEND_REASON_MAX - 1 bytes
 * on a character boundary); other members are ignored. len bytes of body
 * (need not be NUL terminated). Returns len with *out set, or -1 with a
 * message naming the member or the byte position in err (errlen bytes,
 * may be 0). */
int backend_answer_parse(const char *body, size_t len, struct backend_answer *out, char *err,
			 size_t errlen);

/* "sha256=" and the lower-case hex HMAC-SHA256 of body (len bytes) under
 * key (keylen bytes) into out. */
void backend_sign(const uint8_t *key, size_t keylen, const char *body, size_t len,
		  char out[BACKEND_SIG_MAX]);

/* amount minor units as a decimal string with exponent decimals
 * ("5000.00" for 500000 and 2; "5000" for 5000 and 0) into out. */
void backend_decimal(int64_t amount, int exponent, char out[32]);

/* The JSON bodies (owned strings, free(); NULL when out of memory).
 * authorise: {"payment_id","payer_msisdn","account_ref","merchant_id",
 * "till","trading_name","amount","amount_decimal","currency","channel"}
 * (account_ref borrowed, the customer's reference at the DFSP).
 * notify: {"payment_id","state","fail_code","fail_reason","merchant_id",
 * "till","amount","amount_decimal","currency","channel","updated"}
 * (fail_code and fail_reason null unless FAILED). */
char *backend_authorise_body(const struct pay_rec *r, const char *account_ref, int exponent);
char *backend_notify_body(const struct pay_rec *r, int exponent);

/* ---- a DFSP's hook (the dfsp table) ---- */

/* Sets DFSP dfsp's hook to url with secret (secretlen bytes,
 * BACKEND_SECRET_MIN..MAX), or removes it (url NULL: payments of its
 * customers are no longer asked about; those already waiting go on as
 * approved), with an audit row (actor "system", role "system": the
 * secret never in it). Returns 0, -EINVAL (bad url or secret, message in
 * err), -ENOENT (no such DFSP), db codes. */
int backend_dfsp_set(struct db *db, const char *dfsp, const char *url, const uint8_t *secret,
		     size_t secretlen, char *err, size_t errlen);

/* DFSP dfsp's hook: url gets "" if it has none; secret (may be NULL)
 * gets the secret and *secretlen its length. Returns 0, -ENOENT (no
 * such DFSP), db codes. */
int backend_dfsp_get(struct db *db, const char *dfsp, char url[BACKEND_URL_MAX],
		     uint8_t secret[BACKEND_SECRET_MAX], size_t *secretlen);

/* ---- the daemon's side ---- */

/* Makes the hook's client for gw (borrowed: its ev, db, pay, outbox and
 * cfg must outlive it): rows of kind "backend" left 'sending' by a
 * previous run go back to 'pending' (at least once), and a timer asks
 * about every payment waiting in ACCEPTED and drains the notifications
 * (its first run is at once). Returns 0 with *out owned by the caller
 * (backend_free()), or a negative errno with a message in err. */
int backend_new(struct backend **out, struct gw *gw, char *err, size_t errlen);

/* NULL ok. Requests in flight are dropped: their payments stay ACCEPTED
 * and are asked about again at the next start, their notifications go
 * back to 'pending'. Call before db_close() and ev_free(). */
void backend_free(struct backend *b);

/* Called by fwd_kick() for a payment just ACCEPTED: 1 if it waits for
 * its DFSP's hook (the question is sent now if it is not in flight
 * yet), else 0 (no hook, or answered already: the forwarder may take
 * it). gw->backend may be NULL (0). */
int backend_kick(struct gw *gw, const char *id);

#endif /* GW_BACKEND_H */
