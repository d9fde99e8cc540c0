-- 0010_backend.sql -- schema version 10: the per-DFSP backend hook
-- (gateway/backend.c, docs/payments.md "Backend hook"). A DFSP may name
-- a backend that authorises each payment of its customers before it is
-- sent or committed, and hears of every final state through the outbox
-- (kind 'backend').

-- The hook's URL and the secret its requests are signed with
-- (HMAC-SHA256, X-Tillgate-Signature). The secret is a key the gateway
-- must use, so it is kept as given, never shown nor logged.
ALTER TABLE dfsp ADD COLUMN backend_url TEXT CHECK (backend_url IS NULL OR
	(length(backend_url) BETWEEN 10 AND 512 AND
	 (backend_url GLOB 'http://?*' OR backend_url GLOB 'https://?*')));
ALTER TABLE dfsp ADD COLUMN backend_secret BLOB CHECK (backend_secret IS NULL OR
	length(backend_secret) BETWEEN 16 AND 256);

-- One row per payment accepted while its payer's DFSP had a hook: the
-- authorisation asked ('asking', the payment waits in ACCEPTED) and its
-- answer. offline: accepted while the switch was unreachable, so an
-- approved payment goes to QUEUED rather than to the switch.
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
