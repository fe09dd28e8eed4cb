//! `appraise evidence`: the rows behind a department's KPI values
//! ([`appraise_pipeline::evidence()`]).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::EvidenceArgs;

pub(crate) fn run(args: EvidenceArgs) -> Result<ExitCode> {
    let mut settings = args.write.onto(args.querying.settings()?);
    settings.adjustments = args.adjustments.clone();
    let written = appraise_pipeline::evidence(
        &settings,
        &args.period,
        &args.department,
        &args.kpi,
        &args.out,
    )?;
    for (name, rows) in &written.files {
        println!("{rows:>8}  {name}");
    }
    if !written.without.is_empty() {
        println!("no evidence query: {}", written.without.join(", "));
    }
    println!(
        "evidence of {} for {}: {}",
        args.department,
        args.period,
        written.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
