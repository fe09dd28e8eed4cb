-- evidence: services
-- items: service_id where not in_numerator
-- items_title: services with the most cases not reusing shared data
-- items_title_zh: 未复用共享数据办件最多的事项
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
