//! `appraise kpi list | check | run`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_kpi::{Calendar, Engine, EngineOptions, KpiDef, Period};

use crate::cli::{KpiCheckArgs, KpiCommand, KpiListArgs, KpiRunArgs, OutputFormat, QueryArgs};

pub(crate) fn run(cmd: KpiCommand) -> Result<ExitCode> {
    match cmd {
        KpiCommand::List(args) => list(args),
        KpiCommand::Check(args) => check(args),
        KpiCommand::Run(args) => run_kpis(*args),
    }
}

pub(crate) fn library(q: &QueryArgs) -> Result<Vec<KpiDef>> {
    crate::policy::kpis(q.kpis.as_deref())
}

pub(crate) fn calendar(q: &QueryArgs) -> Result<Calendar> {
    crate::policy::calendar(q.calendars.as_deref())
}

fn list(args: KpiListArgs) -> Result<ExitCode> {
    let kpis = library(&args.queries)?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&kpis)?),
        _ => {
            println!(
                "{:<28} {:<16} {:<9} {:<14} title",
                "kpi", "dimension", "direction", "unit"
            );
            for k in &kpis {
                let direction = match k.direction {
                    appraise_kpi::Direction::Higher => "higher",
                    appraise_kpi::Direction::Lower => "lower",
                };
                println!(
                    "{:<28} {:<16} {:<9} {:<14} {}",
                    k.id,
                    k.dimension,
                    direction,
                    k.unit.as_deref().unwrap_or(""),
                    k.title
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: KpiCheckArgs) -> Result<ExitCode> {
    let kpis = if args.files.is_empty() {
        library(&args.queries)?
    } else {
        args.files
            .iter()
            .map(|f| KpiDef::from_file(f).map_err(anyhow::Error::from))
            .collect::<Result<_>>()?
    };
    let engine = Engine::without_data(calendar(&args.queries)?, &EngineOptions::default())
        .map_err(anyhow::Error::from)?;
    // Any period will do: the tables are empty, only the plans matter.
    let period: Period = "2026Q1".parse().map_err(anyhow::Error::from)?;
    engine.scope(Some(&period)).map_err(anyhow::Error::from)?;
    let mut failed = 0;
    for k in &kpis {
        match super::block_on(engine.check(k))? {
            Ok(()) => println!("ok      {} ({})", k.id, k.path.display()),
            Err(e) => {
                failed += 1;
                println!("FAILED  {} ({})", k.id, k.path.display());
                let hint = e.hint();
                // With its causes, as `main` prints an error.
                eprintln!("error: {:#}", anyhow::Error::from(e));
                if let Some(h) = hint {
                    eprintln!("hint: {h}");
                }
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} KPIs failed", kpis.len());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_kpis(args: KpiRunArgs) -> Result<ExitCode> {
    let period = args.period.clone();
    let kpis = appraise_kpi::select(library(&args.queries)?, &args.kpi)?;
    let opts = super::load_options(&args.data.read, super::zone(&args.data.read, None)?)?;
    let engine_opts = super::engine_options(opts.timezone, &args.cluster);
    let data = appraise_data::load_dir(&args.data.data, &opts)
        .with_context(|| format!("loading {}", args.data.data.display()))?;
    super::report_rejections(&data);
    let engine =
        Engine::new(&data, calendar(&args.queries)?, &engine_opts).map_err(anyhow::Error::from)?;
    let matrix = super::block_on(engine.run(&period, &kpis))?.map_err(anyhow::Error::from)?;
    let batch = matrix.to_batch().map_err(anyhow::Error::from)?;
    let inputs = super::appraisal_inputs(&args.data.data, None, &args.queries, &opts);
    args.output.write(&[batch], &inputs)?;
    Ok(ExitCode::SUCCESS)
}
