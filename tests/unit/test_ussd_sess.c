/* test_ussd_sess.c -- unit tests of the USSD session table
 * (ussd/ussd_sess.c) on a real database and event loop: replacement by
 * key and by MSISDN, idle and total timers fired by the loop, the
 * expired screen, ABORT, the busy limit, the answer count of the HTTP
 * transport, dialogues the gateway pushes, bad input, and 10,000 open
 * sessions; and answers given later (ussd_later()): completed by the
 * flow, refused input while pending, the budget timer's answer, and the
 * cancellation by abort, replacement, the idle timer, the transport and
 * the table's end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/cfg.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "tests/unit/testdir.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"

/* The main menu of this program: Language only, whatever flows the
 * daemon has (ussd/ussd_flows.c, which the linker then leaves out), so
 * that the screens below stay the same. */
const struct ussd_flow *const ussd_main_flows[] = { &ussd_flow_lang, NULL };

/* A flow that answers later, opened by a direct string ("*384*100#"):
 * "100" waits with a short budget, "200" with a long one, anything else
 * shows a second screen whose answer waits with the long budget. */
static struct ussd_ctx *waiting;
static int budget_calls, cancel_calls, budget_fails, already;

static int w_budget(struct ussd_ctx *c)
{
	budget_calls++;
	waiting = NULL;
	if (budget_fails)
		return -EIO; /* the engine answers for it */
	return ussd_later_end(c, "err.busy", NULL, 0);
}

static void w_cancel(struct ussd_ctx *c)
{
	assert_ptr_equal(c, waiting);
	cancel_calls++;
	waiting = NULL;
}

static const struct ussd_later_ops w_ops = { w_budget, w_cancel };

static int w_render(struct ussd_ctx *c)
{
	return ussd_say(c, "main.title", NULL, 0);
}

static int w_wait(struct ussd_ctx *c, uint32_t ms)
{
	waiting = c;
	/* not pending yet: nothing to answer */
	already = ussd_later_end(c, "err.busy", NULL, 0);
	assert_int_equal(ussd_later(c, 0, &w_ops), -EINVAL);
	return ussd_later(c, ms, &w_ops);
}

static int w_ask(struct ussd_ctx *c, const char *in)
{
	if (!strcmp(in, "100"))
		return w_wait(c, 300);
	if (!strcmp(in, "200"))
		return w_wait(c, 60000);
	return ussd_go(c, 1);
}

static int w_next(struct ussd_ctx *c, const char *in)
{
	(void)in;
	return w_wait(c, 60000);
}

static const struct ussd_state w_states[] = {
	{ "wait.ask", 0, w_render, w_ask },
	{ "wait.next", 0, w_render, w_next },
};
static const struct ussd_flow w_flow = { "wait", "main.title", USSD_WHO_ALL, w_states, 2, 0 };
const struct ussd_flow *const ussd_direct_flow = &w_flow;

static char dir[256], dbpath[300];
static struct gw gw;

#define MAIN "CON Tillgate\n1 Language"
#define EXPIRED "END Your session has expired. Please dial again."

static int setup(void **state)
{
	char err[256];
	(void)state;
	if (testdir_make(dir, sizeof dir, "test_ussd_sess") < 0 || cfg_defaults(&gw.cfg) < 0)
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
	if (log_set_levels("warn", err, sizeof err) < 0 ||
	    db_open(&gw.db, dbpath, 0, err, sizeof err) < 0 || !(gw.ev = ev_new(err, sizeof err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ev_free(gw.ev);
	db_close(gw.db);
	cfg_free(&gw.cfg);
	return testdir_remove(dir);
}

/* A table with these limits, for one test. */
static void table(long long idle_s, long long max_s, long long max_sessions)
{
	char err[256];
	gw.cfg.ussd_idle_timeout_s = idle_s;
	gw.cfg.ussd_max_session_s = max_s;
	gw.cfg.ussd_max_sessions = max_sessions;
	if (ussd_sess_new(&gw.ussd, &gw, err, sizeof err) < 0)
		fail_msg("ussd_sess_new: %s", err);
}

static int done(void **state)
{
	(void)state;
	ussd_sess_free(gw.ussd);
	gw.ussd = NULL;
	return 0;
}

static char reply[USSD_REPLY_MAX + 8];
static int calls, nulls;

static void got(void *arg, const struct ussd_reply *r)
{
	(void)arg;
	calls++;
	if (!r) { /* a pending reply that will never come */
		nulls++;
		return;
	}
	snprintf(reply, sizeof reply, "%s %s", r->end ? "END" : "CON", r->text);
}

static int feed(enum ussd_step st, const char *key, const char *msisdn, const char *text)
{
	struct ussd_step_in in = { st, key, msisdn, text, "test" };
	calls = nulls = 0;
	reply[0] = '\0';
	return ussd_sess_step(gw.ussd, &in, got, NULL);
}

static void replaced_by_key_and_msisdn(void **state)
{
	(void)state;
	table(60, 180, 100);
	assert_int_equal(feed(USSD_BEGIN, "k1", "255700000001", "*384#"), 0);
	assert_string_equal(reply, MAIN);
	assert_int_equal(feed(USSD_CONTINUE, "k1", "255700000001", "1"), 0);
	assert_int_equal(ussd_sess_answers(gw.ussd, "k1"), 1);
	/* the same key dialled again: a new dialogue, back at the main menu */
	assert_int_equal(feed(USSD_BEGIN, "k1", "255700000001", "*384#"), 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	assert_int_equal(ussd_sess_answers(gw.ussd, "k1"), 0);
	/* the same phone under another key replaces it too */
	assert_int_equal(feed(USSD_BEGIN, "k2", "255700000001", "*384#"), 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	assert_int_equal(ussd_sess_answers(gw.ussd, "k1"), -ENOENT);
	assert_int_equal(feed(USSD_CONTINUE, "k1", "255700000001", "1"), 0);
	assert_int_equal(calls, 1);
	assert_string_equal(reply, EXPIRED);
	/* other phones are separate dialogues */
	assert_int_equal(feed(USSD_BEGIN, "k3", "255700000002", "*384#"), 0);
	assert_int_equal(feed(USSD_BEGIN, "k4", "255700000003", "*384#"), 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 3);
	/* an answer under a key that another phone holds is refused */
	assert_int_equal(feed(USSD_CONTINUE, "k3", "255700000003", "1"), 0);
	assert_string_equal(reply, EXPIRED);
	assert_int_equal(ussd_sess_answers(gw.ussd, "k3"), 0);
	/* ABORT frees without a reply; twice is harmless */
	assert_int_equal(feed(USSD_ABORT, "k3", "255700000002", ""), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
	assert_int_equal(feed(USSD_ABORT, "k3", "255700000002", ""), 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
	/* an END frees the session */
	assert_int_equal(feed(USSD_CONTINUE, "k4", "255700000003", "1"), 0);
	assert_int_equal(feed(USSD_CONTINUE, "k4", "255700000003", "x"), 0);
	assert_int_equal(feed(USSD_CONTINUE, "k4", "255700000003", "x"), 0);
	assert_int_equal(feed(USSD_CONTINUE, "k4", "255700000003", "x"), 0);
	assert_string_equal(reply, "END Too many tries. Invalid choice.");
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	/* a final screen at BEGIN keeps nothing */
	assert_int_equal(feed(USSD_BEGIN, "k5", "255700000005", "*999#"), 0);
	assert_string_equal(reply, "END Unknown service. Please check the code you dialled.");
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
}

/* A dialogue the gateway opens (a push): correlated by MSISDN on its
 * first answer, which gives it the network's key; replaced like any
 * other; refused for a bad number or a full table. */
static void pushed_dialogue(void **state)
{
	(void)state;
	table(60, 180, 2);
	struct ussd_reply r;
	const unsigned char scratch[1] = { 0 };
	assert_int_equal(ussd_sess_push(gw.ussd, "255700000009", "smpp", &ussd_flow_lang, 0, scratch,
					sizeof scratch, &r), 0);
	assert_int_equal(r.end, 0);
	assert_non_null(strstr(r.text, "Choose your language"));
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	assert_int_equal(ussd_sess_answers(gw.ussd, "push:255700000009"), 0);
	/* the answer comes under the network's key: the same dialogue */
	assert_int_equal(feed(USSD_CONTINUE, "smpp:255700000009:81", "255700000009", "1"), 0);
	assert_int_equal(calls, 1);
	assert_string_not_equal(reply, EXPIRED);
	assert_int_equal(ussd_sess_answers(gw.ussd, "smpp:255700000009:81"), 1);
	assert_int_equal(ussd_sess_answers(gw.ussd, "push:255700000009"), -ENOENT);
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	/* once answered, another key is another dialogue */
	assert_int_equal(feed(USSD_CONTINUE, "smpp:255700000009:82", "255700000009", "1"), 0);
	assert_string_equal(reply, EXPIRED);
	/* another phone's answer never takes it */
	assert_int_equal(ussd_sess_push(gw.ussd, "255700000008", "smpp", &ussd_flow_lang, 0, scratch,
					sizeof scratch, &r), 0);
	assert_int_equal(feed(USSD_CONTINUE, "smpp:255700000007:5", "255700000007", "1"), 0);
	assert_string_equal(reply, EXPIRED);
	assert_int_equal(ussd_sess_answers(gw.ussd, "push:255700000008"), 0);
	/* the phone dials: its own dialogue replaces the push */
	assert_int_equal(feed(USSD_BEGIN, "k8", "255700000008", "*384#"), 0);
	assert_int_equal(ussd_sess_answers(gw.ussd, "push:255700000008"), -ENOENT);
	/* a full table, a bad number, too much scratch */
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
	assert_int_equal(ussd_sess_push(gw.ussd, "255700000006", "smpp", &ussd_flow_lang, 0, scratch,
					sizeof scratch, &r), -EBUSY);
	assert_int_equal(ussd_sess_push(gw.ussd, "0755", "smpp", &ussd_flow_lang, 0, scratch,
					sizeof scratch, &r), -EINVAL);
	assert_int_equal(ussd_sess_push(gw.ussd, "255700000006", "smpp", &ussd_flow_lang, 0, scratch,
					USSD_SCRATCH_MAX + 1, &r), -EINVAL);
	/* a push to a phone with a dialogue replaces it, full table or not */
	assert_int_equal(ussd_sess_push(gw.ussd, "255700000008", "smpp", &ussd_flow_lang, 0, scratch,
					sizeof scratch, &r), 0);
	assert_int_equal(ussd_sess_answers(gw.ussd, "k8"), -ENOENT);
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
}

static void bad_input(void **state)
{
	(void)state;
	table(60, 180, 100);
	char longkey[USSD_KEY_MAX + 2], longtext[700];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	memset(longtext, '1', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	assert_int_equal(feed(USSD_BEGIN, longkey, "255700000001", "*384#"), -EINVAL);
	longkey[USSD_KEY_MAX] = '\0';
	assert_int_equal(feed(USSD_BEGIN, longkey, "255700000001", "*384#"), 0);
	assert_int_equal(feed(USSD_BEGIN, "", "255700000001", "*384#"), -EINVAL);
	assert_int_equal(feed(USSD_BEGIN, "k", "25570000000x", "*384#"), -EINVAL);
	assert_int_equal(feed(USSD_BEGIN, "k", "+255700000001", "*384#"), -EINVAL);
	assert_int_equal(feed(USSD_BEGIN, "k", "12345", "*384#"), -EINVAL);
	assert_int_equal(feed(USSD_BEGIN, "k", "1234567890123456", "*384#"), -EINVAL);
	assert_int_equal(feed(USSD_BEGIN, "k\n", "255700000001", "*384#"), -EINVAL);
	assert_int_equal(feed(USSD_CONTINUE, longkey, "255700000001", longtext), -EINVAL);
	assert_int_equal(calls, 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
}

static void busy(void **state)
{
	(void)state;
	table(60, 180, 2);
	assert_int_equal(feed(USSD_BEGIN, "b1", "255700000001", "*384#"), 0);
	assert_int_equal(feed(USSD_BEGIN, "b2", "255700000002", "*384#"), 0);
	assert_int_equal(feed(USSD_BEGIN, "b3", "255700000003", "*384#"), 0);
	assert_string_equal(reply, "END The service is busy. Please try again later.");
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
	/* a replacement is not a new dialogue */
	assert_int_equal(feed(USSD_BEGIN, "b4", "255700000002", "*384#"), 0);
	assert_string_equal(reply, MAIN);
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
}

/* Runs the loop until the table is empty or about limit_ms have passed
 * (a bound, not a measurement). Returns the sessions left. */
static size_t run_until_empty(int limit_ms)
{
	for (int i = 0; i < limit_ms / 50 && ussd_sess_count(gw.ussd); i++)
		ev_run_once(gw.ev, 50);
	return ussd_sess_count(gw.ussd);
}

static void idle_timer(void **state)
{
	(void)state;
	table(1, 3600, 100);
	assert_int_equal(feed(USSD_BEGIN, "i1", "255700000001", "*384#"), 0);
	assert_int_equal(feed(USSD_BEGIN, "i2", "255700000002", "*384#"), 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 2);
	/* only the idle timeout can end them: the total one is an hour */
	assert_int_equal(run_until_empty(10000), 0);
	assert_int_equal(ev_timer_count(gw.ev), 0);
	assert_int_equal(feed(USSD_CONTINUE, "i1", "255700000001", "1"), 0);
	assert_int_equal(calls, 1);
	assert_string_equal(reply, EXPIRED);
	/* the table works on afterwards: the timer is armed again */
	assert_int_equal(feed(USSD_BEGIN, "i3", "255700000003", "*384#"), 0);
	assert_int_equal(ev_timer_count(gw.ev), 1);
	assert_int_equal(run_until_empty(10000), 0);
}

static void total_timer(void **state)
{
	(void)state;
	table(3600, 1, 100);
	assert_int_equal(feed(USSD_BEGIN, "t1", "255700000001", "*384#"), 0);
	assert_int_equal(feed(USSD_CONTINUE, "t1", "255700000001", "1"), 0);
	assert_string_equal(reply, "CON Choose your language\n1 English\n2 Kiswahili\n3 Français\n0 Back");
	/* only the total timeout can end it: the idle one is an hour */
	assert_int_equal(run_until_empty(10000), 0);
	assert_int_equal(feed(USSD_CONTINUE, "t1", "255700000001", "0"), 0);
	assert_string_equal(reply, EXPIRED);
	/* deadlines apart: the timer that ends the first must be armed
	 * again for the second */
	assert_int_equal(feed(USSD_BEGIN, "t2", "255700000002", "*384#"), 0);
	ev_run_once(gw.ev, 300);
	assert_int_equal(feed(USSD_BEGIN, "t3", "255700000003", "*384#"), 0);
	assert_int_equal(run_until_empty(10000), 0);
	assert_int_equal(ev_timer_count(gw.ev), 0);
}

static void many_sessions(void **state)
{
	(void)state;
	table(60, 180, 20000);
	char key[32], msisdn[16];
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "smpp:2557%08d", i);
		snprintf(msisdn, sizeof msisdn, "2557%08d", i);
		assert_int_equal(feed(USSD_BEGIN, key, msisdn, "*384#"), 0);
	}
	assert_int_equal(ussd_sess_count(gw.ussd), 10000);
	/* one loop timer for all of them */
	assert_int_equal(ev_timer_count(gw.ev), 1);
	/* every one still found by key */
	for (int i = 0; i < 10000; i += 997) {
		snprintf(key, sizeof key, "smpp:2557%08d", i);
		snprintf(msisdn, sizeof msisdn, "2557%08d", i);
		assert_int_equal(feed(USSD_CONTINUE, key, msisdn, "1"), 0);
		assert_int_equal(reply[0], 'C');
	}
	/* small sessions: the menu context is fixed fields and scratch */
	assert_true(ussd_ctx_size() <= USSD_SCRATCH_MAX + 320);
}

/* ---- answers given later ---- */

static void later_completes(void **state)
{
	(void)state;
	table(60, 180, 100);
	/* at BEGIN, through a direct string */
	assert_int_equal(feed(USSD_BEGIN, "w1", "255700000001", "*384*200#"), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(already, -EALREADY);
	assert_non_null(waiting);
	assert_true(ussd_ctx_later(waiting));
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	/* input while it waits is refused; the reply stays pending */
	assert_int_equal(feed(USSD_CONTINUE, "w1", "255700000001", "1"), -EBUSY);
	assert_int_equal(calls, 0);
	assert_int_equal(ussd_sess_count(gw.ussd), 1);
	/* the flow answers: once, a final screen, the dialogue ends */
	assert_int_equal(ussd_later_end(waiting, "err.choice", NULL, 0), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(nulls, 0);
	assert_string_equal(reply, "END Invalid choice.");
	assert_int_equal(ussd_sess_count(gw.ussd), 0);
	assert_int_equal(feed(USSD_CONTINUE, "w1", "255700000001", "1"), 0);
	assert_string_equal(reply, EXPIRED);
	/* at a CONTINUE */
	assert_int_equal(feed(USSD_BEGIN, "w2", "255700000002", "*384*555#"), 0);
	assert_string_equal(reply, "CON Tillgate");
	assert_int_equal(feed(USSD_CONTINUE, "w2", "255700000002", "1"), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(ussd_sess_answers(gw.ussd, "w2"), 1);
	assert_int_equal(ussd_later_end(waiting, "err.busy", NULL, 0), 0);
	assert_int_equal(calls, 1);
	assert_string_equal(reply, "END The service is busy. Please try again later.");
	assert_int_equal(cancel_calls, 0);
	assert_int_equal(budget_calls, 0);
	/* only the table's own timer is left */
	assert_int_equal(ussd_sess_count(gw.ussd), 0);
	assert_true(ev_timer_count(gw.ev) <= 1);
}

static void later_budget(void **state)
{
	(void)state;
	table(60, 180, 100);
	budget_calls = budget_fails = 0;
	assert_int_equal(feed(USSD_BEGIN, "b1", "255700000001", "*384*100#"), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(run_until_empty(10000), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(budget_calls, 1);
	assert_string_equal(reply, "END The service is busy. Please try again later.");
	/* a flow that does not answer at the budget: the engine does */
	budget_fails = 1;
	assert_int_equal(feed(USSD_BEGIN, "b2", "255700000002", "*384*100#"), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(run_until_empty(10000), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(budget_calls, 2);
	assert_string_equal(reply, "END Service unavailable. Please try again later.");
	assert_int_equal(nulls, 0);
	assert_int_equal(cancel_calls, 0);
	budget_fails = 0;
}

/* Starts a dialogue that waits (long budget) for msisdn under key. */
static void wait_on(const char *key, const char *msisdn)
{
	assert_int_equal(feed(USSD_BEGIN, key, msisdn, "*384*200#"), 0);
	assert_int_equal(calls, 0);
	assert_non_null(waiting);
	calls = nulls = 0;
}

static void later_cancelled(void **state)
{
	(void)state;
	table(1, 3600, 100);
	cancel_calls = budget_calls = 0;
	/* aborted by the network */
	wait_on("c1", "255700000001");
	assert_int_equal(feed(USSD_ABORT, "c1", "255700000001", ""), 0);
	assert_int_equal(cancel_calls, 1);
	assert_null(waiting);
	assert_int_equal(nulls, 1); /* the transport hears it, once */
	assert_int_equal(ussd_sess_count(gw.ussd), 0);
	/* replaced by a new dial of the same phone */
	wait_on("c2", "255700000002");
	nulls = 0;
	assert_int_equal(feed(USSD_BEGIN, "c3", "255700000002", "*384#"), 0);
	assert_int_equal(cancel_calls, 2);
	assert_int_equal(nulls, 1);
	assert_int_equal(calls, 2); /* the NULL, then the new dialogue's menu */
	assert_string_equal(reply, MAIN);
	assert_int_equal(feed(USSD_ABORT, "c3", "255700000002", ""), 0);
	/* the idle timer (1 s) before the budget (60 s) */
	wait_on("c4", "255700000004");
	nulls = 0;
	assert_int_equal(run_until_empty(10000), 0);
	assert_int_equal(cancel_calls, 3);
	assert_int_equal(nulls, 1);
	assert_int_equal(budget_calls, 0);
	/* the transport goes away */
	wait_on("c5", "255700000005");
	nulls = 0;
	ussd_sess_cancel_replies(gw.ussd, got);
	assert_int_equal(cancel_calls, 4);
	assert_int_equal(nulls, 1);
	assert_int_equal(ussd_sess_count(gw.ussd), 0);
	/* the table is freed (daemon stop) */
	wait_on("c6", "255700000006");
	nulls = 0;
	ussd_sess_free(gw.ussd);
	gw.ussd = NULL;
	assert_int_equal(cancel_calls, 5);
	assert_int_equal(nulls, 1);
	assert_int_equal(ev_timer_count(gw.ev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(replaced_by_key_and_msisdn, done),
		cmocka_unit_test_teardown(pushed_dialogue, done),
		cmocka_unit_test_teardown(bad_input, done),
		cmocka_unit_test_teardown(busy, done),
		cmocka_unit_test_teardown(idle_timer, done),
		cmocka_unit_test_teardown(total_timer, done),
		cmocka_unit_test_teardown(many_sessions, done),
		cmocka_unit_test_teardown(later_completes, done),
		cmocka_unit_test_teardown(later_budget, done),
		cmocka_unit_test_teardown(later_cancelled, done),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
