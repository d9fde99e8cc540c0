/* ussd_sess.h -- USSD dialogues as the transports see them: one call per
 * step, one reply per step. Both transports (SMPP, ussd/smpp_link.h, and
 * the HTTP aggregator route POST /ussd) feed the same table of sessions
 * and the same menus (ussd/ussd_menu.h), and so behave the same.
 *
 * The table keys each dialogue by a string the transport makes from what
 * identifies it on its side ("smpp:255712345678:17" for its_session_info
 * 17, "smpp:255712345678" when keyed by MSISDN, "http:ATUid_42"). A BEGIN
 * for a key, or for an MSISDN, that has an open dialogue replaces it.
 * Idle and total timers run on the daemon's loop; an expired session is
 * freed silently (the network has given up on it too). A step may be
 * answered later, within a budget timer (see ussd_sess_step()).
 *
 * Sessions live in memory only; what a flow creates is committed to
 * SQLite before its reply is handed to the transport.
 */
#ifndef USSD_SESS_H
#define USSD_SESS_H

#include <stddef.h>
#include <stdint.h>

struct gw;
struct ussd_sess_tbl; /* opaque */

/* Longest dialogue key accepted, without the NUL. */
#define USSD_KEY_MAX 96

enum ussd_step {
	USSD_BEGIN,    /* the subscriber dialled: text is the dialled string, e.g. "*384*1#" */
	USSD_CONTINUE, /* the subscriber answered: text is the answer, e.g. "2" */
	USSD_ABORT,    /* the network or the subscriber ended it: free, reply nothing */
};

struct ussd_step_in {
	enum ussd_step step;
	const char *key;       /* dialogue key, 1..USSD_KEY_MAX bytes */
	const char *msisdn;    /* subscriber: E.164 digits, no '+' */
	const char *text;      /* UTF-8 (may be "" for ABORT) */
	const char *transport; /* "smpp" or "http", for logs and metrics */
};

/* Largest reply text in bytes, NUL included: 182 septets of UTF-8 that
 * needs at most 3 bytes each for the GSM set, with room to spare. */
#define USSD_REPLY_MAX 600

struct ussd_reply {
	int end;                    /* 1: final screen (SMPP op 17, "END"); 0: asks for input (op 2, "CON") */
	char text[USSD_REPLY_MAX];  /* UTF-8, one screen: ussd_text_fits() holds */
};

/* Receives the reply to one step. r is borrowed for the call. r is NULL
 * when a step that was to be answered later never will be (its dialogue
 * ended first: see ussd_sess_step()): the transport sends nothing it has
 * not already promised and frees arg. */
typedef void (*ussd_reply_fn)(void *arg, const struct ussd_reply *r);

/* Makes the table for gw (borrowed: its loop, database, registry, outbox
 * and [ussd] configuration; must outlive the table). On success *out is
 * owned by the caller (ussd_sess_free()). Returns 0 or a negative errno
 * with a message in err. */
int ussd_sess_new(struct ussd_sess_tbl **out, struct gw *gw, char *err, size_t errlen);

/* Ends every session (pending replies get cb(arg, NULL), their flows
 * are cancelled first), frees them and the timers; accepts NULL. */
void ussd_sess_free(struct ussd_sess_tbl *t);

/* Feeds one step. For BEGIN and CONTINUE, cb(arg, reply) is called
 * exactly once: either before this function returns (a CONTINUE for a
 * key with no session gets a final "session expired" screen), or later,
 * from the loop, when the menu state answers later (ussd_later(),
 * ussd/ussd_menu.h: a payment waiting for the switch). A later reply is
 * a final screen, given by the flow or at the latest when its budget
 * timer fires; arg must stay valid until then. If the dialogue ends
 * before (ABORT, the idle or total timer, a BEGIN that replaces it,
 * ussd_sess_cancel_replies(), ussd_sess_free()), cb(arg, NULL) is called
 * instead, once. For ABORT, cb is never called. Strings in in are
 * borrowed for the call. Returns 0; -EINVAL for a missing or over-long
 * key, msisdn or text; -EBUSY for a CONTINUE on a dialogue whose reply is
 * still pending (the answer is refused, the pending reply stays);
 * -ENOMEM: on a negative return cb has not been called and will not be
 * (arg is the caller's to free). */
int ussd_sess_step(struct ussd_sess_tbl *t, const struct ussd_step_in *in, ussd_reply_fn cb,
		   void *arg);

/* A transport going away: every dialogue whose pending reply would go to
 * cb ends, each with cb(arg, NULL). t NULL ok. */
void ussd_sess_cancel_replies(struct ussd_sess_tbl *t, ussd_reply_fn cb);

/* Opens a dialogue the gateway starts (network-initiated: a request to
 * pay pushed to a customer's phone), keyed "push:MSISDN", in state state
 * of flow f
 * (ussd/ussd_menu.h) with n bytes of scratch (copied), replacing any
 * dialogue of msisdn; out gets its first screen, for the transport to
 * send (SMPP: submit_sm op 2 with no correlation TLV). The dialogue is
 * correlated by MSISDN: the first CONTINUE from msisdn whose key matches
 * no dialogue (the network names it now: its_session_info or
 * user_message_reference) continues this one, which takes that key.
 * Timers as for any dialogue. Returns 0; -EINVAL (bad msisdn or
 * scratch); -EBUSY (the table is full); -EIO (the screen could not be
 * drawn); -ENOMEM. */
struct ussd_flow;
int ussd_sess_push(struct ussd_sess_tbl *t, const char *msisdn, const char *transport,
		   const struct ussd_flow *f, int state, const void *scratch, size_t n,
		   struct ussd_reply *out);

/* Sessions open now. */
size_t ussd_sess_count(const struct ussd_sess_tbl *t);

/* For a transport whose answers arrive cumulatively (the HTTP
 * aggregators send every answer of the dialogue joined by '*'): how many
 * CONTINUE steps the open session with this key has been fed. Returns
 * the count, or -ENOENT if no open (unexpired) session has the key. */
int ussd_sess_answers(const struct ussd_sess_tbl *t, const char *key);

#endif /* USSD_SESS_H */
