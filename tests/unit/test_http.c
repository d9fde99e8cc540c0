/* test_http.c -- the HTTP server in the event loop, spoken to over a real
 * loopback socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/ev.h"
#include "gateway/http.h"

static void h_hello(struct http_req *r, void *arg)
{
	(void)arg;
	const char *who = http_query(r, "who");
	const char *hdr = http_header(r, "x-test");
	char buf[128];
	int n = snprintf(buf, sizeof buf, "hello %s %s %s", who ? who : "-", hdr ? hdr : "-",
			 http_path(r));
	http_add_header(r, "X-Reply", "yes");
	http_reply(r, 200, "text/plain", buf, (size_t)n);
}

static void h_action(struct http_req *r, void *arg)
{
	(void)arg;
	json_t *j = json_pack("{s:s,s:s}", "id", http_param(r, "id"), "action",
			      http_param(r, "action"));
	http_reply_json(r, 200, j);
}

static void h_echo(struct http_req *r, void *arg)
{
	(void)arg;
	json_t *j = http_json_body(r);
	if (!j)
		return;
	http_reply_json(r, 201, j);
}

static void h_silent(struct http_req *r, void *arg)
{
	(void)r;
	(void)arg;
}

/* The request parked by /park (suspended, answered by the test). */
static struct http_req *parked;
static int parked_gone;

static void on_parked_gone(void *arg)
{
	assert_ptr_equal(arg, &parked);
	parked_gone++;
	parked = NULL;
}

static void h_park(struct http_req *r, void *arg)
{
	(void)arg;
	assert_int_equal(http_suspend(r, on_parked_gone, &parked), 0);
	assert_int_equal(http_suspend(r, NULL, NULL), -EALREADY);
	parked = r;
}

/* Suspends, then answers and resumes before returning all the same. */
static void h_park_now(struct http_req *r, void *arg)
{
	(void)arg;
	assert_int_equal(http_suspend(r, on_parked_gone, &parked), 0);
	http_reply(r, 202, "text/plain", "at once", 7);
	http_resume(r);
}

/* Answers the parked request from inside another request's handler, as
 * an FSPIOP callback does for a USSD request waiting on its payment. */
static void h_unpark(struct http_req *r, void *arg)
{
	(void)arg;
	struct http_req *p = parked;
	assert_non_null(p);
	parked = NULL;
	http_reply(p, 200, "text/plain", "unparked", 8);
	http_resume(p);
	http_reply(r, 200, "text/plain", "done", 4);
}

static const struct http_route routes[] = {
	{ "GET", "/park", h_park },
	{ "GET", "/unpark", h_unpark },
	{ "GET", "/park-now", h_park_now },
	{ "GET", "/hello", h_hello },
	{ "GET", "/v1/merchants/{id}/{action}", h_action },
	{ "POST", "/v1/merchants/{id}/{action}", h_action },
	{ "POST", "/echo", h_echo },
	{ "GET", "/silent", h_silent },
};

struct fixture {
	struct ev *ev;
	struct http *h;
};

static int setup(void **state)
{
	static struct fixture f;
	char err[200];
	struct http_limits lim = { .max_body = 1024, .max_conns = 16, .timeout_s = 5 };
	f.ev = ev_new(err, sizeof err);
	assert_non_null(f.ev);
	f.h = http_new(f.ev, "127.0.0.1:0", routes, sizeof routes / sizeof routes[0], NULL, &lim,
		       err, sizeof err);
	if (!f.h)
		fail_msg("http_new: %s", err);
	assert_true(http_port(f.h) > 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	http_free(f->h);
	ev_free(f->ev);
	return 0;
}

/* Sends raw over a new connection and pumps the loop until the server
 * closes it; returns the whole response (owned). */
static char *exchange(struct fixture *f, const char *raw, size_t rawlen)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)http_port(f->h)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(fcntl(s, F_SETFL, O_NONBLOCK), 0);
	size_t sent = 0, len = 0, cap = 4096;
	char *out = malloc(cap);
	assert_non_null(out);
	for (int rounds = 0; rounds < 2000; rounds++) {
		if (sent < rawlen) {
			ssize_t n = send(s, raw + sent, rawlen - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = rawlen; /* the server closed early (413) */
		}
		assert_true(ev_run_once(f->ev, 5) >= 0);
		ssize_t n = recv(s, out + len, cap - len - 1, 0);
		if (n == 0)
			break;
		if (n > 0) {
			len += (size_t)n;
			if (cap - len < 1024) {
				cap *= 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
		}
	}
	close(s);
	out[len] = '\0';
	return out;
}

static char *get(struct fixture *f, const char *req)
{
	return exchange(f, req, strlen(req));
}

static void assert_has(const char *resp, const char *want)
{
	if (!strstr(resp, want))
		fail_msg("response lacks \"%s\":\n%s", want, resp);
}

static void test_route_query_header(void **state)
{
	char *r = get(*state, "GET /hello?who=ada HTTP/1.1\r\nHost: x\r\nX-Test: 42\r\n"
			      "Connection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 200");
	assert_has(r, "X-Reply: yes");
	assert_has(r, "hello ada 42 /hello");
	free(r);
}

static void test_params(void **state)
{
	char *r = get(*state, "POST /v1/merchants/10000042/approve HTTP/1.1\r\nHost: x\r\n"
			      "Content-Length: 0\r\nConnection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 200");
	assert_has(r, "{\"id\":\"10000042\",\"action\":\"approve\"}");
	free(r);
}

static void test_not_found_and_method(void **state)
{
	char *r = get(*state, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 404");
	assert_has(r, "Content-Type: application/problem+json");
	assert_has(r, "\"code\":\"not_found\"");
	free(r);
	/* a {param} never matches an empty segment */
	r = get(*state, "GET /v1/merchants//approve HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 404");
	free(r);
	r = get(*state, "DELETE /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 405");
	assert_has(r, "Allow: GET");
	assert_has(r, "\"code\":\"method_not_allowed\"");
	free(r);
}

static void test_json_body(void **state)
{
	char *r = get(*state, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			      "Content-Length: 13\r\nConnection: close\r\n\r\n{\"a\":[1,\"b\"]}");
	assert_has(r, "HTTP/1.1 201");
	assert_has(r, "{\"a\":[1,\"b\"]}");
	free(r);
	r = get(*state, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			"Content-Length: 9\r\nConnection: close\r\n\r\n{\"a\":1,}x");
	assert_has(r, "HTTP/1.1 400");
	assert_has(r, "\"code\":\"malformed_json\"");
	assert_has(r, "line 1 column 8 (position 8)");
	free(r);
	r = get(*state, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			"Content-Length: 7\r\nConnection: close\r\n\r\n[1,2,3]");
	assert_has(r, "HTTP/1.1 400");
	assert_has(r, "must be a JSON object");
	free(r);
	r = get(*state, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
			"Content-Length: 2\r\nConnection: close\r\n\r\n{}");
	assert_has(r, "HTTP/1.1 415");
	free(r);
}

static void test_body_limit(void **state)
{
	/* declared over the limit: refused before the body is read */
	char *r = get(*state, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			      "Content-Length: 5000\r\nConnection: close\r\n\r\n{");
	assert_has(r, "HTTP/1.1 413");
	assert_has(r, "\"code\":\"payload_too_large\"");
	free(r);
	/* chunked, so only counting finds it */
	char big[4096];
	int n = snprintf(big, sizeof big, "POST /echo HTTP/1.1\r\nHost: x\r\n"
			 "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
			 "Connection: close\r\n\r\n800\r\n");
	memset(big + n, ' ', 0x800);
	n += 0x800;
	n += snprintf(big + n, sizeof big - (size_t)n, "\r\n0\r\n\r\n");
	r = exchange(*state, big, (size_t)n);
	assert_has(r, "HTTP/1.1 413");
	free(r);
	/* exactly at the limit is fine */
	char ok[2048];
	n = snprintf(ok, sizeof ok, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		     "Content-Length: 1024\r\nConnection: close\r\n\r\n{}");
	memset(ok + n, ' ', 1022);
	r = exchange(*state, ok, (size_t)n + 1022);
	assert_has(r, "HTTP/1.1 201");
	free(r);
}

static void test_handler_without_answer(void **state)
{
	char *r = get(*state, "GET /silent HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 500");
	free(r);
}

/* Connects and sends req; returns the socket (non-blocking). */
static int send_req(struct http *h, const char *req)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)http_port(h)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(send(s, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	assert_int_equal(fcntl(s, F_SETFL, O_NONBLOCK), 0);
	return s;
}

/* Pumps the loop until a request is parked. */
static void wait_parked(struct ev *ev)
{
	for (int i = 0; i < 2000 && !parked; i++)
		assert_true(ev_run_once(ev, 5) >= 0);
	assert_non_null(parked);
}

static void test_suspend_resume(void **state)
{
	struct fixture *f = *state;
	parked = NULL;
	parked_gone = 0;
	int s = send_req(f->h, "GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	wait_parked(f->ev);
	/* Other requests are served while one waits, and it stays silent. */
	char *r = get(f, "GET /hello?who=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "hello b");
	free(r);
	char buf[4096];
	assert_int_equal(recv(s, buf, sizeof buf, 0), -1);
	assert_int_equal(errno, EAGAIN);
	/* The answer given later leaves on resume. */
	struct http_req *p = parked;
	parked = NULL;
	http_reply(p, 200, "text/plain", "later ok", 8);
	http_resume(p);
	size_t len = 0;
	for (int i = 0; i < 2000; i++) {
		assert_true(ev_run_once(f->ev, 5) >= 0);
		ssize_t n = recv(s, buf + len, sizeof buf - len - 1, 0);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
	}
	buf[len] = '\0';
	close(s);
	assert_has(buf, "HTTP/1.1 200");
	assert_has(buf, "later ok");
	assert_int_equal(parked_gone, 0);
	r = get(f, "GET /park-now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "HTTP/1.1 202");
	assert_has(r, "at once");
	free(r);
	assert_int_equal(parked_gone, 0);
	/* Resumed from inside another request's handler: it leaves too. */
	s = send_req(f->h, "GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	wait_parked(f->ev);
	r = get(f, "GET /unpark HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_has(r, "done");
	free(r);
	len = 0;
	for (int i = 0; i < 2000; i++) {
		assert_true(ev_run_once(f->ev, 5) >= 0);
		ssize_t n = recv(s, buf + len, sizeof buf - len - 1, 0);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
	}
	buf[len] = '\0';
	close(s);
	assert_has(buf, "HTTP/1.1 200");
	assert_has(buf, "unparked");
}

/* A server freed with a request suspended tells its owner. */
static void test_suspend_gone(void **state)
{
	(void)state;
	char err[200];
	struct http_limits lim = { .max_body = 1024, .max_conns = 16, .timeout_s = 5 };
	struct ev *ev = ev_new(err, sizeof err);
	assert_non_null(ev);
	struct http *h = http_new(ev, "127.0.0.1:0", routes, sizeof routes / sizeof routes[0], NULL,
				  &lim, err, sizeof err);
	assert_non_null(h);
	parked = NULL;
	parked_gone = 0;
	int s = send_req(h, "GET /park HTTP/1.1\r\nHost: x\r\n\r\n");
	wait_parked(ev);
	http_free(h);
	assert_int_equal(parked_gone, 1);
	assert_null(parked);
	close(s);
	ev_free(ev);
}

static void test_bad_listen(void **state)
{
	(void)state;
	char err[200];
	struct http_limits lim = { 1024, 4, 5 };
	struct ev *ev = ev_new(err, sizeof err);
	static const char *const bad[] = { "1.2.3.4", "1.2.3.4:99999", "[::1:80", ":80",
					   "1.2.3.4:x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(http_new(ev, bad[i], routes, 1, NULL, &lim, err, sizeof err));
		assert_non_null(strstr(err, bad[i]));
	}
	struct http *h = http_new(ev, "[::1]:0", routes, 1, NULL, &lim, err, sizeof err);
	if (h) /* where IPv6 loopback exists */
		http_free(h);
	/* a name is resolved (from /etc/hosts: no network needed) */
	h = http_new(ev, "localhost:0", routes, 1, NULL, &lim, err, sizeof err);
	if (!h)
		fail_msg("localhost:0: %s", err);
	assert_true(http_port(h) > 0);
	http_free(h);
	ev_free(ev);
}

/* If-Match against the current tag "v3": RFC 9110 13.1.1 with strong
 * comparison, and the offset of the first bad byte. */
static void test_etag_match(void **state)
{
	(void)state;
	size_t bad = 99;
	assert_int_equal(http_etag_match("\"v3\"", "\"v3\"", NULL), 1);
	assert_int_equal(http_etag_match(" * ", "\"v3\"", NULL), 1);
	assert_int_equal(http_etag_match("\"v1\", \"v3\"", "\"v3\"", NULL), 1);
	assert_int_equal(http_etag_match(",\"v1\" ,, \"v3\",", "\"v3\"", NULL), 1);
	assert_int_equal(http_etag_match("\"v2\"", "\"v3\"", NULL), 0);
	assert_int_equal(http_etag_match("\"v33\"", "\"v3\"", NULL), 0);
	assert_int_equal(http_etag_match("W/\"v3\"", "\"v3\"", NULL), 0);
	assert_int_equal(http_etag_match("v3", "\"v3\"", &bad), -1);
	assert_int_equal(bad, 0);
	assert_int_equal(http_etag_match("\"v1\" \"v3\"", "\"v3\"", &bad), -1);
	assert_int_equal(bad, 5);
	assert_int_equal(http_etag_match("\"v3", "\"v3\"", &bad), -1);
	assert_int_equal(bad, 3);
	assert_int_equal(http_etag_match("\"v 3\"", "\"v3\"", &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(http_etag_match("*, \"v3\"", "\"v3\"", &bad), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(http_etag_match(" , ", "\"v3\"", &bad), -1);
	assert_int_equal(http_etag_match("", "\"v3\"", &bad), -1);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_query_header),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_not_found_and_method),
		cmocka_unit_test(test_json_body),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_handler_without_answer),
		cmocka_unit_test(test_suspend_resume),
		cmocka_unit_test(test_suspend_gone),
		cmocka_unit_test(test_bad_listen),
		cmocka_unit_test(test_etag_match),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
