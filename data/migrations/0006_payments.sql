-- 0006_payments.sql -- schema version 6: payments, the 'payments' API key
-- role (a DFSP's own app paying merchants) and the 'payments' and
-- 'customer' audit roles.

-- api_key and audit get new roles in their CHECK constraints. SQLite
-- cannot alter a CHECK, so each table is rebuilt: the old one is renamed
-- aside with legacy_alter_table on (so that idempotency's foreign key keeps
-- naming api_key, and the new table's SQL is stored exactly as written
-- here and in schema.sql), the new one created, the rows copied, the old
-- one dropped and its indexes and triggers made again. Migrations run with
-- foreign keys off and check them before committing (gateway/db.c).
PRAGMA legacy_alter_table = ON;

ALTER TABLE api_key RENAME TO api_key_v5;
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
INSERT INTO api_key (key_id, secret_sha256, dfsp, role, user_name, created, revoked)
	SELECT key_id, secret_sha256, dfsp, role, user_name, created, revoked FROM api_key_v5;
DROP TABLE api_key_v5;
CREATE INDEX api_key_dfsp ON api_key (dfsp, role);

ALTER TABLE audit RENAME TO audit_v5;
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
INSERT INTO audit SELECT * FROM audit_v5;
-- Keep the high-water mark of the ids (sqlite_sequence), which the chain
-- check uses to see a deleted last row.
UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'audit_v5'))
	WHERE name = 'audit' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_v5');
DROP TABLE audit_v5;
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

PRAGMA legacy_alter_table = OFF;

-- Payments (docs/payments.md). id is "P" and 24 hex digits of SHA-256 over
-- the idempotency scope (API key id, or "ussd") and key, so a retry finds
-- the same row; req_sha256 fingerprints payer, till, amount and currency
-- to refuse a key reused for another payment. The payer is a customer of
-- payer_dfsp (customer_id when known), the payee a merchant's till.
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
	channel TEXT NOT NULL CHECK (channel IN ('ussd', 'api')),
	payer_dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	payer_msisdn TEXT NOT NULL
		CHECK (length(payer_msisdn) BETWEEN 6 AND 15 AND payer_msisdn NOT GLOB '*[^0-9]*'),
	customer_id INTEGER REFERENCES customer (id),
	payee_dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	merchant_id TEXT NOT NULL,
	till_number TEXT NOT NULL REFERENCES till (till_number),
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
	CHECK ((state = 'FAILED') = (fail_code IS NOT NULL)),
	FOREIGN KEY (payee_dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
-- The forwarder's and the sweep's work, oldest first.
CREATE INDEX payment_due ON payment (state, next_at, created);
-- Lists and takings, newest first, for either party's DFSP.
CREATE INDEX payment_payee ON payment (payee_dfsp, merchant_id, created);
CREATE INDEX payment_payer ON payment (payer_dfsp, payer_msisdn, created);
CREATE INDEX payment_created ON payment (created);
