/* ussd_dial.h -- the USSD strings a subscriber dials: a service code,
 * "*384#", or a direct string, "*384*1*2#", that gives the answers to
 * the first menus in advance (here "1", then "2").
 *
 * Pure parser: no state, no allocation; results borrow from the input.
 */
#ifndef USSD_DIAL_H
#define USSD_DIAL_H

#include <stddef.h>

#define USSD_DIAL_MAX 64       /* longest dialled string, in bytes */
#define USSD_DIAL_CODE_MAX 6   /* digits of the service code ("384") */
#define USSD_DIAL_ARG_MAX 20   /* digits of one direct answer */
#define USSD_DIAL_MAX_ARGS 8   /* direct answers after the service code */
#define USSD_DIAL_ERR_MAX 128  /* room for an error message, NUL included */

/* One part of the dialled string: s[off .. off + len), digits only. */
struct ussd_dial_part {
	size_t off, len;
};

struct ussd_dial {
	struct ussd_dial_part code;                    /* "384" of "*384*1#" */
	struct ussd_dial_part arg[USSD_DIAL_MAX_ARGS]; /* "1" of "*384*1#" */
	int nargs;
};

/* Parses len bytes of s (no NUL needed) as a whole dialled string:
 * '*', 1 to USSD_DIAL_CODE_MAX digits, then 0 to USSD_DIAL_MAX_ARGS
 * times '*' and 1 to USSD_DIAL_ARG_MAX digits, then '#', and nothing
 * after it; at most USSD_DIAL_MAX bytes. d (may be NULL) borrows from s.
 * Returns len if valid; -2 if s is a strict prefix of a valid string
 * ("", "*384", "*384*1*"); -1 if invalid. On -1 and -2, err (errlen
 * bytes; may be NULL) says what is wrong and where, 1-based, e.g.
 * "position 5 ('x'): expected a digit, '*' or '#'", and *errpos (may be
 * NULL) is the 0-based offset (len for -2). */
int ussd_dial_parse(const char *s, size_t len, struct ussd_dial *d, char *err, size_t errlen,
		    size_t *errpos);

#endif /* USSD_DIAL_H */
