-- evidence: services
-- items: service_id where not in_numerator
-- items_title: services with the most ratings below 4
-- items_title_zh: 评价低于4分最多的事项
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
