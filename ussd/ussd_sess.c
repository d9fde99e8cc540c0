/* ussd_sess.c -- the table of open USSD dialogues: a hash by key, a hash
 * by MSISDN for replacement, and two lists in deadline order that one
 * shared loop timer walks to drop idle and over-long dialogues. */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gateway/ev.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"

#define MSISDN_MIN 6
#define MSISDN_MAX 15
#define TEXT_MAX 640      /* bytes of one answer or dialled string */
#define BUCKETS_MIN 64

/* One dialogue. Both lists are in deadline order without sorting: the
 * idle timeout is the same for all, so moving a session to the tail of
 * the idle list on each step keeps it sorted by idle deadline, and the
 * total list is in order of start. The menu context follows the struct
 * in the same allocation (ctx_off). */
struct sess {
	struct sess *knext;          /* chain of the key hash */
	struct sess *mnext;          /* chain of the MSISDN hash */
	struct sess *iprev, *inext;  /* idle list, least recently active first */
	struct sess *tprev, *tnext;  /* total list, oldest first */
	uint64_t started_ms, active_ms;
	uint32_t khash, mhash;
	uint16_t answers;            /* CONTINUE steps fed */
	/* An answer given later (ussd_later(), ussd/ussd_menu.h): the
	 * transport's reply, kept until the flow answers, the budget timer
	 * fires, or the session ends (then cb(arg, NULL)). */
	ussd_reply_fn cb;
	void *arg;
	uint64_t budget_timer;       /* its ev timer id, 0 when none */
	struct ussd_sess_tbl *tbl;   /* for the budget timer's callback */
	uint8_t pushed;              /* opened by ussd_sess_push(): its first answer
				      * may come under another key (by MSISDN) */
	char transport[6];
	char msisdn[MSISDN_MAX + 1];
	char key[USSD_KEY_MAX + 1];
};

struct list {
	struct sess *head, *tail;
};

struct ussd_sess_tbl {
	struct gw *gw;
	struct ussd_menu *menu;
	struct sess **kb, **mb; /* buckets, nb each (a power of two) */
	size_t nb, n;
	struct list idle, total;
	uint64_t idle_ms, max_ms;
	size_t max_sessions;
	uint64_t timer;         /* the shared timer's id, 0 when not armed */
	size_t ctx_off;
};

enum end_why { WHY_END, WHY_ABORT, WHY_IDLE, WHY_TOTAL, WHY_REPLACED, WHY_STOP, WHY_TRANSPORT };
static const char *const why_name[] = { "end", "abort", "idle", "total", "replaced", "stop",
					"transport" };

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct ussd_ctx *ctx_of(const struct ussd_sess_tbl *t, struct sess *s)
{
	return (struct ussd_ctx *)(void *)((char *)s + t->ctx_off);
}

static struct sess *sess_of(const struct ussd_sess_tbl *t, struct ussd_ctx *c)
{
	return (struct sess *)(void *)((char *)c - t->ctx_off);
}

/* A session that ends with its answer pending: the budget timer goes,
 * the flow lets go of what it waits on, then the transport hears that no
 * reply will come (cb(arg, NULL)) and frees its context. */
static void cancel_pending(struct ussd_sess_tbl *t, struct sess *s)
{
	if (!s->cb)
		return;
	if (s->budget_timer)
		ev_timer_del(t->gw->ev, s->budget_timer);
	s->budget_timer = 0;
	ussd_reply_fn cb = s->cb;
	void *arg = s->arg;
	s->cb = NULL;
	s->arg = NULL;
	ussd_menu_later_cancel(ctx_of(t, s));
	cb(arg, NULL);
}

/* Frees a session, wiping it first: a flow's scratch space may hold a new
 * PIN between two screens, and freed memory is not cleared by free(). */
static void sess_wipe(const struct ussd_sess_tbl *t, struct sess *s)
{
	sodium_memzero(s, t->ctx_off + ussd_ctx_size());
	free(s);
}

/* ---- lists and hashes ---- */

#define LIST_UNLINK(l, s, prev, next)                          \
	do {                                                   \
		if ((s)->prev)                                 \
			(s)->prev->next = (s)->next;           \
		else                                           \
			(l)->head = (s)->next;                 \
		if ((s)->next)                                 \
			(s)->next->prev = (s)->prev;           \
		else                                           \
			(l)->tail = (s)->prev;                 \
		(s)->prev = (s)->next = NULL;                  \
	} while (0)

#define LIST_APPEND(l, s, prev, next)                          \
	do {                                                   \
		(s)->prev = (l)->tail;                         \
		(s)->next = NULL;                              \
		if ((l)->tail)                                 \
			(l)->tail->next = (s);                 \
		else                                           \
			(l)->head = (s);                       \
		(l)->tail = (s);                               \
	} while (0)

static struct sess *find_key(const struct ussd_sess_tbl *t, const char *key)
{
	uint32_t h = hash(key);
	for (struct sess *s = t->kb[h & (t->nb - 1)]; s; s = s->knext)
		if (s->khash == h && strcmp(s->key, key) == 0)
			return s;
	return NULL;
}

static struct sess *find_msisdn(const struct ussd_sess_tbl *t, const char *msisdn)
{
	uint32_t h = hash(msisdn);
	for (struct sess *s = t->mb[h & (t->nb - 1)]; s; s = s->mnext)
		if (s->mhash == h && strcmp(s->msisdn, msisdn) == 0)
			return s;
	return NULL;
}

static void unchain(struct sess **b, struct sess *s, int by_key)
{
	for (struct sess **pp = b; *pp; pp = by_key ? &(*pp)->knext : &(*pp)->mnext)
		if (*pp == s) {
			*pp = by_key ? s->knext : s->mnext;
			return;
		}
}

static void chain(struct ussd_sess_tbl *t, struct sess *s)
{
	struct sess **kb = &t->kb[s->khash & (t->nb - 1)], **mb = &t->mb[s->mhash & (t->nb - 1)];
	s->knext = *kb;
	*kb = s;
	s->mnext = *mb;
	*mb = s;
}

/* Doubles the buckets when the table is fuller than one per bucket.
 * Failing to grow only makes chains longer. */
static void grow(struct ussd_sess_tbl *t)
{
	if (t->n < t->nb)
		return;
	size_t nb = t->nb * 2;
	struct sess **kb = calloc(nb, sizeof *kb), **mb = calloc(nb, sizeof *mb);
	if (!kb || !mb) {
		free(kb);
		free(mb);
		return;
	}
	struct sess **okb = t->kb;
	size_t onb = t->nb;
	free(t->mb);
	t->kb = kb;
	t->mb = mb;
	t->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct sess *s = okb[i], *next; s; s = next) {
			next = s->knext;
			chain(t, s);
		}
	free(okb);
}

static void sess_free(struct ussd_sess_tbl *t, struct sess *s, enum end_why why)
{
	unchain(&t->kb[s->khash & (t->nb - 1)], s, 1);
	unchain(&t->mb[s->mhash & (t->nb - 1)], s, 0);
	LIST_UNLINK(&t->idle, s, iprev, inext);
	LIST_UNLINK(&t->total, s, tprev, tnext);
	t->n--;
	cancel_pending(t, s);
	char q[USSD_KEY_MAX * 2 + 3];
	LOGI(LC_USSD, "dialogue ends", "key=%s msisdn=%s why=%s answers=%u secs=%llu",
	     log_q(q, sizeof q, s->key), s->msisdn, why_name[why], s->answers,
	     (unsigned long long)((ev_now_ms() - s->started_ms) / 1000));
	sess_wipe(t, s);
}

/* ---- timers ---- */

static uint64_t idle_deadline(const struct ussd_sess_tbl *t, const struct sess *s)
{
	return s->active_ms + t->idle_ms;
}

static uint64_t total_deadline(const struct ussd_sess_tbl *t, const struct sess *s)
{
	return s->started_ms + t->max_ms;
}

static int expired(const struct ussd_sess_tbl *t, const struct sess *s, uint64_t now,
		   enum end_why *why)
{
	if (now >= total_deadline(t, s)) {
		*why = WHY_TOTAL;
		return 1;
	}
	if (now >= idle_deadline(t, s)) {
		*why = WHY_IDLE;
		return 1;
	}
	return 0;
}

static void on_timer(struct ev *ev, uint64_t id, void *arg);

/* Arms the shared timer for the earliest deadline if it is not armed.
 * An armed timer may fire early (its session has been active since):
 * it then only re-arms. */
static void arm(struct ussd_sess_tbl *t)
{
	if (t->timer || !t->idle.head)
		return;
	uint64_t at = idle_deadline(t, t->idle.head), tot = total_deadline(t, t->total.head);
	if (tot < at)
		at = tot;
	uint64_t now = ev_now_ms();
	t->timer = ev_timer_add(t->gw->ev, at > now ? at - now : 0, on_timer, t);
	if (!t->timer)
		LOGE(LC_USSD, "cannot arm the session timer", NULL);
}

static void on_timer(struct ev *ev, uint64_t id, void *arg)
{
	struct ussd_sess_tbl *t = arg;
	(void)ev;
	(void)id;
	t->timer = 0;
	uint64_t now = ev_now_ms();
	enum end_why why;
	while (t->idle.head && expired(t, t->idle.head, now, &why))
		sess_free(t, t->idle.head, why);
	while (t->total.head && expired(t, t->total.head, now, &why))
		sess_free(t, t->total.head, why);
	arm(t);
}

/* ---- answers given later ---- */

static void on_budget(struct ev *ev, uint64_t id, void *arg)
{
	struct sess *s = arg;
	(void)ev;
	(void)id;
	s->budget_timer = 0;
	/* The flow answers now, through on_done(), which frees s. */
	ussd_menu_later_budget(ctx_of(s->tbl, s));
}

/* ussd_later_end() of a flow: the reply leaves, the dialogue ends. */
static void on_done(void *arg, struct ussd_ctx *c, const char *text)
{
	struct ussd_sess_tbl *t = arg;
	struct sess *s = sess_of(t, c);
	if (!s->cb)
		return; /* not pending: a flow's bug, already logged by the engine */
	struct ussd_reply r = { .end = 1 };
	snprintf(r.text, sizeof r.text, "%s", text);
	ussd_reply_fn cb = s->cb;
	void *cbarg = s->arg;
	s->cb = NULL;
	s->arg = NULL;
	if (s->budget_timer)
		ev_timer_del(t->gw->ev, s->budget_timer);
	s->budget_timer = 0;
	char q[USSD_KEY_MAX * 2 + 3];
	LOGI(LC_USSD, "answer given later", "key=%s msisdn=%s ms=%llu", log_q(q, sizeof q, s->key),
	     s->msisdn, (unsigned long long)(ev_now_ms() - s->active_ms));
	sess_free(t, s, WHY_END);
	cb(cbarg, &r);
}

/* The step's answer comes later: s keeps cb and arg, and the budget
 * timer runs. Returns 0, or -ENOMEM (no timer: the caller answers with
 * the internal error at once). */
static int keep_pending(struct ussd_sess_tbl *t, struct sess *s, ussd_reply_fn cb, void *arg)
{
	uint32_t ms = ussd_ctx_later_budget(ctx_of(t, s));
	s->budget_timer = ev_timer_add(t->gw->ev, ms, on_budget, s);
	if (!s->budget_timer)
		return -ENOMEM;
	s->cb = cb;
	s->arg = arg;
	return 0;
}

void ussd_sess_cancel_replies(struct ussd_sess_tbl *t, ussd_reply_fn cb)
{
	if (!t)
		return;
	for (struct sess *s = t->total.head, *next; s; s = next) {
		next = s->tnext;
		if (s->cb == cb)
			sess_free(t, s, WHY_TRANSPORT);
	}
}

/* ---- the table ---- */

int ussd_sess_new(struct ussd_sess_tbl **out, struct gw *gw, char *err, size_t errlen)
{
	*out = NULL;
	struct ussd_sess_tbl *t = calloc(1, sizeof *t);
	if (!t || !(t->kb = calloc(BUCKETS_MIN, sizeof *t->kb)) ||
	    !(t->mb = calloc(BUCKETS_MIN, sizeof *t->mb))) {
		ussd_sess_free(t);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->gw = gw;
	t->nb = BUCKETS_MIN;
	t->idle_ms = (uint64_t)gw->cfg.ussd_idle_timeout_s * 1000;
	t->max_ms = (uint64_t)gw->cfg.ussd_max_session_s * 1000;
	t->max_sessions = (size_t)gw->cfg.ussd_max_sessions;
	size_t al = alignof(max_align_t);
	t->ctx_off = (sizeof(struct sess) + al - 1) / al * al;
	int rc = ussd_menu_new(&t->menu, gw, err, errlen);
	if (rc < 0) {
		ussd_sess_free(t);
		return rc;
	}
	ussd_menu_set_done(t->menu, on_done, t);
	*out = t;
	return 0;
}

void ussd_sess_free(struct ussd_sess_tbl *t)
{
	if (!t)
		return;
	/* Sessions whose answer is pending first: their callbacks may not
	 * meet a half-freed table. */
	while (t->total.head)
		sess_free(t, t->total.head, WHY_STOP);
	if (t->timer)
		ev_timer_del(t->gw->ev, t->timer);
	ussd_menu_free(t->menu);
	free(t->kb);
	free(t->mb);
	free(t);
}

size_t ussd_sess_count(const struct ussd_sess_tbl *t)
{
	return t->n;
}

int ussd_sess_answers(const struct ussd_sess_tbl *t, const char *key)
{
	const struct sess *s = find_key(t, key);
	enum end_why why;
	if (!s || expired(t, s, ev_now_ms(), &why))
		return -ENOENT;
	return s->answers;
}

static int valid_in(const struct ussd_step_in *in)
{
	size_t kl = in->key ? strlen(in->key) : 0;
	if (kl < 1 || kl > USSD_KEY_MAX || !in->text || strlen(in->text) > TEXT_MAX || !in->msisdn)
		return 0;
	size_t ml = strlen(in->msisdn);
	if (ml < MSISDN_MIN || ml > MSISDN_MAX || in->msisdn[0] == '0')
		return 0;
	for (size_t i = 0; i < ml; i++)
		if (in->msisdn[i] < '0' || in->msisdn[i] > '9')
			return 0;
	for (size_t i = 0; i < kl; i++)
		if ((unsigned char)in->key[i] < 0x20 || in->key[i] == 0x7f)
			return 0;
	return 1;
}

static void reply_final(struct ussd_sess_tbl *t, const char *msisdn, const char *key,
			ussd_reply_fn cb, void *arg)
{
	struct ussd_reply r = { .end = 1 };
	if (ussd_menu_final(t->menu, msisdn, key, r.text, sizeof r.text) < 0)
		snprintf(r.text, sizeof r.text, "%s", "Error");
	cb(arg, &r);
}

/* A step that answers later: keep the reply in s. Should the timer not
 * arm, the flow is let go and the subscriber gets the internal error at
 * once, so that cb is still called exactly once. */
static int later(struct ussd_sess_tbl *t, struct sess *s, ussd_reply_fn cb, void *arg)
{
	if (keep_pending(t, s, cb, arg) == 0)
		return 0;
	LOGE(LC_USSD, "cannot arm the answer budget", "msisdn=%s", s->msisdn);
	ussd_menu_later_cancel(ctx_of(t, s));
	struct ussd_reply r = { .end = 1 };
	if (ussd_menu_final(t->menu, s->msisdn, "err.internal", r.text, sizeof r.text) < 0)
		snprintf(r.text, sizeof r.text, "%s", "Error");
	sess_free(t, s, WHY_END);
	cb(arg, &r);
	return 0;
}

static int begin(struct ussd_sess_tbl *t, const struct ussd_step_in *in, ussd_reply_fn cb,
		 void *arg)
{
	struct sess *old = find_key(t, in->key);
	if (old)
		sess_free(t, old, WHY_REPLACED);
	if ((old = find_msisdn(t, in->msisdn)))
		sess_free(t, old, WHY_REPLACED);
	char q[USSD_KEY_MAX * 2 + 3], qd[TEXT_MAX * 2 + 3];
	if (t->n >= t->max_sessions) {
		LOGW(LC_USSD, "too many dialogues", "key=%s msisdn=%s open=%zu",
		     log_q(q, sizeof q, in->key), in->msisdn, t->n);
		reply_final(t, in->msisdn, "err.busy", cb, arg);
		return 0;
	}
	struct sess *s = calloc(1, t->ctx_off + ussd_ctx_size());
	if (!s)
		return -ENOMEM;
	snprintf(s->key, sizeof s->key, "%s", in->key);
	snprintf(s->msisdn, sizeof s->msisdn, "%s", in->msisdn);
	snprintf(s->transport, sizeof s->transport, "%s", in->transport ? in->transport : "?");
	s->khash = hash(s->key);
	s->mhash = hash(s->msisdn);
	s->tbl = t;
	s->started_ms = s->active_ms = ev_now_ms();
	struct ussd_reply r = { 0 };
	int secret = 0;
	ussd_menu_begin(t->menu, ctx_of(t, s), s->msisdn, in->text, r.text, sizeof r.text, &r.end,
			&secret);
	/* A direct string can carry a PIN: then only its length is known to the log. */
	LOGI(LC_USSD, "dialogue begins", "key=%s msisdn=%s transport=%s dialled=%s end=%d",
	     log_q(q, sizeof q, s->key), s->msisdn, s->transport,
	     secret ? "<secret>" : log_q(qd, sizeof qd, in->text), r.end);
	if (r.end == 1) {
		sess_wipe(t, s);
	} else {
		grow(t);
		chain(t, s);
		LIST_APPEND(&t->idle, s, iprev, inext);
		LIST_APPEND(&t->total, s, tprev, tnext);
		t->n++;
		arm(t);
		if (r.end == USSD_MENU_LATER)
			return later(t, s, cb, arg);
	}
	cb(arg, &r);
	return 0;
}

static int answer(struct ussd_sess_tbl *t, const struct ussd_step_in *in, ussd_reply_fn cb,
		  void *arg)
{
	char q[USSD_KEY_MAX * 2 + 3], qi[TEXT_MAX * 2 + 3];
	struct sess *s = find_key(t, in->key);
	enum end_why why;
	if (s && expired(t, s, ev_now_ms(), &why)) {
		sess_free(t, s, why); /* the timer had not run yet */
		s = NULL;
	}
	if (!s && (s = find_msisdn(t, in->msisdn)) && (!s->pushed || s->answers ||
						       expired(t, s, ev_now_ms(), &why)))
		s = NULL;
	if (s && s->pushed && !s->answers && strcmp(s->key, in->key) != 0) {
		/* The answer to a push: the network names the dialogue now
		 * (its_session_info, user_message_reference), and the
		 * dialogue takes that key from here on. */
		LOGI(LC_USSD, "pushed dialogue answered", "key=%s new_key=%s msisdn=%s",
		     log_q(q, sizeof q, s->key), log_q(qi, sizeof qi, in->key), s->msisdn);
		unchain(&t->kb[s->khash & (t->nb - 1)], s, 1);
		snprintf(s->key, sizeof s->key, "%s", in->key);
		s->khash = hash(s->key);
		uint32_t h = s->khash & (uint32_t)(t->nb - 1);
		s->knext = t->kb[h];
		t->kb[h] = s;
	}
	if (!s || strcmp(s->msisdn, in->msisdn) != 0) {
		LOGI(LC_USSD, "answer to no dialogue", "key=%s msisdn=%s%s",
		     log_q(q, sizeof q, in->key), in->msisdn, s ? " (another msisdn's)" : "");
		reply_final(t, in->msisdn, "err.expired", cb, arg);
		return 0;
	}
	if (s->cb) {
		/* One answer at a time: the subscriber typed on while the
		 * previous answer is still coming. */
		LOGI(LC_USSD, "answer while a reply is pending: refused", "key=%s msisdn=%s",
		     log_q(q, sizeof q, in->key), in->msisdn);
		return -EBUSY;
	}
	struct ussd_reply r = { 0 };
	int secret = 0;
	ussd_menu_input(t->menu, ctx_of(t, s), in->text, r.text, sizeof r.text, &r.end, &secret);
	if (s->answers < UINT16_MAX)
		s->answers++;
	/* Never the text of a secret answer, nor its length. */
	LOGI(LC_USSD, "answer", "key=%s msisdn=%s input=%s end=%d", log_q(q, sizeof q, s->key),
	     s->msisdn, secret ? "<secret>" : log_q(qi, sizeof qi, in->text), r.end);
	if (r.end == 1) {
		sess_free(t, s, WHY_END);
	} else {
		s->active_ms = ev_now_ms();
		LIST_UNLINK(&t->idle, s, iprev, inext);
		LIST_APPEND(&t->idle, s, iprev, inext);
		if (r.end == USSD_MENU_LATER)
			return later(t, s, cb, arg);
	}
	cb(arg, &r);
	return 0;
}

int ussd_sess_step(struct ussd_sess_tbl *t, const struct ussd_step_in *in, ussd_reply_fn cb,
		   void *arg)
{
	if (!valid_in(in))
		return -EINVAL;
	switch (in->step) {
	case USSD_BEGIN:
		return begin(t, in, cb, arg);
	case USSD_CONTINUE:
		return answer(t, in, cb, arg);
	case USSD_ABORT: {
		struct sess *s = find_key(t, in->key);
		if (s)
			sess_free(t, s, WHY_ABORT);
		return 0;
	}
	}
	return -EINVAL;
}

int ussd_sess_push(struct ussd_sess_tbl *t, const char *msisdn, const char *transport,
		   const struct ussd_flow *f, int state, const void *scratch, size_t n,
		   struct ussd_reply *out)
{
	char key[USSD_KEY_MAX + 1];
	snprintf(key, sizeof key, "push:%s", msisdn ? msisdn : "");
	struct ussd_step_in in = { USSD_BEGIN, key, msisdn, "", transport };
	if (!msisdn || !valid_in(&in) || !f || n > USSD_SCRATCH_MAX)
		return -EINVAL;
	struct sess *old = find_key(t, key);
	if (old)
		sess_free(t, old, WHY_REPLACED);
	if ((old = find_msisdn(t, msisdn)))
		sess_free(t, old, WHY_REPLACED);
	if (t->n >= t->max_sessions)
		return -EBUSY;
	struct sess *s = calloc(1, t->ctx_off + ussd_ctx_size());
	if (!s)
		return -ENOMEM;
	snprintf(s->key, sizeof s->key, "%s", key);
	snprintf(s->msisdn, sizeof s->msisdn, "%s", msisdn);
	snprintf(s->transport, sizeof s->transport, "%s", transport ? transport : "?");
	s->khash = hash(s->key);
	s->mhash = hash(s->msisdn);
	s->pushed = 1;
	s->tbl = t;
	s->started_ms = s->active_ms = ev_now_ms();
	memset(out, 0, sizeof *out);
	ussd_menu_push(t->menu, ctx_of(t, s), s->msisdn, f, state, scratch, n, out->text,
		       sizeof out->text, &out->end);
	char q[USSD_KEY_MAX * 2 + 3];
	LOGI(LC_USSD, "dialogue pushed", "key=%s msisdn=%s transport=%s flow=%s end=%d",
	     log_q(q, sizeof q, s->key), s->msisdn, s->transport, f->name, out->end);
	if (out->end) {
		sess_wipe(t, s);
		return -EIO; /* the screen could not be drawn: nothing to push */
	}
	grow(t);
	chain(t, s);
	LIST_APPEND(&t->idle, s, iprev, inext);
	LIST_APPEND(&t->total, s, tprev, tnext);
	t->n++;
	arm(t);
	return 0;
}
