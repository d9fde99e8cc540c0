/* ussd_menu.c -- the USSD menu engine: state tables walked one answer at
 * a time, navigation, retries, list paging, direct strings, the main
 * menu by caller, the merchant picker and the Language flow. */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "merchant/merchant.h"
#include "ussd/ussd_dial.h"
#include "ussd/ussd_locale.h"
#include "ussd/ussd_menu.h"
#include "ussd/ussd_sess.h"
#include "ussd/ussd_text.h"

#define STACK_MAX 8     /* screens "0" can go back through */
#define MSISDN_MAX 16   /* 15 digits, NUL */
#define DFSP_MAX 33     /* fsp_id: 1..32 characters, NUL */
#define ITEMS_BYTES 8192

/* What input() returned (positive, so that errors stay negative). */
enum act { ACT_NONE, ACT_GO, ACT_BACK, ACT_MAIN, ACT_RETRY, ACT_END, ACT_LATER };

#define LATER_MAX_MS 600000u /* longest budget of ussd_later() */

struct nav {
	const struct ussd_flow *flow;
	uint8_t state;
	uint8_t page;
};

struct ussd_ctx {
	struct ussd_menu *m;
	char msisdn[MSISDN_MAX];
	char lang[USSD_LANG_MAX + 1];
	char dfsp[DFSP_MAX];
	char merchant[MERCHANT_ID_MAX];
	uint8_t owned;       /* merchants the caller owns (capped at USSD_LIST_MAX) */
	uint8_t who;         /* enum ussd_who bits of the caller */
	uint8_t tries;       /* invalid answers in a row on this screen */
	uint8_t nitems;      /* items of the list on screen */
	uint8_t depth;       /* entries of stack */
	int8_t choice;       /* during input() of a list state, else -1 */
	struct nav cur;
	const struct ussd_flow *pending; /* the owner flow the picker leads to */
	const struct ussd_later_ops *later; /* set while an answer is pending */
	const struct ussd_later_ops *asked; /* what input() asked, until apply() */
	uint32_t later_ms;   /* the pending answer's budget */
	struct nav stack[STACK_MAX];
	alignas(max_align_t) unsigned char scratch[USSD_SCRATCH_MAX];
};

enum {
	SQL_LANG_GET,
	SQL_LANG_SET,
	SQL_OWNED,
	SQL_FIRST_DFSP,
	SQL__COUNT
};

static const char *const menu_sql[SQL__COUNT] = {
	[SQL_LANG_GET] = "SELECT lang FROM subscriber WHERE msisdn = :msisdn",
	[SQL_LANG_SET] = "INSERT INTO subscriber (msisdn, lang) VALUES (:msisdn, :lang) "
			 "ON CONFLICT (msisdn) DO UPDATE SET lang = excluded.lang, "
			 "updated = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
	/* A phone's merchants (not closed), in the order the picker lists them. */
	[SQL_OWNED] = "SELECT DISTINCT m.dfsp, m.merchant_id, m.trading_name FROM owner o "
		      "JOIN merchant m ON m.dfsp = o.dfsp AND m.merchant_id = o.merchant_id "
		      "WHERE o.phone = :phone AND m.status <> 'CLOSED' "
		      "ORDER BY m.trading_name, m.merchant_id LIMIT 98",
	[SQL_FIRST_DFSP] = "SELECT fsp_id FROM dfsp WHERE status = 'ACTIVE' ORDER BY created, fsp_id LIMIT 1",
};

struct ussd_menu {
	struct gw *gw;
	struct ussd_locale *loc;
	sqlite3_stmt **st;
	char reg_dfsp[DFSP_MAX];
	/* One step at a time (one thread): the screen being drawn. */
	char *out;
	size_t outcap;
	int end;
	char body[USSD_REPLY_MAX];
	size_t blen;
	int full;
	char items[ITEMS_BYTES];
	size_t ilen;
	uint16_t ioff[USSD_LIST_MAX];
	size_t nitems;
	int listing;
	/* What input() asked for. */
	const struct ussd_flow *nflow;
	int nstate;
	const char *reason_key;
	const char *notice_key;
	/* Where answers given later go (ussd_menu_set_done()). */
	ussd_menu_done_fn done;
	void *done_arg;
};

static const struct ussd_flow main_flow, pick_flow;

/* ---- context accessors ---- */

const char *ussd_ctx_msisdn(const struct ussd_ctx *c) { return c->msisdn; }
const char *ussd_ctx_lang(const struct ussd_ctx *c) { return c->lang; }
const char *ussd_ctx_dfsp(const struct ussd_ctx *c) { return c->dfsp; }
const char *ussd_ctx_merchant(const struct ussd_ctx *c) { return c->merchant; }
void *ussd_ctx_scratch(struct ussd_ctx *c) { return c->scratch; }
int ussd_ctx_choice(const struct ussd_ctx *c) { return c->choice; }
struct gw *ussd_ctx_gw(const struct ussd_ctx *c) { return c->m->gw; }
size_t ussd_ctx_size(void) { return sizeof(struct ussd_ctx); }

const char *ussd_ctx_reg_dfsp(const struct ussd_ctx *c)
{
	struct ussd_menu *m = c->m;
	if (*m->gw->cfg.ussd_registration_dfsp)
		return m->gw->cfg.ussd_registration_dfsp;
	/* The first DFSP may be created after start: look it up each time. */
	m->reg_dfsp[0] = '\0';
	sqlite3_stmt *st = m->st[SQL_FIRST_DFSP];
	if (db_step(st) == 1) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		snprintf(m->reg_dfsp, sizeof m->reg_dfsp, "%s", v ? (const char *)v : "");
		db_reset(st);
	}
	return m->reg_dfsp;
}

/* ---- drawing ---- */

static const char *text_of(struct ussd_menu *m, const char *lang, const char *key)
{
	const char *t = ussd_locale_get(m->loc, lang, key);
	if (!t)
		LOGE(LC_USSD, "no text for key", "key=%s lang=%s", key, lang);
	return t;
}

static int append(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s), sep = *len ? 1 : 0;
	if (*len + sep + n >= cap)
		return -ENOSPC;
	if (sep)
		buf[(*len)++] = '\n';
	memcpy(buf + *len, s, n + 1);
	*len += n;
	return 0;
}

int ussd_text(struct ussd_ctx *c, const char *utf8)
{
	struct ussd_menu *m = c->m;
	int rc = append(m->body, sizeof m->body, &m->blen, utf8);
	if (rc < 0)
		m->full = 1;
	return rc;
}

int ussd_say(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n)
{
	const char *t = text_of(c->m, c->lang, key);
	if (!t)
		return -ENOENT;
	char buf[USSD_REPLY_MAX];
	if (ussd_locale_format(t, vars, n, buf, sizeof buf) < 0) {
		c->m->full = 1;
		return -ENOSPC;
	}
	return ussd_text(c, buf);
}

long ussd_format(const struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n,
		 char *out, size_t cap)
{
	/* Not text_of(): a missing key is the caller's to handle, not logged. */
	const char *t = ussd_locale_get(c->m->loc, c->lang, key);
	if (!t)
		return -ENOENT;
	return ussd_locale_format(t, vars, n, out, cap);
}

int ussd_item(struct ussd_ctx *c, const char *utf8)
{
	struct ussd_menu *m = c->m;
	size_t n = strlen(utf8);
	if (m->nitems >= USSD_LIST_MAX)
		return -E2BIG;
	if (m->ilen + n + 1 > sizeof m->items) {
		m->full = 1;
		return -ENOSPC;
	}
	m->ioff[m->nitems++] = (uint16_t)m->ilen;
	memcpy(m->items + m->ilen, utf8, n + 1);
	m->ilen += n + 1;
	return 0;
}

/* Lays out page p of the list: header, items numbered from 1 across
 * pages, "98 More" if items remain, "0 Back" if there is somewhere to go
 * back to. Every page is as long as ussd_text_fits() allows. */
static int draw_list(struct ussd_ctx *c, const char *head, size_t page, char *out, size_t cap)
{
	struct ussd_menu *m = c->m;
	const char *more = text_of(m, c->lang, "nav.more"), *back = text_of(m, c->lang, "nav.back");
	if (!more || !back)
		return -ENOENT;
	char moreln[64], backln[64];
	snprintf(moreln, sizeof moreln, "%s %s", USSD_IN_MORE, more);
	snprintf(backln, sizeof backln, "%s %s", USSD_IN_BACK, back);
	size_t first = 0;
	for (size_t p = 0;; p++) {
		int has_back = p > 0 || c->depth > 0;
		size_t len = 0, i = first;
		out[0] = '\0';
		if (*head && append(out, cap, &len, head) < 0)
			return -ENOSPC;
		size_t body = len;
		for (; i < m->nitems; i++) {
			char line[USSD_REPLY_MAX], trial[USSD_REPLY_MAX];
			snprintf(line, sizeof line, "%zu %s", i + 1, m->items + m->ioff[i]);
			size_t tl = body;
			memcpy(trial, out, body + 1);
			/* Would this item still fit with the footer it needs? */
			int ok = append(trial, sizeof trial, &tl, line) == 0;
			if (ok && i + 1 < m->nitems)
				ok = append(trial, sizeof trial, &tl, moreln) == 0;
			if (ok && has_back)
				ok = append(trial, sizeof trial, &tl, backln) == 0;
			if (!ok || !ussd_text_fits(trial))
				break;
			append(out, cap, &body, line);
		}
		if (i == first && i < m->nitems)
			return -ENOSPC; /* one item alone does not fit a screen */
		len = body;
		if (i < m->nitems)
			append(out, cap, &len, moreln);
		if (has_back)
			append(out, cap, &len, backln);
		if (p == page || i >= m->nitems)
			return p == page ? 0 : -ERANGE;
		first = i;
	}
}

/* Draws the current state's screen into m->out: the notice or the retry
 * reason, then what render() said, paged if it is a list. */
static int draw(struct ussd_ctx *c)
{
	struct ussd_menu *m = c->m;
	const struct ussd_state *s = &c->cur.flow->states[c->cur.state];
	m->blen = 0;
	m->body[0] = '\0';
	m->full = 0;
	m->ilen = 0;
	m->nitems = 0;
	char lead[USSD_REPLY_MAX] = "";
	if (m->notice_key) {
		const char *name = ussd_locale_get(m->loc, c->lang, "lang.name");
		struct ussd_var v = { "lang", name ? name : c->lang };
		const char *t = text_of(m, c->lang, m->notice_key);
		if (t)
			ussd_locale_format(t, &v, 1, lead, sizeof lead);
	} else if (m->reason_key) {
		const char *t = text_of(m, c->lang, m->reason_key);
		if (t)
			snprintf(lead, sizeof lead, "%s", t);
	}
	if (*lead)
		ussd_text(c, lead);
	int rc = s->render(c);
	if (rc < 0)
		return rc;
	if (m->full)
		return -ENOSPC;
	if (s->flags & USSD_ST_LIST) {
		c->nitems = (uint8_t)m->nitems;
		rc = draw_list(c, m->body, c->cur.page, m->out, m->outcap);
		if (rc == -ERANGE) { /* the list shrank: its last page */
			c->cur.page = 0;
			rc = draw_list(c, m->body, 0, m->out, m->outcap);
		}
		if (rc < 0)
			return rc;
	} else {
		if (m->blen >= m->outcap)
			return -ENOSPC;
		memcpy(m->out, m->body, m->blen + 1);
	}
	if (!ussd_text_fits(m->out)) {
		LOGE(LC_USSD, "screen too long", "state=%s lang=%s", s->name, c->lang);
		return -ENOSPC;
	}
	m->end = 0;
	return 0;
}

static void final_text(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n)
{
	struct ussd_menu *m = c->m;
	const char *t = text_of(m, c->lang, key);
	if (!t || ussd_locale_format(t, vars, n, m->out, m->outcap) < 0)
		snprintf(m->out, m->outcap, "%s", "Error");
	m->end = 1;
}

/* ---- what input() returns ---- */

int ussd_go(struct ussd_ctx *c, int state)
{
	return ussd_go_flow(c, c->cur.flow, state);
}

int ussd_go_flow(struct ussd_ctx *c, const struct ussd_flow *f, int state)
{
	if (!f || state < 0 || state >= f->nstates)
		return -EINVAL;
	c->m->nflow = f;
	c->m->nstate = state;
	return ACT_GO;
}

int ussd_back(struct ussd_ctx *c)
{
	(void)c;
	return ACT_BACK;
}

int ussd_main(struct ussd_ctx *c, const char *notice_key)
{
	c->m->notice_key = notice_key;
	return ACT_MAIN;
}

int ussd_retry(struct ussd_ctx *c, const char *reason_key)
{
	c->m->reason_key = reason_key;
	return ACT_RETRY;
}

int ussd_end(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n)
{
	final_text(c, key, vars, n);
	return ACT_END;
}

int ussd_later(struct ussd_ctx *c, uint32_t budget_ms, const struct ussd_later_ops *ops)
{
	if (!ops || !ops->budget || !ops->cancel || budget_ms < 1 || budget_ms > LATER_MAX_MS)
		return -EINVAL;
	c->asked = ops;
	c->later_ms = budget_ms;
	return ACT_LATER;
}

int ussd_ctx_later(const struct ussd_ctx *c)
{
	return c->later != NULL;
}

uint32_t ussd_ctx_later_budget(const struct ussd_ctx *c)
{
	return c->later ? c->later_ms : 0;
}

void ussd_menu_set_done(struct ussd_menu *m, ussd_menu_done_fn done, void *arg)
{
	m->done = done;
	m->done_arg = arg;
}

int ussd_later_end(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n)
{
	struct ussd_menu *m = c->m;
	if (!c->later)
		return -EALREADY;
	/* Not m->out: that belongs to a step, and this runs between steps. */
	char text[USSD_REPLY_MAX];
	const char *t = text_of(m, c->lang, key);
	if (!t || ussd_locale_format(t, vars, n, text, sizeof text) < 0)
		snprintf(text, sizeof text, "%s", "Error");
	LOGD(LC_USSD, "answer given later", "msisdn=%s state=%s key=%s", c->msisdn,
	     c->cur.flow->states[c->cur.state].name, key);
	c->later = NULL;
	c->later_ms = 0;
	if (m->done)
		m->done(m->done_arg, c, text); /* ends the dialogue: c is gone */
	return 0;
}

void ussd_menu_later_budget(struct ussd_ctx *c)
{
	const struct ussd_later_ops *ops = c->later;
	if (!ops)
		return;
	LOGI(LC_USSD, "answer budget spent", "msisdn=%s state=%s", c->msisdn,
	     c->cur.flow->states[c->cur.state].name);
	if (ops->budget(c) < 0) {
		/* Only a flow that did not answer may return an error: c is still ours. */
		LOGE(LC_USSD, "flow gave no answer at the budget", "msisdn=%s", c->msisdn);
		ussd_later_end(c, "err.internal", NULL, 0);
	}
}

void ussd_menu_later_cancel(struct ussd_ctx *c)
{
	const struct ussd_later_ops *ops = c->later;
	if (!ops)
		return;
	c->later = NULL;
	c->later_ms = 0;
	ops->cancel(c);
}

/* ---- transitions ---- */

static void enter(struct ussd_ctx *c, const struct ussd_flow *f, int state, int push)
{
	if (push) {
		if (c->depth == STACK_MAX) { /* forget the oldest screen */
			memmove(c->stack, c->stack + 1, sizeof c->stack[0] * (STACK_MAX - 1));
			c->depth--;
		}
		c->stack[c->depth++] = c->cur;
	}
	if (f != c->cur.flow && f != &pick_flow && f != &main_flow)
		memset(c->scratch, 0, sizeof c->scratch);
	LOGD(LC_USSD, "state", "msisdn=%s from=%s to=%s", c->msisdn,
	     c->cur.flow->states[c->cur.state].name, f->states[state].name);
	c->cur.flow = f;
	c->cur.state = (uint8_t)state;
	c->cur.page = 0;
	c->tries = 0;
}

static void to_main(struct ussd_ctx *c)
{
	c->depth = 0;
	c->cur = (struct nav){ &main_flow, 0, 0 };
	c->tries = 0;
	c->pending = NULL;
	c->dfsp[0] = c->merchant[0] = '\0';
}

/* Draws the screen c is on now; a failure ends the dialogue. */
static void show(struct ussd_ctx *c)
{
	int rc = draw(c);
	if (rc < 0) {
		LOGE(LC_USSD, "cannot draw the screen", "msisdn=%s state=%s error=\"%s\"", c->msisdn,
		     c->cur.flow->states[c->cur.state].name, strerror(-rc));
		final_text(c, "err.internal", NULL, 0);
	}
}

static void out_clear(struct ussd_menu *m)
{
	if (m->outcap)
		m->out[0] = '\0';
}

/* Applies what a handler returned and draws the next screen. */
static void apply(struct ussd_ctx *c, int act)
{
	struct ussd_menu *m = c->m;
	const struct ussd_state *s = &c->cur.flow->states[c->cur.state];
	switch (act) {
	case ACT_GO:
		enter(c, m->nflow, m->nstate, 1);
		break;
	case ACT_BACK:
		if (c->depth) {
			c->cur = c->stack[--c->depth];
			c->tries = 0;
		} else {
			to_main(c);
		}
		break;
	case ACT_MAIN:
		to_main(c);
		break;
	case ACT_RETRY: {
		const char *reason = text_of(m, c->lang, m->reason_key ? m->reason_key : "err.choice");
		if (++c->tries >= USSD_TRIES_MAX) {
			LOGI(LC_USSD, "too many tries", "msisdn=%s state=%s", c->msisdn, s->name);
			struct ussd_var v = { "reason", reason ? reason : "" };
			final_text(c, "err.tries", &v, 1);
			return;
		}
		break;
	}
	case ACT_END:
		return;
	case ACT_LATER:
		/* No screen now: the session keeps the reply (USSD_MENU_LATER). */
		c->later = c->asked;
		c->asked = NULL;
		out_clear(m);
		m->end = USSD_MENU_LATER;
		return;
	default:
		LOGE(LC_USSD, "handler failed", "msisdn=%s state=%s error=\"%s\"", c->msisdn, s->name,
		     act < 0 ? strerror(-act) : "bad return value");
		final_text(c, "err.internal", NULL, 0);
		return;
	}
	show(c);
}

static int list_number(const char *in, size_t n)
{
	if (!in[0] || in[0] == '0' || strlen(in) > 2)
		return -1;
	int v = 0;
	for (const char *p = in; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v >= 1 && (size_t)v <= n ? v - 1 : -1;
}

/* One answer: navigation first, then the state's input(). */
static void step(struct ussd_ctx *c, const char *in, int *secret)
{
	struct ussd_menu *m = c->m;
	const struct ussd_state *s = &c->cur.flow->states[c->cur.state];
	m->reason_key = m->notice_key = NULL;
	*secret |= (s->flags & USSD_ST_SECRET) != 0;
	if (!(s->flags & USSD_ST_RAW)) {
		if (strcmp(in, USSD_IN_MAIN) == 0) {
			apply(c, ACT_MAIN);
			return;
		}
		if (strcmp(in, USSD_IN_BACK) == 0) {
			if ((s->flags & USSD_ST_LIST) && c->cur.page > 0) {
				c->cur.page--;
				show(c);
			} else {
				apply(c, ACT_BACK);
			}
			return;
		}
		if ((s->flags & USSD_ST_LIST) && strcmp(in, USSD_IN_MORE) == 0) {
			/* Past the last page is an invalid choice. */
			uint8_t page = c->cur.page;
			c->cur.page++;
			char tmp[USSD_REPLY_MAX];
			char *save = m->out;
			size_t savecap = m->outcap;
			m->out = tmp;
			m->outcap = sizeof tmp;
			int rc = draw(c);
			m->out = save;
			m->outcap = savecap;
			if (rc == 0 && c->cur.page != 0) {
				c->tries = 0;
				show(c);
				return;
			}
			c->cur.page = page;
			apply(c, ussd_retry(c, "err.choice"));
			return;
		}
	}
	c->choice = -1;
	if (s->flags & USSD_ST_LIST) {
		int k = list_number(in, c->nitems);
		if (k < 0) {
			apply(c, ussd_retry(c, "err.choice"));
			return;
		}
		c->choice = (int8_t)k;
	}
	int act = s->input(c, in);
	c->choice = -1;
	apply(c, act);
}

/* ---- the engine's own flows ---- */

static int main_visible(const struct ussd_ctx *c, const struct ussd_flow *f)
{
	return (f->who & c->who) != 0;
}

/* The caller's enum ussd_who bits: owner, customer (ACTIVE or
 * SUSPENDED somewhere), pending (enrolled, not activated), or unknown
 * when none of them. Returns them, or a negative errno. */
static int caller_who(struct ussd_ctx *c)
{
	struct gw *gw = c->m->gw;
	struct cust_info ci[CUST_MATCH_MAX];
	unsigned who = c->owned ? USSD_WHO_OWNER : 0;
	int n = gw->cust ? cust_by_msisdn(gw->cust, c->msisdn, ci, CUST_MATCH_MAX) : 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		who |= ci[i].status == CS_PENDING ? USSD_WHO_PENDING : USSD_WHO_CUSTOMER;
	return who ? (int)who : USSD_WHO_UNKNOWN;
}

unsigned ussd_ctx_who(const struct ussd_ctx *c)
{
	return c->who;
}

static int main_render(struct ussd_ctx *c)
{
	int rc = ussd_say(c, "main.title", NULL, 0);
	for (size_t i = 0; rc == 0 && ussd_main_flows[i]; i++) {
		if (!main_visible(c, ussd_main_flows[i]))
			continue;
		const char *t = text_of(c->m, c->lang, ussd_main_flows[i]->title_key);
		rc = t ? ussd_item(c, t) : -ENOENT;
	}
	return rc;
}

/* Reads the caller's k-th merchant (in picker order) into c; k < 0 only
 * counts them. Returns the count, or a negative errno. */
static int owned(struct ussd_ctx *c, int k, int (*each)(struct ussd_ctx *, const char *))
{
	sqlite3_stmt *st = c->m->st[SQL_OWNED];
	char phone[MSISDN_MAX + 1];
	snprintf(phone, sizeof phone, "+%s", c->msisdn);
	int rc = db_bind_text(st, ":phone", phone), n = 0;
	if (rc < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		if (n == k) {
			snprintf(c->dfsp, sizeof c->dfsp, "%s", (const char *)sqlite3_column_text(st, 0));
			snprintf(c->merchant, sizeof c->merchant, "%s",
				 (const char *)sqlite3_column_text(st, 1));
		}
		if (each && n < USSD_LIST_MAX && (rc = each(c, (const char *)sqlite3_column_text(st, 2))) < 0) {
			db_reset(st);
			return rc;
		}
		n++;
	}
	return rc < 0 ? rc : n;
}

static int enter_flow(struct ussd_ctx *c, const struct ussd_flow *f)
{
	c->dfsp[0] = c->merchant[0] = '\0';
	if (f->who == USSD_WHO_OWNER) {
		if (c->owned > 1) {
			c->pending = f;
			return ussd_go_flow(c, &pick_flow, 0);
		}
		int rc = owned(c, 0, NULL);
		if (rc < 0)
			return rc;
		if (rc == 0) /* no longer an owner since the dialogue began */
			return ussd_end(c, "err.internal", NULL, 0);
	}
	return ussd_go_flow(c, f, f->first);
}

static int main_input(struct ussd_ctx *c, const char *in)
{
	(void)in;
	int k = ussd_ctx_choice(c);
	for (size_t i = 0; ussd_main_flows[i]; i++) {
		if (!main_visible(c, ussd_main_flows[i]))
			continue;
		if (k-- == 0)
			return enter_flow(c, ussd_main_flows[i]);
	}
	return -EINVAL;
}

static const struct ussd_state main_states[] = {
	{ "main.menu", USSD_ST_LIST, main_render, main_input },
};
static const struct ussd_flow main_flow = { "main", "main.title", USSD_WHO_ALL, main_states, 1, 0 };

static int pick_render(struct ussd_ctx *c)
{
	int rc = ussd_say(c, "pick.title", NULL, 0);
	if (rc < 0)
		return rc;
	/* Drawing must change nothing: keep the choice made so far. */
	char dfsp[DFSP_MAX], merchant[MERCHANT_ID_MAX];
	memcpy(dfsp, c->dfsp, sizeof dfsp);
	memcpy(merchant, c->merchant, sizeof merchant);
	rc = owned(c, -1, ussd_item);
	memcpy(c->dfsp, dfsp, sizeof dfsp);
	memcpy(c->merchant, merchant, sizeof merchant);
	return rc < 0 ? rc : 0;
}

static int pick_input(struct ussd_ctx *c, const char *in)
{
	(void)in;
	int k = ussd_ctx_choice(c);
	int rc = owned(c, k, NULL);
	if (rc < 0)
		return rc;
	if (k >= rc || !c->pending)
		return ussd_retry(c, "err.choice");
	LOGI(LC_USSD, "merchant picked", "msisdn=%s dfsp=%s merchant=%s", c->msisdn, c->dfsp,
	     c->merchant);
	return ussd_go_flow(c, c->pending, c->pending->first);
}

static const struct ussd_state pick_states[] = {
	{ "pick.merchant", USSD_ST_LIST, pick_render, pick_input },
};
static const struct ussd_flow pick_flow = { "pick", "pick.title", USSD_WHO_OWNER, pick_states, 1, 0 };

static int lang_render(struct ussd_ctx *c)
{
	struct ussd_menu *m = c->m;
	int rc = ussd_say(c, "lang.title", NULL, 0);
	for (size_t i = 0; rc == 0 && i < ussd_locale_nlangs(m->loc); i++) {
		const char *code = ussd_locale_lang(m->loc, i);
		const char *name = ussd_locale_get(m->loc, code, "lang.name");
		rc = ussd_item(c, name ? name : code);
	}
	return rc;
}

static int lang_input(struct ussd_ctx *c, const char *in)
{
	(void)in;
	struct ussd_menu *m = c->m;
	const char *code = ussd_locale_lang(m->loc, (size_t)ussd_ctx_choice(c));
	if (!code)
		return ussd_retry(c, "err.choice");
	sqlite3_stmt *st = m->st[SQL_LANG_SET];
	int rc;
	if ((rc = db_bind_text(st, ":msisdn", c->msisdn)) < 0 ||
	    (rc = db_bind_text(st, ":lang", code)) < 0 || (rc = db_run(st)) < 0)
		return rc;
	LOGI(LC_USSD, "language set", "msisdn=%s lang=%s", c->msisdn, code);
	snprintf(c->lang, sizeof c->lang, "%s", code);
	return ussd_main(c, "lang.saved");
}

enum { LANG_CHOOSE };
static const struct ussd_state lang_states[] = {
	[LANG_CHOOSE] = { "lang.choose", USSD_ST_LIST, lang_render, lang_input },
};
const struct ussd_flow ussd_flow_lang = {
	"lang", "menu.language", USSD_WHO_ALL, lang_states, 1, LANG_CHOOSE,
};

/* ---- the engine ---- */

static void report_log(void *arg, const char *msg)
{
	(void)arg;
	LOGE(LC_USSD, "locale", "error=\"%s\"", msg);
}

int ussd_menu_new(struct ussd_menu **out, struct gw *gw, char *err, size_t errlen)
{
	*out = NULL;
	struct ussd_menu *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->gw = gw;
	const char *svc = gw->cfg.ussd_service_code;
	char why[USSD_DIAL_ERR_MAX];
	if (ussd_dial_parse(svc, strlen(svc), NULL, why, sizeof why, NULL) != (int)strlen(svc)) {
		snprintf(err, errlen, "service_code '%.40s': %s", svc, why);
		ussd_menu_free(m);
		return -EINVAL;
	}
	int rc = ussd_locale_load(&m->loc, gw->cfg.ussd_languages, gw->cfg.ussd_locale_dir,
				  report_log, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "cannot load the locale files (%s; see the log)", strerror(-rc));
		ussd_menu_free(m);
		return rc;
	}
	if (!ussd_locale_has(m->loc, gw->cfg.ussd_default_language)) {
		snprintf(err, errlen, "default_language '%s' is not one of languages",
			 gw->cfg.ussd_default_language);
		ussd_menu_free(m);
		return -EINVAL;
	}
	if ((rc = db_prepare_table(gw->db, menu_sql, SQL__COUNT, &m->st, err, errlen)) < 0) {
		ussd_menu_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void ussd_menu_free(struct ussd_menu *m)
{
	if (!m)
		return;
	ussd_locale_free(m->loc);
	free(m);
}

/* The language stored for msisdn if it is still offered, else the
 * default, into lang. */
static void lang_of(struct ussd_menu *m, const char *msisdn, char *lang, size_t cap)
{
	snprintf(lang, cap, "%s", m->gw->cfg.ussd_default_language);
	if (!msisdn)
		return;
	sqlite3_stmt *st = m->st[SQL_LANG_GET];
	if (db_bind_text(st, ":msisdn", msisdn) < 0)
		return;
	if (db_step(st) == 1) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (v && ussd_locale_has(m->loc, v))
			snprintf(lang, cap, "%s", v);
		db_reset(st);
	}
}

static void begin_out(struct ussd_menu *m, char *out, size_t outlen)
{
	m->out = out;
	m->outcap = outlen;
	m->end = 0;
	out[0] = '\0';
	m->reason_key = m->notice_key = NULL;
}

int ussd_menu_final(struct ussd_menu *m, const char *msisdn, const char *key, char *out,
		    size_t outlen)
{
	char lang[USSD_LANG_MAX + 1];
	lang_of(m, msisdn, lang, sizeof lang);
	const char *t = text_of(m, lang, key);
	if (!t)
		t = key;
	return ussd_locale_format(t, NULL, 0, out, outlen) < 0 ? -ENOSPC : 0;
}

/* The direct answers of a dialled string: "*384*1*2#" with service code
 * "*384#" gives "1*2" in parts (cap bytes), "*384#" gives "". Both are
 * read with ussd_dial_parse(); a multi-part service code ("*150*01#")
 * must match part for part. Returns 0, or -1 if dialled is not a valid
 * string of this service (the reason in why). */
static int dialled_parts(const struct ussd_menu *m, const char *dialled, char *parts, size_t cap,
			 char *why, size_t whylen)
{
	struct ussd_dial d, svc;
	size_t dl = strlen(dialled), sl = strlen(m->gw->cfg.ussd_service_code);
	if (ussd_dial_parse(dialled, dl, &d, why, whylen, NULL) != (int)dl)
		return -1;
	if (ussd_dial_parse(m->gw->cfg.ussd_service_code, sl, &svc, NULL, 0, NULL) != (int)sl) {
		snprintf(why, whylen, "service_code is invalid");
		return -1;
	}
	const char *sc = m->gw->cfg.ussd_service_code;
	int same = d.nargs >= svc.nargs && d.code.len == svc.code.len &&
		   memcmp(dialled + d.code.off, sc + svc.code.off, d.code.len) == 0;
	for (int i = 0; same && i < svc.nargs; i++)
		same = d.arg[i].len == svc.arg[i].len &&
		       memcmp(dialled + d.arg[i].off, sc + svc.arg[i].off, d.arg[i].len) == 0;
	if (!same) {
		snprintf(why, whylen, "another service code");
		return -1;
	}
	size_t o = 0;
	parts[0] = '\0';
	for (int i = svc.nargs; i < d.nargs; i++) {
		if (o + d.arg[i].len + 2 > cap)
			return -1;
		if (o)
			parts[o++] = '*';
		memcpy(parts + o, dialled + d.arg[i].off, d.arg[i].len);
		o += d.arg[i].len;
		parts[o] = '\0';
	}
	return 0;
}

int ussd_menu_begin(struct ussd_menu *m, struct ussd_ctx *c, const char *msisdn,
		    const char *dialled, char *out, size_t outlen, int *end, int *secret)
{
	memset(c, 0, sizeof *c);
	c->m = m;
	c->choice = -1;
	snprintf(c->msisdn, sizeof c->msisdn, "%s", msisdn);
	lang_of(m, msisdn, c->lang, sizeof c->lang);
	to_main(c);
	begin_out(m, out, outlen);
	*secret = 0;
	char parts[USSD_DIAL_MAX + 1], why[USSD_DIAL_ERR_MAX], q[USSD_DIAL_ERR_MAX * 2 + 3];
	if (dialled_parts(m, dialled, parts, sizeof parts, why, sizeof why) < 0) {
		LOGI(LC_USSD, "unknown service", "msisdn=%s why=%s", msisdn, log_q(q, sizeof q, why));
		final_text(c, "err.service", NULL, 0);
		*end = 1;
		return 0;
	}
	int rc = owned(c, -1, NULL);
	if (rc < 0) {
		LOGE(LC_USSD, "cannot look up the caller", "msisdn=%s error=\"%s\"", msisdn, strerror(-rc));
		final_text(c, "err.internal", NULL, 0);
		*end = 1;
		return 0;
	}
	c->owned = (uint8_t)(rc > USSD_LIST_MAX ? USSD_LIST_MAX : rc);
	if ((rc = caller_who(c)) < 0) {
		LOGE(LC_USSD, "cannot look up the caller", "msisdn=%s error=\"%s\"", msisdn, strerror(-rc));
		final_text(c, "err.internal", NULL, 0);
		*end = 1;
		return 0;
	}
	c->who = (uint8_t)rc;
	c->dfsp[0] = c->merchant[0] = '\0';
	/* A direct string whose first part is no menu number (3 digits or
	 * more) belongs to the direct flow ("*384*TILL*AMOUNT#"): its parts
	 * answer that flow's screens instead of the main menu's. */
	size_t first = strcspn(parts, "*");
	if (ussd_direct_flow && main_visible(c, ussd_direct_flow) && first >= 3 &&
	    strspn(parts, "0123456789") >= first) {
		LOGI(LC_USSD, "direct string", "msisdn=%s flow=%s", msisdn, ussd_direct_flow->name);
		apply(c, enter_flow(c, ussd_direct_flow));
	} else {
		show(c);
	}
	/* A direct string: each part answers the screen before it. */
	for (char *p = parts, *next; !m->end && *parts; p = next + 1) {
		next = strchr(p, '*');
		if (next)
			*next = '\0';
		step(c, p, secret);
		if (!next)
			break;
	}
	*end = m->end;
	return 0;
}

int ussd_menu_push(struct ussd_menu *m, struct ussd_ctx *c, const char *msisdn,
		   const struct ussd_flow *f, int state, const void *scratch, size_t n, char *out,
		   size_t outlen, int *end)
{
	/* A push is made from inside another dialogue's step (a merchant's
	 * "Request payment"), whose screen is still to be drawn: what the
	 * engine holds of that step is put back before returning. */
	struct {
		char *out;
		size_t outcap;
		int end, listing, nstate;
		const struct ussd_flow *nflow;
		const char *reason_key, *notice_key;
	} saved = { m->out, m->outcap, m->end, m->listing, m->nstate, m->nflow, m->reason_key,
		    m->notice_key };
	memset(c, 0, sizeof *c);
	c->m = m;
	c->choice = -1;
	snprintf(c->msisdn, sizeof c->msisdn, "%s", msisdn);
	lang_of(m, msisdn, c->lang, sizeof c->lang);
	to_main(c);
	begin_out(m, out, outlen);
	int rc = caller_who(c);
	if (rc < 0 || !f || state < 0 || state >= f->nstates || n > sizeof c->scratch) {
		final_text(c, "err.internal", NULL, 0);
	} else {
		c->who = (uint8_t)rc;
		enter(c, f, state, 0);
		memcpy(c->scratch, scratch, n);
		show(c);
	}
	*end = m->end;
	m->out = saved.out;
	m->outcap = saved.outcap;
	m->end = saved.end;
	m->listing = saved.listing;
	m->nstate = saved.nstate;
	m->nflow = saved.nflow;
	m->reason_key = saved.reason_key;
	m->notice_key = saved.notice_key;
	return 0;
}

int ussd_menu_input(struct ussd_menu *m, struct ussd_ctx *c, const char *in, char *out,
		    size_t outlen, int *end, int *secret)
{
	begin_out(m, out, outlen);
	*secret = 0;
	c->m = m;
	step(c, in, secret);
	*end = m->end;
	return 0;
}
