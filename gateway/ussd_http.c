/* ussd_http.c -- POST /ussd: the aggregator's form in, one or more steps
 * of the USSD session table, "CON ..." or "END ..." out. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/ussd_http.h"
#include "ussd/ussd_sess.h"

#define KEY_PREFIX "http:"
#define TEXT_MAX 8192  /* bytes of the decoded text field: every answer so far */
#define CODE_MAX 64    /* bytes of the decoded serviceCode */

/* ---- the form parser ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes body[from..to) into buf at *o, NUL-terminated. Returns 0, or
 * the 0-based position of a bad escape + 1 (negated) on failure. */
static long decode(const char *body, size_t from, size_t to, char *buf, size_t cap, size_t *o,
		   int *nul)
{
	*nul = 0;
	for (size_t i = from; i < to; i++) {
		char ch = body[i];
		if (ch == '%') {
			int hi = i + 2 < to ? hexval(body[i + 1]) : -1;
			int lo = i + 2 < to ? hexval(body[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -(long)i - 1;
			ch = (char)(hi << 4 | lo);
			if (ch == '\0') {
				*nul = 1;
				return -(long)i - 1;
			}
			i += 2;
		} else if (ch == '+') {
			ch = ' ';
		} else if (ch == '\0') {
			*nul = 1;
			return -(long)i - 1;
		}
		if (*o + 1 >= cap)
			return -(long)i - 1;
		buf[(*o)++] = ch;
	}
	if (*o >= cap)
		return -(long)to - 1;
	buf[(*o)++] = '\0';
	return 0;
}

long ussd_form_parse(const char *body, size_t len, struct ussd_form *f, char *buf, size_t cap,
		     char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "sessionId", offsetof(struct ussd_form, session_id) },
		{ "serviceCode", offsetof(struct ussd_form, service_code) },
		{ "phoneNumber", offsetof(struct ussd_form, phone_number) },
		{ "networkCode", offsetof(struct ussd_form, network_code) },
		{ "text", offsetof(struct ussd_form, text) },
	};
	memset(f, 0, sizeof *f);
	size_t o = 0;
	for (size_t pos = 0; pos < len;) {
		size_t end = pos;
		while (end < len && body[end] != '&')
			end++;
		if (end == pos) { /* "a=1&&b=2": an empty field is no field */
			pos = end + 1;
			continue;
		}
		const char *eq = memchr(body + pos, '=', end - pos);
		size_t neq = eq ? (size_t)(eq - body) : end;
		size_t name_at = o;
		int nul;
		long rc = decode(body, pos, neq, buf, cap, &o, &nul);
		if (rc < 0) {
			snprintf(err, errlen, "field name at byte %zu: %s at byte %ld", pos,
				 nul ? "NUL byte" : "bad percent escape", -rc - 1);
			return -1;
		}
		const char *name = buf + name_at;
		char shown[40];
		snprintf(shown, sizeof shown, "%s", name);
		if (!eq) {
			snprintf(err, errlen, "field '%s' at byte %zu: no '=' before byte %zu", shown, pos,
				 end);
			return -1;
		}
		size_t k = 0;
		while (k < sizeof fields / sizeof fields[0] && strcmp(fields[k].name, name) != 0)
			k++;
		o = name_at; /* the name is not kept */
		if (k == sizeof fields / sizeof fields[0]) {
			pos = end + 1; /* unknown: ignored, its value unchecked */
			continue;
		}
		const char **slot = (const char **)(void *)((char *)f + fields[k].off);
		if (*slot) {
			snprintf(err, errlen, "field '%s' at byte %zu: given twice", fields[k].name, pos);
			return -1;
		}
		size_t val_at = o;
		rc = decode(body, neq + 1, end, buf, cap, &o, &nul);
		if (rc < 0) {
			snprintf(err, errlen, "field '%s': %s at byte %ld", fields[k].name,
				 nul ? "NUL byte" : "bad percent escape", -rc - 1);
			return -1;
		}
		*slot = buf + val_at;
		pos = end + 1;
	}
	return (long)len;
}

/* ---- the route ---- */

/* One request's reply: on the heap, because a step may be answered
 * later (a payment waiting for the switch): the request is then
 * suspended, and this box outlives the handler until on_reply(). */
struct reply_box {
	struct ussd_reply r;
	int got;
	struct http_req *req; /* set once suspended; NULL once the server is gone */
	int suspended;
};

static void text_reply(struct http_req *req, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void on_gone(void *arg)
{
	struct reply_box *b = arg;
	b->req = NULL; /* the server is freed: the session's reply goes nowhere */
}

static void on_reply(void *arg, const struct ussd_reply *r)
{
	struct reply_box *b = arg;
	if (!b->suspended) {
		b->r = *r; /* answered within the step: h_ussd() replies */
		b->got = 1;
		return;
	}
	if (b->req) {
		if (r)
			text_reply(b->req, 200, "%s %s", r->end ? "END" : "CON", r->text);
		else /* the dialogue ended before its answer (replaced, stopping) */
			text_reply(b->req, 503, "END %s", "Service unavailable");
		http_resume(b->req);
	}
	free(b);
}

static void text_reply(struct http_req *req, unsigned status, const char *fmt, ...)
{
	char body[USSD_REPLY_MAX + 64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof body)
		n = sizeof body - 1;
	http_reply(req, status, "text/plain; charset=utf-8", body, (size_t)n);
}

static int token_ok(const struct gw *gw, const struct http_req *req)
{
	const char *want = gw->cfg.ussd_http_token;
	if (!*want)
		return 1;
	const char *h = http_header(req, "Authorization");
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	size_t n = strlen(want);
	return strlen(h) == n && CRYPTO_memcmp(h, want, n) == 0;
}

/* Feeds one step; 0 with the reply in b (b->got) or to come later (the
 * session keeps b), or a negative errno. */
static int feed(struct gw *gw, enum ussd_step step, const char *key, const char *msisdn,
		const char *text, struct reply_box *b)
{
	struct ussd_step_in in = { step, key, msisdn, text, "http" };
	b->got = 0;
	return ussd_sess_step(gw->ussd, &in, on_reply, b);
}

static void h_ussd(struct http_req *req, void *arg)
{
	struct gw *gw = arg;
	if (!token_ok(gw, req)) {
		http_add_header(req, "WWW-Authenticate", "Bearer");
		text_reply(req, 401, "missing or wrong token (Authorization: Bearer)\n");
		return;
	}
	size_t len = 0;
	const char *body = http_body(req, &len);
	size_t cap = len + 8;
	char *buf = malloc(cap), err[160];
	if (!buf) {
		text_reply(req, 503, "out of memory\n");
		return;
	}
	struct ussd_form f;
	if (ussd_form_parse(body ? body : "", len, &f, buf, cap, err, sizeof err) < 0) {
		text_reply(req, 400, "malformed form: %s\n", err);
		goto out;
	}
	static const char *const need[] = { "sessionId", "serviceCode", "phoneNumber", "text" };
	const char *have[] = { f.session_id, f.service_code, f.phone_number, f.text };
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!have[i]) {
			text_reply(req, 400, "missing field '%s'\n", need[i]);
			goto out;
		}
	char key[USSD_KEY_MAX + 1];
	size_t sl = strlen(f.session_id);
	if (sl == 0 || sl > USSD_KEY_MAX - strlen(KEY_PREFIX)) {
		text_reply(req, 400, "field 'sessionId': must be 1 to %zu bytes\n",
			   USSD_KEY_MAX - strlen(KEY_PREFIX));
		goto out;
	}
	snprintf(key, sizeof key, KEY_PREFIX "%s", f.session_id);
	const char *msisdn = f.phone_number[0] == '+' ? f.phone_number + 1 : f.phone_number;
	size_t ml = strlen(msisdn);
	int digits = ml >= 6 && ml <= 15 && msisdn[0] != '0';
	for (size_t i = 0; digits && i < ml; i++)
		digits = msisdn[i] >= '0' && msisdn[i] <= '9';
	if (!digits) {
		text_reply(req, 400, "field 'phoneNumber': not an E.164 number (+ and 6 to 15 digits)\n");
		goto out;
	}
	if (strlen(f.text) > TEXT_MAX || strlen(f.service_code) > CODE_MAX) {
		int t = strlen(f.text) > TEXT_MAX;
		text_reply(req, 400, "field '%s': longer than %d bytes\n", t ? "text" : "serviceCode",
			   t ? TEXT_MAX : CODE_MAX);
		goto out;
	}
	/* text holds every answer so far: feed the ones the session has not
	 * seen. No session and no answers: the subscriber has just dialled. */
	char *text = buf + (f.text - buf);
	size_t nparts = 0;
	if (*text) {
		nparts = 1;
		for (const char *p = text; *p; p++)
			nparts += *p == '*';
	}
	int seen = ussd_sess_answers(gw->ussd, key);
	struct reply_box *bp = calloc(1, sizeof *bp);
	if (!bp) {
		text_reply(req, 503, "out of memory\n");
		goto out;
	}
	struct reply_box b = { 0 };
	int rc = 0;
	if (seen == -ENOENT && nparts == 0) {
		rc = feed(gw, USSD_BEGIN, key, msisdn, f.service_code, bp);
	} else if (seen == -ENOENT) {
		/* Answers for a dialogue we do not have (expired, or from
		 * before a restart): the expired screen. */
		char *last = strrchr(text, '*');
		rc = feed(gw, USSD_CONTINUE, key, msisdn, last ? last + 1 : text, bp);
	} else if (nparts <= (size_t)seen) {
		free(bp);
		text_reply(req, 409, "field 'text': %zu answers, but the dialogue has consumed %d\n",
			   nparts, seen);
		goto out;
	} else {
		char *p = text;
		for (size_t i = 0; i < nparts; i++) {
			char *star = strchr(p, '*');
			if (star)
				*star = '\0';
			if (i >= (size_t)seen) {
				rc = feed(gw, USSD_CONTINUE, key, msisdn, p, bp);
				/* answered later: the rest (if any) is refused while it waits */
				if (rc < 0 || !bp->got || bp->r.end)
					break;
			}
			p = star ? star + 1 : p + strlen(p);
		}
	}
	if (rc == 0 && !bp->got) {
		/* The step answers later: the session owns bp until on_reply(). */
		bp->req = req;
		bp->suspended = 1;
		http_suspend(req, on_gone, bp);
		goto out;
	}
	if (rc == 0)
		b = *bp;
	free(bp);
	if (rc == -EINVAL) {
		text_reply(req, 400, "field 'text': an answer is longer than 640 bytes\n");
		goto out;
	}
	if (rc == -EBUSY) {
		text_reply(req, 409, "field 'text': the previous answer's reply is still pending\n");
		goto out;
	}
	if (rc < 0) {
		LOGE(LC_USSD, "step failed", "transport=http error=\"%s\"", strerror(-rc));
		text_reply(req, 503, "END %s\n", "Service unavailable");
		goto out;
	}
	/* The reply's text is what the subscriber sees: no trailing newline. */
	text_reply(req, 200, "%s %s", b.r.end ? "END" : "CON", b.r.text);
out:
	free(buf);
}

const struct http_route ussd_http_route = { "POST", "/ussd", h_ussd };
