-- evidence: services
-- items: service_id where not in_numerator
-- items_title: services with the most cases over their promised days
-- items_title_zh: 超承诺时限办结最多的事项
-- Its service cases completed in the period with promised days, each with the working
-- days it took; those within the promise are the numerator.
SELECT
    s.dept_id AS department_id,
    s.case_id,
    s.service_id,
    s.submitted_at,
    s.completed_at,
    s.promised_days,
    cb.workday_seq - ca.workday_seq AS days_taken,
    cb.workday_seq - ca.workday_seq <= s.promised_days AS in_numerator
FROM services_completed s
JOIN calendar ca ON ca.date = s.submitted_date
JOIN calendar cb ON cb.date = s.completed_date
WHERE s.promised_days IS NOT NULL
