-- kpi: response_p90_ms
-- title: 90th-percentile response time
-- title_zh: 响应时间90分位数
-- unit_zh: 毫秒
-- description_zh: 向其他部门提供的、有响应时间的成功交换中，响应时间（响应时刻减去请求时刻，以毫秒计）的精确第90百分位数（按排序后第 (n−1)×0.9 位在相邻两值间线性插值）。
-- dimension: responsiveness
-- unit: ms
-- direction: lower
-- description: exact continuous 90th percentile (linear interpolation between the two
--   nearest values, at position (n - 1) * 0.9 of the sorted values) of responded_at -
--   requested_at in milliseconds, over its successful exchanges to other departments that
--   have a responded_at.
SELECT
    provider_dept AS department_id,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY ROUND(
        (EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3
    )) AS value,
    COUNT(*) AS sample_size
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
GROUP BY provider_dept
