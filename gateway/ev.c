/* ev.c -- epoll, a timer heap on the monotonic clock, and signalfd: the
 * daemon's one event loop. */
#include "gateway/ev.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define SLOT_BITS 20                      /* at most 2^20 armed timers */
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define MAX_EVENTS 64

struct io {
	ev_io_cb cb;      /* NULL: not watched */
	void *arg;
	unsigned events;
	uint64_t round;   /* dispatch round in which it was added */
};

struct timer {
	uint64_t id;      /* 0: free slot */
	uint64_t due;     /* ev_now_ms() deadline */
	ev_timer_cb cb;
	void *arg;
	size_t pos;       /* index in the heap */
	uint32_t next_free;
};

struct ev {
	int epfd;
	int stop;
	uint64_t round;

	struct io *io;    /* indexed by fd */
	size_t nio;

	struct timer *t;  /* slots */
	size_t nt;
	uint32_t free_head;  /* 1-based index of a free slot, 0 if none */
	uint32_t *heap;   /* slot numbers, min-heap on (due, id) */
	size_t nheap;
	uint64_t seq;     /* timer ids are (seq << SLOT_BITS) | slot */

	int sfd;          /* signalfd, -1 until a signal is added */
	sigset_t sigmask, oldmask;
	struct { ev_signal_cb cb; void *arg; } sig[_NSIG];
};

uint64_t ev_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ev *ev_new(char *err, size_t errlen)
{
	struct ev *ev = calloc(1, sizeof *ev);
	if (!ev) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ev->sfd = -1;
	sigemptyset(&ev->sigmask);
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		free(ev);
		return NULL;
	}
	return ev;
}

void ev_free(struct ev *ev)
{
	if (!ev)
		return;
	if (ev->sfd >= 0) {
		close(ev->sfd);
		sigprocmask(SIG_SETMASK, &ev->oldmask, NULL);
	}
	close(ev->epfd);
	free(ev->io);
	free(ev->t);
	free(ev->heap);
	free(ev);
}

/* ---- descriptors ---- */

static uint32_t to_epoll(unsigned events)
{
	return (events & EV_READ ? EPOLLIN : 0u) | (events & EV_WRITE ? EPOLLOUT : 0u);
}

int ev_io_add(struct ev *ev, int fd, unsigned events, ev_io_cb cb, void *arg)
{
	if (fd < 0 || !cb || (events & ~(EV_READ | EV_WRITE)))
		return -EINVAL;
	if ((size_t)fd >= ev->nio) {
		size_t n = ev->nio ? ev->nio : 64;
		while (n <= (size_t)fd)
			n *= 2;
		struct io *nio = realloc(ev->io, n * sizeof *nio);
		if (!nio)
			return -ENOMEM;
		memset(nio + ev->nio, 0, (n - ev->nio) * sizeof *nio);
		ev->io = nio;
		ev->nio = n;
	}
	if (ev->io[fd].cb)
		return -EEXIST;
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee) < 0)
		return -errno;
	ev->io[fd] = (struct io){ cb, arg, events, ev->round };
	return 0;
}

int ev_io_mod(struct ev *ev, int fd, unsigned events)
{
	if (fd < 0 || (size_t)fd >= ev->nio || !ev->io[fd].cb)
		return -ENOENT;
	if (events & ~(EV_READ | EV_WRITE))
		return -EINVAL;
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &ee) < 0)
		return -errno;
	ev->io[fd].events = events;
	return 0;
}

int ev_io_del(struct ev *ev, int fd)
{
	if (fd < 0 || (size_t)fd >= ev->nio || !ev->io[fd].cb)
		return -ENOENT;
	/* The descriptor may already be closed, which removed it from the
	 * epoll set by itself: an error here changes nothing. */
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->io[fd].cb = NULL;
	return 0;
}

/* ---- timers: a binary min-heap of slot numbers ---- */

static int before(const struct ev *ev, uint32_t a, uint32_t b)
{
	const struct timer *x = &ev->t[a], *y = &ev->t[b];
	return x->due < y->due || (x->due == y->due && x->id < y->id);
}

static void heap_set(struct ev *ev, size_t pos, uint32_t slot)
{
	ev->heap[pos] = slot;
	ev->t[slot].pos = pos;
}

static void sift_up(struct ev *ev, size_t pos)
{
	uint32_t slot = ev->heap[pos];
	while (pos > 0) {
		size_t up = (pos - 1) / 2;
		if (!before(ev, slot, ev->heap[up]))
			break;
		heap_set(ev, pos, ev->heap[up]);
		pos = up;
	}
	heap_set(ev, pos, slot);
}

static void sift_down(struct ev *ev, size_t pos)
{
	uint32_t slot = ev->heap[pos];
	for (;;) {
		size_t c = 2 * pos + 1;
		if (c >= ev->nheap)
			break;
		if (c + 1 < ev->nheap && before(ev, ev->heap[c + 1], ev->heap[c]))
			c++;
		if (!before(ev, ev->heap[c], slot))
			break;
		heap_set(ev, pos, ev->heap[c]);
		pos = c;
	}
	heap_set(ev, pos, slot);
}

/* Takes slot out of the heap and puts it on the free list. */
static void timer_release(struct ev *ev, uint32_t slot)
{
	size_t pos = ev->t[slot].pos;
	uint32_t last = ev->heap[--ev->nheap];
	if (pos < ev->nheap) {
		heap_set(ev, pos, last);
		sift_down(ev, pos);
		sift_up(ev, ev->t[last].pos);
	}
	ev->t[slot].id = 0;
	ev->t[slot].next_free = ev->free_head;
	ev->free_head = slot + 1;
}

uint64_t ev_timer_add(struct ev *ev, uint64_t ms, ev_timer_cb cb, void *arg)
{
	uint32_t slot;
	if (!cb)
		return 0;
	if (ev->free_head) {
		slot = ev->free_head - 1;
		ev->free_head = ev->t[slot].next_free;
	} else {
		if (ev->nt > SLOT_MASK)
			return 0;
		size_t n = ev->nt ? ev->nt * 2 : 16;
		if (n > (size_t)SLOT_MASK + 1)
			n = (size_t)SLOT_MASK + 1;
		struct timer *nt = realloc(ev->t, n * sizeof *nt);
		if (!nt)
			return 0;
		ev->t = nt;
		uint32_t *nh = realloc(ev->heap, n * sizeof *nh);
		if (!nh)
			return 0;
		ev->heap = nh;
		/* new slots go on the free list, lowest first */
		for (size_t i = n; i-- > ev->nt + 1;) {
			ev->t[i].id = 0;
			ev->t[i].next_free = ev->free_head;
			ev->free_head = (uint32_t)i + 1;
		}
		slot = (uint32_t)ev->nt;
		ev->nt = n;
	}
	struct timer *t = &ev->t[slot];
	t->id = (++ev->seq << SLOT_BITS) | slot;
	t->due = ev_now_ms() + ms;
	t->cb = cb;
	t->arg = arg;
	ev->heap[ev->nheap] = slot;
	t->pos = ev->nheap++;
	sift_up(ev, t->pos);
	return t->id;
}

int ev_timer_del(struct ev *ev, uint64_t id)
{
	uint32_t slot = (uint32_t)(id & SLOT_MASK);
	if (id == 0 || slot >= ev->nt || ev->t[slot].id != id)
		return -ENOENT;
	timer_release(ev, slot);
	return 0;
}

size_t ev_timer_count(const struct ev *ev)
{
	return ev->nheap;
}

/* Runs the timers due by now that existed when the round began, so that
 * a callback re-arming itself with 0 ms cannot keep the loop here. */
static int run_timers(struct ev *ev, uint64_t now, uint64_t seq_limit)
{
	int n = 0;
	while (ev->nheap && !ev->stop) {
		struct timer *t = &ev->t[ev->heap[0]];
		if (t->due > now)
			break;
		if ((t->id >> SLOT_BITS) > seq_limit) {
			/* Made during this round and already due: the heap
			 * orders by due time, so older ones may sit behind
			 * it. Leave them all for the next round. */
			break;
		}
		uint64_t id = t->id;
		ev_timer_cb cb = t->cb;
		void *arg = t->arg;
		timer_release(ev, ev->heap[0]);
		cb(ev, id, arg);
		n++;
	}
	return n;
}

/* ---- signals ---- */

static void on_signalfd(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;
	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		int s = (int)si.ssi_signo;
		if (s > 0 && s < _NSIG && ev->sig[s].cb)
			ev->sig[s].cb(ev, s, ev->sig[s].arg);
	}
}

int ev_signal_add(struct ev *ev, int signo, ev_signal_cb cb, void *arg)
{
	if (signo <= 0 || signo >= _NSIG || !cb)
		return -EINVAL;
	sigset_t mask = ev->sigmask;
	sigaddset(&mask, signo);
	if (sigprocmask(SIG_BLOCK, &mask, ev->sfd < 0 ? &ev->oldmask : NULL) < 0)
		return -errno;
	int fd = signalfd(ev->sfd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ev->sfd < 0) {
		int rc = ev_io_add(ev, fd, EV_READ, on_signalfd, NULL);
		if (rc < 0) {
			close(fd);
			return rc;
		}
		ev->sfd = fd;
	}
	ev->sigmask = mask;
	ev->sig[signo].cb = cb;
	ev->sig[signo].arg = arg;
	return 0;
}

/* ---- the loop ---- */

int ev_run_once(struct ev *ev, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t now = ev_now_ms();
	int n = 0;

	if (ev->nheap) {
		uint64_t due = ev->t[ev->heap[0]].due;
		uint64_t wait = due > now ? due - now : 0;
		if (timeout_ms < 0 || wait < (uint64_t)timeout_ms)
			timeout_ms = wait > 0x7fffffff ? 0x7fffffff : (int)wait;
	}
	int k = epoll_wait(ev->epfd, evs, MAX_EVENTS, timeout_ms);
	if (k < 0) {
		if (errno != EINTR)
			return -errno;
		k = 0;
	}
	ev->round++;
	n += run_timers(ev, ev_now_ms(), ev->seq);
	for (int i = 0; i < k && !ev->stop; i++) {
		int fd = evs[i].data.fd;
		if ((size_t)fd >= ev->nio)
			continue;
		struct io *io = &ev->io[fd];
		/* removed, or removed and added again, during this round */
		if (!io->cb || io->round == ev->round)
			continue;
		unsigned got = (evs[i].events & EPOLLIN ? EV_READ : 0u) |
			       (evs[i].events & EPOLLOUT ? EV_WRITE : 0u) |
			       (evs[i].events & (EPOLLERR | EPOLLHUP) ? EV_ERROR : 0u);
		io->cb(ev, fd, got, io->arg);
		n++;
	}
	return n;
}

int ev_run(struct ev *ev)
{
	ev->stop = 0;
	while (!ev->stop) {
		int rc = ev_run_once(ev, -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void ev_stop(struct ev *ev)
{
	ev->stop = 1;
}
