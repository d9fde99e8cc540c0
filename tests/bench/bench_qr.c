/* bench_qr.c -- throughput of Tillgate's QR modules, in-process.
 *
 * Each line runs one operation in a loop for a fixed wall time (default
 * 1 s, after a short warm-up) on CLOCK_MONOTONIC and prints
 *
 *     op/tillgate OPS_PER_S
 *
 * Operations: encode (qr_emv_encode_merchant: TLV + CRC + the strict
 * self-check it does), encode-promptpay and encode-pix (the low-level
 * encoder, qr_emv_enc_init/put/open/close/finish, building what the npm
 * peers promptpay-qr and pix-utils build from the same inputs: see
 * enc_promptpay() and enc_pix()), parse (qr_emv_parse, strict), png
 * (qr_render_write, PNG, EC M, scale 4, margin 4, to /dev/null), decode
 * (qr_scan_gray on a 300x300 grey image holding the merchant payload's
 * code).
 *
 * Usage: bench_qr [-t SECONDS] [-d DIR]
 *   -t  seconds per line (default 1.0)
 *   -d  also write DIR/payload.txt (the payload, no newline),
 *       DIR/img300.pgm (the 300x300 image), DIR/promptpay.txt and
 *       DIR/pix.txt (the encode-promptpay and encode-pix payloads), so
 *       that the peers measure the same work and peers.js can check it
 *       (tests/bench/run.sh does this).
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

/* What promptpay-qr 0.5.0 makes of promptpay('0812345678', { amount:
 * 15000 }) (peers.js):
 *
 *   00020101021229370016A000000677010111011300668123456785802TH
 *   5303764540815000.0063046808
 *
 * a PromptPay peer-to-peer code, without 52, 59 and 60. Strict EMVCo
 * parsing requires those three and the encoder returns only strict
 * payloads, so enc_promptpay() writes the same objects, in the same
 * order, plus 52, 59 and 60 (the merchant's values above: 36 more bytes
 * to write and CRC). check_built() and peers.js check that removing them
 * gives promptpay-qr's objects. */
static const char pp_peer_body[] =
	"00020101021229370016A000000677010111011300668123456785802TH5303764540815000.00";

/* pix-utils 2.8.2 createStaticPix({ merchantName, merchantCity, pixKey:
 * party id, infoAdicional: party type, transactionAmount: 15000, txid:
 * reference }).toBRCode() (peers.js); enc_pix() writes exactly this. */
static const char pix_peer[] =
	"00020126390014br.gov.bcb.pix0108100000420205ALIAS520400005303986540815000.005802BR"
	"5914MAMA JUMA SHOP6006ARUSHA62110507ORDER426304E63D";

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

/* The low-level encoder as a C caller would use it for one scheme:
 * literal IDs, values of known length. */
#define PUT(id, lit) qr_emv_enc_put(&enc, id, lit, sizeof lit - 1)

static int enc_promptpay(const char **out, struct qr_emv_diag *d)
{
	qr_emv_enc_init(&enc);
	PUT(0, "01");
	PUT(1, "12");
	qr_emv_enc_open(&enc, 29);
	PUT(0, "A000000677010111");
	PUT(1, "0066812345678");
	qr_emv_enc_close(&enc);
	PUT(52, "5411");                 /* not in promptpay-qr's payload */
	PUT(58, "TH");
	PUT(53, "764");
	PUT(54, "15000.00");
	PUT(59, "MAMA JUMA SHOP");       /* not in promptpay-qr's payload */
	PUT(60, "ARUSHA");               /* not in promptpay-qr's payload */
	return qr_emv_enc_finish(&enc, out, d);
}

static int enc_pix(const char **out, struct qr_emv_diag *d)
{
	qr_emv_enc_init(&enc);
	PUT(0, "01");
	qr_emv_enc_open(&enc, 26);
	PUT(0, "br.gov.bcb.pix");
	PUT(1, "10000042");
	PUT(2, "ALIAS");
	qr_emv_enc_close(&enc);
	PUT(52, "0000");
	PUT(53, "986");
	PUT(54, "15000.00");
	PUT(58, "BR");
	PUT(59, "MAMA JUMA SHOP");
	PUT(60, "ARUSHA");
	qr_emv_enc_open(&enc, 62);
	PUT(5, "ORDER42");
	qr_emv_enc_close(&enc);
	return qr_emv_enc_finish(&enc, out, d);
}

static int op_encode_pp(void)
{
	struct qr_emv_diag d;
	const char *out;
	int n = enc_promptpay(&out, &d);

	if (n < 0)
		die("encode-promptpay", d.err.msg);
	sink += (size_t)n + (unsigned char)out[n - 1];
	return 0;
}

static int op_encode_pix(void)
{
	struct qr_emv_diag d;
	const char *out;
	int n = enc_pix(&out, &d);

	if (n < 0)
		die("encode-pix", d.err.msg);
	sink += (size_t)n + (unsigned char)out[n - 1];
	return 0;
}

/* Copies payload s of n bytes without the root objects 52, 59, 60 and
 * 63 into buf (size bytes, NUL-terminated); s is strict and ASCII. */
static void strip(const char *s, int n, char *buf, size_t size)
{
	size_t o = 0;

	for (int i = 0; i + 4 <= n;) {
		unsigned id = (unsigned)(s[i] - '0') * 10 + (unsigned)(s[i + 1] - '0');
		int len = (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
		if (id != 52 && id != 59 && id != 60 && id != 63 && o + 4 + (size_t)len < size) {
			memcpy(buf + o, s + i, 4 + (size_t)len);
			o += 4 + (size_t)len;
		}
		i += 4 + len;
	}
	buf[o] = '\0';
}

/* Builds the PromptPay and Pix payloads once and checks them against the
 * peers' (as hard-coded above; peers.js checks the live peers). */
static void check_built(char *ppbuf, size_t ppsize, char *pixbuf, size_t pixsize)
{
	struct qr_emv_diag d;
	const char *out;
	char body[256];
	int n;

	n = enc_promptpay(&out, &d);
	if (n < 0)
		die("encode-promptpay", d.err.msg);
	strip(out, n, body, sizeof body);
	if (strcmp(body, pp_peer_body) != 0)
		die("encode-promptpay", "not promptpay-qr's objects plus 52, 59 and 60");
	snprintf(ppbuf, ppsize, "%s", out);
	n = enc_pix(&out, &d);
	if (n < 0)
		die("encode-pix", d.err.msg);
	if (strcmp(out, pix_peer) != 0)
		die("encode-pix", "not pix-utils' payload");
	snprintf(pixbuf, pixsize, "%s", out);
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

static void dump_text(const char *dir, const char *name, const char *s, size_t n)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(s, 1, n, fp) != n || fclose(fp) != 0)
		die(path, strerror(errno));
}

static void dump(const char *dir, const char *ppload, const char *pixload)
{
	char path[4096];
	FILE *fp;

	dump_text(dir, "payload.txt", payload, payload_len);
	dump_text(dir, "promptpay.txt", ppload, strlen(ppload));
	dump_text(dir, "pix.txt", pixload, strlen(pixload));
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
	char *copy, ppload[256], pixload[256];
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
	check_built(ppload, sizeof ppload, pixload, sizeof pixload);
	if (dir)
		dump(dir, ppload, pixload);

	printf("encode/tillgate %.0f\n", measure(op_encode));
	fflush(stdout);
	printf("encode-promptpay/tillgate %.0f\n", measure(op_encode_pp));
	fflush(stdout);
	printf("encode-pix/tillgate %.0f\n", measure(op_encode_pix));
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
