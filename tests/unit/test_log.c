/* test_log.c -- cmocka tests for gateway/log.c: the logfmt line, escaping
 * and log_q(), per-category levels and their grammar, test mode, the
 * timestamp, truncation, errno, log_open() and log_reopen(). */
#define _GNU_SOURCE /* timegm */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/log.h"

static char dir[512];
static char path[600];
static char buf[65536];

/* Reads the whole file at p into buf (NUL-terminated); returns its length. */
static size_t slurp(const char *p)
{
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* A fresh, empty log file as the destination, in test mode, all
 * categories at debug. */
static int fresh(void **state)
{
	(void)state;
	char err[128];
	unlink(path);
	assert_int_equal(log_open(path), 0);
	log_set_test_mode(1);
	assert_int_equal(log_set_levels("debug", err, sizeof err), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TEST_TMP"); /* set by tests/run.sh */
	snprintf(dir, sizeof dir, "%s/test_log.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/tillgate.log", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[700];
	log_open(NULL);
	unlink(path);
	snprintf(p, sizeof p, "%s.1", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void test_line_format(void **state)
{
	(void)state;
	LOGI(LC_DB, "schema migrated", "from=%d to=%d", 0, 1);
	LOGI(LC_MAIN, "stopping", NULL);
	LOGW(LC_MERCH, "status", "merchant=%s from=%s to=%s", "10000042", "DRAFT", "SUBMITTED");
	LOGE(LC_SWITCH, "unreachable", NULL);
	LOGN(LC_KYB, "tier", NULL);
	LOGD(LC_HTTP, "request", "status=%d", 200);
	slurp(path);
	assert_string_equal(buf,
			    "level=info cat=db msg=\"schema migrated\" from=0 to=1\n"
			    "level=info cat=main msg=\"stopping\"\n"
			    "level=warn cat=merchant msg=\"status\" merchant=10000042 from=DRAFT to=SUBMITTED\n"
			    "level=error cat=switch msg=\"unreachable\"\n"
			    "level=notice cat=kyb msg=\"tier\"\n"
			    "level=debug cat=http msg=\"request\" status=200\n");
}

static void test_every_category_name(void **state)
{
	(void)state;
	static const char *const names[LC__COUNT] = { "main", "cfg", "db", "http", "merchant", "kyb",
						      "audit", "ussd", "smpp", "pay", "switch" };
	char want[1024] = "";
	for (int c = 0; c < LC__COUNT; c++) {
		LOGI((enum log_cat)c, "x", NULL);
		snprintf(want + strlen(want), sizeof want - strlen(want),
			 "level=info cat=%s msg=\"x\"\n", names[c]);
	}
	slurp(path);
	assert_string_equal(buf, want);
}

static void test_msg_escaping(void **state)
{
	(void)state;
	LOGI(LC_MAIN, "say \"hi\"\nthen\\go\tnow\r\x01\x7f=end", NULL);
	LOGI(LC_MAIN, "lead\xc3\n", "f=\xc3\n");
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"say \\\"hi\\\"\\nthen\\\\go\\tnow\\r"
				 "\\u0001\\u007f=end\"\n"
				 "level=info cat=main msg=\"lead\xc3\\n\" f=\xc3\\n\n");
}

static void test_fields_cannot_split_lines(void **state)
{
	(void)state;
	/* A caller forgot log_q(): the newline must not start a new line. */
	LOGI(LC_HTTP, "req", "path=%s ok=%d", "/a\nlevel=error cat=main msg=\"forged\"", 1);
	slurp(path);
	assert_string_equal(buf, "level=info cat=http msg=\"req\" path=/a\\nlevel=error cat=main "
				 "msg=\"forged\" ok=1\n");
	char *nl = strchr(buf, '\n');
	assert_true(nl && nl[1] == '\0');
}

static void test_log_q(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(log_q(b, sizeof b, "plain"), "plain");
	assert_ptr_equal(log_q(b, sizeof b, "plain"), b);
	assert_string_equal(log_q(b, sizeof b, ""), "\"\"");
	assert_string_equal(log_q(b, sizeof b, NULL), "\"\"");
	assert_string_equal(log_q(b, sizeof b, "two words"), "\"two words\"");
	assert_string_equal(log_q(b, sizeof b, "a=b"), "\"a=b\"");
	assert_string_equal(log_q(b, sizeof b, "x\"y"), "\"x\\\"y\"");
	assert_string_equal(log_q(b, sizeof b, "back\\slash and"), "\"back\\\\slash and\"");
	assert_string_equal(log_q(b, sizeof b, "back\\slash"), "back\\slash");
	assert_string_equal(log_q(b, sizeof b, "line\nbreak"), "\"line\\nbreak\"");
	assert_string_equal(log_q(b, sizeof b, "tab\t\x02"), "\"tab\\t\\u0002\"");
	assert_string_equal(log_q(b, sizeof b, "Dar es Salaam"), "\"Dar es Salaam\"");
	assert_string_equal(log_q(b, sizeof b, "na\xc3\xafve"), "na\xc3\xafve");
	/* A stray lead byte does not hide the control byte after it. */
	assert_string_equal(log_q(b, sizeof b, "\xcd\x08 x"), "\"\xcd\\u0008 x\"");
	assert_string_equal(log_q(b, sizeof b, "\xe2\x82\n"), "\"\xe2\x82\\n\"");
}

static void test_log_q_truncation(void **state)
{
	(void)state;
	char b[8];
	/* Quoted: cut before what does not fit, then closed. */
	assert_string_equal(log_q(b, sizeof b, "a b c d e f"), "\"a b c\"");
	assert_string_equal(log_q(b, sizeof b, "ab \"cdef"), "\"ab \\\"\"");
	assert_string_equal(log_q(b, sizeof b, "abcd\"e"), "\"abcd\"");  /* \" would not fit */
	assert_string_equal(log_q(b, sizeof b, "a\xc3\xaf\xc3\xaf\xc3\xaf "), "\"a\xc3\xaf\xc3\xaf\"");
	/* Unquoted: cut at a character boundary. */
	assert_string_equal(log_q(b, sizeof b, "abcdefghij"), "abcdefg");
	assert_string_equal(log_q(b, sizeof b, "abcdef\xc3\xaf"), "abcdef");
	/* Too small to quote: empty. */
	assert_string_equal(log_q(b, 2, "a b"), "");
	assert_string_equal(log_q(b, 3, "a b"), "\"\"");
	b[0] = 'X';
	log_q(b, 0, "a b");
	assert_int_equal(b[0], 'X');
}

static void test_fields_through_log_q(void **state)
{
	(void)state;
	char q1[64], q2[64];
	LOGI(LC_MERCH, "created", "name=%s city=%s note=%s", log_q(q1, sizeof q1, "MAMA \"JUMA\" SHOP"),
	     log_q(q2, sizeof q2, "a=b"), "x");
	slurp(path);
	assert_string_equal(buf, "level=info cat=merchant msg=\"created\" name=\"MAMA \\\"JUMA\\\" SHOP\" "
				 "city=\"a=b\" note=x\n");
}

static void test_levels_per_category(void **state)
{
	(void)state;
	char err[128];
	assert_int_equal(log_set_levels("warn db=debug http=none", err, sizeof err), 0);
	assert_false(log_enabled(LC_MAIN, LOG_INFO));
	assert_true(log_enabled(LC_MAIN, LOG_WARN));
	assert_true(log_enabled(LC_MAIN, LOG_ERROR));
	assert_true(log_enabled(LC_DB, LOG_DEBUG));
	assert_false(log_enabled(LC_HTTP, LOG_ERROR));
	assert_false(log_enabled(LC_MAIN, LOG_NONE));
	assert_false(log_enabled(LC__COUNT, LOG_ERROR));

	LOGI(LC_MAIN, "hidden", NULL);
	LOGW(LC_MAIN, "shown", NULL);
	LOGD(LC_DB, "db debug", NULL);
	LOGE(LC_HTTP, "http off", NULL);
	LOGN(LC_PAY, "hidden too", NULL);
	slurp(path);
	assert_string_equal(buf, "level=warn cat=main msg=\"shown\"\n"
				 "level=debug cat=db msg=\"db debug\"\n");

	/* Spaces and tabs around words; every level name. */
	assert_int_equal(log_set_levels("  none\tmain=debug  cfg=info db=notice http=warn "
					 "kyb=error ", err, sizeof err), 0);
	assert_true(log_enabled(LC_MAIN, LOG_DEBUG));
	assert_false(log_enabled(LC_CFG, LOG_DEBUG));
	assert_true(log_enabled(LC_CFG, LOG_INFO));
	assert_false(log_enabled(LC_DB, LOG_INFO));
	assert_true(log_enabled(LC_DB, LOG_NOTICE));
	assert_false(log_enabled(LC_HTTP, LOG_NOTICE));
	assert_true(log_enabled(LC_HTTP, LOG_WARN));
	assert_false(log_enabled(LC_KYB, LOG_WARN));
	assert_true(log_enabled(LC_KYB, LOG_ERROR));
	assert_false(log_enabled(LC_SWITCH, LOG_ERROR));
}

static void test_level_tested_before_formatting(void **state)
{
	(void)state;
	char err[128];
	int calls = 0;
	assert_int_equal(log_set_levels("info", err, sizeof err), 0);
	LOGD(LC_MAIN, "x", "n=%d", ++calls);
	assert_int_equal(calls, 0);
	LOGI(LC_MAIN, "x", "n=%d", ++calls);
	assert_int_equal(calls, 1);
	/* log_msg() called directly also filters. */
	log_msg(LC_MAIN, LOG_DEBUG, "direct", NULL);
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"x\" n=1\n");
}

struct bad_spec {
	const char *spec;
	const char *msg; /* substring of the message */
};

static void test_level_spec_errors(void **state)
{
	(void)state;
	static const struct bad_spec bad[] = {
		{ "", "no level given at character 1" },
		{ "   ", "no level given at character 1" },
		{ NULL, "no level given" },
		{ "verbose", "unknown level 'verbose' at character 1" },
		{ "INFO", "unknown level 'INFO' at character 1" },
		{ "db=debug", "expected a level before the overrides, got 'db=debug' at character 1" },
		{ "info foo=debug", "unknown category 'foo' at character 6" },
		{ "info  db=loud", "unknown level 'loud' for category db at character 10" },
		{ "info db", "expected CATEGORY=LEVEL, got 'db' at character 6" },
		{ "info db=", "unknown level '' for category db at character 9" },
		{ "info =debug", "unknown category '' at character 6" },
		{ "info db=debug http=warn db=info", "category db set twice, at character 25" },
		{ "info \xc3\xa9t\xc3\xa9=x db=loud", "unknown category '\xc3\xa9t\xc3\xa9' at character 6" },
	};
	char err[160];

	assert_int_equal(log_set_levels("warn", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		assert_int_equal(log_check_levels(bad[i].spec, err, sizeof err), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("spec '%s': got '%s', want '%s'", bad[i].spec ? bad[i].spec : "(null)",
				 err, bad[i].msg);
		err[0] = '\0';
		assert_int_equal(log_set_levels(bad[i].spec, err, sizeof err), -EINVAL);
		assert_non_null(strstr(err, bad[i].msg));
		/* On error no level changes. */
		assert_false(log_enabled(LC_DB, LOG_INFO));
		assert_true(log_enabled(LC_DB, LOG_WARN));
	}
	/* log_check_levels() accepts what log_set_levels() does, changing nothing. */
	assert_int_equal(log_check_levels("debug db=none", err, sizeof err), 0);
	assert_false(log_enabled(LC_MAIN, LOG_INFO));
	/* A long bad word is cut in the message, which fits a small buffer. */
	char small[24];
	assert_int_equal(log_set_levels("info xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1",
					small, sizeof small), -EINVAL);
	assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_timestamp(void **state)
{
	(void)state;
	log_set_test_mode(0);
	/* The clock the logger reads: time() may lag it by a tick. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t t0 = ts.tv_sec;
	LOGI(LC_MAIN, "now", NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t t1 = ts.tv_sec;
	log_set_test_mode(1);
	LOGI(LC_MAIN, "test", NULL);
	slurp(path);

	/* ts=YYYY-MM-DDTHH:MM:SS.mmmZ, then the rest as in test mode. */
	assert_int_equal(strlen(buf), 28 + strlen("level=info cat=main msg=\"now\"\n") +
					  strlen("level=info cat=main msg=\"test\"\n"));
	assert_memory_equal(buf, "ts=", 3);
	const char *pat = "dddd-dd-ddTdd:dd:dd.dddZ ";
	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == 'd')
			assert_true(buf[3 + i] >= '0' && buf[3 + i] <= '9');
		else
			assert_int_equal(buf[3 + i], pat[i]);
	}
	assert_string_equal(buf + 28, "level=info cat=main msg=\"now\"\n"
				      "level=info cat=main msg=\"test\"\n");
	struct tm tm = { 0 };
	assert_int_equal(sscanf(buf + 3, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
				&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec), 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	assert_true(t >= t0 && t <= t1);
	/* The fields are in range (timegm would normalise 2026-02-30). */
	struct tm back;
	gmtime_r(&t, &back);
	assert_int_equal(back.tm_mday, tm.tm_mday);
	assert_int_equal(back.tm_mon, tm.tm_mon);
}

static void test_errno_saved(void **state)
{
	(void)state;
	char err[64];
	errno = EAGAIN;
	LOGI(LC_MAIN, "kept", NULL);
	assert_int_equal(errno, EAGAIN);
	errno = ENOENT;
	LOGI(LC_MAIN, "formatting", "e=%s", strerror(errno));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(log_set_levels("error", err, sizeof err), 0);
	errno = EINTR;
	log_msg(LC_MAIN, LOG_DEBUG, "filtered", NULL);
	assert_int_equal(errno, EINTR);
	/* A failing write (ENOSPC) neither blocks nor leaks its errno. */
	if (log_open("/dev/full") == 0) {
		errno = EBADF;
		LOGE(LC_MAIN, "lost", NULL);
		assert_int_equal(errno, EBADF);
	}
	assert_int_equal(log_open(path), 0);
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"kept\"\n"
				 "level=info cat=main msg=\"formatting\" e=No such file or directory\n");
}

static void test_long_lines_truncated(void **state)
{
	(void)state;
	static char big[10000], q[10000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';

	/* Unquoted field. */
	LOGI(LC_MAIN, "m", "v=%s", big);
	/* A long field that fits. */
	LOGI(LC_MAIN, "m", "v=%s", big + 8000);
	/* Quoted field: the cut quote is closed. */
	big[100] = ' ';
	LOGI(LC_MAIN, "m", "v=%s", log_q(q, sizeof q, big));
	/* Escapes near the cut: never a dangling backslash. */
	for (size_t i = 0; i + 1 < sizeof big; i++)
		big[i] = "\"\\ "[i % 3];
	LOGI(LC_MAIN, "m", "v=%s", log_q(q, sizeof q, big));
	/* Escaped quotes do not close the value: whichever of them the cut
	 * follows, the quote left open is closed. */
	for (size_t i = 0; i + 1 < sizeof big; i++)
		big[i] = "x\" "[i % 3];
	log_q(q, sizeof q, big);
	for (int shift = 0; shift < 4; shift++) /* every cut position modulo "x\" " */
		LOGI(LC_MAIN, "m", "%.*sv=%s", shift, "vvv", q);
	/* Too long a message. */
	memset(big, 'b', sizeof big - 1);
	LOGI(LC_MAIN, big, "after=1");

	slurp(path);
	char *line = buf;
	int n = 0;
	for (char *nl; (nl = strchr(line, '\n')); line = nl + 1, n++) {
		size_t len = (size_t)(nl - line) + 1;
		if (n == 1) {
			assert_int_equal(len, strlen("level=info cat=main msg=\"m\" v=") + 1999 + 1);
			continue;
		}
		assert_true(len <= 4096);
		const char *tail = " truncated=true\n";
		assert_memory_equal(nl + 1 - strlen(tail), tail, strlen(tail));
		/* Quotes balance: count unescaped quotes. */
		int quotes = 0;
		for (char *p = line; p < nl; p++) {
			if (*p == '\\') {
				p++;
				continue;
			}
			quotes += *p == '"';
		}
		assert_int_equal(quotes % 2, 0);
	}
	assert_int_equal(n, 9);
}

static void test_reopen(void **state)
{
	(void)state;
	char moved[700];
	snprintf(moved, sizeof moved, "%s.1", path);
	LOGI(LC_MAIN, "before", NULL);
	assert_int_equal(rename(path, moved), 0);
	LOGI(LC_MAIN, "still old", NULL); /* the descriptor follows the file */
	assert_int_equal(log_reopen(), 0);
	LOGI(LC_MAIN, "after", NULL);
	slurp(moved);
	assert_string_equal(buf, "level=info cat=main msg=\"before\"\nlevel=info cat=main msg=\"still old\"\n");
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"after\"\n");
	unlink(moved);

	/* Appends, and creates 0640. */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~(unsigned)umask(022));
	umask(022);

	/* A failed reopen keeps the old descriptor. */
	char sub[700];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	char subpath[800];
	snprintf(subpath, sizeof subpath, "%s/x.log", sub);
	assert_int_equal(log_open(subpath), 0);
	assert_int_equal(rename(subpath, path), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(log_reopen(), -ENOENT);
	LOGI(LC_MAIN, "old fd", NULL);
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"old fd\"\n");
}

static void test_open_errors_and_stderr(void **state)
{
	(void)state;
	char bad[700];
	snprintf(bad, sizeof bad, "%s/no/such/dir.log", dir);
	assert_int_equal(log_open(bad), -ENOENT);
	LOGI(LC_MAIN, "still here", NULL); /* the old destination stays */
	assert_int_equal(log_open(dir), -EISDIR);
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"still here\"\n");

	/* "-" and NULL mean stderr; reopening stderr is a no-op. */
	assert_int_equal(log_open("-"), 0);
	assert_int_equal(log_reopen(), 0);
	assert_int_equal(log_open(NULL), 0);
	assert_int_equal(log_reopen(), 0);
	int saved = dup(2), fd = open(path, O_WRONLY | O_APPEND);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	LOGI(LC_MAIN, "to stderr", NULL);
	dup2(saved, 2);
	close(saved);
	close(fd);
	slurp(path);
	assert_string_equal(buf, "level=info cat=main msg=\"still here\"\nlevel=info cat=main msg=\"to stderr\"\n");
	assert_int_equal(log_open(path), 0);
}

#define T(f) cmocka_unit_test_setup(f, fresh)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_line_format),
		T(test_every_category_name),
		T(test_msg_escaping),
		T(test_fields_cannot_split_lines),
		T(test_log_q),
		T(test_log_q_truncation),
		T(test_fields_through_log_q),
		T(test_levels_per_category),
		T(test_level_tested_before_formatting),
		T(test_level_spec_errors),
		T(test_timestamp),
		T(test_errno_saved),
		T(test_long_lines_truncated),
		T(test_reopen),
		T(test_open_errors_and_stderr),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
