-- kpi: request_decision_days
-- title: Median working days to decide a share request
-- title_zh: 共享申请办理时长中位数（工作日）
-- dimension: responsiveness
-- unit: working days
-- direction: lower
-- description: median of the working days from submission to decision, over the share
--   requests to it decided by the period end. Working days in (submitted date, decided
--   date] = workday_seq(decided) - workday_seq(submitted), local dates.
WITH d AS (
    SELECT
        r.provider_dept AS department_id,
        cb.workday_seq - ca.workday_seq AS days
    FROM share_requests r
    JOIN calendar ca ON ca.date = r.submitted_date
    JOIN calendar cb ON cb.date = r.decided_date
    WHERE r.decided_at IS NOT NULL
),
sorted AS (
    -- Each department's values, sorted; the position (n - 1) * p of the sorted values,
    -- and linear interpolation between the two nearest (arrays are 1-based).
    SELECT
        department_id,
        array_sort(array_agg(days)) AS s,
        COUNT(*) AS n,
        CAST(COUNT(*) - 1 AS DOUBLE) / 2 AS pos
    FROM d
    GROUP BY department_id
)
SELECT
    department_id,
    s[CAST(FLOOR(pos) AS BIGINT) + 1]
        + (pos - FLOOR(pos)) * (s[CAST(CEIL(pos) AS BIGINT) + 1] - s[CAST(FLOOR(pos) AS BIGINT) + 1]) AS value,
    n AS sample_size
FROM sorted
