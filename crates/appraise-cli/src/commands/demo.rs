//! `appraise demo`: the appraisal on the committed demo data.
//!
//! Until the report exists, the demo loads and validates the demo data, scores the
//! latest quarter against the one before, and writes the ranking and score tables,
//! `kpis.csv` and the rejects.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::{LoadOptions, Table, load_dir};
use appraise_kpi::Period;
use appraise_report::manifest::Manifest;
use chrono::Datelike;

use crate::cli::{DemoArgs, OutputFormat, QueryArgs};
use crate::output;

pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let dir = args
        .data
        .unwrap_or_else(|| super::resolve(&PathBuf::from("fixtures/demo")));
    // Everything is written into a staging folder and moved into place at the end, so
    // an interrupted demo never leaves half its output.
    let staging = appraise_report::staging::Staging::new(&args.out)
        .with_context(|| format!("preparing {}", args.out.display()))?;
    let opts = LoadOptions {
        rejects_dir: Some(staging.path().join("rejects")),
        ..LoadOptions::default()
    };
    let started = std::time::Instant::now();
    let data = load_dir(&dir, &opts).with_context(|| format!("loading {}", dir.display()))?;
    println!("appraise demo: {}", dir.display());
    print!("{}", output::accounting_table(&data));
    print!("{}", output::data_summary(&data, opts.timezone));
    for w in &data.warnings {
        eprintln!("warning: {w}");
    }

    // The quarter of the latest exchange.
    let Some((_, last)) = data.table(Table::Exchanges).time_span("requested_at") else {
        anyhow::bail!("the demo data holds no exchanges");
    };
    let last = chrono::DateTime::from_timestamp_micros(last)
        .map(|t| t.with_timezone(&opts.timezone).date_naive())
        .unwrap_or_default();
    let period = Period::quarter(last.year(), (last.month() - 1) / 3 + 1)
        .context("the latest exchange has no quarter")?;
    let queries = QueryArgs {
        kpis: "queries/kpis".into(),
        calendars: "queries/calendars".into(),
    };
    let loaded = started.elapsed().as_secs_f64();
    let super::score::Scored {
        appraisal,
        matrix,
        kpis,
    } = super::score::appraise(
        &data,
        &period,
        std::path::Path::new("queries/scorecard.toml"),
        &queries,
    )?;
    let scored = started.elapsed().as_secs_f64() - loaded;
    super::score::write_tables(&appraisal, staging.path(), OutputFormat::Csv)?;
    output::write_batches(
        &[matrix.to_batch().map_err(super::kpi_error)?],
        OutputFormat::Csv,
        Some(&staging.path().join("kpis.csv")),
    )?;

    let s = &appraisal.current;
    let ranked = s.ranked().len();
    println!(
        "\nRanking for {period} ({ranked} of {} departments ranked{}):",
        s.departments.len(),
        appraisal
            .previous()
            .map_or(String::new(), |p| format!(", compared with {}", p.period))
    );
    for &d in s.ranking_order().iter().take(10) {
        let dep = &s.departments[d];
        let grade = dep
            .grade
            .map_or("-", |g| appraisal.scorecard.grades.bands[g].grade.as_str());
        println!(
            "  {:>3}  {:<12} {:>6.2}  {grade}  {}",
            dep.rank.map_or("-".into(), |r| r.to_string()),
            dep.department.id,
            dep.composite.unwrap_or(f64::NAN),
            dep.department.name
        );
    }
    if let Some(a) = appraisal.robustness.as_ref().and_then(|r| r.decisive()) {
        println!("  the ranking depends most on the {}", a.name());
    }
    let mut manifest = Manifest::new(env!("CARGO_PKG_VERSION"), &period.to_string(), &dir, &data)
        .context("hashing the inputs")?;
    manifest
        .scorecard(&appraisal.scorecard.path)
        .context("hashing the scorecard")?;
    for k in &kpis {
        manifest
            .kpi(&k.id, &k.path)
            .context("hashing the KPI files")?;
    }
    manifest.timings = vec![
        ("load".into(), loaded),
        ("kpis_and_scoring".into(), scored),
        (
            "write".into(),
            started.elapsed().as_secs_f64() - loaded - scored,
        ),
    ];
    manifest.generated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    std::fs::write(staging.path().join("manifest.json"), manifest.to_json())
        .context("writing manifest.json")?;
    staging
        .commit()
        .with_context(|| format!("moving the output into {}", args.out.display()))?;
    eprintln!("ranking: {}", args.out.join("ranking.csv").display());
    eprintln!("KPI matrix: {}", args.out.join("kpis.csv").display());
    eprintln!("rejected rows: {}", args.out.join("rejects").display());
    Ok(ExitCode::SUCCESS)
}
