/* fwd.c -- the forwarder (gateway/fwd.h): payments to the switch. */
#include "gateway/fwd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "gateway/audit.h"
#include "gateway/backend.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/fspiop.h"
#include "gateway/gw.h"
#include "gateway/log.h"

#define FWD_TICK_MS 500          /* the drain timer */
#define FWD_PROBE_MS 2000        /* link down: one queued payment tries this often */
#define FWD_BACKOFF_CAP_MS 30000 /* longest wait between tries of one payment */
#define FWD_EXPIRY_GRACE_MS 5000 /* past a transfer's expiration before a 3208 is trusted */
#define FWD_BATCH 64             /* due payments read per drain pass */

enum {
	F_DUE,
	F_SENDING,
	F_XFER_PUT,
	F_XFER_GET,
	F_XFER_SENT,
	F_WAIT,
	F_UNBACKOFF,
	F__COUNT
};

static const char *const fwd_sql[F__COUNT] = {
	/* Customers first (ACCEPTED), then oldest first. */
	[F_DUE] = "SELECT id FROM payment WHERE state IN ('ACCEPTED', 'QUEUED', 'RECONCILING') "
		  "AND (next_at <= :now OR :any) "
		  "AND id NOT IN (SELECT payment_id FROM payment_auth WHERE state = 'asking') "
		  "ORDER BY state = 'ACCEPTED' DESC, created, id LIMIT :lim",
	[F_SENDING] = "SELECT id FROM payment WHERE state = 'SENDING' ORDER BY created, id",
	[F_XFER_PUT] = "INSERT INTO payment_transfer (transfer_id, payment_id, payee_fsp, condition, "
		       "expiration_ms, ilp_packet, amount, currency) "
		       "VALUES (:t, :p, :fsp, :c, :e, :ilp, :amount, :ccy)",
	[F_XFER_GET] = "SELECT payee_fsp, condition, expiration_ms, ilp_packet, amount, currency, "
		       "sends FROM payment_transfer WHERE transfer_id = :t AND payment_id = :p",
	[F_XFER_SENT] = "UPDATE payment_transfer SET sends = sends + 1 "
			"WHERE transfer_id = :t AND payment_id = :p",
	[F_WAIT] = "UPDATE payment SET next_at = :next WHERE id = :id AND state = 'RECONCILING'",
	[F_UNBACKOFF] = "UPDATE payment SET next_at = 0 WHERE state = 'QUEUED' AND next_at > 0",
};

struct job {
	struct fwd *f;
	int used;
	enum fwd_step step;
	struct pay_rec rec;
	char payee_fsp[33];
	char condition[44];
	char *ilp_packet;       /* owned; NULL for a transfer recorded without its body */
	int64_t xfer_amount;
	char xfer_ccy[4];
	int64_t expiration_ms;
	int64_t sends;          /* times the recorded transfer was sent (payment_transfer) */
};

/* One fwd_watch(): a list, few at a time (customers waiting on a screen). */
struct watch {
	struct watch *next;
	uint64_t wid;
	char id[PAY_ID_MAX];
	fwd_watch_fn cb;
	void *arg;
};

struct fwd {
	struct gw *gw;
	struct watch *watches;
	uint64_t next_wid;
	sqlite3_stmt **st;
	struct job *jobs;
	size_t njobs;
	uint64_t timer;
	int last_up;            /* link as last seen: 1, 0, -1 */
	uint64_t last_probe_ms;
	uint64_t forwarded;     /* committed by the forwarder, since start */
	uint64_t failed;
	uint64_t requeued;
	uint64_t reconciled;
	uint64_t resent;        /* transfers sent again (same id, same body) */
	uint32_t minute[60];    /* commits per second of the last minute */
	uint64_t minute_sec[60];
};

static const char *const action_names[] = {
	[FWD_ACT_NEXT] = "next",         [FWD_ACT_COMMIT] = "commit",
	[FWD_ACT_FAIL] = "fail",         [FWD_ACT_REQUEUE] = "requeue",
	[FWD_ACT_RECONCILE] = "reconcile", [FWD_ACT_WAIT] = "wait",
	[FWD_ACT_RENEW] = "renew",       [FWD_ACT_RESEND] = "resend",
};

const char *fwd_action_name(enum fwd_action a)
{
	return (unsigned)a < sizeof action_names / sizeof *action_names ? action_names[a] : "?";
}

enum fwd_action fwd_decide(enum fwd_step step, const struct fwd_answer *a)
{
	const struct fspiop_errinfo *info =
		a->status == SWITCH_ERROR ? fspiop_error_info(a->error_code) : NULL;
	switch (step) {
	case FWD_STEP_LOOKUP:
	case FWD_STEP_QUOTE:
		/* Nothing sent yet could move money. */
		if (a->status == SWITCH_OK)
			return FWD_ACT_NEXT;
		if (info && (info->action == FSPIOP_ACT_FAIL || info->action == FSPIOP_ACT_BUG))
			return FWD_ACT_FAIL;
		return FWD_ACT_REQUEUE;
	case FWD_STEP_TRANSFER:
		if (a->status == SWITCH_OK) {
			if (a->xstate == FSPIOP_COMMITTED && a->verified)
				return FWD_ACT_COMMIT;
			if (a->xstate == FSPIOP_ABORTED)
				return FWD_ACT_FAIL; /* the payee or the switch aborted it */
			return FWD_ACT_RECONCILE; /* RECEIVED/RESERVED: not final yet */
		}
		if (info) {
			/* An error callback ends the transfer: not committed. */
			if (info->action == FSPIOP_ACT_FAIL || info->action == FSPIOP_ACT_BUG)
				return FWD_ACT_FAIL;
			if (info->action == FSPIOP_ACT_REQUOTE)
				return FWD_ACT_RENEW; /* expired: known not committed */
			return FWD_ACT_RECONCILE;
		}
		return FWD_ACT_RECONCILE; /* TIMEOUT, DOWN, INVALID: unknown */
	case FWD_STEP_GET:
		if (a->status == SWITCH_OK) {
			if (a->xstate == FSPIOP_COMMITTED)
				return a->verified ? FWD_ACT_COMMIT : FWD_ACT_WAIT;
			if (a->xstate == FSPIOP_ABORTED)
				return FWD_ACT_RENEW;
			return FWD_ACT_WAIT; /* RECEIVED/RESERVED: wait for expiry */
		}
		if (a->status == SWITCH_ERROR && a->error_code == 3208) {
			/* Unknown at the switch: the prepare was lost (or is not
			 * processed yet). Past its expiration it can never
			 * commit; before, the same prepare again is safe (a
			 * duplicate is answered with the stored state). */
			if (a->expired)
				return FWD_ACT_RENEW;
			return a->resendable ? FWD_ACT_RESEND : FWD_ACT_WAIT;
		}
		return FWD_ACT_WAIT;
	}
	return FWD_ACT_WAIT;
}

int fwd_resendable(int has_body, int64_t sends, int64_t expires_in_ms, int64_t margin_ms)
{
	return has_body && sends >= 1 && sends <= FWD_RESEND_MAX && expires_in_ms > margin_ms;
}

int64_t fwd_backoff_ms(int64_t attempts, int64_t cap_ms, uint32_t rnd)
{
	int64_t ms = 1000;
	for (int64_t i = 1; i < attempts && ms < cap_ms; i++)
		ms *= 2;
	if (ms > cap_ms)
		ms = cap_ms;
	if (ms < 1)
		ms = 1;
	return ms + (int64_t)(rnd % (uint32_t)(ms / 4 + 1));
}

void fwd_fail_code(int code, char out[PAY_CODE_MAX])
{
	snprintf(out, PAY_CODE_MAX, "fspiop_%d", code);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_end(struct job *j)
{
	free(j->ilp_packet);
	struct fwd *f = j->f;
	memset(j, 0, sizeof *j);
	j->f = f;
}

static int busy(const struct fwd *f, const char *id)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (f->jobs[i].used && !strcmp(f->jobs[i].rec.id, id))
			return 1;
	return 0;
}

static struct job *free_slot(struct fwd *f)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (!f->jobs[i].used)
			return &f->jobs[i];
	return NULL;
}

/* Tells the watchers of rec's payment, if rec's state is one they
 * hear of. Each is unlinked before its call, so that a callback may
 * watch or unwatch. */
static void tell(struct fwd *f, const struct pay_rec *rec)
{
	if (rec->state != PAY_COMMITTED && rec->state != PAY_FAILED && rec->state != PAY_QUEUED)
		return;
	for (;;) {
		struct watch **pp = &f->watches;
		while (*pp && strcmp((*pp)->id, rec->id) != 0)
			pp = &(*pp)->next;
		struct watch *w = *pp;
		if (!w)
			return;
		*pp = w->next;
		fwd_watch_fn cb = w->cb;
		void *arg = w->arg;
		free(w);
		cb(arg, rec);
	}
}

/* A transition of the job's payment; 0 or a negative errno (logged). */
static int move(struct job *j, enum pay_state to, const char *code, const char *reason,
		const struct pay_ids *ids, int64_t next_at)
{
	char err[200];
	struct pay_rec after;
	int rc = pay_transition(j->f->gw->pay, j->rec.id, to, PAY_BY_FORWARDER, code, reason, ids,
				next_at, j->rec.version, NULL, NULL, &after, err, sizeof err);
	if (rc < 0) {
		LOGE(LC_PAY, "forwarder transition refused", "payment=%s from=%s to=%s error=\"%s\"",
		     j->rec.id, pay_state_name(j->rec.state), pay_state_name(to),
		     rc == -EPERM || rc == -EINVAL ? err : strerror(-rc));
		return rc;
	}
	j->rec = after;
	tell(j->f, &after);
	return 0;
}

static void on_answer(void *arg, const struct switch_result *r);
static void step_lookup(struct job *j);

static void count_commit(struct fwd *f)
{
	uint64_t s = ev_now_ms() / 1000;
	size_t i = s % 60;
	if (f->minute_sec[i] != s) {
		f->minute_sec[i] = s;
		f->minute[i] = 0;
	}
	f->minute[i]++;
	f->forwarded++;
}

static void requeue(struct job *j)
{
	int64_t wait = fwd_backoff_ms(j->rec.attempts, FWD_BACKOFF_CAP_MS, randombytes_random());
	if (move(j, PAY_QUEUED, NULL, NULL, NULL, now_s() + (wait + 999) / 1000) == 0) {
		j->f->requeued++;
		LOGI(LC_PAY, "payment queued again", "payment=%s attempts=%lld wait_ms=%lld",
		     j->rec.id, (long long)j->rec.attempts, (long long)wait);
	}
	job_end(j);
}

static void fail(struct job *j, const char *code, const char *reason)
{
	if (move(j, PAY_FAILED, code, reason, NULL, -1) == 0) {
		j->f->failed++;
		LOGN(LC_PAY, "payment failed", "payment=%s code=%s", j->rec.id, code);
	}
	job_end(j);
}

static void wait_reconciling(struct job *j)
{
	struct fwd *f = j->f;
	int64_t wait = fwd_backoff_ms(j->rec.attempts, FWD_BACKOFF_CAP_MS, randombytes_random());
	sqlite3_stmt *s = f->st[F_WAIT];
	if (db_bind_int64(s, ":next", now_s() + (wait + 999) / 1000) == 0 &&
	    db_bind_text(s, ":id", j->rec.id) == 0)
		(void)db_run(s);
	job_end(j);
}

/* New ids, SENDING, then the lookup. From ACCEPTED, QUEUED or
 * RECONCILING (the earlier transfer known not committed or never sent). */
static void start_fresh(struct job *j)
{
	char tx[37], qt[37], xf[37];
	if (fspiop_uuid_new(tx) < 0 || fspiop_uuid_new(qt) < 0 || fspiop_uuid_new(xf) < 0) {
		job_end(j);
		return;
	}
	struct pay_ids ids = { tx, qt, xf };
	/* Write-ahead: the ids are committed before anything is sent. */
	if (move(j, PAY_SENDING, NULL, NULL, &ids, -1) < 0) {
		job_end(j);
		return;
	}
	LOGI(LC_PAY, "forwarding", "payment=%s transfer=%s attempts=%lld", j->rec.id, xf,
	     (long long)j->rec.attempts);
	step_lookup(j);
}

/* A primitive refused at once (-EBUSY, -ENOMEM, -EINVAL) before the
 * transfer: nothing was sent. */
static void refused_before_transfer(struct job *j, int rc, const char *err)
{
	if (rc == -EINVAL) {
		LOGE(LC_PAY, "request refused", "payment=%s error=\"%s\"", j->rec.id, err);
		fail(j, "invalid_request", "The payment could not be sent to the network.");
	} else {
		requeue(j);
	}
}

static void step_lookup(struct job *j)
{
	char err[200] = "";
	j->step = FWD_STEP_LOOKUP;
	int rc = switch_lookup(j->f->gw->sw, j->rec.payer_dfsp, NULL, j->rec.till, on_answer, j,
			       err, sizeof err);
	if (rc < 0)
		refused_before_transfer(j, rc, err);
}

static void step_quote(struct job *j)
{
	char err[200] = "";
	struct switch_conn *sw = j->f->gw->sw;
	struct fspiop_quote_req q = {
		.quote_id = j->rec.quote_id,
		.transaction_id = j->rec.transaction_id,
		.payee = { switch_party_type(sw), j->rec.till, j->payee_fsp },
		.payer = { "MSISDN", j->rec.payer_msisdn, j->rec.payer_dfsp },
		.amount_type = "SEND",
		.currency = j->rec.currency,
		.amount = j->rec.amount,
		.scenario = "PAYMENT",
		.initiator = "PAYER",
		.initiator_type = "CONSUMER",
	};
	j->step = FWD_STEP_QUOTE;
	int rc = switch_quote(sw, &q, on_answer, j, err, sizeof err);
	if (rc < 0)
		refused_before_transfer(j, rc, err);
}

/* Sends the job's transfer as recorded in payment_transfer: the first
 * time and on each resend the same fields, so the same body. */
static void send_transfer(struct job *j)
{
	struct fwd *f = j->f;
	char err[200] = "";
	struct fspiop_transfer_req t = {
		.transfer_id = j->rec.transfer_id,
		.payer_fsp = j->rec.payer_dfsp,
		.payee_fsp = j->payee_fsp,
		.currency = j->xfer_ccy,
		.amount = j->xfer_amount,
		.ilp_packet = j->ilp_packet,
		.condition = j->condition,
		.expiration_ms = j->expiration_ms,
	};
	j->step = FWD_STEP_TRANSFER;
	int rc = switch_transfer(f->gw->sw, &t, on_answer, j, err, sizeof err);
	if (rc < 0) {
		/* Recorded but not sent: a GET finds nothing (3208), then the
		 * same prepare is sent again while it has not expired, or,
		 * past the expiration, new ids follow. */
		LOGW(LC_PAY, "transfer not sent", "payment=%s error=\"%s\"", j->rec.id, err);
		if (move(j, PAY_RECONCILING, NULL, NULL, NULL, now_s()) == 0)
			wait_reconciling(j);
		else
			job_end(j);
	}
}

static void step_transfer(struct job *j)
{
	struct fwd *f = j->f;
	j->expiration_ms = switch_expiration_ms(f->gw->sw);
	/* Write-ahead: what the prepare is made of (the condition, the
	 * expiration, the packet and the amount) is committed before it is
	 * sent, so a GET after a crash can verify a fulfilment, knows when
	 * the transfer expires, and a resend rebuilds the same body. */
	sqlite3_stmt *s = f->st[F_XFER_PUT];
	int rc = db_bind_text(s, ":t", j->rec.transfer_id);
	if (!rc) rc = db_bind_text(s, ":p", j->rec.id);
	if (!rc) rc = db_bind_text(s, ":fsp", j->payee_fsp);
	if (!rc) rc = db_bind_text(s, ":c", j->condition);
	if (!rc) rc = db_bind_int64(s, ":e", j->expiration_ms);
	if (!rc) rc = db_bind_text(s, ":ilp", j->ilp_packet);
	if (!rc) rc = db_bind_int64(s, ":amount", j->xfer_amount);
	if (!rc) rc = db_bind_text(s, ":ccy", j->xfer_ccy);
	if (!rc) rc = db_run(s);
	if (rc < 0) {
		LOGE(LC_PAY, "transfer not recorded", "payment=%s error=\"%s\"", j->rec.id,
		     strerror(-rc));
		requeue(j);
		return;
	}
	j->sends = 1;
	send_transfer(j);
}

/* The transfer is unknown at the switch and has not expired: the same
 * prepare again. One transaction: the send counted in payment_transfer,
 * its audit row, and RECONCILING -> SENDING with the same ids. */
static void resend(struct job *j)
{
	struct fwd *f = j->f;
	struct db *db = f->gw->db;
	char before[64], after[120];
	snprintf(before, sizeof before, "{\"sends\":%lld}", (long long)j->sends);
	snprintf(after, sizeof after, "{\"sends\":%lld,\"transfer_id\":\"%s\"}",
		 (long long)j->sends + 1, j->rec.transfer_id);
	sqlite3_stmt *s = f->st[F_XFER_SENT];
	int rc = db_begin(db);
	if (rc == 0) {
		rc = db_bind_text(s, ":t", j->rec.transfer_id);
		if (!rc) rc = db_bind_text(s, ":p", j->rec.id);
		if (!rc) rc = db_run(s);
		if (!rc)
			rc = audit_append(db, "system", "system", j->rec.payer_dfsp, "resend",
					  "payment", j->rec.id, before, after);
		if (!rc)
			rc = move(j, PAY_SENDING, NULL, NULL, NULL, -1);
		rc = db_end(db, rc);
	}
	if (rc < 0) {
		LOGE(LC_PAY, "resend not recorded", "payment=%s transfer=%s error=\"%s\"", j->rec.id,
		     j->rec.transfer_id, strerror(-rc));
		job_end(j);
		return;
	}
	j->sends++;
	f->resent++;
	LOGN(LC_PAY, "transfer unknown at the switch: sent again", "payment=%s transfer=%s sends=%lld",
	     j->rec.id, j->rec.transfer_id, (long long)j->sends);
	send_transfer(j);
}

/* RECONCILING: GET the transfer recorded, or, if none was recorded (the
 * prepare was never sent), start again with new ids. */
static void step_get(struct job *j)
{
	struct fwd *f = j->f;
	sqlite3_stmt *s = f->st[F_XFER_GET];
	int rc = db_bind_text(s, ":t", j->rec.transfer_id[0] ? j->rec.transfer_id : "-");
	if (!rc) rc = db_bind_text(s, ":p", j->rec.id);
	if (!rc) rc = db_step(s);
	if (rc < 0) {
		job_end(j);
		return;
	}
	if (rc == 0) {
		LOGI(LC_PAY, "no transfer was sent: again with new ids", "payment=%s", j->rec.id);
		start_fresh(j);
		return;
	}
	snprintf(j->payee_fsp, sizeof j->payee_fsp, "%s", (const char *)sqlite3_column_text(s, 0));
	snprintf(j->condition, sizeof j->condition, "%s", (const char *)sqlite3_column_text(s, 1));
	j->expiration_ms = sqlite3_column_int64(s, 2);
	free(j->ilp_packet);
	j->ilp_packet = NULL;
	if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
		/* With its body: a resend is possible (a copy failing only
		 * makes this transfer wait for its expiration). */
		j->ilp_packet = strdup((const char *)sqlite3_column_text(s, 3));
		j->xfer_amount = sqlite3_column_int64(s, 4);
		snprintf(j->xfer_ccy, sizeof j->xfer_ccy, "%s",
			 (const char *)sqlite3_column_text(s, 5));
	}
	j->sends = sqlite3_column_int64(s, 6);
	db_reset(s);
	char err[200] = "";
	j->step = FWD_STEP_GET;
	rc = switch_transfer_get(f->gw->sw, j->rec.payer_dfsp, j->payee_fsp, j->rec.transfer_id,
				 j->condition, on_answer, j, err, sizeof err);
	if (rc < 0)
		wait_reconciling(j);
}

static void on_answer(void *arg, const struct switch_result *r)
{
	struct job *j = arg;
	struct fwd *f = j->f;
	struct fwd_answer a = {
		.status = r->status,
		.error_code = r->status == SWITCH_ERROR ? r->error.code : 0,
		.xstate = r->transfer ? (int)r->transfer->state : -1,
		.verified = r->fulfilment_verified,
		.expired = j->expiration_ms > 0 &&
			   now_ms() > j->expiration_ms + FWD_EXPIRY_GRACE_MS,
		.resendable = fwd_resendable(j->ilp_packet != NULL, j->sends,
					     j->expiration_ms - now_ms(),
					     f->gw->cfg.switch_callback_timeout_ms),
	};
	enum fwd_action act = fwd_decide(j->step, &a);
	LOGI(LC_PAY, "switch answered", "payment=%s step=%d status=%s action=%s detail=\"%s\"",
	     j->rec.id, (int)j->step, switch_status_name(r->status), fwd_action_name(act),
	     r->detail);
	char code[PAY_CODE_MAX];
	switch (act) {
	case FWD_ACT_NEXT:
		if (j->step == FWD_STEP_LOOKUP) {
			snprintf(j->payee_fsp, sizeof j->payee_fsp, "%s", r->party->fsp_id);
			step_quote(j);
		} else {
			const struct fspiop_quote *q = r->quote;
			if (strcmp(q->transfer_amount.currency, j->rec.currency) != 0 ||
			    q->transfer_amount.amount != j->rec.amount) {
				fail(j, "quote_terms", "The payment's amount changed at the network.");
				return;
			}
			free(j->ilp_packet);
			j->ilp_packet = strdup(q->ilp_packet ? q->ilp_packet : "");
			if (!j->ilp_packet) {
				requeue(j);
				return;
			}
			snprintf(j->condition, sizeof j->condition, "%s", q->condition);
			snprintf(j->xfer_ccy, sizeof j->xfer_ccy, "%s", q->transfer_amount.currency);
			j->xfer_amount = q->transfer_amount.amount;
			step_transfer(j);
		}
		return;
	case FWD_ACT_COMMIT:
		/* The connector checked sha256(fulfilment) == condition; check
		 * again against the condition this payment recorded. */
		if (!r->transfer || fspiop_fulfilment_ok(r->transfer->fulfilment, j->condition) != 1) {
			LOGE(LC_PAY, "fulfilment does not verify", "payment=%s", j->rec.id);
			if (j->step == FWD_STEP_TRANSFER &&
			    move(j, PAY_RECONCILING, NULL, NULL, NULL, now_s()) < 0) {
				job_end(j);
				return;
			}
			wait_reconciling(j);
			return;
		}
		if (move(j, PAY_COMMITTED, NULL, NULL, NULL, -1) == 0) {
			count_commit(f);
			LOGN(LC_PAY, "payment committed", "payment=%s transfer=%s", j->rec.id,
			     j->rec.transfer_id);
		}
		job_end(j);
		return;
	case FWD_ACT_FAIL:
		if (r->status == SWITCH_ERROR) {
			fwd_fail_code(r->error.code, code);
			fail(j, code, r->info ? r->info->customer : r->error.description);
		} else {
			fail(j, "transfer_aborted", "The payment was refused by the network.");
		}
		return;
	case FWD_ACT_REQUEUE:
		requeue(j);
		return;
	case FWD_ACT_RECONCILE:
		if (move(j, PAY_RECONCILING, NULL, NULL, NULL, now_s()) < 0) {
			job_end(j);
			return;
		}
		f->reconciled++;
		/* The first prepare's unknown outcome is asked at once; a
		 * resent one's after a backoff, so that resends are spaced. */
		if (j->sends > 1)
			wait_reconciling(j);
		else
			step_get(j);
		return;
	case FWD_ACT_WAIT:
		wait_reconciling(j);
		return;
	case FWD_ACT_RENEW:
		if (j->rec.state == PAY_SENDING &&
		    move(j, PAY_RECONCILING, NULL, NULL, NULL, now_s()) < 0) {
			job_end(j);
			return;
		}
		free(j->ilp_packet);
		j->ilp_packet = NULL;
		j->expiration_ms = 0;
		j->sends = 0;
		start_fresh(j);
		return;
	case FWD_ACT_RESEND:
		resend(j);
		return;
	}
}

/* Takes payment id into slot j and starts it. */
static void start(struct fwd *f, struct job *j, const char *id)
{
	j->f = f;
	if (pay_get(f->gw->pay, NULL, id, &j->rec) < 0)
		return;
	j->used = 1;
	switch (j->rec.state) {
	case PAY_ACCEPTED:
	case PAY_QUEUED:
		start_fresh(j);
		return;
	case PAY_RECONCILING:
		step_get(j);
		return;
	default:
		job_end(j);
		return;
	}
}

/* Starts due payments while slots are free. any: ignore next_at (a probe
 * of one payment while the link is down). */
static void drain(struct fwd *f, int any, size_t max)
{
	if (!f->gw->sw || f->gw->stopping)
		return;
	char ids[FWD_BATCH][PAY_ID_MAX];
	size_t n = 0;
	sqlite3_stmt *s = f->st[F_DUE];
	if (db_bind_int64(s, ":now", now_s()) < 0 || db_bind_int64(s, ":any", any) < 0 ||
	    db_bind_int64(s, ":lim", FWD_BATCH) < 0)
		return;
	int rc;
	while (n < FWD_BATCH && (rc = db_step(s)) == 1)
		snprintf(ids[n++], PAY_ID_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
	db_reset(s);
	size_t started = 0;
	for (size_t i = 0; i < n && started < max; i++) {
		if (busy(f, ids[i]))
			continue;
		struct job *j = free_slot(f);
		if (!j || switch_inflight(f->gw->sw) >= f->njobs)
			return;
		start(f, j, ids[i]);
		started++;
	}
}

static void tick(struct ev *ev, uint64_t id, void *arg)
{
	(void)id;
	struct fwd *f = arg;
	f->timer = 0;
	if (f->gw->sw && !f->gw->stopping) {
		int up = switch_link(f->gw->sw)->up;
		if (up == 1 && f->last_up == 0) {
			LOGN(LC_PAY, "switch link up: draining the queue", NULL);
			(void)db_run(f->st[F_UNBACKOFF]);
		}
		f->last_up = up;
		if (up == 0) {
			/* Down: one payment probes the link now and then. */
			uint64_t now = ev_now_ms();
			int idle = 1;
			for (size_t i = 0; i < f->njobs; i++)
				idle &= !f->jobs[i].used;
			if (idle && now - f->last_probe_ms >= FWD_PROBE_MS) {
				f->last_probe_ms = now;
				drain(f, 1, 1);
			}
		} else {
			drain(f, 0, f->njobs);
		}
	}
	f->timer = ev_timer_add(ev, FWD_TICK_MS, tick, f);
}

int fwd_new(struct fwd **out, struct gw *gw, char *err, size_t errlen)
{
	*out = NULL;
	struct fwd *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	f->gw = gw;
	f->last_up = -1;
	f->njobs = gw->cfg.switch_max_inflight > 0 ? (size_t)gw->cfg.switch_max_inflight : 1;
	f->jobs = calloc(f->njobs, sizeof *f->jobs);
	int rc = f->jobs ? db_prepare_table(gw->db, fwd_sql, F__COUNT, &f->st, err, errlen) : -ENOMEM;
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		fwd_free(f);
		return rc;
	}
	for (size_t i = 0; i < f->njobs; i++)
		f->jobs[i].f = f;
	/* Resume: a SENDING payment's outcome is unknown after a restart. */
	char ids[FWD_BATCH][PAY_ID_MAX];
	for (;;) {
		size_t n = 0;
		sqlite3_stmt *s = f->st[F_SENDING];
		while (n < FWD_BATCH && (rc = db_step(s)) == 1)
			snprintf(ids[n++], PAY_ID_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
		db_reset(s);
		if (rc < 0) {
			snprintf(err, errlen, "reading payments in flight: %s", strerror(-rc));
			fwd_free(f);
			return rc;
		}
		for (size_t i = 0; i < n; i++) {
			char e[200];
			rc = pay_transition(gw->pay, ids[i], PAY_RECONCILING, PAY_BY_FORWARDER, NULL, NULL,
					    NULL, 0, 0, NULL, NULL, NULL, e, sizeof e);
			if (rc < 0) {
				snprintf(err, errlen, "payment %s to RECONCILING: %s", ids[i],
					 rc == -EPERM || rc == -EINVAL ? e : strerror(-rc));
				fwd_free(f);
				return rc;
			}
			LOGN(LC_PAY, "payment in flight at the last stop: reconciling", "payment=%s",
			     ids[i]);
		}
		if (n < FWD_BATCH)
			break;
	}
	if (gw->sw && !(f->timer = ev_timer_add(gw->ev, 0, tick, f))) {
		snprintf(err, errlen, "out of memory");
		fwd_free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

void fwd_free(struct fwd *f)
{
	if (!f)
		return;
	if (f->timer)
		ev_timer_del(f->gw->ev, f->timer);
	while (f->watches) {
		struct watch *w = f->watches;
		f->watches = w->next;
		w->cb(w->arg, NULL);
		free(w);
	}
	for (size_t i = 0; f->jobs && i < f->njobs; i++)
		free(f->jobs[i].ilp_packet);
	free(f->jobs);
	free(f);
}

enum pay_mode fwd_mode(const struct gw *gw)
{
	if (!gw->fwd || !gw->sw)
		return PAY_MODE_OFFLINE;
	return switch_link(gw->sw)->up != 0 ? PAY_MODE_ONLINE : PAY_MODE_OFFLINE;
}

void fwd_kick(struct gw *gw, const char *id)
{
	struct fwd *f = gw->fwd;
	if (backend_kick(gw, id))
		return; /* its DFSP's hook is asked first */
	if (!f || !gw->sw || gw->stopping || busy(f, id))
		return;
	struct job *j = free_slot(f);
	if (j && switch_inflight(gw->sw) < f->njobs)
		start(f, j, id);
}

uint64_t fwd_watch(struct gw *gw, const char *id, fwd_watch_fn cb, void *arg)
{
	struct fwd *f = gw->fwd;
	struct watch *w;
	if (!f || strlen(id) >= PAY_ID_MAX || !(w = calloc(1, sizeof *w)))
		return 0;
	w->wid = ++f->next_wid;
	snprintf(w->id, sizeof w->id, "%s", id);
	w->cb = cb;
	w->arg = arg;
	w->next = f->watches;
	f->watches = w;
	return w->wid;
}

void fwd_tell(struct gw *gw, const struct pay_rec *rec)
{
	if (gw->fwd && rec)
		tell(gw->fwd, rec);
}

void fwd_unwatch(struct gw *gw, uint64_t wid)
{
	struct fwd *f = gw->fwd;
	if (!f || !wid)
		return;
	for (struct watch **pp = &f->watches; *pp; pp = &(*pp)->next)
		if ((*pp)->wid == wid) {
			struct watch *w = *pp;
			*pp = w->next;
			free(w);
			return;
		}
}

void fwd_metrics(const struct fwd *f, FILE *out)
{
	if (!f)
		return;
	size_t inflight = 0;
	for (size_t i = 0; i < f->njobs; i++)
		inflight += f->jobs[i].used != 0;
	uint64_t s = ev_now_ms() / 1000, minute = 0;
	for (size_t i = 0; i < 60; i++)
		if (f->minute_sec[i] + 60 > s)
			minute += f->minute[i];
	fprintf(out,
		"# HELP tillgate_forward_inflight Payments the forwarder is moving now.\n"
		"# TYPE tillgate_forward_inflight gauge\n"
		"tillgate_forward_inflight %zu\n"
		"# HELP tillgate_forward_rate_per_minute Payments committed by the forwarder in the "
		"last minute.\n"
		"# TYPE tillgate_forward_rate_per_minute gauge\n"
		"tillgate_forward_rate_per_minute %llu\n"
		"# HELP tillgate_forward_total Payments the forwarder ended, by outcome, since start.\n"
		"# TYPE tillgate_forward_total counter\n"
		"tillgate_forward_total{outcome=\"committed\"} %llu\n"
		"tillgate_forward_total{outcome=\"failed\"} %llu\n"
		"tillgate_forward_total{outcome=\"requeued\"} %llu\n"
		"tillgate_forward_total{outcome=\"reconciling\"} %llu\n"
		"tillgate_forward_total{outcome=\"resent\"} %llu\n",
		inflight, (unsigned long long)minute, (unsigned long long)f->forwarded,
		(unsigned long long)f->failed, (unsigned long long)f->requeued,
		(unsigned long long)f->reconciled, (unsigned long long)f->resent);
}
