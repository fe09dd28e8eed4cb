-- request_decision_days as a researcher writes it in DuckDB: quantile_cont for the
-- median of the working days from submission to decision.
SELECT
    r.provider_dept AS department_id,
    quantile_cont(cb.workday_seq - ca.workday_seq, 0.5) AS value,
    COUNT(*) AS sample_size
FROM share_requests r
JOIN calendar ca ON ca.date = r.submitted_date
JOIN calendar cb ON cb.date = r.decided_date
WHERE r.decided_at IS NOT NULL
GROUP BY r.provider_dept
