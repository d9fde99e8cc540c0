/* ussd_dial.c -- parse a dialled USSD string ("*384#", "*384*1*2#"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ussd/ussd_dial.h"

static int fail(int rc, char *err, size_t errlen, size_t *errpos, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int fail(int rc, char *err, size_t errlen, size_t *errpos, size_t pos, const char *fmt, ...)
{
	if (errpos)
		*errpos = pos;
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The byte at i as shown in a message: 'x', or \xNN when not printable. */
static const char *show(const char *s, size_t i, char buf[8])
{
	unsigned char c = (unsigned char)s[i];
	if (c > 0x20 && c < 0x7F && c != '\'')
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02X", c);
	return buf;
}

int ussd_dial_parse(const char *s, size_t len, struct ussd_dial *d, char *err, size_t errlen,
		    size_t *errpos)
{
	struct ussd_dial tmp;
	struct ussd_dial_part *part;
	size_t i = 1, max;
	char b[8];

	if (!d)
		d = &tmp;
	memset(d, 0, sizeof *d);
	if (err && errlen)
		err[0] = '\0';
	if (len > USSD_DIAL_MAX)
		return fail(-1, err, errlen, errpos, USSD_DIAL_MAX,
			    "position %d: longer than %d characters", USSD_DIAL_MAX + 1, USSD_DIAL_MAX);
	if (len == 0)
		return fail(-2, err, errlen, errpos, 0, "position 1: empty, expected '*'");
	if (s[0] != '*')
		return fail(-1, err, errlen, errpos, 0, "position 1 (%s): expected '*'", show(s, 0, b));
	part = &d->code;
	max = USSD_DIAL_CODE_MAX;
	for (;;) {
		/* one part: digits, then '*' or '#' */
		part->off = i;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (i - part->off == max)
				return fail(-1, err, errlen, errpos, i,
					    "position %zu: %s longer than %zu digits", i + 1,
					    part == &d->code ? "service code" : "answer", max);
			i++;
		}
		part->len = i - part->off;
		if (i == len)
			return fail(-2, err, errlen, errpos, len,
				    "position %zu: ends early, expected %s", len + 1,
				    part->len ? "a digit, '*' or '#'" : "a digit");
		if (part->len == 0)
			return fail(-1, err, errlen, errpos, i, "position %zu (%s): expected a digit",
				    i + 1, show(s, i, b));
		if (s[i] == '#')
			break;
		if (s[i] != '*')
			return fail(-1, err, errlen, errpos, i,
				    "position %zu (%s): expected a digit, '*' or '#'", i + 1, show(s, i, b));
		if (d->nargs == USSD_DIAL_MAX_ARGS)
			return fail(-1, err, errlen, errpos, i,
				    "position %zu: more than %d answers after the service code", i + 1,
				    USSD_DIAL_MAX_ARGS);
		part = &d->arg[d->nargs++];
		max = USSD_DIAL_ARG_MAX;
		i++;
	}
	if (i + 1 != len)
		return fail(-1, err, errlen, errpos, i + 1, "position %zu (%s): nothing may follow '#'",
			    i + 2, show(s, i + 1, b));
	return (int)len;
}
