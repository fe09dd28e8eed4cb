//! `appraise demo`: the whole appraisal on the committed demo data, for its latest
//! quarter against the one before, into `reports/out/demo/`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use appraise_data::LoadOptions;

use super::run::Job;
use crate::cli::{ClusterArgs, DemoArgs, QueryArgs};
use crate::output;

pub(crate) fn run(args: DemoArgs) -> Result<ExitCode> {
    let data = args
        .data
        .unwrap_or_else(|| super::resolve(&PathBuf::from("fixtures/demo")));
    let job = Job {
        data,
        options: LoadOptions::default(),
        period: None,
        scorecard: PathBuf::from("queries/scorecard.toml"),
        queries: QueryArgs {
            kpis: "queries/kpis".into(),
            calendars: "queries/calendars".into(),
        },
        cluster: ClusterArgs::default(),
        out: args.out,
        report: args.report,
    };
    let done = job.run()?;
    println!("appraise demo: {}", done.data_dir.display());
    print!("{}", output::accounting_table(&done.data));
    print!("{}", output::data_summary(&done.data, done.timezone));
    println!(
        "\nRanking for {}{}:",
        done.period,
        done.previous
            .as_ref()
            .map_or(String::new(), |p| format!(", compared with {p}"))
    );
    for (rank, id, composite, grade, name) in done.ranking.iter().take(10) {
        println!("  {rank:>3}  {id:<12} {composite:>6.2}  {grade}  {name}");
    }
    println!();
    done.print_summary();
    Ok(ExitCode::SUCCESS)
}
