/* log.c -- logfmt lines with per-category levels, written with one write(2)
 * each to stderr or an append-only file.
 *
 * A line is built in a stack buffer (no allocation, no stdio, no lock), so
 * the only thing log_msg() can block on is the write itself. Lines longer
 * than LOG_LINE_MAX are cut at a character boundary, any open quote is
 * closed and " truncated=true" is appended, so each event stays one
 * parsable line. The time is converted without gmtime_r(), which takes
 * glibc's time-zone lock.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/log.h"

#define LOG_LINE_MAX 4096 /* bytes of one line, newline included */

static const char *const level_names[] = {
	[LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_NOTICE] = "notice",
	[LOG_WARN] = "warn",   [LOG_ERROR] = "error", [LOG_NONE] = "none",
};

/* Same order as enum log_cat. */
static const char *const cat_names[LC__COUNT] = {
	[LC_MAIN] = "main", [LC_CFG] = "cfg",     [LC_DB] = "db",     [LC_HTTP] = "http",
	[LC_MERCH] = "merchant", [LC_KYB] = "kyb", [LC_AUDIT] = "audit", [LC_USSD] = "ussd",
	[LC_SMPP] = "smpp", [LC_PAY] = "pay",     [LC_SWITCH] = "switch",
};

/* The logger's state (see log.h for why it is global). */
static struct {
	unsigned char level[LC__COUNT]; /* enum log_level per category */
	int fd;                         /* 2 or our own descriptor */
	char *path;                     /* owned; NULL for stderr */
	int test_mode;
	int ready;                      /* levels initialised */
} L = { .fd = 2 };

static void init_levels(void)
{
	if (L.ready)
		return;
	for (int i = 0; i < LC__COUNT; i++)
		L.level[i] = LOG_INFO;
	L.ready = 1;
}

/* ---- levels ---- */

static int find_name(const char *const *names, int n, const char *w, size_t len)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len && memcmp(names[i], w, len) == 0)
			return i;
	return -1;
}

/* 1-based character (not byte) position of p in s. */
static int char_pos(const char *s, const char *p)
{
	int n = 1;
	for (; s < p; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int is_sep(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Parses spec (grammar in log.h) into lv. Returns 0 or -EINVAL with the
 * message in err. */
static int parse_levels(const char *spec, unsigned char lv[LC__COUNT], char *err, size_t errlen)
{
	unsigned char seen[LC__COUNT] = { 0 };
	const char *p = spec ? spec : "";
	int first = 1;

	for (;;) {
		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && !is_sep(*p))
			p++;
		size_t len = (size_t)(p - w);
		int pos = char_pos(spec, w), wl = len > 40 ? 40 : (int)len;
		const char *eq = memchr(w, '=', len);

		if (first) {
			int l = find_name(level_names, LOG_NONE + 1, w, len);
			if (l < 0) {
				snprintf(err, errlen, "%s '%.*s' at character %d (expected debug, info, "
					 "notice, warn, error or none)",
					 eq ? "expected a level before the overrides, got" : "unknown level",
					 wl, w, pos);
				return -EINVAL;
			}
			memset(lv, l, LC__COUNT);
			first = 0;
			continue;
		}
		if (!eq) {
			snprintf(err, errlen, "expected CATEGORY=LEVEL, got '%.*s' at character %d",
				 wl, w, pos);
			return -EINVAL;
		}
		size_t clen = (size_t)(eq - w);
		int c = find_name(cat_names, LC__COUNT, w, clen);
		if (c < 0) {
			snprintf(err, errlen, "unknown category '%.*s' at character %d",
				 clen > 40 ? 40 : (int)clen, w, pos);
			return -EINVAL;
		}
		const char *lw = eq + 1;
		size_t llen = len - clen - 1;
		int l = find_name(level_names, LOG_NONE + 1, lw, llen);
		if (l < 0) {
			snprintf(err, errlen, "unknown level '%.*s' for category %s at character %d",
				 llen > 40 ? 40 : (int)llen, lw, cat_names[c], char_pos(spec, lw));
			return -EINVAL;
		}
		if (seen[c]) {
			snprintf(err, errlen, "category %s set twice, at character %d", cat_names[c], pos);
			return -EINVAL;
		}
		seen[c] = 1;
		lv[c] = (unsigned char)l;
	}
	if (first) {
		snprintf(err, errlen, "no level given at character 1 (expected debug, info, notice, "
			 "warn, error or none)");
		return -EINVAL;
	}
	return 0;
}

int log_set_levels(const char *spec, char *err, size_t errlen)
{
	unsigned char lv[LC__COUNT];
	int r = parse_levels(spec, lv, err, errlen);
	if (r < 0)
		return r;
	memcpy(L.level, lv, sizeof lv);
	L.ready = 1;
	return 0;
}

int log_check_levels(const char *spec, char *err, size_t errlen)
{
	unsigned char lv[LC__COUNT];
	return parse_levels(spec, lv, err, errlen);
}

int log_enabled(enum log_cat cat, enum log_level lvl)
{
	init_levels();
	if ((unsigned)cat >= LC__COUNT || lvl >= LOG_NONE)
		return 0;
	return lvl >= L.level[cat];
}

void log_set_test_mode(int on)
{
	L.test_mode = on != 0;
}

/* ---- destination ---- */

/* Opens path for appending. O_NONBLOCK only for the open itself, so a
 * FIFO without a reader fails at once instead of hanging start-up; the
 * writes are blocking (a write to the file is the one thing allowed to
 * block). Returns the descriptor or -errno. */
static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int log_open(const char *path)
{
	int fd = 2;
	char *copy = NULL;

	if (path && strcmp(path, "-") != 0) {
		if (!(copy = strdup(path)))
			return -ENOMEM;
		fd = open_log(path);
		if (fd < 0) {
			free(copy);
			return fd;
		}
	}
	if (L.fd != 2)
		close(L.fd);
	free(L.path);
	L.fd = fd;
	L.path = copy;
	return 0;
}

int log_reopen(void)
{
	if (!L.path)
		return 0; /* stderr: nothing to reopen */
	int fd = open_log(L.path);
	if (fd < 0)
		return fd;
	close(L.fd);
	L.fd = fd;
	return 0;
}

/* ---- line assembly ---- */

struct line {
	char buf[LOG_LINE_MAX];
	size_t len;
	size_t cap;   /* bytes usable for content: room kept for the tail */
	int full;     /* something did not fit */
	int quoted;   /* inside a quoted value of the fields */
};

#define TRUNC_TAIL "\" truncated=true\n" /* worst case: close a quote, mark */

static void put(struct line *l, const char *s, size_t n)
{
	if (l->full)
		return;
	if (n > l->cap - l->len) {
		l->full = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* The escape for byte c inside a quoted value, or NULL if it stands for
 * itself. tmp holds \u00XX forms. */
static const char *escape_of(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, 8, "\\u%04x", c);
			return tmp;
		}
		return NULL;
	}
}

/* Bytes of the character at p: a UTF-8 lead byte and the continuation
 * bytes that follow it (at most as many as the lead announces), or 1 for
 * anything else. So a cut never splits a character, and a control byte
 * after a stray lead byte is never swallowed unescaped. */
static size_t char_len(const unsigned char *p)
{
	size_t want = p[0] >= 0xf0 && p[0] < 0xf8 ? 4 : p[0] >= 0xe0 && p[0] < 0xf0 ? 3
		    : p[0] >= 0xc0 && p[0] < 0xe0 ? 2 : 1, n = 1;
	while (n < want && (p[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* Appends s escaped as the inside of a quoted value; stops (marking the
 * line full) before a character or escape that does not fit. */
static void put_escaped(struct line *l, const char *s)
{
	char tmp[8];
	for (const unsigned char *p = (const unsigned char *)s; *p && !l->full;) {
		const char *e = escape_of(*p, tmp);
		if (e) {
			put(l, e, strlen(e));
			p++;
			continue;
		}
		size_t n = char_len(p);
		put(l, (const char *)p, n);
		p += n;
	}
}

/* Appends the caller's formatted fields. They are logfmt already
 * (values quoted through log_q()), but a raw control character would
 * split the line: those are escaped too. Tracks quotes, so a cut can
 * close the one it leaves open. */
static void put_fields(struct line *l, const char *f)
{
	char tmp[8];
	int esc = 0; /* the last byte was a backslash opening an escape */

	for (const unsigned char *p = (const unsigned char *)f; *p;) {
		if (*p < 0x20 || *p == 0x7f) {
			const char *e = escape_of(*p, tmp);
			put(l, e, strlen(e));
			if (l->full)
				break;
			p++;
			esc = 0;
			continue;
		}
		size_t n = char_len(p);
		put(l, (const char *)p, n);
		if (l->full)
			break;
		if (*p == '"' && !esc)
			l->quoted = !l->quoted;
		esc = l->quoted && *p == '\\' && !esc;
		p += n;
	}
	if (l->full && esc)
		l->len--; /* the escaped character did not fit: drop its backslash */
}

/* Writes v as exactly n decimal digits at out. */
static void digits(char *out, unsigned long v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" and a NUL (25 bytes) for t, a time
 * between years 0 and 9999. Days to civil date: count from 0000-03-01 so
 * that the leap day is the last day of each counted year, split into
 * 400-year cycles of 146097 days, then years, then March-based months. */
static void fmt_time(char out[25], const struct timespec *t)
{
	int64_t secs = t->tv_sec, days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t z = days + 719468;                 /* days since 0000-03-01 */
	int64_t cyc = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doc = z - cyc * 146097;            /* day of the cycle, 0..146096 */
	int64_t yoc = (doc - doc / 1460 + doc / 36524 - doc / 146096) / 365; /* 0..399 */
	int64_t doy = doc - (365 * yoc + yoc / 4 - yoc / 100);                /* 0..365 */
	int64_t mp = (5 * doy + 2) / 153;          /* month from March, 0..11 */
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoc + cyc * 400 + (m <= 2);

	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999; /* a clock this wrong still gives a well-formed ts */
	memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	digits(out, (unsigned long)y, 4);
	digits(out + 5, (unsigned long)m, 2);
	digits(out + 8, (unsigned long)d, 2);
	digits(out + 11, (unsigned long)(sod / 3600), 2);
	digits(out + 14, (unsigned long)(sod / 60 % 60), 2);
	digits(out + 17, (unsigned long)(sod % 60), 2);
	digits(out + 20, (unsigned long)(t->tv_nsec / 1000000) % 1000, 3);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* EAGAIN on a shared non-blocking stderr, EIO, ENOSPC: drop */
		p += w;
		n -= (size_t)w;
	}
}

void log_msg(enum log_cat cat, enum log_level lvl, const char *msg, const char *fmt, ...)
{
	int saved = errno;
	struct line l;
	char fields[LOG_LINE_MAX];

	if (!log_enabled(cat, lvl)) {
		errno = saved;
		return;
	}
	l.len = 0;
	l.cap = sizeof l.buf - (sizeof TRUNC_TAIL - 1);
	l.full = 0;
	l.quoted = 0;

	if (!L.test_mode) {
		struct timespec ts;
		char tbuf[25];
		clock_gettime(CLOCK_REALTIME, &ts);
		fmt_time(tbuf, &ts);
		puts_(&l, "ts=");
		puts_(&l, tbuf);
		puts_(&l, " ");
	}
	puts_(&l, "level=");
	puts_(&l, level_names[lvl]);
	puts_(&l, " cat=");
	puts_(&l, cat_names[cat]);
	puts_(&l, " msg=\"");
	put_escaped(&l, msg ? msg : "");
	if (l.full) {
		l.quoted = 1;
	} else {
		puts_(&l, "\"");
		if (fmt && *fmt) {
			va_list ap;
			va_start(ap, fmt);
			/* Output beyond the buffer is cut by vsnprintf; put_fields
			 * then sees a line that no longer fits anyway. */
			int n = vsnprintf(fields, sizeof fields, fmt, ap);
			va_end(ap);
			if (n > 0) {
				puts_(&l, " ");
				put_fields(&l, fields);
				if ((size_t)n >= sizeof fields)
					l.full = 1;
			}
		}
	}
	if (l.full) {
		/* The tail's room was kept out of cap, so this always fits. */
		const char *tail = &TRUNC_TAIL[!l.quoted]; /* skip the quote if none is open */
		memcpy(l.buf + l.len, tail, strlen(tail));
		l.len += strlen(tail);
	} else {
		l.buf[l.len++] = '\n'; /* cap < sizeof buf: room is there */
	}
	write_all(L.fd, l.buf, l.len);
	errno = saved;
}

/* Whether val must be quoted to stay one logfmt value. */
static int needs_quotes(const char *val)
{
	if (!*val)
		return 1;
	for (const unsigned char *p = (const unsigned char *)val; *p; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == 0x7f)
			return 1;
	return 0;
}

/* Contract in log.h. When buf is too small the value is cut at a
 * character (or escape) boundary and, if quoted, still closed; a buf of
 * fewer than 3 bytes gets "" (or nothing, if size is 0). NULL val is "". */
const char *log_q(char *buf, size_t size, const char *val)
{
	if (size == 0)
		return buf;
	if (!val)
		val = "";
	if (!needs_quotes(val)) {
		size_t n = strlen(val);
		if (n >= size) {
			n = size - 1;
			while (n > 0 && ((unsigned char)val[n] & 0xc0) == 0x80)
				n--; /* back to the start of the character that was cut */
		}
		memcpy(buf, val, n);
		buf[n] = '\0';
		return buf;
	}
	if (size < 3) {
		buf[0] = '\0';
		return buf;
	}
	size_t len = 0, room = size - 2; /* keep the closing quote and the NUL */
	char tmp[8];
	buf[len++] = '"';
	for (const unsigned char *p = (const unsigned char *)val; *p;) {
		const char *e = escape_of(*p, tmp);
		size_t n = e ? strlen(e) : char_len(p);
		if (n > room - len)
			break;
		memcpy(buf + len, e ? e : (const char *)p, n);
		len += n;
		p += e ? 1 : n;
	}
	buf[len++] = '"';
	buf[len] = '\0';
	assert(len < size);
	return buf;
}
