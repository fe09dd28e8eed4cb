-- evidence: catalog
-- items: resource_id label title where not in_numerator
-- items_title: catalog entries not updated when due
-- items_title_zh: 未按期更新的目录
-- Its catalog entries with a regular update cycle, each with the time from which an
-- update was due; those updated since then are the numerator.
WITH periodic AS (
    SELECT
        c.dept_id,
        c.resource_id,
        c.title,
        c.update_cycle,
        c.last_updated_at,
        p.end_ts,
        CASE c.update_cycle
            WHEN 'realtime' THEN p.end_ts - INTERVAL '1' DAY
            WHEN 'daily' THEN p.end_ts - INTERVAL '2' DAY
            WHEN 'weekly' THEN p.end_ts - INTERVAL '8' DAY
            WHEN 'monthly' THEN p.end_ts - INTERVAL '32' DAY
            WHEN 'quarterly' THEN p.end_ts - INTERVAL '93' DAY
            WHEN 'yearly' THEN p.end_ts - INTERVAL '367' DAY
        END AS due_since
    FROM catalog c
    CROSS JOIN period p
    WHERE c.update_cycle <> 'irregular'
)
SELECT
    dept_id AS department_id,
    resource_id,
    title,
    update_cycle,
    last_updated_at,
    due_since,
    COALESCE(last_updated_at >= due_since AND last_updated_at < end_ts, false) AS in_numerator
FROM periodic
