-- evidence: share_requests
-- items: consumer_dept where not in_numerator
-- items_title: departments whose requests it rejected most
-- items_title_zh: 被驳回申请最多的申请部门
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
