/* testdb.h -- raw SQL on a test's database file through a connection of
 * its own (as another process would see it), for setting up rows the API
 * under test does not make and for counting what it wrote. Header-only,
 * for tests/unit/ alone; include after <cmocka.h>. */
#ifndef TESTDB_H
#define TESTDB_H

#include <stdarg.h>
#include <stdio.h>

#include <sqlite3.h>

/* Runs sql (one or more statements) on the file at path; fails the test
 * with SQLite's message if it does not succeed. */
static inline void testdb_exec(const char *path, const char *sql)
{
	sqlite3 *c;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	sqlite3_busy_timeout(c, 2000);
	int rc = sqlite3_exec(c, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		print_error("raw SQL failed: %s\n", msg);
	sqlite3_free(msg);
	assert_int_equal(rc, SQLITE_OK);
	sqlite3_close(c);
}

/* The first column of the first row of a query made from fmt, or -1 if
 * it returns no row. */
static inline long long testdb_count(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline long long testdb_count(const char *path, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	sqlite3 *c;
	sqlite3_stmt *st;
	long long n = -1;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(c);
	return n;
}

#endif /* TESTDB_H */
