-- evidence: share_requests
-- The share requests to it that were decided, or had waited 5 working days by the
-- period's end; those decided within 5 working days are the numerator.
SELECT
    s.provider_dept AS department_id,
    s.request_id,
    s.consumer_dept,
    s.submitted_at,
    s.decided_at,
    cb.workday_seq - ca.workday_seq AS days_taken,
    ce.workday_seq - ca.workday_seq AS days_waited,
    COALESCE(s.decided_at IS NOT NULL AND cb.workday_seq - ca.workday_seq <= 5, false)
        AS in_numerator
FROM share_requests s
JOIN calendar ca ON ca.date = s.submitted_date
LEFT JOIN calendar cb ON cb.date = s.decided_date
CROSS JOIN period p
JOIN calendar ce ON ce.date = p.end_date
WHERE s.decided_at IS NOT NULL OR ce.workday_seq - ca.workday_seq >= 5
