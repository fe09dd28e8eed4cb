-- evidence: catalog
-- items: resource_id label title where not in_numerator
-- items_title: catalog entries with an inconsistent or unknown field
-- items_title_zh: 字段矛盾或格式不明的目录
-- Its catalog entries; the valid ones are the numerator, and why an entry is not
-- valid is named.
WITH judged AS (
    SELECT
        dept_id,
        resource_id,
        title,
        registered_at,
        share_type,
        open_type,
        format,
        CASE
            WHEN share_type = 'none' AND open_type IN ('open', 'conditional')
                THEN 'open but not shared'
            WHEN share_type = 'unconditional' AND share_condition IS NOT NULL
                THEN 'unconditional with a condition'
            WHEN format IS NOT NULL AND lower(format) NOT IN (
                'csv', 'tsv', 'json', 'jsonl', 'geojson', 'xml', 'rdf', 'xlsx', 'xls', 'et',
                'ods', 'docx', 'doc', 'wps', 'odt', 'ofd', 'pdf', 'txt', 'html', 'zip', 'shp',
                'kml', 'jpg', 'png', 'tif', 'mp3', 'mp4', 'api', 'database'
            ) THEN 'unknown format'
        END AS fault
    FROM catalog
)
SELECT
    dept_id AS department_id,
    resource_id,
    title,
    registered_at,
    share_type,
    open_type,
    format,
    fault,
    fault IS NULL AS in_numerator
FROM judged
