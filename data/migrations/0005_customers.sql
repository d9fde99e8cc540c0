-- 0005_customers.sql -- schema version 5: the customers each DFSP enrolls
-- to pay merchants by USSD or through its own app.

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
