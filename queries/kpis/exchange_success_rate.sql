-- kpi: exchange_success_rate
-- title: Exchange success rate
-- title_zh: 数据交换成功率
-- unit_zh: 比率
-- description_zh: 向其他部门提供的成功交换次数，占其他部门向其发起的全部交换次数的比例。
-- dimension: responsiveness
-- unit: ratio
-- direction: higher
-- description: successful exchanges it provided to other departments, over all exchanges
--   other departments asked of it.
SELECT
    provider_dept AS department_id,
    CAST(SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM exchanges
WHERE consumer_dept <> provider_dept
GROUP BY provider_dept
