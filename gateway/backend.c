/* backend.c -- the per-DFSP backend hook (gateway/backend.h): the
 * authorisation asked before a payment moves, the notifications of final
 * states, both over HTTP on a libcurl multi handle in the event loop. */
#include "gateway/backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "gateway/audit.h"
#include "gateway/curlev.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "qr/qr_emv.h"

#define BACKEND_TICK_MS 250       /* the drain timer */
#define BACKEND_MAX_ASKING 64     /* authorisations in flight at once */
#define BACKEND_MAX_NOTIFY 8      /* notifications in flight at once */
#define BACKEND_BATCH 32          /* waiting payments read per pass */
#define BACKEND_RESP_MAX 4096     /* bytes of an answer kept */

/* ---- pure helpers ---- */

int backend_url_check(const char *url, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	size_t n = url ? strlen(url) : 0;
	if (n < 10 || n > BACKEND_URL_MAX - 1) {
		snprintf(err, errlen, "backend URL: 10 to %d characters", BACKEND_URL_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f) {
			snprintf(err, errlen, "backend URL: a space or a control character at %zu",
				 i + 1);
			return -EINVAL;
		}
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *frag = NULL;
	int rc = -EINVAL;
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "backend URL: not a URL: %s", url);
	} else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "backend URL: http or https expected, not %s", scheme);
	} else if (strncmp(url, scheme, strlen(scheme)) != 0 || strncmp(url + strlen(scheme), "://", 3)) {
		snprintf(err, errlen, "backend URL: must start with %s://", scheme);
	} else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		snprintf(err, errlen, "backend URL: no user or password in it (the secret signs)");
	} else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
		   curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
		snprintf(err, errlen, "backend URL: no query or fragment (/authorise and /notify "
				      "are added to it)");
	} else {
		rc = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

/* Copies s into out (size bytes) with control characters made spaces,
 * cut on a UTF-8 character boundary (s is valid UTF-8: jansson checks). */
static void clean_reason(const char *s, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; s[i];) {
		unsigned char c = (unsigned char)s[i];
		size_t cl = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (o + cl >= size)
			break;
		if (cl == 1) {
			out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
			i++;
		} else {
			for (size_t k = 0; k < cl && s[i]; k++)
				out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

int backend_answer_parse(const char *body, size_t len, struct backend_answer *out, char *err,
			 size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errlen, "at byte %d: %s", je.position, je.text);
		return -1;
	}
	int rc = -1;
	json_t *a = json_object_get(j, "approved"), *r = json_object_get(j, "reason");
	if (!json_is_object(j))
		snprintf(err, errlen, "at byte 1: a JSON object expected");
	else if (!a)
		snprintf(err, errlen, "approved: missing");
	else if (!json_is_boolean(a))
		snprintf(err, errlen, "approved: true or false expected");
	else if (r && !json_is_string(r) && !json_is_null(r))
		snprintf(err, errlen, "reason: a string expected");
	else
		rc = 0;
	if (rc == 0) {
		out->approved = json_is_true(a);
		if (json_is_string(r))
			clean_reason(json_string_value(r), out->reason, sizeof out->reason);
	}
	json_decref(j);
	return rc == 0 ? (int)len : -1;
}

void backend_sign(const uint8_t *key, size_t keylen, const char *body, size_t len,
		  char out[BACKEND_SIG_MAX])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, BACKEND_SIG_MAX - 7, mac, sizeof mac);
	sodium_memzero(&st, sizeof st);
}

void backend_decimal(int64_t amount, int exponent, char out[32])
{
	if (exponent < 0)
		exponent = 0;
	if (exponent > 4)
		exponent = 4; /* ISO 4217 has none beyond */
	uint64_t div = 1;
	for (int i = 0; i < exponent; i++)
		div *= 10;
	const char *sign = amount < 0 ? "-" : "";
	uint64_t a = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	char frac[8];
	snprintf(frac, sizeof frac, "%04u", (unsigned)(a % div));
	if (exponent == 0)
		snprintf(out, 32, "%s%llu", sign, (unsigned long long)a);
	else
		snprintf(out, 32, "%s%llu.%s", sign, (unsigned long long)(a / div),
			 frac + 4 - exponent);
}

static char *dump(json_t *j)
{
	if (!j)
		return NULL;
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

char *backend_authorise_body(const struct pay_rec *r, const char *account_ref, int exponent)
{
	char dec[32];
	backend_decimal(r->amount, exponent, dec);
	return dump(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "payment_id", r->id,
			      "dfsp", r->payer_dfsp, "payer_msisdn", r->payer_msisdn, "account_ref",
			      account_ref ? account_ref : "", "merchant_id", r->merchant_id, "till",
			      r->till, "trading_name", r->trading_name, "amount",
			      (json_int_t)r->amount, "amount_decimal", dec, "currency", r->currency,
			      "channel", pay_channel_name(r->channel)));
}

char *backend_notify_body(const struct pay_rec *r, int exponent)
{
	char dec[32];
	backend_decimal(r->amount, exponent, dec);
	int failed = r->state == PAY_FAILED;
	return dump(json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s}",
			      "payment_id", r->id, "dfsp", r->payer_dfsp, "state",
			      pay_state_name(r->state), "fail_code", failed ? r->fail_code : NULL,
			      "fail_reason", failed ? r->fail_reason : NULL, "payer_msisdn",
			      r->payer_msisdn, "merchant_id", r->merchant_id, "till", r->till,
			      "amount", (json_int_t)r->amount, "amount_decimal", dec, "currency",
			      r->currency, "channel", pay_channel_name(r->channel), "updated",
			      r->updated));
}

/* ---- statements ---- */

enum {
	B_DFSP_SET,
	B_DFSP_GET,
	B_WAITING,
	B_AUTH_STATE,
	B_AUTH_SET,
	B_ACCOUNT,
	B__COUNT
};

static const char *const backend_sql[B__COUNT] = {
	[B_DFSP_SET] = "UPDATE dfsp SET backend_url = :url, backend_secret = :secret, "
		       "updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE fsp_id = :id",
	[B_DFSP_GET] = "SELECT coalesce(backend_url, ''), backend_secret FROM dfsp WHERE fsp_id = :id",
	/* Customers waiting, oldest first. */
	[B_WAITING] = "SELECT a.payment_id FROM payment_auth a JOIN payment p ON p.id = a.payment_id "
		      "WHERE a.state = 'asking' AND p.state = 'ACCEPTED' ORDER BY a.created, "
		      "a.payment_id LIMIT :lim",
	[B_AUTH_STATE] = "SELECT state, offline FROM payment_auth WHERE payment_id = :id",
	[B_AUTH_SET] = "UPDATE payment_auth SET state = :state, reason = :reason, "
		       "updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
		       "WHERE payment_id = :id AND state = 'asking'",
	[B_ACCOUNT] = "SELECT account_ref FROM customer WHERE id = :id",
};

static int stmts(struct db *db, sqlite3_stmt ***st)
{
	char err[200];
	int rc = db_prepare_table(db, backend_sql, B__COUNT, st, err, sizeof err);
	if (rc < 0)
		LOGE(LC_PAY, "backend statements", "error=\"%s\"", err);
	return rc;
}

/* ---- a DFSP's hook ---- */

static int dfsp_set_tx(struct db *db, sqlite3_stmt **st, const char *dfsp, const char *url,
		       const uint8_t *secret, size_t secretlen)
{
	int rc;
	char before[BACKEND_URL_MAX];
	if ((rc = backend_dfsp_get(db, dfsp, before, NULL, NULL)) < 0)
		return rc;
	sqlite3_stmt *s = st[B_DFSP_SET];
	if ((rc = db_bind_text(s, ":url", url)) < 0 ||
	    (rc = url ? db_bind_blob(s, ":secret", secret, secretlen)
		      : db_bind_null(s, ":secret")) < 0 ||
	    (rc = db_bind_text(s, ":id", dfsp)) < 0 || (rc = db_run(s)) < 0)
		return rc;
	if (db_changes(db) != 1)
		return -ENOENT;
	/* The URL only: the secret never goes into the audit log. */
	json_t *bj = json_pack("{s:s?}", "backend_url", before[0] ? before : NULL);
	json_t *aj = json_pack("{s:s?,s:b}", "backend_url", url, "secret_set", url != NULL);
	char *b = bj ? json_dumps(bj, JSON_COMPACT) : NULL, *a = aj ? json_dumps(aj, JSON_COMPACT) : NULL;
	json_decref(bj);
	json_decref(aj);
	rc = a && b ? audit_append(db, "system", "system", dfsp, url ? "backend_set" : "backend_remove",
				   "dfsp", dfsp, b, a)
		    : -ENOMEM;
	free(a);
	free(b);
	return rc;
}

int backend_dfsp_set(struct db *db, const char *dfsp, const char *url, const uint8_t *secret,
		     size_t secretlen, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	int rc;
	if (!dfsp || !*dfsp) {
		snprintf(err, errlen, "a DFSP id is needed");
		return -EINVAL;
	}
	if (url && (rc = backend_url_check(url, err, errlen)) < 0)
		return rc;
	if (url && (!secret || secretlen < BACKEND_SECRET_MIN || secretlen > BACKEND_SECRET_MAX)) {
		snprintf(err, errlen, "backend secret: %d to %d bytes", BACKEND_SECRET_MIN,
			 BACKEND_SECRET_MAX);
		return -EINVAL;
	}
	sqlite3_stmt **st;
	if ((rc = stmts(db, &st)) < 0 || (rc = db_begin(db)) < 0)
		return rc;
	rc = db_end(db, dfsp_set_tx(db, st, dfsp, url, secret, secretlen));
	if (rc == -ENOENT)
		snprintf(err, errlen, "no DFSP '%s'", dfsp);
	else if (rc == 0)
		LOGN(LC_AUDIT, url ? "backend hook set" : "backend hook removed", "dfsp=%s url=%s",
		     dfsp, url ? url : "-");
	return rc;
}

int backend_dfsp_get(struct db *db, const char *dfsp, char url[BACKEND_URL_MAX],
		     uint8_t secret[BACKEND_SECRET_MAX], size_t *secretlen)
{
	sqlite3_stmt **st;
	int rc;
	if ((rc = stmts(db, &st)) < 0)
		return rc;
	sqlite3_stmt *s = st[B_DFSP_GET];
	if ((rc = db_bind_text(s, ":id", dfsp)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0)
		return -ENOENT;
	snprintf(url, BACKEND_URL_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
	int n = sqlite3_column_bytes(s, 1);
	if (secret && secretlen) {
		if (n < 0 || n > BACKEND_SECRET_MAX)
			n = 0;
		if (n)
			memcpy(secret, sqlite3_column_blob(s, 1), (size_t)n);
		*secretlen = (size_t)n;
	}
	db_reset(s);
	return 0;
}

/* ---- the daemon's side ---- */

enum breq_kind { BR_AUTHORISE, BR_NOTIFY };

/* One HTTP request in flight. */
struct breq {
	struct backend *b;
	struct breq *next;
	enum breq_kind kind;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;                 /* owned: what is POSTed */
	char resp[BACKEND_RESP_MAX + 1];
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
	char id[PAY_ID_MAX];        /* BR_AUTHORISE: the payment */
	int64_t row;                /* BR_NOTIFY: the outbox row */
	int64_t attempts;
	char dfsp[65];
};

struct backend {
	struct gw *gw;
	sqlite3_stmt **st;
	CURLM *multi;            /* borrowed from cev */
	struct curlev *cev;      /* owned: the multi handle on the loop */
	uint64_t tick;
	struct breq *head;
	size_t asking, notifying;
	int exponent;
	int allow;                  /* [backend] on_unreachable = allow */
	long timeout_ms;
	int64_t backoff_cap_ms;
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void breq_free(struct breq *q)
{
	if (!q)
		return;
	if (q->easy) {
		curl_multi_remove_handle(q->b->multi, q->easy);
		curl_easy_cleanup(q->easy);
	}
	curl_slist_free_all(q->hdrs);
	free(q->body);
	free(q);
}

static void breq_unlink(struct breq *q)
{
	struct backend *b = q->b;
	for (struct breq **pp = &b->head; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	if (q->kind == BR_AUTHORISE)
		b->asking--;
	else
		b->notifying--;
}

static int asking(const struct backend *b, const char *id)
{
	for (const struct breq *q = b->head; q; q = q->next)
		if (q->kind == BR_AUTHORISE && strcmp(q->id, id) == 0)
			return 1;
	return 0;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct breq *q = arg;
	size_t n = size * nmemb, room = BACKEND_RESP_MAX - q->resp_len;
	memcpy(q->resp + q->resp_len, ptr, n < room ? n : room);
	q->resp_len += n < room ? n : room;
	return n;
}

/* Starts POST url + path with q->body signed under secret. 0 or a
 * negative errno (q is then the caller's to free). */
static int post(struct backend *b, struct breq *q, const char *url, const char *path,
		const uint8_t *secret, size_t secretlen)
{
	char full[BACKEND_URL_MAX + 16], sig[BACKEND_SIG_MAX], hdr[BACKEND_SIG_MAX + 40];
	size_t ul = strlen(url);
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	snprintf(full, sizeof full, "%.*s%s", (int)ul, url, path);
	backend_sign(secret, secretlen, q->body, strlen(q->body), sig);
	snprintf(hdr, sizeof hdr, "%s: %s", BACKEND_SIG_HEADER, sig);
	const char *const hv[] = { "Content-Type: application/json", "Accept: application/json",
				   hdr, "Expect:" };
	for (size_t i = 0; i < sizeof hv / sizeof *hv; i++) {
		struct curl_slist *h = curl_slist_append(q->hdrs, hv[i]);
		if (!h)
			return -ENOMEM;
		q->hdrs = h;
	}
	CURL *e = curl_easy_init();
	if (!e)
		return -ENOMEM;
	q->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, full);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, b->timeout_ms);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body));
	if (curl_multi_add_handle(b->multi, e) != CURLM_OK)
		return -ENOMEM;
	q->next = b->head;
	b->head = q;
	if (q->kind == BR_AUTHORISE)
		b->asking++;
	else
		b->notifying++;
	return 0;
}

/* ---- authorisation ---- */

enum verdict { V_APPROVED, V_DECLINED, V_UNREACHABLE, V_NO_HOOK };

/* Records the verdict on payment id and moves it: one transaction for
 * the payment_auth row and the payment's transition. */
static void resolve(struct backend *b, const char *id, enum verdict v, const char *reason)
{
	struct gw *gw = b->gw;
	struct pay_rec rec;
	if (pay_get(gw->pay, NULL, id, &rec) < 0 || rec.state != PAY_ACCEPTED)
		return;
	sqlite3_stmt *s = b->st[B_AUTH_STATE];
	int offline = 0, rc;
	if (db_bind_text(s, ":id", id) < 0 || db_step(s) != 1)
		return;
	offline = sqlite3_column_int(s, 1);
	db_reset(s);

	const char *state, *code = NULL, *why = NULL;
	enum pay_state to = PAY_ACCEPTED;
	switch (v) {
	case V_DECLINED:
		state = "declined";
		to = PAY_FAILED;
		code = "backend_declined";
		why = reason && *reason ? reason : "Declined by your bank or wallet.";
		break;
	case V_UNREACHABLE:
		if (!b->allow) {
			state = "unreachable";
			to = PAY_FAILED;
			code = "backend_unreachable";
			why = "Your bank or wallet could not be reached to approve the payment.";
			break;
		}
		state = "allowed";
		break;
	case V_NO_HOOK:
		state = "allowed";
		break;
	default:
		state = "approved";
		break;
	}
	if (to == PAY_ACCEPTED)
		to = rec.on_us ? PAY_COMMITTED : offline ? PAY_QUEUED : PAY_ACCEPTED;

	char err[200] = "";
	struct pay_rec after = rec;
	if ((rc = db_begin(gw->db)) < 0)
		return;
	s = b->st[B_AUTH_SET];
	rc = db_bind_text(s, ":state", state);
	if (!rc) rc = db_bind_text(s, ":reason", v == V_DECLINED ? why : reason);
	if (!rc) rc = db_bind_text(s, ":id", id);
	if (!rc) rc = db_run(s);
	if (!rc && db_changes(gw->db) != 1)
		rc = -ESTALE;
	if (!rc && to != PAY_ACCEPTED)
		rc = pay_transition(gw->pay, id, to, PAY_BY_BACKEND, code, why, NULL,
				    to == PAY_QUEUED ? now_s() : -1, rec.version, NULL, NULL, &after,
				    err, sizeof err);
	if ((rc = db_end(gw->db, rc)) < 0) {
		LOGE(LC_PAY, "backend verdict not recorded", "payment=%s verdict=%s error=\"%s\"", id,
		     state, err[0] ? err : strerror(-rc));
		return;
	}
	LOGN(LC_PAY, "backend authorisation", "payment=%s dfsp=%s verdict=%s to=%s", id,
	     rec.payer_dfsp, state, pay_state_name(to));
	if (to == PAY_ACCEPTED)
		fwd_kick(gw, id); /* on to the switch */
	else
		fwd_tell(gw, &after); /* as the forwarder's own final states */
}

static void ask(struct backend *b, const char *id)
{
	struct gw *gw = b->gw;
	struct pay_rec rec;
	if (asking(b, id) || pay_get(gw->pay, NULL, id, &rec) < 0 || rec.state != PAY_ACCEPTED)
		return;
	char url[BACKEND_URL_MAX];
	uint8_t secret[BACKEND_SECRET_MAX];
	size_t slen = 0;
	int rc = backend_dfsp_get(gw->db, rec.payer_dfsp, url, secret, &slen);
	if (rc < 0)
		return;
	if (!url[0] || !slen) {
		/* The hook was removed while the payment waited. */
		sodium_memzero(secret, sizeof secret);
		resolve(b, id, V_NO_HOOK, "no backend");
		return;
	}
	char account[80] = "";
	sqlite3_stmt *s = b->st[B_ACCOUNT];
	if (db_bind_int64(s, ":id", rec.customer_id) == 0 && db_step(s) == 1) {
		snprintf(account, sizeof account, "%s", (const char *)sqlite3_column_text(s, 0));
		db_reset(s);
	}
	struct breq *q = calloc(1, sizeof *q);
	if (!q || !(q->body = backend_authorise_body(&rec, account, b->exponent))) {
		free(q);
		sodium_memzero(secret, sizeof secret);
		return;
	}
	q->b = b;
	q->kind = BR_AUTHORISE;
	snprintf(q->id, sizeof q->id, "%s", id);
	snprintf(q->dfsp, sizeof q->dfsp, "%s", rec.payer_dfsp);
	rc = post(b, q, url, "/authorise", secret, slen);
	sodium_memzero(secret, sizeof secret);
	if (rc < 0) {
		breq_free(q);
		return;
	}
	LOGI(LC_PAY, "asking the backend", "payment=%s dfsp=%s", id, rec.payer_dfsp);
}

static void authorise_done(struct breq *q, CURLcode cc, long code)
{
	struct backend_answer a;
	char err[200] = "", perr[160] = "";
	if (cc != CURLE_OK) {
		snprintf(err, sizeof err, "%s: %.140s", curl_easy_strerror(cc),
			 q->errbuf[0] ? q->errbuf : "-");
	} else if (code != 200) {
		snprintf(err, sizeof err, "HTTP %ld", code);
	} else if (backend_answer_parse(q->resp, q->resp_len, &a, perr, sizeof perr) < 0) {
		snprintf(err, sizeof err, "answer refused: %.160s", perr);
	} else {
		resolve(q->b, q->id, a.approved ? V_APPROVED : V_DECLINED, a.reason);
		return;
	}
	LOGW(LC_PAY, "backend unreachable", "payment=%s dfsp=%s policy=%s error=\"%s\"", q->id,
	     q->dfsp, q->b->allow ? "allow" : "refuse", err);
	resolve(q->b, q->id, V_UNREACHABLE, NULL);
}

/* ---- notifications ---- */

static void notify_one(struct backend *b)
{
	struct gw *gw = b->gw;
	struct outbox_row row;
	if (outbox_claim(gw->outbox, BACKEND_OUTBOX_KIND, now_s(), &row) != 1)
		return;
	char url[BACKEND_URL_MAX];
	uint8_t secret[BACKEND_SECRET_MAX];
	size_t slen = 0;
	int rc = backend_dfsp_get(gw->db, row.dest, url, secret, &slen);
	if (rc < 0 || !url[0] || !slen) {
		/* Removed meanwhile: nobody to tell. */
		(void)outbox_fail(gw->outbox, row.id, rc < 0 ? "no such DFSP" : "no backend hook");
		LOGW(LC_PAY, "backend notification dropped: no hook", "row=%lld dfsp=%s",
		     (long long)row.id, row.dest);
		outbox_row_free(&row);
		sodium_memzero(secret, sizeof secret);
		return;
	}
	struct breq *q = calloc(1, sizeof *q);
	if (!q) {
		(void)outbox_retry(gw->outbox, row.id, now_s() + 1, "out of memory");
		outbox_row_free(&row);
		sodium_memzero(secret, sizeof secret);
		return;
	}
	q->b = b;
	q->kind = BR_NOTIFY;
	q->body = row.body; /* hand-off: the row's body is the request's now */
	row.body = NULL;
	q->row = row.id;
	q->attempts = row.attempts;
	snprintf(q->dfsp, sizeof q->dfsp, "%s", row.dest);
	rc = post(b, q, url, "/notify", secret, slen);
	sodium_memzero(secret, sizeof secret);
	if (rc < 0) {
		(void)outbox_retry(gw->outbox, q->row, now_s() + 1, "out of memory");
		breq_free(q);
	}
}

static void notify_done(struct breq *q, CURLcode cc, long code)
{
	struct backend *b = q->b;
	char why[200], rid[16];
	if (cc == CURLE_OK && code >= 200 && code < 300) {
		snprintf(rid, sizeof rid, "http-%ld", code);
		(void)outbox_sent(b->gw->outbox, q->row, rid);
		LOGI(LC_PAY, "backend notified", "row=%lld dfsp=%s attempts=%lld", (long long)q->row,
		     q->dfsp, (long long)q->attempts);
		return;
	}
	if (cc != CURLE_OK)
		snprintf(why, sizeof why, "%s: %.140s", curl_easy_strerror(cc),
			 q->errbuf[0] ? q->errbuf : "-");
	else
		snprintf(why, sizeof why, "HTTP %ld", code);
	int64_t wait = fwd_backoff_ms(q->attempts, b->backoff_cap_ms, randombytes_random());
	(void)outbox_retry(b->gw->outbox, q->row, now_s() + (wait + 999) / 1000, why);
	LOGW(LC_PAY, "backend notification not delivered: retrying", "row=%lld dfsp=%s "
	     "attempts=%lld wait_ms=%lld error=\"%s\"", (long long)q->row, q->dfsp,
	     (long long)q->attempts, (long long)wait, why);
}

/* ---- libcurl on the event loop ---- */

static void check_done(void *arg)
{
	struct backend *b = arg;
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(b->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct breq *q = NULL;
		long code = 0;
		CURLcode cc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		if (!q)
			continue;
		breq_unlink(q);
		curl_multi_remove_handle(b->multi, q->easy);
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
		q->resp[q->resp_len] = '\0';
		if (q->kind == BR_AUTHORISE)
			authorise_done(q, cc, code);
		else
			notify_done(q, cc, code);
		breq_free(q);
	}
}

/* ---- the drain ---- */

static void tick(struct ev *ev, uint64_t id, void *arg)
{
	(void)id;
	struct backend *b = arg;
	b->tick = 0;
	if (!b->gw->stopping) {
		char ids[BACKEND_BATCH][PAY_ID_MAX];
		size_t n = 0;
		sqlite3_stmt *s = b->st[B_WAITING];
		if (db_bind_int64(s, ":lim", BACKEND_BATCH) == 0) {
			while (n < BACKEND_BATCH && db_step(s) == 1)
				snprintf(ids[n++], PAY_ID_MAX, "%s",
					 (const char *)sqlite3_column_text(s, 0));
			db_reset(s);
		}
		for (size_t i = 0; i < n && b->asking < BACKEND_MAX_ASKING; i++)
			ask(b, ids[i]);
		size_t before;
		do {
			before = b->notifying;
			if (before >= BACKEND_MAX_NOTIFY)
				break;
			notify_one(b);
		} while (b->notifying > before);
	}
	b->tick = ev_timer_add(ev, BACKEND_TICK_MS, tick, b);
}

int backend_new(struct backend **out, struct gw *gw, char *err, size_t errlen)
{
	*out = NULL;
	struct backend *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->gw = gw;
	b->timeout_ms = (long)gw->cfg.backend_timeout_ms;
	b->allow = strcmp(gw->cfg.backend_on_unreachable, "allow") == 0;
	b->backoff_cap_ms = (int64_t)gw->cfg.backend_notify_backoff_max_s * 1000;
	const char *num = qr_emv_ccy_num(gw->cfg.gateway_currency);
	b->exponent = num ? qr_emv_ccy_exponent(num) : 2;
	if (b->exponent < 0)
		b->exponent = 2;
	int rc = db_prepare_table(gw->db, backend_sql, B__COUNT, &b->st, err, errlen);
	if (rc < 0) {
		free(b);
		return rc;
	}
	int64_t n = outbox_requeue(gw->outbox, BACKEND_OUTBOX_KIND,
				   "in flight at the last stop: sent again");
	if (n < 0) {
		snprintf(err, errlen, "backend notifications: %s", strerror((int)-n));
		free(b);
		return (int)n;
	}
	if (n > 0)
		LOGN(LC_PAY, "backend notifications in flight at the last stop: sending again",
		     "count=%lld", (long long)n);
	if (curlev_new(&b->cev, gw->ev, check_done, b) < 0)
		goto oom;
	b->multi = curlev_multi(b->cev);
	if (!(b->tick = ev_timer_add(gw->ev, 0, tick, b)))
		goto oom;
	*out = b;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	backend_free(b);
	return -ENOMEM;
}

void backend_free(struct backend *b)
{
	if (!b)
		return;
	while (b->head) {
		struct breq *q = b->head;
		breq_unlink(q);
		if (q->kind == BR_NOTIFY)
			(void)outbox_retry(b->gw->outbox, q->row, 0, "stopped while sending");
		breq_free(q);
	}
	if (b->tick)
		ev_timer_del(b->gw->ev, b->tick);
	curlev_free(b->cev);
	free(b);
}

int backend_kick(struct gw *gw, const char *id)
{
	struct backend *b = gw->backend;
	if (!b || !id)
		return 0;
	sqlite3_stmt *s = b->st[B_AUTH_STATE];
	if (db_bind_text(s, ":id", id) < 0)
		return 0;
	int rc = db_step(s);
	if (rc != 1)
		return 0;
	int waiting = strcmp((const char *)sqlite3_column_text(s, 0), "asking") == 0;
	db_reset(s);
	if (waiting && !gw->stopping)
		ask(b, id);
	return waiting;
}
