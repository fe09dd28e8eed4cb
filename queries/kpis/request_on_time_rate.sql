-- kpi: request_on_time_rate
-- title: Share requests decided within 5 working days
-- title_zh: 共享申请按时办结率
-- unit_zh: 比率
-- description_zh: 应办结的共享申请中在5个工作日内（含第5个）作出决定的比例；应办结的申请包括考核期末前已决定的申请，以及至考核期最后一天仍未决定但已超过5个工作日的申请。
-- dimension: responsiveness
-- unit: ratio
-- direction: higher
-- description: requests to it decided within 5 working days (the 5th included), over its
--   due requests: those decided by the period end, and those still pending whose 5
--   working days had passed by the period's last day.
WITH r AS (
    SELECT
        s.provider_dept,
        s.decided_at,
        cb.workday_seq - ca.workday_seq AS days_taken,
        ce.workday_seq - ca.workday_seq AS days_passed
    FROM share_requests s
    JOIN calendar ca ON ca.date = s.submitted_date
    LEFT JOIN calendar cb ON cb.date = s.decided_date
    CROSS JOIN period p
    JOIN calendar ce ON ce.date = p.end_date
)
SELECT
    provider_dept AS department_id,
    CAST(SUM(CASE WHEN decided_at IS NOT NULL AND days_taken <= 5 THEN 1 ELSE 0 END) AS DOUBLE)
        / COUNT(*) AS value,
    SUM(CASE WHEN decided_at IS NOT NULL AND days_taken <= 5 THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM r
WHERE decided_at IS NOT NULL OR days_passed >= 5
GROUP BY provider_dept
