/* test_fwd.c -- the forwarder's decisions (gateway/fwd.h): what each
 * answer of the switch leads to at each step, the backoff, the fail
 * codes. The end-to-end behaviour is tests/cli/fwd_ttk.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/fspiop.h"
#include "gateway/fwd.h"

static enum fwd_action ans(enum fwd_step step, enum switch_status st, int code, int xstate,
			   int verified, int expired)
{
	struct fwd_answer a = { st, code, xstate, verified, expired };
	return fwd_decide(step, &a);
}

/* Before the transfer nothing can move money: errors fail or requeue. */
static void test_before_transfer(void **state)
{
	(void)state;
	for (int s = FWD_STEP_LOOKUP; s <= FWD_STEP_QUOTE; s++) {
		assert_int_equal(ans(s, SWITCH_OK, 0, -1, 0, 0), FWD_ACT_NEXT);
		assert_int_equal(ans(s, SWITCH_DOWN, 0, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_TIMEOUT, 0, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_INVALID, 0, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_ERROR, 3204, -1, 0, 0), FWD_ACT_FAIL);
		assert_int_equal(ans(s, SWITCH_ERROR, 3100, -1, 0, 0), FWD_ACT_FAIL);
		assert_int_equal(ans(s, SWITCH_ERROR, 5105, -1, 0, 0), FWD_ACT_FAIL);
		assert_int_equal(ans(s, SWITCH_ERROR, 2003, -1, 0, 0), FWD_ACT_REQUEUE);
		assert_int_equal(ans(s, SWITCH_ERROR, 1001, -1, 0, 0), FWD_ACT_REQUEUE);
	}
}

/* After the prepare was sent: commit only with a verified fulfilment;
 * any unknown outcome reconciles, never requeues (no second transfer). */
static void test_transfer(void **state)
{
	(void)state;
	enum fwd_step t = FWD_STEP_TRANSFER;
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_COMMITTED, 1, 0), FWD_ACT_COMMIT);
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_COMMITTED, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_RESERVED, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_OK, 0, FSPIOP_ABORTED, 0, 0), FWD_ACT_FAIL);
	assert_int_equal(ans(t, SWITCH_TIMEOUT, 0, -1, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_DOWN, 0, -1, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_INVALID, 0, -1, 0, 0), FWD_ACT_RECONCILE);
	assert_int_equal(ans(t, SWITCH_ERROR, 4001, -1, 0, 0), FWD_ACT_FAIL);
	assert_int_equal(ans(t, SWITCH_ERROR, 3303, -1, 0, 0), FWD_ACT_RENEW);
	assert_int_equal(ans(t, SWITCH_ERROR, 2001, -1, 0, 0), FWD_ACT_RECONCILE);
	for (int st = SWITCH_OK; st <= SWITCH_INVALID; st++)
		for (int x = -1; x <= FSPIOP_ABORTED; x++)
			for (int code = 1000; code < 6000; code += 97)
				assert_int_not_equal(ans(t, st, code, x, 0, 1), FWD_ACT_REQUEUE);
}

/* Reconciling: new ids only when the transfer is known aborted, or not
 * found after its expiration. */
static void test_get(void **state)
{
	(void)state;
	enum fwd_step g = FWD_STEP_GET;
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_COMMITTED, 1, 0), FWD_ACT_COMMIT);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_COMMITTED, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_ABORTED, 0, 0), FWD_ACT_RENEW);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_RESERVED, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_OK, 0, FSPIOP_RECEIVED, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_ERROR, 3208, -1, 0, 0), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_ERROR, 3208, -1, 0, 1), FWD_ACT_RENEW);
	assert_int_equal(ans(g, SWITCH_ERROR, 2001, -1, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_DOWN, 0, -1, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_TIMEOUT, 0, -1, 0, 1), FWD_ACT_WAIT);
	assert_int_equal(ans(g, SWITCH_INVALID, 0, -1, 0, 1), FWD_ACT_WAIT);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(fwd_backoff_ms(1, 30000, 0), 1000);
	assert_int_equal(fwd_backoff_ms(2, 30000, 0), 2000);
	assert_int_equal(fwd_backoff_ms(4, 30000, 0), 8000);
	assert_int_equal(fwd_backoff_ms(10, 30000, 0), 30000);
	assert_int_equal(fwd_backoff_ms(0, 30000, 0), 1000);
	/* The jitter: at most a quarter on top, never less than the base. */
	for (uint32_t r = 0; r < 5000; r += 7) {
		int64_t ms = fwd_backoff_ms(3, 30000, r);
		assert_true(ms >= 4000 && ms <= 5000);
	}
	assert_int_not_equal(fwd_backoff_ms(3, 30000, 1), fwd_backoff_ms(3, 30000, 2));
}

static void test_names(void **state)
{
	(void)state;
	char code[PAY_CODE_MAX];
	fwd_fail_code(3204, code);
	assert_string_equal(code, "fspiop_3204");
	assert_string_equal(fwd_action_name(FWD_ACT_RENEW), "renew");
	assert_string_equal(fwd_action_name(FWD_ACT_COMMIT), "commit");
	assert_string_equal(fwd_action_name((enum fwd_action)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_transfer),
		cmocka_unit_test(test_transfer),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
