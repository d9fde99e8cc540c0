/* kyb_check.c -- KYB value validators: E.164, per-country national and tax
 * ID patterns, LEI (ISO 17442 / ISO 7064 MOD 97-10), Luhn, EMVCo trading
 * names, ISO 3166 countries. See kyb_check.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kyb/kyb_check.h"

/* ---- Messages ---- */

static void describe_char(char *buf, size_t size, unsigned char c)
{
	if (c == ' ')
		snprintf(buf, size, "a space");
	else if (c > 0x20 && c < 0x7F)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "byte 0x%02X", c);
}

/* Fills bad and returns rc. When pos indexes a character of s, the
 * message names it: "FIELD: position N ('c'): TEXT"; else "FIELD: TEXT". */
static int fail(struct kyb_check_bad *bad, int rc, const char *field, const char *s, int pos,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fail(struct kyb_check_bad *bad, int rc, const char *field, const char *s, int pos,
		const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!bad)
		return rc;
	bad->pos = pos;
	if (pos >= 0 && s && (size_t)pos < strlen(s)) {
		char c[16];
		describe_char(c, sizeof c, (unsigned char)s[pos]);
		k = snprintf(bad->msg, sizeof bad->msg, "%s: position %d (%s): ", field, pos + 1, c);
	} else {
		k = snprintf(bad->msg, sizeof bad->msg, "%s: ", field);
	}
	if (k < 0 || (size_t)k >= sizeof bad->msg)
		return rc;
	va_start(ap, fmt);
	vsnprintf(bad->msg + k, sizeof bad->msg - (size_t)k, fmt, ap);
	va_end(ap);
	return rc;
}

static int ok(struct kyb_check_bad *bad)
{
	if (bad) {
		bad->pos = -1;
		bad->msg[0] = '\0';
	}
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* ---- Luhn ---- */

/* Luhn sum mod 10 of s[0..n), doubling every second digit counted from
 * the right, starting with the rightmost when double_last. -1 on a
 * non-digit. */
static int luhn_sum(const char *s, size_t n, int double_last)
{
	int sum = 0, dbl = double_last;

	for (size_t i = n; i-- > 0;) {
		int v;
		if (!is_digit(s[i]))
			return -1;
		v = s[i] - '0';
		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum = (sum + v) % 10;
		dbl = !dbl;
	}
	return sum;
}

int kyb_luhn_digit(const char *digits)
{
	size_t n = digits ? strlen(digits) : 0;
	int sum;

	if (n == 0 || (sum = luhn_sum(digits, n, 1)) < 0)
		return -EINVAL;
	return (10 - sum) % 10;
}

bool kyb_luhn_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 2 && luhn_sum(s, n, 0) == 0;
}

/* ---- Phone numbers (E.164) ---- */

/* Assigned geographic country calling codes (ITU-T E.164 list). The set
 * is prefix-free, so at most one of a number's first 1, 2 or 3 digits
 * matches. Global services (800, 808, 870, 878, 881-883, 888, 979) are
 * left out: a merchant's or owner's phone belongs to a country. */
static const char *const calling_codes[] = {
	"1", "7",
	"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
	"47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
	"64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
	"211", "212", "213", "216", "218", "220", "221", "222", "223", "224", "225", "226", "227",
	"228", "229", "230", "231", "232", "233", "234", "235", "236", "237", "238", "239", "240",
	"241", "242", "243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253",
	"254", "255", "256", "257", "258", "260", "261", "262", "263", "264", "265", "266", "267",
	"268", "269", "290", "291", "297", "298", "299",
	"350", "351", "352", "353", "354", "355", "356", "357", "358", "359", "370", "371", "372",
	"373", "374", "375", "376", "377", "378", "379", "380", "381", "382", "383", "385", "386",
	"387", "389", "420", "421", "423",
	"500", "501", "502", "503", "504", "505", "506", "507", "508", "509", "590", "591", "592",
	"593", "594", "595", "596", "597", "598", "599",
	"670", "672", "673", "674", "675", "676", "677", "678", "679", "680", "681", "682", "683",
	"685", "686", "687", "688", "689", "690", "691", "692",
	"850", "852", "853", "855", "856", "880", "886",
	"960", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971", "972", "973",
	"974", "975", "976", "977", "992", "993", "994", "995", "996", "998",
};

/* National significant number lengths where Tillgate checks them; all of
 * these countries drop their trunk '0' in international form. */
static const struct {
	const char *cc, *country;
	int min, max;
} nsn_len[] = {
	{ "255", "Tanzania", 9, 9 },
	{ "254", "Kenya", 9, 9 },
	{ "256", "Uganda", 9, 9 },
	{ "250", "Rwanda", 9, 9 },
	{ "233", "Ghana", 9, 9 },
	{ "234", "Nigeria", 8, 10 },
	{ "260", "Zambia", 9, 9 },
	{ "265", "Malawi", 7, 9 },
	{ "27", "South Africa", 9, 9 },
};

int kyb_check_phone(const char *field, const char *s, struct kyb_check_bad *bad)
{
	size_t n, cclen = 0;
	const char *f = field ? field : "phone";

	if (!s || !*s)
		return fail(bad, -EINVAL, f, s, -1, "missing");
	if (s[0] != '+')
		return fail(bad, -EINVAL, f, s, 0, "expected '+' and the country code (E.164)");
	n = strlen(s);
	for (size_t i = 1; i < n; i++) {
		if (!is_digit(s[i]))
			return fail(bad, -EINVAL, f, s, (int)i, "expected a digit (E.164: '+' and 8 to 15 digits)");
		if (i == 16)
			return fail(bad, -EINVAL, f, s, 16, "more than 15 digits (E.164)");
	}
	if (s[1] == '0')
		return fail(bad, -EINVAL, f, s, 1, "a country code never starts with 0");
	if (n - 1 < 8)
		return fail(bad, -EINVAL, f, s, (int)n, "too short: %zu digits, E.164 numbers have 8 to 15",
			    n - 1);
	for (size_t i = 0; i < sizeof calling_codes / sizeof calling_codes[0] && !cclen; i++) {
		size_t l = strlen(calling_codes[i]);
		if (memcmp(s + 1, calling_codes[i], l) == 0)
			cclen = l;
	}
	if (!cclen)
		return fail(bad, -ENOENT, f, s, 1,
			    "+%.3s... does not start with an assigned country calling code", s + 1);
	for (size_t i = 0; i < sizeof nsn_len / sizeof nsn_len[0]; i++) {
		int nsn = (int)(n - 1 - cclen), at = (int)(1 + cclen);
		if (strlen(nsn_len[i].cc) != cclen || memcmp(s + 1, nsn_len[i].cc, cclen) != 0)
			continue;
		if (s[at] == '0')
			return fail(bad, -EINVAL, f, s, at, "drop the trunk 0 after +%s", nsn_len[i].cc);
		if (nsn < nsn_len[i].min || nsn > nsn_len[i].max) {
			char want[16];
			if (nsn_len[i].min == nsn_len[i].max)
				snprintf(want, sizeof want, "%d", nsn_len[i].min);
			else
				snprintf(want, sizeof want, "%d to %d", nsn_len[i].min, nsn_len[i].max);
			return fail(bad, -EINVAL, f, s, nsn > nsn_len[i].max ? at + nsn_len[i].max : (int)n,
				    "%s (+%s) numbers have %s digits after the country code, not %d",
				    nsn_len[i].country, nsn_len[i].cc, want, nsn);
		}
	}
	return ok(bad);
}

/* ---- National and tax IDs ---- */

/* Patterns: 'd' a digit, 'a' a capital letter, 'x' a capital or a digit;
 * any other character stands for itself. */
static int cls_ok(char p, char c)
{
	switch (p) {
	case 'd':
		return is_digit(c);
	case 'a':
		return is_upper(c);
	case 'x':
		return is_upper(c) || is_digit(c);
	default:
		return p == c;
	}
}

static void cls_desc(char *buf, size_t size, char p)
{
	switch (p) {
	case 'd':
		snprintf(buf, size, "a digit");
		break;
	case 'a':
		snprintf(buf, size, "a capital letter");
		break;
	case 'x':
		snprintf(buf, size, "a capital letter or digit");
		break;
	default:
		snprintf(buf, size, "'%c'", p);
		break;
	}
}

struct idfmt;
typedef int extra_fn(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad);

struct idfmt {
	const char *cc;             /* ISO 3166 alpha-2 */
	bool tax;                   /* tax ID, else national ID */
	const char *desc;           /* for messages and kyb_check_id_format() */
	const char *pat[6];         /* alternatives, NULL-terminated */
	extra_fn *extra;            /* a rule beyond the pattern, or NULL */
};

/* A plausible date: year in [ymin, ymax], month and day that exist. */
static int bad_date(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad,
		    int y, int ypos, int m, int mpos, int d, int dpos, int ymin, int ymax)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (y < ymin || y > ymax)
		return fail(bad, -EINVAL, field, s, ypos, "year %d is not a year of birth (%s)", y,
			    f->desc);
	if (m < 1 || m > 12)
		return fail(bad, -EINVAL, field, s, mpos, "month %02d does not exist (%s)", m, f->desc);
	int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	if (d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return fail(bad, -EINVAL, field, s, dpos, "day %02d does not exist in month %02d (%s)", d,
			    m, f->desc);
	return 0;
}

/* TZ: the first 8 digits are the date of birth, YYYYMMDD. */
static int tz_nida(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad)
{
	return bad_date(f, field, s, bad, num(s, 4), 0, num(s + 4, 2), 4, num(s + 6, 2), 6, 1900,
			2099);
}

/* RW: status digit, year of birth, sex digit. */
static int rw_nid(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad)
{
	int y = num(s + 1, 4);

	if (s[0] < '1' || s[0] > '3')
		return fail(bad, -EINVAL, field, s, 0,
			    "expected 1 (citizen), 2 (refugee) or 3 (foreigner) (%s)", f->desc);
	if (y < 1900 || y > 2099)
		return fail(bad, -EINVAL, field, s, 1, "year %d is not a year of birth (%s)", y, f->desc);
	if (s[5] != '7' && s[5] != '8')
		return fail(bad, -EINVAL, field, s, 5, "expected 7 (female) or 8 (male) (%s)", f->desc);
	return 0;
}

/* ZM: the last digit is the nationality. */
static int zm_nrc(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad)
{
	if (s[10] < '1' || s[10] > '3')
		return fail(bad, -EINVAL, field, s, 10,
			    "expected 1 (Zambian), 2 (Commonwealth) or 3 (other) (%s)", f->desc);
	return 0;
}

/* ZA: YYMMDD date of birth, citizenship digit, Luhn check digit. */
static int za_id(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad)
{
	int rc = bad_date(f, field, s, bad, 2000 + num(s, 2), 0, num(s + 2, 2), 2, num(s + 4, 2), 4,
			  2000, 2099);
	if (rc < 0)
		return rc;
	if (s[10] < '0' || s[10] > '2')
		return fail(bad, -EINVAL, field, s, 10,
			    "expected 0 (citizen), 1 (permanent resident) or 2 (refugee) (%s)", f->desc);
	if (!kyb_luhn_ok(s))
		return fail(bad, -EBADMSG, field, s, 12, "the Luhn check digit does not match (%s)",
			    f->desc);
	return 0;
}

static int za_tin(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad)
{
	if (!strchr("01239", s[0]))
		return fail(bad, -EINVAL, field, s, 0, "expected 0, 1, 2, 3 or 9 (%s)", f->desc);
	if (!kyb_luhn_ok(s))
		return fail(bad, -EBADMSG, field, s, 9, "the Luhn check digit does not match (%s)",
			    f->desc);
	return 0;
}

#define GHA_PIN "GHA-ddddddddd-d", "GHAdddddddddd"

static const struct idfmt idfmts[] = {
	{ "TZ", false, "TZ NIDA number: 20 digits, or YYYYMMDD-NNNNN-NNNNN-NN",
	  { "dddddddddddddddddddd", "dddddddd-ddddd-ddddd-dd" }, tz_nida },
	{ "TZ", true, "TZ TRA TIN: 9 digits, or NNN-NNN-NNN", { "ddddddddd", "ddd-ddd-ddd" }, NULL },
	{ "KE", false, "KE national ID: 7 or 8 digits", { "ddddddd", "dddddddd" }, NULL },
	{ "KE", true, "KE KRA PIN: A or P, 9 digits, a capital letter (A123456789B)",
	  { "Addddddddda", "Pddddddddda" }, NULL },
	{ "UG", false, "UG NIN: 14 capitals or digits starting CM, CF, FM or FF",
	  { "CMxxxxxxxxxxxx", "CFxxxxxxxxxxxx", "FMxxxxxxxxxxxx", "FFxxxxxxxxxxxx" }, NULL },
	{ "UG", true, "UG URA TIN: 10 digits", { "dddddddddd" }, NULL },
	{ "RW", false, "RW national ID: 16 digits (status, year of birth, sex, serial)",
	  { "dddddddddddddddd" }, rw_nid },
	{ "RW", true, "RW RRA TIN: 9 digits", { "ddddddddd" }, NULL },
	{ "GH", false, "GH Ghana Card PIN: GHA-NNNNNNNNN-N", { GHA_PIN }, NULL },
	{ "GH", true, "GH GRA TIN: P00, C00, G00, Q00 or V00 and 8 capitals or digits, or a Ghana Card PIN",
	  { "P00xxxxxxxx", "C00xxxxxxxx", "G00xxxxxxxx", "Q00xxxxxxxx", "V00xxxxxxxx", "GHA-ddddddddd-d" },
	  NULL },
	{ "NG", false, "NG NIN: 11 digits", { "ddddddddddd" }, NULL },
	{ "NG", true, "NG TIN: 10 digits (JTB), or NNNNNNNN-NNNN (FIRS)",
	  { "dddddddddd", "dddddddd-dddd" }, NULL },
	{ "ZM", false, "ZM NRC: NNNNNN/NN/N", { "dddddd/dd/d" }, zm_nrc },
	{ "ZM", true, "ZM ZRA TPIN: 10 digits", { "dddddddddd" }, NULL },
	{ "MW", false, "MW national ID: 8 capitals or digits", { "xxxxxxxx" }, NULL },
	{ "MW", true, "MW MRA TPIN: 8 digits", { "dddddddd" }, NULL },
	{ "ZA", false, "ZA ID number: 13 digits, YYMMDD date of birth, Luhn check digit",
	  { "ddddddddddddd" }, za_id },
	{ "ZA", true, "ZA SARS tax reference: 10 digits starting 0, 1, 2, 3 or 9, Luhn check digit",
	  { "dddddddddd" }, za_tin },
};

static const char generic_desc[] =
	"4 to 24 capitals and digits, at least one digit, single '-', '/' or ' ' between them";

static const struct idfmt *find_idfmt(const char *country, bool tax)
{
	if (!country)
		return NULL;
	for (size_t i = 0; i < sizeof idfmts / sizeof idfmts[0]; i++)
		if (idfmts[i].tax == tax && strcmp(idfmts[i].cc, country) == 0)
			return &idfmts[i];
	return NULL;
}

const char *kyb_check_id_format(const char *country, bool tax)
{
	const struct idfmt *f = find_idfmt(country, tax);
	return f ? f->desc : generic_desc;
}

/* Matches s against each alternative of f; on failure reports the
 * alternative(s) that matched the longest prefix. */
static int match_id(const struct idfmt *f, const char *field, const char *s, struct kyb_check_bad *bad)
{
	size_t n = strlen(s), best = 0, reach[6];
	char want[96];
	size_t k = 0;
	int nalt = 0;

	for (int a = 0; a < 6 && f->pat[a]; a++, nalt++) {
		const char *p = f->pat[a];
		size_t plen = strlen(p), r = 0;
		while (r < n && r < plen && cls_ok(p[r], s[r]))
			r++;
		if (r == n && r == plen)
			return f->extra ? f->extra(f, field, s, bad) : 0;
		reach[a] = r;
		if (r > best)
			best = r;
	}
	if (best == n)
		return fail(bad, -EINVAL, field, s, (int)n, "too short (%zu characters; %s)", n, f->desc);
	/* What the alternatives that got furthest expected next, each once. */
	want[0] = '\0';
	for (int a = 0; a < nalt; a++) {
		char d[32];
		const char *p = f->pat[a];
		if (reach[a] != best)
			continue;
		if (best == strlen(p))
			snprintf(d, sizeof d, "the end");
		else
			cls_desc(d, sizeof d, p[best]);
		if (strstr(want, d))
			continue;
		if (k < sizeof want)
			k += (size_t)snprintf(want + k, sizeof want - k, "%s%s", k ? " or " : "", d);
	}
	return fail(bad, -EINVAL, field, s, (int)best, "expected %s (%s)", want, f->desc);
}

/* The fallback for countries without a known format. */
static int generic_id(const char *field, const char *s, struct kyb_check_bad *bad)
{
	size_t n = strlen(s);
	int digits = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (is_digit(c)) {
			digits++;
		} else if (c == '-' || c == '/' || c == ' ') {
			if (i == 0 || i + 1 == n || !(is_upper(s[i - 1]) || is_digit(s[i - 1])))
				return fail(bad, -EINVAL, field, s, (int)i,
					    "a separator must stand between two capitals or digits (%s)",
					    generic_desc);
		} else if (!is_upper(c)) {
			return fail(bad, -EINVAL, field, s, (int)i, "expected a capital letter or digit (%s)",
				    generic_desc);
		}
		if (i == 24)
			return fail(bad, -EINVAL, field, s, 24, "longer than 24 characters (%s)", generic_desc);
	}
	if (n < 4)
		return fail(bad, -EINVAL, field, s, (int)n, "too short (%zu characters; %s)", n,
			    generic_desc);
	if (!digits)
		return fail(bad, -EINVAL, field, s, -1, "has no digit (%s)", generic_desc);
	return 0;
}

static int check_id(const char *field, const char *country, const char *s, struct kyb_check_bad *bad,
		    bool tax)
{
	const struct idfmt *f;
	int rc;

	if (!s || !*s)
		return fail(bad, -EINVAL, field, s, -1, "missing");
	f = find_idfmt(country, tax);
	rc = f ? match_id(f, field, s, bad) : generic_id(field, s, bad);
	return rc < 0 ? rc : ok(bad);
}

int kyb_check_national_id(const char *field, const char *country, const char *s,
			  struct kyb_check_bad *bad)
{
	return check_id(field ? field : "national_id", country, s, bad, false);
}

int kyb_check_tax_id(const char *field, const char *country, const char *s, struct kyb_check_bad *bad)
{
	return check_id(field ? field : "tax_id", country, s, bad, true);
}

/* ---- LEI ---- */

/* ISO 7064 MOD 97-10 remainder of s[0..n), letters read as 10-35. */
static int mod97(const char *s, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_digit(s[i]))
			r = (r * 10 + (s[i] - '0')) % 97;
		else
			r = (r * 100 + (s[i] - 'A' + 10)) % 97;
	}
	return r;
}

int kyb_check_lei_digits(const char *s)
{
	char buf[20];

	if (!s)
		return -EINVAL;
	for (int i = 0; i < 18; i++)
		if (!is_upper(s[i]) && !is_digit(s[i]))
			return -EINVAL;   /* also stops at the NUL of a short string */
	memcpy(buf, s, 18);
	buf[18] = buf[19] = '0';
	return 98 - mod97(buf, 20);
}

int kyb_check_lei(const char *field, const char *s, struct kyb_check_bad *bad)
{
	const char *f = field ? field : "lei";
	size_t n;

	if (!s || !*s)
		return fail(bad, -EINVAL, f, s, -1, "missing");
	n = strlen(s);
	for (size_t i = 0; i < n && i < 20; i++) {
		if (i < 18 && !is_upper(s[i]) && !is_digit(s[i]))
			return fail(bad, -EINVAL, f, s, (int)i,
				    "expected a capital letter or digit (LEI: 18 capitals or digits, 2 check digits)");
		if (i >= 18 && !is_digit(s[i]))
			return fail(bad, -EINVAL, f, s, (int)i, "expected a check digit (LEI positions 19-20)");
	}
	if (n < 20)
		return fail(bad, -EINVAL, f, s, (int)n, "too short (%zu characters; an LEI has 20)", n);
	if (n > 20)
		return fail(bad, -EINVAL, f, s, 20, "too long (%zu characters; an LEI has 20)", n);
	if (mod97(s, 20) != 1)
		return fail(bad, -EBADMSG, f, s, 18,
			    "check digits %.2s do not match, expected %02d (ISO 7064 MOD 97-10)", s + 18,
			    kyb_check_lei_digits(s));
	return ok(bad);
}

/* ---- Trading name, country ---- */

int kyb_check_trading_name(const char *field, const char *s, struct kyb_check_bad *bad)
{
	const char *f = field ? field : "trading_name";
	size_t n;

	if (!s || !*s)
		return fail(bad, -EINVAL, f, s, -1, "missing");
	n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7E)
			return fail(bad, -EINVAL, f, s, (int)i,
				    "not printable ASCII (the QR code's name is EMVCo \"ans\": no accents)");
		if (i == 25)
			return fail(bad, -EINVAL, f, s, 25, "longer than 25 characters (EMVCo tag 59)");
	}
	if (s[0] == ' ')
		return fail(bad, -EINVAL, f, s, 0, "starts with a space");
	if (s[n - 1] == ' ')
		return fail(bad, -EINVAL, f, s, (int)n - 1, "ends with a space");
	return ok(bad);
}

/* ISO 3166-1 alpha-2, the 249 officially assigned codes, sorted. */
static const char iso3166[] =
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBI"
	"BJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCN"
	"COCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFK"
	"FMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM"
	"HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKN"
	"KPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMK"
	"MLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONP"
	"NRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW"
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTF"
	"TGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
	"VNVUWFWSYEYTZAZMZW";

int kyb_check_country(const char *field, const char *s, struct kyb_check_bad *bad)
{
	const char *f = field ? field : "country";

	if (!s || !*s)
		return fail(bad, -EINVAL, f, s, -1, "missing");
	for (int i = 0; i < 2; i++)
		if (!is_upper(s[i]))
			return fail(bad, -EINVAL, f, s, i,
				    s[i] ? "expected a capital letter (ISO 3166-1 alpha-2)" :
					   "too short (ISO 3166-1 alpha-2 has 2 capitals)");
	if (s[2])
		return fail(bad, -EINVAL, f, s, 2, "too long (ISO 3166-1 alpha-2 has 2 capitals)");
	for (size_t i = 0; i + 1 < sizeof iso3166; i += 2)
		if (iso3166[i] == s[0] && iso3166[i + 1] == s[1])
			return ok(bad);
	return fail(bad, -ENOENT, f, s, -1, "%s is not an assigned ISO 3166-1 alpha-2 code", s);
}
