-- response_p90_ms as a researcher writes it in DuckDB: its own exact continuous
-- percentile (the same definition as the KPI file: linear interpolation at (n - 1) * p).
SELECT
    provider_dept AS department_id,
    quantile_cont(ROUND((epoch(responded_at) - epoch(requested_at)) * 1000, 3), 0.9) AS value,
    COUNT(*) AS sample_size
FROM exchanges
WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
GROUP BY provider_dept
