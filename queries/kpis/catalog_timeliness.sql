-- kpi: catalog_timeliness
-- title: Catalogued resources updated on schedule
-- title_zh: 目录资源更新及时率
-- unit_zh: 比率
-- description_zh: 更新周期为定期的资源中，最近一次更新在考核期末前相应周期容许天数内的资源所占比例（实时1天、每日2天、每周8天、每月32天、每季93天、每年367天，每天按24小时计）；期末及之后的更新不计入（以期末时的目录为准）。
-- dimension: sharing
-- unit: ratio
-- direction: higher
-- description: resources with a periodic update cycle whose last update lies within the
--   cycle's allowance before the period end (realtime 1 day, daily 2, weekly 8, monthly
--   32, quarterly 93, yearly 367; days of 24 hours), over its resources with a periodic
--   cycle. An update at or after the end is not seen (the catalog as of the end).
WITH periodic AS (
    SELECT
        c.dept_id,
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
),
judged AS (
    SELECT
        dept_id,
        CASE WHEN last_updated_at >= due_since AND last_updated_at < end_ts THEN 1 ELSE 0 END AS timely
    FROM periodic
)
SELECT
    dept_id AS department_id,
    CAST(SUM(timely) AS DOUBLE) / COUNT(*) AS value,
    SUM(timely) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM judged
GROUP BY dept_id
