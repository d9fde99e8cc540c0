/* ussd_flow_cust.c -- the customer's own flows. "Change PIN"
 * (ussd_flow_cpin, at the end of this file): an active customer
 * changes the paying PIN: [which account, if several] -> current PIN
 * (a wrong one counts towards the lock-out, as anywhere) -> new PIN
 * (trivial ones refused, as at activation) -> again -> done, with
 * cust_change_pin() (audited "pin_change"). "Activate": a customer
 * enrolled by a DFSP (gateway/customer.h, status PENDING) activates on
 * the first dial:
 *
 *   activation code -> new PIN -> PIN again -> done
 *
 * A phone enrolled by several DFSPs needs no choice: the code (random,
 * per enrolment) tells which one it came from.
 * The code is checked (and a wrong one counted towards the lock-out)
 * before the PIN is asked; the PIN must pass pin_check() with the
 * caller's number. Code and PINs are secret states: the log never shows
 * them, and the scratch copies are wiped once used. Activation (PIN and
 * status ACTIVE) commits with its audit row before the last screen. See
 * docs/customers.md and docs/ussd.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/auth.h"
#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/pin.h"
#include "ussd/ussd_flow.h"
#include "ussd/ussd_menu.h"

enum {
	ACT_CODE,
	ACT_PIN,
	ACT_PIN2,
	ACT__COUNT
};

struct act_scratch {
	char dfsp[CUST_DFSP_MAX];
	char code[CUST_CODE_SIZE];    /* wiped once used */
	char pin[PIN_MAX_DIGITS + 1]; /* wiped once used */
};

_Static_assert(sizeof(struct act_scratch) <= USSD_SCRATCH_MAX, "act scratch");

/* The caller's PENDING customer records, into out (cap). Returns the
 * count or a negative errno. */
static int pending(struct ussd_ctx *c, struct cust_info *out, int cap)
{
	struct cust_info all[CUST_MATCH_MAX];
	int n = cust_by_msisdn(ussd_ctx_gw(c)->cust, ussd_ctx_msisdn(c), all, CUST_MATCH_MAX), k = 0;
	for (int i = 0; i < n && k < cap; i++)
		if (all[i].status == CS_PENDING)
			out[k++] = all[i];
	return n < 0 ? n : k;
}

/* The DFSP's name for screens, into out; its FSP id if it has none. */
static void dfsp_name(struct ussd_ctx *c, const char *dfsp, char *out, size_t n)
{
	struct auth_dfsp d;
	if (auth_dfsp_get(ussd_ctx_gw(c)->db, dfsp, &d) == 0)
		snprintf(out, n, "%s", d.name);
	else
		snprintf(out, n, "%s", dfsp);
}

static int code_render(struct ussd_ctx *c)
{
	return ussd_say(c, "cust.ask_code", NULL, 0);
}

/* The end screen of a refused code or PIN: locked, expired, no longer
 * pending. */
static int refused_end(struct ussd_ctx *c, int rc)
{
	struct act_scratch *s = ussd_ctx_scratch(c);
	struct cust_info all[CUST_MATCH_MAX];
	char name[129], until[CUST_TS_SIZE] = "";
	dfsp_name(c, s->dfsp, name, sizeof name);
	int n = cust_by_msisdn(ussd_ctx_gw(c)->cust, ussd_ctx_msisdn(c), all, CUST_MATCH_MAX);
	for (int i = 0; i < n; i++)
		if (!strcmp(all[i].dfsp, s->dfsp))
			snprintf(until, sizeof until, "%.16s", all[i].locked_until);
	for (char *t = strchr(until, 'T'); t; t = NULL)
		*t = ' '; /* "2026-11-28 10:45": date and minute, as My business shows */
	struct ussd_var v[] = { { "dfsp", name }, { "until", until } };
	switch (rc) {
	case -EAGAIN:
		return ussd_end(c, "cust.locked", v, 2);
	case -ETIME:
		return ussd_end(c, "cust.code_expired", v, 1);
	case -EPERM:
	case -ENOENT:
		return ussd_end(c, "cust.not_pending", v, 1);
	default:
		LOGE(LC_USSD, "activation failed", "msisdn=%s error=\"%s\"", ussd_ctx_msisdn(c),
		     strerror(rc < 0 ? -rc : EIO));
		return ussd_end(c, "cust.failed", NULL, 0);
	}
}

/* The code tells the DFSP: it is checked against each DFSP that waits
 * for this phone (normally one), and a wrong code counts at each. */
static int code_input(struct ussd_ctx *c, const char *in)
{
	struct act_scratch *s = ussd_ctx_scratch(c);
	struct cust_info p[CUST_MATCH_MAX];
	size_t len = strlen(in);
	if (len != CUST_CODE_DIGITS || strspn(in, "0123456789") != len)
		return ussd_retry(c, "cust.code_form"); /* not a try: nothing was checked */
	int n = pending(c, p, CUST_MATCH_MAX), rc = -ENOENT;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int r = cust_check_code(ussd_ctx_gw(c)->cust, p[i].dfsp, ussd_ctx_msisdn(c), in);
		if (r == 0) {
			snprintf(s->dfsp, sizeof s->dfsp, "%s", p[i].dfsp);
			snprintf(s->code, sizeof s->code, "%s", in);
			return ussd_go(c, ACT_PIN);
		}
		/* The most telling refusal: wrong, then expired, then locked. */
		if (rc == -ENOENT || r == -EACCES || (r == -ETIME && rc != -EACCES) ||
		    (r == -EAGAIN && rc != -EACCES && rc != -ETIME))
			rc = r;
		if (i == 0 || r == -EAGAIN || r == -ETIME)
			snprintf(s->dfsp, sizeof s->dfsp, "%s", p[i].dfsp);
	}
	if (rc == -EACCES) {
		LOGI(LC_USSD, "wrong activation code", "msisdn=%s", ussd_ctx_msisdn(c));
		return ussd_retry(c, "cust.bad_code");
	}
	return refused_end(c, rc);
}

static int pin_render(struct ussd_ctx *c)
{
	return ussd_say(c, "cust.ask_pin", NULL, 0);
}

static int pin_input(struct ussd_ctx *c, const char *in)
{
	struct act_scratch *s = ussd_ctx_scratch(c);
	const char *why = ussd_flow_pin_refused(c, in);
	if (why)
		return ussd_retry(c, why);
	snprintf(s->pin, sizeof s->pin, "%s", in);
	return ussd_go(c, ACT_PIN2);
}

static int pin2_render(struct ussd_ctx *c)
{
	return ussd_say(c, "cust.ask_pin2", NULL, 0);
}

static int pin2_input(struct ussd_ctx *c, const char *in)
{
	struct act_scratch *s = ussd_ctx_scratch(c);
	if (!pin_equal(s->pin, in))
		return ussd_retry(c, "cust.pin_mismatch");
	int rc = cust_activate(ussd_ctx_gw(c)->cust, s->dfsp, ussd_ctx_msisdn(c), s->code, s->pin);
	pin_wipe(s->pin, sizeof s->pin);
	pin_wipe(s->code, sizeof s->code);
	if (rc < 0)
		return refused_end(c, rc == -EACCES ? -EPERM : rc);
	LOGI(LC_USSD, "customer activated", "msisdn=%s dfsp=%s", ussd_ctx_msisdn(c), s->dfsp);
	struct gw *gw = ussd_ctx_gw(c);
	struct ussd_var v[] = { { "code", gw->cfg.ussd_service_code } };
	return ussd_end(c, "cust.done", v, 1);
}

static const struct ussd_state act_states[ACT__COUNT] = {
	[ACT_CODE] = { "cust.code", USSD_ST_SECRET, code_render, code_input },
	[ACT_PIN] = { "cust.pin", USSD_ST_SECRET, pin_render, pin_input },
	[ACT_PIN2] = { "cust.pin2", USSD_ST_SECRET, pin2_render, pin2_input },
};

const struct ussd_flow ussd_flow_cust = {
	"cust", "menu.activate", USSD_WHO_PENDING, act_states, ACT__COUNT, ACT_CODE,
};

/* ---- Change PIN ---- */

enum {
	CPIN_FIRST,
	CPIN_OLD,
	CPIN_NEW,
	CPIN_NEW2,
	CPIN__COUNT
};

struct cpin_scratch {
	char dfsp[CUST_DFSP_MAX];
	char old[PIN_MAX_DIGITS + 1]; /* wiped once used */
	char pin[PIN_MAX_DIGITS + 1]; /* wiped once used */
};

_Static_assert(sizeof(struct cpin_scratch) <= USSD_SCRATCH_MAX, "cpin scratch");

/* The caller's ACTIVE customer records, into out (cap). Returns the
 * count or a negative errno. */
static int active(struct ussd_ctx *c, struct cust_info *out, int cap)
{
	struct cust_info all[CUST_MATCH_MAX];
	int n = cust_by_msisdn(ussd_ctx_gw(c)->cust, ussd_ctx_msisdn(c), all, CUST_MATCH_MAX), k = 0;
	for (int i = 0; i < n && k < cap; i++)
		if (all[i].status == CS_ACTIVE)
			out[k++] = all[i];
	return n < 0 ? n : k;
}

/* The end screen of a refused PIN check or change. */
static int cpin_refused(struct ussd_ctx *c, int rc, const struct cust_info *ci)
{
	struct cpin_scratch *s = ussd_ctx_scratch(c);
	char name[129], until[CUST_TS_SIZE] = "";
	pin_wipe(s->old, sizeof s->old);
	pin_wipe(s->pin, sizeof s->pin);
	dfsp_name(c, s->dfsp, name, sizeof name);
	if (ci)
		snprintf(until, sizeof until, "%.16s", ci->locked_until);
	for (char *t = strchr(until, 'T'); t; t = NULL)
		*t = ' ';
	struct ussd_var v[] = { { "dfsp", name }, { "until", until } };
	switch (rc) {
	case -EAGAIN:
		LOGI(LC_USSD, "customer locked out", "msisdn=%s dfsp=%s", ussd_ctx_msisdn(c), s->dfsp);
		return ussd_end(c, "cust.pin_locked", v, 2);
	case -EPERM:
	case -ENOENT:
		return ussd_end(c, "pay.not_active", NULL, 0);
	default:
		LOGE(LC_USSD, "PIN change failed", "msisdn=%s error=\"%s\"", ussd_ctx_msisdn(c),
		     strerror(rc < 0 ? -rc : EIO));
		return ussd_end(c, "cust.pin_failed", NULL, 0);
	}
}

/* The first screen: the current PIN, or, for a phone with accounts at
 * several DFSPs, which account first (numbered lines, not a list state:
 * the same state takes a PIN when there is one account). */
static int cpin_first_render(struct ussd_ctx *c)
{
	struct cust_info p[CUST_MATCH_MAX];
	char name[129], line[144];
	int n = active(c, p, CUST_MATCH_MAX);
	if (n < 0)
		return n;
	if (n <= 1)
		return ussd_say(c, "cust.ask_old_pin", NULL, 0);
	int rc = ussd_say(c, "cust.pick_pin", NULL, 0);
	for (int i = 0; i < n && rc == 0; i++) {
		dfsp_name(c, p[i].dfsp, name, sizeof name);
		snprintf(line, sizeof line, "%d %s", i + 1, name);
		rc = ussd_text(c, line);
	}
	return rc;
}

static int cpin_old_input(struct ussd_ctx *c, const char *in);

static int cpin_first_input(struct ussd_ctx *c, const char *in)
{
	struct cpin_scratch *s = ussd_ctx_scratch(c);
	struct cust_info p[CUST_MATCH_MAX];
	int n = active(c, p, CUST_MATCH_MAX);
	if (n < 0)
		return n;
	if (n == 0)
		return ussd_end(c, "pay.not_active", NULL, 0);
	if (n == 1) {
		snprintf(s->dfsp, sizeof s->dfsp, "%s", p[0].dfsp);
		return cpin_old_input(c, in);
	}
	int k = (in[0] >= '1' && in[0] <= '9' && !in[1]) ? in[0] - '1' : -1;
	if (k < 0 || k >= n)
		return ussd_retry(c, "err.choice");
	snprintf(s->dfsp, sizeof s->dfsp, "%s", p[k].dfsp);
	return ussd_go(c, CPIN_OLD);
}

static int cpin_old_render(struct ussd_ctx *c)
{
	return ussd_say(c, "cust.ask_old_pin", NULL, 0);
}

/* The current PIN, checked at once: a wrong one counts towards the lock
 * as at payment (cust_verify_pin()). */
static int cpin_old_input(struct ussd_ctx *c, const char *in)
{
	struct cpin_scratch *s = ussd_ctx_scratch(c);
	struct cust_info ci;
	int rc = cust_verify_pin(ussd_ctx_gw(c)->cust, s->dfsp, ussd_ctx_msisdn(c), in, &ci);
	if (rc == -EACCES) {
		LOGI(LC_USSD, "wrong PIN", "msisdn=%s dfsp=%s", ussd_ctx_msisdn(c), s->dfsp);
		return ussd_retry(c, "cust.bad_old_pin");
	}
	if (rc < 0)
		return cpin_refused(c, rc, &ci);
	snprintf(s->old, sizeof s->old, "%s", in);
	return ussd_go(c, CPIN_NEW);
}

static int cpin_new_render(struct ussd_ctx *c)
{
	return ussd_say(c, "cust.ask_new_pin", NULL, 0);
}

static int cpin_new_input(struct ussd_ctx *c, const char *in)
{
	struct cpin_scratch *s = ussd_ctx_scratch(c);
	const char *why = ussd_flow_pin_refused(c, in);
	if (why)
		return ussd_retry(c, why);
	snprintf(s->pin, sizeof s->pin, "%s", in);
	return ussd_go(c, CPIN_NEW2);
}

static int cpin_new2_render(struct ussd_ctx *c)
{
	return ussd_say(c, "cust.ask_new_pin2", NULL, 0);
}

static int cpin_new2_input(struct ussd_ctx *c, const char *in)
{
	struct cpin_scratch *s = ussd_ctx_scratch(c);
	if (!pin_equal(s->pin, in))
		return ussd_retry(c, "cust.pin_mismatch");
	int rc = cust_change_pin(ussd_ctx_gw(c)->cust, s->dfsp, ussd_ctx_msisdn(c), s->old, s->pin);
	if (rc < 0) {
		struct cust_info all[CUST_MATCH_MAX], *ci = NULL;
		int n = cust_by_msisdn(ussd_ctx_gw(c)->cust, ussd_ctx_msisdn(c), all, CUST_MATCH_MAX);
		for (int i = 0; i < n; i++)
			if (!strcmp(all[i].dfsp, s->dfsp))
				ci = &all[i];
		return cpin_refused(c, rc, ci);
	}
	pin_wipe(s->old, sizeof s->old);
	pin_wipe(s->pin, sizeof s->pin);
	LOGI(LC_USSD, "customer PIN changed", "msisdn=%s dfsp=%s", ussd_ctx_msisdn(c), s->dfsp);
	return ussd_end(c, "cust.pin_changed", NULL, 0);
}

static const struct ussd_state cpin_states[CPIN__COUNT] = {
	[CPIN_FIRST] = { "cpin.first", USSD_ST_SECRET, cpin_first_render, cpin_first_input },
	[CPIN_OLD] = { "cpin.old", USSD_ST_SECRET, cpin_old_render, cpin_old_input },
	[CPIN_NEW] = { "cpin.new", USSD_ST_SECRET, cpin_new_render, cpin_new_input },
	[CPIN_NEW2] = { "cpin.new2", USSD_ST_SECRET, cpin_new2_render, cpin_new2_input },
};

const struct ussd_flow ussd_flow_cpin = {
	"cpin", "menu.change_pin", USSD_WHO_CUSTOMER, cpin_states, CPIN__COUNT, CPIN_FIRST,
};
