/* fspiop.c -- the FSPIOP v1.1 message layer: headers, bodies, callback
 * parsers, amounts, ILP checks, JWS signing and the error-code table. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "gateway/fspiop.h"

static const char *const res_names[] = {
	[FSPIOP_PARTIES] = "parties",
	[FSPIOP_QUOTES] = "quotes",
	[FSPIOP_TRANSFERS] = "transfers",
	[FSPIOP_PARTICIPANTS] = "participants",
	[FSPIOP_TXREQUESTS] = "transactionRequests",
};

const char *fspiop_res_name(enum fspiop_res res)
{
	if ((unsigned)res >= sizeof res_names / sizeof res_names[0])
		return "?";
	return res_names[res];
}

#define MEDIA_PREFIX "application/vnd.interoperability."

int fspiop_content_type(enum fspiop_res res, char *buf, size_t n)
{
	int w = snprintf(buf, n, MEDIA_PREFIX "%s+json;version=1.1", fspiop_res_name(res));
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

int fspiop_accept(enum fspiop_res res, char *buf, size_t n)
{
	int w = snprintf(buf, n, MEDIA_PREFIX "%s+json;version=1", fspiop_res_name(res));
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

int fspiop_check_content_type(const char *v, enum fspiop_res res, char *err, size_t n)
{
	if (!v) {
		snprintf(err, n, "Content-Type: missing");
		return -1;
	}
	char want[96];
	int w = snprintf(want, sizeof want, MEDIA_PREFIX "%s+json;version=", fspiop_res_name(res));
	size_t wl = (size_t)w;
	for (size_t i = 0; i < wl; i++) {
		char c = v[i];
		/* media type names are case-insensitive; the resource is not */
		if (c == '\0' || (c != want[i] && !(i < sizeof MEDIA_PREFIX - 1 &&
						   (c | 0x20) == want[i]))) {
			snprintf(err, n, "Content-Type: expected '%s1.1' (position %zu)", want, i);
			return -1;
		}
	}
	const char *p = v + wl;
	size_t pos = wl;
	if (p[0] < '0' || p[0] > '9') {
		snprintf(err, n, "Content-Type: version number expected (position %zu)", pos);
		return -1;
	}
	const char *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (*q == '.') {
		q++;
		if (*q < '0' || *q > '9') {
			snprintf(err, n, "Content-Type: minor version expected (position %zu)",
				 pos + (size_t)(q - p));
			return -1;
		}
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q != '\0') {
		snprintf(err, n, "Content-Type: unexpected character after the version (position %zu)",
			 pos + (size_t)(q - p));
		return -1;
	}
	if (!(p[0] == '1' && (p[1] == '\0' || p[1] == '.'))) {
		snprintf(err, n, "Content-Type: unsupported version '%s' (position %zu): 1.x only", p,
			 pos);
		return -2;
	}
	return 0;
}

/* ---- dates ---- */

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int fspiop_date(time_t t, char *buf, size_t n)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	/* names from our own tables: strftime's %a/%b follow the locale */
	int w = snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday],
			 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

static int digits(const char *s, int k, int *out)
{
	int v = 0;
	for (int i = 0; i < k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1 - i;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int fspiop_date_parse(const char *s, time_t *t, char *err, size_t n)
{
	/* "Tue, 15 Nov 1994 08:12:31 GMT": 29 characters */
	static const char shape[] = "aaa, 00 aaa 0000 00:00:00 GMT";
	size_t len = strlen(s);
	for (size_t i = 0; i < sizeof shape - 1; i++) {
		char c = i < len ? s[i] : '\0';
		char k = shape[i];
		int bad = k == '0' ? (c < '0' || c > '9')
			  : k == 'a' ? !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
				     : c != k;
		if (bad) {
			snprintf(err, n, "Date: not an RFC 7231 date (position %zu)", i);
			return -1;
		}
	}
	if (len != sizeof shape - 1) {
		snprintf(err, n, "Date: unexpected character (position %zu)", sizeof shape - 1);
		return -1;
	}
	int wd = -1, mon = -1;
	for (int i = 0; i < 7; i++)
		if (memcmp(s, wdays[i], 3) == 0)
			wd = i;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, months[i], 3) == 0)
			mon = i;
	if (wd < 0 || mon < 0) {
		snprintf(err, n, "Date: bad %s name (position %d)", wd < 0 ? "day" : "month",
			 wd < 0 ? 0 : 8);
		return -1;
	}
	int d = 0, y = 0, hh = 0, mm = 0, ss = 0;
	digits(s + 5, 2, &d);
	digits(s + 12, 4, &y);
	digits(s + 17, 2, &hh);
	digits(s + 20, 2, &mm);
	digits(s + 23, 2, &ss);
	if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 59 || y < 1970) {
		snprintf(err, n, "Date: field out of range (position 5)");
		return -1;
	}
	struct tm tm = { .tm_mday = d, .tm_mon = mon, .tm_year = y - 1900, .tm_hour = hh,
			 .tm_min = mm, .tm_sec = ss };
	time_t v = timegm(&tm);
	struct tm back;
	if (v == (time_t)-1 || !gmtime_r(&v, &back) || back.tm_mday != d) {
		snprintf(err, n, "Date: no such day (position 5)");
		return -1;
	}
	*t = v;
	return 0;
}

int fspiop_datetime(int64_t ms, char *buf, size_t n)
{
	if (ms < 0)
		return -EINVAL;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	int w = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(ms % 1000));
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

/* DateTime of the schema: YYYY-MM-DDThh:mm:ss[.fff]Z or +hh:mm/-hh:mm.
 * Returns -1 or the offset of the first bad character. */
static long datetime_bad(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;
	for (i = 0; i < sizeof shape - 1; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return (long)i;
	}
	if (s[i] == '.') {
		i++;
		size_t k = i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == k || i - k > 3)
			return (long)i;
	}
	if (s[i] == 'Z')
		return s[i + 1] ? (long)i + 1 : -1;
	if (s[i] == '+' || s[i] == '-') {
		static const char z[] = "dd:dd";
		for (size_t j = 0; j < 5; j++)
			if (z[j] == 'd' ? (s[i + 1 + j] < '0' || s[i + 1 + j] > '9')
					: s[i + 1 + j] != ':')
				return (long)(i + 1 + j);
		return s[i + 6] ? (long)i + 6 : -1;
	}
	return (long)i;
}

/* ---- identifiers ---- */

int fspiop_uuid_new(char out[37])
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		return -EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

int fspiop_uuid_ok(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

static const char *const party_types[] = { "MSISDN", "EMAIL", "PERSONAL_ID", "BUSINESS",
					   "DEVICE", "ACCOUNT_ID", "IBAN", "ALIAS" };

int fspiop_party_type_ok(const char *s)
{
	for (size_t i = 0; s && i < sizeof party_types / sizeof party_types[0]; i++)
		if (strcmp(s, party_types[i]) == 0)
			return 1;
	return 0;
}

static int printable_ok(const char *s, size_t max, const char *forbid)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (forbid && strchr(forbid, c)))
			return 0;
	}
	return 1;
}

int fspiop_party_id_ok(const char *s)
{
	return printable_ok(s, 128, "/?");
}

int fspiop_fsp_id_ok(const char *s)
{
	return printable_ok(s, 32, NULL);
}

/* ---- amounts ---- */

int fspiop_currency_exponent(const char *ccy)
{
	static const struct {
		char code[4];
		int exp;
	} t[] = {
		{ "BHD", 3 }, { "BIF", 0 }, { "CLF", 4 }, { "CLP", 0 }, { "DJF", 0 },
		{ "GNF", 0 }, { "IQD", 3 }, { "ISK", 0 }, { "JOD", 3 }, { "JPY", 0 },
		{ "KMF", 0 }, { "KRW", 0 }, { "KWD", 3 }, { "LYD", 3 }, { "OMR", 3 },
		{ "PYG", 0 }, { "RWF", 0 }, { "TND", 3 }, { "UGX", 0 }, { "UYI", 0 },
		{ "UYW", 4 }, { "VND", 0 }, { "VUV", 0 }, { "XAF", 0 }, { "XOF", 0 },
		{ "XPF", 0 },
	};
	if (!ccy || strlen(ccy) != 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (ccy[i] < 'A' || ccy[i] > 'Z')
			return -1;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(t[i].code, ccy) == 0)
			return t[i].exp;
	return 2;
}

int fspiop_amount_parse(const char *s, int exp, int64_t *minor, char *err, size_t n)
{
	size_t i = 0;
	int64_t v = 0;
	if (exp < 0 || exp > 4) {
		snprintf(err, n, "currency exponent %d unsupported", exp);
		return -1;
	}
	if (s[0] == '0') {
		i = 1;
	} else if (s[0] >= '1' && s[0] <= '9') {
		while (s[i] >= '0' && s[i] <= '9') {
			if (i == 18) {
				snprintf(err, n, "more than 18 integer digits (position %zu)", i);
				return -1;
			}
			v = v * 10 + (s[i] - '0');
			i++;
		}
	} else {
		snprintf(err, n, "digit expected (position 0)");
		return -1;
	}
	int decimals = 0;
	int64_t frac = 0;
	if (s[i] == '.') {
		size_t dot = i++;
		while (s[i] >= '0' && s[i] <= '9') {
			if (decimals == 4) {
				snprintf(err, n, "more than 4 decimals (position %zu)", i);
				return -1;
			}
			frac = frac * 10 + (s[i] - '0');
			decimals++;
			i++;
		}
		if (decimals == 0 || s[i - 1] == '0') {
			snprintf(err, n, "%s (position %zu)",
				 decimals == 0 ? "digit expected after '.'" : "trailing zero after '.'",
				 decimals == 0 ? dot + 1 : i - 1);
			return -1;
		}
		if (decimals > exp) {
			snprintf(err, n, "%d decimals, the currency has %d (position %zu)", decimals,
				 exp, dot + 1 + (size_t)exp);
			return -1;
		}
	}
	if (s[i] != '\0') {
		snprintf(err, n, "unexpected character (position %zu)", i);
		return -1;
	}
	int64_t scale = 1;
	for (int k = 0; k < exp; k++)
		scale *= 10;
	for (int k = decimals; k < exp; k++)
		frac *= 10;
	int64_t r;
	if (__builtin_mul_overflow(v, scale, &r) || __builtin_add_overflow(r, frac, &r)) {
		snprintf(err, n, "too large (position 0)");
		return -1;
	}
	*minor = r;
	return 0;
}

int fspiop_amount_format(int64_t minor, int exp, char *buf, size_t n)
{
	if (minor < 0 || exp < 0 || exp > 4)
		return -EINVAL;
	int64_t scale = 1;
	for (int k = 0; k < exp; k++)
		scale *= 10;
	int64_t ip = minor / scale, fp = minor % scale;
	int w;
	if (fp == 0) {
		w = snprintf(buf, n, "%lld", (long long)ip);
	} else {
		int d = exp;
		while (fp % 10 == 0) {
			fp /= 10;
			d--;
		}
		w = snprintf(buf, n, "%lld.%0*lld", (long long)ip, d, (long long)fp);
	}
	return w < 0 || (size_t)w >= n ? -ENOSPC : 0;
}

/* ---- base64url and ILP ---- */

size_t fspiop_b64url(const unsigned char *in, size_t len, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
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

/* Decodes exactly 43 characters into 32 bytes; -1 if not canonical. */
static int b64url_decode32(const char *s, unsigned char out[32])
{
	if (!s || strlen(s) != 43)
		return -1;
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;
	for (int i = 0; i < 43; i++) {
		int v = b64url_val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* 43*6 = 258 bits: 2 left over must be zero */
	return o == 32 && acc == 0 ? 0 : -1;
}

int fspiop_b64url32_ok(const char *s)
{
	unsigned char b[32];
	return b64url_decode32(s, b) == 0;
}

int fspiop_fulfilment_ok(const char *fulfilment, const char *condition)
{
	unsigned char f[32], c[32], h[32];
	if (b64url_decode32(fulfilment, f) < 0 || b64url_decode32(condition, c) < 0)
		return -1;
	SHA256(f, sizeof f, h);
	return CRYPTO_memcmp(h, c, sizeof h) == 0;
}

static int b64url_text_ok(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (b64url_val(s[i]) < 0 && !(s[i] == '=' && i + 2 >= len))
			return 0;
	return 1;
}

/* ---- request bodies ---- */

static json_t *party_json(const struct fspiop_party_id *p, const char *path, char *err, size_t n)
{
	if (!fspiop_party_type_ok(p->type)) {
		snprintf(err, n, "%s.partyIdInfo.partyIdType: not a PartyIdType", path);
		return NULL;
	}
	if (!fspiop_party_id_ok(p->id)) {
		snprintf(err, n, "%s.partyIdInfo.partyIdentifier: 1-128 characters, no '/' or '?'",
			 path);
		return NULL;
	}
	if (p->fsp_id && !fspiop_fsp_id_ok(p->fsp_id)) {
		snprintf(err, n, "%s.partyIdInfo.fspId: 1-32 characters", path);
		return NULL;
	}
	json_t *info = json_pack("{s:s,s:s}", "partyIdType", p->type, "partyIdentifier", p->id);
	if (info && p->fsp_id)
		json_object_set_new(info, "fspId", json_string(p->fsp_id));
	return info ? json_pack("{s:o}", "partyIdInfo", info) : NULL;
}

static json_t *money_json(const char *ccy, int64_t amount, const char *path, char *err, size_t n)
{
	int exp = fspiop_currency_exponent(ccy);
	char a[40];
	if (exp < 0) {
		snprintf(err, n, "%s.currency: not an ISO 4217 code", path);
		return NULL;
	}
	if (amount <= 0 || fspiop_amount_format(amount, exp, a, sizeof a) < 0) {
		snprintf(err, n, "%s.amount: must be positive", path);
		return NULL;
	}
	return json_pack("{s:s,s:s}", "currency", ccy, "amount", a);
}

json_t *fspiop_quote_body(const struct fspiop_quote_req *q, char *err, size_t n)
{
	if (!fspiop_uuid_ok(q->quote_id) || !fspiop_uuid_ok(q->transaction_id)) {
		snprintf(err, n, "$.%s: not a lowercase UUID",
			 fspiop_uuid_ok(q->quote_id) ? "transactionId" : "quoteId");
		return NULL;
	}
	if (!q->amount_type || (strcmp(q->amount_type, "SEND") && strcmp(q->amount_type, "RECEIVE"))) {
		snprintf(err, n, "$.amountType: SEND or RECEIVE");
		return NULL;
	}
	if (!q->scenario || !q->initiator || !q->initiator_type) {
		snprintf(err, n, "$.transactionType: scenario, initiator and initiatorType needed");
		return NULL;
	}
	if (q->note && strlen(q->note) > 128) {
		snprintf(err, n, "$.note: at most 128 characters");
		return NULL;
	}
	json_t *payee = party_json(&q->payee, "$.payee", err, n);
	json_t *payer = payee ? party_json(&q->payer, "$.payer", err, n) : NULL;
	json_t *amount = payer ? money_json(q->currency, q->amount, "$.amount", err, n) : NULL;
	if (!amount) {
		json_decref(payee);
		json_decref(payer);
		return NULL;
	}
	json_t *b = json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:{s:s,s:s,s:s}}", "quoteId", q->quote_id,
			      "transactionId", q->transaction_id, "payee", payee, "payer", payer,
			      "amountType", q->amount_type, "amount", amount, "transactionType",
			      "scenario", q->scenario, "initiator", q->initiator, "initiatorType",
			      q->initiator_type);
	if (!b) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	char dt[32];
	if (q->expiration_ms > 0 && fspiop_datetime(q->expiration_ms, dt, sizeof dt) == 0)
		json_object_set_new(b, "expiration", json_string(dt));
	if (q->note)
		json_object_set_new(b, "note", json_string(q->note));
	return b;
}

json_t *fspiop_transfer_body(const struct fspiop_transfer_req *t, char *err, size_t n)
{
	if (!fspiop_uuid_ok(t->transfer_id)) {
		snprintf(err, n, "$.transferId: not a lowercase UUID");
		return NULL;
	}
	if (!fspiop_fsp_id_ok(t->payer_fsp) || !fspiop_fsp_id_ok(t->payee_fsp)) {
		snprintf(err, n, "$.%s: 1-32 characters",
			 fspiop_fsp_id_ok(t->payer_fsp) ? "payeeFsp" : "payerFsp");
		return NULL;
	}
	if (!t->ilp_packet || !b64url_text_ok(t->ilp_packet, 32768)) {
		snprintf(err, n, "$.ilpPacket: base64url, 1-32768 characters");
		return NULL;
	}
	if (!fspiop_b64url32_ok(t->condition)) {
		snprintf(err, n, "$.condition: 43 base64url characters");
		return NULL;
	}
	char dt[32];
	if (t->expiration_ms <= 0 || fspiop_datetime(t->expiration_ms, dt, sizeof dt) < 0) {
		snprintf(err, n, "$.expiration: mandatory");
		return NULL;
	}
	json_t *amount = money_json(t->currency, t->amount, "$.amount", err, n);
	if (!amount)
		return NULL;
	json_t *b = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "transferId", t->transfer_id,
			      "payerFsp", t->payer_fsp, "payeeFsp", t->payee_fsp, "amount", amount,
			      "ilpPacket", t->ilp_packet, "condition", t->condition, "expiration",
			      dt);
	if (!b)
		snprintf(err, n, "out of memory");
	return b;
}

json_t *fspiop_txreq_body(const struct fspiop_txreq_req *t, char *err, size_t n)
{
	if (!fspiop_uuid_ok(t->transaction_request_id)) {
		snprintf(err, n, "$.transactionRequestId: not a lowercase UUID");
		return NULL;
	}
	if (!t->scenario || !t->initiator || !t->initiator_type) {
		snprintf(err, n, "$.transactionType: scenario, initiator and initiatorType needed");
		return NULL;
	}
	if ((t->note && strlen(t->note) > 128) || (t->payee_name && strlen(t->payee_name) > 128)) {
		snprintf(err, n, "$.%s: at most 128 characters", t->payee_name && strlen(t->payee_name) > 128
								     ? "payee.name" : "note");
		return NULL;
	}
	if (t->payee_mcc && (strlen(t->payee_mcc) != 4 || strspn(t->payee_mcc, "0123456789") != 4)) {
		snprintf(err, n, "$.payee.merchantClassificationCode: 4 digits");
		return NULL;
	}
	json_t *payee = party_json(&t->payee, "$.payee", err, n);
	json_t *payer = payee ? party_json(&t->payer, "$.payer", err, n) : NULL;
	json_t *amount = payer ? money_json(t->currency, t->amount, "$.amount", err, n) : NULL;
	if (!amount) {
		json_decref(payee);
		json_decref(payer);
		return NULL;
	}
	if (t->payee_mcc)
		json_object_set_new(payee, "merchantClassificationCode", json_string(t->payee_mcc));
	if (t->payee_name)
		json_object_set_new(payee, "name", json_string(t->payee_name));
	/* The payer is a PartyIdInfo here, not a Party. */
	json_t *payer_id = json_incref(json_object_get(payer, "partyIdInfo"));
	json_decref(payer);
	json_t *b = json_pack("{s:s,s:o,s:o,s:o,s:{s:s,s:s,s:s}}", "transactionRequestId",
			      t->transaction_request_id, "payee", payee, "payer", payer_id, "amount",
			      amount, "transactionType", "scenario", t->scenario, "initiator",
			      t->initiator, "initiatorType", t->initiator_type);
	if (!b) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	char dt[32];
	if (t->expiration_ms > 0 && fspiop_datetime(t->expiration_ms, dt, sizeof dt) == 0)
		json_object_set_new(b, "expiration", json_string(dt));
	if (t->note)
		json_object_set_new(b, "note", json_string(t->note));
	return b;
}

json_t *fspiop_error_body(int code, const char *desc)
{
	char c[8], d[129];
	snprintf(c, sizeof c, "%04d", code);
	snprintf(d, sizeof d, "%s", desc ? desc : "");
	return json_pack("{s:{s:s,s:s}}", "errorInformation", "errorCode", c, "errorDescription", d);
}

/* ---- callback parsing ---- */

/* A parse in progress: the body (for positions) and the error buffer. */
struct pctx {
	const char *body;
	size_t len;
	char *err;
	size_t n;
};

/* Position of the value at path (keys separated by '.') in a JSON text
 * that jansson accepted: a small scanner that skips values. Returns the
 * offset of the value (or of the innermost object that lacks the key). */
static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

static size_t skip_value(const char *s, size_t len, size_t i)
{
	i = skip_ws(s, len, i);
	if (i >= len)
		return len;
	if (s[i] == '"')
		return skip_string(s, len, i);
	if (s[i] == '{' || s[i] == '[') {
		int depth = 0;
		for (; i < len; i++) {
			if (s[i] == '"') {
				i = skip_string(s, len, i) - 1;
			} else if (s[i] == '{' || s[i] == '[') {
				depth++;
			} else if (s[i] == '}' || s[i] == ']') {
				if (--depth == 0)
					return i + 1;
			}
		}
		return len;
	}
	while (i < len && !strchr(",}] \t\r\n", s[i]))
		i++;
	return i;
}

static size_t locate(const struct pctx *c, const char *path)
{
	const char *s = c->body;
	size_t len = c->len;
	size_t i = skip_ws(s, len, 0);
	const char *k = path;
	while (*k) {
		const char *dot = strchr(k, '.');
		size_t kl = dot ? (size_t)(dot - k) : strlen(k);
		if (i >= len || s[i] != '{')
			return i;
		size_t obj = i;
		i = skip_ws(s, len, i + 1);
		int found = 0;
		while (i < len && s[i] == '"') {
			size_t ks = i + 1;
			size_t ke = skip_string(s, len, i);
			i = skip_ws(s, len, ke);
			if (i < len && s[i] == ':')
				i = skip_ws(s, len, i + 1);
			if (ke - 1 - ks == kl && memcmp(s + ks, k, kl) == 0) {
				found = 1;
				break;
			}
			i = skip_ws(s, len, skip_value(s, len, i));
			if (i < len && s[i] == ',')
				i = skip_ws(s, len, i + 1);
		}
		if (!found)
			return obj;
		k = dot ? dot + 1 : k + kl;
	}
	return i;
}

__attribute__((format(printf, 3, 4))) static int fail(const struct pctx *c, const char *path,
						       const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(c->err, c->n, "$.%s: %s (position %zu)", path, msg, locate(c, path));
	return -1;
}

static json_t *load(struct pctx *c)
{
	json_error_t je;
	json_t *j = json_loadb(c->body, c->len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(c->err, c->n, "$: malformed JSON: %s at line %d, column %d (position %d)",
			 je.text, je.line, je.column, je.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(c->err, c->n, "$: an object expected (position %zu)",
			 skip_ws(c->body, c->len, 0));
		return NULL;
	}
	return j;
}

/* Walks path (keys separated by '.') from root. */
static json_t *at(json_t *root, const char *path)
{
	char key[64];
	json_t *j = root;
	while (j && *path) {
		const char *dot = strchr(path, '.');
		size_t kl = dot ? (size_t)(dot - path) : strlen(path);
		if (kl >= sizeof key)
			return NULL;
		memcpy(key, path, kl);
		key[kl] = '\0';
		j = json_is_object(j) ? json_object_get(j, key) : NULL;
		path = dot ? dot + 1 : path + kl;
	}
	return j;
}

/* The string at path into out (cap bytes with NUL); required or not.
 * Returns 1 when present, 0 when absent (optional), -1 on error. */
static int get_str(const struct pctx *c, json_t *root, const char *path, int required,
		   char *out, size_t cap, size_t maxlen)
{
	json_t *v = at(root, path);
	if (!v) {
		if (required)
			return fail(c, path, "missing");
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return fail(c, path, "a string expected");
	size_t l = json_string_length(v);
	if (l == 0 || l > maxlen || l >= cap)
		return fail(c, path, "length %zu, expected 1-%zu", l, maxlen);
	const char *s = json_string_value(v);
	if (memchr(s, '\0', l))
		return fail(c, path, "contains NUL");
	memcpy(out, s, l + 1);
	return 1;
}

/* A required member that must be a lowercase UUID. Returns 0, or -1 with
 * the error in c. */
static int get_uuid(const struct pctx *c, json_t *root, const char *path, char *out, size_t cap)
{
	if (get_str(c, root, path, 1, out, cap, 36) < 0)
		return -1;
	if (!fspiop_uuid_ok(out))
		return fail(c, path, "not a lowercase UUID");
	return 0;
}

/* A required FSP id member (at most 32 characters, no control
 * character). Returns 0, or -1 with the error in c. */
static int get_fsp_id(const struct pctx *c, json_t *root, const char *path, char *out, size_t cap)
{
	if (get_str(c, root, path, 1, out, cap, 32) < 0)
		return -1;
	if (!fspiop_fsp_id_ok(out))
		return fail(c, path, "control character");
	return 0;
}

static int get_object(const struct pctx *c, json_t *root, const char *path)
{
	json_t *v = at(root, path);
	if (!v)
		return fail(c, path, "missing");
	if (!json_is_object(v))
		return fail(c, path, "an object expected");
	return 0;
}

/* The ilpPacket member: a base64url string of 1 to 32768 characters,
 * into *out (borrowed from root). 0, or -1 with the error set. */
static int get_ilp_packet(const struct pctx *c, json_t *root, const char **out)
{
	json_t *ilp = json_object_get(root, "ilpPacket");
	if (!ilp)
		return fail(c, "ilpPacket", "missing");
	if (!json_is_string(ilp) || json_string_length(ilp) > 32768 ||
	    strlen(json_string_value(ilp)) != json_string_length(ilp) ||
	    !b64url_text_ok(json_string_value(ilp), 32768))
		return fail(c, "ilpPacket", "base64url string of 1-32768 characters expected");
	*out = json_string_value(ilp);
	return 0;
}

/* The condition member: 43 base64url characters of 32 bytes, into out
 * (at least 44 bytes). 0, or -1 with the error set. */
static int get_condition(const struct pctx *c, json_t *root, char *out, size_t cap)
{
	if (get_str(c, root, "condition", 1, out, cap, 43) < 0)
		return -1;
	if (!fspiop_b64url32_ok(out))
		return fail(c, "condition", "not 43 base64url characters of 32 bytes");
	return 0;
}

static int get_money(const struct pctx *c, json_t *root, const char *path, int required,
		     struct fspiop_money *m)
{
	char p[64], a[40];
	m->amount = -1;
	m->currency[0] = '\0';
	if (!at(root, path)) {
		if (required)
			return fail(c, path, "missing");
		return 0;
	}
	if (get_object(c, root, path) < 0)
		return -1;
	snprintf(p, sizeof p, "%s.currency", path);
	if (get_str(c, root, p, 1, m->currency, sizeof m->currency, 3) < 0)
		return -1;
	int exp = fspiop_currency_exponent(m->currency);
	if (exp < 0)
		return fail(c, p, "not an ISO 4217 code");
	snprintf(p, sizeof p, "%s.amount", path);
	if (get_str(c, root, p, 1, a, sizeof a, 32) < 0)
		return -1;
	char why[96];
	if (fspiop_amount_parse(a, exp, &m->amount, why, sizeof why) < 0)
		return fail(c, p, "%s", why);
	return 0;
}

static int get_datetime(const struct pctx *c, json_t *root, const char *path, int required,
			char *out, size_t cap)
{
	int r = get_str(c, root, path, required, out, cap, cap - 1);
	if (r <= 0)
		return r;
	long bad = datetime_bad(out);
	if (bad >= 0)
		return fail(c, path, "not a DateTime with zone (character %ld)", bad);
	return 1;
}

int fspiop_parse_party(const char *body, size_t len, struct fspiop_party *p, char *err, size_t n)
{
	struct pctx c = { body, len, err, n };
	memset(p, 0, sizeof *p);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	if (get_object(&c, j, "party") < 0 || get_object(&c, j, "party.partyIdInfo") < 0)
		goto out;
	if (get_str(&c, j, "party.partyIdInfo.partyIdType", 1, p->type, sizeof p->type, 15) < 0)
		goto out;
	if (!fspiop_party_type_ok(p->type)) {
		fail(&c, "party.partyIdInfo.partyIdType", "not a PartyIdType");
		goto out;
	}
	if (get_str(&c, j, "party.partyIdInfo.partyIdentifier", 1, p->id, sizeof p->id, 128) < 0)
		goto out;
	if (!fspiop_party_id_ok(p->id)) {
		fail(&c, "party.partyIdInfo.partyIdentifier", "control character, '/' or '?'");
		goto out;
	}
	int has = get_str(&c, j, "party.partyIdInfo.fspId", 0, p->fsp_id, sizeof p->fsp_id, 32);
	if (has < 0)
		goto out;
	if (has && !fspiop_fsp_id_ok(p->fsp_id)) {
		fail(&c, "party.partyIdInfo.fspId", "control character");
		goto out;
	}
	has = get_str(&c, j, "party.partyIdInfo.partySubIdOrType", 0, p->sub_id,
		      sizeof p->sub_id, 128);
	if (has < 0)
		goto out;
	if (has && !fspiop_party_id_ok(p->sub_id)) {
		fail(&c, "party.partyIdInfo.partySubIdOrType", "control character, '/' or '?'");
		goto out;
	}
	if (get_str(&c, j, "party.name", 0, p->name, sizeof p->name, 128) < 0)
		goto out;
	if (get_str(&c, j, "party.merchantClassificationCode", 0, p->mcc, sizeof p->mcc, 4) < 0)
		goto out;
	for (const char *m = p->mcc; *m; m++)
		if (*m < '0' || *m > '9') {
			fail(&c, "party.merchantClassificationCode", "1-4 digits expected");
			goto out;
		}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int fspiop_parse_quote(const char *body, size_t len, struct fspiop_quote *q, char *err, size_t n)
{
	struct pctx c = { body, len, err, n };
	memset(q, 0, sizeof *q);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	if (get_money(&c, j, "transferAmount", 1, &q->transfer_amount) < 0 ||
	    get_money(&c, j, "payeeReceiveAmount", 0, &q->payee_receive_amount) < 0 ||
	    get_money(&c, j, "payeeFspFee", 0, &q->payee_fee) < 0 ||
	    get_money(&c, j, "payeeFspCommission", 0, &q->payee_commission) < 0)
		goto out;
	if (get_datetime(&c, j, "expiration", 1, q->expiration, sizeof q->expiration) < 0)
		goto out;
	if (get_condition(&c, j, q->condition, sizeof q->condition) < 0)
		goto out;
	const char *ilp;
	if (get_ilp_packet(&c, j, &ilp) < 0)
		goto out;
	q->ilp_packet = strdup(ilp);
	if (!q->ilp_packet) {
		snprintf(err, n, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	if (rc < 0)
		fspiop_quote_clear(q);
	return rc;
}

/* ---- incoming requests (payee side) ---- */

/* The partyIdInfo at path into p (name and MCC left empty). */
static int get_party_id(const struct pctx *c, json_t *root, const char *path,
			struct fspiop_party *p)
{
	char k[96];
	if (get_object(c, root, path) < 0)
		return -1;
	snprintf(k, sizeof k, "%s.partyIdType", path);
	if (get_str(c, root, k, 1, p->type, sizeof p->type, 15) < 0)
		return -1;
	if (!fspiop_party_type_ok(p->type))
		return fail(c, k, "not a PartyIdType");
	snprintf(k, sizeof k, "%s.partyIdentifier", path);
	if (get_str(c, root, k, 1, p->id, sizeof p->id, 128) < 0)
		return -1;
	if (!fspiop_party_id_ok(p->id))
		return fail(c, k, "control character, '/' or '?'");
	snprintf(k, sizeof k, "%s.partySubIdOrType", path);
	int has = get_str(c, root, k, 0, p->sub_id, sizeof p->sub_id, 128);
	if (has < 0)
		return -1;
	if (has && !fspiop_party_id_ok(p->sub_id))
		return fail(c, k, "control character, '/' or '?'");
	snprintf(k, sizeof k, "%s.fspId", path);
	has = get_str(c, root, k, 0, p->fsp_id, sizeof p->fsp_id, 32);
	if (has < 0)
		return -1;
	if (has && !fspiop_fsp_id_ok(p->fsp_id))
		return fail(c, k, "control character");
	return 0;
}

/* The string at path, required, one of the NULL-terminated list. */
static int get_enum(const struct pctx *c, json_t *root, const char *path, char *out, size_t cap,
		    const char *const *names)
{
	if (get_str(c, root, path, 1, out, cap, cap - 1) < 0)
		return -1;
	for (; *names; names++)
		if (strcmp(out, *names) == 0)
			return 0;
	return fail(c, path, "not an allowed value");
}

int fspiop_parse_quote_req(const char *body, size_t len, struct fspiop_quote_in *q, char *err,
			   size_t n)
{
	static const char *const amount_types[] = { "SEND", "RECEIVE", NULL };
	static const char *const scenarios[] = { "DEPOSIT", "WITHDRAWAL", "TRANSFER", "PAYMENT",
						 "REFUND", NULL };
	static const char *const initiators[] = { "PAYER", "PAYEE", NULL };
	static const char *const initiator_types[] = { "CONSUMER", "AGENT", "BUSINESS", "DEVICE",
						       NULL };
	struct pctx c = { body, len, err, n };
	memset(q, 0, sizeof *q);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	if (get_uuid(&c, j, "quoteId", q->quote_id, sizeof q->quote_id) < 0)
		goto out;
	if (get_uuid(&c, j, "transactionId", q->transaction_id, sizeof q->transaction_id) < 0)
		goto out;
	if (get_object(&c, j, "payee") < 0 ||
	    get_party_id(&c, j, "payee.partyIdInfo", &q->payee) < 0 ||
	    get_object(&c, j, "payer") < 0 ||
	    get_party_id(&c, j, "payer.partyIdInfo", &q->payer) < 0)
		goto out;
	if (get_enum(&c, j, "amountType", q->amount_type, sizeof q->amount_type, amount_types) < 0)
		goto out;
	if (get_money(&c, j, "amount", 1, &q->amount) < 0)
		goto out;
	if (q->amount.amount <= 0) {
		fail(&c, "amount.amount", "must be more than zero");
		goto out;
	}
	if (get_object(&c, j, "transactionType") < 0 ||
	    get_enum(&c, j, "transactionType.scenario", q->scenario, sizeof q->scenario,
		     scenarios) < 0 ||
	    get_enum(&c, j, "transactionType.initiator", q->initiator, sizeof q->initiator,
		     initiators) < 0 ||
	    get_enum(&c, j, "transactionType.initiatorType", q->initiator_type,
		     sizeof q->initiator_type, initiator_types) < 0)
		goto out;
	if (get_datetime(&c, j, "expiration", 0, q->expiration, sizeof q->expiration) < 0)
		goto out;
	if (get_str(&c, j, "note", 0, q->note, sizeof q->note, 128) < 0)
		goto out;
	int has = get_str(&c, j, "transactionRequestId", 0, q->transaction_request_id,
			  sizeof q->transaction_request_id, 36);
	if (has < 0)
		goto out;
	if (has && !fspiop_uuid_ok(q->transaction_request_id)) {
		fail(&c, "transactionRequestId", "not a lowercase UUID");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int fspiop_parse_txreq(const char *body, size_t len, struct fspiop_txreq_cb *t, char *err,
		       size_t n)
{
	static const char *const states[] = { [FSPIOP_TXR_RECEIVED] = "RECEIVED",
					      [FSPIOP_TXR_PENDING] = "PENDING",
					      [FSPIOP_TXR_ACCEPTED] = "ACCEPTED",
					      [FSPIOP_TXR_REJECTED] = "REJECTED", NULL };
	struct pctx c = { body, len, err, n };
	memset(t, 0, sizeof *t);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	char st[16];
	if (get_enum(&c, j, "transactionRequestState", st, sizeof st, states) < 0)
		goto out;
	for (int k = 0; states[k]; k++)
		if (strcmp(st, states[k]) == 0)
			t->state = (enum fspiop_txr_state)k;
	int has = get_str(&c, j, "transactionId", 0, t->transaction_id, sizeof t->transaction_id, 36);
	if (has < 0)
		goto out;
	if (has && !fspiop_uuid_ok(t->transaction_id)) {
		fail(&c, "transactionId", "not a lowercase UUID");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int fspiop_parse_transfer_req(const char *body, size_t len, struct fspiop_transfer_in *t,
			      char *err, size_t n)
{
	struct pctx c = { body, len, err, n };
	memset(t, 0, sizeof *t);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	if (get_uuid(&c, j, "transferId", t->transfer_id, sizeof t->transfer_id) < 0)
		goto out;
	if (get_fsp_id(&c, j, "payerFsp", t->payer_fsp, sizeof t->payer_fsp) < 0)
		goto out;
	if (get_fsp_id(&c, j, "payeeFsp", t->payee_fsp, sizeof t->payee_fsp) < 0)
		goto out;
	if (get_money(&c, j, "amount", 1, &t->amount) < 0)
		goto out;
	if (t->amount.amount <= 0) {
		fail(&c, "amount.amount", "must be more than zero");
		goto out;
	}
	const char *ilp;
	if (get_ilp_packet(&c, j, &ilp) < 0)
		goto out;
	if (get_condition(&c, j, t->condition, sizeof t->condition) < 0)
		goto out;
	if (get_datetime(&c, j, "expiration", 1, t->expiration, sizeof t->expiration) < 0)
		goto out;
	t->ilp_packet = strdup(ilp);
	if (!t->ilp_packet) {
		snprintf(err, n, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

void fspiop_transfer_in_clear(struct fspiop_transfer_in *t)
{
	free(t->ilp_packet);
	t->ilp_packet = NULL;
}

int fspiop_parse_transfer_patch(const char *body, size_t len, struct fspiop_transfer_patch *t,
				char *err, size_t n)
{
	struct pctx c = { body, len, err, n };
	memset(t, 0, sizeof *t);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	if (get_datetime(&c, j, "completedTimestamp", 1, t->completed, sizeof t->completed) < 0)
		goto out;
	if (get_str(&c, j, "transferState", 1, t->transfer_state, sizeof t->transfer_state, 15) <
	    0)
		goto out;
	if (strcmp(t->transfer_state, "RECEIVED") && strcmp(t->transfer_state, "RESERVED") &&
	    strcmp(t->transfer_state, "COMMITTED") && strcmp(t->transfer_state, "ABORTED")) {
		fail(&c, "transferState", "not RECEIVED, RESERVED, COMMITTED or ABORTED");
		goto out;
	}
	json_t *ext = json_object_get(j, "extensionList");
	if (ext && !json_is_object(ext)) {
		fail(&c, "extensionList", "an object expected");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int fspiop_datetime_parse(const char *s, int64_t *ms)
{
	if (!s || datetime_bad(s) >= 0)
		return -1;
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	int64_t v = (int64_t)timegm(&tm) * 1000;
	const char *p = s + 19;
	if (*p == '.') {
		int64_t frac = 0, scale = 1000;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			frac += (*p - '0') * scale;
		}
		v += frac;
	}
	if (*p == '+' || *p == '-') {
		int zh = (p[1] - '0') * 10 + (p[2] - '0');
		int zm = (p[4] - '0') * 10 + (p[5] - '0');
		int64_t off = ((int64_t)zh * 60 + zm) * 60000;
		v += *p == '+' ? -off : off;
	}
	*ms = v;
	return 0;
}

void fspiop_quote_clear(struct fspiop_quote *q)
{
	free(q->ilp_packet);
	q->ilp_packet = NULL;
}

int fspiop_parse_transfer(const char *body, size_t len, struct fspiop_transfer *t, char *err,
			  size_t n)
{
	static const char *const states[] = { [FSPIOP_RECEIVED] = "RECEIVED",
					      [FSPIOP_RESERVED] = "RESERVED",
					      [FSPIOP_COMMITTED] = "COMMITTED",
					      [FSPIOP_ABORTED] = "ABORTED" };
	struct pctx c = { body, len, err, n };
	memset(t, 0, sizeof *t);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	char st[16];
	if (get_str(&c, j, "transferState", 1, st, sizeof st, 15) < 0)
		goto out;
	size_t k;
	for (k = 0; k < 4; k++)
		if (strcmp(st, states[k]) == 0)
			break;
	if (k == 4) {
		fail(&c, "transferState", "not RECEIVED, RESERVED, COMMITTED or ABORTED");
		goto out;
	}
	t->state = (enum fspiop_xstate)k;
	int has = get_str(&c, j, "fulfilment", 0, t->fulfilment, sizeof t->fulfilment, 43);
	if (has < 0)
		goto out;
	if (has && !fspiop_b64url32_ok(t->fulfilment)) {
		fail(&c, "fulfilment", "not 43 base64url characters of 32 bytes");
		goto out;
	}
	if (get_datetime(&c, j, "completedTimestamp", 0, t->completed, sizeof t->completed) < 0)
		goto out;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int fspiop_parse_error(const char *body, size_t len, struct fspiop_error *e, char *err, size_t n)
{
	struct pctx c = { body, len, err, n };
	memset(e, 0, sizeof *e);
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	char code[8];
	if (get_object(&c, j, "errorInformation") < 0)
		goto out;
	if (get_str(&c, j, "errorInformation.errorCode", 1, code, sizeof code, 4) < 0)
		goto out;
	if (strlen(code) != 4 || code[0] < '1' || code[0] > '9' || digits(code, 4, &e->code) < 0) {
		fail(&c, "errorInformation.errorCode", "four digits, the first not 0, expected");
		goto out;
	}
	if (get_str(&c, j, "errorInformation.errorDescription", 1, e->description,
		    sizeof e->description, 128) < 0)
		goto out;
	json_t *ext = at(j, "errorInformation.extensionList");
	if (ext) {
		json_t *arr = json_object_get(ext, "extension");
		if (!json_is_object(ext) || !json_is_array(arr) || json_array_size(arr) < 1 ||
		    json_array_size(arr) > 16) {
			fail(&c, "errorInformation.extensionList",
			     "{\"extension\":[1-16 {key, value}]} expected");
			goto out;
		}
		size_t i;
		json_t *x;
		json_array_foreach(arr, i, x)
		{
			json_t *k = json_object_get(x, "key"), *v = json_object_get(x, "value");
			if (!json_is_string(k) || !json_is_string(v) || json_string_length(k) < 1 ||
			    json_string_length(k) > 32 || json_string_length(v) < 1 ||
			    json_string_length(v) > 128) {
				fail(&c, "errorInformation.extensionList",
				     "extension %zu: key 1-32 and value 1-128 characters expected", i);
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int fspiop_parse_participant(const char *body, size_t len, char fsp_id[33], char *err, size_t n)
{
	struct pctx c = { body, len, err, n };
	fsp_id[0] = '\0';
	json_t *j = load(&c);
	if (!j)
		return -1;
	int rc = -1;
	int has = get_str(&c, j, "fspId", 0, fsp_id, 33, 32);
	if (has < 0)
		goto out;
	if (has && !fspiop_fsp_id_ok(fsp_id)) {
		fail(&c, "fspId", "control character");
		fsp_id[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* ---- error codes (spec tables 111-118) ---- */

#define R FSPIOP_ACT_RETRY
#define Q FSPIOP_ACT_REQUOTE
#define F FSPIOP_ACT_FAIL
#define B FSPIOP_ACT_BUG
static const struct fspiop_errinfo errtab[] = {
	{ 0, "Unknown error", R, "The payment could not be completed. Please try again later." },
	{ 1000, "Communication error", R, "The payment network is not reachable. Please try again later." },
	{ 1001, "Destination communication error", R, "The merchant's bank is not reachable. Please try again later." },
	{ 2000, "Generic server error", R, "The payment network had a problem. Please try again later." },
	{ 2001, "Internal server error", R, "The payment network had a problem. Please try again later." },
	{ 2002, "Not implemented", B, "This payment is not supported by the payment network." },
	{ 2003, "Service currently unavailable", R, "The payment network is busy. Your payment will be retried." },
	{ 2004, "Server timed out", R, "The merchant's bank did not answer in time. Please try again." },
	{ 2005, "Server busy", R, "The payment network is busy. Please try again in a minute." },
	{ 3000, "Generic client error", B, "The payment could not be sent. Please contact support." },
	{ 3001, "Unacceptable version requested", B, "The payment could not be sent. Please contact support." },
	{ 3002, "Unknown URI", B, "The payment could not be sent. Please contact support." },
	{ 3003, "Add party information error", F, "The merchant could not be registered for payments." },
	{ 3100, "Generic validation error", B, "The payment details were refused. Please try again." },
	{ 3101, "Malformed syntax", B, "The payment details were refused. Please contact support." },
	{ 3102, "Missing mandatory element", B, "The payment details were refused. Please contact support." },
	{ 3103, "Too many elements", B, "The payment details were refused. Please contact support." },
	{ 3104, "Too large payload", B, "The payment details were refused. Please contact support." },
	{ 3105, "Invalid signature", B, "The payment could not be verified. Please contact support." },
	{ 3106, "Modified request", B, "The payment was refused as a changed duplicate. Please contact support." },
	{ 3107, "Missing mandatory extension parameter", B, "The payment details were refused. Please contact support." },
	{ 3200, "Generic ID not found", F, "The payment could not be found." },
	{ 3201, "Destination FSP Error", F, "The merchant's bank is not known to the payment network." },
	{ 3202, "Payer FSP ID not found", B, "Your bank is not known to the payment network." },
	{ 3203, "Payee FSP ID not found", F, "The merchant's bank is not known to the payment network." },
	{ 3204, "Party not found", F, "Merchant ID unknown. Please check the number and try again." },
	{ 3205, "Quote ID not found", Q, "The price offer was lost. Please start the payment again." },
	{ 3206, "Transaction request ID not found", F, "The payment request could not be found." },
	{ 3207, "Transaction ID not found", F, "The payment could not be found." },
	{ 3208, "Transfer ID not found", R, "The payment could not be found yet. Please wait." },
	{ 3209, "Bulk quote ID not found", F, "The payment could not be found." },
	{ 3210, "Bulk transfer ID not found", F, "The payment could not be found." },
	{ 3300, "Generic expired error", Q, "The payment took too long and expired. Please try again." },
	{ 3301, "Transaction request expired", Q, "The payment request expired. Please try again." },
	{ 3302, "Quote expired", Q, "The price offer expired. Please try again." },
	{ 3303, "Transfer expired", Q, "The payment expired before it completed. Please try again." },
	{ 4000, "Generic Payer error", F, "Your bank refused the payment." },
	{ 4001, "Payer FSP insufficient liquidity", F, "Payments are paused for a moment. Please try again later; you have not been charged." },
	{ 4100, "Generic Payer rejection", F, "The payment was refused on your side." },
	{ 4101, "Payer rejected transaction request", F, "You declined the payment." },
	{ 4102, "Payer FSP unsupported transaction type", F, "Your bank does not support this kind of payment." },
	{ 4103, "Payer unsupported currency", F, "Your account cannot pay in this currency." },
	{ 4200, "Payer limit error", F, "This payment is above your limit." },
	{ 4300, "Payer permission error", F, "You are not allowed to make this payment." },
	{ 4400, "Generic Payer blocked error", F, "Your account is blocked. Please contact your bank." },
	{ 5000, "Generic Payee error", F, "The merchant's bank refused the payment." },
	{ 5001, "Payee FSP insufficient liquidity", F, "The merchant's bank cannot accept payments now. Please try later." },
	{ 5100, "Generic Payee rejection", F, "The merchant refused the payment." },
	{ 5101, "Payee rejected quote", F, "The merchant refused the payment." },
	{ 5102, "Payee FSP unsupported transaction type", F, "The merchant's bank does not support this kind of payment." },
	{ 5103, "Payee FSP rejected quote", F, "The merchant's bank refused the payment." },
	{ 5104, "Payee rejected transaction", F, "The merchant refused the payment." },
	{ 5105, "Payee FSP rejected transaction", F, "The merchant's bank refused the payment." },
	{ 5106, "Payee unsupported currency", F, "The merchant cannot be paid in this currency." },
	{ 5200, "Payee limit error", F, "This payment is above the merchant's limit." },
	{ 5300, "Payee permission error", F, "The merchant cannot accept this payment." },
	{ 5400, "Generic Payee blocked error", F, "The merchant cannot accept payments at the moment." },
};
#undef R
#undef Q
#undef F
#undef B

const struct fspiop_errinfo *fspiop_error_info(int code)
{
	const size_t nt = sizeof errtab / sizeof errtab[0];
	for (size_t i = 1; i < nt; i++)
		if (errtab[i].code == code)
			return &errtab[i];
	if (code < 1000 || code > 5999)
		return &errtab[0];
	int generic = code / 100 * 100; /* xx40-xx99 and unlisted: the category's xx00 */
	for (size_t i = 1; i < nt; i++)
		if (errtab[i].code == generic)
			return &errtab[i];
	generic = code / 1000 * 1000;
	for (size_t i = 1; i < nt; i++)
		if (errtab[i].code == generic)
			return &errtab[i];
	return &errtab[0];
}

/* ---- FSPIOP-Signature ---- */

struct fspiop_signer {
	EVP_PKEY *key;
};

int fspiop_signer_load(struct fspiop_signer **out, const char *pem_path, char *err, size_t n)
{
	*out = NULL;
	FILE *f = fopen(pem_path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, n, "%s: %s", pem_path, strerror(e));
		return -e;
	}
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		snprintf(err, n, "%s: not a PEM private key", pem_path);
		return -EINVAL;
	}
	if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_bits(k) < 2048) {
		snprintf(err, n, "%s: an RSA key of 2048 bits or more is needed for RS256",
			 pem_path);
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	struct fspiop_signer *s = calloc(1, sizeof *s);
	if (!s) {
		EVP_PKEY_free(k);
		snprintf(err, n, "out of memory");
		return -ENOMEM;
	}
	s->key = k;
	*out = s;
	return 0;
}

void fspiop_signer_free(struct fspiop_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	free(s);
}

char *fspiop_sign(const struct fspiop_signer *s, const char *uri, const char *method,
		  const char *src, const char *dst, const char *date, const char *body,
		  size_t len, char *err, size_t n)
{
	char *res = NULL, *input = NULL, *ph = NULL;
	unsigned char *sig = NULL;
	EVP_MD_CTX *md = NULL;
	json_t *h = json_pack("{s:s,s:s,s:s,s:s}", "alg", "RS256", "FSPIOP-URI", uri,
			      "FSPIOP-HTTP-Method", method, "FSPIOP-Source", src);
	if (h && dst)
		json_object_set_new(h, "FSPIOP-Destination", json_string(dst));
	if (h)
		json_object_set_new(h, "Date", json_string(date));
	ph = h ? json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(h);
	if (!ph)
		goto oom;
	size_t phl = strlen(ph);
	input = malloc(phl * 4 / 3 + 4 + len * 4 / 3 + 4);
	if (!input)
		goto oom;
	size_t il = fspiop_b64url((const unsigned char *)ph, phl, input);
	size_t php = il;
	input[il++] = '.';
	il += fspiop_b64url((const unsigned char *)body, len, input + il);
	md = EVP_MD_CTX_new();
	size_t sl = 0;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->key) != 1 ||
	    EVP_DigestSign(md, NULL, &sl, (const unsigned char *)input, il) != 1) {
		snprintf(err, n, "RS256 signing failed");
		goto out;
	}
	sig = malloc(sl);
	if (!sig)
		goto oom;
	if (EVP_DigestSign(md, sig, &sl, (const unsigned char *)input, il) != 1) {
		snprintf(err, n, "RS256 signing failed");
		goto out;
	}
	char *sb = malloc(sl * 4 / 3 + 4);
	if (!sb)
		goto oom;
	fspiop_b64url(sig, sl, sb);
	input[php] = '\0';
	json_t *o = json_pack("{s:s,s:s}", "signature", sb, "protectedHeader", input);
	free(sb);
	res = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!res)
		goto oom;
	goto out;
oom:
	snprintf(err, n, "out of memory");
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(input);
	free(ph);
	return res;
}
