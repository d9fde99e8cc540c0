/* outbox.h -- the outbox: work that leaves the gateway on its own
 * initiative (SMS now; switch registrations and queued payments later),
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

struct db;
struct outbox; /* opaque */

/* Most characters of an SMS body accepted by outbox_sms() (UTF-8 code
 * points; the SMS transport splits what does not fit one message). */
#define OUTBOX_SMS_MAX_CHARS 640

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
 * e.g. a merchant id. text is UTF-8, 1..OUTBOX_SMS_MAX_CHARS characters.
 * Strings are borrowed. *id (may be NULL) gets the row id.
 * Returns 0; -EINVAL if no transaction is open, or msisdn or text is not
 * acceptable; -ENOENT if dfsp is not a DFSP; -EBUSY, -ENOSPC, -ENOMEM,
 * -EIO as db.h. */
int outbox_sms(struct outbox *ob, const char *dfsp, const char *msisdn, const char *text,
	       const char *ref, int64_t *id);

/* Rows of kind ("sms") in state ("pending", "sent", ...; NULL for any).
 * Returns the count, or a negative errno. */
int64_t outbox_count(struct outbox *ob, const char *kind, const char *state);

#endif /* GW_OUTBOX_H */
