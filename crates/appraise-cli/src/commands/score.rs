//! `appraise score`: the KPIs of a period and up to seven before it, scored through the
//! scorecard, with comparison, rank intervals and diagnostics
//! ([`appraise_pipeline::score`]).

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::{Resolved, ScoreInput, Scoring, Settings};
use appraise_report::tables::{ResultFormat, TableFormat};

use crate::cli::{OutputFormat, ScoreArgs};

pub(crate) fn run(args: ScoreArgs) -> Result<ExitCode> {
    if args.output.format == OutputFormat::Parquet && args.output.out.is_none() {
        anyhow::bail!(crate::Usage {
            reason: "--format parquet writes files".into(),
            hint: Some("add --out DIR".into()),
        });
    }
    let input = ScoreInput::of(
        args.kpi_matrix.as_deref(),
        args.read.departments.as_deref(),
        args.data.as_deref(),
    )?;
    let read = args.read.settings(args.data.as_deref())?;
    let settings = args.policy.onto(Settings {
        also_reads: args.kpi_matrix.iter().cloned().collect(),
        ..args.output.write.onto(read)
    });
    let Resolved {
        rules,
        options,
        write,
    } = settings.resolve()?;
    // Tables for a person are written as CSV.
    let format = match super::result_format(args.output.format) {
        ResultFormat::Table => TableFormat::Csv,
        ResultFormat::File(format) => format,
    };
    let out = args.output.out.clone().map(|dir| (dir, write, format));
    let done = appraise_pipeline::score(Scoring {
        input,
        options,
        period: args.policy.period.clone(),
        rules,
        out,
    })?;
    super::report_rejections(&done.data);
    for w in done.warnings.iter().chain(&done.appraisal.current.warnings) {
        super::warn(w);
    }
    match &done.out {
        None => {
            let mut ranking = done.appraisal.ranking_table()?;
            if args.output.format == OutputFormat::Table {
                ranking = appraise_report::tables::two_decimals(&ranking)?;
            }
            let mut out = appraise_report::tables::Stream::open(
                super::result_format(args.output.format),
                None,
                false,
            )?;
            out.push(&ranking)?;
            super::finish(out, Some(ranking.schema()))?
        }
        Some(dir) => eprintln!("ranking and scores: {}", dir.display()),
    }
    Ok(ExitCode::SUCCESS)
}
