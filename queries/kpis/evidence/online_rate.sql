-- evidence: services
-- items: service_id where not in_numerator
-- items_title: services with the most cases handled off-line
-- items_title_zh: 线下办理最多的事项
-- Its service cases; those submitted online, on mobile or at a self-service terminal
-- are the numerator.
SELECT
    dept_id AS department_id,
    case_id,
    submitted_at,
    service_id,
    channel,
    channel IN ('online', 'mobile', 'self_service') AS in_numerator
FROM services
