/* qr_render.h -- draw a payload as a QR symbol (libqrencode): PNG through
 * libpng, SVG, or UTF-8 half blocks for a terminal. */
#ifndef QR_RENDER_H
#define QR_RENDER_H

#include <stddef.h>
#include <stdio.h>

enum qr_render_fmt { QR_RENDER_PNG, QR_RENDER_SVG, QR_RENDER_UTF8 };

struct qr_render_opts {
	enum qr_render_fmt fmt;
	char ec;        /* 'L', 'M', 'Q' or 'H'; default 'M' */
	int scale;      /* pixels per module for PNG and SVG, 1..64; default 4 */
	int margin;     /* quiet zone in modules, 0..64; default 4 */
};

/* Limits checked by qr_render_write() (all formats, even where unused). */
#define QR_RENDER_SCALE_MAX 64
#define QR_RENDER_MARGIN_MAX 64

/* Fills o with the defaults: PNG, EC M, scale 4, margin 4. */
void qr_render_defaults(struct qr_render_opts *o);

/* Parses "png", "svg", "utf8" into *fmt; "L".."H" into *ec. Return 0 or
 * -EINVAL. */
/* Both ignore case ("PNG", "h"); *ec is always stored upper case. s is
 * borrowed; the outputs are left untouched on -EINVAL. */
int qr_render_parse_fmt(const char *s, enum qr_render_fmt *fmt);
int qr_render_parse_ec(const char *s, char *ec);

/* Encodes len bytes of payload as one QR symbol in 8-bit byte mode and
 * writes the image to out (borrowed; not closed). Returns 0, -EINVAL for
 * bad options, -E2BIG if the payload does not fit a QR symbol at that EC
 * level, -ENOMEM, or -EIO if writing failed; err (errlen bytes) gets a
 * message for the user. */
/*
 * Details:
 * - payload and o are borrowed and only read; err is caller-owned.
 * - The version (size) is the smallest that holds the payload; bytes are
 *   encoded as they are (no ECI, no text-mode guessing), so any bytes,
 *   NUL included, come back byte-identical from a reader in binary mode.
 * - len 0 or payload NULL is -EINVAL (a QR symbol holds at least 1 byte).
 *   Byte-mode capacity at version 40: L 2953, M 2331, Q 1663, H 1273.
 * - PNG: 1-bit greyscale, non-interlaced, (modules + 2*margin) * scale
 *   pixels a side, dark modules black (0), light and quiet zone white.
 * - SVG: one <svg> with width/height = (modules + 2*margin) * scale and a
 *   viewBox in module units, a white background <rect> and one black
 *   <path> of the dark modules.
 * - UTF8: two module rows per text line, drawn with U+2588 FULL BLOCK,
 *   U+2580 UPPER HALF, U+2584 LOWER HALF and space, each line ending in
 *   '\n'; ceil((modules + 2*margin) / 2) lines, modules + 2*margin
 *   characters each. Follows `qrencode -t UTF8`: the block glyphs draw the
 *   LIGHT modules and the quiet zone, a space is a dark module, so the
 *   code scans on the usual light-text-on-dark-background terminal (the
 *   text colour becomes the QR's light colour). On a dark-on-light
 *   terminal the symbol appears inverted and most readers reject it.
 *   A row past the bottom of the quiet zone (the grid height is odd)
 *   counts as light. scale is not used. With an even margin the output is
 *   byte-identical to `qrencode -t UTF8 -8 -m <margin>`.
 * - err may be NULL or errlen 0; otherwise it always gets a NUL-terminated
 *   message on failure and is untouched on success.
 * - On -EIO some bytes may already have been written to out; out is
 *   flushed (fflush) before returning 0, so a full disk is reported.
 */
int qr_render_write(const char *payload, size_t len, const struct qr_render_opts *o,
		    FILE *out, char *err, size_t errlen);

#endif /* QR_RENDER_H */
