-- 0003_outbox.sql -- schema version 3: the outbox, the one queue of work
-- that leaves the gateway on its own initiative (SMS first; switch
-- registrations and queued payments later). A row is written in the same
-- transaction as the fact it carries out, and drained in id order.

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
