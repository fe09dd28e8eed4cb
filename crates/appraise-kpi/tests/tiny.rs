//! Every built-in KPI on `fixtures/tiny` for 2026Q3, against the values worked out by
//! hand in `fixtures/tiny/README.md` (the arithmetic is there and repeated in brief here).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use appraise_kpi::{Calendar, Engine, EngineOptions, KpiMatrix, Period, load_library};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn matrix(period: &str) -> KpiMatrix {
    let data = appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let engine = Engine::new(&data, calendar, &EngineOptions::default()).unwrap();
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    engine
        .run(&period.parse::<Period>().unwrap(), &kpis)
        .await
        .unwrap()
}

/// (department, value, numerator, denominator, sample size); `None` value = missing.
type Want = (
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<i64>,
);

fn check(m: &KpiMatrix, kpi: &str, want: &[Want]) {
    assert_eq!(want.len(), 6, "{kpi}: all six departments");
    for (dept, value, num, den, n) in want {
        let got = m
            .get(dept, kpi)
            .unwrap_or_else(|| panic!("{kpi} {dept}: no row"));
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        assert!(
            close(got.value, *value),
            "{kpi} {dept}: value {:?}, want {value:?}",
            got.value
        );
        assert!(
            close(got.numerator, *num),
            "{kpi} {dept}: numerator {:?}, want {num:?}",
            got.numerator
        );
        assert!(
            close(got.denominator, *den),
            "{kpi} {dept}: denominator {:?}, want {den:?}",
            got.denominator
        );
        assert_eq!(got.sample_size, *n, "{kpi} {dept}: sample size");
    }
}

/// A ratio num/den with sample size den.
fn r(d: &'static str, num: f64, den: f64) -> Want {
    (d, Some(num / den), Some(num), Some(den), Some(den as i64))
}

/// Nothing to measure.
fn none(d: &'static str) -> Want {
    (d, None, None, None, None)
}

/// A count, sum, median or percentile: a value and the observations behind it (the
/// successful exchanges behind a count or sum; the values behind a median).
fn plain(d: &'static str, v: f64, n: i64) -> Want {
    (d, Some(v), None, None, Some(n))
}

#[tokio::test]
async fn sharing() {
    let m = matrix("2026Q3").await;
    // R-P1-4 is registered at exactly the end: not counted. K1 has no resources.
    check(
        &m,
        "catalog_shareable_ratio",
        &[
            r("P1", 2.0, 3.0),
            r("P2", 2.0, 2.0),
            r("C1", 1.0, 2.0),
            r("C2", 1.0, 1.0),
            none("K1"),
            r("K2", 0.0, 1.0),
        ],
    );
    check(
        &m,
        "catalog_unconditional_ratio",
        &[
            r("P1", 1.0, 3.0),
            r("P2", 2.0, 2.0),
            r("C1", 0.0, 2.0),
            r("C2", 1.0, 1.0),
            none("K1"),
            r("K2", 0.0, 1.0),
        ],
    );
    // P1: daily updated 09-30 10:00 ✓, monthly 08-15 ✗; P2: realtime 09-30 23:59:59 ✓,
    // quarterly 10-02 (after the end) ✗; C1: yearly at exactly end − 367 d ✓, daily
    // 09-28 23:59:59 ✗; C2 monthly 09-10 ✓; K2 weekly never updated ✗.
    check(
        &m,
        "catalog_timeliness",
        &[
            r("P1", 1.0, 2.0),
            r("P2", 1.0, 2.0),
            r("C1", 1.0, 2.0),
            r("C2", 1.0, 1.0),
            none("K1"),
            r("K2", 0.0, 1.0),
        ],
    );
    // P1: X01 100 + X02 50 + X03 null→0 (X05 is to itself, X06/X07 out of period).
    check(
        &m,
        "records_provided",
        &[
            plain("P1", 150.0, 3),
            plain("P2", 30.0, 2),
            plain("C1", 10.0, 2),
            plain("C2", 0.0, 0),
            plain("K1", 0.0, 0),
            plain("K2", 0.0, 0),
        ],
    );
    check(
        &m,
        "consumers_served",
        &[
            plain("P1", 3.0, 3),
            plain("P2", 2.0, 2),
            plain("C1", 1.0, 2),
            plain("C2", 0.0, 0),
            plain("K1", 0.0, 0),
            plain("K2", 0.0, 0),
        ],
    );
    // P1 uses R-P1-1 of R-P1-1/-2 (X03 names R-P1-3, not shareable); C2's X14 failed.
    check(
        &m,
        "resources_in_use",
        &[
            r("P1", 1.0, 2.0),
            r("P2", 1.0, 2.0),
            r("C1", 1.0, 1.0),
            r("C2", 0.0, 1.0),
            none("K1"),
            none("K2"),
        ],
    );
}

#[tokio::test]
async fn responsiveness() {
    let m = matrix("2026Q3").await;
    check(
        &m,
        "exchange_success_rate",
        &[
            r("P1", 3.0, 4.0),
            r("P2", 2.0, 4.0),
            r("C1", 2.0, 2.0),
            r("C2", 0.0, 1.0),
            none("K1"),
            none("K2"),
        ],
    );
    // P1: 200, 400, 1000 ms → p50 at position 1 = 400; p90 at 1.8 = 400 + 0.8 × 600 = 880.
    // P2: X09 has no response, so only 300. C1: 1000 and 1000, a tie (X12's response
    // comes after the end; it counts, being requested inside).
    check(
        &m,
        "response_p50_ms",
        &[
            plain("P1", 400.0, 3),
            plain("P2", 300.0, 1),
            plain("C1", 1000.0, 2),
            none("C2"),
            none("K1"),
            none("K2"),
        ],
    );
    check(
        &m,
        "response_p90_ms",
        &[
            plain("P1", 880.0, 3),
            plain("P2", 300.0, 1),
            plain("C1", 1000.0, 2),
            none("C2"),
            none("K1"),
            none("K2"),
        ],
    );
    // P1: S01 6 days (across Mid-Autumn, with the make-up Sunday 09-20), S02 2, S03 5 →
    // median 5. C1: S08 0, S09 8 → median 4. S05 and S07 are decided after the end.
    check(
        &m,
        "request_decision_days",
        &[
            plain("P1", 5.0, 3),
            none("P2"),
            plain("C1", 4.0, 2),
            none("C2"),
            none("K1"),
            none("K2"),
        ],
    );
    // P1 due: S01 (late), S02, S03 (5 ≤ 5), S04 pending with 5 days passed; S05 pending
    // with 3 passed is not due. C1: S08 on time, S09 late, S07 not due.
    check(
        &m,
        "request_on_time_rate",
        &[
            r("P1", 2.0, 4.0),
            none("P2"),
            r("C1", 1.0, 2.0),
            none("C2"),
            none("K1"),
            none("K2"),
        ],
    );
    check(
        &m,
        "request_approval_rate",
        &[
            r("P1", 2.0, 3.0),
            none("P2"),
            r("C1", 2.0, 2.0),
            none("C2"),
            none("K1"),
            none("K2"),
        ],
    );
}

#[tokio::test]
async fn service_and_co_creation() {
    let m = matrix("2026Q3").await;
    // K1: V01 2 ≤ 3, V02 6 > 5, V04 (submitted in Q2) 4 > 3. K2: V06 6 ≤ 6, V09 0 ≤ 0
    // (rejected, still counted); V10 has no promised_days. C1: V11 1 ≤ 1.
    check(
        &m,
        "service_on_time_rate",
        &[
            none("P1"),
            none("P2"),
            r("C1", 1.0, 1.0),
            none("C2"),
            r("K1", 1.0, 3.0),
            r("K2", 2.0, 2.0),
        ],
    );
    // V08, submitted at exactly 10-01 00:00:00, is outside.
    check(
        &m,
        "online_rate",
        &[
            none("P1"),
            none("P2"),
            r("C1", 1.0, 1.0),
            none("C2"),
            r("K1", 3.0, 4.0),
            r("K2", 2.0, 4.0),
        ],
    );
    check(
        &m,
        "satisfaction_rate",
        &[
            none("P1"),
            none("P2"),
            r("C1", 1.0, 1.0),
            none("C2"),
            r("K1", 1.0, 2.0),
            r("K2", 2.0, 3.0),
        ],
    );
    check(
        &m,
        "zero_visit_rate",
        &[
            none("P1"),
            none("P2"),
            r("C1", 1.0, 1.0),
            none("C2"),
            r("K1", 2.0, 3.0),
            r("K2", 2.0, 4.0),
        ],
    );
    check(
        &m,
        "shared_data_reuse_rate",
        &[
            none("P1"),
            none("P2"),
            r("C1", 1.0, 1.0),
            none("C2"),
            r("K1", 1.0, 2.0),
            r("K2", 3.0, 4.0),
        ],
    );
    // C1 from P1 (X01) and P2 (X09); K1 from P1 (X03) and C1 (X12, X13); X15 is K2's own.
    check(
        &m,
        "providers_used",
        &[
            plain("P1", 1.0, 1),
            plain("P2", 0.0, 0),
            plain("C1", 2.0, 2),
            plain("C2", 1.0, 1),
            plain("K1", 2.0, 3),
            plain("K2", 0.0, 0),
        ],
    );
}

#[tokio::test]
async fn the_matrix_has_every_department_for_every_kpi() {
    let m = matrix("2026Q3").await;
    assert_eq!(m.period.label(), "2026Q3");
    assert_eq!(m.values.len(), 18 * 6);
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
