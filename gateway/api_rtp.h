/* api_rtp.h -- the admin API's request-to-pay routes (docs/api.md,
 * docs/payments.md "Request to pay"), over gateway/rtp.h:
 *   POST /v1/payment-requests       a payments key (a DFSP's merchant app
 *                                   or POS) or a maker asks a customer to
 *                                   pay one of its DFSP's merchants;
 *                                   Idempotency-Key required; 202 with the
 *                                   request (PROMPTED: on the payer's phone)
 *   GET  /v1/payment-requests?merchant_id=&state=&limit=&cursor=   a page
 *   GET  /v1/payment-requests/{id}  one request (poll it for the outcome)
 * Tenancy: a key sees its own DFSP's requests (the merchant's DFSP); a
 * hub-admin sees all. api.c authenticates and runs the POST under its
 * Idempotency-Key.
 */
#ifndef GW_API_RTP_H
#define GW_API_RTP_H

struct http_req;
struct gw;
struct auth_actor;

/* The handlers; r, gw and a are borrowed. Problems (RFC 7807): 400
 * unknown fields or malformed JSON, or no Idempotency-Key; 403 role; 404
 * no such request, merchant or till of the key's DFSP, or the payer is no
 * customer here ("payer_not_found"); 409 the merchant or till may not be
 * paid; 422 "validation_failed" with {field, message}; 503 busy. */
void api_rtp_create(struct http_req *r, struct gw *gw, const struct auth_actor *a);
void api_rtp_list(struct http_req *r, struct gw *gw, const struct auth_actor *a);
void api_rtp_get(struct http_req *r, struct gw *gw, const struct auth_actor *a);

#endif /* GW_API_RTP_H */
