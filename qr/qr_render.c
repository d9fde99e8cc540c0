/* qr_render.c -- encode bytes as a QR symbol with libqrencode and write it as
 * PNG (libpng), SVG or UTF-8 half blocks. */
#include "qr/qr_render.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <png.h>
#include <qrencode.h>
#include <zlib.h>

/* libpng's compression level. Measured on a 150-byte payload at scale 4:
 * level 1 writes 809 bytes at ~6,200 PNGs/s, the default level 658 bytes at
 * ~4,700/s. Throughput matters more here than 150 bytes. */
#define QR_RENDER_ZLEVEL Z_BEST_SPEED

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void qr_render_defaults(struct qr_render_opts *o)
{
	o->fmt = QR_RENDER_PNG;
	o->ec = 'M';
	o->scale = 4;
	o->margin = 4;
}

int qr_render_parse_fmt(const char *s, enum qr_render_fmt *fmt)
{
	if (!s)
		return -EINVAL;
	if (strcasecmp(s, "png") == 0)
		*fmt = QR_RENDER_PNG;
	else if (strcasecmp(s, "svg") == 0)
		*fmt = QR_RENDER_SVG;
	else if (strcasecmp(s, "utf8") == 0)
		*fmt = QR_RENDER_UTF8;
	else
		return -EINVAL;
	return 0;
}

int qr_render_parse_ec(const char *s, char *ec)
{
	if (!s || !s[0] || s[1] || !strchr("LMQHlmqh", s[0]))
		return -EINVAL;
	*ec = (char)(s[0] & ~0x20); /* ASCII upper case */
	return 0;
}

/* ---- output helpers ---------------------------------------------------- */

/* A borrowed stream plus a sticky failure flag, so the SVG and UTF-8 writers
 * can emit freely and check once. */
struct sink {
	FILE *f;
	int bad;
};

static void sink_write(struct sink *k, const void *p, size_t n)
{
	if (!k->bad && n && fwrite(p, 1, n, k->f) != n)
		k->bad = 1;
}

static void sink_puts(struct sink *k, const char *s)
{
	sink_write(k, s, strlen(s));
}

static void sink_printf(struct sink *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sink_printf(struct sink *k, const char *fmt, ...)
{
	va_list ap;

	if (k->bad)
		return;
	va_start(ap, fmt);
	if (vfprintf(k->f, fmt, ap) < 0)
		k->bad = 1;
	va_end(ap);
}

/* Flushes and reports the final state: 0 or -EIO. */
static int sink_finish(struct sink *k)
{
	if (fflush(k->f) != 0 || ferror(k->f))
		k->bad = 1;
	return k->bad ? -EIO : 0;
}

/* Module (x, y) of the padded grid, quiet zone included; 1 if dark. */
static int dark(const QRcode *q, int margin, int x, int y)
{
	x -= margin;
	y -= margin;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

/* ---- SVG --------------------------------------------------------------- */

/* One path in module units: each horizontal run of dark modules is a
 * 1-module-high rectangle "M x y h n v1 h-n z". */
static int write_svg(const QRcode *q, const struct qr_render_opts *o, FILE *f)
{
	struct sink k = { f, 0 };
	int n = q->width + 2 * o->margin;
	int x, y;

	sink_printf(&k,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		    " viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
		    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
		    "<path fill=\"#000\" d=\"",
		    n * o->scale, n * o->scale, n, n, n, n);
	for (y = 0; y < q->width; y++) {
		const unsigned char *row = q->data + (size_t)y * q->width;

		for (x = 0; x < q->width;) {
			int run;

			if (!(row[x] & 1)) {
				x++;
				continue;
			}
			for (run = 0; x + run < q->width && (row[x + run] & 1); run++)
				;
			sink_printf(&k, "M%d %dh%dv1h-%dz", x + o->margin, y + o->margin, run, run);
			x += run;
		}
	}
	sink_puts(&k, "\"/>\n</svg>\n");
	return sink_finish(&k);
}

/* ---- UTF-8 half blocks ------------------------------------------------- */

/* qrencode's UTF8 convention (see qr_render.h): glyphs draw light modules. */
static int write_utf8(const QRcode *q, const struct qr_render_opts *o, FILE *f)
{
	static const char *const glyph[4] = {
		" ",            /* top dark, bottom dark */
		"\xe2\x96\x80", /* U+2580 upper half: top light */
		"\xe2\x96\x84", /* U+2584 lower half: bottom light */
		"\xe2\x96\x88", /* U+2588 full block: both light */
	};
	struct sink k = { f, 0 };
	int n = q->width + 2 * o->margin;
	int x, y;

	for (y = 0; y < n; y += 2) {
		for (x = 0; x < n; x++) {
			int top = !dark(q, o->margin, x, y);
			/* the row under the last one (n is odd) counts as light */
			int bot = y + 1 >= n || !dark(q, o->margin, x, y + 1);

			sink_puts(&k, glyph[top | bot << 1]);
		}
		sink_puts(&k, "\n");
	}
	return sink_finish(&k);
}

/* ---- PNG --------------------------------------------------------------- */

/* State shared with libpng's callbacks; reached through png_get_*_ptr. */
struct png_out {
	FILE *f;
	int ioerr;          /* errno of a failed write to f, or 0 */
	int nomem;          /* an allocation failed */
	char msg[128];      /* libpng's last error message */
};

static void png_out_error(png_structp png, png_const_charp msg)
{
	struct png_out *po = png_get_error_ptr(png);

	snprintf(po->msg, sizeof(po->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void png_out_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg; /* writing our own fixed image: nothing to warn about */
}

static void png_out_write(png_structp png, png_bytep data, size_t len)
{
	struct png_out *po = png_get_io_ptr(png);

	if (fwrite(data, 1, len, po->f) != len) {
		po->ioerr = errno ? errno : EIO;
		png_error(png, "write failed");
	}
}

static void png_out_flush(png_structp png)
{
	(void)png; /* qr_render_write flushes once at the end */
}

static png_voidp png_out_malloc(png_structp png, png_alloc_size_t n)
{
	struct png_out *po = png_get_mem_ptr(png);
	void *p = malloc(n);

	if (!p)
		po->nomem = 1;
	return p;
}

static void png_out_free(png_structp png, png_voidp p)
{
	(void)png;
	free(p);
}

/* Writes a 1-bit grey PNG, bit 1 = white. Each module row is expanded into
 * one packed pixel row which is then written scale times. */
static int write_png(const QRcode *q, const struct qr_render_opts *o, FILE *f,
		     char *err, size_t errlen)
{
	struct png_out po = { .f = f };
	png_structp png;
	png_infop info = NULL;
	unsigned char *volatile row = NULL;
	unsigned char *white;
	int n = q->width + 2 * o->margin;
	size_t px = (size_t)n * (size_t)o->scale; /* <= (177 + 128) * 64 */
	size_t rowbytes = (px + 7) / 8;
	int rc;
	int x, y, i;

	png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &po, png_out_error, png_out_warning,
					&po, png_out_malloc, png_out_free);
	if (!png)
		goto nomem;
	info = png_create_info_struct(png);
	if (!info)
		goto nomem;
	/* two rows: the current module row and an all-white one */
	row = malloc(2 * rowbytes);
	if (!row)
		goto nomem;
	if (setjmp(png_jmpbuf(png))) {
		/* longjmp from a libpng callback: everything allocated above
		 * is still in its variable (row is volatile) */
		png_destroy_write_struct(&png, &info);
		free(row);
		if (po.nomem) {
			set_err(err, errlen, "out of memory writing PNG");
			return -ENOMEM;
		}
		if (po.ioerr)
			set_err(err, errlen, "cannot write PNG: %s", strerror(po.ioerr));
		else
			set_err(err, errlen, "cannot write PNG: %s", po.msg);
		return -EIO;
	}
	white = row + rowbytes;
	memset(white, 0xff, rowbytes);

	png_set_write_fn(png, &po, png_out_write, png_out_flush);
	png_set_IHDR(png, info, (png_uint_32)px, (png_uint_32)px, 1, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_set_compression_level(png, QR_RENDER_ZLEVEL);
	png_write_info(png, info);

	for (i = 0; i < o->margin * o->scale; i++)
		png_write_row(png, white);
	for (y = 0; y < q->width; y++) {
		const unsigned char *mrow = q->data + (size_t)y * q->width;

		memcpy(row, white, rowbytes);
		for (x = 0; x < q->width; x++) {
			size_t b, e;

			if (!(mrow[x] & 1))
				continue;
			/* clear bits [b, e): MSB first within each byte */
			b = (size_t)(x + o->margin) * (size_t)o->scale;
			e = b + (size_t)o->scale;
			for (; b < e && (b & 7); b++)
				row[b >> 3] &= (unsigned char)~(0x80u >> (b & 7));
			for (; b + 8 <= e; b += 8)
				row[b >> 3] = 0;
			for (; b < e; b++)
				row[b >> 3] &= (unsigned char)~(0x80u >> (b & 7));
		}
		for (i = 0; i < o->scale; i++)
			png_write_row(png, row);
	}
	for (i = 0; i < o->margin * o->scale; i++)
		png_write_row(png, white);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);

	struct sink k = { f, 0 };
	rc = sink_finish(&k);
	if (rc)
		set_err(err, errlen, "cannot write PNG: %s", strerror(errno));
	return rc;

nomem:
	png_destroy_write_struct(&png, &info);
	free(row);
	set_err(err, errlen, "out of memory writing PNG");
	return -ENOMEM;
}

/* ---- entry point ------------------------------------------------------- */

int qr_render_write(const char *payload, size_t len, const struct qr_render_opts *o,
		    FILE *out, char *err, size_t errlen)
{
	QRecLevel level;
	QRcode *q;
	int rc;

	if (!o || !out) {
		set_err(err, errlen, "no options or no output stream");
		return -EINVAL;
	}
	switch (o->ec) {
	case 'L': level = QR_ECLEVEL_L; break;
	case 'M': level = QR_ECLEVEL_M; break;
	case 'Q': level = QR_ECLEVEL_Q; break;
	case 'H': level = QR_ECLEVEL_H; break;
	default:
		set_err(err, errlen, "bad error correction level (want L, M, Q or H)");
		return -EINVAL;
	}
	if (o->fmt != QR_RENDER_PNG && o->fmt != QR_RENDER_SVG && o->fmt != QR_RENDER_UTF8) {
		set_err(err, errlen, "bad output format %d", (int)o->fmt);
		return -EINVAL;
	}
	if (o->scale < 1 || o->scale > QR_RENDER_SCALE_MAX) {
		set_err(err, errlen, "scale %d out of range 1..%d", o->scale, QR_RENDER_SCALE_MAX);
		return -EINVAL;
	}
	if (o->margin < 0 || o->margin > QR_RENDER_MARGIN_MAX) {
		set_err(err, errlen, "margin %d out of range 0..%d", o->margin, QR_RENDER_MARGIN_MAX);
		return -EINVAL;
	}
	if (!payload || len == 0) {
		set_err(err, errlen, "empty payload");
		return -EINVAL;
	}
	if (len > INT_MAX) /* QRcode_encodeData takes an int; far past any QR */
		goto toobig;

	errno = 0;
	q = QRcode_encodeData((int)len, (const unsigned char *)payload, 0, level);
	if (!q) {
		/* libqrencode reports through errno: ERANGE = too long,
		 * ENOMEM, EINVAL (bad arguments; ours were checked) */
		if (errno == ERANGE)
			goto toobig;
		if (errno == ENOMEM) {
			set_err(err, errlen, "out of memory encoding QR symbol");
			return -ENOMEM;
		}
		set_err(err, errlen, "cannot encode QR symbol: %s", strerror(errno));
		return -EINVAL;
	}

	switch (o->fmt) {
	case QR_RENDER_PNG:
		rc = write_png(q, o, out, err, errlen);
		break;
	case QR_RENDER_SVG:
		rc = write_svg(q, o, out);
		if (rc)
			set_err(err, errlen, "cannot write SVG: %s", strerror(errno));
		break;
	default:
		rc = write_utf8(q, o, out);
		if (rc)
			set_err(err, errlen, "cannot write text: %s", strerror(errno));
		break;
	}
	QRcode_free(q);
	return rc;

toobig:
	set_err(err, errlen, "payload of %zu bytes does not fit a QR symbol at EC level %c", len,
		o->ec);
	return -E2BIG;
}
