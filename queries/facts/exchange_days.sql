-- Each provider's exchanges with other departments per local day, and each busy
-- consumer→provider pair's (consumer_dept NULL on a provider's rows): for the anomaly
-- detector. n: exchanges; failed: not successful; timed: successful with a response
-- time; p90_ms: their 90th percentile (t-digest, approximate: a flag compares it with
-- the weeks before, it is not published as a KPI). $1: the exchanges a pair needs in
-- the window to be a candidate busy pair; only those get days of their own, and
-- without a p90 (a pair's response time is its provider's, judged on the provider's
-- days; a t-digest per day of every busy pair took over 1 GiB at 50 million
-- exchanges).
WITH v AS (
    SELECT provider_dept, consumer_dept, requested_date AS day, status,
           CASE WHEN status = 'success' AND responded_at IS NOT NULL
                THEN (EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000
           END AS ms
    FROM exchanges
    WHERE consumer_dept <> provider_dept
),
busy AS (
    SELECT provider_dept, consumer_dept FROM v
    GROUP BY provider_dept, consumer_dept
    HAVING COUNT(*) >= $1
)
SELECT provider_dept, CAST(NULL AS VARCHAR) AS consumer_dept, day,
       COUNT(*) AS n,
       SUM(CASE WHEN status <> 'success' THEN 1 ELSE 0 END) AS failed,
       COUNT(ms) AS timed,
       approx_percentile_cont(ms, 0.9) AS p90_ms
FROM v
GROUP BY provider_dept, day
UNION ALL
SELECT v.provider_dept, v.consumer_dept, v.day,
       COUNT(*) AS n,
       SUM(CASE WHEN v.status <> 'success' THEN 1 ELSE 0 END) AS failed,
       COUNT(v.ms) AS timed,
       CAST(NULL AS DOUBLE) AS p90_ms
-- The few busy pairs on the build side of the join.
FROM busy JOIN v ON v.provider_dept = busy.provider_dept AND v.consumer_dept = busy.consumer_dept
GROUP BY v.provider_dept, v.consumer_dept, v.day
