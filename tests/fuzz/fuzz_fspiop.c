/* fuzz_fspiop.c -- libFuzzer target for the FSPIOP parsers of
 * gateway/fspiop.c. The first byte picks the parser, the rest is its
 * input: 'p' PUT /parties body, 'q' PUT /quotes body, 't' PUT /transfers
 * body, 'r' PUT /transactionRequests body, 'e' an errorInformation body,
 * 'P' a PUT /participants body, 'c' a Content-Type (transfers),
 * 'd' a Date header, 'a' an Amount (the next byte's low bits: the
 * currency exponent 0..4). abort()s when an invariant breaks: every
 * rejection names a field ("$..." for bodies) and a position inside the
 * input; what is accepted passes the schema checks again; an accepted
 * amount is canonical (formatting it gives the input back). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/fspiop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                        \
	do {                                                                            \
		if (!(x)) {                                                             \
			fprintf(stderr, "fuzz_fspiop: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                          \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* The last "(position N)" of err, or -1. */
static long last_position(const char *err)
{
	const char *p = NULL, *s = err;
	while ((s = strstr(s, "(position ")))
		p = s++;
	return p ? strtol(p + 10, NULL, 10) : -1;
}

static void rejected(const char *err, size_t len, int body)
{
	long pos = last_position(err);
	CHECK(pos >= 0 && (size_t)pos <= len);
	if (body)
		CHECK(err[0] == '$');
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
	switch (sel) {
	case 'p': {
		struct fspiop_party p;
		if (fspiop_parse_party(body, len, &p, err, sizeof err) < 0) {
			rejected(err, len, 1);
		} else {
			CHECK(fspiop_party_type_ok(p.type));
			CHECK(fspiop_party_id_ok(p.id));
			CHECK(!p.fsp_id[0] || fspiop_fsp_id_ok(p.fsp_id));
			CHECK(strlen(p.mcc) <= 4);
		}
		break;
	}
	case 'q': {
		struct fspiop_quote q;
		if (fspiop_parse_quote(body, len, &q, err, sizeof err) < 0) {
			rejected(err, len, 1);
			CHECK(q.ilp_packet == NULL);
		} else {
			CHECK(fspiop_b64url32_ok(q.condition));
			CHECK(q.ilp_packet && strlen(q.ilp_packet) >= 1);
			CHECK(q.transfer_amount.amount >= 0);
			int exp = fspiop_currency_exponent(q.transfer_amount.currency);
			CHECK(exp >= 0);
			char a[40];
			int64_t back;
			CHECK(fspiop_amount_format(q.transfer_amount.amount, exp, a, sizeof a) == 0);
			CHECK(fspiop_amount_parse(a, exp, &back, err, sizeof err) == 0);
			CHECK(back == q.transfer_amount.amount);
			fspiop_quote_clear(&q);
		}
		break;
	}
	case 't': {
		struct fspiop_transfer t;
		if (fspiop_parse_transfer(body, len, &t, err, sizeof err) < 0) {
			rejected(err, len, 1);
		} else {
			CHECK(t.state <= FSPIOP_ABORTED);
			CHECK(!t.fulfilment[0] || fspiop_b64url32_ok(t.fulfilment));
			CHECK(fspiop_fulfilment_ok(t.fulfilment[0] ? t.fulfilment : "x",
						   "GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM") >= -1);
		}
		break;
	}
	case 'r': { /* PUT /transactionRequests/{ID} */
		struct fspiop_txreq_cb x;
		if (fspiop_parse_txreq(body, len, &x, err, sizeof err) < 0) {
			rejected(err, len, 1);
		} else {
			CHECK(x.state <= FSPIOP_TXR_REJECTED);
			CHECK(!x.transaction_id[0] || fspiop_uuid_ok(x.transaction_id));
		}
		break;
	}
	case 'e': {
		struct fspiop_error e;
		if (fspiop_parse_error(body, len, &e, err, sizeof err) < 0) {
			rejected(err, len, 1);
		} else {
			CHECK(e.code >= 1000 && e.code <= 9999);
			CHECK(fspiop_error_info(e.code)->customer != NULL);
		}
		break;
	}
	case 'P': {
		char fsp[33];
		if (fspiop_parse_participant(body, len, fsp, err, sizeof err) < 0) {
			rejected(err, len, 1);
			CHECK(fsp[0] == '\0');
		} else {
			CHECK(fsp[0] == '\0' || fspiop_fsp_id_ok(fsp));
		}
		break;
	}
	case 'c': case 'd': case 'a': {
		/* C strings: stop at a NUL */
		char *s = malloc(len + 1);
		if (!s)
			return 0;
		memcpy(s, body, len);
		s[len] = '\0';
		size_t sl = strlen(s);
		if (sel == 'c') {
			int r = fspiop_check_content_type(s, FSPIOP_TRANSFERS, err, sizeof err);
			CHECK(r == 0 || r == -1 || r == -2);
			if (r < 0)
				CHECK(last_position(err) >= 0 && (size_t)last_position(err) <= sl);
		} else if (sel == 'd') {
			time_t t;
			if (fspiop_date_parse(s, &t, err, sizeof err) == 0) {
				char again[40];
				CHECK(fspiop_date(t, again, sizeof again) == 0);
				/* the day name is not checked against the date */
				CHECK(strcmp(again + 3, s + 3) == 0);
			} else {
				CHECK(last_position(err) >= 0 && (size_t)last_position(err) <= sl);
			}
		} else {
			int exp = sl ? (unsigned char)s[0] % 5 : 2;
			const char *v = sl ? s + 1 : s;
			int64_t m;
			if (fspiop_amount_parse(v, exp, &m, err, sizeof err) == 0) {
				char back[40];
				CHECK(m >= 0);
				CHECK(fspiop_amount_format(m, exp, back, sizeof back) == 0);
				CHECK(strcmp(back, v) == 0);
			} else {
				CHECK(last_position(err) >= 0 &&
				      (size_t)last_position(err) <= strlen(v));
			}
		}
		free(s);
		break;
	}
	default:
		break;
	}
	return 0;
}
