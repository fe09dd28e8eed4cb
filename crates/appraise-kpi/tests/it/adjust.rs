//! Adjustments as the engine applies them, on fixtures/tiny in 2026Q3, where P1's
//! exchange success rate is 3 / 4 (X01, X02, X03 succeed, X04 fails; X05 is its own;
//! fixtures/tiny/README.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use appraise_kpi::{Adjustments, Calendar, Engine, EngineOptions, Period, load_library};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const HEADER: &str = "table,id,department_id,from,to,action,reason,reference\n";

fn engine(lines: &str) -> Engine {
    let data = appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let tz = appraise_data::DEFAULT_TIMEZONE;
    let adjustments = (!lines.is_empty()).then(|| {
        let text = format!("{HEADER}{lines}");
        Arc::new(Adjustments::parse(Path::new("appeals.csv"), text.as_bytes(), tz).unwrap())
    });
    let options = EngineOptions {
        adjustments,
        ..EngineOptions::default()
    };
    Engine::new(&data, calendar, &options).unwrap()
}

/// P1's exchange success rate: (value, numerator, denominator).
async fn p1_success(engine: &Engine) -> (f64, f64, f64) {
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let kpi = kpis
        .iter()
        .find(|k| k.id == "exchange_success_rate")
        .unwrap();
    let period: Period = "2026Q3".parse().unwrap();
    let m = engine
        .run(&period, std::slice::from_ref(kpi))
        .await
        .unwrap();
    let v = m.get("P1", "exchange_success_rate").unwrap();
    (
        v.value.unwrap(),
        v.numerator.unwrap(),
        v.denominator.unwrap(),
    )
}

#[tokio::test]
async fn excluded_and_corrected_rows_are_read_as_the_adjustments_say() {
    assert_eq!(p1_success(&engine("")).await, (0.75, 3.0, 4.0));
    // X04 corrected to a success: 4 / 4.
    let e = engine("exchanges,X04,P1,,,set:status=success,r,n\n");
    assert_eq!(p1_success(&e).await, (1.0, 4.0, 4.0));
    // X04 excluded: 3 / 3.
    let e = engine("exchanges,X04,,,,exclude,r,n\n");
    assert_eq!(p1_success(&e).await, (1.0, 3.0, 3.0));
    // P1's rows of 3 and 4 August (a `to` that is a date includes that day): X03 and
    // X04 leave, 2 / 2; the other departments' rows of those days stay.
    let e = engine("exchanges,,P1,2026-08-03,2026-08-04,exclude,r,n\n");
    assert_eq!(p1_success(&e).await, (1.0, 2.0, 2.0));
    let touched = e.adjusted_rows().await.unwrap();
    assert_eq!(touched[0].rows, 2);
    assert_eq!(touched[0].departments, ["P1"]);
    // Until 3 August 10:00 exactly: X03, requested then, stays (the end is excluded).
    let e = engine("exchanges,,P1,2026-08-01,2026-08-03 10:00:00,exclude,r,n\n");
    assert_eq!(p1_success(&e).await, (0.75, 3.0, 4.0));
    assert_eq!(e.adjusted_rows().await.unwrap()[0].rows, 0);
    // Off, the rows are the data's.
    let e = engine("exchanges,X04,,,,exclude,r,n\n");
    e.adjusting(false).unwrap();
    assert_eq!(p1_success(&e).await, (0.75, 3.0, 4.0));
}

#[tokio::test]
async fn a_corrected_time_moves_its_local_date_too() {
    use datafusion::arrow::array::AsArray;
    let e = engine("share_requests,S09,C1,,,set:decided_at=2026-08-20 10:00:00,r,n\n");
    e.scope(Some(&"2026Q3".parse().unwrap())).unwrap();
    let rows = e
        .query("SELECT CAST(decided_date AS VARCHAR) AS d FROM share_requests WHERE request_id = 'S09'")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(rows[0].column(0).as_string::<i32>().value(0), "2026-08-20");
}
