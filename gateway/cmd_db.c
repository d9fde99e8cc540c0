/* cmd_db.c -- 'tillgate db': check the database (integrity, foreign keys,
 * schema, audit chain) or create/upgrade it. The work is in gateway/db.c
 * and gateway/audit.c; this file reads arguments and prints. Exit status
 * 0 ok, 1 problems found or the database could not be opened, 2 usage. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/audit.h"
#include "gateway/cfg.h"
#include "gateway/cmd.h"
#include "gateway/db.h"
#include "gateway/log.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void db_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate db COMMAND [-c FILE] [--set S.K=V ...] [--db PATH]\n\n"
		"Commands:\n"
		"  check     PRAGMA integrity_check and foreign_key_check, the schema and\n"
		"            the audit chain: prints each problem, or \"database OK\"\n"
		"  migrate   create the database, or upgrade it to this build's schema\n\n"
		"The database is DATA_DIR/" DB_FILE_NAME ", DATA_DIR being [gateway] data_dir\n"
		"of the configuration (default ./var).\n\n"
		"  -c, --config FILE   the configuration file\n"
		"  --set S.K=V         override key K of section [S]\n"
		"  --db PATH           this database file instead\n"
		"  -h, --help          this help\n\n"
		"Exit status: 0 ok, 1 problems found or no database, 2 usage.\n");
}

struct target {
	struct cfg cfg;
	char *path; /* owned */
	int from_cfg; /* path is DATA_DIR/tillgate.db */
};

/* Reads -c/--set and --db from argv (argv[0] is the command's name) into
 * t. Returns 0 (release t with free_target()), or an exit status after
 * printing why (t released). */
static int parse_target(int argc, char **argv, struct target *t)
{
	struct cfg_diag d = { 0 };
	const char *file, *db = NULL;

	memset(t, 0, sizeof *t);
	int r = cfg_from_args(&t->cfg, &argc, argv, &file, &d);
	if (r < 0) {
		if (r == -ENOMEM)
			fprintf(stderr, "tillgate %s: out of memory\n", argv[0]);
		else
			cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		cfg_free(&t->cfg);
		if (r == -EINVAL)
			db_usage(stderr);
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	cfg_diag_free(&d);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			db = argv[++i];
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			db = argv[i] + 5;
		} else {
			fprintf(stderr, "tillgate db %s: unexpected %s '%s'\n", argv[0],
				argv[i][0] == '-' ? "option" : "argument", argv[i]);
			db_usage(stderr);
			cfg_free(&t->cfg);
			return EXIT_USAGE;
		}
	}
	if (db && !*db) {
		fprintf(stderr, "tillgate db %s: --db needs a file name\n", argv[0]);
		cfg_free(&t->cfg);
		return EXIT_USAGE;
	}
	if (db) {
		t->path = strdup(db);
	} else {
		size_t n = strlen(t->cfg.gateway_data_dir) + sizeof "/" DB_FILE_NAME;
		if ((t->path = malloc(n)))
			snprintf(t->path, n, "%s/%s", t->cfg.gateway_data_dir, DB_FILE_NAME);
		t->from_cfg = 1;
	}
	if (!t->path) {
		fprintf(stderr, "tillgate db %s: out of memory\n", argv[0]);
		cfg_free(&t->cfg);
		return EXIT_FAIL;
	}
	return 0;
}

static void free_target(struct target *t)
{
	cfg_free(&t->cfg);
	free(t->path);
}

/* The CLI logs warnings and errors only, on stderr: its output is what
 * it prints. */
static void quiet_log(void)
{
	char err[128];

	log_set_levels("warn", err, sizeof err);
}

/* ---- db check ---- */

static void print_db_problem(void *arg, const char *msg)
{
	(void)arg;
	printf("%s\n", msg);
}

static void print_audit_problem(void *arg, enum audit_problem kind, int64_t first, int64_t last,
				const char *msg)
{
	(void)arg;
	(void)kind;
	(void)first;
	(void)last;
	printf("%s\n", msg);
}

static int db_check_cmd(int argc, char **argv)
{
	struct target t;
	struct db *db = NULL;
	char err[512];
	int status;

	if ((status = parse_target(argc, argv, &t)) != 0)
		return status;
	quiet_log();
	int rc = db_open(&db, t.path, DB_OPEN_NOCREATE | DB_OPEN_NOMIGRATE, err, sizeof err);
	if (rc < 0) {
		if (rc == -ENOENT)
			fprintf(stderr, "tillgate db check: no database at %s\n", t.path);
		else
			fprintf(stderr, "tillgate db check: %s\n", err);
		free_target(&t);
		return EXIT_FAIL;
	}
	int version = db_schema_version(db);
	if (version == 0) {
		printf("%s holds no Tillgate schema (user_version 0)\n", t.path);
		db_close(db);
		free_target(&t);
		return EXIT_FAIL;
	}
	printf("schema version %d", version);
	if (version < db_schema_latest())
		printf(" (upgraded to %d at the next start or by 'tillgate db migrate')",
		       db_schema_latest());
	printf("\n");

	int problems = 0;
	rc = db_check(db, print_db_problem, NULL);
	if (rc >= 0) {
		problems += rc;
		struct audit_summary sum;
		rc = audit_verify(db, print_audit_problem, NULL, &sum);
		if (rc >= 0) {
			problems += rc;
			if (sum.rows)
				printf("audit chain: %" PRId64 " rows, head row %" PRId64 " hash %s\n",
				       sum.rows, sum.head_id, sum.head_hash);
			else
				printf("audit chain: no rows\n");
		}
	}
	if (rc < 0) {
		fprintf(stderr, "tillgate db check: could not finish: %s\n", strerror(-rc));
		status = EXIT_FAIL;
	} else if (problems) {
		printf("%d problem%s found\n", problems, problems == 1 ? "" : "s");
		status = EXIT_FAIL;
	} else {
		printf("database OK\n");
	}
	db_close(db);
	free_target(&t);
	return status;
}

/* ---- db migrate ---- */

static int db_migrate_cmd(int argc, char **argv)
{
	struct target t;
	struct db *db = NULL;
	char err[512];
	int status;

	if ((status = parse_target(argc, argv, &t)) != 0)
		return status;
	quiet_log();
	/* The data_dir itself, as serve makes it; not its parents. */
	if (t.from_cfg && mkdir(t.cfg.gateway_data_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "tillgate db migrate: %s: %s\n", t.cfg.gateway_data_dir,
			strerror(errno));
		free_target(&t);
		return EXIT_FAIL;
	}
	int rc = db_open(&db, t.path, 0, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "tillgate db migrate: %s\n", err);
		free_target(&t);
		return EXIT_FAIL;
	}
	printf("%s: schema version %d\n", t.path, db_schema_version(db));
	db_close(db);
	free_target(&t);
	return 0;
}

int cmd_db(int argc, char **argv)
{
	if (argc < 2) {
		db_usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0)) {
			db_usage(stdout);
			return 0;
		}
	if (strcmp(argv[1], "check") == 0)
		return db_check_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "migrate") == 0)
		return db_migrate_cmd(argc - 1, argv + 1);
	fprintf(stderr, "tillgate db: unknown command '%s'\n", argv[1]);
	db_usage(stderr);
	return EXIT_USAGE;
}
