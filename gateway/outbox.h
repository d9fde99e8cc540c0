/* outbox.h -- the outbox: work that leaves the gateway on its own
 * initiative (SMS; registrations at the switch, kind "als", written by
 * the database's triggers, gateway/als.h; queued payments later),
 * written in the same transaction as the fact it carries out and drained
 * in id order by the transport that can deliver it.
 *
 * This module owns the table; the drain (who sends a row, when it is
 * retried) belongs to the transport of each kind.
 */
#ifndef GW_OUTBOX_H
#define GW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct db;
struct outbox; /* opaque */

/* Most characters of an SMS body accepted by outbox_sms() (UTF-8 code
 * points; the SMS transport splits what does not fit one message). */
#define OUTBOX_SMS_MAX_CHARS 640

/* Most bytes of an SMS body once encoded for the SMSC (GSM 03.38 unpacked,
 * or UCS-2 when a character needs it; ussd/ussd_text.h): what one SMPP
 * message_payload carries. 640 GSM characters fit; a text that needs
 * UCS-2 fits up to 512 UTF-16 units. */
#define OUTBOX_SMS_MAX_BYTES 1024

/* Prepares the module's statements on db (borrowed: must outlive the
 * outbox). On success *out is owned by the caller (outbox_free()).
 * Returns 0 or a negative errno with a message in err. */
int outbox_new(struct outbox **out, struct db *db, char *err, size_t errlen);

/* Frees; accepts NULL. */
void outbox_free(struct outbox *ob);

/* Queues an SMS to msisdn (digits, with or without a leading '+'),
 * inside the caller's transaction (db_begin() first): the message commits
 * or rolls back with the change it reports. dfsp (may be NULL) is the
 * DFSP the message is sent for; ref (may be NULL) names what it is about,
 * e.g. a merchant id. text is UTF-8, 1..OUTBOX_SMS_MAX_CHARS characters and
 * at most OUTBOX_SMS_MAX_BYTES once encoded (so that the SMS drain never
 * meets a row it cannot send).
 * Strings are borrowed. *id (may be NULL) gets the row id.
 * Returns 0; -EINVAL if no transaction is open, or msisdn or text is not
 * acceptable; -ENOENT if dfsp is not a DFSP; -EBUSY, -ENOSPC, -ENOMEM,
 * -EIO as db.h. */
int outbox_sms(struct outbox *ob, const char *dfsp, const char *msisdn, const char *text,
	       const char *ref, int64_t *id);

/* Rows of kind ("sms") in state ("pending", "sent", ...; NULL for any).
 * Returns the count, or a negative errno. */
int64_t outbox_count(struct outbox *ob, const char *kind, const char *state);

/* Prometheus text to f: tillgate_outbox_rows{kind, state}, every state
 * of the kinds "sms", "als" and "backend" (pending registrations are
 * {kind="als",state="pending"}). A count the database cannot give is
 * left out. */
void outbox_metrics(struct outbox *ob, FILE *f);

/* One row as outbox_list() reports it (no SMS text: what an operator
 * needs to see where outgoing work stands). */
struct outbox_item {
	int64_t id;
	int64_t attempts;
	char created[32];
	char kind[17];
	char state[12];
	char dfsp[33];       /* "" when the row has none */
	char dest[65];       /* the MSISDN, the party ("till/N"), the hook's DFSP */
	char method[8];      /* kind "als": POST or DELETE; else "" */
	char last_error[256];
};

/* cb(arg, item) returns 0 to go on, anything else to stop. */
typedef int (*outbox_list_fn)(void *arg, const struct outbox_item *it);

/* The rows of kind and state (either NULL: any), newest first, at most
 * limit (>= 1) of them, each to cb. 0, -EINVAL, or a db error. */
int outbox_list(struct outbox *ob, const char *kind, const char *state, int limit,
		outbox_list_fn cb, void *arg);

/* ---- the drain (used by the transport of a kind, e.g. gateway/sms.h) ----
 *
 * Row states: pending -> sending -> sent -> delivered | failed, and
 * sending -> pending (retry) or failed. A row goes 'sending' in its own
 * committed transaction before the transport writes it, so that a
 * restart finds it 'sending' if its fate is unknown (outbox_recover()).
 * Times (next_at) are Unix seconds. */

/* One claimed row. body is owned by the caller: free with outbox_row_free(). */
struct outbox_row {
	int64_t id;
	int64_t attempts; /* including this one */
	char dest[65];
	char dfsp[33]; /* "" when the row has none */
	char *body;
};

void outbox_row_free(struct outbox_row *r);

/* Claims the due row of kind with the lowest id (state 'pending',
 * next_at <= now): sets it 'sending' and counts the attempt, committed.
 * Returns 1 with *row filled, 0 if none is due, or a negative errno
 * (-EBUSY, -EIO, -ENOMEM as db.h). */
int outbox_claim(struct outbox *ob, const char *kind, int64_t now, struct outbox_row *row);

/* As outbox_claim(), but a row waits while an earlier row of the same
 * kind and dest is unfinished (pending, sending or sent): the rows of one
 * destination go out one at a time, in id order (the 'als' drain: a
 * party's POST and DELETE must not overtake each other). */
int outbox_claim_ordered(struct outbox *ob, const char *kind, int64_t now, struct outbox_row *row);

/* 'sending' -> 'sent', recording the transport's id (1..64 bytes) of the
 * message. Returns 0; -ENOENT if the row is not 'sending'; db errors. */
int outbox_sent(struct outbox *ob, int64_t id, const char *remote_id);

/* 'sending' -> 'pending' again, due at next_at, with the reason (borrowed,
 * may be NULL). Returns as outbox_sent(). */
int outbox_retry(struct outbox *ob, int64_t id, int64_t next_at, const char *why);

/* 'sending' or 'pending' -> 'failed', with the reason. Returns as outbox_sent(). */
int outbox_fail(struct outbox *ob, int64_t id, const char *why);

/* A delivery receipt for the message the transport knows as remote_id:
 * 'sent' -> 'delivered' (delivered 1) or 'failed' (0, with why).
 * Returns 0; -ENOENT if no 'sent' row of kind has that id; db errors. */
int outbox_receipt(struct outbox *ob, const char *kind, const char *remote_id, int delivered,
		   const char *why);

/* At start: every row of kind left 'sending' by a previous run (written
 * or not, its response never recorded) becomes 'failed' with why, so it
 * is never sent twice. Returns the number of rows, or a negative errno. */
int64_t outbox_recover(struct outbox *ob, const char *kind, const char *why);

/* 'sending' or 'sent' -> 'delivered', with a note (borrowed, may be
 * NULL) in last_error. For kinds whose peer answers the row itself (an
 * 'als' callback). Returns as outbox_sent(). */
int outbox_delivered(struct outbox *ob, int64_t id, const char *note);

/* ---- kinds other than SMS ---- */

/* Queues a row of kind (1..16 of a-z and _, not "sms": outbox_sms()
 * checks what an SMS needs) for dest (1..64 bytes: whatever the kind's
 * transport needs to find its peer, e.g. a DFSP id) with body (any
 * text, e.g. JSON), inside the caller's transaction, as outbox_sms().
 * dfsp and ref may be NULL. Strings borrowed. *id (may be NULL) gets the
 * row id. Returns 0, -EINVAL (no transaction, bad kind, dest or ref),
 * -ENOENT (dfsp is not a DFSP), db codes. */
int outbox_put(struct outbox *ob, const char *kind, const char *dfsp, const char *dest,
	       const char *body, const char *ref, int64_t *id);

/* At start, for a kind delivered at least once (its peer de-duplicates):
 * every row of kind left 'sending' by a previous run becomes 'pending'
 * again, due now, with why as its last error. Returns the number of rows,
 * or a negative errno. (outbox_recover() is the at-most-once choice.) */
int64_t outbox_requeue(struct outbox *ob, const char *kind, const char *why);

#endif /* GW_OUTBOX_H */
