-- kpi: response_p50_ms
-- title: Median response time
-- title_zh: 响应时间中位数
-- unit_zh: 毫秒
-- description_zh: 向其他部门提供的、有响应时间的成功交换中，响应时间（响应时刻减去请求时刻，以毫秒计）的精确第50百分位数（按排序后第 (n−1)×0.5 位在相邻两值间线性插值）。
-- dimension: responsiveness
-- unit: ms
-- direction: lower
-- description: exact continuous 50th percentile (linear interpolation between the two
--   nearest values, at position (n - 1) * 0.5 of the sorted values) of responded_at -
--   requested_at in milliseconds, over its successful exchanges to other departments that
--   have a responded_at.
WITH v AS (
    SELECT
        provider_dept AS department_id,
        ROUND((EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3) AS ms
    FROM exchanges
    WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
),
counted AS (
    -- How many times each value occurs, per department.
    SELECT department_id, ms, COUNT(*) AS c
    FROM v
    GROUP BY department_id, ms
),
cumulative AS (
    -- upto: how many of the department's values are at most this one; n: how many in all.
    SELECT
        department_id,
        ms,
        SUM(c) OVER (PARTITION BY department_id ORDER BY ms ROWS UNBOUNDED PRECEDING) AS upto,
        SUM(c) OVER (PARTITION BY department_id) AS n
    FROM counted
),
ends AS (
    -- The sorted values at the 0-based positions FLOOR(pos) and CEIL(pos), pos being
    -- (n - 1) * p: the smallest value whose cumulative count exceeds the position.
    SELECT
        department_id,
        pos,
        n,
        MIN(CASE WHEN upto > FLOOR(pos) THEN ms END) AS lo,
        MIN(CASE WHEN upto > CEIL(pos) THEN ms END) AS hi
    FROM (SELECT *, CAST(n - 1 AS DOUBLE) / 2 AS pos FROM cumulative) AS c
    GROUP BY department_id, pos, n
)
-- Linear interpolation between the two.
SELECT department_id, lo + (pos - FLOOR(pos)) * (hi - lo) AS value, n AS sample_size
FROM ends
