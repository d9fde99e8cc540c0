/* gw.h -- the daemon's one context: made by 'tillgate serve', passed to
 * every module that needs the loop, the database or the configuration.
 * No other mutable state is global (the logger aside, see log.h).
 *
 * Threads: one. The event loop runs every callback; libmicrohttpd runs
 * inside it (no thread of its own), and only the loop touches SQLite.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/cfg.h"

struct ev;
struct db;
struct http;
struct http_route;
struct merchant_reg;
struct kyb_tiers;
struct kyb_mcc;
struct outbox;
struct mpin;
struct cust;
struct pay;
struct ussd_sess_tbl;
struct ussd_smpp;
struct switch_conn;
struct fwd;
struct payee;
struct backend;
struct rtp;
struct als;

struct gw {
	struct cfg cfg;        /* owned: the configuration in force */
	struct ev *ev;         /* owned */
	struct db *db;         /* owned */
	struct http *http;     /* owned */
	struct merchant_reg *reg; /* owned: the merchant registry on db */
	struct kyb_tiers *tiers;  /* owned: KYB tiers ([kyb] tiers_file or built-in) */
	struct kyb_mcc *mcc;      /* owned: the built-in MCC table */
	struct outbox *outbox;    /* owned: SMS and other outgoing work on db */
	struct pay *pay;          /* owned: payments on db (gateway/pay.h) */
	struct mpin *mpin;        /* owned: merchants' USSD PINs on db ([ussd] pin_*) */
	struct cust *cust;        /* owned: customers (payers) on db (gateway/customer.h) */
	struct ussd_sess_tbl *ussd; /* owned: the USSD dialogues (ussd/ussd_sess.h) */
	struct ussd_smpp *smpp;     /* owned: the SMPP link, its USSD glue and the SMS
				     * drain (gateway/ussd_smpp.h); NULL unless [smpp] enabled */
	struct switch_conn *sw;     /* owned: the FSPIOP connector (gateway/switch.h);
				     * NULL unless [switch] endpoint is set */
	struct fwd *fwd;            /* owned: the forwarder of payments to the switch
				     * (gateway/fwd.h) */
	struct payee *payee;        /* owned: the payee side of FSPIOP (gateway/payee.h) */
	struct backend *backend;    /* owned: the DFSPs' backend hooks (gateway/backend.h) */
	struct rtp *rtp;            /* owned: merchants' requests to pay (gateway/rtp.h) */
	struct als *als;            /* owned: registrations at the switch's account lookup
				     * (gateway/als.h); NULL without a switch or with
				     * [switch] register_parties false */
	struct http_route *routes;/* owned: the API's routes and /healthz */
	size_t nroutes;
	uint64_t started_ms;   /* ev_now_ms() at start */
	int stopping;          /* SIGTERM/SIGINT seen: no new work */
	uint64_t stop_deadline;/* ev_now_ms() past which in-flight work is dropped */
	uint64_t stop_timer;   /* ev timer id while stopping, 0 otherwise */
};

struct kyb_tiers;

/* Loads the KYB tiers the configuration names ([kyb] tiers_file, or the
 * built-in data/kyb-tiers.conf) and checks that their limits are in the
 * gateway's currency. Each problem goes to report(arg, msg) as a
 * complete "FILE:LINE: message" line. Returns 0 with *out owned by the
 * caller (kyb_tiers_free()), or a negative errno with *out NULL. Used by
 * serve and by check-config. */
int gw_tiers_load(const struct cfg *c, struct kyb_tiers **out,
		  void (*report)(void *arg, const char *msg), void *arg);

#endif /* GW_GW_H */
