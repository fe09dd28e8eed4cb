-- evidence: services
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
