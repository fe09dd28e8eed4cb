-- evidence: catalog
-- items: resource_id label title where not in_numerator
-- items_title: shared resources nobody used
-- items_title_zh: 无人使用的共享资源
-- Its shareable catalog entries, each with the successful exchanges other departments
-- made of it in the period; those used at least once are the numerator.
SELECT
    c.dept_id AS department_id,
    c.resource_id,
    c.title,
    c.share_type,
    COUNT(e.event_id) AS uses,
    COUNT(e.event_id) > 0 AS in_numerator
FROM catalog c
LEFT JOIN exchanges e
    ON e.resource_id = c.resource_id AND e.status = 'success' AND e.consumer_dept <> c.dept_id
WHERE c.share_type IN ('unconditional', 'conditional')
GROUP BY c.dept_id, c.resource_id, c.title, c.share_type
