-- evidence: catalog
-- items: resource_id label title where not in_numerator
-- items_title: catalog entries shared only on conditions or not at all
-- items_title_zh: 有条件共享或不予共享的目录
-- Its catalog entries; those shared unconditionally are the numerator.
SELECT
    dept_id AS department_id,
    resource_id,
    title,
    registered_at,
    share_type,
    share_type = 'unconditional' AS in_numerator
FROM catalog
