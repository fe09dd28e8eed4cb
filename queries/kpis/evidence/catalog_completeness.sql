-- evidence: catalog
-- items: resource_id label title by sum(missing)
-- items_title: catalog entries missing the most metadata
-- items_title_zh: 元数据缺项最多的目录
-- items_by_title: fields missing
-- items_by_title_zh: 缺项数
-- Its catalog entries, each with the metadata items it must fill (required) and those
-- it fills (filled) and those it leaves out (missing); the value is all filled over all
-- required.
WITH judged AS (
    SELECT
        dept_id AS department_id,
        resource_id,
        title,
        registered_at,
        share_type,
        open_type,
        4
            + CASE WHEN share_type IN ('conditional', 'none') THEN 1 ELSE 0 END
            + CASE WHEN open_type IN ('open', 'conditional') THEN 1 ELSE 0 END AS required,
        CASE WHEN description IS NOT NULL THEN 1 ELSE 0 END
            + CASE WHEN format IS NOT NULL THEN 1 ELSE 0 END
            + CASE WHEN keywords IS NOT NULL THEN 1 ELSE 0 END
            + CASE WHEN open_type IS NOT NULL THEN 1 ELSE 0 END
            + CASE WHEN share_type IN ('conditional', 'none') AND share_condition IS NOT NULL
                THEN 1 ELSE 0 END
            + CASE WHEN open_type IN ('open', 'conditional') AND licence IS NOT NULL
                THEN 1 ELSE 0 END AS filled,
        description IS NULL AS no_description,
        format IS NULL AS no_format,
        keywords IS NULL AS no_keywords,
        open_type IS NULL AS no_open_type,
        share_type IN ('conditional', 'none') AND share_condition IS NULL AS no_share_condition,
        open_type IN ('open', 'conditional') AND licence IS NULL AS no_licence
    FROM catalog
)
SELECT *, required - filled AS missing
FROM judged
