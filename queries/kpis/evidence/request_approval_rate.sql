-- evidence: share_requests
-- The share requests to it that were decided; the approved ones are the numerator.
SELECT
    provider_dept AS department_id,
    request_id,
    submitted_at,
    decided_at,
    consumer_dept,
    decision,
    decision = 'approved' AS in_numerator
FROM share_requests
WHERE decision IN ('approved', 'rejected')
