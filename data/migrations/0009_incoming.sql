-- 0009_incoming.sql -- schema version 9: payments received from other
-- DFSPs through the switch (gateway/payee.c) are recorded as payments of
-- channel 'switch', without a hosted payer, so that they count in the
-- merchant's takings, lists and tier limits (docs/payments.md).

-- payment loses NOT NULL on payer_dfsp and payer_msisdn and gets the
-- payer FSP's party. SQLite cannot alter a constraint, so the table is
-- rebuilt as 0006_payments.sql rebuilt api_key and audit: renamed aside
-- with legacy_alter_table on (payment_transfer's foreign key keeps naming
-- payment), made again, the rows copied, the old one dropped and its
-- indexes made again. Migrations run with foreign keys off and check them
-- before committing (gateway/db.c).
PRAGMA legacy_alter_table = ON;

ALTER TABLE payment RENAME TO payment_v8;
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
INSERT INTO payment (id, req_sha256, channel, payer_dfsp, payer_msisdn, customer_id, payee_dfsp,
		     merchant_id, till_number, amount, currency, state, fail_code, fail_reason,
		     on_us, transaction_id, quote_id, transfer_id, attempts, next_at, expires_at,
		     created, updated, version)
	SELECT id, req_sha256, channel, payer_dfsp, payer_msisdn, customer_id, payee_dfsp,
	       merchant_id, till_number, amount, currency, state, fail_code, fail_reason, on_us,
	       transaction_id, quote_id, transfer_id, attempts, next_at, expires_at, created,
	       updated, version FROM payment_v8;
DROP TABLE payment_v8;
CREATE INDEX payment_due ON payment (state, next_at, created);
CREATE INDEX payment_payee ON payment (payee_dfsp, merchant_id, created);
CREATE INDEX payment_payer ON payment (payer_dfsp, payer_msisdn, created);
CREATE INDEX payment_created ON payment (created);

PRAGMA legacy_alter_table = OFF;
