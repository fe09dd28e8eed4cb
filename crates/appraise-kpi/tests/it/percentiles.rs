//! The percentile KPIs on a department with many exchanges, against percentiles
//! computed here by sorting. 355,417 exchanges put the 90th percentile at position
//! 319,874.4, between values 319,874 and 319,875: a size at which an earlier form of
//! the KPIs, which compared a DECIMAL row number with a DOUBLE position, came out empty
//! in DataFusion (apache/datafusion#14272).

use std::sync::Arc;

use appraise_data::Table;
use appraise_kpi::{Period, load_library};
use datafusion::arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray, new_null_array,
};
use datafusion::arrow::datatypes::DataType;

use crate::common::{engine_with_exchanges, percentile};

const N: usize = 355_417;

/// Response time of exchange `i`, in whole milliseconds: spread, with ties.
fn ms(i: usize) -> i64 {
    ((i * 7_919) % 250_000 / 7) as i64
}

/// Exchanges from C1 to P1 (departments of fixtures/tiny), all successful, in 2026Q3.
fn exchanges() -> RecordBatch {
    let schema = Table::Exchanges.schema();
    // 2026-07-01T00:00:00+08:00
    let start: i64 = 1_782_835_200_000_000;
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            let text = |v: &str| Arc::new(StringArray::from(vec![v; N])) as ArrayRef;
            let at = |i: usize| start + i as i64 * 1_000;
            match f.name().as_str() {
                "event_id" => Arc::new(StringArray::from_iter_values(
                    (0..N).map(|i| format!("E{i}")),
                )),
                "requested_at" => Arc::new(
                    TimestampMicrosecondArray::from_iter_values((0..N).map(at))
                        .with_timezone("UTC"),
                ),
                "responded_at" => Arc::new(
                    TimestampMicrosecondArray::from_iter_values(
                        (0..N).map(|i| at(i) + ms(i) * 1_000),
                    )
                    .with_timezone("UTC"),
                ),
                "consumer_dept" => text("C1"),
                "provider_dept" => text("P1"),
                "resource_id" => text("R-P1-1"),
                "status" => text("success"),
                "mode" => text("api"),
                _ if f.data_type() == &DataType::Int64 => Arc::new(Int64Array::from(vec![1; N])),
                _ => new_null_array(f.data_type(), N),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

#[tokio::test]
async fn response_percentiles_of_a_large_department_match_a_sort() {
    let engine = engine_with_exchanges(exchanges());
    let kpis: Vec<_> = load_library(&crate::common::root().join("queries/kpis"))
        .unwrap()
        .into_iter()
        .filter(|k| k.id.starts_with("response_p"))
        .collect();
    let m = engine
        .run(&"2026Q3".parse::<Period>().unwrap(), &kpis)
        .await
        .unwrap();

    let mut sorted: Vec<f64> = (0..N).map(|i| ms(i) as f64).collect();
    sorted.sort_by(f64::total_cmp);
    for (kpi, p) in [("response_p50_ms", 0.5), ("response_p90_ms", 0.9)] {
        let v = m.get("P1", kpi).unwrap();
        assert_eq!(v.sample_size, Some(N as i64), "{kpi}");
        let want = percentile(&sorted, p);
        let got = v.value.unwrap_or_else(|| panic!("{kpi} is empty"));
        assert!((got - want).abs() < 1e-9, "{kpi}: {got} != {want}");
    }
}

/// The percentile KPIs as they were written before appraise had its own aggregate:
/// plain SQL that counts each department's distinct values, finds the two sorted
/// values around position `pos` by a running count, and interpolates. `pos` is the
/// SQL's: `CAST((n - 1) * 9 AS DOUBLE) / 10` for the 90th, `CAST(n - 1 AS DOUBLE) / 2`
/// for the median.
fn cumulative(id: &str, pos: &str) -> appraise_kpi::KpiDef {
    let sql = format!(
        "-- kpi: {id}\n-- title: t\n-- dimension: responsiveness\n-- direction: lower\n\
         WITH v AS (SELECT provider_dept AS department_id, \
           ROUND((EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3) AS ms \
           FROM exchanges \
           WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL), \
         counted AS (SELECT department_id, ms, COUNT(*) AS c FROM v GROUP BY department_id, ms), \
         cumulative AS (SELECT department_id, ms, \
           SUM(c) OVER (PARTITION BY department_id ORDER BY ms ROWS UNBOUNDED PRECEDING) AS upto, \
           SUM(c) OVER (PARTITION BY department_id) AS n FROM counted), \
         ends AS (SELECT department_id, pos, n, \
           MIN(CASE WHEN upto > FLOOR(pos) THEN ms END) AS lo, \
           MIN(CASE WHEN upto > CEIL(pos) THEN ms END) AS hi \
           FROM (SELECT *, {pos} AS pos FROM cumulative) AS c GROUP BY department_id, pos, n) \
         SELECT department_id, lo + (pos - FLOOR(pos)) * (hi - lo) AS value, n AS sample_size FROM ends\n"
    );
    appraise_kpi::KpiDef::parse(std::path::Path::new(&format!("{id}.sql")), &sql).unwrap()
}

/// appraise's `percentile_cont(p) WITHIN GROUP (ORDER BY x)`, as the built-in
/// percentile KPIs use it, equals their earlier cumulative-count SQL to the last bit
/// for every department of the demo and for the large department above; ungrouped, it
/// equals a sort of the values; it leaves out nulls, gives null for a group without
/// values, and takes 1 − p under DESC.
#[tokio::test]
async fn the_percentile_aggregate_equals_the_kpis_to_the_last_bit() {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Float64Type;
    let root = crate::common::root();
    let kpis = [
        cumulative("response_p90_ms", "CAST((n - 1) * 9 AS DOUBLE) / 10"),
        cumulative("response_p50_ms", "CAST(n - 1 AS DOUBLE) / 2"),
    ];
    let built_in: Vec<_> = load_library(&root.join("queries/kpis"))
        .unwrap()
        .into_iter()
        .filter(|k| k.id.starts_with("response_p"))
        .collect();
    let period: Period = "2026Q3".parse().unwrap();
    let data = appraise_data::load_dir(&root.join("fixtures/demo"), &Default::default()).unwrap();
    let calendar = appraise_kpi::Calendar::from_dir(&root.join("queries/calendars")).unwrap();
    let demo = appraise_kpi::Engine::new(&data, calendar, &Default::default()).unwrap();
    let ms =
        "ROUND((EXTRACT(EPOCH FROM responded_at) - EXTRACT(EPOCH FROM requested_at)) * 1000, 3)";
    let sql = format!(
        "SELECT provider_dept AS d, \
         percentile_cont(0.9) WITHIN GROUP (ORDER BY {ms}) AS p90, \
         percentile_cont(0.5) WITHIN GROUP (ORDER BY {ms}) AS p50, \
         quantile_cont(0.1) WITHIN GROUP (ORDER BY {ms} DESC) AS p90_desc \
         FROM exchanges \
         WHERE status = 'success' AND consumer_dept <> provider_dept AND responded_at IS NOT NULL \
         GROUP BY provider_dept"
    );
    let mut checked = 0;
    for engine in [&demo, &engine_with_exchanges(exchanges())] {
        let m = engine.run(&period, &kpis).await.unwrap();
        // The built-in KPIs, now written with the aggregate, give the same matrix.
        let now = engine.run(&period, &built_in).await.unwrap();
        for v in &m.values {
            let w = now.get(&v.department_id, &v.kpi).unwrap();
            assert_eq!(
                (v.value.map(f64::to_bits), v.sample_size),
                (w.value.map(f64::to_bits), w.sample_size),
                "{} {}",
                v.department_id,
                v.kpi
            );
        }
        engine.scope(Some(&period)).unwrap();
        let rows = engine.query(&sql).await.unwrap().collect().await.unwrap();
        for b in &rows {
            let d = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).unwrap();
            let d = d.as_string::<i32>();
            for (col, kpi) in [
                (1, "response_p90_ms"),
                (2, "response_p50_ms"),
                (3, "response_p90_ms"),
            ] {
                let got = b.column(col).as_primitive::<Float64Type>();
                for r in 0..b.num_rows() {
                    let want = m.get(d.value(r), kpi).and_then(|v| v.value).unwrap();
                    assert!(got.is_valid(r));
                    assert_eq!(
                        got.value(r).to_bits(),
                        want.to_bits(),
                        "{} {kpi}",
                        d.value(r)
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "{checked}");

    // Ungrouped, with nulls: the sort's value; none at all: null.
    let all = demo
        .query(&format!(
            "SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY {ms}) FROM exchanges \
             WHERE status = 'success'"
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut values: Vec<f64> = demo
        .query(&format!(
            "SELECT {ms} FROM exchanges WHERE status = 'success'"
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap()
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<Float64Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let got = all[0].column(0).as_primitive::<Float64Type>().value(0);
    assert!((got - percentile(&values, 0.9)).abs() < 1e-9, "{got}");
    let none = demo
        .query(&format!(
            "SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY {ms}) FROM exchanges WHERE 1 = 0"
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(none[0].column(0).is_null(0));
}
