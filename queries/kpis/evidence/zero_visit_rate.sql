-- evidence: services
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
