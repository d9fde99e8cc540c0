/* audit.h -- the audit log: one row per change, each chained to the one
 * before it by SHA-256, and the walk that finds rows edited, deleted or
 * inserted out of chain.
 *
 * Row n stores prev_hash = the hash of row n-1 (64 '0' for row 1) and
 * hash = hex SHA-256 of this encoding of its fields:
 *
 *   "tillgate-audit-v1\n"
 *   then for each of id, ts, actor, role, dfsp, action, entity, entity_id,
 *   before_json, after_json, prev_hash, in that order:
 *     'I' + 8 bytes big-endian two's complement        for id
 *     'T' + 8 bytes big-endian byte length + the bytes  for a text
 *     'N'                                               for NULL
 *
 * Length prefixes make the encoding unambiguous ("ab","c" differs from
 * "a","bc", and NULL from ""). docs/storage.md has a worked example.
 *
 * What the chain shows: an edit of any field of a row by anyone who does
 * not also recompute its hash; a deleted row, even the last one (ids come
 * from AUTOINCREMENT, whose high-water mark outlives the row); a row
 * inserted or rewritten with a valid hash of its own but not linked to its
 * predecessor. What it cannot show: someone with write access who
 * recomputes the hashes of every row from the change onwards and fixes
 * sqlite_sequence. Recording the head (audit_verify()'s summary, printed
 * by 'tillgate db check') somewhere else closes that gap.
 */
#ifndef GW_AUDIT_H
#define GW_AUDIT_H

#include <stdint.h>

struct db;

#define AUDIT_HASH_HEX 64 /* characters of a hash, without the NUL */

/* The fields of one row, as stored. Strings are borrowed; NULL for SQL
 * NULL (dfsp, before_json, after_json may be NULL). */
struct audit_row {
	int64_t id;
	const char *ts;        /* 2026-11-28T10:15:02.123Z */
	const char *actor;     /* user name, or "system" */
	const char *role;      /* an API key role, "merchant" or "system" */
	const char *dfsp;      /* FSP id, NULL for hub-level changes */
	const char *action;    /* "create", "approve", ... */
	const char *entity;    /* "merchant", "dfsp", "api_key", ... */
	const char *entity_id;
	const char *before_json;
	const char *after_json;
	const char *prev_hash; /* 64 hex digits */
};

/* Computes the row's hash (the encoding above) into hex, lower case and
 * NUL-terminated. Returns 0, or -ENOMEM / -EIO if OpenSSL fails. */
int audit_row_hash(const struct audit_row *r, char hex[AUDIT_HASH_HEX + 1]);

/* Appends one row, inside the caller's transaction (db_begin() first: the
 * row commits or rolls back with the change it records, and the write
 * lock keeps the chain linear). The time is now (UTC, milliseconds). All
 * strings are borrowed. dfsp, before_json and after_json may be NULL;
 * the JSON texts must be valid JSON. Never pass secrets (API keys,
 * document contents) in the JSON.
 * Returns 0; -EINVAL if no transaction is open, a required field is NULL
 * or empty, or the schema refuses a value (role not one of the roles,
 * a field too long, invalid JSON); -ENOENT if dfsp is not a DFSP; -EBUSY,
 * -ENOSPC, -ENOMEM, -EIO as db.h. On error the caller rolls back. */
int audit_append(struct db *db, const char *actor, const char *role, const char *dfsp,
		 const char *action, const char *entity, const char *entity_id,
		 const char *before_json, const char *after_json);

enum audit_problem {
	AUDIT_EDITED,    /* the row's hash does not match its fields: edited, or
			  * inserted by hand with a made-up hash */
	AUDIT_DELETED,   /* rows first..last are missing */
	AUDIT_UNCHAINED, /* the row's own hash is right but its prev_hash is not
			  * the hash of the row before: inserted out of chain, or
			  * the row before was rewritten with a recomputed hash */
};

/* Called once per problem: first and last are the row ids concerned
 * (equal but for AUDIT_DELETED); msg is one line such as
 * "audit row 7 edited: its hash does not match its fields", valid during
 * the call only. */
typedef void (*audit_report_fn)(void *arg, enum audit_problem kind, int64_t first, int64_t last,
				const char *msg);

/* What audit_verify() walked. */
struct audit_summary {
	int64_t rows;                      /* rows present */
	int64_t head_id;                   /* highest id, 0 if none */
	char head_hash[AUDIT_HASH_HEX + 1];/* its stored hash, "" if none */
};

/* Walks the whole chain in id order, in one read snapshot (its own read
 * transaction, unless the caller has one open), and reports each problem
 * through report (may be NULL). At most one problem is reported per row,
 * an edit first; a row after an edited or deleted one is not also blamed
 * for not chaining to it. summary may be NULL.
 * Returns the number of problems (0: the chain is intact), or a negative
 * errno (db.h) if the table could not be read. */
int audit_verify(struct db *db, audit_report_fn report, void *arg, struct audit_summary *summary);

#endif /* GW_AUDIT_H */
