/* switch.c -- the FSPIOP connector: libcurl multi driven by the event
 * loop, a list of requests waiting for their callback, and the callback
 * routes that complete them. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "gateway/curlev.h"
#include "gateway/ev.h"
#include "gateway/fspiop.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/switch.h"

#define RESP_MAX 8192 /* bytes of a synchronous answer kept */

enum req_kind { K_LOOKUP, K_QUOTE, K_TRANSFER, K_GET, K_PUT, K_TXREQ, K_PARTICIPANT, K__COUNT };
static const char *const kind_names[K__COUNT] = { "lookup", "quote", "transfer", "transfer_get",
						    "callback", "transaction_request", "participant" };

struct sw_req {
	struct switch_conn *sw;
	struct sw_req *prev, *next;
	enum req_kind kind;
	enum fspiop_res res;
	char key[180];          /* what the callback's path names */
	char condition[44];     /* transfer/get: to check the fulfilment; "" if none */
	int del;                /* participant: DELETE rather than POST */
	CURL *easy;             /* NULL once the HTTP exchange is over */
	struct curl_slist *hdrs;
	char *body;
	char resp[RESP_MAX + 1];
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
	unsigned http_status;
	uint64_t timer;
	uint64_t mark;          /* the callback round that matched it, 0 if none */
	switch_cb cb;
	void *arg;
};

struct switch_conn {
	struct ev *ev;
	CURLM *multi;            /* borrowed from cev */
	struct curlev *cev;      /* owned: the multi handle on the loop */
	struct curl_slist *resolve;
	struct fspiop_signer *signer;
	char *endpoint, *party_type, *tls_cert, *tls_key, *tls_ca;
	long long expiry_s, cb_timeout_ms, max_inflight;
	struct sw_req *head;
	size_t inflight;
	struct switch_link link;
	/* counters for /metrics */
	uint64_t sent[K__COUNT], ok[K__COUNT], errors[K__COUNT], timeouts[K__COUNT],
		down[K__COUNT], invalid[K__COUNT];
	uint64_t callbacks, unmatched, rejected_callbacks, busy;
	uint64_t round; /* callbacks handled, for sw_req.mark */
};

const char *switch_status_name(enum switch_status s)
{
	static const char *const n[] = { "ok", "error", "timeout", "down", "invalid" };
	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

static void link_set(struct switch_conn *sw, int up, const char *why)
{
	if (sw->link.up != up) {
		if (up)
			LOGN(LC_SWITCH, "switch link up", "endpoint=%s", sw->endpoint);
		else {
			char q[300];
			LOGW(LC_SWITCH, "switch link down", "endpoint=%s error=%s", sw->endpoint,
			     log_q(q, sizeof q, why));
		}
		sw->link.up = up;
		sw->link.since_ms = ev_now_ms();
	}
	if (!up)
		snprintf(sw->link.last_error, sizeof sw->link.last_error, "%s", why);
}

/* ---- request lifetime ---- */

static void req_unlink(struct sw_req *q)
{
	struct switch_conn *sw = q->sw;
	if (q->prev)
		q->prev->next = q->next;
	else if (sw->head == q)
		sw->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	sw->inflight--;
}

static void req_free(struct sw_req *q)
{
	if (!q)
		return;
	if (q->easy) {
		curl_multi_remove_handle(q->sw->multi, q->easy);
		curl_easy_cleanup(q->easy);
	}
	if (q->timer)
		ev_timer_del(q->sw->ev, q->timer);
	curl_slist_free_all(q->hdrs);
	free(q->body);
	free(q);
}

/* Takes q out of the list, reports r through its callback, frees it. */
static void req_finish(struct sw_req *q, struct switch_result *r)
{
	struct switch_conn *sw = q->sw;
	r->id = q->key;
	if (!r->http_status)
		r->http_status = q->http_status;
	switch (r->status) {
	case SWITCH_OK: sw->ok[q->kind]++; break;
	case SWITCH_ERROR: sw->errors[q->kind]++; break;
	case SWITCH_TIMEOUT: sw->timeouts[q->kind]++; break;
	case SWITCH_DOWN: sw->down[q->kind]++; break;
	case SWITCH_INVALID: sw->invalid[q->kind]++; break;
	}
	char d[300];
	LOGI(LC_SWITCH, "request done", "kind=%s id=%s status=%s http=%u code=%d detail=%s",
	     kind_names[q->kind], q->key, switch_status_name(r->status), r->http_status,
	     r->status == SWITCH_ERROR ? r->error.code : 0, log_q(d, sizeof d, r->detail));
	req_unlink(q);
	switch_cb cb = q->cb;
	void *arg = q->arg;
	req_free(q);
	if (cb)
		cb(arg, r); /* last: cb may start new requests */
}

static void on_req_timeout(struct ev *ev, uint64_t id, void *arg)
{
	(void)ev;
	(void)id;
	struct sw_req *q = arg;
	q->timer = 0;
	struct switch_result r = { .status = SWITCH_TIMEOUT };
	if (q->easy) {
		/* not even the HTTP answer came: the link is the problem */
		r.status = SWITCH_DOWN;
		snprintf(r.detail, sizeof r.detail, "no answer from the switch within %lld ms",
			 q->sw->cb_timeout_ms);
		link_set(q->sw, 0, r.detail);
	} else {
		snprintf(r.detail, sizeof r.detail, "no callback within %lld ms",
			 q->sw->cb_timeout_ms);
	}
	req_finish(q, &r);
}

/* The HTTP exchange of q ended (answer or failure). */
static void req_http_done(struct sw_req *q, CURLcode cc)
{
	struct switch_conn *sw = q->sw;
	long code = 0;
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(sw->multi, q->easy);
	curl_easy_cleanup(q->easy);
	q->easy = NULL;
	q->http_status = (unsigned)code;
	struct switch_result r = { .status = SWITCH_DOWN, .http_status = (unsigned)code };
	if (cc != CURLE_OK) {
		snprintf(r.detail, sizeof r.detail, "%.100s: %.140s", curl_easy_strerror(cc),
			 q->errbuf[0] ? q->errbuf : "-");
		link_set(sw, 0, r.detail);
		req_finish(q, &r);
		return;
	}
	if (code >= 200 && code < 300) {
		link_set(sw, 1, NULL);
		if (q->kind == K_PUT) { /* a callback of ours: the answer is all */
			r.status = SWITCH_OK;
			req_finish(q, &r);
		}
		return; /* now the callback */
	}
	q->resp[q->resp_len] = '\0';
	char perr[160];
	if (code >= 400 && code < 500 &&
	    fspiop_parse_error(q->resp, q->resp_len, &r.error, perr, sizeof perr) == 0) {
		link_set(sw, 1, NULL);
		r.status = SWITCH_ERROR;
		r.info = fspiop_error_info(r.error.code);
		snprintf(r.detail, sizeof r.detail, "HTTP %ld: %d %s", code, r.error.code,
			 r.error.description);
	} else {
		snprintf(r.detail, sizeof r.detail, "HTTP %ld: %.200s", code,
			 q->resp_len ? q->resp : "(empty body)");
		if (code >= 500 || code < 200)
			link_set(sw, 0, r.detail);
		else
			r.status = SWITCH_INVALID; /* 3xx or 4xx without errorInformation */
	}
	req_finish(q, &r);
}

static void check_done(void *arg)
{
	struct switch_conn *sw = arg;
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(sw->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct sw_req *q = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		if (q)
			req_http_done(q, m->data.result);
	}
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sw_req *q = arg;
	size_t n = size * nmemb;
	size_t room = RESP_MAX - q->resp_len;
	memcpy(q->resp + q->resp_len, ptr, n < room ? n : room);
	q->resp_len += n < room ? n : room;
	return n;
}

/* ---- setup ---- */

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Resolves the endpoint's host once (getaddrinfo blocks) and pins the
 * answer with CURLOPT_RESOLVE. */
static int pin_host(struct switch_conn *sw, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL;
	int rc = -EINVAL;
	if (!u || curl_url_set(u, CURLUPART_URL, sw->endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		snprintf(err, errlen, "[switch] endpoint: not a URL: %s", sw->endpoint);
		goto out;
	}
	if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		snprintf(err, errlen, "[switch] endpoint: http or https expected, not %s", scheme);
		goto out;
	}
	if (host[0] == '[') { /* an IPv6 literal needs no resolving */
		rc = 0;
		goto out;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int g = getaddrinfo(host, port, &hints, &ai);
	if (g != 0 || !ai) {
		snprintf(err, errlen, "[switch] endpoint: cannot resolve %s: %s", host,
			 gai_strerror(g));
		rc = -EHOSTUNREACH;
		goto out;
	}
	char addr[NI_MAXHOST];
	g = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (g != 0) {
		snprintf(err, errlen, "[switch] endpoint: %s: %s", host, gai_strerror(g));
		rc = -EHOSTUNREACH;
		goto out;
	}
	char line[NI_MAXHOST * 2 + 16];
	snprintf(line, sizeof line, strchr(addr, ':') ? "%s:%s:[%s]" : "%s:%s:%s", host, port,
		 addr);
	sw->resolve = curl_slist_append(NULL, line);
	rc = sw->resolve ? 0 : -ENOMEM;
out:
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

int switch_new(struct switch_conn **out, struct ev *ev, const struct switch_opts *o, char *err,
	       size_t errlen)
{
	*out = NULL;
	if (!o->endpoint || !*o->endpoint) {
		snprintf(err, errlen, "[switch] endpoint is empty");
		return -EINVAL;
	}
	if (o->callback_timeout_ms > o->answer_budget_ms) {
		snprintf(err, errlen,
			 "[switch] callback_timeout_ms (%lld) exceeds answer_budget_ms (%lld)",
			 o->callback_timeout_ms, o->answer_budget_ms);
		return -EINVAL;
	}
	if (!fspiop_party_type_ok(o->merchant_party_type)) {
		snprintf(err, errlen, "[switch] merchant_party_type: not a PartyIdType: %s",
			 o->merchant_party_type ? o->merchant_party_type : "");
		return -EINVAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl initialisation failed");
		return -EIO;
	}
	struct switch_conn *sw = calloc(1, sizeof *sw);
	int rc = -ENOMEM;
	if (!sw)
		goto oom;
	sw->ev = ev;
	sw->link.up = -1;
	sw->expiry_s = o->transfer_expiry_s;
	sw->cb_timeout_ms = o->callback_timeout_ms;
	sw->max_inflight = o->max_inflight;
	sw->endpoint = strdup(o->endpoint);
	sw->party_type = strdup(o->merchant_party_type);
	sw->tls_cert = dup_or_null(o->tls_cert);
	sw->tls_key = dup_or_null(o->tls_key);
	sw->tls_ca = dup_or_null(o->tls_ca);
	if (!sw->endpoint || !sw->party_type)
		goto oom;
	size_t el = strlen(sw->endpoint);
	while (el > 0 && sw->endpoint[el - 1] == '/')
		sw->endpoint[--el] = '\0';
	if ((rc = pin_host(sw, err, errlen)) < 0)
		goto fail;
	if (o->jws_key && *o->jws_key &&
	    (rc = fspiop_signer_load(&sw->signer, o->jws_key, err, errlen)) < 0)
		goto fail;
	if (curlev_new(&sw->cev, sw->ev, check_done, sw) < 0)
		goto oom;
	sw->multi = curlev_multi(sw->cev);
	*out = sw;
	LOGI(LC_SWITCH, "switch connector ready", "endpoint=%s jws=%d mtls=%d", sw->endpoint,
	     sw->signer != NULL, sw->tls_cert != NULL);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
fail:
	switch_free(sw);
	return rc;
}

void switch_free(struct switch_conn *sw)
{
	if (!sw)
		return;
	while (sw->head) {
		struct sw_req *q = sw->head;
		req_unlink(q);
		req_free(q);
	}
	curlev_free(sw->cev);
	curl_slist_free_all(sw->resolve);
	fspiop_signer_free(sw->signer);
	free(sw->endpoint);
	free(sw->party_type);
	free(sw->tls_cert);
	free(sw->tls_key);
	free(sw->tls_ca);
	free(sw);
	curl_global_cleanup();
}

/* ---- sending ---- */

static int add_hdr(struct sw_req *q, const char *name, const char *value)
{
	char line[2048];
	int w = snprintf(line, sizeof line, "%s: %s", name, value);
	if (w < 0 || (size_t)w >= sizeof line)
		return -EINVAL;
	struct curl_slist *l = curl_slist_append(q->hdrs, line);
	if (!l)
		return -ENOMEM;
	q->hdrs = l;
	return 0;
}

/* Builds and starts the HTTP request of q: method GET (body NULL) or
 * POST (body taken over), path under the endpoint. */
static int send_req(struct switch_conn *sw, struct sw_req *q, const char *path, const char *src,
		    const char *dst, char *body, char *err, size_t errlen)
{
	int rc = -ENOMEM;
	const char *method = q->kind == K_PUT ? "PUT" : q->del ? "DELETE" : body ? "POST" : "GET";
	q->body = body;
	char ct[96], acc[96], date[40], url[1024];
	fspiop_content_type(q->res, ct, sizeof ct);
	fspiop_accept(q->res, acc, sizeof acc);
	fspiop_date(time(NULL), date, sizeof date);
	if ((size_t)snprintf(url, sizeof url, "%s%s", sw->endpoint, path) >= sizeof url) {
		snprintf(err, errlen, "URL too long");
		return -EINVAL;
	}
	/* a callback carries no Accept (libcurl's own is removed) */
	if (add_hdr(q, "Accept", q->kind == K_PUT ? "" : acc) < 0 ||
	    add_hdr(q, "Content-Type", ct) < 0 ||
	    add_hdr(q, "Date", date) < 0 || add_hdr(q, "FSPIOP-Source", src) < 0 ||
	    (dst && add_hdr(q, "FSPIOP-Destination", dst) < 0) || add_hdr(q, "Expect", "") < 0)
		goto oom;
	if (sw->signer && body) {
		char *sig = fspiop_sign(sw->signer, path, method, src, dst, date, body,
					strlen(body), err, errlen);
		if (!sig)
			return -EIO;
		rc = add_hdr(q, "FSPIOP-Signature", sig);
		free(sig);
		if (rc < 0 || add_hdr(q, "FSPIOP-URI", path) < 0 ||
		    add_hdr(q, "FSPIOP-HTTP-Method", method) < 0)
			goto oom;
	}
	CURL *e = curl_easy_init();
	if (!e)
		goto oom;
	q->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)sw->cb_timeout_ms);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_RESOLVE, sw->resolve);
	if (sw->tls_cert)
		curl_easy_setopt(e, CURLOPT_SSLCERT, sw->tls_cert);
	if (sw->tls_key)
		curl_easy_setopt(e, CURLOPT_SSLKEY, sw->tls_key);
	if (sw->tls_ca)
		curl_easy_setopt(e, CURLOPT_CAINFO, sw->tls_ca);
	if (body) {
		if (q->kind == K_PUT)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (q->del) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	q->timer = ev_timer_add(sw->ev, (uint64_t)sw->cb_timeout_ms, on_req_timeout, q);
	if (!q->timer)
		goto oom;
	if (curl_multi_add_handle(sw->multi, e) != CURLM_OK) {
		snprintf(err, errlen, "libcurl refused the request");
		return -EIO;
	}
	/* linked last: from here on the loop owns q */
	q->next = sw->head;
	if (sw->head)
		sw->head->prev = q;
	sw->head = q;
	sw->inflight++;
	sw->sent[q->kind]++;
	LOGD(LC_SWITCH, "request sent", "kind=%s id=%s method=%s path=%s", kind_names[q->kind],
	     q->key, method, path);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return rc == -ENOMEM || rc == 0 ? -ENOMEM : rc;
}

static struct sw_req *req_new(struct switch_conn *sw, enum req_kind kind, enum fspiop_res res,
			      const char *key, switch_cb cb, void *arg, char *err, size_t errlen)
{
	if (sw->inflight >= (size_t)sw->max_inflight) {
		sw->busy++;
		snprintf(err, errlen, "%zu requests wait already ([switch] max_inflight)",
			 sw->inflight);
		return NULL;
	}
	struct sw_req *q = calloc(1, sizeof *q);
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->sw = sw;
	q->kind = kind;
	q->res = res;
	q->cb = cb;
	q->arg = arg;
	snprintf(q->key, sizeof q->key, "%s", key);
	return q;
}

/* Starts q or frees it; maps the errors of req_new (NULL q). */
static int start(struct switch_conn *sw, struct sw_req *q, const char *path, const char *src,
		 const char *dst, char *body, char *err, size_t errlen)
{
	if (!q) {
		free(body);
		return sw->inflight >= (size_t)sw->max_inflight ? -EBUSY : -ENOMEM;
	}
	int rc = send_req(sw, q, path, src, dst, body, err, errlen);
	if (rc < 0)
		req_free(q); /* frees body too (q->body) */
	return rc;
}

int switch_lookup(struct switch_conn *sw, const char *source, const char *type, const char *id,
		  switch_cb cb, void *arg, char *err, size_t errlen)
{
	if (!type)
		type = sw->party_type;
	if (!fspiop_fsp_id_ok(source) || !fspiop_party_type_ok(type) || !fspiop_party_id_ok(id)) {
		snprintf(err, errlen, "%s",
			 !fspiop_fsp_id_ok(source) ? "FSPIOP-Source: 1-32 characters"
			 : !fspiop_party_type_ok(type) ? "Type: not a PartyIdType"
						       : "ID: 1-128 characters, no '/' or '?'");
		return -EINVAL;
	}
	char key[180], path[512];
	snprintf(key, sizeof key, "%s/%s", type, id);
	char *esc = curl_easy_escape(NULL, id, 0);
	if (!esc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(path, sizeof path, "/parties/%s/%s", type, esc);
	curl_free(esc);
	struct sw_req *q = req_new(sw, K_LOOKUP, FSPIOP_PARTIES, key, cb, arg, err, errlen);
	return start(sw, q, path, source, NULL, NULL, err, errlen);
}

static char *dump(json_t *b, char *err, size_t errlen)
{
	char *s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	if (!s)
		snprintf(err, errlen, "out of memory");
	return s;
}

int switch_quote(struct switch_conn *sw, const struct fspiop_quote_req *qr, switch_cb cb,
		 void *arg, char *err, size_t errlen)
{
	if (!qr->payer.fsp_id || !qr->payee.fsp_id) {
		snprintf(err, errlen, "$.%s.partyIdInfo.fspId: needed for the FSPIOP headers",
			 qr->payer.fsp_id ? "payee" : "payer");
		return -EINVAL;
	}
	json_t *b = fspiop_quote_body(qr, err, errlen);
	if (!b)
		return -EINVAL;
	char *body = dump(b, err, errlen);
	if (!body)
		return -ENOMEM;
	struct sw_req *q = req_new(sw, K_QUOTE, FSPIOP_QUOTES, qr->quote_id, cb, arg, err, errlen);
	return start(sw, q, "/quotes", qr->payer.fsp_id, qr->payee.fsp_id, body, err, errlen);
}

int switch_transfer(struct switch_conn *sw, const struct fspiop_transfer_req *t, switch_cb cb,
		    void *arg, char *err, size_t errlen)
{
	json_t *b = fspiop_transfer_body(t, err, errlen);
	if (!b)
		return -EINVAL;
	char *body = dump(b, err, errlen);
	if (!body)
		return -ENOMEM;
	struct sw_req *q =
		req_new(sw, K_TRANSFER, FSPIOP_TRANSFERS, t->transfer_id, cb, arg, err, errlen);
	if (q)
		snprintf(q->condition, sizeof q->condition, "%s", t->condition);
	return start(sw, q, "/transfers", t->payer_fsp, t->payee_fsp, body, err, errlen);
}

int switch_transfer_get(struct switch_conn *sw, const char *source, const char *dest,
			const char *transfer_id, const char *condition, switch_cb cb, void *arg,
			char *err, size_t errlen)
{
	if (!fspiop_uuid_ok(transfer_id) || !fspiop_fsp_id_ok(source) ||
	    (dest && !fspiop_fsp_id_ok(dest)) || (condition && !fspiop_b64url32_ok(condition))) {
		snprintf(err, errlen, "%s",
			 !fspiop_uuid_ok(transfer_id) ? "transferId: not a lowercase UUID"
			 : !fspiop_fsp_id_ok(source)  ? "FSPIOP-Source: 1-32 characters"
			 : condition && !fspiop_b64url32_ok(condition)
				 ? "condition: 43 base64url characters"
				 : "FSPIOP-Destination: 1-32 characters");
		return -EINVAL;
	}
	char path[64];
	snprintf(path, sizeof path, "/transfers/%s", transfer_id);
	struct sw_req *q = req_new(sw, K_GET, FSPIOP_TRANSFERS, transfer_id, cb, arg, err, errlen);
	if (q && condition)
		snprintf(q->condition, sizeof q->condition, "%s", condition);
	return start(sw, q, path, source, dest, NULL, err, errlen);
}

int switch_txreq(struct switch_conn *sw, const struct fspiop_txreq_req *t, switch_cb cb,
		 void *arg, char *err, size_t errlen)
{
	if (!t->payee.fsp_id || !t->payer.fsp_id) {
		snprintf(err, errlen, "$.%s.fspId: needed for the FSPIOP headers",
			 t->payee.fsp_id ? "payer" : "payee.partyIdInfo");
		return -EINVAL;
	}
	json_t *b = fspiop_txreq_body(t, err, errlen);
	if (!b)
		return -EINVAL;
	char *body = dump(b, err, errlen);
	if (!body)
		return -ENOMEM;
	struct sw_req *q = req_new(sw, K_TXREQ, FSPIOP_TXREQUESTS, t->transaction_request_id, cb, arg,
				   err, errlen);
	return start(sw, q, "/transactionRequests", t->payee.fsp_id, t->payer.fsp_id, body, err,
		     errlen);
}

int switch_callback_put(struct switch_conn *sw, enum fspiop_res res, const char *path,
			const char *source, const char *dest, const char *body, switch_cb cb,
			void *arg, char *err, size_t errlen)
{
	if (!path || path[0] != '/' || !fspiop_fsp_id_ok(source) || !fspiop_fsp_id_ok(dest) ||
	    !body) {
		snprintf(err, errlen, "%s",
			 !path || path[0] != '/'    ? "path: must start with '/'"
			 : !fspiop_fsp_id_ok(source) ? "FSPIOP-Source: 1-32 characters"
			 : !fspiop_fsp_id_ok(dest)   ? "FSPIOP-Destination: 1-32 characters"
						     : "body: missing");
		return -EINVAL;
	}
	char *b = strdup(body);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct sw_req *q = req_new(sw, K_PUT, res, path, cb, arg, err, errlen);
	return start(sw, q, path, source, dest, b, err, errlen);
}

int switch_participant(struct switch_conn *sw, int del, const char *source, const char *type,
		       const char *id, const char *currency, switch_cb cb, void *arg, char *err,
		       size_t errlen)
{
	if (!type)
		type = sw->party_type;
	if (!fspiop_fsp_id_ok(source) || !fspiop_party_type_ok(type) || !fspiop_party_id_ok(id) ||
	    (!del && (!currency || fspiop_currency_exponent(currency) < 0))) {
		snprintf(err, errlen, "%s",
			 !fspiop_fsp_id_ok(source) ? "FSPIOP-Source: 1-32 characters"
			 : !fspiop_party_type_ok(type) ? "Type: not a PartyIdType"
			 : !fspiop_party_id_ok(id)     ? "ID: 1-128 characters, no '/' or '?'"
						       : "currency: not a known ISO 4217 code");
		return -EINVAL;
	}
	char key[180], path[512];
	snprintf(key, sizeof key, "%s/%s", type, id);
	char *esc = curl_easy_escape(NULL, id, 0);
	if (!esc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(path, sizeof path, "/participants/%s/%s", type, esc);
	curl_free(esc);
	char *body = NULL;
	if (!del) {
		json_t *b = json_pack("{s:s,s:s}", "fspId", source, "currency", currency);
		if (!b || !(body = dump(b, err, errlen))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	struct sw_req *q = req_new(sw, K_PARTICIPANT, FSPIOP_PARTICIPANTS, key, cb, arg, err, errlen);
	if (q)
		q->del = del;
	return start(sw, q, path, source, NULL, body, err, errlen);
}

int64_t switch_expiration_ms(const struct switch_conn *sw)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + sw->expiry_s * 1000;
}

const char *switch_party_type(const struct switch_conn *sw)
{
	return sw->party_type;
}

const struct switch_link *switch_link(const struct switch_conn *sw)
{
	return &sw->link;
}

size_t switch_inflight(const struct switch_conn *sw)
{
	return sw->inflight;
}

/* ---- callbacks ---- */

/* Answers a callback with the API's error form. */
static void cb_error(struct http_req *r, enum fspiop_res res, unsigned status, int code,
		     const char *desc)
{
	char ct[96];
	fspiop_content_type(res, ct, sizeof ct);
	json_t *b = fspiop_error_body(code, desc);
	char *s = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	http_reply(r, status, ct, s ? s : "", s ? strlen(s) : 0);
	free(s);
}

/* Checks the headers of a callback; answers and returns -1 when bad. */
static int cb_headers(struct http_req *r, enum fspiop_res res, char *src, size_t srclen)
{
	char err[200];
	int rc = fspiop_check_content_type(http_header(r, "Content-Type"), res, err, sizeof err);
	if (rc < 0) {
		cb_error(r, res, rc == -2 ? 406 : 400, rc == -2 ? 3001 : 3101, err);
		return -1;
	}
	const char *s = http_header(r, "FSPIOP-Source");
	if (!s) {
		cb_error(r, res, 400, 3102, "FSPIOP-Source: missing");
		return -1;
	}
	if (!fspiop_fsp_id_ok(s)) {
		cb_error(r, res, 400, 3101, "FSPIOP-Source: 1-32 printable characters expected");
		return -1;
	}
	const char *d = http_header(r, "Date");
	time_t t;
	if (!d) {
		cb_error(r, res, 400, 3102, "Date: missing");
		return -1;
	}
	if (fspiop_date_parse(d, &t, err, sizeof err) < 0) {
		cb_error(r, res, 400, 3101, err);
		return -1;
	}
	snprintf(src, srclen, "%s", s);
	return 0;
}

/* What one callback carries, parsed once for every waiter. */
struct cb_body {
	int is_error;
	int parsed; /* 0 ok, -1 invalid */
	char perr[200];
	struct fspiop_error error;
	struct fspiop_party party;
	struct fspiop_quote quote;
	struct fspiop_transfer transfer;
	struct fspiop_txreq_cb txreq;
	char participant_fsp[33];
};

static void complete(struct switch_conn *sw, struct sw_req *q, struct cb_body *b)
{
	struct switch_result r = { .status = SWITCH_OK };
	if (b->parsed < 0) {
		r.status = SWITCH_INVALID;
		snprintf(r.detail, sizeof r.detail, "invalid callback: %s", b->perr);
	} else if (b->is_error) {
		r.status = SWITCH_ERROR;
		r.error = b->error;
		r.info = fspiop_error_info(b->error.code);
		snprintf(r.detail, sizeof r.detail, "%d %s", b->error.code, b->error.description);
	} else if (q->kind == K_LOOKUP) {
		r.party = &b->party;
	} else if (q->kind == K_QUOTE) {
		r.quote = &b->quote;
	} else if (q->kind == K_TXREQ) {
		r.txreq = &b->txreq;
	} else if (q->kind == K_PARTICIPANT) {
		r.participant_fsp = b->participant_fsp;
	} else {
		r.transfer = &b->transfer;
		const struct fspiop_transfer *t = &b->transfer;
		if (t->state == FSPIOP_COMMITTED && t->fulfilment[0] && q->condition[0]) {
			if (fspiop_fulfilment_ok(t->fulfilment, q->condition) == 1) {
				r.fulfilment_verified = 1;
			} else {
				r.status = SWITCH_INVALID;
				r.transfer = NULL;
				snprintf(r.detail, sizeof r.detail,
					 "fulfilment does not match the condition");
			}
		} else if (t->state == FSPIOP_COMMITTED && q->kind == K_TRANSFER) {
			r.status = SWITCH_INVALID;
			r.transfer = NULL;
			snprintf(r.detail, sizeof r.detail, "COMMITTED without a fulfilment");
		}
	}
	(void)sw;
	req_finish(q, &r);
}

static void on_callback(struct http_req *r, struct gw *gw, enum fspiop_res res, int is_error)
{
	struct switch_conn *sw = gw->sw;
	char src[40];
	if (cb_headers(r, res, src, sizeof src) < 0) {
		if (sw)
			sw->rejected_callbacks++;
		return;
	}
	char key[180];
	if (res == FSPIOP_PARTIES || res == FSPIOP_PARTICIPANTS)
		snprintf(key, sizeof key, "%s/%s", http_param(r, "Type"), http_param(r, "ID"));
	else
		snprintf(key, sizeof key, "%s", http_param(r, "ID"));
	size_t len;
	const char *body = http_body(r, &len);
	struct cb_body *b = calloc(1, sizeof *b);
	if (!b) {
		cb_error(r, res, 500, 2001, "out of memory");
		return;
	}
	b->is_error = is_error;
	if (!body)
		body = "";
	if (is_error)
		b->parsed = fspiop_parse_error(body, len, &b->error, b->perr, sizeof b->perr);
	else if (res == FSPIOP_PARTIES)
		b->parsed = fspiop_parse_party(body, len, &b->party, b->perr, sizeof b->perr);
	else if (res == FSPIOP_QUOTES)
		b->parsed = fspiop_parse_quote(body, len, &b->quote, b->perr, sizeof b->perr);
	else if (res == FSPIOP_TXREQUESTS)
		b->parsed = fspiop_parse_txreq(body, len, &b->txreq, b->perr, sizeof b->perr);
	else if (res == FSPIOP_PARTICIPANTS && len == 0)
		b->parsed = 0; /* a DELETE's callback may come without a body */
	else if (res == FSPIOP_PARTICIPANTS)
		b->parsed = fspiop_parse_participant(body, len, b->participant_fsp, b->perr,
						     sizeof b->perr);
	else
		b->parsed = fspiop_parse_transfer(body, len, &b->transfer, b->perr, sizeof b->perr);
	char q1[300];
	if (b->parsed < 0) {
		LOGW(LC_SWITCH, "invalid callback", "resource=%s id=%s source=%s error=%s",
		     fspiop_res_name(res), key, src, log_q(q1, sizeof q1, b->perr));
		cb_error(r, res, 400, 3100, b->perr);
	} else {
		http_reply(r, 200, NULL, "", 0);
	}
	if (!sw) {
		LOGI(LC_SWITCH, "callback dropped: no switch configured", "resource=%s id=%s",
		     fspiop_res_name(res), key);
		fspiop_quote_clear(&b->quote);
		free(b);
		return;
	}
	sw->callbacks++;
	if (b->parsed < 0)
		sw->rejected_callbacks++;
	link_set(sw, 1, NULL);
	/* Mark every waiter first, then complete the marked ones: a
	 * completion callback may send a new request with the same id (a
	 * retry), which must wait for a callback of its own. */
	uint64_t round = ++sw->round;
	int matched = 0;
	for (struct sw_req *q = sw->head; q; q = q->next)
		if (q->res == res && strcmp(q->key, key) == 0) {
			q->mark = round;
			matched++;
		}
	for (;;) {
		struct sw_req *q = sw->head;
		while (q && q->mark != round)
			q = q->next;
		if (!q)
			break;
		complete(sw, q, b); /* frees q */
	}
	if (!matched) {
		sw->unmatched++;
		LOGI(LC_SWITCH, "callback matches no request", "resource=%s id=%s source=%s error=%d",
		     fspiop_res_name(res), key, src, is_error);
	}
	fspiop_quote_clear(&b->quote);
	free(b);
}

static void h_put_party(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_PARTIES, 0); }
static void h_put_party_err(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_PARTIES, 1); }
static void h_put_quote(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_QUOTES, 0); }
static void h_put_quote_err(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_QUOTES, 1); }
static void h_put_xfer(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_TRANSFERS, 0); }
static void h_put_xfer_err(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_TRANSFERS, 1); }
static void h_put_txr(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_TXREQUESTS, 0); }
static void h_put_txr_err(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_TXREQUESTS, 1); }
static void h_put_ptc(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_PARTICIPANTS, 0); }
static void h_put_ptc_err(struct http_req *r, void *arg) { on_callback(r, arg, FSPIOP_PARTICIPANTS, 1); }

const struct http_route switch_routes[SWITCH_ROUTES] = {
	{ "PUT", "/parties/{Type}/{ID}", h_put_party },
	{ "PUT", "/parties/{Type}/{ID}/error", h_put_party_err },
	{ "PUT", "/quotes/{ID}", h_put_quote },
	{ "PUT", "/quotes/{ID}/error", h_put_quote_err },
	{ "PUT", "/transfers/{ID}", h_put_xfer },
	{ "PUT", "/transfers/{ID}/error", h_put_xfer_err },
	{ "PUT", "/transactionRequests/{ID}", h_put_txr },
	{ "PUT", "/transactionRequests/{ID}/error", h_put_txr_err },
	{ "PUT", "/participants/{Type}/{ID}", h_put_ptc },
	{ "PUT", "/participants/{Type}/{ID}/error", h_put_ptc_err },
};

/* ---- metrics ---- */

void switch_metrics(const struct switch_conn *sw, FILE *f)
{
	fprintf(f, "# HELP tillgate_switch_up 1 while the FSPIOP switch answers, 0 when it does not, "
		   "-1 before the first exchange or when no switch is configured.\n"
		   "# TYPE tillgate_switch_up gauge\n"
		   "tillgate_switch_up %d\n",
		sw ? sw->link.up : -1);
	if (!sw)
		return;
	fprintf(f, "# HELP tillgate_switch_inflight FSPIOP requests waiting for their callback.\n"
		   "# TYPE tillgate_switch_inflight gauge\n"
		   "tillgate_switch_inflight %zu\n",
		sw->inflight);
	const struct {
		const char *name, *help;
		const uint64_t *v;
	} per[] = {
		{ "switch_requests_total", "FSPIOP requests sent, by kind.", sw->sent },
		{ "switch_ok_total", "Requests answered by a valid callback.", sw->ok },
		{ "switch_errors_total", "Requests answered by an FSPIOP error.", sw->errors },
		{ "switch_timeouts_total", "Requests with no callback in time.", sw->timeouts },
		{ "switch_down_total", "Requests that found the link down.", sw->down },
		{ "switch_invalid_total", "Requests answered by an invalid callback.", sw->invalid },
	};
	for (size_t i = 0; i < sizeof per / sizeof per[0]; i++) {
		fprintf(f, "# HELP tillgate_%s %s\n# TYPE tillgate_%s counter\n", per[i].name,
			per[i].help, per[i].name);
		for (int k = 0; k < K__COUNT; k++)
			fprintf(f, "tillgate_%s{kind=\"%s\"} %llu\n", per[i].name, kind_names[k],
				(unsigned long long)per[i].v[k]);
	}
	const struct {
		const char *name, *help;
		uint64_t v;
	} m[] = {
		{ "switch_callbacks_total", "FSPIOP callbacks received.", sw->callbacks },
		{ "switch_callbacks_unmatched_total", "Callbacks no request waited for (late ones).",
		  sw->unmatched },
		{ "switch_callbacks_rejected_total", "Callbacks refused (headers or body).",
		  sw->rejected_callbacks },
		{ "switch_busy_total", "Requests refused at max_inflight.", sw->busy },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		fprintf(f, "# HELP tillgate_%s %s\n# TYPE tillgate_%s counter\ntillgate_%s %llu\n",
			m[i].name, m[i].help, m[i].name, m[i].name, (unsigned long long)m[i].v);
}
