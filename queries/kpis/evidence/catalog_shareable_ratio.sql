-- evidence: catalog
-- items: resource_id label title where not in_numerator
-- items_title: catalog entries not shared
-- items_title_zh: 未共享的目录
-- Its catalog entries; those shared unconditionally or on conditions are the numerator.
SELECT
    dept_id AS department_id,
    resource_id,
    title,
    registered_at,
    share_type,
    share_type IN ('unconditional', 'conditional') AS in_numerator
FROM catalog
