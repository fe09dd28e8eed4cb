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
