/* test_smpp_pdu.c -- unit tests of SMPP framing, decoding, packing and
 * traces (ussd/smpp_pdu.c): every libsmpp34 pitfall the ESME must get
 * around (header-only error responses, sequence number 0, unknown
 * commands, over-long and truncated PDUs, unknown TLVs, sm_length
 * limits), round trips through our own decoder, and redaction. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ussd/smpp_pdu.h"

/* ---- a hand-made PDU builder, independent of smpp_pdu.c ---- */

struct b {
	uint8_t p[4096];
	size_t n;
};

static void u8(struct b *b, uint8_t v)
{
	b->p[b->n++] = v;
}

static void u16(struct b *b, uint16_t v)
{
	u8(b, (uint8_t)(v >> 8));
	u8(b, (uint8_t)v);
}

static void u32(struct b *b, uint32_t v)
{
	u16(b, (uint16_t)(v >> 16));
	u16(b, (uint16_t)v);
}

static void cstr(struct b *b, const char *s)
{
	size_t n = strlen(s) + 1;
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void hdr(struct b *b, uint32_t id, uint32_t status, uint32_t seq)
{
	b->n = 0;
	u32(b, 0); /* length patched by done() */
	u32(b, id);
	u32(b, status);
	u32(b, seq);
}

static void done(struct b *b)
{
	size_t n = b->n;
	b->p[0] = (uint8_t)(n >> 24), b->p[1] = (uint8_t)(n >> 16);
	b->p[2] = (uint8_t)(n >> 8), b->p[3] = (uint8_t)n;
}

/* deliver_sm up to and including short_message (no TLVs yet). */
static void deliver(struct b *b, uint32_t seq, const char *src, const char *text, uint8_t dcs)
{
	hdr(b, SMPP_DELIVER_SM, 0, seq);
	cstr(b, "USSD");
	u8(b, 1), u8(b, 1);
	cstr(b, src);
	u8(b, 0), u8(b, 0);
	cstr(b, "*384#");
	u8(b, 0), u8(b, 0), u8(b, 0); /* esm_class, protocol_id, priority */
	cstr(b, ""), cstr(b, "");
	u8(b, 0), u8(b, 0), u8(b, dcs), u8(b, 0);
	u8(b, (uint8_t)strlen(text));
	memcpy(b->p + b->n, text, strlen(text));
	b->n += strlen(text);
}

static void tlv8(struct b *b, uint16_t tag, uint8_t v)
{
	u16(b, tag), u16(b, 1), u8(b, v);
}

static void tlv16(struct b *b, uint16_t tag, uint16_t v)
{
	u16(b, tag), u16(b, 2), u16(b, v);
}

/* ---- framing ---- */

static void frame(void **state)
{
	struct b b;
	struct smpp_hdr h;
	char err[200];
	(void)state;

	hdr(&b, SMPP_ENQUIRE_LINK, 0, 7);
	done(&b);
	assert_int_equal(smpp_pdu_frame(b.p, b.n, 4096, &h, err, sizeof err), 16);
	assert_int_equal(h.id, SMPP_ENQUIRE_LINK);
	assert_int_equal(h.seq, 7);
	/* every strict prefix is partial */
	for (size_t i = 0; i < b.n; i++)
		assert_int_equal(smpp_pdu_frame(b.p, i, 4096, &h, err, sizeof err), -2);
	/* command_length below 16 and above the limit */
	b.p[3] = 15;
	assert_int_equal(smpp_pdu_frame(b.p, b.n, 4096, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "command_length 15 at offset 0"));
	b.p[2] = 0x10, b.p[3] = 0x01; /* 4097 */
	assert_int_equal(smpp_pdu_frame(b.p, b.n, 4096, &h, err, sizeof err), -1);
	assert_non_null(strstr(err, "command_length 4097"));
	b.p[2] = 0x10, b.p[3] = 0x00; /* 4096: accepted, but partial */
	assert_int_equal(smpp_pdu_frame(b.p, b.n, 4096, &h, err, sizeof err), -2);
}

/* ---- decoding ---- */

static void header_only_error_resp(void **state)
{
	struct b b;
	struct smpp_in in;
	uint32_t ans;
	char err[200];
	(void)state;

	/* bind refused with no body (libsmpp34 alone cannot unpack it) */
	hdr(&b, SMPP_BIND_TRANSCEIVER_RESP, 0x0E, 1);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.h.status, 0x0E);
	/* a vendor status libsmpp34 does not know, in a submit_sm_resp */
	hdr(&b, SMPP_SUBMIT_SM_RESP, 0x401, 9);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.h.status, 0x401);
	/* a good one, with a body */
	hdr(&b, SMPP_SUBMIT_SM_RESP, 0, 10);
	cstr(&b, "abc123");
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_string_equal(in.message_id, "abc123");
	/* message_id without its NUL */
	b.n--;
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "message_id at offset 16"));
	assert_int_equal(ans, SMPP_RINVMSGLEN);
}

static void seq_zero_and_unknown(void **state)
{
	struct b b;
	struct smpp_in in;
	uint32_t ans;
	char err[200];
	(void)state;

	deliver(&b, 0, "255712345678", "*384#", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "sequence_number 0 at offset 12"));
	assert_int_equal(ans, SMPP_RSYSERR);
	hdr(&b, 0x00000103 /* data_sm */, 0, 5);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_int_equal(ans, SMPP_RINVCMDID);
	assert_non_null(strstr(err, "command_id 0x00000103 at offset 4"));
	hdr(&b, 0x12345678, 0, 5);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_int_equal(ans, SMPP_RINVCMDID);
}

static void deliver_ussd(void **state)
{
	struct b b;
	struct smpp_in in;
	uint32_t ans;
	char err[200];
	(void)state;

	deliver(&b, 42, "255712345678", "*384#", 0x0F);
	tlv16(&b, 0x1400, 0xBEEF); /* a vendor TLV: skipped */
	tlv8(&b, SMPP_TLV_USSD_SERVICE_OP, 1);
	tlv16(&b, SMPP_TLV_ITS_SESSION_INFO, 0x1102);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.h.seq, 42);
	assert_string_equal(in.source_addr, "255712345678");
	assert_string_equal(in.destination_addr, "*384#");
	assert_string_equal(in.service_type, "USSD");
	assert_int_equal(in.data_coding, 0x0F);
	assert_int_equal(in.text_len, 5);
	assert_memory_equal(in.text, "*384#", 5);
	assert_int_equal(in.ussd_op, 1);
	assert_int_equal(in.has_session, 1);
	assert_int_equal(in.session, 0x1102);
	assert_int_equal(in.has_umr, 0);

	/* no TLVs at all (jasmin #842 shape): op absent */
	deliver(&b, 43, "255712345678", "1", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.ussd_op, -1);

	/* a TLV cut short, and one with a wrong length for its tag */
	deliver(&b, 44, "255712345678", "1", 0);
	u16(&b, SMPP_TLV_USSD_SERVICE_OP), u16(&b, 1);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "TLV 0x0501 at offset"));
	assert_int_equal(ans, SMPP_RINVOPTPARSTREAM);
	deliver(&b, 45, "255712345678", "1", 0);
	tlv16(&b, SMPP_TLV_USSD_SERVICE_OP, 1);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "not valid for it"));
	/* at most SMPP_TLV_MAX_COUNT TLVs (libsmpp34's trace buffer) */
	deliver(&b, 47, "255712345678", "1", 0);
	for (int i = 0; i < SMPP_TLV_MAX_COUNT; i++)
		tlv16(&b, 0x1400, (uint16_t)i);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	tlv16(&b, 0x1400, 99);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 16 TLVs"));
	assert_int_equal(ans, SMPP_RINVOPTPARSTREAM);
	/* three stray bytes where a TLV header needs four */
	deliver(&b, 46, "255712345678", "1", 0);
	u8(&b, 1), u8(&b, 2), u8(&b, 3);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "a TLV header needs 4"));
}

static void deliver_truncated(void **state)
{
	struct b b, t;
	struct smpp_in in;
	uint32_t ans;
	char err[200];
	(void)state;

	deliver(&b, 50, "255712345678", "hello", 0);
	tlv8(&b, SMPP_TLV_USSD_SERVICE_OP, 18);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	/* every truncation of the body, with command_length saying so, is
	 * refused (cut inside a field) or loses the TLV (cut at its start) */
	for (size_t n = SMPP_HDR_LEN; n < b.n; n++) {
		memcpy(t.p, b.p, n);
		t.n = n;
		done(&t);
		int rc = smpp_pdu_decode(t.p, t.n, &in, &ans, err, sizeof err);
		if (n == b.n - 5) {
			assert_int_equal(rc, 0);
			assert_int_equal(in.ussd_op, -1);
		} else {
			assert_int_equal(rc, -1);
			assert_true(ans == SMPP_RINVMSGLEN || ans == SMPP_RINVOPTPARSTREAM);
		}
	}
	/* sm_length past the end */
	deliver(&b, 51, "255712345678", "hello", 0);
	b.p[b.n - 6] = 200;
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "sm_length 200"));
	/* an address longer than its field (21 with the NUL) */
	deliver(&b, 52, "2557123456789012345678", "x", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), -1);
	assert_non_null(strstr(err, "source_addr at offset 23: longer than 20"));
	/* command_length disagreeing with the buffer */
	deliver(&b, 53, "255712345678", "x", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n - 1, &in, &ans, err, sizeof err), -1);
	assert_int_equal(ans, SMPP_RINVCMDLEN);
}

static void sm_length_limits(void **state)
{
	struct b b;
	struct smpp_in in;
	uint32_t ans;
	char err[200];
	uint8_t buf[2048], text[1100];
	(void)state;

	/* 254 octets: unpack accepts it */
	memset(text, 'a', sizeof text);
	text[254] = 0;
	deliver(&b, 60, "255712345678", (const char *)text, 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.text_len, 254);

	/* pack: 253 in short_message; 254 goes to message_payload for SMS,
	 * and is refused for USSD */
	struct smpp_submit s = { .source_addr = "Tillgate", .dest_addr = "255712345678",
				 .text = text, .text_len = 253, .ussd_op = -1 };
	int n = smpp_pdu_pack_submit(buf, sizeof buf, 3, &s, err, sizeof err);
	assert_true(n > 0);
	assert_int_equal(buf[n - 254], 253); /* sm_length just before the text */
	s.text_len = 254;
	n = smpp_pdu_pack_submit(buf, sizeof buf, 3, &s, err, sizeof err);
	assert_true(n > 0);
	/* ... ends with message_payload 0x0424, 254 bytes */
	assert_int_equal(buf[n - 258], 0x04);
	assert_int_equal(buf[n - 257], 0x24);
	assert_int_equal(buf[n - 256] << 8 | buf[n - 255], 254);
	s.text_len = 1024;
	assert_true(smpp_pdu_pack_submit(buf, sizeof buf, 3, &s, err, sizeof err) > 0);
	s.text_len = 1025;
	assert_int_equal(smpp_pdu_pack_submit(buf, sizeof buf, 3, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "short_message: 1025 bytes"));
	s.text_len = 254;
	s.ussd_op = 2;
	assert_int_equal(smpp_pdu_pack_submit(buf, sizeof buf, 3, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "for USSD"));
	/* addresses too long are refused, not cut */
	s.ussd_op = -1;
	s.text_len = 3;
	s.dest_addr = "123456789012345678901";
	assert_int_equal(smpp_pdu_pack_submit(buf, sizeof buf, 3, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "destination_addr: 21 bytes"));
}

/* ---- packing, decoded back by the hand walker ---- */

static void submit_ussd_round_trip(void **state)
{
	uint8_t buf[512];
	char err[200];
	struct smpp_in in;
	uint32_t ans;
	(void)state;

	struct smpp_submit s = { .source_addr = "*384#", .dest_addr = "255712345678",
				 .data_coding = 0x0F, .text = (const uint8_t *)"1. Pay\n2. Balance",
				 .text_len = 17, .ussd_op = SMPP_USSD_USSR_REQ, .has_session = 1,
				 .session = 0x1103, .has_umr = 1, .umr = 77 };
	int n = smpp_pdu_pack_submit(buf, sizeof buf, 99, &s, err, sizeof err);
	assert_true(n > 0);
	/* the same bytes read as a deliver_sm (same body layout) */
	buf[7] = (uint8_t)SMPP_DELIVER_SM;
	assert_int_equal(smpp_pdu_decode(buf, (size_t)n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.h.seq, 99);
	assert_int_equal(in.ussd_op, 2);
	assert_int_equal(in.has_session, 1);
	assert_int_equal(in.session, 0x1103);
	assert_int_equal(in.umr, 77);
	assert_int_equal(in.data_coding, 0x0F);
	assert_int_equal(in.text_len, 17);
	assert_memory_equal(in.text, "1. Pay\n2. Balance", 17);
	assert_string_equal(in.destination_addr, "255712345678");
	/* pitfall 6: a buffer of exactly the PDU's size is refused */
	assert_int_equal(smpp_pdu_pack_submit(buf, (size_t)n, 99, &s, err, sizeof err), -1);
	assert_int_equal(smpp_pdu_pack_submit(buf, (size_t)n + 1, 99, &s, err, sizeof err), n);
}

static void small_pdus(void **state)
{
	uint8_t buf[256];
	char err[200];
	struct smpp_hdr h;
	(void)state;

	assert_int_equal(smpp_pdu_pack_header(buf, sizeof buf, SMPP_GENERIC_NACK, SMPP_RINVCMDID, 5,
					      err, sizeof err), 16);
	assert_int_equal(smpp_pdu_frame(buf, 16, 4096, &h, err, sizeof err), 16);
	assert_int_equal(h.id, SMPP_GENERIC_NACK);
	assert_int_equal(h.status, SMPP_RINVCMDID);
	int n = smpp_pdu_pack_deliver_resp(buf, sizeof buf, 8, 0, err, sizeof err);
	assert_int_equal(n, 17); /* header and an empty message_id */
	assert_int_equal(buf[16], 0);
	n = smpp_pdu_pack_bind(buf, sizeof buf, 1, "tillgate", "s3cret", "USSD", err, sizeof err);
	assert_int_equal(n, 16 + 9 + 7 + 5 + 3 + 1);
	assert_memory_equal(buf + 16, "tillgate\0s3cret\0USSD\0\x34", 23);
	assert_int_equal(smpp_pdu_pack_bind(buf, sizeof buf, 1, "tillgate", "123456789", "", err,
					    sizeof err), -1);
	assert_non_null(strstr(err, "password: 9 bytes"));
	assert_int_equal(smpp_pdu_pack_bind(buf, sizeof buf, 1, "0123456789abcdef", "", "", err,
					    sizeof err), -1);
}

static void traces_redact(void **state)
{
	uint8_t buf[256];
	char line[700], err[200];
	(void)state;

	int n = smpp_pdu_pack_bind(buf, sizeof buf, 1, "tillgate", "s3cret", "", err, sizeof err);
	smpp_pdu_trace(buf, (size_t)n, 0, line, sizeof line);
	assert_null(strstr(line, "s3cret"));
	assert_non_null(strstr(line, "cmd=bind_transceiver"));
	assert_non_null(strstr(line, "password=***"));
	struct smpp_submit s = { .source_addr = "*384#", .dest_addr = "255712345678",
				 .text = (const uint8_t *)"9090", .text_len = 4, .ussd_op = 18 };
	n = smpp_pdu_pack_submit(buf, sizeof buf, 2, &s, err, sizeof err);
	smpp_pdu_trace(buf, (size_t)n, 0, line, sizeof line);
	assert_non_null(strstr(line, "op=18"));
	assert_non_null(strstr(line, "text=\"9090\""));
	smpp_pdu_trace(buf, (size_t)n, 1, line, sizeof line);
	assert_null(strstr(line, "9090"));
	assert_non_null(strstr(line, "text=***"));
	/* an answer from the subscriber (op 18) is never shown */
	buf[7] = (uint8_t)SMPP_DELIVER_SM;
	smpp_pdu_trace(buf, (size_t)n, 0, line, sizeof line);
	assert_non_null(strstr(line, "cmd=deliver_sm"));
	assert_null(strstr(line, "9090"));
	/* nor its length, which would narrow a PIN down: the header's
	 * command_length and text_len are hidden with the text, so answers of
	 * 4 and 6 digits trace alike */
	assert_non_null(strstr(line, "len=***"));
	assert_null(strstr(line, "text_len=4"));
	char line6[700];
	uint8_t buf6[256];
	struct smpp_submit s6 = s;
	s6.text = (const uint8_t *)"909090";
	s6.text_len = 6;
	int n6 = smpp_pdu_pack_submit(buf6, sizeof buf6, 2, &s6, err, sizeof err);
	assert_int_equal(n6, n + 2);
	buf6[7] = (uint8_t)SMPP_DELIVER_SM;
	smpp_pdu_trace(buf6, (size_t)n6, 0, line6, sizeof line6);
	assert_string_equal(line6, line);
	/* an outgoing secret text is hidden the same way */
	buf6[7] = (uint8_t)SMPP_SUBMIT_SM;
	s6.ussd_op = 2;
	n6 = smpp_pdu_pack_submit(buf6, sizeof buf6, 3, &s6, err, sizeof err);
	smpp_pdu_trace(buf6, (size_t)n6, 1, line6, sizeof line6);
	assert_non_null(strstr(line6, "len=***"));
	assert_non_null(strstr(line6, "text_len=*** text=***"));
	/* what is not hidden keeps its lengths */
	smpp_pdu_trace(buf6, (size_t)n6, 0, line6, sizeof line6);
	assert_non_null(strstr(line6, "text_len=6 text=\"909090\""));
	assert_null(strstr(line6, "len=***"));
	/* a dialled string may carry a PIN as a direct answer: the text of
	 * a USSD deliver_sm shows only when it is a bare service code */
	s6.ussd_op = 1;
	s6.text = (const uint8_t *)"*384*1*7351#";
	s6.text_len = 12;
	n6 = smpp_pdu_pack_submit(buf6, sizeof buf6, 4, &s6, err, sizeof err);
	buf6[7] = (uint8_t)SMPP_DELIVER_SM;
	smpp_pdu_trace(buf6, (size_t)n6, 0, line6, sizeof line6);
	assert_non_null(strstr(line6, "op=1 "));
	assert_null(strstr(line6, "7351"));
	assert_non_null(strstr(line6, "len=*** "));
	assert_non_null(strstr(line6, "text_len=*** text=***"));
	s6.text = (const uint8_t *)"*384#";
	s6.text_len = 5;
	n6 = smpp_pdu_pack_submit(buf6, sizeof buf6, 5, &s6, err, sizeof err);
	buf6[7] = (uint8_t)SMPP_DELIVER_SM;
	smpp_pdu_trace(buf6, (size_t)n6, 0, line6, sizeof line6);
	assert_non_null(strstr(line6, "text_len=5 text=\"*384#\""));
	s6.ussd_op = 0x81; /* an abort with text */
	s6.text = (const uint8_t *)"7351";
	s6.text_len = 4;
	n6 = smpp_pdu_pack_submit(buf6, sizeof buf6, 6, &s6, err, sizeof err);
	buf6[7] = (uint8_t)SMPP_DELIVER_SM;
	smpp_pdu_trace(buf6, (size_t)n6, 0, line6, sizeof line6);
	assert_null(strstr(line6, "7351"));
	buf[7] = (uint8_t)SMPP_SUBMIT_SM;
	/* a short buffer still gets a terminated line */
	smpp_pdu_trace(buf, (size_t)n, 0, line, 20);
	assert_true(strlen(line) < 20);
}

static void receipts(void **state)
{
	struct b b;
	struct smpp_in in;
	uint32_t ans;
	char err[200], id[65], stat[8];
	int fin, dlv;
	(void)state;

	deliver(&b, 70, "255712345678",
		"id:abc123 sub:001 dlvrd:001 submit date:2611280315 done date:2611280316 stat:DELIVRD err:000 text:x",
		0);
	/* esm_class follows destination_addr "*384#" */
	((uint8_t *)memmem(b.p, b.n, "*384#", 6))[6] = SMPP_ESM_RECEIPT;
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(in.esm_class, SMPP_ESM_RECEIPT);
	assert_int_equal(smpp_pdu_receipt(&in, id, stat, &fin, &dlv, err, sizeof err), 0);
	assert_string_equal(id, "abc123");
	assert_string_equal(stat, "DELIVRD");
	assert_int_equal(fin, 1);
	assert_int_equal(dlv, 1);
	/* the TLVs win over the text */
	u16(&b, SMPP_TLV_RECEIPTED_MESSAGE_ID), u16(&b, 4), cstr(&b, "zz9");
	tlv8(&b, SMPP_TLV_MESSAGE_STATE, 5);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(smpp_pdu_receipt(&in, id, stat, &fin, &dlv, err, sizeof err), 0);
	assert_string_equal(id, "zz9");
	assert_string_equal(stat, "UNDELIV");
	assert_int_equal(dlv, 0);
	assert_int_equal(fin, 1);
	/* not final, unknown, missing */
	deliver(&b, 71, "255712345678", "id:q1 stat:ENROUTE", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(smpp_pdu_receipt(&in, id, stat, &fin, &dlv, err, sizeof err), 0);
	assert_int_equal(fin, 0);
	deliver(&b, 72, "255712345678", "id:q1 stat:BOGUS", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(smpp_pdu_receipt(&in, id, stat, &fin, &dlv, err, sizeof err), -1);
	assert_non_null(strstr(err, "receipt stat at offset 11"));
	deliver(&b, 73, "255712345678", "stat:DELIVRD", 0);
	done(&b);
	assert_int_equal(smpp_pdu_decode(b.p, b.n, &in, &ans, err, sizeof err), 0);
	assert_int_equal(smpp_pdu_receipt(&in, id, stat, &fin, &dlv, err, sizeof err), -1);
	assert_non_null(strstr(err, "receipt id"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame),
		cmocka_unit_test(header_only_error_resp),
		cmocka_unit_test(seq_zero_and_unknown),
		cmocka_unit_test(deliver_ussd),
		cmocka_unit_test(deliver_truncated),
		cmocka_unit_test(sm_length_limits),
		cmocka_unit_test(submit_ussd_round_trip),
		cmocka_unit_test(small_pdus),
		cmocka_unit_test(traces_redact),
		cmocka_unit_test(receipts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
