/* api.h -- the admin HTTP API (/v1, docs/api.md) and GET /metrics: the
 * handlers that authenticate a request (auth_bearer), call the merchant
 * registry or the DFSP and key functions, and map their codes to HTTP
 * (problem documents, RFC 7807). Every handler takes the daemon's struct
 * gw as the route argument.
 *
 * Body limits: the HTTP server has one limit, which serve.c sets to the
 * larger of [http] max_body_bytes and [merchant] max_document_bytes so
 * that documents can arrive; the JSON routes refuse bodies over
 * max_body_bytes themselves (413), after the server has read them.
 *
 * Idempotency-Key on every POST: the first response (status, content type,
 * body) is kept in the idempotency table per API key and key value, with
 * the SHA-256 of the request (method, path, Content-Type, ?type= and body).
 * A retry with the same request gets the kept response (header
 * Idempotent-Replayed: true) and changes nothing; the same key with another
 * request gets 422 "idempotency_key_reused". The change and the record
 * commit in one transaction (the registry's own transaction nests into
 * it, see db_begin()), and the answer leaves after that commit: a crash
 * leaves both or neither.
 * A new API key's secret is never kept: its record holds "key": null.
 */
#ifndef GW_API_H
#define GW_API_H

#include <stddef.h>

#include "gateway/http.h"

/* Returns an owned route table (free()) holding the n routes of extra
 * (copied; their strings borrowed, e.g. serve.c's /healthz) followed by
 * the API's routes; *count gets the total. NULL if out of memory. */
struct http_route *api_routes(const struct http_route *extra, size_t n, size_t *count);

#endif /* GW_API_H */
