/* stmt.c -- statements of committed payments by UTC day: the lines from
 * SQLite, the counts and totals summed here, JSON and CSV. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/db.h"
#include "gateway/stmt.h"

enum { Q_DFSP, Q_MERCHANT, Q_LINES, Q__COUNT };

/* The lines: received then sent for each payment, by commit time. The
 * day is the commit's ("updated" of a COMMITTED payment). :to is the day
 * after the last, exclusive. */
#define LINE_COLS                                                                         \
	"substr(p.updated, 1, 10), p.id, p.updated, p.channel, p.on_us, p.payer_dfsp, "   \
	"p.payer_fsp, p.payee_dfsp, p.merchant_id, p.till_number, p.currency, p.amount, " \
	"coalesce(q.fee, 0), p.transfer_id "
static const char *const stmt_sql[Q__COUNT] = {
	[Q_DFSP] = "SELECT fsp_id FROM dfsp WHERE fsp_id = :dfsp AND "
		   "(:scope IS NULL OR fsp_id = :scope)",
	[Q_MERCHANT] = "SELECT dfsp FROM merchant WHERE merchant_id = :m AND "
		       "(:scope IS NULL OR dfsp = :scope)",
	[Q_LINES] = "SELECT * FROM (SELECT 'received' AS dir, " LINE_COLS
		    "FROM payment p LEFT JOIN payee_quote q ON p.channel = 'switch' AND "
		    "q.quote_id = p.quote_id WHERE p.payee_dfsp = :dfsp AND p.state = 'COMMITTED' "
		    "AND (p.on_us = 1 OR p.channel = 'switch') AND "
		    "(:m IS NULL OR p.merchant_id = :m) AND p.updated >= :from AND p.updated < :to "
		    "UNION ALL SELECT 'sent', " LINE_COLS
		    "FROM payment p LEFT JOIN payee_quote q ON 0 WHERE :m IS NULL AND "
		    "p.payer_dfsp = :dfsp AND p.state = 'COMMITTED' AND p.updated >= :from AND "
		    "p.updated < :to) ORDER BY 4, 3, 1",
};

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int stmt_day_parse(const char *field, const char *s, char *err, size_t n)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	size_t i = 0;
	for (; s[i] && i < 10; i++) {
		int digit = s[i] >= '0' && s[i] <= '9';
		if ((i == 4 || i == 7) ? s[i] != '-' : !digit) {
			snprintf(err, n, "%s: a UTC day YYYY-MM-DD expected (position %zu)", field, i);
			return -1;
		}
	}
	if (i < 10 || s[10]) {
		snprintf(err, n, "%s: a UTC day YYYY-MM-DD expected (position %zu)", field, i);
		return -1;
	}
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (y < 1970) {
		snprintf(err, n, "%s: year before 1970 (position 0)", field);
		return -1;
	}
	if (m < 1 || m > 12) {
		snprintf(err, n, "%s: no month %02d (position 5)", field, m);
		return -1;
	}
	if (d < 1 || d > mdays[m - 1] + (m == 2 && leap(y))) {
		snprintf(err, n, "%s: no day %02d in %.7s (position 8)", field, d, s);
		return -1;
	}
	return 0;
}

static time_t day_time(const char *s)
{
	struct tm tm = { 0 };
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	return timegm(&tm);
}

static void day_text(time_t t, char out[11])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* One sum: per (day or "" for the totals, direction, currency). */
struct sum {
	char day[11];
	char dir[9];
	char ccy[4];
	int64_t count, amount, fee;
};

struct sums {
	struct sum *v;
	size_t n, cap;
};

static int sum_add(struct sums *s, const char *day, const char *dir, const char *ccy,
		   int64_t amount, int64_t fee)
{
	struct sum *e = NULL;
	for (size_t i = 0; i < s->n && !e; i++)
		if (strcmp(s->v[i].day, day) == 0 && strcmp(s->v[i].dir, dir) == 0 &&
		    strcmp(s->v[i].ccy, ccy) == 0)
			e = &s->v[i];
	if (!e) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			struct sum *nv = realloc(s->v, cap * sizeof *nv);
			if (!nv)
				return -ENOMEM;
			s->v = nv;
			s->cap = cap;
		}
		e = &s->v[s->n++];
		memset(e, 0, sizeof *e);
		snprintf(e->day, sizeof e->day, "%s", day);
		snprintf(e->dir, sizeof e->dir, "%s", dir);
		snprintf(e->ccy, sizeof e->ccy, "%s", ccy);
	}
	if (__builtin_add_overflow(e->amount, amount, &e->amount) ||
	    __builtin_add_overflow(e->fee, fee, &e->fee))
		return -EOVERFLOW;
	e->count++;
	return 0;
}

static int sum_cmp(const void *a, const void *b)
{
	const struct sum *x = a, *y = b;
	int c = strcmp(x->ccy, y->ccy);
	return c ? c : strcmp(x->dir, y->dir);
}

/* The sums of day (or "" for the totals) and dir, as an array of T. */
static json_t *sums_json(struct sums *s, const char *day, const char *dir)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < s->n; i++) {
		const struct sum *e = &s->v[i];
		if (strcmp(e->day, day) || strcmp(e->dir, dir))
			continue;
		if (json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:I,s:I}", "currency", e->ccy,
							"count", (json_int_t)e->count, "amount",
							(json_int_t)e->amount, "fee",
							(json_int_t)e->fee, "net",
							(json_int_t)(e->amount - e->fee))) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	return json_string((const char *)sqlite3_column_text(st, i));
}

/* The DFSP of the statement, checked within scope. */
static int resolve_dfsp(sqlite3_stmt **st, const struct stmt_query *q, char dfsp[33], char *err,
			size_t n)
{
	int rc;
	sqlite3_stmt *s = q->merchant_id ? st[Q_MERCHANT] : st[Q_DFSP];
	if ((rc = (q->merchant_id ? db_bind_text(s, ":m", q->merchant_id)
				  : db_bind_text(s, ":dfsp", q->dfsp))) < 0 ||
	    (rc = db_bind_text(s, ":scope", q->scope)) < 0 || (rc = db_step(s)) < 0)
		return rc;
	if (rc == 0) {
		snprintf(err, n, q->merchant_id ? "no such merchant" : "no such DFSP");
		return -ENOENT;
	}
	snprintf(dfsp, 33, "%s", (const char *)sqlite3_column_text(s, 0));
	db_reset(s);
	return 0;
}

int stmt_build(struct db *db, const struct stmt_query *q, json_t **out, char *err, size_t n)
{
	*out = NULL;
	err[0] = '\0';
	if (!q->dfsp == !q->merchant_id) {
		snprintf(err, n, "dfsp: one of a DFSP or a merchant expected (position 0)");
		return -EINVAL;
	}
	char today[11], from[11], to[11];
	day_text(time(NULL), today);
	if ((q->from && stmt_day_parse("from", q->from, err, n) < 0) ||
	    (q->to && stmt_day_parse("to", q->to, err, n) < 0))
		return -EINVAL;
	snprintf(from, sizeof from, "%s", q->from ? q->from : q->to ? q->to : today);
	snprintf(to, sizeof to, "%s", q->to ? q->to : from);
	time_t t0 = day_time(from), t1 = day_time(to);
	if (t1 < t0) {
		snprintf(err, n, "to: before from (position 0)");
		return -EINVAL;
	}
	long days = (long)((t1 - t0) / 86400) + 1;
	if (days > STMT_MAX_DAYS) {
		snprintf(err, n, "to: %ld days from from, at most %d (position 0)", days,
			 STMT_MAX_DAYS);
		return -EINVAL;
	}
	sqlite3_stmt **st;
	int rc = db_prepare_table(db, stmt_sql, Q__COUNT, &st, err, n);
	if (rc < 0)
		return rc;
	char dfsp[33], end[11];
	if ((rc = resolve_dfsp(st, q, dfsp, err, n)) < 0)
		return rc;
	day_text(t1 + 86400, end);

	json_t *lines = json_array();
	struct sums sums = { 0 };
	sqlite3_stmt *s = st[Q_LINES];
	if (!lines)
		return -ENOMEM;
	if ((rc = db_bind_text(s, ":dfsp", dfsp)) < 0 ||
	    (rc = db_bind_text(s, ":m", q->merchant_id)) < 0 ||
	    (rc = db_bind_text(s, ":from", from)) < 0 || (rc = db_bind_text(s, ":to", end)) < 0)
		goto fail;
	while ((rc = db_step(s)) == 1) {
		const char *dir = (const char *)sqlite3_column_text(s, 0);
		const char *day = (const char *)sqlite3_column_text(s, 1);
		const char *ccy = (const char *)sqlite3_column_text(s, 11);
		int64_t amount = sqlite3_column_int64(s, 12), fee = sqlite3_column_int64(s, 13);
		json_t *l = json_pack("{s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,"
				      "s:o}",
				      "date", col_json(s, 1), "direction", col_json(s, 0),
				      "payment_id", col_json(s, 2), "committed", col_json(s, 3),
				      "channel", col_json(s, 4), "on_us", sqlite3_column_int(s, 5),
				      "payer_dfsp", col_json(s, 6), "payer_fsp", col_json(s, 7),
				      "payee_dfsp", col_json(s, 8), "merchant_id", col_json(s, 9),
				      "till", col_json(s, 10), "currency", col_json(s, 11),
				      "amount", (json_int_t)amount, "fee", (json_int_t)fee, "net",
				      (json_int_t)(amount - fee), "transfer_id", col_json(s, 14));
		if (!l || json_array_append_new(lines, l) < 0 ||
		    (rc = sum_add(&sums, day, dir, ccy, amount, fee)) < 0 ||
		    (rc = sum_add(&sums, "", dir, ccy, amount, fee)) < 0) {
			db_reset(s);
			rc = rc < 0 ? rc : -ENOMEM;
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if (sums.n)
		qsort(sums.v, sums.n, sizeof *sums.v, sum_cmp);
	json_t *dayv = json_array();
	for (long i = 0; dayv && i < days; i++) {
		char d[11];
		day_text(t0 + (time_t)i * 86400, d);
		if (json_array_append_new(dayv, json_pack("{s:s,s:o,s:o}", "date", d, "received",
							   sums_json(&sums, d, "received"), "sent",
							   sums_json(&sums, d, "sent"))) < 0) {
			json_decref(dayv);
			dayv = NULL;
		}
	}
	json_t *j = dayv ? json_pack("{s:s,s:o,s:s,s:s,s:s,s:o,s:{s:o,s:o},s:o}", "dfsp", dfsp,
				     "merchant_id",
				     q->merchant_id ? json_string(q->merchant_id) : json_null(),
				     "from", from, "to", to, "time_zone", "UTC", "days", dayv,
				     "totals", "received", sums_json(&sums, "", "received"), "sent",
				     sums_json(&sums, "", "sent"), "lines", lines)
			 : NULL;
	free(sums.v);
	if (!j)
		return -ENOMEM;
	*out = j;
	return 0;
fail:
	json_decref(lines);
	free(sums.v);
	if (rc == -EOVERFLOW)
		snprintf(err, n, "amount: a total is over %" PRId64 " (position 0)", INT64_MAX);
	return rc;
}

char *stmt_json_text(const json_t *stmt)
{
	return json_dumps(stmt, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* One CSV field, RFC 4180: quoted when it holds a comma, a quote, CR or
 * LF, with quotes doubled. */
static void csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static const char *const csv_head[] = { "record", "date", "direction", "payment_id",
					"committed", "channel", "on_us", "payer_dfsp",
					"payer_fsp", "payee_dfsp", "merchant_id", "till",
					"currency", "count", "amount", "fee", "net",
					"transfer_id" };
#define NCOLS (sizeof csv_head / sizeof csv_head[0])

/* A member of o as CSV text into buf: strings as they are, integers in
 * decimal, true/false as 1/0, null or absent empty. */
static const char *member(const json_t *o, const char *key, char *buf, size_t n)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, n, "%d", json_is_true(v));
	else
		buf[0] = '\0';
	return buf;
}

/* One row: record, then every column from o, with date and direction
 * given (NULL: from o). */
static void csv_row(FILE *f, const char *record, const char *date, const char *dir,
		    const json_t *o)
{
	csv_field(f, record, 0);
	for (size_t i = 1; i < NCOLS; i++) {
		char buf[32];
		const char *v = i == 1 && date ? date
				: i == 2 && dir ? dir
				: i == 13 && strcmp(record, "line") == 0 ? "1"
				: member(o, csv_head[i], buf, sizeof buf);
		csv_field(f, v, i + 1 == NCOLS);
	}
}

int stmt_csv(const json_t *stmt, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < NCOLS; i++)
		csv_field(f, csv_head[i], i + 1 == NCOLS);
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(stmt, "lines"), i, v)
		csv_row(f, "line", NULL, NULL, v);
	static const char *const dirs[] = { "received", "sent" };
	const json_t *day;
	json_array_foreach(json_object_get(stmt, "days"), i, day) {
		const char *d = json_string_value(json_object_get(day, "date"));
		for (int k = 0; k < 2; k++) {
			size_t m;
			json_array_foreach(json_object_get(day, dirs[k]), m, v)
				csv_row(f, "day", d, dirs[k], v);
		}
	}
	const json_t *tot = json_object_get(stmt, "totals");
	for (int k = 0; k < 2; k++) {
		size_t m;
		json_array_foreach(json_object_get(tot, dirs[k]), m, v)
			csv_row(f, "total", "", dirs[k], v);
	}
	if (fclose(f) != 0) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}
