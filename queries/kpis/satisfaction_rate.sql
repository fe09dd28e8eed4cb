-- kpi: satisfaction_rate
-- title: Citizens satisfied (rated 4 or 5)
-- title_zh: 好评率
-- unit_zh: 比率
-- description_zh: 考核期内提交并有评价的办件中，评价为4分或5分的比例。
-- dimension: service
-- unit: ratio
-- direction: higher
-- description: its cases rated 4 or 5, over its rated cases (submitted in the period).
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM services
WHERE rating IS NOT NULL
GROUP BY dept_id
