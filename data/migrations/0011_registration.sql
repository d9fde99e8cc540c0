-- 0011_registration.sql -- schema version 11: outbox rows of kind 'als'
-- register and deregister merchants and tills at the switch's account
-- lookup service, written by triggers in the transaction of each change.

-- Registration at the switch's account lookup service (version 11,
-- gateway/als.h, docs/switch.md "Registration"). A party a payer finds us
-- by is registered (POST /participants/{Type}/{ID}) when it becomes
-- payable and deregistered (DELETE) when it stops: these triggers write
-- one outbox row of kind 'als' per party in the transaction of the change,
-- whichever code path makes it. Payable: a till ACTIVE under an APPROVED
-- merchant ('till/NUMBER', sent as the configured merchant_party_type),
-- and the APPROVED merchant itself ('merchant/ID', sent as BUSINESS); body
-- is the method, POST or DELETE. The drain sends the rows of one party in
-- id order, one at a time (outbox_claim_ordered()).
CREATE INDEX outbox_party ON outbox (kind, dest, id);
CREATE TRIGGER als_merchant_insert AFTER INSERT ON merchant WHEN NEW.status = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'merchant/' || NEW.merchant_id, 'POST', NEW.merchant_id);
END;
CREATE TRIGGER als_merchant_status AFTER UPDATE OF status ON merchant
WHEN (OLD.status = 'APPROVED') <> (NEW.status = 'APPROVED')
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'merchant/' || NEW.merchant_id,
		CASE NEW.status WHEN 'APPROVED' THEN 'POST' ELSE 'DELETE' END, NEW.merchant_id);
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	SELECT 'als', t.dfsp, 'till/' || t.till_number,
		CASE NEW.status WHEN 'APPROVED' THEN 'POST' ELSE 'DELETE' END, NEW.merchant_id
	FROM till t WHERE t.dfsp = NEW.dfsp AND t.merchant_id = NEW.merchant_id
		AND t.status = 'ACTIVE' ORDER BY t.till_number;
END;
CREATE TRIGGER als_till_insert AFTER INSERT ON till
WHEN NEW.status = 'ACTIVE' AND (SELECT m.status FROM merchant m
	WHERE m.dfsp = NEW.dfsp AND m.merchant_id = NEW.merchant_id) = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'till/' || NEW.till_number, 'POST', NEW.merchant_id);
END;
CREATE TRIGGER als_till_status AFTER UPDATE OF status ON till
WHEN (OLD.status = 'ACTIVE') <> (NEW.status = 'ACTIVE') AND (SELECT m.status FROM merchant m
	WHERE m.dfsp = NEW.dfsp AND m.merchant_id = NEW.merchant_id) = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', NEW.dfsp, 'till/' || NEW.till_number,
		CASE NEW.status WHEN 'ACTIVE' THEN 'POST' ELSE 'DELETE' END, NEW.merchant_id);
END;
CREATE TRIGGER als_till_delete AFTER DELETE ON till
WHEN OLD.status = 'ACTIVE' AND (SELECT m.status FROM merchant m
	WHERE m.dfsp = OLD.dfsp AND m.merchant_id = OLD.merchant_id) = 'APPROVED'
BEGIN
	INSERT INTO outbox (kind, dfsp, dest, body, ref)
	VALUES ('als', OLD.dfsp, 'till/' || OLD.till_number, 'DELETE', OLD.merchant_id);
END;
