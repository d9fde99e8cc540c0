/* fuzz_payee.c -- libFuzzer target for the parsers of the payee side:
 * the first byte picks one, the rest is its input: 'q' a POST /quotes
 * body (fspiop_parse_quote_req()), 't' a POST /transfers body
 * (fspiop_parse_transfer_req(), and its expiration through
 * fspiop_datetime_parse()), 'i' an ILP packet's text
 * (payee_ilp_decode()). abort()s when an invariant breaks: every
 * rejection names its field ("$..." for bodies, "ilpPacket" for packets)
 * and a position inside the input; an accepted quote passes the schema
 * checks again; an accepted packet, made again from what was decoded
 * (with data of the same length), has the same length. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/fspiop.h"
#include "gateway/payee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                       \
	do {                                                                           \
		if (!(x)) {                                                            \
			fprintf(stderr, "fuzz_payee: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                         \
			abort();                                                       \
		}                                                                      \
	} while (0)

static long last_position(const char *err)
{
	const char *p = NULL, *s = err;
	while ((s = strstr(s, "(position ")))
		p = s++;
	return p ? strtol(p + 10, NULL, 10) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	char sel = (char)data[0];
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	char err[512];
	err[0] = '\0';
	if (sel == 'q') {
		struct fspiop_quote_in q;
		if (fspiop_parse_quote_req(body, len, &q, err, sizeof err) < 0) {
			long pos = last_position(err);
			CHECK(err[0] == '$');
			CHECK(pos >= 0 && (size_t)pos <= len);
		} else {
			CHECK(fspiop_uuid_ok(q.quote_id) && fspiop_uuid_ok(q.transaction_id));
			CHECK(fspiop_party_type_ok(q.payee.type) && fspiop_party_id_ok(q.payee.id));
			CHECK(fspiop_party_type_ok(q.payer.type) && fspiop_party_id_ok(q.payer.id));
			CHECK(!q.payee.fsp_id[0] || fspiop_fsp_id_ok(q.payee.fsp_id));
			CHECK(strcmp(q.amount_type, "SEND") == 0 || strcmp(q.amount_type, "RECEIVE") == 0);
			CHECK(q.amount.amount > 0 && fspiop_currency_exponent(q.amount.currency) >= 0);
			CHECK(q.scenario[0] && q.initiator[0] && q.initiator_type[0]);
			CHECK(strlen(q.note) <= 128);
		}
	} else if (sel == 't') {
		struct fspiop_transfer_in t;
		if (fspiop_parse_transfer_req(body, len, &t, err, sizeof err) < 0) {
			long pos = last_position(err);
			CHECK(err[0] == '$');
			CHECK(pos >= 0 && (size_t)pos <= len);
			CHECK(t.ilp_packet == NULL);
		} else {
			CHECK(fspiop_uuid_ok(t.transfer_id));
			CHECK(fspiop_fsp_id_ok(t.payer_fsp) && fspiop_fsp_id_ok(t.payee_fsp));
			CHECK(t.amount.amount > 0);
			CHECK(t.ilp_packet && t.ilp_packet[0]);
			CHECK(fspiop_b64url32_ok(t.condition));
			int64_t ms;
			CHECK(fspiop_datetime_parse(t.expiration, &ms) == 0);
			fspiop_transfer_in_clear(&t);
		}
	} else if (sel == 'i') {
		char *s = malloc(len + 1);
		if (!s)
			return 0;
		memcpy(s, body, len);
		s[len] = '\0';
		int64_t amount;
		char acc[1024];
		size_t dlen;
		if (payee_ilp_decode(s, &amount, acc, sizeof acc, &dlen, err, sizeof err) < 0) {
			long pos = last_position(err);
			CHECK(strncmp(err, "ilpPacket: ", 11) == 0);
			CHECK(pos >= 0 && (size_t)pos <= strlen(s));
		} else {
			CHECK(amount >= 0 && acc[0]);
			unsigned char *d = calloc(1, dlen + 1);
			CHECK(d != NULL);
			char *again = payee_ilp_packet(amount, acc, d, dlen);
			/* only canonical lengths are made; a decoded long-form
			 * length may be longer than needed */
			CHECK(again != NULL);
			CHECK(strlen(again) <= strlen(s));
			free(again);
			free(d);
		}
		free(s);
	}
	return 0;
}
