/* smpp_pdu.c -- SMPP 3.4 framing, bounds checks, libsmpp34 wrapper and
 * redacting traces (see smpp_pdu.h).
 *
 * Every incoming body is first walked by hand with explicit bounds
 * (walk_sm(), walk_resp()); only a PDU that passed is copied into a
 * zero-padded buffer and handed to libsmpp34, which reads C-strings with
 * strlen() and rejects values outside its tables. */
#include "ussd/smpp_pdu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* libsmpp34's headers are not self-contained: stdint first, then in
 * this order. */
#include <stdint.h>
#include <libsmpp34/smpp34.h>
#include <libsmpp34/smpp34_structs.h>
#include <libsmpp34/smpp34_params.h>
#include <libsmpp34/smpp34_heap.h>
#include <stddef.h>
#include <stdlib.h>

/* Bytes of zeros after a PDU copied for libsmpp34, so that a C-string
 * read with strlen() stops inside the buffer. */
#define PAD 8

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int smpp_pdu_frame(const uint8_t *buf, size_t n, size_t max, struct smpp_hdr *h, char *err,
		   size_t errlen)
{
	if (n < SMPP_HDR_LEN)
		return -2;
	h->len = rd32(buf);
	h->id = rd32(buf + 4);
	h->status = rd32(buf + 8);
	h->seq = rd32(buf + 12);
	if (h->len < SMPP_HDR_LEN || h->len > max) {
		seterr(err, errlen, "command_length %u at offset 0 is outside %u..%zu", h->len,
		       SMPP_HDR_LEN, max);
		return -1;
	}
	if (n < h->len)
		return -2;
	return (int)h->len;
}

const char *smpp_pdu_name(uint32_t id)
{
	switch (id) {
	case SMPP_GENERIC_NACK: return "generic_nack";
	case SMPP_BIND_TRANSCEIVER: return "bind_transceiver";
	case SMPP_BIND_TRANSCEIVER_RESP: return "bind_transceiver_resp";
	case SMPP_SUBMIT_SM: return "submit_sm";
	case SMPP_SUBMIT_SM_RESP: return "submit_sm_resp";
	case SMPP_DELIVER_SM: return "deliver_sm";
	case SMPP_DELIVER_SM_RESP: return "deliver_sm_resp";
	case SMPP_UNBIND: return "unbind";
	case SMPP_UNBIND_RESP: return "unbind_resp";
	case SMPP_ENQUIRE_LINK: return "enquire_link";
	case SMPP_ENQUIRE_LINK_RESP: return "enquire_link_resp";
	default: return "unknown";
	}
}

/* ---- the hand-written walker ---- */

struct walk {
	const uint8_t *p; /* the whole PDU */
	size_t len;       /* its command_length */
	size_t off;       /* next byte to read */
	char *err;
	size_t errlen;
	int in_tlvs; /* the fault, if any, is in the TLV part */
};

/* A C-string of at most max bytes, NUL included, copied into out (max
 * bytes). Returns 0 or -1. */
static int w_cstr(struct walk *w, const char *field, char *out, size_t max)
{
	size_t room = w->len - w->off, lim = room < max ? room : max;
	const uint8_t *nul = memchr(w->p + w->off, 0, lim);

	if (!nul) {
		if (room < max)
			seterr(w->err, w->errlen, "%s at offset %zu: PDU ends before its NUL", field,
			       w->off);
		else
			seterr(w->err, w->errlen, "%s at offset %zu: longer than %zu bytes", field,
			       w->off, max - 1);
		return -1;
	}
	size_t n = (size_t)(nul - (w->p + w->off));
	if (out) {
		memcpy(out, w->p + w->off, n);
		out[n] = '\0';
	}
	w->off += n + 1;
	return 0;
}

static int w_u8(struct walk *w, const char *field, uint8_t *v)
{
	if (w->off >= w->len) {
		seterr(w->err, w->errlen, "%s at offset %zu: PDU ends", field, w->off);
		return -1;
	}
	*v = w->p[w->off++];
	return 0;
}

/* The TLVs from w->off to the end, keeping those Tillgate reads. */
static int w_tlvs(struct walk *w, struct smpp_in *in, int keep_payload)
{
	unsigned count = 0;

	w->in_tlvs = 1;
	while (w->off < w->len) {
		size_t at = w->off;
		if (++count > SMPP_TLV_MAX_COUNT) {
			seterr(w->err, w->errlen, "TLV at offset %zu: more than %d TLVs in one PDU", at,
			       SMPP_TLV_MAX_COUNT);
			return -1;
		}
		if (w->len - at < 4) {
			seterr(w->err, w->errlen, "TLV at offset %zu: %zu bytes left, a TLV header needs 4",
			       at, w->len - at);
			return -1;
		}
		uint16_t tag = rd16(w->p + at), n = rd16(w->p + at + 2);
		const uint8_t *v = w->p + at + 4;
		if (n > w->len - at - 4) {
			seterr(w->err, w->errlen, "TLV 0x%04x at offset %zu: length %u past the PDU's end",
			       tag, at, n);
			return -1;
		}
		if (n > SMPP_TLV_MAX) {
			seterr(w->err, w->errlen, "TLV 0x%04x at offset %zu: length %u over %u", tag, at, n,
			       SMPP_TLV_MAX);
			return -1;
		}
		int bad = 0;
		switch (tag) {
		case SMPP_TLV_USSD_SERVICE_OP:
			if (n != 1)
				bad = 1;
			else
				in->ussd_op = v[0];
			break;
		case SMPP_TLV_ITS_SESSION_INFO:
			if (n != 2)
				bad = 1;
			else
				in->has_session = 1, in->session = rd16(v);
			break;
		case SMPP_TLV_USER_MESSAGE_REFERENCE:
			if (n != 2)
				bad = 1;
			else
				in->has_umr = 1, in->umr = rd16(v);
			break;
		case SMPP_TLV_MESSAGE_STATE:
			if (n != 1)
				bad = 1;
			else
				in->message_state = v[0];
			break;
		case SMPP_TLV_RECEIPTED_MESSAGE_ID:
			if (n == 0 || n > sizeof in->receipted_id) {
				bad = 1;
			} else {
				memcpy(in->receipted_id, v, n);
				in->receipted_id[n < sizeof in->receipted_id ? n : n - 1] = '\0';
			}
			break;
		case SMPP_TLV_MESSAGE_PAYLOAD:
			if (keep_payload && in->text_len == 0) {
				memcpy(in->text, v, n);
				in->text_len = n;
			}
			break;
		default: /* unknown and vendor TLVs are skipped */
			break;
		}
		if (bad) {
			seterr(w->err, w->errlen, "TLV 0x%04x at offset %zu: length %u is not valid for it",
			       tag, at, n);
			return -1;
		}
		w->off = at + 4 + n;
	}
	return 0;
}

/* The body of a submit_sm or deliver_sm (same layout). Fills in. */
static int walk_sm(struct walk *w, struct smpp_in *in)
{
	uint8_t ton, npi, u, sm_len;

	if (w_cstr(w, "service_type", in->service_type, sizeof in->service_type) < 0 ||
	    w_u8(w, "source_addr_ton", &ton) < 0 || w_u8(w, "source_addr_npi", &npi) < 0 ||
	    w_cstr(w, "source_addr", in->source_addr, sizeof in->source_addr) < 0 ||
	    w_u8(w, "dest_addr_ton", &ton) < 0 || w_u8(w, "dest_addr_npi", &npi) < 0 ||
	    w_cstr(w, "destination_addr", in->destination_addr, sizeof in->destination_addr) < 0 ||
	    w_u8(w, "esm_class", &in->esm_class) < 0 || w_u8(w, "protocol_id", &u) < 0 ||
	    w_u8(w, "priority_flag", &u) < 0 ||
	    w_cstr(w, "schedule_delivery_time", NULL, 17) < 0 ||
	    w_cstr(w, "validity_period", NULL, 17) < 0 ||
	    w_u8(w, "registered_delivery", &u) < 0 || w_u8(w, "replace_if_present_flag", &u) < 0 ||
	    w_u8(w, "data_coding", &in->data_coding) < 0 || w_u8(w, "sm_default_msg_id", &u) < 0 ||
	    w_u8(w, "sm_length", &sm_len) < 0)
		return -1;
	if (sm_len > 254 || sm_len > w->len - w->off) {
		seterr(w->err, w->errlen, "sm_length %u at offset %zu: only %zu bytes follow", sm_len,
		       w->off - 1, w->len - w->off);
		return -1;
	}
	memcpy(in->text, w->p + w->off, sm_len);
	in->text_len = sm_len;
	w->off += sm_len;
	return w_tlvs(w, in, 1);
}

/* Copies smpp34_strerror's last non-empty line (the failing field) into
 * err: the global is rewritten by the next call. */
static void lib_err(char *err, size_t errlen, const char *what)
{
	char copy[sizeof smpp34_strerror];
	const char *line = "";

	memcpy(copy, smpp34_strerror, sizeof copy);
	copy[sizeof copy - 1] = '\0';
	for (char *s = strtok(copy, "\n"); s; s = strtok(NULL, "\n"))
		if (*s)
			line = s;
	seterr(err, errlen, "%s: libsmpp34: %.180s", what, line);
}

/* ---- libsmpp34's allocations ----
 *
 * smpp34_unpack() allocates one tlv_t per TLV, and on some error paths
 * returns without linking the one it just allocated, which then leaks
 * (found by fuzz_smpp_pdu). Its allocator is process-wide, so this file
 * installs one, once, that keeps every live block on a list; after each
 * unpack and destroy_tlv() nothing of the library's may be alive, and
 * whatever is left is freed. The list is the one piece of mutable state
 * here, as libsmpp34's own smpp34_strerror is; both are for the loop's
 * thread only. */

union lib_blk {
	struct {
		union lib_blk *prev, *next;
	} l;
	max_align_t align;
};

static union lib_blk lib_live = { .l = { &lib_live, &lib_live } };

static void lib_link(union lib_blk *b)
{
	b->l.next = lib_live.l.next;
	b->l.prev = &lib_live;
	lib_live.l.next->l.prev = b;
	lib_live.l.next = b;
}

static void lib_unlink(union lib_blk *b)
{
	b->l.prev->l.next = b->l.next;
	b->l.next->l.prev = b->l.prev;
}

static void *lib_malloc(size_t sz)
{
	union lib_blk *b = malloc(sizeof *b + sz);
	if (!b)
		return NULL;
	lib_link(b);
	return b + 1;
}

static void lib_free(void *p)
{
	if (!p)
		return;
	union lib_blk *b = (union lib_blk *)p - 1;
	lib_unlink(b);
	free(b);
}

static void *lib_realloc(void *p, size_t sz)
{
	if (!p)
		return lib_malloc(sz);
	union lib_blk *b = (union lib_blk *)p - 1;
	lib_unlink(b);
	union lib_blk *nb = realloc(b, sizeof *b + sz);
	if (!nb) {
		lib_link(b);
		return NULL;
	}
	lib_link(nb);
	return nb + 1;
}

static void lib_heap_init(void)
{
	static int done;
	static const struct smpp34_memory_functions mf = { lib_malloc, lib_realloc, lib_free };

	if (!done) {
		smpp34_set_memory_functions(&mf);
		done = 1;
	}
}

/* Frees what the library left allocated. */
static void lib_sweep(void)
{
	while (lib_live.l.next != &lib_live) {
		union lib_blk *b = lib_live.l.next;
		lib_unlink(b);
		free(b);
	}
}

/* Lets libsmpp34 unpack the PDU (checked already) from a zero-padded
 * copy into a zeroed struct, then frees its TLV list. Returns 0 or -1. */
static int lib_unpack(uint32_t id, const uint8_t *pdu, size_t len, char *err, size_t errlen)
{
	uint8_t buf[SMPP_PDU_MAX_DEFAULT + PAD];
	union {
		deliver_sm_t d;
		submit_sm_t s;
		submit_sm_resp_t sr;
		bind_transceiver_resp_t br;
	} u;
	int rc;

	if (len > SMPP_PDU_MAX_DEFAULT) {
		seterr(err, errlen, "command_length %zu at offset 0: over %u", len,
		       SMPP_PDU_MAX_DEFAULT);
		return -1;
	}
	memcpy(buf, pdu, len);
	memset(buf + len, 0, PAD);
	memset(&u, 0, sizeof u);
	lib_heap_init();
	rc = smpp34_unpack(id, &u, buf, (int)len);
	if (id == SMPP_DELIVER_SM)
		destroy_tlv(u.d.tlv);
	else if (id == SMPP_SUBMIT_SM)
		destroy_tlv(u.s.tlv);
	else if (id == SMPP_BIND_TRANSCEIVER_RESP)
		destroy_tlv(u.br.tlv); /* sc_interface_version and others */
	lib_sweep();
	if (rc != 0) {
		lib_err(err, errlen, smpp_pdu_name(id));
		return -1;
	}
	return 0;
}

int smpp_pdu_decode(const uint8_t *pdu, size_t len, struct smpp_in *in, uint32_t *answer,
		    char *err, size_t errlen)
{
	struct walk w = { pdu, len, SMPP_HDR_LEN, err, errlen, 0 };

	memset(in, 0, sizeof *in);
	in->ussd_op = -1;
	in->message_state = -1;
	*answer = SMPP_ROK;
	if (len < SMPP_HDR_LEN || rd32(pdu) != len) {
		seterr(err, errlen, "command_length at offset 0 does not match the PDU's %zu bytes", len);
		*answer = SMPP_RINVCMDLEN;
		return -1;
	}
	in->h.len = (uint32_t)len;
	in->h.id = rd32(pdu + 4);
	in->h.status = rd32(pdu + 8);
	in->h.seq = rd32(pdu + 12);
	if (in->h.seq == 0 || in->h.seq > 0x7FFFFFFFu) {
		seterr(err, errlen, "sequence_number %u at offset 12 is outside 1..0x7FFFFFFF",
		       in->h.seq);
		*answer = SMPP_RSYSERR;
		return -1;
	}
	switch (in->h.id) {
	case SMPP_ENQUIRE_LINK:
	case SMPP_ENQUIRE_LINK_RESP:
	case SMPP_UNBIND:
	case SMPP_UNBIND_RESP:
	case SMPP_GENERIC_NACK:
	case SMPP_DELIVER_SM_RESP:
		/* a body (deliver_sm_resp's empty message_id) is not needed */
		return 0;
	case SMPP_BIND_TRANSCEIVER_RESP:
	case SMPP_SUBMIT_SM_RESP: {
		char *id = in->message_id;
		/* An error response often has no body (pitfall 4): the status
		 * is all there is. */
		if (in->h.status != SMPP_ROK || len == SMPP_HDR_LEN)
			return 0;
		if (in->h.id == SMPP_BIND_TRANSCEIVER_RESP) {
			if (w_cstr(&w, "system_id", id, 16) < 0 || w_tlvs(&w, in, 0) < 0)
				goto bad;
		} else if (w_cstr(&w, "message_id", id, sizeof in->message_id) < 0) {
			goto bad;
		}
		if (lib_unpack(in->h.id, pdu, len, err, errlen) < 0)
			goto bad;
		return 0;
	}
	case SMPP_DELIVER_SM:
		if (walk_sm(&w, in) < 0)
			goto bad;
		if (lib_unpack(in->h.id, pdu, len, err, errlen) < 0) {
			*answer = SMPP_RSYSERR;
			return -1;
		}
		return 0;
	default:
		seterr(err, errlen, "command_id 0x%08x at offset 4 is not one an ESME accepts",
		       in->h.id);
		*answer = SMPP_RINVCMDID;
		return -1;
	}
bad:
	*answer = w.in_tlvs ? SMPP_RINVOPTPARSTREAM : SMPP_RINVMSGLEN;
	return -1;
}

/* ---- delivery receipts ---- */

/* The value of "key:" in the receipt text (SMPP 3.4 appendix B), up to
 * the next space, into out (cap bytes). Returns its offset, -1 if the key
 * is absent, -2 if the value is empty or too long. */
static long receipt_field(const uint8_t *t, size_t n, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);

	for (size_t i = 0; i + k <= n; i++) {
		if ((i > 0 && t[i - 1] != ' ') || memcmp(t + i, key, k) != 0)
			continue;
		size_t j = i + k, len = 0;
		while (j + len < n && t[j + len] != ' ')
			len++;
		if (len == 0 || len >= cap)
			return -2 - (long)j;
		for (size_t m = 0; m < len; m++) {
			uint8_t c = t[j + m];
			if (c < 0x21 || c > 0x7E)
				return -2 - (long)(j + m);
		}
		memcpy(out, t + j, len);
		out[len] = '\0';
		return (long)j;
	}
	return -1;
}

int smpp_pdu_receipt(const struct smpp_in *in, char id[65], char stat[8], int *final,
		     int *delivered, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int state; /* message_state TLV value */
		int final, delivered;
	} st[] = {
		{ "ENROUTE", 1, 0, 0 }, { "DELIVRD", 2, 1, 1 }, { "EXPIRED", 3, 1, 0 },
		{ "DELETED", 4, 1, 0 }, { "UNDELIV", 5, 1, 0 }, { "ACCEPTD", 6, 0, 0 },
		{ "UNKNOWN", 7, 1, 0 }, { "REJECTD", 8, 1, 0 },
	};
	long r;

	id[0] = stat[0] = '\0';
	if (in->receipted_id[0]) {
		snprintf(id, 65, "%s", in->receipted_id);
	} else if ((r = receipt_field(in->text, in->text_len, "id:", id, 65)) < 0) {
		seterr(err, errlen, r == -1 ? "receipt id: no \"id:\" in the text"
					    : "receipt id at offset %ld of the text: empty, too long or not printable",
		       -2 - r);
		return -1;
	}
	if (in->message_state >= 0) {
		for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
			if (st[i].state == in->message_state) {
				snprintf(stat, 8, "%s", st[i].name);
				*final = st[i].final, *delivered = st[i].delivered;
				return 0;
			}
		seterr(err, errlen, "message_state TLV: value %d is not an SMPP state",
		       in->message_state);
		return -1;
	}
	if ((r = receipt_field(in->text, in->text_len, "stat:", stat, 8)) < 0) {
		seterr(err, errlen, r == -1 ? "receipt stat: no \"stat:\" in the text"
					    : "receipt stat at offset %ld of the text: empty, too long or not printable",
		       -2 - r);
		return -1;
	}
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
		if (strcmp(stat, st[i].name) == 0) {
			*final = st[i].final, *delivered = st[i].delivered;
			return 0;
		}
	seterr(err, errlen, "receipt stat at offset %ld of the text: '%s' is not a state", r, stat);
	return -1;
}

/* ---- packing ---- */

int smpp_pdu_pack_header(uint8_t *buf, size_t cap, uint32_t id, uint32_t status, uint32_t seq,
			 char *err, size_t errlen)
{
	if (cap < SMPP_HDR_LEN) {
		seterr(err, errlen, "%s: buffer of %zu bytes too small", smpp_pdu_name(id), cap);
		return -1;
	}
	wr32(buf, SMPP_HDR_LEN);
	wr32(buf + 4, id);
	wr32(buf + 8, status);
	wr32(buf + 12, seq);
	return SMPP_HDR_LEN;
}

/* Copies s into a C-string field of size bytes (NUL included); longer
 * is an error, never cut (libsmpp34 would cut silently). */
static int put_str(uint8_t *dst, size_t size, const char *s, const char *field, char *err,
		   size_t errlen)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= size) {
		seterr(err, errlen, "%s: %zu bytes, at most %zu allowed", field, n, size - 1);
		return -1;
	}
	memcpy(dst, s ? s : "", n + 1);
	return 0;
}

static int lib_pack(uint32_t id, uint8_t *buf, size_t cap, void *pdu, char *err, size_t errlen)
{
	int len = 0;

	if (cap > 0x7FFFFFFF)
		cap = 0x7FFFFFFF;
	/* libsmpp34 needs bufsize > len strictly (pitfall 6): cap is given
	 * whole, and a PDU that fits exactly fails here, with a message. */
	if (smpp34_pack(id, buf, (int)cap, &len, pdu) != 0) {
		lib_err(err, errlen, smpp_pdu_name(id));
		return -1;
	}
	return len;
}

int smpp_pdu_pack_bind(uint8_t *buf, size_t cap, uint32_t seq, const char *system_id,
		       const char *password, const char *system_type, char *err, size_t errlen)
{
	bind_transceiver_t b;

	memset(&b, 0, sizeof b);
	b.command_id = SMPP_BIND_TRANSCEIVER;
	b.sequence_number = seq;
	b.interface_version = SMPP_VERSION;
	if (put_str(b.system_id, sizeof b.system_id, system_id, "system_id", err, errlen) < 0 ||
	    put_str(b.password, sizeof b.password, password, "password", err, errlen) < 0 ||
	    put_str(b.system_type, sizeof b.system_type, system_type, "system_type", err, errlen) < 0)
		return -1;
	int rc = lib_pack(SMPP_BIND_TRANSCEIVER, buf, cap, &b, err, errlen);
	memset(&b, 0, sizeof b); /* the password */
	return rc;
}

int smpp_pdu_pack_deliver_resp(uint8_t *buf, size_t cap, uint32_t seq, uint32_t status,
			       char *err, size_t errlen)
{
	deliver_sm_resp_t r;

	memset(&r, 0, sizeof r);
	r.command_id = SMPP_DELIVER_SM_RESP;
	r.command_status = status;
	r.sequence_number = seq;
	return lib_pack(SMPP_DELIVER_SM_RESP, buf, cap, &r, err, errlen);
}

/* TON/NPI of an address: digits are international E.164, letters and
 * digits alphanumeric, anything else (a service code "*384#") unknown. */
static void addr_type(const char *a, uint8_t *ton, uint8_t *npi)
{
	size_t n = strlen(a);

	if (n && strspn(a, "0123456789") == n)
		*ton = TON_International, *npi = NPI_ISDN_E163_E164;
	else if (n && strspn(a, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ") == n)
		*ton = TON_Alphanumeric, *npi = NPI_Unknown;
	else
		*ton = TON_Unknown, *npi = NPI_Unknown;
}

int smpp_pdu_pack_submit(uint8_t *buf, size_t cap, uint32_t seq, const struct smpp_submit *s,
			 char *err, size_t errlen)
{
	submit_sm_t m;
	tlv_t t[4];
	int nt = 0;

	memset(&m, 0, sizeof m);
	memset(t, 0, sizeof t);
	m.command_id = SMPP_SUBMIT_SM;
	m.sequence_number = seq;
	if (put_str(m.service_type, sizeof m.service_type, s->service_type, "service_type", err,
		    errlen) < 0 ||
	    put_str(m.source_addr, sizeof m.source_addr, s->source_addr, "source_addr", err, errlen) < 0 ||
	    put_str(m.destination_addr, sizeof m.destination_addr, s->dest_addr, "destination_addr",
		    err, errlen) < 0)
		return -1;
	addr_type((const char *)m.source_addr, &m.source_addr_ton, &m.source_addr_npi);
	addr_type((const char *)m.destination_addr, &m.dest_addr_ton, &m.dest_addr_npi);
	m.registered_delivery = s->registered_delivery;
	m.data_coding = s->data_coding;
	if (s->text_len <= 253) {
		/* pack refuses sm_length 254 (pitfall 7) */
		memcpy(m.short_message, s->text, s->text_len);
		m.sm_length = (uint8_t)s->text_len;
	} else if (s->text_len <= SMPP_TLV_MAX && s->ussd_op < 0) {
		t[nt].tag = SMPP_TLV_MESSAGE_PAYLOAD;
		t[nt].length = (uint16_t)s->text_len;
		memcpy(t[nt].value.octet, s->text, s->text_len);
		nt++;
	} else {
		seterr(err, errlen, "short_message: %zu bytes, at most %d%s", s->text_len,
		       s->ussd_op < 0 ? (int)SMPP_TLV_MAX : 253,
		       s->ussd_op < 0 ? " in message_payload" : " for USSD");
		return -1;
	}
	if (s->ussd_op >= 0) {
		if (s->ussd_op > 255) {
			seterr(err, errlen, "ussd_service_op: %d is not one octet", s->ussd_op);
			return -1;
		}
		t[nt].tag = SMPP_TLV_USSD_SERVICE_OP;
		t[nt].length = 1;
		t[nt].value.octet[0] = (uint8_t)s->ussd_op;
		nt++;
	}
	if (s->has_session) {
		t[nt].tag = SMPP_TLV_ITS_SESSION_INFO;
		t[nt].length = 2;
		t[nt].value.val16 = s->session;
		nt++;
	}
	if (s->has_umr) {
		t[nt].tag = SMPP_TLV_USER_MESSAGE_REFERENCE;
		t[nt].length = 2;
		t[nt].value.val16 = s->umr;
		nt++;
	}
	/* Stack nodes linked by hand: pack only walks the list. */
	for (int i = 0; i + 1 < nt; i++)
		t[i].next = &t[i + 1];
	m.tlv = nt ? &t[0] : NULL;
	return lib_pack(SMPP_SUBMIT_SM, buf, cap, &m, err, errlen);
}

/* ---- traces ---- */

/* Appends text (n bytes) to out as a quoted logfmt value, non-printable
 * bytes as \xNN. */
static size_t put_text(char *out, size_t cap, size_t o, const uint8_t *t, size_t n)
{
	if (o + 1 >= cap)
		return o;
	out[o++] = '"';
	for (size_t i = 0; i < n && o + 6 < cap; i++) {
		uint8_t c = t[i];
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7F)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	if (o + 1 < cap)
		out[o++] = '"';
	out[o] = '\0';
	return o;
}

/* 1 if t (n bytes) is empty or a bare service code: '*', digits, '#'. */
static int bare_code(const uint8_t *t, size_t n)
{
	if (n == 0)
		return 1;
	if (n < 3 || t[0] != '*' || t[n - 1] != '#')
		return 0;
	for (size_t i = 1; i + 1 < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return 0;
	return 1;
}

const char *smpp_pdu_trace(const uint8_t *pdu, size_t len, int secret, char *out, size_t cap)
{
	struct smpp_hdr h;
	size_t o;
	int n;

	if (!cap)
		return out;
	out[0] = '\0';
	if (len < SMPP_HDR_LEN) {
		snprintf(out, cap, "cmd=short len=%zu", len);
		return out;
	}
	h.len = rd32(pdu), h.id = rd32(pdu + 4), h.status = rd32(pdu + 8), h.seq = rd32(pdu + 12);

	/* A hidden text hides its length too, command_length included: the
	 * length of a PIN narrows it down. */
	struct smpp_in in;
	int walked = -1, hidden = 0;
	memset(&in, 0, sizeof in);
	in.ussd_op = -1;
	in.message_state = -1;
	if (h.len == len && (h.id == SMPP_SUBMIT_SM || h.id == SMPP_DELIVER_SM)) {
		struct walk w = { pdu, len, SMPP_HDR_LEN, NULL, 0, 0 };
		walked = walk_sm(&w, &in);
		/* A subscriber's answer (USSR confirm) may be a PIN, and so may
		 * a direct answer in a dialled string ("*384*1*4817#"): the
		 * text of a USSD deliver_sm shows only when it is a bare
		 * service code. */
		hidden = walked == 0 &&
			 (secret || (h.id == SMPP_DELIVER_SM && in.ussd_op >= 0 &&
				     (in.ussd_op == SMPP_USSD_USSR_CONF || !bare_code(in.text, in.text_len))));
	}
	if (hidden)
		n = snprintf(out, cap, "cmd=%s id=0x%08x seq=%u status=0x%x len=***", smpp_pdu_name(h.id),
			     h.id, h.seq, h.status);
	else
		n = snprintf(out, cap, "cmd=%s id=0x%08x seq=%u status=0x%x len=%u", smpp_pdu_name(h.id),
			     h.id, h.seq, h.status, h.len);
	if (n < 0 || (size_t)n >= cap)
		return out;
	o = (size_t)n;
	if (h.len != len)
		return out;
	if (h.id == SMPP_BIND_TRANSCEIVER) {
		char sysid[16] = "";
		struct walk w = { pdu, len, SMPP_HDR_LEN, NULL, 0, 0 };
		if (w_cstr(&w, "system_id", sysid, sizeof sysid) == 0)
			snprintf(out + o, cap - o, " system_id=\"%s\" password=***", sysid);
		else
			snprintf(out + o, cap - o, " password=***");
	} else if (h.id == SMPP_SUBMIT_SM || h.id == SMPP_DELIVER_SM) {
		if (walked < 0) {
			snprintf(out + o, cap - o, " body=malformed");
			return out;
		}
		n = snprintf(out + o, cap - o, " src=\"%s\" dst=\"%s\" esm=0x%02x dcs=%u", in.source_addr,
			     in.destination_addr, in.esm_class, in.data_coding);
		if (n < 0 || (size_t)n >= cap - o)
			return out;
		o += (size_t)n;
		if (in.ussd_op >= 0)
			o += (size_t)snprintf(out + o, cap - o, " op=%d", in.ussd_op);
		if (o < cap && in.has_session)
			o += (size_t)snprintf(out + o, cap - o, " its_session=0x%04x", in.session);
		if (o < cap && in.has_umr)
			o += (size_t)snprintf(out + o, cap - o, " umr=%u", in.umr);
		if (o >= cap)
			return out;
		if (hidden) {
			snprintf(out + o, cap - o, " text_len=*** text=***");
			return out;
		}
		n = snprintf(out + o, cap - o, " text_len=%zu text=", in.text_len);
		if (n < 0 || (size_t)n >= cap - o)
			return out;
		o += (size_t)n;
		put_text(out, cap, o, in.text, in.text_len);
	}
	return out;
}
