/* qr_scan.c -- find QR codes in 8-bit grey images with ZBar, and load PNG
 * (libpng) and PGM/PPM (own parser) files as 8-bit grey. */
#include "qr/qr_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <zbar.h>

struct qr_scan {
	zbar_image_scanner_t *zs;  /* owned */
	zbar_image_t *img;         /* owned; its data borrowed during a scan */
};

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

/* ---- scanner ----------------------------------------------------------- */

struct qr_scan *qr_scan_new(void)
{
	struct qr_scan *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->zs = zbar_image_scanner_create();
	s->img = zbar_image_create();
	if (!s->zs || !s->img)
		goto err;
	/* QR only: with every symbology on, ZBar reads false 1-D codes
	 * (Interleaved 2 of 5) out of QR modules. BINARY makes it hand back
	 * the raw bytes instead of guessing a text encoding and converting. */
	if (zbar_image_scanner_set_config(s->zs, 0, ZBAR_CFG_ENABLE, 0) ||
	    zbar_image_scanner_set_config(s->zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) ||
	    zbar_image_scanner_set_config(s->zs, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1))
		goto err;
	zbar_image_set_format(s->img, zbar_fourcc('Y', '8', '0', '0'));
	return s;
err:
	qr_scan_free(s);
	return NULL;
}

void qr_scan_free(struct qr_scan *s)
{
	if (!s)
		return;
	/* the image may hold symbols from the last scan: drop it first */
	if (s->img)
		zbar_image_destroy(s->img);
	if (s->zs)
		zbar_image_scanner_destroy(s->zs);
	free(s);
}

/* One ZBar pass over the image with every density-th row and column
 * scanned. Returns the number of QR codes reported, or -ENOMEM. */
static int scan_pass(struct qr_scan *s, int density, qr_scan_cb cb, void *arg)
{
	const zbar_symbol_t *sym;
	int n = 0;

	zbar_image_scanner_set_config(s->zs, 0, ZBAR_CFG_X_DENSITY, density);
	zbar_image_scanner_set_config(s->zs, 0, ZBAR_CFG_Y_DENSITY, density);
	if (zbar_scan_image(s->zs, s->img) < 0)
		return -ENOMEM; /* ZBar fails only when it cannot allocate */
	for (sym = zbar_image_first_symbol(s->img); sym; sym = zbar_symbol_next(sym)) {
		if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
			continue;
		if (cb)
			cb(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym), arg);
		n++;
	}
	/* hand the symbols back to the scanner for reuse */
	zbar_image_scanner_recycle_image(s->zs, s->img);
	return n;
}

int qr_scan_gray(struct qr_scan *s, const uint8_t *pix, unsigned w, unsigned h,
		 qr_scan_cb cb, void *arg)
{
	int n;

	if (w == 0 || h == 0)
		return 0;
	zbar_image_set_size(s->img, w, h);
	/* borrowed: no cleanup handler, detached again below */
	zbar_image_set_data(s->img, pix, (unsigned long)w * h, NULL);
	/* Every third row and column first: a printed or rendered code has
	 * modules of several pixels, so a third of the lines find its finder
	 * patterns at a third of the cost (1,700 against 830 scans/s of a
	 * 300x300 image, see make bench). Only when that finds nothing (tiny
	 * modules, a poor photo) is every line scanned, so nothing is missed
	 * that a full scan finds. A code is reported by one pass only. */
	n = scan_pass(s, 3, cb, arg);
	if (n == 0)
		n = scan_pass(s, 1, cb, arg);
	zbar_image_set_data(s->img, NULL, 0, NULL);
	return n;
}

/* ---- PGM / PPM --------------------------------------------------------- */

struct pnm {
	const uint8_t *p;
	size_t len;
	size_t pos;
	const char *kind;   /* "PGM" or "PPM", for messages */
};

static int pnm_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int pnm_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Skips whitespace and '#' comments (to the end of the line). */
static void pnm_skip(struct pnm *r)
{
	while (r->pos < r->len) {
		if (pnm_space(r->p[r->pos])) {
			r->pos++;
		} else if (r->p[r->pos] == '#') {
			while (r->pos < r->len && r->p[r->pos] != '\n' && r->p[r->pos] != '\r')
				r->pos++;
		} else {
			break;
		}
	}
}

/* Describes byte c for a message: 'x' or \xNN. */
static const char *pnm_char(int c, char buf[8])
{
	if (c >= 0x21 && c <= 0x7e)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned)c & 0xff);
	return buf;
}

/* Reads an unsigned decimal (after whitespace and comments) into *v,
 * saturating at UINT32_MAX. what names it in messages ("width", ...), part
 * is "header" or "raster". Returns 0 or -EINVAL with err set. */
static int pnm_uint(struct pnm *r, uint32_t *v, const char *what, const char *part,
		    char *err, size_t errlen)
{
	uint64_t x = 0;
	char cb[8];

	pnm_skip(r);
	if (r->pos >= r->len) {
		set_err(err, errlen, "bad %s %s: %s missing at byte %zu (end of file)", r->kind,
			part, what, r->pos);
		return -EINVAL;
	}
	if (!pnm_digit(r->p[r->pos])) {
		set_err(err, errlen, "bad %s %s: %s missing at byte %zu (found %s)", r->kind, part,
			what, r->pos, pnm_char(r->p[r->pos], cb));
		return -EINVAL;
	}
	while (r->pos < r->len && pnm_digit(r->p[r->pos])) {
		x = x * 10 + (uint64_t)(r->p[r->pos] - '0');
		if (x > UINT32_MAX)
			x = (uint64_t)UINT32_MAX + 1; /* saturate, keep scanning */
		r->pos++;
	}
	if (r->pos < r->len && !pnm_space(r->p[r->pos]) && r->p[r->pos] != '#') {
		set_err(err, errlen, "bad %s %s: %s followed by %s at byte %zu", r->kind, part, what,
			pnm_char(r->p[r->pos], cb), r->pos);
		return -EINVAL;
	}
	*v = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	return 0;
}

/* Scales a sample 0..maxval to 0..255, rounding. */
static uint8_t pnm_scale(uint64_t v, uint64_t maxval)
{
	return (uint8_t)((v * 255 + maxval / 2) / maxval);
}

static int load_pnm(const uint8_t *buf, size_t len, uint8_t **pix, unsigned *w, unsigned *h,
		    char *err, size_t errlen)
{
	struct pnm r = { buf, len, 2, NULL };
	int plain = buf[1] == '2' || buf[1] == '3';
	unsigned ch = (buf[1] == '3' || buf[1] == '6') ? 3 : 1;
	uint32_t width, height, maxval;
	size_t npix, nsamp, i;
	uint8_t *img;
	int rc;

	r.kind = ch == 3 ? "PPM" : "PGM";
	if (r.pos < len && !pnm_space(buf[r.pos]) && buf[r.pos] != '#') {
		char cb[8];

		set_err(err, errlen, "bad %s header: %s after magic at byte 2", r.kind,
			pnm_char(buf[r.pos], cb));
		return -EINVAL;
	}
	if ((rc = pnm_uint(&r, &width, "width", "header", err, errlen)) ||
	    (rc = pnm_uint(&r, &height, "height", "header", err, errlen)) ||
	    (rc = pnm_uint(&r, &maxval, "maxval", "header", err, errlen)))
		return rc;
	if (width == 0 || height == 0) {
		set_err(err, errlen, "bad %s header: %s is 0", r.kind, width ? "height" : "width");
		return -EINVAL;
	}
	if (width > QR_SCAN_MAX_SIDE || height > QR_SCAN_MAX_SIDE) {
		set_err(err, errlen, "%s of %lux%lu pixels: over the %d pixel limit", r.kind,
			(unsigned long)width, (unsigned long)height, QR_SCAN_MAX_SIDE);
		return -E2BIG;
	}
	if (maxval == 0 || maxval > 65535) {
		set_err(err, errlen, "bad %s header: maxval %lu not in 1..65535 (before byte %zu)",
			r.kind, (unsigned long)maxval, r.pos);
		return -EINVAL;
	}
	npix = (size_t)width * height;
	nsamp = npix * ch;

	if (!plain) {
		size_t bps = maxval > 255 ? 2 : 1;
		const uint8_t *s;

		/* exactly one whitespace byte between maxval and the raster */
		if (r.pos >= len || !pnm_space(buf[r.pos])) {
			set_err(err, errlen, "bad %s header: no whitespace after maxval at byte %zu",
				r.kind, r.pos);
			return -EINVAL;
		}
		r.pos++;
		if (len - r.pos < nsamp * bps) {
			set_err(err, errlen,
				"truncated %s raster: %zu bytes at byte %zu, %zu needed for %lux%lu",
				r.kind, len - r.pos, r.pos, nsamp * bps, (unsigned long)width,
				(unsigned long)height);
			return -EINVAL;
		}
		img = malloc(npix);
		if (!img)
			goto nomem;
		s = buf + r.pos;
		for (i = 0; i < npix; i++) {
			uint32_t v[3];
			unsigned c;

			for (c = 0; c < ch; c++, s += bps) {
				v[c] = bps == 2 ? (uint32_t)s[0] << 8 | s[1] : s[0];
				if (v[c] > maxval) {
					set_err(err, errlen,
						"bad %s raster: sample %lu over maxval %lu at byte %zu",
						r.kind, (unsigned long)v[c], (unsigned long)maxval,
						(size_t)(s - buf));
					free(img);
					return -EINVAL;
				}
			}
			if (ch == 1)
				img[i] = pnm_scale(v[0], maxval);
			else
				img[i] = pnm_scale(299u * v[0] + 587u * v[1] + 114u * v[2],
						   1000u * (uint64_t)maxval);
		}
	} else {
		/* each sample takes at least a digit and a separator: refuse
		 * to allocate for a raster that cannot be there */
		if ((len - r.pos) / 2 < nsamp - 1) {
			set_err(err, errlen,
				"truncated %s raster: %zu bytes at byte %zu cannot hold %zu samples",
				r.kind, len - r.pos, r.pos, nsamp);
			return -EINVAL;
		}
		img = malloc(npix);
		if (!img)
			goto nomem;
		for (i = 0; i < npix; i++) {
			uint32_t v[3];
			unsigned c;

			for (c = 0; c < ch; c++) {
				size_t at;

				if ((rc = pnm_uint(&r, &v[c], "sample", "raster", err, errlen))) {
					free(img);
					return rc;
				}
				if (v[c] > maxval) {
					/* find where the number started, for the message */
					for (at = r.pos; at > 0 && pnm_digit(buf[at - 1]); at--)
						;
					set_err(err, errlen,
						"bad %s raster: sample %lu over maxval %lu at byte %zu",
						r.kind, (unsigned long)v[c], (unsigned long)maxval, at);
					free(img);
					return -EINVAL;
				}
			}
			if (ch == 1)
				img[i] = pnm_scale(v[0], maxval);
			else
				img[i] = pnm_scale(299u * v[0] + 587u * v[1] + 114u * v[2],
						   1000u * (uint64_t)maxval);
		}
	}
	*pix = img;
	*w = width;
	*h = height;
	return 0;

nomem:
	set_err(err, errlen, "out of memory loading %lux%lu %s", (unsigned long)width,
		(unsigned long)height, r.kind);
	return -ENOMEM;
}

/* ---- PNG --------------------------------------------------------------- */

/* State shared with libpng's callbacks (through png_get_*_ptr). */
struct png_in {
	const uint8_t *buf;
	size_t len;
	size_t pos;         /* bytes handed to libpng so far */
	int nomem;          /* an allocation failed */
	char msg[128];      /* libpng's error message */
	char warn[128];     /* its last warning: often the reason for msg */
};

static void png_in_error(png_structp png, png_const_charp msg)
{
	struct png_in *pi = png_get_error_ptr(png);

	snprintf(pi->msg, sizeof(pi->msg), "%s", msg);
	png_longjmp(png, 1);
}

/* A library must not print: keep the last warning for the error message
 * (libpng explains "Invalid IHDR data" only in warnings). */
static void png_in_warning(png_structp png, png_const_charp msg)
{
	struct png_in *pi = png_get_error_ptr(png);

	snprintf(pi->warn, sizeof(pi->warn), "%s", msg);
}

static void png_in_read(png_structp png, png_bytep data, size_t n)
{
	struct png_in *pi = png_get_io_ptr(png);

	if (n > pi->len - pi->pos)
		png_error(png, "file truncated");
	memcpy(data, pi->buf + pi->pos, n);
	pi->pos += n;
}

static png_voidp png_in_malloc(png_structp png, png_alloc_size_t n)
{
	struct png_in *pi = png_get_mem_ptr(png);
	void *p = malloc(n);

	if (!p)
		pi->nomem = 1;
	return p;
}

static void png_in_free(png_structp png, png_voidp p)
{
	(void)png;
	free(p);
}

static int load_png(const uint8_t *buf, size_t len, uint8_t **pix, unsigned *w, unsigned *h,
		    char *err, size_t errlen)
{
	struct png_in pi = { .buf = buf, .len = len };
	png_structp png;
	png_infop info = NULL;
	uint8_t *volatile img = NULL;
	png_bytep *volatile rows = NULL;
	png_uint_32 pw, ph, y;
	int depth, ctype, ilace;
	size_t rowbytes, chans, i;
	int rc;

	png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &pi, png_in_error, png_in_warning, &pi,
				       png_in_malloc, png_in_free);
	if (!png)
		goto nomem;
	info = png_create_info_struct(png);
	if (!info)
		goto nomem;
	if (setjmp(png_jmpbuf(png))) {
		/* libpng error: img and rows are volatile, so current here */
		png_destroy_read_struct(&png, &info, NULL);
		free(img);
		free(rows);
		if (pi.nomem) {
			set_err(err, errlen, "out of memory loading PNG");
			return -ENOMEM;
		}
		set_err(err, errlen, "bad PNG: %s%s%s%s (at byte %zu)", pi.msg,
			pi.warn[0] ? " (" : "", pi.warn, pi.warn[0] ? ")" : "", pi.pos);
		return -EINVAL;
	}
	png_set_read_fn(png, &pi, png_in_read);
	/* libpng's own limit is 1e6 a side; ours is checked below so it can
	 * be told apart (-E2BIG) from a malformed header */
	png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
	/* Only IHDR, PLTE, tRNS, IDAT and IEND matter for grey pixels: skip
	 * every other chunk unread (text, ICC profiles, sPLT...). libpng
	 * buffers a chunk whole before its CRC is checked, so cap that too:
	 * a 60-byte file declaring a 2 GB sPLT made it allocate 2 GB. The
	 * largest chunk still buffered is a 768-byte PLTE. */
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_AS_DEFAULT,
				    (png_const_bytep) "tRNS\0", 1);
	png_set_chunk_malloc_max(png, 65536);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* let fuzzed inputs reach past the CRCs */
	png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#endif
	png_read_info(png, info);
	png_get_IHDR(png, info, &pw, &ph, &depth, &ctype, &ilace, NULL, NULL);
	if (pw > QR_SCAN_MAX_SIDE || ph > QR_SCAN_MAX_SIDE) {
		set_err(err, errlen, "PNG of %lux%lu pixels: over the %d pixel limit",
			(unsigned long)pw, (unsigned long)ph, QR_SCAN_MAX_SIDE);
		rc = -E2BIG;
		goto out;
	}
	/* deflate expands at most 1032:1, so a file too small to hold the
	 * declared pixels is refused before allocating for them (a 100-byte
	 * file must not cost 512 MB) */
	if ((uint64_t)ph * (1 + (uint64_t)png_get_rowbytes(png, info)) > (uint64_t)len * 1032) {
		set_err(err, errlen,
			"truncated PNG: %zu bytes cannot hold %lux%lu pixels of image data",
			len, (unsigned long)pw, (unsigned long)ph);
		rc = -EINVAL;
		goto out;
	}

	/* to 8-bit grey, plus alpha when there is transparency */
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (depth == 16)
		png_set_scale_16(png);
	if (ctype & PNG_COLOR_MASK_COLOR)
		png_set_rgb_to_gray_fixed(png, PNG_ERROR_ACTION_NONE, -1, -1);
	(void)png_set_interlace_handling(png);
	png_read_update_info(png, info);

	chans = png_get_channels(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if ((chans != 1 && chans != 2) || png_get_bit_depth(png, info) != 8 ||
	    rowbytes != (size_t)pw * chans) {
		/* should not happen after the transforms above */
		set_err(err, errlen, "PNG colour type %d depth %d: cannot convert to grey", ctype,
			depth);
		rc = -EINVAL;
		goto out;
	}
	img = malloc(rowbytes * ph);
	rows = malloc(sizeof(*rows) * ph);
	if (!img || !rows) {
		set_err(err, errlen, "out of memory loading %lux%lu PNG", (unsigned long)pw,
			(unsigned long)ph);
		rc = -ENOMEM;
		goto out;
	}
	for (y = 0; y < ph; y++)
		rows[y] = img + (size_t)y * rowbytes;
	png_read_image(png, rows);
	png_read_end(png, NULL); /* insist on the rest, up to IEND */

	if (chans == 2) {
		/* grey+alpha (not premultiplied) over white, in place: the
		 * write index i never passes the read index 2i */
		uint8_t *p = img;

		for (i = 0; i < (size_t)pw * ph; i++) {
			unsigned g = p[2 * i], a = p[2 * i + 1];

			p[i] = (uint8_t)((g * a + 255u * (255u - a) + 127u) / 255u);
		}
		p = realloc(img, (size_t)pw * ph); /* shrink; keep img if it fails */
		if (p)
			img = p;
	}
	*pix = img;
	*w = pw;
	*h = ph;
	img = NULL; /* handed to the caller */
	rc = 0;
out:
	png_destroy_read_struct(&png, &info, NULL);
	free(img);
	free(rows);
	return rc;

nomem:
	png_destroy_read_struct(&png, &info, NULL);
	set_err(err, errlen, "out of memory loading PNG");
	return -ENOMEM;
}

/* ---- entry points ------------------------------------------------------ */

int qr_scan_load_mem(const void *buf, size_t len, uint8_t **pix, unsigned *w, unsigned *h,
		     char *err, size_t errlen)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const uint8_t *p = buf;

	if (len == 0 || !p) {
		set_err(err, errlen, "empty file: not a PNG, PGM or PPM image");
		return -EINVAL;
	}
	if (len >= sizeof(sig) && memcmp(p, sig, sizeof(sig)) == 0)
		return load_png(p, len, pix, w, h, err, errlen);
	if (len < sizeof(sig) && memcmp(p, sig, len) == 0) {
		set_err(err, errlen, "truncated PNG: file ends at byte %zu inside the signature", len);
		return -EINVAL;
	}
	if (len >= 2 && p[0] == 'P' && p[1] && strchr("2356", p[1]))
		return load_pnm(p, len, pix, w, h, err, errlen);
	if (len >= 2 && p[0] == 'P' && p[1] && strchr("147", p[1])) {
		set_err(err, errlen, "P%c (PBM or PAM) images are not supported: use PGM, PPM or PNG",
			p[1]);
		return -EINVAL;
	}
	set_err(err, errlen, "not a PNG, PGM or PPM image: no known signature at byte 0");
	return -EINVAL;
}

int qr_scan_load(const char *path, uint8_t **pix, unsigned *w, unsigned *h,
		 char *err, size_t errlen)
{
	struct stat st;
	uint8_t *buf = NULL, *nb;
	size_t cap, len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* regular files: read in one go (one spare byte detects growth);
	 * pipes and devices: grow as needed */
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > QR_SCAN_MAX_FILE)
		goto toobig;
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	buf = malloc(cap);
	if (!buf)
		goto nomem;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > QR_SCAN_MAX_FILE)
				goto toobig;
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto nomem;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			set_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > QR_SCAN_MAX_FILE)
		goto toobig;
	rc = qr_scan_load_mem(buf, len, pix, w, h, err, errlen);
	if (rc && err && errlen) {
		/* prefix the file name: "x.pgm: bad PGM header: ..." */
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", err);
		set_err(err, errlen, "%s: %s", path, tmp);
	}
out:
	free(buf);
	close(fd);
	return rc;

toobig:
	rc = -E2BIG;
	set_err(err, errlen, "%s: file larger than %zu bytes", path, QR_SCAN_MAX_FILE);
	goto out;
nomem:
	rc = -ENOMEM;
	set_err(err, errlen, "%s: out of memory reading the file", path);
	goto out;
}

int qr_scan_file(struct qr_scan *s, const char *path, qr_scan_cb cb, void *arg,
		 char *err, size_t errlen)
{
	uint8_t *pix;
	unsigned w, h;
	int rc;

	rc = qr_scan_load(path, &pix, &w, &h, err, errlen);
	if (rc)
		return rc;
	rc = qr_scan_gray(s, pix, w, h, cb, arg);
	if (rc < 0)
		set_err(err, errlen, "%s: out of memory scanning", path);
	free(pix);
	return rc;
}
