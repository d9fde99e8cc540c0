/* serve.c -- 'tillgate serve': the daemon. Loads the configuration,
 * opens (creating or migrating) the database under data_dir, starts the
 * HTTP server in the event loop and runs until SIGTERM or SIGINT; then
 * stops accepting, lets requests in flight finish (at most
 * shutdown_grace_s), closes the database cleanly and exits 0. SIGHUP
 * reopens the log file. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gateway/als.h"
#include "gateway/api.h"
#include "gateway/auth.h"
#include "gateway/backend.h"
#include "gateway/cfg.h"
#include "gateway/cmd.h"
#include "gateway/customer.h"
#include "gateway/db.h"
#include "gateway/ev.h"
#include "gateway/fwd.h"
#include "gateway/gw.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/payee.h"
#include "gateway/switch.h"
#include "gateway/pay.h"
#include "gateway/rtp.h"
#include "qr/qr_emv.h"
#include "gateway/ussd_http.h"
#include "gateway/ussd_smpp.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant.h"
#include "merchant/merchant_pin.h"
#include "ussd/ussd_sess.h"

#define STOP_POLL_MS 50

/* ---- routes ---- */

static void h_healthz(struct http_req *r, void *arg)
{
	struct gw *gw = arg;
	json_t *j = json_pack("{s:s,s:i,s:I}", "status", gw->stopping ? "stopping" : "ok",
			      "schema_version", db_schema_version(gw->db), "uptime_s",
			      (json_int_t)((ev_now_ms() - gw->started_ms) / 1000));
	http_reply_json(r, gw->stopping ? 503 : 200, j);
}

/* Routes outside the admin API: the health check, the USSD aggregator
 * transport (gateway/ussd_http.h) and the FSPIOP callbacks at the root
 * (gateway/switch.h). */
#define EXTRA_ROUTES (2 + SWITCH_ROUTES + PAYEE_ROUTES)
static void extra_routes(struct http_route r[EXTRA_ROUTES])
{
	r[0] = (struct http_route){ "GET", "/healthz", h_healthz };
	r[1] = ussd_http_route;
	for (int i = 0; i < SWITCH_ROUTES; i++)
		r[2 + i] = switch_routes[i];
	for (int i = 0; i < PAYEE_ROUTES; i++)
		r[2 + SWITCH_ROUTES + i] = payee_routes[i];
}

/* The FSPIOP connector, when [switch] endpoint is set. */
static int switch_open(struct gw *gw, char *err, size_t errlen)
{
	const struct cfg *c = &gw->cfg;
	if (!*c->switch_endpoint)
		return 0;
	struct switch_opts o = {
		.endpoint = c->switch_endpoint,
		.merchant_party_type = c->switch_merchant_party_type,
		.transfer_expiry_s = c->switch_transfer_expiry_s,
		.callback_timeout_ms = c->switch_callback_timeout_ms,
		.max_inflight = c->switch_max_inflight,
		.answer_budget_ms = c->switch_answer_budget_ms,
		.tls_cert = c->switch_tls_cert,
		.tls_key = c->switch_tls_key,
		.tls_ca = c->switch_tls_ca,
		.jws_key = c->switch_jws_key,
	};
	int rc = switch_new(&gw->sw, gw->ev, &o, err, errlen);
	if (rc == 0)
		LOGN(LC_SWITCH, "FSPIOP callbacks expected", "callback_base=%s",
		     *c->switch_callback_base ? c->switch_callback_base : "(not set)");
	return rc;
}

/* 'tillgate routes' (hidden from the help list; docs/api.md): the route
 * table serve hands to the HTTP server, one "METHOD PATTERN" a line, for
 * checking docs/openapi.yaml against it (tests/interop/openapi.test.js). */
int cmd_routes(int argc, char **argv)
{
	if (argc > 1) {
		int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
		fprintf(help ? stdout : stderr,
			"usage: tillgate routes\n\n"
			"Prints the routes 'tillgate serve' answers, one METHOD PATTERN a line\n"
			"(docs/openapi.yaml describes each).\n");
		return help ? 0 : 2;
	}
	size_t n = 0;
	struct http_route extra[EXTRA_ROUTES];
	extra_routes(extra);
	struct http_route *t = api_routes(extra, EXTRA_ROUTES, &n);
	if (!t) {
		fprintf(stderr, "routes: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s %s\n", t[i].method, t[i].pattern);
	free(t);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- signals and shutdown ---- */

static void stop_poll(struct ev *ev, uint64_t id, void *arg)
{
	struct gw *gw = arg;
	(void)id;
	unsigned open = http_connections(gw->http);
	int smpp_done = ussd_smpp_stopped(gw->smpp);
	if ((open == 0 && smpp_done) || ev_now_ms() >= gw->stop_deadline) {
		if (open || !smpp_done)
			LOGW(LC_MAIN, "grace period over", "connections=%u smpp_stopped=%d", open,
			     smpp_done);
		gw->stop_timer = 0;
		ev_stop(ev);
		return;
	}
	gw->stop_timer = ev_timer_add(ev, STOP_POLL_MS, stop_poll, gw);
}

/* How often queued payments past their offline maximum age are expired. */
#define PAY_SWEEP_MS 60000

/* The expiry sweep (pay_expire_due()), now and every PAY_SWEEP_MS. */
static void pay_sweep(struct ev *ev, uint64_t id, void *arg)
{
	struct gw *gw = arg;
	(void)id;
	if (gw->stopping)
		return;
	int n = pay_expire_due(gw->pay, (int64_t)time(NULL));
	if (n > 0)
		LOGN(LC_PAY, "queued payments expired", "count=%d", n);
	ev_timer_add(ev, PAY_SWEEP_MS, pay_sweep, gw);
}

/* How often requests to pay are expired and followed to their payment's
 * end (rtp_sweep()). */
#define RTP_SWEEP_MS 5000

static void rtp_sweep_cb(struct ev *ev, uint64_t id, void *arg)
{
	struct gw *gw = arg;
	(void)id;
	if (gw->stopping)
		return;
	int n = rtp_sweep(gw->rtp, (int64_t)time(NULL));
	if (n > 0)
		LOGI(LC_PAY, "payment requests settled or expired", "count=%d", n);
	ev_timer_add(ev, RTP_SWEEP_MS, rtp_sweep_cb, gw);
}

static void on_stop_signal(struct ev *ev, int signo, void *arg)
{
	struct gw *gw = arg;
	if (gw->stopping) {
		LOGN(LC_MAIN, "second signal: stopping now", "signal=%s", strsignal(signo));
		ev_stop(ev);
		return;
	}
	gw->stopping = 1;
	gw->stop_deadline = ev_now_ms() + (uint64_t)gw->cfg.gateway_shutdown_grace_s * 1000u;
	LOGN(LC_MAIN, "stopping", "signal=%s grace_s=%lld", strsignal(signo),
	     gw->cfg.gateway_shutdown_grace_s);
	http_quiesce(gw->http);
	ussd_smpp_stop(gw->smpp); /* unbind after the drain */
	als_stop(gw->als);        /* what is in flight is sent again next start */
	gw->stop_timer = ev_timer_add(ev, 0, stop_poll, gw);
}

static void on_hup(struct ev *ev, int signo, void *arg)
{
	(void)ev;
	(void)signo;
	(void)arg;
	int rc = log_reopen();
	if (rc < 0)
		LOGE(LC_MAIN, "cannot reopen the log file", "error=\"%s\"", strerror(-rc));
	else
		LOGI(LC_MAIN, "log file reopened", NULL);
}

/* ---- start and stop ---- */

/* Creates path and its missing parents (mode 0750). Returns 0 or -errno. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0750) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int gw_tiers_load(const struct cfg *c, struct kyb_tiers **out,
		  void (*report)(void *arg, const char *msg), void *arg)
{
	static struct kyb_tier_errs te; /* large; one caller at a time (one thread) */
	const char *name = c->kyb_tiers_file[0] ? c->kyb_tiers_file : "data/kyb-tiers.conf (built-in)";
	char msg[512];
	int rc = c->kyb_tiers_file[0] ? kyb_tiers_load(c->kyb_tiers_file, out, &te)
				      : kyb_tiers_builtin(out, &te);
	if (rc < 0) {
		int kept = te.n < KYB_TIER_ERR_MAX ? te.n : KYB_TIER_ERR_MAX;
		for (int i = 0; i < kept; i++)
			report(arg, te.e[i].msg);
		if (te.n > kept) {
			snprintf(msg, sizeof msg, "%s: %d more errors not shown", name, te.n - kept);
			report(arg, msg);
		}
		if (te.n == 0) {
			snprintf(msg, sizeof msg, "%s: %s", name, strerror(-rc));
			report(arg, msg);
		}
		return rc;
	}
	if (strcmp(kyb_tiers_currency(*out), c->gateway_currency) != 0) {
		snprintf(msg, sizeof msg, "%s: limits are in %s but [gateway] currency is %s", name,
			 kyb_tiers_currency(*out), c->gateway_currency);
		report(arg, msg);
		kyb_tiers_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Keeps the first problem gw_tiers_load() reports, for the start-up error. */
static void first_problem(void *arg, const char *msg)
{
	char *buf = arg;
	if (!buf[0])
		snprintf(buf, 256, "%s", msg);
}

/* The merchant registry with the configured tiers (the built-in ones
 * unless [kyb] tiers_file) and the built-in MCC table. Returns 0 or a
 * negative errno with a message in err. */
static int registry_open(struct gw *gw, char *err, size_t errlen)
{
	const struct cfg *c = &gw->cfg;
	char first[256] = "";
	int rc = gw_tiers_load(c, &gw->tiers, first_problem, first);
	if (rc < 0) {
		snprintf(err, errlen, "KYB tiers: %.200s", first);
		return rc;
	}
	if ((rc = kyb_mcc_builtin(&gw->mcc, err, errlen)) < 0)
		return rc;
	struct merchant_reg_opts o = {
		.id_scheme = strcmp(c->merchant_id_scheme, "random") == 0 ? MERCHANT_ID_RANDOM
									: MERCHANT_ID_SEQUENTIAL,
		.merchant_id_digits = (int)c->merchant_merchant_id_digits,
		.till_digits = (int)c->merchant_till_digits,
		.data_dir = c->gateway_data_dir,
		.country = c->gateway_country,
		.tiers = gw->tiers,
		.mcc = gw->mcc,
		.max_document_bytes = (size_t)c->merchant_max_document_bytes,
	};
	return merchant_reg_new(&gw->reg, gw->db, &o, err, errlen);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tillgate serve [-c FILE] [--set SECTION.KEY=VALUE ...]\n\n"
		   "Runs the gateway daemon in the foreground until SIGTERM or SIGINT.\n"
		   "Without -c every key has its default (docs/configuration.md): data in\n"
		   "./var, HTTP on 127.0.0.1:8080.\n\n"
		   "  -c, --config FILE   configuration file (see data/tillgate.conf.example)\n"
		   "  --set S.K=V         override key K of section [S]\n"
		   "  -h, --help          this help\n\n"
		   "Endpoints: GET /healthz, GET /metrics, POST /ussd (the USSD aggregator\n"
		   "transport), the admin API under /v1 (docs/api.md) and the FSPIOP\n"
		   "callbacks PUT /parties, /quotes, /transfers (docs/switch.md).\n");
}

/* Everything between the configuration and the loop. On a first start
 * (no API key yet) boot gets the keys auth_bootstrap() made, for the
 * caller to print once. Returns 0 or -1 with the reason logged. */
static int start(struct gw *gw, struct auth_boot *boot)
{
	char err[256];
	int rc = mkdir_p(gw->cfg.gateway_data_dir);
	if (rc < 0) {
		LOGE(LC_MAIN, "cannot create the data folder", "path=%s error=\"%s\"",
		     gw->cfg.gateway_data_dir, strerror(-rc));
		return -1;
	}
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", gw->cfg.gateway_data_dir, DB_FILE_NAME) >=
	    (int)sizeof path) {
		LOGE(LC_MAIN, "data folder path too long", NULL);
		return -1;
	}
	if (db_open(&gw->db, path, 0, err, sizeof err) < 0) {
		LOGE(LC_MAIN, "cannot open the database", "path=%s error=\"%s\"", path, err);
		return -1;
	}
	if ((rc = auth_bootstrap(gw->db, boot)) < 0) {
		LOGE(LC_MAIN, "cannot create the first API keys", "error=\"%s\"", strerror(-rc));
		return -1;
	}
	if ((rc = registry_open(gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot open the merchant registry", "error=\"%s\"", err);
		return -1;
	}
	if ((rc = outbox_new(&gw->outbox, gw->db, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot open the outbox", "error=\"%s\"", err);
		return -1;
	}
	struct pay_opts payo = { .reg = gw->reg, .outbox = gw->outbox, .tiers = gw->tiers };
	if ((rc = pay_new(&gw->pay, gw->db, &payo, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot open the payments", "error=\"%s\"", err);
		return -1;
	}
	struct mpin_opts po = {
		.cost = { .ops = (unsigned long long)gw->cfg.ussd_pin_opslimit,
			  .mem_kib = (size_t)gw->cfg.ussd_pin_memlimit_kib },
		.max_tries = (int)gw->cfg.ussd_pin_max_tries,
		.lock_s = (int)gw->cfg.ussd_pin_lock_s,
	};
	if ((rc = mpin_new(&gw->mpin, gw->db, &po, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot open the merchant PINs", "error=\"%s\"", err);
		return -1;
	}
	struct cust_opts co = {
		.tiers = gw->tiers,
		.cost = po.cost,
		.max_tries = (int)gw->cfg.customer_pin_max_tries,
		.lock_s = (int)gw->cfg.customer_pin_lock_s,
		.activation_ttl_s = (int)gw->cfg.customer_activation_ttl_s,
	};
	if ((rc = cust_new(&gw->cust, gw->db, &co, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot open the customers", "error=\"%s\"", err);
		return -1;
	}
	const char *ccy_num = qr_emv_ccy_num(gw->cfg.gateway_currency);
	int ccy_exp = ccy_num ? qr_emv_ccy_exponent(ccy_num) : 2;
	struct rtp_opts ro = {
		.cust = gw->cust,
		.outbox = gw->outbox,
		.currency = gw->cfg.gateway_currency,
		.exponent = ccy_exp < 0 ? 2 : ccy_exp,
		.ttl_s = gw->cfg.customer_request_ttl_s,
	};
	if ((rc = rtp_new(&gw->rtp, gw->db, &ro, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot open the payment requests", "error=\"%s\"", err);
		return -1;
	}
	gw->ev = ev_new(err, sizeof err);
	if (!gw->ev) {
		LOGE(LC_MAIN, "cannot create the event loop", "error=\"%s\"", err);
		return -1;
	}
	/* One body limit for the server: the larger of the two; the API
	 * holds JSON bodies to http.max_body_bytes itself (gateway/api.h). */
	long long max_body = gw->cfg.http_max_body_bytes > gw->cfg.merchant_max_document_bytes
				     ? gw->cfg.http_max_body_bytes
				     : gw->cfg.merchant_max_document_bytes;
	if ((rc = ussd_sess_new(&gw->ussd, gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the USSD menus", "error=\"%s\"", err);
		return -1;
	}
	if (gw->cfg.smpp_enabled &&
	    (rc = ussd_smpp_new(&gw->smpp, gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the SMPP link", "error=\"%s\"", err);
		return -1;
	}
	if ((rc = switch_open(gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the switch connector", "error=\"%s\"", err);
		return -1;
	}
	if ((rc = payee_new(&gw->payee, gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the payee side", "error=\"%s\"", err);
		return -1;
	}
	if (gw->sw && gw->cfg.switch_register_parties &&
	    (rc = als_new(&gw->als, gw->ev, gw->outbox, gw->sw, gw->cfg.gateway_currency, err,
			  sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the registrations", "error=\"%s\"", err);
		return -1;
	}
	struct http_route extra[EXTRA_ROUTES];
	extra_routes(extra);
	gw->routes = api_routes(extra, EXTRA_ROUTES, &gw->nroutes);
	if (!gw->routes) {
		LOGE(LC_MAIN, "out of memory", NULL);
		return -1;
	}
	struct http_limits lim = {
		.max_body = (size_t)max_body,
		.max_conns = (unsigned)gw->cfg.http_max_connections,
		.timeout_s = (unsigned)gw->cfg.http_request_timeout_s,
	};
	gw->http = http_new(gw->ev, gw->cfg.gateway_listen, gw->routes, gw->nroutes, gw, &lim, err, sizeof err);
	if (!gw->http) {
		LOGE(LC_MAIN, "cannot start the HTTP server", "error=\"%s\"", err);
		return -1;
	}
	if ((rc = ev_signal_add(gw->ev, SIGTERM, on_stop_signal, gw)) < 0 ||
	    (rc = ev_signal_add(gw->ev, SIGINT, on_stop_signal, gw)) < 0 ||
	    (rc = ev_signal_add(gw->ev, SIGHUP, on_hup, gw)) < 0) {
		LOGE(LC_MAIN, "cannot watch signals", "error=\"%s\"", strerror(-rc));
		return -1;
	}
	if ((rc = fwd_new(&gw->fwd, gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the forwarder", "error=\"%s\"", err);
		return -1;
	}
	if ((rc = backend_new(&gw->backend, gw, err, sizeof err)) < 0) {
		LOGE(LC_MAIN, "cannot start the backend hooks", "error=\"%s\"", err);
		return -1;
	}
	if (!ev_timer_add(gw->ev, 0, pay_sweep, gw) || !ev_timer_add(gw->ev, 0, rtp_sweep_cb, gw)) {
		LOGE(LC_MAIN, "out of memory", NULL);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Keep freed heap memory mapped: SQLite allocates its page cache at
	 * each read transaction's start and frees it at the end, and with the
	 * default trim threshold glibc hands that back to the kernel each time,
	 * so every USSD step paid for fresh zeroed pages (page faults were the
	 * daemon's top cost under load). A few MiB of slack is the price. */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	gw->started_ms = ev_now_ms();
	return 0;
}

static void stop(struct gw *gw)
{
	http_free(gw->http);
	if (gw->stop_timer)
		ev_timer_del(gw->ev, gw->stop_timer);
	ussd_smpp_free(gw->smpp); /* before the sessions and the outbox it uses */
	backend_free(gw->backend); /* before the forwarder it kicks */
	gw->backend = NULL;
	fwd_free(gw->fwd);
	gw->fwd = NULL;
	als_free(gw->als); /* its requests wait in the connector, freed next */
	switch_free(gw->sw);
	payee_free(gw->payee);
	ussd_sess_free(gw->ussd);
	ev_free(gw->ev);
	free(gw->routes);
	merchant_reg_free(gw->reg);
	pay_free(gw->pay);
	rtp_free(gw->rtp);
	outbox_free(gw->outbox);
	mpin_free(gw->mpin);
	cust_free(gw->cust);
	kyb_tiers_free(gw->tiers);
	kyb_mcc_free(gw->mcc);
	db_close(gw->db);
	cfg_free(&gw->cfg);
}

int cmd_serve(int argc, char **argv)
{
	struct gw gw = { 0 };
	struct cfg_diag d = { 0 };
	char err[256];

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	int rc = cfg_from_args(&gw.cfg, &argc, argv, NULL, &d);
	if (rc < 0 || argc > 1) {
		if (rc < 0)
			cfg_diag_print(&d, stderr);
		else
			fprintf(stderr, "serve: unexpected argument '%s'\n", argv[1]);
		if (rc == -EINVAL || rc == 0)
			usage(stderr);
		cfg_diag_free(&d);
		cfg_free(&gw.cfg);
		return rc == -EINVAL || rc == 0 ? 2 : 1;
	}
	cfg_diag_free(&d);
	if (cfg_apply_log(&gw.cfg, err, sizeof err) < 0) {
		fprintf(stderr, "serve: %s\n", err);
		cfg_free(&gw.cfg);
		return 1;
	}
	int status = 1;
	struct auth_boot boot = { 0 };
	rc = start(&gw, &boot);
	if (rc == 0) {
		/* the host part as configured, the port as bound (0 picks one) */
		const char *colon = strrchr(gw.cfg.gateway_listen, ':');
		int hostlen = colon ? (int)(colon - gw.cfg.gateway_listen) : 0;
		if (boot.created) {
			/* The keys go to stdout, once, before the "listening" line
			 * (so whoever waits for that line finds them); never to the
			 * log. */
			printf("admin URL: http://%.*s:%u/v1\n"
			       "hub-admin key (shown once): %s\n"
			       "%s dfsp-admin key (shown once): %s\n",
			       hostlen, gw.cfg.gateway_listen, http_port(gw.http), boot.hub_key,
			       AUTH_DEMO_FSP_ID, boot.demo_key);
			fflush(stdout);
		}
		LOGN(LC_MAIN, "listening", "url=http://%.*s:%u/ port=%u data_dir=%s schema_version=%d",
		     hostlen, gw.cfg.gateway_listen, http_port(gw.http), http_port(gw.http),
		     gw.cfg.gateway_data_dir, db_schema_version(gw.db));
		rc = ev_run(gw.ev);
		if (rc < 0)
			LOGE(LC_MAIN, "event loop failed", "error=\"%s\"", strerror(-rc));
		else
			status = 0;
	}
	OPENSSL_cleanse(&boot, sizeof boot);
	stop(&gw);
	LOGN(LC_MAIN, "stopped", "status=%d", status);
	return status;
}
