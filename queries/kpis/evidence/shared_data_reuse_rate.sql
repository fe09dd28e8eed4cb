-- evidence: services
-- Its service cases that say whether shared data was used; those that used it are the
-- numerator.
SELECT
    dept_id AS department_id,
    case_id,
    submitted_at,
    service_id,
    shared_data_used AS in_numerator
FROM services
WHERE shared_data_used IS NOT NULL
