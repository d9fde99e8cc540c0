/* pin.c -- merchant PINs: Argon2id hashing and verification with
 * libsodium, and the triviality check (see pin.h). */
#include "gateway/pin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

/* PINs people pick that no digit rule catches: keypad shapes (2580 is
 * the middle column, 0852 the same upwards, 1470 and 3690 the sides),
 * doubled pairs, dates and years, words spelled on the keypad (5683
 * LOVE), and their 6-digit kin. Kept short on purpose: the list only
 * removes the obvious, and every refusal costs the user a retry. */
static const char *const common_pins[] = {
	"1212", "1122", "2580", "0852", "1004", "2000", "6969", "1010", "2020", "1313",
	"0101", "1470", "3690", "5683", "1998", "1999", "2001", "0007", "4545", "1221",
	"112233", "121212", "123123", "159753", "147258", "258369", "696969", "101010",
	"111222", "000111",
};

static void put(char *msg, size_t msglen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

int pin_init(void)
{
	/* sodium_init() is itself safe to call again: 1 means done before. */
	return sodium_init() < 0 ? -EIO : 0;
}

int pin_cost_check(const struct pin_cost *c, char *err, size_t errlen)
{
	if (c->ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || c->ops > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
		put(err, errlen, "pin_opslimit: %llu is outside %llu..%llu", c->ops,
		    (unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_MIN,
		    (unsigned long long)crypto_pwhash_argon2id_OPSLIMIT_MAX);
		return -EINVAL;
	}
	size_t lo = crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024;
	if (c->mem_kib < lo || c->mem_kib > (size_t)4 * 1024 * 1024) {
		put(err, errlen, "pin_memlimit_kib: %zu is outside %zu..%zu", c->mem_kib, lo,
		    (size_t)4 * 1024 * 1024);
		return -EINVAL;
	}
	return 0;
}

static int digits_only(const char *pin, size_t len, size_t *bad)
{
	for (size_t i = 0; i < len; i++)
		if (pin[i] < '0' || pin[i] > '9') {
			*bad = i;
			return 0;
		}
	return 1;
}

/* 1 if every step from one digit to the next is +1 (or every one -1),
 * modulo 10, so that 7890 and 0987 count as runs too. */
static int is_run(const char *pin, size_t len)
{
	int up = 1, down = 1;
	for (size_t i = 1; i < len; i++) {
		int d = (pin[i] - pin[i - 1] + 10) % 10;
		up &= d == 1;
		down &= d == 9;
	}
	return up || down;
}

enum pin_verdict pin_check(const char *pin, size_t len, const char *msisdn, char *msg, size_t msglen)
{
	size_t bad = 0;

	if (!pin || len < PIN_MIN_DIGITS || len > PIN_MAX_DIGITS) {
		put(msg, msglen, "pin: %d to %d digits, got %zu characters", PIN_MIN_DIGITS,
		    PIN_MAX_DIGITS, pin ? len : 0);
		return PIN_BAD_FORM;
	}
	if (!digits_only(pin, len, &bad)) {
		put(msg, msglen, "pin: character %zu is not a digit", bad + 1);
		return PIN_BAD_FORM;
	}
	size_t same = 1;
	while (same < len && pin[same] == pin[0])
		same++;
	if (same == len) {
		put(msg, msglen, "pin: one digit repeated is too easy to guess");
		return PIN_SAME;
	}
	if (is_run(pin, len)) {
		put(msg, msglen, "pin: a run of digits is too easy to guess");
		return PIN_RUN;
	}
	for (size_t i = 0; i < sizeof common_pins / sizeof common_pins[0]; i++)
		if (strlen(common_pins[i]) == len && memcmp(common_pins[i], pin, len) == 0) {
			put(msg, msglen, "pin: a common PIN, too easy to guess");
			return PIN_COMMON;
		}
	if (msisdn) {
		size_t n = strlen(msisdn);
		if (n >= len && memcmp(msisdn + n - len, pin, len) == 0) {
			put(msg, msglen, "pin: the end of the phone number is too easy to guess");
			return PIN_PHONE;
		}
	}
	put(msg, msglen, "pin: ok");
	return PIN_OK;
}

const char *pin_verdict_name(enum pin_verdict v)
{
	switch (v) {
	case PIN_OK:
		return "ok";
	case PIN_BAD_FORM:
		return "bad_form";
	case PIN_SAME:
		return "same_digits";
	case PIN_RUN:
		return "run";
	case PIN_COMMON:
		return "common";
	case PIN_PHONE:
		return "phone";
	}
	return "unknown";
}

static int form_ok(const char *pin)
{
	size_t len = strnlen(pin, PIN_MAX_DIGITS + 1), bad;
	return len >= PIN_MIN_DIGITS && len <= PIN_MAX_DIGITS && digits_only(pin, len, &bad);
}

int pin_hash(const struct pin_cost *c, const char *pin, char out[PIN_HASH_MAX])
{
	_Static_assert(PIN_HASH_MAX == crypto_pwhash_STRBYTES, "PIN_HASH_MAX");
	if (pin_init() < 0)
		return -EIO;
	if (!form_ok(pin) || pin_cost_check(c, NULL, 0) < 0)
		return -EINVAL;
	/* crypto_pwhash_str_alg() fails only when it cannot allocate memlimit
	 * bytes (or for bounds checked above). */
	if (crypto_pwhash_str_alg(out, pin, strlen(pin), c->ops, c->mem_kib * 1024,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

int pin_verify(const char *hash, const char *pin)
{
	if (pin_init() < 0)
		return -EIO;
	if (!hash || strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
			     strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0 ||
	    strnlen(hash, PIN_HASH_MAX) >= PIN_HASH_MAX)
		return -EINVAL;
	/* A PIN of a bad form still goes through the hash (as a string that
	 * cannot match), so that a mismatch takes the same time either way. */
	const char *p = pin && form_ok(pin) ? pin : "";
	int ok = crypto_pwhash_str_verify(hash, p, strlen(p)) == 0;
	if (ok && p != pin)
		ok = 0;
	return ok ? 0 : -EACCES;
}

int pin_needs_rehash(const struct pin_cost *c, const char *hash)
{
	if (pin_init() < 0)
		return -EIO;
	if (!hash || strnlen(hash, PIN_HASH_MAX) >= PIN_HASH_MAX)
		return -EINVAL;
	int rc = crypto_pwhash_str_needs_rehash(hash, c->ops, c->mem_kib * 1024);
	if (rc < 0)
		return -EINVAL;
	/* needs_rehash answers 0 for an argon2i hash of the same cost:
	 * Tillgate wants Argon2id, so any other prefix is an upgrade too. */
	if (strncmp(hash, crypto_pwhash_argon2id_STRPREFIX,
		    strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0)
		return 1;
	return rc;
}

int pin_equal(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t na = strnlen(a, PIN_MAX_DIGITS + 1), nb = strnlen(b, PIN_MAX_DIGITS + 1);
	if (na != nb || na > PIN_MAX_DIGITS)
		return 0;
	return sodium_memcmp(a, b, na) == 0;
}

void pin_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}
