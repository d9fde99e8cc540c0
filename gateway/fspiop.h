/* fspiop.h -- the FSPIOP v1.1 message layer, without sockets: request
 * headers and bodies of the payer side (GET /parties, POST /quotes,
 * POST /transfers, GET /transfers/{id}), strict parsers of the callback
 * bodies the switch sends back (PUT /parties, /quotes, /transfers and
 * their /error forms), amounts as integer minor units, the ILP
 * condition/fulfilment check, the FSPIOP-Signature (detached JWS, RS256)
 * and the error-code table (docs/switch.md).
 *
 * Pure functions, no global state; the signer is the only object.
 * Parsers return 0, or -1 with a message in err naming the field as a
 * JSON path ("$.party.partyIdInfo.fspId") and the 0-based byte position
 * of its value (or of the syntax error) in the body.
 */
#ifndef GW_FSPIOP_H
#define GW_FSPIOP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

/* The resources of the API, as they appear in paths and media types. */
enum fspiop_res {
	FSPIOP_PARTIES,
	FSPIOP_QUOTES,
	FSPIOP_TRANSFERS,
	FSPIOP_PARTICIPANTS,
	FSPIOP_TXREQUESTS,
};

/* "parties", "quotes", "transfers", "participants", "transactionRequests". */
const char *fspiop_res_name(enum fspiop_res res);

/* Content-Type of a request (also sent on GET):
 * "application/vnd.interoperability.RES+json;version=1.1". Returns 0, or
 * -ENOSPC. */
int fspiop_content_type(enum fspiop_res res, char *buf, size_t n);

/* Accept of a request: "...RES+json;version=1" (the major version). */
int fspiop_accept(enum fspiop_res res, char *buf, size_t n);

/* Checks a callback's Content-Type: exactly one media type
 * "application/vnd.interoperability.RES+json;version=1[.N]", no space
 * after ';'. Returns 0, -1 for a malformed value, or -2 for a version
 * other than 1.x (the API's 406); err says which and where. */
int fspiop_check_content_type(const char *v, enum fspiop_res res, char *err, size_t n);

/* Date header (RFC 7231 IMF-fixdate, "Tue, 15 Nov 1994 08:12:31 GMT")
 * of t, in the C locale whatever the process locale. Returns 0 or
 * -ENOSPC (n >= 30 is enough). */
int fspiop_date(time_t t, char *buf, size_t n);

/* Parses an IMF-fixdate into *t (UTC). Returns 0, or -1 with the
 * position of the first bad character in err. */
int fspiop_date_parse(const char *s, time_t *t, char *err, size_t n);

/* DateTime of the API ("2026-01-01T10:00:20.000Z") of ms milliseconds
 * since the epoch. Returns 0 or -ENOSPC (n >= 25 is enough). */
int fspiop_datetime(int64_t ms, char *buf, size_t n);

/* ---- identifiers ---- */

/* A new random (version 4) lowercase UUID, 36 characters and a NUL.
 * Returns 0, or -EIO if the random source failed. */
int fspiop_uuid_new(char out[37]);

/* Whether s is a lowercase UUID as the API's schema wants (1). */
int fspiop_uuid_ok(const char *s);

/* Whether s is a PartyIdType name (MSISDN, ..., ALIAS) (1). */
int fspiop_party_type_ok(const char *s);

/* Whether s is a PartyIdentifier: 1-128 printable characters, no '/'
 * nor '?' (1). */
int fspiop_party_id_ok(const char *s);

/* Whether s is an FspId: 1-32 printable characters (1). */
int fspiop_fsp_id_ok(const char *s);

/* ---- amounts ---- */

/* Minor-unit exponent of an ISO 4217 alphabetic code (TZS 2, UGX 0,
 * KWD 3, ...; 2 for codes the table does not list), or -1 when ccy is
 * not three capital letters. */
int fspiop_currency_exponent(const char *ccy);

/* Parses an Amount string (the API's pattern: no sign, no leading zero,
 * no trailing fractional zero, at most 4 decimals) for a currency of
 * exponent exp, into *minor (e.g. "5.5" TZS -> 550). More decimals than
 * exp, or a value past INT64_MAX minor units, is refused. Returns 0, or
 * -1 with the position in err. No floating point anywhere. */
int fspiop_amount_parse(const char *s, int exp, int64_t *minor, char *err, size_t n);

/* Formats minor units (>= 0) as the API's Amount for exponent exp
 * ("550" TZS -> "5.5"). Returns 0, -EINVAL (negative) or -ENOSPC. */
int fspiop_amount_format(int64_t minor, int exp, char *buf, size_t n);

/* ---- ILP ---- */

/* Whether s is 43 base64url characters without padding that decode to
 * 32 bytes (a condition or a fulfilment) (1). */
int fspiop_b64url32_ok(const char *s);

/* Checks base64url(SHA-256(base64url_decode(fulfilment))) == condition.
 * Returns 1 when it holds, 0 when it does not, -1 when either is not 43
 * base64url characters. */
int fspiop_fulfilment_ok(const char *fulfilment, const char *condition);

/* ---- requests ---- */

struct fspiop_party_id {
	const char *type;   /* PartyIdType, e.g. "ALIAS" */
	const char *id;     /* PartyIdentifier */
	const char *fsp_id; /* FspId, may be NULL (then omitted) */
};

/* POST /quotes (payer view). Strings are borrowed. */
struct fspiop_quote_req {
	const char *quote_id;       /* lowercase UUIDs */
	const char *transaction_id;
	struct fspiop_party_id payee;
	struct fspiop_party_id payer;
	const char *amount_type;    /* "SEND" or "RECEIVE" */
	const char *currency;
	int64_t amount;             /* minor units, > 0 */
	const char *scenario;       /* "PAYMENT", "TRANSFER", ... */
	const char *initiator;      /* "PAYER" */
	const char *initiator_type; /* "CONSUMER" */
	int64_t expiration_ms;      /* epoch ms; 0 omits "expiration" */
	const char *note;           /* NULL or at most 128 characters */
};

/* POST /transfers. Strings are borrowed. */
struct fspiop_transfer_req {
	const char *transfer_id;
	const char *payer_fsp;
	const char *payee_fsp;
	const char *currency;
	int64_t amount;          /* minor units: the quote's transferAmount */
	const char *ilp_packet;  /* from the quote callback, unchanged */
	const char *condition;   /* from the quote callback, unchanged */
	int64_t expiration_ms;   /* epoch ms, mandatory */
};

/* Builds the body of POST /quotes. Returns a new reference, or NULL with
 * the offending field named in err (ids, party, amount, currency). */
json_t *fspiop_quote_body(const struct fspiop_quote_req *q, char *err, size_t n);

/* Builds the body of POST /transfers; same contract. */
json_t *fspiop_transfer_body(const struct fspiop_transfer_req *t, char *err, size_t n);

/* ---- callbacks ---- */

struct fspiop_party {
	char type[16];
	char id[129];
	char sub_id[129];  /* "" when absent */
	char fsp_id[33];
	char name[129];    /* "" when absent */
	char mcc[5];       /* merchantClassificationCode, "" when absent */
};

struct fspiop_money {
	char currency[4];
	int64_t amount;    /* minor units */
};

struct fspiop_quote {
	struct fspiop_money transfer_amount;
	struct fspiop_money payee_receive_amount; /* amount -1 when absent */
	struct fspiop_money payee_fee;            /* amount -1 when absent */
	struct fspiop_money payee_commission;     /* amount -1 when absent */
	char expiration[32];
	char condition[44];
	char *ilp_packet; /* owned: free with fspiop_quote_clear() */
};

enum fspiop_xstate {
	FSPIOP_RECEIVED,
	FSPIOP_RESERVED,
	FSPIOP_COMMITTED,
	FSPIOP_ABORTED,
};

struct fspiop_transfer {
	enum fspiop_xstate state;
	char fulfilment[44];        /* "" when absent */
	char completed[32];         /* completedTimestamp, "" when absent */
};

struct fspiop_error {
	int code;                   /* 1000..9999 */
	char description[129];
};

/* Parsers of callback bodies (len bytes, need not be NUL-terminated).
 * Each checks every field it reads against the v1.1 schema (types,
 * patterns, lengths); unknown properties are accepted, as v1.1 does. */
int fspiop_parse_party(const char *body, size_t len, struct fspiop_party *p, char *err, size_t n);
int fspiop_parse_quote(const char *body, size_t len, struct fspiop_quote *q, char *err, size_t n);
int fspiop_parse_transfer(const char *body, size_t len, struct fspiop_transfer *t, char *err,
			  size_t n);
int fspiop_parse_error(const char *body, size_t len, struct fspiop_error *e, char *err, size_t n);
/* The body of PUT /participants/{Type}/{ID} (ParticipantsTypeIDPutResponse):
 * an object whose optional fspId (1-32 characters) goes to fsp_id, ""
 * when absent. Returns 0 or -1 with err as the parsers above. */
int fspiop_parse_participant(const char *body, size_t len, char fsp_id[33], char *err, size_t n);

/* Frees what a parsed quote owns; accepts a zeroed or cleared one. */
void fspiop_quote_clear(struct fspiop_quote *q);

/* The body of an error answer: {"errorInformation":{"errorCode":"NNNN",
 * "errorDescription":desc}} (desc cut to 128 bytes). New reference or
 * NULL when out of memory. */
json_t *fspiop_error_body(int code, const char *desc);

/* ---- incoming requests (payee side, gateway/payee.h) ---- */

/* POST /quotes as the payee DFSP receives it. */
struct fspiop_quote_in {
	char quote_id[37];
	char transaction_id[37];
	struct fspiop_party payee;  /* partyIdInfo only: name and mcc "" */
	struct fspiop_party payer;
	char amount_type[8];        /* "SEND" or "RECEIVE" */
	struct fspiop_money amount; /* > 0 */
	char scenario[16];          /* DEPOSIT, WITHDRAWAL, TRANSFER, PAYMENT, REFUND */
	char initiator[8];          /* PAYER, PAYEE */
	char initiator_type[12];    /* CONSUMER, AGENT, BUSINESS, DEVICE */
	char expiration[32];        /* "" when absent */
	char note[129];             /* "" when absent */
	char transaction_request_id[37]; /* "" when absent: the request to pay it answers */
};

/* Parses a POST /quotes body with the same contract as the callback
 * parsers: every field read is checked against the v1.1 schema, unknown
 * properties are accepted; -1 names the field as a JSON path and its
 * position. */
int fspiop_parse_quote_req(const char *body, size_t len, struct fspiop_quote_in *q, char *err,
			   size_t n);

/* POST /transfers as the payee DFSP receives it. */
struct fspiop_transfer_in {
	char transfer_id[37];
	char payer_fsp[33];
	char payee_fsp[33];
	struct fspiop_money amount; /* > 0 */
	char *ilp_packet;           /* owned: fspiop_transfer_in_clear() */
	char condition[44];
	char expiration[32];
};

/* Parses a POST /transfers body; contract as fspiop_parse_quote_req().
 * On success t->ilp_packet is owned by t. */
int fspiop_parse_transfer_req(const char *body, size_t len, struct fspiop_transfer_in *t,
			      char *err, size_t n);
void fspiop_transfer_in_clear(struct fspiop_transfer_in *t);

/* Parses an API DateTime (as the parsers accept it) into epoch ms.
 * Returns 0 or -1. */
int fspiop_datetime_parse(const char *s, int64_t *ms);

/* ---- transaction requests (request to pay, payee side) ---- */

/* POST /transactionRequests, sent by the payee's DFSP to the payer's.
 * Strings are borrowed. */
struct fspiop_txreq_req {
	const char *transaction_request_id; /* lowercase UUID */
	struct fspiop_party_id payee;       /* the merchant (a Party: partyIdInfo, name, MCC) */
	const char *payee_name;             /* NULL or at most 128 characters */
	const char *payee_mcc;              /* NULL or 4 digits */
	struct fspiop_party_id payer;       /* a PartyIdInfo: MSISDN and the payer's FSP */
	const char *currency;
	int64_t amount;                     /* minor units, > 0 */
	const char *scenario;               /* "PAYMENT" */
	const char *initiator;              /* "PAYEE" */
	const char *initiator_type;         /* "BUSINESS" */
	int64_t expiration_ms;              /* epoch ms; 0 omits "expiration" */
	const char *note;                   /* NULL or at most 128 characters */
};

/* Builds the body of POST /transactionRequests. Returns a new reference,
 * or NULL with the offending field named in err. */
json_t *fspiop_txreq_body(const struct fspiop_txreq_req *t, char *err, size_t n);

enum fspiop_txr_state {
	FSPIOP_TXR_RECEIVED,
	FSPIOP_TXR_PENDING,
	FSPIOP_TXR_ACCEPTED,
	FSPIOP_TXR_REJECTED,
};

/* PUT /transactionRequests/{ID}, the payer DFSP's answer. */
struct fspiop_txreq_cb {
	enum fspiop_txr_state state;
	char transaction_id[37];    /* "" when absent */
};

/* Parses a PUT /transactionRequests/{ID} body with the contract of the
 * other callback parsers: transactionRequestState required (RECEIVED,
 * PENDING, ACCEPTED, REJECTED), transactionId optional (a lowercase
 * UUID); -1 names the field as a JSON path and its position. */
int fspiop_parse_txreq(const char *body, size_t len, struct fspiop_txreq_cb *t, char *err,
		       size_t n);

/* ---- error codes ---- */

/* What an error code means for a payment. */
enum fspiop_action {
	FSPIOP_ACT_RETRY,    /* communication or server trouble: try again (a
			      * transfer: GET it first, never a new one) */
	FSPIOP_ACT_REQUOTE,  /* expired: start again with new ids */
	FSPIOP_ACT_FAIL,     /* final: the payment cannot go through */
	FSPIOP_ACT_BUG,      /* our request was wrong: fix, never retry as is */
};

struct fspiop_errinfo {
	int code;             /* the code of the entry (xx00 for a fallback) */
	const char *name;     /* the spec's short name */
	enum fspiop_action action;
	const char *customer; /* one English sentence a customer understands */
};

/* The entry of code; an unknown code gets its category's xx00 entry,
 * and a code outside 1000-5999 the generic "unknown error" entry (code
 * 0). Never NULL; the result is static. */
const struct fspiop_errinfo *fspiop_error_info(int code);

/* ---- FSPIOP-Signature ---- */

struct fspiop_signer; /* opaque: an RSA private key */

/* Loads a PEM private key (RSA, 2048 bits or more). Returns 0 with *out
 * owned by the caller (fspiop_signer_free()), or a negative errno with a
 * message in err. */
int fspiop_signer_load(struct fspiop_signer **out, const char *pem_path, char *err, size_t n);
void fspiop_signer_free(struct fspiop_signer *s);

/* The FSPIOP-Signature header value of one request: the JSON
 * {"signature":S,"protectedHeader":P} where P is base64url of the
 * protected header {"alg":"RS256","FSPIOP-URI":uri,
 * "FSPIOP-HTTP-Method":method,"FSPIOP-Source":src,
 * ["FSPIOP-Destination":dst,]"Date":date} and S the base64url RS256
 * signature over P "." base64url(body). dst may be NULL. Returns an
 * owned string (free()) or NULL with a message in err. */
char *fspiop_sign(const struct fspiop_signer *s, const char *uri, const char *method,
		  const char *src, const char *dst, const char *date, const char *body,
		  size_t len, char *err, size_t n);

/* base64url without padding of len bytes into out (4*len/3+3 bytes).
 * Returns the length written. */
size_t fspiop_b64url(const unsigned char *in, size_t len, char *out);

#endif /* GW_FSPIOP_H */
