-- 0002_merchant_search.sql -- schema version 2: text search on merchant
-- names, an FTS5 trigram index over merchant.trading_name and legal_name,
-- kept in step by triggers. Kept apart from version 1 so that the upgrade
-- path runs a real migration with a backfill from the start.

CREATE VIRTUAL TABLE merchant_search USING fts5 (
	trading_name, legal_name, content = 'merchant', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER merchant_search_insert AFTER INSERT ON merchant
BEGIN
	INSERT INTO merchant_search (rowid, trading_name, legal_name)
		VALUES (new.id, new.trading_name, new.legal_name);
END;
CREATE TRIGGER merchant_search_delete AFTER DELETE ON merchant
BEGIN
	INSERT INTO merchant_search (merchant_search, rowid, trading_name, legal_name)
		VALUES ('delete', old.id, old.trading_name, old.legal_name);
END;
CREATE TRIGGER merchant_search_update AFTER UPDATE OF trading_name, legal_name ON merchant
BEGIN
	INSERT INTO merchant_search (merchant_search, rowid, trading_name, legal_name)
		VALUES ('delete', old.id, old.trading_name, old.legal_name);
	INSERT INTO merchant_search (rowid, trading_name, legal_name)
		VALUES (new.id, new.trading_name, new.legal_name);
END;

-- Backfill: index the merchants that version 1 already holds.
INSERT INTO merchant_search (merchant_search) VALUES ('rebuild');
