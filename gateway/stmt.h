/* stmt.h -- statements: a DFSP's or a merchant's committed payments by
 * UTC day, received and sent, with counts, amounts and fees per
 * currency, and the lines, for settlement and reconciliation. One
 * builder for the admin API (GET /v1/dfsps/{fsp}/statement,
 * GET /v1/merchants/{id}/statement) and `tillgate statement`, so both
 * give the same numbers; JSON and CSV (RFC 4180). docs/payments.md
 * "Statements".
 *
 * What counts, for DFSP D (payments in state COMMITTED only, on the UTC
 * day of their commit, which is their last update: a committed payment
 * changes no more):
 *   received: payments to D's merchants that D settles itself: on-us ones
 *             (payer and merchant both at D) and those received through
 *             the switch (channel "switch"); a payment from another hosted
 *             DFSP's customer is received when its transfer arrives
 *             through the switch, so it is counted once;
 *   sent:     payments by D's customers (channel ussd or api), on-us or
 *             through the switch.
 * An on-us payment is a line of each. A merchant's statement has its
 * received payments only. fee: the payee fee of the quote of a payment
 * received through the switch (0 otherwise); net = amount - fee.
 *
 * Return convention: 0 or a negative errno; -EINVAL with a message naming
 * the field and the character position in err; -ENOENT no such DFSP or
 * merchant (within the caller's scope). Threads: as struct db.
 */
#ifndef GW_STMT_H
#define GW_STMT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct db;

#define STMT_MAX_DAYS 31 /* the longest range, in days */

/* What to build. Strings borrowed for the call. */
struct stmt_query {
	const char *scope;       /* the caller's DFSP (NULL: hub-admin, operator: any) */
	const char *dfsp;        /* the DFSP's statement; NULL with merchant_id */
	const char *merchant_id; /* a merchant's statement (its DFSP found within scope) */
	const char *from, *to;   /* UTC days "YYYY-MM-DD", inclusive; NULL: today */
};

/* Checks a day "YYYY-MM-DD" (a real calendar date). Returns 0, or -1
 * with "FIELD: ... (position N)" in err. */
int stmt_day_parse(const char *field, const char *s, char *err, size_t n);

/* Builds the statement as JSON (a new reference in *out):
 *   {"dfsp", "merchant_id" (null for a DFSP's), "from", "to",
 *    "time_zone": "UTC",
 *    "days": [{"date", "received": [T...], "sent": [T...]}] one per day
 *            of the range, oldest first,
 *    "totals": {"received": [T...], "sent": [T...]},
 *    "lines": [{"date", "direction", "payment_id", "committed", "channel",
 *               "on_us", "payer_dfsp", "payer_fsp", "payee_dfsp",
 *               "merchant_id", "till", "currency", "amount", "fee", "net",
 *               "transfer_id"}] by commit time}
 * with T = {"currency", "count", "amount", "fee", "net"} per currency in
 * alphabetical order; amounts are integers in minor units; absent
 * values null. Returns 0, -EINVAL (bad day, from after to, more than
 * STMT_MAX_DAYS days, neither or both of dfsp and merchant_id), -ENOENT,
 * -EOVERFLOW (a total past INT64_MAX), db codes. */
int stmt_build(struct db *db, const struct stmt_query *q, json_t **out, char *err, size_t n);

/* The statement as CSV (RFC 4180, CRLF lines, a header line): columns
 *   record,date,direction,payment_id,committed,channel,on_us,payer_dfsp,
 *   payer_fsp,payee_dfsp,merchant_id,till,currency,count,amount,fee,net,
 *   transfer_id
 * record "line" (one per payment line, count 1), then "day" (per day,
 * direction and currency), then "total" (per direction and currency,
 * date empty); empty fields for what a record does not have. *buf is
 * owned (free()). Returns 0 or -ENOMEM. */
int stmt_csv(const json_t *stmt, char **buf, size_t *len);

/* The JSON text both the API and the CLI print: compact, keys in the
 * order above. Owned (free()), NULL on ENOMEM. */
char *stmt_json_text(const json_t *stmt);

#endif /* GW_STMT_H */
