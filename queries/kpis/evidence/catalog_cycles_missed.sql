-- evidence: catalog
-- items: resource_id label title by sum(cycles_missed)
-- items_title: catalog entries with the most update cycles missed
-- items_title_zh: 错过更新周期最多的目录
-- items_by_title: cycles missed
-- items_by_title_zh: 错过周期数
-- Its catalog entries with a regular update cycle, each with the update cycles it has
-- missed by the period's end (the value is their mean).
WITH periodic AS (
    SELECT
        c.dept_id,
        c.resource_id,
        c.title,
        c.update_cycle,
        COALESCE(c.last_updated_at, c.registered_at) AS last_update,
        date_part('epoch', p.end_ts)
            - date_part('epoch', COALESCE(c.last_updated_at, c.registered_at)) AS age_s,
        86400.0 * CASE c.update_cycle
            WHEN 'realtime' THEN 1
            WHEN 'daily' THEN 2
            WHEN 'weekly' THEN 8
            WHEN 'monthly' THEN 32
            WHEN 'quarterly' THEN 93
            WHEN 'yearly' THEN 367
        END AS allowance_s
    FROM catalog c
    CROSS JOIN period p
    WHERE c.update_cycle <> 'irregular'
)
SELECT
    dept_id AS department_id,
    resource_id,
    title,
    update_cycle,
    last_update,
    CASE WHEN age_s > allowance_s THEN CAST(ceil(age_s / allowance_s) AS BIGINT) - 1
        ELSE 0 END AS cycles_missed
FROM periodic
