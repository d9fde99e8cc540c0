/* ussd_flow.c -- helpers of the merchant flows: new-PIN rules, tills,
 * the till-number SMS (see ussd_flow.h). */
#include "ussd/ussd_flow.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gateway/auth.h"
#include "gateway/gw.h"
#include "gateway/outbox.h"
#include "gateway/pin.h"
#include "ussd/ussd_menu.h"

const char *ussd_flow_pin_refused(struct ussd_ctx *c, const char *in)
{
	switch (pin_check(in, strlen(in), ussd_ctx_msisdn(c), NULL, 0)) {
	case PIN_OK:
		return NULL;
	case PIN_BAD_FORM:
		return "reg.pin_form";
	default:
		return "reg.pin_weak";
	}
}

int ussd_flow_tills(struct ussd_ctx *c, const char *dfsp, const char *merchant_id, char *out,
		    size_t cap, char first[MERCHANT_ID_MAX])
{
	/* Reads as an auditor of the merchant's DFSP would: read only. */
	const struct merchant_actor reader = { ussd_ctx_msisdn(c), dfsp, ROLE_AUDITOR };
	json_t *m, *loc, *t;
	size_t i, j, len = 0;
	int n = 0, rc = merchant_get_json(ussd_ctx_gw(c)->reg, &reader, merchant_id, &m);

	if (rc < 0)
		return rc;
	if (cap)
		out[0] = '\0';
	if (first)
		first[0] = '\0';
	json_array_foreach(json_object_get(m, "locations"), i, loc)
		json_array_foreach(json_object_get(loc, "tills"), j, t) {
			const char *num = json_string_value(json_object_get(t, "till_number"));
			const char *st = json_string_value(json_object_get(t, "status"));
			if (!num || !st || strcmp(st, "ACTIVE") != 0)
				continue;
			int k = snprintf(out + len, cap - len, "%s%s", n ? ", " : "", num);
			if (k < 0 || (size_t)k >= cap - len) {
				json_decref(m);
				return -ENOSPC;
			}
			len += (size_t)k;
			if (n++ == 0 && first)
				snprintf(first, MERCHANT_ID_MAX, "%s", num);
		}
	json_decref(m);
	return n;
}

int ussd_flow_sms(struct ussd_ctx *c, const char *key, const char *dfsp, const char *merchant_id,
		  const char *name, const char *tills)
{
	struct gw *gw = ussd_ctx_gw(c);
	struct auth_dfsp d;
	char text[OUTBOX_SMS_MAX_CHARS + 1];
	int rc = auth_dfsp_get(gw->db, dfsp, &d);
	if (rc < 0)
		return rc;
	struct ussd_var v[] = { { "name", name }, { "till", tills }, { "dfsp", d.name } };
	long n = ussd_format(c, key, v, 3, text, sizeof text);
	if (n < 0)
		return (int)n;
	return outbox_sms(gw->outbox, dfsp, ussd_ctx_msisdn(c), text, merchant_id, NULL);
}
