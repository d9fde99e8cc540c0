/* als.h -- registration of the parties the gateway answers for at the
 * switch's account lookup service (ALS): the drain of the outbox's "als"
 * rows through the FSPIOP connector. docs/switch.md "Registration".
 *
 * The rows are written by the database itself (triggers of schema
 * version 11, data/schema.sql) in the transaction that makes a party
 * payable or stops it: a merchant becomes APPROVED or leaves APPROVED, a
 * till is added, suspended, reactivated, closed or deleted under an
 * APPROVED merchant. dest names the party ("till/NUMBER", sent under
 * [switch] merchant_party_type; "merchant/ID", sent as BUSINESS, the two
 * types gateway/payee.c answers GET /parties for); body is the method,
 * "POST" or "DELETE"; dfsp is FSPIOP-Source and the fspId registered.
 *
 * Sending (switch_participant()): the rows of one party one at a time,
 * in id order (outbox_claim_ordered()), up to ALS_MAX_INFLIGHT parties
 * at once. The row goes 'sending' (committed) before the request; then:
 *   PUT /participants/{Type}/{ID}       -> 'delivered'
 *   PUT .../error 3204 for a DELETE     -> 'delivered' (nothing to remove)
 *   PUT .../error 1xxx or 2xxx          -> 'pending' again after a backoff
 *   PUT .../error, any other code       -> 'failed' with "CODE description"
 *   no callback within callback_timeout_ms, the switch unreachable
 *   or answering 5xx                    -> 'pending' again after a backoff
 *                                          (ALS_RETRY_MIN_S doubling to
 *                                          ALS_RETRY_MAX_S, with jitter)
 *   a 4xx or a callback that breaks the API -> 'failed' with the reason
 *   a restart finding 'sending'         -> 'pending' (outbox_requeue())
 * Sending a registration again is safe: the ALS keeps one FSP per party,
 * and the same POST from the same FSP, or a DELETE of what is gone,
 * leaves the same state (docs/switch.md explains). Nothing is given up
 * for a link problem: the row waits for the switch.
 */
#ifndef GW_ALS_H
#define GW_ALS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ev;
struct outbox;
struct switch_conn;
struct als; /* opaque */

#define ALS_MAX_INFLIGHT 8
#define ALS_RETRY_MIN_S 2
#define ALS_RETRY_MAX_S 300
#define ALS_POLL_MS 500 /* how often due rows are looked for */

struct als_counters {
	uint64_t sent, delivered, failed, retried;
};

/* Makes the drain on ev, ob and sw (all borrowed: must outlive it).
 * currency (copied) goes into every POST. Puts the rows a previous run
 * left 'sending' back to 'pending' (logged with their count). Returns 0
 * with *out owned by the caller (als_free()), or a negative errno with a
 * message in err. */
int als_new(struct als **out, struct ev *ev, struct outbox *ob, struct switch_conn *sw,
	    const char *currency, char *err, size_t errlen);

/* Frees, with the context of the requests still waiting (free it before
 * or after the connector: switch_free() drops them without calling
 * back). Accepts NULL. */
void als_free(struct als *a);

/* Looks for due rows now. */
void als_kick(struct als *a);

/* No new rows are claimed (shutdown); the rows in flight stay 'sending'
 * and are sent again by the next start unless their callback comes. */
void als_stop(struct als *a);

/* Rows sent and not yet answered. */
unsigned als_inflight(const struct als *a);

const struct als_counters *als_counters(const struct als *a);

/* Prometheus text of the drain's counters to f; a may be NULL (no drain:
 * registration off or no switch), which prints nothing. The rows
 * themselves are counted by outbox_metrics(). */
void als_metrics(const struct als *a, FILE *f);

#endif /* GW_ALS_H */
