-- kpi: service_on_time_rate
-- title: Service cases completed within the legal time limit
-- title_zh: 政务服务按时办结率
-- unit_zh: 比率
-- description_zh: 考核期内办结且有承诺时限的办件中（不论办理结果），在承诺工作日内办结的比例。
-- dimension: service
-- unit: ratio
-- direction: higher
-- description: cases completed in the period (whatever their status) within promised_days
--   working days, over cases completed in the period that have promised_days.
WITH c AS (
    SELECT
        s.dept_id,
        s.promised_days,
        cb.workday_seq - ca.workday_seq AS days_taken
    FROM services_completed s
    JOIN calendar ca ON ca.date = s.submitted_date
    JOIN calendar cb ON cb.date = s.completed_date
    WHERE s.promised_days IS NOT NULL
)
SELECT
    dept_id AS department_id,
    CAST(SUM(CASE WHEN days_taken <= promised_days THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN days_taken <= promised_days THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM c
GROUP BY dept_id
