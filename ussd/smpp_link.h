/* smpp_link.h -- Tillgate's SMPP 3.4 ESME link: one bind_transceiver to
 * the operator's SMSC / USSD gateway, run on the daemon's event loop.
 *
 * States (a table in smpp_link.c; each change is logged "from -> to"):
 *
 *   DOWN -> CONNECTING -> BINDING -> BOUND -> UNBINDING -> STOPPED
 *
 * A refused bind (its command_status logged), a failed connect, a dead
 * link (no enquire_link_resp in time) or an unbind from the peer go back
 * to DOWN and reconnect after a delay that doubles from reconnect_min to
 * reconnect_max, with jitter (half to all of the delay); a successful
 * bind resets it.
 *
 * Requests (submit_sm) go out while fewer than window are unanswered,
 * matched to their responses by sequence number (1..0x7FFFFFFF,
 * wrapping); each has a response timeout. ESME_RTHROTTLED puts the
 * request back at the head of the queue and pauses sending for
 * throttle_ms. Every deliver_sm is answered with deliver_sm_resp, written
 * before anything the handler sends in reply (one write, TCP_NODELAY).
 * A malformed or unknown PDU is answered (generic_nack or the command's
 * response with an error status) and the link stays up; a command_length
 * below 16 or above 64 KiB is taken as a stream out of step and drops the
 * connection (after a generic_nack).
 */
#ifndef USSD_SMPP_LINK_H
#define USSD_SMPP_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "ussd/smpp_pdu.h"

struct ev;
struct smpp_link; /* opaque */

enum smpp_link_state {
	SMPP_LINK_DOWN,       /* no connection; a reconnect timer may be armed */
	SMPP_LINK_CONNECTING, /* non-blocking connect in progress */
	SMPP_LINK_BINDING,    /* bind_transceiver sent */
	SMPP_LINK_BOUND,
	SMPP_LINK_UNBINDING,  /* stopping: draining, then unbind sent */
	SMPP_LINK_STOPPED,    /* final: after smpp_link_stop() */
	SMPP_LINK__NSTATES
};

struct smpp_link_opts {
	const char *host;        /* borrowed for smpp_link_new() only: resolved there */
	int port;
	const char *system_id;   /* copied */
	const char *password;    /* copied; never logged */
	const char *system_type; /* copied */
	unsigned window;         /* 1.. */
	unsigned enquire_link_ms;
	unsigned response_timeout_ms;
	unsigned reconnect_min_ms;
	unsigned reconnect_max_ms;
	unsigned throttle_ms;    /* pause after ESME_RTHROTTLED */
	size_t max_pdu;          /* largest PDU accepted; 0: SMPP_PDU_MAX_DEFAULT */
};

/* Handlers, called from the loop. in is borrowed for the call. deliver
 * may call smpp_link_submit(); what it submits is written after the
 * deliver_sm_resp. It returns the command_status of the deliver_sm_resp
 * (SMPP_ROK, or e.g. SMPP_RX_T_APPN when it could not take the PDU). */
struct smpp_link_handlers {
	uint32_t (*deliver)(void *arg, const struct smpp_in *in);
	void (*state)(void *arg, enum smpp_link_state st); /* may be NULL */
	void *arg;
};

/* Result of one request: rc 0 with the response's status and message_id
 * ("" if none; borrowed for the call); -ETIMEDOUT: no response in time;
 * -ECONNRESET: the link dropped after the request was written (it may or
 * may not have reached the SMSC); -ENOTCONN: dropped before it was
 * written; -ESHUTDOWN: the link stopped first. */
typedef void (*smpp_link_resp_fn)(void *arg, int rc, uint32_t status, const char *message_id);

/* Counters since start, for metrics and tests. */
struct smpp_link_stats {
	uint64_t connects, binds, bind_refusals, drops;
	uint64_t submits, submit_ok, submit_err, timeouts, throttled;
	uint64_t delivers, enquire_sent, enquire_recv, malformed;
};

/* Resolves o->host (blocking; at start-up only), copies the options and
 * makes the link on ev (borrowed: must outlive it), DOWN. h is copied.
 * On success *out is owned by the caller (smpp_link_free()). Returns 0;
 * -EINVAL for bad options or a host that does not resolve (message in
 * err); -ENOMEM. */
int smpp_link_new(struct smpp_link **out, struct ev *ev, const struct smpp_link_opts *o,
		  const struct smpp_link_handlers *h, char *err, size_t errlen);

/* Closes the connection without unbinding, cancels timers, fails every
 * request with -ESHUTDOWN (callbacks run), frees. Accepts NULL. */
void smpp_link_free(struct smpp_link *l);

/* Starts connecting (DOWN -> CONNECTING). */
void smpp_link_start(struct smpp_link *l);

/* Queues one submit_sm (s and its strings are copied: packed now).
 * secret hides the text in debug traces. cb (may be NULL) gets the
 * result exactly once, never before this returns. Returns 0; -ENOTCONN
 * if the link is not BOUND; -ESHUTDOWN if stopping; -EINVAL if s does
 * not pack (message logged); -ENOMEM. */
int smpp_link_submit(struct smpp_link *l, const struct smpp_submit *s, int secret,
		     smpp_link_resp_fn cb, void *arg);

/* Graceful stop: no new requests; what is queued or unanswered gets
 * response_timeout_ms to finish, then unbind, and the connection closes
 * on unbind_resp or after response_timeout_ms more. Ends STOPPED. */
void smpp_link_stop(struct smpp_link *l);

/* The sequence number after prev: prev + 1, wrapping from 0x7FFFFFFF
 * (and from anything out of range, 0 included) to 1. */
uint32_t smpp_link_seq_next(uint32_t prev);

enum smpp_link_state smpp_link_state(const struct smpp_link *l);
const char *smpp_link_state_name(enum smpp_link_state st);

/* Requests queued plus unanswered. */
size_t smpp_link_pending(const struct smpp_link *l);

const struct smpp_link_stats *smpp_link_stats(const struct smpp_link *l);

#endif /* USSD_SMPP_LINK_H */
