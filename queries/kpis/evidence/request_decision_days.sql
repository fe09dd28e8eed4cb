-- evidence: share_requests
-- items: request_id by max(days)
-- items_title: share requests that took longest to decide
-- items_title_zh: 办理用时最长的共享申请
-- items_by_title: working days
-- items_by_title_zh: 工作日
-- The share requests to it decided in the period, each with the working days its
-- decision took (the value is their median).
SELECT
    r.provider_dept AS department_id,
    r.request_id,
    r.consumer_dept,
    r.submitted_at,
    r.decided_at,
    r.decision,
    cb.workday_seq - ca.workday_seq AS days
FROM share_requests r
JOIN calendar ca ON ca.date = r.submitted_date
JOIN calendar cb ON cb.date = r.decided_date
WHERE r.decided_at IS NOT NULL
