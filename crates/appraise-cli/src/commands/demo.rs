//! `appraise demo`: the appraisal on the committed demo data.
//!
//! Until scoring and reporting exist, the demo loads and validates the demo data, runs
//! every KPI for the latest quarter, and writes `kpis.csv` and the rejects.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::{LoadOptions, Table, load_dir};
use appraise_kpi::{Engine, EngineOptions, Period};
use chrono::Datelike;

use crate::cli::{DemoArgs, OutputFormat, QueryArgs};
use crate::output;

pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let dir = args
        .data
        .unwrap_or_else(|| super::resolve(&PathBuf::from("fixtures/demo")));
    let opts = LoadOptions {
        rejects_dir: Some(args.out.join("rejects")),
        ..LoadOptions::default()
    };
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
    let kpis = super::kpi::library(&queries)?;
    let engine = Engine::new(
        &data,
        super::kpi::calendar(&queries)?,
        &EngineOptions::default(),
    )
    .map_err(super::kpi_error)?;
    let matrix = super::runtime()?
        .block_on(engine.run(&period, &kpis))
        .map_err(super::kpi_error)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let kpis_csv = args.out.join("kpis.csv");
    output::write_batches(
        &[matrix.to_batch().map_err(super::kpi_error)?],
        OutputFormat::Csv,
        Some(&kpis_csv),
    )?;

    println!("\nKPIs for {period} (departments with a value, best department):");
    for k in &kpis {
        let values: Vec<_> = matrix
            .values
            .iter()
            .filter(|v| v.kpi == k.id && v.value.is_some())
            .collect();
        let better = |a: f64, b: f64| match k.direction {
            appraise_kpi::Direction::Higher => a > b,
            appraise_kpi::Direction::Lower => a < b,
        };
        let best = values.iter().copied().reduce(|a, b| {
            if better(b.value.unwrap_or_default(), a.value.unwrap_or_default()) {
                b
            } else {
                a
            }
        });
        let best = best.map_or(String::new(), |b| {
            format!("{} {:.3}", b.department_id, b.value.unwrap_or_default())
        });
        println!("  {:<28} {:>4}  {best}", k.id, values.len());
    }
    eprintln!("KPI matrix: {}", kpis_csv.display());
    eprintln!("rejected rows: {}", args.out.join("rejects").display());
    Ok(ExitCode::SUCCESS)
}
