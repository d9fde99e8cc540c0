/* curlev.c -- a libcurl multi handle driven by the event loop (see
 * curlev.h). */
#include "gateway/curlev.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "gateway/ev.h"

struct curlev {
	struct ev *ev;        /* borrowed */
	CURLM *multi;         /* owned */
	uint64_t timer;       /* libcurl's timeout on the loop, or 0 */
	void (*after)(void *arg);
	void *arg;            /* borrowed */
};

static void on_io(struct ev *ev, int fd, unsigned events, void *arg)
{
	(void)ev;
	struct curlev *c = arg;
	int flags = 0, running;
	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & EV_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	c->after(c->arg);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	struct curlev *c = userp;
	if (what == CURL_POLL_REMOVE) {
		if (socketp) {
			ev_io_del(c->ev, s);
			curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	unsigned ev = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!socketp) {
		if (ev_io_add(c->ev, s, ev, on_io, c) < 0)
			return -1;
		curl_multi_assign(c->multi, s, c); /* any non-NULL mark: watched */
	} else if (ev_io_mod(c->ev, s, ev) < 0) {
		return -1;
	}
	return 0;
}

static void on_timer(struct ev *ev, uint64_t id, void *arg)
{
	(void)ev;
	(void)id;
	struct curlev *c = arg;
	int running;
	c->timer = 0;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	c->after(c->arg);
}

static int on_timer_change(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	struct curlev *c = userp;
	if (c->timer) {
		ev_timer_del(c->ev, c->timer);
		c->timer = 0;
	}
	if (timeout_ms >= 0) {
		c->timer = ev_timer_add(c->ev, (uint64_t)timeout_ms, on_timer, c);
		if (!c->timer)
			return -1;
	}
	return 0;
}

int curlev_new(struct curlev **out, struct ev *ev, void (*after)(void *arg), void *arg)
{
	*out = NULL;
	struct curlev *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->ev = ev;
	c->after = after;
	c->arg = arg;
	if (!(c->multi = curl_multi_init())) {
		free(c);
		return -ENOMEM;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	*out = c;
	return 0;
}

CURLM *curlev_multi(const struct curlev *c)
{
	return c->multi;
}

void curlev_free(struct curlev *c)
{
	if (!c)
		return;
	if (c->timer)
		ev_timer_del(c->ev, c->timer);
	c->timer = 0;
	curl_multi_cleanup(c->multi);
	free(c);
}
