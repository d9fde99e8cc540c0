/* kyb_mcc.h -- merchant category codes (ISO 18245): the table in
 * data/mcc.tsv (or its built-in copy) with short labels for menus, and the
 * MCC check. Pure code; kyb_mcc_load() reads one file.
 *
 * File format: one code per line, "NNNN<TAB>label"; '#' starts a comment
 * line; blank lines are ignored. Codes are 4 digits in ascending order,
 * each once; labels are 1 to KYB_MCC_LABEL_MAX - 1 printable ASCII
 * characters (they go on USSD menus).
 */
#ifndef KYB_MCC_H
#define KYB_MCC_H

#include <stddef.h>

#include "kyb/kyb_check.h"

#define KYB_MCC_LABEL_MAX 33    /* label, NUL included */
#define KYB_MCC_MAX 1000        /* entries */

struct kyb_mcc_entry {
	char code[5];               /* "5411" */
	char label[KYB_MCC_LABEL_MAX];
};

struct kyb_mcc;   /* opaque, immutable once parsed */

/* Parses a table of len bytes; fname names it in the message. Returns 0
 * and sets *out (owned; free with kyb_mcc_free()); or -EINVAL with the
 * first error written to err ("data/mcc.tsv:12: ...", err may be NULL),
 * or -ENOMEM; *out is NULL then. */
int kyb_mcc_parse(const char *buf, size_t len, const char *fname, struct kyb_mcc **out, char *err,
		  size_t errsz);

/* Reads and parses the file at path. Also -errno of open()/read(), or
 * -EFBIG over 256 KiB. */
int kyb_mcc_load(const char *path, struct kyb_mcc **out, char *err, size_t errsz);

/* Parses the copy of data/mcc.tsv built into the binary; returns as
 * kyb_mcc_parse(). */
int kyb_mcc_builtin(struct kyb_mcc **out, char *err, size_t errsz);

/* Frees m; NULL is accepted. */
void kyb_mcc_free(struct kyb_mcc *m);

/* Number of entries, and the i-th in code order (NULL if out of range). */
int kyb_mcc_count(const struct kyb_mcc *m);
const struct kyb_mcc_entry *kyb_mcc_at(const struct kyb_mcc *m, int i);

/* The entry for code (4 digits, NUL-terminated); NULL if not listed.
 * Borrowed from m. */
const struct kyb_mcc_entry *kyb_mcc_find(const struct kyb_mcc *m, const char *code);

/* Checks an MCC as the registry stores it: 4 digits (-EINVAL) listed in
 * m (-ENOENT). m NULL checks the form only. Messages as kyb_check.h,
 * default field name "mcc". */
int kyb_mcc_check(const struct kyb_mcc *m, const char *field, const char *s, struct kyb_check_bad *bad);

#endif
