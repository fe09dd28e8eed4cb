-- kpi: shared_data_reuse_rate
-- title: Cases where shared data replaced documents
-- title_zh: 共享数据复用率
-- unit_zh: 比率
-- description_zh: 考核期内提交、已知是否使用共享数据的办件中，使用共享数据替代申请材料的比例。
-- dimension: co_creation
-- unit: ratio
-- direction: higher
-- description: its cases with shared_data_used true, over its cases with it known
--   (submitted in the period).
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN shared_data_used THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN shared_data_used THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM services
WHERE shared_data_used IS NOT NULL
GROUP BY dept_id
