/* bench_qr.c -- throughput of Tillgate's QR modules, in-process.
 *
 * Each line runs one operation in a loop for a fixed wall time (default
 * 1 s, after a short warm-up) on CLOCK_MONOTONIC and prints
 *
 *     op/tillgate OPS_PER_S
 *
 * Operations: encode (qr_emv_encode_merchant: TLV + CRC + the strict
 * self-check it does), parse (qr_emv_parse, strict), png (qr_render_write,
 * PNG, EC M, scale 4, margin 4, to /dev/null), decode (qr_scan_gray on a
 * 300x300 grey image holding the same payload's code).
 *
 * Usage: bench_qr [-t SECONDS] [-d DIR]
 *   -t  seconds per line (default 1.0)
 *   -d  also write DIR/payload.txt (the payload, no newline) and
 *       DIR/img300.pgm (the 300x300 image), so that the peers measure the
 *       same work (tests/bench/run.sh does this).
 * Exits 1 if an operation fails (a wrong result is a failure too).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qr/qr_emv.h"
#include "qr/qr_render.h"
#include "qr/qr_scan.h"

#define SIDE 300

/* A typical Tillgate merchant code: dynamic, with reference and till. */
static const struct qr_emv_merchant merchant = {
	.name = "MAMA JUMA SHOP",
	.city = "ARUSHA",
	.mcc = "5411",
	.currency = "834",
	.country = "TZ",
	.amount = "15000.00",
	.party_type = "ALIAS",
	.party_id = "10000042",
	.fsp_id = "tillbank",
	.reference = "ORDER42",
	.terminal = "TILL-03",
};

static double seconds = 1.0;
static volatile size_t sink; /* keeps results observable */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_qr: %s: %s\n", what, msg);
	exit(1);
}

/* ---- the operations ---------------------------------------------------- */

static const char *payload;
static size_t payload_len;
static struct qr_emv_enc enc;
static struct qr_emv *parsed;
static FILE *devnull;
static struct qr_render_opts ropts;
static struct qr_scan *scanner;
static uint8_t img[SIDE * SIDE];

static int op_encode(void)
{
	struct qr_emv_diag d;
	const char *out;
	int n = qr_emv_encode_merchant(&enc, &merchant, NULL, &out, &d);

	if (n < 0)
		die("encode", d.err.msg);
	sink += (size_t)n + (unsigned char)out[n - 1];
	return 0;
}

static int op_parse(void)
{
	struct qr_emv_diag d;
	int n = qr_emv_parse(parsed, payload, payload_len, QR_EMV_STRICT, &d);

	if (n != (int)payload_len)
		die("parse", d.err.msg);
	sink += (size_t)parsed->nobj;
	return 0;
}

static int op_png(void)
{
	char err[160];
	int rc = qr_render_write(payload, payload_len, &ropts, devnull, err, sizeof err);

	if (rc)
		die("png", err);
	return 0;
}

struct found {
	int n;
	int same;
};

static void on_code(const char *data, size_t len, void *arg)
{
	struct found *f = arg;

	f->n++;
	if (len == payload_len && memcmp(data, payload, len) == 0)
		f->same++;
}

static int op_decode(void)
{
	struct found f = {0, 0};
	int n = qr_scan_gray(scanner, img, SIDE, SIDE, on_code, &f);

	if (n != 1 || f.same != 1)
		die("decode", n < 0 ? strerror(-n) : "the 300x300 image did not decode to the payload");
	sink += (size_t)n;
	return 0;
}

/* Runs op for about `seconds` (after ~10% warm-up) and returns ops/s.
 * The clock is read once per batch; batches grow until one takes >= 2 ms
 * so that clock reads cost nothing measurable. */
static double measure(int (*op)(void))
{
	double t0, t, end;
	long batch = 1, i, n = 0;

	end = now() + seconds / 10;
	while (now() < end)
		op();
	t0 = now();
	for (;;) {
		double b0 = now();

		for (i = 0; i < batch; i++)
			op();
		n += batch;
		t = now();
		if (t - b0 < 0.002 && batch < (1L << 24))
			batch *= 2;
		if (t - t0 >= seconds)
			break;
	}
	return (double)n / (t - t0);
}

/* ---- the 300x300 image --------------------------------------------------- */

/* Renders the payload as PNG (scale 4) into a temp file, loads it back as
 * grey with qr_scan_load(), and fits it into SIDE x SIDE: scaled down by
 * nearest neighbour if larger, centred on white. */
static void make_image(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	char err[160];
	uint8_t *pix = NULL;
	unsigned w, h, x, y, sw, sh, ox, oy;
	double f = 1.0;
	int fd, rc;
	FILE *fp;

	snprintf(path, sizeof path, "%s/bench_qr.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		die("image: mkstemp", strerror(errno));
	fp = fdopen(fd, "wb");
	if (!fp)
		die("image: fdopen", strerror(errno));
	rc = qr_render_write(payload, payload_len, &ropts, fp, err, sizeof err);
	if (fclose(fp) != 0 || rc) {
		unlink(path);
		die("image: render", rc ? err : strerror(errno));
	}
	rc = qr_scan_load(path, &pix, &w, &h, err, sizeof err);
	unlink(path);
	if (rc)
		die("image: load", err);
	if (w > SIDE || h > SIDE)
		f = (double)SIDE / (double)(w > h ? w : h);
	sw = (unsigned)(w * f);
	sh = (unsigned)(h * f);
	ox = (SIDE - sw) / 2;
	oy = (SIDE - sh) / 2;
	memset(img, 255, sizeof img);
	for (y = 0; y < sh; y++)
		for (x = 0; x < sw; x++)
			img[(oy + y) * SIDE + ox + x] = pix[(unsigned)(y / f) * w + (unsigned)(x / f)];
	free(pix);
	fprintf(stderr, "bench_qr: payload %zu bytes; PNG %ux%u px placed in %dx%d\n",
		payload_len, w, h, SIDE, SIDE);
}

static void dump(const char *dir)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/payload.txt", dir);
	fp = fopen(path, "wb");
	if (!fp || fwrite(payload, 1, payload_len, fp) != payload_len || fclose(fp) != 0)
		die(path, strerror(errno));
	snprintf(path, sizeof path, "%s/img300.pgm", dir);
	fp = fopen(path, "wb");
	if (!fp || fprintf(fp, "P5\n%d %d\n255\n", SIDE, SIDE) < 0 ||
	    fwrite(img, 1, sizeof img, fp) != sizeof img || fclose(fp) != 0)
		die(path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct qr_emv_diag d;
	const char *dir = NULL;
	char *copy;
	int c, n;

	while ((c = getopt(argc, argv, "t:d:")) != -1) {
		switch (c) {
		case 't':
			seconds = atof(optarg);
			if (seconds <= 0)
				die("-t", "want a positive number of seconds");
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_qr [-t SECONDS] [-d DIR]\n");
			return 2;
		}
	}

	n = qr_emv_encode_merchant(&enc, &merchant, NULL, &payload, &d);
	if (n < 0)
		die("encode", d.err.msg);
	/* Keep our own copy: enc is reused by the encode benchmark. */
	copy = malloc((size_t)n + 1);
	parsed = malloc(sizeof *parsed);
	scanner = qr_scan_new();
	devnull = fopen("/dev/null", "wb");
	if (!copy || !parsed || !scanner || !devnull)
		die("setup", "out of memory or no /dev/null");
	memcpy(copy, payload, (size_t)n + 1);
	payload = copy;
	payload_len = (size_t)n;
	qr_render_defaults(&ropts);
	ropts.fmt = QR_RENDER_PNG;
	ropts.ec = 'M';
	ropts.scale = 4;
	ropts.margin = 4;
	fprintf(stderr, "bench_qr: payload %s\n", payload);

	make_image();
	op_decode(); /* checks the image before anything is timed */
	if (dir)
		dump(dir);

	printf("encode/tillgate %.0f\n", measure(op_encode));
	fflush(stdout);
	printf("parse/tillgate %.0f\n", measure(op_parse));
	fflush(stdout);
	printf("png/tillgate %.0f\n", measure(op_png));
	fflush(stdout);
	printf("decode/tillgate %.0f\n", measure(op_decode));
	fflush(stdout);

	qr_scan_free(scanner);
	fclose(devnull);
	free(parsed);
	free(copy);
	return (int)(sink == (size_t)-1); /* never: uses sink */
}
