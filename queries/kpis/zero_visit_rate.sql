-- kpi: zero_visit_rate
-- title: Cases needing no in-person visit
-- title_zh: 零跑动率
-- unit_zh: 比率
-- description_zh: 考核期内提交、已知跑动次数的办件中，跑动次数为0的比例。
-- dimension: service
-- unit: ratio
-- direction: higher
-- description: its cases with visits = 0, over its cases with visits known (submitted in
--   the period).
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN visits = 0 THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN visits = 0 THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM services
WHERE visits IS NOT NULL
GROUP BY dept_id
