//! `appraise ingest`: validate a data folder and append its new rows to the warehouse.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::warehouse;

use crate::cli::IngestArgs;

pub(crate) fn run(args: IngestArgs) -> Result<ExitCode> {
    let settings = args.write.onto(args.read.settings(Some(&args.from))?);
    let mut opts = settings.options()?;
    let rejects = appraise_pipeline::Rejects::start(args.rejects.as_deref(), &settings)?;
    opts.rejects_dir = Some(rejects.path().to_path_buf());
    let tuning = warehouse::Tuning {
        wait: args.write.wait,
        ..warehouse::Tuning::default()
    };
    let done =
        warehouse::ingest_with(&args.from, &args.into, &opts, tuning).with_context(|| {
            format!(
                "ingesting {} into {}",
                appraise_data::without_password(&args.from),
                args.into.display()
            )
        })?;
    for w in &done.warnings {
        super::warn(w);
    }
    print!("{}", appraise_report::summary::ingested(&done, &args.into));
    let rejected = done.accounting.values().map(|a| a.rejected).sum();
    if let Some(dir) = rejects.finish(rejected)? {
        eprintln!("rejected rows: {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
