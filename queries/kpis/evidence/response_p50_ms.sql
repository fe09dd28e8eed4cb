-- evidence: exchanges
-- items: resource_id label resource_title by p50(ms)
-- items_title: resources with the slowest median response
-- items_title_zh: 响应时间中位数最长的资源
-- items_by_title: median (ms)
-- items_by_title_zh: 中位数（毫秒）
-- The successful exchanges other departments asked of it, each with its response time
-- in milliseconds (the value is their 50th percentile).
SELECT
    provider_dept AS department_id,
    event_id,
    requested_at,
    responded_at,
    consumer_dept,
    resource_id,
    resource_title,
    ROUND((EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3) AS ms
FROM exchanges
LEFT JOIN (SELECT resource_id AS titled, title AS resource_title FROM catalog) AS titles
    ON titles.titled = exchanges.resource_id
WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL
