//! `appraise generate`: deterministic synthetic data.

use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_gen::{GenerateOptions, generate};
use chrono::NaiveDate;

use crate::cli::GenerateArgs;

pub(crate) fn run(args: GenerateArgs) -> Result<ExitCode> {
    let start = NaiveDate::parse_from_str(&args.start, "%Y-%m-%d").map_err(|_| {
        anyhow::Error::new(crate::Usage {
            reason: format!("--start {:?} is not a date", args.start),
            hint: Some("write it as YYYY-MM-DD, e.g. 2026-01-01".into()),
        })
    })?;
    let settings = args.write.onto(super::settings());
    let staging = appraise_data::staging::Staging::new(&args.out, &settings.write_policy())?;
    let opts = GenerateOptions {
        seed: args.seed,
        departments: args.departments,
        start,
        months: args.months,
        exchanges: args.exchanges,
        services: args.services.unwrap_or(args.exchanges / 5),
        share_requests: args.share_requests.unwrap_or(args.exchanges / 50),
        bad_rows: args.bad_rows,
        format: args.format,
        out: staging.path().to_path_buf(),
        timezone: super::parse_timezone(&args.timezone)?,
        workdays: match args.anomalies {
            Some(_) => Some(settings.calendar()?.exceptions().clone()),
            None => None,
        },
        anomalies: args.anomalies.unwrap_or(0),
    };
    let mut report = generate(&opts).with_context(|| format!("writing {}", args.out.display()))?;
    // The files where they are once committed, not in the staging folder.
    for file in &mut report.files {
        if let Ok(name) = file.strip_prefix(staging.path()) {
            *file = args.out.join(name);
        }
    }
    staging.commit()?;
    // The report is data: scripts read which bad rows went in.
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}
