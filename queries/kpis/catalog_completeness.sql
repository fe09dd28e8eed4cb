-- kpi: catalog_completeness
-- title: Catalogue metadata filled in
-- title_zh: 目录元数据完整率
-- unit_zh: 比率
-- description_zh: 考核期末前登记的资源中，应填元数据项已填写的比例：每条资源须填摘要、格式、关键字、开放属性；有条件共享和不予共享的资源还须填共享条件（不予共享的依据）；开放属性为开放或有条件开放的资源还须填开放许可。已填项数之和除以应填项数之和。
-- dimension: sharing
-- unit: ratio
-- direction: higher
-- optional: true
-- description: the metadata items filled in, over the items its resources registered
--   before the period end must have: description, format, keywords and open_type for
--   every resource; share_condition for a conditional or unshared one (its conditions,
--   or the grounds for not sharing); licence for one whose open_type is open or
--   conditional. sample_size is the resources.
WITH items AS (
    SELECT
        dept_id,
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
                THEN 1 ELSE 0 END AS filled
    FROM catalog
)
SELECT
    dept_id AS department_id,
    CAST(SUM(filled) AS DOUBLE) / SUM(required) AS value,
    SUM(filled) AS numerator,
    SUM(required) AS denominator,
    COUNT(*) AS sample_size
FROM items
GROUP BY dept_id
