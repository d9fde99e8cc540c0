-- 0013_statement.sql -- schema version 13: no change yet.
SELECT 1;
