//! `appraise anomalies`: a period's exchange traffic scanned for outages, latency
//! regressions and spikes ([`appraise_pipeline::anomalies()`]).

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::AnomaliesJob;
use appraise_score::anomaly::{Kind, Settings};

use crate::cli::AnomaliesArgs;

pub(crate) fn run(args: AnomaliesArgs) -> Result<ExitCode> {
    let (data, a) = (&args.appraisal.data, &args.appraisal.policy);
    if !(args.z.is_finite() && args.z > 0.0) {
        anyhow::bail!(crate::Usage {
            reason: format!("--z {} is not a positive number", args.z),
            hint: Some("give a positive score, such as the default 5".into()),
        });
    }
    let (card, options) = super::scorecard_and_options(&data.read, a.scorecard.as_deref())?;
    let rules = super::rules(
        card,
        options.timezone,
        &a.queries,
        &a.cluster,
        a.allow_empty,
    )?;
    let inputs = super::appraisal_inputs(&data.data, a.scorecard.as_deref(), &a.queries, &options);
    let write = super::write_policy(&args.write, &inputs);
    let settings = Settings {
        weeks: args.baseline_weeks,
        z: args.z,
        ..Settings::default()
    };
    let done = appraise_pipeline::anomalies(AnomaliesJob {
        data: data.data.clone(),
        options,
        period: a.period.clone(),
        calendar: rules.calendar,
        engine: rules.engine,
        query_timeout: rules.query_timeout,
        allow_empty: a.allow_empty,
        settings,
        out: args.out.clone(),
        write,
    })?;
    for w in &done.warnings {
        super::warn(w);
    }
    super::report_rejections(&done.data);
    let found = &done.detected;
    let count = |k: Kind| found.anomalies.iter().filter(|a| a.kind == k).count();
    println!(
        "anomalies {}: {} outages, {} latency regressions, {} spikes over {} department-days \
         and {} busy pairs",
        done.period,
        count(Kind::Outage),
        count(Kind::LatencyRegression),
        count(Kind::Spike),
        found.department_days,
        found.pairs,
    );
    for x in &found.anomalies {
        println!(
            "  {} {}{} {} ({}): {} {:.4} against {:.4}",
            x.day,
            x.department_id,
            x.consumer_id
                .as_deref()
                .map_or(String::new(), |c| format!(" ← {c}")),
            x.kind.name(),
            x.severity.name(),
            x.metric.name(),
            x.observed,
            x.expected,
        );
    }
    if let Some(out) = &done.out {
        println!("anomalies: {}", out.join("anomalies.csv").display());
    }
    Ok(ExitCode::SUCCESS)
}
