-- evidence: exchanges
-- The successful exchanges it asked of other departments (the value counts their
-- distinct providers).
SELECT
    consumer_dept AS department_id,
    event_id,
    requested_at,
    provider_dept,
    resource_id
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept
