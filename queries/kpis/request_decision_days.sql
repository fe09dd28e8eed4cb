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
ranked AS (
    SELECT
        department_id,
        days,
        -- BIGINT: ROW_NUMBER() - 1 is otherwise a DECIMAL, whose comparison with the
        -- DOUBLE position below DataFusion gets wrong for some values (apache/datafusion#14272).
        CAST(ROW_NUMBER() OVER (PARTITION BY department_id ORDER BY days) AS BIGINT) - 1 AS i,
        CAST(COUNT(*) OVER (PARTITION BY department_id) - 1 AS DOUBLE) / 2 AS pos,
        COUNT(*) OVER (PARTITION BY department_id) AS n
    FROM d
)
SELECT
    department_id,
    MAX(CASE WHEN i = FLOOR(pos) THEN days END)
        + (MAX(pos) - FLOOR(MAX(pos)))
        * (MAX(CASE WHEN i = CEIL(pos) THEN days END) - MAX(CASE WHEN i = FLOOR(pos) THEN days END)) AS value,
    MAX(n) AS sample_size
FROM ranked
GROUP BY department_id
