-- evidence: exchanges
-- items: resource_id label resource_title where not in_numerator
-- items_title: resources with the most failed exchanges
-- items_title_zh: 交换失败最多的资源
-- The exchanges other departments asked of it; the successful ones are the numerator.
SELECT
    provider_dept AS department_id,
    event_id,
    requested_at,
    consumer_dept,
    resource_id,
    resource_title,
    status,
    status = 'success' AS in_numerator
FROM exchanges
LEFT JOIN (SELECT resource_id AS titled, title AS resource_title FROM catalog) AS titles
    ON titles.titled = exchanges.resource_id
WHERE consumer_dept <> provider_dept
