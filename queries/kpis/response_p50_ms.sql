-- kpi: response_p50_ms
-- title: Median response time
-- title_zh: 响应时间中位数
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
sorted AS (
    -- Each department's values, sorted; the position (n - 1) * p of the sorted values,
    -- and linear interpolation between the two nearest (arrays are 1-based).
    SELECT
        department_id,
        array_sort(array_agg(ms)) AS s,
        COUNT(*) AS n,
        CAST(COUNT(*) - 1 AS DOUBLE) / 2 AS pos
    FROM v
    GROUP BY department_id
)
SELECT
    department_id,
    s[CAST(FLOOR(pos) AS BIGINT) + 1]
        + (pos - FLOOR(pos)) * (s[CAST(CEIL(pos) AS BIGINT) + 1] - s[CAST(FLOOR(pos) AS BIGINT) + 1]) AS value,
    n AS sample_size
FROM sorted
