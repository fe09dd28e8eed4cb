-- kpi: catalog_unconditional_ratio
-- title: Share of catalogued resources shared unconditionally
-- title_zh: 目录资源无条件共享率
-- unit_zh: 比率
-- description_zh: 考核期末前登记、共享属性为无条件共享的资源数，占考核期末前登记的全部资源数的比例。
-- dimension: sharing
-- unit: ratio
-- direction: higher
-- description: resources registered before the period end with share_type unconditional,
--   over all its resources registered before the period end.
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN share_type = 'unconditional' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN share_type = 'unconditional' THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM catalog
GROUP BY dept_id
