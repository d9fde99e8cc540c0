/* test_ev.c -- the event loop: timers, descriptors, signals. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/ev.h"

static struct ev *new_ev(void)
{
	char err[128];
	struct ev *ev = ev_new(err, sizeof err);
	assert_non_null(ev);
	return ev;
}

struct log {
	int n;
	uintptr_t order[64];
};

static void record(struct ev *ev, uint64_t id, void *arg)
{
	(void)ev;
	(void)id;
	struct log *l = arg;
	if (l->n < 64)
		l->order[l->n] = (uintptr_t)l->n;
	l->n++;
}

struct tagged {
	struct log *log;
	uintptr_t tag;
};

static void record_tag(struct ev *ev, uint64_t id, void *arg)
{
	(void)ev;
	(void)id;
	struct tagged *t = arg;
	t->log->order[t->log->n++] = t->tag;
}

/* Timers fire in deadline order, whatever the order they were armed in. */
static void test_timer_order(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	struct log l = { 0 };
	struct tagged t[5];
	uint64_t ms[5] = { 40, 10, 30, 0, 20 };
	for (int i = 0; i < 5; i++) {
		t[i] = (struct tagged){ &l, (uintptr_t)ms[i] };
		assert_true(ev_timer_add(ev, ms[i], record_tag, &t[i]) != 0);
	}
	assert_int_equal(ev_timer_count(ev), 5);
	uint64_t start = ev_now_ms();
	while (l.n < 5)
		assert_true(ev_run_once(ev, 1000) >= 0);
	assert_true(ev_now_ms() - start >= 40);
	for (int i = 0; i < 5; i++)
		assert_int_equal(l.order[i], (uintptr_t)(i * 10));
	assert_int_equal(ev_timer_count(ev), 0);
	ev_free(ev);
}

/* Cancelled timers never fire; cancelling twice, or a fired id, fails. */
static void test_timer_cancel(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	struct log l = { 0 };
	uint64_t ids[100];
	for (int i = 0; i < 100; i++)
		ids[i] = ev_timer_add(ev, (uint64_t)(i % 7), record, &l);
	for (int i = 0; i < 100; i += 2)
		assert_int_equal(ev_timer_del(ev, ids[i]), 0);
	assert_int_equal(ev_timer_del(ev, ids[0]), -ENOENT);
	assert_int_equal(ev_timer_del(ev, 0), -ENOENT);
	assert_int_equal(ev_timer_count(ev), 50);
	while (ev_timer_count(ev))
		assert_true(ev_run_once(ev, 100) >= 0);
	assert_int_equal(l.n, 50);
	assert_int_equal(ev_timer_del(ev, ids[1]), -ENOENT);
	/* a new timer reuses a slot but never an id */
	uint64_t id = ev_timer_add(ev, 0, record, &l);
	for (int i = 0; i < 100; i++)
		assert_true(id != ids[i]);
	ev_free(ev);
}

static void rearm(struct ev *ev, uint64_t id, void *arg)
{
	(void)id;
	int *n = arg;
	(*n)++;
	assert_true(ev_timer_add(ev, 0, rearm, arg) != 0);
}

/* A timer that re-arms itself with 0 ms runs once per round, so the
 * loop still gets to its descriptors. */
static void test_timer_rearm_zero(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	int n = 0;
	ev_timer_add(ev, 0, rearm, &n);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ev_run_once(ev, 0), 1);
	assert_int_equal(n, 10);
	ev_free(ev);
}

struct pipes {
	int p[2], q[2];
	int reads;
};

static void on_read(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct pipes *ps = arg;
	char c;
	assert_true(events & EV_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	ps->reads++;
	/* remove the other pipe: it must not be called in this round */
	ev_io_del(ev, fd == ps->p[0] ? ps->q[0] : ps->p[0]);
}

/* A descriptor removed by another's callback gets no further call in
 * the same round, although epoll had already reported it. */
static void test_io_delete_during_dispatch(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	struct pipes ps = { .reads = 0 };
	assert_int_equal(pipe(ps.p), 0);
	assert_int_equal(pipe(ps.q), 0);
	assert_int_equal(ev_io_add(ev, ps.p[0], EV_READ, on_read, &ps), 0);
	assert_int_equal(ev_io_add(ev, ps.q[0], EV_READ, on_read, &ps), 0);
	assert_int_equal(ev_io_add(ev, ps.q[0], EV_READ, on_read, &ps), -EEXIST);
	assert_int_equal(write(ps.p[1], "x", 1), 1);
	assert_int_equal(write(ps.q[1], "y", 1), 1);
	assert_int_equal(ev_run_once(ev, 1000), 1);
	assert_int_equal(ps.reads, 1);
	/* the other one was removed, with its byte still unread: nothing
	 * more happens */
	assert_int_equal(ev_run_once(ev, 10), 0);
	/* exactly one of the two is still watched */
	int a = ev_io_del(ev, ps.p[0]), b = ev_io_del(ev, ps.q[0]);
	assert_true((a == 0 && b == -ENOENT) || (a == -ENOENT && b == 0));
	assert_int_equal(ev_io_mod(ev, ps.q[0], EV_READ), -ENOENT);
	for (int i = 0; i < 2; i++) {
		close(ps.p[i]);
		close(ps.q[i]);
	}
	ev_free(ev);
}

static void on_write(struct ev *ev, int fd, unsigned events, void *arg)
{
	int *n = arg;
	assert_true(events & EV_WRITE);
	(*n)++;
	assert_int_equal(ev_io_mod(ev, fd, 0), 0);
}

static void test_io_mod(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	int p[2], n = 0;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_io_add(ev, p[1], EV_WRITE, on_write, &n), 0);
	assert_int_equal(ev_run_once(ev, 1000), 1);
	assert_int_equal(ev_run_once(ev, 10), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev_io_add(ev, -1, EV_READ, on_write, &n), -EINVAL);
	assert_int_equal(ev_io_add(ev, p[0], 0x80, on_write, &n), -EINVAL);
	close(p[0]);
	close(p[1]);
	ev_free(ev);
}

static void on_signal(struct ev *ev, int signo, void *arg)
{
	int *got = arg;
	*got = signo;
	ev_stop(ev);
}

/* A signal arrives as a callback from the loop, and ev_run() returns
 * after ev_stop(). */
static void test_signal_and_stop(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	int got = 0;
	assert_int_equal(ev_signal_add(ev, SIGUSR1, on_signal, &got), 0);
	assert_int_equal(ev_signal_add(ev, 0, on_signal, &got), -EINVAL);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(ev_run(ev), 0);
	assert_int_equal(got, SIGUSR1);
	ev_free(ev);
	/* the loop is gone and the signal is unblocked again */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	assert_false(sigismember(&cur, SIGUSR1));
}

static void test_many_timers(void **state)
{
	(void)state;
	struct ev *ev = new_ev();
	struct log l = { 0 };
	/* pseudo-random deadlines; they must come out sorted */
	uint32_t x = 12345;
	for (int i = 0; i < 5000; i++) {
		x = x * 1103515245u + 12345u;
		assert_true(ev_timer_add(ev, (x >> 16) % 20, record, &l) != 0);
	}
	while (ev_timer_count(ev))
		assert_true(ev_run_once(ev, 100) >= 0);
	assert_int_equal(l.n, 5000);
	ev_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_timer_rearm_zero),
		cmocka_unit_test(test_io_delete_during_dispatch),
		cmocka_unit_test(test_io_mod),
		cmocka_unit_test(test_signal_and_stop),
		cmocka_unit_test(test_many_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
