//! `appraise publish`: the period's open-data release ([`appraise_pipeline::publish`]),
//! and what it suppressed in a few lines.

use std::process::ExitCode;

use anyhow::Result;
use appraise_pipeline::{Licence, Release};

use crate::cli::PublishArgs;

pub(crate) fn run(args: PublishArgs) -> Result<ExitCode> {
    let (data, a) = (&args.appraisal.data, &args.appraisal.policy);
    let licence = Licence::from_id(&args.licence)?;
    let options = super::load_options(&data.read, a.scorecard.as_deref())?;
    let rules = super::rules(
        options.timezone,
        a.scorecard.as_deref(),
        &a.queries,
        &a.cluster,
        a.allow_empty,
    )?;
    // The output may not hold anything the release reads.
    let inputs = super::appraisal_inputs(&data.data, a.scorecard.as_deref(), &a.queries, &options);
    let write = super::write_policy(&args.write, &inputs);
    let done = appraise_pipeline::publish(Release {
        data: data.data.clone(),
        options,
        period: a.period.clone(),
        rules,
        out: args.out.clone(),
        write,
        contents: crate::policy::contents,
        min_cell: args.min_cell,
        licence,
        series: args.series.clone(),
    })?;
    for w in &done.warnings {
        eprintln!("warning: {w}");
    }
    super::report_rejections(&done.data);
    let (rows, withheld) = done.kpi_rows;
    let (primary, secondary) = done.hidden;
    println!(
        "release {}: {rows} KPI rows, {withheld} withheld (a count below {k} in it or in a \
         release it nests with); exchange matrix of {n} departments: {primary} cells below {k} \
         suppressed, {secondary} more so that none can be worked out from the totals or the \
         other releases of its quarter",
        done.period,
        k = args.min_cell,
        n = done.departments,
    );
    println!("package: {}", done.out.join("datapackage.json").display());
    println!("series: {}", done.series.display());
    Ok(ExitCode::SUCCESS)
}
