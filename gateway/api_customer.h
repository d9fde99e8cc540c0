/* api_customer.h -- the admin API's customer routes (docs/api.md,
 * docs/customers.md), over gateway/customer.h:
 *   POST /v1/customers                    enrol (maker, dfsp-admin): 201 with
 *                                         the customer and its activation code
 *   GET  /v1/customers?msisdn=&status=&limit=&cursor=   a page (any role)
 *   GET  /v1/customers/{id}               one customer (any role)
 *   POST /v1/customers/{id}/{action}      unlock, suspend, reactivate, close
 *                                         (checker, dfsp-admin); activation-code
 *                                         (maker, dfsp-admin): 200 with the new code
 * api.c authenticates, runs the POSTs under their Idempotency-Key and
 * keeps no activation code in the idempotency record (a replay shows
 * "activation_code": null).
 */
#ifndef GW_API_CUSTOMER_H
#define GW_API_CUSTOMER_H

struct http_req;
struct gw;
struct auth_actor;

/* The handlers; r, gw and a are borrowed. Problems (RFC 7807): 400
 * unknown fields or malformed JSON, 403 role, 404 no such customer of the
 * key's DFSP (or no such action), 409 "exists" (phone already enrolled)
 * or "invalid_transition", 422 "validation_failed" with {field, message}
 * errors, 503 busy. */
void api_cust_create(struct http_req *r, struct gw *gw, const struct auth_actor *a);
void api_cust_list(struct http_req *r, struct gw *gw, const struct auth_actor *a);
void api_cust_get(struct http_req *r, struct gw *gw, const struct auth_actor *a);
void api_cust_act(struct http_req *r, struct gw *gw, const struct auth_actor *a);

#endif /* GW_API_CUSTOMER_H */
