/* ussd_text.c -- USSD and SMS text: UTF-8 to and from the GSM 03.38
 * default alphabet (unpacked) and UCS-2, and the length of one screen.
 *
 * The two GSM tables are data: the default alphabet indexed by its code,
 * the extension table as (code, character) pairs. Encoding searches them
 * (at most 138 entries per character; a screen is at most 182 of them).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ussd/ussd_text.h"

#define GSM_ESC 0x1B

/* GSM 03.38 default alphabet (3GPP TS 23.038 6.2.1): code -> Unicode.
 * 0x1B is the escape to the extension table and maps to nothing. */
static const uint16_t gsm_basic[128] = {
	0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* @ £ $ ¥ è é ù ì */
	0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* ò Ç LF Ø ø CR Å å */
	0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* Δ _ Φ Γ Λ Ω Π Ψ */
	0x03A3, 0x0398, 0x039E, 0xFFFF, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* Σ Θ Ξ ESC Æ æ ß É */
	0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* SP ! " # ¤ % & ' */
	0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* ( ) * + , - . / */
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 0-7 */
	0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 8 9 : ; < = > ? */
	0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ A-G */
	0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* H-O */
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* P-W */
	0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* X Y Z Ä Ö Ñ Ü § */
	0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿ a-g */
	0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* h-o */
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* p-w */
	0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* x y z ä ö ñ ü à */
};

/* GSM 03.38 extension table (6.2.1.1): sent as ESC + code, two septets. */
static const struct {
	uint8_t code;
	uint16_t cp;
} gsm_ext[] = {
	{ 0x0A, 0x000C }, /* form feed */
	{ 0x14, 0x005E }, /* ^ */
	{ 0x28, 0x007B }, /* { */
	{ 0x29, 0x007D }, /* } */
	{ 0x2F, 0x005C }, /* \ */
	{ 0x3C, 0x005B }, /* [ */
	{ 0x3D, 0x007E }, /* ~ */
	{ 0x3E, 0x005D }, /* ] */
	{ 0x40, 0x007C }, /* | */
	{ 0x65, 0x20AC }, /* € */
};

#define NEXT (sizeof(gsm_ext) / sizeof(gsm_ext[0]))

/* Septets of code point cp in GSM: 1 (basic, *code set), 2 (extension,
 * *code the byte after ESC), or 0 if it has none. */
static int gsm_of(uint32_t cp, uint8_t *code)
{
	/* Letters and digits map to themselves: skip the search. */
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
		*code = (uint8_t)cp;
		return 1;
	}
	for (unsigned i = 0; i < 128; i++)
		if (gsm_basic[i] == cp && i != GSM_ESC) {
			*code = (uint8_t)i;
			return 1;
		}
	for (unsigned i = 0; i < NEXT; i++)
		if (gsm_ext[i].cp == cp) {
			*code = gsm_ext[i].code;
			return 2;
		}
	return 0;
}

/* Decodes the UTF-8 sequence at s (NUL-terminated). Returns its length
 * (1-4) with *cp set, or 0 if it is not valid UTF-8 here: a stray or
 * missing continuation byte, an overlong form, a surrogate, or a code
 * point above U+10FFFF. Reads no further than the first bad byte, so a
 * NUL ends a truncated sequence. */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v, min;
	int n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Writes cp as UTF-8 at out (room for 4 bytes); returns the length. */
static int utf8_put(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Scans utf8: *septets as GSM (meaningful when *all_gsm), *units in
 * UTF-16 code units. Returns -1 with *bad = byte offset of the fault if
 * it is not valid UTF-8, else 0. */
static int scan(const char *utf8, size_t *septets, size_t *units, int *all_gsm, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t i = 0, sep = 0, u = 0;
	int gsm = 1;

	while (s[i]) {
		uint32_t cp;
		uint8_t code;
		int n = utf8_next(s + i, &cp);
		if (n == 0) {
			*bad = i;
			return -1;
		}
		int k = gsm ? gsm_of(cp, &code) : 0;
		if (k == 0)
			gsm = 0;
		sep += (size_t)k;
		u += cp >= 0x10000 ? 2 : 1;
		i += (size_t)n;
	}
	*septets = sep;
	*units = u;
	*all_gsm = gsm;
	return 0;
}

long ussd_text_units(const char *utf8, int *ucs2)
{
	size_t sep, units, bad;
	int gsm;

	if (scan(utf8, &sep, &units, &gsm, &bad) < 0)
		return -1;
	if (ucs2)
		*ucs2 = !gsm;
	return (long)(gsm ? sep : units);
}

int ussd_text_fits(const char *utf8)
{
	int ucs2;
	long n = ussd_text_units(utf8, &ucs2);
	if (n < 0)
		return 0;
	return n <= (ucs2 ? USSD_MAX_UCS2 : USSD_MAX_SEPTETS);
}

int ussd_text_encode(const char *utf8, uint8_t gsm_dcs, uint8_t *out, size_t cap, size_t *len,
		     uint8_t *dcs)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t sep, units, bad, i = 0, o = 0;
	int gsm;

	*len = 0;
	if (gsm_dcs != USSD_DCS_DEFAULT && gsm_dcs != USSD_DCS_GSM7)
		return -EINVAL;
	if (scan(utf8, &sep, &units, &gsm, &bad) < 0) {
		*len = bad;
		return -EILSEQ;
	}
	/* Checked before writing anything, so out is never left half full. */
	if ((gsm ? sep : 2 * units) > cap)
		return -ENOSPC;
	while (s[i]) {
		uint32_t cp;
		uint8_t code;
		i += (size_t)utf8_next(s + i, &cp);
		if (gsm) {
			if (gsm_of(cp, &code) == 2)
				out[o++] = GSM_ESC;
			out[o++] = code;
		} else if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint32_t hi = 0xD800 | v >> 10, lo = 0xDC00 | (v & 0x3FF);
			out[o++] = (uint8_t)(hi >> 8);
			out[o++] = (uint8_t)hi;
			out[o++] = (uint8_t)(lo >> 8);
			out[o++] = (uint8_t)lo;
		} else {
			out[o++] = (uint8_t)(cp >> 8);
			out[o++] = (uint8_t)cp;
		}
	}
	*len = o;
	*dcs = gsm ? gsm_dcs : USSD_DCS_UCS2;
	return 0;
}

/* Appends cp to out[*o] if it fits with the final NUL; -ENOSPC if not. */
static int put(char *out, size_t cap, size_t *o, uint32_t cp)
{
	char tmp[4];
	int n = utf8_put(cp, tmp);
	if (*o + (size_t)n + 1 > cap)
		return -ENOSPC;
	memcpy(out + *o, tmp, (size_t)n);
	*o += (size_t)n;
	return 0;
}

static long decode_gsm(const uint8_t *in, size_t len, char *out, size_t cap, size_t *errpos)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		size_t at = i;
		uint32_t cp;
		if (in[i] >= 0x80) {
			*errpos = i;
			return -EILSEQ;
		}
		if (in[i] == GSM_ESC) {
			/* ESC + an extension code is that character; ESC
			 * followed by anything else (or nothing) shows as a
			 * space and the next byte is read as usual. */
			cp = 0x20;
			if (i + 1 < len)
				for (unsigned k = 0; k < NEXT; k++)
					if (gsm_ext[k].code == in[i + 1]) {
						cp = gsm_ext[k].cp;
						i++;
						break;
					}
		} else {
			cp = gsm_basic[in[i]];
		}
		if (put(out, cap, &o, cp) < 0) {
			*errpos = at;
			return -ENOSPC;
		}
	}
	out[o] = '\0';
	return (long)o;
}

static long decode_ia5(const uint8_t *in, size_t len, char *out, size_t cap, size_t *errpos)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		/* NUL cannot be carried in the C string the caller gets. */
		if (in[i] >= 0x80 || in[i] == 0) {
			*errpos = i;
			return -EILSEQ;
		}
		if (put(out, cap, &o, in[i]) < 0) {
			*errpos = i;
			return -ENOSPC;
		}
	}
	out[o] = '\0';
	return (long)o;
}

static long decode_ucs2(const uint8_t *in, size_t len, char *out, size_t cap, size_t *errpos)
{
	size_t o = 0;

	/* An odd last byte is reported after the units before it, so that
	 * errpos is always the first fault. */
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint32_t u = (uint32_t)in[i] << 8 | in[i + 1];
		size_t at = i;
		if (u == 0) {
			*errpos = i;
			return -EILSEQ;
		}
		if (u >= 0xDC00 && u <= 0xDFFF) {
			*errpos = i; /* a low surrogate without its high one */
			return -EILSEQ;
		}
		if (u >= 0xD800 && u <= 0xDBFF) {
			uint32_t lo = i + 3 < len ? (uint32_t)in[i + 2] << 8 | in[i + 3] : 0;
			if (lo < 0xDC00 || lo > 0xDFFF) {
				*errpos = i; /* a high surrogate without its low one */
				return -EILSEQ;
			}
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i += 2;
		}
		if (put(out, cap, &o, u) < 0) {
			*errpos = at;
			return -ENOSPC;
		}
	}
	if (len % 2) {
		*errpos = len - 1;
		return -EILSEQ;
	}
	out[o] = '\0';
	return (long)o;
}

long ussd_text_decode(uint8_t dcs, const uint8_t *in, size_t len, char *out, size_t cap,
		      size_t *errpos)
{
	size_t pos = 0;
	long r;

	if (cap == 0)
		return -ENOSPC;
	switch (dcs) {
	case USSD_DCS_DEFAULT:
	case USSD_DCS_GSM7:
		r = decode_gsm(in, len, out, cap, &pos);
		break;
	case USSD_DCS_IA5:
		r = decode_ia5(in, len, out, cap, &pos);
		break;
	case USSD_DCS_UCS2:
	case 0x48:
	case 0x11:
		r = decode_ucs2(in, len, out, cap, &pos);
		break;
	default:
		return -ENOTSUP;
	}
	if (r < 0) {
		out[0] = '\0';
		if (errpos)
			*errpos = pos;
	}
	return r;
}
