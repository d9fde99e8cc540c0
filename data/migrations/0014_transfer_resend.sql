-- 0014_transfer_resend.sql -- schema version 14: payment_transfer keeps
-- what the prepare's body is made of (the quote's ILP packet, the transfer
-- amount and currency) and how many times it was sent, so that a
-- transfer the switch does not know (3208) while it has not expired is
-- sent again with the same transferId and a byte-identical body, also
-- after a restart (gateway/fwd.c, docs/payments.md "Forwarding").

-- The new columns come with a table CHECK, which ALTER TABLE ADD COLUMN
-- cannot add, so the table is rebuilt as 0009_incoming.sql rebuilt
-- payment: renamed aside with legacy_alter_table on (no other object's
-- SQL is rewritten; none refers to this table), made again, the rows
-- copied, the old one dropped (its index with it) and the index made
-- again. Transfers recorded before this version have no body (NULL):
-- they are never resent, and a 3208 waits for their expiration as before.
PRAGMA legacy_alter_table = ON;

ALTER TABLE payment_transfer RENAME TO payment_transfer_v13;
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
INSERT INTO payment_transfer (transfer_id, payment_id, payee_fsp, condition, expiration_ms,
	created)
	SELECT transfer_id, payment_id, payee_fsp, condition, expiration_ms, created
	FROM payment_transfer_v13;
DROP TABLE payment_transfer_v13;
CREATE INDEX payment_transfer_payment ON payment_transfer (payment_id);

PRAGMA legacy_alter_table = OFF;
