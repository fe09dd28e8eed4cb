//! `appraise run`: the whole appraisal ([`appraise_pipeline::run`]) with a progress
//! bar, and what it did in a few lines.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use appraise_kpi::Period;
use appraise_pipeline::{Done, Job, RUN_STEPS};
use appraise_report::lang::Lang;
use appraise_report::templates::Templates;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{ClusterArgs, Language, QueryArgs, ReportArgs, RunArgs, WriteArgs};

pub(crate) fn run(args: RunArgs) -> Result<ExitCode> {
    let (data, a) = (&args.appraisal.data, &args.appraisal.policy);
    let period = a.period.clone();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/out").join(period.to_string()));
    let (card, options) = super::scorecard_and_options(&data.read, a.scorecard.as_deref())?;
    let settings = Settings {
        data: data.data.clone(),
        scorecard: a.scorecard.clone(),
        queries: &a.queries,
        cluster: &a.cluster,
        report: &args.report,
        write: &args.write,
        allow_empty: a.allow_empty,
    };
    let done = settings.run(card, options, Some(period), out)?;
    summary(&done);
    Ok(ExitCode::SUCCESS)
}

/// The flags of a run, resolved into a [`Job`] by [`Settings::run`].
pub(crate) struct Settings<'a> {
    pub data: PathBuf,
    pub scorecard: Option<PathBuf>,
    pub queries: &'a QueryArgs,
    pub cluster: &'a ClusterArgs,
    pub report: &'a ReportArgs,
    pub write: &'a WriteArgs,
    pub allow_empty: bool,
}

impl Settings<'_> {
    /// Runs the appraisal of `period` (`None`: the latest exchange's quarter) into
    /// `out` by `scorecard` (the one `self.scorecard` names), with a progress bar at a
    /// terminal.
    pub(crate) fn run(
        self,
        scorecard: appraise_score::Scorecard,
        options: appraise_data::LoadOptions,
        period: Option<Period>,
        out: PathBuf,
    ) -> Result<Done> {
        // Templates and policy files first: a broken one fails before any work is done.
        let templates = Templates::load(self.report.templates.as_deref())?;
        let rules = super::rules(
            scorecard,
            options.timezone,
            self.queries,
            self.cluster,
            self.allow_empty,
        )?;
        // The output may not hold anything the run reads.
        let mut inputs = super::appraisal_inputs(
            &self.data,
            self.scorecard.as_deref(),
            self.queries,
            &options,
        );
        inputs.extend(self.report.templates.as_deref());
        let write = super::write_policy(self.write, &inputs);
        let job = Job {
            data: self.data,
            options,
            period,
            rules,
            templates,
            lang: match self.report.lang {
                Language::Zh => Lang::Zh,
                Language::En => Lang::En,
            },
            out,
            write,
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

/// Where the report is, what happened to the rows, how many departments ranked: in
/// the report's language.
pub(crate) fn summary(done: &Done) {
    let w = &done.words;
    for warning in &done.warnings {
        eprintln!("{}", w.fill("cli:warning", &[("text", warning)]));
    }
    let sum = |f: fn(&appraise_data::Accounting) -> u64| -> String {
        done.data
            .tables
            .iter()
            .map(|t| f(&t.accounting))
            .sum::<u64>()
            .to_string()
    };
    // Periods in Chinese words, or as the command line writes them (2026Q3).
    let period_of = |p: &appraise_kpi::Period| match done.lang {
        appraise_report::lang::Lang::Zh => done.lang.period(p),
        appraise_report::lang::Lang::En => p.to_string(),
    };
    let period = period_of(&done.period);
    let compared = done.previous.as_ref().map_or(String::new(), |p| {
        w.fill("cli:compared", &[("previous", &period_of(p))])
    });
    println!(
        "{}",
        w.fill(
            "cli:appraisal",
            &[
                ("period", &period),
                ("compared", &compared),
                ("ranked", &done.ranking.len().to_string()),
                ("unranked", &done.unranked.to_string()),
            ]
        )
    );
    let rejected = sum(|a| a.rejected);
    let rejects = if rejected != "0" {
        let path = done.out.join("rejects").display().to_string();
        w.fill("cli:rejects", &[("path", &path)])
    } else {
        String::new()
    };
    println!(
        "{}",
        w.fill(
            "cli:rows",
            &[
                ("read", &sum(|a| a.read)),
                ("loaded", &sum(|a| a.loaded)),
                ("rejected", &rejected),
                ("duplicates", &sum(|a| a.duplicates)),
                ("rejects", &rejects),
            ]
        )
    );
    if let Some(a) = done.decisive {
        let assumption = w.get(&format!("assumption:{a}"));
        println!("{}", w.fill("cli:decisive", &[("assumption", &assumption)]));
    }
    let report = done.out.join("report.html").display().to_string();
    println!("{}", w.fill("cli:report", &[("path", &report)]));
}
