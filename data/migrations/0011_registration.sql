-- 0011_registration.sql -- schema version 11: no change yet.
SELECT 1;
