/* test_merchant.c -- unit tests of the merchant registry (merchant/merchant.c)
 * on a temporary database: validation with every error listed, ids with
 * Luhn digits, sequential and random allocation, status actions with
 * maker-checker and tenancy, audit rows in the same transaction, list
 * filters and cursor pagination, patch rules, tills, self-registration,
 * documents (content-addressed files, size limit), tier requests, and
 * the KYB requirements of a tier (gaps, and approvals refused without). */
#include <dirent.h>
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

#include "tests/unit/testdb.h"
#include "tests/unit/testdir.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "kyb/kyb_check.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"

static char dir[256];
static char path[300];
static int nfile;
static struct db *db;
static struct merchant_reg *reg;
static struct kyb_mcc *mcc;
static struct kyb_tiers *tiers;

static const struct merchant_actor maker = { "alice", "dfspa", ROLE_MAKER };
static const struct merchant_actor maker2 = { "anna", "dfspa", ROLE_MAKER };
static const struct merchant_actor checker = { "bob", "dfspa", ROLE_CHECKER };
static const struct merchant_actor admin = { "ada", "dfspa", ROLE_DFSP_ADMIN };
static const struct merchant_actor other = { "carol", "dfspb", ROLE_CHECKER };
static const struct merchant_actor other_maker = { "cid", "dfspb", ROLE_MAKER };
static const struct merchant_actor hub = { "root", NULL, ROLE_HUB_ADMIN };
static const struct merchant_actor auditor = { "aud", "dfspa", ROLE_AUDITOR };

static const struct merchant_owner_in good_owner = { "Juma Hassan", "national_id",
						     "19900101123450000112", "+255712345678" };
static const struct merchant_location_in good_loc = { "Main shop", "Dar es Salaam",
						      "Kariakoo St 5", 1, -6.8, 39.28 };

static struct merchant_in good(const char *name)
{
	struct merchant_in in = {
		.trading_name = name, .legal_name = "Juma Hassan Enterprises", .type = "small_shop",
		.mcc = "5411", .tier = "T1", .settlement_account = "ACC-001",
		.contact_phone = "+255712345678", .contact_email = "juma@example.com",
		.permit_no = "TP-2024-0001",
		.owners = &good_owner, .n_owners = 1, .locations = &good_loc, .n_locations = 1,
	};
	return in;
}

static int group_setup(void **state)
{
	(void)state;
	char err[64];
	if (testdir_make(dir, sizeof dir, "test_merchant") < 0)
		return -1;
	log_set_levels("error", err, sizeof err);
	if (kyb_mcc_builtin(&mcc, err, sizeof err) < 0 || kyb_tiers_builtin(&tiers, NULL) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	kyb_mcc_free(mcc);
	kyb_tiers_free(tiers);
	testdir_remove(dir);
	return 0;
}

static void raw(const char *sql)
{
	testdb_exec(path, sql);
}

static long long count(const char *sql)
{
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

static int open_reg(enum merchant_id_scheme scheme, int mdigits, int tdigits)
{
	char err[256];
	struct merchant_reg_opts o = {
		.id_scheme = scheme, .merchant_id_digits = mdigits, .till_digits = tdigits,
		.data_dir = dir, .country = "TZ", .tiers = tiers, .mcc = mcc,
	};
	snprintf(path, sizeof path, "%s/db%d.sqlite", dir, nfile++);
	if (db_open(&db, path, 0, err, sizeof err) < 0) {
		print_error("db_open: %s\n", err);
		return -1;
	}
	raw("INSERT INTO dfsp (fsp_id, name) VALUES ('dfspa', 'DFSP A'), ('dfspb', 'DFSP B')");
	if (merchant_reg_new(&reg, db, &o, err, sizeof err) < 0) {
		print_error("merchant_reg_new: %s\n", err);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return open_reg(MERCHANT_ID_SEQUENTIAL, 8, 7);
}

static int setup_random(void **state)
{
	(void)state;
	return open_reg(MERCHANT_ID_RANDOM, 10, 9);
}

static int teardown(void **state)
{
	(void)state;
	merchant_reg_free(reg);
	db_close(db);
	reg = NULL;
	db = NULL;
	return 0;
}

static void create_ok(const struct merchant_actor *a, const char *name, char id[MERCHANT_ID_MAX])
{
	struct merchant_errs errs;
	struct merchant_in in = good(name);
	int rc = merchant_create(reg, a, &in, id, &errs);
	for (int i = 0; i < errs.n; i++)
		print_error("%s: %s\n", errs.e[i].field, errs.e[i].message);
	assert_int_equal(rc, 0);
}

/* Gives merchant id the documents tier T1 (t2: T2) requires, uploaded by
 * the maker and verified by the checker, and its owners' IDs verified by
 * the checker (merchant_doc_review(), merchant_owner_verify()). */
static void kyb_complete(const char *id, int t2)
{
	static const char *const types[] = { "national_id", "trading_permit",
					     "registration_certificate", "tax_certificate" };
	char err[256];
	long long doc;
	json_t *m, *o;
	size_t i;

	for (int k = 0; k < (t2 ? 4 : 2); k++) {
		assert_int_equal(merchant_doc_add(reg, &maker, id, types[k], "application/pdf",
						  types[k], strlen(types[k]), &doc, NULL), 0);
		assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 1, NULL, err, sizeof err,
						     NULL), 0);
	}
	assert_int_equal(merchant_get_json(reg, &admin, id, &m), 0);
	json_array_foreach(json_object_get(m, "owners"), i, o)
		assert_int_equal(merchant_owner_verify(reg, &checker, id,
						       json_integer_value(json_object_get(o, "id")), 1,
						       NULL, err, sizeof err, NULL), 0);
	json_decref(m);
}

static void audit_clean(void)
{
	assert_int_equal(audit_verify(db, NULL, NULL, NULL), 0);
}

static const char *status_of(const char *id)
{
	static char s[32];
	json_t *m;
	assert_int_equal(merchant_get_json(reg, &admin, id, &m), 0);
	snprintf(s, sizeof s, "%s", json_string_value(json_object_get(m, "status")));
	json_decref(m);
	return s;
}

static int has_err(const struct merchant_errs *e, const char *field)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->e[i].field, field) == 0)
			return 1;
	return 0;
}

/* ---- tests ---- */

static void test_create_valid(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], id2[MERCHANT_ID_MAX];
	json_t *m;

	create_ok(&maker, "Juma Shop", id);
	assert_int_equal(strlen(id), 8);
	assert_true(kyb_luhn_ok(id));
	assert_true(merchant_id_valid(id, 8));
	create_ok(&admin, "Second Shop", id2);
	assert_true(strcmp(id2, id) > 0); /* sequential ids increase */
	assert_true(atoll(id2) / 10 == atoll(id) / 10 + 1);

	assert_int_equal(merchant_get_json(reg, &maker, id, &m), 0);
	assert_string_equal(json_string_value(json_object_get(m, "status")), "DRAFT");
	assert_string_equal(json_string_value(json_object_get(m, "trading_name")), "Juma Shop");
	assert_string_equal(json_string_value(json_object_get(m, "dfsp")), "dfspa");
	assert_string_equal(json_string_value(json_object_get(m, "created_by")), "alice");
	json_t *owners = json_object_get(m, "owners");
	assert_int_equal(json_array_size(owners), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(owners, 0), "phone")),
			    "+255712345678");
	json_t *locs = json_object_get(m, "locations");
	assert_int_equal(json_array_size(locs), 1);
	json_t *loc = json_array_get(locs, 0);
	assert_string_equal(json_string_value(json_object_get(loc, "city")), "Dar es Salaam");
	json_t *tills = json_object_get(loc, "tills");
	assert_int_equal(json_array_size(tills), 1);
	const char *till = json_string_value(json_object_get(json_array_get(tills, 0), "till_number"));
	assert_non_null(till);
	assert_int_equal(strlen(till), 7);
	assert_true(merchant_id_valid(till, 7));
	json_decref(m);

	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'create'"), 2);
	assert_int_equal(count("SELECT count(*) FROM till"), 2);
	audit_clean();
}

static void test_create_invalid(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX] = "";
	struct merchant_errs errs;
	struct merchant_owner_in owners[2] = {
		good_owner,
		{ "", "passport_x", "19900101123450000112", "+25571234567x" },
	};
	struct merchant_location_in locs[1] = { { "Shop", "A city far too long", NULL, 1, 91, 0 } };
	struct merchant_in in = good("A trading name that is too long");
	in.mcc = "0001";
	in.type = "kiosk";
	in.tier = "T7";
	in.contact_email = "nobody";
	in.owners = owners;
	in.n_owners = 2;
	in.locations = locs;

	assert_int_equal(merchant_create(reg, &maker, &in, id, &errs), -EINVAL);
	const char *want[] = { "trading_name", "type", "mcc", "tier", "contact_email",
			       "owners[1].name", "owners[1].id_type", "owners[1].phone",
			       "locations[0].city", "locations[0].lat" };
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		if (!has_err(&errs, want[i]))
			print_error("missing error for %s\n", want[i]);
		assert_true(has_err(&errs, want[i]));
	}
	assert_int_equal(errs.n, (int)(sizeof want / sizeof *want));
	assert_false(has_err(&errs, "owners[0].phone"));
	assert_non_null(strstr(errs.e[0].message, "trading_name"));

	/* No owners, no locations; a bad national ID. */
	in = good("Shop");
	struct merchant_owner_in bad_id = good_owner;
	bad_id.id_number = "19901301123450000112";
	in.owners = &bad_id;
	in.n_locations = 0;
	assert_int_equal(merchant_create(reg, &maker, &in, id, &errs), -EINVAL);
	assert_true(has_err(&errs, "owners[0].id_number"));
	assert_true(has_err(&errs, "locations"));
	in.n_owners = 0;
	assert_int_equal(merchant_create(reg, &maker, &in, id, &errs), -EINVAL);
	assert_true(has_err(&errs, "owners"));

	assert_int_equal(count("SELECT count(*) FROM merchant"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit"), 0);
}

static void test_create_roles(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX];
	struct merchant_errs errs;
	struct merchant_in in = good("Shop");

	assert_int_equal(merchant_create(reg, &checker, &in, id, &errs), -EACCES);
	assert_int_equal(merchant_create(reg, &hub, &in, id, &errs), -EACCES);
	assert_int_equal(merchant_create(reg, &auditor, &in, id, &errs), -EACCES);
	struct merchant_actor ghost = { "g", "nosuchdfsp", ROLE_MAKER };
	assert_int_equal(merchant_create(reg, &ghost, &in, id, &errs), -ENOENT);
	assert_int_equal(count("SELECT count(*) FROM merchant"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit"), 0);
}

static void test_random_ids(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX];
	for (int i = 0; i < 20; i++) {
		create_ok(&maker, "Random", id);
		assert_true(merchant_id_valid(id, 10));
		assert_true(id[0] != '0');
	}
	assert_int_equal(count("SELECT count(*) FROM till WHERE length(till_number) = 9"), 20);
	assert_int_equal(count("SELECT count(*) FROM id_alloc"), 0);
	audit_clean();
}

static void test_approve_flow(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256];
	json_t *m;

	create_ok(&maker, "Juma Shop", id);
	kyb_complete(id, 0);
	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_string_equal(status_of(id), "SUBMITTED");

	/* maker == checker: refused, nothing changed */
	struct merchant_actor self_check = { "alice", "dfspa", ROLE_DFSP_ADMIN };
	long long audits = count("SELECT count(*) FROM audit");
	assert_int_equal(merchant_act(reg, &self_check, id, MA_APPROVE, NULL, err, sizeof err),
			 -EACCES);
	assert_string_equal(status_of(id), "SUBMITTED");
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);
	assert_int_equal(count("SELECT version FROM merchant"), 2);

	/* another DFSP: not found */
	assert_int_equal(merchant_act(reg, &other, id, MA_APPROVE, NULL, err, sizeof err), -ENOENT);
	assert_int_equal(merchant_get_json(reg, &other, id, &m), -ENOENT);
	assert_null(m);
	/* a maker may not approve */
	assert_int_equal(merchant_act(reg, &maker2, id, MA_APPROVE, NULL, err, sizeof err), -EACCES);
	/* a hub-admin reads but never writes */
	assert_int_equal(merchant_act(reg, &hub, id, MA_APPROVE, NULL, err, sizeof err), -EACCES);
	assert_int_equal(merchant_get_json(reg, &hub, id, &m), 0);
	assert_int_equal(json_array_size(json_object_get(m, "locations")), 1);
	json_decref(m);

	assert_int_equal(merchant_act(reg, &checker, id, MA_APPROVE, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_get_json(reg, &checker, id, &m), 0);
	assert_string_equal(json_string_value(json_object_get(m, "status")), "APPROVED");
	assert_string_equal(json_string_value(json_object_get(m, "submitted_by")), "alice");
	assert_string_equal(json_string_value(json_object_get(m, "checked_by")), "bob");
	json_decref(m);

	/* forbidden transition, reason required */
	assert_int_equal(merchant_act(reg, &checker, id, MA_APPROVE, NULL, err, sizeof err), -EPERM);
	assert_int_equal(merchant_act(reg, &checker, id, MA_SUSPEND, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(merchant_act(reg, &checker, id, MA_SUSPEND, "", err, sizeof err), -EINVAL);
	assert_string_equal(status_of(id), "APPROVED");
	assert_int_equal(merchant_act(reg, &checker, id, MA_SUSPEND, "fraud report", err, sizeof err),
			 0);
	assert_string_equal(status_of(id), "SUSPENDED");
	assert_int_equal(merchant_act(reg, &checker, id, MA_REINSTATE, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(merchant_act(reg, &checker, id, MA_REINSTATE, "cleared", err, sizeof err), 0);
	assert_int_equal(merchant_act(reg, &admin, id, MA_CLOSE, NULL, err, sizeof err), 0);
	assert_string_equal(status_of(id), "CLOSED");
	assert_int_equal(merchant_act(reg, &admin, id, MA_CLOSE, NULL, err, sizeof err), -EPERM);
	assert_int_equal(merchant_act(reg, &admin, "99999997", MA_CLOSE, NULL, err, sizeof err),
			 -ENOENT);

	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity_id = (SELECT merchant_id "
			       "FROM merchant)"), 6);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'approve' AND actor = 'bob' "
			       "AND role = 'checker' AND json_extract(before_json, '$.status') = "
			       "'SUBMITTED' AND json_extract(after_json, '$.status') = 'APPROVED'"),
			 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'suspend' AND "
			       "json_extract(after_json, '$.status_reason') = 'fraud report'"), 1);
	audit_clean();
}

static void test_reject_revert(void **state)
{
	(void)state;
	char a[MERCHANT_ID_MAX], b[MERCHANT_ID_MAX], err[256];

	create_ok(&maker, "Shop A", a);
	create_ok(&maker, "Shop B", b);
	kyb_complete(b, 0);
	assert_int_equal(merchant_act(reg, &maker, a, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_act(reg, &maker, b, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_act(reg, &checker, a, MA_REJECT, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(merchant_act(reg, &checker, a, MA_REJECT, "fake ID", err, sizeof err), 0);
	assert_string_equal(status_of(a), "REJECTED");
	assert_int_equal(merchant_act(reg, &maker, a, MA_SUBMIT, NULL, err, sizeof err), -EPERM);
	assert_int_equal(merchant_act(reg, &checker, b, MA_REVERT, "photo unreadable", err,
				      sizeof err), 0);
	assert_string_equal(status_of(b), "REVERTED");
	/* re-submitted by another maker: now alice may check it */
	assert_int_equal(merchant_act(reg, &maker2, b, MA_SUBMIT, NULL, err, sizeof err), 0);
	struct merchant_actor alice_admin = { "alice", "dfspa", ROLE_DFSP_ADMIN };
	assert_int_equal(merchant_act(reg, &alice_admin, b, MA_APPROVE, NULL, err, sizeof err), 0);
	audit_clean();
}

static void test_list(void **state)
{
	(void)state;
	char ids[25][MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], err[256], name[32], cursor[MERCHANT_CURSOR_MAX];
	json_t *items;

	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof name, "%s %02d", i % 5 == 0 ? "Mama Ntilie" : "Duka", i);
		create_ok(i % 2 ? &maker : &maker2, name, ids[i]);
		if (i % 3 == 0)
			assert_int_equal(merchant_act(reg, &maker, ids[i], MA_SUBMIT, NULL, err,
						      sizeof err), 0);
	}
	create_ok(&other_maker, "Mama Other DFSP", x);

	/* all of dfspa, 10 a page: 10, 10, 5, in merchant_id order, no repeats */
	struct merchant_filter f = { .limit = 10 };
	int seen = 0;
	char last[MERCHANT_ID_MAX] = "";
	for (int page = 0; page < 3; page++) {
		assert_int_equal(merchant_list(reg, &maker, &f, &items, cursor), 0);
		assert_int_equal(json_array_size(items), page < 2 ? 10 : 5);
		size_t i;
		json_t *m;
		json_array_foreach(items, i, m) {
			const char *id = json_string_value(json_object_get(m, "merchant_id"));
			assert_true(strcmp(id, last) > 0);
			assert_string_equal(id, ids[seen]);
			snprintf(last, sizeof last, "%s", id);
			seen++;
		}
		json_decref(items);
		if (page < 2)
			assert_true(cursor[0] != '\0');
		else
			assert_string_equal(cursor, "");
		static char keep[MERCHANT_CURSOR_MAX];
		memcpy(keep, cursor, sizeof keep);
		f.cursor = keep;
	}
	assert_int_equal(seen, 25);

	/* filters */
	struct merchant_filter fs = { .status = "SUBMITTED" };
	assert_int_equal(merchant_list(reg, &maker, &fs, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 9); /* 0, 3, ..., 24 */
	json_decref(items);
	struct merchant_filter ft = { .tier = "T1", .status = "DRAFT" };
	assert_int_equal(merchant_list(reg, &maker, &ft, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 16);
	json_decref(items);
	struct merchant_filter fq = { .text = "ntilie" };
	assert_int_equal(merchant_list(reg, &maker, &fq, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 5); /* not the other DFSP's */
	json_decref(items);
	struct merchant_filter fshort = { .text = "07" };
	assert_int_equal(merchant_list(reg, &maker, &fshort, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	struct merchant_filter fpct = { .text = "%" };
	assert_int_equal(merchant_list(reg, &maker, &fpct, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
	/* the other DFSP sees only its own; hub-admin sees all */
	struct merchant_filter all = { .limit = 200 };
	assert_int_equal(merchant_list(reg, &other, &all, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	assert_int_equal(merchant_list(reg, &hub, &all, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 26);
	json_decref(items);
	/* bad filters */
	struct merchant_filter bad1 = { .cursor = "x123" }, bad2 = { .status = "draft" },
			       bad3 = { .limit = 201 }, bad4 = { .tier = "T9" };
	assert_int_equal(merchant_list(reg, &maker, &bad1, &items, cursor), -EINVAL);
	assert_int_equal(merchant_list(reg, &maker, &bad2, &items, cursor), -EINVAL);
	assert_int_equal(merchant_list(reg, &maker, &bad3, &items, cursor), -EINVAL);
	assert_int_equal(merchant_list(reg, &maker, &bad4, &items, cursor), -EINVAL);
	assert_null(items);
}

static void test_patch(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256];
	struct merchant_errs errs;
	json_t *m;

	create_ok(&maker, "Old Name", id);
	struct merchant_patch p = { .trading_name = "New Name", .mcc = "5812" };
	assert_int_equal(merchant_patch(reg, &maker2, id, &p, &errs), 0);
	assert_int_equal(merchant_get_json(reg, &maker, id, &m), 0);
	assert_string_equal(json_string_value(json_object_get(m, "trading_name")), "New Name");
	assert_string_equal(json_string_value(json_object_get(m, "mcc")), "5812");
	assert_string_equal(json_string_value(json_object_get(m, "legal_name")),
			    "Juma Hassan Enterprises"); /* untouched */
	assert_int_equal(json_integer_value(json_object_get(m, "version")), 2);
	json_decref(m);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'update' AND "
			       "json_extract(before_json, '$.trading_name') = 'Old Name' AND "
			       "json_extract(after_json, '$.trading_name') = 'New Name'"), 1);
	/* the search index follows */
	struct merchant_filter fq = { .text = "new name" };
	json_t *items;
	char cursor[MERCHANT_CURSOR_MAX];
	assert_int_equal(merchant_list(reg, &maker, &fq, &items, cursor), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);

	struct merchant_patch bad = { .trading_name = " padded", .contact_phone = "0712345678",
				      .mcc = "12" };
	assert_int_equal(merchant_patch(reg, &maker, id, &bad, &errs), -EINVAL);
	assert_int_equal(errs.n, 3);
	assert_true(has_err(&errs, "contact_phone"));
	assert_int_equal(merchant_patch(reg, &checker, id, &p, &errs), -EACCES);
	assert_int_equal(merchant_patch(reg, &other_maker, id, &p, &errs), -ENOENT);

	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_patch(reg, &maker, id, &p, &errs), -EPERM);
	assert_int_equal(merchant_act(reg, &checker, id, MA_REVERT, "fix", err, sizeof err), 0);
	assert_int_equal(merchant_patch(reg, &maker, id, &p, &errs), 0);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'update'"), 2);
	audit_clean();
}

static void test_tills(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], till[MERCHANT_ID_MAX], err[256];

	create_ok(&maker, "Shop", id);
	create_ok(&other_maker, "Other", x);
	long long loc = count("SELECT id FROM location WHERE dfsp = 'dfspa'");
	long long xloc = count("SELECT id FROM location WHERE dfsp = 'dfspb'");
	assert_int_equal(merchant_till_add(reg, &maker, id, loc, "Counter 2", till), 0);
	assert_true(merchant_id_valid(till, 7));
	assert_int_equal(count("SELECT count(*) FROM till WHERE dfsp = 'dfspa'"), 2);
	/* another merchant's location, another DFSP's merchant */
	assert_int_equal(merchant_till_add(reg, &maker, id, xloc, NULL, till), -ENOENT);
	assert_int_equal(merchant_till_add(reg, &maker, x, xloc, NULL, till), -ENOENT);
	assert_int_equal(merchant_till_add(reg, &checker, id, loc, NULL, till), -EACCES);
	assert_int_equal(merchant_act(reg, &admin, id, MA_CLOSE, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_till_add(reg, &maker, id, loc, NULL, till), -EPERM);
	assert_int_equal(count("SELECT count(*) FROM till"), 3);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'till_add'"), 1);
	audit_clean();
}

static void test_till_status(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], till[MERCHANT_ID_MAX], err[256];
	json_t *t = NULL;

	create_ok(&maker, "Shop", id);
	{
		sqlite3 *c;
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(c, "SELECT till_number FROM till", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		snprintf(till, sizeof till, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(c);
	}
	long long audits = count("SELECT count(*) FROM audit");
	/* roles before any lookup; tenancy; unknown action */
	assert_int_equal(merchant_till_act(reg, &maker, id, till, "suspend", NULL, err, sizeof err, &t),
			 -EACCES);
	assert_null(t);
	assert_int_equal(merchant_till_act(reg, &hub, id, till, "suspend", NULL, err, sizeof err, NULL),
			 -EACCES);
	assert_int_equal(merchant_till_act(reg, &auditor, id, till, "close", NULL, err, sizeof err,
					   NULL), -EACCES);
	assert_int_equal(merchant_till_act(reg, &other, id, till, "suspend", NULL, err, sizeof err,
					   NULL), -ENOENT);
	assert_int_equal(merchant_till_act(reg, &checker, id, "0000000", "suspend", NULL, err,
					   sizeof err, NULL), -ENOENT);
	assert_int_equal(merchant_till_act(reg, &checker, id, till, "explode", NULL, err, sizeof err,
					   NULL), -EINVAL);
	assert_int_equal(merchant_till_act(reg, &checker, id, till, "reactivate", NULL, err, sizeof err,
					   NULL), -EPERM);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);

	assert_int_equal(merchant_till_act(reg, &checker, id, till, "suspend", "broken", err,
					   sizeof err, &t), 0);
	assert_string_equal(json_string_value(json_object_get(t, "status")), "SUSPENDED");
	assert_string_equal(json_string_value(json_object_get(t, "till_number")), till);
	json_decref(t);
	assert_int_equal(count("SELECT count(*) FROM till WHERE status = 'SUSPENDED'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'till_suspend' AND "
			       "entity = 'till' AND actor = 'bob' AND instr(after_json, 'broken') > 0"),
			 1);
	assert_int_equal(merchant_till_act(reg, &checker, id, till, "suspend", NULL, err, sizeof err,
					   NULL), -EPERM);
	char mid[MERCHANT_ID_MAX], st[16];
	assert_int_equal(merchant_till_find(reg, &admin, till, mid, st, NULL), 0);
	assert_string_equal(st, "SUSPENDED");
	assert_int_equal(merchant_till_act(reg, &admin, id, till, "reactivate", NULL, err, sizeof err,
					   NULL), 0);
	assert_int_equal(merchant_till_act(reg, &checker, id, till, "close", NULL, err, sizeof err,
					   NULL), 0);
	/* close is final */
	assert_int_equal(merchant_till_act(reg, &checker, id, till, "reactivate", NULL, err, sizeof err,
					   NULL), -EPERM);
	assert_int_equal(merchant_till_act(reg, &checker, id, till, "close", NULL, err, sizeof err,
					   NULL), -EPERM);
	assert_int_equal(merchant_till_find(reg, &admin, till, mid, st, NULL), 0);
	assert_string_equal(st, "CLOSED");
	assert_int_equal(count("SELECT count(*) FROM audit"), audits + 3);
	audit_clean();
}

static long long first_owner(const char *id)
{
	json_t *m;
	assert_int_equal(merchant_get_json(reg, &admin, id, &m), 0);
	long long own = json_integer_value(json_object_get(json_array_get(json_object_get(m, "owners"),
									   0), "id"));
	json_decref(m);
	return own;
}

static void test_owners(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], err[256];
	struct merchant_errs e;
	json_t *o = NULL;
	const struct merchant_owner_in add = { "Neema Ali", "passport", "AB123456", "+255712000001" };

	create_ok(&maker, "Shop", id);
	create_ok(&other_maker, "Other", x);
	long long own = first_owner(id);
	long long audits = count("SELECT count(*) FROM audit");

	assert_int_equal(merchant_owner_add(reg, &checker, id, &add, &e, &o), -EACCES);
	assert_null(o);
	assert_int_equal(merchant_owner_add(reg, &hub, id, &add, &e, NULL), -EACCES);
	assert_int_equal(merchant_owner_add(reg, &other_maker, id, &add, &e, NULL), -ENOENT);
	const struct merchant_owner_in bad = { "", "badge", NULL, "12" };
	assert_int_equal(merchant_owner_add(reg, &maker, id, &bad, &e, NULL), -EINVAL);
	assert_true(has_err(&e, "name"));
	assert_true(has_err(&e, "id_type"));
	assert_true(has_err(&e, "id_number"));
	assert_true(has_err(&e, "phone"));
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);

	assert_int_equal(merchant_owner_add(reg, &maker, id, &add, &e, &o), 0);
	long long n2 = json_integer_value(json_object_get(o, "id"));
	assert_string_equal(json_string_value(json_object_get(o, "name")), "Neema Ali");
	json_decref(o);
	assert_int_equal(count("SELECT count(*) FROM owner WHERE dfsp = 'dfspa'"), 2);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'owner_add' AND "
			       "entity = 'owner'"), 1);

	/* patch: only what is given; validated against the merged owner */
	const struct merchant_owner_in phone = { .phone = "+255712000002" };
	assert_int_equal(merchant_owner_patch(reg, &maker2, id, n2, &phone, &e, &o), 0);
	assert_string_equal(json_string_value(json_object_get(o, "phone")), "+255712000002");
	assert_string_equal(json_string_value(json_object_get(o, "id_number")), "AB123456");
	json_decref(o);
	const struct merchant_owner_in natid = { .id_type = "national_id" };
	assert_int_equal(merchant_owner_patch(reg, &maker, id, n2, &natid, &e, NULL), -EINVAL);
	assert_true(has_err(&e, "id_number"));
	assert_int_equal(merchant_owner_patch(reg, &maker, id, n2 + 100, &phone, &e, NULL), -ENOENT);
	assert_int_equal(merchant_owner_patch(reg, &other_maker, id, n2, &phone, &e, NULL), -ENOENT);
	assert_int_equal(merchant_owner_patch(reg, &auditor, id, n2, &phone, &e, NULL), -EACCES);
	/* another merchant's owner through this merchant */
	assert_int_equal(merchant_owner_patch(reg, &other_maker, x, n2, &phone, &e, NULL), -ENOENT);
	/* a change of the ID resets its verification */
	raw("UPDATE owner SET id_verified = 1");
	const struct merchant_owner_in num = { .id_number = "CD654321" };
	assert_int_equal(merchant_owner_patch(reg, &maker, id, n2, &num, &e, NULL), 0);
	assert_int_equal(count("SELECT id_verified FROM owner WHERE id_number = 'CD654321'"), 0);
	assert_int_equal(merchant_owner_patch(reg, &maker, id, own, &phone, &e, NULL), 0);
	assert_int_equal(count("SELECT id_verified FROM owner WHERE id_type = 'national_id'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'owner_update' AND "
			       "before_json IS NOT NULL"), 3);

	/* delete, never the last one */
	assert_int_equal(merchant_owner_delete(reg, &checker, id, n2), -EACCES);
	assert_int_equal(merchant_owner_delete(reg, &other_maker, id, n2), -ENOENT);
	assert_int_equal(merchant_owner_delete(reg, &admin, id, n2), 0);
	assert_int_equal(merchant_owner_delete(reg, &admin, id, n2), -ENOENT);
	assert_int_equal(merchant_owner_delete(reg, &admin, id, own), -EPERM);
	assert_int_equal(count("SELECT count(*) FROM owner WHERE dfsp = 'dfspa'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'owner_delete' AND "
			       "after_json IS NULL"), 1);

	/* only while editable: SUBMITTED no, REVERTED yes */
	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_owner_add(reg, &maker, id, &add, &e, NULL), -EPERM);
	assert_int_equal(merchant_owner_patch(reg, &maker, id, own, &phone, &e, NULL), -EPERM);
	assert_int_equal(merchant_owner_delete(reg, &maker, id, own), -EPERM);
	assert_int_equal(merchant_act(reg, &checker, id, MA_REVERT, "fix the owners", err, sizeof err),
			 0);
	assert_int_equal(merchant_owner_add(reg, &maker, id, &add, &e, NULL), 0);
	/* at most MERCHANT_OWNERS_MAX */
	for (int i = 2; i < MERCHANT_OWNERS_MAX; i++)
		assert_int_equal(merchant_owner_add(reg, &maker, id, &add, &e, NULL), 0);
	assert_int_equal(merchant_owner_add(reg, &maker, id, &add, &e, NULL), -EPERM);
	audit_clean();
}

static void test_locations(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], err[256];
	struct merchant_errs e;
	json_t *l = NULL;
	const struct merchant_location_in add = { "Branch", "ARUSHA", NULL, 0, 0, 0 };

	create_ok(&maker, "Shop", id);
	create_ok(&other_maker, "Other", x);
	long long loc = count("SELECT id FROM location WHERE dfsp = 'dfspa'");
	long long audits = count("SELECT count(*) FROM audit");

	assert_int_equal(merchant_location_add(reg, &checker, id, &add, &e, &l), -EACCES);
	assert_null(l);
	assert_int_equal(merchant_location_add(reg, &hub, id, &add, &e, NULL), -EACCES);
	assert_int_equal(merchant_location_add(reg, &other_maker, id, &add, &e, NULL), -ENOENT);
	const struct merchant_location_in bad = { "", "A CITY FAR TOO LONG", NULL, 1, 91, 0 };
	assert_int_equal(merchant_location_add(reg, &maker, id, &bad, &e, NULL), -EINVAL);
	assert_true(has_err(&e, "name"));
	assert_true(has_err(&e, "city"));
	assert_true(has_err(&e, "lat"));
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);

	/* a new location comes with its first till */
	assert_int_equal(merchant_location_add(reg, &maker, id, &add, &e, &l), 0);
	long long l2 = json_integer_value(json_object_get(l, "id"));
	const char *till = json_string_value(json_object_get(json_array_get(json_object_get(l, "tills"),
									     0), "till_number"));
	assert_non_null(till);
	assert_true(merchant_id_valid(till, 7));
	json_decref(l);
	assert_int_equal(count("SELECT count(*) FROM location WHERE dfsp = 'dfspa'"), 2);
	char q[160];
	snprintf(q, sizeof q, "SELECT count(*) FROM till WHERE location_id = %lld", l2);
	assert_int_equal(count(q), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'location_add' AND "
			       "entity = 'location' AND instr(after_json, 'till_number') > 0"), 1);

	/* patch: what is given, validated against the merged location */
	const struct merchant_location_in city = { .city = "MOSHI" };
	assert_int_equal(merchant_location_patch(reg, &maker2, id, loc, &city, &e, &l), 0);
	assert_string_equal(json_string_value(json_object_get(l, "city")), "MOSHI");
	assert_string_equal(json_string_value(json_object_get(l, "name")), "Main shop");
	assert_true(json_is_number(json_object_get(l, "lat"))); /* kept */
	json_decref(l);
	const struct merchant_location_in longcity = { .city = "SIXTEEN CHARS XX" };
	assert_int_equal(merchant_location_patch(reg, &maker, id, loc, &longcity, &e, NULL), -EINVAL);
	assert_true(has_err(&e, "city"));
	const struct merchant_location_in coords = { .has_coords = 1, .lat = -3.3, .lon = 36.7 };
	assert_int_equal(merchant_location_patch(reg, &maker, id, l2, &coords, &e, &l), 0);
	assert_true(json_real_value(json_object_get(l, "lat")) < -3.2);
	json_decref(l);
	assert_int_equal(merchant_location_patch(reg, &other_maker, id, loc, &city, &e, NULL), -ENOENT);
	long long xloc = count("SELECT id FROM location WHERE dfsp = 'dfspb'");
	assert_int_equal(merchant_location_patch(reg, &maker, id, xloc, &city, &e, NULL), -ENOENT);
	assert_int_equal(merchant_location_patch(reg, &auditor, id, loc, &city, &e, NULL), -EACCES);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'location_update' AND "
			       "before_json IS NOT NULL"), 2);

	/* only while editable */
	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_location_add(reg, &maker, id, &add, &e, NULL), -EPERM);
	assert_int_equal(merchant_location_patch(reg, &maker, id, loc, &city, &e, NULL), -EPERM);
	assert_int_equal(count("SELECT count(*) FROM location WHERE dfsp = 'dfspa'"), 2);
	audit_clean();
}

static void test_self_register(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256];
	struct merchant_errs errs;
	struct merchant_in in = good("Mama Ntilie");

	assert_int_equal(merchant_self_register(reg, "dfspa", "+255712345678", &in, id, &errs),
			 -EINVAL);
	assert_true(has_err(&errs, "tier"));
	in.tier = NULL;
	assert_int_equal(merchant_self_register(reg, "dfspa", "+255712345678", &in, id, &errs), 0);
	assert_string_equal(status_of(id), "APPROVED");
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE tier = 'T0'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'self_register' AND "
			       "role = 'merchant'"), 1);
	/* the merchant asks for the next tier itself (USSD), audited as "merchant" */
	long long req = 0;
	assert_int_equal(merchant_tier_request_self(reg, "dfspa", "+255712345678", id, "T9", &req),
			 -EINVAL);
	assert_int_equal(merchant_tier_request_self(reg, "dfspb", "+255712345678", id, "T1", &req),
			 -ENOENT);
	assert_int_equal(merchant_tier_request_self(reg, "dfspa", "+255712345678", id, "T1", &req), 0);
	assert_true(req > 0);
	assert_int_equal(count("SELECT count(*) FROM tier_request WHERE from_tier = 'T0' AND to_tier = "
			       "'T1' AND requested_by = '+255712345678' AND status = 'PENDING'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'tier_request' AND "
			       "role = 'merchant' AND actor = '+255712345678'"), 1);
	assert_int_equal(merchant_tier_request_self(reg, "dfspa", "+255712345678", id, "T2", &req),
			 -EEXIST);
	/* the DFSP reviews it later */
	assert_int_equal(merchant_act(reg, &checker, id, MA_SUSPEND, "review", err, sizeof err), 0);
	audit_clean();
}

static void test_sequential_exhausted(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX];
	struct merchant_errs errs;
	struct merchant_in in = good("Shop");

	create_ok(&maker, "Shop", id);
	raw("UPDATE id_alloc SET next_seq = 9999999 WHERE kind = 'merchant'");
	create_ok(&maker, "Last", id);
	assert_true(strncmp(id, "9999999", 7) == 0);
	assert_int_equal(merchant_create(reg, &maker, &in, id, &errs), -ENOSPC);
	assert_int_equal(count("SELECT count(*) FROM merchant"), 2);
	audit_clean();
}

static void test_documents(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], sha[65], p[600], ct[128], err[256];
	long long doc = 0, size = 0;
	static const char pdf[] = "%PDF-1.4 permit";
	json_t *m;

	create_ok(&maker, "Shop", id);
	create_ok(&other_maker, "Other", x);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "trading_permit", "application/pdf", pdf,
					  sizeof pdf - 1, &doc, sha), 0);
	assert_true(doc > 0);
	assert_int_equal(strlen(sha), 64);
	/* sha256 of the bytes, computed apart */
	unsigned char md[32];
	unsigned int n;
	char want[65];
	assert_int_equal(EVP_Digest(pdf, sizeof pdf - 1, md, &n, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(sha, want);
	assert_int_equal(merchant_doc_path(reg, &maker, id, doc, p, sizeof p, ct, &size), 0);
	assert_string_equal(ct, "application/pdf");
	assert_int_equal(size, sizeof pdf - 1);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	char buf[64] = "";
	assert_int_equal(fread(buf, 1, sizeof buf, f), sizeof pdf - 1);
	fclose(f);
	assert_memory_equal(buf, pdf, sizeof pdf - 1);
	assert_non_null(strstr(p, "/documents/"));

	assert_int_equal(merchant_get_json(reg, &maker, id, &m), 0);
	json_t *docs = json_object_get(m, "documents");
	assert_int_equal(json_array_size(docs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(docs, 0), "state")),
			    "PENDING");
	json_decref(m);

	/* tenancy, limits, roles, form */
	assert_int_equal(merchant_doc_path(reg, &other, id, doc, p, sizeof p, ct, &size), -ENOENT);
	assert_int_equal(merchant_doc_add(reg, &other_maker, id, "id_copy", "image/png", "x", 1, &doc,
					  NULL), -ENOENT);
	char *big = calloc(1, 5242881);
	assert_non_null(big);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "id_copy", "image/png", big, 5242881,
					  &doc, NULL), -EFBIG);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "id_copy", "image/png", big, 5242880,
					  &doc, NULL), 0);
	free(big);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "ID copy", "image/png", "x", 1, &doc,
					  NULL), -EINVAL);
	assert_int_equal(merchant_doc_add(reg, &checker, id, "id_copy", "image/png", "x", 1, &doc,
					  NULL), -EACCES);
	assert_int_equal(merchant_act(reg, &admin, id, MA_CLOSE, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "id_copy", "image/png", "x", 1, &doc,
					  NULL), -EPERM);
	assert_int_equal(count("SELECT count(*) FROM document"), 2);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'document_add' AND "
			       "instr(after_json, '%PDF-1.4') = 0"), 2);
	audit_clean();
}

static void test_tier_requests(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256];
	long long req = 0, req2 = 0;

	struct merchant_in in = good("Shop");
	struct merchant_errs errs;
	in.tax_id = "123-456-789";
	in.registration_no = "BRELA-123456";
	assert_int_equal(merchant_create(reg, &maker, &in, id, &errs), 0);
	kyb_complete(id, 1);
	assert_int_equal(merchant_tier_request(reg, &maker, id, "T1", &req), -EINVAL); /* current */
	assert_int_equal(merchant_tier_request(reg, &maker, id, "T8", &req), -EINVAL);
	assert_int_equal(merchant_tier_request(reg, &other_maker, id, "T2", &req), -ENOENT);
	assert_int_equal(merchant_tier_request(reg, &checker, id, "T2", &req), -EACCES);
	assert_int_equal(merchant_tier_request(reg, &maker, id, "T2", &req), 0);
	assert_int_equal(merchant_tier_request(reg, &maker2, id, "T2", &req2), -EEXIST);

	/* maker == checker refused, nothing changed */
	struct merchant_actor alice_admin = { "alice", "dfspa", ROLE_DFSP_ADMIN };
	long long audits = count("SELECT count(*) FROM audit");
	assert_int_equal(merchant_tier_review(reg, &alice_admin, id, req, 1, NULL, err, sizeof err),
			 -EACCES);
	assert_int_equal(merchant_tier_review(reg, &other, id, req, 1, NULL, err, sizeof err), -ENOENT);
	assert_int_equal(merchant_tier_review(reg, &maker2, id, req, 1, NULL, err, sizeof err), -EACCES);
	assert_int_equal(merchant_tier_review(reg, &checker, id, req, 0, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE tier = 'T1'"), 1);

	assert_int_equal(merchant_tier_review(reg, &checker, id, req, 1, NULL, err, sizeof err), 0);
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE tier = 'T2'"), 1);
	assert_int_equal(count("SELECT count(*) FROM tier_request WHERE status = 'APPROVED' AND "
			       "reviewed_by = 'bob'"), 1);
	assert_int_equal(merchant_tier_review(reg, &checker, id, req, 1, NULL, err, sizeof err), -EPERM);

	/* a rejected request leaves the tier */
	assert_int_equal(merchant_tier_request(reg, &maker, id, "T1", &req2), 0);
	assert_int_equal(merchant_tier_review(reg, &checker, id, req2, 0, "no", err, sizeof err), 0);
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE tier = 'T2'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'tier_request'"), 4);
	audit_clean();
}

static void test_doc_review(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], err[256];
	long long doc = 0, doc2 = 0, xdoc = 0;
	json_t *d = NULL;

	create_ok(&maker, "Shop", id);
	create_ok(&other_maker, "Other", x);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "trading_permit", "application/pdf", "p", 1,
					  &doc, NULL), 0);
	assert_int_equal(merchant_doc_add(reg, &admin, id, "national_id", "application/pdf", "n", 1,
					  &doc2, NULL), 0);
	assert_int_equal(merchant_doc_add(reg, &other_maker, x, "national_id", "application/pdf", "x",
					  1, &xdoc, NULL), 0);
	long long audits = count("SELECT count(*) FROM audit");

	/* refusals, in order, and nothing changes */
	assert_int_equal(merchant_doc_review(reg, &other, id, doc, 1, NULL, err, sizeof err, &d),
			 -ENOENT);
	assert_null(d);
	assert_int_equal(merchant_doc_review(reg, &checker, id, xdoc, 1, NULL, err, sizeof err, NULL),
			 -ENOENT); /* another merchant's document */
	assert_int_equal(merchant_doc_review(reg, &checker, id, 999, 1, NULL, err, sizeof err, NULL),
			 -ENOENT);
	assert_int_equal(merchant_doc_review(reg, &maker2, id, doc, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	assert_int_equal(merchant_doc_review(reg, &auditor, id, doc, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	assert_int_equal(merchant_doc_review(reg, &hub, id, doc, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	/* maker-checker: the uploader (a dfsp-admin here) may not review it */
	assert_int_equal(merchant_doc_review(reg, &admin, id, doc2, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	assert_non_null(strstr(err, "maker-checker"));
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 0, NULL, err, sizeof err, NULL),
			 -EINVAL);
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 0, "", err, sizeof err, NULL),
			 -EINVAL);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);
	assert_int_equal(count("SELECT count(*) FROM document WHERE state = 'PENDING'"), 3);

	/* verify: the checker; reject: a dfsp-admin who did not upload it */
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc2, 1, NULL, err, sizeof err, &d), 0);
	assert_non_null(d);
	assert_int_equal(json_integer_value(json_object_get(d, "id")), doc2);
	assert_string_equal(json_string_value(json_object_get(d, "state")), "VERIFIED");
	assert_string_equal(json_string_value(json_object_get(d, "reviewed_by")), "bob");
	assert_true(json_is_null(json_object_get(d, "review_reason")));
	json_decref(d);
	assert_int_equal(merchant_doc_review(reg, &admin, id, doc, 0, "illegible", err, sizeof err, &d),
			 0);
	assert_string_equal(json_string_value(json_object_get(d, "state")), "REJECTED");
	assert_string_equal(json_string_value(json_object_get(d, "review_reason")), "illegible");
	json_decref(d);
	assert_int_equal(count("SELECT count(*) FROM document WHERE state = 'REJECTED' AND "
			       "reviewed_by = 'ada' AND review_reason = 'illegible'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'document' AND "
			       "action = 'document_verify' AND actor = 'bob' AND "
			       "instr(after_json, '\"state\":\"VERIFIED\"') > 0 AND "
			       "instr(before_json, '\"state\":\"PENDING\"') > 0"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'document_reject' AND "
			       "instr(after_json, 'illegible') > 0"), 1);
	/* reviewed again: the latest decision stands */
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 1, NULL, err, sizeof err, NULL), 0);
	assert_int_equal(count("SELECT count(*) FROM document WHERE state = 'VERIFIED'"), 2);

	/* nests inside a caller's transaction, rolled back with it */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 0, "undo", err, sizeof err, NULL),
			 0);
	db_rollback(db);
	assert_int_equal(count("SELECT count(*) FROM document WHERE state = 'VERIFIED'"), 2);

	/* not for a CLOSED merchant */
	assert_int_equal(merchant_act(reg, &admin, id, MA_CLOSE, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 0, "x", err, sizeof err, NULL),
			 -EPERM);
	audit_clean();
}

static void test_owner_verify(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256], gap_tier[KYB_TIER_NAME_MAX];
	json_t *m, *o = NULL;
	struct kyb_req_gap g[MERCHANT_KYB_GAPS_MAX];

	create_ok(&maker, "Shop", id);
	assert_int_equal(merchant_get_json(reg, &admin, id, &m), 0);
	long long own = json_integer_value(json_object_get(json_array_get(json_object_get(m, "owners"),
									   0), "id"));
	json_decref(m);
	assert_true(own > 0);
	long long audits = count("SELECT count(*) FROM audit");

	assert_int_equal(merchant_owner_verify(reg, &other, id, own, 1, NULL, err, sizeof err, &o),
			 -ENOENT);
	assert_null(o);
	assert_int_equal(merchant_owner_verify(reg, &checker, id, own + 100, 1, NULL, err, sizeof err,
					       NULL), -ENOENT);
	assert_int_equal(merchant_owner_verify(reg, &maker2, id, own, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	assert_int_equal(merchant_owner_verify(reg, &hub, id, own, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	/* maker-checker: the merchant's creator, then its submitter */
	struct merchant_actor alice_checker = { "alice", "dfspa", ROLE_CHECKER };
	assert_int_equal(merchant_owner_verify(reg, &alice_checker, id, own, 1, NULL, err, sizeof err,
					       NULL), -EACCES);
	assert_non_null(strstr(err, "maker-checker"));
	assert_int_equal(merchant_act(reg, &admin, id, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_owner_verify(reg, &admin, id, own, 1, NULL, err, sizeof err, NULL),
			 -EACCES);
	assert_non_null(strstr(err, "maker-checker"));
	assert_int_equal(merchant_owner_verify(reg, &checker, id, own, 0, NULL, err, sizeof err, NULL),
			 -EINVAL);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits + 1); /* the submit */
	assert_int_equal(count("SELECT count(*) FROM owner WHERE id_verified = 1"), 0);

	assert_int_equal(merchant_owner_verify(reg, &checker, id, own, 1, NULL, err, sizeof err, &o), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), own);
	assert_int_equal(json_integer_value(json_object_get(o, "id_verified")), 1);
	json_decref(o);
	assert_int_equal(count("SELECT count(*) FROM owner WHERE id_verified = 1"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE entity = 'owner' AND "
			       "action = 'owner_verify' AND actor = 'bob'"), 1);
	/* the owner's ID no longer a gap of T1 */
	int n = merchant_kyb_gaps(reg, &checker, id, "T1", gap_tier, g, MERCHANT_KYB_GAPS_MAX);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++)
		assert_null(strstr(g[i].item, "owners[0].national_id"));

	assert_int_equal(merchant_owner_verify(reg, &checker, id, own, 0, "expired ID", err, sizeof err,
					       &o), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "id_verified")), 0);
	json_decref(o);
	assert_int_equal(count("SELECT count(*) FROM audit WHERE action = 'owner_reject' AND "
			       "instr(after_json, 'expired ID') > 0"), 1);

	/* T1 approved through the registry's calls alone */
	kyb_complete(id, 0);
	assert_int_equal(merchant_act(reg, &checker, id, MA_APPROVE, NULL, err, sizeof err), 0);
	assert_string_equal(status_of(id), "APPROVED");
	audit_clean();
}

static void test_kyb_gaps(void **state)
{
	(void)state;
	struct kyb_req_gap g[MERCHANT_KYB_GAPS_MAX];
	char id[MERCHANT_ID_MAX], tier[KYB_TIER_NAME_MAX];

	create_ok(&maker, "Juma Shop", id); /* T1, no documents, ID not verified */
	/* T0: fields only, all there (district = the location's city) */
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "T0", tier, g, MERCHANT_KYB_GAPS_MAX), 0);
	assert_string_equal(tier, "T0");
	/* T1, the current tier by default */
	assert_int_equal(merchant_kyb_gaps(reg, &checker, id, NULL, tier, g, MERCHANT_KYB_GAPS_MAX), 3);
	assert_string_equal(tier, "T1");
	assert_string_equal(g[0].item, "owners[0].national_id");
	assert_string_equal(g[0].msg, "not verified yet");
	assert_string_equal(g[1].item, "document.national_id");
	assert_int_equal(g[1].why, KYB_REQ_GAP_MISSING);
	assert_string_equal(g[2].item, "document.trading_permit");
	/* T2, also as the next tier */
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "T2", tier, g, MERCHANT_KYB_GAPS_MAX), 7);
	assert_string_equal(g[0].item, "merchant.tax_id");
	assert_string_equal(g[1].item, "merchant.registration_number");
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "next", tier, g, MERCHANT_KYB_GAPS_MAX), 7);
	assert_string_equal(tier, "T2");
	/* cap: counted, not written past */
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "T2", NULL, NULL, 0), 7);

	/* unknown tiers; tenancy; a hub-admin reads any */
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "T8", tier, g, MERCHANT_KYB_GAPS_MAX), -EINVAL);
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "C0", tier, g, MERCHANT_KYB_GAPS_MAX), -EINVAL);
	assert_int_equal(merchant_kyb_gaps(reg, &other, id, NULL, tier, g, MERCHANT_KYB_GAPS_MAX), -ENOENT);
	assert_int_equal(merchant_kyb_gaps(reg, &other, id, "T8", tier, g, MERCHANT_KYB_GAPS_MAX), -ENOENT);
	assert_int_equal(merchant_kyb_gaps(reg, &maker, "99999997", NULL, tier, g, MERCHANT_KYB_GAPS_MAX),
			 -ENOENT);
	assert_int_equal(merchant_kyb_gaps(reg, &hub, id, NULL, tier, g, MERCHANT_KYB_GAPS_MAX), 3);

	/* a rejected document and a pending one: the best state counts */
	long long doc;
	assert_int_equal(merchant_doc_add(reg, &maker, id, "trading_permit", "application/pdf", "a", 1,
					  &doc, NULL), 0);
	raw("UPDATE document SET state = 'REJECTED', reviewed_by = 'bob', review_reason = 'blurred'");
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, NULL, tier, g, MERCHANT_KYB_GAPS_MAX), 3);
	assert_string_equal(g[2].item, "document.trading_permit");
	assert_int_equal(g[2].why, KYB_REQ_GAP_REJECTED);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "trading_permit", "application/pdf", "b", 1,
					  &doc, NULL), 0);
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, NULL, tier, g, MERCHANT_KYB_GAPS_MAX), 3);
	assert_int_equal(g[2].why, KYB_REQ_GAP_UNVERIFIED);

	/* complete for T1; T2 still lacks the tax and registration items */
	kyb_complete(id, 0);
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, NULL, tier, g, MERCHANT_KYB_GAPS_MAX), 0);
	assert_int_equal(merchant_kyb_gaps(reg, &maker, id, "T2", tier, g, MERCHANT_KYB_GAPS_MAX), 4);
	assert_string_equal(g[2].item, "document.tax_certificate");
	assert_string_equal(g[3].item, "document.registration_certificate");
	audit_clean();
}

static void test_kyb_approve(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256];
	struct merchant_errs gaps;
	long long req = 0;

	create_ok(&maker, "Juma Shop", id);
	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);

	/* incomplete for T1: refused with the gaps, nothing changed */
	long long audits = count("SELECT count(*) FROM audit");
	assert_int_equal(merchant_act_kyb(reg, &checker, id, MA_APPROVE, NULL, err, sizeof err, &gaps),
			 -ENODATA);
	assert_non_null(strstr(err, "tier T1"));
	assert_int_equal(gaps.n, 3);
	assert_string_equal(gaps.e[0].field, "owners[0].national_id");
	assert_string_equal(gaps.e[0].message, "not verified yet");
	assert_string_equal(gaps.e[2].field, "document.trading_permit");
	assert_string_equal(status_of(id), "SUBMITTED");
	assert_int_equal(count("SELECT version FROM merchant"), 2);
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE checked_by IS NOT NULL"), 0);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);
	/* without the list, the same refusal */
	assert_int_equal(merchant_act(reg, &checker, id, MA_APPROVE, NULL, err, sizeof err), -ENODATA);
	/* maker-checker first: the maker's own approval is -EACCES, not -ENODATA */
	struct merchant_actor self_check = { "alice", "dfspa", ROLE_DFSP_ADMIN };
	assert_int_equal(merchant_act(reg, &self_check, id, MA_APPROVE, NULL, err, sizeof err), -EACCES);
	/* other actions are not held back by KYB */
	assert_int_equal(merchant_act(reg, &checker, id, MA_REVERT, "add documents", err, sizeof err), 0);
	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);

	/* complete: approved */
	kyb_complete(id, 0);
	assert_int_equal(merchant_act_kyb(reg, &checker, id, MA_APPROVE, NULL, err, sizeof err, &gaps),
			 0);
	assert_int_equal(gaps.n, 0);
	assert_string_equal(status_of(id), "APPROVED");

	/* a tier request to T2: refused on approval until T2 is met */
	assert_int_equal(merchant_tier_request(reg, &maker, id, "T2", &req), 0);
	audits = count("SELECT count(*) FROM audit");
	assert_int_equal(merchant_tier_review_kyb(reg, &checker, id, req, 1, NULL, err, sizeof err,
						  &gaps), -ENODATA);
	assert_int_equal(gaps.n, 4);
	assert_string_equal(gaps.e[0].field, "merchant.tax_id");
	assert_int_equal(count("SELECT count(*) FROM merchant WHERE tier = 'T1'"), 1);
	assert_int_equal(count("SELECT count(*) FROM tier_request WHERE status = 'PENDING'"), 1);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);
	/* rejecting needs no KYB */
	assert_int_equal(merchant_tier_review(reg, &checker, id, req, 0, "documents missing", err,
					      sizeof err), 0);
	audit_clean();
}

/* Location removal: roles, tenancy, editable merchants only, never the
 * last location; the tills go with it, each change audited. */
static void test_location_delete(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], t2[MERCHANT_ID_MAX], err[256], q[400];
	struct merchant_errs e;
	json_t *l = NULL, *out = NULL;
	const struct merchant_location_in add = { "Branch", "ARUSHA", NULL, 0, 0, 0 };

	create_ok(&maker, "Shop", id);
	create_ok(&other_maker, "Other", x);
	long long first = count("SELECT id FROM location WHERE dfsp = 'dfspa'");
	assert_int_equal(merchant_location_delete(reg, &maker, id, first, err, sizeof err, &out),
			 -EPERM);
	assert_non_null(strstr(err, "last location"));
	assert_null(out);

	assert_int_equal(merchant_location_add(reg, &maker, id, &add, &e, &l), 0);
	long long loc = json_integer_value(json_object_get(l, "id"));
	char t1[MERCHANT_ID_MAX];
	snprintf(t1, sizeof t1, "%s",
		 json_string_value(json_object_get(json_array_get(json_object_get(l, "tills"), 0),
						   "till_number")));
	json_decref(l);
	assert_int_equal(merchant_till_add(reg, &maker, id, loc, "Counter 2", t2), 0);
	assert_int_equal(merchant_till_act(reg, &checker, id, t2, "suspend", NULL, err, sizeof err,
					   NULL), 0);
	long long audits = count("SELECT count(*) FROM audit");

	assert_int_equal(merchant_location_delete(reg, &checker, id, loc, err, sizeof err, NULL),
			 -EACCES);
	assert_int_equal(merchant_location_delete(reg, &auditor, id, loc, err, sizeof err, NULL),
			 -EACCES);
	assert_int_equal(merchant_location_delete(reg, &hub, id, loc, err, sizeof err, NULL), -EACCES);
	assert_int_equal(merchant_location_delete(reg, &other_maker, id, loc, err, sizeof err, NULL),
			 -ENOENT);
	assert_int_equal(merchant_location_delete(reg, &other_maker, x, loc, err, sizeof err, NULL),
			 -ENOENT);
	assert_int_equal(merchant_location_delete(reg, &maker, id, 0, err, sizeof err, NULL), -ENOENT);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);

	assert_int_equal(merchant_location_delete(reg, &maker, id, loc, err, sizeof err, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "id")), loc);
	assert_true(json_is_true(json_object_get(out, "deleted")));
	json_t *gone = json_object_get(out, "tills_deleted");
	assert_int_equal(json_array_size(gone), 2);
	assert_string_equal(json_string_value(json_array_get(gone, 0)), strcmp(t1, t2) < 0 ? t1 : t2);
	json_decref(out);
	snprintf(q, sizeof q, "SELECT count(*) FROM location WHERE id = %lld", loc);
	assert_int_equal(count(q), 0);
	snprintf(q, sizeof q, "SELECT count(*) FROM till WHERE location_id = %lld", loc);
	assert_int_equal(count(q), 0);
	snprintf(q, sizeof q, "SELECT count(*) FROM till WHERE merchant_id = '%s'", id);
	assert_int_equal(count(q), 1);
	assert_int_equal(count("SELECT count(*) FROM audit"), audits + 3);
	snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE action = 'till_delete' AND entity = "
		 "'till' AND entity_id = '%s' AND json_extract(before_json, '$.status') = 'SUSPENDED'",
		 t2);
	assert_int_equal(count(q), 1);
	snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE action = 'location_delete' AND "
		 "entity_id = '%lld' AND json_extract(before_json, '$.merchant_id') = '%s' AND "
		 "json_array_length(before_json, '$.tills') = 2 AND after_json IS NULL", loc, id);
	assert_int_equal(count(q), 1);
	assert_int_equal(merchant_location_delete(reg, &maker, id, loc, err, sizeof err, NULL),
			 -ENOENT);

	/* once submitted, locations stay */
	assert_int_equal(merchant_location_add(reg, &maker, id, &add, &e, &l), 0);
	loc = json_integer_value(json_object_get(l, "id"));
	json_decref(l);
	assert_int_equal(merchant_act(reg, &maker, id, MA_SUBMIT, NULL, err, sizeof err), 0);
	assert_int_equal(merchant_location_delete(reg, &admin, id, loc, err, sizeof err, NULL), -EPERM);
	assert_non_null(strstr(err, "SUBMITTED"));
	audit_clean();
}

/* A patch clears optional fields by bit; the version guards of a patch
 * and of an action. */
static void test_patch_clear_version(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], err[256];
	struct merchant_errs e;
	json_t *m, *o = NULL;

	create_ok(&maker, "Shop", id);
	struct merchant_patch p = { .lei = "5493001KJTIIGC8Y1R12", .tax_id = NULL,
				    .clear = MERCHANT_CLEAR_CONTACT_EMAIL | MERCHANT_CLEAR_PERMIT_NO };
	assert_int_equal(merchant_patch(reg, &maker, id, &p, &e), 0);
	assert_int_equal(merchant_get_json(reg, &maker, id, &m), 0);
	assert_true(json_is_null(json_object_get(m, "contact_email")));
	assert_true(json_is_null(json_object_get(m, "permit_no")));
	assert_string_equal(json_string_value(json_object_get(m, "lei")), "5493001KJTIIGC8Y1R12");
	assert_string_equal(json_string_value(json_object_get(m, "legal_name")),
			    "Juma Hassan Enterprises");
	long long v = json_integer_value(json_object_get(m, "version"));
	assert_int_equal(v, 2);
	json_decref(m);
	/* a clear bit wins over a value */
	struct merchant_patch both = { .lei = "5493001KJTIIGC8Y1R12", .clear = MERCHANT_CLEAR_LEI,
				       .if_version = v };
	assert_int_equal(merchant_patch(reg, &maker, id, &both, &e), 0);
	assert_int_equal(merchant_get_json(reg, &maker, id, &m), 0);
	assert_true(json_is_null(json_object_get(m, "lei")));
	json_decref(m);
	long long audits = count("SELECT count(*) FROM audit");
	struct merchant_patch stale = { .contact_name = "Late", .if_version = v };
	assert_int_equal(merchant_patch(reg, &maker, id, &stale, &e), -ESTALE);
	assert_int_equal(merchant_act_if(reg, &maker, id, MA_SUBMIT, NULL, v, err, sizeof err, NULL),
			 -ESTALE);
	assert_non_null(strstr(err, "version 3"));
	assert_int_equal(count("SELECT count(*) FROM audit"), audits);
	assert_int_equal(merchant_get_json(reg, &maker, id, &m), 0);
	assert_string_equal(json_string_value(json_object_get(m, "status")), "DRAFT");
	assert_true(json_is_null(json_object_get(m, "contact_name")));
	long long owner = json_integer_value(json_object_get(json_array_get(json_object_get(m, "owners"), 0), "id"));
	long long loc = json_integer_value(json_object_get(json_array_get(json_object_get(m, "locations"), 0), "id"));
	json_decref(m);
	assert_int_equal(merchant_act_if(reg, &maker, id, MA_SUBMIT, NULL, v + 1, err, sizeof err,
					 NULL), 0);
	assert_int_equal(merchant_act_if(reg, &maker, id, MA_SUBMIT, NULL, 0, err, sizeof err, NULL),
			 -EPERM);
	assert_int_equal(merchant_act(reg, &checker, id, MA_REVERT, "fix it", err, sizeof err), 0);

	/* owners and locations clear their optional fields too */
	const struct merchant_owner_in none = { .name = NULL };
	assert_int_equal(merchant_owner_patch_clear(reg, &maker, id, owner, &none,
						    MERCHANT_OWNER_CLEAR_PHONE, &e, &o), 0);
	assert_true(json_is_null(json_object_get(o, "phone")));
	assert_string_equal(json_string_value(json_object_get(o, "name")), "Juma Hassan");
	json_decref(o);
	const struct merchant_location_in same = { .name = NULL };
	assert_int_equal(merchant_location_patch_clear(reg, &maker, id, loc, &same,
						       MERCHANT_LOCATION_CLEAR_ADDRESS |
							       MERCHANT_LOCATION_CLEAR_COORDS,
						       &e, &o), 0);
	assert_true(json_is_null(json_object_get(o, "address")));
	assert_true(json_is_null(json_object_get(o, "lat")));
	assert_true(json_is_null(json_object_get(o, "lon")));
	assert_string_equal(json_string_value(json_object_get(o, "city")), "Dar es Salaam");
	json_decref(o);
	audit_clean();
}

static void append_row(const char *entity, const char *eid, const char *after)
{
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_end(db, audit_append(db, "old", "maker", "dfspa", "owner_update", entity,
						 eid, NULL, after)),
			 0);
}

/* The audit view: the merchant's rows and its children's, deleted ones
 * too, older rows without merchant_id through the child tables, never
 * another merchant's; paging; tenancy. */
static void test_audit_view(void **state)
{
	(void)state;
	char id[MERCHANT_ID_MAX], id2[MERCHANT_ID_MAX], x[MERCHANT_ID_MAX], err[256], q[300];
	char till[MERCHANT_ID_MAX];
	struct merchant_errs e;
	json_t *o = NULL, *items;
	long long next, doc, req;

	create_ok(&maker, "Shop", id);
	create_ok(&maker, "Neighbour", id2);
	create_ok(&other_maker, "Other", x);
	const struct merchant_owner_in second = { "Asha Ali", "passport", "AB123456", NULL };
	assert_int_equal(merchant_owner_add(reg, &maker, id, &second, &e, &o), 0);
	long long owner2 = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	assert_int_equal(merchant_owner_delete(reg, &maker, id, owner2), 0);
	assert_int_equal(merchant_owner_add(reg, &maker, id2, &second, &e, NULL), 0);
	const struct merchant_location_in add = { "Branch", "ARUSHA", NULL, 0, 0, 0 };
	assert_int_equal(merchant_location_add(reg, &maker, id, &add, &e, &o), 0);
	long long loc = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	assert_int_equal(merchant_till_add(reg, &maker, id, loc, NULL, till), 0);
	assert_int_equal(merchant_location_delete(reg, &maker, id, loc, err, sizeof err, NULL), 0);
	assert_int_equal(merchant_doc_add(reg, &maker, id, "trading_permit", "application/pdf", "x", 1,
					  &doc, NULL), 0);
	assert_int_equal(merchant_doc_review(reg, &checker, id, doc, 1, NULL, err, sizeof err, NULL), 0);
	assert_int_equal(merchant_tier_request(reg, &maker, id, "T2", &req), 0);
	assert_int_equal(merchant_tier_review(reg, &checker, id, req, 0, "not yet", err, sizeof err), 0);
	/* rows as an older version wrote them: no merchant_id in the JSON */
	long long owner1 = count("SELECT min(id) FROM owner WHERE dfsp = 'dfspa'");
	char eid[24], after[64];
	snprintf(eid, sizeof eid, "%lld", owner1);
	append_row("owner", eid, "{\"name\":\"legacy\"}");
	snprintf(after, sizeof after, "{\"merchant_id\":\"%s\"}", id2);
	append_row("owner", eid, after); /* names another merchant: not this one's */
	snprintf(eid, sizeof eid, "%lld", count("SELECT max(id) FROM owner WHERE dfsp = 'dfspa'"));
	append_row("owner", eid, "{\"name\":\"legacy of the neighbour\"}");

	snprintf(q, sizeof q, "SELECT count(*) FROM audit WHERE dfsp = 'dfspa' AND (entity_id = '%s' "
		 "OR coalesce(json_extract(after_json, '$.merchant_id'), "
		 "json_extract(before_json, '$.merchant_id')) = '%s')", id, id);
	long long want = count(q) + 1; /* + the legacy row */
	assert_int_equal(want, 13);
	assert_int_equal(merchant_audit(reg, &auditor, id, 0, MERCHANT_AUDIT_MAX, &items, &next), 0);
	assert_int_equal(json_array_size(items), want);
	assert_int_equal(next, 0);
	static const char *const actions[] = { "create", "owner_add", "owner_delete", "location_add",
		"till_add", "till_delete", "location_delete", "document_add", "document_verify",
		"tier_request", "tier_reject", "owner_update" };
	for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
		size_t i;
		json_t *r;
		int found = 0;
		json_array_foreach(items, i, r)
			found |= strcmp(json_string_value(json_object_get(r, "action")), actions[k]) == 0;
		if (!found)
			print_error("no %s row\n", actions[k]);
		assert_true(found);
	}
	size_t i;
	json_t *r;
	long long prev = 0;
	json_array_foreach(items, i, r) {
		long long rid = json_integer_value(json_object_get(r, "id"));
		assert_true(rid > prev);
		prev = rid;
		char *txt = json_dumps(r, JSON_COMPACT);
		assert_null(strstr(txt, id2));
		assert_null(strstr(txt, "neighbour"));
		free(txt);
	}
	/* page by page */
	long long after_id = 0, seen = 0;
	for (int pages = 0; pages < 100; pages++) {
		json_t *page;
		assert_int_equal(merchant_audit(reg, &maker, id, after_id, 4, &page, &next), 0);
		for (size_t k = 0; k < json_array_size(page); k++)
			assert_int_equal(json_integer_value(json_object_get(json_array_get(page, k), "id")),
					 json_integer_value(json_object_get(json_array_get(items, seen + k), "id")));
		seen += (long long)json_array_size(page);
		json_decref(page);
		if (!next)
			break;
		after_id = next;
	}
	assert_int_equal(seen, want);
	json_decref(items);
	/* tenancy and limits */
	assert_int_equal(merchant_audit(reg, &other, id, 0, 10, &items, &next), -ENOENT);
	assert_null(items);
	assert_int_equal(merchant_audit(reg, &maker, id, 0, 0, &items, NULL), -EINVAL);
	assert_int_equal(merchant_audit(reg, &maker, id, 0, MERCHANT_AUDIT_MAX + 1, &items, NULL),
			 -EINVAL);
	assert_int_equal(merchant_audit(reg, &hub, id, 0, MERCHANT_AUDIT_MAX, &items, NULL), 0);
	assert_int_equal(json_array_size(items), want);
	json_decref(items);
	audit_clean();
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(merchant_id_valid("79927398713", 11));
	assert_false(merchant_id_valid("79927398710", 11));
	assert_false(merchant_id_valid("79927398713", 10));
	assert_false(merchant_id_valid("7992739871a", 11));
	assert_false(merchant_id_valid(NULL, 11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test_setup_teardown(test_create_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_ids, setup_random, teardown),
		cmocka_unit_test_setup_teardown(test_approve_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject_revert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_till_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequential_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tier_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doc_review, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kyb_gaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kyb_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_location_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patch_clear_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_view, setup, teardown),
	};
	return cmocka_run_group_tests_name("merchant", tests, group_setup, group_teardown);
}
