-- evidence: catalog
-- Its catalog entries; those shared unconditionally or on conditions are the numerator.
SELECT
    dept_id AS department_id,
    resource_id,
    registered_at,
    share_type,
    share_type IN ('unconditional', 'conditional') AS in_numerator
FROM catalog
