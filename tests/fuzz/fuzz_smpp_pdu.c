/* fuzz_smpp_pdu.c -- libFuzzer target for SMPP framing and decoding
 * (ussd/smpp_pdu.c): frames the input as a stream of PDUs, decodes each
 * (which hands checked PDUs to libsmpp34), traces it, and for every
 * deliver_sm that decodes packs its content back as a submit_sm and
 * decodes that again; abort()s when an invariant breaks. The seeds in
 * tests/fuzz/corpus/smpp_pdu are PDUs encoded by node-smpp. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussd/smpp_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                        \
	do {                                                                            \
		if (!(x)) {                                                             \
			fprintf(stderr, "fuzz_smpp_pdu: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                          \
			abort();                                                        \
		}                                                                       \
	} while (0)

static void one(const uint8_t *p, size_t n)
{
	struct smpp_in in;
	uint32_t ans;
	char err[256], line[700];
	uint8_t buf[SMPP_PDU_MAX_DEFAULT];

	/* an exact-size heap copy, so that ASan sees any read past it */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return;
	memcpy(copy, p, n);
	smpp_pdu_trace(copy, n, 0, line, sizeof line);
	CHECK(strlen(line) < sizeof line);
	err[0] = '\0';
	int rc = smpp_pdu_decode(copy, n, &in, &ans, err, sizeof err);
	if (rc < 0) {
		CHECK(err[0] != '\0');
		CHECK(ans != SMPP_ROK);
		free(copy);
		return;
	}
	CHECK(rc == 0);
	CHECK(in.h.len == n && in.h.seq >= 1 && in.h.seq <= 0x7FFFFFFFu);
	CHECK(in.text_len <= SMPP_TLV_MAX);
	CHECK(memchr(in.source_addr, 0, sizeof in.source_addr));
	CHECK(memchr(in.destination_addr, 0, sizeof in.destination_addr));
	CHECK(memchr(in.message_id, 0, sizeof in.message_id));
	CHECK(memchr(in.receipted_id, 0, sizeof in.receipted_id));
	if (in.h.id == SMPP_DELIVER_SM) {
		char id[65], stat[8];
		int fin = -1, dlv = -1;
		err[0] = '\0';
		if (smpp_pdu_receipt(&in, id, stat, &fin, &dlv, err, sizeof err) == 0) {
			CHECK(id[0] && strlen(id) < 65 && strlen(stat) < 8);
			CHECK((fin == 0 || fin == 1) && (dlv == 0 || dlv == 1) && (!dlv || fin));
		} else {
			CHECK(err[0] != '\0');
		}
	}
	if (in.h.id == SMPP_DELIVER_SM && in.text_len <= 253) {
		struct smpp_submit s = { .source_addr = in.source_addr, .dest_addr = in.destination_addr,
					 .data_coding = in.data_coding, .text = in.text,
					 .text_len = in.text_len, .ussd_op = in.ussd_op,
					 .has_session = in.has_session, .session = in.session,
					 .has_umr = in.has_umr, .umr = in.umr };
		int m = smpp_pdu_pack_submit(buf, sizeof buf, in.h.seq, &s, err, sizeof err);
		CHECK(m > 0);
		buf[7] = (uint8_t)SMPP_DELIVER_SM;
		struct smpp_in back;
		CHECK(smpp_pdu_decode(buf, (size_t)m, &back, &ans, err, sizeof err) == 0);
		CHECK(back.text_len == in.text_len && memcmp(back.text, in.text, in.text_len) == 0);
		CHECK(strcmp(back.source_addr, in.source_addr) == 0);
		CHECK(back.ussd_op == in.ussd_op && back.has_session == in.has_session &&
		      (!in.has_session || back.session == in.session));
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	struct smpp_hdr h;
	char err[256];

	while (off < size) {
		int r = smpp_pdu_frame(data + off, size - off, SMPP_PDU_MAX_DEFAULT, &h, err, sizeof err);
		if (r == -2) {
			/* a partial PDU: decoding what there is must still be safe */
			one(data + off, size - off);
			break;
		}
		if (r == -1) {
			CHECK(h.len < SMPP_HDR_LEN || h.len > SMPP_PDU_MAX_DEFAULT);
			break;
		}
		CHECK(r >= SMPP_HDR_LEN && (size_t)r <= size - off);
		one(data + off, (size_t)r);
		off += (size_t)r;
	}
	return 0;
}
