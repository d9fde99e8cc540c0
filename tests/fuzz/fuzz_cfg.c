/* fuzz_cfg.c -- libFuzzer target for the configuration parser: loads each
 * input from memory, checks the diagnostics and the loaded values, writes
 * a valid result back out as INI and reloads it, and drives cfg_set(),
 * log_check_levels() and log_q() with the same bytes; abort()s when an
 * invariant breaks. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cfg.h"
#include "gateway/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                   \
	do {                                                                       \
		if (!(x)) {                                                        \
			fprintf(stderr, "fuzz_cfg: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* Valid UTF-8 without control characters other than tab: messages echo
 * input, and must not carry anything that could garble a terminal. */
static int clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
			 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		if (n == 0 || (n == 1 && ((*p < 0x20 && *p != '\t') || *p == 0x7f)))
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void check_diag(const struct cfg_diag *d, const char *name, int nlines, int r)
{
	CHECK(d->n >= 0 && d->n <= CFG_MAX_ERRORS && d->dropped >= 0);
	if (r == 0)
		CHECK(d->n == 0 && d->dropped == 0);
	if (r == -EBADMSG)
		CHECK(d->n + d->dropped > 0);
	for (int i = 0; i < d->n; i++) {
		const struct cfg_error *e = &d->v[i];
		char head[64];
		CHECK(e->text && clean_text(e->text));
		CHECK(e->line >= 1 && e->line <= nlines && e->col >= 0);
		snprintf(head, sizeof head, "%s:%d: ", name, e->line);
		CHECK(strncmp(e->text, head, strlen(head)) == 0);
		CHECK(strlen(e->text) > strlen(head));
		if (i > 0)
			CHECK(e->line >= d->v[i - 1].line); /* in file order */
	}
}

/* Every value in c is one the parser accepts: range, list, checks. */
static void check_values(struct cfg *c)
{
	struct cfg_diag d = { 0 };
	char set[8192];
	for (size_t i = 0; i < cfg_nkeys; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const void *f = NULL;
#define CFG_STR(s, key, def, chk, doc) if (!strcmp(k->section, #s) && !strcmp(k->name, #key)) f = &c->s##_##key;
#define CFG_INT(s, key, def, lo, hi, doc) if (!strcmp(k->section, #s) && !strcmp(k->name, #key)) f = &c->s##_##key;
#define CFG_BOOL(s, key, def, doc) if (!strcmp(k->section, #s) && !strcmp(k->name, #key)) f = &c->s##_##key;
#define CFG_ENUM(s, key, def, vals, doc) if (!strcmp(k->section, #s) && !strcmp(k->name, #key)) f = &c->s##_##key;
#include "gateway/cfg.def"
		CHECK(f != NULL);
		switch (k->type) {
		case CFG_T_INT: {
			long long v = *(const long long *)f;
			CHECK(v >= k->min && v <= k->max);
			snprintf(set, sizeof set, "%s.%s=%lld", k->section, k->name, v);
			break;
		}
		case CFG_T_BOOL: {
			bool v = *(const bool *)f;
			snprintf(set, sizeof set, "%s.%s=%s", k->section, k->name, v ? "true" : "false");
			break;
		}
		case CFG_T_STR:
		case CFG_T_ENUM: {
			const char *v = *(char *const *)f;
			CHECK(v != NULL && clean_text(v) && strlen(v) <= 4096);
			snprintf(set, sizeof set, "%s.%s=%s", k->section, k->name, v);
			break;
		}
		}
		CHECK(cfg_set(c, set, &d) == 0);
	}
	cfg_diag_free(&d);
}

/* Writes c as an INI file (every value quoted) into out. */
static size_t write_ini(const struct cfg *c, char *out, size_t cap)
{
	size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__))
#define QSTR(s, key)                                                     \
	do {                                                             \
		PUT("[%s]\n%s = \"", #s, #key);                          \
		for (const char *p = c->s##_##key; *p; p++)              \
			PUT("%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p); \
		PUT("\"\n");                                             \
	} while (0);
#define CFG_STR(s, key, def, chk, doc) QSTR(s, key)
#define CFG_ENUM(s, key, def, vals, doc) QSTR(s, key)
#define CFG_INT(s, key, def, lo, hi, doc) PUT("[%s]\n%s = %lld\n", #s, #key, c->s##_##key);
#define CFG_BOOL(s, key, def, doc) PUT("[%s]\n%s = %s\n", #s, #key, c->s##_##key ? "yes" : "no");
#include "gateway/cfg.def"
#undef QSTR
#undef PUT
	return n;
}

static int same_cfg(const struct cfg *a, const struct cfg *b)
{
	int same = 1;
#define CFG_STR(s, key, def, chk, doc) same &= strcmp(a->s##_##key, b->s##_##key) == 0;
#define CFG_ENUM(s, key, def, vals, doc) same &= strcmp(a->s##_##key, b->s##_##key) == 0;
#define CFG_INT(s, key, def, lo, hi, doc) same &= a->s##_##key == b->s##_##key;
#define CFG_BOOL(s, key, def, doc) same &= a->s##_##key == b->s##_##key;
#include "gateway/cfg.def"
	return same;
}

/* log_q() output is one logfmt value: bare, or quoted with only valid
 * escapes and no raw control characters. */
static void check_q(const char *val, size_t size)
{
	char buf[256];
	const char *q = log_q(buf, size, val);
	size_t n = strlen(q);
	CHECK(q == buf && n < size);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)q[i] >= 0x20 && q[i] != 0x7f);
	if (n && q[0] == '"') {
		CHECK(n >= 2 && q[n - 1] == '"');
		for (size_t i = 1; i < n - 1; i++) {
			CHECK(q[i] != '"');
			if (q[i] == '\\') {
				i++;
				CHECK(i < n - 1 && strchr("\"\\nrtu", q[i]));
			}
		}
	} else {
		CHECK(!strpbrk(q, " =\""));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ini[1 << 16];
	struct cfg c, c2;
	struct cfg_diag d = { 0 };
	int nlines = 1;

	if (size > (1 << 16))
		return 0;
	for (size_t i = 0; i < size; i++)
		nlines += data[i] == '\n';

	CHECK(cfg_defaults(&c) == 0);
	int r = cfg_load_buf(&c, "fuzz.conf", (const char *)data, size, &d);
	CHECK(r == 0 || r == -EBADMSG);
	check_diag(&d, "fuzz.conf", nlines, r);
	cfg_diag_free(&d);
	check_values(&c); /* valid lines were applied even when others failed */

	/* What loaded writes back out and reloads to the same values. */
	size_t n = write_ini(&c, ini, sizeof ini);
	CHECK(n < sizeof ini);
	CHECK(cfg_defaults(&c2) == 0);
	r = cfg_load_buf(&c2, "again.conf", ini, n, &d);
	if (r != 0)
		fprintf(stderr, "%s\n%s\n", ini, d.n ? d.v[0].text : "");
	CHECK(r == 0 && same_cfg(&c, &c2));
	cfg_free(&c2);
	cfg_free(&c);

	/* The same bytes as an override, a level spec and a log value. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	CHECK(cfg_defaults(&c) == 0);
	r = cfg_set(&c, s, &d);
	CHECK(r == 0 || r == -EBADMSG);
	CHECK((r == 0) == (d.n == 0));
	for (int i = 0; i < d.n; i++)
		CHECK(d.v[i].line == 0 && clean_text(d.v[i].text) &&
		      strncmp(d.v[i].text, "--set", 5) == 0);
	cfg_diag_free(&d);
	check_values(&c);
	cfg_free(&c);

	char err[96];
	err[0] = 'X';
	r = log_check_levels(s, err, sizeof err);
	CHECK(r == 0 || (r == -EINVAL && memchr(err, '\0', sizeof err) && err[0] != '\0'));
	check_q(s, 256);
	check_q(s, 3 + size % 16);
	free(s);
	return 0;
}
