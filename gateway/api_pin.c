/* api_pin.c -- POST /v1/merchants/{id}/pin/unlock: the DFSP lifts a
 * merchant's USSD PIN lock-out (contract in api_pin.h). */
#include "gateway/api_pin.h"

#include <errno.h>
#include <string.h>

#include "gateway/auth.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "merchant/merchant_pin.h"

void api_pin_unlock(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	struct merchant_actor m = {
		.user = a->user,
		.dfsp = a->dfsp[0] ? a->dfsp : NULL,
		.role = a->role,
	};
	const char *mid = http_param(r, "id");
	struct mpin_status st;
	int rc = mpin_unlock(gw->mpin, &m, mid, &st);

	switch (rc) {
	case 0:
		http_reply_json(r, 200, json_pack("{s:s,s:o}", "merchant_id", mid, "ussd_pin",
						  mpin_status_json(&st)));
		break;
	case -EACCES:
		http_problem(r, 403, "forbidden", NULL, "only a dfsp-admin or checker may unlock a PIN");
		break;
	case -ENOENT:
		http_problem(r, 404, "not_found", NULL, "no such merchant, or it has no USSD PIN");
		break;
	case -EBUSY:
		http_add_header(r, "Retry-After", "1");
		http_problem(r, 503, "busy", NULL, "the database is busy; retry");
		break;
	default:
		LOGE(LC_HTTP, "request failed", "path=%s error=\"%s\"", http_path(r), strerror(-rc));
		http_problem(r, 500, "internal", NULL, "internal error");
		break;
	}
}
