-- kpi: request_approval_rate
-- title: Share requests approved
-- title_zh: 共享申请通过率
-- unit_zh: 比率
-- description_zh: 向其提出、在考核期末前已作出决定的共享申请中，予以通过的比例。
-- dimension: responsiveness
-- unit: ratio
-- direction: higher
-- description: approved over decided share requests to it (decided by the period end).
SELECT
    provider_dept AS department_id,
    CAST(SUM(CASE WHEN decision = 'approved' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS value,
    SUM(CASE WHEN decision = 'approved' THEN 1 ELSE 0 END) AS numerator,
    COUNT(*) AS denominator,
    COUNT(*) AS sample_size
FROM share_requests
WHERE decision IN ('approved', 'rejected')
GROUP BY provider_dept
