//! `appraise run`: the whole appraisal ([`appraise_pipeline::run`]) with a progress
//! bar, and what it did in a few lines.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use appraise_kpi::Period;
use appraise_pipeline::{Done, Job, RUN_STEPS, Resolved, Settings};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ReportArgs, RunArgs};

pub(crate) fn run(args: RunArgs) -> Result<ExitCode> {
    let period = args.appraisal.policy.period.clone();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/out").join(period.to_string()));
    let settings = args.appraisal.settings(&args.write)?;
    let done = appraise(settings, &args.report, Some(period), out)?;
    summary(&done);
    Ok(ExitCode::SUCCESS)
}

/// Runs the appraisal of `period` (`None`: the latest exchange's quarter) into `out`,
/// with a progress bar at a terminal.
pub(crate) fn appraise(
    mut settings: Settings,
    report: &ReportArgs,
    period: Option<Period>,
    out: PathBuf,
) -> Result<Done> {
    settings.templates = report.templates.clone();
    // Templates and policy files first: a broken one fails before any work is done.
    let templates = settings.templates()?;
    let Resolved {
        rules,
        options,
        write,
    } = settings.resolve()?;
    let job = Job {
        data: settings.data()?.to_path_buf(),
        options,
        period,
        rules,
        templates,
        lang: report.lang.into(),
        out,
        write,
        evidence: report.evidence,
        status: report.status.map(Into::into),
    };
    let bar = progress_bar();
    // A step counts as done when the next one starts.
    let mut started = false;
    let done = appraise_pipeline::run(job, &mut |step| {
        if started {
            bar.inc(1);
        }
        started = true;
        bar.set_message(step.to_string());
    });
    bar.finish_and_clear();
    Ok(done?)
}

fn progress_bar() -> ProgressBar {
    // Quiet when piped or under CI: a progress bar is for a person at a terminal.
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(RUN_STEPS as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Its warnings on standard error, then what it did ([`Done::summary`]).
pub(crate) fn summary(done: &Done) {
    for line in done.warning_lines() {
        eprintln!("{line}");
    }
    print!("{}", done.summary());
}
