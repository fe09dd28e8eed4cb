//! `appraise publish`: the period's open-data release ([`appraise_pipeline::publish`]),
//! and what it suppressed in a few lines.

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::{Licence, Release};

use appraise_report::lang::Lang;
use appraise_report::templates::Templates;

use crate::cli::{Language, PublishArgs};

pub(crate) fn run(args: PublishArgs) -> Result<ExitCode> {
    let (data, a) = (&args.appraisal.data, &args.appraisal.policy);
    let licence = Licence::from_id(&args.licence)?;
    let (card, options) = super::scorecard_and_options(&data.read, a.scorecard.as_deref())?;
    let rules = super::rules(
        card,
        options.timezone,
        &a.queries,
        &a.cluster,
        a.allow_empty,
    )?;
    // The output may not hold anything the release reads.
    let inputs = super::appraisal_inputs(&data.data, a.scorecard.as_deref(), &a.queries, &options);
    let write = super::write_policy(&args.write, &inputs);
    let lang = match args.lang {
        Language::Zh => Lang::Zh,
        Language::En => Lang::En,
    };
    let done = appraise_pipeline::publish(Release {
        data: data.data.clone(),
        options,
        period: a.period.clone(),
        rules,
        out: args.out.clone(),
        write,
        min_cell: args.min_cell,
        licence,
        series: args.series.clone(),
        lang,
    })?;
    let w = Templates::load(None)?.strings(lang);
    for warning in &done.warnings {
        eprintln!("{}", w.fill("cli:warning", &[("text", warning)]));
    }
    super::report_rejections(&done.data);
    let (rows, withheld) = done.kpi_rows;
    let (primary, secondary) = done.hidden;
    let period = match lang {
        Lang::Zh => lang.period(&done.period),
        Lang::En => done.period.to_string(),
    };
    let count = |n: usize| n.to_string();
    println!(
        "{}",
        w.fill(
            "cli:release",
            &[
                ("period", &period),
                ("rows", &count(rows)),
                ("withheld", &count(withheld)),
                ("k", &args.min_cell.to_string()),
                ("departments", &count(done.departments)),
                ("primary", &count(primary)),
                ("secondary", &count(secondary)),
            ]
        )
    );
    let package = done.out.join("datapackage.json").display().to_string();
    println!("{}", w.fill("cli:package", &[("path", &package)]));
    let series = done.series.display().to_string();
    println!("{}", w.fill("cli:series", &[("path", &series)]));
    Ok(ExitCode::SUCCESS)
}
