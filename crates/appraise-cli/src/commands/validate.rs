//! `appraise validate`: load, check, account for every row; write rejects
//! ([`appraise_pipeline::validate()`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{SummaryFormat, ValidateArgs};

pub(crate) fn run(args: ValidateArgs) -> Result<ExitCode> {
    let settings = args
        .write
        .onto(args.data.read.settings(Some(&args.data.data))?);
    let done = appraise_pipeline::validate(&settings, args.rejects.as_deref())?;
    match args.format {
        SummaryFormat::Json => {
            println!("{}", appraise_report::summary::accounting_json(&done.data));
        }
        SummaryFormat::Table => {
            print!("{}", appraise_report::summary::accounting_table(&done.data));
            for w in &done.data.warnings {
                super::warn(w);
            }
        }
    }
    if let Some(v) = done.verified {
        eprintln!(
            "warehouse: {} files ({} bytes, {} rows) match their manifest",
            v.files, v.bytes, v.rows
        );
    }
    if let Some(dir) = done.rejects {
        eprintln!("rejected rows: {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
