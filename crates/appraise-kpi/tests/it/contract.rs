//! What a KPI must not do, and what the engine says when it does; what a KPI's
//! evidence must do.

use std::path::{Path, PathBuf};

use appraise_kpi::{Calendar, Engine, EngineOptions, Error, KpiDef, Period};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn engine() -> Engine {
    let data = appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    Engine::new(&data, calendar, &EngineOptions::default()).unwrap()
}

fn kpi(sql: &str) -> KpiDef {
    let text =
        format!("-- kpi: k\n-- title: K\n-- dimension: sharing\n-- direction: higher\n{sql}\n");
    KpiDef::parse(Path::new("queries/kpis/k.sql"), &text).unwrap()
}

async fn run(sql: &str, period: &str) -> Result<(), Error> {
    engine()
        .run(&period.parse::<Period>().unwrap(), &[kpi(sql)])
        .await
        .map(|_| ())
}

#[tokio::test]
async fn two_rows_for_one_department_fail() {
    let err = run(
        "SELECT provider_dept AS department_id, 1 AS value FROM exchanges",
        "2026Q3",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("KPI k (queries/kpis/k.sql)") && err.contains("two rows for department"),
        "{err}"
    );
}

#[tokio::test]
async fn a_text_value_fails() {
    let err = run(
        "SELECT dept_id AS department_id, name AS value FROM departments",
        "2026Q3",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("column value is Utf8, not a number"), "{err}");
}

#[tokio::test]
async fn missing_and_unexpected_columns_fail() {
    let err = run(
        "SELECT dept_id AS id, 1 AS value FROM departments",
        "2026Q3",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("unexpected column \"id\""),
        "{err}"
    );
    let err = run("SELECT dept_id AS department_id FROM departments", "2026Q3")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no column \"value\""), "{err}");
}

#[tokio::test]
async fn an_unknown_department_fails() {
    let err = run("SELECT 'X9' AS department_id, 1 AS value", "2026Q3")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("\"X9\" is not in the departments table"),
        "{err}"
    );
}

#[tokio::test]
async fn forbidden_statements_are_refused_naming_the_file() {
    for sql in [
        "DROP TABLE exchanges",
        "INSERT INTO departments VALUES ('X', 'x', NULL, 'city', NULL, NULL, 'city')",
        "COPY exchanges TO '/tmp/out.csv'",
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/hosts'",
        "SET datafusion.execution.batch_size = 1",
        "CREATE VIEW v AS SELECT 1",
    ] {
        let err = run(sql, "2026Q3").await.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{sql}: {err:?}");
        assert!(
            err.to_string().starts_with("queries/kpis/k.sql: "),
            "{sql}: {err}"
        );
    }
}

#[tokio::test]
async fn a_year_outside_the_calendar_fails_clearly() {
    let sql = "SELECT r.provider_dept AS department_id, COUNT(*) AS value \
               FROM share_requests r JOIN calendar c ON c.date = r.submitted_date GROUP BY 1";
    let err = run(sql, "2027Q1").await.unwrap_err();
    assert!(
        matches!(err, Error::CalendarYear { year: 2027, .. }),
        "{err:?}"
    );
    assert!(err.hint().unwrap().contains("cn-2027.csv"));
}

#[tokio::test]
async fn scoped_tables_see_the_period_only() {
    let e = engine();
    e.scope(Some(&"2026Q3".parse::<Period>().unwrap())).unwrap();
    let count = |sql: &'static str| {
        let e = &e;
        async move {
            let b = e.query(sql).await.unwrap().collect().await.unwrap();
            let a = b[0]
                .column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::Int64Array>()
                .unwrap();
            a.value(0)
        }
    };
    // X06 (10-01 00:00:00) and X07 (06-30 23:59:59) are outside; X01 (07-01 00:00:00) in.
    assert_eq!(count("SELECT COUNT(*) FROM exchanges").await, 13);
    // S05 and S07, decided after the end, are pending for 2026Q3.
    assert_eq!(
        count("SELECT COUNT(*) FROM share_requests WHERE decision = 'pending'").await,
        3
    );
    // V04 (submitted in Q2) is completed in Q3; V03 (completed 10-09) is not.
    assert_eq!(count("SELECT COUNT(*) FROM services_completed").await, 7);
    assert_eq!(count("SELECT COUNT(*) FROM catalog").await, 9);
}

#[tokio::test]
async fn a_negative_sample_size_fails() {
    // Regression (negative_sample_size): a KPI could return sample_size = -1.
    let err = run(
        "SELECT dept_id AS department_id, 1.0 AS value, CAST(-1 AS BIGINT) AS sample_size \
         FROM departments",
        "2026Q3",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("sample_size -1"), "{err}");
}

#[tokio::test]
async fn the_tables_a_kpi_reads_come_from_its_plan() {
    // What the period check of a run looks at: tables in joins and subqueries count,
    // services_completed counts as services, departments and calendar are data tables
    // only in part.
    let e = engine();
    e.scope(Some(&"2026Q3".parse::<Period>().unwrap())).unwrap();
    let k = kpi(
        "SELECT d.dept_id AS department_id, COUNT(*) AS value FROM departments d \
         JOIN services_completed s ON s.dept_id = d.dept_id \
         WHERE EXISTS (SELECT 1 FROM exchanges x WHERE x.provider_dept = d.dept_id) \
         GROUP BY d.dept_id",
    );
    let read = e.tables_read(&k).await.unwrap();
    use appraise_data::Table;
    assert_eq!(
        read.into_iter().collect::<Vec<_>>(),
        vec![Table::Departments, Table::Exchanges, Table::Services]
    );
}

/// Every department has a row for every KPI, missing values included, and the matrix
/// has the columns of its contract.
#[tokio::test]
async fn the_matrix_has_every_department_for_every_kpi() {
    let kpis = appraise_kpi::load_library(&root().join("queries/kpis")).unwrap();
    let m = engine()
        .run(&"2026Q3".parse::<Period>().unwrap(), &kpis)
        .await
        .unwrap();
    assert_eq!(m.period.label(), "2026Q3");
    assert_eq!(m.values.len(), kpis.len() * 6);
    let b = m.to_batch().unwrap();
    let names: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        [
            "period",
            "department_id",
            "kpi",
            "value",
            "numerator",
            "denominator",
            "sample_size"
        ]
    );
}

/// `data` with `table` cut to the rows whose id is in `ids`.
fn restricted(
    data: &appraise_data::Dataset,
    table: appraise_data::Table,
    ids: &std::collections::HashSet<String>,
) -> appraise_data::Dataset {
    use datafusion::arrow::array::{AsArray, BooleanArray};
    use datafusion::arrow::compute::filter_record_batch;
    let mut out = data.clone();
    let loaded = out.tables.iter_mut().find(|t| t.table == table).unwrap();
    for batch in &mut loaded.batches {
        let id = batch.column_by_name(table.id_column()).unwrap();
        let keep: BooleanArray = id
            .as_string::<i32>()
            .iter()
            .map(|v| Some(v.is_some_and(|v| ids.contains(v))))
            .collect();
        *batch = filter_record_batch(batch, &keep).unwrap();
    }
    out
}

/// For every KPI with an evidence query, every department with a value and every period
/// checked: the evidence has as many rows as the KPI's sample size (its denominator
/// where it has none), and the KPI computed again on its table cut to those rows gives
/// the department the same value.
#[tokio::test]
async fn evidence_lists_the_rows_behind_each_value_and_gives_the_value_again() {
    use datafusion::arrow::array::AsArray;
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let kpis = appraise_kpi::load_library(&root().join("queries/kpis")).unwrap();
    for k in &kpis {
        assert!(k.evidence.is_some(), "{} has no evidence query", k.id);
    }
    let mut checked = 0;
    for (folder, periods) in [
        ("tiny", &["2026Q3"][..]),
        ("demo", &["2026Q1", "2026Q2", "2026Q3"]),
    ] {
        let data =
            appraise_data::load_dir(&root().join("fixtures").join(folder), &Default::default())
                .unwrap();
        let engine = Engine::new(&data, calendar.clone(), &EngineOptions::default()).unwrap();
        for period in periods {
            let period: Period = period.parse().unwrap();
            let matrix = engine.run(&period, &kpis).await.unwrap();
            for v in matrix.values.iter().filter(|v| v.value.is_some()) {
                let kpi = kpis.iter().find(|k| k.id == v.kpi).unwrap();
                let evidence = kpi.evidence.as_ref().unwrap();
                let rows = engine
                    .evidence(&period, kpi, &v.department_id)
                    .await
                    .unwrap()
                    .unwrap();
                let what = format!("{folder} {period} {} {}", v.kpi, v.department_id);
                let n: usize = rows.iter().map(|b| b.num_rows()).sum();
                let expected = v.sample_size.map(|s| s as f64).or(v.denominator);
                assert_eq!(Some(n as f64), expected, "{what}: evidence rows");
                let ids: std::collections::HashSet<String> = rows
                    .iter()
                    .flat_map(|b| {
                        let id = b.column_by_name(evidence.table.id_column()).unwrap();
                        let id = datafusion::arrow::compute::cast(
                            id,
                            &datafusion::arrow::datatypes::DataType::Utf8,
                        )
                        .unwrap();
                        id.as_string::<i32>()
                            .iter()
                            .map(|v| v.unwrap().to_string())
                            .collect::<Vec<_>>()
                    })
                    .collect();
                assert_eq!(ids.len(), n, "{what}: an id listed twice");
                let cut = restricted(&data, evidence.table, &ids);
                let again = Engine::new(&cut, calendar.clone(), &EngineOptions::default())
                    .unwrap()
                    .run(&period, std::slice::from_ref(kpi))
                    .await
                    .unwrap();
                let value = again.get(&v.department_id, &v.kpi).and_then(|w| w.value);
                assert_eq!(value, v.value, "{what}: value on the evidence alone");
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} values checked");
}

/// The values of column `name` of `rows` as text (null: `None`).
fn texts(rows: &[datafusion::arrow::array::RecordBatch], name: &str) -> Vec<Option<String>> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::DataType;
    rows.iter()
        .flat_map(|b| {
            let c =
                datafusion::arrow::compute::cast(b.column_by_name(name).unwrap(), &DataType::Utf8)
                    .unwrap();
            c.as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// For every built-in KPI whose evidence names items, every department of the demo's
/// 2026Q3: the items are its evidence rows grouped here by the item column, of the rows
/// the `where` keeps, weighed as the `by` says, heaviest first; the count of items is
/// right; a percentile item's weight is the KPI itself computed on the item's rows.
#[tokio::test]
async fn items_are_the_heaviest_groups_of_the_evidence() {
    use appraise_kpi::Weight;
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let kpis = appraise_kpi::load_library(&root().join("queries/kpis")).unwrap();
    let data = appraise_data::load_dir(&root().join("fixtures/demo"), &Default::default()).unwrap();
    let engine = Engine::new(&data, calendar.clone(), &EngineOptions::default()).unwrap();
    let period: Period = "2026Q3".parse().unwrap();
    let mut checked = (0, 0, 0);
    for kpi in kpis
        .iter()
        .filter(|k| k.evidence.as_ref().is_some_and(|e| e.items.is_some()))
    {
        let evidence = kpi.evidence.as_ref().unwrap();
        let spec = evidence.items.as_ref().unwrap();
        let items = engine.items(&period, kpi, 5).await.unwrap().unwrap();
        let matrix = engine
            .run(&period, std::slice::from_ref(kpi))
            .await
            .unwrap();
        for v in &matrix.values {
            let what = format!("{} {}", kpi.id, v.department_id);
            let rows = engine
                .evidence(&period, kpi, &v.department_id)
                .await
                .unwrap()
                .unwrap();
            let names = texts(&rows, &spec.column);
            let ids = texts(&rows, evidence.table.id_column());
            let kept: Vec<bool> = match &spec.filter {
                Some((negated, c)) => texts(&rows, c)
                    .iter()
                    .map(|b| (b.as_deref() == Some("true")) != *negated)
                    .collect(),
                None => vec![true; names.len()],
            };
            let values: Vec<Option<f64>> = match &spec.by {
                Weight::Count => vec![None; names.len()],
                Weight::Sum(c) | Weight::Max(c) | Weight::Percentile(_, c) => texts(&rows, c)
                    .iter()
                    .map(|x| x.as_ref().map(|x| x.parse().unwrap()))
                    .collect(),
            };
            // item -> (rows, sum, max, ids)
            let mut groups: std::collections::BTreeMap<String, (u64, f64, f64, Vec<String>)> =
                Default::default();
            for i in (0..names.len()).filter(|&i| kept[i]) {
                let g = groups
                    .entry(names[i].clone().unwrap_or_default())
                    .or_insert((0, 0.0, f64::MIN, Vec::new()));
                g.0 += 1;
                if let Some(x) = values[i] {
                    g.1 += x;
                    g.2 = g.2.max(x);
                }
                g.3.push(ids[i].clone().unwrap());
            }
            let got = items.get(&v.department_id).cloned().unwrap_or_default();
            // Each item's label: the smallest of its kept rows' labels.
            let mut labels: std::collections::BTreeMap<String, String> = Default::default();
            if let Some(column) = &spec.label {
                let all = texts(&rows, column);
                for i in (0..names.len()).filter(|&i| kept[i]) {
                    if let Some(l) = &all[i] {
                        let at = labels.entry(names[i].clone().unwrap_or_default());
                        let min = at.or_insert_with(|| l.clone());
                        if l < min {
                            *min = l.clone();
                        }
                    }
                }
            }
            for it in &got.top {
                let want = labels.get(&it.item).cloned().unwrap_or_default();
                assert_eq!(it.label, want, "{what}: the label of {}", it.item);
                checked.2 += usize::from(!want.is_empty());
            }
            if let Weight::Percentile(..) = spec.by {
                // The heaviest item's weight is the KPI on that item's rows alone.
                assert_eq!(got.total, groups.len(), "{what}: items");
                if let Some(first) = got.top.first() {
                    let ids = groups[&first.item].3.iter().cloned().collect();
                    let cut = restricted(&data, evidence.table, &ids);
                    let again = Engine::new(&cut, calendar.clone(), &EngineOptions::default())
                        .unwrap()
                        .run(&period, std::slice::from_ref(kpi))
                        .await
                        .unwrap();
                    let value = again.get(&v.department_id, &kpi.id).and_then(|w| w.value);
                    assert!(
                        (value.unwrap() - first.weight).abs() < 1e-6,
                        "{what}: {value:?} {first:?}"
                    );
                    assert!(
                        got.top.windows(2).all(|w| w[0].weight >= w[1].weight),
                        "{what}"
                    );
                    checked.1 += 1;
                }
                continue;
            }
            let mut expected: Vec<(String, u64, f64)> = groups
                .into_iter()
                .map(|(item, (n, sum, max, _))| {
                    let w = match spec.by {
                        Weight::Count => n as f64,
                        Weight::Sum(_) => sum,
                        _ => max,
                    };
                    (item, n, w)
                })
                .filter(|(_, _, w)| *w > 0.0)
                .collect();
            expected.sort_by(|a, b| b.2.total_cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
            assert_eq!(got.total, expected.len(), "{what}: items");
            let top: Vec<(String, u64, f64)> = got
                .top
                .iter()
                .map(|i| (i.item.clone(), i.rows, i.weight))
                .collect();
            expected.truncate(5);
            assert_eq!(top, expected, "{what}");
            checked.0 += usize::from(!top.is_empty());
        }
    }
    assert!(
        checked.0 > 200 && checked.1 > 40 && checked.2 > 200,
        "{checked:?} departments with items checked"
    );
}

/// The tiny data with one more service, submitted at `submitted` (local time) and
/// completed on 2025-01-03, so in 2025Q1.
fn with_service_submitted(submitted: &str) -> (tempfile::TempDir, Engine) {
    let tmp = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(root().join("fixtures/tiny")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, tmp.path().join(f.file_name().unwrap())).unwrap();
    }
    let services = tmp.path().join("services.csv");
    let mut text = std::fs::read_to_string(&services).unwrap();
    text.push_str(&format!(
        "V99,K1,SV-BIRTH,online,{submitted},2025-01-03 10:00:00,3,completed,5,0,true,\n"
    ));
    std::fs::write(&services, text).unwrap();
    let data = appraise_data::load_dir(tmp.path(), &Default::default()).unwrap();
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let engine = Engine::new(&data, calendar, &EngineOptions::default()).unwrap();
    (tmp, engine)
}

const ON_TIME: &str = "SELECT s.dept_id AS department_id, COUNT(*) AS value \
    FROM services_completed s JOIN calendar ca ON ca.date = s.submitted_date \
    JOIN calendar cb ON cb.date = s.completed_date GROUP BY 1";

#[tokio::test]
async fn a_case_submitted_in_a_year_before_the_calendar_fails_clearly() {
    // The calendar covers 2025 and 2026; the period 2025Q1 does, this case's submission
    // on the last evening of 2024 does not.
    let (_tmp, e) = with_service_submitted("2024-12-31 23:30:00");
    let err = e
        .run(&"2025Q1".parse::<Period>().unwrap(), &[kpi(ON_TIME)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CalendarYear { year: 2024, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("dated 2024-12-31 to 2025-01-03"),
        "{err}"
    );
}

#[tokio::test]
async fn a_case_submitted_just_after_the_calendar_begins_is_covered_by_its_local_date() {
    // 2025-01-01 00:30 in Shanghai is still 2024 in UTC: the local date decides, and
    // the case is counted.
    let (_tmp, e) = with_service_submitted("2025-01-01 00:30:00");
    let m = e
        .run(&"2025Q1".parse::<Period>().unwrap(), &[kpi(ON_TIME)])
        .await
        .unwrap();
    let k1 = m.values.iter().find(|v| v.department_id == "K1").unwrap();
    assert_eq!(k1.value, Some(1.0));
}
