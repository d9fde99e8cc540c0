/* test_outbox.c -- unit tests of the outbox table (gateway/outbox.c) on a
 * temporary database: an SMS queued inside a transaction commits or rolls
 * back with it, and bad destinations, texts (too long in characters or
 * once encoded) and DFSPs are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/db.h"
#include "gateway/outbox.h"
#include "tests/unit/testdir.h"

static char dir[256];
static char path[300];
static struct db *db;
static struct outbox *ob;

static int setup(void **state)
{
	char err[256];

	(void)state;
	if (testdir_make(dir, sizeof dir, "test_outbox") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	if (db_open(&db, path, 0, err, sizeof err) < 0 || outbox_new(&ob, db, err, sizeof err) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	sqlite3 *raw;
	if (sqlite3_open(path, &raw) != SQLITE_OK ||
	    sqlite3_exec(raw, "INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'A')", NULL, NULL,
			 NULL) != SQLITE_OK)
		return -1;
	sqlite3_close(raw);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	outbox_free(ob);
	db_close(db);
	return testdir_remove(dir);
}

static void queued_with_the_transaction(void **state)
{
	int64_t id = 0, before;

	(void)state;
	before = outbox_count(ob, "sms", "pending");
	assert_true(before >= 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(outbox_sms(ob, "dfspa", "+255712345678", "Your till is 1000017", "10000017", &id), 0);
	assert_true(id > 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(outbox_count(ob, "sms", "pending"), before + 1);
	assert_int_equal(outbox_count(ob, "sms", NULL), before + 1);
	assert_int_equal(outbox_count(ob, "sms", "sent"), 0);

	/* rolled back with the change it reports */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(outbox_sms(ob, NULL, "255712345678", "Karibu", NULL, NULL), 0);
	db_rollback(db);
	assert_int_equal(outbox_count(ob, "sms", "pending"), before + 1);
}

static void refused(void **state)
{
	char big[OUTBOX_SMS_MAX_CHARS + 2];

	(void)state;
	/* no transaction */
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", "x", NULL, NULL), -EINVAL);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(outbox_sms(ob, "dfspa", "25571234567a", "x", NULL, NULL), -EINVAL);
	assert_int_equal(outbox_sms(ob, "dfspa", "12345", "x", NULL, NULL), -EINVAL);
	assert_int_equal(outbox_sms(ob, "dfspa", "1234567890123456", "x", NULL, NULL), -EINVAL);
	assert_int_equal(outbox_sms(ob, "dfspa", "+", "x", NULL, NULL), -EINVAL);
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", "", NULL, NULL), -EINVAL);
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", "bad \xC3", NULL, NULL), -EINVAL);
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", "\xED\xA0\x80", NULL, NULL), -EINVAL);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", big, NULL, NULL), -EINVAL);
	big[OUTBOX_SMS_MAX_CHARS] = '\0';
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", big, NULL, NULL), 0);
	/* 640 two-byte characters are 640 characters */
	char wide[2 * OUTBOX_SMS_MAX_CHARS + 1];
	for (int i = 0; i < OUTBOX_SMS_MAX_CHARS; i++)
		wide[2 * i] = (char)0xC3, wide[2 * i + 1] = (char)0xA9;
	wide[sizeof wide - 1] = '\0';
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", wide, NULL, NULL), 0);
	/* a text that needs UCS-2 fits up to OUTBOX_SMS_MAX_BYTES encoded:
	 * 512 'ç' (not in the GSM alphabet) are 1024 bytes, 513 are too many */
	char cedil[2 * 513 + 1];
	for (int i = 0; i < 513; i++)
		cedil[2 * i] = (char)0xC3, cedil[2 * i + 1] = (char)0xA7;
	cedil[2 * 513] = '\0';
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", cedil, NULL, NULL), -EINVAL);
	cedil[2 * 512] = '\0';
	assert_int_equal(outbox_sms(ob, "dfspa", "255712345678", cedil, NULL, NULL), 0);
	assert_int_equal(outbox_sms(ob, "nosuch", "255712345678", "x", NULL, NULL), -ENOENT);
	db_rollback(db);
}

/* The drain: rows claimed in id order when due, each state change only
 * from the state it expects, receipts by remote id, and rows left
 * 'sending' failed at start (never sent twice). */
static void drained(void **state)
{
	struct outbox_row r;
	int64_t a, b, c;
	(void)state;

	/* rows of the other tests out of the way */
	while (outbox_claim(ob, "sms", INT64_MAX, &r) == 1) {
		assert_int_equal(outbox_fail(ob, r.id, "cleared"), 0);
		outbox_row_free(&r);
	}
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(outbox_sms(ob, NULL, "255700000001", "first", NULL, &a), 0);
	assert_int_equal(outbox_sms(ob, NULL, "255700000002", "second", NULL, &b), 0);
	assert_int_equal(outbox_sms(ob, NULL, "255700000003", "third", NULL, &c), 0);
	assert_int_equal(db_commit(db), 0);

	assert_int_equal(outbox_claim(ob, "sms", 100, &r), 1);
	assert_int_equal(r.id, a);
	assert_string_equal(r.dest, "255700000001");
	assert_string_equal(r.body, "first");
	assert_int_equal(r.attempts, 1);
	outbox_row_free(&r);
	/* a second claim takes the next row, not the one 'sending' */
	assert_int_equal(outbox_claim(ob, "sms", 100, &r), 1);
	assert_int_equal(r.id, b);
	outbox_row_free(&r);
	assert_int_equal(outbox_count(ob, "sms", "sending"), 2);

	/* a retries later; b is sent, then delivered */
	assert_int_equal(outbox_retry(ob, a, 200, "link down"), 0);
	assert_int_equal(outbox_retry(ob, a, 200, "twice"), -ENOENT);
	assert_int_equal(outbox_sent(ob, b, "msg-b"), 0);
	assert_int_equal(outbox_sent(ob, b, "msg-b"), -ENOENT);
	assert_int_equal(outbox_receipt(ob, "sms", "msg-b", 1, NULL), 0);
	assert_int_equal(outbox_receipt(ob, "sms", "msg-b", 1, NULL), -ENOENT);
	assert_int_equal(outbox_receipt(ob, "sms", "nosuch", 0, "UNDELIV"), -ENOENT);
	assert_int_equal(outbox_count(ob, "sms", "delivered"), 1);

	/* at 150, a is not due again: c comes first */
	assert_int_equal(outbox_claim(ob, "sms", 150, &r), 1);
	assert_int_equal(r.id, c);
	outbox_row_free(&r);
	assert_int_equal(outbox_claim(ob, "sms", 150, &r), 0);
	assert_int_equal(outbox_claim(ob, "sms", 200, &r), 1);
	assert_int_equal(r.id, a);
	assert_int_equal(r.attempts, 2);
	outbox_row_free(&r);

	/* a restart: both rows in flight fail, none is pending again */
	assert_int_equal(outbox_recover(ob, "sms", "in flight at restart"), 2);
	assert_int_equal(outbox_count(ob, "sms", "sending"), 0);
	assert_int_equal(outbox_claim(ob, "sms", 1000, &r), 0);
	assert_int_equal(outbox_fail(ob, a, "again"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queued_with_the_transaction),
		cmocka_unit_test(refused),
		cmocka_unit_test(drained),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
