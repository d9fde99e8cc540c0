/* fwd.h -- the forwarder: moves payments to the Mojaloop switch on the
 * event loop, with the switch connector's primitives (gateway/switch.h)
 * and the payment module's transitions (gateway/pay.h).
 *
 * One payment at a time per slot, at most [switch] max_inflight slots:
 *   ACCEPTED | QUEUED -> SENDING (new transaction, quote and transfer ids
 *   persisted first) -> lookup -> quote -> (the transfer's condition and
 *   expiration persisted in payment_transfer) -> transfer -> COMMITTED
 *   with a verified fulfilment.
 * What each answer of the switch leads to is fwd_decide(), a pure
 * function; docs/payments.md prints it. An unknown outcome (TIMEOUT, DOWN
 * or an invalid callback after the transfer was sent, or a crash) is
 * RECONCILING, resolved with GET /transfers/{id}; new ids are made only
 * when the earlier transfer is known aborted, expired and not found, or
 * was never sent (no payment_transfer row). A transfer the switch does
 * not know (3208) that has not expired is sent again, same transferId and
 * a byte-identical body rebuilt from payment_transfer (the switch answers
 * a duplicate with the state it stored), at most FWD_RESEND_MAX times.
 *
 * The drain runs at start (SENDING rows left by a crash go to
 * RECONCILING first), when the link comes back up, and on a timer:
 * ACCEPTED payments (a customer waits) before the others, then oldest
 * first. Threads: one, the loop's. docs/payments.md, "Forwarding".
 */
#ifndef GW_FWD_H
#define GW_FWD_H

#include <stdint.h>
#include <stdio.h>

#include "gateway/pay.h"
#include "gateway/switch.h"

struct gw;
struct fwd; /* opaque */

/* The step of a forwarding whose answer is being decided. */
enum fwd_step {
	FWD_STEP_LOOKUP,   /* GET /parties */
	FWD_STEP_QUOTE,    /* POST /quotes */
	FWD_STEP_TRANSFER, /* POST /transfers: from here a commit is possible */
	FWD_STEP_GET,      /* GET /transfers/{id}: reconciling */
};

/* What the forwarder does next. */
enum fwd_action {
	FWD_ACT_NEXT,      /* go on to the next step */
	FWD_ACT_COMMIT,    /* COMMITTED */
	FWD_ACT_FAIL,      /* FAILED with the FSPIOP code and its customer message */
	FWD_ACT_REQUEUE,   /* nothing that could commit was sent: QUEUED with backoff */
	FWD_ACT_RECONCILE, /* outcome unknown: RECONCILING, then GET the transfer */
	FWD_ACT_WAIT,      /* stay RECONCILING, ask again after a backoff */
	FWD_ACT_RENEW,     /* the transfer is known not committed: again with new ids */
	FWD_ACT_RESEND,    /* unknown at the switch, not expired: the same prepare again */
};

/* Resends of one transfer at most: sent 1 + FWD_RESEND_MAX times. */
#define FWD_RESEND_MAX 3

/* "next", "commit", ... */
const char *fwd_action_name(enum fwd_action a);

/* An answer of the switch as fwd_decide() sees it. */
struct fwd_answer {
	enum switch_status status;
	int error_code;       /* SWITCH_ERROR: the FSPIOP code */
	int xstate;           /* transfer/get SWITCH_OK: enum fspiop_xstate; -1 none */
	int verified;         /* transfer/get: the fulfilment matched the condition */
	int expired;          /* get: now is past the transfer's expiration plus a grace */
	int resendable;       /* get: fwd_resendable() of the transfer */
};

/* The decision table: pure, no I/O. A GET answered 3208 (the switch does
 * not know the transfer) renews past the expiration (expired), resends
 * the same prepare while resendable, and waits otherwise. */
enum fwd_action fwd_decide(enum fwd_step step, const struct fwd_answer *a);

/* 1 if a transfer the switch does not know may be sent again: its body
 * was recorded (has_body: transfers recorded before schema version 14
 * have none), it was sent fewer than 1 + FWD_RESEND_MAX times (sends),
 * and it expires more than margin_ms from now (expires_in_ms; the
 * forwarder's margin is [switch] callback_timeout_ms, so that the
 * answer can come before the expiration). Pure; else 0. */
int fwd_resendable(int has_body, int64_t sends, int64_t expires_in_ms, int64_t margin_ms);

/* Milliseconds to wait before try number attempts (1, 2, ...): 1 s
 * doubled each time up to cap_ms, plus a jitter of up to a quarter of it
 * taken from rnd. */
int64_t fwd_backoff_ms(int64_t attempts, int64_t cap_ms, uint32_t rnd);

/* The fail code of an FSPIOP error code: "fspiop_NNNN". */
void fwd_fail_code(int code, char out[PAY_CODE_MAX]);

/* Makes the forwarder of gw (borrowed: its ev, pay, db, sw and cfg must
 * outlive it); gw->sw may be NULL (no switch: nothing is forwarded and
 * every payment is offline). Moves SENDING rows left by a crash to
 * RECONCILING and arms the drain timer (its first run is at once).
 * Returns 0 with *out owned by the caller (fwd_free()), or a negative
 * errno with a message in err. */
int fwd_new(struct fwd **out, struct gw *gw, char *err, size_t errlen);

/* NULL ok. Payments in flight stay SENDING and are reconciled at the
 * next start; every watch left is told with a NULL record. Call before
 * switch_free(). */
void fwd_free(struct fwd *f);

/* The mode of a payment accepted now: online when a switch is
 * configured and its link is up (or not known yet: the first try tells),
 * offline otherwise. gw->fwd may be NULL (offline). */
enum pay_mode fwd_mode(const struct gw *gw);

/* A customer waits for payment id, just ACCEPTED: start it now if a slot
 * is free (else the drain takes it first). A payment waiting for its
 * DFSP's backend hook (backend_kick()) is left to the hook, which kicks
 * it again once approved. gw->fwd may be NULL. */
void fwd_kick(struct gw *gw, const char *id);

/* Hears of one payment's outcome: rec is the payment after the move
 * (borrowed for the call), or NULL when the forwarder is freed first. */
typedef void (*fwd_watch_fn)(void *arg, const struct pay_rec *rec);

/* Asks to hear, once, of payment id's next move by the forwarder to a
 * final state (COMMITTED, FAILED) or back to QUEUED (the switch was
 * unreachable: nothing that could commit was sent): cb(arg, rec) is
 * called right after that move is committed, from the loop, and the
 * watch is then gone. RECONCILING and SENDING are not told (the outcome
 * is not known yet). Watch before fwd_kick(), which may requeue at once.
 * id is copied. Returns the watch's id (> 0) for fwd_unwatch(), or 0
 * without a forwarder or memory (cb is then never called). */
uint64_t fwd_watch(struct gw *gw, const char *id, fwd_watch_fn cb, void *arg);

/* Tells the watchers of rec's payment of a move made outside the
 * forwarder (the backend hook's verdict, gateway/backend.h), as if the
 * forwarder had made it: COMMITTED, FAILED and QUEUED are told, other
 * states are not. rec borrowed for the call. gw->fwd may be NULL. */
void fwd_tell(struct gw *gw, const struct pay_rec *rec);

/* Drops a watch that has not been told yet; 0 and unknown ids are
 * ignored. cb is not called. */
void fwd_unwatch(struct gw *gw, uint64_t wid);

/* Prometheus text: payments in flight, forwarded in the last minute and
 * in total by outcome, transfers resent, since start. f NULL ok. */
void fwd_metrics(const struct fwd *f, FILE *out);

#endif /* GW_FWD_H */
