/* test_auth.c -- unit tests of gateway/auth.c against a temporary
 * database file: DFSPs and keys created, duplicates and bad values
 * refused, Bearer authentication (good key, unknown, revoked, malformed,
 * wrong secret behind a right key id), secrets stored only hashed, an
 * audit row per change with the chain intact, the role rules of a
 * dfsp-admin actor, and the first-start bootstrap done once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/testdir.h"
#include <sqlite3.h>

#include "gateway/audit.h"
#include "gateway/auth.h"
#include "gateway/db.h"
#include "gateway/log.h"

static char dir[256];
static char path[300];
static int nfile;
static struct db *db;

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	log_set_levels("error", err, sizeof err);
	return testdir_make(dir, sizeof dir, "test_auth");
}

static int group_teardown(void **state)
{
	(void)state;
	return testdir_remove(dir);
}

/* A fresh database per test. */
static int setup(void **state)
{
	(void)state;
	char err[256];
	snprintf(path, sizeof path, "%s/%d.db", dir, ++nfile);
	return db_open(&db, path, 0, err, sizeof err) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	db_close(db);
	db = NULL;
	return 0;
}

/* One integer from raw SQL, through a second connection. */
static long long q(const char *sql)
{
	sqlite3 *c;
	sqlite3_stmt *s;
	long long v = -1;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(c);
	return v;
}

static void chain_ok(long long rows)
{
	struct audit_summary sum;
	assert_int_equal(audit_verify(db, NULL, NULL, &sum), 0);
	assert_int_equal(sum.rows, rows);
}

static int count_dfsp(void *arg, const struct auth_dfsp *d)
{
	(void)d;
	++*(int *)arg;
	return 0;
}

static void test_dfsp_create(void **state)
{
	(void)state;
	struct auth_dfsp d;
	int n = 0;

	assert_int_equal(auth_dfsp_create(db, "bank-a", "Bank A", NULL), 0);
	assert_int_equal(auth_dfsp_create(db, "B_2.x", "Bank B", NULL), 0);
	assert_int_equal(auth_dfsp_create(db, "bank-a", "Again", NULL), -EEXIST);
	assert_int_equal(auth_dfsp_get(db, "bank-a", &d), 0);
	assert_string_equal(d.name, "Bank A");
	assert_string_equal(d.status, "ACTIVE");
	assert_int_equal(auth_dfsp_get(db, "nope", &d), -ENOENT);
	assert_int_equal(auth_dfsp_list(db, count_dfsp, &n), 0);
	assert_int_equal(n, 2);

	/* the FSP id rules and their edges */
	char id32[33], id33[34], name[AUTH_DFSP_NAME_MAX + 2];
	memset(id32, 'a', 32), id32[32] = '\0';
	memset(id33, 'a', 33), id33[33] = '\0';
	assert_int_equal(auth_dfsp_create(db, id32, "Long", NULL), 0);
	assert_int_equal(auth_dfsp_create(db, id33, "Long", NULL), -EINVAL);
	assert_int_equal(auth_dfsp_create(db, "", "Empty", NULL), -EINVAL);
	assert_int_equal(auth_dfsp_create(db, "a b", "Space", NULL), -EINVAL);
	assert_int_equal(auth_dfsp_create(db, "a/b", "Slash", NULL), -EINVAL);
	assert_int_equal(auth_dfsp_create(db, "ok", "", NULL), -EINVAL);
	assert_int_equal(auth_dfsp_create(db, "ok", "tab\there", NULL), -EINVAL);
	memset(name, 'n', sizeof name - 1), name[sizeof name - 1] = '\0';
	assert_int_equal(auth_dfsp_create(db, "ok", name, NULL), -EINVAL);
	name[AUTH_DFSP_NAME_MAX] = '\0';
	assert_int_equal(auth_dfsp_create(db, "ok", name, NULL), 0);
	/* four creations, four audit rows, nothing for the refusals */
	assert_int_equal(q("SELECT count(*) FROM audit WHERE entity = 'dfsp'"), 4);
	chain_ok(4);
}

static void test_key_create_and_bearer(void **state)
{
	(void)state;
	char key[AUTH_KEY_SIZE], id[AUTH_KEY_ID_LEN + 1], h[200];
	struct auth_actor a;

	assert_int_equal(auth_dfsp_create(db, "bank-a", "Bank A", NULL), 0);
	assert_int_equal(auth_key_create(db, "bank-a", ROLE_MAKER, "alice", NULL, key, id), 0);
	assert_int_equal(strlen(key), AUTH_KEY_SIZE - 1);
	assert_int_equal(strncmp(key, id, AUTH_KEY_ID_LEN), 0);
	assert_int_equal(key[AUTH_KEY_ID_LEN], '.');

	snprintf(h, sizeof h, "Bearer %s", key);
	assert_int_equal(auth_bearer(db, h, &a), 0);
	assert_string_equal(a.key_id, id);
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.dfsp, "bank-a");
	assert_int_equal(a.role, ROLE_MAKER);
	snprintf(h, sizeof h, "bearer   %s", key);
	assert_int_equal(auth_bearer(db, h, &a), 0);

	/* malformed */
	assert_int_equal(auth_bearer(db, NULL, &a), -EACCES);
	assert_int_equal(auth_bearer(db, "", &a), -EACCES);
	assert_int_equal(auth_bearer(db, key, &a), -EACCES); /* no scheme */
	snprintf(h, sizeof h, "Basic %s", key);
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);
	snprintf(h, sizeof h, "Bearer %.*s", AUTH_KEY_SIZE - 2, key); /* one short */
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);
	snprintf(h, sizeof h, "Bearer %sA", key); /* one long */
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);
	snprintf(h, sizeof h, "Bearer %s", id); /* the id alone */
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);
	snprintf(h, sizeof h, "Bearer %s", key);
	h[7 + AUTH_KEY_ID_LEN + 5] = '=';
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);

	/* a wrong secret behind the right key id: flip one character */
	snprintf(h, sizeof h, "Bearer %s", key);
	char *c = h + 7 + AUTH_KEY_ID_LEN + 1;
	*c = *c == 'A' ? 'B' : 'A';
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);

	/* the right secret behind an unknown key id */
	snprintf(h, sizeof h, "Bearer %s", key);
	h[7 + 3] = h[7 + 3] == '0' ? '1' : '0';
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);

	/* stored hashed: neither the key nor its secret is in any column */
	char sql[400];
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM api_key WHERE instr(secret_sha256, '%s') OR "
		 "instr(user_name, '%s') OR key_id <> '%s'",
		 key + AUTH_KEY_ID_LEN + 1, key + AUTH_KEY_ID_LEN + 1, id);
	assert_int_equal(q(sql), 0);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE instr(after_json, '%s')",
		 key + AUTH_KEY_ID_LEN + 1);
	assert_int_equal(q(sql), 0);
	assert_int_equal(q("SELECT length(secret_sha256) FROM api_key"), 64);

	/* revoked */
	assert_int_equal(auth_key_revoke(db, id, NULL), 0);
	snprintf(h, sizeof h, "Bearer %s", key);
	assert_int_equal(auth_bearer(db, h, &a), -EACCES);
	assert_int_equal(auth_key_revoke(db, id, NULL), -EALREADY);
	assert_int_equal(auth_key_revoke(db, "tg_0000000000000000", NULL), -ENOENT);
	assert_int_equal(q("SELECT count(*) FROM audit WHERE entity = 'api_key'"), 2);
	assert_int_equal(q("SELECT count(*) FROM audit WHERE action = 'revoke'"), 1);
	chain_ok(3);
}

static int collect_key(void *arg, const struct auth_key_info *k)
{
	struct auth_key_info *v = arg;
	for (int i = 0; i < 8; i++)
		if (!v[i].key_id[0]) {
			v[i] = *k;
			break;
		}
	return 0;
}

static void test_key_rules(void **state)
{
	(void)state;
	char key[AUTH_KEY_SIZE], id[AUTH_KEY_ID_LEN + 1], id2[AUTH_KEY_ID_LEN + 1];
	char h[200];
	struct auth_actor a, adm;

	assert_int_equal(auth_dfsp_create(db, "bank-a", "Bank A", NULL), 0);
	assert_int_equal(auth_dfsp_create(db, "bank-b", "Bank B", NULL), 0);
	/* hub-admin has no DFSP; every other role has one that exists */
	assert_int_equal(auth_key_create(db, "bank-a", ROLE_HUB_ADMIN, NULL, NULL, key, id),
			 -EINVAL);
	assert_int_equal(auth_key_create(db, NULL, ROLE_MAKER, NULL, NULL, key, id), -EINVAL);
	assert_int_equal(auth_key_create(db, "nope", ROLE_MAKER, NULL, NULL, key, id), -ENOENT);
	assert_int_equal(auth_key_create(db, "bank-a", ROLE__COUNT, NULL, NULL, key, id), -EINVAL);
	assert_int_equal(auth_key_create(db, "bank-a", ROLE_MAKER, "a\nb", NULL, key, id), -EINVAL);
	assert_int_equal(q("SELECT count(*) FROM api_key"), 0);

	assert_int_equal(auth_key_create(db, NULL, ROLE_HUB_ADMIN, NULL, NULL, key, id), 0);
	snprintf(h, sizeof h, "Bearer %s", key);
	assert_int_equal(auth_bearer(db, h, &a), 0);
	assert_string_equal(a.dfsp, "");
	assert_string_equal(a.user, id); /* the default user is the key id */
	assert_int_equal(a.role, ROLE_HUB_ADMIN);

	/* a dfsp-admin makes keys of its own DFSP only */
	assert_int_equal(auth_key_create(db, "bank-a", ROLE_DFSP_ADMIN, "boss", &a, key, id), 0);
	snprintf(h, sizeof h, "Bearer %s", key);
	assert_int_equal(auth_bearer(db, h, &adm), 0);
	assert_int_equal(auth_key_create(db, "bank-a", ROLE_CHECKER, "carol", &adm, key, id2), 0);
	assert_int_equal(auth_key_create(db, "bank-b", ROLE_CHECKER, "eve", &adm, key, id), -ENOENT);
	assert_int_equal(auth_key_create(db, NULL, ROLE_HUB_ADMIN, "eve", &adm, key, id), -EACCES);
	assert_int_equal(auth_dfsp_create(db, "bank-c", "Bank C", &adm), -EACCES);
	assert_int_equal(q("SELECT count(*) FROM audit WHERE actor = 'boss' AND role = 'dfsp-admin'"),
			 1);

	/* listing: never a secret, filtered by DFSP */
	struct auth_key_info v[8];
	memset(v, 0, sizeof v);
	assert_int_equal(auth_key_list(db, "bank-a", collect_key, v), 0);
	assert_string_equal(v[0].role == ROLE_DFSP_ADMIN ? v[0].user : v[1].user, "boss");
	assert_string_equal(v[1].user[0] == 'c' ? v[1].dfsp : v[0].dfsp, "bank-a");
	assert_string_equal(v[2].key_id, "");
	memset(v, 0, sizeof v);
	assert_int_equal(auth_key_list(db, NULL, collect_key, v), 0);
	assert_string_equal(v[3].key_id, "");
	assert_string_not_equal(v[2].key_id, "");

	/* a dfsp-admin revokes its own DFSP's keys, not the hub's */
	struct auth_actor other = adm;
	snprintf(other.dfsp, sizeof other.dfsp, "bank-b");
	assert_int_equal(auth_key_revoke(db, id2, &other), -ENOENT);
	assert_int_equal(auth_key_revoke(db, id2, &adm), 0);
	chain_ok(6);
}

static void test_bootstrap(void **state)
{
	(void)state;
	struct auth_boot b, b2;
	struct auth_actor a;
	char h[200];

	assert_int_equal(auth_bootstrap(db, &b), 0);
	assert_int_equal(b.created, 1);
	assert_int_equal(strlen(b.hub_key), AUTH_KEY_SIZE - 1);
	snprintf(h, sizeof h, "Bearer %s", b.hub_key);
	assert_int_equal(auth_bearer(db, h, &a), 0);
	assert_int_equal(a.role, ROLE_HUB_ADMIN);
	snprintf(h, sizeof h, "Bearer %s", b.demo_key);
	assert_int_equal(auth_bearer(db, h, &a), 0);
	assert_int_equal(a.role, ROLE_DFSP_ADMIN);
	assert_string_equal(a.dfsp, AUTH_DEMO_FSP_ID);
	assert_int_equal(q("SELECT count(*) FROM api_key"), 2);
	assert_int_equal(q("SELECT count(*) FROM dfsp"), 1);
	chain_ok(3);

	/* the second start makes nothing */
	assert_int_equal(auth_bootstrap(db, &b2), 0);
	assert_int_equal(b2.created, 0);
	assert_string_equal(b2.hub_key, "");
	assert_int_equal(q("SELECT count(*) FROM api_key"), 2);
	chain_ok(3);
	assert_int_equal(db_in_transaction(db), 0);
}

static void test_bootstrap_existing_demo(void **state)
{
	(void)state;
	struct auth_boot b;
	/* the demo DFSP made by hand before the first start, still no key */
	assert_int_equal(auth_dfsp_create(db, AUTH_DEMO_FSP_ID, "Mine", NULL), 0);
	assert_int_equal(auth_bootstrap(db, &b), 0);
	assert_int_equal(b.created, 1);
	assert_int_equal(q("SELECT count(*) FROM dfsp"), 1);
	assert_int_equal(q("SELECT count(*) FROM api_key WHERE dfsp = 'demo-dfsp'"), 1);
	chain_ok(3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dfsp_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_create_and_bearer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_existing_demo, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
