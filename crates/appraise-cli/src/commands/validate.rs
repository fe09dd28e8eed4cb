//! `appraise validate`: load, check, account for every row; write rejects.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::load_dir;

use crate::cli::{SummaryFormat, ValidateArgs};
use crate::output;

pub(crate) fn run(args: ValidateArgs) -> Result<ExitCode> {
    let mut opts = super::load_options(&args.data.read)?;
    opts.rejects_dir = Some(args.rejects.clone());
    let data = load_dir(&args.data.data, &opts)
        .with_context(|| format!("loading {}", args.data.data.display()))?;
    match args.format {
        SummaryFormat::Json => println!("{}", output::accounting_json(&data)),
        SummaryFormat::Table => {
            print!("{}", output::accounting_table(&data));
            for w in &data.warnings {
                eprintln!("warning: {w}");
            }
            eprintln!("rejected rows: {}", args.rejects.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
