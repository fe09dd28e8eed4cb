-- The spread of response times of the busiest providers, for the report's box plot:
-- the successful exchanges to other departments and the values `response_p50_ms`
-- takes, so that the box's median is that KPI's value. The five percentiles are exact
-- (linear interpolation at position (n - 1) * p of the sorted values), taken from the
-- cumulative counts of each distinct value as the percentile KPIs are: the memory grows
-- with the distinct values, not the rows. $1 is how many providers are spread: those
-- with the most exchanges timed (ties by id).
WITH v AS (
    SELECT provider_dept,
           ROUND((EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3) AS ms
    FROM exchanges
    WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
),
busiest AS (
    SELECT provider_dept FROM v GROUP BY provider_dept
    ORDER BY COUNT(*) DESC, provider_dept LIMIT $1
),
counted AS (
    SELECT provider_dept, ms, COUNT(*) AS c FROM v
    WHERE provider_dept IN (SELECT provider_dept FROM busiest)
    GROUP BY provider_dept, ms
),
cumulative AS (
    SELECT provider_dept, ms,
           SUM(c) OVER (PARTITION BY provider_dept ORDER BY ms ROWS UNBOUNDED PRECEDING) AS upto,
           SUM(c) OVER (PARTITION BY provider_dept) AS n
    FROM counted
),
positions AS (
    SELECT provider_dept, ms, upto, n,
           CAST(n - 1 AS DOUBLE) * 0.05 AS q05,
           CAST(n - 1 AS DOUBLE) * 0.25 AS q25,
           CAST(n - 1 AS DOUBLE) * 0.50 AS q50,
           CAST(n - 1 AS DOUBLE) * 0.75 AS q75,
           CAST(n - 1 AS DOUBLE) * 0.95 AS q95
    FROM cumulative
),
ends AS (
    SELECT provider_dept, n, q05, q25, q50, q75, q95,
           MIN(CASE WHEN upto > FLOOR(q05) THEN ms END) AS lo05,
           MIN(CASE WHEN upto > CEIL(q05) THEN ms END) AS hi05,
           MIN(CASE WHEN upto > FLOOR(q25) THEN ms END) AS lo25,
           MIN(CASE WHEN upto > CEIL(q25) THEN ms END) AS hi25,
           MIN(CASE WHEN upto > FLOOR(q50) THEN ms END) AS lo50,
           MIN(CASE WHEN upto > CEIL(q50) THEN ms END) AS hi50,
           MIN(CASE WHEN upto > FLOOR(q75) THEN ms END) AS lo75,
           MIN(CASE WHEN upto > CEIL(q75) THEN ms END) AS hi75,
           MIN(CASE WHEN upto > FLOOR(q95) THEN ms END) AS lo95,
           MIN(CASE WHEN upto > CEIL(q95) THEN ms END) AS hi95
    FROM positions
    GROUP BY provider_dept, n, q05, q25, q50, q75, q95
)
SELECT provider_dept,
       n,
       lo05 + (q05 - FLOOR(q05)) * (hi05 - lo05) AS p05,
       lo25 + (q25 - FLOOR(q25)) * (hi25 - lo25) AS p25,
       lo50 + (q50 - FLOOR(q50)) * (hi50 - lo50) AS p50,
       lo75 + (q75 - FLOOR(q75)) * (hi75 - lo75) AS p75,
       lo95 + (q95 - FLOOR(q95)) * (hi95 - lo95) AS p95
FROM ends
ORDER BY provider_dept;
