/* test_merchant_fsm.c -- every status x action pair, roles, reasons,
 * maker-checker and tenancy, against an expectation written out here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "merchant/merchant_fsm.h"

/* The status diagram, written independently of the table:
 * to[from][action], -1 where the action is not allowed. */
static const int expect_to[MS__COUNT][MA__COUNT] = {
	/*              submit        approve      reject       revert       suspend       reinstate    close */
	[MS_DRAFT] =     { MS_SUBMITTED, -1,          -1,          -1,          -1,           -1,          MS_CLOSED },
	[MS_SUBMITTED] = { -1,           MS_APPROVED, MS_REJECTED, MS_REVERTED, -1,           -1,          MS_CLOSED },
	[MS_APPROVED] =  { -1,           -1,          -1,          -1,          MS_SUSPENDED, -1,          MS_CLOSED },
	[MS_REJECTED] =  { -1,           -1,          -1,          -1,          -1,           -1,          MS_CLOSED },
	[MS_REVERTED] =  { MS_SUBMITTED, -1,          -1,          -1,          -1,           -1,          MS_CLOSED },
	[MS_SUSPENDED] = { -1,           -1,          -1,          -1,          -1,           MS_APPROVED, MS_CLOSED },
	[MS_CLOSED] =    { -1,           -1,          -1,          -1,          -1,           -1,          -1 },
};

static const struct merchant_actor admin = { "ada", "dfsp-a", ROLE_DFSP_ADMIN };

static void test_every_pair(void **state)
{
	(void)state;
	char err[200];
	for (int s = 0; s < MS__COUNT; s++) {
		for (int a = 0; a < MA__COUNT; a++) {
			enum merchant_status to = MS__COUNT;
			int rc = merchant_fsm_decide(s, a, &admin, "dfsp-a", "maker-mo", "why",
						     &to, err, sizeof err);
			if (expect_to[s][a] < 0) {
				assert_int_equal(rc, -EPERM);
				assert_non_null(strstr(err, merchant_status_name(s)));
				assert_int_equal(to, MS__COUNT);
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(to, expect_to[s][a]);
			}
		}
	}
}

static void test_roles(void **state)
{
	(void)state;
	char err[200];
	enum merchant_status to;
	/* who may take each action (from a status where it is allowed) */
	static const struct { int action, from; unsigned roles; } cases[] = {
		{ MA_SUBMIT, MS_DRAFT, 1u << ROLE_MAKER | 1u << ROLE_DFSP_ADMIN },
		{ MA_APPROVE, MS_SUBMITTED, 1u << ROLE_CHECKER | 1u << ROLE_DFSP_ADMIN },
		{ MA_REJECT, MS_SUBMITTED, 1u << ROLE_CHECKER | 1u << ROLE_DFSP_ADMIN },
		{ MA_REVERT, MS_SUBMITTED, 1u << ROLE_CHECKER | 1u << ROLE_DFSP_ADMIN },
		{ MA_SUSPEND, MS_APPROVED, 1u << ROLE_CHECKER | 1u << ROLE_DFSP_ADMIN },
		{ MA_REINSTATE, MS_SUSPENDED, 1u << ROLE_CHECKER | 1u << ROLE_DFSP_ADMIN },
		{ MA_CLOSE, MS_APPROVED, 1u << ROLE_CHECKER | 1u << ROLE_DFSP_ADMIN },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int r = 0; r < ROLE__COUNT; r++) {
			struct merchant_actor who = { "rita", "dfsp-a", r };
			int rc = merchant_fsm_decide(cases[i].from, cases[i].action, &who, "dfsp-a",
						     "maker-mo", "why", &to, err, sizeof err);
			if (cases[i].roles & (1u << r)) {
				assert_int_equal(rc, 0);
			} else {
				assert_int_equal(rc, -EACCES);
				assert_non_null(strstr(err, merchant_role_name(r)));
			}
		}
	}
}

static void test_maker_checker(void **state)
{
	(void)state;
	char err[200];
	enum merchant_status to;
	struct merchant_actor mo = { "maker-mo", "dfsp-a", ROLE_DFSP_ADMIN };
	/* the submitter cannot review, whatever the role */
	for (int a = MA_APPROVE; a <= MA_REVERT; a++) {
		assert_int_equal(merchant_fsm_decide(MS_SUBMITTED, a, &mo, "dfsp-a", "maker-mo",
						     "why", &to, err, sizeof err), -EACCES);
		assert_non_null(strstr(err, "maker-checker"));
	}
	/* but may suspend and close, which are not reviews */
	assert_int_equal(merchant_fsm_decide(MS_APPROVED, MA_SUSPEND, &mo, "dfsp-a", "maker-mo",
					     "why", &to, err, sizeof err), 0);
	/* never submitted: nobody is barred */
	assert_int_equal(merchant_fsm_decide(MS_SUBMITTED, MA_APPROVE, &mo, "dfsp-a", NULL,
					     NULL, &to, err, sizeof err), 0);
	/* the rule alone, for tier requests */
	assert_int_equal(merchant_fsm_checker(&mo, "dfsp-a", "maker-mo", err, sizeof err), -EACCES);
	assert_int_equal(merchant_fsm_checker(&mo, "dfsp-a", "other", err, sizeof err), 0);
	assert_int_equal(merchant_fsm_checker(&mo, "dfsp-b", "other", err, sizeof err), -ENOENT);
}

static void test_other_dfsp_is_not_found(void **state)
{
	(void)state;
	char err[200];
	enum merchant_status to;
	for (int a = 0; a < MA__COUNT; a++) {
		assert_int_equal(merchant_fsm_decide(MS_SUBMITTED, a, &admin, "dfsp-b", "x", "why",
						     &to, err, sizeof err), -ENOENT);
		assert_string_equal(err, "no such merchant");
	}
}

static void test_reasons(void **state)
{
	(void)state;
	char err[200];
	enum merchant_status to;
	static const struct { int action, from, needs; } cases[] = {
		{ MA_SUBMIT, MS_DRAFT, 0 },       { MA_APPROVE, MS_SUBMITTED, 0 },
		{ MA_REJECT, MS_SUBMITTED, 1 },   { MA_REVERT, MS_SUBMITTED, 1 },
		{ MA_SUSPEND, MS_APPROVED, 1 },   { MA_REINSTATE, MS_SUSPENDED, 1 },
		{ MA_CLOSE, MS_DRAFT, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = merchant_fsm_decide(cases[i].from, cases[i].action, &admin, "dfsp-a",
					     "x", "", &to, err, sizeof err);
		assert_int_equal(rc, cases[i].needs ? -EINVAL : 0);
		rc = merchant_fsm_decide(cases[i].from, cases[i].action, &admin, "dfsp-a", "x",
					 NULL, &to, err, sizeof err);
		assert_int_equal(rc, cases[i].needs ? -EINVAL : 0);
		if (cases[i].needs)
			assert_non_null(strstr(err, "reason"));
	}
}

static void test_names(void **state)
{
	(void)state;
	for (int s = 0; s < MS__COUNT; s++)
		assert_int_equal(merchant_status_parse(merchant_status_name(s)), s);
	for (int a = 0; a < MA__COUNT; a++)
		assert_int_equal(merchant_action_parse(merchant_action_name(a)), a);
	for (int r = 0; r < ROLE__COUNT; r++)
		assert_int_equal(merchant_role_parse(merchant_role_name(r)), r);
	assert_int_equal(merchant_status_parse("draft"), -1);
	assert_int_equal(merchant_action_parse("APPROVE"), -1);
	assert_int_equal(merchant_role_parse(NULL), -1);
	assert_string_equal(merchant_status_name(MS__COUNT), "?");
	assert_true(merchant_status_editable(MS_DRAFT));
	assert_true(merchant_status_editable(MS_REVERTED));
	for (int s = 0; s < MS__COUNT; s++)
		if (s != MS_DRAFT && s != MS_REVERTED)
			assert_false(merchant_status_editable(s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_maker_checker),
		cmocka_unit_test(test_other_dfsp_is_not_found),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
