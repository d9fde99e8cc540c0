-- 0004_ussd.sql -- schema version 4: what the USSD menus keep between
-- dialogues. The sessions themselves live in memory only.

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
