//! `appraise sql`: a researcher's read-only query over the tables
//! ([`appraise_pipeline::query()`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::SqlArgs;

pub(crate) fn run(args: SqlArgs) -> Result<ExitCode> {
    let settings = args.reading.settings()?;
    // The result streams to its file or to the terminal as it comes: memory holds the
    // engine's working set, not the result.
    let mut out = args.reading.output.stream(&settings)?;
    let (data, schema) = appraise_pipeline::query(
        &settings,
        &args.query,
        args.period.as_ref(),
        args.explain,
        &mut out,
    )?;
    super::report_rejections(&data);
    super::finish(out, Some(schema))?;
    Ok(ExitCode::SUCCESS)
}
