//! `appraise anomalies`: a period's exchange traffic scanned for outages, latency
//! regressions and spikes ([`appraise_pipeline::anomalies()`]).

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::AnomaliesJob;
use appraise_score::anomaly::Settings as Detector;

use crate::cli::AnomaliesArgs;

pub(crate) fn run(args: AnomaliesArgs) -> Result<ExitCode> {
    if !(args.z.is_finite() && args.z > 0.0) {
        anyhow::bail!(crate::Usage {
            reason: format!("--z {} is not a positive number", args.z),
            hint: Some("give a positive score, such as the default 5".into()),
        });
    }
    let (settings, resolved) = args.appraisal.resolve(&args.write)?;
    let detector = Detector {
        weeks: args.baseline_weeks,
        z: args.z,
        ..Detector::default()
    };
    let done = appraise_pipeline::anomalies(AnomaliesJob {
        data: settings.data()?.to_path_buf(),
        options: resolved.options,
        period: args.appraisal.policy.period.clone(),
        calendar: resolved.rules.calendar,
        engine: resolved.rules.engine,
        query_timeout: resolved.rules.query_timeout,
        allow_empty: settings.allow_empty,
        settings: detector,
        out: args.out.clone(),
        write: resolved.write,
    })?;
    for w in &done.warnings {
        super::warn(w);
    }
    super::report_rejections(&done.data);
    print!("{}", done.summary());
    Ok(ExitCode::SUCCESS)
}
