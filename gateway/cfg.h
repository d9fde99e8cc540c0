/* cfg.h -- the INI configuration: a typed struct made from cfg.def, file
 * and in-memory loading, section.key=value overrides, and the -c/--set
 * command-line handling every subcommand shares.
 *
 * File grammar (docs/configuration.md), one construct per line:
 *
 *   [section]            a section of cfg.def; spaces inside [ ] trimmed
 *   key = value          spaces around key and value trimmed; empty value
 *                        allowed where the type allows it
 *   key = "value"        quoted: \" and \\ are the only escapes; nothing
 *                        but spaces may follow the closing quote
 *   # comment, ; comment only at the start of a line (after spaces)
 *   (blank line)
 *
 * Lines end in LF or CRLF; a UTF-8 byte-order mark at the start is
 * skipped. The file must be UTF-8 without NUL bytes or control characters
 * other than tab. Unknown sections and keys, duplicates and bad values are
 * errors, and every error of a file is collected, not only the first.
 */
#ifndef GW_CFG_H
#define GW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The whole configuration: one field per cfg.def line, named
 * section_key (c->gateway_listen, c->http_max_body_bytes, ...).
 * Strings are owned by the struct (free with cfg_free()) and never NULL
 * after cfg_defaults(); enum fields hold one of the values listed in
 * cfg.def, spelled as there (compare with strcmp). */
struct cfg {
#define CFG_STR(s, k, d, chk, doc) char *s##_##k;
#define CFG_INT(s, k, d, lo, hi, doc) long long s##_##k;
#define CFG_BOOL(s, k, d, doc) bool s##_##k;
#define CFG_ENUM(s, k, d, vals, doc) char *s##_##k;
#include "gateway/cfg.def"
};

/* ---- diagnostics ---- */

#define CFG_MAX_ERRORS 100 /* errors kept per diag; more are counted only */

/* One error. text is what check-config prints:
 *   "FILE:LINE: message"  for a line of a file (message names the key,
 *                         the section and, where it helps, the column)
 *   "FILE: message"       for a file that cannot be read
 *   "--set S.K: message"  for an override
 *   "message"             for a command-line usage error */
struct cfg_error {
	int line;   /* 1-based line of the file; 0 if none */
	int col;    /* 1-based byte column in that line; 0 if none */
	char *text; /* owned by the diag */
};

/* Errors collected by the calls below, in order. Caller-owned: start it
 * zeroed (struct cfg_diag d = { 0 };), pass it to any number of calls,
 * then release it with cfg_diag_free(). */
struct cfg_diag {
	struct cfg_error *v; /* n entries */
	int n;
	int dropped;         /* errors past CFG_MAX_ERRORS, or lost for lack of memory */
};

/* Frees the texts and the array; d is zeroed and can be reused. NULL ok. */
void cfg_diag_free(struct cfg_diag *d);

/* Writes each error's text on its own line to f, then, if any were
 * dropped, "N more errors not shown". NULL d prints nothing. */
void cfg_diag_print(const struct cfg_diag *d, FILE *f);

/* ---- the configuration ---- */

/* Fills c with every default of cfg.def, overwriting (not freeing) what
 * was there. Returns 0, or -ENOMEM (c is then safe to cfg_free()). */
int cfg_defaults(struct cfg *c);

/* Releases the strings of c (not c itself) and zeroes it. NULL ok. */
void cfg_free(struct cfg *c);

/* Reads the file at path into c, which must hold cfg_defaults() or an
 * earlier load: each key the file sets replaces the value in c. Errors
 * are appended to d (may be NULL) with path as the FILE part; the lines
 * that were valid are still applied, so on error use c only to free it.
 * Files over 1 MiB are refused.
 * Returns 0; -EBADMSG if the file has errors (each in d); -ENOENT,
 * -EACCES, -EISDIR, -EFBIG or another -errno if it cannot be read (the
 * reason in d); -ENOMEM. */
int cfg_load_file(struct cfg *c, const char *path, struct cfg_diag *d);

/* The same for len bytes at buf (need not be NUL-terminated; may hold
 * any bytes), named name in the errors. Returns 0, -EBADMSG or -ENOMEM. */
int cfg_load_buf(struct cfg *c, const char *name, const char *buf, size_t len,
		 struct cfg_diag *d);

/* Applies one override "section.key=value" (the value is taken as is:
 * no trimming, no quotes). Later overrides of a key replace earlier ones
 * and the file's value. Returns 0, -EBADMSG (the error in d: a missing
 * '.' or '=', unknown section or key, bad value) or -ENOMEM. */
int cfg_set(struct cfg *c, const char *assign, struct cfg_diag *d);

/* Shared by the subcommands (serve, check-config, db, dfsp, apikey):
 * finds these options anywhere in argv[1..*argc-1], before a "--":
 *
 *   -c FILE, -cFILE, --config FILE, --config=FILE    the file (once)
 *   --set S.K=V, --set=S.K=V                        an override (repeatable)
 *
 * removes them from argv (the others keep their order; *argc shrinks and
 * argv[*argc] is NULL) so the subcommand can parse the rest, then fills c:
 * defaults, the file if one was given, the overrides in command-line
 * order. c need not be initialised; release it with cfg_free() whatever
 * the result. *file (may be NULL) is set to the FILE argument (borrowed
 * from argv) or NULL when there was none.
 * Returns 0; -EINVAL for a usage error (-c or --set without its
 * argument, -c given twice, --set without '.' or '='; message in d, argv
 * untouched; exit 2); -EBADMSG if the file or an override has errors,
 * or another -errno if the file cannot be read (all in d; exit 1);
 * -ENOMEM. */
int cfg_from_args(struct cfg *c, int *argc, char **argv, const char **file,
		  struct cfg_diag *d);

/* Applies the [gateway] log keys to the logger: levels, file, test mode
 * (no timestamps). Returns 0, or -EINVAL / -errno of log_open() with a
 * message in err (errlen bytes); the logger is unchanged on error. */
int cfg_apply_log(const struct cfg *c, char *err, size_t errlen);

/* ---- the key table, for documentation and tools ---- */

enum cfg_type { CFG_T_STR, CFG_T_INT, CFG_T_BOOL, CFG_T_ENUM };

/* One line of cfg.def. All strings are static. */
struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	const char *def;    /* default, as written in a file ("" for none) */
	long long min, max; /* CFG_T_INT only */
	const char *values; /* CFG_T_ENUM only: "a|b|c" */
	const char *doc;    /* one line */
};

extern const struct cfg_key cfg_keys[]; /* in cfg.def order */
extern const size_t cfg_nkeys;

/* "string", "integer", "boolean" or "enum". */
const char *cfg_type_name(enum cfg_type t);

/* The key section.name, or NULL. */
const struct cfg_key *cfg_key_find(const char *section, const char *name);

#endif /* GW_CFG_H */
