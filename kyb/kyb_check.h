/* kyb_check.h -- KYB value validators: E.164 phone numbers, national ID
 * and tax ID patterns per country, LEI (ISO 17442), Luhn check digits,
 * EMVCo trading names and ISO 3166 country codes. Pure code: no I/O, no
 * allocation, no global state. MCCs: kyb_mcc.h. Formats: docs/kyb.md.
 *
 * Every validator takes the field's name for its message (NULL: a
 * default such as "phone"; the registry passes e.g. "owners[1].phone"),
 * the NUL-terminated value, and an optional struct kyb_check_bad. It returns 0
 * if the value is valid, else a negative errno and fills *bad:
 *   -EINVAL   missing, malformed or wrong length
 *   -EBADMSG  well-formed but its check digits do not match
 *   -ENOENT   well-formed but not assigned (country code, calling code)
 * Values are checked as given: no case folding, no trimming.
 * Messages never quote the whole value (ID numbers are personal data),
 * only the offending character.
 */
#ifndef KYB_CHECK_H
#define KYB_CHECK_H

#include <stdbool.h>

#define KYB_CHECK_MSG_MAX 224   /* one message, NUL included */

/* Why a value is invalid. pos is the 0-based byte offset of the first bad
 * character, or of where one is missing (the length, when the value is
 * too short), or -1 when no single position is at fault; msg names the
 * field and says "position N" 1-based (N = pos + 1), e.g.
 * `owners[0].phone: position 5 ('x'): expected a digit`. */
struct kyb_check_bad {
	int pos;
	char msg[KYB_CHECK_MSG_MAX];
};

/* E.164: '+', then 8 to 15 digits, the first not 0, starting with an
 * assigned geographic country calling code (ITU-T E.164 list; global
 * services such as +800 and +881 are refused). For TZ, KE, UG, RW, GH, NG,
 * ZM, MW and ZA the number of digits after the country code is checked
 * too, and a trunk '0' after it is refused (+2550...). */
int kyb_check_phone(const char *field, const char *s, struct kyb_check_bad *bad);

/* National ID number of a person from country (ISO 3166 alpha-2):
 *   TZ NIDA number: 20 digits, or YYYYMMDD-NNNNN-NNNNN-NN; the first 8
 *      digits are a plausible date of birth
 *   KE national ID: 7 or 8 digits
 *   UG NIN: 14 capitals/digits, starting CM, CF (citizen), FM or FF
 *   RW national ID: 16 digits: 1-3 (citizen, refugee, foreigner), year of
 *      birth, 7 or 8 (female, male), then 10 digits
 *   GH Ghana Card PIN: GHA-NNNNNNNNN-N (dashes optional)
 *   NG NIN: 11 digits
 *   ZM NRC: NNNNNN/NN/N, the last digit 1-3
 *   MW national ID: 8 capitals/digits
 *   ZA ID number: 13 digits, YYMMDD date of birth, Luhn check digit
 * Any other country, or country NULL or "": the generic fallback, 4 to 24
 * capitals and digits with at least one digit, and single '-', '/' or ' '
 * between them (passports, residence permits, unknown schemes). */
int kyb_check_national_id(const char *field, const char *country, const char *s,
			  struct kyb_check_bad *bad);

/* Tax ID of a person or business from country:
 *   TZ TRA TIN: 9 digits, or NNN-NNN-NNN
 *   KE KRA PIN: A or P, 9 digits, a capital (A123456789B)
 *   UG URA TIN: 10 digits
 *   RW RRA TIN: 9 digits
 *   GH GRA TIN: P00, C00, G00, Q00 or V00 then 8 capitals/digits, or the
 *      Ghana Card PIN (individuals, since 2021)
 *   NG TIN: 10 digits (JTB), or NNNNNNNN-NNNN (FIRS)
 *   ZM ZRA TPIN: 10 digits
 *   MW MRA TPIN: 8 digits
 *   ZA SARS tax reference: 10 digits starting 0, 1, 2, 3 or 9, Luhn
 * Others: the generic fallback of kyb_check_national_id(). */
int kyb_check_tax_id(const char *field, const char *country, const char *s, struct kyb_check_bad *bad);

/* The format kyb_check_national_id() (tax = false) or kyb_check_tax_id()
 * (tax = true) applies for country, in words, e.g. "TZ NIDA number: 20
 * digits, or YYYYMMDD-NNNNN-NNNNN-NN". Static storage. */
const char *kyb_check_id_format(const char *country, bool tax);

/* LEI, ISO 17442: 20 characters, 18 capitals or digits then 2 check
 * digits, such that the whole, letters read as 10-35 (ISO 7064 MOD 97-10),
 * is 1 modulo 97. */
int kyb_check_lei(const char *field, const char *s, struct kyb_check_bad *bad);

/* The 2 check digits (2-98) for the first 18 characters of an LEI (the
 * rest of s is ignored); -EINVAL if those are not 18 capitals or digits. */
int kyb_check_lei_digits(const char *s);

/* The Luhn check digit (0-9) to append to digits (a NUL-terminated string
 * of 1 or more decimal digits); -EINVAL if digits is empty or has any
 * other character. Merchant ids and till numbers end with it. */
int kyb_luhn_digit(const char *digits);

/* True if s is 2 or more decimal digits and its last digit is the Luhn
 * check digit of the others. */
bool kyb_luhn_ok(const char *s);

/* Trading name as printed on the QR code (EMVCo tag 59, format "ans"): 1
 * to 25 printable ASCII characters (0x20-0x7E), no space at either end. */
int kyb_check_trading_name(const char *field, const char *s, struct kyb_check_bad *bad);

/* ISO 3166-1 alpha-2 country code, officially assigned (249 codes;
 * user-assigned ones such as XK are refused with -ENOENT). */
int kyb_check_country(const char *field, const char *s, struct kyb_check_bad *bad);

#endif
