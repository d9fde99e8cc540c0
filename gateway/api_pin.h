/* api_pin.h -- the admin API's route for merchants' USSD PINs:
 * POST /v1/merchants/{id}/pin/unlock (docs/api.md). The PIN's state is
 * shown in GET /v1/merchants/{id} as "ussd_pin" (merchant_get_json()).
 */
#ifndef GW_API_PIN_H
#define GW_API_PIN_H

struct http_req;
struct gw;
struct auth_actor;

/* The handler, run by api.c after authentication and under the
 * Idempotency-Key like every POST: lifts the lock-out of the merchant's
 * USSD PIN and clears its failures (mpin_unlock(); roles dfsp-admin and
 * checker). Answers 200 {"merchant_id", "ussd_pin": {...}}; 403 for
 * another role; 404 for no such merchant of the key's DFSP, or one
 * without a PIN; 503 busy. gw and a are borrowed. */
void api_pin_unlock(struct http_req *r, struct gw *gw, const struct auth_actor *a);

#endif /* GW_API_PIN_H */
