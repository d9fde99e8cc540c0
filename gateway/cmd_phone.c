/* cmd_phone.c -- 'tillgate phone': a feature phone on the USSD HTTP
 * transport. It dials a service code against POST /ussd (the Africa's
 * Talking convention: form fields sessionId, serviceCode, phoneNumber,
 * networkCode and text, the answers so far joined by '*'; replies
 * "CON screen" or "END screen"), shows each screen and sends the
 * answers: typed in a terminal, or scripted (--input, or one line each
 * from standard input) so that docs and tests show real sessions.
 *
 * A command-line client, not the daemon: it uses libcurl's easy
 * interface and blocks. Exit status: 0 the dialogue ended with END after
 * every input was used (or the user left with Ctrl-D), 1 it did not, or
 * an HTTP, connection or reply error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "gateway/cmd.h"
#include "kyb/kyb_check.h"
#include "ussd/ussd_dial.h"
#include "ussd/ussd_text.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define DEFAULT_URL "http://127.0.0.1:8080/ussd"
#define DEFAULT_DIAL "*384#"
#define DEFAULT_NETWORK "63902"
#define TOKEN_ENV "TILLGATE_USSD_TOKEN"

#define SESSION_MAX 64        /* bytes of a session id */
#define TOKEN_MAX 256         /* bytes of the bearer token */
#define REPLY_MAX 65536       /* bytes of one reply body */
#define TEXT_MAX 4096         /* bytes of the joined answers ("1*Mama*...") */
#define CONNECT_TIMEOUT_S 10L /* as an aggregator connects to the application */
#define REPLY_TIMEOUT_S 30L   /* one step, answer included */

struct phone {
	const char *url, *dial, *token, *network;
	char msisdn[24];           /* "+" and the digits */
	char session[SESSION_MAX + 1];
	int json, verbose;
	char **inputs;             /* borrowed from argv */
	int ninputs, next_input;
	int from_stdin, interactive;
	char *line;                /* getline() buffer, owned */
	size_t linecap;
	CURL *curl;                /* owned */
	char text[TEXT_MAX + 1];   /* the answers so far, joined by '*' */
	int nanswers;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate phone --msisdn NUMBER [--dial CODE] [--url URL] [--input TEXT ...]\n"
		"                      [--token TOKEN] [--session ID] [--network CODE] [--json]\n"
		"                      [--verbose]\n\n"
		"A feature phone on the USSD HTTP transport (POST /ussd): dials CODE as\n"
		"NUMBER, shows each screen and sends the answers.\n\n"
		"  --msisdn NUMBER  the subscriber, E.164 digits with an optional leading +;\n"
		"                   sent as phoneNumber, always with the +\n"
		"  --dial CODE      what is dialled: a service code (*384#) or a direct\n"
		"                   string (*384*1*2#); sent as serviceCode exactly as\n"
		"                   dialled (default " DEFAULT_DIAL ")\n"
		"  --url URL        the transport (default " DEFAULT_URL ")\n"
		"  --input TEXT     one answer, in order; repeat for each screen. Scripted\n"
		"                   mode: prints every screen and each answer after '> '\n"
		"  --token TOKEN    sent as 'Authorization: Bearer TOKEN' (the daemon's\n"
		"                   [ussd] http_token); default: $" TOKEN_ENV "\n"
		"  --session ID     sessionId (default: a random one); letters, digits, . _ : -\n"
		"  --network CODE   networkCode, MCC and MNC, 5 or 6 digits (default " DEFAULT_NETWORK ")\n"
		"  --json           scripted mode: one JSON object per screen\n"
		"  --verbose        after each screen, its length: characters, septets (or\n"
		"                   UCS-2 units) and whether it fits one USSD screen\n"
		"  -h, --help       this help\n\n"
		"Without --input, a terminal on standard input makes it interactive (type\n"
		"each answer, Ctrl-D hangs up); otherwise each line of standard input is\n"
		"one answer, as with --input.\n\n"
		"Exit status: 0 the dialogue ended (END) after the last answer, or you hung\n"
		"up; 1 it ended before the answers ran out, still asked for input after\n"
		"the last one, or an HTTP, connection or reply error; 2 usage.\n");
}

/* ---- argument checks (each prints its message; returns -1 if bad) ---- */

static int check_msisdn(struct phone *p, const char *arg)
{
	struct kyb_check_bad bad;
	const char *digits = arg[0] == '+' ? arg + 1 : arg;
	size_t n = strlen(digits);

	for (size_t i = 0; i < n; i++)
		if (digits[i] < '0' || digits[i] > '9') {
			fprintf(stderr, "tillgate phone: --msisdn: position %zu: expected a digit\n",
				(size_t)(digits - arg) + i + 1);
			return -1;
		}
	if (n == 0 || n + 2 > sizeof p->msisdn) {
		fprintf(stderr, "tillgate phone: --msisdn: expected 8 to 15 digits, got %zu\n", n);
		return -1;
	}
	p->msisdn[0] = '+';
	memcpy(p->msisdn + 1, digits, n + 1);
	if (kyb_check_phone("--msisdn", p->msisdn, &bad) != 0) {
		fprintf(stderr, "tillgate phone: %s%s\n", bad.msg,
			arg[0] == '+' ? "" : " (the number with a leading +)");
		return -1;
	}
	return 0;
}

static int check_dial(const char *arg)
{
	char err[USSD_DIAL_ERR_MAX];
	if (ussd_dial_parse(arg, strlen(arg), NULL, err, sizeof err, NULL) < 0) {
		fprintf(stderr, "tillgate phone: --dial \"%s\": %s (e.g. *384# or *384*1*2#)\n", arg, err);
		return -1;
	}
	return 0;
}

static int check_chars(const char *what, const char *s, size_t min, size_t max, const char *extra)
{
	size_t n = strlen(s);
	if (n < min || n > max) {
		fprintf(stderr, "tillgate phone: %s: expected %zu to %zu characters, got %zu\n", what,
			min, max, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= '0' && c <= '9') || (extra && ((c >= 'a' && c <= 'z') ||
			  (c >= 'A' && c <= 'Z') || (c && strchr(extra, c))));
		if (!ok) {
			fprintf(stderr, "tillgate phone: %s: position %zu: character not allowed\n",
				what, i + 1);
			return -1;
		}
	}
	return 0;
}

static int check_token(const char *t, const char *what)
{
	size_t n = strlen(t);
	if (n == 0 || n > TOKEN_MAX) {
		fprintf(stderr, "tillgate phone: %s: expected 1 to %d characters\n", what, TOKEN_MAX);
		return -1;
	}
	/* A header value: no spaces, controls or non-ASCII (the token itself
	 * is never printed). */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7F) {
			fprintf(stderr, "tillgate phone: %s: position %zu: only printable ASCII "
					"without spaces\n", what, i + 1);
			return -1;
		}
	return 0;
}

/* An answer as a phone could send it: UTF-8, one line, one USSD string. */
static int check_answer(const char *s, char *why, size_t whylen)
{
	size_t len;
	uint8_t dcs, enc[2 * USSD_MAX_OCTETS];
	int r = ussd_text_encode(s, USSD_DCS_GSM7, enc, sizeof enc, &len, &dcs);

	if (r == -EILSEQ) {
		snprintf(why, whylen, "not valid UTF-8 at byte %zu", len);
		return -1;
	}
	if (strpbrk(s, "\r\n")) {
		snprintf(why, whylen, "holds a line break");
		return -1;
	}
	if (r < 0 || !ussd_text_fits(s)) {
		snprintf(why, whylen, "longer than one USSD string (%d GSM characters)", USSD_MAX_SEPTETS);
		return -1;
	}
	return 0;
}

static int check_url(const char *u)
{
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
		fprintf(stderr, "tillgate phone: --url \"%s\": expected http://HOST[:PORT]/PATH "
				"or https://...\n", u);
		return -1;
	}
	return 0;
}

/* ---- HTTP ---- */

struct body {
	char *buf;
	size_t len;
	int too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	if (b->len + n > REPLY_MAX) {
		b->too_big = 1;
		return 0; /* stops the transfer */
	}
	char *nb = realloc(b->buf, b->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->len, data, n);
	b->buf = nb;
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* Appends "&name=value" (no '&' first) url-encoded to *form. */
static int form_add(CURL *c, char **form, size_t *len, const char *name, const char *value)
{
	char *v = curl_easy_escape(c, value, 0);
	if (!v)
		return -1;
	size_t add = (*len ? 1 : 0) + strlen(name) + 1 + strlen(v);
	char *nf = realloc(*form, *len + add + 1);
	if (!nf) {
		curl_free(v);
		return -1;
	}
	*len += (size_t)snprintf(nf + *len, add + 1, "%s%s=%s", *len ? "&" : "", name, v);
	*form = nf;
	curl_free(v);
	return 0;
}

/* One request with the answers so far. On success returns 0 with the
 * reply body in *out (owned by the caller, NUL-terminated, *outlen
 * bytes); otherwise prints why and returns -1. */
static int post(struct phone *p, char **out, size_t *outlen)
{
	char *form = NULL, errbuf[CURL_ERROR_SIZE] = "";
	size_t flen = 0;
	struct body b = { 0 };
	struct curl_slist *hdr = NULL, *h;
	char auth[TOKEN_MAX + 32];
	long status = 0;
	CURLcode rc;
	int ret = -1;

	if (form_add(p->curl, &form, &flen, "sessionId", p->session) < 0 ||
	    form_add(p->curl, &form, &flen, "serviceCode", p->dial) < 0 ||
	    form_add(p->curl, &form, &flen, "phoneNumber", p->msisdn) < 0 ||
	    form_add(p->curl, &form, &flen, "networkCode", p->network) < 0 ||
	    form_add(p->curl, &form, &flen, "text", p->text) < 0) {
		fprintf(stderr, "tillgate phone: out of memory\n");
		goto out;
	}
	h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	hdr = h;
	if (h)
		h = curl_slist_append(hdr, "Accept: text/plain");
	if (h && p->token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->token);
		h = curl_slist_append(hdr, auth);
		sodium_memzero(auth, sizeof auth);
	}
	if (!h) {
		fprintf(stderr, "tillgate phone: out of memory\n");
		goto out;
	}
	curl_easy_setopt(p->curl, CURLOPT_URL, p->url);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE, (long)flen);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, REPLY_TIMEOUT_S);
	curl_easy_setopt(p->curl, CURLOPT_USERAGENT, "tillgate-phone");
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(p->curl);
	if (rc != CURLE_OK) {
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
		if (b.too_big)
			fprintf(stderr, "tillgate phone: %s: the reply is longer than %d bytes\n",
				p->url, REPLY_MAX);
		else if (rc == CURLE_COULDNT_CONNECT)
			fprintf(stderr, "tillgate phone: cannot connect to %s: %s\n", p->url, why);
		else
			fprintf(stderr, "tillgate phone: %s: %s\n", p->url, why);
		goto out;
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		size_t n = b.len > 500 ? 500 : b.len;
		while (n > 0 && (b.buf[n - 1] == '\n' || b.buf[n - 1] == '\r'))
			n--; /* the message ends the line itself */
		fprintf(stderr, "tillgate phone: HTTP %ld from %s: %.*s\n", status, p->url, (int)n,
			b.buf ? b.buf : "");
		goto out;
	}
	if (!b.buf) {
		b.buf = calloc(1, 1);
		if (!b.buf) {
			fprintf(stderr, "tillgate phone: out of memory\n");
			goto out;
		}
	}
	*out = b.buf;
	*outlen = b.len;
	b.buf = NULL;
	ret = 0;
out:
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdr);
	free(form);
	free(b.buf);
	return ret;
}

/* ---- screens ---- */

/* The first bytes of s, C-escaped, for an error message. */
static void show_start(FILE *f, const char *s, size_t len)
{
	size_t n = len < 40 ? len : 40;
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7F)
			fputc(c, f);
		else
			fprintf(f, "\\x%02X", c);
	}
	fprintf(f, "\"%s", len > n ? "..." : "");
}

struct screen {
	int end;           /* 1 END, 0 CON */
	const char *text;  /* borrowed from the reply body */
	long chars, units;
	int ucs2, fits;
};

/* Splits a reply into its kind and screen; prints why and returns -1
 * if it is not "CON ..." or "END ..." with valid UTF-8 text. */
static int parse_reply(const char *body, size_t len, struct screen *s)
{
	size_t bad;
	uint8_t dcs;

	if (len >= 3 && (memcmp(body, "CON", 3) == 0 || memcmp(body, "END", 3) == 0) &&
	    (len == 3 || body[3] == ' ')) {
		s->end = body[0] == 'E';
		s->text = body + (len == 3 ? 3 : 4);
	} else {
		fprintf(stderr, "tillgate phone: the reply starts with neither CON nor END: ");
		show_start(stderr, body, len);
		fputc('\n', stderr);
		return -1;
	}
	if (strlen(body) != len) {
		fprintf(stderr, "tillgate phone: the reply holds a NUL byte at offset %zu\n",
			strlen(body));
		return -1;
	}
	if (ussd_text_encode(s->text, USSD_DCS_GSM7, NULL, 0, &bad, &dcs) == -EILSEQ) {
		fprintf(stderr, "tillgate phone: the reply is not valid UTF-8 at byte %zu\n",
			bad + (size_t)(s->text - body));
		return -1;
	}
	s->units = ussd_text_units(s->text, &s->ucs2);
	s->fits = ussd_text_fits(s->text);
	s->chars = 0;
	for (const char *c = s->text; *c; c++)
		s->chars += ((unsigned char)*c & 0xC0) != 0x80;
	return 0;
}

static void print_length(const struct screen *s)
{
	if (s->ucs2)
		printf("[%ld characters, UCS-2: %ld units of %d: %s]\n", s->chars, s->units,
		       USSD_MAX_UCS2, s->fits ? "fits" : "does NOT fit");
	else
		printf("[%ld characters, %ld septets of %d: %s]\n", s->chars, s->units,
		       USSD_MAX_SEPTETS, s->fits ? "fits" : "does NOT fit");
}

static void warn_fit(int n, const struct screen *s)
{
	if (!s->fits)
		fprintf(stderr, "tillgate phone: warning: screen %d does not fit one USSD string "
				"(%ld %s, at most %d)\n", n, s->units, s->ucs2 ? "UCS-2 units" : "septets",
			s->ucs2 ? USSD_MAX_UCS2 : USSD_MAX_SEPTETS);
}

static int print_json(int n, const struct screen *s, const char *answer)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:I, s:b, s:s?}", "screen", n, "type",
			      s->end ? "END" : "CON", "text", s->text, "characters",
			      (json_int_t)s->chars, "encoding", s->ucs2 ? "ucs2" : "gsm", "units",
			      (json_int_t)s->units, "fits", s->fits, "input", answer);
	if (!o || json_dumpf(o, stdout, JSON_COMPACT) < 0) {
		json_decref(o);
		fprintf(stderr, "tillgate phone: out of memory\n");
		return -1;
	}
	json_decref(o);
	putchar('\n');
	return 0;
}

/* The next answer: 1 with *ans set (borrowed until the next call), 0 if
 * there is none (inputs used up, end of file, or Ctrl-D), -1 on a read
 * error or an answer that cannot be sent (printed). */
static int next_answer(struct phone *p, const char **ans)
{
	char why[96];
	ssize_t n;

	if (!p->from_stdin && !p->interactive) {
		if (p->next_input == p->ninputs)
			return 0;
		*ans = p->inputs[p->next_input++];
		return 1;
	}
	for (;;) {
		if (p->interactive) {
			fputs("> ", stdout);
			fflush(stdout);
		}
		errno = 0;
		n = getline(&p->line, &p->linecap, stdin);
		if (n < 0) {
			if (ferror(stdin)) {
				fprintf(stderr, "tillgate phone: reading standard input: %s\n",
					strerror(errno));
				return -1;
			}
			if (p->interactive)
				putchar('\n');
			return 0;
		}
		p->next_input++;
		if (n > 0 && p->line[n - 1] == '\n')
			p->line[--n] = '\0';
		if (n > 0 && p->line[n - 1] == '\r')
			p->line[--n] = '\0';
		if ((size_t)n != strlen(p->line)) {
			snprintf(why, sizeof why, "holds a NUL byte");
		} else if (check_answer(p->line, why, sizeof why) == 0) {
			*ans = p->line;
			return 1;
		}
		fprintf(stderr, "tillgate phone: input %d %s\n", p->next_input, why);
		if (!p->interactive)
			return -1;
	}
}

/* Adds an answer to the joined text. */
static int add_answer(struct phone *p, const char *ans)
{
	size_t have = strlen(p->text), add = strlen(ans) + (p->nanswers ? 1 : 0);
	if (have + add > TEXT_MAX) {
		fprintf(stderr, "tillgate phone: the answers so far exceed %d bytes\n", TEXT_MAX);
		return -1;
	}
	snprintf(p->text + have, TEXT_MAX + 1 - have, "%s%s", p->nanswers ? "*" : "", ans);
	p->nanswers++;
	return 0;
}

/* Dials and runs the dialogue; returns the exit status. */
static int dialogue(struct phone *p)
{
	for (int n = 1;; n++) {
		char *body = NULL;
		size_t len;
		struct screen s;
		const char *ans = NULL;
		int got;

		if (post(p, &body, &len) < 0)
			return EXIT_FAIL;
		if (parse_reply(body, len, &s) < 0) {
			free(body);
			return EXIT_FAIL;
		}
		if (!p->json) {
			printf("--- screen %d (%s) ---\n%s\n", n, s.end ? "END" : "CON", s.text);
			if (p->verbose)
				print_length(&s);
		}
		warn_fit(n, &s);
		if (s.end) {
			/* Any answer left over means the menu ended too early. */
			got = p->interactive ? 0 : next_answer(p, &ans);
			if (p->json && print_json(n, &s, NULL) < 0)
				got = -1;
			free(body);
			if (got > 0)
				fprintf(stderr, "tillgate phone: the session ended (END) before input "
						"%d (\"%s\") was sent\n", p->next_input, ans);
			return got == 0 ? 0 : EXIT_FAIL;
		}
		fflush(stdout);
		got = next_answer(p, &ans);
		if (p->json && print_json(n, &s, got > 0 ? ans : NULL) < 0)
			got = -1;
		if (got > 0 && !p->json && !p->interactive)
			printf("> %s\n", ans);
		fflush(stdout);
		free(body);
		if (got == 0 && p->interactive) {
			fprintf(stderr, "tillgate phone: hung up\n");
			return 0;
		}
		if (got == 0)
			fprintf(stderr, "tillgate phone: the menu still asks for input after the last %s\n",
				p->from_stdin ? "line of standard input" : "--input");
		if (got <= 0 || add_answer(p, ans) < 0)
			return EXIT_FAIL;
	}
}

int cmd_phone(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "msisdn", required_argument, NULL, 'm' },
		{ "dial", required_argument, NULL, 'd' },
		{ "input", required_argument, NULL, 'i' },
		{ "token", required_argument, NULL, 't' },
		{ "session", required_argument, NULL, 's' },
		{ "network", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct phone *p;
	const char *msisdn = NULL, *session = NULL;
	int c, ret = EXIT_USAGE;

	p = calloc(1, sizeof *p);
	if (!p || !(p->inputs = calloc((size_t)argc, sizeof *p->inputs))) {
		free(p);
		fprintf(stderr, "tillgate phone: out of memory\n");
		return EXIT_FAIL;
	}
	p->url = DEFAULT_URL;
	p->dial = DEFAULT_DIAL;
	p->network = DEFAULT_NETWORK;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': p->url = optarg; break;
		case 'm': msisdn = optarg; break;
		case 'd': p->dial = optarg; break;
		case 'i': p->inputs[p->ninputs++] = optarg; break;
		case 't': p->token = optarg; break;
		case 's': session = optarg; break;
		case 'n': p->network = optarg; break;
		case 'j': p->json = 1; break;
		case 'v': p->verbose = 1; break;
		case 'h': usage(stdout); ret = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tillgate phone: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		goto out;
	}
	if (!msisdn) {
		fprintf(stderr, "tillgate phone: --msisdn is required\n");
		usage(stderr);
		goto out;
	}
	if (!p->token)
		p->token = getenv(TOKEN_ENV);
	if (check_msisdn(p, msisdn) < 0 || check_dial(p->dial) < 0 || check_url(p->url) < 0 ||
	    check_chars("--network", p->network, 5, 6, NULL) < 0 ||
	    (session && check_chars("--session", session, 1, SESSION_MAX, "._:-") < 0) ||
	    (p->token && check_token(p->token, p->token == getenv(TOKEN_ENV) ? "$" TOKEN_ENV
									   : "--token") < 0))
		goto out;
	for (int i = 0; i < p->ninputs; i++) {
		char why[96];
		if (check_answer(p->inputs[i], why, sizeof why) < 0) {
			fprintf(stderr, "tillgate phone: --input %d: %s\n", i + 1, why);
			goto out;
		}
	}
	if (p->ninputs == 0) {
		if (isatty(STDIN_FILENO))
			p->interactive = 1;
		else
			p->from_stdin = 1;
	}
	if (p->interactive && p->json) {
		fprintf(stderr, "tillgate phone: --json needs scripted mode (--input, or answers on "
				"standard input)\n");
		goto out;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "tillgate phone: libsodium failed to start\n");
		ret = EXIT_FAIL;
		goto out;
	}
	if (session) {
		snprintf(p->session, sizeof p->session, "%s", session);
	} else {
		unsigned char r[8];
		randombytes_buf(r, sizeof r);
		snprintf(p->session, sizeof p->session, "phone-");
		sodium_bin2hex(p->session + 6, sizeof p->session - 6, r, sizeof r);
	}
	ret = EXIT_FAIL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "tillgate phone: libcurl failed to start\n");
		goto out;
	}
	p->curl = curl_easy_init();
	if (!p->curl) {
		fprintf(stderr, "tillgate phone: libcurl failed to start\n");
	} else {
		ret = dialogue(p);
		curl_easy_cleanup(p->curl);
	}
	curl_global_cleanup();
out:
	free(p->line);
	free(p->inputs);
	free(p);
	return ret;
}
