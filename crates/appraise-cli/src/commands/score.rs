//! `appraise score`: the KPIs of a period and up to seven before it, scored through the
//! scorecard, with comparison, rank intervals and diagnostics
//! ([`appraise_pipeline::score`]).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::{ScoreInput, Scoring};
use appraise_report::tables::{ResultFormat, TableFormat};

use crate::cli::{OutputFormat, ScoreArgs};

pub(crate) fn run(args: ScoreArgs) -> Result<ExitCode> {
    let a = &args.policy;
    if args.output.format == OutputFormat::Parquet && args.output.out.is_none() {
        anyhow::bail!(crate::Usage {
            reason: "--format parquet writes files".into(),
            hint: Some("add --out DIR".into()),
        });
    }
    let input = match (&args.kpi_matrix, &args.data) {
        (Some(matrix), _) => ScoreInput::Matrix {
            matrix: matrix.clone(),
            departments: args.read.departments.clone().ok_or_else(|| crate::Usage {
                reason: "--kpi-matrix needs the departments".into(),
                hint: Some("add --departments FILE (departments.csv of the data)".into()),
            })?,
        },
        (None, Some(dir)) => ScoreInput::Data(dir.clone()),
        (None, None) => anyhow::bail!(crate::Usage {
            reason: "nothing to score".into(),
            hint: Some("pass --data DIR, or --kpi-matrix FILE with --departments FILE".into()),
        }),
    };
    let out = args.output.out.as_ref().map(|dir| {
        let q = &a.queries;
        let mut inputs: Vec<&Path> = Vec::new();
        inputs.extend(args.data.as_deref());
        inputs.extend(args.kpi_matrix.as_deref());
        inputs.extend(args.read.departments.as_deref());
        inputs.extend(a.scorecard.as_deref());
        inputs.extend(q.kpis.as_deref());
        inputs.extend(q.calendars.as_deref());
        // Tables for a person are written as CSV.
        let format = match super::result_format(args.output.format) {
            ResultFormat::Table => TableFormat::Csv,
            ResultFormat::File(format) => format,
        };
        (
            dir.clone(),
            super::write_policy(&args.output.write, &inputs),
            format,
        )
    });
    let (card, options) = super::scorecard_and_options(&args.read, a.scorecard.as_deref())?;
    let rules = super::rules(
        card,
        options.timezone,
        &a.queries,
        &a.cluster,
        a.allow_empty,
    )?;
    let done = appraise_pipeline::score(Scoring {
        input,
        options,
        period: a.period.clone(),
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
