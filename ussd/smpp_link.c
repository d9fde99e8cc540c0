/* smpp_link.c -- the ESME link: connection, bind, window, timers,
 * reconnect and unbind on the event loop (see smpp_link.h). */
#include "ussd/smpp_link.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway/ev.h"
#include "gateway/log.h"

/* Housekeeping period: timeouts, enquire_link, throttling, draining. */
#define TICK_MS 100
#define SEQ_MAX 0x7FFFFFFFu
/* An over-long PDU up to this size is read past and answered; a larger
 * command_length is taken as a stream out of step, and drops the link. */
#define SKIP_MAX 65536u

/* One submit_sm, packed; its sequence number is written when it leaves. */
struct req {
	struct req *next;
	uint32_t seq;
	uint64_t deadline;   /* ev_now_ms() by which the response is due */
	int secret;
	smpp_link_resp_fn cb;
	void *arg;
	size_t len;
	uint8_t pdu[];
};

struct smpp_link {
	struct ev *ev; /* borrowed */
	struct smpp_link_handlers h;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char peer[80]; /* host:port for logs */
	char system_id[16], password[9], system_type[13];
	unsigned window, enq_ms, resp_ms, rc_min_ms, rc_max_ms, throttle_ms;
	size_t max_pdu;

	enum smpp_link_state st;
	int fd;
	uint64_t tick;        /* timer ids, 0 when not armed */
	uint64_t reconnect;
	unsigned fails;       /* connects or binds failed in a row */
	uint64_t state_deadline; /* CONNECTING, BINDING, UNBINDING */
	int stopping;
	int unbind_sent;
	uint32_t seq;         /* last sequence number used */
	uint32_t bind_seq;
	uint32_t enq_seq;     /* enquire_link outstanding, 0 if none */
	uint64_t enq_deadline;
	uint64_t last_rx;
	uint64_t paused_until;/* throttled until then */
	uint64_t rng;

	struct req *q_head, *q_tail; /* waiting to be sent */
	struct req *inflight;        /* sent, unanswered */
	unsigned ninflight;
	int corked;                  /* inside a deliver handler: hold writes */

	uint8_t *rbuf;
	size_t rlen, rcap;
	size_t skip;                 /* bytes of an over-long PDU still to discard */
	uint8_t *wbuf;
	size_t wlen, wcap;
	int want_write;

	struct smpp_link_stats stats;
};

/* ---- the state table ---- */

static const char *const state_names[SMPP_LINK__NSTATES] = {
	[SMPP_LINK_DOWN] = "DOWN",
	[SMPP_LINK_CONNECTING] = "CONNECTING",
	[SMPP_LINK_BINDING] = "BINDING",
	[SMPP_LINK_BOUND] = "BOUND",
	[SMPP_LINK_UNBINDING] = "UNBINDING",
	[SMPP_LINK_STOPPED] = "STOPPED",
};

#define B(s) (1u << (s))
/* allowed[from]: the states it may go to. */
static const unsigned allowed[SMPP_LINK__NSTATES] = {
	[SMPP_LINK_DOWN] = B(SMPP_LINK_CONNECTING) | B(SMPP_LINK_STOPPED),
	[SMPP_LINK_CONNECTING] = B(SMPP_LINK_BINDING) | B(SMPP_LINK_DOWN) | B(SMPP_LINK_STOPPED),
	[SMPP_LINK_BINDING] = B(SMPP_LINK_BOUND) | B(SMPP_LINK_DOWN) | B(SMPP_LINK_STOPPED),
	[SMPP_LINK_BOUND] = B(SMPP_LINK_DOWN) | B(SMPP_LINK_UNBINDING) | B(SMPP_LINK_STOPPED),
	[SMPP_LINK_UNBINDING] = B(SMPP_LINK_STOPPED),
	[SMPP_LINK_STOPPED] = 0,
};
#undef B

const char *smpp_link_state_name(enum smpp_link_state st)
{
	return st < SMPP_LINK__NSTATES ? state_names[st] : "?";
}

/* The one place the state changes. A forbidden change is a Tillgate bug:
 * logged and refused. Returns 0 or -EPERM. */
static int set_state(struct smpp_link *l, enum smpp_link_state to, const char *event)
{
	if (!(allowed[l->st] & (1u << to))) {
		LOGE(LC_SMPP, "forbidden link transition", "from=%s to=%s event=%s",
		     state_names[l->st], state_names[to], event);
		return -EPERM;
	}
	if (log_enabled(LC_SMPP, LOG_INFO)) {
		char q[96];
		LOGI(LC_SMPP, "link state", "from=%s to=%s event=%s peer=%s", state_names[l->st],
		     state_names[to], log_q(q, sizeof q, event), l->peer);
	}
	l->st = to;
	if (l->h.state)
		l->h.state(l->h.arg, to);
	return 0;
}

/* ---- helpers ---- */

uint32_t smpp_link_seq_next(uint32_t prev)
{
	return prev >= SEQ_MAX ? 1 : prev + 1;
}

static uint32_t next_seq(struct smpp_link *l)
{
	return l->seq = smpp_link_seq_next(l->seq);
}

static uint64_t rnd(struct smpp_link *l)
{
	/* xorshift64: jitter only, not security */
	uint64_t x = l->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return l->rng = x;
}

static void trace(const struct smpp_link *l, const char *dir, const uint8_t *p, size_t n,
		  int secret)
{
	if (!log_enabled(LC_SMPP, LOG_DEBUG))
		return;
	char line[700];
	smpp_pdu_trace(p, n, secret, line, sizeof line);
	LOGD(LC_SMPP, dir, "peer=%s %s", l->peer, line);
}

static void io_update(struct smpp_link *l)
{
	int want = l->wlen > 0 || l->st == SMPP_LINK_CONNECTING;
	if (l->fd >= 0 && want != l->want_write) {
		ev_io_mod(l->ev, l->fd, EV_READ | (want ? EV_WRITE : 0));
		l->want_write = want;
	}
}

static void drop(struct smpp_link *l, const char *why);

/* Writes what is buffered, as far as the socket takes it. */
static void flush(struct smpp_link *l)
{
	size_t off = 0;

	if (l->fd < 0 || l->corked || l->st == SMPP_LINK_CONNECTING)
		return;
	while (off < l->wlen) {
		ssize_t n = send(l->fd, l->wbuf + off, l->wlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		memmove(l->wbuf, l->wbuf + off, l->wlen - off);
		l->wlen -= off;
		drop(l, "write failed");
		return;
	}
	memmove(l->wbuf, l->wbuf + off, l->wlen - off);
	l->wlen -= off;
	io_update(l);
}

/* Appends one PDU to the write buffer. Returns 0 or -ENOMEM. */
static int out(struct smpp_link *l, const uint8_t *p, size_t n, int secret)
{
	if (l->wlen + n > l->wcap) {
		size_t cap = l->wcap ? l->wcap : 4096;
		while (cap < l->wlen + n)
			cap *= 2;
		uint8_t *nb = realloc(l->wbuf, cap);
		if (!nb)
			return -ENOMEM;
		l->wbuf = nb;
		l->wcap = cap;
	}
	memcpy(l->wbuf + l->wlen, p, n);
	l->wlen += n;
	trace(l, "pdu out", p, n, secret);
	return 0;
}

static void send_header(struct smpp_link *l, uint32_t id, uint32_t status, uint32_t seq)
{
	uint8_t b[SMPP_HDR_LEN];
	smpp_pdu_pack_header(b, sizeof b, id, status, seq, NULL, 0);
	if (out(l, b, sizeof b, 0) == 0)
		flush(l);
}

static void finish(struct req *r, int rc, uint32_t status, const char *mid)
{
	if (r->cb)
		r->cb(r->arg, rc, status, mid ? mid : "");
	free(r);
}

/* Fails every queued (rc_queued) and unanswered (rc_inflight) request. */
static void fail_all(struct smpp_link *l, int rc_queued, int rc_inflight)
{
	struct req *q = l->q_head, *f = l->inflight;

	/* detach first: callbacks may submit again */
	l->q_head = l->q_tail = NULL;
	l->inflight = NULL;
	l->ninflight = 0;
	while (f) {
		struct req *n = f->next;
		finish(f, rc_inflight, 0, NULL);
		f = n;
	}
	while (q) {
		struct req *n = q->next;
		finish(q, rc_queued, 0, NULL);
		q = n;
	}
}

static void close_fd(struct smpp_link *l)
{
	if (l->fd >= 0) {
		ev_io_del(l->ev, l->fd);
		close(l->fd);
		l->fd = -1;
	}
	l->rlen = l->wlen = l->skip = 0;
	l->want_write = 0;
	l->enq_seq = 0;
	l->unbind_sent = 0;
	l->paused_until = 0;
}

static void on_reconnect(struct ev *ev, uint64_t id, void *arg);

/* Closes the connection and arms the reconnect with backoff. */
static void drop(struct smpp_link *l, const char *why)
{
	if (l->fd < 0 && l->st == SMPP_LINK_DOWN)
		return;
	close_fd(l);
	l->stats.drops++;
	if (l->stopping) {
		set_state(l, SMPP_LINK_STOPPED, why);
		fail_all(l, -ESHUTDOWN, -ECONNRESET);
		return;
	}
	set_state(l, SMPP_LINK_DOWN, why);
	uint64_t d = l->rc_min_ms;
	for (unsigned i = 0; i < l->fails && d < l->rc_max_ms; i++)
		d *= 2;
	if (d > l->rc_max_ms)
		d = l->rc_max_ms;
	d = d / 2 + rnd(l) % (d / 2 + 1); /* jitter: half to all of it */
	l->fails++;
	LOGN(LC_SMPP, "link down, reconnecting", "peer=%s reason=\"%s\" delay_ms=%llu", l->peer, why,
	     (unsigned long long)d);
	l->reconnect = ev_timer_add(l->ev, d, on_reconnect, l);
	fail_all(l, -ENOTCONN, -ECONNRESET);
}

/* Moves queued requests to the wire while the window has room. */
static void pump(struct smpp_link *l)
{
	if (l->st != SMPP_LINK_BOUND && l->st != SMPP_LINK_UNBINDING)
		return;
	if (l->unbind_sent || (l->paused_until && ev_now_ms() < l->paused_until))
		return;
	l->paused_until = 0;
	while (l->q_head && l->ninflight < l->window) {
		struct req *r = l->q_head;
		l->q_head = r->next;
		if (!l->q_head)
			l->q_tail = NULL;
		r->seq = next_seq(l);
		r->pdu[12] = (uint8_t)(r->seq >> 24);
		r->pdu[13] = (uint8_t)(r->seq >> 16);
		r->pdu[14] = (uint8_t)(r->seq >> 8);
		r->pdu[15] = (uint8_t)r->seq;
		r->deadline = ev_now_ms() + l->resp_ms;
		if (out(l, r->pdu, r->len, r->secret) < 0) {
			finish(r, -ENOMEM, 0, NULL);
			continue;
		}
		r->next = l->inflight;
		l->inflight = r;
		l->ninflight++;
		l->stats.submits++;
	}
	flush(l);
}

static struct req *take_inflight(struct smpp_link *l, uint32_t seq)
{
	for (struct req **pp = &l->inflight; *pp; pp = &(*pp)->next)
		if ((*pp)->seq == seq) {
			struct req *r = *pp;
			*pp = r->next;
			r->next = NULL;
			l->ninflight--;
			return r;
		}
	return NULL;
}

/* ---- timers ---- */

static void send_unbind(struct smpp_link *l)
{
	l->unbind_sent = 1;
	l->state_deadline = ev_now_ms() + l->resp_ms;
	send_header(l, SMPP_UNBIND, 0, next_seq(l));
}

static void on_tick(struct ev *ev, uint64_t id, void *arg)
{
	struct smpp_link *l = arg;
	uint64_t now = ev_now_ms();
	(void)id;
	(void)ev;

	l->tick = 0;
	switch (l->st) {
	case SMPP_LINK_CONNECTING:
	case SMPP_LINK_BINDING:
		if (now >= l->state_deadline) {
			drop(l, l->st == SMPP_LINK_CONNECTING ? "connect timed out" : "bind timed out");
			return;
		}
		break;
	case SMPP_LINK_BOUND:
	case SMPP_LINK_UNBINDING: {
		/* response timeouts */
		for (struct req **pp = &l->inflight; *pp;) {
			struct req *r = *pp;
			if (now >= r->deadline) {
				*pp = r->next;
				l->ninflight--;
				l->stats.timeouts++;
				LOGW(LC_SMPP, "no response in time", "peer=%s seq=%u", l->peer, r->seq);
				finish(r, -ETIMEDOUT, 0, NULL);
				if (l->fd < 0)
					return;
				pp = &l->inflight; /* the callback may have changed the list */
			} else {
				pp = &r->next;
			}
		}
		if (l->enq_seq && now >= l->enq_deadline) {
			drop(l, "no enquire_link_resp: dead link");
			return;
		}
		if (l->st == SMPP_LINK_BOUND && !l->enq_seq && now - l->last_rx >= l->enq_ms) {
			l->enq_seq = next_seq(l);
			l->enq_deadline = now + l->resp_ms;
			l->stats.enquire_sent++;
			send_header(l, SMPP_ENQUIRE_LINK, 0, l->enq_seq);
			if (l->fd < 0)
				return;
		}
		if (l->st == SMPP_LINK_UNBINDING) {
			if (!l->unbind_sent && ((!l->q_head && !l->inflight) || now >= l->state_deadline)) {
				fail_all(l, -ESHUTDOWN, -ETIMEDOUT);
				send_unbind(l);
			} else if (l->unbind_sent && now >= l->state_deadline) {
				drop(l, "no unbind_resp");
				return;
			}
		}
		pump(l);
		break;
	}
	default:
		return;
	}
	if (l->fd >= 0)
		l->tick = ev_timer_add(l->ev, TICK_MS, on_tick, l);
}

/* ---- incoming ---- */

static void on_bind_resp(struct smpp_link *l, const struct smpp_in *in)
{
	if (l->st != SMPP_LINK_BINDING || in->h.seq != l->bind_seq) {
		LOGW(LC_SMPP, "unexpected bind_transceiver_resp", "peer=%s seq=%u", l->peer, in->h.seq);
		return;
	}
	if (in->h.status != SMPP_ROK) {
		l->stats.bind_refusals++;
		LOGW(LC_SMPP, "bind refused", "peer=%s system_id=%s status=0x%08x", l->peer, l->system_id,
		     in->h.status);
		drop(l, "bind refused");
		return;
	}
	l->fails = 0;
	l->stats.binds++;
	set_state(l, SMPP_LINK_BOUND, "bind_transceiver_resp");
	pump(l);
}

static void on_submit_resp(struct smpp_link *l, const struct smpp_in *in)
{
	struct req *r = take_inflight(l, in->h.seq);

	if (!r) {
		LOGW(LC_SMPP, "response to no request", "peer=%s cmd=%s seq=%u", l->peer,
		     smpp_pdu_name(in->h.id), in->h.seq);
		return;
	}
	if (in->h.status == SMPP_RTHROTTLED) {
		/* back to the head of the queue; sending pauses */
		l->stats.throttled++;
		LOGN(LC_SMPP, "throttled by the SMSC", "peer=%s seq=%u pause_ms=%u", l->peer, in->h.seq,
		     l->throttle_ms);
		r->next = l->q_head;
		l->q_head = r;
		if (!l->q_tail)
			l->q_tail = r;
		l->paused_until = ev_now_ms() + l->throttle_ms;
		return;
	}
	if (in->h.status == SMPP_ROK)
		l->stats.submit_ok++;
	else
		l->stats.submit_err++;
	finish(r, 0, in->h.status, in->message_id);
}

static void on_deliver(struct smpp_link *l, const struct smpp_in *in)
{
	uint8_t b[64];
	uint32_t status = SMPP_ROK;

	l->stats.delivers++;
	if (l->st != SMPP_LINK_BOUND) {
		status = SMPP_RINVBNDSTS;
	} else {
		/* Hold writes while the handler runs, so that the
		 * deliver_sm_resp goes before whatever it submits. */
		l->corked = 1;
		status = l->h.deliver(l->h.arg, in);
		l->corked = 0;
		if (l->fd < 0)
			return;
	}
	/* What the handler submitted is still queued (writes were held):
	 * the resp goes first, then the queue, in one write. */
	int n = smpp_pdu_pack_deliver_resp(b, sizeof b, in->h.seq, status, NULL, 0);
	if (n > 0)
		out(l, b, (size_t)n, 0);
	pump(l);
	flush(l);
}

/* Answers a PDU that did not decode. */
static void answer_bad(struct smpp_link *l, const struct smpp_hdr *h, uint32_t status,
		       const char *err)
{
	l->stats.malformed++;
	LOGW(LC_SMPP, "malformed PDU", "peer=%s cmd_id=0x%08x seq=%u answer=0x%x error=\"%s\"",
	     l->peer, h->id, h->seq, status, err);
	if (h->id == SMPP_DELIVER_SM) {
		uint8_t b[64];
		int n = smpp_pdu_pack_deliver_resp(b, sizeof b, h->seq ? h->seq : 0, status, NULL, 0);
		if (n > 0 && h->seq) {
			if (out(l, b, (size_t)n, 0) == 0)
				flush(l);
			return;
		}
	}
	/* generic_nack for unknown commands, bad responses and the rest */
	send_header(l, SMPP_GENERIC_NACK, status, h->seq);
}

static void dispatch(struct smpp_link *l, const uint8_t *p, size_t n)
{
	struct smpp_in in;
	uint32_t answer;
	char err[256];

	trace(l, "pdu in", p, n, 0);
	l->last_rx = ev_now_ms();
	if (smpp_pdu_decode(p, n, &in, &answer, err, sizeof err) < 0) {
		answer_bad(l, &in.h, answer, err);
		return;
	}
	switch (in.h.id) {
	case SMPP_BIND_TRANSCEIVER_RESP:
		on_bind_resp(l, &in);
		break;
	case SMPP_SUBMIT_SM_RESP:
		on_submit_resp(l, &in);
		break;
	case SMPP_GENERIC_NACK:
		if (in.h.seq == l->bind_seq && l->st == SMPP_LINK_BINDING)
			on_bind_resp(l, &in);
		else if (in.h.seq == l->enq_seq)
			l->enq_seq = 0;
		else
			on_submit_resp(l, &in);
		break;
	case SMPP_DELIVER_SM:
		on_deliver(l, &in);
		break;
	case SMPP_ENQUIRE_LINK:
		l->stats.enquire_recv++;
		send_header(l, SMPP_ENQUIRE_LINK_RESP, 0, in.h.seq);
		break;
	case SMPP_ENQUIRE_LINK_RESP:
		if (in.h.seq == l->enq_seq)
			l->enq_seq = 0;
		break;
	case SMPP_UNBIND:
		send_header(l, SMPP_UNBIND_RESP, 0, in.h.seq);
		if (l->fd >= 0)
			drop(l, "unbind from the SMSC");
		break;
	case SMPP_UNBIND_RESP:
		if (l->st == SMPP_LINK_UNBINDING)
			drop(l, "unbind_resp");
		break;
	default: /* deliver_sm_resp: nothing asked for one */
		break;
	}
}

static void on_readable(struct smpp_link *l)
{
	for (;;) {
		if (l->rcap - l->rlen < 1024) {
			size_t cap = l->rcap ? l->rcap * 2 : 2 * l->max_pdu + 1024;
			if (cap > 4 * l->max_pdu + 1024) {
				drop(l, "read buffer full");
				return;
			}
			uint8_t *nb = realloc(l->rbuf, cap);
			if (!nb) {
				drop(l, "out of memory");
				return;
			}
			l->rbuf = nb;
			l->rcap = cap;
		}
		ssize_t n = recv(l->fd, l->rbuf + l->rlen, l->rcap - l->rlen, 0);
		if (n == 0) {
			drop(l, "connection closed by the SMSC");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			drop(l, "read failed");
			return;
		}
		l->rlen += (size_t)n;
		size_t off = 0;
		while (off < l->rlen) {
			if (l->skip) {
				size_t k = l->skip < l->rlen - off ? l->skip : l->rlen - off;
				off += k;
				l->skip -= k;
				continue;
			}
			struct smpp_hdr h;
			char err[160];
			int r = smpp_pdu_frame(l->rbuf + off, l->rlen - off, l->max_pdu, &h, err, sizeof err);
			if (r == -2)
				break;
			if (r == -1) {
				l->stats.malformed++;
				LOGW(LC_SMPP, "malformed PDU", "peer=%s seq=%u error=\"%s\"", l->peer, h.seq, err);
				send_header(l, SMPP_GENERIC_NACK, SMPP_RINVCMDLEN, h.seq);
				if (l->fd < 0)
					return;
				if (h.len < SMPP_HDR_LEN || h.len > SKIP_MAX) {
					/* nowhere to resynchronise: garbage, not a PDU */
					drop(l, h.len < SMPP_HDR_LEN ? "command_length below 16"
								     : "command_length past any PDU");
					return;
				}
				l->skip = h.len; /* discard the over-long PDU */
				continue;
			}
			dispatch(l, l->rbuf + off, (size_t)r);
			if (l->fd < 0)
				return;
			off += (size_t)r;
		}
		memmove(l->rbuf, l->rbuf + off, l->rlen - off);
		l->rlen -= off;
	}
}

static void on_io(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct smpp_link *l = arg;
	(void)ev;
	(void)fd;

	if (l->st == SMPP_LINK_CONNECTING) {
		int e = 0;
		socklen_t el = sizeof e;
		if (!(events & (EV_WRITE | EV_ERROR)))
			return;
		if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			LOGW(LC_SMPP, "cannot connect", "peer=%s error=\"%s\"", l->peer, strerror(e));
			drop(l, "connect failed");
			return;
		}
		uint8_t b[128];
		char err[160];
		l->bind_seq = next_seq(l);
		int n = smpp_pdu_pack_bind(b, sizeof b, l->bind_seq, l->system_id, l->password,
					   l->system_type, err, sizeof err);
		set_state(l, SMPP_LINK_BINDING, "connected");
		l->state_deadline = ev_now_ms() + l->resp_ms;
		l->last_rx = ev_now_ms();
		if (n < 0 || out(l, b, (size_t)n, 1) < 0) {
			LOGE(LC_SMPP, "cannot pack bind_transceiver", "error=\"%s\"", n < 0 ? err : "no memory");
			drop(l, "bind not packed");
			return;
		}
		memset(b, 0, sizeof b);
		flush(l);
		return;
	}
	if (events & EV_READ) {
		on_readable(l);
		if (l->fd < 0)
			return;
	}
	if (events & EV_WRITE)
		flush(l);
	if (l->fd >= 0 && (events & EV_ERROR) && !(events & EV_READ))
		drop(l, "socket error");
}

/* ---- connect ---- */

static void do_connect(struct smpp_link *l)
{
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;

	l->reconnect = 0;
	set_state(l, SMPP_LINK_CONNECTING, "connect");
	l->stats.connects++;
	if (fd < 0) {
		LOGE(LC_SMPP, "cannot make a socket", "error=\"%s\"", strerror(errno));
		drop(l, "socket failed");
		return;
	}
	/* deliver_sm_resp and submit_sm are small writes: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	l->fd = fd;
	l->want_write = 1;
	if (ev_io_add(l->ev, fd, EV_READ | EV_WRITE, on_io, l) < 0) {
		close(fd);
		l->fd = -1;
		drop(l, "cannot watch the socket");
		return;
	}
	l->state_deadline = ev_now_ms() + l->resp_ms;
	if (!l->tick)
		l->tick = ev_timer_add(l->ev, TICK_MS, on_tick, l);
	if (connect(fd, (struct sockaddr *)&l->addr, l->addrlen) < 0 && errno != EINPROGRESS) {
		LOGW(LC_SMPP, "cannot connect", "peer=%s error=\"%s\"", l->peer, strerror(errno));
		drop(l, "connect failed");
	}
}

static void on_reconnect(struct ev *ev, uint64_t id, void *arg)
{
	struct smpp_link *l = arg;
	(void)ev;
	(void)id;
	l->reconnect = 0;
	if (l->st == SMPP_LINK_DOWN)
		do_connect(l);
}

/* ---- public ---- */

int smpp_link_new(struct smpp_link **out_l, struct ev *ev, const struct smpp_link_opts *o,
		  const struct smpp_link_handlers *h, char *err, size_t errlen)
{
	struct smpp_link *l;
	struct addrinfo hints = { 0 }, *ai = NULL;
	char port[16];
	int rc;

	*out_l = NULL;
	if (!o->host || !o->system_id || o->window < 1 || !h || !h->deliver ||
	    strlen(o->system_id) > 15 || strlen(o->password ? o->password : "") > 8 ||
	    strlen(o->system_type ? o->system_type : "") > 12 || o->port < 1 || o->port > 65535) {
		snprintf(err, errlen, "bad SMPP link options");
		return -EINVAL;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", o->port);
	if ((rc = getaddrinfo(o->host, port, &hints, &ai)) != 0 || !ai) {
		snprintf(err, errlen, "host '%s': %s", o->host, gai_strerror(rc));
		return -EINVAL;
	}
	if (!(l = calloc(1, sizeof *l))) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	memcpy(&l->addr, ai->ai_addr, ai->ai_addrlen);
	l->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(l->peer, sizeof l->peer, "%s:%d", o->host, o->port);
	snprintf(l->system_id, sizeof l->system_id, "%s", o->system_id);
	snprintf(l->password, sizeof l->password, "%s", o->password ? o->password : "");
	snprintf(l->system_type, sizeof l->system_type, "%s", o->system_type ? o->system_type : "");
	l->ev = ev;
	l->h = *h;
	l->window = o->window;
	l->enq_ms = o->enquire_link_ms ? o->enquire_link_ms : 30000;
	l->resp_ms = o->response_timeout_ms ? o->response_timeout_ms : 10000;
	l->rc_min_ms = o->reconnect_min_ms ? o->reconnect_min_ms : 1000;
	l->rc_max_ms = o->reconnect_max_ms > l->rc_min_ms ? o->reconnect_max_ms : l->rc_min_ms;
	l->throttle_ms = o->throttle_ms ? o->throttle_ms : 1000;
	l->max_pdu = o->max_pdu ? o->max_pdu : SMPP_PDU_MAX_DEFAULT;
	if (l->max_pdu > SMPP_PDU_MAX_DEFAULT)
		l->max_pdu = SMPP_PDU_MAX_DEFAULT;
	l->fd = -1;
	l->st = SMPP_LINK_DOWN;
	l->rng = ev_now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() ^ (uintptr_t)l;
	if (!l->rng)
		l->rng = 1;
	*out_l = l;
	return 0;
}

void smpp_link_free(struct smpp_link *l)
{
	if (!l)
		return;
	l->stopping = 1; /* callbacks below cannot queue more */
	if (l->tick)
		ev_timer_del(l->ev, l->tick);
	if (l->reconnect)
		ev_timer_del(l->ev, l->reconnect);
	l->tick = l->reconnect = 0;
	close_fd(l);
	fail_all(l, -ESHUTDOWN, -ECONNRESET);
	free(l->rbuf);
	free(l->wbuf);
	memset(l->password, 0, sizeof l->password);
	free(l);
}

void smpp_link_start(struct smpp_link *l)
{
	if (l->st == SMPP_LINK_DOWN && !l->reconnect && !l->stopping)
		do_connect(l);
}

int smpp_link_submit(struct smpp_link *l, const struct smpp_submit *s, int secret,
		     smpp_link_resp_fn cb, void *arg)
{
	uint8_t b[SMPP_PDU_MAX_DEFAULT];
	char err[200];
	struct req *r;
	int n;

	if (l->stopping)
		return -ESHUTDOWN;
	if (l->st != SMPP_LINK_BOUND)
		return -ENOTCONN;
	if ((n = smpp_pdu_pack_submit(b, sizeof b, 1, s, err, sizeof err)) < 0) {
		LOGW(LC_SMPP, "submit_sm not packed", "error=\"%s\"", err);
		return -EINVAL;
	}
	if (!(r = calloc(1, sizeof *r + (size_t)n)))
		return -ENOMEM;
	memcpy(r->pdu, b, (size_t)n);
	r->len = (size_t)n;
	r->secret = secret;
	r->cb = cb;
	r->arg = arg;
	if (l->q_tail)
		l->q_tail->next = r;
	else
		l->q_head = r;
	l->q_tail = r;
	if (!l->corked)
		pump(l);
	return 0;
}

void smpp_link_stop(struct smpp_link *l)
{
	if (l->stopping)
		return;
	l->stopping = 1;
	if (l->reconnect) {
		ev_timer_del(l->ev, l->reconnect);
		l->reconnect = 0;
	}
	if (l->st == SMPP_LINK_BOUND) {
		set_state(l, SMPP_LINK_UNBINDING, "stop");
		l->state_deadline = ev_now_ms() + l->resp_ms;
		if (!l->q_head && !l->inflight)
			send_unbind(l);
		return;
	}
	close_fd(l);
	if (l->tick) {
		ev_timer_del(l->ev, l->tick);
		l->tick = 0;
	}
	set_state(l, SMPP_LINK_STOPPED, "stop");
	fail_all(l, -ESHUTDOWN, -ESHUTDOWN);
}

enum smpp_link_state smpp_link_state(const struct smpp_link *l)
{
	return l->st;
}

size_t smpp_link_pending(const struct smpp_link *l)
{
	size_t n = l->ninflight;
	for (const struct req *r = l->q_head; r; r = r->next)
		n++;
	return n;
}

const struct smpp_link_stats *smpp_link_stats(const struct smpp_link *l)
{
	return &l->stats;
}
