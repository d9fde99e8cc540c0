/* db.c -- the SQLite database: open with checked pragmas, create or
 * migrate the schema compiled in from data/, transactions, enum-indexed
 * statement tables, bind/step helpers that translate errors to errno, and
 * the structural checks behind 'tillgate db check'. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/db.h"
#include "gateway/log.h"

#include "db_schema.h" /* generated from data/ by data/sql2c.sh */

/* STRICT tables need 3.37, json_valid() built in needs 3.38. */
#define DB_MIN_SQLITE 3038000

/* One statement table handed out by db_prepare_table(). */
struct db_table {
	const char *const *sql; /* the caller's static array: identifies the table */
	size_t n;
	sqlite3_stmt **stmts;   /* owned: n statements */
};

struct db {
	sqlite3 *conn;
	char *path;             /* owned */
	int version;            /* user_version */
	struct db_table *tables;/* owned; ntables used of cap */
	size_t ntables, cap;
	sqlite3_stmt **st;      /* db.c's own table, one of tables[] */
	int depth;              /* open db_begin()s: 1 the transaction, more savepoints */
};

enum {
	DB_BEGIN,
	DB_BEGIN_READ,
	DB_COMMIT,
	DB_ROLLBACK,
	DB_SAVEPOINT,
	DB_RELEASE,
	DB_ROLLBACK_TO,
	DB__STMT_COUNT
};

static const char *const db_sql[DB__STMT_COUNT] = {
	[DB_BEGIN] = "BEGIN IMMEDIATE",
	[DB_BEGIN_READ] = "BEGIN DEFERRED",
	[DB_COMMIT] = "COMMIT",
	[DB_ROLLBACK] = "ROLLBACK",
	[DB_SAVEPOINT] = "SAVEPOINT nest",
	[DB_RELEASE] = "RELEASE nest",
	[DB_ROLLBACK_TO] = "ROLLBACK TO nest",
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- error translation ---- */

int db_errno(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_ROWID:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_TRIGGER:
		return -EPERM;
	}
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT: /* CHECK, NOT NULL, DATATYPE (STRICT) and the rest */
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	default:
		return -EIO;
	}
}

static int is_constraint(int rc)
{
	return (rc & 0xff) == SQLITE_CONSTRAINT;
}

/* ---- SQLite's own log ---- */

static void sqlite_log(void *arg, int code, const char *msg)
{
	enum log_level lvl;

	(void)arg;
	switch (code & 0xff) {
	case SQLITE_NOTICE:
		lvl = LOG_NOTICE;
		break;
	case SQLITE_WARNING:
		lvl = LOG_WARN;
		break;
	case SQLITE_CONSTRAINT: /* expected: db_step() returns it as -EEXIST etc. */
	case SQLITE_SCHEMA:     /* a statement re-prepared itself */
		lvl = LOG_DEBUG;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		lvl = LOG_INFO;
		break;
	default:
		lvl = LOG_ERROR;
	}
	/* Called by SQLite itself: must not call back into SQLite. */
	if (log_enabled(LC_DB, lvl))
		log_msg(LC_DB, lvl, msg, "src=sqlite code=%d", code);
}

/* SQLITE_CONFIG_LOG is process-wide and only settable before SQLite
 * initialises, hence once, here, before the first open. */
static void sqlite_log_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	int rc = sqlite3_config(SQLITE_CONFIG_LOG, sqlite_log, (void *)NULL);
	if (rc != SQLITE_OK)
		LOGW(LC_DB, "SQLite log not routed (SQLite initialised before the first db_open)",
		     "code=%d", rc);
}

/* ---- statements ---- */

void db_reset(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void log_stmt_error(sqlite3_stmt *st, int rc, const char *what)
{
	/* Constraint failures are answers (-EEXIST, ...), a lock past the
	 * busy timeout is load; the rest are faults. */
	enum log_level lvl = is_constraint(rc) ? LOG_DEBUG
			     : db_errno(rc) == -EBUSY ? LOG_WARN : LOG_ERROR;
	char q[512];

	if (!log_enabled(LC_DB, lvl))
		return;
	log_msg(LC_DB, lvl, what, "code=%d err=%s sql=%s", rc,
		log_q(q, sizeof q / 2, sqlite3_errmsg(sqlite3_db_handle(st))),
		log_q(q + sizeof q / 2, sizeof q / 2, sqlite3_sql(st)));
}

int db_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		db_reset(st);
		return 0;
	}
	log_stmt_error(st, rc, "statement failed");
	db_reset(st);
	return db_errno(rc);
}

int db_run(sqlite3_stmt *st)
{
	int rc = db_step(st);

	if (rc == 1) {
		db_reset(st);
		rc = 0;
	}
	return rc;
}

/* The index of parameter name, or 0 after logging and resetting. */
static int param(sqlite3_stmt *st, const char *name)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i == 0) {
		char q[256];
		LOGE(LC_DB, "no such SQL parameter", "param=%s sql=%s", name,
		     log_q(q, sizeof q, sqlite3_sql(st)));
		db_reset(st);
	}
	return i;
}

static int bound(sqlite3_stmt *st, const char *name, int rc)
{
	if (rc == SQLITE_OK)
		return 0;
	LOGE(LC_DB, "bind failed", "param=%s code=%d", name, rc);
	db_reset(st);
	return rc == SQLITE_RANGE ? -EINVAL : db_errno(rc);
}

int db_bind_text(sqlite3_stmt *st, const char *name, const char *text)
{
	int i = param(st, name);

	if (!i)
		return -EINVAL;
	if (!text)
		return bound(st, name, sqlite3_bind_null(st, i));
	return bound(st, name, sqlite3_bind_text64(st, i, text, strlen(text), SQLITE_TRANSIENT,
						   SQLITE_UTF8));
}

int db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = param(st, name);

	return i ? bound(st, name, sqlite3_bind_int64(st, i, v)) : -EINVAL;
}

int db_bind_double(sqlite3_stmt *st, const char *name, double v)
{
	int i = param(st, name);

	return i ? bound(st, name, sqlite3_bind_double(st, i, v)) : -EINVAL;
}

int db_bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t len)
{
	int i = param(st, name);

	if (!i)
		return -EINVAL;
	/* A NULL pointer would bind SQL NULL; an empty blob is not NULL. */
	return bound(st, name, sqlite3_bind_blob64(st, i, p ? p : "", len, SQLITE_TRANSIENT));
}

int db_bind_null(sqlite3_stmt *st, const char *name)
{
	int i = param(st, name);

	return i ? bound(st, name, sqlite3_bind_null(st, i)) : -EINVAL;
}

int db_changes(struct db *db)
{
	return sqlite3_changes(db->conn);
}

int64_t db_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->conn);
}

static void finalize_all(sqlite3_stmt **stmts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sqlite3_finalize(stmts[i]);
	free(stmts);
}

int db_prepare_table(struct db *db, const char *const sql[], size_t n, sqlite3_stmt ***stmts,
		     char *err, size_t errlen)
{
	for (size_t t = 0; t < db->ntables; t++) {
		if (db->tables[t].sql == sql && db->tables[t].n == n) {
			*stmts = db->tables[t].stmts;
			return 0;
		}
	}
	if (db->ntables == db->cap) {
		size_t cap = db->cap ? 2 * db->cap : 8;
		struct db_table *t = realloc(db->tables, cap * sizeof *t);
		if (!t) {
			seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
		db->tables = t;
		db->cap = cap;
	}
	sqlite3_stmt **st = calloc(n ? n : 1, sizeof *st);
	if (!st) {
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const char *tail = NULL;
		int rc = sql[i] ? sqlite3_prepare_v3(db->conn, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
						     &st[i], &tail)
				: SQLITE_MISUSE;
		if (rc == SQLITE_OK && !st[i])
			rc = SQLITE_MISUSE; /* only spaces or comments */
		if (rc == SQLITE_OK)
			tail += strspn(tail, " \t\r\n;");
		if (rc != SQLITE_OK || *tail) {
			if (rc == SQLITE_NOMEM) {
				seterr(err, errlen, "out of memory");
			} else {
				seterr(err, errlen, "statement %zu: %s: %.80s", i,
				       !sql[i] ? "missing" : rc == SQLITE_MISUSE ? "empty"
					   : rc == SQLITE_OK ? "more than one statement"
					   : sqlite3_errmsg(db->conn),
				       sql[i] ? sql[i] : "");
			}
			finalize_all(st, n);
			return rc == SQLITE_NOMEM ? -ENOMEM : -EINVAL;
		}
	}
	db->tables[db->ntables++] = (struct db_table){ .sql = sql, .n = n, .stmts = st };
	*stmts = st;
	return 0;
}

/* ---- transactions ---- */

int db_in_transaction(const struct db *db)
{
	return !sqlite3_get_autocommit(db->conn);
}

/* SQLite ends a transaction by itself on some errors (disk full, I/O):
 * forget the nesting then. */
static void sync_depth(struct db *db)
{
	if (!db_in_transaction(db))
		db->depth = 0;
}

static int begin(struct db *db, int which)
{
	sync_depth(db);
	if (db->depth > 0) {
		/* Inside a caller's transaction: a savepoint, so that this
		 * part can be rolled back alone and commits with the rest. */
		int rc = db_run(db->st[DB_SAVEPOINT]);
		if (rc == 0)
			db->depth++;
		return rc;
	}
	if (db_in_transaction(db)) {
		LOGE(LC_DB, "transaction already open", NULL);
		return -EALREADY;
	}
	int rc = db_run(db->st[which]);
	if (rc == 0)
		db->depth = 1;
	return rc;
}

int db_begin(struct db *db)
{
	return begin(db, DB_BEGIN);
}

int db_begin_read(struct db *db)
{
	return begin(db, DB_BEGIN_READ);
}

void db_rollback(struct db *db)
{
	sync_depth(db);
	if (db->depth > 1) {
		if (db_run(db->st[DB_ROLLBACK_TO]) < 0 || db_run(db->st[DB_RELEASE]) < 0)
			LOGE(LC_DB, "rollback to savepoint failed", NULL);
		db->depth--;
		return;
	}
	db->depth = 0;
	if (!db_in_transaction(db))
		return;
	if (db_run(db->st[DB_ROLLBACK]) < 0)
		LOGE(LC_DB, "rollback failed", NULL);
}

int db_commit(struct db *db)
{
	sync_depth(db);
	if (db->depth == 0)
		return -EINVAL;
	if (db->depth > 1) {
		int rc = db_run(db->st[DB_RELEASE]);
		if (rc < 0) {
			db_rollback(db);
			return rc;
		}
		db->depth--;
		return 0;
	}
	int rc = db_run(db->st[DB_COMMIT]);
	if (rc < 0)
		db_rollback(db);
	else
		db->depth = 0;
	return rc;
}

int db_end(struct db *db, int rc)
{
	if (rc == 0)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* ---- open, pragmas, migration ---- */

const char *db_path(const struct db *db)
{
	return db->path;
}

int db_schema_version(const struct db *db)
{
	return db->version;
}

int db_schema_latest(void)
{
	return DB_SCHEMA_VERSION;
}

const char *db_schema_upgrade_sql(int v, const char **name)
{
	if (v < 1 || v > DB_SCHEMA_VERSION)
		return NULL;
	if (name)
		*name = db_schema_upgrades[v - 1].name;
	return db_schema_upgrades[v - 1].sql;
}

int db_set_busy_timeout(struct db *db, int ms)
{
	if (ms < 0)
		return -EINVAL;
	return db_errno(sqlite3_busy_timeout(db->conn, ms));
}

/* Runs sql (any number of statements) on conn; on error, the message,
 * prefixed by what, into err. Returns 0 or -errno. */
static int exec(sqlite3 *conn, const char *sql, const char *what, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		rc = sqlite3_extended_errcode(conn);
		seterr(err, errlen, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return 0;
}

/* The first column of the first row of a one-statement query as text
 * into buf (size bytes; "" for no row), or an integer into *v. Returns
 * 0 or -errno with the message in err. */
static int query1(sqlite3 *conn, const char *sql, char *buf, size_t size, long long *v,
		  char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);

	if (buf && size)
		buf[0] = 0;
	if (v)
		*v = 0;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if (buf && size) {
				const unsigned char *t = sqlite3_column_text(st, 0);
				snprintf(buf, size, "%s", t ? (const char *)t : "");
			}
			if (v)
				*v = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		rc = sqlite3_extended_errcode(conn);
		seterr(err, errlen, "%s: %s", sql, sqlite3_errmsg(conn));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : (db_errno(rc) ? db_errno(rc) : -EIO);
}

/* Sets each pragma and reads it back: SQLite ignores a pragma it does not
 * know, and journal_mode=WAL silently stays "memory" or "delete" where WAL
 * is impossible. */
static int check_pragmas(sqlite3 *conn, char *err, size_t errlen)
{
	static const struct {
		const char *get;
		const char *want; /* as the pragma reports it */
	} p[] = {
		{ "PRAGMA journal_mode", "wal" },
		{ "PRAGMA synchronous", "2" }, /* FULL */
		{ "PRAGMA foreign_keys", "1" },
	};
	char got[32];
	int rc;

	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		if ((rc = query1(conn, p[i].get, got, sizeof got, NULL, err, errlen)) < 0)
			return rc;
		if (strcmp(got, p[i].want) != 0) {
			seterr(err, errlen, "%s is '%s', not '%s'", p[i].get, got, p[i].want);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Creates or upgrades the schema. Each step is one transaction that
 * re-reads user_version under the write lock, so two processes opening
 * the same new file do not both create it. Foreign keys are off here
 * (SQLite's procedure for migrations that rebuild a table) and each step
 * runs PRAGMA foreign_key_check before its commit. */
static int migrate(struct db *db, char *err, size_t errlen)
{
	sqlite3 *c = db->conn;
	long long v, n;
	int rc;

	for (;;) {
		if ((rc = exec(c, "BEGIN IMMEDIATE", "begin", err, errlen)) < 0)
			return rc;
		if ((rc = query1(c, "PRAGMA user_version", NULL, 0, &v, err, errlen)) < 0)
			goto fail;
		if (v >= DB_SCHEMA_VERSION)
			break;
		int to;
		const char *name;
		if (v == 0) {
			if ((rc = query1(c, "SELECT count(*) FROM sqlite_master", NULL, 0, &n, err,
					 errlen)) < 0)
				goto fail;
			if (n > 0) {
				seterr(err, errlen, "not a Tillgate database: %lld schema objects "
				       "but user_version 0", n);
				rc = -EINVAL;
				goto fail;
			}
			to = DB_SCHEMA_VERSION;
			name = "schema.sql";
			rc = exec(c, db_schema_sql, "data/schema.sql", err, errlen);
		} else {
			to = (int)v + 1;
			name = db_schema_upgrades[v].name;
			rc = exec(c, db_schema_upgrades[v].sql, name, err, errlen);
		}
		if (rc < 0)
			goto fail;
		char bad[160];
		if ((rc = query1(c, "SELECT 'table ' || \"table\" || ' row ' || rowid || "
				 "' refers to a missing ' || parent FROM pragma_foreign_key_check",
				 bad, sizeof bad, NULL, err, errlen)) < 0)
			goto fail;
		if (bad[0]) {
			seterr(err, errlen, "%s: foreign key check: %s", name, bad);
			rc = -EIO;
			goto fail;
		}
		char set[48];
		snprintf(set, sizeof set, "PRAGMA user_version = %d", to);
		if ((rc = exec(c, set, "user_version", err, errlen)) < 0 ||
		    (rc = exec(c, "COMMIT", "commit", err, errlen)) < 0)
			goto fail;
		LOGN(LC_DB, v == 0 ? "schema created" : "schema migrated", "from=%lld to=%d name=%s",
		     v, to, name);
	}
	db->version = (int)v;
	return exec(c, "COMMIT", "commit", err, errlen);
fail:
	if (!sqlite3_get_autocommit(c))
		sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Makes the file with mode 0600 if it does not exist yet (SQLite would
 * use 0644 less the umask: the file holds key hashes and personal data).
 * The -wal and -shm files take the database file's mode. */
static int create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	int e = errno;
	seterr(err, errlen, "%s: %s", path, strerror(e));
	return -e;
}

int db_open(struct db **out, const char *path, unsigned flags, char *err, size_t errlen)
{
	struct db *db = NULL;
	int rc;

	*out = NULL;
	if (sqlite3_libversion_number() < DB_MIN_SQLITE) {
		seterr(err, errlen, "SQLite %s is too old: 3.38 or later is needed",
		       sqlite3_libversion());
		return -ENOTSUP;
	}
	sqlite_log_once();
	if (flags & DB_OPEN_NOCREATE) {
		/* Checked here, not left to SQLite, which would log the miss
		 * as an error. */
		struct stat sb;
		if (stat(path, &sb) < 0) {
			int e = errno;
			seterr(err, errlen, "%s: %s", path, strerror(e));
			return -e;
		}
	} else if ((rc = create_private(path, err, errlen)) < 0) {
		return rc;
	}

	db = calloc(1, sizeof *db);
	if (!db || !(db->path = strdup(path))) {
		seterr(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto err;
	}
	rc = sqlite3_open_v2(path, &db->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		int sys = db->conn ? sqlite3_system_errno(db->conn) : 0;
		if ((rc & 0xff) == SQLITE_CANTOPEN && sys) {
			seterr(err, errlen, "%s: %s", path, strerror(sys));
			rc = -sys;
		} else {
			seterr(err, errlen, "%s: %s", path, sqlite3_errstr(rc));
			rc = db_errno(rc);
		}
		goto err;
	}
	sqlite3_extended_result_codes(db->conn, 1);
	sqlite3_busy_timeout(db->conn, DB_BUSY_TIMEOUT_MS);
	/* No writable_schema or shadow-table writes through this connection. */
	sqlite3_db_config(db->conn, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);

	long long v;
	char mode[16];
	/* journal_mode is the first statement to read the file: a file that
	 * is not a database fails here. */
	if ((rc = query1(db->conn, "PRAGMA journal_mode = WAL", mode, sizeof mode, NULL, err,
			 errlen)) < 0 ||
	    (rc = exec(db->conn, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF", "pragmas",
		       err, errlen)) < 0 ||
	    (rc = query1(db->conn, "PRAGMA user_version", NULL, 0, &v, err, errlen)) < 0)
		goto err;
	if (v > DB_SCHEMA_VERSION) {
		seterr(err, errlen, "%s: schema version %lld is newer than this build's (%d)", path,
		       v, DB_SCHEMA_VERSION);
		rc = -ENOTSUP;
		goto err;
	}
	db->version = (int)v;
	if (!(flags & DB_OPEN_NOMIGRATE) && v < DB_SCHEMA_VERSION &&
	    (rc = migrate(db, err, errlen)) < 0)
		goto err;
	if ((rc = exec(db->conn, "PRAGMA foreign_keys = ON", "pragmas", err, errlen)) < 0 ||
	    (rc = check_pragmas(db->conn, err, errlen)) < 0)
		goto err;
	if ((rc = db_prepare_table(db, db_sql, DB__STMT_COUNT, &db->st, err, errlen)) < 0)
		goto err;

	char q[256];
	LOGI(LC_DB, "database open", "path=%s version=%d", log_q(q, sizeof q, path), db->version);
	*out = db;
	return 0;
err:
	if (rc == -EIO && db && db->conn &&
	    (sqlite3_extended_errcode(db->conn) & 0xff) == SQLITE_NOTADB)
		seterr(err, errlen, "%s: not a database file", path);
	db_close(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	if (db->conn && !sqlite3_get_autocommit(db->conn))
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	for (size_t t = 0; t < db->ntables; t++)
		finalize_all(db->tables[t].stmts, db->tables[t].n);
	free(db->tables);
	if (db->conn && sqlite3_close(db->conn) != SQLITE_OK) {
		/* A statement prepared outside db_prepare_table() is still
		 * open: a bug; let SQLite close once it is finalized. */
		LOGE(LC_DB, "close: statements still open", "%s", "");
		sqlite3_close_v2(db->conn);
	}
	free(db->path);
	free(db);
}

/* ---- checks ---- */

struct check {
	db_report_fn report;
	void *arg;
	int problems;
};

static void problem(struct check *ck, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct check *ck, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ck->problems++;
	if (ck->report)
		ck->report(ck->arg, msg);
}

/* Runs a query whose every row (first column, as text) is one problem,
 * prefixed by what. A single row equal to ok (if not NULL) is no problem. */
static int rows_are_problems(sqlite3 *c, struct check *ck, const char *sql, const char *ok,
			     const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c, sql, -1, &st, NULL);
	int nrows = 0;

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		const char *s = t ? (const char *)t : "";
		rc = SQLITE_OK;
		if (nrows++ == 0 && ok && strcmp(s, ok) == 0)
			continue;
		problem(ck, "%s: %s", what, s);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		int e = sqlite3_extended_errcode(c);
		/* Corruption found while running the check is a finding too. */
		if ((e & 0xff) == SQLITE_CORRUPT || (e & 0xff) == SQLITE_NOTADB) {
			problem(ck, "%s: %s", what, sqlite3_errmsg(c));
			rc = SQLITE_DONE;
		} else {
			LOGE(LC_DB, "check failed", "code=%d", e);
			rc = e;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_OK ? 0 : (db_errno(rc) ? db_errno(rc) : -EIO);
}

/* Copies sql into out (size bytes), without comments and with each run
 * of white space made one space; quoted text is kept as is. */
static void normalize_sql(const char *s, char *out, size_t size)
{
	size_t o = 0;
	int space = 0;

	if (size == 0)
		return;
	while (*s && o + 1 < size) {
		if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
			space = 1;
			continue;
		}
		if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			s = e ? e + 2 : s + strlen(s);
			space = 1;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v') {
			s++;
			space = 1;
			continue;
		}
		if (space && o > 0 && o + 1 < size)
			out[o++] = ' ';
		space = 0;
		if (*s == '\'' || *s == '"' || *s == '`' || *s == '[') {
			char close = *s == '[' ? ']' : *s;
			out[o++] = *s++;
			while (*s && o + 1 < size) {
				char ch = *s++;
				out[o++] = ch;
				if (ch == close) {
					if (*s == close && close != ']' && o + 1 < size)
						out[o++] = *s++; /* doubled quote */
					else
						break;
				}
			}
			continue;
		}
		out[o++] = *s++;
	}
	out[o] = 0;
}

/* The schema objects of conn, sorted, with normalized SQL: a result table
 * of n rows; free with free_objects(). */
struct object {
	char *type, *name, *sql;
};

static void free_objects(struct object *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].type);
		free(v[i].name);
		free(v[i].sql);
	}
	free(v);
}

static int load_objects(sqlite3 *c, struct object **out, size_t *nout)
{
	sqlite3_stmt *st = NULL;
	struct object *v = NULL;
	size_t n = 0, cap = 0;
	int rc = sqlite3_prepare_v2(c,
		"SELECT type, name, coalesce(sql, '') FROM sqlite_schema "
		"WHERE name NOT LIKE 'sqlite\\_stat%' ESCAPE '\\' ORDER BY type, name",
		-1, &st, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			struct object *nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		size_t len = strlen(sql ? sql : "") + 1;
		struct object *o = &v[n];
		o->type = strdup((const char *)sqlite3_column_text(st, 0));
		o->name = strdup((const char *)sqlite3_column_text(st, 1));
		o->sql = malloc(len);
		n++;
		if (!o->type || !o->name || !o->sql) {
			rc = SQLITE_NOMEM;
			break;
		}
		normalize_sql(sql ? sql : "", o->sql, len);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free_objects(v, n);
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Compares the schema of db with the one this build makes for db's
 * version: data/schema.sql for the latest, the upgrades up to it for an
 * older one, built in a private in-memory database. */
static int check_schema(struct db *db, struct check *ck)
{
	sqlite3 *ref = NULL;
	struct object *want = NULL, *have = NULL;
	size_t nwant = 0, nhave = 0;
	char err[256];
	int rc;

	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
	    != SQLITE_OK) {
		sqlite3_close(ref);
		return -ENOMEM;
	}
	if (db->version == DB_SCHEMA_VERSION) {
		rc = exec(ref, db_schema_sql, "data/schema.sql", err, sizeof err);
	} else {
		rc = 0;
		for (int v = 0; v < db->version && rc == 0; v++)
			rc = exec(ref, db_schema_upgrades[v].sql, db_schema_upgrades[v].name, err,
				  sizeof err);
	}
	if (rc < 0) {
		LOGE(LC_DB, "reference schema failed", "err=%s", err);
		goto out;
	}
	if ((rc = load_objects(ref, &want, &nwant)) < 0 ||
	    (rc = load_objects(db->conn, &have, &nhave)) < 0)
		goto out;

	size_t i = 0, j = 0;
	while (i < nwant || j < nhave) {
		int cmp = i == nwant ? 1 : j == nhave ? -1 : strcmp(want[i].type, have[j].type);
		if (cmp == 0)
			cmp = strcmp(want[i].name, have[j].name);
		if (cmp < 0) {
			problem(ck, "schema: %s %s missing", want[i].type, want[i].name);
			i++;
		} else if (cmp > 0) {
			problem(ck, "schema: unexpected %s %s", have[j].type, have[j].name);
			j++;
		} else {
			if (strcmp(want[i].sql, have[j].sql) != 0)
				problem(ck, "schema: %s %s differs from its definition in version %d",
					have[j].type, have[j].name, db->version);
			i++;
			j++;
		}
	}
	rc = 0;
out:
	free_objects(want, nwant);
	free_objects(have, nhave);
	sqlite3_close(ref);
	return rc;
}

/* FTS5's own check of an external-content index against its table: it
 * reports a mismatch as SQLITE_CORRUPT_VTAB. */
static int check_search(struct db *db, struct check *ck)
{
	long long n;
	char err[256];
	int rc = query1(db->conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
			"AND name = 'merchant_search'", NULL, 0, &n, err, sizeof err);

	if (rc < 0 || n == 0)
		return rc;
	rc = sqlite3_exec(db->conn, "INSERT INTO merchant_search (merchant_search, rank) "
			  "VALUES ('integrity-check', 1)", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	rc = sqlite3_extended_errcode(db->conn);
	if ((rc & 0xff) == SQLITE_CORRUPT) {
		problem(ck, "merchant_search: the name index is out of step with merchant "
			"(rebuild: INSERT INTO merchant_search (merchant_search) VALUES ('rebuild'))");
		return 0;
	}
	return db_errno(rc);
}

int db_check(struct db *db, db_report_fn report, void *arg)
{
	struct check ck = { .report = report, .arg = arg };
	int rc;

	if ((rc = rows_are_problems(db->conn, &ck, "PRAGMA integrity_check", "ok", "integrity")) < 0 ||
	    (rc = rows_are_problems(db->conn, &ck,
		"SELECT 'table ' || \"table\" || ' row ' || coalesce(rowid, '?') || "
		"' refers to a missing ' || parent || ' row' FROM pragma_foreign_key_check",
		NULL, "foreign key")) < 0 ||
	    (rc = check_schema(db, &ck)) < 0 ||
	    (rc = check_search(db, &ck)) < 0)
		return rc;
	return ck.problems;
}
