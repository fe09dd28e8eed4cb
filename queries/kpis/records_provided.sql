-- kpi: records_provided
-- title: Records provided to other departments
-- title_zh: 向其他部门提供数据量
-- unit_zh: 条
-- description_zh: 向其他部门成功交换的数据记录条数之和（未填记录数按0计）。
-- dimension: sharing
-- unit: records
-- direction: higher
-- missing: zero
-- description: sum of records (null counts as 0) over its successful exchanges to other
--   departments.
SELECT
    provider_dept AS department_id,
    SUM(COALESCE(records, 0)) AS value,
    COUNT(*) AS sample_size
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept
GROUP BY provider_dept
