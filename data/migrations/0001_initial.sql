-- 0001_initial.sql -- schema version 1: the first Tillgate schema (DFSPs, API
-- keys, the merchant registry, KYB documents and tier requests, idempotency
-- records, id allocation and the audit chain), from an empty database.
--
-- A migration is never edited once released: a change is a new file. The
-- statements here are those of data/schema.sql at version 1; comments are
-- in data/schema.sql.

CREATE TABLE dfsp (
	fsp_id TEXT PRIMARY KEY NOT NULL
		CHECK (length(fsp_id) BETWEEN 1 AND 32 AND fsp_id NOT GLOB '*[^A-Za-z0-9._-]*'),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
	status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE api_key (
	key_id TEXT PRIMARY KEY NOT NULL
		CHECK (length(key_id) BETWEEN 8 AND 40 AND key_id NOT GLOB '*[^A-Za-z0-9_]*'),
	secret_sha256 TEXT NOT NULL
		CHECK (length(secret_sha256) = 64 AND secret_sha256 NOT GLOB '*[^0-9a-f]*'),
	dfsp TEXT REFERENCES dfsp (fsp_id),
	role TEXT NOT NULL
		CHECK (role IN ('hub-admin', 'dfsp-admin', 'maker', 'checker', 'auditor')),
	user_name TEXT NOT NULL CHECK (length(user_name) BETWEEN 1 AND 64),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	revoked TEXT,
	CHECK ((role = 'hub-admin') = (dfsp IS NULL))
) STRICT;
CREATE INDEX api_key_dfsp ON api_key (dfsp, role);

CREATE TABLE merchant (
	id INTEGER PRIMARY KEY,
	merchant_id TEXT NOT NULL UNIQUE
		CHECK (length(merchant_id) BETWEEN 4 AND 19 AND merchant_id NOT GLOB '*[^0-9]*'),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	trading_name TEXT NOT NULL CHECK (length(trading_name) BETWEEN 1 AND 25),
	legal_name TEXT CHECK (length(legal_name) BETWEEN 1 AND 140),
	type TEXT NOT NULL CHECK (type IN ('individual', 'small_shop', 'chain')),
	mcc TEXT NOT NULL CHECK (length(mcc) = 4 AND mcc NOT GLOB '*[^0-9]*'),
	tier TEXT NOT NULL CHECK (tier GLOB 'T[0-9]'),
	status TEXT NOT NULL DEFAULT 'DRAFT' CHECK (status IN
		('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED', 'REVERTED', 'SUSPENDED', 'CLOSED')),
	status_reason TEXT CHECK (length(status_reason) BETWEEN 1 AND 500),
	created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
	submitted_by TEXT CHECK (length(submitted_by) BETWEEN 1 AND 64),
	checked_by TEXT CHECK (length(checked_by) BETWEEN 1 AND 64),
	settlement_account TEXT CHECK (length(settlement_account) BETWEEN 1 AND 64),
	lei TEXT CHECK (length(lei) = 20 AND lei NOT GLOB '*[^0-9A-Z]*'),
	tax_id TEXT CHECK (length(tax_id) BETWEEN 1 AND 32),
	registration_no TEXT CHECK (length(registration_no) BETWEEN 1 AND 64),
	permit_no TEXT CHECK (length(permit_no) BETWEEN 1 AND 64),
	contact_name TEXT CHECK (length(contact_name) BETWEEN 1 AND 140),
	contact_phone TEXT CHECK (length(contact_phone) BETWEEN 4 AND 16
		AND contact_phone GLOB '+[1-9]*' AND substr(contact_phone, 2) NOT GLOB '*[^0-9]*'),
	contact_email TEXT CHECK (length(contact_email) BETWEEN 3 AND 254 AND contact_email GLOB '?*@?*'),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	UNIQUE (dfsp, merchant_id),
	CHECK (status NOT IN ('REJECTED', 'REVERTED', 'SUSPENDED') OR status_reason IS NOT NULL)
) STRICT;
CREATE INDEX merchant_status ON merchant (dfsp, status, merchant_id);
CREATE INDEX merchant_tier ON merchant (dfsp, tier, merchant_id);

CREATE TABLE owner (
	id INTEGER PRIMARY KEY,
	dfsp TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 140),
	id_type TEXT NOT NULL CHECK (id_type IN
		('national_id', 'passport', 'driving_licence', 'voter_id', 'residence_permit', 'other')),
	id_number TEXT NOT NULL CHECK (length(id_number) BETWEEN 1 AND 64),
	id_verified INTEGER NOT NULL DEFAULT 0 CHECK (id_verified IN (0, 1)),
	phone TEXT CHECK (length(phone) BETWEEN 4 AND 16
		AND phone GLOB '+[1-9]*' AND substr(phone, 2) NOT GLOB '*[^0-9]*'),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
CREATE INDEX owner_merchant ON owner (dfsp, merchant_id);

CREATE TABLE location (
	id INTEGER PRIMARY KEY,
	dfsp TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	city TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 15),
	address TEXT CHECK (length(address) BETWEEN 1 AND 200),
	lat REAL CHECK (lat BETWEEN -90 AND 90),
	lon REAL CHECK (lon BETWEEN -180 AND 180),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK ((lat IS NULL) = (lon IS NULL)),
	UNIQUE (dfsp, merchant_id, id),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;

CREATE TABLE till (
	till_number TEXT PRIMARY KEY NOT NULL
		CHECK (length(till_number) BETWEEN 4 AND 19 AND till_number NOT GLOB '*[^0-9]*'),
	dfsp TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	location_id INTEGER NOT NULL,
	label TEXT CHECK (length(label) BETWEEN 1 AND 64),
	status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	FOREIGN KEY (dfsp, merchant_id, location_id) REFERENCES location (dfsp, merchant_id, id)
) STRICT;
CREATE INDEX till_location ON till (dfsp, merchant_id, location_id);

CREATE TABLE document (
	id INTEGER PRIMARY KEY,
	dfsp TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 32 AND type NOT GLOB '*[^a-z0-9_]*'),
	content_type TEXT NOT NULL CHECK (length(content_type) BETWEEN 3 AND 127),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	size INTEGER NOT NULL CHECK (size >= 0),
	path TEXT NOT NULL
		CHECK (length(path) BETWEEN 1 AND 255 AND path NOT GLOB '/*' AND path NOT GLOB '*..*'),
	uploaded_by TEXT NOT NULL CHECK (length(uploaded_by) BETWEEN 1 AND 64),
	state TEXT NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'VERIFIED', 'REJECTED')),
	reviewed_by TEXT CHECK (length(reviewed_by) BETWEEN 1 AND 64),
	review_reason TEXT CHECK (length(review_reason) BETWEEN 1 AND 500),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK (state = 'PENDING' OR reviewed_by IS NOT NULL),
	CHECK (state <> 'REJECTED' OR review_reason IS NOT NULL),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
CREATE INDEX document_merchant ON document (dfsp, merchant_id, type);

CREATE TABLE tier_request (
	id INTEGER PRIMARY KEY,
	dfsp TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	from_tier TEXT NOT NULL CHECK (from_tier GLOB 'T[0-9]'),
	to_tier TEXT NOT NULL CHECK (to_tier GLOB 'T[0-9]'),
	requested_by TEXT NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 64),
	status TEXT NOT NULL DEFAULT 'PENDING'
		CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
	reviewed_by TEXT CHECK (length(reviewed_by) BETWEEN 1 AND 64),
	reason TEXT CHECK (length(reason) BETWEEN 1 AND 500),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK (to_tier <> from_tier),
	CHECK (status NOT IN ('APPROVED', 'REJECTED') OR reviewed_by IS NOT NULL),
	CHECK (status <> 'REJECTED' OR reason IS NOT NULL),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
CREATE UNIQUE INDEX tier_request_pending ON tier_request (dfsp, merchant_id)
	WHERE status = 'PENDING';
CREATE INDEX tier_request_status ON tier_request (dfsp, status, id);

CREATE TABLE idempotency (
	key_id TEXT NOT NULL REFERENCES api_key (key_id),
	idem_key TEXT NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 255),
	dfsp TEXT REFERENCES dfsp (fsp_id),
	request_sha256 TEXT NOT NULL
		CHECK (length(request_sha256) = 64 AND request_sha256 NOT GLOB '*[^0-9a-f]*'),
	status INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
	content_type TEXT CHECK (length(content_type) BETWEEN 3 AND 127),
	body TEXT NOT NULL,
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	PRIMARY KEY (key_id, idem_key)
) STRICT;
CREATE INDEX idempotency_created ON idempotency (created);

CREATE TABLE id_alloc (
	kind TEXT PRIMARY KEY NOT NULL CHECK (kind IN ('merchant', 'till')),
	next_seq INTEGER NOT NULL CHECK (next_seq >= 0),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	ts TEXT NOT NULL CHECK (length(ts) = 24),
	actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
	role TEXT NOT NULL CHECK (role IN
		('hub-admin', 'dfsp-admin', 'maker', 'checker', 'auditor', 'merchant', 'system')),
	dfsp TEXT REFERENCES dfsp (fsp_id),
	action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 32),
	entity TEXT NOT NULL CHECK (length(entity) BETWEEN 1 AND 32),
	entity_id TEXT NOT NULL CHECK (length(entity_id) BETWEEN 1 AND 64),
	before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
	after_json TEXT CHECK (after_json IS NULL OR json_valid(after_json)),
	prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64 AND prev_hash NOT GLOB '*[^0-9a-f]*'),
	hash TEXT NOT NULL CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*')
) STRICT;
CREATE INDEX audit_entity ON audit (entity, entity_id, id);
CREATE INDEX audit_dfsp ON audit (dfsp, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit is append-only');
END;

