/* merchant_fsm.c -- the merchant status machine, as one table. */
#include "merchant/merchant_fsm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BIT(x) (1u << (x))
#define ANY_BUT_CLOSED (BIT(MS__COUNT) - 1u - BIT(MS_CLOSED))

struct transition {
	unsigned from;          /* statuses the action starts from (bit set) */
	enum merchant_status to;
	unsigned roles;         /* roles allowed to take it (bit set) */
	int reason;             /* a reason is required */
	int maker_checker;      /* the submitter may not take it */
};

static const struct transition table[MA__COUNT] = {
	[MA_SUBMIT] = { BIT(MS_DRAFT) | BIT(MS_REVERTED), MS_SUBMITTED,
			BIT(ROLE_MAKER) | BIT(ROLE_DFSP_ADMIN), 0, 0 },
	[MA_APPROVE] = { BIT(MS_SUBMITTED), MS_APPROVED,
			 BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN), 0, 1 },
	[MA_REJECT] = { BIT(MS_SUBMITTED), MS_REJECTED,
			BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN), 1, 1 },
	[MA_REVERT] = { BIT(MS_SUBMITTED), MS_REVERTED,
			BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN), 1, 1 },
	[MA_SUSPEND] = { BIT(MS_APPROVED), MS_SUSPENDED,
			 BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN), 1, 0 },
	[MA_REINSTATE] = { BIT(MS_SUSPENDED), MS_APPROVED,
			   BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN), 1, 0 },
	[MA_CLOSE] = { ANY_BUT_CLOSED, MS_CLOSED,
		       BIT(ROLE_CHECKER) | BIT(ROLE_DFSP_ADMIN), 0, 0 },
};

static const char *const status_names[MS__COUNT] = {
	"DRAFT", "SUBMITTED", "APPROVED", "REJECTED", "REVERTED", "SUSPENDED", "CLOSED",
};
static const char *const action_names[MA__COUNT] = {
	"submit", "approve", "reject", "revert", "suspend", "reinstate", "close",
};
static const char *const role_names[ROLE__COUNT] = {
	"hub-admin", "dfsp-admin", "maker", "checker", "auditor", "payments",
};

const char *merchant_status_name(enum merchant_status s)
{
	return (unsigned)s < MS__COUNT ? status_names[s] : "?";
}

const char *merchant_action_name(enum merchant_action a)
{
	return (unsigned)a < MA__COUNT ? action_names[a] : "?";
}

const char *merchant_role_name(enum merchant_role r)
{
	return (unsigned)r < ROLE__COUNT ? role_names[r] : "?";
}

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int merchant_status_parse(const char *s)
{
	return lookup(status_names, MS__COUNT, s);
}

int merchant_action_parse(const char *s)
{
	return lookup(action_names, MA__COUNT, s);
}

int merchant_role_parse(const char *s)
{
	return lookup(role_names, ROLE__COUNT, s);
}

int merchant_status_editable(enum merchant_status s)
{
	return s == MS_DRAFT || s == MS_REVERTED;
}

static int same_dfsp(const struct merchant_actor *actor, const char *dfsp)
{
	return actor->dfsp && dfsp && strcmp(actor->dfsp, dfsp) == 0;
}

int merchant_fsm_checker(const struct merchant_actor *actor, const char *record_dfsp,
			 const char *submitted_by, char *err, size_t errlen)
{
	if (!same_dfsp(actor, record_dfsp)) {
		snprintf(err, errlen, "no such merchant");
		return -ENOENT;
	}
	if (submitted_by && actor->user && strcmp(actor->user, submitted_by) == 0) {
		snprintf(err, errlen,
			 "maker-checker: %s submitted this record and cannot also review it; "
			 "another user of %s must", submitted_by, record_dfsp);
		return -EACCES;
	}
	return 0;
}

int merchant_fsm_decide(enum merchant_status from, enum merchant_action a,
			const struct merchant_actor *actor, const char *merchant_dfsp,
			const char *submitted_by, const char *reason,
			enum merchant_status *to, char *err, size_t errlen)
{
	if ((unsigned)a >= MA__COUNT || (unsigned)from >= MS__COUNT) {
		snprintf(err, errlen, "unknown action or status");
		return -EINVAL;
	}
	const struct transition *t = &table[a];
	if (!same_dfsp(actor, merchant_dfsp)) {
		snprintf(err, errlen, "no such merchant");
		return -ENOENT;
	}
	if (!((unsigned)actor->role < ROLE__COUNT && (t->roles & BIT(actor->role)))) {
		snprintf(err, errlen, "a key of role %s may not %s a merchant",
			 merchant_role_name(actor->role), action_names[a]);
		return -EACCES;
	}
	if (t->maker_checker) {
		int rc = merchant_fsm_checker(actor, merchant_dfsp, submitted_by, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (!(t->from & BIT(from))) {
		snprintf(err, errlen, "cannot %s a merchant that is %s", action_names[a],
			 status_names[from]);
		return -EPERM;
	}
	if (t->reason && (!reason || !*reason)) {
		snprintf(err, errlen, "%s needs a reason", action_names[a]);
		return -EINVAL;
	}
	*to = t->to;
	return 0;
}
