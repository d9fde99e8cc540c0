/* outbox.c -- the outbox table: queueing and counting (see outbox.h). */
#include "gateway/outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/db.h"

enum {
	O_INSERT,
	O_COUNT,
	O_COUNT_STATE,
	O__COUNT
};

static const char *const outbox_sql[O__COUNT] = {
	[O_INSERT] = ("INSERT INTO outbox (kind, dfsp, dest, body, ref) "
		      "VALUES (:kind, :dfsp, :dest, :body, :ref)"),
	[O_COUNT] = "SELECT count(*) FROM outbox WHERE kind = :kind",
	[O_COUNT_STATE] = "SELECT count(*) FROM outbox WHERE kind = :kind AND state = :state",
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
