/* pin.h -- merchant PINs: Argon2id hashes through libsodium, constant-time
 * verification, cost upgrades, and the check that refuses trivial PINs.
 *
 * A PIN is 4..6 ASCII digits. Only its hash is stored: libsodium's encoded
 * string ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), which carries its
 * own random salt and cost, so a cost change in the configuration applies
 * to new hashes and pin_needs_rehash() tells which old ones to upgrade.
 *
 * Cost. Each pin_hash() or pin_verify() allocates memlimit bytes for its
 * duration and runs opslimit passes over them: with OWASP's Argon2id
 * minimum (19 MiB, 2 passes; the defaults of [ussd] pin_memlimit_kib and
 * pin_opslimit) that is some tens of milliseconds on one core, during
 * which the event loop is blocked. Memory is per hash, not shared.
 *
 * PINs are secrets: never log them, never echo them; callers wipe their
 * buffers with pin_wipe() once done.
 */
#ifndef GW_PIN_H
#define GW_PIN_H

#include <stddef.h>

#define PIN_MIN_DIGITS 4
#define PIN_MAX_DIGITS 6
#define PIN_HASH_MAX 128 /* crypto_pwhash_STRBYTES: an encoded hash, NUL included */
#define PIN_MSG_MAX 96   /* a pin_check() message, NUL included */

/* Argon2id cost. ops: passes (>= 1); mem_kib: KiB per hash (>= 8). */
struct pin_cost {
	unsigned long long ops;
	size_t mem_kib;
};

/* Defaults: OWASP's minimum for Argon2id. */
#define PIN_OPS_DEFAULT 2
#define PIN_MEM_KIB_DEFAULT 19456

/* Initialises libsodium once per process (later calls return at once).
 * pin_hash() and pin_verify() call it themselves. Returns 0, or -EIO if
 * libsodium cannot start (no random source). */
int pin_init(void);

/* Checks a cost against libsodium's bounds for Argon2id. Returns 0, or
 * -EINVAL with a message in err. */
int pin_cost_check(const struct pin_cost *c, char *err, size_t errlen);

/* What pin_check() found. */
enum pin_verdict {
	PIN_OK,
	PIN_BAD_FORM,   /* not 4..6 ASCII digits */
	PIN_SAME,       /* one digit repeated: 0000, 77777 */
	PIN_RUN,        /* an ascending or descending run: 1234, 4321, 123456, 7890 */
	PIN_COMMON,     /* on the list of common PINs: 1212, 1122, 2580, ... */
	PIN_PHONE,      /* the last digits of the owner's phone number */
};

/* Checks a new PIN: len bytes at pin (need not be NUL-terminated; any
 * bytes). msisdn (may be NULL) is the owner's phone number, digits with or
 * without '+': a PIN equal to its last digits is refused. msg (may be NULL,
 * PIN_MSG_MAX bytes) gets a message naming the field "pin" and, for a bad
 * form, the 1-based position of the offending character; it never
 * contains the PIN. Returns the verdict. */
enum pin_verdict pin_check(const char *pin, size_t len, const char *msisdn, char *msg, size_t msglen);

/* A stable word for a verdict ("ok", "bad_form", "same_digits", "run",
 * "common", "phone"), for logs and tests. */
const char *pin_verdict_name(enum pin_verdict v);

/* Hashes pin (NUL-terminated, 4..6 digits: only the form is checked, not
 * triviality) with cost c into out (PIN_HASH_MAX bytes). Blocks for the
 * hash's duration (see above). Returns 0; -EINVAL bad form or cost;
 * -ENOMEM (libsodium could not get the memory); -EIO. */
int pin_hash(const struct pin_cost *c, const char *pin, char out[PIN_HASH_MAX]);

/* Verifies pin against an encoded hash, in constant time for a given
 * hash. Returns 0 on a match; -EACCES on a mismatch (a PIN of a bad form
 * is a mismatch too, after the same work, so that timing tells nothing);
 * -EINVAL if hash is not an Argon2id string this build can read. */
int pin_verify(const char *hash, const char *pin);

/* 1 if hash was made with another cost than c (rehash it after the next
 * successful verification), 0 if not, -EINVAL if it is not an Argon2id
 * hash. */
int pin_needs_rehash(const struct pin_cost *c, const char *hash);

/* 1 if the NUL-terminated PINs a and b are equal, compared in constant
 * time for PINs of the same length; 0 otherwise (also if either is NULL
 * or longer than PIN_MAX_DIGITS). */
int pin_equal(const char *a, const char *b);

/* Zeroes n bytes at p in a way the compiler cannot drop. NULL ok. */
void pin_wipe(void *p, size_t n);

#endif /* GW_PIN_H */
