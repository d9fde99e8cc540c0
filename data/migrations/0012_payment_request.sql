-- 0012_payment_request.sql -- schema version 12: merchants' requests to pay
-- (gateway/rtp.h).

-- A merchant's request to pay (gateway/rtp.h, docs/payments.md "Request
-- to pay"): made on USSD (My business) or by POST /v1/payment-requests;
-- pushed to a hosted customer's phone, or sent as an FSPIOP
-- transactionRequest to the payer's DFSP; PAID once the payment it led
-- to commits. The id derives from the idempotency key (scope + key).
CREATE TABLE payment_request (
	id TEXT PRIMARY KEY NOT NULL
		CHECK (length(id) = 25 AND id GLOB 'R*' AND substr(id, 2) NOT GLOB '*[^0-9a-f]*'),
	req_sha256 TEXT NOT NULL
		CHECK (length(req_sha256) = 64 AND req_sha256 NOT GLOB '*[^0-9a-f]*'),
	channel TEXT NOT NULL CHECK (channel IN ('ussd', 'api')),
	dfsp TEXT NOT NULL REFERENCES dfsp (fsp_id),
	merchant_id TEXT NOT NULL,
	till_number TEXT NOT NULL REFERENCES till (till_number),
	payer_msisdn TEXT NOT NULL
		CHECK (length(payer_msisdn) BETWEEN 6 AND 15 AND payer_msisdn NOT GLOB '*[^0-9]*'),
	payer_dfsp TEXT REFERENCES dfsp (fsp_id),
	payer_fsp TEXT CHECK (payer_fsp IS NULL OR length(payer_fsp) BETWEEN 1 AND 32),
	amount INTEGER NOT NULL CHECK (amount > 0),
	currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),
	state TEXT NOT NULL CHECK (state IN
		('PENDING', 'PROMPTED', 'SENT', 'PAYING', 'PAID', 'REFUSED', 'FAILED', 'EXPIRED')),
	fail_code TEXT CHECK (fail_code IS NULL OR
		(length(fail_code) BETWEEN 1 AND 31 AND fail_code NOT GLOB '*[^a-z0-9_]*')),
	payment_id TEXT REFERENCES payment (id),
	transaction_request_id TEXT
		CHECK (transaction_request_id IS NULL OR length(transaction_request_id) = 36),
	quote_id TEXT CHECK (quote_id IS NULL OR length(quote_id) = 36),
	expires_at INTEGER NOT NULL,
	created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	CHECK ((state IN ('FAILED', 'REFUSED', 'EXPIRED')) = (fail_code IS NOT NULL)),
	CHECK (state NOT IN ('PAYING', 'PAID') OR payment_id IS NOT NULL OR
		transaction_request_id IS NOT NULL),
	FOREIGN KEY (dfsp, merchant_id) REFERENCES merchant (dfsp, merchant_id)
) STRICT;
-- The sweep's work, a payer's pending requests, and a merchant's list.
CREATE INDEX payment_request_due ON payment_request (state, expires_at);
CREATE INDEX payment_request_payer ON payment_request (payer_msisdn, state);
CREATE INDEX payment_request_merchant ON payment_request (dfsp, merchant_id, created);
CREATE UNIQUE INDEX payment_request_txr ON payment_request (transaction_request_id)
	WHERE transaction_request_id IS NOT NULL;
