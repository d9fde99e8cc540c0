-- 0012_payment_request.sql -- schema version 12: no change yet.
SELECT 1;
