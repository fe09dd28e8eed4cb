//! `appraise demo`: the appraisal on the committed demo data.
//!
//! Until scoring and reporting exist, the demo loads and validates the demo data and
//! prints what it holds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::{LoadOptions, load_dir};

use crate::cli::DemoArgs;
use crate::output;

/// fixtures/demo of the current folder, else of the checkout the binary was built from.
fn demo_data(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let here = PathBuf::from("fixtures/demo");
        if here.is_dir() {
            here
        } else {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo")
        }
    })
}

pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let dir = demo_data(args.data);
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
    eprintln!("rejected rows: {}", args.out.join("rejects").display());
    Ok(ExitCode::SUCCESS)
}
