/* fuzz_qr_emv.c -- libFuzzer target for the EMVCo MPM codec: parses each
 * input in both modes, re-encodes what parsed, drives the builder with
 * the same bytes, and abort()s when an invariant breaks. The encoder
 * checks its payloads on the object table it keeps rather than by
 * parsing them: every qr_emv_enc_finish() here is compared with a strict
 * parse of the same bytes (same result, message, offset, warnings and
 * object table). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr/qr_emv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                   \
	do {                                                                       \
		if (!(x)) {                                                        \
			fprintf(stderr, "fuzz_qr_emv: invariant failed: %s (line %d)\n", \
				#x, __LINE__);                                     \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* Scratch space: struct qr_emv is about 25 KiB, too big for every
 * frame. The harness runs one input at a time. */
static struct qr_emv P_def, P_str, P_tmp, P_enc;

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_note(const struct qr_emv_note *n, size_t size)
{
	CHECK(terminated(n->msg, sizeof n->msg));
	CHECK(n->offset >= 0 && (size_t)n->offset <= size);
}

/* The diagnostics agree with the return value. */
static void check_diag(const struct qr_emv_diag *d, int r, size_t size)
{
	check_note(&d->err, size);
	if (r < 0)
		CHECK(d->err.msg[0] != '\0');
	else
		CHECK(d->err.msg[0] == '\0');
	CHECK(d->nwarn >= 0);
	for (int i = 0; i < d->nwarn && i < QR_EMV_MAX_WARN; i++) {
		check_note(&d->warn[i], size);
		CHECK(d->warn[i].msg[0] != '\0');
	}
}

static unsigned count_chars(const unsigned char *s, size_t n)
{
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += (s[i] & 0xC0) != 0x80;
	return k;
}

/* The object table of a successful parse describes the input. */
static void check_objs(const struct qr_emv *p, const uint8_t *data, size_t size)
{
	CHECK(p->nobj >= 2 && p->nobj <= QR_EMV_MAX_OBJS);
	CHECK(p->obj[0].id == 0 && p->obj[0].parent == -1 && p->obj[0].off == 0);
	CHECK(p->obj[p->nobj - 1].id == 63 && p->obj[p->nobj - 1].parent == -1);
	CHECK(p->obj[p->nobj - 1].val_off + 4u == size);
	for (int i = 0; i < p->nobj; i++) {
		const struct qr_emv_obj *o = &p->obj[i];
		unsigned nsub = 0;
		CHECK(o->id <= 99 && o->nchars >= 1 && o->nchars <= 99);
		CHECK(o->val_off == o->off + 4 && (size_t)o->val_off + o->val_len <= size);
		CHECK(data[o->off] - '0' == o->id / 10 && data[o->off + 1] - '0' == o->id % 10);
		CHECK(count_chars(data + o->val_off, o->val_len) == o->nchars);
		CHECK(o->coff == count_chars(data, o->off));
		if (o->parent < 0) {
			CHECK(o->depth == 0);
		} else {
			const struct qr_emv_obj *t = &p->obj[o->parent];
			CHECK(o->parent < i && t->is_tmpl && o->depth == t->depth + 1);
			CHECK(o->off >= t->val_off && o->val_off + o->val_len <= t->val_off + t->val_len);
		}
		for (int j = i + 1; j < p->nobj && p->obj[j].depth > o->depth; j++)
			nsub += p->obj[j].parent == i;
		CHECK(nsub == o->nsub);
		CHECK(qr_emv_name(o->parent < 0 ? -1 : p->obj[o->parent].id, o->id) != NULL);
		CHECK(qr_emv_find(p, o->parent, o->id) == i);   /* no duplicates */
	}
}

static int same_diag(const struct qr_emv_diag *a, const struct qr_emv_diag *b)
{
	if (strcmp(a->err.msg, b->err.msg) != 0 || a->err.offset != b->err.offset ||
	    a->nwarn != b->nwarn)
		return 0;
	for (int i = 0; i < a->nwarn && i < QR_EMV_MAX_WARN; i++)
		if (strcmp(a->warn[i].msg, b->warn[i].msg) != 0 ||
		    a->warn[i].offset != b->warn[i].offset)
			return 0;
	return 1;
}

static int same_tab(const struct qr_emv *a, const struct qr_emv *b)
{
	if (a->nobj != b->nobj || a->len != b->len || a->s != b->s)
		return 0;
	for (int i = 0; i < a->nobj; i++) {
		const struct qr_emv_obj *x = &a->obj[i], *y = &b->obj[i];
		if (x->off != y->off || x->coff != y->coff || x->val_off != y->val_off ||
		    x->val_len != y->val_len || x->id != y->id || x->nchars != y->nchars ||
		    x->parent != y->parent || x->nsub != y->nsub || x->is_tmpl != y->is_tmpl ||
		    x->depth != y->depth)
			return 0;
	}
	return 1;
}

/* e was finished (its CRC appended: e->depth is -1 and e->len counts it)
 * with result r and diagnostics d: a strict parse of e->buf agrees. */
static void check_finish(const struct qr_emv_enc *e, int r, const char *out,
			 const struct qr_emv_diag *d)
{
	struct qr_emv_diag dp;
	int rp = qr_emv_parse(&P_enc, e->buf, e->len, QR_EMV_STRICT, &dp);

	CHECK(e->depth == -1);
	CHECK((r < 0) == (rp < 0));
	CHECK(same_diag(d, &dp));
	if (r < 0) {
		CHECK(r == -1 && rp == -1 && out == NULL && e->failed);
		CHECK(strcmp(e->err.msg, dp.err.msg) == 0 && e->err.offset == dp.err.offset);
		return;
	}
	CHECK(r == rp && out == e->buf && !e->failed);
	CHECK(same_tab(&e->tab, &P_enc));
}

/* Writes object i and its sub-objects through the builder. */
static void emit(struct qr_emv_enc *e, const struct qr_emv *p, int i)
{
	const struct qr_emv_obj *o = &p->obj[i];

	if (!o->is_tmpl) {
		size_t n;
		const char *v = qr_emv_val(p, i, &n);
		qr_emv_enc_put(e, o->id, v, n);
		return;
	}
	qr_emv_enc_open(e, o->id);
	for (int j = i + 1; j < p->nobj && p->obj[j].depth > o->depth; j++)
		if (p->obj[j].parent == i)
			emit(e, p, j);
	qr_emv_enc_close(e);
}

/* Rebuilding the objects gives the same bytes; the encoder's strict
 * check agrees with the parser's. */
static void reencode(const struct qr_emv *p, const uint8_t *data, size_t size, int strict_ok)
{
	static struct qr_emv_enc e;
	struct qr_emv_diag d;
	const char *out;
	const struct qr_emv_obj *crc = &p->obj[p->nobj - 1];
	int r, lower = 0;

	qr_emv_enc_init(&e);
	for (int i = 0; i < p->nobj - 1; i++)
		if (p->obj[i].parent < 0)
			emit(&e, p, i);
	CHECK(!e.failed && e.depth == 0);
	CHECK(e.len == crc->off && memcmp(e.buf, data, e.len) == 0);
	for (int k = 0; k < 4; k++)
		lower |= data[crc->val_off + k] >= 'a';
	r = qr_emv_enc_finish(&e, &out, &d);
	check_diag(&d, r, size);
	check_finish(&e, r, out, &d);
	if (strict_ok) {
		CHECK(r == (int)size && memcmp(out, data, size) == 0);
	} else if (r >= 0) {
		/* Only a lower-case CRC can fail strict parsing of the input
		 * while its objects encode strictly. */
		CHECK(lower && r == (int)size);
	}
}

static void check_target(const struct qr_emv *p)
{
	struct qr_emv_target t, t2;
	struct qr_emv_merchant m;
	static struct qr_emv_enc e;
	struct qr_emv_diag d;
	char err[96];
	const char *out;
	int r;

	memset(&t, 0x55, sizeof t);   /* every string must be written */
	r = qr_emv_target(p, NULL, &t, err, sizeof err);
	CHECK(r == 0 || r == -ENOENT);
	CHECK(terminated(err, sizeof err));
	CHECK(terminated(t.scheme, sizeof t.scheme) && terminated(t.party_type, sizeof t.party_type));
	CHECK(terminated(t.party_id, sizeof t.party_id));
	CHECK(terminated(t.party_sub_id, sizeof t.party_sub_id));
	CHECK(terminated(t.fsp_id, sizeof t.fsp_id) && terminated(t.name, sizeof t.name));
	CHECK(terminated(t.city, sizeof t.city) && terminated(t.country, sizeof t.country));
	CHECK(terminated(t.mcc, sizeof t.mcc) && terminated(t.currency, sizeof t.currency));
	CHECK(terminated(t.amount, sizeof t.amount) && terminated(t.bill, sizeof t.bill));
	CHECK(terminated(t.reference, sizeof t.reference));
	CHECK(terminated(t.terminal, sizeof t.terminal));
	CHECK(t.dynamic == 0 || t.dynamic == 1);
	if (r < 0) {
		CHECK(err[0] != '\0' && t.scheme[0] == '\0' && t.party_id[0] == '\0');
		return;
	}
	CHECK(err[0] == '\0' && t.scheme[0] && t.party_type[0] && t.party_id[0]);
	if (strcmp(t.scheme, "tillgate") != 0)
		return;
	/* A Tillgate code re-encodes to the same target, when it encodes. */
	m = (struct qr_emv_merchant){
		.name = t.name, .city = t.city, .mcc = t.mcc, .currency = t.currency,
		.country = t.country, .amount = t.amount, .party_type = t.party_type,
		.party_id = t.party_id, .party_sub_id = t.party_sub_id, .fsp_id = t.fsp_id,
		.bill = t.bill, .reference = t.reference, .terminal = t.terminal,
	};
	r = qr_emv_encode_merchant(&e, &m, NULL, &out, &d);
	if (r < 0) {
		CHECK(d.err.msg[0] != '\0' && out == NULL);
		return;
	}
	CHECK(qr_emv_parse(&P_tmp, out, (size_t)r, QR_EMV_STRICT, &d) == r);
	CHECK(qr_emv_target(&P_tmp, NULL, &t2, err, sizeof err) == 0);
	CHECK(strcmp(t2.scheme, "tillgate") == 0);
	CHECK(strcmp(t.party_type, t2.party_type) == 0 && strcmp(t.party_id, t2.party_id) == 0);
	CHECK(strcmp(t.party_sub_id, t2.party_sub_id) == 0 && strcmp(t.fsp_id, t2.fsp_id) == 0);
	CHECK(strcmp(t.name, t2.name) == 0 && strcmp(t.city, t2.city) == 0);
	CHECK(strcmp(t.country, t2.country) == 0 && strcmp(t.mcc, t2.mcc) == 0);
	CHECK(strcmp(t.amount, t2.amount) == 0 && t2.dynamic == (t.amount[0] != '\0'));
	CHECK(strcmp(t.bill, t2.bill) == 0 && strcmp(t.reference, t2.reference) == 0);
	CHECK(strcmp(t.terminal, t2.terminal) == 0);
	CHECK(strcmp(t.currency, t2.currency) == 0 ||
	      strcmp(qr_emv_ccy_num(t.currency) ? qr_emv_ccy_num(t.currency) : "", t2.currency) == 0);
}

/* Drives the builder with the input as commands: whatever it accepts
 * must parse strictly, CRC included. */
static void build(const uint8_t *data, size_t size)
{
	static struct qr_emv_enc e;
	struct qr_emv_diag d;
	const char *out;
	size_t i = 0;
	int r, checked;

	qr_emv_enc_init(&e);
	qr_emv_enc_put(&e, 0, "01", 2);
	while (i + 2 <= size && i < 600) {
		unsigned op = data[i] & 3, id = data[i + 1] % 100;
		i += 2;
		if (op == 0) {
			size_t n = i < size ? data[i++] % 48 : 0;
			if (n > size - i)
				n = size - i;
			qr_emv_enc_put(&e, id, (const char *)data + i, n);
			i += n;
		} else if (op == 1) {
			qr_emv_enc_open(&e, id);
		} else {
			qr_emv_enc_close(&e);
		}
	}
	while (e.depth > 0 && !e.failed)
		qr_emv_enc_close(&e);
	/* finish() checks the payload unless an error came first. */
	checked = !e.failed && e.depth == 0 && e.len + 8 <= QR_EMV_MAX_LEN;
	r = qr_emv_enc_finish(&e, &out, &d);
	check_diag(&d, r, QR_EMV_MAX_LEN);
	if (checked)
		check_finish(&e, r, out, &d);
	else
		CHECK(r == -1 && out == NULL);
	if (r < 0) {
		CHECK(out == NULL);
		return;
	}
	CHECK(out == e.buf && (size_t)r == strlen(out));
	CHECK(qr_emv_parse(&P_tmp, out, (size_t)r, QR_EMV_STRICT, &d) == r);
	CHECK(qr_emv_parse(&P_tmp, out, (size_t)r, 0, &d) == r);
}

/* Every check on one input. */
static void one(const uint8_t *data, size_t size)
{
	struct qr_emv_diag dd, ds;
	const char *s = (const char *)data;
	int rd, rs;

	rd = qr_emv_parse(&P_def, s, size, 0, &dd);
	rs = qr_emv_parse(&P_str, s, size, QR_EMV_STRICT, &ds);
	CHECK(rd == -2 || rd == -1 || rd == (int)size);
	CHECK(rs == -2 || rs == -1 || rs == (int)size);
	check_diag(&dd, rd, size);
	check_diag(&ds, rs, size);
	/* Truncation does not depend on the mode; strict success implies
	 * default success with the same objects. */
	CHECK((rd == -2) == (rs == -2));
	if (rs >= 0) {
		CHECK(rd == rs && P_def.nobj == P_str.nobj);
		CHECK(dd.nwarn >= ds.nwarn);
	}
	if (rd >= 0) {
		check_objs(&P_def, data, size);
		/* Strict prefixes are truncated payloads. */
		size_t cut[3] = { 0, size - 1, (size_t)data[size / 2] * (size - 1) / 255 };
		for (int k = 0; k < 3; k++)
			CHECK(qr_emv_parse(&P_tmp, s, cut[k], k & 1 ? QR_EMV_STRICT : 0, NULL) == -2);
		reencode(&P_def, data, size, rs >= 0);
		check_target(&P_def);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";

	one(data, size);
	build(data, size);
	/* Mutations almost always break the CRC, which hides every other
	 * rule from the fuzzer: also run the input with its CRC repaired. */
	if (size >= 8 && size <= QR_EMV_MAX_LEN && memcmp(data + size - 8, "6304", 4) == 0) {
		uint8_t *fixed = malloc(size);   /* exact size: ASan sees over-reads */
		uint16_t c;
		if (!fixed)
			return 0;
		memcpy(fixed, data, size);
		c = qr_emv_crc(fixed, size - 4);
		for (int k = 0; k < 4; k++)
			fixed[size - 4 + k] = (uint8_t)hex[(c >> (12 - 4 * k)) & 15];
		if (memcmp(fixed, data, size) != 0)
			one(fixed, size);
		free(fixed);
	}
	return 0;
}
