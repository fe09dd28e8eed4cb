//! `appraise kpi list | check | run`.

use std::process::ExitCode;

use anyhow::Result;
use appraise_kpi::KpiDef;

use crate::cli::{KpiCheckArgs, KpiCommand, KpiListArgs, KpiRunArgs, OutputFormat, QueryArgs};

pub(crate) fn run(cmd: KpiCommand) -> Result<ExitCode> {
    match cmd {
        KpiCommand::List(args) => list(args),
        KpiCommand::Check(args) => check(args),
        KpiCommand::Run(args) => run_kpis(*args),
    }
}

fn library(q: &QueryArgs) -> Result<Vec<KpiDef>> {
    Ok(q.onto(super::settings()).library()?)
}

fn list(args: KpiListArgs) -> Result<ExitCode> {
    let kpis = library(&args.queries)?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&kpis)?),
        _ => print!("{}", appraise_report::summary::kpi_list(&kpis)),
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
    let settings = args.queries.onto(super::settings());
    let checked = appraise_pipeline::check_kpis(&settings, kpis)?;
    let total = checked.len();
    let mut failed = 0;
    for (k, problem) in checked {
        let Some(e) = problem else {
            println!("ok      {} ({})", k.id, k.path.display());
            continue;
        };
        failed += 1;
        println!("FAILED  {} ({})", k.id, k.path.display());
        let hint = e.hint();
        // With its causes, as `main` prints an error.
        eprintln!("error: {:#}", anyhow::Error::from(e));
        if let Some(h) = hint {
            eprintln!("hint: {h}");
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {total} KPIs failed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn run_kpis(args: KpiRunArgs) -> Result<ExitCode> {
    let mut settings = args.reading.settings()?;
    settings.fuse = !args.unfused;
    if args.explain {
        print!(
            "{}",
            appraise_pipeline::explain_kpis(&settings, &args.period, &args.kpi)?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (data, matrix) = appraise_pipeline::kpi_matrix(&settings, &args.period, &args.kpi)?;
    super::report_rejections(&data);
    args.reading.output.write(&[matrix], &settings)?;
    Ok(ExitCode::SUCCESS)
}
