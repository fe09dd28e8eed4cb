-- The 18 built-in KPIs of several periods as one hand-fused DuckDB statement: fused.sql
-- grouped by period as well as by department. It reads the views of
-- bench/kpi_duckdb_quarters.py, whose rows carry their period (`period`, its `end_ts`
-- and `end_date`), and returns `period, kpi, department_id, value` with the rows and
-- values of the KPI files run period by period (bench/run.sh compares them).
WITH ex AS MATERIALIZED (
    SELECT
        period,
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
        period,
        provider_dept AS department_id,
        COUNT(*) FILTER (WHERE other) AS n_other,
        COUNT(*) FILTER (WHERE other AND ok) AS n_ok,
        SUM(COALESCE(records, 0)) FILTER (WHERE other AND ok) AS records,
        COUNT(DISTINCT consumer_dept) FILTER (WHERE other AND ok) AS consumers,
        quantile_cont(ms, 0.5) FILTER (WHERE other AND ok AND ms IS NOT NULL) AS p50,
        quantile_cont(ms, 0.9) FILTER (WHERE other AND ok AND ms IS NOT NULL) AS p90
    FROM ex
    GROUP BY period, provider_dept
),
by_consumer AS (
    SELECT period, consumer_dept AS department_id, COUNT(DISTINCT provider_dept) AS providers
    FROM ex
    WHERE other AND ok
    GROUP BY period, consumer_dept
),
cat AS MATERIALIZED (
    SELECT
        period,
        dept_id,
        resource_id,
        share_type,
        update_cycle,
        last_updated_at,
        end_ts,
        CASE update_cycle
            WHEN 'realtime' THEN end_ts - INTERVAL '1' DAY
            WHEN 'daily' THEN end_ts - INTERVAL '2' DAY
            WHEN 'weekly' THEN end_ts - INTERVAL '8' DAY
            WHEN 'monthly' THEN end_ts - INTERVAL '32' DAY
            WHEN 'quarterly' THEN end_ts - INTERVAL '93' DAY
            WHEN 'yearly' THEN end_ts - INTERVAL '367' DAY
        END AS due_since
    FROM catalog
),
used AS (
    SELECT DISTINCT c.period, c.resource_id
    FROM ex
    JOIN cat c ON ex.period = c.period AND ex.resource_id = c.resource_id
    WHERE ex.ok AND ex.consumer_dept <> c.dept_id
        AND c.share_type IN ('unconditional', 'conditional')
),
by_owner AS (
    SELECT
        c.period,
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
    LEFT JOIN used u ON u.period = c.period AND u.resource_id = c.resource_id
        AND c.share_type IN ('unconditional', 'conditional')
    GROUP BY c.period, c.dept_id
),
req AS (
    SELECT
        s.period,
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
    JOIN calendar ce ON ce.date = s.end_date
    GROUP BY s.period, s.provider_dept
),
svc AS (
    SELECT
        period,
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
    GROUP BY period, dept_id
),
done AS (
    SELECT
        s.period,
        s.dept_id AS department_id,
        COUNT(*) AS n,
        COUNT(*) FILTER (WHERE cb.workday_seq - ca.workday_seq <= s.promised_days) AS on_time
    FROM services_completed s
    JOIN calendar ca ON ca.date = s.submitted_date
    JOIN calendar cb ON cb.date = s.completed_date
    WHERE s.promised_days IS NOT NULL
    GROUP BY s.period, s.dept_id
)
SELECT period, 'exchange_success_rate' AS kpi, department_id, CAST(n_ok AS DOUBLE) / n_other AS value
FROM by_provider WHERE n_other > 0
UNION ALL SELECT period, 'records_provided', department_id, records FROM by_provider WHERE n_ok > 0
UNION ALL SELECT period, 'consumers_served', department_id, consumers FROM by_provider WHERE n_ok > 0
UNION ALL SELECT period, 'response_p50_ms', department_id, p50 FROM by_provider WHERE p50 IS NOT NULL
UNION ALL SELECT period, 'response_p90_ms', department_id, p90 FROM by_provider WHERE p90 IS NOT NULL
UNION ALL SELECT period, 'providers_used', department_id, providers FROM by_consumer
UNION ALL SELECT period, 'catalog_shareable_ratio', department_id, CAST(shareable AS DOUBLE) / n
FROM by_owner
UNION ALL SELECT period, 'catalog_unconditional_ratio', department_id, CAST(unconditional AS DOUBLE) / n
FROM by_owner
UNION ALL SELECT period, 'catalog_timeliness', department_id, CAST(timely AS DOUBLE) / cyclic
FROM by_owner WHERE cyclic > 0
UNION ALL SELECT period, 'resources_in_use', department_id, CAST(in_use AS DOUBLE) / shareable
FROM by_owner WHERE shareable > 0
UNION ALL SELECT period, 'request_approval_rate', department_id, CAST(approved AS DOUBLE) / decided
FROM req WHERE decided > 0
UNION ALL SELECT period, 'request_decision_days', department_id, decision_days
FROM req WHERE decision_days IS NOT NULL
UNION ALL SELECT period, 'request_on_time_rate', department_id, CAST(on_time AS DOUBLE) / due
FROM req WHERE due > 0
UNION ALL SELECT period, 'online_rate', department_id, CAST(online AS DOUBLE) / n FROM svc
UNION ALL SELECT period, 'satisfaction_rate', department_id, CAST(satisfied AS DOUBLE) / rated
FROM svc WHERE rated > 0
UNION ALL SELECT period, 'shared_data_reuse_rate', department_id, CAST(reused AS DOUBLE) / reuse_known
FROM svc WHERE reuse_known > 0
UNION ALL SELECT period, 'zero_visit_rate', department_id, CAST(zero_visits AS DOUBLE) / visits_known
FROM svc WHERE visits_known > 0
UNION ALL SELECT period, 'service_on_time_rate', department_id, CAST(on_time AS DOUBLE) / n FROM done
