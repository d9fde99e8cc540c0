/* merchant_fsm.h -- the merchant status machine as a table: which action
 * leads from which status to which, who may take it, whether it needs a
 * reason, and the maker-checker rule. Pure code: the registry applies the
 * result in one transaction with its audit row.
 *
 *   DRAFT --submit--> SUBMITTED --approve--> APPROVED <--suspend/reinstate--> SUSPENDED
 *   REVERTED --submit--^   |--reject--> REJECTED (final)
 *                          `--revert--> REVERTED (editable again)
 *   any status but CLOSED --close--> CLOSED (final)
 */
#ifndef MERCHANT_FSM_H
#define MERCHANT_FSM_H

#include <stddef.h>

enum merchant_status {
	MS_DRAFT,
	MS_SUBMITTED,
	MS_APPROVED,
	MS_REJECTED,
	MS_REVERTED,
	MS_SUSPENDED,
	MS_CLOSED,
	MS__COUNT
};

enum merchant_action {
	MA_SUBMIT,
	MA_APPROVE,
	MA_REJECT,
	MA_REVERT,
	MA_SUSPEND,
	MA_REINSTATE,
	MA_CLOSE,
	MA__COUNT
};

/* Roles of API keys (and of the people behind them). */
enum merchant_role {
	ROLE_HUB_ADMIN,   /* manages DFSPs; reads merchants, never changes them */
	ROLE_DFSP_ADMIN,  /* its DFSP's keys; every merchant action */
	ROLE_MAKER,       /* creates, edits and submits */
	ROLE_CHECKER,     /* approves, rejects, reverts, suspends */
	ROLE_AUDITOR,     /* reads only */
	ROLE_PAYMENTS,    /* a DFSP's own app: makes and reads its payments, nothing else */
	ROLE__COUNT
};

/* Who acts: strings borrowed for the call. */
struct merchant_actor {
	const char *user;     /* the key's user name; never empty */
	const char *dfsp;     /* the key's FSP id */
	enum merchant_role role;
};

/* Upper-case names ("DRAFT", "approve", "checker") and back. The parse
 * functions return -1 for an unknown name (case-sensitive, as printed). */
const char *merchant_status_name(enum merchant_status s);
const char *merchant_action_name(enum merchant_action a);
const char *merchant_role_name(enum merchant_role r);
int merchant_status_parse(const char *s);
int merchant_action_parse(const char *s);
int merchant_role_parse(const char *s);

/* Whether a merchant in status s can be edited (DRAFT and REVERTED). */
int merchant_status_editable(enum merchant_status s);

/* Decides action a on a merchant of DFSP merchant_dfsp in status from,
 * submitted (last) by submitted_by (NULL if never), with reason (NULL or
 * "" if none). On success returns 0 and sets *to. Errors, each with a
 * message for the user in err (errlen bytes):
 *   -ENOENT  the actor belongs to another DFSP (callers answer 404, so
 *            that a merchant's existence does not leak);
 *   -EACCES  the actor's role may not take this action, or maker-checker:
 *            the actor submitted the merchant and may not also review it;
 *   -EPERM   the action is not allowed from this status (409);
 *   -EINVAL  the action needs a reason and none was given (422).
 * The checks run in that order. */
int merchant_fsm_decide(enum merchant_status from, enum merchant_action a,
			const struct merchant_actor *actor, const char *merchant_dfsp,
			const char *submitted_by, const char *reason,
			enum merchant_status *to, char *err, size_t errlen);

/* The maker-checker rule alone, for reviews of other records (tier
 * upgrade requests): the reviewer must be of the same DFSP as the record
 * and not its submitter. Returns 0, -ENOENT or -EACCES as above. */
int merchant_fsm_checker(const struct merchant_actor *actor, const char *record_dfsp,
			 const char *submitted_by, char *err, size_t errlen);

#endif /* MERCHANT_FSM_H */
