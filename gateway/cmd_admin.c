/* cmd_admin.c -- 'tillgate dfsp' and 'tillgate apikey': the tenants and
 * their API keys, from the command line. The work is in gateway/auth.c;
 * this file reads arguments, opens DATA_DIR/tillgate.db (creating or
 * migrating it as serve does) and prints. Changes are audited as made by
 * "system". Exit status 0 ok, 1 the work failed (invalid value, duplicate,
 * not found, database error), 2 usage (unknown option, missing option,
 * unknown role). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "gateway/auth.h"
#include "gateway/backend.h"
#include "gateway/cfg.h"
#include "gateway/cmd.h"
#include "gateway/db.h"
#include "gateway/log.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void dfsp_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate dfsp COMMAND [OPTIONS] [-c FILE] [--set S.K=V ...]\n\n"
		"Commands:\n"
		"  create --id FSPID --name NAME   add a DFSP (a tenant); prints its FSP id\n"
		"  list                            one DFSP per line, tab-separated:\n"
		"                                  FSP id, status, created, name, backend\n"
		"                                  hook URL ('-' for none; never its secret)\n"
		"  set --id FSPID --backend-url URL --backend-secret-file FILE\n"
		"                                  the DFSP's backend hook: payments of its\n"
		"                                  customers are authorised by URL/authorise\n"
		"                                  and their final states told to URL/notify,\n"
		"                                  signed with the secret (FILE's bytes, one\n"
		"                                  trailing newline dropped; 16 to 256 bytes)\n"
		"  set --id FSPID --no-backend      remove the hook\n\n"
		"FSPID: 1 to 32 of A-Z a-z 0-9 . _ - (its FSP id at the switch).\n"
		"NAME: 1 to 128 characters.\n"
		"URL: http:// or https://, without query (docs/payments.md, Backend hook).\n"
		"The database is DATA_DIR/" DB_FILE_NAME " ([gateway] data_dir, default ./var),\n"
		"created or upgraded if needed.\n\n"
		"  -c, --config FILE   the configuration file\n"
		"  --set S.K=V         override key K of section [S]\n"
		"  -h, --help          this help\n\n"
		"Exit status: 0 ok, 1 failed (invalid or duplicate id, database), 2 usage.\n");
}

static void apikey_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate apikey COMMAND [OPTIONS] [-c FILE] [--set S.K=V ...]\n\n"
		"Commands:\n"
		"  create --dfsp FSPID --role ROLE [--user NAME]\n"
		"  create --role hub-admin [--user NAME]\n"
		"          make a key; the key is printed alone on the last line, once:\n"
		"          only its SHA-256 is stored\n"
		"  list [--dfsp FSPID]\n"
		"          the keys (never their secrets), tab-separated: key id, DFSP\n"
		"          ('-' for hub-admin), role, user, created, 'active' or\n"
		"          'revoked' and when\n"
		"  revoke KEYID\n"
		"          the key authenticates no more\n\n"
		"ROLE: hub-admin (no DFSP), dfsp-admin, maker, checker, auditor, payments.\n"
		"NAME: the key's user name (1 to 64 characters), by default the key id.\n"
		"The database is DATA_DIR/" DB_FILE_NAME " ([gateway] data_dir, default ./var),\n"
		"created or upgraded if needed.\n\n"
		"  -c, --config FILE   the configuration file\n"
		"  --set S.K=V         override key K of section [S]\n"
		"  -h, --help          this help\n\n"
		"Exit status: 0 ok, 1 failed (unknown DFSP or key, database), 2 usage\n"
		"(unknown option or role, missing option).\n");
}

/* ---- shared: options, the database ---- */

struct opt {
	const char *name; /* "--id" */
	const char **val; /* set from "--id V" or "--id=V" */
};

/* Parses argv[1..argc-1] (argv[0] the subcommand's word) into opts (a
 * NULL name ends them) and at most npos positional arguments into pos.
 * Prints why and returns EXIT_USAGE on a bad argument, else 0. */
static int parse_opts(const char *cmd, int argc, char **argv, const struct opt *opts,
		      const char **pos, int npos)
{
	int np = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o = NULL;
		const char *v = NULL;
		for (const struct opt *p = opts; p->name; p++) {
			size_t n = strlen(p->name);
			if (strcmp(a, p->name) == 0) {
				if (i + 1 >= argc) {
					fprintf(stderr, "tillgate %s: %s needs a value\n", cmd, a);
					return EXIT_USAGE;
				}
				o = p;
				v = argv[++i];
			} else if (strncmp(a, p->name, n) == 0 && a[n] == '=') {
				o = p;
				v = a + n + 1;
			}
			if (o)
				break;
		}
		if (o) {
			*o->val = v;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "tillgate %s: unknown option '%s'\n", cmd, a);
			return EXIT_USAGE;
		} else if (np < npos) {
			pos[np++] = a;
		} else {
			fprintf(stderr, "tillgate %s: unexpected argument '%s'\n", cmd, a);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Reads -c/--set out of argv into c. Returns 0 (release c with
 * cfg_free()), or an exit status after printing why (c released). */
static int load_cfg(const char *cmd, struct cfg *c, int *argc, char **argv)
{
	struct cfg_diag d = { 0 };
	int r = cfg_from_args(c, argc, argv, NULL, &d);
	if (r < 0) {
		if (r == -ENOMEM)
			fprintf(stderr, "tillgate %s: out of memory\n", cmd);
		else
			cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		cfg_free(c);
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	cfg_diag_free(&d);
	return 0;
}

/* Opens (creating or migrating) DATA_DIR/tillgate.db; the data_dir itself
 * is made if missing, not its parents. Returns 0 or EXIT_FAIL after
 * printing why. */
static int open_db(const char *cmd, const struct cfg *c, struct db **db)
{
	char err[512], path[4096];

	/* The CLI logs warnings and errors only, on stderr. */
	log_set_levels("warn", err, sizeof err);
	if (snprintf(path, sizeof path, "%s/%s", c->gateway_data_dir, DB_FILE_NAME) >=
	    (int)sizeof path) {
		fprintf(stderr, "tillgate %s: data_dir too long\n", cmd);
		return EXIT_FAIL;
	}
	if (mkdir(c->gateway_data_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "tillgate %s: %s: %s\n", cmd, c->gateway_data_dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (db_open(db, path, 0, err, sizeof err) < 0) {
		fprintf(stderr, "tillgate %s: %s\n", cmd, err);
		return EXIT_FAIL;
	}
	return 0;
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0))
			return 1;
	return 0;
}

/* ---- dfsp ---- */

static int print_dfsp(void *arg, const struct auth_dfsp *d)
{
	struct db *db = arg;
	char url[BACKEND_URL_MAX];
	int rc = backend_dfsp_get(db, d->fsp_id, url, NULL, NULL);
	if (rc < 0)
		return rc;
	printf("%s\t%s\t%s\t%s\t%s\n", d->fsp_id, d->status, d->created, d->name,
	       url[0] ? url : "-");
	return 0;
}

/* Reads the shared secret from path: its bytes, one trailing newline
 * (LF or CR LF) dropped. Returns the length, or -1 after printing why. */
static long read_secret(const char *path, uint8_t buf[BACKEND_SECRET_MAX + 2])
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "tillgate dfsp set: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, BACKEND_SECRET_MAX + 2, f);
	int bad = ferror(f) || fgetc(f) != EOF;
	fclose(f);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (bad || n < BACKEND_SECRET_MIN || n > BACKEND_SECRET_MAX) {
		fprintf(stderr, "tillgate dfsp set: %s: the secret must be %d to %d bytes\n", path,
			BACKEND_SECRET_MIN, BACKEND_SECRET_MAX);
		OPENSSL_cleanse(buf, BACKEND_SECRET_MAX + 2);
		return -1;
	}
	return (long)n;
}

/* 'tillgate dfsp set': the DFSP's backend hook. */
static int dfsp_set(int argc, char **argv)
{
	struct cfg c;
	struct db *db = NULL;
	const char *id = NULL, *url = NULL, *file = NULL;
	int none = 0;
	/* --no-backend takes no value: taken out before parse_opts(). */
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-backend") == 0)
			none = 1;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	const struct opt opts[] = { { "--id", &id }, { "--backend-url", &url },
				    { "--backend-secret-file", &file }, { NULL, NULL } };
	int status = load_cfg("dfsp set", &c, &argc, argv);
	if (status)
		return status;
	status = parse_opts("dfsp set", argc, argv, opts, NULL, 0);
	if (!status && (!id || (none ? (url || file) : (!url || !file)))) {
		fprintf(stderr, "tillgate dfsp set: --id and either --backend-url with "
				"--backend-secret-file, or --no-backend\n");
		status = EXIT_USAGE;
	}
	if (status == EXIT_USAGE)
		dfsp_usage(stderr);
	char err[256];
	if (!status && url && backend_url_check(url, err, sizeof err) < 0) {
		fprintf(stderr, "tillgate dfsp set: %s\n", err);
		status = EXIT_FAIL;
	}
	uint8_t secret[BACKEND_SECRET_MAX + 2] = { 0 };
	long slen = 0;
	if (!status && file && (slen = read_secret(file, secret)) < 0)
		status = EXIT_FAIL;
	if (!status)
		status = open_db("dfsp set", &c, &db);
	if (!status) {
		int rc = backend_dfsp_set(db, id, none ? NULL : url, secret, (size_t)slen, err,
					  sizeof err);
		if (rc == 0)
			printf("%s\t%s\n", id, none ? "-" : url);
		else
			fprintf(stderr, "tillgate dfsp set: %s\n", err[0] ? err : strerror(-rc));
		status = rc ? EXIT_FAIL : 0;
	}
	OPENSSL_cleanse(secret, sizeof secret);
	db_close(db);
	cfg_free(&c);
	return status;
}

static int dfsp_run(const char *sub, int argc, char **argv)
{
	struct cfg c;
	struct db *db = NULL;
	const char *id = NULL, *name = NULL;
	const struct opt create_opts[] = { { "--id", &id }, { "--name", &name }, { NULL, NULL } };
	const struct opt list_opts[] = { { NULL, NULL } };
	int create = strcmp(sub, "create") == 0;
	int status = load_cfg(create ? "dfsp create" : "dfsp list", &c, &argc, argv);

	if (status)
		return status;
	status = parse_opts(create ? "dfsp create" : "dfsp list", argc, argv,
			    create ? create_opts : list_opts, NULL, 0);
	if (!status && create && (!id || !name)) {
		fprintf(stderr, "tillgate dfsp create: --id and --name are required\n");
		status = EXIT_USAGE;
	}
	if (status == EXIT_USAGE)
		dfsp_usage(stderr);
	if (!status && create && !auth_fsp_id_valid(id)) {
		fprintf(stderr, "tillgate dfsp create: invalid FSP id '%s': 1 to %d of "
				"A-Z a-z 0-9 . _ -\n", id, AUTH_FSP_ID_MAX);
		status = EXIT_FAIL;
	}
	if (!status)
		status = open_db(create ? "dfsp create" : "dfsp list", &c, &db);
	if (!status && create) {
		int rc = auth_dfsp_create(db, id, name, NULL);
		if (rc == 0)
			printf("%s\n", id);
		else if (rc == -EEXIST)
			fprintf(stderr, "tillgate dfsp create: DFSP '%s' exists already\n", id);
		else if (rc == -EINVAL)
			fprintf(stderr, "tillgate dfsp create: invalid name: 1 to %d characters, "
					"no control characters\n", AUTH_DFSP_NAME_MAX);
		else
			fprintf(stderr, "tillgate dfsp create: %s\n", strerror(-rc));
		status = rc ? EXIT_FAIL : 0;
	} else if (!status) {
		int rc = auth_dfsp_list(db, print_dfsp, db);
		if (rc < 0) {
			fprintf(stderr, "tillgate dfsp list: %s\n", strerror(-rc));
			status = EXIT_FAIL;
		}
	}
	db_close(db);
	cfg_free(&c);
	return status;
}

int cmd_dfsp(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		dfsp_usage(stdout);
		return 0;
	}
	if (argc < 2) {
		dfsp_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "create") == 0 || strcmp(argv[1], "list") == 0)
		return dfsp_run(argv[1], argc - 1, argv + 1);
	if (strcmp(argv[1], "set") == 0)
		return dfsp_set(argc - 1, argv + 1);
	fprintf(stderr, "tillgate dfsp: unknown command '%s'\n", argv[1]);
	dfsp_usage(stderr);
	return EXIT_USAGE;
}

/* ---- apikey ---- */

static int print_key(void *arg, const struct auth_key_info *k)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\t%s\t%s%s\n", k->key_id, k->dfsp[0] ? k->dfsp : "-",
	       merchant_role_name(k->role), k->user, k->created, k->revoked[0] ? "revoked " : "active",
	       k->revoked);
	return 0;
}

static int apikey_create(struct db *db, const char *dfsp, const char *role_s, const char *user)
{
	char key[AUTH_KEY_SIZE], id[AUTH_KEY_ID_LEN + 1];
	int role = merchant_role_parse(role_s);
	int rc = auth_key_create(db, dfsp, (enum merchant_role)role, user, NULL, key, id);
	if (rc == 0) {
		printf("key id: %s\n", id);
		printf("dfsp: %s\nrole: %s\nuser: %s\n", dfsp ? dfsp : "-", role_s,
		       user && *user ? user : id);
		printf("The key below is shown once; only its SHA-256 is stored.\n%s\n", key);
		fflush(stdout);
		OPENSSL_cleanse(key, sizeof key);
		return 0;
	}
	if (rc == -ENOENT)
		fprintf(stderr, "tillgate apikey create: no DFSP '%s'\n", dfsp);
	else if (rc == -EINVAL)
		fprintf(stderr, "tillgate apikey create: invalid user name: 1 to %d characters, "
				"no control characters\n", AUTH_USER_MAX);
	else
		fprintf(stderr, "tillgate apikey create: %s\n", strerror(-rc));
	return EXIT_FAIL;
}

static int apikey_run(const char *sub, int argc, char **argv)
{
	char cmd[32];
	struct cfg c;
	struct db *db = NULL;
	const char *dfsp = NULL, *role = NULL, *user = NULL, *pos[1] = { NULL };
	const struct opt create_opts[] = {
		{ "--dfsp", &dfsp }, { "--role", &role }, { "--user", &user }, { NULL, NULL }
	};
	const struct opt list_opts[] = { { "--dfsp", &dfsp }, { NULL, NULL } };
	const struct opt revoke_opts[] = { { NULL, NULL } };
	int create = strcmp(sub, "create") == 0, revoke = strcmp(sub, "revoke") == 0;

	snprintf(cmd, sizeof cmd, "apikey %s", sub);
	int status = load_cfg(cmd, &c, &argc, argv);
	if (status)
		return status;
	status = parse_opts(cmd, argc, argv,
			    create ? create_opts : revoke ? revoke_opts : list_opts, pos,
			    revoke ? 1 : 0);
	if (!status && create) {
		if (!role) {
			fprintf(stderr, "tillgate %s: --role is required\n", cmd);
			status = EXIT_USAGE;
		} else if (merchant_role_parse(role) < 0) {
			fprintf(stderr, "tillgate %s: unknown role '%s' (hub-admin, dfsp-admin, "
					"maker, checker, auditor, payments)\n", cmd, role);
			status = EXIT_USAGE;
		} else if ((merchant_role_parse(role) == ROLE_HUB_ADMIN) != !dfsp) {
			fprintf(stderr, "tillgate %s: %s\n", cmd,
				dfsp ? "a hub-admin key belongs to no DFSP: drop --dfsp"
				     : "--dfsp is required for this role");
			status = EXIT_USAGE;
		}
	}
	if (!status && revoke && !pos[0]) {
		fprintf(stderr, "tillgate %s: which KEYID?\n", cmd);
		status = EXIT_USAGE;
	}
	if (status == EXIT_USAGE)
		apikey_usage(stderr);
	if (!status && dfsp && !auth_fsp_id_valid(dfsp)) {
		fprintf(stderr, "tillgate %s: no DFSP '%s'\n", cmd, dfsp);
		status = EXIT_FAIL;
	}
	if (!status)
		status = open_db(cmd, &c, &db);
	if (!status && create) {
		status = apikey_create(db, dfsp, role, user);
	} else if (!status && revoke) {
		int rc = auth_key_revoke(db, pos[0], NULL);
		if (rc == 0)
			printf("revoked %s\n", pos[0]);
		else if (rc == -ENOENT)
			fprintf(stderr, "tillgate %s: no key '%s'\n", cmd, pos[0]);
		else if (rc == -EALREADY)
			fprintf(stderr, "tillgate %s: key '%s' is revoked already\n", cmd, pos[0]);
		else
			fprintf(stderr, "tillgate %s: %s\n", cmd, strerror(-rc));
		status = rc ? EXIT_FAIL : 0;
	} else if (!status) {
		int rc = auth_key_list(db, dfsp, print_key, NULL);
		if (rc < 0) {
			fprintf(stderr, "tillgate %s: %s\n", cmd, strerror(-rc));
			status = EXIT_FAIL;
		}
	}
	db_close(db);
	cfg_free(&c);
	return status;
}

int cmd_apikey(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		apikey_usage(stdout);
		return 0;
	}
	if (argc < 2) {
		apikey_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "create") == 0 || strcmp(argv[1], "list") == 0 ||
	    strcmp(argv[1], "revoke") == 0)
		return apikey_run(argv[1], argc - 1, argv + 1);
	fprintf(stderr, "tillgate apikey: unknown command '%s'\n", argv[1]);
	apikey_usage(stderr);
	return EXIT_USAGE;
}
