/* test_qr_render.c -- cmocka tests for qr_render: option parsing, round trips
 * through qr_scan for every format and EC level, sizes, limits and errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qr/qr_render.h"
#include "qr/qr_scan.h"

/* The public EMVCo example (docs notes §8): 260 bytes of UTF-8. */
static const char emv_example[] =
	"00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
	"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104\xe6\x9c\x80\xe4\xbd\xb3"
	"\xe8\xbf\x90\xe8\xbe\x93" "0202\xe5\x8c\x97\xe4\xba\xac"
	"540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988"
	"770708123456786304A13A";

/* Byte-mode capacity of version 40 per EC level. */
static const struct {
	char ec;
	size_t max;
} capacity[] = { { 'L', 2953 }, { 'M', 2331 }, { 'Q', 1663 }, { 'H', 1273 } };

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/unit/fixtures"
#endif

/* Opens a committed fixture: from FIXTURE_DIR (relative to the repository
 * root, where make runs the tests), else next to this source file. */
static FILE *fixture_open(const char *name)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	f = fopen(path, "rb");
	if (!f && slash) {
		snprintf(path, sizeof(path), "%.*s/fixtures/%s", (int)(slash - __FILE__), __FILE__,
			 name);
		f = fopen(path, "rb");
	}
	return f;
}

/* ---- helpers ----------------------------------------------------------- */

/* Output of one render: owned buffer (free()). */
struct out {
	char *buf;
	size_t len;
	int rc;
	char err[256];
};

static void render(struct out *r, const void *payload, size_t len, const struct qr_render_opts *o)
{
	FILE *f = open_memstream(&r->buf, &r->len);

	assert_non_null(f);
	r->err[0] = 0;
	r->rc = qr_render_write(payload, len, o, f, r->err, sizeof(r->err));
	assert_int_equal(fclose(f), 0);
}

static struct qr_render_opts opts(enum qr_render_fmt fmt, char ec, int scale, int margin)
{
	struct qr_render_opts o;

	qr_render_defaults(&o);
	o.fmt = fmt;
	o.ec = ec;
	o.scale = scale;
	o.margin = margin;
	return o;
}

/* What a scan found: the count and a copy of the first code. */
struct found {
	int n;
	char *data;
	size_t len;
};

static void on_code(const char *data, size_t len, void *arg)
{
	struct found *f = arg;

	if (f->n++ == 0) {
		f->data = malloc(len ? len : 1);
		assert_non_null(f->data);
		memcpy(f->data, data, len);
		f->len = len;
	}
}

/* Scans a grey image and asserts it holds exactly one code, equal to
 * want (wlen bytes). */
static void assert_decodes(const uint8_t *pix, unsigned w, unsigned h, const void *want,
			   size_t wlen)
{
	struct qr_scan *s = qr_scan_new();
	struct found f = { 0, NULL, 0 };
	int n;

	assert_non_null(s);
	n = qr_scan_gray(s, pix, w, h, on_code, &f);
	qr_scan_free(s);
	assert_int_equal(n, 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.len, wlen);
	assert_memory_equal(f.data, want, wlen);
	free(f.data);
}

/* Asserts that the border of a side x side image, q pixels wide, is white
 * and that the pixel just inside it (the finder's corner) is black. */
static void assert_quiet_zone(const uint8_t *pix, unsigned side, unsigned q)
{
	unsigned a, b;

	for (a = 0; a < side; a++)
		for (b = 0; b < q; b++) {
			assert_int_equal(pix[a * side + b], 255);
			assert_int_equal(pix[a * side + side - 1 - b], 255);
			assert_int_equal(pix[b * side + a], 255);
			assert_int_equal(pix[(side - 1 - b) * side + a], 255);
		}
	assert_int_equal(pix[q * side + q], 0);
}

/* Renders payload as PNG with o, loads it back, decodes it; returns the
 * image side in pixels. */
static unsigned png_round_trip(const void *payload, size_t len, const struct qr_render_opts *o)
{
	struct out r;
	uint8_t *pix;
	unsigned w, h;
	char err[256];

	render(&r, payload, len, o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(qr_scan_load_mem(r.buf, r.len, &pix, &w, &h, err, sizeof(err)), 0);
	assert_int_equal(w, h);
	assert_decodes(pix, w, h, payload, len);
	free(pix);
	free(r.buf);
	return w;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Number of modules (one side, no quiet zone) of payload's symbol, read
 * from the UTF-8 rendering with margin 0: its first line has one
 * character per module. Independent of the PNG writer. */
static int modules_of(const void *payload, size_t len, char ec)
{
	struct qr_render_opts o = opts(QR_RENDER_UTF8, ec, 1, 0);
	struct out r;
	int n = 0;
	size_t i;

	render(&r, payload, len, &o);
	assert_int_equal(r.rc, 0);
	for (i = 0; i < r.len && r.buf[i] != '\n'; i++)
		n += ((unsigned char)r.buf[i] & 0xc0) != 0x80; /* count code points */
	free(r.buf);
	return n;
}

/* ---- options ----------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct qr_render_opts o;

	(void)state;
	memset(&o, 0x55, sizeof(o));
	qr_render_defaults(&o);
	assert_int_equal(o.fmt, QR_RENDER_PNG);
	assert_int_equal(o.ec, 'M');
	assert_int_equal(o.scale, 4);
	assert_int_equal(o.margin, 4);
}

static void test_parse(void **state)
{
	enum qr_render_fmt f = QR_RENDER_PNG;
	char ec = 'M';
	static const char *const bad_fmt[] = { "", "jpeg", "pn", "png ", "utf-8", "utf" };
	static const char *const bad_ec[] = { "", "X", "LM", "m ", "0", "l\n" };
	size_t i;

	(void)state;
	assert_int_equal(qr_render_parse_fmt("svg", &f), 0);
	assert_int_equal(f, QR_RENDER_SVG);
	assert_int_equal(qr_render_parse_fmt("utf8", &f), 0);
	assert_int_equal(f, QR_RENDER_UTF8);
	assert_int_equal(qr_render_parse_fmt("PNG", &f), 0);
	assert_int_equal(f, QR_RENDER_PNG);
	for (i = 0; i < sizeof(bad_fmt) / sizeof(bad_fmt[0]); i++) {
		f = QR_RENDER_SVG;
		assert_int_equal(qr_render_parse_fmt(bad_fmt[i], &f), -EINVAL);
		assert_int_equal(f, QR_RENDER_SVG); /* untouched */
	}
	assert_int_equal(qr_render_parse_fmt(NULL, &f), -EINVAL);

	assert_int_equal(qr_render_parse_ec("L", &ec), 0);
	assert_int_equal(ec, 'L');
	assert_int_equal(qr_render_parse_ec("q", &ec), 0);
	assert_int_equal(ec, 'Q');
	assert_int_equal(qr_render_parse_ec("H", &ec), 0);
	assert_int_equal(ec, 'H');
	for (i = 0; i < sizeof(bad_ec) / sizeof(bad_ec[0]); i++) {
		ec = 'Q';
		assert_int_equal(qr_render_parse_ec(bad_ec[i], &ec), -EINVAL);
		assert_int_equal(ec, 'Q');
	}
}

static void test_bad_options(void **state)
{
	static const struct qr_render_opts bad[] = {
		{ QR_RENDER_PNG, 'X', 4, 4 },
		{ QR_RENDER_PNG, 'm', 4, 4 },
		{ QR_RENDER_PNG, 0, 4, 4 },
		{ QR_RENDER_PNG, 'M', 0, 4 },
		{ QR_RENDER_SVG, 'M', 65, 4 },
		{ QR_RENDER_UTF8, 'M', -1, 4 },
		{ QR_RENDER_PNG, 'M', 4, -1 },
		{ QR_RENDER_SVG, 'M', 4, 65 },
		{ (enum qr_render_fmt)3, 'M', 4, 4 },
	};
	struct qr_render_opts o;
	struct out r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		render(&r, "x", 1, &bad[i]);
		assert_int_equal(r.rc, -EINVAL);
		assert_int_equal(r.len, 0); /* nothing written */
		assert_true(strlen(r.err) > 0);
		free(r.buf);
	}
	qr_render_defaults(&o);
	render(&r, "", 0, &o);
	assert_int_equal(r.rc, -EINVAL);
	free(r.buf);
	render(&r, NULL, 3, &o);
	assert_int_equal(r.rc, -EINVAL);
	free(r.buf);
	/* the limits themselves are fine */
	o.scale = 64;
	o.margin = 64;
	render(&r, "x", 1, &o);
	assert_int_equal(r.rc, 0);
	free(r.buf);
	o = opts(QR_RENDER_PNG, 'M', 1, 0);
	render(&r, "x", 1, &o);
	assert_int_equal(r.rc, 0);
	free(r.buf);
}

/* ---- round trips ------------------------------------------------------- */

static void test_round_trip_ec_levels(void **state)
{
	int mods[4];
	size_t i;

	(void)state;
	assert_int_equal(strlen(emv_example), 260);
	for (i = 0; i < 4; i++) {
		struct qr_render_opts o = opts(QR_RENDER_PNG, capacity[i].ec, 3, 4);
		unsigned side = png_round_trip(emv_example, strlen(emv_example), &o);

		mods[i] = modules_of(emv_example, strlen(emv_example), capacity[i].ec);
		assert_int_equal(side, (unsigned)(mods[i] + 8) * 3);
	}
	/* more correction needs a bigger symbol: versions 10, 12, 14, 16 */
	assert_int_equal(mods[0], 57);
	assert_int_equal(mods[1], 65);
	assert_int_equal(mods[2], 77);
	assert_int_equal(mods[3], 85);
}

static void test_round_trip_short(void **state)
{
	struct qr_render_opts o = opts(QR_RENDER_PNG, 'M', 4, 4);
	static const char nul = 0;

	(void)state;
	assert_int_equal(png_round_trip("A", 1, &o), (21 + 8) * 4);
	/* a lone NUL: only byte mode plus a length-aware reader keep it */
	assert_int_equal(png_round_trip(&nul, 1, &o), (21 + 8) * 4);
	o.margin = 1; /* narrow quiet zone still decodes when clean */
	png_round_trip("hello world", 11, &o);
}

static void test_round_trip_binary(void **state)
{
	struct qr_render_opts o = opts(QR_RENDER_PNG, 'L', 2, 4);
	unsigned char all[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	png_round_trip(all, sizeof(all), &o);
}

/* Largest payload at each level decodes; one byte more is -E2BIG. */
static void test_capacity(void **state)
{
	char *p;
	size_t i, j;

	(void)state;
	p = malloc(4000);
	assert_non_null(p);
	for (j = 0; j < 4000; j++)
		p[j] = (char)"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[j * 7 % 62];
	for (i = 0; i < 4; i++) {
		struct qr_render_opts o = opts(QR_RENDER_PNG, capacity[i].ec, 3, 4);
		struct out r;

		/* version 40: 177 modules */
		assert_int_equal(png_round_trip(p, capacity[i].max, &o), (177 + 8) * 3);

		render(&r, p, capacity[i].max + 1, &o);
		assert_int_equal(r.rc, -E2BIG);
		assert_non_null(strstr(r.err, "does not fit"));
		free(r.buf);
	}
	free(p);
}

static void test_too_long(void **state)
{
	static const enum qr_render_fmt fmts[] = { QR_RENDER_PNG, QR_RENDER_SVG, QR_RENDER_UTF8 };
	char *p = calloc(1, 100000);
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < 3; i++) {
		struct qr_render_opts o = opts(fmts[i], 'L', 4, 4);
		struct out r;

		render(&r, p, 100000, &o);
		assert_int_equal(r.rc, -E2BIG);
		assert_int_equal(r.len, 0);
		free(r.buf);
	}
	free(p);
}

/* ---- PNG --------------------------------------------------------------- */

static void test_png_header(void **state)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	static const int scales[] = { 1, 3, 4, 7 };
	static const int margins[] = { 0, 2, 4, 10 };
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct qr_render_opts o = opts(QR_RENDER_PNG, 'M', scales[i], margins[i]);
		uint32_t side = (uint32_t)(65 + 2 * margins[i]) * (uint32_t)scales[i];
		const unsigned char *b;
		struct out r;
		uint8_t *pix;
		unsigned w, h, x, y;
		char err[128];

		render(&r, emv_example, strlen(emv_example), &o);
		assert_int_equal(r.rc, 0);
		b = (const unsigned char *)r.buf;
		assert_true(r.len > 8 + 25 + 12);
		assert_memory_equal(b, sig, 8);
		assert_int_equal(be32(b + 8), 13);
		assert_memory_equal(b + 12, "IHDR", 4);
		assert_int_equal(be32(b + 16), side);       /* width */
		assert_int_equal(be32(b + 20), side);       /* height */
		assert_int_equal(b[24], 1);                 /* bit depth */
		assert_int_equal(b[25], 0);                 /* grey */
		assert_int_equal(b[28], 0);                 /* not interlaced */
		assert_memory_equal(b + r.len - 8, "IEND", 4);

		/* pixels: quiet zone white, top-left finder corner black */
		assert_int_equal(qr_scan_load_mem(r.buf, r.len, &pix, &w, &h, err, sizeof(err)), 0);
		assert_int_equal(w, side);
		assert_int_equal(h, side);
		for (y = 0; y < h; y++)
			for (x = 0; x < (unsigned)(margins[i] * scales[i]); x++) {
				assert_int_equal(pix[y * w + x], 255);
				assert_int_equal(pix[y * w + w - 1 - x], 255);
				assert_int_equal(pix[x * w + y], 255);
			}
		x = (unsigned)(margins[i] * scales[i]);
		assert_int_equal(pix[x * w + x], 0);
		assert_int_equal(pix[(x + (unsigned)scales[i] - 1) * w + x], 0);
		/* second finder ring is light: module (1,1) */
		x += (unsigned)scales[i];
		assert_int_equal(pix[x * w + x], 255);
		free(pix);
		free(r.buf);
	}
}

/* ---- SVG --------------------------------------------------------------- */

/* Rasterises our SVG path ("M x y h n v1 h-n z" runs, module units) at one
 * pixel per module times k. Returns the owned image; *side its size. */
static uint8_t *raster_svg(const char *svg, int n, int k)
{
	const char *d = strstr(svg, " d=\"");
	uint8_t *pix;
	int side = n * k;

	assert_non_null(d);
	d += 4;
	pix = malloc((size_t)side * side);
	assert_non_null(pix);
	memset(pix, 255, (size_t)side * side);
	while (*d == 'M') {
		int x, y, run, run2, used = 0, i, j;

		assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &run2, &used), 4);
		assert_true(used > 0);
		assert_int_equal(run, run2);
		assert_true(x >= 0 && y >= 0 && run > 0 && x + run <= n && y < n);
		for (j = y * k; j < (y + 1) * k; j++)
			for (i = x * k; i < (x + run) * k; i++)
				pix[j * side + i] = 0;
		d += used;
	}
	assert_int_equal(*d, '"');
	return pix;
}

static void test_svg(void **state)
{
	struct qr_render_opts o = opts(QR_RENDER_SVG, 'Q', 5, 3);
	int n = modules_of(emv_example, strlen(emv_example), 'Q') + 2 * 3;
	char want[160];
	uint8_t *pix;
	struct out r;
	char *text;

	(void)state;
	render(&r, emv_example, strlen(emv_example), &o);
	assert_int_equal(r.rc, 0);
	text = malloc(r.len + 1);
	assert_non_null(text);
	memcpy(text, r.buf, r.len);
	text[r.len] = 0;
	assert_int_equal(n, 77 + 6);
	snprintf(want, sizeof(want), "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"", n * 5,
		 n * 5, n, n);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "<svg "));
	assert_non_null(strstr(text, "</svg>"));
	assert_null(strstr(strstr(text, "<path") + 1, "<path")); /* one path */
	pix = raster_svg(text, n, 3);
	assert_quiet_zone(pix, (unsigned)n * 3, 3 * 3);
	assert_decodes(pix, (unsigned)n * 3, (unsigned)n * 3, emv_example, strlen(emv_example));
	free(pix);
	free(text);
	free(r.buf);
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Turns half-block text back into pixels (k per module): a glyph half is a
 * LIGHT module (qrencode's convention), a space half is dark. Asserts
 * every line has n characters and there are nlines lines. */
static uint8_t *raster_utf8(const char *t, size_t len, int n, int nlines, int k)
{
	int side = n * k, x = 0, line = 0;
	uint8_t *pix = malloc((size_t)side * (size_t)(nlines * 2 * k));
	size_t i = 0;

	assert_non_null(pix);
	while (i < len) {
		int top = 0, bot = 0, a, b;

		if (t[i] == '\n') {
			assert_int_equal(x, n);
			x = 0;
			line++;
			i++;
			continue;
		}
		if (t[i] == ' ') {
			top = bot = 0;
			i++;
		} else {
			assert_true(i + 3 <= len);
			assert_memory_equal(t + i, "\xe2\x96", 2);
			switch ((unsigned char)t[i + 2]) {
			case 0x88: top = bot = 1; break;
			case 0x80: top = 1; bot = 0; break;
			case 0x84: top = 0; bot = 1; break;
			default: fail_msg("unexpected glyph at byte %zu", i);
			}
			i += 3;
		}
		assert_true(x < n && line < nlines);
		for (a = 0; a < k; a++)
			for (b = 0; b < k; b++) {
				pix[(size_t)((line * 2) * k + a) * side + x * k + b] = top ? 255 : 0;
				pix[(size_t)((line * 2 + 1) * k + a) * side + x * k + b] = bot ? 255 : 0;
			}
		x++;
	}
	assert_int_equal(x, 0); /* ends with a newline */
	assert_int_equal(line, nlines);
	return pix;
}

static void test_utf8(void **state)
{
	static const int margins[] = { 4, 3, 0, 1, 2 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(margins) / sizeof(margins[0]); i++) {
		struct qr_render_opts o = opts(QR_RENDER_UTF8, 'M', 4, margins[i]);
		int n = 65 + 2 * margins[i], nlines = (n + 1) / 2, lines = 0;
		uint8_t *pix;
		struct out r;
		size_t j;

		render(&r, emv_example, strlen(emv_example), &o);
		assert_int_equal(r.rc, 0);
		for (j = 0; j < r.len; j++)
			lines += r.buf[j] == '\n';
		assert_int_equal(lines, nlines);
		pix = raster_utf8(r.buf, r.len, n, nlines, 3);
		/* ZBar wants some quiet zone; the layout was checked above.
		 * The extra half row below the odd grid is light quiet zone. */
		if (margins[i] >= 2)
			assert_decodes(pix, (unsigned)n * 3, (unsigned)n * 3, emv_example,
				       strlen(emv_example));
		free(pix);
		free(r.buf);
	}
}

/* Byte-identical to `qrencode -t UTF8 -8 -l M -m 4 "hello world"` (the
 * fixture was made by that command once). */
static void test_utf8_matches_qrencode(void **state)
{
	struct qr_render_opts o = opts(QR_RENDER_UTF8, 'M', 4, 4);
	FILE *f = fixture_open("qrencode_hello_m.utf8");
	char want[4096];
	size_t wlen;
	struct out r;

	(void)state;
	assert_non_null(f);
	wlen = fread(want, 1, sizeof(want), f);
	fclose(f);
	assert_true(wlen > 0 && wlen < sizeof(want));
	render(&r, "hello world", 11, &o);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.len, wlen);
	assert_memory_equal(r.buf, want, wlen);
	free(r.buf);
}

/* ---- write errors ------------------------------------------------------ */

static void test_write_errors(void **state)
{
	static const enum qr_render_fmt fmts[] = { QR_RENDER_PNG, QR_RENDER_SVG, QR_RENDER_UTF8 };
	size_t i;
	int unbuf;

	(void)state;
	for (unbuf = 0; unbuf < 2; unbuf++)
		for (i = 0; i < 3; i++) {
			struct qr_render_opts o = opts(fmts[i], 'M', 4, 4);
			char err[128] = "";
			FILE *f = fopen("/dev/full", "wb");

			if (!f)
				skip();
			/* unbuffered: the first fwrite fails, inside libpng's
			 * callback for PNG; buffered: the final flush fails */
			if (unbuf)
				setvbuf(f, NULL, _IONBF, 0);
			assert_int_equal(qr_render_write(emv_example, strlen(emv_example), &o, f, err,
							 sizeof(err)),
					 -EIO);
			assert_non_null(strstr(err, "write"));
			fclose(f);
		}
	/* a read-only stream */
	{
		struct qr_render_opts o = opts(QR_RENDER_PNG, 'M', 4, 4);
		FILE *f = tmpfile();
		FILE *ro;
		char path[64];

		assert_non_null(f);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(f));
		ro = fopen(path, "rb");
		if (!ro) {
			fclose(f);
			skip();
		}
		assert_int_equal(qr_render_write("x", 1, &o, ro, NULL, 0), -EIO);
		fclose(ro);
		fclose(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_round_trip_ec_levels),
		cmocka_unit_test(test_round_trip_short),
		cmocka_unit_test(test_round_trip_binary),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_png_header),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_matches_qrencode),
		cmocka_unit_test(test_write_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
