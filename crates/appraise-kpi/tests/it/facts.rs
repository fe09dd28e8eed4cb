//! The exchange facts behind the report's charts, against figures computed here: the
//! response-time percentiles by sorting each provider's values, the volumes by
//! counting the pairs.

use std::collections::BTreeMap;
use std::sync::Arc;

use appraise_data::Table;
use appraise_kpi::Period;
use datafusion::arrow::array::{
    ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray, new_null_array,
};
use datafusion::arrow::datatypes::DataType;

use crate::common::{engine_with_exchanges, percentile};

/// One exchange: consumer, provider, status, response time in microseconds.
type Row = (&'static str, &'static str, &'static str, i64);

/// P1 answers 10,007 exchanges with many ties, P2 answers 7; failed exchanges and a
/// department's exchanges with itself are counted in the volumes but not timed.
fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for i in 0..10_007i64 {
        let consumer = if i % 3 == 0 { "C1" } else { "C2" };
        rows.push((
            consumer,
            "P1",
            "success",
            (i * 7_919) % 25_000 / 7 * 10 + i % 3,
        ));
    }
    for us in [900_000, 120_500, 120_500, 3_000_001, 45_250, 45_250, 45_249] {
        rows.push(("C1", "P2", "success", us));
    }
    rows.push(("C1", "P1", "failed", 99_000_000));
    rows.push(("P1", "P1", "success", 1));
    rows.push(("C2", "P2", "timeout", 1));
    rows
}

fn batch(rows: &[Row]) -> RecordBatch {
    let schema = Table::Exchanges.schema();
    let n = rows.len();
    // 2026-07-01T00:00:00+08:00, one exchange a second.
    let at = |i: usize| 1_782_835_200_000_000 + i as i64 * 1_000_000;
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| -> ArrayRef {
            let text = |v: fn(&Row) -> &str| {
                Arc::new(StringArray::from_iter_values(rows.iter().map(v))) as ArrayRef
            };
            let times = |v: Box<dyn Fn(usize) -> i64>| {
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values((0..n).map(v)).with_timezone("UTC"),
                ) as ArrayRef
            };
            match f.name().as_str() {
                "event_id" => Arc::new(StringArray::from_iter_values(
                    (0..n).map(|i| format!("E{i}")),
                )),
                "requested_at" => times(Box::new(at)),
                "responded_at" => times(Box::new(move |i| at(i) + rows[i].3)),
                "consumer_dept" => text(|r| r.0),
                "provider_dept" => text(|r| r.1),
                "status" => text(|r| r.2),
                "resource_id" => Arc::new(StringArray::from(vec!["R-P1-1"; n])),
                "mode" => Arc::new(StringArray::from(vec!["api"; n])),
                _ if f.data_type() == &DataType::Int64 => Arc::new(Int64Array::from(vec![1; n])),
                _ => new_null_array(f.data_type(), n),
            }
        })
        .collect();
    RecordBatch::try_new(schema, columns).unwrap()
}

#[tokio::test]
async fn response_spreads_match_a_sort_and_volumes_a_count() {
    let rows = rows();
    let engine = engine_with_exchanges(batch(&rows));
    let period: Period = "2026Q3".parse().unwrap();
    let facts = engine.exchange_facts(&period, 15).await.unwrap();

    let mut timed: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut volumes: BTreeMap<(String, String), u64> = BTreeMap::new();
    for &(consumer, provider, status, us) in &rows {
        *volumes
            .entry((provider.into(), consumer.into()))
            .or_default() += 1;
        if status == "success" && consumer != provider {
            timed.entry(provider).or_default().push(us as f64 / 1_000.0);
        }
    }
    let got: BTreeMap<(String, String), u64> = facts
        .volumes
        .iter()
        .map(|(p, c, n)| ((p.clone(), c.clone()), *n))
        .collect();
    assert_eq!(got, volumes);

    assert_eq!(
        facts
            .response
            .iter()
            .map(|s| s.provider.as_str())
            .collect::<Vec<_>>(),
        vec!["P1", "P2"]
    );
    // Restricted to the busiest provider, the spreads are P1's alone, unchanged.
    let busiest = engine.exchange_facts(&period, 1).await.unwrap();
    assert_eq!(busiest.response, facts.response[..1]);
    assert_eq!(busiest.volumes, facts.volumes);

    for spread in &facts.response {
        let mut sorted = timed[spread.provider.as_str()].clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(spread.n, sorted.len() as u64, "{}", spread.provider);
        for (got, p) in spread.quantiles.iter().zip([0.05, 0.25, 0.5, 0.75, 0.95]) {
            let want = percentile(&sorted, p);
            assert!(
                (got - want).abs() < 1e-9,
                "{} p{p}: {got} != {want}",
                spread.provider
            );
        }
    }
}
