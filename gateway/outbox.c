/* outbox.c -- the outbox table: queueing and counting (see outbox.h). */
#include "gateway/outbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/db.h"
#include "ussd/ussd_text.h"

enum {
	O_INSERT,
	O_COUNT,
	O_COUNT_STATE,
	O_DUE,
	O_CLAIM,
	O_SENT,
	O_RETRY,
	O_FAIL,
	O_RECEIPT,
	O_RECOVER,
	O_DUE_ORDERED,
	O_DELIVERED,
	O_REQUEUE,
	O_LIST,
	O__COUNT
};

#define UPDATED "updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

static const char *const outbox_sql[O__COUNT] = {
	[O_INSERT] = ("INSERT INTO outbox (kind, dfsp, dest, body, ref) "
		      "VALUES (:kind, :dfsp, :dest, :body, :ref)"),
	[O_COUNT] = "SELECT count(*) FROM outbox WHERE kind = :kind",
	[O_COUNT_STATE] = "SELECT count(*) FROM outbox WHERE kind = :kind AND state = :state",
	[O_DUE] = ("SELECT id, dest, body, attempts, dfsp FROM outbox WHERE kind = :kind "
		   "AND state = 'pending' AND next_at <= :now ORDER BY id LIMIT 1"),
	[O_CLAIM] = ("UPDATE outbox SET state = 'sending', attempts = attempts + 1, " UPDATED
		     " WHERE id = :id AND state = 'pending'"),
	[O_SENT] = ("UPDATE outbox SET state = 'sent', remote_id = :rid, last_error = NULL, " UPDATED
		    " WHERE id = :id AND state = 'sending'"),
	[O_RETRY] = ("UPDATE outbox SET state = 'pending', next_at = :next, last_error = :why, " UPDATED
		     " WHERE id = :id AND state = 'sending'"),
	[O_FAIL] = ("UPDATE outbox SET state = 'failed', last_error = :why, " UPDATED
		    " WHERE id = :id AND state IN ('sending', 'pending')"),
	[O_RECEIPT] = ("UPDATE outbox SET state = :state, last_error = :why, " UPDATED
		       " WHERE kind = :kind AND remote_id = :rid AND state = 'sent'"),
	[O_RECOVER] = ("UPDATE outbox SET state = 'failed', last_error = :why, " UPDATED
		       " WHERE kind = :kind AND state = 'sending'"),
	/* the first due row whose destination has no earlier row unfinished */
	[O_DUE_ORDERED] = ("SELECT o.id, o.dest, o.body, o.attempts, o.dfsp FROM outbox o "
			   "WHERE o.kind = :kind AND o.state = 'pending' AND o.next_at <= :now "
			   "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.kind = o.kind "
			   "AND p.dest = o.dest AND p.id < o.id "
			   "AND p.state IN ('pending', 'sending', 'sent')) ORDER BY o.id LIMIT 1"),
	[O_DELIVERED] = ("UPDATE outbox SET state = 'delivered', last_error = :why, " UPDATED
			 " WHERE id = :id AND state IN ('sending', 'sent')"),
	[O_REQUEUE] = ("UPDATE outbox SET state = 'pending', next_at = 0, last_error = :why, " UPDATED
		       " WHERE kind = :kind AND state = 'sending'"),
	[O_LIST] = ("SELECT id, created, kind, state, attempts, coalesce(dfsp, ''), dest, "
		    "CASE WHEN kind = 'als' THEN body ELSE '' END, coalesce(last_error, '') "
		    "FROM outbox WHERE (:kind IS NULL OR kind = :kind) "
		    "AND (:state IS NULL OR state = :state) ORDER BY id DESC LIMIT :lim"),
};

struct outbox {
	struct db *db;     /* borrowed */
	sqlite3_stmt **st; /* owned by db (finalized by db_close) */
};

int outbox_new(struct outbox **out, struct db *db, char *err, size_t errlen)
{
	struct outbox *ob;
	int rc;

	*out = NULL;
	if (!(ob = calloc(1, sizeof *ob)))
		return -ENOMEM;
	ob->db = db;
	if ((rc = db_prepare_table(db, outbox_sql, O__COUNT, &ob->st, err, errlen)) < 0) {
		free(ob);
		return rc;
	}
	*out = ob;
	return 0;
}

void outbox_free(struct outbox *ob)
{
	free(ob);
}

/* Number of code points of a valid UTF-8 string, or -1 if it is not
 * valid (overlong forms, surrogates and values past U+10FFFF refused). */
static long utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		unsigned c = *p, need, cp;

		if (c < 0x80) {
			p++, n++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, cp = c & 0x07;
		else
			return -1;
		p++;
		for (unsigned i = 0; i < need; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return -1;
			cp = cp << 6 | (*p & 0x3F);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return -1;
		n++;
	}
	return n;
}

static int msisdn_ok(const char *s)
{
	size_t n;

	if (*s == '+')
		s++;
	n = strlen(s);
	if (n < 6 || n > 15 || strspn(s, "0123456789") != n)
		return 0;
	return 1;
}

int outbox_sms(struct outbox *ob, const char *dfsp, const char *msisdn, const char *text,
	       const char *ref, int64_t *id)
{
	sqlite3_stmt *st = ob->st[O_INSERT];
	long chars;
	int rc;

	if (!db_in_transaction(ob->db) || !msisdn || !text || !msisdn_ok(msisdn))
		return -EINVAL;
	chars = utf8_chars(text);
	if (chars < 1 || chars > OUTBOX_SMS_MAX_CHARS)
		return -EINVAL;
	uint8_t enc[OUTBOX_SMS_MAX_BYTES], dcs;
	size_t enclen;
	if (ussd_text_encode(text, USSD_DCS_DEFAULT, enc, sizeof enc, &enclen, &dcs) < 0)
		return -EINVAL;
	if (*msisdn == '+')
		msisdn++;
	if ((rc = db_bind_text(st, ":kind", "sms")) < 0 ||
	    (rc = dfsp ? db_bind_text(st, ":dfsp", dfsp) : db_bind_null(st, ":dfsp")) < 0 ||
	    (rc = db_bind_text(st, ":dest", msisdn)) < 0 ||
	    (rc = db_bind_text(st, ":body", text)) < 0 ||
	    (rc = ref ? db_bind_text(st, ":ref", ref) : db_bind_null(st, ":ref")) < 0)
		return rc;
	if ((rc = db_run(st)) < 0)
		return rc;
	if (id)
		*id = db_last_insert_id(ob->db);
	return 0;
}

int64_t outbox_count(struct outbox *ob, const char *kind, const char *state)
{
	sqlite3_stmt *st = ob->st[state ? O_COUNT_STATE : O_COUNT];
	int64_t n;
	int rc;

	if ((rc = db_bind_text(st, ":kind", kind)) < 0 ||
	    (state && (rc = db_bind_text(st, ":state", state)) < 0))
		return rc;
	if ((rc = db_step(st)) < 0)
		return rc;
	n = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
	db_reset(st);
	return n;
}

static void col(sqlite3_stmt *st, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

int outbox_list(struct outbox *ob, const char *kind, const char *state, int limit,
		outbox_list_fn cb, void *arg)
{
	sqlite3_stmt *st = ob->st[O_LIST];
	int rc;
	if (limit < 1)
		return -EINVAL;
	if ((rc = db_bind_text(st, ":kind", kind)) < 0 ||
	    (rc = db_bind_text(st, ":state", state)) < 0 ||
	    (rc = db_bind_int64(st, ":lim", limit)) < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		struct outbox_item it;
		memset(&it, 0, sizeof it);
		it.id = sqlite3_column_int64(st, 0);
		col(st, 1, it.created, sizeof it.created);
		col(st, 2, it.kind, sizeof it.kind);
		col(st, 3, it.state, sizeof it.state);
		it.attempts = sqlite3_column_int64(st, 4);
		col(st, 5, it.dfsp, sizeof it.dfsp);
		col(st, 6, it.dest, sizeof it.dest);
		col(st, 7, it.method, sizeof it.method);
		col(st, 8, it.last_error, sizeof it.last_error);
		if ((rc = cb(arg, &it)) != 0)
			break;
	}
	db_reset(st);
	return rc < 0 ? rc : 0;
}

/* ---- the drain ---- */

void outbox_row_free(struct outbox_row *r)
{
	if (r) {
		free(r->body);
		r->body = NULL;
	}
}

static int claim(struct outbox *ob, int which, const char *kind, int64_t now,
		 struct outbox_row *row)
{
	sqlite3_stmt *st = ob->st[which];
	int rc;

	if ((rc = db_bind_text(st, ":kind", kind)) < 0 || (rc = db_bind_int64(st, ":now", now)) < 0)
		return rc;
	if ((rc = db_step(st)) <= 0)
		return rc;
	row->id = sqlite3_column_int64(st, 0);
	snprintf(row->dest, sizeof row->dest, "%s", (const char *)sqlite3_column_text(st, 1));
	const char *body = (const char *)sqlite3_column_text(st, 2);
	row->attempts = sqlite3_column_int64(st, 3) + 1;
	const char *dfsp = (const char *)sqlite3_column_text(st, 4);
	snprintf(row->dfsp, sizeof row->dfsp, "%s", dfsp ? dfsp : "");
	row->body = strdup(body ? body : "");
	db_reset(st);
	if (!row->body)
		return -ENOMEM;
	st = ob->st[O_CLAIM];
	if ((rc = db_bind_int64(st, ":id", row->id)) < 0 || (rc = db_run(st)) < 0) {
		outbox_row_free(row);
		return rc;
	}
	return 1;
}

static int claim_tx(struct outbox *ob, int which, const char *kind, int64_t now,
		    struct outbox_row *row)
{
	int rc;

	memset(row, 0, sizeof *row);
	if ((rc = db_begin(ob->db)) < 0)
		return rc;
	rc = claim(ob, which, kind, now, row);
	int end = db_end(ob->db, rc < 0 ? rc : 0);
	if (end < 0) {
		outbox_row_free(row);
		return end;
	}
	return rc;
}

int outbox_claim(struct outbox *ob, const char *kind, int64_t now, struct outbox_row *row)
{
	return claim_tx(ob, O_DUE, kind, now, row);
}

int outbox_claim_ordered(struct outbox *ob, const char *kind, int64_t now, struct outbox_row *row)
{
	return claim_tx(ob, O_DUE_ORDERED, kind, now, row);
}

/* Runs st (bindings done) in its own transaction; -ENOENT if no row changed. */
static int change(struct outbox *ob, sqlite3_stmt *st)
{
	int rc = db_run(st);
	if (rc < 0)
		return rc;
	return db_changes(ob->db) > 0 ? 0 : -ENOENT;
}

int outbox_sent(struct outbox *ob, int64_t id, const char *remote_id)
{
	sqlite3_stmt *st = ob->st[O_SENT];
	int rc;

	if (!remote_id || !*remote_id || strlen(remote_id) > 64)
		return -EINVAL;
	if ((rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_bind_text(st, ":rid", remote_id)) < 0)
		return rc;
	return change(ob, st);
}

int outbox_retry(struct outbox *ob, int64_t id, int64_t next_at, const char *why)
{
	sqlite3_stmt *st = ob->st[O_RETRY];
	int rc;

	if ((rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_bind_int64(st, ":next", next_at)) < 0 ||
	    (rc = db_bind_text(st, ":why", why)) < 0)
		return rc;
	return change(ob, st);
}

int outbox_fail(struct outbox *ob, int64_t id, const char *why)
{
	sqlite3_stmt *st = ob->st[O_FAIL];
	int rc;

	if ((rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_bind_text(st, ":why", why)) < 0)
		return rc;
	return change(ob, st);
}

int outbox_receipt(struct outbox *ob, const char *kind, const char *remote_id, int delivered,
		   const char *why)
{
	sqlite3_stmt *st = ob->st[O_RECEIPT];
	int rc;

	if ((rc = db_bind_text(st, ":state", delivered ? "delivered" : "failed")) < 0 ||
	    (rc = db_bind_text(st, ":why", delivered ? NULL : why)) < 0 ||
	    (rc = db_bind_text(st, ":kind", kind)) < 0 ||
	    (rc = db_bind_text(st, ":rid", remote_id)) < 0)
		return rc;
	return change(ob, st);
}

int64_t outbox_recover(struct outbox *ob, const char *kind, const char *why)
{
	sqlite3_stmt *st = ob->st[O_RECOVER];
	int rc;

	if ((rc = db_bind_text(st, ":kind", kind)) < 0 || (rc = db_bind_text(st, ":why", why)) < 0)
		return rc;
	if ((rc = db_run(st)) < 0)
		return rc;
	return db_changes(ob->db);
}

/* ---- other kinds ---- */

static int kind_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0;
	return n >= 1 && n <= 16 && strspn(k, "abcdefghijklmnopqrstuvwxyz_") == n;
}

int outbox_put(struct outbox *ob, const char *kind, const char *dfsp, const char *dest,
	       const char *body, const char *ref, int64_t *id)
{
	sqlite3_stmt *st = ob->st[O_INSERT];
	int rc;

	if (!db_in_transaction(ob->db) || !kind_ok(kind) || strcmp(kind, "sms") == 0 || !dest ||
	    !*dest || strlen(dest) > 64 || !body || (ref && (!*ref || strlen(ref) > 64)))
		return -EINVAL;
	if ((rc = db_bind_text(st, ":kind", kind)) < 0 ||
	    (rc = dfsp ? db_bind_text(st, ":dfsp", dfsp) : db_bind_null(st, ":dfsp")) < 0 ||
	    (rc = db_bind_text(st, ":dest", dest)) < 0 ||
	    (rc = db_bind_text(st, ":body", body)) < 0 ||
	    (rc = ref ? db_bind_text(st, ":ref", ref) : db_bind_null(st, ":ref")) < 0)
		return rc;
	if ((rc = db_run(st)) < 0)
		return rc;
	if (id)
		*id = db_last_insert_id(ob->db);
	return 0;
}

int outbox_delivered(struct outbox *ob, int64_t id, const char *note)
{
	sqlite3_stmt *st = ob->st[O_DELIVERED];
	int rc;

	if ((rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_bind_text(st, ":why", note)) < 0)
		return rc;
	return change(ob, st);
}

int64_t outbox_requeue(struct outbox *ob, const char *kind, const char *why)
{
	sqlite3_stmt *st = ob->st[O_REQUEUE];
	int rc;

	if ((rc = db_bind_text(st, ":kind", kind)) < 0 || (rc = db_bind_text(st, ":why", why)) < 0)
		return rc;
	if ((rc = db_run(st)) < 0)
		return rc;
	return db_changes(ob->db);
}

void outbox_metrics(struct outbox *ob, FILE *f)
{
	static const char *const kinds[] = { "sms", "als", "backend" };
	static const char *const states[] = { "pending", "sending", "sent", "delivered", "failed" };

	fprintf(f, "# HELP tillgate_outbox_rows Rows of the outbox, by kind and state.\n"
		   "# TYPE tillgate_outbox_rows gauge\n");
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
			int64_t n = outbox_count(ob, kinds[k], states[s]);
			if (n >= 0)
				fprintf(f, "tillgate_outbox_rows{kind=\"%s\",state=\"%s\"} %lld\n",
					kinds[k], states[s], (long long)n);
		}
}
