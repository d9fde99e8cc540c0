/* ussd_http.h -- the HTTP aggregator transport of the USSD menus: POST
 * /ussd with an application/x-www-form-urlencoded body (sessionId,
 * serviceCode, phoneNumber, networkCode, text: every answer so far
 * joined by '*'), answered text/plain "CON ..." (more to come) or
 * "END ..." (final), the convention of Africa's Talking and similar
 * aggregators. Same sessions and menus as SMPP (ussd/ussd_sess.h).
 * docs/ussd.md, "HTTP transport (POST /ussd)".
 */
#ifndef GW_USSD_HTTP_H
#define GW_USSD_HTTP_H

#include <stddef.h>

struct http_route;

/* The route, for the server's table: POST /ussd; its handler's arg is
 * the struct gw (gw->ussd, gw->cfg.ussd_http_token). */
extern const struct http_route ussd_http_route;

/* The fields of one request, decoded. Each is NULL when absent, else a
 * NUL-terminated string borrowed from the buf given to ussd_form_parse(). */
struct ussd_form {
	const char *session_id;   /* sessionId */
	const char *service_code; /* serviceCode */
	const char *phone_number; /* phoneNumber */
	const char *network_code; /* networkCode */
	const char *text;         /* text */
};

/* Parses a form body (len bytes, not NUL-terminated): fields separated by
 * '&', each name=value, percent-escapes (%XX) and '+' (a space)
 * decoded in names and values. Unknown fields are ignored; a known
 * field given twice, a field without '=', a bad escape or an escaped
 * NUL is refused. Decoded strings go to buf (cap bytes; len + 8 is
 * always enough), and f points into it. Returns len (the bytes
 * consumed), or -1 with a message in err naming the field and the
 * 0-based byte position in the body. */
long ussd_form_parse(const char *body, size_t len, struct ussd_form *f, char *buf, size_t cap,
		     char *err, size_t errlen);

#endif /* GW_USSD_HTTP_H */
