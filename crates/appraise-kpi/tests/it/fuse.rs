//! Fused KPIs ([`appraise_kpi::fuse`]): which built-in KPIs run as one aggregation, and
//! that every value is, bit for bit, the one the KPI gives alone.

use std::path::Path;

use appraise_kpi::fuse::{Unit, units};
use appraise_kpi::{Calendar, Engine, EngineOptions, KpiMatrix, Period, load_library};

use crate::common::root;

/// The built-in KPIs that fuse, by table and key. A KPI leaving this list (its SQL no
/// longer of the shape) fails the test: it would run on its own again.
const FUSED: [&[&str]; 3] = [
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
    let want: Vec<Vec<&str>> = FUSED.iter().map(|g| g.to_vec()).collect();
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

/// Asserts that `a` and `b` hold the same departments and KPIs with the same values,
/// numerators, denominators and sample sizes, to the last bit; returns how many.
fn same_to_the_bit(a: &KpiMatrix, b: &KpiMatrix, what: &str) -> usize {
    assert_eq!(a.period, b.period, "{what}");
    assert_eq!(a.values.len(), b.values.len(), "{what}");
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    for (f, a) in a.values.iter().zip(&b.values) {
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
            "{what} {} {}",
            f.kpi,
            f.department_id
        );
    }
    a.values.len()
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
            let what = format!("{} {period}", data.display());
            compared += same_to_the_bit(&fused, &alone, &what);
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

/// A trend's matrices (the period's and the earlier ones, computed or kept) are, bit for
/// bit, each period's own run with every KPI alone; on the demo and on generated data,
/// cold and with two earlier periods kept.
#[test]
fn a_trend_gives_every_period_s_own_values_to_the_last_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("generated");
    appraise_gen::generate(&appraise_gen::GenerateOptions {
        seed: 5,
        departments: 30,
        exchanges: 30_000,
        out: generated.clone(),
        ..Default::default()
    })
    .unwrap();
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut compared = 0;
    for data in [root().join("fixtures/demo"), generated] {
        // Into a warehouse, so that the KPI cache keeps matrices.
        let wh = tmp.path().join(format!("wh-{compared}"));
        appraise_data::warehouse::ingest(&data, &wh, &Default::default()).unwrap();
        let stored = appraise_data::load_dir(&wh, &Default::default()).unwrap();
        let calendar = || Calendar::from_dir(&root().join("queries/calendars")).unwrap();
        let current: Period = "2026Q3".parse().unwrap();
        let earlier: Vec<Period> = ["2026Q2", "2026Q1", "2025Q4"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        let alone = Engine::new(
            &stored,
            calendar(),
            &EngineOptions {
                fuse: false,
                ..EngineOptions::default()
            },
        )
        .unwrap();
        let own: Vec<KpiMatrix> = std::iter::once(&current)
            .chain(&earlier)
            .map(|p| rt.block_on(alone.run(p, &kpis)).unwrap())
            .collect();
        let cache = tmp.path().join(format!("cache-{compared}"));
        let options = EngineOptions {
            kpi_cache: Some(cache.clone()),
            ..EngineOptions::default()
        };
        let engine = Engine::new(&stored, calendar(), &options).unwrap();
        // Two earlier periods first (three periods computed, all kept); then the trend
        // of three: the period and 2025Q4 computed, 2026Q2 and 2026Q1 kept.
        let first = rt
            .block_on(engine.trend(&current, &earlier[..2], &kpis))
            .unwrap();
        assert_eq!(
            std::fs::read_dir(&cache).unwrap().count(),
            3,
            "every matrix kept"
        );
        let then = rt
            .block_on(engine.trend(&current, &earlier, &kpis))
            .unwrap();
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 4);
        assert_eq!(first.earlier.len(), 2);
        for (m, o) in std::iter::once(&first.current)
            .chain(&first.earlier)
            .zip(&own)
        {
            compared += same_to_the_bit(m, o, &data.display().to_string());
        }
        for trend in [then] {
            assert!(trend.cut.is_none());
            assert_eq!(trend.earlier.len(), 3);
            let all = std::iter::once(&trend.current).chain(&trend.earlier);
            for (m, o) in all.zip(&own) {
                compared += same_to_the_bit(m, o, &data.display().to_string());
            }
        }
    }
    assert!(compared > 5_000, "{compared}");
}

/// The 50th and 90th percentile of the exchanges' response times are taken from one
/// gathering of the values (`appraise_percentiles`), not two.
#[test]
fn percentiles_of_the_same_values_are_gathered_once() {
    let kpis = load_library(&root().join("queries/kpis")).unwrap();
    let exchanges = units(&kpis)
        .into_iter()
        .find_map(|u| match u {
            Unit::Fused { sql, members }
                if members.iter().any(|&i| kpis[i].id == "response_p90_ms") =>
            {
                Some(sql)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        exchanges.matches("appraise_percentiles(").count(),
        1,
        "{exchanges}"
    );
    assert!(
        exchanges.contains(", 0.5, 0.9) FILTER (WHERE"),
        "{exchanges}"
    );
    assert!(!exchanges.contains("percentile_cont("), "{exchanges}");
}
