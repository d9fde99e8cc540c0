/* ussd_locale.h -- the texts of the USSD menus, one INI file per language
 * (data/locale/LANG.ini, compiled into the binary; [ussd] locale_dir may
 * hold files that replace them), looked up by "section.key" with English
 * as the fallback, and {placeholder} substitution.
 *
 * File grammar, one construct per line (docs/ussd.md):
 *
 *   [section]          letters, digits and '_'
 *   key = text         key as a section; text trimmed, not empty, valid
 *                      UTF-8 without control characters; "{name}" is a
 *                      placeholder (name: a-z, 0-9, '_'); a '{' or '}'
 *                      outside one is an error
 *   # comment          or ; comment, or a blank line
 *
 * Lines end in LF or CRLF. A key outside a section, a duplicate key and
 * an unknown construct are errors, each reported as "FILE:LINE: message"
 * naming the key where there is one.
 */
#ifndef USSD_LOCALE_H
#define USSD_LOCALE_H

#include <stddef.h>

struct ussd_var;     /* ussd/ussd_menu.h */
struct ussd_locale;  /* opaque: every language loaded */

/* Longest language code ("en", "sw"): letters a-z, 2..8. */
#define USSD_LANG_MAX 8

/* Called once per problem; msg is one line, valid during the call. */
typedef void (*ussd_locale_report)(void *arg, const char *msg);

/* Loads English and every language of langs (comma-separated codes,
 * "en,sw,fr"): from dir/LANG.ini when dir is not empty and that file
 * exists, else the built-in copy. Every error goes to report (may be
 * NULL). On success *out is owned by the caller (ussd_locale_free()).
 * Returns 0; -EINVAL for a file with errors, a bad language code or a
 * language with neither file nor built-in copy; -EIO if a file cannot be
 * read; -ENOMEM. */
int ussd_locale_load(struct ussd_locale **out, const char *langs, const char *dir,
		     ussd_locale_report report, void *arg);

void ussd_locale_free(struct ussd_locale *l); /* NULL ok */

/* Parses one file's text (len bytes, not NUL-terminated) named name (for
 * messages) and discards it: for the fuzz target and tests. Returns the
 * number of errors reported (0: valid) or -ENOMEM. */
int ussd_locale_check_text(const char *name, const char *text, size_t len,
			   ussd_locale_report report, void *arg);

/* Reports, as "LANG: key 'K' missing, English used", every English key
 * another loaded language lacks. Returns how many. For check-config. */
int ussd_locale_missing(const struct ussd_locale *l, ussd_locale_report report, void *arg);

/* The languages of langs, in order (English included only if listed). */
size_t ussd_locale_nlangs(const struct ussd_locale *l);
const char *ussd_locale_lang(const struct ussd_locale *l, size_t i);
/* 1 if lang is one of them. */
int ussd_locale_has(const struct ussd_locale *l, const char *lang);

/* Keys of a loaded language (English if lang is not loaded), in sorted
 * order: for tests that render every text. Borrowed from l. */
size_t ussd_locale_nkeys(const struct ussd_locale *l, const char *lang);
const char *ussd_locale_key(const struct ussd_locale *l, const char *lang, size_t i);

/* The text of key in lang, else in English; NULL if neither has it.
 * Borrowed from l. */
const char *ussd_locale_get(const struct ussd_locale *l, const char *lang, const char *key);

/* Copies tmpl to out (cap bytes, NUL included) with each {name} that
 * vars (n of them) names replaced by its value, inserted as is (a value
 * is never scanned for placeholders); other placeholders stay as
 * written. Returns the length written, or -ENOSPC (out then holds a
 * truncated, NUL-terminated copy). */
long ussd_locale_format(const char *tmpl, const struct ussd_var *vars, size_t n, char *out,
			size_t cap);

#endif /* USSD_LOCALE_H */
