//! `appraise publish`: the period's open-data release ([`appraise_pipeline::publish`]),
//! and what it suppressed in a few lines.

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::{Licence, Release};

use crate::cli::PublishArgs;

pub(crate) fn run(args: PublishArgs) -> Result<ExitCode> {
    let licence = Licence::from_id(&args.licence)?;
    let (settings, resolved) = args.appraisal.resolve(&args.write)?;
    let lang = args.lang.into();
    let done = appraise_pipeline::publish(Release {
        data: settings.data()?.to_path_buf(),
        options: resolved.options,
        period: args.appraisal.policy.period.clone(),
        rules: resolved.rules,
        out: args.out.clone(),
        write: resolved.write,
        min_cell: args.min_cell,
        licence,
        series: args.series.clone(),
        lang,
    })?;
    let (warnings, text) = done.summary(lang, args.min_cell)?;
    for line in warnings {
        eprintln!("{line}");
    }
    super::report_rejections(&done.data);
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
