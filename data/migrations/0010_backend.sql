-- 0010_backend.sql -- schema version 10: no change yet.
SELECT 1;
