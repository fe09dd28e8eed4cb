-- evidence: exchanges
-- The successful exchanges it provided to other departments, with the records each
-- carried (the value is their sum).
SELECT
    provider_dept AS department_id,
    event_id,
    requested_at,
    consumer_dept,
    resource_id,
    COALESCE(records, 0) AS records
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept
