-- kpi: resources_in_use
-- title: Shareable resources actually used
-- title_zh: 共享资源使用率
-- unit_zh: 比率
-- description_zh: 可共享资源（期末时为无条件或有条件共享）中，考核期内至少被一个非本部门使用方成功交换过一次的资源所占比例。
-- dimension: sharing
-- unit: ratio
-- direction: higher
-- description: its shareable resources (unconditional or conditional, as of the period
--   end) named by at least one successful exchange in the period whose consumer is not the
--   resource's owner, over its shareable resources.
WITH shareable AS (
    SELECT resource_id, dept_id
    FROM catalog
    WHERE share_type IN ('unconditional', 'conditional')
),
used AS (
    SELECT DISTINCT s.resource_id
    FROM exchanges e
    JOIN shareable s ON e.resource_id = s.resource_id
    WHERE e.status = 'success' AND e.consumer_dept <> s.dept_id
)
SELECT
    s.dept_id AS department_id,
    CAST(COUNT(u.resource_id) AS DOUBLE) / COUNT(*) AS value,
    COUNT(u.resource_id) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM shareable s
LEFT JOIN used u ON u.resource_id = s.resource_id
GROUP BY s.dept_id
