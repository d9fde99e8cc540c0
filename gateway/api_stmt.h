/* api_stmt.h -- the admin API's statement routes (docs/api.md,
 * docs/payments.md "Statements"), over gateway/stmt.h:
 *   GET /v1/dfsps/{fsp}/statement?date=D | ?from=D&to=D
 *   GET /v1/merchants/{id}/statement?date=D | ?from=D&to=D
 * Any role reads; a DFSP's key only its own DFSP and merchants (another
 * DFSP's answer 404 as a missing one), the hub-admin's any. D: a UTC day
 * YYYY-MM-DD (default today), at most 31 days. JSON, or CSV with
 * Accept: text/csv. api.c authenticates.
 */
#ifndef GW_API_STMT_H
#define GW_API_STMT_H

struct http_req;
struct gw;
struct auth_actor;

/* The handlers; r, gw and a are borrowed. Problems (RFC 7807): 404 no
 * such DFSP or merchant (within the key's DFSP), 422 "validation_failed"
 * with {field, message} (a bad day, a range over 31 days, date with
 * from or to), 503 busy. */
void api_stmt_dfsp(struct http_req *r, struct gw *gw, const struct auth_actor *a);
void api_stmt_merchant(struct http_req *r, struct gw *gw, const struct auth_actor *a);

#endif /* GW_API_STMT_H */
