-- evidence: share_requests
-- items: request_id where not in_numerator by max(days)
-- items_title: share requests decided late or still waiting
-- items_title_zh: 逾期办结或仍未办结的共享申请
-- items_by_title: working days
-- items_by_title_zh: 工作日
-- The share requests to it that were decided, or had waited 5 working days by the
-- period's end, with the working days taken, or waited by then (days); those decided
-- within 5 working days are the numerator.
SELECT
    s.provider_dept AS department_id,
    s.request_id,
    s.consumer_dept,
    s.submitted_at,
    s.decided_at,
    cb.workday_seq - ca.workday_seq AS days_taken,
    ce.workday_seq - ca.workday_seq AS days_waited,
    COALESCE(cb.workday_seq, ce.workday_seq) - ca.workday_seq AS days,
    COALESCE(s.decided_at IS NOT NULL AND cb.workday_seq - ca.workday_seq <= 5, false)
        AS in_numerator
FROM share_requests s
JOIN calendar ca ON ca.date = s.submitted_date
LEFT JOIN calendar cb ON cb.date = s.decided_date
CROSS JOIN period p
JOIN calendar ce ON ce.date = p.end_date
WHERE s.decided_at IS NOT NULL OR ce.workday_seq - ca.workday_seq >= 5
