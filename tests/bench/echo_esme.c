/* echo_esme.c -- the benchmark's baseline: a trivial SMPP ESME in C on
 * Tillgate's own PDU code (ussd/smpp_pdu.h) that binds as a transceiver
 * and answers each deliver_sm with deliver_sm_resp and a submit_sm op 17
 * echoing the text and its_session_info (end-of-session bit set). No
 * sessions, no database, one blocking socket: what the gateway is
 * compared with in tests/bench/ussd.sh.
 *
 *   echo_esme HOST PORT
 *
 * Runs until the SMSC closes the connection; exits 0 then, 1 on an
 * error. */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ussd/smpp_pdu.h"

static int fd = -1;
static uint32_t seq;

static int put(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static uint32_t next_seq(void)
{
	seq = seq >= 0x7FFFFFFFu ? 1 : seq + 1;
	return seq;
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char err[256];
	uint8_t out[2048];
	size_t len = 0;
	int one = 1, n;

	if (argc != 3) {
		fprintf(stderr, "usage: echo_esme HOST PORT\n");
		return 2;
	}
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		return 1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		perror("echo_esme: connect");
		return 1;
	}
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	n = smpp_pdu_pack_bind(out, sizeof out, next_seq(), "echo", "", "", err, sizeof err);
	if (n < 0 || put(out, (size_t)n) < 0)
		return 1;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - len);
		if (r <= 0)
			return r == 0 ? 0 : 1;
		len += (size_t)r;
		size_t off = 0;
		for (;;) {
			struct smpp_hdr h;
			struct smpp_in in;
			uint32_t ans;
			int f = smpp_pdu_frame(buf + off, len - off, SMPP_PDU_MAX_DEFAULT, &h, err, sizeof err);
			if (f == -2)
				break;
			if (f < 0) {
				fprintf(stderr, "echo_esme: %s\n", err);
				return 1;
			}
			if (smpp_pdu_decode(buf + off, (size_t)f, &in, &ans, err, sizeof err) == 0) {
				size_t o = 0;
				if (in.h.id == SMPP_DELIVER_SM) {
					n = smpp_pdu_pack_deliver_resp(out, sizeof out, in.h.seq, 0, err, sizeof err);
					o = n > 0 ? (size_t)n : 0;
					struct smpp_submit s = {
						.source_addr = in.destination_addr, .dest_addr = in.source_addr,
						.data_coding = in.data_coding, .text = in.text,
						.text_len = in.text_len < 160 ? in.text_len : 160,
						.ussd_op = SMPP_USSD_PSSR_RESP, .has_session = in.has_session,
						.session = (uint16_t)(in.session | 1u), .has_umr = in.has_umr,
						.umr = in.umr,
					};
					n = smpp_pdu_pack_submit(out + o, sizeof out - o, next_seq(), &s, err,
								 sizeof err);
					o += n > 0 ? (size_t)n : 0;
				} else if (in.h.id == SMPP_ENQUIRE_LINK) {
					n = smpp_pdu_pack_header(out, sizeof out, SMPP_ENQUIRE_LINK_RESP, 0,
								 in.h.seq, err, sizeof err);
					o = n > 0 ? (size_t)n : 0;
				} else if (in.h.id == SMPP_UNBIND) {
					n = smpp_pdu_pack_header(out, sizeof out, SMPP_UNBIND_RESP, 0, in.h.seq,
								 err, sizeof err);
					put(out, (size_t)n);
					return 0;
				}
				if (o && put(out, o) < 0) /* resp and reply in one write */
					return 1;
			}
			off += (size_t)f;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
}
