//! Fused KPIs ([`appraise_kpi::fuse`]): which built-in KPIs run as one aggregation, and
//! that every value is, bit for bit, the one the KPI gives alone.

use std::path::Path;

use appraise_kpi::fuse::{Unit, units};
use appraise_kpi::{Calendar, Engine, EngineOptions, KpiMatrix, Period, load_library};

use crate::common::root;

/// The built-in KPIs that fuse, by table and key. A KPI leaving this list (its SQL no
/// longer of the shape) fails the test: it would run on its own again.
const FUSED: [&[&str]; 4] = [
    &["catalog_shareable_ratio", "catalog_unconditional_ratio"],
    &[
        "consumers_served",
        "exchange_success_rate",
        "records_provided",
        "response_p50_ms",
        "response_p90_ms",
    ],
    &[
        "online_rate",
        "satisfaction_rate",
        "shared_data_reuse_rate",
        "zero_visit_rate",
    ],
    &["providers_used"],
];

#[test]
fn the_built_in_kpis_that_aggregate_one_table_by_one_key_are_fused() {
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let fused: Vec<Vec<&str>> = units(&kpis)
        .iter()
        .filter_map(|u| match u {
            Unit::Fused { members, .. } => {
                Some(members.iter().map(|&i| kpis[i].id.as_str()).collect())
            }
            Unit::Alone(_) => None,
        })
        .collect();
    let want: Vec<Vec<&str>> = FUSED
        .iter()
        .filter(|g| g.len() > 1)
        .map(|g| g.to_vec())
        .collect();
    assert_eq!(fused, want);
}

fn matrix(data: &Path, period: &str, fuse: bool) -> KpiMatrix {
    let data = appraise_data::load_dir(data, &Default::default()).unwrap();
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let options = EngineOptions {
        fuse,
        ..EngineOptions::default()
    };
    let engine = Engine::new(&data, calendar, &options).unwrap();
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(engine.run(&period.parse::<Period>().unwrap(), &kpis))
        .unwrap()
}

/// Every value, numerator, denominator and sample size of every KPI and department,
/// fused and alone, on fixtures/tiny, the demo's quarters and generated data.
#[test]
fn fused_kpis_give_every_value_of_the_kpis_alone_to_the_last_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("generated");
    appraise_gen::generate(&appraise_gen::GenerateOptions {
        seed: 11,
        departments: 45,
        exchanges: 40_000,
        out: generated.clone(),
        ..Default::default()
    })
    .unwrap();
    let mut compared = 0;
    for (data, periods) in [
        (root().join("fixtures/tiny"), &["2026Q3"][..]),
        (
            root().join("fixtures/demo"),
            &["2026Q1", "2026Q2", "2026Q3"],
        ),
        (generated, &["2026Q1", "2026Q2", "2026Q3"]),
    ] {
        for period in periods {
            let (fused, alone) = (matrix(&data, period, true), matrix(&data, period, false));
            assert_eq!(fused.values.len(), alone.values.len());
            for (f, a) in fused.values.iter().zip(&alone.values) {
                let bits = |v: Option<f64>| v.map(f64::to_bits);
                assert_eq!((&f.department_id, &f.kpi), (&a.department_id, &a.kpi));
                assert_eq!(
                    (
                        bits(f.value),
                        bits(f.numerator),
                        bits(f.denominator),
                        f.sample_size
                    ),
                    (
                        bits(a.value),
                        bits(a.numerator),
                        bits(a.denominator),
                        a.sample_size
                    ),
                    "{} {period} {} {}",
                    data.display(),
                    f.kpi,
                    f.department_id
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 5_000, "{compared}");
}

/// A KPI of the fused shape that does not plan fails under its own name, not under
/// the name of the KPI it would have been fused with.
#[tokio::test]
async fn a_broken_kpi_of_a_fused_statement_fails_under_its_own_name() {
    let kpi = |id: &str, sql: &str| {
        let text = format!(
            "-- kpi: {id}\n-- title: {id}\n-- dimension: sharing\n-- direction: higher\n{sql}\n"
        );
        appraise_kpi::KpiDef::parse(&root().join(format!("{id}.sql")), &text).unwrap()
    };
    let kpis = [
        kpi(
            "healthy",
            "SELECT provider_dept AS department_id, COUNT(*) AS value FROM exchanges GROUP BY provider_dept",
        ),
        kpi(
            "broken",
            "SELECT provider_dept AS department_id, SUM(no_such_column) AS value FROM exchanges GROUP BY provider_dept",
        ),
    ];
    assert!(matches!(units(&kpis)[..], [Unit::Fused { .. }]));
    let data = appraise_data::load_dir(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let calendar = Calendar::from_dir(&root().join("queries/calendars")).unwrap();
    let engine = Engine::new(&data, calendar, &EngineOptions::default()).unwrap();
    let err = engine
        .run(&"2026Q3".parse::<Period>().unwrap(), &kpis)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, appraise_kpi::Error::Query { kpi, .. } if kpi == "broken"),
        "{err}"
    );
}
