//! `appraise validate`: load, check, account for every row; write rejects.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::load_dir;

use crate::cli::{SummaryFormat, ValidateArgs};

pub(crate) fn run(args: ValidateArgs) -> Result<ExitCode> {
    let mut opts = super::load_options(&args.data.read, super::zone(&args.data.read, None)?)?;
    let rejects = super::Rejects::start(
        args.rejects.as_deref(),
        &args.write,
        &args.data.data,
        &args.data.read,
    )?;
    opts.rejects_dir = Some(rejects.path().to_path_buf());
    // A warehouse: every committed file is checked against its manifest first.
    let verified = if appraise_data::warehouse::is_warehouse(&args.data.data) {
        Some(appraise_data::warehouse::verify(&args.data.data)?)
    } else {
        None
    };
    let data = load_dir(&args.data.data, &opts)
        .with_context(|| format!("loading {}", args.data.data.display()))?;
    let written = rejects.finish(data.tables.iter().map(|t| t.accounting.rejected).sum())?;
    match args.format {
        SummaryFormat::Json => println!("{}", appraise_report::summary::accounting_json(&data)),
        SummaryFormat::Table => {
            print!("{}", appraise_report::summary::accounting_table(&data));
            for w in &data.warnings {
                super::warn(w);
            }
        }
    }
    if let Some(v) = verified {
        eprintln!(
            "warehouse: {} files ({} bytes, {} rows) match their manifest",
            v.files, v.bytes, v.rows
        );
    }
    if let Some(dir) = written {
        eprintln!("rejected rows: {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
