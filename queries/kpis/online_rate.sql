-- kpi: online_rate
-- title: Cases handled without a visit to the hall
-- title_zh: 网上办理率
-- unit_zh: 比率
-- description_zh: 考核期内经网上、移动端或自助终端提交的办件数，占考核期内提交的全部办件数的比例。
-- dimension: service
-- unit: ratio
-- direction: higher
-- description: its cases submitted in the period via online, mobile or self_service, over
--   all its cases submitted in the period.
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN channel IN ('online', 'mobile', 'self_service') THEN 1 ELSE 0 END) AS DOUBLE)
        / COUNT(*) AS value,
    SUM(CASE WHEN channel IN ('online', 'mobile', 'self_service') THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM services
GROUP BY dept_id
