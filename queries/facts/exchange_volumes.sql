-- Exchanges per (provider, consumer) in the period, a department's exchanges with
-- itself included: the report's exchange matrix.
SELECT provider_dept, consumer_dept, COUNT(*) AS n
FROM exchanges
GROUP BY provider_dept, consumer_dept
ORDER BY provider_dept, consumer_dept;
