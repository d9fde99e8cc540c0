/* audit.c -- the hash-chained audit log: append inside the caller's
 * transaction, and verify the whole chain (see audit.h for the format). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "gateway/log.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define DOMAIN "tillgate-audit-v1\n"

enum {
	AU_HEAD,
	AU_INSERT,
	AU_ALL,
	AU_SEQ,
	AU__COUNT
};

/* Prepared on first use through db_prepare_table(), which keeps them in
 * db from then on. */
static const char *const audit_sql[AU__COUNT] = {
	[AU_HEAD] =
		"SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0), "
		"(SELECT id FROM audit ORDER BY id DESC LIMIT 1), "
		"(SELECT hash FROM audit ORDER BY id DESC LIMIT 1)",
	[AU_INSERT] =
		"INSERT INTO audit (id, ts, actor, role, dfsp, action, entity, entity_id, "
		"before_json, after_json, prev_hash, hash) VALUES (:id, :ts, :actor, :role, :dfsp, "
		":action, :entity, :entity_id, :before_json, :after_json, :prev_hash, :hash)",
	[AU_ALL] = ("SELECT id, ts, actor, role, dfsp, action, entity, entity_id, before_json, "
		    "after_json, prev_hash, hash FROM audit ORDER BY id"),
	[AU_SEQ] = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0)",
};

static int stmts(struct db *db, sqlite3_stmt ***st)
{
	char err[256];
	int rc = db_prepare_table(db, audit_sql, AU__COUNT, st, err, sizeof err);

	if (rc < 0)
		LOGE(LC_AUDIT, "audit statements", "err=%s", err);
	return rc;
}

/* ---- the hash ---- */

static int put(EVP_MD_CTX *c, const void *p, size_t n)
{
	return EVP_DigestUpdate(c, p, n) == 1 ? 0 : -EIO;
}

static int put_u64(EVP_MD_CTX *c, char tag, uint64_t v)
{
	unsigned char b[9];

	b[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	return put(c, b, sizeof b);
}

/* A text field: 'N' for NULL, else 'T', its length and its bytes. */
static int put_text(EVP_MD_CTX *c, const char *s, size_t len)
{
	if (!s)
		return put(c, "N", 1);
	int rc = put_u64(c, 'T', len);
	return rc < 0 ? rc : put(c, s, len);
}

/* The row's fields with explicit lengths: rows read back from the table
 * are hashed with SQLite's byte counts, not strlen(). */
struct field {
	const char *s;
	size_t len;
};

#define NTEXT 10 /* the fields after id */

static int hash_fields(int64_t id, const struct field f[NTEXT], char hex[AUDIT_HASH_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc;

	if (!c)
		return -ENOMEM;
	rc = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
	if (rc == 0)
		rc = put(c, DOMAIN, strlen(DOMAIN));
	if (rc == 0)
		rc = put_u64(c, 'I', (uint64_t)id);
	for (int i = 0; i < NTEXT && rc == 0; i++)
		rc = put_text(c, f[i].s, f[i].len);
	if (rc == 0 && (EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen * 2 != AUDIT_HASH_HEX))
		rc = -EIO;
	EVP_MD_CTX_free(c);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static struct field fld(const char *s)
{
	return (struct field){ s, s ? strlen(s) : 0 };
}

int audit_row_hash(const struct audit_row *r, char hex[AUDIT_HASH_HEX + 1])
{
	const struct field f[NTEXT] = {
		fld(r->ts), fld(r->actor), fld(r->role), fld(r->dfsp), fld(r->action),
		fld(r->entity), fld(r->entity_id), fld(r->before_json), fld(r->after_json),
		fld(r->prev_hash),
	};
	return hash_fields(r->id, f, hex);
}

/* ---- append ---- */

/* Now, UTC, with milliseconds: 24 characters. */
static void now_iso(char out[64])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 64 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

static int empty(const char *s)
{
	return !s || !*s;
}

int audit_append(struct db *db, const char *actor, const char *role, const char *dfsp,
		 const char *action, const char *entity, const char *entity_id,
		 const char *before_json, const char *after_json)
{
	sqlite3_stmt **st;
	int rc;

	if (!db_in_transaction(db)) {
		LOGE(LC_AUDIT, "audit_append outside a transaction", "action=%s", action ? action : "");
		return -EINVAL;
	}
	if (empty(actor) || empty(role) || empty(action) || empty(entity) || empty(entity_id))
		return -EINVAL;
	if ((rc = stmts(db, &st)) < 0)
		return rc;

	/* The next id continues from AUTOINCREMENT's high-water mark, not
	 * from the last row, so that a deleted last row stays a visible gap. */
	if ((rc = db_step(st[AU_HEAD])) < 0)
		return rc;
	if (rc == 0)
		return -EIO; /* the query always yields a row */
	int64_t seq = sqlite3_column_int64(st[AU_HEAD], 0);
	int64_t last = sqlite3_column_int64(st[AU_HEAD], 1);
	const unsigned char *h = sqlite3_column_text(st[AU_HEAD], 2);
	char prev[AUDIT_HASH_HEX + 1];
	snprintf(prev, sizeof prev, "%s", h ? (const char *)h : GENESIS);
	db_reset(st[AU_HEAD]);

	char ts[64];
	now_iso(ts);
	struct audit_row r = {
		.id = (seq > last ? seq : last) + 1, .ts = ts, .actor = actor, .role = role,
		.dfsp = dfsp, .action = action, .entity = entity, .entity_id = entity_id,
		.before_json = before_json, .after_json = after_json, .prev_hash = prev,
	};
	char hash[AUDIT_HASH_HEX + 1];
	if ((rc = audit_row_hash(&r, hash)) < 0)
		return rc;

	sqlite3_stmt *ins = st[AU_INSERT];
	if ((rc = db_bind_int64(ins, ":id", r.id)) < 0 ||
	    (rc = db_bind_text(ins, ":ts", ts)) < 0 ||
	    (rc = db_bind_text(ins, ":actor", actor)) < 0 ||
	    (rc = db_bind_text(ins, ":role", role)) < 0 ||
	    (rc = db_bind_text(ins, ":dfsp", dfsp)) < 0 ||
	    (rc = db_bind_text(ins, ":action", action)) < 0 ||
	    (rc = db_bind_text(ins, ":entity", entity)) < 0 ||
	    (rc = db_bind_text(ins, ":entity_id", entity_id)) < 0 ||
	    (rc = db_bind_text(ins, ":before_json", before_json)) < 0 ||
	    (rc = db_bind_text(ins, ":after_json", after_json)) < 0 ||
	    (rc = db_bind_text(ins, ":prev_hash", prev)) < 0 ||
	    (rc = db_bind_text(ins, ":hash", hash)) < 0)
		return rc;
	if ((rc = db_run(ins)) < 0)
		return rc;
	LOGD(LC_AUDIT, "audit row", "id=%" PRId64 " action=%s entity=%s", r.id, action, entity);
	return 0;
}

/* ---- verify ---- */

struct walk {
	audit_report_fn report;
	void *arg;
	int problems;
};

static void report(struct walk *w, enum audit_problem kind, int64_t first, int64_t last,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct walk *w, enum audit_problem kind, int64_t first, int64_t last,
		   const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->problems++;
	LOGW(LC_AUDIT, "audit chain broken", "first=%" PRId64 " last=%" PRId64 " kind=%d", first,
	     last, (int)kind);
	if (w->report)
		w->report(w->arg, kind, first, last, msg);
}

static void deleted(struct walk *w, int64_t first, int64_t last)
{
	if (first == last)
		report(w, AUDIT_DELETED, first, last, "audit row %" PRId64 " deleted", first);
	else
		report(w, AUDIT_DELETED, first, last, "audit rows %" PRId64 "..%" PRId64 " deleted",
		       first, last);
}

/* Column i as a field, with its length from SQLite (a NUL byte slipped
 * into a text changes its length, and so the hash); *bad set if it is
 * neither text nor NULL (STRICT makes that impossible short of editing
 * the schema). */
static struct field col(sqlite3_stmt *st, int i, int *bad)
{
	int type = sqlite3_column_type(st, i);

	if (type == SQLITE_NULL)
		return (struct field){ NULL, 0 };
	const char *s = (const char *)sqlite3_column_text(st, i);
	size_t len = (size_t)sqlite3_column_bytes(st, i);
	if (type != SQLITE_TEXT || !s)
		*bad = 1;
	return (struct field){ s ? s : "", len };
}

static int walk(sqlite3_stmt **st, struct walk *w, struct audit_summary *sum)
{
	enum { PREV_OK, PREV_EDITED } prev_state = PREV_OK;
	char prev_hash[AUDIT_HASH_HEX + 1] = GENESIS;
	int64_t prev_id = 0, seq;
	int rc;

	if ((rc = db_step(st[AU_SEQ])) < 0)
		return rc;
	seq = rc == 1 ? sqlite3_column_int64(st[AU_SEQ], 0) : 0;
	db_reset(st[AU_SEQ]);

	while ((rc = db_step(st[AU_ALL])) == 1) {
		sqlite3_stmt *a = st[AU_ALL];
		int64_t id = sqlite3_column_int64(a, 0);
		int bad = sqlite3_column_type(a, 0) != SQLITE_INTEGER;
		struct field f[NTEXT];
		for (int i = 0; i < NTEXT; i++)
			f[i] = col(a, 1 + i, &bad);
		struct field stored = col(a, 11, &bad);
		char hash[AUDIT_HASH_HEX + 1];
		if ((rc = hash_fields(id, f, hash)) < 0) {
			db_reset(a);
			return rc;
		}
		sum->rows++;

		int gap = id > prev_id + 1;
		if (gap)
			deleted(w, prev_id + 1, id - 1);
		if (bad || !stored.s || strcmp(stored.s, hash) != 0) {
			report(w, AUDIT_EDITED, id, id,
			       "audit row %" PRId64 " edited: its hash does not match its fields", id);
			prev_state = PREV_EDITED;
		} else {
			const char *ph = f[NTEXT - 1].s;
			if (!gap && prev_state == PREV_OK && (!ph || strcmp(ph, prev_hash) != 0)) {
				if (prev_id == 0)
					report(w, AUDIT_UNCHAINED, id, id, "audit row %" PRId64
					       " out of chain: its prev_hash is not that of a first row",
					       id);
				else
					report(w, AUDIT_UNCHAINED, id, id, "audit row %" PRId64
					       " out of chain: its prev_hash is not the hash of row %"
					       PRId64 " (inserted out of chain, or row %" PRId64
					       " rewritten)", id, prev_id, prev_id);
			}
			prev_state = PREV_OK;
		}
		prev_id = id;
		snprintf(prev_hash, sizeof prev_hash, "%s", stored.s ? stored.s : "");
	}
	if (rc < 0)
		return rc;
	sum->head_id = prev_id;
	snprintf(sum->head_hash, sizeof sum->head_hash, "%s", prev_id ? prev_hash : "");
	/* AUTOINCREMENT remembers ids used by rows now gone from the end. */
	if (seq > prev_id)
		deleted(w, prev_id + 1, seq);
	return 0;
}

int audit_verify(struct db *db, audit_report_fn fn, void *arg, struct audit_summary *summary)
{
	struct audit_summary local;
	struct walk w = { .report = fn, .arg = arg };
	sqlite3_stmt **st;
	int own = 0, rc;

	if (!summary)
		summary = &local;
	memset(summary, 0, sizeof *summary);
	if ((rc = stmts(db, &st)) < 0)
		return rc;
	if (!db_in_transaction(db)) {
		if ((rc = db_begin_read(db)) < 0)
			return rc;
		own = 1;
	}
	rc = walk(st, &w, summary);
	if (own)
		db_rollback(db); /* read only: nothing to keep */
	return rc < 0 ? rc : w.problems;
}
