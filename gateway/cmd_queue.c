/* cmd_queue.c -- 'tillgate queue': the payments queue for operators:
 * status (count per state, age of the oldest queued payment), list,
 * cancel a queued payment, retry a failed or expired one; and the rest
 * of the outgoing work (SMS, registrations at the switch, notifications
 * to DFSP backends) row by row. The work is in
 * gateway/pay.c; this file reads arguments and prints. Exit status 0 ok,
 * 1 failure (no such payment, not allowed in its state, no database), 2
 * usage. docs/payments.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/cfg.h"
#include "gateway/cmd.h"
#include "gateway/db.h"
#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/pay.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static void queue_usage(FILE *f)
{
	fprintf(f,
		"usage: tillgate queue [-c FILE] [--set S.K=V ...] COMMAND\n\n"
		"Commands:\n"
		"  status             payments per state and the age of the oldest QUEUED one\n"
		"  list [--state S] [--limit N]\n"
		"                     payments, newest first, tab-separated: id, created,\n"
		"                     state, fail code ('-' if none), payer DFSP, payer\n"
		"                     MSISDN, till, amount (minor units), currency;\n"
		"                     S: ACCEPTED, QUEUED, SENDING, COMMITTED, FAILED,\n"
		"                     EXPIRED, RECONCILING (default QUEUED); N: 1 to 500 (50)\n"
		"  cancel ID          a QUEUED payment becomes FAILED with code 'cancelled';\n"
		"                     payer and merchant get an SMS\n"
		"  retry ID           an EXPIRED payment, or a FAILED one whose code is\n"
		"                     retryable (switch_unreachable, timeout, no_quote,\n"
		"                     no_transfer_callback, switch_error), is QUEUED again\n"
		"                     with a new offline window\n"
		"  outbox [--kind K] [--state S] [--limit N]\n"
		"                     the other outgoing work, newest first, tab-separated:\n"
		"                     id, created, kind, state, attempts, DFSP, destination,\n"
		"                     method (registrations: POST or DELETE), last error\n"
		"                     ('-' for none); K: sms, als (registrations at the\n"
		"                     switch's account lookup), backend; S: pending,\n"
		"                     sending, sent, delivered, failed (default: any);\n"
		"                     N: 1 to 500 (50)\n\n"
		"The database is DATA_DIR/" DB_FILE_NAME " ([gateway] data_dir, default ./var).\n"
		"Changes are audited with actor 'operator'.\n\n"
		"  -c, --config FILE   the configuration file\n"
		"  --set S.K=V         override key K of section [S]\n"
		"  -h, --help          this help\n\n"
		"Exit status: 0 ok, 1 failure, 2 usage.\n");
}

struct ctx {
	struct cfg cfg;
	struct db *db;
	struct kyb_tiers *tiers;
	struct merchant_reg *reg;
	struct outbox *ob;
	struct pay *pay;
};

static void ctx_free(struct ctx *c)
{
	pay_free(c->pay);
	outbox_free(c->ob);
	merchant_reg_free(c->reg);
	kyb_tiers_free(c->tiers);
	db_close(c->db);
	cfg_free(&c->cfg);
}

static void print_msg(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "tillgate queue: %s\n", msg);
}

static int ctx_open(struct ctx *c)
{
	char err[512], path[4096];
	if (snprintf(path, sizeof path, "%s/%s", c->cfg.gateway_data_dir, DB_FILE_NAME) >=
	    (int)sizeof path) {
		fprintf(stderr, "tillgate queue: data folder path too long\n");
		return -1;
	}
	int rc = db_open(&c->db, path, DB_OPEN_NOCREATE, err, sizeof err);
	if (rc < 0) {
		if (rc == -ENOENT)
			fprintf(stderr, "tillgate queue: no database at %s\n", path);
		else
			fprintf(stderr, "tillgate queue: %s\n", err);
		return -1;
	}
	if (gw_tiers_load(&c->cfg, &c->tiers, print_msg, NULL) < 0)
		return -1;
	struct merchant_reg_opts o = {
		.merchant_id_digits = (int)c->cfg.merchant_merchant_id_digits,
		.till_digits = (int)c->cfg.merchant_till_digits,
		.data_dir = c->cfg.gateway_data_dir,
		.country = c->cfg.gateway_country,
		.tiers = c->tiers,
	};
	struct pay_opts po = { 0 };
	if ((rc = merchant_reg_new(&c->reg, c->db, &o, err, sizeof err)) < 0 ||
	    (rc = outbox_new(&c->ob, c->db, err, sizeof err)) < 0 ||
	    ((po = (struct pay_opts){ .reg = c->reg, .outbox = c->ob, .tiers = c->tiers }),
	     (rc = pay_new(&c->pay, c->db, &po, err, sizeof err))) < 0) {
		fprintf(stderr, "tillgate queue: %s\n", err);
		return -1;
	}
	return 0;
}

static int q_status(struct ctx *c)
{
	struct pay_queue_stats s;
	int rc = pay_queue_stats(c->pay, (int64_t)time(NULL), &s);
	if (rc < 0) {
		fprintf(stderr, "tillgate queue status: %s\n", strerror(-rc));
		return EXIT_FAIL;
	}
	for (int i = 0; i < PAY__STATE_COUNT; i++)
		printf("%s\t%" PRId64 "\n", pay_state_name((enum pay_state)i), s.count[i]);
	printf("oldest_queued_age_s\t%" PRId64 "\n", s.oldest_queued_age);
	return 0;
}

static int q_list(struct ctx *c, int argc, char **argv)
{
	struct pay_filter f = { .state = PAY_QUEUED };
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
			if ((f.state = pay_state_parse(argv[++i])) < 0) {
				fprintf(stderr, "tillgate queue list: --state: unknown state '%s'\n",
					argv[i]);
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || n < 1 || n > PAY_LIST_MAX) {
				fprintf(stderr, "tillgate queue list: --limit: '%s' is not 1 to %d\n",
					argv[i], PAY_LIST_MAX);
				return EXIT_USAGE;
			}
			f.limit = (int)n;
		} else {
			fprintf(stderr, "tillgate queue list: unexpected argument '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	struct pay_rec *items;
	size_t n;
	char next[PAY_CURSOR_MAX], err[160];
	int rc = pay_list(c->pay, &f, &items, &n, next, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "tillgate queue list: %s\n", rc == -EINVAL ? err : strerror(-rc));
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pay_rec *p = &items[i];
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%" PRId64 "\t%s\n", p->id, p->created,
		       pay_state_name(p->state), p->fail_code[0] ? p->fail_code : "-", p->payer_dfsp,
		       p->payer_msisdn, p->till, p->amount, p->currency);
	}
	free(items);
	return 0;
}

static int print_item(void *arg, const struct outbox_item *it)
{
	(void)arg;
	printf("%" PRId64 "\t%s\t%s\t%s\t%" PRId64 "\t%s\t%s\t%s\t%s\n", it->id, it->created,
	       it->kind, it->state, it->attempts, it->dfsp[0] ? it->dfsp : "-", it->dest,
	       it->method[0] ? it->method : "-", it->last_error[0] ? it->last_error : "-");
	return 0;
}

static int q_outbox(struct ctx *c, int argc, char **argv)
{
	static const char *const kinds[] = { "sms", "als", "backend" };
	static const char *const states[] = { "pending", "sending", "sent", "delivered", "failed" };
	const char *kind = NULL, *state = NULL;
	int limit = 50;
	for (int i = 0; i < argc; i++) {
		const char *const *set = NULL;
		size_t n = 0;
		const char **to = NULL;
		if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
			set = kinds, n = sizeof kinds / sizeof *kinds, to = &kind;
		} else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
			set = states, n = sizeof states / sizeof *states, to = &state;
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > PAY_LIST_MAX) {
				fprintf(stderr, "tillgate queue outbox: --limit: '%s' is not 1 to %d\n",
					argv[i], PAY_LIST_MAX);
				return EXIT_USAGE;
			}
			limit = (int)v;
			continue;
		} else {
			fprintf(stderr, "tillgate queue outbox: unexpected argument '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
		const char *v = argv[++i];
		for (size_t k = 0; k < n && !*to; k++)
			if (strcmp(v, set[k]) == 0)
				*to = set[k];
		if (!*to) {
			fprintf(stderr, "tillgate queue outbox: %s: unknown value '%s'\n", argv[i - 1], v);
			return EXIT_USAGE;
		}
	}
	int rc = outbox_list(c->ob, kind, state, limit, print_item, NULL);
	if (rc < 0) {
		fprintf(stderr, "tillgate queue outbox: %s\n", strerror(-rc));
		return EXIT_FAIL;
	}
	return 0;
}

static int q_act(struct ctx *c, const char *cmd, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "tillgate queue %s: %s\n", cmd,
			argc ? "one payment ID only" : "the payment ID is required");
		return EXIT_USAGE;
	}
	char err[256] = "";
	struct pay_rec r;
	int rc = strcmp(cmd, "cancel") == 0 ? pay_cancel(c->pay, argv[0], "operator", &r, err, sizeof err)
					    : pay_retry(c->pay, argv[0], "operator", &r, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "tillgate queue %s: ID '%s': %s\n", cmd, argv[0],
			err[0] ? err : strerror(-rc));
		return EXIT_FAIL;
	}
	printf("%s\t%s%s%s\n", r.id, pay_state_name(r.state), r.fail_code[0] ? "\t" : "", r.fail_code);
	return 0;
}

int cmd_queue(int argc, char **argv)
{
	struct ctx c;
	struct cfg_diag d = { 0 };
	const char *file;

	memset(&c, 0, sizeof c);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			queue_usage(stdout);
			return 0;
		}
	int r = cfg_from_args(&c.cfg, &argc, argv, &file, &d);
	if (r < 0) {
		if (r == -ENOMEM)
			fprintf(stderr, "tillgate queue: out of memory\n");
		else
			cfg_diag_print(&d, stderr);
		cfg_diag_free(&d);
		cfg_free(&c.cfg);
		if (r == -EINVAL)
			queue_usage(stderr);
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	cfg_diag_free(&d);
	if (argc < 2) {
		fprintf(stderr, "tillgate queue: a command is required (status, list, cancel, retry, "
			"outbox)\n");
		queue_usage(stderr);
		cfg_free(&c.cfg);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "status") != 0 && strcmp(cmd, "list") != 0 && strcmp(cmd, "cancel") != 0 &&
	    strcmp(cmd, "retry") != 0 && strcmp(cmd, "outbox") != 0) {
		fprintf(stderr, "tillgate queue: unknown command '%s' (status, list, cancel, retry, "
			"outbox)\n", cmd);
		cfg_free(&c.cfg);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "status") == 0 && argc > 2) {
		fprintf(stderr, "tillgate queue status: unexpected argument '%s'\n", argv[2]);
		cfg_free(&c.cfg);
		return EXIT_USAGE;
	}
	char err[128];
	log_set_levels("warn", err, sizeof err);
	if (ctx_open(&c) < 0) {
		ctx_free(&c);
		return EXIT_FAIL;
	}
	int status = strcmp(cmd, "status") == 0 ? q_status(&c)
		     : strcmp(cmd, "list") == 0 ? q_list(&c, argc - 2, argv + 2)
		     : strcmp(cmd, "outbox") == 0 ? q_outbox(&c, argc - 2, argv + 2)
						: q_act(&c, cmd, argc - 2, argv + 2);
	ctx_free(&c);
	return status;
}
