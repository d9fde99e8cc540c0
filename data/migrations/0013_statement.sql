-- 0013_statement.sql -- schema version 13: the payee side's terms per
-- hosted DFSP (a fee of flat + basis points within a minimum and a
-- maximum, and commit notification: transfers answered RESERVED, settled
-- by PATCH /transfers/{id}), the fee of each quote (for statements), and
-- the state of each transfer answered (COMMITTED, RESERVED, ABORTED).

-- payee_dfsp gets columns with CHECKs of their own: it is rebuilt (no
-- table refers to it), the old one renamed aside with legacy_alter_table
-- on so that the new table's SQL is stored exactly as written.
PRAGMA legacy_alter_table = ON;
ALTER TABLE payee_dfsp RENAME TO payee_dfsp_v12;
CREATE TABLE payee_dfsp (
	dfsp TEXT PRIMARY KEY NOT NULL REFERENCES dfsp (fsp_id),
	ilp_secret BLOB NOT NULL CHECK (length(ilp_secret) = 32),
	fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	fee_bp INTEGER NOT NULL DEFAULT 0 CHECK (fee_bp BETWEEN 0 AND 10000),
	fee_min INTEGER NOT NULL DEFAULT 0 CHECK (fee_min >= 0),
	fee_max INTEGER NOT NULL DEFAULT 0 CHECK (fee_max >= 0),
	commit_notification INTEGER NOT NULL DEFAULT 0 CHECK (commit_notification IN (0, 1)),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK (fee_max = 0 OR fee_max >= fee_min)
) STRICT;
INSERT INTO payee_dfsp (dfsp, ilp_secret, fee, created, updated)
	SELECT dfsp, ilp_secret, fee, created, created FROM payee_dfsp_v12;
DROP TABLE payee_dfsp_v12;
PRAGMA legacy_alter_table = OFF;

-- The payee fee of a quote, in minor units (NULL for a refused one; 0 for
-- quotes made before this version, when no fee could be set).
ALTER TABLE payee_quote ADD COLUMN fee INTEGER CHECK (fee IS NULL OR fee >= 0);
UPDATE payee_quote SET fee = 0 WHERE code = 0;

-- The state of a transfer answered: COMMITTED, or RESERVED until the
-- switch's PATCH makes it COMMITTED or ABORTED; NULL for a refused one.
ALTER TABLE payee_transfer ADD COLUMN state TEXT
	CHECK (state IS NULL OR state IN ('RESERVED', 'COMMITTED', 'ABORTED'));
ALTER TABLE payee_transfer ADD COLUMN settled TEXT;
UPDATE payee_transfer SET state = 'COMMITTED', settled = created WHERE code = 0;
CREATE INDEX payee_transfer_reserved ON payee_transfer (dfsp, merchant_id) WHERE state = 'RESERVED';
