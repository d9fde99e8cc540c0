/* test_cfg.c -- cmocka tests for gateway/cfg.c: defaults, the grammar and
 * quoting, every error kind with its file:line, error collection,
 * overrides, the -c/--set command line, file reading, the logger set-up,
 * and that data/tillgate.conf.example and docs/configuration.md list
 * exactly the keys of cfg.def. Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/cfg.h"
#include "gateway/log.h"

#define EXAMPLE "data/tillgate.conf.example"
#define DOCS "docs/configuration.md"

/* A string literal as an argv element (-Wwrite-strings makes them const). */
#define A(s) ((char *)(uintptr_t)(s))

static char dir[512];

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TEST_TMP"); /* set by tests/run.sh */
	snprintf(dir, sizeof dir, "%s/test_cfg.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes len bytes of text to dir/name; returns the path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[700];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Defaults, then text (len bytes, or strlen if len is 0) as "t.conf". */
static int load(struct cfg *c, struct cfg_diag *d, const char *text, size_t len)
{
	assert_int_equal(cfg_defaults(c), 0);
	return cfg_load_buf(c, "t.conf", text, len ? len : strlen(text), d);
}

static void test_defaults(void **state)
{
	(void)state;
	struct cfg c;
	assert_int_equal(cfg_defaults(&c), 0);
	assert_string_equal(c.gateway_data_dir, "./var");
	assert_string_equal(c.gateway_listen, "127.0.0.1:8080");
	assert_string_equal(c.gateway_currency, "TZS");
	assert_string_equal(c.gateway_country, "TZ");
	assert_string_equal(c.gateway_log_level, "info");
	assert_string_equal(c.gateway_log_file, "-");
	assert_true(c.gateway_log_timestamps);
	assert_int_equal(c.gateway_shutdown_grace_s, 10);
	assert_int_equal(c.http_max_body_bytes, 1048576);
	assert_int_equal(c.http_max_connections, 256);
	assert_int_equal(c.http_request_timeout_s, 30);
	assert_string_equal(c.merchant_id_scheme, "sequential");
	assert_int_equal(c.merchant_merchant_id_digits, 8);
	assert_int_equal(c.merchant_till_digits, 7);
	assert_int_equal(c.merchant_max_document_bytes, 5242880);
	assert_int_equal(c.qr_account_tag, 26);
	assert_string_equal(c.qr_gui, "org.tillgate");
	assert_string_equal(c.kyb_tiers_file, "");
	cfg_free(&c);
	assert_null(c.gateway_listen);
	cfg_free(&c); /* twice is fine */
	cfg_free(NULL);
	cfg_diag_free(NULL);

	/* An empty file changes nothing. */
	struct cfg_diag d = { 0 };
	assert_int_equal(load(&c, &d, "", 0), 0);
	assert_int_equal(cfg_load_buf(&c, "t.conf", "", 0, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.gateway_listen, "127.0.0.1:8080");
	cfg_free(&c);
}

static void test_key_table(void **state)
{
	(void)state;
	assert_true(cfg_nkeys >= 18);
	const struct cfg_key *k = cfg_key_find("http", "max_connections");
	assert_non_null(k);
	assert_int_equal(k->type, CFG_T_INT);
	assert_int_equal(k->min, 1);
	assert_int_equal(k->max, 100000);
	assert_string_equal(k->def, "256");
	k = cfg_key_find("merchant", "id_scheme");
	assert_non_null(k);
	assert_string_equal(k->values, "sequential|random");
	assert_string_equal(cfg_type_name(k->type), "enum");
	assert_string_equal(cfg_key_find("gateway", "log_timestamps")->def, "true");
	assert_null(cfg_key_find("gateway", "max_connections"));
	assert_null(cfg_key_find("nope", "listen"));
	assert_null(cfg_key_find(NULL, "listen"));
	assert_string_equal(cfg_type_name(CFG_T_STR), "string");
	assert_string_equal(cfg_type_name(CFG_T_INT), "integer");
	assert_string_equal(cfg_type_name(CFG_T_BOOL), "boolean");
	for (size_t i = 0; i < cfg_nkeys; i++) {
		assert_true(cfg_keys[i].doc[0] != '\0');
		assert_null(strchr(cfg_keys[i].doc, '\n'));
		for (size_t j = 0; j < i; j++)
			assert_false(strcmp(cfg_keys[i].section, cfg_keys[j].section) == 0 &&
				     strcmp(cfg_keys[i].name, cfg_keys[j].name) == 0);
	}
}

static void test_grammar_and_quoting(void **state)
{
	(void)state;
	static const char text[] =
		"\xef\xbb\xbf# a comment\r\n"
		"; another comment\r\n"
		"   \t \r\n"
		"  # indented comment\n"
		"[ gateway ]\r\n"
		"data_dir = \"  spaced \\\"q\\\" \\\\ back \"  \t\r\n"
		"log_file=   /tmp/a # not a comment   \r\n"
		"\tcountry\t=\tKE\t\n"
		"log_level = info db=debug\n"
		"listen = [::1]:9000\n"
		"log_timestamps = OFF\n"
		"[kyb]\n"
		"tiers_file = a\"b\"c\n"
		"[gateway]\n"
		"currency = \"KES\"\n"

		"[http]\n"
		"max_connections = 0012\n"
		"request_timeout_s = 3600\n"
		"[merchant]\n"
		"id_scheme=random\n"
		"[qr]\n"
		"gui = a-b.org\n"
		"account_tag = 51"; /* no newline at the end */
	struct cfg c;
	struct cfg_diag d = { 0 };
	if (load(&c, &d, text, sizeof text - 1) != 0)
		fail_msg("%d errors, first: %s", d.n, d.v[0].text);
	assert_string_equal(c.gateway_data_dir, "  spaced \"q\" \\ back ");
	assert_string_equal(c.gateway_log_file, "/tmp/a # not a comment");
	assert_string_equal(c.gateway_country, "KE");
	assert_string_equal(c.gateway_log_level, "info db=debug");
	assert_string_equal(c.gateway_listen, "[::1]:9000");
	assert_false(c.gateway_log_timestamps);
	assert_string_equal(c.kyb_tiers_file, "a\"b\"c"); /* quotes inside an unquoted value are kept */
	assert_string_equal(c.gateway_currency, "KES");
	assert_int_equal(c.http_max_connections, 12);
	assert_int_equal(c.http_request_timeout_s, 3600);
	assert_string_equal(c.merchant_id_scheme, "random");
	assert_string_equal(c.qr_gui, "a-b.org");
	assert_int_equal(c.qr_account_tag, 51);
	/* A quoted empty value; a lone quote is an unclosed one. */
	assert_int_equal(cfg_load_buf(&c, "u.conf", "[kyb]\ntiers_file = \"\"\n", 22, &d), 0);
	assert_string_equal(c.kyb_tiers_file, "");
	assert_int_equal(cfg_load_buf(&c, "u.conf", "[kyb]\ntiers_file = \"\n", 21, &d), -EBADMSG);
	assert_int_equal(d.n, 1);
	cfg_diag_free(&d);
	cfg_free(&c);
}

static void test_booleans_and_integers(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		bool want;
	} b[] = { { "true", 1 }, { "yes", 1 }, { "on", 1 }, { "1", 1 }, { "TRUE", 1 },
		  { "false", 0 }, { "no", 0 }, { "off", 0 }, { "0", 0 }, { "No", 0 } };
	char text[128];
	struct cfg c;
	struct cfg_diag d = { 0 };
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
		snprintf(text, sizeof text, "[gateway]\nlog_timestamps = %s\n", b[i].v);
		assert_int_equal(load(&c, &d, text, 0), 0);
		assert_int_equal(c.gateway_log_timestamps, b[i].want);
		cfg_free(&c);
	}
	/* Each bound and the values just inside. */
	static const char *const ok[] = { "shutdown_grace_s = 0", "shutdown_grace_s = 3600",
					  "shutdown_grace_s = -0" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof text, "[gateway]\n%s\n", ok[i]);
		assert_int_equal(load(&c, &d, text, 0), 0);
		cfg_free(&c);
	}
	assert_int_equal(load(&c, &d, "[merchant]\nmerchant_id_digits=6\ntill_digits=12\n", 0), 0);
	assert_int_equal(c.merchant_merchant_id_digits, 6);
	assert_int_equal(c.merchant_till_digits, 12);
	cfg_free(&c);
	assert_int_equal(d.n, 0);
}

struct bad {
	const char *text;
	size_t len;       /* 0: strlen */
	int line;
	int col;          /* 0: not checked */
	const char *msg;  /* substring of the text after "t.conf:LINE: " */
};

static void check_bad(const struct bad *b)
{
	struct cfg c;
	struct cfg_diag d = { 0 };
	char head[32];
	int r = load(&c, &d, b->text, b->len);
	if (r != -EBADMSG || d.n != 1)
		fail_msg("input %s: r=%d, %d errors (%s)", b->text, r, d.n, d.n ? d.v[0].text : "");
	snprintf(head, sizeof head, "t.conf:%d: ", b->line);
	if (strncmp(d.v[0].text, head, strlen(head)) != 0 || !strstr(d.v[0].text, b->msg))
		fail_msg("got '%s', want '%s' ... '%s'", d.v[0].text, head, b->msg);
	assert_int_equal(d.v[0].line, b->line);
	if (b->col)
		assert_int_equal(d.v[0].col, b->col);
	assert_null(strchr(d.v[0].text, '\n'));
	cfg_diag_free(&d);
	assert_int_equal(d.n, 0);
	cfg_free(&c);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	static const struct bad bad[] = {
		{ "[gateway]\nfoo = 1\n", 0, 2, 1, "unknown key 'foo' in section [gateway]" },
		{ "[gateway]\nmax_connections = 1\n", 0, 2, 1,
		  "unknown key 'max_connections' in section [gateway]" },
		{ "[nope]\nfoo = 1\nbar = 2\n", 0, 1, 2, "unknown section [nope]" },
		{ "\n\n[gateway]\nlisten = 127.0.0.1:1\n\nlisten = 127.0.0.1:2\n", 0, 6, 1,
		  "duplicate key 'listen' in section [gateway] (first set at line 4)" },
		{ "[gateway]\nlog_level = info\n[http]\n[gateway]\nlog_level = info\n", 0, 5, 1,
		  "duplicate key 'log_level' in section [gateway] (first set at line 2)" },
		{ "# top\nlisten = 127.0.0.1:1\n", 0, 2, 1, "key 'listen' is outside any section" },
		{ "[gateway\nlisten = x\n", 0, 1, 9, "missing ']' at column 9 in section header" },
		{ "  [gateway] x\n", 0, 1, 13, "unexpected text at column 13 after ']'" },
		{ "[gateway]]\n", 0, 1, 10, "unexpected text at column 10 after ']'" },
		{ "[ ]\n", 0, 1, 1, "empty section name" },
		{ "[gateway]\n  just words\n", 0, 2, 3, "expected 'key = value', '[section]' or a comment" },
		{ "[gateway]\n = 1\n", 0, 2, 2, "missing key before '='" },
		{ "[qr]\ngui = \"org.x\n", 0, 2, 7, "key 'gui' in section [qr]: missing closing '\"' "
		  "(quote opened at column 7)" },
		{ "[qr]\ngui = \"org.x\\\"\n", 0, 2, 0, "missing closing '\"'" },
		{ "[qr]\ngui = \"org.\\n\"\n", 0, 2, 12, "key 'gui' in section [qr]: unknown escape '\\n' "
		  "at column 12" },
		{ "[qr]\ngui = \"org.x\" y\n", 0, 2, 15, "key 'gui' in section [qr]: unexpected text at "
		  "column 15 after the closing quote" },
		{ "[qr]\ngui = \"a\" \"b\"\n", 0, 2, 11, "after the closing quote" },
		{ "[qr]\ngui = org.\xff\n", 0, 2, 11, "invalid UTF-8 at column 11" },
		{ "[qr]\ngui = org.\xc0\xaf\n", 0, 2, 11, "invalid UTF-8 at column 11" },      /* overlong */
		{ "[qr]\ngui = a.\xe0\x80\xaf\n", 0, 2, 9, "invalid UTF-8 at column 9" },      /* overlong */
		{ "[qr]\ngui = a.\xf0\x80\x80\xaf\n", 0, 2, 9, "invalid UTF-8 at column 9" },  /* overlong */
		{ "[qr]\ngui = \xed\xa0\x80.org\n", 0, 2, 7, "invalid UTF-8 at column 7" },    /* surrogate */
		{ "[qr]\ngui = \xf4\x90\x80\x80.org\n", 0, 2, 7, "invalid UTF-8 at column 7" }, /* > U+10FFFF */
		{ "[qr]\ngui = a.\xe2\x82\n", 0, 2, 9, "invalid UTF-8 at column 9" },          /* cut */
		{ "[q\xe9r]\n", 0, 1, 3, "invalid UTF-8 at column 3" },
		{ "[qr]\ngui = org\0x\n", 15, 2, 10, "NUL byte at column 10" },
		{ "\0", 1, 1, 1, "NUL byte at column 1" },
		{ "[qr]\ngui = org\x01x\n", 0, 2, 10, "control character 0x01 at column 10" },
		{ "[qr]\ngui = org\rx\n", 0, 2, 10, "control character 0x0d at column 10" },
		{ "[qr]\x1b[0m\n", 0, 1, 5, "control character 0x1b at column 5" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_bad(&bad[i]);
}

static void test_value_errors(void **state)
{
	(void)state;
	static const struct bad bad[] = {
		{ "[http]\nmax_connections = 12a\n", 0, 2, 19,
		  "key 'max_connections' in section [http]: '12a' is not an integer" },
		{ "[http]\nmax_connections =\n", 0, 2, 0, "'' is not an integer" },
		{ "[http]\nmax_connections = +5\n", 0, 2, 0, "'+5' is not an integer" },
		{ "[http]\nmax_connections = 0x10\n", 0, 2, 0, "'0x10' is not an integer" },
		{ "[http]\nmax_connections = 1 000\n", 0, 2, 0, "'1 000' is not an integer" },
		{ "[http]\nmax_connections = 0\n", 0, 2, 0,
		  "key 'max_connections' in section [http]: 0 is out of range (1..100000)" },
		{ "[http]\nmax_connections = 100001\n", 0, 2, 0, "100001 is out of range (1..100000)" },
		{ "[http]\nmax_connections = -1\n", 0, 2, 0, "-1 is out of range" },
		{ "[http]\nmax_connections = 99999999999999999999\n", 0, 2, 0,
		  "99999999999999999999 is out of range" },
		{ "[merchant]\nmerchant_id_digits = 5\n", 0, 2, 0, "5 is out of range (6..12)" },
		{ "[merchant]\ntill_digits = 13\n", 0, 2, 0, "13 is out of range (5..12)" },
		{ "[qr]\naccount_tag = 25\n", 0, 2, 0, "key 'account_tag' in section [qr]: 25 is out of range (26..51)" },
		{ "[qr]\naccount_tag = 52\n", 0, 2, 0, "52 is out of range (26..51)" },
		{ "[gateway]\nshutdown_grace_s = 3601\n", 0, 2, 0, "3601 is out of range (0..3600)" },
		{ "[gateway]\nlog_timestamps = maybe\n", 0, 2, 0,
		  "key 'log_timestamps' in section [gateway]: 'maybe' is not a boolean" },
		{ "[gateway]\nlog_timestamps =\n", 0, 2, 0, "'' is not a boolean" },
		{ "[merchant]\nid_scheme = Random\n", 0, 2, 0,
		  "key 'id_scheme' in section [merchant]: 'Random' is not one of sequential/random" },
		{ "[merchant]\nid_scheme = seq\n", 0, 2, 0, "'seq' is not one of" },
		{ "[gateway]\nlisten = localhost\n", 0, 2, 0,
		  "key 'listen' in section [gateway]: 'localhost' is not host:port or [IPv6]:port" },
		{ "[gateway]\nlisten = 127.0.0.1:99999\n", 0, 2, 0, "port '99999' is not a number from 0 to 65535" },
		{ "[gateway]\nlisten = ::1:8080\n", 0, 2, 0, "an IPv6 address needs brackets" },
		{ "[gateway]\ncurrency = XYZ\n", 0, 2, 0,
		  "key 'currency' in section [gateway]: 'XYZ' is not an ISO 4217 alphabetic currency code" },
		{ "[gateway]\ncurrency = tzs\n", 0, 2, 0, "'tzs' is not an ISO 4217" },
		{ "[gateway]\ncountry = TZA\n", 0, 2, 0,
		  "key 'country' in section [gateway]: 'TZA' is not an ISO 3166-1 alpha-2 country code" },
		{ "[gateway]\ncountry = tz\n", 0, 2, 0, "'tz' is not an ISO 3166-1" },
		{ "[gateway]\nlog_level = info db=loud\n", 0, 2, 0,
		  "key 'log_level' in section [gateway]: unknown level 'loud' for category db at character 9" },
		{ "[gateway]\nlog_level =\n", 0, 2, 0, "no level given" },
		{ "[gateway]\ndata_dir = \"\"\n", 0, 2, 0, "key 'data_dir' in section [gateway]: must not be empty" },
		{ "[gateway]\nlog_file =\n", 0, 2, 0, "key 'log_file' in section [gateway]: must not be empty" },
		{ "[qr]\ngui = org.tillgate.example.payments.xyz\n", 0, 2, 0,
		  "key 'gui' in section [qr]: 'org.tillgate.example.payments.xyz' is longer than 32 characters" },
		{ "[qr]\ngui = tillgate\n", 0, 2, 0, "'tillgate' is not a reverse domain name" },
		{ "[qr]\ngui = org..tillgate\n", 0, 2, 0, "is not a reverse domain name" },
		{ "[qr]\ngui = org.till gate\n", 0, 2, 0, "is not a reverse domain name" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_bad(&bad[i]);

	/* A value longer than 4096 bytes; the message does not echo it whole. */
	static char text[6000];
	int n = snprintf(text, sizeof text, "[kyb]\ntiers_file = ");
	memset(text + n, 'x', 5000);
	memcpy(text + n + 5000, "\n", 2);
	struct bad long_value = { text, 0, 2, 0, "key 'tiers_file' in section [kyb]: value longer than 4096 bytes" };
	check_bad(&long_value);
}

static void test_listen_forms(void **state)
{
	(void)state;
	static const char *const good[] = { "127.0.0.1:8080", "0.0.0.0:1", "localhost:65535",
					    "api-1.example.org:443", "[::1]:8080", "[::]:80",
					    "[2001:db8::1]:8443", "[::ffff:10.0.0.1]:80", "127.0.0.1:0" };
	static const char *const bad[] = { "[::1]8080", "[::1]", "::1:8080", "host:65536",
					   "host:", ":80", "256.1.1.1:80", "1.2.3:80", "-bad:80",
					   "bad-.x:80", "[zz]:80", "host:08x", "host:+80", "a_b:80",
					   "[::1]:", "host:123456", "host name:80" };
	char text[128];
	struct cfg c;
	struct cfg_diag d = { 0 };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(text, sizeof text, "[gateway]\nlisten = %s\n", good[i]);
		if (load(&c, &d, text, 0) != 0)
			fail_msg("%s: %s", good[i], d.v[0].text);
		assert_string_equal(c.gateway_listen, good[i]);
		cfg_free(&c);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "[gateway]\nlisten = %s\n", bad[i]);
		if (load(&c, &d, text, 0) != -EBADMSG)
			fail_msg("%s accepted", bad[i]);
		assert_int_equal(d.n, 1);
		assert_non_null(strstr(d.v[0].text, "t.conf:2: key 'listen' in section [gateway]: "));
		cfg_diag_free(&d);
		cfg_free(&c);
	}
}

static void test_all_errors_collected(void **state)
{
	(void)state;
	static const char text[] =
		"[gateway]\n"              /* 1 */
		"listen = nope\n"          /* 2 error */
		"currency = KES\n"         /* 3 ok: still applied */
		"bogus = 1\n"              /* 4 error */
		"[http\n"                  /* 5 error; its keys skipped */
		"max_connections = x\n"    /* 6 skipped */
		"[http]\n"                 /* 7 */
		"max_connections = 0\n"    /* 8 error */
		"max_body_bytes = 2048\n"  /* 9 ok */
		"[other]\n"                /* 10 error */
		"a = 1\n"                  /* 11 skipped */
		"[qr]\n"                   /* 12 */
		"gui = \"x\n"              /* 13 error */
		"gui = org.x\n"            /* 14 error: duplicate of 13 */
		"zz\n";                    /* 15 error */
	static const int lines[] = { 2, 4, 5, 8, 10, 13, 14, 15 };
	struct cfg c;
	struct cfg_diag d = { 0 };
	assert_int_equal(load(&c, &d, text, 0), -EBADMSG);
	assert_int_equal(d.n, 8);
	assert_int_equal(d.dropped, 0);
	for (int i = 0; i < d.n; i++) {
		char head[32];
		assert_int_equal(d.v[i].line, lines[i]);
		snprintf(head, sizeof head, "t.conf:%d: ", lines[i]);
		assert_memory_equal(d.v[i].text, head, strlen(head));
	}
	assert_string_equal(c.gateway_currency, "KES");
	assert_int_equal(c.http_max_body_bytes, 2048);
	assert_int_equal(c.http_max_connections, 256);

	/* A second load appends to the same diag. */
	assert_int_equal(cfg_load_buf(&c, "u.conf", "x\n", 2, &d), -EBADMSG);
	assert_int_equal(d.n, 9);
	assert_string_equal(d.v[8].text, "u.conf:1: expected 'key = value', '[section]' or a comment");

	/* What check-config prints. */
	FILE *f = tmpfile();
	assert_non_null(f);
	cfg_diag_print(&d, f);
	rewind(f);
	char line[256];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	assert_int_equal(n, 9);
	cfg_diag_free(&d);
	cfg_free(&c);

	/* A NULL diag only counts. */
	assert_int_equal(load(&c, NULL, text, 0), -EBADMSG);
	cfg_free(&c);
}

static void test_too_many_errors(void **state)
{
	(void)state;
	static char text[4096];
	size_t n = (size_t)snprintf(text, sizeof text, "[gateway]\n");
	for (int i = 0; i < 150; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "x%d\n", i);
	struct cfg c;
	struct cfg_diag d = { 0 };
	assert_int_equal(load(&c, &d, text, 0), -EBADMSG);
	assert_int_equal(d.n, CFG_MAX_ERRORS);
	assert_int_equal(d.dropped, 50);
	assert_int_equal(d.v[99].line, 101);
	FILE *f = tmpfile();
	assert_non_null(f);
	cfg_diag_print(&d, f);
	fseek(f, -40, SEEK_END);
	char tail[64] = "";
	size_t r = fread(tail, 1, sizeof tail - 1, f);
	tail[r] = '\0';
	fclose(f);
	assert_non_null(strstr(tail, "\n50 more errors not shown\n"));
	cfg_diag_free(&d);
	cfg_free(&c);
}

static void test_overrides(void **state)
{
	(void)state;
	struct cfg c;
	struct cfg_diag d = { 0 };
	assert_int_equal(load(&c, &d, "[http]\nmax_connections = 10\n", 0), 0);
	assert_int_equal(cfg_set(&c, "http.max_connections=20", &d), 0);
	assert_int_equal(c.http_max_connections, 20);
	assert_int_equal(cfg_set(&c, "http.max_connections=30", &d), 0); /* later wins */
	assert_int_equal(c.http_max_connections, 30);
	assert_int_equal(cfg_set(&c, "gateway.log_level=info db=debug", &d), 0);
	assert_string_equal(c.gateway_log_level, "info db=debug");
	assert_int_equal(cfg_set(&c, "kyb.tiers_file=", &d), 0);
	assert_string_equal(c.kyb_tiers_file, "");
	assert_int_equal(cfg_set(&c, "qr.gui=org.x  ", &d), -EBADMSG); /* taken as is */
	assert_int_equal(cfg_set(&c, "gateway.log_timestamps=no", &d), 0);
	assert_false(c.gateway_log_timestamps);
	assert_int_equal(d.n, 1);
	cfg_diag_free(&d);

	static const struct {
		const char *arg, *text;
	} bad[] = {
		{ "nodot=1", "--set: 'nodot=1' is not section.key=value" },
		{ "http.max_connections", "--set: 'http.max_connections' is not section.key=value" },
		{ ".x=1", "--set: '.x=1' is not section.key=value" },
		{ "http.=1", "--set: 'http.=1' is not section.key=value" },
		{ "nope.x=1", "--set nope.x: unknown section [nope]" },
		{ "http.nope=1", "--set http.nope: unknown key 'nope' in section [http]" },
		{ "http.max_connections=0",
		  "--set http.max_connections: key 'max_connections' in section [http]: 0 is out of range (1..100000)" },
		{ "gateway.country= TZ", "--set gateway.country: key 'country' in section [gateway]: ' TZ' is not" },
		{ "qr.gui=\xff", "--set: invalid UTF-8 or control character at byte 8" },
		{ "qr.gui=a\nb", "--set: invalid UTF-8 or control character at byte 9" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(cfg_set(&c, bad[i].arg, &d), -EBADMSG);
		assert_int_equal(d.n, 1);
		if (strncmp(d.v[0].text, bad[i].text, strlen(bad[i].text)) != 0)
			fail_msg("got '%s', want '%s'", d.v[0].text, bad[i].text);
		assert_int_equal(d.v[0].line, 0);
		cfg_diag_free(&d);
	}
	assert_int_equal(c.http_max_connections, 30);
	cfg_free(&c);
}

static void test_example_loads(void **state)
{
	(void)state;
	struct cfg c;
	struct cfg_diag d = { 0 };
	assert_int_equal(cfg_defaults(&c), 0);
	int r = cfg_load_file(&c, EXAMPLE, &d);
	if (r != 0)
		fail_msg("%s: %d, %s", EXAMPLE, r, d.n ? d.v[0].text : "");
	/* make run uses it: loopback only, state under ./var. */
	assert_string_equal(c.gateway_data_dir, "./var");
	assert_memory_equal(c.gateway_listen, "127.0.0.1:", 10);
	cfg_free(&c);
}

/* Looks section.key up in cfg_keys; -1 if absent. */
static int key_idx(const char *section, const char *key)
{
	for (size_t i = 0; i < cfg_nkeys; i++)
		if (strcmp(cfg_keys[i].section, section) == 0 && strcmp(cfg_keys[i].name, key) == 0)
			return (int)i;
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Read independently of cfg.c: every "key =" line of the example, under
 * its [section], must be a key of cfg.def, and each key must be there
 * exactly once. */
static void test_example_lists_every_key(void **state)
{
	(void)state;
	FILE *f = fopen(EXAMPLE, "r");
	assert_non_null(f);
	int count[256] = { 0 };
	char line[1024], section[64] = "";
	int lineno = 0;
	assert_true(cfg_nkeys <= 256);
	while (fgets(line, sizeof line, f)) {
		char *s = trim(line);
		lineno++;
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			assert_non_null(e);
			*e = '\0';
			snprintf(section, sizeof section, "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		assert_non_null(eq);
		*eq = '\0';
		int k = key_idx(section, trim(s));
		if (k < 0)
			fail_msg("%s:%d: [%s] %s is not in cfg.def", EXAMPLE, lineno, section, trim(s));
		count[k]++;
	}
	fclose(f);
	for (size_t i = 0; i < cfg_nkeys; i++)
		if (count[i] != 1)
			fail_msg("%s sets [%s] %s %d times, not once", EXAMPLE, cfg_keys[i].section,
				 cfg_keys[i].name, count[i]);
}

/* The table under "## Keys" has one row per key, with its section, key,
 * type, default, range (integers, enums, booleans) and description as in
 * cfg.def. */
static void test_docs_list_every_key(void **state)
{
	(void)state;
	FILE *f = fopen(DOCS, "r");
	assert_non_null(f);
	int count[256] = { 0 }, in_keys = 0, rows = 0;
	assert_true(cfg_nkeys <= 256);
	char line[2048];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "## ", 3) == 0) {
			in_keys = strcmp(trim(line), "## Keys") == 0;
			continue;
		}
		if (!in_keys || strncmp(line, "| ", 2) != 0 || strncmp(line, "| section ", 10) == 0)
			continue;
		char *col[6], *p = line + 1;
		int n = 0;
		for (char *bar; n < 6 && (bar = strstr(p, " |")); p = bar + 2)
			*bar = '\0', col[n++] = trim(p);
		assert_int_equal(n, 6);
		rows++;
		char key[64];
		size_t kl = strlen(col[1]);
		assert_true(kl > 2 && col[1][0] == '`' && col[1][kl - 1] == '`' && kl < sizeof key);
		snprintf(key, sizeof key, "%.*s", (int)kl - 2, col[1] + 1);
		int k = key_idx(col[0], key);
		if (k < 0)
			fail_msg("%s: [%s] %s is not in cfg.def", DOCS, col[0], key);
		const struct cfg_key *ck = &cfg_keys[k];
		count[k]++;
		assert_string_equal(col[2], cfg_type_name(ck->type));
		char want[256];
		if (ck->def[0])
			snprintf(want, sizeof want, "`%s`", ck->def);
		else
			snprintf(want, sizeof want, "(empty)");
		if (strcmp(col[3], want) != 0)
			fail_msg("%s: [%s] %s default %s, cfg.def %s", DOCS, col[0], key, col[3], want);
		if (ck->type == CFG_T_INT) {
			snprintf(want, sizeof want, "%lld..%lld", ck->min, ck->max);
			assert_string_equal(col[4], want);
		} else if (ck->type == CFG_T_ENUM) {
			snprintf(want, sizeof want, "%s", ck->values);
			for (char *b; (b = strchr(want, '|'));) {
				memmove(b + 2, b + 1, strlen(b + 1) + 1);
				b[0] = ',', b[1] = ' ';
			}
			assert_string_equal(col[4], want);
		} else if (ck->type == CFG_T_BOOL) {
			assert_string_equal(col[4], "true, false");
		}
		if (strcmp(col[5], ck->doc) != 0)
			fail_msg("%s: [%s] %s description differs from cfg.def:\n  %s\n  %s", DOCS,
				 col[0], key, col[5], ck->doc);
	}
	fclose(f);
	assert_int_equal(rows, (int)cfg_nkeys);
	for (size_t i = 0; i < cfg_nkeys; i++)
		if (count[i] != 1)
			fail_msg("%s lists [%s] %s %d times, not once", DOCS, cfg_keys[i].section,
				 cfg_keys[i].name, count[i]);
}

static void test_load_file_errors(void **state)
{
	(void)state;
	struct cfg c;
	struct cfg_diag d = { 0 };
	char p[700];
	assert_int_equal(cfg_defaults(&c), 0);

	snprintf(p, sizeof p, "%s/missing.conf", dir);
	assert_int_equal(cfg_load_file(&c, p, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 0);
	char want[800];
	snprintf(want, sizeof want, "%s: cannot read: No such file or directory", p);
	assert_string_equal(d.v[0].text, want);
	cfg_diag_free(&d);

	assert_int_equal(cfg_load_file(&c, dir, &d), -EISDIR);
	snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
	assert_string_equal(d.v[0].text, want);
	cfg_diag_free(&d);

	/* Just over 1 MiB of comments. */
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big);
	assert_non_null(text);
	memset(text, '#', big);
	text[big - 1] = '\n';
	const char *path = write_file("big.conf", text, big);
	assert_int_equal(cfg_load_file(&c, path, &d), -EFBIG);
	assert_non_null(strstr(d.v[0].text, ": file is larger than 1048576 bytes"));
	cfg_diag_free(&d);
	/* Exactly 1 MiB is fine. */
	path = write_file("max.conf", text + 1, big - 1);
	assert_int_equal(cfg_load_file(&c, path, &d), 0);
	free(text);

	/* The FILE part of each message is the path as given. */
	path = write_file("bad.conf", "[http]\nmax_connections = many\n", 30);
	assert_int_equal(cfg_load_file(&c, path, &d), -EBADMSG);
	snprintf(want, sizeof want, "%s:2: key 'max_connections' in section [http]: 'many' is not an integer", path);
	assert_string_equal(d.v[0].text, want);
	cfg_diag_free(&d);
	cfg_free(&c);
}

static void test_from_args(void **state)
{
	(void)state;
	struct cfg c;
	struct cfg_diag d = { 0 };
	const char *file = "unset";
	char *argv[] = { A("serve"), A("-c"), A(EXAMPLE), A("--foreground"), A("--set"), A("http.max_connections=7"),
			 A("x"), A("--set=gateway.country=KE"), A("--"), A("--set"), A("y"), NULL };
	int argc = 11;
	assert_int_equal(cfg_from_args(&c, &argc, argv, &file, &d), 0);
	assert_string_equal(file, EXAMPLE);
	assert_int_equal(argc, 6);
	assert_string_equal(argv[0], "serve");
	assert_string_equal(argv[1], "--foreground");
	assert_string_equal(argv[2], "x");
	assert_string_equal(argv[3], "--");
	assert_string_equal(argv[4], "--set");
	assert_string_equal(argv[5], "y");
	assert_null(argv[6]);
	assert_int_equal(c.http_max_connections, 7);
	assert_string_equal(c.gateway_country, "KE");
	assert_int_equal(d.n, 0);
	cfg_free(&c);

	/* The other spellings; no file means defaults. */
	char *a2[] = { A("db"), A("check"), A("--config=" EXAMPLE), NULL };
	argc = 3;
	assert_int_equal(cfg_from_args(&c, &argc, a2, &file, &d), 0);
	assert_string_equal(file, EXAMPLE);
	assert_int_equal(argc, 2);
	cfg_free(&c);
	char *a3[] = { A("db"), A("-c" EXAMPLE), NULL };
	argc = 2;
	assert_int_equal(cfg_from_args(&c, &argc, a3, &file, &d), 0);
	assert_string_equal(file, EXAMPLE);
	cfg_free(&c);
	char *a4[] = { A("db"), A("--config"), A(EXAMPLE), NULL };
	argc = 3;
	assert_int_equal(cfg_from_args(&c, &argc, a4, NULL, &d), 0);
	assert_int_equal(argc, 1);
	cfg_free(&c);
	char *a5[] = { A("apikey"), A("create"), A("--set"), A("qr.account_tag=30"), NULL };
	argc = 4;
	assert_int_equal(cfg_from_args(&c, &argc, a5, &file, &d), 0);
	assert_null(file);
	assert_int_equal(c.qr_account_tag, 30);
	assert_string_equal(c.gateway_listen, "127.0.0.1:8080");
	assert_int_equal(argc, 2);
	cfg_free(&c);
	/* -c after "--" is not ours. */
	char *a6[] = { A("x"), A("--"), A("-c"), A("f"), NULL };
	argc = 4;
	assert_int_equal(cfg_from_args(&c, &argc, a6, &file, &d), 0);
	assert_null(file);
	assert_int_equal(argc, 4);
	cfg_free(&c);
	assert_int_equal(d.n, 0);
}

static void test_from_args_errors(void **state)
{
	(void)state;
	static const struct {
		int argc;
		const char *argv[6];
		int r;
		const char *text;
	} bad[] = {
		{ 2, { "serve", "-c" }, -EINVAL, "option -c needs a FILE" },
		{ 2, { "serve", "--config" }, -EINVAL, "option --config needs a FILE" },
		{ 3, { "serve", "x", "--set" }, -EINVAL, "option --set needs section.key=value" },
		{ 5, { "serve", "-c", "a", "--config=b" }, -EINVAL, "-c FILE given twice" },
		{ 3, { "serve", "--set", "nodot=1" }, -EINVAL, "--set needs section.key=value, got 'nodot=1'" },
		{ 2, { "serve", "--set=a.b" }, -EINVAL, "--set needs section.key=value, got 'a.b'" },
		{ 3, { "serve", "-c", "/nonexistent/t.conf" }, -ENOENT,
		  "/nonexistent/t.conf: cannot read: No such file or directory" },
		{ 3, { "serve", "--set", "http.nope=1" }, -EBADMSG,
		  "--set http.nope: unknown key 'nope' in section [http]" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct cfg c;
		struct cfg_diag d = { 0 };
		char *argv[7] = { 0 };
		int argc = bad[i].argc;
		for (int k = 0; k < argc; k++)
			argv[k] = A(bad[i].argv[k]);
		assert_int_equal(cfg_from_args(&c, &argc, argv, NULL, &d), bad[i].r);
		assert_int_equal(d.n, 1);
		assert_string_equal(d.v[0].text, bad[i].text);
		if (bad[i].r == -EINVAL) /* argv untouched */
			assert_int_equal(argc, bad[i].argc);
		cfg_diag_free(&d);
		cfg_free(&c);
	}

	/* File and override errors together. */
	const char *path = write_file("two.conf", "[gateway]\nbogus = 1\n", 20);
	char *argv[] = { A("serve"), A("-c"), A(path), A("--set"), A("qr.account_tag=99"), NULL };
	int argc = 5;
	struct cfg c;
	struct cfg_diag d = { 0 };
	assert_int_equal(cfg_from_args(&c, &argc, argv, NULL, &d), -EBADMSG);
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.v[0].text, "two.conf:2: unknown key 'bogus' in section [gateway]"));
	assert_string_equal(d.v[1].text, "--set qr.account_tag: key 'account_tag' in section [qr]: "
					 "99 is out of range (26..51)");
	assert_int_equal(argc, 1);
	cfg_diag_free(&d);
	cfg_free(&c);
}

static void test_apply_log(void **state)
{
	(void)state;
	struct cfg c;
	struct cfg_diag d = { 0 };
	char logpath[700], err[256], set[800], buf[512];
	snprintf(logpath, sizeof logpath, "%s/cfg.log", dir);
	snprintf(set, sizeof set, "gateway.log_file=%s", logpath);
	assert_int_equal(cfg_defaults(&c), 0);
	assert_int_equal(cfg_set(&c, set, &d), 0);
	assert_int_equal(cfg_set(&c, "gateway.log_level=warn cfg=debug", &d), 0);
	assert_int_equal(cfg_set(&c, "gateway.log_timestamps=false", &d), 0);
	assert_int_equal(cfg_apply_log(&c, err, sizeof err), 0);
	LOGD(LC_CFG, "loaded", "keys=%d", 18);
	LOGI(LC_MAIN, "hidden", NULL);
	LOGW(LC_MAIN, "shown", NULL);

	/* Errors leave the logger as it was. */
	free(c.gateway_log_level);
	c.gateway_log_level = strdup("loud");
	assert_int_equal(cfg_apply_log(&c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "log_level: unknown level 'loud' at character 1 (expected debug, "
				 "info, notice, warn, error or none)");
	free(c.gateway_log_level);
	c.gateway_log_level = strdup("debug");
	free(c.gateway_log_file);
	c.gateway_log_file = strdup("/nonexistent/dir/x.log");
	assert_int_equal(cfg_apply_log(&c, err, sizeof err), -ENOENT);
	assert_string_equal(err, "cannot open log file '/nonexistent/dir/x.log': No such file or directory");
	LOGI(LC_MAIN, "still hidden", NULL);
	LOGE(LC_DB, "to the same file", NULL);
	log_open(NULL);

	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "level=debug cat=cfg msg=\"loaded\" keys=18\n"
				 "level=warn cat=main msg=\"shown\"\n"
				 "level=error cat=db msg=\"to the same file\"\n");
	cfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_grammar_and_quoting),
		cmocka_unit_test(test_booleans_and_integers),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_all_errors_collected),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_example_lists_every_key),
		cmocka_unit_test(test_docs_list_every_key),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_from_args),
		cmocka_unit_test(test_from_args_errors),
		cmocka_unit_test(test_apply_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
