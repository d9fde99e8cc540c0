/* cmd_stmt.c -- 'tillgate statement': a DFSP's or a merchant's statement
 * read from the database (gateway/stmt.h, the same builder as
 * GET /v1/dfsps/{fsp}/statement), printed as JSON or CSV. Exit status 0
 * ok, 1 failure (no such DFSP or merchant, no database), 2 usage.
 * docs/payments.md "Statements". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cfg.h"
#include "gateway/cmd.h"
#include "gateway/db.h"
#include "gateway/log.h"
#include "gateway/stmt.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void stmt_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate statement --dfsp FSPID [--date D | --from D --to D]\n"
		"                          [--merchant ID] [--csv] [-c FILE] [--set S.K=V ...]\n\n"
		"The committed payments of a DFSP (received by its merchants, on-us or\n"
		"through the switch, and sent by its customers) or of one of its\n"
		"merchants (received), by UTC day, with counts, amounts and fees per\n"
		"currency and the lines: the JSON of GET /v1/dfsps/{fsp}/statement, or\n"
		"its CSV with --csv (docs/payments.md \"Statements\").\n\n"
		"  --dfsp FSPID        the DFSP\n"
		"  --merchant ID       one merchant of the DFSP\n"
		"  --date D            one UTC day, YYYY-MM-DD (default today)\n"
		"  --from D, --to D    a range of UTC days, both included, at most 31\n"
		"  --csv               CSV (RFC 4180) instead of JSON\n"
		"  -c, --config FILE   the configuration file\n"
		"  --set S.K=V         override key K of section [S]\n"
		"  -h, --help          this help\n\n"
		"The database is DATA_DIR/" DB_FILE_NAME " ([gateway] data_dir, default ./var),\n"
		"read as it is.\n\n"
		"Exit status: 0 ok, 1 failure, 2 usage.\n");
}

int cmd_stmt(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			stmt_usage(stdout);
			return 0;
		}
	struct cfg c;
	struct cfg_diag d = { 0 };
	const char *file;
	memset(&c, 0, sizeof c);
	int r = cfg_from_args(&c, &argc, argv, &file, &d);
	if (r < 0) {
		if (r == -ENOMEM)
			fprintf(stderr, "tillgate statement: out of memory\n");
		else
			cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		cfg_free(&c);
		if (r == -EINVAL)
			stmt_usage(stderr);
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	cfg_diag_free(&d);
	const char *dfsp = NULL, *merchant = NULL, *date = NULL, *from = NULL, *to = NULL;
	int csv = 0, status = 0;
	for (int i = 1; i < argc && !status; i++) {
		const char **slot = strcmp(argv[i], "--dfsp") == 0       ? &dfsp
				    : strcmp(argv[i], "--merchant") == 0 ? &merchant
				    : strcmp(argv[i], "--date") == 0     ? &date
				    : strcmp(argv[i], "--from") == 0     ? &from
				    : strcmp(argv[i], "--to") == 0       ? &to
									 : NULL;
		if (strcmp(argv[i], "--csv") == 0) {
			csv = 1;
		} else if (!slot) {
			fprintf(stderr, "tillgate statement: unexpected argument '%s'\n", argv[i]);
			status = EXIT_USAGE;
		} else if (i + 1 >= argc) {
			fprintf(stderr, "tillgate statement: %s needs a value\n", argv[i]);
			status = EXIT_USAGE;
		} else {
			*slot = argv[++i];
		}
	}
	if (!status && !dfsp) {
		fprintf(stderr, "tillgate statement: --dfsp is required\n");
		status = EXIT_USAGE;
	}
	if (!status && date && (from || to)) {
		fprintf(stderr, "tillgate statement: --date, or --from and --to, not both\n");
		status = EXIT_USAGE;
	}
	if (status) {
		stmt_usage(stderr);
		cfg_free(&c);
		return status;
	}
	char err[512], path[4096];
	log_set_levels("warn", err, sizeof err);
	if (snprintf(path, sizeof path, "%s/%s", c.gateway_data_dir, DB_FILE_NAME) >=
	    (int)sizeof path) {
		fprintf(stderr, "tillgate statement: data folder path too long\n");
		cfg_free(&c);
		return EXIT_FAIL;
	}
	struct db *db = NULL;
	int rc = db_open(&db, path, DB_OPEN_NOCREATE, err, sizeof err);
	if (rc < 0) {
		if (rc == -ENOENT)
			fprintf(stderr, "tillgate statement: no database at %s\n", path);
		else
			fprintf(stderr, "tillgate statement: %s\n", err);
		cfg_free(&c);
		return EXIT_FAIL;
	}
	/* a merchant's statement, within the DFSP named */
	struct stmt_query q = {
		.scope = merchant ? dfsp : NULL,
		.dfsp = merchant ? NULL : dfsp,
		.merchant_id = merchant,
		.from = date ? date : from,
		.to = date ? date : to,
	};
	json_t *j = NULL;
	rc = stmt_build(db, &q, &j, err, sizeof err);
	if (rc < 0) {
		if (rc == -EINVAL && date && (strncmp(err, "from:", 5) == 0 || strncmp(err, "to:", 3) == 0))
			fprintf(stderr, "tillgate statement: --date: %s\n", strchr(err, ':') + 2);
		else if (rc == -EINVAL || rc == -ENOENT || rc == -EOVERFLOW)
			fprintf(stderr, "tillgate statement: %s%s\n", rc == -EINVAL ? "--" : "", err);
		else
			fprintf(stderr, "tillgate statement: %s\n", strerror(-rc));
		db_close(db);
		cfg_free(&c);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	char *buf = NULL;
	size_t len = 0;
	if (csv) {
		rc = stmt_csv(j, &buf, &len);
	} else {
		buf = stmt_json_text(j);
		rc = buf ? 0 : -ENOMEM;
		len = buf ? strlen(buf) : 0;
	}
	if (rc == 0) {
		fwrite(buf, 1, len, stdout);
		if (!csv)
			putchar('\n');
	} else {
		fprintf(stderr, "tillgate statement: out of memory\n");
	}
	free(buf);
	json_decref(j);
	db_close(db);
	cfg_free(&c);
	return rc ? EXIT_FAIL : 0;
}
