-- evidence: services
-- Its rated service cases; a rating of 4 or 5 is the numerator.
SELECT
    dept_id AS department_id,
    case_id,
    submitted_at,
    service_id,
    rating,
    rating >= 4 AS in_numerator
FROM services
WHERE rating IS NOT NULL
