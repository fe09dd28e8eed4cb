-- The 18 built-in KPIs as one hand-fused DuckDB statement, the way an analyst tuning
-- for speed would write them: each table read once, every KPI of that table computed
-- in one aggregation with FILTER clauses, percentiles by quantile_cont. It reads the
-- same scoped views as bench/kpi_duckdb.py and returns `kpi, department_id, value`
-- with the same rows and values as the KPI files (bench/run.sh compares them).
WITH ex AS MATERIALIZED (
    SELECT
        provider_dept,
        consumer_dept,
        resource_id,
        records,
        status = 'success' AS ok,
        consumer_dept <> provider_dept AS other,
        ROUND((epoch(responded_at) - epoch(requested_at)) * 1000, 3) AS ms
    FROM exchanges
),
by_provider AS (
    SELECT
        provider_dept AS department_id,
        COUNT(*) FILTER (WHERE other) AS n_other,
        COUNT(*) FILTER (WHERE other AND ok) AS n_ok,
        SUM(COALESCE(records, 0)) FILTER (WHERE other AND ok) AS records,
        COUNT(DISTINCT consumer_dept) FILTER (WHERE other AND ok) AS consumers,
        quantile_cont(ms, 0.5) FILTER (WHERE other AND ok AND ms IS NOT NULL) AS p50,
        quantile_cont(ms, 0.9) FILTER (WHERE other AND ok AND ms IS NOT NULL) AS p90
    FROM ex
    GROUP BY provider_dept
),
by_consumer AS (
    SELECT consumer_dept AS department_id, COUNT(DISTINCT provider_dept) AS providers
    FROM ex
    WHERE other AND ok
    GROUP BY consumer_dept
),
cat AS MATERIALIZED (
    SELECT
        c.dept_id,
        c.resource_id,
        c.share_type,
        c.update_cycle,
        c.last_updated_at,
        p.end_ts,
        CASE c.update_cycle
            WHEN 'realtime' THEN p.end_ts - INTERVAL '1' DAY
            WHEN 'daily' THEN p.end_ts - INTERVAL '2' DAY
            WHEN 'weekly' THEN p.end_ts - INTERVAL '8' DAY
            WHEN 'monthly' THEN p.end_ts - INTERVAL '32' DAY
            WHEN 'quarterly' THEN p.end_ts - INTERVAL '93' DAY
            WHEN 'yearly' THEN p.end_ts - INTERVAL '367' DAY
        END AS due_since
    FROM catalog c
    CROSS JOIN period p
),
used AS (
    SELECT DISTINCT c.resource_id
    FROM ex
    JOIN cat c ON ex.resource_id = c.resource_id
    WHERE ex.ok AND ex.consumer_dept <> c.dept_id
        AND c.share_type IN ('unconditional', 'conditional')
),
by_owner AS (
    SELECT
        c.dept_id AS department_id,
        COUNT(*) AS n,
        COUNT(*) FILTER (WHERE c.share_type IN ('unconditional', 'conditional')) AS shareable,
        COUNT(*) FILTER (WHERE c.share_type = 'unconditional') AS unconditional,
        COUNT(*) FILTER (WHERE c.update_cycle <> 'irregular') AS cyclic,
        COUNT(*) FILTER (
            WHERE c.update_cycle <> 'irregular'
                AND c.last_updated_at >= c.due_since AND c.last_updated_at < c.end_ts
        ) AS timely,
        COUNT(u.resource_id) AS in_use
    FROM cat c
    LEFT JOIN used u ON u.resource_id = c.resource_id
        AND c.share_type IN ('unconditional', 'conditional')
    GROUP BY c.dept_id
),
req AS (
    SELECT
        s.provider_dept AS department_id,
        COUNT(*) FILTER (WHERE s.decision IN ('approved', 'rejected')) AS decided,
        COUNT(*) FILTER (WHERE s.decision = 'approved') AS approved,
        quantile_cont(cb.workday_seq - ca.workday_seq, 0.5)
            FILTER (WHERE s.decided_at IS NOT NULL AND cb.date IS NOT NULL) AS decision_days,
        COUNT(*) FILTER (WHERE s.decided_at IS NOT NULL OR ce.workday_seq - ca.workday_seq >= 5)
            AS due,
        COUNT(*) FILTER (WHERE s.decided_at IS NOT NULL AND cb.workday_seq - ca.workday_seq <= 5)
            AS on_time
    FROM share_requests s
    JOIN calendar ca ON ca.date = s.submitted_date
    LEFT JOIN calendar cb ON cb.date = s.decided_date
    CROSS JOIN period p
    JOIN calendar ce ON ce.date = p.end_date
    GROUP BY s.provider_dept
),
svc AS (
    SELECT
        dept_id AS department_id,
        COUNT(*) AS n,
        COUNT(*) FILTER (WHERE channel IN ('online', 'mobile', 'self_service')) AS online,
        COUNT(rating) AS rated,
        COUNT(*) FILTER (WHERE rating >= 4) AS satisfied,
        COUNT(shared_data_used) AS reuse_known,
        COUNT(*) FILTER (WHERE shared_data_used) AS reused,
        COUNT(visits) AS visits_known,
        COUNT(*) FILTER (WHERE visits = 0) AS zero_visits
    FROM services
    GROUP BY dept_id
),
done AS (
    SELECT
        s.dept_id AS department_id,
        COUNT(*) AS n,
        COUNT(*) FILTER (WHERE cb.workday_seq - ca.workday_seq <= s.promised_days) AS on_time
    FROM services_completed s
    JOIN calendar ca ON ca.date = s.submitted_date
    JOIN calendar cb ON cb.date = s.completed_date
    WHERE s.promised_days IS NOT NULL
    GROUP BY s.dept_id
)
SELECT 'exchange_success_rate' AS kpi, department_id, CAST(n_ok AS DOUBLE) / n_other AS value
FROM by_provider WHERE n_other > 0
UNION ALL SELECT 'records_provided', department_id, records FROM by_provider WHERE n_ok > 0
UNION ALL SELECT 'consumers_served', department_id, consumers FROM by_provider WHERE n_ok > 0
UNION ALL SELECT 'response_p50_ms', department_id, p50 FROM by_provider WHERE p50 IS NOT NULL
UNION ALL SELECT 'response_p90_ms', department_id, p90 FROM by_provider WHERE p90 IS NOT NULL
UNION ALL SELECT 'providers_used', department_id, providers FROM by_consumer
UNION ALL SELECT 'catalog_shareable_ratio', department_id, CAST(shareable AS DOUBLE) / n FROM by_owner
UNION ALL SELECT 'catalog_unconditional_ratio', department_id, CAST(unconditional AS DOUBLE) / n
FROM by_owner
UNION ALL SELECT 'catalog_timeliness', department_id, CAST(timely AS DOUBLE) / cyclic
FROM by_owner WHERE cyclic > 0
UNION ALL SELECT 'resources_in_use', department_id, CAST(in_use AS DOUBLE) / shareable
FROM by_owner WHERE shareable > 0
UNION ALL SELECT 'request_approval_rate', department_id, CAST(approved AS DOUBLE) / decided
FROM req WHERE decided > 0
UNION ALL SELECT 'request_decision_days', department_id, decision_days
FROM req WHERE decision_days IS NOT NULL
UNION ALL SELECT 'request_on_time_rate', department_id, CAST(on_time AS DOUBLE) / due
FROM req WHERE due > 0
UNION ALL SELECT 'online_rate', department_id, CAST(online AS DOUBLE) / n FROM svc
UNION ALL SELECT 'satisfaction_rate', department_id, CAST(satisfied AS DOUBLE) / rated
FROM svc WHERE rated > 0
UNION ALL SELECT 'shared_data_reuse_rate', department_id, CAST(reused AS DOUBLE) / reuse_known
FROM svc WHERE reuse_known > 0
UNION ALL SELECT 'zero_visit_rate', department_id, CAST(zero_visits AS DOUBLE) / visits_known
FROM svc WHERE visits_known > 0
UNION ALL SELECT 'service_on_time_rate', department_id, CAST(on_time AS DOUBLE) / n FROM done
