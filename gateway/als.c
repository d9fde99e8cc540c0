/* als.c -- the "als" drain of the outbox: registrations at the switch's
 * account lookup service (see als.h). */
#include "gateway/als.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "gateway/ev.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/switch.h"

struct als_job;

struct als {
	struct ev *ev;          /* borrowed */
	struct outbox *ob;      /* borrowed */
	struct switch_conn *sw; /* borrowed */
	char currency[4];
	uint64_t timer;
	int stopping;
	unsigned inflight;
	struct als_job *jobs; /* the rows on their way, for als_free() */
	struct als_counters c;
};

/* One row on its way: the context of its switch callback. */
struct als_job {
	struct als *a;
	struct als_job *prev, *next;
	int64_t id;
	int64_t attempts;
	int del;
	char party[200]; /* "TYPE/ID", for the log */
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* ALS_RETRY_MIN_S doubling per attempt up to ALS_RETRY_MAX_S, then a
 * random half of it added or not (jitter: parties queued together, e.g.
 * a merchant's tills, do not all come back at the same second). */
static int64_t backoff(int64_t attempts)
{
	int64_t d = ALS_RETRY_MIN_S;
	for (int64_t i = 1; i < attempts && d < ALS_RETRY_MAX_S; i++)
		d *= 2;
	if (d > ALS_RETRY_MAX_S)
		d = ALS_RETRY_MAX_S;
	return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1)) + (d & 1);
}

static void job_unlink(struct als_job *j)
{
	struct als *a = j->a;
	if (j->prev)
		j->prev->next = j->next;
	else if (a->jobs == j)
		a->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->prev = j->next = NULL;
}

static void fail_row(struct als *a, int64_t id, const char *party, const char *why)
{
	int rc = outbox_fail(a->ob, id, why);
	a->c.failed++;
	char q[300];
	if (rc < 0)
		LOGE(LC_SWITCH, "cannot record a registration failure", "outbox_id=%lld error=\"%s\"",
		     (long long)id, strerror(-rc));
	else
		LOGW(LC_SWITCH, "registration failed", "outbox_id=%lld party=%s reason=%s",
		     (long long)id, party, log_q(q, sizeof q, why));
}

static void retry_row(struct als *a, int64_t id, int64_t attempts, const char *party,
		      const char *why)
{
	int64_t at = now_s() + backoff(attempts);
	int rc = outbox_retry(a->ob, id, at, why);
	a->c.retried++;
	char q[300];
	if (rc < 0)
		LOGE(LC_SWITCH, "cannot record a registration retry", "outbox_id=%lld error=\"%s\"",
		     (long long)id, strerror(-rc));
	else
		LOGN(LC_SWITCH, "registration to be retried",
		     "outbox_id=%lld party=%s attempts=%lld next_at=%lld reason=%s", (long long)id,
		     party, (long long)attempts, (long long)at, log_q(q, sizeof q, why));
}

static void done_row(struct als *a, const struct als_job *j, const char *note)
{
	int rc = outbox_delivered(a->ob, j->id, note);
	a->c.delivered++;
	if (rc < 0)
		LOGE(LC_SWITCH, "cannot record a registration", "outbox_id=%lld error=\"%s\"",
		     (long long)j->id, strerror(-rc));
	else
		LOGI(LC_SWITCH, j->del ? "party deregistered" : "party registered",
		     "outbox_id=%lld party=%s attempts=%lld", (long long)j->id, j->party,
		     (long long)j->attempts);
}

static void drain(struct als *a);

static void on_result(void *arg, const struct switch_result *r)
{
	struct als_job *j = arg;
	struct als *a = j->a;
	char why[300];

	a->inflight--;
	job_unlink(j);
	switch (r->status) {
	case SWITCH_OK:
		done_row(a, j, NULL);
		break;
	case SWITCH_ERROR:
		snprintf(why, sizeof why, "%d %s", r->error.code, r->error.description);
		if (j->del && r->error.code == 3204)
			done_row(a, j, why); /* not registered: what a DELETE wants */
		else if (r->error.code >= 1000 && r->error.code < 3000)
			retry_row(a, j->id, j->attempts, j->party, why);
		else
			fail_row(a, j->id, j->party, why);
		break;
	case SWITCH_TIMEOUT:
	case SWITCH_DOWN:
		retry_row(a, j->id, j->attempts, j->party, r->detail);
		break;
	case SWITCH_INVALID:
		fail_row(a, j->id, j->party, r->detail);
		break;
	}
	free(j);
	if (!a->stopping)
		drain(a);
}

/* Splits a row's dest ("till/N" or "merchant/N") into the PartyIdType
 * (NULL: the configured merchant_party_type) and the id. Returns 0 or -1. */
static int party_of(const char *dest, const char **type, const char **id)
{
	if (strncmp(dest, "till/", 5) == 0) {
		*type = NULL;
		*id = dest + 5;
	} else if (strncmp(dest, "merchant/", 9) == 0) {
		*type = "BUSINESS";
		*id = dest + 9;
	} else {
		return -1;
	}
	return **id ? 0 : -1;
}

/* Claims due rows and sends them while there is room. */
static void drain(struct als *a)
{
	while (!a->stopping && a->inflight < ALS_MAX_INFLIGHT) {
		struct outbox_row row;
		int rc = outbox_claim_ordered(a->ob, "als", now_s(), &row);
		if (rc <= 0) {
			if (rc < 0)
				LOGE(LC_SWITCH, "cannot claim a registration", "error=\"%s\"",
				     strerror(-rc));
			return;
		}
		const char *type, *id;
		int del = strcmp(row.body, "DELETE") == 0;
		if (party_of(row.dest, &type, &id) < 0 || !row.dfsp[0] ||
		    (!del && strcmp(row.body, "POST") != 0)) {
			fail_row(a, row.id, row.dest, "not a registration row (dest, dfsp or method)");
			outbox_row_free(&row);
			continue;
		}
		struct als_job *j = calloc(1, sizeof *j);
		if (!j) {
			retry_row(a, row.id, row.attempts, row.dest, "out of memory");
			outbox_row_free(&row);
			return;
		}
		j->a = a, j->id = row.id, j->attempts = row.attempts, j->del = del;
		snprintf(j->party, sizeof j->party, "%s/%s",
			 type ? type : switch_party_type(a->sw), id);
		char err[200];
		rc = switch_participant(a->sw, del, row.dfsp, type, id, a->currency, on_result, j,
					err, sizeof err);
		if (rc < 0) {
			if (rc == -EINVAL)
				fail_row(a, row.id, j->party, err);
			else
				retry_row(a, row.id, row.attempts, j->party, err);
			free(j);
			outbox_row_free(&row);
			if (rc == -EINVAL)
				continue;
			return; /* busy or out of memory: the next poll */
		}
		j->next = a->jobs;
		if (a->jobs)
			a->jobs->prev = j;
		a->jobs = j;
		a->inflight++;
		a->c.sent++;
		LOGI(LC_SWITCH, "registration sent", "outbox_id=%lld method=%s party=%s dfsp=%s attempt=%lld",
		     (long long)row.id, del ? "DELETE" : "POST", j->party, row.dfsp,
		     (long long)row.attempts);
		outbox_row_free(&row);
	}
}

static void on_poll(struct ev *ev, uint64_t id, void *arg)
{
	struct als *a = arg;
	(void)id;
	a->timer = 0;
	if (a->stopping)
		return;
	drain(a);
	a->timer = ev_timer_add(ev, ALS_POLL_MS, on_poll, a);
}

int als_new(struct als **out, struct ev *ev, struct outbox *ob, struct switch_conn *sw,
	    const char *currency, char *err, size_t errlen)
{
	struct als *a;

	*out = NULL;
	if (!currency || strlen(currency) != 3) {
		snprintf(err, errlen, "currency: three letters expected");
		return -EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium initialisation failed");
		return -EIO;
	}
	if (!(a = calloc(1, sizeof *a))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->ev = ev, a->ob = ob, a->sw = sw;
	snprintf(a->currency, sizeof a->currency, "%s", currency);
	int64_t n = outbox_requeue(ob, "als", "in flight when the daemon stopped: sent again");
	if (n < 0) {
		snprintf(err, errlen, "outbox: %s", strerror((int)-n));
		free(a);
		return (int)n;
	}
	if (n > 0)
		LOGN(LC_SWITCH, "registrations left in flight by the last run to be sent again",
		     "count=%lld", (long long)n);
	a->timer = ev_timer_add(ev, 0, on_poll, a);
	if (!a->timer) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void als_free(struct als *a)
{
	if (!a)
		return;
	if (a->timer)
		ev_timer_del(a->ev, a->timer);
	while (a->jobs) {
		struct als_job *j = a->jobs;
		job_unlink(j);
		free(j);
	}
	free(a);
}

void als_kick(struct als *a)
{
	if (a && !a->stopping)
		drain(a);
}

void als_stop(struct als *a)
{
	if (!a)
		return;
	a->stopping = 1;
	if (a->timer) {
		ev_timer_del(a->ev, a->timer);
		a->timer = 0;
	}
}

unsigned als_inflight(const struct als *a)
{
	return a->inflight;
}

const struct als_counters *als_counters(const struct als *a)
{
	return &a->c;
}

void als_metrics(const struct als *a, FILE *f)
{
	if (!a)
		return;
	const struct {
		const char *name, *help;
		uint64_t v;
	} m[] = {
		{ "als_sent_total", "Registrations (POST or DELETE /participants) sent.", a->c.sent },
		{ "als_delivered_total", "Registrations the switch confirmed.", a->c.delivered },
		{ "als_failed_total", "Registrations refused for good.", a->c.failed },
		{ "als_retried_total", "Registrations put back for a retry.", a->c.retried },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		fprintf(f, "# HELP tillgate_%s %s\n# TYPE tillgate_%s counter\ntillgate_%s %llu\n",
			m[i].name, m[i].help, m[i].name, m[i].name, (unsigned long long)m[i].v);
	fprintf(f, "# HELP tillgate_als_inflight Registrations waiting for their callback.\n"
		   "# TYPE tillgate_als_inflight gauge\ntillgate_als_inflight %u\n",
		a->inflight);
}
