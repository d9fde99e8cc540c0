/* cfg.c -- the INI configuration: key table from cfg.def, a line parser
 * that collects every error with file:line, value checks, overrides and
 * the shared -c/--set command-line handling. Grammar in cfg.h.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/cfg.h"
#include "gateway/log.h"
#include "qr/qr_emv.h"
#include "ussd/ussd_dial.h"

#define CFG_FILE_MAX (1024 * 1024) /* bytes of a configuration file */
#define CFG_VALUE_MAX 4096         /* bytes of one value */
#define ECHO_MAX 64                /* bytes of a value quoted in a message */

/* ---- value checks (named in cfg.def) ----
 * Each returns 0, or -1 with the reason in err (n bytes). Values reach
 * them as valid UTF-8 without control characters. */

static long utf8_bad(const unsigned char *s, size_t n);

/* Copies v into out (size >= 8) for quoting in a message: control
 * characters and bytes that are not UTF-8 become '?', and a long value
 * is cut at a character boundary and ends in "...". */
static const char *echo(char *out, size_t size, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t o = 0, len = strlen(v);
	int cut = 0;

	while (*p) {
		long bad = utf8_bad(p, len - (size_t)(p - (const unsigned char *)v) < 4 ?
				       len - (size_t)(p - (const unsigned char *)v) : 4);
		size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		if (bad == 0 || *p < 0x20 || *p == 0x7f)
			n = 0; /* replaced by one '?' */
		if (o + (n ? n : 1) > size - 4) {
			cut = 1;
			break;
		}
		if (n) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			out[o++] = '?';
			p++;
		}
	}
	if (cut) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static int cfg_chk_nonempty(const char *v, char *err, size_t n)
{
	if (*v)
		return 0;
	snprintf(err, n, "must not be empty");
	return -1;
}

/* A DNS name: dot-separated labels of letters, digits and inner hyphens,
 * 1..63 bytes each, at most 253 in all. */
static int is_hostname(const char *h, size_t len)
{
	size_t lab = 0;
	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? h[i] : '.';
		if (ch == '.') {
			if (lab == 0 || lab > 63 || h[i - 1] == '-' || h[i - lab] == '-')
				return 0;
			lab = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '-') {
			lab++;
		} else {
			return 0;
		}
	}
	return 1;
}

static int cfg_chk_listen(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX], host[256];
	const char *port;
	size_t hlen;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':') {
			snprintf(err, n, "'%s' is not [IPv6]:port", echo(e, sizeof e, v));
			return -1;
		}
		hlen = (size_t)(close - v - 1);
		struct in6_addr a6;
		if (hlen >= sizeof host || (memcpy(host, v + 1, hlen), host[hlen] = '\0',
					    inet_pton(AF_INET6, host, &a6) != 1)) {
			snprintf(err, n, "'%s' is not an IPv6 address", echo(e, sizeof e, v));
			return -1;
		}
		port = close + 2;
	} else {
		const char *colon = strrchr(v, ':');
		if (!colon || colon == v) {
			snprintf(err, n, "'%s' is not host:port or [IPv6]:port", echo(e, sizeof e, v));
			return -1;
		}
		hlen = (size_t)(colon - v);
		if (memchr(v, ':', hlen)) {
			snprintf(err, n, "'%s': an IPv6 address needs brackets, as in [::1]:8080",
				 echo(e, sizeof e, v));
			return -1;
		}
		if (hlen >= sizeof host || !is_hostname(v, hlen)) {
			snprintf(err, n, "'%s' has no valid host name or address", echo(e, sizeof e, v));
			return -1;
		}
		memcpy(host, v, hlen);
		host[hlen] = '\0';
		/* All digits and dots: it means to be an IPv4 address. */
		struct in_addr a4;
		if (strspn(host, "0123456789.") == hlen && inet_pton(AF_INET, host, &a4) != 1) {
			snprintf(err, n, "'%s' is not an IPv4 address", echo(e, sizeof e, host));
			return -1;
		}
		port = colon + 1;
	}
	size_t plen = strlen(port);
	long p = -1;
	if (plen >= 1 && plen <= 5 && strspn(port, "0123456789") == plen)
		p = strtol(port, NULL, 10);
	if (p < 0 || p > 65535) { /* 0: the kernel picks a free port (tests) */
		snprintf(err, n, "port '%s' is not a number from 0 to 65535", echo(e, sizeof e, port));
		return -1;
	}
	return 0;
}

static int all_upper(const char *v, size_t len)
{
	if (strlen(v) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 'A' || v[i] > 'Z')
			return 0;
	return 1;
}

static int cfg_chk_currency(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	if (!all_upper(v, 3) || !qr_emv_ccy_num(v)) {
		snprintf(err, n, "'%s' is not an ISO 4217 alphabetic currency code (e.g. TZS)",
			 echo(e, sizeof e, v));
		return -1;
	}
	return 0;
}

static int cfg_chk_country(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	if (!all_upper(v, 2)) {
		snprintf(err, n, "'%s' is not an ISO 3166-1 alpha-2 country code "
			 "(two upper-case letters, e.g. TZ)", echo(e, sizeof e, v));
		return -1;
	}
	return 0;
}

static int cfg_chk_log_level(const char *v, char *err, size_t n)
{
	return log_check_levels(v, err, n) == 0 ? 0 : -1;
}

/* EMVCo tag 26..51 sub-tag 00: "ans" up to 32 characters; we also want
 * a reverse domain name (at least two labels). */
static int cfg_chk_gui(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	size_t len = strlen(v);
	if (len > 32) {
		snprintf(err, n, "'%s' is longer than 32 characters", echo(e, sizeof e, v));
		return -1;
	}
	if (!strchr(v, '.') || !is_hostname(v, len)) {
		snprintf(err, n, "'%s' is not a reverse domain name (e.g. org.tillgate)",
			 echo(e, sizeof e, v));
		return -1;
	}
	return 0;
}

/* A USSD service code as ussd/ussd_dial.h reads it: '*', 1 to 6 digits,
 * optional further "*digits", '#' ("*384#", "*150*01#"). */
static int cfg_chk_service_code(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX], why[USSD_DIAL_ERR_MAX];
	size_t len = strlen(v);
	if (ussd_dial_parse(v, len, NULL, why, sizeof why, NULL) != (int)len) {
		snprintf(err, n, "'%s' is not a USSD service code like *384#: %s", echo(e, sizeof e, v),
			 len ? why : "empty");
		return -1;
	}
	return 0;
}

/* Comma-separated language codes, each 2-8 of a-z: "en,sw,fr". */
static int cfg_chk_languages(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	size_t run = 0;
	for (const char *p = v;; p++) {
		if (*p == ',' || *p == '\0') {
			if (run < 2 || run > 8) {
				snprintf(err, n, "'%s' is not a list of language codes like en,sw,fr",
					 echo(e, sizeof e, v));
				return -1;
			}
			if (!*p)
				return 0;
			run = 0;
		} else if (*p >= 'a' && *p <= 'z') {
			run++;
		} else {
			run = 99;
		}
	}
}

/* One language code, 2-8 of a-z. */
static int cfg_chk_language(const char *v, char *err, size_t n)
{
	if (strchr(v, ',') || cfg_chk_languages(v, err, n) < 0) {
		char e[ECHO_MAX];
		snprintf(err, n, "'%s' is not a language code like en", echo(e, sizeof e, v));
		return -1;
	}
	return 0;
}

/* SMPP C-octet strings: printable ASCII of at most max characters (the
 * field's size less its NUL), at least min. */
static int smpp_str(const char *v, size_t min, size_t max, char *err, size_t n)
{
	char e[ECHO_MAX];
	size_t len = strlen(v);
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7E) {
			snprintf(err, n, "character %zu is not printable ASCII", i + 1);
			return -1;
		}
	if (len < min || len > max) {
		snprintf(err, n, "'%s' has %zu characters, %zu..%zu allowed", echo(e, sizeof e, v), len,
			 min, max);
		return -1;
	}
	return 0;
}

static int cfg_chk_smpp_system_id(const char *v, char *err, size_t n)
{
	return smpp_str(v, 1, 15, err, n);
}

static int cfg_chk_smpp_password(const char *v, char *err, size_t n)
{
	/* the value is never echoed back */
	size_t len = strlen(v);
	if (len > 8) {
		snprintf(err, n, "the password has %zu characters, at most 8 allowed", len);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7E) {
			snprintf(err, n, "character %zu is not printable ASCII", i + 1);
			return -1;
		}
	return 0;
}

static int cfg_chk_smpp_system_type(const char *v, char *err, size_t n)
{
	return smpp_str(v, 0, 12, err, n);
}

static int cfg_chk_smpp_addr(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	size_t len = strlen(v);
	size_t digits = strspn(v, "0123456789");
	size_t alnum = strspn(v, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	if (len == 0 || alnum != len || (digits != len && len > 11) || len > 20) {
		snprintf(err, n, "'%s' is neither a number (1..20 digits) nor 1..11 letters and digits",
			 echo(e, sizeof e, v));
		return -1;
	}
	return 0;
}

static int cfg_chk_smpp_host(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	if (!is_hostname(v, strlen(v))) {
		snprintf(err, n, "'%s' is not a host name or IPv4 address", echo(e, sizeof e, v));
		return -1;
	}
	return 0;
}

/* [switch] endpoint and callback_base: empty, or http(s)://HOST[...]. */
static int cfg_chk_switch_url(const char *v, char *err, size_t n)
{
	char e[ECHO_MAX];
	if (!*v)
		return 0;
	size_t skip = strncmp(v, "http://", 7) == 0 ? 7 : strncmp(v, "https://", 8) == 0 ? 8 : 0;
	if (!skip) {
		snprintf(err, n, "'%s' is not an http:// or https:// URL", echo(e, sizeof e, v));
		return -1;
	}
	size_t host = strcspn(v + skip, ":/?#");
	if (host == 0 && v[skip] != '[') {
		snprintf(err, n, "'%s' names no host (character %zu)", echo(e, sizeof e, v), skip + 1);
		return -1;
	}
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			snprintf(err, n, "'%s' has a space or control character (character %zu)",
				 echo(e, sizeof e, v), (size_t)(c - v) + 1);
			return -1;
		}
	return 0;
}

/* ---- the key table ---- */

#define CFG_STR(s, k, d, chk, doc) { #s, #k, CFG_T_STR, d, 0, 0, NULL, doc },
#define CFG_INT(s, k, d, lo, hi, doc) { #s, #k, CFG_T_INT, #d, lo, hi, NULL, doc },
#define CFG_BOOL(s, k, d, doc) { #s, #k, CFG_T_BOOL, #d, 0, 0, NULL, doc },
#define CFG_ENUM(s, k, d, vals, doc) { #s, #k, CFG_T_ENUM, d, 0, 0, vals, doc },
const struct cfg_key cfg_keys[] = {
#include "gateway/cfg.def"
};
const size_t cfg_nkeys = sizeof cfg_keys / sizeof cfg_keys[0];

typedef int check_fn(const char *v, char *err, size_t n);

/* Where each key lives in struct cfg and how a string is checked;
 * parallel to cfg_keys[]. */
static const struct {
	size_t off;
	check_fn *check;
} impl[] = {
#define CFG_STR(s, k, d, chk, doc) { offsetof(struct cfg, s##_##k), chk },
#define CFG_INT(s, k, d, lo, hi, doc) { offsetof(struct cfg, s##_##k), NULL },
#define CFG_BOOL(s, k, d, doc) { offsetof(struct cfg, s##_##k), NULL },
#define CFG_ENUM(s, k, d, vals, doc) { offsetof(struct cfg, s##_##k), NULL },
#include "gateway/cfg.def"
};

#define NKEYS (sizeof impl / sizeof impl[0])

const char *cfg_type_name(enum cfg_type t)
{
	switch (t) {
	case CFG_T_STR: return "string";
	case CFG_T_INT: return "integer";
	case CFG_T_BOOL: return "boolean";
	case CFG_T_ENUM: return "enum";
	}
	return "?";
}

/* Index of section.name (name of len bytes), or -1. */
static int key_index(const char *section, const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(cfg_keys[i].section, section) == 0 &&
		    strlen(cfg_keys[i].name) == len && memcmp(cfg_keys[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const struct cfg_key *cfg_key_find(const char *section, const char *name)
{
	int i = section && name ? key_index(section, name, strlen(name)) : -1;
	return i < 0 ? NULL : &cfg_keys[i];
}

/* The static name of a section len bytes long, or NULL if no key has it. */
static const char *section_name(const char *s, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(cfg_keys[i].section) == len && memcmp(cfg_keys[i].section, s, len) == 0)
			return cfg_keys[i].section;
	return NULL;
}

/* ---- diagnostics ---- */

void cfg_diag_free(struct cfg_diag *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	memset(d, 0, sizeof *d);
}

void cfg_diag_print(const struct cfg_diag *d, FILE *f)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->v[i].text);
	if (d->dropped)
		fprintf(f, "%d more error%s not shown\n", d->dropped, d->dropped == 1 ? "" : "s");
}

/* Appends "WHERE:LINE: message" (or "WHERE: message" when line is 0, or
 * "message" when where is NULL) to d. Out of memory, or past
 * CFG_MAX_ERRORS, the error is only counted. */
static void diag_add(struct cfg_diag *d, const char *where, int line, int col, const char *fmt,
		     ...) __attribute__((format(printf, 5, 6)));
static void diag_add(struct cfg_diag *d, const char *where, int line, int col, const char *fmt,
		     ...)
{
	char msg[512], head[32] = "";
	va_list ap;

	if (!d)
		return;
	if (d->n >= CFG_MAX_ERRORS) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(head, sizeof head, ":%d", line);
	size_t need = (where ? strlen(where) : 0) + strlen(head) + 2 + strlen(msg) + 1;
	char *text = malloc(need);
	struct cfg_error *v = realloc(d->v, (size_t)(d->n + 1) * sizeof *v);
	if (v)
		d->v = v;
	if (!text || !v) {
		free(text);
		d->dropped++;
		return;
	}
	if (where)
		snprintf(text, need, "%s%s: %s", where, head, msg);
	else
		snprintf(text, need, "%s", msg);
	d->v[d->n++] = (struct cfg_error){ .line = line, .col = col, .text = text };
}

/* ---- conversion and storage ---- */

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (cfg_keys[i].type == CFG_T_STR || cfg_keys[i].type == CFG_T_ENUM)
			free(*(char **)((char *)c + impl[i].off));
	memset(c, 0, sizeof *c);
}

/* Decimal integer with an optional '-'. Returns 0, -1 if v is not one,
 * -2 if it does not fit a long long. */
static int parse_int(const char *v, long long *out)
{
	const char *p = v + (*v == '-');
	if (!*p || strspn(p, "0123456789") != strlen(p))
		return -1;
	errno = 0;
	*out = strtoll(v, NULL, 10);
	return errno == ERANGE ? -2 : 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const t[] = { "true", "yes", "on", "1" }, *const f[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Whether v is one of the '|'-separated values. */
static int enum_has(const char *values, const char *v)
{
	size_t len = strlen(v);
	for (const char *p = values;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == len && memcmp(p, v, n) == 0)
			return 1;
		if (!bar)
			return 0;
		p = bar + 1;
	}
}

/* Converts v (NUL-terminated) for key k and stores it in c. Returns 0,
 * -1 with the reason in err, or -ENOMEM. */
static int store(struct cfg *c, size_t k, const char *v, char *err, size_t n)
{
	const struct cfg_key *key = &cfg_keys[k];
	void *field = (char *)c + impl[k].off;
	char e[ECHO_MAX];

	switch (key->type) {
	case CFG_T_INT: {
		long long x;
		int r = parse_int(v, &x);
		if (r == -1) {
			snprintf(err, n, "'%s' is not an integer", echo(e, sizeof e, v));
			return -1;
		}
		if (r == -2 || x < key->min || x > key->max) {
			snprintf(err, n, "%s is out of range (%lld..%lld)", echo(e, sizeof e, v),
				 key->min, key->max);
			return -1;
		}
		*(long long *)field = x;
		return 0;
	}
	case CFG_T_BOOL:
		if (parse_bool(v, (bool *)field) < 0) {
			snprintf(err, n, "'%s' is not a boolean (true, false, yes, no, on, off, 1, 0)",
				 echo(e, sizeof e, v));
			return -1;
		}
		return 0;
	case CFG_T_ENUM:
		if (!enum_has(key->values, v)) {
			char list[128];
			snprintf(list, sizeof list, "%s", key->values);
			for (char *p = list; (p = strchr(p, '|'));)
				*p = '/';
			snprintf(err, n, "'%s' is not one of %s", echo(e, sizeof e, v), list);
			return -1;
		}
		break;
	case CFG_T_STR:
		if (strlen(v) > CFG_VALUE_MAX) {
			snprintf(err, n, "value longer than %d bytes", CFG_VALUE_MAX);
			return -1;
		}
		if (impl[k].check && impl[k].check(v, err, n) < 0)
			return -1;
		break;
	}
	char *copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

int cfg_defaults(struct cfg *c)
{
	char err[256];
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEYS; i++) {
		int r = store(c, i, cfg_keys[i].def, err, sizeof err);
		if (r == -ENOMEM)
			return r;
		assert(r == 0); /* a default that fails its own check is our bug */
	}
	return 0;
}

/* ---- the line parser ---- */

/* Offset of the first byte of s[0..n) that is not valid UTF-8 (overlong
 * forms, surrogates and code points past U+10FFFF included), or -1. */
static long utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned ch = s[i];
		size_t len;
		uint32_t cp, min;
		if (ch < 0x80) {
			i++;
			continue;
		}
		if (ch >= 0xc2 && ch <= 0xdf)
			len = 2, cp = ch & 0x1f, min = 0x80;
		else if (ch >= 0xe0 && ch <= 0xef)
			len = 3, cp = ch & 0x0f, min = 0x800;
		else if (ch >= 0xf0 && ch <= 0xf4)
			len = 4, cp = ch & 0x07, min = 0x10000;
		else
			return (long)i;
		if (len > n - i)
			return (long)i;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += len;
	}
	return -1;
}

/* Offset of the first control character other than tab, or -1. */
static long ctl_at(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return (long)i;
	return -1;
}

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* State of one cfg_load_buf() call. */
struct parse {
	struct cfg *c;
	struct cfg_diag *d;
	const char *name;       /* FILE in messages */
	int line;
	int nerr;               /* errors of this call */
	int oom;
	const char *section;    /* static name; NULL before any header */
	int section_bad;        /* in an unknown section: its keys are skipped */
	int seen[sizeof impl / sizeof impl[0]]; /* line where each key was set */
};

#define PERR(P, COL, ...)                                                \
	do {                                                             \
		(P)->nerr++;                                             \
		diag_add((P)->d, (P)->name, (P)->line, (COL), __VA_ARGS__); \
	} while (0)

/* "[section]" at s[0..n) (s[0] == '['); col0 is the 0-based column of s. */
static void parse_header(struct parse *P, const char *s, size_t n, size_t col0)
{
	const char *close = memchr(s, ']', n);
	char e[ECHO_MAX];

	P->section = NULL;
	P->section_bad = 1; /* until a known name is read */
	if (!close) {
		PERR(P, (int)(col0 + n + 1), "missing ']' at column %zu in section header",
		     col0 + n + 1);
		return;
	}
	for (const char *p = close + 1; p < s + n; p++)
		if (!is_ws(*p)) {
			PERR(P, (int)(col0 + (size_t)(p - s) + 1),
			     "unexpected text at column %zu after ']'", col0 + (size_t)(p - s) + 1);
			return;
		}
	const char *a = s + 1, *b = close;
	while (a < b && is_ws(*a))
		a++;
	while (b > a && is_ws(b[-1]))
		b--;
	size_t len = (size_t)(b - a);
	if (len == 0) {
		PERR(P, (int)col0 + 1, "empty section name");
		return;
	}
	const char *known = section_name(a, len);
	if (!known) {
		char name[ECHO_MAX * 2];
		snprintf(name, sizeof name, "%.*s", (int)len, a);
		PERR(P, (int)(col0 + (size_t)(a - s) + 1), "unknown section [%s]",
		     echo(e, sizeof e, name));
		return;
	}
	P->section = known;
	P->section_bad = 0;
}

/* Unquotes the value at v[0..n) (v[0] == '"') into out (n bytes at
 * least). Returns 0, or -1 after reporting the error; vcol is v's
 * 1-based column. */
static int unquote(struct parse *P, const char *v, size_t n, size_t vcol, char *out,
		   const char *key)
{
	size_t o = 0, i = 1;
	for (; i < n && v[i] != '"'; i++) {
		if (v[i] != '\\') {
			out[o++] = v[i];
			continue;
		}
		if (i + 1 < n && (v[i + 1] == '"' || v[i + 1] == '\\')) {
			out[o++] = v[++i];
			continue;
		}
		if (i + 1 >= n)
			PERR(P, (int)(vcol + i), "key '%s' in section [%s]: missing closing '\"' "
			     "(quote opened at column %zu)", key, P->section, vcol);
		else
			PERR(P, (int)(vcol + i), "key '%s' in section [%s]: unknown escape '\\%c' at "
			     "column %zu (only \\\" and \\\\)", key, P->section,
			     ((unsigned char)v[i + 1] < 0x80) ? v[i + 1] : '?', vcol + i);
		return -1;
	}
	if (i >= n) {
		PERR(P, (int)vcol, "key '%s' in section [%s]: missing closing '\"' (quote opened "
		     "at column %zu)", key, P->section, vcol);
		return -1;
	}
	for (size_t j = i + 1; j < n; j++)
		if (!is_ws(v[j])) {
			PERR(P, (int)(vcol + j), "key '%s' in section [%s]: unexpected text at "
			     "column %zu after the closing quote", key, P->section, vcol + j);
			return -1;
		}
	out[o] = '\0';
	return 0;
}

/* "key = value" at s[0..n), '=' at eq; col0 as for parse_header. */
static void parse_assign(struct parse *P, const char *s, size_t n, const char *eq, size_t col0)
{
	char e[ECHO_MAX], key[ECHO_MAX * 2];
	const char *kb = s, *ke = eq;

	while (ke > kb && is_ws(ke[-1]))
		ke--;
	if (ke == kb) {
		PERR(P, (int)col0 + 1, "missing key before '='");
		return;
	}
	snprintf(key, sizeof key, "%.*s", (int)(ke - kb), kb);
	echo(e, sizeof e, key);
	if (P->section_bad)
		return; /* reported once, at the header */
	if (!P->section) {
		PERR(P, (int)col0 + 1, "key '%s' is outside any section", e);
		return;
	}
	int k = key_index(P->section, kb, (size_t)(ke - kb));
	if (k < 0) {
		PERR(P, (int)col0 + 1, "unknown key '%s' in section [%s]", e, P->section);
		return;
	}
	if (P->seen[k]) {
		PERR(P, (int)col0 + 1, "duplicate key '%s' in section [%s] (first set at line %d)",
		     e, P->section, P->seen[k]);
		return;
	}
	P->seen[k] = P->line;

	const char *vb = eq + 1, *ve = s + n;
	while (vb < ve && is_ws(*vb))
		vb++;
	while (ve > vb && is_ws(ve[-1]))
		ve--;
	size_t vlen = (size_t)(ve - vb), vcol = col0 + (size_t)(vb - s) + 1;
	char *val = malloc(vlen + 1), err[256];
	if (!val) {
		P->oom = 1;
		return;
	}
	if (vlen > 0 && *vb == '"') {
		if (unquote(P, vb, vlen, vcol, val, e) < 0) {
			free(val);
			return;
		}
	} else {
		memcpy(val, vb, vlen);
		val[vlen] = '\0';
	}
	int r = store(P->c, (size_t)k, val, err, sizeof err);
	if (r == -ENOMEM)
		P->oom = 1;
	else if (r < 0)
		PERR(P, (int)vcol, "key '%s' in section [%s]: %s", e, P->section, err);
	free(val);
}

static void parse_line(struct parse *P, const char *s, size_t n)
{
	long bad;

	if (n > 0 && s[n - 1] == '\r')
		n--; /* CRLF */
	const char *nul = memchr(s, '\0', n);
	if (nul) {
		bad = (long)(nul - s);
		PERR(P, (int)bad + 1, "NUL byte at column %ld", bad + 1);
		return;
	}
	if ((bad = utf8_bad((const unsigned char *)s, n)) >= 0) {
		PERR(P, (int)bad + 1, "invalid UTF-8 at column %ld", bad + 1);
		return;
	}
	if ((bad = ctl_at((const unsigned char *)s, n)) >= 0) {
		PERR(P, (int)bad + 1, "control character 0x%02x at column %ld",
		     (unsigned char)s[bad], bad + 1);
		return;
	}
	size_t i = 0;
	while (i < n && is_ws(s[i]))
		i++;
	if (i == n || s[i] == '#' || s[i] == ';')
		return;
	if (s[i] == '[') {
		parse_header(P, s + i, n - i, i);
		return;
	}
	const char *eq = memchr(s + i, '=', n - i);
	if (!eq) {
		PERR(P, (int)i + 1, "expected 'key = value', '[section]' or a comment");
		return;
	}
	parse_assign(P, s + i, n - i, eq, i);
}

int cfg_load_buf(struct cfg *c, const char *name, const char *buf, size_t len,
		 struct cfg_diag *d)
{
	struct parse *P = calloc(1, sizeof *P);
	const char *p = buf, *end = buf + len;

	if (!P)
		return -ENOMEM;
	P->c = c;
	P->d = d;
	P->name = name;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* UTF-8 byte-order mark */
	while (p < end && !P->oom) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		P->line++;
		parse_line(P, p, (size_t)(le - p));
		p = nl ? nl + 1 : end;
	}
	int r = P->oom ? -ENOMEM : P->nerr ? -EBADMSG : 0;
	free(P);
	return r;
}

int cfg_load_file(struct cfg *c, const char *path, struct cfg_diag *d)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), e = 0;

	if (fd < 0) {
		e = errno;
		goto err;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		goto err;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto err;
	}
	for (;;) {
		if (len == cap) {
			if (cap > CFG_FILE_MAX) {
				e = EFBIG;
				goto err;
			}
			cap = cap ? cap * 2 : 4096;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			goto err;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > CFG_FILE_MAX) {
		free(buf);
		diag_add(d, path, 0, 0, "file is larger than %d bytes", CFG_FILE_MAX);
		return -EFBIG;
	}
	int r = cfg_load_buf(c, path, buf, len, d);
	free(buf);
	return r;
err:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (e == EFBIG)
		diag_add(d, path, 0, 0, "file is larger than %d bytes", CFG_FILE_MAX);
	else
		diag_add(d, path, 0, 0, "cannot read: %s", strerror(e));
	return -e;
}

/* ---- overrides and the command line ---- */

/* Splits "section.key=value": *dot and *eq point at the separators.
 * Returns 0, or -1 when either is missing or a part is empty (the value
 * may be empty). */
static int split_assign(const char *a, const char **dot, const char **eq)
{
	*eq = strchr(a, '=');
	*dot = *eq ? memchr(a, '.', (size_t)(*eq - a)) : NULL;
	if (!*dot || *dot == a || *dot + 1 == *eq)
		return -1;
	return 0;
}

int cfg_set(struct cfg *c, const char *assign, struct cfg_diag *d)
{
	const char *dot, *eq;
	char where[ECHO_MAX * 3], e[ECHO_MAX], sect[ECHO_MAX * 2], err[256];

	if (split_assign(assign, &dot, &eq) < 0) {
		diag_add(d, "--set", 0, 0, "'%s' is not section.key=value", echo(e, sizeof e, assign));
		return -EBADMSG;
	}
	snprintf(sect, sizeof sect, "%.*s", (int)(dot - assign), assign);
	snprintf(where, sizeof where, "%.*s", (int)(eq - assign), assign);
	snprintf(where, sizeof where, "--set %s", echo(e, sizeof e, where));
	/* The name of a section or key could be anything typed on a command
	 * line: only echo it once it is known to be clean. */
	long bad = utf8_bad((const unsigned char *)assign, strlen(assign));
	if (bad < 0)
		bad = ctl_at((const unsigned char *)assign, strlen(assign));
	if (bad >= 0) {
		diag_add(d, "--set", 0, 0, "invalid UTF-8 or control character at byte %ld",
			 bad + 1);
		return -EBADMSG;
	}
	const char *known = section_name(assign, (size_t)(dot - assign));
	if (!known) {
		diag_add(d, where, 0, 0, "unknown section [%s]", echo(e, sizeof e, sect));
		return -EBADMSG;
	}
	int k = key_index(known, dot + 1, (size_t)(eq - dot - 1));
	if (k < 0) {
		char key[ECHO_MAX * 2];
		snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
		diag_add(d, where, 0, 0, "unknown key '%s' in section [%s]", echo(e, sizeof e, key),
			 known);
		return -EBADMSG;
	}
	int r = store(c, (size_t)k, eq + 1, err, sizeof err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		diag_add(d, where, 0, 0, "key '%s' in section [%s]: %s", cfg_keys[k].name, known, err);
		return -EBADMSG;
	}
	return 0;
}

/* Which of our options argv[i] is: 0 none, 'c' a file, 's' an override.
 * *val is its argument: inline, or argv[i + 1] (*used = 2), or NULL when
 * that is missing. */
static int our_opt(int argc, char **argv, int i, const char **val, int *used)
{
	const char *a = argv[i];
	int kind = 0;

	*used = 1;
	*val = NULL;
	if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
		kind = 'c';
	else if (strcmp(a, "--set") == 0)
		kind = 's';
	if (kind) {
		if (i + 1 < argc) {
			*val = argv[i + 1];
			*used = 2;
		}
		return kind;
	}
	if (strncmp(a, "--config=", 9) == 0)
		*val = a + 9, kind = 'c';
	else if (strncmp(a, "-c", 2) == 0 && a[2])
		*val = a + 2, kind = 'c';
	else if (strncmp(a, "--set=", 6) == 0)
		*val = a + 6, kind = 's';
	return kind;
}

int cfg_from_args(struct cfg *c, int *argc, char **argv, const char **file,
		  struct cfg_diag *d)
{
	const char *path = NULL, *val, *dot, *eq;
	int n = *argc, end = n, used, kind, r;
	char e[ECHO_MAX];

	memset(c, 0, sizeof *c);
	if (file)
		*file = NULL;
	/* Pass 1: usage only, argv untouched. */
	for (int i = 1; i < n; i += used) {
		used = 1;
		if (strcmp(argv[i], "--") == 0) {
			end = i;
			break;
		}
		kind = our_opt(n, argv, i, &val, &used);
		if (!kind)
			continue;
		if (!val) {
			diag_add(d, NULL, 0, 0, "option %s needs %s", argv[i],
				 kind == 'c' ? "a FILE" : "section.key=value");
			return -EINVAL;
		}
		if (kind == 'c') {
			if (path) {
				diag_add(d, NULL, 0, 0, "-c FILE given twice");
				return -EINVAL;
			}
			path = val;
		} else if (split_assign(val, &dot, &eq) < 0) {
			diag_add(d, NULL, 0, 0, "--set needs section.key=value, got '%s'",
				 echo(e, sizeof e, val));
			return -EINVAL;
		}
	}
	if (file)
		*file = path;

	if ((r = cfg_defaults(c)) < 0)
		return r;
	if (path)
		r = cfg_load_file(c, path, d);
	/* Pass 2: the overrides in order, and the others moved down. */
	int j = 1, bad = 0;
	for (int i = 1; i < end; i += used) {
		kind = our_opt(n, argv, i, &val, &used);
		if (!kind) {
			argv[j++] = argv[i];
			continue;
		}
		if (kind == 's') {
			int s = cfg_set(c, val, d);
			if (s == -ENOMEM)
				return s;
			bad |= s < 0;
		}
	}
	for (int i = end; i < n; i++)
		argv[j++] = argv[i];
	argv[j] = NULL;
	*argc = j;
	if (r < 0)
		return r;
	return bad ? -EBADMSG : 0;
}

int cfg_apply_log(const struct cfg *c, char *err, size_t errlen)
{
	char e[256];
	int r;

	if (log_check_levels(c->gateway_log_level, e, sizeof e) < 0) {
		snprintf(err, errlen, "log_level: %s", e);
		return -EINVAL;
	}
	if ((r = log_open(c->gateway_log_file)) < 0) {
		snprintf(err, errlen, "cannot open log file '%s': %s", c->gateway_log_file,
			 strerror(-r));
		return r;
	}
	r = log_set_levels(c->gateway_log_level, e, sizeof e);
	assert(r == 0); /* checked above */
	log_set_test_mode(!c->gateway_log_timestamps);
	return 0;
}
