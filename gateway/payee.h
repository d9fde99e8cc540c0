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
 * server's table; their handlers' arg is the struct gw (gw->payee). With
 * no switch configured they answer 503 with errorCode 2003. */
#define PAYEE_ROUTES 3
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
};
const struct payee_stats *payee_stats(const struct payee *p);

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
