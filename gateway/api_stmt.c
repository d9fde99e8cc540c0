/* api_stmt.c -- GET /v1/dfsps/{fsp}/statement and
 * GET /v1/merchants/{id}/statement: gateway/stmt.h as JSON or CSV. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/api_stmt.h"
#include "gateway/auth.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/stmt.h"

static void reply(struct http_req *r, struct gw *gw, const struct auth_actor *a,
		  const char *dfsp, const char *merchant_id)
{
	const char *date = http_query(r, "date"), *from = http_query(r, "from"),
		   *to = http_query(r, "to");
	if (date && (from || to)) {
		json_t *e = json_pack("[{s:s,s:s}]", "field", "date", "message",
				      "date, or from and to, not both");
		http_problem(r, 422, "validation_failed", e, "date: date, or from and to, not both");
		return;
	}
	struct stmt_query q = {
		.scope = a->role == ROLE_HUB_ADMIN || !a->dfsp[0] ? NULL : a->dfsp,
		.dfsp = dfsp,
		.merchant_id = merchant_id,
		.from = date ? date : from,
		.to = date ? date : to,
	};
	json_t *j;
	char err[200];
	int rc = stmt_build(gw->db, &q, &j, err, sizeof err);
	if (rc == -EINVAL) {
		char field[16];
		snprintf(field, sizeof field, "%.*s", (int)strcspn(err, ":"), err);
		/* the query names the day "date" when it came as one */
		if (date && (strcmp(field, "from") == 0 || strcmp(field, "to") == 0)) {
			memmove(err + 4, err + strlen(field), strlen(err + strlen(field)) + 1);
			memcpy(err, "date", 4);
			snprintf(field, sizeof field, "date");
		}
		json_t *e = json_pack("[{s:s,s:s}]", "field", field, "message", err);
		http_problem(r, 422, "validation_failed", e, "%s", err);
		return;
	}
	if (rc == -ENOENT) {
		http_problem(r, 404, "not_found", NULL, "%s", err);
		return;
	}
	if (rc == -EBUSY) {
		http_add_header(r, "Retry-After", "1");
		http_problem(r, 503, "busy", NULL, "the database is busy; retry");
		return;
	}
	if (rc < 0) {
		http_problem(r, 500, "internal", NULL, "statement: %s", strerror(-rc));
		return;
	}
	const char *accept = http_header(r, "Accept");
	char *buf = NULL;
	size_t len = 0;
	if (accept && strstr(accept, "text/csv")) {
		rc = stmt_csv(j, &buf, &len);
		if (rc == 0)
			http_reply(r, 200, "text/csv; charset=utf-8; header=present", buf, len);
	} else {
		buf = stmt_json_text(j);
		rc = buf ? 0 : -ENOMEM;
		if (rc == 0)
			http_reply(r, 200, "application/json", buf, strlen(buf));
	}
	if (rc < 0)
		http_problem(r, 500, "internal", NULL, "out of memory");
	free(buf);
	json_decref(j);
}

void api_stmt_dfsp(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	reply(r, gw, a, http_param(r, "fsp"), NULL);
}

void api_stmt_merchant(struct http_req *r, struct gw *gw, const struct auth_actor *a)
{
	reply(r, gw, a, NULL, http_param(r, "id"));
}
