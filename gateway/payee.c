/* payee.c -- the payee side of FSPIOP: party lookups answered for the
 * hosted DFSPs' merchants, and the ILP v1 packet, fulfilment and
 * condition. */
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "gateway/db.h"
#include "kyb/kyb_limit.h"
#include "kyb/kyb_tier.h"
#include "gateway/fspiop.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "gateway/rtp.h"
#include "gateway/payee.h"
#include "gateway/switch.h"

enum {
	S_TILL,
	S_MERCHANT,
	S_DFSP,
	S_FIRST_DFSP,
	S_KEYS_GET,
	S_KEYS_ADD,
	S_USAGE,
	S_QUOTE_GET,
	S_QUOTE_ADD,
	S_QUOTE_BY_PACKET,
	S_QUOTE_USED,
	S_TRANSFER_GET,
	S_TRANSFER_ADD,
	S__COUNT,
};

/* Columns of S_TILL and S_MERCHANT: dfsp, merchant_id, merchant status,
 * till status, trading_name, mcc, dfsp status, tier. */
static const char *const payee_sql[S__COUNT] = {
	[S_TILL] = "SELECT m.dfsp, m.merchant_id, m.status, t.status, m.trading_name, m.mcc, "
		   "d.status, m.tier FROM till t JOIN merchant m ON m.dfsp = t.dfsp AND "
		   "m.merchant_id = t.merchant_id JOIN dfsp d ON d.fsp_id = m.dfsp "
		   "WHERE t.till_number = :id",
	[S_MERCHANT] = "SELECT m.dfsp, m.merchant_id, m.status, 'ACTIVE', m.trading_name, m.mcc, "
		       "d.status, m.tier FROM merchant m JOIN dfsp d ON d.fsp_id = m.dfsp "
		       "WHERE m.merchant_id = :id",
	[S_DFSP] = "SELECT status FROM dfsp WHERE fsp_id = :fsp",
	[S_FIRST_DFSP] = "SELECT fsp_id FROM dfsp WHERE status = 'ACTIVE' ORDER BY fsp_id LIMIT 1",
	[S_KEYS_GET] = "SELECT ilp_secret, fee FROM payee_dfsp WHERE dfsp = :dfsp",
	[S_KEYS_ADD] = "INSERT OR IGNORE INTO payee_dfsp (dfsp, ilp_secret) VALUES (:dfsp, :secret)",
	/* the merchant's usage as the payments module counts it (gateway/pay.c) */
	[S_USAGE] = "SELECT coalesce(sum(amount) FILTER (WHERE created >= :day), 0), "
		    "coalesce(sum(amount), 0) FROM payment WHERE payee_dfsp = :dfsp AND "
		    "merchant_id = :who AND state NOT IN ('FAILED', 'EXPIRED') AND "
		    "(created >= :month OR state = 'QUEUED')",
	[S_QUOTE_GET] = "SELECT body_sha256, code, answer, dfsp FROM payee_quote WHERE quote_id = :id",
	[S_QUOTE_ADD] = "INSERT INTO payee_quote (quote_id, dfsp, payer_fsp, merchant_id, "
			"body_sha256, code, answer, transfer_amount, currency, ilp_packet, "
			"condition, expiration) VALUES (:id, :dfsp, :payer, :merchant, :hash, :code, "
			":answer, :amount, :currency, :packet, :condition, :expiration)",
	/* the quote that made a packet */
	[S_QUOTE_BY_PACKET] = "SELECT q.quote_id, q.merchant_id, q.transfer_amount, q.currency "
			      "FROM payee_quote q JOIN merchant m "
			      "ON m.dfsp = q.dfsp AND m.merchant_id = q.merchant_id "
			      "WHERE q.ilp_packet = :packet AND q.dfsp = :dfsp AND q.code = 0",
	[S_QUOTE_USED] = "SELECT transfer_id FROM payee_transfer WHERE quote_id = :quote AND code = 0",
	[S_TRANSFER_GET] = "SELECT body_sha256, code, answer, dfsp FROM payee_transfer "
			   "WHERE transfer_id = :id",
	[S_TRANSFER_ADD] = "INSERT INTO payee_transfer (transfer_id, dfsp, payer_fsp, quote_id, "
			   "merchant_id, body_sha256, code, answer, amount, currency) VALUES (:id, "
			   ":dfsp, :payer, :quote, :merchant, :hash, :code, :answer, :amount, "
			   ":currency)",
};

struct payee {
	struct gw *gw;
	sqlite3_stmt **st;
	struct payee_stats stats;
};

int payee_new(struct payee **out, struct gw *gw, char *err, size_t errlen)
{
	*out = NULL;
	struct payee *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->gw = gw;
	int rc = db_prepare_table(gw->db, payee_sql, S__COUNT, &p->st, err, errlen);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void payee_free(struct payee *p)
{
	if (!p)
		return;
	free(p); /* the statement table belongs to the db */
}

const struct payee_stats *payee_stats(const struct payee *p)
{
	return &p->stats;
}

/* ---- ILP v1 ---- */

static int ilp_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '~' || c == '-';
}

/* OER length prefix of n into b; returns its size (1..9). */
static size_t oer_len(size_t n, unsigned char *b)
{
	if (n < 128) {
		b[0] = (unsigned char)n;
		return 1;
	}
	unsigned char tmp[8];
	size_t k = 0;
	while (n) {
		tmp[k++] = (unsigned char)(n & 0xff);
		n >>= 8;
	}
	b[0] = (unsigned char)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		b[1 + i] = tmp[k - 1 - i];
	return 1 + k;
}

char *payee_ilp_packet(int64_t amount, const char *account, const unsigned char *data,
		       size_t dlen)
{
	size_t al = account ? strlen(account) : 0;
	if (amount < 0 || al < 1 || al > 1023 || dlen > 32768) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < al; i++)
		if (!ilp_char_ok(account[i])) {
			errno = EINVAL;
			return NULL;
		}
	unsigned char pre[10];
	size_t inner = 8 + oer_len(al, pre) + al + oer_len(dlen, pre) + dlen + 1;
	size_t total = 1 + oer_len(inner, pre) + inner;
	unsigned char *b = malloc(total);
	char *out = malloc(total * 4 / 3 + 4);
	if (!b || !out) {
		free(b);
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	size_t k = 0;
	b[k++] = 1; /* type: ILP payment */
	k += oer_len(inner, b + k);
	for (int i = 7; i >= 0; i--)
		b[k++] = (unsigned char)((uint64_t)amount >> (i * 8));
	k += oer_len(al, b + k);
	memcpy(b + k, account, al);
	k += al;
	k += oer_len(dlen, b + k);
	if (dlen)
		memcpy(b + k, data, dlen);
	k += dlen;
	b[k++] = 0; /* no extensions */
	size_t ol = fspiop_b64url(b, k, out);
	out[ol] = '\0';
	free(b);
	return out;
}

static int b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes base64url text s (no padding) into out (at least 3*len/4+3
 * bytes). Returns the byte count, or -1 with *bad the position of the
 * first bad character. */
static long b64url_decode(const char *s, size_t len, unsigned char *out, size_t *bad)
{
	size_t k = 0;
	uint32_t acc = 0;
	int bits = 0;
	if (len % 4 == 1) {
		*bad = len - 1;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		int v = b64url_val(s[i]);
		if (v < 0) {
			*bad = i;
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)k;
}

/* Reads an OER length at b[*k] (n bytes in all). Returns 0 or -1. */
static int oer_read_len(const unsigned char *b, size_t n, size_t *k, size_t *len)
{
	if (*k >= n)
		return -1;
	unsigned char c = b[(*k)++];
	if (c < 128) {
		*len = c;
		return 0;
	}
	size_t m = c & 0x7f;
	if (m == 0 || m > 4 || *k + m > n)
		return -1;
	*len = 0;
	for (size_t i = 0; i < m; i++)
		*len = (*len << 8) | b[(*k)++];
	return 0;
}

/* payee_ilp_decode(), and when data is not NULL an owned copy of the
 * data bytes, NUL-terminated (free()). */
static int ilp_decode(const char *packet, int64_t *amount, char *account, size_t acc_n,
		      size_t *dlen, char **data, char *err, size_t n)
{
	size_t pl = packet ? strlen(packet) : 0, bad = 0;
	if (pl == 0 || pl > 32768) {
		snprintf(err, n, "ilpPacket: 1-32768 base64url characters expected (position 0)");
		return -1;
	}
	unsigned char *b = malloc(pl * 3 / 4 + 3);
	if (!b) {
		snprintf(err, n, "ilpPacket: out of memory (position 0)");
		return -1;
	}
	long bl = b64url_decode(packet, pl, b, &bad);
	if (bl < 0) {
		snprintf(err, n, "ilpPacket: not base64url (position %zu)", bad);
		free(b);
		return -1;
	}
	size_t k = 0, len = 0, end;
	const char *why = NULL;
	if ((size_t)bl < 1 || b[0] != 1) {
		why = "not an ILP payment (type 1)";
	} else {
		k = 1;
		if (oer_read_len(b, (size_t)bl, &k, &len) < 0 || k + len != (size_t)bl) {
			why = "envelope length does not match";
		} else if (k + 8 > (size_t)bl) {
			why = "amount cut short";
		} else {
			end = (size_t)bl;
			uint64_t a = 0;
			for (int i = 0; i < 8; i++)
				a = (a << 8) | b[k++];
			size_t al = 0;
			if (a > INT64_MAX)
				why = "amount out of range";
			else if (oer_read_len(b, end, &k, &al) < 0 || k + al > end || al < 1 ||
				 al >= acc_n)
				why = "account length";
			else {
				for (size_t i = 0; i < al && !why; i++)
					if (!ilp_char_ok((char)b[k + i]))
						why = "account: not an ILP address";
				if (!why) {
					memcpy(account, b + k, al);
					account[al] = '\0';
					k += al;
					size_t ds = 0;
					if (oer_read_len(b, end, &k, dlen) < 0 || k + *dlen >= end)
						why = "data length";
					else if ((ds = k, k += *dlen, b[k] != 0) || k + 1 != end)
						why = "extensions";
					else if (data && !(*data = malloc(*dlen + 1)))
						why = "out of memory";
					else {
						*amount = (int64_t)a;
						if (data) {
							memcpy(*data, b + ds, *dlen);
							(*data)[*dlen] = '\0';
						}
					}
				}
			}
		}
	}
	free(b);
	if (why) {
		/* the character of the packet text holding byte k */
		snprintf(err, n, "ilpPacket: %s (position %zu)", why, k * 4 / 3);
		return -1;
	}
	return 0;
}

int payee_ilp_decode(const char *packet, int64_t *amount, char *account, size_t acc_n,
		     size_t *dlen, char *err, size_t n)
{
	return ilp_decode(packet, amount, account, acc_n, dlen, NULL, err, n);
}

/* The payer's party in the transaction a packet of ours carries (its
 * data: the transaction as base64url JSON): type and id, or both "". */
static void packet_payer(const char *packet, char *type, size_t tn, char *id, size_t in)
{
	type[0] = id[0] = '\0';
	int64_t amount;
	char account[1024], err[128], *data = NULL;
	size_t dlen = 0, bad = 0;
	if (ilp_decode(packet, &amount, account, sizeof account, &dlen, &data, err, sizeof err) < 0)
		return;
	unsigned char *tx = malloc(dlen * 3 / 4 + 3);
	long tl = tx ? b64url_decode(data, dlen, tx, &bad) : -1;
	json_t *j = tl > 0 ? json_loadb((const char *)tx, (size_t)tl, 0, NULL) : NULL;
	const char *t = NULL, *i = NULL;
	if (j && json_unpack(j, "{s:{s:{s:s,s:s}}}", "payer", "partyIdInfo", "partyIdType", &t,
			     "partyIdentifier", &i) == 0 && *t && *i && strlen(t) < tn &&
	    strlen(i) < in) {
		snprintf(type, tn, "%s", t);
		snprintf(id, in, "%s", i);
	}
	json_decref(j);
	free(tx);
	free(data);
}

int payee_ilp_fulfil(const unsigned char *secret, size_t slen, const char *packet,
		     char fulfilment[44], char condition[44])
{
	if (!secret || slen < 16 || !packet || !*packet)
		return -EINVAL;
	unsigned char f[EVP_MAX_MD_SIZE], c[SHA256_DIGEST_LENGTH];
	unsigned int fl = 0;
	if (!HMAC(EVP_sha256(), secret, (int)slen, (const unsigned char *)packet, strlen(packet),
		  f, &fl) ||
	    fl != 32)
		return -EIO;
	SHA256(f, 32, c);
	fulfilment[fspiop_b64url(f, 32, fulfilment)] = '\0';
	condition[fspiop_b64url(c, 32, condition)] = '\0';
	OPENSSL_cleanse(f, sizeof f);
	return 0;
}

/* ---- incoming requests ---- */

/* Answers an incoming request with the API's error form. */
static void req_error(struct http_req *r, enum fspiop_res res, unsigned status, int code,
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

/* Checks the headers of a request from the switch: Content-Type and
 * Accept of res, Date, FSPIOP-Source, and FSPIOP-Destination (when
 * present) one of our active DFSPs. Answers and returns -1 when bad;
 * src and dst ("" when absent) get the two FSP ids. */
static int req_headers(struct payee *p, struct http_req *r, enum fspiop_res res, char src[33],
		       char dst[33])
{
	char err[200];
	int rc = fspiop_check_content_type(http_header(r, "Content-Type"), res, err, sizeof err);
	if (rc < 0) {
		req_error(r, res, rc == -2 ? 406 : 400, rc == -2 ? 3001 : 3101, err);
		return -1;
	}
	const char *acc = http_header(r, "Accept");
	if (!acc) {
		req_error(r, res, 400, 3102, "Accept: missing");
		return -1;
	}
	rc = fspiop_check_content_type(acc, res, err, sizeof err);
	if (rc < 0) {
		char msg[220];
		snprintf(msg, sizeof msg, "Accept: %s",
			 strncmp(err, "Content-Type: ", 14) == 0 ? err + 14 : err);
		req_error(r, res, rc == -2 ? 406 : 400, rc == -2 ? 3001 : 3101, msg);
		return -1;
	}
	const char *d = http_header(r, "Date");
	time_t t;
	if (!d) {
		req_error(r, res, 400, 3102, "Date: missing");
		return -1;
	}
	if (fspiop_date_parse(d, &t, err, sizeof err) < 0) {
		req_error(r, res, 400, 3101, err);
		return -1;
	}
	const char *s = http_header(r, "FSPIOP-Source");
	if (!s) {
		req_error(r, res, 400, 3102, "FSPIOP-Source: missing");
		return -1;
	}
	if (!fspiop_fsp_id_ok(s)) {
		req_error(r, res, 400, 3101, "FSPIOP-Source: 1-32 printable characters expected");
		return -1;
	}
	snprintf(src, 33, "%s", s);
	dst[0] = '\0';
	const char *ds = http_header(r, "FSPIOP-Destination");
	if (ds) {
		if (!fspiop_fsp_id_ok(ds)) {
			req_error(r, res, 400, 3101,
				  "FSPIOP-Destination: 1-32 printable characters expected");
			return -1;
		}
		sqlite3_stmt *st = p->st[S_DFSP];
		int ok = 0;
		if (db_bind_text(st, ":fsp", ds) == 0 && db_step(st) == 1) {
			ok = strcmp((const char *)sqlite3_column_text(st, 0), "ACTIVE") == 0;
			db_reset(st);
		}
		if (!ok) {
			req_error(r, res, 400, 3201,
				  "FSPIOP-Destination: not a DFSP hosted here");
			return -1;
		}
		snprintf(dst, 33, "%s", ds);
	}
	return 0;
}

/* The connector's report on a callback we sent. */
static void on_sent(void *arg, const struct switch_result *r)
{
	struct payee *p = arg;
	if (r->status != SWITCH_OK) {
		p->stats.send_failed++;
		char d[300];
		LOGW(LC_SWITCH, "payee callback not delivered", "path=%s status=%s detail=%s",
		     r->id, switch_status_name(r->status), log_q(d, sizeof d, r->detail));
	}
}

/* Sends body (a new reference, stolen) to path from src to dst. */
static void send_put(struct payee *p, enum fspiop_res res, const char *path, const char *src,
		     const char *dst, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	char err[200] = "out of memory";
	int rc = s ? switch_callback_put(p->gw->sw, res, path, src, dst, s, on_sent, p, err,
					 sizeof err)
		   : -ENOMEM;
	free(s);
	if (rc < 0) {
		p->stats.send_failed++;
		char q[300];
		LOGE(LC_SWITCH, "payee callback not sent", "path=%s error=%s", path,
		     log_q(q, sizeof q, err));
	}
}

/* GET /parties/{Type}/{ID} */
static void h_get_party(struct http_req *r, void *arg)
{
	struct gw *gw = arg;
	struct payee *p = gw->payee;
	if (!gw->sw || !p) {
		req_error(r, FSPIOP_PARTIES, 503, 2003, "no switch configured");
		return;
	}
	char src[33], dst[33];
	if (req_headers(p, r, FSPIOP_PARTIES, src, dst) < 0) {
		p->stats.rejected++;
		return;
	}
	const char *type = http_param(r, "Type"), *id = http_param(r, "ID");
	if (!fspiop_party_type_ok(type)) {
		p->stats.rejected++;
		req_error(r, FSPIOP_PARTIES, 400, 3101, "Type: not a PartyIdType (position 9)");
		return;
	}
	if (!fspiop_party_id_ok(id)) {
		p->stats.rejected++;
		req_error(r, FSPIOP_PARTIES, 400, 3101,
			  "ID: 1-128 characters, no '/' or '?' expected");
		return;
	}
	http_reply(r, 202, NULL, "", 0);
	p->stats.lookups++;

	/* the party, or the reason there is none */
	sqlite3_stmt *st = NULL;
	if (strcmp(type, switch_party_type(gw->sw)) == 0)
		st = p->st[S_TILL];
	else if (strcmp(type, "BUSINESS") == 0)
		st = p->st[S_MERCHANT];
	char fsp[33] = "", mid[24] = "", name[64] = "", mcc[8] = "";
	const char *why = "unsupported party type";
	int rc = 0;
	if (st && (rc = db_bind_text(st, ":id", id)) == 0 && (rc = db_step(st)) == 1) {
		const char *ms = (const char *)sqlite3_column_text(st, 2);
		const char *ts = (const char *)sqlite3_column_text(st, 3);
		const char *ds = (const char *)sqlite3_column_text(st, 6);
		snprintf(fsp, sizeof fsp, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(mid, sizeof mid, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 4));
		snprintf(mcc, sizeof mcc, "%s", (const char *)sqlite3_column_text(st, 5));
		why = strcmp(ds, "ACTIVE") ? "DFSP not active"
		      : strcmp(ms, "APPROVED") ? "merchant not approved"
		      : strcmp(ts, "ACTIVE")   ? "till not active"
		      : dst[0] && strcmp(dst, fsp) ? "another DFSP's merchant"
						 : NULL;
		db_reset(st);
	} else if (st) {
		why = rc < 0 ? "database error" : "no such merchant";
	}
	char path[500];
	char *esc = curl_easy_escape(NULL, id, 0);
	snprintf(path, sizeof path, "/parties/%s/%s%s", type, esc ? esc : id, why ? "/error" : "");
	curl_free(esc);
	if (!why) {
		json_t *b = json_pack("{s:{s:{s:s,s:s,s:s},s:s,s:s}}", "party", "partyIdInfo",
				      "partyIdType", type, "partyIdentifier", id, "fspId", fsp,
				      "merchantClassificationCode", mcc, "name", name);
		p->stats.found++;
		LOGI(LC_SWITCH, "party found", "type=%s id=%s dfsp=%s merchant=%s requester=%s",
		     type, id, fsp, mid, src);
		send_put(p, FSPIOP_PARTIES, path, fsp, src, b);
		return;
	}
	/* the error comes from the DFSP asked, or the first we host */
	if (!dst[0] && rc >= 0) {
		sqlite3_stmt *f = p->st[S_FIRST_DFSP];
		if (db_step(f) == 1) {
			snprintf(dst, 33, "%s", (const char *)sqlite3_column_text(f, 0));
			db_reset(f);
		}
	}
	p->stats.not_found++;
	char q[100];
	LOGI(LC_SWITCH, "party not found", "type=%s id=%s reason=%s requester=%s", type, id,
	     log_q(q, sizeof q, why), src);
	if (!dst[0]) {
		p->stats.send_failed++;
		LOGE(LC_SWITCH, "payee callback not sent", "path=%s error=\"no DFSP hosted here\"",
		     path);
		return;
	}
	send_put(p, FSPIOP_PARTIES, path, dst, src,
		 fspiop_error_body(rc < 0 ? 2001 : 3204,
				   rc < 0 ? "Internal server error" : "Party not found"));
}

/* ---- POST /quotes ---- */

/* The DFSP's ILP secret and payee fee, made on first use. */
static int dfsp_keys(struct payee *p, const char *dfsp, unsigned char secret[32], int64_t *fee)
{
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *st = p->st[S_KEYS_GET];
		int rc;
		if ((rc = db_bind_text(st, ":dfsp", dfsp)) < 0)
			return rc;
		rc = db_step(st);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			int ok = sqlite3_column_bytes(st, 0) == 32;
			if (ok)
				memcpy(secret, sqlite3_column_blob(st, 0), 32);
			*fee = sqlite3_column_int64(st, 1);
			db_reset(st);
			return ok ? 0 : -EIO;
		}
		if (pass)
			break;
		unsigned char s[32];
		if (RAND_bytes(s, sizeof s) != 1)
			return -EIO;
		st = p->st[S_KEYS_ADD];
		if ((rc = db_bind_text(st, ":dfsp", dfsp)) < 0 ||
		    (rc = db_bind_blob(st, ":secret", s, sizeof s)) < 0)
			return rc;
		OPENSSL_cleanse(s, sizeof s);
		if ((rc = db_run(st)) < 0)
			return rc;
	}
	return -EIO;
}

/* Usage of the merchant's limits, as the payments module counts it. */
static int payee_usage(struct payee *p, const char *dfsp, const char *mid,
		       struct kyb_limit_usage *u)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char day[16], month[16];
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	strftime(month, sizeof month, "%Y-%m", &tm);
	sqlite3_stmt *s = p->st[S_USAGE];
	int rc;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 || (rc = db_bind_text(s, ":who", mid)) < 0 ||
	    (rc = db_bind_text(s, ":day", day)) < 0 || (rc = db_bind_text(s, ":month", month)) < 0)
		return rc;
	if ((rc = db_step(s)) <= 0)
		return rc < 0 ? rc : -EIO;
	memset(u, 0, sizeof *u);
	u->day = sqlite3_column_int64(s, 0);
	u->month = sqlite3_column_int64(s, 1);
	db_reset(s);
	return 0;
}

static void sha256_hex(const char *s, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)s, len, md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static json_t *money(const char *ccy, int64_t minor)
{
	char a[40];
	if (fspiop_amount_format(minor, fspiop_currency_exponent(ccy), a, sizeof a) < 0)
		return NULL;
	return json_pack("{s:s,s:s}", "currency", ccy, "amount", a);
}

/* What a new quote gets: the answer's body (a new reference) and *code
 * (0 for a quote, else the error code); merchant (may stay "") and the
 * fields to keep are filled as far as known. */
struct qans {
	int code;
	char merchant_id[24];
	char dfsp[33];
	int64_t transfer_amount;
	char packet_cond[44];
	char expiration[32];
	char *packet; /* owned */
	json_t *body;
};

static int quote_error(struct qans *a, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int quote_error(struct qans *a, int code, const char *fmt, ...)
{
	char d[129];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d, sizeof d, fmt, ap);
	va_end(ap);
	a->code = code;
	a->body = fspiop_error_body(code, d);
	return code;
}

/* Returns a->code. */
static int quote_answer(struct payee *p, const struct fspiop_quote_in *q, const char *src,
			const char *dst, struct qans *a)
{
	struct gw *gw = p->gw;
	/* the payee: one of our merchants, at the destination DFSP */
	sqlite3_stmt *st = NULL;
	if (strcmp(q->payee.type, switch_party_type(gw->sw)) == 0)
		st = p->st[S_TILL];
	else if (strcmp(q->payee.type, "BUSINESS") == 0)
		st = p->st[S_MERCHANT];
	char tier[8] = "";
	int rc = 0, found = 0;
	if (st && (rc = db_bind_text(st, ":id", q->payee.id)) == 0 && (rc = db_step(st)) == 1) {
		found = strcmp((const char *)sqlite3_column_text(st, 6), "ACTIVE") == 0 &&
			strcmp((const char *)sqlite3_column_text(st, 2), "APPROVED") == 0 &&
			strcmp((const char *)sqlite3_column_text(st, 3), "ACTIVE") == 0 &&
			strcmp((const char *)sqlite3_column_text(st, 0), dst) == 0;
		snprintf(a->merchant_id, sizeof a->merchant_id, "%s",
			 (const char *)sqlite3_column_text(st, 1));
		snprintf(tier, sizeof tier, "%s", (const char *)sqlite3_column_text(st, 7));
		db_reset(st);
	}
	if (rc < 0)
		return quote_error(a, 2001, "Internal server error");
	if (!found) {
		a->merchant_id[0] = '\0';
		return quote_error(a, 3204, "Party not found: no payable merchant %s/%s at %s",
				   q->payee.type, q->payee.id, dst);
	}
	if (strcmp(q->amount.currency, gw->cfg.gateway_currency) != 0)
		return quote_error(a, 5106, "Unsupported currency %s: %s only",
				   q->amount.currency, gw->cfg.gateway_currency);
	if (strcmp(q->scenario, "PAYMENT") && strcmp(q->scenario, "TRANSFER"))
		return quote_error(a, 5102, "Unsupported transaction type %s", q->scenario);
	unsigned char secret[32];
	int64_t fee = 0;
	if ((rc = dfsp_keys(p, dst, secret, &fee)) < 0)
		return quote_error(a, 2001, "Internal server error");
	int64_t transfer, receive;
	if (strcmp(q->amount_type, "SEND") == 0) {
		transfer = q->amount.amount;
		receive = transfer - fee;
	} else {
		receive = q->amount.amount;
		transfer = receive > INT64_MAX - fee ? -1 : receive + fee;
	}
	if (receive <= 0 || transfer <= 0) {
		OPENSSL_cleanse(secret, sizeof secret);
		return quote_error(a, 5103, "Amount does not cover the payee fee");
	}
	/* the merchant's tier limits, on what it receives */
	const struct kyb_tier *t = kyb_tiers_find(gw->tiers, KYB_PARTY_MERCHANT, tier);
	struct kyb_limit_usage u;
	struct kyb_limit_verdict v;
	if (!t || payee_usage(p, dst, a->merchant_id, &u) < 0) {
		OPENSSL_cleanse(secret, sizeof secret);
		return quote_error(a, 2001, "Internal server error");
	}
	if (kyb_limit_check(t, receive, &u, KYB_LIMIT_ONLINE, q->amount.currency,
			    fspiop_currency_exponent(q->amount.currency), &v) != KYB_LIMIT_OK) {
		OPENSSL_cleanse(secret, sizeof secret);
		return quote_error(a, 5200, "Payee limit error: %s", v.msg);
	}
	/* expiration: ours, or the payer's when sooner */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t exp_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
			 gw->cfg.switch_transfer_expiry_s * 1000;
	fspiop_datetime(exp_ms, a->expiration, sizeof a->expiration);
	if (q->expiration[0] && strcmp(q->expiration, a->expiration) < 0 &&
	    strlen(q->expiration) == strlen(a->expiration))
		snprintf(a->expiration, sizeof a->expiration, "%s", q->expiration);
	/* the ILP packet: the transaction, to the merchant's ILP address */
	json_t *tx = json_pack("{s:s,s:s,s:{s:{s:s,s:s,s:s}},s:{s:{s:s,s:s,s:s}},s:o,s:{s:s,s:s,s:s}}",
			       "transactionId", q->transaction_id, "quoteId", q->quote_id,
			       "payee", "partyIdInfo", "partyIdType", q->payee.type,
			       "partyIdentifier", q->payee.id, "fspId", dst,
			       "payer", "partyIdInfo", "partyIdType", q->payer.type,
			       "partyIdentifier", q->payer.id, "fspId",
			       q->payer.fsp_id[0] ? q->payer.fsp_id : src,
			       "amount", money(q->amount.currency, transfer),
			       "transactionType", "scenario", q->scenario, "initiator",
			       q->initiator, "initiatorType", q->initiator_type);
	char *txs = tx ? json_dumps(tx, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(tx);
	char *data = txs ? malloc(strlen(txs) * 4 / 3 + 4) : NULL;
	char account[200];
	snprintf(account, sizeof account, "g.%s.%s.%s", dst, q->payee.type, q->payee.id);
	for (char *c = account; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
		else if (!ilp_char_ok(*c))
			*c = '_';
	if (data)
		data[fspiop_b64url((const unsigned char *)txs, strlen(txs), data)] = '\0';
	a->packet = data ? payee_ilp_packet(transfer, account, (const unsigned char *)data,
					    strlen(data))
			 : NULL;
	free(txs);
	free(data);
	char fulfilment[44];
	if (!a->packet ||
	    payee_ilp_fulfil(secret, sizeof secret, a->packet, fulfilment, a->packet_cond) < 0) {
		OPENSSL_cleanse(secret, sizeof secret);
		return quote_error(a, 2001, "Internal server error");
	}
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(fulfilment, sizeof fulfilment);
	a->transfer_amount = transfer;
	a->code = 0;
	a->body = json_pack("{s:o,s:o,s:o,s:s,s:s,s:s}", "transferAmount",
			    money(q->amount.currency, transfer), "payeeReceiveAmount",
			    money(q->amount.currency, receive), "payeeFspFee",
			    money(q->amount.currency, fee), "expiration", a->expiration,
			    "ilpPacket", a->packet, "condition", a->packet_cond);
	if (!a->body)
		return quote_error(a, 2001, "Internal server error");
	return 0;
}

/* The checks an incoming POST starts with: a switch configured, the
 * FSPIOP headers (src and dst filled), a destination. Returns the payee
 * side, or NULL when the request has been answered already. */
static struct payee *post_checks(struct gw *gw, struct http_req *r, enum fspiop_res res,
				 char src[33], char dst[33])
{
	struct payee *p = gw->payee;
	if (!gw->sw || !p) {
		req_error(r, res, 503, 2003, "no switch configured");
		return NULL;
	}
	if (req_headers(p, r, res, src, dst) < 0) {
		p->stats.rejected++;
		return NULL;
	}
	if (!dst[0]) {
		p->stats.rejected++;
		req_error(r, res, 400, 3102, "FSPIOP-Destination: missing");
		return NULL;
	}
	return p;
}

/* POST /quotes */
static void h_post_quote(struct http_req *r, void *arg)
{
	struct gw *gw = arg;
	char src[33], dst[33];
	struct payee *p = post_checks(gw, r, FSPIOP_QUOTES, src, dst);
	if (!p)
		return;
	size_t len;
	const char *body = http_body(r, &len);
	struct fspiop_quote_in q;
	char err[256];
	if (fspiop_parse_quote_req(body ? body : "", body ? len : 0, &q, err, sizeof err) < 0) {
		p->stats.rejected++;
		req_error(r, FSPIOP_QUOTES, 400, 3100, err);
		return;
	}
	char hash[65];
	sha256_hex(body, len, hash);
	char path[80];
	/* a duplicate: the same answer again, or 3106 */
	sqlite3_stmt *st = p->st[S_QUOTE_GET];
	int rc;
	if ((rc = db_bind_text(st, ":id", q.quote_id)) == 0 && (rc = db_step(st)) == 1) {
		int same = strcmp((const char *)sqlite3_column_text(st, 0), hash) == 0;
		int code = sqlite3_column_int(st, 1);
		char *answer = strdup((const char *)sqlite3_column_text(st, 2));
		char from[33];
		snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 3));
		db_reset(st);
		http_reply(r, 202, NULL, "", 0);
		p->stats.quote_duplicates++;
		LOGI(LC_SWITCH, "quote duplicate", "quote=%s same_body=%d requester=%s", q.quote_id,
		     same, src);
		if (same) {
			snprintf(path, sizeof path, "/quotes/%s%s", q.quote_id, code ? "/error" : "");
			json_t *b = answer ? json_loads(answer, 0, NULL) : NULL;
			send_put(p, FSPIOP_QUOTES, path, from, src, b);
		} else {
			snprintf(path, sizeof path, "/quotes/%s/error", q.quote_id);
			send_put(p, FSPIOP_QUOTES, path, dst, src,
				 fspiop_error_body(3106, "Modified request: quoteId reused with "
							 "another body"));
		}
		free(answer);
		return;
	}
	if (rc < 0) {
		req_error(r, FSPIOP_QUOTES, 500, 2001, "Internal server error");
		return;
	}
	struct qans a = { 0 };
	quote_answer(p, &q, src, dst, &a);
	char *ans = a.body ? json_dumps(a.body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(a.body);
	if (!ans) {
		free(a.packet);
		req_error(r, FSPIOP_QUOTES, 500, 2001, "out of memory");
		return;
	}
	/* kept before the answer leaves */
	st = p->st[S_QUOTE_ADD];
	if ((rc = db_bind_text(st, ":id", q.quote_id)) < 0 ||
	    (rc = db_bind_text(st, ":dfsp", dst)) < 0 ||
	    (rc = db_bind_text(st, ":payer", src)) < 0 ||
	    (rc = (a.merchant_id[0] ? db_bind_text(st, ":merchant", a.merchant_id)
				    : db_bind_null(st, ":merchant"))) < 0 ||
	    (rc = db_bind_text(st, ":hash", hash)) < 0 ||
	    (rc = db_bind_int64(st, ":code", a.code)) < 0 ||
	    (rc = db_bind_text(st, ":answer", ans)) < 0 ||
	    (rc = (a.code ? db_bind_null(st, ":amount")
			  : db_bind_int64(st, ":amount", a.transfer_amount))) < 0 ||
	    (rc = db_bind_text(st, ":currency", q.amount.currency)) < 0 ||
	    (rc = (a.code ? db_bind_null(st, ":packet") : db_bind_text(st, ":packet", a.packet))) <
		    0 ||
	    (rc = (a.code ? db_bind_null(st, ":condition")
			  : db_bind_text(st, ":condition", a.packet_cond))) < 0 ||
	    (rc = (a.code ? db_bind_null(st, ":expiration")
			  : db_bind_text(st, ":expiration", a.expiration))) < 0 ||
	    (rc = db_run(st)) < 0) {
		free(ans);
		free(a.packet);
		char q1[100];
		LOGE(LC_SWITCH, "quote not stored", "quote=%s error=%s", q.quote_id,
		     log_q(q1, sizeof q1, strerror(-rc)));
		req_error(r, FSPIOP_QUOTES, 500, 2001, "Internal server error");
		return;
	}
	/* A quote for a merchant's request to pay (gateway/rtp.h). */
	if (!a.code && q.transaction_request_id[0] && gw->rtp)
		rtp_on_quote(gw->rtp, q.transaction_request_id, q.quote_id, src, a.merchant_id);
	http_reply(r, 202, NULL, "", 0);
	p->stats.quotes++;
	if (a.code)
		p->stats.quotes_refused++;
	LOGI(LC_SWITCH, "quote answered", "quote=%s dfsp=%s merchant=%s code=%d requester=%s",
	     q.quote_id, dst, a.merchant_id[0] ? a.merchant_id : "-", a.code, src);
	snprintf(path, sizeof path, "/quotes/%s%s", q.quote_id, a.code ? "/error" : "");
	send_put(p, FSPIOP_QUOTES, path, dst, src, json_loads(ans, 0, NULL));
	free(ans);
	free(a.packet);
}

/* ---- POST /transfers ---- */

/* A new transfer's answer: *code 0 (COMMITTED) or the error code. */
struct tans {
	int code;
	char quote_id[37];
	char merchant_id[24];
	char payer_type[33];        /* the payer's party, from the quote's transaction */
	char payer_id[129];
	json_t *body;
};

static int transfer_error(struct tans *a, int code, const char *desc)
{
	a->code = code;
	a->body = fspiop_error_body(code, desc);
	return code;
}

static int transfer_answer(struct payee *p, const struct fspiop_transfer_in *t, const char *src,
			   const char *dst, struct tans *a)
{
	if (strcmp(t->payee_fsp, dst) != 0)
		return transfer_error(a, 3100, "payeeFsp: not the FSPIOP-Destination");
	if (strcmp(t->payer_fsp, src) != 0)
		return transfer_error(a, 3100, "payerFsp: not the FSPIOP-Source");
	/* the quote that made this packet */
	sqlite3_stmt *st = p->st[S_QUOTE_BY_PACKET];
	int rc;
	int64_t q_amount = 0;
	char q_ccy[4] = "";
	if ((rc = db_bind_text(st, ":packet", t->ilp_packet)) < 0 ||
	    (rc = db_bind_text(st, ":dfsp", dst)) < 0)
		return transfer_error(a, 2001, "Internal server error");
	rc = db_step(st);
	if (rc < 0)
		return transfer_error(a, 2001, "Internal server error");
	if (rc == 0)
		return transfer_error(a, 3205, "Quote ID not found: no quote made this ilpPacket");
	snprintf(a->quote_id, sizeof a->quote_id, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(a->merchant_id, sizeof a->merchant_id, "%s",
		 (const char *)sqlite3_column_text(st, 1));
	q_amount = sqlite3_column_int64(st, 2);
	snprintf(q_ccy, sizeof q_ccy, "%s", (const char *)sqlite3_column_text(st, 3));
	db_reset(st);
	/* one committed transfer per quote */
	st = p->st[S_QUOTE_USED];
	if ((rc = db_bind_text(st, ":quote", a->quote_id)) < 0 || (rc = db_step(st)) < 0)
		return transfer_error(a, 2001, "Internal server error");
	if (rc == 1) {
		db_reset(st);
		return transfer_error(a, 3100, "ilpPacket: its quote was paid by another transfer");
	}
	/* the fulfilment, made again from the packet received */
	unsigned char secret[32];
	int64_t fee;
	char fulfilment[44], condition[44];
	if (dfsp_keys(p, dst, secret, &fee) < 0 ||
	    payee_ilp_fulfil(secret, sizeof secret, t->ilp_packet, fulfilment, condition) < 0) {
		OPENSSL_cleanse(secret, sizeof secret);
		return transfer_error(a, 2001, "Internal server error");
	}
	OPENSSL_cleanse(secret, sizeof secret);
	if (strcmp(condition, t->condition) != 0)
		return transfer_error(a, 3100, "condition: does not match the ilpPacket");
	if (t->amount.amount != q_amount || strcmp(t->amount.currency, q_ccy) != 0)
		return transfer_error(a, 3100, "amount: not the quote's transferAmount");
	int64_t exp_ms;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (fspiop_datetime_parse(t->expiration, &exp_ms) < 0 || exp_ms <= now_ms)
		return transfer_error(a, 3303, "Transfer expired");
	char done[32];
	fspiop_datetime(now_ms, done, sizeof done);
	packet_payer(t->ilp_packet, a->payer_type, sizeof a->payer_type, a->payer_id,
		     sizeof a->payer_id);
	a->code = 0;
	a->body = json_pack("{s:s,s:s,s:s}", "fulfilment", fulfilment, "completedTimestamp", done,
			    "transferState", "COMMITTED");
	OPENSSL_cleanse(fulfilment, sizeof fulfilment);
	if (!a->body)
		return transfer_error(a, 2001, "Internal server error");
	return 0;
}

/* The row of a new transfer and, when COMMITTED, the payment received
 * (gateway/pay.h: counted in the merchant's takings and limits, with the
 * merchant's one SMS), in one transaction. */
static int transfer_store(struct payee *p, const struct fspiop_transfer_in *t, const char *src,
			  const char *dst, const char *hash, const struct tans *a,
			  const char *ans)
{
	sqlite3_stmt *st = p->st[S_TRANSFER_ADD];
	int rc;
	if ((rc = db_bind_text(st, ":id", t->transfer_id)) < 0 ||
	    (rc = db_bind_text(st, ":dfsp", dst)) < 0 ||
	    (rc = db_bind_text(st, ":payer", src)) < 0 ||
	    (rc = (a->quote_id[0] ? db_bind_text(st, ":quote", a->quote_id)
				  : db_bind_null(st, ":quote"))) < 0 ||
	    (rc = (a->merchant_id[0] ? db_bind_text(st, ":merchant", a->merchant_id)
				     : db_bind_null(st, ":merchant"))) < 0 ||
	    (rc = db_bind_text(st, ":hash", hash)) < 0 ||
	    (rc = db_bind_int64(st, ":code", a->code)) < 0 ||
	    (rc = db_bind_text(st, ":answer", ans)) < 0 ||
	    (rc = db_bind_int64(st, ":amount", t->amount.amount)) < 0 ||
	    (rc = db_bind_text(st, ":currency", t->amount.currency)) < 0 ||
	    (rc = db_run(st)) < 0)
		return rc;
	if (a->code)
		return 0;
	if (!p->gw->pay)
		return -EINVAL;
	struct pay_incoming in = {
		.payee_dfsp = dst, .merchant_id = a->merchant_id, .payer_fsp = src,
		.party_type = a->payer_type, .party_id = a->payer_id,
		.transfer_id = t->transfer_id, .quote_id = a->quote_id,
		.amount = t->amount.amount, .currency = t->amount.currency,
	};
	char err[160];
	struct pay_rec rec;
	rc = pay_record_incoming(p->gw->pay, &in, &rec, err, sizeof err);
	if (rc < 0) {
		char q1[200];
		LOGE(LC_SWITCH, "payment not recorded", "transfer=%s error=%s", t->transfer_id,
		     log_q(q1, sizeof q1, err[0] ? err : strerror(-rc)));
		return rc;
	}
	/* The transfer of a request to pay's quote: the request is PAID. */
	if (p->gw->rtp && a->quote_id[0])
		rtp_on_transfer(p->gw->rtp, a->quote_id, rec.id);
	return 0;
}

/* POST /transfers */
static void h_post_transfer(struct http_req *r, void *arg)
{
	struct gw *gw = arg;
	char src[33], dst[33];
	struct payee *p = post_checks(gw, r, FSPIOP_TRANSFERS, src, dst);
	if (!p)
		return;
	size_t len;
	const char *body = http_body(r, &len);
	struct fspiop_transfer_in t;
	char err[256];
	if (fspiop_parse_transfer_req(body ? body : "", body ? len : 0, &t, err, sizeof err) < 0) {
		p->stats.rejected++;
		req_error(r, FSPIOP_TRANSFERS, 400, 3100, err);
		return;
	}
	char hash[65], path[80];
	sha256_hex(body, len, hash);
	sqlite3_stmt *st = p->st[S_TRANSFER_GET];
	int rc;
	if ((rc = db_bind_text(st, ":id", t.transfer_id)) == 0 && (rc = db_step(st)) == 1) {
		int same = strcmp((const char *)sqlite3_column_text(st, 0), hash) == 0;
		int code = sqlite3_column_int(st, 1);
		char *answer = strdup((const char *)sqlite3_column_text(st, 2));
		char from[33];
		snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 3));
		db_reset(st);
		http_reply(r, 202, NULL, "", 0);
		p->stats.transfer_duplicates++;
		LOGI(LC_SWITCH, "transfer duplicate", "transfer=%s same_body=%d requester=%s",
		     t.transfer_id, same, src);
		if (same) {
			snprintf(path, sizeof path, "/transfers/%s%s", t.transfer_id,
				 code ? "/error" : "");
			send_put(p, FSPIOP_TRANSFERS, path, from, src,
				 answer ? json_loads(answer, 0, NULL) : NULL);
		} else {
			snprintf(path, sizeof path, "/transfers/%s/error", t.transfer_id);
			send_put(p, FSPIOP_TRANSFERS, path, dst, src,
				 fspiop_error_body(3106, "Modified request: transferId reused "
							 "with another body"));
		}
		free(answer);
		fspiop_transfer_in_clear(&t);
		return;
	}
	if (rc < 0) {
		fspiop_transfer_in_clear(&t);
		req_error(r, FSPIOP_TRANSFERS, 500, 2001, "Internal server error");
		return;
	}
	struct tans a = { 0 };
	transfer_answer(p, &t, src, dst, &a);
	char *ans = a.body ? json_dumps(a.body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(a.body);
	if (!ans) {
		fspiop_transfer_in_clear(&t);
		req_error(r, FSPIOP_TRANSFERS, 500, 2001, "out of memory");
		return;
	}
	/* committed before the answer leaves */
	rc = db_begin(gw->db);
	if (rc == 0)
		rc = db_end(gw->db, transfer_store(p, &t, src, dst, hash, &a, ans));
	if (rc < 0) {
		char q1[100];
		LOGE(LC_SWITCH, "transfer not stored", "transfer=%s error=%s", t.transfer_id,
		     log_q(q1, sizeof q1, strerror(-rc)));
		free(ans);
		fspiop_transfer_in_clear(&t);
		req_error(r, FSPIOP_TRANSFERS, 500, 2001, "Internal server error");
		return;
	}
	http_reply(r, 202, NULL, "", 0);
	p->stats.transfers++;
	if (a.code)
		p->stats.transfers_refused++;
	LOGI(LC_SWITCH, "transfer answered", "transfer=%s quote=%s dfsp=%s merchant=%s code=%d "
	     "requester=%s", t.transfer_id, a.quote_id[0] ? a.quote_id : "-", dst,
	     a.merchant_id[0] ? a.merchant_id : "-", a.code, src);
	snprintf(path, sizeof path, "/transfers/%s%s", t.transfer_id, a.code ? "/error" : "");
	send_put(p, FSPIOP_TRANSFERS, path, dst, src, json_loads(ans, 0, NULL));
	free(ans);
	fspiop_transfer_in_clear(&t);
}

const struct http_route payee_routes[PAYEE_ROUTES] = {
	{ "GET", "/parties/{Type}/{ID}", h_get_party },
	{ "POST", "/quotes", h_post_quote },
	{ "POST", "/transfers", h_post_transfer },
};
