-- kpi: catalog_shareable_ratio
-- title: Share of catalogued resources open to sharing
-- title_zh: 目录资源可共享率
-- dimension: sharing
-- unit: ratio
-- direction: higher
-- description: resources registered before the period end with share_type unconditional
--   or conditional, over all its resources registered before the period end.
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN share_type IN ('unconditional', 'conditional') THEN 1 ELSE 0 END) AS DOUBLE)
        / COUNT(*) AS value,
    SUM(CASE WHEN share_type IN ('unconditional', 'conditional') THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM catalog
GROUP BY dept_id
