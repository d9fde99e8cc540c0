/* qr_emv.h -- EMVCo Merchant-Presented Mode payload codec: parse, validate,
 * encode and CRC. Pure code: no I/O, no allocation, no global state.
 *
 * Rules: docs/qr.md. Lengths in the TLV count characters (UTF-8 code
 * points), CRC-16/CCITT-FALSE covers every byte up to and including the
 * "6304" of the CRC object.
 */
#ifndef QR_EMV_H
#define QR_EMV_H

#include <stddef.h>
#include <stdint.h>

#define QR_EMV_MAX_LEN 4096   /* longest payload accepted, in bytes */
#define QR_EMV_MAX_OBJS 1024  /* data objects at all levels */
#define QR_EMV_MSG_MAX 192    /* one diagnostic, NUL included */
#define QR_EMV_MAX_WARN 16    /* warnings kept; more are counted only */

/* Parse flags. */
#define QR_EMV_STRICT 0x1     /* enforce every EMVCo rule; no deviations */

/* One diagnostic. offset is a character (code point) offset into the
 * payload, 0-based; msg has no "error:" prefix and no offset, e.g.
 * `54 (amount) "1,00" is not a decimal amount`. */
struct qr_emv_note {
	int offset;
	char msg[QR_EMV_MSG_MAX];
};

/* Diagnostics of one parse. err is set when the parse fails (msg is ""
 * on success). Warnings are, in the default mode, the deviations it
 * tolerated (each one an error in strict mode) and, in both modes, the
 * EMVCo SHOULD rules: amount decimals other than the ISO 4217 exponent,
 * a payload over 512 characters, RFU root IDs 65-79. So in strict mode
 * nwarn is 0 unless one of those SHOULD rules is broken. nwarn counts all
 * warnings, including those beyond QR_EMV_MAX_WARN that were not kept. */
struct qr_emv_diag {
	struct qr_emv_note err;
	int nwarn;
	struct qr_emv_note warn[QR_EMV_MAX_WARN];
};

/* One data object. Values are not copied: val_off/val_len index the
 * payload the parse borrowed. */
struct qr_emv_obj {
	uint32_t off;        /* byte offset of the 2-digit ID */
	uint32_t coff;       /* character offset of the ID */
	uint32_t val_off;    /* byte offset of the value */
	uint16_t val_len;    /* value length in bytes */
	uint8_t id;          /* 0..99 */
	uint8_t nchars;      /* declared length, in characters */
	int16_t parent;      /* index of the enclosing template, -1 at root */
	uint16_t nsub;       /* number of direct sub-objects (templates) */
	uint8_t is_tmpl;     /* value was parsed into sub-objects */
	uint8_t depth;       /* 0 root, 1 in a template, 2 nested (62.50-99) */
};

/* A parsed payload. Objects are in payload order, depth first: a
 * template is followed by its sub-objects. Borrows the payload passed to
 * qr_emv_parse(); it must outlive this struct. Large (about 24 KiB):
 * allocate it once and reuse it. */
struct qr_emv {
	const char *s;       /* borrowed payload */
	size_t len;          /* its length in bytes */
	int nobj;
	struct qr_emv_obj obj[QR_EMV_MAX_OBJS];
};

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0)
 * of len bytes. "123456789" gives 0x29B1. */
uint16_t qr_emv_crc(const void *buf, size_t len);

/* Parses and validates the payload s of len bytes (not NUL terminated;
 * no trailing newline). flags: 0 for the default (tolerant) mode or
 * QR_EMV_STRICT. On success fills p and returns len (bytes consumed;
 * any byte after the CRC is an error). Returns -2 if the payload is a
 * truncated one (it ends inside an object, or before the CRC object is
 * complete: every strict prefix of a valid payload, "" included), -1 on
 * any other error; either way d->err says which rule, object and
 * character offset. Rules that need the whole payload are only checked
 * once the CRC object is read, so a truncated payload is -2 even when
 * what it holds so far breaks one. d may be NULL. Both p and d are
 * written on every call; p->obj is not cleared, only p->nobj is set. On
 * failure p->nobj counts the objects read before the error (well-formed
 * TLVs, not validated), for diagnostics. No allocation; rules and
 * messages: docs/qr.md. */
int qr_emv_parse(struct qr_emv *p, const char *s, size_t len, unsigned flags,
		 struct qr_emv_diag *d);

/* Index of the object with the given id directly under parent (-1 for
 * the root), or -1 if absent. */
int qr_emv_find(const struct qr_emv *p, int parent, unsigned id);

/* Value of object i: returns a pointer into the borrowed payload and
 * stores its byte length in *len. Not NUL terminated. */
const char *qr_emv_val(const struct qr_emv *p, int i, size_t *len);

/* Copies the value of object i into buf as a NUL-terminated string.
 * Returns its length, or -1 if it does not fit in size bytes. */
int qr_emv_copy(const struct qr_emv *p, int i, char *buf, size_t size);

/* Short field name of an ID: parent_id is -1 for root objects, or the ID
 * of the enclosing template (for a nested template under 62, pass
 * 6200 + its ID, e.g. 6250). "amount", "merchant name", "GUI",
 * "bill number"... Never NULL: unknown IDs give "unreserved",
 * "network-specific", "RFU" etc. Static storage. */
const char *qr_emv_name(int parent_id, unsigned id);

/* ---- Encoding ---- */

/* An encoder writes objects into a fixed buffer. Objects are emitted in
 * call order; the caller emits 00 first. Templates nest through
 * qr_emv_enc_open()/qr_emv_enc_close() (up to 3 levels). Any error is
 * sticky: later calls do nothing and qr_emv_enc_finish() reports the
 * first error, naming the ID (and sub-ID). No allocation, nothing to
 * free. About 29 KiB (it holds the object table): fine on the stack of
 * the main thread, or allocate it. buf, len, depth, failed and err may
 * be read; the rest is the encoder's bookkeeping. */
struct qr_emv_enc {
	char buf[QR_EMV_MAX_LEN + 1];
	size_t len;            /* bytes written so far */
	int depth;             /* open templates; -1 once finished */
	int failed;
	struct qr_emv_note err;
	/* Bookkeeping: the object table, kept as the objects are written so
	 * that qr_emv_enc_finish() does not scan the payload again. */
	uint32_t nch;          /* characters written so far */
	int rec;               /* state of tab (qr_emv.c) */
	size_t open_at[3];     /* byte offset of each open template's length */
	unsigned open_id[3];   /* its ID */
	uint32_t open_nch[3];  /* characters written inside it so far */
	int open_ix[3];        /* its index in tab */
	/* Per level (0 the root, 1-3 inside the open templates), bit i of
	 * word i / 64 for ID i: */
	uint64_t seen[4][2];   /* IDs written at that level */
	uint64_t slow[4][2];   /* IDs qr_emv_enc_put() checks one by one */
	int16_t root[100];     /* index in tab of each root ID, -1 if absent */
	int serr;              /* first structure error the parser would find */
	int serr_parent;       /* its template's index in tab, -1 at the root */
	unsigned serr_id, serr_nch;
	uint32_t serr_coff;
	/* The objects written, as qr_emv_parse() records them. After a
	 * successful qr_emv_enc_finish(), the strict parse of the payload
	 * (borrows buf): read only. Otherwise unspecified. */
	struct qr_emv tab;
};

void qr_emv_enc_init(struct qr_emv_enc *e);

/* Appends a primitive object: id 0..99, value of vlen bytes (UTF-8;
 * length written in characters, 1..99). Returns 0 or -1 (sticky). */
int qr_emv_enc_put(struct qr_emv_enc *e, unsigned id, const char *val,
		   size_t vlen);

/* Opens a template object with the given id; its sub-objects follow
 * through qr_emv_enc_put()/qr_emv_enc_open(). Returns 0 or -1. */
int qr_emv_enc_open(struct qr_emv_enc *e, unsigned id);

/* Closes the innermost open template, writing its length. An empty
 * template or one over 99 characters is an error. Returns 0 or -1. */
int qr_emv_enc_close(struct qr_emv_enc *e);

/* Appends "6304" and the CRC in upper-case hex, then applies every rule
 * of a strict parse to the result: unless an earlier call failed, this
 * fails exactly when qr_emv_parse(..., QR_EMV_STRICT) of the payload
 * would, with the same message, offset and warnings. The encoder never
 * returns a payload that strict parsing rejects. The rules run on the
 * object table kept while writing; a payload whose calls disagree with
 * the parser about which objects are templates (a template's value put
 * as raw TLV, a template opened where EMVCo has a primitive) is parsed
 * again in full instead. On success returns the payload length, points
 * *out at the NUL-terminated payload inside e (valid while e lives) and
 * leaves its parse in e->tab; d gets the strict parse's warnings (SHOULD
 * rules only). On failure returns -1, *out = NULL, with d->err set (when
 * d is not NULL) and kept in e->err. After it, e accepts no more objects
 * until qr_emv_enc_init(). */
int qr_emv_enc_finish(struct qr_emv_enc *e, const char **out,
		      struct qr_emv_diag *d);

/* ---- Tillgate's merchant profile and payment targets ---- */

/* Where Tillgate puts its merchant account: template account_tag
 * (26..51) with sub-00 = gui. */
struct qr_emv_profile {
	unsigned account_tag;  /* default 26 */
	const char *gui;       /* borrowed; default QR_EMV_DEFAULT_GUI */
};

#define QR_EMV_DEFAULT_TAG 26
#define QR_EMV_DEFAULT_GUI "org.tillgate"

/* What a payer needs to pay a parsed code. Strings are NUL-terminated
 * copies (empty when absent). */
struct qr_emv_target {
	char scheme[24];       /* "tillgate", "mojaloop-registry", "pix", "promptpay", ... */
	char party_type[33];   /* FSPIOP party id type: ALIAS, BUSINESS, MSISDN, ... */
	char party_id[129];
	char party_sub_id[129];
	char fsp_id[33];
	char name[101];        /* 59, or 64.01 if 59 is absent */
	char city[61];
	char country[3];
	char mcc[6];
	char currency[4];      /* ISO 4217 numeric as in 53 ("834"), or alpha from registry codes */
	char amount[14];       /* 54 as written; empty for a static code */
	int dynamic;           /* 01 == "12" */
	char bill[26];         /* 62.01 */
	char reference[26];    /* 62.05 */
	char terminal[26];     /* 62.07 */
};

/* Extracts the payment target of a parsed payload: Tillgate's template
 * (prof->account_tag with prof->gui, compared case-insensitively; prof
 * may be NULL for the defaults), the Mojaloop merchant registry's tag-28
 * layout (01 = ALIAS, 02 = alias), or a known national scheme (Pix,
 * PromptPay, PayNow), tried in that order. Returns 0 with err "", or
 * -ENOENT if no merchant account template is one Tillgate can pay, with
 * a reason in err (errlen bytes, may be 0; err may be NULL). The
 * merchant fields (name ... terminal) are filled either way; the party
 * fields and scheme only on success. p must come from a successful
 * qr_emv_parse(). */
int qr_emv_target(const struct qr_emv *p, const struct qr_emv_profile *prof,
		  struct qr_emv_target *t, char *err, size_t errlen);

/* Fields for the common case: one static or dynamic Tillgate merchant
 * code. NULL or "" means absent. */
struct qr_emv_merchant {
	const char *name;         /* 59, mandatory */
	const char *city;         /* 60, mandatory */
	const char *mcc;          /* 52, mandatory, 4 digits */
	const char *currency;     /* 53, mandatory: numeric ("834") or alpha ("TZS") */
	const char *country;      /* 58, mandatory */
	const char *amount;       /* 54: present makes the code dynamic (01 = 12) */
	const char *party_type;   /* template .01, mandatory */
	const char *party_id;     /* template .02, mandatory */
	const char *party_sub_id; /* template .03 */
	const char *fsp_id;       /* template .04 */
	const char *bill;         /* 62.01 */
	const char *reference;    /* 62.05 */
	const char *terminal;     /* 62.07 */
};

/* Encodes m under profile prof (NULL for the defaults) into e, finished
 * and checked as qr_emv_enc_finish() does. Returns the payload length
 * with *out set, or -1 with d->err naming the field. */
int qr_emv_encode_merchant(struct qr_emv_enc *e, const struct qr_emv_merchant *m,
			   const struct qr_emv_profile *prof, const char **out,
			   struct qr_emv_diag *d);

/* ISO 4217: numeric code for an alpha one ("TZS" -> "834") and back, and
 * the number of minor-unit digits. Return NULL / -1 when unknown. */
const char *qr_emv_ccy_num(const char *alpha);
const char *qr_emv_ccy_alpha(const char *num);
int qr_emv_ccy_exponent(const char *num);

#endif /* QR_EMV_H */
