-- schema.sql -- the Tillgate database at its current version, created from nothing.
--
-- This file is the source of truth. make compiles it, with data/migrations/,
-- into build/.../gen/db_schema.h (data/sql2c.sh); gateway/db.c runs it on an
-- empty database and sets PRAGMA user_version to the number of the last
-- migration. An older database is brought forward by the migrations instead,
-- and tests/unit/test_db.c checks that both roads end in the same schema
-- (statement by statement, comments and spacing aside). So a change here
-- goes with a new data/migrations/NNNN_name.sql that makes the same change;
-- see docs/storage.md.
--
-- Conventions:
--  * Every table is STRICT (SQLite >= 3.37): a column holds its declared type
--    or NULL, never whatever was bound.
--  * Timestamps are TEXT, UTC, ISO 8601 with milliseconds:
--    2026-11-28T10:15:02.123Z.
--  * Money, when later issues add it, is INTEGER minor units with a currency
--    column beside it; never REAL, never a decimal string.
--  * Enumerations and lengths are CHECK constraints. A CHECK on a nullable
--    column passes for NULL (SQL's three-valued logic), so "optional, but
--    well-formed when present" needs no IS NULL branch, except around
--    json_valid(), which returns 0 for NULL.
--  * Tenancy: every row that belongs to a DFSP carries its FSP id in a
--    column named dfsp, and its parent is referenced by a foreign key that
--    includes dfsp. A row can therefore never hang under another DFSP's
--    merchant or location, whatever the calling code does. Queries made on
--    behalf of a DFSP's API key bind :dfsp.
--  * Merchant ids and till numbers are decimal digits (the last one a Luhn
--    check digit, verified by merchant/), unique in the whole gateway.

-- The acquiring DFSPs: the tenants. fsp_id is the participant's FSP id at
-- the Mojaloop switch (FSPIOP FspId: 1 to 32 characters).
CREATE TABLE dfsp (
	fsp_id TEXT PRIMARY KEY NOT NULL
		CHECK (length(fsp_id) BETWEEN 1 AND 32 AND fsp_id NOT GLOB '*[^A-Za-z0-9._-]*'),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
	status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
	-- The backend hook (version 10, gateway/backend.h): its URL and the
	-- secret its requests are signed with, never shown nor logged. Laid
	-- out as ALTER TABLE ADD COLUMN leaves them, so that db_check()
	-- finds a migrated table equal to this one.
	, backend_url TEXT CHECK (backend_url IS NULL OR
		(length(backend_url) BETWEEN 10 AND 512 AND
		 (backend_url GLOB 'http://?*' OR backend_url GLOB 'https://?*'))), backend_secret BLOB
		CHECK (backend_secret IS NULL OR length(backend_secret) BETWEEN 16 AND 256)) STRICT;

-- API keys. A key is presented as KEY_ID.SECRET: key_id is stored in clear
-- (it finds the row and may be logged), the secret only as the hex SHA-256
-- of its bytes (it is 32 random bytes, so a fast hash is enough; compare in
-- constant time). A hub-admin key belongs to no DFSP; every other role
-- belongs to exactly one. revoked is NULL while the key is valid.
CREATE TABLE api_key (
	key_id TEXT PRIMARY KEY NOT NULL
		CHECK (length(key_id) BETWEEN 8 AND 40 AND key_id NOT GLOB '*[^A-Za-z0-9_]*'),
	secret_sha256 TEXT NOT NULL
		CHECK (length(secret_sha256) = 64 AND secret_sha256 NOT GLOB '*[^0-9a-f]*'),
	dfsp TEXT REFERENCES dfsp (fsp_id),
	role TEXT NOT NULL
		CHECK (role IN ('hub-admin', 'dfsp-admin', 'maker', 'checker', 'auditor', 'payments')),
	user_name TEXT NOT NULL CHECK (length(user_name) BETWEEN 1 AND 64),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	revoked TEXT,
	CHECK ((role = 'hub-admin') = (dfsp IS NULL))
) STRICT;
CREATE INDEX api_key_dfsp ON api_key (dfsp, role);

-- Merchants. id is internal (a stable rowid for the name search index);
-- merchant_id is the public one. status follows merchant/merchant_fsm.h;
-- REJECTED, REVERTED and SUSPENDED need a reason. submitted_by is the user
-- who last submitted (the maker), checked_by the one who last reviewed.
-- version counts updates, for optimistic concurrency (UPDATE ... WHERE
-- version = :version, then check the change count).
CREATE TABLE merchant (
	id INTEGER PRIMARY KEY,
	merchant_id TEXT NOT NULL UNIQUE
		CHECK (length(merchant_id) BETWEEN 4 AND 19 AND merchant_id NOT GLOB '*[^0-9]*'),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	trading_name TEXT NOT NULL CHECK (length(trading_name) BETWEEN 1 AND 25), -- EMVCo tag 59
	legal_name TEXT CHECK (length(legal_name) BETWEEN 1 AND 140),
	type TEXT NOT NULL CHECK (type IN ('individual', 'small_shop', 'chain')),
	mcc TEXT NOT NULL CHECK (length(mcc) = 4 AND mcc NOT GLOB '*[^0-9]*'), -- ISO 18245
	tier TEXT NOT NULL CHECK (tier GLOB 'T[0-9]'),
	status TEXT NOT NULL DEFAULT 'DRAFT' CHECK (status IN
		('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED', 'REVERTED', 'SUSPENDED', 'CLOSED')),
	status_reason TEXT CHECK (length(status_reason) BETWEEN 1 AND 500),
	created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
	submitted_by TEXT CHECK (length(submitted_by) BETWEEN 1 AND 64),
	checked_by TEXT CHECK (length(checked_by) BETWEEN 1 AND 64),
	settlement_account TEXT CHECK (length(settlement_account) BETWEEN 1 AND 64),
	lei TEXT CHECK (length(lei) = 20 AND lei NOT GLOB '*[^0-9A-Z]*'), -- ISO 17442
	tax_id TEXT CHECK (length(tax_id) BETWEEN 1 AND 32),
	registration_no TEXT CHECK (length(registration_no) BETWEEN 1 AND 64),
	permit_no TEXT CHECK (length(permit_no) BETWEEN 1 AND 64),
	contact_name TEXT CHECK (length(contact_name) BETWEEN 1 AND 140),
	contact_phone TEXT CHECK (length(contact_phone) BETWEEN 4 AND 16
		AND contact_phone GLOB '+[1-9]*' AND substr(contact_phone, 2) NOT GLOB '*[^0-9]*'), -- E.164
	contact_email TEXT CHECK (length(contact_email) BETWEEN 3 AND 254 AND contact_email GLOB '?*@?*'),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	UNIQUE (dfsp, merchant_id),
	CHECK (status NOT IN ('REJECTED', 'REVERTED', 'SUSPENDED') OR status_reason IS NOT NULL)
) STRICT;
-- List filters, each in merchant_id order for cursor pagination. Text
-- search on the names is merchant_search (below).
CREATE INDEX merchant_status ON merchant (dfsp, status, merchant_id);
CREATE INDEX merchant_tier ON merchant (dfsp, tier, merchant_id);

-- Beneficial owners. id_verified: 1 once the ID was checked against the
-- registry or by the DFSP (T1 and up), 0 while self-declared (T0).
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
		AND phone GLOB '+[1-9]*' AND substr(phone, 2) NOT GLOB '*[^0-9]*'), -- E.164
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
CREATE INDEX owner_merchant ON owner (dfsp, merchant_id);

-- Points of sale. city goes on the QR code (EMVCo tag 60: at most 15
-- characters). Coordinates are optional, but both or neither.
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

-- Tills (checkout counters): one number per point of payment, printed on
-- its QR code and typed by USSD payers.
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

-- KYB documents. The content is a file under the gateway's data_dir; path
-- is relative to it (never absolute, never with ".."). type is one of the
-- document types of the KYB tier definitions (lower-case word).
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

-- Tier change requests, reviewed maker-checker; the merchant's tier changes
-- only when one is APPROVED. At most one PENDING request per merchant.
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

-- Idempotency-Key records: the first response to a POST, returned again
-- for a retry. Scoped by the API key that sent it (and so by its DFSP;
-- dfsp is NULL for hub-admin keys). request_sha256 covers method, path and
-- body, so that a key reused for a different request can be refused.
-- Written in the same transaction as the change the request made.
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

-- Allocation state of the sequential numbering schemes: the next sequence
-- number (before its check digit) for merchant ids and for till numbers.
-- merchant/ inserts a row on first use, from the configured start.
CREATE TABLE id_alloc (
	kind TEXT PRIMARY KEY NOT NULL CHECK (kind IN ('merchant', 'till')),
	next_seq INTEGER NOT NULL CHECK (next_seq >= 0),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- The audit log, a hash chain (gateway/audit.h, docs/storage.md): each row's
-- hash is SHA-256 over a length-prefixed encoding of its fields and of the
-- previous row's hash (prev_hash; 64 zeros for row 1). AUTOINCREMENT keeps
-- the highest id ever used in sqlite_sequence, so a deleted last row shows
-- as a gap too. Rows are written by audit_append() only; the triggers make
-- the table append-only for every other writer that does not drop them
-- first, and db check reports dropped triggers.
CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	ts TEXT NOT NULL CHECK (length(ts) = 24),
	actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
	role TEXT NOT NULL CHECK (role IN
		('hub-admin', 'dfsp-admin', 'maker', 'checker', 'auditor', 'payments', 'merchant',
		 'customer', 'system')),
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

-- Text search on merchant names (version 2): an FTS5 index of trigrams over
-- trading_name and legal_name, kept in step with merchant by triggers.
-- "name contains 'juma'" is
--   SELECT m.* FROM merchant_search s JOIN merchant m ON m.id = s.rowid
--   WHERE merchant_search MATCH '"juma"' AND m.dfsp = :dfsp
-- (case-insensitive; a search term needs at least 3 characters, shorter
-- ones fall back to LIKE on merchant).
CREATE VIRTUAL TABLE merchant_search USING fts5 (
	trading_name, legal_name, content = 'merchant', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER merchant_search_insert AFTER INSERT ON merchant
BEGIN
	INSERT INTO merchant_search (rowid, trading_name, legal_name)
		VALUES (new.id, new.trading_name, new.legal_name);
END;
CREATE TRIGGER merchant_search_delete AFTER DELETE ON merchant
BEGIN
	INSERT INTO merchant_search (merchant_search, rowid, trading_name, legal_name)
		VALUES ('delete', old.id, old.trading_name, old.legal_name);
END;
CREATE TRIGGER merchant_search_update AFTER UPDATE OF trading_name, legal_name ON merchant
BEGIN
	INSERT INTO merchant_search (merchant_search, rowid, trading_name, legal_name)
		VALUES ('delete', old.id, old.trading_name, old.legal_name);
	INSERT INTO merchant_search (rowid, trading_name, legal_name)
		VALUES (new.id, new.trading_name, new.legal_name);
END;

-- The outbox (version 3): the one queue of work that leaves the gateway on
-- its own initiative (SMS first; switch registrations and queued payments
-- later). A row is written in the same transaction as the fact it carries
-- out, and drained in id order (gateway/outbox.h).
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 16 AND kind NOT GLOB '*[^a-z_]*'),
	dfsp TEXT REFERENCES dfsp (fsp_id),
	dest TEXT NOT NULL CHECK (length(dest) BETWEEN 1 AND 64),
	body TEXT NOT NULL,
	ref TEXT CHECK (ref IS NULL OR length(ref) BETWEEN 1 AND 64),
	state TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'sending', 'sent', 'delivered', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at INTEGER NOT NULL DEFAULT 0,
	remote_id TEXT CHECK (remote_id IS NULL OR length(remote_id) BETWEEN 1 AND 64),
	last_error TEXT,
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX outbox_due ON outbox (kind, state, next_at, id);
CREATE INDEX outbox_remote ON outbox (kind, remote_id) WHERE remote_id IS NOT NULL;

-- USSD (version 4): what the menus keep between dialogues; the sessions
-- themselves live in memory only.

-- A subscriber's chosen menu language, by MSISDN (E.164 digits, no '+').
-- A number with no row sees the default language.
CREATE TABLE subscriber (
	msisdn TEXT PRIMARY KEY NOT NULL
		CHECK (length(msisdn) BETWEEN 6 AND 15 AND msisdn NOT GLOB '*[^0-9]*'),
	lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 8 AND lang NOT GLOB '*[^a-z]*'),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- A merchant's USSD PIN for "My business": only its Argon2id hash
-- (libsodium's encoded string, which carries its own salt and cost), the
-- wrong tries in a row, and the end of a lock-out (NULL when not locked).
CREATE TABLE merchant_pin (
	dfsp TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	pin_hash TEXT NOT NULL CHECK (pin_hash GLOB '$argon2id$*'),
	failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
	locked_until TEXT CHECK (locked_until IS NULL OR length(locked_until) = 24),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	PRIMARY KEY (dfsp, merchant_id),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;

-- Who is dialling: the owners of a phone number, for the main menu.
CREATE INDEX owner_phone ON owner (phone) WHERE phone IS NOT NULL;

-- Customers (version 5): enrolled by their DFSP to pay merchants.

-- A customer of a hosted DFSP. msisdn is E.164 digits without '+'; a phone
-- may be a customer of more than one DFSP (the pay menu then asks which).
-- The activation code and the PIN are stored only as hashes: the code as
-- hex SHA-256 (it is random, short-lived and used once), the PIN as
-- libsodium's Argon2id string. status: PENDING until the customer
-- activates on the first dial and chooses a PIN, then ACTIVE; SUSPENDED and
-- CLOSED by the DFSP. pin_failures counts wrong PINs in a row;
-- locked_until ends a lock-out (NULL when none).
CREATE TABLE customer (
	id INTEGER PRIMARY KEY,
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	msisdn TEXT NOT NULL CHECK (length(msisdn) BETWEEN 6 AND 15 AND msisdn NOT GLOB '*[^0-9]*'),
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 140),
	account_ref TEXT NOT NULL CHECK (length(account_ref) BETWEEN 1 AND 64),
	tier TEXT NOT NULL CHECK (length(tier) BETWEEN 1 AND 16),
	status TEXT NOT NULL DEFAULT 'PENDING'
		CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED')),
	activation_sha256 TEXT CHECK (activation_sha256 IS NULL OR
		(length(activation_sha256) = 64 AND activation_sha256 NOT GLOB '*[^0-9a-f]*')),
	activation_expires TEXT CHECK (activation_expires IS NULL OR length(activation_expires) = 24),
	pin_hash TEXT CHECK (pin_hash IS NULL OR pin_hash GLOB '$argon2id$*'),
	pin_failures INTEGER NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
	locked_until TEXT CHECK (locked_until IS NULL OR length(locked_until) = 24),
	created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	UNIQUE (dfsp, msisdn),
	UNIQUE (dfsp, id)
) STRICT;
CREATE INDEX customer_msisdn ON customer (msisdn);
CREATE INDEX customer_status ON customer (dfsp, status, id);

-- Payments (version 6): customers paying merchants.
-- Payments (docs/payments.md). id is "P" and 24 hex digits of SHA-256 over
-- the idempotency scope (API key id, or "ussd") and key, so a retry finds
-- the same row; req_sha256 fingerprints payer, till, amount and currency
-- to refuse a key reused for another payment. The payer is a customer of
-- payer_dfsp (customer_id when known), the payee a merchant's till. A
-- payment received from another DFSP through the switch (channel
-- 'switch', version 9) has no hosted payer: payer_dfsp and payer_msisdn
-- are NULL, payer_fsp is the paying FSP and payer_party_type,
-- payer_party_id and payer_name its party when known; its id comes from
-- the transfer id, so a transfer records at most one payment; till_number
-- is NULL when the payer paid the merchant id rather than a till.
-- amount is INTEGER minor units of currency. state follows gateway/pay.h;
-- fail_code and fail_reason are set exactly when FAILED. on_us: payer and
-- payee at the same DFSP, completed inside the gateway. transaction_id,
-- quote_id and transfer_id are the switch forwarder's FSPIOP ids. next_at
-- and expires_at are Unix seconds (expires_at 0: never). version counts
-- changes.
CREATE TABLE payment (
	id TEXT PRIMARY KEY NOT NULL
		CHECK (length(id) = 25 AND id GLOB 'P*' AND substr(id, 2) NOT GLOB '*[^0-9a-f]*'),
	req_sha256 TEXT NOT NULL
		CHECK (length(req_sha256) = 64 AND req_sha256 NOT GLOB '*[^0-9a-f]*'),
	channel TEXT NOT NULL CHECK (channel IN ('ussd', 'api', 'switch')),
	payer_dfsp TEXT REFERENCES dfsp (fsp_id),
	payer_msisdn TEXT
		CHECK (length(payer_msisdn) BETWEEN 6 AND 15 AND payer_msisdn NOT GLOB '*[^0-9]*'),
	customer_id INTEGER REFERENCES customer (id),
	payee_dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	merchant_id TEXT NOT NULL,
	till_number TEXT REFERENCES till (till_number),
	amount INTEGER NOT NULL CHECK (amount > 0),
	currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
	state TEXT NOT NULL CHECK (state IN
		('ACCEPTED', 'QUEUED', 'SENDING', 'COMMITTED', 'FAILED', 'EXPIRED', 'RECONCILING')),
	fail_code TEXT CHECK (fail_code IS NULL OR
		(length(fail_code) BETWEEN 1 AND 31 AND fail_code NOT GLOB '*[^a-z0-9_]*')),
	fail_reason TEXT CHECK (fail_reason IS NULL OR length(fail_reason) <= 255),
	on_us INTEGER NOT NULL CHECK (on_us IN (0, 1)),
	transaction_id TEXT CHECK (transaction_id IS NULL OR length(transaction_id) = 36),
	quote_id TEXT CHECK (quote_id IS NULL OR length(quote_id) = 36),
	transfer_id TEXT CHECK (transfer_id IS NULL OR length(transfer_id) = 36),
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at INTEGER NOT NULL DEFAULT 0,
	expires_at INTEGER NOT NULL DEFAULT 0,
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	payer_fsp TEXT CHECK (payer_fsp IS NULL OR length(payer_fsp) BETWEEN 1 AND 32),
	payer_party_type TEXT CHECK (payer_party_type IS NULL OR length(payer_party_type) BETWEEN 1 AND 32),
	payer_party_id TEXT CHECK (payer_party_id IS NULL OR length(payer_party_id) BETWEEN 1 AND 128),
	payer_name TEXT CHECK (payer_name IS NULL OR length(payer_name) BETWEEN 1 AND 128),
	CHECK ((state = 'FAILED') = (fail_code IS NOT NULL)),
	CHECK (channel = 'switch' OR (payer_dfsp IS NOT NULL AND payer_msisdn IS NOT NULL AND
		till_number IS NOT NULL AND
		payer_fsp IS NULL AND payer_party_type IS NULL AND payer_party_id IS NULL AND
		payer_name IS NULL)),
	CHECK (channel != 'switch' OR (payer_dfsp IS NULL AND payer_msisdn IS NULL AND
		customer_id IS NULL AND payer_fsp IS NOT NULL AND on_us = 0 AND
		(payer_party_type IS NULL) = (payer_party_id IS NULL))),
	FOREIGN KEY (payee_dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
-- The forwarder's and the sweep's work, oldest first.
CREATE INDEX payment_due ON payment (state, next_at, created);
-- Lists and takings, newest first, for either party's DFSP.
CREATE INDEX payment_payee ON payment (payee_dfsp, merchant_id, created);
CREATE INDEX payment_payer ON payment (payer_dfsp, payer_msisdn, created);
CREATE INDEX payment_created ON payment (created);

-- The forwarder's write-ahead record of each transfer before it is sent
-- (version 7, gateway/fwd.c); version 14 adds what the prepare's body is
-- made of (NULL for transfers recorded before) and how many times it was
-- sent, so that a transfer unknown at the switch (3208) is sent again,
-- same id, same body, while it has not expired.
CREATE TABLE payment_transfer (
	transfer_id TEXT PRIMARY KEY NOT NULL CHECK (length(transfer_id) = 36),
	payment_id TEXT NOT NULL REFERENCES payment (id),
	payee_fsp TEXT NOT NULL CHECK (length(payee_fsp) BETWEEN 1 AND 32),
	condition TEXT NOT NULL CHECK (length(condition) = 43),
	expiration_ms INTEGER NOT NULL CHECK (expiration_ms > 0),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	ilp_packet TEXT CHECK (ilp_packet IS NULL OR length(ilp_packet) BETWEEN 1 AND 32768),
	amount INTEGER CHECK (amount IS NULL OR amount > 0),
	currency TEXT CHECK (currency IS NULL OR
		(length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*')),
	sends INTEGER NOT NULL DEFAULT 1 CHECK (sends >= 1),
	CHECK ((ilp_packet IS NULL) = (amount IS NULL) AND (amount IS NULL) = (currency IS NULL))
) STRICT;
CREATE INDEX payment_transfer_payment ON payment_transfer (payment_id);
-- The payee side of FSPIOP (gateway/payee.h, version 8): per hosted DFSP,
-- the secret of its ILP fulfilments (32 random bytes, made on first use,
-- never logged nor shown) and the fee it charges as payee, in minor units;
-- and every quote and transfer answered, with the SHA-256 of the request
-- body and the answer sent, so that a resent request gets the same answer
-- and a changed one 3106.
CREATE TABLE payee_dfsp (
	dfsp TEXT PRIMARY KEY NOT NULL REFERENCES dfsp (fsp_id),
	ilp_secret BLOB NOT NULL CHECK (length(ilp_secret) = 32),
	fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE TABLE payee_quote (
	quote_id TEXT PRIMARY KEY NOT NULL CHECK (length(quote_id) = 36),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	payer_fsp TEXT NOT NULL CHECK (length(payer_fsp) BETWEEN 1 AND 32),
	merchant_id TEXT,
	body_sha256 TEXT NOT NULL
		CHECK (length(body_sha256) = 64 AND body_sha256 NOT GLOB '*[^0-9a-f]*'),
	code INTEGER NOT NULL CHECK (code = 0 OR code BETWEEN 1000 AND 5999),
	answer TEXT NOT NULL,
	transfer_amount INTEGER CHECK (transfer_amount > 0),
	currency TEXT NOT NULL CHECK (length(currency) = 3),
	ilp_packet TEXT,
	condition TEXT CHECK (condition IS NULL OR length(condition) = 43),
	expiration TEXT,
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK ((code = 0) = (ilp_packet IS NOT NULL AND condition IS NOT NULL AND
		transfer_amount IS NOT NULL AND expiration IS NOT NULL))
) STRICT;
CREATE TABLE payee_transfer (
	transfer_id TEXT PRIMARY KEY NOT NULL CHECK (length(transfer_id) = 36),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	payer_fsp TEXT NOT NULL CHECK (length(payer_fsp) BETWEEN 1 AND 32),
	quote_id TEXT REFERENCES payee_quote (quote_id),
	merchant_id TEXT,
	body_sha256 TEXT NOT NULL
		CHECK (length(body_sha256) = 64 AND body_sha256 NOT GLOB '*[^0-9a-f]*'),
	code INTEGER NOT NULL CHECK (code = 0 OR code BETWEEN 1000 AND 5999),
	answer TEXT NOT NULL,
	amount INTEGER NOT NULL CHECK (amount > 0),
	currency TEXT NOT NULL CHECK (length(currency) = 3),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK (code != 0 OR (quote_id IS NOT NULL AND merchant_id IS NOT NULL))
) STRICT;
-- A transfer finds its quote by the packet; a quote is paid at most once.
CREATE INDEX payee_quote_packet ON payee_quote (ilp_packet);
CREATE UNIQUE INDEX payee_transfer_quote ON payee_transfer (quote_id) WHERE code = 0;

-- The backend hook's authorisation of each payment of a hooked DFSP
-- (version 10, gateway/backend.h): 'asking' while the payment waits in
-- ACCEPTED, then the answer. offline: accepted while the switch was
-- unreachable (approved, it goes to QUEUED).
CREATE TABLE payment_auth (
	payment_id TEXT PRIMARY KEY NOT NULL REFERENCES payment (id),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	state TEXT NOT NULL DEFAULT 'asking'
		CHECK (state IN ('asking', 'approved', 'declined', 'unreachable', 'allowed')),
	offline INTEGER NOT NULL CHECK (offline IN (0, 1)),
	reason TEXT CHECK (reason IS NULL OR length(reason) <= 255),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX payment_auth_asking ON payment_auth (state) WHERE state = 'asking';

-- Registration at the switch's account lookup service (version 11,
-- gateway/als.h, docs/switch.md "Registration"). A party a payer finds us
-- by is registered (POST /participants/{Type}/{ID}) when it becomes
-- payable and deregistered (DELETE) when it stops: these triggers write
-- one outbox row of kind 'als' per party in the transaction of the change,
-- whichever code path makes it. Payable: a till ACTIVE under an APPROVED
-- merchant ('till/NUMBER', sent as the configured merchant_party_type),
-- and the APPROVED merchant itself ('merchant/ID', sent as BUSINESS); body
-- is the method, POST or DELETE. The drain sends the rows of one party in
-- id order, one at a time (outbox_claim_ordered()).
CREATE INDEX outbox_party ON outbox (kind, dest, id);
CREATE TRIGGER als_merchant_insert AFTER INSERT ON merchant WHEN NEW.status = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'merchant/' || NEW.merchant_id, 'POST', NEW.merchant_id);
END;
CREATE TRIGGER als_merchant_status AFTER UPDATE OF status ON merchant
WHEN (OLD.status = 'APPROVED') <> (NEW.status = 'APPROVED')
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'merchant/' || NEW.merchant_id,
		CASE NEW.status WHEN 'APPROVED' THEN 'POST' ELSE 'DELETE' END, NEW.merchant_id);
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	SELECT 'als', t.dfsp, 'till/' || t.till_number,
		CASE NEW.status WHEN 'APPROVED' THEN 'POST' ELSE 'DELETE' END, NEW.merchant_id
	FROM till t WHERE t.dfsp = NEW.dfsp AND t.merchant_id = NEW.merchant_id
		AND t.status = 'ACTIVE' ORDER BY t.till_number;
END;
CREATE TRIGGER als_till_insert AFTER INSERT ON till
WHEN NEW.status = 'ACTIVE' AND (SELECT m.status FROM merchant m
	WHERE m.dfsp = NEW.dfsp AND m.merchant_id = NEW.merchant_id) = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'till/' || NEW.till_number, 'POST', NEW.merchant_id);
END;
CREATE TRIGGER als_till_status AFTER UPDATE OF status ON till
WHEN (OLD.status = 'ACTIVE') <> (NEW.status = 'ACTIVE') AND (SELECT m.status FROM merchant m
	WHERE m.dfsp = NEW.dfsp AND m.merchant_id = NEW.merchant_id) = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'till/' || NEW.till_number,
		CASE NEW.status WHEN 'ACTIVE' THEN 'POST' ELSE 'DELETE' END, NEW.merchant_id);
END;
CREATE TRIGGER als_till_delete AFTER DELETE ON till
WHEN OLD.status = 'ACTIVE' AND (SELECT m.status FROM merchant m
	WHERE m.dfsp = OLD.dfsp AND m.merchant_id = OLD.merchant_id) = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', OLD.dfsp, 'till/' || OLD.till_number, 'DELETE', OLD.merchant_id);
END;

-- A merchant's request to pay (gateway/rtp.h, docs/payments.md "Request
-- to pay"): made on USSD (My business) or by POST /v1/payment-requests;
-- pushed to a hosted customer's phone, or sent as an FSPIOP
-- transactionRequest to the payer's DFSP; PAID once the payment it led
-- to commits. The id derives from the idempotency key (scope + key).
CREATE TABLE payment_request (
	id TEXT PRIMARY KEY NOT NULL
		CHECK (length(id) = 25 AND id GLOB 'R*' AND substr(id, 2) NOT GLOB '*[^0-9a-f]*'),
	req_sha256 TEXT NOT NULL
		CHECK (length(req_sha256) = 64 AND req_sha256 NOT GLOB '*[^0-9a-f]*'),
	channel TEXT NOT NULL CHECK (channel IN ('ussd', 'api')),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	merchant_id TEXT NOT NULL,
	till_number TEXT NOT NULL REFERENCES till (till_number),
	payer_msisdn TEXT NOT NULL
		CHECK (length(payer_msisdn) BETWEEN 6 AND 15 AND payer_msisdn NOT GLOB '*[^0-9]*'),
	payer_dfsp TEXT REFERENCES dfsp (fsp_id),
	payer_fsp TEXT CHECK (payer_fsp IS NULL OR length(payer_fsp) BETWEEN 1 AND 32),
	amount INTEGER NOT NULL CHECK (amount > 0),
	currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
	state TEXT NOT NULL CHECK (state IN
		('PENDING', 'PROMPTED', 'SENT', 'PAYING', 'PAID', 'REFUSED', 'FAILED', 'EXPIRED')),
	fail_code TEXT CHECK (fail_code IS NULL OR
		(length(fail_code) BETWEEN 1 AND 31 AND fail_code NOT GLOB '*[^a-z0-9_]*')),
	payment_id TEXT REFERENCES payment (id),
	transaction_request_id TEXT
		CHECK (transaction_request_id IS NULL OR length(transaction_request_id) = 36),
	quote_id TEXT CHECK (quote_id IS NULL OR length(quote_id) = 36),
	expires_at INTEGER NOT NULL,
	created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	CHECK ((state IN ('FAILED', 'REFUSED', 'EXPIRED')) = (fail_code IS NOT NULL)),
	CHECK (state NOT IN ('PAYING', 'PAID') OR payment_id IS NOT NULL OR
		transaction_request_id IS NOT NULL),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
-- The sweep's work, a payer's pending requests, and a merchant's list.
CREATE INDEX payment_request_due ON payment_request (state, expires_at);
CREATE INDEX payment_request_payer ON payment_request (payer_msisdn, state);
CREATE INDEX payment_request_merchant ON payment_request (dfsp, merchant_id, created);
CREATE UNIQUE INDEX payment_request_txr ON payment_request (transaction_request_id)
	WHERE transaction_request_id IS NOT NULL;
