//! `appraise ingest`: validate a data folder and append its new rows to the warehouse.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::warehouse;

use crate::cli::IngestArgs;

pub(crate) fn run(args: IngestArgs) -> Result<ExitCode> {
    let mut opts = super::load_options(&args.read, super::zone(&args.read, None)?)?;
    let rejects =
        super::Rejects::start(args.rejects.as_deref(), &args.write, &args.from, &args.read)?;
    opts.rejects_dir = Some(rejects.path().to_path_buf());
    let tuning = warehouse::Tuning {
        wait: args.write.wait,
        ..warehouse::Tuning::default()
    };
    let done =
        warehouse::ingest_with(&args.from, &args.into, &opts, tuning).with_context(|| {
            format!(
                "ingesting {} into {}",
                args.from.display(),
                args.into.display()
            )
        })?;
    for w in &done.warnings {
        super::warn(w);
    }
    println!(
        "{:<16} {:>12} {:>12} {:>10} {:>10} {:>12} {:>12}",
        "table", "read", "loaded", "rejected", "duplicates", "in warehouse", "written"
    );
    for (table, a) in &done.accounting {
        println!(
            "{table:<16} {:>12} {:>12} {:>10} {:>10} {:>12} {:>12}",
            a.read,
            a.loaded,
            a.rejected,
            a.duplicates,
            done.already_present.get(table).copied().unwrap_or(0),
            done.written.get(table).copied().unwrap_or(0),
        );
    }
    if let Some(r) = &done.report {
        print!("{}", appraise_report::summary::source_report(r));
    }
    println!(
        "{} files committed to {}",
        done.files.len(),
        args.into.display()
    );
    let rejected = done.accounting.values().map(|a| a.rejected).sum();
    if let Some(dir) = rejects.finish(rejected)? {
        eprintln!("rejected rows: {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
