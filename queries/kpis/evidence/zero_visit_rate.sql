-- evidence: services
-- items: service_id where not in_numerator
-- items_title: services with the most cases needing a visit
-- items_title_zh: 需到现场办理最多的事项
-- Its service cases that count the applicant's visits; those without a visit are the
-- numerator.
SELECT
    dept_id AS department_id,
    case_id,
    submitted_at,
    service_id,
    visits,
    visits = 0 AS in_numerator
FROM services
WHERE visits IS NOT NULL
