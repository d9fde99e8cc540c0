/* qr_scan.h -- find QR codes in images (ZBar, QR symbology only, binary
 * mode) and load PNG, PGM and PPM files as 8-bit grey. */
#ifndef QR_SCAN_H
#define QR_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct qr_scan; /* opaque: a configured ZBar scanner */

/* Called once per QR code found: data (len bytes, exactly as encoded,
 * not NUL terminated) is borrowed for the duration of the call. */
typedef void (*qr_scan_cb)(const char *data, size_t len, void *arg);

/* Returns an owned scanner (free with qr_scan_free()), or NULL on
 * allocation failure. */
struct qr_scan *qr_scan_new(void);
void qr_scan_free(struct qr_scan *s); /* accepts NULL */

/* Scans a w x h 8-bit grey image (pix borrowed, w*h bytes). Calls cb for
 * each QR code found and returns their number (0 if none), or -ENOMEM. */
/* s is borrowed and may be reused for any number of images, from one
 * thread at a time. w or h 0 finds nothing (returns 0). cb may be NULL to
 * only count. The codes are reported in ZBar's order, which is not the
 * order on the image. */
int qr_scan_gray(struct qr_scan *s, const uint8_t *pix, unsigned w, unsigned h,
		 qr_scan_cb cb, void *arg);

/* Loads a PNG (any colour type or depth; alpha composed on white) or a
 * binary PGM (P5) / PPM (P6) file, or plain P2/P3, as 8-bit grey.
 * On success returns 0 and *pix is owned by the caller (free()).
 * Returns -ENOENT/-EACCES etc. when the file cannot be read, -EINVAL when
 * it is not an image of those kinds or is malformed (err says where),
 * -E2BIG for images over 16384 pixels a side, -ENOMEM. */
/* path is borrowed. The whole file is read into memory and passed to
 * qr_scan_load_mem(); a file over QR_SCAN_MAX_FILE bytes is -E2BIG. err may
 * be NULL or errlen 0; otherwise it gets a NUL-terminated message on any
 * failure. */
int qr_scan_load(const char *path, uint8_t **pix, unsigned *w, unsigned *h,
		 char *err, size_t errlen);

/* Limits of the loader. */
#define QR_SCAN_MAX_SIDE 16384                 /* pixels, width or height */
#define QR_SCAN_MAX_FILE ((size_t)1 << 30)     /* bytes qr_scan_load reads */

/* qr_scan_load() on an image already in memory: buf (len bytes) is
 * borrowed and only read. The kind is told by the first bytes: the PNG
 * signature, or "P2", "P3", "P5", "P6". Same results and ownership as
 * qr_scan_load(); -E2BIG for a side over QR_SCAN_MAX_SIDE, -EINVAL for
 * anything malformed or truncated, with err saying what and at which
 * byte offset, e.g. "bad PPM header: width missing at byte 3". On error
 * *pix, *w and *h are left untouched. Never aborts and never leaks on
 * malformed input: it is the fuzzed entry point.
 *
 * Accepted:
 * - PNG: every colour type and bit depth, palettes, tRNS, 16-bit
 *   (scaled to 8), Adam7 interlace; colour is converted to grey by libpng
 *   (its rgb_to_gray default weights), alpha is composed over white.
 *   The whole stream up to IEND must be present; a CRC error in IHDR,
 *   PLTE, tRNS, IDAT or IEND is an error; every other chunk (text, ICC
 *   profile, gamma...) is skipped unread. A file too small to hold the declared pixels even at
 *   deflate's best ratio (1032:1) is -EINVAL before any pixel memory is
 *   allocated. Built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
 *   CRCs are not checked so the fuzzer can reach the pixel code.
 * - PGM/PPM (Netpbm): P5/P6 binary and P2/P3 plain, maxval 1..65535
 *   (2-byte big-endian samples past 255), '#' comments to end of line
 *   in the header (and, in the plain formats, between samples); a sample
 *   over maxval is an error; bytes after the raster are ignored. Samples
 *   are scaled to 0..255; PPM becomes grey as (299 R + 587 G + 114 B) /
 *   1000. PBM and PAM are not accepted. */
int qr_scan_load_mem(const void *buf, size_t len, uint8_t **pix, unsigned *w, unsigned *h,
		     char *err, size_t errlen);

/* qr_scan_load() then qr_scan_gray(). Returns the number of codes found
 * or a negative errno as above. */
/* s and path are borrowed; the image is freed before returning. */
int qr_scan_file(struct qr_scan *s, const char *path, qr_scan_cb cb, void *arg,
		 char *err, size_t errlen);

#endif /* QR_SCAN_H */
