-- kpi: request_decision_days
-- title: Median working days to decide a share request
-- title_zh: 共享申请办理时长中位数（工作日）
-- unit_zh: 工作日
-- description_zh: 向其提出、在考核期末前已作出决定的共享申请，从提交到决定所用工作日数的中位数；工作日按当地日期计，即提交日次日至决定日（含）之间的工作日数。
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
counted AS (
    -- How many times each value occurs, per department.
    SELECT department_id, days, COUNT(*) AS c
    FROM d
    GROUP BY department_id, days
),
cumulative AS (
    -- upto: how many of the department's values are at most this one; n: how many in all.
    SELECT
        department_id,
        days,
        SUM(c) OVER (PARTITION BY department_id ORDER BY days ROWS UNBOUNDED PRECEDING) AS upto,
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
        MIN(CASE WHEN upto > FLOOR(pos) THEN days END) AS lo,
        MIN(CASE WHEN upto > CEIL(pos) THEN days END) AS hi
    FROM (SELECT *, CAST(n - 1 AS DOUBLE) / 2 AS pos FROM cumulative) AS c
    GROUP BY department_id, pos, n
)
-- Linear interpolation between the two.
SELECT department_id, lo + (pos - FLOOR(pos)) * (hi - lo) AS value, n AS sample_size
FROM ends
