/* fuzz_qr_scan.c -- libFuzzer target for the image loader (PNG, PGM, PPM)
 * and, for small images, the ZBar scan behind it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "qr/qr_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ZBar's QR finder is superlinear on large noisy images and is a library
 * dependency, not our parser: scan only what stays fast. */
#define FUZZ_SCAN_MAX_PIXELS (256u * 256u)

static void on_code(const char *d, size_t len, void *arg)
{
	size_t *sum = arg;
	size_t i;

	/* touch every byte so ASan checks the reported length */
	for (i = 0; i < len; i++)
		*sum += (unsigned char)d[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* one scanner for the whole run; owned here, never freed (reachable) */
	static struct qr_scan *scan;
	uint8_t *pix = NULL;
	unsigned w = 0, h = 0;
	char err[256] = "";
	size_t sum = 0;
	int rc;

	rc = qr_scan_load_mem(data, size, &pix, &w, &h, err, sizeof(err));
	if (rc != 0) {
		if (pix != NULL || err[0] == 0)
			abort(); /* contract: untouched output, a message */
		return 0;
	}
	if (w == 0 || h == 0 || w > QR_SCAN_MAX_SIDE || h > QR_SCAN_MAX_SIDE)
		abort();
	if ((size_t)w * h <= FUZZ_SCAN_MAX_PIXELS) {
		if (!scan)
			scan = qr_scan_new();
		if (scan && qr_scan_gray(scan, pix, w, h, on_code, &sum) < 0)
			abort();
	}
	free(pix);
	return 0;
}
