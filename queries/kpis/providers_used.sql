-- kpi: providers_used
-- title: Departments it drew data from
-- title_zh: 使用共享数据来源部门数
-- unit_zh: 个部门
-- description_zh: 成功从中获取过数据的其他部门个数。
-- dimension: co_creation
-- unit: departments
-- direction: higher
-- missing: zero
-- description: distinct other departments it consumed from successfully.
SELECT
    consumer_dept AS department_id,
    COUNT(DISTINCT provider_dept) AS value,
    COUNT(*) AS sample_size
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept
GROUP BY consumer_dept
