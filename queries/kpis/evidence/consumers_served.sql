-- evidence: exchanges
-- The successful exchanges it provided to other departments (the value counts their
-- distinct consumers).
SELECT
    provider_dept AS department_id,
    event_id,
    requested_at,
    consumer_dept,
    resource_id
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept
