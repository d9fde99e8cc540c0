/* merchant.c -- the merchant registry on the database: create, get, list,
 * patch, status actions and tills, each change with its audit row in one
 * transaction. Contracts in merchant.h. */
#include "merchant/merchant.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gateway/audit.h"
#include "gateway/db.h"
#include "kyb/kyb_mcc.h"
#include "kyb/kyb_tier.h"
#include "merchant/merchant_pin.h"

#define RANDOM_TRIES 16 /* collisions tolerated before giving up (-EEXIST) */

/* The merchant's columns, as get, list and the audit JSON show them. */
#define MCOLS "merchant_id, dfsp, trading_name, legal_name, type, mcc, tier, status, " \
	"status_reason, created_by, submitted_by, checked_by, settlement_account, lei, tax_id, " \
	"registration_no, permit_no, contact_name, contact_phone, contact_email, created, updated, " \
	"version"
#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
/* An optional column of R_PATCH: cleared when its bit is in :clear, else
 * the new value if given. */
#define PATCH_OPT(col, bit) #col " = CASE WHEN :clear & " XSTR(bit) " THEN NULL " \
	"ELSE coalesce(:" #col ", " #col ") END, "
#define XSTR(x) STR(x)
#define STR(x) #x

enum {
	R_MERCHANT_INSERT,
	R_OWNER_INSERT,
	R_LOCATION_INSERT,
	R_TILL_INSERT,
	R_ALLOC_INIT,
	R_ALLOC_NEXT,
	R_STATE_GET,
	R_STATUS_SET,
	R_GET,
	R_OWNERS,
	R_LOCATIONS,
	R_TILLS,
	R_LIST,
	R_PATCH,
	R_DOC_INSERT,
	R_DOCS,
	R_DOC_GET,
	R_TIER_GET,
	R_TREQ_INSERT,
	R_TREQ_GET,
	R_TREQ_SET,
	R_TIER_SET,
	R_TILL_FIND,
	R_MAKERS,
	R_DOC_ROW,
	R_DOC_REVIEW,
	R_OWNER_ROW,
	R_OWNER_VERIFY,
	R_TILL_ROW,
	R_TILL_STATUS,
	R_OWNER_COUNT,
	R_OWNER_UPDATE,
	R_OWNER_DELETE,
	R_LOCATION_ROW,
	R_LOCATION_COUNT,
	R_LOCATION_UPDATE,
	R_LOCATION_TILLS,
	R_LOCATION_TILLS_DELETE,
	R_LOCATION_DELETE,
	R_AUDIT,
	R__COUNT
};

static const char *const reg_sql[R__COUNT] = {
	[R_MERCHANT_INSERT] = "INSERT INTO merchant (merchant_id, dfsp, trading_name, legal_name, type, "
		"mcc, tier, status, created_by, settlement_account, lei, tax_id, registration_no, "
		"permit_no, contact_name, contact_phone, contact_email) VALUES (:merchant_id, :dfsp, "
		":trading_name, :legal_name, :type, :mcc, :tier, :status, :created_by, "
		":settlement_account, :lei, :tax_id, :registration_no, :permit_no, :contact_name, "
		":contact_phone, :contact_email)",
	[R_OWNER_INSERT] = "INSERT INTO owner (dfsp, merchant_id, name, id_type, id_number, phone) "
		"VALUES (:dfsp, :merchant_id, :name, :id_type, :id_number, :phone)",
	[R_LOCATION_INSERT] = "INSERT INTO location (dfsp, merchant_id, name, city, address, lat, lon) "
		"VALUES (:dfsp, :merchant_id, :name, :city, :address, :lat, :lon)",
	[R_TILL_INSERT] = "INSERT INTO till (till_number, dfsp, merchant_id, location_id, label) "
		"VALUES (:till, :dfsp, :merchant_id, :location_id, :label)",
	[R_ALLOC_INIT] = "INSERT INTO id_alloc (kind, next_seq) VALUES (:kind, :start) "
		"ON CONFLICT (kind) DO NOTHING",
	[R_ALLOC_NEXT] = "UPDATE id_alloc SET next_seq = next_seq + 1, updated = " NOW
		" WHERE kind = :kind RETURNING next_seq - 1",
	[R_STATE_GET] = "SELECT status, submitted_by, status_reason, version FROM merchant "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id",
	[R_STATUS_SET] = "UPDATE merchant SET status = :status, status_reason = :reason, "
		"submitted_by = CASE WHEN :submit THEN :user ELSE submitted_by END, "
		"checked_by = CASE WHEN :review THEN :user ELSE checked_by END, "
		"updated = " NOW ", version = version + 1 "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND version = :version",
	[R_GET] = "SELECT " MCOLS " FROM merchant WHERE (dfsp = :dfsp OR :hub) "
		"AND merchant_id = :merchant_id",
	[R_OWNERS] = "SELECT id, name, id_type, id_number, id_verified, phone FROM owner "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id ORDER BY id",
	[R_LOCATIONS] = "SELECT id, name, city, address, lat, lon FROM location "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id ORDER BY id",
	[R_TILLS] = "SELECT till_number, location_id, label, status FROM till "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id ORDER BY location_id, till_number",
	/* One statement for every combination of filters: a NULL parameter
	 * switches its filter off. The planner then cannot always pick
	 * merchant_status or merchant_tier; fine at registry sizes, split
	 * the statement if a DFSP grows past ~10^5 merchants. */
	[R_LIST] = "SELECT " MCOLS " FROM merchant m WHERE (m.dfsp = :dfsp OR :hub) "
		"AND (:status IS NULL OR m.status = :status) "
		"AND (:tier IS NULL OR m.tier = :tier) "
		"AND (:after IS NULL OR m.merchant_id > :after) "
		"AND (:match IS NULL OR m.id IN "
		"(SELECT rowid FROM merchant_search WHERE merchant_search MATCH :match)) "
		"AND (:like IS NULL OR m.trading_name LIKE :like ESCAPE '\\' "
		"OR m.legal_name LIKE :like ESCAPE '\\') "
		"ORDER BY m.merchant_id LIMIT :limit",
	[R_PATCH] = "UPDATE merchant SET trading_name = coalesce(:trading_name, trading_name), "
		"type = coalesce(:type, type), mcc = coalesce(:mcc, mcc), "
		PATCH_OPT(legal_name, MERCHANT_CLEAR_LEGAL_NAME)
		PATCH_OPT(settlement_account, MERCHANT_CLEAR_SETTLEMENT_ACCOUNT)
		PATCH_OPT(contact_name, MERCHANT_CLEAR_CONTACT_NAME)
		PATCH_OPT(contact_phone, MERCHANT_CLEAR_CONTACT_PHONE)
		PATCH_OPT(contact_email, MERCHANT_CLEAR_CONTACT_EMAIL)
		PATCH_OPT(tax_id, MERCHANT_CLEAR_TAX_ID)
		PATCH_OPT(registration_no, MERCHANT_CLEAR_REGISTRATION_NO)
		PATCH_OPT(permit_no, MERCHANT_CLEAR_PERMIT_NO)
		PATCH_OPT(lei, MERCHANT_CLEAR_LEI)
		"updated = " NOW ", version = version + 1 "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND version = :version",
	[R_DOC_INSERT] = "INSERT INTO document (dfsp, merchant_id, type, content_type, sha256, size, "
		"path, uploaded_by) VALUES (:dfsp, :merchant_id, :type, :content_type, :sha256, :size, "
		":path, :uploaded_by)",
	[R_DOCS] = "SELECT id, type, content_type, sha256, size, uploaded_by, state, reviewed_by, "
		"review_reason, created FROM document WHERE dfsp = :dfsp AND merchant_id = :merchant_id "
		"ORDER BY id",
	[R_DOC_GET] = "SELECT path, content_type, size FROM document WHERE (dfsp = :dfsp OR :hub) "
		"AND merchant_id = :merchant_id AND id = :id",
	[R_TIER_GET] = "SELECT tier, status FROM merchant WHERE dfsp = :dfsp AND merchant_id = :merchant_id",
	[R_TREQ_INSERT] = "INSERT INTO tier_request (dfsp, merchant_id, from_tier, to_tier, requested_by) "
		"VALUES (:dfsp, :merchant_id, :from_tier, :to_tier, :requested_by)",
	[R_TREQ_GET] = "SELECT from_tier, to_tier, requested_by, status FROM tier_request "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND id = :id",
	[R_TREQ_SET] = "UPDATE tier_request SET status = :status, reviewed_by = :user, reason = :reason, "
		"updated = " NOW " WHERE dfsp = :dfsp AND id = :id AND status = 'PENDING'",
	[R_TIER_SET] = "UPDATE merchant SET tier = :tier, updated = " NOW ", version = version + 1 "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND tier = :from_tier",
	[R_TILL_FIND] = "SELECT merchant_id, status, location_id FROM till WHERE till_number = :till "
		"AND (dfsp = :dfsp OR :hub)",
	[R_MAKERS] = "SELECT status, created_by, submitted_by FROM merchant "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id",
	[R_DOC_ROW] = "SELECT id, type, content_type, sha256, size, uploaded_by, state, reviewed_by, "
		"review_reason, created FROM document WHERE dfsp = :dfsp AND merchant_id = :merchant_id "
		"AND id = :id",
	[R_DOC_REVIEW] = "UPDATE document SET state = :state, reviewed_by = :user, "
		"review_reason = :reason, updated = " NOW " WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id AND id = :id",
	[R_OWNER_ROW] = "SELECT id, name, id_type, id_number, id_verified, phone FROM owner "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND id = :id",
	[R_OWNER_VERIFY] = "UPDATE owner SET id_verified = :verified, updated = " NOW
		" WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND id = :id",
	[R_TILL_ROW] = "SELECT till_number, merchant_id, location_id, label, status FROM till "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND till_number = :till",
	[R_TILL_STATUS] = "UPDATE till SET status = :status, updated = " NOW " WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id AND till_number = :till AND status = :from",
	[R_OWNER_COUNT] = "SELECT count(*) FROM owner WHERE dfsp = :dfsp AND merchant_id = :merchant_id",
	[R_OWNER_UPDATE] = "UPDATE owner SET name = :name, id_type = :id_type, id_number = :id_number, "
		"phone = :phone, id_verified = CASE WHEN :reset THEN 0 ELSE id_verified END, "
		"updated = " NOW " WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND id = :id",
	[R_OWNER_DELETE] = "DELETE FROM owner WHERE dfsp = :dfsp AND merchant_id = :merchant_id "
		"AND id = :id",
	[R_LOCATION_ROW] = "SELECT id, name, city, address, lat, lon FROM location "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id AND id = :id",
	[R_LOCATION_COUNT] = "SELECT count(*) FROM location WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id",
	[R_LOCATION_UPDATE] = "UPDATE location SET name = :name, city = :city, address = :address, "
		"lat = :lat, lon = :lon, updated = " NOW " WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id AND id = :id",
	[R_LOCATION_TILLS] = "SELECT till_number, label, status FROM till WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id AND location_id = :id ORDER BY till_number",
	[R_LOCATION_TILLS_DELETE] = "DELETE FROM till WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id AND location_id = :id",
	[R_LOCATION_DELETE] = "DELETE FROM location WHERE dfsp = :dfsp "
		"AND merchant_id = :merchant_id AND id = :id",
	/* The merchant's own rows and its children's: every row whose JSON
	 * names the merchant (child rows carry merchant_id), and older rows
	 * without it that are about one of its present children. Rows about
	 * it cannot be older than its creation, which bounds the walk over
	 * audit_dfsp. */
	[R_AUDIT] = "SELECT id, ts, actor, role, action, entity, entity_id, before_json, after_json "
		"FROM audit a WHERE a.dfsp = :dfsp AND a.id >= (SELECT coalesce(min(id), 0) FROM audit "
		"WHERE entity = 'merchant' AND entity_id = :merchant_id AND dfsp = :dfsp) "
		"AND ((a.entity = 'merchant' AND a.entity_id = :merchant_id) "
		"OR json_extract(a.after_json, '$.merchant_id') IS :merchant_id "
		"OR json_extract(a.before_json, '$.merchant_id') IS :merchant_id "
		"OR (json_extract(a.after_json, '$.merchant_id') IS NULL "
		"AND json_extract(a.before_json, '$.merchant_id') IS NULL AND ("
		"(a.entity = 'owner' AND a.entity_id IN (SELECT CAST(id AS TEXT) FROM owner "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id)) "
		"OR (a.entity = 'location' AND a.entity_id IN (SELECT CAST(id AS TEXT) FROM location "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id)) "
		"OR (a.entity = 'till' AND a.entity_id IN (SELECT till_number FROM till "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id)) "
		"OR (a.entity = 'document' AND a.entity_id IN (SELECT CAST(id AS TEXT) FROM document "
		"WHERE dfsp = :dfsp AND merchant_id = :merchant_id)) "
		"OR (a.entity = 'tier_request' AND a.entity_id IN (SELECT CAST(id AS TEXT) "
		"FROM tier_request WHERE dfsp = :dfsp AND merchant_id = :merchant_id))))) "
		"AND a.id > :after ORDER BY a.id LIMIT :limit",
};

struct merchant_reg {
	struct db *db;
	sqlite3_stmt **st;
	struct merchant_reg_opts o;
	char *data_dir;
	char *country;
};

/* ---- small helpers ---- */

static char *dupstr(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

static int is_writer(const struct merchant_actor *a)
{
	return a->dfsp && (a->role == ROLE_MAKER || a->role == ROLE_DFSP_ADMIN);
}

/* Binds a list of (name, text) pairs ended by NULL; stops at the first
 * failure (the statement is then reset by db.c). */
static int bind_texts(sqlite3_stmt *st, ...)
{
	va_list ap;
	const char *name;
	int rc = 0;

	va_start(ap, st);
	while ((name = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		if ((rc = db_bind_text(st, name, v)) < 0)
			break;
	}
	va_end(ap);
	return rc;
}

static void errs_add(struct merchant_errs *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errs_add(struct merchant_errs *e, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e->n >= MERCHANT_ERRS_MAX) {
		e->dropped++;
		return;
	}
	struct merchant_field_err *x = &e->e[e->n++];
	snprintf(x->field, sizeof x->field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(x->message, sizeof x->message, fmt, ap);
	va_end(ap);
}

static int printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Required (req) or optional text of 1..max bytes. */
static void chk_len(struct merchant_errs *e, const char *field, const char *v, size_t max, int req)
{
	if (!v) {
		if (req)
			errs_add(e, field, "%s: required", field);
		return;
	}
	size_t n = strlen(v);
	if (n == 0 || n > max)
		errs_add(e, field, "%s: must be 1 to %zu characters", field, max);
}

static int in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(v, *list) == 0)
			return 1;
	return 0;
}

static const char *const merchant_types[] = { "individual", "small_shop", "chain", NULL };
static const char *const id_types[] = { "national_id", "passport", "driving_licence", "voter_id",
					"residence_permit", "other", NULL };

static void chk_phone(struct merchant_errs *e, const char *field, const char *v)
{
	struct kyb_check_bad bad;
	if (v && kyb_check_phone(field, v, &bad) < 0)
		errs_add(e, field, "%s", bad.msg);
}

static void chk_email(struct merchant_errs *e, const char *field, const char *v)
{
	if (!v)
		return;
	const char *at = strchr(v, '@');
	size_t n = strlen(v);
	if (n < 3 || n > 254 || !at || at == v || !at[1] || !printable_ascii(v))
		errs_add(e, field, "%s: expected an e-mail address", field);
}

/* The fields merchant_in and merchant_patch share. */
static void chk_common(const struct merchant_reg *reg, struct merchant_errs *e, const char *trading_name,
		       int req, const char *legal_name, const char *type, const char *mcc,
		       const char *settlement_account, const char *contact_name,
		       const char *contact_phone, const char *contact_email, const char *tax_id,
		       const char *registration_no, const char *permit_no, const char *lei)
{
	struct kyb_check_bad bad;

	if (trading_name || req) {
		if (kyb_check_trading_name("trading_name", trading_name ? trading_name : "", &bad) < 0)
			errs_add(e, "trading_name", "%s", bad.msg);
	}
	chk_len(e, "legal_name", legal_name, 140, 0);
	if (!type) {
		if (req)
			errs_add(e, "type", "type: required");
	} else if (!in_list(type, merchant_types)) {
		errs_add(e, "type", "type: expected individual, small_shop or chain");
	}
	if (mcc || req) {
		if (kyb_mcc_check(reg->o.mcc, "mcc", mcc ? mcc : "", &bad) < 0)
			errs_add(e, "mcc", "%s", bad.msg);
	}
	chk_len(e, "settlement_account", settlement_account, 64, 0);
	chk_len(e, "contact_name", contact_name, 140, 0);
	chk_phone(e, "contact_phone", contact_phone);
	chk_email(e, "contact_email", contact_email);
	if (tax_id && kyb_check_tax_id("tax_id", reg->country, tax_id, &bad) < 0)
		errs_add(e, "tax_id", "%s", bad.msg);
	chk_len(e, "registration_no", registration_no, 64, 0);
	chk_len(e, "permit_no", permit_no, 64, 0);
	if (lei && kyb_check_lei("lei", lei, &bad) < 0)
		errs_add(e, "lei", "%s", bad.msg);
}

static int tier_ok(const struct merchant_reg *reg, const char *tier)
{
	if (reg->o.tiers)
		return kyb_tiers_find(reg->o.tiers, KYB_PARTY_MERCHANT, tier) != NULL;
	return strlen(tier) == 2 && tier[0] == 'T' && tier[1] >= '0' && tier[1] <= '9';
}

/* One owner's fields, named prefix + field ("owners[0].name", "name"). */
static void chk_owner(const struct merchant_reg *reg, struct merchant_errs *e, const char *prefix,
		      const struct merchant_owner_in *o)
{
	char f[48];
	struct kyb_check_bad bad;

	snprintf(f, sizeof f, "%sname", prefix);
	chk_len(e, f, o->name, 140, 1);
	snprintf(f, sizeof f, "%sid_type", prefix);
	if (!o->id_type)
		errs_add(e, f, "%s: required", f);
	else if (!in_list(o->id_type, id_types))
		errs_add(e, f, "%s: expected national_id, passport, driving_licence, "
			 "voter_id, residence_permit or other", f);
	snprintf(f, sizeof f, "%sid_number", prefix);
	if (!o->id_number)
		errs_add(e, f, "%s: required", f);
	else if (o->id_type && strcmp(o->id_type, "national_id") == 0) {
		if (kyb_check_national_id(f, reg->country, o->id_number, &bad) < 0)
			errs_add(e, f, "%s", bad.msg);
	} else {
		chk_len(e, f, o->id_number, 64, 1);
	}
	snprintf(f, sizeof f, "%sphone", prefix);
	chk_phone(e, f, o->phone);
}

/* One location's fields, named prefix + field. */
static void chk_location(struct merchant_errs *e, const char *prefix,
			 const struct merchant_location_in *l)
{
	char f[64];

	snprintf(f, sizeof f, "%sname", prefix);
	chk_len(e, f, l->name, 64, 1);
	snprintf(f, sizeof f, "%scity", prefix);
	if (!l->city || !*l->city || strlen(l->city) > 15 || !printable_ascii(l->city))
		errs_add(e, f, "%s: must be 1 to 15 printable ASCII characters "
			 "(EMVCo merchant city)", f);
	snprintf(f, sizeof f, "%saddress", prefix);
	chk_len(e, f, l->address, 200, 0);
	if (l->has_coords) {
		if (!(l->lat >= -90 && l->lat <= 90)) {
			snprintf(f, sizeof f, "%slat", prefix);
			errs_add(e, f, "%s: must be between -90 and 90", f);
		}
		if (!(l->lon >= -180 && l->lon <= 180)) {
			snprintf(f, sizeof f, "%slon", prefix);
			errs_add(e, f, "%s: must be between -180 and 180", f);
		}
	}
}

int merchant_validate(const struct merchant_reg *reg, const struct merchant_in *in,
		      struct merchant_errs *e)
{
	char f[48];

	memset(e, 0, sizeof *e);
	chk_common(reg, e, in->trading_name, 1, in->legal_name, in->type, in->mcc,
		   in->settlement_account, in->contact_name, in->contact_phone, in->contact_email,
		   in->tax_id, in->registration_no, in->permit_no, in->lei);
	if (!in->tier)
		errs_add(e, "tier", "tier: required");
	else if (!tier_ok(reg, in->tier))
		errs_add(e, "tier", "tier: no merchant tier of that name");

	if (in->n_owners == 0 || !in->owners)
		errs_add(e, "owners", "owners: at least one owner is required");
	else if (in->n_owners > MERCHANT_OWNERS_MAX)
		errs_add(e, "owners", "owners: at most %d", MERCHANT_OWNERS_MAX);
	else
		for (size_t i = 0; i < in->n_owners; i++) {
			snprintf(f, sizeof f, "owners[%zu].", i);
			chk_owner(reg, e, f, &in->owners[i]);
		}

	if (in->n_locations == 0 || !in->locations)
		errs_add(e, "locations", "locations: at least one location is required");
	else if (in->n_locations > MERCHANT_LOCATIONS_MAX)
		errs_add(e, "locations", "locations: at most %d", MERCHANT_LOCATIONS_MAX);
	else
		for (size_t i = 0; i < in->n_locations; i++) {
			snprintf(f, sizeof f, "locations[%zu].", i);
			chk_location(e, f, &in->locations[i]);
		}
	return e->n || e->dropped ? -EINVAL : 0;
}

/* ---- ids ---- */

static uint64_t pow10u(int n)
{
	uint64_t p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

int merchant_id_valid(const char *s, int digits)
{
	if (!s || (int)strlen(s) != digits)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return kyb_luhn_ok(s);
}

/* Makes body digits (digits - 1 of them, first not 0) plus the check
 * digit into out. */
static void id_format(uint64_t body, int digits, char out[MERCHANT_ID_MAX])
{
	snprintf(out, MERCHANT_ID_MAX, "%0*llu", digits - 1, (unsigned long long)body);
	int d = kyb_luhn_digit(out);
	size_t n = strlen(out);
	out[n] = (char)('0' + d);
	out[n + 1] = '\0';
}

/* The next id of kind ("merchant", "till") with digits digits, inside
 * the caller's transaction. Sequential: the id_alloc counter starts at
 * 10^(digits-2), so that every id has its full length; -ENOSPC once it
 * passes 10^(digits-1). Random: uniform in that range (RAND_bytes; the
 * modulo bias is below 2^-40 for 12 digits); the caller retries a
 * collision. */
static int id_next(struct merchant_reg *reg, const char *kind, int digits, char out[MERCHANT_ID_MAX])
{
	uint64_t lo = pow10u(digits - 2), hi = pow10u(digits - 1);
	int rc;

	if (reg->o.id_scheme == MERCHANT_ID_RANDOM) {
		uint64_t r;
		if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
			return -EIO;
		id_format(lo + r % (hi - lo), digits, out);
		return 0;
	}
	sqlite3_stmt *st = reg->st[R_ALLOC_INIT];
	if ((rc = db_bind_text(st, ":kind", kind)) < 0 ||
	    (rc = db_bind_int64(st, ":start", (int64_t)lo)) < 0 || (rc = db_run(st)) < 0)
		return rc;
	st = reg->st[R_ALLOC_NEXT];
	if ((rc = db_bind_text(st, ":kind", kind)) < 0)
		return rc;
	rc = db_step(st);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -EIO;
	int64_t seq = sqlite3_column_int64(st, 0);
	db_reset(st);
	if (seq < (int64_t)lo)
		seq = (int64_t)lo; /* a start from a shorter configuration */
	if ((uint64_t)seq >= hi)
		return -ENOSPC;
	id_format((uint64_t)seq, digits, out);
	return 0;
}

/* ---- create ---- */

static int insert_till(struct merchant_reg *reg, const char *dfsp, const char *mid, int64_t loc,
		       const char *label, char till[MERCHANT_ID_MAX])
{
	int rc = -EEXIST;
	for (int tries = 0; rc == -EEXIST && tries < RANDOM_TRIES; tries++) {
		if ((rc = id_next(reg, "till", reg->o.till_digits, till)) < 0)
			return rc;
		sqlite3_stmt *st = reg->st[R_TILL_INSERT];
		if ((rc = bind_texts(st, ":till", till, ":dfsp", dfsp, ":merchant_id", mid,
				     ":label", label, (const char *)NULL)) < 0 ||
		    (rc = db_bind_int64(st, ":location_id", loc)) < 0)
			return rc;
		rc = db_run(st);
	}
	return rc;
}

/* The merchant's columns as a JSON object (NULL on -ENOENT or error;
 * *rc says which). hub: read across DFSPs. */
static json_t *row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			v = json_string((const char *)sqlite3_column_text(st, i));
		}
		if (!v || json_object_set_new(o, name, v) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int merchant_row(struct merchant_reg *reg, const char *dfsp, int hub, const char *mid,
			json_t **out)
{
	sqlite3_stmt *st = reg->st[R_GET];
	int rc;

	*out = NULL;
	if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":hub", hub)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	*out = row_json(st);
	db_reset(st);
	return *out ? 0 : -ENOMEM;
}

/* Audits with the merchant's row as after (and before, if given). */
static int audit_merchant(struct merchant_reg *reg, const char *actor, const char *role,
			  const char *dfsp, const char *action, const char *mid, json_t *before)
{
	json_t *after;
	int rc = merchant_row(reg, dfsp, 0, mid, &after);
	if (rc < 0)
		return rc;
	char *a = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(after);
	if (!a || (before && !b))
		rc = -ENOMEM;
	else
		rc = audit_append(reg->db, actor, role, dfsp, action, "merchant", mid, b, a);
	free(a);
	free(b);
	return rc;
}

static int create_tx(struct merchant_reg *reg, const char *dfsp, const char *user, const char *role,
		     const char *action, const char *status, const char *tier,
		     const struct merchant_in *in, char mid[MERCHANT_ID_MAX])
{
	int rc = -EEXIST;
	sqlite3_stmt *st;
	char till[MERCHANT_ID_MAX];

	for (int tries = 0; rc == -EEXIST && tries < RANDOM_TRIES; tries++) {
		if ((rc = id_next(reg, "merchant", reg->o.merchant_id_digits, mid)) < 0)
			return rc;
		st = reg->st[R_MERCHANT_INSERT];
		if ((rc = bind_texts(st, ":merchant_id", mid, ":dfsp", dfsp,
				     ":trading_name", in->trading_name, ":legal_name", in->legal_name,
				     ":type", in->type, ":mcc", in->mcc, ":tier", tier,
				     ":status", status, ":created_by", user,
				     ":settlement_account", in->settlement_account, ":lei", in->lei,
				     ":tax_id", in->tax_id, ":registration_no", in->registration_no,
				     ":permit_no", in->permit_no, ":contact_name", in->contact_name,
				     ":contact_phone", in->contact_phone,
				     ":contact_email", in->contact_email, (const char *)NULL)) < 0)
			return rc;
		rc = db_run(st);
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < in->n_owners; i++) {
		const struct merchant_owner_in *o = &in->owners[i];
		st = reg->st[R_OWNER_INSERT];
		if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, ":name", o->name,
				     ":id_type", o->id_type, ":id_number", o->id_number,
				     ":phone", o->phone, (const char *)NULL)) < 0 ||
		    (rc = db_run(st)) < 0)
			return rc;
	}
	for (size_t i = 0; i < in->n_locations; i++) {
		const struct merchant_location_in *l = &in->locations[i];
		st = reg->st[R_LOCATION_INSERT];
		if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, ":name", l->name,
				     ":city", l->city, ":address", l->address, (const char *)NULL)) < 0)
			return rc;
		if (l->has_coords) {
			if ((rc = db_bind_double(st, ":lat", l->lat)) < 0 ||
			    (rc = db_bind_double(st, ":lon", l->lon)) < 0)
				return rc;
		}
		if ((rc = db_run(st)) < 0)
			return rc;
		if ((rc = insert_till(reg, dfsp, mid, db_last_insert_id(reg->db), NULL, till)) < 0)
			return rc;
	}
	return audit_merchant(reg, user, role, dfsp, action, mid, NULL);
}

static int create_common(struct merchant_reg *reg, const char *dfsp, const char *user,
			 const char *role, const char *action, const char *status, const char *tier,
			 const struct merchant_in *in, char id_out[MERCHANT_ID_MAX],
			 struct merchant_errs *errs)
{
	char mid[MERCHANT_ID_MAX];
	int rc;

	if ((rc = merchant_validate(reg, in, errs)) < 0)
		return rc;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, create_tx(reg, dfsp, user, role, action, status, tier, in, mid));
	if (rc == 0)
		memcpy(id_out, mid, MERCHANT_ID_MAX);
	return rc;
}

int merchant_create(struct merchant_reg *reg, const struct merchant_actor *actor,
		    const struct merchant_in *in, char id_out[MERCHANT_ID_MAX], struct merchant_errs *errs)
{
	memset(errs, 0, sizeof *errs);
	if (!is_writer(actor))
		return -EACCES;
	return create_common(reg, actor->dfsp, actor->user, merchant_role_name(actor->role), "create",
			     "DRAFT", in->tier, in, id_out, errs);
}

int merchant_self_register(struct merchant_reg *reg, const char *dfsp, const char *user,
			   const struct merchant_in *in, char id_out[MERCHANT_ID_MAX],
			   struct merchant_errs *errs)
{
	const char *t0 = "T0";
	memset(errs, 0, sizeof *errs);
	if (reg->o.tiers) {
		const struct kyb_tier *t = kyb_tiers_at(reg->o.tiers, KYB_PARTY_MERCHANT, 0);
		if (t)
			t0 = t->name;
	}
	if (in->tier && strcmp(in->tier, t0) != 0) {
		errs_add(errs, "tier", "tier: self-registration starts at %s", t0);
		return -EINVAL;
	}
	struct merchant_in copy = *in;
	copy.tier = t0;
	return create_common(reg, dfsp, user, "merchant", "self_register", "APPROVED", t0, &copy,
			     id_out, errs);
}

/* ---- status actions ---- */

struct mstate {
	enum merchant_status status;
	char submitted_by[65];
	int has_submitter;
	json_t *before; /* {"status", "status_reason"} */
	int64_t version;
};

static int state_get(struct merchant_reg *reg, const char *dfsp, const char *mid, struct mstate *s)
{
	sqlite3_stmt *st = reg->st[R_STATE_GET];
	int rc;

	memset(s, 0, sizeof *s);
	if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	const char *status = (const char *)sqlite3_column_text(st, 0);
	const char *sub = (const char *)sqlite3_column_text(st, 1);
	const char *reason = (const char *)sqlite3_column_text(st, 2);
	int ps = merchant_status_parse(status ? status : "");
	s->status = ps < 0 ? MS_CLOSED : (enum merchant_status)ps;
	if (sub) {
		snprintf(s->submitted_by, sizeof s->submitted_by, "%s", sub);
		s->has_submitter = 1;
	}
	s->version = sqlite3_column_int64(st, 3);
	s->before = json_pack("{s:s?, s:s?}", "status", status, "status_reason", reason);
	db_reset(st);
	if (ps < 0 || !s->before) {
		json_decref(s->before);
		s->before = NULL;
		return ps < 0 ? -EIO : -ENOMEM;
	}
	return 0;
}

static int kyb_enforce(struct merchant_reg *reg, const char *dfsp, const char *mid,
		       const char *tier_name, struct merchant_errs *gaps, char *err, size_t errlen);

static int act_tx(struct merchant_reg *reg, const struct merchant_actor *actor, const char *mid,
		  enum merchant_action action, const char *reason, long long if_version, char *err,
		  size_t errlen, struct merchant_errs *gaps)
{
	struct mstate s;
	enum merchant_status to;
	int rc;

	if ((rc = state_get(reg, actor->dfsp, mid, &s)) < 0) {
		if (rc == -ENOENT)
			snprintf(err, errlen, "no merchant %s", mid);
		return rc;
	}
	if (if_version && s.version != if_version) {
		snprintf(err, errlen, "merchant %s is at version %lld, not %lld", mid,
			 (long long)s.version, if_version);
		rc = -ESTALE;
		goto out;
	}
	if (reason && !*reason)
		reason = NULL;
	rc = merchant_fsm_decide(s.status, action, actor, actor->dfsp,
				 s.has_submitter ? s.submitted_by : NULL, reason, &to, err, errlen);
	if (rc < 0)
		goto out;
	/* After the maker-checker rules, in the transaction that approves. */
	if (action == MA_APPROVE &&
	    (rc = kyb_enforce(reg, actor->dfsp, mid, NULL, gaps, err, errlen)) < 0)
		goto out;
	sqlite3_stmt *st = reg->st[R_STATUS_SET];
	int review = action == MA_APPROVE || action == MA_REJECT || action == MA_REVERT;
	if ((rc = bind_texts(st, ":status", merchant_status_name(to), ":reason", reason,
			     ":user", actor->user, ":dfsp", actor->dfsp, ":merchant_id", mid,
			     (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":submit", action == MA_SUBMIT)) < 0 ||
	    (rc = db_bind_int64(st, ":review", review)) < 0 ||
	    (rc = db_bind_int64(st, ":version", s.version)) < 0 || (rc = db_run(st)) < 0)
		goto out;
	if (db_changes(reg->db) != 1) {
		rc = -EIO; /* under the write lock the version cannot have moved */
		goto out;
	}
	json_t *after = json_pack("{s:s, s:s?}", "status", merchant_status_name(to), "status_reason",
				  reason);
	char *b = json_dumps(s.before, JSON_COMPACT | JSON_SORT_KEYS);
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(after);
	if (!a || !b)
		rc = -ENOMEM;
	else
		rc = audit_append(reg->db, actor->user, merchant_role_name(actor->role), actor->dfsp,
				  merchant_action_name(action), "merchant", mid, b, a);
	free(a);
	free(b);
out:
	json_decref(s.before);
	return rc;
}

int merchant_act(struct merchant_reg *reg, const struct merchant_actor *actor, const char *merchant_id,
		 enum merchant_action action, const char *reason, char *err, size_t errlen)
{
	return merchant_act_kyb(reg, actor, merchant_id, action, reason, err, errlen, NULL);
}

int merchant_act_kyb(struct merchant_reg *reg, const struct merchant_actor *actor,
		     const char *merchant_id, enum merchant_action action, const char *reason,
		     char *err, size_t errlen, struct merchant_errs *gaps)
{
	return merchant_act_if(reg, actor, merchant_id, action, reason, 0, err, errlen, gaps);
}

int merchant_act_if(struct merchant_reg *reg, const struct merchant_actor *actor,
		    const char *merchant_id, enum merchant_action action, const char *reason,
		    long long if_version, char *err, size_t errlen, struct merchant_errs *gaps)
{
	int rc;

	if (gaps)
		memset(gaps, 0, sizeof *gaps);

	if (!actor->dfsp) { /* hub-admin: may read, never change a merchant */
		snprintf(err, errlen, "%s may not change merchants", merchant_role_name(actor->role));
		return -EACCES;
	}
	/* Read and decide inside the write transaction, so that nobody
	 * changes the status between the decision and the update. */
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	return db_end(reg->db, act_tx(reg, actor, merchant_id, action, reason, if_version, err, errlen,
				      gaps));
}

/* ---- reads ---- */

/* Runs statement which of the merchant's rows (bound :dfsp and
 * :merchant_id) and appends each row as an object to arr; with_tills
 * gives each an empty "tills" array. Returns 0 or -errno. */
static int rows_into(struct merchant_reg *reg, int which, const char *dfsp, const char *mid,
		     json_t *arr, int with_tills)
{
	sqlite3_stmt *st = reg->st[which];
	int rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL);
	if (rc < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		json_t *o = row_json(st);
		int bad = !o;
		if (!bad && with_tills && json_object_set_new(o, "tills", json_array()) < 0) {
			json_decref(o);
			bad = 1;
		}
		/* json_array_append_new() drops o itself when it fails */
		if (bad || json_array_append_new(arr, o) < 0) {
			db_reset(st);
			return -ENOMEM;
		}
	}
	return rc;
}

static int children_json(struct merchant_reg *reg, const char *dfsp, const char *mid, json_t *m)
{
	json_t *owners = json_array(), *locs = json_array(), *docs = json_array();
	sqlite3_stmt *st;
	int rc = 0;

	if (!owners || !locs || !docs || json_object_set_new(m, "owners", owners) < 0 ||
	    json_object_set_new(m, "locations", locs) < 0 ||
	    json_object_set_new(m, "documents", docs) < 0)
		return -ENOMEM;
	if ((rc = rows_into(reg, R_OWNERS, dfsp, mid, owners, 0)) < 0 ||
	    (rc = rows_into(reg, R_LOCATIONS, dfsp, mid, locs, 1)) < 0 ||
	    (rc = rows_into(reg, R_DOCS, dfsp, mid, docs, 0)) < 0)
		return rc;
	/* Tills attach to their location: O(tills x locations), both small. */
	st = reg->st[R_TILLS];
	if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL)) < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		json_t *t = row_json(st);
		if (!t) {
			db_reset(st);
			return -ENOMEM;
		}
		json_int_t loc = json_integer_value(json_object_get(t, "location_id"));
		size_t i;
		json_t *l = NULL;
		json_array_foreach(locs, i, l)
			if (json_integer_value(json_object_get(l, "id")) == loc)
				break;
		if (i == json_array_size(locs) ||
		    json_array_append(json_object_get(l, "tills"), t) < 0)
			rc = -EIO;
		json_decref(t);
		if (rc < 0) {
			db_reset(st);
			return rc;
		}
	}
	return rc;
}

int merchant_get_json(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, json_t **out)
{
	int hub = actor->role == ROLE_HUB_ADMIN;
	json_t *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = db_begin_read(reg->db)) < 0)
		return rc;
	rc = merchant_row(reg, actor->dfsp, hub, merchant_id, &m);
	if (rc == 0) {
		/* A hub-admin reads the children under the merchant's own DFSP. */
		const char *dfsp = json_string_value(json_object_get(m, "dfsp"));
		rc = children_json(reg, dfsp, merchant_id, m);
		/* The USSD PIN's state, for the DFSP to see lock-outs. */
		struct mpin_status pin;
		if (rc == 0 && (rc = mpin_status(reg->db, dfsp, merchant_id, &pin)) == 0 &&
		    json_object_set_new(m, "ussd_pin", mpin_status_json(&pin)) < 0)
			rc = -ENOMEM;
	}
	db_rollback(reg->db); /* read only: ends the snapshot */
	if (rc < 0) {
		json_decref(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* ---- KYB requirements ---- */

/* The merchant's row with its owners, locations and documents (as
 * merchant_get_json()), inside the caller's transaction. */
static int kyb_load(struct merchant_reg *reg, const char *dfsp, int hub, const char *mid, json_t **out)
{
	json_t *m = NULL;
	int rc = merchant_row(reg, dfsp, hub, mid, &m);

	if (rc == 0)
		rc = children_json(reg, json_string_value(json_object_get(m, "dfsp")), mid, m);
	if (rc < 0) {
		json_decref(m);
		m = NULL;
	}
	*out = m;
	return rc;
}

static const char *jtext(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Order of "best" among a type's documents: VERIFIED > PENDING >
 * REJECTED > ABSENT (kyb_req.h). */
static int state_rank(enum kyb_req_state s)
{
	switch (s) {
	case KYB_REQ_VERIFIED:
		return 3;
	case KYB_REQ_PENDING:
		return 2;
	case KYB_REQ_REJECTED:
		return 1;
	default:
		return 0;
	}
}

/* Fills have from m (kyb_load()); strings borrowed from m. Mapping in
 * docs/registry.md "KYB requirements". */
static void kyb_have(const struct merchant_reg *reg, json_t *m, struct kyb_req_have *h,
		     struct kyb_req_owner ow[MERCHANT_OWNERS_MAX])
{
	static const struct {
		int id;
		const char *col;
		int proof; /* the document type whose verification verifies the value, or -1 */
	} cols[] = {
		{ KYB_MF_TRADING_NAME, "trading_name", -1 },
		{ KYB_MF_LEGAL_NAME, "legal_name", -1 },
		{ KYB_MF_MCC, "mcc", -1 },
		{ KYB_MF_PHONE, "contact_phone", -1 },
		{ KYB_MF_EMAIL, "contact_email", -1 },
		{ KYB_MF_PERMIT_NUMBER, "permit_no", KYB_DOC_TRADING_PERMIT },
		{ KYB_MF_TAX_ID, "tax_id", KYB_DOC_TAX_CERTIFICATE },
		{ KYB_MF_REGISTRATION_NUMBER, "registration_no", KYB_DOC_REGISTRATION_CERTIFICATE },
		{ KYB_MF_LEI, "lei", -1 },
		{ KYB_MF_SETTLEMENT_ACCOUNT, "settlement_account", -1 },
	};
	json_t *v;
	size_t i;

	memset(h, 0, sizeof *h);
	memset(ow, 0, MERCHANT_OWNERS_MAX * sizeof *ow);
	h->default_country = reg->country;

	json_array_foreach(json_object_get(m, "documents"), i, v) {
		const char *type = jtext(v, "type"), *state = jtext(v, "state");
		int id;
		for (id = 0; id < KYB_DOC__COUNT; id++)
			if (type && strcmp(type, kyb_tier_doc_name(id)) == 0)
				break;
		if (id == KYB_DOC__COUNT || !state)
			continue; /* a type no tier asks for */
		enum kyb_req_state s = strcmp(state, "VERIFIED") == 0   ? KYB_REQ_VERIFIED
				       : strcmp(state, "REJECTED") == 0 ? KYB_REQ_REJECTED
									: KYB_REQ_PENDING;
		if (state_rank(s) > state_rank(h->doc[id]))
			h->doc[id] = s;
	}

	for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
		struct kyb_req_value *x = &h->m[cols[c].id];
		x->value = jtext(m, cols[c].col);
		x->state = cols[c].proof >= 0 && h->doc[cols[c].proof] == KYB_REQ_VERIFIED
				   ? KYB_REQ_VERIFIED
				   : KYB_REQ_PENDING;
	}
	/* district and address: of the first location that has one. */
	json_array_foreach(json_object_get(m, "locations"), i, v) {
		if (!h->m[KYB_MF_DISTRICT].value)
			h->m[KYB_MF_DISTRICT].value = jtext(v, "city");
		if (!h->m[KYB_MF_ADDRESS].value)
			h->m[KYB_MF_ADDRESS].value = jtext(v, "address");
	}
	h->m[KYB_MF_DISTRICT].state = h->m[KYB_MF_ADDRESS].state = KYB_REQ_PENDING;

	json_array_foreach(json_object_get(m, "owners"), i, v) {
		if (i >= MERCHANT_OWNERS_MAX)
			break;
		struct kyb_req_owner *o = &ow[i];
		const char *type = jtext(v, "id_type");
		o->f[KYB_OF_NAME] = (struct kyb_req_value){ jtext(v, "name"), KYB_REQ_PENDING };
		o->f[KYB_OF_PHONE] = (struct kyb_req_value){ jtext(v, "phone"), KYB_REQ_PENDING };
		if (type && strcmp(type, "national_id") == 0)
			o->f[KYB_OF_NATIONAL_ID] = (struct kyb_req_value){
				jtext(v, "id_number"),
				json_integer_value(json_object_get(v, "id_verified")) ? KYB_REQ_VERIFIED
										       : KYB_REQ_PENDING
			};
		h->nowners = (int)i + 1;
	}
	h->owners = ow;
}

/* Resolves tier_name (NULL: current, "next", or a name) against m's tier,
 * writes its name to tier_out (if not NULL) and lists the gaps. */
static int kyb_eval(const struct merchant_reg *reg, json_t *m, const char *tier_name, char *tier_out,
		    struct kyb_req_gap *out, int cap)
{
	const char *cur = jtext(m, "tier");
	const struct kyb_tier *t = NULL;
	struct kyb_req_have h;
	struct kyb_req_owner ow[MERCHANT_OWNERS_MAX];
	int next = tier_name && strcmp(tier_name, "next") == 0;

	if (!cur)
		return -EIO;
	if (!reg->o.tiers) { /* no requirements anywhere */
		if (next || (tier_name && !tier_ok(reg, tier_name)))
			return -EINVAL;
		if (tier_out)
			snprintf(tier_out, KYB_TIER_NAME_MAX, "%s", tier_name ? tier_name : cur);
		return 0;
	}
	if (!tier_name || next) {
		t = kyb_tiers_find(reg->o.tiers, KYB_PARTY_MERCHANT, cur);
		if (t && next)
			t = kyb_tiers_next(reg->o.tiers, t);
	} else {
		t = kyb_tiers_find(reg->o.tiers, KYB_PARTY_MERCHANT, tier_name);
	}
	if (!t)
		return -EINVAL;
	if (tier_out)
		snprintf(tier_out, KYB_TIER_NAME_MAX, "%s", t->name);
	kyb_have(reg, m, &h, ow);
	return kyb_req_gaps(t, &h, reg->o.mcc, out, cap);
}

int merchant_kyb_gaps(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, const char *tier_name, char *tier_out,
		      struct kyb_req_gap *out, int cap)
{
	json_t *m = NULL;
	int rc;

	if (tier_out)
		tier_out[0] = '\0';
	if ((rc = db_begin_read(reg->db)) < 0)
		return rc;
	rc = kyb_load(reg, actor->dfsp, actor->role == ROLE_HUB_ADMIN, merchant_id, &m);
	if (rc == 0)
		rc = kyb_eval(reg, m, tier_name, tier_out, out, cap);
	db_rollback(reg->db); /* read only: ends the snapshot */
	json_decref(m);
	return rc;
}

/* Inside an approving transaction: 0 if the merchant meets tier_name
 * (NULL: its current tier), else -ENODATA with the gaps in gaps (may be
 * NULL) and a summary in err. */
static int kyb_enforce(struct merchant_reg *reg, const char *dfsp, const char *mid,
		       const char *tier_name, struct merchant_errs *gaps, char *err, size_t errlen)
{
	char tier[KYB_TIER_NAME_MAX] = "";
	json_t *m = NULL;
	struct kyb_req_gap *g = calloc(MERCHANT_KYB_GAPS_MAX, sizeof *g);
	int rc, n;

	if (!g)
		return -ENOMEM;
	if ((rc = kyb_load(reg, dfsp, 0, mid, &m)) < 0)
		goto out;
	n = rc = kyb_eval(reg, m, tier_name, tier, g, MERCHANT_KYB_GAPS_MAX);
	if (rc == -EINVAL) {
		snprintf(err, errlen, "tier %s is not in the tier table", tier_name ? tier_name :
					 jtext(m, "tier") ? jtext(m, "tier") : "?");
		rc = -EIO;
	}
	if (rc <= 0)
		goto out;
	for (int i = 0; gaps && i < n; i++)
		if (i < MERCHANT_KYB_GAPS_MAX)
			errs_add(gaps, g[i].item, "%s", g[i].msg);
		else
			gaps->dropped++;
	snprintf(err, errlen, "merchant %s does not meet the KYB requirements of tier %s: %d item%s "
		 "missing, invalid, rejected or not verified", mid, tier, n, n == 1 ? "" : "s");
	rc = -ENODATA;
out:
	json_decref(m);
	free(g);
	return rc;
}

/* Cursor: "m" + the last merchant id of the page. Opaque to clients;
 * the prefix leaves room for other orders later. */
static int cursor_parse(const char *c, const char **after)
{
	if (!c || !*c) {
		*after = NULL;
		return 0;
	}
	if (c[0] != 'm' || !c[1] || strlen(c + 1) >= MERCHANT_ID_MAX)
		return -EINVAL;
	for (const char *p = c + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	*after = c + 1;
	return 0;
}

int merchant_list(struct merchant_reg *reg, const struct merchant_actor *actor,
		  const struct merchant_filter *f, json_t **items, char next_cursor[MERCHANT_CURSOR_MAX])
{
	int limit = f->limit ? f->limit : MERCHANT_LIST_DEFAULT;
	const char *after;
	char *match = NULL, *like = NULL;
	sqlite3_stmt *st = reg->st[R_LIST];
	int rc;

	*items = NULL;
	next_cursor[0] = '\0';
	if (limit < 1 || limit > MERCHANT_LIST_MAX || cursor_parse(f->cursor, &after) < 0 ||
	    (f->status && merchant_status_parse(f->status) < 0) || (f->tier && !tier_ok(reg, f->tier)))
		return -EINVAL;
	if (f->text && *f->text) {
		size_t n = strlen(f->text);
		char *q = malloc(2 * n + 3);
		if (!q)
			return -ENOMEM;
		char *p = q;
		if (n >= 3) { /* FTS5 trigram phrase: "..." with " doubled */
			*p++ = '"';
			for (const char *s = f->text; *s; s++) {
				if (*s == '"')
					*p++ = '"';
				*p++ = *s;
			}
			*p++ = '"';
			match = q;
		} else { /* too short for trigrams: LIKE %text% with \ escapes */
			*p++ = '%';
			for (const char *s = f->text; *s; s++) {
				if (*s == '%' || *s == '_' || *s == '\\')
					*p++ = '\\';
				*p++ = *s;
			}
			*p++ = '%';
			like = q;
		}
		*p = '\0';
	}
	json_t *arr = json_array();
	if (!arr) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":status", f->status, ":tier", f->tier,
			     ":after", after, ":match", match, ":like", like, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":hub", actor->role == ROLE_HUB_ADMIN)) < 0 ||
	    (rc = db_bind_int64(st, ":limit", limit + 1)) < 0)
		goto out;
	int n = 0;
	while ((rc = db_step(st)) == 1) {
		if (n == limit) { /* one more exists: the page has a successor */
			json_t *last = json_array_get(arr, (size_t)n - 1);
			snprintf(next_cursor, MERCHANT_CURSOR_MAX, "m%s",
				 json_string_value(json_object_get(last, "merchant_id")));
			db_reset(st);
			rc = 0;
			break;
		}
		json_t *o = row_json(st);
		if (!o || json_array_append_new(arr, o) < 0) {
			db_reset(st);
			rc = -ENOMEM;
			break;
		}
		n++;
	}
out:
	free(match);
	free(like);
	if (rc < 0) {
		json_decref(arr);
		next_cursor[0] = '\0';
		return rc;
	}
	*items = arr;
	return 0;
}

/* ---- patch ---- */

static int patch_tx(struct merchant_reg *reg, const struct merchant_actor *actor, const char *mid,
		    const struct merchant_patch *p)
{
	struct mstate s;
	json_t *before = NULL;
	int rc;

	if ((rc = state_get(reg, actor->dfsp, mid, &s)) < 0)
		return rc;
	json_decref(s.before);
	if (p->if_version && s.version != p->if_version)
		return -ESTALE;
	if (!merchant_status_editable(s.status))
		return -EPERM;
	if ((rc = merchant_row(reg, actor->dfsp, 0, mid, &before)) < 0)
		return rc;
	sqlite3_stmt *st = reg->st[R_PATCH];
	if ((rc = bind_texts(st, ":trading_name", p->trading_name, ":legal_name", p->legal_name,
			     ":type", p->type, ":mcc", p->mcc,
			     ":settlement_account", p->settlement_account,
			     ":contact_name", p->contact_name, ":contact_phone", p->contact_phone,
			     ":contact_email", p->contact_email, ":tax_id", p->tax_id,
			     ":registration_no", p->registration_no, ":permit_no", p->permit_no,
			     ":lei", p->lei, ":dfsp", actor->dfsp, ":merchant_id", mid,
			     (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":clear", p->clear)) < 0 ||
	    (rc = db_bind_int64(st, ":version", s.version)) < 0 || (rc = db_run(st)) < 0)
		goto out;
	if (db_changes(reg->db) != 1) {
		rc = -EIO;
		goto out;
	}
	rc = audit_merchant(reg, actor->user, merchant_role_name(actor->role), actor->dfsp, "update",
			    mid, before);
out:
	json_decref(before);
	return rc;
}

int merchant_patch(struct merchant_reg *reg, const struct merchant_actor *actor, const char *merchant_id,
		   const struct merchant_patch *p, struct merchant_errs *errs)
{
	int rc;

	memset(errs, 0, sizeof *errs);
	if (!is_writer(actor))
		return -EACCES;
	chk_common(reg, errs, p->trading_name, 0, p->legal_name, p->type, p->mcc,
		   p->settlement_account, p->contact_name, p->contact_phone, p->contact_email,
		   p->tax_id, p->registration_no, p->permit_no, p->lei);
	if (errs->n)
		return -EINVAL;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	return db_end(reg->db, patch_tx(reg, actor, merchant_id, p));
}

/* ---- tills ---- */

static int till_tx(struct merchant_reg *reg, const struct merchant_actor *actor, const char *mid,
		   long long loc, const char *label, char till[MERCHANT_ID_MAX])
{
	struct mstate s;
	int rc;

	if ((rc = state_get(reg, actor->dfsp, mid, &s)) < 0)
		return rc;
	json_decref(s.before);
	if (s.status == MS_REJECTED || s.status == MS_CLOSED)
		return -EPERM;
	/* The foreign key (dfsp, merchant_id, location_id) refuses another
	 * merchant's or DFSP's location with -ENOENT. */
	if ((rc = insert_till(reg, actor->dfsp, mid, loc, label, till)) < 0)
		return rc;
	json_t *after = json_pack("{s:s, s:s, s:I, s:s?}", "till_number", till, "merchant_id", mid,
				  "location_id", (json_int_t)loc, "label", label);
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(after);
	rc = a ? audit_append(reg->db, actor->user, merchant_role_name(actor->role), actor->dfsp,
			      "till_add", "till", till, NULL, a)
	       : -ENOMEM;
	free(a);
	return rc;
}

int merchant_till_add(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, long long location_id, const char *label,
		      char till_out[MERCHANT_ID_MAX])
{
	char till[MERCHANT_ID_MAX];
	int rc;

	if (!is_writer(actor))
		return -EACCES;
	if (label && (!*label || strlen(label) > 64))
		return -EINVAL;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, till_tx(reg, actor, merchant_id, location_id, label, till));
	if (rc == 0)
		memcpy(till_out, till, MERCHANT_ID_MAX);
	return rc;
}

/* ---- documents ---- */

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Writes data to <data_dir>/documents/<sha256> unless that file exists
 * (content-addressed: same name, same bytes): a temporary file, fsync,
 * rename, fsync of the folder. */
static int doc_store(struct merchant_reg *reg, const char *sha, const void *data, size_t len)
{
	char d[4096], f[4200], tmp[4300];
	int fd, rc = 0;

	if ((size_t)snprintf(d, sizeof d, "%s/documents", reg->data_dir) >= sizeof d)
		return -ENAMETOOLONG;
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(f, sizeof f, "%s/%s", d, sha);
	if (access(f, F_OK) == 0)
		return 0;
	snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", d, sha);
	if ((fd = mkstemp(tmp)) < 0)
		return -errno;
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, f) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	if ((fd = open(d, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd); /* best effort: the rename itself is durable on ext4/xfs with this */
		close(fd);
	}
	return 0;
}

static int doc_type_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	if (n < 1 || n > 32)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_'))
			return 0;
	return 1;
}

static int doc_tx(struct merchant_reg *reg, const struct merchant_actor *actor, const char *mid,
		  const char *type, const char *content_type, size_t len, const char *sha,
		  long long *doc_id)
{
	struct mstate s;
	char path[128], eid[24];
	int rc;

	if ((rc = state_get(reg, actor->dfsp, mid, &s)) < 0)
		return rc;
	json_decref(s.before);
	if (s.status == MS_REJECTED || s.status == MS_CLOSED)
		return -EPERM;
	snprintf(path, sizeof path, "documents/%s", sha);
	sqlite3_stmt *st = reg->st[R_DOC_INSERT];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, ":type", type,
			     ":content_type", content_type, ":sha256", sha, ":path", path,
			     ":uploaded_by", actor->user, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":size", (int64_t)len)) < 0 || (rc = db_run(st)) < 0)
		return rc;
	int64_t id = db_last_insert_id(reg->db);
	snprintf(eid, sizeof eid, "%lld", (long long)id);
	/* Never the content: only what describes it. */
	json_t *after = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "merchant_id", mid, "type", type,
				  "content_type", content_type, "sha256", sha, "size", (json_int_t)len,
				  "state", "PENDING");
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(after);
	rc = a ? audit_append(reg->db, actor->user, merchant_role_name(actor->role), actor->dfsp,
			      "document_add", "document", eid, NULL, a)
	       : -ENOMEM;
	free(a);
	if (rc == 0)
		*doc_id = id;
	return rc;
}

int merchant_doc_add(struct merchant_reg *reg, const struct merchant_actor *actor,
		     const char *merchant_id, const char *type, const char *content_type,
		     const void *data, size_t len, long long *doc_id, char sha256_out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char sha[65];
	int rc;

	if (!is_writer(actor))
		return -EACCES;
	if (len > reg->o.max_document_bytes)
		return -EFBIG;
	if (!doc_type_ok(type) || !content_type || strlen(content_type) < 3 ||
	    strlen(content_type) > 127 || !printable_ascii(content_type) || (!data && len))
		return -EINVAL;
	if (EVP_Digest(len ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -EIO;
	hex(md, 32, sha);
	/* The file first, outside the write lock, then the row: a crash or
	 * a refusal in between leaves an unreferenced file (harmless: same
	 * name for the same bytes), never a row without its file. */
	if ((rc = doc_store(reg, sha, data, len)) < 0)
		return rc;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, doc_tx(reg, actor, merchant_id, type, content_type, len, sha, doc_id));
	if (rc == 0 && sha256_out)
		memcpy(sha256_out, sha, sizeof sha);
	return rc;
}

int merchant_doc_path(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, long long doc_id, char *path, size_t pathlen,
		      char content_type[128], long long *size)
{
	sqlite3_stmt *st = reg->st[R_DOC_GET];
	int rc;

	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", merchant_id,
			     (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":hub", actor->role == ROLE_HUB_ADMIN)) < 0 ||
	    (rc = db_bind_int64(st, ":id", doc_id)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	int n = snprintf(path, pathlen, "%s/%s", reg->data_dir, (const char *)sqlite3_column_text(st, 0));
	snprintf(content_type, 128, "%s", (const char *)sqlite3_column_text(st, 1));
	*size = sqlite3_column_int64(st, 2);
	db_reset(st);
	return n < 0 || (size_t)n >= pathlen ? -ENAMETOOLONG : 0;
}

int merchant_till_find(struct merchant_reg *reg, const struct merchant_actor *actor,
		       const char *till, char merchant_id[MERCHANT_ID_MAX], char status[16],
		       long long *location_id)
{
	sqlite3_stmt *st = reg->st[R_TILL_FIND];
	int rc;

	if ((rc = bind_texts(st, ":till", till, ":dfsp", actor->dfsp, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":hub", actor->role == ROLE_HUB_ADMIN)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	snprintf(merchant_id, MERCHANT_ID_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(status, 16, "%s", (const char *)sqlite3_column_text(st, 1));
	if (location_id)
		*location_id = sqlite3_column_int64(st, 2);
	db_reset(st);
	return 0;
}

/* ---- tier requests ---- */

static int treq_create_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *role, const char *mid, const char *to, long long *req_id)
{
	sqlite3_stmt *st = reg->st[R_TIER_GET];
	char from[KYB_TIER_NAME_MAX], eid[24];
	int rc;

	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 0));
	const char *status = (const char *)sqlite3_column_text(st, 1);
	int closed = status && (strcmp(status, "REJECTED") == 0 || strcmp(status, "CLOSED") == 0);
	db_reset(st);
	if (closed)
		return -EPERM;
	if (strcmp(from, to) == 0)
		return -EINVAL;
	st = reg->st[R_TREQ_INSERT];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, ":from_tier", from,
			     ":to_tier", to, ":requested_by", actor->user, (const char *)NULL)) < 0 ||
	    (rc = db_run(st)) < 0)
		return rc; /* -EEXIST: one is pending already */
	int64_t id = db_last_insert_id(reg->db);
	snprintf(eid, sizeof eid, "%lld", (long long)id);
	json_t *after = json_pack("{s:s, s:s, s:s, s:s}", "merchant_id", mid, "from_tier", from,
				  "to_tier", to, "status", "PENDING");
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(after);
	rc = a ? audit_append(reg->db, actor->user, role, actor->dfsp,
			      "tier_request", "tier_request", eid, NULL, a)
	       : -ENOMEM;
	free(a);
	if (rc == 0)
		*req_id = id;
	return rc;
}

int merchant_tier_request(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, const char *to_tier, long long *req_id)
{
	int rc;

	if (!is_writer(actor))
		return -EACCES;
	if (!to_tier || !tier_ok(reg, to_tier))
		return -EINVAL;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	return db_end(reg->db, treq_create_tx(reg, actor, merchant_role_name(actor->role), merchant_id,
					      to_tier, req_id));
}

int merchant_tier_request_self(struct merchant_reg *reg, const char *dfsp, const char *user,
			       const char *merchant_id, const char *to_tier, long long *req_id)
{
	/* The merchant's own request: audited with role "merchant". */
	const struct merchant_actor self = { user, dfsp, ROLE_MAKER };
	int rc;

	if (!to_tier || !tier_ok(reg, to_tier))
		return -EINVAL;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	return db_end(reg->db, treq_create_tx(reg, &self, "merchant", merchant_id, to_tier, req_id));
}

static int treq_review_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *mid, long long req_id, int approve, const char *reason,
			  char *err, size_t errlen, struct merchant_errs *gaps)
{
	sqlite3_stmt *st = reg->st[R_TREQ_GET];
	char from[KYB_TIER_NAME_MAX], to[KYB_TIER_NAME_MAX], by[65], eid[24];
	int rc, pending;

	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", req_id)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0) {
		snprintf(err, errlen, "no tier request %lld for merchant %s", req_id, mid);
		return rc == 0 ? -ENOENT : rc;
	}
	snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(to, sizeof to, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(by, sizeof by, "%s", (const char *)sqlite3_column_text(st, 2));
	pending = strcmp((const char *)sqlite3_column_text(st, 3), "PENDING") == 0;
	db_reset(st);
	if ((rc = merchant_fsm_checker(actor, actor->dfsp, by, err, errlen)) < 0)
		return rc;
	if (actor->role != ROLE_CHECKER && actor->role != ROLE_DFSP_ADMIN) {
		snprintf(err, errlen, "a %s may not review tier requests", merchant_role_name(actor->role));
		return -EACCES;
	}
	if (!pending) {
		snprintf(err, errlen, "tier request %lld is not pending", req_id);
		return -EPERM;
	}
	if (!approve && !reason) {
		snprintf(err, errlen, "rejecting a tier request needs a reason");
		return -EINVAL;
	}
	/* The new tier's requirements, in the transaction that applies it. */
	if (approve && (rc = kyb_enforce(reg, actor->dfsp, mid, to, gaps, err, errlen)) < 0)
		return rc;
	st = reg->st[R_TREQ_SET];
	if ((rc = bind_texts(st, ":status", approve ? "APPROVED" : "REJECTED", ":user", actor->user,
			     ":reason", reason, ":dfsp", actor->dfsp, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", req_id)) < 0 || (rc = db_run(st)) < 0)
		return rc;
	if (approve) {
		st = reg->st[R_TIER_SET];
		if ((rc = bind_texts(st, ":tier", to, ":dfsp", actor->dfsp, ":merchant_id", mid,
				     ":from_tier", from, (const char *)NULL)) < 0 ||
		    (rc = db_run(st)) < 0)
			return rc;
		if (db_changes(reg->db) != 1) {
			snprintf(err, errlen, "the merchant's tier is no longer %s", from);
			return -EPERM;
		}
	}
	snprintf(eid, sizeof eid, "%lld", req_id);
	json_t *before = json_pack("{s:s, s:s, s:s}", "merchant_id", mid, "status", "PENDING", "tier",
				   from);
	json_t *after = json_pack("{s:s, s:s, s:s, s:s?}", "merchant_id", mid, "status",
				  approve ? "APPROVED" : "REJECTED", "tier", approve ? to : from,
				  "reason", reason);
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(before);
	json_decref(after);
	rc = a && b ? audit_append(reg->db, actor->user, merchant_role_name(actor->role), actor->dfsp,
				   approve ? "tier_approve" : "tier_reject", "tier_request", eid, b, a)
		    : -ENOMEM;
	free(a);
	free(b);
	return rc;
}

int merchant_tier_review(struct merchant_reg *reg, const struct merchant_actor *actor,
			 const char *merchant_id, long long req_id, int approve, const char *reason,
			 char *err, size_t errlen)
{
	return merchant_tier_review_kyb(reg, actor, merchant_id, req_id, approve, reason, err, errlen,
					NULL);
}

int merchant_tier_review_kyb(struct merchant_reg *reg, const struct merchant_actor *actor,
			     const char *merchant_id, long long req_id, int approve,
			     const char *reason, char *err, size_t errlen, struct merchant_errs *gaps)
{
	int rc;

	if (gaps)
		memset(gaps, 0, sizeof *gaps);

	if (!actor->dfsp) {
		snprintf(err, errlen, "%s may not change merchants", merchant_role_name(actor->role));
		return -EACCES;
	}
	if (reason && !*reason)
		reason = NULL;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	return db_end(reg->db, treq_review_tx(reg, actor, merchant_id, req_id, approve, reason,
					      err, errlen, gaps));
}

/* ---- KYB reviews: documents and owner IDs ---- */

/* One row of R_DOC_ROW, R_OWNER_ROW or R_LOCATION_ROW as JSON (*out owned), inside the
 * caller's transaction. -ENOENT if there is none. */
static int review_row(struct merchant_reg *reg, int which, const char *dfsp, const char *mid,
		      long long id, json_t **out)
{
	sqlite3_stmt *st = reg->st[which];
	int rc;

	*out = NULL;
	if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", id)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -ENOENT : rc;
	*out = row_json(st);
	db_reset(st);
	return *out ? 0 : -ENOMEM;
}

/* The checks common to both reviews, in order: the merchant (-ENOENT),
 * the record (-ENOENT, *row set), the role (-EACCES), maker-checker
 * against maker1 and maker2 (the names of the record's makers; either
 * may be NULL), the merchant's status (-EPERM for REJECTED, CLOSED) and
 * the reason of a rejection (-EINVAL). */
static int review_check(struct merchant_reg *reg, const struct merchant_actor *actor,
			const char *mid, int which, long long id, int verify, const char *reason,
			const char *what, json_t **row, char *err, size_t errlen)
{
	sqlite3_stmt *st = reg->st[R_MAKERS];
	char created_by[65] = "", submitted_by[65] = "";
	int rc, status;

	*row = NULL;
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0) {
		snprintf(err, errlen, "no merchant %s", mid);
		return rc == 0 ? -ENOENT : rc;
	}
	status = merchant_status_parse((const char *)sqlite3_column_text(st, 0));
	snprintf(created_by, sizeof created_by, "%s", (const char *)sqlite3_column_text(st, 1));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		snprintf(submitted_by, sizeof submitted_by, "%s",
			 (const char *)sqlite3_column_text(st, 2));
	db_reset(st);
	if ((rc = review_row(reg, which, actor->dfsp, mid, id, row)) < 0) {
		if (rc == -ENOENT)
			snprintf(err, errlen, "no %s %lld for merchant %s", what, id, mid);
		return rc;
	}
	if (actor->role != ROLE_CHECKER && actor->role != ROLE_DFSP_ADMIN) {
		snprintf(err, errlen, "a %s may not review %ss", merchant_role_name(actor->role), what);
		return -EACCES;
	}
	if (which == R_DOC_ROW) {
		const char *up = json_string_value(json_object_get(*row, "uploaded_by"));
		if ((rc = merchant_fsm_checker(actor, actor->dfsp, up, err, errlen)) < 0)
			return rc;
	} else if ((rc = merchant_fsm_checker(actor, actor->dfsp, created_by, err, errlen)) < 0 ||
		   (rc = merchant_fsm_checker(actor, actor->dfsp, submitted_by[0] ? submitted_by : NULL,
					      err, errlen)) < 0) {
		return rc;
	}
	if (status < 0 || status == MS_REJECTED || status == MS_CLOSED) {
		snprintf(err, errlen, "cannot review a %s of a merchant that is %s", what,
			 status < 0 ? "?" : merchant_status_name((enum merchant_status)status));
		return -EPERM;
	}
	if (!verify && !reason) {
		snprintf(err, errlen, "rejecting a %s needs a reason", what);
		return -EINVAL;
	}
	if (reason && strlen(reason) > 500) {
		snprintf(err, errlen, "the reason is over 500 characters");
		return -EINVAL;
	}
	return 0;
}

/* Appends the audit row of a review: before and after as compact JSON. */
static int review_audit(struct merchant_reg *reg, const struct merchant_actor *actor,
			const char *action, const char *entity, long long id, json_t *before,
			json_t *after)
{
	char eid[24];
	char *b = before ? json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *a = after ? json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc;

	snprintf(eid, sizeof eid, "%lld", id);
	rc = a && b ? audit_append(reg->db, actor->user, merchant_role_name(actor->role), actor->dfsp,
				   action, entity, eid, b, a)
		    : -ENOMEM;
	free(a);
	free(b);
	return rc;
}

static int doc_review_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
			 const char *mid, long long doc_id, int verify, const char *reason,
			 char *err, size_t errlen, json_t **out)
{
	json_t *row = NULL, *before = NULL, *after = NULL;
	const char *state = verify ? "VERIFIED" : "REJECTED";
	int rc = review_check(reg, actor, mid, R_DOC_ROW, doc_id, verify, reason, "document", &row,
			      err, errlen);
	if (rc < 0)
		goto out;
	sqlite3_stmt *st = reg->st[R_DOC_REVIEW];
	if ((rc = bind_texts(st, ":state", state, ":user", actor->user, ":reason", reason,
			     ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", doc_id)) < 0 || (rc = db_run(st)) < 0)
		goto out;
	if (db_changes(reg->db) != 1) {
		rc = -EIO;
		goto out;
	}
	before = json_pack("{s:s, s:O, s:O, s:O}", "merchant_id", mid, "state",
			   json_object_get(row, "state"), "reviewed_by",
			   json_object_get(row, "reviewed_by"), "review_reason",
			   json_object_get(row, "review_reason"));
	after = json_pack("{s:s, s:s, s:s, s:s?}", "merchant_id", mid, "state", state, "reviewed_by",
			  actor->user, "review_reason", reason);
	if ((rc = review_audit(reg, actor, verify ? "document_verify" : "document_reject", "document",
			       doc_id, before, after)) < 0)
		goto out;
	if (out)
		rc = review_row(reg, R_DOC_ROW, actor->dfsp, mid, doc_id, out);
out:
	json_decref(row);
	json_decref(before);
	json_decref(after);
	return rc;
}

static int owner_review_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
			   const char *mid, long long owner_id, int verify, const char *reason,
			   char *err, size_t errlen, json_t **out)
{
	json_t *row = NULL, *before = NULL, *after = NULL;
	int rc = review_check(reg, actor, mid, R_OWNER_ROW, owner_id, verify, reason, "owner", &row,
			      err, errlen);
	if (rc < 0)
		goto out;
	sqlite3_stmt *st = reg->st[R_OWNER_VERIFY];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":verified", verify ? 1 : 0)) < 0 ||
	    (rc = db_bind_int64(st, ":id", owner_id)) < 0 || (rc = db_run(st)) < 0)
		goto out;
	if (db_changes(reg->db) != 1) {
		rc = -EIO;
		goto out;
	}
	/* The owner table keeps no reviewer or reason: the audit row does. */
	before = json_pack("{s:s, s:O}", "merchant_id", mid, "id_verified",
			   json_object_get(row, "id_verified"));
	after = json_pack("{s:s, s:i, s:s, s:s?}", "merchant_id", mid, "id_verified", verify ? 1 : 0,
			  "reviewed_by", actor->user, "reason", reason);
	if ((rc = review_audit(reg, actor, verify ? "owner_verify" : "owner_reject", "owner", owner_id,
			       before, after)) < 0)
		goto out;
	if (out)
		rc = review_row(reg, R_OWNER_ROW, actor->dfsp, mid, owner_id, out);
out:
	json_decref(row);
	json_decref(before);
	json_decref(after);
	return rc;
}

static int review_common(struct merchant_reg *reg, const struct merchant_actor *actor,
			 const char *mid, long long id, int verify, const char *reason, char *err,
			 size_t errlen, json_t **out, int owner)
{
	int rc;

	if (out)
		*out = NULL;
	if (!actor->dfsp) {
		snprintf(err, errlen, "%s may not change merchants", merchant_role_name(actor->role));
		return -EACCES;
	}
	if (reason && !*reason)
		reason = NULL;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, owner ? owner_review_tx(reg, actor, mid, id, verify, reason, err, errlen, out)
		   : doc_review_tx(reg, actor, mid, id, verify, reason, err, errlen, out));
	if (rc < 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int merchant_doc_review(struct merchant_reg *reg, const struct merchant_actor *actor,
			const char *merchant_id, long long doc_id, int verify, const char *reason,
			char *err, size_t errlen, json_t **out)
{
	return review_common(reg, actor, merchant_id, doc_id, verify, reason, err, errlen, out, 0);
}

int merchant_owner_verify(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, long long owner_id, int verify, const char *reason,
			  char *err, size_t errlen, json_t **out)
{
	return review_common(reg, actor, merchant_id, owner_id, verify, reason, err, errlen, out, 1);
}

/* ---- till status ---- */

/* The merchant's status (-ENOENT: none for dfsp), inside a transaction. */
static int mstatus(struct merchant_reg *reg, const char *dfsp, const char *mid,
		   enum merchant_status *out)
{
	struct mstate s;
	int rc = state_get(reg, dfsp, mid, &s);
	if (rc < 0)
		return rc;
	json_decref(s.before);
	*out = s.status;
	return 0;
}

/* Compact JSON of o (NULL: NULL) into *txt; -ENOMEM. */
static int dump(json_t *o, char **txt)
{
	*txt = NULL;
	if (!o)
		return 0;
	*txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	return *txt ? 0 : -ENOMEM;
}

static int audit_json(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *action, const char *entity, const char *eid, json_t *before,
		      json_t *after)
{
	char *b = NULL, *a = NULL;
	int rc;
	if ((rc = dump(before, &b)) < 0 || (rc = dump(after, &a)) < 0)
		rc = -ENOMEM;
	else
		rc = audit_append(reg->db, actor->user, merchant_role_name(actor->role), actor->dfsp,
				  action, entity, eid, b, a);
	free(a);
	free(b);
	return rc;
}

static int till_act_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
		       const char *mid, const char *till, const char *action, const char *reason,
		       char *err, size_t errlen, json_t **out)
{
	enum merchant_status ms;
	json_t *row = NULL, *before = NULL, *after = NULL;
	sqlite3_stmt *st = reg->st[R_TILL_ROW];
	char act[32];
	int rc;

	if ((rc = mstatus(reg, actor->dfsp, mid, &ms)) < 0 ||
	    (rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, ":till", till,
			     (const char *)NULL)) < 0) {
		if (rc == -ENOENT)
			snprintf(err, errlen, "no such merchant or till");
		return rc;
	}
	rc = db_step(st);
	if (rc <= 0) {
		snprintf(err, errlen, "no such merchant or till");
		return rc == 0 ? -ENOENT : rc;
	}
	row = row_json(st);
	db_reset(st);
	if (!row)
		return -ENOMEM;
	const char *from = json_string_value(json_object_get(row, "status"));
	const char *to = NULL;
	if (!from)
		from = "?";
	if (strcmp(action, "suspend") == 0 && strcmp(from, "ACTIVE") == 0)
		to = "SUSPENDED";
	else if (strcmp(action, "reactivate") == 0 && strcmp(from, "SUSPENDED") == 0 &&
		 ms != MS_REJECTED && ms != MS_CLOSED)
		to = "ACTIVE";
	else if (strcmp(action, "close") == 0 && strcmp(from, "CLOSED") != 0)
		to = "CLOSED";
	if (!to) {
		snprintf(err, errlen, "cannot %s a till that is %s (merchant %s)", action, from,
			 merchant_status_name(ms));
		rc = -EPERM;
		goto out;
	}
	st = reg->st[R_TILL_STATUS];
	if ((rc = bind_texts(st, ":status", to, ":from", from, ":dfsp", actor->dfsp,
			     ":merchant_id", mid, ":till", till, (const char *)NULL)) < 0 ||
	    (rc = db_run(st)) < 0)
		goto out;
	if (db_changes(reg->db) != 1) {
		rc = -EIO;
		goto out;
	}
	before = json_pack("{s:s, s:s}", "merchant_id", mid, "status", from);
	after = json_pack("{s:s, s:s, s:s?}", "merchant_id", mid, "status", to, "reason", reason);
	snprintf(act, sizeof act, "till_%s", action);
	if (!before || !after) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = audit_json(reg, actor, act, "till", till, before, after)) < 0)
		goto out;
	if (out) {
		json_object_set_new(row, "status", json_string(to));
		*out = row;
		row = NULL;
	}
out:
	json_decref(row);
	json_decref(before);
	json_decref(after);
	return rc;
}

int merchant_till_act(struct merchant_reg *reg, const struct merchant_actor *actor,
		      const char *merchant_id, const char *till, const char *action,
		      const char *reason, char *err, size_t errlen, json_t **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!actor->dfsp || (actor->role != ROLE_CHECKER && actor->role != ROLE_DFSP_ADMIN)) {
		snprintf(err, errlen, "a %s may not change tills", merchant_role_name(actor->role));
		return -EACCES;
	}
	if (!action || (strcmp(action, "suspend") != 0 && strcmp(action, "reactivate") != 0 &&
			strcmp(action, "close") != 0)) {
		snprintf(err, errlen, "no such till action");
		return -EINVAL;
	}
	if (reason && !*reason)
		reason = NULL;
	if (reason && strlen(reason) > 500) {
		snprintf(err, errlen, "the reason is over 500 characters");
		return -EINVAL;
	}
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, till_act_tx(reg, actor, merchant_id, till, action, reason, err, errlen,
					 out));
	if (rc < 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- owners ---- */

static int owner_count(struct merchant_reg *reg, const char *dfsp, const char *mid, int64_t *n)
{
	sqlite3_stmt *st = reg->st[R_OWNER_COUNT];
	int rc;
	if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL)) < 0)
		return rc;
	rc = db_step(st);
	if (rc <= 0)
		return rc == 0 ? -EIO : rc;
	*n = sqlite3_column_int64(st, 0);
	db_reset(st);
	return 0;
}

/* Adds merchant_id to an owner row's JSON (audit). */
static json_t *with_mid(json_t *row, const char *mid)
{
	json_t *o = row ? json_deep_copy(row) : NULL;
	if (o)
		json_object_set_new(o, "merchant_id", json_string(mid));
	return o;
}

enum owner_op { OWNER_ADD, OWNER_PATCH, OWNER_DELETE };

static int owner_tx(struct merchant_reg *reg, const struct merchant_actor *actor, const char *mid,
		    enum owner_op op, long long id, const struct merchant_owner_in *o, unsigned clear,
		    struct merchant_errs *errs, json_t **out)
{
	json_t *row = NULL, *b = NULL, *a = NULL, *now = NULL;
	char eid[24];
	int64_t n;
	int rc;

	enum merchant_status ms;
	if ((rc = mstatus(reg, actor->dfsp, mid, &ms)) < 0)
		return rc;
	if (op != OWNER_ADD && (rc = review_row(reg, R_OWNER_ROW, actor->dfsp, mid, id, &row)) < 0)
		return rc;
	if (!merchant_status_editable(ms)) {
		rc = -EPERM;
		goto out;
	}
	if ((rc = owner_count(reg, actor->dfsp, mid, &n)) < 0)
		goto out;
	if ((op == OWNER_ADD && n >= MERCHANT_OWNERS_MAX) || (op == OWNER_DELETE && n <= 1)) {
		rc = -EPERM;
		goto out;
	}
	if (op == OWNER_ADD) {
		chk_owner(reg, errs, "", o);
		if (errs->n) {
			rc = -EINVAL;
			goto out;
		}
		sqlite3_stmt *st = reg->st[R_OWNER_INSERT];
		if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, ":name", o->name,
				     ":id_type", o->id_type, ":id_number", o->id_number,
				     ":phone", o->phone, (const char *)NULL)) < 0 ||
		    (rc = db_run(st)) < 0)
			goto out;
		id = db_last_insert_id(reg->db);
	} else if (op == OWNER_PATCH) {
		struct merchant_owner_in m = {
			.name = o->name ? o->name : json_string_value(json_object_get(row, "name")),
			.id_type = o->id_type ? o->id_type
					      : json_string_value(json_object_get(row, "id_type")),
			.id_number = o->id_number ? o->id_number
						  : json_string_value(json_object_get(row, "id_number")),
			.phone = (clear & MERCHANT_OWNER_CLEAR_PHONE) ? NULL
				 : o->phone ? o->phone
					    : json_string_value(json_object_get(row, "phone")),
		};
		chk_owner(reg, errs, "", &m);
		if (errs->n) {
			rc = -EINVAL;
			goto out;
		}
		int reset = (o->name && strcmp(o->name, json_string_value(json_object_get(row, "name")))) ||
			    (o->id_type && strcmp(o->id_type, json_string_value(json_object_get(row, "id_type")))) ||
			    (o->id_number &&
			     strcmp(o->id_number, json_string_value(json_object_get(row, "id_number"))));
		sqlite3_stmt *st = reg->st[R_OWNER_UPDATE];
		if ((rc = bind_texts(st, ":name", m.name, ":id_type", m.id_type, ":id_number",
				     m.id_number, ":phone", m.phone, ":dfsp", actor->dfsp,
				     ":merchant_id", mid, (const char *)NULL)) < 0 ||
		    (rc = db_bind_int64(st, ":reset", reset)) < 0 ||
		    (rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_run(st)) < 0)
			goto out;
	} else {
		sqlite3_stmt *st = reg->st[R_OWNER_DELETE];
		if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid,
				     (const char *)NULL)) < 0 ||
		    (rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_run(st)) < 0)
			goto out;
	}
	if (op != OWNER_ADD && db_changes(reg->db) != 1) {
		rc = -EIO;
		goto out;
	}
	if (op != OWNER_DELETE && (rc = review_row(reg, R_OWNER_ROW, actor->dfsp, mid, id, &now)) < 0)
		goto out;
	b = row ? with_mid(row, mid) : NULL;
	a = now ? with_mid(now, mid) : NULL;
	if ((row && !b) || (now && !a)) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(eid, sizeof eid, "%lld", id);
	rc = audit_json(reg, actor,
			op == OWNER_ADD ? "owner_add" : op == OWNER_PATCH ? "owner_update" : "owner_delete",
			"owner", eid, b, a);
	if (rc == 0 && out) {
		*out = now;
		now = NULL;
	}
out:
	json_decref(row);
	json_decref(now);
	json_decref(b);
	json_decref(a);
	return rc;
}

static int owner_common(struct merchant_reg *reg, const struct merchant_actor *actor,
			const char *mid, enum owner_op op, long long id,
			const struct merchant_owner_in *o, unsigned clear, struct merchant_errs *errs,
			json_t **out)
{
	struct merchant_errs local;
	int rc;

	if (!errs)
		errs = &local;
	memset(errs, 0, sizeof *errs);
	if (out)
		*out = NULL;
	if (!is_writer(actor))
		return -EACCES;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, owner_tx(reg, actor, mid, op, id, o, clear, errs, out));
	if (rc < 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int merchant_owner_add(struct merchant_reg *reg, const struct merchant_actor *actor,
		       const char *merchant_id, const struct merchant_owner_in *o,
		       struct merchant_errs *errs, json_t **out)
{
	return owner_common(reg, actor, merchant_id, OWNER_ADD, 0, o, 0, errs, out);
}

int merchant_owner_patch(struct merchant_reg *reg, const struct merchant_actor *actor,
			 const char *merchant_id, long long owner_id,
			 const struct merchant_owner_in *o, struct merchant_errs *errs, json_t **out)
{
	return owner_common(reg, actor, merchant_id, OWNER_PATCH, owner_id, o, 0, errs, out);
}

int merchant_owner_patch_clear(struct merchant_reg *reg, const struct merchant_actor *actor,
			       const char *merchant_id, long long owner_id,
			       const struct merchant_owner_in *o, unsigned clear,
			       struct merchant_errs *errs, json_t **out)
{
	return owner_common(reg, actor, merchant_id, OWNER_PATCH, owner_id, o, clear, errs, out);
}

int merchant_owner_delete(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, long long owner_id)
{
	return owner_common(reg, actor, merchant_id, OWNER_DELETE, owner_id, NULL, 0, NULL, NULL);
}

/* ---- locations ---- */

static int bind_location(sqlite3_stmt *st, const struct merchant_location_in *l)
{
	int rc;
	if ((rc = bind_texts(st, ":name", l->name, ":city", l->city, ":address", l->address,
			     (const char *)NULL)) < 0)
		return rc;
	if (l->has_coords &&
	    ((rc = db_bind_double(st, ":lat", l->lat)) < 0 || (rc = db_bind_double(st, ":lon", l->lon)) < 0))
		return rc;
	return 0;
}

static int location_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
		       const char *mid, long long id, const struct merchant_location_in *l,
		       unsigned clear, struct merchant_errs *errs, json_t **out)
{
	json_t *row = NULL, *now = NULL, *b = NULL, *a = NULL;
	enum merchant_status ms;
	char till[MERCHANT_ID_MAX] = "", eid[24];
	sqlite3_stmt *st;
	int rc;

	if ((rc = mstatus(reg, actor->dfsp, mid, &ms)) < 0)
		return rc;
	if (id && (rc = review_row(reg, R_LOCATION_ROW, actor->dfsp, mid, id, &row)) < 0)
		return rc;
	if (!merchant_status_editable(ms)) {
		rc = -EPERM;
		goto out;
	}
	if (!id) {
		st = reg->st[R_LOCATION_COUNT];
		if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid,
				     (const char *)NULL)) < 0 || (rc = db_step(st)) < 0)
			goto out;
		int64_t n = rc ? sqlite3_column_int64(st, 0) : 0;
		db_reset(st);
		if (n >= MERCHANT_LOCATIONS_MAX) {
			rc = -EPERM;
			goto out;
		}
		chk_location(errs, "", l);
		if (errs->n) {
			rc = -EINVAL;
			goto out;
		}
		st = reg->st[R_LOCATION_INSERT];
		if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid,
				     (const char *)NULL)) < 0 ||
		    (rc = bind_location(st, l)) < 0 || (rc = db_run(st)) < 0)
			goto out;
		id = db_last_insert_id(reg->db);
		if ((rc = insert_till(reg, actor->dfsp, mid, id, NULL, till)) < 0)
			goto out;
	} else {
		json_t *lat = json_object_get(row, "lat"), *lon = json_object_get(row, "lon");
		struct merchant_location_in m = {
			.name = l->name ? l->name : json_string_value(json_object_get(row, "name")),
			.city = l->city ? l->city : json_string_value(json_object_get(row, "city")),
			.address = (clear & MERCHANT_LOCATION_CLEAR_ADDRESS) ? NULL
				   : l->address ? l->address
						: json_string_value(json_object_get(row, "address")),
			.has_coords = !(clear & MERCHANT_LOCATION_CLEAR_COORDS) &&
				      (l->has_coords || (json_is_number(lat) && json_is_number(lon))),
			.lat = l->has_coords ? l->lat : json_number_value(lat),
			.lon = l->has_coords ? l->lon : json_number_value(lon),
		};
		chk_location(errs, "", &m);
		if (errs->n) {
			rc = -EINVAL;
			goto out;
		}
		st = reg->st[R_LOCATION_UPDATE];
		if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid,
				     (const char *)NULL)) < 0 ||
		    (rc = bind_location(st, &m)) < 0 || (rc = db_bind_int64(st, ":id", id)) < 0 ||
		    (rc = db_run(st)) < 0)
			goto out;
		if (db_changes(reg->db) != 1) {
			rc = -EIO;
			goto out;
		}
	}
	if ((rc = review_row(reg, R_LOCATION_ROW, actor->dfsp, mid, id, &now)) < 0)
		goto out;
	b = row ? with_mid(row, mid) : NULL;
	a = with_mid(now, mid);
	if ((row && !b) || !a) {
		rc = -ENOMEM;
		goto out;
	}
	if (till[0])
		json_object_set_new(a, "till_number", json_string(till));
	snprintf(eid, sizeof eid, "%lld", id);
	rc = audit_json(reg, actor, row ? "location_update" : "location_add", "location", eid, b, a);
	if (rc == 0 && out) {
		if (till[0])
			json_object_set_new(now, "tills",
					    json_pack("[{s:s, s:I, s:n, s:s}]", "till_number", till,
						      "location_id", (json_int_t)id, "label", "status",
						      "ACTIVE"));
		*out = now;
		now = NULL;
	}
out:
	json_decref(row);
	json_decref(now);
	json_decref(b);
	json_decref(a);
	return rc;
}

static int location_common(struct merchant_reg *reg, const struct merchant_actor *actor,
			   const char *mid, long long id, const struct merchant_location_in *l,
			   unsigned clear, struct merchant_errs *errs, json_t **out)
{
	struct merchant_errs local;
	int rc;

	if (!errs)
		errs = &local;
	memset(errs, 0, sizeof *errs);
	if (out)
		*out = NULL;
	if (!is_writer(actor))
		return -EACCES;
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, location_tx(reg, actor, mid, id, l, clear, errs, out));
	if (rc < 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int merchant_location_add(struct merchant_reg *reg, const struct merchant_actor *actor,
			  const char *merchant_id, const struct merchant_location_in *l,
			  struct merchant_errs *errs, json_t **out)
{
	return location_common(reg, actor, merchant_id, 0, l, 0, errs, out);
}

int merchant_location_patch(struct merchant_reg *reg, const struct merchant_actor *actor,
			    const char *merchant_id, long long location_id,
			    const struct merchant_location_in *l, struct merchant_errs *errs,
			    json_t **out)
{
	return merchant_location_patch_clear(reg, actor, merchant_id, location_id, l, 0, errs, out);
}

int merchant_location_patch_clear(struct merchant_reg *reg, const struct merchant_actor *actor,
				  const char *merchant_id, long long location_id,
				  const struct merchant_location_in *l, unsigned clear,
				  struct merchant_errs *errs, json_t **out)
{
	if (location_id <= 0) {
		if (errs)
			memset(errs, 0, sizeof *errs);
		if (out)
			*out = NULL;
		return is_writer(actor) ? -ENOENT : -EACCES;
	}
	return location_common(reg, actor, merchant_id, location_id, l, clear, errs, out);
}

static int location_delete_tx(struct merchant_reg *reg, const struct merchant_actor *actor,
			      const char *mid, long long id, char *err, size_t errlen, json_t **out)
{
	json_t *row = NULL, *tills = NULL, *numbers = NULL, *b = NULL;
	enum merchant_status ms;
	char eid[24];
	int64_t n;
	sqlite3_stmt *st;
	int rc;

	if ((rc = mstatus(reg, actor->dfsp, mid, &ms)) < 0 ||
	    (rc = review_row(reg, R_LOCATION_ROW, actor->dfsp, mid, id, &row)) < 0) {
		if (rc == -ENOENT)
			snprintf(err, errlen, "no such merchant or location");
		return rc;
	}
	if (!merchant_status_editable(ms)) {
		snprintf(err, errlen, "the merchant is %s: locations change only while it is DRAFT "
			 "or REVERTED (close an approved merchant's tills instead)",
			 merchant_status_name(ms));
		rc = -EPERM;
		goto out;
	}
	st = reg->st[R_LOCATION_COUNT];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_step(st)) < 0)
		goto out;
	n = rc ? sqlite3_column_int64(st, 0) : 0;
	db_reset(st);
	if (n <= 1) {
		snprintf(err, errlen, "location %lld is the merchant's last location", id);
		rc = -EPERM;
		goto out;
	}
	tills = json_array();
	numbers = json_array();
	if (!tills || !numbers) {
		rc = -ENOMEM;
		goto out;
	}
	st = reg->st[R_LOCATION_TILLS];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", id)) < 0)
		goto out;
	while ((rc = db_step(st)) == 1) {
		json_t *t = row_json(st);
		if (!t || json_array_append_new(tills, t) < 0 ||
		    json_array_append_new(numbers,
					  json_string(json_string_value(json_object_get(t, "till_number")))) < 0) {
			db_reset(st);
			rc = -ENOMEM;
			goto out;
		}
	}
	if (rc < 0)
		goto out;
	size_t i;
	json_t *t;
	json_array_foreach(tills, i, t) {
		json_t *tb = json_pack("{s:s, s:I, s:O, s:O}", "merchant_id", mid, "location_id",
				       (json_int_t)id, "label", json_object_get(t, "label"), "status",
				       json_object_get(t, "status"));
		rc = tb ? audit_json(reg, actor, "till_delete", "till",
				     json_string_value(json_object_get(t, "till_number")), tb, NULL)
			: -ENOMEM;
		json_decref(tb);
		if (rc < 0)
			goto out;
	}
	st = reg->st[R_LOCATION_TILLS_DELETE];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_run(st)) < 0)
		goto out;
	st = reg->st[R_LOCATION_DELETE];
	if ((rc = bind_texts(st, ":dfsp", actor->dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":id", id)) < 0 || (rc = db_run(st)) < 0)
		goto out;
	if (db_changes(reg->db) != 1) {
		rc = -EIO;
		goto out;
	}
	if (!(b = with_mid(row, mid)) || json_object_set(b, "tills", tills) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(eid, sizeof eid, "%lld", id);
	if ((rc = audit_json(reg, actor, "location_delete", "location", eid, b, NULL)) < 0)
		goto out;
	if (out && !(*out = json_pack("{s:I, s:b, s:O}", "id", (json_int_t)id, "deleted", 1,
				      "tills_deleted", numbers)))
		rc = -ENOMEM;
out:
	json_decref(row);
	json_decref(tills);
	json_decref(numbers);
	json_decref(b);
	return rc;
}

int merchant_location_delete(struct merchant_reg *reg, const struct merchant_actor *actor,
			     const char *merchant_id, long long location_id, char *err,
			     size_t errlen, json_t **out)
{
	int rc;

	if (out)
		*out = NULL;
	if (!is_writer(actor)) {
		snprintf(err, errlen, "a %s may not change locations", merchant_role_name(actor->role));
		return -EACCES;
	}
	if (location_id <= 0) {
		snprintf(err, errlen, "no such merchant or location");
		return -ENOENT;
	}
	if ((rc = db_begin(reg->db)) < 0)
		return rc;
	rc = db_end(reg->db, location_delete_tx(reg, actor, merchant_id, location_id, err, errlen,
						out));
	if (rc < 0 && out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- audit view ---- */

static int audit_rows(struct merchant_reg *reg, const char *dfsp, const char *mid,
		      long long after, int limit, json_t *items, long long *last)
{
	sqlite3_stmt *st = reg->st[R_AUDIT];
	int rc, n = 0;

	if ((rc = bind_texts(st, ":dfsp", dfsp, ":merchant_id", mid, (const char *)NULL)) < 0 ||
	    (rc = db_bind_int64(st, ":after", after)) < 0 ||
	    (rc = db_bind_int64(st, ":limit", limit)) < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		int64_t id = sqlite3_column_int64(st, 0);
		json_t *row = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)id,
					"ts", (const char *)sqlite3_column_text(st, 1),
					"actor", (const char *)sqlite3_column_text(st, 2),
					"role", (const char *)sqlite3_column_text(st, 3),
					"action", (const char *)sqlite3_column_text(st, 4),
					"entity", (const char *)sqlite3_column_text(st, 5),
					"entity_id", (const char *)sqlite3_column_text(st, 6));
		for (int c = 7; row && c <= 8; c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);
			json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
			json_object_set_new(row, c == 7 ? "before" : "after", v ? v : json_null());
		}
		if (!row || json_array_append_new(items, row) < 0) {
			db_reset(st);
			return -ENOMEM;
		}
		*last = id;
		n++;
	}
	if (rc < 0)
		return rc;
	if (n < limit)
		*last = 0;
	return 0;
}

int merchant_audit(struct merchant_reg *reg, const struct merchant_actor *actor,
		   const char *merchant_id, long long after, int limit, json_t **items,
		   long long *next)
{
	json_t *m = NULL, *arr;
	long long last = 0;
	int rc;

	*items = NULL;
	if (next)
		*next = 0;
	if (limit < 1 || limit > MERCHANT_AUDIT_MAX || after < 0)
		return -EINVAL;
	if (!(arr = json_array()))
		return -ENOMEM;
	if ((rc = db_begin_read(reg->db)) < 0) {
		json_decref(arr);
		return rc;
	}
	rc = merchant_row(reg, actor->dfsp, actor->role == ROLE_HUB_ADMIN, merchant_id, &m);
	if (rc == 0) /* a hub-admin reads under the merchant's own DFSP */
		rc = audit_rows(reg, json_string_value(json_object_get(m, "dfsp")), merchant_id, after,
				limit, arr, &last);
	db_rollback(reg->db); /* read only: ends the snapshot */
	json_decref(m);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*items = arr;
	if (next)
		*next = last;
	return 0;
}

/* ---- life cycle ---- */

int merchant_reg_new(struct merchant_reg **out, struct db *db, const struct merchant_reg_opts *opts,
		     char *err, size_t errlen)
{
	struct merchant_reg *reg = NULL;
	int rc;

	*out = NULL;
	if (!db || !opts || opts->merchant_id_digits < 6 || opts->merchant_id_digits > 12 ||
	    opts->till_digits < 5 || opts->till_digits > 12 ||
	    (opts->id_scheme != MERCHANT_ID_SEQUENTIAL && opts->id_scheme != MERCHANT_ID_RANDOM)) {
		snprintf(err, errlen, "merchant registry: bad options (digits or id scheme)");
		return -EINVAL;
	}
	reg = calloc(1, sizeof *reg);
	if (!reg)
		goto nomem;
	reg->db = db;
	reg->o = *opts;
	reg->data_dir = dupstr(opts->data_dir ? opts->data_dir : ".");
	reg->country = dupstr(opts->country);
	if (!reg->data_dir || (opts->country && !reg->country))
		goto nomem;
	reg->o.data_dir = reg->data_dir;
	reg->o.country = reg->country;
	if (!reg->o.max_document_bytes)
		reg->o.max_document_bytes = 5242880;
	if ((rc = db_prepare_table(db, reg_sql, R__COUNT, &reg->st, err, errlen)) < 0) {
		merchant_reg_free(reg);
		return rc;
	}
	*out = reg;
	return 0;
nomem:
	merchant_reg_free(reg);
	snprintf(err, errlen, "merchant registry: out of memory");
	return -ENOMEM;
}

void merchant_reg_free(struct merchant_reg *reg)
{
	if (!reg)
		return;
	free(reg->data_dir);
	free(reg->country);
	free(reg);
}
