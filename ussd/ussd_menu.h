/* ussd_menu.h -- the USSD menu engine: menus are tables of states, one
 * handler pair per state, grouped in flows; the engine does navigation
 * ("0" back, "00" main menu), retries (3 tries, then END with the
 * reason), paging of lists ("98 More", "0 Back"), direct strings
 * ("*384*1#" opens the first main-menu entry), the main menu by who is
 * dialling, and the Language flow. All texts come from the locale files
 * (ussd/ussd_locale.h), in the subscriber's language.
 *
 * Writing a flow. A flow is one .c file, ussd/ussd_flow_NAME.c, holding
 * its state table, its handlers and one exported struct ussd_flow:
 *
 *   enum { REG_NAME, REG_MCC, REG__COUNT };            // state ids = table index
 *   static int name_render(struct ussd_ctx *c) { return ussd_say(c, "reg.ask_name", NULL, 0); }
 *   static int name_input(struct ussd_ctx *c, const char *in) {
 *           struct reg_scratch *s = ussd_ctx_scratch(c);   // zeroed on entering the flow
 *           if (strlen(in) < 2) return ussd_retry(c, "reg.bad_name");
 *           snprintf(s->name, sizeof s->name, "%s", in);
 *           return ussd_go(c, REG_MCC);
 *   }
 *   static const struct ussd_state reg_states[REG__COUNT] = {
 *           [REG_NAME] = { "reg.name", 0, name_render, name_input },
 *           [REG_MCC]  = { "reg.mcc", USSD_ST_LIST, mcc_render, mcc_input },
 *   };
 *   const struct ussd_flow ussd_flow_reg = {
 *           "reg", "menu.register", USSD_WHO_UNKNOWN, reg_states, REG__COUNT, REG_NAME,
 *   };
 *
 * and one line in the main menu's list, ussd_main_flows[] in
 * ussd/ussd_flows.c (the only shared edit). The engine calls render() to
 * draw a state's screen and input() with the subscriber's answer; the
 * handlers call the helpers below to say texts and to choose what comes
 * next. They never write the reply themselves.
 *
 * The hooks: "Register business" is ussd_flow_reg (ussd/ussd_flow_reg.c)
 * and "My business" is ussd_flow_biz (ussd/ussd_flow_biz.c), both written
 * on their own branch; ussd_flow_lang ("Language") is the engine's.
 *
 * Threads: the loop's only. Handlers may use the database (commit before
 * returning: the reply leaves right after) but must not block otherwise.
 */
#ifndef USSD_MENU_H
#define USSD_MENU_H

#include <stddef.h>
#include <stdint.h>

struct gw;
struct ussd_ctx;    /* one dialogue's menu state, inside its session; opaque */
struct ussd_menu;   /* the engine: configuration, locale texts, statements; opaque */

/* Bytes of per-flow scratch space in every session: zeroed when a flow is
 * entered (from the main menu or a direct string), kept across its steps,
 * gone with the session. Put fixed-size fields there, never pointers to
 * heap memory (nothing would free them). */
#define USSD_SCRATCH_MAX 384

/* Answers a state's input() never sees, because the engine takes them
 * (unless the state has USSD_ST_RAW). */
#define USSD_IN_BACK "0"    /* previous screen (previous page of a list first) */
#define USSD_IN_MAIN "00"   /* main menu */
#define USSD_IN_MORE "98"   /* next page of a list */

/* Tries of one screen: the third invalid answer in a row ends the
 * dialogue with the reason. */
#define USSD_TRIES_MAX 3

/* Most items of one list (numbers 1..97; 98 is "More"). */
#define USSD_LIST_MAX 97

/* ---- state tables ---- */

enum ussd_state_flag {
	USSD_ST_SECRET = 1u << 0, /* the answer is a PIN or the like: logs say
				   * "input=<secret>", never the text or its length */
	USSD_ST_LIST = 1u << 1,   /* render() adds items with ussd_item(); the
				   * engine numbers them 1..n, pages them, refuses
				   * a number out of range (retry "err.choice"),
				   * and input() gets a valid number, its index
				   * in ussd_ctx_choice() */
	USSD_ST_RAW = 1u << 2,    /* "0", "00" and "98" go to input() as answers */
};

struct ussd_state {
	const char *name; /* for logs, "flow.state": "reg.name" */
	unsigned flags;   /* enum ussd_state_flag bits */
	/* Draws the screen: ussd_say(), ussd_text(), ussd_item(). Called on
	 * entering the state and again on a retry, a "0" back to it, or a
	 * page turn, so it must not change anything. Returns 0 or a
	 * negative errno (the dialogue then ends with "err.internal"). */
	int (*render)(struct ussd_ctx *c);
	/* Handles the answer in (UTF-8, borrowed for the call; already
	 * checked to be a listed number in a USSD_ST_LIST state). Returns
	 * what ussd_go(), ussd_go_flow(), ussd_back(), ussd_main(),
	 * ussd_retry() or ussd_end() returned, or a negative errno (the
	 * dialogue ends with "err.internal"). */
	int (*input)(struct ussd_ctx *c, const char *in);
};

/* Who sees a flow's main-menu entry (bits). */
enum ussd_who {
	USSD_WHO_UNKNOWN = 1u << 0, /* callers whose number owns no merchant and
				     * is no customer (of any status but CLOSED) */
	USSD_WHO_OWNER = 1u << 1,   /* callers whose number is a merchant owner's
				     * (owner.phone): the engine makes one who owns
				     * several pick a merchant first, so that
				     * ussd_ctx_merchant() is set in the flow */
	USSD_WHO_CUSTOMER = 1u << 2, /* callers who are an ACTIVE or SUSPENDED
				      * customer of some DFSP (gateway/customer.h) */
	USSD_WHO_PENDING = 1u << 3,  /* callers enrolled by some DFSP who have not
				      * activated yet */
	USSD_WHO_ALL = USSD_WHO_UNKNOWN | USSD_WHO_OWNER | USSD_WHO_CUSTOMER | USSD_WHO_PENDING,
};

struct ussd_flow {
	const char *name;      /* for logs: "reg" */
	const char *title_key; /* locale key of its main-menu entry: "menu.register" */
	unsigned who;          /* enum ussd_who bits */
	const struct ussd_state *states; /* table indexed by state id */
	uint8_t nstates;       /* 1..64 */
	uint8_t first;         /* id of the state the flow starts in */
};

/* The flows of the main menu, in menu order, NULL-terminated; defined in
 * ussd/ussd_flows.c. A caller sees the entries whose who matches. */
extern const struct ussd_flow *const ussd_main_flows[];

/* The flow a direct string whose first part is not a menu number (3 or
 * more digits: "*384*TILL*AMOUNT#") opens, with the parts as its answers,
 * if the caller may see it; NULL for none (the parts then answer the main
 * menu as usual). Defined in ussd/ussd_flows.c. */
extern const struct ussd_flow *const ussd_direct_flow;

/* The flows themselves. */
extern const struct ussd_flow ussd_flow_lang; /* "Language": ussd_menu.c */
extern const struct ussd_flow ussd_flow_reg;  /* "Register business": ussd_flow_reg.c */
extern const struct ussd_flow ussd_flow_biz;  /* "My business": ussd_flow_biz.c */
extern const struct ussd_flow ussd_flow_cust; /* "Activate": ussd_flow_cust.c */
extern const struct ussd_flow ussd_flow_pay;  /* "Pay merchant": ussd_flow_pay.c */
extern const struct ussd_flow ussd_flow_cpin; /* "Change PIN": ussd_flow_cust.c */
extern const struct ussd_flow ussd_flow_rtp;  /* a request to pay, pushed: ussd_flow_rtp.c */

/* ---- what handlers read ---- */

/* The caller's MSISDN: E.164 digits, no '+'. Borrowed from c. */
const char *ussd_ctx_msisdn(const struct ussd_ctx *c);
/* The language of the screens: "en", "sw", ... Borrowed from c. */
const char *ussd_ctx_lang(const struct ussd_ctx *c);
/* The merchant chosen for a USSD_WHO_OWNER flow: its DFSP and merchant
 * id; "" in other flows. Borrowed from c. */
const char *ussd_ctx_dfsp(const struct ussd_ctx *c);
const char *ussd_ctx_merchant(const struct ussd_ctx *c);
/* The DFSP self-registered merchants belong to ([ussd]
 * registration_dfsp, or the first DFSP when that is empty); "" if the
 * database has no DFSP. Borrowed from the engine. */
const char *ussd_ctx_reg_dfsp(const struct ussd_ctx *c);
/* The caller's enum ussd_who bits, found when the dialogue began. */
unsigned ussd_ctx_who(const struct ussd_ctx *c);
/* The flow's scratch space: USSD_SCRATCH_MAX bytes, aligned for any
 * type, owned by the session. */
void *ussd_ctx_scratch(struct ussd_ctx *c);
/* In input() of a USSD_ST_LIST state: the 0-based index of the chosen
 * item; -1 elsewhere. */
int ussd_ctx_choice(const struct ussd_ctx *c);
/* The daemon (its database, registry, outbox, configuration). Borrowed. */
struct gw *ussd_ctx_gw(const struct ussd_ctx *c);

/* ---- what render() calls ---- */

/* A placeholder value for ussd_say(): {name} in the text becomes value. */
struct ussd_var {
	const char *name;  /* without braces: "till" */
	const char *value; /* UTF-8, borrowed */
};

/* Adds one line: the text of key in the caller's language (English if
 * that language lacks it), placeholders replaced by vars (n of them; a
 * placeholder without a value stays as written). Returns 0; -ENOENT for
 * a key no language has (a bug: logged); -ENOSPC if the screen is full. */
int ussd_say(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n);

/* Adds one line of literal text (a merchant's name, an amount).
 * Returns 0 or -ENOSPC. */
int ussd_text(struct ussd_ctx *c, const char *utf8);

/* In a USSD_ST_LIST state: adds the next item's label (numbered by the
 * engine). Returns 0; -E2BIG past USSD_LIST_MAX items; -ENOSPC. */
int ussd_item(struct ussd_ctx *c, const char *utf8);

/* The text of key in the caller's language (English if that language
 * lacks it) with vars (n of them) filled in, into out (cap bytes, NUL
 * included): for texts that leave otherwise than on the screen (an SMS)
 * and for list items. Unlike ussd_say(), a missing key is not logged, so
 * that a caller may fall back on another text. Returns the length
 * written; -ENOENT for a key no language has; -ENOSPC if out is too
 * small (out then holds a truncated, NUL-terminated copy). */
long ussd_format(const struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n,
		 char *out, size_t cap);

/* ---- what input() returns ---- */

/* Next screen: state id of the current flow. The current state goes on
 * the back stack (so "0" returns to it). */
int ussd_go(struct ussd_ctx *c, int state);
/* Next screen: state id of another flow; the scratch space is zeroed. */
int ussd_go_flow(struct ussd_ctx *c, const struct ussd_flow *f, int state);
/* The previous screen, as "0" does. */
int ussd_back(struct ussd_ctx *c);
/* The main menu, as "00" does; notice_key (may be NULL) is said above it,
 * with {lang} = the name of the subscriber's language ("lang.saved"). */
int ussd_main(struct ussd_ctx *c, const char *notice_key);
/* The answer is invalid: the screen is shown again under the text of
 * reason_key; the USSD_TRIES_MAX-th invalid answer in a row ends the
 * dialogue with "err.tries" and the reason instead. */
int ussd_retry(struct ussd_ctx *c, const char *reason_key);
/* The final screen: the text of key with vars; the dialogue ends. */
int ussd_end(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n);

/* ---- answering later ---- */

/* A state whose answer depends on something the loop brings later (a
 * payment's outcome from the switch) returns ussd_later() from input():
 * no screen leaves now; the session keeps the transport's reply and the
 * flow gives it, exactly once, with ussd_later_end() from a loop
 * callback. The engine guarantees an answer: budget_ms after the input,
 * ops->budget(c) is called and must answer then. If the dialogue ends
 * first (the network aborts it, it expires, a new dial replaces it, the
 * daemon stops), ops->cancel(c) is called instead and nothing may be
 * answered: the flow drops what it waits on there (fwd_unwatch()). In
 * both, c is valid during the call only. While the answer is pending,
 * further input on the dialogue is refused (ussd_sess_step(): -EBUSY).
 * A later answer is always a final screen: the dialogue ends with it. */
struct ussd_later_ops {
	/* The budget is spent: answer now (ussd_later_end()) and return its
	 * result; a negative return makes the engine end with "err.internal". */
	int (*budget)(struct ussd_ctx *c);
	/* The dialogue ended unanswered: release what waits; never answer. */
	void (*cancel)(struct ussd_ctx *c);
};

/* What input() returns to answer later, within budget_ms (1..600000).
 * ops is borrowed (static storage). Returns the engine's action, or
 * -EINVAL for a budget out of range or missing callbacks. */
int ussd_later(struct ussd_ctx *c, uint32_t budget_ms, const struct ussd_later_ops *ops);

/* 1 while c has a pending answer (after its input() returned
 * ussd_later()), else 0. In input() itself, before that return, 0. */
int ussd_ctx_later(const struct ussd_ctx *c);

/* Gives the pending answer: the final screen of key with vars (n), as
 * ussd_end() would have drawn it; the session hands it to the transport
 * and ends, so c is invalid once this returns 0. Returns 0, or
 * -EALREADY if c has no pending answer (c then unchanged). */
int ussd_later_end(struct ussd_ctx *c, const char *key, const struct ussd_var *vars, size_t n);

/* ---- the engine (for ussd_sess.c and the tests) ---- */

/* *end of ussd_menu_begin() and ussd_menu_input() for a step whose
 * answer comes later: no screen in out; the caller keeps the reply
 * context and arms a timer of ussd_ctx_later_budget() milliseconds that
 * calls ussd_menu_later_budget(). */
#define USSD_MENU_LATER 2

/* Where ussd_later_end() delivers: done(arg, c, text), text a final
 * screen (UTF-8, borrowed for the call). The session table sets it once
 * (ussd/ussd_sess.c); done must end the dialogue of c. */
typedef void (*ussd_menu_done_fn)(void *arg, struct ussd_ctx *c, const char *text);
void ussd_menu_set_done(struct ussd_menu *m, ussd_menu_done_fn done, void *arg);

/* The budget of c's pending answer in milliseconds; 0 if none. */
uint32_t ussd_ctx_later_budget(const struct ussd_ctx *c);

/* The budget timer of c fired: the flow answers (or the engine does,
 * with "err.internal"). c is invalid after the call. No-op if nothing
 * is pending. */
void ussd_menu_later_budget(struct ussd_ctx *c);

/* c's dialogue ends with its answer pending: the flow's cancel(). No-op
 * if nothing is pending. */
void ussd_menu_later_cancel(struct ussd_ctx *c);



/* Makes the engine for gw (borrowed: its database, configuration and
 * registry; must outlive it): loads the locale texts ([ussd] languages,
 * locale_dir) and prepares its statements. *out is owned by the caller
 * (ussd_menu_free()). Returns 0 or a negative errno with a message in
 * err. */
int ussd_menu_new(struct ussd_menu **out, struct gw *gw, char *err, size_t errlen);
void ussd_menu_free(struct ussd_menu *m); /* NULL ok */

/* Size of the context a session embeds (ussd_sess.c allocates it inside
 * the session: no allocation of its own). */
size_t ussd_ctx_size(void);

/* Starts a dialogue in c (ussd_ctx_size() bytes, caller-owned) for
 * msisdn (borrowed) dialled as dialled ("*384#", "*384*1#": each part
 * after the service code is fed as an answer, in order): looks up the
 * caller's language and merchants and draws the first screen into
 * out/outlen; *end is set to 1 for a final screen (USSD_MENU_LATER
 * when a state answers later: out is then empty), *secret to 1 if a
 * part of dialled went to a USSD_ST_SECRET state. Returns 0 (every
 * failure is a screen: unknown service, internal error). */
int ussd_menu_begin(struct ussd_menu *m, struct ussd_ctx *c, const char *msisdn,
		    const char *dialled, char *out, size_t outlen, int *end, int *secret);

/* Draws the final screen of key (no placeholders) in msisdn's language
 * (the default one if msisdn is NULL or has none), for a dialogue that
 * has no context (session expired, table full). Returns 0 or -ENOSPC. */
int ussd_menu_final(struct ussd_menu *m, const char *msisdn, const char *key, char *out,
		    size_t outlen);

/* Starts a dialogue the gateway opens itself (network-initiated: a
 * request to pay pushed to a customer's phone) in c, as
 * ussd_menu_begin() does, but in state state of flow f, with n bytes
 * of scratch (at most USSD_SCRATCH_MAX, copied) as the flow's scratch
 * space; draws that state's screen into out. "0" and "00" go back to the
 * main menu unless the state is USSD_ST_RAW. Returns 0 (every failure is
 * a final screen). */
int ussd_menu_push(struct ussd_menu *m, struct ussd_ctx *c, const char *msisdn,
		   const struct ussd_flow *f, int state, const void *scratch, size_t n, char *out,
		   size_t outlen, int *end);

/* Feeds one answer to c and draws the next screen, as ussd_menu_begin().
 * *secret is set to 1 if the answer belonged to a USSD_ST_SECRET state
 * (the caller then must not log it). */
int ussd_menu_input(struct ussd_menu *m, struct ussd_ctx *c, const char *in, char *out,
		    size_t outlen, int *end, int *secret);

#endif /* USSD_MENU_H */
