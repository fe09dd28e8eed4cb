-- kpi: catalog_validity
-- title: Catalogue entries without contradictions
-- title_zh: 目录元数据有效率
-- unit_zh: 比率
-- description_zh: 考核期末前登记的资源中，元数据无以下问题的资源所占比例：不予共享却开放或有条件开放；无条件共享却填有共享条件；格式不在公认格式之列（csv、tsv、json、jsonl、geojson、xml、rdf、xlsx、xls、et、ods、docx、doc、wps、odt、ofd、pdf、txt、html、zip、shp、kml、jpg、png、tif、mp3、mp4、api、database）。未填的项不在此判定（计入完整率）。
-- dimension: sharing
-- unit: ratio
-- direction: higher
-- optional: true
-- description: its resources registered before the period end whose metadata breaks
--   none of these rules, over those resources: a resource not shared between
--   departments (share_type none) is not open or conditionally open to the public; an
--   unconditionally shared one has no share_condition; the format, when
--   given, is a recognised one (case aside: csv, tsv, json, jsonl, geojson, xml, rdf,
--   xlsx, xls, et, ods, docx, doc, wps, odt, ofd, pdf, txt, html, zip, shp, kml, jpg,
--   png, tif, mp3, mp4, api, database). An item left empty counts under
--   catalog_completeness, not here.
WITH judged AS (
    SELECT
        dept_id,
        CASE
            WHEN share_type = 'none' AND open_type IN ('open', 'conditional') THEN 0
            WHEN share_type = 'unconditional' AND share_condition IS NOT NULL THEN 0
            WHEN format IS NOT NULL AND lower(format) NOT IN (
                'csv', 'tsv', 'json', 'jsonl', 'geojson', 'xml', 'rdf', 'xlsx', 'xls', 'et',
                'ods', 'docx', 'doc', 'wps', 'odt', 'ofd', 'pdf', 'txt', 'html', 'zip', 'shp',
                'kml', 'jpg', 'png', 'tif', 'mp3', 'mp4', 'api', 'database'
            ) THEN 0
            ELSE 1
        END AS valid
    FROM catalog
)
SELECT
    dept_id AS department_id,
    CAST(SUM(valid) AS DOUBLE) / COUNT(*) AS value,
    SUM(valid) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM judged
GROUP BY dept_id
