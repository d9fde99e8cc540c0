/* payee.h -- the payee side of FSPIOP v1.1: the hosted DFSPs answer the
 * switch for their merchants. docs/switch.md "Payee side".
 *
 * Incoming GET /parties/{Type}/{ID} (Type = [switch] merchant_party_type
 * with a till number as ID, or BUSINESS with a merchant id) is checked
 * (headers; FSPIOP-Destination, when present, one of our DFSPs),
 * answered 202 at once, and the party goes back to the requester as
 * PUT /parties/{Type}/{ID} through the connector's switch_callback_put()
 * (never blocking the loop): fspId = the merchant's DFSP, name = its
 * trading name, merchantClassificationCode = its MCC. An unknown till or
 * merchant, or one that is not APPROVED/ACTIVE (suspended, closed, not
 * yet approved), or one of a DFSP that is not ACTIVE, gets
 * PUT /parties/{Type}/{ID}/error with 3204 (party not found), so that
 * nothing about a merchant that cannot be paid leaks.
 *
 * The ILP v1 helpers (the payee makes packet, condition and fulfilment,
 * spec section 6.7 / docs/switch.md) are pure functions for the quote
 * and transfer handlers and their tests.
 *
 * Threads: one, the event loop's (as struct db).
 */
#ifndef GW_PAYEE_H
#define GW_PAYEE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/http.h"

struct db;
struct gw;
struct payee; /* opaque */

/* Makes the payee side on gw (borrowed; gw->db and, when set, gw->sw
 * must outlive it) and prepares its statements. Returns 0 with *out
 * owned by the caller (payee_free()), or a negative errno with a message
 * in err. */
int payee_new(struct payee **out, struct gw *gw, char *err, size_t errlen);

/* Frees; accepts NULL. Callbacks already handed to the connector are
 * still sent (the connector owns them). */
void payee_free(struct payee *p);

/* Incoming requests the switch sends to the payee DFSP, for the
 * server's table (GET /parties, POST /quotes, POST /transfers, and
 * PATCH /transfers/{ID}, the switch's commit notification, which has no
 * callback: 200, or 404 with 3208 for a transfer unknown at the
 * destination, 400 with 3100 for one that is not RESERVED); their handlers' arg is the struct gw (gw->payee). With
 * no switch configured they answer 503 with errorCode 2003. */
#define PAYEE_ROUTES 4
extern const struct http_route payee_routes[PAYEE_ROUTES];

/* Counters, for tests and /metrics. */
struct payee_stats {
	uint64_t lookups;      /* GET /parties accepted (202) */
	uint64_t found;        /* answered with a party */
	uint64_t not_found;    /* answered 3204 */
	uint64_t rejected;     /* refused at once (4xx/5xx) */
	uint64_t send_failed;  /* callbacks the connector could not send */
	uint64_t quotes;       /* new quotes answered (a quote or an error) */
	uint64_t quotes_refused; /* of those, answered with an error */
	uint64_t quote_duplicates; /* resent quotes (same answer, or 3106) */
	uint64_t transfers;    /* new transfers answered (COMMITTED or an error) */
	uint64_t transfers_refused; /* of those, answered with an error */
	uint64_t transfer_duplicates; /* resent transfers (same answer, or 3106) */
	uint64_t transfers_reserved; /* of the new ones, answered RESERVED */
	uint64_t transfers_committed; /* reserved ones a PATCH committed */
	uint64_t transfers_aborted;  /* reserved ones a PATCH aborted */
};
const struct payee_stats *payee_stats(const struct payee *p);

/* ---- payee terms ---- */

/* A hosted DFSP's terms as payee (table payee_dfsp): the fee it charges,
 * fee_flat + fee_bp basis points (1/100 of a percent, 0..10000) of the
 * quote's amount, rounded down, then at least fee_min and, when fee_max
 * is not 0, at most fee_max (minor units); and commit_notification: its
 * transfers are answered RESERVED and become COMMITTED (the payment
 * recorded, the merchant's SMS) or ABORTED only by the switch's
 * PATCH /transfers/{ID}. All zero by default. */
struct payee_terms {
	int64_t fee_flat, fee_bp, fee_min, fee_max;
	int commit_notification;
};

/* The fee on amount (minor units, >= 0) under t; -1 when it overflows. */
int64_t payee_fee(const struct payee_terms *t, int64_t amount);

/* The terms of dfsp on db (borrowed): *t gets them (all zero when none
 * were set). Returns 0, -ENOENT (no such DFSP), or a db code. */
int payee_terms_get(struct db *db, const char *dfsp, struct payee_terms *t);

/* Sets the terms of dfsp (its ILP secret made when it has none yet).
 * Returns 0, -EINVAL (a value out of range: negative, fee_bp over 10000,
 * fee_max under fee_min), -ENOENT (no such DFSP), or a db code. */
int payee_terms_set(struct db *db, const char *dfsp, const struct payee_terms *t);

/* ---- ILP v1 (pure) ---- */

/* The ILP v1 InterledgerProtocolPaymentMessage in OER (type 1, then one
 * length-prefixed envelope of: amount UInt64 big-endian, account as a
 * variable-length string, data as a variable-length octet string, an
 * empty extension list), as base64url without padding. amount is in
 * minor units (>= 0); account an ILP address ("g.tz.acqbank.alias.123":
 * 1-1023 characters of [A-Za-z0-9._~-]); data (dlen bytes, may be 0)
 * the transaction. Returns an owned string (free()), or NULL with
 * errno EINVAL (a bad account or amount) or ENOMEM. */
char *payee_ilp_packet(int64_t amount, const char *account, const unsigned char *data,
		       size_t dlen);

/* Decodes a packet made as above (the payer passes it back unchanged in
 * POST /transfers): *amount, account (acc_n bytes, NUL-terminated) and
 * the data length. Returns 0, or -1 with the byte position of the first
 * problem in err ("ilpPacket: ... (position N)"). */
int payee_ilp_decode(const char *packet, int64_t *amount, char *account, size_t acc_n,
		     size_t *dlen, char *err, size_t n);

/* fulfilment = HMAC-SHA256(secret, the ASCII text of packet), condition
 * = SHA-256(fulfilment), both base64url without padding (43 characters
 * and a NUL). The secret (slen bytes, >= 16) is the DFSP's and is never
 * logged. Returns 0, or -EINVAL for a short secret or an empty packet. */
int payee_ilp_fulfil(const unsigned char *secret, size_t slen, const char *packet,
		     char fulfilment[44], char condition[44]);

#endif /* GW_PAYEE_H */
