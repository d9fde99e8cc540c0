-- 0008_payee.sql -- schema version 8: the payee side of FSPIOP: the hosted
-- DFSPs' ILP secrets and payee fees, and the quotes and transfers they
-- answered.

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
