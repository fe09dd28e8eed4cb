-- evidence: catalog
-- Its catalog entries; those shared unconditionally are the numerator.
SELECT
    dept_id AS department_id,
    resource_id,
    registered_at,
    share_type,
    share_type = 'unconditional' AS in_numerator
FROM catalog
