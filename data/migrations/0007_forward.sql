-- 0007_forward.sql -- schema version 7: the forwarder's write-ahead record
-- of each transfer it is about to send (gateway/fwd.c), so that after a
-- crash or an unknown outcome the transfer is queried with its condition
-- (fulfilment verified) and a new one is made only when it is known
-- aborted, expired or never sent.
CREATE TABLE payment_transfer (
	transfer_id TEXT PRIMARY KEY NOT NULL CHECK (length(transfer_id) = 36),
	payment_id TEXT NOT NULL REFERENCES payment (id),
	payee_fsp TEXT NOT NULL CHECK (length(payee_fsp) BETWEEN 1 AND 32),
	condition TEXT NOT NULL CHECK (length(condition) = 43),
	expiration_ms INTEGER NOT NULL CHECK (expiration_ms > 0),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;
CREATE INDEX payment_transfer_payment ON payment_transfer (payment_id);
