/* kyb_mcc.c -- the ISO 18245 merchant category code table (data/mcc.tsv)
 * and the MCC check. See kyb_mcc.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kyb/kyb_builtin.h"
#include "kyb/kyb_file.h"
#include "kyb/kyb_mcc.h"

#define MCC_FILE_MAX (256 * 1024)

struct kyb_mcc {
	int n;
	struct kyb_mcc_entry e[];   /* sorted by code */
};

static int mcc_err(char *err, size_t errsz, const char *fname, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int mcc_err(char *err, size_t errsz, const char *fname, int line, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!err || errsz == 0)
		return -EINVAL;
	k = line > 0 ? snprintf(err, errsz, "%s:%d: ", fname, line) : snprintf(err, errsz, "%s: ", fname);
	if (k >= 0 && (size_t)k < errsz) {
		va_start(ap, fmt);
		vsnprintf(err + k, errsz - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int kyb_mcc_parse(const char *buf, size_t len, const char *fname, struct kyb_mcc **out, char *err,
		  size_t errsz)
{
	struct kyb_mcc *m;
	int line = 0, cap = 0, rc = 0;

	*out = NULL;
	if (err && errsz)
		err[0] = '\0';
	if (!fname)
		fname = "mcc.tsv";
	/* At most one entry per line: count the lines to size the table. */
	for (size_t i = 0; i < len; i++)
		cap += buf[i] == '\n';
	cap++;
	if (cap > KYB_MCC_MAX)
		cap = KYB_MCC_MAX;
	m = malloc(sizeof *m + (size_t)cap * sizeof m->e[0]);
	if (!m)
		return -ENOMEM;
	m->n = 0;

	for (size_t off = 0; off < len && rc == 0;) {
		const char *s = buf + off, *tab;
		const char *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off, llen;
		struct kyb_mcc_entry *e;

		off += n + (nl != NULL);
		line++;
		if (n == 0 || s[0] == '#')
			continue;
		tab = memchr(s, '\t', n);
		if (!tab || tab - s != 4) {
			rc = mcc_err(err, errsz, fname, line, "expected 4 digits, a tab and a label");
			break;
		}
		for (int i = 0; i < 4 && rc == 0; i++)
			if (s[i] < '0' || s[i] > '9')
				rc = mcc_err(err, errsz, fname, line, "the code is not 4 digits");
		llen = n - 5;
		if (rc == 0 && (llen == 0 || llen >= KYB_MCC_LABEL_MAX))
			rc = mcc_err(err, errsz, fname, line, "the label is not 1 to %d characters",
				     KYB_MCC_LABEL_MAX - 1);
		for (size_t i = 0; i < llen && rc == 0; i++) {
			unsigned char c = (unsigned char)tab[1 + i];
			if (c < 0x20 || c > 0x7E)
				rc = mcc_err(err, errsz, fname, line,
					     "byte 0x%02X at column %zu: labels are printable ASCII", c, 6 + i);
		}
		if (rc == 0 && (tab[1] == ' ' || tab[llen] == ' '))
			rc = mcc_err(err, errsz, fname, line, "the label starts or ends with a space");
		if (rc == 0 && m->n > 0 && memcmp(m->e[m->n - 1].code, s, 4) >= 0)
			rc = mcc_err(err, errsz, fname, line, "%.4s is not after %s (sorted, each code once)",
				     s, m->e[m->n - 1].code);
		if (rc == 0 && m->n == cap)
			rc = mcc_err(err, errsz, fname, line, "more than %d codes", KYB_MCC_MAX);
		if (rc < 0)
			break;
		e = &m->e[m->n++];
		memcpy(e->code, s, 4);
		e->code[4] = '\0';
		memcpy(e->label, tab + 1, llen);
		e->label[llen] = '\0';
	}
	if (rc == 0 && m->n == 0)
		rc = mcc_err(err, errsz, fname, 0, "no codes");
	if (rc < 0) {
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int kyb_mcc_load(const char *path, struct kyb_mcc **out, char *err, size_t errsz)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	rc = kyb_file_read(path, MCC_FILE_MAX, &buf, &len);
	if (rc < 0) {
		if (err && errsz)
			snprintf(err, errsz, "%s: cannot read: %s", path, strerror(-rc));
		return rc;
	}
	rc = kyb_mcc_parse(buf, len, path, out, err, errsz);
	free(buf);
	return rc;
}

int kyb_mcc_builtin(struct kyb_mcc **out, char *err, size_t errsz)
{
	size_t len;
	const char *text = kyb_builtin_mcc(&len);

	return kyb_mcc_parse(text, len, "data/mcc.tsv (built-in)", out, err, errsz);
}

void kyb_mcc_free(struct kyb_mcc *m)
{
	free(m);
}

int kyb_mcc_count(const struct kyb_mcc *m)
{
	return m->n;
}

const struct kyb_mcc_entry *kyb_mcc_at(const struct kyb_mcc *m, int i)
{
	return i >= 0 && i < m->n ? &m->e[i] : NULL;
}

const struct kyb_mcc_entry *kyb_mcc_find(const struct kyb_mcc *m, const char *code)
{
	int lo = 0, hi = m->n - 1;

	if (!code || strlen(code) != 4)
		return NULL;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = memcmp(m->e[mid].code, code, 4);
		if (c == 0)
			return &m->e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int kyb_mcc_check(const struct kyb_mcc *m, const char *field, const char *s, struct kyb_check_bad *bad)
{
	const char *f = field ? field : "mcc";
	int pos = -1;
	const char *why = NULL;

	if (!s || !*s) {
		why = "missing";
	} else {
		for (int i = 0; i < 5 && !why; i++) {
			if (i < 4 && (s[i] < '0' || s[i] > '9')) {
				pos = i;
				why = s[i] ? "expected a digit (an MCC is 4 digits)" : "too short (an MCC is 4 digits)";
			} else if (i == 4 && s[i]) {
				pos = 4;
				why = "too long (an MCC is 4 digits)";
			}
		}
	}
	if (why) {
		if (bad) {
			bad->pos = pos;
			if (pos >= 0 && s[pos] && s[pos] > 0x20 && s[pos] < 0x7F)
				snprintf(bad->msg, sizeof bad->msg, "%s: position %d ('%c'): %s", f, pos + 1,
					 s[pos], why);
			else if (pos >= 0 && s[pos])
				snprintf(bad->msg, sizeof bad->msg, "%s: position %d (byte 0x%02X): %s", f,
					 pos + 1, (unsigned char)s[pos], why);
			else
				snprintf(bad->msg, sizeof bad->msg, "%s: %s", f, why);
		}
		return -EINVAL;
	}
	if (m && !kyb_mcc_find(m, s)) {
		if (bad) {
			bad->pos = -1;
			snprintf(bad->msg, sizeof bad->msg, "%s: %s is not in the MCC table (data/mcc.tsv)", f,
				 s);
		}
		return -ENOENT;
	}
	if (bad) {
		bad->pos = -1;
		bad->msg[0] = '\0';
	}
	return 0;
}
