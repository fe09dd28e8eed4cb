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
ranked AS (
    SELECT
        department_id,
        ms,
        -- BIGINT: ROW_NUMBER() - 1 is otherwise a DECIMAL, whose comparison with the
        -- DOUBLE position below DataFusion gets wrong for some values (apache/datafusion#14272).
        CAST(ROW_NUMBER() OVER (PARTITION BY department_id ORDER BY ms) AS BIGINT) - 1 AS i,
        CAST((COUNT(*) OVER (PARTITION BY department_id) - 1) * 5 AS DOUBLE) / 10 AS pos,
        COUNT(*) OVER (PARTITION BY department_id) AS n
    FROM v
)
SELECT
    department_id,
    MAX(CASE WHEN i = FLOOR(pos) THEN ms END)
        + (MAX(pos) - FLOOR(MAX(pos)))
        * (MAX(CASE WHEN i = CEIL(pos) THEN ms END) - MAX(CASE WHEN i = FLOOR(pos) THEN ms END)) AS value,
    MAX(n) AS sample_size
FROM ranked
GROUP BY department_id
