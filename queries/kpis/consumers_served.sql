-- kpi: consumers_served
-- title: Departments served
-- title_zh: 服务部门数
-- unit_zh: 个部门
-- description_zh: 至少成功向其提供过一次数据交换的其他部门个数。
-- dimension: sharing
-- unit: departments
-- direction: higher
-- missing: zero
-- description: distinct other departments it served at least one successful exchange.
SELECT
    provider_dept AS department_id,
    COUNT(DISTINCT consumer_dept) AS value,
    COUNT(*) AS sample_size
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept
GROUP BY provider_dept
