-- kpi: catalog_cycles_missed
-- title: Declared update cycles missed
-- title_zh: 目录资源平均逾期更新周期数
-- unit_zh: 个周期
-- description_zh: 更新周期为定期的资源，截至考核期末已错过的更新周期数的平均值：自最近一次更新（无更新记录时自登记起）至期末的时长，除以该周期的容许天数（与目录资源更新及时率相同：实时1天、每日2天、每周8天、每月32天、每季93天、每年367天），向上取整后减一（不小于0）。在容许天数内更新的资源为0。
-- dimension: sharing
-- unit: cycles
-- direction: lower
-- optional: true
-- description: over its resources with a periodic update cycle, the mean number of
--   cycles missed by the period end: the time from the last update (as known at the
--   end; from registration when there is none) to the end, over the
--   cycle's allowance of catalog_timeliness (realtime 1 day, daily 2, weekly 8,
--   monthly 32, quarterly 93, yearly 367), rounded up, less one, and at least 0. A
--   resource timely by catalog_timeliness has missed 0.
WITH periodic AS (
    SELECT
        c.dept_id,
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
),
missed AS (
    SELECT
        dept_id,
        CASE WHEN age_s > allowance_s THEN CAST(ceil(age_s / allowance_s) AS BIGINT) - 1
            ELSE 0 END AS cycles
    FROM periodic
)
SELECT
    dept_id AS department_id,
    CAST(SUM(cycles) AS DOUBLE) / COUNT(*) AS value,
    SUM(cycles) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM missed
GROUP BY dept_id
