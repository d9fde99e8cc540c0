/* log.h -- one line per event, logfmt, with levels and categories.
 *
 *   ts=2026-11-28T10:15:02.123Z level=info cat=db msg="schema migrated" from=0 to=1
 *
 * Each category has its own level (from config: "info" or
 * "info db=debug http=warn"). The level is tested before anything is
 * formatted. Output goes to stderr or to a file (reopened on SIGHUP by the
 * daemon through log_reopen()). Never pass a PIN, password, API key or
 * document content to these functions.
 *
 * The logger is process-wide state set up once in main (the one exception
 * to "no mutable globals": every module logs, and a log line must not need
 * a context pointer). Not thread-safe: only the event-loop thread logs.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdarg.h>
#include <stddef.h> /* size_t, NULL (for the no-fields form below) */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARN, LOG_ERROR, LOG_NONE };

/* Categories; names as printed in cat=. Add new ones at the end of both
 * this enum and log.c's name table. */
enum log_cat {
	LC_MAIN,   /* "main": start, stop, signals */
	LC_CFG,    /* "cfg" */
	LC_DB,     /* "db" */
	LC_HTTP,   /* "http" */
	LC_MERCH,  /* "merchant" */
	LC_KYB,    /* "kyb" */
	LC_AUDIT,  /* "audit" */
	LC_USSD,   /* "ussd" */
	LC_SMPP,   /* "smpp" */
	LC_PAY,    /* "pay" */
	LC_SWITCH, /* "switch" */
	LC__COUNT
};

/* Sets every category's level from spec: a level name ("debug", "info",
 * "notice", "warn", "error", "none"), optionally followed by
 * space-separated CAT=LEVEL overrides. Returns 0, or -EINVAL with a
 * message naming the bad word and its position (1-based character) in
 * err (errlen bytes). On error no level changes. */
int log_set_levels(const char *spec, char *err, size_t errlen);

/* Checks spec as log_set_levels() does, with the same messages, without
 * changing any level (for the config loader). Returns 0 or -EINVAL. */
int log_check_levels(const char *spec, char *err, size_t errlen);

/* Sends the log to path (appended, created 0640), or to stderr when path
 * is NULL or "-". Returns 0 or -errno (the old destination stays). */
int log_open(const char *path);

/* Reopens the current file (after logrotate moved it): for SIGHUP.
 * Returns 0 or -errno (logging goes on to the old descriptor). */
int log_reopen(void);

/* Test mode: lines carry no ts= field, so output can be compared with
 * golden files. */
void log_set_test_mode(int on);

/* Whether a line of this category and level would be written. */
int log_enabled(enum log_cat cat, enum log_level lvl);

/* Writes one line: ts, level, cat, msg="..." (quoted and escaped as
 * logfmt needs), then the optional extra fields, which the caller writes
 * as logfmt pairs through fmt (e.g. "merchant=%s from=%s to=%s"); values
 * with spaces must be passed through log_q(). Saves and restores errno. */
void log_msg(enum log_cat cat, enum log_level lvl, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Quotes a value for a logfmt field if it needs it (space, '=', '"',
 * control characters, empty), into buf; returns buf. A value that does
 * not fit in size bytes is cut at a character boundary, and a quoted one
 * is still closed (if it needs quotes and size < 3, buf gets the empty
 * string). NULL val is treated as "". */
const char *log_q(char *buf, size_t size, const char *val);

/* Level-tested logging: nothing is formatted unless the line would be
 * written. fmt is the caller's logfmt fields with their printf arguments:
 *
 *   LOGI(LC_DB, "schema migrated", "from=%d to=%d", from, to);
 *
 * A line without extra fields passes NULL as fmt (not "", which gcc's
 * -Wformat-zero-length rejects):
 *
 *   LOGI(LC_MAIN, "stopping", NULL);
 *
 * Both forms compile warning-free under gcc and clang with -Wall -Wextra
 * -Wformat=2. cat is evaluated twice. */
#define LOG_AT_(cat, lvl, msg, ...)                                              \
	do {                                                                     \
		if (log_enabled((cat), (lvl)))                                   \
			log_msg((cat), (lvl), (msg), __VA_ARGS__);               \
	} while (0)
#define LOGD(cat, msg, ...) LOG_AT_(cat, LOG_DEBUG, msg, __VA_ARGS__)
#define LOGI(cat, msg, ...) LOG_AT_(cat, LOG_INFO, msg, __VA_ARGS__)
#define LOGN(cat, msg, ...) LOG_AT_(cat, LOG_NOTICE, msg, __VA_ARGS__)
#define LOGW(cat, msg, ...) LOG_AT_(cat, LOG_WARN, msg, __VA_ARGS__)
#define LOGE(cat, msg, ...) LOG_AT_(cat, LOG_ERROR, msg, __VA_ARGS__)

#endif /* GW_LOG_H */
