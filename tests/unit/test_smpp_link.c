/* test_smpp_link.c -- unit tests of the ESME link (ussd/smpp_link.c)
 * against a peer played in-process on a local listening socket, on the
 * same event loop: bind, the window, out-of-order responses, response
 * timeouts, ESME_RTHROTTLED, a deliver_sm split into single bytes and
 * two PDUs in one write, deliver_sm_resp before the handler's reply, a
 * drop and the reconnect, and unbind on stop. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/ev.h"
#include "ussd/smpp_link.h"
#include "ussd/smpp_pdu.h"

struct peer {
	int lfd, fd;
	uint8_t buf[16384];
	size_t len;
};

static struct ev *ev;
static struct peer P;
static struct smpp_link *L;
static int port;

/* what the handlers saw */
static int delivers;
static struct smpp_in last_in;
static int reply_on_deliver;
static int results, last_rc;
static uint32_t last_status;
static char last_mid[65];

static uint32_t on_deliver(void *arg, const struct smpp_in *in)
{
	(void)arg;
	delivers++;
	last_in = *in;
	if (reply_on_deliver) {
		struct smpp_submit s = { .source_addr = "*384#", .dest_addr = in->source_addr,
					 .text = (const uint8_t *)"bye", .text_len = 3, .ussd_op = 17 };
		assert_int_equal(smpp_link_submit(L, &s, 0, NULL, NULL), 0);
	}
	return SMPP_ROK;
}

static void on_result(void *arg, int rc, uint32_t status, const char *mid)
{
	(void)arg;
	results++;
	last_rc = rc;
	last_status = status;
	snprintf(last_mid, sizeof last_mid, "%s", mid);
}

/* Runs the loop until cond() or about 5 s of rounds; fails the test if
 * cond never holds (a safety net, not a timing assertion). */
#define SPIN(cond)                                                  \
	do {                                                        \
		int i_;                                             \
		for (i_ = 0; i_ < 500 && !(cond); i_++)             \
			ev_run_once(ev, 10);                        \
		assert_true(cond);                                  \
	} while (0)

static int peer_accept(void)
{
	if (P.fd >= 0)
		return 1;
	P.fd = accept4(P.lfd, NULL, NULL, SOCK_NONBLOCK);
	P.len = 0;
	return P.fd >= 0;
}

/* One whole PDU from the link into out (returns its length). */
static size_t peer_read(uint8_t *out, struct smpp_hdr *h)
{
	for (int i = 0; i < 500; i++) {
		char err[100];
		int r = smpp_pdu_frame(P.buf, P.len, 8192, h, err, sizeof err);
		if (r > 0) {
			memcpy(out, P.buf, (size_t)r);
			memmove(P.buf, P.buf + r, P.len - (size_t)r);
			P.len -= (size_t)r;
			return (size_t)r;
		}
		ev_run_once(ev, 10);
		ssize_t n = recv(P.fd, P.buf + P.len, sizeof P.buf - P.len, MSG_DONTWAIT);
		if (n > 0)
			P.len += (size_t)n;
	}
	fail_msg("no PDU from the link");
	return 0;
}

static void peer_send(const uint8_t *p, size_t n)
{
	assert_int_equal(send(P.fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void peer_header(uint32_t id, uint32_t status, uint32_t seq)
{
	uint8_t b[16];
	smpp_pdu_pack_header(b, sizeof b, id, status, seq, NULL, 0);
	peer_send(b, 16);
}

static void peer_submit_resp(uint32_t seq, uint32_t status, const char *mid)
{
	uint8_t b[100];
	size_t n = strlen(mid) + 1;
	smpp_pdu_pack_header(b, sizeof b, SMPP_SUBMIT_SM_RESP, status, seq, NULL, 0);
	memcpy(b + 16, mid, n);
	b[3] = (uint8_t)(16 + n);
	peer_send(b, 16 + n);
}

/* Accepts the link's connection and answers its bind. */
static void bind_ok(void)
{
	uint8_t b[8192];
	struct smpp_hdr h;

	SPIN(peer_accept());
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_BIND_TRANSCEIVER);
	uint8_t r[32];
	smpp_pdu_pack_header(r, sizeof r, SMPP_BIND_TRANSCEIVER_RESP, 0, h.seq, NULL, 0);
	memcpy(r + 16, "PEER", 5);
	r[3] = 21;
	peer_send(r, 21);
	SPIN(smpp_link_state(L) == SMPP_LINK_BOUND);
}

static int setup(void **state)
{
	char err[200];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;

	(void)state;
	delivers = results = reply_on_deliver = 0;
	if (!(ev = ev_new(err, sizeof err)))
		return -1;
	P.fd = -1;
	P.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (P.lfd < 0 || bind(P.lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(P.lfd, 4) < 0 ||
	    getsockname(P.lfd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	port = ntohs(a.sin_port);
	struct smpp_link_opts o = {
		.host = "127.0.0.1", .port = port, .system_id = "tg", .password = "pw",
		.system_type = "", .window = 2, .enquire_link_ms = 60000,
		.response_timeout_ms = 300, .reconnect_min_ms = 10, .reconnect_max_ms = 20,
		.throttle_ms = 50,
	};
	struct smpp_link_handlers h = { on_deliver, NULL, NULL };
	if (smpp_link_new(&L, ev, &o, &h, err, sizeof err) < 0)
		return -1;
	smpp_link_start(L);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	smpp_link_free(L);
	L = NULL;
	if (P.fd >= 0)
		close(P.fd);
	close(P.lfd);
	ev_free(ev);
	return 0;
}

static const struct smpp_submit sms = { .source_addr = "Tillgate", .dest_addr = "255700000001",
					 .text = (const uint8_t *)"hi", .text_len = 2, .ussd_op = -1 };

static void window_and_out_of_order(void **state)
{
	uint8_t b[8192];
	struct smpp_hdr h1, h2, h3;
	(void)state;

	assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), -ENOTCONN);
	bind_ok();
	for (int i = 0; i < 3; i++)
		assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), 0);
	assert_int_equal(smpp_link_pending(L), 3);
	peer_read(b, &h1);
	peer_read(b, &h2);
	assert_int_equal(h1.id, SMPP_SUBMIT_SM);
	assert_true(h1.seq != h2.seq && h1.seq >= 1 && h2.seq >= 1);
	/* window 2: the third waits */
	for (int i = 0; i < 20; i++)
		ev_run_once(ev, 5);
	ssize_t n = recv(P.fd, b, sizeof b, MSG_DONTWAIT);
	assert_true(n < 0 && P.len == 0);
	/* answered out of order; the third goes when room opens */
	peer_submit_resp(h2.seq, 0, "second");
	SPIN(results == 1);
	assert_int_equal(last_rc, 0);
	assert_string_equal(last_mid, "second");
	peer_read(b, &h3);
	assert_true(h3.seq != h1.seq && h3.seq != h2.seq);
	peer_submit_resp(h1.seq, 0, "first");
	peer_submit_resp(h3.seq, 0x45, "");
	SPIN(results == 3);
	assert_int_equal(last_rc, 0);
	assert_int_equal(last_status, 0x45);
	assert_int_equal(smpp_link_pending(L), 0);
	/* a response to nothing is ignored */
	peer_submit_resp(0x1234, 0, "stray");
	for (int i = 0; i < 10; i++)
		ev_run_once(ev, 5);
	assert_int_equal(results, 3);
	assert_int_equal(smpp_link_stats(L)->submit_ok, 2);
}

static void timeout_and_throttle(void **state)
{
	uint8_t b[8192];
	struct smpp_hdr h, h2;
	(void)state;

	bind_ok();
	assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), 0);
	peer_read(b, &h);
	SPIN(results == 1); /* never answered: response timeout */
	assert_int_equal(last_rc, -ETIMEDOUT);
	assert_int_equal(smpp_link_state(L), SMPP_LINK_BOUND);

	assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), 0);
	peer_read(b, &h);
	peer_submit_resp(h.seq, SMPP_RTHROTTLED, "");
	peer_read(b, &h2); /* sent again after the pause, with a new seq */
	assert_int_equal(h2.id, SMPP_SUBMIT_SM);
	assert_true(h2.seq != h.seq);
	assert_int_equal(results, 1); /* not reported: retried */
	peer_submit_resp(h2.seq, 0, "ok");
	SPIN(results == 2);
	assert_int_equal(last_rc, 0);
	assert_string_equal(last_mid, "ok");
	assert_int_equal(smpp_link_stats(L)->throttled, 1);
}

static void deliver_framing(void **state)
{
	uint8_t pdu[256], b[8192], two[512];
	struct smpp_hdr h;
	char err[100];
	(void)state;

	bind_ok();
	/* a deliver_sm, built as a submit_sm and relabelled */
	struct smpp_submit d = { .source_addr = "255700000002", .dest_addr = "*384#",
				 .text = (const uint8_t *)"*384#", .text_len = 5, .ussd_op = 1,
				 .has_session = 1, .session = 0x0500 };
	int n = smpp_pdu_pack_submit(pdu, sizeof pdu, 77, &d, err, sizeof err);
	assert_true(n > 0);
	pdu[7] = (uint8_t)SMPP_DELIVER_SM;
	/* one byte at a time */
	for (int i = 0; i < n; i++) {
		peer_send(pdu + i, 1);
		ev_run_once(ev, 0);
	}
	SPIN(delivers == 1);
	assert_string_equal(last_in.source_addr, "255700000002");
	assert_int_equal(last_in.ussd_op, 1);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_DELIVER_SM_RESP);
	assert_int_equal(h.seq, 77);
	assert_int_equal(h.status, 0);
	/* two in one write; the handler replies: resp first, then its submit */
	reply_on_deliver = 1;
	memcpy(two, pdu, (size_t)n);
	memcpy(two + n, pdu, (size_t)n);
	two[n + 15] = 78;
	peer_send(two, 2 * (size_t)n);
	SPIN(delivers == 3);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_DELIVER_SM_RESP);
	assert_int_equal(h.seq, 77);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_SUBMIT_SM);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_DELIVER_SM_RESP);
	assert_int_equal(h.seq, 78);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_SUBMIT_SM);
	/* an unknown command gets generic_nack ESME_RINVCMDID, link stays */
	peer_header(0x00000103, 0, 90);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_GENERIC_NACK);
	assert_int_equal(h.status, SMPP_RINVCMDID);
	assert_int_equal(h.seq, 90);
	/* enquire_link is answered */
	peer_header(SMPP_ENQUIRE_LINK, 0, 91);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_ENQUIRE_LINK_RESP);
	assert_int_equal(smpp_link_state(L), SMPP_LINK_BOUND);
	assert_int_equal(smpp_link_stats(L)->malformed, 1);
}

static void drop_and_reconnect(void **state)
{
	uint8_t b[8192];
	struct smpp_hdr h;
	(void)state;

	bind_ok();
	assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), 0);
	peer_read(b, &h);
	close(P.fd);
	P.fd = -1;
	SPIN(results == 1);
	assert_int_equal(last_rc, -ECONNRESET); /* written, never answered */
	SPIN(smpp_link_state(L) != SMPP_LINK_BOUND);
	bind_ok(); /* it comes back by itself */
	assert_int_equal(smpp_link_stats(L)->binds, 2);
	/* a command_length below 16 cannot be skipped: the link drops */
	uint8_t bad[16] = { 0, 0, 0, 8 };
	peer_send(bad, sizeof bad);
	SPIN(smpp_link_state(L) != SMPP_LINK_BOUND);
	close(P.fd);
	P.fd = -1;
	bind_ok();
	/* nor can one of 1 MiB */
	uint8_t huge[16] = { 0, 0x10, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9 };
	peer_send(huge, sizeof huge);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_GENERIC_NACK);
	assert_int_equal(h.status, SMPP_RINVCMDLEN);
	SPIN(smpp_link_state(L) != SMPP_LINK_BOUND);
	close(P.fd);
	P.fd = -1;
	bind_ok();
	assert_int_equal(smpp_link_stats(L)->binds, 4);
}

static void stop_unbinds(void **state)
{
	uint8_t b[8192];
	struct smpp_hdr h;
	(void)state;

	bind_ok();
	assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), 0);
	peer_read(b, &h);
	smpp_link_stop(L);
	assert_int_equal(smpp_link_submit(L, &sms, 0, on_result, NULL), -ESHUTDOWN);
	assert_int_equal(smpp_link_state(L), SMPP_LINK_UNBINDING);
	/* the request in flight is answered first (drain), then unbind */
	peer_submit_resp(h.seq, 0, "last");
	SPIN(results == 1);
	peer_read(b, &h);
	assert_int_equal(h.id, SMPP_UNBIND);
	peer_header(SMPP_UNBIND_RESP, 0, h.seq);
	SPIN(smpp_link_state(L) == SMPP_LINK_STOPPED);
}

static void seq_wraps(void **state)
{
	(void)state;
	assert_int_equal(smpp_link_seq_next(0), 1);
	assert_int_equal(smpp_link_seq_next(1), 2);
	assert_int_equal(smpp_link_seq_next(0x7FFFFFFEu), 0x7FFFFFFFu);
	assert_int_equal(smpp_link_seq_next(0x7FFFFFFFu), 1);
	assert_int_equal(smpp_link_seq_next(0xFFFFFFFFu), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seq_wraps),
		cmocka_unit_test_setup_teardown(window_and_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_and_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(deliver_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(drop_and_reconnect, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_unbinds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
