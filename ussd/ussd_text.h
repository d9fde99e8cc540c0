/* ussd_text.h -- USSD and SMS text: UTF-8 to and from the GSM 03.38
 * default alphabet (sent unpacked, one septet per octet; extension
 * characters as ESC + code, two septets) and UCS-2 big-endian, and the
 * length rules of one USSD screen.
 *
 * Pure functions, no state, no allocation. Every function takes its
 * input with an explicit length or a NUL-terminated UTF-8 string, and
 * never reads past it.
 */
#ifndef USSD_TEXT_H
#define USSD_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* One USSD string: 160 octets (3GPP TS 29.002), which is 182 septets of
 * the GSM alphabet or 80 UCS-2 characters. */
#define USSD_MAX_OCTETS 160
#define USSD_MAX_SEPTETS 182
#define USSD_MAX_UCS2 80

/* SMPP data_coding values this module knows. */
#define USSD_DCS_DEFAULT 0x00 /* SMSC default alphabet: GSM 03.38 */
#define USSD_DCS_IA5 0x01     /* IA5 / ASCII */
#define USSD_DCS_UCS2 0x08    /* UCS-2 big-endian */
#define USSD_DCS_GSM7 0x0F    /* CBS/USSD DCS: GSM 7-bit, language unspecified */

/* Length of a UTF-8 string in the encoding it would be sent in: *ucs2
 * (may be NULL) is set to 0 and the count is in septets (extension
 * characters count two) when every character is in the GSM alphabet or
 * its extension table; otherwise *ucs2 = 1 and the count is in UTF-16
 * code units. Returns -1 if utf8 is not valid UTF-8. */
long ussd_text_units(const char *utf8, int *ucs2);

/* 1 if utf8 fits one USSD screen (<= USSD_MAX_SEPTETS septets in GSM, or
 * <= USSD_MAX_UCS2 UCS-2 units when it needs UCS-2), 0 if not or if it
 * is not valid UTF-8. */
int ussd_text_fits(const char *utf8);

/* Encodes utf8 for the wire: GSM unpacked with data_coding gsm_dcs
 * (USSD_DCS_DEFAULT or USSD_DCS_GSM7) when every character is in the GSM
 * alphabet, else UCS-2 with USSD_DCS_UCS2. Writes at most cap bytes to
 * out, *len the bytes written, *dcs the data_coding used. '@' is the
 * GSM code 0x00, so the output may hold zero bytes: it is not a string.
 * Strict UTF-8: overlong forms, surrogates and code points above
 * U+10FFFF are invalid. Characters above U+FFFF go as UTF-16 surrogate
 * pairs (two units).
 * Returns 0; -EILSEQ if utf8 is not valid UTF-8 (*len = byte offset of
 * the fault); -ENOSPC if it does not fit cap (nothing written, *len 0);
 * -EINVAL if gsm_dcs is neither of the two GSM values. */
int ussd_text_encode(const char *utf8, uint8_t gsm_dcs, uint8_t *out, size_t cap, size_t *len,
		     uint8_t *dcs);

/* Decodes len bytes received with data_coding dcs into NUL-terminated
 * UTF-8 in out (cap bytes, NUL included). 0x00, 0x0F: GSM unpacked,
 * bytes 0x00-0x7F (an ESC not followed by an extension code decodes as
 * a space, as 03.38 says, and the byte after it is read as usual);
 * 0x01: IA5 (7-bit ASCII, 0x01-0x7F); 0x08, 0x48, 0x11: UCS-2
 * big-endian, an even number of bytes (a valid surrogate pair decodes
 * to its code point; a lone surrogate and U+0000 are errors). Returns
 * the length of out (without the NUL); -EILSEQ for a byte or unit that
 * is not in the alphabet, or the odd last byte of UCS-2 (*errpos = its
 * offset in in; errpos may be NULL); -ENOTSUP for another dcs; -ENOSPC
 * if out is too small (*errpos = the offset of the first byte that did
 * not fit). On error out is "" (when cap > 0). */
long ussd_text_decode(uint8_t dcs, const uint8_t *in, size_t len, char *out, size_t cap,
		      size_t *errpos);

#endif /* USSD_TEXT_H */
