//! `appraise init DIR`: editable copies of the built-in KPIs, calendars, scorecard and
//! report templates, for an office to make the appraisal its own
//! ([`appraise_pipeline::policy::write_out`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::InitArgs;

pub(crate) fn run(args: InitArgs) -> Result<ExitCode> {
    let written = appraise_pipeline::policy::write_out(&args.dir)?;
    let dir = args.dir.display();
    println!(
        "wrote {written} files into {dir}: queries/ (KPIs, calendars, scorecard) and reports/templates/"
    );
    println!(
        "run appraise from {dir} to use them (or pass --kpis, --calendars, --scorecard, --templates)"
    );
    Ok(ExitCode::SUCCESS)
}
