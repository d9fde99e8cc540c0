/* http.h -- the daemon's HTTP server: libmicrohttpd driven by the event
 * loop (no thread of its own), a table of routes with {param} segments,
 * whole request bodies up to a limit, and JSON and RFC 7807 problem
 * replies.
 *
 * A handler runs once per request, after the whole body has arrived, and
 * must answer through exactly one http_reply*() call before it returns,
 * or defer its answer with http_suspend() and give it later (see there).
 * Commit before reply: a handler that changes state commits it first.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct ev;
struct http;      /* opaque: the server */
struct http_req;  /* opaque: one request, valid during its handler */

typedef void (*http_handler)(struct http_req *req, void *arg);

/* One route: method ("GET", "POST", ...) and a path pattern whose
 * segments are literal or {name}, e.g. "/v1/merchants/{id}/approve".
 * Strings are borrowed for the server's life (use string literals). */
struct http_route {
	const char *method;
	const char *pattern;
	http_handler handler;
};

struct http_limits {
	size_t max_body;         /* bytes; larger bodies get 413 */
	unsigned max_conns;      /* simultaneous connections */
	unsigned timeout_s;      /* idle connection timeout */
};

/* Starts listening on listen ("127.0.0.1:8080", "[::1]:8080",
 * "localhost:8080": a name is resolved here, once; port 0 picks a free
 * one, see http_port()) and registers with ev (borrowed,
 * must outlive the server). routes (nroutes entries) and arg are
 * borrowed; arg is passed to every handler. Returns an owned server
 * (free with http_free()) or NULL with a message in err. */
struct http *http_new(struct ev *ev, const char *listen, const struct http_route *routes,
		      size_t nroutes, void *arg, const struct http_limits *lim, char *err,
		      size_t errlen);

/* Stops listening, closes every connection, frees; accepts NULL. */
void http_free(struct http *h);

/* Stops accepting new connections (requests in flight finish). */
void http_quiesce(struct http *h);

/* The port actually bound. */
unsigned http_port(const struct http *h);

/* Connections open now. */
unsigned http_connections(const struct http *h);

/* ---- inside a handler: the request (all strings borrowed) ---- */

const char *http_method(const struct http_req *r);
const char *http_path(const struct http_req *r);
/* Value of the {name} segment of the matched pattern, or NULL. */
const char *http_param(const struct http_req *r, const char *name);
/* Query argument or header (case-insensitive name), or NULL. */
const char *http_query(const struct http_req *r, const char *name);
const char *http_header(const struct http_req *r, const char *name);
/* The body (not NUL terminated; *len bytes; NULL and 0 when empty). */
const char *http_body(const struct http_req *r, size_t *len);

/* Parses the body as a JSON object. On success returns a new reference
 * (json_decref() it). On failure answers 400 (problem code
 * "malformed_json", naming line, column and position) or 415 (wrong
 * Content-Type) itself and returns NULL: the handler just returns. */
json_t *http_json_body(struct http_req *r);

/* ---- inside a handler: the answer (exactly one per request) ---- */

/* Adds a response header to the coming reply (both strings copied).
 * Returns 0 or -ENOMEM. */
int http_add_header(struct http_req *r, const char *name, const char *value);

/* Drops the answer given so far (and the headers added), so that the
 * handler can give another: for a handler whose commit failed after it
 * had answered. Answers leave only after the handler returns. */
void http_reply_cancel(struct http_req *r);

/* Raw reply: body of len bytes (copied). */
void http_reply(struct http_req *r, unsigned status, const char *content_type,
		const void *body, size_t len);

/* JSON reply: steals the reference to j (compact, UTF-8). */
void http_reply_json(struct http_req *r, unsigned status, json_t *j);

/* RFC 7807 problem reply (application/problem+json): {"type", "title",
 * "status", "code", "detail"} plus, when errors is not NULL, "errors":
 * a JSON array of {field, message} (reference stolen). code is a stable
 * machine-readable word ("not_found", "validation_failed", ...). */
void http_problem(struct http_req *r, unsigned status, const char *code, json_t *errors,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Asks that the coming reply be kept (status, content type and a copy of
 * the body), for http_captured(): the idempotency record of a POST. */
void http_capture(struct http_req *r);

/* After a reply made with capture on: the reply, borrowed from r (valid
 * during the handler). body is NUL terminated after len bytes. Returns 0,
 * or -ENOENT if no reply was kept (none yet, no capture, or no memory). */
int http_captured(const struct http_req *r, unsigned *status, const char **content_type,
		  const char **body, size_t *len);

/* ---- answering later ---- */

/* Called in a handler instead of answering: the request r stays valid
 * after the handler returns, its connection waits (no idle timeout
 * applies to it), and its owner later gives exactly one answer with
 * http_reply*() and then calls http_resume(r), from the loop's thread
 * (a timer or an I/O callback). If the server is freed first, gone(arg)
 * is called (gone may be NULL) and r is invalid from then on: the owner
 * drops its pointer there. Returns 0, or -EALREADY if the handler has
 * already answered or suspended. */
int http_suspend(struct http_req *r, void (*gone)(void *arg), void *arg);

/* Sends the answer given to the suspended r (a 500 "internal" problem if
 * none was given) from the loop's next run; r is invalid after the call
 * and gone will not be called. Called within the handler itself, the
 * answer simply leaves when the handler returns. Does nothing for a
 * request that is not suspended. */
void http_resume(struct http_req *r);

/* Evaluates an If-Match header value h (RFC 9110 13.1.1: "*" or a
 * comma-separated list of entity tags, [W/]"...") against etag, the
 * resource's current strong tag with its quotes ("\"v3\""). Weak tags
 * never match (strong comparison). Returns 1 if the change may go ahead,
 * 0 if not, or -1 for a malformed value with *bad_pos (may be NULL) the
 * byte offset of the first bad character. Pure: no request needed. */
int http_etag_match(const char *h, const char *etag, size_t *bad_pos);

/* Replies sent since the start with status class cls (1..5: 1xx..5xx;
 * 0 anything else), for GET /metrics. */
uint64_t http_replies(const struct http *h, unsigned cls);

#endif /* GW_HTTP_H */
