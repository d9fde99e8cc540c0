/* ussd_locale.c -- USSD menu texts: the INI parser, the built-in copies of
 * data/locale/LANG.ini, lookup with English as the fallback, and
 * placeholder substitution. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ussd/ussd_locale.h"
#include "ussd/ussd_menu.h"

#include "ussd_locale_data.h" /* generated: static const char locale_en_ini[], ... */

#define KEY_MAX 64      /* "section.key", NUL included */
#define FILE_MAX 65536  /* largest locale file */

struct entry {
	char *key;
	char *val;
};

struct lang {
	char code[USSD_LANG_MAX + 1];
	struct entry *e; /* sorted by key */
	size_t n;
	int listed;      /* named in [ussd] languages */
};

struct ussd_locale {
	struct lang *v;  /* v[0] is English */
	size_t n;
	size_t *order;   /* indexes of the listed languages, in their order */
	size_t norder;
};

static const struct {
	const char *code;
	const char *text;
} builtin[] = {
	{ "en", locale_en_ini },
	{ "sw", locale_sw_ini },
	{ "fr", locale_fr_ini },
};

/* ---- the parser ---- */

struct parse {
	const char *name;
	ussd_locale_report report;
	void *arg;
	int errors;
	struct entry *e;
	size_t n, cap;
	int oom;
};

static void perr(struct parse *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parse *p, int line, const char *fmt, ...)
{
	p->errors++;
	if (!p->report)
		return;
	char msg[256];
	int k = snprintf(msg, sizeof msg, "%s:%d: ", p->name, line);
	if (k < 0 || (size_t)k >= sizeof msg)
		k = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
	va_end(ap);
	p->report(p->arg, msg);
}

static int name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Length of the valid UTF-8 sequence at s (at most n bytes) that is not
 * a control character, or 0. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x20 || c == 0x7f)
		return c == '\t' ? 1 : 0;
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned cp;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return len;
}

/* Checks a text: valid UTF-8, no control characters, braces only around
 * placeholder names. Reports and returns -1 on the first fault. */
static int check_value(struct parse *p, int line, const char *key, const char *v, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t k = utf8_char((const unsigned char *)v + i, len - i);
		if (!k) {
			perr(p, line, "key '%s': invalid UTF-8 or control character at byte %zu of the text",
			     key, i + 1);
			return -1;
		}
		if (v[i] == '{') {
			size_t j = i + 1;
			while (j < len && name_char((unsigned char)v[j]))
				j++;
			if (j == i + 1 || j >= len || v[j] != '}') {
				perr(p, line, "key '%s': '{' at byte %zu does not open a {placeholder}",
				     key, i + 1);
				return -1;
			}
			i = j + 1;
			continue;
		}
		if (v[i] == '}') {
			perr(p, line, "key '%s': '}' at byte %zu closes no placeholder", key, i + 1);
			return -1;
		}
		i += k;
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static void entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].key);
		free(e[i].val);
	}
	free(e);
}

static void add_entry(struct parse *p, int line, const char *key, const char *v, size_t vlen)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->e[i].key, key) == 0) {
			perr(p, line, "key '%s': duplicate", key);
			return;
		}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct entry *ne = realloc(p->e, cap * sizeof *ne);
		if (!ne) {
			p->oom = 1;
			return;
		}
		p->e = ne;
		p->cap = cap;
	}
	char *k = strdup(key), *val = malloc(vlen + 1);
	if (!k || !val) {
		free(k);
		free(val);
		p->oom = 1;
		return;
	}
	memcpy(val, v, vlen);
	val[vlen] = '\0';
	p->e[p->n].key = k;
	p->e[p->n].val = val;
	p->n++;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Parses text into p's entries (sorted); errors counted in p. */
static void parse_text(struct parse *p, const char *text, size_t len)
{
	char section[32] = ""; /* 31 bytes at most, so that section.key fits KEY_MAX */
	int line = 0;
	size_t pos = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len && !p->oom) {
		line++;
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		size_t next = end < len ? end + 1 : end;
		if (end > pos && text[end - 1] == '\r')
			end--;
		const char *s = text + pos;
		size_t n = end - pos;
		pos = next;
		if (memchr(s, '\0', n) || memchr(s, '\r', n)) {
			perr(p, line, "NUL or CR inside the line");
			continue;
		}
		while (n && is_space(*s))
			s++, n--;
		while (n && is_space(s[n - 1]))
			n--;
		if (n == 0 || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if (s[n - 1] != ']') {
				perr(p, line, "section header without ']'");
				continue;
			}
			const char *a = s + 1;
			size_t m = n - 2;
			while (m && is_space(*a))
				a++, m--;
			while (m && is_space(a[m - 1]))
				m--;
			size_t i = 0;
			while (i < m && name_char((unsigned char)a[i]))
				i++;
			if (m == 0 || i < m || m >= 32) {
				perr(p, line, "section name must be 1-31 of a-z, 0-9, '_' (column %zu)",
				     (size_t)(a - s) + i + 1);
				section[0] = '\0';
				continue;
			}
			memcpy(section, a, m);
			section[m] = '\0';
			continue;
		}
		const char *eq = memchr(s, '=', n);
		if (!eq) {
			perr(p, line, "expected 'key = text', '[section]' or a comment");
			continue;
		}
		size_t klen = (size_t)(eq - s);
		while (klen && is_space(s[klen - 1]))
			klen--;
		size_t i = 0;
		while (i < klen && name_char((unsigned char)s[i]))
			i++;
		if (klen == 0 || i < klen || klen >= 32) {
			perr(p, line, "key must be 1-31 of a-z, 0-9, '_' (column %zu)", i + 1);
			continue;
		}
		char key[KEY_MAX];
		snprintf(key, sizeof key, "%.31s.%.*s", section, (int)klen, s);
		if (!section[0]) {
			perr(p, line, "key '%.*s': outside a [section]", (int)klen, s);
			continue;
		}
		const char *v = eq + 1;
		size_t vlen = n - (size_t)(v - s);
		while (vlen && is_space(*v))
			v++, vlen--;
		if (vlen == 0) {
			perr(p, line, "key '%s': empty text", key);
			continue;
		}
		if (check_value(p, line, key, v, vlen) < 0)
			continue;
		add_entry(p, line, key, v, vlen);
	}
	if (p->n)
		qsort(p->e, p->n, sizeof *p->e, entry_cmp);
}

int ussd_locale_check_text(const char *name, const char *text, size_t len,
			   ussd_locale_report report, void *arg)
{
	struct parse p = { .name = name, .report = report, .arg = arg };
	parse_text(&p, text, len);
	entries_free(p.e, p.n);
	return p.oom ? -ENOMEM : p.errors;
}

/* ---- loading ---- */

static void report_msg(ussd_locale_report report, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report_msg(ussd_locale_report report, void *arg, const char *fmt, ...)
{
	if (!report)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(arg, msg);
}

/* Reads path into a new buffer. Returns 0 (*buf owned by the caller),
 * -ENOENT, -EIO or -ENOMEM. */
static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? -ENOENT : -EIO;
	char *b = malloc(FILE_MAX + 1);
	if (!b) {
		fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(b, 1, FILE_MAX + 1, f);
	int bad = ferror(f) || n > FILE_MAX;
	fclose(f);
	if (bad) {
		free(b);
		return -EIO;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int valid_code(const char *s, size_t n)
{
	if (n < 2 || n > USSD_LANG_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

static struct lang *find_lang(const struct ussd_locale *l, const char *code)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i].code, code) == 0)
			return &l->v[i];
	return NULL;
}

/* Loads one language into l->v[l->n]. */
static int load_one(struct ussd_locale *l, const char *code, const char *dir,
		    ussd_locale_report report, void *arg)
{
	char path[4096];
	char *buf = NULL;
	size_t len = 0;
	const char *name = path;
	int rc = -ENOENT;
	if (dir && *dir) {
		if (snprintf(path, sizeof path, "%s/%s.ini", dir, code) >= (int)sizeof path) {
			report_msg(report, arg, "%s/%s.ini: path too long", dir, code);
			return -EINVAL;
		}
		rc = read_file(path, &buf, &len);
		if (rc < 0 && rc != -ENOENT) {
			report_msg(report, arg, "%s: cannot read (%s; at most %d bytes)", path,
				   strerror(-rc), FILE_MAX);
			return rc;
		}
	}
	const char *text = buf;
	if (rc == -ENOENT) {
		for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
			if (strcmp(builtin[i].code, code) == 0) {
				text = builtin[i].text;
				len = strlen(text);
				snprintf(path, sizeof path, "data/locale/%s.ini (built-in)", code);
				rc = 0;
			}
		if (rc < 0) {
			report_msg(report, arg, "language '%s': no %s.ini in %s and no built-in texts",
				   code, code, dir && *dir ? dir : "locale_dir (not set)");
			return -EINVAL;
		}
	}
	struct parse p = { .name = name, .report = report, .arg = arg };
	parse_text(&p, text, len);
	free(buf);
	if (p.oom || p.errors) {
		entries_free(p.e, p.n);
		return p.oom ? -ENOMEM : -EINVAL;
	}
	struct lang *lg = &l->v[l->n++];
	snprintf(lg->code, sizeof lg->code, "%s", code);
	lg->e = p.e;
	lg->n = p.n;
	return 0;
}

int ussd_locale_load(struct ussd_locale **out, const char *langs, const char *dir,
		     ussd_locale_report report, void *arg)
{
	*out = NULL;
	size_t max = 2;
	for (const char *s = langs; *s; s++)
		max += *s == ',';
	struct ussd_locale *l = calloc(1, sizeof *l);
	if (!l || !(l->v = calloc(max, sizeof *l->v)) || !(l->order = calloc(max, sizeof *l->order))) {
		ussd_locale_free(l);
		return -ENOMEM;
	}
	int rc = load_one(l, "en", dir, report, arg);
	for (const char *s = langs; rc == 0 && *s;) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char code[USSD_LANG_MAX + 1];
		if (!valid_code(s, n)) {
			report_msg(report, arg, "languages: '%.*s' is not a language code (2-8 of a-z)",
				   (int)(n > 16 ? 16 : n), s);
			rc = -EINVAL;
			break;
		}
		memcpy(code, s, n);
		code[n] = '\0';
		struct lang *lg = find_lang(l, code);
		if (lg && lg->listed) {
			report_msg(report, arg, "languages: '%s' listed twice", code);
			rc = -EINVAL;
			break;
		}
		if (!lg) {
			if ((rc = load_one(l, code, dir, report, arg)) < 0)
				break;
			lg = &l->v[l->n - 1];
		}
		lg->listed = 1;
		l->order[l->norder++] = (size_t)(lg - l->v);
		s = e ? e + 1 : s + n;
	}
	if (rc == 0 && l->norder == 0) {
		report_msg(report, arg, "languages: empty");
		rc = -EINVAL;
	}
	if (rc < 0) {
		ussd_locale_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void ussd_locale_free(struct ussd_locale *l)
{
	if (!l)
		return;
	for (size_t i = 0; l->v && i < l->n; i++)
		entries_free(l->v[i].e, l->v[i].n);
	free(l->v);
	free(l->order);
	free(l);
}

/* ---- lookup ---- */

static const char *lang_get(const struct lang *lg, const char *key)
{
	struct entry k = { .key = (char *)(uintptr_t)key };
	const struct entry *e = lg && lg->n ? bsearch(&k, lg->e, lg->n, sizeof *lg->e, entry_cmp) : NULL;
	return e ? e->val : NULL;
}

int ussd_locale_missing(const struct ussd_locale *l, ussd_locale_report report, void *arg)
{
	int missing = 0;
	for (size_t i = 1; i < l->n; i++)
		for (size_t k = 0; k < l->v[0].n; k++)
			if (!lang_get(&l->v[i], l->v[0].e[k].key)) {
				missing++;
				report_msg(report, arg, "%s: key '%s' missing, English used", l->v[i].code,
					   l->v[0].e[k].key);
			}
	return missing;
}

size_t ussd_locale_nlangs(const struct ussd_locale *l)
{
	return l->norder;
}

const char *ussd_locale_lang(const struct ussd_locale *l, size_t i)
{
	return i < l->norder ? l->v[l->order[i]].code : NULL;
}

int ussd_locale_has(const struct ussd_locale *l, const char *lang)
{
	const struct lang *lg = find_lang(l, lang);
	return lg && lg->listed;
}

size_t ussd_locale_nkeys(const struct ussd_locale *l, const char *lang)
{
	const struct lang *lg = find_lang(l, lang);
	return (lg ? lg : &l->v[0])->n;
}

const char *ussd_locale_key(const struct ussd_locale *l, const char *lang, size_t i)
{
	const struct lang *lg = find_lang(l, lang);
	if (!lg)
		lg = &l->v[0];
	return i < lg->n ? lg->e[i].key : NULL;
}

const char *ussd_locale_get(const struct ussd_locale *l, const char *lang, const char *key)
{
	const char *v = lang_get(find_lang(l, lang), key);
	return v ? v : lang_get(&l->v[0], key);
}

long ussd_locale_format(const char *tmpl, const struct ussd_var *vars, size_t n, char *out,
			size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return -ENOSPC;
	for (const char *s = tmpl; *s;) {
		const char *ins = s;
		size_t ilen = 1, adv = 1;
		if (*s == '{') {
			const char *c = strchr(s, '}');
			for (size_t i = 0; c && i < n; i++) {
				size_t nl = strlen(vars[i].name);
				if (nl == (size_t)(c - s - 1) && memcmp(s + 1, vars[i].name, nl) == 0) {
					ins = vars[i].value ? vars[i].value : "";
					ilen = strlen(ins);
					adv = (size_t)(c - s) + 1;
					break;
				}
			}
		}
		if (o + ilen >= cap) {
			out[o] = '\0';
			return -ENOSPC;
		}
		memcpy(out + o, ins, ilen);
		o += ilen;
		s += adv;
	}
	out[o] = '\0';
	return (long)o;
}
