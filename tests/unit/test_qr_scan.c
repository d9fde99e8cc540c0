/* test_qr_scan.c -- cmocka tests for qr_scan: the PGM/PPM/PNG loader
 * (formats, conversions, malformed and truncated input, limits) and the ZBar
 * scanner (QR only, binary data, no false reads). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>
#include <zbar.h>

#include "qr/qr_render.h"
#include "qr/qr_scan.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/unit/fixtures"
#endif

/* The public EMVCo example (docs notes §8): 260 bytes of UTF-8. */
static const char emv_example[] =
	"00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
	"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104\xe6\x9c\x80\xe4\xbd\xb3"
	"\xe8\xbf\x90\xe8\xbe\x93" "0202\xe5\x8c\x97\xe4\xba\xac"
	"540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988"
	"770708123456786304A13A";

/* ---- helpers ----------------------------------------------------------- */

/* A growable byte buffer; owned by whoever declared it (free b.p). */
struct buf {
	unsigned char *p;
	size_t len;
	size_t cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	buf_add(b, tmp, (size_t)n);
}

/* A grey image; owned. */
struct img {
	uint8_t *pix;
	unsigned w, h;
};

/* Renders payload as a PNG with our renderer and loads it: the reference
 * grey QR image (pure 0/255) for the format tests. */
static struct img qr_image(const char *payload, size_t len, int scale)
{
	struct qr_render_opts o;
	struct img im;
	char *mem = NULL;
	size_t mlen = 0;
	char err[128];
	FILE *f = open_memstream(&mem, &mlen);

	assert_non_null(f);
	qr_render_defaults(&o);
	o.scale = scale;
	assert_int_equal(qr_render_write(payload, len, &o, f, err, sizeof(err)), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(qr_scan_load_mem(mem, mlen, &im.pix, &im.w, &im.h, err, sizeof(err)), 0);
	free(mem);
	return im;
}

struct found {
	int n;
	char *data[4];
	size_t len[4];
};

static void on_code(const char *data, size_t len, void *arg)
{
	struct found *f = arg;

	if (f->n < 4) {
		f->data[f->n] = malloc(len + 1);
		assert_non_null(f->data[f->n]);
		memcpy(f->data[f->n], data, len);
		f->len[f->n] = len;
	}
	f->n++;
}

static void found_free(struct found *f)
{
	int i;

	for (i = 0; i < f->n && i < 4; i++)
		free(f->data[i]);
}

/* Scans and asserts one code equal to want. */
static void assert_decodes(const uint8_t *pix, unsigned w, unsigned h, const void *want,
			   size_t wlen)
{
	struct qr_scan *s = qr_scan_new();
	struct found f = { 0 };

	assert_non_null(s);
	assert_int_equal(qr_scan_gray(s, pix, w, h, on_code, &f), 1);
	qr_scan_free(s);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.len[0], wlen);
	assert_memory_equal(f.data[0], want, wlen);
	found_free(&f);
}

/* Loads from memory, asserting success; returns the image. */
static struct img load_ok(const void *p, size_t len)
{
	struct img im = { NULL, 0, 0 };
	char err[256] = "";
	int rc = qr_scan_load_mem(p, len, &im.pix, &im.w, &im.h, err, sizeof(err));

	if (rc)
		fail_msg("load failed: %d %s", rc, err);
	return im;
}

/* Loads from memory, asserting the error code; err must mention what. */
static void load_fails(const void *p, size_t len, int want, const char *what)
{
	uint8_t *pix = (uint8_t *)&pix; /* must stay untouched */
	unsigned w = 7, h = 9;
	char err[256] = "";
	int rc = qr_scan_load_mem(p, len, &pix, &w, &h, err, sizeof(err));

	if (rc != want)
		fail_msg("want %d got %d (%s) for %.*s", want, rc, err, (int)(len < 40 ? len : 40),
			 (const char *)p);
	assert_true(pix == (uint8_t *)&pix && w == 7 && h == 9);
	assert_true(strlen(err) > 0);
	if (what && !strstr(err, what))
		fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

/* ---- PNG writer for the tests (libpng) --------------------------------- */

struct png_spec {
	int ctype;      /* PNG_COLOR_TYPE_* */
	int depth;
	int interlace;  /* PNG_INTERLACE_NONE or _ADAM7 */
	int trns;       /* tRNS: palette index 1, or grey/RGB value 7, is the
			 * (transparent) light colour */
};

static void mem_write(png_structp png, png_bytep data, size_t n)
{
	buf_add(png_get_io_ptr(png), data, n);
}

static void mem_flush(png_structp png)
{
	(void)png;
}

/* Packs sample v (0..2^depth-1) into row at index i. */
static void put_sample(png_bytep row, size_t i, int depth, unsigned v)
{
	if (depth == 16) {
		row[2 * i] = (png_byte)(v >> 8);
		row[2 * i + 1] = (png_byte)v;
	} else if (depth == 8) {
		row[i] = (png_byte)v;
	} else {
		size_t bit = i * (size_t)depth;
		unsigned shift = 8 - (unsigned)depth - (unsigned)(bit & 7);

		row[bit / 8] = (png_byte)(row[bit / 8] | v << shift);
	}
}

/* Encodes grey image im (0/255 only) as a PNG of the given kind: dark
 * stays black and opaque; light becomes white, or for the alpha kinds a
 * fully transparent BLACK pixel, which only composition over white turns
 * back into white. The owned PNG is in the returned buf. */
static struct buf make_png(const struct img *im, const struct png_spec *sp)
{
	struct buf b = { NULL, 0, 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int chans = sp->ctype == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : sp->ctype == PNG_COLOR_TYPE_RGB ? 3 :
		    sp->ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
	unsigned maxv = (1u << sp->depth) - 1;
	size_t rowbytes = ((size_t)im->w * (size_t)chans * (size_t)sp->depth + 7) / 8;
	png_bytep row = malloc(rowbytes);
	png_bytep *rows = malloc(sizeof(*rows) * im->h);
	unsigned x, y;
	int c;

	assert_non_null(png);
	assert_non_null(info);
	assert_non_null(row);
	assert_non_null(rows);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng failed writing a test image");
	png_set_write_fn(png, &b, mem_write, mem_flush);
	png_set_IHDR(png, info, im->w, im->h, sp->depth, sp->ctype, sp->interlace,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	{
		/* ancillary chunks the loader skips: text and a gamma */
		char key[] = "Comment", text[] = "Tillgate test image";
		png_text t = { .compression = PNG_TEXT_COMPRESSION_zTXt, .key = key, .text = text };

		t.text_length = strlen(text);
		png_set_text(png, info, &t, 1);
		png_set_gAMA(png, info, 1 / 2.2);
	}
	if (sp->trns && sp->ctype == PNG_COLOR_TYPE_GRAY) {
		/* light pixels are dark grey 7, made transparent by tRNS */
		png_color_16 t = { 0, 0, 0, 0, 7 };

		png_set_tRNS(png, info, NULL, 0, &t);
	} else if (sp->trns && sp->ctype == PNG_COLOR_TYPE_RGB) {
		png_color_16 t = { 0, 7, 7, 7, 0 };

		png_set_tRNS(png, info, NULL, 0, &t);
	}
	if (sp->ctype == PNG_COLOR_TYPE_PALETTE) {
		/* index 0 white, 1 black (or transparent black) */
		png_color pal[2] = { { 255, 255, 255 }, { 0, 0, 0 } };
		png_byte alpha[2] = { 255, 0 };

		png_set_PLTE(png, info, pal, 2);
		if (sp->trns) {
			/* swap: light = index 1 transparent black */
			pal[0] = (png_color){ 0, 0, 0 };
			png_set_PLTE(png, info, pal, 2);
			png_set_tRNS(png, info, alpha, 2, NULL);
		}
	}
	for (y = 0; y < im->h; y++) {
		rows[y] = malloc(rowbytes);
		assert_non_null(rows[y]);
		memset(rows[y], 0, rowbytes);
		for (x = 0; x < im->w; x++) {
			int light = im->pix[(size_t)y * im->w + x] != 0;
			size_t i = (size_t)x * (size_t)chans;

			switch (sp->ctype) {
			case PNG_COLOR_TYPE_PALETTE:
				put_sample(rows[y], x, sp->depth, sp->trns ? (light ? 1u : 0u) :
									     (light ? 0u : 1u));
				break;
			case PNG_COLOR_TYPE_GRAY:
			case PNG_COLOR_TYPE_RGB:
				for (c = 0; c < chans; c++)
					put_sample(rows[y], i + (size_t)c, sp->depth,
						   light ? (sp->trns ? 7 : maxv) : 0);
				break;
			default: /* alpha: light = transparent black */
				for (c = 0; c < chans - 1; c++)
					put_sample(rows[y], i + (size_t)c, sp->depth, 0);
				put_sample(rows[y], i + (size_t)chans - 1, sp->depth, light ? 0 : maxv);
				break;
			}
		}
	}
	png_set_rows(png, info, rows);
	png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_destroy_write_struct(&png, &info);
	for (y = 0; y < im->h; y++)
		free(rows[y]);
	free(rows);
	free(row);
	return b;
}

/* A w x h PNG (depth 8) of one colour type from raw samples. */
static struct buf make_png_raw(unsigned w, unsigned h, int ctype, int depth,
			       const unsigned char *samples)
{
	struct buf b = { NULL, 0, 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	int chans = ctype == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : ctype == PNG_COLOR_TYPE_RGB ? 3 :
		    ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
	size_t rowbytes = (size_t)w * (size_t)chans * (size_t)(depth / 8);
	unsigned y;

	assert_non_null(png);
	assert_non_null(info);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng failed writing a test image");
	png_set_write_fn(png, &b, mem_write, mem_flush);
	png_set_IHDR(png, info, w, h, depth, ctype, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, samples + y * rowbytes);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return b;
}

/* ---- scanner ----------------------------------------------------------- */

static void test_scanner_basics(void **state)
{
	struct qr_scan *s = qr_scan_new();
	uint8_t white[64 * 64];

	(void)state;
	assert_non_null(s);
	qr_scan_free(NULL);
	memset(white, 255, sizeof(white));
	assert_int_equal(qr_scan_gray(s, white, 0, 0, NULL, NULL), 0);
	assert_int_equal(qr_scan_gray(s, white, 64, 0, NULL, NULL), 0);
	assert_int_equal(qr_scan_gray(s, white, 64, 64, NULL, NULL), 0);
	qr_scan_free(s);
}

/* The same scanner over many images, and two codes in one image. */
static void test_scanner_reuse_and_two_codes(void **state)
{
	struct img a = qr_image("first", 5, 3), b = qr_image("second code", 11, 3);
	unsigned w = a.w + b.w + 20, h = a.h > b.h ? a.h : b.h, y;
	uint8_t *pix = malloc((size_t)w * h);
	struct qr_scan *s = qr_scan_new();
	struct found f = { 0 };
	int i, firsts = 0;

	(void)state;
	assert_non_null(pix);
	assert_non_null(s);
	memset(pix, 255, (size_t)w * h);
	for (y = 0; y < a.h; y++)
		memcpy(pix + (size_t)y * w, a.pix + (size_t)y * a.w, a.w);
	for (y = 0; y < b.h; y++)
		memcpy(pix + (size_t)y * w + a.w + 20, b.pix + (size_t)y * b.w, b.w);
	assert_int_equal(qr_scan_gray(s, pix, w, h, on_code, &f), 2);
	assert_int_equal(f.n, 2);
	for (i = 0; i < 2; i++) {
		if (f.len[i] == 5 && memcmp(f.data[i], "first", 5) == 0)
			firsts++;
		else
			assert_true(f.len[i] == 11 && memcmp(f.data[i], "second code", 11) == 0);
	}
	assert_int_equal(firsts, 1);
	found_free(&f);
	for (i = 0; i < 20; i++) {
		struct found g = { 0 };

		assert_int_equal(qr_scan_gray(s, a.pix, a.w, a.h, on_code, &g), 1);
		assert_true(g.len[0] == 5 && memcmp(g.data[0], "first", 5) == 0);
		found_free(&g);
		assert_int_equal(qr_scan_gray(s, pix, w, h, NULL, NULL), 2);
	}
	qr_scan_free(s);
	free(pix);
	free(a.pix);
	free(b.pix);
}

/* Bytes come back exactly, NULs and invalid UTF-8 included: binary mode
 * and the symbol's length, not strlen. */
static void test_binary_data(void **state)
{
	unsigned char all[256];
	struct img im;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	im = qr_image((const char *)all, sizeof(all), 2);
	assert_decodes(im.pix, im.w, im.h, all, sizeof(all));
	free(im.pix);
	im = qr_image("\0", 1, 2);
	assert_decodes(im.pix, im.w, im.h, "\0", 1);
	free(im.pix);
}

/* Modules of 1 to 5 pixels: the coarse first pass misses the smallest,
 * the full pass must still find them, and each code is reported once. */
static void test_module_sizes(void **state)
{
	static const char payload[] = "00020101021126370012org.tillgate0105ALIAS"
		"0208100000425204541153038345802TZ5914MAMA JUMA SHOP6006ARUSHA6304EE29";
	int scale;

	(void)state;
	for (scale = 1; scale <= 5; scale++) {
		struct img im = qr_image(payload, sizeof(payload) - 1, scale);

		assert_decodes(im.pix, im.w, im.h, payload, sizeof(payload) - 1);
		free(im.pix);
	}
}

/* xorshift32: the noise is the same on every run. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_no_code(void **state)
{
	enum { W = 300, H = 300 };
	uint8_t *pix = malloc(W * H);
	struct qr_scan *s = qr_scan_new();
	unsigned x, y;

	(void)state;
	assert_non_null(pix);
	assert_non_null(s);
	/* blank, gradient, checkerboard of module-sized squares */
	memset(pix, 255, W * H);
	assert_int_equal(qr_scan_gray(s, pix, W, H, NULL, NULL), 0);
	memset(pix, 0, W * H);
	assert_int_equal(qr_scan_gray(s, pix, W, H, NULL, NULL), 0);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			pix[y * W + x] = (uint8_t)((x + y) * 255 / (W + H));
	assert_int_equal(qr_scan_gray(s, pix, W, H, NULL, NULL), 0);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			pix[y * W + x] = ((x / 4 + y / 4) & 1) ? 255 : 0;
	assert_int_equal(qr_scan_gray(s, pix, W, H, NULL, NULL), 0);
	qr_scan_free(s);
	free(pix);
}

/* Random pixels and random module-sized blocks never yield a code. */
static void test_noise(void **state)
{
	enum { W = 300, H = 300 };
	uint8_t *pix = malloc(W * H);
	struct qr_scan *s = qr_scan_new();
	uint32_t seed = 0x12345678;
	unsigned x, y, i, block;

	(void)state;
	assert_non_null(pix);
	assert_non_null(s);
	for (i = 0; i < 40; i++) {
		block = 1 + i % 8;
		for (y = 0; y < H; y++)
			for (x = 0; x < W; x++) {
				if (y % block == 0 && x % block == 0)
					pix[y * W + x] = (rnd(&seed) & 1) ? 255 : 0;
				else
					pix[y * W + x] = pix[(y - y % block) * W + x - x % block];
			}
		assert_int_equal(qr_scan_gray(s, pix, W, H, NULL, NULL), 0);
	}
	qr_scan_free(s);
	free(pix);
}

/* An Interleaved 2 of 5 barcode: ZBar reads it with its default config,
 * our QR-only scanner must not. */
static void test_ignores_1d_barcode(void **state)
{
	/* N/W per digit, five elements each */
	static const char *const i25[10] = { "NNWWN", "WNNNW", "NWNNW", "WWNNN", "NNWNW",
					     "WNWNN", "NWWNN", "NNNWW", "WNNWN", "NWNWN" };
	static const char digits[] = "12345670";
	enum { W = 400, H = 120, NARROW = 3, WIDE = 9 };
	uint8_t *pix = malloc(W * H);
	uint8_t row[W];
	struct qr_scan *s = qr_scan_new();
	unsigned x = 40, y, k;
	size_t d;
	int e;

	(void)state;
	assert_non_null(pix);
	assert_non_null(s);
	memset(row, 255, sizeof(row));
	/* start: narrow bar, space, bar, space */
	for (e = 0; e < 4; e++, x += NARROW)
		if (!(e & 1))
			memset(row + x, 0, NARROW);
	for (d = 0; d + 1 < sizeof(digits) - 1; d += 2) {
		const char *bars = i25[digits[d] - '0'], *spaces = i25[digits[d + 1] - '0'];

		for (k = 0; k < 5; k++) {
			unsigned bw = bars[k] == 'W' ? WIDE : NARROW;
			unsigned sw = spaces[k] == 'W' ? WIDE : NARROW;

			memset(row + x, 0, bw);
			x += bw + sw;
		}
	}
	/* stop: wide bar, narrow space, narrow bar */
	memset(row + x, 0, WIDE);
	x += WIDE + NARROW;
	memset(row + x, 0, NARROW);
	assert_true(x + NARROW + 30 < W);
	for (y = 0; y < H; y++)
		memcpy(pix + y * W, row, W);
	assert_int_equal(qr_scan_gray(s, pix, W, H, NULL, NULL), 0);
	qr_scan_free(s);

	/* the barcode is real: ZBar with its defaults reads it */
	{
		zbar_image_scanner_t *zs = zbar_image_scanner_create();
		zbar_image_t *zi = zbar_image_create();
		const zbar_symbol_t *sym;

		assert_non_null(zs);
		assert_non_null(zi);
		zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
		zbar_image_set_size(zi, W, H);
		zbar_image_set_data(zi, pix, W * H, NULL);
		assert_int_equal(zbar_scan_image(zs, zi), 1);
		sym = zbar_image_first_symbol(zi);
		assert_int_equal(zbar_symbol_get_type(sym), ZBAR_I25);
		assert_string_equal(zbar_symbol_get_data(sym), digits);
		zbar_image_destroy(zi);
		zbar_image_scanner_destroy(zs);
	}
	free(pix);
}

/* ---- PGM / PPM --------------------------------------------------------- */

static void test_pgm_values(void **state)
{
	static const unsigned char p5[] = "P5\n# made by hand\n3 2\n# max\n255\n"
					  "\x00\x80\xff\x01\x02\x03";
	static const unsigned char p5_15[] = "P5 2 1 15 \x00\x0f";
	static const unsigned char p5_16[] = "P5 3 1 65535\n\x00\x00\x80\x80\xff\xff";
	static const char p2[] = "P2\n# comment\n3 2 # trailing comment\n255\n0 128 255\n"
				 "# inside the raster\n1 2 3";
	static const char p2_1000[] = "P2 2 1 1000 500 1000\n";
	struct img im;

	(void)state;
	im = load_ok(p5, sizeof(p5) - 1);
	assert_int_equal(im.w, 3);
	assert_int_equal(im.h, 2);
	assert_memory_equal(im.pix, "\x00\x80\xff\x01\x02\x03", 6);
	free(im.pix);

	im = load_ok(p5_15, sizeof(p5_15) - 1);
	assert_int_equal(im.pix[0], 0);
	assert_int_equal(im.pix[1], 255);
	free(im.pix);

	im = load_ok(p5_16, sizeof(p5_16) - 1);
	assert_int_equal(im.w, 3);
	assert_int_equal(im.pix[0], 0);
	assert_int_equal(im.pix[1], 128);
	assert_int_equal(im.pix[2], 255);
	free(im.pix);

	im = load_ok(p2, strlen(p2));
	assert_int_equal(im.w, 3);
	assert_int_equal(im.h, 2);
	assert_memory_equal(im.pix, "\x00\x80\xff\x01\x02\x03", 6);
	free(im.pix);

	im = load_ok(p2_1000, strlen(p2_1000));
	assert_int_equal(im.pix[0], 128);
	assert_int_equal(im.pix[1], 255);
	free(im.pix);
}

static void test_ppm_values(void **state)
{
	/* white, black, red, green, blue, grey 100 */
	static const unsigned char p6[] = "P6\n3 2 # c\n255\n"
					  "\xff\xff\xff\x00\x00\x00\xff\x00\x00"
					  "\x00\xff\x00\x00\x00\xff\x64\x64\x64";
	static const char p3[] = "P3 3 2\n# 16-bit plain\n65535\n"
				 "65535 65535 65535 0 0 0 65535 0 0\n"
				 "0 65535 0 0 0 65535 25700 25700 25700\n";
	static const unsigned char want[6] = { 255, 0, 76, 150, 29, 100 };
	struct img im;

	(void)state;
	im = load_ok(p6, sizeof(p6) - 1);
	assert_int_equal(im.w, 3);
	assert_int_equal(im.h, 2);
	assert_memory_equal(im.pix, want, 6);
	free(im.pix);
	im = load_ok(p3, strlen(p3));
	assert_memory_equal(im.pix, want, 6);
	free(im.pix);
}

/* A QR image survives P5, P2, P6, P3 (8- and 16-bit) exactly. */
static void test_pnm_round_trip(void **state)
{
	static const char *const magic[] = { "P5", "P2", "P6", "P3" };
	struct img ref = qr_image(emv_example, strlen(emv_example), 2);
	size_t i, p;
	int wide;

	(void)state;
	for (wide = 0; wide < 2; wide++)
		for (i = 0; i < 4; i++) {
			unsigned maxv = wide ? 65535 : 255;
			int plain = magic[i][1] == '2' || magic[i][1] == '3';
			int ch = magic[i][1] == '3' || magic[i][1] == '6' ? 3 : 1;
			struct buf b = { NULL, 0, 0 };
			struct img im;
			int c;

			buf_printf(&b, "%s\n# Tillgate test\n%u %u\n%u\n", magic[i], ref.w, ref.h,
				   maxv);
			for (p = 0; p < (size_t)ref.w * ref.h; p++)
				for (c = 0; c < ch; c++) {
					unsigned v = ref.pix[p] ? maxv : 0;

					if (plain) {
						buf_printf(&b, "%u%c", v, p % 17 == 16 ? '\n' : ' ');
					} else if (wide) {
						unsigned char two[2] = { (unsigned char)(v >> 8),
									 (unsigned char)v };

						buf_add(&b, two, 2);
					} else {
						unsigned char one = (unsigned char)v;

						buf_add(&b, &one, 1);
					}
				}
			im = load_ok(b.p, b.len);
			assert_int_equal(im.w, ref.w);
			assert_int_equal(im.h, ref.h);
			assert_memory_equal(im.pix, ref.pix, (size_t)ref.w * ref.h);
			assert_decodes(im.pix, im.w, im.h, emv_example, strlen(emv_example));
			free(im.pix);
			free(b.p);
		}
	free(ref.pix);
}

static void test_pnm_malformed(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *what;
	} cases[] = {
		{ "P6", -EINVAL, "width missing at byte 2" },
		{ "P6\n", -EINVAL, "bad PPM header: width missing at byte 3" },
		{ "P5\n", -EINVAL, "bad PGM header: width missing at byte 3" },
		{ "P5 x 2 255\n", -EINVAL, "width missing at byte 3" },
		{ "P5 -2 2 255\n", -EINVAL, "width missing" },
		{ "P5 2\n", -EINVAL, "height missing at byte 5" },
		{ "P5 2 2\n", -EINVAL, "maxval missing" },
		{ "P5 2 2 # only a comment", -EINVAL, "maxval missing" },
		{ "P52 2 255\n", -EINVAL, "after magic at byte 2" },
		{ "P5 2x 2 255\n", -EINVAL, "width followed by 'x' at byte 4" },
		{ "P5 0 2 255\nab", -EINVAL, "width is 0" },
		{ "P5 2 0 255\nab", -EINVAL, "height is 0" },
		{ "P5 1 1 0\na", -EINVAL, "maxval 0" },
		{ "P5 1 1 65536\naa", -EINVAL, "maxval 65536" },
		{ "P5 1 1 99999999999999999999\naa", -EINVAL, "maxval" },
		{ "P5 2 1 255\n\x01", -EINVAL, "truncated PGM raster" },
		{ "P5 2 1 255", -EINVAL, "no whitespace after maxval at byte 10" },
		{ "P5 1 1 255#c\n\x01", -EINVAL, "no whitespace after maxval" },
		{ "P6 1 1 255\n\x01\x02", -EINVAL, "truncated PPM raster" },
		{ "P5 1 1 100\n\x65", -EINVAL, "sample 101 over maxval 100 at byte 11" },
		{ "P2 2 1 7 3 8", -EINVAL, "sample 8 over maxval 7 at byte 11" },
		{ "P2 2 1 255 3 x", -EINVAL, "sample missing at byte 13" },
		{ "P2 2 1 255 3 4x", -EINVAL, "sample followed by 'x'" },
		{ "P2 3 1 255 1 2", -EINVAL, "sample missing at byte 14" },
		{ "P2 300 300 255 1 2", -EINVAL, "truncated PGM raster" },
		{ "P3 2 1 255 1 2 3 4 5 ", -EINVAL, "sample missing at byte 21" },
		{ "P5 16385 1 255\n", -E2BIG, "16384" },
		{ "P6 1 20000 255\n", -E2BIG, "16384" },
		{ "P5 99999999999999999999 1 255\n", -E2BIG, "over the" },
		{ "P4 1 1\n\x00", -EINVAL, "not supported" },
		{ "P1 1 1 0", -EINVAL, "not supported" },
		{ "P7\nWIDTH 1\n", -EINVAL, "not supported" },
		{ "P", -EINVAL, "no known signature" },
		{ "GIF89a", -EINVAL, "no known signature" },
		{ "\x89PNG\r", -EINVAL, "truncated PNG" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		load_fails(cases[i].in, strlen(cases[i].in), cases[i].rc, cases[i].what);
	/* binary samples with NULs: explicit lengths */
	load_fails("P6 1 1 1000\n\x00\x00\x03\xe9\x00\x00", 18, -EINVAL,
		   "sample 1001 over maxval 1000 at byte 14");
	load_fails("P5 2 1 65535\n\xff\xff\x00", 16, -EINVAL, "truncated PGM raster");
	load_fails("", 0, -EINVAL, "empty");
	/* a NUL where the magic digit goes */
	load_fails("P\0 1 1 255\n\x01", 12, -EINVAL, "no known signature");
}

/* Every strict prefix of a binary PGM/PPM is rejected. */
static void test_pnm_truncated(void **state)
{
	static const unsigned char p5[] = "P5\n# c\n3 2\n255\n\x00\x80\xff\x01\x02\x03";
	static const unsigned char p6[] = "P6 2 1 65535\n\x00\x00\x80\x80\xff\xff"
					  "\x00\x00\x80\x80\xff\xff";
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(p5) - 1; n++)
		load_fails(p5, n, -EINVAL, NULL);
	for (n = 0; n < sizeof(p6) - 1; n++)
		load_fails(p6, n, -EINVAL, NULL);
	free(load_ok(p6, sizeof(p6) - 1).pix);
}

/* ---- PNG --------------------------------------------------------------- */

/* Each colour type and depth gives exactly the reference image. */
static void test_png_colour_types(void **state)
{
	static const struct png_spec specs[] = {
		{ PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_GRAY, 2, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_GRAY, 4, PNG_INTERLACE_ADAM7, 0 },
		{ PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_ADAM7, 0 },
		{ PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_GRAY_ALPHA, 16, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_ADAM7, 0 },
		{ PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_ADAM7, 0 },
		{ PNG_COLOR_TYPE_RGB_ALPHA, 16, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_PALETTE, 1, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, 0 },
		{ PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE, 1 },
		{ PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_ADAM7, 1 },
		{ PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, 1 },
		{ PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, 1 },
		{ PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, 1 },
	};
	struct img ref = qr_image(emv_example, strlen(emv_example), 2);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct buf b = make_png(&ref, &specs[i]);
		struct img im = load_ok(b.p, b.len);

		assert_int_equal(im.w, ref.w);
		assert_int_equal(im.h, ref.h);
		if (memcmp(im.pix, ref.pix, (size_t)ref.w * ref.h) != 0)
			fail_msg("colour type %d depth %d differs", specs[i].ctype, specs[i].depth);
		assert_decodes(im.pix, im.w, im.h, emv_example, strlen(emv_example));
		free(im.pix);
		free(b.p);
	}
	free(ref.pix);
}

/* Grey levels: 16-bit scaling, alpha over white, colour to grey. */
static void test_png_values(void **state)
{
	/* 0x01ff is 1.99 in 8 bits: scaled (not truncated) to 2 */
	static const unsigned char g16[] = { 0x00, 0x00, 0x80, 0x80, 0xff, 0xff, 0x01, 0xff };
	static const unsigned char ga[] = { 0, 255, 0, 128, 0, 0, 200, 255 };
	static const unsigned char rgb[] = { 255, 0, 0, 0, 255, 0, 255, 255, 255, 0, 0, 0 };
	static const unsigned char rgba[] = { 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0 };
	struct buf b;
	struct img im;

	(void)state;
	b = make_png_raw(4, 1, PNG_COLOR_TYPE_GRAY, 16, g16);
	im = load_ok(b.p, b.len);
	assert_memory_equal(im.pix, "\x00\x80\xff\x02", 4);
	free(im.pix);
	free(b.p);

	b = make_png_raw(4, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga);
	im = load_ok(b.p, b.len);
	assert_int_equal(im.pix[0], 0);                      /* opaque black */
	assert_in_range(im.pix[1], 126, 128);                /* half-transparent black */
	assert_int_equal(im.pix[2], 255);                    /* transparent black */
	assert_int_equal(im.pix[3], 200);                    /* opaque grey */
	free(im.pix);
	free(b.p);

	b = make_png_raw(4, 1, PNG_COLOR_TYPE_RGB, 8, rgb);
	im = load_ok(b.p, b.len);
	assert_in_range(im.pix[0], 40, 90);   /* red is darkish */
	assert_in_range(im.pix[1], 140, 200); /* green is light */
	assert_int_equal(im.pix[2], 255);
	assert_int_equal(im.pix[3], 0);
	free(im.pix);
	free(b.p);

	b = make_png_raw(3, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, rgba);
	im = load_ok(b.p, b.len);
	assert_memory_equal(im.pix, "\xff\x00\xff", 3);
	free(im.pix);
	free(b.p);
}

/* Offset of the first chunk of this type in a PNG. */
static size_t chunk_at(const unsigned char *p, size_t len, const char *type)
{
	size_t at = 8;

	while (at + 12 <= len) {
		size_t n = (size_t)p[at] << 24 | (size_t)p[at + 1] << 16 | (size_t)p[at + 2] << 8 |
			   p[at + 3];

		if (memcmp(p + at + 4, type, 4) == 0)
			return at;
		at += 12 + n;
	}
	fail_msg("no %s chunk", type);
	return 0;
}

static void test_png_malformed(void **state)
{
	struct img ref = qr_image("hello", 5, 1);
	struct png_spec sp = { PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, 0 };
	struct buf b = make_png(&ref, &sp);
	unsigned char *m;
	size_t n;
	uint8_t *big;

	(void)state;
	assert_true(b.len < 400);
	/* every strict prefix, down to the bare signature, fails cleanly */
	for (n = 0; n < b.len; n++)
		load_fails(b.p, n, -EINVAL, NULL);
	load_fails(b.p, b.len - 1, -EINVAL, "bad PNG");
	free(load_ok(b.p, b.len).pix);

	m = malloc(b.len);
	assert_non_null(m);
	/* IHDR data byte changed: CRC mismatch */
	memcpy(m, b.p, b.len);
	m[8 + 8 + 3] ^= 0x01;
	load_fails(m, b.len, -EINVAL, "CRC");
	/* bad chunk length */
	memcpy(m, b.p, b.len);
	m[8] = 0x7f;
	load_fails(m, b.len, -EINVAL, "bad PNG");
	/* corrupt the zlib header in IDAT (libpng checks it before the CRC),
	 * then the zTXt data (skipped: its CRC is not even read) */
	memcpy(m, b.p, b.len);
	n = chunk_at(m, b.len, "IDAT");
	m[n + 8] ^= 0xff;
	load_fails(m, b.len, -EINVAL, "IDAT");
	memcpy(m, b.p, b.len);
	n = chunk_at(m, b.len, "zTXt");
	m[n + 8] ^= 0xff;
	free(load_ok(m, b.len).pix);
	free(m);
	free(b.p);
	free(ref.pix);

	/* 16385 x 1: too big, refused before decoding any pixel */
	big = calloc(1, 16385 * 2);
	assert_non_null(big);
	b = make_png_raw(16385, 1, PNG_COLOR_TYPE_GRAY, 8, big);
	load_fails(b.p, b.len, -E2BIG, "16384");
	free(b.p);
	b = make_png_raw(1, 16385, PNG_COLOR_TYPE_GRAY, 8, big);
	load_fails(b.p, b.len, -E2BIG, "16384");
	free(b.p);
	/* 16384 x 16384 declared by a 61-byte file (signature, IHDR, a bit
	 * of IDAT): refused from the header, before allocating 256 MB */
	{
		png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
		png_infop info = png_create_info_struct(png);
		struct buf hb = { NULL, 0, 0 };

		assert_non_null(info);
		if (setjmp(png_jmpbuf(png)))
			fail_msg("libpng failed writing a test header");
		png_set_write_fn(png, &hb, mem_write, mem_flush);
		png_set_IHDR(png, info, 16384, 16384, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
			     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
		png_write_info(png, info);
		png_destroy_write_struct(&png, &info);
		assert_int_equal(hb.len, 33);
		/* an IDAT chunk header: libpng reads the header up to it */
		buf_add(&hb, "\0\0\0\x10IDAT", 8);
		buf_add(&hb, big, 16 + 4);
		load_fails(hb.p, hb.len, -EINVAL, "cannot hold 16384x16384");
		free(hb.p);
	}
	/* the limit itself is fine */
	b = make_png_raw(16384, 1, PNG_COLOR_TYPE_GRAY, 8, big);
	free(load_ok(b.p, b.len).pix);
	free(b.p);
	free(big);
}

/* ---- files ------------------------------------------------------------- */

static void fixture_path(char *path, size_t n, const char *name)
{
	const char *slash = strrchr(__FILE__, '/');

	snprintf(path, n, "%s/%s", FIXTURE_DIR, name);
	if (access(path, R_OK) != 0 && slash)
		snprintf(path, n, "%.*s/fixtures/%s", (int)(slash - __FILE__), __FILE__, name);
}

/* A 1-bit palette PNG made by `qrencode -8 -l M -s 3 -m 4` from the EMVCo
 * example: another encoder's output, read from a file. */
static void test_qrencode_fixture(void **state)
{
	struct qr_scan *s = qr_scan_new();
	struct found f = { 0 };
	char path[512], err[256] = "";

	(void)state;
	assert_non_null(s);
	fixture_path(path, sizeof(path), "qrencode_emv_m.png");
	assert_int_equal(qr_scan_file(s, path, on_code, &f, err, sizeof(err)), 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.len[0], strlen(emv_example));
	assert_memory_equal(f.data[0], emv_example, strlen(emv_example));
	found_free(&f);
	qr_scan_free(s);
}

static void test_file_errors(void **state)
{
	struct qr_scan *s = qr_scan_new();
	const char *tmp = getenv("TEST_TMP"); /* set by tests/run.sh */
	char dir[512], path[600], err[256];
	uint8_t *pix;
	unsigned w, h;
	FILE *f;

	(void)state;
	assert_non_null(s);
	snprintf(dir, sizeof(dir), "%s/test_qr_scan.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/missing.png", dir);
	assert_int_equal(qr_scan_load(path, &pix, &w, &h, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing.png"));
	assert_int_equal(qr_scan_file(s, path, NULL, NULL, err, sizeof(err)), -ENOENT);
	assert_int_equal(qr_scan_load(dir, &pix, &w, &h, err, sizeof(err)), -EISDIR);

	/* a malformed file: the message starts with its name */
	snprintf(path, sizeof(path), "%s/bad.pgm", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("P5\n", f);
	fclose(f);
	assert_int_equal(qr_scan_load(path, &pix, &w, &h, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.pgm: bad PGM header: width missing at byte 3"));
	assert_int_equal(qr_scan_file(s, path, NULL, NULL, NULL, 0), -EINVAL);
	unlink(path);

	/* a good file with no code */
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("P2 2 2 1 1 1 1 1\n", f);
	fclose(f);
	assert_int_equal(qr_scan_file(s, path, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(qr_scan_load(path, &pix, &w, &h, err, sizeof(err)), 0);
	assert_int_equal(w, 2);
	assert_memory_equal(pix, "\xff\xff\xff\xff", 4);
	free(pix);
	unlink(path);
	rmdir(dir);
	qr_scan_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_basics),
		cmocka_unit_test(test_scanner_reuse_and_two_codes),
		cmocka_unit_test(test_binary_data),
		cmocka_unit_test(test_module_sizes),
		cmocka_unit_test(test_no_code),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_ignores_1d_barcode),
		cmocka_unit_test(test_pgm_values),
		cmocka_unit_test(test_ppm_values),
		cmocka_unit_test(test_pnm_round_trip),
		cmocka_unit_test(test_pnm_malformed),
		cmocka_unit_test(test_pnm_truncated),
		cmocka_unit_test(test_png_colour_types),
		cmocka_unit_test(test_png_values),
		cmocka_unit_test(test_png_malformed),
		cmocka_unit_test(test_qrencode_fixture),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
