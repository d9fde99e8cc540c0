/* http.c -- libmicrohttpd in the daemon's event loop: routing, bodies,
 * JSON and problem replies. */
#include "gateway/http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway/ev.h"

#define MAX_SEGS 16
#define MAX_HDRS 16

struct http {
	struct MHD_Daemon *d;
	struct ev *ev;
	int epfd;                 /* libmicrohttpd's epoll set, watched by ev */
	uint64_t timer;           /* ev timer for MHD_get_timeout(), 0 if none */
	int resumed;              /* http_resume() ran during MHD_run(): run again at once */
	const struct http_route *routes;
	size_t nroutes;
	void *arg;
	struct http_limits lim;
	unsigned port;
	uint64_t replies[6];      /* replies by status class (index 1..5; 0 other) */
	struct http_req *susp;    /* suspended requests (http_suspend()), a list */
};

struct http_req {
	struct http *h;
	struct MHD_Connection *c;
	const char *method;       /* borrowed from libmicrohttpd */
	char *path;               /* owned copy of the URL path */
	char *segbuf;             /* owned copy, split into segments */
	char *seg[MAX_SEGS];
	int nseg;
	const struct http_route *route;
	char *body;               /* owned */
	size_t len, cap;
	int too_big;
	int replied;
	struct MHD_Response *resp;/* owned until queued after the handler */
	enum MHD_Result result;
	int nhdr;
	char *hdr[MAX_HDRS][2];   /* owned copies */
	int capture;              /* keep a copy of the reply (http_capture()) */
	unsigned rstatus;         /* the reply's status, once replied */
	char *rtype, *rbody;      /* owned copies, when capture was set */
	size_t rlen;
	int deferred;             /* http_suspend() was called: answer on resume */
	int suspended;            /* in h->susp (its connection suspended once
				   * the handler has returned) */
	int in_handler;           /* its handler is running */
	struct http_req *sprev, *snext; /* h->susp links */
	void (*gone)(void *arg);  /* http_suspend()'s callback and its argument */
	void *gone_arg;
};

/* ---- replies ---- */

int http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nhdr >= MAX_HDRS)
		return -ENOMEM;
	char *n = strdup(name), *v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	r->hdr[r->nhdr][0] = n;
	r->hdr[r->nhdr][1] = v;
	r->nhdr++;
	return 0;
}

void http_reply(struct http_req *r, unsigned status, const char *content_type,
		const void *body, size_t len)
{
	if (r->replied)
		return; /* a handler bug; the first answer stands */
	r->replied = 1;
	r->rstatus = status;
	if (r->capture) {
		r->rtype = content_type ? strdup(content_type) : NULL;
		r->rbody = malloc(len + 1);
		if (r->rbody) {
			if (len)
				memcpy(r->rbody, body, len);
			r->rbody[len] = '\0';
			r->rlen = len;
		}
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return; /* queue_reply() closes the connection */
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
	r->resp = resp;
}

void http_reply_cancel(struct http_req *r)
{
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = NULL;
	free(r->rtype);
	free(r->rbody);
	r->rtype = r->rbody = NULL;
	r->rlen = 0;
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr[i][0]);
		free(r->hdr[i][1]);
	}
	r->nhdr = 0;
	r->replied = 0;
}

/* Hands the answer to libmicrohttpd, which sends it once the request's
 * callback has returned: after the handler, so that a handler may still
 * cancel it (http_reply_cancel()) when its commit fails. */
static enum MHD_Result queue_reply(struct http_req *r)
{
	if (!r->replied)
		return MHD_YES;
	if (!r->resp)
		return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
	r->h->replies[r->rstatus / 100 < 6 ? r->rstatus / 100 : 0]++;
	r->result = MHD_queue_response(r->c, r->rstatus, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return r->result;
}

void http_reply_json(struct http_req *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		http_problem(r, 500, "internal", NULL, "out of memory");
		return;
	}
	http_reply(r, status, "application/json", s, strlen(s));
	free(s);
}

void http_problem(struct http_req *r, unsigned status, const char *code, json_t *errors,
		  const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	const char *title = MHD_get_reason_phrase_for(status);
	json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", "about:blank", "title",
			      title && *title ? title : "Error", "status", (int)status, "code",
			      code, "detail", detail);
	if (j && errors)
		json_object_set(j, "errors", errors);
	json_decref(errors);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		static const char oom[] = "{\"status\":500,\"code\":\"internal\"}";
		http_reply(r, 500, "application/problem+json", oom, sizeof oom - 1);
		return;
	}
	http_reply(r, status, "application/problem+json", s, strlen(s));
	free(s);
}

void http_capture(struct http_req *r)
{
	r->capture = 1;
}

int http_captured(const struct http_req *r, unsigned *status, const char **content_type,
		  const char **body, size_t *len)
{
	if (!r->replied || !r->rbody)
		return -ENOENT;
	*status = r->rstatus;
	*content_type = r->rtype;
	*body = r->rbody;
	*len = r->rlen;
	return 0;
}

uint64_t http_replies(const struct http *h, unsigned cls)
{
	return cls < 6 ? h->replies[cls] : 0;
}

/* ---- the request ---- */

const char *http_method(const struct http_req *r)
{
	return r->method;
}

const char *http_path(const struct http_req *r)
{
	return r->path;
}

const char *http_param(const struct http_req *r, const char *name)
{
	if (!r->route)
		return NULL;
	const char *p = r->route->pattern + 1;
	size_t nlen = strlen(name);
	for (int i = 0; i < r->nseg && *p; i++) {
		const char *end = strchr(p, '/');
		size_t slen = end ? (size_t)(end - p) : strlen(p);
		if (p[0] == '{' && slen == nlen + 2 && strncmp(p + 1, name, nlen) == 0)
			return r->seg[i];
		p += slen + (end ? 1 : 0);
	}
	return NULL;
}

const char *http_query(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *http_body(const struct http_req *r, size_t *len)
{
	*len = r->len;
	return r->len ? r->body : NULL;
}

int http_etag_match(const char *h, const char *etag, size_t *bad_pos)
{
	size_t elen = strlen(etag);
	const char *p = h;
	int match = 0, tags = 0;

#define OWS(q) while (*(q) == ' ' || *(q) == '\t') (q)++
#define BAD(q) do { if (bad_pos) *bad_pos = (size_t)((q) - h); return -1; } while (0)
	OWS(p);
	if (*p == '*') {
		const char *q = p + 1;
		OWS(q);
		if (*q)
			BAD(q);
		return 1;
	}
	while (*p) {
		if (*p == ',') { /* empty list elements are allowed */
			p++;
			OWS(p);
			continue;
		}
		int weak = p[0] == 'W' && p[1] == '/';
		const char *t = weak ? p + 2 : p;
		if (*t != '"')
			BAD(t);
		const char *q = t + 1;
		/* etagc = %x21 / %x23-7E / obs-text */
		while (*q && *q != '"' && ((unsigned char)*q == 0x21 || (unsigned char)*q >= 0x23) &&
		       (unsigned char)*q != 0x7f)
			q++;
		if (*q != '"')
			BAD(q);
		q++;
		tags++;
		if (!weak && (size_t)(q - t) == elen && memcmp(t, etag, elen) == 0)
			match = 1;
		p = q;
		OWS(p);
		if (*p && *p != ',')
			BAD(p);
	}
	if (!tags) /* empty, or only commas and spaces */
		BAD(p);
	return match;
#undef OWS
#undef BAD
}

json_t *http_json_body(struct http_req *r)
{
	const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t ctlen = ct ? strcspn(ct, "; ") : 0;
	if (!ct || !((ctlen == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
		     (ctlen > 5 && strncasecmp(ct + ctlen - 5, "+json", 5) == 0))) {
		http_problem(r, 415, "unsupported_media_type", NULL,
			     "the body must be JSON (Content-Type: application/json)");
		return NULL;
	}
	json_error_t e;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		http_problem(r, 400, "malformed_json", NULL,
			     "malformed JSON at line %d column %d (position %d): %s", e.line,
			     e.column, e.position, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_problem(r, 400, "malformed_json", NULL, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* ---- routing ---- */

/* Splits r->path ("/a/b/c") into r->seg. Returns 0, or -1 if it has too
 * many segments or does not start with '/'. */
static int split_path(struct http_req *r)
{
	char *p = r->segbuf = strdup(r->path);
	if (!p)
		return -1;
	if (*p != '/')
		return -1;
	r->nseg = 0;
	p++;
	if (!*p)
		return 0;
	while (p) {
		if (r->nseg >= MAX_SEGS)
			return -1;
		r->seg[r->nseg++] = p;
		p = strchr(p, '/');
		if (p)
			*p++ = '\0';
	}
	return 0;
}

static int pattern_matches(const char *pat, char *const *seg, int nseg)
{
	int i = 0;
	pat++; /* leading '/' */
	if (!*pat)
		return nseg == 0;
	while (*pat) {
		const char *end = strchr(pat, '/');
		size_t len = end ? (size_t)(end - pat) : strlen(pat);
		if (i >= nseg)
			return 0;
		if (pat[0] != '{') {
			if (strlen(seg[i]) != len || strncmp(seg[i], pat, len) != 0)
				return 0;
		} else if (!seg[i][0]) {
			return 0; /* an empty {param} never matches */
		}
		i++;
		pat += len + (end ? 1 : 0);
	}
	return i == nseg;
}

static void susp_unlink(struct http_req *r)
{
	if (!r->suspended)
		return;
	if (r->sprev)
		r->sprev->snext = r->snext;
	else
		r->h->susp = r->snext;
	if (r->snext)
		r->snext->sprev = r->sprev;
	r->sprev = r->snext = NULL;
	r->suspended = 0;
}

static void on_timer(struct ev *ev, uint64_t id, void *arg);

int http_suspend(struct http_req *r, void (*gone)(void *arg), void *arg)
{
	if (r->replied || r->deferred)
		return -EALREADY;
	r->deferred = 1;
	r->suspended = 1;
	r->gone = gone;
	r->gone_arg = arg;
	r->sprev = NULL;
	r->snext = r->h->susp;
	if (r->snext)
		r->snext->sprev = r;
	r->h->susp = r;
	return 0;
}

void http_resume(struct http_req *r)
{
	if (!r->suspended)
		return;
	susp_unlink(r);
	r->gone = NULL;
	if (r->in_handler)
		return; /* not suspended yet: the reply leaves after the handler */
	/* libmicrohttpd calls on_request() again from its next run, where
	 * the reply is queued; its epoll set does not wake for a resumed
	 * connection, so a timer due now makes that run happen. */
	MHD_resume_connection(r->c);
	struct http *h = r->h;
	/* Within MHD_run() (another request's handler resumed this one), run()
	 * re-arms the timer afterwards: it must keep this one due now. */
	h->resumed = 1;
	if (h->timer)
		ev_timer_del(h->ev, h->timer);
	h->timer = ev_timer_add(h->ev, 0, on_timer, h);
}

static void dispatch(struct http_req *r)
{
	struct http *h = r->h;
	char allow[128] = "";
	if (split_path(r) < 0) {
		http_problem(r, 404, "not_found", NULL, "no such resource");
		return;
	}
	for (size_t i = 0; i < h->nroutes; i++) {
		const struct http_route *rt = &h->routes[i];
		if (!pattern_matches(rt->pattern, r->seg, r->nseg))
			continue;
		if (strcmp(rt->method, r->method) == 0) {
			r->route = rt;
			r->in_handler = 1;
			rt->handler(r, h->arg);
			r->in_handler = 0;
			if (r->deferred && r->suspended && r->replied)
				susp_unlink(r); /* answered before returning after all */
			else if (r->deferred && r->suspended)
				MHD_suspend_connection(r->c);
			else if (!r->replied)
				http_problem(r, 500, "internal", NULL, "the handler gave no answer");
			return;
		}
		if (strlen(allow) + strlen(rt->method) + 3 < sizeof allow) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, rt->method);
		}
	}
	if (allow[0]) {
		http_add_header(r, MHD_HTTP_HEADER_ALLOW, allow);
		http_problem(r, 405, "method_not_allowed", NULL, "%s is not allowed here; use %s",
			     r->method, allow);
		return;
	}
	http_problem(r, 404, "not_found", NULL, "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;
	(void)version;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->h = h;
		r->c = c;
		r->method = method;
		r->path = strdup(url);
		*con_cls = r;
		if (!r->path)
			return MHD_NO;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > h->lim.max_body) {
			/* Answer now: the body is never read, and libmicrohttpd
			 * closes the connection after the reply. */
			http_problem(r, 413, "payload_too_large", NULL,
				     "the body is %s bytes, over the limit of %zu", cl,
				     h->lim.max_body);
			return queue_reply(r);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (r->replied || r->too_big)
			return MHD_YES;
		if (n > h->lim.max_body - r->len) {
			r->too_big = 1; /* chunked or lying Content-Length */
			free(r->body);
			r->body = NULL;
			r->len = r->cap = 0;
			return MHD_YES;
		}
		if (r->len + n > r->cap) {
			size_t cap = r->cap ? r->cap : 1024;
			while (cap < r->len + n)
				cap *= 2;
			char *nb = realloc(r->body, cap);
			if (!nb)
				return MHD_NO;
			r->body = nb;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		return MHD_YES;
	}
	if (r->deferred) { /* called again after http_resume() */
		if (!r->replied)
			http_problem(r, 500, "internal", NULL, "the handler gave no answer");
		r->deferred = 0;
		return queue_reply(r);
	}
	if (r->replied)
		return MHD_YES;
	if (r->too_big) {
		http_problem(r, 413, "payload_too_large", NULL, "the body is over the limit of %zu bytes",
			     h->lim.max_body);
		return queue_reply(r);
	}
	dispatch(r);
	if (r->deferred && r->suspended)
		return MHD_YES; /* suspended: the answer comes with http_resume() */
	r->deferred = 0;        /* suspended and answered within the handler */
	return queue_reply(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (!r)
		return;
	if (r->suspended) {
		susp_unlink(r);
		if (r->gone)
			r->gone(r->gone_arg);
	}
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr[i][0]);
		free(r->hdr[i][1]);
	}
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->path);
	free(r->segbuf);
	free(r->body);
	free(r->rtype);
	free(r->rbody);
	free(r);
	*con_cls = NULL;
}

/* ---- the loop ---- */

static void run(struct http *h);

static void on_timer(struct ev *ev, uint64_t id, void *arg)
{
	struct http *h = arg;
	(void)ev;
	(void)id;
	h->timer = 0;
	run(h);
}

static void on_epoll(struct ev *ev, int fd, unsigned events, void *arg)
{
	(void)ev;
	(void)fd;
	(void)events;
	run(arg);
}

/* Lets libmicrohttpd do what is ready, then re-arms its timeout. */
static void run(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG to;
	h->resumed = 0;
	MHD_run(h->d);
	if (h->timer) {
		ev_timer_del(h->ev, h->timer);
		h->timer = 0;
	}
	if (h->resumed) /* a connection resumed during the run waits for the next */
		h->timer = ev_timer_add(h->ev, 0, on_timer, h);
	else if (MHD_get_timeout(h->d, &to) == MHD_YES)
		h->timer = ev_timer_add(h->ev, to, on_timer, h);
	h->resumed = 0;
}

/* Parses "host:port" or "[v6]:port" into ss. Returns 0 or -1. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, int *v6)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -1;
	size_t hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']')
			return -1;
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof host)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return 0;
	}
	/* A host name ("localhost"): resolved once, here at start-up, the
	 * only time the loop may block on it. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return -1;
	int rc = -1;
	for (struct addrinfo *p = ai; p && rc < 0; p = p->ai_next) {
		if (p->ai_family == AF_INET && p->ai_addrlen <= sizeof *ss) {
			memcpy(ss, p->ai_addr, p->ai_addrlen);
			in->sin_port = htons((uint16_t)port);
			*v6 = 0;
			rc = 0;
		} else if (p->ai_family == AF_INET6 && p->ai_addrlen <= sizeof *ss) {
			memcpy(ss, p->ai_addr, p->ai_addrlen);
			in6->sin6_port = htons((uint16_t)port);
			*v6 = 1;
			rc = 0;
		}
	}
	freeaddrinfo(ai);
	return rc;
}

struct http *http_new(struct ev *ev, const char *listen, const struct http_route *routes,
		      size_t nroutes, void *arg, const struct http_limits *lim, char *err,
		      size_t errlen)
{
	struct sockaddr_storage ss;
	int v6;
	if (parse_listen(listen, &ss, &v6) < 0) {
		snprintf(err, errlen, "listen address \"%s\" is not HOST:PORT or [IPv6]:PORT "
			 "with a host that resolves and a port 0-65535", listen);
		return NULL;
	}
	struct http *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ev = ev;
	h->routes = routes;
	h->nroutes = nroutes;
	h->arg = arg;
	h->lim = *lim;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
			 (v6 ? MHD_USE_IPv6 : 0);
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)lim->max_conns,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)lim->timeout_s,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(errno));
		free(h);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->epfd = di ? di->epoll_fd : -1;
	h->port = pi ? pi->port : 0;
	int rc = h->epfd >= 0 ? ev_io_add(ev, h->epfd, EV_READ, on_epoll, h) : -EINVAL;
	if (rc < 0) {
		snprintf(err, errlen, "cannot watch the HTTP server: %s", strerror(-rc));
		MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	run(h);
	return h;
}

void http_quiesce(struct http *h)
{
	MHD_socket s = MHD_quiesce_daemon(h->d);
	if (s != MHD_INVALID_SOCKET)
		close(s);
}

unsigned http_port(const struct http *h)
{
	return h->port;
}

unsigned http_connections(const struct http *h)
{
	const union MHD_DaemonInfo *i =
		MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return i ? i->num_connections : 0;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	if (h->timer)
		ev_timer_del(h->ev, h->timer);
	ev_io_del(h->ev, h->epfd);
	/* libmicrohttpd must not be stopped with suspended connections:
	 * resume them, so that it closes them (on_completed() then tells
	 * each owner that its request is gone). */
	for (struct http_req *r = h->susp; r; r = r->snext)
		MHD_resume_connection(r->c);
	MHD_stop_daemon(h->d);
	free(h);
}
