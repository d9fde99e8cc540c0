/* db.h -- the SQLite database: open with the pragmas Tillgate relies on,
 * create or migrate the schema, transactions, and the statement machinery
 * every module uses.
 *
 * Statements. Each module keeps its SQL in one enum-indexed table and has
 * it prepared once, after db_open(), by db_prepare_table():
 *
 *   enum { REG_GET, REG_SET_STATUS, REG__COUNT };
 *   static const char *const reg_sql[REG__COUNT] = {
 *       [REG_GET] = "SELECT status FROM merchant WHERE dfsp = :dfsp AND merchant_id = :id",
 *       [REG_SET_STATUS] = "UPDATE merchant SET status = :status ...",
 *   };
 *   sqlite3_stmt **st;       // kept in the module's context
 *   db_prepare_table(db, reg_sql, REG__COUNT, &st, err, sizeof err);
 *
 * then binds by name and steps through the helpers below, which translate
 * SQLite's codes to negative errno and reset the statement (and clear its
 * bindings) after every step that ends it, on every error and on every
 * failed bind, so no statement is left holding a read snapshot:
 *
 *   if ((rc = db_bind_text(st[REG_GET], ":dfsp", dfsp)) < 0 ||
 *       (rc = db_bind_text(st[REG_GET], ":id", id)) < 0)
 *           return rc;
 *   rc = db_step(st[REG_GET]);           // 1 row, 0 none, -errno
 *   if (rc == 1) { ...sqlite3_column_*()...; db_reset(st[REG_GET]); }
 *
 * Error codes of every operation below (db_errno() is the mapping):
 *   -EEXIST  UNIQUE or PRIMARY KEY constraint: the row exists already
 *   -ENOENT  FOREIGN KEY constraint: a referenced row does not exist; as
 *            foreign keys include the FSP id, this is also what a write
 *            across tenants gets (answer it like a lookup miss: 404)
 *   -EINVAL  CHECK or NOT NULL constraint: a value the schema refuses; also
 *            a bind to a parameter name the statement does not have
 *   -EPERM   a trigger refused the change (the audit table is append-only)
 *   -EBUSY   the database stayed locked past the busy timeout
 *   -ENOSPC  the disk (or the page limit) is full
 *   -ENOMEM  out of memory; -EROFS read-only; -EACCES permission
 *   -EIO     anything else (I/O error, corruption, misuse)
 *
 * Threads: a struct db is used by one thread (the event loop), as SQLite
 * is opened without its own mutexes for it. Other processes (tillgate db
 * check, the CLI) may open the same file; WAL lets them read while the
 * daemon writes, and writers wait up to the busy timeout.
 */
#ifndef GW_DB_H
#define GW_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct db;

/* The database file's name inside the gateway's data_dir. */
#define DB_FILE_NAME "tillgate.db"

/* How long a statement waits for another connection's lock by default. */
#define DB_BUSY_TIMEOUT_MS 5000

enum db_open_flag {
	DB_OPEN_NOCREATE = 1 << 0,  /* the file must exist: -ENOENT if not */
	DB_OPEN_NOMIGRATE = 1 << 1, /* leave the schema as found, neither created
				     * nor upgraded (for inspection: db check) */
};

/* Opens (creating if missing, mode 0600) the database file at path. The
 * folder must exist: creating the data_dir is the caller's job. Sets
 * extended result codes, journal_mode=WAL, synchronous=FULL,
 * foreign_keys=ON and the busy timeout, and reads each back. Routes
 * SQLite's own log (SQLITE_CONFIG_LOG) to log.h's LC_DB once per process.
 * Then, unless DB_OPEN_NOMIGRATE: an empty database gets data/schema.sql
 * in one transaction; an older one (user_version < db_schema_latest())
 * gets each missing upgrade, each in its own transaction, logged as
 * "schema migrated". flags: enum db_open_flag bits, or 0.
 * On success *out is owned by the caller (free with db_close()).
 * Returns 0, or a negative errno with a message in err (errlen bytes):
 *   -ENOENT  no such file with DB_OPEN_NOCREATE, or no such folder
 *   -EACCES  permission denied
 *   -EINVAL  not a Tillgate database (tables, but user_version 0)
 *   -ENOTSUP the schema is newer than this build knows, or SQLite is
 *            older than 3.38, or a pragma did not take
 *   -EBUSY, -ENOSPC, -ENOMEM, -EIO as above (-EIO also for a file that
 *            is not a database at all). */
int db_open(struct db **out, const char *path, unsigned flags, char *err, size_t errlen);

/* Finalizes every statement (those of db_prepare_table() included) and
 * closes the connection; a transaction still open is rolled back. db is
 * freed. NULL ok. */
void db_close(struct db *db);

/* The file the database was opened from (borrowed from db). */
const char *db_path(const struct db *db);

/* The schema version of the open database (its user_version): after a
 * migrating open, db_schema_latest(). */
int db_schema_version(const struct db *db);

/* The version this build creates and upgrades to (the last migration). */
int db_schema_latest(void);

/* The compiled-in SQL of the upgrade to version v (1..db_schema_latest());
 * *name (may be NULL) gets its file name without .sql. NULL if v is out
 * of range. Static strings. For tests and tools. */
const char *db_schema_upgrade_sql(int v, const char **name);

/* Sets the busy timeout (ms >= 0). Returns 0 or -EINVAL. */
int db_set_busy_timeout(struct db *db, int ms);

/* ---- transactions ---- */

/* BEGIN IMMEDIATE: takes the write lock now, so that the transaction
 * cannot fail later for a lock another writer took first. Inside a
 * transaction opened by db_begin()/db_begin_read() it nests: a SAVEPOINT,
 * which db_commit() releases into the outer transaction (nothing is
 * durable until the outermost commit) and db_rollback() undoes alone.
 * This lets a caller wrap a domain operation and its own record (the
 * HTTP idempotency record) in one transaction. Returns 0; -EALREADY if a
 * transaction was opened by other means (raw SQL: a bug in the caller);
 * -EBUSY past the busy timeout; -EIO. */
int db_begin(struct db *db);

/* BEGIN DEFERRED: a read transaction, for several SELECTs that must see
 * one snapshot. Returns as db_begin(). */
int db_begin_read(struct db *db);

/* COMMIT of the outermost transaction, or RELEASE of a nested one. On
 * failure that level is rolled back, so the caller only reports the
 * error. Returns 0; -EINVAL if no transaction is open; -EBUSY, -ENOSPC,
 * -EIO. */
int db_commit(struct db *db);

/* Ends the level db_begin() opened according to rc, the result of the
 * work done in it: commits when rc is 0, else rolls back. Returns rc, or
 * the commit's error. So a caller writes: rc = db_end(db, work(...)); */
int db_end(struct db *db, int rc);

/* ROLLBACK of the open transaction, or of the innermost nested level
 * only; does nothing without one. Cannot fail in a way the caller could
 * act on (a failure is logged). */
void db_rollback(struct db *db);

/* 1 inside a transaction, else 0. */
int db_in_transaction(const struct db *db);

/* ---- statements ---- */

/* Prepares the n statements of sql[] (each one statement; an empty
 * slot or a NULL is an error) and sets *stmts to an array of n prepared
 * statements, indexed like sql. The array and the statements are owned
 * by db and finalized by db_close(); the caller keeps the pointer and
 * frees nothing. Preparing the same sql array again (same pointer)
 * returns the same statements, so a module may call this on each use.
 * sql must stay valid while db is open (a static table).
 * Returns 0; -EINVAL for SQL that does not prepare (the message, with
 * the index and SQLite's error, in err); -ENOMEM. */
int db_prepare_table(struct db *db, const char *const sql[], size_t n, sqlite3_stmt ***stmts,
		     char *err, size_t errlen);

/* Bind by parameter name (":name", "@name" or "$name" as written in the
 * SQL). Text and blobs are copied. A NULL text binds SQL NULL. On
 * failure the statement is reset and its bindings cleared, and the
 * failure is logged. Returns 0; -EINVAL for a name the statement does not
 * have; -E2BIG for a value over SQLite's length limit; -ENOMEM. */
int db_bind_text(sqlite3_stmt *st, const char *name, const char *text);
int db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v);
int db_bind_double(sqlite3_stmt *st, const char *name, double v);
int db_bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t len);
int db_bind_null(sqlite3_stmt *st, const char *name);

/* One step. Returns 1 if a row is ready (read it with sqlite3_column_*(),
 * then db_step() again or db_reset()); 0 when done (the statement is
 * reset and its bindings cleared); a negative errno on error (reset and
 * cleared too; logged: constraint failures at debug level, as callers
 * expect them, -EBUSY as a warning, the rest as errors). */
int db_step(sqlite3_stmt *st);

/* Runs a statement that returns no rows (INSERT, UPDATE, DELETE), or
 * only its first row: one step, then reset and clear. Returns 0 or a
 * negative errno. db_changes() then tells how many rows it changed. */
int db_run(sqlite3_stmt *st);

/* Resets the statement and clears its bindings. NULL ok. */
void db_reset(sqlite3_stmt *st);

/* Rows changed by the last INSERT, UPDATE or DELETE on db. */
int db_changes(struct db *db);

/* The rowid of the last successful INSERT on db. */
int64_t db_last_insert_id(struct db *db);

/* The negative errno for an SQLite result code (primary or extended); 0
 * for SQLITE_OK, SQLITE_ROW and SQLITE_DONE. See the table above. */
int db_errno(int sqlite_rc);

/* ---- checks ---- */

/* Called once per problem found; msg is one line without a newline,
 * valid during the call only. */
typedef void (*db_report_fn)(void *arg, const char *msg);

/* Checks the database (not the audit chain: audit_verify()):
 * PRAGMA integrity_check, PRAGMA foreign_key_check, the schema against
 * the one this build makes for the database's version (every table,
 * index and trigger, comments and spacing aside: a dropped trigger or
 * index, an altered table, an object that should not be there), and the
 * merchant name index against merchant. report may be NULL.
 * Returns the number of problems (0: all is well), or a negative errno if
 * a check could not run. */
int db_check(struct db *db, db_report_fn report, void *arg);

#endif /* GW_DB_H */
